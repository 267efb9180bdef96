/*
 * Preparation of JID parts: Nodeprep, Nameprep plus the IDNA2003 rules for
 * domain names, Resourceprep (RFC 6122, RFC 3454, RFC 3490, RFC 3491).
 *
 * libidn does the stringprep work, through stringprep_4i() on code points we
 * decode and encode ourselves: its UTF-8 entry points allocate with malloc
 * behind our back and read the input up to a NUL. stringprep_4i() still
 * mallocs one temporary for NFKC (and reports its failure, which we turn
 * into XMPPIM_ERR_NOMEM); everything else lives on the stack or comes from
 * the caller's xmppim_mem.
 *
 * Parts made only of ASCII skip libidn: for ASCII every one of these profiles
 * reduces to "refuse control characters, fold A-Z" (NFKC and the bidi rules
 * change nothing there, and no ASCII character maps to nothing), which is
 * what JIDs on the wire nearly always are. The unit tests check this
 * equivalence for every ASCII character against libidn itself.
 */
#include "jid/prep.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <punycode.h>
#include <stdint.h>
#include <string.h>
#include <stringprep.h>

#include "util/mem.h"
#include "util/utf8.h"

#define PART_MAX XMPPIM_JID_PART_MAX

/* Code points prepared on the stack before falling back to the heap (1 KiB). */
#define STACK_CPS 256

/* Longest DNS label, and the ACE prefix that IDNA puts on encoded ones. */
#define LABEL_MAX 63
#define ACE_PREFIX "xn--"
#define ACE_PREFIX_LEN 4

/* ---------------------------------------------------------------- UTF-8 */

/* Strict UTF-8 (see util/utf8.h). Callers bound len by PART_MAX, so the
 * count fits an int. */
static int utf8_decode(const unsigned char *s, size_t len, uint32_t *cps) {
  long n = xmppim_utf8_decode(s, len, cps);
  return n < 0 ? XMPPIM_ERR_BAD_UTF8 : (int)n;
}

/* Appends cps as UTF-8 at out + *pos; a part may not grow past PART_MAX bytes. */
static int utf8_encode(const uint32_t *cps, size_t n, char *out, size_t *pos) {
  size_t p = *pos;
  for (size_t i = 0; i < n; i++) {
    uint32_t c = cps[i];
    size_t need = xmppim_utf8_len(c);
    /* libidn only produces scalar values from scalar values; be sure. */
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return XMPPIM_ERR_INTERNAL;
    if (PART_MAX - p < need) return XMPPIM_ERR_JID_TOO_LONG;
    xmppim_utf8_put(c, (unsigned char *)out + p);
    p += need;
  }
  *pos = p;
  return 0;
}

static int is_ascii(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)s[i] >= 0x80) return 0;
  return 1;
}

static unsigned char ascii_lower(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* --------------------------------------------------- stringprep via libidn */

/*
 * Scratch for one run of a profile. The stack part serves short input; a
 * heap block from the caller's allocator serves long input and is kept for
 * the next run (the labels of one domain share it).
 */
typedef struct prep_work {
  const xmppim_mem *mem;
  uint32_t *cps; /* result of the last prep_apply() */
  size_t n;
  uint32_t *heap;
  size_t heap_cap;
  uint32_t stack[STACK_CPS];
} prep_work;

/* Input of a run: UTF-8 (already validated) or code points. */
typedef struct prep_src {
  const unsigned char *utf8;
  const uint32_t *ucs4;
  size_t len; /* bytes of utf8, or code points of ucs4 */
  size_t ncp; /* code points */
} prep_src;

static void work_init(prep_work *w, const xmppim_mem *mem) {
  w->mem = mem;
  w->cps = NULL;
  w->n = 0;
  w->heap = NULL;
  w->heap_cap = 0;
}

static void work_done(prep_work *w) { xmppim_mem_free(w->mem, w->heap); }

static uint32_t *work_heap(prep_work *w, size_t cap) {
  if (w->heap_cap >= cap) return w->heap;
  xmppim_mem_free(w->mem, w->heap);
  w->heap_cap = 0;
  w->heap = xmppim_mem_malloc(w->mem, cap * sizeof(uint32_t));
  if (w->heap) w->heap_cap = cap;
  return w->heap;
}

static void src_load(const prep_src *src, uint32_t *dst) {
  if (src->utf8)
    (void)utf8_decode(src->utf8, src->len, dst);
  else
    memcpy(dst, src->ucs4, src->ncp * sizeof(uint32_t));
}

static int stringprep_error(int rc) {
  switch (rc) {
  case STRINGPREP_CONTAINS_UNASSIGNED:
  case STRINGPREP_CONTAINS_PROHIBITED:
  case STRINGPREP_BIDI_BOTH_L_AND_RAL:
  case STRINGPREP_BIDI_LEADTRAIL_NOT_RAL:
  case STRINGPREP_BIDI_CONTAINS_PROHIBITED: return XMPPIM_ERR_JID_PROHIBITED;
  case STRINGPREP_TOO_SMALL_BUFFER: return XMPPIM_ERR_JID_TOO_LONG;
  /* NFKC fails only when its malloc does, the input being valid. */
  case STRINGPREP_NFKC_FAILED:
  case STRINGPREP_MALLOC_ERROR: return XMPPIM_ERR_NOMEM;
  default: return XMPPIM_ERR_INTERNAL;
  }
}

/*
 * Runs a profile over src (at least one code point, no NUL: libidn's NFKC
 * stops at a NUL) and leaves the result in w->cps / w->n.
 *
 * Room: the mapping step replaces a code point by up to
 * STRINGPREP_MAX_MAP_CHARS before NFKC may shrink the string again, so that
 * much is needed on the way; NFKC may also expand (one code point can become
 * 18), and a result of more than PART_MAX code points is too long anyway, so
 * libidn's "buffer too small" past that room is our "too long". Short input
 * first tries the stack and moves to the heap only if NFKC overflows it.
 */
static int prep_apply(prep_work *w, const Stringprep_profile *profile, const prep_src *src) {
  size_t map_room = src->ncp * STRINGPREP_MAX_MAP_CHARS + 1;
  size_t full_room = map_room > PART_MAX + 2 ? map_room : PART_MAX + 2;
  uint32_t *buf;
  size_t cap;
  if (map_room <= STACK_CPS) {
    buf = w->stack;
    cap = STACK_CPS;
  } else {
    buf = work_heap(w, full_room);
    if (!buf) return XMPPIM_ERR_NOMEM;
    cap = full_room;
  }
  for (;;) {
    size_t n = src->ncp;
    src_load(src, buf);
    int rc = stringprep_4i(buf, &n, cap, 0, profile);
    if (rc == STRINGPREP_OK) {
      w->cps = buf;
      w->n = n;
      return 0;
    }
    if (rc == STRINGPREP_TOO_SMALL_BUFFER && buf == w->stack) {
      buf = work_heap(w, full_room);
      if (!buf) return XMPPIM_ERR_NOMEM;
      cap = full_room;
      continue;
    }
    return stringprep_error(rc);
  }
}

/* ------------------------------------------------ localpart, resourcepart */

/* RFC 6122 section 2.3: refused in a localpart on top of Nodeprep's tables. */
static int local_forbidden(uint32_t c) {
  switch (c) {
  case '"':
  case '&':
  case '\'':
  case '/':
  case ':':
  case '<':
  case '>':
  case '@': return 1;
  default: return 0;
  }
}

static int prep_simple(const char *in, size_t len, char *out, size_t *out_len,
                       const xmppim_mem *mem, const Stringprep_profile *profile, int is_local) {
  if (len == 0) return XMPPIM_ERR_JID_EMPTY_PART;
  if (len > PART_MAX) return XMPPIM_ERR_JID_TOO_LONG;

  if (is_ascii(in, len)) {
    for (size_t i = 0; i < len; i++) {
      unsigned char c = (unsigned char)in[i];
      if (c < 0x20 || c == 0x7F) return XMPPIM_ERR_JID_PROHIBITED; /* RFC 3454 C.2.1 */
      if (is_local) {
        if (c == ' ' || local_forbidden(c)) return XMPPIM_ERR_JID_PROHIBITED; /* C.1.1 */
        c = ascii_lower(c);                                                   /* B.2 */
      }
      out[i] = (char)c;
    }
    out[len] = '\0';
    *out_len = len;
    return 0;
  }

  /* A NUL is prohibited (C.2.1) in both profiles; libidn must not see it. */
  if (memchr(in, 0, len)) return XMPPIM_ERR_JID_PROHIBITED;
  int ncp = utf8_decode((const unsigned char *)in, len, NULL);
  if (ncp < 0) return ncp;

  prep_work w;
  work_init(&w, mem);
  prep_src src = {(const unsigned char *)in, NULL, len, (size_t)ncp};
  size_t pos = 0;
  int rc = prep_apply(&w, profile, &src);
  if (rc == 0 && is_local) {
    /* Nodeprep's table already holds these; checking after mapping costs
     * little and keeps RFC 6122's rule true whatever libidn ships. */
    for (size_t i = 0; i < w.n; i++)
      if (local_forbidden(w.cps[i])) rc = XMPPIM_ERR_JID_PROHIBITED;
  }
  if (rc == 0 && w.n == 0) rc = XMPPIM_ERR_JID_EMPTY_PART; /* all mapped to nothing */
  if (rc == 0) rc = utf8_encode(w.cps, w.n, out, &pos);
  work_done(&w);
  if (rc) return rc;
  out[pos] = '\0';
  *out_len = pos;
  return 0;
}

int xmppim_jid_prep_local(const char *in, size_t len, char *out, size_t *out_len,
                          const xmppim_mem *mem) {
  return prep_simple(in, len, out, out_len, mem, stringprep_xmpp_nodeprep, 1);
}

int xmppim_jid_prep_resource(const char *in, size_t len, char *out, size_t *out_len,
                             const xmppim_mem *mem) {
  return prep_simple(in, len, out, out_len, mem, stringprep_xmpp_resourceprep, 0);
}

/* ---------------------------------------------------------------- domain */

static int is_ldh(uint32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

static int has_ace_prefix(const uint32_t *cps, size_t n) {
  if (n < ACE_PREFIX_LEN) return 0;
  for (size_t i = 0; i < ACE_PREFIX_LEN; i++) {
    uint32_t c = cps[i] < 0x80 ? ascii_lower((unsigned char)cps[i]) : cps[i];
    if (c != (uint32_t)ACE_PREFIX[i]) return 0;
  }
  return 1;
}

/* IDNA2003 recognises these four as label separators (RFC 3490 section 3.1). */
static size_t separator_at(const char *s, size_t i, size_t len) {
  const unsigned char *u = (const unsigned char *)s + i;
  if (u[0] == '.') return 1;
  if (len - i < 3) return 0;
  if (u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x82) return 3; /* U+3002 */
  if (u[0] == 0xEF && u[1] == 0xBC && u[2] == 0x8E) return 3; /* U+FF0E */
  if (u[0] == 0xEF && u[1] == 0xBD && u[2] == 0xA1) return 3; /* U+FF61 */
  return 0;
}

static int is_separator_cp(uint32_t c) {
  return c == '.' || c == 0x3002 || c == 0xFF0E || c == 0xFF61;
}

/*
 * Whether ToASCII with UseSTD3ASCIIRules succeeds on an already nameprepped
 * label (RFC 3490 section 4.1, steps 3-8; step 2 is idempotent). If ace is
 * not NULL it receives the ASCII form, LABEL_MAX bytes at most, unterminated.
 */
static int label_to_ascii(const uint32_t *cps, size_t n, char *ace, size_t *ace_len) {
  int ascii = 1;
  if (n == 0) return XMPPIM_ERR_JID_BAD_DOMAIN;
  for (size_t i = 0; i < n; i++) {
    if (cps[i] < 0x80) {
      if (!is_ldh(cps[i])) return XMPPIM_ERR_JID_BAD_DOMAIN;
    } else {
      ascii = 0;
      /* Would split into two labels when the result is parsed again. */
      if (is_separator_cp(cps[i])) return XMPPIM_ERR_JID_BAD_DOMAIN;
    }
  }
  if (cps[0] == '-' || cps[n - 1] == '-') return XMPPIM_ERR_JID_BAD_DOMAIN;
  if (ascii) {
    if (n > LABEL_MAX) return XMPPIM_ERR_JID_BAD_DOMAIN;
    if (ace) {
      for (size_t i = 0; i < n; i++) ace[i] = (char)cps[i];
      *ace_len = n;
    }
    return 0;
  }
  if (has_ace_prefix(cps, n)) return XMPPIM_ERR_JID_BAD_DOMAIN;
  /* Punycode spends at least one character per code point. */
  if (n > LABEL_MAX - ACE_PREFIX_LEN) return XMPPIM_ERR_JID_BAD_DOMAIN;
  char buf[LABEL_MAX];
  size_t olen = LABEL_MAX - ACE_PREFIX_LEN;
  memcpy(buf, ACE_PREFIX, ACE_PREFIX_LEN);
  if (punycode_encode(n, cps, NULL, &olen, buf + ACE_PREFIX_LEN) != PUNYCODE_SUCCESS)
    return XMPPIM_ERR_JID_BAD_DOMAIN;
  if (ace) {
    memcpy(ace, buf, olen + ACE_PREFIX_LEN);
    *ace_len = olen + ACE_PREFIX_LEN;
  }
  return 0;
}

/*
 * IDNA2003 ToUnicode of an ASCII label carrying the ACE prefix (RFC 3490
 * section 4.2): decode, and keep the result only if ToASCII gives the label
 * back. Returns 1 with the Unicode label in w when that works, 0 when the
 * label stays as it is (ToUnicode never fails, it returns its input), or a
 * negative error that is not the input's fault.
 */
static int label_to_unicode(prep_work *w, const char *label, size_t n) {
  punycode_uint dec[LABEL_MAX];
  size_t declen = LABEL_MAX;
  if (n > LABEL_MAX) return 0;
  if (punycode_decode(n - ACE_PREFIX_LEN, label + ACE_PREFIX_LEN, &declen, dec, NULL) !=
          PUNYCODE_SUCCESS ||
      declen == 0)
    return 0;
  for (size_t i = 0; i < declen; i++)
    if (dec[i] == 0 || dec[i] > 0x10FFFF || (dec[i] >= 0xD800 && dec[i] <= 0xDFFF)) return 0;

  prep_src src = {NULL, dec, declen, declen};
  int rc = prep_apply(w, stringprep_nameprep, &src);
  if (rc == XMPPIM_ERR_NOMEM || rc == XMPPIM_ERR_INTERNAL) return rc;
  if (rc) return 0;
  char ace[LABEL_MAX];
  size_t ace_len;
  if (label_to_ascii(w->cps, w->n, ace, &ace_len) != 0 || ace_len != n) return 0;
  for (size_t i = 0; i < n; i++)
    if (ascii_lower((unsigned char)ace[i]) != ascii_lower((unsigned char)label[i])) return 0;
  return 1;
}

/* Prepares one label of bytes [in, in + len) and appends it to out. */
static int prep_label(prep_work *w, const char *in, size_t len, int only_label, char *out,
                      size_t *pos) {
  if (len == 0) return XMPPIM_ERR_JID_BAD_DOMAIN; /* "a..b" */
  int ncp = utf8_decode((const unsigned char *)in, len, NULL);
  if (ncp < 0) return ncp;
  prep_src src = {(const unsigned char *)in, NULL, len, (size_t)ncp};
  int rc = prep_apply(w, stringprep_nameprep, &src);
  if (rc) return rc;
  if (w->n == 0) return only_label ? XMPPIM_ERR_JID_EMPTY_PART : XMPPIM_ERR_JID_BAD_DOMAIN;

  const uint32_t *cps = w->cps;
  size_t n = w->n;
  uint32_t ascii_cps[LABEL_MAX];
  if (n <= LABEL_MAX && has_ace_prefix(cps, n)) {
    char label[LABEL_MAX];
    int ascii = 1;
    for (size_t i = 0; i < n; i++) {
      if (cps[i] >= 0x80) ascii = 0;
      label[i] = (char)cps[i];
    }
    if (ascii) {
      rc = label_to_unicode(w, label, n);
      if (rc < 0) return rc;
      if (rc == 1) {
        cps = w->cps;
        n = w->n;
      } else {
        /* w was reused: take the label back from the copy. */
        for (size_t i = 0; i < n; i++) ascii_cps[i] = (unsigned char)label[i];
        cps = ascii_cps;
      }
    }
  }
  rc = label_to_ascii(cps, n, NULL, NULL);
  if (rc) return rc;
  return utf8_encode(cps, n, out, pos);
}

/* Non-ASCII domains, and ASCII ones with ACE labels to decode. */
static int prep_domain_idn(const char *in, size_t len, char *out, size_t *out_len,
                           const xmppim_mem *mem) {
  if (memchr(in, 0, len)) return XMPPIM_ERR_JID_BAD_DOMAIN;
  int ncp = utf8_decode((const unsigned char *)in, len, NULL);
  if (ncp < 0) return ncp;

  prep_work w;
  work_init(&w, mem);
  size_t pos = 0, start = 0;
  int rc, first = 1;
  for (;;) {
    size_t end = start, sep = 0;
    while (end < len && (sep = separator_at(in, end, len)) == 0) end++;
    int only = first && end == len;
    rc = prep_label(&w, in + start, end - start, only, out, &pos);
    if (rc || end == len) break;
    if (pos >= PART_MAX) {
      rc = XMPPIM_ERR_JID_TOO_LONG;
      break;
    }
    out[pos++] = '.';
    start = end + sep;
    first = 0;
  }
  work_done(&w);
  if (rc) return rc;
  out[pos] = '\0';
  *out_len = pos;
  return 0;
}

/* Whether some label of an ASCII domain starts with the ACE prefix. */
static int has_ace_label(const char *in, size_t len) {
  for (size_t i = 0; i + ACE_PREFIX_LEN <= len; i++) {
    if (i > 0 && in[i - 1] != '.') continue;
    size_t k = 0;
    while (k < ACE_PREFIX_LEN && ascii_lower((unsigned char)in[i + k]) == ACE_PREFIX[k]) k++;
    if (k == ACE_PREFIX_LEN) return 1;
  }
  return 0;
}

/* The common case, without libidn: an ASCII domain with no ACE label. */
static int prep_domain_ascii(const char *in, size_t len, char *out, size_t *out_len) {
  size_t start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i == len || in[i] == '.') {
      size_t n = i - start;
      if (n == 0 || n > LABEL_MAX) return XMPPIM_ERR_JID_BAD_DOMAIN;
      if (out[start] == '-' || out[i - 1] == '-') return XMPPIM_ERR_JID_BAD_DOMAIN;
      if (i < len) out[i] = '.';
      start = i + 1;
      continue;
    }
    unsigned char c = ascii_lower((unsigned char)in[i]);
    if (!is_ldh(c)) return XMPPIM_ERR_JID_BAD_DOMAIN;
    out[i] = (char)c;
  }
  out[len] = '\0';
  *out_len = len;
  return 0;
}

/* "[" IPv6 "]" (RFC 6122 section 2.2, the IP-literal of RFC 3986). */
static int prep_ipv6(const char *in, size_t len, char *out, size_t *out_len) {
  char text[INET6_ADDRSTRLEN];
  struct in6_addr addr;
  if (len < 3 || in[len - 1] != ']') return XMPPIM_ERR_JID_BAD_DOMAIN;
  size_t n = len - 2;
  if (n >= sizeof(text) || memchr(in + 1, 0, n)) return XMPPIM_ERR_JID_BAD_DOMAIN;
  memcpy(text, in + 1, n);
  text[n] = '\0';
  if (inet_pton(AF_INET6, text, &addr) != 1) return XMPPIM_ERR_JID_BAD_DOMAIN;
  /* One address, one spelling (RFC 5952), so equal addresses compare equal. */
  out[0] = '[';
  if (!inet_ntop(AF_INET6, &addr, out + 1, INET6_ADDRSTRLEN)) return XMPPIM_ERR_INTERNAL;
  n = strlen(out);
  out[n] = ']';
  out[n + 1] = '\0';
  *out_len = n + 1;
  return 0;
}

/*
 * A domain of digits and dots can only be an IPv4 address: no top-level
 * domain is numeric (RFC 1123 section 2.1), so "192.0.2.256" or "1.2.3" is a
 * typo, not a host name. inet_pton() takes exactly the dotted quad, without
 * leading zeros, so one address has one spelling here too.
 */
static int check_ipv4(const char *s, size_t len) {
  struct in_addr addr;
  for (size_t i = 0; i < len; i++)
    if (!(s[i] == '.' || (s[i] >= '0' && s[i] <= '9'))) return 0;
  return inet_pton(AF_INET, s, &addr) == 1 ? 0 : XMPPIM_ERR_JID_BAD_DOMAIN;
}

int xmppim_jid_prep_domain(const char *in, size_t len, char *out, size_t *out_len,
                           const xmppim_mem *mem) {
  if (len == 0) return XMPPIM_ERR_JID_EMPTY_PART;
  if (in[0] == '[') return prep_ipv6(in, len, out, out_len);

  /* RFC 6122 section 2.2: a final label separator is stripped. */
  if (in[len - 1] == '.')
    len -= 1;
  else if (len >= 3 && separator_at(in, len - 3, len) == 3)
    len -= 3;
  if (len == 0) return XMPPIM_ERR_JID_EMPTY_PART;
  if (len > PART_MAX) return XMPPIM_ERR_JID_TOO_LONG;

  int rc;
  if (is_ascii(in, len) && !has_ace_label(in, len))
    rc = prep_domain_ascii(in, len, out, out_len);
  else
    rc = prep_domain_idn(in, len, out, out_len, mem);
  if (rc) return rc;
  return check_ipv4(out, *out_len);
}

/* ----------------------------------------------------------------- split */

void xmppim_jid_split_string(const char *in, size_t len, xmppim_jid_split *parts) {
  const char *slash = memchr(in, '/', len);
  size_t head = slash ? (size_t)(slash - in) : len;
  const char *at = memchr(in, '@', head);

  memset(parts, 0, sizeof(*parts));
  if (slash) {
    parts->resource = slash + 1;
    parts->resource_len = len - head - 1;
  }
  if (at) {
    parts->local = in;
    parts->local_len = (size_t)(at - in);
    parts->domain = at + 1;
    parts->domain_len = head - parts->local_len - 1;
  } else {
    parts->domain = in;
    parts->domain_len = head;
  }
}
