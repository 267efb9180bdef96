#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

static void *default_malloc(size_t size, void *ud) {
  (void)ud;
  return malloc(size);
}
static void default_free(void *ptr, void *ud) {
  (void)ud;
  free(ptr);
}
static void *default_calloc(size_t n, size_t size, void *ud) {
  (void)ud;
  return calloc(n, size);
}
static void *default_realloc(void *ptr, size_t size, void *ud) {
  (void)ud;
  return realloc(ptr, size);
}

static const xmppim_mem default_mem = {NULL, default_malloc, default_free, default_calloc,
                                       default_realloc};

const xmppim_mem *xmppim_mem_default(void) { return &default_mem; }

const xmppim_mem *xmppim_mem_or_default(const xmppim_mem *mem) {
  return mem ? mem : &default_mem;
}

char *xmppim_mem_strndup(const xmppim_mem *mem, const char *s, size_t len) {
  char *copy = xmppim_mem_malloc(mem, len + 1);
  if (!copy) return NULL;
  memcpy(copy, s, len);
  copy[len] = '\0';
  return copy;
}
