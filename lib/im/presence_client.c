/*
 * The client's presence tracker (RFC 6121 section 4): the available
 * resources of each contact with their last presence, the best of them,
 * and our own broadcast and directed presence.
 *
 * Contacts are kept only while they have an available resource: in a map
 * by bare JID (contact JIDs are chosen by strangers: the map's hash is
 * keyed) and in a dense array for listing, each contact knowing its index
 * there so that it leaves in O(1). A contact is one allocation (its JID
 * lives at its end and is the map's key) plus its resource array; a
 * resource is its name, a copy of its stanza (whose status texts it points
 * into) and the array of those pointers. Resources stay in the order they
 * became available; there are few per contact, so they are searched
 * linearly and the best one is computed when asked.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <xmppim/jid.h>
#include <xmppim/presence.h>

#include "util/map.h"
#include "util/mem.h"

#define NS_CLIENT "jabber:client"

typedef struct status_text {
  const char *lang; /* NULL: none given */
  const char *text; /* never empty */
} status_text;

struct xmppim_presence_resource {
  char *name; /* NULL: the contact's bare JID */
  xmppim_show show;
  int priority;
  uint64_t seq;          /* arrival order: larger is more recent */
  xmppim_stanza *stanza; /* our copy; the status texts point into it */
  status_text *statuses;
  size_t nstatus;
};

struct xmppim_presence_contact {
  xmppim_presence_resource *v; /* never empty while the contact is listed */
  size_t n, cap;
  size_t index; /* in the tracker's list */
  size_t len;
  char jid[]; /* the prepared bare JID, and the map's key */
};

struct xmppim_presence {
  xmppim_mem mem;
  xmppim_session *session;
  xmppim_presence_callbacks cb;
  void *user_data;
  xmppim_map contacts; /* bare JID -> contact */
  xmppim_presence_contact **list;
  size_t nlist, caplist;
  size_t max_resources; /* 0: no limit */
  uint64_t seq;
  int busy; /* inside a callback */
  /* our last broadcast presence */
  int available;
  xmppim_show own_show;
  int own_priority;
};

/* ---- small parsers ---- */

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static const char *const show_names[] = {NULL, "chat", "away", "xa", "dnd"};
#define SHOW_COUNT 5

const char *xmppim_show_name(xmppim_show show) {
  return (unsigned)show < SHOW_COUNT ? show_names[show] : NULL;
}

/* The show value named by s, or -1. Lenient (inbound) allows the XML
 * whitespace a token may be written with. */
static int parse_show(const char *s, int lenient) {
  size_t n = strlen(s);
  if (lenient) {
    while (is_ws(*s)) s++, n--;
    while (n && is_ws(s[n - 1])) n--;
  }
  for (int i = 1; i < SHOW_COUNT; i++)
    if (strlen(show_names[i]) == n && memcmp(s, show_names[i], n) == 0) return i;
  return -1;
}

/* A priority, -128..127: an optional sign and decimal digits (xs:byte);
 * lenient (inbound) also allows surrounding whitespace. 0 with the value,
 * or -1. */
static int parse_priority(const char *s, int lenient, int *out) {
  if (lenient)
    while (is_ws(*s)) s++;
  int neg = 0;
  if (*s == '+' || *s == '-') neg = *s++ == '-';
  if (*s < '0' || *s > '9') return -1;
  long v = 0;
  for (; *s >= '0' && *s <= '9'; s++)
    if (v < 1000) v = v * 10 + (*s - '0');
  if (lenient)
    while (is_ws(*s)) s++;
  if (*s) return -1;
  if (neg) v = -v;
  if (v < -128 || v > 127) return -1;
  *out = (int)v;
  return 0;
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* Language tags compare without regard to case (BCP 47); n bytes, or to the end. */
static int lang_eq_n(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (lower(a[i]) != lower(b[i])) return 0;
    if (!a[i]) return 1;
  }
  return 1;
}
static int lang_eq(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return strlen(a) == strlen(b) && lang_eq_n(a, b, strlen(a));
}
static size_t primary_len(const char *tag) {
  const char *dash = strchr(tag, '-');
  return dash ? (size_t)(dash - tag) : strlen(tag);
}

static int same_ns(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return strcmp(a, b) == 0;
}

/* The element's text, or NOMEM when joining several runs (mixed content,
 * which R4.7.2.2-b forbids but which can arrive) ran out of memory. */
static int element_text(const xmppim_stanza *el, const char **out) {
  size_t runs = 0, total = 0;
  for (xmppim_node *n = xmppim_stanza_first_node(el); n; n = xmppim_node_next(n)) {
    size_t len;
    if (xmppim_node_text(n, &len)) {
      runs++;
      total += len;
    }
  }
  const char *t = xmppim_stanza_text(el);
  if (runs > 1 && total > 0 && !*t) return XMPPIM_ERR_NOMEM;
  *out = t;
  return 0;
}

/* ---- resources ---- */

static void resource_clear(const xmppim_mem *m, xmppim_presence_resource *r) {
  xmppim_mem_free(m, r->name);
  xmppim_stanza_free(r->stanza);
  xmppim_mem_free(m, r->statuses);
  memset(r, 0, sizeof(*r));
}

/* Reads an available presence into *r (without name or seq): a copy of the
 * stanza and what it says, leniently (see presence.h). 0 or NOMEM. */
static int resource_build(xmppim_presence *p, const xmppim_stanza *st, xmppim_presence_resource *r) {
  memset(r, 0, sizeof(*r));
  int rv = xmppim_stanza_copy(&r->stanza, st, &p->mem);
  if (rv != 0) return rv;
  const char *ns = xmppim_stanza_ns(r->stanza);
  const char *stanza_lang = xmppim_stanza_attr_ns(r->stanza, XMPPIM_NS_XML, "lang");
  int have_show = 0, have_priority = 0;
  size_t nstatus = 0;
  const char *t;
  for (xmppim_stanza *c = xmppim_stanza_first_child(r->stanza); c; c = xmppim_stanza_next_sibling(c)) {
    if (!same_ns(xmppim_stanza_ns(c), ns)) continue; /* an extension (R4.7.3-a) */
    const char *name = xmppim_stanza_name(c);
    if (strcmp(name, "show") == 0 && !have_show) { /* R4.7.2.1-b: the first */
      have_show = 1;
      if ((rv = element_text(c, &t)) != 0) goto fail;
      int v = parse_show(t, 1);
      r->show = v < 0 ? XMPPIM_SHOW_ONLINE : (xmppim_show)v; /* R4.7.2.1-c/d */
    } else if (strcmp(name, "priority") == 0 && !have_priority) { /* R4.7.2.3-c */
      have_priority = 1;
      if ((rv = element_text(c, &t)) != 0) goto fail;
      if (parse_priority(t, 1, &r->priority) != 0) r->priority = 0; /* R4.7.2.3-b/d */
    } else if (strcmp(name, "status") == 0) {
      nstatus++;
    }
  }
  if (nstatus == 0) return 0;
  r->statuses = xmppim_mem_malloc(&p->mem, nstatus * sizeof(*r->statuses));
  if (!r->statuses) {
    rv = XMPPIM_ERR_NOMEM;
    goto fail;
  }
  for (xmppim_stanza *c = xmppim_stanza_first_child(r->stanza); c; c = xmppim_stanza_next_sibling(c)) {
    if (!same_ns(xmppim_stanza_ns(c), ns) || strcmp(xmppim_stanza_name(c), "status") != 0) continue;
    if ((rv = element_text(c, &t)) != 0) goto fail;
    if (!*t) continue; /* an empty status says nothing */
    const char *lang = xmppim_stanza_attr_ns(c, XMPPIM_NS_XML, "lang");
    if (!lang) lang = stanza_lang; /* inherited (R4.7.2.2-c) */
    if (lang && !*lang) lang = NULL;
    int dup = 0;
    for (size_t i = 0; i < r->nstatus && !dup; i++) dup = lang_eq(r->statuses[i].lang, lang);
    if (dup) continue; /* R4.7.2.2-c: one per language; the first */
    r->statuses[r->nstatus].lang = lang;
    r->statuses[r->nstatus].text = t;
    r->nstatus++;
  }
  return 0;
fail:
  resource_clear(&p->mem, r);
  return rv;
}

/* Rank of a show when choosing the best resource: larger is better. */
static int show_rank(xmppim_show s) {
  switch (s) {
  case XMPPIM_SHOW_CHAT: return 4;
  case XMPPIM_SHOW_ONLINE: return 3;
  case XMPPIM_SHOW_AWAY: return 2;
  case XMPPIM_SHOW_XA: return 1;
  default: return 0;
  }
}

static int better(const xmppim_presence_resource *a, const xmppim_presence_resource *b) {
  if (a->priority != b->priority) return a->priority > b->priority;
  if (show_rank(a->show) != show_rank(b->show)) return show_rank(a->show) > show_rank(b->show);
  return a->seq > b->seq;
}

/* Index of the contact's best resource, or -1 when it has none. */
static long best_index(const xmppim_presence_contact *c) {
  if (!c || c->n == 0) return -1;
  size_t best = 0;
  for (size_t i = 1; i < c->n; i++)
    if (better(&c->v[i], &c->v[best])) best = i;
  return (long)best;
}

static long find_resource(const xmppim_presence_contact *c, const char *name) {
  for (size_t i = 0; i < c->n; i++) {
    const char *have = c->v[i].name;
    if (have == name || (have && name && strcmp(have, name) == 0)) return (long)i;
  }
  return -1;
}

/* ---- contacts ---- */

static void contact_free(xmppim_presence *p, xmppim_presence_contact *c) {
  for (size_t i = 0; i < c->n; i++) resource_clear(&p->mem, &c->v[i]);
  xmppim_mem_free(&p->mem, c->v);
  xmppim_mem_free(&p->mem, c);
}

/* Takes the contact out of the map and the list (it stays allocated).
 * Allocates nothing, so it cannot fail. */
static void contact_unlink(xmppim_presence *p, xmppim_presence_contact *c) {
  xmppim_map_remove(&p->contacts, c->jid, c->len);
  xmppim_presence_contact *last = p->list[--p->nlist];
  p->list[c->index] = last;
  last->index = c->index;
  if (p->nlist == 0) {
    /* Nothing online: give the tables back. */
    xmppim_map_free(&p->contacts);
    xmppim_mem_free(&p->mem, p->list);
    p->list = NULL;
    p->caplist = 0;
  } else if (p->caplist > 16 && p->nlist < p->caplist / 4) {
    xmppim_presence_contact **v = xmppim_mem_realloc(&p->mem, p->list, p->caplist / 2 * sizeof(*v));
    if (v) { /* keeping the larger array is harmless */
      p->list = v;
      p->caplist /= 2;
    }
  }
}

static void report_resource(xmppim_presence *p, xmppim_presence_event ev, const char *contact,
                            const xmppim_presence_resource *r, const xmppim_stanza *st) {
  if (p->cb.on_resource) p->cb.on_resource(p, ev, contact, r, st, p->user_data);
}
static void report_best(xmppim_presence *p, const char *contact, const xmppim_presence_resource *r) {
  if (p->cb.on_best_changed) p->cb.on_best_changed(p, contact, r, p->user_data);
}

/* Removes every resource of the contact, reporting each, then the contact. */
static void remove_contact(xmppim_presence *p, xmppim_presence_contact *c, const xmppim_stanza *st) {
  contact_unlink(p, c);
  p->busy = 1;
  for (size_t i = 0; i < c->n; i++)
    report_resource(p, XMPPIM_PRESENCE_UNAVAILABLE, c->jid, &c->v[i], st);
  report_best(p, c->jid, NULL);
  p->busy = 0;
  contact_free(p, c);
}

/* Removes one resource (and the contact with its last one), reporting it. */
static void remove_resource(xmppim_presence *p, xmppim_presence_contact *c, size_t at,
                            const xmppim_stanza *st) {
  if (c->n == 1) {
    remove_contact(p, c, st);
    return;
  }
  long best_before = best_index(c);
  xmppim_presence_resource gone = c->v[at];
  memmove(&c->v[at], &c->v[at + 1], (c->n - at - 1) * sizeof(c->v[0]));
  c->n--;
  p->busy = 1;
  report_resource(p, XMPPIM_PRESENCE_UNAVAILABLE, c->jid, &gone, st);
  /* Removing another resource cannot dethrone the best one. */
  if ((long)at == best_before) report_best(p, c->jid, &c->v[best_index(c)]);
  p->busy = 0;
  resource_clear(&p->mem, &gone);
}

static void forget_all(xmppim_presence *p) {
  while (p->nlist) remove_contact(p, p->list[p->nlist - 1], NULL);
}

/* ---- object ---- */

int xmppim_presence_client_new(xmppim_presence **out, xmppim_session *session,
                               const xmppim_presence_callbacks *callbacks, void *user_data,
                               const xmppim_mem *mem) {
  if (out) *out = NULL;
  if (!out || !session || xmppim_session_role(session) != XMPPIM_ROLE_CLIENT)
    return XMPPIM_ERR_INVALID_ARGUMENT;
  const xmppim_mem *m = xmppim_mem_or_default(mem);
  xmppim_presence *p = xmppim_mem_calloc(m, 1, sizeof(*p));
  if (!p) return XMPPIM_ERR_NOMEM;
  p->mem = *m;
  p->session = session;
  if (callbacks) p->cb = *callbacks;
  p->user_data = user_data;
  p->max_resources = XMPPIM_PRESENCE_MAX_RESOURCES;
  xmppim_map_init(&p->contacts, &p->mem);
  *out = p;
  return 0;
}

void xmppim_presence_free(xmppim_presence *p) {
  if (!p) return;
  for (size_t i = 0; i < p->nlist; i++) contact_free(p, p->list[i]);
  xmppim_map_free(&p->contacts);
  xmppim_mem_free(&p->mem, p->list);
  xmppim_mem mem = p->mem;
  xmppim_mem_free(&mem, p);
}

int xmppim_presence_set_max_resources(xmppim_presence *p, size_t max) {
  if (!p) return XMPPIM_ERR_INVALID_ARGUMENT;
  p->max_resources = max;
  return 0;
}

static void forget_own(xmppim_presence *p) {
  p->available = 0;
  p->own_show = XMPPIM_SHOW_ONLINE;
  p->own_priority = 0;
}

int xmppim_presence_reset(xmppim_presence *p) {
  if (!p) return XMPPIM_ERR_INVALID_ARGUMENT;
  if (p->busy) return XMPPIM_ERR_INVALID_STATE;
  forget_own(p);
  forget_all(p);
  return 0;
}

/* ---- inbound presence ---- */

/* Presence without type (R4.1-a) from bare/rname: a new or updated resource. */
static int on_available(xmppim_presence *p, const xmppim_stanza *st, const char *bare,
                        const char *rname) {
  size_t blen = strlen(bare);
  xmppim_presence_contact *c = xmppim_map_get(&p->contacts, bare, blen);
  long at = c ? find_resource(c, rname) : -1;
  if (c && at < 0 && p->max_resources && c->n >= p->max_resources) return 1; /* over the limit */
  xmppim_presence_resource nr;
  int rv = resource_build(p, st, &nr);
  if (rv != 0) return rv;
  /* Everything that can fail comes before the first change. */
  if (at < 0 && rname && !(nr.name = xmppim_mem_strndup(&p->mem, rname, strlen(rname))))
    goto nomem;
  int created = 0;
  if (!c) {
    if (p->nlist == p->caplist) {
      size_t cap = p->caplist ? p->caplist * 2 : 8;
      xmppim_presence_contact **v = xmppim_mem_realloc(&p->mem, p->list, cap * sizeof(*v));
      if (!v) goto nomem;
      p->list = v;
      p->caplist = cap;
    }
    c = xmppim_mem_calloc(&p->mem, 1, sizeof(*c) + blen + 1);
    if (!c) goto nomem;
    memcpy(c->jid, bare, blen + 1);
    c->len = blen;
    c->v = xmppim_mem_malloc(&p->mem, sizeof(*c->v));
    if (!c->v || xmppim_map_put(&p->contacts, c->jid, c->len, c) != 0) {
      xmppim_mem_free(&p->mem, c->v);
      xmppim_mem_free(&p->mem, c);
      goto nomem;
    }
    c->cap = 1;
    c->index = p->nlist;
    p->list[p->nlist++] = c;
    created = 1;
  } else if (at < 0 && c->n == c->cap) {
    size_t cap = c->cap * 2;
    xmppim_presence_resource *v = xmppim_mem_realloc(&p->mem, c->v, cap * sizeof(*v));
    if (!v) goto nomem;
    c->v = v;
    c->cap = cap;
  }
  long best_before = created ? -1 : best_index(c);
  nr.seq = ++p->seq;
  xmppim_presence_event ev;
  if (at >= 0) { /* R4.4.4-a: an update replaces what the resource said */
    xmppim_presence_resource *old = &c->v[at];
    nr.name = old->name;
    old->name = NULL;
    resource_clear(&p->mem, old);
    *old = nr;
    ev = XMPPIM_PRESENCE_UPDATED;
  } else {
    at = (long)c->n;
    c->v[c->n++] = nr;
    ev = XMPPIM_PRESENCE_AVAILABLE;
  }
  long best_after = best_index(c);
  p->busy = 1;
  report_resource(p, ev, c->jid, &c->v[at], st);
  if (best_after != best_before) report_best(p, c->jid, &c->v[best_after]);
  p->busy = 0;
  return 1;
nomem:
  resource_clear(&p->mem, &nr);
  return XMPPIM_ERR_NOMEM;
}

/* Unavailable (R4.5.4-a) or error from bare/rname: the resource, or all of
 * them for a bare JID (R4.5.4-b). Nothing known, nothing reported (R3.1.3-j). */
static void on_gone(xmppim_presence *p, const xmppim_stanza *st, const char *bare,
                    const char *rname) {
  xmppim_presence_contact *c = xmppim_map_get(&p->contacts, bare, strlen(bare));
  if (!c) return;
  if (!rname) {
    remove_contact(p, c, st);
    return;
  }
  long at = find_resource(c, rname);
  if (at >= 0) remove_resource(p, c, (size_t)at, st);
}

/*
 * R3.3.3-h: once the user no longer receives a contact's presence (the
 * roster push after the user's unsubscribe, or after the contact cancelled),
 * what is known of it is void at once, without waiting for its unavailable.
 * A roster push for the account (no 'from', or the account's bare JID) with
 * subscription none, from or remove says so. The push is only looked at:
 * the roster object answers it.
 */
static void roster_push_seen(xmppim_presence *p, const xmppim_stanza *st) {
  const char *type = xmppim_stanza_attr(st, "type"), *from = xmppim_stanza_attr(st, "from");
  if (!type || strcmp(type, "set") != 0) return;
  const xmppim_jid *me = xmppim_session_jid(p->session);
  if (from) {
    xmppim_jid *f;
    if (!me || xmppim_jid_new(&f, from, strlen(from), &p->mem) != 0) return;
    int own = xmppim_jid_is_bare(f) && xmppim_jid_bare_equal(f, me);
    xmppim_jid_free(f);
    if (!own) return;
  }
  const xmppim_stanza *q = xmppim_stanza_find_child(st, "query", "jabber:iq:roster");
  const xmppim_stanza *item = q ? xmppim_stanza_find_child(q, "item", "jabber:iq:roster") : NULL;
  const char *jid = item ? xmppim_stanza_attr(item, "jid") : NULL;
  const char *sub = item ? xmppim_stanza_attr(item, "subscription") : NULL;
  if (!jid || (sub && strcmp(sub, "to") == 0) || (sub && strcmp(sub, "both") == 0)) return;
  xmppim_jid *j;
  if (xmppim_jid_new(&j, jid, strlen(jid), &p->mem) != 0) return;
  xmppim_presence_contact *c = (xmppim_presence_contact *)xmppim_presence_find(p, xmppim_jid_bare_string(j));
  xmppim_jid_free(j);
  if (c) remove_contact(p, c, NULL);
}

int xmppim_presence_handle_stanza(xmppim_presence *p, const xmppim_stanza *st) {
  if (p && st && !p->busy && strcmp(xmppim_stanza_name(st), "iq") == 0) {
    roster_push_seen(p, st);
    return 0;
  }
  if (!p || !st || strcmp(xmppim_stanza_name(st), "presence") != 0) return 0;
  const char *type = xmppim_stanza_attr(st, "type");
  int error = 0;
  if (type && strcmp(type, "error") == 0)
    error = 1;
  else if (type && strcmp(type, "unavailable") != 0)
    return 0; /* subscriptions, probes, unknown types: the application's */
  const char *from = xmppim_stanza_attr(st, "from");
  if (!from) return 0;
  if (p->busy) return XMPPIM_ERR_INVALID_STATE;
  xmppim_jid *j = NULL;
  int rv = xmppim_jid_new(&j, from, strlen(from), &p->mem);
  if (rv == XMPPIM_ERR_NOMEM) return rv;
  if (rv != 0) return 0; /* a server delivers no such 'from'; not ours to judge */
  const char *bare = xmppim_jid_bare_string(j), *rname = xmppim_jid_resource(j);
  if (!type) {
    rv = on_available(p, st, bare, rname);
  } else {
    on_gone(p, st, bare, rname);
    if (error && p->cb.on_error) {
      p->busy = 1;
      p->cb.on_error(p, bare, rname, st, p->user_data);
      p->busy = 0;
    }
    rv = 1;
  }
  xmppim_jid_free(j);
  return rv;
}

/* ---- reading ---- */

size_t xmppim_presence_contact_count(const xmppim_presence *p) { return p ? p->nlist : 0; }

const xmppim_presence_contact *xmppim_presence_contact_at(const xmppim_presence *p, size_t i) {
  return p && i < p->nlist ? p->list[i] : NULL;
}

const xmppim_presence_contact *xmppim_presence_find(const xmppim_presence *p, const char *jid) {
  if (!p || !jid || p->nlist == 0) return NULL;
  xmppim_jid *j = NULL;
  if (xmppim_jid_new(&j, jid, strlen(jid), &p->mem) != 0) return NULL;
  const char *bare = xmppim_jid_bare_string(j);
  const xmppim_presence_contact *c = xmppim_map_get(&p->contacts, bare, strlen(bare));
  xmppim_jid_free(j);
  return c;
}

const xmppim_presence_resource *xmppim_presence_best(const xmppim_presence *p, const char *jid) {
  return xmppim_presence_contact_best(xmppim_presence_find(p, jid));
}

const char *xmppim_presence_contact_jid(const xmppim_presence_contact *c) {
  return c ? c->jid : NULL;
}
size_t xmppim_presence_contact_resource_count(const xmppim_presence_contact *c) {
  return c ? c->n : 0;
}
const xmppim_presence_resource *xmppim_presence_contact_resource_at(const xmppim_presence_contact *c,
                                                                    size_t i) {
  return c && i < c->n ? &c->v[i] : NULL;
}
const xmppim_presence_resource *
xmppim_presence_contact_find_resource(const xmppim_presence_contact *c, const char *resource) {
  if (!c) return NULL;
  long at = find_resource(c, resource);
  return at >= 0 ? &c->v[at] : NULL;
}
const xmppim_presence_resource *xmppim_presence_contact_best(const xmppim_presence_contact *c) {
  long at = best_index(c);
  return at >= 0 ? &c->v[at] : NULL;
}

const char *xmppim_presence_resource_name(const xmppim_presence_resource *r) {
  return r ? r->name : NULL;
}
xmppim_show xmppim_presence_resource_show(const xmppim_presence_resource *r) {
  return r ? r->show : XMPPIM_SHOW_ONLINE;
}
int xmppim_presence_resource_priority(const xmppim_presence_resource *r) {
  return r ? r->priority : 0;
}
size_t xmppim_presence_resource_status_count(const xmppim_presence_resource *r) {
  return r ? r->nstatus : 0;
}
const char *xmppim_presence_resource_status_at(const xmppim_presence_resource *r, size_t i,
                                               const char **lang) {
  if (lang) *lang = NULL;
  if (!r || i >= r->nstatus) return NULL;
  if (lang) *lang = r->statuses[i].lang;
  return r->statuses[i].text;
}
const char *xmppim_presence_resource_status(const xmppim_presence_resource *r, const char *lang) {
  if (!r || r->nstatus == 0) return NULL;
  if (lang && *lang) {
    for (size_t i = 0; i < r->nstatus; i++)
      if (lang_eq(r->statuses[i].lang, lang)) return r->statuses[i].text;
    size_t pl = primary_len(lang);
    for (size_t i = 0; i < r->nstatus; i++) {
      const char *l = r->statuses[i].lang;
      if (l && primary_len(l) == pl && lang_eq_n(l, lang, pl)) return r->statuses[i].text;
    }
  }
  for (size_t i = 0; i < r->nstatus; i++)
    if (!r->statuses[i].lang) return r->statuses[i].text;
  return r->statuses[0].text;
}
const xmppim_stanza *xmppim_presence_resource_stanza(const xmppim_presence_resource *r) {
  return r ? r->stanza : NULL;
}

int xmppim_presence_is_available(const xmppim_presence *p) { return p ? p->available : 0; }
xmppim_show xmppim_presence_own_show(const xmppim_presence *p) {
  return p ? p->own_show : XMPPIM_SHOW_ONLINE;
}
int xmppim_presence_own_priority(const xmppim_presence *p) { return p ? p->own_priority : 0; }

/* ---- sending ---- */

/*
 * Checks an outbound presence (see xmppim_presence_send_stanza()). 0 with
 * *unavailable, *show and *priority filled, or INVALID_ARGUMENT.
 */
static int check_outbound(const xmppim_stanza *st, int *unavailable, xmppim_show *show,
                          int *priority) {
  if (strcmp(xmppim_stanza_name(st), "presence") != 0 || !same_ns(xmppim_stanza_ns(st), NS_CLIENT))
    return XMPPIM_ERR_INVALID_ARGUMENT;
  const char *type = xmppim_stanza_attr(st, "type");
  if (type && strcmp(type, "unavailable") != 0) return XMPPIM_ERR_INVALID_ARGUMENT;
  *unavailable = type != NULL;
  *show = XMPPIM_SHOW_ONLINE;
  *priority = 0;
  const char *stanza_lang = xmppim_stanza_attr_ns(st, XMPPIM_NS_XML, "lang");
  int shows = 0, priorities = 0;
  for (xmppim_stanza *c = xmppim_stanza_first_child(st); c; c = xmppim_stanza_next_sibling(c)) {
    if (!same_ns(xmppim_stanza_ns(c), NS_CLIENT)) continue;
    const char *name = xmppim_stanza_name(c);
    if (strcmp(name, "show") == 0) {
      int v = parse_show(xmppim_stanza_text(c), 0);
      /* R4.5.1-c, R4.7.2.1-b, R4.7.2.1-c */
      if (*unavailable || ++shows > 1 || v < 0) return XMPPIM_ERR_INVALID_ARGUMENT;
      *show = (xmppim_show)v;
    } else if (strcmp(name, "priority") == 0) {
      /* R4.5.1-c, R4.7.2.3-b, R4.7.2.3-c */
      if (*unavailable || ++priorities > 1 || parse_priority(xmppim_stanza_text(c), 0, priority) != 0)
        return XMPPIM_ERR_INVALID_ARGUMENT;
    } else if (strcmp(name, "status") == 0) {
      /* R4.7.2.2-c: distinct languages, explicit or inherited */
      const char *lang = xmppim_stanza_attr_ns(c, XMPPIM_NS_XML, "lang");
      if (!lang) lang = stanza_lang;
      if (lang && !*lang) lang = NULL;
      for (xmppim_stanza *o = xmppim_stanza_first_child(st); o != c; o = xmppim_stanza_next_sibling(o)) {
        if (!same_ns(xmppim_stanza_ns(o), NS_CLIENT) || strcmp(xmppim_stanza_name(o), "status") != 0)
          continue;
        const char *ol = xmppim_stanza_attr_ns(o, XMPPIM_NS_XML, "lang");
        if (!ol) ol = stanza_lang;
        if (ol && !*ol) ol = NULL;
        if (lang_eq(ol, lang)) return XMPPIM_ERR_INVALID_ARGUMENT;
      }
    }
  }
  return 0;
}

int xmppim_presence_send_stanza(xmppim_presence *p, const xmppim_stanza *st) {
  if (!p || !st) return XMPPIM_ERR_INVALID_ARGUMENT;
  int unavailable, priority;
  xmppim_show show;
  int rv = check_outbound(st, &unavailable, &show, &priority);
  if (rv != 0) return rv;
  const char *to = xmppim_stanza_attr(st, "to");
  if (to) {
    xmppim_jid *j = NULL;
    rv = xmppim_jid_new(&j, to, strlen(to), &p->mem);
    xmppim_jid_free(j);
    if (rv != 0) return rv == XMPPIM_ERR_NOMEM ? rv : XMPPIM_ERR_INVALID_ARGUMENT;
  }
  int broadcast = to == NULL; /* R4.1-b */
  if (broadcast && unavailable && p->busy) return XMPPIM_ERR_INVALID_STATE;
  rv = xmppim_session_send(p->session, st);
  if (rv != 0 || !broadcast) return rv;
  if (!unavailable) {
    p->available = 1;
    p->own_show = show;
    p->own_priority = priority;
  } else { /* the server stops telling us: what we know would go stale */
    forget_own(p);
    forget_all(p);
  }
  return 0;
}

/* Builds a presence: to (NULL: broadcast), unavailable or available with
 * show and priority (0: none), a status in lang. */
static int build(xmppim_presence *p, xmppim_stanza **out, const char *to, int unavailable,
                 xmppim_show show, const char *status, const char *lang, int priority) {
  *out = NULL;
  if ((unsigned)show >= SHOW_COUNT || priority < -128 || priority > 127) /* R4.7.2.3-b */
    return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_jid *j = NULL;
  int rv;
  if (to) {
    rv = xmppim_jid_new(&j, to, strlen(to), &p->mem);
    if (rv != 0) return rv == XMPPIM_ERR_NOMEM ? rv : XMPPIM_ERR_INVALID_ARGUMENT;
  }
  xmppim_stanza *st, *el;
  rv = xmppim_stanza_new(&st, &p->mem, "presence", NS_CLIENT);
  if (rv != 0) goto out;
  if (j && (rv = xmppim_stanza_set_attr(st, "to", xmppim_jid_to_string(j))) != 0) goto fail;
  if (unavailable && (rv = xmppim_stanza_set_attr(st, "type", "unavailable")) != 0) goto fail;
  if (!unavailable && show != XMPPIM_SHOW_ONLINE) { /* R4.7.2.1-c; none for online */
    const char *v = show_names[show];
    if ((rv = xmppim_stanza_add_child(st, "show", NULL, &el)) != 0 ||
        (rv = xmppim_stanza_add_text(el, v, strlen(v))) != 0)
      goto fail;
  }
  if (status && *status) {
    if ((rv = xmppim_stanza_add_child(st, "status", NULL, &el)) != 0 ||
        (lang && *lang && (rv = xmppim_stanza_set_attr_ns(el, XMPPIM_NS_XML, "lang", lang)) != 0) ||
        (rv = xmppim_stanza_add_text(el, status, strlen(status))) != 0)
      goto fail;
  }
  if (!unavailable && priority != 0) { /* R4.7.2.3-d: 0 is the default */
    char num[8];
    int n = snprintf(num, sizeof(num), "%d", priority);
    if ((rv = xmppim_stanza_add_child(st, "priority", NULL, &el)) != 0 ||
        (rv = xmppim_stanza_add_text(el, num, (size_t)n)) != 0)
      goto fail;
  }
  *out = st;
  goto out;
fail:
  xmppim_stanza_free(st);
out:
  xmppim_jid_free(j);
  if (rv == XMPPIM_ERR_BAD_UTF8) rv = XMPPIM_ERR_INVALID_ARGUMENT;
  return rv;
}

static int build_and_send(xmppim_presence *p, const char *to, int unavailable, xmppim_show show,
                          const char *status, const char *lang, int priority) {
  if (!p) return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_stanza *st;
  int rv = build(p, &st, to, unavailable, show, status, lang, priority);
  if (rv != 0) return rv;
  rv = xmppim_presence_send_stanza(p, st);
  xmppim_stanza_free(st);
  return rv;
}

int xmppim_presence_send(xmppim_presence *p, xmppim_show show, const char *status,
                         const char *lang, int priority) {
  return build_and_send(p, NULL, 0, show, status, lang, priority);
}

int xmppim_presence_send_unavailable(xmppim_presence *p, const char *status, const char *lang) {
  if (p && p->busy) return XMPPIM_ERR_INVALID_STATE;
  return build_and_send(p, NULL, 1, XMPPIM_SHOW_ONLINE, status, lang, 0);
}

int xmppim_presence_send_directed(xmppim_presence *p, const char *to, xmppim_show show,
                                  const char *status, const char *lang, int priority) {
  if (!to) return XMPPIM_ERR_INVALID_ARGUMENT;
  return build_and_send(p, to, 0, show, status, lang, priority);
}

int xmppim_presence_send_directed_unavailable(xmppim_presence *p, const char *to,
                                              const char *status, const char *lang) {
  if (!to) return XMPPIM_ERR_INVALID_ARGUMENT;
  return build_and_send(p, to, 1, XMPPIM_SHOW_ONLINE, status, lang, 0);
}
