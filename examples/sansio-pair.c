/*
 * sansio-pair: a client session and a server session talking to each other
 * in memory, printing every byte each side sends through a full login and
 * one message. No socket, no thread, no clock: the bytes one session writes
 * are simply fed to the other. This is the whole API in miniature:
 *
 *   xmppim_session_output() + xmppim_session_consumed()   bytes out
 *   xmppim_session_feed()                                 bytes in
 *   callbacks                                             events
 *
 * Build: part of the project (meson), or on its own with
 *   cc sansio-pair.c $(pkg-config --cflags --libs xmppim)
 */
#include <stdio.h>
#include <string.h>
#include <xmppim.h>

/* The server's only account. A real server would keep salted SCRAM
 * credentials (see xmppim_scram_derive) instead of a password. */
static const char *const USER = "juliet", *const PASSWORD = "r0m30myr0m30";

static xmppim_sasl_condition lookup_scram(const char *user, xmppim_scram_hash hash,
                                          xmppim_scram_credentials *creds, void *ud) {
  (void)ud;
  if (strcmp(user, USER) != 0) return XMPPIM_SASL_COND_NOT_AUTHORIZED;
  static const unsigned char salt[16] = "sansio-pair-salt";
  return xmppim_scram_derive(creds, hash, PASSWORD, salt, sizeof(salt), 4096, NULL) == 0
             ? XMPPIM_SASL_COND_NONE
             : XMPPIM_SASL_COND_TEMPORARY_AUTH_FAILURE;
}

static void on_ready(xmppim_session *s, const xmppim_jid *jid, void *ud) {
  printf("\n== %s side ready: %s\n", (const char *)ud, xmppim_jid_to_string(jid));
  (void)s;
}

static int on_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  (void)s;
  printf("\n== %s side received a <%s/> from %s\n", (const char *)ud, xmppim_stanza_name(st),
         xmppim_stanza_attr(st, "from") ? xmppim_stanza_attr(st, "from") : "the server");
  return 0;
}

/* Moves everything `from` has written into `to`, printing it. Returns the
 * number of bytes moved, so the caller knows when both sides are quiet. */
static size_t transfer(xmppim_session *from, xmppim_session *to, const char *label) {
  const char *data;
  size_t len = xmppim_session_output(from, &data);
  if (len == 0) return 0;
  /* A real program would write to a socket here; feed stands in for the
   * peer's read. It may take fewer bytes than offered (the rest stays in
   * `from` for the next round). */
  long used = xmppim_session_feed(to, data, len);
  printf("\n%s %.*s\n", label, (int)(used < 0 ? (long)len : used), data);
  if (used < 0) {
    fprintf(stderr, "feed failed: %s\n", xmppim_strerror((int)used));
    used = (long)len;
  }
  xmppim_session_consumed(from, (size_t)used);
  return (size_t)used;
}

int main(void) {
  xmppim_callbacks *cb;
  xmppim_options *client_opt;
  if (xmppim_callbacks_new(&cb) || xmppim_options_new(&client_opt)) return 1;
  xmppim_callbacks_set_on_ready(cb, on_ready);
  xmppim_callbacks_set_on_stanza(cb, on_stanza);
  xmppim_callbacks_set_sasl_scram(cb, lookup_scram);
  /* In memory there is no TLS to negotiate; a real client keeps the
   * default, which refuses to authenticate without it. */
  xmppim_options_set_require_tls(client_opt, 0);

  xmppim_session *server, *client;
  if (xmppim_session_server_new(&server, "example.com", cb, "server", NULL, NULL) ||
      xmppim_session_client_new(&client, "juliet@example.com/balcony", PASSWORD, cb, "client",
                                client_opt, NULL))
    return 1;
  xmppim_callbacks_free(cb); /* each session keeps its own copy */
  xmppim_options_free(client_opt);

  while (transfer(client, server, "C:") + transfer(server, client, "S:") > 0) {
  }

  /* Once ready, stanzas flow: the server stamps the sender's full JID. */
  xmppim_stanza *msg, *body;
  xmppim_stanza_new(&msg, NULL, "message", "jabber:client");
  xmppim_stanza_set_attr(msg, "to", "romeo@example.net");
  xmppim_stanza_set_attr(msg, "type", "chat");
  xmppim_stanza_add_child(msg, "body", NULL, &body);
  xmppim_stanza_add_text(body, "Art thou not Romeo?", 19);
  xmppim_session_send(client, msg);
  xmppim_stanza_free(msg);
  xmppim_session_close(client);
  while (transfer(client, server, "C:") + transfer(server, client, "S:") > 0) {
  }

  int ok = xmppim_session_state_get(client) == XMPPIM_STATE_CLOSED;
  printf("\n== login %s, mechanism %s\n", ok ? "and close complete" : "FAILED",
         xmppim_sasl_mechanism_name(xmppim_session_mechanism(client)));
  xmppim_session_free(client);
  xmppim_session_free(server);
  return ok ? 0 : 1;
}
