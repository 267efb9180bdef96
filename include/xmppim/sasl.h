/**
 * @file sasl.h
 * @brief SASL for XMPP (RFC 6120 section 6): mechanism and failure names,
 * SCRAM stored credentials, channel binding, and the callbacks a server host
 * implements to check credentials.
 *
 * The session runs the SASL exchange itself; what a host deals with is
 * here:
 * - the names of the mechanisms the library implements and of the failure
 *   conditions a server may report, for configuration and logs;
 * - channel-binding data, which only the TLS layer can supply and which the
 *   -PLUS mechanisms tie the authentication to, so that a man in the middle
 *   who terminates TLS cannot relay the exchange;
 * - SCRAM stored credentials (RFC 5802 section 3): a server that keeps only
 *   these never holds a password, and a thief of its database cannot log in
 *   with them against another server; xmppim_scram_derive() makes them when
 *   a password is set;
 * - the callbacks a server gives to check a PLAIN password, to fetch a
 *   user's SCRAM credentials and to decide who may act for whom.
 *
 * Passwords and user names are prepared with SASLprep (RFC 4013) as "query"
 * strings, so code points unassigned in Unicode 3.2 are allowed: refusing
 * them would refuse every character added since 2002 (emoji included), and
 * client and server then agree on the bytes for every password either of
 * them accepts. Authorization identities are JIDs, prepared by the JID rules,
 * not by SASLprep.
 */
#ifndef XMPPIM_SASL_H
#define XMPPIM_SASL_H

#include <stddef.h>
#include <xmppim/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The SASL mechanisms libxmppim implements. SCRAM-SHA-1 and its -PLUS form
 * are mandatory to implement for XMPP (C13.8-a); the SHA-256 ones (RFC 7677)
 * are what a current deployment should prefer; PLAIN exists for interop over
 * TLS with certificate validation only (C13.8-b). The values are not an
 * order of preference: a client applies its own (C6.3.3-a).
 */
typedef enum xmppim_sasl_mechanism {
  /** Not a mechanism: what xmppim_sasl_mechanism_from_name() gives for names it does not know. */
  XMPPIM_SASL_MECH_UNKNOWN = 0,
  /** PLAIN (RFC 4616): the password in the clear, inside TLS. */
  XMPPIM_SASL_MECH_PLAIN,
  /** SCRAM-SHA-1 (RFC 5802), no channel binding. */
  XMPPIM_SASL_MECH_SCRAM_SHA_1,
  /** SCRAM-SHA-1-PLUS: SCRAM-SHA-1 bound to the TLS channel. */
  XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS,
  /** SCRAM-SHA-256 (RFC 7677), no channel binding. */
  XMPPIM_SASL_MECH_SCRAM_SHA_256,
  /** SCRAM-SHA-256-PLUS: SCRAM-SHA-256 bound to the TLS channel. */
  XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS
} xmppim_sasl_mechanism;

/**
 * The registered name of a mechanism, as it appears in `<mechanism/>` and in
 * the 'mechanism' attribute of `<auth/>`.
 * @return a static string, or NULL for #XMPPIM_SASL_MECH_UNKNOWN and values
 * outside the enumeration.
 */
XMPPIM_EXTERN const char *xmppim_sasl_mechanism_name(xmppim_sasl_mechanism mechanism);

/**
 * The mechanism a registered name stands for. SASL mechanism names are
 * upper case by definition (RFC 4422 section 3.1), so the comparison is
 * exact: "scram-sha-1" is not a name a peer may send.
 * @param name NUL-terminated; NULL is allowed.
 * @return the mechanism, or #XMPPIM_SASL_MECH_UNKNOWN for a name this
 * library does not implement (a client skips such an offer, C6.3.3-a).
 */
XMPPIM_EXTERN xmppim_sasl_mechanism xmppim_sasl_mechanism_from_name(const char *name);

/**
 * @return nonzero for the -PLUS mechanisms, which need channel-binding data
 * from the TLS layer: a server must not offer them, and a client must not
 * pick them, without it.
 */
XMPPIM_EXTERN int xmppim_sasl_mechanism_is_plus(xmppim_sasl_mechanism mechanism);

/**
 * The failure conditions of RFC 6120 section 6.5 (C6.5-a), carried by
 * `<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>`. A server reports
 * exactly one (C6.4.5-a); a client learns why it was refused, or says why it
 * gave up on a server that misbehaved.
 */
typedef enum xmppim_sasl_condition {
  /** No failure. */
  XMPPIM_SASL_COND_NONE = 0,
  /** The client sent `<abort/>` (C6.4.4-a). */
  XMPPIM_SASL_COND_ABORTED,
  /** The account exists but is disabled for now. */
  XMPPIM_SASL_COND_ACCOUNT_DISABLED,
  /** The credentials have expired and must be renewed out of band. */
  XMPPIM_SASL_COND_CREDENTIALS_EXPIRED,
  /** The mechanism is refused without TLS (PLAIN over a cleartext stream). */
  XMPPIM_SASL_COND_ENCRYPTION_REQUIRED,
  /** The base64 of the payload was wrong (C6.3.5-b). */
  XMPPIM_SASL_COND_INCORRECT_ENCODING,
  /** The authentication identity may not act as the requested authorization identity (C6.3.8-b). */
  XMPPIM_SASL_COND_INVALID_AUTHZID,
  /** The mechanism is not offered or not implemented. */
  XMPPIM_SASL_COND_INVALID_MECHANISM,
  /** The payload breaks the mechanism's syntax. */
  XMPPIM_SASL_COND_MALFORMED_REQUEST,
  /** The mechanism (or its parameters, such as a SCRAM iteration count) is weaker than policy allows. */
  XMPPIM_SASL_COND_MECHANISM_TOO_WEAK,
  /** Wrong credentials, or an unknown user: the two are not told apart (C6.5-c). */
  XMPPIM_SASL_COND_NOT_AUTHORIZED,
  /** A passing problem on the server side (a database down, memory short); the client may retry later. */
  XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE
} xmppim_sasl_condition;

/**
 * The element name of a condition ("not-authorized", ...).
 * @return a static string, or NULL for #XMPPIM_SASL_COND_NONE and values
 * outside the enumeration.
 */
XMPPIM_EXTERN const char *xmppim_sasl_condition_name(xmppim_sasl_condition condition);

/**
 * The condition an element name stands for. A name this library does not
 * know, and NULL, give #XMPPIM_SASL_COND_NOT_AUTHORIZED: RFC 6120 requires a
 * client to treat an unknown condition that way (C6.5-b), because a later
 * revision may add conditions and every one of them is a refusal; reading
 * it as anything milder could make a client retry blindly or think it is in.
 */
XMPPIM_EXTERN xmppim_sasl_condition xmppim_sasl_condition_from_name(const char *name);

/**
 * Channel-binding data of one TLS connection (RFC 5056), for the -PLUS
 * mechanisms. Only the TLS layer knows it: "tls-exporter" (RFC 9266, the
 * one TLS 1.3 supports: 32 bytes of the exporter with label
 * "EXPORTER-Channel-Binding") or "tls-unique" (RFC 5929, TLS 1.2 and
 * earlier: the first Finished message). Objects that take one copy it, so
 * the strings and bytes need only live through the call.
 */
typedef struct xmppim_sasl_channel_binding {
  /** The channel-binding type name, as registered: "tls-exporter" or "tls-unique". Letters, digits, '.' and '-' only (RFC 5056 section 7). */
  const char *type;
  /** The binding bytes (1 to #XMPPIM_SASL_CB_DATA_MAX of them). */
  const unsigned char *data;
  /** Number of bytes at @ref data. */
  size_t len;
} xmppim_sasl_channel_binding;

/** The most channel-binding bytes accepted: far above the 12 to 64 that real bindings have, low enough to bound what a message may carry. */
#define XMPPIM_SASL_CB_DATA_MAX 512

/** The hash function under a SCRAM mechanism. */
typedef enum xmppim_scram_hash {
  /** SHA-1: SCRAM-SHA-1 and SCRAM-SHA-1-PLUS; keys of 20 bytes. */
  XMPPIM_SCRAM_SHA_1 = 1,
  /** SHA-256: SCRAM-SHA-256 and SCRAM-SHA-256-PLUS; keys of 32 bytes. */
  XMPPIM_SCRAM_SHA_256 = 2
} xmppim_scram_hash;

/**
 * The hash a SCRAM mechanism uses, so that a server knows which credentials
 * to fetch (a user may have one set per hash).
 * @return the hash, or 0 for PLAIN and unknown values.
 */
XMPPIM_EXTERN xmppim_scram_hash xmppim_sasl_mechanism_scram_hash(xmppim_sasl_mechanism mechanism);

/**
 * @return the length in bytes of a StoredKey or ServerKey for @p hash (20
 * or 32), or 0 for a value outside the enumeration.
 */
XMPPIM_EXTERN size_t xmppim_scram_key_len(xmppim_scram_hash hash);

/** Room for the longest key: the arrays below are this size so that a stronger hash can come without changing the structure. */
#define XMPPIM_SCRAM_KEY_MAX 64
/** Room for the longest salt accepted. Real deployments use 12 to 32 bytes. */
#define XMPPIM_SCRAM_SALT_MAX 128
/** Salt length that xmppim_scram_derive() draws when the caller gives none. */
#define XMPPIM_SCRAM_SALT_DEFAULT 16
/** The iteration count RFC 7677 calls the minimum worth having; clients refuse fewer by default. */
#define XMPPIM_SCRAM_ITERATIONS_MIN 4096

/**
 * What a server stores per user and hash for SCRAM (RFC 5802 section 3),
 * instead of a password: the salt and iteration count it sends to the
 * client, StoredKey = H(ClientKey), with which it verifies the client's
 * proof, and ServerKey, with which it proves to the client that it knows the
 * password too. Neither key lets anyone log in; both let anyone
 * impersonate the server to the user, so keep them secret all the same.
 * A plain structure with fixed arrays, so that it can be filled in place by
 * a callback and written to a database without ownership questions.
 */
typedef struct xmppim_scram_credentials {
  /** Hash these keys belong to. */
  xmppim_scram_hash hash;
  /** PBKDF2 iteration count, at least 1; clients refuse fewer than 4096 by default. */
  unsigned iterations;
  /** Number of salt bytes (1 to #XMPPIM_SCRAM_SALT_MAX). */
  size_t salt_len;
  /** The salt. */
  unsigned char salt[XMPPIM_SCRAM_SALT_MAX];
  /** StoredKey; the first xmppim_scram_key_len(hash) bytes are used. */
  unsigned char stored_key[XMPPIM_SCRAM_KEY_MAX];
  /** ServerKey; the first xmppim_scram_key_len(hash) bytes are used. */
  unsigned char server_key[XMPPIM_SCRAM_KEY_MAX];
} xmppim_scram_credentials;

/**
 * Derives SCRAM stored credentials from a password, for a server that
 * stores no password: call it when a password is set, keep the result, and
 * give it back from the lookup callback at login.
 *
 * The password is prepared with SASLprep (RFC 4013) as clients prepare it
 * (see the file comment), then SaltedPassword = PBKDF2(password, salt,
 * iterations), StoredKey = H(HMAC(SaltedPassword, "Client Key")) and
 * ServerKey = HMAC(SaltedPassword, "Server Key").
 *
 * @param out receives the credentials; left zeroed on failure.
 * @param hash which hash (a user who may log in with both SCRAM-SHA-1 and
 * SCRAM-SHA-256 needs one set of each).
 * @param password NUL-terminated UTF-8.
 * @param salt the salt, or NULL to have @ref XMPPIM_SCRAM_SALT_DEFAULT fresh
 * random bytes drawn (then @p salt_len must be 0); reuse a salt for one user
 * only.
 * @param salt_len bytes of @p salt, 1 to #XMPPIM_SCRAM_SALT_MAX.
 * @param iterations the PBKDF2 iteration count, at least 1. The cost is paid
 * here once and by every client at every login; RFC 7677 asks for at least
 * 4096, and clients refuse fewer by default.
 * @param mem allocator hooks for scratch memory (copied), or NULL.
 * @return 0; #XMPPIM_ERR_INVALID_ARGUMENT (a NULL pointer, bad @p hash,
 * salt length or iteration count, or a password that SASLprep refuses or
 * maps to nothing); #XMPPIM_ERR_BAD_UTF8; #XMPPIM_ERR_NOMEM;
 * #XMPPIM_ERR_INTERNAL when GnuTLS or libidn fail for no fault of the input.
 */
XMPPIM_EXTERN int xmppim_scram_derive(xmppim_scram_credentials *out, xmppim_scram_hash hash,
                                      const char *password, const unsigned char *salt,
                                      size_t salt_len, unsigned iterations,
                                      const xmppim_mem *mem);

/**
 * Server host callback for PLAIN: does this password open this account?
 * Compare against a stored hash in constant time; never log the password.
 * @param authcid the user name, SASLprep'd, NUL-terminated.
 * @param password the password, SASLprep'd, NUL-terminated.
 * @param authzid the requested authorization identity (a JID, unprepared),
 * or NULL when the client asked for none. It is checked again by the
 * authorize callback; it is here for hosts that decide both at once.
 * @param user_data as given with the callbacks.
 * @return #XMPPIM_SASL_COND_NONE to accept; otherwise the condition to fail
 * with: #XMPPIM_SASL_COND_NOT_AUTHORIZED for a wrong password *and* for an
 * unknown user (C6.5-c), #XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE when the
 * store is unavailable, #XMPPIM_SASL_COND_ACCOUNT_DISABLED or
 * #XMPPIM_SASL_COND_CREDENTIALS_EXPIRED. Values outside the enumeration
 * count as temporary-auth-failure.
 */
typedef xmppim_sasl_condition (*xmppim_sasl_plain_verify_cb)(const char *authcid,
                                                             const char *password,
                                                             const char *authzid,
                                                             void *user_data);

/**
 * Server host callback for SCRAM: the stored credentials of a user.
 *
 * Unknown users must not be told apart from known ones (C6.5-c): return
 * #XMPPIM_SASL_COND_NOT_AUTHORIZED, and the exchange goes on with made-up
 * credentials and a dummy proof check, failing with not-authorized at the
 * same step and at about the same cost as a wrong password. The made-up salt
 * is a keyed hash of the user name under a secret drawn once per process,
 * so asking twice gives the same answer, as for a real user. Fill in
 * @p creds->iterations (and, if you like, the salt) before returning
 * not-authorized when your users' iteration count is not 4096, or the
 * count alone betrays the unknown user.
 *
 * A refusal that only the holder of the password should learn (disabled
 * account, expired credentials) belongs in the authorize callback, which
 * runs after the proof was checked; a condition other than not-authorized
 * returned here fails the exchange at once.
 *
 * @param authcid the user name, SASLprep'd, NUL-terminated.
 * @param hash the hash of the mechanism in use; the credentials returned
 * must be for this one (@p creds->hash is preset to it).
 * @param creds zeroed except for @p creds->hash; fill it in.
 * @param user_data as given with the callbacks.
 * @return #XMPPIM_SASL_COND_NONE with @p creds filled in; or a condition as
 * above. Values outside the enumeration count as temporary-auth-failure.
 */
typedef xmppim_sasl_condition (*xmppim_sasl_scram_lookup_cb)(const char *authcid,
                                                             xmppim_scram_hash hash,
                                                             xmppim_scram_credentials *creds,
                                                             void *user_data);

/**
 * Server host callback: may @p authcid, now authenticated, act as
 * @p authzid (C6.3.8-b)? Called after the credentials were checked, with
 * every mechanism; also with no authzid, so that a host can refuse a
 * disabled account here, after the client proved it holds the password.
 * @param authcid the authenticated user name, SASLprep'd.
 * @param authzid the requested authorization identity as sent (a JID; the
 * host prepares and compares it, normally with the account's own bare JID,
 * C4.3.6-a), or NULL when none was requested.
 * @param user_data as given with the callbacks.
 * @return #XMPPIM_SASL_COND_NONE to allow; #XMPPIM_SASL_COND_INVALID_AUTHZID
 * to refuse the identity; or another condition (account-disabled, ...).
 * Values outside the enumeration count as temporary-auth-failure.
 */
typedef xmppim_sasl_condition (*xmppim_sasl_authorize_cb)(const char *authcid,
                                                          const char *authzid,
                                                          void *user_data);

#ifdef __cplusplus
}
#endif

#endif /* XMPPIM_SASL_H */
