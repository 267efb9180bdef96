/*
 * The client half of xmppim-server's smoke test (test-server.sh): two
 * accounts log in with xmppim_client over STARTTLS (the server's
 * self-signed certificate as the only trusted one), check the stream
 * features, add each other (roster push, subscription both ways, presence),
 * exchange a message; a third connection's resource is taken over by a
 * fourth (the third ends with conflict); then SIGTERM the server and check that the streams
 * end with system-shutdown and that the contact still connected saw the
 * other go unavailable.
 *
 * usage: xmppim-server-smoke-client PORT CERT_FILE SERVER_PID
 *   (accounts alice@localhost / alice-pw and bob@localhost / bob-pw)
 * Prints each step; exit 0 when all happened within 20 s, 1 otherwise.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <xmppim.h>

#define STEP_LIMIT_MS 20000

typedef struct peer {
  const char *jid, *password, *contact;
  xmppim_client *client;
  int connected, pushes, subscribed_back, contact_available, contact_unavailable, disconnected;
  char message[128], reason[256];
} peer;

static peer alice = {.jid = "alice@localhost", .password = "alice-pw", .contact = "bob@localhost"};
static peer bob = {.jid = "bob@localhost", .password = "bob-pw", .contact = "alice@localhost"};
/* Two connections asking for the same resource: the second takes it over. */
static peer twin1 = {.jid = "alice@localhost/twin", .password = "alice-pw", .contact = "bob@localhost"};
static peer twin2 = {.jid = "alice@localhost/twin", .password = "alice-pw", .contact = "bob@localhost"};
static int shutdown_sent;

static void on_connected(xmppim_client *c, void *ud) {
  peer *p = ud;
  xmppim_session *s = xmppim_client_session(c);
  printf("%s connected with %s\n", p->jid, xmppim_sasl_mechanism_name(xmppim_session_mechanism(s)));
  if (!xmppim_session_peer_has_feature(s, "ver", "urn:xmpp:features:rosterver") ||
      !xmppim_session_peer_has_feature(s, "sub", "urn:xmpp:features:pre-approval")) {
    printf("FAIL: the server did not advertise roster versioning and pre-approval\n");
    exit(1);
  }
  p->connected = 1;
}

static void on_disconnected(xmppim_client *c, const char *reason, void *ud) {
  (void)c;
  peer *p = ud;
  printf("%s disconnected: %s\n", p->jid, reason);
  snprintf(p->reason, sizeof p->reason, "%s", reason);
  p->disconnected = 1;
}

static void on_message(xmppim_client *c, xmppim_message_type type, const char *from, const char *body, void *ud) {
  (void)c, (void)type;
  peer *p = ud;
  printf("%s got a message from %s: %s\n", p->jid, from, body);
  snprintf(p->message, sizeof p->message, "%s", body);
}

static void on_presence(xmppim_client *c, xmppim_presence_event event, const char *contact,
                        const xmppim_presence_resource *resource, void *ud) {
  (void)resource;
  peer *p = ud;
  if (strcmp(contact, p->contact) != 0) return;
  if (event == XMPPIM_PRESENCE_AVAILABLE) {
    printf("%s sees %s available\n", p->jid, contact);
    p->contact_available = 1;
  } else if (event == XMPPIM_PRESENCE_UNAVAILABLE && shutdown_sent && xmppim_client_session(c) &&
             xmppim_session_state_get(xmppim_client_session(c)) == XMPPIM_STATE_READY) {
    /* said by the server on a live stream, not forgotten at our end */
    printf("%s sees %s unavailable\n", p->jid, contact);
    p->contact_unavailable = 1;
  }
}

/* Approves, and asks back once, so that both see each other. */
static void on_subscription_request(xmppim_client *c, const char *from, void *ud) {
  peer *p = ud;
  printf("%s approves %s\n", p->jid, from);
  if (xmppim_client_approve(c, from) != 0) printf("FAIL: approve\n");
  if (!p->subscribed_back) {
    p->subscribed_back = 1;
    if (xmppim_roster_subscribe(xmppim_client_roster(c), from) != 0) printf("FAIL: subscribe back\n");
  }
}

static void on_roster_changed(xmppim_client *c, void *ud) {
  peer *p = ud;
  if (p->connected && xmppim_roster_find(xmppim_client_roster(c), p->contact)) p->pushes++;
}

static int start(peer *p, xmppim_loop *loop, const char *cert, unsigned port) {
  xmppim_client_options *opt;
  xmppim_client_callbacks cb = {.on_connected = on_connected,
                                .on_disconnected = on_disconnected,
                                .on_message = on_message,
                                .on_presence = on_presence,
                                .on_subscription_request = on_subscription_request,
                                .on_roster_changed = on_roster_changed};
  int rv = xmppim_client_options_new(&opt);
  if (rv == 0) rv = xmppim_client_options_set_ca_file(opt, cert);
  if (rv == 0) rv = xmppim_client_options_set_address(opt, "127.0.0.1", (uint16_t)port);
  if (rv == 0) rv = xmppim_client_new(&p->client, loop, p->jid, p->password, &cb, p, opt);
  xmppim_client_options_free(opt);
  if (rv == 0) rv = xmppim_client_connect(p->client);
  if (rv != 0) printf("FAIL: %s cannot start: %s\n", p->jid, xmppim_strerror(rv));
  return rv;
}

/* Runs the loop until cond() holds or the step's time is up. */
static int run_until(xmppim_loop *loop, int (*cond)(void), const char *what) {
  uint64_t until = xmppim_loop_now() + STEP_LIMIT_MS;
  while (!cond()) {
    if (xmppim_loop_now() >= until) {
      printf("FAIL: not within %d ms: %s\n", STEP_LIMIT_MS, what);
      return -1;
    }
    xmppim_loop_run_once(loop, 100);
  }
  printf("ok: %s\n", what);
  return 0;
}

static int both_connected(void) { return alice.connected && bob.connected; }
static int alice_pushed(void) { return alice.pushes > 0; }
static int both_see_each_other(void) { return alice.contact_available && bob.contact_available; }
static int bob_has_message(void) { return strcmp(bob.message, "hello bob") == 0; }
static int both_disconnected(void) { return alice.disconnected && bob.disconnected; }
static int twin1_connected(void) { return twin1.connected; }
static int twin2_took_over(void) { return twin2.connected && twin1.disconnected; }
static int twin2_gone(void) { return twin2.disconnected; }

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s PORT CERT_FILE SERVER_PID\n", argv[0]);
    return 2;
  }
  unsigned port = (unsigned)strtoul(argv[1], NULL, 10);
  pid_t server = (pid_t)strtol(argv[3], NULL, 10);
  setvbuf(stdout, NULL, _IOLBF, 0);
  xmppim_loop *loop;
  if (xmppim_loop_new(&loop) != 0) return 1;
  int rv = 1;
  if (start(&alice, loop, argv[2], port) != 0 || start(&bob, loop, argv[2], port) != 0) goto out;
  if (run_until(loop, both_connected, "both logged in over TLS") != 0) goto out;
  if (xmppim_roster_set_item(xmppim_client_roster(alice.client), "bob@localhost", "Bob", NULL, 0) != 0) goto out;
  if (run_until(loop, alice_pushed, "alice's roster set came back as a push") != 0) goto out;
  if (xmppim_roster_subscribe(xmppim_client_roster(alice.client), "bob@localhost") != 0) goto out;
  if (run_until(loop, both_see_each_other, "subscribed both ways, each sees the other available") != 0) goto out;
  if (xmppim_client_send_message(alice.client, "bob@localhost", "hello bob") != 0) goto out;
  if (run_until(loop, bob_has_message, "bob got alice's message") != 0) goto out;
  if (start(&twin1, loop, argv[2], port) != 0) goto out;
  if (run_until(loop, twin1_connected, "a connection bound alice@localhost/twin") != 0) goto out;
  if (start(&twin2, loop, argv[2], port) != 0) goto out;
  if (run_until(loop, twin2_took_over, "a second one took the resource over") != 0) goto out;
  if (!strstr(twin1.reason, "conflict")) {
    printf("FAIL: the first connection did not end with conflict\n");
    goto out;
  }
  if (xmppim_client_disconnect(twin2.client) != 0 || run_until(loop, twin2_gone, "the second one logged out") != 0)
    goto out;
  printf("sending SIGTERM to the server (%ld)\n", (long)server);
  shutdown_sent = 1;
  if (kill(server, SIGTERM) != 0) {
    perror("kill");
    goto out;
  }
  if (run_until(loop, both_disconnected, "both streams ended by the server") != 0) goto out;
  if (!strstr(alice.reason, "system-shutdown") || !strstr(bob.reason, "system-shutdown")) {
    printf("FAIL: the streams did not end with system-shutdown\n");
    goto out;
  }
  if (!alice.contact_unavailable && !bob.contact_unavailable) {
    printf("FAIL: neither saw the other go unavailable before the end\n");
    goto out;
  }
  printf("ok: %s saw %s go unavailable\n", alice.contact_unavailable ? alice.jid : bob.jid,
         alice.contact_unavailable ? bob.jid : alice.jid);
  rv = 0;
out:
  xmppim_client_free(alice.client);
  xmppim_client_free(bob.client);
  xmppim_client_free(twin1.client);
  xmppim_client_free(twin2.client);
  xmppim_loop_free(loop);
  return rv;
}
