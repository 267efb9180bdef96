/*
 * Writes the recorded seeds of the session fuzz targets: a client session
 * and a server session, made exactly as the targets make theirs
 * (fz_options, fz_callbacks, the TLS stand-in, the deterministic
 * gnutls_rnd of fuzz_session.c), talk in memory through a scenario; what
 * the client sent is a seed for fuzz_session_server, what the server sent
 * one for fuzz_session_client. Because randomness is the same fixed bytes
 * in the targets, the SCRAM nonces, proofs and signatures, stream ids and
 * IQ ids in the recordings are the ones the targets will compute: a seed
 * replays the whole login and reaches the ready stream.
 *
 * A seed is written only for a side whose peer in the scenario is set up
 * as the target's own session is (a scenario that changes the client's
 * options yields only a server seed, and the other way round). Scenarios
 * that need a FZ_CFG_* setting other than 0 are written with the input
 * prefix of fuzz_session.h.
 *
 * usage: gen_session_corpus CORPUS_DIR   (writes CORPUS_DIR/session_server/rec-*,
 *                                         CORPUS_DIR/session_client/rec-*)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_session.h"

typedef struct scenario {
  const char *name;
  unsigned cfg;             /* FZ_CFG_* bits, both sides */
  const char *client_jid;   /* NULL: the target's */
  const char *password;     /* NULL: the right one */
  int client_no_tls;        /* the client ignores STARTTLS */
  int server_no_tls;        /* the server does not offer STARTTLS */
  unsigned client_mechs;    /* 0: the target's */
  unsigned server_mechs;
  int server_plain_without_tls;
  int chat;                 /* exchange stanzas once ready */
  const char *end;          /* "client", "server", "error", "command" or NULL */
  int server_seed, client_seed;
} scenario;

#define MECH(m) (1u << XMPPIM_SASL_MECH_##m)

static const scenario scenarios[] = {
  /* The targets' own sessions: both seeds. */
  {"scram-sha-256-plus-starttls", 0, NULL, NULL, 0, 0, 0, 0, 0, 1, "client", 1, 1},
  {"scram-sha-256-plus-server-closes", 0, NULL, NULL, 0, 0, 0, 0, 0, 1, "server", 1, 1},
  {"scram-sha-256-plus-stream-error", 0, NULL, NULL, 0, 0, 0, 0, 0, 1, "error", 1, 1},
  {"scram-sha-256-plus-close-command", 0, NULL, NULL, 0, 0, 0, 0, 0, 1, "command", 1, 1},
  {"login-only", 0, NULL, NULL, 0, 0, 0, 0, 0, 0, NULL, 1, 1},
  {"tls-unique", 0x01, NULL, NULL, 0, 0, 0, 0, 0, 1, "client", 1, 1},
  {"no-binding", 0x02, NULL, NULL, 0, 0, 0, 0, 0, 1, "client", 1, 1},
  {"direct-tls", 0x03, NULL, NULL, 0, 0, 0, 0, 0, 1, "client", 1, 1},
  {"small-limits-timers", 0x0c, NULL, NULL, 0, 0, 0, 0, 0, 1, "client", 1, 1},
  {"require-tls", 0x10, NULL, NULL, 0, 0, 0, 0, 0, 1, "client", 1, 1},
  {"strict", 0x20, NULL, NULL, 0, 0, 0, 0, 0, 1, "client", 1, 1},
  {"no-sha256", 0x40, NULL, NULL, 0, 0, 0, 0, 0, 1, "client", 1, 1},
  {"erratic", 0x80, NULL, NULL, 0, 0, 0, 0, 0, 1, "client", 1, 1},
  /* Other clients against the target's server. */
  {"scram-sha-1-no-tls", 0, "juliet@example.com/orchard", NULL, 1, 0, MECH(SCRAM_SHA_1), 0, 0, 1, "client", 1, 0},
  {"scram-sha-256-no-tls", 0, NULL, NULL, 1, 0, 0, 0, 0, 1, "client", 1, 0},
  {"scram-sha-1-plus", 0, NULL, NULL, 0, 0, MECH(SCRAM_SHA_1_PLUS), 0, 0, 1, "client", 1, 0},
  {"plain-over-tls", 0, NULL, NULL, 0, 0, MECH(PLAIN), 0, 0, 1, "client", 1, 0},
  {"bind-conflict", 0, "juliet@example.com/conflict", NULL, 0, 0, 0, 0, 0, 1, "client", 1, 0},
  {"bind-generated", 0, "juliet@example.com", NULL, 1, 0, 0, 0, 0, 1, "client", 1, 0},
  {"wrong-password-scram", 0, NULL, "wrong password", 1, 0, MECH(SCRAM_SHA_1), 0, 0, 0, NULL, 1, 1},
  {"wrong-password-plain", 0, NULL, "wrong password", 0, 0, MECH(PLAIN), 0, 0, 0, NULL, 1, 0},
  {"unknown-user", 0, "romeo@example.com/garden", NULL, 1, 0, 0, 0, 0, 0, NULL, 1, 0},
  /* Other servers against the target's client. */
  {"server-no-starttls", 0, NULL, NULL, 0, 1, 0, 0, 0, 1, "client", 0, 1},
  {"server-scram-sha-1-only", 0, NULL, NULL, 0, 1, 0, MECH(SCRAM_SHA_1), 0, 1, "server", 0, 1},
  {"server-plain-only", 0, NULL, NULL, 0, 1, 0, MECH(PLAIN), 1, 1, "client", 0, 1},
  {"server-plain-over-tls", 0, NULL, NULL, 0, 0, 0, MECH(PLAIN), 0, 1, "error", 0, 1},
};

typedef struct side {
  fz_host h;
  fz_buf sent; /* what reached the peer (or would have, had it still read) */
} side;

static void record_and_consume(side *from, const char *data, size_t n) {
  fz_buf_add(&from->sent, data, n);
  xmppim_session_consumed(from->h.s, n);
}

static size_t move(side *from, side *to) {
  const char *data = NULL;
  size_t n = xmppim_session_output(from->h.s, &data);
  if (!n) return 0;
  if (!xmppim_session_want_read(to->h.s)) {
    if (xmppim_session_state_get(to->h.s) == XMPPIM_STATE_TLS) return 0; /* after the handshake */
    record_and_consume(from, data, n);
    return n;
  }
  long used = xmppim_session_feed(to->h.s, data, n);
  if (used == XMPPIM_ERR_BACKPRESSURE) {
    fz_drain_all(to->h.s, NULL); /* not reached with these scenarios */
    return 0;
  }
  if (used < 0) used = (long)n;
  record_and_consume(from, data, (size_t)used);
  return (size_t)used;
}

static void pump(side *c, side *s) {
  for (int round = 0; round < 100000; round++) {
    size_t moved = move(c, s) + move(s, c);
    if (c->h.starttls && s->h.starttls && !xmppim_session_want_write(s->h.s)) {
      c->h.starttls = s->h.starttls = 0;
      if (xmppim_session_tls_established(s->h.s, s->h.binding) != 0 ||
          xmppim_session_tls_established(c->h.s, c->h.binding) != 0)
        fz_fail("tls_established failed");
      moved++;
    }
    if (!moved) {
      /* Events a pause held back come out on an empty feed. */
      uint64_t before = c->h.events + s->h.events;
      if (xmppim_session_want_read(c->h.s)) xmppim_session_feed(c->h.s, NULL, 0);
      if (xmppim_session_want_read(s->h.s)) xmppim_session_feed(s->h.s, NULL, 0);
      if (c->h.events + s->h.events == before && !xmppim_session_want_write(c->h.s) &&
          !xmppim_session_want_write(s->h.s))
        return;
    }
  }
  fz_fail("the pair never went quiet");
}

static xmppim_stanza *stanza(const char *name, const char *type, const char *to) {
  xmppim_stanza *st = NULL;
  if (xmppim_stanza_new(&st, NULL, name, "jabber:client") != 0) fz_fail("out of memory");
  if (type) xmppim_stanza_set_attr(st, "type", type);
  if (to) xmppim_stanza_set_attr(st, "to", to);
  return st;
}

static void add_body(xmppim_stanza *st, const char *text) {
  xmppim_stanza *b = NULL;
  if (xmppim_stanza_add_child(st, "body", NULL, &b) != 0 || xmppim_stanza_add_text(b, text, strlen(text)) != 0)
    fz_fail("out of memory");
}

static void send_st(side *x, xmppim_stanza *st) {
  int rc = xmppim_session_send(x->h.s, st);
  if (rc != 0) fz_fail("xmppim_session_send(<%s>) returned %d in a scenario", xmppim_stanza_name(st), rc);
  xmppim_stanza_free(st);
}

static void send_iq(side *x, const char *type, const char *id, const char *to, const char *child, const char *ns) {
  xmppim_stanza *st = stanza("iq", type, to);
  xmppim_stanza_set_attr(st, "id", id);
  if (child) xmppim_stanza_add_child(st, child, ns, NULL);
  send_st(x, st);
}

static void chat(side *c, side *s) {
  xmppim_stanza *m = stanza("message", "chat", "romeo@example.net");
  add_body(m, "Art thou not Romeo, and a Montague?");
  send_st(c, m);
  send_st(c, stanza("presence", NULL, NULL));
  send_st(c, stanza("presence", "subscribe", "romeo@example.net"));
  send_iq(c, "get", "c1", FZ_DOMAIN, "ping", "urn:xmpp:ping");
  send_iq(c, "get", "c2", FZ_DOMAIN, "query", "jabber:iq:version");
  send_iq(c, "get", "c3", FZ_DOMAIN, "query", "http://jabber.org/protocol/disco#info");
  send_iq(c, "set", "c4", NULL, "session", "urn:ietf:params:xml:ns:xmpp-session");
  send_iq(c, "get", "c5", NULL, "query", "jabber:iq:roster");
  static const char *const commands[] = {"echo", "take", "ping"};
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
    m = stanza("message", "normal", FZ_DOMAIN);
    add_body(m, commands[i]);
    send_st(c, m);
  }
  pump(c, s);
  m = stanza("message", "chat", FZ_CLIENT_JID);
  xmppim_stanza_set_attr(m, "from", "romeo@example.net/orchard");
  add_body(m, "Neither, fair saint, if either thee dislike.");
  send_st(s, m);
  xmppim_stanza *p = stanza("presence", NULL, FZ_CLIENT_JID);
  xmppim_stanza_set_attr(p, "from", "romeo@example.net/orchard");
  send_st(s, p);
  send_iq(s, "get", "s1", FZ_CLIENT_JID, "query", "jabber:iq:version");
  send_iq(s, "get", "s2", FZ_CLIENT_JID, "query", "http://jabber.org/protocol/disco#info");
  send_iq(s, "set", "s3", FZ_CLIENT_JID, "query", "jabber:iq:roster");
  send_iq(s, "get", "s4", FZ_CLIENT_JID, "ping", "urn:xmpp:ping");
  pump(c, s);
}

static void write_seed(const char *dir, const char *target, const char *name, unsigned cfg, const fz_buf *b) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s/rec-%s.xml", dir, target, name);
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    exit(1);
  }
  if (cfg) {
    unsigned char prefix[2] = {1, (unsigned char)cfg};
    fwrite(prefix, 1, 2, f);
  }
  if (b->len) fwrite(b->data, 1, b->len, f);
  if (fclose(f) != 0) {
    perror(path);
    exit(1);
  }
  printf("%s (%zu bytes)\n", path, b->len + (cfg ? 2 : 0));
}

static void run(const scenario *sc, const char *dir) {
  side *c = calloc(1, sizeof(*c)), *s = calloc(1, sizeof(*s));
  if (!c || !s) fz_fail("out of memory");
  c->h.role = XMPPIM_ROLE_CLIENT;
  s->h.role = XMPPIM_ROLE_SERVER;
  c->h.cfg = s->h.cfg = sc->cfg;
  c->h.rng = 1;
  s->h.rng = 2;
  c->h.now = s->h.now = 1000;
  c->h.binding = s->h.binding = fz_binding(sc->cfg);

  xmppim_options *so = fz_options(XMPPIM_ROLE_SERVER, sc->cfg);
  xmppim_options *co = fz_options(XMPPIM_ROLE_CLIENT, sc->cfg);
  if (sc->server_mechs) xmppim_options_set_sasl_mechanisms(so, sc->server_mechs);
  if (sc->client_mechs) xmppim_options_set_sasl_mechanisms(co, sc->client_mechs);
  if (sc->server_plain_without_tls) xmppim_options_set_allow_plain_without_tls(so, 1);
  xmppim_callbacks *scb = fz_callbacks(XMPPIM_ROLE_SERVER, sc->cfg);
  xmppim_callbacks *ccb = fz_callbacks(XMPPIM_ROLE_CLIENT, sc->cfg);
  if (sc->server_no_tls) xmppim_callbacks_set_on_starttls(scb, NULL);
  if (sc->client_no_tls) xmppim_callbacks_set_on_starttls(ccb, NULL);
  if (xmppim_session_server_new(&s->h.s, FZ_DOMAIN, scb, &s->h, so, NULL) != 0 ||
      xmppim_session_client_new(&c->h.s, sc->client_jid ? sc->client_jid : FZ_CLIENT_JID,
                                sc->password ? sc->password : FZ_PASSWORD, ccb, &c->h, co, NULL) != 0)
    fz_fail("%s: creating the sessions failed", sc->name);
  xmppim_callbacks_free(scb);
  xmppim_callbacks_free(ccb);
  xmppim_options_free(so);
  xmppim_options_free(co);
  xmppim_session_timeout(s->h.s, 1000);
  xmppim_session_timeout(c->h.s, 1000);
  if ((sc->cfg & FZ_CFG_BINDING_MASK) == 3) {
    xmppim_session_tls_established(s->h.s, s->h.binding);
    xmppim_session_tls_established(c->h.s, c->h.binding);
  }

  pump(c, s);
  int ready = c->h.ready && s->h.ready;
  if (sc->chat) {
    if (!ready) fz_fail("%s: not ready (client %d, server %d)", sc->name, c->h.ready, s->h.ready);
    chat(c, s);
  }
  if (sc->end && ready) {
    if (strcmp(sc->end, "client") == 0) {
      xmppim_session_close(c->h.s);
    } else if (strcmp(sc->end, "server") == 0) {
      xmppim_session_close(s->h.s);
    } else if (strcmp(sc->end, "error") == 0) {
      xmppim_session_stream_error(s->h.s, XMPPIM_STREAM_SYSTEM_SHUTDOWN, "going down for maintenance");
    } else {
      xmppim_stanza *m = stanza("message", "normal", FZ_DOMAIN);
      add_body(m, "close");
      send_st(c, m);
    }
    pump(c, s);
  }
  printf("%s: client %s, server %s\n", sc->name, xmppim_session_state_get(c->h.s) == XMPPIM_STATE_CLOSED ? "closed" : "open",
         xmppim_session_state_get(s->h.s) == XMPPIM_STATE_CLOSED ? "closed" : "open");
  if (sc->server_seed) write_seed(dir, "session_server", sc->name, sc->cfg, &c->sent);
  if (sc->client_seed) write_seed(dir, "session_client", sc->name, sc->cfg, &s->sent);
  xmppim_session_free(c->h.s);
  xmppim_session_free(s->h.s);
  fz_buf_free(&c->sent);
  fz_buf_free(&s->sent);
  free(c);
  free(s);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) run(&scenarios[i], argv[1]);
  return 0;
}
