/* The callbacks table and the options object: opaque, with setters, so that
 * both can grow without breaking a caller's build or ABI. */
#include <stdlib.h>
#include <string.h>

#include "session/session_impl.h"

int xmppim_callbacks_new(xmppim_callbacks **out) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = calloc(1, sizeof(**out));
  return *out ? 0 : XMPPIM_ERR_NOMEM;
}

void xmppim_callbacks_free(xmppim_callbacks *cb) { free(cb); }

#define SETTER(field, type)                                                      \
  void xmppim_callbacks_set_##field(xmppim_callbacks *cb, type fn) {             \
    if (cb) cb->field = fn;                                                      \
  }
SETTER(on_stanza, xmppim_on_stanza_cb)
SETTER(on_ready, xmppim_on_ready_cb)
SETTER(on_starttls, xmppim_on_starttls_cb)
SETTER(on_stream_error, xmppim_on_stream_error_cb)
SETTER(on_closed, xmppim_on_closed_cb)
SETTER(on_auth_failed, xmppim_on_auth_failed_cb)
SETTER(on_log, xmppim_on_log_cb)
SETTER(sasl_plain, xmppim_sasl_plain_verify_cb)
SETTER(sasl_scram, xmppim_sasl_scram_lookup_cb)
SETTER(sasl_authorize, xmppim_sasl_authorize_cb)
SETTER(on_bind, xmppim_on_bind_cb)
#undef SETTER

void xmppim_session_settings_defaults(session_settings *o) {
  memset(o, 0, sizeof(*o));
  o->output_limit = 1024 * 1024;
  o->max_stanza_size = 0; /* the role's default */
  o->require_tls = -1;
  o->allow_plain = 1;
  o->iq_timeout = 60000;
  o->max_pending_iqs = 256;
  o->close_timeout = 10000;
  strcpy(o->lang, "en");
  o->max_auth_attempts = 3;
  o->mechanisms = ~0u;
}

static void options_default(xmppim_options *o) {
  memset(o, 0, sizeof(*o));
  xmppim_session_settings_defaults(&o->set);
}

int xmppim_options_new(xmppim_options **out) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = malloc(sizeof(**out));
  if (!*out) return XMPPIM_ERR_NOMEM;
  options_default(*out);
  return 0;
}

void xmppim_options_free(xmppim_options *o) { free(o); }

int xmppim_options_set_output_limit(xmppim_options *o, size_t bytes) {
  if (!o || bytes < 4096) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->set.output_limit = bytes;
  return 0;
}

int xmppim_options_set_max_stanza_size(xmppim_options *o, size_t bytes) {
  if (!o || bytes < XMPPIM_PARSER_MIN_STANZA_BYTES) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->set.max_stanza_size = bytes;
  return 0;
}

int xmppim_options_set_require_tls(xmppim_options *o, int on) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->set.require_tls = on ? 1 : 0;
  return 0;
}

int xmppim_options_set_allow_plain_without_tls(xmppim_options *o, int on) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->set.allow_plain_without_tls = on ? 1 : 0;
  return 0;
}

int xmppim_options_set_allow_plain(xmppim_options *o, int on) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->set.allow_plain = on ? 1 : 0;
  return 0;
}

int xmppim_options_set_iq_timeout(xmppim_options *o, uint64_t ms) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->set.iq_timeout = ms;
  return 0;
}

int xmppim_options_set_max_pending_iqs(xmppim_options *o, unsigned count) {
  if (!o || count == 0) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->set.max_pending_iqs = count;
  return 0;
}

int xmppim_options_set_keepalive(xmppim_options *o, uint64_t ms) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->set.keepalive = ms;
  return 0;
}

int xmppim_options_set_close_timeout(xmppim_options *o, uint64_t ms) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->set.close_timeout = ms;
  return 0;
}

/* A BCP 47 tag is letters, digits and hyphens (and an NMTOKEN, C4.7.4-c). */
int xmppim_options_set_lang(xmppim_options *o, const char *lang) {
  if (!o || !lang || !*lang || strlen(lang) >= sizeof(o->set.lang)) return XMPPIM_ERR_INVALID_ARGUMENT;
  for (const char *p = lang; *p; p++) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
      return XMPPIM_ERR_INVALID_ARGUMENT;
  }
  strcpy(o->set.lang, lang);
  return 0;
}

int xmppim_options_set_max_auth_attempts(xmppim_options *o, unsigned count) {
  if (!o || count < 1 || count > 5) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->set.max_auth_attempts = count;
  return 0;
}

int xmppim_options_set_sasl_mechanisms(xmppim_options *o, unsigned mask) {
  if (!o || !(mask & ~1u)) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->set.mechanisms = mask;
  return 0;
}

/* ---- extra stream features ---- */

/* An XML NCName, restricted to ASCII: a letter or '_', then letters,
 * digits, '-', '_' and '.'. */
static int feature_name_ok(const char *name) {
  if (!name || !*name) return 0;
  for (const char *p = name; *p; p++) {
    char c = *p;
    int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    int other = (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!letter && (p == name || !other)) return 0;
  }
  return 1;
}

static int ns_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int ns_digit(char c) { return c >= '0' && c <= '9'; }
static int ns_hex(char c) { return ns_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* RFC 3986 unreserved and sub-delims characters. */
static int ns_plain(char c) {
  return ns_alpha(c) || ns_digit(c) || (c && strchr("-._~!$&'()*+,;=", c));
}

/* Steps over the characters of `extra` and the plain ones, and %HH; stops
 * at anything else. 0 for a broken %. */
static int ns_run(const char **pp, const char *extra) {
  const char *p = *pp;
  for (;;) {
    if (*p == '%') {
      if (!ns_hex(p[1]) || !ns_hex(p[2])) return 0;
      p += 3;
    } else if (ns_plain(*p) || (*p && strchr(extra, *p))) {
      p++;
    } else {
      break;
    }
  }
  *pp = p;
  return 1;
}

/* An absolute URI in ASCII (RFC 3986), a little stricter than the
 * grammar (no IP literal host): namespace names are URIs, and a peer's
 * parser refuses a namespace that is not one. */
static int ns_uri_ok(const char *ns) {
  const char *p = ns;
  if (!ns_alpha(*p)) return 0;
  while (ns_alpha(*p) || ns_digit(*p) || *p == '+' || *p == '-' || *p == '.') p++;
  if (*p++ != ':') return 0;
  if (p[0] == '/' && p[1] == '/') {
    p += 2;
    const char *end = p + strcspn(p, "/?#");
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at) { /* userinfo */
      if (!ns_run(&p, ":") || p != at) return 0;
      p++;
    }
    if (!ns_run(&p, "")) return 0; /* host */
    if (*p == ':') { /* port */
      const char *digits = ++p;
      while (ns_digit(*p)) p++;
      if (p - digits < 1 || p - digits > 5) return 0;
    }
    if (p != end) return 0;
  }
  if (!ns_run(&p, ":@/?")) return 0; /* path and query */
  if (*p == '#' && (p++, !ns_run(&p, ":@/?"))) return 0;
  return *p == '\0';
}

/* The features the session negotiates itself: a host cannot add them
 * (a client would read them as negotiation, not as information). */
static int negotiated_feature(const char *name, const char *ns) {
  static const char *const negotiated[][2] = {
    {"starttls", NS_TLS}, {"mechanisms", NS_SASL}, {"bind", NS_BIND}, {"session", NS_SESSION}};
  for (size_t i = 0; i < sizeof(negotiated) / sizeof(negotiated[0]); i++)
    if (strcmp(name, negotiated[i][0]) == 0 && strcmp(ns, negotiated[i][1]) == 0) return 1;
  return 0;
}

int xmppim_options_add_stream_feature(xmppim_options *o, const char *name, const char *ns) {
  if (!o || !feature_name_ok(name) || !ns || !ns_uri_ok(ns) || negotiated_feature(name, ns))
    return XMPPIM_ERR_INVALID_ARGUMENT;
  /* The tree API refuses the reserved namespaces (xml, xmlns) and its
   * serializer escapes the rest ('&' and '\'' may be in a URI). */
  xmppim_stanza *el;
  int rv = xmppim_stanza_new(&el, NULL, name, ns);
  if (rv) return rv == XMPPIM_ERR_NOMEM ? rv : XMPPIM_ERR_INVALID_ARGUMENT;
  char xml[OPTIONS_FEATURES_BYTES];
  size_t need = 0;
  /* No inherited namespace: the xmlns is always written. */
  rv = xmppim_stanza_serialize(el, NULL, xml, sizeof(xml), &need);
  xmppim_stanza_free(el);
  if (rv == XMPPIM_ERR_BUFFER_TOO_SMALL) return XMPPIM_ERR_LIMIT;
  if (rv) return XMPPIM_ERR_INVALID_ARGUMENT;
  /* Each stored element starts with its only '<' (the namespace is escaped)
   * and ends with "/>", so a match at a '<' is a whole element. */
  if (strstr(o->features, xml)) return 0;
  if (o->feature_count >= XMPPIM_STREAM_FEATURES_MAX ||
      o->features_len + need > XMPPIM_STREAM_FEATURES_MAX_BYTES)
    return XMPPIM_ERR_LIMIT;
  memcpy(o->features + o->features_len, xml, need + 1);
  o->features_len += need;
  o->feature_count++;
  return 0;
}
