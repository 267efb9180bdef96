/*
 * Accounts: who may log in, and the SCRAM credentials they log in with.
 * No password is ever written: add and set_password derive one set of
 * credentials per hash the server offers (SCRAM-SHA-1, SCRAM-SHA-256),
 * each with a fresh salt.
 */
#include <limits.h>
#include <string.h>

#include "store_impl.h"

/* Enough for a slow machine to set a password in seconds, not hours: a
 * typo in an iteration count should not hang the account tool. */
#define XS_ITERATIONS_MAX 10000000u

static const xmppim_scram_hash offered_hashes[] = {XMPPIM_SCRAM_SHA_1, XMPPIM_SCRAM_SHA_256};
#define OFFERED_COUNT (sizeof(offered_hashes) / sizeof(offered_hashes[0]))

static const char *hash_name(xmppim_scram_hash hash) {
  switch (hash) {
  case XMPPIM_SCRAM_SHA_1: return "SHA-1";
  case XMPPIM_SCRAM_SHA_256: return "SHA-256";
  }
  return NULL;
}

/* Derives outside any transaction: PBKDF2 takes milliseconds to seconds,
 * and the write lock should not be held meanwhile. */
static int derive_all(xs_store *st, const char *password, unsigned iterations,
                      xmppim_scram_credentials creds[OFFERED_COUNT]) {
  if (!password) return xs_fail(st, "no password given"), XS_ERR_BAD_INPUT;
  if (iterations == 0) iterations = XMPPIM_SCRAM_ITERATIONS_MIN;
  if (iterations > XS_ITERATIONS_MAX)
    return xs_fail(st, "%u iterations is more than the %u allowed", iterations, XS_ITERATIONS_MAX), XS_ERR_BAD_INPUT;
  for (size_t i = 0; i < OFFERED_COUNT; i++) {
    int rv = xmppim_scram_derive(&creds[i], offered_hashes[i], password, NULL, 0, iterations, NULL);
    if (rv == XMPPIM_ERR_INVALID_ARGUMENT || rv == XMPPIM_ERR_BAD_UTF8)
      return xs_fail(st, "the password is refused by SASLprep (empty, or characters it prohibits)"), XS_ERR_BAD_INPUT;
    if (rv) return xs_fail(st, "cannot derive SCRAM credentials: %s", xmppim_strerror(rv));
  }
  return 0;
}

static int account_exists(xs_store *st, const char *local) {
  sqlite3_stmt *s = xs_stmt_ready(st, XS_ACCOUNT_EXISTS);
  sqlite3_bind_text(s, 1, local, -1, SQLITE_STATIC);
  int rc = xs_step(st, s, "look up account");
  sqlite3_reset(s);
  return rc < 0 ? rc : rc == SQLITE_ROW;
}

static int put_credentials(xs_store *st, const char *local, const xmppim_scram_credentials creds[OFFERED_COUNT]) {
  for (size_t i = 0; i < OFFERED_COUNT; i++) {
    const xmppim_scram_credentials *c = &creds[i];
    int key_len = (int)xmppim_scram_key_len(c->hash);
    sqlite3_stmt *s = xs_stmt_ready(st, XS_CREDENTIAL_PUT);
    sqlite3_bind_text(s, 1, local, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, hash_name(c->hash), -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, c->iterations);
    sqlite3_bind_blob(s, 4, c->salt, (int)c->salt_len, SQLITE_STATIC);
    sqlite3_bind_blob(s, 5, c->stored_key, key_len, SQLITE_STATIC);
    sqlite3_bind_blob(s, 6, c->server_key, key_len, SQLITE_STATIC);
    int rv = xs_exec(st, s, "store credentials");
    if (rv) return rv;
  }
  return 0;
}

/* must_exist: set_password (XS_ERR_NO_USER when absent); otherwise add
 * (XS_ERR_EXISTS when present). */
static int write_account(xs_store *st, const char *name, const char *password, unsigned iterations, int must_exist) {
  char local[XMPPIM_JID_PART_MAX + 1];
  xmppim_scram_credentials creds[OFFERED_COUNT];
  int rv = xs_prep_localpart(st, name, local, sizeof(local));
  if (rv == 0) rv = derive_all(st, password, iterations, creds);
  if (rv == 0) rv = xs_begin(st);
  if (rv) goto wipe;
  rv = account_exists(st, local);
  if (rv >= 0 && rv != must_exist) {
    rv = must_exist ? XS_ERR_NO_USER : XS_ERR_EXISTS;
    xs_fail(st, must_exist ? "no user '%s'" : "user '%s' exists already", local);
  } else if (rv >= 0 && !must_exist) {
    sqlite3_stmt *s = xs_stmt_ready(st, XS_ACCOUNT_INSERT);
    sqlite3_bind_text(s, 1, local, -1, SQLITE_STATIC);
    rv = xs_exec(st, s, "create account");
  } else if (rv > 0) {
    rv = 0;
  }
  if (rv == 0) rv = put_credentials(st, local, creds);
  if (rv == 0) rv = xs_commit(st);
  else xs_rollback(st);
wipe:
  /* Not the password, but enough to impersonate the server to the user. */
  memset(creds, 0, sizeof(creds));
  return rv;
}

int xs_store_add_user(xs_store *st, const char *localpart, const char *password, unsigned iterations) {
  if (!st) return XS_ERR_BAD_INPUT;
  return write_account(st, localpart, password, iterations, 0);
}

int xs_store_set_password(xs_store *st, const char *localpart, const char *password, unsigned iterations) {
  if (!st) return XS_ERR_BAD_INPUT;
  return write_account(st, localpart, password, iterations, 1);
}

int xs_store_del_user(xs_store *st, const char *localpart) {
  if (!st) return XS_ERR_BAD_INPUT;
  char local[XMPPIM_JID_PART_MAX + 1];
  int rv = xs_prep_localpart(st, localpart, local, sizeof(local));
  if (rv) return rv;
  /* One statement, so one implicit transaction: the cascades take the
   * roster, credentials, offline messages and last presence with it. */
  sqlite3_stmt *s = xs_stmt_ready(st, XS_ACCOUNT_DELETE);
  sqlite3_bind_text(s, 1, local, -1, SQLITE_STATIC);
  rv = xs_exec(st, s, "delete account");
  if (rv) return rv;
  if (sqlite3_changes(st->db) == 0) return xs_fail(st, "no user '%s'", local), XS_ERR_NO_USER;
  return 0;
}

int xs_store_user_exists(xs_store *st, const char *localpart) {
  if (!st) return XS_ERR_BAD_INPUT;
  char local[XMPPIM_JID_PART_MAX + 1];
  int rv = xs_prep_localpart(st, localpart, local, sizeof(local));
  return rv ? rv : account_exists(st, local);
}

/* A stored row that cannot be credentials of this hash: someone edited
 * the file, or it is damaged. */
static int credentials_from_row(sqlite3_stmt *s, xmppim_scram_hash hash, xmppim_scram_credentials *creds) {
  sqlite3_int64 iterations = sqlite3_column_int64(s, 0);
  const void *salt = sqlite3_column_blob(s, 1);
  int salt_len = sqlite3_column_bytes(s, 1);
  const void *stored_key = sqlite3_column_blob(s, 2);
  int stored_len = sqlite3_column_bytes(s, 2);
  const void *server_key = sqlite3_column_blob(s, 3);
  int server_len = sqlite3_column_bytes(s, 3);
  int key_len = (int)xmppim_scram_key_len(hash);
  if (iterations < 1 || iterations > UINT_MAX || !salt || salt_len < 1 || salt_len > XMPPIM_SCRAM_SALT_MAX ||
      !stored_key || !server_key || stored_len != key_len || server_len != key_len)
    return -1;
  creds->hash = hash;
  creds->iterations = (unsigned)iterations;
  creds->salt_len = (size_t)salt_len;
  memcpy(creds->salt, salt, (size_t)salt_len);
  memcpy(creds->stored_key, stored_key, (size_t)key_len);
  memcpy(creds->server_key, server_key, (size_t)key_len);
  return 0;
}

xmppim_sasl_condition xs_store_scram_lookup(const char *authcid, xmppim_scram_hash hash,
                                            xmppim_scram_credentials *creds, void *store) {
  xs_store *st = store;
  const char *name = hash_name(hash);
  if (!st || !creds || !name) return XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE;
  /* A name that is no localpart is simply nobody: a client's typo is not
   * the store's error, so nothing is recorded. */
  xmppim_jid *jid;
  if (!authcid || xmppim_jid_new_from_parts(&jid, authcid, st->domain, NULL, NULL) != 0)
    return XMPPIM_SASL_COND_NOT_AUTHORIZED;
  sqlite3_stmt *s = xs_stmt_ready(st, XS_CREDENTIAL_GET);
  sqlite3_bind_text(s, 1, xmppim_jid_local(jid), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
  int rc = xs_step(st, s, "look up credentials");
  xmppim_sasl_condition cond = XMPPIM_SASL_COND_NOT_AUTHORIZED;
  if (rc < 0) {
    cond = XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE;
  } else if (rc == SQLITE_ROW) {
    if (credentials_from_row(s, hash, creds) == 0) {
      cond = XMPPIM_SASL_COND_NONE;
    } else {
      xs_fail(st, "the stored %s credentials of '%s' are damaged", name, xmppim_jid_local(jid));
      memset(creds, 0, sizeof(*creds));
      creds->hash = hash;
      cond = XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE;
    }
  }
  sqlite3_reset(s);
  xmppim_jid_free(jid);
  return cond;
}
