/*
 * One-to-one chat sessions on a client (RFC 6121 section 5.1): one
 * conversation per contact bare JID with its lock (the full JID replies
 * come from) and its thread ID. Conversations live in a hash map keyed by
 * bare JID (contacts are chosen by strangers) and in a list ordered by last
 * use, whose tail is forgotten past the cap.
 *
 * Every change is done in two steps: first everything that can fail
 * (JID preparation, copies, the map entry), then the commit, which cannot
 * fail; callbacks run last, with strings that the conversation does not
 * own, so that a callback that sends or ends conversations pulls nothing
 * out from under them.
 */
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <xmppim/chat.h>
#include <xmppim/jid.h>
#include <xmppim/roster.h>

#include "util/map.h"
#include "util/mem.h"

#define DEFAULT_MAX_CONVERSATIONS 1000
#define LANG_MAX 35 /* RFC 6120 section 4.7.4 */

typedef struct conv {
  char *bare; /* the key */
  size_t bare_len;
  char *locked; /* full JID, or NULL: the bare JID */
  char *thread; /* NULL until one is known */
  int shared;   /* we sent it directed presence (R5.1-j) */
  struct conv *prev, *next; /* by last use: head is the latest */
} conv;

struct xmppim_chat {
  xmppim_mem mem;
  xmppim_session *session;
  xmppim_chat_callbacks cb;
  void *user_data;
  xmppim_map convs;
  conv *head, *tail;
  size_t max;
  size_t nlocked; /* conversations with a lock: presence is only parsed when nonzero */
  int accept_normal;
  xmppim_chat_sharing sharing;
  xmppim_map chosen; /* bare JID -> its own copy, for XMPPIM_CHAT_SHARE_CHOSEN */
  const xmppim_roster *roster;
  char *pref_lang, *stream_lang;
  uint64_t counter; /* for the fallback thread IDs */
};

/* ---- conversations ---- */

static void conv_free(const xmppim_mem *m, conv *cv) {
  xmppim_mem_free(m, cv->bare);
  xmppim_mem_free(m, cv->locked);
  xmppim_mem_free(m, cv->thread);
  xmppim_mem_free(m, cv);
}

static void lru_unlink(xmppim_chat *c, conv *cv) {
  if (cv->prev) cv->prev->next = cv->next;
  else c->head = cv->next;
  if (cv->next) cv->next->prev = cv->prev;
  else c->tail = cv->prev;
  cv->prev = cv->next = NULL;
}

static void lru_push_front(xmppim_chat *c, conv *cv) {
  cv->prev = NULL;
  cv->next = c->head;
  if (c->head) c->head->prev = cv;
  c->head = cv;
  if (!c->tail) c->tail = cv;
}

static void lru_touch(xmppim_chat *c, conv *cv) {
  if (c->head == cv) return;
  lru_unlink(c, cv);
  lru_push_front(c, cv);
}

static conv *conv_find(const xmppim_chat *c, const char *bare) {
  return xmppim_map_get(&c->convs, bare, strlen(bare));
}

/* A new conversation, in the map but not yet in the list (the commit puts
 * it there); undo with conv_discard(). */
static int conv_create(xmppim_chat *c, const char *bare, conv **out) {
  conv *cv = xmppim_mem_calloc(&c->mem, 1, sizeof(*cv));
  if (!cv) return XMPPIM_ERR_NOMEM;
  cv->bare_len = strlen(bare);
  cv->bare = xmppim_mem_strndup(&c->mem, bare, cv->bare_len);
  if (!cv->bare || xmppim_map_put(&c->convs, cv->bare, cv->bare_len, cv) != 0) {
    xmppim_mem_free(&c->mem, cv->bare);
    xmppim_mem_free(&c->mem, cv);
    return XMPPIM_ERR_NOMEM;
  }
  *out = cv;
  return 0;
}

/* Undoes conv_create(). */
static void conv_discard(xmppim_chat *c, conv *cv) {
  xmppim_map_remove(&c->convs, cv->bare, cv->bare_len);
  conv_free(&c->mem, cv);
}

static void set_lock(xmppim_chat *c, conv *cv, char *full) {
  if (cv->locked && !full) c->nlocked--;
  if (!cv->locked && full) c->nlocked++;
  xmppim_mem_free(&c->mem, cv->locked);
  cv->locked = full;
}

static void conv_forget(xmppim_chat *c, conv *cv) {
  set_lock(c, cv, NULL);
  lru_unlink(c, cv);
  conv_discard(c, cv);
}

static void evict_over_cap(xmppim_chat *c) {
  while (xmppim_map_count(&c->convs) > c->max && c->tail) conv_forget(c, c->tail);
}

/* ---- thread IDs ---- */

static uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= UINT64_C(0xbf58476d1ce4e5b9);
  x ^= x >> 27;
  x *= UINT64_C(0x94d049bb133111eb);
  x ^= x >> 31;
  return x;
}

/*
 * The fallback when getrandom() fails: 16 bytes from the stream ID (which
 * the server chose at random; only its hash is used), a counter and the
 * time. The first 8 bytes differ for every counter value on one stream
 * (mix64 is a bijection); nothing in them names the user. Not static so
 * that the unit tests can reach it; hidden like every internal function.
 */
void xmppim_chat_thread_fallback(unsigned char raw[16], const char *stream_id, uint64_t counter);
void xmppim_chat_thread_fallback(unsigned char raw[16], const char *stream_id, uint64_t counter) {
  uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a */
  for (const char *p = stream_id ? stream_id : ""; *p; p++) {
    h ^= (unsigned char)*p;
    h *= UINT64_C(0x100000001b3);
  }
  uint64_t a = mix64(h ^ mix64(counter));
  uint64_t b = mix64(a ^ (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32) ^
                     UINT64_C(0x9e3779b97f4a7c15));
  for (int i = 0; i < 8; i++) {
    raw[i] = (unsigned char)(a >> (8 * i));
    raw[8 + i] = (unsigned char)(b >> (8 * i));
  }
}

/* A new thread ID, 32 hex digits, in out[33] (R5.1-c, R5.2.5-h, R5.2.5-i). */
static void new_thread_id(xmppim_chat *c, char out[33]) {
  static const char hex[] = "0123456789abcdef";
  unsigned char raw[16];
  c->counter++;
  if (getrandom(raw, sizeof(raw), GRND_NONBLOCK) != (ssize_t)sizeof(raw))
    xmppim_chat_thread_fallback(raw, xmppim_session_stream_id(c->session), c->counter);
  for (int i = 0; i < 16; i++) {
    out[2 * i] = hex[raw[i] >> 4];
    out[2 * i + 1] = hex[raw[i] & 15];
  }
  out[32] = '\0';
}

/* ---- object ---- */

int xmppim_chat_new(xmppim_chat **out, xmppim_session *session,
                    const xmppim_chat_callbacks *callbacks, void *user_data,
                    const xmppim_mem *mem) {
  if (out) *out = NULL;
  if (!out || !session || xmppim_session_role(session) != XMPPIM_ROLE_CLIENT)
    return XMPPIM_ERR_INVALID_ARGUMENT;
  const xmppim_mem *m = xmppim_mem_or_default(mem);
  xmppim_chat *c = xmppim_mem_calloc(m, 1, sizeof(*c));
  if (!c) return XMPPIM_ERR_NOMEM;
  c->mem = *m;
  c->session = session;
  if (callbacks) c->cb = *callbacks;
  c->user_data = user_data;
  c->max = DEFAULT_MAX_CONVERSATIONS;
  xmppim_map_init(&c->convs, &c->mem);
  xmppim_map_init(&c->chosen, &c->mem);
  *out = c;
  return 0;
}

void xmppim_chat_free(xmppim_chat *c) {
  if (!c) return;
  for (conv *cv = c->head, *next; cv; cv = next) {
    next = cv->next;
    conv_free(&c->mem, cv);
  }
  xmppim_map_free(&c->convs);
  size_t it = 0;
  const char *key;
  size_t len;
  void *value;
  while (xmppim_map_next(&c->chosen, &it, &key, &len, &value)) xmppim_mem_free(&c->mem, value);
  xmppim_map_free(&c->chosen);
  xmppim_mem_free(&c->mem, c->pref_lang);
  xmppim_mem_free(&c->mem, c->stream_lang);
  xmppim_mem mem = c->mem;
  xmppim_mem_free(&mem, c);
}

int xmppim_chat_set_lang(xmppim_chat *c, const char *preferred, const char *stream_lang) {
  if (!c || (preferred && strlen(preferred) > LANG_MAX) ||
      (stream_lang && strlen(stream_lang) > LANG_MAX))
    return XMPPIM_ERR_INVALID_ARGUMENT;
  char *p = NULL, *s = NULL;
  if (preferred && !(p = xmppim_mem_strndup(&c->mem, preferred, strlen(preferred))))
    return XMPPIM_ERR_NOMEM;
  if (stream_lang && !(s = xmppim_mem_strndup(&c->mem, stream_lang, strlen(stream_lang)))) {
    xmppim_mem_free(&c->mem, p);
    return XMPPIM_ERR_NOMEM;
  }
  xmppim_mem_free(&c->mem, c->pref_lang);
  xmppim_mem_free(&c->mem, c->stream_lang);
  c->pref_lang = p;
  c->stream_lang = s;
  return 0;
}

void xmppim_chat_set_accept_normal(xmppim_chat *c, int on) {
  if (c) c->accept_normal = on ? 1 : 0;
}

int xmppim_chat_set_max_conversations(xmppim_chat *c, size_t max) {
  if (!c || max == 0) return XMPPIM_ERR_INVALID_ARGUMENT;
  c->max = max;
  evict_over_cap(c);
  return 0;
}

size_t xmppim_chat_count(const xmppim_chat *c) { return c ? xmppim_map_count(&c->convs) : 0; }

/* Prepares a JID; 0, XMPPIM_ERR_NOMEM, or XMPPIM_ERR_INVALID_ARGUMENT. */
static int parse_jid(const xmppim_chat *c, const char *s, xmppim_jid **out) {
  *out = NULL;
  if (!s) return XMPPIM_ERR_INVALID_ARGUMENT;
  int rv = xmppim_jid_new(out, s, strlen(s), &c->mem);
  if (rv == 0 || rv == XMPPIM_ERR_NOMEM) return rv;
  return XMPPIM_ERR_INVALID_ARGUMENT;
}

/* The conversation of a contact given as any JID; NULL for none. */
static conv *lookup(const xmppim_chat *c, const char *contact) {
  xmppim_jid *j;
  if (!c || parse_jid(c, contact, &j) != 0) return NULL;
  conv *cv = conv_find(c, xmppim_jid_bare_string(j));
  xmppim_jid_free(j);
  return cv;
}

const char *xmppim_chat_locked_to(const xmppim_chat *c, const char *contact) {
  conv *cv = lookup(c, contact);
  return cv ? cv->locked : NULL;
}

const char *xmppim_chat_thread(const xmppim_chat *c, const char *contact) {
  conv *cv = lookup(c, contact);
  return cv ? cv->thread : NULL;
}

/* ---- presence during a chat (R5.1-j, R5.1-k, R5.1-l) ---- */

int xmppim_chat_set_presence_sharing(xmppim_chat *c, xmppim_chat_sharing mode) {
  if (!c || (unsigned)mode > XMPPIM_CHAT_SHARE_CHOSEN) return XMPPIM_ERR_INVALID_ARGUMENT;
  c->sharing = mode;
  return 0;
}

int xmppim_chat_share_with(xmppim_chat *c, const char *contact, int on) {
  xmppim_jid *j;
  if (!c) return XMPPIM_ERR_INVALID_ARGUMENT;
  int rv = parse_jid(c, contact, &j);
  if (rv != 0) return rv;
  const char *bare = xmppim_jid_bare_string(j);
  size_t len = strlen(bare);
  char *had = xmppim_map_get(&c->chosen, bare, len);
  if (on && !had) {
    char *copy = xmppim_mem_strndup(&c->mem, bare, len);
    if (!copy || xmppim_map_put(&c->chosen, copy, len, copy) != 0) {
      xmppim_mem_free(&c->mem, copy);
      rv = XMPPIM_ERR_NOMEM;
    }
  } else if (!on && had) {
    xmppim_map_remove(&c->chosen, bare, len);
    xmppim_mem_free(&c->mem, had);
  }
  xmppim_jid_free(j);
  return rv;
}

void xmppim_chat_set_roster(xmppim_chat *c, const xmppim_roster *roster) {
  if (c) c->roster = roster;
}

/* Whether a conversation with `bare` shares presence: the user's choice
 * (R5.1-k), and only where no subscription already does (R5.1-j). */
static int shares_with(const xmppim_chat *c, const char *bare) {
  if (c->sharing == XMPPIM_CHAT_SHARE_NONE) return 0;
  if (c->sharing == XMPPIM_CHAT_SHARE_CHOSEN && !xmppim_map_get(&c->chosen, bare, strlen(bare))) return 0;
  const xmppim_roster_item *it = c->roster ? xmppim_roster_find(c->roster, bare) : NULL;
  return !(it && xmppim_sub_is_from(xmppim_roster_item_state(it)));
}

static int send_directed(xmppim_chat *c, const char *to, const char *type) {
  xmppim_stanza *p;
  int rv = xmppim_stanza_new(&p, &c->mem, "presence", "jabber:client");
  if (rv) return rv;
  if ((rv = xmppim_stanza_set_attr(p, "to", to)) == 0 && (!type || (rv = xmppim_stanza_set_attr(p, "type", type)) == 0))
    rv = xmppim_session_send(c->session, p);
  xmppim_stanza_free(p);
  return rv;
}

int xmppim_chat_end(xmppim_chat *c, const char *contact) {
  xmppim_jid *j;
  if (!c) return XMPPIM_ERR_INVALID_ARGUMENT;
  int rv = parse_jid(c, contact, &j);
  if (rv != 0) return rv;
  conv *cv = conv_find(c, xmppim_jid_bare_string(j));
  xmppim_jid_free(j);
  if (!cv) return XMPPIM_ERR_NOT_FOUND;
  /* R5.1-l: the chat is over; the presence shared for it ends too. */
  if (cv->shared && (rv = send_directed(c, cv->bare, "unavailable")) != 0) return rv;
  conv_forget(c, cv);
  return 0;
}

/* ---- sending ---- */

/* What compose() did that a failed send must undo. */
typedef struct undo {
  conv *cv;
  int fresh;      /* the conversation is new (in the map, not in the list) */
  int new_thread; /* its thread was made for this message */
} undo;

static void rollback(xmppim_chat *c, const undo *u) {
  if (u->fresh) {
    conv_discard(c, u->cv);
  } else if (u->new_thread) {
    xmppim_mem_free(&c->mem, u->cv->thread);
    u->cv->thread = NULL;
  }
}

static void commit(xmppim_chat *c, const undo *u) {
  if (u->fresh) lru_push_front(c, u->cv);
  else lru_touch(c, u->cv);
  evict_over_cap(c);
}

static int compose(xmppim_chat *c, const char *to, const char *body, const char *lang,
                   xmppim_stanza **out, undo *u) {
  *out = NULL;
  memset(u, 0, sizeof(*u));
  if (!c || !to || !body) return XMPPIM_ERR_INVALID_ARGUMENT;
  xmppim_jid *j;
  int rv = parse_jid(c, to, &j);
  if (rv != 0) return rv;
  const char *bare = xmppim_jid_bare_string(j);
  u->cv = conv_find(c, bare);
  if (!u->cv) {
    rv = conv_create(c, bare, &u->cv);
    if (rv != 0) {
      xmppim_jid_free(j);
      return rv;
    }
    u->fresh = 1;
  }
  xmppim_jid_free(j);
  conv *cv = u->cv;
  if (!cv->thread) { /* R5.1-c: the side that starts makes the thread */
    char id[33];
    new_thread_id(c, id);
    if (!(cv->thread = xmppim_mem_strndup(&c->mem, id, 32))) {
      rollback(c, u);
      return XMPPIM_ERR_NOMEM;
    }
    u->new_thread = 1;
  }
  xmppim_stanza *m;
  /* R5.1-a/b: chat; R5.1-e/f, R5.2.1-b: the bare JID until locked (R5.1-h, R5.2.1-c). */
  rv = xmppim_message_new(&m, &c->mem, XMPPIM_MESSAGE_CHAT, cv->locked ? cv->locked : cv->bare,
                          body, lang);
  if (rv == 0 && (rv = xmppim_message_add_thread(m, cv->thread, NULL)) != 0) /* R5.1-d */
    xmppim_stanza_free(m);
  if (rv != 0) {
    rollback(c, u);
    return rv;
  }
  *out = m;
  return 0;
}

int xmppim_chat_prepare(xmppim_chat *c, const char *to, const char *body, const char *lang,
                        xmppim_stanza **out) {
  if (!out) return XMPPIM_ERR_INVALID_ARGUMENT;
  undo u;
  int rv = compose(c, to, body, lang, out, &u);
  if (rv == 0) commit(c, &u);
  return rv;
}

int xmppim_chat_send(xmppim_chat *c, const char *to, const char *body, const char *lang) {
  xmppim_stanza *m;
  undo u;
  int rv = compose(c, to, body, lang, &m, &u);
  if (rv != 0) return rv;
  /* R5.1-j: so that each notices the other going away during the chat. */
  int share = !u.cv->shared && shares_with(c, u.cv->bare);
  if (share) rv = send_directed(c, u.cv->bare, NULL);
  if (rv == 0) rv = xmppim_session_send(c->session, m);
  if (rv == 0 && share) u.cv->shared = 1;
  xmppim_stanza_free(m);
  if (rv != 0) rollback(c, &u);
  else commit(c, &u);
  return rv;
}

/* ---- receiving ---- */

/* A message of type chat (or an accepted normal one) from @p j. */
static int take_message(xmppim_chat *c, const xmppim_stanza *st, const xmppim_jid *j,
                        xmppim_message_type type) {
  const char *bare = xmppim_jid_bare_string(j);
  const char *full = xmppim_jid_is_bare(j) ? NULL : xmppim_jid_to_string(j);
  undo u = {conv_find(c, bare), 0, 0};
  if (!u.cv) {
    int rv = conv_create(c, bare, &u.cv);
    if (rv != 0) return rv;
    u.fresh = 1;
  }
  conv *cv = u.cv;
  /* R5.1-g/h: lock to the full JID it came from; from another resource,
   * unlock and lock again to it (R5.1-i). From the bare JID: no change. */
  char *lock = NULL;
  int relock = full && !(cv->locked && strcmp(cv->locked, full) == 0);
  if (relock && !(lock = xmppim_mem_strndup(&c->mem, full, strlen(full)))) {
    rollback(c, &u);
    return XMPPIM_ERR_NOMEM;
  }
  /* R5.1-d: the contact's thread is the conversation's, if it is one we
   * may send (R5.2.5-e). */
  const char *parent;
  const char *thread = xmppim_message_thread(st, &parent);
  char *keep = NULL;
  if (thread && xmppim_message_nmtoken_ok(thread) && !(cv->thread && strcmp(cv->thread, thread) == 0) &&
      !(keep = xmppim_mem_strndup(&c->mem, thread, strlen(thread)))) {
    xmppim_mem_free(&c->mem, lock);
    rollback(c, &u);
    return XMPPIM_ERR_NOMEM;
  }
  if (relock) set_lock(c, cv, lock);
  if (keep) {
    xmppim_mem_free(&c->mem, cv->thread);
    cv->thread = keep;
  }
  commit(c, &u);
  /* cv is not used past this point: callbacks may end it. */
  if (relock && c->cb.on_lock) c->cb.on_lock(c, bare, full, c->user_data);
  if (c->cb.on_message) {
    xmppim_chat_message m;
    memset(&m, 0, sizeof(m));
    m.contact = bare;
    m.from = xmppim_jid_to_string(j);
    m.type = type;
    m.body = xmppim_message_body(st, c->pref_lang, c->stream_lang, &m.body_lang);
    m.subject = xmppim_message_subject(st, c->pref_lang, c->stream_lang, NULL);
    m.thread = thread;
    m.thread_parent = parent;
    int f = xmppim_message_check(st, c->stream_lang);
    m.flaws = f > 0 ? (unsigned)f : 0;
    m.stanza = st;
    c->cb.on_message(c, &m, c->user_data);
  }
  return 1;
}

/* A message of type error from @p j: ours when there is a conversation. */
static int take_error(xmppim_chat *c, const xmppim_stanza *st, const xmppim_jid *j) {
  const char *bare = xmppim_jid_bare_string(j);
  conv *cv = conv_find(c, bare);
  if (!cv) return 0;
  /* The locked resource answered with an error: it is likely gone (R5.2.1-c). */
  int unlock = cv->locked && !xmppim_jid_is_bare(j) &&
               strcmp(cv->locked, xmppim_jid_to_string(j)) == 0;
  if (unlock) set_lock(c, cv, NULL);
  if (unlock && c->cb.on_lock) c->cb.on_lock(c, bare, NULL, c->user_data);
  if (c->cb.on_error) {
    xmppim_stanza_error_info info;
    if (xmppim_stanza_error_parse(st, &info) < 0) {
      memset(&info, 0, sizeof(info));
      info.condition = XMPPIM_STANZA_COND_UNDEFINED_CONDITION;
    }
    c->cb.on_error(c, bare, xmppim_jid_to_string(j), &info, st, c->user_data); /* R5.2.2-d */
  }
  return 1;
}

/* Presence (any_resource = 1) or a message not taken from @p j: R5.1-i. */
static void maybe_unlock(xmppim_chat *c, const xmppim_jid *j, int any_resource) {
  if (xmppim_jid_is_bare(j)) return; /* no resource: says nothing about one */
  const char *bare = xmppim_jid_bare_string(j);
  conv *cv = conv_find(c, bare);
  if (!cv || !cv->locked) return;
  if (!any_resource && strcmp(cv->locked, xmppim_jid_to_string(j)) == 0) return;
  set_lock(c, cv, NULL);
  if (c->cb.on_lock) c->cb.on_lock(c, bare, NULL, c->user_data);
}

int xmppim_chat_handle_stanza(xmppim_chat *c, const xmppim_stanza *st) {
  if (!c || !st) return 0;
  const char *name = xmppim_stanza_name(st);
  int presence = strcmp(name, "presence") == 0;
  if (!presence && strcmp(name, "message") != 0) return 0;
  const char *from = xmppim_stanza_attr(st, "from");
  if (!from) return 0; /* from the server or the account itself: no contact */
  xmppim_message_type type = xmppim_message_get_type(st);
  int take = !presence && (type == XMPPIM_MESSAGE_CHAT || type == XMPPIM_MESSAGE_ERROR ||
                           (type == XMPPIM_MESSAGE_NORMAL && c->accept_normal));
  /* Stanzas that can only unlock need no work while nothing is locked. */
  if (!take && (c->nlocked == 0 || type == XMPPIM_MESSAGE_GROUPCHAT)) return 0;
  xmppim_jid *j;
  int rv = parse_jid(c, from, &j);
  if (rv == XMPPIM_ERR_NOMEM) return rv;
  if (rv != 0) return 0; /* not an address: not a contact's */
  if (presence) rv = (maybe_unlock(c, j, 1), 0);
  else if (!take) rv = (maybe_unlock(c, j, 0), 0);
  else if (type == XMPPIM_MESSAGE_ERROR) rv = take_error(c, st, j);
  else rv = take_message(c, st, j, type);
  xmppim_jid_free(j);
  return rv;
}
