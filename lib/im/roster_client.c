/*
 * The client's roster cache (RFC 6121 section 2): roster get, full and
 * empty results, pushes, roster sets, subscription presence, save/load.
 * Items live in one array in the server's order; lookups are linear,
 * which is fine for the rosters a client holds.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <xmppim/errors.h>
#include <xmppim/jid.h>
#include <xmppim/roster.h>

#include "util/mem.h"
#include "util/utf8.h"

struct xmppim_roster_item {
  char *jid;
  char *name; /* NULL: none */
  char **groups;
  size_t ngroups;
  xmppim_sub_state state;
  int approved;
};

typedef struct item_list {
  xmppim_roster_item *v;
  size_t n, cap;
} item_list;

/* Outlives the roster when a request is outstanding at free. */
typedef struct request_token {
  xmppim_roster *r;
  xmppim_mem mem;
} request_token;

/* One outstanding roster set or removal: it outlives the roster freed
 * before the answer (the roster then unhooks it), and names the contact
 * for the on_set_done report. */
typedef struct set_token {
  xmppim_roster *r;
  xmppim_mem mem;
  struct set_token *prev, *next;
  char jid[]; /* prepared bare JID */
} set_token;

struct xmppim_roster {
  xmppim_mem mem;
  xmppim_session *session;
  xmppim_roster_callbacks cb;
  void *user_data;
  int versioning; /* the application's wish (default 1); the server decides too */
  char *ver;
  item_list items;
  request_token *pending;
  set_token *sets; /* outstanding sets and removals */
  uint64_t sent; /* subscription presences sent, for their ids */
};

/* ---- items ---- */

static void item_clear(const xmppim_mem *m, xmppim_roster_item *it) {
  xmppim_mem_free(m, it->jid);
  xmppim_mem_free(m, it->name);
  for (size_t i = 0; i < it->ngroups; i++) xmppim_mem_free(m, it->groups[i]);
  xmppim_mem_free(m, it->groups);
  memset(it, 0, sizeof(*it));
}

static void list_clear(const xmppim_mem *m, item_list *l) {
  for (size_t i = 0; i < l->n; i++) item_clear(m, &l->v[i]);
  xmppim_mem_free(m, l->v);
  memset(l, 0, sizeof(*l));
}

static long list_find(const item_list *l, const char *jid) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i].jid, jid) == 0) return (long)i;
  return -1;
}

/* Takes ownership of *it (cleared on return either way). */
static int list_append(const xmppim_mem *m, item_list *l, xmppim_roster_item *it) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    xmppim_roster_item *v = xmppim_mem_realloc(m, l->v, cap * sizeof(*v));
    if (!v) {
      item_clear(m, it);
      return XMPPIM_ERR_NOMEM;
    }
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = *it;
  memset(it, 0, sizeof(*it));
  return 0;
}

static int item_has_group(const xmppim_roster_item *it, const char *g) {
  for (size_t i = 0; i < it->ngroups; i++)
    if (strcmp(it->groups[i], g) == 0) return 1;
  return 0;
}

/* Appends a group unless empty or already there. */
static int item_add_group(const xmppim_mem *m, xmppim_roster_item *it, const char *g, size_t len) {
  if (len == 0) return 0;
  char *copy = xmppim_mem_strndup(m, g, len);
  if (!copy) return XMPPIM_ERR_NOMEM;
  if (item_has_group(it, copy)) {
    xmppim_mem_free(m, copy);
    return 0;
  }
  char **v = xmppim_mem_realloc(m, it->groups, (it->ngroups + 1) * sizeof(*v));
  if (!v) {
    xmppim_mem_free(m, copy);
    return XMPPIM_ERR_NOMEM;
  }
  it->groups = v;
  it->groups[it->ngroups++] = copy;
  return 0;
}

static int items_equal(const xmppim_roster_item *a, const xmppim_roster_item *b) {
  if (a->state != b->state || a->approved != b->approved || a->ngroups != b->ngroups) return 0;
  if ((a->name == NULL) != (b->name == NULL)) return 0;
  if (a->name && strcmp(a->name, b->name) != 0) return 0;
  for (size_t i = 0; i < a->ngroups; i++)
    if (strcmp(a->groups[i], b->groups[i]) != 0) return 0;
  return 1;
}

/* Prepares a JID; 0 and a bare canonical copy in *out, or an error. */
static int prep_bare(const xmppim_mem *m, const char *s, size_t len, char **out) {
  xmppim_jid *j;
  int rv = xmppim_jid_new(&j, s, len, m);
  if (rv != 0) return rv == XMPPIM_ERR_NOMEM ? rv : XMPPIM_ERR_INVALID_ARGUMENT;
  if (!xmppim_jid_is_bare(j)) {
    xmppim_jid_free(j);
    return XMPPIM_ERR_INVALID_ARGUMENT;
  }
  const char *b = xmppim_jid_bare_string(j);
  *out = xmppim_mem_strndup(m, b, strlen(b));
  xmppim_jid_free(j);
  return *out ? 0 : XMPPIM_ERR_NOMEM;
}

/*
 * Reads an <item/> of a result (push = 0) or push (push = 1). Returns 0 with
 * *it filled, 1 for a push item with subscription='remove' (only jid
 * filled), XMPPIM_ERR_INVALID_ARGUMENT for an item without a usable jid,
 * or XMPPIM_ERR_NOMEM.
 */
static int item_parse(const xmppim_mem *m, const xmppim_stanza *el, int push,
                      xmppim_roster_item *it) {
  memset(it, 0, sizeof(*it));
  const char *jid = xmppim_stanza_attr(el, "jid");
  if (!jid) return XMPPIM_ERR_INVALID_ARGUMENT; /* R2.1.2.3-a */
  int rv = prep_bare(m, jid, strlen(jid), &it->jid);
  if (rv != 0) return rv;
  const char *sub = xmppim_stanza_attr(el, "subscription");
  if (push && sub && strcmp(sub, "remove") == 0) return 1;
  /* R2.1.2.5-b/c: other values are ignored, i.e. taken as the default. */
  if (sub && strcmp(sub, "none") != 0 && strcmp(sub, "to") != 0 && strcmp(sub, "from") != 0 &&
      strcmp(sub, "both") != 0)
    sub = NULL;
  const char *ask = xmppim_stanza_attr(el, "ask");
  if (ask && strcmp(ask, "subscribe") != 0) ask = NULL;
  int st = xmppim_sub_state_from_attrs(sub, ask, 0);
  if (st < 0) st = xmppim_sub_state_from_attrs(sub, NULL, 0); /* a contradicting ask */
  it->state = st < 0 ? XMPPIM_SUB_STATE_NONE : (xmppim_sub_state)st;
  const char *appr = xmppim_stanza_attr(el, "approved");
  it->approved = appr && (strcmp(appr, "true") == 0 || strcmp(appr, "1") == 0);
  const char *name = xmppim_stanza_attr(el, "name");
  if (name && *name) { /* R2.4.1-b: empty is none */
    it->name = xmppim_mem_strndup(m, name, strlen(name));
    if (!it->name) goto nomem;
  }
  for (xmppim_stanza *g = xmppim_stanza_first_child(el); g; g = xmppim_stanza_next_sibling(g)) {
    const char *ns = xmppim_stanza_ns(g);
    if (strcmp(xmppim_stanza_name(g), "group") != 0 || !ns || strcmp(ns, XMPPIM_NS_ROSTER) != 0)
      continue;
    const char *t = xmppim_stanza_text(g);
    if (item_add_group(m, it, t, strlen(t)) != 0) goto nomem;
  }
  return 0;
nomem:
  item_clear(m, it);
  return XMPPIM_ERR_NOMEM;
}

/* ---- object ---- */

int xmppim_roster_client_new(xmppim_roster **out, xmppim_session *session,
                             const xmppim_roster_callbacks *callbacks, void *user_data,
                             const xmppim_mem *mem) {
  if (out) *out = NULL;
  if (!out || !session || xmppim_session_role(session) != XMPPIM_ROLE_CLIENT)
    return XMPPIM_ERR_INVALID_ARGUMENT;
  const xmppim_mem *m = xmppim_mem_or_default(mem);
  xmppim_roster *r = xmppim_mem_calloc(m, 1, sizeof(*r));
  if (!r) return XMPPIM_ERR_NOMEM;
  r->mem = *m;
  r->session = session;
  if (callbacks) r->cb = *callbacks;
  r->user_data = user_data;
  r->versioning = 1;
  *out = r;
  return 0;
}

void xmppim_roster_free(xmppim_roster *r) {
  if (!r) return;
  if (r->pending) r->pending->r = NULL; /* the token frees itself with the answer */
  for (set_token *t = r->sets; t; t = t->next) t->r = NULL; /* likewise */
  list_clear(&r->mem, &r->items);
  xmppim_mem_free(&r->mem, r->ver);
  xmppim_mem mem = r->mem;
  xmppim_mem_free(&mem, r);
}

void xmppim_roster_set_versioning(xmppim_roster *r, int on) {
  if (r) r->versioning = on ? 1 : 0;
}

/* The informational stream features of RFC 6121, as the session read them
 * after authentication (R2.6.1-a, R3.4-b; RD-d). */
#define FEATURE_NS_ROSTERVER "urn:xmpp:features:rosterver"
#define FEATURE_NS_PREAPPROVAL "urn:xmpp:features:pre-approval"

/* R2.6.2-a: when the server advertised it; R2.6.2-b: never otherwise. */
static int use_versioning(const xmppim_roster *r) {
  return r->versioning && xmppim_session_peer_has_feature(r->session, "ver", FEATURE_NS_ROSTERVER);
}

static xmppim_stanza *find_query(const xmppim_stanza *iq) {
  return xmppim_stanza_find_child(iq, "query", XMPPIM_NS_ROSTER);
}

static void request_done(xmppim_session *s, xmppim_stanza *result, void *ud) {
  (void)s;
  request_token *t = ud;
  xmppim_roster *r = t->r;
  xmppim_mem mem = t->mem;
  xmppim_mem_free(&mem, t);
  if (!r) return;
  r->pending = NULL;
  const char *type = result ? xmppim_stanza_attr(result, "type") : NULL;
  if (!type || strcmp(type, "result") != 0) {
    if (r->cb.on_request_done) r->cb.on_request_done(r, XMPPIM_ERR_NOT_FOUND, r->user_data);
    return;
  }
  xmppim_stanza *q = find_query(result);
  if (!q) { /* R2.6.3-c: unchanged, pushes follow */
    if (r->cb.on_request_done) r->cb.on_request_done(r, 0, r->user_data);
    return;
  }
  item_list fresh = {0};
  char *ver = NULL;
  const char *v = xmppim_stanza_attr(q, "ver");
  if (v && !(ver = xmppim_mem_strndup(&r->mem, v, strlen(v)))) goto nomem;
  for (xmppim_stanza *el = xmppim_stanza_first_child(q); el; el = xmppim_stanza_next_sibling(el)) {
    const char *ns = xmppim_stanza_ns(el);
    if (strcmp(xmppim_stanza_name(el), "item") != 0 || !ns || strcmp(ns, XMPPIM_NS_ROSTER) != 0)
      continue;
    xmppim_roster_item it;
    int rv = item_parse(&r->mem, el, 0, &it);
    if (rv == XMPPIM_ERR_NOMEM) goto nomem;
    if (rv != 0) continue; /* an item without a usable jid is skipped */
    if (list_find(&fresh, it.jid) >= 0) { /* each item is one unique contact: first wins */
      item_clear(&r->mem, &it);
      continue;
    }
    if (list_append(&r->mem, &fresh, &it) != 0) goto nomem;
  }
  list_clear(&r->mem, &r->items);
  r->items = fresh;
  xmppim_mem_free(&r->mem, r->ver);
  r->ver = ver;
  if (r->cb.on_reset) r->cb.on_reset(r, r->user_data);
  if (r->cb.on_request_done) r->cb.on_request_done(r, 1, r->user_data);
  return;
nomem:
  list_clear(&r->mem, &fresh);
  xmppim_mem_free(&r->mem, ver);
  if (r->cb.on_request_done) r->cb.on_request_done(r, XMPPIM_ERR_NOMEM, r->user_data);
}

int xmppim_roster_request(xmppim_roster *r) {
  if (!r) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (r->pending) return XMPPIM_ERR_INVALID_STATE;
  xmppim_stanza *iq, *q;
  int rv = xmppim_stanza_new(&iq, &r->mem, "iq", "jabber:client");
  if (rv != 0) return rv;
  if ((rv = xmppim_stanza_set_attr(iq, "type", "get")) != 0 ||
      (rv = xmppim_stanza_add_child(iq, "query", XMPPIM_NS_ROSTER, &q)) != 0 ||
      (use_versioning(r) && (rv = xmppim_stanza_set_attr(q, "ver", r->ver ? r->ver : "")) != 0)) {
    xmppim_stanza_free(iq);
    return rv;
  }
  request_token *t = xmppim_mem_malloc(&r->mem, sizeof(*t));
  if (!t) {
    xmppim_stanza_free(iq);
    return XMPPIM_ERR_NOMEM;
  }
  t->r = r;
  t->mem = r->mem;
  rv = xmppim_session_send_iq(r->session, iq, request_done, t);
  xmppim_stanza_free(iq);
  if (rv != 0) {
    xmppim_mem_free(&r->mem, t);
    return rv;
  }
  r->pending = t;
  return 0;
}

/* Is the push's from absent or the account's bare JID (R2.1.6-c)? */
static int push_from_ok(xmppim_roster *r, const char *from, int *nomem) {
  if (!from) return 1;
  const xmppim_jid *me = xmppim_session_jid(r->session);
  if (!me) return 0;
  xmppim_jid *j;
  int rv = xmppim_jid_new(&j, from, strlen(from), &r->mem);
  if (rv == XMPPIM_ERR_NOMEM) *nomem = 1;
  if (rv != 0) return 0;
  int ok = xmppim_jid_is_bare(j) && strcmp(xmppim_jid_bare_string(j), xmppim_jid_bare_string(me)) == 0;
  xmppim_jid_free(j);
  return ok;
}

static int reply_result(xmppim_roster *r, const xmppim_stanza *push) {
  xmppim_stanza *res;
  int rv = xmppim_stanza_new(&res, &r->mem, "iq", "jabber:client");
  if (rv != 0) return rv;
  const char *id = xmppim_stanza_attr(push, "id");
  if ((rv = xmppim_stanza_set_attr(res, "type", "result")) == 0 && id)
    rv = xmppim_stanza_set_attr(res, "id", id);
  const char *from = xmppim_stanza_attr(push, "from");
  if (rv == 0 && from) rv = xmppim_stanza_set_attr(res, "to", from);
  if (rv == 0) rv = xmppim_session_send(r->session, res);
  xmppim_stanza_free(res);
  return rv;
}

static int reply_bad_request(xmppim_roster *r, const xmppim_stanza *push) {
  xmppim_stanza *err;
  int rv = xmppim_stanza_error_reply(&err, push, XMPPIM_STANZA_ERROR_TYPE_MODIFY,
                                     XMPPIM_STANZA_COND_BAD_REQUEST, NULL, NULL, &r->mem);
  if (rv != 0) return rv;
  rv = xmppim_session_send(r->session, err);
  xmppim_stanza_free(err);
  return rv;
}

int xmppim_roster_handle_stanza(xmppim_roster *r, const xmppim_stanza *st) {
  if (!r || !st) return 0;
  const char *type = xmppim_stanza_attr(st, "type");
  if (strcmp(xmppim_stanza_name(st), "iq") != 0 || !type || strcmp(type, "set") != 0) return 0;
  xmppim_stanza *q = find_query(st);
  if (!q) return 0;
  int nomem = 0;
  if (!push_from_ok(r, xmppim_stanza_attr(st, "from"), &nomem))
    return nomem ? XMPPIM_ERR_NOMEM : 1; /* R2.1.6-c/d/e: ignored, not answered */
  xmppim_stanza *only = NULL;
  size_t n = 0;
  for (xmppim_stanza *el = xmppim_stanza_first_child(q); el; el = xmppim_stanza_next_sibling(el)) {
    const char *ns = xmppim_stanza_ns(el);
    if (strcmp(xmppim_stanza_name(el), "item") == 0 && ns && strcmp(ns, XMPPIM_NS_ROSTER) == 0) {
      only = el;
      n++;
    }
  }
  if (n != 1) { /* R2.1.6-b */
    int rv = reply_bad_request(r, st);
    return rv != 0 ? rv : 1;
  }
  xmppim_roster_item it;
  int rv = item_parse(&r->mem, only, 1, &it);
  if (rv == XMPPIM_ERR_NOMEM) return rv;
  if (rv < 0) {
    rv = reply_bad_request(r, st);
    return rv != 0 ? rv : 1;
  }
  const char *v = xmppim_stanza_attr(q, "ver");
  char *ver = NULL;
  if (v && !(ver = xmppim_mem_strndup(&r->mem, v, strlen(v)))) {
    item_clear(&r->mem, &it);
    return XMPPIM_ERR_NOMEM;
  }
  /* Answer first: nothing below can fail except growing the array. */
  long at = list_find(&r->items, it.jid);
  if (rv == 0 && at < 0 && r->items.n == r->items.cap) {
    size_t cap = r->items.cap ? r->items.cap * 2 : 8;
    xmppim_roster_item *nv = xmppim_mem_realloc(&r->mem, r->items.v, cap * sizeof(*nv));
    if (!nv) {
      item_clear(&r->mem, &it);
      xmppim_mem_free(&r->mem, ver);
      return XMPPIM_ERR_NOMEM;
    }
    r->items.v = nv;
    r->items.cap = cap;
  }
  int srv = reply_result(r, st); /* R2.1.6-f */
  if (srv != 0) {
    item_clear(&r->mem, &it);
    xmppim_mem_free(&r->mem, ver);
    return srv;
  }
  if (ver) { /* R2.6.3-h: the push's version is the one to remember */
    xmppim_mem_free(&r->mem, r->ver);
    r->ver = ver;
  }
  if (rv == 1) { /* subscription='remove' */
    if (at >= 0) {
      char *jid = r->items.v[at].jid;
      r->items.v[at].jid = NULL;
      item_clear(&r->mem, &r->items.v[at]);
      memmove(&r->items.v[at], &r->items.v[at + 1],
              (r->items.n - (size_t)at - 1) * sizeof(r->items.v[0]));
      r->items.n--;
      if (r->cb.on_item_removed) r->cb.on_item_removed(r, jid, r->user_data);
      xmppim_mem_free(&r->mem, jid);
    }
    item_clear(&r->mem, &it);
    return 1;
  }
  if (at >= 0) {
    int same = items_equal(&r->items.v[at], &it);
    item_clear(&r->mem, &r->items.v[at]);
    r->items.v[at] = it;
    if (!same && r->cb.on_item_updated)
      r->cb.on_item_updated(r, &r->items.v[at], r->user_data);
  } else {
    r->items.v[r->items.n++] = it;
    if (r->cb.on_item_added)
      r->cb.on_item_added(r, &r->items.v[r->items.n - 1], r->user_data);
  }
  return 1;
}

/* ---- reading ---- */

const char *xmppim_roster_version(const xmppim_roster *r) { return r ? r->ver : NULL; }
size_t xmppim_roster_count(const xmppim_roster *r) { return r ? r->items.n : 0; }
const xmppim_roster_item *xmppim_roster_item_at(const xmppim_roster *r, size_t i) {
  return r && i < r->items.n ? &r->items.v[i] : NULL;
}
const xmppim_roster_item *xmppim_roster_find(const xmppim_roster *r, const char *jid) {
  if (!r || !jid) return NULL;
  char *key;
  if (prep_bare(&r->mem, jid, strlen(jid), &key) != 0) return NULL;
  long at = list_find(&r->items, key);
  xmppim_mem_free(&r->mem, key);
  return at >= 0 ? &r->items.v[at] : NULL;
}
const char *xmppim_roster_item_jid(const xmppim_roster_item *it) { return it ? it->jid : NULL; }
const char *xmppim_roster_item_name(const xmppim_roster_item *it) { return it ? it->name : NULL; }
size_t xmppim_roster_item_group_count(const xmppim_roster_item *it) { return it ? it->ngroups : 0; }
const char *xmppim_roster_item_group(const xmppim_roster_item *it, size_t i) {
  return it && i < it->ngroups ? it->groups[i] : NULL;
}
xmppim_sub_state xmppim_roster_item_state(const xmppim_roster_item *it) {
  return it ? it->state : XMPPIM_SUB_STATE_NONE;
}
const char *xmppim_roster_item_subscription(const xmppim_roster_item *it) {
  return it ? xmppim_sub_subscription_attr(it->state) : NULL;
}
const char *xmppim_roster_item_ask(const xmppim_roster_item *it) {
  return it ? xmppim_sub_ask(it->state) : NULL;
}
int xmppim_roster_item_approved(const xmppim_roster_item *it) { return it ? it->approved : 0; }

/* ---- sending ---- */

/* The answer to a roster set changes nothing in the cache: the push that
 * follows a success does (R2.3.2-c). It is only reported, so that a tool
 * can tell its user that the server refused. */
static void set_answered(xmppim_session *s, xmppim_stanza *result, void *ud) {
  (void)s;
  set_token *t = ud;
  xmppim_roster *r = t->r;
  if (r) {
    if (t->prev) t->prev->next = t->next;
    else r->sets = t->next;
    if (t->next) t->next->prev = t->prev;
  }
  if (r && r->cb.on_set_done) {
    const char *error = NULL;
    const char *type = result ? xmppim_stanza_attr(result, "type") : NULL;
    if (!result) {
      error = xmppim_stanza_condition_name(XMPPIM_STANZA_COND_REMOTE_SERVER_TIMEOUT);
    } else if (!type || strcmp(type, "result") != 0) {
      xmppim_stanza_error_info info;
      error = xmppim_stanza_error_parse(result, &info) >= 0
                  ? xmppim_stanza_condition_name(info.condition)
                  : xmppim_stanza_condition_name(XMPPIM_STANZA_COND_UNDEFINED_CONDITION);
    }
    r->cb.on_set_done(r, t->jid, error, r->user_data);
  }
  xmppim_mem mem = t->mem;
  xmppim_mem_free(&mem, t);
}

static int send_set(xmppim_roster *r, const char *jid, const char *name, const char *const *groups,
                    size_t ngroups, int remove) {
  if (!r || !jid || (ngroups && !groups)) return XMPPIM_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < ngroups; i++) {
    if (!groups[i] || !*groups[i]) return XMPPIM_ERR_INVALID_ARGUMENT;
    for (size_t k = 0; k < i; k++)
      if (strcmp(groups[i], groups[k]) == 0) return XMPPIM_ERR_INVALID_ARGUMENT;
  }
  char *key;
  int rv = prep_bare(&r->mem, jid, strlen(jid), &key);
  if (rv != 0) return rv;
  xmppim_stanza *iq, *q, *item, *g;
  rv = xmppim_stanza_new(&iq, &r->mem, "iq", "jabber:client");
  if (rv != 0) goto out_key;
  if ((rv = xmppim_stanza_set_attr(iq, "type", "set")) != 0 ||
      (rv = xmppim_stanza_add_child(iq, "query", XMPPIM_NS_ROSTER, &q)) != 0 ||
      (rv = xmppim_stanza_add_child(q, "item", NULL, &item)) != 0 ||
      (rv = xmppim_stanza_set_attr(item, "jid", key)) != 0)
    goto out;
  if (remove) {
    if ((rv = xmppim_stanza_set_attr(item, "subscription", "remove")) != 0) goto out;
  } else {
    if (name && *name && (rv = xmppim_stanza_set_attr(item, "name", name)) != 0) goto out;
    for (size_t i = 0; i < ngroups; i++)
      if ((rv = xmppim_stanza_add_child(item, "group", NULL, &g)) != 0 ||
          (rv = xmppim_stanza_add_text(g, groups[i], strlen(groups[i]))) != 0)
        goto out;
  }
  size_t keylen = strlen(key);
  set_token *t = xmppim_mem_malloc(&r->mem, sizeof(*t) + keylen + 1);
  if (!t) {
    rv = XMPPIM_ERR_NOMEM;
    goto out;
  }
  t->r = r;
  t->mem = r->mem;
  t->prev = NULL;
  memcpy(t->jid, key, keylen + 1);
  rv = xmppim_session_send_iq(r->session, iq, set_answered, t);
  if (rv != 0) {
    xmppim_mem_free(&r->mem, t);
  } else {
    t->next = r->sets;
    if (r->sets) r->sets->prev = t;
    r->sets = t;
  }
out:
  if (rv == XMPPIM_ERR_BAD_UTF8) rv = XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_stanza_free(iq);
out_key:
  xmppim_mem_free(&r->mem, key);
  return rv;
}

int xmppim_roster_set_item(xmppim_roster *r, const char *jid, const char *name,
                           const char *const *groups, size_t group_count) {
  return send_set(r, jid, name, groups, group_count, 0);
}

int xmppim_roster_remove_item(xmppim_roster *r, const char *jid) {
  return send_set(r, jid, NULL, NULL, 0, 1);
}

int xmppim_roster_send_subscription(xmppim_roster *r, const char *jid, xmppim_sub_stanza type) {
  const char *t = xmppim_sub_stanza_type(type);
  if (!r || !jid || !t) return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_jid *j;
  int rv = xmppim_jid_new(&j, jid, strlen(jid), &r->mem);
  if (rv != 0) return rv == XMPPIM_ERR_NOMEM ? rv : XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_stanza *p;
  rv = xmppim_stanza_new(&p, &r->mem, "presence", "jabber:client");
  if (rv == 0) {
    /* R3.1.1-b, R3.1.4-d: an id to track the answer by; our own, never the
     * request's (R3.1.4-e). Unique on this stream is enough. */
    char id[48];
    const char *sid = xmppim_session_stream_id(r->session);
    snprintf(id, sizeof(id), "xmppim-sub-%.12s-%llu", sid ? sid : "", (unsigned long long)++r->sent);
    if ((rv = xmppim_stanza_set_attr(p, "to", xmppim_jid_bare_string(j))) == 0 &&
        (rv = xmppim_stanza_set_attr(p, "type", t)) == 0 && (rv = xmppim_stanza_set_attr(p, "id", id)) == 0)
      rv = xmppim_session_send(r->session, p);
    xmppim_stanza_free(p);
  }
  xmppim_jid_free(j);
  return rv;
}

int xmppim_roster_subscribe(xmppim_roster *r, const char *jid) {
  return xmppim_roster_send_subscription(r, jid, XMPPIM_SUB_SUBSCRIBE);
}
int xmppim_roster_subscribed(xmppim_roster *r, const char *jid) {
  return xmppim_roster_send_subscription(r, jid, XMPPIM_SUB_SUBSCRIBED);
}
int xmppim_roster_unsubscribe(xmppim_roster *r, const char *jid) {
  return xmppim_roster_send_subscription(r, jid, XMPPIM_SUB_UNSUBSCRIBE);
}
int xmppim_roster_unsubscribed(xmppim_roster *r, const char *jid) {
  return xmppim_roster_send_subscription(r, jid, XMPPIM_SUB_UNSUBSCRIBED);
}
int xmppim_roster_preapprove(xmppim_roster *r, const char *jid) {
  if (!r || !jid) return XMPPIM_ERR_INVALID_ARGUMENT;
  /* R3.4.1-b: not without the server's pre-approval feature (R3.4-b). */
  if (!xmppim_session_peer_has_feature(r->session, "sub", FEATURE_NS_PREAPPROVAL))
    return XMPPIM_ERR_INVALID_STATE;
  return xmppim_roster_send_subscription(r, jid, XMPPIM_SUB_SUBSCRIBED);
}

/* ---- save / load ---- */

typedef struct out_buf {
  char *buf;
  size_t cap, len;
} out_buf;

static void put(out_buf *o, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++, o->len++)
    if (o->len < o->cap) o->buf[o->len] = s[i];
}
static void puts_(out_buf *o, const char *s) { put(o, s, strlen(s)); }
static void put_num(out_buf *o, size_t v) {
  char tmp[32];
  int n = snprintf(tmp, sizeof(tmp), "%zu", v);
  put(o, tmp, (size_t)n);
}
static void put_str(out_buf *o, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  put(o, " ", 1);
  if (!s) {
    put(o, "-", 1);
    return;
  }
  put(o, "=", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c < 0x21 || c == 0x7F || c == '%') {
      char e[3] = {'%', hex[c >> 4], hex[c & 15]};
      put(o, e, 3);
    } else {
      put(o, (const char *)&c, 1);
    }
  }
}

int xmppim_roster_save(const xmppim_roster *r, char *buf, size_t cap, size_t *needed) {
  if (!r || (!buf && cap)) return XMPPIM_ERR_INVALID_ARGUMENT;
  out_buf o = {buf, cap, 0};
  puts_(&o, "xmppim-roster 1\nver");
  put_str(&o, r->ver);
  puts_(&o, "\n");
  for (size_t i = 0; i < r->items.n; i++) {
    const xmppim_roster_item *it = &r->items.v[i];
    puts_(&o, "item");
    put_str(&o, it->jid);
    puts_(&o, " ");
    put_num(&o, (size_t)it->state);
    puts_(&o, it->approved ? " 1" : " 0");
    put_str(&o, it->name);
    puts_(&o, " ");
    put_num(&o, it->ngroups);
    for (size_t g = 0; g < it->ngroups; g++) put_str(&o, it->groups[g]);
    puts_(&o, "\n");
  }
  puts_(&o, "end ");
  put_num(&o, r->items.n);
  puts_(&o, "\n");
  if (needed) *needed = o.len;
  if (o.len < cap) {
    buf[o.len] = '\0';
    return 0;
  }
  return XMPPIM_ERR_BUFFER_TOO_SMALL;
}

typedef struct reader {
  const char *p, *end;
} reader;

/* Reads a token ending at ' ' or '\n' (not consumed). */
static int tok(reader *rd, const char **s, size_t *n) {
  const char *b = rd->p;
  while (rd->p < rd->end && *rd->p != ' ' && *rd->p != '\n') rd->p++;
  *s = b;
  *n = (size_t)(rd->p - b);
  return *n ? 0 : -1;
}
static int expect(reader *rd, char c) {
  if (rd->p >= rd->end || *rd->p != c) return -1;
  rd->p++;
  return 0;
}
static int word(reader *rd, const char *w) {
  const char *s;
  size_t n;
  if (tok(rd, &s, &n) != 0 || n != strlen(w) || memcmp(s, w, n) != 0) return -1;
  return 0;
}
static int number(reader *rd, size_t max, size_t *v) {
  const char *s;
  size_t n;
  if (tok(rd, &s, &n) != 0 || n > 9 || (n > 1 && s[0] == '0')) return -1;
  size_t x = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    x = x * 10 + (size_t)(s[i] - '0');
  }
  if (x > max) return -1;
  *v = x;
  return 0;
}
static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Text an XML 1.0 document can carry. */
static int xml_text_ok(const char *s, size_t n) {
  long cnt = xmppim_utf8_decode((const unsigned char *)s, n, NULL);
  if (cnt < 0) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return 0;
  }
  /* U+FFFE and U+FFFF (EF BF BE/BF) are not XML characters */
  for (size_t i = 0; i + 2 < n; i++)
    if ((unsigned char)s[i] == 0xEF && (unsigned char)s[i + 1] == 0xBF &&
        ((unsigned char)s[i + 2] & 0xFE) == 0xBE)
      return 0;
  return 1;
}

/* Reads " <str>"; *out NULL for '-'. Returns 0, -1 (corrupt) or NOMEM. */
static int str_field(reader *rd, const xmppim_mem *m, char **out, int allow_absent) {
  *out = NULL;
  const char *s;
  size_t n;
  if (expect(rd, ' ') != 0 || tok(rd, &s, &n) != 0) return -1;
  if (n == 1 && s[0] == '-') return allow_absent ? 0 : -1;
  if (s[0] != '=') return -1;
  char *d = xmppim_mem_malloc(m, n);
  if (!d) return XMPPIM_ERR_NOMEM;
  size_t k = 0;
  for (size_t i = 1; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '%') {
      int hi, lo;
      if (i + 2 >= n) goto bad;
      hi = hexval(s[i + 1]);
      lo = hexval(s[i + 2]);
      if (hi < 0 || lo < 0) goto bad;
      c = (unsigned char)(hi * 16 + lo);
      if (!(c < 0x21 || c == 0x7F || c == '%')) goto bad; /* canonical only */
      i += 2;
    } else if (c < 0x21 || c == 0x7F) {
      goto bad;
    }
    d[k++] = (char)c;
  }
  d[k] = '\0';
  if (!xml_text_ok(d, k)) goto bad;
  *out = d;
  return 0;
bad:
  xmppim_mem_free(m, d);
  return -1;
}

#define MAX_ITEMS 1000000u
#define MAX_GROUPS 10000u

int xmppim_roster_load(xmppim_roster *r, const char *data, size_t len) {
  if (!r || (!data && len)) return XMPPIM_ERR_INVALID_ARGUMENT;
  const xmppim_mem *m = &r->mem;
  reader rd = {data, data + len};
  item_list fresh = {0};
  char *ver = NULL, *s = NULL;
  xmppim_roster_item it = {0};
  int rv = -1;
  if (word(&rd, "xmppim-roster") || expect(&rd, ' ') || word(&rd, "1") || expect(&rd, '\n') ||
      word(&rd, "ver"))
    goto fail;
  if ((rv = str_field(&rd, m, &ver, 1)) != 0 || (rv = -1, expect(&rd, '\n'))) goto fail;
  for (;;) {
    const char *w;
    size_t wn;
    if (tok(&rd, &w, &wn) != 0) goto fail;
    if (wn == 3 && memcmp(w, "end", 3) == 0) break;
    if (wn != 4 || memcmp(w, "item", 4) != 0) goto fail;
    size_t state, approved, ng;
    if ((rv = str_field(&rd, m, &s, 0)) != 0) goto fail;
    rv = prep_bare(m, s, strlen(s), &it.jid);
    if (rv != 0 || strcmp(it.jid, s) != 0 || list_find(&fresh, it.jid) >= 0) {
      if (rv != XMPPIM_ERR_NOMEM) rv = -1;
      goto fail;
    }
    xmppim_mem_free(m, s);
    s = NULL;
    rv = -1;
    if (expect(&rd, ' ') || number(&rd, XMPPIM_SUB_STATE_COUNT - 1, &state) || expect(&rd, ' ') ||
        number(&rd, 1, &approved))
      goto fail;
    it.state = (xmppim_sub_state)state;
    it.approved = (int)approved;
    if ((rv = str_field(&rd, m, &it.name, 1)) != 0) goto fail;
    rv = -1;
    if (it.name && !*it.name) goto fail;
    if (expect(&rd, ' ') || number(&rd, MAX_GROUPS, &ng)) goto fail;
    for (size_t g = 0; g < ng; g++) {
      if ((rv = str_field(&rd, m, &s, 0)) != 0) goto fail;
      rv = -1;
      if (!*s || item_has_group(&it, s)) goto fail;
      size_t before = it.ngroups;
      if ((rv = item_add_group(m, &it, s, strlen(s))) != 0) goto fail;
      rv = -1;
      if (it.ngroups != before + 1) goto fail;
      xmppim_mem_free(m, s);
      s = NULL;
    }
    if (expect(&rd, '\n')) goto fail;
    if (fresh.n >= MAX_ITEMS) goto fail;
    if ((rv = list_append(m, &fresh, &it)) != 0) goto fail;
    rv = -1;
  }
  size_t count;
  if (expect(&rd, ' ') || number(&rd, MAX_ITEMS, &count) || count != fresh.n ||
      expect(&rd, '\n') || rd.p != rd.end)
    goto fail;
  list_clear(m, &r->items);
  r->items = fresh;
  xmppim_mem_free(m, r->ver);
  r->ver = ver;
  return 0;
fail:
  xmppim_mem_free(m, s);
  item_clear(m, &it);
  list_clear(m, &fresh);
  xmppim_mem_free(m, ver);
  return rv == XMPPIM_ERR_NOMEM ? rv : XMPPIM_ERR_INVALID_ARGUMENT;
}
