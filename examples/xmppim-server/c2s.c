#include "c2s.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xmppim.h>

#include "log.h"
#include "signals.h"

/* Buckets of the full-JID map; chains grow past this, so it is no cap. */
#define MAP_BUCKETS 1024
/* Connections accepted per wake-up, so that a flood cannot starve the rest. */
#define ACCEPT_BATCH 64
/* After our side ended a stream, how long the peer has to read it before
 * the socket is simply closed. */
#define CLOSE_GRACE_MS 5000
/* How long accepting pauses when the process is out of descriptors. */
#define ACCEPT_PAUSE_MS 1000
/* Period of the timeout checks. */
#define TICK_MS 1000

typedef struct conn conn;

struct conn {
  xs_c2s *c2s;
  unsigned long id;
  int fd;
  char peer[64];
  xmppim_session *session;
  xmppim_tls *tls;
  xmppim_loop_conn *lc; /* NULL once the loop stopped driving it */
  /* The full JID announced to the core with resource_bound, until the core
   * is told it is gone (or forgot it itself, through the close callback). */
  xmppim_jid *bound;
  conn *map_next;
  conn *prev, *next;
  uint64_t accepted_ms;
  uint64_t drop_at;    /* 0, or when the socket is cut whatever the stream says */
  int closing;         /* the stream is over or being ended */
  int overflowed;      /* a stanza for it did not fit its output: close it */
  int unbind_deferred; /* its stream ended inside a call into the core */
  char user[128];      /* the user name it tried to log in with, for the log */
};

struct xs_c2s {
  char domain[XMPPIM_JID_MAX + 1];
  xs_c2s_config cfg;
  xs_store *store;
  xmppim_server *srv;
  xmppim_callbacks *cb;
  xmppim_options *opt;
  xmppim_tls_config *tls;
  xmppim_loop *loop;
  xmppim_loop_source *listener, *ticker;
  int listen_fd;
  uint16_t port;
  conn *conns;
  size_t nconns;
  conn *map[MAP_BUCKETS];
  unsigned long next_id;
  uint64_t accept_paused_until;
  unsigned long refused;       /* connections refused at the limit, not logged yet */
  uint64_t refused_logged_at;
  uint64_t next_tick;
  int in_core;      /* inside a call into the server core */
  int work_pending; /* the ticker has flagged connections to see to now */
  int stopping;
  uint64_t stop_deadline;
  char store_error_seen[512]; /* the store keeps its last error: log each new one once */
};

/* The store's failures inside the core's calls reach the client as
 * internal-server-error; the operator reads why here. */
static void note_store_error(xs_c2s *c) {
  const char *e = xs_store_error(c->store);
  if (!e[0] || strcmp(e, c->store_error_seen) == 0) return;
  snprintf(c->store_error_seen, sizeof c->store_error_seen, "%s", e);
  xs_log(XS_LOG_WARN, "store: %s", e);
}

/* ---- full JID -> connection ---- */

static size_t bucket_of(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return (size_t)(h % MAP_BUCKETS);
}

static conn *map_find(xs_c2s *c, const char *full) {
  for (conn *k = c->map[bucket_of(full)]; k; k = k->map_next)
    if (strcmp(xmppim_jid_to_string(k->bound), full) == 0) return k;
  return NULL;
}

static void map_insert(xs_c2s *c, conn *k) {
  size_t b = bucket_of(xmppim_jid_to_string(k->bound));
  k->map_next = c->map[b];
  c->map[b] = k;
}

static void map_remove(xs_c2s *c, conn *k) {
  for (conn **p = &c->map[bucket_of(xmppim_jid_to_string(k->bound))]; *p; p = &(*p)->map_next) {
    if (*p == k) {
      *p = k->map_next;
      k->map_next = NULL;
      return;
    }
  }
}

/* Forgets the bound JID without telling the core (it knows already). */
static void forget_bound(conn *k) {
  if (!k->bound) return;
  map_remove(k->c2s, k);
  xmppim_jid_free(k->bound);
  k->bound = NULL;
}

/* ---- the connection's end ---- */

/* Tells the core the resource is gone; from inside a call into the core
 * (a stream that died while being written to) that waits for the ticker,
 * since the core must not be re-entered. */
static void unbind(conn *k) {
  xs_c2s *c = k->c2s;
  if (!k->bound) return;
  if (c->in_core) {
    k->unbind_deferred = 1;
    c->work_pending = 1;
    return;
  }
  k->unbind_deferred = 0;
  xmppim_jid *jid = k->bound;
  map_remove(c, k);
  k->bound = NULL;
  c->in_core++;
  int rv = xmppim_server_resource_unbound(c->srv, jid);
  c->in_core--;
  note_store_error(c);
  if (rv != 0)
    xs_log(XS_LOG_WARN, "conn %lu: the core did not know %s: %s", k->id, xmppim_jid_to_string(jid),
           xmppim_strerror(rv));
  else
    xs_log(XS_LOG_INFO, "conn %lu: %s is offline", k->id, xmppim_jid_to_string(jid));
  xmppim_jid_free(jid);
}

/* Ends the stream with a stream error; the socket is cut after a grace
 * period if the peer does not finish reading. */
static void close_stream(conn *k, xmppim_stream_condition cond, const char *text, uint64_t now) {
  k->closing = 1;
  if (!k->drop_at || k->drop_at > now + CLOSE_GRACE_MS) k->drop_at = now + CLOSE_GRACE_MS;
  (void)xmppim_session_stream_error(k->session, cond, text);
}

static void conn_destroy(conn *k) {
  xs_c2s *c = k->c2s;
  if (k->lc) xmppim_loop_conn_remove(k->lc);
  k->lc = NULL;
  unbind(k);
  xmppim_tls_free(k->tls);
  xmppim_session_free(k->session);
  close(k->fd);
  if (k->prev)
    k->prev->next = k->next;
  else
    c->conns = k->next;
  if (k->next) k->next->prev = k->prev;
  c->nconns--;
  free(k);
}

/* The loop has written the stream error that explains a session's failure
 * (and the close tag) as far as the socket took them. Closing a socket with
 * unread input sends a reset, which can destroy them on their way: say we
 * are done, and read what is there before the close. */
static void drain_before_close(conn *k) {
  shutdown(k->fd, SHUT_WR);
  char sink[4096];
  for (int i = 0; i < 16 && recv(k->fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++) {
  }
}

static void conn_done(xmppim_loop_conn *lc, xmppim_session *s, int fd, int status, void *ud) {
  (void)lc, (void)s, (void)fd;
  conn *k = ud;
  k->lc = NULL; /* the loop frees it */
  if (status != 0 && status != XMPPIM_ERR_IO) drain_before_close(k);
  if (status == 0) {
    xs_log(XS_LOG_INFO, "conn %lu (%s): connection closed", k->id, k->peer);
  } else {
    const char *tls_text = xmppim_tls_error_text(k->tls);
    xs_log(XS_LOG_INFO, "conn %lu (%s): connection ended: %s%s%s", k->id, k->peer, xmppim_strerror(status),
           tls_text[0] ? ": " : "", tls_text);
  }
  conn_destroy(k);
}

/* ---- session callbacks (the user data is the connection) ---- */

static uint64_t now_ms(void) { return xmppim_loop_now(); }

static void on_starttls(xmppim_session *s, void *ud) {
  (void)s;
  conn *k = ud;
  if (xmppim_tls_start(k->tls) != 0) xs_log(XS_LOG_WARN, "conn %lu: TLS could not start", k->id);
}

static void on_log(xmppim_session *s, xmppim_log_level level, const char *message, void *ud) {
  (void)s;
  conn *k = ud;
  xs_log_level mine = level == XMPPIM_LOG_ERROR     ? XS_LOG_ERROR
                      : level == XMPPIM_LOG_WARNING ? XS_LOG_WARN
                      : level == XMPPIM_LOG_INFO    ? XS_LOG_INFO
                                                    : XS_LOG_DEBUG;
  /* A stream error is the client's fault or our decision, not the
   * server's trouble; the binding line is said again by on_ready. */
  if (strncmp(message, "stream error ", 13) == 0 || strncmp(message, "peer stream error ", 18) == 0)
    mine = XS_LOG_INFO;
  else if (strncmp(message, "ready as ", 9) == 0)
    mine = XS_LOG_DEBUG;
  /* The session's own line does not say who tried (never the password). */
  if (strncmp(message, "authentication failed", 21) == 0 && k->user[0])
    xs_log(XS_LOG_INFO, "conn %lu (%s): user '%s': %s", k->id, k->peer, k->user, message);
  else
    xs_log(mine, "conn %lu (%s): %s", k->id, k->peer, message);
}

static void on_closed(xmppim_session *s, xmppim_stream_condition cond, void *ud) {
  (void)s;
  conn *k = ud;
  xs_log(XS_LOG_DEBUG, "conn %lu: stream closed%s%s", k->id, cond != XMPPIM_STREAM_OK ? " with " : "",
         cond != XMPPIM_STREAM_OK ? xmppim_stream_condition_name(cond) : "");
  k->closing = 1;
  uint64_t now = now_ms();
  if (!k->drop_at || k->drop_at > now + CLOSE_GRACE_MS) k->drop_at = now + CLOSE_GRACE_MS;
  unbind(k);
}

static xmppim_sasl_condition lookup_scram(const char *authcid, xmppim_scram_hash hash,
                                          xmppim_scram_credentials *creds, void *ud) {
  conn *k = ud;
  snprintf(k->user, sizeof k->user, "%s", authcid);
  xs_c2s *c = k->c2s;
  xmppim_sasl_condition cond = xs_store_scram_lookup(authcid, hash, creds, c->store);
  if (cond == XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE)
    xs_log(XS_LOG_ERROR, "conn %lu: store: %s", k->id, xs_store_error(c->store));
  /* An unknown user is an authentication failure, logged as one. */
  snprintf(c->store_error_seen, sizeof c->store_error_seen, "%s", xs_store_error(c->store));
  return cond;
}

/* PLAIN, over TLS only (the session requires TLS before any mechanism),
 * for clients without SCRAM (Perl's Authen::SASL, go-xmpp without
 * channel binding): the password is checked against the stored SCRAM
 * credentials by deriving them again with the stored salt, so no password
 * is ever kept. An unknown user costs the same derivation. */
static xmppim_sasl_condition verify_plain(const char *authcid, const char *password, const char *authzid,
                                          void *ud) {
  (void)authzid; /* checked by the session against the account's own JID */
  xmppim_scram_credentials stored, given;
  memset(&stored, 0, sizeof stored);
  stored.hash = XMPPIM_SCRAM_SHA_256;
  xmppim_sasl_condition cond = lookup_scram(authcid, XMPPIM_SCRAM_SHA_256, &stored, ud);
  if (cond != XMPPIM_SASL_COND_NONE && cond != XMPPIM_SASL_COND_NOT_AUTHORIZED) return cond;
  static const unsigned char dummy_salt[] = "xmppim-no-user!!";
  int known = cond == XMPPIM_SASL_COND_NONE;
  if (xmppim_scram_derive(&given, XMPPIM_SCRAM_SHA_256, password, known ? stored.salt : dummy_salt,
                          known ? stored.salt_len : 16, known && stored.iterations ? stored.iterations : 4096,
                          NULL) != 0)
    return XMPPIM_SASL_COND_NOT_AUTHORIZED;
  unsigned char diff = 0;
  size_t n = xmppim_scram_key_len(XMPPIM_SCRAM_SHA_256);
  for (size_t i = 0; i < n; i++) diff |= (unsigned char)(given.stored_key[i] ^ stored.stored_key[i]);
  volatile unsigned char *wipe = (volatile unsigned char *)&given;
  for (size_t i = 0; i < sizeof given; i++) wipe[i] = 0;
  return known && diff == 0 ? XMPPIM_SASL_COND_NONE : XMPPIM_SASL_COND_NOT_AUTHORIZED;
}

/* A resource already bound elsewhere is taken over: the old stream ends
 * with conflict (RFC 6120 7.7.2.2, second option) and its resource goes
 * unavailable before the new one comes. */
static xmppim_bind_decision on_bind(xmppim_session *s, const xmppim_jid *full, void *ud) {
  (void)s;
  conn *k = ud;
  conn *old = map_find(k->c2s, xmppim_jid_to_string(full));
  if (old && old != k) {
    xs_log(XS_LOG_INFO, "conn %lu: %s moves here from conn %lu, which is closed with conflict", k->id,
           xmppim_jid_to_string(full), old->id);
    old->closing = 1;
    unbind(old);
    close_stream(old, XMPPIM_STREAM_CONFLICT, "replaced by a new connection", now_ms());
  }
  return XMPPIM_BIND_ACCEPT;
}

static void on_ready(xmppim_session *s, const xmppim_jid *jid, void *ud) {
  conn *k = ud;
  xs_c2s *c = k->c2s;
  if (xmppim_jid_copy(&k->bound, jid, NULL) != 0) {
    xs_log(XS_LOG_ERROR, "conn %lu: out of memory", k->id);
    close_stream(k, XMPPIM_STREAM_INTERNAL_SERVER_ERROR, NULL, now_ms());
    return;
  }
  /* In the map first: binding may already deliver to it. */
  map_insert(c, k);
  c->in_core++;
  int rv = xmppim_server_resource_bound(c->srv, jid);
  c->in_core--;
  note_store_error(c);
  if (rv == XMPPIM_ERR_NOT_FOUND) {
    /* deleted between authentication and binding */
    forget_bound(k);
    xs_log(XS_LOG_INFO, "conn %lu: %s cannot go online: the account no longer exists", k->id,
           xmppim_jid_to_string(jid));
    close_stream(k, XMPPIM_STREAM_NOT_AUTHORIZED, NULL, now_ms());
    return;
  }
  if (rv != 0) {
    forget_bound(k);
    xs_log(XS_LOG_ERROR, "conn %lu: %s cannot go online: %s", k->id, xmppim_jid_to_string(jid), xmppim_strerror(rv));
    close_stream(k, XMPPIM_STREAM_INTERNAL_SERVER_ERROR, NULL, now_ms());
    return;
  }
  const char *tls = xmppim_tls_version(k->tls);
  const char *mechanism = xmppim_sasl_mechanism_name(xmppim_session_mechanism(s));
  xs_log(XS_LOG_INFO, "conn %lu (%s): %s is online (%s, %s)", k->id, k->peer, xmppim_jid_to_string(jid),
         tls ? tls : "no TLS", mechanism ? mechanism : "?");
}

/* ---- what the server answers itself (stanzas to the domain) ---- */

#define NS_CLIENT "jabber:client"
#define NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define NS_PING "urn:xmpp:ping"
#define NS_VERSION "jabber:iq:version"

static int add_text_child(xmppim_stanza *parent, const char *name, const char *text) {
  xmppim_stanza *child;
  int rv = xmppim_stanza_add_child(parent, name, NULL, &child);
  if (rv == 0) rv = xmppim_stanza_add_text(child, text, strlen(text));
  return rv;
}

static int fill_disco_info(xmppim_stanza *query) {
  static const char *const features[] = {NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, NS_VERSION, "msgoffline"};
  xmppim_stanza *el;
  int rv = xmppim_stanza_add_child(query, "identity", NULL, &el);
  if (rv == 0) rv = xmppim_stanza_set_attr(el, "category", "server");
  if (rv == 0) rv = xmppim_stanza_set_attr(el, "type", "im");
  if (rv == 0) rv = xmppim_stanza_set_attr(el, "name", "xmppim-server");
  for (size_t i = 0; rv == 0 && i < sizeof features / sizeof features[0]; i++) {
    rv = xmppim_stanza_add_child(query, "feature", NULL, &el);
    if (rv == 0) rv = xmppim_stanza_set_attr(el, "var", features[i]);
  }
  return rv;
}

/* IQ gets to the server itself: ping (XEP-0199), service discovery
 * (XEP-0030) and software version (XEP-0092). Anything else is left to
 * the session, which answers service-unavailable. */
static int answer_own(conn *k, const xmppim_stanza *st) {
  if (strcmp(xmppim_stanza_name(st), "iq") != 0) return 0; /* messages and presence to the domain: dropped */
  const char *type = xmppim_stanza_attr(st, "type");
  const xmppim_stanza *payload = xmppim_stanza_first_child(st);
  if (!type || strcmp(type, "get") != 0 || !payload || !xmppim_stanza_ns(payload)) return XMPPIM_STANZA_UNHANDLED;
  const char *ns = xmppim_stanza_ns(payload), *name = xmppim_stanza_name(payload);
  int ping = strcmp(ns, NS_PING) == 0 && strcmp(name, "ping") == 0;
  int info = strcmp(ns, NS_DISCO_INFO) == 0 && strcmp(name, "query") == 0 && !xmppim_stanza_attr(payload, "node");
  int items = strcmp(ns, NS_DISCO_ITEMS) == 0 && strcmp(name, "query") == 0;
  int version = strcmp(ns, NS_VERSION) == 0 && strcmp(name, "query") == 0;
  if (!ping && !info && !items && !version) return XMPPIM_STANZA_UNHANDLED;
  xmppim_stanza *reply, *query = NULL;
  int rv = xmppim_stanza_new(&reply, NULL, "iq", NS_CLIENT);
  if (rv != 0) return rv;
  rv = xmppim_stanza_set_attr(reply, "type", "result");
  if (rv == 0) rv = xmppim_stanza_set_attr(reply, "id", xmppim_stanza_attr(st, "id"));
  if (rv == 0) rv = xmppim_stanza_set_attr(reply, "to", xmppim_stanza_attr(st, "from"));
  if (rv == 0 && xmppim_stanza_attr(st, "to")) rv = xmppim_stanza_set_attr(reply, "from", xmppim_stanza_attr(st, "to"));
  if (rv == 0 && !ping) rv = xmppim_stanza_add_child(reply, "query", ns, &query);
  if (rv == 0 && info) rv = fill_disco_info(query);
  if (rv == 0 && version) rv = add_text_child(query, "name", "xmppim-server");
  if (rv == 0 && version) rv = add_text_child(query, "version", xmppim_version(NULL));
  if (rv == 0) rv = xmppim_session_send(k->session, reply);
  xmppim_stanza_free(reply);
  if (rv == XMPPIM_ERR_NOMEM) return rv;
  if (rv != 0) xs_log(XS_LOG_DEBUG, "conn %lu: answer not sent: %s", k->id, xmppim_strerror(rv));
  return 0;
}

static int on_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  (void)s;
  conn *k = ud;
  xs_c2s *c = k->c2s;
  if (!k->bound) return XMPPIM_STANZA_UNHANDLED; /* its resource failed to go online */
  c->in_core++;
  int rv = xmppim_server_handle_stanza(c->srv, k->bound, st);
  c->in_core--;
  note_store_error(c);
  if (rv == 1) return 0;
  if (rv == 0) return answer_own(k, st);
  if (rv == XMPPIM_ERR_NOMEM) return rv;
  xs_log(XS_LOG_DEBUG, "conn %lu: <%s/> not processed: %s", k->id, xmppim_stanza_name(st), xmppim_strerror(rv));
  return XMPPIM_STANZA_UNHANDLED;
}

/* ---- server core callbacks (the user data is the service) ---- */

static int deliver(xmppim_server *srv, const xmppim_jid *to, const xmppim_stanza *st, void *ud) {
  (void)srv;
  xs_c2s *c = ud;
  conn *k = map_find(c, xmppim_jid_to_string(to));
  if (!k) return XMPPIM_ERR_NOT_FOUND;
  int rv = xmppim_session_send(k->session, st);
  if (rv == XMPPIM_ERR_BACKPRESSURE && !k->overflowed) {
    /* It does not read what it is sent: a stanza is lost, so it goes (the
     * core must not be re-entered from here, the ticker does it). */
    xs_log(XS_LOG_WARN, "conn %lu: %s reads too slowly; a <%s/> was lost, closing it", k->id,
           xmppim_jid_to_string(to), xmppim_stanza_name(st));
    k->overflowed = 1;
    c->work_pending = 1;
  }
  return rv;
}

static int route(xmppim_server *srv, const xmppim_jid *to, const xmppim_stanza *st, void *ud) {
  (void)srv, (void)ud;
  xs_log(XS_LOG_DEBUG, "no server-to-server: <%s/> to %s not routed", xmppim_stanza_name(st), xmppim_jid_to_string(to));
  return XMPPIM_ERR_NOT_FOUND;
}

/* The core ended a user's sessions (at shutdown): it sent the unavailable
 * presence and forgot the resource already. */
static void close_resource(xmppim_server *srv, const xmppim_jid *resource, xmppim_stream_condition cond, void *ud) {
  (void)srv;
  xs_c2s *c = ud;
  conn *k = map_find(c, xmppim_jid_to_string(resource));
  if (!k) return;
  forget_bound(k);
  k->unbind_deferred = 0;
  xs_log(XS_LOG_INFO, "conn %lu: %s closed with %s", k->id, xmppim_jid_to_string(resource),
         xmppim_stream_condition_name(cond));
  close_stream(k, cond, NULL, now_ms());
}

/* ---- the listener ---- */

static void conn_open(xs_c2s *c, int fd, uint64_t now) {
  conn *k = calloc(1, sizeof *k);
  if (!k) {
    xs_log(XS_LOG_ERROR, "out of memory: connection refused");
    close(fd);
    return;
  }
  k->c2s = c;
  k->fd = fd;
  k->id = ++c->next_id;
  k->accepted_ms = now;
  struct sockaddr_storage sa;
  socklen_t salen = sizeof sa;
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (getpeername(fd, (struct sockaddr *)&sa, &salen) == 0) {
    if (sa.ss_family == AF_INET) {
      struct sockaddr_in *in = (struct sockaddr_in *)&sa;
      inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
      port = ntohs(in->sin_port);
    } else if (sa.ss_family == AF_INET6) {
      struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;
      inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
      port = ntohs(in6->sin6_port);
    }
  }
  snprintf(k->peer, sizeof k->peer, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
  int rv = xmppim_session_server_new(&k->session, c->domain, c->cb, k, c->opt, NULL);
  if (rv == 0) rv = xmppim_tls_server_new(&k->tls, k->session, c->tls, NULL);
  if (rv == 0) rv = xmppim_loop_add_tls_session(c->loop, k->tls, k->session, fd, conn_done, k, &k->lc);
  if (rv != 0) {
    xs_log(XS_LOG_ERROR, "connection from %s refused: %s", k->peer, xmppim_strerror(rv));
    xmppim_tls_free(k->tls);
    xmppim_session_free(k->session);
    close(fd);
    free(k);
    return;
  }
  k->next = c->conns;
  if (c->conns) c->conns->prev = k;
  c->conns = k;
  c->nconns++;
  xs_log(XS_LOG_INFO, "conn %lu: accepted from %s (%zu open)", k->id, k->peer, c->nconns);
}

static size_t listener_prepare(void *ud, struct pollfd *fds, size_t max, uint64_t now, uint64_t *deadline) {
  xs_c2s *c = ud;
  if (max < 1 || c->stopping) return 0;
  if (c->accept_paused_until > now) {
    *deadline = c->accept_paused_until;
    return 0;
  }
  fds[0].fd = c->listen_fd;
  fds[0].events = POLLIN;
  return 1;
}

static void listener_dispatch(void *ud, const struct pollfd *fds, size_t n, uint64_t now) {
  xs_c2s *c = ud;
  if (c->stopping || n < 1 || !(fds[0].revents & POLLIN)) return;
  for (int i = 0; i < ACCEPT_BATCH; i++) {
    int fd = xmppim_net_accept(c->listen_fd);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      /* Out of descriptors or memory: waiting is the only cure, and polling
       * a listener that stays readable would spin. */
      xs_log(XS_LOG_WARN, "cannot accept connections: %s; pausing for %d ms", strerror(errno), ACCEPT_PAUSE_MS);
      c->accept_paused_until = now + ACCEPT_PAUSE_MS;
      return;
    }
    if (c->nconns >= c->cfg.max_connections) {
      /* One line per second at most: a flood must not flood the log too. */
      c->refused++;
      if (now >= c->refused_logged_at + 1000) {
        xs_log(XS_LOG_WARN, "%lu connection(s) refused: %zu open, the limit", c->refused, c->nconns);
        c->refused = 0;
        c->refused_logged_at = now;
      }
      close(fd);
      continue;
    }
    conn_open(c, fd, now);
  }
}

/* ---- timeouts and deferred work ---- */

static void see_to_connections(xs_c2s *c, uint64_t now) {
  if (c->refused && now >= c->refused_logged_at + 1000) {
    xs_log(XS_LOG_WARN, "%lu more connection(s) refused: the limit is %zu", c->refused, c->cfg.max_connections);
    c->refused = 0;
    c->refused_logged_at = now;
  }
  conn *next;
  for (conn *k = c->conns; k; k = next) {
    next = k->next;
    if (k->unbind_deferred) unbind(k);
    if (k->overflowed && !k->closing) close_stream(k, XMPPIM_STREAM_RESOURCE_CONSTRAINT, "too slow to read", now);
    if (!k->closing && xmppim_session_state_get(k->session) < XMPPIM_STATE_READY &&
        now - k->accepted_ms >= c->cfg.login_timeout_ms) {
      xs_log(XS_LOG_INFO, "conn %lu (%s): no login within %llu s%s%s%s", k->id, k->peer,
             (unsigned long long)(c->cfg.login_timeout_ms / 1000), k->user[0] ? " (user '" : "", k->user,
             k->user[0] ? "')" : "");
      close_stream(k, XMPPIM_STREAM_CONNECTION_TIMEOUT, "no login in time", now);
    }
    if (k->drop_at && now >= k->drop_at) {
      xs_log(XS_LOG_INFO, "conn %lu (%s): dropped (the stream did not finish closing)", k->id, k->peer);
      conn_destroy(k);
    }
  }
}

static size_t ticker_prepare(void *ud, struct pollfd *fds, size_t max, uint64_t now, uint64_t *deadline) {
  (void)fds, (void)max;
  xs_c2s *c = ud;
  if (!c->next_tick) c->next_tick = now + TICK_MS;
  *deadline = c->work_pending ? now : c->next_tick;
  return 0;
}

static void ticker_dispatch(void *ud, const struct pollfd *fds, size_t n, uint64_t now) {
  (void)fds, (void)n;
  xs_c2s *c = ud;
  c->work_pending = 0;
  if (now >= c->next_tick) c->next_tick = now + TICK_MS;
  see_to_connections(c, now);
}

/* ---- shutdown ---- */

static void begin_shutdown(xs_c2s *c, int sig, uint64_t now) {
  c->stopping = 1;
  c->stop_deadline = now + c->cfg.shutdown_grace_ms;
  xs_log(XS_LOG_INFO, "%s: shutting down (%zu connections)", sig == 2 ? "SIGINT" : sig == 15 ? "SIGTERM" : "signal",
         c->nconns);
  xmppim_loop_remove(c->loop, c->listener);
  c->listener = NULL;
  close(c->listen_fd);
  c->listen_fd = -1;
  /* Users one by one: each one's unavailable presence reaches the contacts
   * still connected, then its streams close with system-shutdown. */
  for (conn *k = c->conns; k; k = k->next) {
    if (!k->bound) continue;
    char user[XMPPIM_JID_MAX + 1];
    snprintf(user, sizeof user, "%s", xmppim_jid_bare_string(k->bound));
    c->in_core++;
    int rv = xmppim_server_close_user(c->srv, user, XMPPIM_STREAM_SYSTEM_SHUTDOWN);
    c->in_core--;
    note_store_error(c);
    if (rv < 0) {
      xs_log(XS_LOG_WARN, "conn %lu: closing %s: %s", k->id, user, xmppim_strerror(rv));
      unbind(k);
    }
  }
  for (conn *k = c->conns; k; k = k->next) {
    if (!k->closing) close_stream(k, XMPPIM_STREAM_SYSTEM_SHUTDOWN, NULL, now);
    if (!k->drop_at || k->drop_at > c->stop_deadline) k->drop_at = c->stop_deadline;
  }
}

typedef struct signal_watch {
  xs_c2s *c2s;
  int fd;
} signal_watch;

static size_t signal_prepare(void *ud, struct pollfd *fds, size_t max, uint64_t now, uint64_t *deadline) {
  (void)now, (void)deadline;
  signal_watch *w = ud;
  if (max < 1) return 0;
  fds[0].fd = w->fd;
  fds[0].events = POLLIN;
  return 1;
}

static void signal_dispatch(void *ud, const struct pollfd *fds, size_t n, uint64_t now) {
  signal_watch *w = ud;
  if (n < 1 || !(fds[0].revents & POLLIN)) return;
  int sig = xs_signals_drain();
  if (w->c2s->stopping)
    xs_log(XS_LOG_INFO, "already shutting down");
  else
    begin_shutdown(w->c2s, sig, now);
}

/* ---- the service ---- */

int xs_c2s_new(xs_c2s **out, const xs_c2s_config *cfg, xs_store *store, char *err, size_t errlen) {
  *out = NULL;
  xs_c2s *c = calloc(1, sizeof *c);
  if (!c) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  c->cfg = *cfg;
  c->store = store;
  c->listen_fd = -1;
  snprintf(c->domain, sizeof c->domain, "%s", cfg->domain);
  c->cfg.domain = c->domain;
  xmppim_server_callbacks *scb = NULL;
  int rv = xmppim_server_callbacks_new(&scb);
  if (rv == 0) {
    xs_store_install(store, scb);
    xmppim_server_callbacks_set_deliver(scb, deliver);
    xmppim_server_callbacks_set_route(scb, route);
    xmppim_server_callbacks_set_close(scb, close_resource);
    rv = xmppim_server_new(&c->srv, scb, c, NULL, NULL);
  }
  xmppim_server_callbacks_free(scb);
  if (rv == 0) rv = xmppim_server_add_domain(c->srv, c->domain);
  if (rv != 0) {
    snprintf(err, errlen, "cannot set up the server core: %s", xmppim_strerror(rv));
    goto fail;
  }
  rv = xmppim_callbacks_new(&c->cb);
  if (rv == 0) {
    xmppim_callbacks_set_on_starttls(c->cb, on_starttls);
    xmppim_callbacks_set_on_log(c->cb, on_log);
    xmppim_callbacks_set_on_closed(c->cb, on_closed);
    xmppim_callbacks_set_sasl_scram(c->cb, lookup_scram);
    if (!cfg->no_plain) xmppim_callbacks_set_sasl_plain(c->cb, verify_plain);
    xmppim_callbacks_set_on_bind(c->cb, on_bind);
    xmppim_callbacks_set_on_ready(c->cb, on_ready);
    xmppim_callbacks_set_on_stanza(c->cb, on_stanza);
    rv = xmppim_options_new(&c->opt);
  }
  if (rv == 0) rv = xmppim_options_set_require_tls(c->opt, 1);
  if (rv == 0) rv = xmppim_options_set_close_timeout(c->opt, CLOSE_GRACE_MS);
  if (rv == 0 && cfg->no_channel_binding)
    rv = xmppim_options_set_sasl_mechanisms(c->opt, (1u << XMPPIM_SASL_MECH_SCRAM_SHA_1) |
                                                        (1u << XMPPIM_SASL_MECH_SCRAM_SHA_256) |
                                                        (1u << XMPPIM_SASL_MECH_PLAIN));
  for (size_t i = 0; rv == 0; i++) {
    const char *name, *ns;
    if (xmppim_server_stream_feature(c->srv, i, &name, &ns) != 0) break;
    rv = xmppim_options_add_stream_feature(c->opt, name, ns);
  }
  if (rv != 0) {
    snprintf(err, errlen, "cannot set up the sessions: %s", xmppim_strerror(rv));
    goto fail;
  }
  rv = xmppim_tls_config_new(&c->tls);
  if (rv != 0) {
    snprintf(err, errlen, "cannot set up TLS: %s", xmppim_strerror(rv));
    goto fail;
  }
  /* Clients that bind with tls-unique only (slixmpp 1.8) choose a -PLUS
   * mechanism whenever one is offered, and fail under TLS 1.3, which has
   * no tls-unique: unless told otherwise, offer -PLUS where tls-unique is. */
  if (!cfg->tls_exporter) (void)xmppim_tls_config_set_channel_bindings(c->tls, XMPPIM_TLS_BINDING_UNIQUE);
  if (cfg->tls_priority && xmppim_tls_config_set_priority(c->tls, cfg->tls_priority) != 0) {
    snprintf(err, errlen, "bad TLS priority string '%s': %s", cfg->tls_priority, xmppim_tls_config_error_text(c->tls));
    goto fail;
  }
  if (xmppim_tls_config_set_cert_key_files(c->tls, cfg->cert_file, cfg->key_file) != 0) {
    snprintf(err, errlen, "cannot load the certificate %s and key %s: %s", cfg->cert_file, cfg->key_file,
             xmppim_tls_config_error_text(c->tls));
    goto fail;
  }
  if (xmppim_loop_new(&c->loop) != 0 ||
      xmppim_loop_add(c->loop, ticker_prepare, ticker_dispatch, c, &c->ticker) != 0) {
    snprintf(err, errlen, "out of memory");
    goto fail;
  }
  c->listen_fd = xmppim_net_listen(cfg->address, cfg->port, 0);
  if (c->listen_fd < 0) {
    snprintf(err, errlen, "cannot listen on %s port %u: %s", cfg->address, cfg->port, strerror(errno));
    goto fail;
  }
  c->port = xmppim_net_local_port(c->listen_fd);
  if (xmppim_loop_add(c->loop, listener_prepare, listener_dispatch, c, &c->listener) != 0) {
    snprintf(err, errlen, "out of memory");
    goto fail;
  }
  *out = c;
  return 0;
fail:
  xs_c2s_free(c);
  return -1;
}

uint16_t xs_c2s_port(const xs_c2s *c) { return c->port; }

int xs_c2s_run(xs_c2s *c, int signal_fd) {
  signal_watch watch = {c, signal_fd};
  xmppim_loop_source *src;
  if (xmppim_loop_add(c->loop, signal_prepare, signal_dispatch, &watch, &src) != 0) {
    xs_log(XS_LOG_ERROR, "out of memory");
    return -1;
  }
  int rv = 0;
  for (;;) {
    uint64_t now = xmppim_loop_now();
    if (c->stopping && (c->nconns == 0 || now >= c->stop_deadline)) break;
    int wait = c->stopping ? (int)(c->stop_deadline - now) : -1;
    if (xmppim_loop_run_once(c->loop, wait) < 0) {
      xs_log(XS_LOG_ERROR, "the event loop failed: %s", strerror(errno));
      rv = -1;
      break;
    }
  }
  xmppim_loop_remove(c->loop, src);
  if (c->nconns > 0)
    xs_log(XS_LOG_WARN, "%zu connections had not finished closing after %llu ms: dropped", c->nconns,
           (unsigned long long)c->cfg.shutdown_grace_ms);
  while (c->conns) conn_destroy(c->conns);
  return rv;
}

void xs_c2s_free(xs_c2s *c) {
  if (!c) return;
  while (c->conns) conn_destroy(c->conns);
  xmppim_loop_free(c->loop);
  if (c->listen_fd >= 0) close(c->listen_fd);
  xmppim_tls_config_free(c->tls);
  xmppim_options_free(c->opt);
  xmppim_callbacks_free(c->cb);
  xmppim_server_free(c->srv);
  free(c);
}
