/*
 * One user's roster as the server holds it (RFC 6121 section 2, server
 * side): the contacts by JID, the version, and the bounded log of recent
 * changes that versioned gets are answered from. No I/O and no policy here:
 * server.c decides what changes and who is told; this file keeps the
 * data straight and turns it into XML.
 */
#ifndef XMPPIM_IM_ROSTER_STORE_H
#define XMPPIM_IM_ROSTER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <xmppim/server.h>

#include "util/map.h"

struct xmppim_contact {
  char *jid; /* prepared bare JID; the map key */
  size_t jid_len;
  char *name; /* NULL: none */
  char **groups;
  size_t ngroups;
  xmppim_sub_state state;
  unsigned approved : 1;
  unsigned in_roster : 1;
  char *pending; /* the contact's kept subscribe stanza, serialized; or NULL */
  uint64_t changed; /* version of the last change pushed for it */
};

typedef struct log_entry {
  uint64_t version;
  char *jid; /* owned copy: the contact may be gone */
} log_entry;

typedef struct im_roster {
  const xmppim_mem *mem;
  xmppim_map contacts; /* jid -> xmppim_contact* */
  size_t items;        /* contacts with in_roster set */
  size_t pending;      /* contacts with a kept request */
  uint32_t epoch;      /* tells versions of one roster from a recreated one */
  uint64_t version;    /* counter of pushed changes */
  log_entry *log;      /* ring of the last log_cap changes */
  size_t log_cap, log_len, log_head;
} im_roster;

/* A version string: "<epoch hex>-<counter>", opaque to clients (R2.1.1-b). */
#define IM_VERSION_MAX 32

void im_roster_init(im_roster *r, const xmppim_mem *mem, size_t log_cap, uint32_t epoch);
void im_roster_free(im_roster *r);

xmppim_contact *im_roster_get(const im_roster *r, const char *jid);

/* A new contact (not in the roster, state None) under a prepared bare JID. */
int im_roster_add(im_roster *r, const char *jid, xmppim_contact **out);
/* Removes and frees a contact. */
void im_roster_remove(im_roster *r, xmppim_contact *c);

void im_contact_free(const xmppim_mem *mem, xmppim_contact *c);
/* Frees what the contact holds, not the contact. */
void im_contact_clear(const xmppim_mem *mem, xmppim_contact *c);
/* A deep copy, so that a change can be undone when the store refuses it. */
int im_contact_clone(const xmppim_mem *mem, const xmppim_contact *c, xmppim_contact **out);
/* Replaces name and groups with copies of the given ones. */
int im_contact_set_item(const xmppim_mem *mem, xmppim_contact *c, const char *name,
                        const char *const *groups, size_t ngroups);
int im_contact_set_pending(const xmppim_mem *mem, xmppim_contact *c, const char *xml, size_t len);
/* Keeps r->items and r->pending right when flags change: call around edits. */
void im_roster_count_out(im_roster *r, const xmppim_contact *c);
void im_roster_count_in(im_roster *r, const xmppim_contact *c);

/* Formats the current version, or an earlier one of this roster (the
 * interim pushes of a versioned get carry their own). */
void im_roster_version_string(const im_roster *r, char out[IM_VERSION_MAX]);
void im_roster_format_version(const im_roster *r, uint64_t version, char out[IM_VERSION_MAX]);
/* Parses a stored or client-given version: 0 with the counter when it is
 * one of this roster's (same epoch), else -1. */
int im_roster_parse_version(const im_roster *r, const char *ver, uint64_t *counter);
/* Sets epoch and counter from a stored version; -1 when it does not parse. */
int im_roster_adopt_version(im_roster *r, const char *ver);

/* Counts a pushed change of jid: bumps the version, logs it, stamps the contact
 * (when it still exists). 0 or XMPPIM_ERR_NOMEM (nothing changed then). */
int im_roster_bump(im_roster *r, const char *jid);
/* Undoes the last bump (the store refused the change). */
void im_roster_unbump(im_roster *r, const char *jid);

/*
 * What a client holding version `since` lacks: 1 with the log entries of
 * the items changed since then, each item once (its last change), in change
 * order, in *out (an array the caller frees with xmppim_mem_free; the
 * entries are the log's); 0 when the log does not reach back that far (send
 * the full roster); XMPPIM_ERR_NOMEM. Linear in the changes covered.
 */
int im_roster_changes_since(const im_roster *r, uint64_t since, const log_entry ***out, size_t *n);

/* Appends <item/> for the contact to parent (a jabber:iq:roster query);
 * removed: subscription='remove' and only the jid. */
int im_contact_write_item(const xmppim_contact *c, xmppim_stanza *parent);
int im_write_removed_item(const char *jid, xmppim_stanza *parent);

#endif
