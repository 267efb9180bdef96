#include "util/arena.h"

#include <stdint.h>
#include <string.h>

#include "util/mem.h"

struct xmppim_arena_chunk {
  xmppim_arena_chunk *prev;
  size_t size; /* usable bytes in data */
  size_t used;
  _Alignas(max_align_t) unsigned char data[];
};

#define ARENA_MAX_CHUNK (64 * 1024)

void xmppim_arena_init(xmppim_arena *a, const xmppim_mem *mem, size_t first_chunk_size) {
  a->mem = *xmppim_mem_or_default(mem);
  a->head = NULL;
  a->next_chunk_size = first_chunk_size ? first_chunk_size : 1024;
  a->last_alloc = NULL;
}

void xmppim_arena_free(xmppim_arena *a) {
  xmppim_arena_chunk *c = a->head;
  while (c) {
    xmppim_arena_chunk *prev = c->prev;
    xmppim_mem_free(&a->mem, c);
    c = prev;
  }
  a->head = NULL;
  a->last_alloc = NULL;
}

void xmppim_arena_reset(xmppim_arena *a) {
  xmppim_arena_chunk *keep = a->head;
  if (!keep) return;
  xmppim_arena_chunk *c = keep->prev;
  while (c) {
    xmppim_arena_chunk *prev = c->prev;
    xmppim_mem_free(&a->mem, c);
    c = prev;
  }
  keep->prev = NULL;
  keep->used = 0;
  a->last_alloc = NULL;
}

static xmppim_arena_chunk *arena_grow(xmppim_arena *a, size_t need) {
  size_t size = a->next_chunk_size;
  if (size < need) size = need;
  if (size > SIZE_MAX - sizeof(xmppim_arena_chunk)) return NULL;
  xmppim_arena_chunk *c = xmppim_mem_malloc(&a->mem, sizeof(*c) + size);
  if (!c) return NULL;
  c->prev = a->head;
  c->size = size;
  c->used = 0;
  a->head = c;
  if (a->next_chunk_size < ARENA_MAX_CHUNK) a->next_chunk_size *= 2;
  return c;
}

static void *arena_take(xmppim_arena *a, size_t size, size_t align) {
  xmppim_arena_chunk *c = a->head;
  if (c) {
    size_t start = (c->used + align - 1) & ~(align - 1);
    if (start <= c->size && c->size - start >= size) {
      c->used = start + size;
      return a->last_alloc = c->data + start;
    }
  }
  c = arena_grow(a, size);
  if (!c) return NULL;
  c->used = size;
  return a->last_alloc = c->data;
}

void *xmppim_arena_alloc(xmppim_arena *a, size_t size) {
  return arena_take(a, size, sizeof(void *));
}

void *xmppim_arena_alloc_bytes(xmppim_arena *a, size_t size) { return arena_take(a, size, 1); }

char *xmppim_arena_strndup(xmppim_arena *a, const char *s, size_t len) {
  char *copy = arena_take(a, len + 1, 1);
  if (!copy) return NULL;
  memcpy(copy, s, len);
  copy[len] = '\0';
  return copy;
}

void *xmppim_arena_extend(xmppim_arena *a, void *ptr, size_t old_size, size_t add) {
  xmppim_arena_chunk *c = a->head;
  if (c && ptr == a->last_alloc && c->data + c->used == (unsigned char *)ptr + old_size &&
      c->size - c->used >= add) {
    c->used += add;
    return ptr;
  }
  if (old_size > SIZE_MAX - add) return NULL;
  unsigned char *moved = arena_take(a, old_size + add, 1);
  if (!moved) return NULL;
  memcpy(moved, ptr, old_size);
  return moved;
}

size_t xmppim_arena_footprint(const xmppim_arena *a) {
  size_t total = 0;
  for (const xmppim_arena_chunk *c = a->head; c; c = c->prev) total += sizeof(*c) + c->size;
  return total;
}
