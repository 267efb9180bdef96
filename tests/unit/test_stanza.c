/* Stanza trees: building, querying, copying, serializing, parsing back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xmppim/stanza.h>

#include "failing_mem.h"

static char *to_string(const xmppim_stanza *st, const char *inherited_ns) {
  size_t need = 0;
  assert_int_equal(xmppim_stanza_serialize(st, inherited_ns, NULL, 0, &need),
                   XMPPIM_ERR_BUFFER_TOO_SMALL);
  char *s = malloc(need + 1);
  assert_non_null(s);
  assert_int_equal(xmppim_stanza_serialize(st, inherited_ns, s, need + 1, NULL), 0);
  return s;
}

static void assert_serializes_to(const xmppim_stanza *st, const char *inherited_ns,
                                 const char *expected) {
  char *s = to_string(st, inherited_ns);
  assert_string_equal(s, expected);
  free(s);
}

static xmppim_stanza *parse_ok(const char *xml) {
  xmppim_stanza *st = NULL;
  xmppim_stream_condition cond = XMPPIM_STREAM_BAD_FORMAT;
  int rv = xmppim_stanza_parse(&st, xml, strlen(xml), NULL, &cond);
  if (rv) fail_msg("parse failed (%s) on %s", xmppim_stream_condition_name(cond), xml);
  assert_int_equal(cond, XMPPIM_STREAM_OK);
  return st;
}

static void build_query_and_serialize(void **state) {
  (void)state;
  xmppim_stanza *msg, *body, *x;
  assert_int_equal(xmppim_stanza_new(&msg, NULL, "message", "jabber:client"), 0);
  assert_int_equal(xmppim_stanza_set_attr(msg, "to", "juliet@example.com"), 0);
  assert_int_equal(xmppim_stanza_set_attr(msg, "type", "chat"), 0);
  assert_int_equal(xmppim_stanza_set_attr_ns(msg, XMPPIM_NS_XML, "lang", "en"), 0);
  assert_int_equal(xmppim_stanza_add_child(msg, "body", NULL, &body), 0);
  assert_int_equal(xmppim_stanza_add_text(body, "Art thou ", 9), 0);
  assert_int_equal(xmppim_stanza_add_text(body, "not Romeo?", 10), 0);
  assert_int_equal(xmppim_stanza_add_child(msg, "active", "http://jabber.org/protocol/chatstates", &x), 0);

  assert_string_equal(xmppim_stanza_name(msg), "message");
  assert_string_equal(xmppim_stanza_ns(body), "jabber:client"); /* inherited */
  assert_string_equal(xmppim_stanza_attr(msg, "type"), "chat");
  assert_string_equal(xmppim_stanza_attr_ns(msg, XMPPIM_NS_XML, "lang"), "en");
  assert_null(xmppim_stanza_attr(msg, "lang")); /* xml:lang is not plain "lang" */
  assert_null(xmppim_stanza_attr(msg, "from"));
  assert_string_equal(xmppim_stanza_text(body), "Art thou not Romeo?");
  assert_string_equal(xmppim_stanza_text(msg), "");
  assert_ptr_equal(xmppim_stanza_find_child(msg, "body", NULL), body);
  assert_null(xmppim_stanza_find_child(msg, "active", NULL)); /* other namespace */
  assert_ptr_equal(xmppim_stanza_find_child(msg, "active", "http://jabber.org/protocol/chatstates"), x);
  assert_ptr_equal(xmppim_stanza_parent(body), msg);
  assert_null(xmppim_stanza_parent(msg));
  assert_ptr_equal(xmppim_stanza_first_child(msg), body);
  assert_ptr_equal(xmppim_stanza_next_sibling(body), x);
  assert_null(xmppim_stanza_next_sibling(x));

  /* Namespaces are declared only where they change. */
  assert_serializes_to(msg, NULL,
                       "<message xmlns='jabber:client' to='juliet@example.com' type='chat' xml:lang='en'>"
                       "<body>Art thou not Romeo?</body>"
                       "<active xmlns='http://jabber.org/protocol/chatstates'/></message>");
  assert_serializes_to(msg, "jabber:client",
                       "<message to='juliet@example.com' type='chat' xml:lang='en'>"
                       "<body>Art thou not Romeo?</body>"
                       "<active xmlns='http://jabber.org/protocol/chatstates'/></message>");
  xmppim_stanza_free(msg);
}

static void attributes_replace_remove_iterate(void **state) {
  (void)state;
  xmppim_stanza *st;
  assert_int_equal(xmppim_stanza_new(&st, NULL, "iq", "jabber:client"), 0);
  assert_int_equal(xmppim_stanza_set_attr(st, "id", "1"), 0);
  assert_int_equal(xmppim_stanza_set_attr(st, "type", "get"), 0);
  assert_int_equal(xmppim_stanza_set_attr(st, "id", "2"), 0);
  assert_string_equal(xmppim_stanza_attr(st, "id"), "2");
  const char *ns, *name, *value;
  assert_int_equal(xmppim_stanza_attr_at(st, 0, &ns, &name, &value), 0);
  assert_null(ns);
  assert_string_equal(name, "id");
  assert_string_equal(value, "2");
  assert_int_equal(xmppim_stanza_attr_at(st, 2, NULL, NULL, NULL), XMPPIM_ERR_NOT_FOUND);
  assert_int_equal(xmppim_stanza_set_attr(st, "id", NULL), 0);
  assert_null(xmppim_stanza_attr(st, "id"));
  assert_int_equal(xmppim_stanza_set_attr(st, "id", "3"), 0);
  assert_serializes_to(st, "jabber:client", "<iq type='get' id='3'/>");
  xmppim_stanza_free(st);
}

/* Text escapes &, <, >; attributes also quotes and the whitespace that
 * attribute normalization would turn into spaces; CR is kept everywhere. */
static void escaping(void **state) {
  (void)state;
  xmppim_stanza *st;
  assert_int_equal(xmppim_stanza_new(&st, NULL, "body", NULL), 0);
  assert_int_equal(xmppim_stanza_set_attr(st, "a", "x'y\"z<&>\t\n\r"), 0);
  const char text[] = "1 < 2 && 3 > 2 ]]> 'q' \"d\"\r\n";
  assert_int_equal(xmppim_stanza_add_text(st, text, strlen(text)), 0);
  assert_serializes_to(st, NULL,
                       "<body a='x&apos;y&quot;z&lt;&amp;&gt;&#9;&#10;&#13;'>"
                       "1 &lt; 2 &amp;&amp; 3 &gt; 2 ]]&gt; 'q' \"d\"&#13;\n</body>");
  char *s = to_string(st, NULL);
  xmppim_stanza *back = parse_ok(s);
  assert_true(xmppim_stanza_equal(st, back));
  assert_string_equal(xmppim_stanza_attr(back, "a"), "x'y\"z<&>\t\n\r");
  assert_string_equal(xmppim_stanza_text(back), text);
  free(s);
  xmppim_stanza_free(back);
  xmppim_stanza_free(st);
}

static void namespaces_and_prefixed_attributes_round_trip(void **state) {
  (void)state;
  xmppim_stanza *st = parse_ok(
      "<p:iq xmlns:p='jabber:client' xmlns:q='urn:q' xmlns='urn:default' type='set'>"
      "<q:query q:attr='v' other='o'><item xmlns=''/><p:deep/></q:query></p:iq>");
  assert_string_equal(xmppim_stanza_ns(st), "jabber:client");
  xmppim_stanza *query = xmppim_stanza_first_child(st);
  assert_string_equal(xmppim_stanza_ns(query), "urn:q");
  assert_string_equal(xmppim_stanza_attr_ns(query, "urn:q", "attr"), "v");
  assert_string_equal(xmppim_stanza_attr(query, "other"), "o");
  xmppim_stanza *item = xmppim_stanza_first_child(query);
  assert_null(xmppim_stanza_ns(item));
  assert_string_equal(xmppim_stanza_ns(xmppim_stanza_next_sibling(item)), "jabber:client");
  /* Prefixes are not kept: elements get default-namespace declarations,
   * namespaced attributes generated prefixes. */
  assert_serializes_to(st, "jabber:client",
                       "<iq type='set'><query xmlns='urn:q' xmlns:a0='urn:q' a0:attr='v' other='o'>"
                       "<item xmlns=''/><deep xmlns='jabber:client'/></query></iq>");
  char *s = to_string(st, NULL);
  xmppim_stanza *back = parse_ok(s);
  assert_true(xmppim_stanza_equal(st, back));
  free(s);
  xmppim_stanza_free(back);
  xmppim_stanza_free(st);
}

static void mixed_content_nodes(void **state) {
  (void)state;
  xmppim_stanza *st = parse_ok("<p>one<b>two</b>three<![CDATA[<four>]]></p>");
  assert_string_equal(xmppim_stanza_text(st), "onethree<four>");
  xmppim_node *n = xmppim_stanza_first_node(st);
  size_t len;
  assert_string_equal(xmppim_node_text(n, &len), "one");
  assert_int_equal(len, 3);
  assert_null(xmppim_node_element(xmppim_node_next(n)) == NULL ? NULL : (void *)0);
  n = xmppim_node_next(n);
  assert_non_null(xmppim_node_element(n));
  assert_null(xmppim_node_text(n, NULL));
  n = xmppim_node_next(n);
  assert_string_equal(xmppim_node_text(n, NULL), "three<four>"); /* CDATA merged as text */
  assert_null(xmppim_node_next(n));
  assert_serializes_to(st, NULL, "<p>one<b>two</b>three&lt;four&gt;</p>");
  xmppim_stanza_free(st);
}

static void copy_is_deep_and_independent(void **state) {
  (void)state;
  xmppim_stanza *st = parse_ok("<message xmlns='jabber:client' to='a@b'><body>x</body>"
                               "<c xmlns='http://jabber.org/protocol/caps' ver='v'/></message>");
  xmppim_stanza *body = xmppim_stanza_first_child(st);
  xmppim_stanza *copy, *sub;
  assert_int_equal(xmppim_stanza_copy(&copy, st, NULL), 0);
  assert_true(xmppim_stanza_equal(st, copy));
  /* A subtree copy keeps its inherited namespace explicitly. */
  assert_int_equal(xmppim_stanza_copy(&sub, body, NULL), 0);
  assert_null(xmppim_stanza_parent(sub));
  assert_serializes_to(sub, NULL, "<body xmlns='jabber:client'>x</body>");
  assert_int_equal(xmppim_stanza_set_attr(copy, "to", "c@d"), 0);
  assert_false(xmppim_stanza_equal(st, copy));
  xmppim_stanza_free(st);
  assert_string_equal(xmppim_stanza_attr(copy, "to"), "c@d");
  assert_string_equal(xmppim_stanza_text(xmppim_stanza_first_child(copy)), "x");
  xmppim_stanza_free(copy);
  xmppim_stanza_free(sub);
}

static void equality_details(void **state) {
  (void)state;
  xmppim_stanza *a = parse_ok("<x a='1' b='2'><y/>t</x>");
  xmppim_stanza *b = parse_ok("<x b='2' a='1'><y/>t</x>"); /* attribute order is not significant */
  xmppim_stanza *c = parse_ok("<x a='1' b='2'>t<y/></x>"); /* child order is */
  xmppim_stanza *d = parse_ok("<x xmlns='u' a='1' b='2'><y/>t</x>");
  assert_true(xmppim_stanza_equal(a, b));
  assert_false(xmppim_stanza_equal(a, c));
  assert_false(xmppim_stanza_equal(a, d));
  assert_true(xmppim_stanza_equal(NULL, NULL));
  assert_false(xmppim_stanza_equal(a, NULL));
  xmppim_stanza_free(a);
  xmppim_stanza_free(b);
  xmppim_stanza_free(c);
  xmppim_stanza_free(d);
}

static void bad_arguments_are_refused(void **state) {
  (void)state;
  xmppim_stanza *st = NULL, *child = (xmppim_stanza *)&st;
  assert_int_equal(xmppim_stanza_new(&st, NULL, "", NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_new(&st, NULL, "a:b", NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_new(&st, NULL, "a b", NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_new(&st, NULL, "1a", NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_new(NULL, NULL, "a", NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_new(&st, NULL, "a", NULL), 0);
  assert_int_equal(xmppim_stanza_add_child(st, "<", NULL, &child), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_null(child);
  assert_int_equal(xmppim_stanza_add_text(st, "a\0b", 3), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_add_text(st, "\x01", 1), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_add_text(st, "\xc3\x28", 2), XMPPIM_ERR_BAD_UTF8);
  assert_int_equal(xmppim_stanza_add_text(st, "\xed\xa0\x80", 3), XMPPIM_ERR_BAD_UTF8); /* surrogate */
  assert_int_equal(xmppim_stanza_add_text(st, "\xe0\x80\xaf", 3), XMPPIM_ERR_BAD_UTF8); /* overlong */
  assert_int_equal(xmppim_stanza_add_text(st, "\xef\xbf\xbe", 3), XMPPIM_ERR_INVALID_ARGUMENT); /* U+FFFE */
  assert_int_equal(xmppim_stanza_add_text(st, "\xf0\x9f\x98", 3), XMPPIM_ERR_BAD_UTF8); /* cut */
  assert_int_equal(xmppim_stanza_set_attr(st, "v", "\xff"), XMPPIM_ERR_BAD_UTF8);
  /* Namespace declarations and the reserved namespaces cannot be smuggled in. */
  assert_int_equal(xmppim_stanza_set_attr(st, "xmlns", "urn:x"), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_set_attr_ns(st, "http://www.w3.org/2000/xmlns/", "p", "urn:x"),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_add_child(st, "c", XMPPIM_NS_XML, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_add_child(st, "c", "http://www.w3.org/2000/xmlns/", NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_add_text(st, NULL, 1), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_stanza_add_text(st, "ok \xf0\x9f\x98\x80", 7), 0);
  assert_serializes_to(st, NULL, "<a>ok \xf0\x9f\x98\x80</a>");
  /* Freeing a non-root is refused quietly; the tree stays intact. */
  assert_int_equal(xmppim_stanza_add_child(st, "b", NULL, &child), 0);
  xmppim_stanza_free(child);
  assert_ptr_equal(xmppim_stanza_first_child(st), child);
  xmppim_stanza_free(st);
  xmppim_stanza_free(NULL);
}

static void serialize_reports_needed_size(void **state) {
  (void)state;
  xmppim_stanza *st = parse_ok("<presence><show>away</show></presence>");
  char small[8];
  size_t need = 0;
  assert_int_equal(xmppim_stanza_serialize(st, NULL, small, sizeof(small), &need),
                   XMPPIM_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(need, strlen("<presence><show>away</show></presence>"));
  assert_int_equal(small[7], '\0');
  char exact[64];
  assert_int_equal(xmppim_stanza_serialize(st, NULL, exact, need + 1, &need), 0);
  assert_string_equal(exact, "<presence><show>away</show></presence>");
  xmppim_stanza_free(st);
}

/* Random trees: parse(serialize(x)) == x. */
static unsigned rng_state = 12345;
static unsigned rnd(unsigned n) {
  rng_state = rng_state * 1103515245u + 12345u;
  return (rng_state >> 16) % n;
}

static const char *const pieces[] = {"plain", "a&b", "<tag>", "caf\xc3\xa9", "\xe4\xb8\xad\xe6\x96\x87",
                                     "\xf0\x9f\x98\x80", " sp ", "q'\"", "\t\n\r", "]]>", "&#38;"};
static const char *const names[] = {"message", "body", "x", "item", "query", "c", "z9"};
static const char *const spaces[] = {NULL, "jabber:client", "urn:a", "urn:b:with'quote&amp", ""};

static void random_tree(xmppim_stanza *el, int depth) {
  unsigned nattr = rnd(4);
  for (unsigned i = 0; i < nattr; i++) {
    char name[8];
    snprintf(name, sizeof(name), "a%u", i);
    const char *ns = rnd(5) == 0 ? (rnd(2) ? XMPPIM_NS_XML : "urn:attr") : NULL;
    assert_int_equal(xmppim_stanza_set_attr_ns(el, ns, ns && !strcmp(ns, XMPPIM_NS_XML) ? "lang" : name,
                                               pieces[rnd(sizeof(pieces) / sizeof(*pieces))]), 0);
  }
  unsigned nchild = depth > 4 ? 0 : rnd(5);
  for (unsigned i = 0; i < nchild; i++) {
    if (rnd(3) == 0) {
      const char *t = pieces[rnd(sizeof(pieces) / sizeof(*pieces))];
      assert_int_equal(xmppim_stanza_add_text(el, t, strlen(t)), 0);
    } else {
      xmppim_stanza *c;
      assert_int_equal(xmppim_stanza_add_child(el, names[rnd(7)], spaces[rnd(5)], &c), 0);
      random_tree(c, depth + 1);
    }
  }
}

static void random_round_trips(void **state) {
  (void)state;
  for (int i = 0; i < 500; i++) {
    xmppim_stanza *st;
    assert_int_equal(xmppim_stanza_new(&st, NULL, names[rnd(7)], spaces[rnd(4)]), 0);
    random_tree(st, 0);
    char *s = to_string(st, NULL);
    xmppim_stanza *back = parse_ok(s);
    if (!xmppim_stanza_equal(st, back)) fail_msg("round trip changed %s", s);
    char *again = to_string(back, NULL);
    assert_string_equal(s, again); /* serialization is canonical */
    free(s);
    free(again);
    xmppim_stanza_free(back);
    xmppim_stanza_free(st);
  }
}

static void parse_refuses_what_streams_refuse(void **state) {
  (void)state;
  static const struct {
    const char *xml;
    xmppim_stream_condition cond;
  } cases[] = {
    {"<a><!-- c --></a>", XMPPIM_STREAM_RESTRICTED_XML},
    {"<a>&ent;</a>", XMPPIM_STREAM_RESTRICTED_XML},
    {"<!DOCTYPE a><a/>", XMPPIM_STREAM_RESTRICTED_XML},
    {"<a><b></a>", XMPPIM_STREAM_NOT_WELL_FORMED},
    {"<a/><b/>", XMPPIM_STREAM_NOT_WELL_FORMED},
    {"<a>", XMPPIM_STREAM_NOT_WELL_FORMED},
    {"", XMPPIM_STREAM_NOT_WELL_FORMED},
    {"<p:a/>", XMPPIM_STREAM_NOT_WELL_FORMED},
    {"<a>\xff</a>", XMPPIM_STREAM_UNSUPPORTED_ENCODING},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    xmppim_stanza *st = (xmppim_stanza *)cases;
    xmppim_stream_condition cond = XMPPIM_STREAM_OK;
    int rv = xmppim_stanza_parse(&st, cases[i].xml, strlen(cases[i].xml), NULL, &cond);
    if (rv != XMPPIM_ERR_STREAM || cond != cases[i].cond)
      fail_msg("case %zu (%s): rv %d condition %s", i, cases[i].xml, rv,
               xmppim_stream_condition_name(cond));
    assert_null(st);
  }
}

/* Every allocation that can fail is survived: clean error, no leak. */
static void allocation_failures(void **state) {
  (void)state;
  const char *xml = "<message xmlns='jabber:client' to='a@b' other='x'><body>hello</body>"
                    "<unknown xmlns='urn:not-interned' k='v'>t</unknown></message>";
  for (long n = 1;; n++) {
    failing_mem fm;
    failing_mem_init(&fm, n);
    xmppim_stanza *st = NULL, *copy = NULL, *child;
    int rv = xmppim_stanza_parse(&st, xml, strlen(xml), &fm.mem, NULL);
    if (rv == 0) rv = xmppim_stanza_copy(&copy, st, &fm.mem);
    if (rv == 0) rv = xmppim_stanza_add_child(copy, "extra", "urn:another", &child);
    if (rv == 0) rv = xmppim_stanza_set_attr(child, "name", "a long enough value to need room");
    if (rv == 0) rv = xmppim_stanza_add_text(child, "text", 4);
    xmppim_stanza_free(st);
    xmppim_stanza_free(copy);
    assert_int_equal(fm.live, 0);
    if (rv == 0) {
      assert_true(fm.count < n); /* finished without reaching the failure */
      break;
    }
    assert_int_equal(rv, XMPPIM_ERR_NOMEM);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(build_query_and_serialize),
    cmocka_unit_test(attributes_replace_remove_iterate),
    cmocka_unit_test(escaping),
    cmocka_unit_test(namespaces_and_prefixed_attributes_round_trip),
    cmocka_unit_test(mixed_content_nodes),
    cmocka_unit_test(copy_is_deep_and_independent),
    cmocka_unit_test(equality_details),
    cmocka_unit_test(bad_arguments_are_refused),
    cmocka_unit_test(serialize_reports_needed_size),
    cmocka_unit_test(random_round_trips),
    cmocka_unit_test(parse_refuses_what_streams_refuse),
    cmocka_unit_test(allocation_failures),
  };
  return cmocka_run_group_tests_name("stanza", tests, NULL, NULL);
}
