/*
 * Server negotiation (RFC 6120 sections 4 to 8): answer the header, offer
 * what the negotiation state allows, run STARTTLS and SASL through the host,
 * bind a resource, then stamp and check the address of every stanza.
 */
#include <stdio.h>
#include <string.h>

#include "session/session_impl.h"
#include "util/mem.h"

static int is(const xmppim_stanza *el, const char *name, const char *ns) {
  const char *e_ns = xmppim_stanza_ns(el);
  return strcmp(xmppim_stanza_name(el), name) == 0 && e_ns && strcmp(e_ns, ns) == 0;
}

static int fail(xmppim_session *s, xmppim_stream_condition cond, const char *text) {
  xmppim_session_fail(s, cond, text);
  return XMPPIM_ERR_PAUSE;
}

static int tls_available(const xmppim_session *s) { return s->cb.on_starttls != NULL; }

static const xmppim_sasl_mechanism server_preference[] = {
  XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS, XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS,
  XMPPIM_SASL_MECH_SCRAM_SHA_256, XMPPIM_SASL_MECH_SCRAM_SHA_1, XMPPIM_SASL_MECH_PLAIN};

static int may_offer(const xmppim_session *s, xmppim_sasl_mechanism m) {
  if (!(s->opt.mechanisms & (1u << m))) return 0;
  if (m == XMPPIM_SASL_MECH_PLAIN)
    /* C6.3.4-a: nothing before TLS that is only accepted after it. */
    return s->cb.sasl_plain && (s->secure || s->opt.allow_plain_without_tls);
  if (!s->cb.sasl_scram) return 0;
  if (xmppim_sasl_mechanism_is_plus(m)) return s->secure && s->binding.len > 0;
  return 1;
}

static int send_features(xmppim_session *s) {
  int rv = xmppim_session_write_str(s, "<stream:features>");
  s->tls_offered = 0;
  s->offered = 0;
  if (!s->secure && tls_available(s)) {
    /* C5.4.1-a, and C5.3.1-a: when required, nothing else is offered. */
    s->tls_offered = 1;
    rv = rv ? rv : xmppim_session_write_str(s, s->opt.require_tls
                                                   ? "<starttls xmlns='" NS_TLS "'><required/></starttls>"
                                                   : "<starttls xmlns='" NS_TLS "'/>");
    if (s->opt.require_tls) return rv ? rv : xmppim_session_write_str(s, "</stream:features>");
  }
  if (!s->authenticated) {
    rv = rv ? rv : xmppim_session_write_str(s, "<mechanisms xmlns='" NS_SASL "'>");
    for (size_t i = 0; i < sizeof(server_preference) / sizeof(server_preference[0]); i++) {
      xmppim_sasl_mechanism m = server_preference[i];
      if (!may_offer(s, m)) continue;
      s->offered |= 1u << m;
      rv = rv ? rv : xmppim_session_write_str(s, "<mechanism>");
      rv = rv ? rv : xmppim_session_write_str(s, xmppim_sasl_mechanism_name(m));
      rv = rv ? rv : xmppim_session_write_str(s, "</mechanism>");
    }
    rv = rv ? rv : xmppim_session_write_str(s, "</mechanisms>");
  } else {
    /* C7.4-a: binding only after authentication; the RFC 3921 session as
     * optional, for old clients (R1.4-a). */
    rv = rv ? rv : xmppim_session_write_str(s, "<bind xmlns='" NS_BIND "'/><session xmlns='" NS_SESSION
                                               "'><optional/></session>");
    /* The host's informational features (serialized and escaped when they
     * were added): only now, for the authenticated client. */
    if (s->features) rv = rv ? rv : xmppim_session_write_str(s, s->features);
  }
  return rv ? rv : xmppim_session_write_str(s, "</stream:features>");
}

int xmppim_server_on_header(xmppim_session *s, const xmppim_stream_header *h) {
  if (!h->default_ns || strcmp(h->default_ns, NS_CLIENT) != 0)
    return fail(s, XMPPIM_STREAM_INVALID_NAMESPACE, "client streams use jabber:client");
  char to[1024];
  size_t need;
  /* C4.7.1-c: a header without 'to' is served as this session's domain,
   * the only one it answers for; a 'to' naming another is refused. */
  if (h->to && (xmppim_jid_prep(h->to, strlen(h->to), to, sizeof(to), &need) != 0 ||
                strcmp(to, s->domain) != 0))
    return fail(s, XMPPIM_STREAM_HOST_UNKNOWN, "this server does not serve that domain");
  /* C4.7.5-b/c/d: numbers, not strings; we speak 1.0 and answer 1.0 to
   * anything from 1.0 up; a header without version is 0.9, not spoken here. */
  long minor = 0;
  if (!h->version || xmppim_session_version_major(h->version, &minor) < 1)
    return fail(s, XMPPIM_STREAM_UNSUPPORTED_VERSION, "XMPP 1.0 is required");
  /* C4.3.3-b, C4.7.3-a: a fresh, unpredictable id for every header. */
  int rv = xmppim_session_random_hex(s->stream_id, 16);
  if (rv) return rv;
  const char *lang = h->lang && xmppim_session_lang_ok(h->lang) ? h->lang : s->opt.lang;
  char header[512];
  snprintf(header, sizeof(header), "<?xml version='1.0'?><stream:stream from='%s' id='%s' version='1.0'",
           s->domain, s->stream_id);
  rv = xmppim_session_write_str(s, header);
  if (rv == 0 && h->from) rv = xmppim_session_write_attr(s, "to", h->from); /* C4.7.2-b */
  if (rv == 0) rv = xmppim_session_write_attr(s, "xml:lang", lang);           /* C4.7.4-b */
  if (rv) return rv;
  snprintf(header, sizeof(header), " xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
  rv = xmppim_session_write_str(s, header);
  if (rv == 0) rv = send_features(s);
  s->phase = s->authenticated ? PHASE_AWAIT_BIND : PHASE_NEGOTIATE;
  return rv;
}

/* ---- SASL ---- */

static int sasl_failure(xmppim_session *s, xmppim_sasl_condition cond) {
  xmppim_sasl_server_free(s->sasl_server);
  s->sasl_server = NULL;
  char msg[160];
  snprintf(msg, sizeof(msg), "<failure xmlns='" NS_SASL "'><%s/></failure>", xmppim_sasl_condition_name(cond));
  int rv = xmppim_session_write_str(s, msg);
  s->phase = PHASE_NEGOTIATE;
  if (cond != XMPPIM_SASL_COND_ABORTED && ++s->auth_failures >= s->opt.max_auth_attempts)
    return fail(s, XMPPIM_STREAM_POLICY_VIOLATION, "too many failed authentication attempts"); /* C6.4.5-d */
  return rv;
}

static int sasl_authenticated(xmppim_session *s, const unsigned char *data, size_t len) {
  const char *authcid = xmppim_sasl_server_authcid(s->sasl_server);
  xmppim_jid *account = NULL;
  int rv = xmppim_jid_new_from_parts(&account, authcid, s->domain, NULL, &s->mem);
  if (rv) return sasl_failure(s, XMPPIM_SASL_COND_NOT_AUTHORIZED);
  const char *authzid = xmppim_sasl_server_authzid(s->sasl_server);
  if (authzid && *authzid) {
    /* C6.3.8-b: without a host policy only the account itself may be named. */
    xmppim_jid *z = NULL;
    int ok = xmppim_jid_new(&z, authzid, strlen(authzid), &s->mem) == 0 && xmppim_jid_is_bare(z);
    if (ok && !s->cb.sasl_authorize) ok = xmppim_jid_equal(z, account);
    if (ok) {
      xmppim_jid_free(account);
      account = z;
      z = NULL;
    }
    xmppim_jid_free(z);
    if (!ok) {
      xmppim_jid_free(account);
      return sasl_failure(s, XMPPIM_SASL_COND_INVALID_AUTHZID);
    }
  }
  xmppim_jid_free(s->account);
  s->account = account;
  s->authenticated = 1;
  /* data belongs to the SASL object: send it before freeing that. */
  rv = xmppim_session_send_sasl(s, "success", NULL, data, len, 0);
  xmppim_sasl_server_free(s->sasl_server);
  s->sasl_server = NULL;
  /* C6.4.6-c: the client restarts; a new header is due. */
  xmppim_session_restart_parser(s);
  s->stream_id[0] = '\0';
  s->phase = PHASE_AWAIT_HEADER;
  xmppim_session_log(s, XMPPIM_LOG_INFO, "authenticated %s with %s", xmppim_jid_to_string(account),
                     xmppim_sasl_mechanism_name(s->mechanism));
  return rv;
}

static int sasl_step(xmppim_session *s, const unsigned char *in, size_t len) {
  const unsigned char *out;
  size_t outlen;
  int rv = xmppim_sasl_server_step(s->sasl_server, in, len, &out, &outlen);
  if (rv == XMPPIM_SASL_CONTINUE) return xmppim_session_send_sasl(s, "challenge", NULL, out, outlen, 0);
  if (rv == XMPPIM_SASL_DONE) return sasl_authenticated(s, out, outlen);
  xmppim_sasl_condition cond = xmppim_sasl_server_condition(s->sasl_server);
  xmppim_session_log(s, XMPPIM_LOG_INFO, "authentication failed: %s", xmppim_sasl_server_error(s->sasl_server));
  return sasl_failure(s, cond != XMPPIM_SASL_COND_NONE ? cond : XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE);
}

static xmppim_sasl_condition plain_cb(const char *authcid, const char *password, const char *authzid,
                                      void *ud) {
  xmppim_session *s = ud;
  return s->cb.sasl_plain(authcid, password, authzid, s->user_data);
}
static xmppim_sasl_condition scram_cb(const char *authcid, xmppim_scram_hash hash,
                                      xmppim_scram_credentials *creds, void *ud) {
  xmppim_session *s = ud;
  return s->cb.sasl_scram(authcid, hash, creds, s->user_data);
}
static xmppim_sasl_condition authorize_cb(const char *authcid, const char *authzid, void *ud) {
  xmppim_session *s = ud;
  return s->cb.sasl_authorize ? s->cb.sasl_authorize(authcid, authzid, s->user_data)
                              : XMPPIM_SASL_COND_NONE;
}

/* Runs the exchange on the base64 payload of <auth/> or <response/>
 * ("=" is a present but empty payload). */
static int step_with_payload(xmppim_session *s, const xmppim_stanza *el) {
  unsigned char *data;
  size_t len;
  int rv = xmppim_session_decode_sasl(s, el, &data, &len);
  if (rv == XMPPIM_ERR_INVALID_ARGUMENT) return sasl_failure(s, XMPPIM_SASL_COND_INCORRECT_ENCODING);
  if (rv) return rv;
  static const unsigned char empty[1] = {0};
  rv = sasl_step(s, data ? data : empty, len);
  xmppim_mem_free(&s->mem, data);
  return rv;
}

static int on_auth(xmppim_session *s, const xmppim_stanza *el) {
  const char *name = xmppim_stanza_attr(el, "mechanism");
  xmppim_sasl_mechanism m = name ? xmppim_sasl_mechanism_from_name(name) : XMPPIM_SASL_MECH_UNKNOWN;
  /* C6.4.2-b: a new <auth/> replaces an unfinished exchange. */
  xmppim_sasl_server_free(s->sasl_server);
  s->sasl_server = NULL;
  if (!s->secure && s->opt.require_tls) return sasl_failure(s, XMPPIM_SASL_COND_ENCRYPTION_REQUIRED);
  if (m == XMPPIM_SASL_MECH_UNKNOWN || !(s->offered & (1u << m)))
    return sasl_failure(s, XMPPIM_SASL_COND_INVALID_MECHANISM);
  int offers_plus = (s->offered & (1u << XMPPIM_SASL_MECH_SCRAM_SHA_1_PLUS)) ||
                    (s->offered & (1u << XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS));
  xmppim_sasl_server_callbacks cbs = {plain_cb, scram_cb, authorize_cb, s};
  int rv = xmppim_sasl_server_new(&s->sasl_server, m, offers_plus ? &s->binding : NULL,
                                  offers_plus ? 1 : 0, &cbs, &s->mem);
  if (rv == XMPPIM_ERR_NOMEM) return rv;
  if (rv) return sasl_failure(s, XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE);
  s->mechanism = m;
  s->phase = PHASE_SASL;
  if (!*xmppim_stanza_text(el)) return sasl_step(s, NULL, 0); /* no initial response: an empty challenge follows */
  return step_with_payload(s, el);
}

static int on_response(xmppim_session *s, const xmppim_stanza *el) {
  if (!s->sasl_server) return sasl_failure(s, XMPPIM_SASL_COND_MALFORMED_REQUEST);
  return step_with_payload(s, el);
}

/* ---- binding ---- */

static int iq_result(xmppim_session *s, const xmppim_stanza *request, const char *inner) {
  xmppim_stanza *reply, *payload = NULL;
  int rv = xmppim_stanza_new(&reply, &s->mem, "iq", NS_CLIENT);
  if (rv) return rv;
  rv = xmppim_stanza_set_attr(reply, "type", "result");
  if (rv == 0) rv = xmppim_stanza_set_attr(reply, "id", xmppim_stanza_attr(request, "id"));
  if (rv == 0 && inner) rv = xmppim_stanza_add_child(reply, "bind", NS_BIND, &payload);
  if (rv == 0 && inner) rv = xmppim_stanza_add_child(payload, "jid", NULL, &payload);
  if (rv == 0 && inner) rv = xmppim_stanza_add_text(payload, inner, strlen(inner));
  if (rv == 0) rv = xmppim_session_write_stanza(s, reply);
  xmppim_stanza_free(reply);
  return rv;
}

static int on_bind(xmppim_session *s, const xmppim_stanza *iq, const xmppim_stanza *bind) {
  xmppim_stanza *res = xmppim_stanza_find_child(bind, "resource", NS_BIND);
  const char *wanted = res ? xmppim_stanza_text(res) : NULL;
  char generated[40];
  for (int attempt = 0; attempt < 5; attempt++) {
    const char *resource = wanted;
    if (!resource || !*resource) {
      /* C7.6-a: the server can always make one up. */
      int rv = xmppim_session_random_hex(generated, 8);
      if (rv) return rv;
      resource = generated;
    }
    xmppim_jid *full = NULL;
    int rv = xmppim_jid_new_from_parts(&full, xmppim_jid_local(s->account), xmppim_jid_domain(s->account),
                                       resource, &s->mem);
    if (rv == XMPPIM_ERR_NOMEM) return rv;
    if (rv) {
      if (++s->bind_failures >= 5) return fail(s, XMPPIM_STREAM_POLICY_VIOLATION, "too many binding attempts");
      return xmppim_session_send_error_reply(s, iq, XMPPIM_STANZA_COND_BAD_REQUEST);
    }
    xmppim_bind_decision d = s->cb.on_bind ? s->cb.on_bind(s, full, s->user_data) : XMPPIM_BIND_ACCEPT;
    if (d == XMPPIM_BIND_ACCEPT) {
      xmppim_jid_free(s->bound);
      s->bound = full;
      rv = iq_result(s, iq, xmppim_jid_to_string(full));
      if (rv) return rv;
      return xmppim_session_become_ready(s);
    }
    xmppim_jid_free(full);
    /* C7.7.3-a: a client that keeps being refused is cut off. */
    if (d != XMPPIM_BIND_CONFLICT && ++s->bind_failures >= 5)
      return fail(s, XMPPIM_STREAM_POLICY_VIOLATION, "too many binding attempts");
    if (d == XMPPIM_BIND_RESOURCE_CONSTRAINT)
      return xmppim_session_send_error_reply(s, iq, XMPPIM_STANZA_COND_RESOURCE_CONSTRAINT); /* C7.6.2-a */
    if (d != XMPPIM_BIND_CONFLICT) return xmppim_session_send_error_reply(s, iq, XMPPIM_STANZA_COND_NOT_ALLOWED);
    wanted = NULL; /* C7.7.2.2-a (1): assign a generated resource instead */
  }
  return xmppim_session_send_error_reply(s, iq, XMPPIM_STANZA_COND_CONFLICT);
}

/* ---- stanzas of a ready stream ---- */

static int subscription_type(const char *type) {
  return type && (strcmp(type, "subscribe") == 0 || strcmp(type, "subscribed") == 0 ||
                  strcmp(type, "unsubscribe") == 0 || strcmp(type, "unsubscribed") == 0);
}

static int on_client_stanza(xmppim_session *s, xmppim_stanza *st) {
  const char *from = xmppim_stanza_attr(st, "from");
  if (from) {
    /* The client may name itself by its full or bare JID, nothing else. */
    xmppim_jid *claimed = NULL;
    int ok = xmppim_jid_new(&claimed, from, strlen(from), &s->mem) == 0 &&
             (xmppim_jid_equal(claimed, s->bound) ||
              (xmppim_jid_is_bare(claimed) && xmppim_jid_bare_equal(claimed, s->bound)));
    xmppim_jid_free(claimed);
    if (!ok) return fail(s, XMPPIM_STREAM_INVALID_FROM, "the 'from' address is not the client's");
  }
  /* C8.1.2.1-a: stamp the full JID; subscription presence carries the bare
   * JID (RFC 6121 section 3). */
  int bare = strcmp(xmppim_stanza_name(st), "presence") == 0 && subscription_type(xmppim_stanza_attr(st, "type"));
  int rv = xmppim_stanza_set_attr(st, "from", bare ? xmppim_jid_bare_string(s->bound) : xmppim_jid_to_string(s->bound));
  /* C4.7.4-d: a stanza without xml:lang speaks the stream's language. */
  if (rv == 0 && s->peer_lang[0] && !xmppim_stanza_attr_ns(st, XMPPIM_NS_XML, "lang"))
    rv = xmppim_stanza_set_attr_ns(st, XMPPIM_NS_XML, "lang", s->peer_lang);
  if (rv) return rv;
  /* The RFC 3921 session request is a no-op that old clients still send. */
  const char *type = xmppim_stanza_attr(st, "type");
  if (strcmp(xmppim_stanza_name(st), "iq") == 0 && type && strcmp(type, "set") == 0 &&
      !xmppim_stanza_attr(st, "to") && xmppim_stanza_find_child(st, "session", NS_SESSION) &&
      xmppim_stanza_attr(st, "id"))
    return iq_result(s, st, NULL);
  return xmppim_session_dispatch_stanza(s, st);
}

int xmppim_server_on_element(xmppim_session *s, xmppim_stanza *el) {
  const char *ns = xmppim_stanza_ns(el);
  if (s->phase == PHASE_CLOSING && !s->was_ready) return 0; /* never authenticated: deliver nothing */
  if (s->phase == PHASE_READY || s->phase == PHASE_CLOSING) {
    if (ns && strcmp(ns, NS_CLIENT) == 0 &&
        (is(el, "message", NS_CLIENT) || is(el, "presence", NS_CLIENT) || is(el, "iq", NS_CLIENT)))
      return on_client_stanza(s, el);
    /* C4.8.4-b, C4.8.3-c */
    if (ns && strcmp(ns, NS_CLIENT) != 0 && !strchr(ns, ':'))
      return fail(s, XMPPIM_STREAM_INVALID_NAMESPACE, "unsupported content namespace");
    return fail(s, XMPPIM_STREAM_UNSUPPORTED_STANZA_TYPE, "not a stanza");
  }
  if (!s->authenticated) {
    if (is(el, "starttls", NS_TLS)) {
      if (!s->tls_offered || s->secure || s->phase != PHASE_NEGOTIATE) {
        /* C5.4.2.2-a: failure, then close. */
        xmppim_session_write_str(s, "<failure xmlns='" NS_TLS "'/>");
        xmppim_session_send_close(s);
        s->fatal = 1;
        xmppim_session_finish(s, XMPPIM_STREAM_UNDEFINED_CONDITION);
        return XMPPIM_ERR_PAUSE;
      }
      int rv = xmppim_session_write_str(s, "<proceed xmlns='" NS_TLS "'/>");
      xmppim_session_restart_parser(s);
      s->stop_feed = 1;
      s->phase = PHASE_TLS;
      if (s->cb.on_starttls) s->cb.on_starttls(s, s->user_data);
      return rv ? rv : XMPPIM_ERR_PAUSE;
    }
    if (is(el, "auth", NS_SASL)) return on_auth(s, el);
    if (is(el, "response", NS_SASL)) return on_response(s, el);
    if (is(el, "abort", NS_SASL)) return sasl_failure(s, XMPPIM_SASL_COND_ABORTED); /* C6.4.4-a */
    /* C4.3.5-c: nothing else before negotiation is done. */
    return fail(s, XMPPIM_STREAM_NOT_AUTHORIZED, "authenticate first");
  }
  if (is(el, "iq", NS_CLIENT)) {
    const char *type = xmppim_stanza_attr(el, "type");
    xmppim_stanza *bind = xmppim_stanza_find_child(el, "bind", NS_BIND);
    if (bind && type && strcmp(type, "set") == 0 && xmppim_stanza_attr(el, "id")) return on_bind(s, el, bind);
  }
  /* C7.1-c: before binding, only binding. */
  return fail(s, XMPPIM_STREAM_NOT_AUTHORIZED, "bind a resource first");
}
