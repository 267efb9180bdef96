/*
 * The client-to-server service: the listener, one connection per client
 * (session + TLS adapter on the poll loop), and the glue between the
 * sessions and the server core (xmppim_server), which does the RFC 6121
 * work. Single domain, no server-to-server.
 */
#ifndef XS_C2S_H
#define XS_C2S_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct xs_c2s_config {
  const char *domain;      /* prepared */
  const char *address;     /* numeric address to listen on */
  uint16_t port;           /* 0: any free port */
  const char *cert_file;   /* PEM certificate chain */
  const char *key_file;    /* PEM private key */
  const char *tls_priority;    /* GnuTLS priority string, or NULL for the library's */
  int no_channel_binding;      /* offer SCRAM without the -PLUS forms */
  int tls_exporter;
  int no_plain;                /* offer no PLAIN (SCRAM only) */            /* -PLUS under TLS 1.3 too (tls-exporter), not only 1.2 */
  size_t max_connections;  /* further ones are accepted and closed at once */
  uint64_t login_timeout_ms;   /* from accept to a bound resource */
  uint64_t shutdown_grace_ms;  /* how long output may take to drain at shutdown */
} xs_c2s_config;

typedef struct xs_c2s xs_c2s;

/* Sets up the server core on the store, the TLS credentials and the
 * listening socket. return 0, or -1 with a one-line reason in err. */
int xs_c2s_new(xs_c2s **out, const xs_c2s_config *cfg, xs_store *store, char *err, size_t errlen);

/* The port actually listened on (the chosen one when the config said 0). */
uint16_t xs_c2s_port(const xs_c2s *c);

/* Serves until SIGINT or SIGTERM (signal_fd is the readable end from
 * xs_signals_install()), then shuts down: every resource goes unavailable,
 * every stream is closed with system-shutdown, output gets up to the grace
 * time to drain. return 0 after a clean shutdown, -1 when the loop failed. */
int xs_c2s_run(xs_c2s *c, int signal_fd);

/* Drops whatever connections remain and frees everything. NULL is fine. */
void xs_c2s_free(xs_c2s *c);

#endif /* XS_C2S_H */
