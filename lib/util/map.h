/*
 * String-keyed hash map (open addressing) for the im layer's tables: roster
 * items by contact JID, users by bare JID, resources by full JID.
 *
 * Keys are borrowed, not copied: the caller keeps each key alive (usually
 * inside the value it maps to) until the entry is removed or the map freed.
 * That keeps a 100,000-item roster at one allocation per item.
 *
 * Keys come from the network (contact JIDs chosen by strangers), so the
 * hash is keyed SipHash with a per-map random key: nobody can choose keys
 * that all land in one chain.
 */
#ifndef XMPPIM_UTIL_MAP_H
#define XMPPIM_UTIL_MAP_H

#include <stddef.h>
#include <stdint.h>
#include <xmppim/common.h>

typedef struct xmppim_map_slot {
  const char *key; /* NULL: empty; the map's tombstone marker: deleted */
  size_t len;
  uint64_t hash;
  void *value;
} xmppim_map_slot;

typedef struct xmppim_map {
  const xmppim_mem *mem;
  xmppim_map_slot *slots;
  size_t cap;        /* 0 or a power of two */
  size_t count;      /* live entries */
  size_t tombstones; /* deleted slots not yet reused */
  uint64_t k0, k1;   /* SipHash key */
} xmppim_map;

/* An empty map; allocates nothing until the first put. mem must outlive it. */
void xmppim_map_init(xmppim_map *m, const xmppim_mem *mem);

/* Frees the table (not the keys or values). The map is empty afterwards. */
void xmppim_map_free(xmppim_map *m);

/* The value for key, or NULL. */
void *xmppim_map_get(const xmppim_map *m, const char *key, size_t len);

/* Maps key to value (value must not be NULL), replacing the key and value of
 * an equal key. 0 or XMPPIM_ERR_NOMEM (the map is unchanged then). */
int xmppim_map_put(xmppim_map *m, const char *key, size_t len, void *value);

/* Removes key; returns its value, or NULL when absent. */
void *xmppim_map_remove(xmppim_map *m, const char *key, size_t len);

static inline size_t xmppim_map_count(const xmppim_map *m) { return m->count; }

/* Iteration in table order: set *iter to 0, then call until it returns 0.
 * Removing the entry just returned is allowed; a put during iteration is
 * not. */
int xmppim_map_next(const xmppim_map *m, size_t *iter, const char **key, size_t *len, void **value);

#endif
