#include "pair.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char binding_bytes[32] = "fixed channel binding bytes 0123";

static pair_side *side_of(pair *p, xmppim_session *s) {
  return s == p->client.s ? &p->client : &p->server;
}

static void on_ready(xmppim_session *s, const xmppim_jid *jid, void *ud) {
  (void)jid;
  side_of(ud, s)->ready = 1;
}

static void on_starttls(xmppim_session *s, void *ud) { side_of(ud, s)->starttls = 1; }

static void on_closed(xmppim_session *s, xmppim_stream_condition cond, void *ud) {
  pair_side *side = side_of(ud, s);
  side->closed = 1;
  side->closed_condition = cond;
}

static void on_stream_error(xmppim_session *s, xmppim_stream_condition cond, const char *text, void *ud) {
  (void)text;
  side_of(ud, s)->peer_error = cond;
}

static void on_auth_failed(xmppim_session *s, xmppim_sasl_condition cond, const char *text, void *ud) {
  (void)text;
  side_of(ud, s)->auth_failure = cond;
}

static int on_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  pair *p = ud;
  pair_side *side = side_of(p, s);
  side->stanzas++;
  xmppim_stanza_serialize(st, "jabber:client", side->last_stanza, sizeof(side->last_stanza), NULL);
  const char *type = xmppim_stanza_attr(st, "type");
  if (s == p->server.s && strcmp(xmppim_stanza_name(st), "iq") == 0 && type &&
      strcmp(type, "get") == 0) {
    if (!p->answer_iqs) return XMPPIM_STANZA_UNHANDLED;
    xmppim_stanza *r;
    if (xmppim_stanza_new(&r, NULL, "iq", "jabber:client") != 0) return -1;
    xmppim_stanza_set_attr(r, "type", "result");
    xmppim_stanza_set_attr(r, "id", xmppim_stanza_attr(st, "id"));
    xmppim_stanza_set_attr(r, "to", xmppim_stanza_attr(st, "from"));
    int rv = xmppim_session_send(s, r);
    xmppim_stanza_free(r);
    return rv;
  }
  return 0;
}

static xmppim_sasl_condition check_plain(const char *authcid, const char *password, const char *authzid,
                                         void *ud) {
  (void)ud;
  (void)authzid;
  return strcmp(authcid, PAIR_USER) == 0 && strcmp(password, PAIR_PASSWORD) == 0
             ? XMPPIM_SASL_COND_NONE
             : XMPPIM_SASL_COND_NOT_AUTHORIZED;
}

static xmppim_sasl_condition lookup_scram(const char *authcid, xmppim_scram_hash hash,
                                          xmppim_scram_credentials *creds, void *ud) {
  (void)ud;
  if (strcmp(authcid, PAIR_USER) != 0) return XMPPIM_SASL_COND_NOT_AUTHORIZED;
  static const unsigned char salt[] = "pair-salt-16byte";
  if (xmppim_scram_derive(creds, hash, PAIR_PASSWORD, salt, 16, 4096, NULL) != 0)
    return XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE;
  return XMPPIM_SASL_COND_NONE;
}

static xmppim_bind_decision on_bind(xmppim_session *s, const xmppim_jid *jid, void *ud) {
  (void)s;
  (void)jid;
  pair *p = ud;
  if (p->bind_conflicts > 0) {
    p->bind_conflicts--;
    return XMPPIM_BIND_CONFLICT;
  }
  return XMPPIM_BIND_ACCEPT;
}

void pair_init(pair *p, const char *client_jid, const char *password, const xmppim_options *copt,
               const xmppim_options *sopt) {
  int tls = p->tls_shim;
  const char *binding = p->binding_type;
  size_t chunk = p->chunk;
  int conflicts = p->bind_conflicts, answer = p->answer_iqs;
  memset(p, 0, sizeof(*p));
  p->tls_shim = tls;
  p->binding_type = binding;
  p->chunk = chunk;
  p->bind_conflicts = conflicts;
  p->answer_iqs = answer;
  xmppim_callbacks *cb;
  if (xmppim_callbacks_new(&cb) != 0) abort();
  xmppim_callbacks_set_on_ready(cb, on_ready);
  xmppim_callbacks_set_on_closed(cb, on_closed);
  xmppim_callbacks_set_on_stream_error(cb, on_stream_error);
  xmppim_callbacks_set_on_auth_failed(cb, on_auth_failed);
  xmppim_callbacks_set_on_stanza(cb, on_stanza);
  if (tls) xmppim_callbacks_set_on_starttls(cb, on_starttls);
  xmppim_callbacks_set_sasl_plain(cb, check_plain);
  xmppim_callbacks_set_sasl_scram(cb, lookup_scram);
  xmppim_callbacks_set_on_bind(cb, on_bind);
  if (xmppim_session_server_new(&p->server.s, PAIR_DOMAIN, cb, p, sopt, NULL) != 0) abort();
  if (xmppim_session_client_new(&p->client.s, client_jid, password, cb, p, copt, NULL) != 0) abort();
  xmppim_callbacks_free(cb);
}

static void record(pair_side *side, const char *data, size_t n) {
  size_t room = sizeof(side->transcript) - 1 - side->transcript_len;
  if (n > room) n = room;
  if (n) memcpy(side->transcript + side->transcript_len, data, n);
  side->transcript_len += n;
  side->transcript[side->transcript_len] = '\0';
}

/* Moves what `from` wrote into `to`. */
static size_t move(pair *p, pair_side *from, pair_side *to) {
  const char *data;
  size_t n = xmppim_session_output(from->s, &data);
  if (!n) return 0;
  if (p->chunk && n > p->chunk) n = p->chunk;
  if (!xmppim_session_want_read(to->s)) {
    /* The peer is gone: the bytes go nowhere, as on a closed socket. */
    record(from, data, n);
    xmppim_session_consumed(from->s, n);
    return n;
  }
  long used = xmppim_session_feed(to->s, data, n);
  if (used == XMPPIM_ERR_BACKPRESSURE) return 0; /* it must write first */
  if (used < 0) used = (long)n; /* the receiver failed; its error is in its output */
  record(from, data, (size_t)used);
  xmppim_session_consumed(from->s, (size_t)used);
  return (size_t)used;
}

size_t pair_pump(pair *p) {
  size_t total = 0;
  for (int round = 0; round < 100000; round++) {
    size_t moved = move(p, &p->client, &p->server) + move(p, &p->server, &p->client);
    if (p->tls_shim && (p->client.starttls || p->server.starttls) &&
        !xmppim_session_want_write(p->server.s) && p->client.starttls && p->server.starttls) {
      /* Both sides reached the handshake: it "succeeds" with shared bytes. */
      xmppim_sasl_channel_binding cb = {p->binding_type, binding_bytes, sizeof(binding_bytes)};
      const xmppim_sasl_channel_binding *b = p->binding_type ? &cb : NULL;
      p->client.starttls = p->server.starttls = 0;
      if (xmppim_session_tls_established(p->server.s, b) != 0) abort();
      if (xmppim_session_tls_established(p->client.s, b) != 0) abort();
      moved++;
    }
    total += moved;
    if (!moved) break;
  }
  return total;
}

void pair_free(pair *p) {
  xmppim_session_free(p->client.s);
  xmppim_session_free(p->server.s);
}

long pair_feed_raw(pair_side *side, const char *text) {
  return xmppim_session_feed(side->s, text, strlen(text));
}

const char *pair_take_output(pair_side *side) {
  const char *data;
  size_t n = xmppim_session_output(side->s, &data);
  side->transcript_len = 0;
  record(side, data, n);
  xmppim_session_consumed(side->s, n);
  return side->transcript;
}
