/*
 * The stanza tree's layout, shared by the tree API, the serializer and the
 * parser (which builds trees straight from SAX events, without a second pass).
 */
#ifndef XMPPIM_XML_TREE_H
#define XMPPIM_XML_TREE_H

#include <stddef.h>
#include <stdint.h>
#include <xmppim/stanza.h>

#include "util/arena.h"

enum { XMPPIM_NODE_ELEMENT = 1, XMPPIM_NODE_TEXT = 2 };

struct xmppim_node {
  xmppim_node *next;
  xmppim_stanza *parent;
  uint8_t kind;
};

typedef struct xmppim_attr {
  struct xmppim_attr *next;
  const char *ns; /* NULL for none */
  const char *name;
  const char *value; /* NUL-terminated, never NULL */
} xmppim_attr;

typedef struct xmppim_text_node {
  xmppim_node node;
  char *text; /* NUL-terminated */
  size_t len;
} xmppim_text_node;

typedef struct xmppim_root xmppim_root;

struct xmppim_stanza {
  xmppim_node node;
  xmppim_root *root;
  const char *name;
  const char *ns;
  xmppim_attr *attrs;
  xmppim_attr *attrs_last;
  xmppim_node *first;
  xmppim_node *last;
  const char *joined_text; /* cache for xmppim_stanza_text() over several runs */
};

/*
 * The root element of a tree carries where the tree's memory comes from:
 * its own arena once owned, or a parser's reusable arena while borrowed.
 */
struct xmppim_root {
  xmppim_stanza element;
  xmppim_arena *arena; /* &own_arena when owned */
  xmppim_arena own_arena;
};

static inline int xmppim_tree_is_owned(const xmppim_root *r) { return r->arena == &r->own_arena; }

/* A new root allocated in `arena` (not owned; the caller decides). */
xmppim_root *xmppim_tree_new_root(xmppim_arena *arena, const char *name, const char *ns);

/* A new child element at the end of parent's children. name/ns are used as
 * given (not copied): they must live as long as the tree. */
xmppim_stanza *xmppim_tree_add_element(xmppim_stanza *parent, const char *name, const char *ns);

/* Appends an attribute without checking for duplicates (the parser knows
 * there are none); strings are used as given. */
xmppim_attr *xmppim_tree_add_attr(xmppim_stanza *el, const char *ns, const char *name,
                                  const char *value);

/* Appends text, merging with a text node that ends the children. Copies. */
int xmppim_tree_add_text(xmppim_stanza *el, const char *text, size_t len);

/* Makes a borrowed tree owned: it takes the arena over, which the caller
 * must then re-initialize. */
void xmppim_tree_adopt(xmppim_root *r);

/* Validates UTF-8 and XML 1.0 Char production over len bytes: 0, XMPPIM_ERR_BAD_UTF8
 * or XMPPIM_ERR_INVALID_ARGUMENT (a control character XML cannot carry). */
int xmppim_xml_check_text(const char *s, size_t len);

/* Well-known names and namespaces as static strings, so that parsed trees
 * need not copy them; returns NULL for others. */
const char *xmppim_intern_lookup(const char *s, size_t len);

/* Serializes into a growable buffer (the session writes its output this way). */
struct xmppim_buf;
int xmppim_stanza_write(const xmppim_stanza *el, const char *inherited_ns, struct xmppim_buf *out);

/* The element serialized (no inherited namespace) in one pass into a new
 * NUL-terminated string from `mem`, for keeping a stanza as text. NULL when
 * memory runs out or the text would pass `limit` bytes (0: no limit). */
char *xmppim_stanza_to_string(const xmppim_stanza *el, const xmppim_mem *mem, size_t limit, size_t *len);

#endif
