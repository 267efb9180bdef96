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
  bot b = {0};
  client_cli_app app = {.prog = "echo-bot",
                        .cb = {.on_connected = on_connected,
                               .on_disconnected = on_disconnected,
                               .on_message = on_message,
                               .on_subscription_request = on_subscription_request},
                        .user_data = &b,
                        .state = &b.st,
                        .jid = &b.jid,
                        .show = XMPPIM_SHOW_CHAT,
                        .status = "Say something, I say it back"};
  return client_cli_main(argc, argv, &app);
}
