/*
 * RFC 6121 section 4 on the server core: presence broadcast, probes,
 * directed presence and unavailable presence, between users of one
 * xmppim_server and remote contacts, driven through real client and server
 * sessions (tests/common/hub.c). Each test names the requirement IDs it
 * checks. Counts are exact: every client's log is checked for what must
 * arrive and for what must not, and every stanza routed to a remote domain
 * is accounted for.
 *
 * The cast, seen from alice (the user) in most tests:
 *   bob     local, Both           carol   local, From (she sees alice)
 *   dave    local, To (alice sees him)     eve     local, no subscription
 *   romeo   remote, From          juliet  remote, To
 *   nurse   remote, Both          tybalt  remote, no subscription
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hub.h"

#define ALICE "alice@example.com"
#define BOB "bob@example.com"
#define CAROL "carol@example.com"
#define DAVE "dave@example.com"
#define EVE "eve@example.com"
#define ROMEO "romeo@remote.example"
#define JULIET "juliet@remote.example"
#define NURSE "nurse@remote.example"
#define TYBALT "tybalt@remote.example"
#define ROOM "room@conference.remote.example/alice"
#define ROOM_BARE "room@conference.remote.example"
#define STANZAS_NS "urn:ietf:params:xml:ns:xmpp-stanzas"

/* Lines of c's log holding all the given substrings. */
#define N(c, ...) hub_count((c), __VA_ARGS__, (char *)NULL)
/* Stanzas routed to remote domains holding all the given substrings. */
#define R(h, ...) routed_count((h), __VA_ARGS__, (char *)NULL)
/* The one routed stanza holding them all (fails unless exactly one does). */
#define R1(h, ...) routed_one((h), __VA_ARGS__, (char *)NULL)
/* The one line of c's log holding them all (fails unless exactly one does). */
#define L1(c, ...) line_one((c), __VA_ARGS__, (char *)NULL)

/* ---- helpers ---- */

static int lines(const hub_client *c) { return hub_count(c, (char *)NULL); }

static int has_all(const char *s, va_list ap) {
  for (const char *p = va_arg(ap, const char *); p; p = va_arg(ap, const char *))
    if (!strstr(s, p)) return 0;
  return 1;
}

static int routed_count(const hub *h, ...) {
  int n = 0;
  for (size_t i = 0; i < h->nrouted; i++) {
    va_list ap;
    va_start(ap, h);
    n += has_all(h->routed[i], ap);
    va_end(ap);
  }
  return n;
}

static const char *routed_one(const hub *h, ...) {
  const char *found = NULL;
  int n = 0;
  for (size_t i = 0; i < h->nrouted; i++) {
    va_list ap;
    va_start(ap, h);
    if (has_all(h->routed[i], ap)) {
      found = h->routed[i];
      n++;
    }
    va_end(ap);
  }
  if (n != 1) {
    for (size_t i = 0; i < h->nrouted; i++) fprintf(stderr, "routed[%zu]: %s\n", i, h->routed[i]);
    fail_msg("%d routed stanzas match, 1 expected", n);
  }
  return found;
}

static void routed_reset(hub *h) {
  for (size_t i = 0; i < h->nrouted; i++) free(h->routed[i]);
  h->nrouted = 0;
}

static char g_line[8192];

static const char *line_one(const hub_client *c, ...) {
  int n = 0;
  const char *line = c->log;
  while (*line) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    char buf[8192];
    if (len >= sizeof(buf)) len = sizeof(buf) - 1;
    memcpy(buf, line, len);
    buf[len] = '\0';
    va_list ap;
    va_start(ap, c);
    if (has_all(buf, ap)) {
      memcpy(g_line, buf, len + 1);
      n++;
    }
    va_end(ap);
    line += len + (end ? 1 : 0);
  }
  if (n != 1) fail_msg("%d lines of %s's log match, 1 expected; log:\n%s", n, c->jid, c->log);
  return g_line;
}

/* A stanza with no child elements (and no text). */
static int childless(const char *xml) {
  const char *lt = strchr(xml, '<');
  size_t len = strlen(xml);
  return lt && !strchr(lt + 1, '<') && len >= 2 && strcmp(xml + len - 2, "/>") == 0;
}

static void sendf(hub *h, hub_client *c, const char *fmt, ...) {
  char buf[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  hub_send(h, c, buf);
}

static int remotef(hub *h, const char *fmt, ...) {
  char buf[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  return hub_remote(h, buf);
}

/* A probe as a remote server sends it. */
static void probe(hub *h, const char *from, const char *to, const char *id) {
  assert_int_equal(remotef(h, "<presence type='probe' from='%s' to='%s' id='%s'/>", from, to, id), 1);
}

static const char *bare_of(const hub_client *c, char *buf, size_t n) {
  snprintf(buf, n, "%.*s", (int)strcspn(c->jid, "/"), c->jid);
  return buf;
}

/* `subscriber` gets a subscription to `contact`'s presence (both local). */
static void subscribe_local(hub *h, hub_client *subscriber, hub_client *contact) {
  char s[128], c[128];
  sendf(h, subscriber, "<presence type='subscribe' to='%s'/>", bare_of(contact, c, sizeof(c)));
  sendf(h, contact, "<presence type='subscribed' to='%s'/>", bare_of(subscriber, s, sizeof(s)));
}

/* The remote `jid` subscribes to the user's presence: the user's item is From. */
static void remote_subscribes(hub *h, hub_client *user, const char *jid) {
  char u[128];
  assert_int_equal(remotef(h, "<presence type='subscribe' from='%s' to='%s'/>", jid, bare_of(user, u, sizeof(u))), 1);
  sendf(h, user, "<presence type='subscribed' to='%s'/>", jid);
}

/* The user subscribes to the remote `jid`: the user's item is To. */
static void subscribes_remote(hub *h, hub_client *user, const char *jid) {
  char u[128];
  sendf(h, user, "<presence type='subscribe' to='%s'/>", jid);
  assert_int_equal(remotef(h, "<presence type='subscribed' from='%s' to='%s'/>", jid, bare_of(user, u, sizeof(u))), 1);
}

static void clear_all(hub *h) {
  for (size_t i = 0; i < h->n; i++) hub_clear_log(h->clients[i]);
  routed_reset(h);
}

static void start(hub *h) {
  hub_init(h, NULL);
  const char *users[] = {ALICE, BOB, CAROL, DAVE, EVE};
  for (size_t i = 0; i < sizeof(users) / sizeof(*users); i++) hub_add_user(h, users[i]);
}

static void finish(hub *h) {
  routed_reset(h);
  hub_free(h);
}

/*
 * Eight clients, all connected, nobody available yet, the subscriptions of
 * the cast in place, every log and the routed list empty.
 */
typedef struct world {
  hub h;
  hub_client *home, *desk, *phone; /* alice's */
  hub_client *bob, *pad;           /* bob's */
  hub_client *carol, *dave, *eve;
} world;

static void world_init(world *w) {
  hub *h = &w->h;
  start(h);
  w->home = hub_connect(h, "alice", "home", 1);
  w->desk = hub_connect(h, "alice", "desk", 0);
  w->phone = hub_connect(h, "alice", "phone", 0);
  w->bob = hub_connect(h, "bob", "work", 0);
  w->pad = hub_connect(h, "bob", "pad", 0);
  w->carol = hub_connect(h, "carol", "pc", 0);
  w->dave = hub_connect(h, "dave", "pc", 0);
  w->eve = hub_connect(h, "eve", "pc", 0);
  subscribe_local(h, w->home, w->bob);
  subscribe_local(h, w->bob, w->home);
  subscribe_local(h, w->carol, w->home);
  subscribe_local(h, w->home, w->dave);
  remote_subscribes(h, w->home, ROMEO);
  subscribes_remote(h, w->home, JULIET);
  remote_subscribes(h, w->home, NURSE);
  subscribes_remote(h, w->home, NURSE);
  clear_all(h);
}

/* Everyone but alice's resources available, then alice/home; logs cleared. */
static void world_online(world *w) {
  hub *h = &w->h;
  hub_send(h, w->bob, "<presence id='bob1'><show>dnd</show></presence>");
  hub_send(h, w->pad, "<presence id='pad1'/>");
  hub_send(h, w->carol, "<presence/>");
  hub_send(h, w->dave, "<presence id='dave1'/>");
  hub_send(h, w->eve, "<presence/>");
  hub_send(h, w->desk, "<presence id='desk1'/>");
  hub_send(h, w->home, "<presence id='home1'/>");
  clear_all(h);
}

/* ---- 4.2 initial presence ---- */

/*
 * R4.2.2-a: initial presence goes, from the full JID, to the From and Both
 * contacts (From+PendingOut too), local and remote, and to no To, None or
 * PendingIn contact. R4.2.2-b: to every available resource of the user, the
 * sender included; not to a connected resource that is not available.
 * R4.2.3-a, R8.5.2.1.2-a/d: the contact's server gives it to the contact's
 * available resources, 'to' left as the bare JID. R4.1-a: no type is available.
 */
static void R4_2_2_a_b_R4_2_3_a_initial_presence_broadcast(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  /* carol: From+PendingOut; dave: To+PendingIn; eve: None+PendingIn. */
  hub_send(h, w.home, "<presence type='subscribe' to='carol@example.com'/>");
  hub_send(h, w.dave, "<presence type='subscribe' to='alice@example.com'/>");
  hub_send(h, w.eve, "<presence type='subscribe' to='alice@example.com'/>");
  hub_send(h, w.bob, "<presence id='bob1'/>");
  hub_send(h, w.carol, "<presence/>");
  hub_send(h, w.dave, "<presence/>");
  hub_send(h, w.eve, "<presence/>");
  hub_send(h, w.desk, "<presence id='desk1'/>");
  clear_all(h);

  hub_send(h, w.home, "<presence id='i1'><show>chat</show><status>up</status><priority>2</priority></presence>");
  const char *from = "from='alice@example.com/home'";
  /* Contacts. */
  const char *l = L1(w.bob, "<presence", from);
  assert_non_null(strstr(l, "id='i1'"));
  assert_non_null(strstr(l, "to='bob@example.com'"));
  assert_non_null(strstr(l, "<show>chat</show><status>up</status><priority>2</priority>"));
  assert_null(strstr(l, "type="));
  assert_int_equal(lines(w.bob), 1);
  assert_int_equal(lines(w.pad), 0); /* bob's resource that is only connected */
  assert_non_null(strstr(L1(w.carol, "<presence", from, "id='i1'"), "to='carol@example.com'"));
  assert_int_equal(lines(w.carol), 1);
  assert_int_equal(lines(w.dave), 0);
  assert_int_equal(lines(w.eve), 0);
  /* Remote contacts: romeo (From) and nurse (Both) get it; juliet (To) a probe only. */
  const char *r = R1(h, "<presence", "to='romeo@remote.example'");
  assert_non_null(strstr(r, from));
  assert_non_null(strstr(r, "id='i1'"));
  assert_non_null(strstr(r, "<show>chat</show><status>up</status><priority>2</priority>"));
  assert_int_equal(R(h, "to='nurse@remote.example'", from, "id='i1'"), 1);
  assert_int_equal(R(h, "to='juliet@remote.example'", from), 0);
  /* alice's own resources, the sender included; not the phone. */
  assert_non_null(strstr(L1(w.home, "<presence", from), "id='i1'"));
  assert_non_null(strstr(L1(w.desk, "<presence", from), "id='i1'"));
  assert_int_equal(lines(w.desk), 1);
  assert_int_equal(lines(w.phone), 0);
  finish(h);
}

/*
 * R4.2.2-c, R4.3.1-b: a resource that sends initial presence learns its
 * contacts' presence. R4.3.1-e: local contacts (bob Both, dave To) are
 * answered from the server's state, the full XML of their last broadcast
 * from their full JIDs (no probe stanza reaches them, none is routed);
 * carol (From) and eve (None) give nothing, nor does bob's resource that is
 * only connected. The user's other available resources count as contacts.
 * R4.3-b: the remote To and Both contacts get a probe from the user's bare
 * JID to their bare JID, the From contact none.
 */
static void R4_2_2_c_R4_3_1_b_e_R4_3_b_new_resource_learns_presence(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  hub_send(h, w.bob, "<presence id='bob1'><show>dnd</show><status>busy</status></presence>");
  hub_send(h, w.carol, "<presence id='carol1'/>");
  hub_send(h, w.dave, "<presence id='dave1'/>");
  hub_send(h, w.eve, "<presence id='eve1'/>");
  hub_send(h, w.desk, "<presence id='desk1'><show>xa</show></presence>");
  clear_all(h);

  hub_send(h, w.home, "<presence/>");
  assert_non_null(strstr(L1(w.home, "from='bob@example.com/work'"),
                         "id='bob1'"));
  assert_non_null(strstr(L1(w.home, "from='bob@example.com/work'"), "<show>dnd</show><status>busy</status>"));
  assert_non_null(strstr(L1(w.home, "from='bob@example.com/work'"), "to='alice@example.com/home'"));
  assert_non_null(strstr(L1(w.home, "from='dave@example.com/pc'"), "id='dave1'"));
  assert_non_null(strstr(L1(w.home, "from='alice@example.com/desk'"), "<show>xa</show>"));
  assert_int_equal(N(w.home, "from='carol@"), 0);
  assert_int_equal(N(w.home, "from='eve@"), 0);
  assert_int_equal(N(w.home, "from='bob@example.com/pad'"), 0);
  assert_int_equal(N(w.home, "type='probe'"), 0);
  /* own presence + bob + dave + desk */
  assert_int_equal(lines(w.home), 4);
  /* Nothing but alice's presence reaches the contacts. */
  assert_int_equal(N(w.bob, "type='probe'"), 0);
  assert_int_equal(N(w.dave, "type='probe'"), 0);
  assert_int_equal(lines(w.dave), 0);

  /* Remote: a probe to juliet and nurse, from the bare JID, nothing else. */
  const char *p = R1(h, "type='probe'", "to='juliet@remote.example'");
  assert_non_null(strstr(p, "from='alice@example.com'"));
  assert_true(childless(p));
  p = R1(h, "type='probe'", "to='nurse@remote.example'");
  assert_non_null(strstr(p, "from='alice@example.com'"));
  assert_int_equal(R(h, "type='probe'"), 2);
  assert_int_equal(R(h, "alice@example.com/"), 2); /* the presences to romeo and nurse */
  assert_int_equal(R(h, "type='probe'", "alice@example.com/"), 0);
  assert_int_equal((int)h->nrouted, 4);

  /* The answers come from juliet's server in jabber:server and reach alice's
   * available resources in jabber:client (R4.2.3-a, R4.4.3-a). */
  assert_int_equal(remotef(h, "<presence from='juliet@remote.example/balcony' to='alice@example.com' id='j1'>"
                              "<show>away</show><c xmlns='http://jabber.org/protocol/caps' node='n' ver='v'/>"
                              "</presence>"),
                   1);
  const char *l = L1(w.home, "from='juliet@remote.example/balcony'");
  assert_non_null(strstr(l, "<presence from='juliet@remote.example/balcony' to='alice@example.com' id='j1'>"
                            "<show>away</show><c xmlns='http://jabber.org/protocol/caps' node='n' ver='v'/>"));
  assert_null(strstr(l, "jabber:server"));
  assert_int_equal(N(w.desk, "from='juliet@remote.example/balcony'", "<show>away</show>"), 1);
  assert_int_equal(N(w.desk, "jabber:server"), 0);
  assert_int_equal(lines(w.phone), 0);
  finish(h);
}

/* ---- 4.4 subsequent presence ---- */

/*
 * R4.4.2-a, R4.4.2-d: a presence update goes, full XML (id, show, status,
 * priority, extension), to the From and Both contacts, local and remote, and
 * to every available resource of the user including the sender. R4.4.3-a:
 * every available resource of a contact gets it; a connected-only one
 * does not. R4.1-b: broadcast presence has no 'to'.
 */
static void R4_4_2_a_d_R4_4_3_a_subsequent_presence_full_xml(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  hub_clear_log(w.pad);
  const char *xml = "<show>xa</show><status>gone fishing</status><priority>5</priority>"
                    "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://example.com/c' "
                    "ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>";
  sendf(h, w.home, "<presence id='p2'>%s</presence>", xml);
  const char *from = "from='alice@example.com/home'";
  hub_client *gets[] = {w.bob, w.pad, w.carol, w.home, w.desk};
  for (size_t i = 0; i < 5; i++) {
    const char *l = L1(gets[i], "<presence", from);
    assert_non_null(strstr(l, "id='p2'"));
    assert_non_null(strstr(l, xml));
    assert_int_equal(lines(gets[i]), 1);
  }
  assert_non_null(strstr(L1(w.pad, "<presence"), "to='bob@example.com'"));
  assert_int_equal(lines(w.dave), 0);
  assert_int_equal(lines(w.eve), 0);
  assert_int_equal(lines(w.phone), 0);
  assert_non_null(strstr(R1(h, "to='romeo@remote.example'"), xml));
  assert_non_null(strstr(R1(h, "to='nurse@remote.example'", "id='p2'", from), xml));
  assert_int_equal((int)h->nrouted, 2); /* no new probes for an update */

  /* bob's second resource is available now: a contact's update reaches
   * both of bob's (R4.4.3-a) and alice's available resources. */
  clear_all(h);
  hub_send(h, w.carol, "<presence id='c2'><show>away</show></presence>");
  assert_int_equal(lines(w.home), 0); /* alice's item for carol is From: she does not see carol */
  hub_send(h, w.bob, "<presence id='b2'><show>chat</show></presence>");
  assert_int_equal(N(w.home, "from='bob@example.com/work'", "id='b2'", "<show>chat</show>"), 1);
  assert_int_equal(N(w.desk, "from='bob@example.com/work'", "id='b2'", "<show>chat</show>"), 1);
  assert_int_equal(N(w.pad, "from='bob@example.com/work'", "id='b2'"), 1);
  assert_int_equal(lines(w.phone), 0);
  finish(h);
}

/* R4.4.2-b: a presence error from a contact does not stop the broadcasts to it. */
static void R4_4_2_b_presence_error_does_not_stop_broadcast(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  assert_int_equal(remotef(h, "<presence type='error' from='romeo@remote.example' to='alice@example.com/home'>"
                              "<error type='cancel'><remote-server-not-found xmlns='" STANZAS_NS
                              "'/></error></presence>"),
                   1);
  hub_send(h, w.home, "<presence id='after'/>");
  assert_int_equal(R(h, "to='romeo@remote.example'", "id='after'"), 1);
  finish(h);
}

/* ---- 4.5 unavailable presence ---- */

/*
 * R4.5.2-b, R4.5.2-d: a client's unavailable presence goes, full XML (id,
 * status), to the From and Both contacts, local and remote (R4.5.2-c: every
 * one of them); R4.5.2-e: to the user's available resources, the sender
 * included; R4.5.3-a: to every available resource of the contact.
 */
static void R4_5_2_b_d_e_R4_5_3_a_client_unavailable(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  hub_send(h, w.home, "<presence type='unavailable' id='u1'><status>bye now</status></presence>");
  const char *from = "from='alice@example.com/home'";
  hub_client *gets[] = {w.bob, w.pad, w.carol, w.home, w.desk};
  for (size_t i = 0; i < 5; i++) {
    const char *l = L1(gets[i], "type='unavailable'", from);
    assert_non_null(strstr(l, "id='u1'"));
    assert_non_null(strstr(l, "<status>bye now</status>"));
    assert_int_equal(lines(gets[i]), 1);
  }
  assert_int_equal(lines(w.dave), 0);
  assert_int_equal(lines(w.eve), 0);
  assert_int_equal(lines(w.phone), 0);
  assert_non_null(strstr(R1(h, "type='unavailable'", "to='romeo@remote.example'", from, "id='u1'"),
                         "<status>bye now</status>"));
  assert_non_null(strstr(R1(h, "type='unavailable'", "to='nurse@remote.example'", from, "id='u1'"),
                         "<status>bye now</status>"));
  assert_int_equal((int)h->nrouted, 2);

  /* alice/home is no longer available: bob's next update skips it. */
  clear_all(h);
  hub_send(h, w.bob, "<presence id='b3'/>");
  assert_int_equal(lines(w.home), 0);
  assert_int_equal(N(w.desk, "id='b3'"), 1);
  finish(h);
}

/*
 * R4.5.2-a, R4.5.2-f: a resource that vanishes without unavailable presence
 * (its stream is gone) gets one generated on its behalf: no children, from
 * its full JID, to the From and Both contacts local and remote, to the
 * user's other available resources, and to the entities it sent directed
 * presence to (R4.6.3-f); none to To contacts, strangers or resources that
 * are only connected.
 */
static void R4_5_2_a_f_disconnect_generates_unavailable(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  hub_send(h, w.home, "<presence to='eve@example.com'/>");
  hub_send(h, w.home, "<presence to='tybalt@remote.example'/>");
  clear_all(h);
  hub_disconnect(h, w.home);
  const char *from = "from='alice@example.com/home'";
  hub_client *gets[] = {w.bob, w.pad, w.carol, w.desk, w.eve};
  for (size_t i = 0; i < 5; i++) {
    assert_true(childless(L1(gets[i], "type='unavailable'", from)));
    assert_int_equal(lines(gets[i]), 1);
  }
  assert_non_null(strstr(L1(w.eve, "type='unavailable'"), "to='eve@example.com'"));
  assert_int_equal(lines(w.dave), 0);
  assert_int_equal(lines(w.phone), 0);
  assert_int_equal(lines(w.home), 0);
  assert_true(childless(R1(h, "type='unavailable'", from, "to='romeo@remote.example'")));
  assert_true(childless(R1(h, "type='unavailable'", from, "to='nurse@remote.example'")));
  assert_true(childless(R1(h, "type='unavailable'", from, "to='tybalt@remote.example'")));
  assert_int_equal((int)h->nrouted, 3);
  finish(h);
}

/*
 * R4.5.2-g: after unavailable, presence with no type and no 'to' is a new
 * initial presence: broadcast to every subscriber, and (R4.3.1-b, R4.2.2-c)
 * the contacts are probed again and the local ones answered again.
 */
static void R4_5_2_g_R4_3_1_b_new_presence_session_probes_again(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  hub_send(h, w.home, "<presence type='unavailable'/>");
  clear_all(h);
  hub_send(h, w.home, "<presence id='again'/>");
  const char *from = "from='alice@example.com/home'";
  hub_client *gets[] = {w.bob, w.pad, w.carol, w.desk};
  for (size_t i = 0; i < 4; i++) {
    assert_non_null(strstr(L1(gets[i], from), "id='again'"));
    assert_int_equal(lines(gets[i]), 1);
  }
  assert_int_equal(lines(w.dave), 0);
  assert_int_equal(lines(w.eve), 0);
  assert_int_equal(R(h, "type='probe'", "from='alice@example.com'", "to='juliet@remote.example'"), 1);
  assert_int_equal(R(h, "type='probe'", "from='alice@example.com'", "to='nurse@remote.example'"), 1);
  assert_int_equal(R(h, "id='again'", "to='romeo@remote.example'"), 1);
  assert_int_equal(R(h, "id='again'", "to='nurse@remote.example'"), 1);
  assert_int_equal((int)h->nrouted, 4);
  /* alice/home hears again from bob's two resources, dave and the desk. */
  assert_int_equal(N(w.home, "from='bob@example.com/work'", "id='bob1'"), 1);
  assert_int_equal(N(w.home, "from='bob@example.com/pad'", "id='pad1'"), 1);
  assert_int_equal(N(w.home, "from='dave@example.com/pc'", "id='dave1'"), 1);
  assert_int_equal(N(w.home, "from='alice@example.com/desk'", "id='desk1'"), 1);
  assert_int_equal(lines(w.home), 5);
  finish(h);
}

/* ---- 4.6 directed presence ---- */

/*
 * R4.6.3-b: rule 1, directed presence (available, then unavailable) to a
 * Both or From contact during the presence session is delivered or routed,
 * full XML, from the full JID. R4.6.3-c: the contact keeps getting the
 * broadcasts, and gets one unavailable when the resource goes offline.
 * R4.6.2-a: to a bare JID. Nobody else sees directed presence.
 */
static void R4_6_3_b_c_rule1_directed_to_subscriber(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  const char *from = "from='alice@example.com/home'";
  hub_send(h, w.home, "<presence to='bob@example.com' id='d1'><show>chat</show><status>for bob</status></presence>");
  hub_send(h, w.home, "<presence to='romeo@remote.example' id='d2'><status>for romeo</status></presence>");
  for (int i = 0; i < 2; i++) {
    hub_client *c = i ? w.pad : w.bob;
    const char *l = L1(c, from, "id='d1'");
    assert_non_null(strstr(l, "to='bob@example.com'"));
    assert_non_null(strstr(l, "<show>chat</show><status>for bob</status>"));
    assert_int_equal(lines(c), 1);
  }
  assert_non_null(strstr(R1(h, from, "to='romeo@remote.example'", "id='d2'"), "<status>for romeo</status>"));
  assert_int_equal((int)h->nrouted, 1);
  hub_client *none[] = {w.carol, w.dave, w.eve, w.home, w.desk, w.phone};
  for (size_t i = 0; i < 6; i++) assert_int_equal(lines(none[i]), 0);

  /* Still a subscriber for the broadcasts. */
  clear_all(h);
  hub_send(h, w.home, "<presence id='s2'><show>away</show></presence>");
  assert_int_equal(N(w.bob, from, "id='s2'"), 1);
  assert_int_equal(R(h, from, "to='romeo@remote.example'", "id='s2'"), 1);

  /* Directed unavailable to a subscriber is delivered too, and changes nothing. */
  clear_all(h);
  hub_send(h, w.home, "<presence type='unavailable' to='bob@example.com' id='d3'><status>not you</status></presence>");
  assert_non_null(strstr(L1(w.bob, from, "type='unavailable'"), "<status>not you</status>"));
  assert_int_equal(lines(w.carol), 0);
  hub_send(h, w.home, "<presence id='s3'/>");
  assert_int_equal(N(w.bob, from, "id='s3'"), 1);

  /* Offline: one unavailable each, from the broadcast. */
  clear_all(h);
  hub_disconnect(h, w.home);
  assert_int_equal(N(w.bob, from, "type='unavailable'"), 1);
  assert_int_equal(lines(w.bob), 1);
  assert_int_equal(R(h, from, "type='unavailable'", "to='romeo@remote.example'"), 1);
  assert_int_equal(R(h, "to='romeo@remote.example'"), 1);
  finish(h);
}

/*
 * R4.6.3-d: rule 2, directed presence to an entity without a From or Both
 * subscription is delivered or routed, full XML; R4.6.3-e: it is not added
 * to later broadcasts; R4.6.3-f: when the resource sends unavailable, the
 * entity gets it (once). R4.6.1-b: the list is per resource and cleared at
 * the end of the presence session.
 */
static void R4_6_3_d_e_f_rule2_directed_to_stranger(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  const char *from = "from='alice@example.com/home'";
  /* dave is a To contact: no subscription from him, so rule 2 as well. */
  hub_send(h, w.home, "<presence to='eve@example.com/pc' id='d1'><show>chat</show><status>hi eve</status></presence>");
  hub_send(h, w.home, "<presence to='dave@example.com' id='d2'/>");
  hub_send(h, w.home, "<presence to='tybalt@remote.example' id='d3'><status>hi tybalt</status></presence>");
  const char *l = L1(w.eve, from, "id='d1'");
  assert_non_null(strstr(l, "to='eve@example.com/pc'"));
  assert_non_null(strstr(l, "<show>chat</show><status>hi eve</status>"));
  assert_int_equal(lines(w.eve), 1);
  assert_int_equal(N(w.dave, from, "id='d2'"), 1);
  assert_int_equal(lines(w.dave), 1);
  assert_non_null(strstr(R1(h, from, "to='tybalt@remote.example'", "id='d3'"), "<status>hi tybalt</status>"));
  assert_int_equal((int)h->nrouted, 1);
  assert_int_equal(lines(w.bob), 0);

  /* R4.6.3-e: no broadcast to them. */
  clear_all(h);
  hub_send(h, w.home, "<presence id='s2'><show>away</show></presence>");
  assert_int_equal(lines(w.eve), 0);
  assert_int_equal(lines(w.dave), 0);
  assert_int_equal(R(h, "tybalt"), 0);
  assert_int_equal(N(w.bob, "id='s2'"), 1);

  /* R4.6.1-b: alice/desk going offline owes them nothing. */
  clear_all(h);
  hub_send(h, w.desk, "<presence type='unavailable'/>");
  assert_int_equal(lines(w.eve), 0);
  assert_int_equal(lines(w.dave), 0);
  assert_int_equal(R(h, "tybalt"), 0);

  /* R4.6.3-f: alice/home's unavailable reaches each of them once. */
  clear_all(h);
  hub_send(h, w.home, "<presence type='unavailable' id='u1'><status>later</status></presence>");
  l = L1(w.eve, from, "type='unavailable'");
  assert_non_null(strstr(l, "to='eve@example.com/pc'"));
  assert_int_equal(lines(w.eve), 1);
  assert_int_equal(N(w.dave, from, "type='unavailable'"), 1);
  assert_int_equal(lines(w.dave), 1);
  assert_int_equal(R(h, from, "type='unavailable'", "to='tybalt@remote.example'"), 1);
  assert_int_equal(R(h, "tybalt"), 1);
  assert_int_equal(N(w.bob, from, "type='unavailable'"), 1);

  /* R4.6.1-b: a new session starts with an empty list. */
  hub_send(h, w.home, "<presence/>");
  clear_all(h);
  hub_send(h, w.home, "<presence type='unavailable'/>");
  hub_disconnect(h, w.home);
  assert_int_equal(lines(w.eve), 0);
  assert_int_equal(lines(w.dave), 0);
  assert_int_equal(R(h, "tybalt"), 0);
  finish(h);
}

/* R4.6.3-f, R4.5.2-f: the same when the resource vanishes without a word. */
static void R4_6_3_f_rule2_unavailable_on_disconnect(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  const char *from = "from='alice@example.com/home'";
  hub_send(h, w.home, "<presence to='eve@example.com' id='d1'/>");
  hub_send(h, w.home, "<presence to='tybalt@remote.example/sword' id='d2'/>");
  clear_all(h);
  hub_disconnect(h, w.desk); /* the other resource: nothing owed */
  assert_int_equal(lines(w.eve), 0);
  assert_int_equal(R(h, "tybalt"), 0);
  hub_disconnect(h, w.home);
  assert_true(childless(L1(w.eve, from, "type='unavailable'", "to='eve@example.com'")));
  assert_int_equal(lines(w.eve), 1);
  assert_true(childless(R1(h, from, "type='unavailable'", "to='tybalt@remote.example/sword'")));
  assert_int_equal(R(h, "tybalt"), 1);
  finish(h);
}

/*
 * R4.6.3-g: rule 3, directed presence from a resource that is connected but
 * not available (before initial presence, or after its unavailable
 * broadcast) is handled as rule 2: delivered, and an unavailable follows
 * when the resource goes away, to subscribers too (they had no broadcast
 * to end). Nothing is broadcast for a resource that was never available.
 */
static void R4_6_3_g_rule3_directed_before_initial_presence(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  hub_send(h, w.bob, "<presence/>");
  hub_send(h, w.carol, "<presence/>");
  hub_send(h, w.eve, "<presence/>");
  hub_send(h, w.desk, "<presence/>");
  clear_all(h);
  const char *from = "from='alice@example.com/phone'";
  hub_send(h, w.phone, "<presence to='eve@example.com' id='g1'><status>psst</status></presence>");
  hub_send(h, w.phone, "<presence to='bob@example.com' id='g2'/>");
  hub_send(h, w.phone, "<presence to='tybalt@remote.example' id='g3'/>");
  assert_non_null(strstr(L1(w.eve, from, "id='g1'"), "<status>psst</status>"));
  assert_int_equal(N(w.bob, from, "id='g2'"), 1);
  assert_int_equal(R(h, from, "to='tybalt@remote.example'", "id='g3'"), 1);
  assert_int_equal(lines(w.carol), 0);
  assert_int_equal(lines(w.desk), 0);
  clear_all(h);
  hub_disconnect(h, w.phone);
  assert_int_equal(N(w.eve, from, "type='unavailable'"), 1);
  assert_int_equal(lines(w.eve), 1);
  assert_int_equal(N(w.bob, from, "type='unavailable'"), 1); /* bob is a subscriber, but had no broadcast */
  assert_int_equal(lines(w.bob), 1);
  assert_int_equal(R(h, from, "type='unavailable'", "to='tybalt@remote.example'"), 1);
  assert_int_equal((int)h->nrouted, 1);
  assert_int_equal(lines(w.carol), 0); /* never available: no broadcast */
  assert_int_equal(lines(w.desk), 0);

  /* After the unavailable broadcast: the same. */
  const char *dfrom = "from='alice@example.com/desk'";
  hub_send(h, w.desk, "<presence type='unavailable'/>");
  clear_all(h);
  hub_send(h, w.desk, "<presence to='eve@example.com' id='g4'/>");
  assert_int_equal(N(w.eve, dfrom, "id='g4'"), 1);
  clear_all(h);
  hub_disconnect(h, w.desk);
  assert_int_equal(N(w.eve, dfrom, "type='unavailable'"), 1);
  assert_int_equal(lines(w.eve), 1);
  assert_int_equal(lines(w.carol), 0);
  assert_int_equal(lines(w.bob), 0);
  finish(h);
}

/*
 * R4.6.1-c: directed unavailable removes the entity from the list: no
 * second unavailable when the resource goes offline (by unavailable
 * presence or by vanishing).
 */
static void R4_6_1_c_directed_unavailable_removes(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  const char *from = "from='alice@example.com/home'";
  hub_send(h, w.home, "<presence to='eve@example.com'/>");
  hub_send(h, w.home, "<presence to='tybalt@remote.example'/>");
  hub_send(h, w.home, "<presence type='unavailable' to='eve@example.com' id='du1'/>");
  hub_send(h, w.home, "<presence type='unavailable' to='tybalt@remote.example' id='du2'/>");
  assert_int_equal(N(w.eve, from, "type='unavailable'", "id='du1'"), 1);
  assert_int_equal(lines(w.eve), 2);
  assert_int_equal(R(h, "tybalt", "type='unavailable'", "id='du2'"), 1);
  assert_int_equal(R(h, "tybalt"), 2);
  hub_send(h, w.desk, "<presence to='eve@example.com'/>");
  hub_send(h, w.desk, "<presence type='unavailable' to='eve@example.com'/>");
  clear_all(h);
  hub_send(h, w.home, "<presence type='unavailable'/>");
  hub_disconnect(h, w.desk);
  assert_int_equal(lines(w.eve), 0);
  assert_int_equal(R(h, "tybalt"), 0);
  finish(h);
}

/*
 * R4.6.1-d: an entity that sends the user unavailable presence is taken off
 * the list (here eve, local, to the bare JID, and tybalt's resource, remote,
 * to the full JID); it gets no unavailable when the resource goes offline.
 * R4.6.4-a, R4.5.3-a: the inbound unavailable itself is delivered.
 */
static void R4_6_1_d_peer_unavailable_removes(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  hub_send(h, w.home, "<presence to='eve@example.com'/>");
  hub_send(h, w.home, "<presence to='tybalt@remote.example/sword'/>");
  hub_send(h, w.home, "<presence to='dave@example.com'/>");
  clear_all(h);
  hub_send(h, w.eve, "<presence type='unavailable' to='alice@example.com' id='eu'/>");
  assert_int_equal(N(w.home, "from='eve@example.com/pc'", "type='unavailable'", "id='eu'"), 1);
  assert_int_equal(N(w.desk, "from='eve@example.com/pc'", "type='unavailable'", "id='eu'"), 1);
  assert_int_equal(lines(w.phone), 0);
  assert_int_equal(remotef(h, "<presence type='unavailable' from='tybalt@remote.example/sword' "
                              "to='alice@example.com/home' id='tu'/>"),
                   1);
  assert_int_equal(N(w.home, "from='tybalt@remote.example/sword'", "type='unavailable'", "id='tu'"), 1);
  assert_int_equal(N(w.desk, "tybalt"), 0);
  clear_all(h);
  hub_send(h, w.home, "<presence type='unavailable'/>");
  assert_int_equal(lines(w.eve), 0);
  assert_int_equal(R(h, "tybalt"), 0);
  /* dave, who said nothing, is still owed his unavailable. */
  assert_int_equal(N(w.dave, "from='alice@example.com/home'", "type='unavailable'"), 1);
  finish(h);
}

/*
 * R4.6.1-a: subscriptions take precedence over directed presence. eve got
 * directed presence, then subscribes and is approved: she gets the
 * broadcasts, each once, and one unavailable at the end. bob, a subscriber
 * who got directed presence, is cancelled: he gets unavailable at once, and
 * no broadcast after. (Not checked: a rule-2 recipient who subscribes and is
 * then cancelled gets the cancellation's unavailable and, since it stays on
 * the directed list, a second one when the resource goes offline;
 * redundant, not wrong.)
 */
static void R4_6_1_a_subscription_takes_precedence(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  const char *from = "from='alice@example.com/home'";
  hub_send(h, w.home, "<presence to='eve@example.com' id='d1'/>");
  hub_send(h, w.eve, "<presence type='subscribe' to='alice@example.com'/>");
  hub_send(h, w.home, "<presence type='subscribed' to='eve@example.com'/>");
  clear_all(h);
  hub_send(h, w.home, "<presence id='s1'><show>away</show></presence>");
  assert_int_equal(N(w.eve, from, "id='s1'"), 1);
  assert_int_equal(lines(w.eve), 1);

  hub_send(h, w.home, "<presence to='bob@example.com' id='d2'/>");
  clear_all(h);
  hub_send(h, w.home, "<presence type='unsubscribed' to='bob@example.com'/>");
  assert_int_equal(N(w.bob, from, "type='unavailable'"), 1);
  assert_int_equal(N(w.pad, from, "type='unavailable'"), 1);
  clear_all(h);
  hub_send(h, w.home, "<presence id='s2'/>");
  assert_int_equal(N(w.bob, "<presence"), 0);
  assert_int_equal(N(w.eve, from, "id='s2'"), 1);

  clear_all(h);
  hub_disconnect(h, w.home);
  assert_int_equal(N(w.eve, from, "type='unavailable'"), 1);
  assert_int_equal(lines(w.eve), 1);
  /* bob had his unavailable when the subscription ended. */
  assert_int_equal(lines(w.bob), 0);
  finish(h);
}

/*
 * R4.6.6-c: a probe is handled by the subscription rules first (romeo, a
 * From contact who also got directed presence, gets the full XML).
 * R4.6.6-d/e, R4.3-c: a prober without a subscription that got directed
 * presence from alice/home (the JID it probes from, here a full JID) gets a
 * bare presence (no children) for that resource only, whether it probes
 * the full or the bare JID; probing another resource, or an entity that
 * got no directed presence, gets unsubscribed (R4.3.2-a/m), with the
 * probe's id. The unavailable case: a resource that sent directed presence
 * while not available.
 */
static void R4_6_6_c_d_e_probe_after_directed_presence(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  hub_send(h, w.home, "<presence id='s1'><show>away</show><status>out</status></presence>");
  hub_send(h, w.home, "<presence to='" ROOM "'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  hub_send(h, w.home, "<presence to='romeo@remote.example'><show>chat</show></presence>");
  hub_send(h, w.desk, "<presence><show>dnd</show></presence>");
  clear_all(h);

  /* Subscription first. */
  probe(h, "romeo@remote.example", "alice@example.com", "q0");
  assert_non_null(strstr(R1(h, "from='alice@example.com/home'", "to='romeo@remote.example'"),
                         "<show>away</show><status>out</status>"));
  assert_int_equal(R(h, "from='alice@example.com/desk'", "to='romeo@remote.example'"), 1);
  assert_int_equal((int)h->nrouted, 2);

  /* The room, probing alice/home. */
  routed_reset(h);
  probe(h, ROOM, "alice@example.com/home", "q1");
  const char *r = R1(h, "to='" ROOM "'");
  assert_non_null(strstr(r, "from='alice@example.com/home'"));
  assert_null(strstr(r, "type="));
  assert_true(childless(r));
  assert_int_equal((int)h->nrouted, 1);
  /* The bare JID: still only alice/home. */
  routed_reset(h);
  probe(h, ROOM, "alice@example.com", "q2");
  r = R1(h, "to='" ROOM "'");
  assert_non_null(strstr(r, "from='alice@example.com/home'"));
  assert_null(strstr(r, "type="));
  assert_true(childless(r));
  assert_int_equal((int)h->nrouted, 1);
  /* Another resource: nothing about it (the unsubscribed, a subscription
   * stanza, goes to the prober's bare JID). */
  routed_reset(h);
  probe(h, ROOM, "alice@example.com/desk", "q3");
  r = R1(h, "to='" ROOM_BARE "'");
  assert_non_null(strstr(r, "type='unsubscribed'"));
  assert_non_null(strstr(r, "from='alice@example.com'"));
  assert_non_null(strstr(r, "id='q3'"));
  assert_int_equal((int)h->nrouted, 1);
  /* Someone who got nothing. */
  routed_reset(h);
  probe(h, "tybalt@remote.example", "alice@example.com/home", "q4");
  r = R1(h, "to='tybalt@remote.example'");
  assert_non_null(strstr(r, "type='unsubscribed'"));
  assert_non_null(strstr(r, "from='alice@example.com'"));
  assert_non_null(strstr(r, "id='q4'"));
  assert_int_equal((int)h->nrouted, 1);

  /* The phone, connected only, sends the room directed presence: it is
   * not available, and the answer says so, for the phone only. */
  hub_send(h, w.phone, "<presence to='" ROOM "'/>");
  routed_reset(h);
  probe(h, ROOM, "alice@example.com/phone", "q5");
  r = R1(h, "to='" ROOM "'");
  assert_non_null(strstr(r, "type='unavailable'"));
  assert_non_null(strstr(r, "from='alice@example.com/phone'"));
  assert_true(childless(r));
  assert_int_equal((int)h->nrouted, 1);
  routed_reset(h);
  probe(h, ROOM, "alice@example.com", "q6");
  assert_true(childless(R1(h, "from='alice@example.com/phone'", "type='unavailable'")));
  assert_true(childless(R1(h, "from='alice@example.com/home'")));
  assert_int_equal(R(h, "type='unavailable'", "from='alice@example.com/home'"), 0);
  assert_int_equal((int)h->nrouted, 2);

  /* Once alice/home is gone, so is the room's authorisation for it. */
  hub_disconnect(h, w.home);
  routed_reset(h);
  probe(h, ROOM, "alice@example.com/home", "q7");
  assert_non_null(strstr(R1(h, "to='" ROOM_BARE "'"), "type='unsubscribed'"));
  /* None of this reached alice's clients. */
  assert_int_equal(N(w.desk, "probe"), 0);
  assert_int_equal(N(w.desk, "unsubscribed"), 0);
  finish(h);
}

/* ---- 4.3 probes ---- */

/*
 * R4.3.2-a, R4.3.2-c, R4.3.2.1-b: a probe from someone not authorised
 * (To, None+PendingIn, None, a stranger) or to an account that does not
 * exist (R8.5.1-e) is answered with unsubscribed from the bare JID, never a
 * full JID, carrying the probe's id; R4.3.2-m: the same for a probe to a
 * full JID. Nothing reaches the user's clients, nothing changes.
 */
static void R4_3_2_a_c_m_R4_3_2_1_b_unauthorised_probe(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  assert_int_equal(remotef(h, "<presence type='subscribe' from='tybalt@remote.example' to='alice@example.com'/>"), 1);
  clear_all(h);
  /* The answer, a subscription stanza, is between bare JIDs (R3-b). */
  struct {
    const char *from, *to, *reply_from, *reply_to;
  } cases[] = {
      {JULIET, ALICE, ALICE, JULIET},                                                   /* alice's item: To */
      {TYBALT, ALICE, ALICE, TYBALT},                                                   /* None+PendingIn */
      {"mercutio@remote.example", ALICE, ALICE, "mercutio@remote.example"},             /* nothing */
      {JULIET, ALICE "/home", ALICE, JULIET},                                           /* R4.3.2-m */
      {"mercutio@remote.example/x", ALICE "/desk", ALICE, "mercutio@remote.example"}, /* R4.3.2-m */
      {JULIET, "nobody@example.com", "nobody@example.com", JULIET},
      {JULIET, "nobody@example.com/res", "nobody@example.com", JULIET},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    routed_reset(h);
    assert_int_equal(
      remotef(h, "<presence type='probe' from='%s' to='%s' id='x%zu'/>", cases[i].from, cases[i].to, i), 1);
    char to[160], from[160], id[32];
    snprintf(to, sizeof(to), "to='%s'", cases[i].reply_to);
    snprintf(from, sizeof(from), "from='%s'", cases[i].reply_from);
    snprintf(id, sizeof(id), "id='x%zu'", i);
    const char *r = R1(h, "type='unsubscribed'", to, from, id);
    assert_true(childless(r));
    assert_int_equal((int)h->nrouted, 1);
  }
  hub_client *all[] = {w.home, w.desk, w.phone};
  for (size_t i = 0; i < 3; i++) assert_int_equal(lines(all[i]), 0);
  finish(h);
}

/*
 * R4.3.2-b: the unsubscribed answer to a probe does not cancel the
 * pre-approval the user gave the prober: the item keeps approved='true' on
 * the server (a fresh roster get shows it), no push goes out, and the
 * prober's later request is approved at once.
 */
static void R4_3_2_b_unsubscribed_reply_keeps_preapproval(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_send(&h, a, "<presence/>");
  hub_send(&h, a, "<presence type='subscribed' to='romeo@remote.example'/>");
  assert_int_equal(N(a, "jabber:iq:roster", "jid='romeo@remote.example'", "approved='true'"), 1);
  assert_true(xmppim_roster_item_approved(xmppim_roster_find(a->roster, ROMEO)));
  clear_all(&h);
  probe(&h, "romeo@remote.example", "alice@example.com", "pa");
  assert_true(childless(R1(&h, "type='unsubscribed'", "from='alice@example.com'", "to='romeo@remote.example'",
                           "id='pa'")));
  assert_int_equal((int)h.nrouted, 1);
  assert_int_equal(lines(a), 0); /* no push */
  hub_client *a2 = hub_connect(&h, "alice", "other", 1);
  const xmppim_roster_item *it = xmppim_roster_find(a2->roster, ROMEO);
  assert_non_null(it);
  assert_true(xmppim_roster_item_approved(it));
  assert_int_equal(xmppim_roster_item_state(it), XMPPIM_SUB_STATE_NONE);
  /* The approval still answers romeo's request. */
  routed_reset(&h);
  assert_int_equal(remotef(&h, "<presence type='subscribe' from='romeo@remote.example' to='alice@example.com'/>"), 1);
  assert_int_equal(R(&h, "type='subscribed'", "from='alice@example.com'", "to='romeo@remote.example'"), 1);
  assert_int_equal(N(a, "type='subscribe'"), 0);
  assert_int_equal(xmppim_roster_item_state(xmppim_roster_find(a->roster, ROMEO)), XMPPIM_SUB_STATE_FROM);
  finish(&h);
}

/*
 * R4.3.2-f, R4.3.2-h, R4.3.2.1-b: an authorised probe for a user without an
 * available resource (offline, connected only, or after unavailable) is
 * answered with unavailable from the bare JID, no children (the last
 * unavailable's status is not repeated), carrying the probe's id.
 */
static void R4_3_2_f_h_probe_no_available_resource(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  remote_subscribes(&h, a, ROMEO);
  hub_disconnect(&h, a);
  for (int round = 0; round < 3; round++) {
    if (round == 1) a = hub_connect(&h, "alice", "again", 1);
    if (round == 2) {
      hub_send(&h, a, "<presence><status>here</status></presence>");
      hub_send(&h, a, "<presence type='unavailable' id='last'><status>gone</status></presence>");
    }
    routed_reset(&h);
    char id[16];
    snprintf(id, sizeof(id), "id='n%d'", round);
    assert_int_equal(remotef(&h, "<presence type='probe' from='romeo@remote.example' to='alice@example.com' id='n%d'/>",
                             round),
                     1);
    if (round < 2) {
      const char *r = R1(&h, "type='unavailable'", "from='alice@example.com'", "to='romeo@remote.example'", id);
      assert_true(childless(r));
    } else {
      /* R4.3.2-g: the store kept the unavailable alice sent: its full XML,
       * with its own id (R4.3.2.1-a), from the resource that sent it. */
      const char *r = R1(&h, "type='unavailable'", "from='alice@example.com/again'", "to='romeo@remote.example'",
                         "id='last'", "<status>gone</status>");
      assert_false(childless(r));
    }
    assert_int_equal((int)h.nrouted, 1);
  }
  /* A resource that vanishes without a word leaves nothing to repeat. */
  hub_client *b = hub_connect(&h, "alice", "third", 1);
  hub_send(&h, b, "<presence/>");
  hub_disconnect(&h, b);
  routed_reset(&h);
  probe(&h, "romeo@remote.example", "alice@example.com", "n9");
  assert_true(childless(R1(&h, "type='unavailable'", "from='alice@example.com'", "id='n9'")));
  finish(&h);
}

/*
 * R4.3.2-f, R4.3.2-g for a local contact: the probes of a user's initial
 * presence (R4.2.2-c) are answered from state for local contacts, and a
 * contact with no available resource answers unavailable: plain when it
 * never said anything, the full XML of its last unavailable (its status,
 * from the resource that sent it) when the store kept one. Only the new
 * resource gets the answers (R4.2.2-d).
 */
static void R4_3_2_f_g_local_contacts_answer_initial_presence(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_client *b = hub_connect(&h, "bob", "work", 1);
  hub_client *c = hub_connect(&h, "carol", "desk", 1);
  subscribe_local(&h, a, b); /* alice sees bob */
  subscribe_local(&h, a, c); /* and carol */
  hub_send(&h, c, "<presence><status>working</status></presence>");
  hub_send(&h, c, "<presence type='unavailable' id='bye'><status>off to lunch</status></presence>");
  hub_disconnect(&h, b);
  hub_disconnect(&h, c);
  hub_client *a2 = hub_connect(&h, "alice", "phone", 1);
  clear_all(&h);
  hub_send(&h, a2, "<presence/>");
  assert_int_equal(hub_count(a2, "type='unavailable'", "from='bob@example.com'", "to='alice@example.com/phone'",
                             (char *)NULL),
                   1);
  assert_int_equal(hub_count(a2, "type='unavailable'", "from='carol@example.com/desk'", "id='bye'",
                             "<status>off to lunch</status>", (char *)NULL),
                   1);
  assert_int_equal(hub_count(a, "type='unavailable'", (char *)NULL), 0);
  finish(&h);
}

/* xmppim_server_close_user(): every session of the user ends, each with
 * its unavailable presence to the subscribers first (R4.5.2-a/f), and the
 * host is asked to close the streams. */
static void close_user_ends_every_session(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a1 = hub_connect(&h, "alice", "one", 1), *a2 = hub_connect(&h, "alice", "two", 1);
  hub_client *b = hub_connect(&h, "bob", "work", 1);
  subscribe_local(&h, b, a1);
  hub_send(&h, a1, "<presence/>");
  hub_send(&h, a2, "<presence/>");
  hub_send(&h, b, "<presence/>");
  clear_all(&h);
  assert_int_equal(xmppim_server_close_user(h.srv, ALICE, XMPPIM_STREAM_NOT_AUTHORIZED), 2);
  hub_pump(&h);
  assert_int_equal(hub_count(b, "type='unavailable'", "from='alice@example.com/one'", (char *)NULL), 1);
  assert_int_equal(hub_count(b, "type='unavailable'", "from='alice@example.com/two'", (char *)NULL), 1);
  assert_int_equal(a1->closed_with, XMPPIM_STREAM_NOT_AUTHORIZED);
  assert_int_equal(a2->closed_with, XMPPIM_STREAM_NOT_AUTHORIZED);
  assert_int_equal(xmppim_server_close_user(h.srv, ALICE, XMPPIM_STREAM_NOT_AUTHORIZED), 0);
  assert_int_equal(xmppim_server_close_user(h.srv, "example.com", XMPPIM_STREAM_CONFLICT), XMPPIM_ERR_INVALID_ARGUMENT);
  a1->gone = a2->gone = 1;
  finish(&h);
}

/*
 * R4.3.2-j, R4.3.2-k, R4.3.2.1-a: an authorised probe to the bare JID gets,
 * for each available resource, the full XML of its last broadcast presence
 * (not a directed one), from its full JID, with its own id; nothing for a
 * connected-only resource. Rescoped by the host for the server-to-server
 * stream, it is in jabber:server, extensions untouched. R4.3-c: a probe
 * from a full JID is answered to that full JID.
 */
static void R4_3_2_j_k_R4_3_2_1_a_probe_full_xml(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  hub_send(h, w.home, "<presence id='ph'><show>away</show></presence>");
  const char *xml = "<show>dnd</show><status>meeting</status><priority>3</priority><x xmlns='urn:example:ext'>v</x>";
  sendf(h, w.home, "<presence id='ph2'>%s</presence>", xml);
  hub_send(h, w.home, "<presence to='tybalt@remote.example' id='dir'><show>chat</show></presence>");
  hub_send(h, w.desk, "<presence id='pd'/>");
  routed_reset(h);
  probe(h, "nurse@remote.example", "alice@example.com", "pr");
  const char *r = R1(h, "from='alice@example.com/home'", "to='nurse@remote.example'");
  assert_non_null(strstr(r, "id='ph2'"));
  assert_non_null(strstr(r, xml));
  assert_null(strstr(r, "type="));
  r = R1(h, "from='alice@example.com/desk'", "to='nurse@remote.example'");
  assert_non_null(strstr(r, "id='pd'"));
  assert_true(childless(r));
  assert_int_equal(R(h, "phone"), 0);
  assert_int_equal(R(h, "id='pr'"), 0);
  assert_int_equal((int)h->nrouted, 2);

  /* R4.3.2-k: what the host writes to the server-to-server stream. */
  r = R1(h, "from='alice@example.com/home'", "to='nurse@remote.example'");
  xmppim_stanza *st;
  assert_int_equal(xmppim_stanza_parse(&st, r, strlen(r), NULL, NULL), 0);
  assert_int_equal(xmppim_stanza_rescope(st, "jabber:client", "jabber:server"), 0);
  char out[4096];
  assert_int_equal(xmppim_stanza_serialize(st, "jabber:server", out, sizeof(out), NULL), 0);
  xmppim_stanza_free(st);
  assert_null(strstr(out, "jabber:client"));
  assert_non_null(strstr(out, xml));

  /* R4.3-c: from a full JID. */
  routed_reset(h);
  assert_int_equal(
    remotef(h, "<presence type='probe' from='romeo@remote.example/garden' to='alice@example.com' id='pg'/>"), 1);
  assert_int_equal(R(h, "to='romeo@remote.example/garden'", "from='alice@example.com/home'", "id='ph2'"), 1);
  assert_int_equal(R(h, "to='romeo@remote.example/garden'", "from='alice@example.com/desk'", "id='pd'"), 1);
  assert_int_equal((int)h->nrouted, 2);
  /* No probe is delivered to a client. */
  assert_int_equal(N(w.home, "probe"), 0);
  assert_int_equal(N(w.desk, "probe"), 0);
  finish(h);
}

/*
 * R4.3.2-l, R4.3.2-n, R4.3.2-o: an authorised probe to a full JID gets an
 * available presence for that resource only, with no show, status,
 * priority or extension. For a resource that is not available (connected
 * only, or not there at all) the answer is unavailable from that full JID
 * with the probe's id (the checklist's note under 4.3, R4.3.2.1-b).
 */
static void R4_3_2_l_n_o_probe_to_full_jid(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  hub_send(h, w.home,
           "<presence id='ph'><show>away</show><priority>9</priority><x xmlns='urn:example:ext'/></presence>");
  routed_reset(h);
  probe(h, "romeo@remote.example", "alice@example.com/home", "f1");
  const char *r = R1(h, "from='alice@example.com/home'", "to='romeo@remote.example'");
  assert_true(childless(r));
  assert_null(strstr(r, "type="));
  assert_int_equal((int)h->nrouted, 1);
  const char *absent[] = {"phone", "nosuch"};
  for (size_t i = 0; i < 2; i++) {
    routed_reset(h);
    char to[64], from[80], id[16];
    snprintf(to, sizeof(to), "alice@example.com/%s", absent[i]);
    snprintf(id, sizeof(id), "f%zu", i + 2);
    probe(h, ROMEO, to, id);
    snprintf(from, sizeof(from), "from='%s'", to);
    snprintf(id, sizeof(id), "id='f%zu'", i + 2);
    assert_true(childless(R1(h, "type='unavailable'", from, "to='romeo@remote.example'", id)));
    assert_int_equal((int)h->nrouted, 1);
  }
  finish(h);
}

/*
 * R4.3-e: a probe a client sends anyway is routed (remote contact) from the
 * user's bare JID, or processed (local contact: the answer comes from the
 * server's state). R4.3-f: it is never answered with an error, not even
 * without a 'to' or to someone who is not a contact; and it is not
 * broadcast.
 */
static void R4_3_e_f_client_sent_probe(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  hub_send(h, w.home, "<presence type='probe' to='juliet@remote.example' id='cp1'/>");
  const char *r = R1(h, "type='probe'", "to='juliet@remote.example'");
  assert_non_null(strstr(r, "from='alice@example.com'"));
  assert_null(strstr(r, "alice@example.com/"));
  hub_send(h, w.home, "<presence type='probe' to='juliet@remote.example/balcony' id='cp2'/>");
  assert_non_null(strstr(R1(h, "type='probe'", "to='juliet@remote.example/balcony'"), "from='alice@example.com'"));
  assert_int_equal((int)h->nrouted, 2);
  /* dave (To) answers from local state to alice's available resources. */
  hub_send(h, w.home, "<presence type='probe' to='dave@example.com' id='cp3'/>");
  assert_non_null(strstr(L1(w.home, "from='dave@example.com/pc'"), "id='dave1'"));
  assert_int_equal(N(w.desk, "from='dave@example.com/pc'"), 1);
  assert_int_equal(lines(w.dave), 0);
  hub_send(h, w.home, "<presence type='probe' to='eve@example.com' id='cp4'/>");
  hub_send(h, w.home, "<presence type='probe' id='cp5'/>");
  assert_int_equal(N(w.home, "type='error'"), 0);
  assert_int_equal(lines(w.home), 1);
  hub_client *none[] = {w.bob, w.pad, w.carol, w.dave, w.eve, w.phone};
  for (size_t i = 0; i < 6; i++) assert_int_equal(lines(none[i]), 0);
  assert_int_equal((int)h->nrouted, 2);
  finish(h);
}

/* ---- 4.7 syntax ---- */

/* An error answer to the resource for id, of condition cond (R4.7.1-c: with its <error/>). */
static void assert_refused(hub_client *c, const char *id, const char *cond) {
  char idattr[64], condel[128];
  snprintf(idattr, sizeof(idattr), "id='%s'", id);
  snprintf(condel, sizeof(condel), "<%s xmlns='" STANZAS_NS "'/>", cond);
  const char *l = L1(c, idattr);
  if (!strstr(l, "type='error'")) fail_msg("not refused: %s", l);
  assert_non_null(strstr(l, "<presence"));
  assert_non_null(strstr(l, "type='error'"));
  assert_non_null(strstr(l, "<error type='modify'>"));
  assert_non_null(strstr(l, condel));
}

/*
 * R4.7.1-d, R4.7.1-e: a presence whose type is not a defined value (and
 * "available" is not one) gets bad-request back, and is neither broadcast
 * nor delivered. R4.7.1-c: the error carries an <error/> child.
 */
static void R4_7_1_d_e_unknown_type_bad_request(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  hub_send(h, w.home, "<presence type='bogus' id='bg1'/>");
  assert_refused(w.home, "bg1", "bad-request");
  hub_send(h, w.home, "<presence type='available' id='bg2'/>");
  assert_refused(w.home, "bg2", "bad-request");
  hub_send(h, w.home, "<presence type='bogus' to='bob@example.com' id='bg3'/>");
  assert_refused(w.home, "bg3", "bad-request");
  hub_send(h, w.home, "<presence type='bogus' to='juliet@remote.example' id='bg4'/>");
  assert_refused(w.home, "bg4", "bad-request");
  assert_int_equal(lines(w.home), 4);
  hub_client *none[] = {w.bob, w.pad, w.carol, w.dave, w.eve, w.desk, w.phone};
  for (size_t i = 0; i < 7; i++) assert_int_equal(lines(none[i]), 0);
  assert_int_equal((int)h->nrouted, 0);
  /* Still available with the presence it had: a probe says so. */
  probe(h, "romeo@remote.example", "alice@example.com", "p");
  assert_int_equal(R(h, "from='alice@example.com/home'", "id='home1'"), 1);
  assert_int_equal(R(h, "type='unavailable'"), 0);
  finish(h);
}

/*
 * R4.7.1-d for presence from a remote server: an unknown type is not
 * delivered to the user's resources, and bad-request goes back to the
 * sender.
 */
static void R4_7_1_d_unknown_type_from_remote(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  assert_int_equal(
    remotef(h, "<presence type='bogus' from='nurse@remote.example/x' to='alice@example.com' id='rb'/>"), 1);
  hub_client *all[] = {w.home, w.desk, w.phone};
  for (size_t i = 0; i < 3; i++) assert_int_equal(lines(all[i]), 0);
  const char *r = R1(h, "to='nurse@remote.example/x'");
  assert_non_null(strstr(r, "type='error'"));
  assert_non_null(strstr(r, "id='rb'"));
  assert_non_null(strstr(r, "from='alice@example.com'"));
  assert_non_null(strstr(r, "<bad-request xmlns='" STANZAS_NS "'/>"));
  assert_int_equal((int)h->nrouted, 1);
  finish(h);
}

/*
 * R4.7.2.1-b, R4.7.2.1-c: two <show/>, an unknown show value, an empty
 * show, or show with mixed content are refused with bad-request, in initial
 * and in subsequent presence, and change nothing: not broadcast, not
 * available (initial), the previous presence kept (subsequent). The four
 * defined values are accepted. R4.7.2.1-a: no show is fine.
 */
static void R4_7_2_1_b_c_show_values(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  hub_send(h, w.bob, "<presence/>");
  clear_all(h);
  const char *bad[] = {
      "<show>away</show><show>dnd</show>",
      "<show>busy</show>",
      "<show/>",
      "<show>Away</show>",
      "<show>away<b xmlns='urn:x'/></show>",
      "<show a='1'>away</show>",
  };
  const size_t nbad = sizeof(bad) / sizeof(*bad);
  /* Initial presence. */
  for (size_t i = 0; i < nbad; i++) {
    char id[16];
    snprintf(id, sizeof(id), "i%zu", i);
    sendf(h, w.home, "<presence id='%s'>%s</presence>", id, bad[i]);
    assert_refused(w.home, id, "bad-request");
  }
  assert_int_equal(lines(w.home), (int)nbad);
  assert_int_equal(lines(w.bob), 0);
  assert_int_equal((int)h->nrouted, 0);
  probe(h, "romeo@remote.example", "alice@example.com", "q");
  assert_true(childless(R1(h, "type='unavailable'", "from='alice@example.com'", "id='q'")));
  /* Subsequent presence. */
  hub_send(h, w.home, "<presence id='ok'><show>away</show></presence>");
  clear_all(h);
  for (size_t i = 0; i < nbad; i++) {
    char id[16];
    snprintf(id, sizeof(id), "s%zu", i);
    sendf(h, w.home, "<presence id='%s'>%s</presence>", id, bad[i]);
    assert_refused(w.home, id, "bad-request");
  }
  assert_int_equal(lines(w.home), (int)nbad);
  assert_int_equal(lines(w.bob), 0);
  assert_int_equal((int)h->nrouted, 0);
  probe(h, "romeo@remote.example", "alice@example.com", "q");
  assert_non_null(strstr(R1(h, "from='alice@example.com/home'"), "id='ok'"));
  /* The defined values. */
  clear_all(h);
  const char *good[] = {"away", "chat", "dnd", "xa"};
  for (size_t i = 0; i < 4; i++) {
    sendf(h, w.home, "<presence id='g%zu'><show>%s</show></presence>", i, good[i]);
    char show[32];
    snprintf(show, sizeof(show), "<show>%s</show>", good[i]);
    assert_int_equal(N(w.bob, "from='alice@example.com/home'", show), 1);
  }
  hub_send(h, w.home, "<presence id='none'/>");
  assert_int_equal(N(w.bob, "id='none'"), 1);
  assert_int_equal(lines(w.bob), 5);
  assert_int_equal(N(w.home, "type='error'"), 0);
  finish(h);
}

/*
 * R4.7.2.3-b, R4.7.2.3-c: priority outside -128..127, not an integer,
 * empty, or given twice is refused with bad-request and not broadcast;
 * the bounds themselves are accepted. R4.7.2.3-f: the server overrides no
 * priority (R4.7.2.3-e is not taken up), so contacts see the client's own
 * value and there is nothing to echo.
 */
static void R4_7_2_3_b_c_priority_values(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  hub_send(h, w.bob, "<presence/>");
  hub_send(h, w.home, "<presence/>");
  clear_all(h);
  const char *bad[] = {
      "<priority>128</priority>",
      "<priority>-129</priority>",
      "<priority>x</priority>",
      "<priority>1.5</priority>",
      "<priority/>",
      "<priority>99999999999999999999</priority>",
      "<priority>1</priority><priority>2</priority>",
      "<priority>1<b xmlns='urn:x'/></priority>",
      "<priority a='1'>1</priority>",
  };
  const size_t nbad = sizeof(bad) / sizeof(*bad);
  for (size_t i = 0; i < nbad; i++) {
    char id[16];
    snprintf(id, sizeof(id), "b%zu", i);
    sendf(h, w.home, "<presence id='%s'>%s</presence>", id, bad[i]);
    assert_refused(w.home, id, "bad-request");
  }
  assert_int_equal(lines(w.home), (int)nbad);
  assert_int_equal(lines(w.bob), 0);
  assert_int_equal((int)h->nrouted, 0);
  hub_send(h, w.home, "<presence id='hi'><priority>127</priority></presence>");
  hub_send(h, w.home, "<presence id='lo'><priority>-128</priority></presence>");
  assert_int_equal(N(w.bob, "id='hi'", "<priority>127</priority>"), 1);
  assert_int_equal(N(w.bob, "id='lo'", "<priority>-128</priority>"), 1);
  assert_int_equal(N(w.home, "type='error'"), (int)nbad);
  finish(h);
}

/*
 * R4.7.2.3-d: no <priority/> counts as 0. A subscription request goes to the
 * available resources of non-negative priority (R3.1.3-h, R4.7.2.3-g): the
 * resource without priority gets it as the one with priority 0 does; the
 * one with -1 does not.
 */
static void R4_7_2_3_d_missing_priority_is_zero(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *none = hub_connect(&h, "alice", "none", 0);
  hub_client *zero = hub_connect(&h, "alice", "zero", 0);
  hub_client *neg = hub_connect(&h, "alice", "neg", 0);
  hub_client *b = hub_connect(&h, "bob", "work", 0);
  hub_send(&h, none, "<presence/>");
  hub_send(&h, zero, "<presence><priority>0</priority></presence>");
  hub_send(&h, neg, "<presence><priority>-1</priority></presence>");
  clear_all(&h);
  hub_send(&h, b, "<presence type='subscribe' to='alice@example.com' id='sub'/>");
  assert_int_equal(N(none, "type='subscribe'", "from='bob@example.com'"), 1);
  assert_int_equal(N(zero, "type='subscribe'", "from='bob@example.com'"), 1);
  assert_int_equal(N(neg, "type='subscribe'"), 0);
  /* The same from a remote server. */
  assert_int_equal(remotef(&h, "<presence type='subscribe' from='romeo@remote.example' to='alice@example.com'/>"), 1);
  assert_int_equal(N(none, "type='subscribe'", "from='romeo@remote.example'"), 1);
  assert_int_equal(N(zero, "type='subscribe'", "from='romeo@remote.example'"), 1);
  assert_int_equal(N(neg, "type='subscribe'"), 0);
  finish(&h);
}

/*
 * R4.7.1-c: a presence error from a remote server, addressed to one of the
 * user's full JIDs, reaches that resource only, in jabber:client, with its
 * <error/>. One a client sends goes on, from its full JID, and is not
 * broadcast.
 */
static void R4_7_1_c_presence_errors(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  assert_int_equal(remotef(h, "<presence type='error' from='juliet@remote.example' to='alice@example.com/home' id='e1'>"
                              "<error type='cancel'><remote-server-not-found xmlns='" STANZAS_NS
                              "'/></error></presence>"),
                   1);
  const char *l = L1(w.home, "type='error'", "id='e1'");
  assert_non_null(strstr(l, "from='juliet@remote.example'"));
  assert_non_null(strstr(l, "<error type='cancel'><remote-server-not-found xmlns='" STANZAS_NS "'/></error>"));
  assert_null(strstr(l, "jabber:server"));
  assert_int_equal(lines(w.home), 1);
  assert_int_equal(lines(w.desk), 0);
  assert_int_equal(lines(w.phone), 0);
  assert_int_equal((int)h->nrouted, 0);

  hub_send(h, w.home, "<presence type='error' to='juliet@remote.example/balcony' id='e2'>"
                      "<error type='cancel'><service-unavailable xmlns='" STANZAS_NS "'/></error></presence>");
  const char *r = R1(h, "type='error'", "id='e2'");
  assert_non_null(strstr(r, "from='alice@example.com/home'"));
  assert_non_null(strstr(r, "to='juliet@remote.example/balcony'"));
  assert_non_null(strstr(r, "<service-unavailable"));
  assert_int_equal((int)h->nrouted, 1);
  hub_client *none[] = {w.bob, w.pad, w.carol, w.dave, w.eve, w.desk, w.phone};
  for (size_t i = 0; i < 7; i++) assert_int_equal(lines(none[i]), 0);
  finish(h);
}

/*
 * R4.2.3-a, R4.4.3-a, R4.5.3-a, R4.6.4-a: presence from a remote server
 * (jabber:server) to the bare JID reaches every available resource of the
 * user, and only those, in jabber:client with the extensions in their own
 * namespace; to a full JID, that resource only. Initial, subsequent and
 * unavailable alike.
 */
static void R4_2_3_a_R4_4_3_a_R4_5_3_a_R4_6_4_a_inbound_remote_presence(void **state) {
  (void)state;
  world w;
  world_init(&w);
  hub *h = &w.h;
  world_online(&w);
  const char *stanzas[] = {
      "<presence from='juliet@remote.example/balcony' to='alice@example.com' id='r1'><show>chat</show>"
      "<status>hello</status><x xmlns='urn:example:ext'><show>inner</show></x></presence>",
      "<presence from='juliet@remote.example/balcony' to='alice@example.com' id='r2'><show>away</show></presence>",
      "<presence from='juliet@remote.example/balcony' to='alice@example.com' id='r3' type='unavailable'>"
      "<status>bye</status></presence>",
  };
  const char *expect[] = {
      "<show>chat</show><status>hello</status><x xmlns='urn:example:ext'><show>inner</show></x>",
      "<show>away</show>",
      "<status>bye</status>",
  };
  for (size_t i = 0; i < 3; i++) {
    clear_all(h);
    assert_int_equal(hub_remote(h, stanzas[i]), 1);
    char id[16];
    snprintf(id, sizeof(id), "id='r%zu'", i + 1);
    for (int k = 0; k < 2; k++) {
      hub_client *c = k ? w.desk : w.home;
      const char *l = L1(c, id);
      assert_non_null(strstr(l, expect[i]));
      assert_non_null(strstr(l, "to='alice@example.com'"));
      assert_null(strstr(l, "jabber:server"));
      assert_int_equal(lines(c), 1);
    }
    assert_int_equal(lines(w.phone), 0);
    assert_int_equal((int)h->nrouted, 0);
  }
  /* To a full JID: that resource only. */
  clear_all(h);
  assert_int_equal(remotef(h, "<presence from='tybalt@remote.example/sword' to='alice@example.com/desk' id='r4'>"
                              "<status>just you</status></presence>"),
                   1);
  assert_non_null(strstr(L1(w.desk, "id='r4'"), "<status>just you</status>"));
  assert_int_equal(lines(w.desk), 1);
  assert_int_equal(lines(w.home), 0);
  assert_int_equal(lines(w.phone), 0);
  finish(h);
}

/*
 * R4.4.2-c is not taken up, hence R4.5.3-b has nothing to record: every
 * update goes to every from/both contact whether or not the server has
 * heard from it, and so does the unavailable (R4.5.2-c) -- here a remote
 * contact the server knows nothing of gets all three.
 */
static void R4_5_3_b_R4_4_2_c_updates_never_suppressed(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  remote_subscribes(&h, a, ROMEO);
  clear_all(&h);
  hub_send(&h, a, "<presence id='p1'/>");
  hub_send(&h, a, "<presence id='p2'><show>away</show></presence>");
  hub_send(&h, a, "<presence id='p3' type='unavailable'/>");
  assert_int_equal(routed_count(&h, "to='romeo@remote.example'", "id='p1'", (char *)NULL), 1);
  assert_int_equal(routed_count(&h, "to='romeo@remote.example'", "id='p2'", (char *)NULL), 1);
  assert_int_equal(routed_count(&h, "to='romeo@remote.example'", "id='p3'", "type='unavailable'", (char *)NULL), 1);
  finish(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(R4_2_2_a_b_R4_2_3_a_initial_presence_broadcast),
      cmocka_unit_test(R4_2_2_c_R4_3_1_b_e_R4_3_b_new_resource_learns_presence),
      cmocka_unit_test(R4_4_2_a_d_R4_4_3_a_subsequent_presence_full_xml),
      cmocka_unit_test(R4_4_2_b_presence_error_does_not_stop_broadcast),
      cmocka_unit_test(R4_5_2_b_d_e_R4_5_3_a_client_unavailable),
      cmocka_unit_test(R4_5_2_a_f_disconnect_generates_unavailable),
      cmocka_unit_test(R4_5_2_g_R4_3_1_b_new_presence_session_probes_again),
      cmocka_unit_test(R4_6_3_b_c_rule1_directed_to_subscriber),
      cmocka_unit_test(R4_6_3_d_e_f_rule2_directed_to_stranger),
      cmocka_unit_test(R4_6_3_f_rule2_unavailable_on_disconnect),
      cmocka_unit_test(R4_6_3_g_rule3_directed_before_initial_presence),
      cmocka_unit_test(R4_6_1_c_directed_unavailable_removes),
      cmocka_unit_test(R4_6_1_d_peer_unavailable_removes),
      cmocka_unit_test(R4_6_1_a_subscription_takes_precedence),
      cmocka_unit_test(R4_6_6_c_d_e_probe_after_directed_presence),
      cmocka_unit_test(R4_3_2_a_c_m_R4_3_2_1_b_unauthorised_probe),
      cmocka_unit_test(R4_3_2_b_unsubscribed_reply_keeps_preapproval),
      cmocka_unit_test(R4_3_2_f_h_probe_no_available_resource),
      cmocka_unit_test(R4_3_2_f_g_local_contacts_answer_initial_presence),
      cmocka_unit_test(close_user_ends_every_session),
      cmocka_unit_test(R4_5_3_b_R4_4_2_c_updates_never_suppressed),
      cmocka_unit_test(R4_3_2_j_k_R4_3_2_1_a_probe_full_xml),
      cmocka_unit_test(R4_3_2_l_n_o_probe_to_full_jid),
      cmocka_unit_test(R4_3_e_f_client_sent_probe),
      cmocka_unit_test(R4_7_1_d_e_unknown_type_bad_request),
      cmocka_unit_test(R4_7_1_d_unknown_type_from_remote),
      cmocka_unit_test(R4_7_2_1_b_c_show_values),
      cmocka_unit_test(R4_7_2_3_b_c_priority_values),
      cmocka_unit_test(R4_7_2_3_d_missing_priority_is_zero),
      cmocka_unit_test(R4_7_1_c_presence_errors),
      cmocka_unit_test(R4_2_3_a_R4_4_3_a_R4_5_3_a_R4_6_4_a_inbound_remote_presence),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
