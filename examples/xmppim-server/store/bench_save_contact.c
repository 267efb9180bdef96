/*
 * How long one roster change takes to commit, with synchronous=FULL (the
 * store's default) and NORMAL: each roster set below is one save_contact,
 * one transaction, one fsync of the WAL with FULL. Run by hand:
 *
 *   bench-save-contact [directory [count]]
 *
 * The directory (default ".") should be on the disk the server will use:
 * a tmpfs makes fsync free and the figures meaningless.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

static int deliver(xmppim_server *srv, const xmppim_jid *to, const xmppim_stanza *st, void *ud) {
  (void)srv;
  (void)to;
  (void)st;
  (void)ud;
  return 0;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int roster_set(xmppim_server *srv, const xmppim_jid *sender, int i) {
  char xml[256];
  snprintf(xml, sizeof(xml),
           "<iq xmlns='jabber:client' type='set' id='s%d' from='%s'><query xmlns='jabber:iq:roster'>"
           "<item jid='contact%d@example.net' name='Contact %d'><group>Bench</group></item></query></iq>",
           i, xmppim_jid_to_string(sender), i, i);
  xmppim_stanza *st;
  if (xmppim_stanza_parse(&st, xml, strlen(xml), NULL, NULL) != 0) return -1;
  int rv = xmppim_server_handle_stanza(srv, sender, st);
  xmppim_stanza_free(st);
  return rv == 1 ? 0 : -1;
}

/* Milliseconds per change, or a negative value. */
static double run(const char *dir, int full, int count) {
  char path[4096], err[256];
  snprintf(path, sizeof(path), "%s/bench-%s.db", dir, full ? "full" : "normal");
  xs_store *st;
  if (xs_store_open(&st, path, "example.test", err, sizeof(err)) != 0) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  xmppim_server_callbacks *cb = NULL;
  xmppim_server *srv = NULL;
  xmppim_jid *me = NULL;
  double per = -1;
  if (xs_store_set_synchronous(st, full) != 0 || xs_store_add_user(st, "bench", "bench", 0) != 0 ||
      xmppim_server_callbacks_new(&cb) != 0)
    goto out;
  xs_store_install(st, cb);
  xmppim_server_callbacks_set_deliver(cb, deliver);
  if (xmppim_server_new(&srv, cb, NULL, NULL, NULL) != 0 || xmppim_server_add_domain(srv, "example.test") != 0 ||
      xmppim_jid_new(&me, "bench@example.test/b", strlen("bench@example.test/b"), NULL) != 0 ||
      xmppim_server_resource_bound(srv, me) != 0)
    goto out;
  double start = now_ms();
  for (int i = 0; i < count; i++)
    if (roster_set(srv, me, i) != 0) goto out;
  per = (now_ms() - start) / count;
out:
  if (per < 0) fprintf(stderr, "bench failed: %s\n", xs_store_error(st));
  xmppim_jid_free(me);
  xmppim_server_free(srv);
  xmppim_server_callbacks_free(cb);
  xs_store_close(st);
  const char *suffixes[] = {"", "-wal", "-shm"};
  for (int i = 0; i < 3; i++) {
    char p[4200];
    snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
    unlink(p);
  }
  return per;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : ".";
  int count = argc > 2 ? atoi(argv[2]) : 500;
  if (count < 1 || count > 1000000) {
    fprintf(stderr, "usage: bench-save-contact [directory [count (1 to 1000000)]]\n");
    return 2;
  }
  for (int full = 1; full >= 0; full--) {
    double per = run(dir, full, count);
    if (per < 0) return 1;
    printf("synchronous=%-6s %d roster changes: %.3f ms each (%.0f per second)\n", full ? "FULL" : "NORMAL", count,
           per, 1000.0 / per);
  }
  return 0;
}
