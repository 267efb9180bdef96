/*
 * Non-blocking TCP: a connector that tries resolver candidates one after
 * the other, each with its own time limit, and the listener helpers of a
 * server. Nothing here waits: connect(2) returns EINPROGRESS, the caller
 * polls for POLLOUT, and SO_ERROR says how it went.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xmppim/net.h>

enum { ATTEMPTS_MAX = 8 };

typedef struct attempt {
  int fd;
  size_t index; /* of the candidate */
  uint64_t deadline;
} attempt;

struct xmppim_connector {
  xmppim_net_candidate *cands;
  size_t n, next;    /* next: the first candidate not tried yet */
  uint64_t attempt_ms, stagger_ms, next_start;
  attempt at[ATTEMPTS_MAX]; /* attempts under way */
  size_t nat;
  int fd;            /* the connected socket */
  size_t winner;
  int status;        /* 0 under way, 1 connected, negative: failed */
  int taken;
  int timeouts;      /* attempts that ran out of time */
  char error[1024];
};

static int set_nonblock_cloexec(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -1;
  int fdfl = fcntl(fd, F_GETFD);
  if (fdfl < 0 || fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) < 0) return -1;
  return 0;
}

static socklen_t make_addr(const char *address, uint16_t port, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
  struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
  if (inet_pton(AF_INET6, address, &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    return sizeof *s6;
  }
  if (inet_pton(AF_INET, address, &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    return sizeof *s4;
  }
  return 0;
}

static void note(xmppim_connector *c, const xmppim_net_candidate *cand, const char *why) {
  size_t len = strlen(c->error);
  snprintf(c->error + len, sizeof c->error - len, "%s%s%s%s port %u: %s", len ? "\n" : "",
           cand->family == AF_INET6 ? "[" : "", cand->address,
           cand->family == AF_INET6 ? "]" : "", (unsigned)cand->port, why);
}

/* Starts attempts until one is in progress or connected, or none is left. */
/* Starts one attempt (or several, when they fail at once). @return 1 when
 * one is under way or connected, 0 when no candidate is left. */
static int start_one(xmppim_connector *c, uint64_t now_ms) {
  while (c->next < c->n && c->nat < ATTEMPTS_MAX) {
    size_t idx = c->next++;
    const xmppim_net_candidate *cand = &c->cands[idx];
    struct sockaddr_storage ss;
    socklen_t len = make_addr(cand->address, cand->port, &ss);
    if (!len) {
      note(c, cand, "not a numeric address");
      continue;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0) {
      note(c, cand, strerror(errno));
      continue;
    }
    if (set_nonblock_cloexec(fd) < 0) {
      note(c, cand, strerror(errno));
      close(fd);
      continue;
    }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&ss, len) == 0 || errno == EINPROGRESS || errno == EINTR) {
      /* even an immediate success is reported through poll (POLLOUT at once) */
      c->at[c->nat++] = (attempt){fd, idx, now_ms + c->attempt_ms};
      c->next_start = c->stagger_ms ? now_ms + c->stagger_ms : UINT64_MAX;
      return 1;
    }
    note(c, cand, strerror(errno));
    close(fd);
  }
  return c->nat > 0;
}

static void drop(xmppim_connector *c, size_t i) {
  close(c->at[i].fd);
  c->at[i] = c->at[--c->nat];
}

/* Nothing under way: start the next candidate at once, or fail. */
static void settle(xmppim_connector *c, uint64_t now_ms) {
  if (c->status != 0 || c->nat > 0) return;
  if (start_one(c, now_ms)) return;
  c->status = c->timeouts > 0 && c->timeouts == (int)c->n ? XMPPIM_ERR_TIMEOUT : XMPPIM_ERR_IO;
}

int xmppim_connector_new(xmppim_connector **out, const xmppim_net_candidate *candidates, size_t n,
                         uint64_t attempt_ms, uint64_t now_ms) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (!candidates || n == 0 || n > 1024) return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_connector *c = calloc(1, sizeof *c);
  if (!c) return XMPPIM_ERR_NOMEM;
  c->cands = malloc(n * sizeof *c->cands);
  if (!c->cands) {
    free(c);
    return XMPPIM_ERR_NOMEM;
  }
  memcpy(c->cands, candidates, n * sizeof *c->cands);
  c->n = n;
  c->attempt_ms = attempt_ms ? attempt_ms : 10000;
  c->fd = -1;
  c->next_start = UINT64_MAX;
  settle(c, now_ms);
  *out = c;
  return 0;
}

void xmppim_connector_set_stagger(xmppim_connector *c, uint64_t ms, uint64_t now_ms) {
  if (!c) return;
  c->stagger_ms = ms;
  c->next_start = c->status == 0 && c->nat > 0 && ms ? now_ms + ms : UINT64_MAX;
}

void xmppim_connector_free(xmppim_connector *c) {
  if (!c) return;
  while (c->nat > 0) drop(c, c->nat - 1);
  if (c->fd >= 0 && !c->taken) close(c->fd);
  free(c->cands);
  free(c);
}

size_t xmppim_connector_pollfds(const xmppim_connector *c, struct pollfd *fds, size_t max) {
  if (!c || c->status != 0) return 0;
  size_t k = 0;
  for (size_t i = 0; i < c->nat && k < max; i++, k++) {
    fds[k].fd = c->at[i].fd;
    fds[k].events = POLLOUT;
    fds[k].revents = 0;
  }
  return k;
}

uint64_t xmppim_connector_next_deadline(const xmppim_connector *c) {
  if (!c || c->status != 0) return UINT64_MAX;
  uint64_t d = c->next < c->n ? c->next_start : UINT64_MAX;
  for (size_t i = 0; i < c->nat; i++)
    if (c->at[i].deadline < d) d = c->at[i].deadline;
  return d;
}

int xmppim_connector_process(xmppim_connector *c, const struct pollfd *fds, size_t n,
                             uint64_t now_ms) {
  if (!c) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (c->status != 0) return c->status;
  for (size_t i = 0; i < c->nat;) {
    short ev = 0;
    for (size_t k = 0; fds && k < n; k++)
      if (fds[k].fd == c->at[i].fd) ev |= fds[k].revents;
    const xmppim_net_candidate *cand = &c->cands[c->at[i].index];
    if (ev & (POLLOUT | POLLERR | POLLHUP)) {
      int err = 0;
      socklen_t len = sizeof err;
      if (getsockopt(c->at[i].fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
      if (err == 0) {
        /* connected: the others are abandoned */
        c->fd = c->at[i].fd;
        c->winner = c->at[i].index;
        c->at[i] = c->at[--c->nat];
        while (c->nat > 0) drop(c, c->nat - 1);
        c->status = 1;
        return 1;
      }
      if (err != EINPROGRESS && err != EALREADY) {
        note(c, cand, strerror(err));
        drop(c, i);
        continue;
      }
    }
    if (now_ms >= c->at[i].deadline) {
      note(c, cand, "connect timed out");
      c->timeouts++;
      drop(c, i);
      continue;
    }
    i++;
  }
  /* staggered: the next candidate joins while the others still try */
  if (c->nat > 0 && c->next < c->n && now_ms >= c->next_start) start_one(c, now_ms);
  settle(c, now_ms);
  return c->status;
}

int xmppim_connector_status(const xmppim_connector *c) {
  return c ? c->status : XMPPIM_ERR_INVALID_ARGUMENT;
}

int xmppim_connector_take_fd(xmppim_connector *c, const xmppim_net_candidate **which) {
  if (which) *which = NULL;
  if (!c || c->status != 1 || c->taken) return -1;
  c->taken = 1;
  if (which) *which = &c->cands[c->winner];
  return c->fd;
}

const char *xmppim_connector_error(const xmppim_connector *c) { return c ? c->error : ""; }

int xmppim_net_listen(const char *address, uint16_t port, int backlog) {
  struct sockaddr_storage ss;
  socklen_t len = make_addr(address ? address : "::", port, &ss);
  if (!len) {
    errno = EINVAL;
    return -1;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1, zero = 0;
  if (set_nonblock_cloexec(fd) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      (ss.ss_family == AF_INET6 &&
       setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) < 0) ||
      bind(fd, (struct sockaddr *)&ss, len) < 0 ||
      listen(fd, backlog > 0 ? backlog : SOMAXCONN) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

int xmppim_net_accept(int listen_fd) {
  int fd;
  do {
    fd = accept(listen_fd, NULL, NULL);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno == EWOULDBLOCK) errno = EAGAIN;
    return -1;
  }
  if (set_nonblock_cloexec(fd) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

uint16_t xmppim_net_local_port(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return 0;
  if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
  return 0;
}

/* ---------------------------------------------------------------------- */
/* Dialer                                                                  */
/* ---------------------------------------------------------------------- */

struct xmppim_dialer {
  xmppim_resolver *r;
  xmppim_connector *c;
  uint64_t attempt_ms;
  int status;
};

int xmppim_dialer_new(xmppim_dialer **out, xmppim_resolver *resolver, const char *domain,
                      uint64_t attempt_ms, uint64_t now_ms) {
  if (!out || !domain) {
    if (out) *out = NULL;
    xmppim_resolver_free(resolver);
    return XMPPIM_ERR_INVALID_ARGUMENT;
  }
  *out = NULL;
  xmppim_dialer *d = calloc(1, sizeof *d);
  if (!d) {
    xmppim_resolver_free(resolver);
    return XMPPIM_ERR_NOMEM;
  }
  d->attempt_ms = attempt_ms;
  int rc = 0;
  if (resolver)
    d->r = resolver;
  else
    rc = xmppim_resolver_new(&d->r);
  if (rc == 0) rc = xmppim_resolver_start(d->r, domain, now_ms);
  if (rc != 0) {
    xmppim_dialer_free(d);
    return rc;
  }
  *out = d;
  xmppim_dialer_process(d, NULL, 0, now_ms); /* an IP literal is resolved at once */
  return 0;
}

void xmppim_dialer_free(xmppim_dialer *d) {
  if (!d) return;
  xmppim_connector_free(d->c);
  xmppim_resolver_free(d->r);
  free(d);
}

size_t xmppim_dialer_pollfds(const xmppim_dialer *d, struct pollfd *fds, size_t max) {
  if (!d || d->status != 0) return 0;
  return d->c ? xmppim_connector_pollfds(d->c, fds, max) : xmppim_resolver_pollfds(d->r, fds, max);
}

uint64_t xmppim_dialer_next_deadline(const xmppim_dialer *d, uint64_t now_ms) {
  if (!d || d->status != 0) return UINT64_MAX;
  return d->c ? xmppim_connector_next_deadline(d->c) : xmppim_resolver_next_deadline(d->r, now_ms);
}

int xmppim_dialer_process(xmppim_dialer *d, const struct pollfd *fds, size_t n, uint64_t now_ms) {
  if (!d) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (d->status != 0) return d->status;
  if (!d->c) {
    int rs = xmppim_resolver_process(d->r, fds, n, now_ms);
    if (rs < 0) return d->status = rs;
    if (rs == 0) return 0;
    const xmppim_net_candidate *cands;
    size_t nc = xmppim_resolver_candidates(d->r, &cands);
    int rc = xmppim_connector_new(&d->c, cands, nc, d->attempt_ms, now_ms);
    if (rc != 0) return d->status = rc;
    xmppim_connector_set_stagger(d->c, 250, now_ms);
    fds = NULL; /* those were the resolver's */
    n = 0;
  }
  int cs = xmppim_connector_process(d->c, fds, n, now_ms);
  d->status = cs;
  return cs;
}

int xmppim_dialer_status(const xmppim_dialer *d) { return d ? d->status : XMPPIM_ERR_INVALID_ARGUMENT; }

int xmppim_dialer_take_fd(xmppim_dialer *d, const xmppim_net_candidate **which) {
  if (which) *which = NULL;
  if (!d || !d->c) return -1;
  return xmppim_connector_take_fd(d->c, which);
}

const char *xmppim_dialer_error(const xmppim_dialer *d) {
  if (!d) return "";
  if (d->c) return xmppim_connector_error(d->c);
  return xmppim_resolver_error(d->r);
}
