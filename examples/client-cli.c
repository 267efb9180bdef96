/* The client examples' shared command line (see client-cli.h). */
/* termios and isatty are POSIX, not C11. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "client-cli.h"

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
