/*
 * RFC 6121 section 2 on the server core: roster gets, sets, pushes and
 * versioning, driven through real client and server sessions
 * (tests/common/hub.c). Each test names the requirement IDs it checks
 * (/work/shared/spec/rfc6121-requirements.md, "R2 Managing the roster").
 *
 * The client session keeps IQ results and errors for itself (they answer
 * its own requests), so they never reach the hub's log. The IQs of these
 * tests therefore go out through xmppim_session_send_iq(), whose callback
 * writes the answer into the client's log where it arrived, between the
 * pushes: iq() below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hub.h"

#define ALICE "alice@example.com"
#define BOB "bob@example.com"
#define JULIET "juliet@remote.example"
#define STANZAS_NS "urn:ietf:params:xml:ns:xmpp-stanzas"

/* ---- helpers ---- */

static void log_append(hub_client *c, const char *line) {
  size_t n = strlen(line);
  if (c->log_len + n + 2 > sizeof(c->log)) fail_msg("log of %s full", c->jid);
  memcpy(c->log + c->log_len, line, n);
  c->log_len += n;
  c->log[c->log_len++] = '\n';
  c->log[c->log_len] = '\0';
}

typedef struct answer_ctx {
  hub_client *c;
  int got;
  char xml[16384];
} answer_ctx;

static answer_ctx g_answer;

static void on_answer(xmppim_session *s, xmppim_stanza *result, void *ud) {
  (void)s;
  answer_ctx *a = ud;
  a->got = 1;
  if (!result) {
    snprintf(a->xml, sizeof(a->xml), "(no answer)");
    return;
  }
  size_t need = 0;
  if (xmppim_stanza_serialize(result, "jabber:client", a->xml, sizeof(a->xml), &need) != 0)
    snprintf(a->xml, sizeof(a->xml), "(answer too long)");
  log_append(a->c, a->xml);
}

/* Parses a stanza written without its namespace. */
static xmppim_stanza *parse_ns(const char *xml, const char *ns) {
  char buf[8192];
  size_t name_end = strcspn(xml, " />");
  snprintf(buf, sizeof(buf), "%.*s xmlns='%s'%s", (int)name_end, xml, ns, xml + name_end);
  xmppim_stanza *st;
  int rv = xmppim_stanza_parse(&st, buf, strlen(buf), NULL, NULL);
  if (rv) fail_msg("cannot parse %s: %d", buf, rv);
  return st;
}

/* Sends an IQ get or set from the client (the session gives it its own id)
 * and pumps; the answer is returned and logged where it arrived. */
static const char *iq(hub *h, hub_client *c, const char *xml) {
  xmppim_stanza *st = parse_ns(xml, "jabber:client");
  memset(&g_answer, 0, sizeof(g_answer));
  g_answer.c = c;
  int rv = xmppim_session_send_iq(c->c, st, on_answer, &g_answer);
  xmppim_stanza_free(st);
  assert_int_equal(rv, 0);
  hub_pump(h);
  if (!g_answer.got) fail_msg("no answer to %s", xml);
  return g_answer.xml;
}

static const char *iqf(hub *h, hub_client *c, const char *fmt, ...) {
  char buf[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  return iq(h, c, buf);
}

static int occurrences(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

/* Line n (from 0) of the log holding every given substring, copied into out. */
static int nth_line(const hub_client *c, int n, char *out, size_t cap, ...) {
  const char *line = c->log;
  while (*line) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    char buf[16384];
    if (len >= sizeof(buf)) len = sizeof(buf) - 1;
    memcpy(buf, line, len);
    buf[len] = '\0';
    va_list ap;
    va_start(ap, cap);
    int all = 1;
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
      if (!strstr(buf, s)) all = 0;
    va_end(ap);
    if (all && n-- == 0) {
      if (len >= cap) len = cap - 1;
      memcpy(out, buf, len);
      out[len] = '\0';
      return 0;
    }
    line += len + (end ? 1 : 0);
  }
  out[0] = '\0';
  return -1;
}

static int lines(const hub_client *c) { return hub_count(c, "<", (char *)NULL); }

static int pushes(const hub_client *c) {
  return hub_count(c, "<iq type='set'", "<query xmlns='jabber:iq:roster'", (char *)NULL);
}

/* Push n (from 0) of the client's log. */
static void push_at(const hub_client *c, int n, char *out, size_t cap) {
  if (nth_line(c, n, out, cap, "<iq type='set'", "<query xmlns='jabber:iq:roster'", (char *)NULL) != 0)
    fail_msg("no push %d in the log of %s:\n%s", n, c->jid, c->log);
}

/* The value of the first ` name='...'` in s (after the first occurrence of
 * `after` when given). */
static void attr(const char *s, const char *after, const char *name, char *out, size_t cap) {
  if (after) {
    const char *p = strstr(s, after);
    if (!p) fail_msg("no %s in %s", after, s);
    s = p;
  }
  char pat[64];
  snprintf(pat, sizeof(pat), " %s='", name);
  const char *p = strstr(s, pat);
  if (!p) fail_msg("no %s in %s", name, s);
  p += strlen(pat);
  size_t len = strcspn(p, "'");
  if (len >= cap) len = cap - 1;
  memcpy(out, p, len);
  out[len] = '\0';
}

static void query_ver(const char *s, char *out, size_t cap) {
  attr(s, "<query xmlns='jabber:iq:roster'", "ver", out, cap);
}

/* NULL is checked first: gcc -O2 with sanitizers otherwise sees a path
 * where the %s argument is NULL (-Wformat-overflow). */
static void assert_contains(const char *s, const char *needle) {
  if (!s) fail_msg("expected\n  %s\nin nothing", needle);
  else if (!strstr(s, needle)) fail_msg("expected\n  %s\nin\n  %s", needle, s);
}

static void assert_lacks(const char *s, const char *needle) {
  if (s && strstr(s, needle)) fail_msg("did not expect\n  %s\nin\n  %s", needle, s);
}

static void assert_stanza_error(const char *ans, const char *type, const char *cond) {
  char want[256];
  assert_contains(ans, "type='error'");
  if (type)
    snprintf(want, sizeof(want), "<error type='%s'><%s xmlns='" STANZAS_NS "'/>", type, cond);
  else
    snprintf(want, sizeof(want), "<%s xmlns='" STANZAS_NS "'/>", cond);
  assert_contains(ans, want);
}

/* An IQ result with nothing in it (a set's answer, or "deltas follow"). */
static void assert_empty_result(const char *ans) {
  if (strncmp(ans, "<iq type='result'", 17) != 0 || strstr(ans, "<query") || strstr(ans, "<error") ||
      strcmp(ans + strlen(ans) - 2, "/>") != 0)
    fail_msg("expected an empty IQ result, got %s", ans);
}

/* A full roster result with this version and item count (R2.1.4-a). */
static void assert_full_roster(const char *ans, const char *ver, int items) {
  if (strncmp(ans, "<iq type='result'", 17) != 0) fail_msg("expected a roster result, got %s", ans);
  char want[128];
  snprintf(want, sizeof(want), "<query xmlns='jabber:iq:roster' ver='%s'", ver);
  assert_contains(ans, want);
  if (occurrences(ans, "<item ") != items) fail_msg("expected %d items in %s", items, ans);
}

static const char *store_ver(hub *h, const char *user) {
  const char *v = xmppim_memory_store_version(h->store, user);
  return v ? v : "(none)";
}

static void clear_routed(hub *h) {
  for (size_t i = 0; i < h->nrouted; i++) free(h->routed[i]);
  h->nrouted = 0;
}

static int routed_count(const hub *h, ...) {
  int n = 0;
  for (size_t i = 0; i < h->nrouted; i++) {
    va_list ap;
    va_start(ap, h);
    int all = 1;
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
      if (!strstr(h->routed[i], s)) all = 0;
    va_end(ap);
    n += all;
  }
  return n;
}

/* Processes a stanza as if a remote server sent it (the host verified it),
 * in jabber:server as a server-to-server stream reads it: the core takes
 * it into jabber:client before anything reaches a client. */
static void from_remote(hub *h, const char *xml) {
  xmppim_stanza *st = parse_ns(xml, "jabber:server");
  assert_int_equal(xmppim_server_handle_stanza(h->srv, NULL, st), 1);
  xmppim_stanza_free(st);
  hub_pump(h);
}

static void start(hub *h, const xmppim_server_options *opts) {
  hub_init(h, opts);
  hub_add_user(h, ALICE);
  hub_add_user(h, BOB);
}

/* A roster set of one plain item that must succeed. */
static void add(hub *h, hub_client *c, const char *jid) {
  assert_empty_result(iqf(h, c, "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='%s'/></query></iq>", jid));
}

static void set_named(hub *h, hub_client *c, const char *jid, const char *name) {
  assert_empty_result(
      iqf(h, c, "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='%s' name='%s'/></query></iq>", jid, name));
}

static void del(hub *h, hub_client *c, const char *jid) {
  assert_empty_result(iqf(
      h, c, "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='%s' subscription='remove'/></query></iq>", jid));
}

static void get_full(hub *h, hub_client *c, char *out, size_t cap) {
  snprintf(out, cap, "%s", iq(h, c, "<iq type='get'><query xmlns='jabber:iq:roster'/></iq>"));
}

/* A refused set changes nothing: same store contents and version, no push
 * to anyone. */
typedef struct snap {
  size_t contacts;
  char ver[64];
} snap;

static snap take(hub *h, const char *user) {
  snap s;
  s.contacts = xmppim_memory_store_contact_count(h->store, user);
  snprintf(s.ver, sizeof(s.ver), "%s", store_ver(h, user));
  return s;
}

static void assert_same(hub *h, const char *user, snap before) {
  assert_int_equal(xmppim_memory_store_contact_count(h->store, user), before.contacts);
  assert_string_equal(store_ver(h, user), before.ver);
}

static void assert_refused(hub *h, hub_client *c, const char *xml, const char *type, const char *cond) {
  snap s = take(h, ALICE);
  hub_clear_log(c);
  assert_stanza_error(iq(h, c, xml), type, cond);
  assert_int_equal(pushes(c), 0);
  assert_same(h, ALICE, s);
}

static void assert_cached(const hub_client *c, const char *jid, const char *name, xmppim_sub_state st, size_t ngroups,
                          ...) {
  const xmppim_roster_item *it = xmppim_roster_find(c->roster, jid);
  if (!it) fail_msg("%s has no cached item for %s", c->jid, jid);
  if (name)
    assert_string_equal(xmppim_roster_item_name(it), name);
  else
    assert_null(xmppim_roster_item_name(it));
  assert_int_equal(xmppim_roster_item_state(it), st);
  assert_int_equal(xmppim_roster_item_group_count(it), ngroups);
  va_list ap;
  va_start(ap, ngroups);
  for (size_t i = 0; i < ngroups; i++) assert_string_equal(xmppim_roster_item_group(it, i), va_arg(ap, const char *));
  va_end(ap);
}

/* ---- R2.1.4: retrieving ---- */

/* R2.1.4-d: the store knows no such user. The core cannot answer a roster
 * get for them with item-not-found, since such a user never gets a bound
 * resource: xmppim_server_resource_bound() says XMPPIM_ERR_NOT_FOUND and the
 * host refuses the session; a stanza claiming to come from that resource is
 * refused too. */
static void R2_1_4_d_unknown_user_cannot_bind(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  xmppim_jid *j;
  assert_int_equal(xmppim_jid_new(&j, "nobody@example.com/x", strlen("nobody@example.com/x"), NULL), 0);
  assert_int_equal(xmppim_server_resource_bound(h.srv, j), XMPPIM_ERR_NOT_FOUND);
  /* Nothing was kept: not bound, and a second try answers the same. */
  assert_int_equal(xmppim_server_resource_unbound(h.srv, j), XMPPIM_ERR_NOT_FOUND);
  assert_int_equal(xmppim_server_resource_bound(h.srv, j), XMPPIM_ERR_NOT_FOUND);
  xmppim_stanza *st = parse_ns("<iq type='get' id='g1'><query xmlns='jabber:iq:roster'/></iq>", "jabber:client");
  assert_int_equal(xmppim_server_handle_stanza(h.srv, j, st), XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_stanza_free(st);
  xmppim_jid_free(j);
  /* A known user with an empty roster binds (R2.1.4-c: an empty roster is no error). */
  assert_int_equal(xmppim_jid_new(&j, "alice@example.com/x", strlen("alice@example.com/x"), NULL), 0);
  assert_int_equal(xmppim_server_resource_bound(h.srv, j), 0);
  assert_int_equal(xmppim_server_resource_unbound(h.srv, j), 0);
  xmppim_jid_free(j);
  hub_free(&h);
}

/* An allocator that refuses large blocks while armed: a roster too big
 * for the memory the host allows. */
typedef struct budget_mem {
  xmppim_mem mem;
  size_t max; /* 0: no limit */
  int refused;
} budget_mem;
static void *budget_malloc(size_t n, void *ud) {
  budget_mem *b = ud;
  if (b->max && n > b->max) {
    b->refused++;
    return NULL;
  }
  return malloc(n);
}
static void *budget_calloc(size_t n, size_t size, void *ud) {
  budget_mem *b = ud;
  if (b->max && n * size > b->max) {
    b->refused++;
    return NULL;
  }
  return calloc(n, size);
}
static void *budget_realloc(void *p, size_t n, void *ud) {
  budget_mem *b = ud;
  if (b->max && n > b->max) {
    b->refused++;
    return NULL;
  }
  return realloc(p, n);
}
static void budget_free(void *p, void *ud) {
  (void)ud;
  free(p);
}

/* R2.2-e: a roster get the server cannot process (here: the result needs
 * more memory than it may take) is answered with a stanza error,
 * internal-server-error, not left unanswered. */
static void R2_2_e_roster_get_that_cannot_be_processed(void **state) {
  (void)state;
  budget_mem b = {{NULL, budget_malloc, budget_free, budget_calloc, budget_realloc}, 0, 0};
  b.mem.user_data = &b;
  hub h;
  hub_init_mem(&h, NULL, &b.mem);
  hub_add_user(&h, ALICE);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  for (int i = 0; i < 200; i++) {
    char jid[64];
    snprintf(jid, sizeof(jid), "contact%03d@example.net", i);
    add(&h, a, jid);
    hub_clear_log(a);
  }
  b.max = 8 * 1024; /* the result is about 20 KB */
  const char *ans = iq(&h, a, "<iq type='get'><query xmlns='jabber:iq:roster'/></iq>");
  assert_true(b.refused > 0);
  assert_contains(ans, "type='error'");
  assert_contains(ans, "<internal-server-error xmlns='" STANZAS_NS "'/>");
  b.max = 0;
  ans = iq(&h, a, "<iq type='get'><query xmlns='jabber:iq:roster'/></iq>");
  assert_contains(ans, "<iq type='result'");
  assert_contains(ans, "contact199@example.net");
  hub_free(&h);
}

/* R2.1.4-b, R2.1.4-c: an existing empty roster is an empty <query/> in a
 * result, never an error; R2.6.3-l: with its version. */
static void R2_1_4_b_c_empty_roster_is_empty_query(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 0);
  const char *ans = iq(&h, a, "<iq type='get'><query xmlns='jabber:iq:roster'/></iq>");
  assert_lacks(ans, "<error");
  assert_contains(ans, "<iq type='result'");
  assert_contains(ans, " to='alice@example.com/home'");
  char ver[64];
  query_ver(ans, ver, sizeof(ver));
  assert_true(ver[0] != '\0');
  char want[160];
  snprintf(want, sizeof(want), "<query xmlns='jabber:iq:roster' ver='%s'/></iq>", ver);
  assert_contains(ans, want);
  assert_int_equal(pushes(a), 0);
  hub_free(&h);
}

/* R2-b, R2.1.4-a, R2.1.2-a (one item per contact, each once), R2-a (kept
 * as given: names and groups with markup, spaces and non-ASCII, the group
 * order), also after the roster was unloaded and loaded from the store. */
static void R2_b_R2_1_4_a_R2_a_full_roster_as_stored(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  assert_empty_result(iq(&h, a,
                         "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' "
                         "name='Bob &amp; &lt;Co&gt; \xc3\xa9t\xc3\xa9  two spaces'><group>Zeta</group>"
                         "<group>&lt;A&amp;B&gt;</group><group>\xe5\x8f\x8b</group></item></query></iq>"));
  add(&h, a, "carol@example.com");
  set_named(&h, a, JULIET, "Juliet");
  const char *bob_item =
      "<item jid='bob@example.com' name='Bob &amp; &lt;Co&gt; \xc3\xa9t\xc3\xa9  two spaces' "
      "subscription='none'><group>Zeta</group><group>&lt;A&amp;B&gt;</group>"
      "<group>\xe5\x8f\x8b</group></item>";
  for (int round = 0; round < 2; round++) {
    char ans[16384];
    get_full(&h, a, ans, sizeof(ans));
    assert_full_roster(ans, store_ver(&h, ALICE), 3);
    assert_int_equal(occurrences(ans, bob_item), 1);
    assert_int_equal(occurrences(ans, "<item jid='carol@example.com' subscription='none'/>"), 1);
    assert_int_equal(occurrences(ans, "<item jid='juliet@remote.example' name='Juliet' subscription='none'/>"), 1);
    /* Unload (the last resource goes) and reload (a new one binds). */
    hub_disconnect(&h, a);
    a = hub_connect(&h, "alice", round ? "again2" : "again", 0);
  }
  hub_free(&h);
}

/* ---- R2-c: only the owner ---- */

/* R2-c, R2.1.5-c, R2.3.3-b: a get or a set addressed to another local
 * user's bare JID is forbidden (type auth) and changes nothing; addressed to
 * the sender's own bare JID it is the sender's own roster. */
static void R2_c_R2_1_5_c_R2_3_3_b_other_users_roster_forbidden(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_client *b = hub_connect(&h, "bob", "work", 1);
  add(&h, b, "carol@example.com");
  hub_clear_log(a);
  hub_clear_log(b);
  snap bs = take(&h, BOB), as = take(&h, ALICE);

  const char *ans = iq(&h, a, "<iq type='get' to='bob@example.com'><query xmlns='jabber:iq:roster'/></iq>");
  assert_stanza_error(ans, "auth", "forbidden");
  assert_lacks(ans, "carol@example.com"); /* nothing of bob's roster leaks */
  ans = iq(&h, a,
           "<iq type='set' to='bob@example.com'><query xmlns='jabber:iq:roster'><item jid='mallory@example.com'/>"
           "</query></iq>");
  assert_stanza_error(ans, "auth", "forbidden");
  ans = iq(&h, a,
           "<iq type='set' to='bob@example.com'><query xmlns='jabber:iq:roster'><item jid='carol@example.com' "
           "subscription='remove'/></query></iq>");
  assert_stanza_error(ans, "auth", "forbidden");
  assert_same(&h, BOB, bs);
  assert_same(&h, ALICE, as);
  assert_int_equal(pushes(a), 0);
  assert_int_equal(lines(b), 0);
  assert_non_null(xmppim_roster_find(b->roster, "carol@example.com"));
  assert_null(xmppim_roster_find(b->roster, "mallory@example.com"));

  /* R2.1.5-c: 'to' set to the own bare JID is fine. */
  hub_clear_log(a);
  assert_empty_result(iq(&h, a,
                         "<iq type='set' to='alice@example.com'><query xmlns='jabber:iq:roster'><item "
                         "jid='dave@example.com'/></query></iq>"));
  assert_int_equal(pushes(a), 1);
  /* Compared after preparation. */
  assert_empty_result(iq(&h, a,
                         "<iq type='set' to='ALICE@Example.COM'><query xmlns='jabber:iq:roster'><item "
                         "jid='dave@example.com' name='D'/></query></iq>"));
  assert_int_equal(pushes(a), 2);
  ans = iq(&h, a, "<iq type='get' to='alice@example.com'><query xmlns='jabber:iq:roster'/></iq>");
  assert_full_roster(ans, store_ver(&h, ALICE), 1);
  assert_contains(ans, "<item jid='dave@example.com' name='D' subscription='none'/>");
  assert_int_equal(lines(b), 0);
  hub_free(&h);
}

/* R2-c: a remote entity asking for a local user's roster gets forbidden
 * back through the router, and sees nothing of it. */
static void R2_c_remote_entity_forbidden(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  add(&h, a, "bob@example.com");
  hub_clear_log(a);
  snap as = take(&h, ALICE);
  from_remote(&h,
              "<iq type='get' id='r1' from='juliet@remote.example/balcony' to='alice@example.com'>"
              "<query xmlns='jabber:iq:roster'/></iq>");
  from_remote(&h,
              "<iq type='set' id='r2' from='juliet@remote.example/balcony' to='alice@example.com'>"
              "<query xmlns='jabber:iq:roster'><item jid='romeo@example.com'/></query></iq>");
  assert_int_equal(h.nrouted, 2);
  for (size_t i = 0; i < 2; i++) {
    assert_contains(h.routed[i], "type='error'");
    assert_contains(h.routed[i], "to='juliet@remote.example/balcony'");
    assert_contains(h.routed[i], "<error type='auth'><forbidden xmlns='" STANZAS_NS "'/>");
    assert_lacks(h.routed[i], "bob@example.com");
  }
  assert_contains(h.routed[0], "id='r1'");
  assert_contains(h.routed[1], "id='r2'");
  assert_same(&h, ALICE, as);
  assert_int_equal(lines(a), 0);
  hub_free(&h);
}

/* ---- R2.3.3: what a set may hold ---- */

/* R2.1.2-a, R2.3.3-c (and R2.1.5-b, the client's rule): a set holds exactly
 * one item; none or two is bad-request (type modify). */
static void R2_1_2_a_R2_3_3_c_set_needs_exactly_one_item(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_client *p = hub_connect(&h, "alice", "phone", 1);
  assert_refused(&h, a, "<iq type='set'><query xmlns='jabber:iq:roster'/></iq>", "modify", "bad-request");
  assert_refused(&h, a,
                 "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com'/>"
                 "<item jid='carol@example.com'/></query></iq>",
                 "modify", "bad-request");
  /* Two items for the same contact are still two. */
  assert_refused(&h, a,
                 "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com'/>"
                 "<item jid='bob@example.com' subscription='remove'/></query></iq>",
                 "modify", "bad-request");
  assert_int_equal(pushes(p), 0);
  assert_int_equal(xmppim_memory_store_contact_count(h.store, ALICE), 0);
  hub_free(&h);
}

/* R2.1.2.3-a: an item without a jid is bad-request; an item must name a bare
 * JID (a full JID is bad-request, a malformed one jid-malformed); the jid
 * identifies the item after preparation. */
static void R2_1_2_3_a_item_needs_jid(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  assert_refused(&h, a, "<iq type='set'><query xmlns='jabber:iq:roster'><item name='x'/></query></iq>", "modify",
                 "bad-request");
  assert_refused(&h, a,
                 "<iq type='set'><query xmlns='jabber:iq:roster'><item name='x' subscription='remove'/></query></iq>",
                 "modify", "bad-request");
  assert_refused(&h, a,
                 "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com/work'/></query></iq>",
                 "modify", "bad-request");
  assert_refused(&h, a, "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='@example.com'/></query></iq>",
                 "modify", "jid-malformed");
  /* Differently cased, the same contact: one item, updated. */
  hub_clear_log(a);
  set_named(&h, a, "Bob@EXAMPLE.com", "One");
  set_named(&h, a, "bob@example.com", "Two");
  char push[8192];
  push_at(a, 0, push, sizeof(push));
  assert_contains(push, "<item jid='bob@example.com' name='One' subscription='none'/>");
  char ans[16384];
  get_full(&h, a, ans, sizeof(ans));
  assert_full_roster(ans, store_ver(&h, ALICE), 1);
  assert_contains(ans, "<item jid='bob@example.com' name='Two' subscription='none'/>");
  hub_free(&h);
}

/* R2.1.3-b is the client's rule (no items in a get); the server refuses
 * such a get with bad-request rather than guess, and that get does not make
 * the resource interested (R2.2-b). */
static void R2_1_3_b_get_with_item_refused(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_client *l = hub_connect(&h, "alice", "lurk", 0);
  assert_stanza_error(
      iq(&h, l, "<iq type='get'><query xmlns='jabber:iq:roster'><item jid='bob@example.com'/></query></iq>"), "modify",
      "bad-request");
  add(&h, a, BOB);
  assert_int_equal(pushes(l), 0);
  hub_free(&h);
}

/* R2.1.2.5-e: in a set every subscription value but "remove" is ignored: a
 * new item is "none", an existing one keeps its state. */
static void R2_1_2_5_e_subscription_in_set_ignored(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_clear_log(a);
  assert_empty_result(iq(&h, a,
                         "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' "
                         "subscription='both'/></query></iq>"));
  char push[8192];
  push_at(a, 0, push, sizeof(push));
  assert_contains(push, "<item jid='bob@example.com' subscription='none'/>");
  assert_cached(a, BOB, NULL, XMPPIM_SUB_STATE_NONE, 0);

  /* juliet's item is "to" after a real subscription... */
  hub_send(&h, a, "<presence type='subscribe' to='juliet@remote.example'/>");
  from_remote(&h, "<presence type='subscribed' from='juliet@remote.example' to='alice@example.com'/>");
  assert_cached(a, JULIET, NULL, XMPPIM_SUB_STATE_TO, 0);
  /* ...and a set claiming "none", "from" or a made-up value leaves it so. */
  const char *claims[] = {"none", "from", "bogus"};
  for (size_t i = 0; i < 3; i++) {
    hub_clear_log(a);
    assert_empty_result(iqf(&h, a,
                            "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='juliet@remote.example' "
                            "name='J%zu' subscription='%s'/></query></iq>",
                            i, claims[i]));
    assert_int_equal(pushes(a), 1);
    push_at(a, 0, push, sizeof(push));
    char want[128];
    snprintf(want, sizeof(want), "<item jid='juliet@remote.example' name='J%zu' subscription='to'/>", i);
    assert_contains(push, want);
  }
  assert_cached(a, JULIET, "J2", XMPPIM_SUB_STATE_TO, 0);
  hub_free(&h);
}

/* R2.1.2.1-c, R2.1.2.2-c bind the client; the server ignores 'ask' and
 * 'approved' in a set (see the checklist's note) and keeps its own: a new
 * item has neither, an existing pending-out or pre-approved item keeps it. */
static void R2_1_2_1_c_R2_1_2_2_c_ask_approved_in_set_ignored(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_clear_log(a);
  assert_empty_result(iq(&h, a,
                         "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' "
                         "ask='subscribe' approved='true'/></query></iq>"));
  char push[8192];
  push_at(a, 0, push, sizeof(push));
  assert_contains(push, "<item jid='bob@example.com' subscription='none'/>");
  assert_cached(a, BOB, NULL, XMPPIM_SUB_STATE_NONE, 0);
  assert_false(xmppim_roster_item_approved(xmppim_roster_find(a->roster, BOB)));

  /* Pending out towards carol (remote), pre-approved juliet. */
  hub_send(&h, a, "<presence type='subscribe' to='carol@remote.example'/>");
  hub_send(&h, a, "<presence type='subscribed' to='juliet@remote.example'/>");
  assert_cached(a, "carol@remote.example", NULL, XMPPIM_SUB_STATE_NONE_PENDING_OUT, 0);
  assert_true(xmppim_roster_item_approved(xmppim_roster_find(a->roster, JULIET)));
  hub_clear_log(a);
  assert_empty_result(iq(&h, a,
                         "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='carol@remote.example' "
                         "name='C' approved='true'/></query></iq>"));
  assert_empty_result(iq(&h, a,
                         "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='juliet@remote.example' "
                         "name='J' approved='false'/></query></iq>"));
  push_at(a, 0, push, sizeof(push));
  assert_contains(push, "<item jid='carol@remote.example' name='C' subscription='none' ask='subscribe'/>");
  push_at(a, 1, push, sizeof(push));
  assert_contains(push, "<item jid='juliet@remote.example' name='J' subscription='none' approved='true'/>");
  hub_free(&h);
}

/* R2.3.3-d: a group named twice is bad-request (type modify). R2.4.3-a: on
 * an existing item too, which stays as it was. */
static void R2_3_3_d_duplicate_group(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  assert_refused(&h, a,
                 "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com'>"
                 "<group>Friends</group><group>Work</group><group>Friends</group></item></query></iq>",
                 "modify", "bad-request");
  set_named(&h, a, BOB, "Bob");
  assert_refused(&h, a,
                 "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' name='X'>"
                 "<group>G</group><group>G</group></item></query></iq>",
                 "modify", "bad-request");
  assert_cached(a, BOB, "Bob", XMPPIM_SUB_STATE_NONE, 0);
  hub_free(&h);
}

static xmppim_server_options *small_limits(void) {
  xmppim_server_options *o;
  assert_int_equal(xmppim_server_options_new(&o), 0);
  assert_int_equal(xmppim_server_options_set_item_limits(o, 8, 6, 2), 0);
  return o;
}

/* R2.3.3-e: a name over the configured limit (8 bytes here) is
 * not-acceptable (type modify); at the limit it is fine. R2.4.3-a. */
static void R2_3_3_e_name_too_long(void **state) {
  (void)state;
  hub h;
  xmppim_server_options *o = small_limits();
  start(&h, o);
  xmppim_server_options_free(o);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  assert_refused(
      &h, a,
      "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' name='123456789'/></query></iq>",
      "modify", "not-acceptable");
  /* Bytes: five two-byte characters are ten. */
  assert_refused(&h, a,
                 "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' "
                 "name='\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9'/></query></iq>",
                 "modify", "not-acceptable");
  set_named(&h, a, BOB, "12345678");
  assert_cached(a, BOB, "12345678", XMPPIM_SUB_STATE_NONE, 0);
  assert_refused(
      &h, a,
      "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' name='abcdefghi'/></query></iq>",
      "modify", "not-acceptable");
  assert_cached(a, BOB, "12345678", XMPPIM_SUB_STATE_NONE, 0);
  hub_free(&h);
}

/* R2.3.3-f: an empty group is not-acceptable (type modify); no group at all
 * is how an item leaves every group (R2.1.2.6-d). */
static void R2_3_3_f_empty_group(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  assert_refused(
      &h, a, "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com'><group/></item></query></iq>",
      "modify", "not-acceptable");
  assert_refused(&h, a,
                 "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com'><group>A</group>"
                 "<group></group></item></query></iq>",
                 "modify", "not-acceptable");
  assert_null(xmppim_roster_find(a->roster, BOB));
  hub_free(&h);
}

/* R2.3.3-g: a group name over the limit (6 bytes here) is not-acceptable
 * (type modify); at the limit it is fine. */
static void R2_3_3_g_group_too_long(void **state) {
  (void)state;
  hub h;
  xmppim_server_options *o = small_limits();
  start(&h, o);
  xmppim_server_options_free(o);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  assert_refused(&h, a,
                 "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com'><group>A</group>"
                 "<group>1234567</group></item></query></iq>",
                 "modify", "not-acceptable");
  assert_empty_result(iq(&h, a,
                         "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com'>"
                         "<group>123456</group></item></query></iq>"));
  assert_cached(a, BOB, NULL, XMPPIM_SUB_STATE_NONE, 1, "123456");
  hub_free(&h);
}

/* R2.3.3-a ("other errors"): more groups than the limit (2 here) is
 * not-acceptable; the limit itself is fine. */
static void R2_3_3_a_too_many_groups(void **state) {
  (void)state;
  hub h;
  xmppim_server_options *o = small_limits();
  start(&h, o);
  xmppim_server_options_free(o);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  assert_refused(&h, a,
                 "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com'><group>A</group>"
                 "<group>B</group><group>C</group></item></query></iq>",
                 "modify", "not-acceptable");
  assert_empty_result(iq(&h, a,
                         "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com'><group>A</group>"
                         "<group>B</group></item></query></iq>"));
  assert_cached(a, BOB, NULL, XMPPIM_SUB_STATE_NONE, 2, "A", "B");
  hub_free(&h);
}

/* R2.3.3-a ("other errors"): a full roster refuses a new item with
 * resource-constraint (type wait); updates and removals still work, and a
 * removal makes room. */
static void R2_3_3_a_roster_full_resource_constraint(void **state) {
  (void)state;
  hub h;
  xmppim_server_options *o;
  assert_int_equal(xmppim_server_options_new(&o), 0);
  assert_int_equal(xmppim_server_options_set_max_roster_items(o, 2), 0);
  start(&h, o);
  xmppim_server_options_free(o);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  add(&h, a, "x1@example.com");
  add(&h, a, "x2@example.com");
  assert_refused(&h, a, "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='x3@example.com'/></query></iq>",
                 "wait", "resource-constraint");
  set_named(&h, a, "x1@example.com", "One");
  del(&h, a, "x2@example.com");
  add(&h, a, "x3@example.com");
  assert_int_equal(xmppim_roster_count(a->roster), 2);
  assert_cached(a, "x1@example.com", "One", XMPPIM_SUB_STATE_NONE, 0);
  assert_non_null(xmppim_roster_find(a->roster, "x3@example.com"));
  hub_free(&h);
}

/* R2.3.3-h: libxmppim allows an item for the user's own bare JID. */
static void R2_3_3_h_own_bare_jid_allowed(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_clear_log(a);
  set_named(&h, a, ALICE, "Me");
  char push[8192];
  push_at(a, 0, push, sizeof(push));
  assert_contains(push, "<item jid='alice@example.com' name='Me' subscription='none'/>");
  assert_cached(a, ALICE, "Me", XMPPIM_SUB_STATE_NONE, 0);
  hub_free(&h);
}

/* ---- R2.3.2, R2.4, R2.5: effects ---- */

/* R2.3.2-a: the item is created; R2.3.2-b: the sender gets a result;
 * R2.3.2-c, R2.2-c: every interested resource gets the push, the sender
 * included, and a connected resource that never asked for the roster gets
 * none (R2.2-b); R2.1.6-b: one item per push; R2.6.3-i: the new version. */
static void R2_3_2_a_b_c_add_result_and_pushes_to_interested_only(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_client *p = hub_connect(&h, "alice", "phone", 1);
  hub_client *l = hub_connect(&h, "alice", "lurk", 0);
  hub_send(&h, l, "<presence/>"); /* available, still not interested */
  hub_client *b = hub_connect(&h, "bob", "work", 1);
  hub_clear_log(a);
  hub_clear_log(p);
  hub_clear_log(l);
  hub_clear_log(b);
  const char *ans = iq(&h, a,
                       "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='carol@example.com' name='Carol'>"
                       "<group>Friends</group></item></query></iq>");
  assert_empty_result(ans);
  assert_contains(ans, " to='alice@example.com/home'");
  assert_int_equal(hub_count(a, "<iq type='result'", (char *)NULL), 1);
  assert_int_equal(xmppim_memory_store_contact_count(h.store, ALICE), 1);
  const char *item = "<item jid='carol@example.com' name='Carol' subscription='none'><group>Friends</group></item>";
  hub_client *interested[] = {a, p};
  for (size_t i = 0; i < 2; i++) {
    hub_client *c = interested[i];
    assert_int_equal(pushes(c), 1);
    char push[8192], want[256];
    push_at(c, 0, push, sizeof(push));
    snprintf(want, sizeof(want), "<iq type='set' id='xmppim-push-");
    assert_contains(push, want);
    snprintf(want, sizeof(want), " to='%s'", c->jid);
    assert_contains(push, want);
    snprintf(want, sizeof(want), "<query xmlns='jabber:iq:roster' ver='%s'>%s</query>", store_ver(&h, ALICE), item);
    assert_contains(push, want);
    assert_int_equal(occurrences(push, "<item "), 1);
    assert_cached(c, "carol@example.com", "Carol", XMPPIM_SUB_STATE_NONE, 1, "Friends");
  }
  assert_int_equal(lines(l), 0);
  assert_int_equal(lines(b), 0);
  /* The lurker becomes interested by asking. */
  char full[16384];
  get_full(&h, l, full, sizeof(full));
  assert_full_roster(full, store_ver(&h, ALICE), 1);
  assert_contains(full, item);
  hub_clear_log(l);
  add(&h, p, "dave@example.com");
  assert_int_equal(pushes(l), 1);
  assert_int_equal(pushes(a), 2);
  /* Interest belongs to the session: the same resource bound again has
   * to ask again. */
  hub_disconnect(&h, p);
  hub_client *p2 = hub_connect(&h, "alice", "phone", 0);
  add(&h, a, "erin@example.com");
  assert_int_equal(lines(p2), 0);
  assert_int_equal(pushes(l), 2);
  hub_free(&h);
}

/* R2.4.1-a: an update replaces the item exactly as given (the name and the
 * groups not given are gone); R2.4.2-a: result and push to every interested
 * resource; R2.1.2.6-d: no group at all leaves every group. */
static void R2_4_1_a_R2_4_2_a_update_replaces_item(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_client *p = hub_connect(&h, "alice", "phone", 1);
  assert_empty_result(iq(&h, a,
                         "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' name='Bob'>"
                         "<group>A</group><group>B</group></item></query></iq>"));
  hub_clear_log(a);
  hub_clear_log(p);
  assert_empty_result(iq(&h, p,
                         "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com'>"
                         "<group>C</group><group>A</group></item></query></iq>"));
  hub_client *both[] = {a, p};
  for (size_t i = 0; i < 2; i++) {
    assert_int_equal(pushes(both[i]), 1);
    char push[8192];
    push_at(both[i], 0, push, sizeof(push));
    assert_contains(push, "<item jid='bob@example.com' subscription='none'><group>C</group><group>A</group></item>");
    assert_cached(both[i], BOB, NULL, XMPPIM_SUB_STATE_NONE, 2, "C", "A");
  }
  assert_int_equal(hub_count(p, "<iq type='result'", (char *)NULL), 1);
  assert_int_equal(hub_count(a, "<iq type='result'", (char *)NULL), 0);
  /* No group at all: in none. */
  hub_clear_log(a);
  set_named(&h, a, BOB, "B");
  char push[8192];
  push_at(a, 0, push, sizeof(push));
  assert_contains(push, "<item jid='bob@example.com' name='B' subscription='none'/>");
  char full[16384];
  get_full(&h, a, full, sizeof(full));
  assert_full_roster(full, store_ver(&h, ALICE), 1);
  assert_contains(full, "<item jid='bob@example.com' name='B' subscription='none'/>");
  assert_cached(p, BOB, "B", XMPPIM_SUB_STATE_NONE, 0);
  hub_free(&h);
}

/* R2.4.1-b: an empty name is no name. */
static void R2_4_1_b_empty_name_is_no_name(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  set_named(&h, a, BOB, "Bob");
  hub_clear_log(a);
  assert_empty_result(iq(&h, a,
                         "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' name=''>"
                         "<group>G</group></item></query></iq>"));
  char push[8192];
  push_at(a, 0, push, sizeof(push));
  assert_contains(push, "<item jid='bob@example.com' subscription='none'><group>G</group></item>");
  assert_lacks(push, "name=");
  assert_cached(a, BOB, NULL, XMPPIM_SUB_STATE_NONE, 1, "G");
  set_named(&h, a, "carol@example.com", "");
  char full[16384];
  get_full(&h, a, full, sizeof(full));
  assert_lacks(full, "name=");
  hub_free(&h);
}

/* R2.5.2-a: a removal is answered with a result and pushed with
 * subscription='remove' (and only the jid) to every interested resource;
 * the item is gone from the store. */
static void R2_5_2_a_remove_result_and_push(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_client *p = hub_connect(&h, "alice", "phone", 1);
  hub_client *l = hub_connect(&h, "alice", "lurk", 0);
  assert_empty_result(iq(&h, a,
                         "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' name='Bob'>"
                         "<group>G</group></item></query></iq>"));
  add(&h, a, "carol@example.com");
  hub_clear_log(a);
  hub_clear_log(p);
  /* A remove item may carry more; it is still a removal. */
  assert_empty_result(iq(&h, p,
                         "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' name='x' "
                         "subscription='remove'><group>G</group></item></query></iq>"));
  hub_client *both[] = {a, p};
  for (size_t i = 0; i < 2; i++) {
    assert_int_equal(pushes(both[i]), 1);
    char push[8192], want[160];
    push_at(both[i], 0, push, sizeof(push));
    snprintf(want, sizeof(want),
             "<query xmlns='jabber:iq:roster' ver='%s'><item jid='bob@example.com' "
             "subscription='remove'/></query>",
             store_ver(&h, ALICE));
    assert_contains(push, want);
    assert_null(xmppim_roster_find(both[i]->roster, BOB));
    assert_non_null(xmppim_roster_find(both[i]->roster, "carol@example.com"));
  }
  assert_int_equal(lines(l), 0);
  assert_int_equal(xmppim_memory_store_contact_count(h.store, ALICE), 1);
  char full[16384];
  get_full(&h, a, full, sizeof(full));
  assert_full_roster(full, store_ver(&h, ALICE), 1);
  assert_lacks(full, "bob@example.com");
  hub_free(&h);
}

/* R2.5.3-a: removing an item that is not there is item-not-found (type
 * cancel, RFC 6120's usual type; the RFC 6121 example's modify is its
 * inconsistency), twice in a row included. */
static void R2_5_3_a_remove_missing_item_not_found(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  const char *rm =
      "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' "
      "subscription='remove'/></query></iq>";
  assert_refused(&h, a, rm, "cancel", "item-not-found");
  add(&h, a, BOB);
  del(&h, a, BOB);
  assert_refused(&h, a, rm, "cancel", "item-not-found");
  /* A contact that only asked (pending in, no item) has no item to remove. */
  from_remote(&h, "<presence type='subscribe' from='juliet@remote.example' to='alice@example.com'/>");
  assert_refused(&h, a,
                 "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='juliet@remote.example' "
                 "subscription='remove'/></query></iq>",
                 "cancel", "item-not-found");
  /* Nor is it in the roster a get returns (R2.1.4-a: items only). */
  char full[16384];
  get_full(&h, a, full, sizeof(full));
  assert_full_roster(full, store_ver(&h, ALICE), 0);
  assert_lacks(full, JULIET);
  hub_free(&h);
}

/* Brings alice's item for juliet (remote) into a subscription state. */
static void remote_state(hub *h, hub_client *a, int to, int from) {
  if (to) {
    hub_send(h, a, "<presence type='subscribe' to='juliet@remote.example'/>");
    from_remote(h, "<presence type='subscribed' from='juliet@remote.example' to='alice@example.com'/>");
  }
  if (from) {
    from_remote(h, "<presence type='subscribe' from='juliet@remote.example' to='alice@example.com'/>");
    hub_send(h, a, "<presence type='subscribed' to='juliet@remote.example'/>");
  }
  if (!to && !from) add(h, a, JULIET);
}

/* R2.5.2-b (To: unsubscribe), R2.5.2-c (From: unsubscribed), R2.5.2-d
 * (Both: both), each once, to the contact's bare JID from the user's bare
 * JID; None: no subscription presence at all. */
static void R2_5_2_b_c_d_remove_remote_contact(void **state) {
  (void)state;
  const struct {
    int to, from;
    xmppim_sub_state st;
    int unsubscribe, unsubscribed;
  } cases[] = {
      {1, 0, XMPPIM_SUB_STATE_TO, 1, 0},
      {0, 1, XMPPIM_SUB_STATE_FROM, 0, 1},
      {1, 1, XMPPIM_SUB_STATE_BOTH, 1, 1},
      {0, 0, XMPPIM_SUB_STATE_NONE, 0, 0},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    hub h;
    start(&h, NULL);
    hub_client *a = hub_connect(&h, "alice", "home", 1);
    hub_send(&h, a, "<presence/>");
    remote_state(&h, a, cases[i].to, cases[i].from);
    assert_cached(a, JULIET, NULL, cases[i].st, 0);
    clear_routed(&h);
    hub_clear_log(a);
    del(&h, a, JULIET);
    assert_int_equal(pushes(a), 1);
    char push[8192];
    push_at(a, 0, push, sizeof(push));
    assert_contains(push, "<item jid='juliet@remote.example' subscription='remove'/>");
    assert_null(xmppim_roster_find(a->roster, JULIET));
    assert_int_equal(routed_count(&h, "<presence", "type='unsubscribe'", (char *)NULL), cases[i].unsubscribe);
    assert_int_equal(routed_count(&h, "<presence", "type='unsubscribed'", (char *)NULL), cases[i].unsubscribed);
    int subs = cases[i].unsubscribe + cases[i].unsubscribed;
    /* From the bare JID, to the contact; besides them only the
     * unavailable presence of R3.2.2-f (when the contact had From). */
    assert_int_equal(
        routed_count(&h, "<presence", "from='alice@example.com'", "to='juliet@remote.example'", (char *)NULL), subs);
    assert_int_equal((int)h.nrouted - routed_count(&h, "type='unavailable'", (char *)NULL), subs);
    assert_int_equal(xmppim_memory_store_contact_count(h.store, ALICE), 0);
    hub_free(&h);
  }
}

/* The checklist's note under 2.5: a removal also drops a pending request
 * either way and a pre-approval. Pending out: the request is withdrawn
 * (unsubscribe); pending in: it is denied (unsubscribed) and not offered
 * again; pre-approved: a new item for the contact is not approved. */
static void R2_5_2_note_remove_drops_pending_and_approval(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_send(&h, a, "<presence/>");
  /* Pending out. */
  hub_send(&h, a, "<presence type='subscribe' to='juliet@remote.example'/>");
  assert_cached(a, JULIET, NULL, XMPPIM_SUB_STATE_NONE_PENDING_OUT, 0);
  clear_routed(&h);
  del(&h, a, JULIET);
  assert_int_equal(h.nrouted, 1);
  assert_int_equal(
      routed_count(&h, "type='unsubscribe'", "from='alice@example.com'", "to='juliet@remote.example'", (char *)NULL),
      1);
  /* Pending in, with an item the user added meanwhile. */
  from_remote(&h, "<presence type='subscribe' from='romeo@remote.example' to='alice@example.com'/>");
  assert_int_equal(hub_count(a, "<presence", "type='subscribe'", "from='romeo@remote.example'", (char *)NULL), 1);
  add(&h, a, "romeo@remote.example");
  clear_routed(&h);
  del(&h, a, "romeo@remote.example");
  assert_int_equal(h.nrouted, 1);
  assert_int_equal(
      routed_count(&h, "type='unsubscribed'", "from='alice@example.com'", "to='romeo@remote.example'", (char *)NULL),
      1);
  assert_int_equal(xmppim_memory_store_contact_count(h.store, ALICE), 0);
  hub_client *n = hub_connect(&h, "alice", "new", 1);
  hub_send(&h, n, "<presence/>");
  assert_int_equal(hub_count(n, "type='subscribe'", (char *)NULL), 0);
  /* Pre-approved. */
  hub_send(&h, a, "<presence type='subscribed' to='nurse@remote.example'/>");
  assert_true(xmppim_roster_item_approved(xmppim_roster_find(a->roster, "nurse@remote.example")));
  del(&h, a, "nurse@remote.example");
  hub_clear_log(a);
  add(&h, a, "nurse@remote.example");
  char push[8192];
  push_at(a, 0, push, sizeof(push));
  assert_contains(push, "<item jid='nurse@remote.example' subscription='none'/>");
  hub_free(&h);
}

/* R2.5.2-d with a local contact: bob gets alice's unsubscribe and
 * unsubscribed (from her bare JID) and his item for her ends "none",
 * pushed to him; alice's item is gone. */
static void R2_5_2_b_c_d_remove_local_contact(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_client *b = hub_connect(&h, "bob", "work", 1);
  hub_send(&h, a, "<presence/>");
  hub_send(&h, b, "<presence/>");
  hub_send(&h, a, "<presence type='subscribe' to='bob@example.com'/>");
  hub_send(&h, b, "<presence type='subscribed' to='alice@example.com'/>");
  hub_send(&h, b, "<presence type='subscribe' to='alice@example.com'/>");
  hub_send(&h, a, "<presence type='subscribed' to='bob@example.com'/>");
  assert_cached(a, BOB, NULL, XMPPIM_SUB_STATE_BOTH, 0);
  assert_cached(b, ALICE, NULL, XMPPIM_SUB_STATE_BOTH, 0);
  hub_clear_log(a);
  hub_clear_log(b);
  del(&h, a, BOB);
  assert_int_equal(pushes(a), 1);
  assert_int_equal(hub_count(a, "<item jid='bob@example.com' subscription='remove'/>", (char *)NULL), 1);
  assert_null(xmppim_roster_find(a->roster, BOB));
  assert_int_equal(hub_count(b, "<presence", "type='unsubscribe'", "from='alice@example.com'", (char *)NULL), 1);
  assert_int_equal(hub_count(b, "<presence", "type='unsubscribed'", "from='alice@example.com'", (char *)NULL), 1);
  assert_int_equal(hub_count(b, "<presence", "type='unsubscribe", "from='alice@example.com/", (char *)NULL), 0);
  /* Both -> To or From -> None: one push per change, the last "none". */
  assert_int_equal(pushes(b), 2);
  char push[8192];
  push_at(b, 1, push, sizeof(push));
  assert_contains(push, "<item jid='alice@example.com' subscription='none'/>");
  assert_cached(b, ALICE, NULL, XMPPIM_SUB_STATE_NONE, 0);

  /* The same with the contact offline: his stored roster follows. */
  hub_add_user(&h, "carol@example.com");
  hub_client *c = hub_connect(&h, "carol", "pc", 1);
  hub_send(&h, c, "<presence/>");
  hub_send(&h, a, "<presence type='subscribe' to='carol@example.com'/>");
  hub_send(&h, c, "<presence type='subscribed' to='alice@example.com'/>");
  hub_send(&h, c, "<presence type='subscribe' to='alice@example.com'/>");
  hub_send(&h, a, "<presence type='subscribed' to='carol@example.com'/>");
  assert_cached(c, ALICE, NULL, XMPPIM_SUB_STATE_BOTH, 0);
  hub_disconnect(&h, c);
  del(&h, a, "carol@example.com");
  c = hub_connect(&h, "carol", "pc2", 0);
  char full[16384];
  get_full(&h, c, full, sizeof(full));
  assert_full_roster(full, store_ver(&h, "carol@example.com"), 1);
  assert_contains(full, "<item jid='alice@example.com' subscription='none'/>");
  hub_free(&h);
}

/* R2.1.6-g: a client's error reply to a push is ignored: the core takes it
 * (returns 1, so the host does not act on it), sends nothing, changes
 * nothing, and keeps pushing to that resource. */
static void R2_1_6_g_push_error_reply_ignored(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_clear_log(a);
  add(&h, a, BOB);
  char push[8192], id[64];
  push_at(a, 0, push, sizeof(push));
  attr(push, NULL, "id", id, sizeof(id));
  snap s = take(&h, ALICE);
  hub_clear_log(a);

  xmppim_jid *j;
  assert_int_equal(xmppim_jid_new(&j, a->jid, strlen(a->jid), NULL), 0);
  char xml[1024];
  snprintf(xml, sizeof(xml),
           "<iq type='error' id='%s' from='%s'><query xmlns='jabber:iq:roster'/><error type='cancel'>"
           "<service-unavailable xmlns='" STANZAS_NS "'/></error></iq>",
           id, a->jid);
  xmppim_stanza *st = parse_ns(xml, "jabber:client");
  assert_int_equal(xmppim_server_handle_stanza(h.srv, j, st), 1);
  xmppim_stanza_free(st);
  const char *out;
  assert_int_equal(xmppim_session_output(a->s, &out), 0); /* nothing for the client */
  /* The same through the sessions. */
  snprintf(xml, sizeof(xml),
           "<iq type='error' id='%s'><error type='modify'><bad-request xmlns='" STANZAS_NS "'/></error></iq>", id);
  hub_send(&h, a, xml);
  xmppim_jid_free(j);
  assert_int_equal(lines(a), 0);
  assert_int_equal(h.nrouted, 0);
  assert_same(&h, ALICE, s);
  /* Still interested. */
  add(&h, a, "carol@example.com");
  assert_int_equal(pushes(a), 1);
  hub_free(&h);
}

/* ---- R2.6: versioning ---- */

/* R2.6.1-a: the server lists the rosterver feature for the host to
 * advertise, and the client sees it after authentication (also with
 * pre-approval off); R2.6.1-b: nothing is negotiated, the login just works. */
static void R2_6_1_a_rosterver_feature(void **state) {
  (void)state;
  for (int preapproval = 1; preapproval >= 0; preapproval--) {
    hub h;
    xmppim_server_options *o;
    assert_int_equal(xmppim_server_options_new(&o), 0);
    assert_int_equal(xmppim_server_options_set_preapproval(o, preapproval), 0);
    start(&h, o);
    xmppim_server_options_free(o);
    int found = 0;
    const char *name, *ns;
    for (size_t i = 0; xmppim_server_stream_feature(h.srv, i, &name, &ns) == 0; i++)
      if (strcmp(name, "ver") == 0 && strcmp(ns, "urn:xmpp:features:rosterver") == 0) found++;
    assert_int_equal(found, 1);
    hub_client *a = hub_connect(&h, "alice", "home", 0);
    assert_true(xmppim_session_peer_has_feature(a->c, "ver", "urn:xmpp:features:rosterver"));
    hub_free(&h);
  }
}

/* R2.6.3-a, R2.6.3-d: a versioned get with the current version gets an
 * empty result and no push (until something changes; then pushes come). */
static void R2_6_3_a_d_current_ver_empty_result_no_pushes(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  add(&h, a, BOB);
  add(&h, a, "carol@example.com");
  assert_string_equal(xmppim_roster_version(a->roster), store_ver(&h, ALICE));
  hub_client *p = hub_connect(&h, "alice", "phone", 0);
  hub_clear_log(a);
  assert_empty_result(
      iqf(&h, p, "<iq type='get'><query xmlns='jabber:iq:roster' ver='%s'/></iq>", store_ver(&h, ALICE)));
  assert_int_equal(lines(p), 1);
  assert_int_equal(pushes(p), 0);
  assert_int_equal(lines(a), 0);
  /* The same for a client that never saw a change (version 0 of its roster). */
  hub_client *b = hub_connect(&h, "bob", "work", 1);
  const char *bver = xmppim_roster_version(b->roster);
  assert_non_null(bver);
  hub_client *b2 = hub_connect(&h, "bob", "desk", 0);
  assert_empty_result(iqf(&h, b2, "<iq type='get'><query xmlns='jabber:iq:roster' ver='%s'/></iq>", bver));
  assert_int_equal(pushes(b2), 0);
  /* The versioned get made the phone interested. */
  hub_clear_log(p);
  add(&h, a, "dave@example.com");
  assert_int_equal(pushes(p), 1);
  hub_free(&h);
}

/* R2.6.3-a, R2.6.3-e, R2.6.3-j, R2.6.3-k, R2.6.3-i: a stale version within
 * the log gets an empty result, then one push per changed item with only
 * its final state (a removed item as subscription='remove'), in the order
 * of the last changes, each with the version of that change (all different,
 * the last the current one); only the asking resource gets them. */
static void R2_6_3_e_j_k_i_stale_ver_interim_pushes(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_client *d = hub_connect(&h, "alice", "desk", 1);
  add(&h, a, "e1@example.com");
  add(&h, a, "e2@example.com");
  add(&h, a, "e3@example.com");
  add(&h, a, "e4@example.com");
  char v0[64], vbob[64], vcarol[64], vdave[64], ve1[64];
  snprintf(v0, sizeof(v0), "%s", store_ver(&h, ALICE));
  set_named(&h, a, BOB, "B1");
  add(&h, a, "carol@example.com");
  assert_empty_result(iq(&h, a,
                         "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' name='Robert'>"
                         "<group>Work</group></item></query></iq>"));
  snprintf(vbob, sizeof(vbob), "%s", store_ver(&h, ALICE));
  del(&h, a, "carol@example.com");
  snprintf(vcarol, sizeof(vcarol), "%s", store_ver(&h, ALICE));
  add(&h, a, "dave@example.com");
  snprintf(vdave, sizeof(vdave), "%s", store_ver(&h, ALICE));
  set_named(&h, a, "e1@example.com", "E");
  snprintf(ve1, sizeof(ve1), "%s", store_ver(&h, ALICE));

  hub_client *p = hub_connect(&h, "alice", "phone", 0);
  hub_clear_log(a);
  hub_clear_log(d);
  assert_empty_result(iqf(&h, p, "<iq type='get'><query xmlns='jabber:iq:roster' ver='%s'/></iq>", v0));
  /* The result first, then exactly four pushes. */
  char line[8192];
  assert_int_equal(nth_line(p, 0, line, sizeof(line), "<", (char *)NULL), 0);
  assert_empty_result(line);
  assert_int_equal(lines(p), 5);
  assert_int_equal(pushes(p), 4);
  const struct {
    const char *item, *ver;
  } want[] = {
      {"<item jid='bob@example.com' name='Robert' subscription='none'><group>Work</group></item>", vbob},
      {"<item jid='carol@example.com' subscription='remove'/>", vcarol},
      {"<item jid='dave@example.com' subscription='none'/>", vdave},
      {"<item jid='e1@example.com' name='E' subscription='none'/>", ve1},
  };
  char vers[4][64];
  for (int i = 0; i < 4; i++) {
    push_at(p, i, line, sizeof(line));
    assert_contains(line, want[i].item);
    assert_int_equal(occurrences(line, "<item "), 1);
    query_ver(line, vers[i], sizeof(vers[i]));
    assert_string_equal(vers[i], want[i].ver);
    assert_contains(line, " to='alice@example.com/phone'");
    for (int k = 0; k < i; k++) assert_string_not_equal(vers[k], vers[i]);
  }
  assert_string_equal(vers[3], store_ver(&h, ALICE));
  assert_int_equal(hub_count(p, "B1", (char *)NULL), 0); /* no intermediate state */
  assert_int_equal(lines(a), 0);
  assert_int_equal(lines(d), 0);

  /* A client in between (it saw bob's update) gets only what followed. */
  hub_client *t = hub_connect(&h, "alice", "tablet", 0);
  assert_empty_result(iqf(&h, t, "<iq type='get'><query xmlns='jabber:iq:roster' ver='%s'/></iq>", vbob));
  assert_int_equal(pushes(t), 3);
  push_at(t, 0, line, sizeof(line));
  assert_contains(line, "<item jid='carol@example.com' subscription='remove'/>");
  push_at(t, 2, line, sizeof(line));
  assert_contains(line, "<item jid='e1@example.com' name='E' subscription='none'/>");
  hub_free(&h);
}

/* R2.6.3-b: when the changes since the client's version outnumber the items,
 * the full roster (with the current version) is cheaper and is sent, without
 * pushes. */
static void R2_6_3_b_full_roster_when_cheaper(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  add(&h, a, "e1@example.com");
  add(&h, a, "e2@example.com");
  char v0[64];
  snprintf(v0, sizeof(v0), "%s", store_ver(&h, ALICE));
  const char *tmp[] = {"x1@example.com", "x2@example.com", "x3@example.com"};
  for (size_t i = 0; i < 3; i++) {
    add(&h, a, tmp[i]);
    del(&h, a, tmp[i]);
  }
  add(&h, a, "x4@example.com");
  /* Four changed contacts, three items. */
  hub_client *p = hub_connect(&h, "alice", "phone", 0);
  const char *ans = iqf(&h, p, "<iq type='get'><query xmlns='jabber:iq:roster' ver='%s'/></iq>", v0);
  assert_full_roster(ans, store_ver(&h, ALICE), 3);
  assert_contains(ans, "<item jid='e1@example.com' subscription='none'/>");
  assert_contains(ans, "<item jid='e2@example.com' subscription='none'/>");
  assert_contains(ans, "<item jid='x4@example.com' subscription='none'/>");
  assert_int_equal(pushes(p), 0);
  assert_int_equal(lines(p), 1);
  hub_free(&h);
}

/* R2.6.3-b: a version older than the log reaches gets the full roster;
 * one the log still covers gets deltas. */
static void R2_6_3_b_stale_beyond_log_full_roster(void **state) {
  (void)state;
  hub h;
  xmppim_server_options *o;
  assert_int_equal(xmppim_server_options_new(&o), 0);
  assert_int_equal(xmppim_server_options_set_version_log(o, 2), 0);
  start(&h, o);
  xmppim_server_options_free(o);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  add(&h, a, "e1@example.com");
  add(&h, a, "e2@example.com");
  add(&h, a, "e3@example.com");
  char v0[64], v1[64];
  snprintf(v0, sizeof(v0), "%s", store_ver(&h, ALICE));
  set_named(&h, a, "e1@example.com", "1");
  snprintf(v1, sizeof(v1), "%s", store_ver(&h, ALICE));
  set_named(&h, a, "e2@example.com", "2");
  set_named(&h, a, "e3@example.com", "3");
  hub_client *p = hub_connect(&h, "alice", "phone", 0);
  const char *ans = iqf(&h, p, "<iq type='get'><query xmlns='jabber:iq:roster' ver='%s'/></iq>", v0);
  assert_full_roster(ans, store_ver(&h, ALICE), 3);
  assert_contains(ans, "<item jid='e1@example.com' name='1' subscription='none'/>");
  assert_int_equal(pushes(p), 0);
  hub_clear_log(p);
  assert_empty_result(iqf(&h, p, "<iq type='get'><query xmlns='jabber:iq:roster' ver='%s'/></iq>", v1));
  assert_int_equal(pushes(p), 2);
  char line[8192];
  push_at(p, 0, line, sizeof(line));
  assert_contains(line, "<item jid='e2@example.com' name='2' subscription='none'/>");
  push_at(p, 1, line, sizeof(line));
  assert_contains(line, "<item jid='e3@example.com' name='3' subscription='none'/>");
  hub_free(&h);

  /* No log at all: any stale version gets the full roster, the current one
   * still an empty result. */
  assert_int_equal(xmppim_server_options_new(&o), 0);
  assert_int_equal(xmppim_server_options_set_version_log(o, 0), 0);
  start(&h, o);
  xmppim_server_options_free(o);
  a = hub_connect(&h, "alice", "home", 1);
  add(&h, a, "e1@example.com");
  snprintf(v0, sizeof(v0), "%s", store_ver(&h, ALICE));
  add(&h, a, "e2@example.com");
  p = hub_connect(&h, "alice", "phone", 0);
  ans = iqf(&h, p, "<iq type='get'><query xmlns='jabber:iq:roster' ver='%s'/></iq>", v0);
  assert_full_roster(ans, store_ver(&h, ALICE), 2);
  assert_empty_result(
      iqf(&h, p, "<iq type='get'><query xmlns='jabber:iq:roster' ver='%s'/></iq>", store_ver(&h, ALICE)));
  assert_int_equal(pushes(p), 0);
  hub_free(&h);
}

/* R2.6.3-b, R2.6.2-d: a version the server never gave (garbage, another
 * roster's epoch, a future counter, huge) or ver='' gets the full roster
 * with the current version. */
static void R2_6_3_b_unknown_ver_full_roster(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  add(&h, a, BOB);
  add(&h, a, "carol@example.com");
  char cur[64];
  snprintf(cur, sizeof(cur), "%s", store_ver(&h, ALICE));
  /* White box: versions are "<8 hex epoch>-<counter>" (roster_store.h). */
  const char *dash = strchr(cur, '-');
  assert_non_null(dash);
  char other_epoch[64], future[64], padded[64], long_ver[600];
  snprintf(other_epoch, sizeof(other_epoch), "%s", cur);
  other_epoch[0] = other_epoch[0] == '0' ? '1' : '0';
  snprintf(future, sizeof(future), "%.*s-%llu", (int)(dash - cur), cur, strtoull(dash + 1, NULL, 10) + 1);
  snprintf(padded, sizeof(padded), "%.*s-0%s", (int)(dash - cur), cur, dash + 1);
  memset(long_ver, 'a', sizeof(long_ver) - 1);
  long_ver[sizeof(long_ver) - 1] = '\0';
  const char *bad[] = {"",   "garbage", other_epoch, future, padded, "00000000-18446744073709551615",
                       "-1", cur + 1,   long_ver};
  hub_client *p = hub_connect(&h, "alice", "phone", 0);
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    hub_clear_log(p);
    const char *ans = iqf(&h, p, "<iq type='get'><query xmlns='jabber:iq:roster' ver='%s'/></iq>", bad[i]);
    assert_full_roster(ans, cur, 2);
    assert_int_equal(pushes(p), 0);
  }
  assert_string_equal(store_ver(&h, ALICE), cur);
  hub_free(&h);
}

/* R2.6.3-l: results and pushes carry ver also for a client that sent none;
 * R2.1.1-a: only the server makes versions (a ver in a set is ignored);
 * R2.6.3-i, R2.6.3-k: every push has a new one. */
static void R2_6_3_l_R2_1_1_a_ver_without_client_ver(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 0);
  char ans[16384];
  get_full(&h, a, ans, sizeof(ans));
  char v0[64];
  query_ver(ans, v0, sizeof(v0));
  assert_true(v0[0] != '\0');
  hub_clear_log(a);
  assert_empty_result(iq(&h, a,
                         "<iq type='set'><query xmlns='jabber:iq:roster' ver='client-made'><item "
                         "jid='bob@example.com'/></query></iq>"));
  add(&h, a, "carol@example.com");
  del(&h, a, BOB);
  assert_int_equal(pushes(a), 3);
  char vers[4][64];
  snprintf(vers[0], sizeof(vers[0]), "%s", v0);
  for (int i = 0; i < 3; i++) {
    char push[8192];
    push_at(a, i, push, sizeof(push));
    query_ver(push, vers[i + 1], sizeof(vers[i + 1]));
    assert_string_not_equal(vers[i + 1], "client-made");
    for (int k = 0; k <= i; k++) assert_string_not_equal(vers[k], vers[i + 1]);
  }
  assert_string_equal(vers[3], store_ver(&h, ALICE));
  get_full(&h, a, ans, sizeof(ans));
  assert_full_roster(ans, vers[3], 1);
  hub_free(&h);
}

/* R2.3.3-a (internal-server-error), R2.6.3-f: when the store refuses a
 * change (new item, update, removal), the sender gets internal-server-error,
 * the roster and its version stay as they were, nobody gets a push and no
 * subscription presence goes out; the next change works. */
static void R2_3_3_a_store_failure_changes_nothing(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_client *p = hub_connect(&h, "alice", "phone", 1);
  hub_send(&h, a, "<presence/>");
  set_named(&h, a, BOB, "Bob");
  remote_state(&h, a, 1, 0); /* juliet: To */
  char before[16384];
  get_full(&h, a, before, sizeof(before));
  char v[64];
  snprintf(v, sizeof(v), "%s", store_ver(&h, ALICE));
  const char *attempts[] = {
      "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='carol@example.com'/></query></iq>",
      "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' name='X'><group>G</group>"
      "</item></query></iq>",
      "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' subscription='remove'/>"
      "</query></iq>",
      "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='juliet@remote.example' "
      "subscription='remove'/></query></iq>",
  };
  for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
    clear_routed(&h);
    hub_clear_log(a);
    hub_clear_log(p);
    snap s = take(&h, ALICE);
    xmppim_memory_store_fail_next(h.store, 1);
    assert_stanza_error(iq(&h, a, attempts[i]), NULL, "internal-server-error");
    assert_same(&h, ALICE, s);
    assert_int_equal(pushes(a), 0);
    assert_int_equal(lines(p), 0);
    assert_int_equal(h.nrouted, 0);
    char now[16384];
    get_full(&h, a, now, sizeof(now));
    assert_string_equal(strstr(now, "<query"), strstr(before, "<query"));
  }
  assert_cached(a, BOB, "Bob", XMPPIM_SUB_STATE_NONE, 0);
  assert_cached(a, JULIET, NULL, XMPPIM_SUB_STATE_TO, 0);
  assert_null(xmppim_roster_find(a->roster, "carol@example.com"));
  /* The version was not used up: the next change is pushed with a version
   * that no earlier push or result carried, and a client holding the
   * version from before the failures gets exactly that change. */
  hub_clear_log(a);
  add(&h, a, "carol@example.com");
  char push[8192], pv[64];
  push_at(a, 0, push, sizeof(push));
  query_ver(push, pv, sizeof(pv));
  assert_string_not_equal(pv, v);
  assert_string_equal(pv, store_ver(&h, ALICE));
  hub_client *t = hub_connect(&h, "alice", "tablet", 0);
  assert_empty_result(iqf(&h, t, "<iq type='get'><query xmlns='jabber:iq:roster' ver='%s'/></iq>", v));
  assert_int_equal(pushes(t), 1);
  assert_int_equal(hub_count(t, "<item jid='carol@example.com' subscription='none'/>", (char *)NULL), 1);
  hub_free(&h);
}

/* R2-b, R2.6.3-a, R2.6.3-k across an unload: the version is stored, so after
 * every resource left and the roster was loaded again, the current version
 * still gets an empty result; the change log is not stored, so an older one
 * gets the full roster; new changes get versions never used before. */
static void R2_6_versions_persist_across_reload(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_client *p = hub_connect(&h, "alice", "phone", 0);
  char v1[64], v2[64];
  set_named(&h, a, BOB, "Bob");
  snprintf(v1, sizeof(v1), "%s", store_ver(&h, ALICE));
  add(&h, a, "carol@example.com");
  snprintf(v2, sizeof(v2), "%s", store_ver(&h, ALICE));
  hub_disconnect(&h, a);
  hub_disconnect(&h, p);
  assert_string_equal(store_ver(&h, ALICE), v2);

  hub_client *n = hub_connect(&h, "alice", "new", 0);
  assert_empty_result(iqf(&h, n, "<iq type='get'><query xmlns='jabber:iq:roster' ver='%s'/></iq>", v2));
  assert_int_equal(pushes(n), 0);
  hub_clear_log(n);
  const char *ans = iqf(&h, n, "<iq type='get'><query xmlns='jabber:iq:roster' ver='%s'/></iq>", v1);
  assert_full_roster(ans, v2, 2);
  assert_contains(ans, "<item jid='bob@example.com' name='Bob' subscription='none'/>");
  assert_contains(ans, "<item jid='carol@example.com' subscription='none'/>");
  assert_int_equal(pushes(n), 0);
  hub_clear_log(n);
  add(&h, n, "dave@example.com");
  char push[8192], v3[64];
  push_at(n, 0, push, sizeof(push));
  query_ver(push, v3, sizeof(v3));
  assert_string_not_equal(v3, v1);
  assert_string_not_equal(v3, v2);
  assert_string_equal(v3, store_ver(&h, ALICE));
  /* A client that saw v2 now gets the one change as a delta. */
  hub_client *q = hub_connect(&h, "alice", "other", 0);
  assert_empty_result(iqf(&h, q, "<iq type='get'><query xmlns='jabber:iq:roster' ver='%s'/></iq>", v2));
  assert_int_equal(pushes(q), 1);
  assert_int_equal(hub_count(q, "<item jid='dave@example.com' subscription='none'/>", (char *)NULL), 1);
  hub_free(&h);
}

/* ---- the client cache against the server ---- */

typedef struct want_item {
  const char *jid, *name;
  size_t ngroups;
  const char *groups[3];
} want_item;

static void assert_cache_is(const hub_client *c, const want_item *w, size_t n, const char *ver) {
  assert_int_equal(xmppim_roster_count(c->roster), n);
  for (size_t i = 0; i < n; i++) {
    const xmppim_roster_item *it = xmppim_roster_find(c->roster, w[i].jid);
    if (!it) fail_msg("%s: no %s", c->jid, w[i].jid);
    if (w[i].name)
      assert_string_equal(xmppim_roster_item_name(it), w[i].name);
    else
      assert_null(xmppim_roster_item_name(it));
    assert_int_equal(xmppim_roster_item_state(it), XMPPIM_SUB_STATE_NONE);
    assert_int_equal(xmppim_roster_item_group_count(it), w[i].ngroups);
    for (size_t g = 0; g < w[i].ngroups; g++) assert_string_equal(xmppim_roster_item_group(it, g), w[i].groups[g]);
  }
  assert_string_equal(xmppim_roster_version(c->roster), ver);
}

/* R2.2-c, R2.3.2-c, R2.4.2-a, R2.5.2-a, R2.6.3-g/e end to end: after sets,
 * updates and removes made with the client API from two resources, every
 * interested cache equals the server's roster and version, and so does a
 * cache saved earlier and brought up to date by a versioned get. */
static void R2_2_c_client_caches_match_server(void **state) {
  (void)state;
  hub h;
  start(&h, NULL);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_client *p = hub_connect(&h, "alice", "phone", 1);
  const char *fr[] = {"Friends"}, *fw[] = {"Friends", "Work"}, *w[] = {"Work"};
  assert_int_equal(xmppim_roster_set_item(a->roster, BOB, "Bob", fr, 1), 0);
  assert_int_equal(xmppim_roster_set_item(a->roster, "carol@example.com", NULL, NULL, 0), 0);
  assert_int_equal(xmppim_roster_set_item(p->roster, "dave@example.com", "Dave", fw, 2), 0);
  assert_int_equal(xmppim_roster_set_item(p->roster, "erin@example.com", "Erin", NULL, 0), 0);
  assert_int_equal(xmppim_roster_set_item(a->roster, "frank@example.com", "Frank", w, 1), 0);
  hub_pump(&h);
  char saved[8192];
  size_t need = 0;
  assert_int_equal(xmppim_roster_save(p->roster, saved, sizeof(saved), &need), 0);
  hub_disconnect(&h, p);

  assert_int_equal(xmppim_roster_set_item(a->roster, BOB, "Robert", w, 1), 0);
  assert_int_equal(xmppim_roster_remove_item(a->roster, "carol@example.com"), 0);
  assert_int_equal(xmppim_roster_set_item(a->roster, "dave@example.com", NULL, NULL, 0), 0);
  assert_int_equal(xmppim_roster_set_item(a->roster, "grace@example.com", "Grace", fr, 1), 0);
  hub_pump(&h);
  const want_item want[] = {
      {BOB, "Robert", 1, {"Work"}},
      {"dave@example.com", NULL, 0, {NULL}},
      {"erin@example.com", "Erin", 0, {NULL}},
      {"frank@example.com", "Frank", 1, {"Work"}},
      {"grace@example.com", "Grace", 1, {"Friends"}},
  };
  size_t n = sizeof(want) / sizeof(want[0]);
  char ver[64];
  snprintf(ver, sizeof(ver), "%s", store_ver(&h, ALICE));
  assert_cache_is(a, want, n, ver);
  assert_int_equal(xmppim_memory_store_contact_count(h.store, ALICE), n);

  /* A fresh client: the full roster. */
  hub_client *f = hub_connect(&h, "alice", "fresh", 1);
  assert_cache_is(f, want, n, ver);
  /* The saved cache, brought up to date by deltas: four changed items. */
  hub_client *t = hub_connect(&h, "alice", "tablet", 0);
  assert_int_equal(xmppim_roster_load(t->roster, saved, strlen(saved)), 0);
  t->roster_done = 0;
  assert_int_equal(xmppim_roster_request(t->roster), 0);
  hub_pump(&h);
  assert_true(t->roster_done);
  assert_int_equal(pushes(t), 4);
  assert_int_equal(hub_count(t, "<item jid='carol@example.com' subscription='remove'/>", (char *)NULL), 1);
  assert_cache_is(t, want, n, ver);
  hub_free(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(R2_1_4_d_unknown_user_cannot_bind),
      cmocka_unit_test(R2_1_4_b_c_empty_roster_is_empty_query),
    cmocka_unit_test(R2_2_e_roster_get_that_cannot_be_processed),
      cmocka_unit_test(R2_b_R2_1_4_a_R2_a_full_roster_as_stored),
      cmocka_unit_test(R2_c_R2_1_5_c_R2_3_3_b_other_users_roster_forbidden),
      cmocka_unit_test(R2_c_remote_entity_forbidden),
      cmocka_unit_test(R2_1_2_a_R2_3_3_c_set_needs_exactly_one_item),
      cmocka_unit_test(R2_1_2_3_a_item_needs_jid),
      cmocka_unit_test(R2_1_3_b_get_with_item_refused),
      cmocka_unit_test(R2_1_2_5_e_subscription_in_set_ignored),
      cmocka_unit_test(R2_1_2_1_c_R2_1_2_2_c_ask_approved_in_set_ignored),
      cmocka_unit_test(R2_3_3_d_duplicate_group),
      cmocka_unit_test(R2_3_3_e_name_too_long),
      cmocka_unit_test(R2_3_3_f_empty_group),
      cmocka_unit_test(R2_3_3_g_group_too_long),
      cmocka_unit_test(R2_3_3_a_too_many_groups),
      cmocka_unit_test(R2_3_3_a_roster_full_resource_constraint),
      cmocka_unit_test(R2_3_3_h_own_bare_jid_allowed),
      cmocka_unit_test(R2_3_2_a_b_c_add_result_and_pushes_to_interested_only),
      cmocka_unit_test(R2_4_1_a_R2_4_2_a_update_replaces_item),
      cmocka_unit_test(R2_4_1_b_empty_name_is_no_name),
      cmocka_unit_test(R2_5_2_a_remove_result_and_push),
      cmocka_unit_test(R2_5_3_a_remove_missing_item_not_found),
      cmocka_unit_test(R2_5_2_b_c_d_remove_remote_contact),
      cmocka_unit_test(R2_5_2_note_remove_drops_pending_and_approval),
      cmocka_unit_test(R2_5_2_b_c_d_remove_local_contact),
      cmocka_unit_test(R2_1_6_g_push_error_reply_ignored),
      cmocka_unit_test(R2_6_1_a_rosterver_feature),
      cmocka_unit_test(R2_6_3_a_d_current_ver_empty_result_no_pushes),
      cmocka_unit_test(R2_6_3_e_j_k_i_stale_ver_interim_pushes),
      cmocka_unit_test(R2_6_3_b_full_roster_when_cheaper),
      cmocka_unit_test(R2_6_3_b_stale_beyond_log_full_roster),
      cmocka_unit_test(R2_6_3_b_unknown_ver_full_roster),
      cmocka_unit_test(R2_6_3_l_R2_1_1_a_ver_without_client_ver),
      cmocka_unit_test(R2_3_3_a_store_failure_changes_nothing),
      cmocka_unit_test(R2_6_versions_persist_across_reload),
      cmocka_unit_test(R2_2_c_client_caches_match_server),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
