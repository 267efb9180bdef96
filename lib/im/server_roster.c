/*
 * Roster gets and sets on the server (RFC 6121 section 2): who may, what
 * a valid set is, and what the user's resources are told.
 */
#include <string.h>

#include <xmppim/roster.h>

#include "im/server_impl.h"
#include "util/mem.h"

static int is_roster_item(const xmppim_stanza *el) {
  const char *ns = xmppim_stanza_ns(el);
  return strcmp(xmppim_stanza_name(el), "item") == 0 && ns && strcmp(ns, XMPPIM_NS_ROSTER) == 0;
}

static xmppim_stanza *new_result(xmppim_server *srv, const xmppim_stanza *req, const xmppim_jid *to) {
  xmppim_stanza *iq;
  if (xmppim_stanza_new(&iq, &srv->mem, "iq", "jabber:client") != 0) return NULL;
  const char *id = xmppim_stanza_attr(req, "id");
  if (xmppim_stanza_set_attr(iq, "type", "result") != 0 || (id && xmppim_stanza_set_attr(iq, "id", id) != 0) ||
      xmppim_stanza_set_attr(iq, "to", xmppim_jid_to_string(to)) != 0) {
    xmppim_stanza_free(iq);
    return NULL;
  }
  return iq;
}

/* Answers with a result (payload optional) and frees it. */
static void send_result(xmppim_server *srv, const xmppim_jid *to, xmppim_stanza *iq) {
  if (iq) im_deliver(srv, to, iq);
  xmppim_stanza_free(iq);
}

/* The full roster in a result (R2.1.4-a, R2.1.4-b: an empty query when there
 * are no items; R2.6.3-l: with the version). */
static int send_full_roster(xmppim_server *srv, im_user *u, const xmppim_stanza *req, const xmppim_jid *to) {
  xmppim_stanza *iq = new_result(srv, req, to), *q;
  if (!iq) return XMPPIM_ERR_NOMEM;
  char ver[IM_VERSION_MAX];
  im_roster_version_string(&u->roster, ver);
  int rv = xmppim_stanza_add_child(iq, "query", XMPPIM_NS_ROSTER, &q);
  if (rv == 0) rv = xmppim_stanza_set_attr(q, "ver", ver);
  size_t it = 0;
  const char *key;
  size_t len;
  void *value;
  while (rv == 0 && xmppim_map_next(&u->roster.contacts, &it, &key, &len, &value)) {
    const xmppim_contact *c = value;
    if (c->in_roster) rv = im_contact_write_item(c, q);
  }
  if (rv == 0) im_deliver(srv, to, iq);
  xmppim_stanza_free(iq);
  return rv;
}

/* R2.2-e: a roster that cannot be sent (out of memory, for the largest
 * rosters) is answered with internal-server-error rather than silence. */
static int full_roster_or_error(xmppim_server *srv, im_user *u, const xmppim_stanza *req, im_resource *res) {
  int rv = send_full_roster(srv, u, req, res->jid);
  if (rv == XMPPIM_ERR_NOMEM) {
    im_reply_error(srv, res->jid, req, XMPPIM_STANZA_COND_INTERNAL_SERVER_ERROR, NULL);
    return 1;
  }
  return rv ? rv : 1;
}

static int roster_get(xmppim_server *srv, im_user *u, im_resource *res, const xmppim_stanza *req,
                      const xmppim_stanza *query) {
  for (xmppim_stanza *c = xmppim_stanza_first_child(query); c; c = xmppim_stanza_next_sibling(c)) {
    if (is_roster_item(c)) { /* R2.1.3-b is the client's; refuse what breaks it */
      im_reply_error(srv, res->jid, req, XMPPIM_STANZA_COND_BAD_REQUEST, "a roster get carries no items");
      return 1;
    }
  }
  res->interested = 1; /* R2.2-b */
  const char *ver = xmppim_stanza_attr(query, "ver");
  uint64_t since;
  if (!ver || im_roster_parse_version(&u->roster, ver, &since) != 0) {
    /* No versioning, a first sync (ver=""), or a version this roster never
     * had or no longer remembers: everything (R2.6.2-d, R2.6.3-b). */
    return full_roster_or_error(srv, u, req, res);
  }
  const log_entry **changes;
  size_t n;
  int rv = im_roster_changes_since(&u->roster, since, &changes, &n);
  if (rv < 0) return rv;
  /* R2.6.3-b: deltas unless the roster itself is cheaper: when more items
   * changed than the roster holds (removals), the full roster is smaller. */
  if (rv == 0 || n > u->roster.items) {
    xmppim_mem_free(&srv->mem, changes);
    return full_roster_or_error(srv, u, req, res);
  }
  /* R2.6.3-a: an empty result, then one push per changed item (R2.6.3-e),
   * oldest change first (R2.6.3-j), each with its own version (R2.6.3-k),
   * only to the resource that asked: the others are up to date. */
  send_result(srv, res->jid, new_result(srv, req, res->jid));
  for (size_t i = 0; i < n; i++) {
    const xmppim_contact *c = im_roster_get(&u->roster, changes[i]->jid);
    im_push(srv, u, res, changes[i]->jid, c && c->in_roster ? c : NULL, changes[i]->version);
  }
  xmppim_mem_free(&srv->mem, changes);
  return 1;
}

static int has_duplicate(char **v, size_t n, const char *s) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(v[i], s) == 0) return 1;
  return 0;
}

/* Prepares the item's JID into *out (bare, caller frees). 0 or a condition. */
static xmppim_stanza_condition item_jid(xmppim_server *srv, const xmppim_stanza *item, char **out) {
  *out = NULL;
  const char *jid = xmppim_stanza_attr(item, "jid");
  if (!jid) return XMPPIM_STANZA_COND_BAD_REQUEST; /* R2.1.2.3-a */
  xmppim_jid *j;
  int rv = xmppim_jid_new(&j, jid, strlen(jid), &srv->mem);
  if (rv == XMPPIM_ERR_NOMEM) return XMPPIM_STANZA_COND_INTERNAL_SERVER_ERROR;
  if (rv) return XMPPIM_STANZA_COND_JID_MALFORMED;
  if (xmppim_jid_resource(j)) {
    xmppim_jid_free(j);
    return XMPPIM_STANZA_COND_BAD_REQUEST; /* an item names an account or a domain */
  }
  const char *b = xmppim_jid_bare_string(j);
  *out = xmppim_mem_strndup(&srv->mem, b, strlen(b));
  xmppim_jid_free(j);
  return *out ? XMPPIM_STANZA_COND_NONE : XMPPIM_STANZA_COND_INTERNAL_SERVER_ERROR;
}

static int roster_remove(xmppim_server *srv, im_user *u, im_resource *res, const xmppim_stanza *req,
                         const char *jid) {
  xmppim_contact *c = im_roster_get(&u->roster, jid);
  if (!c || !c->in_roster) {
    /* R2.5.3-a; type cancel, as RFC 6120 gives item-not-found (the 2.5.3
     * example's modify is the RFC's inconsistency 7). */
    im_reply_error(srv, res->jid, req, XMPPIM_STANZA_COND_ITEM_NOT_FOUND, NULL);
    return 1;
  }
  xmppim_sub_state old = c->state;
  /* Everything that can fail before c changes (fuzz finding: the key was
   * allocated after, and its failure left c without its item in memory
   * while the store kept it, and the item count off by one). */
  char *key = xmppim_mem_strndup(&srv->mem, jid, strlen(jid));
  if (!key) return XMPPIM_ERR_NOMEM;
  xmppim_contact *before;
  int rv = im_contact_clone(&srv->mem, c, &before);
  if (rv) {
    xmppim_mem_free(&srv->mem, key);
    return rv;
  }
  /* The item, its pre-approval and any pending request go together. */
  c->in_roster = 0;
  c->approved = 0;
  c->state = XMPPIM_SUB_STATE_NONE;
  im_contact_set_pending(&srv->mem, c, NULL, 0);
  rv = im_commit(srv, u, &c, before, 1);
  if (rv) {
    xmppim_mem_free(&srv->mem, key);
    im_reply_error(srv, res->jid, req, XMPPIM_STANZA_COND_INTERNAL_SERVER_ERROR, NULL);
    return 1;
  }
  send_result(srv, res->jid, new_result(srv, req, res->jid)); /* R2.5.2-a */
  im_push(srv, u, NULL, key, NULL, u->roster.version);
  rv = im_sub_after_removal(srv, u, key, old);
  xmppim_mem_free(&srv->mem, key);
  return rv ? rv : 1;
}

static int roster_set(xmppim_server *srv, im_user *u, im_resource *res, const xmppim_stanza *req,
                      const xmppim_stanza *query) {
  const xmppim_stanza *item = NULL;
  size_t items = 0;
  for (xmppim_stanza *c = xmppim_stanza_first_child(query); c; c = xmppim_stanza_next_sibling(c))
    if (is_roster_item(c)) {
      item = c;
      items++;
    }
  if (items != 1) { /* R2.3.3-c, R2.1.5-b */
    im_reply_error(srv, res->jid, req, XMPPIM_STANZA_COND_BAD_REQUEST, "a roster set holds exactly one item");
    return 1;
  }
  char *jid;
  xmppim_stanza_condition bad = item_jid(srv, item, &jid);
  if (bad != XMPPIM_STANZA_COND_NONE) {
    im_reply_error(srv, res->jid, req, bad, "the item's jid is not a usable bare JID");
    return 1;
  }
  const char *sub = xmppim_stanza_attr(item, "subscription");
  if (sub && strcmp(sub, "remove") == 0) { /* other values are ignored: R2.1.2.5-e */
    int rv = roster_remove(srv, u, res, req, jid);
    xmppim_mem_free(&srv->mem, jid);
    return rv;
  }
  /* 'ask' and 'approved' in a set are ignored too (R2.1.2.1-c, R2.1.2.2-c
   * bind the client; the server keeps its own state). */
  const char *name = xmppim_stanza_attr(item, "name");
  const char *text = NULL;
  bad = XMPPIM_STANZA_COND_NONE;
  if (name && strlen(name) > srv->opt.max_name) {
    bad = XMPPIM_STANZA_COND_NOT_ACCEPTABLE; /* R2.3.3-e */
    text = "the name is too long";
  }
  size_t ngroups = 0;
  for (xmppim_stanza *g = xmppim_stanza_first_child(item); g; g = xmppim_stanza_next_sibling(g))
    if (strcmp(xmppim_stanza_name(g), "group") == 0) ngroups++;
  char **groups = ngroups ? xmppim_mem_calloc(&srv->mem, ngroups, sizeof(*groups)) : NULL;
  if (ngroups && !groups) {
    xmppim_mem_free(&srv->mem, jid);
    return XMPPIM_ERR_NOMEM;
  }
  size_t n = 0;
  if (!bad && ngroups > srv->opt.max_groups) {
    bad = XMPPIM_STANZA_COND_NOT_ACCEPTABLE;
    text = "the item is in too many groups";
  }
  for (xmppim_stanza *g = xmppim_stanza_first_child(item); g && !bad; g = xmppim_stanza_next_sibling(g)) {
    if (strcmp(xmppim_stanza_name(g), "group") != 0) continue;
    char *t = (char *)xmppim_stanza_text(g);
    if (!*t) {
      bad = XMPPIM_STANZA_COND_NOT_ACCEPTABLE; /* R2.3.3-f */
      text = "a group name is empty";
    } else if (strlen(t) > srv->opt.max_group) {
      bad = XMPPIM_STANZA_COND_NOT_ACCEPTABLE; /* R2.3.3-g */
      text = "a group name is too long";
    } else if (has_duplicate(groups, n, t)) {
      bad = XMPPIM_STANZA_COND_BAD_REQUEST; /* R2.3.3-d */
      text = "a group is named twice";
    } else {
      groups[n++] = t;
    }
  }
  xmppim_contact *c = im_roster_get(&u->roster, jid);
  if (!bad && (!c || !c->in_roster) && u->roster.items >= srv->opt.max_items) {
    bad = XMPPIM_STANZA_COND_RESOURCE_CONSTRAINT;
    text = "the roster is full";
  }
  if (bad) {
    im_reply_error(srv, res->jid, req, bad, text);
    xmppim_mem_free(&srv->mem, groups);
    xmppim_mem_free(&srv->mem, jid);
    return 1;
  }
  xmppim_contact *before = NULL;
  int rv = c ? im_contact_clone(&srv->mem, c, &before) : im_roster_add(&u->roster, jid, &c);
  /* R2.4.1-a: the item is replaced as given; state, approval and any
   * pending request stay (RA.1-d). */
  if (rv == 0) {
    rv = im_contact_set_item(&srv->mem, c, name, (const char *const *)groups, n);
    if (rv == 0) {
      c->in_roster = 1;
      rv = im_commit(srv, u, &c, before, 1);
      before = NULL;
      if (rv)
        im_reply_error(srv, res->jid, req, XMPPIM_STANZA_COND_INTERNAL_SERVER_ERROR, NULL);
    } else if (!before) {
      im_roster_remove(&u->roster, c);
    }
  }
  im_contact_free(&srv->mem, before);
  xmppim_mem_free(&srv->mem, groups);
  xmppim_mem_free(&srv->mem, jid);
  if (rv == XMPPIM_ERR_NOMEM) return rv;
  if (rv) return 1;
  send_result(srv, res->jid, new_result(srv, req, res->jid)); /* R2.3.2-b, R2.4.2-a */
  im_push(srv, u, NULL, c->jid, c, u->roster.version);               /* R2.3.2-c */
  return 1;
}

int im_roster_iq(xmppim_server *srv, const xmppim_stanza *st, const xmppim_jid *from,
                 const xmppim_jid *to, int from_client) {
  const xmppim_stanza *query = xmppim_stanza_find_child(st, "query", XMPPIM_NS_ROSTER);
  const char *type = xmppim_stanza_attr(st, "type");
  if (!query || !type || (strcmp(type, "get") != 0 && strcmp(type, "set") != 0)) return 0;
  /* To a full JID it is for that resource, not for the server (RFC 6120
   * 10.5.4): delivered like any IQ, and a client ignores a push that does
   * not come from its account (R2.1.6-c). */
  if (to && xmppim_jid_resource(to)) return 0;
  /* Only a resource's own session speaks for the account: a remote stanza
   * naming a local 'from' is somebody else's. */
  int own = from_client && (!to || xmppim_jid_bare_equal(to, from));
  if (!own) {
    /* Somebody else's roster (R2-c, R2.1.5-c, R2.3.3-b) when it is one of
     * ours; a remote one is the host's to route. */
    if (to && !xmppim_server_is_local(srv, xmppim_jid_domain(to))) return 0;
    im_user *fu = xmppim_map_get(&srv->users, xmppim_jid_bare_string(from), strlen(xmppim_jid_bare_string(from)));
    xmppim_stanza *reply;
    if (xmppim_stanza_error_reply(&reply, st, XMPPIM_STANZA_ERROR_TYPE_AUTH, XMPPIM_STANZA_COND_FORBIDDEN, NULL, NULL,
                                  &srv->mem) == 0) {
      if (fu && im_user_resource(fu, from))
        im_deliver(srv, from, reply);
      else
        (void)im_send(srv, reply);
      xmppim_stanza_free(reply);
    }
    return 1;
  }
  im_user *u = xmppim_map_get(&srv->users, xmppim_jid_bare_string(from), strlen(xmppim_jid_bare_string(from)));
  im_resource *res = u ? im_user_resource(u, from) : NULL;
  if (!res) return XMPPIM_ERR_INVALID_ARGUMENT;
  return strcmp(type, "get") == 0 ? roster_get(srv, u, res, st, query) : roster_set(srv, u, res, st, query);
}
