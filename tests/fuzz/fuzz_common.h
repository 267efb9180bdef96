/*
 * Checks shared by the fuzz targets. Every check that fails prints what it
 * saw to stderr and calls abort(): a failure is a bug in the library (or in
 * a documented contract), never in the input.
 */
#ifndef XMPPIM_FUZZ_COMMON_H
#define XMPPIM_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <xmppim/stanza.h>

#if defined(__GNUC__)
#define FZ_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define FZ_NORETURN __attribute__((noreturn))
#else
#define FZ_PRINTF(a, b)
#define FZ_NORETURN
#endif

/* Prints "fuzz check failed: ..." and aborts. */
FZ_NORETURN void fz_fail(const char *fmt, ...) FZ_PRINTF(1, 2);

/* Growable byte string; aborts on ENOMEM (the harness, not the library). */
typedef struct fz_buf {
  char *data;
  size_t len;
  size_t cap;
} fz_buf;

void fz_buf_add(fz_buf *b, const void *data, size_t len);
void fz_buf_add_str(fz_buf *b, const char *s); /* NULL is recorded distinctly from "" */
void fz_buf_free(fz_buf *b);

/* Small deterministic PRNG (splitmix64). */
uint64_t fz_rand(uint64_t *state);
/* FNV-1a over len bytes. */
uint64_t fz_hash(const uint8_t *data, size_t len);

/*
 * Walks the whole tree through the query API and checks that it agrees
 * with itself: names present, attribute walk and lookup agree, node
 * iteration agrees with the element iterators and with xmppim_stanza_text(),
 * parent links point back. max_depth / max_attrs: 0 for no check, else the
 * parser limits the tree must respect (the root is at depth 1).
 */
void fz_check_tree(const xmppim_stanza *root, unsigned max_depth, unsigned max_attrs);

/*
 * Serializes through the snprintf-style contract (size query with cap 0,
 * truncated write into an exactly-sized heap block, full write) and
 * returns a malloc'd NUL-terminated string; *len receives its length.
 */
char *fz_serialize(const xmppim_stanza *element, const char *inherited_ns, size_t *len);

/*
 * Serializes the tree, parses the result with xmppim_stanza_parse(), and
 * checks the trees are equal (both ways), that serializing again gives the
 * same bytes, and that xmppim_stanza_copy() gives an equal tree.
 * what: a label for failure messages.
 */
void fz_round_trip(const xmppim_stanza *stanza, const char *what);

#endif
