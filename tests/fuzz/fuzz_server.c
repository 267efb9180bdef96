/*
 * libFuzzer target for the server core (xmppim_server with the in-memory
 * store): arbitrary stanzas from local resources and remote servers, with
 * every stanza the core hands out checked, and the rosters checked against
 * what the core committed to the store.
 *
 * Per input: a server for example.com (and chat.example.com, local without
 * users) with users alice, bob and carol in a memory store, and small
 * limits (8 items, names and groups of 16 bytes, 3 groups per item, a
 * change log of 4, 2 kept requests of at most 512 bytes) so that every
 * limit is reached. The store is the memory store behind a thin wrapper
 * that keeps a shadow copy of every contact the core saves or deletes.
 *
 * The input is a program of records separated by '\n'. The first byte of a
 * record chooses the action (its value modulo 8), the second its argument
 * (its value minus '0', modulo 10), so that seeds read as text:
 *   'b' k    bind resource k (0-8: alice, bob, carol x r1, r2, r3);
 *   'u' k    unbind it (the core sends its unavailable presence);
 *   'f' n    make the next n % 4 store writes fail;
 *   'o' N    make the server's (N+1)-th allocation from now fail (N: the
 *            decimal digits that follow, up to 4);
 *   any other first byte (say 's'), then k: the rest of the record is XML
 *            that the resource k (9: a remote server) sends: each child
 *            element of <w xmlns='jabber:client'>REST</w> that is a
 *            message, presence or iq of jabber:client (or, from the remote
 *            server, of jabber:server) goes to the core.
 * A first record that starts with '!' sets options: 'p' pre-approval off,
 * 'a' normal messages to all non-negative resources, 'o' no offline
 * storage (else the memory store keeps 3 messages per user).
 * As a host would: a local stanza's 'from' is stamped with the resource's
 * full JID (the bare JID for subscription presence), as the server session
 * does; a remote stanza keeps its 'from' unless it has none or names a
 * local domain (a host verifies it; then it is dave@remote.example/desk),
 * and is not handed over at all without a 'to' that is a JID (RFC 6120
 * 8.1.1.1: a host refuses it on the server-to-server stream).
 *
 * Checked on every call:
 *  - xmppim_server_handle_stanza() returns 1 or 0 for a bound sender or a
 *    remote stanza with a usable 'from', XMPPIM_ERR_INVALID_ARGUMENT for an
 *    unbound sender or an unusable 'from' (then nothing goes out); nothing
 *    goes out when it returns 0 (the host's business), nor for a remote
 *    stanza for a non-local domain; an iq request gets at most one answer
 *    (result or error, same id) and exactly one when it is for the sender's
 *    own roster; bind and unbind return 0, or -101 / NOT_FOUND exactly when
 *    the resource was bound / not bound (nothing goes out for the latter,
 *    and nothing to the resource that is going).
 *  - every delivered or routed stanza serializes (snprintf contract),
 *    parses back equal (fz_round_trip), is a jabber:client stanza; a
 *    delivered one goes to a bound resource, its 'to' naming that account;
 *    a routed one goes to a non-local domain (named by its 'to'), has a
 *    'from' of a local domain, and goes to the remote sender's domain when
 *    a remote stanza caused it, or comes from the sending user when a local
 *    one did; no stanza but a message goes twice to one address in a call.
 *  - a roster push (a roster set without 'from') goes only to a resource
 *    that asked for the roster (R2.2-b), has a 'ver' and exactly one valid
 *    item within the limits, and the item is what the store holds for that
 *    contact right then (or a removal when it holds no item); outside a
 *    roster get it carries the stored version. A roster set that succeeded
 *    pushed to every interested resource of the user.
 *  - a full roster result lists exactly the items in the store, each as
 *    stored, no JID twice.
 *  - a resource's own presence coming back to it (R4.2.2-b) tells the
 *    harness whether it is available and with what priority: subscription
 *    requests go only to available resources of non-negative priority,
 *    subscription answers only to interested ones, presence for the account
 *    only to available ones, messages for the account only to available
 *    ones of non-negative priority.
 *  - every contact saved is a prepared bare JID, not empty, within the
 *    item limits, pre-approved only with pre-approval on; a kept request is
 *    the contact's subscribe to the user, at most 512 bytes, only while the
 *    contact's request is pending; at most 8 items and 2 kept requests per
 *    user; the store's contact count follows the saves and deletes. A
 *    message kept offline is the user's, and not an error, groupchat or
 *    headline; taking them leaves none.
 *  - after an allocation failure ('o') the call may return NOMEM and send
 *    less; the answers are not counted and the sender's interest and
 *    availability are unknown until seen again; all else stays checked.
 * After the program: a get from each user's resources still bound, then
 * everything unbound, and for each user a fresh resource that gets the
 * roster (reloaded from the store: exactly the stored items, the stored
 * version), a versioned get with that version (an empty result), and
 * initial presence (each kept request redelivered once, as kept, the kept
 * messages, and nothing else but the resource's own presence).
 *
 * Roster versions start from a random epoch (getrandom in server.c); the
 * getrandom below makes it a constant, 00c0ffee, so that an input can name
 * versions ("00c0ffee-3") and reach the versioned paths.
 */
#define _GNU_SOURCE /* syscall() */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <xmppim/memory_store.h>
#include <xmppim/roster.h>
#include <xmppim/server.h>
#include <xmppim/subscription.h>

#include "fuzz_common.h"
#include "im/server_impl.h" /* the memory store's callbacks, to wrap them; IM_PUSH_ID_PREFIX */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_EPOCH 0x00c0ffeeu

/* The one getrandom() call of server.c (new_epoch: 4 bytes, GRND_NONBLOCK)
 * gets the constant epoch; every other caller the real thing. */
ssize_t getrandom(void *buf, size_t len, unsigned int flags) {
  if (len == sizeof(uint32_t) && flags == GRND_NONBLOCK) {
    uint32_t e = FZ_EPOCH;
    memcpy(buf, &e, sizeof(e));
    return (ssize_t)len;
  }
  return (ssize_t)syscall(SYS_getrandom, buf, len, flags);
}

#define NS_CLIENT "jabber:client"
#define NS_SERVER "jabber:server"
#define NUSERS 3
#define NRES 9          /* slot k: user k / 3, resource r(k % 3 + 1) */
#define SLOT_CHECK NRES /* the final checks' resource */
#define NSLOTS (NRES + 1)
#define REMOTE_DEFAULT "dave@remote.example/desk"

#define MAX_ITEMS 8
#define MAX_NAME 16
#define MAX_GROUP 16
#define MAX_GROUPS 3
#define VERSION_LOG 4
#define PENDING_PER_USER 2
#define PENDING_BYTES 512

#define MAX_RECORDS 256
#define MAX_STANZAS_PER_RECORD 16
#define MAX_CAPTURE 64

static const char *const users[NUSERS] = {"alice@example.com", "bob@example.com", "carol@example.com"};

/* ------------------------------------------------------------ the shadow store */

typedef struct sh_contact {
  char *jid;
  char *name;
  char **groups;
  size_t ngroups;
  xmppim_sub_state state;
  int approved, in_roster;
  char *pending;
} sh_contact;

typedef struct sh_user {
  sh_contact *v;
  size_t n, cap;
} sh_user;

static char *xstrdup(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (!p) fz_fail("harness out of memory");
  memcpy(p, s, n);
  return p;
}

static int str_eq(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return strcmp(a, b) == 0;
}

static void sh_clear(sh_contact *c) {
  free(c->jid);
  free(c->name);
  for (size_t i = 0; i < c->ngroups; i++) free(c->groups[i]);
  free(c->groups);
  free(c->pending);
  memset(c, 0, sizeof(*c));
}

static sh_contact *sh_find(const sh_user *u, const char *jid) {
  for (size_t i = 0; i < u->n; i++)
    if (strcmp(u->v[i].jid, jid) == 0) return &u->v[i];
  return NULL;
}

static void sh_put(sh_user *u, const xmppim_contact *c) {
  sh_contact *s = sh_find(u, xmppim_contact_jid(c));
  if (s) {
    sh_clear(s);
  } else {
    if (u->n == u->cap) {
      u->cap = u->cap ? 2 * u->cap : 8;
      u->v = realloc(u->v, u->cap * sizeof(*u->v));
      if (!u->v) fz_fail("harness out of memory");
    }
    s = &u->v[u->n++];
    memset(s, 0, sizeof(*s));
  }
  s->jid = xstrdup(xmppim_contact_jid(c));
  s->name = xstrdup(xmppim_contact_name(c));
  s->ngroups = xmppim_contact_group_count(c);
  s->groups = s->ngroups ? calloc(s->ngroups, sizeof(*s->groups)) : NULL;
  if (s->ngroups && !s->groups) fz_fail("harness out of memory");
  for (size_t i = 0; i < s->ngroups; i++) s->groups[i] = xstrdup(xmppim_contact_group(c, i));
  s->state = xmppim_contact_state(c);
  s->approved = xmppim_contact_approved(c) != 0;
  s->in_roster = xmppim_contact_in_roster(c) != 0;
  s->pending = xstrdup(xmppim_contact_pending_request(c));
}

static void sh_remove(sh_user *u, const char *jid) {
  sh_contact *s = sh_find(u, jid);
  if (!s) return;
  sh_clear(s);
  *s = u->v[--u->n];
}

static size_t sh_items(const sh_user *u) {
  size_t n = 0;
  for (size_t i = 0; i < u->n; i++) n += u->v[i].in_roster != 0;
  return n;
}

static size_t sh_pending(const sh_user *u) {
  size_t n = 0;
  for (size_t i = 0; i < u->n; i++) n += u->v[i].pending != NULL;
  return n;
}

static void sh_free(sh_user *u) {
  for (size_t i = 0; i < u->n; i++) sh_clear(&u->v[i]);
  free(u->v);
  memset(u, 0, sizeof(*u));
}

/* ------------------------------------------------------------------ harness */

typedef struct call {
  int active;
  int sender;                   /* slot, or -1 for a remote server */
  const xmppim_jid *remote;     /* the remote sender's 'from' */
  const xmppim_stanza *request; /* what was handed to the core */
  unsigned delivered, routed;
  unsigned answers;             /* iq result/error to the sender */
  unsigned answers_other_id;    /* ... with another id than the request's */
  unsigned results_to_sender;
  unsigned pushes[NSLOTS];
  xmppim_stanza *result;        /* the first iq result to the sender (copy) */
  uint64_t sent[256];           /* what went where, to spot a stanza sent twice */
  size_t nsent;
  int echo;                     /* the sender's own presence came back */
} call;

typedef struct harness {
  xmppim_memory_store *store;
  xmppim_store_load_roster_cb load;
  xmppim_store_save_contact_cb save;
  xmppim_store_delete_contact_cb del;
  xmppim_store_offline_put_cb offline_put;
  xmppim_store_offline_take_cb offline_take;
  xmppim_store_last_presence_put_cb last_put;
  xmppim_store_last_presence_get_cb last_get;
  void *store_data;
  xmppim_server *srv;
  xmppim_jid *slot[NSLOTS];
  /* interested and available: 1 or 0, or -1 when an allocation failure
   * left it unknown (no check then until it is known again). */
  int bound[NSLOTS], interested[NSLOTS];
  int available[NSLOTS], priority[NSLOTS]; /* as its own presence came back to it */
  long fail_in;  /* 'o': the fail_in-th allocation of the server from now fails */
  int nomem;     /* it did, in the call under way */
  sh_user shadow[NUSERS];
  int preapproval;
  call c;
  int capture; /* keep copies of what is delivered (final checks) */
  xmppim_stanza *captured[MAX_CAPTURE];
  size_t ncaptured;
} harness;

static int user_index(const char *bare) {
  for (int i = 0; i < NUSERS; i++)
    if (bare && strcmp(bare, users[i]) == 0) return i;
  return -1;
}

static xmppim_jid *jid_or_null(const char *s) {
  xmppim_jid *j = NULL;
  if (!s || xmppim_jid_new(&j, s, strlen(s), NULL) != 0) return NULL;
  return j;
}

static int is(const xmppim_stanza *el, const char *name, const char *ns) {
  return strcmp(xmppim_stanza_name(el), name) == 0 && str_eq(xmppim_stanza_ns(el), ns);
}

static int attr_is(const xmppim_stanza *el, const char *name, const char *value) {
  return str_eq(xmppim_stanza_attr(el, name), value);
}

static size_t child_count(const xmppim_stanza *el) {
  size_t n = 0;
  for (xmppim_stanza *c = xmppim_stanza_first_child(el); c; c = xmppim_stanza_next_sibling(c)) n++;
  return n;
}

static const char *show(const xmppim_stanza *st, char *buf, size_t cap) {
  size_t need = 0;
  if (xmppim_stanza_serialize(st, NULL, buf, cap, &need) != 0 && cap > 4) memcpy(buf + cap - 4, "...", 4);
  return buf;
}

#define SHOW(st) show((st), (char[1024]){0}, 1024)

/* FZ_TRACE=1 in the environment prints every stanza in and out. */
static int tracing(void) {
  static int t = -1;
  if (t < 0) t = getenv("FZ_TRACE") != NULL;
  return t;
}

/* ------------------------------------------------------------ stanza checks */

/* Valid as an item of a push or a result, within the server's limits. */
static void check_item_shape(const xmppim_stanza *item, int may_remove, const char *what) {
  if (!is(item, "item", XMPPIM_NS_ROSTER)) fz_fail("%s: <%s/> where an item belongs", what, xmppim_stanza_name(item));
  const char *jid = xmppim_stanza_attr(item, "jid");
  xmppim_jid *j = jid_or_null(jid);
  if (!j || xmppim_jid_resource(j) || strcmp(xmppim_jid_bare_string(j), jid) != 0)
    fz_fail("%s: item jid '%s' is not a prepared bare JID", what, jid ? jid : "(none)");
  xmppim_jid_free(j);
  const char *sub = xmppim_stanza_attr(item, "subscription"), *ask = xmppim_stanza_attr(item, "ask");
  const char *approved = xmppim_stanza_attr(item, "approved"), *name = xmppim_stanza_attr(item, "name");
  if (sub && strcmp(sub, "remove") == 0) {
    if (!may_remove) fz_fail("%s: a removal in a roster result", what);
    if (ask || approved || name || xmppim_stanza_first_child(item))
      fz_fail("%s: a removal carries more than its jid: %s", what, SHOW(item));
    return;
  }
  if (!sub || xmppim_sub_state_from_attrs(sub, ask, 0) < 0)
    fz_fail("%s: item with subscription '%s' ask '%s'", what, sub ? sub : "(none)", ask ? ask : "(none)");
  if (approved && strcmp(approved, "true") != 0) fz_fail("%s: approved='%s'", what, approved);
  if (name && (!*name || strlen(name) > MAX_NAME)) fz_fail("%s: item name of %zu bytes", what, strlen(name));
  size_t n = 0;
  for (xmppim_stanza *g = xmppim_stanza_first_child(item); g; g = xmppim_stanza_next_sibling(g), n++) {
    if (!is(g, "group", XMPPIM_NS_ROSTER)) fz_fail("%s: <%s/> in an item", what, xmppim_stanza_name(g));
    const char *t = xmppim_stanza_text(g);
    if (!*t || strlen(t) > MAX_GROUP) fz_fail("%s: group name of %zu bytes", what, strlen(t));
    for (xmppim_stanza *h = xmppim_stanza_first_child(item); h != g; h = xmppim_stanza_next_sibling(h))
      if (strcmp(xmppim_stanza_text(h), t) == 0) fz_fail("%s: group '%s' twice in an item", what, t);
  }
  if (n > MAX_GROUPS) fz_fail("%s: item in %zu groups", what, n);
}

/* The item says what the store holds for its contact (c NULL: nothing). */
static void check_item_is(const xmppim_stanza *item, const sh_contact *c, const char *what) {
  const char *jid = xmppim_stanza_attr(item, "jid");
  const char *sub = xmppim_stanza_attr(item, "subscription");
  if (!c || !c->in_roster) {
    if (!attr_is(item, "subscription", "remove"))
      fz_fail("%s: item %s, but the store holds no item for %s", what, SHOW(item), jid);
    return;
  }
  if (!str_eq(sub, xmppim_sub_subscription_attr(c->state)) || !attr_is(item, "ask", xmppim_sub_ask(c->state)) ||
      (xmppim_stanza_attr(item, "approved") != NULL) != c->approved || !attr_is(item, "name", c->name))
    fz_fail("%s: item %s, but the store holds state %s approved %d name '%s'", what, SHOW(item),
            xmppim_sub_state_name(c->state), c->approved, c->name ? c->name : "(none)");
  size_t n = 0;
  for (xmppim_stanza *g = xmppim_stanza_first_child(item); g; g = xmppim_stanza_next_sibling(g), n++)
    if (n >= c->ngroups || strcmp(xmppim_stanza_text(g), c->groups[n]) != 0)
      fz_fail("%s: item %s, groups differ from the store's (%zu)", what, SHOW(item), c->ngroups);
  if (n != c->ngroups) fz_fail("%s: item %s has %zu groups, the store %zu", what, SHOW(item), n, c->ngroups);
}

/* A full roster (the query of a result) against the store. */
static void check_full_roster(harness *h, const xmppim_stanza *query, int user, const char *what) {
  const sh_user *u = &h->shadow[user];
  if (!xmppim_stanza_attr(query, "ver")) fz_fail("%s: roster result without 'ver' (R2.6.3-l)", what);
  unsigned char *seen = calloc(u->n + 1, 1);
  if (!seen) fz_fail("harness out of memory");
  size_t n = 0;
  for (xmppim_stanza *it = xmppim_stanza_first_child(query); it; it = xmppim_stanza_next_sibling(it), n++) {
    check_item_shape(it, 0, what);
    const char *jid = xmppim_stanza_attr(it, "jid");
    const sh_contact *c = sh_find(u, jid);
    if (!c || !c->in_roster) fz_fail("%s: %s lists %s, for which the store holds no item", what, users[user], jid);
    size_t k = (size_t)(c - u->v);
    if (seen[k]) fz_fail("%s: %s lists %s twice", what, users[user], jid);
    seen[k] = 1;
    check_item_is(it, c, what);
  }
  free(seen);
  if (n != sh_items(u))
    fz_fail("%s: %s's roster has %zu items, the store %zu (of %zu contacts)", what, users[user], n, sh_items(u), u->n);
}

static void check_push(harness *h, int s, const xmppim_stanza *iq) {
  if (!h->interested[s] && !(h->nomem && s == h->c.sender))
    fz_fail("roster push to %s, which never asked for the roster (R2.2-b): %s", xmppim_jid_to_string(h->slot[s]),
            SHOW(iq));
  const char *id = xmppim_stanza_attr(iq, "id");
  if (!id || strncmp(id, IM_PUSH_ID_PREFIX, strlen(IM_PUSH_ID_PREFIX)) != 0 || child_count(iq) != 1)
    fz_fail("roster push with id '%s' and %zu children", id ? id : "(none)", child_count(iq));
  const xmppim_stanza *q = xmppim_stanza_first_child(iq);
  const char *ver = xmppim_stanza_attr(q, "ver");
  if (!ver) fz_fail("roster push without 'ver' (R2.6.3-i): %s", SHOW(iq));
  if (child_count(q) != 1) fz_fail("roster push with %zu items: %s", child_count(q), SHOW(iq));
  const xmppim_stanza *item = xmppim_stanza_first_child(q);
  check_item_shape(item, 1, "roster push");
  int user = s == SLOT_CHECK ? user_index(xmppim_jid_bare_string(h->slot[s])) : s / 3;
  check_item_is(item, sh_find(&h->shadow[user], xmppim_stanza_attr(item, "jid")), "roster push");
  /* Pushes of deltas (answering a versioned get) carry the version of each
   * change; every other push the version just stored. */
  const xmppim_stanza *rq = h->c.request;
  int get = rq && strcmp(xmppim_stanza_name(rq), "iq") == 0 && attr_is(rq, "type", "get");
  const char *stored = xmppim_memory_store_version(h->store, users[user]);
  if (!get && !str_eq(ver, stored))
    fz_fail("roster push with ver '%s', the store holds '%s'", ver, stored ? stored : "(none)");
  h->c.pushes[s]++;
}

/* What goes out, either way. */
static void check_out(const xmppim_stanza *st, const char *what) {
  if (!st) fz_fail("%s: NULL stanza", what);
  if (!(is(st, "iq", NS_CLIENT) || is(st, "message", NS_CLIENT) || is(st, "presence", NS_CLIENT)))
    fz_fail("%s: not a jabber:client stanza: %s", what, SHOW(st));
  if (xmppim_stanza_parent(st)) fz_fail("%s: not a root", what);
  fz_round_trip(st, what);
}

static int is_iq_request(const xmppim_stanza *st) {
  const char *type = st ? xmppim_stanza_attr(st, "type") : NULL;
  return st && strcmp(xmppim_stanza_name(st), "iq") == 0 && type && (strcmp(type, "get") == 0 || strcmp(type, "set") == 0);
}

/* An iq result or error for the sender of an iq request. */
static void note_answer(harness *h, const xmppim_stanza *st) {
  const char *type = xmppim_stanza_attr(st, "type");
  if (!is_iq_request(h->c.request) || !is(st, "iq", NS_CLIENT) || !type ||
      (strcmp(type, "result") != 0 && strcmp(type, "error") != 0))
    return;
  h->c.answers++;
  if (!h->c.request || !str_eq(xmppim_stanza_attr(st, "id"), xmppim_stanza_attr(h->c.request, "id")))
    h->c.answers_other_id++;
  if (strcmp(type, "result") == 0) {
    h->c.results_to_sender++;
    if (!h->c.result && xmppim_stanza_copy(&h->c.result, st, NULL) != 0) fz_fail("harness out of memory");
    /* R2.2-b: a roster get makes its resource interested, before the
     * pushes of deltas that may follow the result. */
    const xmppim_stanza *rq = h->c.request;
    if (h->c.sender >= 0 && attr_is(rq, "type", "get") && xmppim_stanza_find_child(rq, "query", XMPPIM_NS_ROSTER))
      h->interested[h->c.sender] = 1;
  }
}

/* The same stanza to the same address twice in one call is a bug (not for
 * messages: a user may have been sent the same one twice while offline). */
static void check_once(harness *h, const char *to, const xmppim_stanza *st) {
  size_t len = 0;
  int rv = xmppim_stanza_serialize(st, NULL, NULL, 0, &len);
  char *xml = rv == XMPPIM_ERR_BUFFER_TOO_SMALL ? malloc(len + 1) : NULL;
  if (!xml || xmppim_stanza_serialize(st, NULL, xml, len + 1, &len) != 0) fz_fail("serializing for check_once");
  uint64_t key = fz_hash((const uint8_t *)xml, len) ^ (fz_hash((const uint8_t *)to, strlen(to)) * 31);
  for (size_t i = 0; i < h->c.nsent; i++)
    if (h->c.sent[i] == key) fz_fail("sent twice to %s in one call: %s", to, xml);
  if (h->c.nsent < sizeof(h->c.sent) / sizeof(h->c.sent[0])) h->c.sent[h->c.nsent++] = key;
  free(xml);
}

static int presence_priority(const xmppim_stanza *st) {
  for (xmppim_stanza *c = xmppim_stanza_first_child(st); c; c = xmppim_stanza_next_sibling(c))
    if (is(c, "priority", NS_CLIENT)) return (int)strtol(xmppim_stanza_text(c), NULL, 10);
  return 0;
}

/*
 * Presence to local resource s. Its own broadcast coming back to it
 * (R4.2.2-b, R4.5.2-e) tells the harness whether it is available, and with
 * what priority; then: requests go to available resources of non-negative
 * priority (R3.1.3-h), answers to interested ones (R3.1.6-b, R3.2.3-b,
 * R3.3.3-b), presence for the account to available ones (R4.2.3-a).
 */
static void check_presence_to(harness *h, int s, const xmppim_stanza *st) {
  /* After an allocation failed in this call the sender's echo may be the
   * stanza that failed: the model is unknown until the call ends. */
  if (h->nomem && s == h->c.sender) return;
  if (strcmp(xmppim_stanza_name(st), "message") == 0) {
    /* Bare-JID rules see available resources of non-negative priority only
     * (R8.5.2.1.1; the offline flush too). */
    xmppim_jid *to = jid_or_null(xmppim_stanza_attr(st, "to"));
    if (to && !xmppim_jid_resource(to) && (!h->available[s] || (h->available[s] == 1 && h->priority[s] < 0)))
      fz_fail("a message for the account to %s, %s: %s", xmppim_jid_to_string(h->slot[s]),
              h->available[s] ? "of negative priority" : "not available", SHOW(st));
    xmppim_jid_free(to);
    return;
  }
  if (strcmp(xmppim_stanza_name(st), "presence") != 0) return;
  const char *type = xmppim_stanza_attr(st, "type"), *me = xmppim_jid_to_string(h->slot[s]);
  const xmppim_stanza *rq = h->c.request;
  if (s == h->c.sender && rq && strcmp(xmppim_stanza_name(rq), "presence") == 0 && !xmppim_stanza_attr(rq, "to") &&
      attr_is(st, "from", me) && attr_is(st, "to", me)) {
    if (!type) {
      h->available[s] = 1;
      h->priority[s] = presence_priority(st);
    } else if (strcmp(type, "unavailable") == 0) {
      h->available[s] = 0;
    }
    h->c.echo = 1;
    return;
  }
  xmppim_jid *to = jid_or_null(xmppim_stanza_attr(st, "to"));
  int bare = to && !xmppim_jid_resource(to);
  xmppim_jid_free(to);
  int sub = xmppim_sub_stanza_from_type(type);
  if (sub == XMPPIM_SUB_SUBSCRIBE) {
    if (!h->available[s] || (h->available[s] == 1 && h->priority[s] < 0))
      fz_fail("a subscription request to %s, %s (R3.1.3-h): %s", me,
              h->available[s] ? "of negative priority" : "not available", SHOW(st));
  } else if (sub >= 0) {
    if (!h->interested[s]) fz_fail("%s to %s, which never asked for the roster: %s", type, me, SHOW(st));
  } else if ((!type || strcmp(type, "unavailable") == 0) && bare && !h->available[s]) {
    fz_fail("presence for the account to %s, which is not available: %s", me, SHOW(st));
  }
}

static int on_deliver(xmppim_server *srv, const xmppim_jid *to, const xmppim_stanza *st, void *ud) {
  harness *h = ud;
  if (srv != h->srv || !h->c.active) fz_fail("deliver outside xmppim_server_handle_stanza()");
  if (tracing()) fprintf(stderr, "   deliver %s: %s\n", xmppim_jid_to_string(to), SHOW(st));
  check_out(st, "delivered");
  int s = -1;
  for (int i = 0; i < NSLOTS && s < 0; i++)
    if (h->bound[i] && xmppim_jid_equal(h->slot[i], to)) s = i;
  if (s < 0) fz_fail("delivered to %s, which is not bound: %s", xmppim_jid_to_string(to), SHOW(st));
  xmppim_jid *sto = jid_or_null(xmppim_stanza_attr(st, "to"));
  if (!sto || !xmppim_jid_bare_equal(sto, to))
    fz_fail("delivered to %s a stanza for someone else: %s", xmppim_jid_to_string(to), SHOW(st));
  xmppim_jid_free(sto);
  /* A push comes from the server: no 'from' (a roster set another client
   * sent to this full JID is only delivered, R2.1.6-c). */
  if (is(st, "iq", NS_CLIENT) && attr_is(st, "type", "set") && !xmppim_stanza_attr(st, "from") &&
      xmppim_stanza_find_child(st, "query", XMPPIM_NS_ROSTER))
    check_push(h, s, st);
  if (s == h->c.sender) note_answer(h, st);
  check_presence_to(h, s, st);
  if (strcmp(xmppim_stanza_name(st), "message") != 0) check_once(h, xmppim_jid_to_string(to), st);
  if (h->capture) {
    if (h->ncaptured == MAX_CAPTURE) fz_fail("more than %d stanzas for one resource in a final check", MAX_CAPTURE);
    if (xmppim_stanza_copy(&h->captured[h->ncaptured++], st, NULL) != 0) fz_fail("harness out of memory");
  }
  h->c.delivered++;
  /* The third resource of each user is always going away (ignored by the core). */
  return s < NRES && s % 3 == 2 ? XMPPIM_ERR_INVALID_STATE : 0;
}

static int on_route(xmppim_server *srv, const xmppim_jid *to, const xmppim_stanza *st, void *ud) {
  harness *h = ud;
  if (srv != h->srv || !h->c.active) fz_fail("route outside xmppim_server_handle_stanza()");
  if (tracing()) fprintf(stderr, "   route %s: %s\n", xmppim_jid_to_string(to), SHOW(st));
  check_out(st, "routed");
  if (xmppim_server_is_local(srv, xmppim_jid_domain(to)))
    fz_fail("routed to %s, a local domain: %s", xmppim_jid_to_string(to), SHOW(st));
  xmppim_jid *sto = jid_or_null(xmppim_stanza_attr(st, "to"));
  if (!sto || !xmppim_jid_equal(sto, to)) fz_fail("routed to %s a stanza for: %s", xmppim_jid_to_string(to), SHOW(st));
  xmppim_jid_free(sto);
  xmppim_jid *from = jid_or_null(xmppim_stanza_attr(st, "from"));
  if (!from || !xmppim_server_is_local(srv, xmppim_jid_domain(from)))
    fz_fail("routed without a 'from' of a local domain: %s", SHOW(st));
  if (h->c.sender < 0) {
    if (strcmp(xmppim_jid_domain(to), xmppim_jid_domain(h->c.remote)) != 0)
      fz_fail("a stanza from %s made the core route to %s: %s", xmppim_jid_to_string(h->c.remote),
              xmppim_jid_to_string(to), SHOW(st));
    note_answer(h, st);
  } else if (!xmppim_jid_bare_equal(from, h->slot[h->c.sender])) {
    fz_fail("a stanza of %s made the core route one from %s: %s", xmppim_jid_to_string(h->slot[h->c.sender]),
            xmppim_jid_to_string(from), SHOW(st));
  }
  xmppim_jid_free(from);
  if (strcmp(xmppim_stanza_name(st), "message") != 0) check_once(h, xmppim_jid_to_string(to), st);
  h->c.routed++;
  return strncmp(xmppim_jid_domain(to), "unreachable", 11) == 0 ? XMPPIM_ERR_NOT_FOUND : 0;
}

/* ------------------------------------------------------------ store wrapper */

static void check_saved(harness *h, int user, const xmppim_contact *c, const char *version) {
  const char *jid = xmppim_contact_jid(c);
  xmppim_jid *j = jid_or_null(jid);
  if (!j || xmppim_jid_resource(j) || strcmp(xmppim_jid_bare_string(j), jid) != 0)
    fz_fail("saved contact '%s' is not a prepared bare JID", jid ? jid : "(null)");
  xmppim_jid_free(j);
  if (!version || !*version) fz_fail("saved without a version");
  xmppim_sub_state state = xmppim_contact_state(c);
  if ((unsigned)state >= XMPPIM_SUB_STATE_COUNT) fz_fail("saved state %d", (int)state);
  const char *pending = xmppim_contact_pending_request(c);
  if (!xmppim_contact_in_roster(c) && !pending && !xmppim_contact_approved(c) && state == XMPPIM_SUB_STATE_NONE)
    fz_fail("saved an empty contact %s (it should be deleted)", jid);
  if (xmppim_contact_approved(c) && !h->preapproval) fz_fail("saved a pre-approval with pre-approval off (R3.4-a)");
  const char *name = xmppim_contact_name(c);
  if (name && (!*name || strlen(name) > MAX_NAME)) fz_fail("saved a name of %zu bytes", strlen(name));
  size_t ng = xmppim_contact_group_count(c);
  if (ng > MAX_GROUPS) fz_fail("saved %zu groups", ng);
  for (size_t i = 0; i < ng; i++) {
    const char *g = xmppim_contact_group(c, i);
    if (!g || !*g || strlen(g) > MAX_GROUP) fz_fail("saved group %zu of %zu bytes", i, g ? strlen(g) : 0);
    for (size_t k = 0; k < i; k++)
      if (strcmp(xmppim_contact_group(c, k), g) == 0) fz_fail("saved group '%s' twice", g);
  }
  if (pending) {
    if (!xmppim_sub_pending_in(state))
      fz_fail("%s keeps a request of %s in state %s, where none is pending", users[user], jid,
              xmppim_sub_state_name(state));
    if (strlen(pending) > PENDING_BYTES) fz_fail("kept a request of %zu bytes", strlen(pending));
    xmppim_stanza *p = NULL;
    if (xmppim_stanza_parse(&p, pending, strlen(pending), NULL, NULL) != 0)
      fz_fail("kept a request that does not parse: %s", pending);
    xmppim_jid *from = jid_or_null(xmppim_stanza_attr(p, "from"));
    if (!is(p, "presence", NS_CLIENT) || !attr_is(p, "type", "subscribe") || !attr_is(p, "to", users[user]) || !from ||
        strcmp(xmppim_jid_bare_string(from), jid) != 0)
      fz_fail("kept for %s as the request of %s: %s", users[user], jid, pending);
    xmppim_jid_free(from);
    xmppim_stanza_free(p);
  }
}

static void check_store(harness *h, int user) {
  const sh_user *u = &h->shadow[user];
  size_t count = xmppim_memory_store_contact_count(h->store, users[user]);
  if (count != u->n) fz_fail("the memory store holds %zu contacts of %s, saves and deletes left %zu", count, users[user], u->n);
  if (sh_items(u) > MAX_ITEMS) fz_fail("%s has %zu items, over the limit of %d", users[user], sh_items(u), MAX_ITEMS);
  if (sh_pending(u) > PENDING_PER_USER)
    fz_fail("%s keeps %zu requests, over the limit of %d", users[user], sh_pending(u), PENDING_PER_USER);
}

static int w_load(void *data, const char *user, xmppim_roster_loader *loader) {
  harness *h = data;
  int rv = h->load(h->store_data, user, loader);
  /* The loader allocates with the server's allocator ('o'). */
  if (h->nomem && rv == XMPPIM_ERR_NOMEM) return rv;
  if (user_index(user) >= 0 ? rv != 0 : rv != XMPPIM_ERR_NOT_FOUND)
    fz_fail("loading the roster of '%s' returned %d (%s)", user, rv, xmppim_strerror(rv));
  return rv;
}

static int w_save(void *data, const char *user, const xmppim_contact *c, const char *version) {
  harness *h = data;
  int u = user_index(user);
  if (u < 0) fz_fail("saved a contact of '%s', who is not a user", user);
  check_saved(h, u, c, version);
  int rv = h->save(h->store_data, user, c, version);
  if (rv == 0)
    sh_put(&h->shadow[u], c);
  else if (rv != XMPPIM_ERR_INTERNAL) /* the failures 'f' asks for */
    fz_fail("the memory store's save returned %d", rv);
  check_store(h, u);
  return rv;
}

static int w_delete(void *data, const char *user, const char *jid, const char *version) {
  harness *h = data;
  int u = user_index(user);
  if (u < 0) fz_fail("deleted a contact of '%s', who is not a user", user);
  if (!jid || !version || !*version) fz_fail("delete without a jid or version");
  int rv = h->del(h->store_data, user, jid, version);
  if (rv == 0)
    sh_remove(&h->shadow[u], jid);
  else if (rv != XMPPIM_ERR_INTERNAL)
    fz_fail("the memory store's delete returned %d", rv);
  check_store(h, u);
  return rv;
}

/* Only normal and chat messages for the user are kept (R8.5.2.2.1); an
 * unknown type counts as normal (R5.2.2-i). */
static int w_offline_put(void *data, const char *user, const xmppim_stanza *m) {
  harness *h = data;
  int u = user_index(user);
  if (u < 0) fz_fail("an offline message kept for '%s', who is not a user", user);
  const char *type = xmppim_stanza_attr(m, "type");
  xmppim_jid *to = jid_or_null(xmppim_stanza_attr(m, "to"));
  if (!is(m, "message", NS_CLIENT) ||
      (type && (strcmp(type, "error") == 0 || strcmp(type, "groupchat") == 0 || strcmp(type, "headline") == 0)) || !to ||
      strcmp(xmppim_jid_bare_string(to), user) != 0 || !xmppim_stanza_attr(m, "from"))
    fz_fail("kept offline for %s: %s", user, SHOW(m));
  xmppim_jid_free(to);
  int rv = h->offline_put(h->store_data, user, m);
  if (rv != 0 && rv != XMPPIM_ERR_LIMIT) fz_fail("the memory store's offline_put returned %d", rv);
  return rv;
}

static int w_offline_take(void *data, const char *user, xmppim_offline_message_cb deliver, void *ctx) {
  harness *h = data;
  if (user_index(user) < 0) fz_fail("offline messages taken for '%s', who is not a user", user);
  int rv = h->offline_take(h->store_data, user, deliver, ctx);
  if (rv != 0 || xmppim_memory_store_offline_count(h->store, user))
    fz_fail("offline_take for %s returned %d and left %zu", user, rv, xmppim_memory_store_offline_count(h->store, user));
  return rv;
}

/* The last unavailable presence a user sent (R4.3.2-g): kept only for a
 * user, only an unavailable from one of that user's resources, or NULL to
 * forget it. */
static int w_last_put(void *data, const char *user, const xmppim_stanza *p) {
  harness *h = data;
  if (user_index(user) < 0) fz_fail("a last presence kept for '%s', who is not a user", user);
  if (p) {
    const char *type = xmppim_stanza_attr(p, "type");
    xmppim_jid *from = jid_or_null(xmppim_stanza_attr(p, "from"));
    if (!is(p, "presence", NS_CLIENT) || !type || strcmp(type, "unavailable") != 0 || !from ||
        !xmppim_jid_resource(from) || strcmp(xmppim_jid_bare_string(from), user) != 0 || xmppim_stanza_attr(p, "to"))
      fz_fail("kept as %s's last presence: %s", user, SHOW(p));
    xmppim_jid_free(from);
  }
  int rv = h->last_put(h->store_data, user, p);
  if (rv != 0) fz_fail("the memory store's last presence put returned %d", rv);
  return rv;
}

static int w_last_get(void *data, const char *user, xmppim_stanza **out) {
  harness *h = data;
  if (user_index(user) < 0) fz_fail("a last presence asked for '%s', who is not a user", user);
  return h->last_get(h->store_data, user, out);
}

/* The server's allocator: fails the fail_in-th allocation once ('o'). */
static int fail_now(harness *h) {
  if (h->fail_in <= 0 || --h->fail_in > 0) return 0;
  h->nomem = 1;
  return 1;
}
static void *m_malloc(size_t n, void *ud) { return fail_now(ud) ? NULL : malloc(n); }
static void *m_calloc(size_t n, size_t size, void *ud) { return fail_now(ud) ? NULL : calloc(n, size); }
static void *m_realloc(void *p, size_t n, void *ud) { return fail_now(ud) ? NULL : realloc(p, n); }
static void m_free(void *p, void *ud) {
  (void)ud;
  free(p);
}

/* ------------------------------------------------------------ setup, actions */

#define OFFLINE_LIMIT 3

/* opts: the first record when it starts with '!' ('p' pre-approval off,
 * 'a' normal messages to all resources, 'o' no offline storage). */
static void setup(harness *h, const uint8_t *opts, size_t nopts) {
  int preapproval = !memchr(opts, 'p', nopts), to_all = memchr(opts, 'a', nopts) != NULL;
  memset(h, 0, sizeof(*h));
  h->preapproval = preapproval;
  if (xmppim_memory_store_new(&h->store, NULL) != 0) fz_fail("xmppim_memory_store_new");
  for (int i = 0; i < NUSERS; i++)
    if (xmppim_memory_store_add_user(h->store, users[i]) != 0) fz_fail("xmppim_memory_store_add_user");
  xmppim_memory_store_set_offline_limit(h->store, memchr(opts, 'o', nopts) ? 0 : OFFLINE_LIMIT);
  xmppim_server_callbacks *cb;
  if (xmppim_server_callbacks_new(&cb) != 0) fz_fail("xmppim_server_callbacks_new");
  xmppim_memory_store_install(h->store, cb);
  h->load = cb->load_roster;
  h->save = cb->save_contact;
  h->del = cb->delete_contact;
  h->offline_put = cb->offline_put;
  h->offline_take = cb->offline_take;
  h->last_put = cb->last_put;
  h->last_get = cb->last_get;
  h->store_data = cb->store_data;
  if (!h->load || !h->save || !h->del || !h->offline_put || !h->offline_take || !h->last_put || !h->last_get ||
      h->store_data != h->store)
    fz_fail("xmppim_memory_store_install() left a store callback unset");
  xmppim_server_callbacks_set_load_roster(cb, w_load);
  xmppim_server_callbacks_set_save_contact(cb, w_save);
  xmppim_server_callbacks_set_delete_contact(cb, w_delete);
  xmppim_server_callbacks_set_offline(cb, w_offline_put, w_offline_take);
  xmppim_server_callbacks_set_last_presence(cb, w_last_put, w_last_get);
  xmppim_server_callbacks_set_store_data(cb, h);
  xmppim_server_callbacks_set_deliver(cb, on_deliver);
  xmppim_server_callbacks_set_route(cb, on_route);
  xmppim_server_options *opt;
  if (xmppim_server_options_new(&opt) != 0 || xmppim_server_options_set_max_roster_items(opt, MAX_ITEMS) != 0 ||
      xmppim_server_options_set_item_limits(opt, MAX_NAME, MAX_GROUP, MAX_GROUPS) != 0 ||
      xmppim_server_options_set_version_log(opt, VERSION_LOG) != 0 ||
      xmppim_server_options_set_pending_limits(opt, PENDING_PER_USER, PENDING_BYTES) != 0 ||
      xmppim_server_options_set_preapproval(opt, preapproval) != 0 ||
      xmppim_server_options_set_normal_to_all(opt, to_all) != 0)
    fz_fail("server options");
  xmppim_mem mem = {h, m_malloc, m_free, m_calloc, m_realloc};
  if (xmppim_server_new(&h->srv, cb, h, opt, &mem) != 0) fz_fail("xmppim_server_new");
  xmppim_server_callbacks_free(cb);
  xmppim_server_options_free(opt);
  if (xmppim_server_add_domain(h->srv, "example.com") != 0 || xmppim_server_add_domain(h->srv, "chat.example.com") != 0)
    fz_fail("xmppim_server_add_domain");
  for (int k = 0; k < NRES; k++) {
    char full[64];
    snprintf(full, sizeof(full), "%s/r%d", users[k / 3], k % 3 + 1);
    h->slot[k] = jid_or_null(full);
    if (!h->slot[k]) fz_fail("harness JID %s", full);
  }
}

static void teardown(harness *h) {
  xmppim_server_free(h->srv);
  xmppim_memory_store_free(h->store);
  for (int k = 0; k < NSLOTS; k++) xmppim_jid_free(h->slot[k]);
  for (int i = 0; i < NUSERS; i++) sh_free(&h->shadow[i]);
}

static void do_bind(harness *h, int k) {
  h->nomem = 0;
  int rv = xmppim_server_resource_bound(h->srv, h->slot[k]);
  int want = h->bound[k] ? XMPPIM_ERR_INVALID_ARGUMENT : 0;
  if (h->nomem && rv == XMPPIM_ERR_NOMEM && !h->bound[k]) return; /* not bound */
  if (rv != want)
    fz_fail("binding %s (%s bound) returned %d (%s), expected %d", xmppim_jid_to_string(h->slot[k]),
            h->bound[k] ? "already" : "not", rv, xmppim_strerror(rv), want);
  if (!h->bound[k]) h->interested[k] = h->available[k] = h->priority[k] = 0;
  h->bound[k] = 1;
}

static void call_reset(harness *h) {
  xmppim_stanza_free(h->c.result);
  memset(&h->c, 0, sizeof(h->c));
}

/* Unbinding sends the resource's unavailable presence (R4.5.2-f): a call
 * with that resource as the sender, which is no longer bound to get any. */
static void do_unbind(harness *h, int k) {
  int was = h->bound[k];
  h->bound[k] = h->interested[k] = h->available[k] = h->priority[k] = 0;
  call_reset(h);
  h->c.active = 1;
  h->c.sender = k;
  h->nomem = 0;
  int rv = xmppim_server_resource_unbound(h->srv, h->slot[k]);
  h->c.active = 0;
  int want = was ? 0 : XMPPIM_ERR_NOT_FOUND;
  if (rv != want || (!was && h->c.delivered + h->c.routed))
    fz_fail("unbinding %s (%s bound) returned %d (%s), expected %d, and sent %u stanzas",
            xmppim_jid_to_string(h->slot[k]), was ? "" : "not", rv, xmppim_strerror(rv), want,
            h->c.delivered + h->c.routed);
  if (h->c.answers || h->c.results_to_sender) fz_fail("unbinding %s answered something", xmppim_jid_to_string(h->slot[k]));
}

/* Hands one stanza to the core as slot s (-1: remote) and checks the call. */
static int handle(harness *h, int s, const xmppim_jid *remote, const xmppim_stanza *st) {
  call_reset(h);
  h->c.active = 1;
  h->c.sender = s;
  h->c.remote = remote;
  h->c.request = st;
  h->nomem = 0;
  int rv = xmppim_server_handle_stanza(h->srv, s >= 0 ? h->slot[s] : NULL, st);
  h->c.active = 0;
  if (h->nomem) {
    /* An allocation failed: what the core answered and sent is partial and
     * no more checked for this call; interest and availability of the
     * sender may or may not have changed. */
    if (tracing())
      fprintf(stderr, "%s -> %d (allocation failed): %s\n", s >= 0 ? xmppim_jid_to_string(h->slot[s]) : "remote", rv,
              SHOW(st));
    if (s >= 0 && h->bound[s] && rv != 0 && rv != 1 && rv != XMPPIM_ERR_NOMEM)
      fz_fail("xmppim_server_handle_stanza() returned %d (%s) after an allocation failure", rv, xmppim_strerror(rv));
    if (s >= 0 && h->bound[s]) {
      if (h->interested[s] != 1) h->interested[s] = -1;
      if (!h->c.echo) h->available[s] = -1;
    }
    return rv;
  }
  if (tracing())
    fprintf(stderr, "%s -> %d: %s\n", s >= 0 ? xmppim_jid_to_string(h->slot[s]) : "remote", rv, SHOW(st));
  const char *type = xmppim_stanza_attr(st, "type");
  unsigned out = h->c.delivered + h->c.routed;
  if ((s >= 0 && !h->bound[s]) || (s < 0 && !remote)) {
    if (rv != XMPPIM_ERR_INVALID_ARGUMENT || out)
      fz_fail("a stanza from %s returned %d and sent %u stanzas; expected -101 and none: %s",
              s >= 0 ? "an unbound resource" : "an unusable 'from'", rv, out, SHOW(st));
    return rv;
  }
  if (rv != 0 && rv != 1)
    fz_fail("xmppim_server_handle_stanza() returned %d (%s) for %s: %s", rv, xmppim_strerror(rv),
            s >= 0 ? xmppim_jid_to_string(h->slot[s]) : "a remote server", SHOW(st));
  if (rv == 0 && out)
    fz_fail("a stanza the core leaves to the host (0) made it send %u stanzas: %s", out, SHOW(st));
  xmppim_jid *to = jid_or_null(xmppim_stanza_attr(st, "to"));
  if (s < 0 && to && !xmppim_server_is_local(h->srv, xmppim_jid_domain(to)) && out)
    fz_fail("a remote stanza for another domain made the core send %u stanzas: %s", out, SHOW(st));
  int request = is_iq_request(st);
  /* At most one answer to a request, with its id (RFC 6120 8.2.3); exactly
   * one when it is for the sender's own roster, which the core answers. */
  int own_roster = s >= 0 && request && xmppim_stanza_find_child(st, "query", XMPPIM_NS_ROSTER) &&
                   (!to || (xmppim_jid_is_bare(to) && xmppim_jid_bare_equal(to, h->slot[s])));
  xmppim_jid_free(to);
  if (h->c.answers > 1 || h->c.answers_other_id || (own_roster && (rv != 1 || h->c.answers != 1)))
    fz_fail("an iq %s (rv %d) got %u answers (%u with another id): %s", type, rv, h->c.answers, h->c.answers_other_id,
            SHOW(st));
  if (s >= 0 && request && h->c.results_to_sender && xmppim_stanza_find_child(st, "query", XMPPIM_NS_ROSTER)) {
    int user = s == SLOT_CHECK ? user_index(xmppim_jid_bare_string(h->slot[s])) : s / 3;
    if (strcmp(type, "get") == 0) {
      const xmppim_stanza *q = xmppim_stanza_find_child(h->c.result, "query", XMPPIM_NS_ROSTER);
      if (q) check_full_roster(h, q, user, "roster result");
      else if (child_count(h->c.result)) fz_fail("roster result with other content: %s", SHOW(h->c.result));
    } else {
      for (int j = 0; j < NSLOTS; j++) {
        int same = j == SLOT_CHECK ? s == SLOT_CHECK : j / 3 == user;
        if (same && h->bound[j] && h->interested[j] == 1 && !h->c.pushes[j])
          fz_fail("a roster set succeeded without a push to %s (R2.3.2-c): %s", xmppim_jid_to_string(h->slot[j]),
                  SHOW(st));
      }
    }
  }
  return rv;
}

static int is_subscription(const xmppim_stanza *st) {
  return strcmp(xmppim_stanza_name(st), "presence") == 0 && xmppim_sub_stanza_from_type(xmppim_stanza_attr(st, "type")) >= 0;
}

/* Stamps the stanza as the host would and hands it over. */
static void feed_one(harness *h, int s, xmppim_stanza *st) {
  if (s < NRES) {
    const char *from = is_subscription(st) ? xmppim_jid_bare_string(h->slot[s]) : xmppim_jid_to_string(h->slot[s]);
    if (xmppim_stanza_set_attr(st, "from", from) != 0) fz_fail("stamping 'from'");
    handle(h, s, NULL, st);
    return;
  }
  xmppim_jid *to = jid_or_null(xmppim_stanza_attr(st, "to"));
  if (!to) return; /* no usable 'to': refused on the server-to-server stream */
  xmppim_jid_free(to);
  const char *from_s = xmppim_stanza_attr(st, "from");
  xmppim_jid *from = NULL;
  if (from_s && xmppim_jid_new(&from, from_s, strlen(from_s), NULL) != 0) {
    handle(h, -1, NULL, st); /* a 'from' that is no JID */
    return;
  }
  if (!from || xmppim_server_is_local(h->srv, xmppim_jid_domain(from))) {
    xmppim_jid_free(from);
    from = jid_or_null(REMOTE_DEFAULT);
    if (xmppim_stanza_set_attr(st, "from", REMOTE_DEFAULT) != 0) fz_fail("stamping 'from'");
  }
  handle(h, -1, from, st);
  xmppim_jid_free(from);
}

static void feed(harness *h, int s, const uint8_t *xml, size_t len) {
  static const char open[] = "<w xmlns='jabber:client'>", close[] = "</w>";
  fz_buf b = {0};
  fz_buf_add(&b, open, strlen(open));
  fz_buf_add(&b, xml, len);
  fz_buf_add(&b, close, strlen(close));
  xmppim_stanza *w = NULL;
  if (xmppim_stanza_parse(&w, b.data, b.len, NULL, NULL) == 0) {
    int n = 0;
    for (xmppim_stanza *e = xmppim_stanza_first_child(w); e && n < MAX_STANZAS_PER_RECORD;
         e = xmppim_stanza_next_sibling(e), n++) {
      /* A remote server's stanza may be in jabber:server, as read from its
       * stream: the core takes it into jabber:client itself. */
      const char *ns = s < NRES ? NS_CLIENT : str_eq(xmppim_stanza_ns(e), NS_SERVER) ? NS_SERVER : NS_CLIENT;
      if (!(is(e, "iq", ns) || is(e, "message", ns) || is(e, "presence", ns))) continue;
      xmppim_stanza *st;
      if (xmppim_stanza_copy(&st, e, NULL) != 0) fz_fail("harness out of memory");
      feed_one(h, s, st);
      xmppim_stanza_free(st);
    }
  }
  xmppim_stanza_free(w);
  fz_buf_free(&b);
}

static void run_record(harness *h, const uint8_t *rec, size_t len) {
  if (len == 0) return;
  int arg = len > 1 ? (uint8_t)(rec[1] - '0') % 10 : 0;
  switch (rec[0] % 8) {
  case 'b' % 8:
    do_bind(h, arg % NRES);
    break;
  case 'u' % 8:
    do_unbind(h, arg % NRES);
    break;
  case 'f' % 8:
    xmppim_memory_store_fail_next(h->store, (unsigned)arg % 4);
    break;
  case 'o' % 8: {
    /* The decimal number after 'o' (up to 4 digits): fail that allocation. */
    long n = 0;
    for (size_t i = 1; i < len && i < 5 && rec[i] >= '0' && rec[i] <= '9'; i++) n = 10 * n + (rec[i] - '0');
    h->fail_in = n + 1;
    break;
  }
  default:
    if (len > 2) feed(h, arg, rec + 2, len - 2);
    break;
  }
}

/* ------------------------------------------------------------ final checks */

static void capture_clear(harness *h) {
  for (size_t i = 0; i < h->ncaptured; i++) xmppim_stanza_free(h->captured[i]);
  h->ncaptured = 0;
}

static xmppim_stanza *parse_str(const char *xml) {
  xmppim_stanza *st = NULL;
  if (xmppim_stanza_parse(&st, xml, strlen(xml), NULL, NULL) != 0) fz_fail("harness stanza does not parse: %s", xml);
  return st;
}

/* A roster get from slot s; returns the copy of the result (caller frees). */
static xmppim_stanza *roster_get(harness *h, int s, const char *ver, const char *id) {
  char xml[256];
  if (ver)
    snprintf(xml, sizeof(xml), "<iq xmlns='jabber:client' type='get' id='%s'><query xmlns='jabber:iq:roster' ver='%s'/></iq>",
             id, ver);
  else
    snprintf(xml, sizeof(xml), "<iq xmlns='jabber:client' type='get' id='%s'><query xmlns='jabber:iq:roster'/></iq>", id);
  xmppim_stanza *st = parse_str(xml);
  if (xmppim_stanza_set_attr(st, "from", xmppim_jid_to_string(h->slot[s])) != 0) fz_fail("stamping 'from'");
  int rv = handle(h, s, NULL, st);
  if (rv != 1 || !h->c.result) fz_fail("roster get %s: returned %d, %u results", id, rv, h->c.results_to_sender);
  xmppim_stanza_free(st);
  xmppim_stanza *res = h->c.result;
  h->c.result = NULL;
  return res;
}

static void final_check_user(harness *h, int user) {
  char full[64];
  snprintf(full, sizeof(full), "%s/check", users[user]);
  xmppim_jid_free(h->slot[SLOT_CHECK]);
  h->slot[SLOT_CHECK] = jid_or_null(full);
  do_bind(h, SLOT_CHECK);
  const char *stored = xmppim_memory_store_version(h->store, users[user]);

  /* The roster as reloaded from the store. */
  xmppim_stanza *res = roster_get(h, SLOT_CHECK, NULL, "final-1");
  const xmppim_stanza *q = xmppim_stanza_find_child(res, "query", XMPPIM_NS_ROSTER);
  if (!q) fz_fail("final roster get: a result without the roster: %s", SHOW(res));
  const char *ver = xmppim_stanza_attr(q, "ver");
  if (stored && !str_eq(ver, stored)) fz_fail("reloaded roster of %s has ver '%s', the store '%s'", users[user], ver, stored);
  char *ver_copy = xstrdup(ver);
  xmppim_stanza_free(res);

  /* R2.6.3-a: the same version again is an empty result and no pushes. */
  h->capture = 1;
  res = roster_get(h, SLOT_CHECK, ver_copy, "final-2");
  if (child_count(res) || h->ncaptured != 1)
    fz_fail("versioned get with the current version '%s': %zu stanzas, result %s", ver_copy, h->ncaptured, SHOW(res));
  xmppim_stanza_free(res);
  free(ver_copy);
  capture_clear(h);

  /* R3.1.3-l: initial presence brings each kept request, once, as kept,
   * and the kept messages (besides its own presence, R4.2.2-b; nobody
   * else is online). */
  size_t offline = xmppim_memory_store_offline_count(h->store, users[user]);
  xmppim_stanza *p = parse_str("<presence xmlns='jabber:client'/>");
  if (xmppim_stanza_set_attr(p, "from", full) != 0) fz_fail("stamping 'from'");
  int rv = handle(h, SLOT_CHECK, NULL, p);
  xmppim_stanza_free(p);
  const sh_user *u = &h->shadow[user];
  size_t requests = 0, messages = 0;
  for (size_t i = 0; i < h->ncaptured; i++) {
    requests += is(h->captured[i], "presence", NS_CLIENT) && attr_is(h->captured[i], "type", "subscribe");
    messages += is(h->captured[i], "message", NS_CLIENT);
  }
  if (rv != 1 || requests != sh_pending(u) || messages != offline)
    fz_fail("initial presence of %s returned %d and brought %zu requests and %zu messages (of %zu stanzas) for %zu kept "
            "requests and %zu kept messages",
            full, rv, requests, messages, h->ncaptured, sh_pending(u), offline);
  /* R4.3.2-f/g: each local contact it is subscribed to answers the probe
   * with unavailable (none of them is online), once. */
  size_t local_to = 0, unavailable = 0;
  for (size_t i = 0; i < u->n; i++) {
    xmppim_jid *cj = jid_or_null(u->v[i].jid);
    if (cj && xmppim_sub_is_to(u->v[i].state) && strcmp(u->v[i].jid, users[user]) != 0 &&
        xmppim_server_is_local(h->srv, xmppim_jid_domain(cj)))
      local_to++;
    xmppim_jid_free(cj);
  }
  for (size_t i = 0; i < h->ncaptured; i++) {
    const xmppim_stanza *st = h->captured[i];
    if (is(st, "message", NS_CLIENT)) continue;
    if (attr_is(st, "type", "unavailable")) {
      xmppim_jid *from = jid_or_null(xmppim_stanza_attr(st, "from"));
      const sh_contact *c = from ? sh_find(u, xmppim_jid_bare_string(from)) : NULL;
      xmppim_jid_free(from);
      if (!c || !xmppim_sub_is_to(c->state) || !attr_is(st, "to", full))
        fz_fail("initial presence of %s brought an unavailable from a non-contact: %s", full, SHOW(st));
      for (size_t k = 0; k < i; k++)
        if (xmppim_stanza_equal(h->captured[k], st)) fz_fail("probe answered twice: %s", SHOW(st));
      unavailable++;
      continue;
    }
    if (!attr_is(st, "type", "subscribe")) {
      if (!attr_is(st, "from", full) || xmppim_stanza_attr(st, "type"))
        fz_fail("initial presence of %s, with nobody else online, brought %s", full, SHOW(st));
      continue;
    }
    xmppim_jid *from = jid_or_null(xmppim_stanza_attr(st, "from"));
    const sh_contact *c = from ? sh_find(u, xmppim_jid_bare_string(from)) : NULL;
    xmppim_jid_free(from);
    if (!c || !c->pending) fz_fail("redelivered to %s a request nobody keeps: %s", full, SHOW(st));
    for (size_t k = 0; k < i; k++)
      if (xmppim_stanza_equal(h->captured[k], st)) fz_fail("redelivered twice: %s", SHOW(st));
    xmppim_stanza *kept = parse_str(c->pending);
    if (!xmppim_stanza_equal(kept, st))
      fz_fail("redelivered %s, but kept %s", SHOW(st), c->pending);
    xmppim_stanza_free(kept);
  }
  if (unavailable != local_to)
    fz_fail("initial presence of %s: %zu unavailable answers for %zu local contacts it is subscribed to", full,
            unavailable, local_to);
  capture_clear(h);
  h->capture = 0;
  do_unbind(h, SLOT_CHECK);
}

static void final_check(harness *h) {
  xmppim_memory_store_fail_next(h->store, 0);
  h->fail_in = 0;
  /* The rosters in memory, as the resources still bound see them. */
  for (int user = 0; user < NUSERS; user++)
    for (int k = user * 3; k < user * 3 + 3; k++)
      if (h->bound[k]) {
        xmppim_stanza_free(roster_get(h, k, NULL, "final-0"));
        break;
      }
  for (int k = 0; k < NRES; k++)
    if (h->bound[k]) do_unbind(h, k);
  for (int user = 0; user < NUSERS; user++) {
    check_store(h, user);
    final_check_user(h, user);
  }
  call_reset(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  harness *h = calloc(1, sizeof(*h));
  if (!h) fz_fail("harness out of memory");
  size_t nopts = 0;
  if (size > 0 && data[0] == '!')
    while (nopts < size && data[nopts] != '\n') nopts++;
  setup(h, data, nopts);
  size_t pos = 0;
  for (unsigned records = 0; pos < size && records < MAX_RECORDS; records++) {
    size_t end = pos;
    while (end < size && data[end] != '\n') end++;
    run_record(h, data + pos, end - pos);
    pos = end + 1;
  }
  final_check(h);
  teardown(h);
  free(h);
  return 0;
}
