/*
 * The c-ares resolver adapter against a tiny DNS responder in this process
 * (UDP on 127.0.0.1, answers SRV/A/AAAA from a table): SRV ordering by
 * priority and weight with a fixed random function, _xmpps-client records
 * (direct TLS), the fallback to the domain on 5222, the "." target, IPv6
 * and IPv4 interleaving, IP literals, and time limits. No real network.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <xmppim.h>

#include "dnsd.h"

/* ---- driving ---- */

typedef struct seq {
  const uint32_t *v;
  size_t n, i;
} seq;

static uint32_t seq_next(void *ud) {
  seq *s = ud;
  uint32_t v = s->v[s->i % s->n];
  s->i++;
  return v;
}

/* Runs the resolver and the responder together; returns the final status. */
static int run(xmppim_resolver *r, dnsd *d, uint64_t *elapsed) {
  uint64_t start = xmppim_loop_now();
  while (xmppim_resolver_status(r) == 0) {
    uint64_t now = xmppim_loop_now();
    assert_true(now - start < 2000);
    struct pollfd fds[17];
    size_t n = xmppim_resolver_pollfds(r, fds, 16);
    fds[n].fd = d->fd;
    fds[n].events = POLLIN;
    fds[n].revents = 0;
    uint64_t dl = xmppim_resolver_next_deadline(r, now);
    int to = dl == UINT64_MAX ? 100 : dl <= now ? 0 : (int)(dl - now > 100 ? 100 : dl - now);
    assert_true(poll(fds, n + 1, to) >= 0);
    if (fds[n].revents & POLLIN) dnsd_answer(d);
    xmppim_resolver_process(r, fds, n, xmppim_loop_now());
  }
  if (elapsed) *elapsed = xmppim_loop_now() - start;
  return xmppim_resolver_status(r);
}

static xmppim_resolver *resolver_for(dnsd *d) {
  xmppim_resolver *r;
  assert_int_equal(xmppim_resolver_new(&r), 0);
  char csv[64];
  snprintf(csv, sizeof csv, "127.0.0.1:%u", (unsigned)d->port);
  assert_int_equal(xmppim_resolver_set_servers(r, csv), 0);
  assert_int_equal(xmppim_resolver_set_timeouts(r, 300, 2, 1500), 0);
  return r;
}

#define DNSD_START(d, table) dnsd_start((d), (table), sizeof(table) / sizeof((table)[0]))

/* A resolver for 'domain' started against d and run until it ends with 'result'. */
static xmppim_resolver *resolve(dnsd *d, const char *domain, int result) {
  xmppim_resolver *r = resolver_for(d);
  assert_int_equal(xmppim_resolver_start(r, domain, xmppim_loop_now()), 0);
  assert_int_equal(run(r, d, NULL), result);
  return r;
}

static void expect(const xmppim_net_candidate *c, const char *addr, uint16_t port, int tls,
                   const char *host) {
  assert_string_equal(c->address, addr);
  assert_int_equal(c->port, port);
  assert_int_equal(c->direct_tls, tls);
  assert_string_equal(c->host, host);
  assert_int_equal(c->family, strchr(addr, ':') ? AF_INET6 : AF_INET);
}

static const dns_rr srv_table[] = {
    {"_xmpp-client._tcp.example.test", T_SRV, "a.example.test", 10, 0, 5222},
    {"_xmpp-client._tcp.example.test", T_SRV, "b.example.test", 5, 60, 5223},
    {"_xmpp-client._tcp.example.test", T_SRV, "c.example.test", 5, 40, 5224},
    {"_xmpps-client._tcp.example.test", T_SRV, "d.example.test", 5, 0, 5225},
    {"a.example.test", T_A, "192.0.2.1", 0, 0, 0},
    {"b.example.test", T_AAAA, "2001:db8::b", 0, 0, 0},
    {"b.example.test", T_A, "192.0.2.2", 0, 0, 0},
    {"c.example.test", T_A, "192.0.2.3", 0, 0, 0},
    {"d.example.test", T_A, "192.0.2.4", 0, 0, 0},
    {"example.test", T_A, "192.0.2.99", 0, 0, 0},
};

/* Priority 5 first: d (weight 0, in line first), then b (60) and c (40)
 * chosen by the random numbers; priority 10 last. */
static void srv_order_by_priority_and_weight(void **state) {
  (void)state;
  static const struct {
    uint32_t rnd[3];
    const char *second, *third;
  } cases[] = {
      {{0, 70, 0}, "c", "b"},     /* 0 -> d; 70 of 0..100 passes b's 60 -> c */
      {{0, 60, 0}, "b", "c"},     /* 60 is still b's */
      {{0, 101 + 61, 0}, "c", "b"}, /* taken modulo sum+1: 61 -> c */
      {{50, 0, 0}, "b", "c"},     /* 50 of 0..100 with d (0) first: b */
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    dnsd d;
    DNSD_START(&d, srv_table);
    xmppim_resolver *r = resolver_for(&d);
    seq s = {cases[k].rnd, 3, 0};
    xmppim_resolver_set_random(r, seq_next, &s);
    assert_int_equal(xmppim_resolver_start(r, "example.test", xmppim_loop_now()), 0);
    assert_int_equal(run(r, &d, NULL), 1);
    const xmppim_net_candidate *c;
    size_t n = xmppim_resolver_candidates(r, &c);
    assert_int_equal(n, 5);
    size_t i = 0;
    if (cases[k].rnd[0] % 101 == 0) {
      expect(&c[i++], "192.0.2.4", 5225, 1, "d.example.test");
      for (int j = 0; j < 2; j++) {
        const char *h = j == 0 ? cases[k].second : cases[k].third;
        if (h[0] == 'b') {
          expect(&c[i++], "2001:db8::b", 5223, 0, "b.example.test");
          expect(&c[i++], "192.0.2.2", 5223, 0, "b.example.test");
        } else {
          expect(&c[i++], "192.0.2.3", 5224, 0, "c.example.test");
        }
      }
    } else {
      /* 50: past d's 0, within b's 0..60 */
      expect(&c[i++], "2001:db8::b", 5223, 0, "b.example.test");
      expect(&c[i++], "192.0.2.2", 5223, 0, "b.example.test");
      /* then d (0) and c (40), random 0 -> d */
      expect(&c[i++], "192.0.2.4", 5225, 1, "d.example.test");
      expect(&c[i++], "192.0.2.3", 5224, 0, "c.example.test");
    }
    expect(&c[i++], "192.0.2.1", 5222, 0, "a.example.test");
    assert_string_equal(xmppim_resolver_error(r), "");
    xmppim_resolver_free(r);
    dnsd_stop(&d);
  }
}

static const dns_rr plain_table[] = {
    {"plain.test", T_AAAA, "2001:db8::1", 0, 0, 0},
    {"plain.test", T_AAAA, "2001:db8::2", 0, 0, 0},
    {"plain.test", T_A, "192.0.2.10", 0, 0, 0},
    {"plain.test", T_A, "192.0.2.11", 0, 0, 0},
    {"plain.test", T_A, "192.0.2.12", 0, 0, 0},
    {"v4only.test", T_A, "192.0.2.20", 0, 0, 0},
};

static void no_srv_falls_back_to_domain_interleaved(void **state) {
  (void)state;
  dnsd d;
  DNSD_START(&d, plain_table);
  xmppim_resolver *r = resolve(&d, "plain.test", 1);
  const xmppim_net_candidate *c;
  assert_int_equal(xmppim_resolver_candidates(r, &c), 5);
  expect(&c[0], "2001:db8::1", 5222, 0, "plain.test");
  expect(&c[1], "192.0.2.10", 5222, 0, "plain.test");
  expect(&c[2], "2001:db8::2", 5222, 0, "plain.test");
  expect(&c[3], "192.0.2.11", 5222, 0, "plain.test");
  expect(&c[4], "192.0.2.12", 5222, 0, "plain.test");
  /* SRV x2 and AAAA + A */
  assert_int_equal(d.queries, 4);
  xmppim_resolver_free(r);

  r = resolve(&d, "v4only.test.", 1);
  assert_int_equal(xmppim_resolver_candidates(r, &c), 1);
  expect(&c[0], "192.0.2.20", 5222, 0, "v4only.test");
  xmppim_resolver_free(r);
  dnsd_stop(&d);
}

static const dns_rr dot_table[] = {
    {"_xmpp-client._tcp.nope.test", T_SRV, ".", 0, 0, 0},
    {"nope.test", T_A, "192.0.2.30", 0, 0, 0},
    {"_xmpp-client._tcp.half.test", T_SRV, ".", 0, 0, 0},
    {"_xmpps-client._tcp.half.test", T_SRV, "tls.half.test", 0, 0, 5223},
    {"tls.half.test", T_AAAA, "2001:db8::5", 0, 0, 0},
};

static void dot_target_means_no_service(void **state) {
  (void)state;
  dnsd d;
  DNSD_START(&d, dot_table);
  xmppim_resolver *r = resolve(&d, "nope.test", XMPPIM_ERR_NOT_FOUND);
  const xmppim_net_candidate *c;
  assert_int_equal(xmppim_resolver_candidates(r, &c), 0);
  assert_non_null(strstr(xmppim_resolver_error(r), "\".\""));
  assert_int_equal(d.queries, 2); /* no fallback to nope.test's A record */
  xmppim_resolver_free(r);

  /* "." for one service, records for the other: the other is used */
  r = resolve(&d, "half.test", 1);
  assert_int_equal(xmppim_resolver_candidates(r, &c), 1);
  expect(&c[0], "2001:db8::5", 5223, 1, "tls.half.test");
  xmppim_resolver_free(r);
  dnsd_stop(&d);
}

static void unknown_domain_is_not_found(void **state) {
  (void)state;
  dnsd d;
  DNSD_START(&d, plain_table);
  xmppim_resolver *r = resolve(&d, "missing.test", XMPPIM_ERR_NOT_FOUND);
  assert_non_null(strstr(xmppim_resolver_error(r), "missing.test"));
  xmppim_resolver_free(r);
  dnsd_stop(&d);
}

static void ip_literals_need_no_dns(void **state) {
  (void)state;
  xmppim_resolver *r;
  const xmppim_net_candidate *c;
  assert_int_equal(xmppim_resolver_new(&r), 0);
  assert_int_equal(xmppim_resolver_start(r, "127.0.0.1", 0), 0);
  assert_int_equal(xmppim_resolver_status(r), 1);
  assert_int_equal(xmppim_resolver_candidates(r, &c), 1);
  expect(&c[0], "127.0.0.1", 5222, 0, "127.0.0.1");
  struct pollfd fds[4];
  assert_int_equal(xmppim_resolver_pollfds(r, fds, 4), 0);
  assert_int_equal(xmppim_resolver_next_deadline(r, 0), UINT64_MAX);
  assert_int_equal(xmppim_resolver_start(r, "127.0.0.1", 0), XMPPIM_ERR_INVALID_STATE);
  xmppim_resolver_free(r);

  assert_int_equal(xmppim_resolver_new(&r), 0);
  assert_int_equal(xmppim_resolver_start(r, "[::1]", 0), 0);
  assert_int_equal(xmppim_resolver_candidates(r, &c), 1);
  expect(&c[0], "::1", 5222, 0, "[::1]");
  xmppim_resolver_free(r);
}

static void silent_server_times_out(void **state) {
  (void)state;
  dnsd d;
  DNSD_START(&d, plain_table);
  d.silent = 1;
  /* c-ares' own limits: 60 ms a try, one try per query */
  xmppim_resolver *r = resolver_for(&d);
  assert_int_equal(xmppim_resolver_set_timeouts(r, 60, 1, 0), 0);
  uint64_t elapsed;
  assert_int_equal(xmppim_resolver_start(r, "plain.test", xmppim_loop_now()), 0);
  assert_int_equal(run(r, &d, &elapsed), XMPPIM_ERR_TIMEOUT);
  assert_true(elapsed < 900);
  xmppim_resolver_free(r);

  /* the overall limit, well before c-ares would give up */
  r = resolver_for(&d);
  assert_int_equal(xmppim_resolver_set_timeouts(r, 5000, 2, 150), 0);
  assert_int_equal(xmppim_resolver_start(r, "plain.test", xmppim_loop_now()), 0);
  assert_int_equal(run(r, &d, &elapsed), XMPPIM_ERR_TIMEOUT);
  assert_true(elapsed >= 140 && elapsed < 900);
  assert_non_null(strstr(xmppim_resolver_error(r), "took too long"));
  xmppim_resolver_free(r);
  dnsd_stop(&d);
}

/* Freed in the middle: c-ares calls back with ARES_EDESTRUCTION, nothing
 * may touch the resolver then (the sanitizers watch). */
static void freed_while_queries_are_out(void **state) {
  (void)state;
  dnsd d;
  DNSD_START(&d, plain_table);
  d.silent = 1;
  for (int round = 0; round < 2; round++) {
    xmppim_resolver *r = resolver_for(&d);
    assert_int_equal(xmppim_resolver_start(r, "plain.test", xmppim_loop_now()), 0);
    struct pollfd fds[16];
    assert_true(xmppim_resolver_pollfds(r, fds, 16) >= 1);
    assert_true(xmppim_resolver_next_deadline(r, xmppim_loop_now()) != UINT64_MAX);
    if (round == 1) { /* after the queries went out */
      assert_true(poll(fds, 1, 20) >= 0);
      xmppim_resolver_process(r, fds, 1, xmppim_loop_now());
      assert_int_equal(xmppim_resolver_status(r), 0);
    }
    xmppim_resolver_free(r);
  }
  dnsd_stop(&d);
}

static void bad_arguments(void **state) {
  (void)state;
  xmppim_resolver *r;
  assert_int_equal(xmppim_resolver_new(NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_resolver_new(&r), 0);
  assert_int_equal(xmppim_resolver_set_servers(r, ""), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_resolver_set_timeouts(r, 0, 1, 0), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_resolver_start(r, "", 0), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_resolver_status(r), 0);
  assert_int_equal(xmppim_resolver_process(r, NULL, 0, 0), 0);
  xmppim_resolver_free(r);
  xmppim_resolver_free(NULL);
}

/* The dialer: SRV says a dead port first, then a live one; both on 127.0.0.1. */
static void dialer_resolves_then_connects(void **state) {
  (void)state;
  int l = xmppim_net_listen("127.0.0.1", 0, 0);
  assert_true(l >= 0);
  int tmp = xmppim_net_listen("127.0.0.1", 0, 0);
  assert_true(tmp >= 0);
  uint16_t dead = xmppim_net_local_port(tmp);
  close(tmp);
  dns_rr table[] = {
      {"_xmpp-client._tcp.dial.test", T_SRV, "dead.dial.test", 0, 0, dead},
      {"_xmpp-client._tcp.dial.test", T_SRV, "live.dial.test", 1, 0, xmppim_net_local_port(l)},
      {"dead.dial.test", T_A, "127.0.0.1", 0, 0, 0},
      {"live.dial.test", T_A, "127.0.0.1", 0, 0, 0},
  };
  dnsd d;
  DNSD_START(&d, table);
  xmppim_dialer *dl;
  assert_int_equal(xmppim_dialer_new(&dl, resolver_for(&d), "dial.test", 500, xmppim_loop_now()), 0);
  uint64_t start = xmppim_loop_now();
  while (xmppim_dialer_status(dl) == 0) {
    uint64_t now = xmppim_loop_now();
    assert_true(now - start < 2000);
    struct pollfd fds[17];
    size_t n = xmppim_dialer_pollfds(dl, fds, 16);
    fds[n] = (struct pollfd){d.fd, POLLIN, 0};
    uint64_t dd = xmppim_dialer_next_deadline(dl, now);
    int to = dd == UINT64_MAX ? 100 : dd <= now ? 0 : (int)(dd - now > 100 ? 100 : dd - now);
    assert_true(poll(fds, n + 1, to) >= 0);
    if (fds[n].revents & POLLIN) dnsd_answer(&d);
    xmppim_dialer_process(dl, fds, n, xmppim_loop_now());
  }
  assert_int_equal(xmppim_dialer_status(dl), 1);
  const xmppim_net_candidate *which;
  int fd = xmppim_dialer_take_fd(dl, &which);
  assert_true(fd >= 0);
  assert_string_equal(which->host, "live.dial.test");
  assert_int_equal(which->port, xmppim_net_local_port(l));
  assert_non_null(strstr(xmppim_dialer_error(dl), "refused"));
  xmppim_dialer_free(dl);
  close(fd);

  /* a domain without any address: the resolver's error */
  assert_int_equal(xmppim_dialer_new(&dl, resolver_for(&d), "nothing.test", 500, xmppim_loop_now()), 0);
  start = xmppim_loop_now();
  while (xmppim_dialer_status(dl) == 0) {
    assert_true(xmppim_loop_now() - start < 2000);
    struct pollfd fds[17];
    size_t n = xmppim_dialer_pollfds(dl, fds, 16);
    fds[n] = (struct pollfd){d.fd, POLLIN, 0};
    assert_true(poll(fds, n + 1, 50) >= 0);
    if (fds[n].revents & POLLIN) dnsd_answer(&d);
    xmppim_dialer_process(dl, fds, n, xmppim_loop_now());
  }
  assert_int_equal(xmppim_dialer_status(dl), XMPPIM_ERR_NOT_FOUND);
  assert_int_equal(xmppim_dialer_take_fd(dl, NULL), -1);
  assert_non_null(strstr(xmppim_dialer_error(dl), "nothing.test"));
  xmppim_dialer_free(dl);
  assert_int_equal(xmppim_dialer_new(&dl, NULL, NULL, 0, 0), XMPPIM_ERR_INVALID_ARGUMENT);
  dnsd_stop(&d);
  close(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(srv_order_by_priority_and_weight),
      cmocka_unit_test(no_srv_falls_back_to_domain_interleaved),
      cmocka_unit_test(dot_target_means_no_service),
      cmocka_unit_test(unknown_domain_is_not_found),
      cmocka_unit_test(ip_literals_need_no_dns),
      cmocka_unit_test(silent_server_times_out),
      cmocka_unit_test(freed_while_queries_are_out),
      cmocka_unit_test(bad_arguments),
      cmocka_unit_test(dialer_resolves_then_connects),
  };
  return cmocka_run_group_tests_name("resolve", tests, NULL, NULL);
}
