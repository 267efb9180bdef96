/*
 * Presence on the server (RFC 6121 section 4): broadcast of initial,
 * subsequent and unavailable presence, probes and their answers, directed
 * presence and what an unavailable owes to its recipients.
 */
#include <stdlib.h>
#include <string.h>

#include "im/server_impl.h"
#include "util/mem.h"

typedef enum { P_AVAILABLE, P_UNAVAILABLE, P_PROBE, P_ERROR, P_SUBSCRIPTION, P_BAD } ptype;

static ptype presence_type(const xmppim_stanza *st) {
  const char *t = xmppim_stanza_attr(st, "type");
  if (!t) return P_AVAILABLE; /* R4.1-a, R4.7.1-e: no type is available */
  if (strcmp(t, "unavailable") == 0) return P_UNAVAILABLE;
  if (strcmp(t, "probe") == 0) return P_PROBE;
  if (strcmp(t, "error") == 0) return P_ERROR;
  if (xmppim_sub_stanza_from_type(t) >= 0) return P_SUBSCRIPTION;
  return P_BAD;
}

/* Children of the content namespace a broadcast must get right: one show
 * of four values (R4.7.2.1-b/c), one integer priority in -128..127
 * (R4.7.2.3-b/c), neither with attributes or child elements (R4.7.2.1-b,
 * R4.7.2.3-c). 0 with the priority (0 when absent, R4.7.2.3-d), or -1. */
static int check_availability(const xmppim_stanza *st, int *priority) {
  int shows = 0, priorities = 0;
  *priority = 0;
  for (xmppim_stanza *c = xmppim_stanza_first_child(st); c; c = xmppim_stanza_next_sibling(c)) {
    const char *ns = xmppim_stanza_ns(c), *name = xmppim_stanza_name(c);
    if (!ns || strcmp(ns, "jabber:client") != 0) continue;
    /* xmppim_stanza_text() skips child elements: without this check
     * <show>away<b/></show> passed as "away" (found by the R4.7.2.1-b and
     * R4.7.2.3-c conformance tests). */
    if ((strcmp(name, "show") == 0 || strcmp(name, "priority") == 0) &&
        (xmppim_stanza_first_child(c) || xmppim_stanza_attr_at(c, 0, NULL, NULL, NULL) == 0))
      return -1;
    if (strcmp(name, "show") == 0) {
      const char *v = xmppim_stanza_text(c);
      if (++shows > 1 || (strcmp(v, "away") != 0 && strcmp(v, "chat") != 0 && strcmp(v, "dnd") != 0 &&
                          strcmp(v, "xa") != 0))
        return -1;
    } else if (strcmp(name, "priority") == 0) {
      const char *v = xmppim_stanza_text(c);
      char *end;
      long p = strtol(v, &end, 10);
      if (++priorities > 1 || !*v || *end || p < -128 || p > 127) return -1;
      *priority = (int)p;
    }
  }
  return 0;
}

/* A copy of st from `from` to `to` (NULL: no 'to'), or NULL. */
static xmppim_stanza *readdress(xmppim_server *srv, const xmppim_stanza *st, const char *from, const char *to) {
  xmppim_stanza *p;
  if (xmppim_stanza_copy(&p, st, &srv->mem) != 0) return NULL;
  if (xmppim_stanza_set_attr(p, "from", from) != 0 || (to && xmppim_stanza_set_attr(p, "to", to) != 0)) {
    xmppim_stanza_free(p);
    return NULL;
  }
  return p;
}

/* A bare presence (no children) of `type` (NULL: available). */
static xmppim_stanza *bare_presence(xmppim_server *srv, const char *type, const char *from, const char *to,
                                    const char *id) {
  xmppim_stanza *p;
  if (xmppim_stanza_new(&p, &srv->mem, "presence", "jabber:client") != 0) return NULL;
  if ((type && xmppim_stanza_set_attr(p, "type", type) != 0) || xmppim_stanza_set_attr(p, "from", from) != 0 ||
      xmppim_stanza_set_attr(p, "to", to) != 0 || (id && xmppim_stanza_set_attr(p, "id", id) != 0)) {
    xmppim_stanza_free(p);
    return NULL;
  }
  return p;
}

static void send_and_free(xmppim_server *srv, xmppim_stanza *p) {
  if (p) (void)im_send(srv, p);
  xmppim_stanza_free(p);
}

/* ---- directed-presence recipients (R4.6.1-b) ---- */

static int directed_index(const im_resource *r, const char *jid) {
  for (size_t i = 0; i < r->ndirected; i++)
    if (strcmp(r->directed[i], jid) == 0) return (int)i;
  return -1;
}

static void directed_add(xmppim_server *srv, im_resource *r, const char *jid) {
  if (directed_index(r, jid) >= 0) return;
  char *copy = xmppim_mem_strndup(&srv->mem, jid, strlen(jid));
  char **v = copy ? xmppim_mem_realloc(&srv->mem, r->directed, (r->ndirected + 1) * sizeof(*v)) : NULL;
  if (!v) {
    /* Out of memory: the recipient misses a later unavailable, no more. */
    xmppim_mem_free(&srv->mem, copy);
    return;
  }
  r->directed = v;
  r->directed[r->ndirected++] = copy;
}

static void directed_remove(xmppim_server *srv, im_resource *r, const char *jid) {
  int i = directed_index(r, jid);
  if (i < 0) return;
  xmppim_mem_free(&srv->mem, r->directed[i]);
  r->directed[i] = r->directed[--r->ndirected];
}

void im_presence_forget_directed(xmppim_server *srv, im_user *u, const char *bare) {
  for (size_t i = 0; i < u->nres; i++) {
    im_resource *r = u->res[i];
    /* Only the available resources just sent their unavailable; a
     * connected-only one still owes its own (rule 3, R4.6.3-g). */
    if (!r->available) continue;
    for (size_t k = r->ndirected; k-- > 0;) {
      xmppim_jid *j;
      if (xmppim_jid_new(&j, r->directed[k], strlen(r->directed[k]), &srv->mem) != 0) continue;
      int same = strcmp(xmppim_jid_bare_string(j), bare) == 0;
      xmppim_jid_free(j);
      if (same) directed_remove(srv, r, r->directed[k]);
    }
  }
}

void im_presence_clear_directed(xmppim_server *srv, im_resource *r) {
  for (size_t i = 0; i < r->ndirected; i++) xmppim_mem_free(&srv->mem, r->directed[i]);
  xmppim_mem_free(&srv->mem, r->directed);
  r->directed = NULL;
  r->ndirected = 0;
}

/* ---- broadcast ---- */

/* The presence goes to every contact with subscription from or both and to
 * every available resource of the user (R4.2.2-a/b, R4.4.2-a/d, R4.5.2-b/e). */
static void broadcast(xmppim_server *srv, im_user *u, im_resource *from, const xmppim_stanza *st, int to_self) {
  const char *fj = xmppim_jid_to_string(from->jid);
  size_t it = 0;
  const char *key;
  size_t len;
  void *value;
  while (xmppim_map_next(&u->roster.contacts, &it, &key, &len, &value)) {
    const xmppim_contact *c = value;
    /* The account itself gets it through its resources below. */
    if (xmppim_sub_is_from(c->state) && strcmp(c->jid, u->bare) != 0)
      send_and_free(srv, readdress(srv, st, fj, c->jid));
  }
  for (size_t i = 0; i < u->nres; i++) {
    im_resource *r = u->res[i];
    if (r == from ? !to_self : !r->available) continue;
    xmppim_stanza *p = readdress(srv, st, fj, xmppim_jid_to_string(r->jid));
    if (p) im_deliver(srv, r->jid, p);
    xmppim_stanza_free(p);
  }
}

/* What a resource owes when it stops being available: the unavailable
 * presence to everyone who had its presence (R4.5.2-b/d/e, R4.6.3-f). */
static void go_unavailable(xmppim_server *srv, im_user *u, im_resource *r, const xmppim_stanza *st) {
  xmppim_stanza *own = NULL;
  const char *fj = xmppim_jid_to_string(r->jid);
  if (!st) {
    /* R4.5.2-f: generated for a resource that vanished. */
    own = bare_presence(srv, "unavailable", fj, u->bare, NULL);
    if (own) xmppim_stanza_set_attr(own, "to", NULL);
    st = own;
  }
  if (st) {
    /* A resource that vanished is not told of its own end. One that never
     * sent initial presence broadcast nothing, but owes its directed
     * presence an end too (rule 3, R4.6.3-g). */
    if (r->available) broadcast(srv, u, r, st, own == NULL);
    for (size_t i = 0; i < r->ndirected; i++) {
      /* Subscribers got it from the broadcast already (R4.6.1-a), when
       * there was one: a subscriber given directed presence under rule 3
       * had no broadcast to end and is owed the unavailable here (found by
       * the R4.6.3-g conformance test: it got none). */
      const char *to = r->directed[i];
      xmppim_jid *j;
      if (xmppim_jid_new(&j, to, strlen(to), &srv->mem) != 0) continue;
      const xmppim_contact *c = im_roster_get(&u->roster, xmppim_jid_bare_string(j));
      /* The user's own resources that got the broadcast are not told twice
       * (fuzz finding: directed presence to a sibling resource). */
      int own_covered = 0;
      if (r->available && strcmp(xmppim_jid_bare_string(j), u->bare) == 0) {
        if (!xmppim_jid_resource(j)) {
          own_covered = 1;
        } else {
          const im_resource *o = im_user_resource(u, j);
          own_covered = o && (o == r || o->available);
        }
      }
      xmppim_jid_free(j);
      if (own_covered) continue;
      if (r->available && c && xmppim_sub_is_from(c->state)) continue;
      send_and_free(srv, readdress(srv, st, fj, to));
    }
  }
  int was_available = r->available;
  im_presence_clear_directed(srv, r);
  r->available = 0;
  r->priority = 0;
  xmppim_stanza_free(r->presence);
  r->presence = NULL;
  /* The account's last available resource is gone: what it said last is
   * what a probe gets from now on (R4.3.2-g), if the store keeps it. */
  if (was_available && st && srv->cb.last_put) {
    int others = 0;
    for (size_t i = 0; i < u->nres; i++) others |= u->res[i]->available;
    if (!others && own) {
      /* Generated, not received: nothing the user said; forget the old one. */
      (void)srv->cb.last_put(srv->cb.store_data, u->bare, NULL);
    } else if (!others) {
      xmppim_stanza *p = readdress(srv, st, fj, u->bare);
      if (p) {
        xmppim_stanza_set_attr(p, "to", NULL);
        (void)srv->cb.last_put(srv->cb.store_data, u->bare, p);
      }
      xmppim_stanza_free(p);
    }
  }
  xmppim_stanza_free(own);
}

/* The presence of the user's contacts and other resources, for a resource
 * that just came online (R4.2.2-c, R4.3.1-b). A local contact is answered
 * from what the server knows, without a probe stanza (R4.3.1-e). */
/* The answer about a contact none of whose resources is available
 * (R4.3.2-f/g, R4.3.2.1-a/b): the full XML of the last unavailable
 * presence the store kept, with its own id; else a plain unavailable from
 * @p about (the bare JID, or the full JID asked for) with the probe's id. */
static void answer_unavailable(xmppim_server *srv, const char *bare, const char *about, const char *to,
                               const char *id, int use_last) {
  if (use_last && srv->cb.last_get) {
    xmppim_stanza *last = NULL;
    if (srv->cb.last_get(srv->cb.store_data, bare, &last) == 0 && last) {
      const char *lf = xmppim_stanza_attr(last, "from");
      send_and_free(srv, readdress(srv, last, lf ? lf : bare, to));
      xmppim_stanza_free(last);
      return;
    }
    xmppim_stanza_free(last);
  }
  send_and_free(srv, bare_presence(srv, "unavailable", about, to, id));
}

static void probe_contacts(xmppim_server *srv, im_user *u, im_resource *res) {
  for (size_t i = 0; i < u->nres; i++) {
    im_resource *o = u->res[i];
    if (o == res || !o->available || !o->presence) continue;
    xmppim_stanza *p = readdress(srv, o->presence, xmppim_jid_to_string(o->jid), xmppim_jid_to_string(res->jid));
    if (p) im_deliver(srv, res->jid, p);
    xmppim_stanza_free(p);
  }
  size_t it = 0;
  const char *key;
  size_t len;
  void *value;
  while (xmppim_map_next(&u->roster.contacts, &it, &key, &len, &value)) {
    const xmppim_contact *c = value;
    if (!xmppim_sub_is_to(c->state) || strcmp(c->jid, u->bare) == 0) continue;
    xmppim_jid *cj;
    if (xmppim_jid_new(&cj, c->jid, c->jid_len, &srv->mem) != 0) continue;
    if (!xmppim_server_is_local(srv, xmppim_jid_domain(cj))) {
      /* R4.3-b: from the user's bare JID to the contact's. */
      send_and_free(srv, bare_presence(srv, "probe", u->bare, c->jid, NULL));
    } else {
      /* The probe a local contact would get, answered here from state
       * (R4.3.2-j) without loading the contact's roster: their state
       * mirrors ours, so they are subscribed-from. */
      im_user *cu = xmppim_map_get(&srv->users, c->jid, c->jid_len);
      int answered = 0;
      for (size_t i = 0; cu && i < cu->nres; i++) {
        im_resource *o = cu->res[i];
        if (!o->available || !o->presence) continue;
        xmppim_stanza *p =
          readdress(srv, o->presence, xmppim_jid_to_string(o->jid), xmppim_jid_to_string(res->jid));
        if (p) im_deliver(srv, res->jid, p);
        xmppim_stanza_free(p);
        answered = 1;
      }
      if (!answered) answer_unavailable(srv, c->jid, c->jid, xmppim_jid_to_string(res->jid), NULL, 1);
    }
    xmppim_jid_free(cj);
  }
}

/* Presence with no 'to' from one of the user's resources. */
static int outbound_broadcast(xmppim_server *srv, im_user *u, im_resource *res, const xmppim_stanza *st, ptype t) {
  if (t == P_UNAVAILABLE) {
    if (res->available || res->ndirected) go_unavailable(srv, u, res, st);
    return 1;
  }
  int priority;
  if (check_availability(st, &priority) != 0) {
    im_reply_error(srv, res->jid, st, XMPPIM_STANZA_COND_BAD_REQUEST, "show or priority is malformed");
    return 1;
  }
  xmppim_stanza *copy;
  int rv = xmppim_stanza_copy(&copy, st, &srv->mem);
  if (rv) return rv;
  xmppim_stanza_set_attr(copy, "to", NULL);
  int initial = !res->available;
  /* A resource that could not take bare-JID traffic (negative priority)
   * and now can gets what was kept for one that can (XEP-0160). */
  int now_takes = !initial && res->priority < 0 && priority >= 0;
  xmppim_stanza_free(res->presence);
  res->presence = copy; /* the full XML, for probes (R4.3.2-j) */
  res->available = 1;
  res->priority = priority;
  broadcast(srv, u, res, st, 1);
  if (initial) probe_contacts(srv, u, res);
  if (initial || now_takes) {
    im_sub_redeliver(srv, u, res); /* R3.1.3-l */
    im_offline_flush(srv, u, res);
  }
  return 1;
}

/* Presence with a 'to', available or unavailable (R4.6.3). */
static int outbound_directed(xmppim_server *srv, im_user *u, im_resource *res, const xmppim_stanza *st,
                             const xmppim_jid *to, ptype t) {
  const char *to_s = xmppim_jid_to_string(to);
  const xmppim_contact *c = im_roster_get(&u->roster, xmppim_jid_bare_string(to));
  int subscriber = c && xmppim_sub_is_from(c->state) && res->available;
  if (!subscriber) {
    /* Rules 2 and 3: remembered until an unavailable cancels it. */
    if (t == P_AVAILABLE)
      directed_add(srv, res, to_s);
    else
      directed_remove(srv, res, to_s); /* R4.6.1-c */
  }
  /* Rule 1 (R4.6.3-b/c) and rule 2 (R4.6.3-d): the full XML goes on. */
  int rv = 0;
  xmppim_stanza *p = readdress(srv, st, xmppim_jid_to_string(res->jid), to_s);
  if (p) rv = im_send(srv, p);
  xmppim_stanza_free(p);
  if (rv == XMPPIM_ERR_NOT_FOUND) im_reply_error(srv, res->jid, st, XMPPIM_STANZA_COND_REMOTE_SERVER_NOT_FOUND, NULL);
  return 1;
}

/* ---- probes (R4.3.2, R4.6.6) ---- */

int im_presence_sent_directed(const im_resource *r, const xmppim_jid *who) {
  return directed_index(r, xmppim_jid_to_string(who)) >= 0 || directed_index(r, xmppim_jid_bare_string(who)) >= 0;
}

static int inbound_probe(xmppim_server *srv, const xmppim_stanza *st, const xmppim_jid *from, const xmppim_jid *to) {
  const char *id = xmppim_stanza_attr(st, "id");
  const char *prober = xmppim_jid_bare_string(from);
  im_user *u;
  int rv = im_user_get(srv, xmppim_jid_bare_string(to), &u);
  if (rv == XMPPIM_ERR_NOT_FOUND) {
    /* R4.3.2-a, R4.3.2-c: unsubscribed from the bare JID, with the probe's id. */
    send_and_free(srv, bare_presence(srv, "unsubscribed", xmppim_jid_bare_string(to), prober, id));
    return 1;
  }
  if (rv) return rv;
  const xmppim_contact *c = im_roster_get(&u->roster, prober);
  const char *asked = xmppim_jid_resource(to);
  if (!c || !xmppim_sub_is_from(c->state)) {
    /* R4.6.6-d/e: a bare presence for each resource that sent the prober
     * directed presence, and nothing about the others. */
    int any = 0;
    for (size_t i = 0; i < u->nres; i++) {
      im_resource *r = u->res[i];
      if ((asked && strcmp(xmppim_jid_resource(r->jid), asked) != 0) || !im_presence_sent_directed(r, from)) continue;
      any = 1;
      send_and_free(srv, bare_presence(srv, r->available ? NULL : "unavailable", xmppim_jid_to_string(r->jid),
                                       xmppim_jid_to_string(from), id));
    }
    /* R4.3.2-a/c; R4.3.2-b: the state, and any pre-approval, stay as they are. */
    if (!any) send_and_free(srv, bare_presence(srv, "unsubscribed", u->bare, prober, id));
    return 1;
  }
  int answered = 0;
  for (size_t i = 0; i < u->nres; i++) {
    im_resource *r = u->res[i];
    if (!r->available || !r->presence) continue;
    if (asked) {
      /* R4.3.2-l, R4.3.2-n/o: that resource only, availability only. */
      if (strcmp(xmppim_jid_resource(r->jid), asked) != 0) continue;
      send_and_free(srv, bare_presence(srv, NULL, xmppim_jid_to_string(r->jid), xmppim_jid_to_string(from), id));
    } else {
      /* R4.3.2-j, R4.3.2.1-a: the full XML of its last broadcast, its own id. */
      send_and_free(srv, readdress(srv, r->presence, xmppim_jid_to_string(r->jid), xmppim_jid_to_string(from)));
    }
    answered = 1;
  }
  /* R4.3.2-f/g/h: the last unavailable presence for a bare-JID probe,
   * else a plain unavailable with the probe's id. */
  if (!answered)
    answer_unavailable(srv, u->bare, asked ? xmppim_jid_to_string(to) : u->bare, xmppim_jid_to_string(from),
                       id, !asked);
  return 1;
}

/* ---- inbound ---- */

/* Presence for a local user, from a contact or anyone (R4.2.3-a, R4.4.3-a,
 * R4.5.3-a, R4.6.4-a): to every available resource, or to the one named. */
static int inbound_presence(xmppim_server *srv, const xmppim_stanza *st, const xmppim_jid *from, const xmppim_jid *to,
                            ptype t) {
  im_user *u = xmppim_map_get(&srv->users, xmppim_jid_bare_string(to), strlen(xmppim_jid_bare_string(to)));
  if (!u) return 1; /* nobody online: presence is not kept (R8.5.2.2.2) */
  for (size_t i = 0; i < u->nres; i++) {
    im_resource *r = u->res[i];
    /* R4.6.1-d: an entity that goes unavailable no longer needs ours. */
    if (t == P_UNAVAILABLE) {
      directed_remove(srv, r, xmppim_jid_to_string(from));
      directed_remove(srv, r, xmppim_jid_bare_string(from));
    }
    if (xmppim_jid_resource(to) ? xmppim_jid_equal(r->jid, to) : r->available) im_deliver(srv, r->jid, st);
  }
  return 1;
}

int im_presence(xmppim_server *srv, im_user *u, im_resource *res, const xmppim_stanza *st, const xmppim_jid *from,
                const xmppim_jid *to) {
  ptype t = presence_type(st);
  if (res) {
    /* From one of the user's resources. */
    if (t == P_BAD) {
      im_reply_error(srv, res->jid, st, XMPPIM_STANZA_COND_BAD_REQUEST, "unknown presence type"); /* R4.7.1-d */
      return 1;
    }
    if (t == P_PROBE) {
      /* R4.3-d is the client's; R4.3-e: processed or routed, from the
       * user's bare JID; R4.3-f: never an error for it. */
      if (!to) return 1;
      xmppim_stanza *p = readdress(srv, st, u->bare, xmppim_jid_to_string(to));
      send_and_free(srv, p);
      return 1;
    }
    if (t == P_ERROR) {
      if (to) send_and_free(srv, readdress(srv, st, xmppim_jid_to_string(res->jid), xmppim_jid_to_string(to)));
      return 1;
    }
    if (!to) return outbound_broadcast(srv, u, res, st, t);
    return outbound_directed(srv, u, res, st, to, t);
  }
  /* From a remote server, or queued from a local user. */
  if (!to || !xmppim_jid_local(to) || !xmppim_server_is_local(srv, xmppim_jid_domain(to)))
    return to && !xmppim_server_is_local(srv, xmppim_jid_domain(to)) ? 0 : 1;
  switch (t) {
    case P_PROBE:
      return inbound_probe(srv, st, from, to);
    case P_AVAILABLE:
    case P_UNAVAILABLE:
      return inbound_presence(srv, st, from, to, t);
    case P_ERROR: {
      /* An answer to presence one resource sent: to that resource only. */
      if (!xmppim_jid_resource(to)) return 1;
      im_user *tu = xmppim_map_get(&srv->users, xmppim_jid_bare_string(to), strlen(xmppim_jid_bare_string(to)));
      im_resource *r = tu ? im_user_resource(tu, to) : NULL;
      if (r) im_deliver(srv, r->jid, st);
      return 1;
    }
    case P_BAD: {
      /* R4.7.1-d: bad-request back to the sender, as for a local client
       * (the conformance test found it dropped without an answer). An
       * error is never answered, so two servers cannot loop on this. */
      xmppim_stanza *reply;
      if (xmppim_stanza_error_reply(&reply, st, xmppim_stanza_condition_usual_type(XMPPIM_STANZA_COND_BAD_REQUEST),
                                    XMPPIM_STANZA_COND_BAD_REQUEST, "unknown presence type", "en", &srv->mem) == 0)
        send_and_free(srv, reply);
      return 1;
    }
    default:
      return 1;
  }
}

void im_presence_resource_gone(xmppim_server *srv, im_user *u, im_resource *r) {
  if (r->available || r->ndirected) go_unavailable(srv, u, r, NULL);
}
