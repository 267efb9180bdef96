/*
 * What the client examples (echo-bot, roster-tool, presence-watch) share on
 * their command line: the connection options and the password.
 */
#ifndef EXAMPLES_CLIENT_CLI_H
#define EXAMPLES_CLIENT_CLI_H

#include <stddef.h>
#include <xmppim.h>
#include <xmppim/client.h>

/* The usage line of the options below. */
#define CLIENT_CLI_OPTIONS "[--ca FILE | --insecure] [--address HOST:PORT]"

/*
 * Reads one of --ca FILE, --insecure, --address HOST:PORT at argv[*i] into
 * opt, moving *i past a value.
 * @return 1 when it was one of them, 0 when it is not, -1 when it is but
 * wrong (the reason printed after "prog: ").
 */
int client_cli_option(xmppim_client_options *opt, const char *prog, int argc, char **argv, int *i);

/*
 * The account's password into buf: XMPPIM_PASSWORD, else given (from the
 * command line; NULL for none), else one line of standard input, read
 * without echo when it is a terminal. @return 0, or -1 when there is none.
 */
int client_cli_password(char *buf, size_t cap, const char *given);

/* How a long-running example's connection goes (echo-bot, presence-watch). */
typedef struct client_cli_state {
  int ever_online, logging_out, offline, failed;
} client_cli_state;

/* To call from on_connected. */
void client_cli_connected(client_cli_state *st);
/* To call from on_disconnected: prints "offline: REASON" and decides.
 * Retrying makes sense after a connection was lost, not when the first
 * attempt fails: a wrong password or certificate would fail forever. */
void client_cli_disconnected(client_cli_state *st, const char *reason);

/* What a long-running example is: its name, callbacks and presence. */
typedef struct client_cli_app {
  const char *prog;               /* for messages */
  xmppim_client_callbacks cb;     /* on_connected and on_disconnected call the two above */
  void *user_data;                /* handed to the callbacks */
  client_cli_state *state;        /* inside user_data */
  const char **jid;               /* set to the account's JID before connecting */
  xmppim_show show;               /* the presence it shows */
  const char *status;
  int priority;
} client_cli_app;

/*
 * The whole main of echo-bot and presence-watch: reads "[options] JID
 * [PASSWORD]" (the options above; the password as client_cli_password()
 * says), logs in with reconnect on and the app's presence, and runs until
 * SIGINT or SIGTERM (then logs out, waiting 5 s at most for the server) or
 * until the first login fails.
 * @return the exit status: 2 for a mistake on the command line, 1 when the
 * first login failed, else 0.
 */
int client_cli_main(int argc, char **argv, const client_cli_app *app);

#endif
