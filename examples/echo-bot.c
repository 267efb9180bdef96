/*
 * echo-bot: logs in with the JID and password given on the command line,
 * accepts every subscription request and sends each chat message back.
 *
 *   echo-bot bot@example.com password
 */
#include <stdio.h>
#include <xmppim.h>
#include <xmppim/client.h>

static void on_connected(xmppim_client *c, void *ud) {
  (void)c, (void)ud;
  printf("connected\n");
}

static void on_disconnected(xmppim_client *c, const char *reason, void *ud) {
  (void)c, (void)ud;
  printf("disconnected: %s\n", reason);
}

static void on_message(xmppim_client *c, xmppim_message_type type, const char *from,
                       const char *body, void *ud) {
  (void)ud;
  if (type == XMPPIM_MESSAGE_CHAT) xmppim_client_send_message(c, from, body);
}

static void on_subscription_request(xmppim_client *c, const char *from, void *ud) {
  (void)ud;
  xmppim_client_approve(c, from);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s JID PASSWORD\n", argv[0]);
    return 2;
  }
  xmppim_client_callbacks cb = {.on_connected = on_connected,
                                .on_disconnected = on_disconnected,
                                .on_message = on_message,
                                .on_subscription_request = on_subscription_request};
  xmppim_client_options *opt;
  xmppim_loop *loop;
  xmppim_client *c;
  if (xmppim_client_options_new(&opt) != 0 || xmppim_client_options_set_reconnect(opt, 1) != 0 ||
      xmppim_loop_new(&loop) != 0 ||
      xmppim_client_new(&c, loop, argv[1], argv[2], &cb, NULL, opt) != 0)
    return 1;
  xmppim_client_options_free(opt);
  if (xmppim_client_connect(c) != 0) return 1;
  xmppim_loop_run(loop, UINT64_MAX);
  xmppim_client_free(c);
  xmppim_loop_free(loop);
  return 0;
}
