/*
 * Bump allocator: many small allocations, one free. A parsed stanza lives in
 * one arena so that dropping it costs one walk over a handful of chunks
 * instead of one free() per node, attribute and string.
 */
#ifndef XMPPIM_UTIL_ARENA_H
#define XMPPIM_UTIL_ARENA_H

#include <stddef.h>
#include <xmppim/common.h>

typedef struct xmppim_arena_chunk xmppim_arena_chunk;

typedef struct xmppim_arena {
  xmppim_mem mem;
  xmppim_arena_chunk *head; /* newest chunk, where allocation happens */
  size_t next_chunk_size;   /* grows geometrically up to a cap */
  void *last_alloc;         /* start of the newest allocation, for extend */
} xmppim_arena;

void xmppim_arena_init(xmppim_arena *a, const xmppim_mem *mem, size_t first_chunk_size);

/* Frees every chunk; the arena may be reused after init or reset. */
void xmppim_arena_free(xmppim_arena *a);

/* Forgets every allocation but keeps the newest chunk for reuse. */
void xmppim_arena_reset(xmppim_arena *a);

/* Pointer-aligned memory, or NULL on ENOMEM. */
void *xmppim_arena_alloc(xmppim_arena *a, size_t size);

/* Byte-aligned memory (strings): no alignment padding wasted. */
void *xmppim_arena_alloc_bytes(xmppim_arena *a, size_t size);

/* A NUL-terminated copy of len bytes. */
char *xmppim_arena_strndup(xmppim_arena *a, const char *s, size_t len);

/*
 * Grows the newest byte allocation ptr (currently old_size bytes) by add
 * bytes, in place when the chunk has room, else by moving it. Returns the
 * (possibly new) address, or NULL on ENOMEM (ptr stays valid). This is how
 * adjacent text pieces from the SAX parser become one string without a
 * second pass.
 */
void *xmppim_arena_extend(xmppim_arena *a, void *ptr, size_t old_size, size_t add);

/* Bytes held from the allocator, for memory accounting. */
size_t xmppim_arena_footprint(const xmppim_arena *a);

#endif
