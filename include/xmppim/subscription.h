/**
 * @file subscription.h
 * @brief The presence subscription state machine of RFC 6121 Appendix A,
 * as one pure function.
 *
 * Everything is seen from one user's server and one contact of that user:
 * the state says who receives whose presence and which requests are
 * pending, and each subscription stanza (presence of type subscribe,
 * subscribed, unsubscribe or unsubscribed) either comes from the user
 * (outbound) or arrives for the user from the contact (inbound).
 * xmppim_sub_apply() answers what RFC 6121 says the server does with it:
 * pass it on or not, the new state, what to answer on the user's behalf,
 * what becomes of the pre-approval, and which side effects of section 3
 * follow.
 *
 * Nothing here stores, sends or allocates anything, and nothing depends on
 * earlier calls: the same arguments always give the same answer. That is
 * what lets the roster (which stores the state) and the presence engine
 * (which does the sending) share one reading of the tables, and lets a
 * client predict what its server will do.
 *
 * The state is the single truth about a contact's subscription. The
 * roster attributes 'subscription' and 'ask' are derived from it
 * (xmppim_sub_subscription_attr(), xmppim_sub_ask()) and never stored
 * beside it; storage that only has the attributes gets the state back with
 * xmppim_sub_state_from_attrs(). The pre-approval of RFC 6121 section 3.4
 * (the roster item's `approved='true'`) is a separate bit of the roster
 * item, not a tenth state, because it can sit beside several states and
 * outlive a change of state.
 *
 * Where RFC 6121 disagrees with itself about these tables, the reading is
 * the one the project's requirement list gives (its "Inconsistencies"
 * items 1, 2, 3 and 8): Appendix A's tables decide where section 3's
 * narrative is narrower, and the stronger keyword wins where two places
 * give the same rule different keywords.
 */
#ifndef XMPPIM_SUBSCRIPTION_H
#define XMPPIM_SUBSCRIPTION_H

#include <xmppim/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The nine subscription states of RFC 6121 Appendix A.1, seen from the
 * user. "To" means the user receives the contact's presence, "From" that
 * the contact receives the user's; "Pending Out" is the user's unanswered
 * request, "Pending In" the contact's. The order is the Appendix's, so a
 * value indexes its tables.
 *
 * #XMPPIM_SUB_STATE_NONE also stands for a contact that is not in the
 * roster at all (A.1): the tables treat both alike, and only the roster
 * knows which it is.
 */
typedef enum xmppim_sub_state {
  XMPPIM_SUB_STATE_NONE = 0,            /**< "None" */
  XMPPIM_SUB_STATE_NONE_PENDING_OUT,    /**< "None + Pending Out" */
  XMPPIM_SUB_STATE_NONE_PENDING_IN,     /**< "None + Pending In" */
  XMPPIM_SUB_STATE_NONE_PENDING_OUT_IN, /**< "None + Pending Out+In" */
  XMPPIM_SUB_STATE_TO,                  /**< "To" */
  XMPPIM_SUB_STATE_TO_PENDING_IN,       /**< "To + Pending In" */
  XMPPIM_SUB_STATE_FROM,                /**< "From" */
  XMPPIM_SUB_STATE_FROM_PENDING_OUT,    /**< "From + Pending Out" */
  XMPPIM_SUB_STATE_BOTH                 /**< "Both" */
} xmppim_sub_state;

/** How many states there are, for loops and arrays indexed by state. */
#define XMPPIM_SUB_STATE_COUNT 9

/** The four presence types that manage subscriptions (RFC 6121 section 3). */
typedef enum xmppim_sub_stanza {
  XMPPIM_SUB_SUBSCRIBE = 0, /**< a request for the recipient's presence */
  XMPPIM_SUB_SUBSCRIBED,    /**< approval (or pre-approval) of a request */
  XMPPIM_SUB_UNSUBSCRIBE,   /**< the sender stops receiving the recipient's presence */
  XMPPIM_SUB_UNSUBSCRIBED   /**< denial of a request, or cancellation of a granted subscription */
} xmppim_sub_stanza;

/**
 * Which way a subscription stanza travels, relative to the user whose
 * roster holds the state. The same stanza type means opposite things in
 * the two directions, hence two sets of tables in the RFC.
 */
typedef enum xmppim_sub_direction {
  /** Sent by the user to the contact (Appendix A.2: route it or not). */
  XMPPIM_SUB_OUTBOUND = 0,
  /** Received for the user from the contact (Appendix A.3: deliver it or not). */
  XMPPIM_SUB_INBOUND
} xmppim_sub_direction;

/**
 * The keyword RFC 6121 attaches to a decision, so that a server with a
 * reason to depart from a SHOULD can tell it from a MUST.
 */
typedef enum xmppim_sub_level {
  XMPPIM_SUB_LEVEL_NONE = 0, /**< no decision to qualify (no auto-reply) */
  XMPPIM_SUB_LEVEL_MUST,
  XMPPIM_SUB_LEVEL_MUST_NOT,
  XMPPIM_SUB_LEVEL_SHOULD,
  XMPPIM_SUB_LEVEL_SHOULD_NOT
} xmppim_sub_level;

/**
 * A presence the user's server sends to the contact on the user's behalf,
 * from the user's bare JID to the contact's bare JID. The reply is not
 * itself run through the tables: it confirms the state the stanza that
 * caused it has already set.
 *
 * Unavailable presence is not a reply here: it goes from each of the
 * user's available resources, not from the bare JID, so it is the
 * #XMPPIM_SUB_FX_SEND_UNAVAILABLE side effect instead.
 */
typedef enum xmppim_sub_reply {
  XMPPIM_SUB_REPLY_NONE = 0,     /**< nothing to send */
  XMPPIM_SUB_REPLY_SUBSCRIBED,   /**< presence type='subscribed' */
  XMPPIM_SUB_REPLY_UNSUBSCRIBED  /**< presence type='unsubscribed' */
} xmppim_sub_reply;

/**
 * What a stanza does to the roster item's pre-approval flag
 * (`approved='true'`, RFC 6121 section 3.4).
 */
typedef enum xmppim_sub_approved_effect {
  /** Leave the flag as it is. */
  XMPPIM_SUB_APPROVED_NONE = 0,
  /** Set it: the user pre-approved the contact (R3.4.2-c, R3.4.2-e). A
   * server that does not offer pre-approval (R3.4-a) does nothing instead,
   * which is what the stanza then means: the stanza is not routed either way. */
  XMPPIM_SUB_APPROVED_SET,
  /** Clear it: the user withdrew any pre-approval (R3.2.2-c). */
  XMPPIM_SUB_APPROVED_CLEAR,
  /** The pre-approval answered the contact's request just now. Whether the
   * flag stays set afterwards is the server's policy (R3.4.2-i). */
  XMPPIM_SUB_APPROVED_CONSUMED
} xmppim_sub_approved_effect;

/**
 * Side effects of a stanza, as bits of xmppim_sub_result::effects. They
 * are derived in one place from the change of state (and of the approved
 * flag), never listed per table cell, so a cell cannot forget one.
 *
 * A server performs what a result asks in this order, which is the order
 * RFC 6121 section 3 prescribes wherever it prescribes one:
 * 1. #XMPPIM_SUB_FX_SEND_UNAVAILABLE (before the stanza: R3.2.2-f);
 * 2. route or deliver the stanza (xmppim_sub_result::route_or_deliver);
 *    an outbound one stamped with the user's bare JID (R3-b);
 * 3. #XMPPIM_SUB_FX_KEEP_REQUEST, #XMPPIM_SUB_FX_DROP_REQUEST;
 * 4. #XMPPIM_SUB_FX_PUSH_ITEM (after the stanza: R3.1.2-h, R3.1.6-b,
 *    R3.2.2-h, R3.2.3-b, R3.3.3-b);
 * 5. the automatic reply (xmppim_sub_result::auto_reply);
 * 6. #XMPPIM_SUB_FX_SEND_PRESENCE (after the approval: R3.1.5-c);
 * 7. #XMPPIM_SUB_FX_CONTACT_PRESENCE_STARTS, #XMPPIM_SUB_FX_CONTACT_PRESENCE_ENDS.
 */
typedef enum xmppim_sub_effect {
  /**
   * The roster item's 'subscription', 'ask' or 'approved' changed, or the
   * user's own stanza changed the state: store the item and push it to
   * every interested resource of the user. A change the user caused is
   * pushed even when the attributes look the same (denying a request), so
   * the user's other resources, which were shown the request but never see
   * the user's answer, learn that it was answered (R3.2.2-e). If the roster
   * has no item for the contact, create one, unless the new state is None
   * and the flag is not set: such an item would record nothing the user
   * asked for (a denied request from a stranger).
   */
  XMPPIM_SUB_FX_PUSH_ITEM = 1 << 0,
  /**
   * The contact's request is now pending: keep the whole stanza (status
   * and extensions too) and deliver it to every available resource now and
   * to each one that becomes available, until the user answers it
   * (R3.1.3-k, R3.1.3-l). No roster item is created for it (R3.1.3-o).
   */
  XMPPIM_SUB_FX_KEEP_REQUEST = 1 << 1,
  /** The contact's pending request was approved, denied or withdrawn: forget
   * the kept request stanza (R3.3.3-g). */
  XMPPIM_SUB_FX_DROP_REQUEST = 1 << 2,
  /** The contact has just been granted the user's presence: send it the
   * current presence of each of the user's available resources (R3.1.5-c). */
  XMPPIM_SUB_FX_SEND_PRESENCE = 1 << 3,
  /**
   * The contact has just lost the user's presence: send it presence
   * type='unavailable' from each of the user's available resources
   * (R3.2.2-f, R3.3.3-d). Only when a granted subscription ends: denying
   * a request sends none, since the contact never had the user's presence
   * and would learn from it which resources are online (the project's
   * reading of the RFC's inconsistency 6).
   */
  XMPPIM_SUB_FX_SEND_UNAVAILABLE = 1 << 4,
  /** The user now receives the contact's presence: the contact's available
   * presence that follows is passed on to each available resource
   * (R3.1.6-d). */
  XMPPIM_SUB_FX_CONTACT_PRESENCE_STARTS = 1 << 5,
  /** The user no longer receives the contact's presence: a client forgets
   * what it knew at once (R3.3.3-h); a server passes on the contact's
   * unavailable presence (R3.2.3-d) and nothing from the contact after it. */
  XMPPIM_SUB_FX_CONTACT_PRESENCE_ENDS = 1 << 6
} xmppim_sub_effect;

/**
 * What RFC 6121 says a server does with one subscription stanza. Field
 * names follow the columns of the project's copy of Appendix A
 * (tests/conformance/subscription-states.tsv).
 */
typedef struct xmppim_sub_result {
  /** Nonzero: route the outbound stanza to the contact, or deliver the
   * inbound one to the user. Zero: drop it silently. */
  int route_or_deliver;
  /** The keyword of that decision: #XMPPIM_SUB_LEVEL_MUST when passed on,
   * #XMPPIM_SUB_LEVEL_MUST_NOT or #XMPPIM_SUB_LEVEL_SHOULD_NOT when not. */
  xmppim_sub_level level;
  /** The state afterwards; equal to the state before for "no state change". */
  xmppim_sub_state new_state;
  /** What to send the contact on the user's behalf. */
  xmppim_sub_reply auto_reply;
  /** Its keyword; #XMPPIM_SUB_LEVEL_NONE when there is no reply. */
  xmppim_sub_level auto_reply_level;
  /** What becomes of the roster item's pre-approval flag. */
  xmppim_sub_approved_effect approved_effect;
  /** Side effects: a set of #xmppim_sub_effect bits. */
  unsigned effects;
} xmppim_sub_result;

/**
 * Applies RFC 6121 Appendix A (Tables 2 to 9) to one subscription stanza.
 *
 * Pure: no allocation, no global state, nothing kept between calls.
 *
 * The approved flag matters in six cells, which the tables themselves only
 * hint at in footnotes: an inbound subscribe in None, None + Pending Out or
 * To is answered with an automatic subscribed and not delivered (R3.4.2-g,
 * R3.4.2-h; a MUST, after section 3.4.2 rather than the MAY of Table 6's
 * footnote), and an outbound unsubscribed in those states is never routed
 * (R3.2.2-d).
 *
 * @param direction whose stanza it is.
 * @param stanza its presence type.
 * @param state the contact's state in the user's roster before it.
 * @param approved nonzero when the contact's roster item has approved='true'.
 * @param[out] result filled in on success, untouched on failure.
 * @return 0, or #XMPPIM_ERR_INVALID_ARGUMENT when @p result is NULL or an
 * enumeration value is out of range.
 */
XMPPIM_EXTERN int xmppim_sub_apply(xmppim_sub_direction direction, xmppim_sub_stanza stanza,
                                   xmppim_sub_state state, int approved,
                                   xmppim_sub_result *result);

/**
 * The roster item's 'subscription' attribute for a state (RFC 6121
 * section 2.1.2.5): "none", "to", "from" or "both". Pending requests do
 * not show in it.
 * @return a static string, or NULL for a value outside the enumeration.
 */
XMPPIM_EXTERN const char *xmppim_sub_subscription_attr(xmppim_sub_state state);

/**
 * The roster item's 'ask' attribute for a state (RFC 6121 section
 * 2.1.2.2): "subscribe" while the user's request is pending, else NULL
 * (no attribute). The contact's pending request is never shown: it is not
 * part of the roster item (Appendix A.1).
 * @return a static string or NULL.
 */
XMPPIM_EXTERN const char *xmppim_sub_ask(xmppim_sub_state state);

/**
 * @return nonzero when the state holds a request from the contact that the
 * user has not answered, which the roster attributes cannot show and
 * storage has to keep apart.
 */
XMPPIM_EXTERN int xmppim_sub_pending_in(xmppim_sub_state state);

/** @return nonzero when the user receives the contact's presence (To, To +
 * Pending In, Both). */
XMPPIM_EXTERN int xmppim_sub_is_to(xmppim_sub_state state);

/** @return nonzero when the contact receives the user's presence (From,
 * From + Pending Out, Both). */
XMPPIM_EXTERN int xmppim_sub_is_from(xmppim_sub_state state);

/**
 * The state that roster attributes and a pending inbound request stand for;
 * the inverse of xmppim_sub_subscription_attr(), xmppim_sub_ask() and
 * xmppim_sub_pending_in().
 *
 * @param subscription "none", "to", "from" or "both"; NULL means "none",
 * the attribute's default. "remove" is a request, not a state, and is
 * refused.
 * @param ask "subscribe", or NULL when the attribute is absent.
 * @param pending_in nonzero when the contact's request is pending.
 * @return the #xmppim_sub_state (zero or more), or
 * #XMPPIM_ERR_INVALID_ARGUMENT for an unknown value (compared exactly, as
 * XML attribute values are) or a combination no state has: a pending
 * request of the user with subscription "to" or "both", or one of the
 * contact's with "from" or "both".
 */
XMPPIM_EXTERN int xmppim_sub_state_from_attrs(const char *subscription, const char *ask,
                                              int pending_in);

/**
 * A state's name for logs, as the project's table spells it
 * ("None+PendingOut", "To+PendingIn", ...).
 * @return a static string, or NULL for a value outside the enumeration.
 */
XMPPIM_EXTERN const char *xmppim_sub_state_name(xmppim_sub_state state);

/**
 * The presence 'type' attribute of a subscription stanza ("subscribe",
 * "subscribed", "unsubscribe", "unsubscribed").
 * @return a static string, or NULL for a value outside the enumeration.
 */
XMPPIM_EXTERN const char *xmppim_sub_stanza_type(xmppim_sub_stanza stanza);

/**
 * The subscription stanza a presence 'type' attribute names.
 * @return the #xmppim_sub_stanza (zero or more), or
 * #XMPPIM_ERR_NOT_FOUND for NULL and for every other type (available,
 * unavailable, probe, error), which the presence engine handles instead.
 */
XMPPIM_EXTERN int xmppim_sub_stanza_from_type(const char *type);

/**
 * The presence 'type' attribute of an automatic reply.
 * @return "subscribed" or "unsubscribed"; NULL for #XMPPIM_SUB_REPLY_NONE
 * and values outside the enumeration.
 */
XMPPIM_EXTERN const char *xmppim_sub_reply_type(xmppim_sub_reply reply);

#ifdef __cplusplus
}
#endif

#endif /* XMPPIM_SUBSCRIPTION_H */
