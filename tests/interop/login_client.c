/*
 * Interop: a libxmppim client session logs in to a real XMPP server over a
 * plain TCP socket (127.0.0.1 only), with blocking I/O to stay short:
 * SASL, binding, a roster get and a ping through IQ tracking, a message to
 * its own full JID that must come back, and a clean close.
 *
 * usage: login_client PORT JID PASSWORD
 * Exit 0 when every step happened; 1 with a message otherwise.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xmppim.h>

static int ready, roster_ok, ping_ok, echo_ok, closed;

static void on_ready(xmppim_session *s, const xmppim_jid *jid, void *ud) {
  (void)s;
  (void)ud;
  printf("ready as %s\n", xmppim_jid_to_string(jid));
  ready = 1;
}

static int on_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  (void)s;
  (void)ud;
  xmppim_stanza *body = xmppim_stanza_find_child(st, "body", NULL);
  if (strcmp(xmppim_stanza_name(st), "message") == 0 && body &&
      strcmp(xmppim_stanza_text(body), "interop echo") == 0)
    echo_ok = 1;
  return XMPPIM_STANZA_UNHANDLED;
}

static void on_closed(xmppim_session *s, xmppim_stream_condition cond, void *ud) {
  (void)s;
  (void)ud;
  printf("closed (%s)\n", cond ? xmppim_stream_condition_name(cond) : "clean");
  closed = 1;
}

static void on_auth_failed(xmppim_session *s, xmppim_sasl_condition cond, const char *text, void *ud) {
  (void)s;
  (void)ud;
  fprintf(stderr, "authentication failed: %s %s\n", xmppim_sasl_condition_name(cond), text ? text : "");
}

static void on_answer(xmppim_session *s, xmppim_stanza *result, void *ud) {
  (void)s;
  const char *type = result ? xmppim_stanza_attr(result, "type") : "timeout";
  printf("IQ %s answered: %s\n", (const char *)ud, type);
  int ok = result && strcmp(type, "result") == 0;
  if (strcmp(ud, "roster") == 0) roster_ok = ok && xmppim_stanza_find_child(result, "query", "jabber:iq:roster");
  if (strcmp(ud, "ping") == 0) ping_ok = ok;
}

/* Writes all pending output, then waits up to 5 s for input and feeds it. */
static int pump(int fd, xmppim_session *s) {
  const char *data;
  size_t n;
  while ((n = xmppim_session_output(s, &data)) > 0) {
    ssize_t w = write(fd, data, n);
    if (w <= 0) return -1;
    xmppim_session_consumed(s, (size_t)w);
  }
  if (!xmppim_session_want_read(s)) return 0;
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, 5000) <= 0) return -1;
  char buf[4096];
  ssize_t r = read(fd, buf, sizeof(buf));
  if (r <= 0) return closed ? 0 : -1;
  long used = xmppim_session_feed(s, buf, (size_t)r);
  if (used < 0) fprintf(stderr, "feed: %s\n", xmppim_strerror((int)used));
  return used < 0 ? -1 : 1;
}

static xmppim_stanza *iq(const char *type, const char *child, const char *ns, const char *to) {
  xmppim_stanza *st, *c;
  if (xmppim_stanza_new(&st, NULL, "iq", "jabber:client")) exit(1);
  xmppim_stanza_set_attr(st, "type", type);
  if (to) xmppim_stanza_set_attr(st, "to", to);
  xmppim_stanza_add_child(st, child, ns, &c);
  return st;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s PORT JID PASSWORD\n", argv[0]);
    return 2;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(argv[1]));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
    perror("connect");
    return 1;
  }
  xmppim_callbacks *cb;
  xmppim_options *opt;
  if (xmppim_callbacks_new(&cb) || xmppim_options_new(&opt)) return 1;
  xmppim_callbacks_set_on_ready(cb, on_ready);
  xmppim_callbacks_set_on_stanza(cb, on_stanza);
  xmppim_callbacks_set_on_closed(cb, on_closed);
  xmppim_callbacks_set_on_auth_failed(cb, on_auth_failed);
  xmppim_options_set_require_tls(opt, 0); /* no TLS adapter yet: loopback only */
  xmppim_session *s;
  if (xmppim_session_client_new(&s, argv[2], argv[3], cb, NULL, opt, NULL)) return 1;
  xmppim_callbacks_free(cb);
  xmppim_options_free(opt);

  int steps = 0;
  while (!ready && steps++ < 50 && pump(fd, s) > 0) {
  }
  if (!ready) {
    fprintf(stderr, "login did not complete\n");
    return 1;
  }
  printf("mechanism %s\n", xmppim_sasl_mechanism_name(xmppim_session_mechanism(s)));
  xmppim_stanza *r = iq("get", "query", "jabber:iq:roster", NULL);
  xmppim_stanza *p = iq("get", "ping", "urn:xmpp:ping", xmppim_jid_domain(xmppim_session_jid(s)));
  xmppim_stanza *m, *body;
  xmppim_stanza_new(&m, NULL, "message", "jabber:client");
  xmppim_stanza_set_attr(m, "to", xmppim_jid_to_string(xmppim_session_jid(s)));
  xmppim_stanza_set_attr(m, "type", "chat");
  xmppim_stanza_add_child(m, "body", NULL, &body);
  xmppim_stanza_add_text(body, "interop echo", 12);
  if (xmppim_session_send_iq(s, r, on_answer, "roster") || xmppim_session_send_iq(s, p, on_answer, "ping") ||
      xmppim_session_send(s, m))
    return 1;
  xmppim_stanza_free(r);
  xmppim_stanza_free(p);
  xmppim_stanza_free(m);
  steps = 0;
  while (!(roster_ok && ping_ok && echo_ok) && steps++ < 50 && pump(fd, s) > 0) {
  }
  xmppim_session_close(s);
  steps = 0;
  while (!closed && steps++ < 50 && pump(fd, s) > 0) {
  }
  printf("roster %d, ping %d, echo %d, closed %d\n", roster_ok, ping_ok, echo_ok, closed);
  xmppim_session_free(s);
  close(fd);
  return roster_ok && ping_ok && echo_ok && closed ? 0 : 1;
}
