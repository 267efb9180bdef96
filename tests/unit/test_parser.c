/*
 * The XMPP stream parser: events, chunking invariance, every refused
 * construct with its stream error condition, limits, restarts, pause.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "failing_mem.h"
#include "recorder.h"
#include "xml/parser.h"

#define HEADER                                                                             \
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "                            \
  "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0' "      \
  "xml:lang='en'>"

/* Runs the input whole, byte by byte and in random pieces; all must agree. */
static char *run_all_ways(const char *data, size_t len, const xmppim_parser_limits *limits) {
  recorder whole;
  recorder_run(&whole, data, len, 0, limits);
  unsigned chunkings[] = {1, 2, 7, 1234, 99991};
  for (size_t i = 0; i < sizeof(chunkings) / sizeof(chunkings[0]); i++) {
    recorder r;
    recorder_run(&r, data, len, chunkings[i], limits);
    if (strcmp(r.log, whole.log) != 0)
      fail_msg("chunking %u differs:\n--- whole\n%s--- pieces\n%s", chunkings[i], whole.log, r.log);
    recorder_free(&r);
  }
  char *log = strdup(whole.log);
  recorder_free(&whole);
  return log;
}

static void expect_log(const char *input, const char *expected) {
  char *log = run_all_ways(input, strlen(input), NULL);
  assert_string_equal(log, expected);
  free(log);
}

/* The last line of the log must be "X <condition>". */
static void expect_refused_n(const char *input, size_t len, xmppim_stream_condition cond,
                             const xmppim_parser_limits *limits) {
  char *log = run_all_ways(input, len, limits);
  char want[64];
  snprintf(want, sizeof(want), "X %s\n", xmppim_stream_condition_name(cond));
  size_t n = strlen(log), w = strlen(want);
  if (n < w || strcmp(log + n - w, want) != 0) fail_msg("expected %s got:\n%s", want, log);
  free(log);
}

static void expect_refused(const char *input, xmppim_stream_condition cond) {
  expect_refused_n(input, strlen(input), cond, NULL);
}

/* C4.1-a, C4.1-b: header, depth-1 stanzas, whitespace, stream end. */
static void stream_events(void **state) {
  (void)state;
  expect_log(HEADER " <message to='a@b' type='chat'><body>hi</body></message>\n\t<presence/>"
                    "<iq type='get' id='1'><query xmlns='jabber:iq:roster'/></iq> </stream:stream>",
             "H to=example.com from=- id=- version=1.0 lang=en ns=jabber:client prefix=stream\n"
             "W 1\n"
             "S <message xmlns='jabber:client' to='a@b' type='chat'><body>hi</body></message>\n"
             "W 2\n"
             "S <presence xmlns='jabber:client'/>\n"
             "S <iq xmlns='jabber:client' type='get' id='1'><query xmlns='jabber:iq:roster'/></iq>\n"
             "W 1\n"
             "E\n");
}

/* C4.8.2-a: the stream namespace as the default, content in a prefix-free
 * canonical form, and a server-side header with from/id. */
static void header_variants(void **state) {
  (void)state;
  expect_log("<stream xmlns='http://etherx.jabber.org/streams' from='example.com' id='abc'>"
             "<message xmlns='jabber:server'/></stream>",
             "H to=- from=example.com id=abc version=- lang=- ns=http://etherx.jabber.org/streams prefix=-\n"
             "S <message xmlns='jabber:server'/>\n"
             "E\n");
  expect_log("<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:server' "
             "xmlns:db='jabber:server:dialback'></s:stream>",
             "H to=- from=- id=- version=- lang=- ns=jabber:server prefix=s\n"
             "E\n");
  /* A header that closes itself opens no stream worth having. */
  expect_log("<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:server'/>",
             "X bad-format\n");
}

static void text_entities_cdata_and_char_refs(void **state) {
  (void)state;
  expect_log(HEADER "<message a='&amp;&lt;&gt;&quot;&apos;&#38;&#x41;'><body>&amp;&#169;&#x1F600;"
                    "<![CDATA[<&>]]>caf\xc3\xa9</body></message>",
             "H to=example.com from=- id=- version=1.0 lang=en ns=jabber:client prefix=stream\n"
             "S <message xmlns='jabber:client' a='&amp;&lt;&gt;&quot;&apos;&amp;A'><body>&amp;\xc2\xa9"
             "\xf0\x9f\x98\x80&lt;&amp;&gt;caf\xc3\xa9</body></message>\n");
}

/* A generated corpus: every split point gives the same events. */
static void chunking_invariance_generated_corpus(void **state) {
  (void)state;
  static const char *const bodies[] = {"hello", "a &amp; b &lt;c&gt;", "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87",
                                       "\xf0\x9f\x98\x80\xf0\x9f\x98\x81", "&#x1F600;&#233;", "<![CDATA[x<y]]>",
                                       "line\r\nbreak", "   "};
  unsigned seed = 42;
  for (int doc = 0; doc < 30; doc++) {
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    len += (size_t)snprintf(buf + len, cap - len, "%s", HEADER);
    for (int i = 0; i < 40; i++) {
      seed = seed * 1103515245u + 12345u;
      unsigned r = (seed >> 16) % 100;
      const char *body = bodies[(seed >> 8) % 8];
      if (r < 50)
        len += (size_t)snprintf(buf + len, cap - len,
                                "<message to='u%u@example.com/r' id='m%d' type='chat'><body>%s</body>"
                                "<active xmlns='http://jabber.org/protocol/chatstates'/></message>",
                                r, i, body);
      else if (r < 80)
        len += (size_t)snprintf(buf + len, cap - len,
                                "<presence><show>away</show><status xml:lang='en'>%s</status>"
                                "<priority>%d</priority><c xmlns='http://jabber.org/protocol/caps' "
                                "hash='sha-1' node='n' ver='v%u='/></presence>",
                                body, (int)r - 90, r);
      else if (r < 95)
        len += (size_t)snprintf(buf + len, cap - len,
                                "<iq type='set' id='p%d'><query xmlns='jabber:iq:roster' ver='v%d'>"
                                "<item jid='c%u@example.net' name='N &amp; M' subscription='both'>"
                                "<group>G%u</group></item></query></iq>",
                                i, i, r, r);
      else
        len += (size_t)snprintf(buf + len, cap - len, "%s", r & 1 ? " " : "\n\n  ");
    }
    len += (size_t)snprintf(buf + len, cap - len, "</stream:stream>");
    char *log = run_all_ways(buf, len, NULL);
    assert_null(strstr(log, "X "));
    assert_non_null(strstr(log, "\nE\n"));
    free(log);
    free(buf);
  }
}

/* C11.1-a/C11.1-b: comments, processing instructions, DTDs and entity
 * references other than the predefined five are refused with restricted-xml. */
static void restricted_xml(void **state) {
  (void)state;
  expect_refused(HEADER "<message><!-- hidden --></message>", XMPPIM_STREAM_RESTRICTED_XML);
  expect_refused(HEADER "<!-- at stream level -->", XMPPIM_STREAM_RESTRICTED_XML);
  expect_refused("<!-- before the stream -->" HEADER, XMPPIM_STREAM_RESTRICTED_XML);
  expect_refused(HEADER "<message><?php echo 1; ?></message>", XMPPIM_STREAM_RESTRICTED_XML);
  expect_refused("<?xml version='1.0'?><?xml-stylesheet href='a'?>" HEADER, XMPPIM_STREAM_RESTRICTED_XML);
  expect_refused("<!DOCTYPE stream:stream>" HEADER, XMPPIM_STREAM_RESTRICTED_XML);
  expect_refused("<?xml version='1.0'?><!DOCTYPE s [<!ELEMENT s ANY>]><s/>", XMPPIM_STREAM_RESTRICTED_XML);
  expect_refused(HEADER "<message><body>&unknown;</body></message>", XMPPIM_STREAM_RESTRICTED_XML);
  expect_refused(HEADER "<message to='&unknown;'/>", XMPPIM_STREAM_RESTRICTED_XML);
}

static void billion_laughs_and_external_entities(void **state) {
  (void)state;
  expect_refused("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
                 "<!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
                 "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>]>"
                 "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
                 "<message><body>&lol3;</body></message>",
                 XMPPIM_STREAM_RESTRICTED_XML);
  expect_refused("<?xml version='1.0'?><!DOCTYPE s [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>"
                 "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
                 "<message><body>&xxe;</body></message>",
                 XMPPIM_STREAM_RESTRICTED_XML);
  /* Without the DTD the reference is just an unknown entity. */
  expect_refused(HEADER "<message><body>&xxe;</body></message>", XMPPIM_STREAM_RESTRICTED_XML);
}

/* C11.3-a, C11.3-b: not well-formed or namespace-ill-formed input. */
static void not_well_formed(void **state) {
  (void)state;
  expect_refused(HEADER "<message><body></message>", XMPPIM_STREAM_NOT_WELL_FORMED);
  expect_refused(HEADER "<message a='1' a='2'/>", XMPPIM_STREAM_NOT_WELL_FORMED);
  expect_refused(HEADER "<message><x:body/></message>", XMPPIM_STREAM_NOT_WELL_FORMED);
  expect_refused(HEADER "<message x:a='1'/>", XMPPIM_STREAM_NOT_WELL_FORMED);
  expect_refused(HEADER "<message>a < b</message>", XMPPIM_STREAM_NOT_WELL_FORMED);
  expect_refused(HEADER "</stream:stream><message/>", XMPPIM_STREAM_NOT_WELL_FORMED);
  expect_refused("hello" HEADER, XMPPIM_STREAM_NOT_WELL_FORMED);
  expect_refused(HEADER "<message><body>x\x01y</body></message>", XMPPIM_STREAM_NOT_WELL_FORMED);
}

/* A NUL byte is refused, not taken for the end of the input. */
static void nul_byte(void **state) {
  (void)state;
  static const char input[] = HEADER "<message><body>a\0b</body></message>";
  expect_refused_n(input, sizeof(input) - 1, XMPPIM_STREAM_NOT_WELL_FORMED, NULL);
}

/* C4.8.1-a: the stream element must be in the streams namespace.
 * C4.8.5-c: no extension namespaces declared on the header. */
static void invalid_namespace(void **state) {
  (void)state;
  expect_refused("<stream:stream xmlns='jabber:client' xmlns:stream='urn:wrong'>",
                 XMPPIM_STREAM_INVALID_NAMESPACE);
  expect_refused("<stream xmlns='jabber:client'>", XMPPIM_STREAM_INVALID_NAMESPACE);
  expect_refused("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
                 "xmlns:ext='urn:extension'>",
                 XMPPIM_STREAM_INVALID_NAMESPACE);
  expect_refused("<stream:features xmlns:stream='http://etherx.jabber.org/streams'>",
                 XMPPIM_STREAM_BAD_FORMAT);
}

/* C4.8.5-b: jabber:client content with a prefix. */
static void bad_namespace_prefix(void **state) {
  (void)state;
  expect_refused(HEADER "<cl:message xmlns:cl='jabber:client'/>", XMPPIM_STREAM_BAD_NAMESPACE_PREFIX);
  expect_refused(HEADER "<sv:presence xmlns:sv='jabber:server'/>", XMPPIM_STREAM_BAD_NAMESPACE_PREFIX);
}

/* C11.6-a: UTF-8 only; anything else is unsupported-encoding. */
static void unsupported_encoding(void **state) {
  (void)state;
  expect_refused("<?xml version='1.0' encoding='ISO-8859-1'?><stream:stream xmlns='jabber:client' "
                 "xmlns:stream='http://etherx.jabber.org/streams'>",
                 XMPPIM_STREAM_UNSUPPORTED_ENCODING);
  static const char utf16_bom[] = "\xff\xfe<\0s\0";
  expect_refused_n(utf16_bom, sizeof(utf16_bom) - 1, XMPPIM_STREAM_UNSUPPORTED_ENCODING, NULL);
  static const char utf16_be[] = "\0<\0s";
  expect_refused_n(utf16_be, sizeof(utf16_be) - 1, XMPPIM_STREAM_UNSUPPORTED_ENCODING, NULL);
  static const char utf16_le[] = "<\0s\0";
  expect_refused_n(utf16_le, sizeof(utf16_le) - 1, XMPPIM_STREAM_UNSUPPORTED_ENCODING, NULL);
  expect_refused(HEADER "<message><body>caf\xe9</body></message>", XMPPIM_STREAM_UNSUPPORTED_ENCODING);
  expect_refused(HEADER "<message><body>\xc0\xaf</body></message>", XMPPIM_STREAM_UNSUPPORTED_ENCODING);
  expect_refused(HEADER "<message><body>\xed\xa0\x80</body></message>", XMPPIM_STREAM_UNSUPPORTED_ENCODING);
  expect_refused(HEADER "<message><body>\xf4\x90\x80\x80</body></message>", XMPPIM_STREAM_UNSUPPORTED_ENCODING);
  expect_refused(HEADER "<message to='\xe2\x82'/>", XMPPIM_STREAM_UNSUPPORTED_ENCODING);
  /* A UTF-8 byte order mark is tolerated (U+FEFF), and split sequences are fine. */
  expect_log("\xef\xbb\xbf" HEADER "<message><body>\xe2\x82\xac</body></message>",
             "H to=example.com from=- id=- version=1.0 lang=en ns=jabber:client prefix=stream\n"
             "S <message xmlns='jabber:client'><body>\xe2\x82\xac</body></message>\n");
}

/* The streams schema has no character data at depth 1. */
static void text_at_stream_level(void **state) {
  (void)state;
  expect_refused(HEADER "  hello <message/>", XMPPIM_STREAM_INVALID_XML);
  expect_refused(HEADER "<message/>&amp;", XMPPIM_STREAM_INVALID_XML);
  expect_refused(HEADER "<![CDATA[x]]>", XMPPIM_STREAM_INVALID_XML);
}

/* C13.12-b: stanza size, depth and attribute limits give policy-violation. */
static void limits(void **state) {
  (void)state;
  xmppim_parser_limits lim;
  xmppim_parser_limits_default(&lim);
  assert_int_equal(lim.max_stanza_bytes, 256 * 1024);
  lim.max_stanza_bytes = 10000;
  /* Exactly at the limit passes, one byte more fails. */
  static char at_limit[11000], over[11000];
  const char *open = "<message><body>", *close = "</body></message>";
  size_t fixed = strlen(open) + strlen(close);
  snprintf(at_limit, sizeof(at_limit), HEADER "%s%0*d%s", open, (int)(10000 - fixed), 0, close);
  snprintf(over, sizeof(over), HEADER "%s%0*d%s", open, (int)(10001 - fixed), 0, close);
  char *log = run_all_ways(at_limit, strlen(at_limit), &lim);
  assert_null(strstr(log, "X "));
  assert_non_null(strstr(log, "S <message"));
  free(log);
  expect_refused_n(over, strlen(over), XMPPIM_STREAM_POLICY_VIOLATION, &lim);

  xmppim_parser_limits_default(&lim);
  lim.max_depth = 4; /* stream=0, message=1, a=2, b=3, c=4 */
  log = run_all_ways(HEADER "<message><a><b><c/></b></a></message>", strlen(HEADER) + 37, &lim);
  assert_null(strstr(log, "X "));
  free(log);
  expect_refused_n(HEADER "<message><a><b><c><d/></c></b></a></message>", strlen(HEADER) + 44,
                   XMPPIM_STREAM_POLICY_VIOLATION, &lim);

  xmppim_parser_limits_default(&lim);
  lim.max_attributes = 6; /* namespace declarations count: the header has 5 */
  expect_refused_n(HEADER "<message a='1' b='2' c='3' d='4' e='5' xmlns:f='urn:f' g='7'/>",
                   strlen(HEADER) + 62, XMPPIM_STREAM_POLICY_VIOLATION, &lim);
  log = run_all_ways(HEADER "<message a='1' b='2' c='3' d='4' e='5' xmlns:f='urn:f'/>",
                     strlen(HEADER) + 56, &lim);
  assert_null(strstr(log, "X "));
  free(log);
}

static void ten_thousand_nested_elements(void **state) {
  (void)state;
  size_t n = 10000, len = strlen(HEADER) + n * 3;
  char *buf = malloc(len + 1);
  strcpy(buf, HEADER);
  for (size_t i = 0; i < n; i++) memcpy(buf + strlen(HEADER) + i * 3, "<a>", 3);
  buf[len] = '\0';
  expect_refused_n(buf, len, XMPPIM_STREAM_POLICY_VIOLATION, NULL);
  free(buf);
}

/* A 10 MB attribute is refused once the stanza limit is passed, long before
 * the whole value has been buffered. */
static void ten_megabyte_attribute(void **state) {
  (void)state;
  size_t n = 10 * 1024 * 1024;
  size_t len = strlen(HEADER) + strlen("<message a='") + n + strlen("'/>");
  char *buf = malloc(len + 1);
  char *p = buf;
  p += sprintf(p, "%s<message a='", HEADER);
  memset(p, 'x', n);
  p += n;
  strcpy(p, "'/>");
  recorder r;
  recorder_run(&r, buf, len, 0, NULL);
  assert_non_null(strstr(r.log, "X policy-violation\n"));
  recorder_free(&r);
  recorder_run(&r, buf, len, 99991, NULL);
  assert_non_null(strstr(r.log, "X policy-violation\n"));
  recorder_free(&r);
  free(buf);
}

/* A stream cut off in the middle is reported at EOF; a closed one is not. */
static void truncated_stream(void **state) {
  (void)state;
  recorder r;
  const char *cut = HEADER "<message><body>hel";
  recorder_run(&r, cut, strlen(cut), 0, NULL);
  assert_null(strstr(r.log, "X "));
  assert_int_equal(xmppim_parser_is_idle(r.parser), 0);
  assert_int_equal(xmppim_parser_eof(r.parser), XMPPIM_ERR_STREAM);
  assert_int_equal(xmppim_parser_condition(r.parser), XMPPIM_STREAM_NOT_WELL_FORMED);
  recorder_free(&r);
  const char *whole = HEADER "<message/></stream:stream>";
  recorder_run(&r, whole, strlen(whole), 1, NULL);
  assert_int_equal(xmppim_parser_eof(r.parser), 0);
  recorder_free(&r);
}

static void feeding_after_an_error_is_refused(void **state) {
  (void)state;
  recorder r;
  const char *bad = HEADER "<!-- x -->";
  recorder_run(&r, bad, strlen(bad), 0, NULL);
  assert_int_equal(r.result, XMPPIM_ERR_STREAM);
  assert_true(strlen(xmppim_parser_error_text(r.parser)) > 0);
  assert_int_equal(xmppim_parser_feed(r.parser, "<a/>", 4), XMPPIM_ERR_INVALID_STATE);
  /* A reset makes it usable again. */
  xmppim_parser_reset(r.parser);
  assert_int_equal(xmppim_parser_feed(r.parser, HEADER, strlen(HEADER)), (long)strlen(HEADER));
  assert_non_null(xmppim_parser_header(r.parser));
  recorder_free(&r);
}

/* A whitespace keepalive is reported when it arrives, not when the next
 * stanza does (C4.6-a). */
static int ws_count;
static int count_ws(void *ud, size_t n) {
  (void)ud;
  ws_count += (int)n;
  return 0;
}
static void keepalive_reported_promptly(void **state) {
  (void)state;
  xmppim_parser_callbacks cb = {NULL, NULL, count_ws, NULL};
  xmppim_parser *p;
  assert_int_equal(xmppim_parser_new(&p, &cb, NULL, NULL, NULL), 0);
  assert_int_equal(xmppim_parser_feed(p, HEADER "<presence/>", strlen(HEADER) + 11), (long)strlen(HEADER) + 11);
  ws_count = 0;
  assert_int_equal(xmppim_parser_feed(p, " ", 1), 1);
  assert_int_equal(ws_count, 1);
  assert_int_equal(xmppim_parser_feed(p, " ", 1), 1);
  assert_int_equal(ws_count, 2);
  assert_true(xmppim_parser_is_idle(p));
  assert_int_equal(xmppim_parser_feed(p, "<presence/>", 11), 11);
  assert_int_equal(ws_count, 2); /* not counted twice */
  xmppim_parser_free(p);
}

/* C4.3.3-a: after <success/> or <proceed/> the stream restarts; the
 * parser stops right after that element so the rest can go elsewhere. */
typedef struct restart_ctx {
  xmppim_parser *p;
  int headers, stanzas;
} restart_ctx;
static int restart_header(void *ud, const xmppim_stream_header *h) {
  (void)h;
  ((restart_ctx *)ud)->headers++;
  return 0;
}
static int restart_stanza(void *ud, xmppim_stanza *st) {
  restart_ctx *c = ud;
  c->stanzas++;
  if (strcmp(xmppim_stanza_name(st), "proceed") == 0) xmppim_parser_reset(c->p);
  return 0;
}
static void reset_inside_callback_stops_after_element(void **state) {
  (void)state;
  restart_ctx c = {NULL, 0, 0};
  xmppim_parser_callbacks cb = {restart_header, restart_stanza, NULL, NULL};
  assert_int_equal(xmppim_parser_new(&c.p, &cb, &c, NULL, NULL), 0);
  const char *first = HEADER "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
  char input[1024];
  snprintf(input, sizeof(input), "%s\x16\x03\x01 TLS bytes", first);
  long rv = xmppim_parser_feed(c.p, input, strlen(input));
  assert_int_equal(rv, (long)strlen(first));
  assert_int_equal(c.headers, 1);
  assert_int_equal(c.stanzas, 1);
  assert_null(xmppim_parser_header(c.p)); /* a new stream is expected */
  rv = xmppim_parser_feed(c.p, HEADER "<message/>", strlen(HEADER) + 10);
  assert_int_equal(rv, (long)strlen(HEADER) + 10);
  assert_int_equal(c.headers, 2);
  assert_int_equal(c.stanzas, 2);
  xmppim_parser_free(c.p);
}

/* After a restart, whitespace the peer wrote after the element that ended
 * the old stream ("</auth>\n", "<starttls/>\n") comes before the new
 * header's XML declaration: it is skipped, in the same feed as the
 * declaration or in one of its own, and the new stream is accepted. */
static void whitespace_before_restarted_header(void **state) {
  (void)state;
  restart_ctx c = {NULL, 0, 0};
  xmppim_parser_callbacks cb = {restart_header, restart_stanza, NULL, NULL};
  assert_int_equal(xmppim_parser_new(&c.p, &cb, &c, NULL, NULL), 0);
  const char *first = HEADER "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
  char input[1024];
  snprintf(input, sizeof(input), "%s\n", first);
  assert_int_equal(xmppim_parser_feed(c.p, input, strlen(input)), (long)strlen(first));
  assert_int_equal(xmppim_parser_feed(c.p, "\n", 1), 1);
  assert_int_equal(xmppim_parser_feed(c.p, " \r\n\t", 4), 4);
  const char *again = "\n" HEADER "<message/>";
  assert_int_equal(xmppim_parser_feed(c.p, again, strlen(again)), (long)strlen(again));
  assert_int_equal(c.headers, 2);
  assert_int_equal(c.stanzas, 2);
  xmppim_parser_free(c.p);
}

/* A stanza taken in the callback outlives the parser. */
static xmppim_parser *current_parser;
static xmppim_stanza *taken;
static int take_it(void *ud, xmppim_stanza *st) {
  (void)ud;
  (void)st;
  assert_null(taken);
  taken = xmppim_parser_take_stanza(current_parser);
  return 0;
}
static void take_stanza(void **state) {
  (void)state;
  xmppim_parser_callbacks cb = {NULL, take_it, NULL, NULL};
  assert_int_equal(xmppim_parser_new(&current_parser, &cb, NULL, NULL, NULL), 0);
  const char *in = HEADER "<message to='a@b'><body>kept</body><x xmlns='urn:rare'/></message>";
  assert_int_equal(xmppim_parser_feed(current_parser, in, strlen(in)), (long)strlen(in));
  assert_null(xmppim_parser_take_stanza(current_parser)); /* only inside on_stanza */
  xmppim_parser_free(current_parser);
  assert_non_null(taken);
  assert_string_equal(xmppim_stanza_attr(taken, "to"), "a@b");
  assert_string_equal(xmppim_stanza_text(xmppim_stanza_first_child(taken)), "kept");
  assert_string_equal(xmppim_stanza_ns(xmppim_stanza_next_sibling(xmppim_stanza_first_child(taken))),
                      "urn:rare");
  xmppim_stanza_free(taken);
  taken = NULL;
}

/* CR LF between stanzas counts as one character whichever way it arrives,
 * and whitespace before a bad byte is reported before the error. */
static void whitespace_line_ends_and_before_errors(void **state) {
  (void)state;
  expect_log(HEADER "\r\n<a/>\r\n\r<b/>\r",
             "H to=example.com from=- id=- version=1.0 lang=en ns=jabber:client prefix=stream\n"
             "W 1\nS <a xmlns='jabber:client'/>\nW 2\nS <b xmlns='jabber:client'/>\nW 1\n");
  expect_log(HEADER "\r\n \xff",
             "H to=example.com from=- id=- version=1.0 lang=en ns=jabber:client prefix=stream\n"
             "W 2\nX unsupported-encoding\n");
  expect_log(HEADER " \t x \xff",
             "H to=example.com from=- id=- version=1.0 lang=en ns=jabber:client prefix=stream\n"
             "W 3\nX unsupported-encoding\n");
  expect_log(HEADER "\r\n x<a/>",
             "H to=example.com from=- id=- version=1.0 lang=en ns=jabber:client prefix=stream\n"
             "W 2\nX invalid-xml\n");
}

/* A callback can pause: the events behind it wait, none is lost. */
typedef struct pause_ctx {
  int stanzas;
  int pause_every;
  char names[64];
} pause_ctx;
static int pausing_stanza(void *ud, xmppim_stanza *st) {
  pause_ctx *c = ud;
  c->stanzas++;
  strncat(c->names, xmppim_stanza_attr(st, "id"), sizeof(c->names) - strlen(c->names) - 1);
  return XMPPIM_ERR_PAUSE;
}
static void pause_and_resume(void **state) {
  (void)state;
  pause_ctx c = {0, 1, ""};
  xmppim_parser_callbacks cb = {NULL, pausing_stanza, NULL, NULL};
  xmppim_parser *p;
  assert_int_equal(xmppim_parser_new(&p, &cb, &c, NULL, NULL), 0);
  const char *in = HEADER "<message id='1'/><message id='2'/><message id='3'/>";
  long rv = xmppim_parser_feed(p, in, strlen(in));
  assert_true(rv > 0);
  assert_int_equal(c.stanzas, 1);
  /* Each further call delivers one more queued stanza. */
  for (int i = 0; i < 5 && c.stanzas < 3; i++) {
    long more = xmppim_parser_feed(p, in + rv, strlen(in) - (size_t)rv);
    assert_true(more >= 0);
    rv += more;
  }
  assert_int_equal(c.stanzas, 3);
  assert_string_equal(c.names, "123");
  assert_int_equal(rv, (long)strlen(in));
  xmppim_parser_free(p);
}

/* Pausing, then an error further on: the stanzas before the error arrive
 * first (and can be taken), the error after them. */
static int pause_once_and_take(void *ud, xmppim_stanza *st) {
  pause_ctx *c = ud;
  c->stanzas++;
  strncat(c->names, xmppim_stanza_name(st), sizeof(c->names) - strlen(c->names) - 1);
  xmppim_stanza *mine = xmppim_parser_take_stanza(current_parser);
  assert_non_null(mine);
  xmppim_stanza_free(mine);
  return c->stanzas == 1 ? XMPPIM_ERR_PAUSE : 0;
}
static void pause_then_error(void **state) {
  (void)state;
  pause_ctx c = {0, 1, ""};
  xmppim_parser_callbacks cb = {NULL, pause_once_and_take, NULL, NULL};
  assert_int_equal(xmppim_parser_new(&current_parser, &cb, &c, NULL, NULL), 0);
  const char *in = HEADER "<a/><b/><c/><x:d xmlns:x='jabber:client'/>";
  long rv = xmppim_parser_feed(current_parser, in, strlen(in));
  /* Stopped exactly after <a/>: the rest is still ours to feed. */
  assert_int_equal(rv, (long)(strlen(HEADER) + 4));
  assert_string_equal(c.names, "a");
  assert_int_equal(xmppim_parser_feed(current_parser, in + rv, strlen(in) - (size_t)rv), XMPPIM_ERR_STREAM);
  assert_string_equal(c.names, "abc");
  assert_int_equal(xmppim_parser_condition(current_parser), XMPPIM_STREAM_BAD_NAMESPACE_PREFIX);
  xmppim_parser_free(current_parser);
}

/* A pause restarts libxml2 on a primed context: the stream's namespaces
 * (escaped ones and the dialback prefix too) carry over. */
static int pause_every_stanza(void *ud, xmppim_stanza *st) {
  (void)st;
  ++*(int *)ud;
  return XMPPIM_ERR_PAUSE;
}
static void pause_keeps_namespaces(void **state) {
  (void)state;
  int count = 0;
  xmppim_parser_callbacks cb = {NULL, pause_every_stanza, NULL, NULL};
  xmppim_parser *p;
  assert_int_equal(xmppim_parser_new(&p, &cb, &count, NULL, NULL), 0);
  const char *in = "<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='urn:odd&apos;ns&amp;x' "
                   "xmlns:db='jabber:server:dialback'><a/><db:result/><b><c/></b>";
  size_t at = 0, len = strlen(in);
  for (int i = 0; i < 10 && at < len; i++) {
    long rv = xmppim_parser_feed(p, in + at, len - at);
    assert_true(rv >= 0);
    at += (size_t)rv;
  }
  assert_int_equal(at, len);
  assert_int_equal(count, 3);
  xmppim_parser_free(p);
}

/* Only whitespace may follow </stream:stream>, whether it comes in the same
 * feed, a later one, or after a pause on the end itself (fuzz finding: a
 * pause there used to start a second document). */
static int pause_on_end(void *ud) {
  ++*(int *)ud;
  return XMPPIM_ERR_PAUSE;
}
static void data_after_stream_end(void **state) {
  (void)state;
  const char *tails[] = {" <a", "<a/>", "x", " \r\n\t"};
  for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
    int clean = t == 3;
    for (int mode = 0; mode < 3; mode++) {
      int ends = 0;
      xmppim_parser_callbacks cb = {NULL, NULL, NULL, mode == 2 ? pause_on_end : NULL};
      xmppim_parser *p;
      assert_int_equal(xmppim_parser_new(&p, &cb, &ends, NULL, NULL), 0);
      char in[256];
      snprintf(in, sizeof(in), "%s</stream:stream>%s", HEADER, tails[t]);
      size_t len = strlen(in), split = mode == 0 ? len : strlen(HEADER) + 16, at = 0;
      long rv = 0;
      while (at < len && rv >= 0) {
        size_t want = (at < split ? split : len) - at;
        rv = xmppim_parser_feed(p, in + at, want);
        if (rv >= 0) at += (size_t)rv;
      }
      if (clean) {
        assert_int_equal(at, len);
        assert_int_equal(xmppim_parser_eof(p), 0);
      } else {
        assert_int_equal(rv, XMPPIM_ERR_STREAM);
        assert_int_equal(xmppim_parser_condition(p), XMPPIM_STREAM_NOT_WELL_FORMED);
      }
      if (mode == 2) assert_int_equal(ends, 1);
      xmppim_parser_free(p);
    }
  }
}

static int failing_stanza(void *ud, xmppim_stanza *st) {
  (void)ud;
  (void)st;
  return -1;
}
static void callback_failure(void **state) {
  (void)state;
  xmppim_parser_callbacks cb = {NULL, failing_stanza, NULL, NULL};
  xmppim_parser *p;
  assert_int_equal(xmppim_parser_new(&p, &cb, NULL, NULL, NULL), 0);
  const char *in = HEADER "<message/>";
  assert_int_equal(xmppim_parser_feed(p, in, strlen(in)), XMPPIM_ERR_CALLBACK_FAILURE);
  xmppim_parser_free(p);
}

static void bad_arguments(void **state) {
  (void)state;
  xmppim_parser *p;
  xmppim_parser_limits lim;
  xmppim_parser_limits_default(&lim);
  lim.max_stanza_bytes = 9999; /* C13.12-b: never below 10000 */
  assert_int_equal(xmppim_parser_new(&p, NULL, NULL, &lim, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_parser_limits_default(&lim);
  lim.max_depth = 0;
  assert_int_equal(xmppim_parser_new(&p, NULL, NULL, &lim, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_parser_new(NULL, NULL, NULL, NULL, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_parser_new(&p, NULL, NULL, NULL, NULL), 0);
  assert_int_equal(xmppim_parser_feed(p, NULL, 3), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_parser_feed(p, NULL, 0), 0);
  assert_int_equal(xmppim_parser_eof(p), 0); /* nothing started */
  xmppim_parser_free(p);
  xmppim_parser_free(NULL);
}

/* Every allocation of ours that fails gives XMPPIM_ERR_NOMEM and no leak. */
static void allocation_failures(void **state) {
  (void)state;
  const char *in = HEADER "<message to='a@b'><body>text</body><x xmlns='urn:rare' k='v'/></message>"
                          "<presence><status>s</status></presence></stream:stream>";
  xmppim_parser_callbacks cb = {NULL, NULL, NULL, NULL};
  for (long n = 1;; n++) {
    failing_mem fm;
    failing_mem_init(&fm, n);
    xmppim_parser *p = NULL;
    long rv = xmppim_parser_new(&p, &cb, NULL, NULL, &fm.mem);
    if (rv == 0) rv = xmppim_parser_feed(p, in, strlen(in));
    xmppim_parser_free(p);
    assert_int_equal(fm.live, 0);
    if (rv >= 0) {
      assert_int_equal(rv, (long)strlen(in));
      break;
    }
    assert_int_equal(rv, XMPPIM_ERR_NOMEM);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(stream_events),
    cmocka_unit_test(header_variants),
    cmocka_unit_test(text_entities_cdata_and_char_refs),
    cmocka_unit_test(chunking_invariance_generated_corpus),
    cmocka_unit_test(restricted_xml),
    cmocka_unit_test(billion_laughs_and_external_entities),
    cmocka_unit_test(not_well_formed),
    cmocka_unit_test(nul_byte),
    cmocka_unit_test(invalid_namespace),
    cmocka_unit_test(bad_namespace_prefix),
    cmocka_unit_test(unsupported_encoding),
    cmocka_unit_test(text_at_stream_level),
    cmocka_unit_test(limits),
    cmocka_unit_test(ten_thousand_nested_elements),
    cmocka_unit_test(ten_megabyte_attribute),
    cmocka_unit_test(truncated_stream),
    cmocka_unit_test(feeding_after_an_error_is_refused),
    cmocka_unit_test(keepalive_reported_promptly),
    cmocka_unit_test(reset_inside_callback_stops_after_element),
      cmocka_unit_test(whitespace_before_restarted_header),
    cmocka_unit_test(take_stanza),
    cmocka_unit_test(pause_and_resume),
    cmocka_unit_test(pause_then_error),
    cmocka_unit_test(pause_keeps_namespaces),
    cmocka_unit_test(data_after_stream_end),
    cmocka_unit_test(whitespace_line_ends_and_before_errors),
    cmocka_unit_test(callback_failure),
    cmocka_unit_test(bad_arguments),
    cmocka_unit_test(allocation_failures),
  };
  return cmocka_run_group_tests_name("parser", tests, NULL, NULL);
}
