/*
 * The GnuTLS adapter: a client session and a server session, each wrapped
 * in an xmppim_tls, talk in memory (ciphertext moved between the adapters)
 * with a CA and certificates generated at start-up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <xmppim.h>

#include "failing_mem.h"

#define DOMAIN "example.com"
#define USER "juliet"
#define PASSWORD "r0m30myr0m30"

static char dir[64];
static char ca_file[128], cert_file[128], key_file[128], expired_file[128], xmppaddr_file[128],
    srv_file[128];

/* ---- certificates ---- */

static gnutls_x509_privkey_t new_key(void) {
  gnutls_x509_privkey_t key;
  if (gnutls_x509_privkey_init(&key) < 0) abort();
  if (gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                   GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0)
    abort();
  return key;
}

static void write_file(const char *path, const gnutls_datum_t *d) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(d->data, 1, d->size, f) != d->size || fclose(f) != 0) abort();
}

static void write_crt(const char *path, gnutls_x509_crt_t crt) {
  gnutls_datum_t d;
  if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d) < 0) abort();
  write_file(path, &d);
  gnutls_free(d.data);
}

static unsigned serial = 1;

/* A certificate for `key` signed by (ca, ca_key), or self-signed when ca is NULL. */
static gnutls_x509_crt_t make_crt(gnutls_x509_privkey_t key, const char *dn, gnutls_x509_crt_t ca,
                                  gnutls_x509_privkey_t ca_key, time_t from, time_t until) {
  (void)ca_key;
  gnutls_x509_crt_t crt;
  if (gnutls_x509_crt_init(&crt) < 0) abort();
  gnutls_x509_crt_set_version(crt, 3);
  unsigned char sn[4] = {0, 0, 0, (unsigned char)serial++};
  gnutls_x509_crt_set_serial(crt, sn, sizeof(sn));
  gnutls_x509_crt_set_activation_time(crt, from);
  gnutls_x509_crt_set_expiration_time(crt, until);
  const char *err;
  if (gnutls_x509_crt_set_dn(crt, dn, &err) < 0) abort();
  if (gnutls_x509_crt_set_key(crt, key) < 0) abort();
  if (!ca) {
    gnutls_x509_crt_set_basic_constraints(crt, 1, -1);
    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN);
  } else {
    gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
    gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
  }
  return crt;
}

static void sign(gnutls_x509_crt_t crt, gnutls_x509_crt_t ca, gnutls_x509_privkey_t ca_key) {
  if (gnutls_x509_crt_sign2(crt, ca ? ca : crt, ca_key, GNUTLS_DIG_SHA256, 0) < 0) abort();
}

static int make_certificates(void **state) {
  (void)state;
  if (gnutls_global_init() < 0) abort();
  snprintf(dir, sizeof(dir), "/tmp/xmppim-tls-XXXXXX");
  if (!mkdtemp(dir)) abort();
  snprintf(ca_file, sizeof(ca_file), "%s/ca.pem", dir);
  snprintf(cert_file, sizeof(cert_file), "%s/server.pem", dir);
  snprintf(key_file, sizeof(key_file), "%s/server.key", dir);
  snprintf(expired_file, sizeof(expired_file), "%s/expired.pem", dir);
  snprintf(xmppaddr_file, sizeof(xmppaddr_file), "%s/xmppaddr.pem", dir);
  snprintf(srv_file, sizeof(srv_file), "%s/srv.pem", dir);
  time_t now = time(NULL);
  gnutls_x509_privkey_t ca_key = new_key(), key = new_key();
  gnutls_x509_crt_t ca = make_crt(ca_key, "CN=xmppim test CA", NULL, NULL, now - 3600, now + 86400);
  sign(ca, NULL, ca_key);
  write_crt(ca_file, ca);

  /* The server: SAN dNSName example.com; its CN names another domain,
   * which must not be accepted (no CN fallback when there are SANs). */
  gnutls_x509_crt_t crt = make_crt(key, "CN=example.net", ca, ca_key, now - 3600, now + 86400);
  if (gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, DOMAIN, strlen(DOMAIN),
                                           GNUTLS_FSAN_SET) < 0 ||
      gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "xn--bcher-kva.example",
                                           strlen("xn--bcher-kva.example"), GNUTLS_FSAN_APPEND) < 0)
    abort();
  sign(crt, ca, ca_key);
  write_crt(cert_file, crt);
  gnutls_x509_crt_deinit(crt);

  crt = make_crt(key, "CN=" DOMAIN, ca, ca_key, now - 7200, now - 3600);
  gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, DOMAIN, strlen(DOMAIN),
                                       GNUTLS_FSAN_SET);
  sign(crt, ca, ca_key);
  write_crt(expired_file, crt);
  gnutls_x509_crt_deinit(crt);

  /* Only an XmppAddr names the domain; the dNSName is another host. */
  crt = make_crt(key, "CN=xmpp host", ca, ca_key, now - 3600, now + 86400);
  gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "host.other.test",
                                       strlen("host.other.test"), GNUTLS_FSAN_SET);
  if (gnutls_x509_crt_set_subject_alt_othername(crt, "1.3.6.1.5.5.7.8.5", DOMAIN, strlen(DOMAIN),
                                                GNUTLS_FSAN_APPEND | GNUTLS_FSAN_ENCODE_UTF8_STRING) < 0)
    abort();
  sign(crt, ca, ca_key);
  write_crt(xmppaddr_file, crt);
  gnutls_x509_crt_deinit(crt);

  /* Only an SRV-ID (otherName SRVName, an IA5String in DER) names the domain. */
  crt = make_crt(key, "CN=srv host", ca, ca_key, now - 3600, now + 86400);
  gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "host.other.test",
                                       strlen("host.other.test"), GNUTLS_FSAN_SET);
  static const char srv_name[] = "_xmpp-client." DOMAIN;
  unsigned char der[64] = {0x16, (unsigned char)(sizeof(srv_name) - 1)};
  memcpy(der + 2, srv_name, sizeof(srv_name) - 1);
  if (gnutls_x509_crt_set_subject_alt_othername(crt, "1.3.6.1.5.5.7.8.7", der,
                                                sizeof(srv_name) + 1, GNUTLS_FSAN_APPEND) < 0)
    abort();
  sign(crt, ca, ca_key);
  write_crt(srv_file, crt);
  gnutls_x509_crt_deinit(crt);

  gnutls_datum_t d;
  if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d) < 0) abort();
  write_file(key_file, &d);
  gnutls_free(d.data);
  gnutls_x509_crt_deinit(ca);
  gnutls_x509_privkey_deinit(ca_key);
  gnutls_x509_privkey_deinit(key);
  return 0;
}

static int remove_certificates(void **state) {
  (void)state;
  unlink(ca_file);
  unlink(cert_file);
  unlink(key_file);
  unlink(expired_file);
  unlink(xmppaddr_file);
  unlink(srv_file);
  rmdir(dir);
  gnutls_global_deinit();
  return 0;
}

/* ---- a client and a server, each behind an adapter ---- */

typedef struct side {
  xmppim_session *s;
  xmppim_tls *t;
  int ready;
  int stanzas;
  int pause; /* on_stanza pauses this many times */
  int closed;
  long feed_error;
} side;

typedef struct duo {
  side client, server;
} duo;

static void on_ready(xmppim_session *s, const xmppim_jid *jid, void *ud) {
  (void)s;
  (void)jid;
  ((side *)ud)->ready = 1;
}

static void on_starttls(xmppim_session *s, void *ud) {
  (void)s;
  assert_int_equal(xmppim_tls_start(((side *)ud)->t), 0);
}

static void on_closed(xmppim_session *s, xmppim_stream_condition c, void *ud) {
  (void)s;
  (void)c;
  ((side *)ud)->closed = 1;
}

static int on_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  (void)s;
  (void)st;
  side *me = ud;
  me->stanzas++;
  if (me->pause > 0) {
    me->pause--;
    return XMPPIM_ERR_PAUSE;
  }
  return 0;
}

static xmppim_sasl_condition lookup_scram(const char *authcid, xmppim_scram_hash hash,
                                          xmppim_scram_credentials *creds, void *ud) {
  (void)ud;
  if (strcmp(authcid, USER) != 0) return XMPPIM_SASL_COND_NOT_AUTHORIZED;
  static const unsigned char salt[] = "tls-salt-16bytes";
  if (xmppim_scram_derive(creds, hash, PASSWORD, salt, 16, 4096, NULL) != 0)
    return XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE;
  return XMPPIM_SASL_COND_NONE;
}

static xmppim_tls_config *client_config(void) {
  xmppim_tls_config *cfg;
  assert_int_equal(xmppim_tls_config_new(&cfg), 0);
  assert_int_equal(xmppim_tls_config_set_ca_file(cfg, ca_file), 0);
  return cfg;
}

static xmppim_tls_config *server_config(const char *cert) {
  xmppim_tls_config *cfg;
  assert_int_equal(xmppim_tls_config_new(&cfg), 0);
  int rv = xmppim_tls_config_set_cert_key_files(cfg, cert, key_file);
  if (rv) fprintf(stderr, "%s\n", xmppim_tls_config_error_text(cfg));
  assert_int_equal(rv, 0);
  return cfg;
}

/* Creates both sides; returns 0 or the first adapter creation error. */
static int duo_init(duo *d, xmppim_tls_config *ccfg, xmppim_tls_config *scfg, const xmppim_mem *mem) {
  memset(d, 0, sizeof(*d));
  xmppim_callbacks *cb;
  assert_int_equal(xmppim_callbacks_new(&cb), 0);
  xmppim_callbacks_set_on_ready(cb, on_ready);
  xmppim_callbacks_set_on_starttls(cb, on_starttls);
  xmppim_callbacks_set_on_closed(cb, on_closed);
  xmppim_callbacks_set_sasl_scram(cb, lookup_scram);
  xmppim_callbacks_set_on_stanza(cb, on_stanza);
  xmppim_options *sopt;
  assert_int_equal(xmppim_options_new(&sopt), 0);
  assert_int_equal(xmppim_options_set_require_tls(sopt, 1), 0);
  assert_int_equal(xmppim_session_server_new(&d->server.s, DOMAIN, cb, &d->server, sopt, NULL), 0);
  assert_int_equal(
      xmppim_session_client_new(&d->client.s, USER "@" DOMAIN, PASSWORD, cb, &d->client, NULL, NULL),
      0);
  xmppim_options_free(sopt);
  xmppim_callbacks_free(cb);
  int rv = xmppim_tls_server_new(&d->server.t, d->server.s, scfg, mem);
  if (rv) return rv;
  return xmppim_tls_client_new(&d->client.t, d->client.s, ccfg, mem);
}

static void duo_free(duo *d) {
  xmppim_tls_free(d->client.t);
  xmppim_tls_free(d->server.t);
  xmppim_session_free(d->client.s);
  xmppim_session_free(d->server.s);
}

static size_t chunk; /* bytes moved at once; 0 = all */

static size_t move(side *from, side *to) {
  const char *p;
  size_t n = xmppim_tls_output(from->t, &p);
  if (!n) return 0;
  if (chunk && n > chunk) n = chunk;
  long r = xmppim_tls_feed(to->t, p, n);
  if (r < 0) {
    to->feed_error = r;
    xmppim_tls_consumed(from->t, n); /* lost, as on a dropped connection */
    return 0;
  }
  xmppim_tls_consumed(from->t, (size_t)r);
  return (size_t)r;
}

static void pump(duo *d) {
  for (int i = 0; i < 10000; i++) {
    size_t moved = move(&d->client, &d->server) + move(&d->server, &d->client);
    if (!moved || d->client.feed_error || d->server.feed_error) break;
  }
}

static void assert_logged_in(duo *d, const char *version) {
  if (d->client.feed_error || d->server.feed_error)
    fprintf(stderr, "client: %s / server: %s\n", xmppim_tls_error_text(d->client.t),
            xmppim_tls_error_text(d->server.t));
  assert_int_equal(d->client.feed_error, 0);
  assert_int_equal(d->server.feed_error, 0);
  assert_true(d->client.ready);
  assert_true(d->server.ready);
  assert_true(xmppim_tls_is_established(d->client.t));
  assert_true(xmppim_tls_is_established(d->server.t));
  assert_string_equal(xmppim_tls_version(d->client.t), version);
  assert_string_equal(xmppim_tls_version(d->server.t), version);
  assert_true(xmppim_session_is_secure(d->client.s));
  /* Both sides agreed on channel binding: SCRAM-SHA-256-PLUS. */
  assert_int_equal(xmppim_session_mechanism(d->client.s), XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS);
  assert_int_equal(xmppim_session_mechanism(d->server.s), XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS);
  assert_string_equal(xmppim_tls_error_text(d->client.t), "");
}

/* A STARTTLS handshake between the two configs that must end logged in over TLS 1.3. */
static void log_in(duo *d, xmppim_tls_config *ccfg, xmppim_tls_config *scfg) {
  assert_int_equal(duo_init(d, ccfg, scfg, NULL), 0);
  pump(d);
  assert_logged_in(d, "TLS1.3");
}

static void expect_logged_in(xmppim_tls_config *ccfg, xmppim_tls_config *scfg) {
  duo d;
  log_in(&d, ccfg, scfg);
  duo_free(&d);
}

static void run(const char *client_priority, const char *server_priority, const char *version) {
  xmppim_tls_config *ccfg = client_config(), *scfg = server_config(cert_file);
  if (client_priority) assert_int_equal(xmppim_tls_config_set_priority(ccfg, client_priority), 0);
  if (server_priority) assert_int_equal(xmppim_tls_config_set_priority(scfg, server_priority), 0);
  duo d;
  assert_int_equal(duo_init(&d, ccfg, scfg, NULL), 0);
  /* The adapters keep the credentials: the configs may go now. */
  xmppim_tls_config_free(ccfg);
  xmppim_tls_config_free(scfg);
  pump(&d);
  assert_logged_in(&d, version);
  duo_free(&d);
}

static void starttls_tls13_scram_plus(void **state) {
  (void)state;
  run(NULL, NULL, "TLS1.3");
}

static void small_pieces(void **state) {
  (void)state;
  for (chunk = 1; chunk < 40; chunk += 13) run(NULL, NULL, "TLS1.3");
  chunk = 5;
  run(NULL, "NORMAL:-VERS-ALL:+VERS-TLS1.2", "TLS1.2");
  chunk = 0;
}

static void starttls_tls12_scram_plus(void **state) {
  (void)state;
  run(NULL, "NORMAL:-VERS-ALL:+VERS-TLS1.2", "TLS1.2");
  run("NORMAL:-VERS-ALL:+VERS-TLS1.2", NULL, "TLS1.2");
}

/* A server that hands tls-unique only: no -PLUS mechanism under TLS 1.3
 * (the client logs in without binding, which is no downgrade since none
 * was offered), SCRAM-SHA-256-PLUS under TLS 1.2. */
static void server_binding_unique_only(void **state) {
  (void)state;
  for (int v12 = 0; v12 < 2; v12++) {
    xmppim_tls_config *ccfg = client_config(), *scfg = server_config(cert_file);
    assert_int_equal(xmppim_tls_config_set_channel_bindings(scfg, 4), XMPPIM_ERR_INVALID_ARGUMENT);
    assert_int_equal(xmppim_tls_config_set_channel_bindings(scfg, XMPPIM_TLS_BINDING_UNIQUE), 0);
    if (v12) assert_int_equal(xmppim_tls_config_set_priority(scfg, "NORMAL:-VERS-ALL:+VERS-TLS1.2"), 0);
    duo d;
    assert_int_equal(duo_init(&d, ccfg, scfg, NULL), 0);
    xmppim_tls_config_free(ccfg);
    xmppim_tls_config_free(scfg);
    pump(&d);
    assert_true(d.client.ready && d.server.ready);
    assert_string_equal(xmppim_tls_version(d.server.t), v12 ? "TLS1.2" : "TLS1.3");
    assert_int_equal(xmppim_session_mechanism(d.server.s),
                     v12 ? XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS : XMPPIM_SASL_MECH_SCRAM_SHA_256);
    duo_free(&d);
  }
}

static void tls11_refused(void **state) {
  (void)state;
  xmppim_tls_config *ccfg = client_config(), *scfg = server_config(cert_file);
  assert_int_equal(xmppim_tls_config_set_priority(scfg, "NORMAL:-VERS-ALL:+VERS-TLS1.1"), 0);
  duo d;
  assert_int_equal(duo_init(&d, ccfg, scfg, NULL), 0);
  pump(&d);
  assert_false(d.client.ready);
  assert_true(d.client.feed_error == XMPPIM_ERR_TLS || d.server.feed_error == XMPPIM_ERR_TLS);
  assert_false(xmppim_tls_is_established(d.client.t));
  duo_free(&d);
  /* Both sides configured for TLS 1.1 only: the adapters refuse it after the handshake. */
  assert_int_equal(xmppim_tls_config_set_priority(ccfg, "NORMAL:-VERS-ALL:+VERS-TLS1.1"), 0);
  assert_int_equal(duo_init(&d, ccfg, scfg, NULL), 0);
  pump(&d);
  assert_non_null(strstr(xmppim_tls_error_text(d.client.t), "TLS1.1 refused"));
  assert_non_null(strstr(xmppim_tls_error_text(d.server.t), "TLS1.1 refused"));
  assert_false(d.client.ready);
  assert_false(d.server.ready);
  assert_false(xmppim_tls_is_established(d.client.t));
  assert_false(xmppim_tls_is_established(d.server.t));
  assert_false(xmppim_session_is_secure(d.client.s));
  duo_free(&d);
  xmppim_tls_config_free(ccfg);
  xmppim_tls_config_free(scfg);
}

/* Runs a STARTTLS handshake that the client must refuse, with an error text containing `text`. */
static void expect_refused(xmppim_tls_config *ccfg, const char *cert, const char *text) {
  xmppim_tls_config *scfg = server_config(cert);
  duo d;
  assert_int_equal(duo_init(&d, ccfg, scfg, NULL), 0);
  pump(&d);
  assert_int_equal(d.client.feed_error, XMPPIM_ERR_TLS_VERIFY);
  assert_false(d.client.ready);
  assert_false(d.server.ready);
  assert_false(xmppim_tls_is_established(d.client.t));
  const char *err = xmppim_tls_error_text(d.client.t);
  if (!strstr(err, text)) fail_msg("error text '%s' lacks '%s'", err, text);
  /* The client told the server with an alert. */
  assert_int_equal(xmppim_tls_feed(d.client.t, "x", 1), XMPPIM_ERR_INVALID_STATE);
  assert_int_equal(xmppim_tls_want_read(d.client.t), 0);
  const char *p;
  size_t n = xmppim_tls_output(d.client.t, &p);
  if (n) {
    assert_true(xmppim_tls_feed(d.server.t, p, n) < 0);
    assert_true(strstr(xmppim_tls_error_text(d.server.t), "alert") != NULL);
  }
  duo_free(&d);
  xmppim_tls_config_free(scfg);
}

static void wrong_domain_refused(void **state) {
  (void)state;
  /* The certificate's CN is example.net but its SAN is example.com: no CN fallback. */
  xmppim_tls_config *ccfg = client_config();
  assert_int_equal(xmppim_tls_config_set_domain(ccfg, "example.net"), 0);
  expect_refused(ccfg, cert_file, "example.net");
  xmppim_tls_config_free(ccfg);
}

static void expired_refused(void **state) {
  (void)state;
  xmppim_tls_config *ccfg = client_config();
  expect_refused(ccfg, expired_file, "expired");
  xmppim_tls_config_free(ccfg);
}

static void unknown_ca_refused(void **state) {
  (void)state;
  /* The system trust store does not know the test CA. */
  xmppim_tls_config *ccfg;
  assert_int_equal(xmppim_tls_config_new(&ccfg), 0);
  expect_refused(ccfg, cert_file, "verification failed");
  xmppim_tls_config_free(ccfg);
}

/* The certificate in 'cert' logs the default client in; for 'other_domain' it is refused. */
static void accepted_not_for(const char *cert, const char *other_domain) {
  xmppim_tls_config *ccfg = client_config(), *scfg = server_config(cert);
  expect_logged_in(ccfg, scfg);
  assert_int_equal(xmppim_tls_config_set_domain(ccfg, other_domain), 0);
  expect_refused(ccfg, cert, other_domain);
  xmppim_tls_config_free(ccfg);
  xmppim_tls_config_free(scfg);
}

static void xmppaddr_accepted(void **state) {
  (void)state;
  /* The dNSName of the same certificate is host.other.test, not this one. */
  accepted_not_for(xmppaddr_file, "example.org");
}

static void srv_id_accepted(void **state) {
  (void)state;
  accepted_not_for(srv_file, "other.test");
}

static void idn_domain(void **state) {
  (void)state;
  /* The certificate names xn--bcher-kva.example; the domain is given in UTF-8. */
  xmppim_tls_config *ccfg = client_config(), *scfg = server_config(cert_file);
  assert_int_equal(xmppim_tls_config_set_domain(ccfg, "b\xc3\xbc" "cher.example"), 0);
  expect_logged_in(ccfg, scfg);
  xmppim_tls_config_free(ccfg);
  xmppim_tls_config_free(scfg);
}

static void skip_verify_connects(void **state) {
  (void)state;
  xmppim_tls_config *ccfg, *scfg = server_config(cert_file);
  assert_int_equal(xmppim_tls_config_new(&ccfg), 0);
  assert_int_equal(xmppim_tls_config_set_insecure_skip_verify(ccfg, 1), 0);
  assert_int_equal(xmppim_tls_config_set_domain(ccfg, "example.net"), 0);
  expect_logged_in(ccfg, scfg);
  xmppim_tls_config_free(ccfg);
  xmppim_tls_config_free(scfg);
}

static void direct_tls(void **state) {
  (void)state;
  xmppim_tls_config *ccfg = client_config(), *scfg = server_config(cert_file);
  duo d;
  assert_int_equal(duo_init(&d, ccfg, scfg, NULL), 0);
  assert_int_equal(xmppim_tls_start(d.client.t), 0);
  assert_int_equal(xmppim_tls_start(d.server.t), 0);
  assert_int_equal(xmppim_tls_start(d.client.t), XMPPIM_ERR_INVALID_STATE);
  /* The first bytes on the wire are a TLS handshake record, not XML. */
  const char *p;
  size_t n = xmppim_tls_output(d.client.t, &p);
  assert_true(n > 5);
  assert_int_equal((unsigned char)p[0], 0x16);
  pump(&d);
  assert_logged_in(&d, "TLS1.3");
  duo_free(&d);
  xmppim_tls_config_free(ccfg);
  xmppim_tls_config_free(scfg);
}

static void garbage_fails_cleanly(void **state) {
  (void)state;
  xmppim_tls_config *ccfg = client_config(), *scfg = server_config(cert_file);
  /* Before the handshake: a server expecting direct TLS gets HTTP. */
  duo d;
  assert_int_equal(duo_init(&d, ccfg, scfg, NULL), 0);
  assert_int_equal(xmppim_tls_start(d.server.t), 0);
  static const char http[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
  long r = xmppim_tls_feed(d.server.t, http, sizeof(http) - 1);
  assert_true(r == XMPPIM_ERR_TLS);
  assert_true(xmppim_tls_error_text(d.server.t)[0] != '\0');
  assert_int_equal(xmppim_tls_want_read(d.server.t), 0);
  duo_free(&d);

  /* After it: records that do not decrypt. */
  log_in(&d, ccfg, scfg);
  unsigned char junk[300];
  junk[0] = 0x17, junk[1] = 3, junk[2] = 3, junk[3] = 1, junk[4] = 0x20;
  for (size_t i = 5; i < sizeof(junk); i++) junk[i] = (unsigned char)(i * 7);
  r = xmppim_tls_feed(d.client.t, junk, sizeof(junk));
  assert_int_equal(r, XMPPIM_ERR_TLS);
  assert_true(xmppim_tls_error_text(d.client.t)[0] != '\0');
  /* The alert goes out; the server reads it as a fatal alert. */
  pump(&d);
  assert_int_equal(d.server.feed_error, XMPPIM_ERR_TLS);
  duo_free(&d);
  xmppim_tls_config_free(ccfg);
  xmppim_tls_config_free(scfg);
}

static void pause_and_resume(void **state) {
  (void)state;
  xmppim_tls_config *ccfg = client_config(), *scfg = server_config(cert_file);
  duo d;
  log_in(&d, ccfg, scfg);
  xmppim_stanza *m;
  assert_int_equal(xmppim_stanza_new(&m, NULL, "message", "jabber:client"), 0);
  assert_int_equal(xmppim_stanza_set_attr(m, "to", "romeo@example.net"), 0);
  for (int i = 0; i < 3; i++) assert_int_equal(xmppim_session_send(d.client.s, m), 0);
  xmppim_stanza_free(m);
  /* The three stanzas travel in one record; the server pauses after the first two. */
  d.server.pause = 2;
  const char *p;
  size_t n = xmppim_tls_output(d.client.t, &p);
  assert_true(n > 0);
  assert_int_equal(xmppim_tls_feed(d.server.t, p, n), (long)n);
  xmppim_tls_consumed(d.client.t, n);
  assert_int_equal(d.server.stanzas, 1);
  assert_true(xmppim_tls_pending(d.server.t));
  assert_int_equal(xmppim_tls_feed(d.server.t, NULL, 0), 0);
  assert_int_equal(d.server.stanzas, 2);
  assert_true(xmppim_tls_pending(d.server.t));
  assert_int_equal(xmppim_tls_feed(d.server.t, NULL, 0), 0);
  assert_int_equal(d.server.stanzas, 3);
  assert_false(xmppim_tls_pending(d.server.t));
  duo_free(&d);
  xmppim_tls_config_free(ccfg);
  xmppim_tls_config_free(scfg);
}

static void large_stanza(void **state) {
  (void)state;
  xmppim_tls_config *ccfg = client_config(), *scfg = server_config(cert_file);
  duo d;
  log_in(&d, ccfg, scfg);
  /* 200 KB: many records, past the adapter's 64 KiB high-water mark. */
  size_t size = 200000;
  char *text = malloc(size + 1);
  assert_non_null(text);
  for (size_t i = 0; i < size; i++) text[i] = (char)('a' + i % 26);
  text[size] = '\0';
  xmppim_stanza *m, *body;
  assert_int_equal(xmppim_stanza_new(&m, NULL, "message", "jabber:client"), 0);
  assert_int_equal(xmppim_stanza_set_attr(m, "to", "romeo@example.net"), 0);
  assert_int_equal(xmppim_stanza_add_child(m, "body", NULL, &body), 0);
  assert_int_equal(xmppim_stanza_add_text(body, text, size), 0);
  for (int i = 0; i < 2; i++) assert_int_equal(xmppim_session_send(d.client.s, m), 0);
  xmppim_stanza_free(m);
  free(text);
  pump(&d);
  assert_int_equal(d.server.stanzas, 2);
  assert_int_equal(d.server.feed_error, 0);
  duo_free(&d);
  xmppim_tls_config_free(ccfg);
  xmppim_tls_config_free(scfg);
}

/* Whitespace after <starttls/>, in the same read and in a read of its
 * own, before the client's first TLS record (go-xmpp writes a newline
 * after the element): it is the XML stream's, skipped, not fed to TLS. */
static void whitespace_before_first_record(void **state) {
  (void)state;
  xmppim_tls_config *ccfg = client_config(), *scfg = server_config(cert_file);
  duo d;
  assert_int_equal(duo_init(&d, ccfg, scfg, NULL), 0);
  int sent = 0;
  for (int i = 0; i < 100 && !sent; i++) {
    const char *p;
    size_t n = xmppim_tls_output(d.client.t, &p);
    if (n) {
      char buf[4096];
      assert_true(n + 2 < sizeof(buf));
      memcpy(buf, p, n);
      buf[n] = '\0';
      xmppim_tls_consumed(d.client.t, n);
      if (strstr(buf, "<starttls")) {
        buf[n++] = '\n';
        sent = 1;
      }
      assert_int_equal(xmppim_tls_feed(d.server.t, buf, n), (long)n);
      if (sent) assert_int_equal(xmppim_tls_feed(d.server.t, " \r\n\t", 4), 4);
    }
    move(&d.server, &d.client);
  }
  assert_true(sent);
  pump(&d);
  assert_logged_in(&d, "TLS1.3");
  duo_free(&d);
  xmppim_tls_config_free(ccfg);
  xmppim_tls_config_free(scfg);
}

static void bytes_after_proceed_are_tls(void **state) {
  (void)state;
  /* The server's <proceed/> and, in the same read, a TLS alert record: the
   * alert must reach TLS, not the XML parser. */
  xmppim_tls_config *ccfg = client_config(), *scfg = server_config(cert_file);
  duo d;
  assert_int_equal(duo_init(&d, ccfg, scfg, NULL), 0);
  static const char alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28}; /* fatal handshake_failure */
  long r = 0;
  for (int i = 0; i < 100 && !r; i++) {
    move(&d.client, &d.server);
    const char *p;
    size_t n = xmppim_tls_output(d.server.t, &p);
    if (!n) break;
    char buf[4096];
    assert_true(n + sizeof(alert) < sizeof(buf));
    memcpy(buf, p, n);
    buf[n] = '\0';
    int proceed = strstr(buf, "<proceed") != NULL && buf[n - 1] == '>';
    if (proceed) memcpy(buf + n, alert, sizeof(alert));
    xmppim_tls_consumed(d.server.t, n);
    r = xmppim_tls_feed(d.client.t, buf, n + (proceed ? sizeof(alert) : 0));
    if (!proceed) {
      assert_int_equal(r, (long)n);
      r = 0;
    }
  }
  assert_int_equal(r, XMPPIM_ERR_TLS);
  const char *err = xmppim_tls_error_text(d.client.t);
  if (!strstr(err, "alert")) fail_msg("error text '%s'", err);
  assert_int_equal(xmppim_session_state_get(d.client.s), XMPPIM_STATE_TLS);
  duo_free(&d);
  xmppim_tls_config_free(ccfg);
  xmppim_tls_config_free(scfg);
}

static void close_notify(void **state) {
  (void)state;
  xmppim_tls_config *ccfg = client_config(), *scfg = server_config(cert_file);
  duo d;
  log_in(&d, ccfg, scfg);
  assert_int_equal(xmppim_session_close(d.client.s), 0);
  pump(&d);
  assert_true(d.server.closed);
  assert_int_equal(xmppim_tls_close(d.server.t), 0);
  assert_int_equal(xmppim_tls_close(d.server.t), XMPPIM_ERR_INVALID_STATE);
  pump(&d);
  assert_true(d.client.closed);
  assert_int_equal(d.client.feed_error, 0);
  assert_int_equal(xmppim_tls_want_read(d.client.t), 0);
  assert_int_equal(xmppim_tls_want_write(d.server.t), 0);
  duo_free(&d);
  xmppim_tls_config_free(ccfg);
  xmppim_tls_config_free(scfg);
}

static void bad_config(void **state) {
  (void)state;
  xmppim_tls_config *cfg;
  assert_int_equal(xmppim_tls_config_new(&cfg), 0);
  assert_int_equal(xmppim_tls_config_set_ca_file(cfg, "/nonexistent/ca.pem"),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_true(strstr(xmppim_tls_config_error_text(cfg), "/nonexistent/ca.pem") != NULL);
  assert_int_equal(xmppim_tls_config_set_cert_key_files(cfg, cert_file, "/nonexistent.key"),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_tls_config_set_priority(cfg, "NORMAL:+NO-SUCH-THING"),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_tls_config_set_domain(cfg, ""), XMPPIM_ERR_INVALID_ARGUMENT);
  /* A server needs a certificate; roles must match the session's. */
  duo d;
  assert_int_equal(duo_init(&d, cfg, cfg, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_tls_client_new(&d.client.t, d.server.s, cfg, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  duo_free(&d);
  xmppim_tls_config_free(cfg);
}

static void allocation_failures(void **state) {
  (void)state;
  xmppim_tls_config *ccfg = client_config(), *scfg = server_config(cert_file);
  int completed = 0;
  long fm_runs = 0;
  for (long n = 1; n < 2000 && !completed; n++) {
    failing_mem fm;
    failing_mem_init(&fm, n);
    fm_runs = n;
    duo d;
    int rv = duo_init(&d, ccfg, scfg, &fm.mem);
    if (rv == 0) {
      pump(&d);
      if (fm.count < n) {
        completed = 1;
        assert_logged_in(&d, "TLS1.3");
      } else if (!d.client.ready || !d.server.ready) {
        /* A failure shows as a feed error or, when output() ran into it, in the text. */
        const char *ct = xmppim_tls_error_text(d.client.t), *st = xmppim_tls_error_text(d.server.t);
        if (!(d.client.feed_error < 0 || d.server.feed_error < 0 || strstr(ct, "memory") ||
              strstr(st, "memory")))
          fail_msg("allocation %ld: no error (client '%s', server '%s')", n, ct, st);
      }
    } else {
      assert_int_equal(rv, XMPPIM_ERR_NOMEM);
    }
    duo_free(&d);
    assert_int_equal(fm.live, 0);
  }
  assert_true(completed);
  assert_true(fm_runs > 10); /* the adapters' allocations were each failed */
  xmppim_tls_config_free(ccfg);
  xmppim_tls_config_free(scfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(starttls_tls13_scram_plus),
      cmocka_unit_test(starttls_tls12_scram_plus),
      cmocka_unit_test(server_binding_unique_only),
      cmocka_unit_test(small_pieces),
      cmocka_unit_test(tls11_refused),
      cmocka_unit_test(wrong_domain_refused),
      cmocka_unit_test(expired_refused),
      cmocka_unit_test(unknown_ca_refused),
      cmocka_unit_test(xmppaddr_accepted),
      cmocka_unit_test(srv_id_accepted),
      cmocka_unit_test(idn_domain),
      cmocka_unit_test(skip_verify_connects),
      cmocka_unit_test(direct_tls),
      cmocka_unit_test(garbage_fails_cleanly),
      cmocka_unit_test(pause_and_resume),
      cmocka_unit_test(large_stanza),
      cmocka_unit_test(bytes_after_proceed_are_tls),
      cmocka_unit_test(whitespace_before_first_record),
      cmocka_unit_test(close_notify),
      cmocka_unit_test(bad_config),
      cmocka_unit_test(allocation_failures),
  };
  return cmocka_run_group_tests_name("tls", tests, make_certificates, remove_certificates);
}
