/*
 * The server's copy of one user's roster: contacts, version, change log.
 * See roster_store.h.
 */
#include "im/roster_store.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xmppim/roster.h>

#include "util/mem.h"

void im_roster_init(im_roster *r, const xmppim_mem *mem, size_t log_cap, uint32_t epoch) {
  memset(r, 0, sizeof(*r));
  r->mem = mem;
  xmppim_map_init(&r->contacts, mem);
  r->log_cap = log_cap;
  r->epoch = epoch;
}

void im_contact_clear(const xmppim_mem *mem, xmppim_contact *c) {
  xmppim_mem_free(mem, c->jid);
  xmppim_mem_free(mem, c->name);
  for (size_t i = 0; i < c->ngroups; i++) xmppim_mem_free(mem, c->groups[i]);
  xmppim_mem_free(mem, c->groups);
  xmppim_mem_free(mem, c->pending);
  memset(c, 0, sizeof(*c));
}

void im_contact_free(const xmppim_mem *mem, xmppim_contact *c) {
  if (!c) return;
  im_contact_clear(mem, c);
  xmppim_mem_free(mem, c);
}

void im_roster_free(im_roster *r) {
  size_t it = 0;
  const char *key;
  size_t len;
  void *value;
  while (xmppim_map_next(&r->contacts, &it, &key, &len, &value)) im_contact_free(r->mem, value);
  xmppim_map_free(&r->contacts);
  for (size_t i = 0; i < r->log_len; i++) xmppim_mem_free(r->mem, r->log[(r->log_head + i) % r->log_cap].jid);
  xmppim_mem_free(r->mem, r->log);
  memset(r, 0, sizeof(*r));
}

xmppim_contact *im_roster_get(const im_roster *r, const char *jid) {
  return xmppim_map_get(&r->contacts, jid, strlen(jid));
}

void im_roster_count_out(im_roster *r, const xmppim_contact *c) {
  if (c->in_roster) r->items--;
  if (c->pending) r->pending--;
}

void im_roster_count_in(im_roster *r, const xmppim_contact *c) {
  if (c->in_roster) r->items++;
  if (c->pending) r->pending++;
}

int im_roster_add(im_roster *r, const char *jid, xmppim_contact **out) {
  xmppim_contact *c = xmppim_mem_calloc(r->mem, 1, sizeof(*c));
  if (!c) return XMPPIM_ERR_NOMEM;
  c->jid_len = strlen(jid);
  c->jid = xmppim_mem_strndup(r->mem, jid, c->jid_len);
  if (!c->jid || xmppim_map_put(&r->contacts, c->jid, c->jid_len, c) != 0) {
    im_contact_free(r->mem, c);
    return XMPPIM_ERR_NOMEM;
  }
  *out = c;
  return 0;
}

void im_roster_remove(im_roster *r, xmppim_contact *c) {
  im_roster_count_out(r, c);
  xmppim_map_remove(&r->contacts, c->jid, c->jid_len);
  im_contact_free(r->mem, c);
}

static int copy_groups(const xmppim_mem *mem, const char *const *groups, size_t n, char ***out) {
  *out = NULL;
  if (n == 0) return 0;
  char **v = xmppim_mem_calloc(mem, n, sizeof(*v));
  if (!v) return XMPPIM_ERR_NOMEM;
  for (size_t i = 0; i < n; i++) {
    v[i] = xmppim_mem_strndup(mem, groups[i], strlen(groups[i]));
    if (!v[i]) {
      for (size_t j = 0; j < i; j++) xmppim_mem_free(mem, v[j]);
      xmppim_mem_free(mem, v);
      return XMPPIM_ERR_NOMEM;
    }
  }
  *out = v;
  return 0;
}

int im_contact_set_item(const xmppim_mem *mem, xmppim_contact *c, const char *name,
                        const char *const *groups, size_t ngroups) {
  char *n = NULL;
  if (name && *name && !(n = xmppim_mem_strndup(mem, name, strlen(name)))) return XMPPIM_ERR_NOMEM;
  char **g;
  if (copy_groups(mem, groups, ngroups, &g) != 0) {
    xmppim_mem_free(mem, n);
    return XMPPIM_ERR_NOMEM;
  }
  xmppim_mem_free(mem, c->name);
  for (size_t i = 0; i < c->ngroups; i++) xmppim_mem_free(mem, c->groups[i]);
  xmppim_mem_free(mem, c->groups);
  c->name = n;
  c->groups = g;
  c->ngroups = ngroups;
  return 0;
}

int im_contact_set_pending(const xmppim_mem *mem, xmppim_contact *c, const char *xml, size_t len) {
  char *p = NULL;
  if (xml && !(p = xmppim_mem_strndup(mem, xml, len))) return XMPPIM_ERR_NOMEM;
  xmppim_mem_free(mem, c->pending);
  c->pending = p;
  return 0;
}

int im_contact_clone(const xmppim_mem *mem, const xmppim_contact *c, xmppim_contact **out) {
  xmppim_contact *d = xmppim_mem_calloc(mem, 1, sizeof(*d));
  if (!d) return XMPPIM_ERR_NOMEM;
  *d = *c;
  d->jid = NULL;
  d->name = NULL;
  d->groups = NULL;
  d->ngroups = 0;
  d->pending = NULL;
  if (!(d->jid = xmppim_mem_strndup(mem, c->jid, c->jid_len)) ||
      im_contact_set_item(mem, d, c->name, (const char *const *)c->groups, c->ngroups) != 0 ||
      (c->pending && im_contact_set_pending(mem, d, c->pending, strlen(c->pending)) != 0)) {
    im_contact_free(mem, d);
    return XMPPIM_ERR_NOMEM;
  }
  *out = d;
  return 0;
}

/* ---- versions ---- */

void im_roster_format_version(const im_roster *r, uint64_t version, char out[IM_VERSION_MAX]) {
  snprintf(out, IM_VERSION_MAX, "%08" PRIx32 "-%" PRIu64, r->epoch, version);
}

void im_roster_version_string(const im_roster *r, char out[IM_VERSION_MAX]) {
  im_roster_format_version(r, r->version, out);
}

static int parse_version(const char *ver, uint32_t *epoch, uint64_t *counter) {
  if (!ver || strlen(ver) != strspn(ver, "0123456789abcdef-")) return -1;
  const char *dash = strchr(ver, '-');
  if (!dash || dash - ver != 8 || !dash[1] || strchr(dash + 1, '-')) return -1;
  if (dash[1] == '0' && dash[2]) return -1; /* one spelling per version */
  char *end;
  unsigned long long e = strtoull(ver, &end, 16);
  if (end != dash) return -1;
  unsigned long long n = strtoull(dash + 1, &end, 10);
  if (*end || n == ULLONG_MAX) return -1;
  *epoch = (uint32_t)e;
  *counter = n;
  return 0;
}

int im_roster_parse_version(const im_roster *r, const char *ver, uint64_t *counter) {
  uint32_t epoch;
  uint64_t n;
  if (parse_version(ver, &epoch, &n) != 0 || epoch != r->epoch || n > r->version) return -1;
  *counter = n;
  return 0;
}

int im_roster_adopt_version(im_roster *r, const char *ver) {
  uint32_t epoch;
  uint64_t n;
  if (parse_version(ver, &epoch, &n) != 0) return -1;
  r->epoch = epoch;
  r->version = n;
  return 0;
}

int im_roster_bump(im_roster *r, const char *jid) {
  if (r->log_cap) {
    char *copy = xmppim_mem_strndup(r->mem, jid, strlen(jid));
    if (!copy) return XMPPIM_ERR_NOMEM;
    if (!r->log) {
      r->log = xmppim_mem_calloc(r->mem, r->log_cap, sizeof(*r->log));
      if (!r->log) {
        xmppim_mem_free(r->mem, copy);
        return XMPPIM_ERR_NOMEM;
      }
    }
    if (r->log_len == r->log_cap) {
      /* Forget the oldest change: a client older than it gets everything. */
      xmppim_mem_free(r->mem, r->log[r->log_head].jid);
      r->log_head = (r->log_head + 1) % r->log_cap;
      r->log_len--;
    }
    log_entry *e = &r->log[(r->log_head + r->log_len) % r->log_cap];
    e->version = r->version + 1;
    e->jid = copy;
    r->log_len++;
  }
  r->version++;
  xmppim_contact *c = im_roster_get(r, jid);
  if (c) c->changed = r->version;
  return 0;
}

void im_roster_unbump(im_roster *r, const char *jid) {
  if (r->log_cap && r->log_len) {
    log_entry *e = &r->log[(r->log_head + r->log_len - 1) % r->log_cap];
    if (e->version == r->version) {
      xmppim_mem_free(r->mem, e->jid);
      e->jid = NULL;
      r->log_len--;
    }
  }
  (void)jid;
  r->version--;
}

int im_roster_changes_since(const im_roster *r, uint64_t since, const log_entry ***out, size_t *n) {
  *out = NULL;
  *n = 0;
  uint64_t missing = r->version - since;
  if (missing == 0) return 1;
  if (missing > r->log_len) return 0;
  const log_entry **v = xmppim_mem_calloc(r->mem, (size_t)missing, sizeof(*v));
  if (!v) return XMPPIM_ERR_NOMEM;
  /* Newest first, so that each item's last change is the one seen first and
   * earlier ones are skipped (R2.6.3-e: only the final state goes out); one
   * pass with a set of the JIDs seen, then reversed into change order. */
  xmppim_map seen;
  xmppim_map_init(&seen, r->mem);
  size_t count = 0;
  for (size_t k = 0; k < (size_t)missing; k++) {
    const log_entry *e = &r->log[(r->log_head + r->log_len - 1 - k) % r->log_cap];
    size_t len = strlen(e->jid);
    if (xmppim_map_get(&seen, e->jid, len)) continue;
    if (xmppim_map_put(&seen, e->jid, len, (void *)e) != 0) {
      xmppim_map_free(&seen);
      xmppim_mem_free(r->mem, v);
      return XMPPIM_ERR_NOMEM;
    }
    v[count++] = e;
  }
  xmppim_map_free(&seen);
  for (size_t i = 0; i < count / 2; i++) {
    const log_entry *t = v[i];
    v[i] = v[count - 1 - i];
    v[count - 1 - i] = t;
  }
  *out = v;
  *n = count;
  return 1;
}

/* ---- XML ---- */

int im_contact_write_item(const xmppim_contact *c, xmppim_stanza *parent) {
  xmppim_stanza *item;
  int rv = xmppim_stanza_add_child(parent, "item", XMPPIM_NS_ROSTER, &item);
  if (rv == 0) rv = xmppim_stanza_set_attr(item, "jid", c->jid);
  if (rv == 0 && c->name) rv = xmppim_stanza_set_attr(item, "name", c->name);
  if (rv == 0) rv = xmppim_stanza_set_attr(item, "subscription", xmppim_sub_subscription_attr(c->state));
  const char *ask = xmppim_sub_ask(c->state);
  if (rv == 0 && ask) rv = xmppim_stanza_set_attr(item, "ask", ask); /* R2.1.2.2-b */
  if (rv == 0 && c->approved) rv = xmppim_stanza_set_attr(item, "approved", "true"); /* R2.1.2.1-b */
  for (size_t i = 0; rv == 0 && i < c->ngroups; i++) {
    xmppim_stanza *g;
    rv = xmppim_stanza_add_child(item, "group", XMPPIM_NS_ROSTER, &g);
    if (rv == 0) rv = xmppim_stanza_add_text(g, c->groups[i], strlen(c->groups[i]));
  }
  return rv;
}

int im_write_removed_item(const char *jid, xmppim_stanza *parent) {
  xmppim_stanza *item;
  int rv = xmppim_stanza_add_child(parent, "item", XMPPIM_NS_ROSTER, &item);
  if (rv == 0) rv = xmppim_stanza_set_attr(item, "jid", jid);
  if (rv == 0) rv = xmppim_stanza_set_attr(item, "subscription", "remove");
  return rv;
}
