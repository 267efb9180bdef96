/*
 * Strict base64 (RFC 4648 section 4), which carries every SASL payload in
 * XMPP (C6.3.5-b: zero padding bits) and the binary fields inside SCRAM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void check_pair(const char *plain, const char *b64) {
  size_t plen = strlen(plain), blen = strlen(b64);
  char enc[64];
  assert_int_equal(xmppim_base64_encode((const unsigned char *)plain, plen, enc, sizeof(enc)),
                   blen);
  assert_string_equal(enc, b64);
  assert_int_equal(xmppim_base64_encoded_len(plen), blen);

  unsigned char dec[64];
  size_t dlen = 999;
  assert_int_equal(xmppim_base64_decode(b64, blen, dec, sizeof(dec), &dlen), 0);
  assert_int_equal(dlen, plen);
  assert_memory_equal(dec, plain, plen);
}

/* RFC 4648 section 10, C6.3.5-b. */
static void test_rfc4648_vectors(void **state) {
  (void)state;
  check_pair("", "");
  check_pair("f", "Zg==");
  check_pair("fo", "Zm8=");
  check_pair("foo", "Zm9v");
  check_pair("foob", "Zm9vYg==");
  check_pair("fooba", "Zm9vYmE=");
  check_pair("foobar", "Zm9vYmFy");
}

static void test_encode_sizes(void **state) {
  (void)state;
  const unsigned char in[] = "foobar";
  char out[9];
  /* snprintf-style: the needed length whatever the room; never a truncated text. */
  assert_int_equal(xmppim_base64_encode(in, 6, NULL, 0), 8);
  memset(out, 'x', sizeof(out));
  assert_int_equal(xmppim_base64_encode(in, 6, out, 8), 8);
  assert_string_equal(out, "");
  assert_int_equal(xmppim_base64_encode(in, 6, out, 9), 8);
  assert_string_equal(out, "Zm9vYmFy");
  assert_int_equal(xmppim_base64_encode(NULL, 0, out, 1), 0);
  assert_string_equal(out, "");
  assert_int_equal(xmppim_base64_encoded_len(SIZE_MAX), SIZE_MAX);
  assert_int_equal(xmppim_base64_encode(in, SIZE_MAX, out, sizeof(out)), SIZE_MAX);
  assert_string_equal(out, "");
}

static void test_decode_sizes(void **state) {
  (void)state;
  unsigned char out[6];
  size_t n = 0;
  /* Ask first with no room, then decode. */
  assert_int_equal(xmppim_base64_decode("Zm9vYmE=", 8, NULL, 0, &n), XMPPIM_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(n, 5);
  memset(out, 0xAA, sizeof(out));
  assert_int_equal(xmppim_base64_decode("Zm9vYmE=", 8, out, 4, &n), XMPPIM_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(n, 5);
  assert_int_equal(out[0], 0xAA); /* untouched */
  assert_int_equal(xmppim_base64_decode("Zm9vYmE=", 8, out, 5, &n), 0);
  assert_memory_equal(out, "fooba", 5);
  assert_int_equal(xmppim_base64_decode("", 0, NULL, 0, &n), 0);
  assert_int_equal(n, 0);
  assert_int_equal(xmppim_base64_decode(NULL, 0, NULL, 0, &n), 0);
  assert_int_equal(xmppim_base64_decode(NULL, 4, out, 6, &n), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_base64_decode("Zg==", 4, out, 6, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
}

static void bad(const char *s, size_t len) {
  unsigned char out[64];
  size_t n = 12345;
  int rc = xmppim_base64_decode(s, len, out, sizeof(out), &n);
  if (rc != XMPPIM_ERR_INVALID_ARGUMENT) fail_msg("\"%.*s\" decoded (rc %d)", (int)len, s, rc);
  /* Also when there is no room: the check comes before the size. */
  assert_int_equal(xmppim_base64_decode(s, len, NULL, 0, &n), XMPPIM_ERR_INVALID_ARGUMENT);
}

#define BAD(lit) bad(lit, sizeof(lit) - 1)

/* Bad characters, bad padding, non-zero trailing bits: all refused (C6.3.5-b). */
static void test_decode_strict(void **state) {
  (void)state;
  BAD("=");    /* XMPP's empty payload is the session's business, not base64 */
  BAD("Z");    /* length not a multiple of 4 */
  BAD("Zg");   /* padding missing */
  BAD("Zg=");  /* padding short */
  BAD("Zm9vY");
  BAD("====");
  BAD("Z===");
  BAD("=Zm9");
  BAD("Zm=9");
  BAD("Zg==Zg=="); /* padding in the middle */
  BAD("Zm9v=");
  BAD("Zh==");     /* 'h' leaves bits set in the padding */
  BAD("Zm9=");     /* '9' leaves bits set in the padding */
  BAD("Zm-_");     /* URL-safe alphabet is another encoding */
  BAD("Zm 9v");    /* no whitespace */
  BAD("Zm9v\n");
  BAD("Zm9v\r\nYmFy");
  BAD("Zm9\0");
  BAD("Zm9\x80");
  BAD("Zm9\xff");
  BAD("Zm.v");
}

/*
 * Every last group: a character pair with "==" decodes iff the low 4 bits
 * of the second are zero; a triple with "=" iff the low 2 bits of the third
 * are; every quadruple of alphabet characters decodes.
 */
static void test_decode_every_last_group(void **state) {
  (void)state;
  char g[4];
  unsigned char out[3];
  size_t n;
  for (int a = 0; a < 64; a++)
    for (int b = 0; b < 64; b++) {
      g[0] = alphabet[a];
      g[1] = alphabet[b];
      g[2] = g[3] = '=';
      int rc = xmppim_base64_decode(g, 4, out, 3, &n);
      assert_int_equal(rc, (b & 15) ? XMPPIM_ERR_INVALID_ARGUMENT : 0);
      if (rc == 0) {
        assert_int_equal(n, 1);
        assert_int_equal(out[0], (a << 2) | (b >> 4));
      }
      for (int c = 0; c < 64; c++) {
        g[2] = alphabet[c];
        g[3] = '=';
        rc = xmppim_base64_decode(g, 4, out, 3, &n);
        assert_int_equal(rc, (c & 3) ? XMPPIM_ERR_INVALID_ARGUMENT : 0);
        if (rc == 0) {
          assert_int_equal(n, 2);
          assert_int_equal(out[1], ((b & 15) << 4) | (c >> 2));
        }
        for (int d = 0; d < 64; d += 21) {
          g[3] = alphabet[d];
          assert_int_equal(xmppim_base64_decode(g, 4, out, 3, &n), 0);
          assert_int_equal(n, 3);
          assert_int_equal(out[2], ((c & 3) << 6) | d);
        }
      }
    }
}

/* Any character outside the alphabet, at any position of a group, is refused. */
static void test_decode_every_byte(void **state) {
  (void)state;
  for (int ch = 0; ch < 256; ch++) {
    if (strchr(alphabet, ch) && ch != 0) continue;
    for (int pos = 0; pos < 8; pos++) {
      char s[9] = "Zm9vYmFy";
      s[pos] = (char)ch;
      if (ch == '=' && (pos == 7)) continue; /* "Zm9vYmF=" is valid only if 'F'... checked below */
      bad(s, 8);
    }
  }
  size_t n;
  unsigned char out[6];
  /* "Zm9vYmF=": 'F' = 5, low bits 01: refused too. */
  assert_int_equal(xmppim_base64_decode("Zm9vYmF=", 8, out, 6, &n), XMPPIM_ERR_INVALID_ARGUMENT);
}

/* Round trips of every byte value and of every length up to 300. */
static void test_round_trip(void **state) {
  (void)state;
  unsigned char in[300], back[300];
  char text[401];
  for (int i = 0; i < 300; i++) in[i] = (unsigned char)(i * 7 + 3);
  for (size_t len = 0; len <= sizeof(in); len++) {
    size_t tlen = xmppim_base64_encode(in, len, text, sizeof(text));
    assert_int_equal(tlen, (len + 2) / 3 * 4);
    assert_int_equal(strlen(text), tlen);
    size_t n;
    assert_int_equal(xmppim_base64_decode(text, tlen, back, sizeof(back), &n), 0);
    assert_int_equal(n, len);
    assert_memory_equal(back, in, len);
  }
  unsigned char all[256];
  for (int i = 0; i < 256; i++) all[i] = (unsigned char)i;
  char t[345];
  size_t tl = xmppim_base64_encode(all, 256, t, sizeof(t));
  size_t n;
  unsigned char b[256];
  assert_int_equal(xmppim_base64_decode(t, tl, b, sizeof(b), &n), 0);
  assert_int_equal(n, 256);
  assert_memory_equal(b, all, 256);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_rfc4648_vectors),
    cmocka_unit_test(test_encode_sizes),
    cmocka_unit_test(test_decode_sizes),
    cmocka_unit_test(test_decode_strict),
    cmocka_unit_test(test_decode_every_last_group),
    cmocka_unit_test(test_decode_every_byte),
    cmocka_unit_test(test_round_trip),
  };
  return cmocka_run_group_tests_name("base64", tests, NULL, NULL);
}
