/*
 * Stream parsing throughput: libxmppim's stream parser against its floor,
 * a bare libxml2 SAX2 push parser, on the same generated stream in the same
 * run (see "Cost per session and per byte" in the design notes).
 *
 *   bench_parse [MB [RUNS [WHICH]]]
 *
 *   MB     size of the generated stream in 10^6 bytes (default 50; may be fractional)
 *   RUNS   timed runs of each parser, the best is reported (default 5); with
 *          RUNS > 1 one untimed warm-up run of each comes first, and one more
 *          xmppim run through counting allocator hooks follows; RUNS = 1 runs
 *          each parser exactly once (for callgrind)
 *   WHICH  both (default), libxml2 or xmppim
 *
 * The stream is generated in memory from a fixed seed, so every run of
 * every build parses the same bytes: a client stream header, then about
 * 60% chat messages, 30% presence with caps, 10% roster pushes, some
 * whitespace between stanzas, and the stream end.
 *
 * Exit status: 1 when the xmppim parser reports an error on the stream or
 * counts a different number of stanzas than were generated (or the stream
 * is not even well-formed for libxml2). Timings never fail the program.
 *
 * Instruction counts (one run each, without warm-up):
 *   valgrind --tool=callgrind --toggle-collect=bench_run_xmppim ./bench_parse 5 1 xmppim
 *   valgrind --tool=callgrind --toggle-collect=bench_run_libxml2 ./bench_parse 5 1 libxml2
 */
#include <libxml/parser.h>
#include <libxml/xmlversion.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xmppim/common.h>
#include <xmppim/stanza.h>

#define BENCH_NAME "bench_parse"
#include "bench_common.h"
#include "counting_mem.h"
#include "xml/parser.h"

#if defined(__GNUC__)
#define BENCH_NOINLINE __attribute__((noinline))
#else
#define BENCH_NOINLINE
#endif

#define CHUNK 4096

/* ---- deterministic generator ------------------------------------------ */

static uint64_t rng_state;

static uint64_t rnd(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static unsigned below(unsigned n) { return (unsigned)(rnd() % n); }
static int chance(unsigned percent) { return below(100) < percent; }

typedef struct gen {
  char *buf;
  size_t len, cap;
  size_t stanzas, messages, presences, roster_pushes;
  size_t ws_bytes;       /* whitespace between stanzas (depth 1) */
} gen;

static void put(gen *g, const char *s, size_t n) {
  if (g->cap - g->len < n + 1) {
    size_t cap = g->cap ? g->cap : 1 << 20;
    while (cap - g->len < n + 1) cap *= 2;
    char *p = realloc(g->buf, cap);
    if (!p) {
      fprintf(stderr, "bench_parse: out of memory generating the stream\n");
      exit(2);
    }
    g->buf = p;
    g->cap = cap;
  }
  memcpy(g->buf + g->len, s, n);
  g->len += n;
  g->buf[g->len] = '\0';
}

static void puts_(gen *g, const char *s) { put(g, s, strlen(s)); }

#if defined(__GNUC__)
static void putf(gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
static void putf(gen *g, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof tmp) {
    fprintf(stderr, "bench_parse: generator format overflow\n");
    exit(2);
  }
  put(g, tmp, (size_t)n);
}

/* Characters a token stands for: code points, an entity reference counting as one. */
static unsigned token_chars(const char *s) {
  unsigned n = 0;
  while (*s) {
    if (*s == '&') {
      const char *semi = strchr(s, ';');
      s = semi ? semi + 1 : s + 1;
      n++;
    } else {
      if (((unsigned char)*s & 0xc0) != 0x80) n++;
      s++;
    }
  }
  return n;
}

static const char *const ascii_words[] = {
  "hello", "the", "meeting", "is", "at", "noon", "tomorrow", "see", "you", "there", "ok", "thanks",
  "did", "get", "my", "message", "about", "release", "build", "works", "now", "lunch", "coffee",
  "later", "sure", "why", "not", "what", "time", "call", "me", "please", "review", "patch", "server",
  "down", "again", "weekend", "plans", "great", "idea", "yes", "no", "maybe", "link",
  "https://example.org/x?id=42", "XMPP", "roster", "presence", "I'll", "be", "late", "today", "!", "?"};
static const char *const intl_words[] = {
  "café", "déjà", "vu", "naïve", "résumé", "Grüße", "Straße", "中文", "你好", "谢谢", "😀", "🎉", "👍",
  "Привет", "ελληνικά", "日本語", "¿qué?", "señor"};
static const char *const escaped_words[] = {
  "&amp;", "&lt;", "&gt;", "&quot;", "a&amp;b", "x &lt; y", "&lt;b&gt;bold&lt;/b&gt;", "&quot;quoted&quot;",
  "R&amp;D", "-&gt;"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const locals[] = {"romeo", "juliet", "mercutio", "benvolio", "tybalt", "nurse",
                                     "laurence", "paris", "rosaline", "balthasar", "sampson", "gregory"};
static const char *const domains[] = {"example.com", "example.net", "montague.example", "capulet.example",
                                      "jabber.example.org"};
static const char *const resources[] = {"orchard", "balcony", "phone", "laptop", "Gajim.4XJ2",
                                        "Conversations.fX9k", "desktop", "tablet"};
static const char *const shows[] = {"away", "chat", "dnd", "xa"};
static const char *const statuses[] = {
  "In a meeting", "Working from home", "Out &amp; about", "En réunion", "忙碌中", "Back at 3 &lt;maybe&gt;",
  "Lunch 🍜", "On the phone", "Do not disturb", "Auf Reisen", "Available"};
static const char *const caps_nodes[] = {"http://gajim.org", "http://conversations.im", "http://psi-im.org",
                                         "https://dino.im", "http://pidgin.im/"};
static const char *const roster_names[] = {"Romeo Montague", "Juliet", "Zoë", "李雷", "Mercutio &amp; Co",
                                           "Friar Laurence", "O&apos;Brien", "Nurse", "Ελένη"};
static const char *const groups[] = {"Friends", "Work", "Family", "Famille", "同事", "Book Club", "Q&amp;A"};
static const char *const subscriptions[] = {"none", "to", "from", "both", "remove"};
static const char *const chat_states[] = {"active", "composing", "paused"};

static char caps_vers[16][29];

static void put_jid(gen *g, int full) {
  putf(g, "%s%u@%s", locals[below(COUNT(locals))], below(40), domains[below(COUNT(domains))]);
  if (full) putf(g, "/%s", resources[below(COUNT(resources))]);
}

static void gen_body(gen *g) {
  unsigned target = 20 + below(181), chars = 0;
  int intl = chance(15), esc = chance(10);
  while (chars < target) {
    const char *w;
    if (intl && chance(30))
      w = intl_words[below(COUNT(intl_words))];
    else if (esc && chance(25))
      w = escaped_words[below(COUNT(escaped_words))];
    else
      w = ascii_words[below(COUNT(ascii_words))];
    unsigned wc = token_chars(w);
    if (chars && chars + 1 + wc > target && chars >= 20) break;
    if (chars) {
      puts_(g, " ");
      chars++;
    }
    puts_(g, w);
    chars += wc;
  }
}

static void gen_message(gen *g) {
  puts_(g, "<message from='");
  put_jid(g, 1);
  puts_(g, "' to='");
  put_jid(g, 1);
  putf(g, "' type='chat' id='m%08x'><body>", (unsigned)rnd());
  gen_body(g);
  puts_(g, "</body>");
  if (chance(30)) putf(g, "<thread>%016llx</thread>", (unsigned long long)rnd());
  if (chance(40))
    putf(g, "<%s xmlns='http://jabber.org/protocol/chatstates'/>", chat_states[below(COUNT(chat_states))]);
  puts_(g, "</message>");
  g->messages++;
}

static void gen_presence(gen *g) {
  puts_(g, "<presence from='");
  put_jid(g, 1);
  puts_(g, "' to='");
  put_jid(g, 0);
  putf(g, "' id='p%u'><show>%s</show><status>%s</status><priority>%d</priority>", (unsigned)below(1000000),
       shows[below(COUNT(shows))], statuses[below(COUNT(statuses))], (int)below(56) - 5);
  putf(g, "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='%s' ver='%s'/></presence>",
       caps_nodes[below(COUNT(caps_nodes))], caps_vers[below(16)]);
  g->presences++;
}

static void gen_roster_push(gen *g) {
  putf(g, "<iq type='set' id='push%u' to='", (unsigned)below(1000000));
  put_jid(g, 1);
  putf(g, "'><query xmlns='jabber:iq:roster' ver='ver%u'><item jid='", (unsigned)below(100000));
  put_jid(g, 0);
  putf(g, "' name='%s' subscription='%s'", roster_names[below(COUNT(roster_names))],
       subscriptions[below(COUNT(subscriptions))]);
  unsigned ngroups = below(3);
  if (ngroups == 0) {
    puts_(g, "/>");
  } else {
    puts_(g, ">");
    for (unsigned i = 0; i < ngroups; i++) putf(g, "<group>%s</group>", groups[below(COUNT(groups))]);
    puts_(g, "</item>");
  }
  puts_(g, "</query></iq>");
  g->roster_pushes++;
}

static void gen_whitespace(gen *g) {
  /* No CR: XML end-of-line handling would turn CR LF into one LF. */
  static const char *const ws[] = {"\n", " ", "\n  ", "\n\n", "\t"};
  const char *w = ws[below(COUNT(ws))];
  puts_(g, w);
  g->ws_bytes += strlen(w);
}

static void generate(gen *g, size_t target) {
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  rng_state = 0x786d7070696d2d31u; /* fixed seed */
  for (int i = 0; i < 16; i++) {
    for (int j = 0; j < 27; j++) caps_vers[i][j] = b64[below(64)];
    caps_vers[i][27] = '=';
    caps_vers[i][28] = '\0';
  }
  memset(g, 0, sizeof *g);
  puts_(g, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
           "xmlns:stream='http://etherx.jabber.org/streams' from='example.com' id='bench-1' "
           "to='romeo@example.com' version='1.0' xml:lang='en'>");
  const char *end = "</stream:stream>";
  while (g->len + strlen(end) < target) {
    unsigned kind = below(100);
    if (kind < 60)
      gen_message(g);
    else if (kind < 90)
      gen_presence(g);
    else
      gen_roster_push(g);
    g->stanzas++;
    if (chance(25)) gen_whitespace(g);
  }
  puts_(g, end);
}

/* ---- (a) bare libxml2 SAX2 push parser ---------------------------------- */

static void sax_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                      int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
                      const xmlChar **attributes) {
  (void)ctx, (void)localname, (void)prefix, (void)uri, (void)nb_namespaces, (void)namespaces;
  (void)nb_attributes, (void)nb_defaulted, (void)attributes;
}

static void sax_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri) {
  (void)ctx, (void)localname, (void)prefix, (void)uri;
}

static void sax_characters(void *ctx, const xmlChar *ch, int len) { (void)ctx, (void)ch, (void)len; }

BENCH_NOINLINE int bench_run_libxml2(const char *data, size_t len);
BENCH_NOINLINE int bench_run_libxml2(const char *data, size_t len) {
  xmlSAXHandler sax;
  memset(&sax, 0, sizeof sax);
  sax.initialized = XML_SAX2_MAGIC;
  sax.startElementNs = sax_start;
  sax.endElementNs = sax_end;
  sax.characters = sax_characters;
  xmlParserCtxtPtr ctxt = xmlCreatePushParserCtxt(&sax, NULL, NULL, 0, NULL);
  if (!ctxt) return -1;
  int rc = 0;
  for (size_t off = 0; off < len && rc == 0; off += CHUNK) {
    size_t n = len - off < CHUNK ? len - off : CHUNK;
    rc = xmlParseChunk(ctxt, data + off, (int)n, 0);
  }
  if (rc == 0) rc = xmlParseChunk(ctxt, NULL, 0, 1);
  if (rc == 0 && !ctxt->wellFormed) rc = -1;
  xmlFreeParserCtxt(ctxt);
  return rc;
}

/* ---- (b) libxmppim stream parser with stanza trees ---------------------- */

typedef struct xcount {
  size_t headers, stanzas, ends, ws_bytes;
  unsigned long name_sum;
} xcount;

static int x_on_header(void *ud, const xmppim_stream_header *h) {
  (void)h;
  ((xcount *)ud)->headers++;
  return 0;
}

static int x_on_stanza(void *ud, xmppim_stanza *stanza) {
  xcount *c = ud;
  c->stanzas++;
  c->name_sum += (unsigned char)xmppim_stanza_name(stanza)[0];
  return 0;
}

static int x_on_whitespace(void *ud, size_t len) {
  ((xcount *)ud)->ws_bytes += len;
  return 0;
}

static int x_on_end(void *ud) {
  ((xcount *)ud)->ends++;
  return 0;
}

static const xmppim_parser_callbacks x_callbacks = {
  .on_header = x_on_header,
  .on_stanza = x_on_stanza,
  .on_whitespace = x_on_whitespace,
  .on_stream_end = x_on_end,
};


static counting *live_counter; /* for bench_run_xmppim's end-of-stream reading */

/* Returns 0, or the failing feed's error (reported on stderr). */
BENCH_NOINLINE long bench_run_xmppim(const char *data, size_t len, xcount *c, const xmppim_mem *mem,
                                     size_t *live_at_end);

BENCH_NOINLINE long bench_run_xmppim(const char *data, size_t len, xcount *c, const xmppim_mem *mem,
                                     size_t *live_at_end) {
  xmppim_parser *p = NULL;
  memset(c, 0, sizeof *c);
  int rc = xmppim_parser_new(&p, &x_callbacks, c, NULL, mem);
  if (rc != 0) {
    fprintf(stderr, "bench_parse: xmppim_parser_new: %s\n", xmppim_strerror(rc));
    return rc;
  }
  long result = 0;
  for (size_t off = 0; off < len; off += CHUNK) {
    size_t n = len - off < CHUNK ? len - off : CHUNK;
    long r = xmppim_parser_feed(p, data + off, n);
    if (r < 0) {
      xmppim_stream_condition cond = xmppim_parser_condition(p);
      const char *text = xmppim_parser_error_text(p);
      fprintf(stderr, "bench_parse: xmppim_parser_feed at byte %zu: %ld (%s), condition %s: %s\n", off, r,
              xmppim_strerror((int)r), xmppim_stream_condition_name(cond) ? xmppim_stream_condition_name(cond) : "none",
              text ? text : "");
      result = r;
      break;
    }
    if ((size_t)r != n) {
      fprintf(stderr, "bench_parse: xmppim_parser_feed consumed %ld of %zu bytes without a pause\n", r, n);
      result = XMPPIM_ERR_INTERNAL;
      break;
    }
  }
  if (live_at_end && live_counter) *live_at_end = live_counter->live;
  xmppim_parser_free(p);
  return result;
}

/* ---- main ------------------------------------------------------------- */

typedef struct result {
  double best, median;
} result;

static result summarize(double *t, int n) {
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  result r = {t[0], n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2};
  return r;
}

int main(int argc, char **argv) {
  double mb = argc > 1 ? strtod(argv[1], NULL) : 50.0;
  int runs = argc > 2 ? atoi(argv[2]) : 5;
  const char *which = argc > 3 ? argv[3] : "both";
  if (!(mb > 0) || mb > 4000 || runs < 1 || runs > 1000 ||
      (strcmp(which, "both") && strcmp(which, "libxml2") && strcmp(which, "xmppim"))) {
    fprintf(stderr, "usage: %s [MB [RUNS [both|libxml2|xmppim]]]\n", argv[0]);
    return 2;
  }
  int do_libxml2 = strcmp(which, "xmppim") != 0, do_xmppim = strcmp(which, "libxml2") != 0;

  xmlInitParser();
  gen g;
  generate(&g, (size_t)(mb * 1e6));
  double mbytes = (double)g.len / 1e6;

  printf("bench_parse: build %s, sanitize %s, libxml2 %s, chunks of %d bytes, best of %d%s\n", BENCH_BUILDTYPE,
         BENCH_SANITIZE, LIBXML_DOTTED_VERSION, CHUNK, runs, runs > 1 ? " after a warm-up" : "");
  warn_build();
  printf("stream: %zu bytes (%.2f MB, MB = 10^6 bytes), %zu stanzas: %zu messages, %zu presences, "
         "%zu roster pushes; %.1f bytes/stanza; %zu bytes of whitespace between stanzas\n",
         g.len, mbytes, g.stanzas, g.messages, g.presences, g.roster_pushes, (double)g.len / (double)g.stanzas,
         g.ws_bytes);

  double *tl = calloc((size_t)runs, sizeof *tl), *tx = calloc((size_t)runs, sizeof *tx);
  if (!tl || !tx) return 2;
  xcount xc;
  memset(&xc, 0, sizeof xc);

  if (runs > 1) { /* warm-up */
    if (do_libxml2 && bench_run_libxml2(g.buf, g.len) != 0) {
      fprintf(stderr, "bench_parse: libxml2 says the generated stream is not well-formed\n");
      failed = 1;
    }
    if (do_xmppim && bench_run_xmppim(g.buf, g.len, &xc, NULL, NULL) != 0) failed = 1;
  }
  for (int i = 0; i < runs && !failed; i++) { /* interleaved, so drift hits both alike */
    if (do_libxml2) {
      double t0 = now();
      int rc = bench_run_libxml2(g.buf, g.len);
      tl[i] = now() - t0;
      if (rc != 0) {
        fprintf(stderr, "bench_parse: libxml2 says the generated stream is not well-formed\n");
        failed = 1;
      }
    }
    if (do_xmppim) {
      double t0 = now();
      long rc = bench_run_xmppim(g.buf, g.len, &xc, NULL, NULL);
      tx[i] = now() - t0;
      if (rc != 0) failed = 1;
    }
  }

  result rl = {0, 0}, rx = {0, 0};
  if (!failed && do_libxml2) {
    rl = summarize(tl, runs);
    printf("(a) libxml2 SAX2 push, empty callbacks: best %.4f s  %8.1f MB/s  %6.3f M stanzas/s  %6.1f ns/stanza"
           "  (median %.1f MB/s)\n",
           rl.best, mbytes / rl.best, (double)g.stanzas / rl.best / 1e6, rl.best * 1e9 / (double)g.stanzas,
           mbytes / rl.median);
  }
  if (!failed && do_xmppim) {
    rx = summarize(tx, runs);
    printf("(b) xmppim_parser, stanza trees:       best %.4f s  %8.1f MB/s  %6.3f M stanzas/s  %6.1f ns/stanza"
           "  (median %.1f MB/s)\n",
           rx.best, mbytes / rx.best, (double)g.stanzas / rx.best / 1e6, rx.best * 1e9 / (double)g.stanzas,
           mbytes / rx.median);
  }
  if (!failed && do_libxml2 && do_xmppim)
    printf("ratio libxmppim/libxml2 MB/s: %.3f (best), %.3f (median); tree + framing overhead %.1f ns/stanza, "
           "%.2f ns/byte\n",
           rl.best / rx.best, rl.median / rx.median, (rx.best - rl.best) * 1e9 / (double)g.stanzas,
           (rx.best - rl.best) * 1e9 / (double)g.len);

  if (do_xmppim && !failed && runs > 1) {
    /* One more, untimed, through counting allocator hooks: the library's own
     * memory (skipped with RUNS = 1, so that callgrind counts one run). */
    counting cnt = {0};
    xmppim_mem mem = counting_mem(&cnt);
    size_t live_end = 0;
    live_counter = &cnt;
    xcount xc2;
    if (bench_run_xmppim(g.buf, g.len, &xc2, &mem, &live_end) != 0) failed = 1;
    live_counter = NULL;
    printf("library heap (xmppim_mem hooks, libxml2 excluded): %zu allocator calls = %.2f per stanza; "
           "peak %zu bytes live; %zu bytes live after the stream end; %zu after free\n",
           cnt.calls, (double)cnt.calls / (double)g.stanzas, cnt.peak, live_end, cnt.live);
    if (cnt.live != 0) printf("  WARNING: %zu bytes allocated through the hooks were never freed\n", cnt.live);
  }

  if (do_xmppim) {
    if (failed) {
      printf("FAIL: the xmppim parser failed on the generated stream\n");
    } else {
      if (xc.stanzas != g.stanzas) {
        printf("FAIL: xmppim_parser delivered %zu stanzas, %zu were generated\n", xc.stanzas, g.stanzas);
        failed = 1;
      }
      if (xc.headers != 1 || xc.ends != 1)
        printf("WARNING: %zu stream headers and %zu stream ends reported (expected 1 and 1)\n", xc.headers, xc.ends);
      if (xc.ws_bytes != g.ws_bytes)
        printf("WARNING: %zu bytes of whitespace reported, %zu generated\n", xc.ws_bytes, g.ws_bytes);
      if (xc.name_sum == 0) printf("WARNING: no stanza names read\n");
    }
  } else if (failed) {
    printf("FAIL: libxml2 failed on the generated stream\n");
  }

  free(tl);
  free(tx);
  free(g.buf);
  xmlCleanupParser();
  return failed ? 1 : 0;
}
