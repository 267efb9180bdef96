/*
 * presence-watch: logs in and prints each presence change of the
 * contacts, one line per resource and change, until Ctrl-C:
 *
 *   14:02:11 romeo@example.net/phone available show=away priority=5 status="at the ball"
 *   14:07:40 romeo@example.net/phone unavailable
 *
 * It shows itself with priority -1, so that messages sent to the account's
 * bare JID go to the user's real clients rather than to the watcher.
 *
 *   XMPPIM_PASSWORD=secret presence-watch juliet@example.com
 *
 * Build: part of the project (meson), or on its own with
 *   cc presence-watch.c client-cli.c $(pkg-config --cflags --libs xmppim)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xmppim.h>
#include <xmppim/client.h>

#include "client-cli.h"

typedef struct watch {
  const char *jid;
  client_cli_state st;
} watch;

static void on_presence(xmppim_client *c, xmppim_presence_event event, const char *contact,
                        const xmppim_presence_resource *resource, void *ud) {
  (void)c, (void)ud;
  char when[16];
  time_t now = time(NULL);
  strftime(when, sizeof when, "%H:%M:%S", localtime(&now));
  const char *name = xmppim_presence_resource_name(resource);
  printf("%s %s%s%s ", when, contact, name ? "/" : "", name ? name : "");
  if (event == XMPPIM_PRESENCE_UNAVAILABLE) {
    printf("unavailable\n");
  } else {
    const char *show = xmppim_show_name(xmppim_presence_resource_show(resource));
    const char *status = xmppim_presence_resource_status(resource, NULL);
    printf("%s show=%s priority=%d", event == XMPPIM_PRESENCE_AVAILABLE ? "available" : "changed",
           show ? show : "online", xmppim_presence_resource_priority(resource));
    if (status) printf(" status=\"%s\"", status);
    printf("\n");
  }
}

static void on_connected(xmppim_client *c, void *ud) {
  watch *w = ud;
  client_cli_connected(&w->st);
  printf("online as %s, %zu contacts in the roster\n", w->jid,
         xmppim_roster_count(xmppim_client_roster(c)));
}

static void on_disconnected(xmppim_client *c, const char *reason, void *ud) {
  (void)c;
  client_cli_disconnected(&((watch *)ud)->st, reason);
}

/* ---- the command line ---- */

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0); /* each event as it happens, also into a pipe or file */
  xmppim_client_options *opt;
  if (xmppim_client_options_new(&opt) != 0) return 1;
  watch w = {0};
  char password[1024];
  int status = client_cli_account(argc, argv, "presence-watch", opt, &w.jid, password, sizeof password);
  if (status != 0) {
    xmppim_client_options_free(opt);
    return status;
  }
  xmppim_client_options_set_reconnect(opt, 1);
  xmppim_client_callbacks cb = {.on_connected = on_connected,
                                .on_disconnected = on_disconnected,
                                .on_presence = on_presence};
  xmppim_loop *loop = NULL;
  xmppim_client *c = NULL;
  int rv = xmppim_loop_new(&loop);
  if (rv == 0) rv = xmppim_client_new(&c, loop, w.jid, password, &cb, &w, opt);
  xmppim_client_options_free(opt);
  memset(password, 0, sizeof password);
  /* Priority -1: messages to the bare JID go to the user's real clients. */
  if (rv == 0) rv = xmppim_client_set_presence(c, XMPPIM_SHOW_ONLINE, "watching presence", -1);
  if (rv == 0) rv = xmppim_client_connect(c);
  if (rv != 0) {
    fprintf(stderr, "presence-watch: cannot log in as '%s': %s\n", w.jid, xmppim_strerror(rv));
    status = 1;
  } else {
    status = client_cli_run(loop, c, &w.st);
  }
  xmppim_client_free(c);
  xmppim_loop_free(loop);
  return status;
}
