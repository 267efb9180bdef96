/*
 * What the SASL sources share among themselves: SASLprep, the SCRAM
 * primitives on GnuTLS, constant-time comparison and wiping, nonces, the
 * SCRAM attribute syntax. Not used outside lib/session/sasl/ (the unit tests
 * excepted).
 */
#ifndef XMPPIM_SESSION_SASL_INTERNAL_H
#define XMPPIM_SESSION_SASL_INTERNAL_H

#include <stddef.h>
#include <xmppim/common.h>
#include <xmppim/sasl.h>

/* Longest hash output we handle (SHA-256 today; room as in the credentials). */
#define SASL_HASH_MAX XMPPIM_SCRAM_KEY_MAX

/* Random nonce: 18 bytes, 24 characters of base64 (no ',' in that alphabet). */
#define SASL_NONCE_RANDOM_BYTES 18
#define SASL_NONCE_LEN 24
/* Longest nonce (ours, when injected) accepted. */
#define SASL_NONCE_MAX 256

/* Room for the explanation of a failure. */
#define SASL_ERROR_MAX 160

/* ------------------------------------------------------------ SASLprep */

/*
 * SASLprep (RFC 4013) as a query string (unassigned code points allowed) of
 * len bytes of UTF-8 (need not be NUL-terminated). On success *out is a new
 * NUL-terminated string from mem and *out_len its length; the caller frees
 * it with xmppim_sasl_free_secret(). Returns 0; XMPPIM_ERR_BAD_UTF8;
 * XMPPIM_ERR_INVALID_ARGUMENT when the input is empty, holds a prohibited
 * character (NUL included), breaks the bidi rules, or maps to nothing;
 * XMPPIM_ERR_NOMEM; XMPPIM_ERR_INTERNAL.
 *
 * ASCII input is checked here without libidn (for ASCII the profile reduces
 * to "no control characters": no ASCII character is mapped, NFKC leaves
 * ASCII alone and the bidi rules cannot trigger; the unit tests compare the
 * two for every ASCII character); other input goes through libidn's
 * stringprep_4i() with its SASLprep profile on code points we decode and
 * encode ourselves, so that our allocator pays for the buffers. libidn still
 * mallocs one temporary for NFKC, which we cannot wipe.
 */
int xmppim_saslprep(const xmppim_mem *mem, const char *in, size_t len, char **out,
                    size_t *out_len);

/* Nonzero when s[0..len) is strict UTF-8 (RFC 3629) without any NUL. */
int xmppim_sasl_utf8_valid(const unsigned char *s, size_t len);

/* ------------------------------------------------------------- memory */

/* Zeroes n bytes in a way the compiler may not drop as a dead store. */
void xmppim_sasl_wipe(void *p, size_t n);

/* Wipes len bytes at p, then frees p through mem. p may be NULL. */
void xmppim_sasl_free_secret(const xmppim_mem *mem, void *p, size_t len);

/*
 * Nonzero when the n bytes at a and b are equal, in time that depends on n
 * only: a proof or signature compared with memcmp() would tell an attacker
 * through timing how many leading bytes were right.
 */
int xmppim_sasl_ct_equal(const void *a, const void *b, size_t n);

/* A nonzero value when mem is usable (malloc and free present) or NULL. */
int xmppim_sasl_mem_usable(const xmppim_mem *mem);

/*
 * Nonzero when a channel-binding descriptor is usable: a type name of 1 to
 * 64 letters, digits, '.' and '-' (RFC 5056 section 7), and 1 to
 * XMPPIM_SASL_CB_DATA_MAX bytes of data.
 */
int xmppim_sasl_cb_valid(const xmppim_sasl_channel_binding *cb);

/* --------------------------------------------------------------- SCRAM */

/* out = HMAC-H(key, data), xmppim_scram_key_len(h) bytes. 0 or XMPPIM_ERR_INTERNAL. */
int xmppim_scram_hmac(xmppim_scram_hash h, const void *key, size_t keylen, const void *data,
                      size_t len, unsigned char *out);

/* out = H(data). 0 or XMPPIM_ERR_INTERNAL. */
int xmppim_scram_hash_bytes(xmppim_scram_hash h, const void *data, size_t len,
                            unsigned char *out);

/*
 * From SaltedPassword, the client's keys: ClientKey, StoredKey = H(ClientKey)
 * and ServerKey (any output pointer may be NULL). 0 or XMPPIM_ERR_INTERNAL.
 */
int xmppim_scram_keys(xmppim_scram_hash h, const unsigned char *salted,
                      unsigned char *client_key, unsigned char *stored_key,
                      unsigned char *server_key);

/*
 * SaltedPassword = Hi(password, salt, i) = PBKDF2 with HMAC-H (RFC 5802
 * section 2.2), on an already prepared password. 0 or XMPPIM_ERR_INTERNAL.
 */
int xmppim_scram_salted_password(xmppim_scram_hash h, const char *password, size_t password_len,
                                 const unsigned char *salt, size_t salt_len, unsigned iterations,
                                 unsigned char *out);

/*
 * The made-up salt for an unknown user: HMAC-SHA-256 under a secret drawn
 * once per process, of the hash and the user name, so that it is the same
 * at each attempt (as a real user's) yet unguessable. Writes len bytes
 * (at most 32). 0 or XMPPIM_ERR_INTERNAL (no randomness).
 */
int xmppim_scram_dummy_salt(xmppim_scram_hash h, const char *authcid, unsigned char *out,
                            size_t len);

/* A fresh random nonce: SASL_NONCE_LEN characters and a NUL into out. 0 or XMPPIM_ERR_INTERNAL. */
int xmppim_sasl_random_nonce(char out[SASL_NONCE_LEN + 1]);

/* Nonzero when s[0..len) is a valid nonce: 1+ characters of RFC 5802 "printable" (%x21-2B / %x2D-7E). */
int xmppim_sasl_nonce_valid(const char *s, size_t len);

/*
 * RFC 5802 saslname escaping: ',' becomes "=2C" and '=' becomes "=3D". The
 * result, NUL-terminated, comes from mem; NULL on ENOMEM.
 */
char *xmppim_scram_escape(const xmppim_mem *mem, const char *s, size_t len, size_t *out_len);

/*
 * The reverse: "=2C" and "=3D" become ',' and '='; any other '=' is an
 * error (RFC 5802 section 5.1 "MUST fail"). The empty string is an error
 * too (saslname = 1*...). Result NUL-terminated, from mem.
 * Returns 0, XMPPIM_ERR_INVALID_ARGUMENT (bad escape or empty) or XMPPIM_ERR_NOMEM.
 */
int xmppim_scram_unescape(const xmppim_mem *mem, const char *s, size_t len, char **out,
                          size_t *out_len);

/* One "x=value" attribute of a SCRAM message. */
typedef struct scram_attr {
  char name;
  const char *value;
  size_t len;
  size_t offset; /* of the name within the message */
} scram_attr;

/* Most attributes a message may have; extensions past this are malformed. */
#define SCRAM_ATTRS_MAX 16

/*
 * Splits len bytes at s into ','-separated attributes, each an ASCII letter,
 * '=', then a value (possibly empty: callers check). Returns the count, or
 * -1 when a piece is not of that form or there are more than max.
 */
int xmppim_scram_split(const char *s, size_t len, scram_attr *attrs, int max);

/* Parses a positive decimal without sign or leading zero into *out; nonzero on success. */
int xmppim_scram_parse_uint(const char *s, size_t len, unsigned *out);

/*
 * Maps a SCRAM server-error value (RFC 5802 section 7, e=) to the XMPP
 * condition a client reports: invalid-encoding and invalid-username-encoding
 * to incorrect-encoding / malformed-request, extensions-not-supported to
 * malformed-request, no-resources to temporary-auth-failure, anything else
 * (invalid-proof, unknown-user, channel-binding errors, other-error, values
 * not yet registered) to not-authorized.
 */
xmppim_sasl_condition xmppim_scram_server_error_condition(const char *value, size_t len);

#endif
