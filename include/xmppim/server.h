/**
 * @file server.h
 * @brief What a server embeds: the RFC 6121 processing of its users'
 * rosters and presence subscriptions, through store and router callbacks.
 *
 * An #xmppim_server serves the users of one or more local domains. The host
 * owns the connections: it runs an #xmppim_session (server role) per client,
 * and tells the server core three things:
 *
 * - a client bound a resource: xmppim_server_resource_bound();
 * - a stanza arrived, from a local client (after the session stamped its
 *   'from') or from a remote server (after the host verified it):
 *   xmppim_server_handle_stanza() with the sending resource, or NULL;
 * - a resource went away: xmppim_server_resource_unbound().
 *
 * The core answers through callbacks, synchronously and in the order the
 * RFC prescribes: `deliver` hands a stanza to one connected local resource
 * (the host writes it to that resource's session with
 * xmppim_session_send()), `route` hands one to a remote domain, and the
 * store callbacks load a user's roster and commit each change before
 * anything that depends on it goes out. A stanza between two local users
 * never leaves the core: it is queued and processed as if it had arrived,
 * after the stanza that caused it is finished, so the pushes each user
 * sees come in the order of the changes.
 *
 * Rosters (RFC 6121 section 2): gets, versioned gets with deltas from a
 * bounded change log, sets validated as sections 2.3.3 and 2.5 say, pushes
 * to every interested resource. Subscriptions (section 3 and Appendix A):
 * every subscription stanza goes through xmppim_sub_apply(), and what the
 * server does follows from its result in one place. Pending requests are
 * kept whole, with the contact, and redelivered to each resource that
 * becomes available.
 *
 * Like every object of the library it owns no socket, thread or clock and is
 * not thread-safe. Callbacks must not call back into the same server.
 */
#ifndef XMPPIM_SERVER_H
#define XMPPIM_SERVER_H

#include <xmppim/common.h>
#include <xmppim/jid.h>
#include <xmppim/stanza.h>
#include <xmppim/subscription.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The server core: users of the local domains, their rosters and resources. */
typedef struct xmppim_server xmppim_server;

/**
 * One contact in a user's roster as the server keeps it: the roster item
 * (when the user has one for the contact) and the contact's pending
 * subscription request (when there is one). Read it with the
 * xmppim_contact_* accessors; valid only during the callback that gives it.
 */
typedef struct xmppim_contact xmppim_contact;

/** Handed to the load_roster store callback to fill a roster. */
typedef struct xmppim_roster_loader xmppim_roster_loader;

/** The server's callbacks (store and router); opaque, set with setters. */
typedef struct xmppim_server_callbacks xmppim_server_callbacks;

/** Server limits and policies; opaque, set with setters. */
typedef struct xmppim_server_options xmppim_server_options;

/**
 * Loads the roster of @p user (a prepared bare JID) into @p loader with
 * xmppim_roster_loader_add() and xmppim_roster_loader_set_version().
 * @return 0; #XMPPIM_ERR_NOT_FOUND when there is no such user (stanzas for
 * them are then dropped or refused as RFC 6121 section 8.5.1 says); any
 * other negative value for a store failure (the request that needed the
 * roster then gets internal-server-error).
 */
typedef int (*xmppim_store_load_roster_cb)(void *store_data, const char *user,
                                           xmppim_roster_loader *loader);

/**
 * Commits one contact of @p user and the roster's version after the change,
 * in one transaction: nothing that depends on the change (the IQ result,
 * the pushes, the routed stanza) goes out before this returns 0.
 * @param version the roster version to store with it (opaque; hand it back
 * through xmppim_roster_loader_set_version()). It only changes when a push
 * goes out; a change that no client sees (a pending request of a contact
 * not in the roster) is saved with the current version.
 * @return 0, or a negative value: the change is then undone in memory and
 * the request fails with internal-server-error.
 */
typedef int (*xmppim_store_save_contact_cb)(void *store_data, const char *user,
                                            const xmppim_contact *contact, const char *version);

/** Deletes one contact of @p user (item and pending request) and stores the
 * roster's version, in one transaction. @return as for save. */
typedef int (*xmppim_store_delete_contact_cb)(void *store_data, const char *user,
                                              const char *jid, const char *version);

/** Called by the offline_take store callback once per kept message, oldest
 * first; @return 0 (the store may then forget the message) or an error. */
typedef int (*xmppim_offline_message_cb)(void *ctx, const xmppim_stanza *message);

/**
 * Keeps a message for @p user, who has no resource to take it (RFC 6121
 * section 8.5.2.2.1, offline storage as XEP-0160 describes). The store
 * decides how many it keeps; stamping the time it arrived (XEP-0203
 * `<delay/>`) is its business too, since the core reads no clock.
 * @return 0 when kept; any negative value when not (full, failing): the
 * sender then gets service-unavailable, so nothing is lost silently.
 */
typedef int (*xmppim_store_offline_put_cb)(void *store_data, const char *user, const xmppim_stanza *message);

/**
 * Hands back @p user's kept messages when a resource comes online with a
 * non-negative priority: call @p deliver for each, oldest first, and forget
 * each one it accepted (returned 0).
 * @return 0, or a negative value (the messages stay kept).
 */
typedef int (*xmppim_store_offline_take_cb)(void *store_data, const char *user, xmppim_offline_message_cb deliver,
                                            void *ctx);

/**
 * Keeps the unavailable presence with which @p user's last available
 * resource went offline (its full XML, 'from' the resource), replacing the
 * one kept before, so that probes can be answered with it later (RFC 6121
 * R4.3.2-g). @p presence is NULL when the last resource vanished without
 * one: forget what was kept (it no longer is the last thing the user said).
 * Stamping when it was received (XEP-0203 `<delay/>`, R4.3.2-i) is the
 * store's business: the core reads no clock.
 * @return 0 or a negative value (probes then get a plain unavailable).
 */
typedef int (*xmppim_store_last_presence_put_cb)(void *store_data, const char *user,
                                                 const xmppim_stanza *presence);
/**
 * Gives back what the put callback kept, as a new tree the core frees, or
 * sets @p out to NULL when there is none.
 * @return 0 or a negative value.
 */
typedef int (*xmppim_store_last_presence_get_cb)(void *store_data, const char *user, xmppim_stanza **out);

/**
 * Asks the host to close the stream of a connected local resource with the
 * stream error @p condition (xmppim_session_stream_error()). The core has
 * already sent the resource's unavailable presence and forgotten it: the
 * host does not call xmppim_server_resource_unbound() for it.
 */
typedef void (*xmppim_server_close_cb)(xmppim_server *srv, const xmppim_jid *resource,
                                       xmppim_stream_condition condition, void *user_data);

/**
 * Hands a stanza to a connected local resource (@p to is a full JID the host
 * announced with xmppim_server_resource_bound()). The stanza is borrowed:
 * write it (xmppim_session_send()) or copy it before returning.
 * @return 0, or a negative value, which the core logs and otherwise
 * ignores: the resource is gone or going, and the host will say so.
 */
typedef int (*xmppim_server_deliver_cb)(xmppim_server *srv, const xmppim_jid *to,
                                        const xmppim_stanza *stanza, void *user_data);

/**
 * Hands a stanza to a remote domain (the domain of @p to is not local);
 * borrowed as for deliver. Like every stanza the core produces it is in
 * jabber:client: a server-to-server stream writes it in jabber:server
 * (xmppim_stanza_rescope() on a copy). A host without server-to-server support returns
 * #XMPPIM_ERR_NOT_FOUND: the sender then gets remote-server-not-found where
 * the RFC asks for an error (R3.1.2-g).
 */
typedef int (*xmppim_server_route_cb)(xmppim_server *srv, const xmppim_jid *to,
                                      const xmppim_stanza *stanza, void *user_data);

/** Creates an empty callbacks object. @return 0 or #XMPPIM_ERR_NOMEM (or
 * #XMPPIM_ERR_INVALID_ARGUMENT for a NULL @p out). */
XMPPIM_EXTERN int xmppim_server_callbacks_new(xmppim_server_callbacks **out);
/** Frees it; the servers created with it keep their copy. NULL is allowed. */
XMPPIM_EXTERN void xmppim_server_callbacks_free(xmppim_server_callbacks *cb);
/** Required. */
XMPPIM_EXTERN void xmppim_server_callbacks_set_load_roster(xmppim_server_callbacks *cb,
                                                          xmppim_store_load_roster_cb fn);
/** Required. */
XMPPIM_EXTERN void xmppim_server_callbacks_set_save_contact(xmppim_server_callbacks *cb,
                                                           xmppim_store_save_contact_cb fn);
/** Required. */
XMPPIM_EXTERN void xmppim_server_callbacks_set_delete_contact(xmppim_server_callbacks *cb,
                                                             xmppim_store_delete_contact_cb fn);
/** Required. */
XMPPIM_EXTERN void xmppim_server_callbacks_set_deliver(xmppim_server_callbacks *cb,
                                                      xmppim_server_deliver_cb fn);
/** The first argument of the three store callbacks (the store's own state,
 * kept apart from the server's user data so that a ready-made store such as
 * #xmppim_memory_store can be plugged in). */
XMPPIM_EXTERN void xmppim_server_callbacks_set_store_data(xmppim_server_callbacks *cb,
                                                         void *store_data);
/** Optional: offline messages. Without them (or with only one of the two)
 * a message for a user with no resource to take it is answered with
 * service-unavailable (RFC 6121 section 8.5.2.2.1). */
XMPPIM_EXTERN void xmppim_server_callbacks_set_offline(xmppim_server_callbacks *cb,
                                                      xmppim_store_offline_put_cb put,
                                                      xmppim_store_offline_take_cb take);
/** Optional: the last unavailable presence of each user (R4.3.2-g). Both
 * or neither. */
XMPPIM_EXTERN void xmppim_server_callbacks_set_last_presence(xmppim_server_callbacks *cb,
                                                            xmppim_store_last_presence_put_cb put,
                                                            xmppim_store_last_presence_get_cb get);
/** Optional: how the core asks the host to close a session
 * (xmppim_server_close_user()). */
XMPPIM_EXTERN void xmppim_server_callbacks_set_close(xmppim_server_callbacks *cb, xmppim_server_close_cb fn);
/** Optional: without it every remote domain is unreachable. */
XMPPIM_EXTERN void xmppim_server_callbacks_set_route(xmppim_server_callbacks *cb,
                                                    xmppim_server_route_cb fn);

/** Creates options with the defaults below. @return 0, #XMPPIM_ERR_NOMEM or
 * #XMPPIM_ERR_INVALID_ARGUMENT. */
XMPPIM_EXTERN int xmppim_server_options_new(xmppim_server_options **out);
/** Frees them. NULL is allowed. */
XMPPIM_EXTERN void xmppim_server_options_free(xmppim_server_options *opts);
/** Most items a roster may hold (default 10,000): a roster set adding one
 * more fails with resource-constraint. @return 0 or #XMPPIM_ERR_INVALID_ARGUMENT (0). */
XMPPIM_EXTERN int xmppim_server_options_set_max_roster_items(xmppim_server_options *opts,
                                                            size_t n);
/** Longest item name and group name in bytes (default 1023 each): longer
 * ones are not-acceptable (R2.3.3-e, R2.3.3-g). Most groups per item
 * (default 64: more is not-acceptable too). @return 0 or
 * #XMPPIM_ERR_INVALID_ARGUMENT (a zero limit). */
XMPPIM_EXTERN int xmppim_server_options_set_item_limits(xmppim_server_options *opts,
                                                       size_t max_name, size_t max_group,
                                                       size_t max_groups);
/** How many roster changes each loaded roster remembers for versioned gets
 * (default 256, at most 65536; 0 disables deltas: a stale client gets the
 * full roster). @return 0 or #XMPPIM_ERR_INVALID_ARGUMENT. */
XMPPIM_EXTERN int xmppim_server_options_set_version_log(xmppim_server_options *opts, size_t n);
/** Normal messages to a bare JID go to every available resource with a
 * non-negative priority, not only the most available (RFC 6121
 * R8.5.2.1.1-c allows both; default off). @return 0 or
 * #XMPPIM_ERR_INVALID_ARGUMENT. */
XMPPIM_EXTERN int xmppim_server_options_set_normal_to_all(xmppim_server_options *opts, int on);
/**
 * Pre-approval (RFC 6121 section 3.4; default on). When on, the host adds
 * `<sub xmlns='urn:xmpp:features:pre-approval'/>` to the stream features
 * (xmppim_server_options_stream_features() says which); when off, a
 * subscribed presence that would pre-approve is ignored.
 */
XMPPIM_EXTERN int xmppim_server_options_set_preapproval(xmppim_server_options *opts, int on);
/**
 * Pending subscription requests kept for a user whose contacts ask while
 * the user is offline (R3.1.3-p): at most @p per_user (default 1000), each
 * at most @p max_bytes serialized (default 8192). A request past a limit is
 * still delivered to available resources, only not kept.
 */
XMPPIM_EXTERN int xmppim_server_options_set_pending_limits(xmppim_server_options *opts,
                                                          size_t per_user, size_t max_bytes);

/**
 * Creates the server core.
 * @param callbacks copied; load_roster, save_contact, delete_contact and
 * deliver are required.
 * @param options copied; NULL for the defaults.
 * @param mem allocator hooks, or NULL.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (NULL @p out or a required
 * callback missing) or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_server_new(xmppim_server **out, const xmppim_server_callbacks *callbacks,
                                    void *user_data, const xmppim_server_options *options,
                                    const xmppim_mem *mem);

/** Frees the server and everything it holds. NULL is allowed. */
XMPPIM_EXTERN void xmppim_server_free(xmppim_server *srv);

/** The user data given at creation. */
XMPPIM_EXTERN void *xmppim_server_user_data(const xmppim_server *srv);

/**
 * Adds a domain the server is authoritative for (prepared before use).
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (not a domain JID) or
 * #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_server_add_domain(xmppim_server *srv, const char *domain);

/** @return nonzero when @p domain (prepared) is one of the local domains. */
XMPPIM_EXTERN int xmppim_server_is_local(const xmppim_server *srv, const char *domain);

/**
 * The informational stream features this server supports, for the host to
 * advertise after authentication with xmppim_options_add_stream_feature():
 * call with index 0, 1, ... until it returns nonzero.
 * @return 0 with @p name and @p ns set, or #XMPPIM_ERR_NOT_FOUND past the end.
 */
XMPPIM_EXTERN int xmppim_server_stream_feature(const xmppim_server *srv, size_t index,
                                               const char **name, const char **ns);

/**
 * A client of a local user bound the resource @p full. The user's roster is
 * loaded now if this is the user's first resource.
 * @return 0; #XMPPIM_ERR_INVALID_ARGUMENT (not a full JID of a local
 * domain, or already bound); #XMPPIM_ERR_NOT_FOUND (the store knows no such
 * user); #XMPPIM_ERR_NOMEM; the store's error.
 */
XMPPIM_EXTERN int xmppim_server_resource_bound(xmppim_server *srv, const xmppim_jid *full);

/**
 * The resource @p full is gone (its stream closed or died). It stops being
 * interested and available; the user's roster is unloaded with the last one.
 * @return 0 or #XMPPIM_ERR_NOT_FOUND (not bound).
 */
XMPPIM_EXTERN int xmppim_server_resource_unbound(xmppim_server *srv, const xmppim_jid *full);

/**
 * Ends every session of @p user (an account deleted or its password
 * changed, say): each connected resource's unavailable presence goes out as
 * if its stream had died, then the close callback asks the host to close
 * it with @p condition (not-authorized, conflict, ...). The resources are
 * forgotten; the user's roster is unloaded.
 * @return how many sessions were closed (0 or more);
 * #XMPPIM_ERR_INVALID_ARGUMENT (not a local bare JID, or no close callback);
 * #XMPPIM_ERR_INVALID_STATE (called from a callback).
 */
XMPPIM_EXTERN int xmppim_server_close_user(xmppim_server *srv, const char *user,
                                           xmppim_stream_condition condition);

/**
 * Processes one stanza, from a local client or from a remote server.
 * Everything it causes is done before this returns.
 *
 * The sender is given apart from the stanza's 'from' because the session
 * stamps subscription presence with the bare JID (RFC 6121 R3-b), which no
 * longer says which resource sent it, and errors go back to that resource.
 *
 * @param sender the full JID of the bound local resource whose session
 * delivered the stanza (the session has stamped its 'from'), or NULL for a
 * stanza from a remote server (whose 'from' the host has verified). A
 * stanza in jabber:server (read from a server-to-server stream) is taken
 * as if it were in jabber:client.
 * Messages and IQs for local users follow RFC 6121 section 8
 * (xmppim_delivery_decide()): delivered, kept offline, or answered with an
 * error; an IQ get or set for a bare JID that the core does not answer
 * itself (only the roster) gets service-unavailable. A host with
 * extensions of its own (vCard, private storage, disco) takes those
 * stanzas before it calls this.
 *
 * @return 1 when the core handled the stanza (it may have answered with an
 * error); 0 when the stanza is the server's own business, which the host
 * answers: one addressed to the domain itself, or an IQ from a client with
 * no 'to' other than the roster (RFC 6120 10.3, RFC 6121 R8.2-a, R8.4-a);
 * a negative error:
 * #XMPPIM_ERR_INVALID_ARGUMENT (no usable 'from', or @p sender is not a
 * bound resource), #XMPPIM_ERR_INVALID_STATE (called from a callback),
 * #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_server_handle_stanza(xmppim_server *srv, const xmppim_jid *sender,
                                              const xmppim_stanza *stanza);

/**
 * Fills a roster for the store's load_roster callback: one contact of the
 * user. Pass what save_contact was given (xmppim_contact_* accessors).
 * @param jid the contact's bare JID (prepared again here).
 * @param name NULL for none. @param groups @p group_count group names.
 * @param in_roster nonzero when the user has a roster item for the contact;
 * zero for a contact that only has a pending request.
 * @param pending_request the contact's kept subscribe stanza, serialized,
 * or NULL.
 * Limits are not applied to what the store gives back (a roster stored
 * before a limit was lowered still loads whole); they stop new items.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (a bad JID or state, a duplicate
 * contact, a pending request that does not parse) or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_roster_loader_add(xmppim_roster_loader *loader, const char *jid,
                                           const char *name, const char *const *groups,
                                           size_t group_count, xmppim_sub_state state,
                                           int approved, int in_roster,
                                           const char *pending_request);

/** Gives the stored roster version (what save and delete were last given).
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_NOMEM. */
XMPPIM_EXTERN int xmppim_roster_loader_set_version(xmppim_roster_loader *loader,
                                                   const char *version);

/** @return the contact's bare JID. */
XMPPIM_EXTERN const char *xmppim_contact_jid(const xmppim_contact *c);
/** @return the item's name, or NULL. */
XMPPIM_EXTERN const char *xmppim_contact_name(const xmppim_contact *c);
/** @return how many groups the item is in. */
XMPPIM_EXTERN size_t xmppim_contact_group_count(const xmppim_contact *c);
/** @return group @p index, or NULL past the end. */
XMPPIM_EXTERN const char *xmppim_contact_group(const xmppim_contact *c, size_t index);
/** @return the subscription state (pending-in included). */
XMPPIM_EXTERN xmppim_sub_state xmppim_contact_state(const xmppim_contact *c);
/** @return nonzero when the user pre-approved the contact. */
XMPPIM_EXTERN int xmppim_contact_approved(const xmppim_contact *c);
/** @return nonzero when the user has a roster item for the contact. */
XMPPIM_EXTERN int xmppim_contact_in_roster(const xmppim_contact *c);
/** @return the kept subscribe stanza of the contact, serialized, or NULL. */
XMPPIM_EXTERN const char *xmppim_contact_pending_request(const xmppim_contact *c);

#ifdef __cplusplus
}
#endif

#endif /* XMPPIM_SERVER_H */
