/*
 * The last unavailable presence of each user (RFC 6121 R4.3.2-g), stamped
 * when received (R4.3.2-i), for the core to answer probes with.
 */
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

static int account_known(xs_store *st, const char *local, size_t local_len) {
  sqlite3_stmt *s = xs_stmt_ready(st, XS_ACCOUNT_EXISTS);
  sqlite3_bind_text(s, 1, local, (int)local_len, SQLITE_STATIC);
  int rc = xs_step(st, s, "look up account");
  sqlite3_reset(s);
  return rc < 0 ? XMPPIM_ERR_INTERNAL : rc == SQLITE_ROW ? 0 : XMPPIM_ERR_NOT_FOUND;
}

int xs_last_presence_put(void *store, const char *user, const xmppim_stanza *presence) {
  xs_store *st = store;
  const char *local;
  size_t local_len;
  if (xs_local_of_user(st, user, &local, &local_len) != 0) return XMPPIM_ERR_NOT_FOUND;
  int rv = account_known(st, local, local_len);
  if (rv) return rv;
  if (!presence) {
    sqlite3_stmt *s = xs_stmt_ready(st, XS_LAST_DELETE);
    sqlite3_bind_text(s, 1, local, (int)local_len, SQLITE_STATIC);
    return xs_exec(st, s, "forget last presence") == 0 ? 0 : XMPPIM_ERR_INTERNAL;
  }
  char *xml, stamp[32];
  rv = xs_stamped_xml(st, presence, &xml, stamp);
  if (rv) return rv;
  /* One statement: its own transaction. */
  sqlite3_stmt *s = xs_stmt_ready(st, XS_LAST_PUT);
  sqlite3_bind_text(s, 1, local, (int)local_len, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, stamp, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, xml, -1, SQLITE_STATIC);
  rv = xs_exec(st, s, "keep last presence");
  sqlite3_clear_bindings(s);
  free(xml);
  return rv ? XMPPIM_ERR_INTERNAL : 0;
}

int xs_last_presence_get(void *store, const char *user, xmppim_stanza **out) {
  xs_store *st = store;
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = NULL;
  const char *local;
  size_t local_len;
  if (xs_local_of_user(st, user, &local, &local_len) != 0) return XMPPIM_ERR_NOT_FOUND;
  int rv = account_known(st, local, local_len);
  if (rv) return rv;
  sqlite3_stmt *s = xs_stmt_ready(st, XS_LAST_GET);
  sqlite3_bind_text(s, 1, local, (int)local_len, SQLITE_STATIC);
  int rc = xs_step(st, s, "read last presence");
  if (rc == SQLITE_ROW) {
    const char *xml = (const char *)sqlite3_column_text(s, 0);
    rv = xml ? xmppim_stanza_parse(out, xml, strlen(xml), NULL, NULL) : XMPPIM_ERR_INTERNAL;
    if (rv) {
      *out = NULL;
      xs_fail(st, "the last presence of %s is damaged", user);
    }
  } else if (rc < 0) {
    rv = XMPPIM_ERR_INTERNAL;
  }
  sqlite3_reset(s);
  return rv;
}
