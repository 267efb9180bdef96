#include "cert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* id-on-xmppAddr (RFC 6120 section 13.7.1.4) */
#define OID_XMPP_ADDR "1.3.6.1.5.5.7.8.5"

static int fail(char *err, size_t errlen, const char *what, int gnutls_rc) {
  snprintf(err, errlen, "%s: %s", what, gnutls_rc ? gnutls_strerror(gnutls_rc) : strerror(errno));
  return -1;
}

/* Writes a whole file through a temporary name and a rename, so that a
 * crash never leaves half a key behind. */
static int write_file(const char *path, const gnutls_datum_t *d, mode_t mode, char *err, size_t errlen) {
  char tmp[4096];
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
    snprintf(err, errlen, "%s: path too long", path);
    return -1;
  }
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
    return -1;
  }
  size_t done = 0;
  while (done < d->size) {
    ssize_t w = write(fd, d->data + done, d->size - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
      close(fd);
      unlink(tmp);
      return -1;
    }
    done += (size_t)w;
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
    unlink(tmp);
    return -1;
  }
  if (rename(tmp, path) != 0) {
    snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    unlink(tmp);
    return -1;
  }
  return 0;
}

/* The subject alternative names: an IP literal as an IP address, anything
 * else as a DNS name in its ASCII (A-label) form, and the domain as an
 * XmppAddr in UTF-8 either way. */
static int set_names(gnutls_x509_crt_t crt, const char *domain, char *err, size_t errlen) {
  unsigned char ip[16];
  char literal[64];
  int rc;
  size_t dlen = strlen(domain);
  if (dlen > 2 && domain[0] == '[' && domain[dlen - 1] == ']' && dlen - 2 < sizeof literal) {
    memcpy(literal, domain + 1, dlen - 2);
    literal[dlen - 2] = '\0';
  } else {
    snprintf(literal, sizeof literal, "%s", domain);
  }
  if (inet_pton(AF_INET, literal, ip) == 1) {
    rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4, GNUTLS_FSAN_APPEND);
  } else if (inet_pton(AF_INET6, literal, ip) == 1) {
    rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 16, GNUTLS_FSAN_APPEND);
  } else {
    gnutls_datum_t ascii = {NULL, 0};
    rc = gnutls_idna_map(domain, (unsigned)dlen, &ascii, 0);
    if (rc < 0) return fail(err, errlen, "cannot convert the domain to ASCII", rc);
    rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, ascii.data, ascii.size,
                                              GNUTLS_FSAN_APPEND);
    gnutls_free(ascii.data);
  }
  if (rc < 0) return fail(err, errlen, "cannot set the certificate's names", rc);
  rc = gnutls_x509_crt_set_subject_alt_othername(crt, OID_XMPP_ADDR, domain, (unsigned)dlen,
                                                 GNUTLS_FSAN_APPEND | GNUTLS_FSAN_ENCODE_UTF8_STRING);
  if (rc < 0) return fail(err, errlen, "cannot set the certificate's XmppAddr", rc);
  return 0;
}

static int generate(const char *domain, const char *cert_path, const char *key_path, char *err, size_t errlen) {
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t pem = {NULL, 0};
  int rv = -1, rc;
  if ((rc = gnutls_x509_privkey_init(&key)) < 0 ||
      (rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                         GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0) {
    fail(err, errlen, "cannot generate a key", rc);
    goto out;
  }
  if ((rc = gnutls_x509_crt_init(&crt)) < 0) {
    fail(err, errlen, "cannot create a certificate", rc);
    goto out;
  }
  unsigned char serial[16];
  if ((rc = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial)) < 0) {
    fail(err, errlen, "no random serial number", rc);
    goto out;
  }
  serial[0] &= 0x7f; /* a positive INTEGER, as RFC 5280 4.1.2.2 asks */
  serial[0] |= 0x01;
  time_t now = time(NULL);
  if ((rc = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
      (rc = gnutls_x509_crt_set_serial(crt, serial, sizeof serial)) < 0 ||
      (rc = gnutls_x509_crt_set_activation_time(crt, now - 3600)) < 0 ||
      (rc = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)XS_CERT_VALID_DAYS * 86400)) < 0 ||
      (rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, domain,
                                          (unsigned)strlen(domain))) < 0 ||
      (rc = gnutls_x509_crt_set_key(crt, key)) < 0 ||
      (rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
      (rc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
      (rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0) {
    fail(err, errlen, "cannot fill in the certificate", rc);
    goto out;
  }
  if (set_names(crt, domain, err, errlen) != 0) goto out;
  if ((rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0) {
    fail(err, errlen, "cannot sign the certificate", rc);
    goto out;
  }
  /* The key first: a certificate without its key would be left alone next time. */
  if ((rc = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &pem)) < 0) {
    fail(err, errlen, "cannot export the key", rc);
    goto out;
  }
  if (write_file(key_path, &pem, 0600, err, errlen) != 0) goto out;
  gnutls_free(pem.data);
  pem.data = NULL;
  if ((rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem)) < 0) {
    fail(err, errlen, "cannot export the certificate", rc);
    unlink(key_path);
    goto out;
  }
  if (write_file(cert_path, &pem, 0644, err, errlen) != 0) {
    unlink(key_path);
    goto out;
  }
  rv = 0;
out:
  gnutls_free(pem.data);
  if (crt) gnutls_x509_crt_deinit(crt);
  if (key) gnutls_x509_privkey_deinit(key);
  return rv;
}

int xs_cert_ensure(const char *domain, const char *cert_path, const char *key_path, int *generated,
                   char *err, size_t errlen) {
  *generated = 0;
  int have_cert = access(cert_path, F_OK) == 0, have_key = access(key_path, F_OK) == 0;
  if (have_cert && have_key) return 0;
  if (have_cert != have_key) {
    snprintf(err, errlen, "%s exists but %s does not: remove the other one to have both made again",
             have_cert ? cert_path : key_path, have_cert ? key_path : cert_path);
    return -1;
  }
  if (generate(domain, cert_path, key_path, err, errlen) != 0) return -1;
  *generated = 1;
  return 0;
}

int xs_cert_fingerprint(const char *cert_path, char *out, size_t outlen) {
  gnutls_datum_t pem = {NULL, 0};
  gnutls_x509_crt_t crt = NULL;
  int rv = -1;
  if (gnutls_load_file(cert_path, &pem) < 0) return -1;
  if (gnutls_x509_crt_init(&crt) < 0) goto out;
  if (gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) < 0) goto out;
  unsigned char digest[32];
  size_t dlen = sizeof digest;
  if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, digest, &dlen) < 0) goto out;
  if (outlen < dlen * 3) goto out;
  for (size_t i = 0; i < dlen; i++) snprintf(out + 3 * i, 4, "%02X%s", digest[i], i + 1 < dlen ? ":" : "");
  rv = 0;
out:
  if (crt) gnutls_x509_crt_deinit(crt);
  gnutls_free(pem.data);
  return rv;
}
