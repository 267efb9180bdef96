/*
 * xmppim_server: the object, its users and resources, the dispatcher and
 * the local queue. The roster and subscription rules live in
 * server_roster.c and server_subscription.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <xmppim/roster.h>

#include "im/server_impl.h"
#include "util/mem.h"

/* ---- callbacks and options ---- */

int xmppim_server_callbacks_new(xmppim_server_callbacks **out) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = calloc(1, sizeof(**out));
  return *out ? 0 : XMPPIM_ERR_NOMEM;
}
void xmppim_server_callbacks_free(xmppim_server_callbacks *cb) { free(cb); }
void xmppim_server_callbacks_set_load_roster(xmppim_server_callbacks *cb, xmppim_store_load_roster_cb fn) {
  if (cb) cb->load_roster = fn;
}
void xmppim_server_callbacks_set_save_contact(xmppim_server_callbacks *cb, xmppim_store_save_contact_cb fn) {
  if (cb) cb->save_contact = fn;
}
void xmppim_server_callbacks_set_delete_contact(xmppim_server_callbacks *cb,
                                                xmppim_store_delete_contact_cb fn) {
  if (cb) cb->delete_contact = fn;
}
void xmppim_server_callbacks_set_store_data(xmppim_server_callbacks *cb, void *store_data) {
  if (cb) cb->store_data = store_data;
}
void xmppim_server_callbacks_set_deliver(xmppim_server_callbacks *cb, xmppim_server_deliver_cb fn) {
  if (cb) cb->deliver = fn;
}
void xmppim_server_callbacks_set_route(xmppim_server_callbacks *cb, xmppim_server_route_cb fn) {
  if (cb) cb->route = fn;
}
void xmppim_server_callbacks_set_last_presence(xmppim_server_callbacks *cb, xmppim_store_last_presence_put_cb put,
                                               xmppim_store_last_presence_get_cb get) {
  if (!cb) return;
  cb->last_put = put && get ? put : NULL;
  cb->last_get = put && get ? get : NULL;
}
void xmppim_server_callbacks_set_close(xmppim_server_callbacks *cb, xmppim_server_close_cb fn) {
  if (cb) cb->close = fn;
}
void xmppim_server_callbacks_set_offline(xmppim_server_callbacks *cb, xmppim_store_offline_put_cb put,
                                         xmppim_store_offline_take_cb take) {
  if (!cb) return;
  /* Both or neither: a store that keeps messages must give them back. */
  cb->offline_put = put && take ? put : NULL;
  cb->offline_take = put && take ? take : NULL;
}

static void options_default(struct xmppim_server_options *o) {
  o->max_items = 10000;
  o->max_name = 1023;
  o->max_group = 1023;
  o->max_groups = 64;
  o->version_log = 256;
  o->preapproval = 1;
  o->pending_per_user = 1000;
  o->pending_bytes = 8192;
}

int xmppim_server_options_new(xmppim_server_options **out) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  *out = calloc(1, sizeof(**out));
  if (!*out) return XMPPIM_ERR_NOMEM;
  options_default(*out);
  return 0;
}
void xmppim_server_options_free(xmppim_server_options *opts) { free(opts); }

int xmppim_server_options_set_max_roster_items(xmppim_server_options *opts, size_t n) {
  if (!opts || n == 0) return XMPPIM_ERR_INVALID_ARGUMENT;
  opts->max_items = n;
  return 0;
}
int xmppim_server_options_set_item_limits(xmppim_server_options *opts, size_t max_name,
                                          size_t max_group, size_t max_groups) {
  if (!opts || !max_name || !max_group || !max_groups) return XMPPIM_ERR_INVALID_ARGUMENT;
  opts->max_name = max_name;
  opts->max_group = max_group;
  opts->max_groups = max_groups;
  return 0;
}
int xmppim_server_options_set_version_log(xmppim_server_options *opts, size_t n) {
  if (!opts || n > 65536) return XMPPIM_ERR_INVALID_ARGUMENT;
  opts->version_log = n;
  return 0;
}
int xmppim_server_options_set_normal_to_all(xmppim_server_options *opts, int on) {
  if (!opts) return XMPPIM_ERR_INVALID_ARGUMENT;
  opts->normal_to_all = on ? 1 : 0;
  return 0;
}
int xmppim_server_options_set_preapproval(xmppim_server_options *opts, int on) {
  if (!opts) return XMPPIM_ERR_INVALID_ARGUMENT;
  opts->preapproval = on ? 1 : 0;
  return 0;
}
int xmppim_server_options_set_pending_limits(xmppim_server_options *opts, size_t per_user,
                                             size_t max_bytes) {
  if (!opts) return XMPPIM_ERR_INVALID_ARGUMENT;
  opts->pending_per_user = per_user;
  opts->pending_bytes = max_bytes;
  return 0;
}

/* ---- the object ---- */

int xmppim_server_new(xmppim_server **out, const xmppim_server_callbacks *callbacks, void *user_data,
                      const xmppim_server_options *options, const xmppim_mem *mem) {
  if (out) *out = NULL;
  if (!out || !callbacks || !callbacks->load_roster || !callbacks->save_contact ||
      !callbacks->delete_contact || !callbacks->deliver)
    return XMPPIM_ERR_INVALID_ARGUMENT;
  const xmppim_mem *m = xmppim_mem_or_default(mem);
  xmppim_server *srv = xmppim_mem_calloc(m, 1, sizeof(*srv));
  if (!srv) return XMPPIM_ERR_NOMEM;
  srv->mem = *m;
  srv->cb = *callbacks;
  srv->user_data = user_data;
  if (options)
    srv->opt = *options;
  else
    options_default(&srv->opt);
  xmppim_map_init(&srv->users, &srv->mem);
  *out = srv;
  return 0;
}

static void resource_free(const xmppim_mem *m, im_resource *r) {
  if (!r) return;
  for (size_t i = 0; i < r->ndirected; i++) xmppim_mem_free(m, r->directed[i]);
  xmppim_mem_free(m, r->directed);
  xmppim_jid_free(r->jid);
  xmppim_stanza_free(r->presence);
  xmppim_mem_free(m, r);
}

static void user_free(xmppim_server *srv, im_user *u) {
  for (size_t i = 0; i < u->nres; i++) resource_free(&srv->mem, u->res[i]);
  xmppim_mem_free(&srv->mem, u->res);
  im_roster_free(&u->roster);
  xmppim_jid_free(u->jid);
  xmppim_mem_free(&srv->mem, u->bare);
  xmppim_mem_free(&srv->mem, u);
}

static void queue_clear(xmppim_server *srv) {
  while (srv->qhead) {
    im_queued *q = srv->qhead;
    srv->qhead = q->next;
    xmppim_stanza_free(q->stanza);
    xmppim_mem_free(&srv->mem, q);
  }
  srv->qtail = NULL;
}

void xmppim_server_free(xmppim_server *srv) {
  if (!srv) return;
  size_t it = 0;
  const char *key;
  size_t len;
  void *value;
  while (xmppim_map_next(&srv->users, &it, &key, &len, &value)) user_free(srv, value);
  xmppim_map_free(&srv->users);
  xmppim_mem_free(&srv->mem, srv->idle);
  queue_clear(srv);
  for (size_t i = 0; i < srv->ndomains; i++) xmppim_mem_free(&srv->mem, srv->domains[i]);
  xmppim_mem_free(&srv->mem, srv->domains);
  xmppim_mem_free(&srv->mem, srv);
}

void *xmppim_server_user_data(const xmppim_server *srv) { return srv ? srv->user_data : NULL; }

int xmppim_server_add_domain(xmppim_server *srv, const char *domain) {
  if (!srv || !domain) return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_jid *j;
  int rv = xmppim_jid_new(&j, domain, strlen(domain), &srv->mem);
  if (rv) return rv == XMPPIM_ERR_NOMEM ? rv : XMPPIM_ERR_INVALID_ARGUMENT;
  if (xmppim_jid_local(j) || xmppim_jid_resource(j)) {
    xmppim_jid_free(j);
    return XMPPIM_ERR_INVALID_ARGUMENT;
  }
  if (xmppim_server_is_local(srv, xmppim_jid_domain(j))) {
    xmppim_jid_free(j);
    return 0;
  }
  const char *d = xmppim_jid_domain(j);
  char *copy = xmppim_mem_strndup(&srv->mem, d, strlen(d));
  xmppim_jid_free(j);
  char **v = copy ? xmppim_mem_realloc(&srv->mem, srv->domains, (srv->ndomains + 1) * sizeof(*v)) : NULL;
  if (!v) {
    xmppim_mem_free(&srv->mem, copy);
    return XMPPIM_ERR_NOMEM;
  }
  srv->domains = v;
  srv->domains[srv->ndomains++] = copy;
  return 0;
}

int xmppim_server_is_local(const xmppim_server *srv, const char *domain) {
  if (!srv || !domain) return 0;
  for (size_t i = 0; i < srv->ndomains; i++)
    if (strcmp(srv->domains[i], domain) == 0) return 1;
  return 0;
}

int xmppim_server_stream_feature(const xmppim_server *srv, size_t index, const char **name,
                                 const char **ns) {
  if (!srv || !name || !ns) return XMPPIM_ERR_INVALID_ARGUMENT;
  /* R2.6.1-a: versioning is always on; R3.4-b: pre-approval when enabled. */
  static const char *const names[] = {"ver", "sub"};
  static const char *const nss[] = {"urn:xmpp:features:rosterver", "urn:xmpp:features:pre-approval"};
  size_t count = srv->opt.preapproval ? 2 : 1;
  if (index >= count) return XMPPIM_ERR_NOT_FOUND;
  *name = names[index];
  *ns = nss[index];
  return 0;
}

/* ---- users and resources ---- */

/* A new roster's versions must not match a cache a client kept of an
 * earlier roster of the same name (an account deleted and made again). */
static uint32_t new_epoch(void) {
  uint32_t e;
  if (getrandom(&e, sizeof(e), GRND_NONBLOCK) == (ssize_t)sizeof(e)) return e;
  return (uint32_t)time(NULL) ^ (uint32_t)clock();
}

static void note_maybe_idle(xmppim_server *srv, im_user *u);

int im_user_get(xmppim_server *srv, const char *bare, im_user **out) {
  im_user *u = xmppim_map_get(&srv->users, bare, strlen(bare));
  if (u) {
    *out = u;
    return 0;
  }
  u = xmppim_mem_calloc(&srv->mem, 1, sizeof(*u));
  if (!u) return XMPPIM_ERR_NOMEM;
  u->bare_len = strlen(bare);
  u->bare = xmppim_mem_strndup(&srv->mem, bare, u->bare_len);
  im_roster_init(&u->roster, &srv->mem, srv->opt.version_log, new_epoch());
  int rv = u->bare ? xmppim_jid_new(&u->jid, bare, u->bare_len, &srv->mem) : XMPPIM_ERR_NOMEM;
  if (rv == 0) {
    struct xmppim_roster_loader ld = {srv, u};
    rv = srv->cb.load_roster(srv->cb.store_data, u->bare, &ld);
    if (rv > 0) rv = 0;
  }
  if (rv == 0) rv = xmppim_map_put(&srv->users, u->bare, u->bare_len, u);
  if (rv != 0) {
    user_free(srv, u);
    return rv;
  }
  note_maybe_idle(srv, u);
  *out = u;
  return 0;
}

im_resource *im_user_resource(const im_user *u, const xmppim_jid *full) {
  for (size_t i = 0; i < u->nres; i++)
    if (xmppim_jid_equal(u->res[i]->jid, full)) return u->res[i];
  return NULL;
}

/* Users no resource holds stay loaded only while a stanza is processed. */
/* A user no resource holds stays loaded only while a stanza is processed.
 * Only users loaded or left by a resource since the last call can have
 * become idle: those are the candidates, so the cost does not grow with the
 * number of users online. */
static void note_maybe_idle(xmppim_server *srv, im_user *u) {
  if (u->maybe_idle) return;
  if (srv->nidle == srv->idle_cap) {
    size_t cap = srv->idle_cap ? 2 * srv->idle_cap : 8;
    im_user **v = xmppim_mem_realloc(&srv->mem, srv->idle, cap * sizeof(*v));
    if (!v) return; /* stays loaded until the server is freed: no harm */
    srv->idle = v;
    srv->idle_cap = cap;
  }
  u->maybe_idle = 1;
  srv->idle[srv->nidle++] = u;
}

static void unload_idle_users(xmppim_server *srv) {
  for (size_t i = 0; i < srv->nidle; i++) {
    im_user *u = srv->idle[i];
    u->maybe_idle = 0;
    if (u->nres == 0) {
      xmppim_map_remove(&srv->users, u->bare, u->bare_len);
      user_free(srv, u);
    }
  }
  srv->nidle = 0;
}

static int local_full_jid(const xmppim_server *srv, const xmppim_jid *full) {
  return full && xmppim_jid_local(full) && xmppim_jid_resource(full) &&
         xmppim_server_is_local(srv, xmppim_jid_domain(full));
}

int xmppim_server_resource_bound(xmppim_server *srv, const xmppim_jid *full) {
  if (!srv || !local_full_jid(srv, full) || srv->in_handle) return XMPPIM_ERR_INVALID_ARGUMENT;
  im_user *u;
  int rv = im_user_get(srv, xmppim_jid_bare_string(full), &u);
  if (rv) return rv;
  if (im_user_resource(u, full)) return XMPPIM_ERR_INVALID_ARGUMENT;
  im_resource *r = xmppim_mem_calloc(&srv->mem, 1, sizeof(*r));
  if (!r || xmppim_jid_copy(&r->jid, full, &srv->mem) != 0) {
    resource_free(&srv->mem, r);
    rv = XMPPIM_ERR_NOMEM;
  } else if (u->nres == u->res_cap) {
    size_t cap = u->res_cap ? 2 * u->res_cap : 2;
    im_resource **v = xmppim_mem_realloc(&srv->mem, u->res, cap * sizeof(*v));
    if (!v) {
      resource_free(&srv->mem, r);
      rv = XMPPIM_ERR_NOMEM;
    } else {
      u->res = v;
      u->res_cap = cap;
    }
  }
  if (rv == 0) u->res[u->nres++] = r;
  unload_idle_users(srv);
  return rv;
}

static void drain_queue(xmppim_server *srv);

int xmppim_server_resource_unbound(xmppim_server *srv, const xmppim_jid *full) {
  if (!srv || !full) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (srv->in_handle) return XMPPIM_ERR_INVALID_STATE;
  const char *bare = xmppim_jid_bare_string(full);
  im_user *u = xmppim_map_get(&srv->users, bare, strlen(bare));
  im_resource *r = u ? im_user_resource(u, full) : NULL;
  if (!r) return XMPPIM_ERR_NOT_FOUND;
  srv->in_handle = 1;
  /* R4.5.2-a/f: whether or not it said goodbye, the others are told. */
  im_presence_resource_gone(srv, u, r);
  for (size_t i = 0; i < u->nres; i++) {
    if (u->res[i] != r) continue;
    u->res[i] = u->res[--u->nres];
    break;
  }
  resource_free(&srv->mem, r);
  note_maybe_idle(srv, u);
  drain_queue(srv);
  srv->in_handle = 0;
  unload_idle_users(srv);
  return 0;
}

int xmppim_server_close_user(xmppim_server *srv, const char *user, xmppim_stream_condition condition) {
  if (!srv || !user || !srv->cb.close) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (srv->in_handle) return XMPPIM_ERR_INVALID_STATE;
  xmppim_jid *j;
  int rv = xmppim_jid_new(&j, user, strlen(user), &srv->mem);
  if (rv) return rv == XMPPIM_ERR_NOMEM ? rv : XMPPIM_ERR_INVALID_ARGUMENT;
  if (!xmppim_jid_local(j) || xmppim_jid_resource(j) || !xmppim_server_is_local(srv, xmppim_jid_domain(j))) {
    xmppim_jid_free(j);
    return XMPPIM_ERR_INVALID_ARGUMENT;
  }
  im_user *u = xmppim_map_get(&srv->users, xmppim_jid_bare_string(j), strlen(xmppim_jid_bare_string(j)));
  xmppim_jid_free(j);
  if (!u) return 0;
  int closed = 0;
  srv->in_handle = 1;
  while (u->nres) {
    im_resource *r = u->res[u->nres - 1];
    im_presence_resource_gone(srv, u, r);
    u->nres--;
    srv->cb.close(srv, r->jid, condition, srv->user_data);
    resource_free(&srv->mem, r);
    closed++;
  }
  note_maybe_idle(srv, u);
  drain_queue(srv);
  srv->in_handle = 0;
  unload_idle_users(srv);
  return closed;
}

/* ---- output ---- */

void im_deliver(xmppim_server *srv, const xmppim_jid *to, const xmppim_stanza *st) {
  /* A failing deliver means the resource is going away; the host says so. */
  (void)srv->cb.deliver(srv, to, st, srv->user_data);
}

int im_send(xmppim_server *srv, const xmppim_stanza *st) {
  const char *to = xmppim_stanza_attr(st, "to");
  xmppim_jid *j;
  int rv = to ? xmppim_jid_new(&j, to, strlen(to), &srv->mem) : XMPPIM_ERR_INVALID_ARGUMENT;
  if (rv) return rv;
  if (xmppim_server_is_local(srv, xmppim_jid_domain(j))) {
    xmppim_jid_free(j);
    /* Processed once the stanza that caused it is done (see server.h). */
    im_queued *q = xmppim_mem_calloc(&srv->mem, 1, sizeof(*q));
    if (!q) return XMPPIM_ERR_NOMEM;
    rv = xmppim_stanza_copy(&q->stanza, st, &srv->mem);
    if (rv) {
      xmppim_mem_free(&srv->mem, q);
      return rv;
    }
    if (srv->qtail)
      srv->qtail->next = q;
    else
      srv->qhead = q;
    srv->qtail = q;
    return 0;
  }
  rv = srv->cb.route ? srv->cb.route(srv, j, st, srv->user_data) : XMPPIM_ERR_NOT_FOUND;
  xmppim_jid_free(j);
  return rv;
}

void im_reply_error(xmppim_server *srv, const xmppim_jid *to, const xmppim_stanza *request,
                    xmppim_stanza_condition cond, const char *text) {
  xmppim_stanza *reply;
  if (xmppim_stanza_error_reply(&reply, request, xmppim_stanza_condition_usual_type(cond), cond, text,
                                text ? "en" : NULL, &srv->mem) != 0)
    return;
  if (xmppim_stanza_set_attr(reply, "to", xmppim_jid_to_string(to)) == 0) im_deliver(srv, to, reply);
  xmppim_stanza_free(reply);
}

/* ---- changes ---- */

static int contact_is_empty(const xmppim_contact *c) {
  return !c->in_roster && !c->pending && !c->approved && c->state == XMPPIM_SUB_STATE_NONE;
}

int im_commit(xmppim_server *srv, im_user *u, xmppim_contact **cp, xmppim_contact *before, int push) {
  im_roster *r = &u->roster;
  xmppim_contact *c = *cp;
  int bumped = 0, rv = 0;
  if (push) {
    rv = im_roster_bump(r, c->jid);
    bumped = rv == 0;
  }
  char ver[IM_VERSION_MAX];
  im_roster_version_string(r, ver);
  int empty = contact_is_empty(c);
  if (rv == 0)
    rv = empty ? srv->cb.delete_contact(srv->cb.store_data, u->bare, c->jid, ver)
               : srv->cb.save_contact(srv->cb.store_data, u->bare, c, ver);
  if (rv == 0) {
    if (before) im_roster_count_out(r, before);
    im_roster_count_in(r, c);
    if (empty) {
      im_roster_remove(r, c);
      *cp = NULL;
    }
    im_contact_free(&srv->mem, before);
    return 0;
  }
  /* The store refused: memory goes back to what the store holds. */
  if (bumped) im_roster_unbump(r, c->jid);
  if (before) {
    xmppim_contact failed = *c;
    *c = *before;
    xmppim_map_put(&r->contacts, c->jid, c->jid_len, c); /* same key, no allocation */
    xmppim_mem_free(&srv->mem, before);
    im_contact_clear(&srv->mem, &failed);
  } else {
    im_roster_count_in(r, c);
    im_roster_remove(r, c);
    *cp = NULL;
  }
  return rv == XMPPIM_ERR_NOMEM ? rv : XMPPIM_ERR_INTERNAL;
}

void im_push(xmppim_server *srv, im_user *u, im_resource *only, const char *jid, const xmppim_contact *c,
             uint64_t version) {
  char ver[IM_VERSION_MAX];
  im_roster_format_version(&u->roster, version, ver);
  for (size_t i = 0; i < u->nres; i++) {
    im_resource *r = u->res[i];
    if (!r->interested || (only && r != only)) continue;
    xmppim_stanza *iq, *q;
    char id[40];
    snprintf(id, sizeof(id), IM_PUSH_ID_PREFIX "%llu", (unsigned long long)++srv->push_seq);
    if (xmppim_stanza_new(&iq, &srv->mem, "iq", "jabber:client") != 0) return;
    int rv = xmppim_stanza_set_attr(iq, "type", "set");
    if (rv == 0) rv = xmppim_stanza_set_attr(iq, "id", id);
    if (rv == 0) rv = xmppim_stanza_set_attr(iq, "to", xmppim_jid_to_string(r->jid));
    if (rv == 0) rv = xmppim_stanza_add_child(iq, "query", XMPPIM_NS_ROSTER, &q);
    if (rv == 0) rv = xmppim_stanza_set_attr(q, "ver", ver); /* R2.6.3-i */
    if (rv == 0) rv = c && c->in_roster ? im_contact_write_item(c, q) : im_write_removed_item(jid, q);
    if (rv == 0) im_deliver(srv, r->jid, iq);
    xmppim_stanza_free(iq);
  }
}

/* ---- dispatch ---- */


/* sender: the local resource the stanza came from, or NULL (remote or queued). */
static int process(xmppim_server *srv, const xmppim_jid *sender, const xmppim_stanza *st) {
  const char *name = xmppim_stanza_name(st);
  const char *from_s = xmppim_stanza_attr(st, "from"), *to_s = xmppim_stanza_attr(st, "to");
  xmppim_jid *parsed_from = NULL, *to = NULL;
  int rv = 0;
  /* A local sender is already a JID: only a remote 'from' needs parsing. */
  if (!sender) {
    rv = from_s ? xmppim_jid_new(&parsed_from, from_s, strlen(from_s), &srv->mem) : XMPPIM_ERR_INVALID_ARGUMENT;
    if (rv) return rv == XMPPIM_ERR_NOMEM ? rv : XMPPIM_ERR_INVALID_ARGUMENT;
  }
  const xmppim_jid *from = sender ? sender : parsed_from;
  if (to_s && xmppim_jid_new(&to, to_s, strlen(to_s), &srv->mem) != 0) to = NULL;
  int from_client = sender != NULL;
  im_user *u = NULL;
  im_resource *res = NULL;
  if (from_client) {
    u = xmppim_map_get(&srv->users, xmppim_jid_bare_string(from), strlen(xmppim_jid_bare_string(from)));
    res = u ? im_user_resource(u, from) : NULL;
    if (!res) {
      rv = XMPPIM_ERR_INVALID_ARGUMENT; /* not a bound resource */
      goto out;
    }
    if (to_s && !to) {
      /* A 'to' that is no JID names nobody, the server least of all (fuzz
       * finding: such presence was taken for a broadcast and made the
       * resource available; a message went to the sender's own account, a
       * roster IQ to its roster). jid-malformed, as R3.1.2-c answers
       * subscription presence; never an answer to an error or a result. */
      const char *type = xmppim_stanza_attr(st, "type");
      if (!type || (strcmp(type, "error") != 0 && strcmp(type, "result") != 0))
        im_reply_error(srv, from, st, XMPPIM_STANZA_COND_JID_MALFORMED, NULL);
      rv = 1;
      goto out;
    }
  } else if (to_s && !to) {
    /* From a remote server, a 'to' that is no JID names nobody here either,
     * and an error would have to come from that non-address: dropped (fuzz
     * finding: a roster set was refused "from" it and routed). */
    rv = 1;
    goto out;
  }
  if (strcmp(name, "iq") == 0) {
    rv = im_roster_iq(srv, st, from, to, from_client);
    int push_answer = 0;
    if (rv == 0 && from_client &&
        (!to || (xmppim_jid_is_bare(to) && (xmppim_jid_bare_equal(to, from) ||
                                           (!xmppim_jid_local(to) && xmppim_server_is_local(srv, xmppim_jid_domain(to))))))) {
      /* Answers to our pushes: nothing depends on them (R2.1.6-g). */
      const char *type = xmppim_stanza_attr(st, "type"), *id = xmppim_stanza_attr(st, "id");
      if (type && id && (strcmp(type, "result") == 0 || strcmp(type, "error") == 0) &&
          strncmp(id, IM_PUSH_ID_PREFIX, strlen(IM_PUSH_ID_PREFIX)) == 0)
        push_answer = 1;
    }
    if (rv == 0) rv = push_answer ? 1 : im_message_or_iq(srv, st, from, to, from_client);
    goto out;
  }
  if (strcmp(name, "message") == 0) {
    rv = im_message_or_iq(srv, st, from, to, from_client);
    goto out;
  }
  if (strcmp(name, "presence") != 0) {
    rv = 0;
    goto out;
  }
  int sub = xmppim_sub_stanza_from_type(xmppim_stanza_attr(st, "type"));
  if (sub >= 0) {
    if (from_client)
      rv = im_sub_outbound(srv, u, from, st, (xmppim_sub_stanza)sub);
    else
      rv = im_sub_inbound(srv, st, from, to, (xmppim_sub_stanza)sub);
    goto out;
  }
  rv = im_presence(srv, u, res, st, from, to);
out:
  xmppim_jid_free(parsed_from);
  xmppim_jid_free(to);
  return rv;
}

static void drain_queue(xmppim_server *srv) {
  while (srv->qhead) {
    im_queued *q = srv->qhead;
    srv->qhead = q->next;
    if (!srv->qhead) srv->qtail = NULL;
    /* A local stanza that fails is lost only to its recipient; the sender's
     * side was committed already, as with a remote recipient. */
    (void)process(srv, NULL, q->stanza);
    xmppim_stanza_free(q->stanza);
    xmppim_mem_free(&srv->mem, q);
  }
}

int xmppim_server_handle_stanza(xmppim_server *srv, const xmppim_jid *sender, const xmppim_stanza *stanza) {
  if (!srv || !stanza) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (srv->in_handle) return XMPPIM_ERR_INVALID_STATE;
  if (sender && !local_full_jid(srv, sender)) return XMPPIM_ERR_INVALID_ARGUMENT;
  /* One namespace inside: a stanza from a server-to-server stream is taken
   * into jabber:client, as it would be delivered to a client. */
  xmppim_stanza *rescoped = NULL;
  const char *ns = xmppim_stanza_ns(stanza);
  if (ns && strcmp(ns, "jabber:server") == 0) {
    int rv = xmppim_stanza_copy(&rescoped, stanza, &srv->mem);
    if (rv == 0) rv = xmppim_stanza_rescope(rescoped, "jabber:server", "jabber:client");
    if (rv) {
      xmppim_stanza_free(rescoped);
      return rv;
    }
    stanza = rescoped;
  }
  srv->in_handle = 1;
  int rv = process(srv, sender, stanza);
  xmppim_stanza_free(rescoped);
  drain_queue(srv);
  srv->in_handle = 0;
  unload_idle_users(srv);
  return rv;
}

/* ---- loader and contact accessors ---- */

int xmppim_roster_loader_add(xmppim_roster_loader *ld, const char *jid, const char *name,
                             const char *const *groups, size_t group_count, xmppim_sub_state state,
                             int approved, int in_roster, const char *pending_request) {
  if (!ld || !jid || (group_count && !groups) || (unsigned)state >= XMPPIM_SUB_STATE_COUNT)
    return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_server *srv = ld->srv;
  im_roster *r = &ld->user->roster;
  xmppim_jid *j;
  int rv = xmppim_jid_new(&j, jid, strlen(jid), &srv->mem);
  if (rv) return rv == XMPPIM_ERR_NOMEM ? rv : XMPPIM_ERR_INVALID_ARGUMENT;
  if (xmppim_jid_resource(j) || im_roster_get(r, xmppim_jid_bare_string(j))) {
    xmppim_jid_free(j);
    return XMPPIM_ERR_INVALID_ARGUMENT;
  }
  for (size_t i = 0; i < group_count; i++)
    if (!groups[i]) {
      xmppim_jid_free(j);
      return XMPPIM_ERR_INVALID_ARGUMENT;
    }
  if (pending_request) {
    xmppim_stanza *probe;
    rv = xmppim_stanza_parse(&probe, pending_request, strlen(pending_request), &srv->mem, NULL);
    xmppim_stanza_free(probe);
    if (rv) {
      xmppim_jid_free(j);
      return rv == XMPPIM_ERR_NOMEM ? rv : XMPPIM_ERR_INVALID_ARGUMENT;
    }
  }
  xmppim_contact *c;
  rv = im_roster_add(r, xmppim_jid_bare_string(j), &c);
  xmppim_jid_free(j);
  if (rv) return rv;
  c->state = state;
  c->approved = approved ? 1 : 0;
  c->in_roster = in_roster ? 1 : 0;
  if (im_contact_set_item(&srv->mem, c, name, groups, group_count) != 0 ||
      (pending_request && im_contact_set_pending(&srv->mem, c, pending_request, strlen(pending_request)) != 0)) {
    im_roster_remove(r, c);
    return XMPPIM_ERR_NOMEM;
  }
  im_roster_count_in(r, c);
  return 0;
}

int xmppim_roster_loader_set_version(xmppim_roster_loader *ld, const char *version) {
  if (!ld || !version) return XMPPIM_ERR_INVALID_ARGUMENT;
  return im_roster_adopt_version(&ld->user->roster, version) == 0 ? 0 : XMPPIM_ERR_INVALID_ARGUMENT;
}

const char *xmppim_contact_jid(const xmppim_contact *c) { return c ? c->jid : NULL; }
const char *xmppim_contact_name(const xmppim_contact *c) { return c ? c->name : NULL; }
size_t xmppim_contact_group_count(const xmppim_contact *c) { return c ? c->ngroups : 0; }
const char *xmppim_contact_group(const xmppim_contact *c, size_t index) {
  return c && index < c->ngroups ? c->groups[index] : NULL;
}
xmppim_sub_state xmppim_contact_state(const xmppim_contact *c) { return c ? c->state : XMPPIM_SUB_STATE_NONE; }
int xmppim_contact_approved(const xmppim_contact *c) { return c ? c->approved : 0; }
int xmppim_contact_in_roster(const xmppim_contact *c) { return c ? c->in_roster : 0; }
const char *xmppim_contact_pending_request(const xmppim_contact *c) { return c ? c->pending : NULL; }
