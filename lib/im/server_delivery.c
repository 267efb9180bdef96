/*
 * Messages and IQs on the server (RFC 6121 sections 5, 6 and 8): where a
 * stanza for a local user goes, decided by xmppim_delivery_decide() and
 * carried out here: delivery, offline storage through the store, stanza
 * errors back to the sender. Presence has its own engine
 * (server_presence.c); subscription stanzas theirs (server_subscription.c).
 */
#include <string.h>

#include <xmppim/delivery.h>

#include "im/server_impl.h"
#include "util/mem.h"

/* The answer of an error to its sender, wherever the sender is. */
static void bounce(xmppim_server *srv, const xmppim_stanza *st, xmppim_stanza_error_type type,
                   xmppim_stanza_condition cond) {
  xmppim_stanza *reply;
  if (xmppim_stanza_error_reply(&reply, st, type, cond, NULL, NULL, &srv->mem) != 0) return;
  if (xmppim_stanza_attr(reply, "to")) (void)im_send(srv, reply);
  xmppim_stanza_free(reply);
}

/* What section 8 may tell this sender about the user (R8.1-a). */
static unsigned sender_bits(const im_user *u, const xmppim_jid *from) {
  if (!from) return 0;
  if (strcmp(xmppim_jid_bare_string(from), u->bare) == 0) return XMPPIM_DELIVERY_SENDER_SELF;
  const xmppim_contact *c = im_roster_get(&u->roster, xmppim_jid_bare_string(from));
  if (c && xmppim_sub_is_from(c->state)) return XMPPIM_DELIVERY_SENDER_SEES_PRESENCE;
  for (size_t i = 0; i < u->nres; i++)
    if (im_presence_sent_directed(u->res[i], from)) return XMPPIM_DELIVERY_SENDER_SEES_PRESENCE;
  return 0;
}

static int store_offline(xmppim_server *srv, im_user *u, const xmppim_stanza *st) {
  return srv->cb.offline_put ? srv->cb.offline_put(srv->cb.store_data, u->bare, st) : XMPPIM_ERR_NOT_FOUND;
}

/* A message or IQ for the local user `to`, from anyone (a local resource's
 * stanza comes here through the queue). */
static int deliver_local(xmppim_server *srv, const xmppim_stanza *st, const xmppim_jid *from, const xmppim_jid *to) {
  xmppim_delivery_input in;
  memset(&in, 0, sizeof(in));
  if (xmppim_delivery_classify(st, &in.kind, &in.type) != 0) {
    /* An IQ without a valid type: bad-request, as RFC 6120 8.2.3 asks. */
    bounce(srv, st, XMPPIM_STANZA_ERROR_TYPE_MODIFY, XMPPIM_STANZA_COND_BAD_REQUEST);
    return 1;
  }
  im_user *u = NULL;
  int rv = im_user_get(srv, xmppim_jid_bare_string(to), &u);
  if (rv && rv != XMPPIM_ERR_NOT_FOUND) {
    /* The store failed: the sender learns it (the stanza is not lost
     * silently), and may try again later. */
    bounce(srv, st, XMPPIM_STANZA_ERROR_TYPE_WAIT, XMPPIM_STANZA_COND_INTERNAL_SERVER_ERROR);
    return rv == XMPPIM_ERR_NOMEM ? rv : 1;
  }
  xmppim_delivery_resource stack[8], *res = stack;
  size_t n = u ? u->nres : 0, targets_stack[8], *targets = targets_stack;
  if (n > 8) {
    res = xmppim_mem_calloc(&srv->mem, n, sizeof(*res));
    targets = xmppim_mem_calloc(&srv->mem, n, sizeof(*targets));
    if (!res || !targets) {
      if (res != stack) xmppim_mem_free(&srv->mem, res);
      if (targets != targets_stack) xmppim_mem_free(&srv->mem, targets);
      return XMPPIM_ERR_NOMEM;
    }
  }
  for (size_t i = 0; i < n; i++) {
    res[i].resource = xmppim_jid_resource(u->res[i]->jid);
    res[i].priority = u->res[i]->priority;
    res[i].available = u->res[i]->available;
    res[i].all_chats = 0;
  }
  in.to_resource = xmppim_jid_resource(to);
  in.user_exists = u != NULL;
  in.resources = res;
  in.nresources = n;
  in.sender = u ? sender_bits(u, from) : 0;
  in.policy = (srv->cb.offline_put ? XMPPIM_DELIVERY_POLICY_OFFLINE : 0u) |
              (srv->opt.normal_to_all ? XMPPIM_DELIVERY_POLICY_NORMAL_TO_ALL : 0u);
  xmppim_delivery_decision d;
  rv = xmppim_delivery_decide(&in, &d, targets, n);
  if (rv == 0) {
    switch (d.action) {
      case XMPPIM_DELIVERY_ACT_DELIVER:
        for (size_t i = 0; i < d.ntargets; i++) im_deliver(srv, u->res[targets[i]]->jid, st);
        break;
      case XMPPIM_DELIVERY_ACT_STORE_OFFLINE:
        if (store_offline(srv, u, st) != 0) bounce(srv, st, d.error_type, d.condition);
        break;
      case XMPPIM_DELIVERY_ACT_BOUNCE:
        bounce(srv, st, d.error_type, d.condition);
        break;
      case XMPPIM_DELIVERY_ACT_HANDLE:
        /* An IQ for the bare JID that no module of the core answered (the
         * roster was offered first): R6-a, one answer, the error. An IQ
         * result or error for the bare JID answers nothing we sent. */
        if (d.condition != XMPPIM_STANZA_COND_NONE) bounce(srv, st, d.error_type, d.condition);
        break;
      case XMPPIM_DELIVERY_ACT_DROP:
      case XMPPIM_DELIVERY_ACT_REPLY_UNSUBSCRIBED:
        break;
    }
  }
  if (res != stack) xmppim_mem_free(&srv->mem, res);
  if (targets != targets_stack) xmppim_mem_free(&srv->mem, targets);
  return rv ? rv : 1;
}

int im_message_or_iq(xmppim_server *srv, const xmppim_stanza *st, const xmppim_jid *from, const xmppim_jid *to,
                     int from_client) {
  int is_message = strcmp(xmppim_stanza_name(st), "message") == 0;
  xmppim_stanza *own = NULL;
  if (from_client && !to) {
    /* RFC 6120 10.3.1: a message with no 'to' is for the sender's bare JID.
     * Anything else without one is the server's (R8.2-a): the host's. */
    if (!is_message) return 0;
    if (xmppim_stanza_copy(&own, st, &srv->mem) != 0) return XMPPIM_ERR_NOMEM;
    if (xmppim_stanza_set_attr(own, "to", xmppim_jid_bare_string(from)) != 0) {
      xmppim_stanza_free(own);
      return XMPPIM_ERR_NOMEM;
    }
    int rv = im_send(srv, own);
    xmppim_stanza_free(own);
    return rv == 0 ? 1 : rv;
  }
  if (!to) return 1; /* from a remote server with no 'to': nothing to do */
  int local = xmppim_server_is_local(srv, xmppim_jid_domain(to));
  if (!xmppim_jid_local(to)) {
    /* The domain itself (R8.4-a) is the host's; a remote one is routed. */
    if (local) return 0;
    if (!from_client) return 1;
  }
  if (from_client) {
    /* Local or remote, it leaves the sender's hands the same way (R8.3-a). */
    int rv = im_send(srv, st);
    if (rv == XMPPIM_ERR_NOT_FOUND)
      bounce(srv, st, XMPPIM_STANZA_ERROR_TYPE_CANCEL, XMPPIM_STANZA_COND_REMOTE_SERVER_NOT_FOUND);
    else if (rv)
      return rv;
    return 1;
  }
  if (!local) return 1; /* not ours to relay */
  return deliver_local(srv, st, from, to);
}

typedef struct offline_ctx {
  xmppim_server *srv;
  im_resource *res;
} offline_ctx;

static int deliver_kept(void *ud, const xmppim_stanza *message) {
  offline_ctx *c = ud;
  im_deliver(c->srv, c->res->jid, message);
  return 0;
}

void im_offline_flush(xmppim_server *srv, im_user *u, im_resource *res) {
  /* Kept messages go to the first resource that can take bare-JID
   * messages (a non-negative priority). */
  if (!srv->cb.offline_take || res->priority < 0) return;
  offline_ctx c = {srv, res};
  (void)srv->cb.offline_take(srv->cb.store_data, u->bare, deliver_kept, &c);
}
