#include "util/map.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include "util/mem.h"

#define MAP_FIRST_CAP 16

/* Only the address matters: no caller's key can share it, so a slot holding
 * it is deleted without needing a flag beside the key. Not const, so that
 * -fmerge-all-constants cannot fold it into some other object. */
static char tombstone[1];

/* Stands in for a NULL key (length 0), which would otherwise read as an
 * empty slot, and keeps NULL out of pointer arithmetic and memcmp. */
static char empty_key[1];

/* ---- SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input
 * PRF", 2012) ---- */

static inline uint64_t rotl64(uint64_t x, unsigned b) { return (x << b) | (x >> (64 - b)); }

/* Byte by byte: keys sit at any alignment and the hash must not depend on
 * the host's byte order. */
static inline uint64_t load_le64(const unsigned char *p) {
  uint64_t v = 0;
  for (unsigned i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static inline void sipround(uint64_t v[4]) {
  v[0] += v[1];
  v[1] = rotl64(v[1], 13);
  v[1] ^= v[0];
  v[0] = rotl64(v[0], 32);
  v[2] += v[3];
  v[3] = rotl64(v[3], 16);
  v[3] ^= v[2];
  v[0] += v[3];
  v[3] = rotl64(v[3], 21);
  v[3] ^= v[0];
  v[2] += v[1];
  v[1] = rotl64(v[1], 17);
  v[1] ^= v[2];
  v[2] = rotl64(v[2], 32);
}

static uint64_t siphash24(uint64_t k0, uint64_t k1, const void *data, size_t len) {
  const unsigned char *p = data;
  uint64_t v[4] = {k0 ^ UINT64_C(0x736f6d6570736575), k1 ^ UINT64_C(0x646f72616e646f6d),
                   k0 ^ UINT64_C(0x6c7967656e657261), k1 ^ UINT64_C(0x7465646279746573)};

  const unsigned char *end = p + (len & ~(size_t)7);
  for (; p != end; p += 8) {
    uint64_t m = load_le64(p);
    v[3] ^= m;
    sipround(v);
    sipround(v);
    v[0] ^= m;
  }

  /* The length byte goes into the last word so that messages differing only
   * in trailing zero bytes still hash apart. */
  uint64_t b = (uint64_t)len << 56;
  for (size_t i = 0; i < (len & 7); i++) b |= (uint64_t)p[i] << (8 * i);
  v[3] ^= b;
  sipround(v);
  sipround(v);
  v[0] ^= b;

  v[2] ^= 0xff;
  for (int i = 0; i < 4; i++) sipround(v);
  return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* ---- key ---- */

/* splitmix64's finaliser: spreads the few bits that differ between two
 * fallback seeds over the whole word. */
static uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= UINT64_C(0xbf58476d1ce4e5b9);
  x ^= x >> 27;
  x *= UINT64_C(0x94d049bb133111eb);
  x ^= x >> 31;
  return x;
}

/*
 * A fresh key per map, so that learning one map's layout (through timing,
 * say) tells nothing about another's. getrandom() only fails this early in
 * boot (entropy pool not ready; GRND_NONBLOCK refuses to wait because a
 * library must not hang its caller) or under seccomp filters. The fallback
 * is much weaker: the map's address is guessable up to ASLR and the counter
 * is not secret, so a peer who can learn both can build colliding keys. It
 * only keeps distinct maps from sharing a key.
 */
static void map_seed(xmppim_map *m) {
  uint64_t k[2];
  if (getrandom(k, sizeof(k), GRND_NONBLOCK) == (ssize_t)sizeof(k)) {
    m->k0 = k[0];
    m->k1 = k[1];
    return;
  }
  /* Atomic because maps may be created on several threads at once. */
  static atomic_uint_fast64_t counter;
  uint64_t n = (uint64_t)atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
  uint64_t addr = (uint64_t)(uintptr_t)m;
  m->k0 = mix64(addr ^ mix64(n));
  m->k1 = mix64(m->k0 ^ addr ^ UINT64_C(0x9e3779b97f4a7c15));
}

/* ---- table ---- */

/* 11/16 (about 70%) of cap, written so that it cannot overflow. Counting
 * tombstones in the load keeps at least one empty slot, which every probe
 * loop relies on to stop. */
static inline size_t map_max_used(size_t cap) { return cap - cap / 4 - cap / 16; }

static inline int slot_live(const xmppim_map_slot *s) { return s->key && s->key != tombstone; }

/* The stored hash settles almost every mismatch before memcmp runs. */
static inline int slot_matches(const xmppim_map_slot *s, uint64_t hash, const char *key,
                               size_t len) {
  return s->hash == hash && s->len == len && s->key != tombstone &&
         (len == 0 || memcmp(s->key, key, len) == 0);
}

/* Index of the live slot holding key, or cap when there is none. */
static size_t map_find(const xmppim_map *m, uint64_t hash, const char *key, size_t len) {
  if (m->count == 0) return m->cap;
  size_t mask = m->cap - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const xmppim_map_slot *s = &m->slots[i];
    if (!s->key) return m->cap;
    if (slot_matches(s, hash, key, len)) return i;
  }
}

/* First empty slot on hash's probe path. Used on tables just rebuilt,
 * which hold no tombstones to reuse. */
static size_t map_first_empty(const xmppim_map_slot *slots, size_t mask, uint64_t hash) {
  size_t i = hash & mask;
  while (slots[i].key) i = (i + 1) & mask;
  return i;
}

static int map_grow(xmppim_map *m) {
  if (m->cap > SIZE_MAX / 2 / sizeof(xmppim_map_slot)) return XMPPIM_ERR_NOMEM;
  size_t cap = m->cap ? m->cap * 2 : MAP_FIRST_CAP;
  /* calloc's zero bytes are NULL keys, i.e. empty slots. */
  xmppim_map_slot *slots = xmppim_mem_calloc(m->mem, cap, sizeof(*slots));
  if (!slots) return XMPPIM_ERR_NOMEM;
  for (size_t i = 0; i < m->cap; i++) {
    if (slot_live(&m->slots[i]))
      slots[map_first_empty(slots, cap - 1, m->slots[i].hash)] = m->slots[i];
  }
  xmppim_mem_free(m->mem, m->slots);
  m->slots = slots;
  m->cap = cap;
  m->tombstones = 0;
  return 0;
}

/*
 * Drops every tombstone without allocating, so churn (a roster where
 * contacts come and go) cannot fail with NOMEM or double a table whose live
 * count is small.
 *
 * The pass starts just after a slot that was empty before any tombstone was
 * cleared. No probe path crosses such a slot, so walking forward from there
 * visits every path in order from its start. Each live entry is lifted out
 * and put back at the first empty slot from its home: that is at or before
 * where it was (its own slot is empty at that moment), so it never lands on
 * a slot the pass has yet to visit, and later lifts only empty slots that lie
 * after every path already rebuilt.
 */
static void map_purge_tombstones(xmppim_map *m) {
  size_t mask = m->cap - 1;
  size_t start = 0;
  while (m->slots[start].key) start++;
  for (size_t i = 0; i < m->cap; i++) {
    if (m->slots[i].key == tombstone) m->slots[i].key = NULL;
  }
  for (size_t n = 1; n < m->cap; n++) {
    size_t i = (start + n) & mask;
    if (!m->slots[i].key) continue;
    xmppim_map_slot s = m->slots[i];
    m->slots[i].key = NULL;
    m->slots[map_first_empty(m->slots, mask, s.hash)] = s;
  }
  m->tombstones = 0;
}

void xmppim_map_init(xmppim_map *m, const xmppim_mem *mem) {
  m->mem = xmppim_mem_or_default(mem);
  m->slots = NULL;
  m->cap = 0;
  m->count = 0;
  m->tombstones = 0;
  map_seed(m);
}

void xmppim_map_free(xmppim_map *m) {
  xmppim_mem_free(m->mem, m->slots);
  m->slots = NULL;
  m->cap = 0;
  m->count = 0;
  m->tombstones = 0;
}

void *xmppim_map_get(const xmppim_map *m, const char *key, size_t len) {
  if (m->count == 0) return NULL;
  if (!key) key = empty_key;
  size_t i = map_find(m, siphash24(m->k0, m->k1, key, len), key, len);
  return i < m->cap ? m->slots[i].value : NULL;
}

int xmppim_map_put(xmppim_map *m, const char *key, size_t len, void *value) {
  if (!key) key = empty_key;
  uint64_t hash = siphash24(m->k0, m->k1, key, len);

  /* A replace or a reused tombstone adds nothing to the load, so neither
   * may allocate: they must not fail. */
  size_t reuse = m->cap;
  if (m->cap) {
    size_t mask = m->cap - 1;
    size_t i = hash & mask;
    for (; m->slots[i].key; i = (i + 1) & mask) {
      xmppim_map_slot *s = &m->slots[i];
      if (s->key == tombstone) {
        if (reuse == m->cap) reuse = i;
      } else if (slot_matches(s, hash, key, len)) {
        /* The new key, because the caller may be about to free the old. */
        s->key = key;
        s->value = value;
        return 0;
      }
    }
    if (reuse == m->cap && m->count + m->tombstones < map_max_used(m->cap)) reuse = i;
  }

  if (reuse == m->cap) {
    /* Mostly tombstones: the live entries fit as they are, and clearing
     * the tombstones costs no allocation, unlike doubling. */
    if (m->tombstones > m->count) {
      map_purge_tombstones(m);
    } else if (map_grow(m)) {
      /* Load counts tombstones, so with any at all, clearing them leaves
       * room for one more: better than refusing a map that has space. */
      if (!m->tombstones) return XMPPIM_ERR_NOMEM;
      map_purge_tombstones(m);
    }
    reuse = map_first_empty(m->slots, m->cap - 1, hash);
  }

  xmppim_map_slot *s = &m->slots[reuse];
  if (s->key == tombstone) m->tombstones--;
  s->key = key;
  s->len = len;
  s->hash = hash;
  s->value = value;
  m->count++;
  return 0;
}

void *xmppim_map_remove(xmppim_map *m, const char *key, size_t len) {
  if (m->count == 0) return NULL;
  if (!key) key = empty_key;
  size_t i = map_find(m, siphash24(m->k0, m->k1, key, len), key, len);
  if (i == m->cap) return NULL;
  size_t mask = m->cap - 1;
  void *value = m->slots[i].value;
  m->slots[i].value = NULL;
  m->count--;

  /* A probe reaching this slot would stop at the empty one after it anyway,
   * so it can be empty too, and so can the tombstones just before it. Only
   * tombstones change, which iteration skips either way. */
  if (!m->slots[(i + 1) & mask].key) {
    m->slots[i].key = NULL;
    for (size_t j = (i - 1) & mask; m->slots[j].key == tombstone; j = (j - 1) & mask) {
      m->slots[j].key = NULL;
      m->tombstones--;
    }
  } else {
    m->slots[i].key = tombstone;
    m->tombstones++;
  }
  return value;
}

int xmppim_map_next(const xmppim_map *m, size_t *iter, const char **key, size_t *len,
                    void **value) {
  for (size_t i = *iter; i < m->cap; i++) {
    const xmppim_map_slot *s = &m->slots[i];
    if (!slot_live(s)) continue;
    *iter = i + 1;
    if (key) *key = s->key == empty_key ? NULL : s->key;
    if (len) *len = s->len;
    if (value) *value = s->value;
    return 1;
  }
  *iter = m->cap;
  return 0;
}
