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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(R3_two_users_none_to_both_to_none),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
