/*
 * Stanza and stream errors: names, builders, readers, and the round trip
 * built tree -> XML -> parsed tree -> same tree and same meaning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xmppim/errors.h>

#include "failing_mem.h"
#include "xml/parser.h"

#define NS_C "jabber:client"
#define STREAM_OPEN                                                                         \
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "                             \
  "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>"

#define N_STANZA_CONDITIONS 22
#define N_STREAM_CONDITIONS 25

/* ---- helpers ---- */

static char *to_string(const xmppim_stanza *st, const char *inherited_ns) {
  size_t need = 0;
  assert_int_equal(xmppim_stanza_serialize(st, inherited_ns, NULL, 0, &need),
                   XMPPIM_ERR_BUFFER_TOO_SMALL);
  char *s = malloc(need + 1);
  assert_non_null(s);
  assert_int_equal(xmppim_stanza_serialize(st, inherited_ns, s, need + 1, NULL), 0);
  return s;
}

static void assert_xml(const xmppim_stanza *st, const char *expected) {
  char *s = to_string(st, NULL);
  if (strcmp(s, expected) != 0) fail_msg("got      %s\nexpected %s", s, expected);
  free(s);
}

static xmppim_stanza *parse(const char *xml) {
  xmppim_stanza *st = NULL;
  xmppim_stream_condition cond = XMPPIM_STREAM_OK;
  if (xmppim_stanza_parse(&st, xml, strlen(xml), NULL, &cond) != 0)
    fail_msg("parse failed (%s): %s", xmppim_stream_condition_name(cond), xml);
  return st;
}

/* Serializes, parses back, and checks the tree came back the same. */
static xmppim_stanza *round_trip(const xmppim_stanza *st) {
  char *xml = to_string(st, NULL);
  xmppim_stanza *back = parse(xml);
  if (!xmppim_stanza_equal(st, back)) fail_msg("round trip changed %s", xml);
  free(xml);
  return back;
}

static char *stream_error_string(const xmppim_stanza *err, const char *content_ns) {
  size_t need = 0;
  assert_int_equal(xmppim_stream_error_serialize(err, content_ns, NULL, 0, &need),
                   XMPPIM_ERR_BUFFER_TOO_SMALL);
  char *s = malloc(need + 1);
  assert_non_null(s);
  size_t again = 0;
  assert_int_equal(xmppim_stream_error_serialize(err, content_ns, s, need + 1, &again), 0);
  assert_int_equal(again, need);
  assert_int_equal(strlen(s), need);
  return s;
}

/* The stream parser's view of one element written into a client stream. */
typedef struct catcher {
  xmppim_stanza *copy;
  int count;
} catcher;

static int catch_stanza(void *ud, xmppim_stanza *st) {
  catcher *c = ud;
  if (c->count++ == 0 && xmppim_stanza_copy(&c->copy, st, NULL) != 0) return XMPPIM_ERR_NOMEM;
  return 0;
}

static xmppim_stanza *through_stream(const char *element) {
  xmppim_parser_callbacks cb = {0};
  cb.on_stanza = catch_stanza;
  catcher c = {NULL, 0};
  xmppim_parser *p;
  assert_int_equal(xmppim_parser_new(&p, &cb, &c, NULL, NULL), 0);
  size_t len = strlen(STREAM_OPEN) + strlen(element) + strlen("</stream:stream>");
  char *input = malloc(len + 1);
  if (!input) {
    fail_msg("out of memory");
    return NULL;
  }
  snprintf(input, len + 1, "%s%s</stream:stream>", STREAM_OPEN, element);
  long n = xmppim_parser_feed(p, input, len);
  if (n != (long)len)
    fail_msg("stream parser: %ld (%s) on %s", n, xmppim_parser_error_text(p), input);
  xmppim_parser_free(p);
  free(input);
  assert_int_equal(c.count, 1);
  return c.copy;
}

static xmppim_stanza *request(const char *xml) { return parse(xml); }

/* ---- names and tables ---- */

static const char *const stanza_names[N_STANZA_CONDITIONS] = {
  "bad-request", "conflict", "feature-not-implemented", "forbidden", "gone",
  "internal-server-error", "item-not-found", "jid-malformed", "not-acceptable", "not-allowed",
  "not-authorized", "policy-violation", "recipient-unavailable", "redirect",
  "registration-required", "remote-server-not-found", "remote-server-timeout",
  "resource-constraint", "service-unavailable", "subscription-required", "undefined-condition",
  "unexpected-request",
};

static void stanza_condition_names(void **state) {
  (void)state;
  for (int i = 0; i < N_STANZA_CONDITIONS; i++) {
    xmppim_stanza_condition c = (xmppim_stanza_condition)(i + 1);
    assert_string_equal(xmppim_stanza_condition_name(c), stanza_names[i]);
    assert_int_equal(xmppim_stanza_condition_from_name(stanza_names[i]), c);
  }
  assert_null(xmppim_stanza_condition_name(XMPPIM_STANZA_COND_NONE));
  assert_null(xmppim_stanza_condition_name((xmppim_stanza_condition)(N_STANZA_CONDITIONS + 1)));
  assert_null(xmppim_stanza_condition_name((xmppim_stanza_condition)-1));
  /* C8.3.2-c: whatever is not defined reads as undefined-condition. */
  const char *unknown[] = {"", "Bad-Request", "bad-request ", "text", "see-other-host", "x"};
  for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
    assert_int_equal(xmppim_stanza_condition_from_name(unknown[i]),
                     XMPPIM_STANZA_COND_UNDEFINED_CONDITION);
  assert_int_equal(xmppim_stanza_condition_from_name(NULL), XMPPIM_STANZA_COND_UNDEFINED_CONDITION);
}

static void error_type_names_and_usual_types(void **state) {
  (void)state;
  const char *names[] = {"auth", "cancel", "continue", "modify", "wait"};
  for (int i = 0; i < 5; i++) {
    xmppim_stanza_error_type t = (xmppim_stanza_error_type)(i + 1);
    assert_string_equal(xmppim_stanza_error_type_name(t), names[i]);
    assert_int_equal(xmppim_stanza_error_type_from_name(names[i]), t);
  }
  assert_null(xmppim_stanza_error_type_name(XMPPIM_STANZA_ERROR_TYPE_UNKNOWN));
  assert_null(xmppim_stanza_error_type_name((xmppim_stanza_error_type)6));
  assert_null(xmppim_stanza_error_type_name((xmppim_stanza_error_type)-1));
  assert_int_equal(xmppim_stanza_error_type_from_name(NULL), XMPPIM_STANZA_ERROR_TYPE_UNKNOWN);
  assert_int_equal(xmppim_stanza_error_type_from_name("Cancel"), XMPPIM_STANZA_ERROR_TYPE_UNKNOWN);
  assert_int_equal(xmppim_stanza_error_type_from_name(""), XMPPIM_STANZA_ERROR_TYPE_UNKNOWN);
  for (int i = 1; i <= N_STANZA_CONDITIONS; i++)
    assert_int_not_equal(xmppim_stanza_condition_usual_type((xmppim_stanza_condition)i),
                         XMPPIM_STANZA_ERROR_TYPE_UNKNOWN);
  assert_int_equal(xmppim_stanza_condition_usual_type(XMPPIM_STANZA_COND_NONE),
                   XMPPIM_STANZA_ERROR_TYPE_UNKNOWN);
  assert_int_equal(xmppim_stanza_condition_usual_type((xmppim_stanza_condition)23),
                   XMPPIM_STANZA_ERROR_TYPE_UNKNOWN);
  assert_int_equal(xmppim_stanza_condition_usual_type((xmppim_stanza_condition)-5),
                   XMPPIM_STANZA_ERROR_TYPE_UNKNOWN);
}

/* ---- stanza error replies ---- */

static void reply_to_iq_swaps_and_keeps_id(void **state) {
  (void)state;
  xmppim_stanza *req = request("<iq xmlns='jabber:client' type='get' id='ping1' "
                               "from='romeo@example.net/orchard' to='juliet@example.com'>"
                               "<ping xmlns='urn:xmpp:ping'/></iq>");
  xmppim_stanza *r;
  assert_int_equal(xmppim_stanza_error_reply(&r, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                             XMPPIM_STANZA_COND_SERVICE_UNAVAILABLE, NULL, NULL,
                                             NULL),
                   0);
  assert_xml(r, "<iq xmlns='jabber:client' to='romeo@example.net/orchard' from='juliet@example.com'"
                " id='ping1' type='error'><error type='cancel'><service-unavailable "
                "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
  /* Written into a client stream, the stanza needs no declaration of its own. */
  char *s = to_string(r, NS_C);
  assert_true(strncmp(s, "<iq to=", 7) == 0);
  free(s);
  xmppim_stanza_free(r);
  xmppim_stanza_free(req);
}

static void reply_to_set_iq(void **state) {
  (void)state;
  xmppim_stanza *req = request("<iq xmlns='jabber:client' type='set' id='s1' "
                               "from='a@b/c'><query xmlns='jabber:iq:roster'/></iq>");
  xmppim_stanza *r;
  assert_int_equal(xmppim_stanza_error_reply(&r, req, XMPPIM_STANZA_ERROR_TYPE_MODIFY,
                                             XMPPIM_STANZA_COND_BAD_REQUEST, NULL, NULL, NULL),
                   0);
  /* No 'to' on the request: no 'from' on the reply. */
  assert_xml(r, "<iq xmlns='jabber:client' to='a@b/c' id='s1' type='error'><error type='modify'>"
                "<bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
  xmppim_stanza_free(r);
  xmppim_stanza_free(req);
}

static void reply_to_message_and_presence(void **state) {
  (void)state;
  /* No 'from', no 'id': the reply has no 'to' and no 'id'. */
  xmppim_stanza *msg = request("<message xmlns='jabber:client' to='nobody@example.com' "
                               "type='chat'><body>hi</body></message>");
  xmppim_stanza *r;
  assert_int_equal(xmppim_stanza_error_reply(&r, msg, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                             XMPPIM_STANZA_COND_ITEM_NOT_FOUND, NULL, NULL, NULL),
                   0);
  assert_xml(r, "<message xmlns='jabber:client' from='nobody@example.com' type='error'>"
                "<error type='cancel'><item-not-found "
                "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
  xmppim_stanza_free(r);
  xmppim_stanza_free(msg);

  xmppim_stanza *pres = request("<presence xmlns='jabber:server' from='a@x' to='b@y' "
                                "id='p1' type='subscribe'/>");
  assert_int_equal(xmppim_stanza_error_reply(&r, pres, XMPPIM_STANZA_ERROR_TYPE_AUTH,
                                             XMPPIM_STANZA_COND_FORBIDDEN, NULL, NULL, NULL),
                   0);
  assert_xml(r, "<presence xmlns='jabber:server' to='a@x' from='b@y' id='p1' type='error'>"
                "<error type='auth'><forbidden "
                "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>");
  xmppim_stanza_free(r);
  /* Available presence (no type at all) may be answered too. */
  xmppim_stanza_free(pres);
  pres = request("<presence from='a@x/r'/>");
  assert_int_equal(xmppim_stanza_error_reply(&r, pres, XMPPIM_STANZA_ERROR_TYPE_WAIT,
                                             XMPPIM_STANZA_COND_RESOURCE_CONSTRAINT, NULL, NULL,
                                             NULL),
                   0);
  assert_xml(r, "<presence to='a@x/r' type='error'><error type='wait'><resource-constraint "
                "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>");
  xmppim_stanza_free(r);
  xmppim_stanza_free(pres);
}

static void reply_text_and_language(void **state) {
  (void)state;
  xmppim_stanza *req = request("<iq xmlns='jabber:client' type='get' id='1' from='a@b'/>");
  xmppim_stanza *r;
  assert_int_equal(xmppim_stanza_error_reply(&r, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                             XMPPIM_STANZA_COND_NOT_ALLOWED, "Nope & <no>", "en",
                                             NULL),
                   0);
  assert_xml(r, "<iq xmlns='jabber:client' to='a@b' id='1' type='error'><error type='cancel'>"
                "<not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>"
                "Nope &amp; &lt;no&gt;</text></error></iq>");
  xmppim_stanza_free(r);
  /* Text without a language; a language without text; empty text. */
  assert_int_equal(xmppim_stanza_error_reply(&r, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                             XMPPIM_STANZA_COND_NOT_ALLOWED, "plain", NULL, NULL),
                   0);
  xmppim_stanza *text = xmppim_stanza_find_child(xmppim_stanza_find_child(r, "error", NULL), "text",
                                                 XMPPIM_NS_STANZA_ERRORS);
  assert_non_null(text);
  assert_null(xmppim_stanza_attr_ns(text, XMPPIM_NS_XML, "lang"));
  xmppim_stanza_free(r);
  for (int i = 0; i < 3; i++) {
    const char *t = i == 0 ? NULL : "";
    const char *l = i == 2 ? "" : "de";
    assert_int_equal(xmppim_stanza_error_reply(&r, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                               XMPPIM_STANZA_COND_NOT_ALLOWED, t, l, NULL),
                     0);
    assert_null(xmppim_stanza_find_child(xmppim_stanza_find_child(r, "error", NULL), "text",
                                         XMPPIM_NS_STANZA_ERRORS));
    xmppim_stanza_free(r);
  }
  /* Text the tree cannot carry is refused, and nothing leaks. */
  failing_mem fm;
  failing_mem_init(&fm, 0);
  r = (xmppim_stanza *)req;
  assert_int_equal(xmppim_stanza_error_reply(&r, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                             XMPPIM_STANZA_COND_NOT_ALLOWED, "bad \xC3", NULL,
                                             &fm.mem),
                   XMPPIM_ERR_BAD_UTF8);
  assert_null(r);
  assert_int_equal(xmppim_stanza_error_reply(&r, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                             XMPPIM_STANZA_COND_NOT_ALLOWED, "bell \x07", NULL,
                                             &fm.mem),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_error_reply(&r, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                             XMPPIM_STANZA_COND_NOT_ALLOWED, "ok", "\xFF", &fm.mem),
                   XMPPIM_ERR_BAD_UTF8);
  assert_null(r);
  assert_int_equal(fm.live, 0);
  xmppim_stanza_free(req);
}

static void reply_refusals(void **state) {
  (void)state;
  const char *refused[] = {
    /* C8.3.1-f: never an error in answer to an error. */
    "<iq xmlns='jabber:client' type='error' id='1' from='a@b'/>",
    "<message xmlns='jabber:client' type='error' from='a@b'/>",
    "<presence xmlns='jabber:client' type='error' from='a@b'/>",
    /* Nobody waits for the answer to a result. */
    "<iq xmlns='jabber:client' type='result' id='1' from='a@b'/>",
    /* Not a stanza. */
    "<error xmlns='http://etherx.jabber.org/streams'/>",
    "<query xmlns='jabber:iq:roster'/>",
  };
  for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    xmppim_stanza *req = request(refused[i]), *r = req;
    assert_int_equal(xmppim_stanza_error_reply(&r, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                               XMPPIM_STANZA_COND_BAD_REQUEST, NULL, NULL, NULL),
                     XMPPIM_ERR_INVALID_ARGUMENT);
    assert_null(r);
    r = req;
    assert_int_equal(xmppim_stanza_error_reply_echo(&r, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                                    XMPPIM_STANZA_COND_BAD_REQUEST, NULL, NULL,
                                                    NULL),
                     XMPPIM_ERR_INVALID_ARGUMENT);
    assert_null(r);
    xmppim_stanza_free(req);
  }
  /* A message of type 'result' is not an IQ result: it can be answered. */
  xmppim_stanza *req = request("<message xmlns='jabber:client' type='result' from='a@b'/>"), *r;
  assert_int_equal(xmppim_stanza_error_reply(&r, req, XMPPIM_STANZA_ERROR_TYPE_MODIFY,
                                             XMPPIM_STANZA_COND_BAD_REQUEST, NULL, NULL, NULL),
                   0);
  xmppim_stanza_free(r);
  /* Arguments out of range. */
  r = req;
  assert_int_equal(xmppim_stanza_error_reply(&r, req, XMPPIM_STANZA_ERROR_TYPE_UNKNOWN,
                                             XMPPIM_STANZA_COND_BAD_REQUEST, NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_null(r);
  assert_int_equal(xmppim_stanza_error_reply(&r, req, (xmppim_stanza_error_type)6,
                                             XMPPIM_STANZA_COND_BAD_REQUEST, NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_error_reply(&r, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                             XMPPIM_STANZA_COND_NONE, NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_error_reply(&r, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                             (xmppim_stanza_condition)23, NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_error_reply(&r, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                             (xmppim_stanza_condition)-1, NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_error_reply(&r, NULL, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                             XMPPIM_STANZA_COND_BAD_REQUEST, NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_null(r);
  assert_int_equal(xmppim_stanza_error_reply(NULL, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                             XMPPIM_STANZA_COND_BAD_REQUEST, NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_stanza_free(req);
}

static void reply_echoes_payload(void **state) {
  (void)state;
  xmppim_stanza *req = request(
      "<message xmlns='jabber:client' from='a@b/c' to='d@e' id='m1' type='chat' xml:lang='en'>"
      "text at top<body>hello</body><x xmlns='urn:example:x' k='v'><y>deep<z xmlns=''/></y>"
      "tail</x><error type='cancel'><bogus xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
      "<thread parent='t0'>t1</thread></message>");
  xmppim_stanza *r;
  assert_int_equal(xmppim_stanza_error_reply_echo(&r, req, XMPPIM_STANZA_ERROR_TYPE_WAIT,
                                                  XMPPIM_STANZA_COND_RECIPIENT_UNAVAILABLE, NULL,
                                                  NULL, NULL),
                   0);
  assert_xml(r, "<message xmlns='jabber:client' to='a@b/c' from='d@e' id='m1' type='error'>"
                "<body>hello</body><x xmlns='urn:example:x' k='v'><y>deep<z xmlns=''/></y>tail</x>"
                "<thread parent='t0'>t1</thread><error type='wait'><recipient-unavailable "
                "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
  xmppim_stanza *back = round_trip(r);
  xmppim_stanza_error_info info;
  assert_int_equal(xmppim_stanza_error_parse(back, &info), 0);
  assert_int_equal(info.condition, XMPPIM_STANZA_COND_RECIPIENT_UNAVAILABLE);
  xmppim_stanza_free(back);
  xmppim_stanza_free(r);
  /* An IQ request's payload too; the echo is independent of the request. */
  xmppim_stanza_free(req);
  req = request("<iq xmlns='jabber:client' type='set' id='i' from='a@b'>"
                "<query xmlns='jabber:iq:roster'><item jid='x@y' name='X'><group>G</group></item>"
                "</query></iq>");
  assert_int_equal(xmppim_stanza_error_reply_echo(&r, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                                  XMPPIM_STANZA_COND_NOT_ALLOWED, NULL, NULL, NULL),
                   0);
  xmppim_stanza_free(req);
  assert_xml(r, "<iq xmlns='jabber:client' to='a@b' id='i' type='error'>"
                "<query xmlns='jabber:iq:roster'><item jid='x@y' name='X'><group>G</group></item>"
                "</query><error type='cancel'><not-allowed "
                "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
  xmppim_stanza_free(r);
}

static void reply_keeps_namespace(void **state) {
  (void)state;
  const char *nss[] = {"jabber:client", "jabber:server", "jabber:component:accept"};
  for (int i = 0; i < 3; i++) {
    xmppim_stanza *req, *r;
    assert_int_equal(xmppim_stanza_new(&req, NULL, "message", nss[i]), 0);
    assert_int_equal(xmppim_stanza_set_attr(req, "from", "a@b"), 0);
    assert_int_equal(xmppim_stanza_error_reply(&r, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                               XMPPIM_STANZA_COND_GONE, NULL, NULL, NULL),
                     0);
    assert_string_equal(xmppim_stanza_ns(r), nss[i]);
    xmppim_stanza *err = xmppim_stanza_find_child(r, "error", nss[i]);
    assert_non_null(err);
    assert_non_null(xmppim_stanza_find_child(err, "gone", XMPPIM_NS_STANZA_ERRORS));
    xmppim_stanza_free(r);
    xmppim_stanza_free(req);
  }
  /* A stanza in no namespace gets a reply in none. */
  xmppim_stanza *req = request("<iq type='get' id='q' from='a@b'/>"), *r;
  assert_int_equal(xmppim_stanza_error_reply(&r, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                             XMPPIM_STANZA_COND_FEATURE_NOT_IMPLEMENTED, NULL,
                                             NULL, NULL),
                   0);
  assert_null(xmppim_stanza_ns(r));
  assert_xml(r, "<iq to='a@b' id='q' type='error'><error type='cancel'><feature-not-implemented "
                "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
  xmppim_stanza_error_info info;
  assert_int_equal(xmppim_stanza_error_parse(r, &info), 0);
  assert_int_equal(info.condition, XMPPIM_STANZA_COND_FEATURE_NOT_IMPLEMENTED);
  xmppim_stanza_free(r);
  xmppim_stanza_free(req);
}

static xmppim_stanza *simple_reply(xmppim_stanza_condition cond) {
  xmppim_stanza *req = request("<iq xmlns='jabber:client' type='get' id='1' from='a@b'/>"), *r;
  assert_int_equal(xmppim_stanza_error_reply(&r, req, xmppim_stanza_condition_usual_type(cond),
                                             cond, NULL, NULL, NULL),
                   0);
  xmppim_stanza_free(req);
  return r;
}

static void set_uri_for_gone_and_redirect(void **state) {
  (void)state;
  xmppim_stanza *r = simple_reply(XMPPIM_STANZA_COND_REDIRECT);
  assert_int_equal(xmppim_stanza_error_set_uri(r, ""), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_error_set_uri(r, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_error_set_uri(r, "xmpp:room@chat.example.com?join"), 0);
  assert_int_equal(xmppim_stanza_error_set_uri(r, "xmpp:other@example.com"),
                   XMPPIM_ERR_INVALID_STATE);
  assert_xml(r, "<iq xmlns='jabber:client' to='a@b' id='1' type='error'><error type='modify'>"
                "<redirect xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>"
                "xmpp:room@chat.example.com?join</redirect></error></iq>");
  xmppim_stanza *back = round_trip(r);
  xmppim_stanza_error_info info;
  assert_int_equal(xmppim_stanza_error_parse(back, &info), 0);
  assert_string_equal(info.condition_text, "xmpp:room@chat.example.com?join");
  xmppim_stanza_free(back);
  xmppim_stanza_free(r);

  r = simple_reply(XMPPIM_STANZA_COND_GONE);
  assert_int_equal(xmppim_stanza_error_set_uri(r, "xmpp:romeo@example.net"), 0);
  assert_int_equal(xmppim_stanza_error_set_uri(r, "bad \xC3\x28"), XMPPIM_ERR_INVALID_STATE);
  xmppim_stanza_free(r);
  r = simple_reply(XMPPIM_STANZA_COND_GONE);
  assert_int_equal(xmppim_stanza_error_set_uri(r, "bad \xC3\x28"), XMPPIM_ERR_BAD_UTF8);
  xmppim_stanza_free(r);

  for (int c = 1; c <= N_STANZA_CONDITIONS; c++) {
    if (c == XMPPIM_STANZA_COND_GONE || c == XMPPIM_STANZA_COND_REDIRECT) continue;
    r = simple_reply((xmppim_stanza_condition)c);
    assert_int_equal(xmppim_stanza_error_set_uri(r, "xmpp:x@y"), XMPPIM_ERR_INVALID_ARGUMENT);
    xmppim_stanza_free(r);
  }
  xmppim_stanza *plain = request("<iq xmlns='jabber:client' type='get' id='1'/>");
  assert_int_equal(xmppim_stanza_error_set_uri(plain, "xmpp:x@y"), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_error_set_uri(NULL, "xmpp:x@y"), XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_stanza_free(plain);
}

static void set_by_attribute(void **state) {
  (void)state;
  xmppim_stanza *r = simple_reply(XMPPIM_STANZA_COND_REMOTE_SERVER_TIMEOUT);
  assert_int_equal(xmppim_stanza_error_set_by(r, "example.com"), 0);
  assert_int_equal(xmppim_stanza_error_set_by(r, "example.net"), 0);
  assert_xml(r, "<iq xmlns='jabber:client' to='a@b' id='1' type='error'>"
                "<error type='wait' by='example.net'><remote-server-timeout "
                "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
  xmppim_stanza_error_info info;
  assert_int_equal(xmppim_stanza_error_parse(r, &info), 0);
  assert_string_equal(info.by, "example.net");
  assert_int_equal(xmppim_stanza_error_set_by(r, NULL), 0);
  assert_int_equal(xmppim_stanza_error_parse(r, &info), 0);
  assert_null(info.by);
  assert_int_equal(xmppim_stanza_error_set_by(r, "\xC0\x80"), XMPPIM_ERR_BAD_UTF8);
  xmppim_stanza_free(r);
  xmppim_stanza *plain = request("<message xmlns='jabber:client'/>");
  assert_int_equal(xmppim_stanza_error_set_by(plain, "x"), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_error_set_by(NULL, "x"), XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_stanza_free(plain);
}

static void app_condition_on_stanza_error(void **state) {
  (void)state;
  xmppim_stanza *r = simple_reply(XMPPIM_STANZA_COND_UNDEFINED_CONDITION);
  xmppim_stanza *app = request("<too-many-subscriptions xmlns='urn:example:pubsub' max='3'>"
                               "<why>limit</why></too-many-subscriptions>");
  assert_int_equal(xmppim_stanza_error_add_app_condition(r, app), 0);
  xmppim_stanza_free(app); /* the reply holds a copy */
  assert_xml(r, "<iq xmlns='jabber:client' to='a@b' id='1' type='error'><error type='cancel'>"
                "<undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                "<too-many-subscriptions xmlns='urn:example:pubsub' max='3'><why>limit</why>"
                "</too-many-subscriptions></error></iq>");
  xmppim_stanza *other = request("<other xmlns='urn:example:other'/>");
  assert_int_equal(xmppim_stanza_error_add_app_condition(r, other), XMPPIM_ERR_INVALID_STATE);
  xmppim_stanza_free(other);
  xmppim_stanza_error_info info;
  assert_int_equal(xmppim_stanza_error_parse(r, &info), 0);
  assert_non_null(info.app_condition);
  assert_string_equal(xmppim_stanza_name(info.app_condition), "too-many-subscriptions");
  assert_string_equal(xmppim_stanza_attr(info.app_condition, "max"), "3");
  xmppim_stanza_free(r);

  /* Only an element with a namespace of its own can be one. */
  const char *bad[] = {"<x/>", "<x xmlns='jabber:client'/>",
                       "<x xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"};
  for (int i = 0; i < 3; i++) {
    r = simple_reply(XMPPIM_STANZA_COND_BAD_REQUEST);
    app = request(bad[i]);
    assert_int_equal(xmppim_stanza_error_add_app_condition(r, app), XMPPIM_ERR_INVALID_ARGUMENT);
    assert_int_equal(xmppim_stanza_error_add_app_condition(r, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
    assert_int_equal(xmppim_stanza_error_add_app_condition(NULL, app), XMPPIM_ERR_INVALID_ARGUMENT);
    xmppim_stanza_free(app);
    xmppim_stanza_free(r);
  }
  app = request("<x xmlns='urn:example:x'/>");
  xmppim_stanza *plain = request("<message xmlns='jabber:client'/>");
  assert_int_equal(xmppim_stanza_error_add_app_condition(plain, app), XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_stanza_free(app);
  /* An element inside another tree: itself and its subtree only, not its
   * siblings, with the namespace it inherited made its own. */
  app = request("<wrap xmlns='urn:example:w'><before/><mid a='1'><in>x</in></mid><after/></wrap>");
  r = simple_reply(XMPPIM_STANZA_COND_NOT_ACCEPTABLE);
  assert_int_equal(xmppim_stanza_error_add_app_condition(
                       r, xmppim_stanza_find_child(app, "mid", NULL)),
                   0);
  assert_xml(r, "<iq xmlns='jabber:client' to='a@b' id='1' type='error'><error type='modify'>"
                "<not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                "<mid xmlns='urn:example:w' a='1'><in>x</in></mid></error></iq>");
  xmppim_stanza_free(r);
  xmppim_stanza_free(plain);
  xmppim_stanza_free(app);
}

/* Every condition, with its usual type: built, serialized, parsed back equal, read back. */
static void all_stanza_conditions_round_trip(void **state) {
  (void)state;
  const char *kinds[] = {"<iq xmlns='jabber:client' type='get' id='i7' from='a@b/r' to='c@d'/>",
                         "<message xmlns='jabber:client' id='m7' from='a@b/r' to='c@d'/>",
                         "<presence xmlns='jabber:server' id='p7' from='a@b/r' to='c@d'/>"};
  for (int k = 0; k < 3; k++) {
    xmppim_stanza *req = request(kinds[k]);
    for (int c = 1; c <= N_STANZA_CONDITIONS; c++) {
      xmppim_stanza_condition cond = (xmppim_stanza_condition)c;
      xmppim_stanza_error_type type = xmppim_stanza_condition_usual_type(cond);
      xmppim_stanza *r;
      assert_int_equal(xmppim_stanza_error_reply(&r, req, type, cond, "why", "en", NULL), 0);
      xmppim_stanza *back = round_trip(r);
      xmppim_stanza_error_info info;
      assert_int_equal(xmppim_stanza_error_parse(back, &info), 0);
      assert_int_equal(info.condition, cond);
      assert_int_equal(info.type, type);
      assert_string_equal(info.text, "why");
      assert_string_equal(info.text_lang, "en");
      assert_null(info.condition_text);
      assert_null(info.by);
      assert_null(info.app_condition);
      assert_int_equal(info.flaws, 0);
      assert_string_equal(xmppim_stanza_attr(back, "id"), xmppim_stanza_attr(req, "id"));
      assert_string_equal(xmppim_stanza_attr(back, "to"), "a@b/r");
      assert_string_equal(xmppim_stanza_attr(back, "from"), "c@d");
      xmppim_stanza_free(back);
      xmppim_stanza_free(r);
    }
    xmppim_stanza_free(req);
  }
}

/* ---- reading stanza errors ---- */

static void parse_stanza_error_details(void **state) {
  (void)state;
  xmppim_stanza *st = parse(
      "<message xmlns='jabber:client' type='error' xml:lang='fr' from='a@b'>"
      "<body>original</body>"
      "<error type='modify' by='b'><redirect xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>"
      "xmpp:c@d</redirect><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Allez</text>"
      "<moved xmlns='urn:example:app'/></error></message>");
  xmppim_stanza_error_info info;
  assert_int_equal(xmppim_stanza_error_parse(st, &info), 0);
  assert_int_equal(info.type, XMPPIM_STANZA_ERROR_TYPE_MODIFY);
  assert_int_equal(info.condition, XMPPIM_STANZA_COND_REDIRECT);
  assert_string_equal(info.condition_text, "xmpp:c@d");
  assert_string_equal(info.text, "Allez");
  assert_string_equal(info.text_lang, "fr"); /* inherited from the stanza */
  assert_string_equal(info.by, "b");
  assert_non_null(info.app_condition);
  assert_string_equal(xmppim_stanza_name(info.app_condition), "moved");
  assert_int_equal(info.flaws, 0);
  xmppim_stanza_free(st);

  /* The text's own xml:lang wins; xml:lang='' means none. */
  st = parse("<iq xmlns='jabber:client' type='error' id='1' xml:lang='fr'><error type='cancel'>"
             "<conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
             "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='de'>Nein</text>"
             "</error></iq>");
  assert_int_equal(xmppim_stanza_error_parse(st, &info), 0);
  assert_string_equal(info.text_lang, "de");
  xmppim_stanza_free(st);
  st = parse("<iq xmlns='jabber:client' type='error' id='1' xml:lang='fr'><error type='cancel'>"
             "<conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
             "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang=''>x</text>"
             "</error></iq>");
  assert_int_equal(xmppim_stanza_error_parse(st, &info), 0);
  assert_null(info.text_lang);
  xmppim_stanza_free(st);
  /* Empty text is no text; children in any order. */
  st = parse("<iq xmlns='jabber:client' type='error' id='1'><error type='cancel'>"
             "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'/>"
             "<app xmlns='urn:x'/><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
             "</error></iq>");
  assert_int_equal(xmppim_stanza_error_parse(st, &info), 0);
  assert_null(info.text);
  assert_null(info.text_lang);
  assert_int_equal(info.condition, XMPPIM_STANZA_COND_CONFLICT);
  assert_non_null(info.app_condition);
  xmppim_stanza_free(st);
}

typedef struct flaw_case {
  const char *xml;
  int rv;
  xmppim_stanza_error_type type;
  xmppim_stanza_condition cond;
} flaw_case;

static void parse_stanza_error_flaws(void **state) {
  (void)state;
#define E(body) "<iq xmlns='jabber:client' type='error' id='1'>" body "</iq>"
#define C(name) "<" name " xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
  const flaw_case cases[] = {
    {E("<error type='cancel'>" C("item-not-found") "</error>"), 0, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
     XMPPIM_STANZA_COND_ITEM_NOT_FOUND},
    {E("<error>" C("item-not-found") "</error>"), XMPPIM_ERROR_FLAW_TYPE_MISSING,
     XMPPIM_STANZA_ERROR_TYPE_UNKNOWN, XMPPIM_STANZA_COND_ITEM_NOT_FOUND},
    {E("<error type='later'>" C("item-not-found") "</error>"), XMPPIM_ERROR_FLAW_TYPE_UNKNOWN,
     XMPPIM_STANZA_ERROR_TYPE_UNKNOWN, XMPPIM_STANZA_COND_ITEM_NOT_FOUND},
    {E("<error type='wait'/>"), XMPPIM_ERROR_FLAW_NO_CONDITION, XMPPIM_STANZA_ERROR_TYPE_WAIT,
     XMPPIM_STANZA_COND_UNDEFINED_CONDITION},
    {E("<error type='wait'><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>t</text></error>"),
     XMPPIM_ERROR_FLAW_NO_CONDITION, XMPPIM_STANZA_ERROR_TYPE_WAIT,
     XMPPIM_STANZA_COND_UNDEFINED_CONDITION},
    {E("<error type='auth'>" C("brand-new-condition") "</error>"),
     XMPPIM_ERROR_FLAW_UNKNOWN_CONDITION, XMPPIM_STANZA_ERROR_TYPE_AUTH,
     XMPPIM_STANZA_COND_UNDEFINED_CONDITION},
    {E("<error type='auth'>" C("undefined-condition") "</error>"), 0, XMPPIM_STANZA_ERROR_TYPE_AUTH,
     XMPPIM_STANZA_COND_UNDEFINED_CONDITION},
    {E("<error type='auth'>" C("forbidden") C("conflict") "</error>"),
     XMPPIM_ERROR_FLAW_EXTRA_CONDITION, XMPPIM_STANZA_ERROR_TYPE_AUTH,
     XMPPIM_STANZA_COND_FORBIDDEN},
    {E("<error type='auth'>" C("forbidden") C("text") C("text") "</error>"),
     XMPPIM_ERROR_FLAW_EXTRA_ELEMENT, XMPPIM_STANZA_ERROR_TYPE_AUTH, XMPPIM_STANZA_COND_FORBIDDEN},
    {E("<error type='auth'>" C("forbidden") "<a xmlns='urn:a'/><b xmlns='urn:b'/></error>"),
     XMPPIM_ERROR_FLAW_EXTRA_ELEMENT, XMPPIM_STANZA_ERROR_TYPE_AUTH, XMPPIM_STANZA_COND_FORBIDDEN},
    /* A condition that lost its namespace is no condition. */
    {E("<error type='cancel'><forbidden/></error>"),
     XMPPIM_ERROR_FLAW_EXTRA_ELEMENT | XMPPIM_ERROR_FLAW_NO_CONDITION,
     XMPPIM_STANZA_ERROR_TYPE_CANCEL, XMPPIM_STANZA_COND_UNDEFINED_CONDITION},
    {E("<error type='cancel'>" C("forbidden") "<x xmlns=''/></error>"),
     XMPPIM_ERROR_FLAW_EXTRA_ELEMENT, XMPPIM_STANZA_ERROR_TYPE_CANCEL, XMPPIM_STANZA_COND_FORBIDDEN},
    {E("<error type='modify'>" C("nope") C("bad-request") "</error>"),
     XMPPIM_ERROR_FLAW_UNKNOWN_CONDITION | XMPPIM_ERROR_FLAW_EXTRA_CONDITION,
     XMPPIM_STANZA_ERROR_TYPE_MODIFY, XMPPIM_STANZA_COND_UNDEFINED_CONDITION},
    {"<iq xmlns='jabber:client' type='result' id='1'><error type='cancel'>" C("conflict")
     "</error></iq>",
     XMPPIM_ERROR_FLAW_NOT_ERROR_TYPE, XMPPIM_STANZA_ERROR_TYPE_CANCEL, XMPPIM_STANZA_COND_CONFLICT},
    {"<message xmlns='jabber:client'><error>" C("x") "</error></message>",
     XMPPIM_ERROR_FLAW_NOT_ERROR_TYPE | XMPPIM_ERROR_FLAW_TYPE_MISSING |
         XMPPIM_ERROR_FLAW_UNKNOWN_CONDITION,
     XMPPIM_STANZA_ERROR_TYPE_UNKNOWN, XMPPIM_STANZA_COND_UNDEFINED_CONDITION},
    /* No <error/> in the stanza's namespace. */
    {E(""), XMPPIM_ERR_NOT_FOUND, XMPPIM_STANZA_ERROR_TYPE_UNKNOWN, XMPPIM_STANZA_COND_NONE},
    {E("<error xmlns='urn:other' type='cancel'>" C("conflict") "</error>"), XMPPIM_ERR_NOT_FOUND,
     XMPPIM_STANZA_ERROR_TYPE_UNKNOWN, XMPPIM_STANZA_COND_NONE},
    {"<message xmlns='jabber:client'><body>x</body></message>", XMPPIM_ERR_NOT_FOUND,
     XMPPIM_STANZA_ERROR_TYPE_UNKNOWN, XMPPIM_STANZA_COND_NONE},
  };
#undef E
#undef C
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    xmppim_stanza *st = parse(cases[i].xml);
    xmppim_stanza_error_info info;
    memset(&info, 0x5A, sizeof(info));
    int rv = xmppim_stanza_error_parse(st, &info);
    if (rv != cases[i].rv || info.type != cases[i].type || info.condition != cases[i].cond)
      fail_msg("case %zu (%s): rv %d type %d condition %d", i, cases[i].xml, rv, info.type,
               info.condition);
    assert_int_equal(info.flaws, rv > 0 ? (unsigned)rv : 0u);
    xmppim_stanza_free(st);
  }
  xmppim_stanza_error_info info;
  xmppim_stanza *st = parse("<iq xmlns='jabber:client'/>");
  assert_int_equal(xmppim_stanza_error_parse(NULL, &info), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_error_parse(st, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_stanza_free(st);
}

/* A stanza error read while the stream parser still owns the tree. */
static void parse_stanza_error_in_stream(void **state) {
  (void)state;
  xmppim_stanza *st = through_stream(
      "<iq type='error' id='x' from='s.example'><error type='cancel'>"
      "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
  xmppim_stanza_error_info info;
  assert_int_equal(xmppim_stanza_error_parse(st, &info), 0);
  assert_int_equal(info.condition, XMPPIM_STANZA_COND_SERVICE_UNAVAILABLE);
  assert_int_equal(info.type, XMPPIM_STANZA_ERROR_TYPE_CANCEL);
  xmppim_stanza_free(st);
}

/* ---- stream errors ---- */

static void stream_error_build_shapes(void **state) {
  (void)state;
  xmppim_stanza *e;
  assert_int_equal(xmppim_stream_error_build(&e, XMPPIM_STREAM_NOT_WELL_FORMED, NULL, NULL, NULL,
                                             NULL),
                   0);
  assert_string_equal(xmppim_stanza_name(e), "error");
  assert_string_equal(xmppim_stanza_ns(e), XMPPIM_NS_STREAMS);
  assert_xml(e, "<error xmlns='http://etherx.jabber.org/streams'><not-well-formed "
                "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></error>");
  char *wire = stream_error_string(e, NS_C);
  assert_string_equal(wire, "<stream:error><not-well-formed "
                            "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
  free(wire);
  xmppim_stanza_free(e);

  xmppim_stanza *app = parse("<escape-your-data xmlns='urn:example:app'><why>x</why>"
                             "</escape-your-data>");
  assert_int_equal(xmppim_stream_error_build(&e, XMPPIM_STREAM_UNDEFINED_CONDITION,
                                             "Something & else", "en", app, NULL),
                   0);
  xmppim_stanza_free(app);
  wire = stream_error_string(e, NS_C);
  assert_string_equal(wire, "<stream:error><undefined-condition "
                            "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text "
                            "xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>"
                            "Something &amp; else</text><escape-your-data xmlns='urn:example:app'>"
                            "<why>x</why></escape-your-data></stream:error>");
  free(wire);
  xmppim_stream_error_info info;
  assert_int_equal(xmppim_stream_error_parse(e, &info), 0);
  assert_int_equal(info.condition, XMPPIM_STREAM_UNDEFINED_CONDITION);
  assert_string_equal(info.text, "Something & else");
  assert_string_equal(info.text_lang, "en");
  assert_null(info.condition_text);
  assert_null(info.see_other_host);
  assert_non_null(info.app_condition);
  assert_string_equal(xmppim_stanza_name(info.app_condition), "escape-your-data");
  xmppim_stanza_free(e);

  /* Text without lang; lang without text; empty text. */
  assert_int_equal(xmppim_stream_error_build(&e, XMPPIM_STREAM_CONFLICT, "replaced", NULL, NULL,
                                             NULL),
                   0);
  assert_int_equal(xmppim_stream_error_parse(e, &info), 0);
  assert_string_equal(info.text, "replaced");
  assert_null(info.text_lang);
  xmppim_stanza_free(e);
  assert_int_equal(xmppim_stream_error_build(&e, XMPPIM_STREAM_CONFLICT, "", "en", NULL, NULL), 0);
  assert_xml(e, "<error xmlns='http://etherx.jabber.org/streams'><conflict "
                "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></error>");
  xmppim_stanza_free(e);
}

static void stream_error_build_refusals(void **state) {
  (void)state;
  xmppim_stanza *e = (xmppim_stanza *)&e;
  assert_int_equal(xmppim_stream_error_build(&e, XMPPIM_STREAM_OK, NULL, NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_null(e);
  assert_int_equal(xmppim_stream_error_build(&e, (xmppim_stream_condition)26, NULL, NULL, NULL,
                                             NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stream_error_build(&e, (xmppim_stream_condition)-1, NULL, NULL, NULL,
                                             NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  /* C4.9.3-c: see-other-host only with its host. */
  assert_int_equal(xmppim_stream_error_build(&e, XMPPIM_STREAM_SEE_OTHER_HOST, NULL, NULL, NULL,
                                             NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stream_error_build(NULL, XMPPIM_STREAM_CONFLICT, NULL, NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  const char *bad_apps[] = {"<x/>", "<x xmlns='http://etherx.jabber.org/streams'/>",
                            "<x xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"};
  for (int i = 0; i < 3; i++) {
    xmppim_stanza *app = parse(bad_apps[i]);
    assert_int_equal(xmppim_stream_error_build(&e, XMPPIM_STREAM_CONFLICT, NULL, NULL, app, NULL),
                     XMPPIM_ERR_INVALID_ARGUMENT);
    assert_null(e);
    xmppim_stanza_free(app);
  }
  failing_mem fm;
  failing_mem_init(&fm, 0);
  assert_int_equal(xmppim_stream_error_build(&e, XMPPIM_STREAM_CONFLICT, "\xED\xA0\x80", NULL,
                                             NULL, &fm.mem),
                   XMPPIM_ERR_BAD_UTF8);
  assert_null(e);
  assert_int_equal(xmppim_stream_error_build(&e, XMPPIM_STREAM_CONFLICT, "x\x01", NULL, NULL,
                                             &fm.mem),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(fm.live, 0);
}

/* Every stream condition: built, serialized both ways, parsed back equal, read back. */
static void all_stream_conditions_round_trip(void **state) {
  (void)state;
  for (int c = 1; c <= N_STREAM_CONDITIONS; c++) {
    xmppim_stream_condition cond = (xmppim_stream_condition)c;
    xmppim_stanza *e;
    if (cond == XMPPIM_STREAM_SEE_OTHER_HOST)
      assert_int_equal(xmppim_stream_error_build_see_other_host(&e, "[2001:db8::1]:5222", "go",
                                                                "en", NULL, NULL),
                       0);
    else
      assert_int_equal(xmppim_stream_error_build(&e, cond, "go", "en", NULL, NULL), 0);
    xmppim_stanza *back = round_trip(e);
    char *wire = stream_error_string(e, NS_C);
    xmppim_stanza *streamed = through_stream(wire);
    free(wire);
    if (!xmppim_stanza_equal(e, streamed))
      fail_msg("%s changed through a stream", xmppim_stream_condition_name(cond));
    xmppim_stanza *views[] = {back, streamed};
    for (int v = 0; v < 2; v++) {
      xmppim_stream_error_info info;
      assert_int_equal(xmppim_stream_error_parse(views[v], &info), 0);
      assert_int_equal(info.condition, cond);
      assert_string_equal(info.text, "go");
      assert_string_equal(info.text_lang, "en");
      assert_null(info.app_condition);
      if (cond == XMPPIM_STREAM_SEE_OTHER_HOST) {
        assert_string_equal(info.see_other_host, "[2001:db8::1]:5222");
        assert_string_equal(info.condition_text, "[2001:db8::1]:5222");
      } else {
        assert_null(info.see_other_host);
        assert_null(info.condition_text);
      }
    }
    xmppim_stanza_free(streamed);
    xmppim_stanza_free(back);
    xmppim_stanza_free(e);
  }
}

static void see_other_host_targets(void **state) {
  (void)state;
  struct {
    const char *target;
    const char *host;
    unsigned port;
  } good[] = {
    {"example.net", "example.net", 0},
    {"example.net:5222", "example.net", 5222},
    {"xmpp2.example.net.", "xmpp2.example.net.", 0},
    {"192.0.2.1", "192.0.2.1", 0},
    {"192.0.2.1:65535", "192.0.2.1", 65535},
    {"[2001:db8::1]", "2001:db8::1", 0},
    {"[::1]:1", "::1", 1},
    {"[::ffff:192.0.2.1]:5269", "::ffff:192.0.2.1", 5269},
    {"b\xC3\xBC" "cher.example", "b\xC3\xBC" "cher.example", 0},
  };
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    const char *h = NULL;
    size_t hl = 0;
    unsigned port = 99;
    if (xmppim_stream_error_split_host(good[i].target, &h, &hl, &port) != 0)
      fail_msg("refused %s", good[i].target);
    assert_int_equal(hl, strlen(good[i].host));
    assert_memory_equal(h, good[i].host, hl);
    assert_int_equal(port, good[i].port);
    assert_int_equal(xmppim_stream_error_split_host(good[i].target, NULL, NULL, NULL), 0);
    xmppim_stanza *e;
    assert_int_equal(xmppim_stream_error_build_see_other_host(&e, good[i].target, NULL, NULL,
                                                              NULL, NULL),
                     0);
    xmppim_stream_error_info info;
    assert_int_equal(xmppim_stream_error_parse(e, &info), 0);
    assert_string_equal(info.see_other_host, good[i].target);
    xmppim_stanza_free(e);
  }
  const char *bad[] = {
    "", ":5222", "example.net:", "example.net:0", "example.net:65536", "example.net:123456",
    "example.net:52a2", "example.net:+52", "2001:db8::1", "[2001:db8::1", "[]", "[::1]5222",
    "[::1]:", "[1.2.3.4]", "[::g]", "two words", "user@example.net", "example.net/path",
    "xmpp://example.net", "tab\there", "a:1:2",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    const char *h = (const char *)bad;
    size_t hl = 7;
    unsigned port = 7;
    if (xmppim_stream_error_split_host(bad[i], &h, &hl, &port) != XMPPIM_ERR_INVALID_ARGUMENT)
      fail_msg("accepted %s", bad[i]);
    assert_ptr_equal(h, (const char *)bad); /* untouched */
    assert_int_equal(hl, 7);
    assert_int_equal(port, 7);
    xmppim_stanza *e = (xmppim_stanza *)&e;
    assert_int_equal(xmppim_stream_error_build_see_other_host(&e, bad[i], NULL, NULL, NULL, NULL),
                     XMPPIM_ERR_INVALID_ARGUMENT);
    assert_null(e);
  }
  assert_int_equal(xmppim_stream_error_split_host(NULL, NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  char *long_host = malloc(1100);
  assert_non_null(long_host);
  memset(long_host, 'a', 1023);
  long_host[1023] = '\0';
  assert_int_equal(xmppim_stream_error_split_host(long_host, NULL, NULL, NULL), 0);
  strcpy(long_host + 1023, "a:5222");
  assert_int_equal(xmppim_stream_error_split_host(long_host, NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  free(long_host);
  xmppim_stanza *e = (xmppim_stanza *)&e;
  assert_int_equal(xmppim_stream_error_build_see_other_host(&e, NULL, NULL, NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_null(e);
  assert_int_equal(xmppim_stream_error_build_see_other_host(NULL, "a.b", NULL, NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
}

static void stream_error_serialize_sizes(void **state) {
  (void)state;
  xmppim_stanza *e;
  assert_int_equal(xmppim_stream_error_build(&e, XMPPIM_STREAM_SYSTEM_SHUTDOWN, "bye", "en", NULL,
                                             NULL),
                   0);
  char *full = stream_error_string(e, NS_C);
  size_t n = strlen(full);
  /* Every too-small buffer gets a NUL-terminated prefix and the full size. */
  char buf[256];
  assert_true(n + 1 < sizeof(buf));
  for (size_t cap = 0; cap <= n + 1; cap++) {
    memset(buf, '#', sizeof(buf));
    size_t need = 0;
    int rv = xmppim_stream_error_serialize(e, NS_C, cap ? buf : NULL, cap, &need);
    assert_int_equal(need, n);
    if (cap == n + 1) {
      assert_int_equal(rv, 0);
      assert_string_equal(buf, full);
    } else {
      assert_int_equal(rv, XMPPIM_ERR_BUFFER_TOO_SMALL);
      if (cap) {
        assert_int_equal(strlen(buf), cap - 1);
        assert_memory_equal(buf, full, cap - 1);
      }
      assert_int_equal(buf[cap], '#'); /* nothing written past cap */
    }
  }
  free(full);
  assert_int_equal(xmppim_stream_error_serialize(NULL, NS_C, buf, sizeof(buf), NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stream_error_serialize(e, NS_C, NULL, 5, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_stanza_free(e);
  xmppim_stanza *other = parse("<error xmlns='jabber:client'/>");
  assert_int_equal(xmppim_stream_error_serialize(other, NS_C, buf, sizeof(buf), NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_stanza_free(other);
  /* An empty one, and a child in no namespace declared against the stream's. */
  other = parse("<error xmlns='http://etherx.jabber.org/streams'>ws<x xmlns=''/></error>");
  assert_int_equal(xmppim_stream_error_serialize(other, NS_C, buf, sizeof(buf), NULL), 0);
  assert_string_equal(buf, "<stream:error><x xmlns=''/></stream:error>");
  xmppim_stanza_free(other);
  other = parse("<error xmlns='http://etherx.jabber.org/streams'/>");
  assert_int_equal(xmppim_stream_error_serialize(other, NS_C, buf, sizeof(buf), NULL), 0);
  assert_string_equal(buf, "<stream:error/>");
  xmppim_stanza_free(other);
}

typedef struct stream_flaw_case {
  const char *xml;
  int rv;
  xmppim_stream_condition cond;
} stream_flaw_case;

static void parse_stream_error_flaws(void **state) {
  (void)state;
#define S(body) "<stream:error xmlns:stream='http://etherx.jabber.org/streams'>" body "</stream:error>"
#define C(name) "<" name " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
  const stream_flaw_case cases[] = {
    {S(C("host-unknown")), 0, XMPPIM_STREAM_HOST_UNKNOWN},
    {S(""), XMPPIM_ERROR_FLAW_NO_CONDITION, XMPPIM_STREAM_UNDEFINED_CONDITION},
    {S("<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>t</text>"),
     XMPPIM_ERROR_FLAW_NO_CONDITION, XMPPIM_STREAM_UNDEFINED_CONDITION},
    /* C4.9.2-b */
    {S(C("quantum-decoherence")), XMPPIM_ERROR_FLAW_UNKNOWN_CONDITION,
     XMPPIM_STREAM_UNDEFINED_CONDITION},
    {S(C("undefined-condition") "<a xmlns='urn:a'/>"), 0, XMPPIM_STREAM_UNDEFINED_CONDITION},
    {S(C("conflict") C("reset")), XMPPIM_ERROR_FLAW_EXTRA_CONDITION, XMPPIM_STREAM_CONFLICT},
    {S(C("conflict") C("text") C("text")), XMPPIM_ERROR_FLAW_EXTRA_ELEMENT, XMPPIM_STREAM_CONFLICT},
    {S(C("conflict") "<a xmlns='urn:a'/><b xmlns='urn:b'/>"), XMPPIM_ERROR_FLAW_EXTRA_ELEMENT,
     XMPPIM_STREAM_CONFLICT},
    {S(C("conflict") "<a/>"), XMPPIM_ERROR_FLAW_EXTRA_ELEMENT, XMPPIM_STREAM_CONFLICT},
    {S(C("conflict") "<stream:a/>"), XMPPIM_ERROR_FLAW_EXTRA_ELEMENT, XMPPIM_STREAM_CONFLICT},
    /* The stanza namespace is not the stream one. */
    {S("<conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"),
     XMPPIM_ERROR_FLAW_NO_CONDITION, XMPPIM_STREAM_UNDEFINED_CONDITION},
    /* C4.9.3-c: see-other-host without a usable host. */
    {S(C("see-other-host")), XMPPIM_ERROR_FLAW_BAD_HOST, XMPPIM_STREAM_SEE_OTHER_HOST},
    {S("<see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>a b</see-other-host>"),
     XMPPIM_ERROR_FLAW_BAD_HOST, XMPPIM_STREAM_SEE_OTHER_HOST},
    {S("<see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>b.example:5223"
       "</see-other-host>"),
     0, XMPPIM_STREAM_SEE_OTHER_HOST},
    /* Not a stream error at all. */
    {"<error xmlns='jabber:client'/>", XMPPIM_ERR_NOT_FOUND, XMPPIM_STREAM_OK},
    {"<stream:features xmlns:stream='http://etherx.jabber.org/streams'/>", XMPPIM_ERR_NOT_FOUND,
     XMPPIM_STREAM_OK},
  };
#undef S
#undef C
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    xmppim_stanza *st = parse(cases[i].xml);
    xmppim_stream_error_info info;
    memset(&info, 0x5A, sizeof(info));
    int rv = xmppim_stream_error_parse(st, &info);
    if (rv != cases[i].rv || info.condition != cases[i].cond)
      fail_msg("case %zu (%s): rv %d condition %d", i, cases[i].xml, rv, info.condition);
    assert_int_equal(info.flaws, rv > 0 ? (unsigned)rv : 0u);
    if (info.condition != XMPPIM_STREAM_SEE_OTHER_HOST || rv != 0) assert_null(info.see_other_host);
    xmppim_stanza_free(st);
  }
  xmppim_stream_error_info info;
  xmppim_stanza *st = parse("<error xmlns='http://etherx.jabber.org/streams'/>");
  assert_int_equal(xmppim_stream_error_parse(NULL, &info), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stream_error_parse(st, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_stanza_free(st);
  /* Condition text on a condition that should have none is reported, not judged. */
  st = parse("<error xmlns='http://etherx.jabber.org/streams'><reset "
             "xmlns='urn:ietf:params:xml:ns:xmpp-streams'>why</reset></error>");
  assert_int_equal(xmppim_stream_error_parse(st, &info), 0);
  assert_string_equal(info.condition_text, "why");
  assert_null(info.see_other_host);
  xmppim_stanza_free(st);
}

/* A deep application-specific element is copied without recursion trouble. */
static void deep_app_condition_copied(void **state) {
  (void)state;
  xmppim_stanza *app, *cur;
  assert_int_equal(xmppim_stanza_new(&app, NULL, "deep", "urn:example:deep"), 0);
  cur = app;
  for (int i = 0; i < 100000; i++) {
    assert_int_equal(xmppim_stanza_add_child(cur, "d", NULL, &cur), 0);
    if (i % 1000 == 0) assert_int_equal(xmppim_stanza_add_text(cur, "t", 1), 0);
  }
  xmppim_stanza *e;
  assert_int_equal(xmppim_stream_error_build(&e, XMPPIM_STREAM_POLICY_VIOLATION, NULL, NULL, app,
                                             NULL),
                   0);
  xmppim_stream_error_info info;
  assert_int_equal(xmppim_stream_error_parse(e, &info), 0);
  /* Walk both chains side by side. */
  const xmppim_stanza *a = app, *b = info.app_condition;
  int depth = 0;
  while (a && b) {
    assert_string_equal(xmppim_stanza_name(a), xmppim_stanza_name(b));
    assert_string_equal(xmppim_stanza_ns(a), xmppim_stanza_ns(b));
    assert_string_equal(xmppim_stanza_text(a), xmppim_stanza_text(b));
    a = xmppim_stanza_first_child(a);
    b = xmppim_stanza_first_child(b);
    depth++;
  }
  assert_null(a);
  assert_null(b);
  assert_int_equal(depth, 100001);
  xmppim_stanza_free(e);
  xmppim_stanza_free(app);
}

/* ---- allocation failures ---- */

typedef int (*build_fn)(const xmppim_stanza *req, const xmppim_stanza *app, xmppim_stanza **out,
                        const xmppim_mem *mem);

static int build_reply(const xmppim_stanza *req, const xmppim_stanza *app, xmppim_stanza **out,
                       const xmppim_mem *mem) {
  (void)app;
  return xmppim_stanza_error_reply(out, req, XMPPIM_STANZA_ERROR_TYPE_MODIFY,
                                   XMPPIM_STANZA_COND_NOT_ACCEPTABLE,
                                   "a text long enough to need its own allocation somewhere",
                                   "en-GB", mem);
}

static int build_reply_echo(const xmppim_stanza *req, const xmppim_stanza *app,
                            xmppim_stanza **out, const xmppim_mem *mem) {
  (void)app;
  return xmppim_stanza_error_reply_echo(out, req, XMPPIM_STANZA_ERROR_TYPE_CANCEL,
                                        XMPPIM_STANZA_COND_GONE, "text", "en", mem);
}

static int build_reply_full(const xmppim_stanza *req, const xmppim_stanza *app,
                            xmppim_stanza **out, const xmppim_mem *mem) {
  int rv = xmppim_stanza_error_reply(out, req, XMPPIM_STANZA_ERROR_TYPE_MODIFY,
                                     XMPPIM_STANZA_COND_REDIRECT, NULL, NULL, mem);
  if (!rv) rv = xmppim_stanza_error_set_uri(*out, "xmpp:somewhere-else@far-away.example.org");
  if (!rv) rv = xmppim_stanza_error_set_by(*out, "a-rather-long-domain-name.example.org");
  if (!rv) rv = xmppim_stanza_error_add_app_condition(*out, app);
  return rv;
}

static int build_stream(const xmppim_stanza *req, const xmppim_stanza *app, xmppim_stanza **out,
                        const xmppim_mem *mem) {
  (void)req;
  return xmppim_stream_error_build(out, XMPPIM_STREAM_INVALID_FROM,
                                   "a text long enough to need its own allocation somewhere",
                                   "en", app, mem);
}

static int build_stream_soh(const xmppim_stanza *req, const xmppim_stanza *app,
                            xmppim_stanza **out, const xmppim_mem *mem) {
  (void)req;
  return xmppim_stream_error_build_see_other_host(out, "other-host.example.org:5222", "moved",
                                                  "en", app, mem);
}

static void allocation_failures(void **state) {
  (void)state;
  xmppim_stanza *req = parse(
      "<message xmlns='jabber:client' from='romeo@example.net/orchard' to='juliet@example.com' "
      "id='a-long-identifier-0123456789'><body>a body long enough to be copied in pieces, and "
      "then some more text</body><x xmlns='urn:example:payload' attr='v'>"
      "<y xmlns='urn:example:inner' a='1' b='2'>deep</y></x></message>");
  xmppim_stanza *app = parse("<app-condition xmlns='urn:example:application' detail='d'>"
                             "<more>nested text in the application condition</more>"
                             "</app-condition>");
  build_fn fns[] = {build_reply, build_reply_echo, build_reply_full, build_stream,
                    build_stream_soh};
  for (size_t f = 0; f < sizeof(fns) / sizeof(fns[0]); f++) {
    long failures = 0;
    for (long n = 1;; n++) {
      failing_mem fm;
      failing_mem_init(&fm, n);
      xmppim_stanza *out = NULL;
      int rv = fns[f](req, app, &out, &fm.mem);
      if (rv == 0) {
        assert_non_null(out);
        assert_true(fm.count < n); /* finished without reaching the failure */
        xmppim_stanza_free(out);
        assert_int_equal(fm.live, 0);
        break;
      }
      assert_int_equal(rv, XMPPIM_ERR_NOMEM);
      /* The builders give nothing back; a setter leaves the tree to free. */
      xmppim_stanza_free(out);
      assert_int_equal(fm.live, 0);
      failures++;
    }
    assert_true(failures > 0);
  }
  xmppim_stanza_free(app);
  xmppim_stanza_free(req);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(stanza_condition_names),
    cmocka_unit_test(error_type_names_and_usual_types),
    cmocka_unit_test(reply_to_iq_swaps_and_keeps_id),
    cmocka_unit_test(reply_to_set_iq),
    cmocka_unit_test(reply_to_message_and_presence),
    cmocka_unit_test(reply_text_and_language),
    cmocka_unit_test(reply_refusals),
    cmocka_unit_test(reply_echoes_payload),
    cmocka_unit_test(reply_keeps_namespace),
    cmocka_unit_test(set_uri_for_gone_and_redirect),
    cmocka_unit_test(set_by_attribute),
    cmocka_unit_test(app_condition_on_stanza_error),
    cmocka_unit_test(all_stanza_conditions_round_trip),
    cmocka_unit_test(parse_stanza_error_details),
    cmocka_unit_test(parse_stanza_error_flaws),
    cmocka_unit_test(parse_stanza_error_in_stream),
    cmocka_unit_test(stream_error_build_shapes),
    cmocka_unit_test(stream_error_build_refusals),
    cmocka_unit_test(all_stream_conditions_round_trip),
    cmocka_unit_test(see_other_host_targets),
    cmocka_unit_test(stream_error_serialize_sizes),
    cmocka_unit_test(parse_stream_error_flaws),
    cmocka_unit_test(deep_app_condition_copied),
    cmocka_unit_test(allocation_failures),
  };
  return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
