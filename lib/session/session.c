/*
 * The session core shared by both roles: creation, bytes in and out, time,
 * closing, stream errors, and the hand-off of stanzas once the stream is
 * ready. The negotiation itself lives in client.c and server.c.
 */
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xmppim/errors.h>

#include "session/session_impl.h"
#include "util/base64.h"
#include "util/mem.h"
#include "xml/tree.h"

/* ---- logging and output ---- */

void xmppim_session_log(xmppim_session *s, xmppim_log_level level, const char *fmt, ...) {
  if (!s->cb.on_log) return; /* nothing is formatted for a log nobody reads */
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  s->cb.on_log(s, level, line, s->user_data);
}

/* Appends to the output. Never refuses for size: what the session must say
 * is never dropped; the limit is applied to new work (feed, send). */
int xmppim_session_write(xmppim_session *s, const char *data, size_t len) {
  /* C4.4-b: after our close tag nothing more is sent; what the session
   * would still say (answers to stanzas that arrive meanwhile) is not said. */
  if (s->close_sent) return 0;
  int rv = xmppim_buf_append(&s->out, data, len);
  if (rv == 0) s->bytes_sent += len;
  return rv;
}

int xmppim_session_write_str(xmppim_session *s, const char *str) {
  return xmppim_session_write(s, str, strlen(str));
}

/* Writes ` name='value'` with the value escaped for a single-quoted attribute. */
int xmppim_session_write_attr(xmppim_session *s, const char *name, const char *value) {
  int rv = xmppim_session_write_str(s, " ");
  if (rv == 0) rv = xmppim_session_write_str(s, name);
  if (rv == 0) rv = xmppim_session_write_str(s, "='");
  for (const char *p = value; rv == 0 && *p; p++) {
    switch (*p) {
    case '&': rv = xmppim_session_write_str(s, "&amp;"); break;
    case '<': rv = xmppim_session_write_str(s, "&lt;"); break;
    case '>': rv = xmppim_session_write_str(s, "&gt;"); break;
    case '\'': rv = xmppim_session_write_str(s, "&apos;"); break;
    case '"': rv = xmppim_session_write_str(s, "&quot;"); break;
    default: rv = xmppim_session_write(s, p, 1);
    }
  }
  return rv ? rv : xmppim_session_write_str(s, "'");
}

int xmppim_session_write_stanza(xmppim_session *s, const xmppim_stanza *st) {
  if (s->close_sent) return 0;
  size_t before = s->out.len;
  int rv = xmppim_stanza_write(st, NS_CLIENT, &s->out);
  if (rv == 0) s->bytes_sent += s->out.len - before;
  return rv;
}

static size_t pending_output(const xmppim_session *s) { return s->out.len - s->out_offset; }

static int over_limit(const xmppim_session *s) {
  return pending_output(s) >= s->opt.output_limit;
}

int xmppim_session_random_hex(char *out, size_t bytes) {
  unsigned char raw[32];
  if (bytes > sizeof(raw)) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (gnutls_rnd(GNUTLS_RND_NONCE, raw, bytes) != 0) return XMPPIM_ERR_INTERNAL;
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < bytes; i++) {
    out[2 * i] = hex[raw[i] >> 4];
    out[2 * i + 1] = hex[raw[i] & 15];
  }
  out[2 * bytes] = '\0';
  return 0;
}

/* "1.0", "01.000": major and minor as numbers (C4.7.5-c). -1 when malformed. */
long xmppim_session_version_major(const char *v, long *minor) {
  char *end;
  if (*v < '0' || *v > '9') return -1;
  long major = strtol(v, &end, 10);
  if (end == v || *end != '.' || major < 0) return -1;
  const char *m = end + 1;
  if (*m < '0' || *m > '9') return -1;
  *minor = strtol(m, &end, 10);
  if (end == m || *end || *minor < 0) return -1;
  return major;
}

/* A language tag as BCP 47 writes them: letters, digits and hyphens, at most
 * 35 characters (C4.7.4-c), starting with a letter. */
int xmppim_session_lang_ok(const char *lang) {
  size_t n = strlen(lang);
  if (n == 0 || n > 35 || !((lang[0] >= 'a' && lang[0] <= 'z') || (lang[0] >= 'A' && lang[0] <= 'Z')))
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = lang[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return 0;
  }
  return 1;
}

/* ---- ending ---- */

/* The session is over: tell the host once, drop pending work. */
void xmppim_session_finish(xmppim_session *s, xmppim_stream_condition cond) {
  if (s->phase == PHASE_CLOSED) return;
  s->phase = PHASE_CLOSED;
  if (cond != XMPPIM_STREAM_OK && s->condition == XMPPIM_STREAM_OK) s->condition = cond;
  xmppim_iq_cancel_all(s);
  if (s->cb.on_closed) s->cb.on_closed(s, s->condition, s->user_data);
}

void xmppim_session_send_close(xmppim_session *s) {
  xmppim_session_write_str(s, "</stream:stream>");
  s->close_sent = 1;
}

static void session_fail_app(xmppim_session *s, xmppim_stream_condition cond, const char *text,
                             const xmppim_stanza *app_condition);

/* A stream error of ours (RFC 6120 section 4.9.1.1): say it, close, stop
 * reading. A server that has not answered the header yet answers it first
 * (C4.9.1.2-a), so that the client can read the error at all. */
void xmppim_session_fail(xmppim_session *s, xmppim_stream_condition cond, const char *text) {
  session_fail_app(s, cond, text, NULL);
}

static void session_fail_app(xmppim_session *s, xmppim_stream_condition cond, const char *text,
                             const xmppim_stanza *app_condition) {
  if (s->fatal || s->phase == PHASE_CLOSED) return;
  s->fatal = 1;
  s->condition = cond;
  if (s->phase == PHASE_TLS || s->close_sent) {
    /* Inside a handshake no XML may be sent (C5.4.3.1-a), and after our
     * close tag nothing may (C4.4-b): just end. */
    xmppim_session_finish(s, cond);
    return;
  }
  snprintf(s->error_text, sizeof(s->error_text), "%s", text ? text : "");
  xmppim_session_log(s, XMPPIM_LOG_WARNING, "stream error %s%s%s", xmppim_stream_condition_name(cond),
                     s->error_text[0] ? ": " : "", s->error_text);
  if (s->role == XMPPIM_ROLE_SERVER && s->phase == PHASE_AWAIT_HEADER && !s->stream_id[0]) {
    char header[512];
    /* C4.7.5-d: a peer that sent no version gets none back. */
    const xmppim_stream_header *h = xmppim_parser_header(s->parser);
    snprintf(header, sizeof(header),
             "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
             "xmlns:stream='http://etherx.jabber.org/streams' from='%s' id='-'%s>",
             s->domain, h && !h->version ? "" : " version='1.0'");
    xmppim_session_write_str(s, header);
  }
  xmppim_stanza *err = NULL;
  int built = cond == XMPPIM_STREAM_SEE_OTHER_HOST
                  ? xmppim_stream_error_build_see_other_host(&err, text, NULL, NULL, app_condition, &s->mem)
                  : xmppim_stream_error_build(&err, cond, text && *text ? text : NULL, "en", app_condition,
                                              &s->mem);
  if (built == 0) {
    size_t need = 0;
    xmppim_stream_error_serialize(err, NS_CLIENT, NULL, 0, &need);
    if (xmppim_buf_reserve(&s->out, need + 1) == 0 &&
        xmppim_stream_error_serialize(err, NS_CLIENT, s->out.data + s->out.len, need + 1, NULL) == 0) {
      s->out.len += need;
      s->bytes_sent += need;
    }
    xmppim_stanza_free(err);
  }
  xmppim_session_send_close(s);
  xmppim_session_finish(s, cond);
}

/* ---- creation ---- */

static int session_new(xmppim_session **out, xmppim_role role, const xmppim_callbacks *cb,
                       void *user_data, const xmppim_options *opt, const xmppim_mem *mem);

static int parser_on_header(void *ud, const xmppim_stream_header *h) {
  xmppim_session *s = ud;
  /* Only a real language tag is remembered and stamped on stanzas (C4.7.4-c/d). */
  snprintf(s->peer_lang, sizeof(s->peer_lang), "%s", h->lang && xmppim_session_lang_ok(h->lang) ? h->lang : "");
  int rv = s->role == XMPPIM_ROLE_CLIENT ? xmppim_client_on_header(s, h)
                                         : xmppim_server_on_header(s, h);
  return rv;
}

static int is_stream_error(const xmppim_stanza *el) {
  const char *ns = xmppim_stanza_ns(el);
  return ns && strcmp(ns, XMPPIM_NS_STREAMS) == 0 && strcmp(xmppim_stanza_name(el), "error") == 0;
}

/* The peer ended the stream with an error: report it, answer with our
 * close tag, and stop (C4.9.1.1-a). */
static void on_peer_stream_error(xmppim_session *s, const xmppim_stanza *el) {
  xmppim_stream_error_info info;
  /* Unknown or missing conditions read as undefined-condition (C4.9.2-b). */
  if (xmppim_stream_error_parse(el, &info) < 0) info.condition = XMPPIM_STREAM_UNDEFINED_CONDITION, info.text = NULL;
  xmppim_stream_condition cond = info.condition;
  const char *text = info.text;
  /* Kept past the callback: the element itself goes with the parser. */
  xmppim_stanza_free(s->peer_app_condition);
  s->peer_app_condition = NULL;
  if (info.app_condition) xmppim_stanza_copy(&s->peer_app_condition, info.app_condition, &s->mem);
  s->condition = cond;
  snprintf(s->error_text, sizeof(s->error_text), "%s", text ? text : "");
  xmppim_session_log(s, XMPPIM_LOG_WARNING, "peer stream error %s: %s",
                     xmppim_stream_condition_name(cond), s->error_text);
  if (s->cb.on_stream_error) s->cb.on_stream_error(s, cond, text, s->user_data);
  if (s->phase != PHASE_CLOSING) xmppim_session_send_close(s);
  s->fatal = 1;
  xmppim_session_finish(s, cond);
}

static int parser_on_stanza(void *ud, xmppim_stanza *el) {
  xmppim_session *s = ud;
  if (s->phase == PHASE_CLOSED) return 0;
  if (is_stream_error(el)) {
    on_peer_stream_error(s, el);
    return XMPPIM_ERR_PAUSE;
  }
  int rv = s->role == XMPPIM_ROLE_CLIENT ? xmppim_client_on_element(s, el)
                                         : xmppim_server_on_element(s, el);
  if (rv < 0 && rv != XMPPIM_ERR_PAUSE) return rv;
  /* Stop consuming once the output is full, the stream failed, or the rest
   * of the input is not ours (TLS follows <proceed/>). */
  if (s->fatal || s->stop_feed || s->phase == PHASE_CLOSED || over_limit(s)) return XMPPIM_ERR_PAUSE;
  return rv;
}

static int parser_on_whitespace(void *ud, size_t len) {
  (void)ud;
  (void)len;
  return 0;
}

static int parser_on_end(void *ud) {
  xmppim_session *s = ud;
  /* Whatever follows the peer's close tag is not part of the stream: stop
   * right after it, so feed reports the bytes up to it. */
  xmppim_parser_reset(s->parser);
  if (s->phase != PHASE_CLOSING && s->phase != PHASE_CLOSED) xmppim_session_send_close(s);
  xmppim_session_finish(s, XMPPIM_STREAM_OK);
  return XMPPIM_ERR_PAUSE;
}

static int session_new(xmppim_session **out, xmppim_role role, const xmppim_callbacks *cb,
                       void *user_data, const xmppim_options *opt, const xmppim_mem *mem) {
  const xmppim_mem *m = xmppim_mem_or_default(mem);
  xmppim_session *s = xmppim_mem_calloc(m, 1, sizeof(*s));
  if (!s) return XMPPIM_ERR_NOMEM;
  s->mem = *m;
  s->role = role;
  if (cb) s->cb = *cb;
  s->user_data = user_data;
  if (opt)
    s->opt = opt->set;
  else
    xmppim_session_settings_defaults(&s->opt);
  if (s->opt.require_tls < 0) s->opt.require_tls = role == XMPPIM_ROLE_CLIENT;
  /* A server takes stanzas from clients it must protect itself against;
   * a client takes the roster result from its own server, which is one
   * stanza as large as the roster (about 115 bytes an item). */
  if (s->opt.max_stanza_size == 0) s->opt.max_stanza_size = role == XMPPIM_ROLE_CLIENT ? 16u << 20 : 256u << 10;
  xmppim_buf_init(&s->out, &s->mem, 0);
  int rv = 0;
  if (opt && opt->features_len && role == XMPPIM_ROLE_SERVER) {
    /* Only a server that has some keeps them, in an allocation of their size. */
    s->features = xmppim_mem_strndup(&s->mem, opt->features, opt->features_len);
    if (!s->features) rv = XMPPIM_ERR_NOMEM;
  }
  s->phase = PHASE_AWAIT_HEADER;
  s->keepalive_at = XMPPIM_NO_DEADLINE;
  s->close_deadline = XMPPIM_NO_DEADLINE;
  xmppim_parser_limits limits;
  xmppim_parser_limits_default(&limits);
  limits.max_stanza_bytes = s->opt.max_stanza_size;
  xmppim_parser_callbacks pcb = {parser_on_header, parser_on_stanza, parser_on_whitespace,
                                 parser_on_end};
  if (rv == 0) rv = xmppim_parser_new(&s->parser, &pcb, s, &limits, &s->mem);
  if (rv == 0) rv = xmppim_session_random_hex(s->iq_prefix, 4);
  if (rv) {
    xmppim_session_free(s);
    return rv;
  }
  *out = s;
  return 0;
}

int xmppim_session_client_new(xmppim_session **out, const char *jid, const char *password,
                              const xmppim_callbacks *callbacks, void *user_data,
                              const xmppim_options *options, const xmppim_mem *mem) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (!jid || !password || !*password) return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_session *s;
  int rv = session_new(&s, XMPPIM_ROLE_CLIENT, callbacks, user_data, options, mem);
  if (rv) return rv;
  rv = xmppim_jid_new(&s->account, jid, strlen(jid), &s->mem);
  if (rv == 0 && !xmppim_jid_local(s->account)) rv = XMPPIM_ERR_JID_EMPTY_PART;
  if (rv == 0) {
    s->requested_resource = xmppim_jid_resource(s->account) != NULL;
    const char *domain = xmppim_jid_domain(s->account);
    s->domain = xmppim_mem_strndup(&s->mem, domain, strlen(domain));
    s->password = xmppim_mem_strndup(&s->mem, password, strlen(password));
    if (!s->domain || !s->password) rv = XMPPIM_ERR_NOMEM;
  }
  if (rv == 0) rv = xmppim_client_open(s);
  if (rv) {
    xmppim_session_free(s);
    return rv;
  }
  *out = s;
  return 0;
}

int xmppim_session_server_new(xmppim_session **out, const char *domain,
                              const xmppim_callbacks *callbacks, void *user_data,
                              const xmppim_options *options, const xmppim_mem *mem) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (!domain) return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_jid *d;
  int rv = xmppim_jid_new(&d, domain, strlen(domain), mem);
  if (rv) return rv;
  if (xmppim_jid_local(d) || xmppim_jid_resource(d)) {
    xmppim_jid_free(d);
    return XMPPIM_ERR_INVALID_ARGUMENT;
  }
  xmppim_session *s;
  rv = session_new(&s, XMPPIM_ROLE_SERVER, callbacks, user_data, options, mem);
  if (rv == 0) {
    const char *canonical = xmppim_jid_domain(d);
    s->domain = xmppim_mem_strndup(&s->mem, canonical, strlen(canonical));
    if (!s->domain) {
      xmppim_session_free(s);
      rv = XMPPIM_ERR_NOMEM;
    }
  }
  xmppim_jid_free(d);
  if (rv) return rv;
  *out = s;
  return 0;
}

void xmppim_session_free(xmppim_session *s) {
  if (!s || s->in_callback) return;
  xmppim_iq_cancel_all(s);
  xmppim_parser_free(s->parser);
  xmppim_buf_free(&s->out);
  xmppim_jid_free(s->account);
  xmppim_jid_free(s->bound);
  xmppim_stanza_free(s->peer_app_condition);
  xmppim_mem_free(&s->mem, s->domain);
  xmppim_mem_free(&s->mem, s->features);
  xmppim_mem_free(&s->mem, s->peer_features);
  if (s->password) {
    /* volatile so that the wipe is not optimized away */
    volatile char *p = s->password;
    while (*p) *p++ = 0;
    xmppim_mem_free(&s->mem, s->password);
  }
  xmppim_sasl_client_free(s->sasl_client);
  xmppim_sasl_server_free(s->sasl_server);
  xmppim_mem_free(&s->mem, s);
}

/* ---- bytes in ---- */

void xmppim_session_restart_parser(xmppim_session *s) {
  /* Inside a callback this takes effect right after the current element. */
  xmppim_parser_reset(s->parser);
}

long xmppim_session_feed(xmppim_session *s, const void *data, size_t len) {
  if (!s || (!data && len)) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (s->in_callback) return XMPPIM_ERR_INVALID_STATE;
  if (s->fatal) return XMPPIM_ERR_STREAM;
  if (s->phase == PHASE_CLOSED || s->phase == PHASE_TLS) return XMPPIM_ERR_INVALID_STATE;
  if (over_limit(s)) return XMPPIM_ERR_BACKPRESSURE;
  s->stop_feed = 0;
  s->in_callback = 1;
  long rv = xmppim_parser_feed(s->parser, data, len);
  s->in_callback = 0;
  if (rv == XMPPIM_ERR_STREAM) {
    /* The parser refused the input: the condition is the one to send. */
    xmppim_session_fail(s, xmppim_parser_condition(s->parser), xmppim_parser_error_text(s->parser));
    return XMPPIM_ERR_STREAM;
  }
  if (rv == XMPPIM_ERR_NOMEM) {
    xmppim_session_fail(s, XMPPIM_STREAM_RESOURCE_CONSTRAINT, "out of memory");
    return XMPPIM_ERR_NOMEM;
  }
  if (rv < 0) {
    if (!s->fatal) xmppim_session_fail(s, XMPPIM_STREAM_INTERNAL_SERVER_ERROR, "callback failed");
    return rv;
  }
  if (s->fatal) return XMPPIM_ERR_STREAM;
  return rv;
}

/* ---- bytes out ---- */

size_t xmppim_session_output(xmppim_session *s, const char **data) {
  if (!s || !data) return 0;
  /* An idle session holds no buffer at all (NULL + 0 is undefined). */
  *data = s->out.data ? s->out.data + s->out_offset : "";
  return s->in_callback ? 0 : pending_output(s);
}

void xmppim_session_consumed(xmppim_session *s, size_t n) {
  if (!s || s->in_callback) return;
  size_t pending = pending_output(s);
  s->out_offset += n < pending ? n : pending;
  if (s->out_offset == s->out.len) {
    s->out.len = s->out_offset = 0;
    xmppim_buf_shrink(&s->out); /* an idle session keeps no output buffer */
  } else if (s->out_offset > s->out.len / 2) {
    /* Compact now and then rather than on every partial write. */
    xmppim_buf_consume(&s->out, s->out_offset);
    s->out_offset = 0;
  }
}

int xmppim_session_want_read(const xmppim_session *s) {
  return s && !s->fatal && s->phase != PHASE_CLOSED && s->phase != PHASE_TLS;
}

int xmppim_session_want_write(const xmppim_session *s) { return s && pending_output(s) > 0; }

/* ---- sending ---- */

int xmppim_session_send(xmppim_session *s, const xmppim_stanza *st) {
  if (!s || !st) return XMPPIM_ERR_INVALID_ARGUMENT;
  /* C4.8.3-a/b: a client stream carries jabber:client stanzas only. */
  const char *ns = xmppim_stanza_ns(st);
  if (ns && strcmp(ns, NS_CLIENT) != 0) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (s->phase != PHASE_READY || s->fatal) return XMPPIM_ERR_INVALID_STATE;
  if (over_limit(s)) return XMPPIM_ERR_BACKPRESSURE;
  return xmppim_session_write_stanza(s, st);
}

int xmppim_session_send_error_reply(xmppim_session *s, const xmppim_stanza *request,
                                    xmppim_stanza_condition condition) {
  xmppim_stanza *reply;
  int rv = xmppim_stanza_error_reply(&reply, request, xmppim_stanza_condition_usual_type(condition),
                                     condition, NULL, NULL, &s->mem);
  if (rv == XMPPIM_ERR_INVALID_ARGUMENT) return 0; /* an error or result is never answered (C8.3.1-f) */
  if (rv) return rv;
  rv = xmppim_session_write_stanza(s, reply);
  xmppim_stanza_free(reply);
  return rv;
}

int xmppim_session_send_iq(xmppim_session *s, xmppim_stanza *iq, xmppim_iq_cb fn, void *ud) {
  if (!s || !iq || !fn || strcmp(xmppim_stanza_name(iq), "iq") != 0) return XMPPIM_ERR_INVALID_ARGUMENT;
  const char *type = xmppim_stanza_attr(iq, "type");
  if (!type || (strcmp(type, "get") != 0 && strcmp(type, "set") != 0))
    return XMPPIM_ERR_INVALID_ARGUMENT;
  if (s->phase != PHASE_READY || s->fatal) return XMPPIM_ERR_INVALID_STATE;
  if (over_limit(s)) return XMPPIM_ERR_BACKPRESSURE;
  if (s->iq_count >= s->opt.max_pending_iqs) return XMPPIM_ERR_LIMIT;
  char id[40];
  xmppim_iq_new_id(s, id, sizeof(id));
  int rv = xmppim_stanza_set_attr(iq, "id", id);
  if (rv == 0) rv = xmppim_iq_register(s, id, fn, ud);
  if (rv == 0) {
    rv = xmppim_session_write_stanza(s, iq);
    if (rv) xmppim_iq_forget(s, id);
  }
  return rv;
}

xmppim_stanza *xmppim_session_take_stanza(xmppim_session *s) {
  if (!s || !s->delivering || s->delivering_taken) return NULL;
  xmppim_stanza *st = xmppim_parser_take_stanza(s->parser);
  if (st) s->delivering_taken = 1;
  return st;
}

/* A ready stream's stanza goes to the IQ tracker or the host; an IQ request
 * nobody handles gets service-unavailable (C8.2.3-b, exactly one answer). */
/* Whether an IQ result or error a client sent answers one of this server
 * session's own requests (a roster push, a ping), which go out addressed
 * to the client: such an answer has no 'to', or the domain or the
 * client's bare JID as 'to' (RFC 6121 2.1.6). Any other 'to' belongs to
 * another entity, whose request it answers: the host routes it
 * (R8.5.3.1-c). On a client session everything answers our requests. */
static int answers_our_request(xmppim_session *s, const xmppim_stanza *st) {
  const char *to = xmppim_stanza_attr(st, "to");
  if (s->role != XMPPIM_ROLE_SERVER || !to || !*to) return 1;
  /* Already in prepared form, as clients mostly write it: no parsing. */
  if (strcmp(to, s->domain) == 0 || (s->bound && strcmp(to, xmppim_jid_bare_string(s->bound)) == 0)) return 1;
  xmppim_jid *j;
  if (xmppim_jid_new(&j, to, strlen(to), &s->mem) != 0) return 1; /* the host would refuse it */
  int ours = !xmppim_jid_resource(j) &&
             (xmppim_jid_local(j) ? s->bound && strcmp(xmppim_jid_bare_string(j), xmppim_jid_bare_string(s->bound)) == 0
                                  : strcmp(xmppim_jid_domain(j), s->domain) == 0);
  xmppim_jid_free(j);
  return ours;
}

int xmppim_session_dispatch_stanza(xmppim_session *s, xmppim_stanza *st) {
  const char *name = xmppim_stanza_name(st);
  const char *type = xmppim_stanza_attr(st, "type");
  int is_iq = strcmp(name, "iq") == 0;
  if (is_iq) {
    if (!xmppim_stanza_attr(st, "id") || !type) {
      /* C8.2.3-a: id and type are required. */
      if (!type || strcmp(type, "error") != 0)
        return xmppim_session_send_error_reply(s, st, XMPPIM_STANZA_COND_BAD_REQUEST);
      return 0;
    }
    if (strcmp(type, "result") == 0 || strcmp(type, "error") == 0) {
      if (answers_our_request(s, st)) {
        if (!xmppim_iq_on_answer(s, st))
          xmppim_session_log(s, XMPPIM_LOG_DEBUG, "ignored IQ %s for unknown id '%s'", type,
                             xmppim_stanza_attr(st, "id"));
        return 0; /* C8.2.3-c: never answered */
      }
      /* An answer for someone else: the host's to route, never answered
       * here (C8.2.3-c), whatever its callback says. */
      if (s->cb.on_stanza) {
        s->delivering = st;
        s->delivering_taken = 0;
        int rv = s->cb.on_stanza(s, st, s->user_data);
        s->delivering = NULL;
        if (rv < 0) return rv;
      }
      return 0;
    }
    if (strcmp(type, "get") != 0 && strcmp(type, "set") != 0)
      return xmppim_session_send_error_reply(s, st, XMPPIM_STANZA_COND_BAD_REQUEST);
    /* C8.2.3-d: a request carries exactly one child element, which says
     * what is asked; with none or two there is nothing sound to act on. */
    const xmppim_stanza *payload = xmppim_stanza_first_child(st);
    if (!payload || xmppim_stanza_next_sibling(payload))
      return xmppim_session_send_error_reply(s, st, XMPPIM_STANZA_COND_BAD_REQUEST);
  }
  int rv = XMPPIM_STANZA_UNHANDLED;
  if (s->cb.on_stanza) {
    s->delivering = st;
    s->delivering_taken = 0;
    rv = s->cb.on_stanza(s, st, s->user_data);
    s->delivering = NULL;
  }
  if (rv == XMPPIM_STANZA_UNHANDLED) {
    if (is_iq) return xmppim_session_send_error_reply(s, st, XMPPIM_STANZA_COND_SERVICE_UNAVAILABLE);
    return 0;
  }
  return rv;
}

int xmppim_session_become_ready(xmppim_session *s) {
  s->phase = PHASE_READY;
  s->was_ready = 1;
  xmppim_session_log(s, XMPPIM_LOG_INFO, "ready as %s", xmppim_jid_to_string(s->bound));
  if (s->opt.keepalive) s->keepalive_at = s->now + s->opt.keepalive;
  s->keepalive_sent_mark = s->bytes_sent;
  if (s->cb.on_ready) s->cb.on_ready(s, s->bound, s->user_data);
  return 0;
}

/* ---- SASL elements ---- */

int xmppim_session_send_sasl(xmppim_session *s, const char *element, const char *mechanism,
                             const unsigned char *payload, size_t len, int always_payload) {
  char head[128];
  snprintf(head, sizeof(head), "<%s xmlns='" NS_SASL "'%s%s%s>", element,
           mechanism ? " mechanism='" : "", mechanism ? mechanism : "", mechanism ? "'" : "");
  int rv = xmppim_session_write_str(s, head);
  if (rv) return rv;
  if (payload && len) {
    size_t need = xmppim_base64_encoded_len(len);
    char *b64 = xmppim_mem_malloc(&s->mem, need + 1);
    if (!b64) return XMPPIM_ERR_NOMEM;
    xmppim_base64_encode(payload, len, b64, need + 1);
    rv = xmppim_session_write(s, b64, need);
    xmppim_mem_free(&s->mem, b64);
  } else if (always_payload) {
    rv = xmppim_session_write_str(s, "="); /* C6.4.2-a: an empty response is "=" */
  }
  if (rv) return rv;
  char tail[32];
  snprintf(tail, sizeof(tail), "</%s>", element);
  return xmppim_session_write_str(s, tail);
}

/* Decodes an element's base64 text ("=" is an empty payload). Returns 0,
 * or XMPPIM_ERR_INVALID_ARGUMENT for text that is not strict base64. */
int xmppim_session_decode_sasl(xmppim_session *s, const xmppim_stanza *el, unsigned char **out,
                               size_t *len) {
  const char *text = xmppim_stanza_text(el);
  size_t n = strlen(text);
  /* Whitespace around the text is not base64 and RFC 6120 allows none. */
  *out = NULL;
  *len = 0;
  if (n == 0 || (n == 1 && text[0] == '=')) return 0;
  size_t need = 0;
  int rv = xmppim_base64_decode(text, n, NULL, 0, &need);
  if (rv != 0 && rv != XMPPIM_ERR_BUFFER_TOO_SMALL) return XMPPIM_ERR_INVALID_ARGUMENT;
  unsigned char *buf = xmppim_mem_malloc(&s->mem, need + 1);
  if (!buf) return XMPPIM_ERR_NOMEM;
  rv = xmppim_base64_decode(text, n, buf, need + 1, len);
  if (rv) {
    xmppim_mem_free(&s->mem, buf);
    return XMPPIM_ERR_INVALID_ARGUMENT;
  }
  *out = buf;
  return 0;
}

/* ---- TLS hand-off ---- */

int xmppim_session_tls_established(xmppim_session *s, const xmppim_sasl_channel_binding *binding) {
  if (!s || s->in_callback) return XMPPIM_ERR_INVALID_STATE;
  int direct = s->phase == PHASE_AWAIT_HEADER && !s->stream_id[0] && s->out.len == 0 &&
               s->role == XMPPIM_ROLE_SERVER;
  int direct_client = s->role == XMPPIM_ROLE_CLIENT && s->phase == PHASE_AWAIT_HEADER && !s->stream_id[0];
  if (s->phase != PHASE_TLS && !direct && !direct_client) return XMPPIM_ERR_INVALID_STATE;
  if (binding) {
    if (!binding->type || strlen(binding->type) >= sizeof(s->binding_type) || !binding->data ||
        binding->len == 0 || binding->len > sizeof(s->binding_data))
      return XMPPIM_ERR_INVALID_ARGUMENT;
    memcpy(s->binding_data, binding->data, binding->len);
    strcpy(s->binding_type, binding->type);
    s->binding.type = s->binding_type;
    s->binding.data = s->binding_data;
    s->binding.len = binding->len;
  }
  s->secure = 1;
  if (s->phase != PHASE_TLS) return 0; /* direct TLS: nothing was said yet */
  /* C5.4.3.3-a: forget what was learnt before TLS. */
  s->stream_id[0] = '\0';
  s->peer_lang[0] = '\0';
  s->phase = PHASE_AWAIT_HEADER;
  if (s->role == XMPPIM_ROLE_CLIENT) return xmppim_client_open(s);
  return 0;
}

/* ---- time ---- */

int xmppim_session_timeout(xmppim_session *s, uint64_t now) {
  if (!s) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (s->in_callback) return XMPPIM_ERR_INVALID_STATE;
  s->now = now;
  s->in_callback = 1;
  xmppim_iq_expire(s);
  if (s->phase == PHASE_READY && s->opt.keepalive) {
    if (s->keepalive_at == XMPPIM_NO_DEADLINE) s->keepalive_at = now + s->opt.keepalive;
    if (now >= s->keepalive_at) {
      /* Only an idle stream needs one (C4.6-a). */
      if (s->bytes_sent == s->keepalive_sent_mark) xmppim_session_write_str(s, " ");
      s->keepalive_sent_mark = s->bytes_sent;
      s->keepalive_at = now + s->opt.keepalive;
    }
  }
  if (s->phase == PHASE_CLOSING) {
    if (s->close_deadline == XMPPIM_NO_DEADLINE) s->close_deadline = now + s->opt.close_timeout;
    if (now >= s->close_deadline) xmppim_session_finish(s, XMPPIM_STREAM_CONNECTION_TIMEOUT);
  }
  s->in_callback = 0;
  return 0;
}

uint64_t xmppim_session_next_deadline(const xmppim_session *s) {
  if (!s || s->phase == PHASE_CLOSED) return XMPPIM_NO_DEADLINE;
  uint64_t d = xmppim_iq_next_deadline(s);
  if (s->phase == PHASE_READY && s->keepalive_at < d) d = s->keepalive_at;
  if (s->phase == PHASE_CLOSING) {
    uint64_t c = s->close_deadline == XMPPIM_NO_DEADLINE ? s->now + s->opt.close_timeout
                                                         : s->close_deadline;
    if (c < d) d = c;
  }
  return d;
}

/* ---- closing ---- */

int xmppim_session_close(xmppim_session *s) {
  if (!s) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (s->phase == PHASE_CLOSING || s->phase == PHASE_CLOSED || s->fatal) return XMPPIM_ERR_INVALID_STATE;
  if (s->phase == PHASE_TLS || (s->role == XMPPIM_ROLE_SERVER && !s->stream_id[0])) {
    /* C5.4.3.1-a, C5.4.3.2-a: no XML inside an unfinished handshake; and a
     * server that has not answered the current header has no stream to
     * close. The connection is simply dropped. */
    xmppim_session_finish(s, XMPPIM_STREAM_OK);
    return 0;
  }
  xmppim_session_send_close(s);
  s->phase = PHASE_CLOSING;
  s->close_deadline = s->now + s->opt.close_timeout;
  xmppim_iq_cancel_all(s);
  return 0;
}

int xmppim_session_stream_error(xmppim_session *s, xmppim_stream_condition cond, const char *text) {
  return xmppim_session_stream_error_app(s, cond, text, NULL);
}

int xmppim_session_stream_error_app(xmppim_session *s, xmppim_stream_condition cond, const char *text,
                                    const xmppim_stanza *app_condition) {
  if (!s || !xmppim_stream_condition_name(cond)) return XMPPIM_ERR_INVALID_ARGUMENT;
  /* C4.9.2-a: the application condition lives in a namespace of its own. */
  if (app_condition && !xmppim_stanza_ns(app_condition)) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (cond == XMPPIM_STREAM_SEE_OTHER_HOST) {
    /* C4.9.3-c: the text is the other host, and must be one. */
    const char *host;
    size_t host_len;
    unsigned port;
    if (!text || xmppim_stream_error_split_host(text, &host, &host_len, &port) != 0)
      return XMPPIM_ERR_INVALID_ARGUMENT;
  }
  if (s->fatal || s->phase == PHASE_CLOSED) return XMPPIM_ERR_INVALID_STATE;
  session_fail_app(s, cond, text, app_condition);
  return 0;
}

/* ---- getters ---- */

xmppim_session_state xmppim_session_state_get(const xmppim_session *s) {
  if (!s) return XMPPIM_STATE_CLOSED;
  switch (s->phase) {
  case PHASE_AWAIT_HEADER: return XMPPIM_STATE_OPENING;
  case PHASE_AWAIT_FEATURES:
  case PHASE_AWAIT_PROCEED:
  case PHASE_NEGOTIATE: return s->authenticated ? XMPPIM_STATE_BINDING : XMPPIM_STATE_NEGOTIATING;
  case PHASE_TLS: return XMPPIM_STATE_TLS;
  case PHASE_SASL: return XMPPIM_STATE_AUTHENTICATING;
  case PHASE_AWAIT_BIND:
  case PHASE_AWAIT_SESSION: return XMPPIM_STATE_BINDING;
  case PHASE_READY: return XMPPIM_STATE_READY;
  case PHASE_CLOSING: return XMPPIM_STATE_CLOSING;
  case PHASE_CLOSED: return XMPPIM_STATE_CLOSED;
  }
  return XMPPIM_STATE_CLOSED;
}

xmppim_role xmppim_session_role(const xmppim_session *s) { return s ? s->role : XMPPIM_ROLE_CLIENT; }
const xmppim_jid *xmppim_session_jid(const xmppim_session *s) { return s ? s->bound : NULL; }
const char *xmppim_session_stream_id(const xmppim_session *s) {
  return s && s->stream_id[0] ? s->stream_id : NULL;
}
int xmppim_session_is_secure(const xmppim_session *s) { return s && s->secure; }
xmppim_sasl_mechanism xmppim_session_mechanism(const xmppim_session *s) {
  return s && s->authenticated ? s->mechanism : XMPPIM_SASL_MECH_UNKNOWN;
}
int xmppim_session_peer_has_feature(const xmppim_session *s, const char *name, const char *ns) {
  if (!s || !name || !ns || !s->peer_features) return 0;
  /* "name\0ns\0" pairs, one after the other. */
  const char *p = s->peer_features, *end = p + s->peer_features_len;
  while (p < end) {
    const char *n = p;
    const char *u = n + strlen(n) + 1;
    p = u + strlen(u) + 1;
    if (strcmp(n, name) == 0 && strcmp(u, ns) == 0) return 1;
  }
  return 0;
}

xmppim_stream_condition xmppim_session_error(const xmppim_session *s, const char **text) {
  if (text) *text = s ? s->error_text : "";
  return s ? s->condition : XMPPIM_STREAM_OK;
}

const xmppim_stanza *xmppim_session_error_app_condition(const xmppim_session *s) {
  return s ? s->peer_app_condition : NULL;
}
