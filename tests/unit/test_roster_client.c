/*
 * The client roster cache (RFC 6121 section 2) over a client and a server
 * session wired in memory. The server side is played by hand: its
 * on_stanza answers the roster get with a canned reply and records what the
 * client sent; pushes are sent from the server session. Requirement IDs
 * (R2.*) are in the test names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <xmppim.h>

#include "failing_mem.h"

#define ACCOUNT "juliet@example.com"
#define PASSWORD "r0m30myr0m30"

typedef struct harness {
  xmppim_session *client, *server;
  xmppim_roster *roster;
  const char *reply; /* the server's answer to a roster get: "%s" is the id */
  const char *set_reply; /* its answer to a roster set, likewise (NULL: none) */
  int set_done;
  char set_jid[256], set_error[64];
  char got[8192];    /* what the server received, serialized, concatenated */
  int got_count;
  char last_get[2048];
  int added, updated, removed, reset, done, done_value;
  char removed_jid[256];
} harness;

static int server_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  harness *h = ud;
  char tmp[2048];
  xmppim_stanza_serialize(st, "jabber:client", tmp, sizeof(tmp), NULL);
  size_t used = strlen(h->got);
  snprintf(h->got + used, sizeof(h->got) - used, "%s\n", tmp);
  h->got_count++;
  const char *type = xmppim_stanza_attr(st, "type");
  if (strcmp(xmppim_stanza_name(st), "iq") == 0 && type && strcmp(type, "get") == 0 &&
      xmppim_stanza_find_child(st, "query", "jabber:iq:roster") && h->reply) {
    snprintf(h->last_get, sizeof(h->last_get), "%s", tmp);
    char xml[4096];
    snprintf(xml, sizeof(xml), h->reply, xmppim_stanza_attr(st, "id"));
    xmppim_stanza *r;
    if (xmppim_stanza_parse(&r, xml, strlen(xml), NULL, NULL) != 0) return -1;
    int rv = xmppim_session_send(s, r);
    xmppim_stanza_free(r);
    return rv;
  }
  if (strcmp(xmppim_stanza_name(st), "iq") == 0 && type && strcmp(type, "set") == 0 &&
      h->set_reply) {
    char xml[1024];
    snprintf(xml, sizeof(xml), h->set_reply, xmppim_stanza_attr(st, "id"));
    xmppim_stanza *r;
    if (xmppim_stanza_parse(&r, xml, strlen(xml), NULL, NULL) != 0) return -1;
    int rv = xmppim_session_send(s, r);
    xmppim_stanza_free(r);
    return rv;
  }
  return 0;
}

static int client_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  (void)s;
  harness *h = ud;
  int rv = xmppim_roster_handle_stanza(h->roster, st);
  if (rv == 1) return 0;
  if (rv < 0) return rv;
  return XMPPIM_STANZA_UNHANDLED;
}

static int on_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  harness *h = ud;
  return s == h->server ? server_stanza(s, st, ud) : client_stanza(s, st, ud);
}

static xmppim_sasl_condition check_plain(const char *authcid, const char *password,
                                         const char *authzid, void *ud) {
  (void)ud;
  (void)authzid;
  return strcmp(authcid, "juliet") == 0 && strcmp(password, PASSWORD) == 0
             ? XMPPIM_SASL_COND_NONE
             : XMPPIM_SASL_COND_NOT_AUTHORIZED;
}

static void on_added(xmppim_roster *r, const xmppim_roster_item *it, void *ud) {
  (void)r;
  (void)it;
  ((harness *)ud)->added++;
}
static void on_updated(xmppim_roster *r, const xmppim_roster_item *it, void *ud) {
  (void)r;
  (void)it;
  ((harness *)ud)->updated++;
}
static void on_removed(xmppim_roster *r, const char *jid, void *ud) {
  (void)r;
  harness *h = ud;
  h->removed++;
  snprintf(h->removed_jid, sizeof(h->removed_jid), "%s", jid);
}
static void on_reset(xmppim_roster *r, void *ud) {
  (void)r;
  ((harness *)ud)->reset++;
}
static void on_done(xmppim_roster *r, int changed, void *ud) {
  (void)r;
  harness *h = ud;
  h->done++;
  h->done_value = changed;
}

static void on_set_done(xmppim_roster *r, const char *jid, const char *error, void *ud) {
  (void)r;
  harness *h = ud;
  h->set_done++;
  snprintf(h->set_jid, sizeof(h->set_jid), "%s", jid);
  snprintf(h->set_error, sizeof(h->set_error), "%s", error ? error : "(none)");
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

/* What the server side advertises after authentication (RD-d). */
#define FEATURE_VER 1u /* <ver xmlns='urn:xmpp:features:rosterver'/> */
#define FEATURE_SUB 2u /* <sub xmlns='urn:xmpp:features:pre-approval'/> */
#define NS_ROSTERVER "urn:xmpp:features:rosterver"
#define NS_PREAPPROVAL "urn:xmpp:features:pre-approval"

static void harness_init_with(harness *h, const xmppim_mem *mem, unsigned features) {
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
  if (features & FEATURE_VER)
    assert_int_equal(xmppim_options_add_stream_feature(so, "ver", NS_ROSTERVER), 0);
  if (features & FEATURE_SUB)
    assert_int_equal(xmppim_options_add_stream_feature(so, "sub", NS_PREAPPROVAL), 0);
  assert_int_equal(xmppim_session_server_new(&h->server, "example.com", cb, h, so, NULL), 0);
  assert_int_equal(xmppim_session_client_new(&h->client, ACCOUNT, PASSWORD, cb, h, co, NULL), 0);
  xmppim_callbacks_free(cb);
  xmppim_options_free(co);
  xmppim_options_free(so);
  pump(h);
  assert_int_equal(xmppim_session_state_get(h->client), XMPPIM_STATE_READY);
  xmppim_roster_callbacks rcb = {.on_item_added = on_added,
                                 .on_item_updated = on_updated,
                                 .on_item_removed = on_removed,
                                 .on_reset = on_reset,
                                 .on_request_done = on_done,
                                 .on_set_done = on_set_done};
  assert_int_equal(xmppim_roster_client_new(&h->roster, h->client, &rcb, h, mem), 0);
  h->got[0] = '\0';
  h->got_count = 0;
}

/* A server that advertises no informational feature. */
static void harness_init(harness *h, const xmppim_mem *mem) { harness_init_with(h, mem, 0); }

static void harness_free(harness *h) {
  xmppim_roster_free(h->roster);
  xmppim_session_free(h->client);
  xmppim_session_free(h->server);
}

/* The client's answer to a push (send_iq matched its id to the push's). */
static void push_answered(xmppim_session *s, xmppim_stanza *answer, void *ud) {
  (void)s;
  if (!answer) return; /* never answered; the session is being freed */
  harness *h = ud;
  char tmp[2048];
  xmppim_stanza_serialize(answer, "jabber:client", tmp, sizeof(tmp), NULL);
  size_t used = strlen(h->got);
  snprintf(h->got + used, sizeof(h->got) - used, "%s\n", tmp);
  h->got_count++;
}

/* The server sends @p xml (a push) to the client; "%s" in it is the client's full JID. */
static void server_push(harness *h, const char *xml) {
  char buf[4096];
  snprintf(buf, sizeof(buf), xml, xmppim_jid_to_string(xmppim_session_jid(h->server)));
  xmppim_stanza *st;
  assert_int_equal(xmppim_stanza_parse(&st, buf, strlen(buf), NULL, NULL), 0);
  h->got[0] = '\0';
  h->got_count = 0;
  assert_int_equal(xmppim_session_send_iq(h->server, st, push_answered, h), 0);
  xmppim_stanza_free(st);
  pump(h);
}

#define FULL_RESULT                                                                      \
  "<iq xmlns='jabber:client' type='result' id='%s'>"                                     \
  "<query xmlns='jabber:iq:roster' ver='v1'>"                                            \
  "<item jid='romeo@example.net' name='Romeo' subscription='both'>"                      \
  "<group>Friends</group><group>Lovers</group><group>Friends</group></item>"             \
  "<item jid='Mercutio@Example.COM' subscription='from' ask='subscribe' approved='true'/>" \
  "<item jid='benvolio@example.net' subscription='bogus'/>"                              \
  "<item name='no jid'/>"                                                                \
  "</query></iq>"

static void load_full(harness *h) {
  h->reply = FULL_RESULT;
  assert_int_equal(xmppim_roster_request(h->roster), 0);
  pump(h);
  assert_int_equal(h->done, 1);
  assert_int_equal(h->done_value, 1);
}

/* R2.1.3-a, R2.1.3-b, R2.1.4-a, R2.1.2.5-b, R2.1.2.6-a, R2.1.2.1-a, R2.1.2.2-a, R2.6.2-b */
static void R2_1_4_a_full_result_replaces_cache(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  load_full(&h);
  /* the get: a query without items and, rosterver not advertised, without ver */
  assert_non_null(strstr(h.last_get, "<query xmlns='jabber:iq:roster'/>"));
  assert_int_equal(h.reset, 1);
  assert_int_equal(xmppim_roster_count(h.roster), 3);
  assert_string_equal(xmppim_roster_version(h.roster), "v1");
  const xmppim_roster_item *it = xmppim_roster_find(h.roster, "romeo@example.net");
  assert_non_null(it);
  assert_string_equal(xmppim_roster_item_name(it), "Romeo");
  assert_int_equal(xmppim_roster_item_group_count(it), 2);
  assert_string_equal(xmppim_roster_item_group(it, 0), "Friends");
  assert_string_equal(xmppim_roster_item_group(it, 1), "Lovers");
  assert_int_equal(xmppim_roster_item_state(it), XMPPIM_SUB_STATE_BOTH);
  it = xmppim_roster_find(h.roster, "mercutio@example.com");
  assert_non_null(it);
  assert_string_equal(xmppim_roster_item_jid(it), "mercutio@example.com");
  assert_int_equal(xmppim_roster_item_state(it), XMPPIM_SUB_STATE_FROM_PENDING_OUT);
  assert_string_equal(xmppim_roster_item_subscription(it), "from");
  assert_string_equal(xmppim_roster_item_ask(it), "subscribe");
  assert_true(xmppim_roster_item_approved(it));
  assert_null(xmppim_roster_item_name(it));
  it = xmppim_roster_find(h.roster, "benvolio@example.net"); /* R2.1.2.5-b: bogus is none */
  assert_non_null(it);
  assert_int_equal(xmppim_roster_item_state(it), XMPPIM_SUB_STATE_NONE);
  assert_string_equal(xmppim_roster_item_jid(xmppim_roster_item_at(h.roster, 0)),
                      "romeo@example.net");
  assert_null(xmppim_roster_item_at(h.roster, 3));
  /* a second full result replaces everything */
  h.reply = "<iq xmlns='jabber:client' type='result' id='%s'><query xmlns='jabber:iq:roster'/></iq>";
  assert_int_equal(xmppim_roster_request(h.roster), 0);
  pump(&h);
  assert_int_equal(h.reset, 2);
  assert_int_equal(xmppim_roster_count(h.roster), 0);
  assert_null(xmppim_roster_version(h.roster)); /* R2.1.4-b: empty roster, no ver */
  harness_free(&h);
}

/* R2.6.2-a, R2.6.2-c, R2.6.2-d, R2.6.3-c */
static void R2_6_3_c_empty_result_keeps_cache(void **state) {
  (void)state;
  harness h;
  harness_init_with(&h, NULL, FEATURE_VER); /* the server advertises versioning */
  load_full(&h);
  assert_non_null(strstr(h.last_get, "ver=''")); /* R2.6.2-d: nothing cached yet */
  h.reply = "<iq xmlns='jabber:client' type='result' id='%s'/>";
  assert_int_equal(xmppim_roster_request(h.roster), 0);
  assert_int_equal(xmppim_roster_request(h.roster), XMPPIM_ERR_INVALID_STATE); /* one at a time */
  pump(&h);
  assert_non_null(strstr(h.last_get, "ver='v1'")); /* R2.6.2-c */
  assert_int_equal(h.done, 2);
  assert_int_equal(h.done_value, 0);
  assert_int_equal(h.reset, 1);
  assert_int_equal(xmppim_roster_count(h.roster), 3);
  assert_string_equal(xmppim_roster_version(h.roster), "v1");
  /* an IQ error leaves the cache too */
  h.reply = "<iq xmlns='jabber:client' type='error' id='%s'><error type='cancel'>"
            "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>";
  assert_int_equal(xmppim_roster_request(h.roster), 0);
  pump(&h);
  assert_int_equal(h.done_value, XMPPIM_ERR_NOT_FOUND);
  assert_int_equal(xmppim_roster_count(h.roster), 3);
  harness_free(&h);
}

/* R2.1.6-c, R2.1.6-f, R2.6.3-g, R2.6.3-h, R2.4.1-b, R2.1.2.5-c, R2.1.2.5-f */
static void R2_1_6_f_pushes_applied_and_answered(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  load_full(&h);
  /* add (no from) */
  server_push(&h, "<iq xmlns='jabber:client' type='set' id='p1' to='%s'>"
                  "<query xmlns='jabber:iq:roster' ver='v2'><item jid='nurse@example.com' "
                  "name='' subscription='none' ask='subscribe'><group>Staff</group></item>"
                  "</query></iq>");
  assert_int_equal(h.added, 1);
  assert_int_equal(h.got_count, 1);
  assert_non_null(strstr(h.got, "type='result'"));
  assert_string_equal(xmppim_roster_version(h.roster), "v2");
  const xmppim_roster_item *it = xmppim_roster_find(h.roster, "nurse@example.com");
  assert_non_null(it);
  assert_null(xmppim_roster_item_name(it)); /* R2.4.1-b */
  assert_int_equal(xmppim_roster_item_state(it), XMPPIM_SUB_STATE_NONE_PENDING_OUT);
  assert_int_equal(xmppim_roster_count(h.roster), 4);
  /* update, from the account's bare JID */
  server_push(&h, "<iq xmlns='jabber:client' type='set' id='p2' to='%s' from='juliet@example.com'>"
                  "<query xmlns='jabber:iq:roster' ver='v3'><item jid='nurse@example.com' "
                  "name='Nurse' subscription='to'/></query></iq>");
  assert_int_equal(h.updated, 1);
  assert_int_equal(h.got_count, 1);
  it = xmppim_roster_find(h.roster, "nurse@example.com");
  assert_string_equal(xmppim_roster_item_name(it), "Nurse");
  assert_int_equal(xmppim_roster_item_group_count(it), 0);
  assert_int_equal(xmppim_roster_item_state(it), XMPPIM_SUB_STATE_TO);
  assert_string_equal(xmppim_roster_version(h.roster), "v3");
  /* the same push again: answered, no update reported */
  server_push(&h, "<iq xmlns='jabber:client' type='set' id='p3' to='%s'>"
                  "<query xmlns='jabber:iq:roster'><item jid='nurse@example.com' "
                  "name='Nurse' subscription='to'/></query></iq>");
  assert_int_equal(h.updated, 1);
  assert_int_equal(h.got_count, 1);
  assert_string_equal(xmppim_roster_version(h.roster), "v3");
  /* R2.1.2.5-c: an unknown value is ignored; R2.1.2.5-f: an absent one is none */
  server_push(&h, "<iq xmlns='jabber:client' type='set' id='p5' to='%s'>"
                  "<query xmlns='jabber:iq:roster'><item jid='nurse@example.com' "
                  "subscription='weird'/></query></iq>");
  assert_int_equal(h.got_count, 1);
  assert_int_equal(xmppim_roster_item_state(xmppim_roster_find(h.roster, "nurse@example.com")),
                   XMPPIM_SUB_STATE_NONE);
  server_push(&h, "<iq xmlns='jabber:client' type='set' id='p6' to='%s'>"
                  "<query xmlns='jabber:iq:roster'><item jid='tybalt@example.com'/></query></iq>");
  assert_int_equal(h.added, 2);
  assert_int_equal(xmppim_roster_item_state(xmppim_roster_find(h.roster, "tybalt@example.com")),
                   XMPPIM_SUB_STATE_NONE);
  assert_int_equal(xmppim_roster_count(h.roster), 5);
  /* remove (R2.5.2-a as seen by the client) */
  server_push(&h, "<iq xmlns='jabber:client' type='set' id='p4' to='%s'>"
                  "<query xmlns='jabber:iq:roster' ver='v4'><item jid='romeo@example.net' "
                  "subscription='remove'/></query></iq>");
  assert_int_equal(h.removed, 1);
  assert_string_equal(h.removed_jid, "romeo@example.net");
  assert_null(xmppim_roster_find(h.roster, "romeo@example.net"));
  assert_int_equal(xmppim_roster_count(h.roster), 4);
  assert_string_equal(xmppim_roster_version(h.roster), "v4");
  harness_free(&h);
}

/* R2.1.6-c, R2.1.6-d, R2.1.6-e: the issue's acceptance item */
static void R2_1_6_c_push_from_foreign_from_ignored(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  load_full(&h);
  static const char *const foreign[] = {"mallory@evil.example", "juliet@example.com/balcony",
                                        "example.com", "romeo@example.net"};
  for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
    char xml[1024];
    snprintf(xml, sizeof(xml),
             "<iq xmlns='jabber:client' type='set' id='evil' to='%%s' from='%s'>"
             "<query xmlns='jabber:iq:roster' ver='evil'><item jid='mallory@evil.example' "
             "subscription='both'/></query></iq>",
             foreign[i]);
    server_push(&h, xml);
    assert_int_equal(h.got_count, 0); /* not answered at all */
    assert_null(xmppim_roster_find(h.roster, "mallory@evil.example"));
    assert_string_equal(xmppim_roster_version(h.roster), "v1");
    assert_int_equal(h.added + h.updated + h.removed, 0);
  }
  assert_int_equal(xmppim_roster_count(h.roster), 3);
  harness_free(&h);
}

/* R2.1.6-b, R2.1.2.3-a: a push must carry exactly one item with a jid */
static void R2_1_6_b_push_with_two_items_refused(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  load_full(&h);
  server_push(&h, "<iq xmlns='jabber:client' type='set' id='two' to='%s'>"
                  "<query xmlns='jabber:iq:roster' ver='v9'><item jid='a@example.com'/>"
                  "<item jid='b@example.com'/></query></iq>");
  assert_int_equal(h.got_count, 1);
  assert_non_null(strstr(h.got, "type='error'"));
  assert_non_null(strstr(h.got, "bad-request"));
  assert_null(xmppim_roster_find(h.roster, "a@example.com"));
  assert_string_equal(xmppim_roster_version(h.roster), "v1");
  server_push(&h, "<iq xmlns='jabber:client' type='set' id='zero' to='%s'>"
                  "<query xmlns='jabber:iq:roster'/></iq>");
  assert_non_null(strstr(h.got, "bad-request"));
  server_push(&h, "<iq xmlns='jabber:client' type='set' id='nojid' to='%s'>"
                  "<query xmlns='jabber:iq:roster'><item name='x'/></query></iq>");
  assert_non_null(strstr(h.got, "bad-request"));
  assert_int_equal(xmppim_roster_count(h.roster), 3);
  assert_int_equal(h.added + h.updated + h.removed, 0);
  harness_free(&h);
}

/* R2.3.1-a, R2.1.5-b, R2.1.2.1-c, R2.1.2.2-c, R2.5.1-a, R3.1.1-a, R3.4.1-a */
static void R2_1_5_b_roster_sets_and_presence(void **state) {
  (void)state;
  harness h;
  harness_init_with(&h, NULL, FEATURE_SUB); /* pre-approval advertised */
  const char *groups[] = {"Friends", "Lovers"};
  assert_int_equal(xmppim_roster_set_item(h.roster, "Romeo@Example.net", "Romeo", groups, 2), 0);
  pump(&h);
  assert_non_null(strstr(h.got, "type='set'"));
  assert_non_null(strstr(h.got, "<item jid='romeo@example.net' name='Romeo'><group>Friends</group>"
                                "<group>Lovers</group></item>"));
  assert_null(strstr(h.got, "ask="));
  assert_null(strstr(h.got, "approved="));
  const char *dup[] = {"A", "A"};
  assert_int_equal(xmppim_roster_set_item(h.roster, "romeo@example.net", NULL, dup, 2),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  const char *empty[] = {""};
  assert_int_equal(xmppim_roster_set_item(h.roster, "romeo@example.net", NULL, empty, 1),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_roster_set_item(h.roster, "@bad", NULL, NULL, 0),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  h.got[0] = '\0';
  assert_int_equal(xmppim_roster_remove_item(h.roster, "romeo@example.net"), 0);
  pump(&h);
  assert_non_null(strstr(h.got, "<item jid='romeo@example.net' subscription='remove'/>"));
  h.got[0] = '\0';
  assert_int_equal(xmppim_roster_subscribe(h.roster, "romeo@example.net/orchard"), 0);
  assert_int_equal(xmppim_roster_subscribed(h.roster, "romeo@example.net"), 0);
  assert_int_equal(xmppim_roster_unsubscribe(h.roster, "romeo@example.net"), 0);
  assert_int_equal(xmppim_roster_unsubscribed(h.roster, "romeo@example.net"), 0);
  assert_int_equal(xmppim_roster_preapprove(h.roster, "nurse@example.com"), 0);
  pump(&h);
  assert_non_null(strstr(h.got, "to='romeo@example.net' type='subscribe'"));
  assert_null(strstr(h.got, "orchard"));
  assert_non_null(strstr(h.got, "to='romeo@example.net' type='subscribed'"));
  assert_non_null(strstr(h.got, "to='romeo@example.net' type='unsubscribe'"));
  assert_non_null(strstr(h.got, "to='romeo@example.net' type='unsubscribed'"));
  assert_non_null(strstr(h.got, "to='nurse@example.com' type='subscribed'"));
  assert_int_equal(xmppim_roster_send_subscription(h.roster, "romeo@example.net",
                                                   (xmppim_sub_stanza)9),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  harness_free(&h);
}

/* R3.1.1-b, R3.1.4-d: every subscription presence carries an id of its
 * own; R3.1.4-e: an approval never mirrors the request's id. R3.1.4-a: a
 * request is the application's to show: the roster does not consume it. */
static void R3_1_4_e_subscription_ids_never_mirrored(void **state) {
  (void)state;
  harness h;
  harness_init_with(&h, NULL, FEATURE_SUB);
  const char *req = "<presence xmlns='jabber:client' type='subscribe' from='romeo@example.net' id='req1'/>";
  xmppim_stanza *st;
  assert_int_equal(xmppim_stanza_parse(&st, req, strlen(req), NULL, NULL), 0);
  assert_int_equal(xmppim_roster_handle_stanza(h.roster, st), 0);
  xmppim_stanza_free(st);
  h.got[0] = '\0';
  assert_int_equal(xmppim_roster_subscribed(h.roster, "romeo@example.net"), 0);
  assert_int_equal(xmppim_roster_subscribe(h.roster, "romeo@example.net"), 0);
  pump(&h);
  const char *a = strstr(h.got, "type='subscribed' id='xmppim-sub-");
  const char *b = strstr(h.got, "type='subscribe' id='xmppim-sub-");
  assert_non_null(a);
  assert_non_null(b);
  assert_null(strstr(h.got, "id='req1'"));
  char ida[64] = "", idb[64] = "";
  sscanf(strstr(a, "id='") + 4, "%63[^']", ida);
  sscanf(strstr(b, "id='") + 4, "%63[^']", idb);
  assert_string_not_equal(ida, idb);
  harness_free(&h);
}

/* R2.6.3-h: the cache and its version survive a restart */
static void R2_6_3_h_save_load_round_trip(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  load_full(&h);
  server_push(&h, "<iq xmlns='jabber:client' type='set' id='p1' to='%s'>"
                  "<query xmlns='jabber:iq:roster' ver='v 2%%'><item jid='nurse@example.com' "
                  "name='The  Nurse %%20' subscription='none'><group>St aff</group>"
                  "<group>\xc3\xa9t\xc3\xa9</group></item></query></iq>");
  size_t need = 0;
  assert_int_equal(xmppim_roster_save(h.roster, NULL, 0, &need), XMPPIM_ERR_BUFFER_TOO_SMALL);
  char *buf = malloc(need + 1);
  size_t need2 = 0;
  assert_int_equal(xmppim_roster_save(h.roster, buf, need, &need2), XMPPIM_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(xmppim_roster_save(h.roster, buf, need + 1, &need2), 0);
  assert_int_equal(need, need2);
  assert_int_equal(strlen(buf), need);

  xmppim_roster *r2;
  assert_int_equal(xmppim_roster_client_new(&r2, h.client, NULL, NULL, NULL), 0);
  assert_int_equal(xmppim_roster_load(r2, buf, need), 0);
  assert_int_equal(xmppim_roster_count(r2), 4);
  assert_string_equal(xmppim_roster_version(r2), "v 2%");
  for (size_t i = 0; i < 4; i++) {
    const xmppim_roster_item *a = xmppim_roster_item_at(h.roster, i);
    const xmppim_roster_item *b = xmppim_roster_item_at(r2, i);
    assert_string_equal(xmppim_roster_item_jid(a), xmppim_roster_item_jid(b));
    assert_int_equal(xmppim_roster_item_state(a), xmppim_roster_item_state(b));
    assert_int_equal(xmppim_roster_item_approved(a), xmppim_roster_item_approved(b));
    assert_int_equal(!xmppim_roster_item_name(a), !xmppim_roster_item_name(b));
    if (xmppim_roster_item_name(a))
      assert_string_equal(xmppim_roster_item_name(a), xmppim_roster_item_name(b));
    assert_int_equal(xmppim_roster_item_group_count(a), xmppim_roster_item_group_count(b));
    for (size_t g = 0; g < xmppim_roster_item_group_count(a); g++)
      assert_string_equal(xmppim_roster_item_group(a, g), xmppim_roster_item_group(b, g));
  }
  /* saving the loaded copy gives the same bytes */
  char *buf2 = malloc(need + 1);
  assert_int_equal(xmppim_roster_save(r2, buf2, need + 1, &need2), 0);
  assert_string_equal(buf, buf2);

  /* every truncation fails and leaves the cache as it was */
  for (size_t n = 0; n < need; n++) {
    assert_int_equal(xmppim_roster_load(r2, buf, n), XMPPIM_ERR_INVALID_ARGUMENT);
    assert_int_equal(xmppim_roster_count(r2), 4);
  }
  /* every single-byte change either fails cleanly or loads */
  for (size_t n = 0; n < need; n++) {
    static const char subst[] = {'\0', ' ', '\n', '%', '-', '=', '9', 'x', '\x80', '\xff'};
    for (size_t k = 0; k < sizeof(subst); k++) {
      char saved = buf2[n];
      buf2[n] = subst[k];
      int rv = xmppim_roster_load(r2, buf2, need);
      assert_true(rv == 0 || rv == XMPPIM_ERR_INVALID_ARGUMENT);
      buf2[n] = saved;
    }
  }
  static const char *const bad[] = {
    "",
    "xmppim-roster 2\nver -\nend 0\n",
    "xmppim-roster 1\nver -\nend 1\n",
    "xmppim-roster 1\nver -\nend 0\nextra",
    "xmppim-roster 1\nver -\nitem =a@b 9 0 - 0\nend 1\n",
    "xmppim-roster 1\nver -\nitem =a@b 0 2 - 0\nend 1\n",
    "xmppim-roster 1\nver -\nitem =A@b 0 0 - 0\nend 1\n",
    "xmppim-roster 1\nver -\nitem =a@b/r 0 0 - 0\nend 1\n",
    "xmppim-roster 1\nver -\nitem =a@b 0 0 - 2 =g =g\nend 1\n",
    "xmppim-roster 1\nver -\nitem =a@b 0 0 - 1 =\nend 1\n",
    "xmppim-roster 1\nver -\nitem =a@b 0 0 = 0\nend 1\n",
    "xmppim-roster 1\nver -\nitem =a@b 0 0 - 0\nitem =a@b 0 0 - 0\nend 2\n",
    "xmppim-roster 1\nver =%0\nend 0\n",
    "xmppim-roster 1\nver =%41\nend 0\n",
    "xmppim-roster 1\nver =%01\nend 0\n",
    "xmppim-roster 1\nver =\xc3\nend 0\n",
    "xmppim-roster 1\nver -\nend 00\n",
    "xmppim-roster 1\nver -\nitem - 0 0 - 0\nend 1\n",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(xmppim_roster_load(r2, bad[i], strlen(bad[i])), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_roster_count(r2), 4);
  const char *ok = "xmppim-roster 1\nver =\nend 0\n";
  assert_int_equal(xmppim_roster_load(r2, ok, strlen(ok)), 0);
  assert_int_equal(xmppim_roster_count(r2), 0);
  assert_string_equal(xmppim_roster_version(r2), "");
  free(buf);
  free(buf2);
  xmppim_roster_free(r2);
  harness_free(&h);
}

/* R2.6.1-a, R2.6.1-b, RD-d: the server advertises rosterver after
 * authentication, nothing is negotiated for it, and the client sees it. */
static void R2_6_1_a_rosterver_advertised_and_seen(void **state) {
  (void)state;
  harness h;
  harness_init_with(&h, NULL, FEATURE_VER);
  /* R2.6.1-b: the stream became ready with no exchange for the feature */
  assert_int_equal(xmppim_session_state_get(h.server), XMPPIM_STATE_READY);
  assert_int_equal(xmppim_session_peer_has_feature(h.client, "ver", NS_ROSTERVER), 1);
  assert_int_equal(xmppim_session_peer_has_feature(h.client, "sub", NS_PREAPPROVAL), 0);
  assert_int_equal(xmppim_session_peer_has_feature(h.client, "ver", NS_PREAPPROVAL), 0);
  harness_free(&h);
  harness_init(&h, NULL);
  assert_int_equal(xmppim_session_peer_has_feature(h.client, "ver", NS_ROSTERVER), 0);
  harness_free(&h);
}

/* R2.6.2-a, R2.6.2-d, R2.6.2-e: ver is sent when the server advertised
 * versioning (by default), and not when the application turned it off. */
static void R2_6_2_a_ver_sent_when_advertised(void **state) {
  (void)state;
  harness h;
  harness_init_with(&h, NULL, FEATURE_VER);
  h.reply = "<iq xmlns='jabber:client' type='result' id='%s'/>";
  assert_int_equal(xmppim_roster_request(h.roster), 0);
  pump(&h);
  assert_non_null(strstr(h.last_get, "<query xmlns='jabber:iq:roster' ver=''/>"));
  /* R2.6.2-e: an application that does not want versioning */
  xmppim_roster_set_versioning(h.roster, 0);
  h.last_get[0] = '\0';
  assert_int_equal(xmppim_roster_request(h.roster), 0);
  pump(&h);
  assert_non_null(strstr(h.last_get, "<query xmlns='jabber:iq:roster'/>"));
  /* and back on */
  xmppim_roster_set_versioning(h.roster, 1);
  assert_int_equal(xmppim_roster_request(h.roster), 0);
  pump(&h);
  assert_non_null(strstr(h.last_get, "ver=''"));
  assert_int_equal(h.done, 3);
  harness_free(&h);
}

/* R2.6.2-b: no ver when the server did not advertise versioning, even
 * with a cached version and versioning asked for. */
static void R2_6_2_b_no_ver_without_feature(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  const char *saved = "xmppim-roster 1\nver =v7\nend 0\n";
  assert_int_equal(xmppim_roster_load(h.roster, saved, strlen(saved)), 0);
  xmppim_roster_set_versioning(h.roster, 1);
  h.reply = "<iq xmlns='jabber:client' type='result' id='%s'><query xmlns='jabber:iq:roster'/></iq>";
  assert_int_equal(xmppim_roster_request(h.roster), 0);
  pump(&h);
  assert_non_null(strstr(h.last_get, "<query xmlns='jabber:iq:roster'/>"));
  assert_null(strstr(h.last_get, "ver="));
  /* a server that advertises only pre-approval is no different */
  harness_free(&h);
  harness_init_with(&h, NULL, FEATURE_SUB);
  assert_int_equal(xmppim_roster_load(h.roster, saved, strlen(saved)), 0);
  h.reply = "<iq xmlns='jabber:client' type='result' id='%s'/>";
  assert_int_equal(xmppim_roster_request(h.roster), 0);
  pump(&h);
  assert_null(strstr(h.last_get, "ver="));
  harness_free(&h);
}

/* R3.4-b, R3.4-c, RD-d: the server advertises pre-approval after
 * authentication; nothing is negotiated for it and the client sees it. */
static void R3_4_b_preapproval_advertised_and_seen(void **state) {
  (void)state;
  harness h;
  harness_init_with(&h, NULL, FEATURE_SUB | FEATURE_VER);
  assert_int_equal(xmppim_session_state_get(h.server), XMPPIM_STATE_READY); /* R3.4-c */
  assert_int_equal(xmppim_session_peer_has_feature(h.client, "sub", NS_PREAPPROVAL), 1);
  assert_int_equal(xmppim_session_peer_has_feature(h.client, "ver", NS_ROSTERVER), 1);
  /* R3.4.1-a: pre-approving is then allowed */
  assert_int_equal(xmppim_roster_preapprove(h.roster, "Nurse@Example.com/x"), 0);
  pump(&h);
  assert_non_null(strstr(h.got, "<presence to='nurse@example.com' type='subscribed'"));
  harness_free(&h);
}

/* R3.4.1-b: no pre-approval when the server did not advertise the feature;
 * approving (subscribed) is still possible. */
static void R3_4_1_b_preapprove_refused_without_feature(void **state) {
  (void)state;
  harness h;
  harness_init_with(&h, NULL, FEATURE_VER);
  assert_int_equal(xmppim_roster_preapprove(h.roster, "nurse@example.com"),
                   XMPPIM_ERR_INVALID_STATE);
  pump(&h);
  assert_int_equal(h.got_count, 0); /* nothing was sent */
  assert_int_equal(xmppim_roster_preapprove(NULL, "nurse@example.com"),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_roster_preapprove(h.roster, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  /* an approval is not refused: the roster cannot know of a pending request
   * (see xmppim_roster_subscribed()) */
  assert_int_equal(xmppim_roster_subscribed(h.roster, "romeo@example.net"), 0);
  pump(&h);
  assert_int_equal(h.got_count, 1);
  assert_non_null(strstr(h.got, "to='romeo@example.net' type='subscribed'"));
  harness_free(&h);
}

/* Every allocation of the roster failing in turn: clean errors, no leaks,
 * the cache unchanged after each failure. */
static void roster_allocation_failures(void **state) {
  (void)state;
  const char *push = "<iq xmlns='jabber:client' type='set' id='p1' to='%s'>"
                     "<query xmlns='jabber:iq:roster' ver='v2'><item jid='nurse@example.com' "
                     "name='Nurse'><group>A</group><group>B</group></item></query></iq>";
  const char *saved = "xmppim-roster 1\nver =v1\nitem =a@example.com 8 1 =A 2 =x =y\n"
                      "item =b@example.com 0 0 - 0\nend 2\n";
  for (long fail = 1; fail < 200; fail++) {
    failing_mem fm;
    failing_mem_init(&fm, 0);
    harness h;
    harness_init(&h, &fm.mem);
    fm.fail_at = fm.count + fail;
    int failed = 0;
    /* load */
    int rv = xmppim_roster_load(h.roster, saved, strlen(saved));
    if (rv != 0) {
      assert_int_equal(rv, XMPPIM_ERR_NOMEM);
      assert_int_equal(xmppim_roster_count(h.roster), 0);
      failed = 1;
    }
    /* request and full result */
    if (!failed) {
      h.reply = FULL_RESULT;
      rv = xmppim_roster_request(h.roster);
      if (rv != 0) {
        assert_int_equal(rv, XMPPIM_ERR_NOMEM);
        failed = 1;
      } else {
        pump(&h);
        assert_int_equal(h.done, 1);
        if (h.done_value == XMPPIM_ERR_NOMEM) {
          assert_int_equal(xmppim_roster_count(h.roster), 2);
          failed = 1;
        }
      }
    }
    /* a push */
    if (!failed) {
      server_push(&h, push);
      if (!xmppim_roster_find(h.roster, "nurse@example.com")) failed = 1;
    }
    /* lookups and sends */
    if (!failed) {
      const char *g[] = {"G"};
      if (xmppim_roster_set_item(h.roster, "x@example.com", "X", g, 1) != 0) failed = 1;
      else if (xmppim_roster_remove_item(h.roster, "x@example.com") != 0) failed = 1;
      else if (xmppim_roster_subscribe(h.roster, "x@example.com") != 0) failed = 1;
    }
    xmppim_roster_free(h.roster);
    h.roster = NULL;
    /* outstanding sets keep their token until the session ends */
    xmppim_session_free(h.client);
    xmppim_session_free(h.server);
    assert_int_equal(fm.live, 0);
    if (!failed) break;
  }
}

/* Freeing the roster with a request outstanding: the answer is ignored. */
static void roster_free_with_request_outstanding(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  h.reply = FULL_RESULT;
  assert_int_equal(xmppim_roster_request(h.roster), 0);
  xmppim_roster_free(h.roster);
  h.roster = NULL;
  pump(&h); /* the client's on_stanza gets NULL roster: handle_stanza ignores it */
  assert_int_equal(h.done, 0);
  harness_free(&h);
}

/* The server's answer to a set or a removal is reported (the cache only
 * changes with the push, R2.3.2-c): accepted, refused with its condition,
 * never answered; and not at all once the roster is freed. */
static void roster_set_answers_reported(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  h.set_reply = "<iq xmlns='jabber:client' type='result' id='%s'/>";
  assert_int_equal(xmppim_roster_set_item(h.roster, "Nurse@Example.com", "Nurse", NULL, 0), 0);
  pump(&h);
  assert_int_equal(h.set_done, 1);
  assert_string_equal(h.set_jid, "nurse@example.com");
  assert_string_equal(h.set_error, "(none)");
  assert_int_equal(xmppim_roster_count(h.roster), 0); /* no push yet */

  h.set_reply = "<iq xmlns='jabber:client' type='error' id='%s'><error type='modify'>"
                "<not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>";
  assert_int_equal(xmppim_roster_remove_item(h.roster, "benvolio@example.net"), 0);
  pump(&h);
  assert_int_equal(h.set_done, 2);
  assert_string_equal(h.set_jid, "benvolio@example.net");
  assert_string_equal(h.set_error, "not-acceptable");

  h.set_reply = "<iq xmlns='jabber:client' type='error' id='%s'/>"; /* no <error/> */
  assert_int_equal(xmppim_roster_remove_item(h.roster, "mercutio@example.net"), 0);
  pump(&h);
  assert_int_equal(h.set_done, 3);
  assert_string_equal(h.set_error, "undefined-condition");

  /* two outstanding, then the stream ends: both reported as unanswered */
  h.set_reply = NULL;
  assert_int_equal(xmppim_roster_set_item(h.roster, "a@example.net", NULL, NULL, 0), 0);
  assert_int_equal(xmppim_roster_set_item(h.roster, "b@example.net", NULL, NULL, 0), 0);
  pump(&h);
  assert_int_equal(h.set_done, 3);
  xmppim_session_free(h.client);
  h.client = NULL;
  assert_int_equal(h.set_done, 5);
  assert_string_equal(h.set_error, "remote-server-timeout");
  harness_free(&h);

  /* freed with a set outstanding: the answer is ignored, nothing leaks */
  harness_init(&h, NULL);
  assert_int_equal(xmppim_roster_set_item(h.roster, "a@example.net", NULL, NULL, 0), 0);
  assert_int_equal(xmppim_roster_remove_item(h.roster, "b@example.net"), 0);
  xmppim_roster_free(h.roster);
  h.roster = NULL;
  h.set_reply = "<iq xmlns='jabber:client' type='result' id='%s'/>";
  pump(&h);
  assert_int_equal(h.set_done, 0);
  harness_free(&h);
}

static void roster_arguments(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  xmppim_roster *r;
  assert_int_equal(xmppim_roster_client_new(NULL, h.client, NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_roster_client_new(&r, NULL, NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_roster_client_new(&r, h.server, NULL, NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_null(r);
  assert_int_equal(xmppim_roster_handle_stanza(NULL, NULL), 0);
  assert_null(xmppim_roster_find(h.roster, "not a jid@"));
  assert_int_equal(xmppim_roster_count(NULL), 0);
  assert_int_equal(xmppim_roster_load(h.roster, NULL, 1), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_roster_save(NULL, NULL, 0, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  xmppim_roster_free(NULL);
  harness_free(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(R2_1_4_a_full_result_replaces_cache),
    cmocka_unit_test(R2_6_3_c_empty_result_keeps_cache),
    cmocka_unit_test(R2_1_6_f_pushes_applied_and_answered),
    cmocka_unit_test(R2_1_6_c_push_from_foreign_from_ignored),
    cmocka_unit_test(R2_1_6_b_push_with_two_items_refused),
    cmocka_unit_test(R2_1_5_b_roster_sets_and_presence),
    cmocka_unit_test(R3_1_4_e_subscription_ids_never_mirrored),
    cmocka_unit_test(R2_6_3_h_save_load_round_trip),
    cmocka_unit_test(R2_6_1_a_rosterver_advertised_and_seen),
    cmocka_unit_test(R2_6_2_a_ver_sent_when_advertised),
    cmocka_unit_test(R2_6_2_b_no_ver_without_feature),
    cmocka_unit_test(R3_4_b_preapproval_advertised_and_seen),
    cmocka_unit_test(R3_4_1_b_preapprove_refused_without_feature),
    cmocka_unit_test(roster_allocation_failures),
    cmocka_unit_test(roster_free_with_request_outstanding),
    cmocka_unit_test(roster_set_answers_reported),
    cmocka_unit_test(roster_arguments),
  };
  return cmocka_run_group_tests_name("roster_client", tests, NULL, NULL);
}
