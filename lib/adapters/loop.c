/*
 * A small poll(2) loop over "sources" (prepare: fds, events, deadline;
 * dispatch: what happened), and the driver of one session over a socket.
 * The loop reads the monotonic clock and hands the time down; the core
 * never does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <xmppim/features.h>
#include <xmppim/loop.h>
#if XMPPIM_HAVE_TLS
#include <xmppim/tls.h>
#endif

struct xmppim_loop_source {
  xmppim_loop_prepare_fn prepare;
  xmppim_loop_dispatch_fn dispatch;
  void *ud;
  void (*destroy)(void *ud); /* internal sources free their state when reaped */
  int removed;
  size_t first, count; /* its slice of the pollfd array this round */
  uint64_t deadline;
};

struct xmppim_loop {
  xmppim_loop_source **src;
  size_t n, cap;
  struct pollfd *fds;
  size_t fds_cap;
  int stop;
  int dispatching;
};

uint64_t xmppim_loop_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int xmppim_loop_new(xmppim_loop **out) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = calloc(1, sizeof **out);
  return *out ? 0 : XMPPIM_ERR_NOMEM;
}

static void reap(xmppim_loop *l) {
  size_t k = 0;
  for (size_t i = 0; i < l->n; i++) {
    xmppim_loop_source *s = l->src[i];
    if (s->removed) {
      if (s->destroy) s->destroy(s->ud);
      free(s);
    } else {
      l->src[k++] = s;
    }
  }
  l->n = k;
}

void xmppim_loop_free(xmppim_loop *l) {
  if (!l) return;
  for (size_t i = 0; i < l->n; i++) l->src[i]->removed = 1;
  reap(l);
  free(l->src);
  free(l->fds);
  free(l);
}

static int add_source(xmppim_loop *l, xmppim_loop_prepare_fn prepare,
                      xmppim_loop_dispatch_fn dispatch, void *ud, void (*destroy)(void *),
                      xmppim_loop_source **out) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    xmppim_loop_source **n = realloc(l->src, cap * sizeof *n);
    if (!n) return XMPPIM_ERR_NOMEM;
    l->src = n;
    l->cap = cap;
  }
  xmppim_loop_source *s = calloc(1, sizeof *s);
  if (!s) return XMPPIM_ERR_NOMEM;
  s->prepare = prepare;
  s->dispatch = dispatch;
  s->ud = ud;
  s->destroy = destroy;
  l->src[l->n++] = s;
  if (out) *out = s;
  return 0;
}

int xmppim_loop_add(xmppim_loop *l, xmppim_loop_prepare_fn prepare,
                    xmppim_loop_dispatch_fn dispatch, void *user_data, xmppim_loop_source **out) {
  if (out) *out = NULL;
  if (!l || !prepare || !dispatch) return XMPPIM_ERR_INVALID_ARGUMENT;
  return add_source(l, prepare, dispatch, user_data, NULL, out);
}

void xmppim_loop_remove(xmppim_loop *l, xmppim_loop_source *src) {
  if (!l || !src) return;
  src->removed = 1;
  if (!l->dispatching) reap(l);
}

int xmppim_loop_run_once(xmppim_loop *l, int max_wait_ms) {
  if (!l) return XMPPIM_ERR_INVALID_ARGUMENT;
  uint64_t now = xmppim_loop_now();
  uint64_t deadline = UINT64_MAX;
  size_t total = 0;
  size_t nsrc = l->n; /* sources added by a dispatch wait for the next round */
  for (size_t i = 0; i < nsrc; i++) {
    xmppim_loop_source *s = l->src[i];
    if (l->fds_cap - total < XMPPIM_LOOP_SOURCE_FDS) {
      size_t cap = (l->fds_cap ? l->fds_cap * 2 : 64) + XMPPIM_LOOP_SOURCE_FDS;
      struct pollfd *n = realloc(l->fds, cap * sizeof *n);
      if (!n) return XMPPIM_ERR_NOMEM;
      l->fds = n;
      l->fds_cap = cap;
    }
    s->deadline = UINT64_MAX;
    s->first = total;
    s->count = s->removed ? 0
                          : s->prepare(s->ud, l->fds + total, XMPPIM_LOOP_SOURCE_FDS, now,
                                       &s->deadline);
    if (s->count > XMPPIM_LOOP_SOURCE_FDS) s->count = XMPPIM_LOOP_SOURCE_FDS;
    total += s->count;
    if (!s->removed && s->deadline < deadline) deadline = s->deadline;
  }
  int timeout = max_wait_ms < 0 ? -1 : max_wait_ms;
  if (deadline != UINT64_MAX) {
    uint64_t wait = deadline > now ? deadline - now : 0;
    if (timeout < 0 || wait < (uint64_t)timeout) timeout = (int)(wait > 86400000u ? 86400000u : wait);
  }
  int rc = poll(l->fds, total, timeout);
  if (rc < 0 && errno != EINTR) return XMPPIM_ERR_IO;
  now = xmppim_loop_now();
  l->dispatching = 1;
  for (size_t i = 0; i < nsrc; i++) {
    xmppim_loop_source *s = l->src[i];
    if (s->removed) continue;
    int ready = s->deadline <= now;
    for (size_t k = 0; !ready && rc > 0 && k < s->count; k++)
      if (l->fds[s->first + k].revents) ready = 1;
    if (ready) s->dispatch(s->ud, l->fds + s->first, s->count, now);
  }
  l->dispatching = 0;
  reap(l);
  return (int)l->n;
}

int xmppim_loop_run(xmppim_loop *l, uint64_t until_ms) {
  if (!l) return XMPPIM_ERR_INVALID_ARGUMENT;
  l->stop = 0;
  while (!l->stop && l->n > 0) {
    uint64_t now = xmppim_loop_now();
    if (now >= until_ms) return XMPPIM_ERR_TIMEOUT;
    uint64_t left = until_ms - now;
    int rc = xmppim_loop_run_once(l, until_ms == UINT64_MAX ? -1 : (int)(left > 86400000u ? 86400000u : left));
    if (rc < 0) return rc;
  }
  return 0;
}

void xmppim_loop_stop(xmppim_loop *l) {
  if (l) l->stop = 1;
}

/* ---------------------------------------------------------------------- */
/* Session driver                                                          */
/* ---------------------------------------------------------------------- */

enum { IO_READ_CHUNK = 16384 };

struct xmppim_sockio {
  xmppim_session *s;
#if XMPPIM_HAVE_TLS
  xmppim_tls *tls; /* when set, every byte goes through it */
#endif
  int fd;
  int status;  /* 0 running, 1 ended cleanly, negative: failed */
  int eof;
  int stalled; /* the last feed consumed nothing: wait for an event before trying again */
  /* bytes read but not yet consumed by the session */
  char *pending;
  size_t npending;
};

static int io_want_read(const xmppim_sockio *io) {
#if XMPPIM_HAVE_TLS
  if (io->tls) return xmppim_tls_want_read(io->tls);
#endif
  return xmppim_session_want_read(io->s);
}

static int io_want_write(const xmppim_sockio *io) {
#if XMPPIM_HAVE_TLS
  if (io->tls) return xmppim_tls_want_write(io->tls);
#endif
  return xmppim_session_want_write(io->s);
}

static size_t io_output(xmppim_sockio *io, const char **data) {
#if XMPPIM_HAVE_TLS
  if (io->tls) return xmppim_tls_output(io->tls, data);
#endif
  return xmppim_session_output(io->s, data);
}

static void io_consumed(xmppim_sockio *io, size_t n) {
#if XMPPIM_HAVE_TLS
  if (io->tls) {
    xmppim_tls_consumed(io->tls, n);
    return;
  }
#endif
  xmppim_session_consumed(io->s, n);
}

static long io_take(xmppim_sockio *io, const void *data, size_t len) {
#if XMPPIM_HAVE_TLS
  if (io->tls) return xmppim_tls_feed(io->tls, data, len);
#endif
  return xmppim_session_feed(io->s, data, len);
}

/* Decrypted data waits in the TLS adapter for the session. */
static int io_tls_pending(const xmppim_sockio *io) {
#if XMPPIM_HAVE_TLS
  if (io->tls) return xmppim_tls_pending(io->tls);
#endif
  (void)io;
  return 0;
}

int xmppim_sockio_new(xmppim_sockio **out, xmppim_session *s, int fd, uint64_t now_ms) {
  if (out) *out = NULL;
  if (!out || !s || fd < 0) return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_sockio *io = calloc(1, sizeof *io);
  if (!io) return XMPPIM_ERR_NOMEM;
  io->s = s;
  io->fd = fd;
  int rc = xmppim_session_timeout(s, now_ms); /* the session's clock starts now */
  if (rc != 0) {
    free(io);
    return rc;
  }
  *out = io;
  return 0;
}

#if XMPPIM_HAVE_TLS
int xmppim_sockio_new_tls(xmppim_sockio **out, xmppim_tls *tls, xmppim_session *s, int fd,
                          uint64_t now_ms) {
  if (out) *out = NULL;
  if (!tls) return XMPPIM_ERR_INVALID_ARGUMENT;
  int rc = xmppim_sockio_new(out, s, fd, now_ms);
  if (rc == 0) (*out)->tls = tls;
  return rc;
}
#endif

void xmppim_sockio_free(xmppim_sockio *io) {
  if (!io) return;
  free(io->pending);
  free(io);
}

size_t xmppim_sockio_pollfds(const xmppim_sockio *io, struct pollfd *fds, size_t max) {
  if (!io || io->status != 0 || max == 0) return 0;
  short ev = 0;
  /* read only when what was read before is all consumed: that is the back-pressure */
  if (!io->eof && io->npending == 0 && !io_tls_pending(io) && io_want_read(io)) ev |= POLLIN;
  if (io_want_write(io)) ev |= POLLOUT;
  fds[0].fd = io->fd;
  fds[0].events = ev;
  fds[0].revents = 0;
  return 1;
}

uint64_t xmppim_sockio_next_deadline(const xmppim_sockio *io, uint64_t now_ms) {
  if (!io || io->status != 0) return UINT64_MAX;
  if (((io->npending > 0 || io_tls_pending(io)) && !io->stalled) || io->eof ||
      (!io_want_read(io) && !io_want_write(io)))
    return now_ms; /* work to do without waiting */
  return xmppim_session_next_deadline(io->s);
}

/* Writes what the socket takes. @return 0, or XMPPIM_ERR_IO. */
static int io_flush(xmppim_sockio *io) {
  for (;;) {
    const char *data;
    size_t len = io_output(io, &data);
    if (len == 0) return 0;
    ssize_t w = send(io->fd, data, len, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      return XMPPIM_ERR_IO;
    }
    io_consumed(io, (size_t)w);
    if ((size_t)w < len) return 0;
  }
}

/* Feeds what is pending. @return 0 or the session's error. */
static int io_feed(xmppim_sockio *io) {
  io->stalled = 0;
  if (io_tls_pending(io)) {
    /* the adapter holds decrypted bytes the session did not take yet */
    long r = io_take(io, NULL, 0);
    if (r < 0 && r != XMPPIM_ERR_BACKPRESSURE) return (int)r;
    if (io_tls_pending(io)) {
      io->stalled = 1;
      return 0;
    }
  }
  while (io->npending > 0) {
    long n = io_take(io, io->pending, io->npending);
    if (n == XMPPIM_ERR_BACKPRESSURE || n == 0) {
      io->stalled = 1; /* drain the output, or wait for TLS: keep the bytes */
      return 0;
    }
    if (n < 0) return (int)n;
    memmove(io->pending, io->pending + n, io->npending - (size_t)n);
    io->npending -= (size_t)n;
  }
  return 0;
}

int xmppim_sockio_process(xmppim_sockio *io, const struct pollfd *fds, size_t n, uint64_t now) {
  if (!io) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (io->status != 0) return io->status;
  short rev = 0;
  for (size_t i = 0; fds && i < n; i++)
    if (fds[i].fd == io->fd) rev |= fds[i].revents;
  /* The session's clock is the last time it was given: keep it current
     before anything can start a timer (an IQ sent from a callback). */
  int rc = xmppim_session_timeout(io->s, now);
  if (rc == 0) rc = io_flush(io);
  if (rc == 0) rc = io_feed(io);
  if (rc == 0 && (rev & (POLLIN | POLLHUP | POLLERR)) && io->npending == 0 && !io->eof) {
    if (!io->pending) io->pending = malloc(IO_READ_CHUNK);
    if (!io->pending) {
      rc = XMPPIM_ERR_NOMEM;
    } else {
      ssize_t r;
      do {
        r = recv(io->fd, io->pending, IO_READ_CHUNK, 0);
      } while (r < 0 && errno == EINTR);
      if (r > 0) {
        io->npending = (size_t)r;
        rc = io_feed(io);
      } else if (r == 0) {
        io->eof = 1;
      } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        rc = XMPPIM_ERR_IO;
      }
    }
  }
  if (rc == 0 && xmppim_session_next_deadline(io->s) <= now) rc = xmppim_session_timeout(io->s, now);
  if (rc == 0) rc = io_flush(io);
  /* A session that failed on its input has queued its last words (the
   * stream error, the close tag): send what the socket takes now, since
   * nobody will call again. Not after a socket error or a lack of memory. */
  if (rc != 0 && rc != XMPPIM_ERR_IO && rc != XMPPIM_ERR_NOMEM) (void)io_flush(io);
  if (rc != 0) return io->status = rc;
  int wr = io_want_read(io), ww = io_want_write(io);
  if (!wr && !ww)
    io->status = 1;
  else if (io->eof && io->npending == 0)
    /* the peer hung up: fine once our side has nothing left to read */
    io->status = wr ? XMPPIM_ERR_IO : 1;
  return io->status;
}

int xmppim_sockio_status(const xmppim_sockio *io) {
  return io ? io->status : XMPPIM_ERR_INVALID_ARGUMENT;
}

/* ---- the same, as a source of xmppim_loop ---- */

struct xmppim_loop_conn {
  xmppim_loop *loop;
  xmppim_loop_source *src;
  xmppim_sockio *io;
  xmppim_session *s;
  int fd;
  xmppim_loop_conn_done_fn done;
  void *ud;
  int finished;
};

static void conn_destroy(void *ud) {
  xmppim_loop_conn *c = ud;
  xmppim_sockio_free(c->io);
  free(c);
}

static size_t conn_prepare(void *ud, struct pollfd *fds, size_t max, uint64_t now,
                           uint64_t *deadline) {
  xmppim_loop_conn *c = ud;
  if (c->finished) return 0;
  *deadline = xmppim_sockio_next_deadline(c->io, now);
  return xmppim_sockio_pollfds(c->io, fds, max);
}

static void conn_dispatch(void *ud, const struct pollfd *fds, size_t n, uint64_t now) {
  xmppim_loop_conn *c = ud;
  if (c->finished) return;
  int st = xmppim_sockio_process(c->io, fds, n, now);
  if (st == 0) return;
  c->finished = 1;
  xmppim_loop_remove(c->loop, c->src);
  if (c->done) c->done(c, c->s, c->fd, st == 1 ? 0 : st, c->ud);
}

static int add_conn(xmppim_loop *l, void *tls, xmppim_session *s, int fd,
                    xmppim_loop_conn_done_fn done, void *user_data, xmppim_loop_conn **out) {
  if (out) *out = NULL;
  if (!l || !s || fd < 0) return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_loop_conn *c = calloc(1, sizeof *c);
  if (!c) return XMPPIM_ERR_NOMEM;
  c->loop = l;
  c->s = s;
  c->fd = fd;
  c->done = done;
  c->ud = user_data;
#if XMPPIM_HAVE_TLS
  int rc = tls ? xmppim_sockio_new_tls(&c->io, tls, s, fd, xmppim_loop_now())
               : xmppim_sockio_new(&c->io, s, fd, xmppim_loop_now());
#else
  (void)tls;
  int rc = xmppim_sockio_new(&c->io, s, fd, xmppim_loop_now());
#endif
  if (rc == 0) rc = add_source(l, conn_prepare, conn_dispatch, c, conn_destroy, &c->src);
  if (rc != 0) {
    xmppim_sockio_free(c->io);
    free(c);
    return rc;
  }
  if (out) *out = c;
  return 0;
}

int xmppim_loop_add_session(xmppim_loop *l, xmppim_session *s, int fd,
                            xmppim_loop_conn_done_fn done, void *user_data,
                            xmppim_loop_conn **out) {
  return add_conn(l, NULL, s, fd, done, user_data, out);
}

#if XMPPIM_HAVE_TLS
int xmppim_loop_add_tls_session(xmppim_loop *l, xmppim_tls *tls, xmppim_session *s, int fd,
                                xmppim_loop_conn_done_fn done, void *user_data,
                                xmppim_loop_conn **out) {
  if (out) *out = NULL;
  if (!tls) return XMPPIM_ERR_INVALID_ARGUMENT;
  return add_conn(l, tls, s, fd, done, user_data, out);
}
#endif

void xmppim_loop_conn_remove(xmppim_loop_conn *conn) {
  if (!conn || conn->finished) return;
  conn->finished = 1;
  xmppim_loop_remove(conn->loop, conn->src);
}
