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
  watch w = {0};
  /* Priority -1: messages to the bare JID go to the user's real clients. */
  client_cli_app app = {.prog = "presence-watch",
                        .cb = {.on_connected = on_connected,
                               .on_disconnected = on_disconnected,
                               .on_presence = on_presence},
                        .user_data = &w,
                        .state = &w.st,
                        .jid = &w.jid,
                        .show = XMPPIM_SHOW_ONLINE,
                        .status = "watching presence",
                        .priority = -1};
  return client_cli_main(argc, argv, &app);
}
