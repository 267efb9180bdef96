/*
 * Counting xmppim_mem hooks for the benchmarks: every block the library
 * allocates through them carries a small header with its requested size,
 * so that the bytes and blocks live at any moment, the peak and the
 * allocation calls can be read off a `counting`. Sizes are the requested
 * ones: the C library's own overhead per block is not included.
 *
 *   counting cnt = {0};
 *   xmppim_mem mem = counting_mem(&cnt);
 *   ... xmppim_server_new(&srv, cb, ud, opts, &mem) ...
 *   cnt.live, cnt.blocks, cnt.peak, cnt.calls
 *
 * Header only (static inline), for the bench executables.
 */
#ifndef XMPPIM_BENCH_COUNTING_MEM_H
#define XMPPIM_BENCH_COUNTING_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xmppim/common.h>

typedef struct counting {
  size_t live;   /* bytes requested and not yet freed */
  size_t peak;   /* the most `live` has been */
  size_t blocks; /* blocks not yet freed */
  size_t calls;  /* malloc, calloc and realloc calls */
} counting;

typedef union counting_hdr {
  size_t size;
  max_align_t align;
} counting_hdr;

static inline void *counting_malloc(size_t n, void *ud) {
  counting *c = ud;
  if (n > SIZE_MAX - sizeof(counting_hdr)) return NULL;
  counting_hdr *h = malloc(sizeof(counting_hdr) + n);
  if (!h) return NULL;
  h->size = n;
  c->calls++;
  c->blocks++;
  c->live += n;
  if (c->live > c->peak) c->peak = c->live;
  return h + 1;
}

static inline void counting_free(void *p, void *ud) {
  if (!p) return;
  counting *c = ud;
  counting_hdr *h = (counting_hdr *)p - 1;
  c->live -= h->size;
  c->blocks--;
  free(h);
}

static inline void *counting_calloc(size_t nmemb, size_t size, void *ud) {
  if (size && nmemb > SIZE_MAX / size) return NULL;
  void *p = counting_malloc(nmemb * size, ud);
  if (p) memset(p, 0, nmemb * size);
  return p;
}

static inline void *counting_realloc(void *p, size_t n, void *ud) {
  if (!p) return counting_malloc(n, ud);
  if (n > SIZE_MAX - sizeof(counting_hdr)) return NULL;
  counting *c = ud;
  counting_hdr *h = (counting_hdr *)p - 1;
  size_t old = h->size;
  counting_hdr *nh = realloc(h, sizeof(counting_hdr) + n);
  if (!nh) return NULL;
  nh->size = n;
  c->calls++;
  c->live = c->live - old + n;
  if (c->live > c->peak) c->peak = c->live;
  return nh + 1;
}

/* Hooks that count into *c (which must outlive every object given them). */
static inline xmppim_mem counting_mem(counting *c) {
  xmppim_mem m = {c, counting_malloc, counting_free, counting_calloc, counting_realloc};
  return m;
}

#endif
