/*
 * Preparation of single JID parts (RFC 6122 sections 2.2-2.4), shared by the
 * object API in jid.c and reachable by the unit tests.
 *
 * Each function reads len bytes of UTF-8 (not NUL-terminated), writes the
 * prepared part NUL-terminated into out, which must hold
 * XMPPIM_JID_PART_MAX + 1 bytes, and its length without the NUL into
 * *out_len. mem (never NULL here) pays for the scratch buffer that long
 * non-ASCII parts need; short and ASCII parts need none. Returns 0 or a
 * negative XMPPIM_ERR_* code; out is unspecified on error.
 */
#ifndef XMPPIM_JID_PREP_H
#define XMPPIM_JID_PREP_H

#include <stddef.h>
#include <xmppim/common.h>
#include <xmppim/jid.h>

int xmppim_jid_prep_local(const char *in, size_t len, char *out, size_t *out_len,
                          const xmppim_mem *mem);
int xmppim_jid_prep_domain(const char *in, size_t len, char *out, size_t *out_len,
                           const xmppim_mem *mem);
int xmppim_jid_prep_resource(const char *in, size_t len, char *out, size_t *out_len,
                             const xmppim_mem *mem);

/*
 * Splits a JID string into its raw parts as RFC 6122 section 2.1 says: the
 * first '/' starts the resource; the first '@' before it ends the localpart.
 * An absent part gets a NULL pointer; a present but empty part gets a
 * non-NULL pointer and length 0. Never fails.
 */
typedef struct xmppim_jid_split {
  const char *local, *domain, *resource;
  size_t local_len, domain_len, resource_len;
} xmppim_jid_split;

void xmppim_jid_split_string(const char *in, size_t len, xmppim_jid_split *parts);

#endif
