/*
 * The poll loop: plain sources (a timer, an fd), and a client and a server
 * session logging in to each other over real TCP sockets on 127.0.0.1,
 * everything (listener, connector, both sessions) driven by one
 * xmppim_loop. The client's IQ times out through the loop's clock, and a
 * 200 KB message goes through small socket buffers (partial writes, input
 * fed in pieces).
 */
#include <errno.h>
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

#include "tcp_world.h"

/* ---- plain sources ---- */

typedef struct timer {
  xmppim_loop *loop;
  xmppim_loop_source *src;
  uint64_t at, fired_at;
  int fired;
} timer;

static size_t timer_prepare(void *ud, struct pollfd *fds, size_t max, uint64_t now,
                            uint64_t *deadline) {
  (void)fds, (void)max, (void)now;
  *deadline = ((timer *)ud)->at;
  return 0;
}

static void timer_dispatch(void *ud, const struct pollfd *fds, size_t n, uint64_t now) {
  (void)fds, (void)n;
  timer *t = ud;
  t->fired++;
  t->fired_at = now;
  xmppim_loop_remove(t->loop, t->src); /* from inside a dispatch */
}

static void timer_source_fires_at_its_deadline(void **state) {
  (void)state;
  xmppim_loop *l;
  assert_int_equal(xmppim_loop_new(&l), 0);
  uint64_t start = xmppim_loop_now();
  timer t = {l, NULL, start + 40, 0, 0};
  assert_int_equal(xmppim_loop_add(l, timer_prepare, timer_dispatch, &t, &t.src), 0);
  assert_int_equal(xmppim_loop_run(l, start + 1000), 0); /* ends: no source left */
  assert_int_equal(t.fired, 1);
  assert_true(t.fired_at >= start + 40 && t.fired_at < start + 900);

  /* nothing ends by itself: the time limit */
  timer never = {l, NULL, UINT64_MAX, 0, 0};
  assert_int_equal(xmppim_loop_add(l, timer_prepare, timer_dispatch, &never, &never.src), 0);
  start = xmppim_loop_now();
  assert_int_equal(xmppim_loop_run(l, start + 30), XMPPIM_ERR_TIMEOUT);
  assert_int_equal(never.fired, 0);
  assert_true(xmppim_loop_now() - start < 500);
  xmppim_loop_remove(l, never.src);
  assert_int_equal(xmppim_loop_run_once(l, 0), 0);
  xmppim_loop_free(l);
  assert_int_equal(xmppim_loop_add(NULL, timer_prepare, timer_dispatch, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
}

typedef struct reader {
  int fd;
  char got[16];
  size_t n;
} reader;

static size_t reader_prepare(void *ud, struct pollfd *fds, size_t max, uint64_t now,
                             uint64_t *deadline) {
  (void)max, (void)now, (void)deadline;
  fds[0] = (struct pollfd){((reader *)ud)->fd, POLLIN, 0};
  return 1;
}

static void reader_dispatch(void *ud, const struct pollfd *fds, size_t n, uint64_t now) {
  (void)now;
  reader *r = ud;
  assert_int_equal(n, 1);
  assert_true(fds[0].revents & POLLIN);
  ssize_t k = read(r->fd, r->got + r->n, sizeof r->got - 1 - r->n);
  if (k > 0) r->n += (size_t)k;
}

static void fd_source_sees_input(void **state) {
  (void)state;
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  xmppim_loop *l;
  assert_int_equal(xmppim_loop_new(&l), 0);
  reader r = {sv[0], {0}, 0};
  xmppim_loop_source *src;
  assert_int_equal(xmppim_loop_add(l, reader_prepare, reader_dispatch, &r, &src), 0);
  assert_int_equal(xmppim_loop_run_once(l, 0), 1); /* nothing yet */
  assert_int_equal(r.n, 0);
  assert_int_equal(write(sv[1], "ping", 4), 4);
  assert_int_equal(xmppim_loop_run_once(l, 1000), 1);
  assert_int_equal(r.n, 4);
  assert_memory_equal(r.got, "ping", 4);
  xmppim_loop_free(l); /* frees the source too */
  close(sv[0]);
  close(sv[1]);
}

/* ---- two sessions over TCP ---- */

#define BIG (200 * 1024)

typedef struct world {
  xmppim_loop *loop;
  int listen_fd;
  xmppim_loop_source *listen_src, *connect_src;
  xmppim_connector *connector;
  xmppim_session *client, *server;
  xmppim_callbacks *ccb, *scb;
  xmppim_options *copt, *sopt;
  int client_ready, server_ready;
  int iq_timed_out;
  uint64_t iq_sent_at, iq_answered_at;
  size_t body_len;
  int done, client_status, server_status;
} world;

static void on_iq(xmppim_session *s, xmppim_stanza *result, void *ud);

static void on_ready(xmppim_session *s, const xmppim_jid *jid, void *ud) {
  (void)jid;
  world *w = ud;
  if (!tcp_world_ready(s, w->server, &w->server_ready, &w->client_ready)) return;
  /* an IQ the server swallows: only the loop's clock can end it */
  xmppim_stanza *iq;
  assert_int_equal(xmppim_stanza_new(&iq, NULL, "iq", "jabber:client"), 0);
  assert_int_equal(xmppim_stanza_set_attr(iq, "type", "get"), 0);
  assert_int_equal(xmppim_stanza_set_attr(iq, "to", "example.com"), 0);
  assert_int_equal(xmppim_stanza_add_child(iq, "query", "urn:test:swallowed", NULL), 0);
  w->iq_sent_at = xmppim_loop_now();
  assert_int_equal(xmppim_session_send_iq(s, iq, on_iq, w), 0);
  xmppim_stanza_free(iq);
}

static void on_iq(xmppim_session *s, xmppim_stanza *result, void *ud) {
  world *w = ud;
  w->iq_timed_out = result == NULL;
  w->iq_answered_at = xmppim_loop_now();
  /* now a message bigger than any socket buffer here */
  char *body = malloc(BIG + 1);
  assert_non_null(body);
  memset(body, 'x', BIG);
  body[BIG] = '\0';
  tcp_world_send_chat(s, body);
  free(body);
}

static int on_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  world *w = ud;
  assert_ptr_equal(s, w->server);
  if (strcmp(xmppim_stanza_name(st), "iq") == 0) return 0; /* swallowed */
  const char *body = xmppim_message_body(st, NULL, NULL, NULL);
  assert_non_null(body);
  w->body_len = strlen(body);
  assert_int_equal(xmppim_session_close(s), 0);
  return 0;
}

static void on_done(xmppim_loop_conn *c, xmppim_session *s, int fd, int status, void *ud) {
  (void)c;
  world *w = ud;
  if (s == w->client)
    w->client_status = status;
  else
    w->server_status = status;
  close(fd);
  if (++w->done == 2) xmppim_loop_stop(w->loop);
}

/* A small send buffer makes the writer see partial writes. (A small
 * receive buffer as well can stall loopback TCP, whose 64 KiB MSS the
 * window then never opens to.) */
static void small_buffers(int fd) {
  int sz = 4096;
  assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz), 0);
}

static size_t listen_prepare(void *ud, struct pollfd *fds, size_t max, uint64_t now,
                             uint64_t *deadline) {
  (void)max, (void)now, (void)deadline;
  fds[0] = (struct pollfd){((world *)ud)->listen_fd, POLLIN, 0};
  return 1;
}

static void listen_dispatch(void *ud, const struct pollfd *fds, size_t n, uint64_t now) {
  (void)fds, (void)n, (void)now;
  world *w = ud;
  int fd = xmppim_net_accept(w->listen_fd);
  if (fd < 0) return;
  assert_int_equal(xmppim_session_server_new(&w->server, "example.com", w->scb, w, w->sopt, NULL), 0);
  assert_int_equal(xmppim_loop_add_session(w->loop, w->server, fd, on_done, w, NULL), 0);
  xmppim_loop_remove(w->loop, w->listen_src);
}

/* The connector as a loop source: the hooks any loop would use. */
static size_t connect_prepare(void *ud, struct pollfd *fds, size_t max, uint64_t now,
                              uint64_t *deadline) {
  (void)now;
  world *w = ud;
  *deadline = xmppim_connector_next_deadline(w->connector);
  return xmppim_connector_pollfds(w->connector, fds, max);
}

static void connect_dispatch(void *ud, const struct pollfd *fds, size_t n, uint64_t now) {
  world *w = ud;
  int st = xmppim_connector_process(w->connector, fds, n, now);
  if (st == 0) return;
  assert_int_equal(st, 1);
  int fd = xmppim_connector_take_fd(w->connector, NULL);
  small_buffers(fd);
  assert_int_equal(xmppim_session_client_new(&w->client, "juliet@example.com", "secret", w->ccb, w,
                                             w->copt, NULL),
                   0);
  assert_int_equal(xmppim_loop_add_session(w->loop, w->client, fd, on_done, w, NULL), 0);
  xmppim_loop_remove(w->loop, w->connect_src);
}

static void client_and_server_over_tcp(void **state) {
  (void)state;
  world w;
  memset(&w, 0, sizeof w);
  assert_int_equal(xmppim_loop_new(&w.loop), 0);
  w.listen_fd = tcp_world_listen();

  tcp_world_plain_setup(&w.ccb, &w.scb, &w.copt, &w.sopt, on_ready, on_stanza);
  assert_int_equal(xmppim_options_set_iq_timeout(w.copt, 60), 0);

  xmppim_net_candidate c;
  tcp_world_candidate(&c, w.listen_fd);
  assert_int_equal(xmppim_connector_new(&w.connector, &c, 1, 500, xmppim_loop_now()), 0);

  assert_int_equal(xmppim_loop_add(w.loop, listen_prepare, listen_dispatch, &w, &w.listen_src), 0);
  assert_int_equal(xmppim_loop_add(w.loop, connect_prepare, connect_dispatch, &w, &w.connect_src), 0);
  int run_rc = xmppim_loop_run(w.loop, xmppim_loop_now() + 3000);
  if (run_rc != 0)
    fprintf(stderr, "loop: %d ready %d/%d iq %d body %zu states %d %d\n", run_rc, w.client_ready,
            w.server_ready, w.iq_timed_out, w.body_len,
            w.client ? (int)xmppim_session_state_get(w.client) : -1,
            w.server ? (int)xmppim_session_state_get(w.server) : -1);
  assert_int_equal(run_rc, 0);

  if (!w.client_ready) {
    const char *t1 = "", *t2 = "";
    int c1 = xmppim_session_error(w.client, &t1), c2 = xmppim_session_error(w.server, &t2);
    fprintf(stderr, "client %d %d '%s' server %d %d '%s' done %d\n", w.client_status, c1, t1,
            w.server_status, c2, t2, w.done);
  }
  assert_true(w.client_ready);
  assert_true(w.server_ready);
  assert_true(w.iq_timed_out);
  /* not at once: the 60 ms count from about when it was sent (the session's
     clock was set at the start of that dispatch, a little earlier) */
  assert_true(w.iq_answered_at - w.iq_sent_at >= 30);
  assert_int_equal(w.body_len, BIG);
  assert_int_equal(w.done, 2);
  assert_int_equal(w.client_status, 0);
  assert_int_equal(w.server_status, 0);
  assert_int_equal(xmppim_session_state_get(w.client), XMPPIM_STATE_CLOSED);
  assert_int_equal(xmppim_session_state_get(w.server), XMPPIM_STATE_CLOSED);
  assert_int_equal(xmppim_session_mechanism(w.client), XMPPIM_SASL_MECH_PLAIN);

  xmppim_session_free(w.client);
  xmppim_session_free(w.server);
  xmppim_connector_free(w.connector);
  tcp_world_plain_free(w.ccb, w.scb, w.copt, w.sopt);
  close(w.listen_fd);
  xmppim_loop_free(w.loop);
}

/* A server session alone on one end of a socketpair (sv[0]); the test
 * plays the client on sv[1]. */
static void server_on_socketpair(world *w, int sv[2]) {
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  memset(w, 0, sizeof *w);
  assert_int_equal(xmppim_loop_new(&w->loop), 0);
  assert_int_equal(xmppim_session_server_new(&w->server, "example.com", NULL, w, NULL, NULL), 0);
  w->client = (xmppim_session *)w; /* on_done tells the two apart by pointer */
  assert_int_equal(xmppim_loop_add_session(w->loop, w->server, sv[0], on_done, w, NULL), 0);
}

/* Runs the loop until the server session is done (on_done closes sv[0]). */
static void run_server_to_done(world *w) {
  w->done = 1; /* only the server side reports here */
  assert_int_equal(xmppim_loop_run(w->loop, xmppim_loop_now() + 2000), 0);
  assert_int_equal(w->done, 2);
}

/* The peer hangs up in the middle of the stream: done with XMPPIM_ERR_IO. */
static void hang_up_is_reported(void **state) {
  (void)state;
  int sv[2];
  world w;
  server_on_socketpair(&w, sv);
  const char *hdr = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                    "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' "
                    "version='1.0'>";
  assert_int_equal(write(sv[1], hdr, strlen(hdr)), (ssize_t)strlen(hdr));
  close(sv[1]);
  run_server_to_done(&w);
  assert_int_equal(w.server_status, XMPPIM_ERR_IO);
  xmppim_session_free(w.server);
  xmppim_loop_free(w.loop);
}

/* A session that fails on bad input has queued its last words (the stream
 * error and the close tag): they reach the peer before the done call. */
static void stream_error_is_written_before_done(void **state) {
  (void)state;
  int sv[2];
  world w;
  server_on_socketpair(&w, sv);
  const char *bad = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                    "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' "
                    "version='1.0'><a><b></a>";
  assert_int_equal(write(sv[1], bad, strlen(bad)), (ssize_t)strlen(bad));
  run_server_to_done(&w);
  assert_true(w.server_status < 0);
  char got[4096];
  size_t n = 0;
  ssize_t r;
  while (n < sizeof got - 1 && (r = read(sv[1], got + n, sizeof got - 1 - n)) > 0) n += (size_t)r;
  got[n] = '\0';
  assert_non_null(strstr(got, "<not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"));
  assert_non_null(strstr(got, "</stream:stream>"));
  close(sv[1]);
  xmppim_session_free(w.server);
  xmppim_loop_free(w.loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(timer_source_fires_at_its_deadline),
      cmocka_unit_test(fd_source_sees_input),
      cmocka_unit_test(client_and_server_over_tcp),
      cmocka_unit_test(hang_up_is_reported),
      cmocka_unit_test(stream_error_is_written_before_done),
  };
  return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
