/*
 * RFC 6121 section 8 as one decision tree, in the order the RFC gives its
 * rules: no such user (8.5.1), bare JID (8.5.2), full JID (8.5.3). Each
 * leaf names the requirement that decides it; the keyword comes from one
 * table, so a leaf cannot cite a rule with the wrong one. See delivery.h
 * for the readings where the RFC leaves room.
 */
#include <string.h>

#include <xmppim/delivery.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define MUST XMPPIM_DELIVERY_LEVEL_MUST
#define MUST_NOT XMPPIM_DELIVERY_LEVEL_MUST_NOT
#define SHOULD XMPPIM_DELIVERY_LEVEL_SHOULD
#define SHOULD_NOT XMPPIM_DELIVERY_LEVEL_SHOULD_NOT

/* Every requirement a decision can cite, with its keyword in the project's
 * requirement list. */
static const struct {
  const char *id;
  xmppim_delivery_level level;
} rules[] = {
  {"R8.5.1-a", MUST},        {"R8.5.1-b", MUST},        {"R8.5.1-c", MUST},
  {"R8.5.1-d", MUST},        {"R8.5.1-e", MUST},        {"R8.5.2.1.1-a", SHOULD},
  {"R8.5.2.1.1-b", MUST},    {"R8.5.2.1.1-c", MUST},    {"R8.5.2.1.1-d", SHOULD},
  {"R8.5.2.1.1-e", MUST},    {"R8.5.2.1.1-f", MUST},    {"R8.5.2.1.1-h", MUST},
  {"R8.5.2.1.1-i", MUST},    {"R8.5.2.1.1-j", MUST},    {"R8.5.2.1.1-k", MUST},
  {"R8.5.2.1.1-l", MUST},    {"R8.5.2.1.2-a", MUST},    {"R8.5.2.1.2-b", MUST},
  {"R8.5.2.1.2-c", MUST},    {"R8.5.2.1.3-a", MUST},    {"R8.5.2.2.1-a", SHOULD},
  {"R8.5.2.2.1-b", MUST},    {"R8.5.2.2.1-c", MUST},    {"R8.5.2.2.2-a", SHOULD},
  {"R8.5.2.2.2-b", MUST},    {"R8.5.2.2.2-c", MUST},    {"R8.5.2.2.3-a", MUST},
  {"R8.5.3.1-a", SHOULD_NOT}, {"R8.5.3.1-b", SHOULD},   {"R8.5.3.1-c", MUST},
  {"R8.5.3.1-d", MUST},      {"R8.5.3.1-e", MUST},      {"R8.5.3.1-f", MUST},
  {"R8.5.3.1-g", MUST},      {"R8.5.3.2.1-a", MUST},    {"R8.5.3.2.1-b", MUST},
  {"R8.5.3.2.1-c", SHOULD},  {"R8.5.3.2.1-d", MUST},    {"R8.5.3.2.1-e", MUST},
  {"R8.5.3.2.1-f", MUST},    {"R8.5.3.2.2-a", MUST},    {"R8.5.3.2.2-b", MUST},
  {"R8.5.3.2.2-c", MUST},    {"R8.5.3.2.2-d", MUST},    {"R8.5.3.2.3-a", MUST},
  {"C8.2.3-c", MUST_NOT},
};

static const char *const action_names[] = {"deliver", "store-offline",      "bounce",
                                           "drop",    "handle", "reply-unsubscribed"};

/* Which resources a delivery goes to. */
typedef enum pick {
  PICK_MATCH,          /* the one the full JID names */
  PICK_AVAILABLE,      /* every available resource (presence) */
  PICK_NON_NEGATIVE,   /* every available one with priority >= 0 */
  PICK_MOST_AVAILABLE, /* the highest non-negative priority, all of them */
  PICK_CHAT            /* PICK_MOST_AVAILABLE and the non-negative opted-in */
} pick;

/* What the decision tree knows about the user's resources. */
typedef struct view {
  const xmppim_delivery_input *in;
  int any_available;  /* 8.5.2.1 rather than 8.5.2.2 */
  size_t non_negative; /* available, priority >= 0 */
  int top;             /* highest such priority, when non_negative > 0 */
  size_t match;        /* index the full JID matches */
  int has_match;
  int entitled;        /* may be told a full JID is gone (R8.1-a) */
} view;

typedef struct result {
  xmppim_delivery_decision d;
  pick pick;
} result;

static void set(result *r, xmppim_delivery_action action, const char *rule, const char *choice) {
  r->d.action = action;
  r->d.rule = rule;
  r->d.choice = choice;
  r->d.level = MUST;
  for (size_t i = 0; i < COUNT(rules); i++)
    if (strcmp(rules[i].id, rule) == 0) {
      r->d.level = rules[i].level;
      break;
    }
  if (action == XMPPIM_DELIVERY_ACT_BOUNCE || action == XMPPIM_DELIVERY_ACT_STORE_OFFLINE) {
    r->d.condition = XMPPIM_STANZA_COND_SERVICE_UNAVAILABLE;
    r->d.error_type = XMPPIM_STANZA_ERROR_TYPE_CANCEL;
  }
}

static void deliver(result *r, pick p, const char *rule) {
  set(r, XMPPIM_DELIVERY_ACT_DELIVER, rule, NULL);
  r->pick = p;
}

/* The O/E cells: stored when the host keeps messages, else bounced. */
static void store_or_bounce(const view *v, result *r, const char *rule) {
  set(r,
      (v->in->policy & XMPPIM_DELIVERY_POLICY_OFFLINE) ? XMPPIM_DELIVERY_ACT_STORE_OFFLINE
                                                       : XMPPIM_DELIVERY_ACT_BOUNCE,
      rule, NULL);
}

/* The S/E cells of a full JID with no matching resource (R8.1-a). */
static void drop_or_bounce(const view *v, result *r, const char *rule) {
  set(r, v->entitled ? XMPPIM_DELIVERY_ACT_BOUNCE : XMPPIM_DELIVERY_ACT_DROP, rule, "R8.1-a");
}

static int is_subscription(xmppim_delivery_type t) {
  return t >= XMPPIM_DELIVERY_TYPE_SUBSCRIBE && t <= XMPPIM_DELIVERY_TYPE_UNSUBSCRIBED;
}

/* 8.5.1: the account does not exist. Messages get what an existing
 * account with no resources would give a stranger (C10.2-a). */
static void no_such_user(const view *v, result *r) {
  const xmppim_delivery_input *in = v->in;
  int full = in->to_resource != NULL;
  int stores = (in->policy & XMPPIM_DELIVERY_POLICY_OFFLINE) != 0;
  switch (in->kind) {
  case XMPPIM_DELIVERY_KIND_MESSAGE:
    switch (in->type) {
    case XMPPIM_DELIVERY_TYPE_ERROR:
      set(r, XMPPIM_DELIVERY_ACT_DROP, "R8.5.1-b", "C8.3.1-f");
      return;
    case XMPPIM_DELIVERY_TYPE_GROUPCHAT:
    case XMPPIM_DELIVERY_TYPE_HEADLINE:
      if (!full) { /* the summary table narrows these two */
        set(r,
            in->type == XMPPIM_DELIVERY_TYPE_GROUPCHAT ? XMPPIM_DELIVERY_ACT_BOUNCE
                                                       : XMPPIM_DELIVERY_ACT_DROP,
            "R8.5.1-b", "R8.5.4-a");
        return;
      }
      set(r, XMPPIM_DELIVERY_ACT_DROP, "R8.5.1-b", "C10.2-a");
      return;
    default:
      /* Normal to a full JID would be dropped for a stranger; normal to
       * the bare JID and chat to either would be stored or bounced. */
      if (full && in->type == XMPPIM_DELIVERY_TYPE_NORMAL)
        set(r, XMPPIM_DELIVERY_ACT_DROP, "R8.5.1-b", "C10.2-a");
      else
        set(r, stores ? XMPPIM_DELIVERY_ACT_DROP : XMPPIM_DELIVERY_ACT_BOUNCE, "R8.5.1-b",
            "C10.2-a");
      return;
    }
  case XMPPIM_DELIVERY_KIND_PRESENCE:
    if (in->type == XMPPIM_DELIVERY_TYPE_PROBE)
      set(r, XMPPIM_DELIVERY_ACT_REPLY_UNSUBSCRIBED, "R8.5.1-e", "R4.3.2-a");
    else if (is_subscription(in->type))
      set(r, XMPPIM_DELIVERY_ACT_DROP, "R8.5.1-d", NULL);
    else
      set(r, XMPPIM_DELIVERY_ACT_DROP, "R8.5.1-c", NULL);
    return;
  default: /* iq */
    if (in->type == XMPPIM_DELIVERY_TYPE_GET || in->type == XMPPIM_DELIVERY_TYPE_SET)
      set(r, XMPPIM_DELIVERY_ACT_BOUNCE, "R8.5.1-a", NULL);
    else
      set(r, XMPPIM_DELIVERY_ACT_DROP, "C8.2.3-c", NULL);
    return;
  }
}

/* A chat message to the bare JID, or to a full JID that matches nothing
 * (which 8.5.3.2.1 sends on as if to the bare JID). The rules differ only
 * in their IDs. */
static void chat_as_bare(const view *v, result *r, int full) {
  if (v->non_negative == 0) {
    const char *rule;
    if (full)
      rule = v->in->nresources == 0 ? "R8.5.3.2.1-b" : "R8.5.3.2.1-c";
    else
      rule = v->any_available ? "R8.5.2.1.1-d" : "R8.5.2.2.1-a";
    store_or_bounce(v, r, rule);
  } else if (v->non_negative == 1) {
    deliver(r, PICK_CHAT, full ? "R8.5.3.2.1-d" : "R8.5.2.1.1-e");
  } else {
    deliver(r, PICK_CHAT, full ? "R8.5.3.2.1-e" : "R8.5.2.1.1-f");
  }
}

/* 8.5.2.1.1 and 8.5.2.2.1: a message to the bare JID. */
static void message_to_bare(const view *v, result *r) {
  int any = v->any_available;
  switch (v->in->type) {
  case XMPPIM_DELIVERY_TYPE_NORMAL:
    if (v->non_negative == 0)
      store_or_bounce(v, r, any ? "R8.5.2.1.1-a" : "R8.5.2.2.1-a");
    else if (v->non_negative == 1)
      deliver(r, PICK_NON_NEGATIVE, "R8.5.2.1.1-b");
    else
      deliver(r,
              (v->in->policy & XMPPIM_DELIVERY_POLICY_NORMAL_TO_ALL) ? PICK_NON_NEGATIVE
                                                                     : PICK_MOST_AVAILABLE,
              "R8.5.2.1.1-c");
    return;
  case XMPPIM_DELIVERY_TYPE_CHAT:
    chat_as_bare(v, r, 0);
    return;
  case XMPPIM_DELIVERY_TYPE_GROUPCHAT:
    set(r, XMPPIM_DELIVERY_ACT_BOUNCE, any ? "R8.5.2.1.1-h" : "R8.5.2.2.1-b", NULL);
    return;
  case XMPPIM_DELIVERY_TYPE_HEADLINE:
    if (v->non_negative == 0)
      set(r, XMPPIM_DELIVERY_ACT_DROP, any ? "R8.5.2.1.1-i" : "R8.5.2.2.1-c", NULL);
    else
      deliver(r, PICK_NON_NEGATIVE, v->non_negative == 1 ? "R8.5.2.1.1-j" : "R8.5.2.1.1-k");
    return;
  default: /* error */
    set(r, XMPPIM_DELIVERY_ACT_DROP, any ? "R8.5.2.1.1-l" : "R8.5.2.2.1-c", NULL);
    return;
  }
}

/* 8.5.3.2.1: a message to a full JID that matches no resource. */
static void message_to_gone(const view *v, result *r) {
  switch (v->in->type) {
  case XMPPIM_DELIVERY_TYPE_CHAT:
    chat_as_bare(v, r, 1);
    return;
  case XMPPIM_DELIVERY_TYPE_ERROR:
    set(r, XMPPIM_DELIVERY_ACT_DROP, "R8.5.3.2.1-f", NULL);
    return;
  default: /* normal, groupchat, headline */
    drop_or_bounce(v, r, "R8.5.3.2.1-a");
    return;
  }
}

static void presence(const view *v, result *r) {
  const xmppim_delivery_input *in = v->in;
  xmppim_delivery_type t = in->type;
  int full = in->to_resource != NULL;
  if (t == XMPPIM_DELIVERY_TYPE_PROBE) {
    set(r, XMPPIM_DELIVERY_ACT_HANDLE,
        full ? (v->has_match ? "R8.5.3.1-g" : "R8.5.3.2.2-d")
             : (v->any_available ? "R8.5.2.1.2-c" : "R8.5.2.2.2-c"),
        NULL);
  } else if (is_subscription(t)) {
    if (!full)
      set(r, XMPPIM_DELIVERY_ACT_HANDLE, v->any_available ? "R8.5.2.1.2-b" : "R8.5.2.2.2-b",
          NULL);
    else if (v->has_match)
      set(r, XMPPIM_DELIVERY_ACT_HANDLE, "R8.5.3.1-f", NULL);
    else if (t == XMPPIM_DELIVERY_TYPE_SUBSCRIBE)
      set(r, XMPPIM_DELIVERY_ACT_HANDLE, "R8.5.3.2.2-b", NULL);
    else
      set(r, XMPPIM_DELIVERY_ACT_DROP, "R8.5.3.2.2-c", NULL);
  } else { /* available, unavailable, error */
    if (full) {
      if (v->has_match)
        deliver(r, PICK_MATCH, "R8.5.3.1-e");
      else
        set(r, XMPPIM_DELIVERY_ACT_DROP, "R8.5.3.2.2-a", NULL);
    } else if (v->any_available) {
      deliver(r, PICK_AVAILABLE, "R8.5.2.1.2-a");
    } else {
      set(r, XMPPIM_DELIVERY_ACT_DROP, "R8.5.2.2.2-a", NULL);
    }
  }
}

static void iq(const view *v, result *r) {
  const xmppim_delivery_input *in = v->in;
  int request = in->type == XMPPIM_DELIVERY_TYPE_GET || in->type == XMPPIM_DELIVERY_TYPE_SET;
  if (!in->to_resource) {
    set(r, XMPPIM_DELIVERY_ACT_HANDLE, v->any_available ? "R8.5.2.1.3-a" : "R8.5.2.2.3-a", NULL);
    if (request) { /* the answer when the namespace has none (R8.5.2.1.3-b) */
      r->d.condition = XMPPIM_STANZA_COND_SERVICE_UNAVAILABLE;
      r->d.error_type = XMPPIM_STANZA_ERROR_TYPE_CANCEL;
    }
  } else if (!v->has_match) {
    if (request)
      set(r, XMPPIM_DELIVERY_ACT_BOUNCE, "R8.5.3.2.3-a", NULL);
    else
      set(r, XMPPIM_DELIVERY_ACT_DROP, "C8.2.3-c", NULL);
  } else if (!request) {
    deliver(r, PICK_MATCH, "R8.5.3.1-c");
  } else if (v->entitled || (in->policy & XMPPIM_DELIVERY_POLICY_IQ_FROM_ANYONE)) {
    deliver(r, PICK_MATCH, "R8.5.3.1-a");
  } else {
    set(r, XMPPIM_DELIVERY_ACT_BOUNCE, "R8.5.3.1-b", NULL);
  }
}

static int picked(const view *v, pick p, size_t i) {
  const xmppim_delivery_resource *res = &v->in->resources[i];
  switch (p) {
  case PICK_MATCH:
    return v->has_match && i == v->match;
  case PICK_AVAILABLE:
    return res->available != 0;
  case PICK_NON_NEGATIVE:
    return res->available && res->priority >= 0;
  case PICK_MOST_AVAILABLE:
    return res->available && res->priority >= 0 && res->priority == v->top;
  default: /* PICK_CHAT */
    return res->available && res->priority >= 0 && (res->priority == v->top || res->all_chats);
  }
}

static int type_fits(xmppim_delivery_kind kind, xmppim_delivery_type type) {
  if (type == XMPPIM_DELIVERY_TYPE_ERROR) return 1;
  switch (kind) {
  case XMPPIM_DELIVERY_KIND_MESSAGE:
    return type <= XMPPIM_DELIVERY_TYPE_HEADLINE;
  case XMPPIM_DELIVERY_KIND_PRESENCE:
    return type >= XMPPIM_DELIVERY_TYPE_AVAILABLE && type <= XMPPIM_DELIVERY_TYPE_PROBE;
  default:
    return type >= XMPPIM_DELIVERY_TYPE_GET && type <= XMPPIM_DELIVERY_TYPE_RESULT;
  }
}

static int valid(const xmppim_delivery_input *in) {
  const unsigned senders = XMPPIM_DELIVERY_SENDER_SELF | XMPPIM_DELIVERY_SENDER_SEES_PRESENCE;
  const unsigned policies = XMPPIM_DELIVERY_POLICY_NORMAL_TO_ALL | XMPPIM_DELIVERY_POLICY_OFFLINE |
                            XMPPIM_DELIVERY_POLICY_IQ_FROM_ANYONE;
  if ((unsigned)in->kind > XMPPIM_DELIVERY_KIND_IQ ||
      (unsigned)in->type > XMPPIM_DELIVERY_TYPE_ERROR || !type_fits(in->kind, in->type))
    return 0;
  if ((in->sender & ~senders) || (in->policy & ~policies)) return 0;
  if (in->to_resource && !in->to_resource[0]) return 0;
  if (in->nresources && (!in->resources || !in->user_exists)) return 0;
  for (size_t i = 0; i < in->nresources; i++) {
    const xmppim_delivery_resource *res = &in->resources[i];
    if (!res->resource || res->priority < -128 || res->priority > 127) return 0;
  }
  return 1;
}

int xmppim_delivery_decide(const xmppim_delivery_input *in, xmppim_delivery_decision *out,
                           size_t *targets, size_t targets_cap) {
  if (!in || !out || (!targets && targets_cap) || !valid(in)) return XMPPIM_ERR_INVALID_ARGUMENT;

  view v;
  memset(&v, 0, sizeof(v));
  v.in = in;
  v.entitled = (in->sender & (XMPPIM_DELIVERY_SENDER_SELF |
                              XMPPIM_DELIVERY_SENDER_SEES_PRESENCE)) != 0;
  for (size_t i = 0; i < in->nresources; i++) {
    const xmppim_delivery_resource *res = &in->resources[i];
    if (in->to_resource && !v.has_match && strcmp(res->resource, in->to_resource) == 0) {
      v.has_match = 1;
      v.match = i;
    }
    if (!res->available) continue;
    v.any_available = 1;
    if (res->priority < 0) continue;
    if (v.non_negative == 0 || res->priority > v.top) v.top = res->priority;
    v.non_negative++;
  }

  result r;
  memset(&r, 0, sizeof(r));
  r.d.condition = XMPPIM_STANZA_COND_NONE;
  r.d.error_type = XMPPIM_STANZA_ERROR_TYPE_UNKNOWN;
  if (!in->user_exists) {
    no_such_user(&v, &r);
  } else if (in->kind == XMPPIM_DELIVERY_KIND_MESSAGE) {
    if (!in->to_resource)
      message_to_bare(&v, &r);
    else if (v.has_match)
      deliver(&r, PICK_MATCH, "R8.5.3.1-d");
    else
      message_to_gone(&v, &r);
  } else if (in->kind == XMPPIM_DELIVERY_KIND_PRESENCE) {
    presence(&v, &r);
  } else {
    iq(&v, &r);
  }

  if (r.d.action == XMPPIM_DELIVERY_ACT_DELIVER) {
    size_t n = 0;
    for (size_t i = 0; i < in->nresources; i++) n += picked(&v, r.pick, i) != 0;
    r.d.ntargets = n;
    if (n > targets_cap) {
      *out = r.d;
      return XMPPIM_ERR_BUFFER_TOO_SMALL;
    }
    n = 0;
    for (size_t i = 0; i < in->nresources; i++)
      if (picked(&v, r.pick, i)) targets[n++] = i;
  }
  *out = r.d;
  return 0;
}

int xmppim_delivery_classify(const xmppim_stanza *st, xmppim_delivery_kind *kind,
                             xmppim_delivery_type *type) {
  static const char *const message_types[] = {"normal", "chat", "groupchat", "headline"};
  static const char *const presence_types[] = {"unavailable", "subscribe", "subscribed",
                                               "unsubscribe", "unsubscribed", "probe"};
  static const char *const iq_types[] = {"get", "set", "result"};
  if (!st || !kind || !type) return XMPPIM_ERR_INVALID_ARGUMENT;
  const char *name = xmppim_stanza_name(st);
  const char *t = xmppim_stanza_attr(st, "type");
  if (!name) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (strcmp(name, "message") == 0) {
    *kind = XMPPIM_DELIVERY_KIND_MESSAGE;
    *type = XMPPIM_DELIVERY_TYPE_NORMAL; /* also unknown values (R5.2.2-i) */
    if (t && strcmp(t, "error") == 0) *type = XMPPIM_DELIVERY_TYPE_ERROR;
    for (size_t i = 0; t && i < COUNT(message_types); i++)
      if (strcmp(t, message_types[i]) == 0) *type = (xmppim_delivery_type)i;
    return 0;
  }
  const char *const *names;
  size_t n;
  xmppim_delivery_type first;
  if (strcmp(name, "presence") == 0) {
    *kind = XMPPIM_DELIVERY_KIND_PRESENCE;
    if (!t) {
      *type = XMPPIM_DELIVERY_TYPE_AVAILABLE;
      return 0;
    }
    names = presence_types;
    n = COUNT(presence_types);
    first = XMPPIM_DELIVERY_TYPE_UNAVAILABLE;
  } else if (strcmp(name, "iq") == 0) {
    *kind = XMPPIM_DELIVERY_KIND_IQ;
    if (!t) return XMPPIM_ERR_NOT_FOUND; /* 'type' is required (C8.2.3-a) */
    names = iq_types;
    n = COUNT(iq_types);
    first = XMPPIM_DELIVERY_TYPE_GET;
  } else {
    return XMPPIM_ERR_INVALID_ARGUMENT;
  }
  if (strcmp(t, "error") == 0) {
    *type = XMPPIM_DELIVERY_TYPE_ERROR;
    return 0;
  }
  for (size_t i = 0; i < n; i++)
    if (strcmp(t, names[i]) == 0) {
      *type = (xmppim_delivery_type)(first + (int)i);
      return 0;
    }
  return XMPPIM_ERR_NOT_FOUND;
}

const char *xmppim_delivery_action_name(xmppim_delivery_action action) {
  return (unsigned)action < COUNT(action_names) ? action_names[action] : NULL;
}
