/*
 * Asynchronous resolution of an XMPP domain with c-ares: the SRV records of
 * _xmpp-client._tcp and _xmpps-client._tcp (RFC 6120 section 3.2.1,
 * XEP-0368), ordered by priority and RFC 2782 weighted choice, then each
 * target's AAAA and A records, interleaved (RFC 8305 section 4).
 *
 * Everything happens inside c-ares callbacks, which run from
 * ares_process_fd() (or at once, from ares_query(), when a query fails
 * before it is sent): the SRV callback starts the address queries when the
 * last SRV answer is in, and the last address answer builds the list. No
 * call here waits for the network.
 */
#include <arpa/inet.h>
#include <sys/select.h>
#include <ares.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <xmppim/net.h>

enum { C_IN = 1, T_A = 1, T_AAAA = 28, T_SRV = 33 };
enum { SRV_MAX = 32, ADDR_MAX_PER_TARGET = 16 };

enum phase { PH_IDLE = 0, PH_SRV, PH_HOSTS, PH_DONE, PH_FAILED };

typedef struct srv_rec {
  char host[256];
  uint16_t port, priority, weight;
  int tls;
} srv_rec;

typedef struct target {
  srv_rec srv;
  char v6[ADDR_MAX_PER_TARGET][XMPPIM_NET_ADDR_MAX];
  char v4[ADDR_MAX_PER_TARGET][XMPPIM_NET_ADDR_MAX];
  size_t n6, n4;
} target;

typedef struct qctx {
  xmppim_resolver *r;
  int type;      /* T_SRV, T_A, T_AAAA */
  size_t index;  /* SRV: 0 xmpp, 1 xmpps; hosts: the target */
} qctx;

struct xmppim_resolver {
  ares_channel ch;
  int have_channel;
  int closing; /* callbacks from ares_destroy/ares_cancel are ignored */
  char *servers;
  xmppim_net_random_fn rnd;
  void *rnd_ud;
  uint32_t seed; /* default_random's state */
  unsigned try_ms, tries;
  uint64_t total_ms, deadline;
  char domain[256];
  enum phase phase;
  int status;
  /* SRV phase */
  qctx srv_ctx[2];
  int srv_pending;
  int srv_dot[2];     /* the service answered "." */
  int srv_failure;    /* an SRV query failed other than "no such record" */
  srv_rec srv[SRV_MAX];
  size_t nsrv;
  /* address phase */
  target *targets;
  qctx *host_ctx;
  size_t ntargets;
  int host_pending;
  int host_timeouts, host_failures;
  xmppim_net_candidate *cands;
  size_t ncands;
  char error[512];
};

static pthread_once_t ares_once = PTHREAD_ONCE_INIT;
static int ares_init_status = ARES_ENOTINITIALIZED;
static void ares_lib_init(void) { ares_init_status = ares_library_init(ARES_LIB_INIT_ALL); }

/* Not for secrets: RFC 2782 only wants load spread between servers. The
   state is the resolver's own, so resolvers on different threads share
   nothing. */
static uint32_t default_random(void *ud) {
  uint32_t *seed = ud;
  *seed = *seed * 1103515245u + 12345u;
  return *seed >> 1;
}

int xmppim_resolver_new(xmppim_resolver **out) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = NULL;
  xmppim_resolver *r = calloc(1, sizeof *r);
  if (!r) return XMPPIM_ERR_NOMEM;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  r->seed = (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec ^ (uint32_t)(uintptr_t)r ^ 0x9e3779b9u;
  r->rnd = default_random;
  r->rnd_ud = &r->seed;
  r->try_ms = 2000;
  r->tries = 2;
  r->total_ms = 10000;
  r->deadline = UINT64_MAX;
  *out = r;
  return 0;
}

void xmppim_resolver_free(xmppim_resolver *r) {
  if (!r) return;
  r->closing = 1;
  if (r->have_channel) ares_destroy(r->ch);
  free(r->servers);
  free(r->targets);
  free(r->host_ctx);
  free(r->cands);
  free(r);
}

int xmppim_resolver_set_servers(xmppim_resolver *r, const char *csv) {
  if (!r || !csv || !*csv) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (r->phase != PH_IDLE) return XMPPIM_ERR_INVALID_STATE;
  char *copy = strdup(csv);
  if (!copy) return XMPPIM_ERR_NOMEM;
  free(r->servers);
  r->servers = copy;
  return 0;
}

void xmppim_resolver_set_random(xmppim_resolver *r, xmppim_net_random_fn fn, void *user_data) {
  if (!r) return;
  r->rnd = fn ? fn : default_random;
  r->rnd_ud = fn ? user_data : &r->seed;
}

int xmppim_resolver_set_timeouts(xmppim_resolver *r, unsigned try_ms, unsigned tries,
                                 uint64_t total_ms) {
  if (!r || try_ms == 0 || tries == 0 || try_ms > 600000 || tries > 16)
    return XMPPIM_ERR_INVALID_ARGUMENT;
  if (r->phase != PH_IDLE) return XMPPIM_ERR_INVALID_STATE;
  r->try_ms = try_ms;
  r->tries = tries;
  r->total_ms = total_ms;
  return 0;
}

static void fail(xmppim_resolver *r, int status, const char *fmt, const char *arg) {
  r->phase = PH_FAILED;
  r->status = status;
  snprintf(r->error, sizeof r->error, fmt, arg ? arg : "");
}

static int add_candidate(xmppim_resolver *r, const char *addr, int family, uint16_t port,
                         int tls, const char *host) {
  size_t alen = strlen(addr), hlen = strlen(host);
  if (alen >= sizeof ((xmppim_net_candidate *)0)->address || hlen >= sizeof ((xmppim_net_candidate *)0)->host)
    return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_net_candidate *n = realloc(r->cands, (r->ncands + 1) * sizeof *n);
  if (!n) return XMPPIM_ERR_NOMEM;
  r->cands = n;
  xmppim_net_candidate *c = &n[r->ncands++];
  memset(c, 0, sizeof *c);
  memcpy(c->address, addr, alen + 1);
  c->family = family;
  c->port = port;
  c->direct_tls = tls;
  memcpy(c->host, host, hlen + 1);
  return 0;
}

/* The last address answer is in: interleave each target's addresses, IPv6 first. */
static void finish(xmppim_resolver *r) {
  for (size_t t = 0; t < r->ntargets; t++) {
    target *tg = &r->targets[t];
    size_t i6 = 0, i4 = 0;
    while (i6 < tg->n6 || i4 < tg->n4) {
      if (i6 < tg->n6 &&
          add_candidate(r, tg->v6[i6++], AF_INET6, tg->srv.port, tg->srv.tls, tg->srv.host) != 0)
        goto nomem;
      if (i4 < tg->n4 &&
          add_candidate(r, tg->v4[i4++], AF_INET, tg->srv.port, tg->srv.tls, tg->srv.host) != 0)
        goto nomem;
    }
  }
  if (r->ncands == 0) {
    if (r->host_timeouts > 0)
      fail(r, XMPPIM_ERR_TIMEOUT, "DNS: address lookup of %s timed out", r->domain);
    else
      fail(r, XMPPIM_ERR_NOT_FOUND, "DNS: no address found for %s", r->domain);
    return;
  }
  r->phase = PH_DONE;
  r->status = 1;
  return;
nomem:
  fail(r, XMPPIM_ERR_NOMEM, "out of memory%s", NULL);
}

static void host_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen) {
  (void)timeouts;
  qctx *q = arg;
  xmppim_resolver *r = q->r;
  if (r->closing || r->phase != PH_HOSTS) return;
  target *tg = &r->targets[q->index];
  if (status == ARES_SUCCESS) {
    if (q->type == T_A) {
      struct ares_addrttl a[ADDR_MAX_PER_TARGET];
      int n = ADDR_MAX_PER_TARGET;
      if (ares_parse_a_reply(abuf, alen, NULL, a, &n) == ARES_SUCCESS)
        for (int i = 0; i < n; i++)
          inet_ntop(AF_INET, &a[i].ipaddr, tg->v4[tg->n4++], XMPPIM_NET_ADDR_MAX);
    } else {
      struct ares_addr6ttl a[ADDR_MAX_PER_TARGET];
      int n = ADDR_MAX_PER_TARGET;
      if (ares_parse_aaaa_reply(abuf, alen, NULL, a, &n) == ARES_SUCCESS)
        for (int i = 0; i < n; i++)
          inet_ntop(AF_INET6, &a[i].ip6addr, tg->v6[tg->n6++], XMPPIM_NET_ADDR_MAX);
    }
  } else if (status == ARES_ETIMEOUT) {
    r->host_timeouts++;
  } else if (status != ARES_ENODATA && status != ARES_ENOTFOUND) {
    r->host_failures++;
  }
  if (--r->host_pending == 0) finish(r);
}

static int is_dot(const char *host) { return host[0] == '\0' || strcmp(host, ".") == 0; }

/* RFC 2782: by priority; within one, repeatedly pick by weight (zero weights first in line). */
static void order_srv(xmppim_resolver *r, srv_rec *out) {
  srv_rec left[SRV_MAX];
  size_t nleft = r->nsrv, nout = 0;
  memcpy(left, r->srv, nleft * sizeof *left);
  while (nleft > 0) {
    uint16_t prio = left[0].priority;
    for (size_t i = 1; i < nleft; i++)
      if (left[i].priority < prio) prio = left[i].priority;
    for (;;) {
      /* the group of this priority, zero weights first, in the order they came */
      size_t idx[SRV_MAX], n = 0;
      uint32_t sum = 0;
      for (size_t i = 0; i < nleft; i++)
        if (left[i].priority == prio && left[i].weight == 0) idx[n++] = i;
      for (size_t i = 0; i < nleft; i++)
        if (left[i].priority == prio && left[i].weight != 0) idx[n++] = i;
      if (n == 0) break;
      for (size_t k = 0; k < n; k++) sum += left[idx[k]].weight;
      uint32_t pick = r->rnd(r->rnd_ud) % (sum + 1), run = 0;
      size_t chosen = idx[n - 1];
      for (size_t k = 0; k < n; k++) {
        run += left[idx[k]].weight;
        if (run >= pick) {
          chosen = idx[k];
          break;
        }
      }
      out[nout++] = left[chosen];
      memmove(&left[chosen], &left[chosen + 1], (nleft - chosen - 1) * sizeof *left);
      nleft--;
    }
  }
}

static void begin_hosts(xmppim_resolver *r) {
  srv_rec ordered[SRV_MAX];
  size_t n;
  if (r->nsrv > 0) {
    /* _xmpp-client records first, then _xmpps-client, each in answer
       order, whichever answer came first: the order depends on nothing but
       the records and the random function */
    srv_rec tmp[SRV_MAX];
    size_t k = 0;
    for (int tls = 0; tls < 2; tls++)
      for (size_t i = 0; i < r->nsrv; i++)
        if (r->srv[i].tls == tls) tmp[k++] = r->srv[i];
    memcpy(r->srv, tmp, r->nsrv * sizeof *tmp);
    order_srv(r, ordered);
    n = r->nsrv;
  } else if (r->srv_dot[0] || r->srv_dot[1]) {
    fail(r, XMPPIM_ERR_NOT_FOUND, "DNS: %s says it offers no XMPP client service (SRV target \".\")",
         r->domain);
    return;
  } else {
    /* no SRV records (or the lookup failed): the domain itself on 5222 */
    memset(&ordered[0], 0, sizeof ordered[0]);
    snprintf(ordered[0].host, sizeof ordered[0].host, "%s", r->domain);
    ordered[0].port = XMPPIM_NET_DEFAULT_PORT;
    n = 1;
  }
  r->targets = calloc(n, sizeof *r->targets);
  r->host_ctx = calloc(2 * n, sizeof *r->host_ctx);
  if (!r->targets || !r->host_ctx) {
    fail(r, XMPPIM_ERR_NOMEM, "out of memory%s", NULL);
    return;
  }
  r->ntargets = n;
  for (size_t i = 0; i < n; i++) r->targets[i].srv = ordered[i];
  r->phase = PH_HOSTS;
  r->host_pending = (int)(2 * n);
  for (size_t i = 0; i < n; i++) {
    r->host_ctx[2 * i] = (qctx){r, T_AAAA, i};
    r->host_ctx[2 * i + 1] = (qctx){r, T_A, i};
  }
  for (size_t i = 0; i < 2 * n && r->phase == PH_HOSTS; i++)
    ares_query(r->ch, r->targets[i / 2].srv.host, C_IN, r->host_ctx[i].type, host_cb,
               &r->host_ctx[i]);
}

static void srv_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen) {
  (void)timeouts;
  qctx *q = arg;
  xmppim_resolver *r = q->r;
  if (r->closing || r->phase != PH_SRV) return;
  if (status == ARES_SUCCESS) {
    struct ares_srv_reply *reply = NULL;
    if (ares_parse_srv_reply(abuf, alen, &reply) == ARES_SUCCESS) {
      size_t count = 0, dots = 0;
      for (struct ares_srv_reply *s = reply; s; s = s->next) {
        count++;
        if (is_dot(s->host)) {
          dots++;
          continue;
        }
        if (r->nsrv >= SRV_MAX || strlen(s->host) >= sizeof r->srv[0].host) continue;
        srv_rec *rec = &r->srv[r->nsrv++];
        snprintf(rec->host, sizeof rec->host, "%s", s->host);
        rec->port = s->port;
        rec->priority = s->priority;
        rec->weight = s->weight;
        rec->tls = (int)q->index;
      }
      /* RFC 2782: a lone "." target means the service is decidedly not available */
      if (count == 1 && dots == 1) r->srv_dot[q->index] = 1;
      ares_free_data(reply);
    }
  } else if (status != ARES_ENODATA && status != ARES_ENOTFOUND) {
    r->srv_failure++;
  }
  if (--r->srv_pending == 0) begin_hosts(r);
}

static void strip_brackets(const char *in, char *out, size_t outsz) {
  size_t len = strlen(in);
  if (len >= 2 && in[0] == '[' && in[len - 1] == ']') {
    snprintf(out, outsz, "%.*s", (int)(len - 2), in + 1);
  } else {
    snprintf(out, outsz, "%s", in);
  }
}

int xmppim_resolver_start(xmppim_resolver *r, const char *domain, uint64_t now_ms) {
  if (!r || !domain || !*domain || strlen(domain) >= sizeof r->domain)
    return XMPPIM_ERR_INVALID_ARGUMENT;
  if (r->phase != PH_IDLE) return XMPPIM_ERR_INVALID_STATE;
  snprintf(r->domain, sizeof r->domain, "%s", domain);
  size_t dl = strlen(r->domain);
  if (dl > 1 && r->domain[dl - 1] == '.') r->domain[dl - 1] = '\0';

  /* An IP literal needs no DNS. */
  char lit[256];
  unsigned char buf[sizeof(struct in6_addr)];
  strip_brackets(r->domain, lit, sizeof lit);
  int family = inet_pton(AF_INET6, lit, buf) == 1 ? AF_INET6
               : inet_pton(AF_INET, lit, buf) == 1 ? AF_INET
                                                    : 0;
  if (family) {
    if (add_candidate(r, lit, family, XMPPIM_NET_DEFAULT_PORT, 0, r->domain) != 0)
      return XMPPIM_ERR_NOMEM;
    r->phase = PH_DONE;
    r->status = 1;
    return 0;
  }

  pthread_once(&ares_once, ares_lib_init);
  if (ares_init_status != ARES_SUCCESS) {
    fail(r, XMPPIM_ERR_INTERNAL, "c-ares: %s", ares_strerror(ares_init_status));
    return XMPPIM_ERR_INTERNAL;
  }
  struct ares_options o;
  memset(&o, 0, sizeof o);
  o.timeout = (int)r->try_ms;
  o.tries = (int)r->tries;
  o.ndomains = 0;
  o.domains = NULL;
  o.lookups = (char *)"b";
  int rc = ares_init_options(&r->ch, &o,
                             ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_DOMAINS | ARES_OPT_LOOKUPS);
  if (rc != ARES_SUCCESS) {
    fail(r, rc == ARES_ENOMEM ? XMPPIM_ERR_NOMEM : XMPPIM_ERR_INTERNAL, "c-ares: %s",
         ares_strerror(rc));
    return r->status;
  }
  r->have_channel = 1;
  if (r->servers) {
    rc = ares_set_servers_ports_csv(r->ch, r->servers);
    if (rc != ARES_SUCCESS) {
      fail(r, XMPPIM_ERR_INVALID_ARGUMENT, "c-ares: bad DNS server list: %s", ares_strerror(rc));
      return XMPPIM_ERR_INVALID_ARGUMENT;
    }
  }
  if (r->total_ms) r->deadline = now_ms + r->total_ms;
  r->phase = PH_SRV;
  r->srv_pending = 2;
  static const char *const prefix[2] = {"_xmpp-client._tcp.", "_xmpps-client._tcp."};
  char name[2][300];
  for (int i = 0; i < 2; i++) {
    snprintf(name[i], sizeof name[i], "%s%s", prefix[i], r->domain);
    r->srv_ctx[i] = (qctx){r, T_SRV, (size_t)i};
  }
  for (int i = 0; i < 2 && r->phase == PH_SRV; i++)
    ares_query(r->ch, name[i], C_IN, T_SRV, srv_cb, &r->srv_ctx[i]);
  return 0;
}

size_t xmppim_resolver_pollfds(const xmppim_resolver *r, struct pollfd *fds, size_t max) {
  if (!r || !r->have_channel || (r->phase != PH_SRV && r->phase != PH_HOSTS)) return 0;
  ares_socket_t socks[ARES_GETSOCK_MAXNUM];
  /* c-ares' ARES_GETSOCK_WRITABLE shifts a signed 1 into the sign bit for
     the last socket; the same bits, read unsigned */
  unsigned bits = (unsigned)ares_getsock(r->ch, socks, ARES_GETSOCK_MAXNUM);
  size_t n = 0;
  for (unsigned i = 0; i < ARES_GETSOCK_MAXNUM && n < max; i++) {
    short ev = 0;
    if (bits & (1u << i)) ev |= POLLIN;
    if (bits & (1u << (i + ARES_GETSOCK_MAXNUM))) ev |= POLLOUT;
    if (!ev) continue;
    fds[n].fd = socks[i];
    fds[n].events = ev;
    fds[n].revents = 0;
    n++;
  }
  return n;
}

uint64_t xmppim_resolver_next_deadline(const xmppim_resolver *r, uint64_t now_ms) {
  if (!r || !r->have_channel || (r->phase != PH_SRV && r->phase != PH_HOSTS)) return UINT64_MAX;
  uint64_t d = r->deadline;
  struct timeval tv;
  if (ares_timeout(r->ch, NULL, &tv)) {
    uint64_t ms = (uint64_t)tv.tv_sec * 1000u + ((uint64_t)tv.tv_usec + 999u) / 1000u;
    if (now_ms + ms < d) d = now_ms + ms;
  }
  return d;
}

int xmppim_resolver_process(xmppim_resolver *r, const struct pollfd *fds, size_t n,
                            uint64_t now_ms) {
  if (!r) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (r->phase != PH_SRV && r->phase != PH_HOSTS) return r->status;
  for (size_t i = 0; fds && i < n && (r->phase == PH_SRV || r->phase == PH_HOSTS); i++) {
    short ev = fds[i].revents;
    if (!ev) continue;
    ares_socket_t rd = (ev & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD;
    ares_socket_t wr = (ev & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
    ares_process_fd(r->ch, rd, wr);
  }
  if (r->phase == PH_SRV || r->phase == PH_HOSTS)
    ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* c-ares' own timeouts */
  if ((r->phase == PH_SRV || r->phase == PH_HOSTS) && now_ms >= r->deadline) {
    r->closing = 1;
    ares_cancel(r->ch);
    r->closing = 0;
    fail(r, XMPPIM_ERR_TIMEOUT, "DNS: resolving %s took too long", r->domain);
  }
  return r->status;
}

int xmppim_resolver_status(const xmppim_resolver *r) { return r ? r->status : XMPPIM_ERR_INVALID_ARGUMENT; }

size_t xmppim_resolver_candidates(const xmppim_resolver *r, const xmppim_net_candidate **out) {
  if (out) *out = r && r->phase == PH_DONE ? r->cands : NULL;
  return r && r->phase == PH_DONE ? r->ncands : 0;
}

const char *xmppim_resolver_error(const xmppim_resolver *r) { return r ? r->error : ""; }
