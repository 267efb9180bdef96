/*
 * The server core (xmppim_server) with many users online, no sessions: the
 * bench plays the host. It hands stanzas to xmppim_server_handle_stanza()
 * as a session would after stamping 'from' (a local client's full JID, in
 * jabber:client), and its deliver callback serializes every stanza the core
 * hands out into one reusable buffer, as a host writing to a socket would,
 * and counts it per recipient. The store is the in-memory one
 * (xmppim_memory_store), the domain example.com. Stanzas are parsed once up
 * front (templates) and reused, with their attributes set outside the
 * timing, so that the figures are the core's and not the parser's.
 *
 *   bench_server [USERS [MESSAGES [CONTACTS [RUNS]]]]
 *
 *   USERS     users online for routing and memory (default 1000)
 *   MESSAGES  chat messages routed per run (default 1000000)
 *   CONTACTS  contacts of the fan-out user (default 5000)
 *   RUNS      runs of each timed phase, the median is reported (default 5)
 *
 * Figures, each timed with CLOCK_MONOTONIC:
 *   routing       USERS users online, one resource each, initial presence
 *                 sent, each pair of neighbours (i, i+1) subscribed both
 *                 ways (through subscription stanzas, once); MESSAGES chat
 *                 messages from random users to random other users' bare
 *                 JIDs (a fixed seed); the time includes the host's
 *                 serialization of each delivered message. References:
 *                 MESSAGES serializations of that message (the floor of
 *                 handing it to a socket) and MESSAGES one-shot parses of
 *                 it with xmppim_stanza_parse() and frees (what a host
 *                 spends before the core sees it; a stream parser costs
 *                 less per stanza, see bench_parse).
 *   routing-scaling the same per message with USERS/4 and USERS*4 users
 *                 online (MESSAGES/10 each): flat when the cost of a
 *                 message does not depend on how many users are online;
 *                 and the cost of binding one user's resource (roster
 *                 loaded) while the others are bound.
 *   presence-fanout one user with CONTACTS contacts subscribed both ways,
 *                 9 in 10 of them online: the user's initial presence
 *                 (broadcast to every contact, probes answered locally from
 *                 the contacts' presence) and its unavailable presence.
 *                 Reference: as many serializations of the presence as
 *                 stanzas were delivered.
 *   memory        through counting allocator hooks (counting_mem.h): the
 *                 server's heap with USERS users online (initial presence
 *                 sent) less its heap with none, per user; the heap of a
 *                 loaded roster per item (the fan-out user's against a
 *                 one-item roster).
 *
 * Checks (exit status 1 when one fails): every message delivered once to
 * its recipient and to nobody else; the presence stanzas RFC 6121 section
 * 4 asks for, to the right recipients and no more (4.2.2: initial presence
 * to each contact with a from or both subscription and to the user's own
 * resource, 4.3: each online contact's presence back; 4.5.2: unavailable
 * to the same contacts and resource); no error stanza anywhere; no heap
 * growth from routing, nor from a second cycle of everyone coming online
 * and leaving (the users table keeps its size after the first), and
 * nothing live after xmppim_server_free() and xmppim_memory_store_free()
 * (the stores count through the hooks too). Exit status 2 for
 * bad arguments or no memory. Timings never fail the program.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xmppim/common.h>
#include <xmppim/jid.h>
#include <xmppim/memory_store.h>
#include <xmppim/server.h>
#include <xmppim/stanza.h>

#define BENCH_NAME "bench_server"
#include "bench_common.h"
#include "counting_mem.h"

#define DOMAIN "example.com"
#define RESOURCE "desk"
#define HUB "hub@" DOMAIN
#define BATCH 1000  /* messages prepared ahead, untimed, then handed in timed */
#define REFRESH 64  /* uses of a prepared stanza before a fresh copy (see slot_prepare) */
#define OFFLINE_EVERY 10 /* one fan-out contact in this many stays offline */

static void *xalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) die("allocation", XMPPIM_ERR_NOMEM);
  return p;
}

/* xorshift64*: a fixed sequence on every machine. */
static uint64_t rng;
static size_t below(size_t n) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (size_t)((rng * 0x2545f4914f6cdd1dull) >> 11) % n;
}

/* ---- the host: deliver callback ---------------------------------------- */

typedef struct host {
  char *buf; /* the last delivered stanza, serialized */
  size_t cap, last_len;
  size_t *got;   /* deliveries per recipient: user index, the hub last */
  size_t nrecip; /* entries of got */
  size_t delivered, bytes, messages, available, unavailable, other, errors, unknown;
  int serialize_failed;
  char first_error[600];
} host;

static void host_init(host *h, size_t nrecip) {
  free(h->got);
  h->got = xalloc(nrecip, sizeof *h->got);
  h->nrecip = nrecip;
}

static void host_reset(host *h) {
  memset(h->got, 0, h->nrecip * sizeof *h->got);
  h->delivered = h->bytes = h->messages = h->available = h->unavailable = h->other = h->errors = h->unknown = 0;
}

/* Serializes st into the host's buffer (grown as needed); 0 or an error. */
static int host_write(host *h, const xmppim_stanza *st) {
  int rv = serialize_growing(st, &h->buf, &h->cap, &h->last_len);
  if (rv == 0) h->bytes += h->last_len;
  return rv;
}

/* The recipient's index: users and contacts are u<n> and c<n>, the
 * fan-out user the last entry. SIZE_MAX for anyone else. */
static size_t recipient(const host *h, const xmppim_jid *to) {
  const char *local = xmppim_jid_local(to);
  if (!local) return SIZE_MAX;
  if (strcmp(local, "hub") == 0) return h->nrecip - 1;
  if (local[0] != 'u' && local[0] != 'c') return SIZE_MAX;
  char *end;
  unsigned long long i = strtoull(local + 1, &end, 10);
  return *end || i >= h->nrecip - 1 ? SIZE_MAX : (size_t)i;
}

static int deliver(xmppim_server *srv, const xmppim_jid *to, const xmppim_stanza *st, void *ud) {
  (void)srv;
  host *h = ud;
  int rv = host_write(h, st);
  if (rv) {
    h->serialize_failed = 1;
    return rv;
  }
  const char *name = xmppim_stanza_name(st), *type = xmppim_stanza_attr(st, "type");
  if (type && strcmp(type, "error") == 0) {
    if (h->errors++ == 0) snprintf(h->first_error, sizeof h->first_error, "%.*s", (int)h->last_len, h->buf);
  } else if (strcmp(name, "message") == 0) {
    h->messages++;
  } else if (strcmp(name, "presence") == 0 && !type) {
    h->available++;
  } else if (strcmp(name, "presence") == 0 && strcmp(type, "unavailable") == 0) {
    h->unavailable++;
  } else {
    h->other++;
  }
  size_t i = recipient(h, to);
  if (i == SIZE_MAX)
    h->unknown++;
  else
    h->got[i]++;
  h->delivered++;
  return 0;
}

static void check_clean(const host *h, const char *phase) {
  if (h->errors) fail("%s: %zu error stanzas delivered, the first: %s", phase, h->errors, h->first_error);
  if (h->serialize_failed) fail("%s: a delivered stanza did not serialize", phase);
  if (h->unknown) fail("%s: %zu stanzas delivered to JIDs the bench never bound", phase, h->unknown);
}

/* ---- stanzas ------------------------------------------------------------ */

/* Parsed once; every stanza handed in is one of these, copied or reused
 * with 'from', 'to' and 'type' set. */
static xmppim_stanza *tpl_message, *tpl_available, *tpl_unavailable, *tpl_subscription;
static const char message_xml[] =
  "<message xmlns='jabber:client' type='chat' id='bench-m1' from='u00000@" DOMAIN "/" RESOURCE "'"
  " to='u00001@" DOMAIN "'><body>Are we still on for lunch tomorrow at noon? The usual place.</body>"
  "<active xmlns='http://jabber.org/protocol/chatstates'/></message>";
static const char available_xml[] =
  "<presence xmlns='jabber:client' from='u00000@" DOMAIN "/" RESOURCE "'><show>chat</show>"
  "<status>Working from home</status><priority>1</priority>"
  "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://example.com/client'"
  " ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>";
static const char unavailable_xml[] =
  "<presence xmlns='jabber:client' type='unavailable' from='u00000@" DOMAIN "/" RESOURCE "'/>";
static const char subscription_xml[] =
  "<presence xmlns='jabber:client' type='subscribe' from='u00000@" DOMAIN "' to='u00001@" DOMAIN "'/>";

static xmppim_stanza *parse_or_die(const char *xml) {
  xmppim_stanza *st;
  int rv = xmppim_stanza_parse(&st, xml, strlen(xml), NULL, NULL);
  if (rv) die("parsing a template", rv);
  return st;
}

static void set_or_die(xmppim_stanza *st, const char *name, const char *value) {
  int rv = xmppim_stanza_set_attr(st, name, value);
  if (rv) die("xmppim_stanza_set_attr", rv);
}

/* A copy of tpl from `from`, to `to` (NULL: none), of `type` (NULL: the
 * template's). */
static xmppim_stanza *stanza_from(const xmppim_stanza *tpl, const char *from, const char *to, const char *type) {
  xmppim_stanza *st;
  int rv = xmppim_stanza_copy(&st, tpl, NULL);
  if (rv) die("xmppim_stanza_copy", rv);
  set_or_die(st, "from", from);
  set_or_die(st, "to", to);
  if (type) set_or_die(st, "type", type);
  return st;
}

/* ---- users and servers --------------------------------------------------- */

typedef struct users {
  size_t n;
  char **bare;       /* u00000@example.com ... */
  xmppim_jid **full; /* u00000@example.com/desk ... */
} users;

static void users_make(users *u, char prefix, size_t n) {
  u->n = n;
  u->bare = xalloc(n, sizeof *u->bare);
  u->full = xalloc(n, sizeof *u->full);
  for (size_t i = 0; i < n; i++) {
    char tmp[64];
    int len = snprintf(tmp, sizeof tmp, "%c%05zu@" DOMAIN, prefix, i);
    u->bare[i] = xalloc((size_t)len + 1, 1);
    memcpy(u->bare[i], tmp, (size_t)len + 1);
    snprintf(tmp, sizeof tmp, "%s/" RESOURCE, u->bare[i]);
    int rv = xmppim_jid_new(&u->full[i], tmp, strlen(tmp), NULL);
    if (rv) die("xmppim_jid_new", rv);
  }
}

static void users_free(users *u) {
  for (size_t i = 0; i < u->n; i++) {
    free(u->bare[i]);
    xmppim_jid_free(u->full[i]);
  }
  free(u->bare);
  free(u->full);
  memset(u, 0, sizeof *u);
}

static xmppim_server_options *opts;

static xmppim_server *server_new(xmppim_memory_store *store, host *h, const xmppim_mem *mem) {
  return server_on_store(store, deliver, h, opts, mem, DOMAIN);
}

static xmppim_memory_store *store_new(const users *u, const xmppim_mem *mem) {
  xmppim_memory_store *st;
  int rv = xmppim_memory_store_new(&st, mem);
  if (rv) die("xmppim_memory_store_new", rv);
  for (size_t i = 0; i < u->n; i++)
    if ((rv = xmppim_memory_store_add_user(st, u->bare[i])) != 0) die("xmppim_memory_store_add_user", rv);
  return st;
}

static void bind_or_die(xmppim_server *srv, const xmppim_jid *full) {
  int rv = xmppim_server_resource_bound(srv, full);
  if (rv) die("xmppim_server_resource_bound", rv);
}

static void unbind(xmppim_server *srv, const xmppim_jid *full) {
  int rv = xmppim_server_resource_unbound(srv, full);
  if (rv) fail("xmppim_server_resource_unbound(%s) returned %d", xmppim_jid_to_string(full), rv);
}

/* Hands in a copy of tpl from the resource `from` (stamped with its full
 * JID, or its bare JID for subscription presence as a session does). */
static void send_from(xmppim_server *srv, const xmppim_jid *from, const xmppim_stanza *tpl, const char *to,
                      const char *type) {
  const char *stamp = tpl == tpl_subscription ? xmppim_jid_bare_string(from) : xmppim_jid_to_string(from);
  xmppim_stanza *st = stanza_from(tpl, stamp, to, type);
  int rv = xmppim_server_handle_stanza(srv, from, st);
  if (rv != 1) fail("%s from %s: xmppim_server_handle_stanza returned %d", xmppim_stanza_name(st), stamp, rv);
  xmppim_stanza_free(st);
}

/* a and b (bound resources of local users) subscribe to each other's
 * presence, each approving the other's request: both end with 'both'. */
static void subscribe_both(xmppim_server *srv, const xmppim_jid *a, const xmppim_jid *b) {
  const char *ab = xmppim_jid_bare_string(a), *bb = xmppim_jid_bare_string(b);
  send_from(srv, a, tpl_subscription, bb, "subscribe");
  send_from(srv, b, tpl_subscription, ab, "subscribed");
  send_from(srv, b, tpl_subscription, ab, "subscribe");
  send_from(srv, a, tpl_subscription, bb, "subscribed");
}

/* ---- routing ------------------------------------------------------------- */

/* USERS users online in a ring-less chain of both-way subscriptions. */
typedef struct chain {
  users u;
  xmppim_memory_store *store;
  xmppim_server *srv;
  double bind_seconds; /* binding all of them (rosters loaded) */
} chain;

/* The subscriptions (through stanzas) and the initial presence of every
 * user, checked as RFC 6121 says they come out. */
static void chain_online(chain *c, host *h) {
  size_t n = c->u.n;
  double t0 = now();
  for (size_t i = 0; i < n; i++) bind_or_die(c->srv, c->u.full[i]);
  c->bind_seconds = now() - t0;
  host_reset(h);
  for (size_t i = 0; i + 1 < n; i++) subscribe_both(c->srv, c->u.full[i], c->u.full[i + 1]);
  /* Nobody is available or has asked for the roster: nothing goes out. */
  if (h->delivered) fail("chain: the subscriptions delivered %zu stanzas with nobody available", h->delivered);
  for (size_t i = 0; i < n; i++) {
    size_t want = (i > 0) + (i + 1 < n);
    size_t have = xmppim_memory_store_contact_count(c->store, c->u.bare[i]);
    if (have != want) fail("chain: the store holds %zu contacts of %s, not %zu", have, c->u.bare[i], want);
  }
  for (size_t i = 0; i < n; i++) send_from(c->srv, c->u.full[i], tpl_available, NULL, NULL);
  /* User i got its own presence (R4.2.2-b), i-1's in answer to its probe
   * (i-1 was online: subscription to), i+1's unavailable in answer to the
   * other probe (i+1 was not online yet: R4.3.2-f), and i+1's broadcast
   * (subscription from) when i+1 came online. */
  for (size_t i = 0; i < n; i++) {
    size_t want = 1 + (i > 0) + 2 * (i + 1 < n);
    if (h->got[i] != want) {
      fail("chain: %s got %zu presence stanzas going online, not %zu", c->u.bare[i], h->got[i], want);
      break;
    }
  }
  if (h->available != 3 * n - 2 || h->delivered != 4 * n - 3)
    fail("chain: %zu stanzas (%zu available presence) for %zu users going online, not %zu (%zu)", h->delivered,
         h->available, n, 4 * n - 3, 3 * n - 2);
  check_clean(h, "chain");
}

static void chain_new(chain *c, size_t n, host *h, const xmppim_mem *store_mem) {
  memset(c, 0, sizeof *c);
  users_make(&c->u, 'u', n);
  c->store = store_new(&c->u, store_mem);
  c->srv = server_new(c->store, h, NULL);
  host_init(h, n + 1);
  chain_online(c, h);
}

static void chain_free(chain *c) {
  xmppim_server_free(c->srv);
  xmppim_memory_store_free(c->store);
  users_free(&c->u);
}

/* BATCH message stanzas, reused: each gets a fresh copy of the template
 * every REFRESH uses, because a replaced attribute's old value stays in the
 * stanza's arena until the stanza is freed. */
typedef struct slots {
  xmppim_stanza *st[BATCH];
  unsigned uses[BATCH];
  const xmppim_jid *sender[BATCH];
} slots;

static void slot_prepare(slots *s, size_t j, const users *u, size_t from, size_t to) {
  if (!s->st[j] || s->uses[j] >= REFRESH) {
    xmppim_stanza_free(s->st[j]);
    int rv = xmppim_stanza_copy(&s->st[j], tpl_message, NULL);
    if (rv) die("xmppim_stanza_copy", rv);
    s->uses[j] = 0;
  }
  s->uses[j]++;
  set_or_die(s->st[j], "from", xmppim_jid_to_string(u->full[from]));
  set_or_die(s->st[j], "to", u->bare[to]);
  s->sender[j] = u->full[from];
}

static void slots_free(slots *s) {
  for (size_t j = 0; j < BATCH; j++) xmppim_stanza_free(s->st[j]);
  memset(s, 0, sizeof *s);
}

/* m chat messages from random users to random other users' bare JIDs (the
 * same ones for the same seed); returns the seconds spent in
 * xmppim_server_handle_stanza and checks every delivery. want: scratch of
 * u->n counters. */
static double route(xmppim_server *srv, const users *u, size_t m, uint64_t seed, host *h, slots *s, size_t *want) {
  size_t n = u->n, bad = 0;
  int first_bad = 0;
  double total = 0;
  rng = seed;
  memset(want, 0, n * sizeof *want);
  host_reset(h);
  for (size_t base = 0; base < m; base += BATCH) {
    size_t k = m - base < BATCH ? m - base : BATCH;
    for (size_t j = 0; j < k; j++) {
      size_t from = below(n), to = below(n - 1);
      if (to >= from) to++;
      slot_prepare(s, j, u, from, to);
      want[to]++;
    }
    double t0 = now();
    for (size_t j = 0; j < k; j++) {
      int rv = xmppim_server_handle_stanza(srv, s->sender[j], s->st[j]);
      if (rv != 1 && bad++ == 0) first_bad = rv;
    }
    total += now() - t0;
  }
  if (bad) fail("routing: xmppim_server_handle_stanza failed %zu times, first with %d", bad, first_bad);
  if (h->delivered != m || h->messages != m)
    fail("routing: %zu messages sent, %zu stanzas delivered (%zu messages)", m, h->delivered, h->messages);
  for (size_t i = 0; i < n; i++)
    if (h->got[i] != want[i]) {
      fail("routing: %s got %zu messages, %zu were sent to it", u->bare[i], h->got[i], want[i]);
      break;
    }
  check_clean(h, "routing");
  return total;
}

/* ---- presence fan-out ---------------------------------------------------- */

typedef struct star {
  users c; /* the contacts */
  xmppim_jid *hub;
  xmppim_memory_store *store;
  xmppim_server *srv;
  size_t online;
} star;

static int contact_online(size_t i) { return i % OFFLINE_EVERY != OFFLINE_EVERY - 1; }

static xmppim_memory_store *star_store(star *s, const xmppim_mem *mem) {
  xmppim_memory_store *st = store_new(&s->c, mem);
  int rv = xmppim_memory_store_add_user(st, HUB);
  if (rv) die("xmppim_memory_store_add_user", rv);
  return st;
}

static void star_new(star *s, size_t contacts, host *h, const xmppim_mem *store_mem) {
  memset(s, 0, sizeof *s);
  users_make(&s->c, 'c', contacts);
  int rv = xmppim_jid_new(&s->hub, HUB "/" RESOURCE, strlen(HUB "/" RESOURCE), NULL);
  if (rv) die("xmppim_jid_new", rv);
  s->store = star_store(s, store_mem);
  s->srv = server_new(s->store, h, NULL);
  host_init(h, contacts + 1);
  bind_or_die(s->srv, s->hub);
  for (size_t i = 0; i < contacts; i++) bind_or_die(s->srv, s->c.full[i]);
  host_reset(h);
  for (size_t i = 0; i < contacts; i++) subscribe_both(s->srv, s->hub, s->c.full[i]);
  if (h->delivered) fail("fan-out: the subscriptions delivered %zu stanzas with nobody available", h->delivered);
  if (xmppim_memory_store_contact_count(s->store, HUB) != contacts)
    fail("fan-out: the store holds %zu contacts of " HUB ", not %zu", xmppim_memory_store_contact_count(s->store, HUB),
         contacts);
  for (size_t i = 0; i < contacts; i++) {
    if (contact_online(i)) {
      s->online++;
    } else {
      unbind(s->srv, s->c.full[i]);
    }
  }
  /* Online contacts announce themselves while the hub is not available:
   * each one gets its own presence back and the hub's unavailable, in
   * answer to its probe (R4.3.2-f). */
  host_reset(h);
  for (size_t i = 0; i < contacts; i++)
    if (contact_online(i)) send_from(s->srv, s->c.full[i], tpl_available, NULL, NULL);
  if (h->delivered != 2 * s->online || h->available != s->online || h->got[contacts])
    fail("fan-out: %zu contacts going online got %zu stanzas (%zu to the hub)", s->online, h->delivered,
         h->got[contacts]);
  check_clean(h, "fan-out setup");
}

static void star_free(star *s) {
  xmppim_server_free(s->srv);
  xmppim_memory_store_free(s->store);
  xmppim_jid_free(s->hub);
  users_free(&s->c);
}

/* The hub's initial presence (available) or unavailable presence, handed
 * in and timed; the deliveries checked against RFC 6121. */
static double star_event(star *s, host *h, const xmppim_stanza *presence, int available) {
  size_t nc = s->c.n, k = s->online;
  host_reset(h);
  double t0 = now();
  int rv = xmppim_server_handle_stanza(s->srv, s->hub, presence);
  double t = now() - t0;
  const char *what = available ? "initial presence" : "unavailable presence";
  if (rv != 1) fail("fan-out: the hub's %s returned %d", what, rv);
  /* 4.2.2 / 4.5.2: to every from/both contact (the K online ones take it;
   * to an offline one it is dropped, 8.5.2.2.2) and to the hub's own
   * resource; 4.2.2-c / 4.3: going online, each online contact's presence
   * comes back to the hub, answered locally, and each offline contact's
   * unavailable (R4.3.2-f). */
  size_t hub_want = available ? 1 + nc : 1, typed_want = available ? 2 * k + 1 : k + 1;
  size_t total = available ? typed_want + (nc - k) : typed_want;
  size_t typed = available ? h->available : h->unavailable;
  if (h->delivered != total || typed != typed_want)
    fail("fan-out: %s delivered %zu stanzas (%zu of that type), not %zu (%zu)", what, h->delivered, typed, total,
         typed_want);
  if (h->got[nc] != hub_want) fail("fan-out: %s: the hub got %zu stanzas, not %zu", what, h->got[nc], hub_want);
  for (size_t i = 0; i < nc; i++)
    if (h->got[i] != (size_t)contact_online(i)) {
      fail("fan-out: %s: %s got %zu stanzas, not %d", what, s->c.bare[i], h->got[i], contact_online(i));
      break;
    }
  check_clean(h, "fan-out");
  return t;
}

/* ---- references ---------------------------------------------------------- */

/* n serializations of st into the host's buffer. */
static double ref_serialize(host *h, const xmppim_stanza *st, size_t n) {
  double t0 = now();
  for (size_t i = 0; i < n; i++)
    if (host_write(h, st) != 0) die("serializing the reference", XMPPIM_ERR_INTERNAL);
  return now() - t0;
}

/* n parses (and frees) of xml. */
static double ref_parse(const char *xml, size_t len, size_t n) {
  double t0 = now();
  for (size_t i = 0; i < n; i++) {
    xmppim_stanza *st;
    int rv = xmppim_stanza_parse(&st, xml, len, NULL, NULL);
    if (rv) die("parsing the reference", rv);
    xmppim_stanza_free(st);
  }
  return now() - t0;
}

/* ---- main ---------------------------------------------------------------- */

static int arg(int argc, char **argv, int i, size_t lo, size_t hi, size_t *out) {
  if (argc <= i) return 0;
  char *end;
  unsigned long long v = strtoull(argv[i], &end, 10);
  if (*end || v < lo || v > hi) return -1;
  *out = (size_t)v;
  return 0;
}

int main(int argc, char **argv) {
  size_t n = 1000, m = 1000000, contacts = 5000, runs = 5;
  if (argc > 5 || arg(argc, argv, 1, 2, 100000, &n) || arg(argc, argv, 2, 1, 100000000, &m) ||
      arg(argc, argv, 3, 2, 1000000, &contacts) || arg(argc, argv, 4, 1, 100, &runs)) {
    fprintf(stderr,
            "usage: %s [USERS (2..100000, default 1000) [MESSAGES (default 1000000) [CONTACTS (2..1000000, "
            "default 5000) [RUNS (1..100, default 5)]]]]\n",
            argv[0]);
    return 2;
  }
  printf("bench_server: build %s, sanitize %s; %zu users, %zu messages, %zu contacts, median of %zu runs\n",
         BENCH_BUILDTYPE, BENCH_SANITIZE, n, m, contacts, runs);
  warn_build();

  tpl_message = parse_or_die(message_xml);
  tpl_available = parse_or_die(available_xml);
  tpl_unavailable = parse_or_die(unavailable_xml);
  tpl_subscription = parse_or_die(subscription_xml);
  int rv = xmppim_server_options_new(&opts);
  if (rv) die("xmppim_server_options_new", rv);
  if ((rv = xmppim_server_options_set_max_roster_items(opts, contacts < 10000 ? 10000 : contacts)) != 0)
    die("server options", rv);

  host h;
  memset(&h, 0, sizeof h);
  counting store_cnt = {0};
  xmppim_mem store_mem = counting_mem(&store_cnt);
  double *t = xalloc(runs, sizeof *t), *tr = xalloc(runs, sizeof *tr), *tp = xalloc(runs, sizeof *tp);
  slots *sl = xalloc(1, sizeof *sl);

  /* 1. routing. */
  chain ch;
  chain_new(&ch, n, &h, &store_mem);
  size_t *want = xalloc(n * 4, sizeof *want);
  xmppim_stanza *ref_msg = stanza_from(tpl_message, xmppim_jid_to_string(ch.u.full[0]), ch.u.bare[1], NULL);
  size_t ref_len = 0;
  if (xmppim_stanza_serialize(ref_msg, NULL, NULL, 0, &ref_len) != XMPPIM_ERR_BUFFER_TOO_SMALL)
    die("sizing the reference message", XMPPIM_ERR_INTERNAL);
  char *ref_xml = xalloc(ref_len + 1, 1);
  if ((rv = xmppim_stanza_serialize(ref_msg, NULL, ref_xml, ref_len + 1, &ref_len)) != 0)
    die("serializing the reference message", rv);
  size_t routed_bytes = 0;
  for (size_t r = 0; r < runs; r++) {
    t[r] = route(ch.srv, &ch.u, m, 0x5eed, &h, sl, want);
    routed_bytes = h.bytes;
    tr[r] = ref_serialize(&h, ref_msg, m);
    tp[r] = ref_parse(ref_xml, ref_len, m);
  }
  double routing = median(t, runs), ser = median(tr, runs), parse = median(tp, runs);
  printf("routing: %zu users online, %zu chat messages to random bare JIDs: %.3f M messages/s, %.0f ns/message "
         "(%.0f bytes/message delivered); reference serialize %.0f ns/message, ratio %.2f; reference parse+free "
         "%.0f ns/message, ratio %.2f\n",
         n, m, (double)m / routing / 1e6, routing * 1e9 / (double)m, (double)routed_bytes / (double)m,
         ser * 1e9 / (double)m, routing / ser, parse * 1e9 / (double)m, routing / parse);
  double bind_n = ch.bind_seconds;
  chain_free(&ch);

  /* 1b. the same with fewer and more users online. */
  size_t ms = m / 10 ? m / 10 : 1, sizes[2] = {n / 4 >= 2 ? n / 4 : 2, n * 4};
  double per_msg[2], per_bind[2];
  for (size_t k = 0; k < 2; k++) {
    chain c;
    chain_new(&c, sizes[k], &h, &store_mem);
    for (size_t r = 0; r < runs; r++) t[r] = route(c.srv, &c.u, ms, 0x5eed + k, &h, sl, want);
    per_msg[k] = median(t, runs) / (double)ms;
    per_bind[k] = c.bind_seconds / (double)sizes[k];
    chain_free(&c);
  }
  printf("routing-scaling: ns/message with %zu, %zu, %zu users online: %.0f, %.0f, %.0f (ratio %zu/%zu users "
         "%.2f, 1.00 = flat); binding a user's resource: %.2f, %.2f, %.2f us (ratio %.2f)\n",
         sizes[0], n, sizes[1], per_msg[0] * 1e9, routing * 1e9 / (double)m, per_msg[1] * 1e9, sizes[1], sizes[0],
         per_msg[1] / per_msg[0], per_bind[0] * 1e6, bind_n * 1e6 / (double)n, per_bind[1] * 1e6,
         per_bind[1] / per_bind[0]);

  /* 2. presence fan-out. */
  star s;
  star_new(&s, contacts, &h, &store_mem);
  xmppim_stanza *on = stanza_from(tpl_available, xmppim_jid_to_string(s.hub), NULL, NULL);
  xmppim_stanza *off = stanza_from(tpl_unavailable, xmppim_jid_to_string(s.hub), NULL, NULL);
  /* An event takes milliseconds: four times as many runs as the others. */
  size_t fruns = runs * 4;
  double *ton_t = xalloc(fruns, sizeof *ton_t), *tonr_t = xalloc(fruns, sizeof *tonr_t);
  double *toff_t = xalloc(fruns, sizeof *toff_t), *toffr_t = xalloc(fruns, sizeof *toffr_t);
  size_t k = s.online, on_n = 2 * k + 1 + (contacts - k), off_n = k + 1;
  xmppim_stanza *on_out = stanza_from(tpl_available, xmppim_jid_to_string(s.hub), s.c.bare[0], NULL);
  xmppim_stanza *off_out = stanza_from(tpl_unavailable, xmppim_jid_to_string(s.hub), s.c.bare[0], NULL);
  for (size_t r = 0; r < fruns; r++) {
    ton_t[r] = star_event(&s, &h, on, 1);
    toff_t[r] = star_event(&s, &h, off, 0);
    tonr_t[r] = ref_serialize(&h, on_out, on_n);
    toffr_t[r] = ref_serialize(&h, off_out, off_n);
  }
  double ton = median(ton_t, fruns), tonr = median(tonr_t, fruns);
  double tof = median(toff_t, fruns), tofr = median(toffr_t, fruns);
  printf("presence-fanout: 1 user, %zu contacts both ways, %zu online (median of %zu): going online %.2f ms "
         "(%zu stanzas delivered: %zu of the broadcast to %zu contacts, 1 own, %zu contacts' presence, %zu "
         "offline contacts' unavailable; %.0f "
         "ns/stanza), reference serialize %.2f ms, ratio %.2f; going offline %.2f ms (%zu stanzas: %zu of the "
         "broadcast, 1 own; %.0f ns/stanza), reference serialize %.2f ms, ratio %.2f\n",
         contacts, k, fruns, ton * 1e3, on_n, k, contacts, k, contacts - k, ton * 1e9 / (double)on_n, tonr * 1e3, ton / tonr,
         tof * 1e3, off_n, k, tof * 1e9 / (double)off_n, tofr * 1e3, tof / tofr);
  xmppim_stanza_free(on_out);
  xmppim_stanza_free(off_out);
  star_free(&s);

  /* 3. memory: a server through counting hooks, N users going online on a
   * store holding the chain's subscriptions. */
  counting cnt = {0};
  xmppim_mem mem = counting_mem(&cnt);
  chain mc;
  memset(&mc, 0, sizeof mc);
  users_make(&mc.u, 'u', n);
  mc.store = store_new(&mc.u, &store_mem);
  mc.srv = server_new(mc.store, &h, NULL);
  host_init(&h, n + 1);
  chain_online(&mc, &h); /* the subscriptions, in a server without hooks */
  xmppim_server_free(mc.srv);
  mc.srv = server_new(mc.store, &h, &mem);
  size_t live0 = cnt.live, blocks0 = cnt.blocks;
  host_reset(&h);
  for (size_t i = 0; i < n; i++) bind_or_die(mc.srv, mc.u.full[i]);
  for (size_t i = 0; i < n; i++) send_from(mc.srv, mc.u.full[i], tpl_available, NULL, NULL);
  if (h.delivered != 4 * n - 3)
    fail("memory: %zu stanzas for %zu users going online, not %zu", h.delivered, n, 4 * n - 3);
  size_t live_n = cnt.live - live0, blocks_n = cnt.blocks - blocks0, items_n = 2 * (n - 1);
  /* Routing leaves nothing behind. */
  route(mc.srv, &mc.u, m < 100000 ? m : 100000, 0xfeed, &h, sl, want);
  if (cnt.live - live0 != live_n)
    fail("memory: %zu bytes live after routing, %zu before", cnt.live - live0, live_n);
  /* Everyone leaves, comes back and leaves again: the second time the heap
   * ends where the first time did (the users table keeps its size, so the
   * first time it need not end at live0). */
  size_t gone = 0, gone_blocks = 0;
  for (int cycle = 0; cycle < 2; cycle++) {
    if (cycle) {
      for (size_t i = 0; i < n; i++) bind_or_die(mc.srv, mc.u.full[i]);
      for (size_t i = 0; i < n; i++) send_from(mc.srv, mc.u.full[i], tpl_available, NULL, NULL);
      if (cnt.live - live0 != live_n)
        fail("memory: %zu bytes live with everyone back online, %zu the first time", cnt.live - live0, live_n);
    }
    for (size_t i = 0; i < n; i++) send_from(mc.srv, mc.u.full[i], tpl_unavailable, NULL, NULL);
    for (size_t i = 0; i < n; i++) unbind(mc.srv, mc.u.full[i]);
    if (cycle && (cnt.live != gone || cnt.blocks != gone_blocks))
      fail("memory: %zu bytes in %zu blocks live with everyone gone again, %zu in %zu the first time", cnt.live,
           cnt.blocks, gone, gone_blocks);
    gone = cnt.live;
    gone_blocks = cnt.blocks;
  }
  xmppim_server_free(mc.srv);
  mc.srv = NULL;
  if (cnt.live || cnt.blocks)
    fail("memory: %zu bytes in %zu blocks live after xmppim_server_free (routing)", cnt.live, cnt.blocks);
  xmppim_memory_store_free(mc.store);
  users_free(&mc.u);

  /* Per roster item: the fan-out user's roster loaded against a contact's
   * one-item roster, then a whole online/offline cycle, then nothing live. */
  star mstar;
  memset(&mstar, 0, sizeof mstar);
  star_new(&mstar, contacts, &h, &store_mem);
  xmppim_server_free(mstar.srv);
  memset(&cnt, 0, sizeof cnt);
  mstar.srv = server_new(mstar.store, &h, &mem);
  size_t base = cnt.live, base_blocks = cnt.blocks;
  bind_or_die(mstar.srv, mstar.c.full[0]);
  size_t one_item = cnt.live - base, one_blocks = cnt.blocks - base_blocks;
  unbind(mstar.srv, mstar.c.full[0]);
  bind_or_die(mstar.srv, mstar.hub);
  size_t all_items = cnt.live - base, all_blocks = cnt.blocks - base_blocks;
  unbind(mstar.srv, mstar.hub);
  /* Two whole online/offline cycles: the second ends where the first did. */
  size_t idle = 0;
  for (int cycle = 0; cycle < 2; cycle++) {
    for (size_t i = 0; i < contacts; i++)
      if (contact_online(i)) bind_or_die(mstar.srv, mstar.c.full[i]);
    for (size_t i = 0; i < contacts; i++)
      if (contact_online(i)) send_from(mstar.srv, mstar.c.full[i], tpl_available, NULL, NULL);
    bind_or_die(mstar.srv, mstar.hub);
    star_event(&mstar, &h, on, 1);
    star_event(&mstar, &h, off, 0);
    unbind(mstar.srv, mstar.hub);
    for (size_t i = 0; i < contacts; i++)
      if (contact_online(i)) unbind(mstar.srv, mstar.c.full[i]);
    if (cycle && cnt.live != idle)
      fail("memory: %zu bytes live after the second fan-out cycle, %zu after the first", cnt.live, idle);
    idle = cnt.live;
  }
  xmppim_server_free(mstar.srv);
  mstar.srv = NULL;
  if (cnt.live || cnt.blocks)
    fail("memory: %zu bytes in %zu blocks live after xmppim_server_free (fan-out)", cnt.live, cnt.blocks);
  star_free(&mstar);
  double per_item = (double)(all_items - one_item) / (double)(contacts - 1);
  printf("memory: %.0f bytes/available resource (%zu users online with initial presence, %.2f allocations each, "
         "%.1f roster items each, %.0f bytes of that in roster items); %.0f bytes/roster item (a %zu-item roster "
         "loaded, %zu bytes, against a 1-item roster, %zu bytes; %.2f allocations/item); requested sizes, "
         "allocator overhead excluded\n",
         (double)live_n / (double)n, n, (double)blocks_n / (double)n, (double)items_n / (double)n,
         per_item * (double)items_n / (double)n, per_item, contacts, all_items, one_item,
         (double)(all_blocks - one_blocks) / (double)(contacts - 1));

  if (store_cnt.live || store_cnt.blocks)
    fail("the memory stores left %zu bytes in %zu blocks live after xmppim_memory_store_free", store_cnt.live,
         store_cnt.blocks);

  xmppim_stanza_free(on);
  xmppim_stanza_free(off);
  xmppim_stanza_free(ref_msg);
  free(ref_xml);
  slots_free(sl);
  free(sl);
  free(want);
  free(t);
  free(tr);
  free(tp);
  free(ton_t);
  free(tonr_t);
  free(toff_t);
  free(toffr_t);
  free(h.buf);
  free(h.got);
  xmppim_stanza_free(tpl_message);
  xmppim_stanza_free(tpl_available);
  xmppim_stanza_free(tpl_unavailable);
  xmppim_stanza_free(tpl_subscription);
  xmppim_server_options_free(opts);
  printf(failed ? "bench_server: FAILED\n" : "bench_server: all checks passed\n");
  return failed ? 1 : 0;
}
