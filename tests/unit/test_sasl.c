/*
 * SASL mechanisms (RFC 6120 section 6 and 13.8): PLAIN (RFC 4616),
 * SCRAM-SHA-1 and SCRAM-SHA-256 with their -PLUS forms (RFC 5802, RFC 7677),
 * SASLprep (RFC 4013), the names of mechanisms and failure conditions, and
 * xmppim_scram_derive().
 *
 * Requirement IDs from /work/shared/spec/rfc6121-requirements.md appear in
 * the test names and comments where a test backs one. The XML side of these
 * requirements (elements, "=" for empty payloads, retries) belongs to the
 * session and its tests; what is tested here is the mechanism side.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stringprep.h>
#include <xmppim/sasl.h>

#include "failing_mem.h"
#include "session/sasl/internal.h"
#include "session/sasl/sasl.h"
#include "util/base64.h"

/* ------------------------------------------------------------- helpers */

#define BYTES(lit) (const unsigned char *)(lit), (sizeof(lit) - 1)

static size_t unhex(const char *hex, unsigned char *out) {
  size_t n = strlen(hex) / 2;
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
    out[i] = (unsigned char)v;
  }
  return n;
}

static size_t unb64(const char *b64, unsigned char *out, size_t cap) {
  size_t n;
  assert_int_equal(xmppim_base64_decode(b64, strlen(b64), out, cap, &n), 0);
  return n;
}

static void assert_out(const unsigned char *out, size_t len, const char *want) {
  if (len != strlen(want) || memcmp(out, want, len) != 0)
    fail_msg("got \"%.*s\", want \"%s\"", (int)len, (const char *)out, want);
}

/* Channel bindings as a TLS layer would give them. */
static const unsigned char exporter_bytes[32] = {
  0x3d, 0x12, 0x9a, 0x00, 0xfe, 0x41, 0x2c, 0x3d, 0x0b, 0x77, 0x55, 0x10, 0x01, 0x02, 0x03, 0x04,
  0xa0, 0xa1, 0xa2, 0xa3, 0x2c, 0x3d, 0x00, 0x00, 0x99, 0x98, 0x97, 0x96, 0x11, 0x22, 0x33, 0x44};
static const unsigned char unique_bytes[12] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01,
                                               0x02, 0x03, 0x2c, 0x3d, 0x44, 0x55};
static const xmppim_sasl_channel_binding cb_exporter = {"tls-exporter", exporter_bytes, 32};
static const xmppim_sasl_channel_binding cb_unique = {"tls-unique", unique_bytes, 12};

/*
 * The host's account store in these tests: one user, credentials derived
 * from the password at "registration", and knobs for the policies.
 */
typedef struct host {
  const char *user;
  const char *password;
  xmppim_scram_credentials sha1, sha256;
  int have_creds;
  unsigned fake_iterations;                /* hint for unknown users */
  xmppim_sasl_condition lookup_override;   /* returned instead, if set */
  int lookup_wrong_hash;                   /* return credentials of the other hash */
  int lookup_fill_then_refuse;             /* fill in the real keys, say not-authorized */
  int authorize_mode;                      /* 0 allow own/none, 1 allow all, 2 disabled */
  char seen_authcid[256], seen_authzid[256], seen_password[256];
  int verify_calls, lookup_calls, authorize_calls;
} host;

static host H;

static void host_reset(const char *user, const char *password) {
  memset(&H, 0, sizeof(H));
  H.user = user;
  H.password = password;
  if (password) {
    static const unsigned char salt[] = "0123456789abcdef";
    assert_int_equal(
        xmppim_scram_derive(&H.sha1, XMPPIM_SCRAM_SHA_1, password, salt, 16, 4096, NULL), 0);
    assert_int_equal(
        xmppim_scram_derive(&H.sha256, XMPPIM_SCRAM_SHA_256, password, salt, 16, 4096, NULL), 0);
    H.have_creds = 1;
  }
}

static xmppim_sasl_condition host_verify(const char *authcid, const char *password,
                                         const char *authzid, void *ud) {
  host *h = ud;
  h->verify_calls++;
  snprintf(h->seen_authcid, sizeof(h->seen_authcid), "%s", authcid);
  snprintf(h->seen_password, sizeof(h->seen_password), "%s", password);
  snprintf(h->seen_authzid, sizeof(h->seen_authzid), "%s", authzid ? authzid : "(none)");
  if (!h->user || strcmp(authcid, h->user) != 0 || strcmp(password, h->password) != 0)
    return XMPPIM_SASL_COND_NOT_AUTHORIZED;
  return XMPPIM_SASL_COND_NONE;
}

static xmppim_sasl_condition host_lookup(const char *authcid, xmppim_scram_hash hash,
                                         xmppim_scram_credentials *creds, void *ud) {
  host *h = ud;
  h->lookup_calls++;
  snprintf(h->seen_authcid, sizeof(h->seen_authcid), "%s", authcid);
  assert_int_equal(creds->hash, hash);
  if (h->lookup_override) return h->lookup_override;
  if (!h->user || !h->have_creds || strcmp(authcid, h->user) != 0) {
    if (h->fake_iterations) creds->iterations = h->fake_iterations;
    return XMPPIM_SASL_COND_NOT_AUTHORIZED;
  }
  int sha1 = hash == XMPPIM_SCRAM_SHA_1;
  if (h->lookup_wrong_hash) sha1 = !sha1;
  *creds = sha1 ? h->sha1 : h->sha256;
  return h->lookup_fill_then_refuse ? XMPPIM_SASL_COND_NOT_AUTHORIZED : XMPPIM_SASL_COND_NONE;
}

static xmppim_sasl_condition host_authorize(const char *authcid, const char *authzid, void *ud) {
  host *h = ud;
  h->authorize_calls++;
  snprintf(h->seen_authzid, sizeof(h->seen_authzid), "%s", authzid ? authzid : "(none)");
  if (h->authorize_mode == 2) return XMPPIM_SASL_COND_ACCOUNT_DISABLED;
  if (h->authorize_mode == 1 || !authzid) return XMPPIM_SASL_COND_NONE;
  /* Its own bare JID only (C4.3.6-a). */
  char own[300];
  snprintf(own, sizeof(own), "%s@example.com", authcid);
  return strcmp(own, authzid) == 0 ? XMPPIM_SASL_COND_NONE : XMPPIM_SASL_COND_INVALID_AUTHZID;
}

static xmppim_sasl_server_callbacks host_callbacks(int with_authorize) {
  xmppim_sasl_server_callbacks cb = {host_verify, host_lookup,
                                     with_authorize ? host_authorize : NULL, &H};
  return cb;
}

/* ---------------------------------------------------------------- pairing */

/* How an in-memory exchange went. */
typedef struct outcome {
  int client_rc; /* last client result */
  int server_rc; /* last server result */
  xmppim_sasl_condition client_cond, server_cond;
  char authcid[256], authzid[256];
  int server_messages; /* challenges + the success data */
} outcome;

typedef struct pair_opts {
  const char *user, *password, *authzid;
  const xmppim_sasl_channel_binding *client_cb;
  const xmppim_sasl_channel_binding *server_cbs;
  size_t nserver_cbs;
  int with_authorize;
  int long_form;         /* no initial response: the server invites it */
  int final_in_challenge; /* server-final sent as a challenge, <success/> empty */
  const xmppim_mem *mem;
} pair_opts;

/*
 * Runs one attempt between a client and a server object, as the session
 * will: <auth/> with the initial response (or without, then an empty
 * challenge), challenges and responses, then <success/> or <failure/>.
 * Returns 0 when it ran to an end, or the negative code (NOMEM, INTERNAL)
 * that stopped it.
 */
static int run_pair(xmppim_sasl_mechanism mech, const pair_opts *o, outcome *res) {
  memset(res, 0, sizeof(*res));
  xmppim_sasl_client *c = NULL;
  xmppim_sasl_server *s = NULL;
  xmppim_sasl_server_callbacks cbs = host_callbacks(o->with_authorize);
  int rc = xmppim_sasl_client_new(&c, mech, o->user, o->password, o->authzid, o->client_cb,
                                  o->mem);
  if (rc) return rc;
  rc = xmppim_sasl_server_new(&s, mech, o->server_cbs, o->nserver_cbs, &cbs, o->mem);
  if (rc) {
    xmppim_sasl_client_free(c);
    return rc;
  }
  const unsigned char *cout = NULL, *sout = NULL;
  size_t clen = 0, slen = 0;
  int stop = 0;

  if (o->long_form) {
    rc = xmppim_sasl_server_step(s, NULL, 0, &sout, &slen);
    if (rc != XMPPIM_SASL_CONTINUE) {
      stop = rc;
      goto done;
    }
    assert_non_null(sout);
    assert_int_equal(slen, 0);
    res->client_rc = xmppim_sasl_client_step(c, sout, slen, &cout, &clen);
  } else {
    res->client_rc = xmppim_sasl_client_step(c, NULL, 0, &cout, &clen);
  }
  for (int round = 0; round < 10; round++) {
    if (res->client_rc != XMPPIM_SASL_CONTINUE) {
      if (res->client_rc != XMPPIM_SASL_FAILED) stop = res->client_rc;
      break; /* the session would send <abort/> */
    }
    /* The session copies the payload out (base64) before the next call. */
    unsigned char buf[XMPPIM_SASL_MESSAGE_MAX];
    assert_true(clen <= sizeof(buf));
    memcpy(buf, cout, clen);
    res->server_rc = xmppim_sasl_server_step(s, buf, clen, &sout, &slen);
    if (res->server_rc == XMPPIM_SASL_CONTINUE) {
      res->server_messages++;
      memcpy(buf, sout, slen);
      res->client_rc = xmppim_sasl_client_step(c, buf, slen, &cout, &clen);
      continue;
    }
    if (res->server_rc == XMPPIM_SASL_DONE) {
      if (sout) res->server_messages++;
      if (o->final_in_challenge && sout) {
        memcpy(buf, sout, slen);
        res->client_rc = xmppim_sasl_client_step(c, buf, slen, &cout, &clen);
        if (res->client_rc != XMPPIM_SASL_CONTINUE) break;
        assert_int_equal(clen, 0);
        res->client_rc = xmppim_sasl_client_success(c, NULL, 0);
      } else {
        if (sout) memcpy(buf, sout, slen);
        res->client_rc = xmppim_sasl_client_success(c, sout ? buf : NULL, sout ? slen : 0);
      }
      snprintf(res->authcid, sizeof(res->authcid), "%s", xmppim_sasl_server_authcid(s));
      const char *z = xmppim_sasl_server_authzid(s);
      snprintf(res->authzid, sizeof(res->authzid), "%s", z ? z : "(none)");
    } else if (res->server_rc != XMPPIM_SASL_FAILED) {
      stop = res->server_rc;
    }
    break;
  }
  if (res->client_rc != XMPPIM_SASL_FAILED && res->client_rc < 0 && !stop) stop = res->client_rc;
done:
  res->client_cond = xmppim_sasl_client_condition(c);
  res->server_cond = xmppim_sasl_server_condition(s);
  xmppim_sasl_client_free(c);
  xmppim_sasl_server_free(s);
  return stop;
}

static void expect_success(xmppim_sasl_mechanism mech, const pair_opts *o, const char *user) {
  outcome r;
  assert_int_equal(run_pair(mech, o, &r), 0);
  if (r.server_rc != XMPPIM_SASL_DONE || r.client_rc != XMPPIM_SASL_DONE)
    fail_msg("%s: server %d (%s), client %d (%s)", xmppim_sasl_mechanism_name(mech), r.server_rc,
             xmppim_sasl_condition_name(r.server_cond), r.client_rc,
             xmppim_sasl_condition_name(r.client_cond));
  assert_string_equal(r.authcid, user);
  assert_int_equal(r.server_cond, XMPPIM_SASL_COND_NONE);
  assert_int_equal(r.client_cond, XMPPIM_SASL_COND_NONE);
}

static void expect_server_failure(xmppim_sasl_mechanism mech, const pair_opts *o,
                                  xmppim_sasl_condition cond) {
  outcome r;
  assert_int_equal(run_pair(mech, o, &r), 0);
  if (r.server_rc != XMPPIM_SASL_FAILED || r.server_cond != cond)
    fail_msg("%s: server %d (%s), want failure %s", xmppim_sasl_mechanism_name(mech), r.server_rc,
             xmppim_sasl_condition_name(r.server_cond), xmppim_sasl_condition_name(cond));
}

static const xmppim_sasl_mechanism all_mechs[] = {
  XMPPIM_SASL_MECH_PLAIN,         XMPPIM_SASL_MECH_SCRAM_SHA_1,
  XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS, XMPPIM_SASL_MECH_SCRAM_SHA_256,
  XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS};

/* ------------------------------------------------------------------ names */

/* C6.5-a: the eleven defined conditions, by name and back. */
static void test_c6_5_a_condition_names(void **state) {
  (void)state;
  static const char *const names[] = {
    "aborted",          "account-disabled",  "credentials-expired", "encryption-required",
    "incorrect-encoding", "invalid-authzid", "invalid-mechanism",   "malformed-request",
    "mechanism-too-weak", "not-authorized",  "temporary-auth-failure"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    xmppim_sasl_condition c = xmppim_sasl_condition_from_name(names[i]);
    assert_int_equal(c, (xmppim_sasl_condition)(i + 1));
    assert_string_equal(xmppim_sasl_condition_name(c), names[i]);
  }
  assert_null(xmppim_sasl_condition_name(XMPPIM_SASL_COND_NONE));
  assert_null(xmppim_sasl_condition_name((xmppim_sasl_condition)12));
  assert_null(xmppim_sasl_condition_name((xmppim_sasl_condition)-1));
}

/* C6.5-b: an unknown condition is not-authorized, for the client. */
static void test_c6_5_b_unknown_condition_is_not_authorized(void **state) {
  (void)state;
  assert_int_equal(xmppim_sasl_condition_from_name("bad-protocol"),
                   XMPPIM_SASL_COND_NOT_AUTHORIZED);
  assert_int_equal(xmppim_sasl_condition_from_name("Not-Authorized"),
                   XMPPIM_SASL_COND_NOT_AUTHORIZED);
  assert_int_equal(xmppim_sasl_condition_from_name(""), XMPPIM_SASL_COND_NOT_AUTHORIZED);
  assert_int_equal(xmppim_sasl_condition_from_name(NULL), XMPPIM_SASL_COND_NOT_AUTHORIZED);
}

/* C13.8-a: SCRAM-SHA-1 and -PLUS are there; C6.3.3-a: unknown names are skipped. */
static void test_c13_8_a_mechanism_names(void **state) {
  (void)state;
  static const char *const names[] = {"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS",
                                      "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"};
  for (size_t i = 0; i < 5; i++) {
    xmppim_sasl_mechanism m = xmppim_sasl_mechanism_from_name(names[i]);
    assert_int_equal(m, all_mechs[i]);
    assert_string_equal(xmppim_sasl_mechanism_name(m), names[i]);
    assert_int_equal(xmppim_sasl_mechanism_is_plus(m), strstr(names[i], "-PLUS") != NULL);
  }
  assert_int_equal(xmppim_sasl_mechanism_from_name("EXTERNAL"), XMPPIM_SASL_MECH_UNKNOWN);
  assert_int_equal(xmppim_sasl_mechanism_from_name("DIGEST-MD5"), XMPPIM_SASL_MECH_UNKNOWN);
  assert_int_equal(xmppim_sasl_mechanism_from_name("scram-sha-1"), XMPPIM_SASL_MECH_UNKNOWN);
  assert_int_equal(xmppim_sasl_mechanism_from_name("SCRAM-SHA-1-PLUS "), XMPPIM_SASL_MECH_UNKNOWN);
  assert_int_equal(xmppim_sasl_mechanism_from_name(NULL), XMPPIM_SASL_MECH_UNKNOWN);
  assert_null(xmppim_sasl_mechanism_name(XMPPIM_SASL_MECH_UNKNOWN));
  assert_null(xmppim_sasl_mechanism_name((xmppim_sasl_mechanism)6));
  assert_int_equal(xmppim_sasl_mechanism_scram_hash(XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS),
                   XMPPIM_SCRAM_SHA_1);
  assert_int_equal(xmppim_sasl_mechanism_scram_hash(XMPPIM_SASL_MECH_SCRAM_SHA_256),
                   XMPPIM_SCRAM_SHA_256);
  assert_int_equal(xmppim_sasl_mechanism_scram_hash(XMPPIM_SASL_MECH_PLAIN), 0);
  assert_int_equal(xmppim_scram_key_len(XMPPIM_SCRAM_SHA_1), 20);
  assert_int_equal(xmppim_scram_key_len(XMPPIM_SCRAM_SHA_256), 32);
  assert_int_equal(xmppim_scram_key_len((xmppim_scram_hash)0), 0);
}

/* ----------------------------------------------------- published vectors */

typedef struct vector {
  xmppim_sasl_mechanism mech;
  const char *client_nonce, *server_nonce, *salt_b64;
  const char *client_first, *server_first, *client_final, *server_final;
  const char *stored_key_hex, *server_key_hex; /* computed independently (Python hashlib) */
} vector;

/* RFC 5802 section 5. */
static const vector rfc5802 = {
  XMPPIM_SASL_MECH_SCRAM_SHA_1,
  "fyko+d2lbbFgONRv9qkxdawL",
  "3rfcNHYJY1ZVvWVs7j",
  "QSXCR+Q6sek8bf92",
  "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
  "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
  "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
  "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
  "e9d94660c39d65c38fbad91c358f14da0eef2bd6",
  "0fe09258b3ac852ba502cc62ba903eaacdbf7d31",
};

/* RFC 7677 section 3. */
static const vector rfc7677 = {
  XMPPIM_SASL_MECH_SCRAM_SHA_256,
  "rOprNGfwEbeRWgbNEkqO",
  "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
  "W22ZaJ0SNY7soEsUEjb6gQ==",
  "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
  "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
  "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
  "586e5df283e6dceb5c3e791d8b8528ec191e664045ce971792e2e6b5bb13e2a6",
  "c1f3cbc1c13a9d35a14c0990eed97629ea225863e566a4314ab99f3f00e5d9d5",
};

static xmppim_sasl_client *vector_client(const vector *v) {
  xmppim_sasl_client *c;
  assert_int_equal(xmppim_sasl_client_new(&c, v->mech, "user", "pencil", NULL, NULL, NULL), 0);
  assert_int_equal(xmppim_sasl_client_set_nonce(c, v->client_nonce), 0);
  return c;
}

/* The client side reproduces the published exchange byte for byte. */
static void vector_client_side(const vector *v) {
  xmppim_sasl_client *c = vector_client(v);
  const unsigned char *out;
  size_t len;
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_SASL_CONTINUE);
  assert_out(out, len, v->client_first);
  assert_int_equal(xmppim_sasl_client_step(c, (const unsigned char *)v->server_first,
                                           strlen(v->server_first), &out, &len),
                   XMPPIM_SASL_CONTINUE);
  assert_out(out, len, v->client_final);
  /* The server's signature MUST be verified (RFC 5802 section 5.1). */
  assert_int_equal(xmppim_sasl_client_success(c, (const unsigned char *)v->server_final,
                                              strlen(v->server_final)),
                   XMPPIM_SASL_DONE);
  assert_int_equal(xmppim_sasl_client_condition(c), XMPPIM_SASL_COND_NONE);
  assert_string_equal(xmppim_sasl_client_error(c), "");
  /* Over: nothing more is accepted. */
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_ERR_INVALID_STATE);
  assert_int_equal(xmppim_sasl_client_success(c, NULL, 0), XMPPIM_ERR_INVALID_STATE);
  xmppim_sasl_client_free(c);
}

/* Credentials as a host that stored them would hand them over. */
static void vector_credentials(const vector *v) {
  unsigned char salt[64];
  size_t salt_len = unb64(v->salt_b64, salt, sizeof(salt));
  host_reset("user", NULL);
  H.have_creds = 1;
  xmppim_scram_credentials *cr =
      v->mech == XMPPIM_SASL_MECH_SCRAM_SHA_1 ? &H.sha1 : &H.sha256;
  cr->hash = xmppim_sasl_mechanism_scram_hash(v->mech);
  cr->iterations = 4096;
  memcpy(cr->salt, salt, salt_len);
  cr->salt_len = salt_len;
  unhex(v->stored_key_hex, cr->stored_key);
  unhex(v->server_key_hex, cr->server_key);
}

/* The server side, with its nonce injected, produces the published messages. */
static void vector_server_side(const vector *v) {
  vector_credentials(v);
  xmppim_sasl_server_callbacks cbs = host_callbacks(0);
  xmppim_sasl_server *s;
  assert_int_equal(xmppim_sasl_server_new(&s, v->mech, NULL, 0, &cbs, NULL), 0);
  assert_int_equal(xmppim_sasl_server_set_nonce(s, v->server_nonce), 0);
  const unsigned char *out;
  size_t len;
  assert_int_equal(xmppim_sasl_server_step(s, (const unsigned char *)v->client_first,
                                           strlen(v->client_first), &out, &len),
                   XMPPIM_SASL_CONTINUE);
  assert_out(out, len, v->server_first);
  assert_null(xmppim_sasl_server_authcid(s)); /* not before success */
  assert_int_equal(xmppim_sasl_server_step(s, (const unsigned char *)v->client_final,
                                           strlen(v->client_final), &out, &len),
                   XMPPIM_SASL_DONE);
  assert_out(out, len, v->server_final);
  assert_string_equal(xmppim_sasl_server_authcid(s), "user");
  assert_null(xmppim_sasl_server_authzid(s));
  assert_int_equal(xmppim_sasl_server_condition(s), XMPPIM_SASL_COND_NONE);
  assert_int_equal(H.lookup_calls, 1);
  assert_int_equal(xmppim_sasl_server_step(s, NULL, 0, &out, &len), XMPPIM_ERR_INVALID_STATE);
  xmppim_sasl_server_free(s);
}

/* C13.8-a: SCRAM-SHA-1, RFC 5802 section 5, client side. */
static void test_c13_8_a_rfc5802_vector_client(void **state) {
  (void)state;
  vector_client_side(&rfc5802);
}

/* C13.8-a: SCRAM-SHA-1, RFC 5802 section 5, server side. */
static void test_c13_8_a_rfc5802_vector_server(void **state) {
  (void)state;
  vector_server_side(&rfc5802);
}

static void test_rfc7677_vector_client(void **state) {
  (void)state;
  vector_client_side(&rfc7677);
}

static void test_rfc7677_vector_server(void **state) {
  (void)state;
  vector_server_side(&rfc7677);
}

/* xmppim_scram_derive() gives the keys behind both vectors. */
static void test_scram_derive_vectors(void **state) {
  (void)state;
  const vector *vs[] = {&rfc5802, &rfc7677};
  for (int i = 0; i < 2; i++) {
    const vector *v = vs[i];
    unsigned char salt[64], stored[64], server[64];
    size_t salt_len = unb64(v->salt_b64, salt, sizeof(salt));
    size_t klen = unhex(v->stored_key_hex, stored);
    unhex(v->server_key_hex, server);
    xmppim_scram_credentials cr;
    xmppim_scram_hash h = xmppim_sasl_mechanism_scram_hash(v->mech);
    assert_int_equal(xmppim_scram_derive(&cr, h, "pencil", salt, salt_len, 4096, NULL), 0);
    assert_int_equal(cr.hash, h);
    assert_int_equal(cr.iterations, 4096);
    assert_int_equal(cr.salt_len, salt_len);
    assert_memory_equal(cr.salt, salt, salt_len);
    assert_int_equal(xmppim_scram_key_len(h), klen);
    assert_memory_equal(cr.stored_key, stored, klen);
    assert_memory_equal(cr.server_key, server, klen);
  }
}

static void test_scram_derive_arguments(void **state) {
  (void)state;
  xmppim_scram_credentials cr, cr2;
  const unsigned char salt[4] = {1, 2, 3, 4};
  /* A random salt when none is given: different each time. */
  assert_int_equal(xmppim_scram_derive(&cr, XMPPIM_SCRAM_SHA_256, "pencil", NULL, 0, 4096, NULL),
                   0);
  assert_int_equal(xmppim_scram_derive(&cr2, XMPPIM_SCRAM_SHA_256, "pencil", NULL, 0, 4096, NULL),
                   0);
  assert_int_equal(cr.salt_len, XMPPIM_SCRAM_SALT_DEFAULT);
  assert_memory_not_equal(cr.salt, cr2.salt, XMPPIM_SCRAM_SALT_DEFAULT);
  /* SASLprep: a soft hyphen maps to nothing, so both are one password. */
  assert_int_equal(xmppim_scram_derive(&cr, XMPPIM_SCRAM_SHA_1, "pen\xc2\xad" "cil", salt, 4, 1,
                                       NULL),
                   0);
  assert_int_equal(xmppim_scram_derive(&cr2, XMPPIM_SCRAM_SHA_1, "pencil", salt, 4, 1, NULL), 0);
  assert_memory_equal(cr.stored_key, cr2.stored_key, 20);
  /* Refusals leave the output zeroed. */
  memset(&cr, 0x55, sizeof(cr));
  assert_int_equal(xmppim_scram_derive(&cr, XMPPIM_SCRAM_SHA_1, "", salt, 4, 4096, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(cr.iterations, 0);
  assert_int_equal(cr.stored_key[0], 0);
  assert_int_equal(xmppim_scram_derive(&cr, XMPPIM_SCRAM_SHA_1, "\xc2\xad", salt, 4, 4096, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT); /* maps to nothing */
  assert_int_equal(xmppim_scram_derive(&cr, XMPPIM_SCRAM_SHA_1, "a\x07", salt, 4, 4096, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_scram_derive(&cr, XMPPIM_SCRAM_SHA_1, "a\xff", salt, 4, 4096, NULL),
                   XMPPIM_ERR_BAD_UTF8);
  assert_int_equal(xmppim_scram_derive(&cr, (xmppim_scram_hash)3, "a", salt, 4, 4096, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_scram_derive(&cr, XMPPIM_SCRAM_SHA_1, "a", salt, 4, 0, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_scram_derive(&cr, XMPPIM_SCRAM_SHA_1, "a", salt, 0, 1, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_scram_derive(&cr, XMPPIM_SCRAM_SHA_1, "a", NULL, 4, 1, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(
      xmppim_scram_derive(&cr, XMPPIM_SCRAM_SHA_1, "a", salt, XMPPIM_SCRAM_SALT_MAX + 1, 1, NULL),
      XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_scram_derive(&cr, XMPPIM_SCRAM_SHA_1, NULL, salt, 4, 1, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_scram_derive(NULL, XMPPIM_SCRAM_SHA_1, "a", salt, 4, 1, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
}

/* ------------------------------------------------- client and server pair */

/* C6.2-a, C13.8-a: every mechanism, client and server in memory. */
static void test_c6_2_a_every_mechanism_in_memory(void **state) {
  (void)state;
  host_reset("juliet", "r0m30myr0m30");
  pair_opts o = {.user = "juliet", .password = "r0m30myr0m30"};
  expect_success(XMPPIM_SASL_MECH_PLAIN, &o, "juliet");
  expect_success(XMPPIM_SASL_MECH_SCRAM_SHA_1, &o, "juliet");
  expect_success(XMPPIM_SASL_MECH_SCRAM_SHA_256, &o, "juliet");
  /* -PLUS with each binding type, the server offering one or both. */
  const xmppim_sasl_channel_binding both[] = {cb_unique, cb_exporter};
  const xmppim_sasl_channel_binding *types[] = {&cb_exporter, &cb_unique};
  xmppim_sasl_mechanism plus[] = {XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS,
                                  XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS};
  for (int m = 0; m < 2; m++)
    for (int t = 0; t < 2; t++) {
      o.client_cb = types[t];
      o.server_cbs = types[t];
      o.nserver_cbs = 1;
      expect_success(plus[m], &o, "juliet");
      o.server_cbs = both;
      o.nserver_cbs = 2;
      expect_success(plus[m], &o, "juliet");
    }
}

/* C6.3.10-a: with and without initial response, with and without data in <success/>. */
static void test_c6_3_10_a_long_and_short_forms(void **state) {
  (void)state;
  host_reset("juliet", "secret");
  for (size_t i = 0; i < 5; i++) {
    pair_opts o = {.user = "juliet", .password = "secret", .client_cb = &cb_exporter,
                   .server_cbs = &cb_exporter, .nserver_cbs = 1};
    if (!xmppim_sasl_mechanism_is_plus(all_mechs[i])) o.client_cb = NULL, o.nserver_cbs = 0;
    o.long_form = 1;
    expect_success(all_mechs[i], &o, "juliet");
    o.final_in_challenge = 1;
    expect_success(all_mechs[i], &o, "juliet");
    o.long_form = 0;
    expect_success(all_mechs[i], &o, "juliet");
  }
}

/* C6.5-c: a wrong password and an unknown user look the same: not-authorized. */
static void test_c6_5_c_wrong_password_and_unknown_user(void **state) {
  (void)state;
  for (size_t i = 0; i < 5; i++) {
    host_reset("juliet", "secret");
    pair_opts o = {.user = "juliet", .password = "Secret", .client_cb = &cb_exporter,
                   .server_cbs = &cb_exporter, .nserver_cbs = 1};
    if (!xmppim_sasl_mechanism_is_plus(all_mechs[i])) o.client_cb = NULL, o.nserver_cbs = 0;
    outcome wrong, unknown;
    assert_int_equal(run_pair(all_mechs[i], &o, &wrong), 0);
    o.user = "romeo";
    o.password = "secret";
    assert_int_equal(run_pair(all_mechs[i], &o, &unknown), 0);
    assert_int_equal(wrong.server_rc, XMPPIM_SASL_FAILED);
    assert_int_equal(wrong.server_cond, XMPPIM_SASL_COND_NOT_AUTHORIZED);
    assert_int_equal(unknown.server_rc, XMPPIM_SASL_FAILED);
    assert_int_equal(unknown.server_cond, XMPPIM_SASL_COND_NOT_AUTHORIZED);
    /* Same step: SCRAM answers an unknown user with a server-first too. */
    assert_int_equal(wrong.server_messages, unknown.server_messages);
    assert_int_equal(wrong.client_cond, XMPPIM_SASL_COND_NONE);
  }
}

/* The server-first an unknown user gets: stable salt, host's iteration count (C6.5-c). */
static void test_c6_5_c_unknown_user_server_first(void **state) {
  (void)state;
  host_reset("juliet", "secret");
  H.fake_iterations = 10000;
  xmppim_sasl_server_callbacks cbs = host_callbacks(0);
  char first[3][200];
  const char *users[3] = {"romeo", "romeo", "tybalt"};
  for (int i = 0; i < 3; i++) {
    xmppim_sasl_server *s;
    const unsigned char *out;
    size_t len;
    char msg[64];
    snprintf(msg, sizeof(msg), "n,,n=%s,r=abcdef", users[i]);
    assert_int_equal(xmppim_sasl_server_new(&s, XMPPIM_SASL_MECH_SCRAM_SHA_256, NULL, 0, &cbs,
                                            NULL),
                     0);
    assert_int_equal(xmppim_sasl_server_set_nonce(s, "SERVERNONCE"), 0);
    assert_int_equal(
        xmppim_sasl_server_step(s, (const unsigned char *)msg, strlen(msg), &out, &len),
        XMPPIM_SASL_CONTINUE);
    snprintf(first[i], sizeof(first[i]), "%.*s", (int)len, (const char *)out);
    assert_non_null(strstr(first[i], ",i=10000"));
    /* A proof, any proof, fails like a wrong password. */
    const char *fin = "c=biws,r=abcdefSERVERNONCE,p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    assert_int_equal(
        xmppim_sasl_server_step(s, (const unsigned char *)fin, strlen(fin), &out, &len),
        XMPPIM_SASL_FAILED);
    assert_int_equal(xmppim_sasl_server_condition(s), XMPPIM_SASL_COND_NOT_AUTHORIZED);
    assert_string_equal(xmppim_sasl_server_error(s), "unknown user");
    xmppim_sasl_server_free(s);
  }
  assert_string_equal(first[0], first[1]);    /* asking twice tells nothing */
  assert_string_not_equal(first[0], first[2]); /* and users differ, as real ones do */
}

/* Channel binding data that differs between the ends: not-authorized. */
static void test_plus_channel_binding_mismatch(void **state) {
  (void)state;
  host_reset("juliet", "secret");
  unsigned char other[32];
  memcpy(other, exporter_bytes, 32);
  other[31] ^= 1;
  xmppim_sasl_channel_binding mitm = {"tls-exporter", other, 32};
  pair_opts o = {.user = "juliet", .password = "secret", .client_cb = &mitm,
                 .server_cbs = &cb_exporter, .nserver_cbs = 1};
  expect_server_failure(XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS, &o, XMPPIM_SASL_COND_NOT_AUTHORIZED);
  expect_server_failure(XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS, &o, XMPPIM_SASL_COND_NOT_AUTHORIZED);
  /* A binding type the server cannot provide. */
  o.client_cb = &cb_unique;
  expect_server_failure(XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS, &o, XMPPIM_SASL_COND_NOT_AUTHORIZED);
  /* Same bytes, other type name: still refused. */
  xmppim_sasl_channel_binding renamed = {"tls-unique", exporter_bytes, 32};
  const xmppim_sasl_channel_binding both[] = {cb_exporter, cb_unique};
  o.client_cb = &renamed;
  o.server_cbs = both;
  o.nserver_cbs = 2;
  expect_server_failure(XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS, &o, XMPPIM_SASL_COND_NOT_AUTHORIZED);
}

/*
 * Downgrade protection (RFC 5802 section 6): a client that could bind but
 * saw no -PLUS offer says 'y'; a server that did offer -PLUS refuses.
 */
static void test_plus_downgrade_detected(void **state) {
  (void)state;
  host_reset("juliet", "secret");
  pair_opts o = {.user = "juliet", .password = "secret", .client_cb = &cb_exporter,
                 .server_cbs = &cb_exporter, .nserver_cbs = 1};
  expect_server_failure(XMPPIM_SASL_MECH_SCRAM_SHA_1, &o, XMPPIM_SASL_COND_NOT_AUTHORIZED);
  expect_server_failure(XMPPIM_SASL_MECH_SCRAM_SHA_256, &o, XMPPIM_SASL_COND_NOT_AUTHORIZED);
  /* 'y' to a server that offers no -PLUS: fine. */
  o.nserver_cbs = 0;
  expect_success(XMPPIM_SASL_MECH_SCRAM_SHA_256, &o, "juliet");
  /* 'n' (the client cannot bind) to a server that offers -PLUS: fine. */
  o.client_cb = NULL;
  o.nserver_cbs = 1;
  expect_success(XMPPIM_SASL_MECH_SCRAM_SHA_256, &o, "juliet");

  /* The flag the client sends, byte for byte. */
  xmppim_sasl_client *c;
  const unsigned char *out;
  size_t len;
  assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_SCRAM_SHA_1, "u", "p", NULL,
                                          &cb_unique, NULL),
                   0);
  assert_int_equal(xmppim_sasl_client_set_nonce(c, "N"), 0);
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_SASL_CONTINUE);
  assert_out(out, len, "y,,n=u,r=N");
  xmppim_sasl_client_free(c);
  assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS, "u", "p", NULL,
                                          &cb_unique, NULL),
                   0);
  assert_int_equal(xmppim_sasl_client_set_nonce(c, "N"), 0);
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_SASL_CONTINUE);
  assert_out(out, len, "p=tls-unique,,n=u,r=N");
  xmppim_sasl_client_free(c);
}

/* The GS2 flag must match the mechanism. */
static void test_plus_flag_must_match_mechanism(void **state) {
  (void)state;
  host_reset("user", "pencil");
  xmppim_sasl_server_callbacks cbs = host_callbacks(0);
  struct {
    xmppim_sasl_mechanism mech;
    const char *msg;
    xmppim_sasl_condition cond;
  } cases[] = {
    {XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS, "n,,n=user,r=abc", XMPPIM_SASL_COND_MALFORMED_REQUEST},
    {XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS, "y,,n=user,r=abc", XMPPIM_SASL_COND_MALFORMED_REQUEST},
    {XMPPIM_SASL_MECH_SCRAM_SHA_1, "p=tls-exporter,,n=user,r=abc",
     XMPPIM_SASL_COND_MALFORMED_REQUEST},
    {XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS, "p=tls-server-end-point,,n=user,r=abc",
     XMPPIM_SASL_COND_NOT_AUTHORIZED},
    {XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS, "p=tls_exporter,,n=user,r=abc",
     XMPPIM_SASL_COND_MALFORMED_REQUEST},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    xmppim_sasl_server *s;
    const unsigned char *out;
    size_t len;
    assert_int_equal(xmppim_sasl_server_new(&s, cases[i].mech, &cb_exporter, 1, &cbs, NULL), 0);
    assert_int_equal(xmppim_sasl_server_step(s, (const unsigned char *)cases[i].msg,
                                             strlen(cases[i].msg), &out, &len),
                     XMPPIM_SASL_FAILED);
    assert_int_equal(xmppim_sasl_server_condition(s), cases[i].cond);
    assert_string_not_equal(xmppim_sasl_server_error(s), "");
    xmppim_sasl_server_free(s);
  }
}

/* ------------------------------------------------ the client checks the server */

/* Runs the RFC 5802 client up to the point where server-final is due. */
static xmppim_sasl_client *client_awaiting_final(void) {
  xmppim_sasl_client *c = vector_client(&rfc5802);
  const unsigned char *out;
  size_t len;
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_SASL_CONTINUE);
  assert_int_equal(xmppim_sasl_client_step(c, (const unsigned char *)rfc5802.server_first,
                                           strlen(rfc5802.server_first), &out, &len),
                   XMPPIM_SASL_CONTINUE);
  return c;
}

static void expect_final_refused(const char *final, xmppim_sasl_condition cond, int as_challenge) {
  xmppim_sasl_client *c = client_awaiting_final();
  int rc;
  if (as_challenge) {
    const unsigned char *out;
    size_t len;
    rc = xmppim_sasl_client_step(c, (const unsigned char *)final, strlen(final), &out, &len);
  } else {
    rc = xmppim_sasl_client_success(c, (const unsigned char *)final, strlen(final));
  }
  if (rc != XMPPIM_SASL_FAILED || xmppim_sasl_client_condition(c) != cond)
    fail_msg("server-final \"%s\": rc %d, condition %s, want %s", final, rc,
             xmppim_sasl_condition_name(xmppim_sasl_client_condition(c)),
             xmppim_sasl_condition_name(cond));
  assert_string_not_equal(xmppim_sasl_client_error(c), "");
  assert_int_equal(xmppim_sasl_client_success(c, NULL, 0), XMPPIM_ERR_INVALID_STATE);
  xmppim_sasl_client_free(c);
}

/* A server that does not know the password is caught by its signature. */
static void test_tampered_server_signature_rejected(void **state) {
  (void)state;
  for (int ch = 0; ch < 2; ch++) {
    expect_final_refused("v=rmF9pqV8S7suAoZWja4dJRkFsKA=", XMPPIM_SASL_COND_NOT_AUTHORIZED, ch);
    expect_final_refused("v=smF9pqV8S7suAoZWja4dJRkFsKQ=", XMPPIM_SASL_COND_NOT_AUTHORIZED, ch);
    expect_final_refused("v=rmF9pqV8S7suAoZWja4dJRkF", XMPPIM_SASL_COND_NOT_AUTHORIZED, ch); /* 18 bytes */
    expect_final_refused("v=", XMPPIM_SASL_COND_NOT_AUTHORIZED, ch);
    expect_final_refused("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
                         XMPPIM_SASL_COND_INCORRECT_ENCODING, ch);
    expect_final_refused("v=rmF9pqV8S7suAoZWja4dJRkFsKR=", XMPPIM_SASL_COND_INCORRECT_ENCODING, ch);
    expect_final_refused("v=rmF9pqV8S7suAoZWja4dJRkFsKQ", XMPPIM_SASL_COND_INCORRECT_ENCODING, ch);
    expect_final_refused("x=rmF9pqV8S7suAoZWja4dJRkFsKQ=", XMPPIM_SASL_COND_MALFORMED_REQUEST, ch);
    expect_final_refused("rmF9pqV8S7suAoZWja4dJRkFsKQ=", XMPPIM_SASL_COND_MALFORMED_REQUEST, ch);
    /* e= server errors (RFC 5802 section 7). */
    expect_final_refused("e=invalid-proof", XMPPIM_SASL_COND_NOT_AUTHORIZED, ch);
    expect_final_refused("e=unknown-user", XMPPIM_SASL_COND_NOT_AUTHORIZED, ch);
    expect_final_refused("e=no-resources", XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE, ch);
    expect_final_refused("e=invalid-encoding", XMPPIM_SASL_COND_INCORRECT_ENCODING, ch);
    expect_final_refused("e=some-future-error", XMPPIM_SASL_COND_NOT_AUTHORIZED, ch);
  }
  /* No server-final at all, in an otherwise plausible <success/>. */
  expect_final_refused("", XMPPIM_SASL_COND_NOT_AUTHORIZED, 0);

  /* The text says what the server said. */
  xmppim_sasl_client *c = client_awaiting_final();
  assert_int_equal(xmppim_sasl_client_success(c, BYTES("e=channel-bindings-dont-match")),
                   XMPPIM_SASL_FAILED);
  assert_string_equal(xmppim_sasl_client_error(c), "server error: channel-bindings-dont-match");
  xmppim_sasl_client_free(c);

  /* Extensions after v= are allowed; the right signature then passes. */
  c = client_awaiting_final();
  assert_int_equal(xmppim_sasl_client_success(c, BYTES("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=,x=y")),
                   XMPPIM_SASL_DONE);
  xmppim_sasl_client_free(c);

  /* After a verified server-final in a challenge, <success/> must be empty. */
  c = client_awaiting_final();
  const unsigned char *out;
  size_t len;
  assert_int_equal(xmppim_sasl_client_step(c, BYTES("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="), &out, &len),
                   XMPPIM_SASL_CONTINUE);
  assert_non_null(out);
  assert_int_equal(len, 0);
  assert_int_equal(xmppim_sasl_client_success(c, BYTES("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")),
                   XMPPIM_SASL_FAILED);
  xmppim_sasl_client_free(c);

  /* Success before the exchange completed: the server proved nothing. */
  c = vector_client(&rfc5802);
  assert_int_equal(xmppim_sasl_client_success(c, NULL, 0), XMPPIM_ERR_INVALID_STATE);
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_SASL_CONTINUE);
  assert_int_equal(xmppim_sasl_client_success(c, NULL, 0), XMPPIM_SASL_FAILED);
  assert_int_equal(xmppim_sasl_client_condition(c), XMPPIM_SASL_COND_NOT_AUTHORIZED);
  xmppim_sasl_client_free(c);
}

static void expect_server_first_refused(const char *first, xmppim_sasl_condition cond,
                                        const char *error) {
  xmppim_sasl_client *c = vector_client(&rfc5802);
  const unsigned char *out;
  size_t len;
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_SASL_CONTINUE);
  int rc = xmppim_sasl_client_step(c, (const unsigned char *)first, strlen(first), &out, &len);
  if (rc != XMPPIM_SASL_FAILED || xmppim_sasl_client_condition(c) != cond)
    fail_msg("server-first \"%s\": rc %d, condition %s, want %s", first, rc,
             xmppim_sasl_condition_name(xmppim_sasl_client_condition(c)),
             xmppim_sasl_condition_name(cond));
  assert_null(out);
  if (error) assert_string_equal(xmppim_sasl_client_error(c), error);
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_ERR_INVALID_STATE);
  xmppim_sasl_client_free(c);
}

#define NONCE "fyko+d2lbbFgONRv9qkxdawL"

/* The client refuses a server-first it cannot trust or parse. */
static void test_client_refuses_bad_server_first(void **state) {
  (void)state;
  const xmppim_sasl_condition MAL = XMPPIM_SASL_COND_MALFORMED_REQUEST;
  expect_server_first_refused("", MAL, NULL);
  expect_server_first_refused("r=" NONCE "3rfc,s=QSXCR+Q6sek8bf92", MAL, NULL);
  expect_server_first_refused("s=QSXCR+Q6sek8bf92,r=" NONCE "3rfc,i=4096", MAL, NULL);
  expect_server_first_refused("r=" NONCE ",s=QSXCR+Q6sek8bf92,i=4096", MAL, NULL); /* no s-nonce */
  expect_server_first_refused("r=Xyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096", MAL,
                              "server nonce does not extend the client nonce");
  expect_server_first_refused("r=fyko,s=QSXCR+Q6sek8bf92,i=4096", MAL, NULL);
  expect_server_first_refused("r=" NONCE "3r c,s=QSXCR+Q6sek8bf92,i=4096", MAL, NULL);
  expect_server_first_refused("r=" NONCE "3rfc,s=QSXCR+Q6sek8bf9,i=4096",
                              XMPPIM_SASL_COND_INCORRECT_ENCODING, NULL);
  expect_server_first_refused("r=" NONCE "3rfc,s=,i=4096", MAL, NULL);
  expect_server_first_refused("r=" NONCE "3rfc,s=QSXCR+Q6sek8bf92,i=", MAL, NULL);
  expect_server_first_refused("r=" NONCE "3rfc,s=QSXCR+Q6sek8bf92,i=0", MAL, NULL);
  expect_server_first_refused("r=" NONCE "3rfc,s=QSXCR+Q6sek8bf92,i=04096", MAL, NULL);
  expect_server_first_refused("r=" NONCE "3rfc,s=QSXCR+Q6sek8bf92,i=-4096", MAL, NULL);
  expect_server_first_refused("r=" NONCE "3rfc,s=QSXCR+Q6sek8bf92,i=4096x", MAL, NULL);
  expect_server_first_refused("r=" NONCE "3rfc,s=QSXCR+Q6sek8bf92,i=99999999999", MAL, NULL);
  expect_server_first_refused("r=" NONCE "3rfc,s=QSXCR+Q6sek8bf92,i=4096,", MAL, NULL);
  /* m= is reserved: its presence MUST fail the exchange (RFC 5802 section 5.1). */
  expect_server_first_refused("m=ext,r=" NONCE "3rfc,s=QSXCR+Q6sek8bf92,i=4096", MAL,
                              "server-first-message requires an unsupported extension (m=)");
  expect_server_first_refused("e=other-error", XMPPIM_SASL_COND_NOT_AUTHORIZED,
                              "server error: other-error");
  /* Not text. */
  static const char nul[] = "r=" NONCE "3rfc,s=QSXCR+Q6sek8bf92,i=4096";
  xmppim_sasl_client *c = vector_client(&rfc5802);
  const unsigned char *out;
  size_t len;
  unsigned char buf[sizeof(nul)];
  memcpy(buf, nul, sizeof(nul));
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_SASL_CONTINUE);
  assert_int_equal(xmppim_sasl_client_step(c, buf, sizeof(nul), &out, &len), XMPPIM_SASL_FAILED);
  xmppim_sasl_client_free(c);
  buf[5] = 0xff;
  c = vector_client(&rfc5802);
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_SASL_CONTINUE);
  assert_int_equal(xmppim_sasl_client_step(c, buf, sizeof(nul) - 1, &out, &len),
                   XMPPIM_SASL_FAILED);
  assert_int_equal(xmppim_sasl_client_condition(c), MAL);
  xmppim_sasl_client_free(c);
  /* Extensions after i= are ignored: this one goes through. */
  c = vector_client(&rfc5802);
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_SASL_CONTINUE);
  assert_int_equal(xmppim_sasl_client_step(c, BYTES("r=" NONCE "3rfc,s=QSXCR+Q6sek8bf92,i=4096,x=1"),
                                           &out, &len),
                   XMPPIM_SASL_CONTINUE);
  xmppim_sasl_client_free(c);
}

/* RFC 7677 section 4: fewer than 4096 iterations is refused by default; configurable. */
static void test_iteration_count_limits(void **state) {
  (void)state;
  expect_server_first_refused("r=" NONCE "3rfc,s=QSXCR+Q6sek8bf92,i=1024",
                              XMPPIM_SASL_COND_MECHANISM_TOO_WEAK,
                              "iteration count 1024 below the minimum 4096");
  expect_server_first_refused("r=" NONCE "3rfc,s=QSXCR+Q6sek8bf92,i=4095",
                              XMPPIM_SASL_COND_MECHANISM_TOO_WEAK, NULL);
  expect_server_first_refused("r=" NONCE "3rfc,s=QSXCR+Q6sek8bf92,i=1000001",
                              XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE,
                              "iteration count 1000001 above the maximum 1000000");
  expect_server_first_refused("r=" NONCE "3rfc,s=QSXCR+Q6sek8bf92,i=4294967295",
                              XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE, NULL);

  /* A host may allow fewer (a legacy server), or demand more. */
  xmppim_sasl_client *c = vector_client(&rfc5802);
  const unsigned char *out;
  size_t len;
  assert_int_equal(xmppim_sasl_client_set_iteration_limits(c, 0, 10), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_sasl_client_set_iteration_limits(c, 11, 10),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_sasl_client_set_iteration_limits(c, 1024, 5000), 0);
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_SASL_CONTINUE);
  assert_int_equal(xmppim_sasl_client_set_iteration_limits(c, 1, 10), XMPPIM_ERR_INVALID_STATE);
  assert_int_equal(
      xmppim_sasl_client_step(c, BYTES("r=" NONCE "3rfc,s=QSXCR+Q6sek8bf92,i=1024"), &out, &len),
      XMPPIM_SASL_CONTINUE);
  xmppim_sasl_client_free(c);

  c = vector_client(&rfc5802);
  assert_int_equal(xmppim_sasl_client_set_iteration_limits(c, 10000, 20000), 0);
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_SASL_CONTINUE);
  assert_int_equal(xmppim_sasl_client_step(c, (const unsigned char *)rfc5802.server_first,
                                           strlen(rfc5802.server_first), &out, &len),
                   XMPPIM_SASL_FAILED);
  assert_int_equal(xmppim_sasl_client_condition(c), XMPPIM_SASL_COND_MECHANISM_TOO_WEAK);
  assert_string_equal(xmppim_sasl_client_error(c), "iteration count 4096 below the minimum 10000");
  xmppim_sasl_client_free(c);
}

/* ------------------------------------------------ the server checks the client */

/* A server past a good client-first of the RFC 5802 vector. */
static xmppim_sasl_server *server_awaiting_final(const xmppim_mem *mem) {
  vector_credentials(&rfc5802);
  xmppim_sasl_server_callbacks cbs = host_callbacks(0);
  xmppim_sasl_server *s;
  const unsigned char *out;
  size_t len;
  assert_int_equal(xmppim_sasl_server_new(&s, XMPPIM_SASL_MECH_SCRAM_SHA_1, NULL, 0, &cbs, mem),
                   0);
  assert_int_equal(xmppim_sasl_server_set_nonce(s, rfc5802.server_nonce), 0);
  assert_int_equal(xmppim_sasl_server_step(s, (const unsigned char *)rfc5802.client_first,
                                           strlen(rfc5802.client_first), &out, &len),
                   XMPPIM_SASL_CONTINUE);
  return s;
}

static void server_msg(xmppim_sasl_mechanism mech, const xmppim_sasl_channel_binding *cbs,
                       size_t ncbs, const unsigned char *msg, size_t len, int want_rc,
                       xmppim_sasl_condition want_cond) {
  xmppim_sasl_server_callbacks cb = host_callbacks(0);
  xmppim_sasl_server *s;
  const unsigned char *out;
  size_t olen;
  assert_int_equal(xmppim_sasl_server_new(&s, mech, cbs, ncbs, &cb, NULL), 0);
  int rc = xmppim_sasl_server_step(s, msg, len, &out, &olen);
  if (rc != want_rc || xmppim_sasl_server_condition(s) != want_cond)
    fail_msg("%s message \"%.*s\": rc %d (%s), want %d (%s)", xmppim_sasl_mechanism_name(mech),
             (int)len, (const char *)msg, rc,
             xmppim_sasl_condition_name(xmppim_sasl_server_condition(s)), want_rc,
             xmppim_sasl_condition_name(want_cond));
  xmppim_sasl_server_free(s);
}

#define FIRST_BAD(lit) \
  server_msg(XMPPIM_SASL_MECH_SCRAM_SHA_1, NULL, 0, BYTES(lit), XMPPIM_SASL_FAILED, MAL)
#define FIRST_OK(lit) \
  server_msg(XMPPIM_SASL_MECH_SCRAM_SHA_1, NULL, 0, BYTES(lit), XMPPIM_SASL_CONTINUE, 0)

/* Malformed client-first messages: malformed-request, never a crash. */
static void test_server_refuses_bad_client_first(void **state) {
  (void)state;
  const xmppim_sasl_condition MAL = XMPPIM_SASL_COND_MALFORMED_REQUEST;
  host_reset("user", "pencil");
  FIRST_BAD("");
  FIRST_BAD("x");
  FIRST_BAD("n");
  FIRST_BAD("n,");
  FIRST_BAD("n,,");
  FIRST_BAD("n,,n=user");
  FIRST_BAD("n,,r=abc,n=user");
  FIRST_BAD("n,,n=,r=abc");
  FIRST_BAD("n,,n=user,r=");
  FIRST_BAD("n,,n=user,r=a c");
  FIRST_BAD("n,,n=us=er,r=abc");   /* '=' not followed by 2C or 3D */
  FIRST_BAD("n,,n=us=2c,r=abc");   /* lower case is not the escape */
  FIRST_BAD("n,,n=user=,r=abc");
  FIRST_BAD("n,,n=user,r=abc,");
  FIRST_BAD("n,,n=user,r=abc,x=");
  FIRST_BAD("n,,n=user,r=abc,1=x");
  FIRST_BAD("n,,n=user,r=abc,xy");
  FIRST_BAD("n,,m=ext,n=user,r=abc"); /* m= MUST fail (RFC 5802 section 5.1) */
  {
    xmppim_sasl_server_callbacks cb = host_callbacks(0);
    xmppim_sasl_server *s;
    const unsigned char *out;
    size_t len;
    assert_int_equal(xmppim_sasl_server_new(&s, XMPPIM_SASL_MECH_SCRAM_SHA_1, NULL, 0, &cb, NULL),
                     0);
    assert_int_equal(xmppim_sasl_server_step(s, BYTES("n,,m=ext,n=user,r=abc"), &out, &len),
                     XMPPIM_SASL_FAILED);
    assert_string_equal(xmppim_sasl_server_error(s),
                        "client-first-message requires an unsupported extension (m=)");
    xmppim_sasl_server_free(s);
  }
  FIRST_BAD("q,,n=user,r=abc");
  FIRST_BAD("N,,n=user,r=abc");
  FIRST_BAD("n,a=,n=user,r=abc");
  FIRST_BAD("n,a=x=2,n=user,r=abc");
  FIRST_BAD("n,a=x,,n=user,r=abc");
  FIRST_BAD("n,b=x,n=user,r=abc");
  FIRST_BAD("n,a=x");
  FIRST_BAD("p=,,n=user,r=abc");
  FIRST_BAD("p=tls-unique");
  FIRST_BAD("ny,,n=user,r=abc");
  FIRST_BAD(",,n=user,r=abc");
  FIRST_BAD("n,,n=user,r=abc\xff");
  FIRST_BAD("n,,n=user\0,r=abc");
  FIRST_BAD("n,,n=\xc3\x28,r=abc");
  FIRST_OK("n,,n=user,r=abc");
  FIRST_OK("n,,n=user,r=abc,x=ext,y=1"); /* extensions are ignored */
  FIRST_OK("n,a=user@example.com,n=user,r=abc");
  FIRST_OK("y,,n=user,r=abc"); /* this server offers no -PLUS */
  FIRST_OK("n,,n=nobody,r=abc"); /* an unknown user looks alike */
  /* A user name SASLprep refuses cannot match anyone. */
  server_msg(XMPPIM_SASL_MECH_SCRAM_SHA_1, NULL, 0, BYTES("n,,n=us\x07r,r=abc"),
             XMPPIM_SASL_FAILED, XMPPIM_SASL_COND_NOT_AUTHORIZED);
  /* A user name past the field limit, escaped or not. */
  char name[XMPPIM_SASL_FIELD_MAX + 40];
  int k = snprintf(name, sizeof(name), "n,,n=");
  for (int i = 0; i < XMPPIM_SASL_FIELD_MAX; i++) name[k++] = 'u';
  k += snprintf(name + k, sizeof(name) - (size_t)k, ",r=abc");
  server_msg(XMPPIM_SASL_MECH_SCRAM_SHA_1, NULL, 0, (const unsigned char *)name, (size_t)k,
             XMPPIM_SASL_CONTINUE, 0); /* an unknown user, answered like any other */
  /* "=2C" then 1023 more: 1024 bytes once unescaped. */
  k = snprintf(name, sizeof(name), "n,,n==2C");
  for (int i = 0; i < XMPPIM_SASL_FIELD_MAX; i++) name[k++] = 'u';
  k += snprintf(name + k, sizeof(name) - (size_t)k, ",r=abc");
  server_msg(XMPPIM_SASL_MECH_SCRAM_SHA_1, NULL, 0, (const unsigned char *)name, (size_t)k,
             XMPPIM_SASL_FAILED, MAL);
  /* Longer than any real message. */
  unsigned char *big = malloc(XMPPIM_SASL_MESSAGE_MAX + 1);
  memset(big, 'a', XMPPIM_SASL_MESSAGE_MAX + 1);
  memcpy(big, "n,,n=user,r=", 12);
  server_msg(XMPPIM_SASL_MECH_SCRAM_SHA_1, NULL, 0, big, XMPPIM_SASL_MESSAGE_MAX + 1,
             XMPPIM_SASL_FAILED, MAL);
  free(big);
}

static void expect_final_bad(const char *final, xmppim_sasl_condition cond) {
  xmppim_sasl_server *s = server_awaiting_final(NULL);
  const unsigned char *out;
  size_t len;
  int rc = xmppim_sasl_server_step(s, (const unsigned char *)final, strlen(final), &out, &len);
  if (rc != XMPPIM_SASL_FAILED || xmppim_sasl_server_condition(s) != cond)
    fail_msg("client-final \"%s\": rc %d (%s), want %s", final, rc,
             xmppim_sasl_condition_name(xmppim_sasl_server_condition(s)),
             xmppim_sasl_condition_name(cond));
  assert_null(out);
  assert_null(xmppim_sasl_server_authcid(s));
  xmppim_sasl_server_free(s);
}

#define FULL_NONCE "fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j"

/*
 * A ClientProof computed here, by a client of our own that knows the
 * SaltedPassword, for any client-final-without-proof after the vector's
 * first two messages. Returns static base64.
 */
static const char *proof_for(const vector *v, const char *salted_hex, const char *without_proof) {
  static char b64[64];
  xmppim_scram_hash h = xmppim_sasl_mechanism_scram_hash(v->mech);
  size_t klen = xmppim_scram_key_len(h);
  unsigned char salted[64], ck[64], sk[64], sig[64];
  char auth[512];
  unhex(salted_hex, salted);
  int n = snprintf(auth, sizeof(auth), "%s,%s,%s", v->client_first + 3, v->server_first,
                   without_proof);
  assert_int_equal(xmppim_scram_keys(h, salted, ck, sk, NULL), 0);
  assert_int_equal(xmppim_scram_hmac(h, sk, klen, auth, (size_t)n, sig), 0);
  for (size_t i = 0; i < klen; i++) ck[i] ^= sig[i];
  xmppim_base64_encode(ck, klen, b64, sizeof(b64));
  return b64;
}
#define PROOF "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="

/* Malformed or forged client-final messages. */
static void test_server_refuses_bad_client_final(void **state) {
  (void)state;
  const xmppim_sasl_condition MAL = XMPPIM_SASL_COND_MALFORMED_REQUEST;
  const xmppim_sasl_condition NA = XMPPIM_SASL_COND_NOT_AUTHORIZED;
  const xmppim_sasl_condition ENC = XMPPIM_SASL_COND_INCORRECT_ENCODING;
  expect_final_bad("", MAL);
  expect_final_bad("c=biws", MAL);
  expect_final_bad("c=biws,r=" FULL_NONCE, MAL);
  expect_final_bad("r=" FULL_NONCE ",c=biws,p=" PROOF, MAL);
  expect_final_bad("c=biws,p=" PROOF ",r=" FULL_NONCE, MAL);
  expect_final_bad("c=biws,r=" FULL_NONCE ",p=" PROOF ",", MAL);
  expect_final_bad("c=biws,r=" FULL_NONCE ",x=,p=" PROOF, MAL);
  expect_final_bad("c=biws,r=" FULL_NONCE ",p=", MAL);                  /* proof too short */
  expect_final_bad("c=biws,r=" FULL_NONCE ",p=v0X8v3Bz2T0CJGbJ", MAL); /* still too short */
  expect_final_bad("c=biws,r=" FULL_NONCE ",p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts", ENC);
  expect_final_bad("c=biws,r=" FULL_NONCE ",p=v0X8v3Bz2T0CJGbJQyF0X+HI4Tt=", ENC);
  expect_final_bad("c=biw,r=" FULL_NONCE ",p=" PROOF, ENC);
  expect_final_bad("c=biws=,r=" FULL_NONCE ",p=" PROOF, ENC);
  expect_final_bad("c=eSws,r=" FULL_NONCE ",p=" PROOF, NA); /* "y,," is not the header sent */
  expect_final_bad("c=,r=" FULL_NONCE ",p=" PROOF, NA);
  expect_final_bad("c=biwsAAAA,r=" FULL_NONCE ",p=" PROOF, NA);
  expect_final_bad("c=biws,r=fyko+d2lbbFgONRv9qkxdawL,p=" PROOF, NA);
  expect_final_bad("c=biws,r=" FULL_NONCE "x,p=" PROOF, NA);
  expect_final_bad("c=biws,r=" FULL_NONCE ",p=w0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", NA);
  /* The proof is bound to the whole AuthMessage: an added extension breaks it. */
  expect_final_bad("c=biws,r=" FULL_NONCE ",x=1,p=" PROOF, NA);
  /* A client that knows the password but answers with another nonce (as a
   * replayed or spliced message would) is refused for the nonce itself. */
  for (int wrong = 1; wrong >= 0; wrong--) {
    char final[200];
    const char *without_proof = wrong ? "c=biws,r=" FULL_NONCE "Z" : "c=biws,r=" FULL_NONCE;
    snprintf(final, sizeof(final), "%s,p=%s", without_proof,
             proof_for(&rfc5802, "1d96ee3a529b5a5f9e47c01f229a2cb8a6e15f7d", without_proof));
    xmppim_sasl_server *s = server_awaiting_final(NULL);
    const unsigned char *out;
    size_t len;
    int rc = xmppim_sasl_server_step(s, (const unsigned char *)final, strlen(final), &out, &len);
    if (wrong) {
      assert_int_equal(rc, XMPPIM_SASL_FAILED);
      assert_int_equal(xmppim_sasl_server_condition(s), NA);
      assert_string_equal(xmppim_sasl_server_error(s), "nonce mismatch in client-final-message");
    } else {
      assert_int_equal(rc, XMPPIM_SASL_DONE); /* the helper is right */
      assert_string_equal(final, rfc5802.client_final);
    }
    xmppim_sasl_server_free(s);
  }
  /* And the right one passes. */
  xmppim_sasl_server *s = server_awaiting_final(NULL);
  const unsigned char *out;
  size_t len;
  assert_int_equal(xmppim_sasl_server_step(s, (const unsigned char *)rfc5802.client_final,
                                           strlen(rfc5802.client_final), &out, &len),
                   XMPPIM_SASL_DONE);
  xmppim_sasl_server_free(s);
}

/* The host's answers: failures, nonsense values, unusable credentials. */
static void test_server_host_answers(void **state) {
  (void)state;
  host_reset("juliet", "secret");
  pair_opts o = {.user = "juliet", .password = "secret"};
  H.lookup_override = XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE;
  expect_server_failure(XMPPIM_SASL_MECH_SCRAM_SHA_1, &o, XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE);
  H.lookup_override = XMPPIM_SASL_COND_CREDENTIALS_EXPIRED;
  expect_server_failure(XMPPIM_SASL_MECH_SCRAM_SHA_1, &o, XMPPIM_SASL_COND_CREDENTIALS_EXPIRED);
  H.lookup_override = (xmppim_sasl_condition)99;
  expect_server_failure(XMPPIM_SASL_MECH_SCRAM_SHA_1, &o, XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE);
  H.lookup_override = (xmppim_sasl_condition)-3;
  expect_server_failure(XMPPIM_SASL_MECH_SCRAM_SHA_1, &o, XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE);
  H.lookup_override = 0;
  H.lookup_wrong_hash = 1;
  expect_server_failure(XMPPIM_SASL_MECH_SCRAM_SHA_1, &o, XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE);
  H.lookup_wrong_hash = 0;
  unsigned saved = H.sha1.iterations;
  H.sha1.iterations = 0;
  expect_server_failure(XMPPIM_SASL_MECH_SCRAM_SHA_1, &o, XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE);
  H.sha1.iterations = saved;
  H.sha1.salt_len = 0;
  expect_server_failure(XMPPIM_SASL_MECH_SCRAM_SHA_1, &o, XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE);
  /* not-authorized means "no such user" even with the right keys filled in
   * (C6.5-c): the exchange runs to the end and fails. */
  host_reset("juliet", "secret");
  H.lookup_fill_then_refuse = 1;
  outcome r;
  assert_int_equal(run_pair(XMPPIM_SASL_MECH_SCRAM_SHA_256, &o, &r), 0);
  assert_int_equal(r.server_messages, 1);
  assert_int_equal(r.server_rc, XMPPIM_SASL_FAILED);
  assert_int_equal(r.server_cond, XMPPIM_SASL_COND_NOT_AUTHORIZED);

  /* Refusals only the password holder should hear come from authorize,
   * after the proof was checked. */
  host_reset("juliet", "secret");
  o.with_authorize = 1;
  H.authorize_mode = 2;
  for (size_t i = 0; i < 5; i++) {
    if (xmppim_sasl_mechanism_is_plus(all_mechs[i])) continue;
    expect_server_failure(all_mechs[i], &o, XMPPIM_SASL_COND_ACCOUNT_DISABLED);
    o.password = "wrong";
    expect_server_failure(all_mechs[i], &o, XMPPIM_SASL_COND_NOT_AUTHORIZED);
    o.password = "secret";
  }
}

/* C6.3.8-a, C6.3.8-b: authorization identities, escaped in SCRAM, checked by the host. */
static void test_c6_3_8_authzid_escaping_and_check(void **state) {
  (void)state;
  /* The client escapes ',' and '=' in both names (RFC 5802 section 5.1). */
  xmppim_sasl_client *c;
  const unsigned char *out;
  size_t len;
  assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_SCRAM_SHA_256, "us,er=x", "pw",
                                          "ad=min,1@example.com", NULL, NULL),
                   0);
  assert_int_equal(xmppim_sasl_client_set_nonce(c, "abc"), 0);
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_SASL_CONTINUE);
  assert_out(out, len, "n,a=ad=3Dmin=2C1@example.com,n=us=2Cer=3Dx,r=abc");
  xmppim_sasl_client_free(c);
  /* An empty authzid is none (C6.3.8-a: send one only to act for another). */
  assert_int_equal(
      xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_SCRAM_SHA_1, "u", "pw", "", NULL, NULL), 0);
  assert_int_equal(xmppim_sasl_client_set_nonce(c, "abc"), 0);
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_SASL_CONTINUE);
  assert_out(out, len, "n,,n=u,r=abc");
  xmppim_sasl_client_free(c);

  /* Round trip: the server unescapes and asks the host. */
  for (size_t i = 0; i < 5; i++) {
    host_reset("us,er=x", "pw");
    pair_opts o = {.user = "us,er=x", .password = "pw", .authzid = "ad=min,1@example.com",
                   .client_cb = &cb_exporter, .server_cbs = &cb_exporter, .nserver_cbs = 1,
                   .with_authorize = 1};
    if (!xmppim_sasl_mechanism_is_plus(all_mechs[i])) o.client_cb = NULL, o.nserver_cbs = 0;
    H.authorize_mode = 1;
    outcome r;
    assert_int_equal(run_pair(all_mechs[i], &o, &r), 0);
    assert_int_equal(r.server_rc, XMPPIM_SASL_DONE);
    assert_int_equal(r.client_rc, XMPPIM_SASL_DONE);
    assert_string_equal(r.authcid, "us,er=x");
    assert_string_equal(r.authzid, "ad=min,1@example.com");
    assert_string_equal(H.seen_authzid, "ad=min,1@example.com");
    /* C6.3.8-b: an identity the host does not allow is invalid-authzid. */
    H.authorize_mode = 0;
    expect_server_failure(all_mechs[i], &o, XMPPIM_SASL_COND_INVALID_AUTHZID);
    o.authzid = "us,er=x@example.com"; /* its own bare JID */
    expect_success(all_mechs[i], &o, "us,er=x");
    /* Without an authorize callback, any authzid is refused, none is fine. */
    o.with_authorize = 0;
    expect_server_failure(all_mechs[i], &o, XMPPIM_SASL_COND_INVALID_AUTHZID);
    o.authzid = NULL;
    expect_success(all_mechs[i], &o, "us,er=x");
  }
}

/* ------------------------------------------------------------------ PLAIN */

static void plain_server(const unsigned char *msg, size_t len, int want_rc,
                         xmppim_sasl_condition want_cond) {
  server_msg(XMPPIM_SASL_MECH_PLAIN, NULL, 0, msg, len, want_rc, want_cond);
}

/* RFC 4616: authzid NUL authcid NUL passwd, strictly. */
static void test_plain_message_format(void **state) {
  (void)state;
  const xmppim_sasl_condition MAL = XMPPIM_SASL_COND_MALFORMED_REQUEST;
  host_reset("juliet", "secret");
  plain_server(BYTES("\0juliet\0secret"), XMPPIM_SASL_DONE, 0);
  assert_string_equal(H.seen_authzid, "(none)");
  plain_server(BYTES("juliet@example.com\0juliet\0secret"), XMPPIM_SASL_FAILED,
               XMPPIM_SASL_COND_INVALID_AUTHZID); /* no authorize callback */
  assert_string_equal(H.seen_authzid, "juliet@example.com");
  plain_server(BYTES("\0juliet\0wrong"), XMPPIM_SASL_FAILED, XMPPIM_SASL_COND_NOT_AUTHORIZED);
  plain_server(BYTES("\0romeo\0secret"), XMPPIM_SASL_FAILED, XMPPIM_SASL_COND_NOT_AUTHORIZED);
  plain_server(BYTES("\0juliet\0"), XMPPIM_SASL_FAILED, MAL);        /* empty password */
  plain_server(BYTES("\0\0secret"), XMPPIM_SASL_FAILED, MAL);        /* empty user */
  plain_server(BYTES("\0juliet\0sec\0ret"), XMPPIM_SASL_FAILED, MAL); /* embedded NUL */
  plain_server(BYTES("juliet\0secret"), XMPPIM_SASL_FAILED, MAL);    /* one NUL */
  plain_server(BYTES("julietsecret"), XMPPIM_SASL_FAILED, MAL);
  plain_server(BYTES(""), XMPPIM_SASL_FAILED, MAL);
  plain_server(BYTES("\0\0"), XMPPIM_SASL_FAILED, MAL);
  plain_server(BYTES("\0juliet\0secret\0"), XMPPIM_SASL_FAILED, MAL);
  plain_server(BYTES("\xff\0juliet\0secret"), XMPPIM_SASL_FAILED, MAL);
  plain_server(BYTES("\0jul\xc0\xafiet\0secret"), XMPPIM_SASL_FAILED, MAL); /* overlong '/' */
  plain_server(BYTES("\0juliet\0se\x07cret"), XMPPIM_SASL_FAILED, XMPPIM_SASL_COND_NOT_AUTHORIZED);
  int before = H.verify_calls;
  plain_server(BYTES("\0juliet\0secret"), XMPPIM_SASL_DONE, 0);
  assert_int_equal(H.verify_calls, before + 1);

  /* The client builds the same, authzid first. */
  xmppim_sasl_client *c;
  const unsigned char *out;
  size_t len;
  assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_PLAIN, "juliet", "secret",
                                          "romeo@example.net", NULL, NULL),
                   0);
  assert_int_equal(xmppim_sasl_client_set_nonce(c, "x"), XMPPIM_ERR_INVALID_STATE);
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_SASL_CONTINUE);
  assert_int_equal(len, sizeof("romeo@example.net\0juliet\0secret") - 1);
  assert_memory_equal(out, "romeo@example.net\0juliet\0secret", len);
  /* PLAIN takes no challenge, and <success/> carries no data. */
  assert_int_equal(xmppim_sasl_client_success(c, BYTES("x")), XMPPIM_SASL_FAILED);
  assert_int_equal(xmppim_sasl_client_condition(c), MAL);
  xmppim_sasl_client_free(c);
  assert_int_equal(
      xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_PLAIN, "juliet", "secret", NULL, NULL, NULL), 0);
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_SASL_CONTINUE);
  assert_memory_equal(out, "\0juliet\0secret", len);
  assert_int_equal(xmppim_sasl_client_step(c, BYTES(""), &out, &len), XMPPIM_SASL_FAILED);
  xmppim_sasl_client_free(c);
  /* A server that speaks first to a client-first mechanism is broken. */
  assert_int_equal(
      xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_PLAIN, "juliet", "secret", NULL, NULL, NULL), 0);
  assert_int_equal(xmppim_sasl_client_step(c, BYTES("hello"), &out, &len), XMPPIM_SASL_FAILED);
  assert_int_equal(xmppim_sasl_client_condition(c), MAL);
  xmppim_sasl_client_free(c);
}

/* Empty fields, NULs (impossible through C strings), bad UTF-8, SASLprep refusals. */
static void test_plain_client_refusals(void **state) {
  (void)state;
  xmppim_sasl_client *c = (xmppim_sasl_client *)&c;
  assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_PLAIN, "juliet", "", NULL, NULL,
                                          NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_null(c);
  assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_PLAIN, "", "pw", NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(
      xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_PLAIN, "juliet", "\xc2\xad", NULL, NULL, NULL),
      XMPPIM_ERR_INVALID_ARGUMENT); /* maps to nothing */
  assert_int_equal(
      xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_PLAIN, "juliet", "a\x07", NULL, NULL, NULL),
      XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(
      xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_PLAIN, "juliet", "a\xff", NULL, NULL, NULL),
      XMPPIM_ERR_BAD_UTF8);
  assert_int_equal(
      xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_PLAIN, "juliet", "pw", "\xff", NULL, NULL),
      XMPPIM_ERR_BAD_UTF8);
  assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_PLAIN, "\xd8\xa7" "1", "pw", NULL,
                                          NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT); /* bidi: RandAL then L */
  char long_pw[XMPPIM_SASL_FIELD_MAX + 2];
  memset(long_pw, 'a', sizeof(long_pw) - 1);
  long_pw[sizeof(long_pw) - 1] = '\0';
  assert_int_equal(
      xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_PLAIN, "juliet", long_pw, NULL, NULL, NULL),
      XMPPIM_ERR_INVALID_ARGUMENT);
  long_pw[XMPPIM_SASL_FIELD_MAX] = '\0';
  assert_int_equal(
      xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_PLAIN, "juliet", long_pw, NULL, NULL, NULL), 0);
  xmppim_sasl_client_free(c);
}

/* SASLprep on both ends: the client sends, and the host sees, the prepared strings. */
static void test_plain_saslprep_mapping(void **state) {
  (void)state;
  struct {
    const char *given, *prepared;
  } cases[] = {
    {"pen\xc2\xa0" "cil", "pen cil"},        /* U+00A0 no-break space -> space (C.1.2) */
    {"pen\xe3\x80\x80" "cil", "pen cil"},    /* U+3000 ideographic space -> space */
    {"I\xc2\xad" "X", "IX"},                 /* U+00AD soft hyphen -> nothing (B.1) */
    {"\xc2\xaa", "a"},                       /* RFC 4013 example: U+00AA -> "a" (NFKC) */
    {"\xe2\x85\xa8", "IX"},                  /* RFC 4013 example: U+2168 -> "IX" */
    {"caf\x65\xcc\x81", "caf\xc3\xa9"},      /* NFKC composes */
    {"user", "user"},
    {"USER", "USER"},                        /* no case folding in SASLprep */
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    xmppim_sasl_client *c;
    const unsigned char *out;
    size_t len;
    assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_PLAIN, cases[i].given,
                                            cases[i].given, NULL, NULL, NULL),
                     0);
    assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_SASL_CONTINUE);
    size_t p = strlen(cases[i].prepared);
    assert_int_equal(len, 2 + 2 * p);
    assert_memory_equal(out + 1, cases[i].prepared, p);
    assert_memory_equal(out + 2 + p, cases[i].prepared, p);
    xmppim_sasl_client_free(c);

    /* The server prepares what a non-preparing client sent. */
    unsigned char msg[64];
    size_t g = strlen(cases[i].given);
    msg[0] = 0;
    memcpy(msg + 1, cases[i].given, g);
    msg[1 + g] = 0;
    memcpy(msg + 2 + g, cases[i].given, g);
    host_reset(cases[i].prepared, cases[i].prepared);
    plain_server(msg, 2 + 2 * g, XMPPIM_SASL_DONE, 0);
    assert_string_equal(H.seen_authcid, cases[i].prepared);
    assert_string_equal(H.seen_password, cases[i].prepared);
  }
  /* SCRAM prepares the password too: a soft hyphen changes nothing. */
  host_reset("user", "pencil");
  pair_opts o = {.user = "user", .password = "pen\xc2\xad" "cil"};
  expect_success(XMPPIM_SASL_MECH_SCRAM_SHA_256, &o, "user");
  o.password = "pen\xc2\xa0" "cil";
  expect_server_failure(XMPPIM_SASL_MECH_SCRAM_SHA_256, &o, XMPPIM_SASL_COND_NOT_AUTHORIZED);
}

/* RFC 4013 section 3 examples, and the ASCII shortcut against libidn itself. */
static void test_saslprep_rfc4013_and_libidn(void **state) {
  (void)state;
  char *out;
  size_t n;
  {
    failing_mem fm;
    failing_mem_init(&fm, 0);
    const xmppim_mem *mem = &fm.mem;
    assert_int_equal(xmppim_saslprep(mem, "x", 0, &out, &n), XMPPIM_ERR_INVALID_ARGUMENT);
    assert_int_equal(xmppim_saslprep(mem, "\x07", 1, &out, &n), XMPPIM_ERR_INVALID_ARGUMENT);
    assert_int_equal(xmppim_saslprep(mem, "\xd8\xa7\x31", 3, &out, &n),
                     XMPPIM_ERR_INVALID_ARGUMENT);
    assert_int_equal(xmppim_saslprep(mem, "a\0b", 3, &out, &n), XMPPIM_ERR_INVALID_ARGUMENT);
    assert_int_equal(xmppim_saslprep(mem, "\xed\xa0\x80", 3, &out, &n), XMPPIM_ERR_BAD_UTF8);
    assert_int_equal(xmppim_saslprep(mem, "\xef\xb7\xba", 3, &out, &n), 0); /* U+FDFA: 18 cps */
    assert_int_equal(n, 33);
    mem->free(out, mem->user_data);
    assert_int_equal(fm.live, 0);

    /* Every ASCII character, alone and in a word, agrees with libidn. */
    for (int ch = 1; ch < 128; ch++) {
      char word[8] = {'a', (char)ch, 'b', 0};
      char idn[16];
      memcpy(idn, word, 4);
      int want = stringprep(idn, sizeof(idn), (Stringprep_profile_flags)0, stringprep_saslprep);
      int rc = xmppim_saslprep(mem, word, 3, &out, &n);
      assert_int_equal(rc == 0, want == STRINGPREP_OK);
      if (rc == 0) {
        assert_string_equal(out, idn);
        mem->free(out, mem->user_data);
      }
    }
    /* And a few non-ASCII strings, through libidn on both sides. */
    const char *words[] = {"I\xc2\xad" "X", "\xc2\xaa", "\xe2\x85\xa8", "a\xc2\xa0" "b",
                           "\xd8\xa7\xd8\xa8", "\xf0\x9f\x98\x80", "\xe2\x80\x8b" "x"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
      char idn[64];
      snprintf(idn, sizeof(idn), "%s", words[i]);
      int want = stringprep(idn, sizeof(idn), (Stringprep_profile_flags)0, stringprep_saslprep);
      int rc = xmppim_saslprep(mem, words[i], strlen(words[i]), &out, &n);
      assert_int_equal(rc == 0, want == STRINGPREP_OK);
      if (rc == 0) {
        assert_string_equal(out, idn);
        mem->free(out, mem->user_data);
      }
    }
    assert_int_equal(fm.live, 0);
  }
}

/* ---------------------------------------------------- API misuse, limits */

static void test_api_arguments(void **state) {
  (void)state;
  xmppim_sasl_client *c;
  xmppim_sasl_server *s;
  xmppim_sasl_server_callbacks cbs = host_callbacks(0);
  xmppim_sasl_server_callbacks none = {NULL, NULL, NULL, NULL};
  const unsigned char *out;
  size_t len;
  const xmppim_sasl_channel_binding bad_type = {"tls unique", unique_bytes, 12};
  const xmppim_sasl_channel_binding no_data = {"tls-unique", unique_bytes, 0};
  const xmppim_sasl_channel_binding null_type = {NULL, unique_bytes, 12};
  const xmppim_sasl_channel_binding too_long = {"tls-unique", unique_bytes,
                                                XMPPIM_SASL_CB_DATA_MAX + 1};
  xmppim_mem half = {NULL, NULL, NULL, NULL, NULL};
  const int EINV = XMPPIM_ERR_INVALID_ARGUMENT;

  assert_int_equal(xmppim_sasl_client_new(NULL, XMPPIM_SASL_MECH_PLAIN, "u", "p", NULL, NULL, NULL), EINV);
  assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_UNKNOWN, "u", "p", NULL, NULL, NULL), EINV);
  assert_int_equal(xmppim_sasl_client_new(&c, (xmppim_sasl_mechanism)77, "u", "p", NULL, NULL, NULL), EINV);
  assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_PLAIN, NULL, "p", NULL, NULL, NULL), EINV);
  assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_PLAIN, "u", NULL, NULL, NULL, NULL), EINV);
  assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_PLAIN, "u", "p", NULL, NULL, &half), EINV);
  /* -PLUS needs a binding, and a well-formed one. */
  assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS, "u", "p", NULL, NULL, NULL), EINV);
  assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS, "u", "p", NULL, &bad_type, NULL), EINV);
  assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS, "u", "p", NULL, &no_data, NULL), EINV);
  assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS, "u", "p", NULL, &null_type, NULL), EINV);
  assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS, "u", "p", NULL, &too_long, NULL), EINV);
  assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_SCRAM_SHA_1, "u", "p", NULL, &bad_type, NULL), EINV);

  assert_int_equal(xmppim_sasl_client_new(&c, XMPPIM_SASL_MECH_SCRAM_SHA_1, "u", "p", NULL, NULL, NULL), 0);
  assert_int_equal(xmppim_sasl_client_set_nonce(c, ""), EINV);
  assert_int_equal(xmppim_sasl_client_set_nonce(c, "a,b"), EINV);
  assert_int_equal(xmppim_sasl_client_set_nonce(c, "a b"), EINV);
  assert_int_equal(xmppim_sasl_client_set_nonce(c, NULL), EINV);
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, NULL, &len), EINV);
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, NULL), EINV);
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 3, &out, &len), EINV);
  assert_int_equal(xmppim_sasl_client_step(NULL, NULL, 0, &out, &len), EINV);
  assert_int_equal(xmppim_sasl_client_success(c, NULL, 1), EINV);
  assert_int_equal(xmppim_sasl_client_success(NULL, NULL, 0), EINV);
  /* Still usable after argument errors. */
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &len), XMPPIM_SASL_CONTINUE);
  assert_int_equal(xmppim_sasl_client_set_nonce(c, "abc"), XMPPIM_ERR_INVALID_STATE);
  assert_int_equal(xmppim_sasl_client_condition(NULL), XMPPIM_SASL_COND_NONE);
  assert_string_equal(xmppim_sasl_client_error(NULL), "");
  xmppim_sasl_client_free(c);
  xmppim_sasl_client_free(NULL);

  const xmppim_sasl_channel_binding pair[] = {cb_exporter, bad_type};
  assert_int_equal(xmppim_sasl_server_new(NULL, XMPPIM_SASL_MECH_PLAIN, NULL, 0, &cbs, NULL), EINV);
  assert_int_equal(xmppim_sasl_server_new(&s, XMPPIM_SASL_MECH_PLAIN, NULL, 0, NULL, NULL), EINV);
  assert_int_equal(xmppim_sasl_server_new(&s, XMPPIM_SASL_MECH_UNKNOWN, NULL, 0, &cbs, NULL), EINV);
  assert_int_equal(xmppim_sasl_server_new(&s, XMPPIM_SASL_MECH_PLAIN, NULL, 0, &none, NULL), EINV);
  assert_int_equal(xmppim_sasl_server_new(&s, XMPPIM_SASL_MECH_SCRAM_SHA_1, NULL, 0, &none, NULL), EINV);
  assert_int_equal(xmppim_sasl_server_new(&s, XMPPIM_SASL_MECH_PLAIN, NULL, 0, &cbs, &half), EINV);
  /* C6.3.4-a in spirit: no -PLUS without a binding to check it against. */
  assert_int_equal(xmppim_sasl_server_new(&s, XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS, NULL, 0, &cbs, NULL), EINV);
  assert_int_equal(xmppim_sasl_server_new(&s, XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS, NULL, 1, &cbs, NULL), EINV);
  assert_int_equal(xmppim_sasl_server_new(&s, XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS, pair, 2, &cbs, NULL), EINV);
  assert_int_equal(xmppim_sasl_server_new(&s, XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS, pair, 1, &cbs, NULL), 0);
  assert_int_equal(xmppim_sasl_server_set_nonce(s, "a,b"), EINV);
  assert_int_equal(xmppim_sasl_server_step(s, NULL, 0, NULL, &len), EINV);
  assert_int_equal(xmppim_sasl_server_step(s, NULL, 2, &out, &len), EINV);
  assert_null(xmppim_sasl_server_authcid(NULL));
  assert_null(xmppim_sasl_server_authzid(NULL));
  assert_int_equal(xmppim_sasl_server_condition(NULL), XMPPIM_SASL_COND_NONE);
  assert_string_equal(xmppim_sasl_server_error(NULL), "");
  xmppim_sasl_server_free(s);
  xmppim_sasl_server_free(NULL);
  assert_int_equal(xmppim_sasl_server_new(&s, XMPPIM_SASL_MECH_PLAIN, NULL, 0, &cbs, NULL), 0);
  assert_int_equal(xmppim_sasl_server_set_nonce(s, "abc"), XMPPIM_ERR_INVALID_STATE);
  xmppim_sasl_server_free(s);
}

/* C6.4.2-a: an empty initial response ("=" on the wire) is not a valid one here. */
static void test_c6_4_2_a_empty_initial_response(void **state) {
  (void)state;
  host_reset("user", "pencil");
  for (size_t i = 0; i < 5; i++) {
    const xmppim_sasl_channel_binding *b = xmppim_sasl_mechanism_is_plus(all_mechs[i]) ? &cb_unique : NULL;
    server_msg(all_mechs[i], b, b ? 1 : 0, (const unsigned char *)"", 0, XMPPIM_SASL_FAILED,
               XMPPIM_SASL_COND_MALFORMED_REQUEST);
  }
}

/* ------------------------------------------- truncation, mutation, memory */

/*
 * Feeds msg (len bytes) as the step-th message to a fresh server (step 1:
 * client-first; 2: client-final after the vector's client-first) or client
 * (1: server-first; 2: server-final in <success/>). Returns the result;
 * everything must be freed with nothing left over.
 */
static int feed_server(const vector *v, int step, const unsigned char *msg, size_t len) {
  failing_mem fm;
  failing_mem_init(&fm, 0);
  vector_credentials(v);
  xmppim_sasl_server_callbacks cbs = host_callbacks(0);
  xmppim_sasl_server *s;
  const unsigned char *out;
  size_t olen;
  assert_int_equal(xmppim_sasl_server_new(&s, v->mech, NULL, 0, &cbs, &fm.mem), 0);
  assert_int_equal(xmppim_sasl_server_set_nonce(s, v->server_nonce), 0);
  if (step == 2)
    assert_int_equal(xmppim_sasl_server_step(s, (const unsigned char *)v->client_first,
                                             strlen(v->client_first), &out, &olen),
                     XMPPIM_SASL_CONTINUE);
  int rc = xmppim_sasl_server_step(s, msg, len, &out, &olen);
  if (rc == XMPPIM_SASL_FAILED) {
    assert_int_not_equal(xmppim_sasl_server_condition(s), XMPPIM_SASL_COND_NONE);
    assert_string_not_equal(xmppim_sasl_server_error(s), "");
    assert_null(out);
  } else {
    assert_true(rc == XMPPIM_SASL_CONTINUE || rc == XMPPIM_SASL_DONE);
    assert_non_null(out);
  }
  xmppim_sasl_server_free(s);
  assert_int_equal(fm.live, 0);
  return rc;
}

static int feed_client(const vector *v, int step, const unsigned char *msg, size_t len) {
  failing_mem fm;
  failing_mem_init(&fm, 0);
  xmppim_sasl_client *c;
  const unsigned char *out;
  size_t olen;
  assert_int_equal(xmppim_sasl_client_new(&c, v->mech, "user", "pencil", NULL, NULL, &fm.mem), 0);
  assert_int_equal(xmppim_sasl_client_set_nonce(c, v->client_nonce), 0);
  assert_int_equal(xmppim_sasl_client_step(c, NULL, 0, &out, &olen), XMPPIM_SASL_CONTINUE);
  int rc;
  if (step == 1) {
    rc = xmppim_sasl_client_step(c, msg, len, &out, &olen);
  } else {
    assert_int_equal(xmppim_sasl_client_step(c, (const unsigned char *)v->server_first,
                                             strlen(v->server_first), &out, &olen),
                     XMPPIM_SASL_CONTINUE);
    rc = xmppim_sasl_client_success(c, msg, len);
  }
  if (rc == XMPPIM_SASL_FAILED) {
    assert_int_not_equal(xmppim_sasl_client_condition(c), XMPPIM_SASL_COND_NONE);
    assert_string_not_equal(xmppim_sasl_client_error(c), "");
  } else {
    assert_true(rc == XMPPIM_SASL_CONTINUE || rc == XMPPIM_SASL_DONE);
  }
  xmppim_sasl_client_free(c);
  assert_int_equal(fm.live, 0);
  return rc;
}

/* Each message of both vectors cut at every byte: clean results, never success by accident. */
static void test_truncated_messages(void **state) {
  (void)state;
  const vector *vs[] = {&rfc5802, &rfc7677};
  for (int k = 0; k < 2; k++) {
    const vector *v = vs[k];
    const char *msgs[4] = {v->client_first, v->client_final, v->server_first, v->server_final};
    for (int m = 0; m < 4; m++) {
      size_t full = strlen(msgs[m]);
      for (size_t len = 0; len <= full; len++) {
        /* A copy of exactly len bytes, so ASan sees any read past the end. */
        unsigned char *cut = malloc(len ? len : 1);
        memcpy(cut, msgs[m], len);
        int rc;
        if (m < 2)
          rc = feed_server(v, m + 1, cut, len);
        else
          rc = feed_client(v, m - 1, cut, len);
        free(cut);
        if (len == full) {
          assert_int_equal(rc, m == 1 || m == 3 ? XMPPIM_SASL_DONE : XMPPIM_SASL_CONTINUE);
        } else if (m == 1 || m == 3) {
          /* A cut client-final or server-final must never authenticate. */
          assert_int_equal(rc, XMPPIM_SASL_FAILED);
        }
      }
    }
  }
}

/* Deterministic mutations of every message: one byte changed to each of a
 * set of interesting values, at every position. No crash, no leak, and a
 * changed final message never authenticates. */
static void test_mutated_messages(void **state) {
  (void)state;
  static const unsigned char values[] = {0, ',', '=', 'a', 'A', '0', '+', '/', ' ', 0x7f,
                                         0x80, 0xc3, 0xff};
  const vector *vs[] = {&rfc5802, &rfc7677};
  for (int k = 0; k < 2; k++) {
    const vector *v = vs[k];
    const char *msgs[4] = {v->client_first, v->client_final, v->server_first, v->server_final};
    for (int m = 0; m < 4; m++) {
      size_t full = strlen(msgs[m]);
      unsigned char *buf = malloc(full);
      for (size_t pos = 0; pos < full; pos++)
        for (size_t vi = 0; vi < sizeof(values); vi++) {
          memcpy(buf, msgs[m], full);
          if (buf[pos] == values[vi]) continue;
          buf[pos] = values[vi];
          int rc = m < 2 ? feed_server(v, m + 1, buf, full) : feed_client(v, m - 1, buf, full);
          if (m == 1 || m == 3) assert_int_equal(rc, XMPPIM_SASL_FAILED);
        }
      free(buf);
    }
  }
}

/*
 * Every allocation failing in turn, for every mechanism: the exchange stops
 * with XMPPIM_ERR_NOMEM (the server's condition then temporary-auth-failure)
 * and nothing leaks, until N is past the last allocation and it succeeds.
 */
static void test_allocation_failures(void **state) {
  (void)state;
  for (size_t i = 0; i < 5; i++) {
    for (int form = 0; form < 2; form++) {
      long n;
      for (n = 1;; n++) {
        host_reset("us,er", "p\xc2\xa0w"); /* escaping and SASLprep allocate too */
        H.password = "p w";                 /* as PLAIN's verify sees it, prepared */
        failing_mem fm;
        failing_mem_init(&fm, n);
        pair_opts o = {.user = "us,er", .password = "p\xc2\xa0w", .authzid = "x@example.com",
                       .client_cb = &cb_exporter, .server_cbs = &cb_exporter, .nserver_cbs = 1,
                       .with_authorize = 1, .long_form = form, .final_in_challenge = form,
                       .mem = &fm.mem};
        if (!xmppim_sasl_mechanism_is_plus(all_mechs[i])) o.client_cb = NULL, o.nserver_cbs = 0;
        H.authorize_mode = 1;
        outcome r;
        int rc = run_pair(all_mechs[i], &o, &r);
        assert_int_equal(fm.live, 0);
        if (fm.count < n) {
          /* Nothing failed: the whole exchange went through. */
          assert_int_equal(rc, 0);
          assert_int_equal(r.server_rc, XMPPIM_SASL_DONE);
          assert_int_equal(r.client_rc, XMPPIM_SASL_DONE);
          break;
        }
        if (rc != XMPPIM_ERR_NOMEM)
          fail_msg("%s, allocation %ld failing: %d, want NOMEM",
                   xmppim_sasl_mechanism_name(all_mechs[i]), n, rc);
        if (r.server_rc == XMPPIM_ERR_NOMEM)
          assert_int_equal(r.server_cond, XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE);
        if (r.client_rc == XMPPIM_ERR_NOMEM)
          assert_int_equal(r.client_cond, XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE);
      }
      assert_true(n > 3); /* it did allocate, and each one was failed once */
    }
  }
  /* xmppim_scram_derive() and unknown users too. */
  for (long n = 1;; n++) {
    failing_mem fm;
    failing_mem_init(&fm, n);
    xmppim_scram_credentials cr;
    int rc = xmppim_scram_derive(&cr, XMPPIM_SCRAM_SHA_1, "p\xc2\xa0w", (const unsigned char *)"s",
                                 1, 1, &fm.mem);
    assert_int_equal(fm.live, 0);
    if (fm.count < n) {
      assert_int_equal(rc, 0);
      break;
    }
    assert_int_equal(rc, XMPPIM_ERR_NOMEM);
  }
  for (long n = 1;; n++) {
    host_reset("juliet", "secret");
    failing_mem fm;
    failing_mem_init(&fm, n);
    pair_opts o = {.user = "romeo", .password = "secret", .mem = &fm.mem};
    outcome r;
    int rc = run_pair(XMPPIM_SASL_MECH_SCRAM_SHA_256, &o, &r);
    assert_int_equal(fm.live, 0);
    if (fm.count < n) {
      assert_int_equal(rc, 0);
      assert_int_equal(r.server_cond, XMPPIM_SASL_COND_NOT_AUTHORIZED);
      break;
    }
    assert_int_equal(rc, XMPPIM_ERR_NOMEM);
  }
}

/* Constant-time comparison: right answers (its timing is not measurable here). */
static void test_ct_equal(void **state) {
  (void)state;
  unsigned char a[40], b[40];
  for (int i = 0; i < 40; i++) a[i] = b[i] = (unsigned char)(i * 13);
  assert_true(xmppim_sasl_ct_equal(a, b, 40));
  assert_true(xmppim_sasl_ct_equal(a, b, 0));
  for (int i = 0; i < 40; i++)
    for (int bit = 0; bit < 8; bit++) {
      b[i] ^= (unsigned char)(1 << bit);
      assert_false(xmppim_sasl_ct_equal(a, b, 40));
      b[i] ^= (unsigned char)(1 << bit);
    }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_c6_5_a_condition_names),
    cmocka_unit_test(test_c6_5_b_unknown_condition_is_not_authorized),
    cmocka_unit_test(test_c13_8_a_mechanism_names),
    cmocka_unit_test(test_c13_8_a_rfc5802_vector_client),
    cmocka_unit_test(test_c13_8_a_rfc5802_vector_server),
    cmocka_unit_test(test_rfc7677_vector_client),
    cmocka_unit_test(test_rfc7677_vector_server),
    cmocka_unit_test(test_scram_derive_vectors),
    cmocka_unit_test(test_scram_derive_arguments),
    cmocka_unit_test(test_c6_2_a_every_mechanism_in_memory),
    cmocka_unit_test(test_c6_3_10_a_long_and_short_forms),
    cmocka_unit_test(test_c6_5_c_wrong_password_and_unknown_user),
    cmocka_unit_test(test_c6_5_c_unknown_user_server_first),
    cmocka_unit_test(test_plus_channel_binding_mismatch),
    cmocka_unit_test(test_plus_downgrade_detected),
    cmocka_unit_test(test_plus_flag_must_match_mechanism),
    cmocka_unit_test(test_tampered_server_signature_rejected),
    cmocka_unit_test(test_client_refuses_bad_server_first),
    cmocka_unit_test(test_iteration_count_limits),
    cmocka_unit_test(test_server_refuses_bad_client_first),
    cmocka_unit_test(test_server_refuses_bad_client_final),
    cmocka_unit_test(test_server_host_answers),
    cmocka_unit_test(test_c6_3_8_authzid_escaping_and_check),
    cmocka_unit_test(test_plain_message_format),
    cmocka_unit_test(test_plain_client_refusals),
    cmocka_unit_test(test_plain_saslprep_mapping),
    cmocka_unit_test(test_saslprep_rfc4013_and_libidn),
    cmocka_unit_test(test_api_arguments),
    cmocka_unit_test(test_c6_4_2_a_empty_initial_response),
    cmocka_unit_test(test_truncated_messages),
    cmocka_unit_test(test_mutated_messages),
    cmocka_unit_test(test_allocation_failures),
    cmocka_unit_test(test_ct_equal),
  };
  return cmocka_run_group_tests_name("sasl", tests, NULL, NULL);
}
