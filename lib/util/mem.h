/* Allocator hooks as the library uses them internally. */
#ifndef XMPPIM_UTIL_MEM_H
#define XMPPIM_UTIL_MEM_H

#include <xmppim/common.h>

/* The libc allocator as an xmppim_mem. */
const xmppim_mem *xmppim_mem_default(void);

/* Returns mem, or the default when mem is NULL: objects copy the result. */
const xmppim_mem *xmppim_mem_or_default(const xmppim_mem *mem);

static inline void *xmppim_mem_malloc(const xmppim_mem *mem, size_t size) {
  return mem->malloc(size, mem->user_data);
}
static inline void *xmppim_mem_calloc(const xmppim_mem *mem, size_t n, size_t size) {
  return mem->calloc(n, size, mem->user_data);
}
static inline void *xmppim_mem_realloc(const xmppim_mem *mem, void *ptr, size_t size) {
  return mem->realloc(ptr, size, mem->user_data);
}
static inline void xmppim_mem_free(const xmppim_mem *mem, void *ptr) {
  mem->free(ptr, mem->user_data);
}

/* A NUL-terminated copy of len bytes of s, or NULL on ENOMEM. */
char *xmppim_mem_strndup(const xmppim_mem *mem, const char *s, size_t len);

#endif
