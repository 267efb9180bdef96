/*
 * Test helper: the pieces the loop, loop_tls, uv and client tests all set
 * up for a client and a server session over TCP on 127.0.0.1 — the
 * listener, the one connector candidate, PLAIN for juliet/secret with its
 * callbacks and options, and the message the client sends and the server
 * takes. Include after <cmocka.h> and <xmppim.h>.
 */
#ifndef XMPPIM_TESTS_TCP_WORLD_H
#define XMPPIM_TESTS_TCP_WORLD_H

#include <stddef.h>

#include <xmppim.h>

/* A listening socket on 127.0.0.1, any port (asserted). */
int tcp_world_listen(void);

/* The one candidate to dial: 127.0.0.1 at the listener's port. */
void tcp_world_candidate(xmppim_net_candidate *c, int listen_fd);

/* SASL PLAIN on the server side: juliet / secret, nobody else. */
xmppim_sasl_condition tcp_world_check_plain(const char *authcid, const char *password,
                                            const char *authzid, void *ud);

/* Client and server callbacks (on_ready for both, on_stanza and PLAIN for
 * the server) and options (the client without TLS, both allowing PLAIN
 * without it). */
void tcp_world_plain_setup(xmppim_callbacks **ccb, xmppim_callbacks **scb, xmppim_options **copt,
                           xmppim_options **sopt, xmppim_on_ready_cb on_ready,
                           xmppim_on_stanza_cb on_stanza);
void tcp_world_plain_free(xmppim_callbacks *ccb, xmppim_callbacks *scb, xmppim_options *copt,
                          xmppim_options *sopt);

/* For an on_ready called on both sides: sets *server_ready when s is the
 * server, else *client_ready; returns nonzero for the client. */
int tcp_world_ready(xmppim_session *s, const xmppim_session *server, int *server_ready,
                    int *client_ready);

/* The client's message: a chat to example.com with this body. */
void tcp_world_send_chat(xmppim_session *s, const char *body);

/* The server's side of it: keeps the body ("" without one) and closes. */
void tcp_world_take_body_and_close(xmppim_session *s, xmppim_stanza *st, char *got, size_t cap);

#endif
