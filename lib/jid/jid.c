/*
 * The xmppim_jid object: prepared parts and the canonical strings, in one
 * allocation. Parsing and preparation live in prep.c.
 */
#include <string.h>
#include <xmppim/jid.h>

#include "jid/prep.h"
#include "util/mem.h"

/*
 * Layout of the one block: the header, then the full string "l@d/r", then,
 * only when there is a resource, the bare string "l@d", then, only when
 * there is a localpart, "l". Every accessor points into it: the resource is
 * the tail of the full string and the domain the tail of the bare one, so
 * they need no copy of their own; only the localpart does, for its NUL.
 */
struct xmppim_jid {
  xmppim_mem mem;
  const char *local;    /* NULL when absent */
  const char *domain;   /* tail of bare */
  const char *resource; /* tail of full; NULL when bare */
  const char *bare;     /* == full when there is no resource */
  size_t full_len;
  size_t bare_len;
  char full[];
};

/* The prepared parts of one JID, before they go into an object. */
typedef struct prepared {
  char local[XMPPIM_JID_PART_MAX + 1];
  char domain[XMPPIM_JID_PART_MAX + 1];
  char resource[XMPPIM_JID_PART_MAX + 1];
  size_t local_len, domain_len, resource_len;
  int has_local, has_resource;
} prepared;

static int mem_usable(const xmppim_mem *mem) { return !mem || (mem->malloc && mem->free); }

static int prepare_split(const xmppim_jid_split *sp, prepared *p, const xmppim_mem *mem) {
  int rc;
  p->has_local = sp->local != NULL;
  p->has_resource = sp->resource != NULL;
  p->local_len = p->resource_len = 0;
  if (p->has_local) {
    rc = xmppim_jid_prep_local(sp->local, sp->local_len, p->local, &p->local_len, mem);
    if (rc) return rc;
  }
  rc = xmppim_jid_prep_domain(sp->domain, sp->domain_len, p->domain, &p->domain_len, mem);
  if (rc) return rc;
  if (p->has_resource) {
    rc = xmppim_jid_prep_resource(sp->resource, sp->resource_len, p->resource, &p->resource_len,
                                  mem);
    if (rc) return rc;
  }
  return 0;
}

/* Builds the object from prepared parts; local and resource may be NULL. */
static int build(xmppim_jid **out, const char *local, size_t local_len, const char *domain,
                 size_t domain_len, const char *resource, size_t resource_len,
                 const xmppim_mem *mem) {
  size_t bare_len = (local ? local_len + 1 : 0) + domain_len;
  size_t full_len = bare_len + (resource ? resource_len + 1 : 0);
  size_t size = sizeof(xmppim_jid) + full_len + 1;
  if (resource) size += bare_len + 1;
  if (local) size += local_len + 1;

  xmppim_jid *jid = xmppim_mem_malloc(mem, size);
  if (!jid) return XMPPIM_ERR_NOMEM;
  jid->mem = *mem;
  jid->full_len = full_len;
  jid->bare_len = bare_len;

  char *p = jid->full;
  if (local) {
    memcpy(p, local, local_len);
    p += local_len;
    *p++ = '@';
  }
  memcpy(p, domain, domain_len);
  p += domain_len;
  if (resource) {
    *p++ = '/';
    jid->resource = p;
    memcpy(p, resource, resource_len);
    p += resource_len;
  } else {
    jid->resource = NULL;
  }
  *p++ = '\0';

  if (resource) {
    jid->bare = p;
    memcpy(p, jid->full, bare_len);
    p += bare_len;
    *p++ = '\0';
  } else {
    jid->bare = jid->full;
  }
  jid->domain = jid->bare + (local ? local_len + 1 : 0);

  if (local) {
    jid->local = p;
    memcpy(p, local, local_len);
    p[local_len] = '\0';
  } else {
    jid->local = NULL;
  }
  *out = jid;
  return 0;
}

static int build_prepared(xmppim_jid **out, const prepared *p, const xmppim_mem *mem) {
  return build(out, p->has_local ? p->local : NULL, p->local_len, p->domain, p->domain_len,
               p->has_resource ? p->resource : NULL, p->resource_len, mem);
}

int xmppim_jid_new(xmppim_jid **out, const char *str, size_t len, const xmppim_mem *mem) {
  if (out) *out = NULL;
  if (!out || !str || !mem_usable(mem)) return XMPPIM_ERR_INVALID_ARGUMENT;
  mem = xmppim_mem_or_default(mem);

  xmppim_jid_split sp;
  prepared p;
  xmppim_jid_split_string(str, len, &sp);
  int rc = prepare_split(&sp, &p, mem);
  if (rc) return rc;
  return build_prepared(out, &p, mem);
}

int xmppim_jid_new_from_parts(xmppim_jid **out, const char *local, const char *domain,
                              const char *resource, const xmppim_mem *mem) {
  if (out) *out = NULL;
  if (!out || !domain || !mem_usable(mem)) return XMPPIM_ERR_INVALID_ARGUMENT;
  mem = xmppim_mem_or_default(mem);

  xmppim_jid_split sp;
  prepared p;
  sp.local = local;
  sp.local_len = local ? strlen(local) : 0;
  sp.domain = domain;
  sp.domain_len = strlen(domain);
  sp.resource = resource;
  sp.resource_len = resource ? strlen(resource) : 0;
  int rc = prepare_split(&sp, &p, mem);
  if (rc) return rc;
  return build_prepared(out, &p, mem);
}

void xmppim_jid_free(xmppim_jid *jid) {
  if (!jid) return;
  xmppim_mem mem = jid->mem;
  xmppim_mem_free(&mem, jid);
}

static size_t local_len_of(const xmppim_jid *jid) {
  return jid->local ? (size_t)(jid->domain - jid->bare) - 1 : 0;
}

/* Rebuilds from parts already prepared, keeping or dropping the resource. */
static int rebuild(xmppim_jid **out, const xmppim_jid *jid, int keep_resource,
                   const xmppim_mem *mem) {
  if (out) *out = NULL;
  if (!out || !jid || !mem_usable(mem)) return XMPPIM_ERR_INVALID_ARGUMENT;
  mem = xmppim_mem_or_default(mem);
  size_t local_len = local_len_of(jid);
  size_t domain_len = jid->bare_len - (jid->local ? local_len + 1 : 0);
  const char *resource = keep_resource ? jid->resource : NULL;
  size_t resource_len = resource ? jid->full_len - jid->bare_len - 1 : 0;
  return build(out, jid->local, local_len, jid->domain, domain_len, resource, resource_len, mem);
}

int xmppim_jid_copy(xmppim_jid **out, const xmppim_jid *jid, const xmppim_mem *mem) {
  return rebuild(out, jid, 1, mem);
}

int xmppim_jid_bare(xmppim_jid **out, const xmppim_jid *jid, const xmppim_mem *mem) {
  return rebuild(out, jid, 0, mem);
}

const char *xmppim_jid_local(const xmppim_jid *jid) { return jid ? jid->local : NULL; }

const char *xmppim_jid_domain(const xmppim_jid *jid) { return jid ? jid->domain : NULL; }

const char *xmppim_jid_resource(const xmppim_jid *jid) { return jid ? jid->resource : NULL; }

int xmppim_jid_is_bare(const xmppim_jid *jid) { return jid && !jid->resource; }

const char *xmppim_jid_to_string(const xmppim_jid *jid) { return jid ? jid->full : NULL; }

const char *xmppim_jid_bare_string(const xmppim_jid *jid) { return jid ? jid->bare : NULL; }

int xmppim_jid_equal(const xmppim_jid *a, const xmppim_jid *b) {
  return a && b && a->full_len == b->full_len && memcmp(a->full, b->full, a->full_len) == 0;
}

int xmppim_jid_bare_equal(const xmppim_jid *a, const xmppim_jid *b) {
  return a && b && a->bare_len == b->bare_len && memcmp(a->bare, b->bare, a->bare_len) == 0;
}

int xmppim_jid_prep(const char *in, size_t len, char *out, size_t cap, size_t *needed) {
  if (!in || (!out && cap > 0)) return XMPPIM_ERR_INVALID_ARGUMENT;

  xmppim_jid_split sp;
  prepared p;
  xmppim_jid_split_string(in, len, &sp);
  int rc = prepare_split(&sp, &p, xmppim_mem_default());
  if (rc) return rc;

  size_t total = (p.has_local ? p.local_len + 1 : 0) + p.domain_len +
                 (p.has_resource ? p.resource_len + 1 : 0);
  if (needed) *needed = total;
  if (cap <= total) {
    if (cap > 0) out[0] = '\0';
    return XMPPIM_ERR_BUFFER_TOO_SMALL;
  }
  char *o = out;
  if (p.has_local) {
    memcpy(o, p.local, p.local_len);
    o += p.local_len;
    *o++ = '@';
  }
  memcpy(o, p.domain, p.domain_len);
  o += p.domain_len;
  if (p.has_resource) {
    *o++ = '/';
    memcpy(o, p.resource, p.resource_len);
    o += p.resource_len;
  }
  *o = '\0';
  return 0;
}
