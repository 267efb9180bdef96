/*
 * One user with a very large roster in the server core (xmppim_server), with
 * no sessions: the bench plays the host. It hands stanzas to
 * xmppim_server_handle_stanza() as a session would after stamping 'from',
 * and its deliver callback serializes every stanza the core hands out into
 * one reusable buffer, as a host writing to a socket would. The store is
 * the in-memory one (xmppim_memory_store).
 *
 *   bench_roster [ITEMS [RUNS]]
 *
 *   ITEMS  roster items (default 100000)
 *   RUNS   repetitions of each timed phase, the median is reported (default 5)
 *
 * Phases, each timed with CLOCK_MONOTONIC:
 *   fill          ITEMS roster sets of new items (each one result and one push
 *                 out), in a fresh server and store per run
 *   load          the roster unloaded (the last resource unbound) and loaded
 *                 from the store again (the resource bound)
 *   full-get      a roster get without 'ver': one result holding every item
 *   get-uptodate  a versioned get presenting the current version
 *   update        1000 roster sets renaming existing items (fewer with
 *                 fewer items)
 *   delta-get     a versioned get presenting the version from before those
 *                 changes: an empty result and one push per change
 *   delta-scaling the delta get for the last 128, 256, ... changes, up to a
 *                 full change log (4096, or ITEMS when fewer): the cost per
 *                 push, which stays flat when the delta is linear
 *   delta-log-full the last of those (the oldest version the log
 *                 remembers), against the full get
 *   memory        a second server, through counting allocator hooks, loads
 *                 the same roster from the store: bytes and allocations live
 *
 * References measured in the same run, so that the ratios mean something on
 * any machine: for fill, ITEMS inserts of the same JIDs into the library's
 * hash map (lib/util/map.h); for full-get, the same ITEMS <item/> elements
 * built and serialized directly with the xmppim_stanza API, no server.
 *
 * Exit status: 1 when the server's answers are wrong (a count of items,
 * results or pushes, a version, an error stanza, a leak through the counting
 * hooks); 2 for bad arguments or no memory. Timings never fail the program.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xmppim/common.h>
#include <xmppim/jid.h>
#include <xmppim/memory_store.h>
#include <xmppim/roster.h>
#include <xmppim/server.h>
#include <xmppim/stanza.h>

#define BENCH_NAME "bench_roster"
#include "bench_common.h"
#include "counting_mem.h"
#include "util/map.h"

#define USER "alice@example.com"
#define USER_FULL USER "/bench"
#define UPDATES 1000  /* renames in the update phase */
#define VERSION_LOG 4096
#define BATCH 1000    /* requests parsed ahead, untimed, then handed in timed */

/* ---- the host: deliver callback ---------------------------------------- */

typedef struct host {
  char *buf; /* the last delivered stanza, serialized */
  size_t cap, last_len;
  size_t delivered, bytes, results, pushes, errors;
  size_t result_at; /* delivery index of the last result */
  int serialize_failed;
  char first_error[600];
} host;

static void host_reset(host *h) {
  h->delivered = h->bytes = h->results = h->pushes = h->errors = 0;
  h->result_at = (size_t)-1;
}

static int serialize_into(host *h, const xmppim_stanza *st) {
  int rv = serialize_growing(st, &h->buf, &h->cap, &h->last_len);
  if (rv) {
    h->serialize_failed = 1;
    return rv;
  }
  h->bytes += h->last_len;
  return 0;
}

static int deliver(xmppim_server *srv, const xmppim_jid *to, const xmppim_stanza *st, void *ud) {
  (void)srv;
  (void)to;
  host *h = ud;
  int rv = serialize_into(h, st);
  if (rv) return rv;
  const char *type = xmppim_stanza_attr(st, "type");
  if (type && strcmp(type, "set") == 0) {
    h->pushes++;
  } else if (type && strcmp(type, "result") == 0) {
    h->results++;
    h->result_at = h->delivered;
  } else {
    if (h->errors++ == 0) snprintf(h->first_error, sizeof h->first_error, "%.*s", (int)h->last_len, h->buf);
  }
  h->delivered++;
  return 0;
}

/* ---- requests ---------------------------------------------------------- */

static char **jids; /* c00000@contacts.example ... */
static size_t *jid_lens;

static void make_jids(size_t n) {
  jids = calloc(n, sizeof *jids);
  jid_lens = calloc(n, sizeof *jid_lens);
  if (!jids || !jid_lens) die("jids", XMPPIM_ERR_NOMEM);
  for (size_t i = 0; i < n; i++) {
    char tmp[64];
    int len = snprintf(tmp, sizeof tmp, "c%05zu@contacts.example", i);
    jids[i] = malloc((size_t)len + 1);
    if (!jids[i]) die("jids", XMPPIM_ERR_NOMEM);
    memcpy(jids[i], tmp, (size_t)len + 1);
    jid_lens[i] = (size_t)len;
  }
}

static void item_name(size_t i, unsigned round, char *out, size_t cap) {
  if (round == 0)
    snprintf(out, cap, "Contact %05zu", i);
  else
    snprintf(out, cap, "Renamed %u %05zu", round, i);
}

/* One or two groups: every item in one of 50, every third also in Friends. */
static size_t item_groups(size_t i, char g0[32], const char **g1) {
  snprintf(g0, 32, "Group %02zu", i % 50);
  *g1 = i % 3 == 0 ? "Friends" : NULL;
  return *g1 ? 2 : 1;
}

static xmppim_stanza *parse_or_die(const char *xml) {
  xmppim_stanza *st;
  int rv = xmppim_stanza_parse(&st, xml, strlen(xml), NULL, NULL);
  if (rv) die("parsing a request", rv);
  return st;
}

static xmppim_stanza *set_request(size_t i, unsigned round) {
  char name[64], g0[32], xml[512];
  const char *g1;
  item_name(i, round, name, sizeof name);
  item_groups(i, g0, &g1);
  snprintf(xml, sizeof xml,
           "<iq xmlns='jabber:client' type='set' id='set-%u-%zu' from='" USER_FULL "'>"
           "<query xmlns='" XMPPIM_NS_ROSTER "'><item jid='%s' name='%s'><group>%s</group>%s%s%s</item>"
           "</query></iq>",
           round, i, jids[i], name, g0, g1 ? "<group>" : "", g1 ? g1 : "", g1 ? "</group>" : "");
  return parse_or_die(xml);
}

/* ver NULL: no 'ver' attribute. */
static xmppim_stanza *get_request(const char *ver) {
  char xml[256];
  snprintf(xml, sizeof xml,
           "<iq xmlns='jabber:client' type='get' id='get-1' from='" USER_FULL "'>"
           "<query xmlns='" XMPPIM_NS_ROSTER "'%s%s%s/></iq>",
           ver ? " ver='" : "", ver ? ver : "", ver ? "'" : "");
  return parse_or_die(xml);
}

/* ---- the server under test ---------------------------------------------- */

typedef struct bench {
  size_t n;
  xmppim_memory_store *store;
  xmppim_server *srv;
  xmppim_server_options *opts;
  xmppim_jid *alice;
  host *h;
} bench;

static xmppim_server *server_new(bench *b, xmppim_memory_store *store, host *h, const xmppim_mem *mem) {
  return server_on_store(store, deliver, h, b->opts, mem, "example.com");
}

static int handle(bench *b, const xmppim_stanza *st) {
  return xmppim_server_handle_stanza(b->srv, b->alice, st);
}

/* A get, untimed or timed (returns seconds); checks the call's return. */
static double do_get(bench *b, const char *ver) {
  xmppim_stanza *req = get_request(ver);
  host_reset(b->h);
  double t0 = now();
  int rv = handle(b, req);
  double t = now() - t0;
  if (rv != 1) fail("roster get: xmppim_server_handle_stanza returned %d", rv);
  xmppim_stanza_free(req);
  return t;
}

static void check_no_errors(const host *h, const char *phase) {
  if (h->errors) fail("%s: %zu error stanzas delivered, the first: %s", phase, h->errors, h->first_error);
  if (h->serialize_failed) fail("%s: a delivered stanza did not serialize", phase);
}

/* Occurrences of pat in the first len bytes of buf. */
static size_t count_of(const char *buf, size_t len, const char *pat) {
  size_t n = 0, pl = strlen(pat);
  for (const char *p = buf; (p = strstr(p, pat)) != NULL && (size_t)(p - buf) + pl <= len; p += pl) n++;
  return n;
}

/* Checks the host's last output (untimed), a full roster result: returns its
 * item count and copies its version into ver. By string scanning: the
 * library's own parser refuses an element this big (256 KiB by default). */
static size_t check_full_result(const host *h, char *ver, size_t ver_cap) {
  const char *q = strstr(h->buf, "<query xmlns='" XMPPIM_NS_ROSTER "'");
  const char *v = q ? strstr(q, " ver='") : NULL;
  const char *vend = v ? strchr(v + 6, '\'') : NULL;
  const char *gt = q ? strchr(q, '>') : NULL;
  ver[0] = '\0';
  if (!q || !vend || !gt || gt < v || (size_t)(vend - v - 6) >= ver_cap) {
    fail("the full roster result has no query with a version: %.200s", h->buf);
    return 0;
  }
  memcpy(ver, v + 6, (size_t)(vend - v - 6));
  ver[vend - v - 6] = '\0';
  size_t items = count_of(h->buf, h->last_len, "<item jid='");
  size_t none = count_of(h->buf, h->last_len, " subscription='none'");
  if (none != items) fail("full get: %zu items, %zu with subscription='none'", items, none);
  return items;
}

static char *dup_version(const xmppim_memory_store *st) {
  const char *v = xmppim_memory_store_version(st, USER);
  if (!v) {
    fail("the store has no version for " USER);
    v = "";
  }
  char *d = malloc(strlen(v) + 1);
  if (!d) die("version copy", XMPPIM_ERR_NOMEM);
  strcpy(d, v);
  return d;
}

/* A fresh store and server with the user online and interested. */
static void setup(bench *b) {
  int rv = xmppim_memory_store_new(&b->store, NULL);
  if (rv) die("xmppim_memory_store_new", rv);
  if ((rv = xmppim_memory_store_add_user(b->store, USER)) != 0) die("xmppim_memory_store_add_user", rv);
  b->srv = server_new(b, b->store, b->h, NULL);
  if ((rv = xmppim_server_resource_bound(b->srv, b->alice)) != 0) die("xmppim_server_resource_bound", rv);
  do_get(b, NULL); /* the client asks for its (empty) roster first: pushes go to it */
  if (b->h->results != 1) fail("the first roster get: %zu results", b->h->results);
}

static void teardown(bench *b) {
  xmppim_server_free(b->srv);
  xmppim_memory_store_free(b->store);
  b->srv = NULL;
  b->store = NULL;
}

/* Sets items [0, count), or the items idx gives, with the names of `round`
 * (0: the first names), parsed in batches outside the timing. Returns the
 * seconds spent in xmppim_server_handle_stanza. With vers (not NULL) the
 * sets are not timed (0 is returned): vers receives the stored version
 * before each set instead. */
static double timed_sets(bench *b, size_t count, const size_t *idx, unsigned round, char **vers) {
  xmppim_stanza *batch[BATCH];
  double total = 0;
  host_reset(b->h);
  for (size_t base = 0; base < count; base += BATCH) {
    size_t k = count - base < BATCH ? count - base : BATCH;
    for (size_t j = 0; j < k; j++) batch[j] = set_request(idx ? idx[base + j] : base + j, round);
    if (vers) {
      for (size_t j = 0; j < k; j++) {
        vers[base + j] = dup_version(b->store);
        int rv = handle(b, batch[j]);
        if (rv != 1) fail("roster set %zu: xmppim_server_handle_stanza returned %d", base + j, rv);
      }
    } else {
      double t0 = now();
      for (size_t j = 0; j < k; j++) {
        int rv = handle(b, batch[j]);
        if (rv != 1) fail("roster set %zu: xmppim_server_handle_stanza returned %d", base + j, rv);
      }
      total += now() - t0;
    }
    for (size_t j = 0; j < k; j++) xmppim_stanza_free(batch[j]);
  }
  if (b->h->results != count || b->h->pushes != count)
    fail("%zu roster sets gave %zu results and %zu pushes", count, b->h->results, b->h->pushes);
  check_no_errors(b->h, "roster sets");
  return total;
}

/* ---- references --------------------------------------------------------- */

static double ref_map_inserts(size_t n) {
  xmppim_map m;
  xmppim_map_init(&m, NULL);
  double t0 = now();
  for (size_t i = 0; i < n; i++)
    if (xmppim_map_put(&m, jids[i], jid_lens[i], jids[i]) != 0) die("xmppim_map_put", XMPPIM_ERR_NOMEM);
  double t = now() - t0;
  if (xmppim_map_count(&m) != n) fail("reference map holds %zu entries, not %zu", xmppim_map_count(&m), n);
  xmppim_map_free(&m);
  return t;
}

/* The full roster result as the server builds it (same attributes, same
 * values), built and serialized directly, then freed. */
static double ref_build_serialize(size_t n, host *h, const char *ver) {
  double t0 = now();
  xmppim_stanza *iq, *q;
  int rv = xmppim_stanza_new(&iq, NULL, "iq", "jabber:client");
  if (rv == 0) rv = xmppim_stanza_set_attr(iq, "type", "result");
  if (rv == 0) rv = xmppim_stanza_set_attr(iq, "id", "get-1");
  if (rv == 0) rv = xmppim_stanza_set_attr(iq, "to", USER_FULL);
  if (rv == 0) rv = xmppim_stanza_add_child(iq, "query", XMPPIM_NS_ROSTER, &q);
  if (rv == 0) rv = xmppim_stanza_set_attr(q, "ver", ver);
  for (size_t i = 0; rv == 0 && i < n; i++) {
    char name[64], g0[32];
    const char *g1;
    item_name(i, 0, name, sizeof name);
    size_t ng = item_groups(i, g0, &g1);
    xmppim_stanza *item, *g;
    rv = xmppim_stanza_add_child(q, "item", XMPPIM_NS_ROSTER, &item);
    if (rv == 0) rv = xmppim_stanza_set_attr(item, "jid", jids[i]);
    if (rv == 0) rv = xmppim_stanza_set_attr(item, "name", name);
    if (rv == 0) rv = xmppim_stanza_set_attr(item, "subscription", "none");
    if (rv == 0) rv = xmppim_stanza_add_child(item, "group", XMPPIM_NS_ROSTER, &g);
    if (rv == 0) rv = xmppim_stanza_add_text(g, g0, strlen(g0));
    if (rv == 0 && ng == 2) rv = xmppim_stanza_add_child(item, "group", XMPPIM_NS_ROSTER, &g);
    if (rv == 0 && ng == 2) rv = xmppim_stanza_add_text(g, g1, strlen(g1));
  }
  if (rv) die("building the reference roster", rv);
  if (serialize_into(h, iq) != 0) die("serializing the reference roster", XMPPIM_ERR_INTERNAL);
  xmppim_stanza_free(iq);
  return now() - t0;
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv) {
  char *end;
  size_t n = 100000;
  unsigned runs = 5;
  if (argc > 1) {
    unsigned long long v = strtoull(argv[1], &end, 10);
    if (*end || v < 1 || v > 10000000) {
      fprintf(stderr, "usage: %s [ITEMS (1..10000000, default 100000) [RUNS (1..100, default 5)]]\n", argv[0]);
      return 2;
    }
    n = (size_t)v;
  }
  if (argc > 2) {
    unsigned long v = strtoul(argv[2], &end, 10);
    if (*end || v < 1 || v > 100) {
      fprintf(stderr, "usage: %s [ITEMS [RUNS (1..100)]]\n", argv[0]);
      return 2;
    }
    runs = (unsigned)v;
  }
  size_t updates = n < UPDATES ? n : UPDATES;

  printf("bench_roster: build %s, sanitize %s; %zu roster items, %zu updates, median of %u runs\n",
         BENCH_BUILDTYPE, BENCH_SANITIZE, n, updates, runs);
  warn_build();

  make_jids(n);
  host h;
  memset(&h, 0, sizeof h);
  bench b;
  memset(&b, 0, sizeof b);
  b.n = n;
  b.h = &h;
  int rv = xmppim_server_options_new(&b.opts);
  if (rv) die("xmppim_server_options_new", rv);
  if ((rv = xmppim_server_options_set_max_roster_items(b.opts, n > 200000 ? n : 200000)) != 0 ||
      (rv = xmppim_server_options_set_version_log(b.opts, VERSION_LOG)) != 0)
    die("server options", rv);
  if ((rv = xmppim_jid_new(&b.alice, USER_FULL, strlen(USER_FULL), NULL)) != 0) die("xmppim_jid_new", rv);

  enum { QUICK = 1001 }; /* runs of the cheap up-to-date get */
  double *t = calloc(runs > QUICK ? runs : QUICK, sizeof *t), *tr = calloc(runs, sizeof *tr);
  if (!t || !tr) die("timings", XMPPIM_ERR_NOMEM);

  /* 1. fill: a fresh server and store each run; the last one stays. */
  for (unsigned r = 0; r < runs; r++) {
    if (r) teardown(&b);
    setup(&b);
    t[r] = timed_sets(&b, n, NULL, 0, NULL);
    if (xmppim_memory_store_contact_count(b.store, USER) != n)
      fail("fill: the store holds %zu contacts, not %zu", xmppim_memory_store_contact_count(b.store, USER), n);
    tr[r] = ref_map_inserts(n);
  }
  double fill = median(t, runs), fill_ref = median(tr, runs);
  printf("fill: %.3f us/item, %.1f ms total for %zu roster sets; reference map insert %.3f us/item "
         "(%.2f ms); ratio %.1f\n",
         fill * 1e6 / (double)n, fill * 1e3, n, fill_ref * 1e6 / (double)n, fill_ref * 1e3, fill / fill_ref);

  /* 2. load: unbind (unload) and bind (load from the store). */
  char *stored = dup_version(b.store);
  for (unsigned r = 0; r < runs; r++) {
    double t0 = now();
    rv = xmppim_server_resource_unbound(b.srv, b.alice);
    double t1 = now();
    if (rv) fail("load: xmppim_server_resource_unbound returned %d", rv);
    rv = xmppim_server_resource_bound(b.srv, b.alice);
    double t2 = now();
    if (rv) die("load: xmppim_server_resource_bound", rv);
    tr[r] = t1 - t0;
    t[r] = t2 - t1;
    /* The loaded roster has the stored version: a get with it is up to date. */
    do_get(&b, stored);
    if (h.results != 1 || h.pushes != 0 || h.result_at != 0 || h.last_len == 0 || strstr(h.buf, "<query"))
      fail("load: a get with the stored version %s gave %zu results and %zu pushes, last: %.200s", stored,
           h.results, h.pushes, h.buf);
    check_no_errors(&h, "load");
  }
  double load = median(t, runs), unload = median(tr, runs);
  printf("load: %.2f ms for %zu items (%.3f us/item); unload %.2f ms\n", load * 1e3, n, load * 1e6 / (double)n,
         unload * 1e3);

  /* 3. full get, and its reference. */
  size_t full_bytes = 0;
  for (unsigned r = 0; r < runs; r++) {
    t[r] = do_get(&b, NULL);
    if (h.results != 1 || h.pushes != 0 || h.delivered != 1)
      fail("full get: %zu results, %zu pushes", h.results, h.pushes);
    check_no_errors(&h, "full get");
    if (r && h.last_len != full_bytes) fail("full get: %zu bytes, then %zu", full_bytes, h.last_len);
    full_bytes = h.last_len;
  }
  char ver[64];
  size_t got = check_full_result(&h, ver, sizeof ver);
  if (got != n) fail("full get: %zu items delivered, not %zu", got, n);
  if (strcmp(ver, stored) != 0) fail("full get: version %s, the store has %s", ver, stored);
  for (unsigned r = 0; r < runs; r++) tr[r] = ref_build_serialize(n, &h, ver);
  if (h.last_len != full_bytes)
    fail("full get: %zu bytes of XML, the reference has %zu for the same items", full_bytes, h.last_len);
  double full = median(t, runs), full_ref = median(tr, runs);
  printf("full-get: %.2f ms, %.2f MB XML (%zu items, %.1f bytes/item); reference build+serialize %.2f ms; "
         "ratio %.2f\n",
         full * 1e3, (double)full_bytes / 1e6, n, (double)full_bytes / (double)n, full_ref * 1e3, full / full_ref);

  /* 4. versioned get, up to date. */
  unsigned quick = QUICK;
  for (unsigned r = 0; r < quick; r++) {
    t[r] = do_get(&b, stored);
    if (h.results != 1 || h.delivered != 1 || strstr(h.buf, "<query")) {
      fail("get-uptodate: %zu stanzas delivered, last: %.200s", h.delivered, h.buf);
      break;
    }
  }
  check_no_errors(&h, "get-uptodate");
  double uptodate = median(t, quick);
  printf("get-uptodate: %.2f us (median of %u); full get / up-to-date get %.0f\n", uptodate * 1e6, quick,
         full / uptodate);

  /* 5. updates: renames spread over the roster, then the delta get for the
   * version from before the last round of them: an empty result first,
   * then one push per change, the last carrying the current version and
   * the last new name. */
  size_t *idx = calloc(n, sizeof *idx);
  if (!idx) die("updates", XMPPIM_ERR_NOMEM);
  for (size_t j = 0; j < updates; j++) idx[j] = j * (n / updates);
  char *before = NULL;
  for (unsigned r = 0; r < runs; r++) {
    free(before);
    before = dup_version(b.store);
    t[r] = timed_sets(&b, updates, idx, r + 1, NULL);
  }
  double update = median(t, runs);
  printf("update: %.3f us/item (%zu renames, %.2f ms)\n", update * 1e6 / (double)updates, updates, update * 1e3);
  char *current = dup_version(b.store);
  size_t delta_bytes = 0;
  for (unsigned r = 0; r < runs; r++) {
    t[r] = do_get(&b, before);
    if (h.results != 1 || h.result_at != 0 || h.pushes != updates || h.delivered != updates + 1)
      fail("delta get: %zu results (at %zu), %zu pushes, not 1 (at 0) and %zu", h.results, h.result_at, h.pushes,
           updates);
    check_no_errors(&h, "delta get");
    delta_bytes = h.bytes;
  }
  {
    char name[64], want[128], wver[80];
    item_name(idx[updates - 1], runs, name, sizeof name);
    snprintf(want, sizeof want, "name='%s'", name);
    snprintf(wver, sizeof wver, "ver='%s'", current);
    if (!strstr(h.buf, want) || !strstr(h.buf, wver))
      fail("delta get: the last push is not the last change (want %s, %s): %.300s", want, wver, h.buf);
  }
  double delta = median(t, runs);
  printf("delta-get: %.3f ms for %zu pushes after an empty result, %.3f MB XML; full get %.2f ms; "
         "ratio delta/full %.4f\n",
         delta * 1e3, updates, (double)delta_bytes / 1e6, full * 1e3, delta / full);

  /* How the delta get grows with the changes it covers, up to a full change
   * log: one more round (untimed) renaming `deep` distinct items, keeping
   * the version before each rename. */
  size_t deep = n < VERSION_LOG ? n : VERSION_LOG;
  char **vers = calloc(deep, sizeof *vers);
  if (!vers) die("updates", XMPPIM_ERR_NOMEM);
  for (size_t j = 0; j < deep; j++) idx[j] = j * (n / deep);
  timed_sets(&b, deep, idx, runs + 1, vers);
  printf("delta-scaling: us/push for the last");
  double first_per_push = 0, per_push = 0, deep_delta = 0;
  size_t first_k = 0;
  for (size_t k = deep < 128 ? deep : 128;; k = k * 2 < deep ? k * 2 : deep) {
    for (unsigned r = 0; r < runs; r++) {
      t[r] = do_get(&b, vers[deep - k]);
      if (h.results != 1 || h.result_at != 0 || h.pushes != k || h.delivered != k + 1)
        fail("delta get of %zu changes: %zu results (at %zu), %zu pushes", k, h.results, h.result_at, h.pushes);
      check_no_errors(&h, "delta get");
    }
    deep_delta = median(t, runs);
    per_push = deep_delta / (double)k;
    if (!first_k) {
      first_k = k;
      first_per_push = per_push;
    }
    printf(" %zu changes %.3f;", k, per_push * 1e6);
    if (k == deep) break;
  }
  printf(" ratio %zu/%zu %.2f (1.00 = linear)\n", deep, first_k, per_push / first_per_push);
  printf("delta-log-full: %.2f ms for %zu pushes (%s); ratio to the full get %.3f\n", deep_delta * 1e3, deep,
         deep == VERSION_LOG ? "the oldest version the change log remembers" : "every item changed",
         deep_delta / full);

  /* 6. memory: a second server, through counting hooks, loads the roster
   * from the same store (the first one lets it go). */
  if ((rv = xmppim_server_resource_unbound(b.srv, b.alice)) != 0) fail("memory: unbind returned %d", rv);
  counting cnt;
  memset(&cnt, 0, sizeof cnt);
  xmppim_mem mem = counting_mem(&cnt);
  xmppim_server *msrv = server_new(&b, b.store, &h, &mem);
  size_t base = cnt.live, base_blocks = cnt.blocks;
  rv = xmppim_server_resource_bound(msrv, b.alice);
  if (rv) die("memory: xmppim_server_resource_bound", rv);
  size_t live = cnt.live - base, blocks = cnt.blocks - base_blocks, load_peak = cnt.peak - base;
  xmppim_stanza *req = get_request(NULL);
  host_reset(&h);
  cnt.peak = cnt.live;
  rv = xmppim_server_handle_stanza(msrv, b.alice, req);
  xmppim_stanza_free(req);
  if (rv != 1 || h.results != 1) fail("memory: the full get returned %d with %zu results", rv, h.results);
  check_no_errors(&h, "memory");
  size_t get_peak = cnt.peak - cnt.live;
  if (cnt.live - base != live) fail("memory: %zu bytes live after the full get, %zu before", cnt.live - base, live);
  xmppim_server_free(msrv);
  if (cnt.live != 0 || cnt.blocks != 0)
    fail("memory: %zu bytes in %zu blocks still live after xmppim_server_free", cnt.live, cnt.blocks);
  printf("memory: %.2f MB live in the server for %zu loaded items: %.1f bytes/item, %.2f allocations/item "
         "(requested sizes, allocator overhead excluded); peak while loading %.2f MB; a full get holds %.2f MB "
         "more while it runs (%.1f bytes/item)\n",
         (double)live / 1e6, n, (double)live / (double)n, (double)blocks / (double)n, (double)load_peak / 1e6,
         (double)get_peak / 1e6, (double)get_peak / (double)n);
  teardown(&b);

  for (size_t j = 0; j < deep; j++) free(vers[j]);
  free(vers);
  free(before);
  free(idx);
  free(current);
  free(stored);
  free(t);
  free(tr);
  for (size_t i = 0; i < n; i++) free(jids[i]);
  free(jids);
  free(jid_lens);
  free(h.buf);
  xmppim_jid_free(b.alice);
  xmppim_server_options_free(b.opts);
  printf(failed ? "bench_roster: FAILED\n" : "bench_roster: all checks passed\n");
  return failed ? 1 : 0;
}
