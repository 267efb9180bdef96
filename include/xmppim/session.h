/**
 * @file session.h
 * @brief One XMPP stream (RFC 6120), client or server side, with no I/O.
 *
 * A session turns bytes into events and events into bytes. It owns no
 * socket, thread, clock or TLS engine:
 *
 * - bytes in: xmppim_session_feed();
 * - bytes out: xmppim_session_output() gives a chunk the session owns,
 *   xmppim_session_consumed() says how much of it was written, so a partial
 *   socket write needs no copy;
 * - time: xmppim_session_timeout() with the caller's monotonic "now" in
 *   milliseconds, and xmppim_session_next_deadline() for when to call it;
 * - TLS: when the stream asks for STARTTLS the session says so through a
 *   callback and stops consuming input right after `<proceed/>`; the caller
 *   runs the handshake (its own TLS or the GnuTLS adapter) and calls
 *   xmppim_session_tls_established().
 *
 * @warning Callbacks run inside xmppim_session_feed() and
 * xmppim_session_timeout(). A callback may queue stanzas
 * (xmppim_session_send(), xmppim_session_send_iq()) and may close the
 * session, but it must never call xmppim_session_feed(),
 * xmppim_session_output(), xmppim_session_consumed(),
 * xmppim_session_timeout() or xmppim_session_free(): those return
 * #XMPPIM_ERR_INVALID_STATE when called from a callback (free is ignored).
 * Pump the session from your event loop, outside the callbacks.
 *
 * Back-pressure: output grows past the limit set with
 * xmppim_options_set_output_limit() only by what the session itself must
 * say (answers, errors); once past it, feed stops consuming input and
 * returns #XMPPIM_ERR_BACKPRESSURE, and xmppim_session_send() refuses new
 * stanzas the same way, until the caller has drained the output. No byte
 * is ever dropped.
 */
#ifndef XMPPIM_SESSION_H
#define XMPPIM_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <xmppim/common.h>
#include <xmppim/jid.h>
#include <xmppim/sasl.h>
#include <xmppim/stanza.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One XML stream pair over one connection. */
typedef struct xmppim_session xmppim_session;

/** Which side of the connection this session is. */
typedef enum xmppim_role {
  XMPPIM_ROLE_CLIENT = 1, /**< opens the stream, authenticates, binds */
  XMPPIM_ROLE_SERVER = 2  /**< answers, authenticates the client, binds it */
} xmppim_role;

/** Where a session is in its life. */
typedef enum xmppim_session_state {
  XMPPIM_STATE_OPENING = 1,   /**< waiting for the peer's stream header */
  XMPPIM_STATE_NEGOTIATING,   /**< features being negotiated (before TLS or SASL) */
  XMPPIM_STATE_TLS,           /**< `<proceed/>` passed: the caller runs the TLS handshake */
  XMPPIM_STATE_AUTHENTICATING,/**< SASL exchange under way */
  XMPPIM_STATE_BINDING,       /**< authenticated; resource binding under way */
  XMPPIM_STATE_READY,         /**< stanzas flow */
  XMPPIM_STATE_CLOSING,       /**< `</stream:stream>` sent, waiting for the peer's */
  XMPPIM_STATE_CLOSED         /**< both streams ended (or failed); nothing more is read */
} xmppim_session_state;

/** Returned by xmppim_session_next_deadline() when nothing is scheduled. */
#define XMPPIM_NO_DEADLINE UINT64_MAX

/**
 * Returned by an on_stanza callback for a stanza it did not handle: for an
 * IQ get or set the session then answers service-unavailable, so that every
 * request gets exactly one answer (RFC 6120 section 8.2.3).
 */
#define XMPPIM_STANZA_UNHANDLED 1

/** Severity of a log line. */
typedef enum xmppim_log_level {
  XMPPIM_LOG_ERROR = 1,
  XMPPIM_LOG_WARNING,
  XMPPIM_LOG_INFO,
  XMPPIM_LOG_DEBUG
} xmppim_log_level;

/** What a server host decides about a resource a client wants to bind. */
typedef enum xmppim_bind_decision {
  XMPPIM_BIND_ACCEPT = 0,         /**< bind this full JID */
  XMPPIM_BIND_CONFLICT,           /**< in use: the session proposes a generated resource instead */
  XMPPIM_BIND_RESOURCE_CONSTRAINT,/**< the account has as many resources as it may */
  XMPPIM_BIND_NOT_ALLOWED         /**< this account may not bind now */
} xmppim_bind_decision;

/** Callback signatures; `user_data` is the pointer given at creation. */
typedef int (*xmppim_on_stanza_cb)(xmppim_session *s, xmppim_stanza *stanza, void *user_data);
/** The session is ready: stanzas may flow. @p jid is the bound full JID (the client's, on both sides). */
typedef void (*xmppim_on_ready_cb)(xmppim_session *s, const xmppim_jid *jid, void *user_data);
/** The peer accepted STARTTLS: run the TLS handshake now, then call xmppim_session_tls_established(). */
typedef void (*xmppim_on_starttls_cb)(xmppim_session *s, void *user_data);
/** The peer sent a stream error (the stream is then closed). */
typedef void (*xmppim_on_stream_error_cb)(xmppim_session *s, xmppim_stream_condition condition,
                                          const char *text, void *user_data);
/** The session ended; @p condition says why when it was an error (ours or the peer's). */
typedef void (*xmppim_on_closed_cb)(xmppim_session *s, xmppim_stream_condition condition,
                                    void *user_data);
/** Client: authentication failed with this SASL condition (the session then closes). */
typedef void (*xmppim_on_auth_failed_cb)(xmppim_session *s, xmppim_sasl_condition condition,
                                         const char *text, void *user_data);
/** A log line; only formatted when this callback is set. */
typedef void (*xmppim_on_log_cb)(xmppim_session *s, xmppim_log_level level, const char *message,
                                 void *user_data);
/** Server: may this full JID be bound? */
typedef xmppim_bind_decision (*xmppim_on_bind_cb)(xmppim_session *s, const xmppim_jid *full_jid,
                                                  void *user_data);

/**
 * The events a session reports, set once and copied by each session at
 * creation; one table can serve many sessions. Opaque so that callbacks can
 * be added without breaking callers.
 */
typedef struct xmppim_callbacks xmppim_callbacks;

/** @return 0 or #XMPPIM_ERR_NOMEM / #XMPPIM_ERR_INVALID_ARGUMENT. */
XMPPIM_EXTERN int xmppim_callbacks_new(xmppim_callbacks **out);
/** Frees the table (sessions keep their own copy). NULL is allowed. */
XMPPIM_EXTERN void xmppim_callbacks_free(xmppim_callbacks *cb);
/** A stanza (message, presence, iq) arrived on a ready stream. Return 0 when handled,
 * #XMPPIM_STANZA_UNHANDLED when not, #XMPPIM_ERR_PAUSE to stop feed early, or another
 * negative value to fail the feed. The stanza is borrowed (see xmppim_session_take_stanza()).
 * On the server side its `from` is already stamped with the client's full JID. */
XMPPIM_EXTERN void xmppim_callbacks_set_on_stanza(xmppim_callbacks *cb, xmppim_on_stanza_cb fn);
/** See #xmppim_on_ready_cb. */
XMPPIM_EXTERN void xmppim_callbacks_set_on_ready(xmppim_callbacks *cb, xmppim_on_ready_cb fn);
/** See #xmppim_on_starttls_cb. Without it a client never asks for TLS and a server never offers it. */
XMPPIM_EXTERN void xmppim_callbacks_set_on_starttls(xmppim_callbacks *cb, xmppim_on_starttls_cb fn);
/** See #xmppim_on_stream_error_cb. */
XMPPIM_EXTERN void xmppim_callbacks_set_on_stream_error(xmppim_callbacks *cb,
                                                       xmppim_on_stream_error_cb fn);
/** See #xmppim_on_closed_cb. */
XMPPIM_EXTERN void xmppim_callbacks_set_on_closed(xmppim_callbacks *cb, xmppim_on_closed_cb fn);
/** See #xmppim_on_auth_failed_cb. */
XMPPIM_EXTERN void xmppim_callbacks_set_on_auth_failed(xmppim_callbacks *cb,
                                                      xmppim_on_auth_failed_cb fn);
/** See #xmppim_on_log_cb. */
XMPPIM_EXTERN void xmppim_callbacks_set_on_log(xmppim_callbacks *cb, xmppim_on_log_cb fn);
/** Server: checks a PLAIN password (the user data passed is the session's). Without it PLAIN is not offered. */
XMPPIM_EXTERN void xmppim_callbacks_set_sasl_plain(xmppim_callbacks *cb,
                                                  xmppim_sasl_plain_verify_cb fn);
/** Server: looks up SCRAM credentials. Without it no SCRAM mechanism is offered. */
XMPPIM_EXTERN void xmppim_callbacks_set_sasl_scram(xmppim_callbacks *cb,
                                                  xmppim_sasl_scram_lookup_cb fn);
/** Server: may authcid act as authzid? Without it only authzid == the user's bare JID is allowed. */
XMPPIM_EXTERN void xmppim_callbacks_set_sasl_authorize(xmppim_callbacks *cb,
                                                      xmppim_sasl_authorize_cb fn);
/** Server: decides on each resource to bind. Without it every resource is accepted. */
XMPPIM_EXTERN void xmppim_callbacks_set_on_bind(xmppim_callbacks *cb, xmppim_on_bind_cb fn);

/**
 * Settings, mostly security limits, copied by each session at creation.
 * Every setter returns 0 or #XMPPIM_ERR_INVALID_ARGUMENT for a value out of
 * range (xmppim_options_add_stream_feature() has limits of its own too).
 */
typedef struct xmppim_options xmppim_options;

/** @return 0 or #XMPPIM_ERR_NOMEM. */
XMPPIM_EXTERN int xmppim_options_new(xmppim_options **out);
/** NULL is allowed. */
XMPPIM_EXTERN void xmppim_options_free(xmppim_options *opt);
/** Output bytes beyond which new work waits (default 1 MiB, at least 4096). */
XMPPIM_EXTERN int xmppim_options_set_output_limit(xmppim_options *opt, size_t bytes);
/** Largest stanza accepted, markup included (at least 10000, RFC 6120 section 13.12).
 * Default: 256 KiB for a server; 16 MiB for a client, whose largest stanza is
 * the roster result from its own server (about 115 bytes per item). */
XMPPIM_EXTERN int xmppim_options_set_max_stanza_size(xmppim_options *opt, size_t bytes);
/** Client: refuse to authenticate over a stream that TLS does not protect. Server: offer
 * STARTTLS as required. Default: 1 for clients, 0 for servers. */
XMPPIM_EXTERN int xmppim_options_set_require_tls(xmppim_options *opt, int on);
/** Client: allow PLAIN on a stream TLS does not protect (tests only; default 0). */
XMPPIM_EXTERN int xmppim_options_set_allow_plain_without_tls(xmppim_options *opt, int on);
/** Client: allow PLAIN at all (default 1, after every SCRAM mechanism). */
XMPPIM_EXTERN int xmppim_options_set_allow_plain(xmppim_options *opt, int on);
/** How long an IQ may wait for its answer, in ms (default 60000; 0 = forever). */
XMPPIM_EXTERN int xmppim_options_set_iq_timeout(xmppim_options *opt, uint64_t ms);
/** IQs awaiting an answer at once (default 256). */
XMPPIM_EXTERN int xmppim_options_set_max_pending_iqs(xmppim_options *opt, unsigned count);
/** Interval of whitespace keepalives on an idle ready stream, in ms (default 0 = off). */
XMPPIM_EXTERN int xmppim_options_set_keepalive(xmppim_options *opt, uint64_t ms);
/** How long to wait for the peer's `</stream:stream>` after ours, in ms (default 10000). */
XMPPIM_EXTERN int xmppim_options_set_close_timeout(xmppim_options *opt, uint64_t ms);
/** The stream's xml:lang (default "en"). */
XMPPIM_EXTERN int xmppim_options_set_lang(xmppim_options *opt, const char *lang);
/**
 * The SASL mechanisms a client may use or a server may offer: a mask of
 * bits `1u << XMPPIM_SASL_MECH_...` (default: all). A server offers a
 * mechanism only when the host can verify it too (see the SASL callbacks).
 */
XMPPIM_EXTERN int xmppim_options_set_sasl_mechanisms(xmppim_options *opt, unsigned mask);
/** Server: failed authentication attempts before policy-violation (default 3, 1..5). */
XMPPIM_EXTERN int xmppim_options_set_max_auth_attempts(xmppim_options *opt, unsigned count);

/** How many extra stream features one options object holds at most. */
#define XMPPIM_STREAM_FEATURES_MAX 8
/** How many bytes the extra stream features take at most, serialized, in all. */
#define XMPPIM_STREAM_FEATURES_MAX_BYTES 512

/**
 * Server: adds an informational stream feature, the empty element
 * `<name xmlns='ns'/>`, to the `<stream:features/>` sent after
 * authentication, beside resource binding. Informational features are
 * negotiated by nobody: they only tell the client what the server
 * supports, so that it may use it; RFC 6121 defines two, roster versioning
 * (`ver`, `urn:xmpp:features:rosterver`, section 2.6.1) and subscription
 * pre-approval (`sub`, `urn:xmpp:features:pre-approval`, section 3.4).
 * The session does not know them and implements nothing behind them:
 * advertise only what the host does. They are not offered before
 * authentication, where the client could not use them and an unknown peer
 * would learn what the server runs. Client sessions ignore them; a client
 * reads the server's with xmppim_session_peer_has_feature().
 *
 * The element is serialized once, here (the namespace escaped), and kept
 * inside the options object, which sessions copy at creation. Adding the
 * same name and namespace again changes nothing.
 * @param name an XML local name in ASCII: letters, digits, '-', '_' and
 *   '.', not starting with a digit, '-' or '.'.
 * @param ns the namespace: an absolute URI in ASCII as RFC 3986 writes them
 *   (a scheme such as `urn:` or `http:`, then the URI's characters, `%`
 *   followed by two hex digits, no IP-literal host), because a namespace
 *   that is not a URI is refused by the client's XML parser and would end
 *   the stream; not the reserved xml and xmlns namespaces. The features the
 *   session negotiates itself (starttls, mechanisms, bind and session in
 *   their namespaces) are refused.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (a bad name or namespace, NULL
 *   options), #XMPPIM_ERR_LIMIT (more than #XMPPIM_STREAM_FEATURES_MAX
 *   features or #XMPPIM_STREAM_FEATURES_MAX_BYTES bytes of them) or
 *   #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_options_add_stream_feature(xmppim_options *opt, const char *name,
                                                    const char *ns);

/**
 * Creates a client session. It writes its stream header to the output at
 * once: drain it and start feeding what the server sends.
 * @param jid the account ("user@domain", or "user@domain/resource" to ask for a resource).
 * @param password the account's password (copied; wiped on free).
 * @param callbacks, user_data, options, mem: NULL for none/defaults.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT, a JID error, or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_session_client_new(xmppim_session **out, const char *jid,
                                            const char *password,
                                            const xmppim_callbacks *callbacks, void *user_data,
                                            const xmppim_options *options,
                                            const xmppim_mem *mem);

/**
 * Creates a server session for one accepted connection.
 * @param domain the domain this server serves (the response header's from).
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT, a JID error, or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_session_server_new(xmppim_session **out, const char *domain,
                                            const xmppim_callbacks *callbacks, void *user_data,
                                            const xmppim_options *options,
                                            const xmppim_mem *mem);

/** Frees the session and all it holds. NULL is allowed; ignored inside a callback. */
XMPPIM_EXTERN void xmppim_session_free(xmppim_session *s);

/**
 * Hands received bytes (plaintext) to the session.
 * @return the bytes consumed (fewer than @p len when a callback paused,
 * when STARTTLS began — the rest is TLS data for the caller's TLS engine —
 * or when the output limit was reached), or a negative error:
 * #XMPPIM_ERR_BACKPRESSURE (drain the output first), #XMPPIM_ERR_STREAM
 * (the stream failed: a stream error was queued for the peer, see
 * xmppim_session_error()), #XMPPIM_ERR_INVALID_STATE (closed, or called
 * from a callback), #XMPPIM_ERR_CALLBACK_FAILURE, #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN long xmppim_session_feed(xmppim_session *s, const void *data, size_t len);

/**
 * The bytes waiting to be sent.
 * @param data receives a pointer valid until the next call into the session.
 * @return how many bytes are there (0 when none).
 */
XMPPIM_EXTERN size_t xmppim_session_output(xmppim_session *s, const char **data);

/** Says that @p n bytes of the output were written. */
XMPPIM_EXTERN void xmppim_session_consumed(xmppim_session *s, size_t n);

/** @return nonzero while the session wants input. */
XMPPIM_EXTERN int xmppim_session_want_read(const xmppim_session *s);
/** @return nonzero while output is waiting. When both are 0 the connection may be dropped. */
XMPPIM_EXTERN int xmppim_session_want_write(const xmppim_session *s);

/**
 * The TLS handshake that followed `<proceed/>` succeeded (or, before the
 * stream starts, the connection is direct TLS). The client sends a new
 * stream header; both sides forget what they learnt before TLS.
 * @param binding channel-binding data of this TLS session for SCRAM-PLUS
 * (tls-exporter for TLS 1.3, tls-unique for 1.2), or NULL when not available.
 * @return 0, #XMPPIM_ERR_INVALID_STATE or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_session_tls_established(xmppim_session *s,
                                                 const xmppim_sasl_channel_binding *binding);

/**
 * Queues a stanza for the peer (serialized at once; @p stanza stays the caller's).
 * @return 0, #XMPPIM_ERR_INVALID_STATE (not ready), #XMPPIM_ERR_BACKPRESSURE or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_session_send(xmppim_session *s, const xmppim_stanza *stanza);

/** Called with the answer to an IQ sent by xmppim_session_send_iq(): @p result is the
 * `result` or `error` IQ, or NULL when the request timed out or the session closed. */
typedef void (*xmppim_iq_cb)(xmppim_session *s, xmppim_stanza *result, void *iq_user_data);

/**
 * Sends an IQ get or set and calls @p fn exactly once with its answer, its
 * timeout or the end of the session. The session sets a fresh id on @p iq.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (not a get or set), #XMPPIM_ERR_INVALID_STATE,
 * #XMPPIM_ERR_BACKPRESSURE, #XMPPIM_ERR_LIMIT (too many pending) or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_session_send_iq(xmppim_session *s, xmppim_stanza *iq, xmppim_iq_cb fn,
                                         void *iq_user_data);

/**
 * Inside on_stanza only: keeps the stanza being delivered (free it with
 * xmppim_stanza_free()); saves a copy when it is routed on as it is.
 * @return the stanza, or NULL outside on_stanza.
 */
XMPPIM_EXTERN xmppim_stanza *xmppim_session_take_stanza(xmppim_session *s);

/**
 * Tells the session the time (any monotonic milliseconds of the caller's) and
 * runs what is due: IQ timeouts, keepalives, the close timeout.
 * @return 0, or #XMPPIM_ERR_INVALID_STATE when called from a callback.
 */
XMPPIM_EXTERN int xmppim_session_timeout(xmppim_session *s, uint64_t now_ms);

/** @return when xmppim_session_timeout() should next be called, or #XMPPIM_NO_DEADLINE. */
XMPPIM_EXTERN uint64_t xmppim_session_next_deadline(const xmppim_session *s);

/**
 * Ends the stream cleanly: sends `</stream:stream>` and waits (up to the
 * close timeout) for the peer's. Pending IQs are told NULL.
 * @return 0 or #XMPPIM_ERR_INVALID_STATE when already closing.
 */
XMPPIM_EXTERN int xmppim_session_close(xmppim_session *s);

/**
 * Ends the stream with a stream error (RFC 6120 section 4.9): sends
 * `<stream:error>` with @p condition and optional @p text, then the close tag.
 * For #XMPPIM_STREAM_SEE_OTHER_HOST, @p text is required and is the other
 * host ("domain", "domain:port", "[IPv6]:port"), sent as the condition's content.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_INVALID_STATE.
 */
XMPPIM_EXTERN int xmppim_session_stream_error(xmppim_session *s, xmppim_stream_condition condition,
                                              const char *text);

/**
 * xmppim_session_stream_error() with an application-specific condition: an
 * element in a namespace of its own, copied into the `<stream:error>`
 * after the defined condition (RFC 6120 section 4.9.4).
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (also for an element without
 * namespace) or #XMPPIM_ERR_INVALID_STATE.
 */
XMPPIM_EXTERN int xmppim_session_stream_error_app(xmppim_session *s,
                                                  xmppim_stream_condition condition,
                                                  const char *text,
                                                  const xmppim_stanza *app_condition);

/**
 * The application-specific condition of the stream error the peer sent, if
 * it had one; valid until the session is freed.
 */
XMPPIM_EXTERN const xmppim_stanza *xmppim_session_error_app_condition(const xmppim_session *s);

/** @return the session's state. */
XMPPIM_EXTERN xmppim_session_state xmppim_session_state_get(const xmppim_session *s);
/** @return the role given at creation. */
XMPPIM_EXTERN xmppim_role xmppim_session_role(const xmppim_session *s);
/** @return the bound full JID of the client (on both sides), or NULL before binding. */
XMPPIM_EXTERN const xmppim_jid *xmppim_session_jid(const xmppim_session *s);
/** @return the current stream id, or NULL before the header. */
XMPPIM_EXTERN const char *xmppim_session_stream_id(const xmppim_session *s);
/** @return nonzero once TLS protects the stream. */
XMPPIM_EXTERN int xmppim_session_is_secure(const xmppim_session *s);
/** @return the mechanism that authenticated the stream, or XMPPIM_SASL_MECH_UNKNOWN. */
XMPPIM_EXTERN xmppim_sasl_mechanism xmppim_session_mechanism(const xmppim_session *s);

/** How many informational features of the server a client session remembers at most. */
#define XMPPIM_PEER_FEATURES_MAX 32
/** How many bytes of them (name and namespace, each with a terminator) at most. */
#define XMPPIM_PEER_FEATURES_MAX_BYTES 1024

/**
 * Client: did the server advertise this informational stream feature?
 *
 * The session negotiates STARTTLS, SASL, resource binding and the legacy
 * session itself. Every other child of the `<stream:features/>` received
 * after authentication is an informational feature (nothing to negotiate,
 * only something the server supports, such as RFC 6121's roster versioning
 * `ver`/`urn:xmpp:features:rosterver` and pre-approval
 * `sub`/`urn:xmpp:features:pre-approval`). The session remembers their
 * names and namespaces, without knowing what they mean, so that the layers
 * above can use what the server offers and refrain from what it does not
 * (the client roster asks for versioning only when advertised, RFC 6121
 * R2.6.2-b). Only the features after authentication count: those describe
 * the stream the client works on; anything offered before (to an unknown
 * peer) is not kept. When the stream restarts (after STARTTLS or SASL)
 * what was known is forgotten until the next features arrive.
 *
 * To keep an idle session small, at most #XMPPIM_PEER_FEATURES_MAX features
 * and #XMPPIM_PEER_FEATURES_MAX_BYTES bytes are kept, in one allocation;
 * features beyond that are ignored (and logged), as if not advertised.
 * @param name the element's local name; @p ns its namespace.
 * @return 1 when the last features after authentication had the element,
 * 0 when they did not, before they arrived, for a server session (which
 * reads no features), and for NULL arguments.
 */
XMPPIM_EXTERN int xmppim_session_peer_has_feature(const xmppim_session *s, const char *name,
                                                  const char *ns);

/**
 * Why the stream failed, if it did.
 * @param text if not NULL, receives a human-readable reason ("" when none).
 * @return the stream error condition sent or received, or #XMPPIM_STREAM_OK.
 */
XMPPIM_EXTERN xmppim_stream_condition xmppim_session_error(const xmppim_session *s,
                                                           const char **text);

#ifdef __cplusplus
}
#endif

#endif /* XMPPIM_SESSION_H */
