/*
 * The in-memory store: each user's contacts exactly as the server saved
 * them, and the roster version. See memory_store.h.
 */
#include <string.h>

#include <xmppim/memory_store.h>

#include "im/roster_store.h"
#include "util/map.h"
#include "util/mem.h"
#include "xml/tree.h"

typedef struct mem_user {
  char *bare;
  size_t bare_len;
  char *version; /* NULL until the first change */
  xmppim_map contacts; /* jid -> xmppim_contact* (copies) */
  char **offline;      /* kept messages, serialized, oldest first */
  size_t noffline;
  char *last;          /* the last unavailable presence, serialized */
} mem_user;

struct xmppim_memory_store {
  xmppim_mem mem;
  xmppim_map users;
  unsigned fail_next;
  unsigned fail_loads;
  size_t offline_limit;
};

int xmppim_memory_store_new(xmppim_memory_store **out, const xmppim_mem *mem) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  const xmppim_mem *m = xmppim_mem_or_default(mem);
  xmppim_memory_store *st = xmppim_mem_calloc(m, 1, sizeof(*st));
  if (!st) return XMPPIM_ERR_NOMEM;
  st->mem = *m;
  st->offline_limit = 100;
  xmppim_map_init(&st->users, &st->mem);
  *out = st;
  return 0;
}

static void user_free(xmppim_memory_store *st, mem_user *u) {
  size_t it = 0;
  const char *key;
  size_t len;
  void *value;
  while (xmppim_map_next(&u->contacts, &it, &key, &len, &value)) im_contact_free(&st->mem, value);
  xmppim_map_free(&u->contacts);
  for (size_t i = 0; i < u->noffline; i++) xmppim_mem_free(&st->mem, u->offline[i]);
  xmppim_mem_free(&st->mem, u->offline);
  xmppim_mem_free(&st->mem, u->last);
  xmppim_mem_free(&st->mem, u->version);
  xmppim_mem_free(&st->mem, u->bare);
  xmppim_mem_free(&st->mem, u);
}

void xmppim_memory_store_free(xmppim_memory_store *st) {
  if (!st) return;
  size_t it = 0;
  const char *key;
  size_t len;
  void *value;
  while (xmppim_map_next(&st->users, &it, &key, &len, &value)) user_free(st, value);
  xmppim_map_free(&st->users);
  xmppim_mem_free(&st->mem, st);
}

static mem_user *find_user(const xmppim_memory_store *st, const char *user) {
  return xmppim_map_get(&st->users, user, strlen(user));
}

int xmppim_memory_store_add_user(xmppim_memory_store *st, const char *user) {
  if (!st || !user) return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_jid *j;
  int rv = xmppim_jid_new(&j, user, strlen(user), &st->mem);
  if (rv) return rv == XMPPIM_ERR_NOMEM ? rv : XMPPIM_ERR_INVALID_ARGUMENT;
  if (!xmppim_jid_local(j) || xmppim_jid_resource(j) || find_user(st, xmppim_jid_bare_string(j))) {
    xmppim_jid_free(j);
    return XMPPIM_ERR_INVALID_ARGUMENT;
  }
  mem_user *u = xmppim_mem_calloc(&st->mem, 1, sizeof(*u));
  if (u) {
    u->bare_len = strlen(xmppim_jid_bare_string(j));
    u->bare = xmppim_mem_strndup(&st->mem, xmppim_jid_bare_string(j), u->bare_len);
    xmppim_map_init(&u->contacts, &st->mem);
  }
  xmppim_jid_free(j);
  if (!u || !u->bare || xmppim_map_put(&st->users, u->bare, u->bare_len, u) != 0) {
    if (u) user_free(st, u);
    return XMPPIM_ERR_NOMEM;
  }
  return 0;
}

static int load_roster(void *data, const char *user, xmppim_roster_loader *loader) {
  xmppim_memory_store *st = data;
  if (st->fail_loads) {
    st->fail_loads--;
    return XMPPIM_ERR_INTERNAL;
  }
  mem_user *u = find_user(st, user);
  if (!u) return XMPPIM_ERR_NOT_FOUND;
  size_t it = 0;
  const char *key;
  size_t len;
  void *value;
  while (xmppim_map_next(&u->contacts, &it, &key, &len, &value)) {
    const xmppim_contact *c = value;
    int rv = xmppim_roster_loader_add(loader, c->jid, c->name, (const char *const *)c->groups, c->ngroups,
                                      c->state, c->approved, c->in_roster, c->pending);
    if (rv) return rv;
  }
  return u->version ? xmppim_roster_loader_set_version(loader, u->version) : 0;
}

static int set_version(xmppim_memory_store *st, mem_user *u, const char *version) {
  char *v = xmppim_mem_strndup(&st->mem, version, strlen(version));
  if (!v) return XMPPIM_ERR_NOMEM;
  xmppim_mem_free(&st->mem, u->version);
  u->version = v;
  return 0;
}

static int should_fail(xmppim_memory_store *st) {
  if (!st->fail_next) return 0;
  st->fail_next--;
  return 1;
}

static int save_contact(void *data, const char *user, const xmppim_contact *contact, const char *version) {
  xmppim_memory_store *st = data;
  mem_user *u = find_user(st, user);
  if (!u) return XMPPIM_ERR_NOT_FOUND;
  if (should_fail(st)) return XMPPIM_ERR_INTERNAL;
  xmppim_contact *copy;
  int rv = im_contact_clone(&st->mem, contact, &copy);
  if (rv) return rv;
  /* Both or neither: the version and the contact are one transaction. */
  char *v = xmppim_mem_strndup(&st->mem, version, strlen(version));
  xmppim_contact *old = xmppim_map_get(&u->contacts, copy->jid, copy->jid_len);
  if (!v || xmppim_map_put(&u->contacts, copy->jid, copy->jid_len, copy) != 0) {
    xmppim_mem_free(&st->mem, v);
    im_contact_free(&st->mem, copy);
    return XMPPIM_ERR_NOMEM;
  }
  im_contact_free(&st->mem, old);
  xmppim_mem_free(&st->mem, u->version);
  u->version = v;
  return 0;
}

static int delete_contact(void *data, const char *user, const char *jid, const char *version) {
  xmppim_memory_store *st = data;
  mem_user *u = find_user(st, user);
  if (!u) return XMPPIM_ERR_NOT_FOUND;
  if (should_fail(st)) return XMPPIM_ERR_INTERNAL;
  int rv = set_version(st, u, version);
  if (rv) return rv;
  im_contact_free(&st->mem, xmppim_map_remove(&u->contacts, jid, strlen(jid)));
  return 0;
}

static int offline_put(void *data, const char *user, const xmppim_stanza *message) {
  xmppim_memory_store *st = data;
  mem_user *u = find_user(st, user);
  if (!u) return XMPPIM_ERR_NOT_FOUND;
  if (u->noffline >= st->offline_limit) return XMPPIM_ERR_LIMIT;
  char *xml = xmppim_stanza_to_string(message, &st->mem, 0, NULL);
  char **v = xml ? xmppim_mem_realloc(&st->mem, u->offline, (u->noffline + 1) * sizeof(*v)) : NULL;
  if (!v) {
    xmppim_mem_free(&st->mem, xml);
    return XMPPIM_ERR_NOMEM;
  }
  u->offline = v;
  u->offline[u->noffline++] = xml;
  return 0;
}

static int offline_take(void *data, const char *user, xmppim_offline_message_cb deliver, void *ctx) {
  xmppim_memory_store *st = data;
  mem_user *u = find_user(st, user);
  if (!u) return XMPPIM_ERR_NOT_FOUND;
  size_t done = 0;
  int rv = 0;
  while (done < u->noffline && rv == 0) {
    xmppim_stanza *m;
    rv = xmppim_stanza_parse(&m, u->offline[done], strlen(u->offline[done]), &st->mem, NULL);
    if (rv == 0) {
      rv = deliver(ctx, m);
      xmppim_stanza_free(m);
    }
    if (rv == 0) xmppim_mem_free(&st->mem, u->offline[done++]);
  }
  /* What was not taken stays, in order. Only when something was taken:
   * with none kept the array is NULL, and NULL + 0 is undefined (UBSan in
   * fuzz_server: a user with no kept messages coming online). */
  if (done) {
    memmove(u->offline, u->offline + done, (u->noffline - done) * sizeof(*u->offline));
    u->noffline -= done;
  }
  return rv;
}

static int last_put(void *data, const char *user, const xmppim_stanza *presence) {
  xmppim_memory_store *st = data;
  mem_user *u = find_user(st, user);
  if (!u) return XMPPIM_ERR_NOT_FOUND;
  if (!presence) {
    xmppim_mem_free(&st->mem, u->last);
    u->last = NULL;
    return 0;
  }
  char *xml = xmppim_stanza_to_string(presence, &st->mem, 0, NULL);
  if (!xml) return XMPPIM_ERR_NOMEM;
  xmppim_mem_free(&st->mem, u->last);
  u->last = xml;
  return 0;
}

static int last_get(void *data, const char *user, xmppim_stanza **out) {
  xmppim_memory_store *st = data;
  *out = NULL;
  mem_user *u = find_user(st, user);
  if (!u) return XMPPIM_ERR_NOT_FOUND;
  if (!u->last) return 0;
  return xmppim_stanza_parse(out, u->last, strlen(u->last), &st->mem, NULL);
}

void xmppim_memory_store_install(xmppim_memory_store *st, xmppim_server_callbacks *cb) {
  xmppim_server_callbacks_set_load_roster(cb, load_roster);
  xmppim_server_callbacks_set_save_contact(cb, save_contact);
  xmppim_server_callbacks_set_delete_contact(cb, delete_contact);
  xmppim_server_callbacks_set_offline(cb, offline_put, offline_take);
  xmppim_server_callbacks_set_last_presence(cb, last_put, last_get);
  xmppim_server_callbacks_set_store_data(cb, st);
}

void xmppim_memory_store_set_offline_limit(xmppim_memory_store *st, size_t per_user) {
  if (st) st->offline_limit = per_user;
}

size_t xmppim_memory_store_offline_count(const xmppim_memory_store *st, const char *user) {
  const mem_user *u = st && user ? find_user(st, user) : NULL;
  return u ? u->noffline : 0;
}

size_t xmppim_memory_store_contact_count(const xmppim_memory_store *st, const char *user) {
  const mem_user *u = st && user ? find_user(st, user) : NULL;
  return u ? xmppim_map_count(&u->contacts) : 0;
}

const char *xmppim_memory_store_version(const xmppim_memory_store *st, const char *user) {
  const mem_user *u = st && user ? find_user(st, user) : NULL;
  return u ? u->version : NULL;
}

void xmppim_memory_store_fail_next(xmppim_memory_store *st, unsigned n) {
  if (st) st->fail_next = n;
}

void xmppim_memory_store_fail_next_loads(xmppim_memory_store *st, unsigned n) {
  if (st) st->fail_loads = n;
}
