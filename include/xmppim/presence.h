/**
 * @file presence.h
 * @brief Presence on the client side (RFC 6121 section 4): what the
 * contacts' resources say, which one is the best to talk to, and the
 * presence the client itself sends.
 *
 * An #xmppim_presence created with xmppim_presence_client_new() keeps, for
 * every contact (a prepared bare JID) that has at least one available
 * resource, each resource's last available presence: its show, status
 * texts, priority and a copy of the whole stanza (for extensions such as
 * XEP-0115 caps). A contact with no available resource is not kept, so the
 * memory follows what is online, not the size of the roster.
 *
 * Wiring: like the roster, the tracker does not install itself in the
 * session. Offer it every stanza first thing in the session's on_stanza
 * callback, before the roster, and return 0 when it returns 1. It also
 * looks at (and leaves to the roster) the account's roster pushes: one that
 * ends the user's subscription to a contact (subscription none, from or
 * remove) voids that contact's presence at once (RFC 6121 R3.3.3-h):
 *
 * @code
 * static int on_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
 *   struct app *app = ud;
 *   int rv = xmppim_presence_handle_stanza(app->presence, st);
 *   if (rv == 1) return 0;
 *   if (rv < 0) return rv;
 *   if (xmppim_roster_handle_stanza(app->roster, st) == 1) return 0;
 *   ... subscription presence, messages, the application's IQs ...
 *   return XMPPIM_STANZA_UNHANDLED;
 * }
 * @endcode
 *
 * What is tracked (RFC 6121 R4.1-a, R4.4.4-a, R4.5.4-a, R4.6.5-a: inbound
 * broadcast and directed presence are processed alike):
 * - presence without 'type' from a full JID makes that resource available
 *   or updates it; from a bare JID (a service, a gateway, a server that
 *   speaks for the account) it is kept as a resource without name;
 * - type 'unavailable' from a full JID removes that resource; from a bare
 *   JID it removes every resource of the contact (R4.5.4-b). An unavailable
 *   for something not known changes nothing and reports nothing, which is
 *   what the unavailable "acknowledgement" a contact's server sends after
 *   a subscription request is (R3.1.3-j);
 * - type 'error' says the presence we sent could not be delivered: the
 *   contact (from a bare JID) or the resource (from a full JID) cannot be
 *   reached now, so what was known of it is removed as if it had gone
 *   unavailable, and on_error reports the error stanza. Keeping resources
 *   that the network says are unreachable would show a contact as online
 *   that no message can reach; RFC 6120 section 8.3 makes the error the
 *   answer to our stanza, and most clients show such a contact offline;
 * - subscription presence (subscribe, subscribed, unsubscribe,
 *   unsubscribed), probes, unknown types and presence without 'from' are
 *   not tracked: xmppim_presence_handle_stanza() returns 0 and the
 *   application handles them (the roster helpers answer subscriptions).
 *   A presence without 'from' would be the account's own server speaking
 *   (RFC 6120 section 8.1.2.1), which sends no availability that way.
 *
 * The account's own resources are contacts like any other: the server
 * sends each available resource the presence of all of the account's
 * resources, its own included (R4.2.2-b, R4.4.2-d), so the account's bare
 * JID shows up with the resources that are online, this one among them.
 *
 * Malformed content is read leniently, because a contact's buggy client
 * should not make it look offline: an unknown `<show/>` value is taken as
 * no show (online, R4.7.2.1-d); a `<priority/>` that is not an integer
 * from -128 to 127 (R4.7.2.3-b) is taken as 0, the value of a missing one
 * (R4.7.2.3-d); of several `<show/>` or `<priority/>` elements (R4.7.2.1-b,
 * R4.7.2.3-c) the first counts; of several `<status/>` elements with the
 * same language (R4.7.2.2-c) the first counts; an empty `<status/>` is
 * none. The copy of the stanza keeps everything as it came.
 *
 * The best resource of a contact is the one to talk to: the highest
 * priority; among equal priorities the most available show, in the order
 * chat, online (no show), away, xa, dnd; among those the one whose
 * presence arrived last. Resources with a negative priority are listed
 * like the others and, by that order, are the best only when the contact
 * has no resource with a priority of 0 or more. The server never delivers
 * a message sent to the bare JID to such a resource (R4.7.2.3-g): an
 * application that wants to reach it addresses its full JID.
 *
 * Our own presence: xmppim_presence_send() sends broadcast presence (no
 * 'to'); the first after connecting, or after an unavailable, is initial
 * presence (R4.2.1-a), the next ones are updates (R4.4.1-a), and the
 * stanza is the same. xmppim_presence_send_unavailable() ends the presence
 * session (R4.5.1-a). The tracker remembers the last broadcast it sent
 * (xmppim_presence_is_available()). After our broadcast unavailable the
 * server stops sending us our contacts' presence, so what the tracker knew
 * would silently go stale: it is forgotten then, as by
 * xmppim_presence_reset(), and the next initial presence gets it again
 * (the server probes on our behalf, R4.3.1-b).
 *
 * End of the stream: nothing tells the tracker when its session closes
 * (the session's callbacks belong to the application). Call
 * xmppim_presence_reset() from on_closed to report every contact offline,
 * or free the tracker. A closed session is not reused: make a new tracker
 * for the next session.
 *
 * Lifetime: the session must outlive every call into the tracker that
 * sends. Contact and resource pointers are valid until the next call that
 * changes the tracker (a stanza handled, a reset, a broadcast
 * unavailable, a free); callbacks see theirs during that call only.
 * Callbacks may read the tracker and may send presence, but must not call
 * xmppim_presence_reset(), xmppim_presence_free(), or send broadcast
 * unavailable presence (those return #XMPPIM_ERR_INVALID_STATE there, and
 * free must not be called).
 *
 * Not thread-safe; use it from the thread that feeds its session.
 */
#ifndef XMPPIM_PRESENCE_H
#define XMPPIM_PRESENCE_H

#include <stddef.h>
#include <xmppim/common.h>
#include <xmppim/session.h>
#include <xmppim/stanza.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The client's presence tracker (and sender). */
typedef struct xmppim_presence xmppim_presence;

/** A contact with at least one available resource (borrowed from the tracker). */
typedef struct xmppim_presence_contact xmppim_presence_contact;

/** One available resource of a contact and its last presence (borrowed). */
typedef struct xmppim_presence_resource xmppim_presence_resource;

/**
 * The availability sub-state of an available entity (RFC 6121 section
 * 4.7.2.1). The numbers are not a ranking: the order used to choose the
 * best resource (chat, online, away, xa, dnd) is in the file comment.
 */
typedef enum xmppim_show {
  XMPPIM_SHOW_ONLINE = 0, /**< no `<show/>`: online and available (R4.7.2.1-d) */
  XMPPIM_SHOW_CHAT,       /**< "chat": actively interested in chatting */
  XMPPIM_SHOW_AWAY,       /**< "away": temporarily away */
  XMPPIM_SHOW_XA,         /**< "xa": away for an extended period */
  XMPPIM_SHOW_DND         /**< "dnd": busy, do not disturb */
} xmppim_show;

/**
 * @return the `<show/>` text of @p show ("chat", "away", "xa", "dnd"), or
 * NULL for #XMPPIM_SHOW_ONLINE (which has no element) and out-of-range
 * values. The value is a protocol token, not for display (R4.7.2.1-c).
 */
XMPPIM_EXTERN const char *xmppim_show_name(xmppim_show show);

/** What happened to a resource, for #xmppim_presence_callbacks.on_resource. */
typedef enum xmppim_presence_event {
  XMPPIM_PRESENCE_AVAILABLE = 1, /**< a resource not known before became available */
  XMPPIM_PRESENCE_UPDATED,       /**< a known resource sent new presence */
  XMPPIM_PRESENCE_UNAVAILABLE    /**< a resource went away (or was forgotten) */
} xmppim_presence_event;

/**
 * What the tracker reports. Zero-initialise the structure and set the
 * members you want; it is copied at creation. Every member may be NULL.
 * Within one stanza, on_resource comes first (once per resource
 * concerned), then on_best_changed, then on_error.
 */
typedef struct xmppim_presence_callbacks {
  /**
   * A resource of @p contact (its prepared bare JID) became available, was
   * updated, or went away. @p resource is the resource as it is now; for
   * #XMPPIM_PRESENCE_UNAVAILABLE it is no longer in the tracker, and is
   * shown with its last available presence, valid during the call only.
   * @p stanza is the presence that caused the event (an unavailable may
   * carry a status saying why, R4.5.1-b; for an error it is the error
   * presence), or NULL when the tracker forgets on its own
   * (xmppim_presence_reset(), our broadcast unavailable).
   */
  void (*on_resource)(xmppim_presence *p, xmppim_presence_event event, const char *contact,
                      const xmppim_presence_resource *resource, const xmppim_stanza *stanza,
                      void *user_data);
  /**
   * The best resource of @p contact is now another one: @p best, or NULL
   * when the contact has no available resource left. A change of the best
   * resource's own presence is reported by on_resource only, so a chat
   * window can follow this callback to pick the resource it talks to.
   */
  void (*on_best_changed)(xmppim_presence *p, const char *contact,
                          const xmppim_presence_resource *best, void *user_data);
  /**
   * A presence of type error arrived from @p contact (its prepared bare
   * JID) and @p resource (NULL when it came from the bare JID): the
   * presence we sent it could not be delivered. What the tracker knew of
   * the sender has been removed already (see the file comment). Read the
   * condition with the functions of errors.h.
   */
  void (*on_error)(xmppim_presence *p, const char *contact, const char *resource,
                   const xmppim_stanza *stanza, void *user_data);
} xmppim_presence_callbacks;

/** The default of xmppim_presence_set_max_resources(). */
#define XMPPIM_PRESENCE_MAX_RESOURCES 1024

/**
 * Creates the presence tracker of a client session.
 * @param session a client session (not taken; it must outlive every call
 * that sends).
 * @param callbacks copied; NULL for none.
 * @param mem allocator hooks for everything the tracker keeps, or NULL.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (NULL out or session, or a
 * server session) or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_presence_client_new(xmppim_presence **out, xmppim_session *session,
                                             const xmppim_presence_callbacks *callbacks,
                                             void *user_data, const xmppim_mem *mem);

/** Frees the tracker and all it keeps, reporting nothing. NULL is allowed; not from its callbacks. */
XMPPIM_EXTERN void xmppim_presence_free(xmppim_presence *p);

/**
 * Offers a stanza the session delivered; see the file comment for what is
 * tracked.
 * @return 1 when it was an available, unavailable or error presence with
 * a usable 'from' (the tracker consumed it, even when it changed nothing),
 * 0 when it was anything else (the application's), or a negative error:
 * #XMPPIM_ERR_NOMEM (the tracker is then as before the stanza) or
 * #XMPPIM_ERR_INVALID_STATE (called from one of the tracker's callbacks).
 */
XMPPIM_EXTERN int xmppim_presence_handle_stanza(xmppim_presence *p, const xmppim_stanza *stanza);

/**
 * Forgets every contact, reporting each resource through on_resource
 * (#XMPPIM_PRESENCE_UNAVAILABLE, no stanza) and each contact through
 * on_best_changed (NULL), and forgets our own presence too
 * (xmppim_presence_is_available() becomes 0). Call it when the stream
 * ends: nobody will say that the contacts went offline.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (NULL) or
 * #XMPPIM_ERR_INVALID_STATE (called from one of the tracker's callbacks).
 */
XMPPIM_EXTERN int xmppim_presence_reset(xmppim_presence *p);

/**
 * How many resources one contact may have at most (default
 * #XMPPIM_PRESENCE_MAX_RESOURCES; 0 for no limit). Presence from a further
 * resource is consumed and ignored. Anyone may send directed presence to
 * a full JID, from as many resources as they like, and each is kept with
 * a copy of its stanza; the limit bounds what one sender can make the
 * client hold. A client that treats multi-user chat rooms as contacts
 * (their occupants are resources) may need to raise it.
 * Resources already kept stay when the limit is lowered.
 * @return 0 or #XMPPIM_ERR_INVALID_ARGUMENT (NULL).
 */
XMPPIM_EXTERN int xmppim_presence_set_max_resources(xmppim_presence *p, size_t max);

/* ---- reading what the contacts said ---- */

/** @return how many contacts have at least one available resource. */
XMPPIM_EXTERN size_t xmppim_presence_contact_count(const xmppim_presence *p);
/**
 * @return contact @p index (0 .. count-1), or NULL. The order is none in
 * particular, and changes when a contact goes offline: iterate without
 * handling stanzas in between.
 */
XMPPIM_EXTERN const xmppim_presence_contact *xmppim_presence_contact_at(const xmppim_presence *p,
                                                                        size_t index);
/**
 * @return the contact of @p jid, or NULL when it has no available resource
 * (or @p jid is not a valid JID, or memory ran out preparing it). A full
 * JID finds its bare JID's contact: the resource part is ignored.
 */
XMPPIM_EXTERN const xmppim_presence_contact *xmppim_presence_find(const xmppim_presence *p,
                                                                  const char *jid);
/** @return the best resource of @p jid's contact (see the file comment), or NULL when offline. */
XMPPIM_EXTERN const xmppim_presence_resource *xmppim_presence_best(const xmppim_presence *p,
                                                                   const char *jid);

/** @return the contact's prepared bare JID. */
XMPPIM_EXTERN const char *xmppim_presence_contact_jid(const xmppim_presence_contact *c);
/** @return how many available resources the contact has (at least 1 while it is listed). */
XMPPIM_EXTERN size_t xmppim_presence_contact_resource_count(const xmppim_presence_contact *c);
/** @return resource @p index (0 .. count-1, in the order they became available), or NULL. */
XMPPIM_EXTERN const xmppim_presence_resource *
xmppim_presence_contact_resource_at(const xmppim_presence_contact *c, size_t index);
/**
 * @return the resource named @p resource (prepared, as
 * xmppim_presence_resource_name() gives it; NULL for the presence sent from
 * the bare JID), or NULL when not available.
 */
XMPPIM_EXTERN const xmppim_presence_resource *
xmppim_presence_contact_find_resource(const xmppim_presence_contact *c, const char *resource);
/** @return the contact's best resource (see the file comment); NULL only for a NULL contact. */
XMPPIM_EXTERN const xmppim_presence_resource *
xmppim_presence_contact_best(const xmppim_presence_contact *c);

/** @return the prepared resourcepart, or NULL for presence sent from the contact's bare JID. */
XMPPIM_EXTERN const char *xmppim_presence_resource_name(const xmppim_presence_resource *r);
/** @return the show (#XMPPIM_SHOW_ONLINE for none, or an unknown value). */
XMPPIM_EXTERN xmppim_show xmppim_presence_resource_show(const xmppim_presence_resource *r);
/** @return the priority, -128 to 127 (0 when absent or malformed). */
XMPPIM_EXTERN int xmppim_presence_resource_priority(const xmppim_presence_resource *r);
/** @return how many `<status/>` texts the presence had (distinct languages, none empty). */
XMPPIM_EXTERN size_t xmppim_presence_resource_status_count(const xmppim_presence_resource *r);
/**
 * @return status text @p index in document order, or NULL past the end.
 * @param lang if not NULL, receives its language (the status's xml:lang,
 * else the stanza's), or NULL when none was given.
 */
XMPPIM_EXTERN const char *xmppim_presence_resource_status_at(const xmppim_presence_resource *r,
                                                             size_t index, const char **lang);
/**
 * The status text to show a reader of language @p lang. Contacts may send
 * one status per language (R4.7.2.2-c); a reader should get the one in
 * their language, else something rather than nothing. Tried in order: the
 * same language tag (ignoring case); the same primary language ("en" for
 * "en-GB", and the other way round); the status without a language; the
 * first status.
 * @param lang a language tag, or NULL to skip straight to the status
 * without language.
 * @return the text, or NULL when the presence had no status.
 */
XMPPIM_EXTERN const char *xmppim_presence_resource_status(const xmppim_presence_resource *r,
                                                          const char *lang);
/**
 * @return the whole presence stanza as it arrived (a copy the tracker
 * owns), for its extensions: entity capabilities, vCard avatars, delays.
 */
XMPPIM_EXTERN const xmppim_stanza *xmppim_presence_resource_stanza(const xmppim_presence_resource *r);

/* ---- sending our own presence ---- */

/**
 * Sends broadcast presence (no 'to' and no 'type'): initial presence when
 * we are not available (R4.2.1-a), an update otherwise (R4.4.1-a). For a
 * presence with extensions (caps, ...), build it and use
 * xmppim_presence_send_stanza().
 * @param show #XMPPIM_SHOW_ONLINE sends no `<show/>`; the others their
 * value (R4.7.2.1-c).
 * @param status a human-readable text, or NULL (or "") for none.
 * @param lang the status's xml:lang, or NULL (or "") for none: the
 * stream's language applies then.
 * @param priority -128 to 127 (R4.7.2.3-b); 0 is sent as no `<priority/>`,
 * which means the same (R4.7.2.3-d).
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (NULL tracker, show or priority
 * out of range, status or language not UTF-8 or holding characters XML
 * cannot carry), or the errors of xmppim_session_send()
 * (#XMPPIM_ERR_INVALID_STATE before the session is ready,
 * #XMPPIM_ERR_BACKPRESSURE, #XMPPIM_ERR_NOMEM). Nothing is remembered
 * unless it was sent.
 */
XMPPIM_EXTERN int xmppim_presence_send(xmppim_presence *p, xmppim_show show, const char *status,
                                       const char *lang, int priority);

/**
 * Ends our presence session: broadcast presence of type unavailable, with
 * no show or priority (R4.5.1-c) and an optional status saying why
 * (R4.5.1-b). Once sent, what the tracker knew of the contacts is
 * forgotten (see the file comment) and xmppim_presence_is_available()
 * is 0.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT, #XMPPIM_ERR_INVALID_STATE (called
 * from a callback, or the session is not ready), or a send error.
 */
XMPPIM_EXTERN int xmppim_presence_send_unavailable(xmppim_presence *p, const char *status,
                                                   const char *lang);

/**
 * Sends directed presence to @p to (a bare or full JID; R4.6.2-a): for a
 * contact not subscribed to us, a multi-user chat room, a temporary
 * conversation. It changes nothing in our broadcast state; the server
 * sends @p to our unavailable when we go offline (R4.6.3-f).
 * @param show, status, lang, priority as for xmppim_presence_send().
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (also for a @p to that is not a
 * valid JID) or a send error.
 */
XMPPIM_EXTERN int xmppim_presence_send_directed(xmppim_presence *p, const char *to,
                                                xmppim_show show, const char *status,
                                                const char *lang, int priority);

/**
 * Sends directed unavailable presence to @p to (R4.6.2-a), with no show or
 * priority (R4.5.1-c): leaving a room, ending a temporary presence
 * sharing. Our broadcast state is unchanged.
 * @return as xmppim_presence_send_directed().
 */
XMPPIM_EXTERN int xmppim_presence_send_directed_unavailable(xmppim_presence *p, const char *to,
                                                            const char *status, const char *lang);

/**
 * Sends a presence the application built, checked first, so that one
 * with extensions obeys the same rules and still counts for
 * xmppim_presence_is_available(). It must be a `<presence/>` in
 * jabber:client whose 'type' is absent or "unavailable" (subscription
 * presence is the roster's; probes are the server's, R4.3-d; errors
 * answer stanzas); at most one `<show/>` of the four values (R4.7.2.1-b,
 * R4.7.2.1-c) and one `<priority/>` integer from -128 to 127 (R4.7.2.3-b,
 * R4.7.2.3-c), neither in an unavailable (R4.5.1-c); `<status/>` elements
 * in distinct languages (R4.7.2.2-c). Without 'to' it is broadcast
 * presence and is remembered as such (and an unavailable one forgets the
 * contacts, as xmppim_presence_send_unavailable() does).
 * @param presence stays the caller's.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (a rule above broken, or an
 * invalid 'to'), #XMPPIM_ERR_INVALID_STATE (a broadcast unavailable from a
 * callback, or the session is not ready) or a send error.
 */
XMPPIM_EXTERN int xmppim_presence_send_stanza(xmppim_presence *p, const xmppim_stanza *presence);

/**
 * @return 1 when our last broadcast presence was available (an initial
 * presence was sent and no unavailable since), 0 otherwise: before the
 * first, after an unavailable or a reset, and for NULL. The next broadcast
 * is initial presence exactly when this is 0.
 */
XMPPIM_EXTERN int xmppim_presence_is_available(const xmppim_presence *p);
/** @return the show of our last broadcast available presence (#XMPPIM_SHOW_ONLINE when not available). */
XMPPIM_EXTERN xmppim_show xmppim_presence_own_show(const xmppim_presence *p);
/** @return the priority of our last broadcast available presence (0 when not available). */
XMPPIM_EXTERN int xmppim_presence_own_priority(const xmppim_presence *p);

#ifdef __cplusplus
}
#endif

#endif /* XMPPIM_PRESENCE_H */
