/*
 * The database of xmppim-server: opening it, its schema, the statements
 * prepared once, and the failure helpers the other files use.
 *
 * Schema (user_version 1). Every table hangs off account and is removed
 * with it (foreign keys, ON DELETE CASCADE), so deleting a user is one
 * statement and leaves nothing behind.
 *
 *   account(localpart PK, roster_version)
 *     roster_version: the opaque string the core gave with its last change,
 *     NULL until the first one.
 *   scram_credential(localpart, hash, iterations, salt, stored_key,
 *                    server_key; PK (localpart, hash))
 *     hash is the name ('SHA-1', 'SHA-256'), not the library's enum value,
 *     so that the file does not depend on how an enum is numbered.
 *   contact(localpart, jid, name, groups, subscription, ask, pending_in,
 *           approved, in_roster, pending_request; PK (localpart, jid))
 *     The subscription state is kept as RFC 6121 spells it on the wire
 *     (subscription 'none'/'to'/'from'/'both', ask 'subscribe' or NULL,
 *     pending_in 0/1), for the same reason and so that the sqlite3 shell
 *     shows something a reader of the RFC understands.
 *     groups is one BLOB, each name followed by a NUL byte (XML cannot
 *     carry NUL, so no name holds one): the core only ever saves and loads
 *     whole contacts, so a child table would turn each save into a delete
 *     and N inserts and each load into a join, for queries nobody makes.
 *   offline_message(seq INTEGER PK, localpart, received, xml)
 *     seq is the rowid: new rows get a larger one than every row present,
 *     so ordering by it is arrival order within each user. xml carries
 *     the XEP-0203 delay added when it was stored; received is the same
 *     stamp, for a reader of the table.
 *   last_presence(localpart PK, received, xml): the same, one per user.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

#define XS_SCHEMA_VERSION 1
/* How long a write waits for another connection (the account tool) to let
 * go of the database before it fails: the server's loop blocks meanwhile. */
#define XS_BUSY_TIMEOUT_MS 2000

static const char *const schema_sql =
    "CREATE TABLE IF NOT EXISTS account ("
    " localpart TEXT PRIMARY KEY NOT NULL,"
    " roster_version TEXT"
    ");"
    "CREATE TABLE IF NOT EXISTS scram_credential ("
    " localpart TEXT NOT NULL REFERENCES account(localpart) ON DELETE CASCADE,"
    " hash TEXT NOT NULL,"
    " iterations INTEGER NOT NULL,"
    " salt BLOB NOT NULL,"
    " stored_key BLOB NOT NULL,"
    " server_key BLOB NOT NULL,"
    " PRIMARY KEY (localpart, hash)"
    ") WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS contact ("
    " localpart TEXT NOT NULL REFERENCES account(localpart) ON DELETE CASCADE,"
    " jid TEXT NOT NULL,"
    " name TEXT,"
    " groups BLOB NOT NULL,"
    " subscription TEXT NOT NULL,"
    " ask TEXT,"
    " pending_in INTEGER NOT NULL,"
    " approved INTEGER NOT NULL,"
    " in_roster INTEGER NOT NULL,"
    " pending_request TEXT,"
    " PRIMARY KEY (localpart, jid)"
    ") WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS offline_message ("
    " seq INTEGER PRIMARY KEY,"
    " localpart TEXT NOT NULL REFERENCES account(localpart) ON DELETE CASCADE,"
    " received TEXT NOT NULL,"
    " xml TEXT NOT NULL"
    ");"
    "CREATE INDEX IF NOT EXISTS offline_message_by_user ON offline_message(localpart, seq);"
    "CREATE TABLE IF NOT EXISTS last_presence ("
    " localpart TEXT PRIMARY KEY NOT NULL REFERENCES account(localpart) ON DELETE CASCADE,"
    " received TEXT NOT NULL,"
    " xml TEXT NOT NULL"
    ");";

static const char *const stmt_sql[XS_STMT_COUNT] = {
    [XS_BEGIN] = "BEGIN IMMEDIATE",
    [XS_COMMIT] = "COMMIT",
    [XS_ROLLBACK] = "ROLLBACK",
    [XS_ACCOUNT_EXISTS] = "SELECT 1 FROM account WHERE localpart = ?1",
    [XS_ACCOUNT_INSERT] = "INSERT INTO account(localpart) VALUES (?1)",
    [XS_ACCOUNT_DELETE] = "DELETE FROM account WHERE localpart = ?1",
    [XS_CREDENTIAL_PUT] = "INSERT OR REPLACE INTO scram_credential"
                          "(localpart, hash, iterations, salt, stored_key, server_key)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [XS_CREDENTIAL_GET] = "SELECT iterations, salt, stored_key, server_key FROM scram_credential"
                          " WHERE localpart = ?1 AND hash = ?2",
    [XS_VERSION_GET] = "SELECT roster_version FROM account WHERE localpart = ?1",
    [XS_VERSION_SET] = "UPDATE account SET roster_version = ?2 WHERE localpart = ?1",
    [XS_CONTACTS_OF] = "SELECT jid, name, groups, subscription, ask, pending_in, approved, in_roster,"
                       " pending_request FROM contact WHERE localpart = ?1",
    [XS_CONTACT_PUT] = "INSERT OR REPLACE INTO contact(localpart, jid, name, groups, subscription, ask,"
                       " pending_in, approved, in_roster, pending_request)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [XS_CONTACT_DELETE] = "DELETE FROM contact WHERE localpart = ?1 AND jid = ?2",
    [XS_OFFLINE_COUNT] = "SELECT count(*) FROM offline_message WHERE localpart = ?1",
    [XS_OFFLINE_INSERT] = "INSERT INTO offline_message(localpart, received, xml) VALUES (?1, ?2, ?3)",
    [XS_OFFLINE_OF] = "SELECT seq, xml FROM offline_message WHERE localpart = ?1 ORDER BY seq",
    [XS_OFFLINE_DELETE] = "DELETE FROM offline_message WHERE seq = ?1",
    [XS_LAST_PUT] = "INSERT OR REPLACE INTO last_presence(localpart, received, xml) VALUES (?1, ?2, ?3)",
    [XS_LAST_GET] = "SELECT xml FROM last_presence WHERE localpart = ?1",
    [XS_LAST_DELETE] = "DELETE FROM last_presence WHERE localpart = ?1",
};

int xs_db_fail(xs_store *st, const char *what) {
  return xs_fail(st, "%s: %s", what, st->db ? sqlite3_errmsg(st->db) : "no database");
}

int xs_fail(xs_store *st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(st->error, sizeof(st->error), fmt, ap);
  va_end(ap);
  return XS_ERR_DB;
}

sqlite3_stmt *xs_stmt_ready(xs_store *st, xs_stmt which) {
  sqlite3_stmt *s = st->stmt[which];
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  return s;
}

int xs_step(xs_store *st, sqlite3_stmt *s, const char *what) {
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW || rc == SQLITE_DONE) return rc;
  int err = xs_db_fail(st, what);
  sqlite3_reset(s);
  return err;
}

int xs_exec(xs_store *st, sqlite3_stmt *s, const char *what) {
  int rc = xs_step(st, s, what);
  sqlite3_reset(s);
  return rc < 0 ? rc : 0;
}

int xs_begin(xs_store *st) { return xs_exec(st, xs_stmt_ready(st, XS_BEGIN), "begin transaction"); }

int xs_commit(xs_store *st) {
  int rv = xs_exec(st, xs_stmt_ready(st, XS_COMMIT), "commit");
  if (rv) xs_rollback(st);
  return rv;
}

void xs_rollback(xs_store *st) {
  /* SQLite may have rolled back already (some errors end the transaction
   * themselves); a second ROLLBACK would only fail. */
  if (sqlite3_get_autocommit(st->db)) return;
  sqlite3_stmt *s = xs_stmt_ready(st, XS_ROLLBACK);
  (void)sqlite3_step(s);
  sqlite3_reset(s);
}

int xs_local_of_user(const xs_store *st, const char *user, const char **local, size_t *len) {
  const char *at = user ? strchr(user, '@') : NULL;
  if (!at || at == user || strcmp(at + 1, st->domain) != 0) return XMPPIM_ERR_NOT_FOUND;
  *local = user;
  *len = (size_t)(at - user);
  return 0;
}

int xs_prep_localpart(xs_store *st, const char *name, char *out, size_t cap) {
  if (!name || !*name) return xs_fail(st, "empty user name"), XS_ERR_BAD_INPUT;
  xmppim_jid *jid;
  int rv = xmppim_jid_new_from_parts(&jid, name, st->domain, NULL, NULL);
  if (rv) return xs_fail(st, "'%s' is not a valid user name: %s", name, xmppim_strerror(rv)), XS_ERR_BAD_INPUT;
  int n = snprintf(out, cap, "%s", xmppim_jid_local(jid));
  xmppim_jid_free(jid);
  if (n < 0 || (size_t)n >= cap) return xs_fail(st, "user name too long"), XS_ERR_BAD_INPUT;
  return 0;
}

static int open_fail(xs_store *st, char *err, size_t errlen, const char *path, const char *what) {
  if (err && errlen) snprintf(err, errlen, "%s: %s: %s", path, what, st->db ? sqlite3_errmsg(st->db) : "out of memory");
  xs_store_close(st);
  return XS_ERR_DB;
}

/* One PRAGMA whose answer must be the expected word (journal_mode answers
 * with the mode it could set, not an error, on a file system that cannot
 * do WAL). */
static int pragma_expect(xs_store *st, const char *sql, const char *expected) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) return -1;
  int rc = sqlite3_step(s);
  int ok = rc == SQLITE_ROW ? expected && sqlite3_stricmp((const char *)sqlite3_column_text(s, 0), expected) == 0
                            : rc == SQLITE_DONE && !expected;
  sqlite3_finalize(s);
  return ok ? 0 : -1;
}

static int schema_version(xs_store *st, int *version) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK) return -1;
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) *version = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  return rc == SQLITE_ROW ? 0 : -1;
}

static int create_schema(xs_store *st) {
  char set_version[64];
  snprintf(set_version, sizeof(set_version), "PRAGMA user_version = %d;", XS_SCHEMA_VERSION);
  if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return -1;
  if (sqlite3_exec(st->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_exec(st->db, set_version, NULL, NULL, NULL) != SQLITE_OK) {
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
  }
  return sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int xs_store_open(xs_store **out, const char *path, const char *domain, char *err, size_t errlen) {
  if (err && errlen) err[0] = '\0';
  if (!out || !path || !domain) {
    if (err && errlen) snprintf(err, errlen, "no database path or domain given");
    return XS_ERR_BAD_INPUT;
  }
  *out = NULL;
  xmppim_jid *dj;
  if (xmppim_jid_new(&dj, domain, strlen(domain), NULL) != 0 || xmppim_jid_local(dj) || xmppim_jid_resource(dj) ||
      strcmp(xmppim_jid_domain(dj), domain) != 0) {
    if (dj) xmppim_jid_free(dj);
    if (err && errlen) snprintf(err, errlen, "'%s' is not a prepared domain name", domain);
    return XS_ERR_BAD_INPUT;
  }
  xmppim_jid_free(dj);
  xs_store *st = calloc(1, sizeof(*st));
  if (!st) {
    if (err && errlen) snprintf(err, errlen, "out of memory");
    return XS_ERR_DB;
  }
  st->domain_len = strlen(domain);
  st->domain = malloc(st->domain_len + 1);
  if (!st->domain) return open_fail(st, err, errlen, path, "out of memory");
  memcpy(st->domain, domain, st->domain_len + 1);

  int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) return open_fail(st, err, errlen, path, "cannot open the database");
  sqlite3_extended_result_codes(st->db, 1);
  sqlite3_busy_timeout(st->db, XS_BUSY_TIMEOUT_MS);
  /* The first read of the file: a file that is not a database fails here. */
  int version = 0;
  if (schema_version(st, &version) != 0) return open_fail(st, err, errlen, path, "cannot read the database");
  if (version > XS_SCHEMA_VERSION) {
    sqlite3_close(st->db);
    st->db = NULL;
    if (err && errlen)
      snprintf(err, errlen, "%s: schema version %d is newer than this program's (%d)", path, version,
               XS_SCHEMA_VERSION);
    xs_store_close(st);
    return XS_ERR_DB;
  }
  if (pragma_expect(st, "PRAGMA journal_mode = WAL", "wal") != 0)
    return open_fail(st, err, errlen, path, "cannot switch to WAL journal mode");
  if (pragma_expect(st, "PRAGMA synchronous = FULL", NULL) != 0 ||
      pragma_expect(st, "PRAGMA foreign_keys = ON", NULL) != 0)
    return open_fail(st, err, errlen, path, "cannot set the connection's options");
  if (version < XS_SCHEMA_VERSION && create_schema(st) != 0)
    return open_fail(st, err, errlen, path, "cannot create the schema");
  for (int i = 0; i < XS_STMT_COUNT; i++) {
    if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL) != SQLITE_OK)
      return open_fail(st, err, errlen, path, "cannot prepare the store's statements");
  }
  *out = st;
  return 0;
}

void xs_store_close(xs_store *st) {
  if (!st) return;
  for (int i = 0; i < XS_STMT_COUNT; i++) sqlite3_finalize(st->stmt[i]);
  /* A connection with nothing left open always closes. */
  if (st->db) sqlite3_close(st->db);
  free(st->domain);
  free(st);
}

int xs_store_set_synchronous(xs_store *st, int full) {
  if (!st) return XS_ERR_BAD_INPUT;
  const char *sql = full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
  if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) return xs_db_fail(st, "set synchronous");
  return 0;
}

void xs_store_install(xs_store *st, xmppim_server_callbacks *cb) {
  xmppim_server_callbacks_set_load_roster(cb, xs_load_roster);
  xmppim_server_callbacks_set_save_contact(cb, xs_save_contact);
  xmppim_server_callbacks_set_delete_contact(cb, xs_delete_contact);
  xmppim_server_callbacks_set_offline(cb, xs_offline_put, xs_offline_take);
  xmppim_server_callbacks_set_last_presence(cb, xs_last_presence_put, xs_last_presence_get);
  xmppim_server_callbacks_set_store_data(cb, st);
}

const char *xs_store_error(const xs_store *st) { return st ? st->error : ""; }
