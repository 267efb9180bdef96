/*
 * RFC 6121 section 8: the server's delivery rules for stanzas to local
 * users (lib/im/delivery.c), one test per requirement ID of
 * ../shared/spec/rfc6121-requirements.md that the pure function decides.
 *
 * Two kinds of test:
 * - table-driven: the summary table of section 8.5.4, typed in from the
 *   requirement list (not read from the module), every cell checked for
 *   every policy and every kind of sender against the alternatives the
 *   cell allows, and against the alternatives the project's readings
 *   leave reachable;
 * - rule-driven: each test named after an ID states that rule's cases
 *   again, with the keyword and ID the decision must cite.
 *
 * What only the server object can show (storing offline messages, not
 * rewriting 'to', answering IQs for the user) is listed in
 * doc/conformance.md as pending on the server core.
 *
 * The readings of the RFC where it leaves room (delivery.h's file
 * comment) are pinned where they matter: the requirement list's
 * "Inconsistencies" item 5 in R8_5_1_b_* and R8_5_4_a_*, connected but
 * unavailable resources in R8_5_2_1_1_n_* and R8_5_3_1_d_*, opted-in chat
 * resources in R8_5_2_1_1_f_* and R8_5_4_b_*, the choice between silence
 * and an error in R8_1_a_* and C10_2_a_*.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xmppim/delivery.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define MESSAGE XMPPIM_DELIVERY_KIND_MESSAGE
#define PRESENCE XMPPIM_DELIVERY_KIND_PRESENCE
#define IQ XMPPIM_DELIVERY_KIND_IQ
#define T_NORMAL XMPPIM_DELIVERY_TYPE_NORMAL
#define T_CHAT XMPPIM_DELIVERY_TYPE_CHAT
#define T_GROUPCHAT XMPPIM_DELIVERY_TYPE_GROUPCHAT
#define T_HEADLINE XMPPIM_DELIVERY_TYPE_HEADLINE
#define T_AVAILABLE XMPPIM_DELIVERY_TYPE_AVAILABLE
#define T_UNAVAILABLE XMPPIM_DELIVERY_TYPE_UNAVAILABLE
#define T_SUBSCRIBE XMPPIM_DELIVERY_TYPE_SUBSCRIBE
#define T_SUBSCRIBED XMPPIM_DELIVERY_TYPE_SUBSCRIBED
#define T_UNSUBSCRIBE XMPPIM_DELIVERY_TYPE_UNSUBSCRIBE
#define T_UNSUBSCRIBED XMPPIM_DELIVERY_TYPE_UNSUBSCRIBED
#define T_PROBE XMPPIM_DELIVERY_TYPE_PROBE
#define T_GET XMPPIM_DELIVERY_TYPE_GET
#define T_SET XMPPIM_DELIVERY_TYPE_SET
#define T_RESULT XMPPIM_DELIVERY_TYPE_RESULT
#define T_ERROR XMPPIM_DELIVERY_TYPE_ERROR
#define DELIVER XMPPIM_DELIVERY_ACT_DELIVER
#define STORE XMPPIM_DELIVERY_ACT_STORE_OFFLINE
#define BOUNCE XMPPIM_DELIVERY_ACT_BOUNCE
#define DROP XMPPIM_DELIVERY_ACT_DROP
#define HANDLE XMPPIM_DELIVERY_ACT_HANDLE
#define UNSUBSCRIBED XMPPIM_DELIVERY_ACT_REPLY_UNSUBSCRIBED
#define MUST XMPPIM_DELIVERY_LEVEL_MUST
#define MUST_NOT XMPPIM_DELIVERY_LEVEL_MUST_NOT
#define SHOULD XMPPIM_DELIVERY_LEVEL_SHOULD
#define SHOULD_NOT XMPPIM_DELIVERY_LEVEL_SHOULD_NOT
#define SELF XMPPIM_DELIVERY_SENDER_SELF
#define PEER XMPPIM_DELIVERY_SENDER_SEES_PRESENCE
#define TO_ALL XMPPIM_DELIVERY_POLICY_NORMAL_TO_ALL
#define OFFLINE XMPPIM_DELIVERY_POLICY_OFFLINE
#define IQ_ANYONE XMPPIM_DELIVERY_POLICY_IQ_FROM_ANYONE
#define ALL_POLICIES 8u /* policy bit sets are 0..7 */
#define ALL_SENDERS 4u  /* sender bit sets are 0..3 */

/* ---- the vocabulary, typed in from the spec ---- */

/* Every requirement a decision may cite, with its keyword as the
 * requirement list gives it (typed in from the list, not the module). */
static const struct {
  const char *id;
  xmppim_delivery_level level;
} known_rules[] = {
  {"R8.5.1-a", MUST},         {"R8.5.1-b", MUST},       {"R8.5.1-c", MUST},
  {"R8.5.1-d", MUST},         {"R8.5.1-e", MUST},       {"R8.5.2.1.1-a", SHOULD},
  {"R8.5.2.1.1-b", MUST},     {"R8.5.2.1.1-c", MUST},   {"R8.5.2.1.1-d", SHOULD},
  {"R8.5.2.1.1-e", MUST},     {"R8.5.2.1.1-f", MUST},   {"R8.5.2.1.1-h", MUST},
  {"R8.5.2.1.1-i", MUST},     {"R8.5.2.1.1-j", MUST},   {"R8.5.2.1.1-k", MUST},
  {"R8.5.2.1.1-l", MUST},     {"R8.5.2.1.2-a", MUST},   {"R8.5.2.1.2-b", MUST},
  {"R8.5.2.1.2-c", MUST},     {"R8.5.2.1.3-a", MUST},   {"R8.5.2.2.1-a", SHOULD},
  {"R8.5.2.2.1-b", MUST},     {"R8.5.2.2.1-c", MUST},   {"R8.5.2.2.2-a", SHOULD},
  {"R8.5.2.2.2-b", MUST},     {"R8.5.2.2.2-c", MUST},   {"R8.5.2.2.3-a", MUST},
  {"R8.5.3.1-a", SHOULD_NOT}, {"R8.5.3.1-b", SHOULD},   {"R8.5.3.1-c", MUST},
  {"R8.5.3.1-d", MUST},       {"R8.5.3.1-e", MUST},     {"R8.5.3.1-f", MUST},
  {"R8.5.3.1-g", MUST},       {"R8.5.3.2.1-a", MUST},   {"R8.5.3.2.1-b", MUST},
  {"R8.5.3.2.1-c", SHOULD},   {"R8.5.3.2.1-d", MUST},   {"R8.5.3.2.1-e", MUST},
  {"R8.5.3.2.1-f", MUST},     {"R8.5.3.2.2-a", MUST},   {"R8.5.3.2.2-b", MUST},
  {"R8.5.3.2.2-c", MUST},     {"R8.5.3.2.2-d", MUST},   {"R8.5.3.2.3-a", MUST},
  {"C8.2.3-c", MUST_NOT},
};

static const char *const known_choices[] = {"R8.1-a", "C10.2-a", "R8.5.4-a", "R4.3.2-a",
                                            "C8.3.1-f"};

/* The valid (kind, type) pairs. */
static const struct {
  xmppim_delivery_kind kind;
  xmppim_delivery_type type;
  const char *name;
} stanzas[] = {
  {MESSAGE, T_NORMAL, "message normal"},
  {MESSAGE, T_CHAT, "message chat"},
  {MESSAGE, T_GROUPCHAT, "message groupchat"},
  {MESSAGE, T_HEADLINE, "message headline"},
  {MESSAGE, T_ERROR, "message error"},
  {PRESENCE, T_AVAILABLE, "presence available"},
  {PRESENCE, T_UNAVAILABLE, "presence unavailable"},
  {PRESENCE, T_SUBSCRIBE, "presence subscribe"},
  {PRESENCE, T_SUBSCRIBED, "presence subscribed"},
  {PRESENCE, T_UNSUBSCRIBE, "presence unsubscribe"},
  {PRESENCE, T_UNSUBSCRIBED, "presence unsubscribed"},
  {PRESENCE, T_PROBE, "presence probe"},
  {PRESENCE, T_ERROR, "presence error"},
  {IQ, T_GET, "iq get"},
  {IQ, T_SET, "iq set"},
  {IQ, T_RESULT, "iq result"},
  {IQ, T_ERROR, "iq error"},
};

static const xmppim_delivery_type message_types[] = {T_NORMAL, T_CHAT, T_GROUPCHAT,
                                                     T_HEADLINE, T_ERROR};
static const xmppim_delivery_type subscription_types[] = {T_SUBSCRIBE, T_SUBSCRIBED,
                                                          T_UNSUBSCRIBE, T_UNSUBSCRIBED};

/* ---- users ---- */

/* Resources: available with a priority, connected only, opted in. */
#define AV(name, prio) {name, prio, 1, 0}
#define CONN(name) {name, 0, 0, 0}
#define OPT(name, prio) {name, prio, 1, 1}

typedef struct user {
  const char *label;
  int exists;
  const xmppim_delivery_resource *res;
  size_t n;
} user;

static const xmppim_delivery_resource r_connected_only[] = {CONN("a")};
static const xmppim_delivery_resource r_negative[] = {AV("a", -1), AV("b", -5)};
static const xmppim_delivery_resource r_negative_conn[] = {AV("a", -1), CONN("b")};
static const xmppim_delivery_resource r_one[] = {AV("a", 0), AV("b", -1), CONN("c")};
static const xmppim_delivery_resource r_one_alone[] = {AV("a", 3)};
/* a and b share the top priority; c is lower; d negative; e connected. */
static const xmppim_delivery_resource r_several[] = {AV("a", 5), AV("b", 5), AV("c", 1),
                                                     AV("d", -1), CONN("e")};
/* As r_several, with c (not top) and d (negative) opted in to all chats. */
static const xmppim_delivery_resource r_several_opt[] = {AV("a", 5), AV("b", 5), OPT("c", 1),
                                                         OPT("d", -1), CONN("e")};

static const user u_missing = {"no such account", 0, NULL, 0};
static const user u_empty = {"no resources", 1, NULL, 0};
static const user u_connected_only = {"connected, not available", 1, r_connected_only, 1};
static const user u_negative = {"negative only", 1, r_negative, 2};
static const user u_negative_conn = {"negative and connected", 1, r_negative_conn, 2};
static const user u_one = {"one non-negative", 1, r_one, 3};
static const user u_one_alone = {"one resource", 1, r_one_alone, 1};
static const user u_several = {"several non-negative", 1, r_several, 5};
static const user u_several_opt = {"several, some opted in", 1, r_several_opt, 5};

static const user *const all_users[] = {&u_missing,  &u_empty, &u_connected_only,
                                        &u_negative, &u_negative_conn, &u_one,
                                        &u_one_alone, &u_several, &u_several_opt};

/* ---- calling the module ---- */

typedef struct got {
  xmppim_delivery_decision d;
  unsigned mask; /* the targets, as bits of resource indices */
} got;

static xmppim_delivery_input input(const user *u, xmppim_delivery_kind kind,
                                   xmppim_delivery_type type, const char *to, unsigned sender,
                                   unsigned policy) {
  xmppim_delivery_input in;
  memset(&in, 0, sizeof(in));
  in.kind = kind;
  in.type = type;
  in.to_resource = to;
  in.user_exists = u->exists;
  in.resources = u->res;
  in.nresources = u->n;
  in.sender = sender;
  in.policy = policy;
  return in;
}

static const char *type_label(xmppim_delivery_kind k, xmppim_delivery_type t) {
  for (size_t i = 0; i < COUNT(stanzas); i++)
    if (stanzas[i].kind == k && stanzas[i].type == t) return stanzas[i].name;
  return "?";
}

#define CTX_FMT "%s to %s%s, %s, sender %u policy %u: "
#define CTX(u, k, t, to, s, p) type_label(k, t), (to) ? "full/" : "bare", (to) ? (to) : "", \
                               (u)->label, (s), (p)

static got decide_in(const xmppim_delivery_input *in, const char *ctx) {
  got g;
  size_t targets[16];
  memset(&g, 0, sizeof(g));
  memset(targets, 0xa5, sizeof(targets));
  int rc = xmppim_delivery_decide(in, &g.d, targets, COUNT(targets));
  if (rc != 0) fail_msg("%s: xmppim_delivery_decide = %d", ctx, rc);
  if (g.d.action == DELIVER) {
    if (g.d.ntargets == 0 || g.d.ntargets > in->nresources)
      fail_msg("%s: deliver to %zu of %zu resources", ctx, g.d.ntargets, in->nresources);
    for (size_t i = 0; i < g.d.ntargets; i++) {
      if (targets[i] >= in->nresources) fail_msg("%s: target %zu out of range", ctx, targets[i]);
      if (i && targets[i] <= targets[i - 1]) fail_msg("%s: targets not ascending", ctx);
      g.mask |= 1u << targets[i];
    }
  } else if (g.d.ntargets != 0) {
    fail_msg("%s: %zu targets for action %d", ctx, g.d.ntargets, g.d.action);
  }
  return g;
}

static got decide(const user *u, xmppim_delivery_kind k, xmppim_delivery_type t, const char *to,
                  unsigned sender, unsigned policy) {
  char ctx[256];
  snprintf(ctx, sizeof(ctx), CTX_FMT, CTX(u, k, t, to, sender, policy));
  xmppim_delivery_input in = input(u, k, t, to, sender, policy);
  return decide_in(&in, ctx);
}

static const char *action_label(xmppim_delivery_action a) {
  const char *s = xmppim_delivery_action_name(a);
  return s ? s : "?";
}

/* One decision in full: the action, the targets (for deliver), the rule
 * it cites and that rule's keyword. */
static void expect(const user *u, xmppim_delivery_kind k, xmppim_delivery_type t, const char *to,
                   unsigned sender, unsigned policy, xmppim_delivery_action action, unsigned mask,
                   const char *rule, xmppim_delivery_level level) {
  got g = decide(u, k, t, to, sender, policy);
  if (g.d.action != action)
    fail_msg(CTX_FMT "action %s, want %s", CTX(u, k, t, to, sender, policy),
             action_label(g.d.action), action_label(action));
  if (action == DELIVER && g.mask != mask)
    fail_msg(CTX_FMT "targets 0x%x, want 0x%x", CTX(u, k, t, to, sender, policy), g.mask, mask);
  if (!g.d.rule || strcmp(g.d.rule, rule) != 0)
    fail_msg(CTX_FMT "rule %s, want %s", CTX(u, k, t, to, sender, policy),
             g.d.rule ? g.d.rule : "(null)", rule);
  if (g.d.level != level)
    fail_msg(CTX_FMT "level %d, want %d", CTX(u, k, t, to, sender, policy), g.d.level, level);
  int errs = action == BOUNCE || action == STORE ||
             (action == HANDLE && k == IQ && (t == T_GET || t == T_SET));
  if (errs != (g.d.condition == XMPPIM_STANZA_COND_SERVICE_UNAVAILABLE))
    fail_msg(CTX_FMT "condition %d", CTX(u, k, t, to, sender, policy), g.d.condition);
}

/* The same decision for every sender and policy. */
static void expect_always(const user *u, xmppim_delivery_kind k, xmppim_delivery_type t,
                          const char *to, xmppim_delivery_action action, unsigned mask,
                          const char *rule, xmppim_delivery_level level) {
  for (unsigned s = 0; s < ALL_SENDERS; s++)
    for (unsigned p = 0; p < ALL_POLICIES; p++) expect(u, k, t, to, s, p, action, mask, rule, level);
}

/* For every sender, and every policy with or without the given bits. */
static void expect_policy(const user *u, xmppim_delivery_kind k, xmppim_delivery_type t,
                          const char *to, unsigned bits, xmppim_delivery_action with,
                          xmppim_delivery_action without, unsigned mask, const char *rule,
                          xmppim_delivery_level level) {
  for (unsigned s = 0; s < ALL_SENDERS; s++)
    for (unsigned p = 0; p < ALL_POLICIES; p++)
      expect(u, k, t, to, s, p, (p & bits) ? with : without, mask, rule, level);
}

/* For every policy, by whether the sender may be told (R8.1-a). */
static void expect_by_sender(const user *u, xmppim_delivery_kind k, xmppim_delivery_type t,
                             const char *to, xmppim_delivery_action entitled,
                             xmppim_delivery_action stranger, const char *rule,
                             xmppim_delivery_level level) {
  for (unsigned s = 0; s < ALL_SENDERS; s++)
    for (unsigned p = 0; p < ALL_POLICIES; p++)
      expect(u, k, t, to, s, p, s ? entitled : stranger, 0, rule, level);
}

/* ---- R8.5.4: the summary table ---- */

/* RFC 6121 section 8.5.4, Table 1, as the requirement list gives it.
 * Codes: O store offline, E bounce, S ignore, D the resource in 'to', M
 * the most available, A all non-negative (A* for chat: those that opted
 * in), "/" an exclusive choice. `reached` is the subset of the cell that
 * the project's readings leave reachable (delivery.h): e.g. for an account
 * that does not exist, silence wherever an existing account would give a
 * stranger silence (C10.2-a); D for a matching full JID (item 5). */
static const struct {
  const char *condition;
  const char *to;
  const char *cells[4]; /* normal, chat, groupchat, headline */
  const char *reached[4];
} summary[] = {
  {"account does not exist", "bare", {"S/E", "S/E", "E", "S"}, {"S/E", "S/E", "E", "S"}},
  {"account does not exist", "full", {"S/E", "S/E", "S/E", "S/E"}, {"S", "S/E", "S", "S"}},
  {"account exists, no active resources", "bare", {"O/E", "O/E", "E", "S"},
   {"O/E", "O/E", "E", "S"}},
  {"account exists, no active resources", "full (no match)", {"S/E", "O/E", "S/E", "S/E"},
   {"S/E", "O/E", "S/E", "S/E"}},
  {"1+ negative resources, zero non-negative", "bare", {"O/E", "O/E", "E", "S"},
   {"O/E", "O/E", "E", "S"}},
  {"1+ negative resources, zero non-negative", "full match", {"D", "D", "D", "D"},
   {"D", "D", "D", "D"}},
  {"1+ negative resources, zero non-negative", "full no match", {"S/E", "O/E", "S/E", "S/E"},
   {"S/E", "O/E", "S/E", "S/E"}},
  {"1 non-negative resource", "bare", {"D", "D", "E", "D"}, {"D", "D", "E", "D"}},
  {"1 non-negative resource", "full match", {"D", "D", "D", "D"}, {"D", "D", "D", "D"}},
  {"1 non-negative resource", "full no match", {"S/E", "D", "S/E", "S/E"},
   {"S/E", "D", "S/E", "S/E"}},
  {"1+ non-negative resources", "bare", {"M/A", "M/A*", "E", "A"}, {"M/A", "M/A*", "E", "A"}},
  {"1+ non-negative resources", "full match", {"D", "D/A*", "D", "D"}, {"D", "D", "D", "D"}},
  {"1+ non-negative resources", "full no match", {"S/E", "M/A*", "S/E", "S/E"},
   {"S/E", "M/A*", "S/E", "S/E"}},
};

static const xmppim_delivery_type summary_types[4] = {T_NORMAL, T_CHAT, T_GROUPCHAT, T_HEADLINE};

/* The users each condition stands for. "No active resources" includes a
 * user whose only resource is connected but not available (the note under
 * 8.5.2); "1 non-negative" one with and without other resources;
 * "1+ non-negative" several, with and without opted-in resources. */
static size_t users_for(const char *condition, const user **out) {
  size_t n = 0;
  if (strcmp(condition, "account does not exist") == 0) {
    out[n++] = &u_missing;
  } else if (strcmp(condition, "account exists, no active resources") == 0) {
    out[n++] = &u_empty;
    out[n++] = &u_connected_only;
  } else if (strcmp(condition, "1+ negative resources, zero non-negative") == 0) {
    out[n++] = &u_negative;
    out[n++] = &u_negative_conn;
  } else if (strcmp(condition, "1 non-negative resource") == 0) {
    out[n++] = &u_one;
    out[n++] = &u_one_alone;
  } else if (strcmp(condition, "1+ non-negative resources") == 0) {
    out[n++] = &u_several;
    out[n++] = &u_several_opt;
  } else {
    fail_msg("unknown condition %s", condition);
  }
  return n;
}

/* The set of resources a code names, as a mask; match is the index the
 * full JID names (or -1). */
static unsigned code_mask(const user *u, char code, int starred, int match) {
  unsigned mask = 0;
  int top = -129;
  for (size_t i = 0; i < u->n; i++)
    if (u->res[i].available && u->res[i].priority >= 0 && u->res[i].priority > top)
      top = u->res[i].priority;
  for (size_t i = 0; i < u->n; i++) {
    const xmppim_delivery_resource *r = &u->res[i];
    int nonneg = r->available && r->priority >= 0;
    switch (code) {
    case 'D':
      /* to a bare JID, "D" is the one non-negative resource */
      if (match >= 0 ? (int)i == match : nonneg) mask |= 1u << i;
      break;
    case 'M':
      if (nonneg && r->priority == top) mask |= 1u << i;
      break;
    case 'A':
      /* A* (chat): those that opted in; the project delivers to them as
       * well as to the most available (delivery.h), and for a full JID
       * that matches, as well as to that resource */
      if (starred ? (nonneg && r->all_chats) : nonneg) mask |= 1u << i;
      break;
    default:
      break;
    }
  }
  if (code == 'A' && starred) mask |= match >= 0 ? 1u << match : code_mask(u, 'M', 0, -1);
  return mask;
}

/* Which code of the cell the decision is, or 0 when none. */
static char classify_decision(const char *cell, const user *u, const got *g, int match) {
  for (const char *c = cell; *c; c++) {
    if (*c == '/' || *c == '*') continue;
    int starred = c[1] == '*';
    switch (*c) {
    case 'O':
      if (g->d.action == STORE) return 'O';
      break;
    case 'E':
      if (g->d.action == BOUNCE) return 'E';
      break;
    case 'S':
      if (g->d.action == DROP) return 'S';
      break;
    default: /* D, M, A */
      if (g->d.action == DELIVER && g->mask == code_mask(u, *c, starred, match)) return *c;
      break;
    }
  }
  return 0;
}

static void R8_5_4_a_summary_table_rows(void **state) {
  (void)state;
  size_t cells = 0;
  for (size_t row = 0; row < COUNT(summary); row++) {
    const user *users[4];
    size_t nusers = users_for(summary[row].condition, users);
    /* which codes each column chose, over the row's users and settings */
    int seen[4][128];
    memset(seen, 0, sizeof(seen));
    for (size_t ui = 0; ui < nusers; ui++) {
      const user *u = users[ui];
      /* The 'to' values the column stands for, with the matching index. */
      const char *tos[8];
      int matches[8];
      size_t ntos = 0;
      const char *to = summary[row].to;
      if (strcmp(to, "bare") == 0) {
        tos[ntos] = NULL;
        matches[ntos++] = -1;
      } else if (strcmp(to, "full match") == 0) {
        for (size_t i = 0; i < u->n; i++) { /* every connected resource */
          tos[ntos] = u->res[i].resource;
          matches[ntos++] = (int)i;
        }
      } else { /* "full", "full (no match)", "full no match" */
        tos[ntos] = "zz";
        matches[ntos++] = -1;
      }
      for (size_t ti = 0; ti < ntos; ti++)
        for (int col = 0; col < 4; col++) {
          const char *cell = summary[row].cells[col];
          const char *reached = summary[row].reached[col];
          for (unsigned s = 0; s < ALL_SENDERS; s++)
            for (unsigned p = 0; p < ALL_POLICIES; p++) {
              got g = decide(u, MESSAGE, summary_types[col], tos[ti], s, p);
              char code = classify_decision(cell, u, &g, matches[ti]);
              if (!code)
                fail_msg(CTX_FMT "%s (targets 0x%x) is not in the cell \"%s\" (%s, %s)",
                         CTX(u, MESSAGE, summary_types[col], tos[ti], s, p),
                         action_label(g.d.action), g.mask, cell, summary[row].condition, to);
              if (!strchr(reached, code))
                fail_msg(CTX_FMT "%c is allowed by \"%s\" but the project's reading is \"%s\"",
                         CTX(u, MESSAGE, summary_types[col], tos[ti], s, p), code, cell, reached);
              seen[col][(unsigned char)code] = 1;
            }
          cells++;
        }
    }
    for (int col = 0; col < 4; col++)
      for (const char *c = summary[row].reached[col]; *c; c++)
        if (*c != '/' && *c != '*' && !seen[col][(unsigned char)*c])
          fail_msg("%s, %s, %s: \"%c\" of \"%s\" never chosen", summary[row].condition,
                   summary[row].to, type_label(MESSAGE, summary_types[col]), *c,
                   summary[row].reached[col]);
  }
  assert_true(cells >= COUNT(summary) * 4);
}

/* R8.5.4-b: chat to all resources only where they opted in. Without an
 * opt-in, several non-negative resources get a chat message exactly as
 * "most available" says, whatever the policy; an opted-in resource gets
 * it besides, never a negative one. */
static void R8_5_4_b_chat_to_all_only_opted_in(void **state) {
  (void)state;
  for (unsigned p = 0; p < ALL_POLICIES; p++) {
    expect(&u_several, MESSAGE, T_CHAT, NULL, 0, p, DELIVER, 0x3, "R8.5.2.1.1-f", MUST);
    expect(&u_several_opt, MESSAGE, T_CHAT, NULL, 0, p, DELIVER, 0x7, "R8.5.2.1.1-f", MUST);
    expect(&u_several, MESSAGE, T_CHAT, "zz", 0, p, DELIVER, 0x3, "R8.5.3.2.1-e", MUST);
    expect(&u_several_opt, MESSAGE, T_CHAT, "zz", 0, p, DELIVER, 0x7, "R8.5.3.2.1-e", MUST);
  }
  /* The policy that sends normal messages to all leaves chat alone. */
  expect(&u_several, MESSAGE, T_NORMAL, NULL, 0, TO_ALL, DELIVER, 0x7, "R8.5.2.1.1-c", MUST);
  expect(&u_several, MESSAGE, T_CHAT, NULL, 0, TO_ALL, DELIVER, 0x3, "R8.5.2.1.1-f", MUST);
  /* Everyone opted in: every non-negative resource. */
  static const xmppim_delivery_resource all[] = {OPT("a", 2), OPT("b", 0), OPT("c", -3)};
  static const user u_all = {"all opted in", 1, all, 3};
  expect(&u_all, MESSAGE, T_CHAT, NULL, 0, 0, DELIVER, 0x3, "R8.5.2.1.1-f", MUST);
  /* Inconsistency item 5, second note: a matching full JID gets the chat
   * message alone (D), although the table would allow the opted-in too. */
  expect(&u_several_opt, MESSAGE, T_CHAT, "a", 0, 0, DELIVER, 0x1, "R8.5.3.1-d", MUST);
}

/* ---- R8.1 ---- */

/* R8.1-a: where a rule allows silence or an error, the error goes to a
 * sender entitled to the user's presence (or the user), since it tells
 * that the resource is offline; a stranger, even one in the roster, hears
 * nothing. The only such places for an existing account are full JIDs
 * with no matching resource. */
static void R8_1_a_error_only_to_entitled_senders(void **state) {
  (void)state;
  const user *users[] = {&u_empty, &u_connected_only, &u_negative, &u_one, &u_several};
  const xmppim_delivery_type types[] = {T_NORMAL, T_GROUPCHAT, T_HEADLINE};
  for (size_t i = 0; i < COUNT(users); i++)
    for (size_t t = 0; t < COUNT(types); t++)
      for (unsigned p = 0; p < ALL_POLICIES; p++) {
        expect(users[i], MESSAGE, types[t], "zz", 0, p, DROP, 0, "R8.5.3.2.1-a", MUST);
        expect(users[i], MESSAGE, types[t], "zz", SELF, p, BOUNCE, 0, "R8.5.3.2.1-a", MUST);
        expect(users[i], MESSAGE, types[t], "zz", PEER, p, BOUNCE, 0, "R8.5.3.2.1-a", MUST);
        got g = decide(users[i], MESSAGE, types[t], "zz", PEER, p);
        assert_non_null(g.d.choice);
        assert_string_equal(g.d.choice, "R8.1-a");
      }
}

/* ---- 8.5.1 no such user ---- */

/* R8.5.1-a: IQ get and set to an account that does not exist:
 * service-unavailable, bare or full; results and errors are not answered
 * (C8.2.3-c). */
static void R8_5_1_a_iq_to_missing_account(void **state) {
  (void)state;
  const char *tos[] = {NULL, "r"};
  for (size_t i = 0; i < COUNT(tos); i++) {
    expect_always(&u_missing, IQ, T_GET, tos[i], BOUNCE, 0, "R8.5.1-a", MUST);
    expect_always(&u_missing, IQ, T_SET, tos[i], BOUNCE, 0, "R8.5.1-a", MUST);
    expect_always(&u_missing, IQ, T_RESULT, tos[i], DROP, 0, "C8.2.3-c", MUST_NOT);
    expect_always(&u_missing, IQ, T_ERROR, tos[i], DROP, 0, "C8.2.3-c", MUST_NOT);
  }
}

/* R8.5.1-b: a message to an account that does not exist is ignored or
 * bounced. Which one follows what an existing account with no resources
 * would give a stranger (C10.2-a): chat and bare normal are dropped where
 * the host stores messages and bounced where it does not; groupchat to
 * the bare JID is bounced and headline dropped, as the summary table
 * narrows them (inconsistency item 5, first note); the rest to a full JID
 * is dropped; an error is never answered. Who the sender is does not
 * matter: nobody can be entitled to a missing account's presence. */
static void R8_5_1_b_message_to_missing_account(void **state) {
  (void)state;
  expect_policy(&u_missing, MESSAGE, T_NORMAL, NULL, OFFLINE, DROP, BOUNCE, 0, "R8.5.1-b", MUST);
  expect_policy(&u_missing, MESSAGE, T_CHAT, NULL, OFFLINE, DROP, BOUNCE, 0, "R8.5.1-b", MUST);
  expect_policy(&u_missing, MESSAGE, T_CHAT, "r", OFFLINE, DROP, BOUNCE, 0, "R8.5.1-b", MUST);
  expect_always(&u_missing, MESSAGE, T_GROUPCHAT, NULL, BOUNCE, 0, "R8.5.1-b", MUST);
  expect_always(&u_missing, MESSAGE, T_HEADLINE, NULL, DROP, 0, "R8.5.1-b", MUST);
  expect_always(&u_missing, MESSAGE, T_NORMAL, "r", DROP, 0, "R8.5.1-b", MUST);
  expect_always(&u_missing, MESSAGE, T_GROUPCHAT, "r", DROP, 0, "R8.5.1-b", MUST);
  expect_always(&u_missing, MESSAGE, T_HEADLINE, "r", DROP, 0, "R8.5.1-b", MUST);
  expect_always(&u_missing, MESSAGE, T_ERROR, NULL, DROP, 0, "R8.5.1-b", MUST);
  expect_always(&u_missing, MESSAGE, T_ERROR, "r", DROP, 0, "R8.5.1-b", MUST);
  got g = decide(&u_missing, MESSAGE, T_GROUPCHAT, NULL, 0, 0);
  assert_string_equal(g.d.choice, "R8.5.4-a");
  g = decide(&u_missing, MESSAGE, T_CHAT, NULL, 0, OFFLINE);
  assert_string_equal(g.d.choice, "C10.2-a");
}

/* R8.5.1-c: available, unavailable (and error) presence: ignored. */
static void R8_5_1_c_presence_to_missing_account(void **state) {
  (void)state;
  const char *tos[] = {NULL, "r"};
  for (size_t i = 0; i < COUNT(tos); i++) {
    expect_always(&u_missing, PRESENCE, T_AVAILABLE, tos[i], DROP, 0, "R8.5.1-c", MUST);
    expect_always(&u_missing, PRESENCE, T_UNAVAILABLE, tos[i], DROP, 0, "R8.5.1-c", MUST);
    expect_always(&u_missing, PRESENCE, T_ERROR, tos[i], DROP, 0, "R8.5.1-c", MUST);
  }
}

/* R8.5.1-d: subscription presence: ignored, never handed to the
 * subscription engine (no roster to apply it to). */
static void R8_5_1_d_subscription_to_missing_account_ignored(void **state) {
  (void)state;
  for (size_t t = 0; t < COUNT(subscription_types); t++) {
    expect_always(&u_missing, PRESENCE, subscription_types[t], NULL, DROP, 0, "R8.5.1-d", MUST);
    expect_always(&u_missing, PRESENCE, subscription_types[t], "r", DROP, 0, "R8.5.1-d", MUST);
  }
}

/* R8.5.1-e: a probe: ignored or answered unsubscribed; answered, as
 * R4.3.2-a recommends, since an existing account answers an unauthorized
 * prober the same way. */
static void R8_5_1_e_probe_to_missing_account_answered_unsubscribed(void **state) {
  (void)state;
  expect_always(&u_missing, PRESENCE, T_PROBE, NULL, UNSUBSCRIBED, 0, "R8.5.1-e", MUST);
  expect_always(&u_missing, PRESENCE, T_PROBE, "r", UNSUBSCRIBED, 0, "R8.5.1-e", MUST);
  got g = decide(&u_missing, PRESENCE, T_PROBE, NULL, 0, 0);
  assert_string_equal(g.d.choice, "R4.3.2-a");
  assert_int_equal(g.d.condition, XMPPIM_STANZA_COND_NONE);
}

/* ---- 8.5.2.1.1 messages to the bare JID ---- */

/* R8.5.2.1.1-a: normal, every available resource negative: stored with
 * offline storage, else service-unavailable. */
static void R8_5_2_1_1_a_normal_negative_only(void **state) {
  (void)state;
  expect_policy(&u_negative, MESSAGE, T_NORMAL, NULL, OFFLINE, STORE, BOUNCE, 0, "R8.5.2.1.1-a",
                SHOULD);
  expect_policy(&u_negative_conn, MESSAGE, T_NORMAL, NULL, OFFLINE, STORE, BOUNCE, 0,
                "R8.5.2.1.1-a", SHOULD);
  got g = decide(&u_negative, MESSAGE, T_NORMAL, NULL, 0, 0);
  assert_int_equal(g.d.condition, XMPPIM_STANZA_COND_SERVICE_UNAVAILABLE);
  assert_int_equal(g.d.error_type, XMPPIM_STANZA_ERROR_TYPE_CANCEL);
  /* Stored: the error to send if the store refuses it is there too. */
  g = decide(&u_negative, MESSAGE, T_NORMAL, NULL, 0, OFFLINE);
  assert_int_equal(g.d.condition, XMPPIM_STANZA_COND_SERVICE_UNAVAILABLE);
  assert_int_equal(g.d.error_type, XMPPIM_STANZA_ERROR_TYPE_CANCEL);
}

/* R8.5.2.1.1-b: normal, one non-negative resource: to it, whatever the
 * policy, and not to the negative or the connected-only ones beside it. */
static void R8_5_2_1_1_b_normal_one_non_negative(void **state) {
  (void)state;
  expect_always(&u_one, MESSAGE, T_NORMAL, NULL, DELIVER, 0x1, "R8.5.2.1.1-b", MUST);
  expect_always(&u_one_alone, MESSAGE, T_NORMAL, NULL, DELIVER, 0x1, "R8.5.2.1.1-b", MUST);
}

/* R8.5.2.1.1-c: normal, several: the most available (highest priority,
 * every one that ties) by default; all non-negative with the policy. */
static void R8_5_2_1_1_c_normal_most_available_or_all(void **state) {
  (void)state;
  for (unsigned s = 0; s < ALL_SENDERS; s++)
    for (unsigned p = 0; p < ALL_POLICIES; p++)
      expect(&u_several, MESSAGE, T_NORMAL, NULL, s, p, DELIVER, (p & TO_ALL) ? 0x7u : 0x3u,
             "R8.5.2.1.1-c", MUST);
  /* One clear top: only it. */
  static const xmppim_delivery_resource r[] = {AV("a", 1), AV("b", 7), AV("c", 0)};
  static const user u = {"clear top", 1, r, 3};
  expect(&u, MESSAGE, T_NORMAL, NULL, 0, 0, DELIVER, 0x2, "R8.5.2.1.1-c", MUST);
  expect(&u, MESSAGE, T_NORMAL, NULL, 0, TO_ALL, DELIVER, 0x7, "R8.5.2.1.1-c", MUST);
  /* Ties at 0 all get it. */
  static const xmppim_delivery_resource z[] = {AV("a", 0), AV("b", -1), AV("c", 0)};
  static const user uz = {"ties at zero", 1, z, 3};
  expect(&uz, MESSAGE, T_NORMAL, NULL, 0, 0, DELIVER, 0x5, "R8.5.2.1.1-c", MUST);
}

/* R8.5.2.1.1-d: chat, only negative resources: stored or bounced. */
static void R8_5_2_1_1_d_chat_negative_only(void **state) {
  (void)state;
  expect_policy(&u_negative, MESSAGE, T_CHAT, NULL, OFFLINE, STORE, BOUNCE, 0, "R8.5.2.1.1-d",
                SHOULD);
  static const xmppim_delivery_resource r[] = {AV("a", -128)};
  static const user u = {"one at -128", 1, r, 1};
  expect_policy(&u, MESSAGE, T_CHAT, NULL, OFFLINE, STORE, BOUNCE, 0, "R8.5.2.1.1-d", SHOULD);
}

/* R8.5.2.1.1-e: chat, one non-negative resource: to it. */
static void R8_5_2_1_1_e_chat_one_non_negative(void **state) {
  (void)state;
  expect_always(&u_one, MESSAGE, T_CHAT, NULL, DELIVER, 0x1, "R8.5.2.1.1-e", MUST);
  expect_always(&u_one_alone, MESSAGE, T_CHAT, NULL, DELIVER, 0x1, "R8.5.2.1.1-e", MUST);
}

/* R8.5.2.1.1-f: chat, several: the most available, every one that ties,
 * and the non-negative resources that opted in to all chats. */
static void R8_5_2_1_1_f_chat_most_available_and_opted_in(void **state) {
  (void)state;
  expect_always(&u_several, MESSAGE, T_CHAT, NULL, DELIVER, 0x3, "R8.5.2.1.1-f", MUST);
  expect_always(&u_several_opt, MESSAGE, T_CHAT, NULL, DELIVER, 0x7, "R8.5.2.1.1-f", MUST);
}

/* R8.5.2.1.1-g: groupchat to the bare JID reaches no resource, whoever is
 * online. */
static void R8_5_2_1_1_g_groupchat_never_delivered(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(all_users); i++)
    for (unsigned s = 0; s < ALL_SENDERS; s++)
      for (unsigned p = 0; p < ALL_POLICIES; p++) {
        got g = decide(all_users[i], MESSAGE, T_GROUPCHAT, NULL, s, p);
        assert_int_not_equal(g.d.action, DELIVER);
        assert_int_not_equal(g.d.action, STORE);
      }
}

/* R8.5.2.1.1-h: it is bounced with service-unavailable. */
static void R8_5_2_1_1_h_groupchat_bounced(void **state) {
  (void)state;
  const user *users[] = {&u_negative, &u_negative_conn, &u_one, &u_one_alone, &u_several,
                         &u_several_opt};
  for (size_t i = 0; i < COUNT(users); i++)
    expect_always(users[i], MESSAGE, T_GROUPCHAT, NULL, BOUNCE, 0, "R8.5.2.1.1-h", MUST);
}

/* R8.5.2.1.1-i: headline, only negative resources: ignored. */
static void R8_5_2_1_1_i_headline_negative_only_dropped(void **state) {
  (void)state;
  expect_always(&u_negative, MESSAGE, T_HEADLINE, NULL, DROP, 0, "R8.5.2.1.1-i", MUST);
  expect_always(&u_negative_conn, MESSAGE, T_HEADLINE, NULL, DROP, 0, "R8.5.2.1.1-i", MUST);
}

/* R8.5.2.1.1-j: headline, one non-negative resource: to it. */
static void R8_5_2_1_1_j_headline_one_non_negative(void **state) {
  (void)state;
  expect_always(&u_one, MESSAGE, T_HEADLINE, NULL, DELIVER, 0x1, "R8.5.2.1.1-j", MUST);
}

/* R8.5.2.1.1-k: headline, several: all non-negative, whatever the policy
 * and the opt-ins. */
static void R8_5_2_1_1_k_headline_to_all_non_negative(void **state) {
  (void)state;
  expect_always(&u_several, MESSAGE, T_HEADLINE, NULL, DELIVER, 0x7, "R8.5.2.1.1-k", MUST);
  expect_always(&u_several_opt, MESSAGE, T_HEADLINE, NULL, DELIVER, 0x7, "R8.5.2.1.1-k", MUST);
}

/* R8.5.2.1.1-l: an error message to the bare JID is ignored. */
static void R8_5_2_1_1_l_error_to_bare_dropped(void **state) {
  (void)state;
  const user *users[] = {&u_negative, &u_one, &u_several, &u_several_opt};
  for (size_t i = 0; i < COUNT(users); i++)
    expect_always(users[i], MESSAGE, T_ERROR, NULL, DROP, 0, "R8.5.2.1.1-l", MUST);
}

/* R8.5.2.1.1-m: no message to the bare JID ever reaches a resource with a
 * negative priority, nor one that is not available. Checked over every
 * set of up to three resources drawn from priorities -2..1 (and the
 * extremes), available or not, opted in or not, for every message type,
 * sender and policy; and what is delivered is exactly what the rules
 * name. */
static void R8_5_2_1_1_m_negative_priority_never_gets_bare_messages(void **state) {
  (void)state;
  static const int prios[] = {-128, -2, -1, 0, 1, 127};
  const size_t variants = COUNT(prios) * 4; /* priority x available x opted in */
  size_t checked = 0;
  for (size_t n = 1; n <= 3; n++) {
    size_t combos = 1;
    for (size_t i = 0; i < n; i++) combos *= variants;
    for (size_t c = 0; c < combos; c++) {
      xmppim_delivery_resource res[3];
      static const char *const names[] = {"a", "b", "c"};
      size_t x = c;
      for (size_t i = 0; i < n; i++) {
        size_t v = x % variants;
        x /= variants;
        res[i].resource = names[i];
        res[i].priority = prios[v % COUNT(prios)];
        res[i].available = (int)((v / COUNT(prios)) & 1);
        res[i].all_chats = (int)((v / COUNT(prios)) >> 1);
      }
      user u = {"generated", 1, res, n};
      unsigned nonneg = 0, top = 0, opted = 0;
      int best = -1;
      for (size_t i = 0; i < n; i++)
        if (res[i].available && res[i].priority >= 0) {
          nonneg |= 1u << i;
          if (res[i].all_chats) opted |= 1u << i;
          if (res[i].priority > best) best = res[i].priority;
        }
      for (size_t i = 0; i < n; i++)
        if ((nonneg >> i & 1) && res[i].priority == best) top |= 1u << i;
      for (size_t t = 0; t < COUNT(message_types); t++)
        for (unsigned s = 0; s < ALL_SENDERS; s++)
          for (unsigned p = 0; p < ALL_POLICIES; p++) {
            got g = decide(&u, MESSAGE, message_types[t], NULL, s, p);
            if (g.d.action != DELIVER) {
              if (nonneg && message_types[t] != T_GROUPCHAT && message_types[t] != T_ERROR)
                fail_msg("%s not delivered with non-negative resources 0x%x",
                         type_label(MESSAGE, message_types[t]), nonneg);
              continue;
            }
            if (g.mask & ~nonneg)
              fail_msg("%s delivered to 0x%x, non-negative available are 0x%x",
                       type_label(MESSAGE, message_types[t]), g.mask, nonneg);
            unsigned want = message_types[t] == T_HEADLINE                   ? nonneg
                            : message_types[t] == T_CHAT                     ? top | opted
                            : (message_types[t] == T_NORMAL && (p & TO_ALL)) ? nonneg
                                                                             : top;
            if (g.mask != want)
              fail_msg("%s delivered to 0x%x, want 0x%x", type_label(MESSAGE, message_types[t]),
                       g.mask, want);
            checked++;
          }
    }
  }
  assert_true(checked > 10000);
}

/* R8.5.2.1.1-n: a user whose available resources are all negative is
 * treated as one with none (8.5.2.2), for every message type; so is one
 * whose resources are connected but not available (the note under 8.5.2). */
static void R8_5_2_1_1_n_negative_only_like_no_resources(void **state) {
  (void)state;
  const user *users[] = {&u_negative, &u_negative_conn, &u_connected_only};
  for (size_t i = 0; i < COUNT(users); i++)
    for (size_t t = 0; t < COUNT(message_types); t++)
      for (unsigned s = 0; s < ALL_SENDERS; s++)
        for (unsigned p = 0; p < ALL_POLICIES; p++) {
          got a = decide(users[i], MESSAGE, message_types[t], NULL, s, p);
          got b = decide(&u_empty, MESSAGE, message_types[t], NULL, s, p);
          assert_int_equal(a.d.action, b.d.action);
          assert_int_equal(a.d.condition, b.d.condition);
          assert_int_equal(a.d.level, b.d.level);
        }
  /* Connected only: 8.5.2.2's own IDs. */
  expect_policy(&u_connected_only, MESSAGE, T_NORMAL, NULL, OFFLINE, STORE, BOUNCE, 0,
                "R8.5.2.2.1-a", SHOULD);
  expect_always(&u_connected_only, MESSAGE, T_GROUPCHAT, NULL, BOUNCE, 0, "R8.5.2.2.1-b", MUST);
  expect_always(&u_connected_only, MESSAGE, T_HEADLINE, NULL, DROP, 0, "R8.5.2.2.1-c", MUST);
}

/* ---- 8.5.2.1.2 presence to the bare JID ---- */

/* R8.5.2.1.2-a: available and unavailable presence go to every available
 * resource, negative priorities included (the priority rule is for
 * messages), and not to connected-only ones. Presence of type error goes
 * the same way (delivery.h). */
static void R8_5_2_1_2_a_presence_to_all_available(void **state) {
  (void)state;
  const xmppim_delivery_type types[] = {T_AVAILABLE, T_UNAVAILABLE, T_ERROR};
  for (size_t t = 0; t < COUNT(types); t++) {
    expect_always(&u_several, PRESENCE, types[t], NULL, DELIVER, 0xf, "R8.5.2.1.2-a", MUST);
    expect_always(&u_negative, PRESENCE, types[t], NULL, DELIVER, 0x3, "R8.5.2.1.2-a", MUST);
    expect_always(&u_negative_conn, PRESENCE, types[t], NULL, DELIVER, 0x1, "R8.5.2.1.2-a",
                  MUST);
    expect_always(&u_one, PRESENCE, types[t], NULL, DELIVER, 0x3, "R8.5.2.1.2-a", MUST);
  }
}

/* R8.5.2.1.2-b: subscription presence goes to section 3. */
static void R8_5_2_1_2_b_subscription_handled(void **state) {
  (void)state;
  for (size_t t = 0; t < COUNT(subscription_types); t++) {
    expect_always(&u_one, PRESENCE, subscription_types[t], NULL, HANDLE, 0, "R8.5.2.1.2-b", MUST);
    expect_always(&u_negative, PRESENCE, subscription_types[t], NULL, HANDLE, 0, "R8.5.2.1.2-b",
                  MUST);
  }
}

/* R8.5.2.1.2-c: a probe goes to section 4.3. */
static void R8_5_2_1_2_c_probe_handled(void **state) {
  (void)state;
  expect_always(&u_several, PRESENCE, T_PROBE, NULL, HANDLE, 0, "R8.5.2.1.2-c", MUST);
  expect_always(&u_negative, PRESENCE, T_PROBE, NULL, HANDLE, 0, "R8.5.2.1.2-c", MUST);
}

/* ---- 8.5.2.1.3 IQ to the bare JID ---- */

/* R8.5.2.1.3-a: the server answers an IQ to the bare JID and never
 * delivers it, whatever the type, sender or policy; results and errors
 * are matched to the server's own requests, never answered. */
static void R8_5_2_1_3_a_iq_to_bare_handled_never_delivered(void **state) {
  (void)state;
  const xmppim_delivery_type types[] = {T_GET, T_SET, T_RESULT, T_ERROR};
  for (size_t t = 0; t < COUNT(types); t++) {
    expect_always(&u_several, IQ, types[t], NULL, HANDLE, 0, "R8.5.2.1.3-a", MUST);
    expect_always(&u_negative, IQ, types[t], NULL, HANDLE, 0, "R8.5.2.1.3-a", MUST);
  }
  got g = decide(&u_several, IQ, T_RESULT, NULL, 0, 0);
  assert_int_equal(g.d.condition, XMPPIM_STANZA_COND_NONE);
  assert_int_equal(g.d.error_type, XMPPIM_STANZA_ERROR_TYPE_UNKNOWN);
}

/* R8.5.2.1.3-b: when the namespace defines no answer the server can give,
 * service-unavailable: the decision carries it for get and set. */
static void R8_5_2_1_3_b_iq_fallback_service_unavailable(void **state) {
  (void)state;
  const user *users[] = {&u_empty, &u_connected_only, &u_one, &u_several};
  const xmppim_delivery_type types[] = {T_GET, T_SET};
  for (size_t i = 0; i < COUNT(users); i++)
    for (size_t t = 0; t < COUNT(types); t++) {
      got g = decide(users[i], IQ, types[t], NULL, 0, 0);
      assert_int_equal(g.d.action, HANDLE);
      assert_int_equal(g.d.condition, XMPPIM_STANZA_COND_SERVICE_UNAVAILABLE);
      assert_int_equal(g.d.error_type, XMPPIM_STANZA_ERROR_TYPE_CANCEL);
    }
}

/* ---- 8.5.2.2 no available resources ---- */

/* R8.5.2.2.1-a: normal and chat: stored or bounced. */
static void R8_5_2_2_1_a_no_resources_normal_chat_stored_or_bounced(void **state) {
  (void)state;
  expect_policy(&u_empty, MESSAGE, T_NORMAL, NULL, OFFLINE, STORE, BOUNCE, 0, "R8.5.2.2.1-a",
                SHOULD);
  expect_policy(&u_empty, MESSAGE, T_CHAT, NULL, OFFLINE, STORE, BOUNCE, 0, "R8.5.2.2.1-a",
                SHOULD);
  expect_policy(&u_connected_only, MESSAGE, T_CHAT, NULL, OFFLINE, STORE, BOUNCE, 0,
                "R8.5.2.2.1-a", SHOULD);
}

/* R8.5.2.2.1-b: groupchat: bounced. */
static void R8_5_2_2_1_b_no_resources_groupchat_bounced(void **state) {
  (void)state;
  expect_always(&u_empty, MESSAGE, T_GROUPCHAT, NULL, BOUNCE, 0, "R8.5.2.2.1-b", MUST);
}

/* R8.5.2.2.1-c: headline and error: ignored, never stored. */
static void R8_5_2_2_1_c_no_resources_headline_error_dropped(void **state) {
  (void)state;
  expect_always(&u_empty, MESSAGE, T_HEADLINE, NULL, DROP, 0, "R8.5.2.2.1-c", MUST);
  expect_always(&u_empty, MESSAGE, T_ERROR, NULL, DROP, 0, "R8.5.2.2.1-c", MUST);
  expect_always(&u_connected_only, MESSAGE, T_ERROR, NULL, DROP, 0, "R8.5.2.2.1-c", MUST);
}

/* R8.5.2.2.2-a: available and unavailable presence: ignored, also when a
 * resource is connected but not available. */
static void R8_5_2_2_2_a_no_resources_presence_dropped(void **state) {
  (void)state;
  const xmppim_delivery_type types[] = {T_AVAILABLE, T_UNAVAILABLE, T_ERROR};
  for (size_t t = 0; t < COUNT(types); t++) {
    expect_always(&u_empty, PRESENCE, types[t], NULL, DROP, 0, "R8.5.2.2.2-a", SHOULD);
    expect_always(&u_connected_only, PRESENCE, types[t], NULL, DROP, 0, "R8.5.2.2.2-a", SHOULD);
  }
}

/* R8.5.2.2.2-b: subscription presence: section 3 (which keeps an inbound
 * request for later, R3.1.3-k). */
static void R8_5_2_2_2_b_no_resources_subscription_handled(void **state) {
  (void)state;
  for (size_t t = 0; t < COUNT(subscription_types); t++) {
    expect_always(&u_empty, PRESENCE, subscription_types[t], NULL, HANDLE, 0, "R8.5.2.2.2-b",
                  MUST);
    expect_always(&u_connected_only, PRESENCE, subscription_types[t], NULL, HANDLE, 0,
                  "R8.5.2.2.2-b", MUST);
  }
}

/* R8.5.2.2.2-c: a probe: section 4.3 (which answers unavailable). */
static void R8_5_2_2_2_c_no_resources_probe_handled(void **state) {
  (void)state;
  expect_always(&u_empty, PRESENCE, T_PROBE, NULL, HANDLE, 0, "R8.5.2.2.2-c", MUST);
}

/* R8.5.2.2.3-a: IQ: the server answers for the user. */
static void R8_5_2_2_3_a_no_resources_iq_handled(void **state) {
  (void)state;
  const xmppim_delivery_type types[] = {T_GET, T_SET, T_RESULT, T_ERROR};
  for (size_t t = 0; t < COUNT(types); t++) {
    expect_always(&u_empty, IQ, types[t], NULL, HANDLE, 0, "R8.5.2.2.3-a", MUST);
    expect_always(&u_connected_only, IQ, types[t], NULL, HANDLE, 0, "R8.5.2.2.3-a", MUST);
  }
}

/* ---- 8.5.3.1 full JID, a resource matches ---- */

/* R8.5.3.1-a: IQ get or set from a sender that shares no presence with
 * the user is not delivered; from the user or an entitled sender it is,
 * and with the policy from anyone (the decision then still cites the
 * SHOULD NOT it departs from). */
static void R8_5_3_1_a_iq_request_from_stranger_not_delivered(void **state) {
  (void)state;
  const xmppim_delivery_type types[] = {T_GET, T_SET};
  for (size_t t = 0; t < COUNT(types); t++)
    for (unsigned p = 0; p < ALL_POLICIES; p++) {
      expect(&u_several, IQ, types[t], "c", SELF, p, DELIVER, 0x4, "R8.5.3.1-a", SHOULD_NOT);
      expect(&u_several, IQ, types[t], "c", PEER, p, DELIVER, 0x4, "R8.5.3.1-a", SHOULD_NOT);
      if (p & IQ_ANYONE)
        expect(&u_several, IQ, types[t], "c", 0, p, DELIVER, 0x4, "R8.5.3.1-a", SHOULD_NOT);
      else
        expect(&u_several, IQ, types[t], "c", 0, p, BOUNCE, 0, "R8.5.3.1-b", SHOULD);
    }
}

/* R8.5.3.1-b: ... and bounced with service-unavailable, the same error a
 * resource that is not there gives (so the bounce leaks nothing). */
static void R8_5_3_1_b_iq_request_from_stranger_bounced(void **state) {
  (void)state;
  got here = decide(&u_several, IQ, T_GET, "a", 0, 0);
  got gone = decide(&u_several, IQ, T_GET, "zz", 0, 0);
  assert_int_equal(here.d.action, BOUNCE);
  assert_int_equal(gone.d.action, BOUNCE);
  assert_int_equal(here.d.condition, XMPPIM_STANZA_COND_SERVICE_UNAVAILABLE);
  assert_int_equal(here.d.condition, gone.d.condition);
  assert_int_equal(here.d.error_type, gone.d.error_type);
}

/* R8.5.3.1-c: IQ result and error to a matching resource: delivered, from
 * anyone, to negative and connected-only resources alike. */
static void R8_5_3_1_c_iq_result_error_delivered(void **state) {
  (void)state;
  expect_always(&u_several, IQ, T_RESULT, "d", DELIVER, 0x8, "R8.5.3.1-c", MUST);
  expect_always(&u_several, IQ, T_ERROR, "e", DELIVER, 0x10, "R8.5.3.1-c", MUST);
}

/* R8.5.3.1-d: a message of any type to a matching resource: delivered to
 * it alone, whatever its priority, and also when it is connected but not
 * available (a full JID matches a connected resource, the note under
 * 8.5.3). */
static void R8_5_3_1_d_message_to_matching_resource(void **state) {
  (void)state;
  for (size_t t = 0; t < COUNT(message_types); t++)
    for (size_t i = 0; i < u_several_opt.n; i++) {
      expect_always(&u_several_opt, MESSAGE, message_types[t], r_several_opt[i].resource, DELIVER,
                    1u << i, "R8.5.3.1-d", MUST);
      expect_always(&u_several, MESSAGE, message_types[t], r_several[i].resource, DELIVER,
                    1u << i, "R8.5.3.1-d", MUST);
    }
  for (size_t t = 0; t < COUNT(message_types); t++)
    expect_always(&u_connected_only, MESSAGE, message_types[t], "a", DELIVER, 0x1, "R8.5.3.1-d",
                  MUST);
}

/* R8.5.3.1-e: available, unavailable (and error) presence to a matching
 * resource: delivered, also to a connected resource that has not sent
 * initial presence (directed presence before initial presence is
 * legitimate, R4.6.3-g, and its answers come to the full JID). */
static void R8_5_3_1_e_presence_to_matching_resource(void **state) {
  (void)state;
  const xmppim_delivery_type types[] = {T_AVAILABLE, T_UNAVAILABLE, T_ERROR};
  for (size_t t = 0; t < COUNT(types); t++) {
    expect_always(&u_several, PRESENCE, types[t], "d", DELIVER, 0x8, "R8.5.3.1-e", MUST);
    expect_always(&u_several, PRESENCE, types[t], "e", DELIVER, 0x10, "R8.5.3.1-e", MUST);
    expect_always(&u_connected_only, PRESENCE, types[t], "a", DELIVER, 0x1, "R8.5.3.1-e", MUST);
  }
}

/* R8.5.3.1-f: subscription presence to a matching resource: section 3
 * (which takes the 'to' as the bare JID, 3.1.3). */
static void R8_5_3_1_f_subscription_to_matching_handled(void **state) {
  (void)state;
  for (size_t t = 0; t < COUNT(subscription_types); t++) {
    expect_always(&u_several, PRESENCE, subscription_types[t], "a", HANDLE, 0, "R8.5.3.1-f", MUST);
    expect_always(&u_connected_only, PRESENCE, subscription_types[t], "a", HANDLE, 0,
                  "R8.5.3.1-f", MUST);
  }
}

/* R8.5.3.1-g: a probe to a matching resource: section 4.3. */
static void R8_5_3_1_g_probe_to_matching_handled(void **state) {
  (void)state;
  expect_always(&u_several, PRESENCE, T_PROBE, "b", HANDLE, 0, "R8.5.3.1-g", MUST);
}

/* ---- 8.5.3.2 full JID, no resource matches ---- */

/* R8.5.3.2.1-a: normal, groupchat and headline to a resource that is not
 * there: ignored, or bounced to a sender entitled to know (R8.1-a),
 * whatever other resources the user has. */
static void R8_5_3_2_1_a_normal_groupchat_headline_to_gone_resource(void **state) {
  (void)state;
  const user *users[] = {&u_empty, &u_connected_only, &u_negative, &u_one, &u_several,
                         &u_several_opt};
  const xmppim_delivery_type types[] = {T_NORMAL, T_GROUPCHAT, T_HEADLINE};
  for (size_t i = 0; i < COUNT(users); i++)
    for (size_t t = 0; t < COUNT(types); t++)
      expect_by_sender(users[i], MESSAGE, types[t], "zz", BOUNCE, DROP, "R8.5.3.2.1-a", MUST);
}

/* R8.5.3.2.1-b: chat to a resource that is not there, no resource at all:
 * stored or bounced. */
static void R8_5_3_2_1_b_chat_to_gone_resource_no_resources(void **state) {
  (void)state;
  expect_policy(&u_empty, MESSAGE, T_CHAT, "zz", OFFLINE, STORE, BOUNCE, 0, "R8.5.3.2.1-b", MUST);
}

/* R8.5.3.2.1-c: ... all available resources negative (or none available,
 * only connected): stored or bounced. */
static void R8_5_3_2_1_c_chat_to_gone_resource_negative_only(void **state) {
  (void)state;
  expect_policy(&u_negative, MESSAGE, T_CHAT, "zz", OFFLINE, STORE, BOUNCE, 0, "R8.5.3.2.1-c",
                SHOULD);
  expect_policy(&u_negative_conn, MESSAGE, T_CHAT, "zz", OFFLINE, STORE, BOUNCE, 0,
                "R8.5.3.2.1-c", SHOULD);
  expect_policy(&u_connected_only, MESSAGE, T_CHAT, "zz", OFFLINE, STORE, BOUNCE, 0,
                "R8.5.3.2.1-c", SHOULD);
}

/* R8.5.3.2.1-d: ... one non-negative resource: to it. */
static void R8_5_3_2_1_d_chat_to_gone_resource_one_non_negative(void **state) {
  (void)state;
  expect_always(&u_one, MESSAGE, T_CHAT, "zz", DELIVER, 0x1, "R8.5.3.2.1-d", MUST);
  expect_always(&u_one_alone, MESSAGE, T_CHAT, "zz", DELIVER, 0x1, "R8.5.3.2.1-d", MUST);
}

/* R8.5.3.2.1-e: ... several: as a chat message to the bare JID. */
static void R8_5_3_2_1_e_chat_to_gone_resource_several(void **state) {
  (void)state;
  expect_always(&u_several, MESSAGE, T_CHAT, "zz", DELIVER, 0x3, "R8.5.3.2.1-e", MUST);
  expect_always(&u_several_opt, MESSAGE, T_CHAT, "zz", DELIVER, 0x7, "R8.5.3.2.1-e", MUST);
}

/* R8.5.3.2.1-f: an error message to a resource that is not there:
 * ignored, even for an entitled sender. */
static void R8_5_3_2_1_f_error_to_gone_resource_dropped(void **state) {
  (void)state;
  const user *users[] = {&u_empty, &u_negative, &u_several};
  for (size_t i = 0; i < COUNT(users); i++)
    expect_always(users[i], MESSAGE, T_ERROR, "zz", DROP, 0, "R8.5.3.2.1-f", MUST);
}

/* R8.5.3.2.2-a: available and unavailable presence to a resource that is
 * not there: ignored (not sent to the other resources). */
static void R8_5_3_2_2_a_presence_to_gone_resource_dropped(void **state) {
  (void)state;
  const xmppim_delivery_type types[] = {T_AVAILABLE, T_UNAVAILABLE, T_ERROR};
  for (size_t t = 0; t < COUNT(types); t++) {
    expect_always(&u_several, PRESENCE, types[t], "zz", DROP, 0, "R8.5.3.2.2-a", MUST);
    expect_always(&u_empty, PRESENCE, types[t], "zz", DROP, 0, "R8.5.3.2.2-a", MUST);
  }
}

/* R8.5.3.2.2-b: subscribe to a resource that is not there: section 3.1.3,
 * as if to the bare JID. */
static void R8_5_3_2_2_b_subscribe_to_gone_resource_handled(void **state) {
  (void)state;
  expect_always(&u_several, PRESENCE, T_SUBSCRIBE, "zz", HANDLE, 0, "R8.5.3.2.2-b", MUST);
  expect_always(&u_empty, PRESENCE, T_SUBSCRIBE, "zz", HANDLE, 0, "R8.5.3.2.2-b", MUST);
}

/* R8.5.3.2.2-c: subscribed, unsubscribe, unsubscribed to a resource that
 * is not there: ignored, not applied to the roster. */
static void R8_5_3_2_2_c_other_subscription_to_gone_resource_ignored(void **state) {
  (void)state;
  const xmppim_delivery_type types[] = {T_SUBSCRIBED, T_UNSUBSCRIBE, T_UNSUBSCRIBED};
  for (size_t t = 0; t < COUNT(types); t++) {
    expect_always(&u_several, PRESENCE, types[t], "zz", DROP, 0, "R8.5.3.2.2-c", MUST);
    expect_always(&u_empty, PRESENCE, types[t], "zz", DROP, 0, "R8.5.3.2.2-c", MUST);
  }
}

/* R8.5.3.2.2-d: a probe to a resource that is not there: section 4.3. */
static void R8_5_3_2_2_d_probe_to_gone_resource_handled(void **state) {
  (void)state;
  expect_always(&u_several, PRESENCE, T_PROBE, "zz", HANDLE, 0, "R8.5.3.2.2-d", MUST);
  expect_always(&u_empty, PRESENCE, T_PROBE, "zz", HANDLE, 0, "R8.5.3.2.2-d", MUST);
}

/* R8.5.3.2.3-a: IQ get or set to a resource that is not there:
 * service-unavailable, to anyone; results and errors are dropped
 * (C8.2.3-c). */
static void R8_5_3_2_3_a_iq_to_gone_resource_bounced(void **state) {
  (void)state;
  const user *users[] = {&u_empty, &u_connected_only, &u_several};
  for (size_t i = 0; i < COUNT(users); i++) {
    expect_always(users[i], IQ, T_GET, "zz", BOUNCE, 0, "R8.5.3.2.3-a", MUST);
    expect_always(users[i], IQ, T_SET, "zz", BOUNCE, 0, "R8.5.3.2.3-a", MUST);
    expect_always(users[i], IQ, T_RESULT, "zz", DROP, 0, "C8.2.3-c", MUST_NOT);
    expect_always(users[i], IQ, T_ERROR, "zz", DROP, 0, "C8.2.3-c", MUST_NOT);
  }
}

/* ---- R6 and RFC 6120 rules the decisions keep ---- */

/* R6-a (C8.2.3-b): every IQ get or set gets exactly one answer: it is
 * delivered (the resource answers), handled (the server answers) or
 * bounced; never dropped. */
static void R6_a_every_iq_request_answered(void **state) {
  (void)state;
  const char *tos[] = {NULL, "a", "b", "c", "d", "e", "zz"};
  const xmppim_delivery_type types[] = {T_GET, T_SET};
  for (size_t i = 0; i < COUNT(all_users); i++)
    for (size_t to = 0; to < COUNT(tos); to++)
      for (size_t t = 0; t < COUNT(types); t++)
        for (unsigned s = 0; s < ALL_SENDERS; s++)
          for (unsigned p = 0; p < ALL_POLICIES; p++) {
            got g = decide(all_users[i], IQ, types[t], tos[to], s, p);
            assert_true(g.d.action == DELIVER || g.d.action == HANDLE || g.d.action == BOUNCE);
          }
}

/* Calls f for every valid input the fixtures give. */
typedef void (*visit_fn)(const user *u, xmppim_delivery_kind k, xmppim_delivery_type t,
                         const char *to, unsigned s, unsigned p, const got *g);

static size_t visit_all(visit_fn f) {
  const char *tos[] = {NULL, "a", "b", "c", "d", "e", "zz"};
  size_t n = 0;
  for (size_t i = 0; i < COUNT(all_users); i++)
    for (size_t st = 0; st < COUNT(stanzas); st++)
      for (size_t to = 0; to < COUNT(tos); to++)
        for (unsigned s = 0; s < ALL_SENDERS; s++)
          for (unsigned p = 0; p < ALL_POLICIES; p++) {
            got g = decide(all_users[i], stanzas[st].kind, stanzas[st].type, tos[to], s, p);
            f(all_users[i], stanzas[st].kind, stanzas[st].type, tos[to], s, p, &g);
            n++;
          }
  return n;
}

/* C8.3.1-f, C8.2.3-c: a stanza of type error, or an IQ result, is never
 * answered with an error, nor stored. */
static void no_error_to_error(const user *u, xmppim_delivery_kind k, xmppim_delivery_type t,
                              const char *to, unsigned s, unsigned p, const got *g) {
  if (t != T_ERROR && t != T_RESULT) return;
  if (g->d.action == BOUNCE || g->d.action == STORE || g->d.action == UNSUBSCRIBED ||
      g->d.condition != XMPPIM_STANZA_COND_NONE)
    fail_msg(CTX_FMT "%s with condition %d", CTX(u, k, t, to, s, p), action_label(g->d.action),
             g->d.condition);
}

static void C8_3_1_f_no_error_answers_an_error(void **state) {
  (void)state;
  assert_true(visit_all(no_error_to_error) > 10000);
}

/* C13.10.2-a: one error for bare and full JIDs alike: every bounce (and
 * every fallback error) is service-unavailable, type cancel. */
static void one_error(const user *u, xmppim_delivery_kind k, xmppim_delivery_type t,
                      const char *to, unsigned s, unsigned p, const got *g) {
  if (g->d.condition == XMPPIM_STANZA_COND_NONE) {
    if (g->d.action == BOUNCE || g->d.action == STORE)
      fail_msg(CTX_FMT "%s without a condition", CTX(u, k, t, to, s, p),
               action_label(g->d.action));
    assert_int_equal(g->d.error_type, XMPPIM_STANZA_ERROR_TYPE_UNKNOWN);
    return;
  }
  if (g->d.condition != XMPPIM_STANZA_COND_SERVICE_UNAVAILABLE ||
      g->d.error_type != XMPPIM_STANZA_ERROR_TYPE_CANCEL)
    fail_msg(CTX_FMT "condition %d type %d", CTX(u, k, t, to, s, p), g->d.condition,
             g->d.error_type);
}

static void C13_10_2_a_one_error_for_bare_and_full(void **state) {
  (void)state;
  visit_all(one_error);
}

/* C10.2-a: an account that does not exist answers every message as an
 * existing account with no resources answers a stranger, so that a
 * harvester cannot tell them apart: the same action (with the same
 * error) for every type, JID form and policy: where the empty account
 * stores or drops, the missing one drops; where it bounces, so does the
 * missing one. */
static void C10_2_a_missing_account_answers_like_an_empty_one(void **state) {
  (void)state;
  const char *tos[] = {NULL, "zz"};
  for (size_t t = 0; t < COUNT(message_types); t++)
    for (size_t to = 0; to < COUNT(tos); to++)
      for (unsigned p = 0; p < ALL_POLICIES; p++) {
        got missing = decide(&u_missing, MESSAGE, message_types[t], tos[to], 0, p);
        got empty = decide(&u_empty, MESSAGE, message_types[t], tos[to], 0, p);
        /* what the sender sees: an error, or nothing */
        int e1 = missing.d.action == BOUNCE, e2 = empty.d.action == BOUNCE;
        if (e1 != e2)
          fail_msg("%s to %s, policy %u: missing account %s, empty account %s",
                   type_label(MESSAGE, message_types[t]), tos[to] ? "full" : "bare", p,
                   action_label(missing.d.action), action_label(empty.d.action));
        if (e1) assert_int_equal(missing.d.condition, empty.d.condition);
      }
  /* A probe: the same answer an unauthorized prober gets from an existing
   * account (R4.3.2-a), which the presence engine gives when it handles it. */
  got g = decide(&u_missing, PRESENCE, T_PROBE, NULL, 0, 0);
  assert_int_equal(g.d.action, UNSUBSCRIBED);
}

/* ---- checks without an ID ---- */

/* Every decision cites a known rule with the keyword the requirement list
 * gives it, and a known choice; a deliver never targets an unavailable
 * resource unless the full JID names it; the same input always gives the
 * same answer. */
static void well_formed(const user *u, xmppim_delivery_kind k, xmppim_delivery_type t,
                        const char *to, unsigned s, unsigned p, const got *g) {
  size_t r = 0;
  while (r < COUNT(known_rules) && (!g->d.rule || strcmp(known_rules[r].id, g->d.rule) != 0)) r++;
  if (r == COUNT(known_rules))
    fail_msg(CTX_FMT "unknown rule %s", CTX(u, k, t, to, s, p), g->d.rule ? g->d.rule : "(null)");
  if (g->d.level != known_rules[r].level)
    fail_msg(CTX_FMT "%s cited as %d", CTX(u, k, t, to, s, p), g->d.rule, g->d.level);
  if (g->d.choice) {
    size_t c = 0;
    while (c < COUNT(known_choices) && strcmp(known_choices[c], g->d.choice) != 0) c++;
    if (c == COUNT(known_choices))
      fail_msg(CTX_FMT "unknown choice %s", CTX(u, k, t, to, s, p), g->d.choice);
  }
  if (g->d.action == DELIVER && !to)
    for (size_t i = 0; i < u->n; i++)
      if ((g->mask >> i & 1) && !u->res[i].available)
        fail_msg(CTX_FMT "delivered to connected-only %s", CTX(u, k, t, to, s, p),
                 u->res[i].resource);
  if (g->d.action == DELIVER && to && g->mask != 0) {
    /* to a full JID: the matching resource, or (chat to a gone one) as if
     * to the bare JID */
    int match = -1;
    for (size_t i = 0; i < u->n; i++)
      if (strcmp(u->res[i].resource, to) == 0) match = (int)i;
    if (match >= 0 && g->mask != 1u << match)
      fail_msg(CTX_FMT "delivered to 0x%x, not only the match", CTX(u, k, t, to, s, p), g->mask);
    if (match < 0 && !(k == MESSAGE && t == T_CHAT))
      fail_msg(CTX_FMT "delivered with no match", CTX(u, k, t, to, s, p));
  }
  if (g->d.action == UNSUBSCRIBED && (u->exists || t != T_PROBE))
    fail_msg(CTX_FMT "reply unsubscribed", CTX(u, k, t, to, s, p));
  if (g->d.action == STORE &&
      (!(p & OFFLINE) || k != MESSAGE || (t != T_NORMAL && t != T_CHAT) || !u->exists))
    fail_msg(CTX_FMT "stored", CTX(u, k, t, to, s, p));
  got again = decide(u, k, t, to, s, p);
  if (memcmp(&again.d, &g->d, sizeof(again.d)) != 0 || again.mask != g->mask)
    fail_msg(CTX_FMT "a second call differs", CTX(u, k, t, to, s, p));
}

static void delivery_is_pure_and_well_formed(void **state) {
  (void)state;
  size_t n = visit_all(well_formed);
  assert_int_equal(n, COUNT(all_users) * COUNT(stanzas) * 7 * ALL_SENDERS * ALL_POLICIES);
}

/* Ties: every resource at the top priority gets a bare-JID message, in
 * the caller's order; equal priorities below the top do not. */
static void delivery_ties_and_order(void **state) {
  (void)state;
  static const xmppim_delivery_resource r[] = {AV("a", 2), AV("b", 9), AV("c", 2), AV("d", 9),
                                               AV("e", 9), CONN("f")};
  static const user u = {"three at the top", 1, r, 6};
  size_t targets[6];
  xmppim_delivery_decision d;
  xmppim_delivery_input in = input(&u, MESSAGE, T_CHAT, NULL, 0, 0);
  assert_int_equal(xmppim_delivery_decide(&in, &d, targets, 6), 0);
  assert_int_equal(d.action, DELIVER);
  assert_int_equal(d.ntargets, 3);
  assert_int_equal(targets[0], 1);
  assert_int_equal(targets[1], 3);
  assert_int_equal(targets[2], 4);
  /* Priority 127 and -128 are in range; the top one wins alone. */
  static const xmppim_delivery_resource x[] = {AV("a", -128), AV("b", 127), AV("c", 126)};
  static const user ux = {"extremes", 1, x, 3};
  expect(&ux, MESSAGE, T_NORMAL, NULL, 0, 0, DELIVER, 0x2, "R8.5.2.1.1-c", MUST);
  expect(&ux, MESSAGE, T_HEADLINE, NULL, 0, 0, DELIVER, 0x6, "R8.5.2.1.1-k", MUST);
}

/* A connected resource that has not sent initial presence counts for
 * nothing addressed to the bare JID, but a full JID still matches it; its
 * priority, whatever it is, is not read. */
static void delivery_connected_but_unavailable(void **state) {
  (void)state;
  static const xmppim_delivery_resource r[] = {{"a", 100, 0, 1}, AV("b", -1)};
  static const user u = {"high priority, unavailable", 1, r, 2};
  expect_policy(&u, MESSAGE, T_CHAT, NULL, OFFLINE, STORE, BOUNCE, 0, "R8.5.2.1.1-d", SHOULD);
  expect_always(&u, MESSAGE, T_HEADLINE, NULL, DROP, 0, "R8.5.2.1.1-i", MUST);
  expect_always(&u, PRESENCE, T_AVAILABLE, NULL, DELIVER, 0x2, "R8.5.2.1.2-a", MUST);
  expect_always(&u, MESSAGE, T_CHAT, "a", DELIVER, 0x1, "R8.5.3.1-d", MUST);
  expect_always(&u, PRESENCE, T_UNAVAILABLE, "a", DELIVER, 0x1, "R8.5.3.1-e", MUST);
  expect(&u, IQ, T_GET, "a", PEER, 0, DELIVER, 0x1, "R8.5.3.1-a", SHOULD_NOT);
  /* Full JIDs match byte for byte: the caller prepares them. */
  expect_policy(&u, MESSAGE, T_CHAT, "A", OFFLINE, STORE, BOUNCE, 0, "R8.5.3.2.1-c", SHOULD);
}

/* The targets array: exactly the room needed is enough; less gives
 * BUFFER_TOO_SMALL with the count and nothing written; NULL with no room
 * asks for the count. */
static void delivery_targets_buffer(void **state) {
  (void)state;
  xmppim_delivery_input in = input(&u_several, MESSAGE, T_HEADLINE, NULL, 0, 0);
  xmppim_delivery_decision d;
  size_t targets[5];
  memset(targets, 0x5a, sizeof(targets));
  assert_int_equal(xmppim_delivery_decide(&in, &d, targets, 2), XMPPIM_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(d.action, DELIVER);
  assert_int_equal(d.ntargets, 3);
  for (size_t i = 0; i < 5; i++) assert_int_equal(targets[i], (size_t)0x5a5a5a5a5a5a5a5aull);
  assert_int_equal(xmppim_delivery_decide(&in, &d, NULL, 0), XMPPIM_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(d.ntargets, 3);
  assert_int_equal(xmppim_delivery_decide(&in, &d, targets, 3), 0);
  assert_int_equal(d.ntargets, 3);
  assert_int_equal(targets[0], 0);
  assert_int_equal(targets[1], 1);
  assert_int_equal(targets[2], 2);
  assert_int_equal(targets[3], (size_t)0x5a5a5a5a5a5a5a5aull);
  /* Nothing to deliver: no room needed, nothing written. */
  in = input(&u_several, MESSAGE, T_GROUPCHAT, NULL, 0, 0);
  assert_int_equal(xmppim_delivery_decide(&in, &d, NULL, 0), 0);
  assert_int_equal(d.action, BOUNCE);
  assert_int_equal(d.ntargets, 0);
}

/* Bad arguments are refused and the decision left alone. */
static void delivery_bad_arguments(void **state) {
  (void)state;
  xmppim_delivery_decision d, untouched;
  size_t targets[8];
  memset(&d, 0x5a, sizeof(d));
  untouched = d;
  xmppim_delivery_input ok = input(&u_several, MESSAGE, T_CHAT, NULL, 0, 0);
  assert_int_equal(xmppim_delivery_decide(NULL, &d, targets, 8), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_delivery_decide(&ok, NULL, targets, 8), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_delivery_decide(&ok, &d, NULL, 8), XMPPIM_ERR_INVALID_ARGUMENT);

  xmppim_delivery_input in = ok;
  in.kind = (xmppim_delivery_kind)3;
  assert_int_equal(xmppim_delivery_decide(&in, &d, targets, 8), XMPPIM_ERR_INVALID_ARGUMENT);
  in.kind = (xmppim_delivery_kind)-1;
  assert_int_equal(xmppim_delivery_decide(&in, &d, targets, 8), XMPPIM_ERR_INVALID_ARGUMENT);
  in = ok;
  in.type = (xmppim_delivery_type)(T_ERROR + 1);
  assert_int_equal(xmppim_delivery_decide(&in, &d, targets, 8), XMPPIM_ERR_INVALID_ARGUMENT);
  in.type = (xmppim_delivery_type)-1;
  assert_int_equal(xmppim_delivery_decide(&in, &d, targets, 8), XMPPIM_ERR_INVALID_ARGUMENT);
  /* A type of another kind. */
  static const struct {
    xmppim_delivery_kind k;
    xmppim_delivery_type t;
  } mismatched[] = {{MESSAGE, T_AVAILABLE}, {MESSAGE, T_GET},  {PRESENCE, T_CHAT},
                    {PRESENCE, T_RESULT},   {IQ, T_NORMAL},    {IQ, T_PROBE},
                    {IQ, T_SUBSCRIBE},      {MESSAGE, T_PROBE}};
  for (size_t i = 0; i < COUNT(mismatched); i++) {
    in = ok;
    in.kind = mismatched[i].k;
    in.type = mismatched[i].t;
    assert_int_equal(xmppim_delivery_decide(&in, &d, targets, 8), XMPPIM_ERR_INVALID_ARGUMENT);
  }
  /* Every valid pair is accepted. */
  for (size_t i = 0; i < COUNT(stanzas); i++) {
    xmppim_delivery_decision tmp;
    in = ok;
    in.kind = stanzas[i].kind;
    in.type = stanzas[i].type;
    assert_int_equal(xmppim_delivery_decide(&in, &tmp, targets, 8), 0);
  }
  in = ok;
  in.sender = 1u << 2;
  assert_int_equal(xmppim_delivery_decide(&in, &d, targets, 8), XMPPIM_ERR_INVALID_ARGUMENT);
  in = ok;
  in.policy = 1u << 3;
  assert_int_equal(xmppim_delivery_decide(&in, &d, targets, 8), XMPPIM_ERR_INVALID_ARGUMENT);
  in = ok;
  in.to_resource = "";
  assert_int_equal(xmppim_delivery_decide(&in, &d, targets, 8), XMPPIM_ERR_INVALID_ARGUMENT);
  in = ok;
  in.resources = NULL;
  assert_int_equal(xmppim_delivery_decide(&in, &d, targets, 8), XMPPIM_ERR_INVALID_ARGUMENT);
  in = ok;
  in.user_exists = 0; /* a missing account with resources */
  assert_int_equal(xmppim_delivery_decide(&in, &d, targets, 8), XMPPIM_ERR_INVALID_ARGUMENT);
  static const xmppim_delivery_resource unnamed[] = {{NULL, 0, 1, 0}};
  static const xmppim_delivery_resource high[] = {AV("a", 128)};
  static const xmppim_delivery_resource low[] = {AV("a", -129)};
  static const xmppim_delivery_resource low_conn[] = {{"a", -200, 0, 0}};
  const xmppim_delivery_resource *bad[] = {unnamed, high, low, low_conn};
  for (size_t i = 0; i < COUNT(bad); i++) {
    in = ok;
    in.resources = bad[i];
    in.nresources = 1;
    assert_int_equal(xmppim_delivery_decide(&in, &d, targets, 8), XMPPIM_ERR_INVALID_ARGUMENT);
  }
  assert_memory_equal(&d, &untouched, sizeof(d));
  /* No resources and a NULL array is fine. */
  in = ok;
  in.resources = NULL;
  in.nresources = 0;
  assert_int_equal(xmppim_delivery_decide(&in, &d, NULL, 0), 0);
}

static xmppim_stanza *parse(const char *xml) {
  xmppim_stanza *st = NULL;
  int rc = xmppim_stanza_parse(&st, xml, strlen(xml), NULL, NULL);
  if (rc != 0) fail_msg("parse %s: %d", xml, rc);
  return st;
}

static int classify_xml(const char *xml, xmppim_delivery_kind *k, xmppim_delivery_type *t) {
  xmppim_stanza *st = parse(xml);
  int rc = xmppim_delivery_classify(st, k, t);
  xmppim_stanza_free(st);
  return rc;
}

/* The classifier: every defined type of each kind, the defaults, and the
 * types that must be refused. */
static void delivery_classify_stanzas(void **state) {
  (void)state;
  static const struct {
    const char *xml;
    int rc;
    xmppim_delivery_kind k;
    xmppim_delivery_type t;
  } cases[] = {
    {"<message/>", 0, MESSAGE, T_NORMAL},
    {"<message type='normal'/>", 0, MESSAGE, T_NORMAL},
    {"<message type='chat'/>", 0, MESSAGE, T_CHAT},
    {"<message type='groupchat'/>", 0, MESSAGE, T_GROUPCHAT},
    {"<message type='headline'/>", 0, MESSAGE, T_HEADLINE},
    {"<message type='error'/>", 0, MESSAGE, T_ERROR},
    {"<message xmlns='jabber:server' type='chat'/>", 0, MESSAGE, T_CHAT},
    {"<presence/>", 0, PRESENCE, T_AVAILABLE},
    {"<presence type='unavailable'/>", 0, PRESENCE, T_UNAVAILABLE},
    {"<presence type='subscribe'/>", 0, PRESENCE, T_SUBSCRIBE},
    {"<presence type='subscribed'/>", 0, PRESENCE, T_SUBSCRIBED},
    {"<presence type='unsubscribe'/>", 0, PRESENCE, T_UNSUBSCRIBE},
    {"<presence type='unsubscribed'/>", 0, PRESENCE, T_UNSUBSCRIBED},
    {"<presence type='probe'/>", 0, PRESENCE, T_PROBE},
    {"<presence type='error'/>", 0, PRESENCE, T_ERROR},
    {"<iq type='get'/>", 0, IQ, T_GET},
    {"<iq type='set'/>", 0, IQ, T_SET},
    {"<iq type='result'/>", 0, IQ, T_RESULT},
    {"<iq type='error'/>", 0, IQ, T_ERROR},
    /* R4.7.1-d, R4.7.1-e: undefined presence types, bad-request */
    {"<presence type='available'/>", XMPPIM_ERR_NOT_FOUND, PRESENCE, 0},
    {"<presence type=''/>", XMPPIM_ERR_NOT_FOUND, PRESENCE, 0},
    {"<presence type='Probe'/>", XMPPIM_ERR_NOT_FOUND, PRESENCE, 0},
    /* C8.2.3-a: IQ type required and one of four */
    {"<iq/>", XMPPIM_ERR_NOT_FOUND, IQ, 0},
    {"<iq type='chat'/>", XMPPIM_ERR_NOT_FOUND, IQ, 0},
    {"<iq type='GET'/>", XMPPIM_ERR_NOT_FOUND, IQ, 0},
  };
  for (size_t i = 0; i < COUNT(cases); i++) {
    xmppim_delivery_kind k = (xmppim_delivery_kind)99;
    xmppim_delivery_type t = (xmppim_delivery_type)99;
    int rc = classify_xml(cases[i].xml, &k, &t);
    if (rc != cases[i].rc) fail_msg("%s: %d, want %d", cases[i].xml, rc, cases[i].rc);
    if (k != cases[i].k) fail_msg("%s: kind %d, want %d", cases[i].xml, k, cases[i].k);
    if (rc == 0 && t != cases[i].t) fail_msg("%s: type %d, want %d", cases[i].xml, t, cases[i].t);
    if (rc != 0 && t != (xmppim_delivery_type)99) fail_msg("%s: type written", cases[i].xml);
  }
  xmppim_delivery_kind k;
  xmppim_delivery_type t;
  assert_int_equal(classify_xml("<query xmlns='jabber:iq:roster'/>", &k, &t),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_stanza *st = parse("<message/>");
  assert_int_equal(xmppim_delivery_classify(NULL, &k, &t), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_delivery_classify(st, NULL, &t), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_delivery_classify(st, &k, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_stanza_free(st);
}

/* R5.2.2-i: a message with no type or an unknown one is normal, and is
 * delivered as normal. */
static void R5_2_2_i_unknown_message_type_is_normal(void **state) {
  (void)state;
  const char *xml[] = {"<message/>", "<message type='Chat'/>", "<message type='bogus'/>",
                       "<message type=''/>"};
  for (size_t i = 0; i < COUNT(xml); i++) {
    xmppim_delivery_kind k;
    xmppim_delivery_type t;
    assert_int_equal(classify_xml(xml[i], &k, &t), 0);
    assert_int_equal(k, MESSAGE);
    assert_int_equal(t, T_NORMAL);
    expect(&u_several, k, t, NULL, 0, 0, DELIVER, 0x3, "R8.5.2.1.1-c", MUST);
  }
}

static void delivery_action_names(void **state) {
  (void)state;
  static const char *const names[] = {"deliver", "store-offline", "bounce", "drop", "handle",
                                      "reply-unsubscribed"};
  for (size_t i = 0; i < COUNT(names); i++)
    assert_string_equal(xmppim_delivery_action_name((xmppim_delivery_action)i), names[i]);
  assert_null(xmppim_delivery_action_name((xmppim_delivery_action)COUNT(names)));
  assert_null(xmppim_delivery_action_name((xmppim_delivery_action)-1));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(R8_5_4_a_summary_table_rows),
    cmocka_unit_test(R8_5_4_b_chat_to_all_only_opted_in),
    cmocka_unit_test(R8_1_a_error_only_to_entitled_senders),
    cmocka_unit_test(R8_5_1_a_iq_to_missing_account),
    cmocka_unit_test(R8_5_1_b_message_to_missing_account),
    cmocka_unit_test(R8_5_1_c_presence_to_missing_account),
    cmocka_unit_test(R8_5_1_d_subscription_to_missing_account_ignored),
    cmocka_unit_test(R8_5_1_e_probe_to_missing_account_answered_unsubscribed),
    cmocka_unit_test(R8_5_2_1_1_a_normal_negative_only),
    cmocka_unit_test(R8_5_2_1_1_b_normal_one_non_negative),
    cmocka_unit_test(R8_5_2_1_1_c_normal_most_available_or_all),
    cmocka_unit_test(R8_5_2_1_1_d_chat_negative_only),
    cmocka_unit_test(R8_5_2_1_1_e_chat_one_non_negative),
    cmocka_unit_test(R8_5_2_1_1_f_chat_most_available_and_opted_in),
    cmocka_unit_test(R8_5_2_1_1_g_groupchat_never_delivered),
    cmocka_unit_test(R8_5_2_1_1_h_groupchat_bounced),
    cmocka_unit_test(R8_5_2_1_1_i_headline_negative_only_dropped),
    cmocka_unit_test(R8_5_2_1_1_j_headline_one_non_negative),
    cmocka_unit_test(R8_5_2_1_1_k_headline_to_all_non_negative),
    cmocka_unit_test(R8_5_2_1_1_l_error_to_bare_dropped),
    cmocka_unit_test(R8_5_2_1_1_m_negative_priority_never_gets_bare_messages),
    cmocka_unit_test(R8_5_2_1_1_n_negative_only_like_no_resources),
    cmocka_unit_test(R8_5_2_1_2_a_presence_to_all_available),
    cmocka_unit_test(R8_5_2_1_2_b_subscription_handled),
    cmocka_unit_test(R8_5_2_1_2_c_probe_handled),
    cmocka_unit_test(R8_5_2_1_3_a_iq_to_bare_handled_never_delivered),
    cmocka_unit_test(R8_5_2_1_3_b_iq_fallback_service_unavailable),
    cmocka_unit_test(R8_5_2_2_1_a_no_resources_normal_chat_stored_or_bounced),
    cmocka_unit_test(R8_5_2_2_1_b_no_resources_groupchat_bounced),
    cmocka_unit_test(R8_5_2_2_1_c_no_resources_headline_error_dropped),
    cmocka_unit_test(R8_5_2_2_2_a_no_resources_presence_dropped),
    cmocka_unit_test(R8_5_2_2_2_b_no_resources_subscription_handled),
    cmocka_unit_test(R8_5_2_2_2_c_no_resources_probe_handled),
    cmocka_unit_test(R8_5_2_2_3_a_no_resources_iq_handled),
    cmocka_unit_test(R8_5_3_1_a_iq_request_from_stranger_not_delivered),
    cmocka_unit_test(R8_5_3_1_b_iq_request_from_stranger_bounced),
    cmocka_unit_test(R8_5_3_1_c_iq_result_error_delivered),
    cmocka_unit_test(R8_5_3_1_d_message_to_matching_resource),
    cmocka_unit_test(R8_5_3_1_e_presence_to_matching_resource),
    cmocka_unit_test(R8_5_3_1_f_subscription_to_matching_handled),
    cmocka_unit_test(R8_5_3_1_g_probe_to_matching_handled),
    cmocka_unit_test(R8_5_3_2_1_a_normal_groupchat_headline_to_gone_resource),
    cmocka_unit_test(R8_5_3_2_1_b_chat_to_gone_resource_no_resources),
    cmocka_unit_test(R8_5_3_2_1_c_chat_to_gone_resource_negative_only),
    cmocka_unit_test(R8_5_3_2_1_d_chat_to_gone_resource_one_non_negative),
    cmocka_unit_test(R8_5_3_2_1_e_chat_to_gone_resource_several),
    cmocka_unit_test(R8_5_3_2_1_f_error_to_gone_resource_dropped),
    cmocka_unit_test(R8_5_3_2_2_a_presence_to_gone_resource_dropped),
    cmocka_unit_test(R8_5_3_2_2_b_subscribe_to_gone_resource_handled),
    cmocka_unit_test(R8_5_3_2_2_c_other_subscription_to_gone_resource_ignored),
    cmocka_unit_test(R8_5_3_2_2_d_probe_to_gone_resource_handled),
    cmocka_unit_test(R8_5_3_2_3_a_iq_to_gone_resource_bounced),
    cmocka_unit_test(R6_a_every_iq_request_answered),
    cmocka_unit_test(C8_3_1_f_no_error_answers_an_error),
    cmocka_unit_test(C13_10_2_a_one_error_for_bare_and_full),
    cmocka_unit_test(C10_2_a_missing_account_answers_like_an_empty_one),
    cmocka_unit_test(R5_2_2_i_unknown_message_type_is_normal),
    cmocka_unit_test(delivery_is_pure_and_well_formed),
    cmocka_unit_test(delivery_ties_and_order),
    cmocka_unit_test(delivery_connected_but_unavailable),
    cmocka_unit_test(delivery_targets_buffer),
    cmocka_unit_test(delivery_bad_arguments),
    cmocka_unit_test(delivery_classify_stanzas),
    cmocka_unit_test(delivery_action_names),
  };
  return cmocka_run_group_tests_name("rfc6121-delivery", tests, NULL, NULL);
}
