/*
 * What the two session fuzz targets (fuzz_session_server.c,
 * fuzz_session_client.c) and the seed generator (gen_session_corpus.c)
 * share: the account, the TLS stand-in, a host that behaves like a small
 * server or client application, the loop that feeds a session and drains
 * it, and the checks on everything the session says.
 *
 * Deterministic randomness: fuzz_session.c defines gnutls_rnd(), which
 * takes the place of GnuTLS's in every binary it is linked into (the
 * library's objects are linked into the same executable, so their calls
 * bind to it). Every call returns the same fixed bytes, so stream ids, IQ
 * ids and SCRAM nonces are the same in every run and in every position of
 * a stream. That is what lets a recorded SCRAM exchange replay (the proofs
 * depend on both nonces) and what makes every input reproducible. Never
 * link fuzz_session.c into anything but a test.
 *
 * Input layout (the same convention as fuzz_stream_parser.c):
 *
 *   byte 0 in 0x01..0x08: k = byte 0 configuration bytes follow, then the
 *     peer's bytes.
 *     cfg[0]      FZ_CFG_* bits below
 *     cfg[1..k-1] chunk sizes (value + 1), used in a cycle
 *   otherwise: the whole input is the peer's bytes, fed from its first
 *     byte; chunk sizes, drain pattern, clock steps and the protocol-neutral
 *     options (FZ_CFG_NEUTRAL) come from a PRNG seeded with a hash of the
 *     input; the bits that change the protocol are 0 (tls-exporter binding
 *     on STARTTLS, default security options), which is what the seed
 *     corpus was recorded with.
 *
 * No XML stream can begin with a byte below 0x09, so a prefixed input
 * loses nothing the session could have been fed.
 */
#ifndef XMPPIM_FUZZ_SESSION_H
#define XMPPIM_FUZZ_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <xmppim/jid.h>
#include <xmppim/sasl.h>
#include <xmppim/session.h>
#include <xmppim/stanza.h>

#include "fuzz_common.h"

#define FZ_DOMAIN "example.com"
#define FZ_USER "juliet"
#define FZ_PASSWORD "r0m30myr0m30"
#define FZ_BARE_JID FZ_USER "@" FZ_DOMAIN
#define FZ_CLIENT_JID FZ_BARE_JID "/balcony"
/* The salt and iteration count of the server's SCRAM credentials. */
#define FZ_SCRAM_SALT "fuzz-salt-16byte"
#define FZ_SCRAM_ITERATIONS 4096u
/* What the TLS stand-in reports as channel-binding data. */
#define FZ_BINDING_BYTES "fixed channel binding bytes 0123"

/* cfg[0] bits. */
enum {
  FZ_CFG_BINDING_MASK = 0x03,   /* 0 tls-exporter, 1 tls-unique, 2 none, 3 direct TLS (tls-exporter) */
  FZ_CFG_SMALL_LIMITS = 0x04,   /* output limit 4096, largest stanza 10000 */
  FZ_CFG_TIMERS = 0x08,         /* keepalive 5 s, IQ timeout 2 s, close timeout 1 s */
  FZ_CFG_REQUIRE_TLS = 0x10,    /* server: STARTTLS required; client: refuse to authenticate without TLS */
  FZ_CFG_STRICT = 0x20,         /* server: one auth attempt, authorize callback set; client: no PLAIN */
  FZ_CFG_NO_SHA256 = 0x40,      /* SCRAM-SHA-256(-PLUS) not allowed */
  FZ_CFG_ERRATIC = 0x80,        /* the host's on_stanza pauses the feed often, and the host
                                   closes the stream at random points */
  FZ_CFG_NEUTRAL = FZ_CFG_SMALL_LIMITS | FZ_CFG_TIMERS | FZ_CFG_ERRATIC
};

/* Options for a session of this role under cfg (FZ_CFG_* bits); never NULL. */
xmppim_options *fz_options(xmppim_role role, unsigned cfg);

/* The host (application) around one session: its callbacks record and check. */
#define FZ_MAX_IQS 64
typedef struct fz_host {
  xmppim_session *s;
  xmppim_role role;
  unsigned cfg;
  uint64_t rng;
  uint64_t now;
  const xmppim_sasl_channel_binding *binding;
  fz_buf out;             /* everything the session wrote, in order */

  int starttls;           /* on_starttls fired, tls_established not yet called */
  int starttls_count;
  int ready;
  int closed;             /* on_closed calls (at most 1) */
  xmppim_stream_condition closed_condition;
  int peer_ended;         /* closed by the peer's </stream:stream> (on_closed with no condition) */
  int dropped;            /* the host closed during the TLS handshake: no XML, no close tag */
  int peer_error;         /* on_stream_error calls */
  int auth_failed;        /* on_auth_failed calls */
  int callback_failed;    /* on_stanza returned a failure */
  uint64_t events;        /* every callback, for the progress check */
  size_t stanzas;

  /* IQs sent with xmppim_session_send_iq(): each gets exactly one call back. */
  struct fz_iq {
    struct fz_host *host;
    int calls;
  } iqs[FZ_MAX_IQS];
  size_t iqs_sent;
} fz_host;

/* The host's callbacks (the SASL ones only matter to a server). */
xmppim_callbacks *fz_callbacks(xmppim_role role, unsigned cfg);

/* Server host: PLAIN check and SCRAM lookup for the one account. The SCRAM
 * credentials are derived once per hash and cached. */
xmppim_sasl_condition fz_plain_verify(const char *authcid, const char *password, const char *authzid,
                                      void *user_data);
xmppim_sasl_condition fz_scram_lookup(const char *authcid, xmppim_scram_hash hash,
                                      xmppim_scram_credentials *creds, void *user_data);

/* The channel binding the TLS stand-in reports under cfg, or NULL. */
const xmppim_sasl_channel_binding *fz_binding(unsigned cfg);

/* Splits the input: *cfg, chunk sizes, and the peer's bytes; returns the PRNG seed. */
uint64_t fz_parse_input(const uint8_t **data, size_t *size, unsigned *cfg, const uint8_t **sizes,
                        size_t *nsizes);

/*
 * The whole run of one target: makes the session (with fz_options,
 * fz_callbacks), feeds it the input in chunks, drains it, runs its clock,
 * then checks and frees everything. Aborts (fz_fail) when the library
 * breaks a documented rule.
 */
void fz_session_run(xmppim_role role, const uint8_t *data, size_t size);

/*
 * Checks that a session's whole output is well-formed: one or more streams
 * (a new one at every "<?xml version='1.0'?>", which escaping keeps out of
 * any content), each parsed by the stream parser as the peer would (a
 * client restarts right after a server's <proceed/> and <success/>), with
 * nothing after a stream's end tag. closed: the session says it is closed,
 * so the last stream must have ended. Returns the number of stanzas seen.
 */
size_t fz_check_output(const char *data, size_t len, int closed, xmppim_role role);

/* Moves every pending output byte of s into out (may be NULL). */
void fz_drain_all(xmppim_session *s, fz_buf *out);

#endif
