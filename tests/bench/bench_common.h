/*
 * What the benchmarks share: the build they run in, the clock, medians,
 * failed checks, a server core on the memory store, and the buffer a host
 * serializes stanzas into. Header only (static inline), for the bench
 * executables; each defines BENCH_NAME (its name, for messages) before
 * including it. Counting allocator hooks are in counting_mem.h.
 */
#ifndef XMPPIM_BENCH_COMMON_H
#define XMPPIM_BENCH_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xmppim/common.h>
#include <xmppim/memory_store.h>
#include <xmppim/server.h>
#include <xmppim/stanza.h>

#ifndef BENCH_NAME
#error "define BENCH_NAME before including bench_common.h"
#endif
/* Set by meson (tests/bench/meson.build). */
#ifndef BENCH_BUILDTYPE
#define BENCH_BUILDTYPE "unknown"
#endif
#ifndef BENCH_SANITIZE
#define BENCH_SANITIZE "unknown"
#endif

/* Nonzero once a check failed: the bench then exits with status 1. */
static int failed;

#if defined(__GNUC__)
static inline void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
/* Reports a failed check (on stdout, among the figures). */
static inline void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("FAIL: ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  failed = 1;
}

/* For what stops the bench from running at all: exit status 2. */
static inline void die(const char *what, int rv) {
  fprintf(stderr, BENCH_NAME ": %s: %d (%s)\n", what, rv, xmppim_strerror(rv));
  exit(2);
}

/* Warns when the build is not one to quote figures from. */
static inline void warn_build(void) {
  const char *buildtype = BENCH_BUILDTYPE; /* a variable: clang folds strcmp of literals and warns */
  if (strcmp(buildtype, "release") != 0 && strcmp(buildtype, "debugoptimized") != 0)
    printf("  WARNING: not an optimized build; figures are not representative\n");
  if (strcmp(BENCH_SANITIZE, "none"))
    printf("  WARNING: sanitizers may be on; figures are not representative\n");
}

/* Seconds on CLOCK_MONOTONIC. */
static inline double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* For qsort() of doubles, ascending. */
static inline int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The median of t[0..n); sorts t in place. */
static inline double median(double *t, size_t n) {
  qsort(t, n, sizeof *t, cmp_double);
  return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

/* Serializes st as a client stream carries it (jabber:client in scope)
 * into *buf, growing it (and *cap) as needed, as a host writing to a socket
 * would; *len gets the bytes written. 0 or the serializer's error. */
static inline int serialize_growing(const xmppim_stanza *st, char **buf, size_t *cap, size_t *len) {
  size_t need = 0;
  int rv = xmppim_stanza_serialize(st, "jabber:client", *buf, *cap, &need);
  if (rv == XMPPIM_ERR_BUFFER_TOO_SMALL) {
    size_t c = *cap ? *cap : 4096;
    while (c < need + 1) c *= 2;
    char *p = realloc(*buf, c);
    if (!p) die("growing the output buffer", XMPPIM_ERR_NOMEM);
    *buf = p;
    *cap = c;
    rv = xmppim_stanza_serialize(st, "jabber:client", *buf, *cap, &need);
  }
  if (rv == 0) *len = need;
  return rv;
}

/* A server core (no sessions) on the in-memory store, authoritative for
 * `domain`, handing what it delivers to deliver(user_data). */
static inline xmppim_server *server_on_store(xmppim_memory_store *store, xmppim_server_deliver_cb deliver,
                                             void *user_data, const xmppim_server_options *opts,
                                             const xmppim_mem *mem, const char *domain) {
  xmppim_server_callbacks *cb;
  int rv = xmppim_server_callbacks_new(&cb);
  if (rv) die("xmppim_server_callbacks_new", rv);
  xmppim_memory_store_install(store, cb);
  xmppim_server_callbacks_set_deliver(cb, deliver);
  xmppim_server *srv;
  rv = xmppim_server_new(&srv, cb, user_data, opts, mem);
  xmppim_server_callbacks_free(cb);
  if (rv) die("xmppim_server_new", rv);
  if ((rv = xmppim_server_add_domain(srv, domain)) != 0) die("xmppim_server_add_domain", rv);
  return srv;
}

#endif
