/*
 * The loop with the TLS adapter: a client and a server session over TCP on
 * 127.0.0.1, STARTTLS with a CA and a server certificate generated here,
 * the client checking the name, then SCRAM with channel binding, all driven
 * by xmppim_loop through xmppim_loop_add_tls_session(). Built when both
 * the sockets and the TLS adapters are.
 */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
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
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <xmppim.h>

#include "tcp_world.h"
#include "test_ca.h"

static int make_certificates(void **state) {
  (void)state;
  test_ca_make("looptls", "CN=loop test CA");
  return 0;
}

static int remove_certificates(void **state) {
  (void)state;
  test_ca_remove();
  return 0;
}

typedef struct world {
  xmppim_loop *loop;
  int listen_fd, client_fd, server_fd;
  xmppim_session *client, *server;
  xmppim_tls *ctls, *stls;
  int client_ready, server_ready, done, client_status, server_status;
  char got[64];
} world;

static void on_starttls(xmppim_session *s, void *ud) {
  world *w = ud;
  assert_int_equal(xmppim_tls_start(s == w->client ? w->ctls : w->stls), 0);
}

static void on_ready(xmppim_session *s, const xmppim_jid *jid, void *ud) {
  (void)jid;
  world *w = ud;
  if (!tcp_world_ready(s, w->server, &w->server_ready, &w->client_ready)) return;
  tcp_world_send_chat(s, "secret words");
}

static int on_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  world *w = ud;
  tcp_world_take_body_and_close(s, st, w->got, sizeof w->got);
  return 0;
}

static xmppim_sasl_condition lookup_scram(const char *authcid, xmppim_scram_hash hash,
                                          xmppim_scram_credentials *creds, void *ud) {
  (void)ud;
  if (strcmp(authcid, "juliet") != 0) return XMPPIM_SASL_COND_NOT_AUTHORIZED;
  static const unsigned char salt[] = "loop-tls-salt-16";
  if (xmppim_scram_derive(creds, hash, "secret", salt, 16, 4096, NULL) != 0)
    return XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE;
  return XMPPIM_SASL_COND_NONE;
}

static void on_done(xmppim_loop_conn *c, xmppim_session *s, int fd, int status, void *ud) {
  (void)c, (void)fd;
  world *w = ud;
  if (s == w->client)
    w->client_status = status;
  else
    w->server_status = status;
  if (++w->done == 2) xmppim_loop_stop(w->loop);
}

static void starttls_and_scram_plus_over_tcp(void **state) {
  (void)state;
  world w;
  memset(&w, 0, sizeof w);
  assert_int_equal(xmppim_loop_new(&w.loop), 0);
  w.listen_fd = tcp_world_listen();

  xmppim_callbacks *ccb, *scb;
  assert_int_equal(xmppim_callbacks_new(&ccb), 0);
  xmppim_callbacks_set_on_ready(ccb, on_ready);
  xmppim_callbacks_set_on_starttls(ccb, on_starttls);
  assert_int_equal(xmppim_callbacks_new(&scb), 0);
  xmppim_callbacks_set_on_ready(scb, on_ready);
  xmppim_callbacks_set_on_starttls(scb, on_starttls);
  xmppim_callbacks_set_on_stanza(scb, on_stanza);
  xmppim_callbacks_set_sasl_scram(scb, lookup_scram);
  xmppim_options *sopt;
  assert_int_equal(xmppim_options_new(&sopt), 0);
  assert_int_equal(xmppim_options_set_require_tls(sopt, 1), 0);

  xmppim_tls_config *ccfg, *scfg;
  assert_int_equal(xmppim_tls_config_new(&ccfg), 0);
  assert_int_equal(xmppim_tls_config_set_ca_file(ccfg, ca_file), 0);
  assert_int_equal(xmppim_tls_config_new(&scfg), 0);
  assert_int_equal(xmppim_tls_config_set_cert_key_files(scfg, cert_file, key_file), 0);

  /* connect (blocking is fine in a test: the listener's backlog takes it) */
  xmppim_net_candidate cand;
  tcp_world_candidate(&cand, w.listen_fd);
  xmppim_connector *conn;
  assert_int_equal(xmppim_connector_new(&conn, &cand, 1, 1000, xmppim_loop_now()), 0);
  while (xmppim_connector_status(conn) == 0) {
    struct pollfd p[1];
    size_t n = xmppim_connector_pollfds(conn, p, 1);
    assert_true(poll(p, n, 1000) >= 0);
    xmppim_connector_process(conn, p, n, xmppim_loop_now());
  }
  assert_int_equal(xmppim_connector_status(conn), 1);
  w.client_fd = xmppim_connector_take_fd(conn, NULL);
  xmppim_connector_free(conn);
  struct pollfd lp = {w.listen_fd, POLLIN, 0};
  assert_int_equal(poll(&lp, 1, 1000), 1);
  w.server_fd = xmppim_net_accept(w.listen_fd);
  assert_true(w.server_fd >= 0);

  assert_int_equal(xmppim_session_client_new(&w.client, "juliet@example.com", "secret", ccb, &w,
                                             NULL, NULL),
                   0);
  assert_int_equal(xmppim_session_server_new(&w.server, "example.com", scb, &w, sopt, NULL), 0);
  assert_int_equal(xmppim_tls_client_new(&w.ctls, w.client, ccfg, NULL), 0);
  assert_int_equal(xmppim_tls_server_new(&w.stls, w.server, scfg, NULL), 0);
  assert_int_equal(xmppim_loop_add_tls_session(w.loop, w.ctls, w.client, w.client_fd, on_done, &w, NULL), 0);
  assert_int_equal(xmppim_loop_add_tls_session(w.loop, w.stls, w.server, w.server_fd, on_done, &w, NULL), 0);
  assert_int_equal(xmppim_loop_run(w.loop, xmppim_loop_now() + 5000), 0);

  assert_true(w.client_ready);
  assert_true(w.server_ready);
  assert_string_equal(w.got, "secret words");
  assert_true(xmppim_session_is_secure(w.client));
  assert_true(xmppim_tls_is_established(w.ctls));
  assert_int_equal(xmppim_session_mechanism(w.client), XMPPIM_SASL_MECH_SCRAM_SHA_256_PLUS);
  assert_int_equal(w.client_status, 0);
  assert_int_equal(w.server_status, 0);

  xmppim_tls_free(w.ctls);
  xmppim_tls_free(w.stls);
  xmppim_session_free(w.client);
  xmppim_session_free(w.server);
  xmppim_tls_config_free(ccfg);
  xmppim_tls_config_free(scfg);
  xmppim_callbacks_free(ccb);
  xmppim_callbacks_free(scb);
  xmppim_options_free(sopt);
  close(w.client_fd);
  close(w.server_fd);
  close(w.listen_fd);
  xmppim_loop_free(w.loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(starttls_and_scram_plus_over_tcp),
  };
  return cmocka_run_group_tests_name("loop_tls", tests, make_certificates, remove_certificates);
}
