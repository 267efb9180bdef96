/*
 * RFC 6120 requirements owned by the session layer (lib/session), one test
 * per MUST / MUST NOT requirement ID (see
 * ../shared/spec/rfc6121-requirements.md). Each test drives a real client
 * and server session from tests/common/pair.h, or one side of it with raw
 * XML, and checks the bytes on the wire or what the callbacks saw.
 *
 * Already covered elsewhere, so not repeated here: stream errors (C4.9.*)
 * and stanza errors (C8.3.*) in test_rfc6120_errors.c; the XML rules
 * (C4.8.1-a, C4.8.2-a, C4.8.5-*, C11.*, C13.12-b) in test_rfc6120_xml.c.
 * Where tests/unit/test_session.c already checks the plain case of an ID,
 * the test here takes another path to the same rule and says which unit
 * test has the first one.
 *
 * MUST / MUST NOT IDs of sections 4 to 8 (and 13.8) without a test here:
 *   C4.4-c      TLS close_notify before closing TCP: TLS engine / adapter.
 *   C4.5-a      both streams on one TCP connection: sockets (a session is
 *               one connection by construction).
 *   C4.8.1-a, C4.8.2-a, C4.8.5-b, C4.8.5-c  XML layer: test_rfc6120_xml.c.
 *   C4.8.3-b    re-scoping stanzas between client and server streams:
 *               routing core (no server-to-server streams here); sending
 *               goes through the same path as C4.8.3-a.
 *   C4.9.*      stream errors: test_rfc6120_errors.c.
 *   C5.3.5-a    TLS renegotiation: TLS engine.
 *   C5.4.3.1-b  certificate validation: TLS engine.
 *   C6.3.6-a    state after a SASL security layer: not applicable (no
 *               mechanism here negotiates one).
 *   C6.3.9-a    SASL realms: not applicable (PLAIN and SCRAM have none).
 *   C13.8-a     mandatory mechanisms: SCRAM-SHA-1(-PLUS) logins are in
 *               login_each_mechanism_over_tls (tests/unit/test_session.c);
 *               EXTERNAL needs client certificates from the TLS engine and
 *               is not implemented.
 *   C8.1.1.1-b  a stanza's 'to' kept when delivered: routing core.
 *   C8.1.1.2-a, C8.1.2.2-a  server-to-server addressing: not applicable
 *               (client-to-server streams only).
 *   C8.2.3-d    one child in get/set: the application's payload (the
 *               session's own requests are checked byte for byte in
 *               C7.1-a and C8.1.1.1-a); a receiver has no MUST.
 *   C8.3.*      stanza errors: test_rfc6120_errors.c.
 *   C8.4-a, C8.4-d  extension namespaces in stanza content: the
 *               application's payload and the XML layer.
 *   C8.4-b, C8.4-c  unknown children: the host decides what it handles
 *               (an unhandled get/set gets service-unavailable, C8.2.3-b);
 *               delivering them unmodified is the routing core's.
 * Some SHOULD rows are tested because their MUST neighbours need them
 * (C4.7.4-d, C7.7.1-b).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pair.h"
#include "util/base64.h"

#define ACCOUNT PAIR_USER "@" PAIR_DOMAIN
#define NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"
#define NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define NS_BIND "urn:ietf:params:xml:ns:xmpp-bind"
#define NS_XSTREAMS "urn:ietf:params:xml:ns:xmpp-streams"
#define NS_XSTANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"

/* A client's initial header, as a peer would write it; ATTRS go inside. */
#define CLIENT_HEADER(ATTRS)                                                                \
  "<?xml version='1.0'?><stream:stream" ATTRS " xmlns='jabber:client' "                     \
  "xmlns:stream='http://etherx.jabber.org/streams'>"
#define HEADER CLIENT_HEADER(" to='example.com' version='1.0'")
/* A server's response header, for driving a client by hand. */
#define SERVER_HEADER(ID)                                                                   \
  "<?xml version='1.0'?><stream:stream from='example.com' id='" ID "' version='1.0' "       \
  "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"

/* "\0juliet\0r0m30myr0m30" */
#define PLAIN_JULIET "AGp1bGlldAByMG0zMG15cjBtMzA="
#define AUTH_PLAIN "<auth xmlns='" NS_SASL "' mechanism='PLAIN'>" PLAIN_JULIET "</auth>"
#define SUCCESS "<success xmlns='" NS_SASL "'></success>"
#define STARTTLS "<starttls xmlns='" NS_TLS "'/>"
#define PROCEED "<proceed xmlns='" NS_TLS "'/>"
#define BIND_IQ(ID, RES)                                                                    \
  "<iq type='set' id='" ID "'><bind xmlns='" NS_BIND "'><resource>" RES "</resource></bind></iq>"
#define BIND_IQ_EMPTY(ID) "<iq type='set' id='" ID "'><bind xmlns='" NS_BIND "'/></iq>"
#define STREAM_ERROR(COND) "<stream:error><" COND " xmlns='" NS_XSTREAMS "'/>"
#define CLOSE "</stream:stream>"

#define BIT(m) (1u << (m))

/* ---- helpers ---- */

typedef struct opt_spec {
  int require_tls;            /* -1: the role's default */
  int plain_without_tls;      /* allow PLAIN on a stream TLS does not protect */
  unsigned mechanisms;        /* 0: all */
  uint64_t keepalive;         /* ms, 0: off */
  const char *lang;           /* NULL: default */
  unsigned max_auth_attempts; /* 0: default */
} opt_spec;

static xmppim_options *make_options(opt_spec spec) {
  xmppim_options *o;
  assert_int_equal(xmppim_options_new(&o), 0);
  if (spec.require_tls >= 0) assert_int_equal(xmppim_options_set_require_tls(o, spec.require_tls), 0);
  if (spec.plain_without_tls)
    assert_int_equal(xmppim_options_set_allow_plain_without_tls(o, 1), 0);
  if (spec.mechanisms) assert_int_equal(xmppim_options_set_sasl_mechanisms(o, spec.mechanisms), 0);
  if (spec.keepalive) assert_int_equal(xmppim_options_set_keepalive(o, spec.keepalive), 0);
  if (spec.lang) assert_int_equal(xmppim_options_set_lang(o, spec.lang), 0);
  if (spec.max_auth_attempts)
    assert_int_equal(xmppim_options_set_max_auth_attempts(o, spec.max_auth_attempts), 0);
  return o;
}

/* What a test has made and not yet freed: a test that fails jumps out
 * without freeing, so the teardown frees what is left. */
static xmppim_session *live_sessions[16];
static xmppim_stanza *live_stanzas[16];

static void track(void **slots, size_t n, void *ptr) {
  for (size_t i = 0; i < n; i++)
    if (!slots[i]) {
      slots[i] = ptr;
      return;
    }
  fail_msg("too many live objects");
}

static void untrack(void **slots, size_t n, void *ptr) {
  for (size_t i = 0; i < n; i++)
    if (slots[i] == ptr) slots[i] = NULL;
}

#define N_SESSIONS (sizeof(live_sessions) / sizeof(live_sessions[0]))
#define N_STANZAS (sizeof(live_stanzas) / sizeof(live_stanzas[0]))

static int cleanup(void **state) {
  (void)state;
  for (size_t i = 0; i < N_SESSIONS; i++) xmppim_session_free(live_sessions[i]);
  for (size_t i = 0; i < N_STANZAS; i++) xmppim_stanza_free(live_stanzas[i]);
  memset(live_sessions, 0, sizeof(live_sessions));
  memset(live_stanzas, 0, sizeof(live_stanzas));
  return 0;
}

/* A stanza freed by the teardown. */
static xmppim_stanza *stanza(const char *name) {
  xmppim_stanza *st;
  assert_int_equal(xmppim_stanza_new(&st, NULL, name, "jabber:client"), 0);
  track((void **)live_stanzas, N_STANZAS, st);
  return st;
}

/* A pair whose sides get these options (p's harness fields are kept). */
static void start(pair *p, const char *jid, opt_spec client, opt_spec server) {
  xmppim_options *co = make_options(client), *so = make_options(server);
  pair_init(p, jid, PAIR_PASSWORD, co, so);
  xmppim_options_free(co);
  xmppim_options_free(so);
  track((void **)live_sessions, N_SESSIONS, p->client.s);
  track((void **)live_sessions, N_SESSIONS, p->server.s);
}

static void finish(pair *p) {
  untrack((void **)live_sessions, N_SESSIONS, p->client.s);
  untrack((void **)live_sessions, N_SESSIONS, p->server.s);
  pair_free(p);
}

static const opt_spec NO_TLS = {.require_tls = 0};
static const opt_spec PLAIN_OK = {.require_tls = 0, .plain_without_tls = 1};

/* pair_take_output(), minus its memcpy from a NULL output buffer when the
 * side has written nothing (undefined behaviour that UBSan reports). */
static const char *take(pair_side *side) {
  const char *data;
  if (xmppim_session_output(side->s, &data) == 0) {
    side->transcript_len = 0;
    side->transcript[0] = '\0';
    return side->transcript;
  }
  return pair_take_output(side);
}

/* Copies src into dst[cap], cut short if need be. */
static void keep(char *dst, size_t cap, const char *src) {
  size_t n = src ? strlen(src) : 0;
  if (n >= cap) n = cap - 1;
  if (n) memcpy(dst, src, n);
  dst[n] = '\0';
}

/* Feeds one side as its peer and returns what it wrote in answer. */
static const char *exchange(pair_side *side, const char *xml) {
  pair_feed_raw(side, xml);
  return take(side);
}

/* The server of a fresh pair, driven by hand: after the client's header
 * (its answer is returned), after PLAIN and the restart, after binding. */
static const char *server_opened(pair *p, opt_spec server) {
  start(p, ACCOUNT, NO_TLS, server);
  return exchange(&p->server, HEADER);
}

static const char *server_authenticated(pair *p, opt_spec server) {
  server.plain_without_tls = 1;
  server_opened(p, server);
  assert_string_equal(exchange(&p->server, AUTH_PLAIN), SUCCESS);
  return exchange(&p->server, HEADER);
}

static const char *server_ready(pair *p, opt_spec server) {
  server_authenticated(p, server);
  const char *out = exchange(&p->server, BIND_IQ("b1", "balcony"));
  assert_true(p->server.ready);
  return out;
}

/* The client of a fresh pair, driven by hand up to the point where it has
 * sent <auth/> (PLAIN, offered alone on a stream without TLS). */
static void client_authenticating(pair *p, const char *jid, opt_spec client) {
  client.plain_without_tls = 1;
  if (client.require_tls < 0) client.require_tls = 0;
  start(p, jid, client, NO_TLS);
  take(&p->client);
  const char *out = exchange(&p->client, SERVER_HEADER("s1") "<stream:features><mechanisms xmlns='" NS_SASL
                                         "'><mechanism>PLAIN</mechanism></mechanisms></stream:features>");
  assert_string_equal(out, AUTH_PLAIN);
}

/* ... and after <success/>, the restart and the bind features: returns the bind request. */
static const char *client_binding(pair *p, const char *jid) {
  client_authenticating(p, jid, NO_TLS);
  exchange(&p->client, SUCCESS);
  return exchange(&p->client, SERVER_HEADER("s2") "<stream:features><bind xmlns='" NS_BIND
                                             "'/></stream:features>");
}

/* The value of attribute `name` in the first start tag of `tag` found in
 * `text` at or after `from`; NULL when there is no such attribute. */
static const char *attr_in(const char *text, const char *tag, const char *name) {
  static char value[256];
  char open[64], key[64];
  snprintf(open, sizeof(open), "<%s", tag);
  snprintf(key, sizeof(key), " %s='", name);
  const char *start = strstr(text, open);
  if (!start) fail_msg("no <%s in %s", tag, text);
  const char *end = strchr(start, '>');
  const char *at = strstr(start, key);
  if (!at || at > end) return NULL;
  at += strlen(key);
  const char *q = strchr(at, '\'');
  snprintf(value, sizeof(value), "%.*s", (int)(q - at), at);
  return value;
}

/* How many times `needle` occurs in `hay`. */
static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *at = strstr(hay, needle); at; at = strstr(at + 1, needle)) n++;
  return n;
}

/* A loop, not strncmp: gcc -O3 inlines callers' constant strings into a
 * strncmp it then warns about (-Wstring-compare). */
static int starts_with(const char *s, const char *prefix) {
  while (*prefix && *s == *prefix) s++, prefix++;
  return *prefix == '\0';
}

/* The text right after the end of the first stream header in `out`. */
static const char *after_header(const char *out) {
  const char *h = strstr(out, "<stream:stream");
  if (!h) fail_msg("no stream header in %s", out);
  return strchr(h, '>') + 1;
}

/* ======================================================================
 * Streams (section 4)
 * ====================================================================== */

/* C4.3.2-a: features come right after the response header, with nothing in
 * between (here, and with a client saying version 1.5). */
static void C4_3_2_a_features_follow_header(void **state) {
  (void)state;
  pair p = {0};
  const char *out = server_opened(&p, NO_TLS);
  assert_true(starts_with(out, "<?xml version='1.0'?><stream:stream "));
  assert_true(starts_with(after_header(out), "<stream:features>"));
  assert_true(strstr(out, "</stream:features>")[strlen("</stream:features>")] == '\0');
  finish(&p);
  start(&p, ACCOUNT, NO_TLS, NO_TLS);
  out = exchange(&p.server, CLIENT_HEADER(" to='example.com' version='1.5'"));
  assert_true(starts_with(after_header(out), "<stream:features>"));
  finish(&p);
}


/* The server of a pair with the TLS stand-in, driven by hand through
 * STARTTLS: returns its answer to the header after TLS. `pre_tls` gets its
 * answer to the first header. */
static const char *server_after_tls(pair *p, opt_spec server, const char *first_header,
                                    char *pre_tls, size_t cap) {
  p->tls_shim = 1;
  start(p, ACCOUNT, NO_TLS, server);
  keep(pre_tls, cap, exchange(&p->server, first_header));
  assert_string_equal(exchange(&p->server, STARTTLS), PROCEED);
  assert_true(p->server.starttls);
  assert_int_equal(xmppim_session_tls_established(p->server.s, NULL), 0);
  return exchange(&p->server, HEADER);
}

/* C4.3.3-a: a restart (after TLS, after SASL) sends no close tag; the
 * client sends a new header, preceded by an XML declaration, and the server
 * reads it as a new stream on the same connection. */
static void C4_3_3_a_restart_without_close_tag(void **state) {
  (void)state;
  pair p = {.tls_shim = 1};
  start(&p, ACCOUNT "/balcony", (opt_spec){.require_tls = 1}, NO_TLS);
  pair_pump(&p);
  assert_true(p.client.ready);
  assert_true(p.server.ready);
  assert_int_equal(count(p.client.transcript, "<?xml version='1.0'?><stream:stream "), 3);
  assert_int_equal(count(p.client.transcript, "<stream:stream "), 3);
  assert_int_equal(count(p.server.transcript, "<stream:stream "), 3);
  assert_int_equal(count(p.client.transcript, CLOSE), 0);
  assert_int_equal(count(p.server.transcript, CLOSE), 0);
  finish(&p);
  p = (pair){0};
  /* The server, by hand: after <success/>, the same connection carries a
   * new header, answered as such. */
  const char *out = server_authenticated(&p, NO_TLS);
  assert_true(starts_with(out, "<?xml version='1.0'?><stream:stream "));
  assert_non_null(strstr(out, "<bind xmlns='" NS_BIND "'/>"));
  finish(&p);
}

/* C4.3.3-b: a new stream id on every restart, never the old one (see also
 * stream_ids_fresh in tests/unit/test_session.c, over a whole login). */
static void C4_3_3_b_new_stream_id_on_restart(void **state) {
  (void)state;
  char pre[4096], ids[3][64];
  pair p = {0};
  const char *out = server_after_tls(&p, NO_TLS, HEADER, pre, sizeof(pre));
  keep(ids[0], sizeof(ids[0]), attr_in(pre, "stream:stream", "id"));
  keep(ids[1], sizeof(ids[1]), attr_in(out, "stream:stream", "id"));
  assert_string_equal(xmppim_session_stream_id(p.server.s), ids[1]);
  assert_string_equal(exchange(&p.server, AUTH_PLAIN), SUCCESS);
  out = exchange(&p.server, HEADER);
  keep(ids[2], sizeof(ids[2]), attr_in(out, "stream:stream", "id"));
  assert_string_equal(xmppim_session_stream_id(p.server.s), ids[2]);
  assert_string_not_equal(ids[0], ids[1]);
  assert_string_not_equal(ids[1], ids[2]);
  assert_string_not_equal(ids[0], ids[2]);
  finish(&p);
}

/* C4.3.4-a: features after every restart: after TLS (SASL), after SASL
 * (binding), each right after its header. */
static void C4_3_4_a_features_after_every_restart(void **state) {
  (void)state;
  char pre[4096];
  pair p = {0};
  const char *out = server_after_tls(&p, NO_TLS, HEADER, pre, sizeof(pre));
  assert_true(starts_with(after_header(pre), "<stream:features><starttls "));
  assert_true(starts_with(after_header(out), "<stream:features><mechanisms "));
  assert_string_equal(exchange(&p.server, AUTH_PLAIN), SUCCESS);
  out = exchange(&p.server, HEADER);
  assert_true(starts_with(after_header(out), "<stream:features><bind "));
  finish(&p);
}

/* C4.3.5-a: once binding completed the negotiation, no more features. */
static void C4_3_5_a_no_features_after_completion(void **state) {
  (void)state;
  pair p = {0};
  const char *out = server_ready(&p, NO_TLS);
  assert_true(starts_with(out, "<iq type='result' id='b1'>"));
  assert_null(strstr(out, "<stream:features"));
  /* Nor later, whatever the client does next. */
  out = exchange(&p.server, "<presence/><iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
  assert_null(strstr(out, "<stream:features"));
  assert_true(xmppim_session_timeout(p.server.s, 600000) == 0);
  assert_string_equal(take(&p.server), "");
  finish(&p);
}

static void count_answer(xmppim_session *s, xmppim_stanza *result, void *ud) {
  (void)s;
  (void)result;
  ++*(int *)ud;
}

/* C4.3.5-b: the client sends no stanza before negotiation completes: at
 * every step before binding the session refuses and writes nothing. */
static void refuses_to_send(pair_side *c) {
  xmppim_stanza *m = stanza("message"), *iq = stanza("iq"), *q;
  assert_int_equal(xmppim_stanza_set_attr(m, "to", "romeo@example.net"), 0);
  assert_int_equal(xmppim_stanza_set_attr(iq, "type", "get"), 0);
  assert_int_equal(xmppim_stanza_add_child(iq, "query", "jabber:iq:roster", &q), 0);
  assert_int_equal(xmppim_session_send(c->s, m), XMPPIM_ERR_INVALID_STATE);
  int answers = 0;
  assert_int_equal(xmppim_session_send_iq(c->s, iq, count_answer, &answers), XMPPIM_ERR_INVALID_STATE);
  assert_int_equal(answers, 0);
  assert_string_equal(take(c), "");
}


static void C4_3_5_b_client_sends_no_stanza_before_negotiation(void **state) {
  (void)state;
  pair p = {0};
  start(&p, ACCOUNT, PLAIN_OK, NO_TLS);
  take(&p.client);
  refuses_to_send(&p.client); /* header sent */
  pair_feed_raw(&p.client, SERVER_HEADER("s1") "<stream:features><mechanisms xmlns='" NS_SASL
                           "'><mechanism>PLAIN</mechanism></mechanisms></stream:features>");
  assert_string_equal(take(&p.client), AUTH_PLAIN);
  refuses_to_send(&p.client); /* authenticating */
  pair_feed_raw(&p.client, SUCCESS);
  take(&p.client);
  refuses_to_send(&p.client); /* restarted */
  pair_feed_raw(&p.client, SERVER_HEADER("s2") "<stream:features><bind xmlns='" NS_BIND "'/></stream:features>");
  assert_true(starts_with(take(&p.client), "<iq type='set'"));
  refuses_to_send(&p.client); /* binding */
  assert_false(p.client.ready);
  finish(&p);
}

/* C4.3.5-c: a stanza before the stream is authenticated closes it with
 * not-authorized, before TLS and after it; the stanza is not processed
 * (never reaches the host). */
static void assert_not_authorized_close(pair *p, const char *out) {
  if (!starts_with(out, STREAM_ERROR("not-authorized")) ||
      strcmp(out + strlen(out) - strlen("</stream:error>" CLOSE), "</stream:error>" CLOSE) != 0)
    fail_msg("expected a not-authorized stream error and the close tag, got %s", out);
  assert_int_equal(p->server.stanzas, 0);
  assert_false(xmppim_session_want_read(p->server.s));
  assert_int_equal(xmppim_session_error(p->server.s, NULL), XMPPIM_STREAM_NOT_AUTHORIZED);
}

static void C4_3_5_c_stanza_before_auth_not_authorized(void **state) {
  (void)state;
  static const char *const stanzas[] = {
    "<message to='romeo@example.net'><body>hi</body></message>",
    "<presence/>",
    "<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>",
  };
  for (size_t i = 0; i < 3; i++) {
    pair p = {0};
    server_opened(&p, NO_TLS);
    assert_not_authorized_close(&p, exchange(&p.server, stanzas[i]));
    finish(&p);
    char pre[4096];
    server_after_tls(&p, NO_TLS, HEADER, pre, sizeof(pre));
    assert_not_authorized_close(&p, exchange(&p.server, stanzas[i]));
    finish(&p);
  }
}

/* C4.3.6-b: the client takes the JID the server bound, even when it is not
 * the one it asked for. */
static void C4_3_6_b_client_uses_bound_jid(void **state) {
  (void)state;
  pair p = {0};
  const char *req = client_binding(&p, ACCOUNT "/balcony");
  assert_non_null(strstr(req, "<resource>balcony</resource>"));
  char answer[512];
  snprintf(answer, sizeof(answer),
           "<iq type='result' id='%s'><bind xmlns='" NS_BIND "'><jid>" ACCOUNT "/orchard</jid></bind></iq>",
           attr_in(req, "iq", "id"));
  assert_string_equal(exchange(&p.client, answer), "");
  assert_true(p.client.ready);
  assert_string_equal(xmppim_jid_to_string(xmppim_session_jid(p.client.s)), ACCOUNT "/orchard");
  finish(&p);
}

/* C4.4-b: after its close tag a session sends nothing more, yet still reads
 * what arrives until the peer's close tag. Here an IQ get the host leaves
 * unhandled reaches the host, but no answer follows the close tag. */
static void C4_4_b_nothing_after_close_tag(void **state) {
  (void)state;
  pair p = {0};
  server_ready(&p, (opt_spec){.require_tls = 0, .keepalive = 1000});
  assert_int_equal(xmppim_session_close(p.server.s), 0);
  assert_string_equal(take(&p.server), CLOSE);
  int before = p.server.stanzas;
  assert_string_equal(exchange(&p.server, "<message to='romeo@example.net'><body>bye</body></message>"
                                          "<iq type='get' id='v1'><query xmlns='jabber:iq:version'/></iq>"),
                      "");
  assert_int_equal(p.server.stanzas, before + 2); /* still processed */
  xmppim_session_timeout(p.server.s, 5000);       /* no keepalive either */
  assert_string_equal(take(&p.server), "");
  xmppim_stanza *m = stanza("message");
  assert_int_equal(xmppim_session_send(p.server.s, m), XMPPIM_ERR_INVALID_STATE);
  assert_string_equal(exchange(&p.server, CLOSE), "");
  assert_true(p.server.closed);
  assert_int_equal(p.server.closed_condition, XMPPIM_STREAM_OK);
  finish(&p);
}

/* C4.7.1-b: the response header's from is the server's domain, in
 * canonical form, on every header. */
static void C4_7_1_b_server_from_is_its_domain(void **state) {
  (void)state;
  pair p = {0};
  start(&p, ACCOUNT, NO_TLS, NO_TLS);
  const char *out = exchange(&p.server, CLIENT_HEADER(" to='EXAMPLE.com' version='1.0'"));
  assert_string_equal(attr_in(out, "stream:stream", "from"), "example.com");
  finish(&p);
  out = server_authenticated(&p, NO_TLS);
  assert_string_equal(attr_in(out, "stream:stream", "from"), "example.com");
  finish(&p);
}

/* C4.7.1-d: neither side lets stanzas through before the peer is
 * authenticated: a server's message during negotiation is not delivered by
 * the client, which ends the stream (the server side is C4.3.5-c). */
static void C4_7_1_d_client_takes_no_stanza_before_auth(void **state) {
  (void)state;
  pair p = {0};
  start(&p, ACCOUNT, NO_TLS, NO_TLS);
  take(&p.client);
  const char *out = exchange(&p.client, SERVER_HEADER("s1") "<message from='romeo@example.net'><body>hi</body></message>");
  assert_int_equal(p.client.stanzas, 0);
  assert_true(starts_with(out, "<stream:error>"));
  assert_false(xmppim_session_want_read(p.client.s));
  finish(&p);
  client_authenticating(&p, ACCOUNT, NO_TLS);
  out = exchange(&p.client, "<message from='romeo@example.net'><body>hi</body></message>");
  assert_int_equal(p.client.stanzas, 0);
  assert_true(starts_with(out, "<stream:error>"));
  assert_false(p.client.ready);
  finish(&p);
}

/* C4.7.2-a: the client's header carries to = the account's domain, on
 * every header. C4.7.5-a: and version='1.0'. C4.7.3-b: and no id. */
static void C4_7_2_a_and_C4_7_3_b_and_C4_7_5_a_client_header(void **state) {
  (void)state;
  pair p = {0};
  start(&p, "romeo@Example.NET", NO_TLS, NO_TLS);
  assert_string_equal(take(&p.client),
                      "<?xml version='1.0'?><stream:stream to='example.net' version='1.0' xml:lang='en' "
                      "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
  finish(&p);
  p = (pair){.tls_shim = 1};
  start(&p, ACCOUNT, (opt_spec){.require_tls = 1}, NO_TLS);
  pair_pump(&p);
  assert_true(p.client.ready);
  int headers = 0;
  for (const char *h = strstr(p.client.transcript, "<stream:stream"); h; h = strstr(h + 1, "<stream:stream")) {
    headers++;
    assert_string_equal(attr_in(h, "stream:stream", "to"), "example.com");
    assert_string_equal(attr_in(h, "stream:stream", "version"), "1.0");
    assert_null(attr_in(h, "stream:stream", "id"));
  }
  assert_int_equal(headers, 3);
  finish(&p);
}

/* C4.7.2-b: the response's to is the client's from when it gave one, and
 * absent when it did not. */
static void C4_7_2_b_response_to_mirrors_client_from(void **state) {
  (void)state;
  pair p = {0};
  start(&p, ACCOUNT, NO_TLS, NO_TLS);
  const char *out = exchange(&p.server, CLIENT_HEADER(" from='" ACCOUNT "' to='example.com' version='1.0'"));
  assert_string_equal(attr_in(out, "stream:stream", "to"), ACCOUNT);
  finish(&p);
  out = server_opened(&p, NO_TLS);
  assert_null(attr_in(out, "stream:stream", "to"));
  finish(&p);
}

/* C4.7.3-a: every response header gets its own id: no two alike across
 * sessions and restarts, and long enough (>= 64 bits of hex) to be
 * unpredictable. C4.7.3-c: and there is one in every response header. */
static void C4_7_3_a_and_C4_7_3_c_server_stream_ids(void **state) {
  (void)state;
  enum { SESSIONS = 32 };
  static char ids[SESSIONS * 2][64];
  int n = 0;
  for (int i = 0; i < SESSIONS; i++) {
    pair p = {0};
    const char *outs[2];
    char first[4096];
    keep(first, sizeof(first), server_opened(&p, PLAIN_OK));
    outs[0] = first;
    assert_string_equal(exchange(&p.server, AUTH_PLAIN), SUCCESS);
    outs[1] = exchange(&p.server, HEADER);
    for (int k = 0; k < 2; k++) {
      const char *id = attr_in(outs[k], "stream:stream", "id");
      assert_non_null(id);
      assert_true(strlen(id) >= 16);
      for (int j = 0; j < n; j++) assert_string_not_equal(ids[j], id);
      keep(ids[n++], sizeof(ids[0]), id);
    }
    finish(&p);
  }
}

/* C4.7.3-b (server side): an id in the client's header is ignored. */
static void C4_7_3_b_server_ignores_client_id(void **state) {
  (void)state;
  pair p = {0};
  start(&p, ACCOUNT, NO_TLS, NO_TLS);
  const char *out = exchange(&p.server, CLIENT_HEADER(" id='chosen-by-client' to='example.com' version='1.0'"));
  assert_true(starts_with(after_header(out), "<stream:features>"));
  assert_string_not_equal(attr_in(out, "stream:stream", "id"), "chosen-by-client");
  assert_string_not_equal(xmppim_session_stream_id(p.server.s), "chosen-by-client");
  finish(&p);
}

/* C4.7.4-b: the response's xml:lang is the client's when it gave one, else
 * the server's default. */
static void C4_7_4_b_response_lang(void **state) {
  (void)state;
  pair p = {0};
  start(&p, ACCOUNT, NO_TLS, NO_TLS);
  const char *out = exchange(&p.server, CLIENT_HEADER(" to='example.com' version='1.0' xml:lang='de'"));
  assert_string_equal(attr_in(out, "stream:stream", "xml:lang"), "de");
  finish(&p);
  out = server_opened(&p, NO_TLS);
  assert_string_equal(attr_in(out, "stream:stream", "xml:lang"), "en");
  finish(&p);
  out = server_opened(&p, (opt_spec){.require_tls = 0, .lang = "fr"});
  assert_string_equal(attr_in(out, "stream:stream", "xml:lang"), "fr");
  finish(&p);
}

/* C4.7.4-c: what the server sends as xml:lang is a language tag, even when
 * the client's header carried something that is not one. */
static int is_language_tag(const char *v) {
  if (!v || !*v || *v == '-') return 0;
  for (; *v; v++)
    if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') || (*v >= '0' && *v <= '9') || *v == '-'))
      return 0;
  return 1;
}

static void C4_7_4_c_lang_is_a_language_tag(void **state) {
  (void)state;
  pair p = {0};
  start(&p, ACCOUNT, NO_TLS, NO_TLS);
  const char *out = exchange(&p.server, CLIENT_HEADER(" to='example.com' version='1.0' xml:lang='en us!'"));
  const char *lang = attr_in(out, "stream:stream", "xml:lang");
  if (!is_language_tag(lang)) fail_msg("response header xml:lang='%s' is not a language tag", lang);
  finish(&p);
}

/* C4.7.4-d: a stanza without xml:lang gets the stream's; C4.7.4-e: one that
 * has its own keeps it, and so do its children. */
static void C4_7_4_d_stanza_gets_stream_lang(void **state) {
  (void)state;
  pair p = {0};
  start(&p, ACCOUNT "/balcony", (opt_spec){.require_tls = 0, .lang = "de"}, NO_TLS);
  pair_pump(&p);
  assert_true(p.server.ready);
  xmppim_stanza *m = stanza("message");
  assert_int_equal(xmppim_stanza_set_attr(m, "to", "romeo@example.net"), 0);
  assert_int_equal(xmppim_session_send(p.client.s, m), 0);
  pair_pump(&p);
  assert_non_null(strstr(p.server.last_stanza, " xml:lang='de'"));
  finish(&p);
}

static void C4_7_4_e_stanza_lang_kept(void **state) {
  (void)state;
  pair p = {0};
  start(&p, ACCOUNT "/balcony", (opt_spec){.require_tls = 0, .lang = "de"}, NO_TLS);
  pair_pump(&p);
  assert_true(p.server.ready);
  assert_string_equal(exchange(&p.server, "<message to='romeo@example.net' xml:lang='fr'><body>salut</body>"
                                          "<body xml:lang='it'>ciao</body></message>"),
                      "");
  assert_non_null(strstr(p.server.last_stanza, " xml:lang='fr'"));
  assert_non_null(strstr(p.server.last_stanza, "<body xml:lang='it'>ciao</body>"));
  assert_null(strstr(p.server.last_stanza, "'de'"));
  finish(&p);
}

/* C4.7.5-b: the server answers with the lower of the client's version and
 * its own (1.0), compared as numbers. */
static void C4_7_5_b_server_answers_lower_version(void **state) {
  (void)state;
  static const char *const offered[] = {"1.0", "1.5", "1.10", "2.0"};
  for (size_t i = 0; i < 4; i++) {
    pair p = {0};
    start(&p, ACCOUNT, NO_TLS, NO_TLS);
    char header[512];
    snprintf(header, sizeof(header), CLIENT_HEADER(" to='example.com' version='%s'"), offered[i]);
    const char *out = exchange(&p.server, header);
    assert_string_equal(attr_in(out, "stream:stream", "version"), "1.0");
    assert_true(starts_with(after_header(out), "<stream:features>"));
    finish(&p);
  }
}

/* C4.7.5-c: major and minor are integers: leading zeros are ignored on
 * input (a client's '01.0' is 1.0) and never sent; a higher minor version
 * from the server does not stop the client. */
static void C4_7_5_c_versions_are_numbers(void **state) {
  (void)state;
  pair p = {0};
  static const char *const server_versions[] = {"1.5", "01.0", "1.01"};
  for (size_t i = 0; i < 3; i++) {
    start(&p, ACCOUNT, PLAIN_OK, NO_TLS);
    take(&p.client);
    char in[1024];
    snprintf(in, sizeof(in),
             "<stream:stream from='example.com' id='s1' version='%s' xmlns='jabber:client' "
             "xmlns:stream='http://etherx.jabber.org/streams'><stream:features><mechanisms xmlns='" NS_SASL
             "'><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
             server_versions[i]);
    assert_string_equal(exchange(&p.client, in), AUTH_PLAIN);
    finish(&p);
  }
  start(&p, ACCOUNT, NO_TLS, NO_TLS);
  const char *out = exchange(&p.server, CLIENT_HEADER(" to='example.com' version='01.0'"));
  if (!starts_with(after_header(out), "<stream:features>"))
    fail_msg("a client's version='01.0' is 1.0, but the server answered %s", out);
  assert_string_equal(attr_in(out, "stream:stream", "version"), "1.0");
  finish(&p);
}

/* C4.7.5-d: a header without version is a 0.9 peer: the server offers it
 * no features (and refuses it); the client does not negotiate with it. */
static void C4_7_5_d_no_version_means_0_9(void **state) {
  (void)state;
  pair p = {0};
  start(&p, ACCOUNT, NO_TLS, NO_TLS);
  const char *out = exchange(&p.server, CLIENT_HEADER(" to='example.com'"));
  assert_null(strstr(out, "<stream:features"));
  assert_false(xmppim_session_want_read(p.server.s));
  assert_non_null(strstr(out, CLOSE));
  finish(&p);
  start(&p, ACCOUNT, PLAIN_OK, NO_TLS);
  take(&p.client);
  out = exchange(&p.client, "<stream:stream from='example.com' id='s1' xmlns='jabber:client' "
                            "xmlns:stream='http://etherx.jabber.org/streams'><stream:features><mechanisms xmlns='" NS_SASL
                            "'><mechanism>PLAIN</mechanism></mechanisms></stream:features>");
  assert_null(strstr(out, "<auth"));
  assert_false(xmppim_session_want_read(p.client.s));
  finish(&p);
}

/* C4.8.3-c: an unsupported content namespace ends the stream with
 * invalid-namespace: as the header's default namespace (either side), or
 * on a first-level element of a ready stream. */
static void C4_8_3_c_unsupported_content_namespace(void **state) {
  (void)state;
  pair p = {0};
  start(&p, ACCOUNT, NO_TLS, NO_TLS);
  const char *out = exchange(&p.server, "<stream:stream to='example.com' version='1.0' xmlns='jabber:server' "
                                        "xmlns:stream='http://etherx.jabber.org/streams'>");
  assert_non_null(strstr(out, STREAM_ERROR("invalid-namespace")));
  finish(&p);
  start(&p, ACCOUNT, NO_TLS, NO_TLS);
  take(&p.client);
  out = exchange(&p.client, "<stream:stream from='example.com' id='s1' version='1.0' xmlns='jabber:server' "
                            "xmlns:stream='http://etherx.jabber.org/streams'>");
  assert_true(starts_with(out, STREAM_ERROR("invalid-namespace")));
  finish(&p);
  server_ready(&p, NO_TLS);
  out = exchange(&p.server, "<message xmlns='jabber-client' to='romeo@example.net'/>");
  assert_true(starts_with(out, STREAM_ERROR("invalid-namespace")));
  assert_int_equal(p.server.stanzas, 0);
  finish(&p);
}

/* C4.8.4-b: other first-level elements after the stream is ready: the
 * server closes with unsupported-stanza-type, the client ignores them.
 * C4.8.4-a: either way they never reach the host, which therefore cannot
 * route them. */
static void C4_8_4_a_and_C4_8_4_b_other_first_level_elements(void **state) {
  (void)state;
  static const char *const elements[] = {
    "<ping xmlns='urn:xmpp:ping'/>",
    "<message xmlns='jabber:server' from='" ACCOUNT "/balcony' to='romeo@example.net'/>",
    "<foo xmlns='jabber:client'/>",
  };
  for (size_t i = 0; i < 3; i++) {
    pair p = {0};
    server_ready(&p, NO_TLS);
    const char *out = exchange(&p.server, elements[i]);
    if (!starts_with(out, STREAM_ERROR("unsupported-stanza-type")))
      fail_msg("%s: expected unsupported-stanza-type, got %s", elements[i], out);
    assert_int_equal(p.server.stanzas, 0);
    finish(&p);
    start(&p, ACCOUNT, NO_TLS, NO_TLS);
    pair_pump(&p);
    assert_true(p.client.ready);
    assert_string_equal(exchange(&p.client, elements[i]), "");
    assert_int_equal(p.client.stanzas, 0);
    assert_true(xmppim_session_want_read(p.client.s));
    finish(&p);
  }
}


/* ======================================================================
 * STARTTLS (section 5)
 * ====================================================================== */

/* Moves bytes both ways until neither side has anything to say, like
 * pair_pump(), but keeps each direction's bytes apart, lets `hook` rewrite
 * what goes over (it returns the new length, or -1 to leave it), and tells
 * both sessions the time after every move (now += tick, when tick > 0). */
typedef struct relay_log {
  char c2s[65536], s2c[65536];
  size_t c2s_len, s2c_len;
} relay_log;

typedef long (*relay_hook)(int to_server, const char *in, size_t n, char *out, size_t cap, void *ud);

static void log_append(char *buf, size_t *len, size_t cap, const char *data, size_t n) {
  if (n > cap - 1 - *len) n = cap - 1 - *len;
  memcpy(buf + *len, data, n);
  *len += n;
  buf[*len] = '\0';
}

static size_t relay_move(pair_side *from, pair_side *to, int to_server, relay_log *log, relay_hook hook,
                         void *ud) {
  static char rewritten[16384];
  const char *data;
  size_t n = xmppim_session_output(from->s, &data);
  if (!n) return 0;
  const char *feed = data;
  size_t feed_len = n;
  long r = hook ? hook(to_server, data, n, rewritten, sizeof(rewritten), ud) : -1;
  if (r >= 0) {
    feed = rewritten;
    feed_len = (size_t)r;
  }
  size_t used = feed_len;
  if (xmppim_session_want_read(to->s)) {
    long fed = xmppim_session_feed(to->s, feed, feed_len);
    if (fed == XMPPIM_ERR_BACKPRESSURE) return 0;
    if (fed >= 0 && r < 0) used = (size_t)fed;
  }
  if (to_server)
    log_append(log->c2s, &log->c2s_len, sizeof(log->c2s), feed, used);
  else
    log_append(log->s2c, &log->s2c_len, sizeof(log->s2c), feed, used);
  xmppim_session_consumed(from->s, r >= 0 ? n : used);
  return n;
}

static void relay(pair *p, relay_log *log, relay_hook hook, void *ud, uint64_t *now, uint64_t tick) {
  for (int round = 0; round < 10000; round++) {
    if (p->client.ready && p->server.ready) tick = 0; /* keepalives from here on */
    size_t moved = relay_move(&p->client, &p->server, 1, log, hook, ud);
    if (tick) {
      *now += tick;
      assert_int_equal(xmppim_session_timeout(p->client.s, *now), 0);
      assert_int_equal(xmppim_session_timeout(p->server.s, *now), 0);
    }
    moved += relay_move(&p->server, &p->client, 0, log, hook, ud);
    if (tick) {
      *now += tick;
      assert_int_equal(xmppim_session_timeout(p->client.s, *now), 0);
      assert_int_equal(xmppim_session_timeout(p->server.s, *now), 0);
    }
    if (p->client.starttls && p->server.starttls && !xmppim_session_want_write(p->server.s)) {
      p->client.starttls = p->server.starttls = 0;
      assert_int_equal(xmppim_session_tls_established(p->server.s, NULL), 0);
      assert_int_equal(xmppim_session_tls_established(p->client.s, NULL), 0);
      moved++;
    }
    if (!moved) return;
  }
  fail_msg("the relay never went quiet");
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Nonzero when `seg` (n bytes) has whitespace outside a tag: before its
 * first element, between two elements or after the last. */
static int whitespace_between_elements(const char *seg, size_t n) {
  int in_tag = 0;
  for (size_t i = 0; i < n; i++) {
    if (seg[i] == '<') in_tag = 1;
    else if (seg[i] == '>') in_tag = 0;
    else if (!in_tag && is_ws(seg[i])) return 1;
  }
  return 0;
}

/* The bytes from the first `from` on to the first `to` after it (excluded). */
static size_t segment(const char *text, const char *from, const char *to, const char **start) {
  *start = strstr(text, from);
  if (!*start) fail_msg("no %s in %s", from, text);
  const char *end = strstr(*start + 1, to);
  if (!end) fail_msg("no %s after %s in %s", to, from, text);
  return (size_t)(end - *start);
}

/* C5.2-a: STARTTLS is driven to the end by both sides: the client asks,
 * the server proceeds, both hand over to the TLS engine at the same point
 * and restart (the full logins are in login_each_mechanism_over_tls in
 * tests/unit/test_session.c). */
static void C5_2_a_starttls_negotiated(void **state) {
  (void)state;
  pair p = {.tls_shim = 1};
  start(&p, ACCOUNT, (opt_spec){.require_tls = 1}, NO_TLS);
  take(&p.client);
  const char *out = exchange(&p.client, SERVER_HEADER("s1") "<stream:features><starttls xmlns='" NS_TLS
                                        "'/><mechanisms xmlns='" NS_SASL "'><mechanism>SCRAM-SHA-1</mechanism>"
                                        "</mechanisms></stream:features>");
  assert_string_equal(out, STARTTLS);
  assert_string_equal(exchange(&p.client, PROCEED), "");
  assert_true(p.client.starttls);
  assert_int_equal(xmppim_session_state_get(p.client.s), XMPPIM_STATE_TLS);
  assert_false(xmppim_session_is_secure(p.client.s));
  assert_int_equal(xmppim_session_tls_established(p.client.s, NULL), 0);
  assert_true(xmppim_session_is_secure(p.client.s));
  finish(&p);
  char pre[4096];
  server_after_tls(&p, NO_TLS, HEADER, pre, sizeof(pre));
  assert_true(xmppim_session_is_secure(p.server.s));
  assert_int_equal(xmppim_session_state_get(p.server.s), XMPPIM_STATE_NEGOTIATING);
  finish(&p);
}

/* C5.3.1-a: STARTTLS that must be negotiated is offered with <required/>
 * and alone. C4.3.2-b: a client that can do TLS negotiates it first; one
 * that cannot does not go on to SASL past a mandatory STARTTLS (whether it
 * is marked required or is the only feature). */
static void C5_3_1_a_required_starttls_offered_alone(void **state) {
  (void)state;
  pair p = {.tls_shim = 1};
  start(&p, ACCOUNT, NO_TLS, (opt_spec){.require_tls = 1});
  const char *out = exchange(&p.server, HEADER);
  assert_string_equal(after_header(out), "<stream:features><starttls xmlns='" NS_TLS
                                         "'><required/></starttls></stream:features>");
  finish(&p);
}

static void C4_3_2_b_client_negotiates_mandatory_feature(void **state) {
  (void)state;
  static const char *const features[] = {
    "<stream:features><starttls xmlns='" NS_TLS "'><required/></starttls><mechanisms xmlns='" NS_SASL
    "'><mechanism>PLAIN</mechanism><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>",
    "<stream:features><starttls xmlns='" NS_TLS "'/></stream:features>",
  };
  for (size_t i = 0; i < 2; i++) {
    char in[1024];
    snprintf(in, sizeof(in), "%s%s", SERVER_HEADER("s1"), features[i]);
    pair p = {.tls_shim = 1};
    start(&p, ACCOUNT, PLAIN_OK, NO_TLS);
    take(&p.client);
    assert_string_equal(exchange(&p.client, in), STARTTLS);
    finish(&p);
    p = (pair){0}; /* no TLS engine on the client */
    start(&p, ACCOUNT, PLAIN_OK, NO_TLS);
    take(&p.client);
    const char *out = exchange(&p.client, in);
    assert_null(strstr(out, "<auth"));
    assert_false(p.client.ready);
    assert_int_equal(xmppim_session_state_get(p.client.s), XMPPIM_STATE_CLOSING);
    finish(&p);
  }
}

/* C5.3.2-a: after TLS the client restarts at once with a new header (no
 * close tag), and the server reads a new stream. */
static void C5_3_2_a_restart_after_tls(void **state) {
  (void)state;
  pair p = {.tls_shim = 1};
  start(&p, ACCOUNT, (opt_spec){.require_tls = 1}, NO_TLS);
  take(&p.client);
  exchange(&p.client, SERVER_HEADER("s1") "<stream:features><starttls xmlns='" NS_TLS "'/></stream:features>");
  exchange(&p.client, PROCEED);
  assert_int_equal(xmppim_session_tls_established(p.client.s, NULL), 0);
  const char *out = take(&p.client);
  assert_true(starts_with(out, "<?xml version='1.0'?><stream:stream "));
  assert_string_equal(attr_in(out, "stream:stream", "to"), "example.com");
  assert_null(strstr(out, CLOSE));
  assert_int_equal(xmppim_session_state_get(p.client.s), XMPPIM_STATE_OPENING);
  finish(&p);
  char pre[4096];
  out = server_after_tls(&p, NO_TLS, HEADER, pre, sizeof(pre));
  assert_true(starts_with(out, "<?xml version='1.0'?><stream:stream "));
  finish(&p);
}

/* C5.3.3-a: no whitespace from the client's <starttls/> through the
 * server's <proceed/>; C6.3.5-a: none from <auth/> through <success/>.
 * Keepalives are on (every 1 s) on both sides and time is told to both
 * after every move (5 s later each time) through the whole login. */
static void C5_3_3_a_and_C6_3_5_a_no_whitespace_in_tls_and_sasl(void **state) {
  (void)state;
  static relay_log log;
  memset(&log, 0, sizeof(log));
  pair p = {.tls_shim = 1};
  start(&p, ACCOUNT, (opt_spec){.require_tls = 1, .keepalive = 1000}, (opt_spec){.require_tls = 0, .keepalive = 1000});
  uint64_t now = 0;
  relay(&p, &log, NULL, NULL, &now, 5000);
  assert_true(p.client.ready);
  assert_true(p.server.ready);
  assert_int_equal(xmppim_session_mechanism(p.client.s), XMPPIM_SASL_MECH_SCRAM_SHA_256);
  const char *seg;
  size_t n = segment(log.c2s, "<starttls", "<?xml", &seg);
  assert_int_equal(n, strlen(STARTTLS));
  assert_non_null(strstr(log.s2c, "</stream:features>" PROCEED "<?xml"));
  n = segment(log.c2s, "<auth", "<?xml", &seg);
  assert_false(whitespace_between_elements(seg, n));
  assert_true(count(log.c2s, "<response") >= 1);
  const char *features_end = strstr(strstr(log.s2c, PROCEED), "</stream:features>");
  n = segment(features_end, "</stream:features>", "<?xml", &seg);
  assert_non_null(strstr(seg, "<challenge"));
  assert_false(whitespace_between_elements(seg, n));
  /* The keepalives were really on: the ready stream gets them. */
  now += 5000;
  xmppim_session_timeout(p.client.s, now);
  assert_string_equal(take(&p.client), " ");
  finish(&p);
}

/* C5.3.4-a: a client finishes STARTTLS before SASL: with both offered it
 * asks for TLS only, and sends nothing more until TLS is up. */
static void C5_3_4_a_tls_before_sasl(void **state) {
  (void)state;
  pair p = {.tls_shim = 1};
  start(&p, ACCOUNT, (opt_spec){.require_tls = 0, .plain_without_tls = 1}, NO_TLS);
  take(&p.client);
  assert_string_equal(exchange(&p.client, SERVER_HEADER("s1") "<stream:features><mechanisms xmlns='" NS_SASL
                                          "'><mechanism>PLAIN</mechanism></mechanisms><starttls xmlns='" NS_TLS
                                          "'/></stream:features>"),
                      STARTTLS);
  assert_string_equal(exchange(&p.client, PROCEED), "");
  assert_int_equal(xmppim_session_timeout(p.client.s, 100000), 0);
  assert_string_equal(take(&p.client), "");
  finish(&p);
}

/* C5.4.1-a: TLS available: <starttls/> in its namespace, empty, or with an
 * empty <required/> when mandatory; not available: not offered. */
static void C5_4_1_a_starttls_advertised(void **state) {
  (void)state;
  pair p = {.tls_shim = 1};
  start(&p, ACCOUNT, NO_TLS, NO_TLS);
  const char *out = exchange(&p.server, HEADER);
  assert_true(starts_with(after_header(out), "<stream:features><starttls xmlns='" NS_TLS "'/><mechanisms "));
  finish(&p);
  p = (pair){.tls_shim = 1};
  start(&p, ACCOUNT, NO_TLS, (opt_spec){.require_tls = 1});
  out = exchange(&p.server, HEADER);
  assert_true(starts_with(after_header(out), "<stream:features><starttls xmlns='" NS_TLS "'><required/></starttls>"));
  finish(&p);
  p = (pair){0};
  out = server_opened(&p, NO_TLS);
  assert_null(strstr(out, "starttls"));
  finish(&p);
}

/* C5.4.2.1-b: <starttls/> is answered with <proceed/> or <failure/> in the
 * TLS namespace (both answers checked byte for byte here and in
 * C5.4.2.2-a). */
static void C5_4_2_1_b_starttls_answered_in_tls_namespace(void **state) {
  (void)state;
  pair p = {.tls_shim = 1};
  start(&p, ACCOUNT, NO_TLS, NO_TLS);
  exchange(&p.server, HEADER);
  assert_string_equal(exchange(&p.server, STARTTLS), "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  assert_int_equal(xmppim_session_state_get(p.server.s), XMPPIM_STATE_TLS);
  finish(&p);
}

/* C5.4.2.2-a: <starttls/> when it was not offered (no TLS engine, or
 * already secure) gets <failure/>, and the stream is closed; a client told
 * <failure/> closes too. */
static void assert_tls_failure_and_close(pair_side *server, const char *out) {
  assert_string_equal(out, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" CLOSE);
  assert_false(xmppim_session_want_read(server->s));
  assert_true(server->closed);
}

static void C5_4_2_2_a_unoffered_starttls_fails_and_closes(void **state) {
  (void)state;
  pair p = {0};
  server_opened(&p, NO_TLS);
  assert_tls_failure_and_close(&p.server, exchange(&p.server, STARTTLS));
  finish(&p);
  char pre[4096];
  server_after_tls(&p, NO_TLS, HEADER, pre, sizeof(pre));
  assert_tls_failure_and_close(&p.server, exchange(&p.server, STARTTLS));
  finish(&p);
  p = (pair){.tls_shim = 1};
  start(&p, ACCOUNT, (opt_spec){.require_tls = 1}, NO_TLS);
  take(&p.client);
  exchange(&p.client, SERVER_HEADER("s1") "<stream:features><starttls xmlns='" NS_TLS "'/></stream:features>");
  assert_string_equal(exchange(&p.client, "<failure xmlns='" NS_TLS "'/>"), CLOSE);
  assert_int_equal(xmppim_session_state_get(p.client.s), XMPPIM_STATE_CLOSING);
  finish(&p);
}

/* C5.4.2.3-a: the handshake starts right after the '>' of <proceed/>: the
 * server stops reading after the client's <starttls/>, the client after
 * <proceed/>; what follows is the TLS engine's. */
static void C5_4_2_3_a_tls_starts_after_proceed(void **state) {
  (void)state;
  static const char hello[] = "\x16\x03\x01\x00\x05hello";
  char in[256];
  pair p = {.tls_shim = 1};
  start(&p, ACCOUNT, (opt_spec){.require_tls = 1}, NO_TLS);
  exchange(&p.server, HEADER);
  snprintf(in, sizeof(in), "%s%s", STARTTLS, hello);
  assert_int_equal(pair_feed_raw(&p.server, in), (long)strlen(STARTTLS));
  assert_string_equal(take(&p.server), PROCEED);
  assert_int_equal(pair_feed_raw(&p.server, hello), XMPPIM_ERR_INVALID_STATE);
  take(&p.client);
  exchange(&p.client, SERVER_HEADER("s1") "<stream:features><starttls xmlns='" NS_TLS "'/></stream:features>");
  snprintf(in, sizeof(in), "%s%s", PROCEED, hello);
  assert_int_equal(pair_feed_raw(&p.client, in), (long)strlen(PROCEED));
  assert_int_equal(pair_feed_raw(&p.client, hello), XMPPIM_ERR_INVALID_STATE);
  finish(&p);
}

/* C5.4.3.1-a: no XML at all while the handshake runs: no stanza, no
 * keepalive, and ending the session then (C5.4.3.2-a: the handshake
 * failed) writes no close tag into the TLS channel either. */
static void C5_4_3_1_a_and_C5_4_3_2_a_no_xml_during_handshake(void **state) {
  (void)state;
  pair p = {.tls_shim = 1};
  start(&p, ACCOUNT, (opt_spec){.require_tls = 1, .keepalive = 1000}, (opt_spec){.require_tls = 0, .keepalive = 1000});
  uint64_t now = 0;
  /* Up to the handshake, without running it. */
  for (int i = 0; i < 10 && !(p.client.starttls && p.server.starttls); i++) {
    const char *data;
    size_t n = xmppim_session_output(p.client.s, &data);
    if (n) {
      long used = xmppim_session_feed(p.server.s, data, n);
      assert_true(used > 0);
      xmppim_session_consumed(p.client.s, (size_t)used);
    }
    n = xmppim_session_output(p.server.s, &data);
    if (n) {
      long used = xmppim_session_feed(p.client.s, data, n);
      assert_true(used > 0);
      xmppim_session_consumed(p.server.s, (size_t)used);
    }
  }
  assert_int_equal(xmppim_session_state_get(p.client.s), XMPPIM_STATE_TLS);
  assert_int_equal(xmppim_session_state_get(p.server.s), XMPPIM_STATE_TLS);
  pair_side *sides[2] = {&p.client, &p.server};
  xmppim_stanza *m = stanza("message");
  for (int i = 0; i < 2; i++) {
    assert_string_equal(take(sides[i]), "");
    assert_int_equal(xmppim_session_send(sides[i]->s, m), XMPPIM_ERR_INVALID_STATE);
    now += 60000;
    xmppim_session_timeout(sides[i]->s, now);
    assert_string_equal(take(sides[i]), "");
  }
  /* The handshake failed: the host ends both sessions. */
  char wrote[2][256];
  for (int i = 0; i < 2; i++) {
    xmppim_session_close(sides[i]->s);
    keep(wrote[i], sizeof(wrote[i]), take(sides[i]));
  }
  if (wrote[0][0] || wrote[1][0])
    fail_msg("closed during the handshake, the client wrote '%s' and the server '%s'", wrote[0], wrote[1]);
  finish(&p);
}

/* C5.4.3.3-a: after TLS nothing learnt before it counts: the stream id is
 * gone until the new header, and what the client's first header said
 * (from, xml:lang) is not applied to the new stream or its stanzas. */
static void C5_4_3_3_a_pre_tls_state_forgotten(void **state) {
  (void)state;
  char pre[4096];
  pair p = {0};
  p.tls_shim = 1;
  start(&p, ACCOUNT, NO_TLS, PLAIN_OK);
  exchange(&p.server, CLIENT_HEADER(" from='" ACCOUNT "' to='example.com' version='1.0' xml:lang='de'"));
  assert_non_null(xmppim_session_stream_id(p.server.s));
  assert_string_equal(exchange(&p.server, STARTTLS), PROCEED);
  assert_int_equal(xmppim_session_tls_established(p.server.s, NULL), 0);
  assert_null(xmppim_session_stream_id(p.server.s));
  const char *out = exchange(&p.server, HEADER);
  keep(pre, sizeof(pre), out);
  assert_null(attr_in(pre, "stream:stream", "to"));
  assert_string_equal(attr_in(pre, "stream:stream", "xml:lang"), "en");
  /* What was offered before TLS is recomputed: PLAIN only now. */
  assert_non_null(strstr(pre, "<mechanism>PLAIN</mechanism>"));
  assert_string_equal(exchange(&p.server, AUTH_PLAIN), SUCCESS);
  exchange(&p.server, HEADER);
  exchange(&p.server, BIND_IQ("b1", "balcony"));
  assert_true(p.server.ready);
  assert_string_equal(exchange(&p.server, "<message to='romeo@example.net'><body>hi</body></message>"), "");
  if (strstr(p.server.last_stanza, "xml:lang='de'"))
    fail_msg("the pre-TLS header's xml:lang was applied after TLS: %s", p.server.last_stanza);
  finish(&p);
  /* The client forgets the server's pre-TLS stream id. */
  p = (pair){.tls_shim = 1};
  start(&p, ACCOUNT, (opt_spec){.require_tls = 1}, NO_TLS);
  take(&p.client);
  exchange(&p.client, SERVER_HEADER("before-tls") "<stream:features><starttls xmlns='" NS_TLS "'/></stream:features>");
  assert_string_equal(xmppim_session_stream_id(p.client.s), "before-tls");
  exchange(&p.client, PROCEED);
  assert_int_equal(xmppim_session_tls_established(p.client.s, NULL), 0);
  assert_null(xmppim_session_stream_id(p.client.s));
  exchange(&p.client, SERVER_HEADER("after-tls"));
  assert_string_equal(xmppim_session_stream_id(p.client.s), "after-tls");
  finish(&p);
}

/* C5.4.3.3-b: after TLS the server answers the new header with a new id and
 * features without STARTTLS but with SASL (also when TLS was required). */
static void C5_4_3_3_b_features_after_tls(void **state) {
  (void)state;
  static const opt_spec servers[] = {{.require_tls = 0}, {.require_tls = 1}};
  for (size_t i = 0; i < 2; i++) {
    char pre[4096];
    pair p = {0};
    const char *out = server_after_tls(&p, servers[i], HEADER, pre, sizeof(pre));
    char id[64];
    keep(id, sizeof(id), attr_in(pre, "stream:stream", "id"));
    assert_string_not_equal(attr_in(out, "stream:stream", "id"), id);
    assert_string_equal(after_header(out),
                        "<stream:features><mechanisms xmlns='" NS_SASL "'><mechanism>SCRAM-SHA-256</mechanism>"
                        "<mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms>"
                        "</stream:features>");
    finish(&p);
  }
}


/* ======================================================================
 * SASL (section 6, and 13.8)
 * ====================================================================== */

/* A server session with a host of this file's own: PLAIN for juliet (any
 * case of the name), an authorization policy, and a binding policy. */
typedef struct registry {
  char used[32][64]; /* resources bound so far */
  int n;
} registry;

typedef struct host {
  xmppim_session *s;
  registry *reg;                /* conflicts come from here when set */
  xmppim_bind_decision decision; /* anything but ACCEPT: said to every request */
  int may_act_as_romeo;          /* authorize: juliet may be romeo@example.com */
  int binds;                     /* on_bind calls */
  char asked[16][128];           /* the full JIDs on_bind was asked about */
  int ready;
  char out[8192];
} host;

static xmppim_sasl_condition host_plain(const char *authcid, const char *password, const char *authzid,
                                        void *ud) {
  (void)authzid;
  (void)ud;
  const char *want = PAIR_USER;
  size_t n = strlen(authcid);
  if (n != strlen(want)) return XMPPIM_SASL_COND_NOT_AUTHORIZED;
  for (size_t i = 0; i < n; i++) {
    char c = authcid[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != want[i]) return XMPPIM_SASL_COND_NOT_AUTHORIZED;
  }
  return strcmp(password, PAIR_PASSWORD) == 0 ? XMPPIM_SASL_COND_NONE : XMPPIM_SASL_COND_NOT_AUTHORIZED;
}

static host *current_host; /* the SASL authorize callback gets no session */

static xmppim_sasl_condition host_authorize(const char *authcid, const char *authzid, void *ud) {
  (void)authcid;
  (void)ud;
  if (!authzid || !*authzid) return XMPPIM_SASL_COND_NONE; /* for itself */
  return current_host && current_host->may_act_as_romeo && strcmp(authzid, "romeo@example.com") == 0
             ? XMPPIM_SASL_COND_NONE
             : XMPPIM_SASL_COND_INVALID_AUTHZID;
}

static xmppim_bind_decision host_bind(xmppim_session *s, const xmppim_jid *jid, void *ud) {
  (void)s;
  host *h = ud;
  if (h->binds < 16) keep(h->asked[h->binds], sizeof(h->asked[0]), xmppim_jid_to_string(jid));
  h->binds++;
  if (h->decision != XMPPIM_BIND_ACCEPT) return h->decision;
  if (!h->reg) return XMPPIM_BIND_ACCEPT;
  const char *res = xmppim_jid_resource(jid);
  for (int i = 0; i < h->reg->n; i++)
    if (strcmp(h->reg->used[i], res) == 0) return XMPPIM_BIND_CONFLICT;
  if (h->reg->n < 32) keep(h->reg->used[h->reg->n++], sizeof(h->reg->used[0]), res);
  return XMPPIM_BIND_ACCEPT;
}

static void host_ready(xmppim_session *s, const xmppim_jid *jid, void *ud) {
  (void)s;
  (void)jid;
  ((host *)ud)->ready = 1;
}

static void host_new(host *h, opt_spec spec) {
  xmppim_callbacks *cb;
  assert_int_equal(xmppim_callbacks_new(&cb), 0);
  xmppim_callbacks_set_sasl_plain(cb, host_plain);
  xmppim_callbacks_set_sasl_authorize(cb, host_authorize);
  xmppim_callbacks_set_on_bind(cb, host_bind);
  xmppim_callbacks_set_on_ready(cb, host_ready);
  spec.plain_without_tls = 1;
  if (spec.require_tls < 0) spec.require_tls = 0;
  xmppim_options *o = make_options(spec);
  int rv = xmppim_session_server_new(&h->s, PAIR_DOMAIN, cb, h, o, NULL);
  xmppim_callbacks_free(cb);
  xmppim_options_free(o);
  assert_int_equal(rv, 0);
  track((void **)live_sessions, N_SESSIONS, h->s);
  current_host = h;
}

static const char *host_exchange(host *h, const char *xml) {
  xmppim_session_feed(h->s, xml, strlen(xml));
  const char *data;
  size_t n = xmppim_session_output(h->s, &data);
  if (n >= sizeof(h->out)) n = sizeof(h->out) - 1;
  if (n) memcpy(h->out, data, n);
  h->out[n] = '\0';
  xmppim_session_consumed(h->s, n);
  return h->out;
}

/* Header, <auth mechanism='PLAIN'> with this payload, restart: returns the
 * answer to the restart. */
static const char *host_authenticated(host *h, const char *plain_b64) {
  host_exchange(h, HEADER);
  char auth[512];
  snprintf(auth, sizeof(auth), "<auth xmlns='" NS_SASL "' mechanism='PLAIN'>%s</auth>", plain_b64);
  assert_string_equal(host_exchange(h, auth), SUCCESS);
  return host_exchange(h, HEADER);
}

static void host_free(host *h) {
  untrack((void **)live_sessions, N_SESSIONS, h->s);
  xmppim_session_free(h->s);
  h->s = NULL;
  current_host = NULL;
}

/* base64 both ways, for payloads the tests build or read. */
static const char *b64(const char *text, size_t len) {
  static char out[1024];
  xmppim_base64_encode((const unsigned char *)text, len, out, sizeof(out));
  return out;
}

static const char *unb64(const char *text, size_t len) {
  static char out[1024];
  size_t n = 0;
  if (xmppim_base64_decode(text, len, (unsigned char *)out, sizeof(out) - 1, &n) != 0)
    fail_msg("not base64: %.*s", (int)len, text);
  out[n] = '\0';
  return out;
}

/* The text content of the first <name ...>...</name> in `xml`. */
static const char *content_of(const char *xml, const char *name, size_t *len) {
  char open[64], close[64];
  snprintf(open, sizeof(open), "<%s", name);
  snprintf(close, sizeof(close), "</%s>", name);
  const char *at = strstr(xml, open);
  if (!at) fail_msg("no <%s in %s", name, xml);
  at = strchr(at, '>') + 1;
  const char *end = strstr(at, close);
  if (!end) fail_msg("no </%s> in %s", name, xml);
  *len = (size_t)(end - at);
  return at;
}

/* The client, secured with the TLS stand-in by hand, after its new header. */
static void client_after_tls(pair *p, opt_spec client) {
  p->tls_shim = 1;
  start(p, ACCOUNT, client, NO_TLS);
  take(&p->client);
  assert_string_equal(exchange(&p->client, SERVER_HEADER("s1") "<stream:features><starttls xmlns='" NS_TLS
                                                                 "'/></stream:features>"),
                      STARTTLS);
  exchange(&p->client, PROCEED);
  assert_int_equal(xmppim_session_tls_established(p->client.s, NULL), 0);
  assert_true(starts_with(take(&p->client), "<?xml"));
}

/* Runs a pair (no TLS) until the server's next output starts with
 * `prefix`; returns that output, taken from the server and not delivered. */
static const char *pump_until_server_says(pair *p, const char *prefix) {
  static char held[4096];
  for (int round = 0; round < 100; round++) {
    const char *data;
    size_t moved = 0, n = xmppim_session_output(p->server.s, &data);
    if (n && strncmp(data, prefix, strlen(prefix)) == 0) {
      keep(held, sizeof(held), take(&p->server));
      return held;
    }
    if (n) {
      long used = xmppim_session_feed(p->client.s, data, n);
      assert_true(used > 0);
      xmppim_session_consumed(p->server.s, (size_t)used);
      moved += (size_t)used;
    }
    n = xmppim_session_output(p->client.s, &data);
    if (n) {
      long used = xmppim_session_feed(p->server.s, data, n);
      assert_true(used > 0);
      xmppim_session_consumed(p->client.s, (size_t)used);
      moved += (size_t)used;
    }
    if (!moved) break;
  }
  fail_msg("the server never said %s", prefix);
  return NULL;
}

/* C4.7.1-d (the client's side of it, continued): the client checks the
 * server's proof too; a <success/> whose SCRAM verifier is wrong is not
 * accepted, and the client neither restarts nor binds. */
static void C4_7_1_d_client_checks_server_proof(void **state) {
  (void)state;
  pair p = {0};
  start(&p, ACCOUNT, (opt_spec){.require_tls = 0, .mechanisms = BIT(XMPPIM_SASL_MECH_SCRAM_SHA_1)}, NO_TLS);
  const char *success = pump_until_server_says(&p, "<success");
  size_t n;
  const char *data = content_of(success, "success", &n);
  assert_true(starts_with(unb64(data, n), "v="));
  static const char forged[] = "v=AAAAAAAAAAAAAAAAAAAAAAAAAAA="; /* 20 zero bytes */
  char in[2048];
  snprintf(in, sizeof(in), "<success xmlns='" NS_SASL "'>%s</success>", b64(forged, sizeof(forged) - 1));
  const char *out = exchange(&p.client, in);
  assert_null(strstr(out, "<stream:stream"));
  assert_int_not_equal(p.client.auth_failure, 0);
  assert_false(p.client.ready);
  assert_int_equal(xmppim_session_mechanism(p.client.s), XMPPIM_SASL_MECH_UNKNOWN);
  finish(&p);
}

/* C6.2-a: SASL is always negotiated: a client offered no SASL does not go
 * on to binding (the server side: a bind before SASL is C7.4-a). */
static void C6_2_a_sasl_mandatory(void **state) {
  (void)state;
  pair p = {0};
  start(&p, ACCOUNT, NO_TLS, NO_TLS);
  take(&p.client);
  const char *out = exchange(&p.client, SERVER_HEADER("s1") "<stream:features><bind xmlns='" NS_BIND
                                                             "'/></stream:features>");
  assert_null(strstr(out, "<iq"));
  assert_false(p.client.ready);
  assert_int_equal(xmppim_session_state_get(p.client.s), XMPPIM_STATE_CLOSING);
  finish(&p);
}

/* C6.3.2-a, C6.4.6-c: after <success/> the client sends a new header at
 * once, without a close tag; the server reads it as a new stream and
 * answers with a new header (new id) and new features. */
static void C6_3_2_a_and_C6_4_6_c_restart_after_success(void **state) {
  (void)state;
  pair p = {0};
  client_authenticating(&p, ACCOUNT, NO_TLS);
  const char *out = exchange(&p.client, SUCCESS);
  assert_string_equal(out, "<?xml version='1.0'?><stream:stream to='example.com' version='1.0' xml:lang='en' "
                           "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
  finish(&p);
  p = (pair){0};
  char first[4096];
  keep(first, sizeof(first), server_opened(&p, PLAIN_OK));
  char old_id[64];
  keep(old_id, sizeof(old_id), attr_in(first, "stream:stream", "id"));
  assert_string_equal(exchange(&p.server, AUTH_PLAIN), SUCCESS);
  assert_null(xmppim_session_stream_id(p.server.s));
  out = exchange(&p.server, HEADER);
  assert_string_not_equal(attr_in(out, "stream:stream", "id"), old_id);
  assert_true(starts_with(after_header(out), "<stream:features><bind "));
  finish(&p);
}

/* C6.3.3-a: the client picks by its own preference whatever the server's
 * order, and never a mechanism it does not have or was not allowed (see
 * also client_prefers_strongest in tests/unit/test_session.c). */
static const char *client_picks(unsigned client_mechs, const char *offered) {
  static char auth[256];
  pair p = {0};
  start(&p, ACCOUNT, (opt_spec){.require_tls = 0, .plain_without_tls = 1, .mechanisms = client_mechs}, NO_TLS);
  take(&p.client);
  char in[1024];
  snprintf(in, sizeof(in), SERVER_HEADER("s1") "<stream:features><mechanisms xmlns='" NS_SASL "'>%s</mechanisms>"
                                               "</stream:features>", offered);
  const char *out = exchange(&p.client, in);
  const char *mech = strstr(out, "<auth ") ? attr_in(out, "auth", "mechanism") : NULL;
  keep(auth, sizeof(auth), mech ? mech : "(none)");
  if (!mech) assert_int_equal(p.client.auth_failure, XMPPIM_SASL_COND_INVALID_MECHANISM);
  finish(&p);
  return auth;
}

static void C6_3_3_a_client_preference_order(void **state) {
  (void)state;
  assert_string_equal(client_picks(0, "<mechanism>PLAIN</mechanism><mechanism>SCRAM-SHA-1</mechanism>"
                                      "<mechanism>SCRAM-SHA-256</mechanism>"),
                      "SCRAM-SHA-256");
  assert_string_equal(client_picks(0, "<mechanism>SCRAM-SHA-256</mechanism><mechanism>SCRAM-SHA-1</mechanism>"
                                      "<mechanism>PLAIN</mechanism>"),
                      "SCRAM-SHA-256");
  assert_string_equal(client_picks(0, "<mechanism>PLAIN</mechanism><mechanism>SCRAM-SHA-1</mechanism>"),
                      "SCRAM-SHA-1");
  assert_string_equal(client_picks(BIT(XMPPIM_SASL_MECH_SCRAM_SHA_1) | BIT(XMPPIM_SASL_MECH_PLAIN),
                                   "<mechanism>SCRAM-SHA-256</mechanism><mechanism>PLAIN</mechanism>"
                                   "<mechanism>SCRAM-SHA-1</mechanism>"),
                      "SCRAM-SHA-1");
  /* Not on its list: never tried. -PLUS without channel binding: not usable. */
  assert_string_equal(client_picks(0, "<mechanism>DIGEST-MD5</mechanism><mechanism>X-OAUTH2</mechanism>"
                                      "<mechanism>SCRAM-SHA-256-PLUS</mechanism>"),
                      "(none)");
  assert_string_equal(client_picks(BIT(XMPPIM_SASL_MECH_SCRAM_SHA_256), "<mechanism>SCRAM-SHA-1</mechanism>"
                                                                         "<mechanism>PLAIN</mechanism>"),
                      "(none)");
}

/* C6.3.4-a: before TLS the server does not offer what it accepts only
 * after TLS (PLAIN, and the -PLUS variants that need the TLS channel), and
 * refuses it if asked anyway; after TLS it offers it. */
static void C6_3_4_a_nothing_offered_before_tls_that_needs_it(void **state) {
  (void)state;
  char pre[4096];
  pair p = {0};
  const char *out = server_after_tls(&p, NO_TLS, HEADER, pre, sizeof(pre));
  assert_string_equal(after_header(pre), "<stream:features><starttls xmlns='" NS_TLS "'/><mechanisms xmlns='" NS_SASL
                                         "'><mechanism>SCRAM-SHA-256</mechanism><mechanism>SCRAM-SHA-1</mechanism>"
                                         "</mechanisms></stream:features>");
  assert_non_null(strstr(out, "<mechanism>PLAIN</mechanism>"));
  finish(&p);
  p = (pair){.tls_shim = 1};
  start(&p, ACCOUNT, NO_TLS, NO_TLS);
  exchange(&p.server, HEADER);
  assert_string_equal(exchange(&p.server, AUTH_PLAIN),
                      "<failure xmlns='" NS_SASL "'><invalid-mechanism/></failure>");
  finish(&p);
}

/* C6.3.5-b: SASL payloads are strict base64 (RFC 4648 section 4): no
 * whitespace, padding in place, zero padding bits; a client's payloads are
 * canonical, and it does not take a server's broken one (see also
 * incorrect_encoding in tests/unit/test_session.c). */
static void C6_3_5_b_strict_base64(void **state) {
  (void)state;
  static const char *const bad[] = {
    "AGp1bGll dAByMG0zMG15cjBtMzA=",  /* inner space */
    "AGp1bGlldAByMG0zMG15cjBtMzA",    /* padding missing */
    "AGp1bGlldAByMG0zMG15cjBtMzB=",   /* non-zero padding bits */
    "AGp1bGlldAByMG0zMG15cjBtMzA=\n", /* trailing newline */
  };
  for (size_t i = 0; i < 4; i++) {
    pair p = {0};
    server_opened(&p, PLAIN_OK);
    char auth[2048];
    snprintf(auth, sizeof(auth), "<auth xmlns='" NS_SASL "' mechanism='PLAIN'>%s</auth>", bad[i]);
    const char *out = exchange(&p.server, auth);
    if (strcmp(out, "<failure xmlns='" NS_SASL "'><incorrect-encoding/></failure>") != 0)
      fail_msg("payload '%s' got %s", bad[i], out);
    finish(&p);
  }
  /* The client's PLAIN payload is the canonical encoding (checked byte for
   * byte in client_authenticating); a broken challenge ends its stream. */
  pair p = {0};
  client_authenticating(&p, ACCOUNT, NO_TLS);
  const char *out = exchange(&p.client, "<challenge xmlns='" NS_SASL "'>cj1h b2I=</challenge>");
  assert_true(starts_with(out, "<stream:error>"));
  assert_false(p.client.ready);
  finish(&p);
}

/* C6.3.8-a: the client sends no authorization identity when it acts for
 * itself: PLAIN starts with an empty authzid, SCRAM's GS2 header has none. */
static void C6_3_8_a_client_sends_no_authzid(void **state) {
  (void)state;
  pair p = {0};
  client_authenticating(&p, ACCOUNT "/balcony", NO_TLS); /* PLAIN, byte for byte */
  finish(&p);
  p = (pair){0};
  start(&p, ACCOUNT, NO_TLS, NO_TLS);
  pair_pump(&p);
  assert_true(p.client.ready);
  size_t n;
  const char *payload = content_of(strstr(p.client.transcript, "<auth "), "auth", &n);
  const char *first = unb64(payload, n);
  if (!starts_with(first, "n,,n=juliet,r=") && !starts_with(first, "y,,n=juliet,r="))
    fail_msg("SCRAM client-first-message: %s", first);
  finish(&p);
}

/* C6.3.8-b: an authzid other than the account is refused with
 * invalid-authzid unless the host allows it (the pair's host has no
 * policy; see also server_sends_every_sasl_failure in the unit tests). */
static void C6_3_8_b_authzid_checked(void **state) {
  (void)state;
  static const char romeo_z[] = "romeo@example.com\0juliet\0" PAIR_PASSWORD;
  static const char juliet_z[] = ACCOUNT "\0juliet\0" PAIR_PASSWORD;
  pair p = {0};
  server_opened(&p, PLAIN_OK);
  char auth[2048];
  snprintf(auth, sizeof(auth), "<auth xmlns='" NS_SASL "' mechanism='PLAIN'>%s</auth>", b64(romeo_z, sizeof(romeo_z) - 1));
  assert_string_equal(exchange(&p.server, auth), "<failure xmlns='" NS_SASL "'><invalid-authzid/></failure>");
  snprintf(auth, sizeof(auth), "<auth xmlns='" NS_SASL "' mechanism='PLAIN'>%s</auth>", b64(juliet_z, sizeof(juliet_z) - 1));
  assert_string_equal(exchange(&p.server, auth), SUCCESS);
  finish(&p);
  host h = {0};
  host_new(&h, NO_TLS);
  host_exchange(&h, HEADER);
  snprintf(auth, sizeof(auth), "<auth xmlns='" NS_SASL "' mechanism='PLAIN'>%s</auth>", b64(romeo_z, sizeof(romeo_z) - 1));
  assert_string_equal(host_exchange(&h, auth), "<failure xmlns='" NS_SASL "'><invalid-authzid/></failure>");
  h.may_act_as_romeo = 1;
  assert_string_equal(host_exchange(&h, auth), SUCCESS);
  host_free(&h);
}

/* C6.3.10-a: both forms work: the server takes <auth/> without an initial
 * response (empty challenge first); the client takes the SCRAM
 * server-final-message in a <challenge/> followed by an empty <success/>
 * as well as in <success/>. C6.4.2-a: a zero-length payload is "=" (the
 * client's empty response), and "=" is a present, empty payload (not a
 * missing one) for the server. */
static void C6_3_10_a_with_and_without_initial_response(void **state) {
  (void)state;
  pair p = {0};
  server_opened(&p, PLAIN_OK);
  assert_string_equal(exchange(&p.server, "<auth xmlns='" NS_SASL "' mechanism='PLAIN'/>"),
                      "<challenge xmlns='" NS_SASL "'></challenge>");
  assert_string_equal(exchange(&p.server, "<response xmlns='" NS_SASL "'>" PLAIN_JULIET "</response>"), SUCCESS);
  finish(&p);
  p = (pair){0};
  server_opened(&p, NO_TLS);
  assert_string_equal(exchange(&p.server, "<auth xmlns='" NS_SASL "' mechanism='SCRAM-SHA-1'/>"),
                      "<challenge xmlns='" NS_SASL "'></challenge>");
  char resp[2048];
  snprintf(resp, sizeof(resp), "<response xmlns='" NS_SASL "'>%s</response>", b64("n,,n=juliet,r=abcdef", 20));
  const char *out = exchange(&p.server, resp);
  size_t n;
  const char *challenge = content_of(out, "challenge", &n);
  assert_true(starts_with(unb64(challenge, n), "r=abcdef"));
  finish(&p);
  /* The client, with the server's additional data moved into a challenge. */
  p = (pair){0};
  start(&p, ACCOUNT, (opt_spec){.require_tls = 0, .mechanisms = BIT(XMPPIM_SASL_MECH_SCRAM_SHA_1)}, NO_TLS);
  const char *success = pump_until_server_says(&p, "<success");
  const char *data = content_of(success, "success", &n);
  assert_true(n > 0);
  char in[1024];
  snprintf(in, sizeof(in), "<challenge xmlns='" NS_SASL "'>%.*s</challenge>", (int)n, data);
  assert_string_equal(exchange(&p.client, in), "<response xmlns='" NS_SASL "'>=</response>");
  out = exchange(&p.client, "<success xmlns='" NS_SASL "'/>");
  assert_true(starts_with(out, "<?xml version='1.0'?><stream:stream "));
  assert_int_equal(p.client.auth_failure, 0);
  finish(&p);
}

static void C6_4_2_a_empty_payload_is_equals_sign(void **state) {
  (void)state;
  /* Server: "=" is an empty initial response, answered as PLAIN answers an
   * empty message (malformed), not with the empty challenge of a missing one. */
  pair p = {0};
  server_opened(&p, PLAIN_OK);
  const char *out = exchange(&p.server, "<auth xmlns='" NS_SASL "' mechanism='PLAIN'>=</auth>");
  assert_true(starts_with(out, "<failure xmlns='" NS_SASL "'>"));
  finish(&p);
  /* Client: its empty response is "=", never an empty element. */
  p = (pair){0};
  start(&p, ACCOUNT, (opt_spec){.require_tls = 0, .mechanisms = BIT(XMPPIM_SASL_MECH_SCRAM_SHA_256)}, NO_TLS);
  const char *success = pump_until_server_says(&p, "<success");
  size_t n;
  const char *data = content_of(success, "success", &n);
  char in[1024];
  snprintf(in, sizeof(in), "<challenge xmlns='" NS_SASL "'>%.*s</challenge>", (int)n, data);
  assert_string_equal(exchange(&p.client, in), "<response xmlns='" NS_SASL "'>=</response>");
  finish(&p);
}

/* C6.4.1-b: one <mechanism/> per mechanism offered, in the server's order
 * of preference, whatever subset is enabled (the pair's case is in
 * client_prefers_strongest in the unit tests). */
static void C6_4_1_b_mechanisms_listed_once_in_preference_order(void **state) {
  (void)state;
  static const unsigned char cb_data[32] = "channel binding data for a test";
  const xmppim_sasl_channel_binding binding = {"tls-exporter", cb_data, sizeof(cb_data)};
  static const struct {
    unsigned mask;
    const char *list;
  } cases[] = {
    {0, "<mechanism>SCRAM-SHA-256-PLUS</mechanism><mechanism>SCRAM-SHA-1-PLUS</mechanism>"
        "<mechanism>SCRAM-SHA-256</mechanism><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism>"},
    {BIT(XMPPIM_SASL_MECH_PLAIN) | BIT(XMPPIM_SASL_MECH_SCRAM_SHA_1) | BIT(XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS),
     "<mechanism>SCRAM-SHA-1-PLUS</mechanism><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism>"},
    {BIT(XMPPIM_SASL_MECH_PLAIN) | BIT(XMPPIM_SASL_MECH_SCRAM_SHA_256), "<mechanism>SCRAM-SHA-256</mechanism>"
                                                                       "<mechanism>PLAIN</mechanism>"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    pair p = {.tls_shim = 1};
    start(&p, ACCOUNT, NO_TLS, (opt_spec){.require_tls = 0, .mechanisms = cases[i].mask});
    exchange(&p.server, HEADER);
    assert_string_equal(exchange(&p.server, STARTTLS), PROCEED);
    assert_int_equal(xmppim_session_tls_established(p.server.s, &binding), 0);
    const char *out = exchange(&p.server, HEADER);
    char want[1024];
    snprintf(want, sizeof(want), "<stream:features><mechanisms xmlns='" NS_SASL "'>%s</mechanisms></stream:features>",
             cases[i].list);
    assert_string_equal(after_header(out), want);
    finish(&p);
  }
}

/* C6.4.2-b: a new <auth/> during an exchange drops it and starts over. */
static void C6_4_2_b_new_auth_restarts(void **state) {
  (void)state;
  char resp[2048];
  pair p = {0};
  server_opened(&p, PLAIN_OK);
  snprintf(resp, sizeof(resp), "<auth xmlns='" NS_SASL "' mechanism='SCRAM-SHA-1'>%s</auth>",
           b64("n,,n=juliet,r=first", 19));
  assert_true(starts_with(exchange(&p.server, resp), "<challenge"));
  /* Another SCRAM exchange: its challenge answers the new nonce. */
  snprintf(resp, sizeof(resp), "<auth xmlns='" NS_SASL "' mechanism='SCRAM-SHA-256'>%s</auth>",
           b64("n,,n=juliet,r=second", 20));
  const char *out = exchange(&p.server, resp);
  size_t n;
  const char *challenge = content_of(out, "challenge", &n);
  assert_true(starts_with(unb64(challenge, n), "r=second"));
  /* And a PLAIN one, which completes. */
  assert_string_equal(exchange(&p.server, AUTH_PLAIN), SUCCESS);
  finish(&p);
}

/* C6.4.4-a: <abort/> gets <failure><aborted/></failure>, and the exchange is
 * gone (a <response/> now has nothing to answer) while the stream stays
 * open for a new attempt (the plain case: aborted_sasl in the unit tests). */
static void C6_4_4_a_abort(void **state) {
  (void)state;
  pair p = {0};
  server_opened(&p, PLAIN_OK);
  char auth[2048];
  snprintf(auth, sizeof(auth), "<auth xmlns='" NS_SASL "' mechanism='SCRAM-SHA-256'>%s</auth>",
           b64("n,,n=juliet,r=nonce", 19));
  assert_true(starts_with(exchange(&p.server, auth), "<challenge"));
  assert_string_equal(exchange(&p.server, "<abort xmlns='" NS_SASL "'/>"),
                      "<failure xmlns='" NS_SASL "'><aborted/></failure>");
  assert_int_equal(xmppim_session_state_get(p.server.s), XMPPIM_STATE_NEGOTIATING);
  assert_string_equal(exchange(&p.server, "<response xmlns='" NS_SASL "'>AA==</response>"),
                      "<failure xmlns='" NS_SASL "'><malformed-request/></failure>");
  assert_true(xmppim_session_want_read(p.server.s));
  assert_string_equal(exchange(&p.server, AUTH_PLAIN), SUCCESS);
  finish(&p);
}

/* C6.4.5-a: every <failure/> the server sends holds exactly one defined
 * condition (and nothing else here). */
static const char *const sasl_conditions[] = {
  "aborted", "account-disabled", "credentials-expired", "encryption-required", "incorrect-encoding",
  "invalid-authzid", "invalid-mechanism", "malformed-request", "mechanism-too-weak", "not-authorized",
  "temporary-auth-failure"};

static void assert_one_defined_condition(const char *out) {
  xmppim_stanza *f = NULL;
  if (xmppim_stanza_parse(&f, out, strlen(out), NULL, NULL) != 0) fail_msg("cannot parse %s", out);
  track((void **)live_stanzas, N_STANZAS, f);
  assert_string_equal(xmppim_stanza_name(f), "failure");
  assert_string_equal(xmppim_stanza_ns(f), NS_SASL);
  int conditions = 0;
  for (const xmppim_stanza *c = xmppim_stanza_first_child(f); c; c = xmppim_stanza_next_sibling(c)) {
    if (strcmp(xmppim_stanza_name(c), "text") == 0) continue;
    int known = 0;
    for (size_t i = 0; i < sizeof(sasl_conditions) / sizeof(sasl_conditions[0]); i++)
      known |= strcmp(xmppim_stanza_name(c), sasl_conditions[i]) == 0;
    if (!known) fail_msg("undefined condition in %s", out);
    conditions++;
  }
  if (conditions != 1) fail_msg("%d conditions in %s", conditions, out);
}

static void C6_4_5_a_failure_has_one_defined_condition(void **state) {
  (void)state;
  static const char wrong_pw[] = "\0juliet\0wrong";
  char wrong[2048];
  snprintf(wrong, sizeof(wrong), "<auth xmlns='" NS_SASL "' mechanism='PLAIN'>%s</auth>", b64(wrong_pw, sizeof(wrong_pw) - 1));
  const char *const triggers[] = {
    "<auth xmlns='" NS_SASL "' mechanism='X-MADE-UP'>AA==</auth>",
    "<auth xmlns='" NS_SASL "' mechanism='PLAIN'>!!</auth>",
    wrong,
    "<abort xmlns='" NS_SASL "'/>",
    "<response xmlns='" NS_SASL "'>AA==</response>",
    "<auth xmlns='" NS_SASL "' mechanism='PLAIN'>anVsaWV0</auth>",
  };
  for (size_t i = 0; i < sizeof(triggers) / sizeof(triggers[0]); i++) {
    pair p = {0};
    server_opened(&p, PLAIN_OK);
    assert_one_defined_condition(exchange(&p.server, triggers[i]));
    finish(&p);
  }
  pair p = {.tls_shim = 1};
  start(&p, ACCOUNT, NO_TLS, (opt_spec){.require_tls = 1});
  exchange(&p.server, HEADER);
  assert_one_defined_condition(exchange(&p.server, AUTH_PLAIN)); /* encryption-required */
  finish(&p);
}

/* C6.4.5-d: past the configured number of failures, the stream ends with
 * policy-violation; not before (see too_many_failures in the unit tests
 * for the default of 3). */
static void C6_4_5_d_retries_then_policy_violation(void **state) {
  (void)state;
  static const unsigned limits[] = {2, 5};
  const char *bad = "<auth xmlns='" NS_SASL "' mechanism='X-MADE-UP'>AA==</auth>";
  for (size_t i = 0; i < 2; i++) {
    pair p = {0};
    server_opened(&p, (opt_spec){.require_tls = 0, .max_auth_attempts = limits[i]});
    for (unsigned k = 1; k < limits[i]; k++)
      assert_string_equal(exchange(&p.server, bad), "<failure xmlns='" NS_SASL "'><invalid-mechanism/></failure>");
    const char *out = exchange(&p.server, bad);
    assert_true(starts_with(out, "<failure xmlns='" NS_SASL "'><invalid-mechanism/></failure>"
                                 STREAM_ERROR("policy-violation")));
    assert_non_null(strstr(out, "</stream:error>" CLOSE));
    assert_false(xmppim_session_want_read(p.server.s));
    finish(&p);
  }
}

/* C6.5-b: a failure the client does not know, or one with no condition at
 * all, is not-authorized (the unit test client_reads_every_sasl_failure has
 * every defined one and an unknown one with text). */
static void C6_5_b_unknown_failure_is_not_authorized(void **state) {
  (void)state;
  static const char *const failures[] = {
    "<failure xmlns='" NS_SASL "'/>",
    "<failure xmlns='" NS_SASL "'><text xml:lang='en'>no</text><x-brand-new/></failure>",
  };
  for (size_t i = 0; i < 2; i++) {
    pair p = {0};
    client_authenticating(&p, ACCOUNT, NO_TLS);
    assert_string_equal(exchange(&p.client, failures[i]), CLOSE);
    assert_int_equal(p.client.auth_failure, XMPPIM_SASL_COND_NOT_AUTHORIZED);
    assert_false(p.client.ready);
    finish(&p);
  }
}

/* C13.8-b: never PLAIN without TLS (even as the only mechanism offered);
 * with TLS, a stronger mechanism before PLAIN, and PLAIN when it is all
 * there is (see plain_refused_without_tls in the unit tests for the pair). */
static void C13_8_b_no_plain_without_tls(void **state) {
  (void)state;
  const char *only_plain = SERVER_HEADER("s2") "<stream:features><mechanisms xmlns='" NS_SASL
                           "'><mechanism>PLAIN</mechanism></mechanisms></stream:features>";
  pair p = {0};
  start(&p, ACCOUNT, NO_TLS, NO_TLS);
  take(&p.client);
  const char *out = exchange(&p.client, only_plain);
  assert_null(strstr(out, "<auth"));
  assert_int_equal(p.client.auth_failure, XMPPIM_SASL_COND_INVALID_MECHANISM);
  finish(&p);
  p = (pair){0};
  client_after_tls(&p, (opt_spec){.require_tls = 1});
  out = exchange(&p.client, SERVER_HEADER("s2") "<stream:features><mechanisms xmlns='" NS_SASL
                            "'><mechanism>PLAIN</mechanism><mechanism>SCRAM-SHA-1</mechanism></mechanisms>"
                            "</stream:features>");
  assert_true(starts_with(out, "<auth xmlns='" NS_SASL "' mechanism='SCRAM-SHA-1'>"));
  finish(&p);
  p = (pair){0};
  client_after_tls(&p, (opt_spec){.require_tls = 1});
  assert_string_equal(exchange(&p.client, only_plain), AUTH_PLAIN);
  finish(&p);
}


/* ======================================================================
 * Resource binding (section 7), and the JID that results (4.3.6)
 * ====================================================================== */

/* "\0Juliet\0r0m30myr0m30", and with the authzid romeo@example.com. */
#define PLAIN_JULIET_CAPS "AEp1bGlldAByMG0zMG15cjBtMzA="
#define PLAIN_AS_ROMEO "cm9tZW9AZXhhbXBsZS5jb20AanVsaWV0AHIwbTMwbXlyMG0zMA=="
/* "ｂａｌｃｏｎｙ" (fullwidth): resourceprep (NFKC) makes it "balcony". */
#define FULLWIDTH_BALCONY "\xef\xbd\x82\xef\xbd\x81\xef\xbd\x8c\xef\xbd\x83\xef\xbd\x8f\xef\xbd\x8e\xef\xbd\x99"

/* The <jid/> of a bind result, or "" when `out` is none. */
static const char *bound_jid(const char *out) {
  static char jid[256];
  const char *start = strstr(out, "<jid>");
  const char *end = start ? strstr(start, "</jid>") : NULL;
  if (!start || !end || !starts_with(out, "<iq type='result'")) return "";
  snprintf(jid, sizeof(jid), "%.*s", (int)(end - start - 5), start + 5);
  return jid;
}

/* C4.3.6-a: the bare JID is the authorization identity when one was given
 * (and allowed), else the one derived from the authentication identity. */
static void C4_3_6_a_bare_jid_from_sasl(void **state) {
  (void)state;
  host h = {0};
  host_new(&h, NO_TLS);
  h.may_act_as_romeo = 1;
  host_authenticated(&h, PLAIN_AS_ROMEO);
  assert_string_equal(bound_jid(host_exchange(&h, BIND_IQ("b1", "balcony"))), "romeo@example.com/balcony");
  host_free(&h);
  host_new(&h, NO_TLS);
  host_authenticated(&h, PLAIN_JULIET);
  assert_string_equal(bound_jid(host_exchange(&h, BIND_IQ("b1", "balcony"))), ACCOUNT "/balcony");
  host_free(&h);
}

/* C4.3.6-c: the JID given to the client is canonical, however the client
 * spelled its name (accepted case-insensitively by this host) and its
 * resource; the host is asked about the canonical JID too. */
static void C4_3_6_c_bound_jid_is_canonical(void **state) {
  (void)state;
  host h = {0};
  host_new(&h, NO_TLS);
  host_exchange(&h, CLIENT_HEADER(" to='Example.COM' version='1.0'"));
  assert_string_equal(host_exchange(&h, "<auth xmlns='" NS_SASL "' mechanism='PLAIN'>" PLAIN_JULIET_CAPS "</auth>"),
                      SUCCESS);
  host_exchange(&h, HEADER);
  assert_string_equal(bound_jid(host_exchange(&h, BIND_IQ("b1", FULLWIDTH_BALCONY))), ACCOUNT "/balcony");
  assert_string_equal(h.asked[0], ACCOUNT "/balcony");
  assert_string_equal(xmppim_jid_to_string(xmppim_session_jid(h.s)), ACCOUNT "/balcony");
  host_free(&h);
}

/* C7.1-a: once authenticated the client binds (asking for its resource
 * when it has one, an empty <bind/> otherwise), and is ready only when the
 * result comes. C8.1.1.1-a: a request for the server itself has no 'to'. */
static void C7_1_a_client_binds_after_auth(void **state) {
  (void)state;
  pair p = {0};
  const char *req = client_binding(&p, ACCOUNT);
  char id[64];
  keep(id, sizeof(id), attr_in(req, "iq", "id"));
  char want[256];
  snprintf(want, sizeof(want), "<iq type='set' id='%s'><bind xmlns='" NS_BIND "'/></iq>", id);
  assert_string_equal(req, want);
  assert_false(p.client.ready);
  snprintf(want, sizeof(want), "<iq type='result' id='%s'><bind xmlns='" NS_BIND "'><jid>" ACCOUNT
                               "/r4nd0m</jid></bind></iq>", id);
  assert_string_equal(exchange(&p.client, want), "");
  assert_true(p.client.ready);
  finish(&p);
  p = (pair){0};
  req = client_binding(&p, ACCOUNT "/balcony");
  keep(id, sizeof(id), attr_in(req, "iq", "id"));
  snprintf(want, sizeof(want), "<iq type='set' id='%s'><bind xmlns='" NS_BIND "'><resource>balcony</resource></bind></iq>", id);
  assert_string_equal(req, want);
  finish(&p);
}

/* C7.1-c: after SASL but before binding, a stanza closes the stream with
 * not-authorized and is not processed. */
static void C7_1_c_stanza_before_bind_not_authorized(void **state) {
  (void)state;
  static const char *const stanzas[] = {
    "<message to='romeo@example.net'><body>hi</body></message>",
    "<presence/>",
    "<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>",
  };
  for (size_t i = 0; i < 3; i++) {
    pair p = {0};
    server_authenticated(&p, NO_TLS);
    assert_not_authorized_close(&p, exchange(&p.server, stanzas[i]));
    finish(&p);
  }
}

/* C7.3-a: no restart after binding: the client sends no new header and the
 * server takes stanzas right away. */
static void C7_3_a_no_restart_after_bind(void **state) {
  (void)state;
  pair p = {0};
  const char *req = client_binding(&p, ACCOUNT);
  char answer[512];
  snprintf(answer, sizeof(answer), "<iq type='result' id='%s'><bind xmlns='" NS_BIND "'><jid>" ACCOUNT
                                   "/r</jid></bind></iq>", attr_in(req, "iq", "id"));
  assert_string_equal(exchange(&p.client, answer), "");
  assert_true(p.client.ready);
  xmppim_stanza *m = stanza("message");
  assert_int_equal(xmppim_session_send(p.client.s, m), 0);
  assert_string_equal(take(&p.client), "<message/>");
  finish(&p);
  p = (pair){0};
  const char *out = server_ready(&p, NO_TLS);
  assert_null(strstr(out, "<stream:stream"));
  assert_string_equal(exchange(&p.server, "<message to='romeo@example.net'><body>hi</body></message>"), "");
  assert_int_equal(p.server.stanzas, 1);
  finish(&p);
}

/* C7.4-a: <bind/> is offered after SASL and never before; a bind request
 * before SASL is refused. */
static void C7_4_a_bind_only_after_auth(void **state) {
  (void)state;
  char pre[4096];
  pair p = {0};
  const char *out = server_after_tls(&p, NO_TLS, HEADER, pre, sizeof(pre));
  assert_null(strstr(pre, "bind"));
  assert_null(strstr(out, "bind"));
  assert_not_authorized_close(&p, exchange(&p.server, BIND_IQ("b1", "balcony")));
  finish(&p);
  p = (pair){0};
  out = server_authenticated(&p, NO_TLS);
  assert_true(starts_with(after_header(out), "<stream:features><bind xmlns='" NS_BIND "'/>"));
  finish(&p);
}

/* C7.5-a: a resource is unique among the account's connected resources:
 * with the host's registry, a second session asking for a resource in use
 * gets another one, which the host was asked about too. */
static void C7_5_a_resource_unique(void **state) {
  (void)state;
  registry reg = {0};
  host a = {.reg = &reg}, b = {.reg = &reg};
  host_new(&a, NO_TLS);
  host_authenticated(&a, PLAIN_JULIET);
  assert_string_equal(bound_jid(host_exchange(&a, BIND_IQ("b1", "balcony"))), ACCOUNT "/balcony");
  host_new(&b, NO_TLS);
  host_authenticated(&b, PLAIN_JULIET);
  const char *jid = bound_jid(host_exchange(&b, BIND_IQ("b1", "balcony")));
  assert_true(starts_with(jid, ACCOUNT "/"));
  assert_string_not_equal(jid, ACCOUNT "/balcony");
  assert_int_equal(b.binds, 2);
  assert_string_equal(b.asked[1], jid);
  assert_true(b.ready);
  host_free(&a);
  host_free(&b);
}

/* C7.6-a: the server makes up resources: non-empty, different each time. */
static void C7_6_a_server_generates_resources(void **state) {
  (void)state;
  registry reg = {0};
  for (int i = 0; i < 20; i++) {
    host h = {.reg = &reg};
    host_new(&h, NO_TLS);
    host_authenticated(&h, PLAIN_JULIET);
    const char *jid = bound_jid(host_exchange(&h, BIND_IQ_EMPTY("b1")));
    assert_true(strlen(jid) > strlen(ACCOUNT "/"));
    assert_int_equal(h.binds, 1); /* each was new to the registry */
    host_free(&h);
  }
  assert_int_equal(reg.n, 20);
}

/* C7.6.1-a: an empty <bind/> gets a result with the full JID, byte for byte. */
static void C7_6_1_a_bind_result(void **state) {
  (void)state;
  pair p = {0};
  server_authenticated(&p, NO_TLS);
  const char *out = exchange(&p.server, BIND_IQ_EMPTY("b1"));
  const char *head = "<iq type='result' id='b1'><bind xmlns='" NS_BIND "'><jid>" ACCOUNT "/";
  const char *tail = "</jid></bind></iq>";
  assert_true(starts_with(out, head));
  size_t n = strlen(out);
  assert_true(n > strlen(head) + strlen(tail));
  assert_string_equal(out + n - strlen(tail), tail);
  char resource[64];
  snprintf(resource, sizeof(resource), "%.*s", (int)(n - strlen(head) - strlen(tail)), out + strlen(head));
  assert_string_equal(xmppim_jid_resource(xmppim_session_jid(p.server.s)), resource);
  finish(&p);
}

/* C7.6.2-a: an account at its limit gets resource-constraint, one that may
 * not bind gets not-allowed; the stream stays open either way. */
static void C7_6_2_a_bind_refusals(void **state) {
  (void)state;
  static const xmppim_bind_decision decisions[] = {XMPPIM_BIND_RESOURCE_CONSTRAINT, XMPPIM_BIND_NOT_ALLOWED};
  static const char *const answers[] = {
    "<iq id='b1' type='error'><error type='wait'><resource-constraint xmlns='" NS_XSTANZAS "'/></error></iq>",
    "<iq id='b1' type='error'><error type='cancel'><not-allowed xmlns='" NS_XSTANZAS "'/></error></iq>",
  };
  for (size_t i = 0; i < 2; i++) {
    host h = {.decision = decisions[i]};
    host_new(&h, NO_TLS);
    host_authenticated(&h, PLAIN_JULIET);
    assert_string_equal(host_exchange(&h, BIND_IQ("b1", "balcony")), answers[i]);
    assert_true(xmppim_session_want_read(h.s));
    assert_false(h.ready);
    host_free(&h);
  }
}

/* C7.7.1-b: a proposed resource is kept as it is (UTF-8 included). */
static void C7_7_1_b_proposed_resource_kept(void **state) {
  (void)state;
  static const char *const resources[] = {"balcony", "b\xc3\xa4lcony", "orchard 2"};
  for (size_t i = 0; i < 3; i++) {
    pair p = {0};
    server_authenticated(&p, NO_TLS);
    char req[256], want[256];
    snprintf(req, sizeof(req), BIND_IQ("b1", "%s"), resources[i]);
    snprintf(want, sizeof(want), ACCOUNT "/%s", resources[i]);
    assert_string_equal(bound_jid(exchange(&p.server, req)), want);
    finish(&p);
  }
}

/* C7.7.2.2-a: a resource in use: the server assigns another and keeps the
 * stream (option 1; see also resource_conflict in the unit tests); a
 * client told <conflict/> (option 2) tries again, letting the server pick. */
static void C7_7_2_2_a_resource_in_use(void **state) {
  (void)state;
  pair p = {.bind_conflicts = 1};
  server_authenticated(&p, NO_TLS);
  const char *jid = bound_jid(exchange(&p.server, BIND_IQ("b1", "balcony")));
  assert_true(starts_with(jid, ACCOUNT "/"));
  assert_string_not_equal(jid, ACCOUNT "/balcony");
  assert_true(p.server.ready);
  finish(&p);
  p = (pair){0};
  const char *req = client_binding(&p, ACCOUNT "/balcony");
  char answer[512], id[64];
  keep(id, sizeof(id), attr_in(req, "iq", "id"));
  snprintf(answer, sizeof(answer), "<iq type='error' id='%s'><error type='cancel'><conflict xmlns='" NS_XSTANZAS
                                   "'/></error></iq>", id);
  const char *retry = exchange(&p.client, answer);
  char retry_id[64];
  keep(retry_id, sizeof(retry_id), attr_in(retry, "iq", "id"));
  char want[256];
  snprintf(want, sizeof(want), "<iq type='set' id='%s'><bind xmlns='" NS_BIND "'/></iq>", retry_id);
  assert_string_equal(retry, want);
  snprintf(answer, sizeof(answer), "<iq type='result' id='%s'><bind xmlns='" NS_BIND "'><jid>" ACCOUNT
                                   "/picked</jid></bind></iq>", retry_id);
  exchange(&p.client, answer);
  assert_true(p.client.ready);
  assert_string_equal(xmppim_jid_to_string(xmppim_session_jid(p.client.s)), ACCOUNT "/picked");
  finish(&p);
}

/* C7.7.3-a: failed binding attempts are limited: at the latest after ten
 * retries the stream ends with policy-violation, whatever made them fail
 * (a resource that cannot be prepared, or the host saying no). */
static void expect_policy_violation_within(host *h, const char *request, int attempts) {
  for (int i = 1; i <= attempts; i++) {
    const char *out = host_exchange(h, request);
    if (strstr(out, STREAM_ERROR("policy-violation"))) {
      assert_false(xmppim_session_want_read(h->s));
      return;
    }
    if (!starts_with(out, "<iq id='b1' type='error'>")) fail_msg("attempt %d: %s", i, out);
  }
  fail_msg("%d failed binding attempts (%s) and the stream is still open", attempts, request);
}

static void C7_7_3_a_binding_retries_limited(void **state) {
  (void)state;
  host h = {0};
  host_new(&h, NO_TLS);
  host_authenticated(&h, PLAIN_JULIET);
  expect_policy_violation_within(&h, BIND_IQ("b1", "tab&#9;bed"), 11);
  host_free(&h);
  static const xmppim_bind_decision decisions[] = {XMPPIM_BIND_NOT_ALLOWED, XMPPIM_BIND_RESOURCE_CONSTRAINT};
  for (size_t i = 0; i < 2; i++) {
    h = (host){.decision = decisions[i]};
    host_new(&h, NO_TLS);
    host_authenticated(&h, PLAIN_JULIET);
    expect_policy_violation_within(&h, BIND_IQ("b1", "balcony"), 11);
    host_free(&h);
  }
}


/* ======================================================================
 * Stanzas (section 8)
 * ====================================================================== */

/* A pair logged in without TLS, ready both sides, the client bound to
 * juliet@example.com/balcony. */
static void ready_pair(pair *p) {
  start(p, ACCOUNT "/balcony", NO_TLS, NO_TLS);
  pair_pump(p);
  assert_true(p->client.ready);
  assert_true(p->server.ready);
  take(&p->client);
  take(&p->server);
}

/* C4.8.3-a: the client speaks jabber:client: its header declares it, and
 * what it sends never carries jabber:server, even a stanza built in it. */
static void C4_8_3_a_client_sends_no_jabber_server(void **state) {
  (void)state;
  pair p = {0};
  start(&p, ACCOUNT, NO_TLS, NO_TLS);
  pair_pump(&p);
  assert_true(p.client.ready);
  assert_non_null(strstr(p.client.transcript, " xmlns='jabber:client' "));
  assert_null(strstr(p.client.transcript, "jabber:server"));
  xmppim_stanza *m;
  assert_int_equal(xmppim_stanza_new(&m, NULL, "message", "jabber:server"), 0);
  track((void **)live_stanzas, N_STANZAS, m);
  int rv = xmppim_session_send(p.client.s, m);
  const char *out = take(&p.client);
  if (rv == 0 && strstr(out, "jabber:server")) fail_msg("the client sent %s", out);
  finish(&p);
}

/* C8-a: a partial stanza is not processed: nothing reaches the host and
 * nothing is answered until its end tag arrives, however it is cut. */
static void C8_a_no_partial_stanza(void **state) {
  (void)state;
  static const char iq[] = "<iq type='get' id='q1'><query xmlns='jabber:iq:version'/></iq>";
  for (size_t cut = 1; cut < sizeof(iq) - 1; cut++) {
    pair p = {0};
    ready_pair(&p);
    char head[sizeof(iq)];
    memcpy(head, iq, cut);
    head[cut] = '\0';
    assert_string_equal(exchange(&p.server, head), "");
    assert_int_equal(p.server.stanzas, 0);
    const char *out = exchange(&p.server, iq + cut);
    assert_int_equal(p.server.stanzas, 1);
    assert_true(starts_with(out, "<iq "));
    finish(&p);
  }
}

/* C8.1.1.1-a: what the client sends to the server itself carries no 'to':
 * the bind request and the legacy session request. */
static void C8_1_1_1_a_client_requests_to_server_have_no_to(void **state) {
  (void)state;
  pair p = {0};
  client_authenticating(&p, ACCOUNT, NO_TLS);
  exchange(&p.client, SUCCESS);
  const char *req = exchange(&p.client, SERVER_HEADER("s2") "<stream:features><bind xmlns='" NS_BIND "'/>"
                                        "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></stream:features>");
  assert_null(attr_in(req, "iq", "to"));
  char answer[512];
  snprintf(answer, sizeof(answer), "<iq type='result' id='%s'><bind xmlns='" NS_BIND "'><jid>" ACCOUNT
                                   "/r</jid></bind></iq>", attr_in(req, "iq", "id"));
  const char *session = exchange(&p.client, answer);
  assert_non_null(strstr(session, "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>"));
  assert_null(attr_in(session, "iq", "to"));
  finish(&p);
}

/* C8.1.1.1-c: the client takes a stanza without 'to' (or to its full JID)
 * as addressed to itself: it is delivered like any other. */
static void C8_1_1_1_c_stanza_without_to_is_for_the_client(void **state) {
  (void)state;
  pair p = {0};
  ready_pair(&p);
  int before = p.client.stanzas;
  assert_string_equal(exchange(&p.client, "<message from='romeo@example.net/orchard'><body>hi</body></message>"), "");
  assert_string_equal(exchange(&p.client, "<presence from='romeo@example.net/orchard'/>"), "");
  assert_string_equal(exchange(&p.client, "<message from='romeo@example.net/orchard' to='" ACCOUNT
                                          "/balcony'><body>hi</body></message>"),
                      "");
  assert_int_equal(p.client.stanzas, before + 3);
  assert_true(xmppim_session_want_read(p.client.s));
  finish(&p);
}

/* C8.1.2.1-a: the server stamps 'from' on everything the client sends: its
 * full JID, or its bare JID on subscription presence, whatever the client
 * put there of its own (see from_is_stamped_and_spoofing_refused in the
 * unit tests for messages and a forged address). */
static void C8_1_2_1_a_from_stamped(void **state) {
  (void)state;
  static const struct {
    const char *in, *from;
  } cases[] = {
    {"<presence/>", ACCOUNT "/balcony"},
    {"<presence from='" ACCOUNT "'/>", ACCOUNT "/balcony"},
    {"<presence type='unavailable'/>", ACCOUNT "/balcony"},
    {"<presence type='subscribe' to='romeo@example.net'/>", ACCOUNT},
    {"<presence type='subscribed' to='romeo@example.net' from='" ACCOUNT "/balcony'/>", ACCOUNT},
    {"<presence type='unsubscribe' to='romeo@example.net'/>", ACCOUNT},
    {"<presence type='unsubscribed' to='romeo@example.net' from='" ACCOUNT "'/>", ACCOUNT},
    {"<iq type='set' id='r1' from='" ACCOUNT "'><query xmlns='jabber:iq:roster'/></iq>", ACCOUNT "/balcony"},
    {"<message to='romeo@example.net' from='" ACCOUNT "/balcony'><body>x</body></message>", ACCOUNT "/balcony"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    pair p = {.answer_iqs = 1};
    ready_pair(&p);
    exchange(&p.server, cases[i].in);
    assert_int_equal(p.server.stanzas, 1);
    char tag[16];
    snprintf(tag, sizeof(tag), "%.*s", (int)strcspn(cases[i].in + 1, " />"), cases[i].in + 1);
    const char *from = attr_in(p.server.last_stanza, tag, "from");
    if (!from || strcmp(from, cases[i].from) != 0)
      fail_msg("%s reached the host as %s", cases[i].in, p.server.last_stanza);
    finish(&p);
  }
}

/* C8.1.2.1-b/c: what the session itself answers for the server: to a
 * request to the server, from = the server's domain; to one for the
 * account (no 'to'), no from or the account's bare JID. */
static void C8_1_2_1_b_and_c_session_answers_from(void **state) {
  (void)state;
  pair p = {0};
  ready_pair(&p);
  const char *out = exchange(&p.server, "<iq type='get' id='q1' to='example.com'><query xmlns='jabber:iq:version'/></iq>");
  assert_string_equal(attr_in(out, "iq", "type"), "error");
  assert_string_equal(attr_in(out, "iq", "from"), "example.com");
  out = exchange(&p.server, "<iq type='get' id='q2'><query xmlns='jabber:iq:version'/></iq>");
  assert_string_equal(attr_in(out, "iq", "type"), "error");
  const char *from = attr_in(out, "iq", "from");
  if (from && strcmp(from, ACCOUNT) != 0) fail_msg("answer for the account came from %s", from);
  finish(&p);
}

/* C8.1.2.1-d: the host never gets a client stanza without 'from'; the
 * client takes an answer without 'from' as from its own account. */
static void C8_1_2_1_d_no_stanza_without_from(void **state) {
  (void)state;
  static const char *const stanzas[] = {
    "<message to='romeo@example.net'><body>x</body></message>",
    "<presence/>",
    "<iq type='get' id='q1'><query xmlns='jabber:iq:roster'/></iq>",
  };
  for (size_t i = 0; i < 3; i++) {
    pair p = {.answer_iqs = 1};
    ready_pair(&p);
    exchange(&p.server, stanzas[i]);
    assert_int_equal(p.server.stanzas, 1);
    assert_non_null(strstr(p.server.last_stanza, " from='" ACCOUNT "/balcony'"));
    finish(&p);
  }
  pair p = {0};
  ready_pair(&p);
  xmppim_stanza *iq = stanza("iq"), *q;
  assert_int_equal(xmppim_stanza_set_attr(iq, "type", "get"), 0);
  assert_int_equal(xmppim_stanza_add_child(iq, "query", "jabber:iq:roster", &q), 0);
  int answers = 0;
  assert_int_equal(xmppim_session_send_iq(p.client.s, iq, count_answer, &answers), 0);
  char id[64];
  keep(id, sizeof(id), attr_in(take(&p.client), "iq", "id"));
  char result[256];
  snprintf(result, sizeof(result), "<iq type='result' id='%s'><query xmlns='jabber:iq:roster'/></iq>", id);
  assert_string_equal(exchange(&p.client, result), "");
  assert_int_equal(answers, 1);
  finish(&p);
}

/* C8.1.3-b: every answer the session writes carries the request's id. */
static void C8_1_3_b_answer_carries_id(void **state) {
  (void)state;
  pair p = {0};
  ready_pair(&p);
  static const char *const requests[] = {
    "<iq type='get' id='unhandled-1'><query xmlns='jabber:iq:version'/></iq>",
    "<iq type='fetch' id='odd-type-2'><query xmlns='jabber:iq:version'/></iq>",
    "<iq type='set' id='session-3'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>",
  };
  static const char *const ids[] = {"unhandled-1", "odd-type-2", "session-3"};
  for (size_t i = 0; i < 3; i++) {
    const char *out = exchange(&p.server, requests[i]);
    assert_true(starts_with(out, "<iq "));
    assert_string_equal(attr_in(out, "iq", "id"), ids[i]);
  }
  finish(&p);
  p = (pair){0};
  server_authenticated(&p, NO_TLS);
  assert_string_equal(attr_in(exchange(&p.server, BIND_IQ_EMPTY("bind-4")), "iq", "id"), "bind-4");
  finish(&p);
}

/* C8.1.5-b: a stanza without xml:lang is in the language of the stream it
 * came on: after the SASL restart that is the new stream's, not what the
 * first header said. */
static void C8_1_5_b_stanza_lang_is_its_streams(void **state) {
  (void)state;
  pair p = {0};
  start(&p, ACCOUNT, NO_TLS, PLAIN_OK);
  exchange(&p.server, CLIENT_HEADER(" to='example.com' version='1.0' xml:lang='de'"));
  assert_string_equal(exchange(&p.server, AUTH_PLAIN), SUCCESS);
  const char *out = exchange(&p.server, CLIENT_HEADER(" to='example.com' version='1.0' xml:lang='fr'"));
  assert_string_equal(attr_in(out, "stream:stream", "xml:lang"), "fr");
  exchange(&p.server, BIND_IQ("b1", "balcony"));
  exchange(&p.server, "<message to='romeo@example.net'><body>salut</body></message>");
  assert_non_null(strstr(p.server.last_stanza, " xml:lang='fr'"));
  finish(&p);
  p = (pair){0};
  start(&p, ACCOUNT, NO_TLS, PLAIN_OK);
  exchange(&p.server, CLIENT_HEADER(" to='example.com' version='1.0' xml:lang='de'"));
  assert_string_equal(exchange(&p.server, AUTH_PLAIN), SUCCESS);
  out = exchange(&p.server, HEADER); /* this stream says nothing of its language */
  exchange(&p.server, BIND_IQ("b1", "balcony"));
  exchange(&p.server, "<message to='romeo@example.net'><body>hi</body></message>");
  if (strstr(p.server.last_stanza, "xml:lang='de'"))
    fail_msg("a stanza of a stream without xml:lang was given the previous stream's: %s", p.server.last_stanza);
  finish(&p);
}

/* C8.2.3-a: an IQ without id or type, or of an unknown type, gets
 * bad-request and does not reach the host. */
static void C8_2_3_a_iq_id_and_type_required(void **state) {
  (void)state;
  static const struct {
    const char *in, *out;
  } cases[] = {
    {"<iq type='fetch' id='x1'><query xmlns='jabber:iq:version'/></iq>",
     "<iq to='" ACCOUNT "/balcony' id='x1' type='error'><error type='modify'><bad-request xmlns='" NS_XSTANZAS
     "'/></error></iq>"},
    {"<iq id='x2'><query xmlns='jabber:iq:version'/></iq>",
     "<iq to='" ACCOUNT "/balcony' id='x2' type='error'><error type='modify'><bad-request xmlns='" NS_XSTANZAS
     "'/></error></iq>"},
    {"<iq type='get'><query xmlns='jabber:iq:version'/></iq>",
     "<iq to='" ACCOUNT "/balcony' type='error'><error type='modify'><bad-request xmlns='" NS_XSTANZAS
     "'/></error></iq>"},
  };
  for (size_t i = 0; i < 3; i++) {
    pair p = {0};
    ready_pair(&p);
    assert_string_equal(exchange(&p.server, cases[i].in), cases[i].out);
    assert_int_equal(p.server.stanzas, 0);
    finish(&p);
  }
}

/* C8.2.3-d: a get or set carries exactly one child element: none, or two,
 * get bad-request and do not reach the host; text beside the child does
 * not count. */
static void C8_2_3_d_request_has_one_child(void **state) {
  (void)state;
  static const struct {
    const char *in, *out;
  } cases[] = {
    {"<iq type='get' id='z1'/>",
     "<iq to='" ACCOUNT "/balcony' id='z1' type='error'><error type='modify'><bad-request xmlns='" NS_XSTANZAS
     "'/></error></iq>"},
    {"<iq type='set' id='z2'><query xmlns='jabber:iq:version'/><ping xmlns='urn:xmpp:ping'/></iq>",
     "<iq to='" ACCOUNT "/balcony' id='z2' type='error'><error type='modify'><bad-request xmlns='" NS_XSTANZAS
     "'/></error></iq>"},
    {"<iq type='get' id='z3'>only text</iq>",
     "<iq to='" ACCOUNT "/balcony' id='z3' type='error'><error type='modify'><bad-request xmlns='" NS_XSTANZAS
     "'/></error></iq>"},
  };
  for (size_t i = 0; i < 3; i++) {
    pair p = {0};
    ready_pair(&p);
    assert_string_equal(exchange(&p.server, cases[i].in), cases[i].out);
    assert_int_equal(p.server.stanzas, 0);
    finish(&p);
  }
  pair p = {0};
  ready_pair(&p);
  exchange(&p.server, "<iq type='get' id='z4'> <ping xmlns='urn:xmpp:ping'/> </iq>");
  assert_int_equal(p.server.stanzas, 1);
  finish(&p);
}

/* C8.2.3-b: a get or set gets exactly one answer: the host's when it
 * answers, the session's service-unavailable when it does not; and the
 * client's request callback runs once, even if the answer comes twice. */
static void C8_2_3_b_exactly_one_answer(void **state) {
  (void)state;
  static const char req[] = "<iq type='get' id='q1'><query xmlns='jabber:iq:version'/></iq>";
  pair p = {.answer_iqs = 1};
  ready_pair(&p);
  const char *out = exchange(&p.server, req);
  assert_int_equal(count(out, "<iq "), 1);
  assert_string_equal(attr_in(out, "iq", "type"), "result");
  finish(&p);
  p = (pair){0};
  ready_pair(&p);
  out = exchange(&p.server, req);
  assert_int_equal(count(out, "<iq "), 1);
  assert_non_null(strstr(out, "<service-unavailable xmlns='" NS_XSTANZAS "'/>"));
  xmppim_stanza *iq = stanza("iq"), *q;
  assert_int_equal(xmppim_stanza_set_attr(iq, "type", "get"), 0);
  assert_int_equal(xmppim_stanza_add_child(iq, "query", "jabber:iq:version", &q), 0);
  int answers = 0;
  assert_int_equal(xmppim_session_send_iq(p.client.s, iq, count_answer, &answers), 0);
  char id[64], result[256];
  keep(id, sizeof(id), attr_in(take(&p.client), "iq", "id"));
  snprintf(result, sizeof(result), "<iq type='result' id='%s'/>", id);
  exchange(&p.client, result);
  exchange(&p.client, result);
  assert_int_equal(answers, 1);
  finish(&p);
}

/* C8.2.3-c: a result or error is never answered, by either side, whether
 * or not it matches a request (see iq_tracking in the unit tests for a
 * result with an unknown id at the client). */
static void C8_2_3_c_result_and_error_not_answered(void **state) {
  (void)state;
  static const char *const answers[] = {
    "<iq type='result' id='nobody-asked'/>",
    "<iq type='error' id='nobody-asked'><error type='cancel'><item-not-found xmlns='" NS_XSTANZAS "'/></error></iq>",
    "<iq type='error'><error type='cancel'><bad-request xmlns='" NS_XSTANZAS "'/></error></iq>",
  };
  pair p = {0};
  ready_pair(&p);
  for (size_t i = 0; i < 3; i++) {
    assert_string_equal(exchange(&p.server, answers[i]), "");
    assert_string_equal(exchange(&p.client, answers[i]), "");
  }
  assert_true(xmppim_session_want_read(p.server.s));
  assert_true(xmppim_session_want_read(p.client.s));
  finish(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_teardown(C4_3_2_a_features_follow_header, cleanup),
    cmocka_unit_test_teardown(C4_3_3_a_restart_without_close_tag, cleanup),
    cmocka_unit_test_teardown(C4_3_3_b_new_stream_id_on_restart, cleanup),
    cmocka_unit_test_teardown(C4_3_4_a_features_after_every_restart, cleanup),
    cmocka_unit_test_teardown(C4_3_5_a_no_features_after_completion, cleanup),
    cmocka_unit_test_teardown(C4_3_5_b_client_sends_no_stanza_before_negotiation, cleanup),
    cmocka_unit_test_teardown(C4_3_5_c_stanza_before_auth_not_authorized, cleanup),
    cmocka_unit_test_teardown(C4_3_6_b_client_uses_bound_jid, cleanup),
    cmocka_unit_test_teardown(C4_4_b_nothing_after_close_tag, cleanup),
    cmocka_unit_test_teardown(C4_7_1_b_server_from_is_its_domain, cleanup),
    cmocka_unit_test_teardown(C4_7_1_d_client_takes_no_stanza_before_auth, cleanup),
    cmocka_unit_test_teardown(C4_7_2_a_and_C4_7_3_b_and_C4_7_5_a_client_header, cleanup),
    cmocka_unit_test_teardown(C4_7_2_b_response_to_mirrors_client_from, cleanup),
    cmocka_unit_test_teardown(C4_7_3_a_and_C4_7_3_c_server_stream_ids, cleanup),
    cmocka_unit_test_teardown(C4_7_3_b_server_ignores_client_id, cleanup),
    cmocka_unit_test_teardown(C4_7_4_b_response_lang, cleanup),
    cmocka_unit_test_teardown(C4_7_4_c_lang_is_a_language_tag, cleanup),
    cmocka_unit_test_teardown(C4_7_4_d_stanza_gets_stream_lang, cleanup),
    cmocka_unit_test_teardown(C4_7_4_e_stanza_lang_kept, cleanup),
    cmocka_unit_test_teardown(C4_7_5_b_server_answers_lower_version, cleanup),
    cmocka_unit_test_teardown(C4_7_5_c_versions_are_numbers, cleanup),
    cmocka_unit_test_teardown(C4_7_5_d_no_version_means_0_9, cleanup),
    cmocka_unit_test_teardown(C4_8_3_c_unsupported_content_namespace, cleanup),
    cmocka_unit_test_teardown(C4_8_4_a_and_C4_8_4_b_other_first_level_elements, cleanup),
    cmocka_unit_test_teardown(C5_2_a_starttls_negotiated, cleanup),
    cmocka_unit_test_teardown(C4_3_2_b_client_negotiates_mandatory_feature, cleanup),
    cmocka_unit_test_teardown(C5_3_1_a_required_starttls_offered_alone, cleanup),
    cmocka_unit_test_teardown(C5_3_2_a_restart_after_tls, cleanup),
    cmocka_unit_test_teardown(C5_3_3_a_and_C6_3_5_a_no_whitespace_in_tls_and_sasl, cleanup),
    cmocka_unit_test_teardown(C5_3_4_a_tls_before_sasl, cleanup),
    cmocka_unit_test_teardown(C5_4_1_a_starttls_advertised, cleanup),
    cmocka_unit_test_teardown(C5_4_2_1_b_starttls_answered_in_tls_namespace, cleanup),
    cmocka_unit_test_teardown(C5_4_2_2_a_unoffered_starttls_fails_and_closes, cleanup),
    cmocka_unit_test_teardown(C5_4_2_3_a_tls_starts_after_proceed, cleanup),
    cmocka_unit_test_teardown(C5_4_3_1_a_and_C5_4_3_2_a_no_xml_during_handshake, cleanup),
    cmocka_unit_test_teardown(C5_4_3_3_a_pre_tls_state_forgotten, cleanup),
    cmocka_unit_test_teardown(C5_4_3_3_b_features_after_tls, cleanup),
    cmocka_unit_test_teardown(C4_7_1_d_client_checks_server_proof, cleanup),
    cmocka_unit_test_teardown(C6_2_a_sasl_mandatory, cleanup),
    cmocka_unit_test_teardown(C6_3_2_a_and_C6_4_6_c_restart_after_success, cleanup),
    cmocka_unit_test_teardown(C6_3_3_a_client_preference_order, cleanup),
    cmocka_unit_test_teardown(C6_3_4_a_nothing_offered_before_tls_that_needs_it, cleanup),
    cmocka_unit_test_teardown(C6_3_5_b_strict_base64, cleanup),
    cmocka_unit_test_teardown(C6_3_8_a_client_sends_no_authzid, cleanup),
    cmocka_unit_test_teardown(C6_3_8_b_authzid_checked, cleanup),
    cmocka_unit_test_teardown(C6_3_10_a_with_and_without_initial_response, cleanup),
    cmocka_unit_test_teardown(C6_4_2_a_empty_payload_is_equals_sign, cleanup),
    cmocka_unit_test_teardown(C6_4_1_b_mechanisms_listed_once_in_preference_order, cleanup),
    cmocka_unit_test_teardown(C6_4_2_b_new_auth_restarts, cleanup),
    cmocka_unit_test_teardown(C6_4_4_a_abort, cleanup),
    cmocka_unit_test_teardown(C6_4_5_a_failure_has_one_defined_condition, cleanup),
    cmocka_unit_test_teardown(C6_4_5_d_retries_then_policy_violation, cleanup),
    cmocka_unit_test_teardown(C6_5_b_unknown_failure_is_not_authorized, cleanup),
    cmocka_unit_test_teardown(C13_8_b_no_plain_without_tls, cleanup),
    cmocka_unit_test_teardown(C4_3_6_a_bare_jid_from_sasl, cleanup),
    cmocka_unit_test_teardown(C4_3_6_c_bound_jid_is_canonical, cleanup),
    cmocka_unit_test_teardown(C7_1_a_client_binds_after_auth, cleanup),
    cmocka_unit_test_teardown(C7_1_c_stanza_before_bind_not_authorized, cleanup),
    cmocka_unit_test_teardown(C7_3_a_no_restart_after_bind, cleanup),
    cmocka_unit_test_teardown(C7_4_a_bind_only_after_auth, cleanup),
    cmocka_unit_test_teardown(C7_5_a_resource_unique, cleanup),
    cmocka_unit_test_teardown(C7_6_a_server_generates_resources, cleanup),
    cmocka_unit_test_teardown(C7_6_1_a_bind_result, cleanup),
    cmocka_unit_test_teardown(C7_6_2_a_bind_refusals, cleanup),
    cmocka_unit_test_teardown(C7_7_1_b_proposed_resource_kept, cleanup),
    cmocka_unit_test_teardown(C7_7_2_2_a_resource_in_use, cleanup),
    cmocka_unit_test_teardown(C7_7_3_a_binding_retries_limited, cleanup),
    cmocka_unit_test_teardown(C4_8_3_a_client_sends_no_jabber_server, cleanup),
    cmocka_unit_test_teardown(C8_a_no_partial_stanza, cleanup),
    cmocka_unit_test_teardown(C8_1_1_1_a_client_requests_to_server_have_no_to, cleanup),
    cmocka_unit_test_teardown(C8_1_1_1_c_stanza_without_to_is_for_the_client, cleanup),
    cmocka_unit_test_teardown(C8_1_2_1_a_from_stamped, cleanup),
    cmocka_unit_test_teardown(C8_1_2_1_b_and_c_session_answers_from, cleanup),
    cmocka_unit_test_teardown(C8_1_2_1_d_no_stanza_without_from, cleanup),
    cmocka_unit_test_teardown(C8_1_3_b_answer_carries_id, cleanup),
    cmocka_unit_test_teardown(C8_1_5_b_stanza_lang_is_its_streams, cleanup),
    cmocka_unit_test_teardown(C8_2_3_a_iq_id_and_type_required, cleanup),
    cmocka_unit_test_teardown(C8_2_3_d_request_has_one_child, cleanup),
    cmocka_unit_test_teardown(C8_2_3_b_exactly_one_answer, cleanup),
    cmocka_unit_test_teardown(C8_2_3_c_result_and_error_not_answered, cleanup),
  };
  return cmocka_run_group_tests_name("rfc6120-session", tests, NULL, NULL);
}
