/*
 * RFC 6121 section 7, the sample session, played end to end: one
 * xmppim_server with the in-memory store, Juliet's client session (with its
 * roster cache and an xmppim_chat) and the nurse's reached through real
 * client and server sessions in memory (tests/common/hub.c), and her remote
 * contacts played as their server would send their stanzas. Section 7 has
 * no requirements of its own; each step checks the stanzas the RFC shows
 * for it, exactly: what must arrive and what must not.
 *
 * Juliet's roster, left by an earlier session of hers:
 *   romeo@example.net     Both, name Romeo, group Friends (online: orchard)
 *   mercutio@example.org  From (he sees her)
 *   benvolio@example.org  To (she sees him; offline)
 *   tybalt@example.org    None + Pending Out (her request unanswered)
 *   nurse@example.com     Both, local (online: chamber)
 *
 * After the session, rules the library implements that no test checked,
 * found while the conformance matrix (doc/conformance.md) was completed:
 * C4.9.1.2-a with C4.9.1.3-a, C4.7.1-a, C10.3-a's hand-back of an IQ
 * without 'to', and the RFC 3921 session request (R1.4-a, RE-a, RE-b).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hub.h"
#include "pair.h"

#define JULIET "juliet@example.com"
#define BALCONY JULIET "/balcony"
#define NURSE "nurse@example.com"
#define CHAMBER NURSE "/chamber"
#define ROMEO "romeo@example.net"
#define ORCHARD ROMEO "/orchard"
#define MERCUTIO "mercutio@example.org"
#define BENVOLIO "benvolio@example.org"
#define TYBALT "tybalt@example.org"

#define N(c, ...) hub_count((c), __VA_ARGS__, (char *)NULL)
#define NS(c, ...) hub_count_server((c), __VA_ARGS__, (char *)NULL)
#define R(h, ...) routed_count((h), __VA_ARGS__, (char *)NULL)

static int lines(const hub_client *c) { return hub_count(c, (char *)NULL); }

static int routed_count(const hub *h, ...) {
  int n = 0;
  for (size_t i = 0; i < h->nrouted; i++) {
    va_list ap;
    va_start(ap, h);
    int all = 1;
    for (const char *p = va_arg(ap, const char *); p; p = va_arg(ap, const char *))
      if (!strstr(h->routed[i], p)) all = 0;
    va_end(ap);
    n += all;
  }
  return n;
}

static void routed_reset(hub *h) {
  for (size_t i = 0; i < h->nrouted; i++) free(h->routed[i]);
  h->nrouted = 0;
}

/* A stanza from a remote contact, as its server hands it over. */
static void remotef(hub *h, const char *fmt, ...) {
  char buf[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  assert_int_equal(hub_remote(h, buf), 1);
}

/* ---- Juliet's chat: the hub's client hands stanzas to its roster only, so
 * what her session delivered is offered to the chat from her log, in order,
 * as an application's on_stanza would offer it. ---- */

typedef struct chat_seen {
  int messages;
  char body[256];
  char from[128];
  char thread[128];
} chat_seen;

static void on_chat_message(xmppim_chat *c, const xmppim_chat_message *msg, void *ud) {
  (void)c;
  chat_seen *seen = ud;
  seen->messages++;
  snprintf(seen->body, sizeof(seen->body), "%s", msg->body ? msg->body : "");
  snprintf(seen->from, sizeof(seen->from), "%s", msg->from);
  snprintf(seen->thread, sizeof(seen->thread), "%s", msg->thread ? msg->thread : "");
}

/* Offers every line of c's log from *offset on to the chat. */
static void offer_log(xmppim_chat *chat, const hub_client *c, size_t *offset) {
  while (*offset < c->log_len) {
    const char *line = c->log + *offset;
    size_t len = strcspn(line, "\n");
    size_t name_end = strcspn(line, " />");
    char buf[8192];
    assert_true(len + 32 < sizeof(buf));
    snprintf(buf, sizeof(buf), "%.*s xmlns='jabber:client'%.*s", (int)name_end, line, (int)(len - name_end),
             line + name_end);
    xmppim_stanza *st;
    assert_int_equal(xmppim_stanza_parse(&st, buf, strlen(buf), NULL, NULL), 0);
    assert_true(xmppim_chat_handle_stanza(chat, st) >= 0);
    xmppim_stanza_free(st);
    *offset += len + 1;
  }
}

/* ---- the world before the session ---- */

/* Juliet's earlier session leaves her roster as the file comment lists it;
 * the nurse is online. Everything logged or routed so far is dropped. */
static void world_before(hub *h, hub_client **nurse) {
  hub_init(h, NULL);
  hub_add_user(h, JULIET);
  hub_add_user(h, NURSE);
  hub_client *earlier = hub_connect(h, "juliet", "earlier", 1);
  *nurse = hub_connect(h, "nurse", "chamber", 0);

  const char *friends[] = {"Friends"};
  assert_int_equal(xmppim_roster_set_item(earlier->roster, ROMEO, "Romeo", friends, 1), 0);
  hub_pump(h);
  hub_send(h, earlier, "<presence type='subscribe' to='" ROMEO "'/>");
  remotef(h, "<presence type='subscribed' from='" ROMEO "' to='" JULIET "'/>");
  remotef(h, "<presence type='subscribe' from='" ROMEO "' to='" JULIET "'/>");
  hub_send(h, earlier, "<presence type='subscribed' to='" ROMEO "'/>");
  remotef(h, "<presence type='subscribe' from='" MERCUTIO "' to='" JULIET "'/>");
  hub_send(h, earlier, "<presence type='subscribed' to='" MERCUTIO "'/>");
  hub_send(h, earlier, "<presence type='subscribe' to='" BENVOLIO "'/>");
  remotef(h, "<presence type='subscribed' from='" BENVOLIO "' to='" JULIET "'/>");
  hub_send(h, earlier, "<presence type='subscribe' to='" TYBALT "'/>");
  hub_send(h, earlier, "<presence type='subscribe' to='" NURSE "'/>");
  hub_send(h, *nurse, "<presence type='subscribed' to='" JULIET "'/>");
  hub_send(h, *nurse, "<presence type='subscribe' to='" JULIET "'/>");
  hub_send(h, earlier, "<presence type='subscribed' to='" NURSE "'/>");
  hub_disconnect(h, earlier);

  hub_send(h, *nurse, "<presence><show>away</show><status>at the gate</status></presence>");
  hub_clear_log(*nurse);
  routed_reset(h);
}

/* ---- the session ---- */

/*
 * Juliet logs in (bound to juliet@example.com/balcony) and asks
 * for her roster: one result, every item in its state (ask='subscribe' on
 * the unanswered request, name and group kept), nothing else sent.
 */
static hub_client *login_and_roster(hub *h) {
  hub_client *j = hub_connect(h, "juliet", "balcony", 0);
  assert_string_equal(j->jid, BALCONY);
  assert_int_equal(xmppim_roster_request(j->roster), 0);
  hub_pump(h);
  assert_true(j->roster_done);
  assert_int_equal(NS(j, "<iq ", "type='result'", "<query xmlns='jabber:iq:roster'"), 1);
  assert_int_equal(NS(j, "jid='" ROMEO "'", "name='Romeo'", "subscription='both'", "<group>Friends</group>"), 1);
  assert_int_equal(NS(j, "jid='" MERCUTIO "'", "subscription='from'"), 1);
  assert_int_equal(NS(j, "jid='" BENVOLIO "'", "subscription='to'"), 1);
  assert_int_equal(NS(j, "jid='" TYBALT "'", "subscription='none'", "ask='subscribe'"), 1);
  assert_int_equal(NS(j, "jid='" NURSE "'", "subscription='both'"), 1);
  assert_int_equal(NS(j, "to='" BALCONY "'"), 1);

  assert_int_equal(xmppim_roster_count(j->roster), 5);
  const xmppim_roster_item *romeo = xmppim_roster_find(j->roster, ROMEO);
  assert_non_null(romeo);
  assert_int_equal(xmppim_roster_item_state(romeo), XMPPIM_SUB_STATE_BOTH);
  assert_string_equal(xmppim_roster_item_name(romeo), "Romeo");
  assert_int_equal(xmppim_roster_item_group_count(romeo), 1);
  assert_string_equal(xmppim_roster_item_group(romeo, 0), "Friends");
  assert_int_equal(xmppim_roster_item_state(xmppim_roster_find(j->roster, MERCUTIO)), XMPPIM_SUB_STATE_FROM);
  assert_int_equal(xmppim_roster_item_state(xmppim_roster_find(j->roster, BENVOLIO)), XMPPIM_SUB_STATE_TO);
  assert_int_equal(xmppim_roster_item_state(xmppim_roster_find(j->roster, TYBALT)),
                   XMPPIM_SUB_STATE_NONE_PENDING_OUT);
  assert_int_equal(xmppim_roster_item_state(xmppim_roster_find(j->roster, NURSE)), XMPPIM_SUB_STATE_BOTH);
  assert_int_equal(h->nrouted, 0);
  return j;
}

/*
 * Initial presence. It goes from her full JID to the contacts
 * with a subscription from her (Romeo, Mercutio remote; the nurse local)
 * and back to her; probes go from her bare JID to the contacts she is
 * subscribed to (Romeo, Benvolio), none to Mercutio or Tybalt. The local
 * nurse, online, is answered by the server itself: her presence reaches
 * Juliet without a probe on the wire.
 */
static void initial_presence(hub *h, hub_client *j, hub_client *nurse) {
  hub_clear_log(j);
  hub_send(h, j, "<presence/>");

  assert_int_equal(R(h, "<presence", "from='" BALCONY "'", "to='" ROMEO "'"), 1);
  assert_int_equal(R(h, "<presence", "from='" BALCONY "'", "to='" MERCUTIO "'"), 1);
  assert_int_equal(R(h, "type='probe'", "from='" JULIET "'", "to='" ROMEO "'"), 1);
  assert_int_equal(R(h, "type='probe'", "from='" JULIET "'", "to='" BENVOLIO "'"), 1);
  assert_int_equal(R(h, "type="), 2); /* the two probes; the broadcasts carry no type */
  assert_int_equal(R(h, "/balcony"), 2);
  assert_int_equal(h->nrouted, 4);
  assert_int_equal(R(h, BENVOLIO, "from='" BALCONY "'"), 0);
  assert_int_equal(R(h, TYBALT), 0);

  assert_int_equal(N(nurse, "<presence", "from='" BALCONY "'"), 1);
  assert_int_equal(lines(nurse), 1);
  assert_int_equal(N(j, "<presence", "from='" BALCONY "'"), 1);
  assert_int_equal(N(j, "<presence", "from='" CHAMBER "'", "<show>away</show>", "<status>at the gate</status>"), 1);
  assert_int_equal(lines(j), 2);
}

/*
 * The remote contacts' servers answer the probes: Romeo is online
 * (his presence, from his full JID), Benvolio is not (an unavailable from
 * his bare JID). Each reaches Juliet's available resource.
 */
static void probe_answers(hub *h, hub_client *j) {
  hub_clear_log(j);
  remotef(h, "<presence from='" ORCHARD "' to='" JULIET "'><priority>1</priority></presence>");
  remotef(h, "<presence type='unavailable' from='" BENVOLIO "' to='" JULIET "'/>");
  /* 'to' as addressed: the bare JID (C8.1.1.1-b). */
  assert_int_equal(N(j, "<presence", "from='" ORCHARD "'", "to='" JULIET "'", "<priority>1</priority>"), 1);
  assert_int_equal(N(j, "<presence", "type='unavailable'", "from='" BENVOLIO "'"), 1);
  assert_int_equal(lines(j), 2);
}

/*
 * The chat. Juliet's first message goes to Romeo's bare JID (no
 * resource guessed from presence), type chat, with a thread. Romeo answers
 * from his full JID in that thread; her conversation locks to
 * romeo@example.net/orchard, and her next message goes there, same thread.
 * A presence from Romeo unlocks it again (RFC 6121 section 5.1).
 */
static void chat_exchange(hub *h, hub_client *j, xmppim_chat *chat, chat_seen *seen, size_t *offset) {
  routed_reset(h);
  hub_clear_log(j);
  *offset = 0;
  assert_int_equal(xmppim_chat_send(chat, ROMEO, "Art thou not Romeo, and a Montague?", "en"), 0);
  hub_pump(h);
  /* Copied: the chat's string lasts only until the chat changes. */
  char thread[128];
  assert_non_null(xmppim_chat_thread(chat, ROMEO));
  snprintf(thread, sizeof(thread), "%s", xmppim_chat_thread(chat, ROMEO));
  assert_true(thread[0] != '\0');
  char thread_el[160];
  snprintf(thread_el, sizeof(thread_el), "<thread>%s</thread>", thread);
  assert_int_equal(h->nrouted, 1);
  assert_int_equal(R(h, "<message", "from='" BALCONY "'", "to='" ROMEO "'", "type='chat'", "xml:lang='en'",
                     "<body>Art thou not Romeo, and a Montague?</body>", thread_el),
                   1);

  remotef(h,
          "<message from='" ORCHARD "' to='" BALCONY "' type='chat' xml:lang='en'>"
          "<body>Neither, fair saint, if either thee dislike.</body><thread>%s</thread></message>",
          thread);
  assert_int_equal(N(j, "<message", "from='" ORCHARD "'", "to='" BALCONY "'", thread_el), 1);
  offer_log(chat, j, offset);
  assert_int_equal(seen->messages, 1);
  assert_string_equal(seen->body, "Neither, fair saint, if either thee dislike.");
  assert_string_equal(seen->from, ORCHARD);
  assert_string_equal(seen->thread, thread);
  assert_string_equal(xmppim_chat_locked_to(chat, ROMEO), ORCHARD);

  routed_reset(h);
  assert_int_equal(xmppim_chat_send(chat, ROMEO, "How cam'st thou hither, tell me, and wherefore?", "en"), 0);
  hub_pump(h);
  assert_int_equal(h->nrouted, 1);
  assert_int_equal(R(h, "<message", "from='" BALCONY "'", "to='" ORCHARD "'", "type='chat'", thread_el,
                     "<body>How cam'st thou hither, tell me, and wherefore?</body>"),
                   1);
  assert_string_equal(xmppim_chat_thread(chat, ROMEO), thread);
}

/*
 * Presence updates, both ways. Juliet's update goes to the same
 * contacts as her initial presence (no new probes); Romeo's update reaches
 * her and unlocks the conversation, so the next message goes to his bare
 * JID again.
 */
static void presence_updates(hub *h, hub_client *j, hub_client *nurse, xmppim_chat *chat, size_t *offset) {
  routed_reset(h);
  hub_clear_log(nurse);
  hub_send(h, j, "<presence><show>away</show><status>I shall return!</status></presence>");
  assert_int_equal(R(h, "from='" BALCONY "'", "to='" ROMEO "'", "<show>away</show>", "I shall return!"), 1);
  assert_int_equal(R(h, "from='" BALCONY "'", "to='" MERCUTIO "'", "<show>away</show>"), 1);
  assert_int_equal(h->nrouted, 2);
  assert_int_equal(N(nurse, "from='" BALCONY "'", "<show>away</show>", "I shall return!"), 1);
  assert_int_equal(lines(nurse), 1);

  remotef(h, "<presence from='" ORCHARD "' to='" JULIET "'><show>xa</show></presence>");
  assert_int_equal(N(j, "<presence", "from='" ORCHARD "'", "<show>xa</show>"), 1);
  offer_log(chat, j, offset);
  assert_null(xmppim_chat_locked_to(chat, ROMEO));

  routed_reset(h);
  assert_int_equal(xmppim_chat_send(chat, ROMEO, "Good night.", "en"), 0);
  hub_pump(h);
  assert_int_equal(R(h, "<message", "to='" ROMEO "'", "<body>Good night.</body>"), 1);
  assert_int_equal(R(h, ORCHARD), 0);
}

/*
 * Juliet goes unavailable: the unavailable presence goes to the
 * contacts her presence went to (and back to her), then she closes the
 * stream; both streams end, and closing adds no second unavailable.
 */
static void unavailable_and_close(hub *h, hub_client *j, hub_client *nurse) {
  routed_reset(h);
  hub_clear_log(nurse);
  hub_clear_log(j);
  hub_send(h, j, "<presence type='unavailable'><status>gone to bed</status></presence>");
  assert_int_equal(R(h, "type='unavailable'", "from='" BALCONY "'", "to='" ROMEO "'", "gone to bed"), 1);
  assert_int_equal(R(h, "type='unavailable'", "from='" BALCONY "'", "to='" MERCUTIO "'"), 1);
  assert_int_equal(h->nrouted, 2);
  assert_int_equal(N(nurse, "type='unavailable'", "from='" BALCONY "'", "gone to bed"), 1);
  assert_int_equal(lines(nurse), 1);
  assert_int_equal(N(j, "type='unavailable'", "from='" BALCONY "'"), 1);

  assert_int_equal(xmppim_session_close(j->c), 0);
  hub_pump(h);
  assert_int_equal(xmppim_session_state_get(j->c), XMPPIM_STATE_CLOSED);
  assert_int_equal(xmppim_session_state_get(j->s), XMPPIM_STATE_CLOSED);
  hub_disconnect(h, j);
  assert_int_equal(h->nrouted, 2);
  assert_int_equal(lines(nurse), 1);
}

static void R7_sample_session_end_to_end(void **state) {
  (void)state;
  hub h;
  hub_client *nurse;
  world_before(&h, &nurse);
  hub_client *j = login_and_roster(&h);
  initial_presence(&h, j, nurse);
  probe_answers(&h, j);

  chat_seen seen;
  memset(&seen, 0, sizeof(seen));
  xmppim_chat_callbacks ccb = {0};
  ccb.on_message = on_chat_message;
  xmppim_chat *chat;
  assert_int_equal(xmppim_chat_new(&chat, j->c, &ccb, &seen, NULL), 0);
  size_t offset = 0;
  chat_exchange(&h, j, chat, &seen, &offset);
  presence_updates(&h, j, nurse, chat, &offset);
  xmppim_chat_free(chat);

  unavailable_and_close(&h, j, nurse);
  routed_reset(&h);
  hub_free(&h);
}

/*
 * The same session ending without its unavailable presence (the client
 * closes the stream first): the server does not rely on getting one
 * (R4.5.2-a) and sends it on Juliet's behalf, from her full JID, to the
 * contacts her presence went to.
 */
static void R7_stream_close_without_unavailable(void **state) {
  (void)state;
  hub h;
  hub_client *nurse;
  world_before(&h, &nurse);
  hub_client *j = login_and_roster(&h);
  initial_presence(&h, j, nurse);
  routed_reset(&h);
  hub_clear_log(nurse);

  assert_int_equal(xmppim_session_close(j->c), 0);
  hub_pump(&h);
  assert_int_equal(xmppim_session_state_get(j->s), XMPPIM_STATE_CLOSED);
  hub_disconnect(&h, j);
  assert_int_equal(R(&h, "type='unavailable'", "from='" BALCONY "'", "to='" ROMEO "'"), 1);
  assert_int_equal(R(&h, "type='unavailable'", "from='" BALCONY "'", "to='" MERCUTIO "'"), 1);
  assert_int_equal(h.nrouted, 2);
  assert_int_equal(N(nurse, "type='unavailable'", "from='" BALCONY "'"), 1);
  assert_int_equal(lines(nurse), 1);
  routed_reset(&h);
  hub_free(&h);
}

/* ---- RFC 6120 rules found without a test while the matrix was completed ---- */

#define STREAMS_NS "http://etherx.jabber.org/streams"
#define CLIENT_HEADER(ATTRS)                                                                        \
  "<?xml version='1.0'?><stream:stream" ATTRS " version='1.0' xmlns='jabber:client' xmlns:stream='" \
  STREAMS_NS "'>"

/* What the server session writes to a client whose header is refused. */
static void assert_header_error_close(const char *header, const char *condition) {
  pair p = {0};
  pair_init(&p, PAIR_USER "@" PAIR_DOMAIN, PAIR_PASSWORD, NULL, NULL);
  (void)pair_take_output(&p.server);
  pair_feed_raw(&p.server, header);
  const char *out = pair_take_output(&p.server);
  char cond[128];
  snprintf(cond, sizeof(cond), "<stream:error><%s xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>", condition);
  const char *open = strstr(out, "<stream:stream");
  const char *error = strstr(out, cond);
  const char *close = strstr(out, "</stream:stream>");
  if (!open || !error || !close) fail_msg("header, %s and close tag expected in: %s", condition, out);
  assert_true(open < error && error < close);
  assert_string_equal(close, "</stream:stream>"); /* nothing after it */
  char head[512];
  snprintf(head, sizeof(head), "%.*s", (int)(strchr(open, '>') - open), open);
  assert_non_null(strstr(head, "xmlns:stream='" STREAMS_NS "'"));
  assert_non_null(strstr(head, "from='" PAIR_DOMAIN "'"));
  assert_null(strstr(out, "<stream:features"));
  assert_false(xmppim_session_want_read(p.server.s));
  pair_free(&p);
}

/*
 * C4.9.1.2-a: an initial header that is itself the error still gets a
 * response header, then the error, then the close tag, in one write (one
 * output buffer). C4.9.1.3-a: with 'to' naming a domain the server does
 * not serve, the header's 'from' is the server's own domain.
 */
static void C4_9_1_2_a_C4_9_1_3_a_error_on_the_initial_header(void **state) {
  (void)state;
  assert_header_error_close(CLIENT_HEADER(" to='elsewhere.example'"), "host-unknown");
  assert_header_error_close("<?xml version='1.0'?><stream:stream to='" PAIR_DOMAIN
                            "' version='1.0' xmlns='jabber:server' xmlns:stream='" STREAMS_NS "'>",
                            "invalid-namespace");
}

/* The value of attribute `name` in the first `<stream:stream` tag at or after `from`, or "". */
static const char *header_attr(const char *from, const char *name, char *buf, size_t cap) {
  buf[0] = '\0';
  const char *tag = strstr(from, "<stream:stream");
  if (!tag) return buf;
  size_t tag_len = strcspn(tag, ">");
  char pattern[64];
  snprintf(pattern, sizeof(pattern), " %s='", name);
  const char *a = strstr(tag, pattern);
  if (!a || (size_t)(a - tag) > tag_len) return buf;
  a += strlen(pattern);
  snprintf(buf, cap, "%.*s", (int)strcspn(a, "'"), a);
  return buf;
}

/* C4.7.1-c: a header without 'to' is served as the session's domain (an
 * RFC 3920 client may omit it): a response header from that domain, and
 * the features. */
static void C4_7_1_c_header_without_to_served(void **state) {
  (void)state;
  pair p = {0};
  pair_init(&p, PAIR_USER "@" PAIR_DOMAIN, PAIR_PASSWORD, NULL, NULL);
  (void)pair_take_output(&p.server);
  pair_feed_raw(&p.server, CLIENT_HEADER(""));
  const char *out = pair_take_output(&p.server);
  char buf[128];
  assert_string_equal(header_attr(out, "from", buf, sizeof(buf)), PAIR_DOMAIN);
  assert_non_null(strstr(out, "<stream:features"));
  assert_null(strstr(out, "<stream:error"));
  assert_true(xmppim_session_want_read(p.server.s));
  pair_free(&p);
}

/*
 * C4.7.1-a: the client names its account ('from', the bare JID) in the
 * initial header only once TLS protects the stream: not in the first
 * header, in every one after STARTTLS.
 */
static void C4_7_1_a_client_from_once_tls_protects(void **state) {
  (void)state;
  pair p = {.tls_shim = 1};
  xmppim_options *copt;
  assert_int_equal(xmppim_options_new(&copt), 0);
  assert_int_equal(xmppim_options_set_require_tls(copt, 1), 0);
  pair_init(&p, PAIR_USER "@" PAIR_DOMAIN "/balcony", PAIR_PASSWORD, copt, NULL);
  xmppim_options_free(copt);
  pair_pump(&p);
  assert_true(p.client.ready);
  assert_true(xmppim_session_is_secure(p.client.s));
  int headers = 0;
  char from[128];
  for (const char *h = strstr(p.client.transcript, "<stream:stream"); h; h = strstr(h + 1, "<stream:stream")) {
    header_attr(h, "from", from, sizeof(from));
    assert_string_equal(from, headers == 0 ? "" : PAIR_USER "@" PAIR_DOMAIN);
    headers++;
  }
  assert_int_equal(headers, 3); /* before TLS, after TLS, after SASL */
  pair_free(&p);

  /* Without TLS it never says who it is. */
  p = (pair){0};
  xmppim_options *plain;
  assert_int_equal(xmppim_options_new(&plain), 0);
  assert_int_equal(xmppim_options_set_require_tls(plain, 0), 0);
  assert_int_equal(xmppim_options_set_allow_plain_without_tls(plain, 1), 0);
  pair_init(&p, PAIR_USER "@" PAIR_DOMAIN, PAIR_PASSWORD, plain, plain);
  xmppim_options_free(plain);
  pair_pump(&p);
  assert_true(p.client.ready);
  headers = 0;
  for (const char *h = strstr(p.client.transcript, "<stream:stream"); h; h = strstr(h + 1, "<stream:stream")) {
    assert_string_equal(header_attr(h, "from", from, sizeof(from)), "");
    headers++;
  }
  assert_int_equal(headers, 2);
  pair_free(&p);
}

typedef struct iq_answer {
  int count;
  char xml[2048];
} iq_answer;

static void on_iq_answer(xmppim_session *s, xmppim_stanza *result, void *ud) {
  (void)s;
  iq_answer *a = ud;
  a->count++;
  if (!result || xmppim_stanza_serialize(result, "jabber:client", a->xml, sizeof(a->xml), NULL) != 0)
    snprintf(a->xml, sizeof(a->xml), "(none)");
}

/*
 * C10.3-a, the IQ part: an IQ get or set without 'to' is handled as if
 * sent to the user's bare JID; the core answers the roster itself and
 * hands any other namespace back to the host (xmppim_server_handle_stanza()
 * returns 0: nothing delivered, routed or answered by the core), whose
 * session answers an unhandled get with service-unavailable.
 */
static void C10_3_a_iq_without_to(void **state) {
  (void)state;
  hub h;
  hub_init(&h, NULL);
  hub_add_user(&h, JULIET);
  hub_client *j = hub_connect(&h, "juliet", "balcony", 0);
  xmppim_jid *sender;
  assert_int_equal(xmppim_jid_new(&sender, BALCONY, strlen(BALCONY), NULL), 0);
  const char *iqs[][2] = {
      {"<iq xmlns='jabber:client' type='get' id='p1' from='" BALCONY "'><ping xmlns='urn:xmpp:ping'/></iq>", "0"},
      {"<iq xmlns='jabber:client' type='set' id='v1' from='" BALCONY
       "'><vCard xmlns='vcard-temp'/></iq>",
       "0"},
      {"<iq xmlns='jabber:client' type='get' id='r1' from='" BALCONY
       "'><query xmlns='jabber:iq:roster'/></iq>",
       "1"},
  };
  for (size_t i = 0; i < sizeof(iqs) / sizeof(iqs[0]); i++) {
    hub_clear_log(j);
    xmppim_stanza *st;
    assert_int_equal(xmppim_stanza_parse(&st, iqs[i][0], strlen(iqs[i][0]), NULL, NULL), 0);
    int rv = xmppim_server_handle_stanza(h.srv, sender, st);
    xmppim_stanza_free(st);
    hub_pump(&h);
    assert_int_equal(rv, iqs[i][1][0] - '0');
    if (rv == 0) {
      assert_int_equal(j->slog_len, 0);
    } else {
      assert_int_equal(NS(j, "<iq ", "type='result'", "id='r1'", "jabber:iq:roster"), 1);
      assert_int_equal(NS(j, "<iq "), 1);
    }
    assert_int_equal(h.nrouted, 0);
  }
  xmppim_jid_free(sender);

  /* Through the sessions: the host returns it unhandled, the server
   * session answers service-unavailable, once. */
  hub_clear_log(j);
  const char *ping = "<iq xmlns='jabber:client' type='get'><ping xmlns='urn:xmpp:ping'/></iq>";
  xmppim_stanza *st;
  assert_int_equal(xmppim_stanza_parse(&st, ping, strlen(ping), NULL, NULL), 0);
  iq_answer answer = {0};
  assert_int_equal(xmppim_session_send_iq(j->c, st, on_iq_answer, &answer), 0);
  xmppim_stanza_free(st);
  hub_pump(&h);
  assert_int_equal(answer.count, 1);
  assert_non_null(strstr(answer.xml, "type='error'"));
  assert_non_null(strstr(answer.xml, "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"));
  assert_int_equal(j->slog_len, 0); /* not from the core */
  assert_int_equal(lines(j), 0);
  hub_free(&h);
}

/*
 * R1.4-a, RE-a: the server offers the RFC 3921 session for old clients,
 * marked optional, and answers the request with an empty result, without
 * handing it to the host. RE-b: a client that sees it optional does not
 * send it.
 */
static void R1_4_a_RE_a_b_session_request_is_a_no_op(void **state) {
  (void)state;
  pair p = {0};
  xmppim_options *plain;
  assert_int_equal(xmppim_options_new(&plain), 0);
  assert_int_equal(xmppim_options_set_require_tls(plain, 0), 0);
  assert_int_equal(xmppim_options_set_allow_plain_without_tls(plain, 1), 0);
  pair_init(&p, PAIR_USER "@" PAIR_DOMAIN, PAIR_PASSWORD, plain, plain);
  xmppim_options_free(plain);
  pair_pump(&p);
  assert_true(p.client.ready);
  assert_non_null(strstr(p.server.transcript, "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>"));
  assert_null(strstr(p.client.transcript, "xmpp-session"));

  const char *request = "<iq xmlns='jabber:client' type='set'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>";
  xmppim_stanza *st;
  assert_int_equal(xmppim_stanza_parse(&st, request, strlen(request), NULL, NULL), 0);
  iq_answer answer = {0};
  int host_stanzas = p.server.stanzas;
  assert_int_equal(xmppim_session_send_iq(p.client.s, st, on_iq_answer, &answer), 0);
  xmppim_stanza_free(st);
  pair_pump(&p);
  assert_int_equal(answer.count, 1);
  assert_non_null(strstr(answer.xml, "type='result'"));
  assert_null(strstr(answer.xml, "</iq>")); /* an empty element: no child */
  assert_int_equal(p.server.stanzas, host_stanzas);
  pair_free(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(R7_sample_session_end_to_end),
      cmocka_unit_test(R7_stream_close_without_unavailable),
      cmocka_unit_test(C4_9_1_2_a_C4_9_1_3_a_error_on_the_initial_header),
      cmocka_unit_test(C4_7_1_c_header_without_to_served),
      cmocka_unit_test(C4_7_1_a_client_from_once_tls_protects),
      cmocka_unit_test(C10_3_a_iq_without_to),
      cmocka_unit_test(R1_4_a_RE_a_b_session_request_is_a_no_op),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
