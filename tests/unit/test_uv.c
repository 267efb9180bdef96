/*
 * The adapters' hooks driven by a foreign event loop, libuv: a connector,
 * a listener and two sessions (client and server, over xmppim_sockio) on
 * 127.0.0.1, each bridged to libuv with one uv_poll_t and one uv_timer_t
 * and nothing else: before waiting, ask for the descriptor, the events and
 * the deadline; when woken, call process; repeat. Built when libuv's
 * development files are there.
 */
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
#include <uv.h>

#include <xmppim.h>

#include "tcp_world.h"

typedef struct bridge bridge;
struct bridge {
  uv_loop_t *loop;
  uv_poll_t poll;
  uv_timer_t timer;
  int fd, poll_init, ended;
  size_t (*pollfds)(void *obj, struct pollfd *fds, size_t max);
  uint64_t (*deadline)(void *obj, uint64_t now);
  int (*process)(void *obj, const struct pollfd *fds, size_t n, uint64_t now);
  void *obj;
  void (*on_end)(bridge *b, int status);
  void *ud;
};

static void bridge_run(bridge *b, const struct pollfd *fds, size_t n);

static void on_poll(uv_poll_t *h, int status, int events) {
  bridge *b = h->data;
  struct pollfd p = {b->fd, 0, 0};
  if (status < 0) p.revents = POLLERR;
  if (events & UV_READABLE) p.revents |= POLLIN;
  if (events & UV_WRITABLE) p.revents |= POLLOUT;
  bridge_run(b, &p, 1);
}

static void on_timer(uv_timer_t *t) { bridge_run(t->data, NULL, 0); }

/* The whole contract: descriptor, events, deadline; asked again after every call. */
static void bridge_arm(bridge *b) {
  uint64_t now = xmppim_loop_now();
  struct pollfd p;
  size_t n = b->pollfds(b->obj, &p, 1);
  if (n == 1) {
    if (!b->poll_init) {
      assert_int_equal(uv_poll_init(b->loop, &b->poll, p.fd), 0);
      b->poll.data = b;
      b->poll_init = 1;
      b->fd = p.fd;
    }
    assert_int_equal(p.fd, b->fd); /* one socket per bridge here */
    int ev = (p.events & POLLIN ? UV_READABLE : 0) | (p.events & POLLOUT ? UV_WRITABLE : 0);
    if (ev)
      uv_poll_start(&b->poll, ev, on_poll);
    else
      uv_poll_stop(&b->poll);
  } else if (b->poll_init) {
    uv_poll_stop(&b->poll);
  }
  uint64_t dl = b->deadline(b->obj, now);
  if (dl == UINT64_MAX)
    uv_timer_stop(&b->timer);
  else
    uv_timer_start(&b->timer, on_timer, dl > now ? dl - now : 0, 0);
}

static void bridge_run(bridge *b, const struct pollfd *fds, size_t n) {
  if (b->ended) return;
  int st = b->process(b->obj, fds, n, xmppim_loop_now());
  if (st == 0) {
    bridge_arm(b);
    return;
  }
  b->ended = 1;
  if (b->poll_init) uv_poll_stop(&b->poll);
  uv_timer_stop(&b->timer);
  b->on_end(b, st);
}

static void bridge_start(bridge *b, uv_loop_t *loop) {
  b->loop = loop;
  assert_int_equal(uv_timer_init(loop, &b->timer), 0);
  b->timer.data = b;
  bridge_arm(b);
}

static void bridge_close(bridge *b) {
  if (b->poll_init) uv_close((uv_handle_t *)&b->poll, NULL);
  uv_close((uv_handle_t *)&b->timer, NULL);
}

/* hooks with one signature */
static size_t conn_fds(void *o, struct pollfd *f, size_t m) { return xmppim_connector_pollfds(o, f, m); }
static uint64_t conn_dl(void *o, uint64_t now) { (void)now; return xmppim_connector_next_deadline(o); }
static int conn_proc(void *o, const struct pollfd *f, size_t n, uint64_t now) {
  return xmppim_connector_process(o, f, n, now);
}
static size_t io_fds(void *o, struct pollfd *f, size_t m) { return xmppim_sockio_pollfds(o, f, m); }
static uint64_t io_dl(void *o, uint64_t now) { return xmppim_sockio_next_deadline(o, now); }
static int io_proc(void *o, const struct pollfd *f, size_t n, uint64_t now) {
  return xmppim_sockio_process(o, f, n, now);
}

typedef struct world {
  uv_loop_t loop;
  uv_poll_t listen_poll;
  int listen_fd;
  xmppim_connector *connector;
  bridge connect_b, client_b, server_b;
  xmppim_session *client, *server;
  xmppim_sockio *client_io, *server_io;
  int client_fd, server_fd;
  xmppim_callbacks *ccb, *scb;
  xmppim_options *copt, *sopt;
  int client_ready, server_ready, ended;
  int client_status, server_status;
  char got[64];
} world;

static void on_ready(xmppim_session *s, const xmppim_jid *jid, void *ud) {
  (void)jid;
  world *w = ud;
  if (!tcp_world_ready(s, w->server, &w->server_ready, &w->client_ready)) return;
  tcp_world_send_chat(s, "from libuv");
}

static int on_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  world *w = ud;
  tcp_world_take_body_and_close(s, st, w->got, sizeof w->got);
  return 0;
}

static void session_end(bridge *b, int status) {
  world *w = b->ud;
  if (b == &w->client_b)
    w->client_status = status;
  else
    w->server_status = status;
  if (++w->ended == 2) uv_stop(&w->loop);
}

static void connected(bridge *b, int status) {
  world *w = b->ud;
  assert_int_equal(status, 1);
  int fd = xmppim_connector_take_fd(w->connector, NULL);
  assert_true(fd >= 0);
  w->client_fd = dup(fd); /* a socket of its own for the session's uv_poll_t */
  close(fd);
  assert_int_equal(xmppim_session_client_new(&w->client, "juliet@example.com", "secret", w->ccb, w,
                                             w->copt, NULL),
                   0);
  assert_int_equal(xmppim_sockio_new(&w->client_io, w->client, w->client_fd, xmppim_loop_now()), 0);
  w->client_b = (bridge){.pollfds = io_fds, .deadline = io_dl, .process = io_proc,
                         .obj = w->client_io, .on_end = session_end, .ud = w};
  bridge_start(&w->client_b, &w->loop);
}

static void on_listen(uv_poll_t *h, int status, int events) {
  (void)status, (void)events;
  world *w = h->data;
  int fd = xmppim_net_accept(w->listen_fd);
  if (fd < 0) return;
  uv_poll_stop(h);
  w->server_fd = fd;
  assert_int_equal(xmppim_session_server_new(&w->server, "example.com", w->scb, w, w->sopt, NULL), 0);
  assert_int_equal(xmppim_sockio_new(&w->server_io, w->server, fd, xmppim_loop_now()), 0);
  w->server_b = (bridge){.pollfds = io_fds, .deadline = io_dl, .process = io_proc,
                         .obj = w->server_io, .on_end = session_end, .ud = w};
  bridge_start(&w->server_b, &w->loop);
}

static void stop_after_limit(uv_timer_t *t) { uv_stop(t->loop); }

static void sessions_over_libuv(void **state) {
  (void)state;
  world *w = calloc(1, sizeof *w);
  assert_non_null(w);
  assert_int_equal(uv_loop_init(&w->loop), 0);
  w->listen_fd = tcp_world_listen();
  assert_int_equal(uv_poll_init(&w->loop, &w->listen_poll, w->listen_fd), 0);
  w->listen_poll.data = w;
  assert_int_equal(uv_poll_start(&w->listen_poll, UV_READABLE, on_listen), 0);

  tcp_world_plain_setup(&w->ccb, &w->scb, &w->copt, &w->sopt, on_ready, on_stanza);

  xmppim_net_candidate c;
  tcp_world_candidate(&c, w->listen_fd);
  assert_int_equal(xmppim_connector_new(&w->connector, &c, 1, 500, xmppim_loop_now()), 0);
  w->connect_b = (bridge){.pollfds = conn_fds, .deadline = conn_dl, .process = conn_proc,
                          .obj = w->connector, .on_end = connected, .ud = w};
  bridge_start(&w->connect_b, &w->loop);

  uv_timer_t limit;
  assert_int_equal(uv_timer_init(&w->loop, &limit), 0);
  uv_timer_start(&limit, stop_after_limit, 3000, 0);
  uv_run(&w->loop, UV_RUN_DEFAULT);

  assert_true(w->client_ready);
  assert_true(w->server_ready);
  assert_string_equal(w->got, "from libuv");
  assert_int_equal(w->ended, 2);
  assert_int_equal(w->client_status, 1);
  assert_int_equal(w->server_status, 1);

  uv_close((uv_handle_t *)&limit, NULL);
  uv_close((uv_handle_t *)&w->listen_poll, NULL);
  bridge_close(&w->connect_b);
  bridge_close(&w->client_b);
  bridge_close(&w->server_b);
  uv_run(&w->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&w->loop), 0);

  xmppim_sockio_free(w->client_io);
  xmppim_sockio_free(w->server_io);
  xmppim_session_free(w->client);
  xmppim_session_free(w->server);
  xmppim_connector_free(w->connector);
  tcp_world_plain_free(w->ccb, w->scb, w->copt, w->sopt);
  close(w->client_fd);
  close(w->server_fd);
  close(w->listen_fd);
  free(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(sessions_over_libuv),
  };
  return cmocka_run_group_tests_name("uv", tests, NULL, NULL);
}
