#include "accounts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <xmppim.h>

#include "store/store.h"

static void wipe(void *p, size_t n) {
  volatile unsigned char *v = p;
  while (n--) *v++ = 0;
}

/* One line of at most XS_PASSWORD_MAX bytes, without its line end.
 * return 0, or -1 with a message printed. */
static int read_line(FILE *in, char *buf, size_t cap, const char *what) {
  if (!fgets(buf, (int)cap, in)) {
    fprintf(stderr, "xmppim-server: no %s on standard input\n", what);
    return -1;
  }
  size_t len = strlen(buf);
  if (len > 0 && buf[len - 1] == '\n') {
    buf[--len] = '\0';
  } else if (!feof(in)) {
    fprintf(stderr, "xmppim-server: the %s is longer than %d bytes\n", what, XS_PASSWORD_MAX);
    wipe(buf, cap);
    int ch;
    while ((ch = fgetc(in)) != EOF && ch != '\n') {
    }
    return -1;
  }
  if (len > 0 && buf[len - 1] == '\r') buf[--len] = '\0';
  if (strlen(buf) != len) {
    fprintf(stderr, "xmppim-server: the %s contains a NUL byte\n", what);
    return -1;
  }
  return 0;
}

/* Prompts on stderr and reads standard input with echo off. */
static int read_hidden(const char *prompt, char *buf, size_t cap) {
  struct termios old, quiet;
  if (tcgetattr(STDIN_FILENO, &old) != 0) {
    fprintf(stderr, "xmppim-server: cannot read the terminal: %s\n", strerror(errno));
    return -1;
  }
  quiet = old;
  quiet.c_lflag &= ~(tcflag_t)ECHO;
  quiet.c_lflag |= ECHONL;
  /* Echo off before the prompt: what is typed after seeing it must be
   * neither echoed nor discarded (TCSAFLUSH drops what was typed before). */
  if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) {
    fprintf(stderr, "xmppim-server: cannot turn off echo: %s\n", strerror(errno));
    return -1;
  }
  fputs(prompt, stderr);
  fflush(stderr);
  int rv = read_line(stdin, buf, cap, "password");
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  return rv;
}

static int read_password(const char *jid, char *buf, size_t cap) {
  if (!isatty(STDIN_FILENO)) {
    if (read_line(stdin, buf, cap, "password") != 0) return -1;
  } else {
    char again[XS_PASSWORD_MAX + 2];
    char prompt[1200];
    snprintf(prompt, sizeof prompt, "Password for %s: ", jid);
    if (read_hidden(prompt, buf, cap) != 0) return -1;
    if (read_hidden("Again: ", again, sizeof again) != 0) {
      wipe(buf, cap);
      return -1;
    }
    int same = strcmp(buf, again) == 0;
    wipe(again, sizeof again);
    if (!same) {
      fprintf(stderr, "xmppim-server: the passwords differ; nothing changed\n");
      wipe(buf, cap);
      return -1;
    }
  }
  if (!buf[0]) {
    fprintf(stderr, "xmppim-server: the password is empty; nothing changed\n");
    return -1;
  }
  return 0;
}

static void explain(int rv, const char *jid, xs_store *st) {
  switch (rv) {
  case XS_ERR_EXISTS: fprintf(stderr, "xmppim-server: %s already exists\n", jid); break;
  case XS_ERR_NO_USER: fprintf(stderr, "xmppim-server: no such user: %s\n", jid); break;
  case XS_ERR_BAD_INPUT:
    fprintf(stderr, "xmppim-server: refused: the user name or the password is not acceptable (%s)\n",
            xs_store_error(st)[0] ? xs_store_error(st) : "SASLprep refuses it");
    break;
  default: fprintf(stderr, "xmppim-server: database error: %s\n", xs_store_error(st)); break;
  }
}

int xs_accounts_run(const char *command, const char *jid_text, const char *db_path, const char *domain) {
  xmppim_jid *jid = NULL;
  int rv = xmppim_jid_new(&jid, jid_text, strlen(jid_text), NULL);
  if (rv != 0 || !xmppim_jid_local(jid) || xmppim_jid_resource(jid)) {
    fprintf(stderr, "xmppim-server: '%s' is not an account address (user@domain)%s%s\n", jid_text,
            rv ? ": " : "", rv ? xmppim_strerror(rv) : "");
    xmppim_jid_free(jid);
    return 1;
  }
  if (strcmp(xmppim_jid_domain(jid), domain) != 0) {
    fprintf(stderr, "xmppim-server: %s is not in this server's domain %s (give --domain %s if that is the one)\n",
            jid_text, domain, xmppim_jid_domain(jid));
    xmppim_jid_free(jid);
    return 1;
  }
  char password[XS_PASSWORD_MAX + 2];
  int needs_password = strcmp(command, "deluser") != 0;
  if (needs_password && read_password(xmppim_jid_to_string(jid), password, sizeof password) != 0) {
    xmppim_jid_free(jid);
    return 1;
  }
  xs_store *st = NULL;
  char err[512];
  if (xs_store_open(&st, db_path, domain, err, sizeof err) != 0) {
    fprintf(stderr, "xmppim-server: cannot open %s: %s\n", db_path, err);
    if (needs_password) wipe(password, sizeof password);
    xmppim_jid_free(jid);
    return 1;
  }
  const char *user = xmppim_jid_local(jid);
  if (strcmp(command, "adduser") == 0)
    rv = xs_store_add_user(st, user, password, 0);
  else if (strcmp(command, "passwd") == 0)
    rv = xs_store_set_password(st, user, password, 0);
  else
    rv = xs_store_del_user(st, user);
  if (needs_password) wipe(password, sizeof password);
  int status = 0;
  if (rv != 0) {
    explain(rv, xmppim_jid_to_string(jid), st);
    status = 1;
  } else {
    fprintf(stderr, "%s %s\n",
            strcmp(command, "adduser") == 0   ? "added"
            : strcmp(command, "passwd") == 0 ? "password changed for"
                                              : "deleted",
            xmppim_jid_to_string(jid));
  }
  xs_store_close(st);
  xmppim_jid_free(jid);
  return status;
}
