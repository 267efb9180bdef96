/*
 * A tiny DNS responder for tests: UDP on 127.0.0.1 (a free port), answering
 * SRV, A and AAAA queries from a table, NXDOMAIN for names it has nothing
 * for. Poll dnsd.fd and call dnsd_answer() when it is readable. No real
 * network; cmocka asserts on setup failures.
 */
#ifndef TESTS_COMMON_DNSD_H
#define TESTS_COMMON_DNSD_H

#include <stddef.h>
#include <stdint.h>

enum { T_A = 1, T_AAAA = 28, T_SRV = 33 };

typedef struct dns_rr {
  const char *name;
  int type;
  const char *data; /* A/AAAA: the address; SRV: the target ("." for none) */
  uint16_t priority, weight, port;
} dns_rr;

typedef struct dnsd {
  int fd;
  uint16_t port;
  const dns_rr *table;
  size_t n;
  int silent; /* read queries, answer none */
  int queries;
} dnsd;

/* Binds the socket and keeps @p table (borrowed). */
void dnsd_start(dnsd *d, const dns_rr *table, size_t n);
/* Reads one query and answers it from the table. */
void dnsd_answer(dnsd *d);
/* Closes the socket. */
void dnsd_stop(dnsd *d);

#endif
