/*
 * Message stanzas (RFC 6121 section 5.2): the type, bodies and subjects by
 * language, the thread. Stateless helpers over stanza trees.
 */
#include <stdint.h>
#include <string.h>

#include <xmppim/jid.h>
#include <xmppim/message.h>

#include "util/utf8.h"

static const char *const type_names[XMPPIM_MESSAGE_TYPE_COUNT] = {"normal", "chat", "groupchat",
                                                                  "headline", "error"};

const char *xmppim_message_type_name(xmppim_message_type type) {
  return (unsigned)type < XMPPIM_MESSAGE_TYPE_COUNT ? type_names[type] : NULL;
}

/* -1 for a value that is none of the five. */
static int type_lookup(const char *name) {
  if (!name) return -1;
  for (int i = 0; i < XMPPIM_MESSAGE_TYPE_COUNT; i++)
    if (strcmp(name, type_names[i]) == 0) return i;
  return -1;
}

xmppim_message_type xmppim_message_type_from_name(const char *name) {
  int t = type_lookup(name);
  return t < 0 ? XMPPIM_MESSAGE_NORMAL : (xmppim_message_type)t; /* R5.2.2-i */
}

/* ---- text checks ---- */

/* Text XML 1.0 can carry, strict UTF-8 (what xmppim_stanza_add_text()
 * accepts), checked before the tree is touched. */
static int text_check(const char *s) {
  size_t n = strlen(s);
  if (xmppim_utf8_decode((const unsigned char *)s, n, NULL) < 0) return XMPPIM_ERR_BAD_UTF8;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return XMPPIM_ERR_INVALID_ARGUMENT;
    /* U+FFFE and U+FFFF (EF BF BE / EF BF BF) are not XML characters. */
    if (c == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBF &&
        ((unsigned char)s[i + 2] & 0xFE) == 0xBE)
      return XMPPIM_ERR_INVALID_ARGUMENT;
  }
  return 0;
}

/* A language tag as BCP 47 writes them: letters, digits and '-', starting
 * with a letter, at most 35 characters (RFC 6120 section 4.7.4), no empty
 * subtag. */
static int lang_ok(const char *lang) {
  size_t n = strlen(lang);
  if (n == 0 || n > 35) return 0;
  if (!((lang[0] >= 'a' && lang[0] <= 'z') || (lang[0] >= 'A' && lang[0] <= 'Z'))) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = lang[i];
    if (c == '-') {
      if (i + 1 == n || lang[i + 1] == '-') return 0;
      continue;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return 0;
  }
  return 1;
}

/* One code point of text already known to be valid UTF-8. */
static uint32_t next_cp(const unsigned char **pp) {
  const unsigned char *p = *pp;
  uint32_t c = p[0];
  if (c < 0x80) {
    *pp = p + 1;
    return c;
  }
  if (c < 0xE0) {
    *pp = p + 2;
    return ((c & 0x1Fu) << 6) | (p[1] & 0x3Fu);
  }
  if (c < 0xF0) {
    *pp = p + 3;
    return ((c & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
  }
  *pp = p + 4;
  return ((c & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
}

/* XML 1.0 (fifth edition) NameChar, productions [4] and [4a]. */
static int name_char(uint32_t c) {
  return c == ':' || (c >= 'A' && c <= 'Z') || c == '_' || (c >= 'a' && c <= 'z') ||
         c == '-' || c == '.' || (c >= '0' && c <= '9') || c == 0xB7 ||
         (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xF6) || (c >= 0xF8 && c <= 0x37D) ||
         (c >= 0x37F && c <= 0x1FFF) || (c >= 0x200C && c <= 0x200D) ||
         (c >= 0x203F && c <= 0x2040) || (c >= 0x2070 && c <= 0x218F) ||
         (c >= 0x2C00 && c <= 0x2FEF) || (c >= 0x3001 && c <= 0xD7FF) ||
         (c >= 0xF900 && c <= 0xFDCF) || (c >= 0xFDF0 && c <= 0xFFFD) ||
         (c >= 0x10000 && c <= 0xEFFFF);
}

int xmppim_message_nmtoken_ok(const char *value) {
  if (!value || !*value) return 0;
  size_t n = strlen(value);
  const unsigned char *p = (const unsigned char *)value, *end = p + n;
  if (xmppim_utf8_decode(p, n, NULL) < 0) return 0;
  while (p < end)
    if (!name_char(next_cp(&p))) return 0;
  return 1;
}

/* ---- reading ---- */

static int is_message(const xmppim_stanza *st) {
  return st && strcmp(xmppim_stanza_name(st), "message") == 0;
}

static int ns_equal(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

/* Is el a child <name/> of msg in the message's namespace? */
static int is_part(const xmppim_stanza *msg, const xmppim_stanza *el, const char *name) {
  return strcmp(xmppim_stanza_name(el), name) == 0 &&
         ns_equal(xmppim_stanza_ns(el), xmppim_stanza_ns(msg));
}

/* "" says "no language" in XML: the same as none known. */
static const char *lang_or_null(const char *l) { return l && *l ? l : NULL; }

static const char *own_lang(const xmppim_stanza *el) {
  return xmppim_stanza_attr_ns(el, XMPPIM_NS_XML, "lang");
}

const char *xmppim_message_lang(const xmppim_stanza *msg, const char *stream_lang) {
  if (!msg) return lang_or_null(stream_lang);
  const char *l = own_lang(msg);
  return lang_or_null(l ? l : stream_lang);
}

/* The effective language of a child: its own xml:lang, else the message's,
 * else the stream's; NULL for none. */
static const char *effective_lang(const xmppim_stanza *msg, const xmppim_stanza *el,
                                  const char *stream_lang) {
  const char *l = own_lang(el);
  if (l) return lang_or_null(l);
  return xmppim_message_lang(msg, stream_lang);
}

static char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* Language tags compare without ASCII case (BCP 47); none equals none. */
static int lang_equal(const char *a, const char *b) {
  a = lang_or_null(a);
  b = lang_or_null(b);
  if (!a || !b) return a == b;
  for (; *a && *b; a++, b++)
    if (ascii_lower(*a) != ascii_lower(*b)) return 0;
  return *a == *b;
}

static size_t part_count(const xmppim_stanza *msg, const char *name) {
  if (!is_message(msg)) return 0;
  size_t n = 0;
  for (xmppim_stanza *el = xmppim_stanza_first_child(msg); el; el = xmppim_stanza_next_sibling(el))
    if (is_part(msg, el, name)) n++;
  return n;
}

static const char *part_at(const xmppim_stanza *msg, const char *name, size_t index,
                           const char *stream_lang, const char **lang_out) {
  if (lang_out) *lang_out = NULL;
  if (!is_message(msg)) return NULL;
  for (xmppim_stanza *el = xmppim_stanza_first_child(msg); el; el = xmppim_stanza_next_sibling(el)) {
    if (!is_part(msg, el, name)) continue;
    if (index-- == 0) {
      if (lang_out) *lang_out = effective_lang(msg, el, stream_lang);
      return xmppim_stanza_text(el);
    }
  }
  return NULL;
}

static xmppim_stanza *first_part(const xmppim_stanza *msg, const char *name) {
  for (xmppim_stanza *el = xmppim_stanza_first_child(msg); el; el = xmppim_stanza_next_sibling(el))
    if (is_part(msg, el, name)) return el;
  return NULL;
}

/* The first <name/> whose effective language is lang. */
static xmppim_stanza *part_in_lang(const xmppim_stanza *msg, const char *name, const char *lang,
                                   const char *stream_lang) {
  for (xmppim_stanza *el = xmppim_stanza_first_child(msg); el; el = xmppim_stanza_next_sibling(el))
    if (is_part(msg, el, name) && lang_equal(effective_lang(msg, el, stream_lang), lang)) return el;
  return NULL;
}

static const char *part_pick(const xmppim_stanza *msg, const char *name, const char *lang,
                             const char *stream_lang, const char **lang_out) {
  if (lang_out) *lang_out = NULL;
  if (!is_message(msg)) return NULL;
  xmppim_stanza *el = NULL;
  if (lang && *lang) el = part_in_lang(msg, name, lang, stream_lang);            /* 1 */
  if (!el) el = part_in_lang(msg, name, xmppim_message_lang(msg, stream_lang), stream_lang); /* 2 */
  if (!el) el = first_part(msg, name);                                           /* 3 */
  if (!el) return NULL;
  if (lang_out) *lang_out = effective_lang(msg, el, stream_lang);
  return xmppim_stanza_text(el);
}

const char *xmppim_message_body(const xmppim_stanza *msg, const char *lang,
                                const char *stream_lang, const char **body_lang) {
  return part_pick(msg, "body", lang, stream_lang, body_lang);
}

const char *xmppim_message_subject(const xmppim_stanza *msg, const char *lang,
                                   const char *stream_lang, const char **subject_lang) {
  return part_pick(msg, "subject", lang, stream_lang, subject_lang);
}

size_t xmppim_message_body_count(const xmppim_stanza *msg) { return part_count(msg, "body"); }
size_t xmppim_message_subject_count(const xmppim_stanza *msg) {
  return part_count(msg, "subject");
}

const char *xmppim_message_body_at(const xmppim_stanza *msg, size_t index,
                                   const char *stream_lang, const char **body_lang) {
  return part_at(msg, "body", index, stream_lang, body_lang);
}

const char *xmppim_message_subject_at(const xmppim_stanza *msg, size_t index,
                                      const char *stream_lang, const char **subject_lang) {
  return part_at(msg, "subject", index, stream_lang, subject_lang);
}

const char *xmppim_message_thread(const xmppim_stanza *msg, const char **parent) {
  if (parent) *parent = NULL;
  if (!is_message(msg)) return NULL;
  xmppim_stanza *t = first_part(msg, "thread");
  if (!t) return NULL;
  if (parent) *parent = xmppim_stanza_attr(t, "parent");
  return xmppim_stanza_text(t);
}

xmppim_message_type xmppim_message_get_type(const xmppim_stanza *msg) {
  return msg ? xmppim_message_type_from_name(xmppim_stanza_attr(msg, "type"))
             : XMPPIM_MESSAGE_NORMAL;
}

/* Flaws of one body, subject or thread element's content and attributes. */
static unsigned element_flaws(const xmppim_stanza *el, const char *allowed_ns,
                              const char *allowed_name) {
  unsigned f = 0;
  if (xmppim_stanza_first_child(el)) f |= XMPPIM_MESSAGE_FLAW_MIXED_CONTENT;
  const char *ns, *name;
  for (size_t i = 0; xmppim_stanza_attr_at(el, i, &ns, &name, NULL) == 0; i++)
    if (!(ns_equal(ns, allowed_ns) && strcmp(name, allowed_name) == 0))
      f |= XMPPIM_MESSAGE_FLAW_EXTRA_ATTRIBUTE;
  return f;
}

/* Does an earlier <name/> than el have el's effective language? */
static int lang_seen_before(const xmppim_stanza *msg, const xmppim_stanza *el, const char *name,
                            const char *stream_lang) {
  const char *l = effective_lang(msg, el, stream_lang);
  for (xmppim_stanza *p = xmppim_stanza_first_child(msg); p && p != el;
       p = xmppim_stanza_next_sibling(p))
    if (is_part(msg, p, name) && lang_equal(effective_lang(msg, p, stream_lang), l)) return 1;
  return 0;
}

int xmppim_message_check(const xmppim_stanza *msg, const char *stream_lang) {
  if (!is_message(msg)) return XMPPIM_ERR_INVALID_ARGUMENT;
  unsigned f = 0;
  const char *type = xmppim_stanza_attr(msg, "type");
  if (type && type_lookup(type) < 0) f |= XMPPIM_MESSAGE_FLAW_BAD_TYPE;
  size_t threads = 0;
  for (xmppim_stanza *el = xmppim_stanza_first_child(msg); el; el = xmppim_stanza_next_sibling(el)) {
    if (is_part(msg, el, "body")) {
      f |= element_flaws(el, XMPPIM_NS_XML, "lang");
      if (lang_seen_before(msg, el, "body", stream_lang)) f |= XMPPIM_MESSAGE_FLAW_DUPLICATE_BODY;
    } else if (is_part(msg, el, "subject")) {
      f |= element_flaws(el, XMPPIM_NS_XML, "lang");
      if (lang_seen_before(msg, el, "subject", stream_lang))
        f |= XMPPIM_MESSAGE_FLAW_DUPLICATE_SUBJECT;
    } else if (is_part(msg, el, "thread")) {
      if (++threads == 2) f |= XMPPIM_MESSAGE_FLAW_SEVERAL_THREADS;
      f |= element_flaws(el, NULL, "parent");
      const char *id = xmppim_stanza_text(el);
      const char *parent = xmppim_stanza_attr(el, "parent");
      if (!xmppim_message_nmtoken_ok(id)) f |= XMPPIM_MESSAGE_FLAW_BAD_THREAD;
      if (parent && (!xmppim_message_nmtoken_ok(parent) || strcmp(parent, id) == 0))
        f |= XMPPIM_MESSAGE_FLAW_BAD_PARENT;
    }
  }
  return (int)f;
}

/* ---- building ---- */

int xmppim_message_new(xmppim_stanza **out, const xmppim_mem *mem, xmppim_message_type type,
                       const char *to, const char *body, const char *lang) {
  if (out) *out = NULL;
  const char *tname = xmppim_message_type_name(type);
  if (!out || !tname || type == XMPPIM_MESSAGE_ERROR || (lang && !lang_ok(lang)))
    return XMPPIM_ERR_INVALID_ARGUMENT;
  int rv;
  if (body && (rv = text_check(body)) != 0) return rv;
  xmppim_jid *j = NULL;
  if (to) {
    rv = xmppim_jid_new(&j, to, strlen(to), mem);
    if (rv != 0) return rv == XMPPIM_ERR_NOMEM ? rv : XMPPIM_ERR_INVALID_ARGUMENT;
  }
  xmppim_stanza *m = NULL, *b;
  rv = xmppim_stanza_new(&m, mem, "message", "jabber:client");
  if (rv == 0 && j) rv = xmppim_stanza_set_attr(m, "to", xmppim_jid_to_string(j));
  xmppim_jid_free(j);
  if (rv == 0) rv = xmppim_stanza_set_attr(m, "type", tname); /* R5.2.2-a */
  if (rv == 0 && lang) rv = xmppim_stanza_set_attr_ns(m, XMPPIM_NS_XML, "lang", lang);
  if (rv == 0 && body && (rv = xmppim_stanza_add_child(m, "body", NULL, &b)) == 0)
    rv = xmppim_stanza_add_text(b, body, strlen(body));
  if (rv != 0) { /* NOMEM: everything else was checked above */
    xmppim_stanza_free(m);
    return rv;
  }
  *out = m;
  return 0;
}

static int add_part(xmppim_stanza *msg, const char *name, const char *text, const char *lang) {
  if (!is_message(msg) || !text || (lang && !lang_ok(lang))) return XMPPIM_ERR_INVALID_ARGUMENT;
  int rv = text_check(text);
  if (rv != 0) return rv;
  /* The builder does not know the stream's language: none for it. */
  const char *l = lang ? lang : xmppim_message_lang(msg, NULL);
  if (part_in_lang(msg, name, l, NULL)) return XMPPIM_ERR_INVALID_STATE; /* R5.2.3-b, R5.2.4-a */
  xmppim_stanza *el;
  rv = xmppim_stanza_add_child(msg, name, NULL, &el);
  if (rv == 0 && lang) rv = xmppim_stanza_set_attr_ns(el, XMPPIM_NS_XML, "lang", lang);
  if (rv == 0) rv = xmppim_stanza_add_text(el, text, strlen(text));
  return rv;
}

int xmppim_message_add_body(xmppim_stanza *msg, const char *text, const char *lang) {
  return add_part(msg, "body", text, lang);
}

int xmppim_message_add_subject(xmppim_stanza *msg, const char *text, const char *lang) {
  return add_part(msg, "subject", text, lang);
}

int xmppim_message_add_thread(xmppim_stanza *msg, const char *thread, const char *parent) {
  if (!is_message(msg) || !xmppim_message_nmtoken_ok(thread) ||
      (parent && (!xmppim_message_nmtoken_ok(parent) || strcmp(parent, thread) == 0)))
    return XMPPIM_ERR_INVALID_ARGUMENT; /* R5.2.5-e */
  if (first_part(msg, "thread")) return XMPPIM_ERR_INVALID_STATE; /* R5.2.5-c */
  xmppim_stanza *el;
  int rv = xmppim_stanza_add_child(msg, "thread", NULL, &el);
  if (rv == 0 && parent) rv = xmppim_stanza_set_attr(el, "parent", parent);
  if (rv == 0) rv = xmppim_stanza_add_text(el, thread, strlen(thread));
  return rv;
}
