/*
 * The server side of PLAIN (RFC 4616) and SCRAM (RFC 5802, RFC 7677).
 *
 * The server never sees a SCRAM password: the host's lookup callback gives
 * StoredKey and ServerKey, and the client's proof is checked as
 * H(ClientProof XOR HMAC(StoredKey, AuthMessage)) == StoredKey, in constant
 * time. An unknown user is walked through the same steps with made-up
 * credentials, so that neither the messages nor the work betray whether an
 * account exists (C6.5-c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "session/sasl/internal.h"
#include "session/sasl/sasl.h"
#include "util/base64.h"
#include "util/mem.h"

/* Channel bindings one connection may offer at once (tls-exporter, tls-unique, ...). */
#define SERVER_CBS_MAX 8

enum server_state {
  S_START,        /* nothing received */
  S_WAIT_INITIAL, /* empty challenge sent: the response is the initial message */
  S_WAIT_FINAL,   /* server-first sent, waiting for client-final */
  S_DONE,
  S_FAILED
};

typedef struct server_cb {
  char *type;
  unsigned char *data;
  size_t len;
} server_cb;

struct xmppim_sasl_server {
  xmppim_mem mem;
  xmppim_sasl_mechanism mech;
  xmppim_scram_hash hash; /* 0 for PLAIN */
  enum server_state state;
  xmppim_sasl_condition cond;
  xmppim_sasl_server_callbacks cb;
  server_cb *cbs;
  size_t ncbs;
  char snonce[SASL_NONCE_MAX + 1];
  size_t snonce_len;
  char *authcid; /* SASLprep'd */
  size_t authcid_len;
  char *authzid; /* as sent (unescaped); NULL when none */
  size_t authzid_len;
  /* SCRAM, between server-first and client-final */
  unsigned char *cbind; /* what c= must decode to: gs2 header [cb data] */
  size_t cbind_len;
  char *auth_prefix; /* client-first-bare "," server-first */
  size_t auth_prefix_len, server_first_off, nonce_len;
  int unknown_user;
  xmppim_scram_credentials creds;
  unsigned char *out; /* owned output, when not pointing into auth_prefix */
  size_t out_len;
  char error[SASL_ERROR_MAX];
};

static const unsigned char empty_output[1];

static void release_output(xmppim_sasl_server *s) {
  xmppim_mem_free(&s->mem, s->out);
  s->out = NULL;
  s->out_len = 0;
}

/* Drops what only the SCRAM exchange itself needed. */
static void release_exchange(xmppim_sasl_server *s) {
  xmppim_mem_free(&s->mem, s->cbind);
  s->cbind = NULL;
  s->cbind_len = 0;
  xmppim_mem_free(&s->mem, s->auth_prefix);
  s->auth_prefix = NULL;
  s->auth_prefix_len = 0;
  xmppim_sasl_wipe(&s->creds, sizeof(s->creds));
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(xmppim_sasl_server *s, xmppim_sasl_condition cond, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->error, sizeof(s->error), fmt, ap);
  va_end(ap);
  s->cond = cond;
  s->state = S_FAILED;
  release_output(s);
  release_exchange(s);
  return XMPPIM_SASL_FAILED;
}

static int fail_code(xmppim_sasl_server *s, int rc) {
  (void)fail(s, XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE, "%s", xmppim_strerror(rc));
  return rc;
}

/* A host's answer, with anything outside the enumeration made a temporary failure. */
static xmppim_sasl_condition sanitize(xmppim_sasl_condition cond) {
  if ((unsigned)cond > (unsigned)XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE)
    return XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE;
  return cond;
}

/* ---------------------------------------------------------------- create */

void xmppim_sasl_server_free(xmppim_sasl_server *s) {
  if (!s) return;
  xmppim_mem mem = s->mem;
  release_output(s);
  release_exchange(s);
  for (size_t i = 0; i < s->ncbs; i++) {
    xmppim_mem_free(&mem, s->cbs[i].type);
    xmppim_sasl_free_secret(&mem, s->cbs[i].data, s->cbs[i].len);
  }
  xmppim_mem_free(&mem, s->cbs);
  xmppim_mem_free(&mem, s->authcid);
  xmppim_mem_free(&mem, s->authzid);
  xmppim_sasl_wipe(s, sizeof(*s));
  xmppim_mem_free(&mem, s);
}

static int copy_cbs(xmppim_sasl_server *s, const xmppim_sasl_channel_binding *cbs, size_t n) {
  s->cbs = xmppim_mem_malloc(&s->mem, n * sizeof(*s->cbs));
  if (!s->cbs) return XMPPIM_ERR_NOMEM;
  memset(s->cbs, 0, n * sizeof(*s->cbs));
  s->ncbs = n;
  for (size_t i = 0; i < n; i++) {
    s->cbs[i].type = xmppim_mem_strndup(&s->mem, cbs[i].type, strlen(cbs[i].type));
    if (!s->cbs[i].type) return XMPPIM_ERR_NOMEM;
    s->cbs[i].data = xmppim_mem_malloc(&s->mem, cbs[i].len);
    if (!s->cbs[i].data) return XMPPIM_ERR_NOMEM;
    memcpy(s->cbs[i].data, cbs[i].data, cbs[i].len);
    s->cbs[i].len = cbs[i].len;
  }
  return 0;
}

int xmppim_sasl_server_new(xmppim_sasl_server **out, xmppim_sasl_mechanism mechanism,
                           const xmppim_sasl_channel_binding *cbs, size_t ncbs,
                           const xmppim_sasl_server_callbacks *callbacks,
                           const xmppim_mem *mem) {
  if (out) *out = NULL;
  if (!out || !callbacks || !xmppim_sasl_mem_usable(mem) ||
      !xmppim_sasl_mechanism_name(mechanism) || (ncbs && !cbs) || ncbs > SERVER_CBS_MAX)
    return XMPPIM_ERR_INVALID_ARGUMENT;
  if (mechanism == XMPPIM_SASL_MECH_PLAIN ? !callbacks->verify_plain : !callbacks->lookup_scram)
    return XMPPIM_ERR_INVALID_ARGUMENT;
  if (xmppim_sasl_mechanism_is_plus(mechanism) && ncbs == 0) return XMPPIM_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < ncbs; i++)
    if (!xmppim_sasl_cb_valid(&cbs[i])) return XMPPIM_ERR_INVALID_ARGUMENT;

  mem = xmppim_mem_or_default(mem);
  xmppim_sasl_server *s = xmppim_mem_malloc(mem, sizeof(*s));
  if (!s) return XMPPIM_ERR_NOMEM;
  memset(s, 0, sizeof(*s));
  s->mem = *mem;
  s->mech = mechanism;
  s->hash = xmppim_sasl_mechanism_scram_hash(mechanism);
  s->state = S_START;
  s->cb = *callbacks;
  int rc = ncbs ? copy_cbs(s, cbs, ncbs) : 0;
  if (rc == 0 && s->hash) {
    if (xmppim_sasl_random_nonce(s->snonce) != 0)
      rc = XMPPIM_ERR_INTERNAL;
    else
      s->snonce_len = SASL_NONCE_LEN;
  }
  if (rc) {
    xmppim_sasl_server_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

int xmppim_sasl_server_set_nonce(xmppim_sasl_server *s, const char *nonce) {
  if (!s || !nonce) return XMPPIM_ERR_INVALID_ARGUMENT;
  size_t n = strlen(nonce);
  if (n > SASL_NONCE_MAX || !xmppim_sasl_nonce_valid(nonce, n)) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (s->state != S_START || !s->hash) return XMPPIM_ERR_INVALID_STATE;
  memcpy(s->snonce, nonce, n + 1);
  s->snonce_len = n;
  return 0;
}

/* ----------------------------------------------------------------- common */

/* The authenticated identity may act as the requested one (C6.3.8-b). */
static int authorize(xmppim_sasl_server *s) {
  xmppim_sasl_condition cond;
  if (s->cb.authorize)
    cond = sanitize(s->cb.authorize(s->authcid, s->authzid, s->cb.user_data));
  else
    cond = s->authzid ? XMPPIM_SASL_COND_INVALID_AUTHZID : XMPPIM_SASL_COND_NONE;
  if (cond != XMPPIM_SASL_COND_NONE)
    return fail(s, cond, "authorization refused (%s)", xmppim_sasl_condition_name(cond));
  return 0;
}

/* A SASLprep failure on input from the peer, as a condition. */
static int prep_failed(xmppim_sasl_server *s, int rc, const char *what) {
  if (rc == XMPPIM_ERR_NOMEM || rc == XMPPIM_ERR_INTERNAL) return fail_code(s, rc);
  if (rc == XMPPIM_ERR_BAD_UTF8)
    return fail(s, XMPPIM_SASL_COND_MALFORMED_REQUEST, "%s is not UTF-8", what);
  /* Nothing stored can match a string SASLprep refuses. */
  return fail(s, XMPPIM_SASL_COND_NOT_AUTHORIZED, "%s refused by SASLprep", what);
}

/* ----------------------------------------------------------------- PLAIN */

static int plain(xmppim_sasl_server *s, const unsigned char *in, size_t inlen) {
  const unsigned char *end = in + inlen;
  const unsigned char *n1 = inlen ? memchr(in, 0, inlen) : NULL;
  const unsigned char *n2 = n1 ? memchr(n1 + 1, 0, (size_t)(end - n1 - 1)) : NULL;
  if (!n2 || memchr(n2 + 1, 0, (size_t)(end - n2 - 1)))
    return fail(s, XMPPIM_SASL_COND_MALFORMED_REQUEST,
                "PLAIN message is not authzid NUL authcid NUL password");
  size_t zlen = (size_t)(n1 - in), alen = (size_t)(n2 - n1 - 1), plen = (size_t)(end - n2 - 1);
  if (alen == 0 || plen == 0)
    return fail(s, XMPPIM_SASL_COND_MALFORMED_REQUEST, "PLAIN with an empty %s",
                alen == 0 ? "user name" : "password");
  if (alen > XMPPIM_SASL_FIELD_MAX || plen > XMPPIM_SASL_FIELD_MAX ||
      zlen > XMPPIM_SASL_AUTHZID_MAX)
    return fail(s, XMPPIM_SASL_COND_MALFORMED_REQUEST, "PLAIN field too long");
  if (!xmppim_sasl_utf8_valid(in, zlen))
    return fail(s, XMPPIM_SASL_COND_MALFORMED_REQUEST, "authorization identity is not UTF-8");

  int rc = xmppim_saslprep(&s->mem, (const char *)n1 + 1, alen, &s->authcid, &s->authcid_len);
  if (rc) return prep_failed(s, rc, "user name");
  char *password;
  size_t pwlen;
  rc = xmppim_saslprep(&s->mem, (const char *)n2 + 1, plen, &password, &pwlen);
  if (rc) return prep_failed(s, rc, "password");
  if (zlen) {
    s->authzid = xmppim_mem_strndup(&s->mem, (const char *)in, zlen);
    if (!s->authzid) {
      xmppim_sasl_free_secret(&s->mem, password, pwlen + 1);
      return fail_code(s, XMPPIM_ERR_NOMEM);
    }
    s->authzid_len = zlen;
  }
  xmppim_sasl_condition cond =
      sanitize(s->cb.verify_plain(s->authcid, password, s->authzid, s->cb.user_data));
  xmppim_sasl_free_secret(&s->mem, password, pwlen + 1);
  if (cond != XMPPIM_SASL_COND_NONE)
    return fail(s, cond, "PLAIN credentials refused (%s)", xmppim_sasl_condition_name(cond));
  return authorize(s);
}

/* ------------------------------------------------------------------ SCRAM */

static int cb_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '-';
}

/* Extensions must at least have a value (attr-val = ALPHA "=" 1*value-char). */
static int extensions_ok(const scram_attr *a, int from, int to) {
  for (int i = from; i < to; i++)
    if (a[i].len == 0) return 0;
  return 1;
}

/*
 * The GS2 header: flag, optional authzid. Leaves the header length in
 * *gs2_len, the flag in *flag ('n', 'y', 'p') and, for 'p', the index of
 * the matching channel binding in *cb_index (-1 when we have none of that
 * type).
 */
static int parse_gs2(xmppim_sasl_server *s, const char *m, size_t len, size_t *gs2_len,
                     char *flag, long *cb_index) {
  size_t pos;
  *cb_index = -1;
  if (len >= 2 && (m[0] == 'n' || m[0] == 'y') && m[1] == ',') {
    *flag = m[0];
    pos = 2;
  } else if (len >= 2 && m[0] == 'p' && m[1] == '=') {
    const char *comma = memchr(m + 2, ',', len - 2);
    size_t nlen = comma ? (size_t)(comma - m - 2) : 0;
    if (nlen == 0) goto malformed;
    for (size_t i = 0; i < nlen; i++)
      if (!cb_name_char(m[2 + i])) goto malformed;
    for (size_t i = 0; i < s->ncbs; i++)
      if (strlen(s->cbs[i].type) == nlen && memcmp(s->cbs[i].type, m + 2, nlen) == 0)
        *cb_index = (long)i;
    *flag = 'p';
    pos = 2 + nlen + 1;
  } else {
    goto malformed;
  }
  if (pos < len && m[pos] == ',') {
    *gs2_len = pos + 1;
    return 0;
  }
  if (len - pos >= 2 && m[pos] == 'a' && m[pos + 1] == '=') {
    const char *comma = memchr(m + pos + 2, ',', len - pos - 2);
    if (!comma) goto malformed;
    size_t zlen = (size_t)(comma - m) - pos - 2;
    if (zlen > XMPPIM_SASL_AUTHZID_MAX) goto malformed;
    int rc = xmppim_scram_unescape(&s->mem, m + pos + 2, zlen, &s->authzid, &s->authzid_len);
    if (rc == XMPPIM_ERR_NOMEM) return fail_code(s, rc);
    if (rc) goto malformed;
    *gs2_len = (size_t)(comma - m) + 1;
    return 0;
  }
malformed:
  return fail(s, XMPPIM_SASL_COND_MALFORMED_REQUEST, "bad GS2 header");
}

/* Channel-binding rules of RFC 5802 section 6 between the flag and the mechanism. */
static int check_binding(xmppim_sasl_server *s, char flag, long cb_index) {
  if (xmppim_sasl_mechanism_is_plus(s->mech)) {
    if (flag != 'p')
      return fail(s, XMPPIM_SASL_COND_MALFORMED_REQUEST,
                  "-PLUS mechanism without a channel binding (flag '%c')", flag);
    if (cb_index < 0)
      return fail(s, XMPPIM_SASL_COND_NOT_AUTHORIZED, "unsupported channel binding type");
    return 0;
  }
  if (flag == 'p')
    return fail(s, XMPPIM_SASL_COND_MALFORMED_REQUEST,
                "channel binding requested with a mechanism that is not -PLUS");
  if (flag == 'y' && s->ncbs > 0)
    return fail(s, XMPPIM_SASL_COND_NOT_AUTHORIZED,
                "client supports channel binding but thinks the server does not: the -PLUS "
                "offer was removed (downgrade attack?)");
  return 0;
}

/* The credentials to run the exchange with: the user's, or made-up ones. */
static int fetch_credentials(xmppim_sasl_server *s) {
  memset(&s->creds, 0, sizeof(s->creds));
  s->creds.hash = s->hash;
  xmppim_sasl_condition cond =
      sanitize(s->cb.lookup_scram(s->authcid, s->hash, &s->creds, s->cb.user_data));
  if (cond == XMPPIM_SASL_COND_NOT_AUTHORIZED) {
    /* No such user: carry on as if, and fail on the proof (C6.5-c). */
    s->unknown_user = 1;
    s->creds.hash = s->hash;
    /* Whatever keys the host left there, none of them may open the account. */
    xmppim_sasl_wipe(s->creds.stored_key, sizeof(s->creds.stored_key));
    xmppim_sasl_wipe(s->creds.server_key, sizeof(s->creds.server_key));
    if (s->creds.iterations == 0) s->creds.iterations = XMPPIM_SCRAM_ITERATIONS_MIN;
    if (s->creds.salt_len == 0 || s->creds.salt_len > XMPPIM_SCRAM_SALT_MAX) {
      s->creds.salt_len = XMPPIM_SCRAM_SALT_DEFAULT;
      if (xmppim_scram_dummy_salt(s->hash, s->authcid, s->creds.salt, s->creds.salt_len) != 0)
        return fail_code(s, XMPPIM_ERR_INTERNAL);
    }
    return 0;
  }
  if (cond != XMPPIM_SASL_COND_NONE)
    return fail(s, cond, "credentials lookup refused (%s)", xmppim_sasl_condition_name(cond));
  if (s->creds.hash != s->hash || s->creds.iterations == 0 || s->creds.salt_len == 0 ||
      s->creds.salt_len > XMPPIM_SCRAM_SALT_MAX)
    return fail(s, XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE,
                "lookup callback returned unusable credentials");
  return 0;
}

/* client-first arrived: answer with server-first. */
static int scram_first(xmppim_sasl_server *s, const unsigned char *in, size_t inlen,
                       const unsigned char **out, size_t *outlen) {
  const char *m = (const char *)in;
  if (inlen == 0 || !xmppim_sasl_utf8_valid(in, inlen))
    return fail(s, XMPPIM_SASL_COND_MALFORMED_REQUEST, "client-first-message is not UTF-8 text");
  size_t gs2_len = 0;
  char flag = 'n';
  long cb_index = -1;
  int rc = parse_gs2(s, m, inlen, &gs2_len, &flag, &cb_index);
  if (rc) return rc;
  if ((rc = check_binding(s, flag, cb_index)) != 0) return rc;

  const char *bare = m + gs2_len;
  size_t bare_len = inlen - gs2_len;
  scram_attr a[SCRAM_ATTRS_MAX];
  int n = bare_len ? xmppim_scram_split(bare, bare_len, a, SCRAM_ATTRS_MAX) : -1;
  if (n > 0 && a[0].name == 'm')
    return fail(s, XMPPIM_SASL_COND_MALFORMED_REQUEST,
                "client-first-message requires an unsupported extension (m=)");
  if (n < 2 || a[0].name != 'n' || a[1].name != 'r' || !extensions_ok(a, 2, n))
    return fail(s, XMPPIM_SASL_COND_MALFORMED_REQUEST, "malformed client-first-message");
  if (a[1].len > SASL_NONCE_MAX || !xmppim_sasl_nonce_valid(a[1].value, a[1].len))
    return fail(s, XMPPIM_SASL_COND_MALFORMED_REQUEST, "bad client nonce");
  if (a[0].len > 3 * XMPPIM_SASL_FIELD_MAX)
    return fail(s, XMPPIM_SASL_COND_MALFORMED_REQUEST, "user name too long");
  char *user;
  size_t user_len;
  rc = xmppim_scram_unescape(&s->mem, a[0].value, a[0].len, &user, &user_len);
  if (rc == XMPPIM_ERR_NOMEM) return fail_code(s, rc);
  if (rc) return fail(s, XMPPIM_SASL_COND_MALFORMED_REQUEST, "bad user name encoding");
  if (user_len > XMPPIM_SASL_FIELD_MAX) {
    xmppim_mem_free(&s->mem, user);
    return fail(s, XMPPIM_SASL_COND_MALFORMED_REQUEST, "user name too long");
  }
  rc = xmppim_saslprep(&s->mem, user, user_len, &s->authcid, &s->authcid_len);
  xmppim_mem_free(&s->mem, user);
  if (rc) return prep_failed(s, rc, "user name");

  if ((rc = fetch_credentials(s)) != 0) return rc;

  /* What c= in client-final must be: this very header, and our binding data. */
  size_t cb_len = flag == 'p' ? s->cbs[cb_index].len : 0;
  s->cbind = xmppim_mem_malloc(&s->mem, gs2_len + cb_len + 1);
  if (!s->cbind) return fail_code(s, XMPPIM_ERR_NOMEM);
  memcpy(s->cbind, m, gs2_len);
  if (cb_len) memcpy(s->cbind + gs2_len, s->cbs[cb_index].data, cb_len);
  s->cbind_len = gs2_len + cb_len;

  /* server-first = "r=" c-nonce s-nonce ",s=" salt ",i=" count, kept after
   * client-first-bare "," as the start of AuthMessage. */
  char count[16];
  int count_len = snprintf(count, sizeof(count), "%u", s->creds.iterations);
  size_t salt_b64 = xmppim_base64_encoded_len(s->creds.salt_len);
  size_t sf_len = 2 + a[1].len + s->snonce_len + 3 + salt_b64 + 3 + (size_t)count_len;
  s->auth_prefix_len = bare_len + 1 + sf_len;
  s->auth_prefix = xmppim_mem_malloc(&s->mem, s->auth_prefix_len + 1);
  if (!s->auth_prefix) return fail_code(s, XMPPIM_ERR_NOMEM);
  char *p = s->auth_prefix;
  memcpy(p, bare, bare_len);
  p += bare_len;
  *p++ = ',';
  s->server_first_off = (size_t)(p - s->auth_prefix);
  memcpy(p, "r=", 2);
  p += 2;
  memcpy(p, a[1].value, a[1].len);
  p += a[1].len;
  memcpy(p, s->snonce, s->snonce_len);
  p += s->snonce_len;
  memcpy(p, ",s=", 3);
  p += 3;
  (void)xmppim_base64_encode(s->creds.salt, s->creds.salt_len, p, salt_b64 + 1);
  p += salt_b64;
  memcpy(p, ",i=", 3);
  p += 3;
  memcpy(p, count, (size_t)count_len);
  p += count_len;
  *p = '\0';
  s->nonce_len = a[1].len + s->snonce_len;

  s->state = S_WAIT_FINAL;
  *out = (const unsigned char *)s->auth_prefix + s->server_first_off;
  *outlen = sf_len;
  return XMPPIM_SASL_CONTINUE;
}

/* Decodes base64 into a buffer of exactly want bytes; -1 bad base64, 0 wrong size, 1 ok. */
static int decode_exact(const char *b64, size_t len, unsigned char *buf, size_t want) {
  size_t got;
  int rc = xmppim_base64_decode(b64, len, buf, want, &got);
  if (rc == XMPPIM_ERR_INVALID_ARGUMENT) return -1;
  return rc == 0 && got == want;
}

/* client-final arrived: check binding, nonce and proof; answer with server-final. */
static int scram_final(xmppim_sasl_server *s, const unsigned char *in, size_t inlen,
                       const unsigned char **out, size_t *outlen) {
  const char *m = (const char *)in;
  scram_attr a[SCRAM_ATTRS_MAX];
  int n = -1;
  if (inlen > 0 && xmppim_sasl_utf8_valid(in, inlen))
    n = xmppim_scram_split(m, inlen, a, SCRAM_ATTRS_MAX);
  if (n < 3 || a[0].name != 'c' || a[1].name != 'r' || a[n - 1].name != 'p' ||
      !extensions_ok(a, 2, n - 1))
    return fail(s, XMPPIM_SASL_COND_MALFORMED_REQUEST, "malformed client-final-message");

  unsigned char *cbind = xmppim_mem_malloc(&s->mem, s->cbind_len);
  if (!cbind) return fail_code(s, XMPPIM_ERR_NOMEM);
  int ok = decode_exact(a[0].value, a[0].len, cbind, s->cbind_len);
  if (ok > 0) ok = xmppim_sasl_ct_equal(cbind, s->cbind, s->cbind_len);
  xmppim_mem_free(&s->mem, cbind);
  if (ok < 0) return fail(s, XMPPIM_SASL_COND_INCORRECT_ENCODING, "bad base64 in c=");
  if (!ok) return fail(s, XMPPIM_SASL_COND_NOT_AUTHORIZED, "channel binding data mismatch");

  const char *nonce = s->auth_prefix + s->server_first_off + 2;
  if (a[1].len != s->nonce_len || memcmp(a[1].value, nonce, s->nonce_len) != 0)
    return fail(s, XMPPIM_SASL_COND_NOT_AUTHORIZED, "nonce mismatch in client-final-message");

  size_t klen = xmppim_scram_key_len(s->hash);
  unsigned char proof[SASL_HASH_MAX], sig[SASL_HASH_MAX], key[SASL_HASH_MAX];
  ok = decode_exact(a[n - 1].value, a[n - 1].len, proof, klen);
  if (ok < 0) return fail(s, XMPPIM_SASL_COND_INCORRECT_ENCODING, "bad base64 in p=");
  if (!ok) return fail(s, XMPPIM_SASL_COND_MALFORMED_REQUEST, "client proof of the wrong length");

  /* AuthMessage = client-first-bare "," server-first "," client-final-without-proof */
  size_t wp_len = a[n - 1].offset - 1;
  size_t auth_len = s->auth_prefix_len + 1 + wp_len;
  char *auth = xmppim_mem_malloc(&s->mem, auth_len);
  if (!auth) return fail_code(s, XMPPIM_ERR_NOMEM);
  memcpy(auth, s->auth_prefix, s->auth_prefix_len);
  auth[s->auth_prefix_len] = ',';
  memcpy(auth + s->auth_prefix_len + 1, m, wp_len);

  /* ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); H(ClientKey)
   * must be StoredKey. Unknown users take the same path and fail. */
  int rc = xmppim_scram_hmac(s->hash, s->creds.stored_key, klen, auth, auth_len, sig);
  if (rc == 0) {
    for (size_t i = 0; i < klen; i++) key[i] = proof[i] ^ sig[i];
    rc = xmppim_scram_hash_bytes(s->hash, key, klen, sig);
  }
  ok = rc == 0 && xmppim_sasl_ct_equal(sig, s->creds.stored_key, klen) && !s->unknown_user;
  if (ok) rc = xmppim_scram_hmac(s->hash, s->creds.server_key, klen, auth, auth_len, sig);
  xmppim_mem_free(&s->mem, auth);
  xmppim_sasl_wipe(key, sizeof(key));
  xmppim_sasl_wipe(proof, sizeof(proof));
  if (rc) return fail_code(s, rc);
  if (!ok)
    return fail(s, XMPPIM_SASL_COND_NOT_AUTHORIZED, "%s",
                s->unknown_user ? "unknown user" : "wrong password (client proof mismatch)");

  if ((rc = authorize(s)) != 0) return rc;

  size_t sig_b64 = xmppim_base64_encoded_len(klen);
  s->out = xmppim_mem_malloc(&s->mem, 2 + sig_b64 + 1);
  if (!s->out) return fail_code(s, XMPPIM_ERR_NOMEM);
  memcpy(s->out, "v=", 2);
  (void)xmppim_base64_encode(sig, klen, (char *)s->out + 2, sig_b64 + 1);
  s->out_len = 2 + sig_b64;
  release_exchange(s);
  *out = s->out;
  *outlen = s->out_len;
  return XMPPIM_SASL_DONE;
}

/* ------------------------------------------------------------------- API */

int xmppim_sasl_server_step(xmppim_sasl_server *s, const unsigned char *in, size_t inlen,
                            const unsigned char **out, size_t *outlen) {
  if (!s || !out || !outlen || (!in && inlen)) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (s->state == S_DONE || s->state == S_FAILED) return XMPPIM_ERR_INVALID_STATE;
  *out = NULL;
  *outlen = 0;
  release_output(s);
  if (inlen > XMPPIM_SASL_MESSAGE_MAX)
    return fail(s, XMPPIM_SASL_COND_MALFORMED_REQUEST, "client message longer than %u bytes",
                (unsigned)XMPPIM_SASL_MESSAGE_MAX);
  int rc;
  switch (s->state) {
  case S_START:
    if (!in) {
      /* <auth/> without an initial response: invite it with an empty challenge. */
      s->state = S_WAIT_INITIAL;
      *out = empty_output;
      return XMPPIM_SASL_CONTINUE;
    }
    /* fall through */
  case S_WAIT_INITIAL:
    if (!in) in = empty_output;
    if (!s->hash) {
      rc = plain(s, in, inlen);
      if (rc) return rc;
      s->state = S_DONE;
      return XMPPIM_SASL_DONE; /* PLAIN: <success/> without data */
    }
    return scram_first(s, in, inlen, out, outlen);
  default: /* S_WAIT_FINAL */
    if (!in) in = empty_output;
    rc = scram_final(s, in, inlen, out, outlen);
    if (rc == XMPPIM_SASL_DONE) s->state = S_DONE;
    return rc;
  }
}

const char *xmppim_sasl_server_authcid(const xmppim_sasl_server *s) {
  return s && s->state == S_DONE ? s->authcid : NULL;
}

const char *xmppim_sasl_server_authzid(const xmppim_sasl_server *s) {
  return s && s->state == S_DONE ? s->authzid : NULL;
}

xmppim_sasl_condition xmppim_sasl_server_condition(const xmppim_sasl_server *s) {
  return s ? s->cond : XMPPIM_SASL_COND_NONE;
}

const char *xmppim_sasl_server_error(const xmppim_sasl_server *s) { return s ? s->error : ""; }
