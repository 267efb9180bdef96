/*
 * Message stanza helpers (RFC 6121 section 5.2): building and reading
 * types, bodies and subjects by language, threads; the checks of
 * xmppim_message_check(). Requirement IDs (R5.*) are in the test names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <xmppim.h>

#include "failing_mem.h"

static xmppim_stanza *parse(const char *xml) {
  xmppim_stanza *st;
  assert_int_equal(xmppim_stanza_parse(&st, xml, strlen(xml), NULL, NULL), 0);
  return st;
}

static const char *ser(const xmppim_stanza *st) {
  static char buf[4096];
  assert_int_equal(xmppim_stanza_serialize(st, "jabber:client", buf, sizeof(buf), NULL), 0);
  return buf;
}

/* A copy of the serialization, to compare a tree before and after a refused call. */
static char *ser_dup(const xmppim_stanza *st) {
  const char *s = ser(st);
  char *d = malloc(strlen(s) + 1);
  assert_non_null(d);
  strcpy(d, s);
  return d;
}

#define MSG "<message xmlns='jabber:client' "

/* ---- types ---- */

/* R5.2.2-a: the type is always written, normal included; R5.2.2-b: only
 * the five values exist, and error is not built here. */
static void R5_2_2_a_b_type_always_written(void **state) {
  (void)state;
  static const struct {
    xmppim_message_type t;
    const char *name;
  } cases[] = {{XMPPIM_MESSAGE_NORMAL, "normal"},
               {XMPPIM_MESSAGE_CHAT, "chat"},
               {XMPPIM_MESSAGE_GROUPCHAT, "groupchat"},
               {XMPPIM_MESSAGE_HEADLINE, "headline"}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    xmppim_stanza *m;
    assert_int_equal(xmppim_message_new(&m, NULL, cases[i].t, "romeo@example.net", "hi", NULL), 0);
    assert_string_equal(xmppim_stanza_attr(m, "type"), cases[i].name);
    assert_string_equal(xmppim_message_type_name(cases[i].t), cases[i].name);
    assert_int_equal(xmppim_message_get_type(m), cases[i].t);
    xmppim_stanza_free(m);
  }
  assert_string_equal(xmppim_message_type_name(XMPPIM_MESSAGE_ERROR), "error");
  assert_null(xmppim_message_type_name((xmppim_message_type)5));
  assert_null(xmppim_message_type_name((xmppim_message_type)-1));
  xmppim_stanza *m = (xmppim_stanza *)1;
  /* An error message answers a stanza: xmppim_stanza_error_reply() builds it. */
  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_ERROR, "a@b", "x", NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_null(m);
  assert_int_equal(xmppim_message_new(&m, NULL, (xmppim_message_type)7, "a@b", "x", NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_message_new(&m, NULL, (xmppim_message_type)-1, "a@b", "x", NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
}

/* R5.2.2-c, R5.2.2-h: all five types are read. */
static void R5_2_2_c_h_five_types_read(void **state) {
  (void)state;
  static const char *names[] = {"normal", "chat", "groupchat", "headline", "error"};
  for (int i = 0; i < 5; i++) {
    char xml[256];
    snprintf(xml, sizeof(xml), MSG "type='%s'><body>x</body></message>", names[i]);
    xmppim_stanza *m = parse(xml);
    assert_int_equal(xmppim_message_get_type(m), (xmppim_message_type)i);
    assert_int_equal(xmppim_message_type_from_name(names[i]), (xmppim_message_type)i);
    assert_int_equal(xmppim_message_check(m, NULL) & XMPPIM_MESSAGE_FLAW_BAD_TYPE, 0);
    xmppim_stanza_free(m);
  }
}

/* R5.2.2-i: no type, or an unknown one, is normal; R5.2.2-b: an unknown
 * value is a flaw (values are case-sensitive), a missing one is not. */
static void R5_2_2_i_missing_or_unknown_type_is_normal(void **state) {
  (void)state;
  xmppim_stanza *m = parse(MSG "><body>x</body></message>");
  assert_int_equal(xmppim_message_get_type(m), XMPPIM_MESSAGE_NORMAL);
  assert_int_equal(xmppim_message_check(m, NULL), 0);
  xmppim_stanza_free(m);
  static const char *bad[] = {"bogus", "CHAT", "", "chat ", "normal\t"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char xml[256];
    snprintf(xml, sizeof(xml), MSG "type='%s'><body>x</body></message>", bad[i]);
    m = parse(xml);
    assert_int_equal(xmppim_message_get_type(m), XMPPIM_MESSAGE_NORMAL);
    assert_int_equal(xmppim_message_check(m, NULL), XMPPIM_MESSAGE_FLAW_BAD_TYPE);
    xmppim_stanza_free(m);
  }
  assert_int_equal(xmppim_message_type_from_name(NULL), XMPPIM_MESSAGE_NORMAL);
  assert_int_equal(xmppim_message_get_type(NULL), XMPPIM_MESSAGE_NORMAL);
}

/* ---- addressing ---- */

/* R5.2.1-a: 'to' is the recipient, written prepared; none for NULL. */
static void R5_2_1_a_to_is_the_recipient(void **state) {
  (void)state;
  xmppim_stanza *m;
  assert_int_equal(
      xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, "Romeo@Example.NET/Orchard", "x", NULL), 0);
  assert_string_equal(xmppim_stanza_attr(m, "to"), "romeo@example.net/Orchard");
  xmppim_stanza_free(m);
  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_NORMAL, NULL, "x", NULL), 0);
  assert_null(xmppim_stanza_attr(m, "to"));
  xmppim_stanza_free(m);
  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, "@example.net", "x", NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_null(m);
  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, "a b@example.net", "x", NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
}

/* ---- bodies and languages ---- */

/* R5.2.3-a: the body is optional. */
static void R5_2_3_a_body_optional(void **state) {
  (void)state;
  xmppim_stanza *m;
  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, "a@b", NULL, NULL), 0);
  assert_null(xmppim_stanza_first_child(m));
  assert_int_equal(xmppim_message_body_count(m), 0);
  assert_null(xmppim_message_body(m, "en", "en", NULL));
  assert_null(xmppim_message_body_at(m, 0, NULL, NULL));
  assert_int_equal(xmppim_message_check(m, NULL), 0);
  xmppim_stanza_free(m);
  /* An empty body is a body. */
  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, "a@b", "", NULL), 0);
  assert_int_equal(xmppim_message_body_count(m), 1);
  assert_string_equal(xmppim_message_body(m, NULL, NULL, NULL), "");
  xmppim_stanza_free(m);
}

/* R5.2.3-b: several bodies only in distinct languages, explicit or
 * inherited; xml:lang their only attribute. The RFC's own example. */
static void R5_2_3_b_bodies_in_distinct_languages(void **state) {
  (void)state;
  xmppim_stanza *m;
  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, "romeo@example.net",
                                      "Wherefore art thou, Romeo?", "en"),
                   0);
  assert_int_equal(xmppim_message_add_body(m, "Wo bist du, Romeo?", "de"), 0);
  assert_int_equal(xmppim_message_add_body(m, "Où es-tu, Roméo ?", "fr-CA"), 0);
  assert_string_equal(ser(m), "<message to='romeo@example.net' type='chat' "
                              "xml:lang='en'><body>Wherefore art thou, Romeo?</body>"
                              "<body xml:lang='de'>Wo bist du, Romeo?</body>"
                              "<body xml:lang='fr-CA'>Où es-tu, Roméo ?</body></message>");
  char *before = ser_dup(m);
  /* The first body inherits "en": an explicit one clashes, whatever its case. */
  assert_int_equal(xmppim_message_add_body(m, "again", "en"), XMPPIM_ERR_INVALID_STATE);
  assert_int_equal(xmppim_message_add_body(m, "again", "EN"), XMPPIM_ERR_INVALID_STATE);
  assert_int_equal(xmppim_message_add_body(m, "again", NULL), XMPPIM_ERR_INVALID_STATE);
  assert_int_equal(xmppim_message_add_body(m, "nochmal", "DE"), XMPPIM_ERR_INVALID_STATE);
  assert_int_equal(xmppim_message_add_body(m, "encore", "fr-ca"), XMPPIM_ERR_INVALID_STATE);
  assert_string_equal(ser(m), before); /* refusals change nothing */
  free(before);
  assert_int_equal(xmppim_message_body_count(m), 3);
  assert_int_equal(xmppim_message_check(m, NULL), 0);
  assert_int_equal(xmppim_message_check(m, "de"), 0); /* the message's own lang wins */
  const char *l;
  assert_string_equal(xmppim_message_body_at(m, 0, NULL, &l), "Wherefore art thou, Romeo?");
  assert_string_equal(l, "en");
  assert_string_equal(xmppim_message_body_at(m, 1, NULL, &l), "Wo bist du, Romeo?");
  assert_string_equal(l, "de");
  assert_null(xmppim_message_body_at(m, 3, NULL, &l));
  assert_null(l);
  xmppim_stanza_free(m);

  /* Without a message language: one body without xml:lang, then explicit ones. */
  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_NORMAL, NULL, "x", NULL), 0);
  assert_int_equal(xmppim_message_add_body(m, "y", NULL), XMPPIM_ERR_INVALID_STATE);
  assert_int_equal(xmppim_message_add_body(m, "y", "en"), 0); /* the stream's is unknown here */
  assert_int_equal(xmppim_message_check(m, NULL), 0);
  /* ...but on a stream whose language is en the two clash. */
  assert_int_equal(xmppim_message_check(m, "en"), XMPPIM_MESSAGE_FLAW_DUPLICATE_BODY);
  xmppim_stanza_free(m);
}

/* R5.2.3-b: received duplicates and foreign attributes are flagged; the
 * reader still finds the first. */
static void R5_2_3_b_duplicates_and_attributes_flagged(void **state) {
  (void)state;
  xmppim_stanza *m = parse(MSG "xml:lang='en'><body>one</body><body xml:lang='EN'>two</body>"
                               "<body xml:lang=''>three</body><body xml:lang=''>four</body></message>");
  assert_int_equal(xmppim_message_check(m, NULL), XMPPIM_MESSAGE_FLAW_DUPLICATE_BODY);
  assert_string_equal(xmppim_message_body(m, "en", NULL, NULL), "one");
  const char *l = "x";
  assert_string_equal(xmppim_message_body(m, "fr", NULL, &l), "one"); /* the message's own */
  assert_string_equal(l, "en");
  xmppim_stanza_free(m);
  m = parse(MSG "><body id='1'>x</body><subject foo='bar'>s</subject></message>");
  assert_int_equal(xmppim_message_check(m, NULL), XMPPIM_MESSAGE_FLAW_EXTRA_ATTRIBUTE);
  xmppim_stanza_free(m);
}

/* R5.2.3-b: the documented choice among bodies: the reader's language
 * exactly (no ASCII case), then the message's (its xml:lang, else the
 * stream's), then the first. */
static void R5_2_3_b_body_by_language(void **state) {
  (void)state;
  xmppim_stanza *m = parse(MSG "xml:lang='en'><body>hello</body><body xml:lang='de'>hallo</body>"
                               "<body xml:lang='fr'>salut</body></message>");
  const char *l;
  assert_string_equal(xmppim_message_body(m, "de", NULL, &l), "hallo");
  assert_string_equal(l, "de");
  assert_string_equal(xmppim_message_body(m, "FR", NULL, &l), "salut");
  assert_string_equal(l, "fr");
  assert_string_equal(xmppim_message_body(m, "en", "de", &l), "hello"); /* own xml:lang over the stream's */
  assert_string_equal(l, "en");
  assert_string_equal(xmppim_message_body(m, "it", NULL, &l), "hello"); /* step 2 */
  assert_string_equal(xmppim_message_body(m, "de-AT", NULL, &l), "hello"); /* exact tags only */
  assert_string_equal(xmppim_message_body(m, NULL, NULL, &l), "hello");
  assert_string_equal(xmppim_message_lang(m, "de"), "en");
  xmppim_stanza_free(m);

  /* No message language: the stream's decides step 2. */
  m = parse(MSG "><body xml:lang='de'>hallo</body><body>hello</body></message>");
  assert_string_equal(xmppim_message_body(m, "en", "en", &l), "hello");
  assert_string_equal(l, "en");
  assert_string_equal(xmppim_message_body(m, "it", "en", &l), "hello");
  assert_string_equal(xmppim_message_body(m, "it", NULL, &l), "hello"); /* the body in "none" */
  assert_null(l);
  assert_null(xmppim_message_lang(m, NULL));
  assert_string_equal(xmppim_message_lang(m, "en"), "en");
  assert_null(xmppim_message_lang(m, ""));
  xmppim_stanza_free(m);

  /* No body in the default language: the first (step 3). */
  m = parse(MSG "xml:lang='en'><body xml:lang='de'>hallo</body><body xml:lang='fr'>salut</body></message>");
  assert_string_equal(xmppim_message_body(m, "it", NULL, &l), "hallo");
  assert_string_equal(l, "de");
  xmppim_stanza_free(m);

  /* Bodies in other namespaces are extensions (R5.3-a), not bodies. */
  m = parse(MSG "><body xmlns='urn:example:other'>no</body><body>yes</body></message>");
  assert_int_equal(xmppim_message_body_count(m), 1);
  assert_string_equal(xmppim_message_body(m, NULL, NULL, NULL), "yes");
  assert_int_equal(xmppim_message_check(m, NULL), 0);
  xmppim_stanza_free(m);
  /* Not a message. */
  m = parse("<presence xmlns='jabber:client'><body>x</body></presence>");
  assert_null(xmppim_message_body(m, NULL, NULL, NULL));
  assert_int_equal(xmppim_message_body_count(m), 0);
  assert_int_equal(xmppim_message_check(m, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_null(xmppim_message_thread(m, NULL));
  xmppim_stanza_free(m);
}

/* R5.2.4-a: subjects, like bodies, in distinct languages. */
static void R5_2_4_a_subjects_by_language(void **state) {
  (void)state;
  xmppim_stanza *m;
  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_NORMAL, "a@b", "body", "en"), 0);
  assert_int_equal(xmppim_message_add_subject(m, "I implore you!", NULL), 0);
  assert_int_equal(xmppim_message_add_subject(m, "Ich flehe dich an!", "de"), 0);
  assert_int_equal(xmppim_message_add_subject(m, "again", "En"), XMPPIM_ERR_INVALID_STATE);
  assert_int_equal(xmppim_message_add_subject(m, "nochmal", "de"), XMPPIM_ERR_INVALID_STATE);
  assert_int_equal(xmppim_message_subject_count(m), 2);
  const char *l;
  assert_string_equal(xmppim_message_subject(m, "de", NULL, &l), "Ich flehe dich an!");
  assert_string_equal(l, "de");
  assert_string_equal(xmppim_message_subject(m, "it", NULL, &l), "I implore you!");
  assert_string_equal(l, "en");
  assert_string_equal(xmppim_message_subject_at(m, 1, NULL, &l), "Ich flehe dich an!");
  assert_null(xmppim_message_subject_at(m, 2, NULL, NULL));
  assert_int_equal(xmppim_message_check(m, NULL), 0);
  xmppim_stanza_free(m);
  m = parse(MSG "><subject>a</subject><subject>b</subject></message>");
  assert_int_equal(xmppim_message_check(m, NULL), XMPPIM_MESSAGE_FLAW_DUPLICATE_SUBJECT);
  assert_string_equal(xmppim_message_subject(m, NULL, NULL, NULL), "a");
  xmppim_stanza_free(m);
}

/* R5.2.3-c, R5.2.4-b, R5.2.5-j: no mixed content. The builders write text
 * only; a received element inside is flagged. */
static void R5_2_3_c_R5_2_4_b_R5_2_5_j_no_mixed_content(void **state) {
  (void)state;
  xmppim_stanza *m;
  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, "a@b", "<b>not markup</b>", NULL), 0);
  assert_int_equal(xmppim_message_add_subject(m, "a & b", NULL), 0);
  assert_int_equal(xmppim_message_add_thread(m, "t1", NULL), 0);
  for (xmppim_stanza *c = xmppim_stanza_first_child(m); c; c = xmppim_stanza_next_sibling(c))
    assert_null(xmppim_stanza_first_child(c));
  assert_non_null(strstr(ser(m), "<body>&lt;b&gt;not markup&lt;/b&gt;</body>"));
  assert_int_equal(xmppim_message_check(m, NULL), 0);
  xmppim_stanza_free(m);
  static const char *bad[] = {
      MSG "><body>a<b/>c</body></message>",
      MSG "><subject>a<i xmlns='urn:x'/></subject></message>",
      MSG "><thread>abc<x/></thread></message>",
  };
  for (size_t i = 0; i < 3; i++) {
    m = parse(bad[i]);
    assert_int_equal(xmppim_message_check(m, NULL) & XMPPIM_MESSAGE_FLAW_MIXED_CONTENT,
                     XMPPIM_MESSAGE_FLAW_MIXED_CONTENT);
    xmppim_stanza_free(m);
  }
}

/* ---- threads ---- */

/* R5.2.5-a, R5.2.5-b, R5.2.5-c, R5.2.5-d: an optional thread, one at most,
 * with an optional parent. */
static void R5_2_5_b_c_d_thread_and_parent(void **state) {
  (void)state;
  xmppim_stanza *m;
  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, "a@b", "x", NULL), 0);
  const char *parent = "x";
  assert_null(xmppim_message_thread(m, &parent)); /* R5.2.5-b */
  assert_null(parent);
  assert_int_equal(xmppim_message_add_thread(m, "e0ffe42b28561960c6b12b944a092794b9683a38",
                                             "7edac73ab41e45c4aafa7b2d7b749080"),
                   0);
  assert_non_null(strstr(ser(m), "<thread parent='7edac73ab41e45c4aafa7b2d7b749080'>"
                                 "e0ffe42b28561960c6b12b944a092794b9683a38</thread>"));
  char *before = ser_dup(m);
  assert_int_equal(xmppim_message_add_thread(m, "other", NULL), XMPPIM_ERR_INVALID_STATE); /* c */
  assert_string_equal(ser(m), before);
  free(before);
  assert_string_equal(xmppim_message_thread(m, &parent), "e0ffe42b28561960c6b12b944a092794b9683a38");
  assert_string_equal(parent, "7edac73ab41e45c4aafa7b2d7b749080");
  xmppim_stanza_free(m);

  m = parse(MSG "><thread>first</thread><thread>second</thread></message>");
  assert_int_equal(xmppim_message_check(m, NULL), XMPPIM_MESSAGE_FLAW_SEVERAL_THREADS);
  assert_string_equal(xmppim_message_thread(m, &parent), "first");
  assert_null(parent);
  xmppim_stanza_free(m);
  m = parse(MSG "><thread parent='p' id='x'>t</thread></message>");
  assert_int_equal(xmppim_message_check(m, NULL), XMPPIM_MESSAGE_FLAW_EXTRA_ATTRIBUTE);
  xmppim_stanza_free(m);
}

/* R5.2.5-e: thread and parent are NMTOKENs (RFC 6120 A.5), the parent not
 * the thread itself. */
static void R5_2_5_e_nmtokens(void **state) {
  (void)state;
  static const char *good[] = {"e0ffe42b28561960c6b12b944a092794b9683a38", "a", "-", "1.2", "a:b_c",
                               "\xC3\xA9t\xC3\xA9", /* été */
                               "\xC2\xB7",          /* U+00B7, a NameChar */
                               "\xE3\x81\x82",      /* U+3042 */
                               "\xF0\x90\x80\x80"}; /* U+10000 */
  static const char *bad[] = {"", "a b", " a", "a\t", "a/b", "a@b", "#x", "a,b", "\xC3\x97", /* U+00D7 */
                              "\xE2\x80\x8B", /* U+200B */
                              "\xC3",         /* truncated */
                              "\xC0\xAF"};    /* overlong */
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
    assert_int_equal(xmppim_message_nmtoken_ok(good[i]), 1);
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(xmppim_message_nmtoken_ok(bad[i]), 0);
  assert_int_equal(xmppim_message_nmtoken_ok(NULL), 0);

  xmppim_stanza *m;
  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, "a@b", "x", NULL), 0);
  char *before = ser_dup(m);
  assert_int_equal(xmppim_message_add_thread(m, "a b", NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_message_add_thread(m, "", NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_message_add_thread(m, NULL, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_message_add_thread(m, "t", "p q"), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_message_add_thread(m, "t", ""), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_message_add_thread(m, "t", "t"), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_string_equal(ser(m), before);
  free(before);
  xmppim_stanza_free(m);

  static const struct {
    const char *xml;
    int flaws;
  } rx[] = {
      {MSG "><thread>ok</thread></message>", 0},
      {MSG "><thread parent='p'>ok</thread></message>", 0},
      {MSG "><thread> ok</thread></message>", XMPPIM_MESSAGE_FLAW_BAD_THREAD},
      {MSG "><thread/></message>", XMPPIM_MESSAGE_FLAW_BAD_THREAD},
      {MSG "><thread parent='ok'>ok</thread></message>", XMPPIM_MESSAGE_FLAW_BAD_PARENT},
      {MSG "><thread parent='a b'>ok</thread></message>", XMPPIM_MESSAGE_FLAW_BAD_PARENT},
      {MSG "><thread parent=''>ok</thread></message>", XMPPIM_MESSAGE_FLAW_BAD_PARENT},
  };
  for (size_t i = 0; i < sizeof(rx) / sizeof(rx[0]); i++) {
    m = parse(rx[i].xml);
    assert_int_equal(xmppim_message_check(m, NULL), rx[i].flaws);
    xmppim_stanza_free(m);
  }
}

/* R5.2.5-f, R5.2.5-g: thread IDs are read as they are (opaque, exact: no
 * trimming, no case folding), and a parent is read one level only, so
 * a loop of parents costs nothing. */
static void R5_2_5_f_g_threads_opaque_parents_not_followed(void **state) {
  (void)state;
  xmppim_stanza *m = parse(MSG "><thread parent='foo'> Foo </thread></message>");
  const char *parent;
  assert_string_equal(xmppim_message_thread(m, &parent), " Foo ");
  assert_string_equal(parent, "foo");
  xmppim_stanza_free(m);
  /* foo -> bar -> foo: each message names one parent; nothing chases it. */
  m = parse(MSG "><thread parent='bar'>foo</thread></message>");
  assert_string_equal(xmppim_message_thread(m, &parent), "foo");
  assert_string_equal(parent, "bar");
  assert_int_equal(xmppim_message_check(m, NULL), 0);
  xmppim_stanza_free(m);
}

/* R5.3-a: extension elements ride along and are left alone. */
static void R5_3_a_extensions(void **state) {
  (void)state;
  xmppim_stanza *m, *x;
  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, "a@b", "hi", NULL), 0);
  assert_int_equal(xmppim_stanza_add_child(m, "active", "http://jabber.org/protocol/chatstates", &x), 0);
  assert_int_equal(xmppim_stanza_add_child(m, "thread", "urn:example:not-a-thread", &x), 0);
  assert_int_equal(xmppim_message_add_thread(m, "t", NULL), 0); /* the extension is not a thread */
  assert_int_equal(xmppim_message_check(m, NULL), 0);
  assert_string_equal(xmppim_message_thread(m, NULL), "t");
  /* Round trip through text. */
  char xml[1024];
  assert_int_equal(xmppim_stanza_serialize(m, NULL, xml, sizeof(xml), NULL), 0);
  xmppim_stanza *back = parse(xml);
  assert_true(xmppim_stanza_equal(m, back));
  xmppim_stanza_free(back);
  xmppim_stanza_free(m);
}

/* ---- arguments and allocation ---- */

static void message_arguments(void **state) {
  (void)state;
  xmppim_stanza *m;
  assert_int_equal(xmppim_message_new(NULL, NULL, XMPPIM_MESSAGE_CHAT, "a@b", "x", NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  static const char *bad_langs[] = {"", "1en", "-en", "en-", "en--us", "e n", "en_US",
                                    "abcdefghijklmnopqrstuvwxyz0123456789"}; /* 36 */
  for (size_t i = 0; i < sizeof(bad_langs) / sizeof(bad_langs[0]); i++)
    assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, "a@b", "x", bad_langs[i]),
                     XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, "a@b", "x",
                                      "abcdefghijklmnopqrstuvwxyz012345678"), /* 35 */
                   0);
  xmppim_stanza_free(m);
  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, "a@b", "bad \xC3", NULL),
                   XMPPIM_ERR_BAD_UTF8);
  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, "a@b", "bell \a", NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, "a@b", "\xEF\xBF\xBE", NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_null(m);

  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, "a@b", "x", NULL), 0);
  char *before = ser_dup(m);
  assert_int_equal(xmppim_message_add_body(NULL, "x", "de"), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_message_add_body(m, NULL, "de"), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_message_add_body(m, "x", "d e"), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_message_add_body(m, "\xFF", "de"), XMPPIM_ERR_BAD_UTF8);
  assert_int_equal(xmppim_message_add_body(m, "nul\x01", "de"), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_message_add_subject(m, "\xFF", "de"), XMPPIM_ERR_BAD_UTF8);
  assert_int_equal(xmppim_message_add_thread(NULL, "t", NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_string_equal(ser(m), before);
  free(before);
  /* Tabs and line ends are text. */
  assert_int_equal(xmppim_message_add_body(m, "a\tb\r\nc", "de"), 0);
  xmppim_stanza_free(m);
  xmppim_stanza *p = parse("<presence xmlns='jabber:client'/>");
  assert_int_equal(xmppim_message_add_body(p, "x", NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_message_add_subject(p, "x", NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_message_add_thread(p, "t", NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_null(xmppim_stanza_first_child(p));
  xmppim_stanza_free(p);
  assert_null(xmppim_message_lang(NULL, NULL));
  assert_string_equal(xmppim_message_lang(NULL, "en"), "en");
  assert_null(xmppim_message_body(NULL, NULL, NULL, NULL));
  assert_null(xmppim_message_subject_at(NULL, 0, NULL, NULL));
  assert_int_equal(xmppim_message_subject_count(NULL), 0);
  assert_int_equal(xmppim_message_check(NULL, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
}

/* Every allocation failing in turn: NOMEM and no leak once the tree is freed. */
static void message_allocation_failures(void **state) {
  (void)state;
  int done = 0;
  for (long fail = 1; fail < 500 && !done; fail++) {
    failing_mem fm;
    failing_mem_init(&fm, fail);
    xmppim_stanza *m = NULL;
    /* A long body, so that the arena needs more than its first chunk. */
    char body[6000];
    memset(body, 'x', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    int rv = xmppim_message_new(&m, &fm.mem, XMPPIM_MESSAGE_CHAT, "Romeo@Example.net/r", body, "en");
    if (rv == 0) rv = xmppim_message_add_body(m, body, "de");
    if (rv == 0) rv = xmppim_message_add_subject(m, body, "fr");
    if (rv == 0) rv = xmppim_message_add_thread(m, "thread-id", "parent-id");
    if (rv == 0) {
      assert_int_equal(xmppim_message_body_count(m), 2);
      assert_string_equal(xmppim_message_thread(m, NULL), "thread-id");
      done = 1;
    } else {
      assert_int_equal(rv, XMPPIM_ERR_NOMEM);
    }
    xmppim_stanza_free(m);
    assert_int_equal(fm.live, 0);
  }
  assert_true(done);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(R5_2_2_a_b_type_always_written),
      cmocka_unit_test(R5_2_2_c_h_five_types_read),
      cmocka_unit_test(R5_2_2_i_missing_or_unknown_type_is_normal),
      cmocka_unit_test(R5_2_1_a_to_is_the_recipient),
      cmocka_unit_test(R5_2_3_a_body_optional),
      cmocka_unit_test(R5_2_3_b_bodies_in_distinct_languages),
      cmocka_unit_test(R5_2_3_b_duplicates_and_attributes_flagged),
      cmocka_unit_test(R5_2_3_b_body_by_language),
      cmocka_unit_test(R5_2_4_a_subjects_by_language),
      cmocka_unit_test(R5_2_3_c_R5_2_4_b_R5_2_5_j_no_mixed_content),
      cmocka_unit_test(R5_2_5_b_c_d_thread_and_parent),
      cmocka_unit_test(R5_2_5_e_nmtokens),
      cmocka_unit_test(R5_2_5_f_g_threads_opaque_parents_not_followed),
      cmocka_unit_test(R5_3_a_extensions),
      cmocka_unit_test(message_arguments),
      cmocka_unit_test(message_allocation_failures),
  };
  return cmocka_run_group_tests_name("message", tests, NULL, NULL);
}
