/*
 * SASLprep (RFC 4013) over libidn's stringprep profile, plus the small
 * memory helpers the SASL code shares (wiping, constant-time comparison).
 */
#include <stdint.h>
#include <string.h>
#include <stringprep.h>

#include "session/sasl/internal.h"
#include "util/mem.h"
#include "util/utf8.h"

/* NFKC turns one code point into at most 18 (U+FDFA); mapping into at most
 * STRINGPREP_MAX_MAP_CHARS. Beyond this much room libidn cannot need more. */
#define NFKC_MAX_GROWTH 18

void xmppim_sasl_wipe(void *p, size_t n) {
  volatile unsigned char *v = p;
  while (n--) *v++ = 0;
}

void xmppim_sasl_free_secret(const xmppim_mem *mem, void *p, size_t len) {
  if (!p) return;
  xmppim_sasl_wipe(p, len);
  xmppim_mem_free(mem, p);
}

int xmppim_sasl_ct_equal(const void *a, const void *b, size_t n) {
  const volatile unsigned char *x = a, *y = b;
  unsigned char diff = 0;
  for (size_t i = 0; i < n; i++) diff |= (unsigned char)(x[i] ^ y[i]);
  /* 1 when diff is 0, without a data-dependent branch. */
  return (int)(1 & (((unsigned)diff - 1) >> 8));
}

int xmppim_sasl_mem_usable(const xmppim_mem *mem) { return !mem || (mem->malloc && mem->free); }

/* Strict UTF-8 (see util/utf8.h), and no NUL: PLAIN separates its fields with it. */
static long utf8_decode(const unsigned char *s, size_t len, uint32_t *cps) {
  if (len && memchr(s, 0, len)) return -1;
  return xmppim_utf8_decode(s, len, cps);
}

int xmppim_sasl_utf8_valid(const unsigned char *s, size_t len) {
  return utf8_decode(s, len, NULL) >= 0;
}

static int is_ascii(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)s[i] >= 0x80) return 0;
  return 1;
}

static int prep_error(int rc) {
  switch (rc) {
  case STRINGPREP_CONTAINS_UNASSIGNED:
  case STRINGPREP_CONTAINS_PROHIBITED:
  case STRINGPREP_BIDI_BOTH_L_AND_RAL:
  case STRINGPREP_BIDI_LEADTRAIL_NOT_RAL:
  case STRINGPREP_BIDI_CONTAINS_PROHIBITED: return XMPPIM_ERR_INVALID_ARGUMENT;
  /* NFKC fails only when its malloc does, the input being valid. */
  case STRINGPREP_NFKC_FAILED:
  case STRINGPREP_MALLOC_ERROR: return XMPPIM_ERR_NOMEM;
  default: return XMPPIM_ERR_INTERNAL;
  }
}

/* Runs the profile over ncp code points; the result is left in *buf / *n. */
static int prep_ucs4(const xmppim_mem *mem, const unsigned char *in, size_t len, size_t ncp,
                     uint32_t **buf_out, size_t *cap_out, size_t *n_out) {
  size_t cap = ncp * STRINGPREP_MAX_MAP_CHARS + 1;
  size_t max_cap = ncp * STRINGPREP_MAX_MAP_CHARS * NFKC_MAX_GROWTH + 1;
  for (;;) {
    uint32_t *buf = xmppim_mem_malloc(mem, cap * sizeof(uint32_t));
    if (!buf) return XMPPIM_ERR_NOMEM;
    size_t n = ncp;
    (void)utf8_decode(in, len, buf);
    int rc = stringprep_4i(buf, &n, cap, (Stringprep_profile_flags)0, stringprep_saslprep);
    if (rc == STRINGPREP_OK) {
      *buf_out = buf;
      *cap_out = cap;
      *n_out = n;
      return 0;
    }
    xmppim_sasl_free_secret(mem, buf, cap * sizeof(uint32_t));
    if (rc != STRINGPREP_TOO_SMALL_BUFFER) return prep_error(rc);
    if (cap >= max_cap) return XMPPIM_ERR_INTERNAL;
    cap = cap * 4 > max_cap ? max_cap : cap * 4;
  }
}

int xmppim_saslprep(const xmppim_mem *mem, const char *in, size_t len, char **out,
                    size_t *out_len) {
  *out = NULL;
  *out_len = 0;
  if (len == 0) return XMPPIM_ERR_INVALID_ARGUMENT;

  if (is_ascii(in, len)) {
    for (size_t i = 0; i < len; i++) {
      unsigned char c = (unsigned char)in[i];
      if (c < 0x20 || c == 0x7F) return XMPPIM_ERR_INVALID_ARGUMENT; /* RFC 3454 C.2.1 */
    }
    char *copy = xmppim_mem_strndup(mem, in, len);
    if (!copy) return XMPPIM_ERR_NOMEM;
    *out = copy;
    *out_len = len;
    return 0;
  }

  /* A NUL is a prohibited character (C.2.1), and libidn's NFKC would stop at it. */
  if (memchr(in, 0, len)) return XMPPIM_ERR_INVALID_ARGUMENT;
  long ncp = utf8_decode((const unsigned char *)in, len, NULL);
  if (ncp < 0) return XMPPIM_ERR_BAD_UTF8;

  uint32_t *buf;
  size_t cap, n;
  int rc = prep_ucs4(mem, (const unsigned char *)in, len, (size_t)ncp, &buf, &cap, &n);
  if (rc) return rc;
  size_t bytes = 0;
  for (size_t i = 0; i < n; i++) bytes += xmppim_utf8_len(buf[i]);
  if (n == 0) rc = XMPPIM_ERR_INVALID_ARGUMENT; /* everything mapped to nothing */
  char *res = NULL;
  if (rc == 0) {
    res = xmppim_mem_malloc(mem, bytes + 1);
    if (!res) rc = XMPPIM_ERR_NOMEM;
  }
  if (rc == 0) {
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
      /* libidn gives scalar values back for scalar values; make sure. */
      if (buf[i] > 0x10FFFF || (buf[i] >= 0xD800 && buf[i] <= 0xDFFF) || buf[i] == 0) {
        rc = XMPPIM_ERR_INTERNAL;
        break;
      }
      xmppim_utf8_put(buf[i], (unsigned char *)res + pos);
      pos += xmppim_utf8_len(buf[i]);
    }
    res[pos] = '\0';
  }
  xmppim_sasl_free_secret(mem, buf, cap * sizeof(uint32_t));
  if (rc) {
    xmppim_sasl_free_secret(mem, res, bytes + 1);
    return rc;
  }
  *out = res;
  *out_len = bytes;
  return 0;
}
