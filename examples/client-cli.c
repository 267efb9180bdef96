/* The client examples' shared command line (see client-cli.h). */
/* termios, isatty and sigaction are POSIX, not C11. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "client-cli.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* HOST:PORT, or [IPv6]:PORT. */
static int parse_address(const char *text, char *host, size_t cap, uint16_t *port) {
  const char *colon = strrchr(text, ':');
  if (!colon || colon == text) return -1;
  const char *start = text, *end = colon;
  if (*start == '[' && end[-1] == ']') start++, end--;
  char *rest;
  long p = strtol(colon + 1, &rest, 10);
  if (*rest || p < 1 || p > 65535 || (size_t)(end - start) >= cap) return -1;
  memcpy(host, start, (size_t)(end - start));
  host[end - start] = '\0';
  *port = (uint16_t)p;
  return 0;
}

int client_cli_option(xmppim_client_options *opt, const char *prog, int argc, char **argv, int *i) {
  const char *arg = argv[*i];
  int has_value = *i + 1 < argc;
  if (strcmp(arg, "--insecure") == 0) return xmppim_client_options_set_insecure_skip_verify(opt, 1) == 0 ? 1 : -1;
  if (strcmp(arg, "--ca") == 0 && has_value) {
    const char *file = argv[++*i];
    if (xmppim_client_options_set_ca_file(opt, file) == 0) return 1;
    fprintf(stderr, "%s: %s: %s\n", prog, file, xmppim_client_options_error_text(opt));
    return -1;
  }
  if (strcmp(arg, "--address") == 0 && has_value) {
    const char *text = argv[++*i];
    char host[64];
    uint16_t port;
    if (parse_address(text, host, sizeof host, &port) == 0 &&
        xmppim_client_options_set_address(opt, host, port) == 0)
      return 1;
    fprintf(stderr, "%s: bad address %s (numeric HOST:PORT)\n", prog, text);
    return -1;
  }
  return 0;
}

int client_cli_password(char *buf, size_t cap, const char *given) {
  const char *from_env = getenv("XMPPIM_PASSWORD");
  if (from_env || given) {
    snprintf(buf, cap, "%s", from_env ? from_env : given);
    return buf[0] ? 0 : -1;
  }
  struct termios saved, quiet;
  int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (tty) {
    fprintf(stderr, "password: ");
    quiet = saved;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  int ok = fgets(buf, (int)cap, stdin) != NULL;
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    fprintf(stderr, "\n");
  }
  buf[ok ? strcspn(buf, "\r\n") : 0] = '\0';
  return ok && buf[0] ? 0 : -1;
}

void client_cli_connected(client_cli_state *st) { st->ever_online = 1; }

void client_cli_disconnected(client_cli_state *st, const char *reason) {
  st->failed = !st->ever_online && !st->logging_out;
  st->offline = st->logging_out || st->failed;
  printf("offline: %s%s\n", reason, st->offline ? "" : " (trying again)");
}

static int client_cli_account(int argc, char **argv, const char *prog, xmppim_client_options *opt,
                       const char **jid, char *password, size_t cap) {
  const char *positional[2] = {NULL, NULL};
  int npositional = 0;
  for (int i = 1; i < argc; i++) {
    int known = client_cli_option(opt, prog, argc, argv, &i);
    if (known < 0) return 2;
    if (known) continue;
    if (argv[i][0] == '-' || npositional == 2) npositional = -1;
    if (npositional < 0) break;
    positional[npositional++] = argv[i];
  }
  if (npositional <= 0) {
    fprintf(stderr,
            "usage: %s " CLIENT_CLI_OPTIONS " JID [PASSWORD]\n"
            "The password is read from XMPPIM_PASSWORD, else from the command line, else from\n"
            "standard input (one line).\n",
            prog);
    return 2;
  }
  *jid = positional[0];
  if (client_cli_password(password, cap, positional[1]) != 0) {
    fprintf(stderr, "%s: no password given\n", prog);
    return 2;
  }
  return 0;
}

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) {
  (void)sig;
  interrupted = 1;
}

static int client_cli_run(xmppim_loop *loop, xmppim_client *c, client_cli_state *st) {
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  /* A signal interrupts the wait; the 500 ms bound covers one that lands
   * just before it starts. */
  uint64_t give_up_at = UINT64_MAX;
  while (!st->offline && xmppim_loop_now() < give_up_at) {
    if (interrupted && !st->logging_out) {
      st->logging_out = 1;
      /* Waiting to retry, there is no connection to close: done. */
      st->offline = xmppim_client_session(c) == NULL;
      xmppim_client_disconnect(c);
      give_up_at = xmppim_loop_now() + 5000;
    }
    if (xmppim_loop_run_once(loop, 500) < 0) break;
  }
  return st->failed ? 1 : 0;
}

int client_cli_main(int argc, char **argv, const client_cli_app *app) {
  setvbuf(stdout, NULL, _IOLBF, 0); /* each event as it happens, also into a pipe or file */
  xmppim_client_options *opt;
  if (xmppim_client_options_new(&opt) != 0) return 1;
  char password[1024];
  int status = client_cli_account(argc, argv, app->prog, opt, app->jid, password, sizeof password);
  if (status != 0) {
    xmppim_client_options_free(opt);
    return status;
  }
  xmppim_client_options_set_reconnect(opt, 1);
  xmppim_loop *loop = NULL;
  xmppim_client *c = NULL;
  int rv = xmppim_loop_new(&loop);
  if (rv == 0) rv = xmppim_client_new(&c, loop, *app->jid, password, &app->cb, app->user_data, opt);
  xmppim_client_options_free(opt);
  memset(password, 0, sizeof password);
  if (rv == 0) rv = xmppim_client_set_presence(c, app->show, app->status, app->priority);
  if (rv == 0) rv = xmppim_client_connect(c);
  if (rv != 0) {
    fprintf(stderr, "%s: cannot log in as '%s': %s\n", app->prog, *app->jid, xmppim_strerror(rv));
    status = 1;
  } else {
    status = client_cli_run(loop, c, app->state);
  }
  xmppim_client_free(c);
  xmppim_loop_free(loop);
  return status;
}
