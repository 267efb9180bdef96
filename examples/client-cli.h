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

/*
 * Reads "[options] JID [PASSWORD]" (the options above; the password as
 * client_cli_password() says), printing the usage on a mistake.
 * @return 0, or the exit status to end with (2).
 */
int client_cli_account(int argc, char **argv, const char *prog, xmppim_client_options *opt,
                       const char **jid, char *password, size_t cap);

/*
 * Runs the loop until SIGINT or SIGTERM (then logs out, waiting 5 s at
 * most for the server) or until the first login fails.
 * @return the exit status: 1 when the first login failed, else 0.
 */
int client_cli_run(xmppim_loop *loop, xmppim_client *c, client_cli_state *st);

#endif
