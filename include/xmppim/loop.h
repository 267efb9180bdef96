/**
 * @file loop.h
 * @brief Optional poll(2) loop (meson feature `sockets`): drives file
 * descriptors and deadlines, and sessions over connected sockets.
 *
 * The loop knows nothing of what it drives. A *source* is two functions:
 * `prepare` says which descriptors it waits on, with which events, and its
 * next deadline; `dispatch` is called with what poll(2) reported once one
 * of its descriptors is ready or its deadline has passed. Every adapter in
 * net.h has exactly that shape (`..._pollfds()`, `..._next_deadline()`,
 * `..._process()`), so wrapping one is a few lines, and an application
 * with its own loop (GLib, libuv, libevent) drives the adapters the same
 * way without this file: before waiting, ask for fds, events and deadline;
 * after waiting, call process; repeat, since both change after each call.
 *
 * Time is the monotonic clock in milliseconds (xmppim_loop_now()), read by
 * the loop and passed down: the sans-IO core never reads a clock.
 *
 * Not thread-safe; one loop per thread.
 */
#ifndef XMPPIM_LOOP_H
#define XMPPIM_LOOP_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <xmppim/common.h>
#include <xmppim/features.h>
#include <xmppim/session.h>
#if XMPPIM_HAVE_TLS
#include <xmppim/tls.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** A poll(2)-based event loop. */
typedef struct xmppim_loop xmppim_loop;
/** One registered source. */
typedef struct xmppim_loop_source xmppim_loop_source;

/** Most descriptors one source may wait on at once. */
#define XMPPIM_LOOP_SOURCE_FDS 16

/**
 * Before each wait: fill @p fds (at most @p max, events set, revents 0) and
 * set *deadline (monotonic ms; leave UINT64_MAX for none).
 * @return how many descriptors were filled.
 */
typedef size_t (*xmppim_loop_prepare_fn)(void *user_data, struct pollfd *fds, size_t max,
                                          uint64_t now_ms, uint64_t *deadline);
/** After the wait, when a descriptor of the source is ready or its deadline passed:
 * @p fds are the ones prepare filled, with revents (all 0 for a deadline). */
typedef void (*xmppim_loop_dispatch_fn)(void *user_data, const struct pollfd *fds, size_t n,
                                        uint64_t now_ms);

/** @return the monotonic clock in milliseconds (CLOCK_MONOTONIC). */
XMPPIM_EXTERN uint64_t xmppim_loop_now(void);

/** @return 0, #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_NOMEM. */
XMPPIM_EXTERN int xmppim_loop_new(xmppim_loop **out);
/** Frees the loop and its sources (not what they drive). NULL is allowed. */
XMPPIM_EXTERN void xmppim_loop_free(xmppim_loop *l);

/**
 * Registers a source.
 * @param out if not NULL, receives its handle for xmppim_loop_remove().
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_loop_add(xmppim_loop *l, xmppim_loop_prepare_fn prepare,
                                  xmppim_loop_dispatch_fn dispatch, void *user_data,
                                  xmppim_loop_source **out);
/** Unregisters a source; allowed from inside any dispatch (it is not called again). */
XMPPIM_EXTERN void xmppim_loop_remove(xmppim_loop *l, xmppim_loop_source *src);

/**
 * Waits once, at most @p max_wait_ms (negative: until a descriptor or
 * deadline), and dispatches what is ready.
 * @return the number of sources still registered, or #XMPPIM_ERR_IO when poll failed.
 */
XMPPIM_EXTERN int xmppim_loop_run_once(xmppim_loop *l, int max_wait_ms);
/**
 * Runs until xmppim_loop_stop(), until no source is left, or until the
 * monotonic time @p until_ms (UINT64_MAX: no limit).
 * @return 0 stopped or empty, #XMPPIM_ERR_TIMEOUT at @p until_ms, #XMPPIM_ERR_IO.
 */
XMPPIM_EXTERN int xmppim_loop_run(xmppim_loop *l, uint64_t until_ms);
/** Makes xmppim_loop_run() return after the current dispatch. */
XMPPIM_EXTERN void xmppim_loop_stop(xmppim_loop *l);

/* ---------------------------------------------------------------------- */
/* A session over a connected socket                                       */
/* ---------------------------------------------------------------------- */

/**
 * A session over a connected non-blocking socket, with the three hooks
 * any loop can drive (see net.h): what xmppim_loop_add_session() uses,
 * for applications with a loop of their own. Readable bytes are fed to
 * the session (what it does not consume yet is kept and fed again later,
 * never dropped, and nothing more is read meanwhile), its output is
 * written as the socket takes it (a partial write consumes only what was
 * written), and xmppim_session_timeout() runs with the time given to
 * process, on every call, so that the session's clock is current before
 * any callback can start a timer. For a plain stream (no STARTTLS); the
 * TLS adapter has its own byte flow.
 */
typedef struct xmppim_sockio xmppim_sockio;

/**
 * @param s, fd the session and the socket, both still the caller's (free
 *   and close them after xmppim_sockio_free()).
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_sockio_new(xmppim_sockio **out, xmppim_session *s, int fd,
                                    uint64_t now_ms);
#if XMPPIM_HAVE_TLS
/**
 * xmppim_sockio_new() for a session wrapped in the TLS adapter: every byte
 * goes through @p tls (xmppim_tls_feed / _output / _consumed, its
 * want_read / want_write), decrypted bytes the session did not take yet
 * are handed on (xmppim_tls_feed(tls, NULL, 0)) before anything new is
 * read. STARTTLS still needs the application's on_starttls callback to
 * call xmppim_tls_start(); direct TLS, xmppim_tls_start() before this.
 * Only with the GnuTLS adapter built (#XMPPIM_HAVE_TLS).
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_sockio_new_tls(xmppim_sockio **out, xmppim_tls *tls, xmppim_session *s,
                                        int fd, uint64_t now_ms);
#endif
/** NULL is allowed. */
XMPPIM_EXTERN void xmppim_sockio_free(xmppim_sockio *io);
/** @return 1 (the socket, with POLLIN and/or POLLOUT as needed; events may be 0) or 0 when over. */
XMPPIM_EXTERN size_t xmppim_sockio_pollfds(const xmppim_sockio *io, struct pollfd *fds, size_t max);
/** @return when to call process at the latest (@p now_ms when there is work without waiting). */
XMPPIM_EXTERN uint64_t xmppim_sockio_next_deadline(const xmppim_sockio *io, uint64_t now_ms);
/**
 * Reads, feeds, runs the session's timers, writes.
 * @return 0 while the connection lives, 1 when it ended cleanly (the
 * session wants neither to read nor to write, or the peer hung up after
 * the stream was closed), or a negative error: #XMPPIM_ERR_IO (socket
 * error, or hang-up while the session still wanted to read) or the
 * session's error from feed.
 */
XMPPIM_EXTERN int xmppim_sockio_process(xmppim_sockio *io, const struct pollfd *fds, size_t n,
                                        uint64_t now_ms);
/** @return what the last xmppim_sockio_process() returned. */
XMPPIM_EXTERN int xmppim_sockio_status(const xmppim_sockio *io);

/** A session driven by the loop over a socket. */
typedef struct xmppim_loop_conn xmppim_loop_conn;

/**
 * Called once when the connection is over: the session closed (wants
 * neither to read nor to write), the peer hung up, or the socket or the
 * session failed. The source is already removed; the session and the
 * descriptor are still the caller's, to free and close (here or later).
 * @param status 0 for a clean end, #XMPPIM_ERR_IO (socket error or
 * hang-up before the stream closed), or the session's error from feed
 * (its stream error and close tag were written first, as far as the
 * socket took them without waiting).
 */
typedef void (*xmppim_loop_conn_done_fn)(xmppim_loop_conn *conn, xmppim_session *s, int fd,
                                         int status, void *user_data);

/**
 * Drives @p s over the connected non-blocking socket @p fd: readable bytes
 * are fed to the session (what it does not consume yet is kept and fed
 * again later, never dropped), its output is written as the socket takes
 * it (partial writes are fine: only what was written is consumed), and
 * xmppim_session_timeout() is called at xmppim_session_next_deadline()
 * with the loop's clock. For a plain stream (no STARTTLS); the TLS adapter
 * brings its own driver.
 *
 * The session's clock (the `now` of xmppim_session_timeout(), from which
 * it times IQs and keepalives) is set when the session is added and on
 * every dispatch of it, before any byte is fed, so timers started from its
 * callbacks count from the present.
 *
 * Send stanzas with xmppim_session_send() at any time from the loop's
 * thread: the output is picked up before the next wait. From outside the
 * session's own dispatch the session's clock may be as old as its last
 * dispatch; call xmppim_session_timeout(s, xmppim_loop_now()) first when
 * that matters (an IQ with a short timeout).
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_loop_add_session(xmppim_loop *l, xmppim_session *s, int fd,
                                          xmppim_loop_conn_done_fn done, void *user_data,
                                          xmppim_loop_conn **out);
#if XMPPIM_HAVE_TLS
/** xmppim_loop_add_session() through the TLS adapter (see xmppim_sockio_new_tls()). */
XMPPIM_EXTERN int xmppim_loop_add_tls_session(xmppim_loop *l, xmppim_tls *tls, xmppim_session *s,
                                              int fd, xmppim_loop_conn_done_fn done,
                                              void *user_data, xmppim_loop_conn **out);
#endif
/** Stops driving (no done call); the session and fd stay the caller's. NULL is allowed. */
XMPPIM_EXTERN void xmppim_loop_conn_remove(xmppim_loop_conn *conn);

#ifdef __cplusplus
}
#endif

#endif /* XMPPIM_LOOP_H */
