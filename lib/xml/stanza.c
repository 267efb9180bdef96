/* Building, querying, copying and comparing element trees. */
#include <string.h>

#include "util/mem.h"
#include "xml/tree.h"

/* Big enough for a typical chat message or presence in one chunk. */
#define TREE_FIRST_CHUNK 1024

static int ns_equal(const char *a, const char *b) {
  if (a == b) return 1;
  if (!a || !*a) return !b || !*b;
  if (!b) return 0;
  return strcmp(a, b) == 0;
}

int xmppim_xml_check_text(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s, *end = p + len;
  while (p < end) {
    unsigned c = *p;
    if (c < 0x80) {
      /* XML 1.0 Char: tab, LF, CR and everything from space up. */
      if (c < 0x20 && c != 0x09 && c != 0x0A && c != 0x0D) return XMPPIM_ERR_INVALID_ARGUMENT;
      p++;
      continue;
    }
    size_t n;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      cp = c & 0x07;
    } else {
      return XMPPIM_ERR_BAD_UTF8;
    }
    if ((size_t)(end - p) < n) return XMPPIM_ERR_BAD_UTF8;
    for (size_t i = 1; i < n; i++) {
      if ((p[i] & 0xC0) != 0x80) return XMPPIM_ERR_BAD_UTF8;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return XMPPIM_ERR_BAD_UTF8;
    if (cp == 0xFFFE || cp == 0xFFFF) return XMPPIM_ERR_INVALID_ARGUMENT;
    p += n;
  }
  return 0;
}

xmppim_root *xmppim_tree_new_root(xmppim_arena *arena, const char *name, const char *ns) {
  xmppim_root *r = xmppim_arena_alloc(arena, sizeof(*r));
  if (!r) return NULL;
  memset(r, 0, sizeof(*r));
  r->element.node.kind = XMPPIM_NODE_ELEMENT;
  r->element.root = r;
  r->element.name = name;
  r->element.ns = ns;
  r->arena = arena;
  return r;
}

static void link_node(xmppim_stanza *parent, xmppim_node *n) {
  n->parent = parent;
  n->next = NULL;
  if (parent->last)
    parent->last->next = n;
  else
    parent->first = n;
  parent->last = n;
  parent->joined_text = NULL;
}

xmppim_stanza *xmppim_tree_add_element(xmppim_stanza *parent, const char *name, const char *ns) {
  xmppim_stanza *el = xmppim_arena_alloc(parent->root->arena, sizeof(*el));
  if (!el) return NULL;
  el->node.kind = XMPPIM_NODE_ELEMENT;
  el->root = parent->root;
  el->name = name;
  el->ns = ns;
  el->attrs = el->attrs_last = NULL;
  el->first = el->last = NULL;
  el->joined_text = NULL;
  link_node(parent, &el->node);
  return el;
}

xmppim_attr *xmppim_tree_add_attr(xmppim_stanza *el, const char *ns, const char *name,
                                  const char *value) {
  xmppim_attr *a = xmppim_arena_alloc(el->root->arena, sizeof(*a));
  if (!a) return NULL;
  a->next = NULL;
  a->ns = ns;
  a->name = name;
  a->value = value;
  if (el->attrs_last)
    el->attrs_last->next = a;
  else
    el->attrs = a;
  el->attrs_last = a;
  return a;
}

int xmppim_tree_add_text(xmppim_stanza *el, const char *text, size_t len) {
  xmppim_arena *arena = el->root->arena;
  xmppim_text_node *t = (xmppim_text_node *)el->last;
  if (t && t->node.kind == XMPPIM_NODE_TEXT) {
    char *grown = xmppim_arena_extend(arena, t->text, t->len + 1, len);
    if (!grown) return XMPPIM_ERR_NOMEM;
    memcpy(grown + t->len, text, len);
    t->len += len;
    grown[t->len] = '\0';
    t->text = grown;
    el->joined_text = NULL;
    return 0;
  }
  t = xmppim_arena_alloc(arena, sizeof(*t));
  if (!t) return XMPPIM_ERR_NOMEM;
  t->node.kind = XMPPIM_NODE_TEXT;
  t->text = xmppim_arena_strndup(arena, text, len);
  if (!t->text) return XMPPIM_ERR_NOMEM;
  t->len = len;
  link_node(el, &t->node);
  return 0;
}

void xmppim_tree_adopt(xmppim_root *r) {
  r->own_arena = *r->arena;
  r->arena = &r->own_arena;
}

/* ---- public API ---- */

static int check_name(const char *name) {
  if (!name || !*name) return XMPPIM_ERR_INVALID_ARGUMENT;
  size_t len = strlen(name);
  if (xmppim_xml_check_text(name, len)) return XMPPIM_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)name[i];
    /* A local name: no prefix separator, no markup, no whitespace. */
    if (c == ':' || c == '<' || c == '>' || c == '&' || c == '\'' || c == '"' || c == '=' ||
        c == '/' || c <= ' ')
      return XMPPIM_ERR_INVALID_ARGUMENT;
  }
  if ((name[0] >= '0' && name[0] <= '9') || name[0] == '-' || name[0] == '.')
    return XMPPIM_ERR_INVALID_ARGUMENT;
  return 0;
}

#define NS_XMLNS "http://www.w3.org/2000/xmlns/"

/* Namespaces no element may be in (XML Namespaces section 3): a tree with
 * one would serialize to XML nothing can parse back. */
static int reserved_element_ns(const char *ns) {
  return ns && (strcmp(ns, XMPPIM_NS_XML) == 0 || strcmp(ns, NS_XMLNS) == 0);
}

/* Namespace declarations are not attributes in this model: the serializer
 * writes them. */
static int reserved_attribute(const char *ns, const char *name) {
  if (ns && strcmp(ns, NS_XMLNS) == 0) return 1;
  return !ns && strcmp(name, "xmlns") == 0;
}

/* A string for the tree: static when well known, else an arena copy. */
static const char *tree_string(xmppim_arena *arena, const char *s) {
  size_t len = strlen(s);
  const char *known = xmppim_intern_lookup(s, len);
  return known ? known : xmppim_arena_strndup(arena, s, len);
}

int xmppim_stanza_new(xmppim_stanza **out, const xmppim_mem *mem, const char *name,
                      const char *ns) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (check_name(name) || reserved_element_ns(ns)) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (ns && xmppim_xml_check_text(ns, strlen(ns))) return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_arena arena;
  xmppim_arena_init(&arena, mem, TREE_FIRST_CHUNK);
  xmppim_root *r = xmppim_tree_new_root(&arena, NULL, NULL);
  if (!r) goto nomem;
  xmppim_tree_adopt(r);
  r->element.name = tree_string(r->arena, name);
  r->element.ns = ns && *ns ? tree_string(r->arena, ns) : NULL;
  if (!r->element.name || (ns && *ns && !r->element.ns)) {
    xmppim_stanza_free(&r->element);
    return XMPPIM_ERR_NOMEM;
  }
  *out = &r->element;
  return 0;
nomem:
  xmppim_arena_free(&arena);
  return XMPPIM_ERR_NOMEM;
}

void xmppim_stanza_free(xmppim_stanza *el) {
  if (!el || el->node.parent || &el->root->element != el || !xmppim_tree_is_owned(el->root))
    return;
  /* The root lives inside the arena it owns: copy the arena out first. */
  xmppim_arena arena = el->root->own_arena;
  xmppim_arena_free(&arena);
}

int xmppim_stanza_add_child(xmppim_stanza *parent, const char *name, const char *ns,
                            xmppim_stanza **child) {
  if (child) *child = NULL;
  if (!parent || check_name(name) || reserved_element_ns(ns)) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (ns && xmppim_xml_check_text(ns, strlen(ns))) return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_arena *arena = parent->root->arena;
  const char *n = tree_string(arena, name);
  const char *s = !ns ? parent->ns : ns_equal(ns, parent->ns) ? parent->ns
                  : *ns ? tree_string(arena, ns) : NULL;
  if (!n || (ns && *ns && !s)) return XMPPIM_ERR_NOMEM;
  xmppim_stanza *el = xmppim_tree_add_element(parent, n, s);
  if (!el) return XMPPIM_ERR_NOMEM;
  if (child) *child = el;
  return 0;
}

int xmppim_stanza_add_text(xmppim_stanza *el, const char *text, size_t len) {
  if (!el || (!text && len)) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (len == 0) return 0;
  int rv = xmppim_xml_check_text(text, len);
  if (rv) return rv;
  return xmppim_tree_add_text(el, text, len);
}

static xmppim_attr *find_attr(const xmppim_stanza *el, const char *ns, const char *name,
                              xmppim_attr **prev_out) {
  xmppim_attr *prev = NULL;
  for (xmppim_attr *a = el->attrs; a; prev = a, a = a->next) {
    if (strcmp(a->name, name) == 0 && ns_equal(a->ns, ns)) {
      if (prev_out) *prev_out = prev;
      return a;
    }
  }
  return NULL;
}

int xmppim_stanza_set_attr_ns(xmppim_stanza *el, const char *ns, const char *name,
                              const char *value) {
  if (!el || check_name(name)) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (ns && xmppim_xml_check_text(ns, strlen(ns))) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (ns && !*ns) ns = NULL;
  if (reserved_attribute(ns, name)) return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_attr *prev = NULL;
  xmppim_attr *a = find_attr(el, ns, name, &prev);
  if (!value) {
    if (a) {
      if (prev)
        prev->next = a->next;
      else
        el->attrs = a->next;
      if (el->attrs_last == a) el->attrs_last = prev;
    }
    return 0;
  }
  size_t vlen = strlen(value);
  int rv = xmppim_xml_check_text(value, vlen);
  if (rv) return rv;
  xmppim_arena *arena = el->root->arena;
  const char *v = xmppim_arena_strndup(arena, value, vlen);
  if (!v) return XMPPIM_ERR_NOMEM;
  if (a) {
    a->value = v;
    return 0;
  }
  const char *n = tree_string(arena, name);
  const char *s = ns ? tree_string(arena, ns) : NULL;
  if (!n || (ns && !s)) return XMPPIM_ERR_NOMEM;
  return xmppim_tree_add_attr(el, s, n, v) ? 0 : XMPPIM_ERR_NOMEM;
}

int xmppim_stanza_set_attr(xmppim_stanza *el, const char *name, const char *value) {
  return xmppim_stanza_set_attr_ns(el, NULL, name, value);
}

const char *xmppim_stanza_attr_ns(const xmppim_stanza *el, const char *ns, const char *name) {
  if (!el || !name) return NULL;
  const xmppim_attr *a = find_attr(el, ns, name, NULL);
  return a ? a->value : NULL;
}

const char *xmppim_stanza_attr(const xmppim_stanza *el, const char *name) {
  return xmppim_stanza_attr_ns(el, NULL, name);
}

int xmppim_stanza_attr_at(const xmppim_stanza *el, size_t index, const char **ns,
                          const char **name, const char **value) {
  if (!el) return XMPPIM_ERR_INVALID_ARGUMENT;
  const xmppim_attr *a = el->attrs;
  while (a && index--) a = a->next;
  if (!a) return XMPPIM_ERR_NOT_FOUND;
  if (ns) *ns = a->ns;
  if (name) *name = a->name;
  if (value) *value = a->value;
  return 0;
}

const char *xmppim_stanza_name(const xmppim_stanza *el) { return el ? el->name : NULL; }
const char *xmppim_stanza_ns(const xmppim_stanza *el) { return el ? el->ns : NULL; }
xmppim_stanza *xmppim_stanza_parent(const xmppim_stanza *el) {
  return el ? el->node.parent : NULL;
}

static xmppim_stanza *element_from(xmppim_node *n) {
  while (n && n->kind != XMPPIM_NODE_ELEMENT) n = n->next;
  return (xmppim_stanza *)n;
}

xmppim_stanza *xmppim_stanza_first_child(const xmppim_stanza *el) {
  return el ? element_from(el->first) : NULL;
}

xmppim_stanza *xmppim_stanza_next_sibling(const xmppim_stanza *el) {
  return el ? element_from(el->node.next) : NULL;
}

xmppim_stanza *xmppim_stanza_find_child(const xmppim_stanza *el, const char *name,
                                        const char *ns) {
  if (!el) return NULL;
  if (!ns) ns = el->ns;
  for (xmppim_stanza *c = xmppim_stanza_first_child(el); c; c = xmppim_stanza_next_sibling(c)) {
    if ((!name || c->name == name || strcmp(c->name, name) == 0) && ns_equal(c->ns, ns))
      return c;
  }
  return NULL;
}

const char *xmppim_stanza_text(const xmppim_stanza *el) {
  if (!el) return "";
  if (el->joined_text) return el->joined_text;
  const xmppim_text_node *only = NULL;
  size_t total = 0, runs = 0;
  for (const xmppim_node *n = el->first; n; n = n->next) {
    if (n->kind == XMPPIM_NODE_TEXT) {
      only = (const xmppim_text_node *)n;
      total += only->len;
      runs++;
    }
  }
  if (runs == 0) return "";
  if (runs == 1) return only->text;
  /* Mixed content: join once into the arena and remember it. */
  char *joined = xmppim_arena_alloc_bytes(el->root->arena, total + 1);
  if (!joined) return "";
  size_t at = 0;
  for (const xmppim_node *n = el->first; n; n = n->next) {
    if (n->kind == XMPPIM_NODE_TEXT) {
      const xmppim_text_node *t = (const xmppim_text_node *)n;
      memcpy(joined + at, t->text, t->len);
      at += t->len;
    }
  }
  joined[at] = '\0';
  ((xmppim_stanza *)el)->joined_text = joined;
  return joined;
}

xmppim_node *xmppim_stanza_first_node(const xmppim_stanza *el) { return el ? el->first : NULL; }
xmppim_node *xmppim_node_next(const xmppim_node *n) { return n ? n->next : NULL; }
xmppim_stanza *xmppim_node_element(xmppim_node *n) {
  return n && n->kind == XMPPIM_NODE_ELEMENT ? (xmppim_stanza *)n : NULL;
}
const char *xmppim_node_text(const xmppim_node *n, size_t *len) {
  if (!n || n->kind != XMPPIM_NODE_TEXT) return NULL;
  const xmppim_text_node *t = (const xmppim_text_node *)n;
  if (len) *len = t->len;
  return t->text;
}

/* Copies a string into the destination tree unless it is a static one. */
static const char *copy_string(xmppim_arena *arena, const char *s) {
  if (!s) return NULL;
  return tree_string(arena, s);
}

static int copy_children(xmppim_stanza *dst, const xmppim_stanza *src) {
  xmppim_arena *arena = dst->root->arena;
  for (const xmppim_attr *a = src->attrs; a; a = a->next) {
    const char *ns = copy_string(arena, a->ns);
    const char *name = copy_string(arena, a->name);
    const char *value = xmppim_arena_strndup(arena, a->value, strlen(a->value));
    if ((a->ns && !ns) || !name || !value || !xmppim_tree_add_attr(dst, ns, name, value))
      return XMPPIM_ERR_NOMEM;
  }
  for (const xmppim_node *n = src->first; n; n = n->next) {
    if (n->kind == XMPPIM_NODE_TEXT) {
      const xmppim_text_node *t = (const xmppim_text_node *)n;
      if (xmppim_tree_add_text(dst, t->text, t->len)) return XMPPIM_ERR_NOMEM;
      continue;
    }
    const xmppim_stanza *c = (const xmppim_stanza *)n;
    const char *ns = ns_equal(c->ns, src->ns) ? dst->ns : copy_string(arena, c->ns);
    const char *name = copy_string(arena, c->name);
    if ((c->ns && !ns) || !name) return XMPPIM_ERR_NOMEM;
    xmppim_stanza *d = xmppim_tree_add_element(dst, name, ns);
    if (!d) return XMPPIM_ERR_NOMEM;
    int rv = copy_children(d, c);
    if (rv) return rv;
  }
  return 0;
}

int xmppim_stanza_copy(xmppim_stanza **out, const xmppim_stanza *src, const xmppim_mem *mem) {
  if (!out || !src) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = NULL;
  xmppim_arena arena;
  xmppim_arena_init(&arena, mem, TREE_FIRST_CHUNK);
  xmppim_root *r = xmppim_tree_new_root(&arena, NULL, NULL);
  if (!r) {
    xmppim_arena_free(&arena);
    return XMPPIM_ERR_NOMEM;
  }
  xmppim_tree_adopt(r);
  r->element.name = copy_string(r->arena, src->name);
  r->element.ns = copy_string(r->arena, src->ns);
  if (!r->element.name || (src->ns && !r->element.ns) || copy_children(&r->element, src)) {
    xmppim_stanza_free(&r->element);
    return XMPPIM_ERR_NOMEM;
  }
  *out = &r->element;
  return 0;
}

static int attrs_equal(const xmppim_stanza *a, const xmppim_stanza *b) {
  size_t na = 0, nb = 0;
  for (const xmppim_attr *x = a->attrs; x; x = x->next) na++;
  for (const xmppim_attr *x = b->attrs; x; x = x->next) nb++;
  if (na != nb) return 0;
  for (const xmppim_attr *x = a->attrs; x; x = x->next) {
    const xmppim_attr *y = find_attr(b, x->ns, x->name, NULL);
    if (!y || strcmp(x->value, y->value) != 0) return 0;
  }
  return 1;
}

int xmppim_stanza_equal(const xmppim_stanza *a, const xmppim_stanza *b) {
  if (!a || !b) return a == b;
  if (strcmp(a->name, b->name) != 0 || !ns_equal(a->ns, b->ns) || !attrs_equal(a, b)) return 0;
  const xmppim_node *x = a->first, *y = b->first;
  for (; x && y; x = x->next, y = y->next) {
    if (x->kind != y->kind) return 0;
    if (x->kind == XMPPIM_NODE_TEXT) {
      const xmppim_text_node *tx = (const xmppim_text_node *)x, *ty = (const xmppim_text_node *)y;
      if (tx->len != ty->len || memcmp(tx->text, ty->text, tx->len) != 0) return 0;
    } else if (!xmppim_stanza_equal((const xmppim_stanza *)x, (const xmppim_stanza *)y)) {
      return 0;
    }
  }
  return !x && !y;
}

int xmppim_stanza_rescope(xmppim_stanza *root, const char *from_ns, const char *to_ns) {
  if (!root || !from_ns || !to_ns || !*from_ns || !*to_ns || &root->root->element != root ||
      !xmppim_tree_is_owned(root->root) || reserved_element_ns(to_ns) || xmppim_xml_check_text(to_ns, strlen(to_ns)))
    return XMPPIM_ERR_INVALID_ARGUMENT;
  const char *ns = tree_string(root->root->arena, to_ns);
  if (!ns) return XMPPIM_ERR_NOMEM;
  /* Depth first without recursion: a tree may be deep. */
  xmppim_stanza *el = root;
  while (el) {
    if (el->ns && strcmp(el->ns, from_ns) == 0) el->ns = ns;
    xmppim_stanza *next = xmppim_stanza_first_child(el);
    while (!next && el && el != root) {
      next = xmppim_stanza_next_sibling(el);
      if (!next) el = xmppim_stanza_parent(el);
    }
    if (!next) break;
    el = next;
  }
  return 0;
}
