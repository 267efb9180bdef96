/*
 * Interop: libstrophe (the C library under Profanity) logs in to
 * xmppim-server as Profanity would: STARTTLS required, the server's
 * self-signed certificate trusted by hand (Profanity's "tls trust"), SASL
 * as libstrophe chooses it, then initial presence, a roster get, and a chat
 * message to its own bare JID that must come back. Exit 0 when it did.
 *
 * usage: strophe_login PORT JID PASSWORD
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>

static int roster_ok, echoed;

static int on_message(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud) {
  xmpp_ctx_t *ctx = ud;
  char *body = xmpp_message_get_body(st);
  if (body && strcmp(body, "hello through libstrophe") == 0) {
    echoed = 1;
    printf("the message came back\n");
    xmpp_disconnect(conn);
  }
  if (body) xmpp_free(ctx, body);
  return 1;
}

static int on_roster(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud) {
  xmpp_ctx_t *ctx = ud;
  const char *type = xmpp_stanza_get_type(st);
  roster_ok = type && strcmp(type, "result") == 0;
  printf("roster %s\n", roster_ok ? "received" : "refused");
  /* Then the message to our own bare JID (RFC 6121 8.5.2.1.1). */
  char *self = xmpp_jid_bare(ctx, xmpp_conn_get_bound_jid(conn));
  xmpp_stanza_t *m = xmpp_message_new(ctx, "chat", self, "m1");
  xmpp_free(ctx, self);
  xmpp_message_set_body(m, "hello through libstrophe");
  xmpp_send(conn, m);
  xmpp_stanza_release(m);
  return 0;
}

static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t event, int error,
                    xmpp_stream_error_t *stream_error, void *ud) {
  xmpp_ctx_t *ctx = ud;
  (void)stream_error;
  if (event != XMPP_CONN_CONNECT) {
    printf("disconnected (error %d)\n", error);
    xmpp_stop(ctx);
    return;
  }
  printf("logged in as %s, TLS %s\n", xmpp_conn_get_bound_jid(conn),
         xmpp_conn_is_secured(conn) ? "on" : "off");
  if (!xmpp_conn_is_secured(conn)) {
    xmpp_disconnect(conn);
    return;
  }
  xmpp_handler_add(conn, on_message, NULL, "message", NULL, ctx);
  xmpp_stanza_t *presence = xmpp_presence_new(ctx);
  xmpp_send(conn, presence);
  xmpp_stanza_release(presence);
  xmpp_stanza_t *iq = xmpp_iq_new(ctx, "get", "roster1");
  xmpp_stanza_t *query = xmpp_stanza_new(ctx);
  xmpp_stanza_set_name(query, "query");
  xmpp_stanza_set_ns(query, "jabber:iq:roster");
  xmpp_stanza_add_child(iq, query);
  xmpp_stanza_release(query);
  xmpp_id_handler_add(conn, on_roster, "roster1", ctx);
  xmpp_send(conn, iq);
  xmpp_stanza_release(iq);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s PORT JID PASSWORD\n", argv[0]);
    return 2;
  }
  xmpp_initialize();
  xmpp_log_t *log = getenv("STROPHE_DEBUG") ? xmpp_get_default_logger(XMPP_LEVEL_DEBUG) : NULL;
  xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, log);
  xmpp_conn_t *conn = xmpp_conn_new(ctx);
  xmpp_conn_set_flags(conn, XMPP_CONN_FLAG_MANDATORY_TLS | XMPP_CONN_FLAG_TRUST_TLS);
  xmpp_conn_set_jid(conn, argv[2]);
  xmpp_conn_set_pass(conn, argv[3]);
  if (xmpp_connect_client(conn, "127.0.0.1", (unsigned short)atoi(argv[1]), on_conn, ctx) != XMPP_EOK) {
    fprintf(stderr, "cannot start connecting\n");
    return 1;
  }
  xmpp_run(ctx);
  xmpp_conn_release(conn);
  xmpp_ctx_free(ctx);
  xmpp_shutdown();
  return roster_ok && echoed ? 0 : 1;
}
