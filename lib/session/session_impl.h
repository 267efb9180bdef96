/*
 * The session object's insides, shared by the files of lib/session/:
 * session.c (bytes, time, output, closing, errors), client.c and server.c
 * (each role's negotiation), iq.c (request tracking), config.c (the
 * callbacks and options objects).
 */
#ifndef XMPPIM_SESSION_IMPL_H
#define XMPPIM_SESSION_IMPL_H

#include <stdint.h>
#include <xmppim/errors.h>
#include <xmppim/session.h>

#include "session/sasl/sasl.h"
#include "util/buf.h"
#include "xml/parser.h"

#define NS_CLIENT "jabber:client"
#define NS_STREAM_ERRORS "urn:ietf:params:xml:ns:xmpp-streams"
#define NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"
#define NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define NS_BIND "urn:ietf:params:xml:ns:xmpp-bind"
#define NS_SESSION "urn:ietf:params:xml:ns:xmpp-session"

struct xmppim_callbacks {
  xmppim_on_stanza_cb on_stanza;
  xmppim_on_ready_cb on_ready;
  xmppim_on_starttls_cb on_starttls;
  xmppim_on_stream_error_cb on_stream_error;
  xmppim_on_closed_cb on_closed;
  xmppim_on_auth_failed_cb on_auth_failed;
  xmppim_on_log_cb on_log;
  xmppim_sasl_plain_verify_cb sasl_plain;
  xmppim_sasl_scram_lookup_cb sasl_scram;
  xmppim_sasl_authorize_cb sasl_authorize;
  xmppim_on_bind_cb on_bind;
};

/* The settings a session keeps: the options object minus what a session
 * keeps in a form of its own (the extra stream features). */
typedef struct session_settings {
  size_t output_limit;
  size_t max_stanza_size;
  int require_tls; /* -1: the role's default */
  int allow_plain_without_tls;
  int allow_plain;
  uint64_t iq_timeout;
  unsigned max_pending_iqs;
  uint64_t keepalive;
  uint64_t close_timeout;
  char lang[36];
  unsigned max_auth_attempts;
  unsigned mechanisms; /* bit per xmppim_sasl_mechanism */
} session_settings;

/* Room for the extra stream features, pre-serialized and concatenated
 * (`<name xmlns='ns'/>` each, the namespace escaped), plus a NUL. */
#define OPTIONS_FEATURES_BYTES (XMPPIM_STREAM_FEATURES_MAX_BYTES + 1)

struct xmppim_options {
  session_settings set;
  unsigned feature_count;
  size_t features_len;
  char features[OPTIONS_FEATURES_BYTES];
};

/* Where the negotiation stands, finer than the public state. */
typedef enum {
  PHASE_AWAIT_HEADER,   /* our header sent (client) or not yet (server) */
  PHASE_AWAIT_FEATURES, /* client: header received */
  PHASE_AWAIT_PROCEED,  /* client: <starttls/> sent */
  PHASE_TLS,            /* handshake in the caller's hands */
  PHASE_NEGOTIATE,      /* server: features sent, waiting for the client's choice */
  PHASE_SASL,           /* exchange under way */
  PHASE_AWAIT_BIND,     /* client: bind IQ sent; server: waiting for it */
  PHASE_AWAIT_SESSION,  /* client: legacy session IQ sent */
  PHASE_READY,
  PHASE_CLOSING,
  PHASE_CLOSED
} session_phase;

typedef struct pending_iq {
  struct pending_iq *next;
  char id[40];
  uint64_t deadline; /* XMPPIM_NO_DEADLINE for none */
  xmppim_iq_cb fn;
  void *user_data;
} pending_iq;

struct xmppim_session {
  xmppim_mem mem;
  xmppim_role role;
  xmppim_callbacks cb;
  session_settings opt;
  void *user_data;

  xmppim_parser *parser;
  xmppim_buf out;
  size_t out_offset; /* bytes at the front of `out` already written */
  uint64_t bytes_sent;

  session_phase phase;
  int secure;
  int authenticated;
  int in_callback;
  int stop_feed; /* end this feed after the current element (STARTTLS) */
  int fatal;     /* the stream failed: feed refuses input */
  int close_sent; /* our </stream:stream> is out: nothing more may follow */
  int was_ready;  /* negotiation completed once: stanzas may be delivered */
  xmppim_stream_condition condition;
  char error_text[160];
  xmppim_stanza *peer_app_condition; /* copy of the peer's stream error detail */

  xmppim_sasl_channel_binding binding; /* copy, for SCRAM-PLUS */
  unsigned char binding_data[XMPPIM_SASL_CB_DATA_MAX];
  char binding_type[32];

  char stream_id[48];
  char peer_lang[36];
  xmppim_jid *account;   /* client: the configured JID; server: after SASL, the bare JID */
  xmppim_jid *bound;     /* the client's full JID once bound */
  char *domain;          /* server: our domain; client: the account's domain */
  xmppim_sasl_mechanism mechanism;

  /* client */
  char *password;
  int requested_resource; /* the account JID named a resource */
  int bind_retries;
  int session_wanted;     /* the server advertised a non-optional legacy session */
  xmppim_sasl_client *sasl_client;
  char bind_id[24];

  /* client: the informational features of the last <stream:features/>
   * after authentication, as "name\0ns\0" pairs, peer_features_len bytes
   * (NULL when none); freed on restart and free. */
  char *peer_features;
  size_t peer_features_len;

  /* server */
  char *features; /* the host's extra features, serialized; NULL for none */
  xmppim_sasl_server *sasl_server;
  unsigned offered;       /* bit per xmppim_sasl_mechanism offered in the features */
  int tls_offered;
  unsigned auth_failures;
  unsigned bind_failures;

  /* time and IQs */
  uint64_t now;
  uint64_t keepalive_at;
  uint64_t keepalive_sent_mark;
  uint64_t close_deadline;
  pending_iq *iqs;
  unsigned iq_count;
  uint64_t iq_counter;
  char iq_prefix[12];

  xmppim_stanza *delivering; /* for take_stanza */
  int delivering_taken;
};

/* session.c */
int xmppim_session_write(xmppim_session *s, const char *data, size_t len);
int xmppim_session_write_str(xmppim_session *s, const char *str);
int xmppim_session_write_stanza(xmppim_session *s, const xmppim_stanza *st);
int xmppim_session_write_attr(xmppim_session *s, const char *name, const char *value);
void xmppim_session_log(xmppim_session *s, xmppim_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void xmppim_session_fail(xmppim_session *s, xmppim_stream_condition cond, const char *text);
void xmppim_session_finish(xmppim_session *s, xmppim_stream_condition cond);
void xmppim_session_send_close(xmppim_session *s);
int xmppim_session_random_hex(char *out, size_t bytes);
long xmppim_session_version_major(const char *version, long *minor);
int xmppim_session_lang_ok(const char *lang);
int xmppim_session_send_sasl(xmppim_session *s, const char *element, const char *mechanism,
                             const unsigned char *payload, size_t len, int always_payload);
int xmppim_session_decode_sasl(xmppim_session *s, const xmppim_stanza *el, unsigned char **out,
                               size_t *len);
int xmppim_session_dispatch_stanza(xmppim_session *s, xmppim_stanza *st);
void xmppim_session_restart_parser(xmppim_session *s);
int xmppim_session_send_error_reply(xmppim_session *s, const xmppim_stanza *request,
                                    xmppim_stanza_condition condition);
int xmppim_session_become_ready(xmppim_session *s);

/* config.c */
void xmppim_session_settings_defaults(session_settings *o);

/* client.c / server.c */
int xmppim_client_open(xmppim_session *s);
int xmppim_client_on_header(xmppim_session *s, const xmppim_stream_header *h);
int xmppim_client_on_element(xmppim_session *s, xmppim_stanza *el);
int xmppim_server_on_header(xmppim_session *s, const xmppim_stream_header *h);
int xmppim_server_on_element(xmppim_session *s, xmppim_stanza *el);

/* iq.c */
int xmppim_iq_register(xmppim_session *s, const char *id, xmppim_iq_cb fn, void *ud);
int xmppim_iq_on_answer(xmppim_session *s, xmppim_stanza *iq); /* 1 when it was ours */
void xmppim_iq_forget(xmppim_session *s, const char *id);
void xmppim_iq_expire(xmppim_session *s);
void xmppim_iq_cancel_all(xmppim_session *s);
uint64_t xmppim_iq_next_deadline(const xmppim_session *s);
void xmppim_iq_new_id(xmppim_session *s, char *out, size_t cap);

#endif
