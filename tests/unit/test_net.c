/*
 * The non-blocking connector and the listener helpers, on 127.0.0.1 only:
 * success, a refused port then the next candidate, an attempt that never
 * completes (a listener whose accept queue is full drops new SYNs) timing
 * out within its limit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <xmppim.h>

static xmppim_net_candidate cand(const char *addr, uint16_t port) {
  xmppim_net_candidate c;
  memset(&c, 0, sizeof c);
  snprintf(c.address, sizeof c.address, "%s", addr);
  c.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
  c.port = port;
  snprintf(c.host, sizeof c.host, "localhost");
  return c;
}

/* A port nothing listens on: bound, then closed. */
static uint16_t closed_port(void) {
  int fd = xmppim_net_listen("127.0.0.1", 0, 1);
  assert_true(fd >= 0);
  uint16_t port = xmppim_net_local_port(fd);
  close(fd);
  return port;
}

static int run(xmppim_connector *c, uint64_t *elapsed) {
  uint64_t start = xmppim_loop_now();
  while (xmppim_connector_status(c) == 0) {
    uint64_t now = xmppim_loop_now();
    assert_true(now - start < 2000);
    struct pollfd fds[8];
    size_t n = xmppim_connector_pollfds(c, fds, 8);
    uint64_t dl = xmppim_connector_next_deadline(c);
    int to = dl == UINT64_MAX ? 100 : dl <= now ? 0 : (int)(dl - now > 100 ? 100 : dl - now);
    assert_true(poll(fds, n, to) >= 0);
    xmppim_connector_process(c, fds, n, xmppim_loop_now());
  }
  if (elapsed) *elapsed = xmppim_loop_now() - start;
  return xmppim_connector_status(c);
}

/* A non-blocking listener on a free loopback port. */
static int listener(void) {
  int l = xmppim_net_listen("127.0.0.1", 0, 0);
  assert_true(l >= 0);
  return l;
}

/* Takes the connected socket, which must be one to 'port'. */
static int take_fd(xmppim_connector *c, uint16_t port) {
  const xmppim_net_candidate *which;
  int fd = xmppim_connector_take_fd(c, &which);
  assert_true(fd >= 0);
  assert_int_equal(which->port, port);
  return fd;
}

static void connects_to_a_listener(void **state) {
  (void)state;
  int l = listener();
  uint16_t port = xmppim_net_local_port(l);
  assert_true(port > 0);
  errno = 0;
  assert_int_equal(xmppim_net_accept(l), -1);
  assert_int_equal(errno, EAGAIN);

  xmppim_net_candidate cs[1] = {cand("127.0.0.1", port)};
  xmppim_connector *c;
  assert_int_equal(xmppim_connector_new(&c, cs, 1, 500, xmppim_loop_now()), 0);
  assert_int_equal(run(c, NULL), 1);
  int fd = take_fd(c, port);
  assert_int_equal(xmppim_connector_take_fd(c, NULL), -1); /* once */
  assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
  assert_string_equal(xmppim_connector_error(c), "");
  xmppim_connector_free(c);

  struct pollfd p = {l, POLLIN, 0};
  assert_int_equal(poll(&p, 1, 1000), 1);
  int a = xmppim_net_accept(l);
  assert_true(a >= 0);
  assert_true(fcntl(a, F_GETFL) & O_NONBLOCK);
  assert_int_equal(send(fd, "hi", 2, 0), 2);
  char buf[4];
  p = (struct pollfd){a, POLLIN, 0};
  assert_int_equal(poll(&p, 1, 1000), 1);
  assert_int_equal(recv(a, buf, sizeof buf, 0), 2);
  close(a);
  close(fd);
  close(l);
}

static void refused_then_next_candidate(void **state) {
  (void)state;
  int l = listener();
  uint16_t dead = closed_port();
  xmppim_net_candidate cs[3] = {cand("not-an-address", 1), cand("127.0.0.1", dead),
                                cand("127.0.0.1", xmppim_net_local_port(l))};
  xmppim_connector *c;
  assert_int_equal(xmppim_connector_new(&c, cs, 3, 500, xmppim_loop_now()), 0);
  assert_int_equal(run(c, NULL), 1);
  int fd = take_fd(c, xmppim_net_local_port(l));
  const char *err = xmppim_connector_error(c);
  assert_non_null(strstr(err, "not-an-address port 1: not a numeric address"));
  assert_non_null(strstr(err, "refused"));
  xmppim_connector_free(c);
  close(fd);
  close(l);
}

static void all_refused_is_an_io_error(void **state) {
  (void)state;
  xmppim_net_candidate cs[2] = {cand("127.0.0.1", closed_port()), cand("::1", closed_port())};
  xmppim_connector *c;
  assert_int_equal(xmppim_connector_new(&c, cs, 2, 500, xmppim_loop_now()), 0);
  assert_int_equal(run(c, NULL), XMPPIM_ERR_IO);
  assert_int_equal(xmppim_connector_take_fd(c, NULL), -1);
  const char *err = xmppim_connector_error(c);
  assert_non_null(strchr(err, '\n')); /* one line per candidate */
  assert_non_null(strstr(err, "127.0.0.1 port"));
  assert_non_null(strstr(err, "[::1] port")); /* refused, or no IPv6 here: either is a line */
  struct pollfd fds[1];
  assert_int_equal(xmppim_connector_pollfds(c, fds, 1), 0);
  assert_int_equal(xmppim_connector_next_deadline(c), UINT64_MAX);
  xmppim_connector_free(c);
}

/* A listener with backlog 0 whose queue is filled and never accepted: the
 * kernel drops further SYNs, so a connect there never completes. */
static int blackhole(int fillers[3]) {
  int l = xmppim_net_listen("127.0.0.1", 0, 1);
  assert_true(l >= 0);
  assert_int_equal(listen(l, 0), 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(xmppim_net_local_port(l)),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  for (int i = 0; i < 3; i++) {
    fillers[i] = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fillers[i] >= 0);
    fcntl(fillers[i], F_SETFL, O_NONBLOCK);
    connect(fillers[i], (struct sockaddr *)&sa, sizeof sa);
  }
  /* wait until the first one is established: the queue is then full */
  struct pollfd p = {fillers[0], POLLOUT, 0};
  assert_int_equal(poll(&p, 1, 1000), 1);
  return l;
}

static void close_blackhole(int hole, int fillers[3]) {
  for (int i = 0; i < 3; i++) close(fillers[i]);
  close(hole);
}

static void attempt_times_out_then_next(void **state) {
  (void)state;
  int fillers[3];
  int hole = blackhole(fillers);
  int l = listener();

  /* alone: a timeout */
  xmppim_net_candidate one[1] = {cand("127.0.0.1", xmppim_net_local_port(hole))};
  xmppim_connector *c;
  uint64_t elapsed;
  assert_int_equal(xmppim_connector_new(&c, one, 1, 120, xmppim_loop_now()), 0);
  assert_int_equal(run(c, &elapsed), XMPPIM_ERR_TIMEOUT);
  assert_true(elapsed >= 110 && elapsed < 900);
  assert_non_null(strstr(xmppim_connector_error(c), "connect timed out"));
  xmppim_connector_free(c);

  /* then the next candidate answers */
  xmppim_net_candidate two[2] = {one[0], cand("127.0.0.1", xmppim_net_local_port(l))};
  assert_int_equal(xmppim_connector_new(&c, two, 2, 120, xmppim_loop_now()), 0);
  assert_int_equal(run(c, &elapsed), 1);
  assert_true(elapsed >= 110 && elapsed < 900);
  int fd = take_fd(c, xmppim_net_local_port(l));
  xmppim_connector_free(c);
  close(fd);
  close_blackhole(hole, fillers);
  close(l);
}

/* Staggered: the second candidate starts 40 ms after the first, which
 * never completes, and wins long before the first attempt's time limit. */
static void staggered_attempt_wins(void **state) {
  (void)state;
  int fillers[3];
  int hole = blackhole(fillers);
  int l = listener();
  xmppim_net_candidate two[3] = {cand("127.0.0.1", xmppim_net_local_port(hole)),
                                 cand("127.0.0.1", xmppim_net_local_port(l)),
                                 cand("127.0.0.1", 1)};
  xmppim_connector *c;
  uint64_t elapsed;
  assert_int_equal(xmppim_connector_new(&c, two, 3, 5000, xmppim_loop_now()), 0);
  xmppim_connector_set_stagger(c, 40, xmppim_loop_now());
  struct pollfd fds[8];
  assert_int_equal(xmppim_connector_pollfds(c, fds, 8), 1);
  assert_int_equal(run(c, &elapsed), 1);
  assert_true(elapsed >= 35 && elapsed < 900);
  int fd = take_fd(c, xmppim_net_local_port(l));
  assert_string_equal(xmppim_connector_error(c), ""); /* the first was abandoned, not failed */
  xmppim_connector_free(c);
  close(fd);
  close_blackhole(hole, fillers);
  close(l);
}

static void bad_arguments(void **state) {
  (void)state;
  xmppim_connector *c;
  xmppim_net_candidate cs[1] = {cand("127.0.0.1", 1)};
  assert_int_equal(xmppim_connector_new(NULL, cs, 1, 0, 0), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_connector_new(&c, NULL, 1, 0, 0), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_connector_new(&c, cs, 0, 0, 0), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_null(c);
  xmppim_connector_free(NULL);
  errno = 0;
  assert_int_equal(xmppim_net_listen("nonsense", 0, 0), -1);
  assert_int_equal(errno, EINVAL);
  assert_int_equal(xmppim_net_local_port(-1), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(connects_to_a_listener),
      cmocka_unit_test(refused_then_next_candidate),
      cmocka_unit_test(all_refused_is_an_io_error),
      cmocka_unit_test(attempt_times_out_then_next),
      cmocka_unit_test(staggered_attempt_wins),
      cmocka_unit_test(bad_arguments),
  };
  return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
