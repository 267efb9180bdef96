/*
 * xmppim_client: a client session, the TLS adapter, the dialer (or a fixed
 * address), the roster and the presence tracker on an xmppim_loop.
 */
#include <xmppim/client.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xmppim/net.h>
#include <xmppim/stanza.h>

struct xmppim_client_options {
  const xmppim_tls_config *tls;
  char *ca_file;
  int insecure;
  char *address;
  uint16_t port;
  char *dns_servers;
  int initial_presence, auto_roster, reconnect;
  uint32_t backoff_first, backoff_max;
  char error[256]; /* why the last setter failed */
};

typedef enum {
  ST_IDLE,      /* nothing under way */
  ST_DIALING,   /* resolving / connecting */
  ST_SESSION,   /* the session runs over the socket */
  ST_TEARDOWN,  /* the session ended: free it in the next dispatch */
  ST_WAIT       /* waiting to reconnect */
} client_state;

struct xmppim_client {
  xmppim_loop *loop;
  xmppim_loop_source *src;
  char *jid, *password, *domain;
  xmppim_client_callbacks cb;
  void *ud;
  xmppim_client_options opt;
  xmppim_tls_config *own_tls;
  const xmppim_tls_config *tls_cfg;
  xmppim_callbacks *scb;

  client_state state;
  xmppim_dialer *dialer;
  xmppim_connector *connector;
  int fd;
  xmppim_session *session;
  xmppim_tls *tls;
  xmppim_roster *roster;
  xmppim_presence *presence;
  xmppim_loop_conn *conn;
  int connected, user_closing, no_retry;
  char reason[256];
  unsigned attempt;
  uint64_t retry_at;
  uint64_t rng;
  char *roster_saved; /* the roster cache between connections (versioning) */
  size_t roster_saved_len;
  xmppim_show show; /* our presence, sent at each login */
  char *status;
  int priority;
};

static char *dup_str(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/* ---------------------------------------------------------------------- */
/* Options                                                                 */
/* ---------------------------------------------------------------------- */

int xmppim_client_options_new(xmppim_client_options **out) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = calloc(1, sizeof **out);
  if (!*out) return XMPPIM_ERR_NOMEM;
  (*out)->initial_presence = 1;
  (*out)->auto_roster = 1;
  (*out)->backoff_first = 1000;
  (*out)->backoff_max = 60000;
  return 0;
}

void xmppim_client_options_free(xmppim_client_options *o) {
  if (!o) return;
  free(o->ca_file);
  free(o->address);
  free(o->dns_servers);
  free(o);
}

int xmppim_client_options_set_tls_config(xmppim_client_options *o, const xmppim_tls_config *cfg) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->tls = cfg;
  return 0;
}

static int set_str(char **dst, const char *s) {
  char *d = NULL;
  if (s && !(d = dup_str(s))) return XMPPIM_ERR_NOMEM;
  free(*dst);
  *dst = d;
  return 0;
}

int xmppim_client_options_set_ca_file(xmppim_client_options *o, const char *pem) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->error[0] = '\0';
  if (pem) {
    /* read it now, so that a missing or unreadable file is reported here,
     * with GnuTLS's reason, and not later as a failure to create the client */
    xmppim_tls_config *probe;
    int rv = xmppim_tls_config_new(&probe);
    if (rv != 0) return rv;
    rv = xmppim_tls_config_set_ca_file(probe, pem);
    if (rv != 0) {
      snprintf(o->error, sizeof o->error, "%s", xmppim_tls_config_error_text(probe));
      rv = rv == XMPPIM_ERR_NOMEM ? rv : XMPPIM_ERR_TLS;
    }
    xmppim_tls_config_free(probe);
    if (rv != 0) return rv;
  }
  return set_str(&o->ca_file, pem);
}

const char *xmppim_client_options_error_text(const xmppim_client_options *o) {
  return o ? o->error : "";
}

int xmppim_client_options_set_insecure_skip_verify(xmppim_client_options *o, int on) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->insecure = on != 0;
  return 0;
}

int xmppim_client_options_set_address(xmppim_client_options *o, const char *address,
                                      uint16_t port) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (address && (!*address || strlen(address) >= sizeof(((xmppim_net_candidate *)0)->address)))
    return XMPPIM_ERR_INVALID_ARGUMENT;
  o->port = port ? port : 5222;
  return set_str(&o->address, address);
}

int xmppim_client_options_set_dns_servers(xmppim_client_options *o, const char *servers_csv) {
  if (!o || (servers_csv && !*servers_csv)) return XMPPIM_ERR_INVALID_ARGUMENT;
  return set_str(&o->dns_servers, servers_csv);
}

int xmppim_client_options_set_initial_presence(xmppim_client_options *o, int on) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->initial_presence = on != 0;
  return 0;
}

int xmppim_client_options_set_auto_roster(xmppim_client_options *o, int on) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->auto_roster = on != 0;
  return 0;
}

int xmppim_client_options_set_reconnect(xmppim_client_options *o, int on) {
  if (!o) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->reconnect = on != 0;
  return 0;
}

int xmppim_client_options_set_backoff(xmppim_client_options *o, uint32_t first_ms,
                                      uint32_t max_ms) {
  if (!o || first_ms == 0 || first_ms > max_ms) return XMPPIM_ERR_INVALID_ARGUMENT;
  o->backoff_first = first_ms;
  o->backoff_max = max_ms;
  return 0;
}

/* ---------------------------------------------------------------------- */
/* Connection parts                                                        */
/* ---------------------------------------------------------------------- */

static void set_reason(xmppim_client *c, const char *text) {
  if (!c->reason[0]) snprintf(c->reason, sizeof c->reason, "%s", text);
}

/* Keeps the roster cache for the next connection (a failure only loses it). */
static void save_roster(xmppim_client *c) {
  size_t cap = 4096, needed = 0;
  for (int tries = 0; tries < 2; tries++) {
    char *buf = malloc(cap);
    if (!buf) return;
    int rv = xmppim_roster_save(c->roster, buf, cap, &needed);
    if (rv == 0) {
      free(c->roster_saved);
      c->roster_saved = buf;
      c->roster_saved_len = strnlen(buf, cap);
      return;
    }
    free(buf);
    if (rv != XMPPIM_ERR_BUFFER_TOO_SMALL || needed < cap) return;
    cap = needed + 1;
  }
}

/* Frees the parts of the current connection (not the dialer's). */
static void drop_connection(xmppim_client *c) {
  if (c->conn) xmppim_loop_conn_remove(c->conn);
  c->conn = NULL;
  xmppim_presence_free(c->presence);
  c->presence = NULL;
  if (c->roster) save_roster(c);
  xmppim_roster_free(c->roster);
  c->roster = NULL;
  xmppim_tls_free(c->tls);
  c->tls = NULL;
  xmppim_session_free(c->session);
  c->session = NULL;
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  xmppim_dialer_free(c->dialer);
  c->dialer = NULL;
  xmppim_connector_free(c->connector);
  c->connector = NULL;
  c->connected = 0;
}

static uint64_t next_random(xmppim_client *c) {
  uint64_t x = c->rng;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  c->rng = x;
  return x;
}

/* The connection ended (or could not be made): tell, then maybe retry. */
static void ended(xmppim_client *c) {
  /* nobody will say that the contacts went offline: the tracker says it */
  if (c->presence) (void)xmppim_presence_reset(c->presence);
  drop_connection(c);
  char reason[sizeof c->reason];
  memcpy(reason, c->reason, sizeof reason);
  if (!reason[0]) snprintf(reason, sizeof reason, "disconnected");
  c->reason[0] = '\0';
  if (c->opt.reconnect && !c->user_closing && !c->no_retry) {
    uint64_t delay = c->opt.backoff_first;
    for (unsigned i = 0; i < c->attempt && delay < c->opt.backoff_max; i++) delay *= 2;
    if (delay > c->opt.backoff_max) delay = c->opt.backoff_max;
    /* jitter: between half and all of the delay */
    delay = delay / 2 + next_random(c) % (delay / 2 + 1);
    if (c->attempt < 16) c->attempt++;
    c->retry_at = xmppim_loop_now() + delay;
    c->state = ST_WAIT;
  } else {
    c->state = ST_IDLE;
  }
  if (c->cb.on_disconnected) c->cb.on_disconnected(c, reason, c->ud);
}

static void became_connected(xmppim_client *c) {
  c->connected = 1;
  c->attempt = 0;
  if (c->opt.initial_presence && c->presence)
    xmppim_presence_send(c->presence, c->show, c->status, NULL, c->priority);
  if (c->cb.on_connected) c->cb.on_connected(c, c->ud);
}

/* Roster callbacks. */
static void roster_changed(xmppim_client *c) {
  if (c->cb.on_roster_changed) c->cb.on_roster_changed(c, c->ud);
}
static void r_added(xmppim_roster *r, const xmppim_roster_item *it, void *ud) {
  (void)r, (void)it;
  roster_changed(ud);
}
static void r_removed(xmppim_roster *r, const char *jid, void *ud) {
  (void)r, (void)jid;
  roster_changed(ud);
}
static void r_reset(xmppim_roster *r, void *ud) {
  (void)r;
  roster_changed(ud);
}
static void r_done(xmppim_roster *r, int changed, void *ud) {
  (void)r, (void)changed;
  xmppim_client *c = ud;
  if (!c->connected && c->state == ST_SESSION) became_connected(c);
}

static void r_set_done(xmppim_roster *r, const char *jid, const char *error, void *ud) {
  (void)r;
  xmppim_client *c = ud;
  if (c->cb.on_roster_set_done) c->cb.on_roster_set_done(c, jid, error, c->ud);
}

static void p_resource(xmppim_presence *p, xmppim_presence_event ev, const char *contact,
                       const xmppim_presence_resource *res, const xmppim_stanza *st, void *ud) {
  (void)p, (void)st;
  xmppim_client *c = ud;
  if (c->cb.on_presence) c->cb.on_presence(c, ev, contact, res, c->ud);
}

/* Session callbacks. */
static void s_starttls(xmppim_session *s, void *ud) {
  (void)s;
  xmppim_client *c = ud;
  if (xmppim_tls_start(c->tls) != 0) set_reason(c, "TLS could not start");
}

static void s_ready(xmppim_session *s, const xmppim_jid *jid, void *ud) {
  (void)s, (void)jid;
  xmppim_client *c = ud;
  if (c->opt.auto_roster && c->roster && xmppim_roster_request(c->roster) == 0) return;
  became_connected(c);
}

static int s_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  (void)s;
  xmppim_client *c = ud;
  if (c->presence && xmppim_presence_handle_stanza(c->presence, st) == 1) return 0;
  if (c->roster && xmppim_roster_handle_stanza(c->roster, st) == 1) return 0;
  const char *name = xmppim_stanza_name(st);
  const char *from = xmppim_stanza_attr(st, "from");
  const char *type = xmppim_stanza_attr(st, "type");
  if (name && strcmp(name, "message") == 0) {
    const char *body = xmppim_message_body(st, NULL, NULL, NULL);
    if (!body) return XMPPIM_STANZA_UNHANDLED;
    if (c->cb.on_message)
      c->cb.on_message(c, xmppim_message_get_type(st), from ? from : "", body, c->ud);
    return 0;
  }
  if (name && strcmp(name, "presence") == 0 && type && strcmp(type, "subscribe") == 0 && from) {
    if (c->cb.on_subscription_request) c->cb.on_subscription_request(c, from, c->ud);
    return 0;
  }
  return XMPPIM_STANZA_UNHANDLED;
}

static void s_stream_error(xmppim_session *s, xmppim_stream_condition cond, const char *text,
                           void *ud) {
  (void)s;
  xmppim_client *c = ud;
  char buf[200];
  snprintf(buf, sizeof buf, "stream error %s%s%s", xmppim_stream_condition_name(cond),
           text && *text ? ": " : "", text ? text : "");
  set_reason(c, buf);
}

static void s_auth_failed(xmppim_session *s, xmppim_sasl_condition cond, const char *text,
                          void *ud) {
  (void)s;
  xmppim_client *c = ud;
  char buf[200];
  snprintf(buf, sizeof buf, "authentication failed: %s%s%s", xmppim_sasl_condition_name(cond),
           text && *text ? ": " : "", text ? text : "");
  set_reason(c, buf);
  c->no_retry = 1; /* the same password would fail again */
}

static void conn_done(xmppim_loop_conn *conn, xmppim_session *s, int fd, int status, void *ud) {
  (void)conn, (void)s, (void)fd;
  xmppim_client *c = ud;
  c->conn = NULL; /* the loop frees it */
  if (c->user_closing)
    set_reason(c, "closed by the application");
  else if (status != 0)
    set_reason(c, c->tls && xmppim_tls_error_text(c->tls)[0] ? xmppim_tls_error_text(c->tls)
                                                             : "connection lost");
  else
    set_reason(c, "closed by the server");
  /* the session and the TLS adapter go in the client's next dispatch */
  c->state = ST_TEARDOWN;
}

/* Builds the session over the connected socket. */
static int start_session(xmppim_client *c, int fd, int direct_tls) {
  c->fd = fd;
  int rv;
  if (c->password) {
    rv = xmppim_session_client_new(&c->session, c->jid, c->password, c->scb, c, NULL, NULL);
  } else {
    /* the session copies the password (and wipes its copy at free) */
    char pw[1024];
    rv = c->cb.get_password(c, pw, sizeof pw, c->ud);
    if (rv != 0 || !memchr(pw, '\0', sizeof pw)) {
      set_reason(c, "no password");
      c->no_retry = 1;
      rv = XMPPIM_ERR_INVALID_ARGUMENT;
    } else {
      rv = xmppim_session_client_new(&c->session, c->jid, pw, c->scb, c, NULL, NULL);
    }
    volatile char *wipe = pw;
    for (size_t i = 0; i < sizeof pw; i++) wipe[i] = 0;
  }
  if (rv == 0) rv = xmppim_tls_client_new(&c->tls, c->session, c->tls_cfg, NULL);
  xmppim_roster_callbacks rcb;
  memset(&rcb, 0, sizeof rcb);
  rcb.on_item_added = r_added;
  rcb.on_item_updated = r_added;
  rcb.on_item_removed = r_removed;
  rcb.on_reset = r_reset;
  rcb.on_request_done = r_done;
  rcb.on_set_done = r_set_done;
  if (rv == 0) rv = xmppim_roster_client_new(&c->roster, c->session, &rcb, c, NULL);
  if (rv == 0 && c->roster_saved)
    (void)xmppim_roster_load(c->roster, c->roster_saved, c->roster_saved_len);
  xmppim_presence_callbacks pcb;
  memset(&pcb, 0, sizeof pcb);
  pcb.on_resource = p_resource;
  if (rv == 0) rv = xmppim_presence_client_new(&c->presence, c->session, &pcb, c, NULL);
  if (rv == 0 && direct_tls) rv = xmppim_tls_start(c->tls);
  if (rv == 0)
    rv = xmppim_loop_add_tls_session(c->loop, c->tls, c->session, fd, conn_done, c, &c->conn);
  if (rv != 0) return rv;
  c->state = ST_SESSION;
  return 0;
}

/* ---------------------------------------------------------------------- */
/* The client's loop source: dialing, teardown, the reconnect timer        */
/* ---------------------------------------------------------------------- */

static size_t src_prepare(void *ud, struct pollfd *fds, size_t max, uint64_t now,
                          uint64_t *deadline) {
  xmppim_client *c = ud;
  switch (c->state) {
  case ST_DIALING:
    if (c->dialer) {
      *deadline = xmppim_dialer_next_deadline(c->dialer, now);
      return xmppim_dialer_pollfds(c->dialer, fds, max);
    }
    if (c->connector) {
      *deadline = xmppim_connector_next_deadline(c->connector);
      return xmppim_connector_pollfds(c->connector, fds, max);
    }
    return 0;
  case ST_TEARDOWN:
    *deadline = now;
    return 0;
  case ST_WAIT:
    *deadline = c->retry_at;
    return 0;
  default:
    *deadline = UINT64_MAX;
    return 0;
  }
}

static int begin_dial(xmppim_client *c, uint64_t now);

static void src_dispatch(void *ud, const struct pollfd *fds, size_t n, uint64_t now) {
  xmppim_client *c = ud;
  if (c->state == ST_TEARDOWN) {
    ended(c);
    return;
  }
  if (c->state == ST_WAIT) {
    if (now >= c->retry_at && begin_dial(c, now) != 0) ended(c);
    return;
  }
  if (c->state != ST_DIALING) return;
  int st, fd = -1, direct = 0;
  if (c->dialer) {
    st = xmppim_dialer_process(c->dialer, fds, n, now);
    if (st == 1) {
      const xmppim_net_candidate *which = NULL;
      fd = xmppim_dialer_take_fd(c->dialer, &which);
      direct = which && which->direct_tls;
    } else if (st < 0) {
      set_reason(c, xmppim_dialer_error(c->dialer));
    }
  } else {
    st = xmppim_connector_process(c->connector, fds, n, now);
    if (st == 1)
      fd = xmppim_connector_take_fd(c->connector, NULL);
    else if (st < 0)
      set_reason(c, xmppim_connector_error(c->connector));
  }
  if (st == 0) return;
  xmppim_dialer_free(c->dialer);
  c->dialer = NULL;
  xmppim_connector_free(c->connector);
  c->connector = NULL;
  if (st < 0 || fd < 0) {
    set_reason(c, "could not connect");
    ended(c);
    return;
  }
  if (start_session(c, fd, direct) != 0) {
    set_reason(c, "could not set up the session");
    ended(c);
  }
}

static int begin_dial(xmppim_client *c, uint64_t now) {
  int rv;
  if (c->opt.address) {
    xmppim_net_candidate cand;
    memset(&cand, 0, sizeof cand);
    snprintf(cand.address, sizeof cand.address, "%s", c->opt.address);
    cand.family = strchr(c->opt.address, ':') ? AF_INET6 : AF_INET;
    cand.port = c->opt.port;
    rv = xmppim_connector_new(&c->connector, &cand, 1, 0, now);
  } else {
    xmppim_resolver *r = NULL;
    if (c->opt.dns_servers) {
      rv = xmppim_resolver_new(&r);
      if (rv == 0) rv = xmppim_resolver_set_servers(r, c->opt.dns_servers);
      if (rv != 0) {
        xmppim_resolver_free(r);
        set_reason(c, "could not set the DNS servers");
        return rv;
      }
    }
    rv = xmppim_dialer_new(&c->dialer, r, c->domain, 0, now);
  }
  if (rv != 0) {
    set_reason(c, "could not start connecting");
    return rv;
  }
  c->state = ST_DIALING;
  return 0;
}

/* ---------------------------------------------------------------------- */
/* Public functions                                                        */
/* ---------------------------------------------------------------------- */

int xmppim_client_new(xmppim_client **out, xmppim_loop *loop, const char *jid,
                      const char *password, const xmppim_client_callbacks *callbacks,
                      void *user_data, const xmppim_client_options *options) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (!loop || !jid || (!password && !(callbacks && callbacks->get_password)))
    return XMPPIM_ERR_INVALID_ARGUMENT;
  const char *at = strchr(jid, '@');
  const char *dom = at ? at + 1 : jid;
  size_t dlen = strcspn(dom, "/");
  if (dlen == 0) return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_client *c = calloc(1, sizeof *c);
  if (!c) return XMPPIM_ERR_NOMEM;
  c->loop = loop;
  c->fd = -1;
  c->ud = user_data;
  if (callbacks) c->cb = *callbacks;
  if (options) c->opt = *options;
  else {
    c->opt.initial_presence = c->opt.auto_roster = 1;
    c->opt.backoff_first = 1000;
    c->opt.backoff_max = 60000;
  }
  c->opt.ca_file = NULL;
  c->opt.address = NULL;
  c->opt.dns_servers = NULL;
  int rv = XMPPIM_ERR_NOMEM;
  c->jid = dup_str(jid);
  c->password = dup_str(password);
  c->domain = malloc(dlen + 1);
  if (!c->jid || (password && !c->password) || !c->domain) goto fail;
  memcpy(c->domain, dom, dlen);
  c->domain[dlen] = '\0';
  if (options && options->address && !(c->opt.address = dup_str(options->address))) goto fail;
  if (options && options->dns_servers && !(c->opt.dns_servers = dup_str(options->dns_servers)))
    goto fail;
  if (options && options->tls) {
    c->tls_cfg = options->tls;
  } else {
    rv = xmppim_tls_config_new(&c->own_tls);
    if (rv == 0 && options && options->ca_file)
      rv = xmppim_tls_config_set_ca_file(c->own_tls, options->ca_file);
    if (rv == 0 && options && options->insecure)
      rv = xmppim_tls_config_set_insecure_skip_verify(c->own_tls, 1);
    if (rv != 0) goto fail;
    c->tls_cfg = c->own_tls;
    rv = XMPPIM_ERR_NOMEM;
  }
  if (xmppim_callbacks_new(&c->scb) != 0) goto fail;
  xmppim_callbacks_set_on_starttls(c->scb, s_starttls);
  xmppim_callbacks_set_on_ready(c->scb, s_ready);
  xmppim_callbacks_set_on_stanza(c->scb, s_stanza);
  xmppim_callbacks_set_on_stream_error(c->scb, s_stream_error);
  xmppim_callbacks_set_on_auth_failed(c->scb, s_auth_failed);
  rv = xmppim_loop_add(loop, src_prepare, src_dispatch, c, &c->src);
  if (rv != 0) goto fail;
  c->rng = xmppim_loop_now() ^ (uint64_t)(uintptr_t)c ^ 0x9e3779b97f4a7c15u;
  if (!c->rng) c->rng = 1;
  *out = c;
  return 0;
fail:
  xmppim_client_free(c);
  return rv;
}

void xmppim_client_free(xmppim_client *c) {
  if (!c) return;
  drop_connection(c);
  if (c->src) xmppim_loop_remove(c->loop, c->src);
  xmppim_callbacks_free(c->scb);
  xmppim_tls_config_free(c->own_tls);
  free(c->roster_saved);
  free(c->opt.ca_file);
  free(c->opt.address);
  free(c->opt.dns_servers);
  free(c->status);
  free(c->jid);
  if (c->password) {
    volatile char *wipe = c->password;
    for (size_t i = 0; wipe[i]; i++) wipe[i] = 0;
  }
  free(c->password);
  free(c->domain);
  free(c);
}

int xmppim_client_connect(xmppim_client *c) {
  if (!c) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (c->state != ST_IDLE && c->state != ST_WAIT) return XMPPIM_ERR_INVALID_STATE;
  c->user_closing = 0;
  c->no_retry = 0;
  c->reason[0] = '\0';
  return begin_dial(c, xmppim_loop_now());
}

int xmppim_client_disconnect(xmppim_client *c) {
  if (!c) return XMPPIM_ERR_INVALID_ARGUMENT;
  c->user_closing = 1;
  switch (c->state) {
  case ST_SESSION:
    if (c->connected && c->presence && xmppim_presence_is_available(c->presence))
      xmppim_presence_send_unavailable(c->presence, NULL, NULL);
    if (xmppim_session_close(c->session) != 0) {
      set_reason(c, "closed by the application");
      c->state = ST_TEARDOWN;
    }
    return 0;
  case ST_DIALING:
    set_reason(c, "closed by the application");
    c->state = ST_TEARDOWN;
    return 0;
  case ST_WAIT:
    c->state = ST_IDLE;
    return 0;
  default:
    return 0;
  }
}

int xmppim_client_will_retry(const xmppim_client *c) { return c && c->state == ST_WAIT; }

int xmppim_client_is_connected(const xmppim_client *c) {
  return c && c->state == ST_SESSION && c->connected;
}

int xmppim_client_send_message(xmppim_client *c, const char *to, const char *body) {
  if (!c || !to || !body) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (c->state != ST_SESSION || !c->session) return XMPPIM_ERR_INVALID_STATE;
  xmppim_stanza *m;
  int rv = xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, to, body, NULL);
  if (rv != 0) return rv;
  rv = xmppim_session_send(c->session, m);
  xmppim_stanza_free(m);
  return rv;
}

int xmppim_client_set_presence(xmppim_client *c, xmppim_show show, const char *status,
                               int priority) {
  if (!c || show < XMPPIM_SHOW_ONLINE || show > XMPPIM_SHOW_DND || priority < -128 ||
      priority > 127)
    return XMPPIM_ERR_INVALID_ARGUMENT;
  char *st = NULL;
  if (status && !(st = dup_str(status))) return XMPPIM_ERR_NOMEM;
  free(c->status);
  c->status = st;
  c->show = show;
  c->priority = priority;
  if (!c->connected || c->state != ST_SESSION || !c->presence) return 0;
  return xmppim_presence_send(c->presence, show, status, NULL, priority);
}

int xmppim_client_approve(xmppim_client *c, const char *jid) {
  if (!c || !jid) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (c->state != ST_SESSION || !c->roster) return XMPPIM_ERR_INVALID_STATE;
  return xmppim_roster_subscribed(c->roster, jid);
}

int xmppim_client_deny(xmppim_client *c, const char *jid) {
  if (!c || !jid) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (c->state != ST_SESSION || !c->roster) return XMPPIM_ERR_INVALID_STATE;
  return xmppim_roster_unsubscribed(c->roster, jid);
}

xmppim_session *xmppim_client_session(const xmppim_client *c) {
  return c && c->state == ST_SESSION ? c->session : NULL;
}

xmppim_roster *xmppim_client_roster(const xmppim_client *c) {
  return c && c->state == ST_SESSION ? c->roster : NULL;
}

xmppim_presence *xmppim_client_presence(const xmppim_client *c) {
  return c && c->state == ST_SESSION ? c->presence : NULL;
}
