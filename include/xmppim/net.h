/**
 * @file net.h
 * @brief Optional socket adapter (meson feature `sockets`, needs c-ares):
 * asynchronous SRV/A/AAAA resolution of an XMPP domain, non-blocking TCP
 * connect over the resulting candidates, and a listener helper.
 *
 * Nothing here blocks. Each object exposes what an event loop needs:
 * the file descriptors it waits on with the poll(2) events it wants
 * (`..._pollfds()`), when it next wants to be called without any event
 * (`..._next_deadline()`, monotonic milliseconds of the caller's clock,
 * the same clock as `now_ms` arguments), and one call to run it
 * (`..._process()`). xmppim_loop (loop.h) drives them, or any other loop
 * (GLib, libuv, libevent) can: register the fds with the events asked,
 * arm a timer at the deadline, call process with what happened, and ask
 * again for fds and deadline after every call, since both change.
 *
 * Available when <xmppim/features.h> defines #XMPPIM_HAVE_SOCKETS to 1.
 */
#ifndef XMPPIM_NET_H
#define XMPPIM_NET_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <xmppim/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Default port of client-to-server XMPP (RFC 6120 section 3.2.1). */
#define XMPPIM_NET_DEFAULT_PORT 5222
/** Longest numeric address text, IPv6 included, with its terminator. */
#define XMPPIM_NET_ADDR_MAX 46

/** One address to try, in the order given by the resolver. */
typedef struct xmppim_net_candidate {
  char address[XMPPIM_NET_ADDR_MAX]; /**< numeric IPv4 or IPv6 address */
  int family;                        /**< AF_INET or AF_INET6 */
  uint16_t port;                     /**< TCP port */
  int direct_tls;                    /**< 1: TLS from the first byte (XEP-0368, `_xmpps-client`); 0: STARTTLS */
  char host[256];                    /**< the SRV target (or the domain itself) it came from */
} xmppim_net_candidate;

/**
 * A source of randomness for the RFC 2782 weighted selection among SRV
 * records of equal priority. Returns any 32-bit value; tests inject a
 * fixed sequence for determinism.
 */
typedef uint32_t (*xmppim_net_random_fn)(void *user_data);

/* ---------------------------------------------------------------------- */
/* Resolver                                                                */
/* ---------------------------------------------------------------------- */

/** Resolves one XMPP domain to an ordered list of candidates. */
typedef struct xmppim_resolver xmppim_resolver;

/**
 * Creates an idle resolver. Configure it, then xmppim_resolver_start().
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_resolver_new(xmppim_resolver **out);
/** Cancels whatever is under way and frees. NULL is allowed. */
XMPPIM_EXTERN void xmppim_resolver_free(xmppim_resolver *r);
/**
 * The DNS servers to ask, as c-ares' "host[:port],..." list (for example
 * "127.0.0.1:5353,[::1]:53"); the system's by default. Before start.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT, #XMPPIM_ERR_INVALID_STATE or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_resolver_set_servers(xmppim_resolver *r, const char *servers_csv);
/** The randomness for the weighted choice (NULL: the default, a small generator seeded per resolver). */
XMPPIM_EXTERN void xmppim_resolver_set_random(xmppim_resolver *r, xmppim_net_random_fn fn,
                                              void *user_data);
/**
 * Time limits: @p try_ms per DNS attempt (default 2000), @p tries attempts
 * per query (default 2), and @p total_ms for the whole resolution (default
 * 10000; 0 = no overall limit). Before start.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_INVALID_STATE.
 */
XMPPIM_EXTERN int xmppim_resolver_set_timeouts(xmppim_resolver *r, unsigned try_ms,
                                               unsigned tries, uint64_t total_ms);
/**
 * Starts resolving @p domain: the `_xmpp-client._tcp` and
 * `_xmpps-client._tcp` SRV records (RFC 6120 3.2, XEP-0368), then each
 * target's AAAA and A records. An IP literal is a candidate at once.
 * @param now_ms the caller's monotonic clock.
 * @return 0 (in progress or already done), #XMPPIM_ERR_INVALID_ARGUMENT,
 * #XMPPIM_ERR_INVALID_STATE (started before), #XMPPIM_ERR_NOMEM or
 * #XMPPIM_ERR_INTERNAL (c-ares could not start; see xmppim_resolver_error()).
 */
XMPPIM_EXTERN int xmppim_resolver_start(xmppim_resolver *r, const char *domain, uint64_t now_ms);
/**
 * The descriptors to wait on and the events wanted (revents cleared).
 * @return how many were written (at most @p max); 0 when none.
 */
XMPPIM_EXTERN size_t xmppim_resolver_pollfds(const xmppim_resolver *r, struct pollfd *fds,
                                             size_t max);
/** @return when to call xmppim_resolver_process() at the latest, or UINT64_MAX. */
XMPPIM_EXTERN uint64_t xmppim_resolver_next_deadline(const xmppim_resolver *r, uint64_t now_ms);
/**
 * Runs the resolver: @p fds as filled by xmppim_resolver_pollfds() with
 * their revents from poll (NULL/0 for a timer), and the time.
 * @return xmppim_resolver_status() after the call.
 */
XMPPIM_EXTERN int xmppim_resolver_process(xmppim_resolver *r, const struct pollfd *fds, size_t n,
                                          uint64_t now_ms);
/**
 * @return 1 when done with candidates, 0 while under way (or not started),
 * or a negative error when it failed: #XMPPIM_ERR_NOT_FOUND (the domain
 * has no address, or its SRV records say "." — no service), #XMPPIM_ERR_TIMEOUT,
 * #XMPPIM_ERR_IO, #XMPPIM_ERR_NOMEM. xmppim_resolver_error() has the text.
 */
XMPPIM_EXTERN int xmppim_resolver_status(const xmppim_resolver *r);
/**
 * The candidates, in the order to try them: SRV targets by priority and
 * RFC 2782 weighted choice (`_xmpp-client` and `_xmpps-client` records
 * merged), each target's IPv6 and IPv4 addresses interleaved, IPv6 first
 * (RFC 8305 section 4); the domain on port 5222 when there are no SRV records.
 * @return how many; *out points into the resolver.
 */
XMPPIM_EXTERN size_t xmppim_resolver_candidates(const xmppim_resolver *r,
                                                const xmppim_net_candidate **out);
/** @return a text saying why it failed ("" when it did not). */
XMPPIM_EXTERN const char *xmppim_resolver_error(const xmppim_resolver *r);

/* ---------------------------------------------------------------------- */
/* Connector                                                               */
/* ---------------------------------------------------------------------- */

/** Tries candidates in turn until one TCP connect succeeds. */
typedef struct xmppim_connector xmppim_connector;

/**
 * Creates a connector over a copy of @p candidates, each tried for at most
 * @p attempt_ms (0: 10000) in turn, and starts the first attempt.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_connector_new(xmppim_connector **out,
                                       const xmppim_net_candidate *candidates, size_t n,
                                       uint64_t attempt_ms, uint64_t now_ms);
/**
 * Staggered attempts (RFC 8305 section 5, "Happy Eyeballs"): when an
 * attempt has not succeeded after @p ms, the next candidate is tried
 * beside it (up to 8 at once); the first to connect wins and the others
 * are closed. 0 (the default) tries one candidate at a time; RFC 8305
 * recommends 250. The dialer uses 250.
 */
XMPPIM_EXTERN void xmppim_connector_set_stagger(xmppim_connector *c, uint64_t ms, uint64_t now_ms);
/** Closes any socket still owned and frees. NULL is allowed. */
XMPPIM_EXTERN void xmppim_connector_free(xmppim_connector *c);
/** @return how many descriptors (one per attempt under way, POLLOUT) were written. */
XMPPIM_EXTERN size_t xmppim_connector_pollfds(const xmppim_connector *c, struct pollfd *fds,
                                              size_t max);
/** @return when an attempt times out or the next staggered one starts, or UINT64_MAX. */
XMPPIM_EXTERN uint64_t xmppim_connector_next_deadline(const xmppim_connector *c);
/** Runs the connector (see xmppim_resolver_process()). @return xmppim_connector_status(). */
XMPPIM_EXTERN int xmppim_connector_process(xmppim_connector *c, const struct pollfd *fds,
                                           size_t n, uint64_t now_ms);
/**
 * @return 1 connected, 0 under way, or #XMPPIM_ERR_IO / #XMPPIM_ERR_TIMEOUT
 * when every candidate failed (the text lists each failure).
 */
XMPPIM_EXTERN int xmppim_connector_status(const xmppim_connector *c);
/**
 * Once connected: hands over the non-blocking socket (the caller closes it).
 * @param which if not NULL, receives the candidate that answered (valid
 * until the connector is freed).
 * @return the descriptor, or -1 when not connected (or already taken).
 */
XMPPIM_EXTERN int xmppim_connector_take_fd(xmppim_connector *c, const xmppim_net_candidate **which);
/** @return what went wrong, one line per failed candidate ("" when nothing did). */
XMPPIM_EXTERN const char *xmppim_connector_error(const xmppim_connector *c);

/* ---------------------------------------------------------------------- */
/* Dialer: resolver then connector                                         */
/* ---------------------------------------------------------------------- */

/** Resolves an XMPP domain and connects to the first candidate that answers. */
typedef struct xmppim_dialer xmppim_dialer;

/**
 * Starts resolving @p domain, then connecting to the candidates in order.
 * @param resolver a configured resolver not yet started, taken over by the
 *   dialer in every case (freed with it, or at once on failure); NULL for
 *   a default one (the system's DNS servers).
 * @param attempt_ms the time limit of each connect attempt (0: 10000).
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT, #XMPPIM_ERR_NOMEM or what
 *   xmppim_resolver_start() returned.
 */
XMPPIM_EXTERN int xmppim_dialer_new(xmppim_dialer **out, xmppim_resolver *resolver,
                                    const char *domain, uint64_t attempt_ms, uint64_t now_ms);
/** Frees the dialer, its resolver and any socket not taken. NULL is allowed. */
XMPPIM_EXTERN void xmppim_dialer_free(xmppim_dialer *d);
/** See xmppim_resolver_pollfds(). */
XMPPIM_EXTERN size_t xmppim_dialer_pollfds(const xmppim_dialer *d, struct pollfd *fds, size_t max);
/** See xmppim_resolver_next_deadline(). */
XMPPIM_EXTERN uint64_t xmppim_dialer_next_deadline(const xmppim_dialer *d, uint64_t now_ms);
/** Runs the dialer. @return xmppim_dialer_status(). */
XMPPIM_EXTERN int xmppim_dialer_process(xmppim_dialer *d, const struct pollfd *fds, size_t n,
                                        uint64_t now_ms);
/**
 * @return 1 connected, 0 under way, or the resolver's error (see
 * xmppim_resolver_status()) or the connector's (#XMPPIM_ERR_IO,
 * #XMPPIM_ERR_TIMEOUT).
 */
XMPPIM_EXTERN int xmppim_dialer_status(const xmppim_dialer *d);
/**
 * Once connected: hands over the socket. @p which receives the candidate
 * (its `direct_tls` says whether to start TLS at once, its `host` which
 * target answered; the TLS name to check is still the XMPP domain).
 * @return the descriptor, or -1.
 */
XMPPIM_EXTERN int xmppim_dialer_take_fd(xmppim_dialer *d, const xmppim_net_candidate **which);
/** @return why it failed ("" when it did not). */
XMPPIM_EXTERN const char *xmppim_dialer_error(const xmppim_dialer *d);

/* ---------------------------------------------------------------------- */
/* Server side                                                             */
/* ---------------------------------------------------------------------- */

/**
 * Opens a non-blocking listening TCP socket (SO_REUSEADDR; IPV6_V6ONLY
 * off for "::").
 * @param address numeric address to bind ("127.0.0.1", "::"); NULL: "::".
 * @param port the port; 0 picks a free one (see xmppim_net_local_port()).
 * @param backlog listen(2)'s backlog; 0 or less: SOMAXCONN.
 * @return the descriptor, or -1 (errno set).
 */
XMPPIM_EXTERN int xmppim_net_listen(const char *address, uint16_t port, int backlog);
/**
 * Accepts one connection, non-blocking and close-on-exec.
 * @return the descriptor, -1 with errno EAGAIN when none is waiting, or -1
 * with another errno.
 */
XMPPIM_EXTERN int xmppim_net_accept(int listen_fd);
/** @return the local port a socket is bound to, or 0. */
XMPPIM_EXTERN uint16_t xmppim_net_local_port(int fd);

#ifdef __cplusplus
}
#endif

#endif /* XMPPIM_NET_H */
