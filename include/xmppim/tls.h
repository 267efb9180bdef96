/**
 * @file tls.h
 * @brief Optional GnuTLS adapter: TLS over one session's bytes, sans-IO.
 *
 * Built only with the meson feature option `tls` (on by default);
 * <xmppim.h> includes this header when #XMPPIM_HAVE_TLS is 1 (see
 * <xmppim/features.h>), and it is installed only then.
 *
 * An `xmppim_tls` sits between the network and one `xmppim_session`. It
 * owns no socket: the caller moves bytes, exactly as with a bare session.
 *
 * - bytes from the network: xmppim_tls_feed(). Before TLS starts they go
 *   to the session unchanged; afterwards they are decrypted first.
 * - bytes for the network: xmppim_tls_output() then xmppim_tls_consumed().
 *   Before TLS that is the session's plaintext output; afterwards the
 *   session's output encrypted, and the handshake's own records.
 * - xmppim_tls_want_write() says whether output is waiting. Never call
 *   xmppim_session_feed() / _output() yourself once the session is wrapped.
 *
 * Nothing blocks: GnuTLS reads from and writes to internal buffers
 * (gnutls_transport_set_push_function / pull_function; an empty input
 * buffer reads as EAGAIN).
 *
 * STARTTLS: the adapter installs nothing in the session; the session's
 * callbacks belong to the application. Call xmppim_tls_start() from the
 * session's on_starttls callback (the user data is yours, so keep the
 * adapter reachable from it):
 *
 * @code
 * static void on_starttls(xmppim_session *s, void *ud) {
 *   struct conn *c = ud;
 *   (void)s;
 *   xmppim_tls_start(c->tls);   // only records the request: safe in a callback
 * }
 * ...
 * xmppim_callbacks_set_on_starttls(cb, on_starttls);
 * xmppim_session_client_new(&c->session, "juliet@example.com", pw, cb, c, NULL, NULL);
 * xmppim_tls_client_new(&c->tls, c->session, cfg, NULL);
 * // event loop: socket readable -> xmppim_tls_feed(c->tls, buf, n)
 * //             while (n = xmppim_tls_output(c->tls, &p)) write, xmppim_tls_consumed(c->tls, written)
 * @endcode
 *
 * The handshake then runs as bytes flow; when it completes the adapter
 * calls xmppim_session_tls_established() with the channel binding of the
 * connection: "tls-exporter" (RFC 9266: 32 bytes of the RFC 5705 exporter,
 * label "EXPORTER-Channel-Binding", no context) under TLS 1.3, "tls-unique"
 * (RFC 5929) under TLS 1.2, so SCRAM-*-PLUS works on both sides.
 *
 * Direct TLS (XEP-0368, the xmpps ports): call xmppim_tls_start() right
 * after creating the adapter, before any byte is fed or written. The
 * client session's stream header is then held back and sent encrypted.
 *
 * Certificate checks (client): the chain is verified against the CA file
 * given with xmppim_tls_config_set_ca_file(), or else the system trust
 * store (gnutls_certificate_set_x509_system_trust()), and the server's
 * identity against the XMPP domain (the session's domain unless
 * xmppim_tls_config_set_domain() says otherwise), which is also sent as
 * SNI. The identities accepted (RFC 6125, RFC 7590 / RFC 6120 13.7.1.2):
 * - DNS-ID: a subjectAltName dNSName equal to the domain, or a wildcard
 *   in the left-most label only (GnuTLS's hostname check). The subject's
 *   CN is used only when the certificate has no dNSName at all (GnuTLS
 *   behaviour; RFC 6125 allows it as a fallback then), never when it has SANs;
 * - SRV-ID: an otherName SRVName "_xmpp-client.domain" (client role) equal
 *   to the domain, exact match;
 * - XmppAddr: an otherName id-on-xmppAddr equal to the domain, exact match.
 * An internationalized domain is converted to its A-label form (IDNA,
 * gnutls_idna_map()) for SNI, DNS-ID and SRV-ID; XmppAddr is compared in UTF-8.
 * A failure ends the handshake with #XMPPIM_ERR_TLS_VERIFY and a text
 * (xmppim_tls_error_text()) such as "certificate verification failed: The
 * certificate's owner does not match hostname 'example.net'".
 * xmppim_tls_config_set_insecure_skip_verify() turns all of it off (tests).
 *
 * Memory: the adapter's own allocations (the object, its buffers) go through
 * the xmppim_mem given at creation; GnuTLS allocates with its own allocator.
 */
#ifndef XMPPIM_TLS_H
#define XMPPIM_TLS_H

#include <stddef.h>
#include <xmppim/common.h>
#include <xmppim/session.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The default GnuTLS priority string: TLS 1.2 and 1.3 only. */
#define XMPPIM_TLS_DEFAULT_PRIORITY "NORMAL:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-SSL3.0"

/**
 * Settings and credentials shared by many adapters. The credentials
 * (trust store, certificate and key) are loaded by the setters and shared,
 * reference-counted, with every adapter created from the config; the config
 * may be freed while they live. Not thread-safe: create adapters from one
 * config on one thread at a time.
 */
typedef struct xmppim_tls_config xmppim_tls_config;

/** One TLS connection wrapped around one session. */
typedef struct xmppim_tls xmppim_tls;

/** @return 0, #XMPPIM_ERR_INVALID_ARGUMENT, #XMPPIM_ERR_NOMEM or #XMPPIM_ERR_TLS (GnuTLS failed). */
XMPPIM_EXTERN int xmppim_tls_config_new(xmppim_tls_config **out);
/** NULL is allowed. */
XMPPIM_EXTERN void xmppim_tls_config_free(xmppim_tls_config *cfg);
/**
 * Client: trust the CA certificates of this PEM file instead of the system
 * trust store (without this call the system store is loaded when the first
 * client adapter is created). May be called more than once.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (NULL, unreadable or no
 * certificate in it; see xmppim_tls_config_error_text()), #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_tls_config_set_ca_file(xmppim_tls_config *cfg, const char *pem_file);
/**
 * Server: the certificate chain and private key (PEM files).
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (see xmppim_tls_config_error_text()).
 */
XMPPIM_EXTERN int xmppim_tls_config_set_cert_key_files(xmppim_tls_config *cfg,
                                                      const char *cert_file,
                                                      const char *key_file);
/**
 * The GnuTLS priority string (default #XMPPIM_TLS_DEFAULT_PRIORITY). It is
 * checked here; anything enabling a version below TLS 1.2 is still refused
 * at connection time by the handshake's version check.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (syntax error), #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_tls_config_set_priority(xmppim_tls_config *cfg, const char *priority);
/** Channel binding type tls-exporter (RFC 9266), the one TLS 1.3 has. */
#define XMPPIM_TLS_BINDING_EXPORTER 1u
/** Channel binding type tls-unique (RFC 5929), the one TLS 1.2 has. */
#define XMPPIM_TLS_BINDING_UNIQUE 2u
/**
 * Which channel binding data the adapter hands to the session once TLS is
 * up (default both: tls-exporter under TLS 1.3, tls-unique under 1.2).
 * Without data the session offers (server) or uses (client) no -PLUS
 * SASL mechanism. A server whose clients only know tls-unique (slixmpp
 * 1.8, for one) and that would pick a -PLUS mechanism under TLS 1.3
 * anyway, failing, keeps only #XMPPIM_TLS_BINDING_UNIQUE: -PLUS is then
 * offered over TLS 1.2 only. 0 hands none.
 * @return 0 or #XMPPIM_ERR_INVALID_ARGUMENT (unknown bits).
 */
XMPPIM_EXTERN int xmppim_tls_config_set_channel_bindings(xmppim_tls_config *cfg, unsigned types);
/** Client: do not verify the server's certificate at all (tests only; default 0). */
XMPPIM_EXTERN int xmppim_tls_config_set_insecure_skip_verify(xmppim_tls_config *cfg, int on);
/**
 * Client: the XMPP domain the certificate must name, and the SNI sent
 * (default: the session's domain). NULL goes back to the default.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT, #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_tls_config_set_domain(xmppim_tls_config *cfg, const char *domain);
/** @return why the last setter failed ("" when none). */
XMPPIM_EXTERN const char *xmppim_tls_config_error_text(const xmppim_tls_config *cfg);

/**
 * Wraps a client session. The session must stay alive as long as the
 * adapter, and is not freed by it.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT, #XMPPIM_ERR_NOMEM or #XMPPIM_ERR_TLS
 * (the system trust store could not be loaded).
 */
XMPPIM_EXTERN int xmppim_tls_client_new(xmppim_tls **out, xmppim_session *session,
                                        const xmppim_tls_config *cfg, const xmppim_mem *mem);
/**
 * Wraps a server session. @p cfg must have a certificate and key.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT, #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_tls_server_new(xmppim_tls **out, xmppim_session *session,
                                        const xmppim_tls_config *cfg, const xmppim_mem *mem);
/** Frees the adapter (not the session). NULL is allowed. */
XMPPIM_EXTERN void xmppim_tls_free(xmppim_tls *t);

/**
 * Starts TLS: from the session's on_starttls callback (STARTTLS), or before
 * any byte moved (direct TLS). It only records the request; the handshake
 * runs in the next xmppim_tls_output() / xmppim_tls_feed(), after the
 * plaintext still queued (a server's `<proceed/>`) has been written.
 * @return 0, #XMPPIM_ERR_INVALID_STATE (already started or failed).
 */
XMPPIM_EXTERN int xmppim_tls_start(xmppim_tls *t);

/**
 * Bytes from the network. @p data may be NULL with @p len 0 to resume
 * delivering decrypted bytes that the session did not take earlier (it
 * paused or hit its output limit).
 * @return the bytes consumed (all of them once TLS runs; before, what the
 * session took, plus what followed `<proceed/>`), or a negative error:
 * #XMPPIM_ERR_BACKPRESSURE (nothing taken: decrypted data still waits for
 * the session; drain the output, then feed again, see xmppim_tls_pending()), #XMPPIM_ERR_TLS (a TLS failure or
 * a fatal alert; see xmppim_tls_error_text()), #XMPPIM_ERR_TLS_VERIFY, a
 * session error (#XMPPIM_ERR_STREAM ...), #XMPPIM_ERR_NOMEM,
 * #XMPPIM_ERR_INVALID_STATE (the adapter failed or was closed earlier).
 */
XMPPIM_EXTERN long xmppim_tls_feed(xmppim_tls *t, const void *data, size_t len);

/**
 * The bytes waiting for the network (and runs whatever is due: the start
 * of the handshake, encrypting the session's new output).
 * @param data receives a pointer valid until the next call on @p t or its session.
 * @return how many bytes (0 when none).
 */
XMPPIM_EXTERN size_t xmppim_tls_output(xmppim_tls *t, const char **data);
/** Says that @p n bytes of the output were written. */
XMPPIM_EXTERN void xmppim_tls_consumed(xmppim_tls *t, size_t n);
/** @return nonzero when xmppim_tls_output() has (or would produce) bytes. */
XMPPIM_EXTERN int xmppim_tls_want_write(xmppim_tls *t);
/** @return nonzero while more input is wanted (the session's, or the handshake's). */
XMPPIM_EXTERN int xmppim_tls_want_read(const xmppim_tls *t);

/**
 * @return nonzero when received data waits for the session: decrypted bytes
 * it did not take (a callback paused, or its output reached the limit), or
 * ciphertext not yet decrypted because of them. Drain the output, then call
 * xmppim_tls_feed(t, NULL, 0) to go on; no new network bytes are needed.
 */
XMPPIM_EXTERN int xmppim_tls_pending(const xmppim_tls *t);

/** @return nonzero once the handshake completed (and the session was told). */
XMPPIM_EXTERN int xmppim_tls_is_established(const xmppim_tls *t);
/** @return the negotiated protocol ("TLS1.3", "TLS1.2"), or NULL before the handshake ends. */
XMPPIM_EXTERN const char *xmppim_tls_version(const xmppim_tls *t);

/**
 * Sends close_notify (the session's remaining output is encrypted and
 * queued first); drain the output afterwards. Nothing more is sent or read.
 * Before TLS started it only marks the adapter closed.
 * @return 0, #XMPPIM_ERR_INVALID_STATE (already closed).
 */
XMPPIM_EXTERN int xmppim_tls_close(xmppim_tls *t);

/** @return why the adapter failed, in English ("" when it did not). */
XMPPIM_EXTERN const char *xmppim_tls_error_text(const xmppim_tls *t);

#ifdef __cplusplus
}
#endif

#endif /* XMPPIM_TLS_H */
