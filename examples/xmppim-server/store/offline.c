/*
 * Offline messages (RFC 6121 section 8.5.2.2.1, XEP-0160): kept stamped,
 * at most XS_OFFLINE_MAX per user, handed back oldest first.
 */
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

typedef struct kept_message {
  sqlite3_int64 seq;
  char *xml;
} kept_message;

int xs_offline_put(void *store, const char *user, const xmppim_stanza *message) {
  xs_store *st = store;
  const char *local;
  size_t local_len;
  if (xs_local_of_user(st, user, &local, &local_len) != 0) return XMPPIM_ERR_NOT_FOUND;
  if (!message) return XMPPIM_ERR_INVALID_ARGUMENT;
  char *xml, stamp[32];
  int rv = xs_stamped_xml(st, message, &xml, stamp);
  if (rv) return rv;
  /* Count and insert in one write transaction, so that two writers cannot
   * both see room for the last one. */
  if (xs_begin(st) != 0) {
    free(xml);
    return XMPPIM_ERR_INTERNAL;
  }
  sqlite3_stmt *s = xs_stmt_ready(st, XS_OFFLINE_COUNT);
  sqlite3_bind_text(s, 1, local, (int)local_len, SQLITE_STATIC);
  int rc = xs_step(st, s, "count offline messages");
  sqlite3_int64 kept = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
  sqlite3_reset(s);
  if (rc < 0) {
    rv = XMPPIM_ERR_INTERNAL;
  } else if (kept >= XS_OFFLINE_MAX) {
    xs_fail(st, "%s has %d offline messages already", user, XS_OFFLINE_MAX);
    rv = XMPPIM_ERR_LIMIT;
  } else {
    s = xs_stmt_ready(st, XS_OFFLINE_INSERT);
    sqlite3_bind_text(s, 1, local, (int)local_len, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, stamp, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, xml, -1, SQLITE_STATIC);
    rc = xs_exec(st, s, "keep offline message");
    sqlite3_clear_bindings(s);
    /* A foreign key failure: the account was deleted meanwhile. */
    if (rc) rv = sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_FOREIGNKEY ? XMPPIM_ERR_NOT_FOUND
                                                                                 : XMPPIM_ERR_INTERNAL;
  }
  free(xml);
  if (rv == 0) return xs_commit(st) == 0 ? 0 : XMPPIM_ERR_INTERNAL;
  xs_rollback(st);
  return rv;
}

static void free_kept(kept_message *v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i].xml);
  free(v);
}

/* Reads them all before delivering any: the delivery callback runs with no
 * statement of ours in the middle of a step, and deleting while a SELECT
 * over the same rows is running would be asking for trouble. At most
 * XS_OFFLINE_MAX, so memory stays small. */
static int read_kept(xs_store *st, const char *local, size_t local_len, kept_message **out, size_t *count) {
  *out = NULL;
  *count = 0;
  kept_message *v = NULL;
  size_t n = 0, cap = 0;
  sqlite3_stmt *s = xs_stmt_ready(st, XS_OFFLINE_OF);
  sqlite3_bind_text(s, 1, local, (int)local_len, SQLITE_STATIC);
  int rc, rv = 0;
  while (rv == 0 && (rc = xs_step(st, s, "read offline messages")) == SQLITE_ROW) {
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 16;
      kept_message *nv = realloc(v, ncap * sizeof(*nv));
      if (!nv) {
        rv = XMPPIM_ERR_NOMEM;
        break;
      }
      v = nv;
      cap = ncap;
    }
    const char *xml = (const char *)sqlite3_column_text(s, 1);
    size_t len = xml ? strlen(xml) : 0;
    v[n].seq = sqlite3_column_int64(s, 0);
    v[n].xml = malloc(len + 1);
    if (!v[n].xml) {
      rv = XMPPIM_ERR_NOMEM;
      break;
    }
    memcpy(v[n].xml, xml ? xml : "", len + 1);
    n++;
  }
  sqlite3_reset(s);
  if (rv == 0 && rc < 0) rv = XMPPIM_ERR_INTERNAL;
  if (rv) {
    if (rv == XMPPIM_ERR_NOMEM) xs_fail(st, "out of memory reading offline messages");
    free_kept(v, n);
    return rv;
  }
  *out = v;
  *count = n;
  return 0;
}

static int forget(xs_store *st, sqlite3_int64 seq) {
  sqlite3_stmt *s = xs_stmt_ready(st, XS_OFFLINE_DELETE);
  sqlite3_bind_int64(s, 1, seq);
  return xs_exec(st, s, "forget offline message") == 0 ? 0 : XMPPIM_ERR_INTERNAL;
}

int xs_offline_take(void *store, const char *user, xmppim_offline_message_cb deliver, void *ctx) {
  xs_store *st = store;
  const char *local;
  size_t local_len;
  if (xs_local_of_user(st, user, &local, &local_len) != 0) return XMPPIM_ERR_NOT_FOUND;
  if (!deliver) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (xs_begin(st) != 0) return XMPPIM_ERR_INTERNAL;
  kept_message *kept;
  size_t n;
  int db_rv = read_kept(st, local, local_len, &kept, &n), refused = 0;
  for (size_t i = 0; db_rv == 0 && refused == 0 && i < n; i++) {
    xmppim_stanza *m;
    if (xmppim_stanza_parse(&m, kept[i].xml, strlen(kept[i].xml), NULL, NULL) != 0) {
      /* Only what the store wrote is in the table; a row that no longer
       * parses can never be delivered and would block every later one. */
      xs_fail(st, "dropped a damaged offline message of %s", user);
      db_rv = forget(st, kept[i].seq);
      continue;
    }
    refused = deliver(ctx, m);
    xmppim_stanza_free(m);
    if (refused == 0) db_rv = forget(st, kept[i].seq);
  }
  free_kept(kept, n);
  if (db_rv) {
    xs_rollback(st);
    return db_rv;
  }
  /* What was delivered is forgotten even when a later one was refused:
   * the deletions so far are committed, the rest stays for next time. If
   * this commit fails the delivered ones come again (at least once, never
   * lost). */
  if (xs_commit(st) != 0) return XMPPIM_ERR_INTERNAL;
  return refused;
}
