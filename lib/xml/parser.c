/*
 * XMPP stream parser: libxml2's SAX2 push parser underneath, stanza trees
 * built straight from its callbacks into a reusable per-stanza arena.
 *
 * libxml2 does the XML; this file adds what a stream needs on top: depth-1
 * elements as units, the header's attributes, RFC 6120 section 11's
 * restrictions, limits on size, depth and attributes, UTF-8 checking with
 * the right stream error, chunking that does not change the events, and
 * stopping exactly after an element when the stream restarts.
 */
#include "xml/parser.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"
#include "xml/tree.h"

/* The most bytes handed to libxml2 at once: bounds how late a size limit
 * is noticed. */
#define SLICE_BYTES 4096
#define STANZA_FIRST_CHUNK 2048
/* A stanza arena bigger than this after a stanza is given back, so that an
 * idle stream does not sit on the memory of its largest stanza. */
#define STANZA_ARENA_KEEP 4096
#define NS_DIALBACK "jabber:server:dialback"

typedef enum { P_START, P_IN_STREAM, P_ENDED, P_FAILED } parser_state;

typedef struct intern_slot {
  const xmlChar *key; /* libxml2 dictionary pointer */
  const char *value;  /* static string, or NULL: not well known */
} intern_slot;

#define INTERN_SLOTS 128

struct xmppim_parser {
  xmppim_mem mem;
  xmppim_parser_callbacks cb;
  void *user_data;
  xmppim_parser_limits limits;
  int fragment; /* the document's root element is the one stanza */
  int at_start; /* nothing but whitespace fed to this document yet */

  xmlParserCtxtPtr ctxt; /* created when the first byte of a stream arrives */
  parser_state state;
  unsigned depth;        /* open elements, the stream element included */
  unsigned stanza_level; /* level of stanza roots: 1, or 0 in fragment mode */

  xmppim_arena arena; /* the stanza under construction */
  xmppim_stanza *cur;
  xmppim_root *building;   /* root of the stanza under construction */
  xmppim_root *delivering; /* root being shown to on_stanza, takeable */
  const xmlChar **uri_stack; /* libxml2's namespace pointer per open level */

  xmppim_arena header_arena;
  xmppim_stream_header header;
  int have_header;

  /* Byte positions in the input of the current libxml2 context. */
  uint64_t fed;      /* bytes handed to libxml2 */
  uint64_t boundary; /* end of the last depth-1 event (header, stanza, whitespace) */
  uint64_t stream_bytes;
  /* Whitespace libxml2 holds back (it waits for the next '<') but that was
   * reported already: raw bytes past `boundary`, and the count reported,
   * which is in characters after line-end normalization (CR LF is one), as
   * libxml2 will count it. */
  uint64_t ws_raw;
  size_t ws_norm;
  int ws_last_cr;
  int ws_before_fault_done; /* the text fault reported its leading whitespace */

  /* UTF-8 sequence split across feeds. */
  unsigned char utf8_tail[4];
  unsigned utf8_tail_len;

  xmppim_stream_condition condition;
  char error_text[160];
  int callback_failed;
  int out_of_memory;
  int pause_requested; /* a callback paused: stop right after its event */
  int priming;         /* feeding the synthetic header of a resumed stream */
  int pause_after_slice;
  const char *dialback_prefix; /* declared on the header; redeclared on resume */
  int reset_requested;
  uint64_t stop_pos;
  int in_parse;

  intern_slot intern[INTERN_SLOTS];
};

static pthread_once_t libxml_once = PTHREAD_ONCE_INIT;
static void libxml_init(void) { xmlInitParser(); }

void xmppim_parser_limits_default(xmppim_parser_limits *limits) {
  limits->max_stanza_bytes = 256 * 1024;
  limits->max_depth = 64;
  limits->max_attributes = 64;
}

/* ---- errors ---- */

static int failed_cause_set(const xmppim_parser *p) {
  return p->condition != XMPPIM_STREAM_OK || p->callback_failed;
}

static void fail(xmppim_parser *p, xmppim_stream_condition condition, const char *text) {
  if (p->condition != XMPPIM_STREAM_OK || p->callback_failed) return; /* first cause wins */
  p->condition = condition;
  snprintf(p->error_text, sizeof(p->error_text), "%s", text);
  if (p->ctxt && p->in_parse) xmlStopParser(p->ctxt);
}

/* Our allocator failed: the stream cannot go on, but it is not the peer's fault. */
static void fail_nomem(xmppim_parser *p) {
  if (!failed_cause_set(p)) p->out_of_memory = 1;
  fail(p, XMPPIM_STREAM_RESOURCE_CONSTRAINT, "out of memory");
}

static int failed(const xmppim_parser *p) {
  return p->condition != XMPPIM_STREAM_OK || p->callback_failed || p->reset_requested;
}

static uint64_t position(const xmppim_parser *p) {
  const xmlParserInputPtr in = p->ctxt->input;
  return (uint64_t)in->consumed + (uint64_t)(in->cur - in->base);
}

static void on_structured_error(void *ud, xmlErrorPtr e) {
  xmppim_parser *p = ud;
  if (!e || e->level == XML_ERR_WARNING) return;
  char text[140];
  snprintf(text, sizeof(text), "%s", e->message ? e->message : "XML error");
  size_t n = strlen(text);
  while (n && (text[n - 1] == '\n' || text[n - 1] == ' ')) text[--n] = '\0';
  switch (e->code) {
  case XML_ERR_UNDECLARED_ENTITY:
  case XML_WAR_UNDECLARED_ENTITY:
  case XML_ERR_ENTITY_PE_INTERNAL:
  case XML_ERR_ENTITYREF_SEMICOL_MISSING:
  case XML_ERR_ENTITY_LOOP:
  case XML_ERR_ENTITY_BOUNDARY:
  case XML_ERR_UNPARSED_ENTITY:
  case XML_ERR_EXT_ENTITY_STANDALONE:
    fail(p, XMPPIM_STREAM_RESTRICTED_XML, text);
    break;
  case XML_ERR_UNSUPPORTED_ENCODING:
  case XML_ERR_UNKNOWN_ENCODING:
  case XML_ERR_INVALID_ENCODING: /* e.g. "labelled UTF-16 but has UTF-8 content" */
  case XML_ERR_ENCODING_NAME:
    fail(p, XMPPIM_STREAM_UNSUPPORTED_ENCODING, text);
    break;
  default:
    /* Namespace errors included: RFC 6120 section 11.3 prefers
     * not-well-formed for namespace-ill-formed data. */
    fail(p, XMPPIM_STREAM_NOT_WELL_FORMED, text);
  }
}

/* ---- strings ---- */

static const char *intern(xmppim_parser *p, const xmlChar *s) {
  size_t slot = ((uintptr_t)s >> 3) & (INTERN_SLOTS - 1);
  intern_slot *e = &p->intern[slot];
  if (e->key != s) {
    e->key = s;
    e->value = xmppim_intern_lookup((const char *)s, strlen((const char *)s));
  }
  return e->value;
}

/* A name or namespace for the stanza: static when well known, else copied. */
static const char *tree_str(xmppim_parser *p, const xmlChar *s) {
  const char *known = intern(p, s);
  if (known) return known;
  const char *copy = xmppim_arena_strndup(&p->arena, (const char *)s, strlen((const char *)s));
  if (!copy) fail_nomem(p);
  return copy;
}

static const char *header_str(xmppim_parser *p, const xmlChar *s, size_t len) {
  const char *copy = xmppim_arena_strndup(&p->header_arena, (const char *)s, len);
  if (!copy) fail_nomem(p);
  return copy;
}

/* ---- events ---- */

static int is_xml_space(xmlChar c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static void callback_result(xmppim_parser *p, int rv) {
  /* A reset asked for in a callback takes effect right after the event. */
  if (p->reset_requested && !p->stop_pos) p->stop_pos = p->boundary;
  if (rv == XMPPIM_ERR_PAUSE) {
    if (!p->in_parse) {
      /* Whitespace reported ahead of libxml2, at the end of a slice: the
       * slice is consumed; just take no more. */
      p->pause_after_slice = 1;
      return;
    }
    /* libxml2 cannot pause, only stop: stop now, and resume later on a
     * fresh context primed with this stream's header (see resume_stream). */
    p->pause_requested = 1;
    if (!p->stop_pos) p->stop_pos = p->boundary;
    if (p->ctxt) xmlStopParser(p->ctxt);
  } else if (rv < 0) {
    p->callback_failed = 1;
    if (p->ctxt && p->in_parse) xmlStopParser(p->ctxt);
  }
}

/* The arena of a stanza that was not kept goes back to work for the next. */
static void recycle_arena(xmppim_parser *p) {
  if (xmppim_arena_footprint(&p->arena) <= STANZA_ARENA_KEEP) {
    xmppim_arena_reset(&p->arena);
  } else {
    xmppim_arena_free(&p->arena);
    xmppim_arena_init(&p->arena, &p->mem, STANZA_FIRST_CHUNK);
  }
}

static void deliver_stanza(xmppim_parser *p, xmppim_root *root) {
  p->delivering = root;
  int rv = p->cb.on_stanza ? p->cb.on_stanza(p->user_data, &root->element) : 0;
  if (p->delivering)
    recycle_arena(p);
  /* else taken: the arena went with the stanza */
  p->delivering = NULL;
  callback_result(p, rv);
}

static void deliver_whitespace(xmppim_parser *p, size_t len) {
  if (len == 0) return;
  if (p->cb.on_whitespace) callback_result(p, p->cb.on_whitespace(p->user_data, len));
}

static void deliver_end(xmppim_parser *p) {
  if (p->cb.on_stream_end) callback_result(p, p->cb.on_stream_end(p->user_data));
}

/* ---- SAX callbacks ---- */

static void sax_start_document(void *ud) {
  xmppim_parser *p = ud;
  const xmlChar *enc = p->ctxt->input->encoding ? p->ctxt->input->encoding : p->ctxt->encoding;
  if (enc && strcasecmp((const char *)enc, "UTF-8") != 0 &&
      strcasecmp((const char *)enc, "UTF8") != 0)
    fail(p, XMPPIM_STREAM_UNSUPPORTED_ENCODING, "the XML declaration names an encoding other than UTF-8");
}

/* Where the start tag being reported ends: normally libxml2's cursor sits on
 * its '>', but after some recoveries it is further back, so look for the
 * first '>' outside quotes, or failing that (a stray quote) the first '>'. */
static uint64_t start_tag_end(xmppim_parser *p) {
  const xmlParserInputPtr in = p->ctxt->input;
  const xmlChar *first_gt = NULL;
  xmlChar quote = 0;
  for (const xmlChar *c = in->cur; c < in->end; c++) {
    if (*c == '>' && !first_gt) first_gt = c;
    if (quote) {
      if (*c == quote) quote = 0;
    } else if (*c == '\'' || *c == '"') {
      quote = *c;
    } else if (*c == '>') {
      return (uint64_t)in->consumed + (uint64_t)(c + 1 - in->base);
    }
  }
  if (first_gt) return (uint64_t)in->consumed + (uint64_t)(first_gt + 1 - in->base);
  return position(p) + 1;
}

static void stream_header(xmppim_parser *p, const xmlChar *localname, const xmlChar *prefix,
                          const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                          int nb_attributes, const xmlChar **attributes) {
  if (p->priming) {
    /* The synthetic header of a resumed stream: the real one was reported. */
    p->boundary = start_tag_end(p);
    return;
  }

  const xmlChar *cur = p->ctxt->input->cur;
  if (!(cur < p->ctxt->input->end && (*cur == '>' || *cur == '/'))) {
    /* libxml2 reports some broken start tags (a control character between
     * attributes, stray quotes) with its cursor left inside them: such a
     * header is not well-formed, and where it ends cannot be trusted. */
    fail(p, XMPPIM_STREAM_NOT_WELL_FORMED, "the stream header is not well-formed");
    return;
  }
  if (*cur == '/' && !p->priming) {
    /* <stream:stream .../> opens and ends a stream at once: nothing can be
     * negotiated on it, and a pause between its two events could not be
     * honoured. */
    fail(p, XMPPIM_STREAM_BAD_FORMAT, "the stream header closes itself");
    return;
  }
  if (!uri || strcmp((const char *)uri, XMPPIM_NS_STREAMS) != 0) {
    fail(p, XMPPIM_STREAM_INVALID_NAMESPACE, "the stream element is not in the streams namespace");
    return;
  }
  if (strcmp((const char *)localname, "stream") != 0) {
    fail(p, XMPPIM_STREAM_BAD_FORMAT, "the root element is not <stream>");
    return;
  }
  xmppim_arena_reset(&p->header_arena);
  memset(&p->header, 0, sizeof(p->header));
  p->dialback_prefix = NULL;
  p->header.stream_ns = XMPPIM_NS_STREAMS;
  if (prefix) p->header.stream_prefix = header_str(p, prefix, strlen((const char *)prefix));
  if (failed(p)) return;
  for (int i = 0; i < nb_namespaces; i++) {
    const xmlChar *ns_prefix = namespaces[2 * i], *ns_uri = namespaces[2 * i + 1];
    if (!ns_prefix) {
      p->header.default_ns = header_str(p, ns_uri, strlen((const char *)ns_uri));
      if (failed(p)) return; /* a stopped libxml2 has freed what the arguments point to */
    } else if (strcmp((const char *)ns_uri, NS_DIALBACK) == 0) {
      p->dialback_prefix = header_str(p, ns_prefix, strlen((const char *)ns_prefix));
      if (failed(p)) return;
    } else if (strcmp((const char *)ns_uri, XMPPIM_NS_STREAMS) != 0) {
      /* RFC 6120 section 4.8.5: no extension namespaces on the header. */
      fail(p, XMPPIM_STREAM_INVALID_NAMESPACE, "the stream header declares an extension namespace");
      return;
    }
  }
  for (int i = 0; i < nb_attributes; i++) {
    const xmlChar **a = attributes + 5 * i;
    const char *name = (const char *)a[0];
    const char *a_uri = (const char *)a[2];
    const char *value = header_str(p, a[3], (size_t)(a[4] - a[3]));
    if (failed(p)) return;
    if (a_uri) {
      if (strcmp(a_uri, XMPPIM_NS_XML) == 0 && strcmp(name, "lang") == 0) p->header.lang = value;
    } else if (strcmp(name, "to") == 0) {
      p->header.to = value;
    } else if (strcmp(name, "from") == 0) {
      p->header.from = value;
    } else if (strcmp(name, "id") == 0) {
      p->header.id = value;
    } else if (strcmp(name, "version") == 0) {
      p->header.version = value;
    }
  }
  if (failed(p)) return;
  uint64_t end = start_tag_end(p);
  if (end - p->boundary > p->limits.max_stanza_bytes) {
    /* The same bound as for stanzas, checked exactly as for them. */
    fail(p, XMPPIM_STREAM_POLICY_VIOLATION, "the stream header is larger than the limit");
    return;
  }
  p->have_header = 1;
  p->state = P_IN_STREAM;
  p->boundary = end;
  if (p->cb.on_header) callback_result(p, p->cb.on_header(p->user_data, &p->header));
}

static void sax_start_element(void *ud, const xmlChar *localname, const xmlChar *prefix,
                              const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                              int nb_attributes, int nb_defaulted, const xmlChar **attributes) {
  (void)nb_defaulted;
  xmppim_parser *p = ud;
  if (failed(p)) return;
  unsigned level = p->depth;
  if (level > p->limits.max_depth) {
    fail(p, XMPPIM_STREAM_POLICY_VIOLATION, "elements nested deeper than the limit");
    return;
  }
  if ((unsigned)nb_attributes + (unsigned)nb_namespaces > p->limits.max_attributes) {
    fail(p, XMPPIM_STREAM_POLICY_VIOLATION, "more attributes on an element than the limit");
    return;
  }
  p->uri_stack[level] = uri;
  p->depth++;
  if (level < p->stanza_level) {
    stream_header(p, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, attributes);
    return;
  }
  if (!p->fragment && level == p->stanza_level && prefix && uri &&
      (strcmp((const char *)uri, "jabber:client") == 0 ||
       strcmp((const char *)uri, "jabber:server") == 0)) {
    /* RFC 6120 section 4.8.5: content namespaces are never prefixed. */
    fail(p, XMPPIM_STREAM_BAD_NAMESPACE_PREFIX, "a stanza uses a prefix for the content namespace");
    return;
  }
  const char *name = tree_str(p, localname);
  if (!name) return;
  const char *ns = NULL;
  if (uri) {
    if (level > p->stanza_level && p->uri_stack[level - 1] == uri)
      ns = p->cur->ns; /* same dictionary string as the parent's: inherit */
    else
      ns = tree_str(p, uri);
  }
  if (failed(p)) return;
  xmppim_stanza *el;
  if (level == p->stanza_level) {
    /* libxml2 reports held-back whitespace before any start tag: nothing
     * reported ahead of it is pending any more. */
    p->ws_raw = 0;
    p->ws_norm = 0;
    p->ws_last_cr = 0;
    p->building = xmppim_tree_new_root(&p->arena, name, ns);
    el = p->building ? &p->building->element : NULL;
  } else {
    el = xmppim_tree_add_element(p->cur, name, ns);
  }
  if (!el) {
    fail_nomem(p);
    return;
  }
  for (int i = 0; i < nb_attributes; i++) {
    const xmlChar **a = attributes + 5 * i;
    /* Stop at the first failure: a stopped libxml2 frees what a[] points to. */
    const char *a_name = tree_str(p, a[0]);
    if (!a_name) return;
    const char *a_ns = a[2] ? tree_str(p, a[2]) : NULL;
    if (a[2] && !a_ns) return;
    const char *value = xmppim_arena_strndup(&p->arena, (const char *)a[3], (size_t)(a[4] - a[3]));
    if (!value || !xmppim_tree_add_attr(el, a_ns, a_name, value)) {
      fail_nomem(p);
      return;
    }
  }
  p->cur = el;
}

static void sax_end_element(void *ud, const xmlChar *localname, const xmlChar *prefix,
                            const xmlChar *uri) {
  (void)localname;
  (void)prefix;
  (void)uri;
  xmppim_parser *p = ud;
  if (failed(p)) return;
  unsigned level = --p->depth;
  if (level < p->stanza_level) {
    p->state = P_ENDED;
    p->boundary = position(p);
    deliver_end(p);
    /* What follows the end tag is judged by after_stream_end(), not by
     * libxml2's epilog rules, so that it does not depend on whether it
     * came in the same feed. */
    if (!p->stop_pos) p->stop_pos = p->boundary;
    if (p->ctxt && p->in_parse) xmlStopParser(p->ctxt);
    return;
  }
  if (level > p->stanza_level) {
    p->cur = p->cur->node.parent;
    return;
  }
  uint64_t end = position(p);
  if (end - p->boundary > p->limits.max_stanza_bytes) {
    fail(p, XMPPIM_STREAM_POLICY_VIOLATION, "a stanza is larger than the limit");
    return;
  }
  p->boundary = end;
  xmppim_root *root = p->building;
  p->building = NULL;
  p->cur = NULL;
  deliver_stanza(p, root);
}

/* Where a run of whitespace at stream level ends in the input. It starts
 * where the last depth-1 event ended; libxml2's cursor at the callback may
 * be at the run's start, inside it or past it, so the run is measured in
 * libxml2's buffer: `chars` characters after line-end normalization (CR LF
 * counts once). */
static uint64_t whitespace_end(xmppim_parser *p, size_t chars) {
  const xmlParserInputPtr in = p->ctxt->input;
  uint64_t base_pos = (uint64_t)in->consumed;
  if (p->boundary < base_pos || p->boundary - base_pos > (uint64_t)(in->end - in->base)) {
    uint64_t pos = position(p); /* the run left the buffer: the best we know */
    return pos > p->boundary ? pos : p->boundary;
  }
  const xmlChar *c = in->base + (p->boundary - base_pos), *e = in->end;
  size_t i = 0, seen = 0;
  int last_cr = 0;
  while (c + i < e && is_xml_space(c[i]) && (seen < chars || (last_cr && c[i] == '\n'))) {
    if (!(c[i] == '\n' && last_cr)) seen++;
    last_cr = c[i] == '\r';
    i++;
  }
  return p->boundary + i;
}

static void sax_characters(void *ud, const xmlChar *s, int len) {
  xmppim_parser *p = ud;
  if (failed(p) || len <= 0) return;
  if (p->depth > p->stanza_level) {
    if (xmppim_tree_add_text(p->cur, (const char *)s, (size_t)len))
      fail_nomem(p);
    return;
  }
  size_t n = 0;
  while (n < (size_t)len && is_xml_space(s[n])) n++;
  if (n < (size_t)len) {
    /* The whitespace ahead of the text would have been reported on its own
     * had it arrived alone: report it here too, then refuse the text, as the
     * streams schema allows no character data at the stream level. */
    size_t already = p->ws_norm < n ? p->ws_norm : n;
    p->ws_norm = 0;
    p->ws_before_fault_done = 1;
    deliver_whitespace(p, n - already);
    fail(p, XMPPIM_STREAM_INVALID_XML, "text outside any stanza");
    return;
  }
  uint64_t end = whitespace_end(p, n), reported_end = p->boundary + p->ws_raw;
  p->ws_raw = reported_end > end ? reported_end - end : 0;
  p->boundary = end;
  size_t already = p->ws_norm < n ? p->ws_norm : n;
  p->ws_norm -= already;
  if (p->ws_raw == 0) {
    p->ws_norm = 0;
    p->ws_last_cr = 0;
  }
  deliver_whitespace(p, n - already);
}

static void sax_comment(void *ud, const xmlChar *value) {
  (void)value;
  fail(ud, XMPPIM_STREAM_RESTRICTED_XML, "XML comments are not allowed");
}

static void sax_pi(void *ud, const xmlChar *target, const xmlChar *data) {
  (void)target;
  (void)data;
  fail(ud, XMPPIM_STREAM_RESTRICTED_XML, "processing instructions are not allowed");
}

static void sax_subset(void *ud, const xmlChar *name, const xmlChar *external_id,
                       const xmlChar *system_id) {
  (void)name;
  (void)external_id;
  (void)system_id;
  fail(ud, XMPPIM_STREAM_RESTRICTED_XML, "document type declarations are not allowed");
}

/* Only the five predefined entities exist: no DTD is ever accepted. */
static xmlEntityPtr sax_get_entity(void *ud, const xmlChar *name) {
  xmlEntityPtr e = xmlGetPredefinedEntity(name);
  if (!e) fail(ud, XMPPIM_STREAM_RESTRICTED_XML, "entity references other than the predefined five are not allowed");
  return e;
}

static void sax_entity_decl(void *ud, const xmlChar *name, int type, const xmlChar *public_id,
                            const xmlChar *system_id, xmlChar *content) {
  (void)name;
  (void)type;
  (void)public_id;
  (void)system_id;
  (void)content;
  fail(ud, XMPPIM_STREAM_RESTRICTED_XML, "entity declarations are not allowed");
}

static xmlSAXHandler sax_handler;
static pthread_once_t sax_once = PTHREAD_ONCE_INIT;

static void sax_init(void) {
  memset(&sax_handler, 0, sizeof(sax_handler));
  sax_handler.initialized = XML_SAX2_MAGIC;
  sax_handler.startDocument = sax_start_document;
  sax_handler.startElementNs = sax_start_element;
  sax_handler.endElementNs = sax_end_element;
  sax_handler.characters = sax_characters;
  sax_handler.ignorableWhitespace = sax_characters;
  sax_handler.cdataBlock = sax_characters;
  sax_handler.comment = sax_comment;
  sax_handler.processingInstruction = sax_pi;
  sax_handler.internalSubset = sax_subset;
  sax_handler.externalSubset = sax_subset;
  sax_handler.getEntity = sax_get_entity;
  sax_handler.getParameterEntity = sax_get_entity;
  sax_handler.entityDecl = sax_entity_decl;
  sax_handler.serror = on_structured_error;
}

/* ---- lifecycle ---- */

int xmppim_parser_new(xmppim_parser **out, const xmppim_parser_callbacks *callbacks,
                      void *user_data, const xmppim_parser_limits *limits,
                      const xmppim_mem *mem) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = NULL;
  xmppim_parser_limits lim;
  if (limits) {
    lim = *limits;
  } else {
    xmppim_parser_limits_default(&lim);
  }
  /* libxml2 refuses depth past 256 on its own, with a less precise error. */
  /* RFC 6120 section 13.12: a stanza size limit below 10000 bytes is not allowed. */
  if (lim.max_depth == 0 || lim.max_depth > 250 ||
      lim.max_stanza_bytes < XMPPIM_PARSER_MIN_STANZA_BYTES || lim.max_attributes == 0)
    return XMPPIM_ERR_INVALID_ARGUMENT;
  const xmppim_mem *m = xmppim_mem_or_default(mem);
  xmppim_parser *p = xmppim_mem_calloc(m, 1, sizeof(*p));
  if (!p) return XMPPIM_ERR_NOMEM;
  p->mem = *m;
  p->uri_stack = xmppim_mem_calloc(m, lim.max_depth + 2, sizeof(*p->uri_stack));
  if (!p->uri_stack) {
    xmppim_mem_free(m, p);
    return XMPPIM_ERR_NOMEM;
  }
  if (callbacks) p->cb = *callbacks;
  p->user_data = user_data;
  p->limits = lim;
  p->stanza_level = 1;
  p->at_start = 1;
  xmppim_arena_init(&p->arena, m, STANZA_FIRST_CHUNK);
  xmppim_arena_init(&p->header_arena, m, 256);
  pthread_once(&libxml_once, libxml_init);
  pthread_once(&sax_once, sax_init);
  *out = p;
  return 0;
}

static void drop_context(xmppim_parser *p) {
  if (p->ctxt) {
    xmlFreeParserCtxt(p->ctxt);
    p->ctxt = NULL;
  }
  memset(p->intern, 0, sizeof(p->intern)); /* keys were the context's dictionary */
}

void xmppim_parser_free(xmppim_parser *p) {
  if (!p) return;
  drop_context(p);
  xmppim_arena_free(&p->arena);
  xmppim_arena_free(&p->header_arena);
  xmppim_mem_free(&p->mem, p->uri_stack);
  xmppim_mem_free(&p->mem, p);
}

static void reset_now(xmppim_parser *p) {
  drop_context(p);
  xmppim_arena_free(&p->arena);
  xmppim_arena_init(&p->arena, &p->mem, STANZA_FIRST_CHUNK);
  xmppim_arena_free(&p->header_arena);
  xmppim_arena_init(&p->header_arena, &p->mem, 256);
  memset(&p->header, 0, sizeof(p->header));
  p->have_header = 0;
  p->state = P_START;
  p->depth = 0;
  p->cur = NULL;
  p->building = NULL;
  p->fed = p->boundary = p->stream_bytes = 0;
  p->ws_raw = 0;
  p->ws_norm = 0;
  p->ws_last_cr = 0;
  p->ws_before_fault_done = 0;
  p->utf8_tail_len = 0;
  p->condition = XMPPIM_STREAM_OK;
  p->error_text[0] = '\0';
  p->callback_failed = 0;
  p->out_of_memory = 0;
  p->pause_requested = 0;
  p->pause_after_slice = 0;
  p->dialback_prefix = NULL;
  p->reset_requested = 0;
  p->at_start = 1;
  p->stop_pos = 0;
}

void xmppim_parser_reset(xmppim_parser *p) {
  if (!p) return;
  if (p->in_parse) {
    /* Inside a callback the context is in use: stop it, reset on return. */
    p->reset_requested = 1;
    xmlStopParser(p->ctxt);
    return;
  }
  reset_now(p);
}

xmppim_stanza *xmppim_parser_take_stanza(xmppim_parser *p) {
  if (!p) return NULL;
  if (!p->delivering) return NULL;
  xmppim_root *root = p->delivering;
  p->delivering = NULL;
  xmppim_tree_adopt(root);
  xmppim_arena_init(&p->arena, &p->mem, STANZA_FIRST_CHUNK);
  return &root->element;
}

xmppim_stream_condition xmppim_parser_condition(const xmppim_parser *p) {
  return p ? p->condition : XMPPIM_STREAM_OK;
}

const char *xmppim_parser_error_text(const xmppim_parser *p) {
  return p && p->error_text[0] ? p->error_text : "";
}

const xmppim_stream_header *xmppim_parser_header(const xmppim_parser *p) {
  return p && p->have_header ? &p->header : NULL;
}

int xmppim_parser_is_idle(const xmppim_parser *p) {
  return p->depth <= p->stanza_level && p->fed == p->boundary + p->ws_raw &&
         p->utf8_tail_len == 0;
}

/* ---- input checks ---- */

static unsigned utf8_seq_len(unsigned char c) {
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

/* Validates one complete sequence of n bytes starting with a lead byte. */
static int utf8_seq_ok(const unsigned char *s, unsigned n) {
  unsigned cp = s[0] & (0x7F >> n);
  for (unsigned i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
  if (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
  return 1;
}

typedef struct input_fault {
  size_t at; /* bytes before the fault, which are fine to parse */
  xmppim_stream_condition condition;
  const char *text;
} input_fault;

/*
 * Checks that the bytes are UTF-8 (other encodings are refused before
 * libxml2 could guess one) and hold no NUL (libxml2's push parser can take
 * NUL for the end of its buffer). A sequence cut by the end of the input is
 * kept for the next feed. Returns 0, or -1 with *fault filled in.
 */
static int check_input(xmppim_parser *p, const unsigned char *s, size_t n, input_fault *fault) {
  size_t i = 0;
  fault->at = 0;
  if (p->utf8_tail_len) {
    unsigned need = utf8_seq_len(p->utf8_tail[0]);
    while (p->utf8_tail_len < need && i < n) p->utf8_tail[p->utf8_tail_len++] = s[i++];
    for (unsigned k = 1; k < p->utf8_tail_len; k++)
      if ((p->utf8_tail[k] & 0xC0) != 0x80) goto bad_utf8;
    if (p->utf8_tail_len < need) return 0;
    if (!utf8_seq_ok(p->utf8_tail, need)) goto bad_utf8;
    p->utf8_tail_len = 0;
  }
  while (i < n) {
    /* Eight ASCII bytes without NUL at a time. */
    while (n - i >= 8) {
      uint64_t v;
      memcpy(&v, s + i, 8);
      if ((v & 0x8080808080808080ull) || ((v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull))
        break;
      i += 8;
    }
    if (i >= n) break;
    unsigned char c = s[i];
    if (c == 0) {
      fault->at = i;
      if (p->stream_bytes + i < 4) goto bad_encoding; /* UTF-16 or UTF-32 */
      fault->condition = XMPPIM_STREAM_NOT_WELL_FORMED;
      fault->text = "NUL byte in the stream";
      return -1;
    }
    if (c < 0x80) {
      i++;
      continue;
    }
    fault->at = i;
    unsigned len = utf8_seq_len(c);
    if (!len) goto bad_utf8;
    if (n - i < len) {
      for (size_t k = i + 1; k < n; k++)
        if ((s[k] & 0xC0) != 0x80) goto bad_utf8;
      memcpy(p->utf8_tail, s + i, n - i);
      p->utf8_tail_len = (unsigned)(n - i);
      return 0;
    }
    if (!utf8_seq_ok(s + i, len)) goto bad_utf8;
    i += len;
  }
  return 0;
bad_utf8:
  if (p->stream_bytes + fault->at < 4 && (s[fault->at] == 0xFE || s[fault->at] == 0xFF))
    goto bad_encoding;
  fault->condition = XMPPIM_STREAM_UNSUPPORTED_ENCODING;
  fault->text = "input is not UTF-8";
  return -1;
bad_encoding:
  fault->condition = XMPPIM_STREAM_UNSUPPORTED_ENCODING;
  fault->text = "input is UTF-16 or UTF-32, not UTF-8";
  return -1;
}

/* ---- feeding ---- */

static int ensure_context(xmppim_parser *p) {
  if (p->ctxt) return 0;
  p->ctxt = xmlCreatePushParserCtxt(&sax_handler, p, NULL, 0, NULL);
  if (!p->ctxt) return XMPPIM_ERR_NOMEM;
  /* NOENT only ever substitutes the predefined entities (no DTD gets
   * through), and gives attribute values with '&' decoded. */
  xmlCtxtUseOptions(p->ctxt, XML_PARSE_NONET | XML_PARSE_NOENT | XML_PARSE_NOCDATA);
  p->ctxt->_private = p;
  return 0;
}

/* Reports whitespace that libxml2 holds back until it sees the next '<',
 * so that a keepalive is seen when it arrives. */
static void report_pending_whitespace(xmppim_parser *p, const unsigned char *slice, size_t n) {
  if (p->depth != p->stanza_level || p->state != P_IN_STREAM) return;
  uint64_t pending = p->fed - p->boundary;
  if (pending <= p->ws_raw) return;
  /* What was reported already is known whitespace; check the rest. */
  uint64_t fresh = pending - p->ws_raw;
  if (fresh > n) return;
  const unsigned char *ws = slice + n - (size_t)fresh;
  /* Only the leading whitespace: what follows (text, a partial tag) is
   * libxml2's to judge once it sees more. */
  size_t run = 0;
  while (run < fresh && is_xml_space(ws[run])) run++;
  if (run == 0) return;
  size_t norm = 0;
  int last_cr = p->ws_last_cr;
  for (size_t i = 0; i < run; i++) {
    if (!(ws[i] == '\n' && last_cr)) norm++;
    last_cr = ws[i] == '\r';
  }
  p->ws_last_cr = last_cr;
  p->ws_raw += run;
  p->ws_norm += norm;
  deliver_whitespace(p, norm);
}

static long finish_error(xmppim_parser *p) {
  p->state = P_FAILED;
  if (p->callback_failed) return XMPPIM_ERR_CALLBACK_FAILURE;
  return p->out_of_memory ? XMPPIM_ERR_NOMEM : XMPPIM_ERR_STREAM;
}

/* After </stream:stream> only whitespace may come (the peer's last bytes
 * before it closes the connection); anything else is refused at once. */
static long after_stream_end(xmppim_parser *p, const char *data, size_t len, size_t done) {
  for (size_t i = 0; i < len; i++) {
    if (!is_xml_space((xmlChar)data[i])) {
      fail(p, XMPPIM_STREAM_NOT_WELL_FORMED, "data after the end of the stream");
      return finish_error(p);
    }
  }
  return (long)(done + len);
}

/* After a pause the next bytes continue the same stream, but libxml2's
 * context was stopped: start a fresh one and prime it with a header that
 * declares the same namespaces, without reporting it. The parser then sits
 * between stanzas exactly as before. */
static int resume_stream(xmppim_parser *p) {
  drop_context(p);
  p->fed = p->boundary = 0;
  p->ws_raw = 0;
  p->ws_norm = 0;
  p->ws_last_cr = 0;
  p->utf8_tail_len = 0; /* those bytes are the caller's again */
  p->depth = 0;
  p->stop_pos = 0;
  p->pause_requested = 0;
  if (p->state != P_IN_STREAM || p->fragment) return 0;
  int rv = ensure_context(p);
  if (rv) return rv;
  const char *prefix = p->header.stream_prefix;
  const char *ns = prefix ? p->header.default_ns : NULL;
  const char *db = p->dialback_prefix;
  /* Room for every byte of the namespace escaped (6 bytes at most each). */
  size_t cap = 160 + 2 * (prefix ? strlen(prefix) : 0) + (ns ? 6 * strlen(ns) : 0) + (db ? strlen(db) : 0);
  char *header = xmppim_mem_malloc(&p->mem, cap);
  if (!header) return XMPPIM_ERR_NOMEM;
  size_t n = (size_t)snprintf(header, cap, "<%s%sstream xmlns%s%s='" XMPPIM_NS_STREAMS "'", prefix ? prefix : "",
                              prefix ? ":" : "", prefix ? ":" : "", prefix ? prefix : "");
  if (ns) {
    /* The namespace came decoded from the real header: encode it again. */
    n += (size_t)snprintf(header + n, cap - n, " xmlns='");
    for (const char *c = ns; *c; c++) {
      const char *e = *c == '&' ? "&amp;" : *c == '<' ? "&lt;" : *c == '\'' ? "&apos;" : NULL;
      if (e) {
        memcpy(header + n, e, strlen(e));
        n += strlen(e);
      } else {
        header[n++] = *c;
      }
    }
    header[n++] = '\'';
  }
  if (db) n += (size_t)snprintf(header + n, cap - n, " xmlns:%s='" NS_DIALBACK "'", db);
  header[n++] = '>';
  p->priming = 1;
  p->in_parse = 1;
  xmlParseChunk(p->ctxt, header, (int)n, 0);
  p->in_parse = 0;
  p->priming = 0;
  xmppim_mem_free(&p->mem, header);
  p->fed = (uint64_t)n;
  if (failed(p) || p->depth != p->stanza_level) return XMPPIM_ERR_INTERNAL;
  return 0;
}

static long feed(xmppim_parser *p, const char *data, size_t len);

long xmppim_parser_feed(xmppim_parser *p, const char *data, size_t len) {
  if (!p || (!data && len) || len > (size_t)LONG_MAX) return XMPPIM_ERR_INVALID_ARGUMENT;
  /* Whitespace before a stream's header is skipped: after a restart it
   * still belongs to the old stream, between its elements (a client
   * writing "</auth>\n" or "<starttls/>\n" in one go), and an XML
   * declaration may only open a document, so it must not reach the new
   * one; a first stream is treated the same, so that a reset parser and a
   * new one behave alike. */
  size_t skipped = 0;
  if (p->at_start && !p->in_parse) {
    while (skipped < len && is_xml_space((xmlChar)data[skipped])) skipped++;
    if (skipped == len) return (long)len;
    p->at_start = 0;
  }
  long rv = skipped ? feed(p, data + skipped, len - skipped) : feed(p, data, len);
  return rv < 0 ? rv : rv + (long)skipped;
}

static long feed(xmppim_parser *p, const char *data, size_t len) {
  if (p->in_parse) return XMPPIM_ERR_INVALID_STATE;
  if (p->state == P_FAILED) return XMPPIM_ERR_INVALID_STATE;
  if (failed_cause_set(p)) return finish_error(p);
  if (p->state == P_ENDED && !p->fragment) return after_stream_end(p, data, len, 0);
  size_t done = 0;
  while (done < len) {
    size_t n = len - done < SLICE_BYTES ? len - done : SLICE_BYTES;
    const unsigned char *slice = (const unsigned char *)data + done;
    input_fault fault = {0, XMPPIM_STREAM_OK, NULL};
    int bad = check_input(p, slice, n, &fault);
    /* What comes before a bad byte is parsed first, so that the events
     * are the same however the input was cut. */
    if (bad) n = fault.at;
    int rv = ensure_context(p);
    if (rv) return rv;
    uint64_t fed_before = p->fed;
    p->in_parse = 1;
    int xrv = xmlParseChunk(p->ctxt, (const char *)slice, (int)n, 0);
    p->in_parse = 0;
    p->fed += n;
    p->stream_bytes += n;
    if ((p->reset_requested || p->pause_requested) && !p->condition && !p->callback_failed) {
      /* Stop exactly after the event that asked: the rest is the caller's. */
      size_t upto = p->stop_pos > fed_before ? (size_t)(p->stop_pos - fed_before) : 0;
      if (upto > n) upto = n;
      if (p->reset_requested) {
        reset_now(p);
      } else if (p->state == P_ENDED) {
        drop_context(p); /* nothing more to parse: see after_stream_end() */
        p->pause_requested = 0;
        p->stop_pos = 0;
      } else {
        rv = resume_stream(p);
        if (rv == XMPPIM_ERR_NOMEM) return rv;
        if (rv) {
          fail(p, XMPPIM_STREAM_INTERNAL_SERVER_ERROR, "the stream could not be resumed after a pause");
          return finish_error(p);
        }
      }
      return (long)(done + upto);
    }
    if (p->state == P_ENDED && !failed(p) && !p->fragment) {
      size_t upto = p->stop_pos > fed_before ? (size_t)(p->stop_pos - fed_before) : 0;
      if (upto > n) upto = n;
      drop_context(p);
      p->stop_pos = 0;
      return after_stream_end(p, data + done + upto, len - done - upto, done + upto);
    }
    if (xrv != 0 && p->ctxt->wellFormed == 0) fail(p, XMPPIM_STREAM_NOT_WELL_FORMED, "not well-formed XML");
    if (failed(p)) {
      /* Whitespace ahead of the fault would have been reported on its own
       * had the fault arrived in a later feed: report it now too. */
      if (!p->callback_failed && !p->reset_requested && !p->ws_before_fault_done)
        report_pending_whitespace(p, slice, n);
      return finish_error(p);
    }
    done += n;
    /* Everything past the last complete depth-1 event belongs to one
     * unfinished element (or header): bound it before it is complete. */
    if (p->fed - p->boundary > p->limits.max_stanza_bytes + p->ws_raw) {
      fail(p, XMPPIM_STREAM_POLICY_VIOLATION, "a stanza is larger than the limit");
      return finish_error(p);
    }
    if (bad) {
      report_pending_whitespace(p, slice, n); /* as if the bad byte came later */
      fail(p, fault.condition, fault.text);
      return finish_error(p);
    }
    report_pending_whitespace(p, slice, n);
    if (failed(p)) return finish_error(p);
    if (p->pause_after_slice) {
      p->pause_after_slice = 0;
      break;
    }
  }
  return (long)done;
}

int xmppim_parser_eof(xmppim_parser *p) {
  if (!p) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (p->state == P_FAILED) return XMPPIM_ERR_STREAM;
  if (p->state == P_ENDED || (p->state == P_START && p->stream_bytes == 0)) return 0;
  if (p->fragment && p->ctxt) {
    p->in_parse = 1;
    xmlParseChunk(p->ctxt, NULL, 0, 1);
    p->in_parse = 0;
    if (failed(p)) return (int)finish_error(p);
    if (p->state == P_ENDED) return 0;
  }
  fail(p, XMPPIM_STREAM_NOT_WELL_FORMED, "the stream was cut before it ended");
  return (int)finish_error(p);
}

/* ---- one element, no stream ---- */

typedef struct fragment_result {
  xmppim_parser *p;
  xmppim_stanza *stanza;
} fragment_result;

static int fragment_on_stanza(void *ud, xmppim_stanza *stanza) {
  fragment_result *r = ud;
  (void)stanza;
  r->stanza = xmppim_parser_take_stanza(r->p);
  return 0;
}

int xmppim_stanza_parse(xmppim_stanza **out, const char *xml, size_t len, const xmppim_mem *mem,
                        xmppim_stream_condition *condition) {
  if (condition) *condition = XMPPIM_STREAM_OK;
  if (!out || (!xml && len)) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = NULL;
  fragment_result r = {NULL, NULL};
  xmppim_parser_callbacks cb = {NULL, fragment_on_stanza, NULL, NULL};
  int rv = xmppim_parser_new(&r.p, &cb, &r, NULL, mem);
  if (rv) return rv;
  r.p->fragment = 1;
  r.p->stanza_level = 0;
  r.p->state = P_IN_STREAM;
  long fed = xmppim_parser_feed(r.p, xml, len);
  if (fed >= 0 && r.stanza) {
    r.p->state = P_ENDED; /* one element is the whole document */
    xmppim_parser *p = r.p;
    p->in_parse = 1;
    xmlParseChunk(p->ctxt, NULL, 0, 1);
    p->in_parse = 0;
    if (failed(p) || !p->ctxt->wellFormed) {
      fail(p, XMPPIM_STREAM_NOT_WELL_FORMED, "content after the element");
      fed = XMPPIM_ERR_STREAM;
    }
  } else if (fed >= 0) {
    fail(r.p, XMPPIM_STREAM_NOT_WELL_FORMED, "no complete element");
    fed = XMPPIM_ERR_STREAM;
  }
  if (condition) *condition = r.p->condition;
  rv = fed < 0 ? (int)fed : 0;
  if (rv == 0 && r.p->callback_failed) rv = XMPPIM_ERR_NOMEM;
  xmppim_parser_free(r.p);
  if (rv) {
    xmppim_stanza_free(r.stanza);
    return rv == XMPPIM_ERR_INVALID_STATE ? XMPPIM_ERR_STREAM : rv;
  }
  *out = r.stanza;
  return 0;
}
