/* Test helper: an xmppim_mem that fails the Nth allocation and counts leaks. */
#ifndef XMPPIM_TESTS_FAILING_MEM_H
#define XMPPIM_TESTS_FAILING_MEM_H

#include <stdlib.h>
#include <xmppim/common.h>

typedef struct failing_mem {
  xmppim_mem mem;
  long fail_at;   /* 1-based index of the allocation to fail; 0 = never */
  long count;     /* allocations attempted */
  long live;      /* allocations not yet freed */
} failing_mem;

static inline int failing_should_fail(failing_mem *f) {
  f->count++;
  return f->fail_at && f->count == f->fail_at;
}
static inline void *failing_malloc(size_t n, void *ud) {
  failing_mem *f = ud;
  if (failing_should_fail(f)) return NULL;
  void *p = malloc(n);
  if (p) f->live++;
  return p;
}
static inline void *failing_calloc(size_t n, size_t s, void *ud) {
  failing_mem *f = ud;
  if (failing_should_fail(f)) return NULL;
  void *p = calloc(n, s);
  if (p) f->live++;
  return p;
}
static inline void *failing_realloc(void *old, size_t n, void *ud) {
  failing_mem *f = ud;
  if (failing_should_fail(f)) return NULL;
  void *p = realloc(old, n);
  if (p && !old) f->live++;
  return p;
}
static inline void failing_free(void *p, void *ud) {
  failing_mem *f = ud;
  if (p) f->live--;
  free(p);
}
static inline void failing_mem_init(failing_mem *f, long fail_at) {
  f->mem.user_data = f;
  f->mem.malloc = failing_malloc;
  f->mem.calloc = failing_calloc;
  f->mem.realloc = failing_realloc;
  f->mem.free = failing_free;
  f->fail_at = fail_at;
  f->count = 0;
  f->live = 0;
}

#endif
