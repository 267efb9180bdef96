/*
 * SASL mechanisms for the session layer: PLAIN (RFC 4616), SCRAM-SHA-1 and
 * SCRAM-SHA-256 with their -PLUS forms (RFC 5802, RFC 7677), as one client
 * object and one server object that trade SASL payloads.
 *
 * There is no XML here and no base64 of the payloads: the session wraps what
 * these objects produce in <auth/>, <response/>, <challenge/>, <success/>
 * and <failure/>, base64 and all (C6.3.5-b), and hands them the decoded
 * payloads of what the peer sent. The mechanisms know nothing of streams,
 * so each is tested alone against the published vectors.
 *
 * Ownership: every output pointer belongs to the object and stays valid
 * until the next call on that object (or its _free), so a payload goes to
 * the base64 encoder without a copy. Strings passed in are copied.
 *
 * Results (both objects):
 *   XMPPIM_SASL_CONTINUE  (1)  send the output, wait for the peer's next payload
 *   XMPPIM_SASL_DONE      (0)  the exchange succeeded
 *   XMPPIM_SASL_FAILED  (< 0)  authentication failed; ..._condition() says why
 *   other negative codes       XMPPIM_ERR_INVALID_ARGUMENT (a NULL out
 *                              pointer: nothing changed), XMPPIM_ERR_INVALID_STATE
 *                              (the exchange is already over: nothing changed),
 *                              XMPPIM_ERR_NOMEM, XMPPIM_ERR_INTERNAL
 * After XMPPIM_SASL_DONE or any failure other than INVALID_ARGUMENT and
 * INVALID_STATE, the exchange is over: the getters still answer, every step
 * returns XMPPIM_ERR_INVALID_STATE, and the object waits for _free. A new
 * attempt (C6.4.2-b, C6.4.5-c) is a new object. A failure always leaves a
 * condition to report (temporary-auth-failure for NOMEM and INTERNAL), so
 * the server side can always answer with a <failure/> (C6.4.5-a).
 *
 * Not thread-safe per object, like everything else in the library.
 */
#ifndef XMPPIM_SESSION_SASL_H
#define XMPPIM_SESSION_SASL_H

#include <stddef.h>
#include <xmppim/common.h>
#include <xmppim/sasl.h>

/* Step results; see the file comment. */
enum {
  XMPPIM_SASL_DONE = 0,
  XMPPIM_SASL_CONTINUE = 1,
  /* Kept apart from the XMPPIM_ERR_* range that common.h hands out, until
   * common.h grows an authentication-failure code of its own. Not fatal in
   * the xmppim_err_is_fatal() sense: the session goes on, the attempt not. */
  XMPPIM_SASL_FAILED = -130
};

/* Longest SASL payload either object accepts; longer ones are
 * malformed-request. Real SCRAM and PLAIN messages are well under 1 KiB;
 * this bounds the work and memory an unauthenticated peer can cause. */
#define XMPPIM_SASL_MESSAGE_MAX 8192

/* Longest user name or password, in bytes before preparation. RFC 4616
 * requires accepting 255; anything above 1023 is refused. */
#define XMPPIM_SASL_FIELD_MAX 1023

/* Longest authorization identity: a JID (RFC 6122). */
#define XMPPIM_SASL_AUTHZID_MAX 3071

/* A client's default bounds on the SCRAM iteration count a server may ask
 * for: fewer than the minimum makes a stolen exchange cheap to brute-force
 * (RFC 7677 section 4); more than the maximum lets a hostile server burn
 * the client's CPU for minutes. */
#define XMPPIM_SASL_CLIENT_ITERATIONS_MAX 1000000u

/* ------------------------------------------------------------------ client */

typedef struct xmppim_sasl_client xmppim_sasl_client;

/*
 * A client side of one SASL attempt.
 *
 * mechanism: any xmppim_sasl_mechanism but UNKNOWN. The caller chooses it by
 *   its own preference among those the server offered (C6.3.3-a) and never
 *   PLAIN without TLS and a validated certificate (C13.8-b).
 * authcid: the user name, normally the localpart of the JID (C6.3.7-a);
 *   SASLprep'd here. Must not be empty.
 * password: SASLprep'd here (RFC 4013 query strings); must not be empty.
 * authzid: NULL (or "") unless acting for another entity (C6.3.8-a); sent as
 *   given (a bare JID, prepared by the caller).
 * cb: the TLS connection's channel binding, or NULL when TLS gave none.
 *   Required by the -PLUS mechanisms. Given with a non-PLUS SCRAM mechanism,
 *   it means "I could have bound, but the server offered no -PLUS": the GS2
 *   flag becomes 'y', so a server that did offer -PLUS, and had its offer
 *   stripped by an attacker, refuses (RFC 5802 section 6). Give it to a
 *   non-PLUS mechanism only when the server really offered no -PLUS one.
 *   Ignored by PLAIN.
 * mem: allocator hooks (copied), or NULL.
 *
 * Returns 0; XMPPIM_ERR_INVALID_ARGUMENT (NULL out/authcid/password, an
 * unknown mechanism, a -PLUS mechanism without cb, a bad cb type name or
 * length, an empty field, a field longer than the limits above, or a user
 * name or password that SASLprep refuses); XMPPIM_ERR_BAD_UTF8;
 * XMPPIM_ERR_NOMEM; XMPPIM_ERR_INTERNAL. *out is NULL on failure.
 */
int xmppim_sasl_client_new(xmppim_sasl_client **out, xmppim_sasl_mechanism mechanism,
                           const char *authcid, const char *password, const char *authzid,
                           const xmppim_sasl_channel_binding *cb, const xmppim_mem *mem);

/* Wipes the secrets it held and frees the object. NULL is allowed. */
void xmppim_sasl_client_free(xmppim_sasl_client *c);

/*
 * Bounds on the SCRAM iteration count the client accepts from the server
 * (defaults: XMPPIM_SCRAM_ITERATIONS_MIN and XMPPIM_SASL_CLIENT_ITERATIONS_MAX).
 * A count below min fails with mechanism-too-weak, above max with
 * temporary-auth-failure, both before any PBKDF2 work. Only before the
 * first step. Returns 0, XMPPIM_ERR_INVALID_ARGUMENT (min 0 or min > max),
 * or XMPPIM_ERR_INVALID_STATE.
 */
int xmppim_sasl_client_set_iteration_limits(xmppim_sasl_client *c, unsigned min, unsigned max);

/*
 * Replaces the random client nonce, so that published test vectors can be
 * replayed byte for byte. Never use it otherwise: a predictable nonce
 * defeats SCRAM's replay protection. nonce: printable ASCII without ','
 * (RFC 5802's grammar), 1 to 256 bytes, NUL-terminated. Only before the
 * first step; SCRAM only. Returns 0, XMPPIM_ERR_INVALID_ARGUMENT or
 * XMPPIM_ERR_INVALID_STATE.
 */
int xmppim_sasl_client_set_nonce(xmppim_sasl_client *c, const char *nonce);

/*
 * Produces the client's next payload.
 *
 * First call: in must be NULL, or an empty challenge (inlen 0), which is what
 * a server sends when <auth/> carried no initial response (C6.3.10-a); out
 * receives the initial response (PLAIN: the whole message; SCRAM:
 * client-first-message).
 * Later calls: in is the decoded payload of the server's <challenge/>
 * (SCRAM: server-first-message, then possibly server-final-message when the
 * server sends it as a challenge rather than in <success/>, in which case
 * it is verified here and the response is empty).
 *
 * On XMPPIM_SASL_CONTINUE, *out and *outlen give the payload to send (in
 * <auth/> for the first, <response/> after). The output may be empty (send
 * "=" as the session rules say); *out is then non-NULL.
 * Failures: XMPPIM_SASL_FAILED with, through xmppim_sasl_client_condition():
 * malformed-request (bad syntax, a nonce that does not extend ours, an m=
 * extension, a challenge PLAIN does not expect), incorrect-encoding (bad
 * base64 in s= or v=), mechanism-too-weak (iteration count below the
 * minimum), temporary-auth-failure (count above the maximum), not-authorized
 * (wrong server signature), or the condition an e= server error maps to.
 * The session then sends <abort/>.
 */
int xmppim_sasl_client_step(xmppim_sasl_client *c, const unsigned char *in, size_t inlen,
                            const unsigned char **out, size_t *outlen);

/*
 * The server sent <success/>: checks its additional data (decoded; NULL
 * or length 0 when there was none). For SCRAM this is where the server
 * proves it knew the password: server-final-message must carry the right
 * v= (RFC 5802 section 5.1 "MUST verify"), unless it already came in a
 * challenge, and then the data must be empty. PLAIN expects no data.
 * Returns XMPPIM_SASL_DONE when the server is authenticated too, so that
 * the session may restart the stream (C6.3.2-a); XMPPIM_SASL_FAILED
 * (not-authorized for a wrong or missing server signature, or an e= error;
 * malformed-request or incorrect-encoding for bad data) when it must not
 * trust the stream and should close it; XMPPIM_ERR_INVALID_STATE before the
 * client's last message was produced.
 */
int xmppim_sasl_client_success(xmppim_sasl_client *c, const unsigned char *data, size_t len);

/* Why the attempt failed, or XMPPIM_SASL_COND_NONE while it has not. */
xmppim_sasl_condition xmppim_sasl_client_condition(const xmppim_sasl_client *c);

/*
 * A one-line English explanation of the failure for logs (for example
 * "iteration count 1024 below the minimum 4096" or "server error:
 * invalid-proof"), or "" while nothing failed. Owned by the object. Never
 * holds the password.
 */
const char *xmppim_sasl_client_error(const xmppim_sasl_client *c);

/* ------------------------------------------------------------------ server */

/*
 * What the host supplies to check credentials (see the callback types in
 * <xmppim/sasl.h>). verify_plain is needed for PLAIN, lookup_scram for the
 * SCRAM mechanisms; authorize is optional: without it, an attempt that
 * names an authorization identity fails with invalid-authzid (only the host
 * knows who may act for whom, C6.3.8-b) and one that names none succeeds.
 * Copied at creation.
 */
typedef struct xmppim_sasl_server_callbacks {
  xmppim_sasl_plain_verify_cb verify_plain;
  xmppim_sasl_scram_lookup_cb lookup_scram;
  xmppim_sasl_authorize_cb authorize;
  void *user_data;
} xmppim_sasl_server_callbacks;

typedef struct xmppim_sasl_server xmppim_sasl_server;

/*
 * A server side of one SASL attempt, made when <auth mechanism='...'/>
 * arrives with a mechanism the session offered.
 *
 * cbs / ncbs: the channel bindings this TLS connection can provide (for
 *   example tls-exporter and, on TLS 1.2, tls-unique), or NULL / 0. Give them
 *   exactly when the session advertises -PLUS mechanisms on this connection:
 *   with a non-PLUS SCRAM mechanism their presence is what makes a client's
 *   'y' flag a detected downgrade (not-authorized, RFC 5802 section 6).
 * callbacks: required, with the callback the mechanism needs.
 *
 * Returns 0; XMPPIM_ERR_INVALID_ARGUMENT (NULL out or callbacks, an unknown
 * mechanism, a -PLUS mechanism with no channel binding — the session must
 * not offer one then, C6.3.4-a —, a bad channel-binding entry, or the
 * callback the mechanism needs missing); XMPPIM_ERR_NOMEM. *out is NULL on
 * failure.
 */
int xmppim_sasl_server_new(xmppim_sasl_server **out, xmppim_sasl_mechanism mechanism,
                           const xmppim_sasl_channel_binding *cbs, size_t ncbs,
                           const xmppim_sasl_server_callbacks *callbacks, const xmppim_mem *mem);

/* Wipes what it held and frees the object. NULL is allowed. */
void xmppim_sasl_server_free(xmppim_sasl_server *s);

/*
 * Replaces the random server nonce part, for replaying test vectors only.
 * Same rules as xmppim_sasl_client_set_nonce().
 */
int xmppim_sasl_server_set_nonce(xmppim_sasl_server *s, const char *nonce);

/*
 * Consumes the client's next payload.
 *
 * First call: in is the decoded initial response of <auth/>, or NULL when
 * <auth/> carried none; then out is an empty challenge to send, and the
 * client's <response/> carries what would have been the initial response
 * (C6.3.10-a). An initial response of zero bytes ("=" on the wire) is
 * passed as non-NULL with inlen 0, and is malformed for these mechanisms.
 * Later calls: the decoded payload of each <response/>.
 *
 * XMPPIM_SASL_CONTINUE: send *out (*outlen bytes) as a <challenge/>.
 * XMPPIM_SASL_DONE: authenticated (see xmppim_sasl_server_authcid()); send
 *   <success/> with *out (*outlen bytes) as additional data (SCRAM's
 *   server-final-message), or with none when *out is NULL (PLAIN).
 * XMPPIM_SASL_FAILED: send <failure/> with xmppim_sasl_server_condition().
 *   Input errors: malformed-request (syntax, m= extension, wrong GS2 flag
 *   for the mechanism, nonce or field limits), incorrect-encoding (base64
 *   inside SCRAM messages), not-authorized (credentials, unknown user,
 *   channel-binding mismatch, unsupported channel-binding type, downgrade
 *   detected), invalid-authzid, or what a callback returned.
 * XMPPIM_ERR_NOMEM / XMPPIM_ERR_INTERNAL: send <failure/> with
 *   temporary-auth-failure (the condition is set to it).
 */
int xmppim_sasl_server_step(xmppim_sasl_server *s, const unsigned char *in, size_t inlen,
                            const unsigned char **out, size_t *outlen);

/* The authenticated user name (SASLprep'd) after XMPPIM_SASL_DONE; NULL before. */
const char *xmppim_sasl_server_authcid(const xmppim_sasl_server *s);

/*
 * The authorization identity the client asked for and the host allowed,
 * after XMPPIM_SASL_DONE; NULL when it asked for none (the identity is then
 * the account's own bare JID, derived from the authcid, C4.3.6-a).
 */
const char *xmppim_sasl_server_authzid(const xmppim_sasl_server *s);

/* Why the attempt failed, or XMPPIM_SASL_COND_NONE while it has not. */
xmppim_sasl_condition xmppim_sasl_server_condition(const xmppim_sasl_server *s);

/*
 * A one-line English explanation of the failure for the server's logs, or
 * "". It may say more than the condition the client is told (for example
 * "channel binding data mismatch"); never holds a password or key.
 */
const char *xmppim_sasl_server_error(const xmppim_sasl_server *s);

#endif
