/*
 * Client negotiation (RFC 6120 sections 4 to 7): open the stream, take
 * STARTTLS when offered, authenticate with the strongest SASL mechanism both
 * sides have, bind a resource, and hand the stream over as ready.
 */
#include <stdio.h>
#include <string.h>

#include "session/session_impl.h"
#include "util/mem.h"

static xmppim_stanza *child(const xmppim_stanza *el, const char *name, const char *ns) {
  return xmppim_stanza_find_child(el, name, ns);
}

static int is(const xmppim_stanza *el, const char *name, const char *ns) {
  const char *e_ns = xmppim_stanza_ns(el);
  return strcmp(xmppim_stanza_name(el), name) == 0 && e_ns && strcmp(e_ns, ns) == 0;
}

/* The client stops here on its own account: the server did nothing wrong
 * by its rules, so no stream error, just a clean close. */
static int give_up(xmppim_session *s, xmppim_stream_condition cond, const char *text) {
  s->condition = cond;
  snprintf(s->error_text, sizeof(s->error_text), "%s", text);
  xmppim_session_log(s, XMPPIM_LOG_ERROR, "giving up: %s", text);
  xmppim_session_close(s);
  return 0;
}

/* A restarted stream describes itself anew: what the last features said
 * no longer holds until the next ones arrive. */
static void forget_features(xmppim_session *s) {
  xmppim_mem_free(&s->mem, s->peer_features);
  s->peer_features = NULL;
  s->peer_features_len = 0;
}

static int negotiated(const xmppim_stanza *el) {
  return is(el, "starttls", NS_TLS) || is(el, "mechanisms", NS_SASL) || is(el, "bind", NS_BIND) ||
         is(el, "session", NS_SESSION);
}

/* Keeps the name and namespace of every informational feature, as
 * "name\0ns\0" pairs in one allocation of their size, within the limits
 * (what does not fit is ignored: an idle session stays small). */
static int remember_features(xmppim_session *s, const xmppim_stanza *features) {
  forget_features(s);
  size_t total = 0;
  unsigned count = 0, skipped = 0;
  for (int pass = 0; pass < 2; pass++) {
    char *at = s->peer_features;
    total = 0;
    count = skipped = 0;
    for (xmppim_stanza *f = xmppim_stanza_first_child(features); f; f = xmppim_stanza_next_sibling(f)) {
      if (negotiated(f)) continue;
      const char *name = xmppim_stanza_name(f);
      const char *ns = xmppim_stanza_ns(f) ? xmppim_stanza_ns(f) : "";
      size_t n = strlen(name) + 1, u = strlen(ns) + 1;
      if (count >= XMPPIM_PEER_FEATURES_MAX || total + n + u > XMPPIM_PEER_FEATURES_MAX_BYTES) {
        skipped++;
        continue;
      }
      if (at) {
        memcpy(at, name, n);
        memcpy(at + n, ns, u);
        at += n + u;
      }
      total += n + u;
      count++;
    }
    if (pass == 0) {
      if (total == 0) break;
      s->peer_features = xmppim_mem_malloc(&s->mem, total);
      if (!s->peer_features) return XMPPIM_ERR_NOMEM;
    }
  }
  s->peer_features_len = total;
  if (skipped)
    xmppim_session_log(s, XMPPIM_LOG_WARNING, "ignored %u stream features past the limit", skipped);
  return 0;
}

int xmppim_client_open(xmppim_session *s) {
  char header[768];
  forget_features(s);
  /* C4.7.1-a: say who we are only once TLS hides it; C4.7.2-a 'to';
   * C4.7.3-b no 'id'; C4.7.4-a xml:lang; C4.7.5-a version 1.0. */
  snprintf(header, sizeof(header),
           "<?xml version='1.0'?><stream:stream%s%s%s to='%s' version='1.0' xml:lang='%s' "
           "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
           s->secure ? " from='" : "", s->secure ? xmppim_jid_bare_string(s->account) : "",
           s->secure ? "'" : "", s->domain, s->opt.lang);
  s->phase = PHASE_AWAIT_HEADER;
  return xmppim_session_write_str(s, header);
}

int xmppim_client_on_header(xmppim_session *s, const xmppim_stream_header *h) {
  if (!h->default_ns || strcmp(h->default_ns, NS_CLIENT) != 0) {
    xmppim_session_fail(s, XMPPIM_STREAM_INVALID_NAMESPACE, "the server's content namespace is not jabber:client");
    return XMPPIM_ERR_PAUSE;
  }
  long minor = 0, major = h->version ? xmppim_session_version_major(h->version, &minor) : 0;
  if (major < 1) {
    /* C4.7.5-d/e: no version means 0.9, without features; we need 1.0. */
    xmppim_session_fail(s, XMPPIM_STREAM_UNSUPPORTED_VERSION, "the server does not speak XMPP 1.0");
    return XMPPIM_ERR_PAUSE;
  }
  snprintf(s->stream_id, sizeof(s->stream_id), "%s", h->id ? h->id : "");
  s->phase = PHASE_AWAIT_FEATURES;
  return 0;
}

static int start_sasl(xmppim_session *s, const xmppim_stanza *mechanisms) {
  static const xmppim_sasl_mechanism preference[] = {
    XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS, XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS,
    XMPPIM_SASL_MECH_SCRAM_SHA_256, XMPPIM_SASL_MECH_SCRAM_SHA_1, XMPPIM_SASL_MECH_PLAIN};
  unsigned offered = 0;
  for (xmppim_stanza *m = xmppim_stanza_first_child(mechanisms); m; m = xmppim_stanza_next_sibling(m)) {
    if (!is(m, "mechanism", NS_SASL)) continue;
    xmppim_sasl_mechanism mech = xmppim_sasl_mechanism_from_name(xmppim_stanza_text(m));
    if (mech != XMPPIM_SASL_MECH_UNKNOWN) offered |= 1u << mech;
  }
  int server_offers_plus = (offered & (1u << XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS)) ||
                           (offered & (1u << XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS));
  /* C6.3.3-a: our order, never a mechanism not on our list. */
  xmppim_sasl_mechanism chosen = XMPPIM_SASL_MECH_UNKNOWN;
  for (size_t i = 0; i < sizeof(preference) / sizeof(preference[0]); i++) {
    xmppim_sasl_mechanism m = preference[i];
    if (!(offered & (1u << m)) || !(s->opt.mechanisms & (1u << m))) continue;
    if (xmppim_sasl_mechanism_is_plus(m) && !s->binding.len) continue;
    /* C13.8-b: PLAIN only inside TLS, unless the caller insists. */
    if (m == XMPPIM_SASL_MECH_PLAIN && (!s->opt.allow_plain || (!s->secure && !s->opt.allow_plain_without_tls)))
      continue;
    chosen = m;
    break;
  }
  if (chosen == XMPPIM_SASL_MECH_UNKNOWN) {
    if (s->cb.on_auth_failed)
      s->cb.on_auth_failed(s, XMPPIM_SASL_COND_INVALID_MECHANISM, "no acceptable SASL mechanism offered",
                           s->user_data);
    return give_up(s, XMPPIM_STREAM_UNDEFINED_CONDITION, "no acceptable SASL mechanism offered");
  }
  /* A non-PLUS SCRAM carries our binding only to say "I could have bound"
   * when the server offered no -PLUS (downgrade detection, RFC 5802 section 6). */
  const xmppim_sasl_channel_binding *cb = NULL;
  if (xmppim_sasl_mechanism_is_plus(chosen) || (s->binding.len && !server_offers_plus))
    cb = &s->binding;
  xmppim_sasl_client_free(s->sasl_client);
  s->sasl_client = NULL;
  int rv = xmppim_sasl_client_new(&s->sasl_client, chosen, xmppim_jid_local(s->account), s->password,
                                  NULL, cb, &s->mem);
  if (rv) return rv;
  const unsigned char *out;
  size_t outlen;
  rv = xmppim_sasl_client_step(s->sasl_client, NULL, 0, &out, &outlen);
  if (rv < 0) return give_up(s, XMPPIM_STREAM_UNDEFINED_CONDITION, xmppim_sasl_client_error(s->sasl_client));
  s->mechanism = chosen;
  s->phase = PHASE_SASL;
  xmppim_session_log(s, XMPPIM_LOG_INFO, "authenticating with %s", xmppim_sasl_mechanism_name(chosen));
  return xmppim_session_send_sasl(s, "auth", xmppim_sasl_mechanism_name(chosen), out, outlen, 1);
}

static int send_bind(xmppim_session *s, int with_resource) {
  xmppim_iq_new_id(s, s->bind_id, sizeof(s->bind_id));
  const char *resource = with_resource ? xmppim_jid_resource(s->account) : NULL;
  xmppim_stanza *st, *bind, *res;
  int rv = xmppim_stanza_new(&st, &s->mem, "iq", NS_CLIENT);
  if (rv) return rv;
  if (rv == 0) rv = xmppim_stanza_set_attr(st, "type", "set");
  if (rv == 0) rv = xmppim_stanza_set_attr(st, "id", s->bind_id);
  if (rv == 0) rv = xmppim_stanza_add_child(st, "bind", NS_BIND, &bind);
  if (rv == 0 && resource) rv = xmppim_stanza_add_child(bind, "resource", NULL, &res);
  if (rv == 0 && resource) rv = xmppim_stanza_add_text(res, resource, strlen(resource));
  if (rv == 0) rv = xmppim_session_write_stanza(s, st);
  xmppim_stanza_free(st);
  s->phase = PHASE_AWAIT_BIND;
  return rv;
}

static int on_features(xmppim_session *s, const xmppim_stanza *features) {
  xmppim_stanza *tls = child(features, "starttls", NS_TLS);
  if (!s->secure && tls && s->cb.on_starttls) {
    s->phase = PHASE_AWAIT_PROCEED;
    return xmppim_session_write_str(s, "<starttls xmlns='" NS_TLS "'/>");
  }
  if (!s->secure && (s->opt.require_tls || (tls && child(tls, "required", NS_TLS))))
    return give_up(s, XMPPIM_STREAM_POLICY_VIOLATION, "TLS is required but cannot be negotiated");
  if (!s->authenticated) {
    xmppim_stanza *mechanisms = child(features, "mechanisms", NS_SASL);
    if (!mechanisms) return give_up(s, XMPPIM_STREAM_UNSUPPORTED_FEATURE, "the server offers no SASL");
    return start_sasl(s, mechanisms);
  }
  int rv = remember_features(s, features);
  if (rv) return rv;
  if (!child(features, "bind", NS_BIND))
    return give_up(s, XMPPIM_STREAM_UNSUPPORTED_FEATURE, "the server offers no resource binding");
  xmppim_stanza *sess = child(features, "session", NS_SESSION);
  s->session_wanted = sess && !child(sess, "optional", NS_SESSION);
  return send_bind(s, s->requested_resource);
}

static int on_sasl(xmppim_session *s, xmppim_stanza *el) {
  if (is(el, "failure", NS_SASL)) {
    xmppim_sasl_condition cond = XMPPIM_SASL_COND_NOT_AUTHORIZED;
    const char *text = NULL;
    for (xmppim_stanza *c = xmppim_stanza_first_child(el); c; c = xmppim_stanza_next_sibling(c)) {
      if (strcmp(xmppim_stanza_name(c), "text") == 0)
        text = xmppim_stanza_text(c);
      else
        cond = xmppim_sasl_condition_from_name(xmppim_stanza_name(c)); /* C6.5-b */
    }
    if (s->cb.on_auth_failed) s->cb.on_auth_failed(s, cond, text, s->user_data);
    return give_up(s, XMPPIM_STREAM_NOT_AUTHORIZED, "authentication failed");
  }
  unsigned char *data;
  size_t len;
  int rv = xmppim_session_decode_sasl(s, el, &data, &len);
  if (rv == XMPPIM_ERR_INVALID_ARGUMENT) {
    /* The server's own base64 is broken: nothing sensible can follow. */
    xmppim_session_fail(s, XMPPIM_STREAM_BAD_FORMAT, "bad base64 in a SASL element");
    return XMPPIM_ERR_PAUSE;
  }
  if (rv) return rv;
  if (is(el, "challenge", NS_SASL)) {
    const unsigned char *out;
    size_t outlen;
    rv = xmppim_sasl_client_step(s->sasl_client, data, len, &out, &outlen);
    xmppim_mem_free(&s->mem, data);
    if (rv == XMPPIM_SASL_CONTINUE || rv == XMPPIM_SASL_DONE)
      return xmppim_session_send_sasl(s, "response", NULL, out, outlen, 1);
    /* Our side refuses (a bad server message or signature): abort. */
    xmppim_session_write_str(s, "<abort xmlns='" NS_SASL "'/>");
    if (s->cb.on_auth_failed)
      s->cb.on_auth_failed(s, xmppim_sasl_client_condition(s->sasl_client),
                           xmppim_sasl_client_error(s->sasl_client), s->user_data);
    return give_up(s, XMPPIM_STREAM_NOT_AUTHORIZED, xmppim_sasl_client_error(s->sasl_client));
  }
  if (is(el, "success", NS_SASL)) {
    rv = xmppim_sasl_client_success(s->sasl_client, data, len);
    xmppim_mem_free(&s->mem, data);
    if (rv != XMPPIM_SASL_DONE) {
      /* The server could not prove it knows our credentials: do not trust it. */
      if (s->cb.on_auth_failed)
        s->cb.on_auth_failed(s, xmppim_sasl_client_condition(s->sasl_client),
                             xmppim_sasl_client_error(s->sasl_client), s->user_data);
      return give_up(s, XMPPIM_STREAM_NOT_AUTHORIZED, "the server's SASL success did not verify");
    }
    s->authenticated = 1;
    xmppim_sasl_client_free(s->sasl_client);
    s->sasl_client = NULL;
    /* C6.3.2-a, C6.4.6-c: restart without closing. */
    xmppim_session_restart_parser(s);
    s->stream_id[0] = '\0';
    return xmppim_client_open(s);
  }
  xmppim_mem_free(&s->mem, data);
  xmppim_session_fail(s, XMPPIM_STREAM_UNSUPPORTED_STANZA_TYPE, "unexpected element during SASL");
  return XMPPIM_ERR_PAUSE;
}

static int on_bind_answer(xmppim_session *s, xmppim_stanza *iq) {
  const char *type = xmppim_stanza_attr(iq, "type");
  if (type && strcmp(type, "result") == 0) {
    xmppim_stanza *bind = child(iq, "bind", NS_BIND);
    xmppim_stanza *jid = bind ? child(bind, "jid", NS_BIND) : NULL;
    const char *text = jid ? xmppim_stanza_text(jid) : "";
    xmppim_jid *bound = NULL;
    /* C4.3.6-b: the JID the server gives is ours, whatever we asked for. */
    if (xmppim_jid_new(&bound, text, strlen(text), &s->mem) != 0 || !xmppim_jid_resource(bound) ||
        !xmppim_jid_bare_equal(bound, s->account)) {
      xmppim_jid_free(bound);
      return give_up(s, XMPPIM_STREAM_UNDEFINED_CONDITION, "the server bound an unusable JID");
    }
    xmppim_jid_free(s->bound);
    s->bound = bound;
    if (s->session_wanted) {
      char req[200];
      xmppim_iq_new_id(s, s->bind_id, sizeof(s->bind_id));
      snprintf(req, sizeof(req), "<iq type='set' id='%s'><session xmlns='" NS_SESSION "'/></iq>",
               s->bind_id);
      s->phase = PHASE_AWAIT_SESSION;
      return xmppim_session_write_str(s, req);
    }
    return xmppim_session_become_ready(s);
  }
  /* A resource in use: let the server pick one (C7.7.2.2-a option 2). */
  xmppim_stanza *error = child(iq, "error", NS_CLIENT);
  if (error && child(error, "conflict", NS_STANZAS) && s->bind_retries++ < 1)
    return send_bind(s, 0);
  return give_up(s, XMPPIM_STREAM_UNDEFINED_CONDITION, "resource binding failed");
}

int xmppim_client_on_element(xmppim_session *s, xmppim_stanza *el) {
  switch (s->phase) {
  case PHASE_AWAIT_FEATURES:
    if (is(el, "features", XMPPIM_NS_STREAMS)) return on_features(s, el);
    break;
  case PHASE_AWAIT_PROCEED:
    if (is(el, "proceed", NS_TLS)) {
      /* C5.4.2.3-a: TLS starts right after this element's '>'. */
      xmppim_session_restart_parser(s);
      s->stop_feed = 1;
      s->phase = PHASE_TLS;
      if (s->cb.on_starttls) s->cb.on_starttls(s, s->user_data);
      return XMPPIM_ERR_PAUSE;
    }
    if (is(el, "failure", NS_TLS)) {
      /* C5.4.2.2-a: the server closes; so do we. */
      return give_up(s, XMPPIM_STREAM_UNDEFINED_CONDITION, "the server refused STARTTLS");
    }
    break;
  case PHASE_SASL:
    if (xmppim_stanza_ns(el) && strcmp(xmppim_stanza_ns(el), NS_SASL) == 0) return on_sasl(s, el);
    break;
  case PHASE_AWAIT_BIND:
  case PHASE_AWAIT_SESSION:
    if (is(el, "iq", NS_CLIENT) && xmppim_stanza_attr(el, "id") &&
        strcmp(xmppim_stanza_attr(el, "id"), s->bind_id) == 0) {
      if (s->phase == PHASE_AWAIT_BIND) return on_bind_answer(s, el);
      return xmppim_session_become_ready(s); /* the legacy session is a no-op either way */
    }
    break;
  case PHASE_CLOSING:
    /* A stream closed before it was ready delivers nothing: those stanzas
     * were never authenticated. */
    if (!s->was_ready) return 0;
    /* fall through */
  case PHASE_READY:
    if (xmppim_stanza_ns(el) && strcmp(xmppim_stanza_ns(el), NS_CLIENT) == 0 &&
        (is(el, "message", NS_CLIENT) || is(el, "presence", NS_CLIENT) || is(el, "iq", NS_CLIENT)))
      return xmppim_session_dispatch_stanza(s, el);
    xmppim_session_log(s, XMPPIM_LOG_DEBUG, "ignored <%s/> from the server", xmppim_stanza_name(el));
    return 0;
  default:
    break;
  }
  xmppim_session_fail(s, XMPPIM_STREAM_UNSUPPORTED_STANZA_TYPE, "unexpected element during negotiation");
  return XMPPIM_ERR_PAUSE;
}
