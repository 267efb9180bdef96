#include "hub.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HUB_PASSWORD "pw"

static void die(const char *what, int rv) {
  fprintf(stderr, "hub: %s failed: %d (%s)\n", what, rv, xmppim_strerror(rv));
  abort();
}

static hub_client *client_of(hub *h, xmppim_session *s) {
  for (size_t i = 0; i < h->n; i++)
    if (h->clients[i]->c == s || h->clients[i]->s == s) return h->clients[i];
  return NULL;
}

static void log_into(char *log, size_t cap, size_t *len, const char *who, const xmppim_stanza *st) {
  size_t room = cap - *len;
  size_t need = 0;
  if (room < 2 || xmppim_stanza_serialize(st, "jabber:client", log + *len, room - 1, &need) != 0) {
    fprintf(stderr, "hub: log of %s full\n", who);
    abort();
  }
  *len += need;
  log[(*len)++] = '\n';
  log[*len] = '\0';
}

static void log_stanza(hub_client *c, const xmppim_stanza *st) {
  log_into(c->log, sizeof(c->log), &c->log_len, c->jid, st);
}

/* ---- the client side ---- */

static int client_on_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  hub_client *c = client_of(ud, s);
  log_stanza(c, st);
  int rv = xmppim_roster_handle_stanza(c->roster, st);
  if (rv < 0) return rv;
  if (rv == 1) {
    c->pushes++;
    return 0;
  }
  return XMPPIM_STANZA_UNHANDLED;
}

static void client_on_ready(xmppim_session *s, const xmppim_jid *jid, void *ud) {
  hub_client *c = client_of(ud, s);
  c->ready = 1;
  snprintf(c->jid, sizeof(c->jid), "%s", xmppim_jid_to_string(jid));
}

static void roster_done(xmppim_roster *r, int changed, void *ud) {
  (void)r;
  (void)changed;
  ((hub_client *)ud)->roster_done = 1;
}

/* ---- the server host ---- */

static int server_on_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  hub *h = ud;
  int rv = xmppim_server_handle_stanza(h->srv, xmppim_session_jid(s), st);
  if (rv < 0) return rv;
  return rv == 1 ? 0 : XMPPIM_STANZA_UNHANDLED;
}

static void server_on_ready(xmppim_session *s, const xmppim_jid *jid, void *ud) {
  hub *h = ud;
  hub_client *c = client_of(h, s);
  int rv = xmppim_server_resource_bound(h->srv, jid);
  if (rv) die("xmppim_server_resource_bound", rv);
  c->bound = 1;
}

static xmppim_sasl_condition check_plain(const char *authcid, const char *password, const char *authzid,
                                         void *ud) {
  (void)authcid;
  (void)authzid;
  (void)ud;
  /* Whether the account exists is the store's to say, at bind time. */
  return strcmp(password, HUB_PASSWORD) == 0 ? XMPPIM_SASL_COND_NONE : XMPPIM_SASL_COND_NOT_AUTHORIZED;
}

static int deliver(xmppim_server *srv, const xmppim_jid *to, const xmppim_stanza *st, void *ud) {
  (void)srv;
  hub *h = ud;
  for (size_t i = 0; i < h->n; i++) {
    hub_client *c = h->clients[i];
    if (!c->gone && c->bound && strcmp(c->jid, xmppim_jid_to_string(to)) == 0) {
      log_into(c->slog, sizeof(c->slog), &c->slog_len, c->jid, st);
      return xmppim_session_send(c->s, st);
    }
  }
  fprintf(stderr, "hub: deliver to unknown %s\n", xmppim_jid_to_string(to));
  abort();
}

static int route(xmppim_server *srv, const xmppim_jid *to, const xmppim_stanza *st, void *ud) {
  (void)srv;
  (void)to;
  hub *h = ud;
  if (h->route_fails) return XMPPIM_ERR_NOT_FOUND;
  if (h->nrouted == HUB_MAX_ROUTED) abort();
  char buf[4096];
  if (xmppim_stanza_serialize(st, "jabber:server", buf, sizeof(buf), NULL) != 0) abort();
  h->routed[h->nrouted++] = strdup(buf);
  return 0;
}

/* The core ends a session: the host closes its stream with the error. */
static void close_session(xmppim_server *srv, const xmppim_jid *resource, xmppim_stream_condition cond, void *ud) {
  (void)srv;
  hub *h = ud;
  for (size_t i = 0; i < h->n; i++) {
    hub_client *c = h->clients[i];
    if (c->gone || !c->bound || strcmp(c->jid, xmppim_jid_to_string(resource)) != 0) continue;
    c->closed_with = cond;
    c->bound = 0; /* the core forgot it already */
    (void)xmppim_session_stream_error(c->s, cond, NULL);
    return;
  }
  fprintf(stderr, "hub: close of unknown %s\n", xmppim_jid_to_string(resource));
  abort();
}

void hub_init(hub *h, const xmppim_server_options *opts) { hub_init_mem(h, opts, NULL); }

void hub_init_mem(hub *h, const xmppim_server_options *opts, const xmppim_mem *mem) {
  memset(h, 0, sizeof(*h));
  xmppim_server_callbacks *cb;
  int rv = xmppim_memory_store_new(&h->store, NULL);
  if (rv) die("xmppim_memory_store_new", rv);
  if ((rv = xmppim_server_callbacks_new(&cb)) != 0) die("xmppim_server_callbacks_new", rv);
  xmppim_memory_store_install(h->store, cb);
  xmppim_server_callbacks_set_deliver(cb, deliver);
  xmppim_server_callbacks_set_route(cb, route);
  xmppim_server_callbacks_set_close(cb, close_session);
  if ((rv = xmppim_server_new(&h->srv, cb, h, opts, mem)) != 0) die("xmppim_server_new", rv);
  xmppim_server_callbacks_free(cb);
  if ((rv = xmppim_server_add_domain(h->srv, HUB_DOMAIN)) != 0) die("xmppim_server_add_domain", rv);
}

void hub_add_user(hub *h, const char *bare) {
  int rv = xmppim_memory_store_add_user(h->store, bare);
  if (rv) die("xmppim_memory_store_add_user", rv);
}

static size_t move(xmppim_session *from, xmppim_session *to) {
  const char *data;
  size_t n = xmppim_session_output(from, &data);
  if (!n) return 0;
  if (!xmppim_session_want_read(to)) {
    xmppim_session_consumed(from, n);
    return n;
  }
  long used = xmppim_session_feed(to, data, n);
  if (used == XMPPIM_ERR_BACKPRESSURE) return 0;
  if (used < 0) used = (long)n;
  xmppim_session_consumed(from, (size_t)used);
  return (size_t)used;
}

void hub_pump(hub *h) {
  for (int round = 0; round < 100000; round++) {
    size_t moved = 0;
    for (size_t i = 0; i < h->n; i++) {
      hub_client *c = h->clients[i];
      if (c->gone) continue;
      moved += move(c->c, c->s) + move(c->s, c->c);
    }
    if (!moved) return;
  }
  abort();
}

hub_client *hub_connect(hub *h, const char *local, const char *resource, int fetch_roster) {
  if (h->n == HUB_MAX_CLIENTS) abort();
  hub_client *c = calloc(1, sizeof(*c));
  c->h = h;
  h->clients[h->n++] = c;
  xmppim_options *copt, *sopt;
  xmppim_callbacks *ccb, *scb;
  if (xmppim_options_new(&copt) != 0 || xmppim_options_new(&sopt) != 0)
    abort();
  xmppim_options_set_require_tls(copt, 0);
  xmppim_options_set_allow_plain_without_tls(copt, 1);
  xmppim_options_set_require_tls(sopt, 0);
  xmppim_options_set_allow_plain_without_tls(sopt, 1);
  for (size_t i = 0;; i++) {
    const char *name, *ns;
    if (xmppim_server_stream_feature(h->srv, i, &name, &ns) != 0) break;
    if (xmppim_options_add_stream_feature(sopt, name, ns) != 0) abort();
  }
  if (xmppim_callbacks_new(&ccb) != 0 || xmppim_callbacks_new(&scb) != 0) abort();
  xmppim_callbacks_set_on_stanza(ccb, client_on_stanza);
  xmppim_callbacks_set_on_ready(ccb, client_on_ready);
  xmppim_callbacks_set_on_stanza(scb, server_on_stanza);
  xmppim_callbacks_set_on_ready(scb, server_on_ready);
  xmppim_callbacks_set_sasl_plain(scb, check_plain);
  char jid[256];
  snprintf(jid, sizeof(jid), "%s@" HUB_DOMAIN "/%s", local, resource);
  int rv = xmppim_session_server_new(&c->s, HUB_DOMAIN, scb, h, sopt, NULL);
  if (rv) die("xmppim_session_server_new", rv);
  if ((rv = xmppim_session_client_new(&c->c, jid, HUB_PASSWORD, ccb, h, copt, NULL)) != 0)
    die("xmppim_session_client_new", rv);
  xmppim_callbacks_free(ccb);
  xmppim_callbacks_free(scb);
  xmppim_options_free(copt);
  xmppim_options_free(sopt);
  xmppim_roster_callbacks rcb = {0};
  rcb.on_request_done = roster_done;
  if ((rv = xmppim_roster_client_new(&c->roster, c->c, &rcb, c, NULL)) != 0) die("xmppim_roster_client_new", rv);
  hub_pump(h);
  if (!c->ready || !c->bound) {
    fprintf(stderr, "hub: %s did not log in\n", jid);
    abort();
  }
  if (fetch_roster) {
    if ((rv = xmppim_roster_request(c->roster)) != 0) die("xmppim_roster_request", rv);
    hub_pump(h);
    if (!c->roster_done) abort();
  }
  return c;
}

void hub_send(hub *h, hub_client *c, const char *xml) {
  /* Stanzas in the tests are written without their stream's namespace. */
  char buf[8192];
  size_t name_end = strcspn(xml, " />");
  if (strlen(xml) + 32 > sizeof(buf)) abort();
  snprintf(buf, sizeof(buf), "%.*s xmlns='jabber:client'%s", (int)name_end, xml, xml + name_end);
  xmppim_stanza *st;
  int rv = xmppim_stanza_parse(&st, buf, strlen(buf), NULL, NULL);
  if (rv) die("xmppim_stanza_parse", rv);
  if ((rv = xmppim_session_send(c->c, st)) != 0) die("xmppim_session_send", rv);
  xmppim_stanza_free(st);
  hub_pump(h);
}

int hub_remote(hub *h, const char *xml) {
  char buf[8192];
  size_t name_end = strcspn(xml, " />");
  if (strlen(xml) + 32 > sizeof(buf)) abort();
  snprintf(buf, sizeof(buf), "%.*s xmlns='jabber:server'%s", (int)name_end, xml, xml + name_end);
  xmppim_stanza *st;
  int rv = xmppim_stanza_parse(&st, buf, strlen(buf), NULL, NULL);
  if (rv) die("xmppim_stanza_parse", rv);
  rv = xmppim_server_handle_stanza(h->srv, NULL, st);
  xmppim_stanza_free(st);
  hub_pump(h);
  return rv;
}

void hub_disconnect(hub *h, hub_client *c) {
  if (c->gone) return;
  c->gone = 1;
  if (c->bound) {
    xmppim_jid *j;
    if (xmppim_jid_new(&j, c->jid, strlen(c->jid), NULL) != 0) abort();
    int rv = xmppim_server_resource_unbound(h->srv, j);
    xmppim_jid_free(j);
    if (rv) die("xmppim_server_resource_unbound", rv);
  }
  hub_pump(h);
}

void hub_clear_log(hub_client *c) {
  c->log_len = 0;
  c->log[0] = '\0';
  c->slog_len = 0;
  c->slog[0] = '\0';
}

static int count_lines(const char *log, va_list ap0);

int hub_count(const hub_client *c, ...) {
  va_list ap;
  va_start(ap, c);
  int n = count_lines(c->log, ap);
  va_end(ap);
  return n;
}

int hub_count_server(const hub_client *c, ...) {
  va_list ap;
  va_start(ap, c);
  int n = count_lines(c->slog, ap);
  va_end(ap);
  return n;
}

static int count_lines(const char *log, va_list ap0) {
  int count = 0;
  const char *line = log;
  while (*line) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    char buf[8192];
    if (len >= sizeof(buf)) len = sizeof(buf) - 1;
    memcpy(buf, line, len);
    buf[len] = '\0';
    va_list ap;
    va_copy(ap, ap0);
    int all = 1;
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
      if (!strstr(buf, s)) all = 0;
    va_end(ap);
    count += all;
    line += len + (end ? 1 : 0);
  }
  return count;
}

void hub_free(hub *h) {
  for (size_t i = 0; i < h->n; i++) {
    hub_client *c = h->clients[i];
    xmppim_roster_free(c->roster);
    xmppim_session_free(c->c);
    xmppim_session_free(c->s);
    free(c);
  }
  xmppim_server_free(h->srv);
  xmppim_memory_store_free(h->store);
  for (size_t i = 0; i < h->nrouted; i++) free(h->routed[i]);
}
