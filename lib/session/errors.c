/*
 * Stanza errors (RFC 6120 section 8.3) and stream errors (section 4.9):
 * names, builders and lenient readers. Built on the public tree API, so
 * every name, attribute and text goes through the same checks as a
 * caller's own; tree internals are only read, for walking without recursion.
 */
#include <string.h>

#include <xmppim/errors.h>

#include "xml/tree.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Indexed by xmppim_stanza_condition. */
static const char *const stanza_condition_names[] = {
  NULL,
  "bad-request",
  "conflict",
  "feature-not-implemented",
  "forbidden",
  "gone",
  "internal-server-error",
  "item-not-found",
  "jid-malformed",
  "not-acceptable",
  "not-allowed",
  "not-authorized",
  "policy-violation",
  "recipient-unavailable",
  "redirect",
  "registration-required",
  "remote-server-not-found",
  "remote-server-timeout",
  "resource-constraint",
  "service-unavailable",
  "subscription-required",
  "undefined-condition",
  "unexpected-request",
};

/* RFC 6120 section 8.3.3, indexed by condition; where the RFC allows two
 * types, the one its example uses. */
static const xmppim_stanza_error_type usual_types[] = {
  XMPPIM_STANZA_ERROR_TYPE_UNKNOWN,
  XMPPIM_STANZA_ERROR_TYPE_MODIFY, /* bad-request */
  XMPPIM_STANZA_ERROR_TYPE_CANCEL, /* conflict */
  XMPPIM_STANZA_ERROR_TYPE_CANCEL, /* feature-not-implemented (or modify) */
  XMPPIM_STANZA_ERROR_TYPE_AUTH,   /* forbidden */
  XMPPIM_STANZA_ERROR_TYPE_CANCEL, /* gone */
  XMPPIM_STANZA_ERROR_TYPE_CANCEL, /* internal-server-error */
  XMPPIM_STANZA_ERROR_TYPE_CANCEL, /* item-not-found */
  XMPPIM_STANZA_ERROR_TYPE_MODIFY, /* jid-malformed */
  XMPPIM_STANZA_ERROR_TYPE_MODIFY, /* not-acceptable */
  XMPPIM_STANZA_ERROR_TYPE_CANCEL, /* not-allowed */
  XMPPIM_STANZA_ERROR_TYPE_AUTH,   /* not-authorized */
  XMPPIM_STANZA_ERROR_TYPE_MODIFY, /* policy-violation (or wait) */
  XMPPIM_STANZA_ERROR_TYPE_WAIT,   /* recipient-unavailable */
  XMPPIM_STANZA_ERROR_TYPE_MODIFY, /* redirect */
  XMPPIM_STANZA_ERROR_TYPE_AUTH,   /* registration-required */
  XMPPIM_STANZA_ERROR_TYPE_CANCEL, /* remote-server-not-found */
  XMPPIM_STANZA_ERROR_TYPE_WAIT,   /* remote-server-timeout */
  XMPPIM_STANZA_ERROR_TYPE_WAIT,   /* resource-constraint */
  XMPPIM_STANZA_ERROR_TYPE_CANCEL, /* service-unavailable */
  XMPPIM_STANZA_ERROR_TYPE_AUTH,   /* subscription-required */
  XMPPIM_STANZA_ERROR_TYPE_CANCEL, /* undefined-condition (any; see errors.h) */
  XMPPIM_STANZA_ERROR_TYPE_WAIT,   /* unexpected-request (or modify) */
};

_Static_assert(COUNT(stanza_condition_names) == XMPPIM_STANZA_COND_UNEXPECTED_REQUEST + 1,
               "one name per stanza condition");
_Static_assert(COUNT(usual_types) == COUNT(stanza_condition_names), "one type per condition");

static const char *const error_type_names[] = {NULL, "auth", "cancel", "continue", "modify", "wait"};

_Static_assert(COUNT(error_type_names) == XMPPIM_STANZA_ERROR_TYPE_WAIT + 1,
               "one name per error type");

const char *xmppim_stanza_condition_name(xmppim_stanza_condition condition) {
  if ((unsigned)condition >= COUNT(stanza_condition_names)) return NULL;
  return stanza_condition_names[condition];
}

/* Returns 0 for names RFC 6120 does not define, so that the readers can
 * tell "unknown" from a real undefined-condition. */
static xmppim_stanza_condition stanza_condition_lookup(const char *name) {
  if (name) {
    for (size_t i = 1; i < COUNT(stanza_condition_names); i++)
      if (strcmp(stanza_condition_names[i], name) == 0) return (xmppim_stanza_condition)i;
  }
  return XMPPIM_STANZA_COND_NONE;
}

xmppim_stanza_condition xmppim_stanza_condition_from_name(const char *name) {
  xmppim_stanza_condition c = stanza_condition_lookup(name);
  return c ? c : XMPPIM_STANZA_COND_UNDEFINED_CONDITION;
}

const char *xmppim_stanza_error_type_name(xmppim_stanza_error_type type) {
  if ((unsigned)type >= COUNT(error_type_names)) return NULL;
  return error_type_names[type];
}

xmppim_stanza_error_type xmppim_stanza_error_type_from_name(const char *name) {
  if (name) {
    for (size_t i = 1; i < COUNT(error_type_names); i++)
      if (strcmp(error_type_names[i], name) == 0) return (xmppim_stanza_error_type)i;
  }
  return XMPPIM_STANZA_ERROR_TYPE_UNKNOWN;
}

xmppim_stanza_error_type xmppim_stanza_condition_usual_type(xmppim_stanza_condition condition) {
  if ((unsigned)condition >= COUNT(usual_types)) return XMPPIM_STANZA_ERROR_TYPE_UNKNOWN;
  return usual_types[condition];
}

/* ---- helpers ---- */

static int str_eq(const char *a, const char *b) {
  if (!a || !*a) return !b || !*b;
  return b && strcmp(a, b) == 0;
}

/* A child element with the same name, namespace and attributes as src,
 * appended to parent. An empty namespace keeps "no namespace" from being
 * read as "inherit the parent's". */
static int clone_shallow(xmppim_stanza *parent, const xmppim_stanza *src, xmppim_stanza **out) {
  const char *ns = xmppim_stanza_ns(src);
  int rv = xmppim_stanza_add_child(parent, xmppim_stanza_name(src), ns ? ns : "", out);
  if (rv) return rv;
  const char *ans, *aname, *avalue;
  for (size_t i = 0; xmppim_stanza_attr_at(src, i, &ans, &aname, &avalue) == 0; i++) {
    rv = xmppim_stanza_set_attr_ns(*out, ans, aname, avalue);
    if (rv) return rv;
  }
  return 0;
}

/*
 * Appends a deep copy of src (from any tree) to parent. Iterative, so that a
 * deep hand-built tree cannot exhaust the stack; parsed trees are
 * depth-limited anyway.
 */
static int graft(xmppim_stanza *parent, const xmppim_stanza *src) {
  xmppim_stanza *d;
  int rv = clone_shallow(parent, src, &d);
  if (rv) return rv;
  const xmppim_stanza *s = src;
  const xmppim_node *n = s->first;
  for (;;) {
    if (n) {
      if (n->kind == XMPPIM_NODE_TEXT) {
        const xmppim_text_node *t = (const xmppim_text_node *)n;
        rv = xmppim_stanza_add_text(d, t->text, t->len);
        if (rv) return rv;
        n = n->next;
        continue;
      }
      const xmppim_stanza *c = (const xmppim_stanza *)n;
      xmppim_stanza *dc;
      rv = clone_shallow(d, c, &dc);
      if (rv) return rv;
      s = c;
      d = dc;
      n = c->first;
      continue;
    }
    if (s == src) return 0;
    n = s->node.next;
    s = s->node.parent;
    d = d->node.parent;
  }
}

/* <text xmlns=ns xml:lang=lang>text</text> under parent; nothing for NULL
 * or empty text. */
static int add_text_element(xmppim_stanza *parent, const char *ns, const char *text,
                            const char *lang) {
  if (!text || !*text) return 0;
  xmppim_stanza *t;
  int rv = xmppim_stanza_add_child(parent, "text", ns, &t);
  if (!rv && lang && *lang) rv = xmppim_stanza_set_attr_ns(t, XMPPIM_NS_XML, "lang", lang);
  if (!rv) rv = xmppim_stanza_add_text(t, text, strlen(text));
  return rv;
}

/* The language in effect at el: its own xml:lang or the nearest ancestor's. */
static const char *lang_in_effect(const xmppim_stanza *el) {
  for (; el; el = xmppim_stanza_parent(el)) {
    const char *lang = xmppim_stanza_attr_ns(el, XMPPIM_NS_XML, "lang");
    if (lang) return *lang ? lang : NULL; /* xml:lang='' means "no language" */
  }
  return NULL;
}

static const char *nonempty(const char *s) { return s && *s ? s : NULL; }

/* ---- stanza errors: building ---- */

static int is_stanza_name(const char *name) {
  return name && (strcmp(name, "message") == 0 || strcmp(name, "presence") == 0 ||
                  strcmp(name, "iq") == 0);
}

static int stanza_error_reply(xmppim_stanza **out, const xmppim_stanza *request,
                              xmppim_stanza_error_type type, xmppim_stanza_condition cond,
                              const char *text, const char *lang, int echo,
                              const xmppim_mem *mem) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (!request) return XMPPIM_ERR_INVALID_ARGUMENT;
  const char *name = xmppim_stanza_name(request);
  const char *rtype = xmppim_stanza_attr(request, "type");
  if (!is_stanza_name(name)) return XMPPIM_ERR_INVALID_ARGUMENT;
  /* C8.3.1-f; and a result answers nothing, so nobody waits for its error. */
  if (rtype && (strcmp(rtype, "error") == 0 || (strcmp(name, "iq") == 0 && strcmp(rtype, "result") == 0)))
    return XMPPIM_ERR_INVALID_ARGUMENT;
  const char *type_name = xmppim_stanza_error_type_name(type);
  const char *cond_name = xmppim_stanza_condition_name(cond);
  if (!type_name || !cond_name) return XMPPIM_ERR_INVALID_ARGUMENT;

  xmppim_stanza *reply = NULL, *err, *c;
  int rv = xmppim_stanza_new(&reply, mem, name, xmppim_stanza_ns(request));
  if (rv) return rv;
  const char *from = xmppim_stanza_attr(request, "from");
  const char *to = xmppim_stanza_attr(request, "to");
  const char *id = xmppim_stanza_attr(request, "id");
  if (from) rv = xmppim_stanza_set_attr(reply, "to", from);
  if (!rv && to) rv = xmppim_stanza_set_attr(reply, "from", to);
  if (!rv && id) rv = xmppim_stanza_set_attr(reply, "id", id);
  if (!rv) rv = xmppim_stanza_set_attr(reply, "type", "error");
  if (!rv && echo) {
    const char *ns = xmppim_stanza_ns(request);
    for (const xmppim_stanza *ch = xmppim_stanza_first_child(request); ch && !rv;
         ch = xmppim_stanza_next_sibling(ch)) {
      /* Never two <error/> children, even if the request broke C8.3.1-e. */
      if (strcmp(xmppim_stanza_name(ch), "error") == 0 && str_eq(xmppim_stanza_ns(ch), ns))
        continue;
      rv = graft(reply, ch);
    }
  }
  if (!rv) rv = xmppim_stanza_add_child(reply, "error", NULL, &err);
  if (!rv) rv = xmppim_stanza_set_attr(err, "type", type_name);
  if (!rv) rv = xmppim_stanza_add_child(err, cond_name, XMPPIM_NS_STANZA_ERRORS, &c);
  if (!rv) rv = add_text_element(err, XMPPIM_NS_STANZA_ERRORS, text, lang);
  if (rv) {
    xmppim_stanza_free(reply);
    return rv;
  }
  *out = reply;
  return 0;
}

int xmppim_stanza_error_reply(xmppim_stanza **out, const xmppim_stanza *request,
                              xmppim_stanza_error_type type, xmppim_stanza_condition cond,
                              const char *text, const char *lang, const xmppim_mem *mem) {
  return stanza_error_reply(out, request, type, cond, text, lang, 0, mem);
}

int xmppim_stanza_error_reply_echo(xmppim_stanza **out, const xmppim_stanza *request,
                                   xmppim_stanza_error_type type, xmppim_stanza_condition cond,
                                   const char *text, const char *lang, const xmppim_mem *mem) {
  return stanza_error_reply(out, request, type, cond, text, lang, 1, mem);
}

static xmppim_stanza *error_child(const xmppim_stanza *st) {
  return st ? xmppim_stanza_find_child(st, "error", NULL) : NULL;
}

/* The first child in the conditions namespace that is not <text/>. */
static xmppim_stanza *condition_child(const xmppim_stanza *err, const char *ns) {
  for (xmppim_stanza *c = xmppim_stanza_first_child(err); c; c = xmppim_stanza_next_sibling(c))
    if (str_eq(xmppim_stanza_ns(c), ns) && strcmp(xmppim_stanza_name(c), "text") != 0) return c;
  return NULL;
}

int xmppim_stanza_error_set_uri(xmppim_stanza *reply, const char *uri) {
  xmppim_stanza *err = error_child(reply);
  if (!err || !uri || !*uri) return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_stanza *c = condition_child(err, XMPPIM_NS_STANZA_ERRORS);
  xmppim_stanza_condition cond = c ? stanza_condition_lookup(xmppim_stanza_name(c)) : 0;
  if (cond != XMPPIM_STANZA_COND_GONE && cond != XMPPIM_STANZA_COND_REDIRECT)
    return XMPPIM_ERR_INVALID_ARGUMENT;
  if (xmppim_stanza_first_node(c)) return XMPPIM_ERR_INVALID_STATE;
  return xmppim_stanza_add_text(c, uri, strlen(uri));
}

int xmppim_stanza_error_set_by(xmppim_stanza *reply, const char *by) {
  xmppim_stanza *err = error_child(reply);
  if (!err) return XMPPIM_ERR_INVALID_ARGUMENT;
  return xmppim_stanza_set_attr(err, "by", by);
}

/* An element that can stand as an application-specific condition under
 * err: one in a namespace that is neither err's nor the conditions'. */
static int is_app_element(const xmppim_stanza *el, const xmppim_stanza *err,
                          const char *conditions_ns) {
  const char *ns = xmppim_stanza_ns(el);
  return ns && *ns && !str_eq(ns, conditions_ns) && !str_eq(ns, xmppim_stanza_ns(err));
}

int xmppim_stanza_error_add_app_condition(xmppim_stanza *reply, const xmppim_stanza *app) {
  xmppim_stanza *err = error_child(reply);
  if (!err || !app || !is_app_element(app, err, XMPPIM_NS_STANZA_ERRORS))
    return XMPPIM_ERR_INVALID_ARGUMENT;
  for (xmppim_stanza *c = xmppim_stanza_first_child(err); c; c = xmppim_stanza_next_sibling(c))
    if (is_app_element(c, err, XMPPIM_NS_STANZA_ERRORS)) return XMPPIM_ERR_INVALID_STATE;
  return graft(err, app);
}

/* ---- reading an error element (both kinds) ---- */

typedef struct error_parts {
  const xmppim_stanza *condition; /* first condition element, or NULL */
  const xmppim_stanza *text;      /* first <text/>, or NULL */
  const xmppim_stanza *app;       /* first application-specific element, or NULL */
  unsigned flaws;
} error_parts;

/*
 * Sorts err's children into condition, text and application-specific
 * condition. conditions_ns holds conditions and <text/>; anything in
 * another namespace of its own is application-specific; the rest (no
 * namespace, or err's own) has no place in an error element.
 */
static void split_error(const xmppim_stanza *err, const char *conditions_ns, error_parts *p) {
  memset(p, 0, sizeof(*p));
  for (const xmppim_stanza *c = xmppim_stanza_first_child(err); c;
       c = xmppim_stanza_next_sibling(c)) {
    if (str_eq(xmppim_stanza_ns(c), conditions_ns)) {
      if (strcmp(xmppim_stanza_name(c), "text") == 0) {
        if (p->text)
          p->flaws |= XMPPIM_ERROR_FLAW_EXTRA_ELEMENT;
        else
          p->text = c;
      } else if (p->condition) {
        p->flaws |= XMPPIM_ERROR_FLAW_EXTRA_CONDITION;
      } else {
        p->condition = c;
      }
    } else if (is_app_element(c, err, conditions_ns)) {
      if (p->app)
        p->flaws |= XMPPIM_ERROR_FLAW_EXTRA_ELEMENT;
      else
        p->app = c;
    } else {
      p->flaws |= XMPPIM_ERROR_FLAW_EXTRA_ELEMENT;
    }
  }
  if (!p->condition) p->flaws |= XMPPIM_ERROR_FLAW_NO_CONDITION;
}

static void read_text(const xmppim_stanza *text_el, const char **text, const char **lang) {
  *text = text_el ? nonempty(xmppim_stanza_text(text_el)) : NULL;
  *lang = *text ? lang_in_effect(text_el) : NULL;
}

int xmppim_stanza_error_parse(const xmppim_stanza *st, xmppim_stanza_error_info *info) {
  if (!st || !info) return XMPPIM_ERR_INVALID_ARGUMENT;
  memset(info, 0, sizeof(*info));
  const xmppim_stanza *err = error_child(st);
  if (!err) return XMPPIM_ERR_NOT_FOUND;

  error_parts p;
  split_error(err, XMPPIM_NS_STANZA_ERRORS, &p);
  const char *type = xmppim_stanza_attr(err, "type");
  info->type = xmppim_stanza_error_type_from_name(type);
  if (!type)
    p.flaws |= XMPPIM_ERROR_FLAW_TYPE_MISSING;
  else if (info->type == XMPPIM_STANZA_ERROR_TYPE_UNKNOWN)
    p.flaws |= XMPPIM_ERROR_FLAW_TYPE_UNKNOWN;
  info->condition = XMPPIM_STANZA_COND_UNDEFINED_CONDITION;
  if (p.condition) {
    xmppim_stanza_condition c = stanza_condition_lookup(xmppim_stanza_name(p.condition));
    if (c)
      info->condition = c;
    else
      p.flaws |= XMPPIM_ERROR_FLAW_UNKNOWN_CONDITION;
    info->condition_text = nonempty(xmppim_stanza_text(p.condition));
  }
  read_text(p.text, &info->text, &info->text_lang);
  info->by = xmppim_stanza_attr(err, "by");
  info->app_condition = p.app;
  if (!str_eq(xmppim_stanza_attr(st, "type"), "error")) p.flaws |= XMPPIM_ERROR_FLAW_NOT_ERROR_TYPE;
  info->flaws = p.flaws;
  return (int)p.flaws;
}

/* ---- stream errors ---- */

/* RFC 6122 bounds a domainpart at 1023 bytes; a host name cannot be longer. */
#define HOST_MAX 1023

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Parses ":port" at s (s[0] is ':'), up to the end of the string. */
static int parse_port(const char *s, unsigned *port) {
  s++;
  if (!*s) return XMPPIM_ERR_INVALID_ARGUMENT;
  unsigned v = 0;
  size_t n = 0;
  for (; s[n]; n++) {
    if (!is_digit(s[n]) || n >= 5) return XMPPIM_ERR_INVALID_ARGUMENT;
    v = v * 10 + (unsigned)(s[n] - '0');
  }
  if (v == 0 || v > 65535) return XMPPIM_ERR_INVALID_ARGUMENT;
  *port = v;
  return 0;
}

int xmppim_stream_error_split_host(const char *target, const char **host, size_t *host_len,
                                   unsigned *port) {
  if (!target || !*target) return XMPPIM_ERR_INVALID_ARGUMENT;
  const char *h, *end;
  if (target[0] == '[') {
    h = target + 1;
    end = strchr(h, ']');
    if (!end || end == h) return XMPPIM_ERR_INVALID_ARGUMENT;
    int colons = 0;
    for (const char *q = h; q < end; q++) {
      char c = *q;
      if (c == ':')
        colons++;
      else if (!is_digit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F') && c != '.')
        return XMPPIM_ERR_INVALID_ARGUMENT;
    }
    if (colons < 2) return XMPPIM_ERR_INVALID_ARGUMENT;
  } else {
    h = target;
    end = strchr(h, ':');
    if (!end) end = h + strlen(h);
    if (end == h) return XMPPIM_ERR_INVALID_ARGUMENT;
    for (const char *q = h; q < end; q++) {
      unsigned char c = (unsigned char)*q;
      /* Nothing that would make it a URL, a JID or two words. */
      if (c <= ' ' || c == 0x7F || c == '/' || c == '@' || c == '[' || c == ']' || c == '?' ||
          c == '#' || c == '\\')
        return XMPPIM_ERR_INVALID_ARGUMENT;
    }
  }
  if ((size_t)(end - h) > HOST_MAX) return XMPPIM_ERR_INVALID_ARGUMENT;
  const char *rest = end + (target[0] == '[');
  unsigned p = 0;
  if (*rest) {
    /* One colon after an unbracketed name: a second one means IPv6
     * without brackets, which parse_port() refuses as a non-digit. */
    if (*rest != ':' || parse_port(rest, &p)) return XMPPIM_ERR_INVALID_ARGUMENT;
  }
  if (host) *host = h;
  if (host_len) *host_len = (size_t)(end - h);
  if (port) *port = p;
  return 0;
}

static int stream_error_build(xmppim_stanza **out, xmppim_stream_condition cond,
                              const char *host, const char *text, const char *lang,
                              const xmppim_stanza *app, const xmppim_mem *mem) {
  const char *cond_name = xmppim_stream_condition_name(cond);
  if (!cond_name) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (app) {
    const char *ns = xmppim_stanza_ns(app);
    if (!ns || !*ns || strcmp(ns, XMPPIM_NS_STREAMS) == 0 ||
        strcmp(ns, XMPPIM_NS_STREAM_ERRORS) == 0)
      return XMPPIM_ERR_INVALID_ARGUMENT;
  }
  xmppim_stanza *err = NULL, *c;
  int rv = xmppim_stanza_new(&err, mem, "error", XMPPIM_NS_STREAMS);
  if (rv) return rv;
  rv = xmppim_stanza_add_child(err, cond_name, XMPPIM_NS_STREAM_ERRORS, &c);
  if (!rv && host) rv = xmppim_stanza_add_text(c, host, strlen(host));
  if (!rv) rv = add_text_element(err, XMPPIM_NS_STREAM_ERRORS, text, lang);
  if (!rv && app) rv = graft(err, app);
  if (rv) {
    xmppim_stanza_free(err);
    return rv;
  }
  *out = err;
  return 0;
}

int xmppim_stream_error_build(xmppim_stanza **out, xmppim_stream_condition cond, const char *text,
                              const char *lang, const xmppim_stanza *app_condition,
                              const xmppim_mem *mem) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = NULL;
  /* Without its host, see-other-host breaks C4.9.3-c. */
  if (cond == XMPPIM_STREAM_SEE_OTHER_HOST) return XMPPIM_ERR_INVALID_ARGUMENT;
  return stream_error_build(out, cond, NULL, text, lang, app_condition, mem);
}

int xmppim_stream_error_build_see_other_host(xmppim_stanza **out, const char *host,
                                             const char *text, const char *lang,
                                             const xmppim_stanza *app_condition,
                                             const xmppim_mem *mem) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (xmppim_stream_error_split_host(host, NULL, NULL, NULL)) return XMPPIM_ERR_INVALID_ARGUMENT;
  return stream_error_build(out, XMPPIM_STREAM_SEE_OTHER_HOST, host, text, lang, app_condition,
                            mem);
}

static int is_stream_error(const xmppim_stanza *st) {
  return strcmp(xmppim_stanza_name(st), "error") == 0 && str_eq(xmppim_stanza_ns(st), XMPPIM_NS_STREAMS);
}

/* Appends a piece of snprintf-style output: dst/cap are the whole buffer,
 * *len what was produced so far (possibly past cap). */
static void put_piece(char *dst, size_t cap, size_t *len, const char *s) {
  size_t n = strlen(s);
  if (*len < cap) {
    size_t room = cap - *len;
    memcpy(dst + *len, s, n < room ? n : room);
  }
  *len += n;
}

int xmppim_stream_error_serialize(const xmppim_stanza *err, const char *content_ns, char *dst,
                                  size_t cap, size_t *needed) {
  if (!err || (!dst && cap) || !is_stream_error(err)) return XMPPIM_ERR_INVALID_ARGUMENT;
  size_t len = 0;
  const xmppim_stanza *c = xmppim_stanza_first_child(err);
  put_piece(dst, cap, &len, c ? "<stream:error>" : "<stream:error/>");
  for (; c; c = xmppim_stanza_next_sibling(c)) {
    size_t n = 0;
    /* The child writes its own NUL where it fits; the next piece or the
     * final terminator overwrites it. */
    if (len < cap)
      xmppim_stanza_serialize(c, content_ns, dst + len, cap - len, &n);
    else
      xmppim_stanza_serialize(c, content_ns, NULL, 0, &n);
    len += n;
  }
  if (xmppim_stanza_first_child(err)) put_piece(dst, cap, &len, "</stream:error>");
  if (needed) *needed = len;
  if (len < cap) {
    dst[len] = '\0';
    return 0;
  }
  if (cap) dst[cap - 1] = '\0';
  return XMPPIM_ERR_BUFFER_TOO_SMALL;
}

int xmppim_stream_error_parse(const xmppim_stanza *st, xmppim_stream_error_info *info) {
  if (!st || !info) return XMPPIM_ERR_INVALID_ARGUMENT;
  memset(info, 0, sizeof(*info));
  if (!is_stream_error(st)) return XMPPIM_ERR_NOT_FOUND;

  error_parts p;
  split_error(st, XMPPIM_NS_STREAM_ERRORS, &p);
  info->condition = XMPPIM_STREAM_UNDEFINED_CONDITION;
  if (p.condition) {
    const char *name = xmppim_stanza_name(p.condition);
    info->condition = xmppim_stream_condition_from_name(name);
    /* from_name() folds unknown names into undefined-condition (C4.9.2-b);
     * only a real <undefined-condition/> is no flaw. */
    if (info->condition == XMPPIM_STREAM_UNDEFINED_CONDITION &&
        strcmp(name, "undefined-condition") != 0)
      p.flaws |= XMPPIM_ERROR_FLAW_UNKNOWN_CONDITION;
    info->condition_text = nonempty(xmppim_stanza_text(p.condition));
  }
  if (info->condition == XMPPIM_STREAM_SEE_OTHER_HOST) {
    if (info->condition_text &&
        xmppim_stream_error_split_host(info->condition_text, NULL, NULL, NULL) == 0)
      info->see_other_host = info->condition_text;
    else
      p.flaws |= XMPPIM_ERROR_FLAW_BAD_HOST;
  }
  read_text(p.text, &info->text, &info->text_lang);
  info->app_condition = p.app;
  info->flaws = p.flaws;
  return (int)p.flaws;
}
