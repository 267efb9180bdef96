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
#include <xmppim/loop.h>

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

enum { CONN_READ_CHUNK = 16384, CONN_PENDING_MAX = 65536 };

struct xmppim_loop_conn {
  xmppim_loop *loop;
  xmppim_loop_source *src;
  xmppim_session *s;
  int fd;
  xmppim_loop_conn_done_fn done;
  void *ud;
  int finished;
  int eof;
  int stalled; /* the last feed consumed nothing: wait for an event before trying again */
  /* bytes read but not yet consumed by the session */
  char *pending;
  size_t npending;
};

static void conn_destroy(void *ud) {
  xmppim_loop_conn *c = ud;
  free(c->pending);
  free(c);
}

static size_t conn_prepare(void *ud, struct pollfd *fds, size_t max, uint64_t now,
                           uint64_t *deadline) {
  xmppim_loop_conn *c = ud;
  (void)max;
  if (c->finished) return 0;
  short ev = 0;
  /* read only when what was read before is all consumed: that is the back-pressure */
  if (!c->eof && c->npending == 0 && xmppim_session_want_read(c->s)) ev |= POLLIN;
  if (xmppim_session_want_write(c->s)) ev |= POLLOUT;
  *deadline = xmppim_session_next_deadline(c->s);
  if ((c->npending > 0 && !c->stalled) || c->eof || (!xmppim_session_want_read(c->s) && !ev))
    *deadline = now;
  fds[0].fd = c->fd;
  fds[0].events = ev;
  fds[0].revents = 0;
  return 1;
}

static void conn_finish(xmppim_loop_conn *c, int status) {
  if (c->finished) return;
  c->finished = 1;
  xmppim_loop_remove(c->loop, c->src);
  if (c->done) c->done(c, c->s, c->fd, status, c->ud);
}

/* Writes what the socket takes. @return 0, or XMPPIM_ERR_IO. */
static int conn_flush(xmppim_loop_conn *c) {
  for (;;) {
    const char *data;
    size_t len = xmppim_session_output(c->s, &data);
    if (len == 0) return 0;
    ssize_t w = send(c->fd, data, len, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      return XMPPIM_ERR_IO;
    }
    xmppim_session_consumed(c->s, (size_t)w);
    if ((size_t)w < len) return 0;
  }
}

/* Feeds what is pending. @return 0 or the session's error. */
static int conn_feed(xmppim_loop_conn *c) {
  c->stalled = 0;
  while (c->npending > 0) {
    long n = xmppim_session_feed(c->s, c->pending, c->npending);
    if (n == XMPPIM_ERR_BACKPRESSURE || n == 0) {
      c->stalled = 1; /* drain the output, or wait for TLS: keep the bytes */
      return 0;
    }
    if (n < 0) return (int)n;
    memmove(c->pending, c->pending + n, c->npending - (size_t)n);
    c->npending -= (size_t)n;
  }
  return 0;
}

static void conn_dispatch(void *ud, const struct pollfd *fds, size_t n, uint64_t now) {
  xmppim_loop_conn *c = ud;
  short rev = n > 0 ? fds[0].revents : 0;
  /* The session's clock is the last time it was given: keep it current
     before anything can start a timer (an IQ sent from a callback). */
  int rc = xmppim_session_timeout(c->s, now);
  if (rc == 0) rc = conn_flush(c);
  if (rc == 0) rc = conn_feed(c);
  if (rc == 0 && (rev & (POLLIN | POLLHUP | POLLERR)) && c->npending == 0 && !c->eof) {
    if (!c->pending) c->pending = malloc(CONN_READ_CHUNK);
    if (!c->pending) {
      rc = XMPPIM_ERR_NOMEM;
    } else {
      ssize_t r;
      do {
        r = recv(c->fd, c->pending, CONN_READ_CHUNK, 0);
      } while (r < 0 && errno == EINTR);
      if (r > 0) {
        c->npending = (size_t)r;
        rc = conn_feed(c);
      } else if (r == 0) {
        c->eof = 1;
      } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        rc = XMPPIM_ERR_IO;
      }
    }
  }
  if (rc == 0 && xmppim_session_next_deadline(c->s) <= now) rc = xmppim_session_timeout(c->s, now);
  if (rc == 0) rc = conn_flush(c);
  if (rc != 0) {
    conn_finish(c, rc);
    return;
  }
  int wr = xmppim_session_want_read(c->s), ww = xmppim_session_want_write(c->s);
  if (!wr && !ww) {
    conn_finish(c, 0);
  } else if (c->eof && c->npending == 0) {
    /* the peer hung up: fine once our side has nothing left to read */
    conn_finish(c, wr ? XMPPIM_ERR_IO : 0);
  }
}

int xmppim_loop_add_session(xmppim_loop *l, xmppim_session *s, int fd,
                            xmppim_loop_conn_done_fn done, void *user_data,
                            xmppim_loop_conn **out) {
  if (out) *out = NULL;
  if (!l || !s || fd < 0) return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_loop_conn *c = calloc(1, sizeof *c);
  if (!c) return XMPPIM_ERR_NOMEM;
  c->loop = l;
  c->s = s;
  c->fd = fd;
  c->done = done;
  c->ud = user_data;
  int rc = xmppim_session_timeout(s, xmppim_loop_now()); /* the session's clock starts now */
  if (rc == 0) rc = add_source(l, conn_prepare, conn_dispatch, c, conn_destroy, &c->src);
  if (rc != 0) {
    free(c);
    return rc;
  }
  if (out) *out = c;
  return 0;
}

void xmppim_loop_conn_remove(xmppim_loop_conn *conn) {
  if (!conn || conn->finished) return;
  conn->finished = 1;
  xmppim_loop_remove(conn->loop, conn->src);
}
