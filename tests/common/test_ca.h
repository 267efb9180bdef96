/*
 * Test helper, header only: a throwaway CA and a server certificate for
 * example.com, written as PEM files into a temporary folder (ca_file,
 * cert_file, key_file), for the tests that run TLS over real sockets.
 * Include after <cmocka.h>, <gnutls/x509.h>, <stdio.h>, <string.h>,
 * <time.h>, <unistd.h>.
 */
#ifndef XMPPIM_TESTS_TEST_CA_H
#define XMPPIM_TESTS_TEST_CA_H

static char dir[64], ca_file[128], cert_file[128], key_file[128];

static void write_file(const char *path, const gnutls_datum_t *d) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(d->data, 1, d->size, f), d->size);
  assert_int_equal(fclose(f), 0);
}

static gnutls_x509_privkey_t new_key(void) {
  gnutls_x509_privkey_t key;
  assert_int_equal(gnutls_x509_privkey_init(&key), 0);
  assert_int_equal(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                                GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
                   0);
  return key;
}

static gnutls_x509_crt_t new_crt(gnutls_x509_privkey_t key, const char *dn, int ca, unsigned sn) {
  gnutls_x509_crt_t crt;
  assert_int_equal(gnutls_x509_crt_init(&crt), 0);
  gnutls_x509_crt_set_version(crt, 3);
  unsigned char serial[4] = {0, 0, 0, (unsigned char)sn};
  gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
  time_t now = time(NULL);
  gnutls_x509_crt_set_activation_time(crt, now - 3600);
  gnutls_x509_crt_set_expiration_time(crt, now + 86400);
  const char *err;
  assert_int_equal(gnutls_x509_crt_set_dn(crt, dn, &err), 0);
  assert_int_equal(gnutls_x509_crt_set_key(crt, key), 0);
  gnutls_x509_crt_set_basic_constraints(crt, ca, -1);
  if (ca) {
    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN);
  } else {
    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
    gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
  }
  return crt;
}

/* A CA and a certificate for example.com signed by it, in a new temporary
 * folder named after `tag`. */
static void test_ca_make(const char *tag, const char *ca_dn) {
  assert_int_equal(gnutls_global_init(), 0);
  snprintf(dir, sizeof dir, "/tmp/xmppim-%s-XXXXXX", tag);
  assert_non_null(mkdtemp(dir));
  snprintf(ca_file, sizeof ca_file, "%s/ca.pem", dir);
  snprintf(cert_file, sizeof cert_file, "%s/server.pem", dir);
  snprintf(key_file, sizeof key_file, "%s/server.key", dir);
  gnutls_x509_privkey_t ca_key = new_key(), key = new_key();
  gnutls_x509_crt_t ca = new_crt(ca_key, ca_dn, 1, 1);
  assert_int_equal(gnutls_x509_crt_sign2(ca, ca, ca_key, GNUTLS_DIG_SHA256, 0), 0);
  gnutls_x509_crt_t crt = new_crt(key, "CN=example.com", 0, 2);
  assert_int_equal(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "example.com",
                                                        strlen("example.com"), GNUTLS_FSAN_SET),
                   0);
  assert_int_equal(gnutls_x509_crt_sign2(crt, ca, ca_key, GNUTLS_DIG_SHA256, 0), 0);
  gnutls_datum_t d;
  assert_int_equal(gnutls_x509_crt_export2(ca, GNUTLS_X509_FMT_PEM, &d), 0);
  write_file(ca_file, &d);
  gnutls_free(d.data);
  assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d), 0);
  write_file(cert_file, &d);
  gnutls_free(d.data);
  assert_int_equal(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d), 0);
  write_file(key_file, &d);
  gnutls_free(d.data);
  gnutls_x509_crt_deinit(crt);
  gnutls_x509_crt_deinit(ca);
  gnutls_x509_privkey_deinit(key);
  gnutls_x509_privkey_deinit(ca_key);
}

static void test_ca_remove(void) {
  unlink(ca_file);
  unlink(cert_file);
  unlink(key_file);
  rmdir(dir);
  gnutls_global_deinit();
}

#endif
