/*
 * libFuzzer target for xmppim_stanza_parse(): any input that parses must
 * pass the tree checks and survive serialize + parse unchanged; any input
 * that is refused must come with a stream error condition.
 */
#include <stdint.h>
#include <stdlib.h>

#include <xmppim/stanza.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  xmppim_stanza *st = NULL;
  xmppim_stream_condition cond = XMPPIM_STREAM_OK;
  int rc = xmppim_stanza_parse(&st, (const char *)data, size, NULL, &cond);
  if (rc == XMPPIM_ERR_STREAM) {
    if (cond == XMPPIM_STREAM_OK) fz_fail("xmppim_stanza_parse() failed without a condition");
    if (st) fz_fail("xmppim_stanza_parse() failed but set *out");
    return 0;
  }
  if (rc == XMPPIM_ERR_NOMEM) return 0;
  if (rc != 0) fz_fail("xmppim_stanza_parse() returned undocumented %d (%s)", rc, xmppim_strerror(rc));
  if (!st) fz_fail("xmppim_stanza_parse() succeeded without a tree");
  if (xmppim_stanza_parent(st)) fz_fail("parsed root has a parent");
  fz_check_tree(st, 0, 0);
  fz_round_trip(st, "xmppim_stanza_parse");
  xmppim_stanza_free(st);
  return 0;
}
