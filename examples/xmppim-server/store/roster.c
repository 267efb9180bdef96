/*
 * Rosters: the server core's load_roster, save_contact and delete_contact.
 * Each change is one transaction with the roster version, committed before
 * the callback returns, because the core sends the IQ result, the pushes
 * and any routed presence right after.
 */
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

/* Group names, each followed by its NUL, as one buffer (see the schema in
 * store.c). *blob is NULL and *len 0 for no groups. */
static int groups_encode(const xmppim_contact *c, unsigned char **blob, size_t *len) {
  size_t n = xmppim_contact_group_count(c), total = 0;
  *blob = NULL;
  *len = 0;
  for (size_t i = 0; i < n; i++) total += strlen(xmppim_contact_group(c, i)) + 1;
  if (total == 0) return 0;
  unsigned char *b = malloc(total), *p = b;
  if (!b) return XMPPIM_ERR_NOMEM;
  for (size_t i = 0; i < n; i++) {
    const char *g = xmppim_contact_group(c, i);
    size_t gl = strlen(g) + 1;
    memcpy(p, g, gl);
    p += gl;
  }
  *blob = b;
  *len = total;
  return 0;
}

/* Pointers into the blob (which must end with a NUL); *names is malloc'd. */
static int groups_decode(const unsigned char *blob, size_t len, const char ***names, size_t *count) {
  *names = NULL;
  *count = 0;
  if (len == 0) return 0;
  if (!blob || blob[len - 1] != '\0') return -1;
  size_t n = 0;
  for (size_t i = 0; i < len; i++) n += blob[i] == '\0';
  const char **v = malloc(n * sizeof(*v));
  if (!v) return XMPPIM_ERR_NOMEM;
  size_t k = 0;
  for (size_t start = 0; start < len; start += strlen((const char *)blob + start) + 1) v[k++] = (const char *)blob + start;
  *names = v;
  *count = n;
  return 0;
}

/* The version column of the account: 1 with *version (NULL when none yet,
 * valid until the statement is reset), 0 for no such account, or XS_ERR_DB. */
static int read_version(xs_store *st, const char *local, size_t local_len, sqlite3_stmt **s, const char **version) {
  *s = xs_stmt_ready(st, XS_VERSION_GET);
  sqlite3_bind_text(*s, 1, local, (int)local_len, SQLITE_STATIC);
  int rc = xs_step(st, *s, "read roster version");
  if (rc < 0) return rc;
  *version = (const char *)sqlite3_column_text(*s, 0);
  return rc == SQLITE_ROW;
}

static int add_contact_row(xs_store *st, const char *user, sqlite3_stmt *s, xmppim_roster_loader *loader) {
  const char *jid = (const char *)sqlite3_column_text(s, 0);
  const char *name = (const char *)sqlite3_column_text(s, 1);
  const unsigned char *groups_blob = sqlite3_column_blob(s, 2);
  size_t groups_len = (size_t)sqlite3_column_bytes(s, 2);
  const char *subscription = (const char *)sqlite3_column_text(s, 3);
  const char *ask = (const char *)sqlite3_column_text(s, 4);
  int pending_in = sqlite3_column_int(s, 5);
  int approved = sqlite3_column_int(s, 6);
  int in_roster = sqlite3_column_int(s, 7);
  const char *pending_request = (const char *)sqlite3_column_text(s, 8);
  int state = xmppim_sub_state_from_attrs(subscription, ask, pending_in);
  const char **groups;
  size_t ngroups;
  int rv = jid && state >= 0 ? groups_decode(groups_blob, groups_len, &groups, &ngroups) : -1;
  if (rv == XMPPIM_ERR_NOMEM) return xs_fail(st, "out of memory loading the roster of %s", user), rv;
  if (rv) return xs_fail(st, "a stored contact of %s is damaged", user);
  rv = xmppim_roster_loader_add(loader, jid, name, groups, ngroups, (xmppim_sub_state)state, approved, in_roster,
                                pending_request);
  free(groups);
  if (rv) xs_fail(st, "the stored contact %s of %s is refused: %s", jid, user, xmppim_strerror(rv));
  return rv;
}

int xs_load_roster(void *store, const char *user, xmppim_roster_loader *loader) {
  xs_store *st = store;
  const char *local;
  size_t local_len;
  if (xs_local_of_user(st, user, &local, &local_len) != 0) return XMPPIM_ERR_NOT_FOUND;
  sqlite3_stmt *vs;
  const char *version;
  int rv = read_version(st, local, local_len, &vs, &version);
  if (rv <= 0) {
    sqlite3_reset(vs);
    return rv == 0 ? XMPPIM_ERR_NOT_FOUND : XMPPIM_ERR_INTERNAL;
  }
  rv = version ? xmppim_roster_loader_set_version(loader, version) : 0;
  sqlite3_reset(vs);
  if (rv) return rv;
  sqlite3_stmt *s = xs_stmt_ready(st, XS_CONTACTS_OF);
  sqlite3_bind_text(s, 1, local, (int)local_len, SQLITE_STATIC);
  int rc;
  while ((rc = xs_step(st, s, "load roster")) == SQLITE_ROW && (rv = add_contact_row(st, user, s, loader)) == 0) {
  }
  sqlite3_reset(s);
  if (rc < 0) return XMPPIM_ERR_INTERNAL;
  return rv;
}

/* Sets the version; XMPPIM_ERR_NOT_FOUND when the account is gone (deleted
 * by the account tool while the user was online), XMPPIM_ERR_INTERNAL for
 * a database failure. Inside the caller's transaction. */
static int set_version(xs_store *st, const char *local, size_t local_len, const char *version) {
  sqlite3_stmt *s = xs_stmt_ready(st, XS_VERSION_SET);
  sqlite3_bind_text(s, 1, local, (int)local_len, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, version, -1, SQLITE_STATIC);
  if (xs_exec(st, s, "store roster version") != 0) return XMPPIM_ERR_INTERNAL;
  return sqlite3_changes(st->db) == 1 ? 0 : XMPPIM_ERR_NOT_FOUND;
}

static int put_contact(xs_store *st, const char *local, size_t local_len, const xmppim_contact *c) {
  unsigned char *groups;
  size_t groups_len;
  if (groups_encode(c, &groups, &groups_len) != 0) return xs_fail(st, "out of memory saving a contact"), XMPPIM_ERR_NOMEM;
  xmppim_sub_state state = xmppim_contact_state(c);
  sqlite3_stmt *s = xs_stmt_ready(st, XS_CONTACT_PUT);
  sqlite3_bind_text(s, 1, local, (int)local_len, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, xmppim_contact_jid(c), -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, xmppim_contact_name(c), -1, SQLITE_STATIC);
  /* zeroblob, not NULL, for no groups: the column is NOT NULL. */
  if (groups) sqlite3_bind_blob(s, 4, groups, (int)groups_len, SQLITE_STATIC);
  else sqlite3_bind_zeroblob(s, 4, 0);
  sqlite3_bind_text(s, 5, xmppim_sub_subscription_attr(state), -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 6, xmppim_sub_ask(state), -1, SQLITE_STATIC);
  sqlite3_bind_int(s, 7, xmppim_sub_pending_in(state) != 0);
  sqlite3_bind_int(s, 8, xmppim_contact_approved(c) != 0);
  sqlite3_bind_int(s, 9, xmppim_contact_in_roster(c) != 0);
  sqlite3_bind_text(s, 10, xmppim_contact_pending_request(c), -1, SQLITE_STATIC);
  int rv = xs_exec(st, s, "save contact");
  /* The statement must not keep pointing at the freed buffer. */
  sqlite3_clear_bindings(s);
  free(groups);
  return rv ? XMPPIM_ERR_INTERNAL : 0;
}

int xs_save_contact(void *store, const char *user, const xmppim_contact *contact, const char *version) {
  xs_store *st = store;
  const char *local;
  size_t local_len;
  if (xs_local_of_user(st, user, &local, &local_len) != 0) return XMPPIM_ERR_NOT_FOUND;
  if (!contact || !version) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (xs_begin(st) != 0) return XMPPIM_ERR_INTERNAL;
  int rv = set_version(st, local, local_len, version);
  if (rv == 0) rv = put_contact(st, local, local_len, contact);
  if (rv == 0) return xs_commit(st) == 0 ? 0 : XMPPIM_ERR_INTERNAL;
  xs_rollback(st);
  return rv;
}

int xs_delete_contact(void *store, const char *user, const char *jid, const char *version) {
  xs_store *st = store;
  const char *local;
  size_t local_len;
  if (xs_local_of_user(st, user, &local, &local_len) != 0) return XMPPIM_ERR_NOT_FOUND;
  if (!jid || !version) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (xs_begin(st) != 0) return XMPPIM_ERR_INTERNAL;
  int rv = set_version(st, local, local_len, version);
  if (rv == 0) {
    sqlite3_stmt *s = xs_stmt_ready(st, XS_CONTACT_DELETE);
    sqlite3_bind_text(s, 1, local, (int)local_len, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, jid, -1, SQLITE_STATIC);
    rv = xs_exec(st, s, "delete contact") == 0 ? 0 : XMPPIM_ERR_INTERNAL;
  }
  if (rv == 0) return xs_commit(st) == 0 ? 0 : XMPPIM_ERR_INTERNAL;
  xs_rollback(st);
  return rv;
}
