/*
 * roster-tool: one roster command for an account, then log out.
 *
 *   roster-tool JID list
 *   roster-tool JID add CONTACT [--name NAME] [--group GROUP]...
 *   roster-tool JID remove CONTACT
 *   roster-tool JID subscribe|unsubscribe|approve|deny|cancel CONTACT
 *
 * list prints each contact with its subscription (RFC 6121: none, to,
 * from, both), "ask=subscribe" while our request is pending, its name and
 * groups. add and remove wait for the server's answer and print its error
 * condition when it refuses (exit 1). The subscription commands send one
 * presence: subscribe asks to see the contact's presence, unsubscribe stops
 * seeing it, approve answers a request yes, deny answers it no, and cancel
 * takes back an approval given before (deny and cancel send the same
 * stanza, "unsubscribed"). The password comes from XMPPIM_PASSWORD or
 * standard input.
 *
 *   XMPPIM_PASSWORD=secret roster-tool juliet@example.com add romeo@example.net --group Friends
 *
 * Build: part of the project (meson), or on its own with
 *   cc roster-tool.c client-cli.c $(pkg-config --cflags --libs xmppim)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xmppim.h>
#include <xmppim/client.h>

#include "client-cli.h"

enum { MAX_GROUPS = 16 };
/* Login, the command and the logout together; a server that does not
 * answer makes the tool fail instead of hang. */
enum { OVERALL_TIMEOUT_MS = 30000 };

typedef struct job {
  const char *command, *contact, *name;
  const char *groups[MAX_GROUPS];
  size_t group_count;
  int connected, finished, failed;
} job;

static void fail(xmppim_client *c, job *j, const char *what, const char *why) {
  fprintf(stderr, "roster-tool: %s: %s\n", what, why);
  j->failed = 1;
  xmppim_client_disconnect(c);
}

static void print_roster(const xmppim_roster *roster) {
  for (size_t i = 0; i < xmppim_roster_count(roster); i++) {
    const xmppim_roster_item *item = xmppim_roster_item_at(roster, i);
    printf("%s subscription=%s", xmppim_roster_item_jid(item),
           xmppim_roster_item_subscription(item));
    if (xmppim_roster_item_ask(item)) printf(" ask=%s", xmppim_roster_item_ask(item));
    if (xmppim_roster_item_name(item)) printf(" name=\"%s\"", xmppim_roster_item_name(item));
    for (size_t g = 0; g < xmppim_roster_item_group_count(item); g++)
      printf("%s%s", g == 0 ? " groups=" : ",", xmppim_roster_item_group(item, g));
    printf("\n");
  }
}

static void on_connected(xmppim_client *c, void *ud) {
  job *j = ud;
  j->connected = 1;
  xmppim_roster *roster = xmppim_client_roster(c);
  const char *cmd = j->command;
  int rv;
  if (strcmp(cmd, "list") == 0) {
    print_roster(roster);
    xmppim_client_disconnect(c);
    return;
  }
  if (strcmp(cmd, "add") == 0)
    rv = xmppim_roster_set_item(roster, j->contact, j->name, j->groups, j->group_count);
  else if (strcmp(cmd, "remove") == 0)
    rv = xmppim_roster_remove_item(roster, j->contact);
  else if (strcmp(cmd, "subscribe") == 0)
    rv = xmppim_roster_subscribe(roster, j->contact);
  else if (strcmp(cmd, "unsubscribe") == 0)
    rv = xmppim_roster_unsubscribe(roster, j->contact);
  else if (strcmp(cmd, "approve") == 0)
    rv = xmppim_roster_subscribed(roster, j->contact);
  else /* deny, cancel */
    rv = xmppim_roster_unsubscribed(roster, j->contact);
  if (rv != 0) {
    char what[600];
    snprintf(what, sizeof what, "%s %s", cmd, j->contact);
    fail(c, j, what, xmppim_strerror(rv));
    return;
  }
  /* add and remove finish in on_roster_set_done; a presence is done once
   * written, and closing the stream flushes it. */
  if (strcmp(cmd, "add") != 0 && strcmp(cmd, "remove") != 0) xmppim_client_disconnect(c);
}

static void on_roster_set_done(xmppim_client *c, const char *jid, const char *error, void *ud) {
  job *j = ud;
  if (error) {
    char what[600];
    snprintf(what, sizeof what, "%s %s", j->command, jid);
    fail(c, j, what, error);
    return;
  }
  printf("%s %s: done\n", j->command, jid);
  xmppim_client_disconnect(c);
}

static void on_disconnected(xmppim_client *c, const char *reason, void *ud) {
  (void)c;
  job *j = ud;
  j->finished = 1;
  if (!j->connected) {
    fprintf(stderr, "roster-tool: could not log in: %s\n", reason);
    j->failed = 1;
  }
}

/* ---- the command line ---- */

static int usage(void) {
  fprintf(stderr,
          "usage: roster-tool [--ca FILE | --insecure] [--address HOST:PORT] JID COMMAND\n"
          "commands: list\n"
          "          add CONTACT [--name NAME] [--group GROUP]...\n"
          "          remove CONTACT\n"
          "          subscribe|unsubscribe|approve|deny|cancel CONTACT\n"
          "The password is read from XMPPIM_PASSWORD, else from standard input (one line).\n");
  return 2;
}

static int takes_contact(const char *cmd) {
  static const char *const with_contact[] = {"add",     "remove", "subscribe", "unsubscribe",
                                             "approve", "deny",   "cancel"};
  for (size_t i = 0; i < sizeof with_contact / sizeof *with_contact; i++)
    if (strcmp(cmd, with_contact[i]) == 0) return 1;
  return 0;
}

int main(int argc, char **argv) {
  xmppim_client_options *opt;
  if (xmppim_client_options_new(&opt) != 0) return 1;
  job j = {0};
  const char *jid = NULL;
  int bad = 0;
  for (int i = 1; i < argc && !bad; i++) {
    const char *arg = argv[i];
    int has_value = i + 1 < argc;
    int known = client_cli_option(opt, "roster-tool", argc, argv, &i);
    if (known < 0) {
      xmppim_client_options_free(opt);
      return 2;
    }
    if (known) {
      continue;
    } else if (strcmp(arg, "--name") == 0 && has_value) {
      j.name = argv[++i];
    } else if (strcmp(arg, "--group") == 0 && has_value) {
      if (j.group_count == MAX_GROUPS) {
        fprintf(stderr, "roster-tool: at most %d groups\n", MAX_GROUPS);
        xmppim_client_options_free(opt);
        return 2;
      } else {
        j.groups[j.group_count++] = argv[++i];
      }
    } else if (arg[0] == '-') {
      bad = 1;
    } else if (!jid) {
      jid = arg;
    } else if (!j.command) {
      j.command = arg;
    } else if (!j.contact) {
      j.contact = arg;
    } else {
      bad = 1;
    }
  }
  int add = j.command && strcmp(j.command, "add") == 0;
  if (bad || !j.command || ((j.name || j.group_count) && !add) ||
      (strcmp(j.command, "list") == 0 ? j.contact != NULL
                                      : !takes_contact(j.command) || !j.contact)) {
    xmppim_client_options_free(opt);
    return usage();
  }
  /* The server would refuse these; say so before logging in. */
  for (size_t g = 0; g < j.group_count; g++) {
    int twice = 0;
    for (size_t k = 0; k < g; k++) twice |= strcmp(j.groups[k], j.groups[g]) == 0;
    if (!j.groups[g][0] || twice) {
      fprintf(stderr, "roster-tool: group '%s' is empty or given twice\n", j.groups[g]);
      xmppim_client_options_free(opt);
      return 2;
    }
  }
  /* A typo in the contact is said before logging in. */
  xmppim_jid *contact = NULL;
  int jid_error = j.contact ? xmppim_jid_new(&contact, j.contact, strlen(j.contact), NULL) : 0;
  if (jid_error != 0) {
    fprintf(stderr, "roster-tool: %s is not a valid JID (%s)\n", j.contact,
            xmppim_strerror(jid_error));
    xmppim_client_options_free(opt);
    return 2;
  }
  xmppim_jid_free(contact);
  char password[1024];
  if (client_cli_password(password, sizeof password, NULL) != 0) {
    fprintf(stderr, "roster-tool: no password given\n");
    xmppim_client_options_free(opt);
    return 2;
  }

  /* A command, not a presence session: contacts need not see us online. */
  xmppim_client_options_set_initial_presence(opt, 0);
  xmppim_client_callbacks cb = {.on_connected = on_connected,
                                .on_disconnected = on_disconnected,
                                .on_roster_set_done = on_roster_set_done};
  xmppim_loop *loop = NULL;
  xmppim_client *c = NULL;
  int rv = xmppim_loop_new(&loop);
  if (rv == 0) rv = xmppim_client_new(&c, loop, jid, password, &cb, &j, opt);
  xmppim_client_options_free(opt);
  memset(password, 0, sizeof password);
  if (rv == 0) rv = xmppim_client_connect(c);
  if (rv != 0) {
    fprintf(stderr, "roster-tool: cannot log in as '%s': %s\n", jid, xmppim_strerror(rv));
    xmppim_client_free(c);
    xmppim_loop_free(loop);
    return 1;
  }
  uint64_t give_up_at = xmppim_loop_now() + OVERALL_TIMEOUT_MS;
  while (!j.finished && xmppim_loop_now() < give_up_at)
    if (xmppim_loop_run_once(loop, 500) < 0) break;
  if (!j.finished) {
    fprintf(stderr, "roster-tool: no answer from the server after %d s\n",
            OVERALL_TIMEOUT_MS / 1000);
    j.failed = 1;
  }
  xmppim_client_free(c);
  xmppim_loop_free(loop);
  return j.failed ? 1 : 0;
}
