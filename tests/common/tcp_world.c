/* Test helper: see tcp_world.h. */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <xmppim.h>

#include "tcp_world.h"

int tcp_world_listen(void) {
  int fd = xmppim_net_listen("127.0.0.1", 0, 0);
  assert_true(fd >= 0);
  return fd;
}

void tcp_world_candidate(xmppim_net_candidate *c, int listen_fd) {
  memset(c, 0, sizeof *c);
  snprintf(c->address, sizeof c->address, "127.0.0.1");
  c->family = AF_INET;
  c->port = xmppim_net_local_port(listen_fd);
}

xmppim_sasl_condition tcp_world_check_plain(const char *authcid, const char *password,
                                            const char *authzid, void *ud) {
  (void)authzid, (void)ud;
  return strcmp(authcid, "juliet") == 0 && strcmp(password, "secret") == 0
             ? XMPPIM_SASL_COND_NONE
             : XMPPIM_SASL_COND_NOT_AUTHORIZED;
}

void tcp_world_plain_setup(xmppim_callbacks **ccb, xmppim_callbacks **scb, xmppim_options **copt,
                           xmppim_options **sopt, xmppim_on_ready_cb on_ready,
                           xmppim_on_stanza_cb on_stanza) {
  assert_int_equal(xmppim_callbacks_new(ccb), 0);
  xmppim_callbacks_set_on_ready(*ccb, on_ready);
  assert_int_equal(xmppim_callbacks_new(scb), 0);
  xmppim_callbacks_set_on_ready(*scb, on_ready);
  xmppim_callbacks_set_on_stanza(*scb, on_stanza);
  xmppim_callbacks_set_sasl_plain(*scb, tcp_world_check_plain);
  assert_int_equal(xmppim_options_new(copt), 0);
  assert_int_equal(xmppim_options_set_require_tls(*copt, 0), 0);
  assert_int_equal(xmppim_options_set_allow_plain_without_tls(*copt, 1), 0);
  assert_int_equal(xmppim_options_new(sopt), 0);
  assert_int_equal(xmppim_options_set_allow_plain_without_tls(*sopt, 1), 0);
}

void tcp_world_plain_free(xmppim_callbacks *ccb, xmppim_callbacks *scb, xmppim_options *copt,
                          xmppim_options *sopt) {
  xmppim_callbacks_free(ccb);
  xmppim_callbacks_free(scb);
  xmppim_options_free(copt);
  xmppim_options_free(sopt);
}

int tcp_world_ready(xmppim_session *s, const xmppim_session *server, int *server_ready,
                    int *client_ready) {
  if (s == server) {
    *server_ready = 1;
    return 0;
  }
  *client_ready = 1;
  return 1;
}

void tcp_world_send_chat(xmppim_session *s, const char *body) {
  xmppim_stanza *m;
  assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, "example.com", body, NULL), 0);
  assert_int_equal(xmppim_session_send(s, m), 0);
  xmppim_stanza_free(m);
}

void tcp_world_take_body_and_close(xmppim_session *s, xmppim_stanza *st, char *got, size_t cap) {
  const char *body = xmppim_message_body(st, NULL, NULL, NULL);
  snprintf(got, cap, "%s", body ? body : "");
  assert_int_equal(xmppim_session_close(s), 0);
}
