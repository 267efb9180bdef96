/*
 * RFC 6120 stream errors (section 4.9) and stanza errors (section 8.3), one
 * test per requirement ID (see ../shared/spec/rfc6121-requirements.md).
 *
 * The expected names and types are typed in from the RFC here rather than
 * taken from the library's tables, and what is sent is checked the way a
 * peer sees it: serialized, run through the stream parser inside a real
 * stream, and inspected element by element.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xmppim/errors.h>

#include "xml/parser.h"

#define NS_STREAMS "http://etherx.jabber.org/streams"
#define NS_XSTREAMS "urn:ietf:params:xml:ns:xmpp-streams"
#define NS_XSTANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_XML "http://www.w3.org/XML/1998/namespace"
#define STREAM_OPEN                                                                         \
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "                             \
  "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>"

/* ---- helpers ---- */

typedef struct catcher {
  xmppim_stanza *copy;
  int count;
} catcher;

static int catch_stanza(void *ud, xmppim_stanza *st) {
  catcher *c = ud;
  if (c->count++ == 0 && xmppim_stanza_copy(&c->copy, st, NULL) != 0) return XMPPIM_ERR_NOMEM;
  return 0;
}

/* What a peer receives when `wire` is written into a client stream. */
static xmppim_stanza *receive(const char *wire) {
  xmppim_parser_callbacks cb = {0};
  cb.on_stanza = catch_stanza;
  catcher c = {NULL, 0};
  xmppim_parser *p;
  assert_int_equal(xmppim_parser_new(&p, &cb, &c, NULL, NULL), 0);
  size_t len = strlen(STREAM_OPEN) + strlen(wire) + strlen("</stream:stream>");
  char *input = malloc(len + 1);
  if (!input) {
    fail_msg("out of memory");
    return NULL;
  }
  snprintf(input, len + 1, "%s%s</stream:stream>", STREAM_OPEN, wire);
  long n = xmppim_parser_feed(p, input, len);
  if (n != (long)len) fail_msg("stream parser: %ld (%s) on %s", n, xmppim_parser_error_text(p), input);
  xmppim_parser_free(p);
  free(input);
  assert_int_equal(c.count, 1);
  return c.copy;
}

static char *wire_stanza(const xmppim_stanza *st) {
  size_t need = 0;
  xmppim_stanza_serialize(st, "jabber:client", NULL, 0, &need);
  char *s = malloc(need + 1);
  assert_non_null(s);
  assert_int_equal(xmppim_stanza_serialize(st, "jabber:client", s, need + 1, NULL), 0);
  return s;
}

static char *wire_stream_error(const xmppim_stanza *err) {
  size_t need = 0;
  xmppim_stream_error_serialize(err, "jabber:client", NULL, 0, &need);
  char *s = malloc(need + 1);
  assert_non_null(s);
  assert_int_equal(xmppim_stream_error_serialize(err, "jabber:client", s, need + 1, NULL), 0);
  return s;
}

/* A stanza as the peer receives it after it went over the wire. */
static xmppim_stanza *sent_stanza(const xmppim_stanza *st) {
  char *w = wire_stanza(st);
  xmppim_stanza *r = receive(w);
  free(w);
  return r;
}

static xmppim_stanza *sent_stream_error(const xmppim_stanza *err) {
  char *w = wire_stream_error(err);
  assert_true(strncmp(w, "<stream:error>", 14) == 0);
  xmppim_stanza *r = receive(w);
  free(w);
  return r;
}

static xmppim_stanza *parse(const char *xml) {
  xmppim_stanza *st = NULL;
  if (xmppim_stanza_parse(&st, xml, strlen(xml), NULL, NULL) != 0) fail_msg("cannot parse %s", xml);
  return st;
}

static int count_children(const xmppim_stanza *el, const char *name, const char *ns) {
  int n = 0;
  for (const xmppim_stanza *c = xmppim_stanza_first_child(el); c; c = xmppim_stanza_next_sibling(c)) {
    const char *cns = xmppim_stanza_ns(c);
    if ((!name || strcmp(xmppim_stanza_name(c), name) == 0) &&
        ((!ns && !cns) || (ns && cns && strcmp(ns, cns) == 0)))
      n++;
  }
  return n;
}

/* Children in ns other than <text/>: the defined conditions. */
static const xmppim_stanza *only_condition(const xmppim_stanza *err, const char *ns) {
  const xmppim_stanza *found = NULL;
  int n = 0;
  for (const xmppim_stanza *c = xmppim_stanza_first_child(err); c; c = xmppim_stanza_next_sibling(c)) {
    const char *cns = xmppim_stanza_ns(c);
    if (cns && strcmp(cns, ns) == 0 && strcmp(xmppim_stanza_name(c), "text") != 0) {
      found = c;
      n++;
    }
  }
  assert_int_equal(n, 1);
  return found;
}

/* The RFC 6120 section 4.9.3 list, in its order. */
static const char *const rfc_stream_conditions[] = {
  "bad-format", "bad-namespace-prefix", "conflict", "connection-timeout", "host-gone",
  "host-unknown", "improper-addressing", "internal-server-error", "invalid-from",
  "invalid-namespace", "invalid-xml", "not-authorized", "not-well-formed", "policy-violation",
  "remote-connection-failed", "reset", "resource-constraint", "restricted-xml", "see-other-host",
  "system-shutdown", "undefined-condition", "unsupported-encoding", "unsupported-feature",
  "unsupported-stanza-type", "unsupported-version",
};

/* The RFC 6120 section 8.3.3 list with the types each subsection names. */
static const struct {
  const char *name;
  const char *types[2];
} rfc_stanza_conditions[] = {
  {"bad-request", {"modify", NULL}},
  {"conflict", {"cancel", NULL}},
  {"feature-not-implemented", {"cancel", "modify"}},
  {"forbidden", {"auth", NULL}},
  {"gone", {"cancel", NULL}},
  {"internal-server-error", {"cancel", NULL}},
  {"item-not-found", {"cancel", NULL}},
  {"jid-malformed", {"modify", NULL}},
  {"not-acceptable", {"modify", NULL}},
  {"not-allowed", {"cancel", NULL}},
  {"not-authorized", {"auth", NULL}},
  {"policy-violation", {"modify", "wait"}},
  {"recipient-unavailable", {"wait", NULL}},
  {"redirect", {"modify", NULL}},
  {"registration-required", {"auth", NULL}},
  {"remote-server-not-found", {"cancel", NULL}},
  {"remote-server-timeout", {"wait", NULL}},
  {"resource-constraint", {"wait", NULL}},
  {"service-unavailable", {"cancel", NULL}},
  {"subscription-required", {"auth", NULL}},
  {"undefined-condition", {NULL, NULL}}, /* any */
  {"unexpected-request", {"wait", "modify"}},
};

#define N_STREAM (sizeof(rfc_stream_conditions) / sizeof(rfc_stream_conditions[0]))
#define N_STANZA (sizeof(rfc_stanza_conditions) / sizeof(rfc_stanza_conditions[0]))

static xmppim_stanza *build_stream_error(xmppim_stream_condition cond, const char *text,
                                         const char *lang, const xmppim_stanza *app) {
  xmppim_stanza *e;
  if (cond == XMPPIM_STREAM_SEE_OTHER_HOST)
    assert_int_equal(xmppim_stream_error_build_see_other_host(&e, "xmpp2.example.com", text, lang,
                                                              app, NULL),
                     0);
  else
    assert_int_equal(xmppim_stream_error_build(&e, cond, text, lang, app, NULL), 0);
  return e;
}

/* ---- stream errors ---- */

/* C4.9.2-a: exactly one defined condition in the xmpp-streams namespace,
 * optional <text/> in it with xml:lang, optional application-specific
 * element in its own namespace; and on the wire it is <stream:error>. */
static void C4_9_2_a_stream_error_structure(void **state) {
  (void)state;
  xmppim_stanza *app = parse("<shutdown-reason xmlns='urn:example:app'>maintenance</shutdown-reason>");
  for (int c = 1; c <= (int)N_STREAM; c++) {
    xmppim_stanza *e = build_stream_error((xmppim_stream_condition)c, "Closing now.", "en", app);
    char *w = wire_stream_error(e);
    assert_true(strncmp(w, "<stream:error>", 14) == 0);
    assert_non_null(strstr(w, "</stream:error>"));
    free(w);
    xmppim_stanza *got = sent_stream_error(e);
    assert_string_equal(xmppim_stanza_name(got), "error");
    assert_string_equal(xmppim_stanza_ns(got), NS_STREAMS);
    assert_string_equal(xmppim_stanza_name(only_condition(got, NS_XSTREAMS)),
                        rfc_stream_conditions[c - 1]);
    assert_int_equal(count_children(got, "text", NS_XSTREAMS), 1);
    const xmppim_stanza *text = xmppim_stanza_find_child(got, "text", NS_XSTREAMS);
    assert_string_equal(xmppim_stanza_attr_ns(text, NS_XML, "lang"), "en");
    assert_string_equal(xmppim_stanza_text(text), "Closing now.");
    assert_int_equal(count_children(got, NULL, "urn:example:app"), 1);
    /* Nothing else: condition, text, application element. */
    assert_int_equal(count_children(got, NULL, NS_XSTREAMS) + count_children(got, NULL, "urn:example:app"), 3);
    xmppim_stream_error_info info;
    assert_int_equal(xmppim_stream_error_parse(got, &info), 0);
    assert_int_equal(info.condition, c);
    assert_string_equal(xmppim_stanza_name(info.app_condition), "shutdown-reason");
    xmppim_stanza_free(got);
    xmppim_stanza_free(e);
  }
  /* The application-specific element must have a namespace of its own. */
  xmppim_stanza *bad = parse("<x xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"), *e;
  assert_int_equal(xmppim_stream_error_build(&e, XMPPIM_STREAM_CONFLICT, NULL, NULL, bad, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_stanza_free(bad);
  /* Flaws of a received one are reported. */
  xmppim_stanza *got = receive("<stream:error><conflict xmlns='" NS_XSTREAMS "'/><reset xmlns='"
                               NS_XSTREAMS "'/></stream:error>");
  xmppim_stream_error_info info;
  assert_int_equal(xmppim_stream_error_parse(got, &info), XMPPIM_ERROR_FLAW_EXTRA_CONDITION);
  assert_int_equal(info.condition, XMPPIM_STREAM_CONFLICT);
  xmppim_stanza_free(got);
  got = receive("<stream:error/>");
  assert_int_equal(xmppim_stream_error_parse(got, &info), XMPPIM_ERROR_FLAW_NO_CONDITION);
  assert_int_equal(info.condition, XMPPIM_STREAM_UNDEFINED_CONDITION);
  xmppim_stanza_free(got);
  xmppim_stanza_free(app);
}

/* C4.9.2-b: an unknown stream error condition is undefined-condition. */
static void C4_9_2_b_unknown_stream_condition(void **state) {
  (void)state;
  xmppim_stanza *got = receive("<stream:error><too-much-coffee xmlns='" NS_XSTREAMS "'/>"
                               "<text xmlns='" NS_XSTREAMS "'>jitters</text></stream:error>");
  xmppim_stream_error_info info;
  int rv = xmppim_stream_error_parse(got, &info);
  assert_true(rv >= 0); /* read, not refused */
  assert_int_equal(rv, XMPPIM_ERROR_FLAW_UNKNOWN_CONDITION);
  assert_int_equal(info.condition, XMPPIM_STREAM_UNDEFINED_CONDITION);
  assert_string_equal(info.text, "jitters");
  xmppim_stanza_free(got);
  assert_int_equal(xmppim_stream_condition_from_name("too-much-coffee"),
                   XMPPIM_STREAM_UNDEFINED_CONDITION);
}

/* C4.9.3-a: all 25 defined conditions can be sent and are recognised. */
static void C4_9_3_a_all_stream_conditions(void **state) {
  (void)state;
  assert_int_equal(N_STREAM, 25);
  for (size_t i = 0; i < N_STREAM; i++) {
    xmppim_stream_condition cond = (xmppim_stream_condition)(i + 1);
    assert_string_equal(xmppim_stream_condition_name(cond), rfc_stream_conditions[i]);
    xmppim_stanza *e = build_stream_error(cond, NULL, NULL, NULL);
    char *w = wire_stream_error(e);
    char want[128];
    snprintf(want, sizeof(want), "<stream:error><%s xmlns='%s'", rfc_stream_conditions[i],
             NS_XSTREAMS);
    if (strncmp(w, want, strlen(want)) != 0) fail_msg("%s: %s", rfc_stream_conditions[i], w);
    xmppim_stanza *got = receive(w);
    free(w);
    xmppim_stream_error_info info;
    assert_int_equal(xmppim_stream_error_parse(got, &info), 0);
    assert_int_equal(info.condition, cond);
    assert_int_equal(info.flaws, 0);
    assert_null(info.text);
    xmppim_stanza_free(got);
    xmppim_stanza_free(e);
  }
}

/* C4.9.3-c: see-other-host carries the alternate domain or IP address,
 * optionally with a port, IPv6 in brackets. */
static void C4_9_3_c_see_other_host(void **state) {
  (void)state;
  const char *targets[] = {"xmpp2.example.com", "xmpp2.example.com:9222", "192.0.2.10",
                           "192.0.2.10:5222", "[2001:db8::a11:20f]", "[2001:db8::a11:20f]:5222"};
  for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
    xmppim_stanza *e;
    assert_int_equal(xmppim_stream_error_build_see_other_host(&e, targets[i], NULL, NULL, NULL,
                                                              NULL),
                     0);
    xmppim_stanza *got = sent_stream_error(e);
    const xmppim_stanza *c = only_condition(got, NS_XSTREAMS);
    assert_string_equal(xmppim_stanza_name(c), "see-other-host");
    assert_string_equal(xmppim_stanza_text(c), targets[i]);
    xmppim_stream_error_info info;
    assert_int_equal(xmppim_stream_error_parse(got, &info), 0);
    assert_string_equal(info.see_other_host, targets[i]);
    xmppim_stanza_free(got);
    xmppim_stanza_free(e);
  }
  /* Without a host, or with an unbracketed IPv6 address, it is not sent. */
  xmppim_stanza *e;
  assert_int_equal(xmppim_stream_error_build(&e, XMPPIM_STREAM_SEE_OTHER_HOST, NULL, NULL, NULL,
                                             NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stream_error_build_see_other_host(&e, "2001:db8::a11:20f", NULL, NULL,
                                                            NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stream_error_build_see_other_host(&e, "", NULL, NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  /* Received without a usable host: flagged, and no target offered. */
  xmppim_stanza *got = receive("<stream:error><see-other-host xmlns='" NS_XSTREAMS "'/></stream:error>");
  xmppim_stream_error_info info;
  assert_int_equal(xmppim_stream_error_parse(got, &info), XMPPIM_ERROR_FLAW_BAD_HOST);
  assert_int_equal(info.condition, XMPPIM_STREAM_SEE_OTHER_HOST);
  assert_null(info.see_other_host);
  xmppim_stanza_free(got);
  /* The target splits into what a client connects to. */
  const char *host;
  size_t host_len;
  unsigned port;
  assert_int_equal(xmppim_stream_error_split_host("[2001:db8::a11:20f]:5222", &host, &host_len, &port), 0);
  assert_int_equal(host_len, strlen("2001:db8::a11:20f"));
  assert_memory_equal(host, "2001:db8::a11:20f", host_len);
  assert_int_equal(port, 5222);
}

/* ---- stanza errors ---- */

static const char *const requests[] = {
  "<iq type='get' id='iq-1' from='romeo@example.net/orchard' to='juliet@example.com'>"
  "<query xmlns='jabber:iq:roster'/></iq>",
  "<message type='chat' id='msg-1' from='romeo@example.net/orchard' to='juliet@example.com'>"
  "<body>Wherefore art thou?</body></message>",
  "<presence type='subscribe' id='pres-1' from='romeo@example.net' to='juliet@example.com'/>",
};

static xmppim_stanza *received_request(size_t i) { return receive(requests[i]); }

static xmppim_stanza *reply(const xmppim_stanza *req, xmppim_stanza_condition cond, int echo) {
  xmppim_stanza *r;
  xmppim_stanza_error_type type = xmppim_stanza_condition_usual_type(cond);
  int rv = echo ? xmppim_stanza_error_reply_echo(&r, req, type, cond, NULL, NULL, NULL)
                : xmppim_stanza_error_reply(&r, req, type, cond, NULL, NULL, NULL);
  assert_int_equal(rv, 0);
  return r;
}

/* C8.3.1-b: 'from' and 'to' are swapped. */
static void C8_3_1_b_from_and_to_swapped(void **state) {
  (void)state;
  for (size_t i = 0; i < 3; i++) {
    xmppim_stanza *req = received_request(i);
    xmppim_stanza *r = reply(req, XMPPIM_STANZA_COND_SERVICE_UNAVAILABLE, 0);
    xmppim_stanza *got = sent_stanza(r);
    assert_string_equal(xmppim_stanza_name(got), xmppim_stanza_name(req));
    assert_string_equal(xmppim_stanza_attr(got, "type"), "error");
    assert_string_equal(xmppim_stanza_attr(got, "to"), xmppim_stanza_attr(req, "from"));
    assert_string_equal(xmppim_stanza_attr(got, "from"), xmppim_stanza_attr(req, "to"));
    xmppim_stanza_free(got);
    xmppim_stanza_free(r);
    xmppim_stanza_free(req);
  }
  /* From a client, with no 'from' (the server knows who sent it): the reply
   * carries no 'to', so it goes back on the same stream. */
  xmppim_stanza *req = receive("<message to='nobody@example.com'><body>x</body></message>");
  xmppim_stanza *r = reply(req, XMPPIM_STANZA_COND_ITEM_NOT_FOUND, 0);
  assert_null(xmppim_stanza_attr(r, "to"));
  assert_string_equal(xmppim_stanza_attr(r, "from"), "nobody@example.com");
  xmppim_stanza_free(r);
  xmppim_stanza_free(req);
}

/* C8.3.1-c: the 'id' is mirrored: always for iq, whenever present otherwise. */
static void C8_3_1_c_id_mirrored(void **state) {
  (void)state;
  const char *ids[] = {"iq-1", "msg-1", "pres-1"};
  for (size_t i = 0; i < 3; i++) {
    xmppim_stanza *req = received_request(i);
    for (int c = 1; c <= (int)N_STANZA; c++) {
      xmppim_stanza *r = reply(req, (xmppim_stanza_condition)c, c % 2);
      xmppim_stanza *got = sent_stanza(r);
      assert_string_equal(xmppim_stanza_attr(got, "id"), ids[i]);
      xmppim_stanza_free(got);
      xmppim_stanza_free(r);
    }
    xmppim_stanza_free(req);
  }
  xmppim_stanza *req = receive("<message from='a@b/c' to='d@e'><body>x</body></message>");
  xmppim_stanza *r = reply(req, XMPPIM_STANZA_COND_RECIPIENT_UNAVAILABLE, 0);
  assert_null(xmppim_stanza_attr(r, "id"));
  xmppim_stanza_free(r);
  xmppim_stanza_free(req);
}

/* C8.3.1-d: the error stanza holds <error/>; it may carry 'by' and may echo
 * the original XML. */
static void C8_3_1_d_error_child_by_and_echo(void **state) {
  (void)state;
  for (size_t i = 0; i < 3; i++) {
    xmppim_stanza *req = received_request(i);
    xmppim_stanza *r = reply(req, XMPPIM_STANZA_COND_NOT_ALLOWED, 0);
    assert_int_equal(xmppim_stanza_error_set_by(r, "example.com"), 0);
    xmppim_stanza *got = sent_stanza(r);
    const xmppim_stanza *err = xmppim_stanza_find_child(got, "error", "jabber:client");
    assert_non_null(err);
    assert_string_equal(xmppim_stanza_attr(err, "by"), "example.com");
    /* Without echo: <error/> is all there is. */
    assert_ptr_equal(xmppim_stanza_first_child(got), err);
    assert_null(xmppim_stanza_next_sibling(err));
    xmppim_stanza_free(got);
    xmppim_stanza_free(r);

    /* With echo: the original children come back unchanged, then <error/>. */
    r = reply(req, XMPPIM_STANZA_COND_NOT_ALLOWED, 1);
    got = sent_stanza(r);
    const xmppim_stanza *a = xmppim_stanza_first_child(req), *b = xmppim_stanza_first_child(got);
    for (; a; a = xmppim_stanza_next_sibling(a), b = xmppim_stanza_next_sibling(b)) {
      assert_non_null(b);
      assert_true(xmppim_stanza_equal(a, b));
    }
    assert_non_null(b);
    assert_string_equal(xmppim_stanza_name(b), "error");
    assert_null(xmppim_stanza_next_sibling(b));
    xmppim_stanza_error_info info;
    assert_int_equal(xmppim_stanza_error_parse(got, &info), 0);
    assert_int_equal(info.condition, XMPPIM_STANZA_COND_NOT_ALLOWED);
    xmppim_stanza_free(got);
    xmppim_stanza_free(r);
    xmppim_stanza_free(req);
  }
}

/* Counts elements named "error" in the stanza namespace anywhere in el,
 * and checks each sits directly under a type='error' stanza. */
static int errors_in(const xmppim_stanza *el, const char *stanza_ns, int depth) {
  int n = 0;
  for (const xmppim_stanza *c = xmppim_stanza_first_child(el); c; c = xmppim_stanza_next_sibling(c)) {
    const char *ns = xmppim_stanza_ns(c);
    if (strcmp(xmppim_stanza_name(c), "error") == 0 && ns && strcmp(ns, stanza_ns) == 0) {
      n++;
      if (depth != 0) fail_msg("<error/> below the stanza's own children");
      const char *t = xmppim_stanza_attr(el, "type");
      if (!t || strcmp(t, "error") != 0) fail_msg("<error/> in a stanza of type %s", t ? t : "(none)");
    }
    n += errors_in(c, stanza_ns, depth + 1);
  }
  return n;
}

/* C8.3.1-e: <error/> only in a stanza of type 'error': the builder never
 * puts one elsewhere, even echoing a request that broke this rule; a
 * received one that does is flagged. */
static void C8_3_1_e_no_error_in_non_error_stanza(void **state) {
  (void)state;
  const char *bad_requests[] = {
    "<message type='chat' id='m' from='a@b/c'><body>x</body><error type='cancel'>"
    "<gone xmlns='" NS_XSTANZAS "'/></error></message>",
    "<iq type='set' id='i' from='a@b/c'><query xmlns='jabber:iq:roster'/><error type='cancel'>"
    "<conflict xmlns='" NS_XSTANZAS "'/></error></iq>",
  };
  for (size_t i = 0; i < 3 + 2; i++) {
    xmppim_stanza *req = i < 3 ? received_request(i) : receive(bad_requests[i - 3]);
    for (int c = 1; c <= (int)N_STANZA; c++) {
      for (int echo = 0; echo < 2; echo++) {
        xmppim_stanza *r = reply(req, (xmppim_stanza_condition)c, echo);
        xmppim_stanza *got = sent_stanza(r);
        assert_int_equal(errors_in(got, "jabber:client", 0), 1);
        xmppim_stanza_free(got);
        xmppim_stanza_free(r);
      }
    }
    if (i >= 3) {
      xmppim_stanza_error_info info;
      int rv = xmppim_stanza_error_parse(req, &info);
      assert_true(rv > 0 && (rv & XMPPIM_ERROR_FLAW_NOT_ERROR_TYPE));
    }
    xmppim_stanza_free(req);
  }
}

/* C8.3.1-f: an error stanza is never answered with another one. */
static void C8_3_1_f_no_error_for_an_error(void **state) {
  (void)state;
  const char *errors[] = {
    "<iq type='error' id='1' from='a@b/c'><error type='cancel'><item-not-found xmlns='" NS_XSTANZAS
    "'/></error></iq>",
    "<message type='error' id='2' from='a@b/c'><error type='cancel'><gone xmlns='" NS_XSTANZAS
    "'/></error></message>",
    "<presence type='error' from='a@b/c'><error type='auth'><forbidden xmlns='" NS_XSTANZAS
    "'/></error></presence>",
    /* An IQ result answers a request; an error to it would answer nobody. */
    "<iq type='result' id='3' from='a@b/c'/>",
  };
  for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
    xmppim_stanza *req = receive(errors[i]);
    for (int c = 1; c <= (int)N_STANZA; c++) {
      for (int echo = 0; echo < 2; echo++) {
        xmppim_stanza *r = req;
        int rv = echo ? xmppim_stanza_error_reply_echo(&r, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                                       (xmppim_stanza_condition)c, NULL, NULL, NULL)
                      : xmppim_stanza_error_reply(&r, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                                  (xmppim_stanza_condition)c, NULL, NULL, NULL);
        assert_int_equal(rv, XMPPIM_ERR_INVALID_ARGUMENT);
        assert_null(r);
      }
    }
    xmppim_stanza_free(req);
  }
}

/* C8.3.2-a: <error type=...> with one of the five types. */
static void C8_3_2_a_error_types(void **state) {
  (void)state;
  const char *types[] = {"auth", "cancel", "continue", "modify", "wait"};
  xmppim_stanza *req = received_request(0);
  for (int t = 0; t < 5; t++) {
    xmppim_stanza_error_type type = xmppim_stanza_error_type_from_name(types[t]);
    assert_string_equal(xmppim_stanza_error_type_name(type), types[t]);
    xmppim_stanza *r;
    assert_int_equal(xmppim_stanza_error_reply(&r, req, type, XMPPIM_STANZA_COND_UNDEFINED_CONDITION,
                                               NULL, NULL, NULL),
                     0);
    xmppim_stanza *got = sent_stanza(r);
    assert_string_equal(xmppim_stanza_attr(xmppim_stanza_find_child(got, "error", NULL), "type"),
                        types[t]);
    xmppim_stanza_error_info info;
    assert_int_equal(xmppim_stanza_error_parse(got, &info), 0);
    assert_int_equal(info.type, type);
    xmppim_stanza_free(got);
    xmppim_stanza_free(r);
  }
  /* No type but those five is sent; a received one without a valid type is flagged. */
  xmppim_stanza *r = req;
  assert_int_equal(xmppim_stanza_error_reply(&r, req, XMPPIM_STANZA_ERROR_TYPE_UNKNOWN,
                                             XMPPIM_STANZA_COND_BAD_REQUEST, NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_stanza_free(req);
  xmppim_stanza *got = receive("<iq type='error' id='1'><error type='retry'><bad-request xmlns='"
                               NS_XSTANZAS "'/></error></iq>");
  xmppim_stanza_error_info info;
  assert_int_equal(xmppim_stanza_error_parse(got, &info), XMPPIM_ERROR_FLAW_TYPE_UNKNOWN);
  assert_int_equal(info.type, XMPPIM_STANZA_ERROR_TYPE_UNKNOWN);
  assert_int_equal(info.condition, XMPPIM_STANZA_COND_BAD_REQUEST);
  xmppim_stanza_free(got);
  got = receive("<iq type='error' id='1'><error><bad-request xmlns='" NS_XSTANZAS "'/></error></iq>");
  assert_int_equal(xmppim_stanza_error_parse(got, &info), XMPPIM_ERROR_FLAW_TYPE_MISSING);
  xmppim_stanza_free(got);
}

/* C8.3.2-b: exactly one defined condition in the xmpp-stanzas namespace,
 * optional <text/> in it with xml:lang, optional application element. */
static void C8_3_2_b_error_structure(void **state) {
  (void)state;
  xmppim_stanza *req = received_request(1);
  xmppim_stanza *app = parse("<unknown-feature xmlns='urn:example:app'/>");
  for (int c = 1; c <= (int)N_STANZA; c++) {
    xmppim_stanza *r;
    xmppim_stanza_condition cond = (xmppim_stanza_condition)c;
    assert_int_equal(xmppim_stanza_error_reply(&r, req, xmppim_stanza_condition_usual_type(cond),
                                               cond, "Explanation", "en", NULL),
                     0);
    assert_int_equal(xmppim_stanza_error_add_app_condition(r, app), 0);
    xmppim_stanza *got = sent_stanza(r);
    const xmppim_stanza *err = xmppim_stanza_find_child(got, "error", NULL);
    assert_string_equal(xmppim_stanza_name(only_condition(err, NS_XSTANZAS)),
                        rfc_stanza_conditions[c - 1].name);
    assert_int_equal(count_children(err, "text", NS_XSTANZAS), 1);
    const xmppim_stanza *text = xmppim_stanza_find_child(err, "text", NS_XSTANZAS);
    assert_string_equal(xmppim_stanza_attr_ns(text, NS_XML, "lang"), "en");
    assert_string_equal(xmppim_stanza_text(text), "Explanation");
    assert_int_equal(count_children(err, NULL, "urn:example:app"), 1);
    assert_int_equal(count_children(err, NULL, NS_XSTANZAS) + count_children(err, NULL, "urn:example:app"), 3);
    xmppim_stanza_error_info info;
    assert_int_equal(xmppim_stanza_error_parse(got, &info), 0);
    assert_int_equal(info.condition, cond);
    assert_string_equal(info.text, "Explanation");
    assert_string_equal(info.text_lang, "en");
    assert_string_equal(xmppim_stanza_name(info.app_condition), "unknown-feature");
    /* A second application element is refused: one at most. */
    assert_int_equal(xmppim_stanza_error_add_app_condition(r, app), XMPPIM_ERR_INVALID_STATE);
    xmppim_stanza_free(got);
    xmppim_stanza_free(r);
  }
  xmppim_stanza_free(app);
  xmppim_stanza_free(req);
  /* A received error with two conditions, or none, is flagged. */
  xmppim_stanza *got = receive("<iq type='error' id='1'><error type='cancel'><conflict xmlns='"
                               NS_XSTANZAS "'/><gone xmlns='" NS_XSTANZAS "'/></error></iq>");
  xmppim_stanza_error_info info;
  assert_int_equal(xmppim_stanza_error_parse(got, &info), XMPPIM_ERROR_FLAW_EXTRA_CONDITION);
  assert_int_equal(info.condition, XMPPIM_STANZA_COND_CONFLICT);
  xmppim_stanza_free(got);
  got = receive("<iq type='error' id='1'><error type='cancel'/></iq>");
  assert_int_equal(xmppim_stanza_error_parse(got, &info), XMPPIM_ERROR_FLAW_NO_CONDITION);
  assert_int_equal(info.condition, XMPPIM_STANZA_COND_UNDEFINED_CONDITION);
  xmppim_stanza_free(got);
}

/* C8.3.2-c: an unknown condition is undefined-condition; an unknown
 * application-specific condition is ignored and the rest processed. */
static void C8_3_2_c_unknown_conditions(void **state) {
  (void)state;
  xmppim_stanza *got = receive("<message type='error' id='1' from='x@y'><error type='wait'>"
                               "<dont-panic xmlns='" NS_XSTANZAS "'/><text xmlns='" NS_XSTANZAS
                               "' xml:lang='en'>later</text></error></message>");
  xmppim_stanza_error_info info;
  int rv = xmppim_stanza_error_parse(got, &info);
  assert_true(rv >= 0);
  assert_int_equal(rv, XMPPIM_ERROR_FLAW_UNKNOWN_CONDITION);
  assert_int_equal(info.condition, XMPPIM_STANZA_COND_UNDEFINED_CONDITION);
  assert_int_equal(info.type, XMPPIM_STANZA_ERROR_TYPE_WAIT);
  assert_string_equal(info.text, "later");
  xmppim_stanza_free(got);
  assert_int_equal(xmppim_stanza_condition_from_name("dont-panic"),
                   XMPPIM_STANZA_COND_UNDEFINED_CONDITION);

  got = receive("<iq type='error' id='2'><error type='cancel'><feature-not-implemented xmlns='"
                NS_XSTANZAS "'/><unsupported xmlns='urn:never-heard-of-it' feature='x'/></error></iq>");
  assert_int_equal(xmppim_stanza_error_parse(got, &info), 0);
  assert_int_equal(info.condition, XMPPIM_STANZA_COND_FEATURE_NOT_IMPLEMENTED);
  assert_int_equal(info.type, XMPPIM_STANZA_ERROR_TYPE_CANCEL);
  assert_non_null(info.app_condition); /* handed over, for whoever knows it */
  xmppim_stanza_free(got);
}

/* C8.3.3-a: the 22 conditions, each with the type RFC 6120 gives it. */
static void C8_3_3_a_all_stanza_conditions(void **state) {
  (void)state;
  assert_int_equal(N_STANZA, 22);
  xmppim_stanza *req = received_request(0);
  for (size_t i = 0; i < N_STANZA; i++) {
    xmppim_stanza_condition cond = (xmppim_stanza_condition)(i + 1);
    assert_string_equal(xmppim_stanza_condition_name(cond), rfc_stanza_conditions[i].name);
    assert_int_equal(xmppim_stanza_condition_from_name(rfc_stanza_conditions[i].name), cond);
    xmppim_stanza_error_type usual = xmppim_stanza_condition_usual_type(cond);
    const char *usual_name = xmppim_stanza_error_type_name(usual);
    assert_non_null(usual_name);
    if (rfc_stanza_conditions[i].types[0]) {
      /* The first type the RFC names (the one its example uses). */
      assert_string_equal(usual_name, rfc_stanza_conditions[i].types[0]);
    }
    xmppim_stanza *r = reply(req, cond, 0);
    if (cond == XMPPIM_STANZA_COND_GONE || cond == XMPPIM_STANZA_COND_REDIRECT)
      assert_int_equal(xmppim_stanza_error_set_uri(r, "xmpp:juliet@capulet.example"), 0);
    xmppim_stanza *got = sent_stanza(r);
    const xmppim_stanza *err = xmppim_stanza_find_child(got, "error", NULL);
    assert_string_equal(xmppim_stanza_attr(err, "type"), usual_name);
    char *w = wire_stanza(r);
    char want[128];
    snprintf(want, sizeof(want), "<%s xmlns='%s'", rfc_stanza_conditions[i].name, NS_XSTANZAS);
    if (!strstr(w, want)) fail_msg("%s missing from %s", want, w);
    free(w);
    xmppim_stanza_error_info info;
    assert_int_equal(xmppim_stanza_error_parse(got, &info), 0);
    assert_int_equal(info.condition, cond);
    assert_int_equal(info.type, usual);
    if (cond == XMPPIM_STANZA_COND_GONE || cond == XMPPIM_STANZA_COND_REDIRECT)
      assert_string_equal(info.condition_text, "xmpp:juliet@capulet.example");
    else
      assert_null(info.condition_text);
    xmppim_stanza_free(got);
    xmppim_stanza_free(r);
  }
  xmppim_stanza_free(req);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(C4_9_2_a_stream_error_structure),
    cmocka_unit_test(C4_9_2_b_unknown_stream_condition),
    cmocka_unit_test(C4_9_3_a_all_stream_conditions),
    cmocka_unit_test(C4_9_3_c_see_other_host),
    cmocka_unit_test(C8_3_1_b_from_and_to_swapped),
    cmocka_unit_test(C8_3_1_c_id_mirrored),
    cmocka_unit_test(C8_3_1_d_error_child_by_and_echo),
    cmocka_unit_test(C8_3_1_e_no_error_in_non_error_stanza),
    cmocka_unit_test(C8_3_1_f_no_error_for_an_error),
    cmocka_unit_test(C8_3_2_a_error_types),
    cmocka_unit_test(C8_3_2_b_error_structure),
    cmocka_unit_test(C8_3_2_c_unknown_conditions),
    cmocka_unit_test(C8_3_3_a_all_stanza_conditions),
  };
  return cmocka_run_group_tests_name("rfc6120-errors", tests, NULL, NULL);
}
