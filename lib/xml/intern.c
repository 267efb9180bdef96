/*
 * Static strings for the names and namespaces that make up nearly all XMPP
 * traffic. A parsed tree points at these instead of copying them into its
 * arena, and code comparing them can often compare pointers first.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "xml/tree.h"

static const char *const well_known[] = {
  /* namespaces */
  "jabber:client", "jabber:server", "jabber:iq:roster", "http://etherx.jabber.org/streams",
  "urn:ietf:params:xml:ns:xmpp-streams", "urn:ietf:params:xml:ns:xmpp-stanzas",
  "urn:ietf:params:xml:ns:xmpp-tls", "urn:ietf:params:xml:ns:xmpp-sasl",
  "urn:ietf:params:xml:ns:xmpp-bind", "urn:ietf:params:xml:ns:xmpp-session",
  "urn:xmpp:features:rosterver", "urn:xmpp:features:pre-approval",
  "http://jabber.org/protocol/caps", "http://jabber.org/protocol/chatstates",
  "http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items",
  "urn:xmpp:delay", "urn:xmpp:ping", "urn:xmpp:receipts", "urn:xmpp:sm:3", "jabber:x:data",
  "vcard-temp", "vcard-temp:x:update", "urn:xmpp:carbons:2", "urn:xmpp:forward:0",
  "urn:xmpp:mam:2", "urn:xmpp:sid:0", "urn:xmpp:hints", "http://www.w3.org/XML/1998/namespace",
  /* stanza and payload element names */
  "message", "presence", "iq", "body", "subject", "thread", "show", "status", "priority",
  "error", "query", "item", "group", "c", "x", "delay", "active", "composing", "paused",
  "inactive", "gone", "ping", "request", "received", "stream", "features", "starttls",
  "proceed", "failure", "mechanisms", "mechanism", "auth", "challenge", "response", "success",
  "bind", "resource", "jid", "session", "ver", "text", "required", "optional",
  "stanza-id", "origin-id", "store", "no-store", "forwarded", "sent", "private", "enable",
  "enabled", "r", "a", "photo", "identity", "feature",
  /* attribute names and common values */
  "to", "from", "id", "type", "lang", "version", "name", "subscription", "ask", "approved",
  "hash", "node", "ext", "stamp", "by", "parent", "xmlns", "category", "var", "code", "h",
  "chat", "normal", "groupchat", "headline", "get", "set", "result", "unavailable",
  "subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe", "away", "xa", "dnd",
  "none", "both", "remove", "true", "false", "sha-1", "cancel", "modify", "auth", "wait",
};

#define TABLE_SIZE 512 /* power of two, well above twice the entries */

static const char *table[TABLE_SIZE];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static uint32_t hash_bytes(const char *s, size_t len) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static void build_table(void) {
  for (size_t i = 0; i < sizeof(well_known) / sizeof(well_known[0]); i++) {
    const char *s = well_known[i];
    size_t len = strlen(s);
    uint32_t slot = hash_bytes(s, len) & (TABLE_SIZE - 1);
    while (table[slot] && strcmp(table[slot], s) != 0) slot = (slot + 1) & (TABLE_SIZE - 1);
    table[slot] = s;
  }
}

const char *xmppim_intern_lookup(const char *s, size_t len) {
  pthread_once(&table_once, build_table);
  uint32_t slot = hash_bytes(s, len) & (TABLE_SIZE - 1);
  while (table[slot]) {
    const char *t = table[slot];
    if (strncmp(t, s, len) == 0 && t[len] == '\0') return t;
    slot = (slot + 1) & (TABLE_SIZE - 1);
  }
  return NULL;
}
