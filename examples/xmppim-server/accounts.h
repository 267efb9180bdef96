/*
 * The account commands of the command line: adduser, deluser and passwd,
 * run against the store with the server stopped or running (SQLite takes
 * care of the two writers).
 */
#ifndef XS_ACCOUNTS_H
#define XS_ACCOUNTS_H

/* Longest password accepted, in bytes. */
#define XS_PASSWORD_MAX 1023

/*
 * Runs one command ("adduser", "deluser" or "passwd") for jid
 * (user@domain, the domain the server's, domain prepared) on the database
 * at db_path. The password of adduser and passwd comes from standard
 * input: one line when it is not a terminal, else typed twice without
 * echo. Messages go to stderr.
 * return the exit status: 0, or 1 with a message.
 */
int xs_accounts_run(const char *command, const char *jid, const char *db_path, const char *domain);

#endif /* XS_ACCOUNTS_H */
