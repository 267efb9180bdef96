/*
 * RFC 6120 requirements owned by the XML layer, one test per requirement
 * ID (see ../shared/spec/rfc6121-requirements.md). The receive side runs
 * through the stream parser as a session would use it; the send side
 * through the serializer every outgoing stanza passes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xmppim/stanza.h>

#include "recorder.h"
#include "xml/parser.h"

#define STREAM_OPEN                                                                         \
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "                             \
  "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>"

static char *parse_log(const char *input) {
  recorder r;
  recorder_run(&r, input, strlen(input), 0, NULL);
  char *log = strdup(r.log);
  recorder_free(&r);
  return log;
}

static void assert_refused_with(const char *input, const char *condition) {
  char *log = parse_log(input);
  char want[64];
  snprintf(want, sizeof(want), "X %s\n", condition);
  if (!strstr(log, want)) fail_msg("expected %s for %s, got:\n%s", want, input, log);
  free(log);
}

static void assert_accepted(const char *input) {
  char *log = parse_log(input);
  if (strstr(log, "X ")) fail_msg("refused %s:\n%s", input, log);
  free(log);
}

static char *serialize(const xmppim_stanza *st, const char *ns) {
  size_t need = 0;
  xmppim_stanza_serialize(st, ns, NULL, 0, &need);
  char *s = malloc(need + 1);
  assert_int_equal(xmppim_stanza_serialize(st, ns, s, need + 1, NULL), 0);
  return s;
}

/* C4.8.1-a: the stream element is qualified by the streams namespace. */
static void C4_8_1_a_stream_namespace(void **state) {
  (void)state;
  assert_accepted(STREAM_OPEN);
  assert_refused_with("<stream:stream xmlns='jabber:client' xmlns:stream='http://example.com/streams'>",
                      "invalid-namespace");
  assert_refused_with("<stream xmlns='jabber:client'>", "invalid-namespace");
}

/* C4.8.2-a: content namespace as the default namespace, and the
 * prefix-free canonical form, are both valid. */
static void C4_8_2_a_default_namespace_forms(void **state) {
  (void)state;
  char *log = parse_log(STREAM_OPEN "<message><body>x</body></message>");
  assert_non_null(strstr(log, "ns=jabber:client"));
  assert_non_null(strstr(log, "S <message xmlns='jabber:client'><body>x</body></message>"));
  free(log);
  log = parse_log("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>"
                  "<message xmlns='jabber:client'><body>x</body></message>");
  assert_non_null(strstr(log, "S <message xmlns='jabber:client'><body>x</body></message>"));
  free(log);
}

/* C4.8.5-a: other prefixes for the stream namespace MAY be refused; this
 * library accepts them and reports the prefix. */
static void C4_8_5_a_stream_prefix(void **state) {
  (void)state;
  char *log = parse_log("<foo:stream xmlns:foo='http://etherx.jabber.org/streams' xmlns='jabber:client'>"
                        "<presence/></foo:stream>");
  assert_non_null(strstr(log, "prefix=foo"));
  assert_non_null(strstr(log, "S <presence xmlns='jabber:client'/>"));
  free(log);
}

/* C4.8.5-b: no prefixes for jabber:client / jabber:server, received or sent. */
static void C4_8_5_b_no_content_prefixes(void **state) {
  (void)state;
  assert_refused_with(STREAM_OPEN "<c:message xmlns:c='jabber:client'/>", "bad-namespace-prefix");
  assert_refused_with(STREAM_OPEN "<s:iq xmlns:s='jabber:server'/>", "bad-namespace-prefix");
  /* Generation: a tree that came in with prefixes goes out without them. */
  xmppim_stanza *st;
  const char *xml = "<c:message xmlns:c='jabber:client'><c:body>b</c:body></c:message>";
  assert_int_equal(xmppim_stanza_parse(&st, xml, strlen(xml), NULL, NULL), 0);
  char *out = serialize(st, "jabber:client");
  assert_string_equal(out, "<message><body>b</body></message>");
  free(out);
  xmppim_stanza_free(st);
}

/* C4.8.5-c: extension namespaces declared on the header are refused. */
static void C4_8_5_c_no_extension_namespaces_on_header(void **state) {
  (void)state;
  assert_refused_with("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
                      "xmlns:x='jabber:x:data'>",
                      "invalid-namespace");
}

/* C11.1-b: comments, PIs, DTDs, other entity references: restricted-xml. */
static void C11_1_b_restricted_xml_refused(void **state) {
  (void)state;
  assert_refused_with(STREAM_OPEN "<!--c-->", "restricted-xml");
  assert_refused_with(STREAM_OPEN "<message><?pi?></message>", "restricted-xml");
  assert_refused_with("<!DOCTYPE x>" STREAM_OPEN, "restricted-xml");
  assert_refused_with("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e 'v'>]>" STREAM_OPEN, "restricted-xml");
  assert_refused_with(STREAM_OPEN "<message>&nbsp;</message>", "restricted-xml");
  /* Character references are not entity references and stay legal. */
  assert_accepted(STREAM_OPEN "<message>&#160;&#xA0;&amp;&lt;&gt;&apos;&quot;</message>");
}

static unsigned seed = 7;
static unsigned rnd(unsigned n) {
  seed = seed * 1103515245u + 12345u;
  return (seed >> 16) % n;
}
static const char *const texts[] = {"a&b", "<!-- not a comment -->", "<?pi?>", "<!DOCTYPE x>",
                                    "&nbsp;", "]]>", "'\"", "\xef\xbb\xbf", "\r\n\t"};

static xmppim_stanza *random_stanza(void) {
  xmppim_stanza *st;
  assert_int_equal(xmppim_stanza_new(&st, NULL, "message", "jabber:client"), 0);
  for (int i = 0; i < 6; i++) {
    xmppim_stanza *c;
    assert_int_equal(xmppim_stanza_add_child(st, "x", rnd(2) ? "urn:a" : NULL, &c), 0);
    assert_int_equal(xmppim_stanza_set_attr(c, "v", texts[rnd(9)]), 0);
    const char *t = texts[rnd(9)];
    assert_int_equal(xmppim_stanza_add_text(c, t, strlen(t)), 0);
  }
  return st;
}

/* C11.1-a: what we send never holds a comment, PI, DTD or entity reference
 * other than the predefined five (character references aside), even when
 * the text itself looks like markup. C11.6-a: and never a byte order mark. */
static void C11_1_a_and_C11_6_a_serializer_emits_no_restricted_xml(void **state) {
  (void)state;
  for (int n = 0; n < 200; n++) {
    xmppim_stanza *st = random_stanza();
    char *out = serialize(st, "jabber:client");
    assert_null(strstr(out, "<!--"));
    assert_null(strstr(out, "<?"));
    assert_null(strstr(out, "<!"));
    assert_false(out[0] == '\xef' && out[1] == '\xbb' && out[2] == '\xbf');
    for (const char *amp = strchr(out, '&'); amp; amp = strchr(amp + 1, '&')) {
      if (strncmp(amp, "&amp;", 5) && strncmp(amp, "&lt;", 4) && strncmp(amp, "&gt;", 4) &&
          strncmp(amp, "&apos;", 6) && strncmp(amp, "&quot;", 6) && strncmp(amp, "&#", 2))
        fail_msg("entity reference in %s", out);
    }
    free(out);
    xmppim_stanza_free(st);
  }
}

/* C11.3-a: never generate, never accept not-well-formed XML. */
static void C11_3_a_well_formed_both_ways(void **state) {
  (void)state;
  for (int n = 0; n < 200; n++) {
    xmppim_stanza *st = random_stanza(), *back = NULL;
    char *out = serialize(st, NULL);
    assert_int_equal(xmppim_stanza_parse(&back, out, strlen(out), NULL, NULL), 0);
    assert_true(xmppim_stanza_equal(st, back));
    free(out);
    xmppim_stanza_free(st);
    xmppim_stanza_free(back);
  }
  assert_refused_with(STREAM_OPEN "<message></presence>", "not-well-formed");
  assert_refused_with(STREAM_OPEN "<message a='1' a='1'/>", "not-well-formed");
  assert_refused_with(STREAM_OPEN "<message a=1/>", "not-well-formed");
}

/* C11.3-b: namespace-ill-formed input closes the stream (not-well-formed). */
static void C11_3_b_namespace_well_formed(void **state) {
  (void)state;
  assert_refused_with(STREAM_OPEN "<message><undeclared:x/></message>", "not-well-formed");
  assert_refused_with(STREAM_OPEN "<message undeclared:a='v'/>", "not-well-formed");
}

/* C11.5-a: standalone='no' in the XML declaration is ignored. */
static void C11_5_a_standalone_ignored(void **state) {
  (void)state;
  assert_accepted("<?xml version='1.0' standalone='no'?><stream:stream xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams'>");
  assert_accepted("<?xml version='1.0' encoding='UTF-8'?><stream:stream xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams'>");
}

/* C11.6-a: UTF-8 only; other encodings are unsupported-encoding; U+FEFF is
 * an ordinary character inside text. */
static void C11_6_a_utf8_only(void **state) {
  (void)state;
  assert_refused_with("<?xml version='1.0' encoding='UTF-16'?><stream:stream xmlns='jabber:client' "
                      "xmlns:stream='http://etherx.jabber.org/streams'>",
                      "unsupported-encoding");
  assert_refused_with(STREAM_OPEN "<message><body>\xe9t\xe9</body></message>", "unsupported-encoding");
  char *log = parse_log(STREAM_OPEN "<message><body>a\xef\xbb\xbf" "b</body></message>");
  assert_non_null(strstr(log, "<body>a\xef\xbb\xbf" "b</body>"));
  free(log);
}

/* C11.7-a: whitespace between first-level elements is accepted. */
static void C11_7_a_whitespace_between_stanzas(void **state) {
  (void)state;
  char *log = parse_log(STREAM_OPEN "\n  <presence/>\n\t<presence/> ");
  assert_null(strstr(log, "X "));
  assert_non_null(strstr(log, "W 3\nS <presence"));
  free(log);
}

/* C13.12-b: a configurable stanza size limit, never below 10000 bytes,
 * enforced with policy-violation. */
static void C13_12_b_stanza_size_limit(void **state) {
  (void)state;
  xmppim_parser_limits lim;
  xmppim_parser_limits_default(&lim);
  lim.max_stanza_bytes = 20000;
  size_t big = 30000;
  char *input = malloc(strlen(STREAM_OPEN) + big + 64);
  if (!input) {
    fail_msg("out of memory");
    return;
  }
  char *p = input + sprintf(input, STREAM_OPEN "<message><body>");
  memset(p, 'x', big);
  strcpy(p + big, "</body></message>");
  recorder r;
  recorder_run(&r, input, strlen(input), 0, &lim);
  assert_non_null(strstr(r.log, "X policy-violation\n"));
  recorder_free(&r);
  free(input);
  lim.max_stanza_bytes = 9999;
  xmppim_parser *parser;
  assert_int_equal(xmppim_parser_new(&parser, NULL, NULL, &lim, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(C4_8_1_a_stream_namespace),
    cmocka_unit_test(C4_8_2_a_default_namespace_forms),
    cmocka_unit_test(C4_8_5_a_stream_prefix),
    cmocka_unit_test(C4_8_5_b_no_content_prefixes),
    cmocka_unit_test(C4_8_5_c_no_extension_namespaces_on_header),
    cmocka_unit_test(C11_1_b_restricted_xml_refused),
    cmocka_unit_test(C11_1_a_and_C11_6_a_serializer_emits_no_restricted_xml),
    cmocka_unit_test(C11_3_a_well_formed_both_ways),
    cmocka_unit_test(C11_3_b_namespace_well_formed),
    cmocka_unit_test(C11_5_a_standalone_ignored),
    cmocka_unit_test(C11_6_a_utf8_only),
    cmocka_unit_test(C11_7_a_whitespace_between_stanzas),
    cmocka_unit_test(C13_12_b_stanza_size_limit),
  };
  return cmocka_run_group_tests_name("rfc6120-xml", tests, NULL, NULL);
}
