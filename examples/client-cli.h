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

#endif
