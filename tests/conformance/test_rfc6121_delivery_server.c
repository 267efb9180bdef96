/*
 * RFC 6121 sections 5, 6 and 8 on the server core: messages and IQs
 * between users of one xmppim_server, through real sessions
 * (tests/common/hub.c). The decision table itself is tested row by row in
 * test_rfc6121_delivery.c; here each decision is carried out end to end:
 * who receives what, what is kept offline, who gets which error.
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

static int msgs(const hub_client *c, const char *body) {
  char b[128];
  snprintf(b, sizeof(b), "<body>%s</body>", body);
  return hub_count(c, "<message", b, (char *)NULL);
}

static int errors(const hub_client *c, const char *cond) {
  return hub_count(c, "type='error'", cond, (char *)NULL);
}

static void start(hub *h) {
  hub_init(h, NULL);
  hub_add_user(h, ALICE);
  hub_add_user(h, BOB);
}

/* bob online with two resources of the given priorities. */
static void bob_two(hub *h, hub_client **b1, hub_client **b2, int p1, int p2) {
  char xml[128];
  *b1 = hub_connect(h, "bob", "one", 0);
  *b2 = hub_connect(h, "bob", "two", 0);
  snprintf(xml, sizeof(xml), "<presence><priority>%d</priority></presence>", p1);
  hub_send(h, *b1, xml);
  snprintf(xml, sizeof(xml), "<presence><priority>%d</priority></presence>", p2);
  hub_send(h, *b2, xml);
  hub_clear_log(*b1);
  hub_clear_log(*b2);
}

/* R8.5.2.1.1-e/f, R8.5.2.1.1-b/c: chat and normal to the bare JID go to the
 * most available resource (highest priority); R8.5.2.1.1-o: 'to' stays the
 * bare JID; R5.1-x readers see type chat. */
static void R8_5_2_1_1_c_f_most_available(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a = hub_connect(&h, "alice", "home", 0), *b1, *b2;
  bob_two(&h, &b1, &b2, 1, 5);
  hub_send(&h, a, "<message type='chat' to='bob@example.com'><body>c1</body></message>");
  hub_send(&h, a, "<message to='bob@example.com'><body>n1</body></message>");
  assert_int_equal(msgs(b2, "c1"), 1);
  assert_int_equal(msgs(b2, "n1"), 1);
  assert_int_equal(msgs(b1, "c1") + msgs(b1, "n1"), 0);
  assert_int_equal(hub_count(b2, "to='bob@example.com'", "<body>c1</body>", (char *)NULL), 1);
  assert_int_equal(hub_count(b2, "from='alice@example.com/home'", "<body>c1</body>", (char *)NULL), 1);
  hub_free(&h);
}

/* Equal priorities: the RFC's "resource or resources": each gets it. */
static void R8_5_2_1_1_c_ties_all_get_it(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a = hub_connect(&h, "alice", "home", 0), *b1, *b2;
  bob_two(&h, &b1, &b2, 3, 3);
  hub_send(&h, a, "<message type='chat' to='bob@example.com'><body>tie</body></message>");
  assert_int_equal(msgs(b1, "tie"), 1);
  assert_int_equal(msgs(b2, "tie"), 1);
  hub_free(&h);
}

/* R8.5.2.1.1-k: headline to all non-negative; R8.5.2.1.1-m: never a
 * negative one; R8.5.2.1.1-g/h: groupchat to the bare JID is bounced. */
static void R8_5_2_1_1_k_g_h_headline_groupchat(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a = hub_connect(&h, "alice", "home", 0), *b1, *b2, *b3;
  bob_two(&h, &b1, &b2, 0, 2);
  b3 = hub_connect(&h, "bob", "three", 0);
  hub_send(&h, b3, "<presence><priority>-1</priority></presence>");
  hub_clear_log(b3);
  hub_send(&h, a, "<message type='headline' to='bob@example.com'><body>news</body></message>");
  assert_int_equal(msgs(b1, "news"), 1);
  assert_int_equal(msgs(b2, "news"), 1);
  assert_int_equal(msgs(b3, "news"), 0);
  hub_send(&h, a, "<message type='groupchat' to='bob@example.com' id='g1'><body>room</body></message>");
  assert_int_equal(msgs(b1, "room") + msgs(b2, "room") + msgs(b3, "room"), 0);
  assert_int_equal(hub_count(a, "<message", "type='error'", "id='g1'", "service-unavailable", (char *)NULL), 1);
  hub_free(&h);
}

/* R8.5.2.1.1-n, R8.5.2.1.1-d/a, R8.5.2.2.1-a: only negative priorities (or
 * no resource at all): the message is kept offline, then delivered when
 * bob comes online with a non-negative priority (XEP-0160). */
static void R8_5_2_2_1_a_offline_storage(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a = hub_connect(&h, "alice", "home", 0);
  hub_client *bn = hub_connect(&h, "bob", "neg", 0);
  hub_send(&h, bn, "<presence><priority>-5</priority></presence>");
  hub_clear_log(bn);
  hub_send(&h, a, "<message type='chat' to='bob@example.com' id='o1'><body>later</body></message>");
  assert_int_equal(msgs(bn, "later"), 0);
  assert_int_equal(xmppim_memory_store_offline_count(h.store, BOB), 1);
  assert_int_equal(errors(a, "service-unavailable"), 0);
  hub_disconnect(&h, bn);
  hub_send(&h, a, "<message to='bob@example.com'><body>later2</body></message>");
  assert_int_equal(xmppim_memory_store_offline_count(h.store, BOB), 2);
  hub_client *b = hub_connect(&h, "bob", "work", 0);
  assert_int_equal(msgs(b, "later"), 0); /* connected only: not yet */
  hub_send(&h, b, "<presence/>");
  assert_int_equal(msgs(b, "later"), 1);
  assert_int_equal(msgs(b, "later2"), 1);
  assert_true(strstr(b->log, "<body>later</body>") < strstr(b->log, "<body>later2</body>"));
  assert_int_equal(xmppim_memory_store_offline_count(h.store, BOB), 0);
  hub_free(&h);
}

/* XEP-0160 with R8.5.2.1.1-n: messages kept while bob's only resource
 * had a negative priority are delivered when that resource turns
 * non-negative, without a new session. */
static void R8_5_2_2_1_a_offline_flushed_when_priority_turns_non_negative(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a = hub_connect(&h, "alice", "home", 0);
  hub_client *b = hub_connect(&h, "bob", "neg", 0);
  hub_send(&h, b, "<presence><priority>-1</priority></presence>");
  hub_send(&h, a, "<message type='chat' to='bob@example.com' id='k1'><body>kept</body></message>");
  assert_int_equal(xmppim_memory_store_offline_count(h.store, BOB), 1);
  hub_send(&h, b, "<presence><priority>-2</priority></presence>");
  assert_int_equal(msgs(b, "kept"), 0);
  hub_send(&h, b, "<presence><priority>0</priority></presence>");
  assert_int_equal(msgs(b, "kept"), 1);
  assert_int_equal(xmppim_memory_store_offline_count(h.store, BOB), 0);
  hub_send(&h, b, "<presence><priority>1</priority></presence>");
  assert_int_equal(msgs(b, "kept"), 1);
  hub_free(&h);
}

/* R8.5.2.2.1-a's promise (nothing lost silently) when the recipient's
 * roster cannot be read: the sender gets internal-server-error (type wait). */
static void store_failure_told_to_the_sender(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a = hub_connect(&h, "alice", "home", 0);
  xmppim_memory_store_fail_next_loads(h.store, 1);
  hub_send(&h, a, "<message type='chat' to='bob@example.com' id='f1'><body>lost?</body></message>");
  assert_int_equal(hub_count(a, "<message", "type='error'", "id='f1'", "internal-server-error", "type='wait'",
                             (char *)NULL),
                   1);
  hub_send(&h, a, "<message type='chat' to='bob@example.com' id='f2'><body>kept</body></message>");
  assert_int_equal(xmppim_memory_store_offline_count(h.store, BOB), 1);
  hub_free(&h);
}

/* R8.5.2.2.1-a: when the store will not keep it, the sender is told:
 * nothing is lost silently. R8.5.2.2.1-b/c: groupchat bounced, headline
 * and error dropped. */
static void R8_5_2_2_1_a_b_c_no_resource(void **state) {
  (void)state;
  hub h;
  start(&h);
  xmppim_memory_store_set_offline_limit(h.store, 0);
  hub_client *a = hub_connect(&h, "alice", "home", 0);
  hub_send(&h, a, "<message type='chat' to='bob@example.com' id='x1'><body>lost?</body></message>");
  assert_int_equal(hub_count(a, "type='error'", "id='x1'", "service-unavailable", (char *)NULL), 1);
  hub_send(&h, a, "<message type='groupchat' to='bob@example.com' id='x2'><body>g</body></message>");
  assert_int_equal(hub_count(a, "type='error'", "id='x2'", "service-unavailable", (char *)NULL), 1);
  hub_clear_log(a);
  hub_send(&h, a, "<message type='headline' to='bob@example.com' id='x3'><body>h</body></message>");
  hub_send(&h, a, "<message type='error' to='bob@example.com' id='x4'><error type='cancel'>"
                  "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
  assert_int_equal(hub_count(a, "<message", (char *)NULL), 0);
  assert_int_equal(xmppim_memory_store_offline_count(h.store, BOB), 0);
  hub_free(&h);
}

/* R8.5.1-a/b: an account that does not exist: IQ service-unavailable; a
 * message dropped like one kept offline for an existing account, so the
 * two cannot be told apart (C10.2-a); groupchat bounced. */
static void R8_5_1_a_b_no_such_user(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a = hub_connect(&h, "alice", "home", 0);
  hub_send(&h, a, "<message type='chat' to='nobody@example.com' id='m1'><body>hi</body></message>");
  assert_int_equal(hub_count(a, "type='error'", (char *)NULL), 0);
  hub_send(&h, a, "<message type='groupchat' to='nobody@example.com' id='m2'><body>g</body></message>");
  assert_int_equal(hub_count(a, "type='error'", "id='m2'", "service-unavailable", (char *)NULL), 1);
  const char *x = "<iq xmlns='jabber:client' type='get' id='m3' to='nobody@example.com'>"
                  "<query xmlns='jabber:iq:version'/></iq>";
  xmppim_stanza *iq;
  assert_int_equal(xmppim_stanza_parse(&iq, x, strlen(x), NULL, NULL), 0);
  assert_int_equal(xmppim_session_send(a->c, iq), 0);
  xmppim_stanza_free(iq);
  hub_pump(&h);
  assert_int_equal(hub_count_server(a, "<iq", "type='error'", "id='m3'", "service-unavailable", (char *)NULL), 1);
  hub_free(&h);
}

/* R8.5.3.1-d: a message to a full JID goes to that resource only, even a
 * lower-priority or negative one; R8.5.3.2.1-d/e: a chat to a resource that
 * is gone falls back to the bare JID's most available resource;
 * R8.5.3.2.1-a: a normal one to it is dropped for a stranger. */
static void R8_5_3_full_jid(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a = hub_connect(&h, "alice", "home", 0), *b1, *b2;
  bob_two(&h, &b1, &b2, -1, 5);
  hub_send(&h, a, "<message to='bob@example.com/one'><body>direct</body></message>");
  assert_int_equal(msgs(b1, "direct"), 1);
  assert_int_equal(msgs(b2, "direct"), 0);
  hub_send(&h, a, "<message type='chat' to='bob@example.com/gone'><body>fallback</body></message>");
  assert_int_equal(msgs(b2, "fallback"), 1);
  assert_int_equal(msgs(b1, "fallback"), 0);
  hub_send(&h, a, "<message to='bob@example.com/gone' id='n2'><body>plain</body></message>");
  assert_int_equal(msgs(b1, "plain") + msgs(b2, "plain"), 0);
  assert_int_equal(hub_count(a, "type='error'", (char *)NULL), 0); /* R8.1-a: a stranger hears nothing */
  hub_free(&h);
}

/* R8.1-a: a sender entitled to the user's presence learns that the
 * resource is gone (the error tells it nothing it could not know). */
static void R8_1_a_error_for_subscriber(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a = hub_connect(&h, "alice", "home", 1), *b = hub_connect(&h, "bob", "work", 1);
  hub_send(&h, a, "<presence type='subscribe' to='bob@example.com'/>");
  hub_send(&h, b, "<presence type='subscribed' to='alice@example.com'/>");
  hub_clear_log(a);
  hub_send(&h, a, "<message to='bob@example.com/gone' id='e1'><body>plain</body></message>");
  assert_int_equal(hub_count(a, "type='error'", "id='e1'", "service-unavailable", (char *)NULL), 1);
  hub_free(&h);
}

/* R8.5.2.1.3-a/b, R6-a: an IQ to another user's bare JID that the server
 * cannot answer is refused with service-unavailable, never delivered;
 * R8.5.3.1-a/b: an IQ get to a full JID from a stranger is refused too;
 * R8.5.3.2.3-a: to a resource that is not there, service-unavailable. */
static void R8_5_2_1_3_and_R8_5_3_1_iq(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a = hub_connect(&h, "alice", "home", 0), *b = hub_connect(&h, "bob", "work", 0);
  hub_send(&h, b, "<presence/>");
  hub_clear_log(b);
  xmppim_stanza *iq;
  const char *gets[] = {"<iq xmlns='jabber:client' type='get' id='q1' to='bob@example.com'>"
                        "<query xmlns='jabber:iq:version'/></iq>",
                        "<iq xmlns='jabber:client' type='get' id='q2' to='bob@example.com/work'>"
                        "<query xmlns='jabber:iq:version'/></iq>",
                        "<iq xmlns='jabber:client' type='get' id='q3' to='bob@example.com/gone'>"
                        "<query xmlns='jabber:iq:version'/></iq>"};
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(xmppim_stanza_parse(&iq, gets[i], strlen(gets[i]), NULL, NULL), 0);
    /* Sent raw: the session's send_iq would keep the answer to itself. */
    assert_int_equal(xmppim_session_send(a->c, iq), 0);
    xmppim_stanza_free(iq);
    hub_pump(&h);
  }
  assert_int_equal(hub_count_server(b, "<iq", (char *)NULL), 0);
  /* The client session keeps IQ answers to itself: read what the server
   * handed alice's resource. */
  for (int i = 1; i <= 3; i++) {
    char id[16];
    snprintf(id, sizeof(id), "id='q%d'", i);
    assert_int_equal(hub_count_server(a, "<iq", "type='error'", id, "service-unavailable", (char *)NULL), 1);
  }
  hub_free(&h);
}

/* R8.5.3.1-a: once bob has alice's presence (subscription), her IQ to his
 * full JID is delivered; R8.5.3.1-c: the answer reaches her. */
static void R8_5_3_1_a_c_iq_between_contacts(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a = hub_connect(&h, "alice", "home", 1), *b = hub_connect(&h, "bob", "work", 1);
  hub_send(&h, a, "<presence type='subscribe' to='bob@example.com'/>");
  hub_send(&h, b, "<presence type='subscribed' to='alice@example.com'/>");
  hub_send(&h, b, "<presence type='subscribe' to='alice@example.com'/>");
  hub_send(&h, a, "<presence type='subscribed' to='bob@example.com'/>");
  hub_send(&h, b, "<presence/>");
  hub_clear_log(b);
  const char *x = "<iq xmlns='jabber:client' type='get' id='v1' to='bob@example.com/work'>"
                  "<query xmlns='jabber:iq:version'/></iq>";
  xmppim_stanza *iq;
  assert_int_equal(xmppim_stanza_parse(&iq, x, strlen(x), NULL, NULL), 0);
  assert_int_equal(xmppim_session_send(a->c, iq), 0);
  xmppim_stanza_free(iq);
  hub_pump(&h);
  assert_int_equal(hub_count(b, "<iq", "id='v1'", "from='alice@example.com/home'", (char *)NULL), 1);
  /* R8.5.3.1-c: bob's answer goes back to alice's resource: the server
   * session hands it to the host instead of taking it for an answer to
   * one of its own requests. */
  hub_send(&h, b, "<iq type='result' id='v1' to='alice@example.com/home'><query xmlns='jabber:iq:version'/></iq>");
  assert_int_equal(hub_count_server(a, "<iq", "type='result'", "id='v1'", "from='bob@example.com/work'", (char *)NULL),
                   1);
  hub_send(&h, b, "<iq type='error' id='v2' to='alice@example.com/home'><error type='cancel'>"
                  "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
  assert_int_equal(hub_count_server(a, "<iq", "type='error'", "id='v2'", "from='bob@example.com/work'", (char *)NULL),
                   1);
  hub_free(&h);
}

/* RFC 6120 10.3.1: a message with no 'to' is for the sender's own account. */
static void R8_2_a_message_without_to(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a1 = hub_connect(&h, "alice", "one", 0), *a2 = hub_connect(&h, "alice", "two", 0);
  hub_send(&h, a2, "<presence><priority>1</priority></presence>");
  hub_send(&h, a1, "<message><body>note to self</body></message>");
  assert_int_equal(msgs(a2, "note to self"), 1);
  assert_int_equal(hub_count(a2, "to='alice@example.com'", "note to self", (char *)NULL), 1);
  hub_free(&h);
}

/* R8.3-a: a remote domain is the router's; remote-server-not-found when the
 * host cannot reach it. R8.4-a: the domain itself is the host's (0). */
static void R8_3_a_R8_4_a_remote_and_domain(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a = hub_connect(&h, "alice", "home", 0);
  hub_send(&h, a, "<message to='juliet@remote.example'><body>far</body></message>");
  assert_int_equal(h.nrouted, 1);
  assert_non_null(strstr(h.routed[0], "<body>far</body>"));
  assert_non_null(strstr(h.routed[0], "from='alice@example.com/home'"));
  h.route_fails = 1;
  hub_send(&h, a, "<message to='juliet@remote.example' id='r2'><body>far</body></message>");
  assert_int_equal(hub_count(a, "type='error'", "id='r2'", "remote-server-not-found", (char *)NULL), 1);
  const char *x = "<message xmlns='jabber:client' to='example.com' from='alice@example.com/home'><body>d</body></message>";
  xmppim_stanza *st;
  assert_int_equal(xmppim_stanza_parse(&st, x, strlen(x), NULL, NULL), 0);
  xmppim_jid *me;
  assert_int_equal(xmppim_jid_new(&me, "alice@example.com/home", 22, NULL), 0);
  assert_int_equal(xmppim_server_handle_stanza(h.srv, me, st), 0);
  xmppim_jid_free(me);
  xmppim_stanza_free(st);
  hub_free(&h);
}

/* A remote server's stanza whose 'to' is no JID names nobody: nothing is
 * delivered, answered or routed (an error would come "from" a non-address). */
static void remote_stanza_with_malformed_to_dropped(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *a = hub_connect(&h, "alice", "home", 1);
  hub_clear_log(a);
  assert_int_equal(hub_remote(&h, "<iq type='set' id='m1' to='a@b@c' from='dave@remote.example/desk'>"
                                  "<query xmlns='jabber:iq:roster'><item jid='x@remote.example'/></query></iq>"),
                   1);
  assert_int_equal(hub_remote(&h, "<message to='bad@@example.com' from='dave@remote.example/desk'><body>x</body>"
                                  "</message>"),
                   1);
  assert_int_equal((int)h.nrouted, 0);
  assert_int_equal(a->log_len, 0);
  hub_free(&h);
}

/* A message from a remote server, in jabber:server, reaches the client in
 * jabber:client (R4.3.2-k's re-scoping, for messages alike). */
static void remote_message_rescoped(void **state) {
  (void)state;
  hub h;
  start(&h);
  hub_client *b = hub_connect(&h, "bob", "work", 0);
  hub_send(&h, b, "<presence/>");
  assert_int_equal(hub_remote(&h, "<message type='chat' from='juliet@remote.example/balcony' to='bob@example.com'>"
                                  "<body>wherefore</body></message>"),
                   1);
  assert_int_equal(msgs(b, "wherefore"), 1);
  assert_null(strstr(b->log, "jabber:server"));
  hub_free(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(R8_5_2_1_1_c_f_most_available),
      cmocka_unit_test(R8_5_2_1_1_c_ties_all_get_it),
      cmocka_unit_test(R8_5_2_1_1_k_g_h_headline_groupchat),
      cmocka_unit_test(R8_5_2_2_1_a_offline_storage),
      cmocka_unit_test(R8_5_2_2_1_a_offline_flushed_when_priority_turns_non_negative),
      cmocka_unit_test(store_failure_told_to_the_sender),
      cmocka_unit_test(R8_5_2_2_1_a_b_c_no_resource),
      cmocka_unit_test(R8_5_1_a_b_no_such_user),
      cmocka_unit_test(R8_5_3_full_jid),
      cmocka_unit_test(R8_1_a_error_for_subscriber),
      cmocka_unit_test(R8_5_2_1_3_and_R8_5_3_1_iq),
      cmocka_unit_test(R8_5_3_1_a_c_iq_between_contacts),
      cmocka_unit_test(R8_2_a_message_without_to),
      cmocka_unit_test(R8_3_a_R8_4_a_remote_and_domain),
      cmocka_unit_test(remote_message_rescoped),
      cmocka_unit_test(remote_stanza_with_malformed_to_dropped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
