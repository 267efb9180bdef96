/*
 * xmppim_client against a server session over TCP on 127.0.0.1, in one
 * xmppim_loop: STARTTLS with a CA generated here, SCRAM, the roster fetched
 * (the server side answers an empty roster), initial presence, a message
 * and a subscription request reaching the client's callbacks, the approval
 * going back, and a clean disconnect. Built when both the sockets and the
 * TLS adapters are.
 */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <xmppim.h>
#include <xmppim/client.h>

#include "dnsd.h"
#include "tcp_world.h"
#include "test_ca.h"

static int make_certificates(void **state) {
  (void)state;
  test_ca_make("client", "CN=client test CA");
  return 0;
}

static int remove_certificates(void **state) {
  (void)state;
  test_ca_remove();
  return 0;
}

typedef struct world {
  xmppim_loop *loop;
  int listen_fd, server_fd;
  xmppim_loop_source *listener;
  xmppim_callbacks *scb;
  xmppim_tls_config *scfg;
  xmppim_session *server;
  xmppim_tls *stls;
  char client_jid[128];
  /* what happened */
  int roster_with_item;
  int direct_tls;      /* the server starts TLS at once (XEP-0368) */
  int refuse_sets;     /* roster sets get not-allowed instead of a result */
  char last_presence[512]; /* the last available presence received, serialized */
  int unsubscribed_seen, sets_seen;
  int available, unavailable, unavailable_when_disconnected;
  int disconnecting; /* xmppim_client_disconnect() was called */
  dnsd dns;
  xmppim_loop_source *dns_src;
  int roster_asked, presence_seen, subscribed_seen, server_done, server_status;
  int connected, disconnected, roster_changed, subscription_requests;
  char message[64], message_from[64], sub_from[64], reason[128];
} world;

/* ---- server side ---- */

static void s_starttls(xmppim_session *s, void *ud) {
  (void)s;
  world *w = ud;
  assert_int_equal(xmppim_tls_start(w->stls), 0);
}

static void s_ready(xmppim_session *s, const xmppim_jid *jid, void *ud) {
  (void)s;
  world *w = ud;
  snprintf(w->client_jid, sizeof w->client_jid, "%s", xmppim_jid_to_string(jid));
}

static int s_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  world *w = ud;
  const char *name = xmppim_stanza_name(st), *type = xmppim_stanza_attr(st, "type");
  if (strcmp(name, "iq") == 0 && type && strcmp(type, "get") == 0 &&
      xmppim_stanza_find_child(st, "query", "jabber:iq:roster")) {
    w->roster_asked++;
    xmppim_stanza *r;
    assert_int_equal(xmppim_stanza_new(&r, NULL, "iq", "jabber:client"), 0);
    assert_int_equal(xmppim_stanza_set_attr(r, "type", "result"), 0);
    assert_int_equal(xmppim_stanza_set_attr(r, "id", xmppim_stanza_attr(st, "id")), 0);
    assert_int_equal(xmppim_stanza_set_attr(r, "to", w->client_jid), 0);
    if (w->roster_with_item && w->roster_asked == 1) {
      /* a full roster with one contact; the next request gets "unchanged" */
      xmppim_stanza *q, *item;
      assert_int_equal(xmppim_stanza_add_child(r, "query", "jabber:iq:roster", &q), 0);
      assert_int_equal(xmppim_stanza_set_attr(q, "ver", "v1"), 0);
      assert_int_equal(xmppim_stanza_add_child(q, "item", "jabber:iq:roster", &item), 0);
      assert_int_equal(xmppim_stanza_set_attr(item, "jid", "nurse@example.com"), 0);
      assert_int_equal(xmppim_stanza_set_attr(item, "subscription", "both"), 0);
    } else if (!w->roster_with_item) {
      assert_int_equal(xmppim_stanza_add_child(r, "query", "jabber:iq:roster", NULL), 0);
    }
    assert_int_equal(xmppim_session_send(s, r), 0);
    xmppim_stanza_free(r);
    return 0;
  }
  if (strcmp(name, "iq") == 0 && type && strcmp(type, "set") == 0 &&
      xmppim_stanza_find_child(st, "query", "jabber:iq:roster")) {
    w->sets_seen++;
    char xml[512];
    if (w->refuse_sets)
      snprintf(xml, sizeof xml,
               "<iq xmlns='jabber:client' type='error' id='%s'><error type='cancel'>"
               "<not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
               xmppim_stanza_attr(st, "id"));
    else
      snprintf(xml, sizeof xml, "<iq xmlns='jabber:client' type='result' id='%s'/>",
               xmppim_stanza_attr(st, "id"));
    xmppim_stanza *r;
    assert_int_equal(xmppim_stanza_parse(&r, xml, strlen(xml), NULL, NULL), 0);
    assert_int_equal(xmppim_session_send(s, r), 0);
    xmppim_stanza_free(r);
    return 0;
  }
  if (strcmp(name, "presence") == 0 && type && strcmp(type, "unsubscribed") == 0) {
    w->unsubscribed_seen++;
    return 0;
  }
  if (strcmp(name, "presence") == 0 && !type && !xmppim_stanza_attr(st, "to")) {
    /* initial presence: a message and a subscription request follow */
    w->presence_seen++;
    xmppim_stanza_serialize(st, "jabber:client", w->last_presence, sizeof w->last_presence,
                            NULL);
    xmppim_stanza *m;
    assert_int_equal(xmppim_message_new(&m, NULL, XMPPIM_MESSAGE_CHAT, w->client_jid,
                                        "hello client", NULL),
                     0);
    assert_int_equal(xmppim_stanza_set_attr(m, "from", "romeo@example.net/phone"), 0);
    assert_int_equal(xmppim_session_send(s, m), 0);
    xmppim_stanza_free(m);
    xmppim_stanza *p;
    if (w->roster_with_item) {
      /* the contact of the roster is online */
      assert_int_equal(xmppim_stanza_new(&p, NULL, "presence", "jabber:client"), 0);
      assert_int_equal(xmppim_stanza_set_attr(p, "from", "nurse@example.com/ward"), 0);
      assert_int_equal(xmppim_stanza_set_attr(p, "to", w->client_jid), 0);
      assert_int_equal(xmppim_session_send(s, p), 0);
      xmppim_stanza_free(p);
    }
    assert_int_equal(xmppim_stanza_new(&p, NULL, "presence", "jabber:client"), 0);
    assert_int_equal(xmppim_stanza_set_attr(p, "type", "subscribe"), 0);
    assert_int_equal(xmppim_stanza_set_attr(p, "from", "romeo@example.net"), 0);
    assert_int_equal(xmppim_stanza_set_attr(p, "to", "juliet@example.com"), 0);
    assert_int_equal(xmppim_session_send(s, p), 0);
    xmppim_stanza_free(p);
    return 0;
  }
  if (strcmp(name, "presence") == 0 && type && strcmp(type, "subscribed") == 0) {
    const char *to = xmppim_stanza_attr(st, "to");
    if (to && strcmp(to, "romeo@example.net") == 0) w->subscribed_seen++;
    return 0;
  }
  return 0;
}

static xmppim_sasl_condition lookup_scram(const char *authcid, xmppim_scram_hash hash,
                                          xmppim_scram_credentials *creds, void *ud) {
  (void)ud;
  if (strcmp(authcid, "juliet") != 0) return XMPPIM_SASL_COND_NOT_AUTHORIZED;
  static const unsigned char salt[] = "client-test-salt";
  if (xmppim_scram_derive(creds, hash, "secret", salt, 16, 4096, NULL) != 0)
    return XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE;
  return XMPPIM_SASL_COND_NONE;
}

static void s_done(xmppim_loop_conn *c, xmppim_session *s, int fd, int status, void *ud) {
  (void)c, (void)s, (void)fd;
  world *w = ud;
  w->server_done = 1;
  w->server_status = status;
}

static size_t l_prepare(void *ud, struct pollfd *fds, size_t max, uint64_t now,
                        uint64_t *deadline) {
  (void)now, (void)deadline;
  world *w = ud;
  if (max < 1 || w->server) return 0;
  fds[0].fd = w->listen_fd;
  fds[0].events = POLLIN;
  return 1;
}

static void l_dispatch(void *ud, const struct pollfd *fds, size_t n, uint64_t now) {
  (void)now;
  world *w = ud;
  if (n < 1 || !(fds[0].revents & POLLIN) || w->server) return;
  w->server_fd = xmppim_net_accept(w->listen_fd);
  assert_true(w->server_fd >= 0);
  xmppim_options *sopt;
  assert_int_equal(xmppim_options_new(&sopt), 0);
  assert_int_equal(xmppim_options_set_require_tls(sopt, 1), 0);
  assert_int_equal(xmppim_session_server_new(&w->server, "example.com", w->scb, w, sopt, NULL), 0);
  xmppim_options_free(sopt);
  assert_int_equal(xmppim_tls_server_new(&w->stls, w->server, w->scfg, NULL), 0);
  if (w->direct_tls) assert_int_equal(xmppim_tls_start(w->stls), 0);
  assert_int_equal(
      xmppim_loop_add_tls_session(w->loop, w->stls, w->server, w->server_fd, s_done, w, NULL), 0);
}

/* The DNS responder as a loop source. */
static size_t dns_prepare(void *ud, struct pollfd *fds, size_t max, uint64_t now,
                          uint64_t *deadline) {
  (void)now, (void)deadline;
  world *w = ud;
  if (max < 1) return 0;
  fds[0].fd = w->dns.fd;
  fds[0].events = POLLIN;
  return 1;
}

static void dns_dispatch(void *ud, const struct pollfd *fds, size_t n, uint64_t now) {
  (void)now;
  world *w = ud;
  if (n == 1 && (fds[0].revents & POLLIN)) dnsd_answer(&w->dns);
}

/* A world with a listening server side on 127.0.0.1. */
static void world_start(world *w) {
  memset(w, 0, sizeof *w);
  w->dns.fd = -1;
  assert_int_equal(xmppim_loop_new(&w->loop), 0);
  w->listen_fd = tcp_world_listen();
  assert_int_equal(xmppim_callbacks_new(&w->scb), 0);
  xmppim_callbacks_set_on_ready(w->scb, s_ready);
  xmppim_callbacks_set_on_starttls(w->scb, s_starttls);
  xmppim_callbacks_set_on_stanza(w->scb, s_stanza);
  xmppim_callbacks_set_sasl_scram(w->scb, lookup_scram);
  assert_int_equal(xmppim_tls_config_new(&w->scfg), 0);
  assert_int_equal(xmppim_tls_config_set_cert_key_files(w->scfg, cert_file, key_file), 0);
  assert_int_equal(xmppim_loop_add(w->loop, l_prepare, l_dispatch, w, &w->listener), 0);
}

/* Frees the server side of the last connection, so that another may come. */
static void world_drop_server(world *w) {
  xmppim_tls_free(w->stls);
  xmppim_session_free(w->server);
  if (w->server) close(w->server_fd);
  w->stls = NULL;
  w->server = NULL;
  w->server_done = 0;
}

static void world_stop(world *w) {
  world_drop_server(w);
  xmppim_loop_remove(w->loop, w->listener);
  if (w->dns_src) xmppim_loop_remove(w->loop, w->dns_src);
  dnsd_stop(&w->dns);
  xmppim_tls_config_free(w->scfg);
  xmppim_callbacks_free(w->scb);
  close(w->listen_fd);
  xmppim_loop_free(w->loop);
}

/* ---- client side ---- */

/* Options that trust the CA made here and dial the world's listener. */
static xmppim_client_options *world_client_options(world *w) {
  xmppim_client_options *opt;
  assert_int_equal(xmppim_client_options_new(&opt), 0);
  assert_int_equal(xmppim_client_options_set_ca_file(opt, ca_file), 0);
  assert_int_equal(
      xmppim_client_options_set_address(opt, "127.0.0.1", xmppim_net_local_port(w->listen_fd)), 0);
  return opt;
}

static void c_connected(xmppim_client *c, void *ud) {
  world *w = ud;
  w->connected++;
  assert_non_null(xmppim_client_session(c));
  assert_non_null(xmppim_client_roster(c));
  assert_non_null(xmppim_client_presence(c));
  assert_true(xmppim_presence_is_available(xmppim_client_presence(c)));
}

static void c_disconnected(xmppim_client *c, const char *reason, void *ud) {
  (void)c;
  world *w = ud;
  w->disconnected++;
  w->unavailable_when_disconnected = w->unavailable;
  snprintf(w->reason, sizeof w->reason, "%s", reason);
}

static void c_message(xmppim_client *c, xmppim_message_type type, const char *from,
                      const char *body, void *ud) {
  (void)c;
  world *w = ud;
  assert_int_equal(type, XMPPIM_MESSAGE_CHAT);
  snprintf(w->message, sizeof w->message, "%s", body);
  snprintf(w->message_from, sizeof w->message_from, "%s", from);
}

static void c_subscription(xmppim_client *c, const char *from, void *ud) {
  world *w = ud;
  w->subscription_requests++;
  snprintf(w->sub_from, sizeof w->sub_from, "%s", from);
  assert_int_equal(xmppim_client_approve(c, from), 0);
}

static void c_presence(xmppim_client *c, xmppim_presence_event ev, const char *contact,
                       const xmppim_presence_resource *res, void *ud) {
  (void)c, (void)res;
  world *w = ud;
  assert_string_equal(contact, "nurse@example.com");
  if (ev == XMPPIM_PRESENCE_UNAVAILABLE) w->unavailable++;
  else w->available++;
}

static void c_roster_changed(xmppim_client *c, void *ud) {
  world *w = ud;
  w->roster_changed++;
  assert_int_equal(xmppim_roster_count(xmppim_client_roster(c)), 0);
}

#define RUN_UNTIL(cond)                                                   \
  do {                                                                    \
    int guard_ = 0;                                                       \
    while (!(cond) && guard_++ < 5000) xmppim_loop_run_once(w.loop, 100); \
    assert_true(cond);                                                    \
  } while (0)

static void client_over_tcp(void **state) {
  (void)state;
  world w;
  world_start(&w);

  xmppim_client_options *opt = world_client_options(&w);
  xmppim_client_callbacks cb = {.on_connected = c_connected,
                                .on_disconnected = c_disconnected,
                                .on_message = c_message,
                                .on_subscription_request = c_subscription,
                                .on_roster_changed = c_roster_changed};
  xmppim_client *c;
  assert_int_equal(xmppim_client_new(&c, w.loop, "juliet@example.com", "secret", &cb, &w, opt), 0);
  xmppim_client_options_free(opt);
  assert_int_equal(xmppim_client_connect(c), 0);
  assert_int_equal(xmppim_client_connect(c), XMPPIM_ERR_INVALID_STATE);

  RUN_UNTIL(w.connected == 1);
  assert_int_equal(w.roster_asked, 1);
  assert_true(xmppim_client_is_connected(c));
  assert_true(xmppim_session_is_secure(xmppim_client_session(c)));
  RUN_UNTIL(w.subscribed_seen == 1);
  assert_int_equal(w.presence_seen, 1);
  assert_string_equal(w.message, "hello client");
  assert_string_equal(w.message_from, "romeo@example.net/phone");
  assert_int_equal(w.subscription_requests, 1);
  assert_string_equal(w.sub_from, "romeo@example.net");

  assert_int_equal(xmppim_client_disconnect(c), 0);
  RUN_UNTIL(w.disconnected == 1 && w.server_done);
  assert_string_equal(w.reason, "closed by the application");
  assert_int_equal(w.server_status, 0);
  assert_false(xmppim_client_is_connected(c));
  assert_null(xmppim_client_session(c));
  assert_int_equal(xmppim_client_send_message(c, "romeo@example.net", "late"),
                   XMPPIM_ERR_INVALID_STATE);

  xmppim_client_free(c);
  world_stop(&w);
}

/* The server closes the stream: the client reports it, waits, dials again and logs in again. */
static void reconnect_after_server_close(void **state) {
  (void)state;
  world w;
  world_start(&w);

  xmppim_tls_config *ccfg;
  assert_int_equal(xmppim_tls_config_new(&ccfg), 0);
  assert_int_equal(xmppim_tls_config_set_ca_file(ccfg, ca_file), 0);
  xmppim_client_options *opt;
  assert_int_equal(xmppim_client_options_new(&opt), 0);
  assert_int_equal(xmppim_client_options_set_tls_config(opt, ccfg), 0);
  assert_int_equal(
      xmppim_client_options_set_address(opt, "127.0.0.1", xmppim_net_local_port(w.listen_fd)), 0);
  assert_int_equal(xmppim_client_options_set_reconnect(opt, 1), 0);
  assert_int_equal(xmppim_client_options_set_backoff(opt, 10, 40), 0);
  xmppim_client_callbacks cb = {.on_connected = c_connected,
                                .on_disconnected = c_disconnected,
                                .on_message = c_message,
                                .on_presence = c_presence,
                                .on_subscription_request = c_subscription};
  xmppim_client *c;
  assert_int_equal(xmppim_client_new(&c, w.loop, "juliet@example.com", "secret", &cb, &w, opt), 0);
  xmppim_client_options_free(opt);
  w.roster_with_item = 1;
  assert_int_equal(xmppim_client_connect(c), 0);
  RUN_UNTIL(w.connected == 1 && w.subscribed_seen == 1 && w.available == 1);
  assert_int_equal(xmppim_roster_count(xmppim_client_roster(c)), 1);

  assert_int_equal(xmppim_session_close(w.server), 0);
  RUN_UNTIL(w.disconnected == 1 && w.server_done);
  assert_string_equal(w.reason, "closed by the server");
  /* the contact's resource was reported gone before the disconnection */
  assert_int_equal(w.unavailable_when_disconnected, 1);
  assert_true(xmppim_client_will_retry(c));
  assert_false(xmppim_client_is_connected(c));
  world_drop_server(&w);

  RUN_UNTIL(w.connected == 2 && w.subscribed_seen == 2);
  assert_int_equal(w.roster_asked, 2);
  /* the second answer said "unchanged": the cache kept from the first connection stays */
  assert_int_equal(xmppim_roster_count(xmppim_client_roster(c)), 1);
  assert_non_null(xmppim_roster_find(xmppim_client_roster(c), "nurse@example.com"));
  assert_int_equal(w.disconnected, 1);
  assert_int_equal(xmppim_client_disconnect(c), 0);
  RUN_UNTIL(w.disconnected == 2 && w.server_done);
  assert_string_equal(w.reason, "closed by the application");
  for (int i = 0; i < 3; i++) assert_true(xmppim_loop_run_once(w.loop, 50) >= 0);
  assert_int_equal(w.connected, 2);

  xmppim_client_free(c);
  xmppim_tls_config_free(ccfg);
  world_stop(&w);
}

/* Reconnect: the server side is gone; the client waits, then dials again. */
static int dials;
static uint64_t dial_at[8];
static void r_disconnected(xmppim_client *c, const char *reason, void *ud) {
  (void)ud;
  assert_true(strlen(reason) > 0);
  assert_true(xmppim_client_will_retry(c));
  if (dials < 8) dial_at[dials] = xmppim_loop_now();
  dials++;
}

static void reconnect_after_failure(void **state) {
  (void)state;
  xmppim_loop *loop;
  assert_int_equal(xmppim_loop_new(&loop), 0);
  /* a port with nobody listening: bind one, take its number, close it */
  int fd = xmppim_net_listen("127.0.0.1", 0, 0);
  assert_true(fd >= 0);
  uint16_t port = xmppim_net_local_port(fd);
  close(fd);
  xmppim_client_options *opt;
  assert_int_equal(xmppim_client_options_new(&opt), 0);
  /* a CA file that is not there is refused at once, with GnuTLS's reason */
  assert_int_equal(xmppim_client_options_set_ca_file(opt, "/nonexistent/ca.pem"), XMPPIM_ERR_TLS);
  assert_true(strlen(xmppim_client_options_error_text(opt)) > 0);
  assert_int_equal(xmppim_client_options_set_insecure_skip_verify(opt, 1), 0);
  assert_int_equal(xmppim_client_options_set_address(opt, "127.0.0.1", port), 0);
  assert_int_equal(xmppim_client_options_set_reconnect(opt, 1), 0);
  assert_int_equal(xmppim_client_options_set_backoff(opt, 0, 10), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_client_options_set_backoff(opt, 20, 10), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_client_options_set_backoff(opt, 10, 40), 0);
  xmppim_client_callbacks cb = {.on_disconnected = r_disconnected};
  xmppim_client *c;
  assert_int_equal(xmppim_client_new(&c, loop, "juliet@example.com", "secret", &cb, NULL, opt), 0);
  xmppim_client_options_free(opt);
  dials = 0;
  assert_int_equal(xmppim_client_connect(c), 0);
  /* waits of 5-10, 10-20, 20-40 then 20-40 ms between the failures */
  for (int i = 0; i < 1000 && dials < 5; i++) xmppim_loop_run_once(loop, 100);
  assert_int_equal(dials, 5);
  assert_true(dial_at[1] - dial_at[0] >= 5);
  assert_true(dial_at[2] - dial_at[1] >= 10);
  assert_true(dial_at[3] - dial_at[2] >= 20);
  assert_true(dial_at[4] - dial_at[3] >= 20);
  /* a retry is scheduled: disconnect cancels it */
  assert_int_equal(xmppim_client_disconnect(c), 0);
  for (int i = 0; i < 5; i++) assert_true(xmppim_loop_run_once(loop, 50) >= 0);
  assert_int_equal(dials, 5);
  xmppim_client_free(c);
  xmppim_loop_free(loop);
}

/* ---- presence, password callback, deny, roster answers, stream errors ---- */

static int password_calls;
static int give_password(xmppim_client *c, char *buf, size_t cap, void *ud) {
  (void)c, (void)ud;
  password_calls++;
  snprintf(buf, cap, "%s", "secret");
  return 0;
}
static int refuse_password(xmppim_client *c, char *buf, size_t cap, void *ud) {
  (void)c, (void)buf, (void)cap, (void)ud;
  password_calls++;
  return -1;
}

static int set_done_count;
static char set_done_jid[64], set_done_error[64];
static void c_set_done(xmppim_client *c, const char *jid, const char *error, void *ud) {
  (void)c, (void)ud;
  set_done_count++;
  snprintf(set_done_jid, sizeof set_done_jid, "%s", jid);
  snprintf(set_done_error, sizeof set_done_error, "%s", error ? error : "(accepted)");
}

static void c_deny(xmppim_client *c, const char *from, void *ud) {
  world *w = ud;
  w->subscription_requests++;
  /* a request read after our own close cannot be answered any more */
  int rv = xmppim_client_deny(c, from);
  assert_true(rv == 0 || (rv == XMPPIM_ERR_INVALID_STATE && w->disconnecting));
}

static void client_presence_password_deny_and_errors(void **state) {
  (void)state;
  world w;
  world_start(&w);
  xmppim_client_options *opt = world_client_options(&w);
  assert_int_equal(xmppim_client_options_set_reconnect(opt, 1), 0);
  xmppim_client_callbacks cb = {.on_connected = c_connected,
                                .on_disconnected = c_disconnected,
                                .on_subscription_request = c_deny,
                                .on_roster_set_done = c_set_done,
                                .get_password = give_password};
  xmppim_client *c;
  /* no password and no callback: refused */
  xmppim_client_callbacks no_cb = {.on_connected = c_connected};
  assert_int_equal(xmppim_client_new(&c, w.loop, "juliet@example.com", NULL, &no_cb, &w, opt),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_client_new(&c, w.loop, "juliet@example.com", NULL, &cb, &w, opt), 0);
  assert_int_equal(xmppim_client_set_presence(c, XMPPIM_SHOW_DND, "in a meeting", -1), 0);
  assert_int_equal(xmppim_client_set_presence(c, XMPPIM_SHOW_DND, NULL, 128),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_client_set_presence(c, (xmppim_show)99, NULL, 0),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  password_calls = 0;
  assert_int_equal(xmppim_client_connect(c), 0);
  /* the initial presence is the one set before connecting; the request is denied */
  RUN_UNTIL(w.connected == 1 && w.unsubscribed_seen == 1);
  assert_int_equal(password_calls, 1);
  assert_non_null(strstr(w.last_presence, "<show>dnd</show>"));
  assert_non_null(strstr(w.last_presence, "<status>in a meeting</status>"));
  assert_non_null(strstr(w.last_presence, "<priority>-1</priority>"));
  assert_int_equal(w.subscription_requests, 1);

  /* a change while connected goes out at once */
  assert_int_equal(xmppim_client_set_presence(c, XMPPIM_SHOW_AWAY, "back soon", 3), 0);
  RUN_UNTIL(w.presence_seen == 2);
  assert_non_null(strstr(w.last_presence, "<show>away</show>"));
  assert_non_null(strstr(w.last_presence, "<priority>3</priority>"));

  /* the server's answers to roster sets are reported */
  assert_int_equal(xmppim_roster_set_item(xmppim_client_roster(c), "Nurse@example.com", NULL,
                                          NULL, 0),
                   0);
  RUN_UNTIL(set_done_count == 1);
  assert_string_equal(set_done_jid, "nurse@example.com");
  assert_string_equal(set_done_error, "(accepted)");
  w.refuse_sets = 1;
  assert_int_equal(xmppim_roster_remove_item(xmppim_client_roster(c), "nurse@example.com"), 0);
  RUN_UNTIL(set_done_count == 2);
  assert_string_equal(set_done_error, "not-allowed");

  /* a stream error ends the connection with its condition in the reason; then
   * the client dials again (reconnect is on) and asks for the password again */
  assert_int_equal(
      xmppim_session_stream_error(w.server, XMPPIM_STREAM_CONFLICT, "replaced by a new login"),
      0);
  RUN_UNTIL(w.disconnected == 1 && w.server_done);
  assert_string_equal(w.reason, "stream error conflict: replaced by a new login");
  world_drop_server(&w);
  RUN_UNTIL(w.connected == 2);
  assert_int_equal(password_calls, 2);
  w.disconnecting = 1;
  assert_int_equal(xmppim_client_disconnect(c), 0);
  RUN_UNTIL(w.disconnected == 2 && w.server_done);
  xmppim_client_free(c);

  /* a password callback that fails ends the attempt without retrying */
  world_drop_server(&w);
  cb.get_password = refuse_password;
  w.disconnected = 0;
  assert_int_equal(xmppim_client_new(&c, w.loop, "juliet@example.com", NULL, &cb, &w, opt), 0);
  xmppim_client_options_free(opt);
  password_calls = 0;
  assert_int_equal(xmppim_client_connect(c), 0);
  RUN_UNTIL(w.disconnected == 1);
  assert_string_equal(w.reason, "no password");
  assert_false(xmppim_client_will_retry(c));
  for (int i = 0; i < 5; i++) xmppim_loop_run_once(w.loop, 20);
  assert_int_equal(password_calls, 1);
  xmppim_client_free(c);
  world_stop(&w);
}

/* The domain resolved through SRV: only an _xmpps-client record, so the
 * client connects with TLS at once (XEP-0368), SNI and verification for the
 * JID's domain, not the SRV target's name. */
static void client_direct_tls_found_by_dns(void **state) {
  (void)state;
  world w;
  world_start(&w);
  w.direct_tls = 1;
  const dns_rr table[] = {
      {"_xmpps-client._tcp.example.com", T_SRV, "xmpp.example.net", 0, 0,
       xmppim_net_local_port(w.listen_fd)},
      {"xmpp.example.net", T_A, "127.0.0.1", 0, 0, 0},
  };
  dnsd_start(&w.dns, table, sizeof table / sizeof table[0]);
  assert_int_equal(xmppim_loop_add(w.loop, dns_prepare, dns_dispatch, &w, &w.dns_src), 0);
  char servers[64];
  snprintf(servers, sizeof servers, "127.0.0.1:%u", (unsigned)w.dns.port);
  xmppim_client_options *opt;
  assert_int_equal(xmppim_client_options_new(&opt), 0);
  assert_int_equal(xmppim_client_options_set_ca_file(opt, ca_file), 0);
  assert_int_equal(xmppim_client_options_set_dns_servers(opt, ""), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_client_options_set_dns_servers(opt, servers), 0);
  xmppim_client_callbacks cb = {.on_connected = c_connected,
                                .on_disconnected = c_disconnected,
                                .on_subscription_request = c_subscription};
  xmppim_client *c;
  assert_int_equal(xmppim_client_new(&c, w.loop, "juliet@example.com", "secret", &cb, &w, opt), 0);
  xmppim_client_options_free(opt);
  assert_int_equal(xmppim_client_connect(c), 0);
  RUN_UNTIL(w.connected == 1 && w.subscribed_seen == 1);
  assert_true(w.dns.queries >= 2);
  assert_true(xmppim_session_is_secure(xmppim_client_session(c)));
  assert_int_equal(xmppim_client_disconnect(c), 0);
  RUN_UNTIL(w.disconnected == 1 && w.server_done);
  assert_string_equal(w.reason, "closed by the application");
  xmppim_client_free(c);
  world_stop(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(client_over_tcp),
      cmocka_unit_test(reconnect_after_server_close),
      cmocka_unit_test(reconnect_after_failure),
      cmocka_unit_test(client_presence_password_deny_and_errors),
      cmocka_unit_test(client_direct_tls_found_by_dns),
  };
  return cmocka_run_group_tests_name("client", tests, make_certificates, remove_certificates);
}
