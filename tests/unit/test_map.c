/* util layer: the string-keyed hash map. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <cmocka.h>

#include "failing_mem.h"
#include "util/map.h"
#include "util/mem.h"

#define VAL(i) ((void *)(uintptr_t)((i) + 1))
#define IDX(v) ((size_t)(uintptr_t)(v)-1)

/* Fixed SipHash keys where a failure must replay the same table layout. */
static void map_init_fixed(xmppim_map *m, const xmppim_mem *mem) {
  xmppim_map_init(m, mem);
  m->k0 = UINT64_C(0x0123456789abcdef);
  m->k1 = UINT64_C(0xfedcba9876543210);
}

/* Whatever happened before, the table must agree with its counters, every
 * entry must be reachable by lookup, and the load must stay under the bound
 * that keeps an empty slot for probes to stop at. */
static void check_consistent(const xmppim_map *m) {
  size_t used = 0;
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].key) used++;
  assert_int_equal(used, m->count + m->tombstones);
  if (m->cap) {
    assert_true(used <= m->cap - m->cap / 4 - m->cap / 16);
  } else {
    assert_null(m->slots);
  }
  size_t iter = 0, live = 0;
  const char *key;
  size_t len;
  void *value;
  while (xmppim_map_next(m, &iter, &key, &len, &value)) {
    assert_ptr_equal(xmppim_map_get(m, key, len), value);
    live++;
  }
  assert_int_equal(live, m->count);
  assert_int_equal(live, xmppim_map_count(m));
}

typedef struct keyset {
  char (*keys)[24];
  size_t n;
} keyset;

static keyset keyset_make(size_t n, const char *fmt) {
  keyset k = {calloc(n, sizeof(*k.keys)), n};
  assert_non_null(k.keys);
  for (size_t i = 0; i < n; i++) snprintf(k.keys[i], sizeof(k.keys[i]), fmt, i);
  return k;
}

static const char *key_at(const keyset *k, size_t i) { return k->keys[i]; }

static void put_ok(xmppim_map *m, const keyset *k, size_t i, void *value) {
  assert_int_equal(xmppim_map_put(m, key_at(k, i), strlen(key_at(k, i)), value), 0);
}

static void *get_at(const xmppim_map *m, const keyset *k, size_t i) {
  return xmppim_map_get(m, key_at(k, i), strlen(key_at(k, i)));
}

static void *remove_at(xmppim_map *m, const keyset *k, size_t i) {
  return xmppim_map_remove(m, key_at(k, i), strlen(key_at(k, i)));
}

static void put_get_replace_remove(void **state) {
  (void)state;
  xmppim_map m;
  xmppim_map_init(&m, NULL);
  assert_null(xmppim_map_get(&m, "juliet@example.com", 18));
  assert_null(xmppim_map_remove(&m, "juliet@example.com", 18));
  assert_int_equal(xmppim_map_count(&m), 0);

  int a, b, c;
  assert_int_equal(xmppim_map_put(&m, "juliet@example.com", 18, &a), 0);
  assert_int_equal(xmppim_map_put(&m, "romeo@example.net", 17, &b), 0);
  assert_int_equal(m.cap, 16);
  assert_int_equal(xmppim_map_count(&m), 2);
  assert_ptr_equal(xmppim_map_get(&m, "juliet@example.com", 18), &a);
  assert_ptr_equal(xmppim_map_get(&m, "romeo@example.net", 17), &b);
  assert_null(xmppim_map_get(&m, "juliet@example.co", 17));

  /* Replacing takes the new key too: the old one may die with its value. */
  char other[] = "juliet@example.com";
  assert_int_equal(xmppim_map_put(&m, other, 18, &c), 0);
  assert_int_equal(xmppim_map_count(&m), 2);
  assert_ptr_equal(xmppim_map_get(&m, "juliet@example.com", 18), &c);
  size_t iter = 0;
  const char *key;
  size_t len;
  void *value;
  int seen_other = 0;
  while (xmppim_map_next(&m, &iter, &key, &len, &value))
    if (value == &c) seen_other = key == other && len == 18;
  assert_true(seen_other);

  assert_ptr_equal(xmppim_map_remove(&m, "juliet@example.com", 18), &c);
  assert_null(xmppim_map_remove(&m, "juliet@example.com", 18));
  assert_null(xmppim_map_get(&m, "juliet@example.com", 18));
  assert_ptr_equal(xmppim_map_get(&m, "romeo@example.net", 17), &b);
  assert_int_equal(xmppim_map_count(&m), 1);
  check_consistent(&m);

  /* Back again after removal. */
  assert_int_equal(xmppim_map_put(&m, "juliet@example.com", 18, &a), 0);
  assert_ptr_equal(xmppim_map_get(&m, "juliet@example.com", 18), &a);
  check_consistent(&m);
  xmppim_map_free(&m);
  assert_int_equal(xmppim_map_count(&m), 0);
  assert_null(xmppim_map_get(&m, "romeo@example.net", 17));
}

/* The reference vectors of the SipHash paper (key 00..0f, message 00..n-1),
 * read back from the hash stored in each slot. Sharing one buffer also makes
 * every key a prefix of the longer ones. */
static void hash_is_siphash24(void **state) {
  (void)state;
  static const uint64_t expect[17] = {
    UINT64_C(0x726fdb47dd0e0e31), UINT64_C(0x74f839c593dc67fd), UINT64_C(0x0d6c8009d9a94f5a),
    UINT64_C(0x85676696d7fb7e2d), UINT64_C(0xcf2794e0277187b7), UINT64_C(0x18765564cd99a68d),
    UINT64_C(0xcbc9466e58fee3ce), UINT64_C(0xab0200f58b01d137), UINT64_C(0x93f5f5799a932462),
    UINT64_C(0x9e0082df0ba9e4b0), UINT64_C(0x7a5dbbc594ddb9f3), UINT64_C(0xf4b32f46226bada7),
    UINT64_C(0x751e8fbc860ee5fb), UINT64_C(0x14ea5627c0843d90), UINT64_C(0xf723ca908e7af2ee),
    UINT64_C(0xa129ca6149be45e5), UINT64_C(0x3f2acc7f57c29bdb),
  };
  char msg[17];
  for (size_t i = 0; i < sizeof(msg); i++) msg[i] = (char)i;
  xmppim_map m;
  xmppim_map_init(&m, NULL);
  m.k0 = UINT64_C(0x0706050403020100);
  m.k1 = UINT64_C(0x0f0e0d0c0b0a0908);
  for (size_t n = 0; n <= 16; n++) assert_int_equal(xmppim_map_put(&m, msg, n, VAL(n)), 0);
  assert_int_equal(xmppim_map_count(&m), 17);
  size_t found = 0;
  for (size_t i = 0; i < m.cap; i++) {
    if (m.slots[i].key != msg) continue;
    assert_ptr_equal(m.slots[i].value, VAL(m.slots[i].len));
    assert_true(m.slots[i].hash == expect[m.slots[i].len]);
    found++;
  }
  assert_int_equal(found, 17);
  for (size_t n = 0; n <= 16; n++) assert_ptr_equal(xmppim_map_get(&m, msg, n), VAL(n));
  xmppim_map_free(&m);
}

/* Replaces libc's getrandom() in this executable, so that a test can make
 * it fail the way it does early in boot. */
static int getrandom_fails;
static long getrandom_calls;

ssize_t getrandom(void *buf, size_t len, unsigned int flags) {
  (void)flags;
  getrandom_calls++;
  if (getrandom_fails) {
    errno = EAGAIN;
    return -1;
  }
  FILE *f = fopen("/dev/urandom", "rb");
  if (!f) return -1;
  size_t got = fread(buf, 1, len, f);
  fclose(f);
  return (ssize_t)got;
}

/* Per-map random keys: two maps must not share a layout. */
static void maps_get_their_own_keys(void **state) {
  (void)state;
  xmppim_map a, b;
  xmppim_map_init(&a, NULL);
  xmppim_map_init(&b, NULL);
  assert_false(a.k0 == b.k0 && a.k1 == b.k1);
  xmppim_map_free(&a);
  xmppim_map_free(&b);
}

/* Without getrandom() the keys are weaker but still differ per map, and the
 * map works the same. */
static void keys_without_getrandom(void **state) {
  (void)state;
  keyset k = keyset_make(500, "nornd%zu");
  getrandom_fails = 1;
  long calls = getrandom_calls;
  xmppim_map a, b;
  xmppim_map_init(&a, NULL);
  xmppim_map_init(&b, NULL);
  getrandom_fails = 0;
  assert_int_equal(getrandom_calls, calls + 2); /* the stand-in was the one called */
  assert_false(a.k0 == b.k0 && a.k1 == b.k1);
  assert_false(a.k0 == 0 && a.k1 == 0);
  for (size_t i = 0; i < k.n; i++) put_ok(&a, &k, i, VAL(i));
  for (size_t i = 0; i < k.n; i++) assert_ptr_equal(get_at(&a, &k, i), VAL(i));
  check_consistent(&a);
  xmppim_map_free(&a);
  xmppim_map_free(&b);
  free(k.keys);
}

static void keys_with_nul_bytes_and_shared_prefixes(void **state) {
  (void)state;
  static const struct {
    const char *key;
    size_t len;
  } keys[] = {
    {"a\0b", 3}, {"a\0c", 3}, {"a", 1}, {"a\0", 2}, {"a\0b\0", 4}, {"\0", 1}, {"\0\0", 2},
    {"ab", 2},   {"abc", 3},  {"b", 1}, {"", 0},
  };
  const size_t n = sizeof(keys) / sizeof(keys[0]);
  xmppim_map m;
  xmppim_map_init(&m, NULL);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(xmppim_map_put(&m, keys[i].key, keys[i].len, VAL(i)), 0);
  assert_int_equal(xmppim_map_count(&m), n);
  for (size_t i = 0; i < n; i++) {
    /* Equal bytes at another address are the same key. */
    char copy[8];
    memcpy(copy, keys[i].key, keys[i].len);
    assert_ptr_equal(xmppim_map_get(&m, copy, keys[i].len), VAL(i));
  }
  assert_null(xmppim_map_get(&m, "a\0d", 3));
  assert_null(xmppim_map_get(&m, "\0\0\0", 3));

  /* The empty key is one key, whether spelt "" or NULL. */
  assert_ptr_equal(xmppim_map_get(&m, NULL, 0), VAL(n - 1));
  assert_int_equal(xmppim_map_put(&m, NULL, 0, VAL(100)), 0);
  assert_int_equal(xmppim_map_count(&m), n);
  assert_ptr_equal(xmppim_map_get(&m, "", 0), VAL(100));
  check_consistent(&m);
  assert_ptr_equal(xmppim_map_remove(&m, "", 0), VAL(100));
  assert_null(xmppim_map_get(&m, NULL, 0));

  assert_ptr_equal(xmppim_map_remove(&m, "a\0b", 3), VAL(0));
  assert_null(xmppim_map_get(&m, "a\0b", 3));
  assert_ptr_equal(xmppim_map_get(&m, "a\0b\0", 4), VAL(4));
  assert_ptr_equal(xmppim_map_get(&m, "a\0", 2), VAL(3));
  check_consistent(&m);
  xmppim_map_free(&m);
}

static void hundred_thousand_keys(void **state) {
  (void)state;
  const size_t n = 100000;
  keyset k = keyset_make(n, "user%zu@example.com");
  xmppim_map m;
  map_init_fixed(&m, NULL);
  for (size_t i = 0; i < n; i++) put_ok(&m, &k, i, VAL(i));
  assert_int_equal(xmppim_map_count(&m), n);
  for (size_t i = 0; i < n; i++) assert_ptr_equal(get_at(&m, &k, i), VAL(i));
  check_consistent(&m);

  for (size_t i = 0; i < n; i += 2) assert_ptr_equal(remove_at(&m, &k, i), VAL(i));
  assert_int_equal(xmppim_map_count(&m), n / 2);
  for (size_t i = 0; i < n; i++) {
    if (i % 2)
      assert_ptr_equal(get_at(&m, &k, i), VAL(i));
    else
      assert_null(get_at(&m, &k, i));
  }
  check_consistent(&m);

  for (size_t i = 0; i < n; i += 2) put_ok(&m, &k, i, VAL(i + n));
  assert_int_equal(xmppim_map_count(&m), n);
  for (size_t i = 0; i < n; i++) assert_ptr_equal(get_at(&m, &k, i), VAL(i % 2 ? i : i + n));
  check_consistent(&m);
  xmppim_map_free(&m);
  free(k.keys);
}

/* Contacts that come and go while few stay: tombstones pile up and must be
 * cleared in place rather than doubling the table. */
static void churn_keeps_the_table_small(void **state) {
  (void)state;
  const size_t stay = 3, churn = 20000;
  keyset k = keyset_make(stay + churn, "churn%zu@example.org");
  xmppim_map m;
  map_init_fixed(&m, NULL);
  for (size_t i = 0; i < stay; i++) put_ok(&m, &k, i, VAL(i));
  for (size_t i = stay; i < stay + churn; i++) {
    put_ok(&m, &k, i, VAL(i));
    assert_ptr_equal(remove_at(&m, &k, i), VAL(i));
    assert_int_equal(m.cap, 16);
    for (size_t j = 0; j < stay; j++) assert_ptr_equal(get_at(&m, &k, j), VAL(j));
  }
  check_consistent(&m);
  xmppim_map_free(&m);
  free(k.keys);
}

/* The slot where key starts probing in a 16-slot table with the fixed
 * SipHash key. */
static size_t home_of(const char *key) {
  xmppim_map m;
  map_init_fixed(&m, NULL);
  assert_int_equal(xmppim_map_put(&m, key, strlen(key), VAL(0)), 0);
  assert_int_equal(m.cap, 16);
  size_t home = 16;
  for (size_t i = 0; i < m.cap; i++)
    if (m.slots[i].key == key) home = (size_t)(m.slots[i].hash & 15);
  xmppim_map_free(&m);
  assert_true(home < 16);
  return home;
}

/* The first candidate key (unused so far) that starts probing at home. */
static size_t key_with_home(const keyset *k, unsigned char *used, size_t home) {
  for (size_t i = 0; i < k->n; i++) {
    if (!used[i] && home_of(key_at(k, i)) == home) {
      used[i] = 1;
      return i;
    }
  }
  fail_msg("no candidate key with home %zu", home);
  return 0;
}

/* A laid-out case for the in-place rehash: x starts probing at slot 14 but
 * sits at slot 0, wrapped around the end, and 14 is a tombstone. Clearing
 * that tombstone cuts x's probe path, so the rehash must visit slot 0 and
 * move x back to 14; it must also not start its pass at an occupied slot. */
static void purge_moves_entries_wrapped_around_the_end(void **state) {
  (void)state;
  keyset k = keyset_make(4000, "home%zu");
  unsigned char *used = calloc(k.n, 1);
  assert_non_null(used);
  size_t a = key_with_home(&k, used, 14), y = key_with_home(&k, used, 15);
  size_t x = key_with_home(&k, used, 14);
  size_t fill[7];
  for (size_t j = 0; j < 7; j++) fill[j] = key_with_home(&k, used, j + 1);
  size_t w = key_with_home(&k, used, 8), z = key_with_home(&k, used, 10);

  xmppim_map m;
  map_init_fixed(&m, NULL);
  put_ok(&m, &k, a, VAL(a));
  put_ok(&m, &k, y, VAL(y));
  put_ok(&m, &k, x, VAL(x));
  for (size_t j = 0; j < 7; j++) put_ok(&m, &k, fill[j], VAL(fill[j]));
  put_ok(&m, &k, w, VAL(w));
  assert_int_equal(m.cap, 16);
  assert_ptr_equal(m.slots[0].key, key_at(&k, x));
  assert_ptr_equal(m.slots[8].key, key_at(&k, w));

  /* Left to right, so that each has an occupied slot after it and stays a
   * tombstone. */
  for (size_t j = 0; j < 7; j++) assert_ptr_equal(remove_at(&m, &k, fill[j]), VAL(fill[j]));
  assert_ptr_equal(remove_at(&m, &k, a), VAL(a));
  assert_int_equal(m.count, 3);
  assert_int_equal(m.tombstones, 8);

  /* z's path (slot 10) holds no tombstone and the table is at its limit:
   * mostly tombstones, so it is rehashed in place. */
  put_ok(&m, &k, z, VAL(z));
  assert_int_equal(m.cap, 16);
  assert_int_equal(m.tombstones, 0);
  assert_ptr_equal(m.slots[14].key, key_at(&k, x));
  assert_ptr_equal(get_at(&m, &k, x), VAL(x));
  assert_ptr_equal(get_at(&m, &k, y), VAL(y));
  assert_ptr_equal(get_at(&m, &k, w), VAL(w));
  assert_ptr_equal(get_at(&m, &k, z), VAL(z));
  assert_null(get_at(&m, &k, a));
  check_consistent(&m);
  xmppim_map_free(&m);
  free(used);
  free(k.keys);
}

/* The same on a big table, with entries staying through many in-place
 * rehashes; the table may double once but not keep growing. */
static void churn_around_many_entries(void **state) {
  (void)state;
  const size_t stay = 1000, churn = 100000, window = 200;
  keyset k = keyset_make(stay + churn, "%zu@churn.example");
  xmppim_map m;
  map_init_fixed(&m, NULL);
  for (size_t i = 0; i < stay; i++) put_ok(&m, &k, i, VAL(i));
  size_t cap_after_fill = m.cap;
  for (size_t i = stay; i < stay + churn; i++) {
    put_ok(&m, &k, i, VAL(i));
    /* A sliding window of recent contacts, so removals hit old and new. */
    if (i >= stay + window) assert_ptr_equal(remove_at(&m, &k, i - window), VAL(i - window));
    if (i % 9973 == 0) check_consistent(&m);
  }
  assert_true(m.cap <= 2 * cap_after_fill);
  assert_int_equal(xmppim_map_count(&m), stay + window);
  for (size_t i = 0; i < stay + churn; i++) {
    if (i < stay || i >= stay + churn - window)
      assert_ptr_equal(get_at(&m, &k, i), VAL(i));
    else
      assert_null(get_at(&m, &k, i));
  }
  check_consistent(&m);
  xmppim_map_free(&m);
  free(k.keys);
}

static void iteration_visits_each_key_once(void **state) {
  (void)state;
  const size_t n = 1000;
  keyset k = keyset_make(n, "it%zu");
  unsigned char *seen = calloc(n, 1);
  assert_non_null(seen);
  xmppim_map m;
  xmppim_map_init(&m, NULL);

  size_t iter = 0;
  const char *key;
  size_t len;
  void *value;
  assert_int_equal(xmppim_map_next(&m, &iter, &key, &len, &value), 0);

  for (size_t i = 0; i < n; i++) put_ok(&m, &k, i, VAL(i));
  /* Some tombstones for the walk to step over. */
  for (size_t i = 0; i < n; i += 10) assert_ptr_equal(remove_at(&m, &k, i), VAL(i));
  iter = 0;
  while (xmppim_map_next(&m, &iter, &key, &len, &value)) {
    size_t i = IDX(value);
    assert_true(i < n && i % 10 != 0);
    assert_ptr_equal(key, key_at(&k, i));
    assert_int_equal(len, strlen(key_at(&k, i)));
    seen[i]++;
  }
  for (size_t i = 0; i < n; i++) assert_int_equal(seen[i], i % 10 ? 1 : 0);
  /* Finished stays finished. */
  assert_int_equal(xmppim_map_next(&m, &iter, &key, &len, &value), 0);

  /* Removing what was just returned: the rest is still visited once. */
  memset(seen, 0, n);
  iter = 0;
  while (xmppim_map_next(&m, &iter, &key, &len, &value)) {
    size_t i = IDX(value);
    seen[i]++;
    if (i % 3 == 0) assert_ptr_equal(xmppim_map_remove(&m, key, len), value);
  }
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(seen[i], i % 10 ? 1 : 0);
    if (i % 10 && i % 3)
      assert_ptr_equal(get_at(&m, &k, i), VAL(i));
    else
      assert_null(get_at(&m, &k, i));
  }
  check_consistent(&m);

  /* Emptying the map while walking it. */
  iter = 0;
  size_t removed = 0, before = xmppim_map_count(&m);
  while (xmppim_map_next(&m, &iter, &key, &len, NULL)) {
    assert_non_null(xmppim_map_remove(&m, key, len));
    removed++;
  }
  assert_int_equal(removed, before);
  assert_int_equal(xmppim_map_count(&m), 0);
  check_consistent(&m);

  xmppim_map_free(&m);
  free(seen);
  free(k.keys);
}

/* Fails each allocation in turn while the table grows: the put that hit it
 * reports NOMEM and changes nothing, and everything put before is found. */
static void allocation_failure_leaves_map_intact(void **state) {
  (void)state;
  const size_t n = 600;
  keyset k = keyset_make(n, "grow%zu@example.com");

  failing_mem f;
  failing_mem_init(&f, 0);
  xmppim_map m;
  xmppim_map_init(&m, &f.mem);
  for (size_t i = 0; i < n; i++) put_ok(&m, &k, i, VAL(i));
  long allocations = f.count;
  xmppim_map_free(&m);
  assert_int_equal(f.live, 0);
  assert_true(allocations >= 6);

  for (long fail_at = 1; fail_at <= allocations; fail_at++) {
    failing_mem_init(&f, fail_at);
    xmppim_map_init(&m, &f.mem);
    size_t failed = n;
    for (size_t i = 0; i < n; i++) {
      xmppim_map before = m;
      xmppim_map_slot *snapshot = NULL;
      if (m.cap) {
        snapshot = malloc(m.cap * sizeof(*snapshot));
        assert_non_null(snapshot);
        memcpy(snapshot, m.slots, m.cap * sizeof(*snapshot));
      }
      int rv = xmppim_map_put(&m, key_at(&k, i), strlen(key_at(&k, i)), VAL(i));
      if (rv) {
        assert_int_equal(rv, XMPPIM_ERR_NOMEM);
        assert_int_equal(failed, n); /* only one allocation fails */
        failed = i;
        assert_ptr_equal(m.slots, before.slots);
        assert_int_equal(m.cap, before.cap);
        assert_int_equal(m.count, before.count);
        assert_int_equal(m.tombstones, before.tombstones);
        if (m.cap) assert_memory_equal(m.slots, snapshot, m.cap * sizeof(*snapshot));
        assert_null(get_at(&m, &k, i));
        for (size_t j = 0; j < i; j++) assert_ptr_equal(get_at(&m, &k, j), VAL(j));
        check_consistent(&m);
      }
      free(snapshot);
    }
    assert_true(failed < n);
    /* Still usable: everything but the refused key went in. */
    assert_int_equal(xmppim_map_count(&m), n - 1);
    for (size_t i = 0; i < n; i++) {
      if (i == failed)
        assert_null(get_at(&m, &k, i));
      else
        assert_ptr_equal(get_at(&m, &k, i), VAL(i));
    }
    put_ok(&m, &k, failed, VAL(failed));
    check_consistent(&m);
    xmppim_map_free(&m);
    assert_int_equal(f.live, 0);
  }
  free(k.keys);
}

/* At the load limit only a new key needs room: a replace, or a key that
 * takes a freed slot, must not allocate and so cannot fail. */
static void full_table_replaces_without_allocating(void **state) {
  (void)state;
  keyset k = keyset_make(20, "full%zu");
  failing_mem f;
  failing_mem_init(&f, 0);
  xmppim_map m;
  map_init_fixed(&m, &f.mem);
  size_t limit = 16 - 16 / 4 - 16 / 16;
  for (size_t i = 0; i < limit; i++) put_ok(&m, &k, i, VAL(i));
  assert_int_equal(m.cap, 16);
  f.fail_at = f.count + 1;

  assert_int_equal(xmppim_map_put(&m, key_at(&k, limit), strlen(key_at(&k, limit)), VAL(limit)),
                   XMPPIM_ERR_NOMEM);
  assert_int_equal(xmppim_map_count(&m), limit);
  assert_null(get_at(&m, &k, limit));

  f.fail_at = f.count + 1;
  for (size_t i = 0; i < limit; i++) put_ok(&m, &k, i, VAL(i + 100));
  assert_ptr_equal(remove_at(&m, &k, 0), VAL(100));
  put_ok(&m, &k, limit, VAL(limit));
  assert_int_equal(m.cap, 16);
  for (size_t i = 1; i <= limit; i++)
    assert_ptr_equal(get_at(&m, &k, i), VAL(i < limit ? i + 100 : i));
  check_consistent(&m);
  xmppim_map_free(&m);
  assert_int_equal(f.live, 0);
  free(k.keys);
}

static void free_of_empty_map(void **state) {
  (void)state;
  failing_mem f;
  failing_mem_init(&f, 0);
  xmppim_map m;
  xmppim_map_init(&m, &f.mem);
  xmppim_map_free(&m);
  assert_int_equal(f.count, 0); /* nothing allocated until the first put */
  xmppim_map_free(&m);          /* twice is harmless */
  assert_int_equal(xmppim_map_count(&m), 0);

  /* Usable again after free. */
  assert_int_equal(xmppim_map_put(&m, "k", 1, VAL(1)), 0);
  assert_ptr_equal(xmppim_map_get(&m, "k", 1), VAL(1));
  assert_ptr_equal(xmppim_map_remove(&m, "k", 1), VAL(1));
  xmppim_map_free(&m);
  assert_int_equal(f.live, 0);
  assert_null(m.slots);
  assert_int_equal(m.cap, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(put_get_replace_remove),
    cmocka_unit_test(hash_is_siphash24),
    cmocka_unit_test(maps_get_their_own_keys),
    cmocka_unit_test(keys_without_getrandom),
    cmocka_unit_test(keys_with_nul_bytes_and_shared_prefixes),
    cmocka_unit_test(hundred_thousand_keys),
    cmocka_unit_test(churn_keeps_the_table_small),
    cmocka_unit_test(purge_moves_entries_wrapped_around_the_end),
    cmocka_unit_test(churn_around_many_entries),
    cmocka_unit_test(iteration_visits_each_key_once),
    cmocka_unit_test(allocation_failure_leaves_map_intact),
    cmocka_unit_test(full_table_replaces_without_allocating),
    cmocka_unit_test(free_of_empty_map),
  };
  return cmocka_run_group_tests_name("map", tests, NULL, NULL);
}
