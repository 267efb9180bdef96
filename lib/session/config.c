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

static void options_default(xmppim_options *o) {
  memset(o, 0, sizeof(*o));
  o->output_limit = 1024 * 1024;
  o->max_stanza_size = 256 * 1024;
  o->require_tls = -1;
  o->allow_plain = 1;
  o->iq_timeout = 60000;
  o->max_pending_iqs = 256;
  o->close_timeout = 10000;
  strcpy(o->lang, "en");
  o->max_auth_attempts = 3;
  o->mechanisms = ~0u;
}

/* Used by sessions created without options. */
void xmppim_options_defaults(xmppim_options *o);
void xmppim_options_defaults(xmppim_options *o) { options_default(o); }

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
  o->output_limit = bytes;
  return 0;
}

int xmppim_options_set_max_stanza_size(xmppim_options *o, size_t bytes) {
  if (!o || bytes < XMPPIM_PARSER_MIN_STANZA_BYTES) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->max_stanza_size = bytes;
  return 0;
}

int xmppim_options_set_require_tls(xmppim_options *o, int on) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->require_tls = on ? 1 : 0;
  return 0;
}

int xmppim_options_set_allow_plain_without_tls(xmppim_options *o, int on) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->allow_plain_without_tls = on ? 1 : 0;
  return 0;
}

int xmppim_options_set_allow_plain(xmppim_options *o, int on) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->allow_plain = on ? 1 : 0;
  return 0;
}

int xmppim_options_set_iq_timeout(xmppim_options *o, uint64_t ms) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->iq_timeout = ms;
  return 0;
}

int xmppim_options_set_max_pending_iqs(xmppim_options *o, unsigned count) {
  if (!o || count == 0) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->max_pending_iqs = count;
  return 0;
}

int xmppim_options_set_keepalive(xmppim_options *o, uint64_t ms) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->keepalive = ms;
  return 0;
}

int xmppim_options_set_close_timeout(xmppim_options *o, uint64_t ms) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->close_timeout = ms;
  return 0;
}

/* A BCP 47 tag is letters, digits and hyphens (and an NMTOKEN, C4.7.4-c). */
int xmppim_options_set_lang(xmppim_options *o, const char *lang) {
  if (!o || !lang || !*lang || strlen(lang) >= sizeof(o->lang)) return XMPPIM_ERR_INVALID_ARGUMENT;
  for (const char *p = lang; *p; p++) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
      return XMPPIM_ERR_INVALID_ARGUMENT;
  }
  strcpy(o->lang, lang);
  return 0;
}

int xmppim_options_set_max_auth_attempts(xmppim_options *o, unsigned count) {
  if (!o || count < 1 || count > 5) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->max_auth_attempts = count;
  return 0;
}

int xmppim_options_set_sasl_mechanisms(xmppim_options *o, unsigned mask) {
  if (!o || !(mask & ~1u)) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->mechanisms = mask;
  return 0;
}
