/**
 * @file client.h
 * A ready-made client: one object that assembles a client session, the TLS
 * adapter, the dialer (or a fixed address), the roster and the presence
 * tracker on an #xmppim_loop. Built when both the sockets and the TLS
 * adapters are.
 *
 * On xmppim_client_connect() it resolves and dials the account's domain
 * (or the address given with xmppim_client_options_set_address()), runs
 * STARTTLS (or direct TLS), logs in, fetches the roster (with versioning,
 * by #xmppim_roster) and sends initial presence; then on_connected.
 * Stanzas are offered to the presence tracker, then to the roster, then to
 * the message and subscription callbacks. When reconnecting is on, a
 * connection that ends without xmppim_client_disconnect() is tried again
 * after 1 s, doubling up to 60 s, with jitter.
 *
 * None of the functions may be called from another thread than the loop's;
 * xmppim_client_free() must not be called from the client's callbacks.
 */
#ifndef XMPPIM_CLIENT_H
#define XMPPIM_CLIENT_H

#include <stdint.h>
#include <xmppim/common.h>
#include <xmppim/loop.h>
#include <xmppim/message.h>
#include <xmppim/presence.h>
#include <xmppim/roster.h>
#include <xmppim/session.h>
#include <xmppim/tls.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xmppim_client xmppim_client;
typedef struct xmppim_client_options xmppim_client_options;

/** What the client reports. Zero-initialise and set what you want; copied at creation. */
typedef struct xmppim_client_callbacks {
  /** Logged in, roster fetched (when asked) and initial presence sent (when asked). */
  void (*on_connected)(xmppim_client *c, void *user_data);
  /** The connection ended (or could not be made); @p reason in English. Another
   * attempt follows when xmppim_client_will_retry() says so (reconnect on, and the
   * failure not one that would repeat: bad password, no password). The contacts'
   * resources were reported unavailable through on_presence just before. */
  void (*on_disconnected)(xmppim_client *c, const char *reason, void *user_data);
  /** A message with a body. */
  void (*on_message)(xmppim_client *c, xmppim_message_type type, const char *from,
                     const char *body, void *user_data);
  /** A contact's resource became available, changed or went away (see #xmppim_presence_callbacks). */
  void (*on_presence)(xmppim_client *c, xmppim_presence_event event, const char *contact,
                      const xmppim_presence_resource *resource, void *user_data);
  /** @p from asks to see our presence: answer with xmppim_client_approve() or xmppim_client_deny(). */
  void (*on_subscription_request)(xmppim_client *c, const char *from, void *user_data);
  /** The roster changed (a full result or a push): read xmppim_client_roster(). */
  void (*on_roster_changed)(xmppim_client *c, void *user_data);
  /** The server answered a roster set or removal sent with xmppim_client_roster()'s
   * functions: @p error is NULL when accepted, else the stanza error condition's
   * name (see #xmppim_roster_callbacks, on_set_done). */
  void (*on_roster_set_done)(xmppim_client *c, const char *jid, const char *error,
                             void *user_data);
  /**
   * Gives the password at each login, for an application that keeps it in a
   * keyring or asks its user rather than hand it to xmppim_client_new()
   * (then NULL there). Write it NUL-terminated into @p buf (@p cap bytes;
   * the client wipes the buffer after use). @return 0, or a negative value
   * to give up this connection ("no password" is reported; no retry).
   */
  int (*get_password)(xmppim_client *c, char *buf, size_t cap, void *user_data);
} xmppim_client_callbacks;

/** @return 0, #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_NOMEM. Defaults: system trust
 * store, DNS, initial presence on, roster fetch on, reconnect off. */
XMPPIM_EXTERN int xmppim_client_options_new(xmppim_client_options **out);
/** NULL is allowed. */
XMPPIM_EXTERN void xmppim_client_options_free(xmppim_client_options *o);
/** A TLS configuration to use (borrowed: it must outlive the client); overrides the CA file
 * and insecure settings below. */
XMPPIM_EXTERN int xmppim_client_options_set_tls_config(xmppim_client_options *o,
                                                       const xmppim_tls_config *cfg);
/** Verify the server against this PEM file instead of the system trust store. The file
 * is read now: @return 0, #XMPPIM_ERR_TLS (missing or not PEM certificates; the reason in
 * xmppim_client_options_error_text()), #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_NOMEM. */
XMPPIM_EXTERN int xmppim_client_options_set_ca_file(xmppim_client_options *o, const char *pem);
/** @return why the last failing setter failed, in English ("" when it has no more to say). */
XMPPIM_EXTERN const char *xmppim_client_options_error_text(const xmppim_client_options *o);
/** Do not verify the server's certificate at all (tests only). */
XMPPIM_EXTERN int xmppim_client_options_set_insecure_skip_verify(xmppim_client_options *o, int on);
/** Connect to this numeric address and port instead of resolving the domain (NULL: resolve).
 * The certificate is still checked against the JID's domain. */
XMPPIM_EXTERN int xmppim_client_options_set_address(xmppim_client_options *o, const char *address,
                                                    uint16_t port);
/** Send initial presence once connected (default 1). */
XMPPIM_EXTERN int xmppim_client_options_set_initial_presence(xmppim_client_options *o, int on);
/** Fetch the roster once connected (default 1). */
XMPPIM_EXTERN int xmppim_client_options_set_auto_roster(xmppim_client_options *o, int on);
/** Reconnect with backoff after a connection ends unexpectedly (default 0). */
XMPPIM_EXTERN int xmppim_client_options_set_reconnect(xmppim_client_options *o, int on);
/** The reconnect backoff: the first wait @p first_ms (default 1000), doubling up to
 * @p max_ms (default 60000); each wait is then cut to a random point between its half and
 * its whole (jitter). @return #XMPPIM_ERR_INVALID_ARGUMENT when @p first_ms is 0 or above
 * @p max_ms. */
XMPPIM_EXTERN int xmppim_client_options_set_backoff(xmppim_client_options *o, uint32_t first_ms,
                                                    uint32_t max_ms);
/** The DNS servers to ask instead of the system's, as c-ares' "host[:port],..." list
 * (NULL: the system's). Only used when no fixed address is set. */
XMPPIM_EXTERN int xmppim_client_options_set_dns_servers(xmppim_client_options *o,
                                                       const char *servers_csv);

/**
 * Creates a client on @p loop (which must outlive it).
 * @param password copied (wiped at free); NULL when the get_password
 * callback gives it at each login.
 * @param callbacks copied; NULL for none. @param options copied; NULL for the defaults.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (a bad JID), #XMPPIM_ERR_NOMEM or #XMPPIM_ERR_TLS.
 */
XMPPIM_EXTERN int xmppim_client_new(xmppim_client **out, xmppim_loop *loop, const char *jid,
                                    const char *password, const xmppim_client_callbacks *callbacks,
                                    void *user_data, const xmppim_client_options *options);
/** Closes the connection at once (no stream close) and frees. NULL is allowed. */
XMPPIM_EXTERN void xmppim_client_free(xmppim_client *c);
/** Starts connecting. @return 0, #XMPPIM_ERR_INVALID_STATE (already connecting or connected)
 * or a dialer error. */
XMPPIM_EXTERN int xmppim_client_connect(xmppim_client *c);
/** Sends unavailable presence and closes the stream; on_disconnected follows. No reconnect. */
XMPPIM_EXTERN int xmppim_client_disconnect(xmppim_client *c);
/** @return nonzero while a reconnect is scheduled (also inside on_disconnected). */
XMPPIM_EXTERN int xmppim_client_will_retry(const xmppim_client *c);
/** @return nonzero once on_connected was called and until the connection ends. */
XMPPIM_EXTERN int xmppim_client_is_connected(const xmppim_client *c);
/** Sends a chat message. @return 0, #XMPPIM_ERR_INVALID_STATE (not connected) or a send error. */
XMPPIM_EXTERN int xmppim_client_send_message(xmppim_client *c, const char *to, const char *body);
/**
 * Sets our presence: sent at once when connected, and the initial presence
 * of every later connection (default: available, no status, priority 0).
 * @param status NULL for none. @param priority -128..127 (RFC 6121 section 4.7.2.3).
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT, #XMPPIM_ERR_NOMEM or a send error.
 */
XMPPIM_EXTERN int xmppim_client_set_presence(xmppim_client *c, xmppim_show show,
                                             const char *status, int priority);
/** Allows @p jid to see our presence (presence type subscribed). */
XMPPIM_EXTERN int xmppim_client_approve(xmppim_client *c, const char *jid);
/** Refuses (presence type unsubscribed). */
XMPPIM_EXTERN int xmppim_client_deny(xmppim_client *c, const char *jid);
/** The current connection's parts, or NULL when there is none. */
XMPPIM_EXTERN xmppim_session *xmppim_client_session(const xmppim_client *c);
XMPPIM_EXTERN xmppim_roster *xmppim_client_roster(const xmppim_client *c);
XMPPIM_EXTERN xmppim_presence *xmppim_client_presence(const xmppim_client *c);

#ifdef __cplusplus
}
#endif

#endif /* XMPPIM_CLIENT_H */
