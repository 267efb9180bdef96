/**
 * @file roster.h
 * @brief The client-side roster cache (RFC 6121 section 2).
 *
 * An #xmppim_roster created with xmppim_roster_client_new() keeps the
 * items of the account's roster as the server reports them: it asks for the
 * roster (xmppim_roster_request()), replaces its cache with a full result,
 * keeps it on an empty result (roster versioning, RFC 6121 section 2.6.3),
 * and applies roster pushes. It never changes an item on its own: the
 * helpers that add, update or remove items only send the roster set, and
 * the cache changes when the server's push arrives.
 *
 * Wiring: the roster does not install itself in the session. Call
 * xmppim_roster_handle_stanza() first thing in the session's on_stanza
 * callback, and return 0 when it returns 1:
 *
 * @code
 * static int on_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
 *   struct app *app = ud;
 *   if (xmppim_roster_handle_stanza(app->roster, st) == 1) return 0;
 *   ... the application's own stanzas ...
 *   return XMPPIM_STANZA_UNHANDLED;
 * }
 * @endcode
 *
 * Roster pushes (RFC 6121 section 2.1.6):
 * - a push whose `from` is absent or is the account's bare JID is applied
 *   and answered with an IQ result of the same id (R2.1.6-c, R2.1.6-f);
 * - a push from anyone else is consumed and ignored: nothing is applied and
 *   nothing is answered (R2.1.6-d; R2.1.6-e allows silence, chosen so that
 *   a stranger learns nothing about the client's presence);
 * - a push from the account whose query does not hold exactly one item, or
 *   whose item has no valid `jid`, is answered with bad-request (modify)
 *   and not applied (R2.1.6-b is the server's MUST; the client's reply
 *   follows R2.1.6-f's "result (or error)");
 * - a `subscription` value other than none, to, from, both or remove is
 *   ignored, which means "none" (R2.1.2.5-c); in a result "remove" is
 *   ignored too (R2.1.2.5-b). An `ask` other than "subscribe", or one that
 *   contradicts the subscription, is ignored.
 *
 * Items are keyed by their prepared bare JID. Their subscription state is
 * stored once, as an #xmppim_sub_state; the 'subscription' and 'ask'
 * attributes are derived from it (xmppim_roster_item_subscription(),
 * xmppim_roster_item_ask()).
 *
 * Lifetime: the session must outlive every call into the roster. The
 * roster may be freed while its request is outstanding: the answer is
 * then ignored. Item pointers are valid until the next call that changes
 * the roster (a push or result handled, a load, a free); the callbacks see
 * them inside that call only.
 *
 * Roster sets and removals are sent with xmppim_session_send_iq(); their
 * answer changes nothing in the cache (the push that follows a success
 * does, R2.3.2-c) and is reported by on_set_done.
 *
 * Not thread-safe; use it from the thread that feeds its session.
 */
#ifndef XMPPIM_ROSTER_H
#define XMPPIM_ROSTER_H

#include <stddef.h>
#include <xmppim/common.h>
#include <xmppim/session.h>
#include <xmppim/stanza.h>
#include <xmppim/subscription.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The namespace of roster queries. */
#define XMPPIM_NS_ROSTER "jabber:iq:roster"

/** A roster: here, the client's cache of its account's roster. */
typedef struct xmppim_roster xmppim_roster;

/** One contact of a roster (borrowed from the roster). */
typedef struct xmppim_roster_item xmppim_roster_item;

/**
 * What the roster reports. Zero-initialise the structure and set the
 * members you want; it is copied at creation. Every member may be NULL.
 */
typedef struct xmppim_roster_callbacks {
  /** A push added an item. */
  void (*on_item_added)(xmppim_roster *r, const xmppim_roster_item *item, void *user_data);
  /** A push changed an item that was there (name, groups, state or approved). */
  void (*on_item_updated)(xmppim_roster *r, const xmppim_roster_item *item, void *user_data);
  /** A push removed the item of @p jid (a prepared bare JID). */
  void (*on_item_removed)(xmppim_roster *r, const char *jid, void *user_data);
  /** A full roster result replaced the whole cache: read it again. */
  void (*on_reset)(xmppim_roster *r, void *user_data);
  /** The answer to xmppim_roster_request() came: @p changed is 0 for an
   * empty result (the cache stays, pushes follow: R2.6.3-c), 1 after a full
   * result (on_reset was called), and negative (#XMPPIM_ERR_NOT_FOUND) for an
   * IQ error, a timeout or the end of the session. */
  void (*on_request_done)(xmppim_roster *r, int changed, void *user_data);
  /** The server answered a roster set or removal for @p jid (a prepared
   * bare JID): @p error is NULL when it was accepted (the push that
   * changes the cache comes separately, R2.3.2-c), else the stanza error
   * condition's name ("not-acceptable", "forbidden", ...), or
   * "remote-server-timeout" when no answer came (the IQ timed out or the
   * stream ended). Not called for sets still outstanding at free. */
  void (*on_set_done)(xmppim_roster *r, const char *jid, const char *error, void *user_data);
} xmppim_roster_callbacks;

/**
 * Creates the roster cache of a client session.
 * @param session a client session (not taken; it must outlive every call
 * into the roster that sends, and the account JID is read from it once bound).
 * @param callbacks copied; NULL for none.
 * @param mem allocator hooks, or NULL.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (NULL out or session, or a
 * server session) or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_roster_client_new(xmppim_roster **out, xmppim_session *session,
                                           const xmppim_roster_callbacks *callbacks,
                                           void *user_data, const xmppim_mem *mem);

/** Frees the roster; an outstanding request's answer is then ignored. NULL is allowed. */
XMPPIM_EXTERN void xmppim_roster_free(xmppim_roster *r);

/**
 * Says whether the application wants roster versioning (RFC 6121 section
 * 2.6). On by default: a roster get then carries `ver` exactly when the
 * server advertised `<ver xmlns='urn:xmpp:features:rosterver'/>` in the
 * stream features after authentication (R2.6.1-a, R2.6.2-a), as the
 * session reports them (xmppim_session_peer_has_feature()), read when the
 * request is sent.
 *
 * Off (0): no `ver` is ever sent (R2.6.2-e), for an application that keeps
 * no cache across sessions. On (nonzero) cannot force `ver` on a server
 * that did not advertise the feature: a client MUST NOT send it then
 * (R2.6.2-b), so on only restores the default.
 */
XMPPIM_EXTERN void xmppim_roster_set_versioning(xmppim_roster *r, int on);

/**
 * Sends the roster get (R2.1.3-a, no items: R2.1.3-b). When the server
 * advertised roster versioning and the application did not turn it off
 * (xmppim_roster_set_versioning()) it carries `ver`: the cached version, or
 * "" when none is cached (R2.6.2-a, R2.6.2-c, R2.6.2-d); otherwise none
 * (R2.6.2-b).
 * @return 0, #XMPPIM_ERR_INVALID_STATE (a request is outstanding, or the
 * session is not ready), or the errors of xmppim_session_send_iq().
 */
XMPPIM_EXTERN int xmppim_roster_request(xmppim_roster *r);

/**
 * Offers a stanza the session delivered; see the file comment.
 * @return 1 when it was a roster push (applied, or ignored for its sender),
 * 0 when it was not one, or a negative error (#XMPPIM_ERR_NOMEM, a send
 * error) when a push could not be applied or answered; the cache is then
 * as before the push.
 */
XMPPIM_EXTERN int xmppim_roster_handle_stanza(xmppim_roster *r, const xmppim_stanza *stanza);

/** @return the cached roster version, or NULL when none is known. Opaque (R2.1.1-b). */
XMPPIM_EXTERN const char *xmppim_roster_version(const xmppim_roster *r);
/** @return how many items the roster holds. */
XMPPIM_EXTERN size_t xmppim_roster_count(const xmppim_roster *r);
/** @return item @p index (0 .. count-1, in the order the server gave them), or NULL. */
XMPPIM_EXTERN const xmppim_roster_item *xmppim_roster_item_at(const xmppim_roster *r,
                                                              size_t index);
/** @return the item of @p jid (prepared before comparing; a full JID's resource is
 * not ignored, so it finds nothing), or NULL. */
XMPPIM_EXTERN const xmppim_roster_item *xmppim_roster_find(const xmppim_roster *r,
                                                           const char *jid);

/** @return the item's JID, prepared. */
XMPPIM_EXTERN const char *xmppim_roster_item_jid(const xmppim_roster_item *item);
/** @return the handle the user gave the contact, or NULL for none (an empty
 * name is the same as none: R2.4.1-b). */
XMPPIM_EXTERN const char *xmppim_roster_item_name(const xmppim_roster_item *item);
/** @return how many groups the item is in. */
XMPPIM_EXTERN size_t xmppim_roster_item_group_count(const xmppim_roster_item *item);
/** @return group @p index, in the server's order, without duplicates; NULL past the end. */
XMPPIM_EXTERN const char *xmppim_roster_item_group(const xmppim_roster_item *item, size_t index);
/** @return the subscription state (the only stored form of it). */
XMPPIM_EXTERN xmppim_sub_state xmppim_roster_item_state(const xmppim_roster_item *item);
/** @return the 'subscription' attribute, derived from the state. */
XMPPIM_EXTERN const char *xmppim_roster_item_subscription(const xmppim_roster_item *item);
/** @return "subscribe" or NULL: the 'ask' attribute, derived from the state. */
XMPPIM_EXTERN const char *xmppim_roster_item_ask(const xmppim_roster_item *item);
/** @return nonzero when the user pre-approved the contact (`approved='true'`). */
XMPPIM_EXTERN int xmppim_roster_item_approved(const xmppim_roster_item *item);

/**
 * Sends a roster set adding or replacing the item of @p jid with this name
 * and groups (R2.3.1-a, R2.4.1-a: the item is replaced as given). No
 * `subscription`, `ask` or `approved` is sent (R2.1.2.1-c, R2.1.2.2-c).
 * The cache changes when the server's push arrives.
 * @param name NULL or "" for none.
 * @param groups @p group_count strings; duplicates and empty names are
 * refused (the server would refuse them: R2.3.3-d, R2.3.3-f).
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (a bad JID or group), or a send error.
 */
XMPPIM_EXTERN int xmppim_roster_set_item(xmppim_roster *r, const char *jid, const char *name,
                                         const char *const *groups, size_t group_count);

/** Sends a roster set removing the item of @p jid (`subscription='remove'`, R2.5.1-a).
 * @return as xmppim_roster_set_item(). */
XMPPIM_EXTERN int xmppim_roster_remove_item(xmppim_roster *r, const char *jid);

/**
 * Sends a subscription presence to the bare JID of @p jid (R3.1.1-a):
 * subscribe, subscribed (which before any request is a pre-approval,
 * RFC 6121 section 3.4; not checked here, see xmppim_roster_subscribed()),
 * unsubscribe or unsubscribed.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT or a send error.
 */
XMPPIM_EXTERN int xmppim_roster_send_subscription(xmppim_roster *r, const char *jid,
                                                  xmppim_sub_stanza type);
/** Asks for the contact's presence. */
XMPPIM_EXTERN int xmppim_roster_subscribe(xmppim_roster *r, const char *jid);
/**
 * Approves the contact's request: a subscribed presence.
 *
 * It is sent whether or not the server advertised pre-approval, although,
 * sent to a contact that has no request pending, it is a pre-approval
 * (RFC 6121 section 3.4) and R3.4.1-b forbids trying one without the
 * feature. The roster cannot tell the two apart: a pending request is not
 * part of the roster (RFC 6121 shows no "pending in" on items) and
 * arrives as presence the roster does not see, possibly stored by the
 * server while the user was offline; refusing here would refuse genuine
 * approvals. Approving is what this call is for; use
 * xmppim_roster_preapprove() to pre-approve, which checks the feature. The
 * harm is nil: a subscribed with no request to approve is never routed to
 * the contact, and a server without pre-approval does nothing with it
 * (RFC 6121 Appendix A.2.3, Table 4).
 * @return as xmppim_roster_send_subscription().
 */
XMPPIM_EXTERN int xmppim_roster_subscribed(xmppim_roster *r, const char *jid);
/** Stops receiving the contact's presence. */
XMPPIM_EXTERN int xmppim_roster_unsubscribe(xmppim_roster *r, const char *jid);
/** Denies or cancels the contact's subscription (and withdraws a pre-approval). */
XMPPIM_EXTERN int xmppim_roster_unsubscribed(xmppim_roster *r, const char *jid);
/**
 * Pre-approves a request the contact has not sent yet (RFC 6121 section
 * 3.4): a subscribed presence, which the server keeps as `approved='true'`.
 * Only when the server advertised `<sub xmlns='urn:xmpp:features:pre-approval'/>`
 * in the stream features after authentication (R3.4-b, read through
 * xmppim_session_peer_has_feature()); a client MUST NOT try otherwise
 * (R3.4.1-b).
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (NULL or a bad JID),
 * #XMPPIM_ERR_INVALID_STATE (the server did not advertise pre-approval, or
 * the session is not ready) or a send error.
 */
XMPPIM_EXTERN int xmppim_roster_preapprove(xmppim_roster *r, const char *jid);

/**
 * Writes the cache (version and items) snprintf-style: at most @p cap
 * bytes, a NUL when it fits, and the full length (without NUL) in
 * @p needed. The format, version 1, is UTF-8 text, one record a line,
 * fields separated by one space:
 *
 *     xmppim-roster 1
 *     ver <str>
 *     item <str:jid> <state 0-8> <approved 0|1> <str:name> <group count> <str:group>...
 *     end <item count>
 *
 * where each `<str>` is `-` for absent or `=` followed by the text with
 * every byte below 0x21, 0x7F and '%' written as %XX (upper-case hex).
 * The state is the #xmppim_sub_state value. Every line ends with LF; the
 * file ends with the `end` line.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_BUFFER_TOO_SMALL.
 */
XMPPIM_EXTERN int xmppim_roster_save(const xmppim_roster *r, char *buf, size_t cap,
                                     size_t *needed);

/**
 * Replaces the cache with what xmppim_roster_save() wrote. Everything is
 * checked (header, counts, escapes, UTF-8 and XML characters, JIDs prepared
 * and bare, no duplicate items or groups, states in range, the final `end`
 * line); on any failure the cache is left as it was. No callback is called.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (corrupt or truncated input) or
 * #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_roster_load(xmppim_roster *r, const char *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* XMPPIM_ROSTER_H */
