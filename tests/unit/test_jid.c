/*
 * JID parsing and preparation (RFC 6122, used by RFC 6120 and RFC 6121).
 *
 * Requirement IDs from /work/shared/spec/rfc6121-requirements.md appear where
 * a test backs one. The checklist has no rows of its own for the address
 * format (R10-a defers to it), so the RFC 6122 rules are named by section.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <idna.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stringprep.h>
#include <xmppim/jid.h>

#include "jid/prep.h"
#include "util/mem.h"

/* ------------------------------------------------------------- helpers */

/* Parses in (len bytes) with both entry points; both must agree with want. */
static void check_len(const char *in, size_t len, const char *want, int want_rc) {
  xmppim_jid *jid = (xmppim_jid *)&jid; /* must be overwritten */
  int rc = xmppim_jid_new(&jid, in, len, NULL);
  if (rc != want_rc)
    fail_msg("xmppim_jid_new(\"%.*s\"): %d (%s), want %d (%s)", (int)len, in, rc,
             xmppim_strerror(rc), want_rc, xmppim_strerror(want_rc));
  if (rc == 0) {
    if (want && strcmp(xmppim_jid_to_string(jid), want) != 0)
      fail_msg("xmppim_jid_new(\"%.*s\") gave \"%s\", want \"%s\"", (int)len, in,
               xmppim_jid_to_string(jid), want);
  } else {
    assert_null(jid);
  }
  xmppim_jid_free(jid);

  char out[XMPPIM_JID_MAX + 1];
  size_t needed = 12345;
  rc = xmppim_jid_prep(in, len, out, sizeof(out), &needed);
  if (rc != want_rc) fail_msg("xmppim_jid_prep(\"%.*s\"): %d, want %d", (int)len, in, rc, want_rc);
  if (rc == 0) {
    if (want) assert_string_equal(out, want);
    assert_int_equal(needed, strlen(out));
    /* Preparation is idempotent: the canonical form is its own canonical form. */
    char again[XMPPIM_JID_MAX + 1];
    assert_int_equal(xmppim_jid_prep(out, strlen(out), again, sizeof(again), NULL), 0);
    assert_string_equal(again, out);
  }
}

static void ok(const char *in, const char *want) { check_len(in, strlen(in), want, 0); }
static void bad(const char *in, int err) { check_len(in, strlen(in), NULL, err); }

/* A string built from repeated pieces, for the length limits. */
typedef struct sbuf {
  char s[8192];
  size_t n;
} sbuf;

static sbuf *sb_new(void) {
  sbuf *b = calloc(1, sizeof(*b));
  assert_non_null(b);
  return b;
}

static sbuf *sb_add(sbuf *b, const char *unit, size_t times) {
  size_t u = strlen(unit);
  for (size_t i = 0; i < times; i++) {
    assert_true(b->n + u < sizeof(b->s));
    memcpy(b->s + b->n, unit, u);
    b->n += u;
  }
  b->s[b->n] = '\0';
  return b;
}

/* ------------------------------------------------ RFC 6122 section 2.1 */

/* R10-a: the address format; RFC 6122 2.1 splits before any preparation. */
static void test_split_rules(void **state) {
  (void)state;
  xmppim_jid *j;
  /* The first '/' starts the resource; '@' and '/' after it belong to it. */
  assert_int_equal(xmppim_jid_new(&j, "a@b/c@d/e", 9, NULL), 0);
  assert_string_equal(xmppim_jid_local(j), "a");
  assert_string_equal(xmppim_jid_domain(j), "b");
  assert_string_equal(xmppim_jid_resource(j), "c@d/e");
  xmppim_jid_free(j);

  /* An '@' after the first '/' does not make a localpart. */
  assert_int_equal(xmppim_jid_new(&j, "b/c@d", 5, NULL), 0);
  assert_null(xmppim_jid_local(j));
  assert_string_equal(xmppim_jid_domain(j), "b");
  assert_string_equal(xmppim_jid_resource(j), "c@d");
  xmppim_jid_free(j);

  /* The localpart ends at the first '@'; a second one lands in the domain. */
  bad("a@b@c", XMPPIM_ERR_JID_BAD_DOMAIN);
  ok("example.com/a/b", "example.com/a/b");
  ok("example.com//", "example.com//");

  xmppim_jid_split sp;
  xmppim_jid_split_string("l@d/r", 5, &sp);
  assert_int_equal(sp.local_len, 1);
  assert_int_equal(sp.domain_len, 1);
  assert_int_equal(sp.resource_len, 1);
  xmppim_jid_split_string("@/", 2, &sp);
  assert_non_null(sp.local);
  assert_int_equal(sp.local_len, 0);
  assert_int_equal(sp.domain_len, 0);
  assert_non_null(sp.resource);
  assert_int_equal(sp.resource_len, 0);
}

/* Typical addresses of RFC 6120/6121/6122 text and the usual edge cases. */
static void test_valid_examples(void **state) {
  (void)state;
  ok("juliet@example.com", "juliet@example.com");
  ok("juliet@example.com/foo", "juliet@example.com/foo");
  ok("juliet@example.com/foo bar", "juliet@example.com/foo bar");
  ok("juliet@example.com/foo@bar", "juliet@example.com/foo@bar");
  ok("foo\\20bar@example.com", "foo\\20bar@example.com"); /* XEP-0106 escapes are plain text */
  ok("fussball@example.com", "fussball@example.com");
  ok("\xcf\x80@example.com", "\xcf\x80@example.com");                  /* π */
  ok("king@example.com/\xe2\x99\x9a", "king@example.com/\xe2\x99\x9a"); /* ♚ */
  ok("\xe2\x99\x9a@example.com", "\xe2\x99\x9a@example.com");
  ok("example.com", "example.com");
  ok("example.com/foobar", "example.com/foobar");
  ok("a.example.com/b@example.net", "a.example.com/b@example.net");
  ok("romeo@montague.lit/orchard", "romeo@montague.lit/orchard");
  ok("localhost", "localhost");
  ok("x", "x");
  ok("a@b-c.d-e", "a@b-c.d-e");
  ok("1@2.example", "1@2.example");
  ok("a@123.example", "a@123.example"); /* numeric labels are fine below a real TLD */
  ok("user@example.com/\"&'<>:", "user@example.com/\"&'<>:");
  ok("res@example.com/ leading and trailing ", "res@example.com/ leading and trailing ");
}

/* RFC 6122 2.3, 2.2: Nodeprep and Nameprep fold case; 2.4: Resourceprep does not. */
static void test_case_folding(void **state) {
  (void)state;
  ok("JuLiEt@ExAmPlE.CoM/BaLcOnY", "juliet@example.com/BaLcOnY");
  ok("EXAMPLE.COM", "example.com");
  ok("\xce\xa3@example.com", "\xcf\x83@example.com");                 /* Σ -> σ */
  ok("fu\xc3\x9f" "ball@example.com", "fussball@example.com");         /* ß -> ss */
  ok("\xd0\x98\xd0\x92\xd0\x90\xd0\x9d@example.com",                  /* ИВАН */
     "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd@example.com");                 /* иван */
  ok("a@\xc3\x9c" "BER.example", "a@\xc3\xbc" "ber.example");          /* ÜBER -> über */
  ok("a@b/\xc3\x9c" "BER", "a@b/\xc3\x9c" "BER");                      /* kept in the resource */

  xmppim_jid *a, *b;
  assert_int_equal(xmppim_jid_new(&a, "JULIET@EXAMPLE.COM/Home", 23, NULL), 0);
  assert_int_equal(xmppim_jid_new(&b, "juliet@example.com/home", 23, NULL), 0);
  assert_false(xmppim_jid_equal(a, b)); /* resources differ in case */
  assert_true(xmppim_jid_bare_equal(a, b));
  xmppim_jid_free(a);
  xmppim_jid_free(b);
}

/* NFKC in all three profiles; B.1 maps some characters to nothing. */
static void test_compatibility_mapping(void **state) {
  (void)state;
  /* Full-width forms, including the full-width full stop as label separator. */
  ok("\xef\xbc\xaa\xef\xbc\xb5\xef\xbc\xac\xef\xbc\xa9\xef\xbc\xa5\xef\xbc\xb4@"
     "\xef\xbd\x85\xef\xbd\x98\xef\xbd\x81\xef\xbd\x8d\xef\xbd\x90\xef\xbd\x8c\xef\xbd\x85"
     "\xef\xbc\x8e\xef\xbd\x83\xef\xbd\x8f\xef\xbd\x8d",
     "juliet@example.com"); /* ＪＵＬＩＥＴ@ｅｘａｍｐｌｅ．ｃｏｍ */
  ok("a@b/\xef\xbc\xa2\xef\xbd\x81\xef\xbd\x8c", "a@b/Bal"); /* Ｂａｌ: width only */
  ok("henry\xe2\x85\xa3@example.com", "henryiv@example.com");  /* Ⅳ */
  ok("\xef\xac\x80@example.com", "ff@example.com");            /* ﬀ ligature */
  ok("x\xc2\xb2@example.com", "x2@example.com");               /* ² */
  ok("\xc2\xbd@example.com", "1\xe2\x81\x84" "2@example.com"); /* ½ -> 1⁄2 */
  ok("ju\xc2\xadliet@example.com", "juliet@example.com");      /* soft hyphen -> nothing */
  ok("a@b/x\xe2\x80\x8by", "a@b/xy");                          /* zero width space */
  ok("a@ex\xc2\xad" "ample.com", "a@example.com");
  /* Composed and decomposed spellings are one JID. */
  ok("caf\x65\xcc\x81@example.com", "caf\xc3\xa9@example.com");
}

/* RFC 6122 2.3: Nodeprep's prohibited output plus " & ' / : < > @. */
static void test_local_prohibited(void **state) {
  (void)state;
  static const char ascii[] = "\"&':<> ";
  for (const char *c = ascii; *c; c++) {
    char in[64];
    snprintf(in, sizeof(in), "ju%cliet@example.com", *c);
    bad(in, XMPPIM_ERR_JID_PROHIBITED);
  }
  /* '@' and '/' cannot reach the localpart of a string; they can as a part. */
  static const char *const sep[] = {"a@b", "a/b", "@", "/"};
  for (size_t i = 0; i < sizeof(sep) / sizeof(sep[0]); i++) {
    xmppim_jid *j;
    assert_int_equal(xmppim_jid_new_from_parts(&j, sep[i], "example.com", NULL, NULL),
                     XMPPIM_ERR_JID_PROHIBITED);
    assert_null(j);
  }
  /* Their full-width forms become them under NFKC, and are refused too. */
  bad("a\xef\xbc\xa0" "b@example.com", XMPPIM_ERR_JID_PROHIBITED); /* ＠ */
  bad("a\xef\xbc\x8f" "b@example.com", XMPPIM_ERR_JID_PROHIBITED); /* ／ */
  bad("a\xef\xbc\x82" "b@example.com", XMPPIM_ERR_JID_PROHIBITED); /* ＂ */
  bad("a\xef\xbc\x9a" "b@example.com", XMPPIM_ERR_JID_PROHIBITED); /* ： */

  /* ASCII controls, one by one. */
  for (int c = 1; c < 0x20; c++) {
    char in[64];
    snprintf(in, sizeof(in), "ju%cliet@example.com", c);
    bad(in, XMPPIM_ERR_JID_PROHIBITED);
  }
  bad("ju\x7fliet@example.com", XMPPIM_ERR_JID_PROHIBITED);

  /* Non-ASCII prohibited output of Nodeprep (RFC 3454 tables named). */
  static const char *const non_ascii[] = {
      "\xc2\xa0",         /* no-break space: NFKC makes it a space (C.1.1) */
      "\xe3\x80\x80",     /* ideographic space: likewise */
      "\xe1\x9a\x80",     /* C.1.2 Ogham space mark, which stays itself */
      "\xc2\x85",         /* C.2.2 next line */
      "\xe2\x80\xa8",     /* C.2.2 line separator */
      "\xee\x80\x80",     /* C.3 private use */
      "\xef\xbf\xbe",     /* C.4 non-character */
      "\xef\xbf\xbd",     /* C.6 replacement character */
      "\xe2\xbf\xb0",     /* C.7 ideographic description */
      "\xe2\x80\x8e",     /* C.8 left-to-right mark */
      "\xf3\xa0\x80\x81", /* C.9 language tag */
  };
  for (size_t i = 0; i < sizeof(non_ascii) / sizeof(non_ascii[0]); i++) {
    char in[64];
    snprintf(in, sizeof(in), "ju%sliet@example.com", non_ascii[i]);
    bad(in, XMPPIM_ERR_JID_PROHIBITED);
  }
}

/* RFC 6122 2.4: Resourceprep allows space and the localpart's specials. */
static void test_resource_prohibited(void **state) {
  (void)state;
  for (int c = 1; c < 0x20; c++) {
    char in[64];
    snprintf(in, sizeof(in), "a@b/x%cy", c);
    bad(in, XMPPIM_ERR_JID_PROHIBITED);
  }
  bad("a@b/x\x7fy", XMPPIM_ERR_JID_PROHIBITED);
  bad("a@b/x\xe1\x9a\x80y", XMPPIM_ERR_JID_PROHIBITED); /* C.1.2 */
  ok("a@b/x\xc2\xa0y", "a@b/x y"); /* NFKC: no-break space is a space */
  bad("a@b/x\xc2\x85y", XMPPIM_ERR_JID_PROHIBITED);     /* C.2.2 */
  bad("a@b/x\xee\x80\x80y", XMPPIM_ERR_JID_PROHIBITED); /* C.3 */
  bad("a@b/x\xef\xbf\xbey", XMPPIM_ERR_JID_PROHIBITED); /* C.4 */
  bad("a@b/x\xe2\x80\x8ey", XMPPIM_ERR_JID_PROHIBITED); /* C.8 */
  ok("a@b/ \"&'/:<>@", "a@b/ \"&'/:<>@");
}

/* RFC 6122 2.2: Nameprep, then ToASCII with UseSTD3ASCIIRules per label. */
static void test_domain_prohibited(void **state) {
  (void)state;
  for (int c = 1; c < 0x80; c++) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        c == '-' || c == '.' || c == '@' || c == '/')
      continue;
    char in[64];
    snprintf(in, sizeof(in), "a@ex%cample.com", c);
    bad(in, XMPPIM_ERR_JID_BAD_DOMAIN);
    /* The same character in a label next to a non-ASCII one. */
    snprintf(in, sizeof(in), "a@\xc3\xa9%c.com", c);
    bad(in, XMPPIM_ERR_JID_BAD_DOMAIN);
  }
  bad("a@-example.com", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@example-.com", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@example.-com", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@\xc3\xa9-.com", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@a..b", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@.example.com", XMPPIM_ERR_JID_BAD_DOMAIN);
  /* Nameprep's own tables give PROHIBITED. */
  bad("a@ex\xee\x80\x80" "ample.com", XMPPIM_ERR_JID_PROHIBITED); /* C.3 */
  bad("a@ex\xe1\x9a\x80" "ample.com", XMPPIM_ERR_JID_PROHIBITED); /* C.1.2 */
  bad("a@ex\xc2\xa0" "ample.com", XMPPIM_ERR_JID_BAD_DOMAIN); /* NFKC: a space */
  /* A character that NFKC turns into a dot is not a separator. */
  bad("a@a\xe2\x80\xa4" "b.com", XMPPIM_ERR_JID_BAD_DOMAIN); /* one dot leader */
  /* Labels: 63 octets at most. */
  sbuf *b = sb_add(sb_add(sb_add(sb_new(), "a@", 1), "x", 63), ".com", 1);
  ok(b->s, b->s);
  b->n = 0;
  bad(sb_add(sb_add(sb_add(b, "a@", 1), "x", 64), ".com", 1)->s, XMPPIM_ERR_JID_BAD_DOMAIN);
  free(b);
}

/* RFC 6122 2.x via stringprep section 6: the bidirectional rules. */
static void test_bidi(void **state) {
  (void)state;
  ok("\xd7\x90\xd7\x91@example.com", "\xd7\x90\xd7\x91@example.com");   /* אב */
  bad("\xd7\x90" "a@example.com", XMPPIM_ERR_JID_PROHIBITED);            /* R and L */
  bad("\xd7\x90" "1@example.com", XMPPIM_ERR_JID_PROHIBITED);            /* ends in a digit */
  bad("a@b/\xd7\x90" "a", XMPPIM_ERR_JID_PROHIBITED);
  ok("a@b/\xd7\x90 \xd7\x91", "a@b/\xd7\x90 \xd7\x91");
  bad("a@\xd7\x90" "a.example", XMPPIM_ERR_JID_PROHIBITED);
  ok("a@\xd7\x90\xd7\x91.example", "a@\xd7\x90\xd7\x91.example"); /* per label */
}

/* RFC 6122 2.1-2.4: each part 1 to 1023 bytes. */
static void test_length_local(void **state) {
  (void)state;
  sbuf *b = sb_new();
  sb_add(sb_add(b, "a", 1023), "@example.com", 1);
  ok(b->s, b->s);
  b->n = 0;
  bad(sb_add(sb_add(b, "a", 1024), "@example.com", 1)->s, XMPPIM_ERR_JID_TOO_LONG);

  /* Growing under preparation: ½ (2 bytes) becomes 1⁄2 (5 bytes). */
  b->n = 0;
  sb_add(sb_add(sb_add(b, "a", 1018), "\xc2\xbd", 1), "@example.com", 1);
  xmppim_jid *j;
  assert_int_equal(xmppim_jid_new(&j, b->s, b->n, NULL), 0);
  assert_int_equal(strlen(xmppim_jid_local(j)), 1023);
  xmppim_jid_free(j);
  b->n = 0;
  bad(sb_add(sb_add(sb_add(b, "a", 1019), "\xc2\xbd", 1), "@example.com", 1)->s,
      XMPPIM_ERR_JID_TOO_LONG);

  /* Shrinking under preparation: 1023 bytes of input is the bound, even
   * when soft hyphens would vanish (jid.h explains why). */
  b->n = 0;
  sb_add(sb_add(sb_add(b, "a", 1021), "\xc2\xad", 1), "@example.com", 1);
  assert_int_equal(xmppim_jid_new(&j, b->s, b->n, NULL), 0);
  assert_int_equal(strlen(xmppim_jid_local(j)), 1021);
  xmppim_jid_free(j);
  b->n = 0;
  bad(sb_add(sb_add(sb_add(b, "a", 1022), "\xc2\xad", 1), "@example.com", 1)->s,
      XMPPIM_ERR_JID_TOO_LONG);

  /* Long non-ASCII input: ΐ maps to three code points and composes back. */
  b->n = 0;
  sb_add(sb_add(b, "\xce\x90", 511), "@example.com", 1);
  assert_int_equal(xmppim_jid_new(&j, b->s, b->n, NULL), 0);
  assert_int_equal(strlen(xmppim_jid_local(j)), 1022);
  xmppim_jid_free(j);
  free(b);
}

static void test_length_resource(void **state) {
  (void)state;
  sbuf *b = sb_new();
  sb_add(sb_add(b, "a@b/", 1), "R", 1023);
  ok(b->s, b->s);
  sb_add(b, "R", 1);
  bad(b->s, XMPPIM_ERR_JID_TOO_LONG);

  b->n = 0;
  sb_add(sb_add(sb_add(b, "a@b/", 1), "r", 1018), "\xc2\xbd", 1);
  check_len(b->s, b->n, NULL, 0);
  b->n = 0;
  sb_add(sb_add(sb_add(b, "a@b/", 1), "r", 1019), "\xc2\xbd", 1);
  bad(b->s, XMPPIM_ERR_JID_TOO_LONG);

  /* U+FDFA is 3 bytes and NFKC makes it 18 code points, 33 bytes: 31 of
   * them fill 1023 bytes exactly, 32 are too many. */
  b->n = 0;
  sb_add(sb_add(b, "a@b/", 1), "\xef\xb7\xba", 31);
  xmppim_jid *j;
  assert_int_equal(xmppim_jid_new(&j, b->s, b->n, NULL), 0);
  assert_int_equal(strlen(xmppim_jid_resource(j)), 1023);
  xmppim_jid_free(j);
  sb_add(b, "\xef\xb7\xba", 1);
  bad(b->s, XMPPIM_ERR_JID_TOO_LONG);
  b->n = 0;
  sb_add(sb_add(b, "a@b/", 1), "\xef\xb7\xba", 300);
  bad(b->s, XMPPIM_ERR_JID_TOO_LONG);
  free(b);
}

static void test_length_domain(void **state) {
  (void)state;
  /* 16 labels of 63 with 15 dots: 1023 bytes. */
  sbuf *b = sb_new();
  sb_add(b, "a@", 1);
  for (int i = 0; i < 16; i++) sb_add(sb_add(b, i ? "." : "", 1), "d", 63);
  assert_int_equal(b->n, 2 + 1023);
  ok(b->s, b->s);
  char *want = strdup(b->s);
  assert_non_null(want);
  sb_add(b, ".", 1); /* trailing dot: stripped before counting */
  ok(b->s, want);
  b->n -= 1;
  b->s[b->n - 1] = '.'; /* 1022 bytes + "x": 1024 */
  sb_add(b, "x", 1);
  bad(b->s, XMPPIM_ERR_JID_TOO_LONG);
  free(want);

  /* Growing under Nameprep: labels "½½½½½" are 10 bytes in, 25 out. */
  b->n = 0;
  sb_add(b, "a@", 1);
  for (int i = 0; i < 39; i++) sb_add(sb_add(b, i ? "." : "", 1), "\xc2\xbd", 5);
  check_len(b->s, b->n, NULL, 0); /* 39 * 26 - 1 = 1013 */
  sb_add(sb_add(b, ".", 1), "\xc2\xbd", 5);
  bad(b->s, XMPPIM_ERR_JID_TOO_LONG); /* 1039 */
  free(b);
}

/* RFC 6122 2.2: IPv4 dotted quad and bracketed IPv6 literals. */
static void test_ip_literals(void **state) {
  (void)state;
  ok("juliet@192.0.2.1", "juliet@192.0.2.1");
  ok("0.0.0.0", "0.0.0.0");
  ok("255.255.255.255/r", "255.255.255.255/r");
  ok("192.0.2.1.", "192.0.2.1");
  ok("a@\xef\xbc\x91\xef\xbc\x99\xef\xbc\x92.0.2.1", "a@192.0.2.1"); /* full-width digits */
  bad("a@192.0.2.256", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@192.0.2", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@1.2.3.4.5", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@01.2.3.4", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@123", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@1.2.3.4/", XMPPIM_ERR_JID_EMPTY_PART);

  ok("juliet@[2001:db8::1]/r", "juliet@[2001:db8::1]/r");
  ok("[::1]", "[::1]");
  ok("a@[2001:DB8:0:0:0:0:0:1]", "a@[2001:db8::1]"); /* one spelling per address */
  ok("a@[::ffff:192.0.2.1]", "a@[::ffff:192.0.2.1]");
  bad("a@[2001:db8::1", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@2001:db8::1", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@[]", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@[", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@[1::2::3]", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@[12345::]", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@[fe80::1%eth0]", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@[192.0.2.1]", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@[v1.x]", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@[::1]x", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@[::1].", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("a@x[::1]", XMPPIM_ERR_JID_BAD_DOMAIN);
  check_len("a@[::1\0]", 8, NULL, XMPPIM_ERR_JID_BAD_DOMAIN);
}

/* RFC 6122 2.2: internationalized domain names, IDNA2003 ToASCII/ToUnicode. */
static void test_idn(void **state) {
  (void)state;
  ok("juliet@caf\xc3\xa9.example", "juliet@caf\xc3\xa9.example");
  ok("juliet@CAF\xc3\x89.EXAMPLE", "juliet@caf\xc3\xa9.example");
  ok("a@m\xc3\xbc" "nchen.de", "a@m\xc3\xbc" "nchen.de");
  ok("a@\xe2\x98\x83.example", "a@\xe2\x98\x83.example"); /* ☃ */
  /* ACE labels come back as Unicode, so both spellings are one domain. */
  ok("juliet@xn--caf-dma.example", "juliet@caf\xc3\xa9.example");
  ok("juliet@XN--CAF-DMA.example", "juliet@caf\xc3\xa9.example");
  ok("a@b.xn--caf-dma", "a@b.caf\xc3\xa9");
  xmppim_jid *x, *y;
  assert_int_equal(xmppim_jid_new(&x, "j@xn--caf-dma.example", 21, NULL), 0);
  assert_int_equal(xmppim_jid_new_from_parts(&y, "J", "CAF\xc3\x89.example", NULL, NULL), 0);
  assert_true(xmppim_jid_equal(x, y));
  xmppim_jid_free(x);
  xmppim_jid_free(y);
  /* A non-ASCII label may not carry the ACE prefix. */
  bad("a@xn--caf\xc3\xa9.com", XMPPIM_ERR_JID_BAD_DOMAIN);
  /* An ACE label that does not decode stays as it is (ToUnicode never
   * fails), then must pass as an ASCII label. */
  ok("a@xn--bogus.com", "a@xn--bogus.com");
  bad("a@xn--abc-.com", XMPPIM_ERR_JID_BAD_DOMAIN);
  /* Full-width letters that spell an ACE label are that label. */
  ok("a@\xef\xbd\x98\xef\xbd\x8e\xef\xbc\x8d\xef\xbc\x8d\xef\xbd\x83\xef\xbd\x81"
     "\xef\xbd\x86\xef\xbc\x8d\xef\xbd\x84\xef\xbd\x8d\xef\xbd\x81.example",
     "a@caf\xc3\xa9.example");
  /* The other IDNA label separators. */
  ok("a@b\xe3\x80\x82" "c", "a@b.c"); /* U+3002 */
  ok("a@b\xef\xbd\xa1" "c", "a@b.c"); /* U+FF61 */
  ok("a@\xe4\xbe\x8b\xe3\x81\x88\xe3\x80\x82\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88",
     "a@\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88"); /* 例え。テスト */
  /* Labels of é: 57 fit in 63 octets of ACE, 58 do not. */
  sbuf *b = sb_new();
  sb_add(sb_add(sb_add(b, "a@", 1), "\xc3\xa9", 57), ".example", 1);
  check_len(b->s, b->n, NULL, 0);
  b->n = 0;
  sb_add(sb_add(sb_add(b, "a@", 1), "\xc3\xa9", 58), ".example", 1);
  bad(b->s, XMPPIM_ERR_JID_BAD_DOMAIN);
  free(b);
}

/* Our domain rules against libidn's own IDNA2003 ToASCII, label by label. */
static void test_idn_matches_libidn(void **state) {
  (void)state;
  static const char *const labels[] = {
      "example", "EXAMPLE", "caf\xc3\xa9", "CAF\xc3\x89", "xn--caf-dma", "-a", "a-", "a_b",
      "a b", "\xe2\x98\x83", "m\xc3\xbc" "nchen", "\xd7\x90\xd7\x91", "\xd7\x90" "a",
      "\xef\xbd\x85\xef\xbd\x98", "xn--caf\xc3\xa9", "ex\xc2\xad" "ample", "a\xe2\x80\xa4" "b",
      "\xee\x80\x80", "\xc2\xbd", "\xe4\xbe\x8b\xe3\x81\x88", "x\xe2\x80\x8d" "y", "0", "a1-b2",
  };
  for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
    char in[128], ours[XMPPIM_JID_MAX + 1];
    snprintf(in, sizeof(in), "%s.example", labels[i]);
    char *theirs = NULL;
    int lib_ok = idna_to_ascii_8z(in, &theirs, IDNA_USE_STD3_ASCII_RULES | IDNA_ALLOW_UNASSIGNED) ==
                 IDNA_SUCCESS;
    int rc = xmppim_jid_prep(in, strlen(in), ours, sizeof(ours), NULL);
    if (lib_ok != (rc == 0))
      fail_msg("label \"%s\": ours %d, libidn %s", labels[i], rc, lib_ok ? "ok" : "refuses");
    if (lib_ok) {
      /* The prepared form has the same ASCII form as the input. */
      char *again = NULL;
      assert_int_equal(
          idna_to_ascii_8z(ours, &again, IDNA_USE_STD3_ASCII_RULES | IDNA_ALLOW_UNASSIGNED),
          IDNA_SUCCESS);
      /* libidn leaves all-ASCII labels' case alone; DNS ignores it. */
      if (strcasecmp(again, theirs) != 0) fail_msg("%s: %s vs %s", labels[i], again, theirs);
      free(again);
    }
    free(theirs);
  }
}

/* RFC 6122 2.2: one trailing dot is not part of the domain. */
static void test_trailing_dot(void **state) {
  (void)state;
  ok("example.com.", "example.com");
  ok("juliet@example.com.", "juliet@example.com");
  ok("juliet@example.com./r", "juliet@example.com/r");
  ok("juliet@example.com\xe3\x80\x82", "juliet@example.com"); /* U+3002 */
  ok("a@caf\xc3\xa9.", "a@caf\xc3\xa9");
  bad("example.com..", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad(".", XMPPIM_ERR_JID_EMPTY_PART);
  bad("a@.", XMPPIM_ERR_JID_EMPTY_PART);
  bad("a@./r", XMPPIM_ERR_JID_EMPTY_PART);
  xmppim_jid *a, *b;
  assert_int_equal(xmppim_jid_new(&a, "x@example.com.", 14, NULL), 0);
  assert_int_equal(xmppim_jid_new(&b, "x@example.com", 13, NULL), 0);
  assert_true(xmppim_jid_equal(a, b));
  xmppim_jid_free(a);
  xmppim_jid_free(b);
}

/* Bare and full JIDs: R3-b, R3.1.2-b, R4.5.4-b, R5.1-e need the distinction. */
static void test_bare_full(void **state) {
  (void)state;
  xmppim_jid *full, *bare, *bare2;
  assert_int_equal(xmppim_jid_new(&full, "Juliet@Example.com/Balcony", 26, NULL), 0);
  assert_false(xmppim_jid_is_bare(full));
  assert_string_equal(xmppim_jid_local(full), "juliet");
  assert_string_equal(xmppim_jid_domain(full), "example.com");
  assert_string_equal(xmppim_jid_resource(full), "Balcony");
  assert_string_equal(xmppim_jid_to_string(full), "juliet@example.com/Balcony");
  assert_string_equal(xmppim_jid_bare_string(full), "juliet@example.com");
  /* Cached: the same pointer every time. */
  assert_ptr_equal(xmppim_jid_to_string(full), xmppim_jid_to_string(full));

  /* R3-b / R3.1.2-b: rewrite a full JID to the bare JID. */
  assert_int_equal(xmppim_jid_bare(&bare, full, NULL), 0);
  assert_true(xmppim_jid_is_bare(bare));
  assert_null(xmppim_jid_resource(bare));
  assert_string_equal(xmppim_jid_to_string(bare), "juliet@example.com");
  assert_string_equal(xmppim_jid_bare_string(bare), "juliet@example.com");
  assert_string_equal(xmppim_jid_local(bare), "juliet");
  assert_string_equal(xmppim_jid_domain(bare), "example.com");
  assert_true(xmppim_jid_bare_equal(bare, full));
  assert_false(xmppim_jid_equal(bare, full));

  /* The bare JID of a bare JID is itself. */
  assert_int_equal(xmppim_jid_bare(&bare2, bare, NULL), 0);
  assert_true(xmppim_jid_equal(bare, bare2));
  xmppim_jid_free(bare2);
  xmppim_jid_free(bare);
  xmppim_jid_free(full);

  /* Domain-only JIDs (servers, components). */
  assert_int_equal(xmppim_jid_new(&full, "conference.example.com/room", 27, NULL), 0);
  assert_null(xmppim_jid_local(full));
  assert_string_equal(xmppim_jid_bare_string(full), "conference.example.com");
  assert_string_equal(xmppim_jid_domain(full), "conference.example.com");
  assert_int_equal(xmppim_jid_bare(&bare, full, NULL), 0);
  assert_string_equal(xmppim_jid_to_string(bare), "conference.example.com");
  assert_null(xmppim_jid_local(bare));
  assert_true(xmppim_jid_is_bare(bare));
  xmppim_jid_free(bare);
  xmppim_jid_free(full);
}

/* R8.5.3.1-* match "exactly after JID preparation"; R2.1.6-c compares bare JIDs. */
static void test_equality(void **state) {
  (void)state;
  static const char *const same[] = {
      "juliet@example.com/balcony",
      "JULIET@EXAMPLE.COM/balcony",
      "\xef\xbd\x8a" "uliet@example.com./balcony", /* full-width j */
      "ju\xc2\xadliet@example.com/balcony",
      "juliet@ex\xc2\xad" "ample.com/balcony",
  };
  xmppim_jid *ref, *j;
  assert_int_equal(xmppim_jid_new(&ref, same[0], strlen(same[0]), NULL), 0);
  for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
    assert_int_equal(xmppim_jid_new(&j, same[i], strlen(same[i]), NULL), 0);
    assert_true(xmppim_jid_equal(ref, j));
    assert_true(xmppim_jid_bare_equal(ref, j));
    xmppim_jid_free(j);
  }
  static const char *const other[] = {
      "juliet@example.com/Balcony", "juliet@example.com", "juliet@example.net/balcony",
      "romeo@example.com/balcony", "example.com/balcony", "juliet@example.com/balcony ",
  };
  for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
    assert_int_equal(xmppim_jid_new(&j, other[i], strlen(other[i]), NULL), 0);
    assert_false(xmppim_jid_equal(ref, j));
    assert_false(xmppim_jid_equal(j, ref));
    xmppim_jid_free(j);
  }
  /* Same account, other resource or none. */
  assert_int_equal(xmppim_jid_new(&j, "Juliet@Example.com", 18, NULL), 0);
  assert_true(xmppim_jid_bare_equal(ref, j));
  xmppim_jid_free(j);
  /* A domain JID is not the bare JID of an account on it. */
  assert_int_equal(xmppim_jid_new(&j, "example.com", 11, NULL), 0);
  assert_false(xmppim_jid_bare_equal(ref, j));
  assert_true(xmppim_jid_equal(j, j));
  xmppim_jid_free(j);

  assert_false(xmppim_jid_equal(ref, NULL));
  assert_false(xmppim_jid_equal(NULL, ref));
  assert_false(xmppim_jid_equal(NULL, NULL));
  assert_false(xmppim_jid_bare_equal(NULL, ref));
  assert_false(xmppim_jid_bare_equal(ref, NULL));
  xmppim_jid_free(ref);
}

/* RFC 6122 2.1, 2.4: '@' and '/' are ordinary in a resource. */
static void test_resource_at_and_slash(void **state) {
  (void)state;
  xmppim_jid *j;
  assert_int_equal(xmppim_jid_new(&j, "user@host/res@other/more", 24, NULL), 0);
  assert_string_equal(xmppim_jid_local(j), "user");
  assert_string_equal(xmppim_jid_domain(j), "host");
  assert_string_equal(xmppim_jid_resource(j), "res@other/more");
  assert_string_equal(xmppim_jid_bare_string(j), "user@host");
  xmppim_jid_free(j);
  assert_int_equal(xmppim_jid_new(&j, "host/@", 6, NULL), 0);
  assert_null(xmppim_jid_local(j));
  assert_string_equal(xmppim_jid_resource(j), "@");
  xmppim_jid_free(j);
  assert_int_equal(xmppim_jid_new_from_parts(&j, "user", "host", "a/b@c", NULL), 0);
  assert_string_equal(xmppim_jid_to_string(j), "user@host/a/b@c");
  xmppim_jid_free(j);
}

/* RFC 6122 2.1-2.4; C7.7.1-a: a proposed resource is non-empty. */
static void test_empty_parts(void **state) {
  (void)state;
  static const char *const empty[] = {
      "", "@", "/", "@/", "a@", "@b", "b/", "/r", "a@/r", "a@b/", "@b/r", "a@/",
  };
  for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
    bad(empty[i], XMPPIM_ERR_JID_EMPTY_PART);
  /* Empty after preparation: everything maps to nothing. */
  bad("\xc2\xad@example.com", XMPPIM_ERR_JID_EMPTY_PART);
  bad("a@\xc2\xad", XMPPIM_ERR_JID_EMPTY_PART);
  bad("a@b/\xe2\x80\x8b", XMPPIM_ERR_JID_EMPTY_PART);
  bad("a@\xc2\xad.com", XMPPIM_ERR_JID_BAD_DOMAIN); /* an empty label among others */

  xmppim_jid *j;
  assert_int_equal(xmppim_jid_new_from_parts(&j, "", "example.com", NULL, NULL),
                   XMPPIM_ERR_JID_EMPTY_PART);
  assert_int_equal(xmppim_jid_new_from_parts(&j, NULL, "example.com", "", NULL),
                   XMPPIM_ERR_JID_EMPTY_PART);
  assert_int_equal(xmppim_jid_new_from_parts(&j, "a", "", NULL, NULL), XMPPIM_ERR_JID_EMPTY_PART);
  assert_null(j);
}

/* Invalid UTF-8, in each part. */
static void test_bad_utf8(void **state) {
  (void)state;
  static const char *const seq[] = {
      "\xc3",             /* truncated */
      "\xc3(",            /* bad continuation */
      "\x80",             /* stray continuation */
      "\xc0\xaf",         /* overlong '/' */
      "\xc1\xbf",         /* overlong */
      "\xe0\x80\xaf",     /* overlong */
      "\xe0\x9f\xbf",     /* overlong */
      "\xed\xa0\x80",     /* surrogate */
      "\xed\xbf\xbf",     /* surrogate */
      "\xf0\x80\x80\xaf", /* overlong */
      "\xf4\x90\x80\x80", /* above U+10FFFF */
      "\xf5\x80\x80\x80", /* never valid */
      "\xf8\x88\x80\x80\x80",
      "\xfe",
      "\xff",
      "\xe2\x82", /* truncated at the end */
  };
  for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
    char in[64];
    snprintf(in, sizeof(in), "a%sb@example.com", seq[i]);
    bad(in, XMPPIM_ERR_BAD_UTF8);
    snprintf(in, sizeof(in), "a@ex%sample.com", seq[i]);
    bad(in, XMPPIM_ERR_BAD_UTF8);
    snprintf(in, sizeof(in), "a@example.com/r%sr", seq[i]);
    bad(in, XMPPIM_ERR_BAD_UTF8);
    snprintf(in, sizeof(in), "a@example.com/r%s", seq[i]);
    bad(in, XMPPIM_ERR_BAD_UTF8);
  }
  /* Boundaries that are valid. */
  ok("a@b/\xed\x9f\xbf", "a@b/\xed\x9f\xbf");         /* U+D7FF, below the surrogates */
  ok("a@b/\xf0\x90\x80\x80", "a@b/\xf0\x90\x80\x80"); /* U+10000 */
  ok("a@b/\xdf\xbf", "a@b/\xdf\xbf");                 /* U+07FF */
}

/* The length, not a NUL, ends the input; a NUL inside is refused. */
static void test_embedded_nul(void **state) {
  (void)state;
  check_len("ju\0liet@example.com", 19, NULL, XMPPIM_ERR_JID_PROHIBITED);
  check_len("j\xc3\xbc\0@example.com", 16, NULL, XMPPIM_ERR_JID_PROHIBITED);
  check_len("juliet@exa\0mple.com", 19, NULL, XMPPIM_ERR_JID_BAD_DOMAIN);
  check_len("juliet@caf\xc3\xa9\0.com", 17, NULL, XMPPIM_ERR_JID_BAD_DOMAIN);
  check_len("juliet@example.com/ba\0lcony", 27, NULL, XMPPIM_ERR_JID_PROHIBITED);
  check_len("juliet@example.com/\xc3\xa9\0", 22, NULL, XMPPIM_ERR_JID_PROHIBITED);
  check_len("juliet@example.com/\0", 20, NULL, XMPPIM_ERR_JID_PROHIBITED);
  /* Not NUL-terminated: only len bytes count. */
  check_len("juliet@example.com/balcony", 18, "juliet@example.com", 0);
  check_len("juliet@example.com/balcony", 20, "juliet@example.com/b", 0);
  check_len("juliet@example.com/balcony", 0, NULL, XMPPIM_ERR_JID_EMPTY_PART);
}

/* R9-a: no URI scheme in an address; R3.1.2-a/c, R3.1.3-a/c, C8.1.1.2-a:
 * malformed 'to' values are detected (the caller answers jid-malformed). */
static void test_malformed_addresses(void **state) {
  (void)state;
  bad("xmpp:juliet@example.com", XMPPIM_ERR_JID_PROHIBITED);
  bad("xmpp:example.com", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("\"juliet\"@example.com", XMPPIM_ERR_JID_PROHIBITED);
  bad("foo bar@example.com", XMPPIM_ERR_JID_PROHIBITED);
  bad("juliet@example com", XMPPIM_ERR_JID_BAD_DOMAIN);
  bad("<juliet@example.com>", XMPPIM_ERR_JID_PROHIBITED);
}

static void test_null_arguments(void **state) {
  (void)state;
  xmppim_jid *j = (xmppim_jid *)&j, *good;
  assert_int_equal(xmppim_jid_new(NULL, "a@b", 3, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_jid_new(&j, NULL, 3, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_null(j);
  assert_int_equal(xmppim_jid_new(&j, NULL, 0, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_mem broken = {NULL, NULL, NULL, NULL, NULL};
  assert_int_equal(xmppim_jid_new(&j, "a@b", 3, &broken), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_jid_new_from_parts(NULL, "a", "b", NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_jid_new_from_parts(&j, "a", NULL, "r", NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_jid_new_from_parts(&j, "a", "b", NULL, &broken),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_null(j);

  assert_int_equal(xmppim_jid_new(&good, "a@b/c", 5, NULL), 0);
  assert_int_equal(xmppim_jid_copy(NULL, good, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_jid_copy(&j, NULL, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_jid_copy(&j, good, &broken), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_jid_bare(NULL, good, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_jid_bare(&j, NULL, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_null(j);
  xmppim_jid_free(good);

  assert_null(xmppim_jid_local(NULL));
  assert_null(xmppim_jid_domain(NULL));
  assert_null(xmppim_jid_resource(NULL));
  assert_null(xmppim_jid_to_string(NULL));
  assert_null(xmppim_jid_bare_string(NULL));
  assert_false(xmppim_jid_is_bare(NULL));
  xmppim_jid_free(NULL);

  char out[8];
  assert_int_equal(xmppim_jid_prep(NULL, 3, out, sizeof(out), NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_jid_prep("a@b", 3, NULL, 8, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
}

static void test_from_parts(void **state) {
  (void)state;
  xmppim_jid *j;
  assert_int_equal(xmppim_jid_new_from_parts(&j, "Juliet", "Example.COM.", "Balcony", NULL), 0);
  assert_string_equal(xmppim_jid_to_string(j), "juliet@example.com/Balcony");
  xmppim_jid_free(j);
  assert_int_equal(xmppim_jid_new_from_parts(&j, NULL, "example.com", NULL, NULL), 0);
  assert_string_equal(xmppim_jid_to_string(j), "example.com");
  assert_null(xmppim_jid_local(j));
  assert_null(xmppim_jid_resource(j));
  xmppim_jid_free(j);
  assert_int_equal(xmppim_jid_new_from_parts(&j, NULL, "[::1]", "r", NULL), 0);
  assert_string_equal(xmppim_jid_to_string(j), "[::1]/r");
  xmppim_jid_free(j);
  assert_int_equal(xmppim_jid_new_from_parts(&j, "a", "b/c", NULL, NULL),
                   XMPPIM_ERR_JID_BAD_DOMAIN);
  assert_int_equal(xmppim_jid_new_from_parts(&j, "a", "b@c", NULL, NULL),
                   XMPPIM_ERR_JID_BAD_DOMAIN);
  assert_int_equal(xmppim_jid_new_from_parts(&j, "a", "b", "x\x01", NULL),
                   XMPPIM_ERR_JID_PROHIBITED);
  assert_int_equal(xmppim_jid_new_from_parts(&j, "a\xff", "b", NULL, NULL), XMPPIM_ERR_BAD_UTF8);
}

static void test_copy(void **state) {
  (void)state;
  static const char *const in[] = {"a@b/c", "a@b", "b/c", "b", "\xc3\xa9@caf\xc3\xa9/\xc3\xa9"};
  for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
    xmppim_jid *j, *c;
    assert_int_equal(xmppim_jid_new(&j, in[i], strlen(in[i]), NULL), 0);
    assert_int_equal(xmppim_jid_copy(&c, j, NULL), 0);
    assert_ptr_not_equal(xmppim_jid_to_string(c), xmppim_jid_to_string(j));
    assert_true(xmppim_jid_equal(c, j));
    assert_string_equal(xmppim_jid_bare_string(c), xmppim_jid_bare_string(j));
    assert_int_equal(xmppim_jid_is_bare(c), xmppim_jid_is_bare(j));
    if (xmppim_jid_local(j))
      assert_string_equal(xmppim_jid_local(c), xmppim_jid_local(j));
    else
      assert_null(xmppim_jid_local(c));
    assert_string_equal(xmppim_jid_domain(c), xmppim_jid_domain(j));
    xmppim_jid_free(j); /* the copy does not depend on the original */
    assert_string_equal(xmppim_jid_to_string(c), in[i]);
    xmppim_jid_free(c);
  }
}

static void test_prep_buffer(void **state) {
  (void)state;
  const char *in = "Juliet@Example.com/Balcony";
  size_t len = strlen(in), needed = 0;
  const char *want = "juliet@example.com/Balcony";
  char out[64];

  assert_int_equal(xmppim_jid_prep(in, len, NULL, 0, &needed), XMPPIM_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(needed, strlen(want));
  memset(out, 'X', sizeof(out));
  assert_int_equal(xmppim_jid_prep(in, len, out, strlen(want), &needed),
                   XMPPIM_ERR_BUFFER_TOO_SMALL);
  assert_string_equal(out, ""); /* never a truncated JID */
  assert_int_equal(xmppim_jid_prep(in, len, out, strlen(want) + 1, &needed), 0);
  assert_string_equal(out, want);
  assert_int_equal(xmppim_jid_prep(in, len, out, sizeof(out), NULL), 0);
  assert_string_equal(out, want);
  /* Errors in the input win over the buffer size. */
  assert_int_equal(xmppim_jid_prep("@x", 2, NULL, 0, &needed), XMPPIM_ERR_JID_EMPTY_PART);
}

/*
 * prep.c skips libidn for ASCII parts; that must change nothing. Every ASCII
 * character, inside a part, through our code and through libidn directly.
 */
static void test_ascii_fast_path_matches_libidn(void **state) {
  (void)state;
  const xmppim_mem *mem = xmppim_mem_default();
  for (int c = 1; c < 0x80; c++) {
    char in[4] = {'a', (char)c, 'B', 0};
    char out[XMPPIM_JID_PART_MAX + 1];
    size_t n;
    uint32_t cps[16] = {'a', (uint32_t)c, 'B'};
    size_t len;
    int lib, ours;

    len = 3;
    lib = stringprep_4i(cps, &len, 16, 0, stringprep_xmpp_nodeprep);
    ours = xmppim_jid_prep_local(in, 3, out, &n, mem);
    if ((lib == STRINGPREP_OK) != (ours == 0)) fail_msg("nodeprep of 0x%02x differs", c);
    if (ours == 0) {
      assert_int_equal(n, len);
      for (size_t i = 0; i < len; i++) assert_int_equal((unsigned char)out[i], cps[i]);
    }

    uint32_t cps2[16] = {'a', (uint32_t)c, 'B'};
    len = 3;
    lib = stringprep_4i(cps2, &len, 16, 0, stringprep_xmpp_resourceprep);
    ours = xmppim_jid_prep_resource(in, 3, out, &n, mem);
    if ((lib == STRINGPREP_OK) != (ours == 0)) fail_msg("resourceprep of 0x%02x differs", c);
    if (ours == 0) {
      assert_int_equal(n, len);
      for (size_t i = 0; i < len; i++) assert_int_equal((unsigned char)out[i], cps2[i]);
    }

    /* Domains: the ASCII path and the libidn path (taken when another label
     * is non-ASCII) agree on every character. */
    char dom[16], mixed[16];
    char out2[XMPPIM_JID_PART_MAX + 1];
    size_t n2;
    snprintf(dom, sizeof(dom), "a%cB.x", c);
    snprintf(mixed, sizeof(mixed), "a%cB.\xc3\xa9", c);
    ours = xmppim_jid_prep_domain(dom, strlen(dom), out, &n, mem);
    int slow = xmppim_jid_prep_domain(mixed, strlen(mixed), out2, &n2, mem);
    if (c == '.' || c == '[') continue; /* changes the structure, not the label */
    if ((ours == 0) != (slow == 0)) fail_msg("domain char 0x%02x: %d vs %d", c, ours, slow);
    if (ours == 0) assert_memory_equal(out, out2, 3);
  }
}

/* ------------------------------------------------- allocation failures */

/* Fails the Nth allocation (counting from 0) and tracks live blocks. */
typedef struct fail_mem {
  long fail_at;
  long calls;
  long live;
} fail_mem;

static void *fm_malloc(size_t size, void *ud) {
  fail_mem *f = ud;
  if (f->calls++ == f->fail_at) return NULL;
  void *p = malloc(size);
  if (p) f->live++;
  return p;
}
static void fm_free(void *ptr, void *ud) {
  fail_mem *f = ud;
  if (ptr) f->live--;
  free(ptr);
}
static void *fm_calloc(size_t n, size_t size, void *ud) {
  fail_mem *f = ud;
  if (f->calls++ == f->fail_at) return NULL;
  void *p = calloc(n, size);
  if (p) f->live++;
  return p;
}
static void *fm_realloc(void *ptr, size_t size, void *ud) {
  fail_mem *f = ud;
  if (f->calls++ == f->fail_at) return NULL;
  void *p = realloc(ptr, size);
  if (p && !ptr) f->live++;
  return p;
}

typedef int (*jid_op)(xmppim_jid **out, const char *arg, const xmppim_mem *mem);

static int op_new(xmppim_jid **out, const char *arg, const xmppim_mem *mem) {
  return xmppim_jid_new(out, arg, strlen(arg), mem);
}
/* The parts of arg, split here so that from_parts gets them separately. */
static int op_from_parts(xmppim_jid **out, const char *arg, const xmppim_mem *mem) {
  xmppim_jid_split sp;
  char l[4096], d[4096], r[4096];
  xmppim_jid_split_string(arg, strlen(arg), &sp);
  if (sp.local) snprintf(l, sizeof(l), "%.*s", (int)sp.local_len, sp.local);
  snprintf(d, sizeof(d), "%.*s", (int)sp.domain_len, sp.domain);
  if (sp.resource) snprintf(r, sizeof(r), "%.*s", (int)sp.resource_len, sp.resource);
  return xmppim_jid_new_from_parts(out, sp.local ? l : NULL, d, sp.resource ? r : NULL, mem);
}
static int op_copy(xmppim_jid **out, const char *arg, const xmppim_mem *mem) {
  xmppim_jid *src;
  assert_int_equal(xmppim_jid_new(&src, arg, strlen(arg), NULL), 0);
  int rc = xmppim_jid_copy(out, src, mem);
  xmppim_jid_free(src);
  return rc;
}
static int op_bare(xmppim_jid **out, const char *arg, const xmppim_mem *mem) {
  xmppim_jid *src;
  assert_int_equal(xmppim_jid_new(&src, arg, strlen(arg), NULL), 0);
  int rc = xmppim_jid_bare(out, src, mem);
  xmppim_jid_free(src);
  return rc;
}

/* Runs op failing allocation 0, 1, 2, ... until it succeeds; returns how
 * many allocations the successful run made. */
static long fail_every_allocation(jid_op op, const char *arg) {
  for (long n = 0;; n++) {
    fail_mem f = {n, 0, 0};
    xmppim_mem mem = {&f, fm_malloc, fm_free, fm_calloc, fm_realloc};
    xmppim_jid *j = (xmppim_jid *)&j;
    int rc = op(&j, arg, &mem);
    if (rc == 0) {
      assert_non_null(j);
      assert_true(f.live > 0);
      char *s = strdup(xmppim_jid_to_string(j));
      xmppim_jid_free(j);
      free(s);
      assert_int_equal(f.live, 0);
      assert_int_equal(f.calls, n); /* the first run that never met its failure */
      return f.calls;
    }
    if (rc != XMPPIM_ERR_NOMEM) fail_msg("allocation %ld failing gave %d for %s", n, rc, arg);
    assert_null(j);
    assert_int_equal(f.live, 0);
    assert_true(n < 100);
  }
}

static void test_allocation_failure(void **state) {
  (void)state;
  sbuf *b = sb_new();
  /* Long non-ASCII parts take the heap scratch path in every part. */
  sb_add(sb_add(b, "\xc3\x89", 100), "@x", 1);
  sb_add(sb_add(b, "\xc2\xad", 70), ".caf\xc3\xa9.example/", 1);
  sb_add(b, "\xe2\x85\xa3", 100);
  const char *inputs[] = {"juliet@example.com/balcony", "example.com", "a@b",
                          "J@xn--caf-dma.example/R", b->s};
  const jid_op ops[] = {op_new, op_from_parts, op_copy, op_bare};
  for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
    for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
      long calls = fail_every_allocation(ops[k], inputs[i]);
      assert_true(calls >= 1);
      /* One block per object; ASCII and short input need no scratch. */
      if (i < 4) assert_int_equal(calls, 1);
      if (i == 4 && (ops[k] == op_new || ops[k] == op_from_parts)) assert_true(calls > 1);
    }
  free(b);
}

/* The hooks see every allocation, and nothing is leaked on error paths. */
static void test_mem_hooks_on_errors(void **state) {
  (void)state;
  sbuf *b = sb_new();
  sb_add(sb_add(sb_add(b, "\xc3\x89", 100), "@example.com/", 1), "\xef\xb7\xba", 300);
  fail_mem f = {-1, 0, 0};
  xmppim_mem mem = {&f, fm_malloc, fm_free, fm_calloc, fm_realloc};
  xmppim_jid *j;
  assert_int_equal(xmppim_jid_new(&j, b->s, b->n, &mem), XMPPIM_ERR_JID_TOO_LONG);
  assert_true(f.calls > 0); /* the scratch came from the hooks */
  assert_int_equal(f.live, 0);
  free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_split_rules),
      cmocka_unit_test(test_valid_examples),
      cmocka_unit_test(test_case_folding),
      cmocka_unit_test(test_compatibility_mapping),
      cmocka_unit_test(test_local_prohibited),
      cmocka_unit_test(test_resource_prohibited),
      cmocka_unit_test(test_domain_prohibited),
      cmocka_unit_test(test_bidi),
      cmocka_unit_test(test_length_local),
      cmocka_unit_test(test_length_resource),
      cmocka_unit_test(test_length_domain),
      cmocka_unit_test(test_ip_literals),
      cmocka_unit_test(test_idn),
      cmocka_unit_test(test_idn_matches_libidn),
      cmocka_unit_test(test_trailing_dot),
      cmocka_unit_test(test_bare_full),
      cmocka_unit_test(test_equality),
      cmocka_unit_test(test_resource_at_and_slash),
      cmocka_unit_test(test_empty_parts),
      cmocka_unit_test(test_bad_utf8),
      cmocka_unit_test(test_embedded_nul),
      cmocka_unit_test(test_malformed_addresses),
      cmocka_unit_test(test_null_arguments),
      cmocka_unit_test(test_from_parts),
      cmocka_unit_test(test_copy),
      cmocka_unit_test(test_prep_buffer),
      cmocka_unit_test(test_ascii_fast_path_matches_libidn),
      cmocka_unit_test(test_allocation_failure),
      cmocka_unit_test(test_mem_hooks_on_errors),
  };
  return cmocka_run_group_tests_name("jid", tests, NULL, NULL);
}
