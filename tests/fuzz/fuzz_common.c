#include "fuzz_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fz_fail(const char *fmt, ...) {
  va_list ap;
  fputs("fuzz check failed: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  abort();
}

static void *fz_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) fz_fail("harness out of memory (%zu bytes)", n);
  return p;
}

void fz_buf_add(fz_buf *b, const void *data, size_t len) {
  if (len == 0) return;
  if (b->cap - b->len < len) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len < len) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) fz_fail("harness out of memory (%zu bytes)", cap);
    b->data = p;
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
}

void fz_buf_add_str(fz_buf *b, const char *s) {
  if (!s) {
    fz_buf_add(b, "N", 1);
    return;
  }
  size_t n = strlen(s);
  fz_buf_add(b, "S", 1);
  fz_buf_add(b, &n, sizeof n);
  fz_buf_add(b, s, n);
}

void fz_buf_free(fz_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

uint64_t fz_rand(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

uint64_t fz_hash(const uint8_t *data, size_t len) {
  uint64_t h = 0xcbf29ce484222325u;
  for (size_t i = 0; i < len; i++) {
    h ^= data[i];
    h *= 0x100000001b3u;
  }
  return h;
}

static int str_eq(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return strcmp(a, b) == 0;
}

typedef struct tree_stats {
  unsigned depth;     /* deepest element, root = 1 */
  size_t attrs;       /* most attributes on one element */
  size_t elements;
} tree_stats;

/* Checks one element's own view of itself; returns its attribute count. */
static size_t check_element(const xmppim_stanza *el) {
  const char *name = xmppim_stanza_name(el);
  if (!name || !*name) fz_fail("element without a local name");

  size_t nattrs = 0;
  for (;;) {
    const char *ans = NULL, *aname = NULL, *aval = NULL;
    int rc = xmppim_stanza_attr_at(el, nattrs, &ans, &aname, &aval);
    if (rc == XMPPIM_ERR_NOT_FOUND) break;
    if (rc != 0) fz_fail("xmppim_stanza_attr_at(<%s>, %zu) returned %d", name, nattrs, rc);
    if (!aname || !*aname || !aval) fz_fail("attribute %zu of <%s> has no name or value", nattrs, name);
    const char *look = xmppim_stanza_attr_ns(el, ans, aname);
    if (!str_eq(look, aval))
      fz_fail("<%s>: attr_at gives {%s}%s='%s' but attr_ns gives '%s'", name, ans ? ans : "",
              aname, aval, look ? look : "(null)");
    if (!ans && !str_eq(xmppim_stanza_attr(el, aname), aval))
      fz_fail("<%s>: xmppim_stanza_attr(%s) disagrees with attr_at", name, aname);
    nattrs++;
  }

  /* Node iteration must agree with the element iterators and with the text. */
  const char *text = xmppim_stanza_text(el);
  if (!text) fz_fail("xmppim_stanza_text(<%s>) returned NULL", name);
  size_t text_len = strlen(text), off = 0;
  xmppim_stanza *expect_child = xmppim_stanza_first_child(el);
  for (xmppim_node *n = xmppim_stanza_first_node(el); n; n = xmppim_node_next(n)) {
    xmppim_stanza *child = xmppim_node_element(n);
    size_t nlen = 0;
    const char *ntext = xmppim_node_text(n, &nlen);
    if ((child == NULL) == (ntext == NULL))
      fz_fail("<%s>: a node is %s", name, child ? "both element and text" : "neither element nor text");
    if (child) {
      if (child != expect_child) fz_fail("<%s>: node iteration and first_child/next_sibling disagree", name);
      if (xmppim_stanza_parent(child) != el) fz_fail("<%s>: child's parent link is wrong", name);
      expect_child = xmppim_stanza_next_sibling(child);
    } else {
      if (nlen > text_len - off || memcmp(text + off, ntext, nlen) != 0)
        fz_fail("<%s>: text nodes do not add up to xmppim_stanza_text()", name);
      off += nlen;
    }
  }
  if (expect_child) fz_fail("<%s>: next_sibling gives more children than node iteration", name);
  if (off != text_len) fz_fail("<%s>: xmppim_stanza_text() has %zu bytes, text nodes %zu", name, text_len, off);
  return nattrs;
}

static tree_stats walk_tree(const xmppim_stanza *root) {
  tree_stats st = {0, 0, 0};
  const xmppim_stanza *el = root;
  unsigned depth = 1;
  /* Iterative, so that a parser that fails to enforce its depth limit
   * shows up as a failed check rather than as a stack overflow here. */
  for (;;) {
    size_t nattrs = check_element(el);
    st.elements++;
    if (nattrs > st.attrs) st.attrs = nattrs;
    if (depth > st.depth) st.depth = depth;
    const xmppim_stanza *c = xmppim_stanza_first_child(el);
    if (c) {
      el = c;
      depth++;
      continue;
    }
    for (;;) {
      if (el == root) return st;
      const xmppim_stanza *next = xmppim_stanza_next_sibling(el);
      if (next) {
        el = next;
        break;
      }
      el = xmppim_stanza_parent(el);
      depth--;
      if (!el) fz_fail("walked off the top of the tree through parent links");
    }
  }
}

void fz_check_tree(const xmppim_stanza *root, unsigned max_depth, unsigned max_attrs) {
  tree_stats st = walk_tree(root);
  if (max_depth && st.depth > max_depth)
    fz_fail("stanza <%s> is %u elements deep, over the parser's max_depth %u", xmppim_stanza_name(root),
            st.depth, max_depth);
  if (max_attrs && st.attrs > max_attrs)
    fz_fail("an element of <%s> has %zu attributes, over the parser's max_attributes %u",
            xmppim_stanza_name(root), st.attrs, max_attrs);
}

char *fz_serialize(const xmppim_stanza *element, const char *inherited_ns, size_t *len) {
  size_t need = (size_t)-1;
  int rc = xmppim_stanza_serialize(element, inherited_ns, NULL, 0, &need);
  if (rc != XMPPIM_ERR_BUFFER_TOO_SMALL)
    fz_fail("xmppim_stanza_serialize(cap 0) returned %d, expected BUFFER_TOO_SMALL", rc);
  if (need == (size_t)-1) fz_fail("xmppim_stanza_serialize(cap 0) did not report the length");

  if (need >= 2) {
    /* Truncated write into a block of exactly cap bytes: ASan sees any overrun. */
    size_t cap = need / 2;
    char *small = fz_xmalloc(cap);
    size_t need2 = 0;
    rc = xmppim_stanza_serialize(element, inherited_ns, small, cap, &need2);
    if (rc != XMPPIM_ERR_BUFFER_TOO_SMALL || need2 != need)
      fz_fail("xmppim_stanza_serialize(cap %zu) returned %d, length %zu (full length %zu)", cap, rc, need2,
              need);
    free(small);
  }

  char *out = fz_xmalloc(need + 1);
  size_t need3 = 0;
  rc = xmppim_stanza_serialize(element, inherited_ns, out, need + 1, &need3);
  if (rc != 0 || need3 != need)
    fz_fail("xmppim_stanza_serialize(cap %zu) returned %d, length %zu", need + 1, rc, need3);
  if (out[need] != '\0' || strlen(out) != need)
    fz_fail("serialization is not NUL-terminated at its reported length %zu", need);
  *len = need;
  return out;
}

void fz_round_trip(const xmppim_stanza *stanza, const char *what) {
  size_t len = 0;
  char *xml = fz_serialize(stanza, NULL, &len);

  /* Also exercise serialization into a context where the namespace is in scope. */
  const char *ns = xmppim_stanza_ns(stanza);
  if (ns) {
    size_t len2 = 0;
    char *inner = fz_serialize(stanza, ns, &len2);
    free(inner);
  }

  xmppim_stanza *re = NULL;
  xmppim_stream_condition cond = XMPPIM_STREAM_OK;
  int rc = xmppim_stanza_parse(&re, xml, len, NULL, &cond);
  if (rc != 0) {
    tree_stats st = walk_tree(stanza);
    int near_limits = len > 200 * 1024 || st.depth >= 60 || st.attrs >= 60;
    if (near_limits &&
        (cond == XMPPIM_STREAM_POLICY_VIOLATION || cond == XMPPIM_STREAM_RESOURCE_CONSTRAINT)) {
      free(xml); /* a size limit of xmppim_stanza_parse(), not a round-trip failure */
      return;
    }
    fz_fail("%s: xmppim_stanza_parse() refused the serialization of a valid tree: rc %d (%s), condition %s\n"
            "serialization (%zu bytes): %s",
            what, rc, xmppim_strerror(rc), xmppim_stream_condition_name(cond) ? xmppim_stream_condition_name(cond) : "none",
            len, xml);
  }
  if (!xmppim_stanza_equal(stanza, re) || !xmppim_stanza_equal(re, stanza)) {
    size_t len2 = 0;
    char *again = fz_serialize(re, NULL, &len2);
    fz_fail("%s: tree differs after serialize + xmppim_stanza_parse\nserialized: %s\nre-parsed:  %s", what, xml,
            again);
  }
  size_t len2 = 0;
  char *again = fz_serialize(re, NULL, &len2);
  if (len2 != len || memcmp(xml, again, len) != 0)
    fz_fail("%s: serialization is not stable\nfirst:  %s\nsecond: %s", what, xml, again);
  free(again);
  xmppim_stanza_free(re);

  if (!xmppim_stanza_equal(stanza, stanza)) fz_fail("%s: xmppim_stanza_equal(x, x) is 0", what);

  xmppim_stanza *copy = NULL;
  rc = xmppim_stanza_copy(&copy, stanza, NULL);
  if (rc != 0) fz_fail("%s: xmppim_stanza_copy() returned %d", what, rc);
  if (!xmppim_stanza_equal(stanza, copy)) fz_fail("%s: copy is not equal to the original\n%s", what, xml);
  xmppim_stanza_free(copy);
  free(xml);
}
