/*
 * The client's presence tracker (RFC 6121 section 4) over a client and a
 * server session wired in memory. Inbound presence is written raw into the
 * client's stream, as the server would send it; what the client sends is
 * read off its output exactly as written, then fed to the server session
 * (which must accept it). Callbacks are logged as one line of events, so
 * each test says exactly what was reported and in which order:
 *   A|U|X contact/resource   available, updated, unavailable (resource "-": bare JID)
 *   B contact=resource        the best resource changed ("B contact=" when none)
 *   E contact/resource        a presence error
 * Requirement IDs (R4.*, R3.1.3-j) are in the test names or beside the checks.
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
  xmppim_presence *p;
  char log[8192];
  int handled;        /* the tracker's last return value */
  int server_got;     /* stanzas the server session received */
  char out[8192];     /* what the client last wrote */
  char unavail_status[256]; /* the status of the last unavailable stanza reported */
  int in_callback_checks;   /* try the forbidden calls from the callbacks */
  int forbidden_refused;
  int directed_from_callback;
  xmppim_stanza_condition error_condition;
  int no_lookups; /* callbacks do not allocate (allocation failure test) */
} harness;

static void logf_(harness *h, const char *fmt, ...) {
  size_t used = strlen(h->log);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(h->log + used, sizeof(h->log) - used, fmt, ap);
  va_end(ap);
}

static void try_forbidden(xmppim_presence *p, harness *h) {
  if (!h->in_callback_checks) return;
  if (xmppim_presence_reset(p) == XMPPIM_ERR_INVALID_STATE &&
      xmppim_presence_send_unavailable(p, NULL, NULL) == XMPPIM_ERR_INVALID_STATE)
    h->forbidden_refused++;
  /* reading and directed presence are allowed */
  if (xmppim_presence_contact_count(p) < 1000 &&
      xmppim_presence_send_directed(p, "room@conference.example.com/me", XMPPIM_SHOW_ONLINE, NULL,
                                    NULL, 0) == 0)
    h->directed_from_callback++;
}

static void on_resource(xmppim_presence *p, xmppim_presence_event ev, const char *contact,
                        const xmppim_presence_resource *r, const xmppim_stanza *st, void *ud) {
  harness *h = ud;
  const char *name = xmppim_presence_resource_name(r);
  logf_(h, "%c %s/%s;",
        ev == XMPPIM_PRESENCE_AVAILABLE ? 'A' : ev == XMPPIM_PRESENCE_UPDATED ? 'U' : 'X', contact,
        name ? name : "-");
  if (ev == XMPPIM_PRESENCE_UNAVAILABLE) {
    xmppim_stanza *s = st ? xmppim_stanza_find_child(st, "status", NULL) : NULL;
    snprintf(h->unavail_status, sizeof(h->unavail_status), "%s", s ? xmppim_stanza_text(s) : "");
  }
  try_forbidden(p, h);
}

static void on_best(xmppim_presence *p, const char *contact, const xmppim_presence_resource *best,
                    void *ud) {
  harness *h = ud;
  const char *name = best ? xmppim_presence_resource_name(best) : NULL;
  logf_(h, "B %s=%s;", contact, best ? (name ? name : "-") : "");
  /* what the callback sees is the state after the change */
  if (!h->no_lookups) assert_ptr_equal(best, xmppim_presence_best(p, contact));
  try_forbidden(p, h);
}

static void on_error(xmppim_presence *p, const char *contact, const char *resource,
                     const xmppim_stanza *st, void *ud) {
  harness *h = ud;
  logf_(h, "E %s/%s;", contact, resource ? resource : "-");
  xmppim_stanza_error_info info;
  assert_true(xmppim_stanza_error_parse(st, &info) >= 0);
  h->error_condition = info.condition;
  try_forbidden(p, h);
}

static int on_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
  harness *h = ud;
  if (s == h->server) {
    h->server_got++;
    return 0;
  }
  h->handled = xmppim_presence_handle_stanza(h->p, st);
  if (h->handled == 1) return 0;
  if (h->handled < 0) return h->handled;
  return XMPPIM_STANZA_UNHANDLED;
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

static const xmppim_presence_callbacks callbacks = {on_resource, on_best, on_error};

static void harness_init(harness *h, const xmppim_mem *mem) {
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
  pump(h);
  assert_int_equal(xmppim_session_state_get(h->client), XMPPIM_STATE_READY);
  assert_int_equal(xmppim_presence_client_new(&h->p, h->client, &callbacks, h, mem), 0);
  h->server_got = 0;
}

static void harness_free(harness *h) {
  xmppim_presence_free(h->p);
  xmppim_session_free(h->client);
  xmppim_session_free(h->server);
}

/* The server sends raw XML to the client; returns what the tracker returned. */
static int in(harness *h, const char *xml) {
  h->handled = -12345;
  long used = xmppim_session_feed(h->client, xml, strlen(xml));
  assert_int_equal(used, (long)strlen(xml));
  pump(h);
  return h->handled;
}

/* What the client wrote since the last call, then handed to the server. */
static const char *sent(harness *h) {
  const char *data;
  size_t n = xmppim_session_output(h->client, &data);
  assert_true(n < sizeof(h->out));
  memcpy(h->out, data, n);
  h->out[n] = '\0';
  pump(h); /* the server session must accept it */
  assert_int_equal(xmppim_session_state_get(h->server), XMPPIM_STATE_READY);
  return h->out;
}

static void clear_log(harness *h) { h->log[0] = '\0'; }

static const char *best_name(harness *h, const char *jid) {
  const xmppim_presence_resource *r = xmppim_presence_best(h->p, jid);
  if (!r) return "(none)";
  return xmppim_presence_resource_name(r) ? xmppim_presence_resource_name(r) : "-";
}

/* R4.1-a, R4.4.4-a, R4.5.4-a, R4.6.5-a, R4.7.3-a: available, updated and
 * unavailable, one resource at a time; the stanza is kept whole. */
static void R4_4_4_a_available_updated_unavailable_per_resource(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  /* directed or broadcast, the client cannot tell and need not (R4.6.5-a) */
  assert_int_equal(in(&h, "<presence from='Romeo@Example.net/orchard'><show>away</show>"
                          "<status>In the orchard</status><priority>1</priority>"
                          "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
                          "node='http://example.org/client' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>"
                          "</presence>"),
                   1);
  assert_string_equal(h.log, "A romeo@example.net/orchard;B romeo@example.net=orchard;");
  assert_int_equal(xmppim_presence_contact_count(h.p), 1);
  const xmppim_presence_contact *c = xmppim_presence_find(h.p, "romeo@example.net");
  assert_non_null(c);
  assert_ptr_equal(c, xmppim_presence_find(h.p, "ROMEO@example.net/anything"));
  assert_ptr_equal(c, xmppim_presence_contact_at(h.p, 0));
  assert_string_equal(xmppim_presence_contact_jid(c), "romeo@example.net");
  assert_int_equal(xmppim_presence_contact_resource_count(c), 1);
  const xmppim_presence_resource *r = xmppim_presence_contact_find_resource(c, "orchard");
  assert_non_null(r);
  assert_ptr_equal(r, xmppim_presence_contact_resource_at(c, 0));
  assert_string_equal(xmppim_presence_resource_name(r), "orchard");
  assert_int_equal(xmppim_presence_resource_show(r), XMPPIM_SHOW_AWAY);
  assert_int_equal(xmppim_presence_resource_priority(r), 1);
  assert_string_equal(xmppim_presence_resource_status(r, "en"), "In the orchard");
  assert_non_null(xmppim_stanza_find_child(xmppim_presence_resource_stanza(r), "c",
                                           "http://jabber.org/protocol/caps"));

  /* an update: reported as such, the best is the same resource */
  clear_log(&h);
  assert_int_equal(in(&h, "<presence from='romeo@example.net/orchard'><show>chat</show></presence>"), 1);
  assert_string_equal(h.log, "U romeo@example.net/orchard;");
  r = xmppim_presence_best(h.p, "romeo@example.net");
  assert_int_equal(xmppim_presence_resource_show(r), XMPPIM_SHOW_CHAT);
  assert_int_equal(xmppim_presence_resource_priority(r), 0); /* R4.7.2.3-d: absent is 0 */
  assert_null(xmppim_presence_resource_status(r, "en"));   /* the update replaced it all */
  assert_null(xmppim_stanza_find_child(xmppim_presence_resource_stanza(r), "c",
                                       "http://jabber.org/protocol/caps"));

  /* a second resource with a higher priority becomes the best */
  clear_log(&h);
  assert_int_equal(in(&h, "<presence from='romeo@example.net/garden'><priority>5</priority></presence>"), 1);
  assert_string_equal(h.log, "A romeo@example.net/garden;B romeo@example.net=garden;");
  assert_int_equal(xmppim_presence_contact_resource_count(xmppim_presence_find(h.p, "romeo@example.net")), 2);

  /* it leaves, saying why (R4.5.1-b as received) */
  clear_log(&h);
  assert_int_equal(in(&h, "<presence from='romeo@example.net/garden' type='unavailable'>"
                          "<status>gone to bed</status></presence>"),
                   1);
  assert_string_equal(h.log, "X romeo@example.net/garden;B romeo@example.net=orchard;");
  assert_string_equal(h.unavail_status, "gone to bed");

  /* unavailable from a resource nobody knows: nothing */
  clear_log(&h);
  assert_int_equal(in(&h, "<presence from='romeo@example.net/balcony' type='unavailable'/>"), 1);
  assert_string_equal(h.log, "");
  assert_int_equal(in(&h, "<presence from='tybalt@example.com/x' type='unavailable'/>"), 1);
  assert_string_equal(h.log, "");

  /* the last one leaves: the contact is gone, and its memory with it */
  assert_int_equal(in(&h, "<presence from='romeo@example.net/orchard' type='unavailable'/>"), 1);
  assert_string_equal(h.log, "X romeo@example.net/orchard;B romeo@example.net=;");
  assert_int_equal(xmppim_presence_contact_count(h.p), 0);
  assert_null(xmppim_presence_find(h.p, "romeo@example.net"));
  assert_null(xmppim_presence_best(h.p, "romeo@example.net"));

  /* presence from a bare JID (a service) is a resource without name */
  clear_log(&h);
  assert_int_equal(in(&h, "<presence from='gateway.example.com'/>"), 1);
  assert_string_equal(h.log, "A gateway.example.com/-;B gateway.example.com=-;");
  c = xmppim_presence_find(h.p, "gateway.example.com");
  assert_non_null(xmppim_presence_contact_find_resource(c, NULL));
  assert_null(xmppim_presence_contact_find_resource(c, "x"));
  assert_int_equal(in(&h, "<presence from='gateway.example.com'><show>xa</show></presence>"), 1);
  assert_string_equal(h.log, "A gateway.example.com/-;B gateway.example.com=-;U gateway.example.com/-;");
  harness_free(&h);
}

/* R4.5.4-b: unavailable from the bare JID applies to every resource */
static void R4_5_4_b_bare_jid_unavailable_clears_all_resources(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  in(&h, "<presence from='romeo@example.net/a'/>");
  in(&h, "<presence from='romeo@example.net/b'/>");
  in(&h, "<presence from='romeo@example.net'/>");
  in(&h, "<presence from='benvolio@example.net/c'/>");
  assert_int_equal(xmppim_presence_contact_resource_count(xmppim_presence_find(h.p, "romeo@example.net")), 3);
  clear_log(&h);
  assert_int_equal(in(&h, "<presence from='Romeo@Example.NET' type='unavailable'><status>bye</status></presence>"), 1);
  assert_string_equal(h.log, "X romeo@example.net/a;X romeo@example.net/b;X romeo@example.net/-;"
                             "B romeo@example.net=;");
  assert_string_equal(h.unavail_status, "bye");
  assert_null(xmppim_presence_find(h.p, "romeo@example.net"));
  assert_int_equal(xmppim_presence_contact_count(h.p), 1); /* the other contact stays */
  assert_string_equal(best_name(&h, "benvolio@example.net"), "c");
  harness_free(&h);
}

/* R3.3.3-h: a roster push that ends the user's subscription to a contact
 * (subscription none, from or remove) voids what is known of its presence
 * at once; a push from someone else, or one that keeps it (to, both),
 * changes nothing; the push is left to the roster (0). */
static void R3_3_3_h_presence_void_on_roster_push(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  in(&h, "<presence from='romeo@example.net/a'/>");
  in(&h, "<presence from='nurse@example.com/b'/>");
  in(&h, "<presence from='tybalt@example.org/c'/>");
  clear_log(&h);
  assert_int_equal(in(&h, "<iq type='set' id='p1' from='mallory@evil.example'><query xmlns='jabber:iq:roster'>"
                          "<item jid='romeo@example.net' subscription='none'/></query></iq>"),
                   0);
  assert_non_null(xmppim_presence_find(h.p, "romeo@example.net"));
  in(&h, "<iq type='set' id='p2'><query xmlns='jabber:iq:roster'>"
         "<item jid='romeo@example.net' subscription='both'/></query></iq>");
  assert_non_null(xmppim_presence_find(h.p, "romeo@example.net"));
  in(&h, "<iq type='set' id='p3'><query xmlns='jabber:iq:roster'>"
         "<item jid='romeo@example.net' subscription='from'/></query></iq>");
  assert_null(xmppim_presence_find(h.p, "romeo@example.net"));
  in(&h, "<iq type='set' id='p4' from='" ACCOUNT "'><query xmlns='jabber:iq:roster'>"
         "<item jid='nurse@example.com' subscription='remove'/></query></iq>");
  assert_null(xmppim_presence_find(h.p, "nurse@example.com"));
  assert_non_null(xmppim_presence_find(h.p, "tybalt@example.org"));
  assert_non_null(strstr(h.log, "X romeo@example.net/a;"));
  harness_free(&h);
}

/* R3.1.3-j: the unavailable a contact's server answers a subscription
 * request with, from the bare JID, when nothing is known of the contact */
static void R3_1_3_j_bare_unavailable_without_resources_changes_nothing(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  in(&h, "<presence from='benvolio@example.net/c'/>");
  clear_log(&h);
  assert_int_equal(in(&h, "<presence from='romeo@example.net' type='unavailable'/>"), 1);
  assert_string_equal(h.log, "");
  assert_int_equal(xmppim_presence_contact_count(h.p), 1);
  harness_free(&h);
}

/* The best resource: priority, then show (chat > online > away > xa > dnd),
 * then the most recent; on_best_changed follows it. */
static void best_resource_priority_then_show_then_recency(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  /* priority first: a dnd with priority 1 beats a chat with 0 */
  in(&h, "<presence from='romeo@example.net/dnd1'><show>dnd</show><priority>1</priority></presence>");
  in(&h, "<presence from='romeo@example.net/chat0'><show>chat</show></presence>");
  assert_string_equal(best_name(&h, "romeo@example.net"), "dnd1");
  in(&h, "<presence from='romeo@example.net/dnd1' type='unavailable'/>");
  assert_string_equal(best_name(&h, "romeo@example.net"), "chat0");
  in(&h, "<presence from='romeo@example.net/chat0' type='unavailable'/>");

  /* show second, whatever the arrival order */
  static const char *const order[] = {"dnd", "xa", "away", "online", "chat"};
  for (size_t i = 0; i < 5; i++) {
    char xml[256];
    if (strcmp(order[i], "online") == 0)
      snprintf(xml, sizeof(xml), "<presence from='nurse@example.com/%s'/>", order[i]);
    else
      snprintf(xml, sizeof(xml), "<presence from='nurse@example.com/%s'><show>%s</show></presence>",
               order[i], order[i]);
    clear_log(&h);
    in(&h, xml);
    char want[256];
    snprintf(want, sizeof(want), "A nurse@example.com/%s;B nurse@example.com=%s;", order[i], order[i]);
    assert_string_equal(h.log, want);
  }
  /* and backwards: each removal of the best hands over to the next */
  for (size_t i = 5; i-- > 1;) {
    char xml[256], want[256];
    snprintf(xml, sizeof(xml), "<presence from='nurse@example.com/%s' type='unavailable'/>", order[i]);
    clear_log(&h);
    in(&h, xml);
    snprintf(want, sizeof(want), "X nurse@example.com/%s;B nurse@example.com=%s;", order[i], order[i - 1]);
    assert_string_equal(h.log, want);
  }
  /* the same show arriving in reverse order of rank changes nothing */
  in(&h, "<presence from='nurse@example.com/online'/>");
  clear_log(&h);
  in(&h, "<presence from='nurse@example.com/away'><show>away</show></presence>");
  assert_string_equal(h.log, "A nurse@example.com/away;");
  assert_string_equal(best_name(&h, "nurse@example.com"), "online");

  /* recency last: equal priority and show, the later wins; an update of
   * the older makes it the later */
  in(&h, "<presence from='tybalt@example.com/one'><show>away</show></presence>");
  clear_log(&h);
  in(&h, "<presence from='tybalt@example.com/two'><show>away</show></presence>");
  assert_string_equal(h.log, "A tybalt@example.com/two;B tybalt@example.com=two;");
  clear_log(&h);
  in(&h, "<presence from='tybalt@example.com/one'><show>away</show><status>back soon</status></presence>");
  assert_string_equal(h.log, "U tybalt@example.com/one;B tybalt@example.com=one;");
  /* a lower show for the best: it drops below the other */
  clear_log(&h);
  in(&h, "<presence from='tybalt@example.com/one'><show>xa</show></presence>");
  assert_string_equal(h.log, "U tybalt@example.com/one;B tybalt@example.com=two;");
  /* removing a resource that is not the best reports no change of best */
  clear_log(&h);
  in(&h, "<presence from='tybalt@example.com/one' type='unavailable'/>");
  assert_string_equal(h.log, "X tybalt@example.com/one;");
  harness_free(&h);
}

/* R4.7.2.3-b, R4.7.2.3-g: negative priorities are listed, and are the best
 * only when nothing with a priority of 0 or more is there */
static void R4_7_2_3_g_negative_priority_listed_best_only_alone(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  in(&h, "<presence from='romeo@example.net/bot'><show>chat</show><priority>-1</priority></presence>");
  assert_string_equal(h.log, "A romeo@example.net/bot;B romeo@example.net=bot;");
  assert_int_equal(xmppim_presence_resource_priority(xmppim_presence_best(h.p, "romeo@example.net")), -1);
  clear_log(&h);
  in(&h, "<presence from='romeo@example.net/phone'><show>dnd</show><priority>0</priority></presence>");
  assert_string_equal(h.log, "A romeo@example.net/phone;B romeo@example.net=phone;");
  in(&h, "<presence from='romeo@example.net/old'><priority>-128</priority></presence>");
  assert_int_equal(xmppim_presence_contact_resource_count(xmppim_presence_find(h.p, "romeo@example.net")), 3);
  assert_string_equal(best_name(&h, "romeo@example.net"), "phone");
  clear_log(&h);
  in(&h, "<presence from='romeo@example.net/phone' type='unavailable'/>");
  assert_string_equal(h.log, "X romeo@example.net/phone;B romeo@example.net=bot;");
  harness_free(&h);
}

/* R4.7.2.2-a, R4.7.2.2-c: several status texts, one per language (explicit
 * or inherited from the stanza), and the lookup's fallbacks */
static void R4_7_2_2_c_status_languages(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  in(&h, "<presence from='romeo@example.net/a' xml:lang='en'>"
         "<status>Wherefore art thou?</status>"
         "<status xml:lang='de'>Wo bist du?</status>"
         "<status xml:lang='EN'>duplicate language: ignored</status>"
         "<status xml:lang='fr'></status>"
         "<status xml:lang=''>no language</status>"
         "<status xml:lang='pt-BR'>Onde est\xc3\xa1s?</status>"
         "</presence>");
  const xmppim_presence_resource *r = xmppim_presence_best(h.p, "romeo@example.net");
  assert_int_equal(xmppim_presence_resource_status_count(r), 4);
  const char *lang;
  assert_string_equal(xmppim_presence_resource_status_at(r, 0, &lang), "Wherefore art thou?");
  assert_string_equal(lang, "en"); /* inherited from the stanza */
  assert_string_equal(xmppim_presence_resource_status_at(r, 1, &lang), "Wo bist du?");
  assert_string_equal(lang, "de");
  assert_string_equal(xmppim_presence_resource_status_at(r, 2, &lang), "no language");
  assert_null(lang);
  assert_string_equal(xmppim_presence_resource_status_at(r, 3, &lang), "Onde est\xc3\xa1s?");
  assert_null(xmppim_presence_resource_status_at(r, 4, &lang));
  assert_null(lang);
  assert_string_equal(xmppim_presence_resource_status(r, "de"), "Wo bist du?");
  assert_string_equal(xmppim_presence_resource_status(r, "DE-at"), "Wo bist du?"); /* primary */
  assert_string_equal(xmppim_presence_resource_status(r, "en-GB"), "Wherefore art thou?");
  assert_string_equal(xmppim_presence_resource_status(r, "pt"), "Onde est\xc3\xa1s?");
  assert_string_equal(xmppim_presence_resource_status(r, "pt-br"), "Onde est\xc3\xa1s?");
  assert_string_equal(xmppim_presence_resource_status(r, "fr"), "no language");
  assert_string_equal(xmppim_presence_resource_status(r, NULL), "no language");
  assert_string_equal(xmppim_presence_resource_status(r, ""), "no language");
  /* without a status lacking a language: the first */
  in(&h, "<presence from='romeo@example.net/b'><status xml:lang='it'>Dove sei?</status>"
         "<status xml:lang='es'>\xc2\xbf" "D\xc3\xb3nde est\xc3\xa1s?</status></presence>");
  r = xmppim_presence_contact_find_resource(xmppim_presence_find(h.p, "romeo@example.net"), "b");
  assert_string_equal(xmppim_presence_resource_status(r, "fr"), "Dove sei?");
  assert_string_equal(xmppim_presence_resource_status(r, NULL), "Dove sei?");
  assert_string_equal(xmppim_presence_resource_status(r, "es"), "\xc2\xbf" "D\xc3\xb3nde est\xc3\xa1s?");
  /* none at all */
  in(&h, "<presence from='romeo@example.net/c'><status/></presence>");
  r = xmppim_presence_contact_find_resource(xmppim_presence_find(h.p, "romeo@example.net"), "c");
  assert_int_equal(xmppim_presence_resource_status_count(r), 0);
  assert_null(xmppim_presence_resource_status(r, "en"));
  assert_null(xmppim_presence_resource_status(r, NULL));
  harness_free(&h);
}

/* R4.7.2.1-b, R4.7.2.1-c, R4.7.2.1-d, R4.7.2.3-b, R4.7.2.3-c, R4.7.2.3-d:
 * malformed show and priority are read leniently: unknown show is online,
 * a bad priority is 0, the first of repeated elements counts. */
static void R4_7_2_3_b_malformed_priority_and_show_read_leniently(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  static const struct {
    const char *children;
    xmppim_show show;
    int priority;
  } cases[] = {
    {"<priority>abc</priority>", XMPPIM_SHOW_ONLINE, 0},
    {"<priority>128</priority>", XMPPIM_SHOW_ONLINE, 0},
    {"<priority>-129</priority>", XMPPIM_SHOW_ONLINE, 0},
    {"<priority>99999999999999999999</priority>", XMPPIM_SHOW_ONLINE, 0},
    {"<priority></priority>", XMPPIM_SHOW_ONLINE, 0},
    {"<priority>1.5</priority>", XMPPIM_SHOW_ONLINE, 0},
    {"<priority>- 3</priority>", XMPPIM_SHOW_ONLINE, 0},
    {"<priority> 5\n</priority>", XMPPIM_SHOW_ONLINE, 5},
    {"<priority>+7</priority>", XMPPIM_SHOW_ONLINE, 7},
    {"<priority>-0128</priority>", XMPPIM_SHOW_ONLINE, -128},
    {"<priority>127</priority>", XMPPIM_SHOW_ONLINE, 127},
    {"<priority>3</priority><priority>9</priority>", XMPPIM_SHOW_ONLINE, 3},
    {"<show>bogus</show>", XMPPIM_SHOW_ONLINE, 0},
    {"<show>AWAY</show>", XMPPIM_SHOW_ONLINE, 0},
    {"<show/>", XMPPIM_SHOW_ONLINE, 0},
    {"<show> away </show>", XMPPIM_SHOW_AWAY, 0},
    {"<show>xa</show><show>chat</show>", XMPPIM_SHOW_XA, 0},
    {"<show>dnd</show>", XMPPIM_SHOW_DND, 0},
    {"<show xmlns='urn:example:other'>dnd</show>", XMPPIM_SHOW_ONLINE, 0}, /* an extension */
    {"<priority xmlns='urn:example:other'>9</priority>", XMPPIM_SHOW_ONLINE, 0},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char xml[512];
    snprintf(xml, sizeof(xml), "<presence from='romeo@example.net/r'>%s</presence>", cases[i].children);
    assert_int_equal(in(&h, xml), 1);
    const xmppim_presence_resource *r = xmppim_presence_best(h.p, "romeo@example.net");
    assert_non_null(r);
    if (xmppim_presence_resource_show(r) != cases[i].show ||
        xmppim_presence_resource_priority(r) != cases[i].priority)
      fail_msg("case %zu (%s): show %d priority %d", i, cases[i].children,
               (int)xmppim_presence_resource_show(r), xmppim_presence_resource_priority(r));
  }
  assert_int_equal(xmppim_presence_contact_resource_count(xmppim_presence_find(h.p, "romeo@example.net")), 1);
  harness_free(&h);
}

/* R4.7.1-a, R4.7.1-c: a presence error removes what was known of its sender
 * (a resource for a full JID, the contact for a bare JID) and is reported
 * with its condition */
static void R4_7_1_c_presence_error_marks_sender_unreachable(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  in(&h, "<presence from='romeo@example.net/a'/>");
  in(&h, "<presence from='romeo@example.net/b'><priority>2</priority></presence>");
  in(&h, "<presence from='room@conference.example.com/juliet'/>");
  in(&h, "<presence from='room@conference.example.com/romeo'/>");
  clear_log(&h);
  assert_int_equal(in(&h, "<presence from='room@conference.example.com/juliet' type='error'>"
                          "<error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                          "</error></presence>"),
                   1);
  assert_string_equal(h.log, "X room@conference.example.com/juliet;E room@conference.example.com/juliet;");
  assert_int_equal(h.error_condition, XMPPIM_STANZA_COND_CONFLICT);
  clear_log(&h);
  assert_int_equal(in(&h, "<presence from='romeo@example.net' type='error'>"
                          "<error type='cancel'><remote-server-not-found "
                          "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>"),
                   1);
  assert_string_equal(h.log, "X romeo@example.net/a;X romeo@example.net/b;B romeo@example.net=;"
                             "E romeo@example.net/-;");
  assert_int_equal(h.error_condition, XMPPIM_STANZA_COND_REMOTE_SERVER_NOT_FOUND);
  assert_null(xmppim_presence_find(h.p, "romeo@example.net"));
  /* an error about someone not known is still reported */
  clear_log(&h);
  assert_int_equal(in(&h, "<presence from='mercutio@example.org' type='error'>"
                          "<error type='wait'><recipient-unavailable "
                          "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>"),
                   1);
  assert_string_equal(h.log, "E mercutio@example.org/-;");
  assert_int_equal(xmppim_presence_contact_count(h.p), 1);
  harness_free(&h);
}

/* R4.3-d, R4.7.1-a, R4.7.1-d: subscription presence, probes, unknown types,
 * presence without or with an unusable 'from' are not the tracker's */
static void R4_7_1_a_subscription_and_other_presence_not_tracked(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  in(&h, "<presence from='romeo@example.net/a'/>");
  clear_log(&h);
  static const char *const others[] = {
    "<presence from='romeo@example.net' type='subscribe'/>",
    "<presence from='romeo@example.net' type='subscribed'/>",
    "<presence from='romeo@example.net' type='unsubscribe'/>",
    "<presence from='romeo@example.net' type='unsubscribed'/>",
    "<presence from='romeo@example.net/a' type='probe'/>",
    "<presence from='romeo@example.net/a' type='available'/>", /* R4.7.1-e: not a type */
    "<presence from='romeo@example.net/a' type='bogus'/>",
    "<presence type='unavailable'/>",
    "<presence/>",
    "<presence from='@example.net/a' type='unavailable'/>",
    "<presence from='romeo@example.net/' type='unavailable'/>",
  };
  for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
    if (in(&h, others[i]) != 0) fail_msg("%s was taken", others[i]);
  }
  assert_string_equal(h.log, "");
  assert_string_equal(best_name(&h, "romeo@example.net"), "a");
  /* messages and IQs neither */
  assert_int_equal(in(&h, "<message from='romeo@example.net/a' type='chat'><body>hi</body></message>"), 0);
  harness_free(&h);
}

/* R4.2.1-a, R4.2.1-b, R4.4.1-a, R4.4.1-b, R4.1-b: broadcast presence has no
 * 'to' and no 'type'; the first is initial, the next are updates */
static void R4_2_1_a_initial_presence_has_no_to_and_no_type(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  assert_int_equal(xmppim_presence_is_available(h.p), 0);
  assert_int_equal(xmppim_presence_send(h.p, XMPPIM_SHOW_ONLINE, NULL, NULL, 0), 0);
  assert_string_equal(sent(&h), "<presence/>");
  assert_int_equal(h.server_got, 1);
  assert_int_equal(xmppim_presence_is_available(h.p), 1);
  assert_int_equal(xmppim_presence_own_show(h.p), XMPPIM_SHOW_ONLINE);
  /* an update, with everything */
  assert_int_equal(xmppim_presence_send(h.p, XMPPIM_SHOW_AWAY, "At the ball", "en", 5), 0);
  assert_string_equal(sent(&h), "<presence><show>away</show><status xml:lang='en'>At the ball</status>"
                                "<priority>5</priority></presence>");
  assert_int_equal(xmppim_presence_is_available(h.p), 1);
  assert_int_equal(xmppim_presence_own_show(h.p), XMPPIM_SHOW_AWAY);
  assert_int_equal(xmppim_presence_own_priority(h.p), 5);
  /* an empty status or language is none */
  assert_int_equal(xmppim_presence_send(h.p, XMPPIM_SHOW_ONLINE, "", "", -5), 0);
  assert_string_equal(sent(&h), "<presence><priority>-5</priority></presence>");
  assert_int_equal(xmppim_presence_send(h.p, XMPPIM_SHOW_ONLINE, "x & <y>", NULL, 0), 0);
  assert_string_equal(sent(&h), "<presence><status>x &amp; &lt;y&gt;</status></presence>");
  assert_int_equal(h.server_got, 4);
  /* our own presence comes back from the server (R4.2.2-b) and is tracked
   * under the account like any contact's */
  char echo[256];
  snprintf(echo, sizeof(echo), "<presence from='%s'/>",
           xmppim_jid_to_string(xmppim_session_jid(h.client)));
  assert_int_equal(in(&h, echo), 1);
  assert_string_equal(best_name(&h, ACCOUNT), xmppim_jid_resource(xmppim_session_jid(h.client)));
  harness_free(&h);
}

/* R4.7.2.1-c: the four show values, and none for online */
static void R4_7_2_1_c_show_values_sent(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  static const struct {
    xmppim_show show;
    const char *xml;
  } cases[] = {
    {XMPPIM_SHOW_ONLINE, "<presence/>"},
    {XMPPIM_SHOW_CHAT, "<presence><show>chat</show></presence>"},
    {XMPPIM_SHOW_AWAY, "<presence><show>away</show></presence>"},
    {XMPPIM_SHOW_XA, "<presence><show>xa</show></presence>"},
    {XMPPIM_SHOW_DND, "<presence><show>dnd</show></presence>"},
  };
  for (size_t i = 0; i < 5; i++) {
    assert_int_equal(xmppim_presence_send(h.p, cases[i].show, NULL, NULL, 0), 0);
    assert_string_equal(sent(&h), cases[i].xml);
    assert_int_equal(xmppim_presence_own_show(h.p), cases[i].show);
  }
  assert_null(xmppim_show_name(XMPPIM_SHOW_ONLINE));
  assert_string_equal(xmppim_show_name(XMPPIM_SHOW_XA), "xa");
  assert_null(xmppim_show_name((xmppim_show)5));
  assert_int_equal(xmppim_presence_send(h.p, (xmppim_show)5, NULL, NULL, 0), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_presence_send(h.p, (xmppim_show)-1, NULL, NULL, 0), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_string_equal(sent(&h), "");
  harness_free(&h);
}

/* R4.7.2.3-b: a priority out of -128..127 is refused, nothing is sent and
 * nothing remembered; so is text XML cannot carry */
static void R4_7_2_3_b_priority_out_of_range_refused(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  assert_int_equal(xmppim_presence_send(h.p, XMPPIM_SHOW_ONLINE, NULL, NULL, 128), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_presence_send(h.p, XMPPIM_SHOW_ONLINE, NULL, NULL, -129), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_presence_send_directed(h.p, "romeo@example.net", XMPPIM_SHOW_ONLINE, NULL, NULL, 1000),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_presence_send(h.p, XMPPIM_SHOW_ONLINE, "bad \xc3", NULL, 0), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_presence_send(h.p, XMPPIM_SHOW_ONLINE, "nul\x01", NULL, 0), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_presence_send(h.p, XMPPIM_SHOW_ONLINE, "ok", "\xff", 0), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_string_equal(sent(&h), "");
  assert_int_equal(xmppim_presence_is_available(h.p), 0);
  assert_int_equal(xmppim_presence_send(h.p, XMPPIM_SHOW_ONLINE, NULL, NULL, 127), 0);
  assert_string_equal(sent(&h), "<presence><priority>127</priority></presence>");
  assert_int_equal(xmppim_presence_send(h.p, XMPPIM_SHOW_ONLINE, NULL, NULL, -128), 0);
  assert_string_equal(sent(&h), "<presence><priority>-128</priority></presence>");
  assert_int_equal(xmppim_presence_own_priority(h.p), -128);
  harness_free(&h);
}

/* R4.5.1-a, R4.5.1-b, R4.5.1-c, R4.5.2-g (as the client sees it): unavailable
 * presence has no show and no priority; it ends our presence session, the
 * contacts' presence is forgotten, and the next broadcast is initial */
static void R4_5_1_c_unavailable_has_no_show_or_priority(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  assert_int_equal(xmppim_presence_send(h.p, XMPPIM_SHOW_DND, NULL, NULL, 3), 0);
  sent(&h);
  in(&h, "<presence from='romeo@example.net/a'/>");
  in(&h, "<presence from='nurse@example.com/b'/>");
  clear_log(&h);
  assert_int_equal(xmppim_presence_send_unavailable(h.p, "Good night", "en"), 0);
  const char *out = sent(&h);
  assert_string_equal(out, "<presence type='unavailable'><status xml:lang='en'>Good night</status></presence>");
  assert_null(strstr(out, "show"));
  assert_null(strstr(out, "priority"));
  assert_null(strstr(out, "to="));
  assert_int_equal(xmppim_presence_is_available(h.p), 0);
  assert_int_equal(xmppim_presence_own_show(h.p), XMPPIM_SHOW_ONLINE);
  assert_int_equal(xmppim_presence_own_priority(h.p), 0);
  assert_int_equal(xmppim_presence_contact_count(h.p), 0);
  assert_non_null(strstr(h.log, "X romeo@example.net/a;B romeo@example.net=;"));
  assert_non_null(strstr(h.log, "X nurse@example.com/b;B nurse@example.com=;"));
  /* without status */
  assert_int_equal(xmppim_presence_send_unavailable(h.p, NULL, NULL), 0);
  assert_string_equal(sent(&h), "<presence type='unavailable'/>");
  /* the next broadcast is initial presence again */
  assert_int_equal(xmppim_presence_send(h.p, XMPPIM_SHOW_ONLINE, NULL, NULL, 0), 0);
  assert_string_equal(sent(&h), "<presence/>");
  assert_int_equal(xmppim_presence_is_available(h.p), 1);
  harness_free(&h);
}

/* R4.6.2-a, R4.1-b: directed presence carries 'to' (prepared) and leaves
 * our broadcast state alone; directed unavailable has no show or priority */
static void R4_6_2_a_directed_presence(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  assert_int_equal(xmppim_presence_send_directed(h.p, "Room@Conference.Example.com/Juliet",
                                                 XMPPIM_SHOW_CHAT, "hello", NULL, 1),
                   0);
  assert_string_equal(sent(&h), "<presence to='room@conference.example.com/Juliet'><show>chat</show>"
                                "<status>hello</status><priority>1</priority></presence>");
  assert_int_equal(xmppim_presence_is_available(h.p), 0); /* R4.6.3-g is the server's business */
  assert_int_equal(xmppim_presence_send(h.p, XMPPIM_SHOW_AWAY, NULL, NULL, 0), 0);
  sent(&h);
  assert_int_equal(xmppim_presence_send_directed_unavailable(h.p, "room@conference.example.com/Juliet",
                                                             "leaving", "en"),
                   0);
  const char *out = sent(&h);
  assert_string_equal(out, "<presence to='room@conference.example.com/Juliet' type='unavailable'>"
                           "<status xml:lang='en'>leaving</status></presence>");
  assert_int_equal(xmppim_presence_is_available(h.p), 1); /* still available to everyone else */
  assert_int_equal(xmppim_presence_own_show(h.p), XMPPIM_SHOW_AWAY);
  assert_int_equal(xmppim_presence_send_directed(h.p, "@bad", XMPPIM_SHOW_ONLINE, NULL, NULL, 0),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_presence_send_directed(h.p, NULL, XMPPIM_SHOW_ONLINE, NULL, NULL, 0),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_presence_send_directed_unavailable(h.p, "a@b/", NULL, NULL),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_string_equal(sent(&h), "");
  harness_free(&h);
}

static xmppim_stanza *parse(const char *xml) {
  xmppim_stanza *st;
  assert_int_equal(xmppim_stanza_parse(&st, xml, strlen(xml), NULL, NULL), 0);
  return st;
}

/* R4.7.2.1-b, R4.7.2.1-c, R4.7.2.3-b, R4.7.2.3-c, R4.7.2.2-c, R4.5.1-c,
 * R4.3-d, R4.7.3-a: a presence the application built is checked, sent, and
 * counted */
static void R4_7_3_a_application_built_presence_checked(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  static const char *const refused[] = {
    "<presence xmlns='jabber:client' type='subscribe' to='romeo@example.net'/>",
    "<presence xmlns='jabber:client' type='probe' to='romeo@example.net'/>", /* R4.3-d */
    "<presence xmlns='jabber:client' type='error'/>",
    "<presence xmlns='jabber:client' type='available'/>",
    "<presence xmlns='jabber:client'><show>away</show><show>xa</show></presence>",
    "<presence xmlns='jabber:client'><show>busy</show></presence>",
    "<presence xmlns='jabber:client'><show> away</show></presence>",
    "<presence xmlns='jabber:client'><priority>1</priority><priority>2</priority></presence>",
    "<presence xmlns='jabber:client'><priority>128</priority></presence>",
    "<presence xmlns='jabber:client'><priority>x</priority></presence>",
    "<presence xmlns='jabber:client' type='unavailable'><show>away</show></presence>",
    "<presence xmlns='jabber:client' type='unavailable'><priority>1</priority></presence>",
    "<presence xmlns='jabber:client'><status>a</status><status>b</status></presence>",
    "<presence xmlns='jabber:client' xml:lang='en'><status>a</status><status xml:lang='EN'>b</status></presence>",
    "<presence xmlns='jabber:client' to='@bad'/>",
    "<message xmlns='jabber:client'/>",
    "<presence xmlns='jabber:server'/>",
  };
  for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    xmppim_stanza *st = parse(refused[i]);
    if (xmppim_presence_send_stanza(h.p, st) != XMPPIM_ERR_INVALID_ARGUMENT)
      fail_msg("sent %s", refused[i]);
    xmppim_stanza_free(st);
  }
  assert_string_equal(sent(&h), "");
  xmppim_stanza *st = parse("<presence xmlns='jabber:client' xml:lang='en'><show>xa</show>"
                            "<status>a</status><status xml:lang='de'>b</status><priority>-3</priority>"
                            "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'/>"
                            "<show xmlns='urn:example:x'>not ours</show></presence>");
  assert_int_equal(xmppim_presence_send_stanza(h.p, st), 0);
  xmppim_stanza_free(st);
  assert_non_null(strstr(sent(&h), "<c xmlns='http://jabber.org/protocol/caps'"));
  assert_int_equal(xmppim_presence_is_available(h.p), 1);
  assert_int_equal(xmppim_presence_own_show(h.p), XMPPIM_SHOW_XA);
  assert_int_equal(xmppim_presence_own_priority(h.p), -3);
  /* a directed one leaves the broadcast state */
  st = parse("<presence xmlns='jabber:client' to='romeo@example.net' type='unavailable'/>");
  assert_int_equal(xmppim_presence_send_stanza(h.p, st), 0);
  xmppim_stanza_free(st);
  assert_int_equal(xmppim_presence_is_available(h.p), 1);
  /* a broadcast unavailable ends it */
  st = parse("<presence xmlns='jabber:client' type='unavailable'><status>bye</status></presence>");
  assert_int_equal(xmppim_presence_send_stanza(h.p, st), 0);
  xmppim_stanza_free(st);
  assert_int_equal(xmppim_presence_is_available(h.p), 0);
  assert_int_equal(xmppim_presence_send_stanza(h.p, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  harness_free(&h);
}

/* The stream ended: reset reports everyone offline and forgets our state */
static void presence_reset_forgets_everything(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  assert_int_equal(xmppim_presence_send(h.p, XMPPIM_SHOW_CHAT, NULL, NULL, 1), 0);
  sent(&h);
  in(&h, "<presence from='romeo@example.net/a'/>");
  in(&h, "<presence from='romeo@example.net/b'/>");
  in(&h, "<presence from='nurse@example.com/c'/>");
  clear_log(&h);
  assert_int_equal(xmppim_presence_reset(h.p), 0);
  assert_int_equal(xmppim_presence_contact_count(h.p), 0);
  assert_int_equal(xmppim_presence_is_available(h.p), 0);
  assert_non_null(strstr(h.log, "X romeo@example.net/a;X romeo@example.net/b;B romeo@example.net=;"));
  assert_non_null(strstr(h.log, "X nurse@example.com/c;B nurse@example.com=;"));
  assert_string_equal(h.unavail_status, ""); /* no stanza */
  clear_log(&h);
  assert_int_equal(xmppim_presence_reset(h.p), 0); /* nothing left */
  assert_string_equal(h.log, "");
  /* it works as before afterwards */
  in(&h, "<presence from='romeo@example.net/a'/>");
  assert_string_equal(h.log, "A romeo@example.net/a;B romeo@example.net=a;");
  harness_free(&h);
}

/* Callbacks may read and send directed presence, but not reset, and not
 * end the presence session */
static void presence_callbacks_cannot_reset(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  h.in_callback_checks = 1;
  in(&h, "<presence from='romeo@example.net/a'/>");
  in(&h, "<presence from='romeo@example.net' type='error'><error type='cancel'>"
         "<gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>");
  assert_string_equal(h.log, "A romeo@example.net/a;B romeo@example.net=a;"
                             "X romeo@example.net/a;B romeo@example.net=;E romeo@example.net/-;");
  assert_int_equal(h.forbidden_refused, 5);
  assert_int_equal(h.directed_from_callback, 5);
  assert_null(strstr(sent(&h), "type='unavailable'"));
  harness_free(&h);
}

/* The resource limit: a further resource is consumed and ignored */
static void presence_max_resources(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  assert_int_equal(xmppim_presence_set_max_resources(h.p, 2), 0);
  in(&h, "<presence from='room@muc.example.com/a'/>");
  in(&h, "<presence from='room@muc.example.com/b'/>");
  clear_log(&h);
  assert_int_equal(in(&h, "<presence from='room@muc.example.com/c'><priority>9</priority></presence>"), 1);
  assert_string_equal(h.log, "");
  assert_int_equal(in(&h, "<presence from='room@muc.example.com/a'><show>away</show></presence>"), 1);
  assert_string_equal(h.log, "U room@muc.example.com/a;"); /* b, the later, stays the best */
  assert_int_equal(xmppim_presence_set_max_resources(h.p, 0), 0); /* no limit */
  for (int i = 0; i < 100; i++) {
    char xml[128];
    snprintf(xml, sizeof(xml), "<presence from='room@muc.example.com/n%d'/>", i);
    in(&h, xml);
  }
  assert_int_equal(xmppim_presence_contact_resource_count(xmppim_presence_find(h.p, "room@muc.example.com")), 102);
  /* many contacts: the list grows and shrinks */
  for (int i = 0; i < 100; i++) {
    char xml[128];
    snprintf(xml, sizeof(xml), "<presence from='c%d@example.com/r'/>", i);
    in(&h, xml);
  }
  assert_int_equal(xmppim_presence_contact_count(h.p), 101);
  for (int i = 0; i < 100; i += 2) {
    char xml[128];
    snprintf(xml, sizeof(xml), "<presence from='c%d@example.com' type='unavailable'/>", i);
    in(&h, xml);
  }
  assert_int_equal(xmppim_presence_contact_count(h.p), 51);
  for (size_t i = 0; i < xmppim_presence_contact_count(h.p); i++) {
    const xmppim_presence_contact *c = xmppim_presence_contact_at(h.p, i);
    assert_ptr_equal(c, xmppim_presence_find(h.p, xmppim_presence_contact_jid(c)));
  }
  assert_null(xmppim_presence_contact_at(h.p, 51));
  assert_null(xmppim_presence_find(h.p, "c0@example.com"));
  assert_non_null(xmppim_presence_find(h.p, "c1@example.com"));
  harness_free(&h);
}

/* Before the session is ready nothing can be sent, and nothing is remembered */
static void presence_send_before_ready(void **state) {
  (void)state;
  xmppim_session *s;
  assert_int_equal(xmppim_session_client_new(&s, ACCOUNT, PASSWORD, NULL, NULL, NULL, NULL), 0);
  xmppim_presence *p;
  assert_int_equal(xmppim_presence_client_new(&p, s, NULL, NULL, NULL), 0);
  assert_int_equal(xmppim_presence_send(p, XMPPIM_SHOW_ONLINE, NULL, NULL, 0), XMPPIM_ERR_INVALID_STATE);
  assert_int_equal(xmppim_presence_send_unavailable(p, NULL, NULL), XMPPIM_ERR_INVALID_STATE);
  assert_int_equal(xmppim_presence_is_available(p), 0);
  xmppim_presence_free(p);
  xmppim_session_free(s);
}

static void presence_arguments(void **state) {
  (void)state;
  harness h;
  harness_init(&h, NULL);
  xmppim_presence *p;
  assert_int_equal(xmppim_presence_client_new(NULL, h.client, NULL, NULL, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_presence_client_new(&p, NULL, NULL, NULL, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_presence_client_new(&p, h.server, NULL, NULL, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_null(p);
  assert_int_equal(xmppim_presence_handle_stanza(NULL, NULL), 0);
  assert_int_equal(xmppim_presence_handle_stanza(h.p, NULL), 0);
  assert_int_equal(xmppim_presence_reset(NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_presence_set_max_resources(NULL, 1), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_presence_send(NULL, XMPPIM_SHOW_ONLINE, NULL, NULL, 0), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_presence_send_unavailable(NULL, NULL, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_presence_send_directed(NULL, "a@b", XMPPIM_SHOW_ONLINE, NULL, NULL, 0),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_presence_contact_count(NULL), 0);
  assert_null(xmppim_presence_contact_at(NULL, 0));
  assert_null(xmppim_presence_find(NULL, "a@b"));
  assert_null(xmppim_presence_find(h.p, NULL));
  assert_null(xmppim_presence_find(h.p, "not a jid@"));
  assert_null(xmppim_presence_best(h.p, "a@b"));
  assert_null(xmppim_presence_contact_jid(NULL));
  assert_int_equal(xmppim_presence_contact_resource_count(NULL), 0);
  assert_null(xmppim_presence_contact_resource_at(NULL, 0));
  assert_null(xmppim_presence_contact_find_resource(NULL, "x"));
  assert_null(xmppim_presence_contact_best(NULL));
  assert_null(xmppim_presence_resource_name(NULL));
  assert_int_equal(xmppim_presence_resource_show(NULL), XMPPIM_SHOW_ONLINE);
  assert_int_equal(xmppim_presence_resource_priority(NULL), 0);
  assert_int_equal(xmppim_presence_resource_status_count(NULL), 0);
  const char *lang = "x";
  assert_null(xmppim_presence_resource_status_at(NULL, 0, &lang));
  assert_null(lang);
  assert_null(xmppim_presence_resource_status(NULL, "en"));
  assert_null(xmppim_presence_resource_stanza(NULL));
  assert_int_equal(xmppim_presence_is_available(NULL), 0);
  assert_int_equal(xmppim_presence_own_show(NULL), XMPPIM_SHOW_ONLINE);
  assert_int_equal(xmppim_presence_own_priority(NULL), 0);
  xmppim_presence_free(NULL);
  harness_free(&h);
}

/* A snapshot of the tracker, to check that a failed call changed nothing. */
static void snapshot(xmppim_presence *p, char *buf, size_t cap) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < xmppim_presence_contact_count(p); i++) {
    const xmppim_presence_contact *c = xmppim_presence_contact_at(p, i);
    const xmppim_presence_resource *b = xmppim_presence_contact_best(c);
    used += (size_t)snprintf(buf + used, cap - used, "%s:", xmppim_presence_contact_jid(c));
    for (size_t k = 0; k < xmppim_presence_contact_resource_count(c); k++) {
      const xmppim_presence_resource *r = xmppim_presence_contact_resource_at(c, k);
      const char *st = xmppim_presence_resource_status(r, "en");
      used += (size_t)snprintf(buf + used, cap - used, "%s%s,%d,%d,%s;", r == b ? "*" : "",
                               xmppim_presence_resource_name(r) ? xmppim_presence_resource_name(r) : "-",
                               (int)xmppim_presence_resource_show(r), xmppim_presence_resource_priority(r),
                               st ? st : "");
    }
    used += (size_t)snprintf(buf + used, cap - used, "|");
  }
  used += (size_t)snprintf(buf + used, cap - used, "own %d", xmppim_presence_is_available(p));
}

/* Every allocation of the tracker failing in turn: a clean NOMEM, no
 * callback, the tracker unchanged, no leak. Stanzas are offered directly
 * (the session would fail the feed on a callback error). */
static void presence_allocation_failures(void **state) {
  (void)state;
  static const char *const steps[] = {
    ("<presence xmlns='jabber:client' from='romeo@example.net/a' xml:lang='en'><show>away</show>"
     "<status>one</status><status xml:lang='de'>eins</status><priority>1</priority>"
     "<c xmlns='http://jabber.org/protocol/caps' node='n' ver='v'/></presence>"),
    "<presence xmlns='jabber:client' from='romeo@example.net/b'><status>two<x xmlns='urn:x'/>more</status></presence>",
    "<presence xmlns='jabber:client' from='romeo@example.net/a'><show>chat</show></presence>",
    "<presence xmlns='jabber:client' from='nurse@example.com/c'/>",
    "SEND",
    "DIRECTED",
    "FIND",
    "<presence xmlns='jabber:client' from='romeo@example.net/a' type='unavailable'/>",
    ("<presence xmlns='jabber:client' from='nurse@example.com' type='error'><error type='cancel'>"
     "<gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>"),
    "<presence xmlns='jabber:client' from='romeo@example.net' type='unavailable'/>",
    "<presence xmlns='jabber:client' from='tybalt@example.com/d'/>",
    "UNAVAILABLE",
  };
  size_t nsteps = sizeof(steps) / sizeof(steps[0]);
  xmppim_stanza *parsed[sizeof(steps) / sizeof(steps[0])] = {0};
  for (size_t i = 0; i < nsteps; i++)
    if (steps[i][0] == '<') parsed[i] = parse(steps[i]);
  int failures = 0;
  for (long fail = 1; fail < 500; fail++) {
    failing_mem fm;
    failing_mem_init(&fm, 0);
    harness h;
    harness_init(&h, NULL);
    xmppim_presence_free(h.p);
    h.no_lookups = 1;
    fm.fail_at = fail;
    int rv = xmppim_presence_client_new(&h.p, h.client, &callbacks, &h, &fm.mem);
    int failed = 0;
    if (rv != 0) {
      assert_int_equal(rv, XMPPIM_ERR_NOMEM);
      assert_null(h.p);
      failed = 1;
    }
    for (size_t i = 0; i < nsteps && !failed; i++) {
      char before[2048], after[2048];
      snapshot(h.p, before, sizeof(before));
      clear_log(&h);
      if (parsed[i]) {
        rv = xmppim_presence_handle_stanza(h.p, parsed[i]);
        if (rv != 1) {
          assert_int_equal(rv, XMPPIM_ERR_NOMEM);
          failed = 1;
        }
      } else if (strcmp(steps[i], "SEND") == 0) {
        rv = xmppim_presence_send(h.p, XMPPIM_SHOW_DND, "busy", "en", 4);
        if (rv != 0) {
          assert_int_equal(rv, XMPPIM_ERR_NOMEM);
          failed = 1;
        }
      } else if (strcmp(steps[i], "DIRECTED") == 0) {
        rv = xmppim_presence_send_directed(h.p, "room@muc.example.com/me", XMPPIM_SHOW_ONLINE,
                                           "hi", NULL, 0);
        if (rv != 0) {
          assert_int_equal(rv, XMPPIM_ERR_NOMEM);
          failed = 1;
        }
      } else if (strcmp(steps[i], "FIND") == 0) {
        if (!xmppim_presence_find(h.p, "romeo@example.net")) failed = 1; /* NOMEM preparing the JID */
      } else {
        rv = xmppim_presence_send_unavailable(h.p, NULL, NULL);
        if (rv != 0) {
          assert_int_equal(rv, XMPPIM_ERR_NOMEM);
          failed = 1;
        }
      }
      if (failed) {
        snapshot(h.p, after, sizeof(after));
        assert_string_equal(before, after);
        assert_string_equal(h.log, "");
      }
    }
    if (!failed) {
      assert_int_equal(xmppim_presence_contact_count(h.p), 0);
      assert_int_equal(xmppim_presence_is_available(h.p), 0);
    }
    xmppim_presence_free(h.p);
    h.p = NULL;
    assert_int_equal(fm.live, 0);
    xmppim_session_free(h.client);
    xmppim_session_free(h.server);
    if (!failed) break;
    failures++;
  }
  assert_true(failures > 10); /* the loop did reach the allocations */
  for (size_t i = 0; i < nsteps; i++) xmppim_stanza_free(parsed[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(R4_4_4_a_available_updated_unavailable_per_resource),
    cmocka_unit_test(R4_5_4_b_bare_jid_unavailable_clears_all_resources),
    cmocka_unit_test(R3_1_3_j_bare_unavailable_without_resources_changes_nothing),
    cmocka_unit_test(R3_3_3_h_presence_void_on_roster_push),
    cmocka_unit_test(best_resource_priority_then_show_then_recency),
    cmocka_unit_test(R4_7_2_3_g_negative_priority_listed_best_only_alone),
    cmocka_unit_test(R4_7_2_2_c_status_languages),
    cmocka_unit_test(R4_7_2_3_b_malformed_priority_and_show_read_leniently),
    cmocka_unit_test(R4_7_1_c_presence_error_marks_sender_unreachable),
    cmocka_unit_test(R4_7_1_a_subscription_and_other_presence_not_tracked),
    cmocka_unit_test(R4_2_1_a_initial_presence_has_no_to_and_no_type),
    cmocka_unit_test(R4_7_2_1_c_show_values_sent),
    cmocka_unit_test(R4_7_2_3_b_priority_out_of_range_refused),
    cmocka_unit_test(R4_5_1_c_unavailable_has_no_show_or_priority),
    cmocka_unit_test(R4_6_2_a_directed_presence),
    cmocka_unit_test(R4_7_3_a_application_built_presence_checked),
    cmocka_unit_test(presence_reset_forgets_everything),
    cmocka_unit_test(presence_callbacks_cannot_reset),
    cmocka_unit_test(presence_max_resources),
    cmocka_unit_test(presence_send_before_ready),
    cmocka_unit_test(presence_arguments),
    cmocka_unit_test(presence_allocation_failures),
  };
  return cmocka_run_group_tests_name("presence_client", tests, NULL, NULL);
}
