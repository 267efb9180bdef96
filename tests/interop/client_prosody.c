/*
 * Interop: two xmppim_client objects on one xmppim_loop against a real
 * Prosody on 127.0.0.1 that requires STARTTLS: each verifies Prosody's
 * certificate (generated for example.test by the test script) and logs in
 * with SCRAM; alice fetches her roster, adds bob with a name and a group
 * (the server's answer and its push both seen), subscribes to him; bob
 * approves and subscribes back; each then sees the other available;
 * a message goes each way; both log out. First, a client that trusts only
 * the system's CAs must refuse the same server (self-signed certificate).
 *
 * usage: client_prosody PORT CA_FILE PASSWORD
 * (accounts alice@example.test and bob@example.test, both with PASSWORD)
 * Exit 0 when every step happened; 1 with a message saying which did not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xmppim.h>
#include <xmppim/client.h>

typedef struct party {
  const char *name;
  xmppim_client *client;
  int connected, disconnected, set_done, requests;
  char set_error[64], message[128], message_from[128], reason[200];
  int peer_available;
} party;

static party alice = {.name = "alice"}, bob = {.name = "bob"};

static party *who(xmppim_client *c) { return c == alice.client ? &alice : &bob; }

static char refused_reason[200];
static int refused_connected;
static void untrusting_connected(xmppim_client *c, void *ud) {
  (void)c, (void)ud;
  refused_connected = 1;
}
static void untrusting_disconnected(xmppim_client *c, const char *reason, void *ud) {
  (void)c, (void)ud;
  snprintf(refused_reason, sizeof refused_reason, "%s", reason);
}

static void on_connected(xmppim_client *c, void *ud) {
  (void)ud;
  party *p = who(c);
  p->connected++;
  xmppim_session *s = xmppim_client_session(c);
  printf("%s: connected as %s, %s over TLS\n", p->name,
         xmppim_jid_to_string(xmppim_session_jid(s)),
         xmppim_sasl_mechanism_name(xmppim_session_mechanism(s)));
}

static void on_disconnected(xmppim_client *c, const char *reason, void *ud) {
  (void)ud;
  party *p = who(c);
  p->disconnected++;
  snprintf(p->reason, sizeof p->reason, "%s", reason);
  printf("%s: disconnected: %s\n", p->name, reason);
}

static void on_message(xmppim_client *c, xmppim_message_type type, const char *from,
                       const char *body, void *ud) {
  (void)ud;
  party *p = who(c);
  if (type != XMPPIM_MESSAGE_CHAT) return;
  snprintf(p->message, sizeof p->message, "%s", body);
  snprintf(p->message_from, sizeof p->message_from, "%s", from);
  printf("%s: message from %s: %s\n", p->name, from, body);
}

static void on_presence(xmppim_client *c, xmppim_presence_event ev, const char *contact,
                        const xmppim_presence_resource *res, void *ud) {
  (void)ud, (void)res;
  party *p = who(c);
  const char *peer = p == &alice ? "bob@example.test" : "alice@example.test";
  if (strcmp(contact, peer) != 0) return;
  p->peer_available = ev != XMPPIM_PRESENCE_UNAVAILABLE;
  printf("%s: %s is %s\n", p->name, contact, p->peer_available ? "available" : "unavailable");
}

static void on_subscription_request(xmppim_client *c, const char *from, void *ud) {
  (void)ud;
  party *p = who(c);
  p->requests++;
  printf("%s: %s asks to see our presence\n", p->name, from);
  /* approve, and ask for theirs in return */
  if (xmppim_client_approve(c, from) != 0 ||
      xmppim_roster_subscribe(xmppim_client_roster(c), from) != 0)
    printf("%s: could not answer\n", p->name);
}

static void on_roster_set_done(xmppim_client *c, const char *jid, const char *error, void *ud) {
  (void)ud;
  party *p = who(c);
  p->set_done++;
  snprintf(p->set_error, sizeof p->set_error, "%s", error ? error : "");
  printf("%s: roster set for %s: %s\n", p->name, jid, error ? error : "accepted");
}

static const char *item_subscription(xmppim_client *c, const char *jid) {
  xmppim_roster *r = xmppim_client_roster(c);
  const xmppim_roster_item *it = r ? xmppim_roster_find(r, jid) : NULL;
  return it ? xmppim_roster_item_subscription(it) : "(absent)";
}

static xmppim_loop *loop;

/* Runs the loop until @p done says so or 20 s passed. */
static int run_until(int (*done)(void), const char *step) {
  uint64_t limit = xmppim_loop_now() + 20000;
  while (!done()) {
    if (xmppim_loop_now() > limit) {
      fprintf(stderr, "FAIL: timed out waiting for: %s\n", step);
      return 0;
    }
    if (alice.disconnected || bob.disconnected) {
      fprintf(stderr, "FAIL: %s: a client was disconnected (%s%s)\n", step, alice.reason,
              bob.reason);
      return 0;
    }
    xmppim_loop_run_once(loop, 100);
  }
  printf("ok: %s\n", step);
  return 1;
}

static int both_connected(void) { return alice.connected && bob.connected; }
static int alice_set_answered(void) {
  xmppim_roster *r = xmppim_client_roster(alice.client);
  return alice.set_done && r && xmppim_roster_find(r, "bob@example.test");
}
static int subscribed_both_ways(void) {
  return strcmp(item_subscription(alice.client, "bob@example.test"), "both") == 0 &&
         strcmp(item_subscription(bob.client, "alice@example.test"), "both") == 0 &&
         alice.peer_available && bob.peer_available;
}
static int bob_got_message(void) { return strcmp(bob.message, "hello bob") == 0; }
static int alice_got_reply(void) { return strcmp(alice.message, "hello alice") == 0; }
static int both_gone(void) { return alice.disconnected && bob.disconnected; }

static int fail(const char *what) {
  fprintf(stderr, "FAIL: %s\n", what);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s PORT CA_FILE PASSWORD\n", argv[0]);
    return 2;
  }
  uint16_t port = (uint16_t)atoi(argv[1]);
  xmppim_client_callbacks cb = {.on_connected = on_connected,
                                .on_disconnected = on_disconnected,
                                .on_message = on_message,
                                .on_presence = on_presence,
                                .on_subscription_request = on_subscription_request,
                                .on_roster_set_done = on_roster_set_done};
  xmppim_client_options *opt;
  if (xmppim_loop_new(&loop) != 0 || xmppim_client_options_new(&opt) != 0 ||
      xmppim_client_options_set_ca_file(opt, argv[2]) != 0 ||
      xmppim_client_options_set_address(opt, "127.0.0.1", port) != 0 ||
      xmppim_client_new(&alice.client, loop, "alice@example.test/interop", argv[3], &cb, NULL,
                        opt) != 0 ||
      xmppim_client_new(&bob.client, loop, "bob@example.test/interop", argv[3], &cb, NULL, opt) !=
          0)
    return fail("setting up the clients");

  /* the system's trust store does not know the test certificate */
  xmppim_client_options *plain_opt;
  xmppim_client *untrusting;
  xmppim_client_callbacks ucb = {.on_connected = untrusting_connected,
                                 .on_disconnected = untrusting_disconnected};
  if (xmppim_client_options_new(&plain_opt) != 0 ||
      xmppim_client_options_set_address(plain_opt, "127.0.0.1", port) != 0 ||
      xmppim_client_new(&untrusting, loop, "alice@example.test", argv[3], &ucb, NULL,
                        plain_opt) != 0 ||
      xmppim_client_connect(untrusting) != 0)
    return fail("setting up the untrusting client");
  xmppim_client_options_free(plain_opt);
  uint64_t limit = xmppim_loop_now() + 20000;
  while (!refused_reason[0] && xmppim_loop_now() < limit) xmppim_loop_run_once(loop, 100);
  xmppim_client_free(untrusting);
  if (refused_connected || !strstr(refused_reason, "certificate"))
    return fail("a client without the test CA was not refused for the certificate");
  printf("ok: refused without the CA: %s\n", refused_reason);

  xmppim_client_options_free(opt);
  if (xmppim_client_set_presence(bob.client, XMPPIM_SHOW_CHAT, "ready to talk", 5) != 0)
    return fail("bob's presence");
  if (xmppim_client_connect(alice.client) != 0 || xmppim_client_connect(bob.client) != 0)
    return fail("connecting");
  int ok = run_until(both_connected, "both logged in (STARTTLS, SCRAM, roster fetched)");
  if (ok) {
    xmppim_session *s = xmppim_client_session(alice.client);
    if (!xmppim_session_is_secure(s)) return fail("alice's stream is not under TLS");
    if (xmppim_sasl_mechanism_scram_hash(xmppim_session_mechanism(s)) == 0)
      return fail("alice did not log in with SCRAM");
  }
  const char *groups[] = {"Friends"};
  if (ok && xmppim_roster_set_item(xmppim_client_roster(alice.client), "bob@example.test", "Bob",
                                   groups, 1) != 0)
    return fail("alice's roster set");
  ok = ok && run_until(alice_set_answered, "alice added bob (result and push)");
  if (ok && alice.set_error[0]) return fail("the roster set was refused");
  if (ok) {
    const xmppim_roster_item *it =
        xmppim_roster_find(xmppim_client_roster(alice.client), "bob@example.test");
    if (strcmp(xmppim_roster_item_name(it), "Bob") != 0 ||
        xmppim_roster_item_group_count(it) != 1 ||
        strcmp(xmppim_roster_item_group(it, 0), "Friends") != 0)
      return fail("the pushed item lost its name or group");
  }
  if (ok && xmppim_roster_subscribe(xmppim_client_roster(alice.client), "bob@example.test") != 0)
    return fail("alice's subscribe");
  ok = ok && run_until(subscribed_both_ways, "subscribed both ways, each sees the other");
  if (ok && xmppim_client_send_message(alice.client, "bob@example.test", "hello bob") != 0)
    return fail("alice's message");
  ok = ok && run_until(bob_got_message, "bob got alice's message");
  if (ok && xmppim_client_send_message(bob.client, bob.message_from, "hello alice") != 0)
    return fail("bob's reply");
  ok = ok && run_until(alice_got_reply, "alice got bob's reply");
  if (ok && (xmppim_client_disconnect(alice.client) != 0 ||
             xmppim_client_disconnect(bob.client) != 0))
    return fail("disconnecting");
  if (ok) {
    uint64_t limit = xmppim_loop_now() + 10000;
    while (!both_gone() && xmppim_loop_now() < limit) xmppim_loop_run_once(loop, 100);
    ok = both_gone() && strcmp(alice.reason, "closed by the application") == 0;
    if (!ok) fprintf(stderr, "FAIL: clean log out (%s / %s)\n", alice.reason, bob.reason);
  }
  xmppim_client_free(alice.client);
  xmppim_client_free(bob.client);
  xmppim_loop_free(loop);
  return ok ? 0 : 1;
}
