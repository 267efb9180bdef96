/*
 * RFC 6121 Appendix A as data. The cells say only what the RFC's tables
 * and their footnotes say (pass the stanza on or not, new state, automatic
 * reply, pre-approval); every side effect of section 3 is derived from the
 * change of state by effects_of(), so no cell can disagree with another
 * about what a transition means.
 */
#include <string.h>

#include <xmppim/subscription.h>

/* The four facts a state is made of. */
enum {
  BIT_TO = 1 << 0,          /* the user receives the contact's presence */
  BIT_FROM = 1 << 1,        /* the contact receives the user's presence */
  BIT_PENDING_OUT = 1 << 2, /* the user's request is unanswered */
  BIT_PENDING_IN = 1 << 3   /* the contact's request is unanswered */
};

/* Indexed by xmppim_sub_state. */
static const unsigned char state_bits[XMPPIM_SUB_STATE_COUNT] = {
  0,
  BIT_PENDING_OUT,
  BIT_PENDING_IN,
  BIT_PENDING_OUT | BIT_PENDING_IN,
  BIT_TO,
  BIT_TO | BIT_PENDING_IN,
  BIT_FROM,
  BIT_FROM | BIT_PENDING_OUT,
  BIT_TO | BIT_FROM,
};

static const char *const state_names[XMPPIM_SUB_STATE_COUNT] = {
  "None", "None+PendingOut", "None+PendingIn", "None+PendingOut+PendingIn", "To",
  "To+PendingIn", "From", "From+PendingOut", "Both",
};

static const char *const stanza_types[] = {"subscribe", "subscribed", "unsubscribe",
                                           "unsubscribed"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct cell {
  unsigned char level;       /* xmppim_sub_level of passing the stanza on */
  unsigned char next;        /* xmppim_sub_state */
  unsigned char reply;       /* xmppim_sub_reply */
  unsigned char reply_level; /* xmppim_sub_level */
  unsigned char approved;    /* xmppim_sub_approved_effect */
} cell;

/* Short names, so that each table row reads like a row of the RFC's. */
#define L_NONE XMPPIM_SUB_LEVEL_NONE
#define L_MUST XMPPIM_SUB_LEVEL_MUST
#define L_MN XMPPIM_SUB_LEVEL_MUST_NOT
#define L_SHOULD XMPPIM_SUB_LEVEL_SHOULD
#define L_SN XMPPIM_SUB_LEVEL_SHOULD_NOT
#define S_N XMPPIM_SUB_STATE_NONE
#define S_NPO XMPPIM_SUB_STATE_NONE_PENDING_OUT
#define S_NPI XMPPIM_SUB_STATE_NONE_PENDING_IN
#define S_NPOI XMPPIM_SUB_STATE_NONE_PENDING_OUT_IN
#define S_T XMPPIM_SUB_STATE_TO
#define S_TPI XMPPIM_SUB_STATE_TO_PENDING_IN
#define S_F XMPPIM_SUB_STATE_FROM
#define S_FPO XMPPIM_SUB_STATE_FROM_PENDING_OUT
#define S_B XMPPIM_SUB_STATE_BOTH
#define R_NONE XMPPIM_SUB_REPLY_NONE
#define R_SUBSCRIBED XMPPIM_SUB_REPLY_SUBSCRIBED
#define R_UNSUBSCRIBED XMPPIM_SUB_REPLY_UNSUBSCRIBED
#define A_NONE XMPPIM_SUB_APPROVED_NONE
#define A_SET XMPPIM_SUB_APPROVED_SET
#define A_CLEAR XMPPIM_SUB_APPROVED_CLEAR
#define A_CONSUMED XMPPIM_SUB_APPROVED_CONSUMED

/* A cell that passes the stanza on or not, with no reply. */
#define C(lv, next, appr) {L_##lv, S_##next, R_NONE, L_NONE, A_##appr}
/* A cell with an automatic reply. */
#define CR(lv, next, reply, rlv) {L_##lv, S_##next, R_##reply, L_##rlv, A_NONE}

/* [direction][stanza][existing state], in the RFC's order of states. */
static const cell tables[2][4][XMPPIM_SUB_STATE_COUNT] = {
  [XMPPIM_SUB_OUTBOUND] = {
    /* Table 2, outbound subscribe: always routed; asking sets Pending Out. */
    [XMPPIM_SUB_SUBSCRIBE] = {
      C(MUST, NPO, NONE),  C(MUST, NPO, NONE), C(MUST, NPOI, NONE),
      C(MUST, NPOI, NONE), C(MUST, T, NONE),   C(MUST, TPI, NONE),
      C(MUST, FPO, NONE),  C(MUST, FPO, NONE), C(MUST, B, NONE),
    },
    /* Table 4, outbound subscribed: an approval where a request is pending,
     * a pre-approval where none is and the contact is not subscribed
     * (R3.4.2-c), nothing where it is (R3.4.2-a). */
    [XMPPIM_SUB_SUBSCRIBED] = {
      C(MN, N, SET),      C(MN, NPO, SET),  C(MUST, F, NONE),
      C(MUST, FPO, NONE), C(MN, T, SET),    C(MUST, B, NONE),
      C(MN, F, NONE),     C(MN, FPO, NONE), C(MN, B, NONE),
    },
    /* Table 3, outbound unsubscribe: always routed; ends To and Pending Out. */
    [XMPPIM_SUB_UNSUBSCRIBE] = {
      C(MUST, N, NONE),   C(MUST, N, NONE), C(MUST, NPI, NONE),
      C(MUST, NPI, NONE), C(MUST, N, NONE), C(MUST, NPI, NONE),
      C(MUST, F, NONE),   C(MUST, F, NONE), C(MUST, F, NONE),
    },
    /* Table 5, outbound unsubscribed: ends From and Pending In; always
     * withdraws a pre-approval (R3.2.2-c, R3.4.2-i). */
    [XMPPIM_SUB_UNSUBSCRIBED] = {
      C(SN, N, CLEAR),    C(SN, NPO, CLEAR),  C(MUST, N, CLEAR),
      C(MUST, NPO, CLEAR), C(SN, T, CLEAR),   C(MUST, T, CLEAR),
      C(MUST, N, CLEAR),  C(MUST, NPO, CLEAR), C(MUST, T, CLEAR),
    },
  },
  [XMPPIM_SUB_INBOUND] = {
    /* Table 6, inbound subscribe: a new request is delivered; a repeated
     * one is not; one from a contact already subscribed is answered
     * (footnote 2, a MUST after R3.1.3-f). */
    [XMPPIM_SUB_SUBSCRIBE] = {
      C(MUST, NPI, NONE),  C(MUST, NPOI, NONE), C(SN, NPI, NONE),
      C(SN, NPOI, NONE),   C(MUST, TPI, NONE),  C(SN, TPI, NONE),
      CR(SN, F, SUBSCRIBED, MUST), CR(SN, FPO, SUBSCRIBED, MUST),
      CR(SN, B, SUBSCRIBED, MUST),
    },
    /* Table 8, inbound subscribed: only an answer to the user's pending
     * request counts. */
    [XMPPIM_SUB_SUBSCRIBED] = {
      C(SN, N, NONE),    C(MUST, T, NONE), C(SN, NPI, NONE),
      C(MUST, TPI, NONE), C(SN, T, NONE),  C(SN, TPI, NONE),
      C(SN, F, NONE),    C(MUST, B, NONE), C(SN, B, NONE),
    },
    /* Table 7, inbound unsubscribe: ends From and Pending In, answered
     * with unsubscribed (footnote 1). */
    [XMPPIM_SUB_UNSUBSCRIBE] = {
      C(SN, N, NONE),
      C(SN, NPO, NONE),
      CR(MUST, N, UNSUBSCRIBED, SHOULD),
      CR(MUST, NPO, UNSUBSCRIBED, SHOULD),
      C(SN, T, NONE),
      CR(MUST, T, UNSUBSCRIBED, SHOULD),
      CR(MUST, N, UNSUBSCRIBED, SHOULD),
      CR(MUST, NPO, UNSUBSCRIBED, SHOULD),
      CR(MUST, T, UNSUBSCRIBED, SHOULD),
    },
    /* Table 9, inbound unsubscribed: ends To and Pending Out. */
    [XMPPIM_SUB_UNSUBSCRIBED] = {
      C(SN, N, NONE),    C(MUST, N, NONE),   C(SN, NPI, NONE),
      C(MUST, NPI, NONE), C(MUST, N, NONE),  C(MUST, NPI, NONE),
      C(SN, F, NONE),    C(MUST, F, NONE),   C(MUST, F, NONE),
    },
  },
};

/* The cells that differ when the item carries approved='true'. */
typedef struct approved_cell {
  unsigned char direction;
  unsigned char stanza;
  unsigned char state;
  cell c;
} approved_cell;

static const approved_cell if_approved[] = {
  /* R3.4.2-g/h: the pre-approval answers the request; the contact gets the
   * user's presence without the user being asked. */
  {XMPPIM_SUB_INBOUND, XMPPIM_SUB_SUBSCRIBE, S_N,
   {L_MN, S_F, R_SUBSCRIBED, L_MUST, A_CONSUMED}},
  {XMPPIM_SUB_INBOUND, XMPPIM_SUB_SUBSCRIBE, S_NPO,
   {L_MN, S_FPO, R_SUBSCRIBED, L_MUST, A_CONSUMED}},
  {XMPPIM_SUB_INBOUND, XMPPIM_SUB_SUBSCRIBE, S_T,
   {L_MN, S_B, R_SUBSCRIBED, L_MUST, A_CONSUMED}},
  /* R3.2.2-d: withdrawing a pre-approval tells the contact nothing. */
  {XMPPIM_SUB_OUTBOUND, XMPPIM_SUB_UNSUBSCRIBED, S_N, {L_MN, S_N, R_NONE, L_NONE, A_CLEAR}},
  {XMPPIM_SUB_OUTBOUND, XMPPIM_SUB_UNSUBSCRIBED, S_NPO, {L_MN, S_NPO, R_NONE, L_NONE, A_CLEAR}},
  {XMPPIM_SUB_OUTBOUND, XMPPIM_SUB_UNSUBSCRIBED, S_T, {L_MN, S_T, R_NONE, L_NONE, A_CLEAR}},
};

/* What the roster item shows: subscription and ask, not Pending In. */
static unsigned visible(unsigned bits) {
  return bits & (BIT_TO | BIT_FROM | BIT_PENDING_OUT);
}

/* The one place where a transition is given its meaning. */
static unsigned effects_of(xmppim_sub_direction direction, unsigned before, unsigned after,
                           int approved_before, int approved_after) {
  unsigned fx = 0;
  unsigned gained = after & ~before, lost = before & ~after;
  if (visible(before) != visible(after) || approved_before != approved_after ||
      (direction == XMPPIM_SUB_OUTBOUND && before != after))
    fx |= XMPPIM_SUB_FX_PUSH_ITEM;
  if (gained & BIT_PENDING_IN) fx |= XMPPIM_SUB_FX_KEEP_REQUEST;
  if (lost & BIT_PENDING_IN) fx |= XMPPIM_SUB_FX_DROP_REQUEST;
  if (gained & BIT_FROM) fx |= XMPPIM_SUB_FX_SEND_PRESENCE;
  if (lost & BIT_FROM) fx |= XMPPIM_SUB_FX_SEND_UNAVAILABLE;
  if (gained & BIT_TO) fx |= XMPPIM_SUB_FX_CONTACT_PRESENCE_STARTS;
  if (lost & BIT_TO) fx |= XMPPIM_SUB_FX_CONTACT_PRESENCE_ENDS;
  return fx;
}

static int valid_state(xmppim_sub_state state) {
  return (unsigned)state < XMPPIM_SUB_STATE_COUNT;
}

int xmppim_sub_apply(xmppim_sub_direction direction, xmppim_sub_stanza stanza,
                     xmppim_sub_state state, int approved, xmppim_sub_result *result) {
  if (!result || (unsigned)direction > XMPPIM_SUB_INBOUND ||
      (unsigned)stanza > XMPPIM_SUB_UNSUBSCRIBED || !valid_state(state))
    return XMPPIM_ERR_INVALID_ARGUMENT;
  approved = approved != 0;
  const cell *c = &tables[direction][stanza][state];
  if (approved) {
    for (size_t i = 0; i < COUNT(if_approved); i++) {
      const approved_cell *a = &if_approved[i];
      if (a->direction == direction && a->stanza == stanza && a->state == state) {
        c = &a->c;
        break;
      }
    }
  }
  int approved_after = approved;
  if (c->approved == A_SET) approved_after = 1;
  if (c->approved == A_CLEAR) approved_after = 0;
  /* CONSUMED leaves the flag to the server's policy (R3.4.2-i); the state
   * changes visibly then anyway, so the push does not depend on it. */

  result->route_or_deliver = c->level == L_MUST;
  result->level = (xmppim_sub_level)c->level;
  result->new_state = (xmppim_sub_state)c->next;
  result->auto_reply = (xmppim_sub_reply)c->reply;
  result->auto_reply_level = (xmppim_sub_level)c->reply_level;
  result->approved_effect = (xmppim_sub_approved_effect)c->approved;
  result->effects =
    effects_of(direction, state_bits[state], state_bits[c->next], approved, approved_after);
  return 0;
}

const char *xmppim_sub_subscription_attr(xmppim_sub_state state) {
  if (!valid_state(state)) return NULL;
  switch (state_bits[state] & (BIT_TO | BIT_FROM)) {
  case BIT_TO: return "to";
  case BIT_FROM: return "from";
  case BIT_TO | BIT_FROM: return "both";
  default: return "none";
  }
}

const char *xmppim_sub_ask(xmppim_sub_state state) {
  return valid_state(state) && (state_bits[state] & BIT_PENDING_OUT) ? "subscribe" : NULL;
}

int xmppim_sub_pending_in(xmppim_sub_state state) {
  return valid_state(state) && (state_bits[state] & BIT_PENDING_IN) != 0;
}

int xmppim_sub_is_to(xmppim_sub_state state) {
  return valid_state(state) && (state_bits[state] & BIT_TO) != 0;
}

int xmppim_sub_is_from(xmppim_sub_state state) {
  return valid_state(state) && (state_bits[state] & BIT_FROM) != 0;
}

int xmppim_sub_state_from_attrs(const char *subscription, const char *ask, int pending_in) {
  unsigned bits;
  if (!subscription || strcmp(subscription, "none") == 0)
    bits = 0;
  else if (strcmp(subscription, "to") == 0)
    bits = BIT_TO;
  else if (strcmp(subscription, "from") == 0)
    bits = BIT_FROM;
  else if (strcmp(subscription, "both") == 0)
    bits = BIT_TO | BIT_FROM;
  else
    return XMPPIM_ERR_INVALID_ARGUMENT;
  if (ask) {
    if (strcmp(ask, "subscribe") != 0) return XMPPIM_ERR_INVALID_ARGUMENT;
    bits |= BIT_PENDING_OUT;
  }
  if (pending_in) bits |= BIT_PENDING_IN;
  /* Combinations that are no state (subscribed and asking, say) fall
   * through the search. */
  for (int s = 0; s < XMPPIM_SUB_STATE_COUNT; s++)
    if (state_bits[s] == bits) return s;
  return XMPPIM_ERR_INVALID_ARGUMENT;
}

const char *xmppim_sub_state_name(xmppim_sub_state state) {
  return valid_state(state) ? state_names[state] : NULL;
}

const char *xmppim_sub_stanza_type(xmppim_sub_stanza stanza) {
  return (unsigned)stanza < COUNT(stanza_types) ? stanza_types[stanza] : NULL;
}

int xmppim_sub_stanza_from_type(const char *type) {
  if (!type) return XMPPIM_ERR_NOT_FOUND;
  for (size_t i = 0; i < COUNT(stanza_types); i++)
    if (strcmp(type, stanza_types[i]) == 0) return (int)i;
  return XMPPIM_ERR_NOT_FOUND;
}

const char *xmppim_sub_reply_type(xmppim_sub_reply reply) {
  switch (reply) {
  case XMPPIM_SUB_REPLY_SUBSCRIBED: return "subscribed";
  case XMPPIM_SUB_REPLY_UNSUBSCRIBED: return "unsubscribed";
  default: return NULL;
  }
}
