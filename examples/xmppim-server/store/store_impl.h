/*
 * What the files of the store share: the open database, its prepared
 * statements, and the helpers that turn every SQLite failure into a
 * recorded English reason and a negative return (never a crash).
 */
#ifndef XS_STORE_IMPL_H
#define XS_STORE_IMPL_H

#include <sqlite3.h>

#include "store.h"

/* Every statement the store runs, prepared once at open: the hot paths
 * (each roster change, each offline message) compile no SQL. */
typedef enum xs_stmt {
  XS_BEGIN,
  XS_COMMIT,
  XS_ROLLBACK,
  XS_ACCOUNT_EXISTS,
  XS_ACCOUNT_INSERT,
  XS_ACCOUNT_DELETE,
  XS_CREDENTIAL_PUT,
  XS_CREDENTIAL_GET,
  XS_VERSION_GET,
  XS_VERSION_SET,
  XS_CONTACTS_OF,
  XS_CONTACT_PUT,
  XS_CONTACT_DELETE,
  XS_OFFLINE_COUNT,
  XS_OFFLINE_INSERT,
  XS_OFFLINE_OF,
  XS_OFFLINE_DELETE,
  XS_LAST_PUT,
  XS_LAST_GET,
  XS_LAST_DELETE,
  XS_STMT_COUNT
} xs_stmt;

struct xs_store {
  sqlite3 *db;
  char *domain;
  size_t domain_len;
  sqlite3_stmt *stmt[XS_STMT_COUNT];
  char error[512];
};

/* Records "what: SQLite's reason" as the store's error; returns XS_ERR_DB. */
int xs_db_fail(xs_store *st, const char *what);
/* Records a reason of the store's own (printf-style); returns XS_ERR_DB. */
int xs_fail(xs_store *st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The statement, reset and with its bindings cleared, ready to bind. */
sqlite3_stmt *xs_stmt_ready(xs_store *st, xs_stmt which);
/* Steps a statement: SQLITE_ROW or SQLITE_DONE, or XS_ERR_DB with the
 * reason recorded (what says which operation failed). */
int xs_step(xs_store *st, sqlite3_stmt *s, const char *what);
/* Runs a statement that returns no rows, then resets it. 0 or XS_ERR_DB. */
int xs_exec(xs_store *st, sqlite3_stmt *s, const char *what);

/* BEGIN IMMEDIATE: the write lock is taken up front, so that a transaction
 * never fails half-way because another connection (the account tool) wrote
 * in between. 0 or XS_ERR_DB. */
int xs_begin(xs_store *st);
/* 0 or XS_ERR_DB (then the transaction is rolled back). */
int xs_commit(xs_store *st);
/* Undoes the open transaction, if any; what failed stays the error. */
void xs_rollback(xs_store *st);

/* The localpart of a prepared bare JID of the store's domain: 0 with *local
 * and *len set, or XMPPIM_ERR_NOT_FOUND for a JID of another domain. */
int xs_local_of_user(const xs_store *st, const char *user, const char **local, size_t *len);

/* The localpart an account name stands for (nodeprep, RFC 7622 section
 * 3.3): 0 with out filled (cap >= XMPPIM_JID_PART_MAX + 1), or
 * XS_ERR_BAD_INPUT with the reason recorded. */
int xs_prep_localpart(xs_store *st, const char *name, char *out, size_t cap);

/* A copy of stanza with `<delay xmlns='urn:xmpp:delay' from='domain'
 * stamp='...'/>` appended (XEP-0203), serialized: *xml is malloc'd, stamp
 * receives the UTC time written. 0 or negative (reason recorded). */
int xs_stamped_xml(xs_store *st, const xmppim_stanza *stanza, char **xml, char stamp[32]);

/* Callbacks of the server core, by area (roster.c, offline.c,
 * last_presence.c). */
int xs_load_roster(void *store, const char *user, xmppim_roster_loader *loader);
int xs_save_contact(void *store, const char *user, const xmppim_contact *contact, const char *version);
int xs_delete_contact(void *store, const char *user, const char *jid, const char *version);
int xs_offline_put(void *store, const char *user, const xmppim_stanza *message);
int xs_offline_take(void *store, const char *user, xmppim_offline_message_cb deliver, void *ctx);
int xs_last_presence_put(void *store, const char *user, const xmppim_stanza *presence);
int xs_last_presence_get(void *store, const char *user, xmppim_stanza **out);

#endif /* XS_STORE_IMPL_H */
