/**
 * @file delivery.h
 * @brief Where a stanza for a local user goes: the server rules of RFC 6121
 * section 8 (8.1 to 8.5.4), as one pure function.
 *
 * A server calls xmppim_delivery_decide() for every message, presence and
 * IQ whose 'to' is localpart@domainpart[/resourcepart] on a domain it serves
 * itself (R8.5-a), after it has dealt with what comes first: a stanza with
 * no 'to' (R8.2-a), a remote domain (R8.3-a), the domain itself (R8.4-a),
 * and privacy or blocking policy (R8.1-b; a blocked stanza never gets
 * here). The answer says which of the user's resources get the stanza, or
 * that it goes to offline storage, is bounced with a stanza error, is
 * dropped, or is the server's to handle for the user (an IQ to the bare
 * JID, subscription presence, a probe), and which requirement decided it.
 *
 * Nothing here stores, sends or allocates anything, and nothing depends on
 * earlier calls. That is what lets the server core, a test and a log line
 * agree on one reading of section 8, and lets a host check a decision
 * before it acts on it.
 *
 * The readings where section 8 leaves room, all pinned by
 * tests/conformance/test_rfc6121_delivery.c:
 *
 * - Resources. A *connected* resource is bound; an *available* one has sent
 *   initial presence and not gone unavailable since. A full JID matches a
 *   connected resource whether or not it is available (the requirement
 *   list's note under 8.5.3), for every kind of stanza. Bare-JID rules look
 *   at available resources only: a resource that is connected but not
 *   available has no priority, so it never gets a message or presence sent
 *   to the bare JID, and a user whose resources are all like that is
 *   treated as having none, 8.5.2.2 (the note under 8.5.2; R8.5.2.1.1-n
 *   asks the same of negative priorities).
 * - "Most available" (R8.5.2.1.1-c, -f, R8.5.3.2.1-e) is the highest
 *   priority among available resources with a non-negative one; every
 *   resource at that priority gets the message (the RFC's "resource or
 *   resources"), in the order of the caller's array.
 * - Chat messages to all resources (the table's A*) only go to resources
 *   that opted in (R8.5.4-b; how they opt in is the host's business, see
 *   xmppim_delivery_resource::all_chats). An opted-in resource gets every
 *   chat message to the bare JID as well as the most available ones, not
 *   instead of them, so turning opt-in on for one client never takes a
 *   message away from another. A chat message to a full JID that matches
 *   goes to that resource only: the table's D/A* allows more, the text
 *   (R8.5.3.1-d) does not, and D satisfies both (the requirement list's
 *   "Inconsistencies" item 5, the second note under 8.5.4).
 * - Silently ignore or bounce (R8.1-a, R8.5.4-a). Where a rule offers both
 *   for an existing account, the only places are full JIDs with no
 *   matching resource, where an error would tell the sender that the
 *   resource is offline. So the error goes to a sender entitled to the
 *   user's presence (#XMPPIM_DELIVERY_SENDER_SEES_PRESENCE) or to the user's
 *   own resources (#XMPPIM_DELIVERY_SENDER_SELF); anyone else hears nothing.
 *   Being in the user's roster is not enough: it entitles the sender to know
 *   the account exists, which no such choice would tell it.
 * - An account that does not exist (8.5.1) answers a message exactly as an
 *   existing account with no resources answers a stranger: silence where
 *   that account would store the message or drop it, service-unavailable
 *   where it would bounce it. Anything else would tell a harvester which
 *   accounts exist (C10.2-a, C13.11-a). That chooses, inside R8.5.1-b's
 *   "ignore or service-unavailable", the cell the summary table narrows
 *   (inconsistency item 5, first note: groupchat to the bare JID bounced,
 *   headline dropped), and the rest by the storage policy.
 * - A probe for an account that does not exist is answered with presence
 *   unsubscribed (R8.5.1-e, R4.3.2-a): an existing account answers a prober
 *   it has not authorized the same way, so the answer tells nothing.
 * - Presence of type error is not named in section 8. It goes where
 *   available and unavailable presence go (to the available resources for
 *   the bare JID, to the matching resource for a full one, nowhere
 *   otherwise): it answers presence the user's client sent, such as a
 *   subscription request refused by the contact's server.
 * - Nothing is ever answered with an error when it is itself an error, or
 *   an IQ result (C8.3.1-f, C8.2.3-c): those are dropped where a request
 *   would be bounced.
 * - Every error is service-unavailable of type cancel, for bare and full
 *   JIDs alike, so the error never tells the two apart (C13.10.2-a).
 */
#ifndef XMPPIM_DELIVERY_H
#define XMPPIM_DELIVERY_H

#include <stddef.h>
#include <xmppim/common.h>
#include <xmppim/errors.h>
#include <xmppim/stanza.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The three stanza kinds of RFC 6120 section 8. */
typedef enum xmppim_delivery_kind {
  XMPPIM_DELIVERY_KIND_MESSAGE = 0,
  XMPPIM_DELIVERY_KIND_PRESENCE,
  XMPPIM_DELIVERY_KIND_IQ
} xmppim_delivery_kind;

/**
 * The stanza's type, one enumeration for the three kinds so that a single
 * value says what the 'type' attribute means. Each kind takes its own
 * values and #XMPPIM_DELIVERY_TYPE_ERROR; any other pair is refused.
 */
typedef enum xmppim_delivery_type {
  /* message (R5.2.2-b) */
  XMPPIM_DELIVERY_TYPE_NORMAL = 0, /**< message; also no or an unknown 'type' (R5.2.2-i) */
  XMPPIM_DELIVERY_TYPE_CHAT,       /**< message */
  XMPPIM_DELIVERY_TYPE_GROUPCHAT,  /**< message */
  XMPPIM_DELIVERY_TYPE_HEADLINE,   /**< message */
  /* presence (R4.7.1-a) */
  XMPPIM_DELIVERY_TYPE_AVAILABLE,    /**< presence with no 'type' ("available" itself is not a legal value, R4.7.1-e) */
  XMPPIM_DELIVERY_TYPE_UNAVAILABLE,  /**< presence */
  XMPPIM_DELIVERY_TYPE_SUBSCRIBE,    /**< presence */
  XMPPIM_DELIVERY_TYPE_SUBSCRIBED,   /**< presence */
  XMPPIM_DELIVERY_TYPE_UNSUBSCRIBE,  /**< presence */
  XMPPIM_DELIVERY_TYPE_UNSUBSCRIBED, /**< presence */
  XMPPIM_DELIVERY_TYPE_PROBE,        /**< presence */
  /* iq (C8.2.3-a) */
  XMPPIM_DELIVERY_TYPE_GET,    /**< iq */
  XMPPIM_DELIVERY_TYPE_SET,    /**< iq */
  XMPPIM_DELIVERY_TYPE_RESULT, /**< iq */
  /* all three */
  XMPPIM_DELIVERY_TYPE_ERROR /**< any kind: reports an error about a stanza sent earlier */
} xmppim_delivery_type;

/** What to do with the stanza. */
typedef enum xmppim_delivery_action {
  /**
   * Hand the stanza, unchanged, to each resource whose index is in the
   * targets array (xmppim_delivery_decision::ntargets of them, at least
   * one). Its 'to' stays as it came: a stanza to the bare JID is not
   * rewritten to each resource's full JID (R8.5.2.1.1-o, R8.5.2.1.2-d,
   * C8.1.1.1-b).
   */
  XMPPIM_DELIVERY_ACT_DELIVER = 0,
  /**
   * Keep the message and deliver it when the user next becomes available
   * (offline storage, XEP-0160). Only for normal and chat messages, and
   * only with #XMPPIM_DELIVERY_POLICY_OFFLINE. When the store refuses it
   * (full, failing), bounce it with xmppim_delivery_decision::condition
   * instead: the rule that allowed storage allows that error too.
   */
  XMPPIM_DELIVERY_ACT_STORE_OFFLINE,
  /** Answer the sender with a stanza error: xmppim_delivery_decision::condition
   * and ::error_type (xmppim_stanza_error_reply()). Never chosen for a
   * stanza of type error or an IQ result. */
  XMPPIM_DELIVERY_ACT_BOUNCE,
  /** Drop the stanza and tell no one. */
  XMPPIM_DELIVERY_ACT_DROP,
  /**
   * The server acts on the user's behalf, and delivers nothing itself:
   * - an IQ get or set to the bare JID: answer it as the IQ's namespace
   *   defines (jabber:iq:roster...), or bounce it with
   *   xmppim_delivery_decision::condition when the server has no answer
   *   for that namespace (R8.5.2.1.3-b, R8.5.2.2.3-a);
   * - an IQ result or error to the bare JID: it answers a request the
   *   server sent for the user; match it to that request or ignore it, and
   *   never answer it (C8.2.3-c);
   * - subscription presence: section 3 and Appendix A decide
   *   (xmppim_sub_apply()), with the 'to' taken as the bare JID (R3.1.3);
   *   that is where a request is kept for a user who is offline;
   * - a probe: section 4.3 decides what presence, if any, answers it.
   */
  XMPPIM_DELIVERY_ACT_HANDLE,
  /** Answer a probe with presence type='unsubscribed' from the bare JID in
   * the probe's 'to' (R4.3.2-c), with the probe's 'id' (R4.3.2.1-b). Only
   * for an account that does not exist (R8.5.1-e). */
  XMPPIM_DELIVERY_ACT_REPLY_UNSUBSCRIBED
} xmppim_delivery_action;

/** The keyword of the requirement behind a decision, as the project's
 * requirement list gives it. */
typedef enum xmppim_delivery_level {
  XMPPIM_DELIVERY_LEVEL_MUST = 0,
  XMPPIM_DELIVERY_LEVEL_MUST_NOT,
  XMPPIM_DELIVERY_LEVEL_SHOULD,
  XMPPIM_DELIVERY_LEVEL_SHOULD_NOT,
  XMPPIM_DELIVERY_LEVEL_MAY
} xmppim_delivery_level;

/**
 * Who sent the stanza, relative to the user, as bits of
 * xmppim_delivery_input::sender. Only consulted where section 8 leaves the
 * server a choice that depends on it; 0 (a stranger) is always safe and
 * gives the answer that leaks nothing.
 */
typedef enum xmppim_delivery_sender {
  /** The sender is the user: one of the user's own resources, or the
   * user's bare JID. Entitled to everything below. */
  XMPPIM_DELIVERY_SENDER_SELF = 1 << 0,
  /**
   * The sender may see the user's presence: its bare JID has subscription
   * from or both in the user's roster, or one of the user's resources sent
   * it directed presence in this session (R8.1-a). Such a sender is told
   * when a full JID has gone (an error rather than silence), and may send
   * IQ get and set to a full JID (R8.5.3.1-a).
   */
  XMPPIM_DELIVERY_SENDER_SEES_PRESENCE = 1 << 1
} xmppim_delivery_sender;

/**
 * Server policy, as bits of xmppim_delivery_input::policy. 0 is the
 * default: bare-JID normal messages to the most available resources only,
 * no offline storage, IQ get and set to a full JID only from senders
 * entitled to the user's presence.
 */
typedef enum xmppim_delivery_policy {
  /** Normal messages to the bare JID go to every available resource with a
   * non-negative priority, not only the most available (the second choice
   * R8.5.2.1.1-c allows). Chat messages are not affected: they go to every
   * resource only where the resource opted in (R8.5.4-b,
   * xmppim_delivery_resource::all_chats). */
  XMPPIM_DELIVERY_POLICY_NORMAL_TO_ALL = 1 << 0,
  /** The host keeps normal and chat messages for a user with no resource
   * to take them (the O of the summary table): such messages are stored
   * instead of bounced, and for an account that does not exist they are
   * then dropped instead of bounced, so that the two look the same. */
  XMPPIM_DELIVERY_POLICY_OFFLINE = 1 << 1,
  /** Deliver IQ get and set to a matching full JID from anyone, as many
   * servers do, instead of bouncing those from senders not entitled to
   * the user's presence (R8.5.3.1-a is a SHOULD NOT). */
  XMPPIM_DELIVERY_POLICY_IQ_FROM_ANYONE = 1 << 2
} xmppim_delivery_policy;

/** One of the user's connected resources, as the caller knows it. */
typedef struct xmppim_delivery_resource {
  /** Its resourcepart, prepared (RFC 6122 Resourceprep), NUL-terminated.
   * A full JID matches it when the two are equal byte for byte. */
  const char *resource;
  /** The priority of its last available presence, -128 to 127 (R4.7.2.3-b;
   * 0 when it gave none, R4.7.2.3-d). Only read when #available is set. */
  int priority;
  /** Nonzero once it sent initial presence, until it goes unavailable. */
  int available;
  /** Nonzero when it opted in to receiving every chat message sent to the
   * bare JID (R8.5.2.1.1-f, R8.5.4-b), by whatever means the host offers. */
  int all_chats;
} xmppim_delivery_resource;

/** Everything the decision depends on. */
typedef struct xmppim_delivery_input {
  xmppim_delivery_kind kind;
  /** A type of that kind (xmppim_delivery_classify() gives both). */
  xmppim_delivery_type type;
  /** The resourcepart of the 'to' JID, prepared; NULL for a bare JID. */
  const char *to_resource;
  /** Nonzero when the account exists. When zero there can be no resources. */
  int user_exists;
  /** The user's connected resources, available or not; NULL when none. */
  const xmppim_delivery_resource *resources;
  /** How many there are. */
  size_t nresources;
  /** #xmppim_delivery_sender bits. */
  unsigned sender;
  /** #xmppim_delivery_policy bits. */
  unsigned policy;
} xmppim_delivery_input;

/** What to do with the stanza, and why. */
typedef struct xmppim_delivery_decision {
  xmppim_delivery_action action;
  /** For #XMPPIM_DELIVERY_ACT_DELIVER, how many indices were written to
   * the targets array (or, with #XMPPIM_ERR_BUFFER_TOO_SMALL, would have
   * been); 0 for every other action. */
  size_t ntargets;
  /**
   * The stanza error to answer with: for #XMPPIM_DELIVERY_ACT_BOUNCE the
   * one to send, for #XMPPIM_DELIVERY_ACT_STORE_OFFLINE the one to send if
   * the store refuses the message, for #XMPPIM_DELIVERY_ACT_HANDLE of an IQ
   * get or set the one to send when the server has no answer for the IQ's
   * namespace. Always service-unavailable then; #XMPPIM_STANZA_COND_NONE
   * otherwise.
   */
  xmppim_stanza_condition condition;
  /** The error's type (cancel), or #XMPPIM_STANZA_ERROR_TYPE_UNKNOWN with
   * no condition. */
  xmppim_stanza_error_type error_type;
  /** The requirement that decides the action, as its ID in the project's
   * requirement list ("R8.5.2.1.1-b"); a static string, for logs and tests. */
  const char *rule;
  /** That requirement's keyword. */
  xmppim_delivery_level level;
  /** When #rule leaves a choice (ignore or bounce, one or all) and another
   * requirement made it, that one's ID ("R8.1-a", "C10.2-a", "R8.5.4-a",
   * "R4.3.2-a", "C8.3.1-f"); NULL when #rule leaves no choice or the policy
   * bits made it. */
  const char *choice;
} xmppim_delivery_decision;

/**
 * Applies RFC 6121 section 8 to one stanza addressed to a local user.
 *
 * Pure: no allocation, no global state, nothing kept between calls.
 *
 * Bare JID, account exists (8.5.2; "available" resources only, see the
 * file comment):
 * | stanza | no non-negative available resource | one or more |
 * |---|---|---|
 * | message normal | store or bounce (R8.5.2.1.1-a, R8.5.2.2.1-a) | the most available (R8.5.2.1.1-b, -c), or all with NORMAL_TO_ALL |
 * | message chat | store or bounce (R8.5.2.1.1-d, R8.5.2.2.1-a) | the most available and the opted-in (R8.5.2.1.1-e, -f) |
 * | message groupchat | bounce (R8.5.2.1.1-h, R8.5.2.2.1-b) | bounce (R8.5.2.1.1-g, -h) |
 * | message headline | drop (R8.5.2.1.1-i, R8.5.2.2.1-c) | all non-negative (R8.5.2.1.1-j, -k) |
 * | message error | drop (R8.5.2.1.1-l, R8.5.2.2.1-c) | drop |
 * | presence available, unavailable, error | drop (R8.5.2.2.2-a) | every available resource, negative ones too (R8.5.2.1.2-a) |
 * | presence subscription types | handle (R8.5.2.2.2-b) | handle (R8.5.2.1.2-b) |
 * | presence probe | handle (R8.5.2.2.2-c) | handle (R8.5.2.1.2-c) |
 * | iq (any type) | handle (R8.5.2.2.3-a) | handle (R8.5.2.1.3-a, -b) |
 * Store with #XMPPIM_DELIVERY_POLICY_OFFLINE, else bounce. Negative
 * priorities never get a message sent to the bare JID (R8.5.2.1.1-m).
 *
 * Full JID, account exists (8.5.3):
 * | stanza | a connected resource matches | none does |
 * |---|---|---|
 * | message, any type | that resource (R8.5.3.1-d) | normal, groupchat, headline: bounce to a sender entitled to the user's presence, else drop (R8.5.3.2.1-a, R8.1-a); chat: as if sent to the bare JID (R8.5.3.2.1-b to -e); error: drop (R8.5.3.2.1-f) |
 * | presence available, unavailable, error | that resource (R8.5.3.1-e) | drop (R8.5.3.2.2-a) |
 * | presence subscribe | handle (R8.5.3.1-f) | handle (R8.5.3.2.2-b) |
 * | presence subscribed, unsubscribe, unsubscribed | handle (R8.5.3.1-f) | drop (R8.5.3.2.2-c) |
 * | presence probe | handle (R8.5.3.1-g) | handle (R8.5.3.2.2-d) |
 * | iq get, set | that resource if the sender is the user or may see the user's presence (or with IQ_FROM_ANYONE), else bounce (R8.5.3.1-a, -b) | bounce (R8.5.3.2.3-a) |
 * | iq result, error | that resource (R8.5.3.1-c) | drop (C8.2.3-c) |
 *
 * Account does not exist (8.5.1): IQ get and set bounced (R8.5.1-a), IQ
 * result and error dropped; presence dropped (R8.5.1-c, -d) except a probe,
 * answered unsubscribed (R8.5.1-e); messages dropped or bounced as an
 * existing account with no resources would answer a stranger (R8.5.1-b,
 * see the file comment).
 *
 * @param in the stanza, the user and the policy.
 * @param[out] out filled in on success and with #XMPPIM_ERR_BUFFER_TOO_SMALL;
 * untouched on #XMPPIM_ERR_INVALID_ARGUMENT.
 * @param[out] targets receives, for #XMPPIM_DELIVERY_ACT_DELIVER, the
 * indices into in->resources of the resources to deliver to, in ascending
 * order; not written otherwise. Room for in->nresources indices always
 * suffices. May be NULL when @p targets_cap is 0.
 * @param targets_cap how many indices @p targets has room for.
 * @return 0; #XMPPIM_ERR_BUFFER_TOO_SMALL when the stanza goes to more
 * resources than @p targets has room for (out->ntargets says how many;
 * @p targets is not written); #XMPPIM_ERR_INVALID_ARGUMENT when @p in or
 * @p out is NULL, @p targets is NULL with a nonzero capacity, the kind or
 * type is out of range or the type is not one of the kind's, an unknown
 * sender or policy bit is set, @p in->to_resource is empty,
 * @p in->resources is NULL with resources counted, a resource has a NULL
 * name or a priority outside -128..127, or an account that does not exist
 * has resources.
 */
XMPPIM_EXTERN int xmppim_delivery_decide(const xmppim_delivery_input *in,
                                         xmppim_delivery_decision *out, size_t *targets,
                                         size_t targets_cap);

/**
 * Reads the kind and type of a stanza, for xmppim_delivery_decide(): its
 * element name (message, presence, iq, in any namespace) and its 'type'
 * attribute.
 *
 * A message with no 'type' or with one not defined is normal (R5.2.2-i).
 * A presence with no 'type' is available. A presence or IQ whose 'type'
 * is not defined for its kind (an IQ with none at all, a presence with
 * type='available', which R4.7.1-e makes illegal) is refused with
 * #XMPPIM_ERR_NOT_FOUND: RFC 6121 and 6120 have it answered with
 * bad-request (R4.7.1-d, C8.2.3-a), which xmppim_delivery_decide() has no
 * action for. Values are compared exactly, as XML attribute values are.
 *
 * @param st the stanza.
 * @param[out] kind receives the kind; set also with #XMPPIM_ERR_NOT_FOUND.
 * @param[out] type receives the type; untouched on failure.
 * @return 0; #XMPPIM_ERR_NOT_FOUND (a presence or IQ type not defined, see
 * above); #XMPPIM_ERR_INVALID_ARGUMENT (a NULL argument, or an element that
 * is no stanza).
 */
XMPPIM_EXTERN int xmppim_delivery_classify(const xmppim_stanza *st, xmppim_delivery_kind *kind,
                                           xmppim_delivery_type *type);

/**
 * An action's name for logs: "deliver", "store-offline", "bounce", "drop",
 * "handle", "reply-unsubscribed".
 * @return a static string, or NULL for a value outside the enumeration.
 */
XMPPIM_EXTERN const char *xmppim_delivery_action_name(xmppim_delivery_action action);

#ifdef __cplusplus
}
#endif

#endif /* XMPPIM_DELIVERY_H */
