/*
 * Chat sessions (RFC 6121 section 5.1) over a client and a server session
 * wired in memory. The contact and its server are played by hand: the
 * server session sends the contact's messages and presence to the client
 * with the contact's 'from', and keeps copies of what the client sent.
 * Requirement IDs (R5.*) are in the test names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <xmppim.h>

#include "failing_mem.h"

/* Internal (hidden) function of lib/im/chat.c, reached through xmppim_core. */
void xmppim_chat_thread_fallback(unsigned char raw[16], const char *stream_id, uint64_t counter);

#define ACCOUNT "juliet@example.com/balcony"
#define PASSWORD "r0m30myr0m30"
#define ROMEO "romeo@example.net"
#define ORCHARD ROMEO "/orchard"
#define GARDEN ROMEO "/garden"

#define MAX_GOT 32

typedef struct harness {
  xmppim_session *client, *server;
  xmppim_chat *chat;
  xmppim_stanza *got[MAX_GOT]; /* what the server received */
  int ngot;
  int last_rv; /* xmppim_chat_handle_stanza() on the last client stanza */
  int messages, errors, locks;
  xmppim_chat_message msg; /* the last, its strings copied below */
  char msg_contact[256], msg_from[256], msg_body[256], msg_body_lang[64], msg_subject[256],
      msg_thread[256], msg_parent[256];
  int msg_has_body, msg_has_thread, composing;
  char err_contact[256], err_from[256];
  xmppim_stanza_condition err_cond;
  char lock_contact[256], lock_to[256];
  int lock_null;
  void (*in_message)(struct harness *h, const xmppim_chat_message *m);
} harness;

static void copy(char *dst, size_t cap, const char *s) { snprintf(dst, cap, "%s", s ? s : ""); }

static void on_message(xmppim_chat *c, const xmppim_chat_message *m, void *ud) {
  (void)c;
  harness *h = ud;
  h->messages++;
  h->msg = *m;
  copy(h->msg_contact, sizeof(h->msg_contact), m->contact);
  copy(h->msg_from, sizeof(h->msg_from), m->from);
  copy(h->msg_body, sizeof(h->msg_body), m->body);
  copy(h->msg_body_lang, sizeof(h->msg_body_lang), m->body_lang);
  copy(h->msg_subject, sizeof(h->msg_subject), m->subject);
  copy(h->msg_thread, sizeof(h->msg_thread), m->thread);
  copy(h->msg_parent, sizeof(h->msg_parent), m->thread_parent);
  h->msg_has_body = m->body != NULL;
  h->msg_has_thread = m->thread != NULL;
  if (h->in_message) h->in_message(h, m);
}

static void on_error(xmppim_chat *c, const char *contact, const char *from,
                     const xmppim_stanza_error_info *e, const xmppim_stanza *st, void *ud) {
  (void)c;
  harness *h = ud;
  assert_non_null(st);
  h->errors++;
  copy(h->err_contact, sizeof(h->err_contact), contact);
  copy(h->err_from, sizeof(h->err_from), from);
  h->err_cond = e->condition;
}

static void on_lock(xmppim_chat *c, const char *contact, const char *full, void *ud) {
  (void)c;
  harness *h = ud;
  h->locks++;
  copy(h->lock_contact, sizeof(h->lock_contact), contact);
  copy(h->lock_to, sizeof(h->lock_to), full);
  h->lock_null = full == NULL;
}

static int on_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  harness *h = ud;
  if (s == h->server) {
    if (h->ngot < MAX_GOT) assert_int_equal(xmppim_stanza_copy(&h->got[h->ngot++], st, NULL), 0);
    return 0;
  }
  h->last_rv = xmppim_chat_handle_stanza(h->chat, st);
  return 0; /* keep the stream up whatever happened, the tests look at last_rv */
}

static xmppim_sasl_condition check_plain(const char *authcid, const char *password,
                                         const char *authzid, void *ud) {
  (void)ud;
  (void)authzid;
  return strcmp(authcid, "juliet") == 0 && strcmp(password, PASSWORD) == 0
             ? XMPPIM_SASL_COND_NONE
             : XMPPIM_SASL_COND_NOT_AUTHORIZED;
}

static size_t move(xmppim_session *from, xmppim_session *to) {
  const char *data;
  size_t n = xmppim_session_output(from, &data);
  if (!n) return 0;
  long used = xmppim_session_feed(to, data, n);
  if (used < 0) used = (long)n;
  xmppim_session_consumed(from, (size_t)used);
  return (size_t)used;
}

static void pump(harness *h) {
  for (int i = 0; i < 1000; i++)
    if (move(h->client, h->server) + move(h->server, h->client) == 0) break;
}

static const xmppim_chat_callbacks chat_cb = {on_message, on_error, on_lock};

/* Sessions only; ready when @p ready. */
static void sessions_init(harness *h, int ready) {
  memset(h, 0, sizeof(*h));
  xmppim_callbacks *cb;
  xmppim_options *co, *so;
  assert_int_equal(xmppim_callbacks_new(&cb), 0);
  xmppim_callbacks_set_on_stanza(cb, on_stanza);
  xmppim_callbacks_set_sasl_plain(cb, check_plain);
  assert_int_equal(xmppim_options_new(&co), 0);
  assert_int_equal(xmppim_options_new(&so), 0);
  assert_int_equal(xmppim_options_set_require_tls(co, 0), 0);
  assert_int_equal(xmppim_options_set_allow_plain_without_tls(co, 1), 0);
  assert_int_equal(xmppim_options_set_allow_plain_without_tls(so, 1), 0);
  assert_int_equal(xmppim_session_server_new(&h->server, "example.com", cb, h, so, NULL), 0);
  assert_int_equal(xmppim_session_client_new(&h->client, ACCOUNT, PASSWORD, cb, h, co, NULL), 0);
  xmppim_callbacks_free(cb);
  xmppim_options_free(co);
  xmppim_options_free(so);
  if (ready) {
    pump(h);
    assert_int_equal(xmppim_session_state_get(h->client), XMPPIM_STATE_READY);
  }
}

static void harness_init(harness *h, const xmppim_mem *mem) {
  sessions_init(h, 1);
  assert_int_equal(xmppim_chat_new(&h->chat, h->client, &chat_cb, h, mem), 0);
}

static void got_clear(harness *h) {
  for (int i = 0; i < h->ngot; i++) xmppim_stanza_free(h->got[i]);
  h->ngot = 0;
}

static void harness_free(harness *h) {
  got_clear(h);
  xmppim_chat_free(h->chat);
  xmppim_session_free(h->client);
  xmppim_session_free(h->server);
}

/* The contact's side: the server sends @p xml to the client. Returns what
 * the chat said about it. */
static int deliver(harness *h, const char *xml) {
  xmppim_stanza *st;
  assert_int_equal(xmppim_stanza_parse(&st, xml, strlen(xml), NULL, NULL), 0);
  h->last_rv = -12345;
  assert_int_equal(xmppim_session_send(h->server, st), 0);
  xmppim_stanza_free(st);
  pump(h);
  assert_int_not_equal(h->last_rv, -12345);
  return h->last_rv;
}

/* Sends and returns the message as the server received it. */
static xmppim_stanza *send_and_get(harness *h, const char *to, const char *body) {
  got_clear(h);
  assert_int_equal(xmppim_chat_send(h->chat, to, body, NULL), 0);
  pump(h);
  assert_int_equal(h->ngot, 1);
  return h->got[0];
}

static int is_hex32(const char *s) {
  if (!s || strlen(s) != 32) return 0;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return 0;
  return 1;
}

#define FROM_ORCHARD "<message xmlns='jabber:client' from='" ORCHARD "' to='" ACCOUNT "' type='chat'>"
#define FROM_GARDEN "<message xmlns='jabber:client' from='" GARDEN "' to='" ACCOUNT "' type='chat'>"

/* ---- sending ---- */

/* R5.1-a, R5.1-c, R5.1-e, R5.2.1-b: the first message of a chat is of type
 * chat, carries a new thread and goes to the bare JID, even when the
 * caller named a full one. */
static void R5_1_a_c_e_first_message_to_bare_jid_with_thread(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  xmppim_stanza *m = send_and_get(&h, "Romeo@Example.NET/orchard", "Art thou not Romeo?");
  assert_string_equal(xmppim_stanza_attr(m, "to"), ROMEO);
  assert_string_equal(xmppim_stanza_attr(m, "type"), "chat");
  assert_string_equal(xmppim_message_body(m, NULL, NULL, NULL), "Art thou not Romeo?");
  const char *thread = xmppim_message_thread(m, NULL);
  assert_true(is_hex32(thread));
  assert_int_equal(xmppim_message_check(m, NULL), 0);
  assert_string_equal(xmppim_chat_thread(h.chat, ROMEO), thread);
  assert_null(xmppim_chat_locked_to(h.chat, ROMEO));
  assert_int_equal(xmppim_chat_count(h.chat), 1);
  assert_int_equal(h.locks, 0);
  harness_free(&h);
}

/* R5.1-k: presence sharing is the user's switch, off by default, global
 * or per contact; R5.1-j: when on, the first message of a conversation
 * follows an available presence directed to the contact (once); R5.1-l:
 * ending the conversation sends the directed unavailable. */
static void R5_1_j_k_l_presence_shared_only_when_chosen(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  /* Off: one stanza, the message. */
  send_and_get(&h, ROMEO, "one");
  assert_int_equal(xmppim_chat_end(h.chat, ROMEO), 0);
  pump(&h);
  assert_int_equal(h.ngot, 1);
  /* Chosen contacts only. */
  assert_int_equal(xmppim_chat_set_presence_sharing(h.chat, XMPPIM_CHAT_SHARE_CHOSEN), 0);
  assert_int_equal(xmppim_chat_share_with(h.chat, "Romeo@Example.NET/any", 1), 0);
  got_clear(&h);
  assert_int_equal(xmppim_chat_send(h.chat, "tybalt@example.com", "not you", NULL), 0);
  pump(&h);
  assert_int_equal(h.ngot, 1);
  got_clear(&h);
  assert_int_equal(xmppim_chat_send(h.chat, ROMEO, "two", NULL), 0);
  assert_int_equal(xmppim_chat_send(h.chat, ROMEO, "three", NULL), 0);
  pump(&h);
  assert_int_equal(h.ngot, 3);
  assert_string_equal(xmppim_stanza_name(h.got[0]), "presence");
  assert_string_equal(xmppim_stanza_attr(h.got[0], "to"), ROMEO);
  assert_null(xmppim_stanza_attr(h.got[0], "type"));
  assert_string_equal(xmppim_stanza_name(h.got[1]), "message");
  assert_string_equal(xmppim_stanza_name(h.got[2]), "message");
  got_clear(&h);
  assert_int_equal(xmppim_chat_end(h.chat, ROMEO), 0);
  pump(&h);
  assert_int_equal(h.ngot, 1);
  assert_string_equal(xmppim_stanza_attr(h.got[0], "type"), "unavailable");
  assert_string_equal(xmppim_stanza_attr(h.got[0], "to"), ROMEO);
  /* Unchosen again, or switched off: nothing. */
  assert_int_equal(xmppim_chat_share_with(h.chat, ROMEO, 0), 0);
  got_clear(&h);
  send_and_get(&h, ROMEO, "four");
  assert_int_equal(xmppim_chat_end(h.chat, ROMEO), 0);
  assert_int_equal(xmppim_chat_set_presence_sharing(h.chat, XMPPIM_CHAT_SHARE_ALL), 0);
  got_clear(&h);
  assert_int_equal(xmppim_chat_send(h.chat, "nurse@example.com", "five", NULL), 0);
  pump(&h);
  assert_int_equal(h.ngot, 2);
  /* R5.1-j is for parties without a subscription: a contact who already
   * gets the user's presence (From, in the attached roster) gets none. */
  xmppim_roster *r;
  assert_int_equal(xmppim_roster_client_new(&r, h.client, NULL, NULL, NULL), 0);
  const char *cache = "xmppim-roster 1\nver -\nitem =juliet@example.org 6 0 - 0\nend 1\n";
  assert_int_equal(xmppim_roster_load(r, cache, strlen(cache)), 0);
  xmppim_chat_set_roster(h.chat, r);
  got_clear(&h);
  assert_int_equal(xmppim_chat_send(h.chat, "juliet@example.org", "six", NULL), 0);
  pump(&h);
  assert_int_equal(h.ngot, 1);
  xmppim_chat_set_roster(h.chat, NULL);
  xmppim_roster_free(r);
  assert_int_equal(xmppim_chat_set_presence_sharing(h.chat, (xmppim_chat_sharing)7), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_chat_share_with(h.chat, "@bad", 1), XMPPIM_ERR_INVALID_ARGUMENT);
  harness_free(&h);
}

/* R5.1-f, R5.1-d: until a reply comes, messages keep going to the bare JID,
 * in the same thread. */
static void R5_1_d_f_bare_until_reply(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  xmppim_stanza *m = send_and_get(&h, ROMEO, "one");
  char thread[64];
  copy(thread, sizeof(thread), xmppim_message_thread(m, NULL));
  m = send_and_get(&h, ROMEO, "two");
  assert_string_equal(xmppim_stanza_attr(m, "to"), ROMEO);
  assert_string_equal(xmppim_message_thread(m, NULL), thread);
  /* A message from the bare JID is no reply from a resource. */
  assert_int_equal(deliver(&h, "<message xmlns='jabber:client' from='" ROMEO "' type='chat'>"
                               "<body>bare</body></message>"),
                   1);
  assert_int_equal(h.messages, 1);
  assert_string_equal(h.msg_from, ROMEO);
  assert_null(xmppim_chat_locked_to(h.chat, ROMEO));
  m = send_and_get(&h, ROMEO, "three");
  assert_string_equal(xmppim_stanza_attr(m, "to"), ROMEO);
  harness_free(&h);
}

/* R5.1-h, R5.2.1-c: once the contact answers from a full JID, the
 * conversation locks to it; the thread stays. */
static void R5_1_h_lock_on_reply_from_full_jid(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  xmppim_stanza *m = send_and_get(&h, ROMEO, "Art thou not Romeo?");
  char thread[64], xml[1024];
  copy(thread, sizeof(thread), xmppim_message_thread(m, NULL));
  snprintf(xml, sizeof(xml), FROM_ORCHARD "<body>Neither, fair saint.</body><thread>%s</thread></message>",
           thread);
  assert_int_equal(deliver(&h, xml), 1);
  assert_int_equal(h.locks, 1);
  assert_string_equal(h.lock_contact, ROMEO);
  assert_string_equal(h.lock_to, ORCHARD);
  assert_string_equal(xmppim_chat_locked_to(h.chat, ROMEO), ORCHARD);
  assert_string_equal(xmppim_chat_locked_to(h.chat, GARDEN), ORCHARD); /* any JID of the contact */
  assert_int_equal(h.messages, 1);
  assert_string_equal(h.msg_contact, ROMEO);
  assert_string_equal(h.msg_from, ORCHARD);
  assert_string_equal(h.msg_body, "Neither, fair saint.");
  assert_string_equal(h.msg_thread, thread);
  assert_int_equal(h.msg.type, XMPPIM_MESSAGE_CHAT);
  assert_int_equal(h.msg.flaws, 0);
  m = send_and_get(&h, ROMEO, "What man art thou?");
  assert_string_equal(xmppim_stanza_attr(m, "to"), ORCHARD);
  assert_string_equal(xmppim_message_thread(m, NULL), thread);
  /* More from the same resource: no new lock. */
  assert_int_equal(deliver(&h, FROM_ORCHARD "<body>again</body></message>"), 1);
  assert_int_equal(h.locks, 1);
  assert_string_equal(xmppim_chat_thread(h.chat, ROMEO), thread); /* no thread: kept */
  harness_free(&h);
}

/* R5.1-b, R5.1-d, R5.1-g, R5.2.1-c: the contact starts; the reply is of
 * type chat, goes to the full JID the message came from, in its thread. */
static void R5_1_b_d_g_reply_to_full_jid_in_contacts_thread(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  assert_int_equal(deliver(&h, FROM_ORCHARD "<body>Juliet?</body>"
                               "<thread parent='older-thread'>e0ffe42b28561960c6b12b944a092794b9683a38</thread>"
                               "</message>"),
                   1);
  assert_int_equal(h.messages, 1);
  assert_string_equal(h.msg_parent, "older-thread");
  assert_string_equal(xmppim_chat_locked_to(h.chat, ROMEO), ORCHARD);
  xmppim_stanza *m = send_and_get(&h, h.msg_from, "Romeo!");
  assert_string_equal(xmppim_stanza_attr(m, "to"), ORCHARD);
  assert_string_equal(xmppim_stanza_attr(m, "type"), "chat");
  const char *parent = "x";
  assert_string_equal(xmppim_message_thread(m, &parent), "e0ffe42b28561960c6b12b944a092794b9683a38");
  assert_null(parent); /* the conversation's thread, not a branch of it */
  harness_free(&h);
}

/* R5.1-d: a new thread from the contact becomes the conversation's; one
 * that is not an NMTOKEN is reported but never sent back (R5.2.5-e). */
static void R5_1_d_contacts_thread_taken_when_valid(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  xmppim_stanza *m = send_and_get(&h, ROMEO, "hi");
  char mine[64];
  copy(mine, sizeof(mine), xmppim_message_thread(m, NULL));
  assert_int_equal(deliver(&h, FROM_ORCHARD "<body>new</body><thread>his-thread</thread></message>"), 1);
  assert_string_equal(xmppim_chat_thread(h.chat, ROMEO), "his-thread");
  assert_int_equal(deliver(&h, FROM_ORCHARD "<body>bad</body><thread>not a token</thread></message>"), 1);
  assert_string_equal(h.msg_thread, "not a token");
  assert_int_equal(h.msg.flaws, XMPPIM_MESSAGE_FLAW_BAD_THREAD);
  assert_string_equal(xmppim_chat_thread(h.chat, ROMEO), "his-thread");
  m = send_and_get(&h, ROMEO, "reply");
  assert_string_equal(xmppim_message_thread(m, NULL), "his-thread");
  assert_int_equal(xmppim_message_check(m, NULL), 0);
  /* A contact that starts without a thread: ours is made for the reply (R5.1-c). */
  assert_int_equal(deliver(&h, "<message xmlns='jabber:client' from='nurse@example.com/kitchen' "
                               "type='chat'><body>Madam!</body></message>"),
                   1);
  assert_null(xmppim_chat_thread(h.chat, "nurse@example.com"));
  assert_int_equal(h.msg_has_thread, 0);
  m = send_and_get(&h, "nurse@example.com", "Anon!");
  assert_string_equal(xmppim_stanza_attr(m, "to"), "nurse@example.com/kitchen");
  assert_true(is_hex32(xmppim_message_thread(m, NULL)));
  harness_free(&h);
}

/* ---- unlocking (R5.1-i) ---- */

static void lock_to_orchard(harness *h) {
  assert_int_equal(deliver(h, FROM_ORCHARD "<body>hi</body><thread>t1</thread></message>"), 1);
  assert_string_equal(xmppim_chat_locked_to(h->chat, ROMEO), ORCHARD);
  h->locks = 0;
}

/* R5.1-i: any presence from the locked resource unlocks: an update as
 * well as unavailable. Presence is never taken. */
static void R5_1_i_presence_from_locked_resource_unlocks(void **state) {
  (void)state;
  static const char *presences[] = {
      "<presence xmlns='jabber:client' from='" ORCHARD "'><show>away</show></presence>",
      "<presence xmlns='jabber:client' from='" ORCHARD "' type='unavailable'/>",
  };
  for (int i = 0; i < 2; i++) {
    harness h;
    harness_init(&h, NULL);
    lock_to_orchard(&h);
    assert_int_equal(deliver(&h, presences[i]), 0);
    assert_null(xmppim_chat_locked_to(h.chat, ROMEO));
    assert_int_equal(h.locks, 1);
    assert_int_equal(h.lock_null, 1);
    assert_string_equal(h.lock_contact, ROMEO);
    xmppim_stanza *m = send_and_get(&h, ROMEO, "still there?");
    assert_string_equal(xmppim_stanza_attr(m, "to"), ROMEO);
    assert_string_equal(xmppim_message_thread(m, NULL), "t1"); /* the thread stays */
    /* Until a message comes from one of the contact's full JIDs. */
    assert_int_equal(deliver(&h, FROM_GARDEN "<body>here</body></message>"), 1);
    assert_string_equal(xmppim_chat_locked_to(h.chat, ROMEO), GARDEN);
    harness_free(&h);
  }
}

/* R5.1-i: presence from another resource of the contact unlocks; presence
 * from the bare JID (subscription stanzas) or from someone else does not. */
static void R5_1_i_presence_from_other_resource_unlocks(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  lock_to_orchard(&h);
  assert_int_equal(deliver(&h, "<presence xmlns='jabber:client' from='" ROMEO "' type='subscribed'/>"), 0);
  assert_int_equal(deliver(&h, "<presence xmlns='jabber:client' from='nurse@example.com/kitchen'/>"), 0);
  assert_string_equal(xmppim_chat_locked_to(h.chat, ROMEO), ORCHARD);
  assert_int_equal(h.locks, 0);
  assert_int_equal(deliver(&h, "<presence xmlns='jabber:client' from='" GARDEN "'/>"), 0);
  assert_null(xmppim_chat_locked_to(h.chat, ROMEO));
  assert_int_equal(h.locks, 1);
  /* Nothing locked: presence is not even parsed, and changes nothing. */
  assert_int_equal(deliver(&h, "<presence xmlns='jabber:client' from='" GARDEN "'/>"), 0);
  assert_int_equal(h.locks, 1);
  harness_free(&h);
}

/* R5.1-i then R5.1-h: a chat message from another resource unlocks and,
 * coming from a full JID, locks to that resource. */
static void R5_1_i_message_from_other_resource_moves_lock(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  lock_to_orchard(&h);
  assert_int_equal(deliver(&h, FROM_GARDEN "<body>from the garden</body></message>"), 1);
  assert_string_equal(xmppim_chat_locked_to(h.chat, ROMEO), GARDEN);
  assert_int_equal(h.locks, 1);
  assert_string_equal(h.lock_to, GARDEN);
  xmppim_stanza *m = send_and_get(&h, ROMEO, "to the garden");
  assert_string_equal(xmppim_stanza_attr(m, "to"), GARDEN);
  harness_free(&h);
}

/* R5.1-i: messages the chat does not take (headline, normal by default)
 * from another resource unlock without locking; from the locked resource
 * they change nothing. Groupchat is never looked at. */
static void R5_1_i_other_messages_from_other_resource_unlock(void **state) {
  (void)state;
  static const char *types[] = {"headline", "normal"};
  for (int i = 0; i < 2; i++) {
    harness h;
    harness_init(&h, NULL);
    lock_to_orchard(&h);
    char xml[512];
    snprintf(xml, sizeof(xml),
             "<message xmlns='jabber:client' from='" ORCHARD "' type='%s'><body>x</body></message>",
             types[i]);
    assert_int_equal(deliver(&h, xml), 0);
    assert_string_equal(xmppim_chat_locked_to(h.chat, ROMEO), ORCHARD);
    assert_int_equal(deliver(&h, "<message xmlns='jabber:client' from='" GARDEN
                                 "' type='groupchat'><body>x</body></message>"),
                     0);
    assert_string_equal(xmppim_chat_locked_to(h.chat, ROMEO), ORCHARD);
    snprintf(xml, sizeof(xml),
             "<message xmlns='jabber:client' from='" GARDEN "' type='%s'><body>x</body></message>",
             types[i]);
    assert_int_equal(deliver(&h, xml), 0);
    assert_null(xmppim_chat_locked_to(h.chat, ROMEO));
    assert_int_equal(h.messages, 1); /* only the chat message that locked */
    harness_free(&h);
  }
}

/* R5.2.2-d: an error message about the chat is reported (for the user to
 * see); from the locked resource it also unlocks (R5.2.1-c: it is likely
 * gone). An error from a stranger is the application's. */
static void R5_2_2_d_error_reported_and_unlocks(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  lock_to_orchard(&h);
  assert_int_equal(deliver(&h, "<message xmlns='jabber:client' from='" GARDEN "' type='error'>"
                               "<error type='cancel'><item-not-found "
                               "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"),
                   1);
  assert_int_equal(h.errors, 1);
  assert_int_equal(h.err_cond, XMPPIM_STANZA_COND_ITEM_NOT_FOUND);
  assert_string_equal(xmppim_chat_locked_to(h.chat, ROMEO), ORCHARD); /* not the locked one */
  assert_int_equal(deliver(&h, "<message xmlns='jabber:client' from='" ORCHARD "' type='error'>"
                               "<thread>t1</thread><error type='cancel'><service-unavailable "
                               "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"),
                   1);
  assert_int_equal(h.errors, 2);
  assert_int_equal(h.err_cond, XMPPIM_STANZA_COND_SERVICE_UNAVAILABLE);
  assert_string_equal(h.err_contact, ROMEO);
  assert_string_equal(h.err_from, ORCHARD);
  assert_null(xmppim_chat_locked_to(h.chat, ROMEO));
  assert_int_equal(h.locks, 1);
  assert_int_equal(h.lock_null, 1);
  assert_int_equal(h.messages, 1); /* errors are not messages */
  /* Without an <error/>: reported as undefined-condition. */
  assert_int_equal(deliver(&h, "<message xmlns='jabber:client' from='" ROMEO "' type='error'/>"), 1);
  assert_int_equal(h.errors, 3);
  assert_int_equal(h.err_cond, XMPPIM_STANZA_COND_UNDEFINED_CONDITION);
  /* No conversation with the sender: left to the application. */
  assert_int_equal(deliver(&h, "<message xmlns='jabber:client' from='tybalt@example.net/x' type='error'>"
                               "<error type='cancel'><service-unavailable "
                               "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"),
                   0);
  assert_int_equal(h.errors, 3);
  assert_int_equal(xmppim_chat_count(h.chat), 1);
  harness_free(&h);
}

/* R5.2.2-c, R5.2.2-i: normal messages (no or an unknown type included) are
 * standalone messages, left to the application unless it asks the chat
 * to take them; groupchat and headline never are. */
static void R5_2_2_i_normal_messages_taken_on_request(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  static const char *normal[] = {
      "<message xmlns='jabber:client' from='" ORCHARD "'><body>no type</body></message>",
      "<message xmlns='jabber:client' from='" ORCHARD "' type='normal'><body>normal</body></message>",
      "<message xmlns='jabber:client' from='" ORCHARD "' type='bogus'><body>bogus</body></message>",
  };
  for (int i = 0; i < 3; i++) assert_int_equal(deliver(&h, normal[i]), 0);
  assert_int_equal(xmppim_chat_count(h.chat), 0);
  assert_int_equal(deliver(&h, "<message xmlns='jabber:client' from='" ORCHARD
                               "' type='headline'><body>news</body></message>"),
                   0);
  assert_int_equal(deliver(&h, "<message xmlns='jabber:client' from='room@muc.example.net/romeo' "
                               "type='groupchat'><body>all</body></message>"),
                   0);
  assert_int_equal(xmppim_chat_count(h.chat), 0);
  assert_int_equal(h.messages, 0);
  xmppim_chat_set_accept_normal(h.chat, 1);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(deliver(&h, normal[i]), 1);
    assert_int_equal(h.msg.type, XMPPIM_MESSAGE_NORMAL);
  }
  assert_int_equal(h.messages, 3);
  assert_string_equal(h.msg_body, "bogus");
  assert_int_equal(h.msg.flaws, XMPPIM_MESSAGE_FLAW_BAD_TYPE);
  assert_string_equal(xmppim_chat_locked_to(h.chat, ROMEO), ORCHARD);
  /* The reply is chat all the same (R5.1-b). */
  xmppim_stanza *m = send_and_get(&h, ROMEO, "answer");
  assert_string_equal(xmppim_stanza_attr(m, "type"), "chat");
  xmppim_chat_set_accept_normal(h.chat, 0);
  assert_int_equal(deliver(&h, normal[1]), 0);
  /* Messages without from (the server, the account) are nobody's chat. */
  assert_int_equal(deliver(&h, "<message xmlns='jabber:client' type='chat'><body>x</body></message>"), 0);
  assert_int_equal(deliver(&h, "<message xmlns='jabber:client' from='not a jid@' type='chat'/>"), 0);
  assert_int_equal(deliver(&h, "<iq xmlns='jabber:client' from='" ORCHARD "' type='get' id='x'><query xmlns='urn:example:q'/></iq>"), 0);
  harness_free(&h);
}

/* ---- threads ---- */

/* R5.2.5-h, R5.2.5-i: generated thread IDs are 128 random bits, distinct
 * per conversation, with nothing of the user in them; the fallback too. */
static void R5_2_5_h_i_generated_thread_ids(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  char seen[8][64];
  static const char *contacts[] = {"romeo@example.net", "nurse@example.com", "tybalt@example.net"};
  int n = 0;
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < 3; i++) {
      xmppim_stanza *m = send_and_get(&h, contacts[i], "x");
      const char *t = xmppim_message_thread(m, NULL);
      assert_true(is_hex32(t));
      for (int k = 0; k < n; k++) assert_string_not_equal(seen[k], t);
      copy(seen[n++], sizeof(seen[0]), t);
      assert_null(strstr(t, xmppim_session_stream_id(h.client)));
      assert_int_equal(xmppim_chat_end(h.chat, contacts[i]), 0); /* the next starts anew */
    }
  }
  assert_int_equal(xmppim_chat_count(h.chat), 0);
  /* The fallback: distinct per counter, the stream ID hashed away. */
  unsigned char a[16], b[16];
  xmppim_chat_thread_fallback(a, "stream-id-0123", 1);
  xmppim_chat_thread_fallback(b, "stream-id-0123", 2);
  assert_memory_not_equal(a, b, 8);
  xmppim_chat_thread_fallback(b, "stream-id-0124", 1);
  assert_memory_not_equal(a, b, 8);
  xmppim_chat_thread_fallback(b, NULL, 1);
  assert_memory_not_equal(a, b, 8);
  harness_free(&h);
}

/* ---- the rest of the API ---- */

static void see_composing(harness *h, const xmppim_chat_message *m) {
  if (xmppim_stanza_find_child(m->stanza, "composing", "http://jabber.org/protocol/chatstates"))
    h->composing++;
}

/* R5.2.3-b on receipt: the body is picked for the chat's languages. */
static void R5_2_3_b_body_in_chat_language(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  const char *xml = "<message xmlns='jabber:client' from='" ORCHARD "' type='chat' xml:lang='en'>"
                    "<subject>S</subject><subject xml:lang='de'>T</subject>"
                    "<body>Wherefore art thou, Romeo?</body><body xml:lang='de'>Wo bist du, Romeo?</body></message>";
  assert_int_equal(deliver(&h, xml), 1);
  assert_string_equal(h.msg_body, "Wherefore art thou, Romeo?");
  assert_string_equal(h.msg_body_lang, "en");
  assert_int_equal(xmppim_chat_set_lang(h.chat, "de", "en"), 0);
  assert_int_equal(deliver(&h, xml), 1);
  assert_string_equal(h.msg_body, "Wo bist du, Romeo?");
  assert_string_equal(h.msg_body_lang, "de");
  assert_string_equal(h.msg_subject, "T");
  /* A chat state notification has no body; the stanza is there for extensions. */
  h.in_message = see_composing;
  assert_int_equal(deliver(&h, FROM_ORCHARD "<composing xmlns='http://jabber.org/protocol/chatstates'/>"
                               "</message>"),
                   1);
  assert_int_equal(h.msg_has_body, 0);
  assert_int_equal(h.composing, 1);
  assert_int_equal(xmppim_chat_set_lang(h.chat, NULL, NULL), 0);
  harness_free(&h);
}

/* R5.3-a: xmppim_chat_prepare() gives the message for the caller to extend. */
static void R5_3_a_prepare_with_extension(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  xmppim_stanza *m, *x;
  assert_int_equal(xmppim_chat_prepare(h.chat, ROMEO, "hi", "en", &m), 0);
  assert_int_equal(xmppim_stanza_add_child(m, "active", "http://jabber.org/protocol/chatstates", &x), 0);
  assert_int_equal(xmppim_session_send(h.client, m), 0);
  xmppim_stanza_free(m);
  pump(&h);
  assert_int_equal(h.ngot, 1);
  assert_non_null(xmppim_stanza_find_child(h.got[0], "active", "http://jabber.org/protocol/chatstates"));
  assert_string_equal(xmppim_message_thread(h.got[0], NULL), xmppim_chat_thread(h.chat, ROMEO));
  assert_string_equal(xmppim_stanza_attr_ns(h.got[0], XMPPIM_NS_XML, "lang"), "en");
  harness_free(&h);
}

/* A failed send keeps nothing: no conversation, no thread. */
static void chat_send_failure_keeps_nothing(void **state) {
  (void)state;
  harness h;
  sessions_init(&h, 0); /* not ready: the session refuses to send */
  assert_int_equal(xmppim_chat_new(&h.chat, h.client, &chat_cb, &h, NULL), 0);
  assert_int_equal(xmppim_chat_send(h.chat, ROMEO, "x", NULL), XMPPIM_ERR_INVALID_STATE);
  assert_int_equal(xmppim_chat_count(h.chat), 0);
  pump(&h);
  /* An existing conversation without a thread keeps none either. */
  xmppim_chat_set_accept_normal(h.chat, 1);
  assert_int_equal(deliver(&h, FROM_ORCHARD "<body>x</body></message>"), 1);
  assert_null(xmppim_chat_thread(h.chat, ROMEO));
  assert_int_equal(xmppim_session_close(h.client), 0);
  assert_int_equal(xmppim_chat_send(h.chat, ROMEO, "x", NULL), XMPPIM_ERR_INVALID_STATE);
  assert_null(xmppim_chat_thread(h.chat, ROMEO));
  assert_string_equal(xmppim_chat_locked_to(h.chat, ROMEO), ORCHARD);
  assert_int_equal(xmppim_chat_count(h.chat), 1);
  harness_free(&h);
}

/* Strangers can open conversations: the least recently used go past the cap. */
static void chat_conversation_cap(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  assert_int_equal(xmppim_chat_set_max_conversations(h.chat, 2), 0);
  assert_int_equal(xmppim_chat_send(h.chat, "a@example.net", "x", NULL), 0);
  assert_int_equal(xmppim_chat_send(h.chat, "b@example.net", "x", NULL), 0);
  assert_int_equal(xmppim_chat_send(h.chat, "a@example.net", "x", NULL), 0); /* a is the latest */
  assert_int_equal(deliver(&h, "<message xmlns='jabber:client' from='c@example.net/r' type='chat'/>"), 1);
  assert_int_equal(xmppim_chat_count(h.chat), 2);
  assert_null(xmppim_chat_thread(h.chat, "b@example.net"));
  assert_non_null(xmppim_chat_thread(h.chat, "a@example.net"));
  assert_string_equal(xmppim_chat_locked_to(h.chat, "c@example.net"), "c@example.net/r");
  assert_int_equal(xmppim_chat_set_max_conversations(h.chat, 1), 0); /* a goes */
  assert_int_equal(xmppim_chat_count(h.chat), 1);
  assert_null(xmppim_chat_thread(h.chat, "a@example.net"));
  /* The locked one evicted: presence no longer parsed, nothing to unlock. */
  assert_int_equal(xmppim_chat_send(h.chat, "d@example.net", "x", NULL), 0);
  assert_null(xmppim_chat_locked_to(h.chat, "c@example.net"));
  assert_int_equal(deliver(&h, "<presence xmlns='jabber:client' from='c@example.net/r'/>"), 0);
  assert_int_equal(h.locks, 1);
  assert_int_equal(xmppim_chat_set_max_conversations(h.chat, 0), XMPPIM_ERR_INVALID_ARGUMENT);
  harness_free(&h);
}

/* Callbacks may send and end conversations, the one reported included. */
static void end_in_callback(harness *h, const xmppim_chat_message *m) {
  assert_int_equal(xmppim_chat_end(h->chat, m->contact), 0);
  assert_int_equal(xmppim_chat_send(h->chat, "nurse@example.com", "busy", NULL), 0);
  assert_string_equal(m->contact, ROMEO); /* still readable */
  assert_string_equal(m->from, ORCHARD);
  assert_string_equal(m->thread, "t9");
}

static void chat_callbacks_may_change_the_chat(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  assert_int_equal(xmppim_chat_set_max_conversations(h.chat, 1), 0);
  h.in_message = end_in_callback;
  assert_int_equal(deliver(&h, FROM_ORCHARD "<body>x</body><thread>t9</thread></message>"), 1);
  assert_int_equal(h.messages, 1);
  assert_int_equal(xmppim_chat_count(h.chat), 1);
  assert_null(xmppim_chat_thread(h.chat, ROMEO));
  assert_non_null(xmppim_chat_thread(h.chat, "nurse@example.com"));
  harness_free(&h);
}

static void chat_arguments(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  xmppim_chat *c = (xmppim_chat *)1;
  assert_int_equal(xmppim_chat_new(NULL, h.client, NULL, NULL, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_chat_new(&c, NULL, NULL, NULL, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_null(c);
  assert_int_equal(xmppim_chat_new(&c, h.server, NULL, NULL, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_chat_new(&c, h.client, NULL, NULL, NULL), 0); /* no callbacks */
  assert_int_equal(xmppim_chat_send(c, ROMEO, "x", NULL), 0);
  xmppim_chat_free(c);
  xmppim_chat_free(NULL);
  xmppim_stanza *m;
  assert_int_equal(xmppim_chat_send(NULL, ROMEO, "x", NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_chat_send(h.chat, NULL, "x", NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_chat_send(h.chat, ROMEO, NULL, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_chat_send(h.chat, "@bad", "x", NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_chat_send(h.chat, ROMEO, "x", "b a d"), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_chat_send(h.chat, ROMEO, "\xFF", NULL), XMPPIM_ERR_BAD_UTF8);
  assert_int_equal(xmppim_chat_prepare(h.chat, ROMEO, "x", NULL, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_chat_count(h.chat), 0); /* nothing kept from refusals */
  assert_int_equal(xmppim_chat_prepare(NULL, ROMEO, "x", NULL, &m), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_chat_handle_stanza(NULL, NULL), 0);
  assert_int_equal(xmppim_chat_handle_stanza(h.chat, NULL), 0);
  assert_null(xmppim_chat_locked_to(NULL, ROMEO));
  assert_null(xmppim_chat_locked_to(h.chat, NULL));
  assert_null(xmppim_chat_locked_to(h.chat, "@bad"));
  assert_null(xmppim_chat_thread(h.chat, ROMEO));
  assert_int_equal(xmppim_chat_end(h.chat, ROMEO), XMPPIM_ERR_NOT_FOUND);
  assert_int_equal(xmppim_chat_end(h.chat, "@bad"), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_chat_end(NULL, ROMEO), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_chat_count(NULL), 0);
  assert_int_equal(xmppim_chat_set_lang(NULL, "en", NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_chat_set_lang(h.chat, "abcdefghijklmnopqrstuvwxyz0123456789", NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_chat_set_max_conversations(NULL, 3), XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_chat_set_accept_normal(NULL, 1);
  harness_free(&h);
}

/* Every allocation of the chat failing in turn: clean NOMEM, the chat as
 * it was, nothing reported for a message it could not take, no leak. */
static void chat_allocation_failures(void **state) {
  (void)state;
  int done = 0;
  for (long fail = 1; fail < 400 && !done; fail++) {
    failing_mem fm;
    failing_mem_init(&fm, 0);
    harness h;
    sessions_init(&h, 1);
    fm.fail_at = fail;
    int rv = xmppim_chat_new(&h.chat, h.client, &chat_cb, &h, &fm.mem);
    int failed = rv != 0;
    if (failed) assert_int_equal(rv, XMPPIM_ERR_NOMEM);
    if (!failed && (rv = xmppim_chat_set_lang(h.chat, "de", "en")) != 0) {
      assert_int_equal(rv, XMPPIM_ERR_NOMEM);
      failed = 1;
    }
    /* Start a conversation. */
    if (!failed && (rv = xmppim_chat_send(h.chat, ROMEO, "hi", NULL)) != 0) {
      assert_int_equal(rv, XMPPIM_ERR_NOMEM);
      assert_int_equal(xmppim_chat_count(h.chat), 0);
      failed = 1;
    }
    char thread[64] = "";
    if (!failed) copy(thread, sizeof(thread), xmppim_chat_thread(h.chat, ROMEO));
    /* The reply, with a new thread: lock and thread change together or not at all. */
    if (!failed) {
      rv = deliver(&h, FROM_ORCHARD "<body>x</body><thread>new-thread</thread></message>");
      if (rv != 1) {
        assert_int_equal(rv, XMPPIM_ERR_NOMEM);
        assert_null(xmppim_chat_locked_to(h.chat, ROMEO));
        assert_string_equal(xmppim_chat_thread(h.chat, ROMEO), thread);
        assert_int_equal(h.messages, 0);
        failed = 1;
      } else {
        assert_string_equal(xmppim_chat_locked_to(h.chat, ROMEO), ORCHARD);
        assert_string_equal(xmppim_chat_thread(h.chat, ROMEO), "new-thread");
      }
    }
    /* A new contact by message. */
    if (!failed) {
      rv = deliver(&h, "<message xmlns='jabber:client' from='nurse@example.com/k' type='chat'>"
                       "<thread>n1</thread></message>");
      if (rv != 1) {
        assert_int_equal(rv, XMPPIM_ERR_NOMEM);
        assert_int_equal(xmppim_chat_count(h.chat), 1);
        failed = 1;
      }
    }
    /* Presence and an error. */
    if (!failed) {
      rv = deliver(&h, "<presence xmlns='jabber:client' from='" GARDEN "'/>");
      if (rv != 0) {
        assert_int_equal(rv, XMPPIM_ERR_NOMEM);
        assert_string_equal(xmppim_chat_locked_to(h.chat, ROMEO), ORCHARD);
        failed = 1;
      }
    }
    if (!failed) {
      rv = deliver(&h, "<message xmlns='jabber:client' from='nurse@example.com/k' type='error'/>");
      if (rv != 1) {
        assert_int_equal(rv, XMPPIM_ERR_NOMEM);
        assert_string_equal(xmppim_chat_locked_to(h.chat, "nurse@example.com"), "nurse@example.com/k");
        failed = 1;
      }
    }
    /* A send to the locked conversation, prepare, end. */
    if (!failed && (rv = xmppim_chat_send(h.chat, "nurse@example.com", "x", NULL)) != 0) {
      assert_int_equal(rv, XMPPIM_ERR_NOMEM);
      failed = 1;
    }
    if (!failed) {
      xmppim_stanza *m;
      rv = xmppim_chat_prepare(h.chat, "tybalt@example.net", "x", NULL, &m);
      if (rv != 0) {
        assert_int_equal(rv, XMPPIM_ERR_NOMEM);
        assert_int_equal(xmppim_chat_count(h.chat), 2);
        failed = 1;
      } else {
        xmppim_stanza_free(m);
      }
    }
    if (!failed && (rv = xmppim_chat_end(h.chat, ROMEO)) != 0) {
      assert_int_equal(rv, XMPPIM_ERR_NOMEM);
      failed = 1;
    }
    harness_free(&h);
    assert_int_equal(fm.live, 0);
    if (!failed) done = 1;
  }
  assert_true(done);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(R5_1_a_c_e_first_message_to_bare_jid_with_thread),
    cmocka_unit_test(R5_1_j_k_l_presence_shared_only_when_chosen),
      cmocka_unit_test(R5_1_d_f_bare_until_reply),
      cmocka_unit_test(R5_1_h_lock_on_reply_from_full_jid),
      cmocka_unit_test(R5_1_b_d_g_reply_to_full_jid_in_contacts_thread),
      cmocka_unit_test(R5_1_d_contacts_thread_taken_when_valid),
      cmocka_unit_test(R5_1_i_presence_from_locked_resource_unlocks),
      cmocka_unit_test(R5_1_i_presence_from_other_resource_unlocks),
      cmocka_unit_test(R5_1_i_message_from_other_resource_moves_lock),
      cmocka_unit_test(R5_1_i_other_messages_from_other_resource_unlock),
      cmocka_unit_test(R5_2_2_d_error_reported_and_unlocks),
      cmocka_unit_test(R5_2_2_i_normal_messages_taken_on_request),
      cmocka_unit_test(R5_2_5_h_i_generated_thread_ids),
      cmocka_unit_test(R5_2_3_b_body_in_chat_language),
      cmocka_unit_test(R5_3_a_prepare_with_extension),
      cmocka_unit_test(chat_send_failure_keeps_nothing),
      cmocka_unit_test(chat_conversation_cap),
      cmocka_unit_test(chat_callbacks_may_change_the_chat),
      cmocka_unit_test(chat_arguments),
      cmocka_unit_test(chat_allocation_failures),
  };
  return cmocka_run_group_tests_name("chat", tests, NULL, NULL);
}
