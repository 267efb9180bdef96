/*
 * Tree to UTF-8 XML. Elements always use the default-namespace form and
 * declare xmlns only where the namespace changes, so a stanza written into a
 * jabber:client stream carries no redundant declarations.
 */
#include <string.h>

#include "util/buf.h"
#include "xml/tree.h"

typedef struct writer {
  xmppim_buf *buf; /* growable target, or NULL for the fixed one below */
  char *dst;
  size_t cap;
  size_t len; /* bytes produced so far (also past cap, for the needed size) */
  int error;
} writer;

static void put(writer *w, const char *s, size_t n) {
  if (w->error || n == 0) return;
  if (w->buf) {
    w->error = xmppim_buf_append(w->buf, s, n);
  } else if (w->len < w->cap) {
    size_t room = w->cap - w->len;
    memcpy(w->dst + w->len, s, n < room ? n : room);
  }
  w->len += n;
}

static void puts_(writer *w, const char *s) { put(w, s, strlen(s)); }

/* Writes s escaped; in_attr selects the attribute rules (quotes and the
 * whitespace characters that attribute-value normalization would eat). */
static void put_escaped(writer *w, const char *s, size_t n, int in_attr) {
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    const char *rep;
    switch (s[i]) {
    case '&': rep = "&amp;"; break;
    case '<': rep = "&lt;"; break;
    case '>': rep = "&gt;"; break;
    case '\r': rep = "&#13;"; break;
    case '\'': rep = in_attr ? "&apos;" : NULL; break;
    case '"': rep = in_attr ? "&quot;" : NULL; break;
    case '\n': rep = in_attr ? "&#10;" : NULL; break;
    case '\t': rep = in_attr ? "&#9;" : NULL; break;
    default: rep = NULL;
    }
    if (!rep) continue;
    put(w, s + run, i - run);
    puts_(w, rep);
    run = i + 1;
  }
  put(w, s + run, n - run);
}

static int same_ns(const char *a, const char *b) {
  if (a == b) return 1;
  if (!a || !*a) return !b || !*b;
  if (!b) return 0;
  return strcmp(a, b) == 0;
}

/* Index of ns among the element's distinct attribute namespaces, for the
 * generated prefixes a0, a1, ... */
static unsigned attr_ns_index(const xmppim_stanza *el, const char *ns) {
  unsigned index = 0;
  for (const xmppim_attr *a = el->attrs; a; a = a->next) {
    if (!a->ns || strcmp(a->ns, XMPPIM_NS_XML) == 0) continue;
    int seen = 0;
    for (const xmppim_attr *b = el->attrs; b != a; b = b->next)
      if (b->ns && same_ns(b->ns, a->ns)) seen = 1;
    if (seen) continue;
    if (same_ns(a->ns, ns)) return index;
    index++;
  }
  return index;
}

static void put_prefix(writer *w, unsigned index) {
  char tmp[16];
  size_t n = 0;
  tmp[n++] = 'a';
  char digits[12];
  size_t d = 0;
  do {
    digits[d++] = (char)('0' + index % 10);
    index /= 10;
  } while (index);
  while (d) tmp[n++] = digits[--d];
  put(w, tmp, n);
}

static void write_element(writer *w, const xmppim_stanza *el, const char *inherited_ns) {
  put(w, "<", 1);
  puts_(w, el->name);
  if (!same_ns(el->ns, inherited_ns)) {
    put(w, " xmlns='", 8);
    if (el->ns) put_escaped(w, el->ns, strlen(el->ns), 1);
    put(w, "'", 1);
  }
  for (const xmppim_attr *a = el->attrs; a; a = a->next) {
    if (!a->ns || strcmp(a->ns, XMPPIM_NS_XML) == 0) continue;
    int declared = 0;
    for (const xmppim_attr *b = el->attrs; b != a && !declared; b = b->next)
      declared = b->ns && same_ns(b->ns, a->ns);
    if (declared) continue;
    unsigned index = attr_ns_index(el, a->ns);
    put(w, " xmlns:", 7);
    put_prefix(w, index);
    put(w, "='", 2);
    put_escaped(w, a->ns, strlen(a->ns), 1);
    put(w, "'", 1);
  }
  for (const xmppim_attr *a = el->attrs; a; a = a->next) {
    put(w, " ", 1);
    if (a->ns) {
      if (strcmp(a->ns, XMPPIM_NS_XML) == 0)
        put(w, "xml", 3);
      else
        put_prefix(w, attr_ns_index(el, a->ns));
      put(w, ":", 1);
    }
    puts_(w, a->name);
    put(w, "='", 2);
    put_escaped(w, a->value, strlen(a->value), 1);
    put(w, "'", 1);
  }
  if (!el->first) {
    put(w, "/>", 2);
    return;
  }
  put(w, ">", 1);
  for (const xmppim_node *n = el->first; n; n = n->next) {
    if (n->kind == XMPPIM_NODE_TEXT) {
      const xmppim_text_node *t = (const xmppim_text_node *)n;
      put_escaped(w, t->text, t->len, 0);
    } else {
      write_element(w, (const xmppim_stanza *)n, el->ns);
    }
  }
  put(w, "</", 2);
  puts_(w, el->name);
  put(w, ">", 1);
}

int xmppim_stanza_write(const xmppim_stanza *el, const char *inherited_ns, xmppim_buf *out) {
  if (!el || !out) return XMPPIM_ERR_INVALID_ARGUMENT;
  size_t before = out->len;
  writer w = {out, NULL, 0, 0, 0};
  write_element(&w, el, inherited_ns);
  if (w.error) out->len = before; /* all or nothing */
  return w.error;
}

char *xmppim_stanza_to_string(const xmppim_stanza *el, const xmppim_mem *mem, size_t limit, size_t *len) {
  xmppim_buf b;
  /* the limit counts the text; the buffer also holds the final NUL */
  xmppim_buf_init(&b, mem, limit ? limit + 1 : 0);
  if (xmppim_stanza_write(el, NULL, &b) != 0 || xmppim_buf_append(&b, "", 1) != 0) {
    xmppim_buf_free(&b);
    return NULL;
  }
  if (len) *len = b.len - 1;
  return b.data;
}

int xmppim_stanza_serialize(const xmppim_stanza *el, const char *inherited_ns, char *dst,
                            size_t cap, size_t *needed) {
  if (!el || (!dst && cap)) return XMPPIM_ERR_INVALID_ARGUMENT;
  writer w = {NULL, dst, cap, 0, 0};
  write_element(&w, el, inherited_ns);
  if (needed) *needed = w.len;
  if (w.len < cap) {
    dst[w.len] = '\0';
    return 0;
  }
  if (cap) dst[cap - 1] = '\0';
  return XMPPIM_ERR_BUFFER_TOO_SMALL;
}
