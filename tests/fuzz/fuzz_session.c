/*
 * The session fuzz harness shared by fuzz_session_server.c and
 * fuzz_session_client.c (see fuzz_session.h for the input layout).
 *
 * What is checked, for either role, on every input:
 *  - xmppim_session_feed() returns a count <= len or one of the errors its
 *    contract lists; XMPPIM_ERR_BACKPRESSURE only with the output at the
 *    limit; never XMPPIM_ERR_NOMEM (nothing fails to allocate here);
 *  - after XMPPIM_ERR_STREAM (and any other failure) the output ends with
 *    "</stream:stream>", want_read is 0, the state is CLOSED, and feeding
 *    again consumes nothing;
 *  - want_read is 0 exactly in the states TLS and CLOSED; want_write says
 *    whether output is pending;
 *  - STARTTLS: on_starttls leaves the session in TLS, and feed stops right
 *    after the '>' of <starttls/> or <proceed/>;
 *  - every feed makes progress (bytes consumed, an event, or output);
 *  - after xmppim_session_timeout(now) the next deadline is later than now;
 *  - callbacks: on_closed at most once and only when CLOSED; on_ready with
 *    a full JID of the account; stanzas only on a ready (or closing) stream,
 *    in jabber:client, IQs only get/set with an id, and on a server with
 *    'from' stamped; feed/timeout from inside a callback are refused;
 *  - every IQ sent with xmppim_session_send_iq() is called back exactly once;
 *  - the whole output is well-formed XML, stream by stream, with nothing
 *    after a stream's end tag (fz_check_output());
 *  - once all input is consumed, an empty feed has nothing left to deliver
 *    (session.h does not ask callers to feed empty buffers after a pause);
 *  - no leaks, no memory errors (ASan, UBSan).
 *
 * FZ_TOLERATE (comma-separated) turns off checks known to fail, so that a
 * fuzzing session can look past them; by default every check is on:
 *  held-events:    skip the empty-feed check (and flush with empty feeds);
 *  close-unopened: the host does not close a server stream the session has
 *                  not answered (before its header, or after <success/>);
 *  after-close:    output after the session's own </stream:stream> is
 *                  ignored (the peer stops reading there);
 *  end-then-error: feed may return XMPPIM_ERR_STREAM with no condition when
 *                  bytes follow the peer's </stream:stream>;
 *  closing-delivers: on_stanza may be called in CLOSING on a stream that was
 *                  never ready (closed during negotiation).
 */
#include "fuzz_session.h"

#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml/parser.h"

static int trace; /* FZ_TRACE set: feeds, callbacks and the output on stderr */

static const char *state_name(xmppim_session_state st) {
  static const char *const names[] = {"?", "OPENING", "NEGOTIATING", "TLS", "AUTHENTICATING",
                                      "BINDING", "READY", "CLOSING", "CLOSED"};
  return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

/* FZ_TOLERATE, read once per input (a strstr() in the hot path would feed
 * the knob names to libFuzzer's comparison tracing). */
enum {
  TOL_HELD_EVENTS = 1,
  TOL_CLOSE_UNOPENED = 2,
  TOL_AFTER_CLOSE = 4,
  TOL_END_THEN_ERROR = 8,
  TOL_CLOSING_DELIVERS = 16
};
static unsigned tolerated;

static void read_tolerate(void) {
  static const struct {
    const char *name;
    unsigned bit;
  } knobs[] = {{"held-events", TOL_HELD_EVENTS},
               {"close-unopened", TOL_CLOSE_UNOPENED},
               {"after-close", TOL_AFTER_CLOSE},
               {"end-then-error", TOL_END_THEN_ERROR},
               {"closing-delivers", TOL_CLOSING_DELIVERS}};
  const char *list = getenv("FZ_TOLERATE");
  tolerated = 0;
  for (size_t i = 0; list && i < sizeof(knobs) / sizeof(knobs[0]); i++)
    if (strstr(list, knobs[i].name)) tolerated |= knobs[i].bit;
}

static int tolerate(unsigned what) { return (tolerated & what) != 0; }

/* ------------------------------------------------ deterministic randomness */

/* Replaces GnuTLS's for the whole test binary (see fuzz_session.h): the
 * same bytes on every call. */
int gnutls_rnd(gnutls_rnd_level_t level, void *data, size_t len) {
  (void)level;
  uint64_t state = 0x786d7070696d2e66u;
  unsigned char *p = data;
  uint64_t x = 0;
  for (size_t i = 0; i < len; i++) {
    if (i % 8 == 0) x = fz_rand(&state);
    p[i] = (unsigned char)(x >> (8 * (i % 8)));
  }
  return 0;
}

/* ------------------------------------------------------------- the account */

xmppim_sasl_condition fz_plain_verify(const char *authcid, const char *password, const char *authzid,
                                      void *user_data) {
  (void)authzid;
  (void)user_data;
  if (!authcid || !password) fz_fail("PLAIN verify callback called with NULL");
  return strcmp(authcid, FZ_USER) == 0 && strcmp(password, FZ_PASSWORD) == 0 ? XMPPIM_SASL_COND_NONE
                                                                             : XMPPIM_SASL_COND_NOT_AUTHORIZED;
}

xmppim_sasl_condition fz_scram_lookup(const char *authcid, xmppim_scram_hash hash,
                                      xmppim_scram_credentials *creds, void *user_data) {
  (void)user_data;
  static xmppim_scram_credentials cache[3];
  static int cached[3];
  if (!authcid || !creds) fz_fail("SCRAM lookup callback called with NULL");
  if (hash != XMPPIM_SCRAM_SHA_1 && hash != XMPPIM_SCRAM_SHA_256)
    fz_fail("SCRAM lookup callback called with hash %d", (int)hash);
  if (strcmp(authcid, FZ_USER) != 0) return XMPPIM_SASL_COND_NOT_AUTHORIZED;
  if (!cached[hash]) {
    int rc = xmppim_scram_derive(&cache[hash], hash, FZ_PASSWORD, (const unsigned char *)FZ_SCRAM_SALT,
                                 strlen(FZ_SCRAM_SALT), FZ_SCRAM_ITERATIONS, NULL);
    if (rc != 0) fz_fail("xmppim_scram_derive() returned %d", rc);
    cached[hash] = 1;
  }
  *creds = cache[hash];
  return XMPPIM_SASL_COND_NONE;
}

static xmppim_sasl_condition authorize(const char *authcid, const char *authzid, void *user_data) {
  (void)user_data;
  if (!authcid) fz_fail("authorize callback called without an authcid");
  if (!authzid) return strcmp(authcid, "disabled") == 0 ? XMPPIM_SASL_COND_ACCOUNT_DISABLED : XMPPIM_SASL_COND_NONE;
  /* juliet may act for any account of the domain but admin. */
  size_t n = strlen(authzid), d = strlen("@" FZ_DOMAIN);
  if (strcmp(authcid, FZ_USER) == 0 && n > d && strcmp(authzid + n - d, "@" FZ_DOMAIN) == 0 &&
      strncmp(authzid, "admin@", 6) != 0)
    return XMPPIM_SASL_COND_NONE;
  return XMPPIM_SASL_COND_INVALID_AUTHZID;
}

const xmppim_sasl_channel_binding *fz_binding(unsigned cfg) {
  static const xmppim_sasl_channel_binding exporter = {"tls-exporter", (const unsigned char *)FZ_BINDING_BYTES,
                                                       sizeof(FZ_BINDING_BYTES) - 1};
  static const xmppim_sasl_channel_binding unique = {"tls-unique", (const unsigned char *)FZ_BINDING_BYTES,
                                                     sizeof(FZ_BINDING_BYTES) - 1};
  switch (cfg & FZ_CFG_BINDING_MASK) {
  case 1: return &unique;
  case 2: return NULL;
  default: return &exporter;
  }
}

xmppim_options *fz_options(xmppim_role role, unsigned cfg) {
  xmppim_options *o = NULL;
  int rc = xmppim_options_new(&o);
  if (rc != 0) fz_fail("xmppim_options_new() returned %d", rc);
  int bad = 0;
  if (cfg & FZ_CFG_SMALL_LIMITS) {
    bad |= xmppim_options_set_output_limit(o, 4096);
    bad |= xmppim_options_set_max_stanza_size(o, 10000);
  }
  if (cfg & FZ_CFG_TIMERS) {
    bad |= xmppim_options_set_keepalive(o, 5000);
    bad |= xmppim_options_set_iq_timeout(o, 2000);
    bad |= xmppim_options_set_close_timeout(o, 1000);
  }
  if (cfg & FZ_CFG_NO_SHA256)
    bad |= xmppim_options_set_sasl_mechanisms(
        o, ~((1u << XMPPIM_SASL_MECH_SCRAM_SHA_256) | (1u << XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS)));
  if (role == XMPPIM_ROLE_SERVER) {
    bad |= xmppim_options_set_require_tls(o, (cfg & FZ_CFG_REQUIRE_TLS) != 0);
    if (cfg & FZ_CFG_STRICT) bad |= xmppim_options_set_max_auth_attempts(o, 1);
  } else {
    bad |= xmppim_options_set_require_tls(o, (cfg & FZ_CFG_REQUIRE_TLS) != 0);
    bad |= xmppim_options_set_allow_plain_without_tls(o, 1);
    if (cfg & FZ_CFG_STRICT) bad |= xmppim_options_set_allow_plain(o, 0);
  }
  if (bad) fz_fail("an option setter refused a valid value");
  return o;
}

/* ----------------------------------------------------------------- the host */

static fz_host *host_of(xmppim_session *s, void *user_data) {
  fz_host *h = user_data;
  if (!h) fz_fail("callback without the host's user data");
  if (h->s && s != h->s) fz_fail("callback for a session (%p) that is not the host's (%p)", (void *)s, (void *)h->s);
  if (h->closed) fz_fail("a callback after on_closed");
  h->events++;
  return h;
}

/* Inside a callback the pump functions must refuse (session.h @warning). */
static void check_reentry_refused(xmppim_session *s, fz_host *h, const char *where) {
  long rv = xmppim_session_feed(s, "<", 1);
  if (rv != XMPPIM_ERR_INVALID_STATE) fz_fail("%s: feed from inside a callback returned %ld", where, rv);
  int rc = xmppim_session_timeout(s, h->now);
  if (rc != XMPPIM_ERR_INVALID_STATE) fz_fail("%s: timeout from inside a callback returned %d", where, rc);
  const char *p = NULL;
  size_t n = xmppim_session_output(s, &p);
  if (n != 0) fz_fail("%s: output from inside a callback offered %zu bytes", where, n);
  xmppim_session_consumed(s, 1); /* must be ignored */
  xmppim_session_free(s);        /* must be ignored */
}

static void on_iq_answer(xmppim_session *s, xmppim_stanza *result, void *iq_user_data) {
  struct fz_iq *iq = iq_user_data;
  fz_host *h = host_of(s, iq->host);
  if (iq->calls++ != 0) fz_fail("IQ callback called a second time");
  if (result) {
    const char *type = xmppim_stanza_attr(result, "type");
    if (strcmp(xmppim_stanza_name(result), "iq") != 0 || !type ||
        (strcmp(type, "result") != 0 && strcmp(type, "error") != 0))
      fz_fail("IQ callback given a <%s type='%s'/> as the answer", xmppim_stanza_name(result), type ? type : "");
  }
  (void)h;
}

/* Sends an IQ get through the tracker; returns its result. */
static int send_tracked_iq(fz_host *h, const char *child, const char *ns) {
  if (h->iqs_sent == FZ_MAX_IQS) return 0;
  xmppim_stanza *iq = NULL, *c = NULL;
  int rc = xmppim_stanza_new(&iq, NULL, "iq", "jabber:client");
  if (rc == 0) rc = xmppim_stanza_set_attr(iq, "type", "get");
  if (rc == 0) rc = xmppim_stanza_add_child(iq, child, ns, &c);
  if (rc != 0) fz_fail("building an IQ failed: %d", rc);
  struct fz_iq *slot = &h->iqs[h->iqs_sent];
  slot->host = h;
  slot->calls = 0;
  rc = xmppim_session_send_iq(h->s, iq, on_iq_answer, slot);
  if (rc == 0) {
    const char *id = xmppim_stanza_attr(iq, "id");
    if (!id || !*id) fz_fail("xmppim_session_send_iq() set no id");
    h->iqs_sent++;
  } else if (rc != XMPPIM_ERR_BACKPRESSURE && rc != XMPPIM_ERR_INVALID_STATE && rc != XMPPIM_ERR_LIMIT) {
    fz_fail("xmppim_session_send_iq() returned %d", rc);
  }
  xmppim_stanza_free(iq);
  return rc;
}

static void check_send_result(int rc, const char *what) {
  if (rc != 0 && rc != XMPPIM_ERR_BACKPRESSURE && rc != XMPPIM_ERR_INVALID_STATE)
    fz_fail("xmppim_session_send(%s) returned %d", what, rc);
}

/* An IQ result to request, with an optional empty payload child. */
static int answer_iq(fz_host *h, const xmppim_stanza *request, const char *child, const char *ns) {
  xmppim_stanza *r = NULL;
  int rc = xmppim_stanza_new(&r, NULL, "iq", "jabber:client");
  if (rc == 0) rc = xmppim_stanza_set_attr(r, "type", "result");
  if (rc == 0) rc = xmppim_stanza_set_attr(r, "id", xmppim_stanza_attr(request, "id"));
  if (rc == 0 && xmppim_stanza_attr(request, "from"))
    rc = xmppim_stanza_set_attr(r, "to", xmppim_stanza_attr(request, "from"));
  if (rc == 0 && child) rc = xmppim_stanza_add_child(r, child, ns, NULL);
  if (rc != 0) fz_fail("building an IQ result failed: %d", rc);
  rc = xmppim_session_send(h->s, r);
  check_send_result(rc, "iq result");
  xmppim_stanza_free(r);
  return rc;
}

/* Takes the stanza being delivered and sends it back as the answer. */
static int answer_with_taken(fz_host *h, xmppim_stanza *st) {
  xmppim_stanza *t = xmppim_session_take_stanza(h->s);
  if (t != st) fz_fail("xmppim_session_take_stanza() returned %p, not the stanza being delivered %p", (void *)t,
                       (void *)st);
  if (xmppim_session_take_stanza(h->s) != NULL) fz_fail("a stanza was taken twice");
  char *from = NULL;
  if (xmppim_stanza_attr(t, "from")) {
    from = strdup(xmppim_stanza_attr(t, "from"));
    if (!from) fz_fail("harness out of memory");
  }
  int rc = xmppim_stanza_set_attr(t, "type", "result");
  if (rc == 0) rc = xmppim_stanza_set_attr(t, "from", NULL);
  if (rc == 0) rc = xmppim_stanza_set_attr(t, "to", from);
  free(from);
  if (rc != 0) fz_fail("editing a taken stanza failed: %d", rc);
  rc = xmppim_session_send(h->s, t);
  check_send_result(rc, "taken stanza");
  xmppim_stanza_free(t);
  return rc;
}

static int on_message(fz_host *h, xmppim_stanza *st) {
  xmppim_stanza *body = xmppim_stanza_find_child(st, "body", "jabber:client");
  const char *text = body ? xmppim_stanza_text(body) : "";
  int rc;
  if (strcmp(text, "close") == 0) {
    rc = xmppim_session_close(h->s);
    if (rc != 0 && rc != XMPPIM_ERR_INVALID_STATE) fz_fail("xmppim_session_close() in on_stanza returned %d", rc);
  } else if (strcmp(text, "error") == 0) {
    rc = xmppim_session_stream_error(h->s, XMPPIM_STREAM_POLICY_VIOLATION, "the host says no <&>");
    if (rc != 0 && rc != XMPPIM_ERR_INVALID_STATE)
      fz_fail("xmppim_session_stream_error() in on_stanza returned %d", rc);
  } else if (strcmp(text, "error-app") == 0 || strcmp(text, "redirect") == 0) {
    xmppim_stanza *app = NULL;
    if (xmppim_stanza_new(&app, NULL, "too-many-hats", "urn:example:hats") != 0) fz_fail("harness out of memory");
    rc = text[0] == 'r' ? xmppim_session_stream_error(h->s, XMPPIM_STREAM_SEE_OTHER_HOST, "[2001:db8::1]:5222")
                        : xmppim_session_stream_error_app(h->s, XMPPIM_STREAM_UNDEFINED_CONDITION, NULL, app);
    xmppim_stanza_free(app);
    if (rc != 0 && rc != XMPPIM_ERR_INVALID_STATE) fz_fail("a stream error in on_stanza returned %d", rc);
  } else if (strcmp(text, "fail") == 0) {
    h->callback_failed = 1;
    return XMPPIM_ERR_INTERNAL;
  } else if (strcmp(text, "ping") == 0) {
    send_tracked_iq(h, "ping", "urn:xmpp:ping");
  } else if (strcmp(text, "echo") == 0) {
    /* An answer goes back to the sender, its body no longer a command. */
    xmppim_stanza *m = NULL, *b = NULL;
    if (xmppim_stanza_new(&m, NULL, "message", "jabber:client") != 0 ||
        xmppim_stanza_set_attr(m, "to", xmppim_stanza_attr(st, "from")) != 0 ||
        xmppim_stanza_set_attr(m, "type", xmppim_stanza_attr(st, "type")) != 0 ||
        xmppim_stanza_add_child(m, "body", NULL, &b) != 0 || xmppim_stanza_add_text(b, "(echoed)", 8) != 0)
      fz_fail("building an answer failed");
    check_send_result(xmppim_session_send(h->s, m), "echo");
    xmppim_stanza_free(m);
  } else if (strcmp(text, "take") == 0) {
    xmppim_stanza *t = xmppim_session_take_stanza(h->s);
    if (t != st) fz_fail("xmppim_session_take_stanza() did not return the message being delivered");
    xmppim_stanza_free(t);
  }
  return 0;
}

static int on_stanza(xmppim_session *s, xmppim_stanza *st, void *user_data) {
  fz_host *h = host_of(s, user_data);
  h->stanzas++;
  if (!st) fz_fail("on_stanza with a NULL stanza");
  if (trace) fprintf(stderr, "  on_stanza <%s type='%s'> in state %s\n", xmppim_stanza_name(st),
                     xmppim_stanza_attr(st, "type") ? xmppim_stanza_attr(st, "type") : "",
                     state_name(xmppim_session_state_get(s)));
  xmppim_session_state state = xmppim_session_state_get(s);
  if (state != XMPPIM_STATE_READY && state != XMPPIM_STATE_CLOSING)
    fz_fail("on_stanza in state %d", (int)state);
  if (!h->ready && !(state == XMPPIM_STATE_CLOSING && tolerate(TOL_CLOSING_DELIVERS)))
    fz_fail("on_stanza in state %s, but the stream was never ready", state == XMPPIM_STATE_CLOSING ? "CLOSING" : "?");
  const char *name = xmppim_stanza_name(st), *ns = xmppim_stanza_ns(st);
  if (!ns || strcmp(ns, "jabber:client") != 0 ||
      (strcmp(name, "message") != 0 && strcmp(name, "presence") != 0 && strcmp(name, "iq") != 0))
    fz_fail("on_stanza with {%s}%s", ns ? ns : "", name);
  fz_check_tree(st, 0, 0);
  check_reentry_refused(s, h, "on_stanza");

  const char *type = xmppim_stanza_attr(st, "type");
  const char *from = xmppim_stanza_attr(st, "from");
  if (h->role == XMPPIM_ROLE_SERVER && h->ready) {
    const xmppim_jid *me = xmppim_session_jid(s);
    if (!me) fz_fail("server on_stanza without a bound JID");
    if (!from || (strcmp(from, xmppim_jid_to_string(me)) != 0 && strcmp(from, xmppim_jid_bare_string(me)) != 0))
      fz_fail("server delivered a stanza from '%s', not stamped with %s", from ? from : "(none)",
              xmppim_jid_to_string(me));
  }

  int rv = 0;
  if (strcmp(name, "iq") == 0) {
    if (!type || (strcmp(type, "get") != 0 && strcmp(type, "set") != 0) || !xmppim_stanza_attr(st, "id"))
      fz_fail("on_stanza given an IQ of type '%s' with id '%s'", type ? type : "(none)",
              xmppim_stanza_attr(st, "id") ? xmppim_stanza_attr(st, "id") : "(none)");
    xmppim_stanza *payload = xmppim_stanza_first_child(st);
    const char *pns = payload ? xmppim_stanza_ns(payload) : NULL;
    if (payload && pns && strcmp(pns, "urn:xmpp:ping") == 0) {
      answer_iq(h, st, NULL, NULL);
    } else if (payload && pns && strcmp(pns, "jabber:iq:roster") == 0 && strcmp(type, "get") == 0) {
      if (answer_iq(h, st, "query", "jabber:iq:roster") != 0) rv = XMPPIM_STANZA_UNHANDLED;
    } else if (payload && pns && strcmp(pns, "jabber:iq:version") == 0 && strcmp(type, "get") == 0) {
      answer_with_taken(h, st);
    } else {
      rv = XMPPIM_STANZA_UNHANDLED;
    }
  } else if (strcmp(name, "message") == 0) {
    rv = on_message(h, st);
  }
  /* Pausing is only a matter of pace: the stanza was handled. */
  if (rv == 0 && (fz_rand(&h->rng) % ((h->cfg & FZ_CFG_ERRATIC) ? 2 : 8)) == 0) rv = XMPPIM_ERR_PAUSE;
  return rv;
}

static void on_ready(xmppim_session *s, const xmppim_jid *jid, void *user_data) {
  fz_host *h = host_of(s, user_data);
  if (h->ready++) fz_fail("on_ready called twice");
  if (xmppim_session_state_get(s) != XMPPIM_STATE_READY) fz_fail("on_ready in state %d", (int)xmppim_session_state_get(s));
  if (!jid || !xmppim_jid_resource(jid) || !xmppim_jid_local(jid)) fz_fail("on_ready without a full JID");
  if (xmppim_session_jid(s) != jid) fz_fail("on_ready's JID is not xmppim_session_jid()");
  if (h->role == XMPPIM_ROLE_CLIENT && strcmp(xmppim_jid_bare_string(jid), FZ_BARE_JID) != 0)
    fz_fail("client ready as %s", xmppim_jid_to_string(jid));
  if (h->role == XMPPIM_ROLE_SERVER && strcmp(xmppim_jid_bare_string(jid), FZ_BARE_JID) != 0 &&
      !(h->cfg & FZ_CFG_STRICT))
    fz_fail("server bound %s without an authorize callback", xmppim_jid_to_string(jid));
  if (xmppim_session_mechanism(s) == XMPPIM_SASL_MECH_UNKNOWN) fz_fail("ready without a SASL mechanism");
  check_reentry_refused(s, h, "on_ready");
  /* What a host does first: the client asks for its roster and says it is
   * there; the server pings the client. */
  if (h->role == XMPPIM_ROLE_CLIENT) {
    send_tracked_iq(h, "query", "jabber:iq:roster");
    xmppim_stanza *p = NULL;
    if (xmppim_stanza_new(&p, NULL, "presence", "jabber:client") != 0) fz_fail("harness out of memory");
    check_send_result(xmppim_session_send(s, p), "presence");
    xmppim_stanza_free(p);
  } else {
    send_tracked_iq(h, "ping", "urn:xmpp:ping");
  }
}

static void on_starttls(xmppim_session *s, void *user_data) {
  fz_host *h = host_of(s, user_data);
  if (h->starttls) fz_fail("on_starttls twice without a handshake");
  if (xmppim_session_state_get(s) != XMPPIM_STATE_TLS) fz_fail("on_starttls in state %d", (int)xmppim_session_state_get(s));
  if (xmppim_session_is_secure(s)) fz_fail("on_starttls on a stream that is already secure");
  h->starttls = 1;
  h->starttls_count++;
}

static void on_stream_error(xmppim_session *s, xmppim_stream_condition cond, const char *text, void *user_data) {
  fz_host *h = host_of(s, user_data);
  if (!xmppim_stream_condition_name(cond)) fz_fail("on_stream_error with condition %d", (int)cond);
  if (text) (void)strlen(text);
  const xmppim_stanza *app = xmppim_session_error_app_condition(s);
  if (app) fz_check_tree(app, 0, 0);
  h->peer_error++;
}

static void on_closed(xmppim_session *s, xmppim_stream_condition cond, void *user_data) {
  if (user_data && ((fz_host *)user_data)->closed) fz_fail("on_closed called twice");
  fz_host *h = host_of(s, user_data);
  h->closed++;
  if (xmppim_session_state_get(s) != XMPPIM_STATE_CLOSED) fz_fail("on_closed in state %d", (int)xmppim_session_state_get(s));
  h->closed_condition = cond;
  h->peer_ended = cond == XMPPIM_STREAM_OK;
}

static void on_auth_failed(xmppim_session *s, xmppim_sasl_condition cond, const char *text, void *user_data) {
  fz_host *h = host_of(s, user_data);
  if (h->role != XMPPIM_ROLE_CLIENT) fz_fail("on_auth_failed on a server");
  if (!xmppim_sasl_condition_name(cond)) fz_fail("on_auth_failed with condition %d", (int)cond);
  if (text) (void)strlen(text);
  h->auth_failed++;
}

static void on_log(xmppim_session *s, xmppim_log_level level, const char *message, void *user_data) {
  (void)s;
  (void)user_data;
  if (level < XMPPIM_LOG_ERROR || level > XMPPIM_LOG_DEBUG || !message) fz_fail("on_log(%d, %p)", (int)level, (const void *)message);
  if (trace) fprintf(stderr, "  log %d: %s\n", (int)level, message);
}

static xmppim_bind_decision on_bind(xmppim_session *s, const xmppim_jid *full, void *user_data) {
  fz_host *h = host_of(s, user_data);
  (void)h;
  if (!full || !xmppim_jid_resource(full)) fz_fail("on_bind without a full JID");
  const char *r = xmppim_jid_resource(full);
  if (strcmp(r, "conflict") == 0) return XMPPIM_BIND_CONFLICT;
  if (strcmp(r, "full") == 0) return XMPPIM_BIND_RESOURCE_CONSTRAINT;
  if (strcmp(r, "deny") == 0) return XMPPIM_BIND_NOT_ALLOWED;
  return XMPPIM_BIND_ACCEPT;
}

xmppim_callbacks *fz_callbacks(xmppim_role role, unsigned cfg) {
  xmppim_callbacks *cb = NULL;
  int rc = xmppim_callbacks_new(&cb);
  if (rc != 0) fz_fail("xmppim_callbacks_new() returned %d", rc);
  xmppim_callbacks_set_on_stanza(cb, on_stanza);
  xmppim_callbacks_set_on_ready(cb, on_ready);
  xmppim_callbacks_set_on_starttls(cb, on_starttls);
  xmppim_callbacks_set_on_stream_error(cb, on_stream_error);
  xmppim_callbacks_set_on_closed(cb, on_closed);
  xmppim_callbacks_set_on_auth_failed(cb, on_auth_failed);
  xmppim_callbacks_set_on_log(cb, on_log);
  if (role == XMPPIM_ROLE_SERVER) {
    xmppim_callbacks_set_sasl_plain(cb, fz_plain_verify);
    xmppim_callbacks_set_sasl_scram(cb, fz_scram_lookup);
    if (cfg & FZ_CFG_STRICT) xmppim_callbacks_set_sasl_authorize(cb, authorize);
    xmppim_callbacks_set_on_bind(cb, on_bind);
  }
  return cb;
}

/* ------------------------------------------------------------------- input */

uint64_t fz_parse_input(const uint8_t **data, size_t *size, unsigned *cfg, const uint8_t **sizes,
                        size_t *nsizes) {
  const uint8_t *d = *data;
  size_t n = *size;
  *sizes = NULL;
  *nsizes = 0;
  if (n > 0 && d[0] >= 0x01 && d[0] <= 0x08) {
    size_t k = d[0];
    if (k > n - 1) k = n - 1;
    *cfg = k >= 1 ? d[1] : 0;
    if (k >= 2) {
      *sizes = d + 2;
      *nsizes = k - 1;
    }
    *data = d + 1 + k;
    *size = n - 1 - k;
    return fz_hash(d, n);
  }
  uint64_t seed = fz_hash(d, n);
  uint64_t r = seed;
  *cfg = (unsigned)fz_rand(&r) & FZ_CFG_NEUTRAL;
  return seed;
}

/* ------------------------------------------------------------------ output */

void fz_drain_all(xmppim_session *s, fz_buf *out) {
  const char *p = NULL;
  size_t n;
  while ((n = xmppim_session_output(s, &p)) > 0) {
    if (out) fz_buf_add(out, p, n);
    xmppim_session_consumed(s, n);
  }
}

typedef struct out_checker {
  const char *who;
  int server;    /* checking a server's output */
  xmppim_parser *parser;
  size_t stanzas;
  int ended;
  int restarted; /* reset after <proceed/> or <success/> */
} out_checker;

static int chk_header(void *ud, const xmppim_stream_header *h) {
  out_checker *c = ud;
  if (!h->default_ns || strcmp(h->default_ns, "jabber:client") != 0)
    fz_fail("%s: its stream header declares '%s' as the content namespace", c->who,
            h->default_ns ? h->default_ns : "(none)");
  /* 1.0, or none at all for a peer that sent none (C4.7.5-d). */
  if (h->version && strcmp(h->version, "1.0") != 0) fz_fail("%s: its stream header has version '%s'", c->who, h->version);
  return 0;
}

static int is_el(const xmppim_stanza *st, const char *name, const char *ns) {
  const char *e_ns = xmppim_stanza_ns(st);
  return strcmp(xmppim_stanza_name(st), name) == 0 && e_ns && strcmp(e_ns, ns) == 0;
}

static int chk_stanza(void *ud, xmppim_stanza *st) {
  out_checker *c = ud;
  if (c->ended) fz_fail("%s: a stanza after the stream's end", c->who);
  fz_check_tree(st, 0, 0);
  c->stanzas++;
  /* The client starts a new stream right after these (RFC 6120 4.3.3):
   * it resets its parser, so must we. */
  if (c->server && (is_el(st, "proceed", "urn:ietf:params:xml:ns:xmpp-tls") ||
                    is_el(st, "success", "urn:ietf:params:xml:ns:xmpp-sasl"))) {
    xmppim_parser_reset(c->parser);
    c->restarted = 1;
  }
  return 0;
}

static int chk_ws(void *ud, size_t len) {
  (void)ud;
  (void)len;
  return 0;
}

static int chk_end(void *ud) {
  out_checker *c = ud;
  c->ended = 1;
  return 0;
}

#define XML_DECL "<?xml version='1.0'?>"

size_t fz_check_output(const char *data, size_t len, int closed, xmppim_role role) {
  const char *who = role == XMPPIM_ROLE_SERVER ? "server" : "client";
  out_checker c = {who, role == XMPPIM_ROLE_SERVER, NULL, 0, 0, 0};
  static const xmppim_parser_callbacks cbs = {chk_header, chk_stanza, chk_ws, chk_end};
  xmppim_parser_limits limits;
  xmppim_parser_limits_default(&limits);
  limits.max_stanza_bytes = (size_t)1 << 30;
  limits.max_depth = 250;
  limits.max_attributes = 1000;
  int rc = xmppim_parser_new(&c.parser, &cbs, &c, &limits, NULL);
  if (rc != 0) fz_fail("xmppim_parser_new() returned %d", rc);
  size_t decl = strlen(XML_DECL);
  if (len && (len < decl || memcmp(data, XML_DECL, decl) != 0))
    fz_fail("%s: its output does not begin with a stream header: %.*s", who, (int)(len < 80 ? len : 80), data);
  static const char close_tag[] = "</stream:stream>";
  size_t close_len = sizeof(close_tag) - 1;
  if (tolerate(TOL_AFTER_CLOSE)) {
    /* Escaping keeps the end tag out of any content: the first one is ours. */
    for (size_t i = 0; i + close_len <= len; i++)
      if (memcmp(data + i, close_tag, close_len) == 0) {
        len = i + close_len;
        break;
      }
  }
  size_t off = 0;
  while (off < len) {
    /* This stream runs to the next XML declaration. */
    size_t end = off + decl;
    while (end < len && !(data[end] == '<' && len - end >= decl && memcmp(data + end, XML_DECL, decl) == 0)) end++;
    if (c.ended)
      fz_fail("%s: output after the stream's end tag: %.*s", who, (int)(end - off < 200 ? end - off : 200),
              data + off);
    xmppim_parser_reset(c.parser);
    c.restarted = 0;
    while (off < end) {
      long n = xmppim_parser_feed(c.parser, data + off, end - off);
      if (n < 0 || (n == 0 && !c.restarted)) {
        /* Show where: the stream so far, up to 400 bytes before the fault. */
        size_t from = end - off > 400 ? end - 400 : off;
        fz_fail("%s: output is not a well-formed stream (feed %ld, %s: %s)\n...%.*s", who, n,
                xmppim_stream_condition_name(xmppim_parser_condition(c.parser))
                    ? xmppim_stream_condition_name(xmppim_parser_condition(c.parser))
                    : "-",
                xmppim_parser_error_text(c.parser) ? xmppim_parser_error_text(c.parser) : "",
                (int)(end - from), data + from);
      }
      off += (size_t)n;
      if (c.restarted && off < end)
        fz_fail("%s: after <proceed/> or <success/> its output goes on without a new stream header: %.*s", who,
                (int)(end - off < 200 ? end - off : 200), data + off);
    }
  }
  if (closed && len && !c.ended)
    fz_fail("%s: closed, but its output does not end its stream: ...%.*s", who, (int)(len < 200 ? len : 200),
            data + (len < 200 ? 0 : len - 200));
  xmppim_parser_free(c.parser);
  return c.stanzas;
}

/* ------------------------------------------------------------------ driver */

static int ends_with_close(const fz_buf *b) {
  static const char tag[] = "</stream:stream>";
  size_t n = sizeof(tag) - 1;
  if (tolerate(TOL_AFTER_CLOSE)) {
    for (size_t i = 0; i + n <= b->len; i++)
      if (memcmp(b->data + i, tag, n) == 0) return 1;
    return 0;
  }
  return b->len >= n && memcmp(b->data + b->len - n, tag, n) == 0;
}

/* The states and want_read/want_write agree. */
static void check_wants(fz_host *h, const char *where) {
  xmppim_session_state st = xmppim_session_state_get(h->s);
  int wr = xmppim_session_want_read(h->s);
  if (wr != (st != XMPPIM_STATE_TLS && st != XMPPIM_STATE_CLOSED))
    fz_fail("%s: want_read is %d in state %s", where, wr, state_name(st));
  const char *p = NULL;
  size_t pending = xmppim_session_output(h->s, &p);
  if ((xmppim_session_want_write(h->s) != 0) != (pending > 0))
    fz_fail("%s: want_write is %d with %zu bytes pending", where, xmppim_session_want_write(h->s), pending);
  if (h->closed && st != XMPPIM_STATE_CLOSED) fz_fail("%s: on_closed was called, but the state is %s", where, state_name(st));
  if (st == XMPPIM_STATE_CLOSED && !h->closed) fz_fail("%s: CLOSED without on_closed", where);
}

/* Drains the output in one of several patterns. */
static void drain_some(fz_host *h) {
  const char *p = NULL;
  size_t n = xmppim_session_output(h->s, &p);
  if (n == 0) return;
  switch (fz_rand(&h->rng) % 8) {
  case 0:
  case 1: /* a writer that is blocked for now */
    return;
  case 2: { /* one byte per write */
    for (size_t i = 0; i < 2048; i++) {
      n = xmppim_session_output(h->s, &p);
      if (!n) break;
      fz_buf_add(&h->out, p, 1);
      xmppim_session_consumed(h->s, 1);
    }
    return;
  }
  case 3:
  case 4: { /* a short write */
    size_t k = 1 + (size_t)(fz_rand(&h->rng) % n);
    fz_buf_add(&h->out, p, k);
    xmppim_session_consumed(h->s, k);
    return;
  }
  default:
    fz_drain_all(h->s, &h->out);
  }
}

static void tick(fz_host *h) {
  uint64_t r = fz_rand(&h->rng);
  uint64_t step;
  unsigned k = (unsigned)(r % 32);
  if (k < 16) return;
  if (k < 28)
    step = 1 + (r >> 8) % 1000;
  else if (k < 31)
    step = 1000 + (r >> 8) % 9000;
  else
    step = 10000 + (r >> 8) % 90000;
  h->now += step;
  int rc = xmppim_session_timeout(h->s, h->now);
  if (rc != 0) fz_fail("xmppim_session_timeout(%llu) returned %d", (unsigned long long)h->now, rc);
  uint64_t next = xmppim_session_next_deadline(h->s);
  if (next <= h->now)
    fz_fail("after xmppim_session_timeout(%llu) the next deadline is %llu, not later", (unsigned long long)h->now,
            (unsigned long long)next);
  check_wants(h, "after timeout");
}

/* The host closes the stream (shutting down, or done). */
static void host_close(fz_host *h, const char *where) {
  xmppim_session_state st = xmppim_session_state_get(h->s);
  if (st == XMPPIM_STATE_CLOSED) return;
  if (trace) fprintf(stderr, "host closes (%s) in state %s\n", where, state_name(st));
  fz_drain_all(h->s, &h->out);
  if (st == XMPPIM_STATE_TLS) {
    /* No XML inside the handshake (C5.4.3.1-a): the connection is dropped. */
    size_t before = h->out.len;
    int rc = xmppim_session_close(h->s);
    fz_drain_all(h->s, &h->out);
    if (rc != 0 || xmppim_session_state_get(h->s) != XMPPIM_STATE_CLOSED || h->out.len != before)
      fz_fail("xmppim_session_close() during the TLS handshake returned %d, state %s, %zu bytes written", rc,
              state_name(xmppim_session_state_get(h->s)), h->out.len - before);
    h->starttls = 0;
    h->dropped = 1;
    check_wants(h, "after close");
    return;
  }
  /* A server that has not answered the current stream's header (none yet,
   * or a restart after <success/>) has no stream to close. */
  if (h->role == XMPPIM_ROLE_SERVER && st == XMPPIM_STATE_OPENING && !xmppim_session_stream_id(h->s)) {
    /* The session drops such a connection without writing anything. */
    size_t before = h->out.len;
    int rc = xmppim_session_close(h->s);
    fz_drain_all(h->s, &h->out);
    if (rc != 0 || xmppim_session_state_get(h->s) != XMPPIM_STATE_CLOSED || h->out.len != before)
      fz_fail("xmppim_session_close() of an unanswered stream returned %d, state %s, %zu bytes written", rc,
              state_name(xmppim_session_state_get(h->s)), h->out.len - before);
    h->dropped = 1;
    return;
  }
  int rc = xmppim_session_close(h->s);
  if (rc != 0 && !(rc == XMPPIM_ERR_INVALID_STATE && st == XMPPIM_STATE_CLOSING))
    fz_fail("xmppim_session_close() %s in state %s returned %d", where, state_name(st), rc);
  fz_drain_all(h->s, &h->out);
  if (!ends_with_close(&h->out)) fz_fail("xmppim_session_close() did not end the output with </stream:stream>");
  check_wants(h, "after close");
}

/* The TLS stand-in: the handshake succeeds at once. */
static void handshake(fz_host *h) {
  h->starttls = 0;
  int rc = xmppim_session_tls_established(h->s, h->binding);
  if (rc != 0) fz_fail("xmppim_session_tls_established() after on_starttls returned %d", rc);
  if (!xmppim_session_is_secure(h->s)) fz_fail("not secure after xmppim_session_tls_established()");
  if (xmppim_session_state_get(h->s) != XMPPIM_STATE_OPENING)
    fz_fail("state %s after the TLS handshake", state_name(xmppim_session_state_get(h->s)));
  check_wants(h, "after tls_established");
}

/* After a failed feed: the stream is over, and says so. */
static void check_failed(fz_host *h, long rv) {
  fz_drain_all(h->s, &h->out);
  if (xmppim_session_want_read(h->s)) fz_fail("want_read is 1 after feed returned %ld (%s)", rv, xmppim_strerror((int)rv));
  if (xmppim_session_state_get(h->s) != XMPPIM_STATE_CLOSED)
    fz_fail("state %s after feed returned %ld", state_name(xmppim_session_state_get(h->s)), rv);
  if (!ends_with_close(&h->out))
    fz_fail("after feed returned %ld (%s) the output does not end with </stream:stream>: ...%.*s", rv,
            xmppim_strerror((int)rv), (int)(h->out.len < 200 ? h->out.len : 200),
            h->out.data ? h->out.data + (h->out.len < 200 ? 0 : h->out.len - 200) : "");
  if (rv == XMPPIM_ERR_STREAM && xmppim_session_error(h->s, NULL) == XMPPIM_STREAM_OK &&
      !(h->peer_ended && tolerate(TOL_END_THEN_ERROR)))
    fz_fail("XMPPIM_ERR_STREAM without a condition in xmppim_session_error()%s",
            h->peer_ended ? " (bytes after the peer's </stream:stream>)" : "");
  const char *text = NULL;
  (void)xmppim_session_error(h->s, &text);
  if (!text) fz_fail("xmppim_session_error() gave a NULL text");
  /* Stays failed, consumes nothing. */
  long again = xmppim_session_feed(h->s, "<a/>", 4);
  if (again >= 0) fz_fail("feed after a failure (%ld) returned %ld", rv, again);
  if (xmppim_session_output(h->s, &text) != 0) fz_fail("feed after a failure produced output");
  check_wants(h, "after a failure");
}

static uint64_t progress_mark(fz_host *h) {
  const char *p = NULL;
  return h->events + h->out.len + xmppim_session_output(h->s, &p) + (uint64_t)xmppim_session_state_get(h->s);
}

/* Chunk sizes as in fuzz_stream_parser.c. */
typedef struct chunker {
  const uint8_t *sizes;
  size_t nsizes, i;
  unsigned mode;
} chunker;

static size_t next_chunk(chunker *c, fz_host *h, size_t left) {
  static const size_t mode_max[4] = {4, 32, 512, 8192};
  size_t n;
  if (c->nsizes) {
    n = (size_t)c->sizes[c->i++ % c->nsizes] + 1;
  } else {
    uint64_t x = fz_rand(&h->rng);
    n = (x & 0x700) == 0 ? 1 : 1 + (size_t)(x % mode_max[c->mode]);
  }
  return n < left ? n : left;
}

/* Feeds everything; returns 0 when all was fed, else the failing feed result. */
static long feed_input(fz_host *h, const uint8_t *data, size_t size, chunker *ck) {
  size_t off = 0;
  unsigned stalls = 0;
  size_t want = 0; /* bytes of the current chunk still to feed */
  while (off < size) {
    check_wants(h, "before feed");
    if (h->starttls) {
      fz_drain_all(h->s, &h->out); /* <proceed/> goes out before the handshake */
      handshake(h);
      continue;
    }
    if (!xmppim_session_want_read(h->s)) return 0; /* closed: the rest is not read */
    if (want == 0) want = next_chunk(ck, h, size - off);
    uint64_t mark = progress_mark(h);
    long rv = xmppim_session_feed(h->s, data + off, want);
    if (trace)
      fprintf(stderr, "feed %zu bytes at %zu -> %ld, state %s\n", want, off, rv,
              state_name(xmppim_session_state_get(h->s)));
    if (rv == XMPPIM_ERR_BACKPRESSURE) {
      const char *p = NULL;
      size_t pending = xmppim_session_output(h->s, &p);
      size_t limit = (h->cfg & FZ_CFG_SMALL_LIMITS) ? 4096 : 1024 * 1024;
      if (pending < limit) fz_fail("XMPPIM_ERR_BACKPRESSURE with only %zu bytes pending", pending);
      fz_drain_all(h->s, &h->out);
      rv = xmppim_session_feed(h->s, data + off, want);
      if (trace) fprintf(stderr, "feed again after draining -> %ld\n", rv);
      if (rv == XMPPIM_ERR_BACKPRESSURE) fz_fail("XMPPIM_ERR_BACKPRESSURE with the output drained");
    }
    if (rv < 0) {
      if (rv == XMPPIM_ERR_CALLBACK_FAILURE && !h->callback_failed)
        fz_fail("XMPPIM_ERR_CALLBACK_FAILURE, but no callback failed");
      if (rv != XMPPIM_ERR_STREAM && rv != XMPPIM_ERR_CALLBACK_FAILURE)
        fz_fail("feed returned %ld (%s)", rv, xmppim_strerror((int)rv));
      check_failed(h, rv);
      return rv;
    }
    if ((size_t)rv > want) fz_fail("feed of %zu bytes reported %ld consumed", want, rv);
    if (h->starttls) {
      /* STARTTLS: TLS starts right after this element's '>'. */
      if (rv == 0 || data[off + (size_t)rv - 1] != '>')
        fz_fail("on_starttls fired, but feed stopped at byte %zu (byte before: 0x%02x)", off + (size_t)rv,
                rv ? data[off + (size_t)rv - 1] : 0);
      if (xmppim_session_want_read(h->s)) fz_fail("want_read is 1 while TLS is being negotiated");
    }
    if (rv == 0 && progress_mark(h) == mark) {
      if (++stalls > 8) fz_fail("feed makes no progress at byte %zu (state %s)", off, state_name(xmppim_session_state_get(h->s)));
    } else {
      stalls = 0;
    }
    off += (size_t)rv;
    want -= (size_t)rv;
    drain_some(h);
    tick(h);
    /* An erratic host may shut the stream down at any point. */
    if ((h->cfg & FZ_CFG_ERRATIC) && fz_rand(&h->rng) % 512 == 0) host_close(h, "between feeds");
  }
  return 0;
}

void fz_session_run(xmppim_role role, const uint8_t *data, size_t size) {
  trace = getenv("FZ_TRACE") != NULL;
  read_tolerate();
  unsigned cfg = 0;
  const uint8_t *sizes = NULL;
  size_t nsizes = 0;
  uint64_t seed = fz_parse_input(&data, &size, &cfg, &sizes, &nsizes);

  fz_host *h = calloc(1, sizeof(*h));
  if (!h) fz_fail("harness out of memory");
  h->role = role;
  h->cfg = cfg;
  h->rng = seed;
  h->now = 1000;
  h->binding = fz_binding(cfg);

  xmppim_options *opt = fz_options(role, cfg);
  xmppim_callbacks *cb = fz_callbacks(role, cfg);
  int rc = role == XMPPIM_ROLE_SERVER ? xmppim_session_server_new(&h->s, FZ_DOMAIN, cb, h, opt, NULL)
                                      : xmppim_session_client_new(&h->s, FZ_CLIENT_JID, FZ_PASSWORD, cb, h, opt, NULL);
  xmppim_callbacks_free(cb);
  xmppim_options_free(opt);
  if (rc != 0) fz_fail("creating the session returned %d", rc);
  if (xmppim_session_role(h->s) != role) fz_fail("xmppim_session_role() is not the role created");
  rc = xmppim_session_timeout(h->s, h->now);
  if (rc != 0) fz_fail("xmppim_session_timeout() returned %d", rc);
  if ((cfg & FZ_CFG_BINDING_MASK) == 3) {
    /* Direct TLS: the connection was TLS from its first byte. */
    rc = xmppim_session_tls_established(h->s, h->binding);
    if (rc != 0) fz_fail("xmppim_session_tls_established() for direct TLS returned %d", rc);
    if (!xmppim_session_is_secure(h->s)) fz_fail("not secure after direct TLS");
  }
  if (role == XMPPIM_ROLE_CLIENT && !xmppim_session_want_write(h->s)) fz_fail("a new client has no header to send");

  chunker ck = {sizes, nsizes, 0, (unsigned)(seed % 4)};
  long rv = feed_input(h, data, size, &ck);

  if (rv == 0 && h->starttls) {
    fz_drain_all(h->s, &h->out);
    handshake(h);
  }
  /* All bytes in; the peer waits for us now. */
  fz_drain_all(h->s, &h->out);
  if (rv == 0 && xmppim_session_want_read(h->s)) {
    uint64_t mark = progress_mark(h);
    long e = xmppim_session_feed(h->s, NULL, 0);
    if (e < 0 && e != XMPPIM_ERR_STREAM && e != XMPPIM_ERR_CALLBACK_FAILURE)
      fz_fail("an empty feed returned %ld", e);
    if (e > 0) fz_fail("an empty feed reported %ld bytes consumed", e);
    if (progress_mark(h) != mark && !tolerate(TOL_HELD_EVENTS))
      fz_fail("events were held back: all input was reported consumed, but an empty feed then delivered more "
              "(state %s, %zu stanzas)",
              state_name(xmppim_session_state_get(h->s)), h->stanzas);
    for (int i = 0; i < 64 && e == 0 && xmppim_session_want_read(h->s); i++) {
      mark = progress_mark(h);
      fz_drain_all(h->s, &h->out);
      e = xmppim_session_feed(h->s, NULL, 0);
      if (progress_mark(h) == mark) break;
    }
    if (e < 0) check_failed(h, e);
    fz_drain_all(h->s, &h->out);
  }
  check_wants(h, "after the input");

  /* The host hangs up: a clean close, then the clock runs out. */
  if (seed & 0x100) host_close(h, "at the end");
  for (int i = 0; i < 3; i++) {
    h->now += 200000;
    rc = xmppim_session_timeout(h->s, h->now);
    if (rc != 0) fz_fail("xmppim_session_timeout() returned %d", rc);
    fz_drain_all(h->s, &h->out);
  }
  check_wants(h, "at the end");
  if (xmppim_session_state_get(h->s) == XMPPIM_STATE_CLOSING)
    fz_fail("still CLOSING after the close timeout passed");
  if (trace) fprintf(stderr, "output (%zu bytes): %.*s\n", h->out.len, (int)h->out.len, h->out.data ? h->out.data : "");
  /* A connection dropped during the handshake ends without a close tag. */
  int closed = xmppim_session_state_get(h->s) == XMPPIM_STATE_CLOSED && !h->dropped;
  if (closed && !ends_with_close(&h->out))
    fz_fail("CLOSED, but the output does not end with </stream:stream>");
  fz_check_output(h->out.data, h->out.len, closed, role);

  xmppim_session_free(h->s);
  for (size_t i = 0; i < h->iqs_sent; i++)
    if (h->iqs[i].calls != 1) fz_fail("IQ %zu was called back %d times", i, h->iqs[i].calls);
  fz_buf_free(&h->out);
  free(h);
}
