/*
 * The SQLite store under a real xmppim_server core: what the core saves is
 * what it loads again, after the store is closed and the file reopened.
 * Stanzas are handed to the core as a host would after its sessions
 * stamped them; what the core delivers is logged per recipient.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store_impl.h"

#define DOMAIN "example.test"
#define LOG_CAP (1 << 20)

typedef struct fixture {
  char dir[64];
  char path[128];
  xs_store *st;
  xmppim_server *srv;
  char *log; /* "to|stanza\n" per delivered stanza */
  size_t log_len;
} fixture;

static int deliver(xmppim_server *srv, const xmppim_jid *to, const xmppim_stanza *stanza, void *ud) {
  (void)srv;
  fixture *f = ud;
  char buf[16384];
  size_t need;
  assert_int_equal(xmppim_stanza_serialize(stanza, "jabber:client", buf, sizeof(buf), &need), 0);
  int n = snprintf(f->log + f->log_len, LOG_CAP - f->log_len, "%s|%s\n", xmppim_jid_to_string(to), buf);
  assert_true(n > 0 && (size_t)n < LOG_CAP - f->log_len);
  f->log_len += (size_t)n;
  return 0;
}

/* Remote domains: logged as "route:to|stanza". */
static int route(xmppim_server *srv, const xmppim_jid *to, const xmppim_stanza *stanza, void *ud) {
  (void)srv;
  fixture *f = ud;
  char buf[16384];
  assert_int_equal(xmppim_stanza_serialize(stanza, "jabber:client", buf, sizeof(buf), NULL), 0);
  int n = snprintf(f->log + f->log_len, LOG_CAP - f->log_len, "route:%s|%s\n", xmppim_jid_to_string(to), buf);
  assert_true(n > 0 && (size_t)n < LOG_CAP - f->log_len);
  f->log_len += (size_t)n;
  return 0;
}

static void start_server(fixture *f) {
  xmppim_server_callbacks *cb;
  assert_int_equal(xmppim_server_callbacks_new(&cb), 0);
  xs_store_install(f->st, cb);
  xmppim_server_callbacks_set_deliver(cb, deliver);
  xmppim_server_callbacks_set_route(cb, route);
  assert_int_equal(xmppim_server_new(&f->srv, cb, f, NULL, NULL), 0);
  xmppim_server_callbacks_free(cb);
  assert_int_equal(xmppim_server_add_domain(f->srv, DOMAIN), 0);
}

static void open_store(fixture *f) {
  char err[256];
  int rv = xs_store_open(&f->st, f->path, DOMAIN, err, sizeof(err));
  if (rv) fail_msg("xs_store_open: %s", err);
  start_server(f);
}

/* Everything in memory goes; only the file remains. */
static void close_store(fixture *f) {
  xmppim_server_free(f->srv);
  f->srv = NULL;
  xs_store_close(f->st);
  f->st = NULL;
}

static void reopen(fixture *f) {
  close_store(f);
  open_store(f);
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof(*f));
  assert_non_null(f);
  f->log = calloc(1, LOG_CAP);
  assert_non_null(f->log);
  snprintf(f->dir, sizeof(f->dir), "/tmp/xs_store_test.XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  snprintf(f->path, sizeof(f->path), "%s/server.db", f->dir);
  open_store(f);
  *state = f;
  return 0;
}

static void remove_if_there(const char *dir, const char *name) {
  char p[160];
  snprintf(p, sizeof(p), "%s/%s", dir, name);
  (void)unlink(p);
}

static int teardown(void **state) {
  fixture *f = *state;
  close_store(f);
  const char *files[] = {"server.db", "server.db-wal", "server.db-shm", "garbage.db", "newer.db", "newer.db-wal",
                         "newer.db-shm", "a-directory.db"};
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) remove_if_there(f->dir, files[i]);
  char p[160];
  snprintf(p, sizeof(p), "%s/a-directory.db", f->dir);
  (void)rmdir(p);
  assert_int_equal(rmdir(f->dir), 0);
  free(f->log);
  free(f);
  return 0;
}

static void clear_log(fixture *f) {
  f->log_len = 0;
  f->log[0] = '\0';
}

/* Lines of the log that contain every one of the NULL-terminated strings. */
static int count_lines(const fixture *f, ...) {
  int n = 0;
  const char *line = f->log;
  while (*line) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    va_list ap;
    va_start(ap, f);
    int all = 1;
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;) {
      const char *hit = strstr(line, s);
      if (!hit || hit + strlen(s) > line + len) all = 0;
    }
    va_end(ap);
    n += all;
    line += len + (end ? 1 : 0);
  }
  return n;
}

static xmppim_jid *jid(const char *s) {
  xmppim_jid *j;
  assert_int_equal(xmppim_jid_new(&j, s, strlen(s), NULL), 0);
  return j;
}

static void bind_resource(fixture *f, const char *full) {
  xmppim_jid *j = jid(full);
  assert_int_equal(xmppim_server_resource_bound(f->srv, j), 0);
  xmppim_jid_free(j);
}

static void unbind(fixture *f, const char *full) {
  xmppim_jid *j = jid(full);
  assert_int_equal(xmppim_server_resource_unbound(f->srv, j), 0);
  xmppim_jid_free(j);
}

/* Hands the core a stanza from the bound resource full, stamped as the
 * session stamps it: the bare JID on subscription presence (RFC 6121
 * R3-b), the full JID on the rest. Returns what the core returned. */
static int send_from(fixture *f, const char *full, const char *xml) {
  char buf[8192];
  size_t name_end = strcspn(xml, " />");
  snprintf(buf, sizeof(buf), "%.*s xmlns='jabber:client'%s", (int)name_end, xml, xml + name_end);
  xmppim_stanza *st;
  assert_int_equal(xmppim_stanza_parse(&st, buf, strlen(buf), NULL, NULL), 0);
  xmppim_jid *sender = jid(full);
  const char *type = xmppim_stanza_attr(st, "type");
  int subscription = strcmp(xmppim_stanza_name(st), "presence") == 0 && type && strstr(type, "subscribe");
  assert_int_equal(
      xmppim_stanza_set_attr(st, "from", subscription ? xmppim_jid_bare_string(sender) : xmppim_jid_to_string(sender)),
      0);
  int rv = xmppim_server_handle_stanza(f->srv, sender, st);
  xmppim_jid_free(sender);
  xmppim_stanza_free(st);
  return rv;
}

/* A stanza from a remote server (the host verified its 'from'). */
static int send_remote(fixture *f, const char *xml) {
  char buf[8192];
  size_t name_end = strcspn(xml, " />");
  snprintf(buf, sizeof(buf), "%.*s xmlns='jabber:server'%s", (int)name_end, xml, xml + name_end);
  xmppim_stanza *st;
  assert_int_equal(xmppim_stanza_parse(&st, buf, strlen(buf), NULL, NULL), 0);
  int rv = xmppim_server_handle_stanza(f->srv, NULL, st);
  xmppim_stanza_free(st);
  return rv;
}

static void add_user(fixture *f, const char *local) { assert_int_equal(xs_store_add_user(f->st, local, "pw", 0), 0); }

/* A second connection to the file, as the sqlite3 shell would be: to look
 * at what was written, or to break it. */
static sqlite3 *peek(const fixture *f) {
  sqlite3 *db;
  assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 2000);
  return db;
}

static long long query_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *s;
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(s), SQLITE_ROW);
  long long v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return v;
}

static void exec_sql(sqlite3 *db, const char *sql) { assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK); }

/* The value of attribute name in the last logged line containing needle. */
static void last_attr(const fixture *f, const char *needle, const char *name, char *out, size_t cap) {
  const char *line = NULL;
  for (const char *p = f->log; (p = strstr(p, needle)) != NULL; p++) line = p;
  assert_non_null(line);
  char key[64];
  snprintf(key, sizeof(key), " %s='", name);
  const char *v = strstr(line, key);
  assert_non_null(v);
  v += strlen(key);
  size_t len = strcspn(v, "'");
  assert_true(len < cap);
  memcpy(out, v, len);
  out[len] = '\0';
}

/* ---- rosters ---- */

static void test_roster_survives_reopen(void **state) {
  fixture *f = *state;
  add_user(f, "alice");
  add_user(f, "bob");
  add_user(f, "carol");
  bind_resource(f, "alice@" DOMAIN "/home");
  send_from(f, "alice@" DOMAIN "/home", "<iq type='get' id='g0'><query xmlns='jabber:iq:roster' ver=''/></iq>");
  send_from(f, "alice@" DOMAIN "/home",
            "<iq type='set' id='s1'><query xmlns='jabber:iq:roster'><item jid='bob@" DOMAIN
            "' name='Bobby'><group>Friends</group><group>Work &amp; play</group></item></query></iq>");
  assert_int_equal(count_lines(f, "id='s1'", "type='result'", NULL), 1);
  /* A request to a local user: Bob's roster gets the pending request,
   * Alice's item gets ask='subscribe'. */
  send_from(f, "alice@" DOMAIN "/home", "<presence to='bob@" DOMAIN "' type='subscribe'><status>hi bob</status></presence>");
  /* A pre-approval (RFC 6121 section 3.4): Carol is approved before she asks. */
  send_from(f, "alice@" DOMAIN "/home", "<presence to='carol@" DOMAIN "' type='subscribed'/>");
  send_from(f, "alice@" DOMAIN "/home", "<iq type='set' id='s2'><query xmlns='jabber:iq:roster'><item jid='dave@"
            DOMAIN "'/></query></iq>");
  send_from(f, "alice@" DOMAIN "/home", "<iq type='set' id='s3'><query xmlns='jabber:iq:roster'><item jid='dave@"
            DOMAIN "' subscription='remove'/></query></iq>");
  assert_int_equal(count_lines(f, "id='s3'", "type='result'", NULL), 1);
  char version[64];
  last_attr(f, "jabber:iq:roster", "ver", version, sizeof(version));
  unbind(f, "alice@" DOMAIN "/home");

  reopen(f);
  clear_log(f);
  bind_resource(f, "alice@" DOMAIN "/laptop");
  send_from(f, "alice@" DOMAIN "/laptop", "<iq type='get' id='g1'><query xmlns='jabber:iq:roster' ver=''/></iq>");
  assert_int_equal(count_lines(f, "id='g1'", "type='result'", "jid='bob@" DOMAIN "'", "name='Bobby'",
                               "<group>Friends</group>", "<group>Work &amp; play</group>", "ask='subscribe'",
                               "subscription='none'", NULL),
                   1);
  assert_int_equal(count_lines(f, "id='g1'", "jid='carol@" DOMAIN "'", "approved='true'", NULL), 1);
  assert_int_equal(count_lines(f, "id='g1'", "dave@", NULL), 0);
  char loaded_version[64];
  last_attr(f, "id='g1'", "ver", loaded_version, sizeof(loaded_version));
  assert_string_equal(loaded_version, version);
  /* The stored version is the roster's current one: a client holding it
   * gets an empty result, not the roster again (RFC 6121 R2.6.3-a). */
  clear_log(f);
  char get[256];
  snprintf(get, sizeof(get), "<iq type='get' id='g2'><query xmlns='jabber:iq:roster' ver='%s'/></iq>", version);
  send_from(f, "alice@" DOMAIN "/laptop", get);
  assert_int_equal(count_lines(f, "id='g2'", "type='result'", NULL), 1);
  assert_int_equal(count_lines(f, "id='g2'", "<item", NULL), 0);

  /* Bob was offline: the kept request, whole, comes when he is available. */
  bind_resource(f, "bob@" DOMAIN "/phone");
  clear_log(f);
  send_from(f, "bob@" DOMAIN "/phone", "<presence/>");
  assert_int_equal(count_lines(f, "bob@" DOMAIN "/phone|", "type='subscribe'", "from='alice@" DOMAIN "'",
                               "<status>hi bob</status>", NULL),
                   1);
  /* He approves: both rosters change, and that survives too. */
  send_from(f, "bob@" DOMAIN "/phone", "<presence to='alice@" DOMAIN "' type='subscribed'/>");
  reopen(f);
  clear_log(f);
  bind_resource(f, "alice@" DOMAIN "/laptop");
  bind_resource(f, "bob@" DOMAIN "/phone");
  send_from(f, "alice@" DOMAIN "/laptop", "<iq type='get' id='g3'><query xmlns='jabber:iq:roster'/></iq>");
  send_from(f, "bob@" DOMAIN "/phone", "<iq type='get' id='g4'><query xmlns='jabber:iq:roster'/></iq>");
  assert_int_equal(count_lines(f, "id='g3'", "jid='bob@" DOMAIN "'", "subscription='to'", NULL), 1);
  assert_int_equal(count_lines(f, "id='g3'", "ask=", NULL), 0);
  assert_int_equal(count_lines(f, "id='g4'", "jid='alice@" DOMAIN "'", "subscription='from'", NULL), 1);

  /* A removal is a delete, and stays one. */
  send_from(f, "alice@" DOMAIN "/laptop", "<iq type='set' id='s4'><query xmlns='jabber:iq:roster'><item jid='carol@"
            DOMAIN "' subscription='remove'/></query></iq>");
  reopen(f);
  clear_log(f);
  bind_resource(f, "alice@" DOMAIN "/laptop");
  send_from(f, "alice@" DOMAIN "/laptop", "<iq type='get' id='g5'><query xmlns='jabber:iq:roster'/></iq>");
  assert_int_equal(count_lines(f, "id='g5'", "bob@", NULL), 1);
  assert_int_equal(count_lines(f, "id='g5'", "carol@", NULL), 0);
}

static void test_unknown_user_is_not_found(void **state) {
  fixture *f = *state;
  xmppim_jid *j = jid("nobody@" DOMAIN "/r");
  assert_int_equal(xmppim_server_resource_bound(f->srv, j), XMPPIM_ERR_NOT_FOUND);
  xmppim_jid_free(j);
  xmppim_stanza *out = (xmppim_stanza *)1;
  assert_int_equal(xs_last_presence_get(f->st, "nobody@" DOMAIN, &out), XMPPIM_ERR_NOT_FOUND);
  assert_null(out);
  /* Another domain's users are nobody here either. */
  add_user(f, "alice");
  assert_int_equal(xs_last_presence_get(f->st, "alice@elsewhere.test", &out), XMPPIM_ERR_NOT_FOUND);
  const char *xml = "<message xmlns='jabber:client' to='nobody@" DOMAIN "'><body>x</body></message>";
  xmppim_stanza *m;
  assert_int_equal(xmppim_stanza_parse(&m, xml, strlen(xml), NULL, NULL), 0);
  assert_int_equal(xs_offline_put(f->st, "nobody@" DOMAIN, m), XMPPIM_ERR_NOT_FOUND);
  assert_int_equal(xs_offline_put(f->st, "alice@elsewhere.test", m), XMPPIM_ERR_NOT_FOUND);
  xmppim_stanza_free(m);
}

/* ---- accounts ---- */

static void test_accounts(void **state) {
  fixture *f = *state;
  assert_int_equal(xs_store_user_exists(f->st, "juliet"), 0);
  assert_int_equal(xs_store_add_user(f->st, "Juliet", "secret", 0), 0);
  /* nodeprep folds case: the account is juliet. */
  assert_int_equal(xs_store_user_exists(f->st, "juliet"), 1);
  assert_int_equal(xs_store_user_exists(f->st, "JULIET"), 1);
  assert_int_equal(xs_store_add_user(f->st, "juliet", "other", 0), XS_ERR_EXISTS);
  assert_non_null(strstr(xs_store_error(f->st), "exists"));
  assert_int_equal(xs_store_set_password(f->st, "romeo", "x", 0), XS_ERR_NO_USER);
  assert_int_equal(xs_store_del_user(f->st, "romeo"), XS_ERR_NO_USER);
  assert_int_equal(xs_store_add_user(f->st, "a@b", "x", 0), XS_ERR_BAD_INPUT);
  assert_non_null(strstr(xs_store_error(f->st), "a@b"));
  assert_int_equal(xs_store_add_user(f->st, "", "x", 0), XS_ERR_BAD_INPUT);
  assert_int_equal(xs_store_add_user(f->st, NULL, "x", 0), XS_ERR_BAD_INPUT);
  assert_int_equal(xs_store_add_user(f->st, "romeo", "", 0), XS_ERR_BAD_INPUT);
  assert_int_equal(xs_store_add_user(f->st, "romeo", NULL, 0), XS_ERR_BAD_INPUT);
  assert_int_equal(xs_store_add_user(f->st, "romeo", "x", 4000000000u), XS_ERR_BAD_INPUT);
  assert_int_equal(xs_store_user_exists(f->st, "romeo"), 0);
  assert_int_equal(xs_store_user_exists(f->st, "a@b"), XS_ERR_BAD_INPUT);
  assert_int_equal(xs_store_set_password(f->st, "juliet", "newer", 0), 0);

  /* No password is written anywhere. */
  sqlite3 *db = peek(f);
  assert_int_equal(query_int(db, "SELECT count(*) FROM scram_credential WHERE localpart = 'juliet'"), 2);
  assert_int_equal(query_int(db, "SELECT count(*) FROM scram_credential WHERE instr(salt, 'newer') OR instr("
                                 "stored_key, 'newer') OR instr(server_key, 'newer')"),
                   0);
  sqlite3_close(db);

  reopen(f);
  assert_int_equal(xs_store_user_exists(f->st, "juliet"), 1);
  assert_int_equal(xs_store_del_user(f->st, "Juliet"), 0);
  assert_int_equal(xs_store_user_exists(f->st, "juliet"), 0);
  assert_int_equal(xs_store_add_user(f->st, "juliet", "again", 0), 0);
}

static void test_delete_takes_everything(void **state) {
  fixture *f = *state;
  add_user(f, "alice");
  add_user(f, "bob");
  bind_resource(f, "bob@" DOMAIN "/r");
  send_from(f, "bob@" DOMAIN "/r", "<presence/>");
  send_from(f, "bob@" DOMAIN "/r", "<message to='alice@" DOMAIN "' type='chat'><body>kept</body></message>");
  send_from(f, "bob@" DOMAIN "/r", "<presence to='alice@" DOMAIN "' type='subscribe'/>");
  send_from(f, "bob@" DOMAIN "/r", "<iq type='set' id='s'><query xmlns='jabber:iq:roster'><item jid='alice@" DOMAIN
            "' name='A'><group>G</group></item></query></iq>");
  bind_resource(f, "alice@" DOMAIN "/r");
  send_from(f, "alice@" DOMAIN "/r", "<iq type='set' id='s'><query xmlns='jabber:iq:roster'><item jid='bob@" DOMAIN
            "'/></query></iq>");
  send_from(f, "alice@" DOMAIN "/r", "<presence><status>here</status></presence>");
  send_from(f, "alice@" DOMAIN "/r", "<presence type='unavailable'><status>gone</status></presence>");
  unbind(f, "alice@" DOMAIN "/r");
  send_from(f, "bob@" DOMAIN "/r", "<message to='alice@" DOMAIN "' type='chat'><body>kept 2</body></message>");
  unbind(f, "bob@" DOMAIN "/r");

  sqlite3 *db = peek(f);
  assert_int_equal(query_int(db, "SELECT count(*) FROM contact WHERE localpart = 'alice'"), 1);
  assert_int_equal(query_int(db, "SELECT count(*) FROM offline_message WHERE localpart = 'alice'"), 1);
  assert_int_equal(query_int(db, "SELECT count(*) FROM last_presence WHERE localpart = 'alice'"), 1);
  assert_int_equal(xs_store_del_user(f->st, "alice"), 0);
  const char *tables[] = {"account", "scram_credential", "contact", "offline_message", "last_presence"};
  for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE localpart = 'alice'", tables[i]);
    assert_int_equal(query_int(db, sql), 0);
  }
  /* Bob keeps his contact for Alice: other users' rosters are theirs. */
  assert_int_equal(query_int(db, "SELECT count(*) FROM contact WHERE localpart = 'bob' AND jid = 'alice@" DOMAIN "'"),
                   1);
  sqlite3_close(db);
  /* A new account of the same name starts empty. */
  add_user(f, "alice");
  clear_log(f);
  bind_resource(f, "alice@" DOMAIN "/r");
  send_from(f, "alice@" DOMAIN "/r", "<iq type='get' id='g'><query xmlns='jabber:iq:roster'/></iq>");
  send_from(f, "alice@" DOMAIN "/r", "<presence/>");
  assert_int_equal(count_lines(f, "id='g'", "<item", NULL), 0);
  assert_int_equal(count_lines(f, "<body>", NULL), 0);
}

/* ---- SCRAM ---- */

static void expect_credentials_verify(fixture *f, const char *name, const char *password, xmppim_scram_hash hash,
                                      unsigned iterations) {
  xmppim_scram_credentials got, again;
  memset(&got, 0, sizeof(got));
  got.hash = hash;
  assert_int_equal(xs_store_scram_lookup(name, hash, &got, f->st), XMPPIM_SASL_COND_NONE);
  assert_int_equal(got.hash, hash);
  assert_int_equal(got.iterations, iterations);
  assert_int_equal(got.salt_len, XMPPIM_SCRAM_SALT_DEFAULT);
  assert_int_equal(xmppim_scram_derive(&again, hash, password, got.salt, got.salt_len, got.iterations, NULL), 0);
  size_t key_len = xmppim_scram_key_len(hash);
  assert_memory_equal(got.stored_key, again.stored_key, key_len);
  assert_memory_equal(got.server_key, again.server_key, key_len);
  assert_int_equal(xmppim_scram_derive(&again, hash, "wrong", got.salt, got.salt_len, got.iterations, NULL), 0);
  assert_memory_not_equal(got.stored_key, again.stored_key, key_len);
}

static void test_scram_lookup(void **state) {
  fixture *f = *state;
  assert_int_equal(xs_store_add_user(f->st, "juliet", "s\xc3\xa9same", 5000), 0);
  expect_credentials_verify(f, "juliet", "s\xc3\xa9same", XMPPIM_SCRAM_SHA_1, 5000);
  expect_credentials_verify(f, "juliet", "s\xc3\xa9same", XMPPIM_SCRAM_SHA_256, 5000);
  /* As SASL gives the name (SASLprep keeps case): nodeprep finds her. */
  expect_credentials_verify(f, "Juliet", "s\xc3\xa9same", XMPPIM_SCRAM_SHA_256, 5000);

  xmppim_scram_credentials salts[2];
  for (int i = 0; i < 2; i++) {
    memset(&salts[i], 0, sizeof(salts[i]));
    assert_int_equal(xs_store_scram_lookup("juliet", XMPPIM_SCRAM_SHA_256, &salts[i], f->st), XMPPIM_SASL_COND_NONE);
    if (i == 0) assert_int_equal(xs_store_set_password(f->st, "juliet", "changed", 0), 0);
  }
  /* A new password has a new salt and the default count. */
  assert_memory_not_equal(salts[0].salt, salts[1].salt, XMPPIM_SCRAM_SALT_DEFAULT);
  expect_credentials_verify(f, "juliet", "changed", XMPPIM_SCRAM_SHA_1, XMPPIM_SCRAM_ITERATIONS_MIN);
  reopen(f);
  expect_credentials_verify(f, "juliet", "changed", XMPPIM_SCRAM_SHA_256, XMPPIM_SCRAM_ITERATIONS_MIN);

  xmppim_scram_credentials c;
  memset(&c, 0, sizeof(c));
  assert_int_equal(xs_store_scram_lookup("romeo", XMPPIM_SCRAM_SHA_1, &c, f->st), XMPPIM_SASL_COND_NOT_AUTHORIZED);
  assert_int_equal(xs_store_scram_lookup("a@b", XMPPIM_SCRAM_SHA_1, &c, f->st), XMPPIM_SASL_COND_NOT_AUTHORIZED);
  assert_int_equal(xs_store_scram_lookup("", XMPPIM_SCRAM_SHA_1, &c, f->st), XMPPIM_SASL_COND_NOT_AUTHORIZED);
  assert_int_equal(xs_store_scram_lookup(NULL, XMPPIM_SCRAM_SHA_1, &c, f->st), XMPPIM_SASL_COND_NOT_AUTHORIZED);
  assert_string_equal(xs_store_error(f->st), "");

  /* Damaged credentials are the server's problem, not a wrong password. */
  sqlite3 *db = peek(f);
  exec_sql(db, "UPDATE scram_credential SET stored_key = x'0102' WHERE hash = 'SHA-1'");
  assert_int_equal(xs_store_scram_lookup("juliet", XMPPIM_SCRAM_SHA_1, &c, f->st),
                   XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE);
  assert_non_null(strstr(xs_store_error(f->st), "damaged"));
  /* And a database that fails likewise. */
  exec_sql(db, "DROP TABLE scram_credential");
  assert_int_equal(xs_store_scram_lookup("juliet", XMPPIM_SCRAM_SHA_256, &c, f->st),
                   XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE);
  assert_non_null(strstr(xs_store_error(f->st), "scram_credential"));
  sqlite3_close(db);
}

/* ---- offline messages ---- */

static void utc_stamp(char out[32]) {
  time_t now = time(NULL);
  struct tm tm;
  assert_non_null(gmtime_r(&now, &tm));
  assert_true(strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0);
}

typedef struct taker {
  int accept; /* how many to accept before failing */
  int seen;
  char bodies[XS_OFFLINE_MAX][32];
} taker;

static int take_some(void *ctx, const xmppim_stanza *message) {
  taker *t = ctx;
  if (t->seen == t->accept) return XMPPIM_ERR_IO;
  xmppim_stanza *body = xmppim_stanza_find_child(message, "body", NULL);
  assert_non_null(body);
  snprintf(t->bodies[t->seen], sizeof(t->bodies[t->seen]), "%s", xmppim_stanza_text(body));
  t->seen++;
  return 0;
}

static void test_offline_cap_order_and_stamp(void **state) {
  fixture *f = *state;
  add_user(f, "alice");
  add_user(f, "bob");
  bind_resource(f, "bob@" DOMAIN "/r");
  send_from(f, "bob@" DOMAIN "/r", "<presence/>");
  char before[32], after[32];
  utc_stamp(before);
  for (int i = 1; i <= XS_OFFLINE_MAX + 1; i++) {
    char msg[256];
    snprintf(msg, sizeof(msg), "<message to='alice@" DOMAIN "' id='m%d'><body>n%d</body></message>", i, i);
    send_from(f, "bob@" DOMAIN "/r", msg);
  }
  utc_stamp(after);
  /* The 101st is refused, and the sender is told. */
  assert_int_equal(count_lines(f, "bob@" DOMAIN "/r|", "id='m101'", "type='error'", "service-unavailable", NULL), 1);
  assert_int_equal(count_lines(f, "type='error'", NULL), 1);

  reopen(f);
  clear_log(f);
  /* A negative priority takes no bare-JID messages (RFC 6121 R8.5.2.2.1);
   * the next resource that comes online with 0 takes them all. */
  bind_resource(f, "alice@" DOMAIN "/away");
  send_from(f, "alice@" DOMAIN "/away", "<presence><priority>-1</priority></presence>");
  assert_int_equal(count_lines(f, "<body>", NULL), 0);
  bind_resource(f, "alice@" DOMAIN "/r");
  send_from(f, "alice@" DOMAIN "/r", "<presence/>");
  assert_int_equal(count_lines(f, "alice@" DOMAIN "/r|<message", NULL), XS_OFFLINE_MAX);
  /* Oldest first. */
  const char *p = f->log;
  for (int i = 1; i <= XS_OFFLINE_MAX; i++) {
    char body[32];
    snprintf(body, sizeof(body), "<body>n%d</body>", i);
    const char *hit = strstr(p, body);
    assert_non_null(hit);
    p = hit;
  }
  assert_null(strstr(f->log, "<body>n101</body>"));
  /* Each stamped with when the server got it. */
  char stamp[64];
  last_attr(f, "<body>n1</body>", "stamp", stamp, sizeof(stamp));
  /* XEP-0082 UTC to the second sorts as text. */
  assert_int_equal(strlen(stamp), 20);
  assert_true(strcmp(before, stamp) <= 0 && strcmp(stamp, after) <= 0);
  assert_int_equal(count_lines(f, "<body>n1</body>", "<delay xmlns='urn:xmpp:delay' from='" DOMAIN "' stamp='", NULL),
                   1);
  /* Taken means gone. */
  sqlite3 *db = peek(f);
  assert_int_equal(query_int(db, "SELECT count(*) FROM offline_message"), 0);
  sqlite3_close(db);
}

static void test_offline_take_keeps_what_was_refused(void **state) {
  fixture *f = *state;
  add_user(f, "alice");
  for (int i = 1; i <= 5; i++) {
    char xml[128];
    snprintf(xml, sizeof(xml), "<message xmlns='jabber:client' to='alice@" DOMAIN "'><body>b%d</body></message>", i);
    xmppim_stanza *m;
    assert_int_equal(xmppim_stanza_parse(&m, xml, strlen(xml), NULL, NULL), 0);
    assert_int_equal(xs_offline_put(f->st, "alice@" DOMAIN, m), 0);
    xmppim_stanza_free(m);
  }
  taker t = {.accept = 2};
  assert_int_equal(xs_offline_take(f->st, "alice@" DOMAIN, take_some, &t), XMPPIM_ERR_IO);
  assert_int_equal(t.seen, 2);
  assert_string_equal(t.bodies[0], "b1");
  assert_string_equal(t.bodies[1], "b2");
  reopen(f);
  taker all = {.accept = XS_OFFLINE_MAX};
  assert_int_equal(xs_offline_take(f->st, "alice@" DOMAIN, take_some, &all), 0);
  assert_int_equal(all.seen, 3);
  assert_string_equal(all.bodies[0], "b3");
  assert_string_equal(all.bodies[2], "b5");
  taker none = {.accept = XS_OFFLINE_MAX};
  assert_int_equal(xs_offline_take(f->st, "alice@" DOMAIN, take_some, &none), 0);
  assert_int_equal(none.seen, 0);
}

static void put_body(fixture *f, const char *body) {
  char xml[128];
  snprintf(xml, sizeof(xml), "<message xmlns='jabber:client' to='alice@" DOMAIN "'><body>%s</body></message>", body);
  xmppim_stanza *m;
  assert_int_equal(xmppim_stanza_parse(&m, xml, strlen(xml), NULL, NULL), 0);
  assert_int_equal(xs_offline_put(f->st, "alice@" DOMAIN, m), 0);
  xmppim_stanza_free(m);
}

/* A row damaged on disk would block every later message forever: it is
 * dropped, said so, and the rest are delivered. */
static void test_offline_damaged_row_is_dropped(void **state) {
  fixture *f = *state;
  add_user(f, "alice");
  put_body(f, "first");
  put_body(f, "second");
  sqlite3 *db = peek(f);
  exec_sql(db, "UPDATE offline_message SET xml = '<message><body>trunc' WHERE seq = (SELECT min(seq) FROM "
               "offline_message)");
  taker t = {.accept = XS_OFFLINE_MAX};
  assert_int_equal(xs_offline_take(f->st, "alice@" DOMAIN, take_some, &t), 0);
  assert_int_equal(t.seen, 1);
  assert_string_equal(t.bodies[0], "second");
  assert_non_null(strstr(xs_store_error(f->st), "damaged"));
  assert_int_equal(query_int(db, "SELECT count(*) FROM offline_message"), 0);
  sqlite3_close(db);
}

/* ---- last presence ---- */

static void test_last_presence(void **state) {
  fixture *f = *state;
  add_user(f, "alice");
  add_user(f, "bob");
  /* A remote contact who sees Alice's presence (subscription 'from'):
   * the core answers remote probes from the store (RFC 6121 R4.3.2-g);
   * local contacts only ever see the available resources. */
  bind_resource(f, "alice@" DOMAIN "/r");
  send_remote(f, "<presence from='carol@remote.test' to='alice@" DOMAIN "' type='subscribe'/>");
  send_from(f, "alice@" DOMAIN "/r", "<presence to='carol@remote.test' type='subscribed'/>");
  send_from(f, "alice@" DOMAIN "/r", "<presence><status>here</status></presence>");
  send_from(f, "alice@" DOMAIN "/r", "<presence type='unavailable'><status>off to bed</status></presence>");
  unbind(f, "alice@" DOMAIN "/r");
  reopen(f);
  clear_log(f);
  send_remote(f, "<presence from='carol@remote.test/x' to='alice@" DOMAIN "' type='probe' id='p1'/>");
  /* The full XML kept, stamped when it was received (R4.3.2-i). */
  assert_int_equal(count_lines(f, "route:carol@remote.test/x|", "type='unavailable'", "from='alice@" DOMAIN "/r'",
                               "<status>off to bed</status>", "<delay xmlns='urn:xmpp:delay' from='" DOMAIN "'",
                               NULL),
                   1);

  /* Replaced by the next one; forgotten with NULL. */
  xmppim_stanza *p, *got;
  const char *xml = "<presence xmlns='jabber:client' type='unavailable' from='alice@" DOMAIN
                    "/w'><status>second</status></presence>";
  assert_int_equal(xmppim_stanza_parse(&p, xml, strlen(xml), NULL, NULL), 0);
  assert_int_equal(xs_last_presence_put(f->st, "alice@" DOMAIN, p), 0);
  xmppim_stanza_free(p);
  assert_int_equal(xs_last_presence_get(f->st, "alice@" DOMAIN, &got), 0);
  assert_non_null(got);
  assert_string_equal(xmppim_stanza_text(xmppim_stanza_find_child(got, "status", NULL)), "second");
  assert_non_null(xmppim_stanza_find_child(got, "delay", "urn:xmpp:delay"));
  xmppim_stanza_free(got);
  assert_int_equal(xs_last_presence_put(f->st, "alice@" DOMAIN, NULL), 0);
  reopen(f);
  got = (xmppim_stanza *)1;
  assert_int_equal(xs_last_presence_get(f->st, "alice@" DOMAIN, &got), 0);
  assert_null(got);
}

/* ---- failures ---- */

static void test_database_failure_is_an_error(void **state) {
  fixture *f = *state;
  add_user(f, "alice");
  add_user(f, "bob");
  bind_resource(f, "alice@" DOMAIN "/r");
  /* Broken behind the store's back, as a full disk or a damaged file
   * would break it: every statement on those tables now fails. */
  sqlite3 *db = peek(f);
  exec_sql(db, "DROP TABLE offline_message");
  exec_sql(db, "DROP TABLE last_presence");
  clear_log(f);
  send_from(f, "alice@" DOMAIN "/r", "<message to='bob@" DOMAIN "' id='m1'><body>x</body></message>");
  assert_int_equal(count_lines(f, "alice@" DOMAIN "/r|", "id='m1'", "type='error'", "service-unavailable", NULL), 1);
  assert_non_null(strstr(xs_store_error(f->st), "offline_message"));
  send_from(f, "alice@" DOMAIN "/r", "<presence/>");
  send_from(f, "alice@" DOMAIN "/r", "<presence type='unavailable'/>");
  assert_non_null(strstr(xs_store_error(f->st), "last_presence"));

  exec_sql(db, "DROP TABLE contact");
  sqlite3_close(db);
  clear_log(f);
  send_from(f, "alice@" DOMAIN "/r", "<iq type='set' id='s1'><query xmlns='jabber:iq:roster'><item jid='bob@" DOMAIN
            "'/></query></iq>");
  assert_int_equal(count_lines(f, "id='s1'", "type='error'", "internal-server-error", NULL), 1);
  assert_int_equal(count_lines(f, "jabber:iq:roster", "type='set'", NULL), 0); /* no push */
  assert_non_null(strstr(xs_store_error(f->st), "contact"));
  unbind(f, "alice@" DOMAIN "/r");
  /* The roster no longer loads: the user cannot bind, nothing crashed. */
  xmppim_jid *j = jid("alice@" DOMAIN "/again");
  assert_int_equal(xmppim_server_resource_bound(f->srv, j), XMPPIM_ERR_INTERNAL);
  xmppim_jid_free(j);
  /* The accounts still answer. */
  assert_int_equal(xs_store_user_exists(f->st, "alice"), 1);
}

static void test_bad_files_are_refused(void **state) {
  fixture *f = *state;
  char path[160], err[256];
  xs_store *st = (xs_store *)1;

  snprintf(path, sizeof(path), "%s/garbage.db", f->dir);
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  for (int i = 0; i < 256; i++) fputs("this is not an SQLite database, only text. ", fp);
  fclose(fp);
  assert_true(xs_store_open(&st, path, DOMAIN, err, sizeof(err)) < 0);
  assert_null(st);
  assert_non_null(strstr(err, path));
  assert_non_null(strstr(err, "not a database"));

  snprintf(path, sizeof(path), "%s/no/such/dir/x.db", f->dir);
  assert_true(xs_store_open(&st, path, DOMAIN, err, sizeof(err)) < 0);
  assert_non_null(strstr(err, "cannot open"));

  snprintf(path, sizeof(path), "%s/a-directory.db", f->dir);
  assert_int_equal(mkdir(path, 0700), 0);
  assert_true(xs_store_open(&st, path, DOMAIN, err, sizeof(err)) < 0);
  assert_true(strlen(err) > 0);

  /* A file of a later schema is not touched. */
  snprintf(path, sizeof(path), "%s/newer.db", f->dir);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  exec_sql(db, "PRAGMA user_version = 99");
  sqlite3_close(db);
  assert_true(xs_store_open(&st, path, DOMAIN, err, sizeof(err)) < 0);
  assert_non_null(strstr(err, "newer"));

  assert_int_equal(xs_store_open(&st, f->path, "Not A Domain!", err, sizeof(err)), XS_ERR_BAD_INPUT);
  assert_true(strlen(err) > 0);
  assert_int_equal(xs_store_open(&st, NULL, DOMAIN, err, sizeof(err)), XS_ERR_BAD_INPUT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_roster_survives_reopen, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_user_is_not_found, setup, teardown),
      cmocka_unit_test_setup_teardown(test_accounts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_delete_takes_everything, setup, teardown),
      cmocka_unit_test_setup_teardown(test_scram_lookup, setup, teardown),
      cmocka_unit_test_setup_teardown(test_offline_cap_order_and_stamp, setup, teardown),
      cmocka_unit_test_setup_teardown(test_offline_take_keeps_what_was_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_offline_damaged_row_is_dropped, setup, teardown),
      cmocka_unit_test_setup_teardown(test_last_presence, setup, teardown),
      cmocka_unit_test_setup_teardown(test_database_failure_is_an_error, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_files_are_refused, setup, teardown),
  };
  return cmocka_run_group_tests_name("xs_store", tests, NULL, NULL);
}
