/*
 * The server's own certificate when none is configured: a self-signed one
 * for the domain, made once with GnuTLS and kept in the data directory, so
 * that clients which accepted (pinned) it keep seeing the same one.
 */
#ifndef XS_CERT_H
#define XS_CERT_H

#include <stddef.h>

/* How long a generated certificate is valid. */
#define XS_CERT_VALID_DAYS 825

/*
 * Makes sure cert_path and key_path hold a certificate for domain and its
 * key: when both files exist they are left alone (*generated = 0); when
 * neither does, an ECDSA P-256 key (file mode 0600) and a self-signed
 * certificate naming the domain (subjectAltName dNSName or IP address, and
 * XmppAddr) are written (*generated = 1). Only one of the two existing is
 * an error: the operator has to sort that out.
 * return 0, or -1 with a one-line reason in err.
 */
int xs_cert_ensure(const char *domain, const char *cert_path, const char *key_path, int *generated,
                   char *err, size_t errlen);

/* The SHA-256 fingerprint of the first certificate in a PEM file, as
 * "AB:CD:...", for the operator to compare with what a client shows.
 * return 0, or -1. */
int xs_cert_fingerprint(const char *cert_path, char *out, size_t outlen);

#endif /* XS_CERT_H */
