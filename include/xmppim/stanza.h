/**
 * @file stanza.h
 * @brief XML element trees: the stanzas libxmppim parses, builds and sends.
 *
 * A tree belongs to its root: every element, attribute and string of one
 * tree lives in a single arena owned by the root and freed at once by
 * xmppim_stanza_free() on the root. Nodes are never freed one by one.
 *
 * A stanza handed to a callback by the parser or a session is borrowed: it
 * is valid until the callback returns. Keep it with xmppim_stanza_copy().
 *
 * Names are stored as (namespace, local name). Prefixes of parsed input are
 * not kept: serialization declares each element's namespace as the default
 * namespace where it differs from its parent's, which RFC 6120 section 4.8.2
 * allows and which is what XMPP servers emit.
 */
#ifndef XMPPIM_STANZA_H
#define XMPPIM_STANZA_H

#include <stddef.h>
#include <xmppim/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The namespace of the xml: prefix, used for xml:lang. */
#define XMPPIM_NS_XML "http://www.w3.org/XML/1998/namespace"

/** An element of a tree (the root is also the handle on the whole tree). */
typedef struct xmppim_stanza xmppim_stanza;

/**
 * A node inside an element: either a child element or a run of text.
 * Iterate with xmppim_stanza_first_node() to see text and elements in
 * document order (mixed content); most XMPP code only needs the element
 * iterators and xmppim_stanza_text().
 */
typedef struct xmppim_node xmppim_node;

/**
 * Creates a new tree with one root element.
 * @param out receives the root.
 * @param mem allocator hooks for the whole tree, or NULL.
 * @param name local name, non-empty.
 * @param ns namespace URI, or NULL for no namespace.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_stanza_new(xmppim_stanza **out, const xmppim_mem *mem, const char *name,
                                    const char *ns);

/**
 * Frees a whole tree. Only for roots you own (from _new, _copy or
 * xmppim_stanza_parse()); NULL is allowed. Calling it on a non-root element
 * does nothing.
 */
XMPPIM_EXTERN void xmppim_stanza_free(xmppim_stanza *root);

/**
 * Appends a child element.
 * @param ns namespace, or NULL to inherit the parent's (the common case).
 * @param child if not NULL, receives the new element.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_stanza_add_child(xmppim_stanza *parent, const char *name, const char *ns,
                                          xmppim_stanza **child);

/**
 * Appends text (UTF-8; need not be NUL-terminated). Adjacent text is merged.
 * @return 0, #XMPPIM_ERR_BAD_UTF8, #XMPPIM_ERR_INVALID_ARGUMENT (characters
 * XML 1.0 cannot carry, such as NUL) or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_stanza_add_text(xmppim_stanza *element, const char *text, size_t len);

/**
 * Sets (or replaces) an attribute.
 * @param ns the attribute's namespace: NULL for an ordinary attribute,
 * #XMPPIM_NS_XML for xml:lang.
 * @param value UTF-8 text; NULL removes the attribute.
 * @return 0, #XMPPIM_ERR_BAD_UTF8, #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_stanza_set_attr_ns(xmppim_stanza *element, const char *ns,
                                            const char *name, const char *value);

/** xmppim_stanza_set_attr_ns() for an attribute without namespace. */
XMPPIM_EXTERN int xmppim_stanza_set_attr(xmppim_stanza *element, const char *name,
                                         const char *value);

/** @return the attribute's value, or NULL when absent. Valid as long as the tree. */
XMPPIM_EXTERN const char *xmppim_stanza_attr_ns(const xmppim_stanza *element, const char *ns,
                                                const char *name);

/** xmppim_stanza_attr_ns() for an attribute without namespace ("to", "type", ...). */
XMPPIM_EXTERN const char *xmppim_stanza_attr(const xmppim_stanza *element, const char *name);

/**
 * Walks the attributes: index 0, 1, ... until it returns nonzero.
 * @param ns, name, value receive borrowed strings (ns may be NULL); any may be NULL.
 * @return 0 while @p index is valid, #XMPPIM_ERR_NOT_FOUND past the end.
 */
XMPPIM_EXTERN int xmppim_stanza_attr_at(const xmppim_stanza *element, size_t index,
                                        const char **ns, const char **name, const char **value);

/** @return the element's local name. */
XMPPIM_EXTERN const char *xmppim_stanza_name(const xmppim_stanza *element);

/** @return the element's namespace URI, or NULL for none. */
XMPPIM_EXTERN const char *xmppim_stanza_ns(const xmppim_stanza *element);

/** @return the parent element, or NULL for a root. */
XMPPIM_EXTERN xmppim_stanza *xmppim_stanza_parent(const xmppim_stanza *element);

/** @return the first child element, skipping text, or NULL. */
XMPPIM_EXTERN xmppim_stanza *xmppim_stanza_first_child(const xmppim_stanza *element);

/** @return the next sibling element, skipping text, or NULL. */
XMPPIM_EXTERN xmppim_stanza *xmppim_stanza_next_sibling(const xmppim_stanza *element);

/**
 * The first child element with this name and namespace.
 * @param name local name, or NULL for any.
 * @param ns namespace, or NULL for "same namespace as the parent".
 */
XMPPIM_EXTERN xmppim_stanza *xmppim_stanza_find_child(const xmppim_stanza *element,
                                                      const char *name, const char *ns);

/**
 * The element's text: its direct text children joined (child elements'
 * text is not included). Never NULL: "" when there is none.
 * Valid until the tree is changed or freed. Borrowed trees (parsed ones in
 * a callback) may be asked too; joining several runs uses the tree's arena.
 */
XMPPIM_EXTERN const char *xmppim_stanza_text(const xmppim_stanza *element);

/** Node iteration (elements and text in document order). */
XMPPIM_EXTERN xmppim_node *xmppim_stanza_first_node(const xmppim_stanza *element);
/** @return the next node after @p node among its siblings, or NULL. */
XMPPIM_EXTERN xmppim_node *xmppim_node_next(const xmppim_node *node);
/** @return the node as an element, or NULL when it is text. */
XMPPIM_EXTERN xmppim_stanza *xmppim_node_element(xmppim_node *node);
/** @return the node's text (and its length in @p len if not NULL), or NULL when it is an element. */
XMPPIM_EXTERN const char *xmppim_node_text(const xmppim_node *node, size_t *len);

/**
 * Deep-copies @p element (and its subtree) into a new tree.
 * The copy's root has no parent. Namespaces inherited by the original from
 * ancestors that are not copied are made explicit on the new root.
 * @param mem allocator for the copy, or NULL.
 * @return 0 or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_stanza_copy(xmppim_stanza **out, const xmppim_stanza *element,
                                     const xmppim_mem *mem);

/**
 * Serializes @p element as UTF-8 XML, snprintf-style: writes at most @p cap
 * bytes (NUL included when it fits) and always reports the full length.
 * Text escapes &, < and >; attribute values escape &, <, ', ", tab, CR and
 * LF so that parsing gives back exactly the same value.
 * @param inherited_ns the default namespace in scope where the output goes
 * (for instance "jabber:client" for a stanza written into a client stream),
 * or NULL to declare the root's namespace.
 * @param needed if not NULL, receives the length excluding the NUL.
 * @return 0, or #XMPPIM_ERR_BUFFER_TOO_SMALL when @p cap was too small
 * (then *needed says how much is needed, plus one for the NUL).
 */
XMPPIM_EXTERN int xmppim_stanza_serialize(const xmppim_stanza *element, const char *inherited_ns,
                                          char *dst, size_t cap, size_t *needed);

/**
 * Parses one complete XML element (no stream around it) into a new tree,
 * with the same restricted-XML rules as the stream parser (no DTD, comments,
 * processing instructions or entities beyond the predefined five).
 * @param condition if not NULL, receives the stream error condition that
 * explains a failure.
 * @return 0, #XMPPIM_ERR_STREAM (bad input, see @p condition) or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_stanza_parse(xmppim_stanza **out, const char *xml, size_t len,
                                      const xmppim_mem *mem, xmppim_stream_condition *condition);

/**
 * Moves a tree from one content namespace to another: every element of the
 * tree in @p from_ns is put in @p to_ns, the rest (extensions) is left
 * alone. A server does this between its streams: a stanza read from a
 * server-to-server stream is in jabber:server, and goes to a client in
 * jabber:client (RFC 6120 section 4.8.3; RFC 6121 R4.3.2-k), and back.
 * @param root a tree you own (the root of it).
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (NULL or empty namespaces, not a
 * root you own) or #XMPPIM_ERR_NOMEM (the tree is then unchanged).
 */
XMPPIM_EXTERN int xmppim_stanza_rescope(xmppim_stanza *root, const char *from_ns, const char *to_ns);

/**
 * Structural equality: same names, namespaces, attributes (in any order),
 * and the same children with the same text in the same order.
 * @return 1 when equal, 0 otherwise.
 */
XMPPIM_EXTERN int xmppim_stanza_equal(const xmppim_stanza *a, const xmppim_stanza *b);

#ifdef __cplusplus
}
#endif

#endif /* XMPPIM_STANZA_H */
