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
/* sigaction is POSIX, not C11. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xmppim.h>
#include <xmppim/client.h>

#include "client-cli.h"

/* ---- the bot ---- */

typedef struct bot {
  const char *jid;
  int logging_out, offline, ever_online, failed;
} bot;

static void on_connected(xmppim_client *c, void *ud) {
  (void)c;
  bot *b = ud;
  b->ever_online = 1;
  printf("online as %s\n", b->jid);
}

static void on_disconnected(xmppim_client *c, const char *reason, void *ud) {
  (void)c;
  bot *b = ud;
  /* Retrying makes sense after a connection was lost, not when the first
   * attempt fails: a wrong password or certificate would fail forever. */
  b->failed = !b->ever_online && !b->logging_out;
  b->offline = b->logging_out || b->failed;
  printf("offline: %s%s\n", reason, b->offline ? "" : " (trying again)");
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

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) {
  (void)sig;
  interrupted = 1;
}

static int usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s [--ca FILE | --insecure] [--address HOST:PORT] JID [PASSWORD]\n"
          "The password is read from XMPPIM_PASSWORD, else from the command line, else from\n"
          "standard input (one line).\n",
          argv0);
  return 2;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0); /* each event as it happens, also into a pipe or file */
  xmppim_client_options *opt;
  if (xmppim_client_options_new(&opt) != 0) return 1;
  const char *positional[2] = {NULL, NULL};
  int npositional = 0, bad = 0;
  for (int i = 1; i < argc && !bad; i++) {
    const char *arg = argv[i];
    int known = client_cli_option(opt, "echo-bot", argc, argv, &i);
    if (known < 0) {
      xmppim_client_options_free(opt);
      return 2;
    }
    if (known) {
      continue;
    } else if (arg[0] == '-' || npositional == 2) {
      bad = 1;
    } else {
      positional[npositional++] = arg;
    }
  }
  if (bad || npositional == 0) {
    xmppim_client_options_free(opt);
    return usage(argv[0]);
  }
  const char *jid = positional[0];
  char password[1024];
  if (client_cli_password(password, sizeof password, positional[1]) != 0) {
    fprintf(stderr, "echo-bot: no password given\n");
    xmppim_client_options_free(opt);
    return 2;
  }

  xmppim_client_options_set_reconnect(opt, 1);
  xmppim_client_callbacks cb = {.on_connected = on_connected,
                                .on_disconnected = on_disconnected,
                                .on_message = on_message,
                                .on_subscription_request = on_subscription_request};
  bot b = {.jid = jid};
  xmppim_loop *loop = NULL;
  xmppim_client *c = NULL;
  int rv = xmppim_loop_new(&loop);
  if (rv == 0) rv = xmppim_client_new(&c, loop, jid, password, &cb, &b, opt);
  xmppim_client_options_free(opt);
  memset(password, 0, sizeof password);
  if (rv == 0) rv = xmppim_client_set_presence(c, XMPPIM_SHOW_CHAT, "Say something, I say it back", 0);
  if (rv == 0) rv = xmppim_client_connect(c);
  if (rv != 0) {
    fprintf(stderr, "echo-bot: cannot log in as '%s': %s\n", jid, xmppim_strerror(rv));
    xmppim_client_free(c);
    xmppim_loop_free(loop);
    return 1;
  }

  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  /* A signal interrupts the wait; the 500 ms bound covers one that lands
   * just before it starts. After Ctrl-C, give the server 5 s to close. */
  uint64_t give_up_at = UINT64_MAX;
  while (!b.offline && xmppim_loop_now() < give_up_at) {
    if (interrupted && !b.logging_out) {
      b.logging_out = 1;
      /* Waiting to retry, there is no connection to close: done. */
      b.offline = xmppim_client_session(c) == NULL;
      xmppim_client_disconnect(c);
      give_up_at = xmppim_loop_now() + 5000;
    }
    if (xmppim_loop_run_once(loop, 500) < 0) break;
  }
  xmppim_client_free(c);
  xmppim_loop_free(loop);
  return b.failed ? 1 : 0;
}
