/*
 * Inside xmppim_server: users, resources, the local queue, and the helpers
 * the roster (server_roster.c) and subscription (server_subscription.c)
 * halves share with the dispatcher (server.c).
 */
#ifndef XMPPIM_IM_SERVER_IMPL_H
#define XMPPIM_IM_SERVER_IMPL_H

#include <stdint.h>

#include <xmppim/errors.h>
#include <xmppim/server.h>

#include "im/roster_store.h"
#include "util/map.h"

struct xmppim_server_callbacks {
  xmppim_store_load_roster_cb load_roster;
  xmppim_store_save_contact_cb save_contact;
  xmppim_store_delete_contact_cb delete_contact;
  void *store_data;
  xmppim_store_offline_put_cb offline_put;
  xmppim_store_offline_take_cb offline_take;
  xmppim_store_last_presence_put_cb last_put;
  xmppim_store_last_presence_get_cb last_get;
  xmppim_server_close_cb close;
  xmppim_server_deliver_cb deliver;
  xmppim_server_route_cb route;
};

struct xmppim_server_options {
  size_t max_items;
  size_t max_name, max_group, max_groups;
  size_t version_log;
  int preapproval;
  size_t pending_per_user, pending_bytes;
  int normal_to_all;
};

typedef struct im_resource {
  xmppim_jid *jid; /* full */
  unsigned interested : 1; /* asked for the roster in this session (R2.2-b) */
  unsigned available : 1;  /* sent initial presence, not yet unavailable */
  int priority;
  xmppim_stanza *presence; /* its last available presence (R3.1.5-c, R4.3.2-j) */
  char **directed;         /* got directed presence from it (R4.6.1-b) */
  size_t ndirected;
} im_resource;

typedef struct im_user {
  char *bare; /* prepared bare JID; the users map key */
  size_t bare_len;
  xmppim_jid *jid;
  im_roster roster;
  im_resource **res;
  size_t nres, res_cap;
  int maybe_idle; /* listed in xmppim_server::idle */
} im_user;

typedef struct im_queued {
  struct im_queued *next;
  xmppim_stanza *stanza;
} im_queued;

struct xmppim_roster_loader {
  xmppim_server *srv;
  im_user *user;
};

struct xmppim_server {
  xmppim_mem mem;
  struct xmppim_server_callbacks cb;
  void *user_data;
  struct xmppim_server_options opt;
  char **domains;
  size_t ndomains;
  xmppim_map users; /* bare JID -> im_user*, loaded rosters only */
  im_queued *qhead, *qtail;
  im_user **idle; /* users that may have no resource left (unloaded after each call) */
  size_t nidle, idle_cap;
  int in_handle;
  uint64_t push_seq;
};

#define IM_PUSH_ID_PREFIX "xmppim-push-"

/* The user's loaded record, loading it from the store when needed. 0,
 * XMPPIM_ERR_NOT_FOUND (no such user) or an error. */
int im_user_get(xmppim_server *srv, const char *bare, im_user **out);
im_resource *im_user_resource(const im_user *u, const xmppim_jid *full);

/* Hands a stanza to one local resource. */
void im_deliver(xmppim_server *srv, const xmppim_jid *to, const xmppim_stanza *st);
/* Sends a stanza on towards its 'to': queued when local, routed when
 * remote. 0, XMPPIM_ERR_NOT_FOUND (no route to the domain), or an error. */
int im_send(xmppim_server *srv, const xmppim_stanza *st);

/* Answers a request with a stanza error to its sender (a local resource). */
void im_reply_error(xmppim_server *srv, const xmppim_jid *to, const xmppim_stanza *request,
                    xmppim_stanza_condition cond, const char *text);

/* Commits a change of contact c of user u: the store first, then (push)
 * a new version. `before` is a clone of c as it was (NULL: c is new); on
 * failure c is put back as it was. When c ends up holding nothing (no
 * item, no state, no request) it is deleted instead of saved, and freed:
 * *cp is then NULL. */
int im_commit(xmppim_server *srv, im_user *u, xmppim_contact **cp, xmppim_contact *before, int push);

/* Pushes the contact's item (or, for c NULL, the removal of jid) carrying
 * `version` to every interested resource (R2.2-c), or to `only`. */
void im_push(xmppim_server *srv, im_user *u, im_resource *only, const char *jid, const xmppim_contact *c,
             uint64_t version);

/* Roster IQs (server_roster.c). 1 handled, 0 not a roster IQ, or an error. */
int im_roster_iq(xmppim_server *srv, const xmppim_stanza *st, const xmppim_jid *from,
                 const xmppim_jid *to, int from_client);

/* Subscription presence (server_subscription.c). */
int im_sub_outbound(xmppim_server *srv, im_user *u, const xmppim_jid *from, const xmppim_stanza *st,
                    xmppim_sub_stanza type);
int im_sub_inbound(xmppim_server *srv, const xmppim_stanza *st, const xmppim_jid *from,
                   const xmppim_jid *to, xmppim_sub_stanza type);
/* The side effects of a roster removal (R2.5.2-b/c/d), after the push. */
int im_sub_after_removal(xmppim_server *srv, im_user *u, const char *contact, xmppim_sub_state old);
/* Presence that is not about subscriptions (server_presence.c): from the
 * user's resource res (u and res set), or for a local user (res NULL). */
int im_presence(xmppim_server *srv, im_user *u, im_resource *res, const xmppim_stanza *st, const xmppim_jid *from,
                const xmppim_jid *to);
/* A resource is going away: its unavailable presence, generated if need be. */
void im_presence_resource_gone(xmppim_server *srv, im_user *u, im_resource *r);
void im_presence_clear_directed(xmppim_server *srv, im_resource *r);
/* The contact (a bare JID) has been sent unavailable from every resource:
 * no directed presence to it is owed another one (R4.6.1-a). */
void im_presence_forget_directed(xmppim_server *srv, im_user *u, const char *bare);

/* Whether the resource sent `who` directed presence in this session (by
 * full or bare JID). */
int im_presence_sent_directed(const im_resource *r, const xmppim_jid *who);

/* Messages and IQs (server_delivery.c). 1 handled, 0 the host's (to the
 * domain, or no 'to'), or an error. */
int im_message_or_iq(xmppim_server *srv, const xmppim_stanza *st, const xmppim_jid *from, const xmppim_jid *to,
                     int from_client);
/* Initial presence with a non-negative priority: the kept messages. */
void im_offline_flush(xmppim_server *srv, im_user *u, im_resource *res);

/* Initial presence of a resource: redeliver the kept requests (R3.1.3-l). */
void im_sub_redeliver(xmppim_server *srv, im_user *u, im_resource *res);

#endif
