/*
 * Test helper: one xmppim_server with the in-memory store, and client
 * sessions connected to it in memory (each a client session wired to a
 * server session, as a real host would run them), each with a client
 * roster cache. Everything a client receives is logged, one stanza per
 * line, so tests can check exactly which pushes and presences arrived.
 * Users are added with hub_add_user(); every password is "pw".
 */
#ifndef XMPPIM_TESTS_HUB_H
#define XMPPIM_TESTS_HUB_H

#include <stddef.h>
#include <xmppim.h>

#define HUB_DOMAIN "example.com"
#define HUB_MAX_CLIENTS 8
#define HUB_MAX_ROUTED 64

typedef struct hub hub;

typedef struct hub_client {
  hub *h;
  xmppim_session *c, *s; /* the client's session and the server's for it */
  xmppim_roster *roster;
  int ready, bound, gone;
  char jid[128]; /* full JID once bound */
  char log[65536]; /* what the client session delivered to the app */
  size_t log_len;
  char slog[65536]; /* what the server core handed to this resource (IQ
                     * answers included, which the client session keeps) */
  size_t slog_len;
  int pushes; /* roster pushes received */
  xmppim_stream_condition closed_with; /* the server core asked to close it */
  int roster_done;
} hub_client;

struct hub {
  xmppim_server *srv;
  xmppim_memory_store *store;
  hub_client *clients[HUB_MAX_CLIENTS];
  size_t n;
  char *routed[HUB_MAX_ROUTED]; /* stanzas the server routed to remote domains */
  size_t nrouted;
  int route_fails; /* the route callback answers XMPPIM_ERR_NOT_FOUND */
};

/* opts may be NULL. */
void hub_init(hub *h, const xmppim_server_options *opts);
/* The same with the server core's allocator hooks (mem may be NULL). */
void hub_init_mem(hub *h, const xmppim_server_options *opts, const xmppim_mem *mem);
void hub_add_user(hub *h, const char *bare);
/* Logs in local@HUB_DOMAIN/resource and pumps until bound (and, with
 * fetch_roster, until the roster result arrived). */
hub_client *hub_connect(hub *h, const char *local, const char *resource, int fetch_roster);
void hub_pump(hub *h);
/* The client's stream ends; the server hears of it. */
void hub_disconnect(hub *h, hub_client *c);
/* Sends raw XML (a stanza) from the client and pumps. */
void hub_send(hub *h, hub_client *c, const char *xml);
/* Processes raw XML (a stanza written without a namespace) as if a remote
 * server had sent it, in jabber:server; pumps; returns what
 * xmppim_server_handle_stanza() returned. */
int hub_remote(hub *h, const char *xml);
/* Forgets what the client's log holds. */
void hub_clear_log(hub_client *c);
/* Number of lines of the log containing all of the given substrings (a
 * NULL-terminated list). */
int hub_count(const hub_client *c, ...);
/* The same over what the server core handed to the client's resource. */
int hub_count_server(const hub_client *c, ...);
void hub_free(hub *h);

#endif
