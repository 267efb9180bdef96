/*
 * Test helper: a client session and a server session wired together in
 * memory, each one's output fed to the other, with a stand-in for TLS that
 * marks the stream secure and hands both sides the same channel-binding
 * bytes. The server side knows one account, juliet@example.com with the
 * password "r0m30myr0m30", for PLAIN and SCRAM.
 */
#ifndef XMPPIM_TESTS_PAIR_H
#define XMPPIM_TESTS_PAIR_H

#include <stddef.h>
#include <xmppim.h>

#define PAIR_DOMAIN "example.com"
#define PAIR_USER "juliet"
#define PAIR_PASSWORD "r0m30myr0m30"

typedef struct pair_side {
  xmppim_session *s;
  int ready;
  int starttls;
  int closed;
  xmppim_stream_condition closed_condition;
  xmppim_stream_condition peer_error;
  xmppim_sasl_condition auth_failure;
  int stanzas;
  char last_stanza[2048];
  char transcript[65536]; /* everything this side sent */
  size_t transcript_len;
} pair_side;

typedef struct pair {
  pair_side client, server;
  int tls_shim;             /* answer STARTTLS with the shim */
  const char *binding_type; /* "tls-exporter" or "tls-unique"; NULL: no binding */
  size_t chunk;             /* bytes moved per step; 0 = all */
  int bind_conflicts;       /* the server host reports this many conflicts first */
  int answer_iqs;           /* the server host answers IQ gets with a result */
} pair;

/* Options for each side may be NULL. */
void pair_init(pair *p, const char *client_jid, const char *password, const xmppim_options *copt,
               const xmppim_options *sopt);
/* Moves bytes both ways until neither side has anything to say. Returns the
 * number of bytes moved. */
size_t pair_pump(pair *p);
void pair_free(pair *p);

/* Feeds raw text to one side as if the peer had sent it. Returns feed's result. */
long pair_feed_raw(pair_side *side, const char *text);
/* Takes (and forgets) what one side has written. */
const char *pair_take_output(pair_side *side);

#endif
