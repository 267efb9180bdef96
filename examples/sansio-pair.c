/*
 * sansio-pair: the library with no network, no thread and no clock. What
 * one session writes is simply fed to another.
 *
 * Part 1 prints every byte of a login: Juliet's client session and the
 * server session that serves her. This is the whole API in miniature:
 *
 *   xmppim_session_output() + xmppim_session_consumed()   bytes out
 *   xmppim_session_feed()                                 bytes in
 *   callbacks                                             events
 *
 * Part 2 puts a server core (xmppim_server, with the in-memory store)
 * behind the server sessions and logs Romeo in too. Each client keeps a
 * roster (xmppim_roster) and follows presence (xmppim_presence). Juliet
 * adds Romeo to her roster and asks for his presence; each approves the
 * other and asks back; each sees the other's presence, Juliet's change of
 * presence and her message reach Romeo, and when she leaves Romeo sees
 * her go.
 *
 * It is also a test: every step is checked, and the exit status is 1 when
 * one went wrong.
 *
 * Build: part of the project (meson), or on its own with
 *   cc sansio-pair.c $(pkg-config --cflags --libs xmppim)
 */
#include <stdio.h>
#include <string.h>
#include <xmppim.h>

#define DOMAIN "example.com"

/* The server's accounts. A real server keeps salted SCRAM credentials
 * (see xmppim_scram_derive) instead of passwords. */
static const struct account {
  const char *user, *password;
} ACCOUNTS[] = {{"juliet", "r0m30myr0m30"}, {"romeo", "c4pul3t"}};

typedef struct world world;

/* One user: a client application and the server's side of its stream. */
typedef struct person {
  world *w;
  const char *name, *password;
  xmppim_session *client, *server_side;
  xmppim_roster *roster;
  xmppim_presence *presence;
  int print_bytes;
  char jid[128]; /* full JID, once bound */
  char last_message[128];
} person;

struct world {
  xmppim_server *core;
  xmppim_memory_store *store;
  person juliet, romeo;
  int failures;
};

static void check(world *w, int ok, const char *what) {
  printf("   [%s] %s\n", ok ? "ok" : "FAILED", what);
  if (!ok) w->failures++;
}

/* ---------------------------------------------------------------------- */
/* The server host: sessions in front, the core behind                     */
/* ---------------------------------------------------------------------- */

static xmppim_sasl_condition lookup_scram(const char *user, xmppim_scram_hash hash,
                                          xmppim_scram_credentials *creds, void *ud) {
  (void)ud;
  static const unsigned char salt[16] = "sansio-pair-salt";
  for (size_t i = 0; i < sizeof ACCOUNTS / sizeof *ACCOUNTS; i++)
    if (strcmp(user, ACCOUNTS[i].user) == 0)
      return xmppim_scram_derive(creds, hash, ACCOUNTS[i].password, salt, sizeof salt, 4096,
                                 NULL) == 0
                 ? XMPPIM_SASL_COND_NONE
                 : XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE;
  return XMPPIM_SASL_COND_NOT_AUTHORIZED;
}

/* A resource is bound: from now on the core routes stanzas to it. */
static void server_on_ready(xmppim_session *s, const xmppim_jid *jid, void *ud) {
  (void)s;
  person *p = ud;
  snprintf(p->jid, sizeof p->jid, "%s", xmppim_jid_to_string(jid));
  if (xmppim_server_resource_bound(p->w->core, jid) != 0) p->w->failures++;
}

/* Every stanza from a client goes to the core (roster, presence, routing). */
static int server_on_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  person *p = ud;
  int rv = xmppim_server_handle_stanza(p->w->core, xmppim_session_jid(s), st);
  if (rv < 0) return rv;
  return rv == 1 ? 0 : XMPPIM_STANZA_UNHANDLED;
}

/* The core hands a stanza to one bound resource: write it to its stream. */
static int deliver(xmppim_server *core, const xmppim_jid *to, const xmppim_stanza *st, void *ud) {
  (void)core;
  world *w = ud;
  person *people[] = {&w->juliet, &w->romeo};
  for (size_t i = 0; i < 2; i++)
    if (strcmp(people[i]->jid, xmppim_jid_to_string(to)) == 0)
      return xmppim_session_send(people[i]->server_side, st);
  return XMPPIM_ERR_NOT_FOUND;
}

/* ---------------------------------------------------------------------- */
/* The client applications                                                 */
/* ---------------------------------------------------------------------- */

static int client_on_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  (void)s;
  person *p = ud;
  /* The presence tracker first, then the roster (see presence.h). */
  int rv = xmppim_presence_handle_stanza(p->presence, st);
  if (rv != 0) return rv < 0 ? rv : 0;
  if ((rv = xmppim_roster_handle_stanza(p->roster, st)) != 0) return rv < 0 ? rv : 0;
  const char *name = xmppim_stanza_name(st), *type = xmppim_stanza_attr(st, "type");
  const char *from = xmppim_stanza_attr(st, "from");
  if (strcmp(name, "presence") == 0 && type && strcmp(type, "subscribe") == 0 && from) {
    /* Approve, and ask back unless we see their presence or asked already. */
    printf("-- %s: %s asks to see my presence: yes\n", p->name, from);
    xmppim_roster_subscribed(p->roster, from);
    const xmppim_roster_item *item = xmppim_roster_find(p->roster, from);
    if (!item || (!xmppim_sub_is_to(xmppim_roster_item_state(item)) && !xmppim_roster_item_ask(item)))
      xmppim_roster_subscribe(p->roster, from);
    return 0;
  }
  if (strcmp(name, "message") == 0) {
    const char *body = xmppim_message_body(st, NULL, NULL, NULL);
    printf("-- %s: message from %s: %s\n", p->name, from ? from : "?", body ? body : "");
    snprintf(p->last_message, sizeof p->last_message, "%s", body ? body : "");
    return 0;
  }
  return XMPPIM_STANZA_UNHANDLED; /* answered as the RFC says (IQs: an error) */
}

static void roster_item_changed(xmppim_roster *r, const xmppim_roster_item *item, void *ud) {
  (void)r;
  person *p = ud;
  printf("-- %s's roster: %s subscription=%s%s\n", p->name, xmppim_roster_item_jid(item),
         xmppim_roster_item_subscription(item), xmppim_roster_item_ask(item) ? " ask=subscribe" : "");
}

static void presence_changed(xmppim_presence *tracker, xmppim_presence_event event,
                             const char *contact, const xmppim_presence_resource *res,
                             const xmppim_stanza *st, void *ud) {
  (void)tracker, (void)st;
  person *p = ud;
  const char *show = xmppim_show_name(xmppim_presence_resource_show(res));
  const char *status = xmppim_presence_resource_status(res, NULL);
  static const char *const what[] = {"", "available", "changed", "unavailable"};
  const char *resource = xmppim_presence_resource_name(res);
  printf("-- %s sees %s%s%s %s", p->name, contact, resource ? "/" : "", resource ? resource : "",
         what[event]);
  if (event != XMPPIM_PRESENCE_UNAVAILABLE)
    printf(" (%s%s%s)", show ? show : "online", status ? ": " : "", status ? status : "");
  printf("\n");
}

/* ---------------------------------------------------------------------- */
/* The wire: bytes moved from one session to the other                     */
/* ---------------------------------------------------------------------- */

/* Moves what `from` has written into `to`. Returns the number of bytes
 * moved, so the caller knows when everybody is quiet. */
static size_t transfer(xmppim_session *from, xmppim_session *to, const char *label) {
  const char *data;
  size_t len = xmppim_session_output(from, &data);
  if (len == 0) return 0;
  if (!xmppim_session_want_read(to)) { /* the peer has closed: nobody reads */
    xmppim_session_consumed(from, len);
    return len;
  }
  /* A real program writes to a socket here; feed stands in for the peer's
   * read. It may take fewer bytes than offered: the rest stays in `from`. */
  long used = xmppim_session_feed(to, data, len);
  if (used < 0) {
    fprintf(stderr, "feed failed: %s\n", xmppim_strerror((int)used));
    used = (long)len;
  }
  if (label) printf("\n%s %.*s\n", label, (int)used, data);
  xmppim_session_consumed(from, (size_t)used);
  return (size_t)used;
}

static void pump(world *w) {
  person *people[] = {&w->juliet, &w->romeo};
  size_t moved;
  do {
    moved = 0;
    for (size_t i = 0; i < 2; i++) {
      person *p = people[i];
      if (!p->client) continue;
      moved += transfer(p->client, p->server_side, p->print_bytes ? "C:" : NULL);
      moved += transfer(p->server_side, p->client, p->print_bytes ? "S:" : NULL);
    }
  } while (moved > 0);
}

/* A client session, the server session for it, and the client's roster and
 * presence tracker; logs in. */
static int connect_person(world *w, person *p, const char *resource) {
  xmppim_callbacks *ccb, *scb;
  xmppim_options *copt, *sopt;
  if (xmppim_callbacks_new(&ccb) || xmppim_callbacks_new(&scb) || xmppim_options_new(&copt) ||
      xmppim_options_new(&sopt))
    return -1;
  xmppim_callbacks_set_on_stanza(ccb, client_on_stanza);
  xmppim_callbacks_set_on_ready(scb, server_on_ready);
  xmppim_callbacks_set_on_stanza(scb, server_on_stanza);
  xmppim_callbacks_set_sasl_scram(scb, lookup_scram);
  /* In memory there is no TLS to negotiate; a real client keeps the
   * default, which refuses to authenticate without it. */
  xmppim_options_set_require_tls(copt, 0);
  /* The server advertises what its core supports (roster versioning, ...). */
  const char *feature, *ns;
  for (size_t i = 0; xmppim_server_stream_feature(w->core, i, &feature, &ns) == 0; i++)
    xmppim_options_add_stream_feature(sopt, feature, ns);
  char jid[128];
  snprintf(jid, sizeof jid, "%s@" DOMAIN "/%s", p->name, resource);
  p->w = w;
  int rv = xmppim_session_server_new(&p->server_side, DOMAIN, scb, p, sopt, NULL);
  if (rv == 0) rv = xmppim_session_client_new(&p->client, jid, p->password, ccb, p, copt, NULL);
  xmppim_callbacks_free(ccb); /* each session keeps its own copy */
  xmppim_callbacks_free(scb);
  xmppim_options_free(copt);
  xmppim_options_free(sopt);
  xmppim_roster_callbacks rcb = {.on_item_added = roster_item_changed,
                                 .on_item_updated = roster_item_changed};
  xmppim_presence_callbacks pcb = {.on_resource = presence_changed};
  if (rv == 0) rv = xmppim_roster_client_new(&p->roster, p->client, &rcb, p, NULL);
  if (rv == 0) rv = xmppim_presence_client_new(&p->presence, p->client, &pcb, p, NULL);
  if (rv != 0) return rv;
  pump(w);
  if (xmppim_session_state_get(p->client) != XMPPIM_STATE_READY) return -1;
  printf("\n== %s ready, mechanism %s\n", xmppim_jid_to_string(xmppim_session_jid(p->client)),
         xmppim_sasl_mechanism_name(xmppim_session_mechanism(p->client)));
  return 0;
}

/* The client closes its stream; the host tells the core the resource is gone. */
static void disconnect_person(world *w, person *p) {
  xmppim_session_close(p->client);
  pump(w);
  xmppim_server_resource_unbound(w->core, xmppim_session_jid(p->server_side));
  pump(w);
}

static void free_person(person *p) {
  xmppim_presence_free(p->presence);
  xmppim_roster_free(p->roster);
  xmppim_session_free(p->client);
  xmppim_session_free(p->server_side);
}

static xmppim_sub_state state_of(const person *p, const char *contact) {
  const xmppim_roster_item *item = xmppim_roster_find(p->roster, contact);
  return item ? xmppim_roster_item_state(item) : XMPPIM_SUB_STATE_NONE;
}

/* The show of the contact's best resource, or -1 when it is offline. */
static int show_of(const person *p, const char *contact) {
  const xmppim_presence_resource *best = xmppim_presence_best(p->presence, contact);
  return best ? (int)xmppim_presence_resource_show(best) : -1;
}

int main(void) {
  world w = {.juliet = {.name = "juliet", .password = ACCOUNTS[0].password, .print_bytes = 1},
             .romeo = {.name = "romeo", .password = ACCOUNTS[1].password}};
  xmppim_server_callbacks *cb;
  if (xmppim_memory_store_new(&w.store, NULL) || xmppim_server_callbacks_new(&cb)) return 1;
  xmppim_memory_store_install(w.store, cb); /* rosters kept in memory */
  xmppim_server_callbacks_set_deliver(cb, deliver);
  if (xmppim_server_new(&w.core, cb, &w, NULL, NULL) ||
      xmppim_server_add_domain(w.core, DOMAIN) ||
      xmppim_memory_store_add_user(w.store, "juliet@" DOMAIN) ||
      xmppim_memory_store_add_user(w.store, "romeo@" DOMAIN))
    return 1;
  xmppim_server_callbacks_free(cb);

  printf("== Part 1: the bytes of a login\n");
  check(&w, connect_person(&w, &w.juliet, "balcony") == 0, "juliet logged in (SCRAM, bind)");
  w.juliet.print_bytes = 0;

  printf("\n== Part 2: roster and presence through a server core\n");
  check(&w, connect_person(&w, &w.romeo, "orchard") == 0, "romeo logged in");
  /* Fetch the roster before presence: the server then pushes changes. */
  xmppim_roster_request(w.juliet.roster);
  xmppim_roster_request(w.romeo.roster);
  xmppim_presence_send(w.juliet.presence, XMPPIM_SHOW_ONLINE, "on the balcony", NULL, 0);
  xmppim_presence_send(w.romeo.presence, XMPPIM_SHOW_CHAT, "in the orchard", NULL, 0);
  pump(&w);

  const char *groups[] = {"Montague"};
  xmppim_roster_set_item(w.juliet.roster, "romeo@" DOMAIN, "Romeo", groups, 1);
  pump(&w);
  check(&w, xmppim_roster_find(w.juliet.roster, "romeo@" DOMAIN) != NULL,
        "juliet's roster holds romeo (the server's push)");

  xmppim_roster_subscribe(w.juliet.roster, "romeo@" DOMAIN);
  pump(&w);
  check(&w, state_of(&w.juliet, "romeo@" DOMAIN) == XMPPIM_SUB_STATE_BOTH,
        "juliet and romeo: subscription both, in juliet's roster");
  check(&w, state_of(&w.romeo, "juliet@" DOMAIN) == XMPPIM_SUB_STATE_BOTH,
        "... and in romeo's");
  check(&w, show_of(&w.juliet, "romeo@" DOMAIN) == XMPPIM_SHOW_CHAT, "juliet sees romeo, chatty");
  check(&w, show_of(&w.romeo, "juliet@" DOMAIN) == XMPPIM_SHOW_ONLINE, "romeo sees juliet online");

  xmppim_presence_send(w.juliet.presence, XMPPIM_SHOW_AWAY, "gone to bed", NULL, 0);
  pump(&w);
  check(&w, show_of(&w.romeo, "juliet@" DOMAIN) == XMPPIM_SHOW_AWAY, "romeo sees juliet away");

  xmppim_stanza *msg;
  if (xmppim_message_new(&msg, NULL, XMPPIM_MESSAGE_CHAT, "romeo@" DOMAIN, "Good night!", NULL) == 0) {
    xmppim_session_send(w.juliet.client, msg);
    xmppim_stanza_free(msg);
  }
  pump(&w);
  check(&w, strcmp(w.romeo.last_message, "Good night!") == 0, "romeo got juliet's message");

  disconnect_person(&w, &w.juliet);
  check(&w, xmppim_session_state_get(w.juliet.client) == XMPPIM_STATE_CLOSED,
        "juliet's stream closed cleanly");
  check(&w, xmppim_presence_find(w.romeo.presence, "juliet@" DOMAIN) == NULL,
        "romeo sees juliet gone");
  disconnect_person(&w, &w.romeo);

  printf("\n== %s\n", w.failures ? "FAILED" : "all steps done");
  free_person(&w.juliet);
  free_person(&w.romeo);
  xmppim_server_free(w.core);
  xmppim_memory_store_free(w.store);
  return w.failures ? 1 : 0;
}
