/*
 * Sessions in memory: a client and a server session negotiate with each
 * other through every path the issue names: with and without STARTTLS,
 * each SASL mechanism, failures, binding, spoofing, chunking, back-pressure,
 * IQ tracking, stream errors and closing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "failing_mem.h"
#include "pair.h"

#define ACCOUNT PAIR_USER "@" PAIR_DOMAIN

static xmppim_options *options_with(unsigned mechanisms, int require_tls) {
  xmppim_options *o;
  assert_int_equal(xmppim_options_new(&o), 0);
  if (mechanisms) assert_int_equal(xmppim_options_set_sasl_mechanisms(o, mechanisms), 0);
  assert_int_equal(xmppim_options_set_require_tls(o, require_tls), 0);
  return o;
}

static void login(pair *p, const char *jid, const char *password, unsigned client_mechs,
                  unsigned server_mechs) {
  xmppim_options *co = options_with(client_mechs, p->tls_shim);
  xmppim_options *so = options_with(server_mechs, 0);
  pair_init(p, jid, password, co, so);
  xmppim_options_free(co);
  xmppim_options_free(so);
  pair_pump(p);
}

static void assert_logged_in_with(pair *p, xmppim_sasl_mechanism mech, const char *full_jid) {
  assert_true(p->client.ready);
  assert_true(p->server.ready);
  assert_int_equal(xmppim_session_state_get(p->client.s), XMPPIM_STATE_READY);
  assert_int_equal(xmppim_session_mechanism(p->client.s), mech);
  assert_int_equal(xmppim_session_mechanism(p->server.s), mech);
  if (full_jid) {
    assert_string_equal(xmppim_jid_to_string(xmppim_session_jid(p->client.s)), full_jid);
    assert_string_equal(xmppim_jid_to_string(xmppim_session_jid(p->server.s)), full_jid);
  }
}

#define BIT(m) (1u << (m))

/* C5.2-a, C5.3.2-a, C6.3.2-a, C7.1-a: STARTTLS, SASL, restarts, bind. */
static void login_each_mechanism_over_tls(void **state) {
  (void)state;
  static const xmppim_sasl_mechanism mechs[] = {
    XMPPIM_SASL_MECH_PLAIN, XMPPIM_SASL_MECH_SCRAM_SHA_1, XMPPIM_SASL_MECH_SCRAM_SHA_256,
    XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS, XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS};
  static const char *const bindings[] = {"tls-exporter", "tls-unique"};
  for (size_t b = 0; b < 2; b++) {
    for (size_t i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
      pair p = {.tls_shim = 1, .binding_type = bindings[b]};
      login(&p, ACCOUNT "/balcony", PAIR_PASSWORD, BIT(mechs[i]), 0);
      assert_logged_in_with(&p, mechs[i], ACCOUNT "/balcony");
      assert_true(xmppim_session_is_secure(p.client.s));
      /* C5.4.3.3-b: the features after TLS offer no STARTTLS again. */
      const char *after_tls = strstr(p.server.transcript, "<proceed");
      assert_non_null(after_tls);
      assert_null(strstr(after_tls, "<starttls"));
      pair_free(&p);
    }
  }
}

/* C6.3.3-a: the client picks by its own preference: with everything
 * offered and channel binding available, SCRAM-SHA-256-PLUS. */
static void client_prefers_strongest(void **state) {
  (void)state;
  pair p = {.tls_shim = 1, .binding_type = "tls-exporter"};
  login(&p, ACCOUNT, PAIR_PASSWORD, 0, 0);
  assert_logged_in_with(&p, XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS, NULL);
  pair_free(&p);
  /* Without binding data, the best non-PLUS one. */
  pair q = {.tls_shim = 1};
  login(&q, ACCOUNT, PAIR_PASSWORD, 0, 0);
  assert_logged_in_with(&q, XMPPIM_SASL_MECH_SCRAM_SHA_256, NULL);
  /* C6.4.1-b: the server listed them in its order. */
  assert_non_null(strstr(q.server.transcript, "<mechanism>SCRAM-SHA-256</mechanism><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism>"));
  pair_free(&q);
}

/* Without STARTTLS: SCRAM works; PLAIN is refused by the client unless
 * explicitly allowed (C13.8-b) and not offered by the server (C6.3.4-a). */
static void login_without_tls(void **state) {
  (void)state;
  pair p = {0};
  login(&p, ACCOUNT, PAIR_PASSWORD, 0, 0);
  assert_logged_in_with(&p, XMPPIM_SASL_MECH_SCRAM_SHA_256, NULL);
  assert_null(strstr(p.server.transcript, "PLAIN"));
  assert_false(xmppim_session_is_secure(p.client.s));
  pair_free(&p);
}

static void plain_refused_without_tls(void **state) {
  (void)state;
  xmppim_options *co = options_with(BIT(XMPPIM_SASL_MECH_PLAIN), 0);
  xmppim_options *so = options_with(0, 0);
  assert_int_equal(xmppim_options_set_allow_plain_without_tls(so, 1), 0);
  pair p = {0};
  pair_init(&p, ACCOUNT, PAIR_PASSWORD, co, so);
  pair_pump(&p);
  assert_false(p.client.ready);
  assert_int_equal(p.client.auth_failure, XMPPIM_SASL_COND_INVALID_MECHANISM);
  assert_null(strstr(p.client.transcript, "<auth"));
  pair_free(&p);
  /* Explicitly allowed, it works. */
  assert_int_equal(xmppim_options_set_allow_plain_without_tls(co, 1), 0);
  pair_init(&p, ACCOUNT, PAIR_PASSWORD, co, so);
  pair_pump(&p);
  assert_logged_in_with(&p, XMPPIM_SASL_MECH_PLAIN, NULL);
  pair_free(&p);
  xmppim_options_free(co);
  xmppim_options_free(so);
}

/* A client that requires TLS does not authenticate on a server without it. */
static void client_requires_tls(void **state) {
  (void)state;
  xmppim_options *co = options_with(0, 1);
  pair p = {0};
  pair_init(&p, ACCOUNT, PAIR_PASSWORD, co, NULL);
  pair_pump(&p);
  assert_false(p.client.ready);
  assert_null(strstr(p.client.transcript, "<auth"));
  assert_true(p.client.closed);
  pair_free(&p);
  xmppim_options_free(co);
}

/* C6.5-c: a wrong password gives not-authorized; the client reports it and closes. */
static void wrong_password(void **state) {
  (void)state;
  static const xmppim_sasl_mechanism mechs[] = {XMPPIM_SASL_MECH_PLAIN, XMPPIM_SASL_MECH_SCRAM_SHA_1,
                                                XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS};
  for (size_t i = 0; i < 3; i++) {
    pair p = {.tls_shim = 1, .binding_type = "tls-exporter"};
    login(&p, ACCOUNT, "wrong", BIT(mechs[i]), 0);
    assert_false(p.client.ready);
    assert_false(p.server.ready);
    assert_int_equal(p.client.auth_failure, XMPPIM_SASL_COND_NOT_AUTHORIZED);
    assert_non_null(strstr(p.server.transcript, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>"));
    assert_true(p.client.closed);
    pair_free(&p);
  }
}

/* Drives the server by hand up to the point where it waits for <auth/>. */
static void raw_server(pair *p) {
  xmppim_options *so = options_with(0, 0);
  pair_init(p, ACCOUNT, PAIR_PASSWORD, NULL, so);
  xmppim_options_free(so);
  assert_true(pair_feed_raw(&p->server, "<?xml version='1.0'?><stream:stream to='example.com' version='1.0' "
                                        "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>") > 0);
  const char *out = pair_take_output(&p->server);
  assert_non_null(strstr(out, "<stream:features><mechanisms"));
}

/* C6.4.5-a: an unknown or unoffered mechanism gets invalid-mechanism. */
static void unknown_mechanism(void **state) {
  (void)state;
  pair p = {0};
  raw_server(&p);
  assert_true(pair_feed_raw(&p.server, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-MADE-UP'>AA==</auth>") > 0);
  assert_string_equal(pair_take_output(&p.server),
                      "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><invalid-mechanism/></failure>");
  /* PLAIN is not offered without TLS: also invalid-mechanism. */
  assert_true(pair_feed_raw(&p.server, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMG15cjBtMzA=</auth>") > 0);
  assert_string_equal(pair_take_output(&p.server),
                      "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><invalid-mechanism/></failure>");
  pair_free(&p);
}

/* C6.4.4-a: <abort/> is answered with <failure><aborted/></failure>. */
static void aborted_sasl(void **state) {
  (void)state;
  pair p = {0};
  raw_server(&p);
  assert_true(pair_feed_raw(&p.server, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>"
                                       "biwsbj1qdWxpZXQscj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0w=</auth>") > 0);
  assert_non_null(strstr(pair_take_output(&p.server), "<challenge"));
  assert_true(pair_feed_raw(&p.server, "<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>") > 0);
  assert_string_equal(pair_take_output(&p.server),
                      "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><aborted/></failure>");
  pair_free(&p);
}

/* C6.4.5-d: too many failures end the stream with policy-violation. */
static void too_many_failures(void **state) {
  (void)state;
  pair p = {0};
  raw_server(&p);
  for (int i = 0; i < 3; i++)
    pair_feed_raw(&p.server, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X'>=</auth>");
  const char *out = pair_take_output(&p.server);
  assert_non_null(strstr(out, "<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"));
  assert_non_null(strstr(out, "</stream:stream>"));
  pair_free(&p);
}

/* Bad base64 in <auth/> is incorrect-encoding (C6.3.5-b). */
static void incorrect_encoding(void **state) {
  (void)state;
  pair p = {0};
  raw_server(&p);
  pair_feed_raw(&p.server, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>!!!</auth>");
  assert_string_equal(pair_take_output(&p.server),
                      "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><incorrect-encoding/></failure>");
  pair_free(&p);
}

/* C7.6.1-a: no resource asked, one generated; C7.7.1-b: an asked one kept. */
static void binding_with_and_without_resource(void **state) {
  (void)state;
  pair p = {0};
  login(&p, ACCOUNT, PAIR_PASSWORD, 0, 0);
  assert_true(p.client.ready);
  const xmppim_jid *bound = xmppim_session_jid(p.client.s);
  assert_non_null(xmppim_jid_resource(bound));
  assert_true(strlen(xmppim_jid_resource(bound)) >= 8);
  assert_string_equal(xmppim_jid_bare_string(bound), ACCOUNT);
  pair_free(&p);
  pair q = {0};
  login(&q, ACCOUNT "/orchard", PAIR_PASSWORD, 0, 0);
  assert_string_equal(xmppim_jid_to_string(xmppim_session_jid(q.client.s)), ACCOUNT "/orchard");
  pair_free(&q);
}

/* C7.7.2.2-a: a resource in use is replaced by a generated one. */
static void resource_conflict(void **state) {
  (void)state;
  pair p = {.bind_conflicts = 1};
  login(&p, ACCOUNT "/balcony", PAIR_PASSWORD, 0, 0);
  assert_true(p.client.ready);
  assert_string_not_equal(xmppim_jid_resource(xmppim_session_jid(p.client.s)), "balcony");
  pair_free(&p);
}

/* C8.1.2.1-a: the server stamps 'from'; a client claiming another address
 * gets invalid-from. */
static void from_is_stamped_and_spoofing_refused(void **state) {
  (void)state;
  pair p = {0};
  login(&p, ACCOUNT "/balcony", PAIR_PASSWORD, 0, 0);
  xmppim_stanza *msg;
  assert_int_equal(xmppim_stanza_new(&msg, NULL, "message", "jabber:client"), 0);
  xmppim_stanza_set_attr(msg, "to", "romeo@example.net");
  assert_int_equal(xmppim_session_send(p.client.s, msg), 0);
  pair_pump(&p);
  assert_non_null(strstr(p.server.last_stanza, "from='" ACCOUNT "/balcony'"));
  /* Its own bare JID is fine too. */
  xmppim_stanza_set_attr(msg, "from", ACCOUNT);
  assert_int_equal(xmppim_session_send(p.client.s, msg), 0);
  pair_pump(&p);
  assert_non_null(strstr(p.server.last_stanza, "from='" ACCOUNT "/balcony'"));
  xmppim_stanza_set_attr(msg, "from", "romeo@example.com/garden");
  assert_int_equal(xmppim_session_send(p.client.s, msg), 0);
  pair_pump(&p);
  assert_int_equal(p.client.peer_error, XMPPIM_STREAM_INVALID_FROM);
  assert_true(p.server.closed);
  xmppim_stanza_free(msg);
  pair_free(&p);
}

/* Byte-by-byte delivery gives the same outcome as whole buffers. */
static void byte_by_byte(void **state) {
  (void)state;
  pair p = {.tls_shim = 1, .binding_type = "tls-exporter", .chunk = 1};
  login(&p, ACCOUNT "/balcony", PAIR_PASSWORD, 0, 0);
  assert_logged_in_with(&p, XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS, ACCOUNT "/balcony");
  pair_free(&p);
  pair q = {.chunk = 7};
  login(&q, ACCOUNT "/balcony", PAIR_PASSWORD, BIT(XMPPIM_SASL_MECH_SCRAM_SHA_1), 0);
  assert_logged_in_with(&q, XMPPIM_SASL_MECH_SCRAM_SHA_1, ACCOUNT "/balcony");
  pair_free(&q);
}

/* Back-pressure: a reader draining one byte at a time gets every byte in order. */
static void backpressure_slow_reader(void **state) {
  (void)state;
  xmppim_options *so = options_with(0, 0);
  assert_int_equal(xmppim_options_set_output_limit(so, 4096), 0);
  xmppim_options *co = options_with(0, 0);
  pair p = {0};
  pair_init(&p, ACCOUNT, PAIR_PASSWORD, co, so);
  xmppim_options_free(so);
  xmppim_options_free(co);
  pair_pump(&p);
  assert_true(p.server.ready);
  /* The server host sends messages until the session says "wait". */
  char expected[200000];
  size_t expected_len = 0, received_len = 0;
  static char received[200000];
  int sent = 0, refusals = 0;
  while (sent < 300) {
    xmppim_stanza *m, *body;
    assert_int_equal(xmppim_stanza_new(&m, NULL, "message", "jabber:client"), 0);
    char text[64];
    snprintf(text, sizeof(text), "message number %d", sent);
    xmppim_stanza_add_child(m, "body", NULL, &body);
    xmppim_stanza_add_text(body, text, strlen(text));
    int rv = xmppim_session_send(p.server.s, m);
    if (rv == 0) {
      char ser[256];
      size_t n;
      xmppim_stanza_serialize(m, "jabber:client", ser, sizeof(ser), &n);
      memcpy(expected + expected_len, ser, n);
      expected_len += n;
      sent++;
    } else {
      assert_int_equal(rv, XMPPIM_ERR_BACKPRESSURE);
      refusals++;
      /* Drain one byte at a time for a while. */
      for (int i = 0; i < 500; i++) {
        const char *data;
        size_t n = xmppim_session_output(p.server.s, &data);
        if (!n) break;
        received[received_len++] = data[0];
        xmppim_session_consumed(p.server.s, 1);
      }
    }
    xmppim_stanza_free(m);
  }
  const char *data;
  size_t n;
  while ((n = xmppim_session_output(p.server.s, &data)) > 0) {
    received[received_len++] = data[0];
    xmppim_session_consumed(p.server.s, 1);
  }
  assert_true(refusals > 0);
  assert_int_equal(received_len, expected_len);
  assert_memory_equal(received, expected, expected_len);
  pair_free(&p);
}

/* C8.2.3-b: an IQ get the host does not handle gets service-unavailable;
 * one it answers reaches the client's callback with the result. */
static int iq_answers;
static xmppim_stanza *iq_last;
static void on_iq_answer(xmppim_session *s, xmppim_stanza *result, void *ud) {
  (void)s;
  iq_answers++;
  *(char *)ud = result ? (strcmp(xmppim_stanza_attr(result, "type"), "result") == 0 ? 'r' : 'e') : 't';
  iq_last = result;
}

static void iq_tracking(void **state) {
  (void)state;
  pair p = {0};
  login(&p, ACCOUNT, PAIR_PASSWORD, 0, 0);
  xmppim_stanza *iq, *q;
  assert_int_equal(xmppim_stanza_new(&iq, NULL, "iq", "jabber:client"), 0);
  xmppim_stanza_set_attr(iq, "type", "get");
  xmppim_stanza_add_child(iq, "query", "jabber:iq:version", &q);
  char outcome = 0;
  iq_answers = 0;
  assert_int_equal(xmppim_session_send_iq(p.client.s, iq, on_iq_answer, &outcome), 0);
  pair_pump(&p);
  assert_int_equal(iq_answers, 1);
  assert_int_equal(outcome, 'e');
  assert_non_null(strstr(p.server.transcript, "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"));
  /* Answered by the host. */
  p.answer_iqs = 1;
  assert_int_equal(xmppim_session_send_iq(p.client.s, iq, on_iq_answer, &outcome), 0);
  pair_pump(&p);
  assert_int_equal(iq_answers, 2);
  assert_int_equal(outcome, 'r');
  /* No answer: the deadline turns into a timeout. */
  assert_int_equal(xmppim_session_timeout(p.client.s, 1000), 0);
  xmppim_stanza_set_attr(iq, "type", "set");
  assert_int_equal(xmppim_session_send_iq(p.client.s, iq, on_iq_answer, &outcome), 0);
  assert_int_equal(xmppim_session_next_deadline(p.client.s), 61000);
  xmppim_session_timeout(p.client.s, 60999);
  assert_int_equal(iq_answers, 2);
  xmppim_session_timeout(p.client.s, 61000);
  assert_int_equal(iq_answers, 3);
  assert_int_equal(outcome, 't');
  /* A result for an unknown id is ignored, not answered (C8.2.3-c). */
  pair_pump(&p);
  assert_int_equal(xmppim_session_want_write(p.client.s), 0);
  assert_true(pair_feed_raw(&p.client, "<iq type='result' id='nobody-asked'/>") > 0);
  assert_int_equal(xmppim_session_want_write(p.client.s), 0);
  /* Only get and set are tracked. */
  xmppim_stanza_set_attr(iq, "type", "result");
  assert_int_equal(xmppim_session_send_iq(p.client.s, iq, on_iq_answer, &outcome), XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_stanza_free(iq);
  pair_free(&p);
}

/* C4.9.1.1-a, C4.9.3-a: every condition can be sent and is recognised. */
static void every_stream_error(void **state) {
  (void)state;
  for (int c = XMPPIM_STREAM_BAD_FORMAT; c <= XMPPIM_STREAM_UNSUPPORTED_VERSION; c++) {
    pair p = {0};
    login(&p, ACCOUNT, PAIR_PASSWORD, 0, 0);
    int other_host = c == XMPPIM_STREAM_SEE_OTHER_HOST;
    if (other_host)
      assert_int_equal(xmppim_session_stream_error(p.server.s, (xmppim_stream_condition)c, "no host here"),
                       XMPPIM_ERR_INVALID_ARGUMENT);
    assert_int_equal(xmppim_session_stream_error(p.server.s, (xmppim_stream_condition)c,
                                                 other_host ? "im.example.com:5223" : "bye"), 0);
    pair_pump(&p);
    assert_int_equal(p.client.peer_error, c);
    assert_true(p.client.closed);
    assert_true(p.server.closed);
    assert_int_equal(xmppim_session_want_read(p.client.s), 0);
    const char *text;
    assert_int_equal(xmppim_session_error(p.client.s, &text), c);
    if (other_host)
      assert_non_null(strstr(p.server.transcript, "<see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>im.example.com:5223</see-other-host>"));
    else
      assert_string_equal(text, "bye");
    pair_free(&p);
  }
}

/* C4.9.2-a: an application-specific condition travels with the error. */
static void stream_error_with_app_condition(void **state) {
  (void)state;
  pair p = {0};
  login(&p, ACCOUNT, PAIR_PASSWORD, 0, 0);
  xmppim_stanza *app, *bare;
  assert_int_equal(xmppim_stanza_new(&app, NULL, "too-many-hats", "urn:example:errors"), 0);
  assert_int_equal(xmppim_stanza_new(&bare, NULL, "no-namespace", NULL), 0);
  assert_int_equal(xmppim_session_stream_error_app(p.server.s, XMPPIM_STREAM_POLICY_VIOLATION, "hats", bare),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_session_stream_error_app(p.server.s, XMPPIM_STREAM_POLICY_VIOLATION, "hats", app), 0);
  pair_pump(&p);
  assert_int_equal(p.client.peer_error, XMPPIM_STREAM_POLICY_VIOLATION);
  const xmppim_stanza *got = xmppim_session_error_app_condition(p.client.s);
  assert_non_null(got);
  assert_true(xmppim_stanza_equal(got, app));
  xmppim_stanza_free(app);
  xmppim_stanza_free(bare);
  pair_free(&p);
}

/* C6.5-a, C6.5-b: every SASL failure condition reaches the client as itself;
 * an unknown one reads as not-authorized. */
static void client_reads_every_sasl_failure(void **state) {
  (void)state;
  for (int c = XMPPIM_SASL_COND_ABORTED; c <= XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE + 1; c++) {
    const char *name = c <= XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE
                           ? xmppim_sasl_condition_name((xmppim_sasl_condition)c) : "made-up-condition";
    xmppim_options *co = options_with(BIT(XMPPIM_SASL_MECH_SCRAM_SHA_1), 0);
    pair p = {0};
    pair_init(&p, ACCOUNT, PAIR_PASSWORD, co, NULL);
    xmppim_options_free(co);
    pair_feed_raw(&p.client, "<stream:stream from='example.com' id='x1' version='1.0' xmlns='jabber:client' "
                             "xmlns:stream='http://etherx.jabber.org/streams'><stream:features><mechanisms "
                             "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism>"
                             "</mechanisms></stream:features>");
    assert_non_null(strstr(pair_take_output(&p.client), "<auth"));
    char failure[200];
    snprintf(failure, sizeof(failure),
             "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><%s/><text>why</text></failure>", name);
    pair_feed_raw(&p.client, failure);
    int expected = c <= XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE ? c : XMPPIM_SASL_COND_NOT_AUTHORIZED;
    assert_int_equal(p.client.auth_failure, expected);
    assert_false(p.client.ready);
    assert_int_equal(xmppim_session_state_get(p.client.s), XMPPIM_STATE_CLOSING);
    pair_free(&p);
  }
}

/* The server answers with each condition it can decide on: from the host
 * (account-disabled, credentials-expired, temporary-auth-failure,
 * not-authorized, invalid-authzid through authorize), from the protocol
 * (aborted, incorrect-encoding, invalid-mechanism, malformed-request,
 * encryption-required) and from the mechanism (mechanism-too-weak is a
 * client's refusal, tested with the SASL module). */
static xmppim_sasl_condition host_says;
static xmppim_sasl_condition deny_plain(const char *a, const char *pw, const char *z, void *ud) {
  (void)a;
  (void)pw;
  (void)z;
  (void)ud;
  return host_says;
}
static xmppim_sasl_condition deny_authz(const char *a, const char *z, void *ud) {
  (void)a;
  (void)z;
  (void)ud;
  return XMPPIM_SASL_COND_INVALID_AUTHZID;
}
static const char *server_answer(xmppim_options *so, const char *auth_xml, int secure) {
  static char out[4096];
  xmppim_callbacks *cb;
  assert_int_equal(xmppim_callbacks_new(&cb), 0);
  xmppim_callbacks_set_sasl_plain(cb, deny_plain);
  xmppim_callbacks_set_sasl_authorize(cb, deny_authz);
  xmppim_session *srv;
  assert_int_equal(xmppim_session_server_new(&srv, "example.com", cb, NULL, so, NULL), 0);
  xmppim_callbacks_free(cb);
  if (secure) assert_int_equal(xmppim_session_tls_established(srv, NULL), 0); /* direct TLS */
  const char *hdr = "<stream:stream to='example.com' version='1.0' xmlns='jabber:client' "
                    "xmlns:stream='http://etherx.jabber.org/streams'>";
  assert_true(xmppim_session_feed(srv, hdr, strlen(hdr)) > 0);
  const char *data;
  xmppim_session_consumed(srv, xmppim_session_output(srv, &data));
  xmppim_session_feed(srv, auth_xml, strlen(auth_xml));
  size_t n = xmppim_session_output(srv, &data);
  snprintf(out, sizeof(out), "%.*s", (int)n, data);
  xmppim_session_free(srv);
  return out;
}
static void server_sends_every_sasl_failure(void **state) {
  (void)state;
  /* PLAIN "\0juliet\0pw" and with authzid "romeo@example.com". */
  const char *plain = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldABwdw==</auth>";
  const char *plain_authz = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                            "cm9tZW9AZXhhbXBsZS5jb20AanVsaWV0AHB3</auth>";
  static const xmppim_sasl_condition from_host[] = {
    XMPPIM_SASL_COND_ACCOUNT_DISABLED, XMPPIM_SASL_COND_CREDENTIALS_EXPIRED,
    XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE, XMPPIM_SASL_COND_NOT_AUTHORIZED};
  char want[160];
  for (size_t i = 0; i < 4; i++) {
    host_says = from_host[i];
    snprintf(want, sizeof(want), "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><%s/></failure>",
             xmppim_sasl_condition_name(from_host[i]));
    assert_string_equal(server_answer(NULL, plain, 1), want);
  }
  host_says = XMPPIM_SASL_COND_NONE;
  assert_string_equal(server_answer(NULL, plain_authz, 1),
                      "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><invalid-authzid/></failure>");
  assert_string_equal(server_answer(NULL, "<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", 1),
                      "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><aborted/></failure>");
  assert_string_equal(server_answer(NULL, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>*</auth>", 1),
                      "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><incorrect-encoding/></failure>");
  assert_string_equal(server_answer(NULL, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='DIGEST-MD5'/>", 1),
                      "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><invalid-mechanism/></failure>");
  assert_string_equal(server_answer(NULL, "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>AA==</response>", 1),
                      "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><malformed-request/></failure>");
  /* PLAIN without the NUL separators. */
  assert_string_equal(server_answer(NULL, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>anVsaWV0</auth>", 1),
                      "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><malformed-request/></failure>");
  xmppim_options *so = options_with(0, 1);
  assert_string_equal(server_answer(so, plain, 0),
                      "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><encryption-required/></failure>");
  xmppim_options_free(so);
}

/* C4.4-b: close, wait for the peer's close tag, then both are closed. */
static void clean_close(void **state) {
  (void)state;
  pair p = {0};
  login(&p, ACCOUNT, PAIR_PASSWORD, 0, 0);
  assert_int_equal(xmppim_session_close(p.client.s), 0);
  assert_int_equal(xmppim_session_state_get(p.client.s), XMPPIM_STATE_CLOSING);
  assert_int_equal(xmppim_session_close(p.client.s), XMPPIM_ERR_INVALID_STATE);
  pair_pump(&p);
  assert_true(p.client.closed);
  assert_true(p.server.closed);
  assert_int_equal(p.client.closed_condition, XMPPIM_STREAM_OK);
  assert_int_equal(xmppim_session_want_read(p.client.s), 0);
  assert_int_equal(xmppim_session_want_write(p.client.s), 0);
  pair_free(&p);
  /* A peer that never answers: the close timeout ends it. */
  pair q = {0};
  login(&q, ACCOUNT, PAIR_PASSWORD, 0, 0);
  xmppim_session_timeout(q.client.s, 5000);
  xmppim_session_close(q.client.s);
  assert_int_equal(xmppim_session_next_deadline(q.client.s), 15000);
  xmppim_session_timeout(q.client.s, 15000);
  assert_true(q.client.closed);
  pair_free(&q);
}

/* C4.6-a: a whitespace keepalive on an idle ready stream. */
static void keepalive(void **state) {
  (void)state;
  xmppim_options *co = options_with(0, 0);
  assert_int_equal(xmppim_options_set_keepalive(co, 30000), 0);
  pair p = {0};
  pair_init(&p, ACCOUNT, PAIR_PASSWORD, co, NULL);
  xmppim_options_free(co);
  pair_pump(&p);
  assert_true(p.client.ready);
  xmppim_session_timeout(p.client.s, 0);
  assert_int_equal(xmppim_session_next_deadline(p.client.s), 30000);
  xmppim_session_timeout(p.client.s, 30000);
  const char *data;
  assert_int_equal(xmppim_session_output(p.client.s, &data), 1);
  assert_int_equal(data[0], ' ');
  pair_free(&p);
}

/* Callbacks must not pump the session. */
static long nested_result;
static void nested_feed(xmppim_session *s, const xmppim_jid *jid, void *ud) {
  (void)jid;
  (void)ud;
  nested_result = xmppim_session_feed(s, "<x/>", 4);
}
static void callbacks_cannot_reenter(void **state) {
  (void)state;
  xmppim_callbacks *cb;
  assert_int_equal(xmppim_callbacks_new(&cb), 0);
  xmppim_callbacks_set_on_ready(cb, nested_feed);
  pair p = {0};
  xmppim_options *co = options_with(0, 0);
  pair_init(&p, ACCOUNT, PAIR_PASSWORD, co, NULL);
  xmppim_session_free(p.client.s);
  assert_int_equal(xmppim_session_client_new(&p.client.s, ACCOUNT, PAIR_PASSWORD, cb, &p, co, NULL), 0);
  xmppim_options_free(co);
  xmppim_callbacks_free(cb);
  nested_result = 0;
  pair_pump(&p);
  assert_int_equal(nested_result, XMPPIM_ERR_INVALID_STATE);
  pair_free(&p);
}

/* C4.7.3-a, C4.3.3-b: a new random stream id on every response header. */
static void stream_ids_fresh(void **state) {
  (void)state;
  pair p = {.tls_shim = 1};
  login(&p, ACCOUNT, PAIR_PASSWORD, 0, 0);
  const char *t = p.server.transcript;
  char ids[4][64];
  int n = 0;
  for (const char *at = strstr(t, " id='"); at && n < 4; at = strstr(at + 1, " id='")) {
    if (strncmp(at - 20 > t ? at - 30 : t, "", 0) != 0) continue;
    const char *v = at + 5;
    const char *end = strchr(v, '\'');
    if (end - v != 32) continue; /* only the 128-bit stream ids */
    memcpy(ids[n], v, (size_t)(end - v));
    ids[n][end - v] = '\0';
    n++;
  }
  assert_int_equal(n, 3); /* initial, after TLS, after SASL */
  assert_string_not_equal(ids[0], ids[1]);
  assert_string_not_equal(ids[1], ids[2]);
  assert_string_not_equal(ids[0], ids[2]);
  pair_free(&p);
}

static void bad_arguments(void **state) {
  (void)state;
  xmppim_session *s;
  assert_int_equal(xmppim_session_client_new(&s, "not a jid@", "pw", NULL, NULL, NULL, NULL) < 0, 1);
  assert_int_equal(xmppim_session_client_new(&s, "example.com", "pw", NULL, NULL, NULL, NULL), XMPPIM_ERR_JID_EMPTY_PART);
  assert_int_equal(xmppim_session_client_new(&s, ACCOUNT, "", NULL, NULL, NULL, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_session_server_new(&s, "user@example.com", NULL, NULL, NULL, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_session_feed(NULL, "x", 1), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_session_client_new(&s, ACCOUNT, "pw", NULL, NULL, NULL, NULL), 0);
  xmppim_stanza *m;
  assert_int_equal(xmppim_stanza_new(&m, NULL, "message", NULL), 0);
  assert_int_equal(xmppim_session_send(s, m), XMPPIM_ERR_INVALID_STATE); /* not ready */
  xmppim_stanza_free(m);
  xmppim_session_free(s);
  xmppim_options *o;
  assert_int_equal(xmppim_options_new(&o), 0);
  assert_int_equal(xmppim_options_set_output_limit(o, 100), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_options_set_max_stanza_size(o, 9999), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_options_set_lang(o, "en'><x"), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_options_set_max_auth_attempts(o, 9), XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_options_free(o);
}

/* ---- informational stream features ---- */

#define NS_ROSTERVER "urn:xmpp:features:rosterver"
#define NS_PREAPPROVAL "urn:xmpp:features:pre-approval"
#define NS_ODD "urn:example:a&b'c"

static size_t count_of(const char *haystack, const char *needle) {
  size_t n = 0;
  for (const char *at = strstr(haystack, needle); at; at = strstr(at + 1, needle)) n++;
  return n;
}

/* R2.6.1-a, R3.4-b, RD-d: the server adds the host's features to those
 * after authentication only, escaped, once each; the client sees them. */
static void informational_features_after_auth_only(void **state) {
  (void)state;
  xmppim_options *so = options_with(0, 0);
  xmppim_options *co = options_with(0, 0);
  assert_int_equal(xmppim_options_add_stream_feature(so, "ver", NS_ROSTERVER), 0);
  assert_int_equal(xmppim_options_add_stream_feature(so, "sub", NS_PREAPPROVAL), 0);
  assert_int_equal(xmppim_options_add_stream_feature(so, "ver", NS_ROSTERVER), 0); /* no-op */
  assert_int_equal(xmppim_options_add_stream_feature(so, "odd", NS_ODD), 0);
  for (int tls = 0; tls < 2; tls++) {
    pair p = {.tls_shim = tls};
    assert_int_equal(xmppim_options_set_require_tls(co, tls), 0);
    pair_init(&p, ACCOUNT, PAIR_PASSWORD, co, so);
    /* the client's view before anything arrived */
    assert_int_equal(xmppim_session_peer_has_feature(p.client.s, "ver", NS_ROSTERVER), 0);
    pair_pump(&p);
    assert_true(p.client.ready);
    const char *t = p.server.transcript;
    /* every features element but the last one (after SASL) has none of them */
    const char *last = NULL;
    for (const char *at = strstr(t, "<stream:features>"); at; at = strstr(at + 1, "<stream:features>"))
      last = at;
    assert_non_null(last);
    assert_int_equal(count_of(t, "<stream:features>"), tls ? 3 : 2);
    assert_true(strstr(t, "<success") < last);
    assert_true(strstr(t, "rosterver") > last);
    assert_non_null(strstr(last, "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><session "
                                 "xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>"
                                 "<ver xmlns='urn:xmpp:features:rosterver'/>"
                                 "<sub xmlns='urn:xmpp:features:pre-approval'/>"
                                 "<odd xmlns='urn:example:a&amp;b&apos;c'/>"
                                 "</stream:features>"));
    assert_int_equal(count_of(t, "rosterver"), 1);
    /* the client read them, unescaped; the negotiated ones are not informational */
    assert_int_equal(xmppim_session_peer_has_feature(p.client.s, "ver", NS_ROSTERVER), 1);
    assert_int_equal(xmppim_session_peer_has_feature(p.client.s, "sub", NS_PREAPPROVAL), 1);
    assert_int_equal(xmppim_session_peer_has_feature(p.client.s, "odd", NS_ODD), 1);
    assert_int_equal(xmppim_session_peer_has_feature(p.client.s, "sub", NS_ROSTERVER), 0);
    assert_int_equal(xmppim_session_peer_has_feature(p.client.s, "bind", "urn:ietf:params:xml:ns:xmpp-bind"), 0);
    assert_int_equal(xmppim_session_peer_has_feature(p.client.s, "session", "urn:ietf:params:xml:ns:xmpp-session"), 0);
    /* a server session reads no features */
    assert_int_equal(xmppim_session_peer_has_feature(p.server.s, "ver", NS_ROSTERVER), 0);
    pair_free(&p);
  }
  /* without any, the features after SASL are as before */
  pair q = {0};
  assert_int_equal(xmppim_options_set_require_tls(co, 0), 0);
  pair_init(&q, ACCOUNT, PAIR_PASSWORD, co, NULL);
  pair_pump(&q);
  assert_true(q.client.ready);
  assert_non_null(strstr(q.server.transcript, "<optional/></session></stream:features>"));
  assert_int_equal(xmppim_session_peer_has_feature(q.client.s, "ver", NS_ROSTERVER), 0);
  pair_free(&q);
  xmppim_options_free(so);
  xmppim_options_free(co);
}

static void drain(xmppim_session *s, char *into, size_t cap) {
  const char *data;
  size_t n = xmppim_session_output(s, &data);
  snprintf(into, cap, "%.*s", (int)n, data);
  xmppim_session_consumed(s, n);
}

#define RAW_HEADER                                                                          \
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "                              \
  "xmlns:stream='http://etherx.jabber.org/streams' from='example.com' id='%s' version='1.0'>"

/* The client keeps what the features after authentication say, not those
 * before; within its limits. The server is played by hand. */
static void client_keeps_features_after_auth_only(void **state) {
  (void)state;
  xmppim_options *co = options_with(BIT(XMPPIM_SASL_MECH_PLAIN), 0);
  assert_int_equal(xmppim_options_set_allow_plain_without_tls(co, 1), 0);
  xmppim_session *c;
  assert_int_equal(xmppim_session_client_new(&c, ACCOUNT, PAIR_PASSWORD, NULL, NULL, co, NULL), 0);
  xmppim_options_free(co);
  static char out[8192], in[16384];
  drain(c, out, sizeof(out));
  snprintf(in, sizeof(in),
           RAW_HEADER "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                      "<mechanism>PLAIN</mechanism></mechanisms><ver xmlns='" NS_ROSTERVER "'/>"
                      "</stream:features>",
           "s1");
  assert_int_equal(xmppim_session_feed(c, in, strlen(in)), (long)strlen(in));
  drain(c, out, sizeof(out));
  assert_non_null(strstr(out, "<auth"));
  /* offered before authentication: not kept */
  assert_int_equal(xmppim_session_peer_has_feature(c, "ver", NS_ROSTERVER), 0);
  const char *success = "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>";
  assert_int_equal(xmppim_session_feed(c, success, strlen(success)), (long)strlen(success));
  drain(c, out, sizeof(out));
  assert_non_null(strstr(out, "<stream:stream"));
  assert_int_equal(xmppim_session_peer_has_feature(c, "ver", NS_ROSTERVER), 0);
  /* after authentication: bind, ver, a namespace too long to keep, then
   * more features than are kept */
  size_t len = (size_t)snprintf(in, sizeof(in),
                                RAW_HEADER "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
                                           "<ver xmlns='" NS_ROSTERVER "'/><big xmlns='urn:",
                                "s2");
  static char big_ns[1200];
  memset(big_ns, 'x', sizeof(big_ns) - 1);
  len += (size_t)snprintf(in + len, sizeof(in) - len, "%s'/>", big_ns);
  for (int i = 0; i < 40; i++)
    len += (size_t)snprintf(in + len, sizeof(in) - len, "<f%d xmlns='urn:example:%d'/>", i, i);
  len += (size_t)snprintf(in + len, sizeof(in) - len, "</stream:features>");
  assert_true(len < sizeof(in) - 1);
  assert_int_equal(xmppim_session_feed(c, in, len), (long)len);
  drain(c, out, sizeof(out));
  assert_non_null(strstr(out, "urn:ietf:params:xml:ns:xmpp-bind"));
  assert_int_equal(xmppim_session_peer_has_feature(c, "ver", NS_ROSTERVER), 1);
  char big_full[1300];
  snprintf(big_full, sizeof(big_full), "urn:%s", big_ns);
  assert_int_equal(xmppim_session_peer_has_feature(c, "big", big_full), 0); /* past the bytes */
  /* ver and f0..f30 fill the XMPPIM_PEER_FEATURES_MAX places */
  for (int i = 0; i < 40; i++) {
    char name[8], ns[32];
    snprintf(name, sizeof(name), "f%d", i);
    snprintf(ns, sizeof(ns), "urn:example:%d", i);
    assert_int_equal(xmppim_session_peer_has_feature(c, name, ns), i < XMPPIM_PEER_FEATURES_MAX - 1);
  }
  assert_int_equal(xmppim_session_peer_has_feature(c, "f0", "urn:example:1"), 0);
  xmppim_session_free(c);
}

/* Every allocation failing in turn while features are copied and read:
 * clean errors, no leak. */
static void stream_features_allocation_failures(void **state) {
  (void)state;
  xmppim_options *so = options_with(0, 0);
  assert_int_equal(xmppim_options_add_stream_feature(so, "ver", NS_ROSTERVER), 0);
  for (long fail = 1;; fail++) {
    failing_mem fm;
    failing_mem_init(&fm, fail);
    xmppim_session *s = NULL;
    int rv = xmppim_session_server_new(&s, PAIR_DOMAIN, NULL, NULL, so, &fm.mem);
    assert_true(rv == 0 || rv == XMPPIM_ERR_NOMEM);
    xmppim_session_free(s);
    assert_int_equal(fm.live, 0);
    if (fm.count < fail) break; /* nothing failed: done */
  }
  xmppim_options_free(so);
  xmppim_options *co = options_with(BIT(XMPPIM_SASL_MECH_PLAIN), 0);
  assert_int_equal(xmppim_options_set_allow_plain_without_tls(co, 1), 0);
  static const char *const server_says[] = {
    RAW_HEADER "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
               "<mechanism>PLAIN</mechanism></mechanisms></stream:features>",
    "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
    RAW_HEADER "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
               "<ver xmlns='" NS_ROSTERVER "'/><sub xmlns='" NS_PREAPPROVAL "'/></stream:features>"};
  for (long fail = 1;; fail++) {
    failing_mem fm;
    failing_mem_init(&fm, fail);
    xmppim_session *c = NULL;
    int rv = xmppim_session_client_new(&c, ACCOUNT, PAIR_PASSWORD, NULL, NULL, co, &fm.mem);
    assert_true(rv == 0 || rv == XMPPIM_ERR_NOMEM);
    for (size_t i = 0; c && i < sizeof(server_says) / sizeof(server_says[0]); i++) {
      char in[1024], out[4096];
      drain(c, out, sizeof(out));
      snprintf(in, sizeof(in), server_says[i], "s1");
      if (xmppim_session_feed(c, in, strlen(in)) < 0) break;
    }
    int done = fm.count < fail;
    if (done) {
      assert_int_equal(xmppim_session_peer_has_feature(c, "ver", NS_ROSTERVER), 1);
      assert_int_equal(xmppim_session_peer_has_feature(c, "sub", NS_PREAPPROVAL), 1);
    }
    xmppim_session_free(c);
    assert_int_equal(fm.live, 0);
    if (done) break;
  }
  xmppim_options_free(co);
}

static void stream_feature_arguments(void **state) {
  (void)state;
  xmppim_options *o;
  assert_int_equal(xmppim_options_new(&o), 0);
  static const char *const bad_names[] = {"", "1ver", "-ver", ".ver", "a:b", "a b", "a/b",
                                          "a'b", "a>", "\xc3\xa9t\xc3\xa9", "a&b"};
  for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
    assert_int_equal(xmppim_options_add_stream_feature(o, bad_names[i], "urn:x"),
                     XMPPIM_ERR_INVALID_ARGUMENT);
  /* not URIs (a parser would refuse them), and the reserved namespaces */
  static const char *const bad_ns[] = {
    "", "urn:\x01", "urn:\xff", "urn:\xc3\xa9", "no-scheme", ":x", "1x:y", "urn:a b", "urn:a<b",
    "urn:a>b", "urn:a\"b", "urn:a#b#c", "urn:%4g", "urn:a[b]", "urn:a|b", "http://a@b@c/",
    "http://a:b:c/", "http://x:123456/", "http://[::1]/x",
    "http://www.w3.org/XML/1998/namespace", "http://www.w3.org/2000/xmlns/"};
  for (size_t i = 0; i < sizeof(bad_ns) / sizeof(bad_ns[0]); i++)
    assert_int_equal(xmppim_options_add_stream_feature(o, "ver", bad_ns[i]), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_options_add_stream_feature(NULL, "ver", "urn:x"), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_options_add_stream_feature(o, NULL, "urn:x"), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_options_add_stream_feature(o, "ver", NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  /* the features the session negotiates itself */
  assert_int_equal(xmppim_options_add_stream_feature(o, "bind", "urn:ietf:params:xml:ns:xmpp-bind"),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_options_add_stream_feature(o, "starttls", "urn:ietf:params:xml:ns:xmpp-tls"),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_options_add_stream_feature(o, "mechanisms", "urn:ietf:params:xml:ns:xmpp-sasl"),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_options_add_stream_feature(o, "session", "urn:ietf:params:xml:ns:xmpp-session"),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  /* good names; a repeat is a no-op and takes no place */
  assert_int_equal(xmppim_options_add_stream_feature(o, "_a-b.c9", "urn:x"), 0);
  assert_int_equal(xmppim_options_add_stream_feature(o, "bind", "urn:other"), 0);
  /* URIs of every shape (checked against libxml2's reading when written) */
  static const char *const good_ns[] = {"http://jabber.org/protocol/caps", "urn:a:b#c?d/e",
                                        "http://u:p@ex.com:5222/a%20b?q=1;r=(2)*+,!$~"};
  for (size_t i = 0; i < sizeof(good_ns) / sizeof(good_ns[0]); i++) {
    xmppim_options *g;
    assert_int_equal(xmppim_options_new(&g), 0);
    assert_int_equal(xmppim_options_add_stream_feature(g, "g", good_ns[i]), 0);
    xmppim_options_free(g);
  }
  for (int i = 0; i < 6; i++) {
    char ns[16];
    snprintf(ns, sizeof(ns), "urn:x%d", i);
    assert_int_equal(xmppim_options_add_stream_feature(o, "f", ns), 0);
    assert_int_equal(xmppim_options_add_stream_feature(o, "f", ns), 0);
  }
  /* XMPPIM_STREAM_FEATURES_MAX reached */
  assert_int_equal(xmppim_options_add_stream_feature(o, "g", "urn:y"), XMPPIM_ERR_LIMIT);
  assert_int_equal(xmppim_options_add_stream_feature(o, "_a-b.c9", "urn:x"), 0); /* still a no-op */
  xmppim_options_free(o);
  /* XMPPIM_STREAM_FEATURES_MAX_BYTES: escaping counts */
  assert_int_equal(xmppim_options_new(&o), 0);
  char ns[600];
  memcpy(ns, "urn:", 4);
  memset(ns + 4, 'a', sizeof(ns) - 5);
  ns[sizeof(ns) - 1] = '\0';
  assert_int_equal(xmppim_options_add_stream_feature(o, "f", ns), XMPPIM_ERR_LIMIT);
  ns[481] = '\0'; /* "<f xmlns='" + 481 + "'/>" = 494 bytes */
  assert_int_equal(xmppim_options_add_stream_feature(o, "f", ns), 0);
  assert_int_equal(xmppim_options_add_stream_feature(o, "g", "urn:zzzzzzzzzz"), XMPPIM_ERR_LIMIT);
  assert_int_equal(xmppim_options_add_stream_feature(o, "g", "u:xyz"), 0); /* 18 bytes: 512 in all */
  assert_int_equal(xmppim_options_add_stream_feature(o, "h", "u:"), XMPPIM_ERR_LIMIT);
  xmppim_options_free(o);
  assert_int_equal(xmppim_options_new(&o), 0);
  memset(ns + 4, '&', 90);
  ns[94] = '\0'; /* 13 + 4 + 90 * "&amp;" = 467 bytes */
  assert_int_equal(xmppim_options_add_stream_feature(o, "f", ns), 0);
  assert_int_equal(xmppim_options_add_stream_feature(o, "g", ns), XMPPIM_ERR_LIMIT);
  xmppim_options_free(o);
  /* the getter */
  assert_int_equal(xmppim_session_peer_has_feature(NULL, "ver", NS_ROSTERVER), 0);
  xmppim_session *s;
  assert_int_equal(xmppim_session_client_new(&s, ACCOUNT, "pw", NULL, NULL, NULL, NULL), 0);
  assert_int_equal(xmppim_session_peer_has_feature(s, NULL, NS_ROSTERVER), 0);
  assert_int_equal(xmppim_session_peer_has_feature(s, "ver", NULL), 0);
  xmppim_session_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(login_each_mechanism_over_tls),
    cmocka_unit_test(client_prefers_strongest),
    cmocka_unit_test(login_without_tls),
    cmocka_unit_test(plain_refused_without_tls),
    cmocka_unit_test(client_requires_tls),
    cmocka_unit_test(wrong_password),
    cmocka_unit_test(unknown_mechanism),
    cmocka_unit_test(aborted_sasl),
    cmocka_unit_test(too_many_failures),
    cmocka_unit_test(incorrect_encoding),
    cmocka_unit_test(binding_with_and_without_resource),
    cmocka_unit_test(resource_conflict),
    cmocka_unit_test(from_is_stamped_and_spoofing_refused),
    cmocka_unit_test(byte_by_byte),
    cmocka_unit_test(backpressure_slow_reader),
    cmocka_unit_test(iq_tracking),
    cmocka_unit_test(every_stream_error),
    cmocka_unit_test(stream_error_with_app_condition),
    cmocka_unit_test(client_reads_every_sasl_failure),
    cmocka_unit_test(server_sends_every_sasl_failure),
    cmocka_unit_test(clean_close),
    cmocka_unit_test(keepalive),
    cmocka_unit_test(callbacks_cannot_reenter),
    cmocka_unit_test(stream_ids_fresh),
    cmocka_unit_test(bad_arguments),
    cmocka_unit_test(informational_features_after_auth_only),
    cmocka_unit_test(client_keeps_features_after_auth_only),
    cmocka_unit_test(stream_features_allocation_failures),
    cmocka_unit_test(stream_feature_arguments),
  };
  return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
