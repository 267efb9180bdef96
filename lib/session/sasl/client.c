/*
 * The client side of PLAIN (RFC 4616) and SCRAM (RFC 5802, RFC 7677).
 *
 * SCRAM, as the client sees it:
 *   client-first  = gs2-header client-first-bare
 *                   gs2-header = ("n" / "y" / "p=" cb-name) "," ["a=" authzid] ","
 *                   client-first-bare = "n=" user ",r=" c-nonce
 *   server-first  = "r=" c-nonce s-nonce ",s=" salt ",i=" count [",..."]
 *   client-final  = "c=" base64(gs2-header [cb-data]) ",r=" nonce ",p=" proof
 *   server-final  = "v=" signature / "e=" error
 * The password is needed only to answer server-first; it is wiped and freed
 * right after, and so is every intermediate key. What remains is the
 * ServerSignature we expect, to check the server's claim of success.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "session/sasl/internal.h"
#include "session/sasl/sasl.h"
#include "util/base64.h"
#include "util/mem.h"

enum client_state {
  C_INIT,       /* nothing sent */
  C_SENT_PLAIN, /* PLAIN message sent, waiting for <success/> */
  C_SENT_FIRST, /* client-first sent, waiting for server-first */
  C_SENT_FINAL, /* client-final sent, waiting for server-final */
  C_VERIFIED,   /* server-final came in a challenge and was right */
  C_DONE,
  C_FAILED
};

struct xmppim_sasl_client {
  xmppim_mem mem;
  xmppim_sasl_mechanism mech;
  xmppim_scram_hash hash; /* 0 for PLAIN */
  enum client_state state;
  xmppim_sasl_condition cond;
  unsigned min_iter, max_iter;
  char *authcid; /* SASLprep'd; for SCRAM also escaped */
  size_t authcid_len;
  char *password; /* SASLprep'd; NULL once used */
  size_t password_len;
  char *authzid; /* NULL when none; for SCRAM escaped */
  size_t authzid_len;
  char cb_flag; /* SCRAM: 'n', 'y' or 'p' */
  char *cb_type;
  unsigned char *cb_data;
  size_t cb_len;
  char nonce[SASL_NONCE_MAX + 1];
  size_t nonce_len;
  char *first; /* client-first-message: gs2 header then the bare part */
  size_t first_len, gs2_len;
  unsigned char server_sig[SASL_HASH_MAX];
  unsigned char *out; /* owned output of the last step (wiped when replaced) */
  size_t out_len;
  char error[SASL_ERROR_MAX];
};

/* What an empty output points at: non-NULL, owned by nobody. */
static const unsigned char empty_output[1];

static void release_output(xmppim_sasl_client *c) {
  xmppim_sasl_free_secret(&c->mem, c->out, c->out_len + 1);
  c->out = NULL;
  c->out_len = 0;
}

/* A fresh output buffer of len bytes (plus a NUL, for logs in a debugger). */
static unsigned char *new_output(xmppim_sasl_client *c, size_t len) {
  release_output(c);
  c->out = xmppim_mem_malloc(&c->mem, len + 1);
  if (!c->out) return NULL;
  c->out[len] = '\0';
  c->out_len = len;
  return c->out;
}

static void forget_password(xmppim_sasl_client *c) {
  xmppim_sasl_free_secret(&c->mem, c->password, c->password_len + 1);
  c->password = NULL;
  c->password_len = 0;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(xmppim_sasl_client *c, xmppim_sasl_condition cond, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->error, sizeof(c->error), fmt, ap);
  va_end(ap);
  c->cond = cond;
  c->state = C_FAILED;
  release_output(c);
  forget_password(c);
  return XMPPIM_SASL_FAILED;
}

/* NOMEM and INTERNAL end the attempt too, with a condition to show for it. */
static int fail_code(xmppim_sasl_client *c, int rc) {
  (void)fail(c, XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE, "%s", xmppim_strerror(rc));
  return rc;
}

/* ---------------------------------------------------------------- create */

void xmppim_sasl_client_free(xmppim_sasl_client *c) {
  if (!c) return;
  xmppim_mem mem = c->mem;
  release_output(c);
  forget_password(c);
  xmppim_sasl_free_secret(&mem, c->authcid, c->authcid_len + 1);
  xmppim_sasl_free_secret(&mem, c->authzid, c->authzid_len + 1);
  xmppim_mem_free(&mem, c->cb_type);
  xmppim_sasl_free_secret(&mem, c->cb_data, c->cb_len);
  xmppim_sasl_free_secret(&mem, c->first, c->first_len + 1);
  xmppim_sasl_wipe(c, sizeof(*c));
  xmppim_mem_free(&mem, c);
}

static int copy_cb(xmppim_sasl_client *c, const xmppim_sasl_channel_binding *cb) {
  c->cb_type = xmppim_mem_strndup(&c->mem, cb->type, strlen(cb->type));
  c->cb_data = xmppim_mem_malloc(&c->mem, cb->len);
  if (!c->cb_type || !c->cb_data) return XMPPIM_ERR_NOMEM;
  memcpy(c->cb_data, cb->data, cb->len);
  c->cb_len = cb->len;
  return 0;
}

static int setup(xmppim_sasl_client *c, const char *authcid, const char *password,
                 const char *authzid, const xmppim_sasl_channel_binding *cb) {
  int rc = xmppim_saslprep(&c->mem, authcid, strlen(authcid), &c->authcid, &c->authcid_len);
  if (rc) return rc;
  rc = xmppim_saslprep(&c->mem, password, strlen(password), &c->password, &c->password_len);
  if (rc) return rc;
  if (authzid && *authzid) {
    size_t zlen = strlen(authzid);
    c->authzid = c->hash ? xmppim_scram_escape(&c->mem, authzid, zlen, &c->authzid_len)
                         : xmppim_mem_strndup(&c->mem, authzid, zlen);
    if (!c->authzid) return XMPPIM_ERR_NOMEM;
    if (!c->hash) c->authzid_len = zlen;
  }
  if (!c->hash) return 0;

  /* SCRAM sends the user name as a saslname. */
  size_t elen;
  char *escaped = xmppim_scram_escape(&c->mem, c->authcid, c->authcid_len, &elen);
  if (!escaped) return XMPPIM_ERR_NOMEM;
  xmppim_sasl_free_secret(&c->mem, c->authcid, c->authcid_len + 1);
  c->authcid = escaped;
  c->authcid_len = elen;

  if (xmppim_sasl_mechanism_is_plus(c->mech))
    c->cb_flag = 'p';
  else
    c->cb_flag = cb ? 'y' : 'n';
  if (c->cb_flag == 'p' && (rc = copy_cb(c, cb)) != 0) return rc;

  if (xmppim_sasl_random_nonce(c->nonce) != 0) return XMPPIM_ERR_INTERNAL;
  c->nonce_len = SASL_NONCE_LEN;
  return 0;
}

int xmppim_sasl_client_new(xmppim_sasl_client **out, xmppim_sasl_mechanism mechanism,
                           const char *authcid, const char *password, const char *authzid,
                           const xmppim_sasl_channel_binding *cb, const xmppim_mem *mem) {
  if (out) *out = NULL;
  if (!out || !authcid || !password || !xmppim_sasl_mem_usable(mem) ||
      !xmppim_sasl_mechanism_name(mechanism))
    return XMPPIM_ERR_INVALID_ARGUMENT;
  int scram = mechanism != XMPPIM_SASL_MECH_PLAIN;
  if (xmppim_sasl_mechanism_is_plus(mechanism) && !cb) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (scram && cb && !xmppim_sasl_cb_valid(cb)) return XMPPIM_ERR_INVALID_ARGUMENT;
  size_t alen = strlen(authcid), plen = strlen(password);
  size_t zlen = authzid ? strlen(authzid) : 0;
  if (alen == 0 || plen == 0 || alen > XMPPIM_SASL_FIELD_MAX || plen > XMPPIM_SASL_FIELD_MAX ||
      zlen > XMPPIM_SASL_AUTHZID_MAX)
    return XMPPIM_ERR_INVALID_ARGUMENT;
  if (!xmppim_sasl_utf8_valid((const unsigned char *)authzid, zlen)) return XMPPIM_ERR_BAD_UTF8;

  mem = xmppim_mem_or_default(mem);
  xmppim_sasl_client *c = xmppim_mem_malloc(mem, sizeof(*c));
  if (!c) return XMPPIM_ERR_NOMEM;
  memset(c, 0, sizeof(*c));
  c->mem = *mem;
  c->mech = mechanism;
  c->hash = xmppim_sasl_mechanism_scram_hash(mechanism);
  c->state = C_INIT;
  c->min_iter = XMPPIM_SCRAM_ITERATIONS_MIN;
  c->max_iter = XMPPIM_SASL_CLIENT_ITERATIONS_MAX;
  int rc = setup(c, authcid, password, authzid, cb);
  if (rc) {
    xmppim_sasl_client_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

int xmppim_sasl_client_set_iteration_limits(xmppim_sasl_client *c, unsigned min, unsigned max) {
  if (!c || min == 0 || min > max) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (c->state != C_INIT) return XMPPIM_ERR_INVALID_STATE;
  c->min_iter = min;
  c->max_iter = max;
  return 0;
}

int xmppim_sasl_client_set_nonce(xmppim_sasl_client *c, const char *nonce) {
  if (!c || !nonce) return XMPPIM_ERR_INVALID_ARGUMENT;
  size_t n = strlen(nonce);
  if (n > SASL_NONCE_MAX || !xmppim_sasl_nonce_valid(nonce, n)) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (c->state != C_INIT || !c->hash) return XMPPIM_ERR_INVALID_STATE;
  memcpy(c->nonce, nonce, n + 1);
  c->nonce_len = n;
  return 0;
}

/* ----------------------------------------------------------------- PLAIN */

/* RFC 4616: [authzid] NUL authcid NUL passwd. */
static int plain_message(xmppim_sasl_client *c, const unsigned char **out, size_t *outlen) {
  size_t len = c->authzid_len + 1 + c->authcid_len + 1 + c->password_len;
  unsigned char *p = new_output(c, len);
  if (!p) return fail_code(c, XMPPIM_ERR_NOMEM);
  if (c->authzid_len) memcpy(p, c->authzid, c->authzid_len);
  p += c->authzid_len;
  *p++ = 0;
  memcpy(p, c->authcid, c->authcid_len);
  p += c->authcid_len;
  *p++ = 0;
  memcpy(p, c->password, c->password_len);
  forget_password(c);
  c->state = C_SENT_PLAIN;
  *out = c->out;
  *outlen = c->out_len;
  return XMPPIM_SASL_CONTINUE;
}

/* ------------------------------------------------------------------ SCRAM */

static int client_first(xmppim_sasl_client *c, const unsigned char **out, size_t *outlen) {
  /* gs2 header */
  size_t flag_len = c->cb_flag == 'p' ? 2 + strlen(c->cb_type) : 1;
  size_t gs2_len = flag_len + 1 + (c->authzid ? 2 + c->authzid_len : 0) + 1;
  size_t len = gs2_len + 2 + c->authcid_len + 3 + c->nonce_len;
  char *m = xmppim_mem_malloc(&c->mem, len + 1);
  if (!m) return fail_code(c, XMPPIM_ERR_NOMEM);
  if (c->cb_flag == 'p')
    snprintf(m, len + 1, "p=%s,", c->cb_type);
  else
    snprintf(m, len + 1, "%c,", c->cb_flag);
  if (c->authzid) snprintf(m + flag_len + 1, len - flag_len, "a=%s", c->authzid);
  snprintf(m + gs2_len - 1, len + 2 - gs2_len, ",n=%s,r=%s", c->authcid, c->nonce);
  c->first = m;
  c->first_len = len;
  c->gs2_len = gs2_len;
  c->state = C_SENT_FIRST;
  /* The message itself is kept for AuthMessage, so it can be the output too. */
  release_output(c);
  *out = (const unsigned char *)m;
  *outlen = len;
  return XMPPIM_SASL_CONTINUE;
}

/* e=... : the server gave up, and says why. */
static int server_error(xmppim_sasl_client *c, const scram_attr *e) {
  return fail(c, xmppim_scram_server_error_condition(e->value, e->len), "server error: %.*s",
              (int)(e->len > 64 ? 64 : e->len), e->value);
}

/* Splits a server message, refusing what is not UTF-8 text of attributes. */
static int split_server_message(xmppim_sasl_client *c, const unsigned char *in, size_t inlen,
                                scram_attr *attrs, const char *what) {
  int n = -1;
  if (inlen > 0 && xmppim_sasl_utf8_valid(in, inlen))
    n = xmppim_scram_split((const char *)in, inlen, attrs, SCRAM_ATTRS_MAX);
  if (n < 0) return fail(c, XMPPIM_SASL_COND_MALFORMED_REQUEST, "malformed %s", what);
  return n;
}

/* The proof, and the ServerSignature to expect, for one AuthMessage. */
static int compute_proof(xmppim_sasl_client *c, const unsigned char *salt, size_t salt_len,
                         unsigned iterations, const char *auth, size_t auth_len,
                         unsigned char *proof) {
  size_t klen = xmppim_scram_key_len(c->hash);
  unsigned char salted[SASL_HASH_MAX], client_key[SASL_HASH_MAX], stored_key[SASL_HASH_MAX];
  unsigned char server_key[SASL_HASH_MAX], client_sig[SASL_HASH_MAX];
  int rc = xmppim_scram_salted_password(c->hash, c->password, c->password_len, salt, salt_len,
                                        iterations, salted);
  if (rc == 0) rc = xmppim_scram_keys(c->hash, salted, client_key, stored_key, server_key);
  if (rc == 0) rc = xmppim_scram_hmac(c->hash, stored_key, klen, auth, auth_len, client_sig);
  if (rc == 0) rc = xmppim_scram_hmac(c->hash, server_key, klen, auth, auth_len, c->server_sig);
  if (rc == 0)
    for (size_t i = 0; i < klen; i++) proof[i] = client_key[i] ^ client_sig[i];
  xmppim_sasl_wipe(salted, sizeof(salted));
  xmppim_sasl_wipe(client_key, sizeof(client_key));
  xmppim_sasl_wipe(stored_key, sizeof(stored_key));
  xmppim_sasl_wipe(server_key, sizeof(server_key));
  xmppim_sasl_wipe(client_sig, sizeof(client_sig));
  return rc;
}

/* "c=" base64(gs2-header [cb-data]) ",r=" nonce, into a new string. */
static char *final_without_proof(xmppim_sasl_client *c, const char *nonce, size_t nonce_len,
                                 size_t *len_out) {
  size_t cb_len = c->cb_flag == 'p' ? c->cb_len : 0;
  size_t raw_len = c->gs2_len + cb_len;
  unsigned char *raw = xmppim_mem_malloc(&c->mem, raw_len);
  if (!raw) return NULL;
  memcpy(raw, c->first, c->gs2_len);
  if (cb_len) memcpy(raw + c->gs2_len, c->cb_data, cb_len);
  size_t b64_len = xmppim_base64_encoded_len(raw_len);
  size_t len = 2 + b64_len + 3 + nonce_len;
  char *m = xmppim_mem_malloc(&c->mem, len + 1);
  if (m) {
    memcpy(m, "c=", 2);
    (void)xmppim_base64_encode(raw, raw_len, m + 2, b64_len + 1);
    memcpy(m + 2 + b64_len, ",r=", 3);
    memcpy(m + 5 + b64_len, nonce, nonce_len);
    m[len] = '\0';
    *len_out = len;
  }
  xmppim_mem_free(&c->mem, raw);
  return m;
}

/* server-first arrived: check it, answer with client-final. */
static int client_final(xmppim_sasl_client *c, const unsigned char *in, size_t inlen,
                        const unsigned char **out, size_t *outlen) {
  scram_attr a[SCRAM_ATTRS_MAX];
  int n = split_server_message(c, in, inlen, a, "server-first-message");
  if (n < 0) return n;
  if (a[0].name == 'e') return server_error(c, &a[0]);
  if (a[0].name == 'm')
    return fail(c, XMPPIM_SASL_COND_MALFORMED_REQUEST,
                "server-first-message requires an unsupported extension (m=)");
  if (n < 3 || a[0].name != 'r' || a[1].name != 's' || a[2].name != 'i')
    return fail(c, XMPPIM_SASL_COND_MALFORMED_REQUEST,
                "server-first-message lacks r=, s=, i= in that order");
  /* The server's nonce must extend ours (RFC 5802 section 5.1). */
  if (!xmppim_sasl_nonce_valid(a[0].value, a[0].len) || a[0].len <= c->nonce_len ||
      memcmp(a[0].value, c->nonce, c->nonce_len) != 0)
    return fail(c, XMPPIM_SASL_COND_MALFORMED_REQUEST,
                "server nonce does not extend the client nonce");
  unsigned iterations;
  if (!xmppim_scram_parse_uint(a[2].value, a[2].len, &iterations))
    return fail(c, XMPPIM_SASL_COND_MALFORMED_REQUEST, "bad iteration count \"%.*s\"",
                (int)(a[2].len > 16 ? 16 : a[2].len), a[2].value);
  if (iterations < c->min_iter)
    return fail(c, XMPPIM_SASL_COND_MECHANISM_TOO_WEAK,
                "iteration count %u below the minimum %u", iterations, c->min_iter);
  if (iterations > c->max_iter)
    return fail(c, XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE,
                "iteration count %u above the maximum %u", iterations, c->max_iter);
  size_t salt_len;
  int rc = xmppim_base64_decode(a[1].value, a[1].len, NULL, 0, &salt_len);
  if (rc == XMPPIM_ERR_INVALID_ARGUMENT)
    return fail(c, XMPPIM_SASL_COND_INCORRECT_ENCODING, "bad base64 in the salt");
  if (salt_len == 0) return fail(c, XMPPIM_SASL_COND_MALFORMED_REQUEST, "empty salt");

  size_t klen = xmppim_scram_key_len(c->hash);
  unsigned char *salt = xmppim_mem_malloc(&c->mem, salt_len);
  char *wp = NULL, *auth = NULL;
  size_t wp_len = 0, auth_len = 0;
  unsigned char proof[SASL_HASH_MAX];
  if (!salt) return fail_code(c, XMPPIM_ERR_NOMEM);
  rc = xmppim_base64_decode(a[1].value, a[1].len, salt, salt_len, &salt_len);
  wp = final_without_proof(c, a[0].value, a[0].len, &wp_len);
  if (!wp) rc = XMPPIM_ERR_NOMEM;
  if (rc == 0) {
    /* AuthMessage = client-first-bare "," server-first "," client-final-without-proof */
    size_t bare_len = c->first_len - c->gs2_len;
    auth_len = bare_len + 1 + inlen + 1 + wp_len;
    auth = xmppim_mem_malloc(&c->mem, auth_len);
    if (!auth) rc = XMPPIM_ERR_NOMEM;
    if (auth) {
      memcpy(auth, c->first + c->gs2_len, bare_len);
      auth[bare_len] = ',';
      memcpy(auth + bare_len + 1, in, inlen);
      auth[bare_len + 1 + inlen] = ',';
      memcpy(auth + bare_len + 2 + inlen, wp, wp_len);
    }
  }
  if (rc == 0) rc = compute_proof(c, salt, salt_len, iterations, auth, auth_len, proof);
  unsigned char *o = NULL;
  size_t proof_b64 = xmppim_base64_encoded_len(klen);
  if (rc == 0) {
    o = new_output(c, wp_len + 3 + proof_b64);
    if (!o) rc = XMPPIM_ERR_NOMEM;
  }
  if (rc == 0) {
    memcpy(o, wp, wp_len);
    memcpy(o + wp_len, ",p=", 3);
    (void)xmppim_base64_encode(proof, klen, (char *)o + wp_len + 3, proof_b64 + 1);
  }
  xmppim_sasl_wipe(proof, sizeof(proof));
  xmppim_mem_free(&c->mem, salt);
  xmppim_mem_free(&c->mem, wp);
  xmppim_mem_free(&c->mem, auth);
  if (rc) return fail_code(c, rc);
  forget_password(c);
  c->state = C_SENT_FINAL;
  *out = c->out;
  *outlen = c->out_len;
  return XMPPIM_SASL_CONTINUE;
}

/* server-final: "v=" must carry the ServerSignature we computed. */
static int verify_server_final(xmppim_sasl_client *c, const unsigned char *in, size_t inlen) {
  if (inlen == 0)
    return fail(c, XMPPIM_SASL_COND_NOT_AUTHORIZED,
                "server sent no server-final-message: it did not prove it knows the password");
  scram_attr a[SCRAM_ATTRS_MAX];
  int n = split_server_message(c, in, inlen, a, "server-final-message");
  if (n < 0) return n;
  if (a[0].name == 'e') return server_error(c, &a[0]);
  if (a[0].name != 'v')
    return fail(c, XMPPIM_SASL_COND_MALFORMED_REQUEST, "server-final-message lacks v=");
  size_t klen = xmppim_scram_key_len(c->hash);
  unsigned char sig[SASL_HASH_MAX];
  size_t sig_len;
  int rc = xmppim_base64_decode(a[0].value, a[0].len, sig, sizeof(sig), &sig_len);
  if (rc == XMPPIM_ERR_INVALID_ARGUMENT)
    return fail(c, XMPPIM_SASL_COND_INCORRECT_ENCODING, "bad base64 in the server signature");
  if (rc != 0 || sig_len != klen || !xmppim_sasl_ct_equal(sig, c->server_sig, klen))
    return fail(c, XMPPIM_SASL_COND_NOT_AUTHORIZED,
                "wrong server signature: the server does not know the password");
  return 0;
}

/* ------------------------------------------------------------------- API */

int xmppim_sasl_client_step(xmppim_sasl_client *c, const unsigned char *in, size_t inlen,
                            const unsigned char **out, size_t *outlen) {
  if (!c || !out || !outlen || (!in && inlen)) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (c->state == C_DONE || c->state == C_FAILED) return XMPPIM_ERR_INVALID_STATE;
  *out = NULL;
  *outlen = 0;
  if (inlen > XMPPIM_SASL_MESSAGE_MAX)
    return fail(c, XMPPIM_SASL_COND_MALFORMED_REQUEST, "server message longer than %u bytes",
                (unsigned)XMPPIM_SASL_MESSAGE_MAX);
  switch (c->state) {
  case C_INIT:
    /* Client-first mechanisms: at most an empty challenge comes first. */
    if (inlen > 0)
      return fail(c, XMPPIM_SASL_COND_MALFORMED_REQUEST,
                  "server sent data before the client's first message");
    return c->hash ? client_first(c, out, outlen) : plain_message(c, out, outlen);
  case C_SENT_FIRST: return client_final(c, in, inlen, out, outlen);
  case C_SENT_FINAL: {
    /* The long form: server-final in a challenge, <success/> empty after it. */
    int rc = verify_server_final(c, in, inlen);
    if (rc) return rc;
    release_output(c);
    c->state = C_VERIFIED;
    *out = empty_output;
    return XMPPIM_SASL_CONTINUE;
  }
  default:
    return fail(c, XMPPIM_SASL_COND_MALFORMED_REQUEST, "unexpected challenge from the server");
  }
}

int xmppim_sasl_client_success(xmppim_sasl_client *c, const unsigned char *data, size_t len) {
  if (!c || (!data && len)) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (c->state == C_INIT || c->state == C_DONE || c->state == C_FAILED)
    return XMPPIM_ERR_INVALID_STATE;
  release_output(c);
  if (len > XMPPIM_SASL_MESSAGE_MAX)
    return fail(c, XMPPIM_SASL_COND_MALFORMED_REQUEST, "success data longer than %u bytes",
                (unsigned)XMPPIM_SASL_MESSAGE_MAX);
  switch (c->state) {
  case C_SENT_FIRST:
    return fail(c, XMPPIM_SASL_COND_NOT_AUTHORIZED,
                "server reported success before the SCRAM exchange was complete");
  case C_SENT_FINAL: {
    int rc = verify_server_final(c, data, len);
    if (rc) return rc;
    break;
  }
  default: /* C_SENT_PLAIN, C_VERIFIED */
    if (len > 0)
      return fail(c, XMPPIM_SASL_COND_MALFORMED_REQUEST, "unexpected data with success");
    break;
  }
  c->state = C_DONE;
  return XMPPIM_SASL_DONE;
}

xmppim_sasl_condition xmppim_sasl_client_condition(const xmppim_sasl_client *c) {
  return c ? c->cond : XMPPIM_SASL_COND_NONE;
}

const char *xmppim_sasl_client_error(const xmppim_sasl_client *c) { return c ? c->error : ""; }
