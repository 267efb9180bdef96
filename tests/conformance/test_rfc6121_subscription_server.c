/*
 * RFC 6121 section 3 on the server core: subscription stanzas between
 * users of one xmppim_server, driven through real client and server
 * sessions (tests/common/hub.c). Each test names the requirement IDs it
 * checks; every roster push is checked where it is expected, and where
 * none may come.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hub.h"

#define ALICE "alice@example.com"
#define BOB "bob@example.com"

/* Pushes of one item with exactly these subscription/ask attributes. */
static int pushes_of(const hub_client *c, const char *jid, const char *sub, const char *ask) {
  char j[128], s[64];
  snprintf(j, sizeof(j), "jid='%s'", jid);
  snprintf(s, sizeof(s), "subscription='%s'", sub);
  int with_ask = hub_count(c, "<iq", "type='set'", "jabber:iq:roster", j, s, "ask='subscribe'", (char *)NULL);
  int all = hub_count(c, "<iq", "type='set'", "jabber:iq:roster", j, s, (char *)NULL);
  return ask ? with_ask : all - with_ask;
}

static int roster_pushes(const hub_client *c) {
  return hub_count(c, "<iq", "type='set'", "jabber:iq:roster", (char *)NULL);
}

/* Where a line with all the given substrings first appears in the log; -1 if none. */
static long first_at(const hub_client *c, const char *a, const char *b) {
  const char *line = c->log;
  while (*line) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    char buf[8192];
    if (len >= sizeof(buf)) len = sizeof(buf) - 1;
    memcpy(buf, line, len);
    buf[len] = '\0';
    if (strstr(buf, a) && (!b || strstr(buf, b))) return line - c->log;
    line += len + (end ? 1 : 0);
  }
  return -1;
}

static xmppim_sub_state cached_state(const hub_client *c, const char *jid) {
  const xmppim_roster_item *it = xmppim_roster_find(c->roster, jid);
  assert_non_null(it);
  return xmppim_roster_item_state(it);
}

typedef struct two {
  hub h;
  hub_client *alice, *bob;
} two;

static void two_online(two *t) {
  hub_init(&t->h, NULL);
  hub_add_user(&t->h, ALICE);
  hub_add_user(&t->h, BOB);
  t->alice = hub_connect(&t->h, "alice", "home", 1);
  t->bob = hub_connect(&t->h, "bob", "work", 1);
  hub_send(&t->h, t->alice, "<presence/>");
  hub_send(&t->h, t->bob, "<presence/>");
  hub_clear_log(t->alice);
  hub_clear_log(t->bob);
}

/*
 * The acceptance scenario: alice and bob go from no relationship to "both"
 * and back to "none", one stanza at a time, with every push checked.
 */
static void R3_two_users_none_to_both_to_none(void **state) {
  (void)state;
  two t;
  two_online(&t);
  hub_client *a = t.alice, *b = t.bob;

  /* 1. alice asks (R3.1.1-a to the bare JID). */
  hub_send(&t.h, a, "<presence type='subscribe' to='bob@example.com' id='sub1'/>");
  /* R3.1.2-h: alice's resource learns of the pending request. */
  assert_int_equal(roster_pushes(a), 1);
  assert_int_equal(pushes_of(a, BOB, "none", "subscribe"), 1);
  assert_int_equal(cached_state(a, BOB), XMPPIM_SUB_STATE_NONE_PENDING_OUT);
  /* R3-b, R3.1.2-f: bob sees it from alice's bare JID; R3.1.3-h: delivered. */
  assert_int_equal(hub_count(b, "<presence", "type='subscribe'", "from='alice@example.com'", (char *)NULL), 1);
  assert_int_equal(hub_count(b, "from='alice@example.com/", (char *)NULL), 0);
  /* R3.1.3-o: no item in bob's roster before he approves. */
  assert_int_equal(roster_pushes(b), 0);
  assert_null(xmppim_roster_find(b->roster, ALICE));
  hub_clear_log(a);
  hub_clear_log(b);

  /* 2. bob approves. */
  hub_send(&t.h, b, "<presence type='subscribed' to='alice@example.com' id='ok1'/>");
  /* R3.1.5-b: bob's item for alice is "from". */
  assert_int_equal(roster_pushes(b), 1);
  assert_int_equal(pushes_of(b, ALICE, "from", NULL), 1);
  assert_int_equal(cached_state(b, ALICE), XMPPIM_SUB_STATE_FROM);
  /* R3.1.6-b: alice gets the subscribed before the push (R3.1.6-c: "to"). */
  long sub_at = first_at(a, "type='subscribed'", "from='bob@example.com'");
  long push_at = first_at(a, "jabber:iq:roster", "subscription='to'");
  assert_true(sub_at >= 0 && push_at > sub_at);
  assert_int_equal(roster_pushes(a), 1);
  assert_int_equal(pushes_of(a, BOB, "to", NULL), 1);
  assert_int_equal(cached_state(a, BOB), XMPPIM_SUB_STATE_TO);
  /* R3.1.5-c: then bob's current presence, from his full JID. */
  long pres_at = first_at(a, "<presence", "from='bob@example.com/work'");
  assert_true(pres_at > sub_at);
  hub_clear_log(a);
  hub_clear_log(b);

  /* 3. bob asks back. */
  hub_send(&t.h, b, "<presence type='subscribe' to='alice@example.com'/>");
  assert_int_equal(roster_pushes(b), 1);
  assert_int_equal(pushes_of(b, ALICE, "from", "subscribe"), 1);
  assert_int_equal(hub_count(a, "type='subscribe'", "from='bob@example.com'", (char *)NULL), 1);
  /* RA.1-c: pending-in never shows in alice's item: no push for her. */
  assert_int_equal(roster_pushes(a), 0);
  hub_clear_log(a);
  hub_clear_log(b);

  /* 4. alice approves: both. */
  hub_send(&t.h, a, "<presence type='subscribed' to='bob@example.com'/>");
  assert_int_equal(roster_pushes(a), 1);
  assert_int_equal(pushes_of(a, BOB, "both", NULL), 1);
  assert_int_equal(roster_pushes(b), 1);
  assert_int_equal(pushes_of(b, ALICE, "both", NULL), 1);
  assert_int_equal(cached_state(a, BOB), XMPPIM_SUB_STATE_BOTH);
  assert_int_equal(cached_state(b, ALICE), XMPPIM_SUB_STATE_BOTH);
  assert_true(first_at(b, "<presence", "from='alice@example.com/home'") >= 0);
  hub_clear_log(a);
  hub_clear_log(b);

  /* 5. alice unsubscribes from bob's presence (R3.3). */
  hub_send(&t.h, a, "<presence type='unsubscribe' to='bob@example.com'/>");
  /* R3.3.2-d: alice's item is "from" now. */
  assert_int_equal(roster_pushes(a), 1);
  assert_int_equal(pushes_of(a, BOB, "from", NULL), 1);
  /* R3.3.3-b, R3.3.3-c: bob gets the unsubscribe, then "to". */
  long unsub_at = first_at(b, "type='unsubscribe'", "from='alice@example.com'");
  assert_true(unsub_at >= 0 && first_at(b, "jabber:iq:roster", "subscription='to'") > unsub_at);
  assert_int_equal(roster_pushes(b), 1);
  /* R3.3.3-d: bob's resource goes unavailable towards alice. */
  assert_int_equal(hub_count(a, "<presence", "type='unavailable'", "from='bob@example.com/work'", (char *)NULL), 1);
  assert_int_equal(cached_state(a, BOB), XMPPIM_SUB_STATE_FROM);
  assert_int_equal(cached_state(b, ALICE), XMPPIM_SUB_STATE_TO);
  hub_clear_log(a);
  hub_clear_log(b);

  /* 6. alice cancels bob's subscription to her (R3.2). */
  hub_send(&t.h, a, "<presence type='unsubscribed' to='bob@example.com'/>");
  /* R3.2.2-f, R3.2.2-g: bob first gets alice's unavailable, then the unsubscribed. */
  long unav_at = first_at(b, "type='unavailable'", "from='alice@example.com/home'");
  long unsubd_at = first_at(b, "type='unsubscribed'", "from='alice@example.com'");
  assert_true(unav_at >= 0 && unsubd_at > unav_at);
  /* R3.2.2-h, R3.2.3-c: both items are "none". */
  assert_int_equal(roster_pushes(a), 1);
  assert_int_equal(pushes_of(a, BOB, "none", NULL), 1);
  assert_int_equal(roster_pushes(b), 1);
  assert_int_equal(pushes_of(b, ALICE, "none", NULL), 1);
  /* R3.2.3-b: the unsubscribed came before bob's push. */
  assert_true(first_at(b, "jabber:iq:roster", "subscription='none'") > unsubd_at);
  assert_int_equal(cached_state(a, BOB), XMPPIM_SUB_STATE_NONE);
  assert_int_equal(cached_state(b, ALICE), XMPPIM_SUB_STATE_NONE);
  hub_free(&t.h);
}

/* Logs in without the roster and without presence: connected only. */
static hub_client *connected_only(hub *h, const char *local, const char *res) {
  return hub_connect(h, local, res, 0);
}

/*
 * R3.1.3-k: a request for a contact without available resources is kept
 * whole (status and extensions too) and not delivered to a resource that is
 * only connected; R3.1.3-l: each resource that becomes available gets it;
 * R2.2-d: a resource that is only connected (or only asked for the roster)
 * gets no request; it takes initial presence as well;
 * R3.1.3-m, R3.1.3-n: one kept request per requester, the first (a repeat
 * finds the request pending already, and Table 6 leaves that state alone);
 * R3.1.3-o, RA.1-e: no item for it in the contact's roster.
 */
static void R3_1_3_k_l_m_kept_requests_redelivered(void **state) {
  (void)state;
  hub h;
  hub_init(&h, NULL);
  hub_add_user(&h, ALICE);
  hub_add_user(&h, BOB);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_client *b1 = connected_only(&h, "bob", "one");
  hub_send(&h, a,
           "<presence type='subscribe' to='bob@example.com'><status>it is me</status>"
           "<nick xmlns='http://jabber.org/protocol/nick'>Alice</nick></presence>");
  hub_send(&h, a, "<presence type='subscribe' to='bob@example.com'><status>again</status></presence>");
  assert_int_equal(hub_count(b1, "type='subscribe'", (char *)NULL), 0);
  assert_int_equal(xmppim_memory_store_contact_count(h.store, BOB), 1);
  /* Bob becomes available: the request comes, once, the first, whole. */
  hub_send(&h, b1, "<presence/>");
  assert_int_equal(hub_count(b1, "type='subscribe'", (char *)NULL), 1);
  assert_int_equal(hub_count(b1, "type='subscribe'", "from='alice@example.com'", "<status>it is me</status>",
                             "<nick xmlns='http://jabber.org/protocol/nick'>Alice</nick>", (char *)NULL),
                   1);
  /* A second resource of bob's gets it too. */
  hub_client *b2 = connected_only(&h, "bob", "two");
  hub_send(&h, b2, "<presence><priority>1</priority></presence>");
  assert_int_equal(hub_count(b2, "type='subscribe'", "from='alice@example.com'", (char *)NULL), 1);
  assert_int_equal(hub_count(b1, "type='subscribe'", (char *)NULL), 1);
  /* A resource with negative priority takes no requests (R3.1.3-h: the
   * section 8 rules for presence to a bare JID). */
  hub_client *b3 = connected_only(&h, "bob", "three");
  hub_send(&h, b3, "<presence><priority>-1</priority></presence>");
  assert_int_equal(hub_count(b3, "type='subscribe'", (char *)NULL), 0);
  /* Still no item for alice on bob's side. */
  xmppim_roster_request(b2->roster);
  hub_pump(&h);
  assert_null(xmppim_roster_find(b2->roster, ALICE));
  /* Answering it forgets the kept request: the next resource gets nothing. */
  hub_send(&h, b2, "<presence type='subscribed' to='alice@example.com'/>");
  hub_client *b4 = connected_only(&h, "bob", "four");
  hub_send(&h, b4, "<presence/>");
  assert_int_equal(hub_count(b4, "type='subscribe'", (char *)NULL), 0);
  assert_int_equal(cached_state(a, BOB), XMPPIM_SUB_STATE_TO);
  hub_free(&h);
}

/* R3.3.3-g: a stranger who withdraws a request leaves nothing behind. */
static void R3_3_3_g_withdrawn_request_forgotten(void **state) {
  (void)state;
  hub h;
  hub_init(&h, NULL);
  hub_add_user(&h, ALICE);
  hub_add_user(&h, BOB);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_send(&h, a, "<presence type='subscribe' to='bob@example.com'/>");
  assert_int_equal(xmppim_memory_store_contact_count(h.store, BOB), 1);
  hub_send(&h, a, "<presence type='unsubscribe' to='bob@example.com'/>");
  assert_int_equal(xmppim_memory_store_contact_count(h.store, BOB), 0);
  hub_client *b = hub_connect(&h, "bob", "work", 1);
  hub_send(&h, b, "<presence/>");
  assert_int_equal(hub_count(b, "type='subscribe'", (char *)NULL), 0);
  assert_int_equal(roster_pushes(b), 0);
  hub_free(&h);
}

/* R3.1.3-p: past the cap a request is delivered but not kept. */
static void R3_1_3_p_pending_cap(void **state) {
  (void)state;
  xmppim_server_options *o;
  assert_int_equal(xmppim_server_options_new(&o), 0);
  assert_int_equal(xmppim_server_options_set_pending_limits(o, 1, 8192), 0);
  hub h;
  hub_init(&h, o);
  xmppim_server_options_free(o);
  hub_add_user(&h, ALICE);
  hub_add_user(&h, BOB);
  hub_add_user(&h, "carol@example.com");
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_client *c = hub_connect(&h, "carol", "x", 1);
  hub_send(&h, a, "<presence type='subscribe' to='bob@example.com'/>");
  hub_send(&h, c, "<presence type='subscribe' to='bob@example.com'/>");
  hub_client *b = connected_only(&h, "bob", "work");
  hub_send(&h, b, "<presence/>");
  assert_int_equal(hub_count(b, "type='subscribe'", "from='alice@example.com'", (char *)NULL), 1);
  assert_int_equal(hub_count(b, "type='subscribe'", "from='carol@example.com'", (char *)NULL), 0);
  /* Strangers past the cap leave nothing in the store: only alice's. */
  for (int i = 0; i < 20; i++) {
    char xml[160];
    snprintf(xml, sizeof(xml), "<presence type='subscribe' from='spam%d@remote.example' to='bob@example.com'/>", i);
    hub_remote(&h, xml);
  }
  assert_int_equal(xmppim_memory_store_contact_count(h.store, BOB), 1);
  assert_int_equal(hub_count(b, "type='subscribe'", "from='spam7@remote.example'", (char *)NULL), 1);
  hub_free(&h);
}

/*
 * R3.4: pre-approval. R3.4-b: advertised. R3.4.2-c/e, R3.4.2-d/f: bob's
 * subscribed before any request creates the item with approved='true' and
 * goes nowhere. R3.4.2-g/h: alice's request is then not delivered but
 * answered at once; R3.4.2-i: the approval is used up.
 */
static void R3_4_2_preapproval(void **state) {
  (void)state;
  two t;
  two_online(&t);
  hub_client *a = t.alice, *b = t.bob;
  const char *name, *ns;
  assert_int_equal(xmppim_server_stream_feature(t.h.srv, 1, &name, &ns), 0);
  assert_string_equal(ns, "urn:xmpp:features:pre-approval");
  assert_int_equal(xmppim_session_peer_has_feature(b->c, "sub", "urn:xmpp:features:pre-approval"), 1);
  assert_int_equal(xmppim_roster_preapprove(b->roster, ALICE), 0);
  hub_pump(&t.h);
  assert_int_equal(roster_pushes(b), 1);
  assert_int_equal(hub_count(b, "jabber:iq:roster", "jid='alice@example.com'", "subscription='none'",
                             "approved='true'", (char *)NULL),
                   1);
  assert_int_equal(hub_count(a, "<presence", (char *)NULL), 0); /* not routed */
  assert_true(xmppim_roster_item_approved(xmppim_roster_find(b->roster, ALICE)));
  hub_clear_log(b);
  hub_send(&t.h, a, "<presence type='subscribe' to='bob@example.com'/>");
  assert_int_equal(hub_count(b, "type='subscribe'", (char *)NULL), 0);
  assert_int_equal(hub_count(a, "type='subscribed'", "from='bob@example.com'", (char *)NULL), 1);
  assert_int_equal(cached_state(a, BOB), XMPPIM_SUB_STATE_TO);
  assert_int_equal(pushes_of(b, ALICE, "from", NULL), 1);
  assert_int_equal(hub_count(b, "approved='true'", (char *)NULL), 0);
  assert_false(xmppim_roster_item_approved(xmppim_roster_find(b->roster, ALICE)));
  /* R3.1.5-c: alice gets bob's presence right away. */
  assert_true(first_at(a, "<presence", "from='bob@example.com/work'") >= 0);
  hub_free(&t.h);
}

/* R3.2.2-c, R3.2.2-d, R3.4.2-j: unsubscribed withdraws a pre-approval and
 * goes nowhere; a later request is delivered as usual. */
static void R3_2_2_c_preapproval_withdrawn(void **state) {
  (void)state;
  two t;
  two_online(&t);
  hub_client *a = t.alice, *b = t.bob;
  hub_send(&t.h, b, "<presence type='subscribed' to='alice@example.com'/>");
  hub_clear_log(b);
  hub_send(&t.h, b, "<presence type='unsubscribed' to='alice@example.com'/>");
  assert_int_equal(roster_pushes(b), 1);
  assert_int_equal(hub_count(b, "jabber:iq:roster", "jid='alice@example.com'", (char *)NULL), 1);
  assert_int_equal(hub_count(b, "approved=", (char *)NULL), 0);
  assert_int_equal(hub_count(a, "type='unsubscribed'", (char *)NULL), 0);
  hub_send(&t.h, a, "<presence type='subscribe' to='bob@example.com'/>");
  assert_int_equal(hub_count(b, "type='subscribe'", "from='alice@example.com'", (char *)NULL), 1);
  assert_int_equal(hub_count(a, "type='subscribed'", (char *)NULL), 0);
  hub_free(&t.h);
}

/* R3.4-a: a server without pre-approval neither advertises it nor records one. */
static void R3_4_a_preapproval_off(void **state) {
  (void)state;
  xmppim_server_options *o;
  assert_int_equal(xmppim_server_options_new(&o), 0);
  assert_int_equal(xmppim_server_options_set_preapproval(o, 0), 0);
  hub h;
  hub_init(&h, o);
  xmppim_server_options_free(o);
  hub_add_user(&h, BOB);
  hub_client *b = hub_connect(&h, "bob", "work", 1);
  const char *name, *ns;
  assert_int_equal(xmppim_server_stream_feature(h.srv, 1, &name, &ns), XMPPIM_ERR_NOT_FOUND);
  assert_int_equal(xmppim_session_peer_has_feature(b->c, "sub", "urn:xmpp:features:pre-approval"), 0);
  hub_send(&h, b, "<presence type='subscribed' to='alice@example.com'/>");
  assert_int_equal(roster_pushes(b), 0);
  assert_int_equal(xmppim_memory_store_contact_count(h.store, BOB), 0);
  hub_free(&h);
}

/* R3.1.2-a, R3.1.2-c: a malformed 'to' is refused with jid-malformed;
 * R3.1.2-b: a full JID is taken as the bare one; R3.1.2-e, R3.1.2-f: a
 * remote contact's request is routed from the bare JID; R3.1.2-g: an
 * unreachable domain gives remote-server-not-found. */
static void R3_1_2_addressing_and_routing(void **state) {
  (void)state;
  hub h;
  hub_init(&h, NULL);
  hub_add_user(&h, ALICE);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_send(&h, a, "<presence type='subscribe' to='@bad@@' id='m1'/>");
  assert_int_equal(hub_count(a, "type='error'", "id='m1'", "jid-malformed", (char *)NULL), 1);
  assert_int_equal(roster_pushes(a), 0);
  hub_send(&h, a, "<presence type='subscribe' to='romeo@remote.example/balcony' id='m2'/>");
  assert_int_equal(h.nrouted, 1);
  assert_non_null(strstr(h.routed[0], "to='romeo@remote.example'"));
  assert_non_null(strstr(h.routed[0], "from='alice@example.com'"));
  assert_null(strstr(h.routed[0], "balcony"));
  assert_int_equal(pushes_of(a, "romeo@remote.example", "none", "subscribe"), 1);
  h.route_fails = 1;
  hub_send(&h, a, "<presence type='subscribe' to='mercutio@unreachable.example' id='m3'/>");
  assert_int_equal(hub_count(a, "type='error'", "id='m3'", "remote-server-not-found", (char *)NULL), 1);
  hub_free(&h);
}

/* Inconsistency 4 (R3.1.2-g vs R8.5.1-d): a request to a local user who
 * does not exist is dropped silently, so accounts cannot be probed; the
 * requester's item stays pending as for any unanswered request. */
static void R8_5_1_d_request_to_missing_local_user(void **state) {
  (void)state;
  hub h;
  hub_init(&h, NULL);
  hub_add_user(&h, ALICE);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_send(&h, a, "<presence type='subscribe' to='nobody@example.com' id='n1'/>");
  assert_int_equal(hub_count(a, "type='error'", (char *)NULL), 0);
  assert_int_equal(pushes_of(a, "nobody@example.com", "none", "subscribe"), 1);
  hub_free(&h);
}

/* R3.1.3-b: an inbound request to a full JID is the bare JID's; R3.1.3-f:
 * from someone already subscribed it is answered at once, not delivered
 * (the answer itself is seen per row, routed to a remote contact, in
 * test_rfc6121_subscription.c: alice's server drops it, RA.3.3-b/c). */
static void R3_1_3_f_auto_reply_when_already_subscribed(void **state) {
  (void)state;
  two t;
  two_online(&t);
  hub_client *a = t.alice, *b = t.bob;
  hub_send(&t.h, a, "<presence type='subscribe' to='bob@example.com/work'/>");
  hub_send(&t.h, b, "<presence type='subscribed' to='alice@example.com'/>");
  hub_clear_log(a);
  hub_clear_log(b);
  /* Alice asks again though she has it already: bob's server answers. */
  hub_send(&t.h, a, "<presence type='subscribe' to='bob@example.com'/>");
  assert_int_equal(hub_count(b, "type='subscribe'", (char *)NULL), 0);
  assert_int_equal(hub_count(a, "type='subscribed'", "from='bob@example.com'", (char *)NULL), 0);
  /* (alice is in To: her server does not deliver the repeated subscribed,
   * RA.3.3-b/c, so she sees nothing, and nothing changes.) */
  assert_int_equal(roster_pushes(a), 0);
  assert_int_equal(roster_pushes(b), 0);
  assert_int_equal(cached_state(a, BOB), XMPPIM_SUB_STATE_TO);
  hub_free(&t.h);
}

/* R8.5.3.2.2-b: a request to a full JID that is not there counts for the
 * bare JID; R8.5.3.2.2-c: subscribed, unsubscribe and unsubscribed to such
 * a full JID are ignored; R8.5.3.1-f: to a connected resource, section 3
 * applies as for the bare JID. */
static void R8_5_3_2_2_b_c_subscription_to_full_jid(void **state) {
  (void)state;
  hub h;
  hub_init(&h, NULL);
  hub_add_user(&h, ALICE);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_send(&h, a, "<presence/>");
  hub_clear_log(a);
  assert_int_equal(hub_remote(&h, "<presence type='subscribe' from='romeo@remote.example' "
                                  "to='alice@example.com/nowhere'/>"),
                   1);
  assert_int_equal(hub_count(a, "type='subscribe'", "from='romeo@remote.example'", (char *)NULL), 1);
  /* alice asks juliet; juliet's answers to a resource that is not there
   * change nothing, to the one that is they count. */
  hub_send(&h, a, "<presence type='subscribe' to='juliet@remote.example'/>");
  hub_clear_log(a);
  hub_remote(&h, "<presence type='subscribed' from='juliet@remote.example' to='alice@example.com/nowhere'/>");
  assert_int_equal(roster_pushes(a), 0);
  assert_int_equal(cached_state(a, "juliet@remote.example"), XMPPIM_SUB_STATE_NONE_PENDING_OUT);
  hub_remote(&h, "<presence type='subscribed' from='juliet@remote.example' to='alice@example.com/home'/>");
  assert_int_equal(pushes_of(a, "juliet@remote.example", "to", NULL), 1);
  assert_int_equal(cached_state(a, "juliet@remote.example"), XMPPIM_SUB_STATE_TO);
  hub_free(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(R3_two_users_none_to_both_to_none),
      cmocka_unit_test(R3_1_3_k_l_m_kept_requests_redelivered),
      cmocka_unit_test(R3_3_3_g_withdrawn_request_forgotten),
      cmocka_unit_test(R3_1_3_p_pending_cap),
      cmocka_unit_test(R3_4_2_preapproval),
      cmocka_unit_test(R3_2_2_c_preapproval_withdrawn),
      cmocka_unit_test(R3_4_a_preapproval_off),
      cmocka_unit_test(R3_1_2_addressing_and_routing),
      cmocka_unit_test(R8_5_1_d_request_to_missing_local_user),
      cmocka_unit_test(R3_1_3_f_auto_reply_when_already_subscribed),
      cmocka_unit_test(R8_5_3_2_2_b_c_subscription_to_full_jid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
