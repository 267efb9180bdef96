/*
 * SCRAM building blocks (RFC 5802 section 3) on GnuTLS's crypto API, the
 * public xmppim_scram_derive(), nonces and the attribute syntax shared by
 * the client and the server.
 */
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "session/sasl/internal.h"
#include "util/base64.h"
#include "util/mem.h"

static gnutls_mac_algorithm_t mac_of(xmppim_scram_hash h) {
  return h == XMPPIM_SCRAM_SHA_1 ? GNUTLS_MAC_SHA1 : GNUTLS_MAC_SHA256;
}

static gnutls_digest_algorithm_t digest_of(xmppim_scram_hash h) {
  return h == XMPPIM_SCRAM_SHA_1 ? GNUTLS_DIG_SHA1 : GNUTLS_DIG_SHA256;
}

int xmppim_scram_hmac(xmppim_scram_hash h, const void *key, size_t keylen, const void *data,
                      size_t len, unsigned char *out) {
  return gnutls_hmac_fast(mac_of(h), key, keylen, data, len, out) == 0 ? 0 : XMPPIM_ERR_INTERNAL;
}

int xmppim_scram_hash_bytes(xmppim_scram_hash h, const void *data, size_t len,
                            unsigned char *out) {
  return gnutls_hash_fast(digest_of(h), data, len, out) == 0 ? 0 : XMPPIM_ERR_INTERNAL;
}

int xmppim_scram_keys(xmppim_scram_hash h, const unsigned char *salted,
                      unsigned char *client_key, unsigned char *stored_key,
                      unsigned char *server_key) {
  size_t klen = xmppim_scram_key_len(h);
  unsigned char ck[SASL_HASH_MAX];
  int rc = 0;
  if (client_key || stored_key) {
    rc = xmppim_scram_hmac(h, salted, klen, "Client Key", 10, ck);
    if (rc == 0 && client_key) memcpy(client_key, ck, klen);
    if (rc == 0 && stored_key) rc = xmppim_scram_hash_bytes(h, ck, klen, stored_key);
    xmppim_sasl_wipe(ck, sizeof(ck));
  }
  if (rc == 0 && server_key) rc = xmppim_scram_hmac(h, salted, klen, "Server Key", 10, server_key);
  return rc;
}

int xmppim_scram_salted_password(xmppim_scram_hash h, const char *password, size_t password_len,
                                 const unsigned char *salt, size_t salt_len, unsigned iterations,
                                 unsigned char *out) {
  /* gnutls_datum_t holds an unsigned size; our fields are far shorter. */
  if (password_len > 0xFFFFu || salt_len > 0xFFFFu || iterations == 0) return XMPPIM_ERR_INTERNAL;
  gnutls_datum_t key = {(unsigned char *)(uintptr_t)password, (unsigned)password_len};
  gnutls_datum_t s = {(unsigned char *)(uintptr_t)salt, (unsigned)salt_len};
  int rc = gnutls_pbkdf2(mac_of(h), &key, &s, iterations, out, xmppim_scram_key_len(h));
  return rc == 0 ? 0 : XMPPIM_ERR_INTERNAL;
}

int xmppim_scram_derive(xmppim_scram_credentials *out, xmppim_scram_hash hash,
                        const char *password, const unsigned char *salt, size_t salt_len,
                        unsigned iterations, const xmppim_mem *mem) {
  if (out) memset(out, 0, sizeof(*out));
  if (!out || !password || xmppim_scram_key_len(hash) == 0 || iterations == 0 ||
      !xmppim_sasl_mem_usable(mem))
    return XMPPIM_ERR_INVALID_ARGUMENT;
  if (salt ? (salt_len == 0 || salt_len > XMPPIM_SCRAM_SALT_MAX) : salt_len != 0)
    return XMPPIM_ERR_INVALID_ARGUMENT;
  size_t pwlen = strlen(password);
  if (pwlen > 0xFFFFu) return XMPPIM_ERR_INVALID_ARGUMENT;
  mem = xmppim_mem_or_default(mem);

  char *prepped;
  size_t plen;
  int rc = xmppim_saslprep(mem, password, pwlen, &prepped, &plen);
  if (rc) return rc;

  out->hash = hash;
  out->iterations = iterations;
  if (salt) {
    memcpy(out->salt, salt, salt_len);
    out->salt_len = salt_len;
  } else if (gnutls_rnd(GNUTLS_RND_NONCE, out->salt, XMPPIM_SCRAM_SALT_DEFAULT) == 0) {
    out->salt_len = XMPPIM_SCRAM_SALT_DEFAULT;
  } else {
    rc = XMPPIM_ERR_INTERNAL;
  }

  unsigned char salted[SASL_HASH_MAX];
  if (rc == 0)
    rc = xmppim_scram_salted_password(hash, prepped, plen, out->salt, out->salt_len, iterations,
                                      salted);
  if (rc == 0) rc = xmppim_scram_keys(hash, salted, NULL, out->stored_key, out->server_key);
  xmppim_sasl_wipe(salted, sizeof(salted));
  xmppim_sasl_free_secret(mem, prepped, plen);
  if (rc) xmppim_sasl_wipe(out, sizeof(*out));
  return rc;
}

/* ------------------------------------------------------- unknown users */

/*
 * The one piece of process-wide state in the SASL code: a random key, drawn
 * once, that makes the salts of unknown users stable within the process and
 * unpredictable outside it. Immutable once set, so threads only race on the
 * pthread_once.
 */
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static unsigned char dummy_key[32];
static int dummy_key_ok;

static void dummy_key_init(void) {
  dummy_key_ok = gnutls_rnd(GNUTLS_RND_KEY, dummy_key, sizeof(dummy_key)) == 0;
}

int xmppim_scram_dummy_salt(xmppim_scram_hash h, const char *authcid, unsigned char *out,
                            size_t len) {
  unsigned char mac[32];
  if (len > sizeof(mac) || pthread_once(&dummy_once, dummy_key_init) != 0 || !dummy_key_ok)
    return XMPPIM_ERR_INTERNAL;
  gnutls_hmac_hd_t hd;
  unsigned char tag = (unsigned char)h;
  if (gnutls_hmac_init(&hd, GNUTLS_MAC_SHA256, dummy_key, sizeof(dummy_key)) != 0)
    return XMPPIM_ERR_INTERNAL;
  int rc = gnutls_hmac(hd, &tag, 1);
  if (rc == 0) rc = gnutls_hmac(hd, authcid, strlen(authcid));
  gnutls_hmac_deinit(hd, mac);
  if (rc != 0) return XMPPIM_ERR_INTERNAL;
  memcpy(out, mac, len);
  return 0;
}

/* ----------------------------------------------------- channel binding */

int xmppim_sasl_cb_valid(const xmppim_sasl_channel_binding *cb) {
  if (!cb || !cb->type || !cb->data || cb->len == 0 || cb->len > XMPPIM_SASL_CB_DATA_MAX)
    return 0;
  size_t n = strlen(cb->type);
  if (n == 0 || n > 64) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = cb->type[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '.' || c == '-'))
      return 0;
  }
  return 1;
}

/* -------------------------------------------------------------- nonces */

int xmppim_sasl_random_nonce(char out[SASL_NONCE_LEN + 1]) {
  unsigned char raw[SASL_NONCE_RANDOM_BYTES];
  if (gnutls_rnd(GNUTLS_RND_NONCE, raw, sizeof(raw)) != 0) return XMPPIM_ERR_INTERNAL;
  /* 18 bytes are 24 base64 characters with no padding, none of them ','. */
  (void)xmppim_base64_encode(raw, sizeof(raw), out, SASL_NONCE_LEN + 1);
  return 0;
}

int xmppim_sasl_nonce_valid(const char *s, size_t len) {
  if (len == 0) return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x21 || c > 0x7E || c == ',') return 0;
  }
  return 1;
}

/* ------------------------------------------------------------ saslname */

char *xmppim_scram_escape(const xmppim_mem *mem, const char *s, size_t len, size_t *out_len) {
  size_t n = len;
  for (size_t i = 0; i < len; i++)
    if (s[i] == ',' || s[i] == '=') n += 2;
  char *o = xmppim_mem_malloc(mem, n + 1);
  if (!o) return NULL;
  size_t p = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == ',') {
      memcpy(o + p, "=2C", 3);
      p += 3;
    } else if (s[i] == '=') {
      memcpy(o + p, "=3D", 3);
      p += 3;
    } else {
      o[p++] = s[i];
    }
  }
  o[p] = '\0';
  *out_len = p;
  return o;
}

int xmppim_scram_unescape(const xmppim_mem *mem, const char *s, size_t len, char **out,
                          size_t *out_len) {
  *out = NULL;
  if (len == 0) return XMPPIM_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < len; i++) {
    if (s[i] != '=') continue;
    if (len - i < 3 ||
        !((s[i + 1] == '2' && s[i + 2] == 'C') || (s[i + 1] == '3' && s[i + 2] == 'D')))
      return XMPPIM_ERR_INVALID_ARGUMENT;
    i += 2;
  }
  char *o = xmppim_mem_malloc(mem, len + 1);
  if (!o) return XMPPIM_ERR_NOMEM;
  size_t p = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '=') {
      o[p++] = s[i + 1] == '2' ? ',' : '=';
      i += 2;
    } else {
      o[p++] = s[i];
    }
  }
  o[p] = '\0';
  *out = o;
  *out_len = p;
  return 0;
}

/* ---------------------------------------------------------- attributes */

static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

int xmppim_scram_split(const char *s, size_t len, scram_attr *attrs, int max) {
  int n = 0;
  size_t start = 0;
  for (;;) {
    const char *comma = memchr(s + start, ',', len - start);
    size_t end = comma ? (size_t)(comma - s) : len;
    if (end - start < 2 || !is_alpha(s[start]) || s[start + 1] != '=' || n == max) return -1;
    attrs[n].name = s[start];
    attrs[n].value = s + start + 2;
    attrs[n].len = end - start - 2;
    attrs[n].offset = start;
    n++;
    if (!comma) return n;
    start = end + 1;
  }
}

int xmppim_scram_parse_uint(const char *s, size_t len, unsigned *out) {
  if (len == 0 || len > 10 || s[0] == '0') return 0;
  unsigned long long v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  if (v > 0xFFFFFFFFull || v > (unsigned long long)(unsigned)-1) return 0;
  *out = (unsigned)v;
  return 1;
}

static int value_is(const char *v, size_t len, const char *lit) {
  return strlen(lit) == len && memcmp(v, lit, len) == 0;
}

xmppim_sasl_condition xmppim_scram_server_error_condition(const char *value, size_t len) {
  if (value_is(value, len, "invalid-encoding")) return XMPPIM_SASL_COND_INCORRECT_ENCODING;
  if (value_is(value, len, "invalid-username-encoding")) return XMPPIM_SASL_COND_MALFORMED_REQUEST;
  if (value_is(value, len, "extensions-not-supported")) return XMPPIM_SASL_COND_MALFORMED_REQUEST;
  if (value_is(value, len, "no-resources")) return XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE;
  return XMPPIM_SASL_COND_NOT_AUTHORIZED;
}
