/*
 * The storage of xmppim-server: one SQLite database file holding the
 * accounts (SCRAM credentials only, never a password), each user's roster
 * and its version, offline messages and the last unavailable presence.
 *
 * Every change the server core asks for is one committed transaction before
 * the callback returns, because the core sends what depends on the change
 * (IQ results, pushes, routed presence) right after.
 *
 * Not thread-safe, like the server core it serves.
 */
#ifndef XS_STORE_H
#define XS_STORE_H

#include <stddef.h>
#include <xmppim.h>

/* Errors of the account functions (all negative; XS_ERR_DB for anything the
 * database itself refused, with the reason in xs_store_error()). */
#define XS_ERR_EXISTS (-1001)
#define XS_ERR_NO_USER (-1002)
#define XS_ERR_BAD_INPUT (-1003)
#define XS_ERR_DB (-1004)

/* Messages kept per user while they are offline; the next is refused. */
#define XS_OFFLINE_MAX 100

typedef struct xs_store xs_store;

/* Opens (creating when missing) the database file at path, creates the
 * schema, WAL mode, synchronous=FULL, foreign keys. err gets a one-line
 * English reason on failure. domain: the server's single XMPP domain
 * (prepared), used to form bare JIDs. return 0 or negative. */
int xs_store_open(xs_store **out, const char *path, const char *domain, char *err, size_t errlen);
void xs_store_close(xs_store *st);

/* Fills the store callbacks of the server core: load_roster, save_contact,
 * delete_contact, offline put/take, last presence put/get, and store_data.
 * They return XMPPIM_ERR_NOT_FOUND for a user with no account (or of
 * another domain), XMPPIM_ERR_LIMIT for the message past XS_OFFLINE_MAX,
 * XMPPIM_ERR_INTERNAL when the database fails (reason in xs_store_error()). */
void xs_store_install(xs_store *st, xmppim_server_callbacks *cb);

/* Accounts, by localpart (SASLprep'd user name as SASL gives it; nodeprep'd
 * too: what is not a valid localpart is refused with XS_ERR_BAD_INPUT).
 * Add stores SCRAM-SHA-1 and SCRAM-SHA-256 credentials (fresh salt,
 * iterations as given, 0 = 4096), never the password itself.
 * return 0; XS_ERR_EXISTS / XS_ERR_NO_USER / XS_ERR_BAD_INPUT / XS_ERR_DB. */
int xs_store_add_user(xs_store *st, const char *localpart, const char *password, unsigned iterations);
int xs_store_set_password(xs_store *st, const char *localpart, const char *password, unsigned iterations);
/* Deletes the account and everything it owns (roster, pending requests,
 * offline messages, last presence). Contacts in OTHER users' rosters are
 * left (they simply stop getting answers). */
int xs_store_del_user(xs_store *st, const char *localpart);
/* return 1, 0 or negative. */
int xs_store_user_exists(xs_store *st, const char *localpart);

/* Matches xmppim_sasl_scram_lookup_cb (user_data = the xs_store*):
 * NOT_AUTHORIZED for an unknown user, TEMPORARY_AUTH_FAILURE when the
 * database fails. */
xmppim_sasl_condition xs_store_scram_lookup(const char *authcid, xmppim_scram_hash hash,
                                            xmppim_scram_credentials *creds, void *store);

/* synchronous=FULL (nonzero, the default) or NORMAL for this connection.
 * NORMAL in WAL mode still never corrupts the file, but a power loss may
 * undo the last commits after the server already acted on them (sent the
 * push, told the sender): only for hosts that trade that for speed.
 * return 0 or XS_ERR_DB. */
int xs_store_set_synchronous(xs_store *st, int full);

/* The last error text of the store ("" when none). */
const char *xs_store_error(const xs_store *st);

#endif /* XS_STORE_H */
