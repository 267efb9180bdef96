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
/* sigaction is POSIX, not C11. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xmppim.h>
#include <xmppim/client.h>

#include "client-cli.h"

typedef struct watch {
  const char *jid;
  int logging_out, offline, ever_online, failed;
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
  w->ever_online = 1;
  printf("online as %s, %zu contacts in the roster\n", w->jid,
         xmppim_roster_count(xmppim_client_roster(c)));
}

static void on_disconnected(xmppim_client *c, const char *reason, void *ud) {
  (void)c;
  watch *w = ud;
  /* Retrying makes sense after a connection was lost, not when the first
   * attempt fails: a wrong password or certificate would fail forever. */
  w->failed = !w->ever_online && !w->logging_out;
  w->offline = w->logging_out || w->failed;
  printf("offline: %s%s\n", reason, w->offline ? "" : " (trying again)");
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
    int known = client_cli_option(opt, "presence-watch", argc, argv, &i);
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
    fprintf(stderr, "presence-watch: no password given\n");
    xmppim_client_options_free(opt);
    return 2;
  }

  xmppim_client_options_set_reconnect(opt, 1);
  xmppim_client_callbacks cb = {.on_connected = on_connected,
                                .on_disconnected = on_disconnected,
                                .on_presence = on_presence};
  watch w = {.jid = jid};
  xmppim_loop *loop = NULL;
  xmppim_client *c = NULL;
  int rv = xmppim_loop_new(&loop);
  if (rv == 0) rv = xmppim_client_new(&c, loop, jid, password, &cb, &w, opt);
  xmppim_client_options_free(opt);
  memset(password, 0, sizeof password);
  if (rv == 0) rv = xmppim_client_set_presence(c, XMPPIM_SHOW_ONLINE, "watching presence", -1);
  if (rv == 0) rv = xmppim_client_connect(c);
  if (rv != 0) {
    fprintf(stderr, "presence-watch: cannot log in as '%s': %s\n", jid, xmppim_strerror(rv));
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
  while (!w.offline && xmppim_loop_now() < give_up_at) {
    if (interrupted && !w.logging_out) {
      w.logging_out = 1;
      /* Waiting to retry, there is no connection to close: done. */
      w.offline = xmppim_client_session(c) == NULL;
      xmppim_client_disconnect(c);
      give_up_at = xmppim_loop_now() + 5000;
    }
    if (xmppim_loop_run_once(loop, 500) < 0) break;
  }
  xmppim_client_free(c);
  xmppim_loop_free(loop);
  return w.failed ? 1 : 0;
}
