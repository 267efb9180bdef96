/*
 * Subscription presence on the server (RFC 6121 section 3 and Appendix A).
 * Every stanza goes through xmppim_sub_apply(); apply() below turns its
 * result into changes and stanzas, in the order subscription.h gives, and
 * is the only place that does.
 */
#include <string.h>

#include "im/server_impl.h"
#include "util/mem.h"
#include "xml/tree.h"

static xmppim_stanza *new_presence(xmppim_server *srv, const char *type, const char *from, const char *to) {
  xmppim_stanza *p;
  if (xmppim_stanza_new(&p, &srv->mem, "presence", "jabber:client") != 0) return NULL;
  if ((type && xmppim_stanza_set_attr(p, "type", type) != 0) || xmppim_stanza_set_attr(p, "from", from) != 0 ||
      xmppim_stanza_set_attr(p, "to", to) != 0) {
    xmppim_stanza_free(p);
    return NULL;
  }
  return p;
}

/* Sends a presence the server generates for the user towards the contact. */
static void send_generated(xmppim_server *srv, const char *type, const char *from, const char *to) {
  xmppim_stanza *p = new_presence(srv, type, from, to);
  if (p) (void)im_send(srv, p);
  xmppim_stanza_free(p);
}

/* Unavailable from each of the user's available resources (R3.2.2-f, R3.3.3-d). */
static void send_unavailable(xmppim_server *srv, im_user *u, const char *contact) {
  for (size_t i = 0; i < u->nres; i++)
    if (u->res[i]->available) send_generated(srv, "unavailable", xmppim_jid_to_string(u->res[i]->jid), contact);
  im_presence_forget_directed(srv, u, contact);
}

/* The last presence of each available resource (R3.1.5-c). */
static void send_presence(xmppim_server *srv, im_user *u, const char *contact) {
  for (size_t i = 0; i < u->nres; i++) {
    im_resource *r = u->res[i];
    if (!r->available || !r->presence) continue;
    xmppim_stanza *p;
    if (xmppim_stanza_copy(&p, r->presence, &srv->mem) != 0) continue;
    if (xmppim_stanza_set_attr(p, "from", xmppim_jid_to_string(r->jid)) == 0 &&
        xmppim_stanza_set_attr(p, "to", contact) == 0)
      (void)im_send(srv, p);
    xmppim_stanza_free(p);
  }
}

/* A contact's request goes to available resources that take it (R3.1.3-h). */
static int takes_requests(const im_resource *r) { return r->available && r->priority >= 0; }

static void deliver_inbound(xmppim_server *srv, im_user *u, xmppim_sub_stanza type, const xmppim_stanza *st) {
  for (size_t i = 0; i < u->nres; i++) {
    im_resource *r = u->res[i];
    /* Requests to available resources, answers to interested ones
     * (R3.1.6-b, R3.2.3-b, R3.3.3-b). */
    if (type == XMPPIM_SUB_SUBSCRIBE ? takes_requests(r) : r->interested) im_deliver(srv, r->jid, st);
  }
}

/* The kept copy of a request: addressed to the user's bare JID, whole. */
static char *serialize_request(xmppim_server *srv, im_user *u, const xmppim_stanza *st, size_t *len) {
  xmppim_stanza *copy;
  if (xmppim_stanza_copy(&copy, st, &srv->mem) != 0) return NULL;
  char *out = NULL;
  *len = 0;
  if (xmppim_stanza_set_attr(copy, "to", u->bare) == 0)
    out = xmppim_stanza_to_string(copy, &srv->mem, srv->opt.pending_bytes, len);
  xmppim_stanza_free(copy);
  return out;
}

/*
 * One subscription stanza between user u and contact (a bare JID string).
 * `sender` is the user's resource for an outbound stanza (errors go back to
 * it), NULL for an inbound one. Returns 1 (handled) or an error.
 */
static int apply(xmppim_server *srv, im_user *u, const char *contact, xmppim_sub_direction dir,
                 xmppim_sub_stanza type, const xmppim_stanza *st, const xmppim_jid *sender) {
  xmppim_contact *c = im_roster_get(&u->roster, contact);
  xmppim_sub_result r;
  int rv = xmppim_sub_apply(dir, type, c ? c->state : XMPPIM_SUB_STATE_NONE, c ? c->approved : 0, &r);
  if (rv) return rv;
  /* R3.4-a: without pre-approval such a subscribed means nothing. */
  if (r.approved_effect == XMPPIM_SUB_APPROVED_SET && !srv->opt.preapproval) return 1;

  int approved = c ? c->approved : 0;
  if (r.approved_effect == XMPPIM_SUB_APPROVED_SET) approved = 1;
  /* A pre-approval answers one request and is gone (R3.4.2-i leaves it to
   * the server; a kept one would approve a later request nobody saw). */
  if (r.approved_effect == XMPPIM_SUB_APPROVED_CLEAR || r.approved_effect == XMPPIM_SUB_APPROVED_CONSUMED)
    approved = 0;
  int in_roster = c ? c->in_roster : 0;
  int push = (r.effects & XMPPIM_SUB_FX_PUSH_ITEM) != 0;
  if (push && !in_roster && (r.new_state != XMPPIM_SUB_STATE_NONE || approved)) in_roster = 1;
  push = push && in_roster;
  /* max_items holds for the items a subscription adds as for a roster set
   * (found by the fuzz_server checks: a user's subscribe or subscribed to
   * new contacts grew the roster past the limit). Only the user's own
   * stanzas add items. */
  if (sender && in_roster && !(c && c->in_roster) && u->roster.items >= srv->opt.max_items) {
    im_reply_error(srv, sender, st, XMPPIM_STANZA_COND_RESOURCE_CONSTRAINT, "the roster is full");
    return 1;
  }
  char *pending = NULL;
  size_t pending_len = 0;
  int keep = (r.effects & XMPPIM_SUB_FX_KEEP_REQUEST) != 0, drop = (r.effects & XMPPIM_SUB_FX_DROP_REQUEST) != 0;
  if (keep && (!c || !c->pending) && u->roster.pending >= srv->opt.pending_per_user) {
    /* R3.1.3-p: past the cap the request is only delivered. From a stranger
     * (no contact yet) it is not remembered at all either: otherwise every
     * new JID a remote server makes up would grow the user's store. The
     * user can still answer it; the answer then reads as a pre-approval. */
    keep = 0;
    if (!c) r.new_state = XMPPIM_SUB_STATE_NONE;
  }
  if (keep) pending = serialize_request(srv, u, st, &pending_len);

  int changed = !c ? r.new_state != XMPPIM_SUB_STATE_NONE || approved || in_roster || pending
                   : c->state != r.new_state || (int)c->approved != approved || (int)c->in_roster != in_roster ||
                pending || (drop && c->pending);
  if (changed || push) {
    xmppim_contact *before = NULL;
    int added = !c;
    rv = c ? im_contact_clone(&srv->mem, c, &before) : im_roster_add(&u->roster, contact, &c);
    if (rv == 0 && pending) {
      /* R3.1.3-n: one kept request per contact. A repeat finds the state
       * pending already and Table 6 leaves it be, so the first one stays. */
      rv = im_contact_set_pending(&srv->mem, c, pending, pending_len);
    } else if (rv == 0 && drop) {
      im_contact_set_pending(&srv->mem, c, NULL, 0);
    }
    if (rv == 0) {
      c->state = r.new_state;
      c->approved = approved ? 1 : 0;
      c->in_roster = in_roster ? 1 : 0;
      rv = im_commit(srv, u, &c, before, push);
    } else {
      /* Only a contact added here goes again: when the clone of an existing
       * one fails, that one stays as the store has it (fuzz finding: it was
       * removed from memory, and the roster went out of step with the store). */
      if (before)
        im_contact_free(&srv->mem, before);
      else if (added && c)
        im_roster_remove(&u->roster, c);
      c = NULL;
    }
    if (rv) {
      xmppim_mem_free(&srv->mem, pending);
      if (sender) im_reply_error(srv, sender, st, XMPPIM_STANZA_COND_INTERNAL_SERVER_ERROR, NULL);
      return rv == XMPPIM_ERR_NOMEM ? rv : 1;
    }
  }
  xmppim_mem_free(&srv->mem, pending);

  /* Now the stanzas, in the order of subscription.h. */
  if (r.effects & XMPPIM_SUB_FX_SEND_UNAVAILABLE) send_unavailable(srv, u, contact);
  if (r.route_or_deliver) {
    if (dir == XMPPIM_SUB_OUTBOUND) {
      xmppim_stanza *out;
      rv = xmppim_stanza_copy(&out, st, &srv->mem);
      /* R3-b, R3.1.2-f: from the user's bare JID; R3.1.2-b: to the contact's. */
      if (rv == 0) rv = xmppim_stanza_set_attr(out, "from", u->bare);
      if (rv == 0) rv = xmppim_stanza_set_attr(out, "to", contact);
      if (rv == 0) rv = im_send(srv, out);
      xmppim_stanza_free(out);
      if (rv == XMPPIM_ERR_NOT_FOUND || (rv && rv != XMPPIM_ERR_NOMEM)) /* R3.1.2-g */
        im_reply_error(srv, sender, st, XMPPIM_STANZA_COND_REMOTE_SERVER_NOT_FOUND, NULL);
    } else {
      deliver_inbound(srv, u, type, st);
    }
  }
  if (push) im_push(srv, u, NULL, contact, c, u->roster.version);
  if (r.auto_reply != XMPPIM_SUB_REPLY_NONE)
    send_generated(srv, xmppim_sub_reply_type(r.auto_reply), u->bare, contact);
  if (r.effects & XMPPIM_SUB_FX_SEND_PRESENCE) send_presence(srv, u, contact);
  return 1;
}

int im_sub_outbound(xmppim_server *srv, im_user *u, const xmppim_jid *from, const xmppim_stanza *st,
                    xmppim_sub_stanza type) {
  const char *to = xmppim_stanza_attr(st, "to");
  if (!to) {
    im_reply_error(srv, from, st, XMPPIM_STANZA_COND_BAD_REQUEST, "a subscription stanza needs a 'to'");
    return 1;
  }
  xmppim_jid *j;
  int rv = xmppim_jid_new(&j, to, strlen(to), &srv->mem); /* R3.1.2-a */
  if (rv == XMPPIM_ERR_NOMEM) return rv;
  if (rv) {
    im_reply_error(srv, from, st, XMPPIM_STANZA_COND_JID_MALFORMED, NULL); /* R3.1.2-c */
    return 1;
  }
  rv = apply(srv, u, xmppim_jid_bare_string(j), XMPPIM_SUB_OUTBOUND, type, st, from);
  xmppim_jid_free(j);
  return rv;
}

int im_sub_inbound(xmppim_server *srv, const xmppim_stanza *st, const xmppim_jid *from, const xmppim_jid *to,
                   xmppim_sub_stanza type) {
  if (!to || !xmppim_jid_local(to) || !xmppim_server_is_local(srv, xmppim_jid_domain(to)))
    return to && !xmppim_server_is_local(srv, xmppim_jid_domain(to)) ? 0 : 1;
  im_user *u;
  int rv = im_user_get(srv, xmppim_jid_bare_string(to), &u); /* R3.1.3-b: the bare JID */
  if (rv == XMPPIM_ERR_NOT_FOUND) return 1; /* R8.5.1-d: silently */
  if (rv) return rv;
  /* To a full JID: a request counts for the bare JID whatever the resource
   * (R8.5.3.2.2-b); the other three only when that resource is connected
   * (R8.5.3.1-f), and are ignored otherwise (R8.5.3.2.2-c). */
  if (xmppim_jid_resource(to) && type != XMPPIM_SUB_SUBSCRIBE && !im_user_resource(u, to)) return 1;
  return apply(srv, u, xmppim_jid_bare_string(from), XMPPIM_SUB_INBOUND, type, st, NULL);
}

int im_sub_after_removal(xmppim_server *srv, im_user *u, const char *contact, xmppim_sub_state old) {
  /* R2.5.2-b/c/d. A pending request either way is withdrawn or denied too,
   * so that the contact's server forgets it (see the checklist's note). */
  if (xmppim_sub_is_to(old) || xmppim_sub_ask(old)) send_generated(srv, "unsubscribe", u->bare, contact);
  if (xmppim_sub_is_from(old)) send_unavailable(srv, u, contact); /* R3.2.2-f */
  if (xmppim_sub_is_from(old) || xmppim_sub_pending_in(old)) send_generated(srv, "unsubscribed", u->bare, contact);
  return 0;
}

void im_sub_redeliver(xmppim_server *srv, im_user *u, im_resource *res) {
  if (!takes_requests(res) || u->roster.pending == 0) return;
  size_t it = 0;
  const char *key;
  size_t len;
  void *value;
  /* R3.1.3-l, and one per contact (R3.1.3-m). */
  while (xmppim_map_next(&u->roster.contacts, &it, &key, &len, &value)) {
    const xmppim_contact *c = value;
    if (!c->pending) continue;
    xmppim_stanza *st;
    if (xmppim_stanza_parse(&st, c->pending, strlen(c->pending), &srv->mem, NULL) != 0) continue;
    im_deliver(srv, res->jid, st);
    xmppim_stanza_free(st);
  }
}
