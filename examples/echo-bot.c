/*
 * echo-bot: logs in, says it is there for a chat, approves everyone who
 * asks to see its presence (and asks back, so it sees theirs), and sends
 * every chat message back to whoever wrote it. Ctrl-C logs out.
 *
 *   XMPPIM_PASSWORD=secret echo-bot bot@example.com
 *   echo-bot --ca server.pem --address 127.0.0.1:5222 bot@example.test < password-file
 *
 * Build: part of the project (meson), or on its own with
 *   cc echo-bot.c client-cli.c $(pkg-config --cflags --libs xmppim)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xmppim.h>
#include <xmppim/client.h>

#include "client-cli.h"

/* ---- the bot ---- */

typedef struct bot {
  const char *jid;
  client_cli_state st;
} bot;

static void on_connected(xmppim_client *c, void *ud) {
  (void)c;
  bot *b = ud;
  client_cli_connected(&b->st);
  printf("online as %s\n", b->jid);
}

static void on_disconnected(xmppim_client *c, const char *reason, void *ud) {
  (void)c;
  client_cli_disconnected(&((bot *)ud)->st, reason);
}

static void on_message(xmppim_client *c, xmppim_message_type type, const char *from,
                       const char *body, void *ud) {
  (void)ud;
  if (type != XMPPIM_MESSAGE_CHAT) return; /* groupchat echoes would loop through the room */
  printf("echo to %s: %s\n", from, body);
  xmppim_client_send_message(c, from, body);
}

static void on_subscription_request(xmppim_client *c, const char *from, void *ud) {
  (void)ud;
  printf("%s asks to see our presence: approved\n", from);
  xmppim_client_approve(c, from);
  /* Ask back unless we already see theirs or asked before. */
  xmppim_roster *roster = xmppim_client_roster(c);
  const xmppim_roster_item *item = xmppim_roster_find(roster, from);
  if (!item || (!xmppim_sub_is_to(xmppim_roster_item_state(item)) && !xmppim_roster_item_ask(item)))
    xmppim_roster_subscribe(roster, from);
}

/* ---- the command line ---- */

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0); /* each event as it happens, also into a pipe or file */
  xmppim_client_options *opt;
  if (xmppim_client_options_new(&opt) != 0) return 1;
  bot b = {0};
  char password[1024];
  int status = client_cli_account(argc, argv, "echo-bot", opt, &b.jid, password, sizeof password);
  if (status != 0) {
    xmppim_client_options_free(opt);
    return status;
  }
  xmppim_client_options_set_reconnect(opt, 1);
  xmppim_client_callbacks cb = {.on_connected = on_connected,
                                .on_disconnected = on_disconnected,
                                .on_message = on_message,
                                .on_subscription_request = on_subscription_request};
  xmppim_loop *loop = NULL;
  xmppim_client *c = NULL;
  int rv = xmppim_loop_new(&loop);
  if (rv == 0) rv = xmppim_client_new(&c, loop, b.jid, password, &cb, &b, opt);
  xmppim_client_options_free(opt);
  memset(password, 0, sizeof password);
  if (rv == 0) rv = xmppim_client_set_presence(c, XMPPIM_SHOW_CHAT, "Say something, I say it back", 0);
  if (rv == 0) rv = xmppim_client_connect(c);
  if (rv != 0) {
    fprintf(stderr, "echo-bot: cannot log in as '%s': %s\n", b.jid, xmppim_strerror(rv));
    status = 1;
  } else {
    status = client_cli_run(loop, c, &b.st);
  }
  xmppim_client_free(c);
  xmppim_loop_free(loop);
  return status;
}
