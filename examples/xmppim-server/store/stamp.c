/*
 * XEP-0203 delayed delivery: what the store adds to a stanza it keeps, so
 * that whoever reads it later knows when the server received it. The core
 * reads no clock; the store does, once, when it writes.
 */
#include <stdlib.h>
#include <time.h>

#include "store_impl.h"

#define NS_DELAY "urn:xmpp:delay"

/* XEP-0082 DateTime in UTC, to the second. */
static int utc_now(char stamp[32]) {
  time_t now = time(NULL);
  struct tm tm;
  if (now == (time_t)-1 || !gmtime_r(&now, &tm)) return -1;
  return strftime(stamp, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) ? 0 : -1;
}

static int serialize(const xmppim_stanza *stanza, char **xml) {
  size_t need = 0;
  /* NULL inherited namespace: the root declares its own, so the text
   * parses back alone. */
  if (xmppim_stanza_serialize(stanza, NULL, NULL, 0, &need) != XMPPIM_ERR_BUFFER_TOO_SMALL) return XMPPIM_ERR_INTERNAL;
  char *buf = malloc(need + 1);
  if (!buf) return XMPPIM_ERR_NOMEM;
  if (xmppim_stanza_serialize(stanza, NULL, buf, need + 1, &need) != 0) {
    free(buf);
    return XMPPIM_ERR_INTERNAL;
  }
  *xml = buf;
  return 0;
}

int xs_stamped_xml(xs_store *st, const xmppim_stanza *stanza, char **xml, char stamp[32]) {
  *xml = NULL;
  if (utc_now(stamp) != 0) return xs_fail(st, "cannot read the clock"), XMPPIM_ERR_INTERNAL;
  xmppim_stanza *copy = NULL, *delay;
  int rv = xmppim_stanza_copy(&copy, stanza, NULL);
  if (rv == 0) rv = xmppim_stanza_add_child(copy, "delay", NS_DELAY, &delay);
  if (rv == 0) rv = xmppim_stanza_set_attr(delay, "from", st->domain);
  if (rv == 0) rv = xmppim_stanza_set_attr(delay, "stamp", stamp);
  if (rv == 0) rv = serialize(copy, xml);
  xmppim_stanza_free(copy);
  if (rv) xs_fail(st, "cannot stamp a stanza: %s", xmppim_strerror(rv));
  return rv;
}
