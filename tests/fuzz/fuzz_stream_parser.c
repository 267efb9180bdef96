/*
 * libFuzzer target for the incremental stream parser (lib/xml/parser.h).
 *
 * The input is an XML stream, optionally preceded by a harness prefix:
 *
 *   byte 0 in 0x01..0x08: k = byte 0 configuration bytes follow, then the stream.
 *     cfg[0]      limits: bit 7 clear = defaults; set = small limits,
 *                 max_depth 1 + (bits 0-2), max_attributes 1 + 4 * (bits 3-4),
 *                 max_stanza_bytes 10000 << (bits 5-6) (10000 is the least allowed)
 *     cfg[1..k-1] chunk sizes (value + 1), used in a cycle
 *   otherwise: the whole input is the stream, default limits, and the chunk
 *     sizes come from a PRNG seeded with the stream's first 8 bytes.
 *
 * (No XML stream can begin with a byte below 0x09, so the seed corpus stays
 * plain XMPP captures.)
 *
 * Four runs, each recording its events:
 *   A. one parser fed chunk by chunk; its callbacks sometimes return
 *      XMPPIM_ERR_PAUSE (the harness then feeds the unconsumed rest again,
 *      and after the last piece empty feeds until no call pauses) and sometimes
 *      take the stanza with xmppim_parser_take_stanza() instead of copying it;
 *   B. a second parser fed everything at once;
 *   C. parser A again after xmppim_parser_reset(), fed everything at once;
 *   D. parser A again, chunked, with on_stanza calling xmppim_parser_reset()
 *      at the k-th stanza (see run_reset_in_callback()).
 * The event sequences of A, B and C must be identical once adjacent whitespace
 * events are merged (parser.h allows a run to be reported in pieces; the
 * parser reports whitespace as soon as it is fed, so the totals must agree
 * even for a run still open at the end of the input), and so must the
 * outcome: the feed's error code and stream condition, or, when all was
 * fed, what xmppim_parser_eof() says. Every stanza goes through the tree
 * checks and the serialize/parse round trip of fuzz_common.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xmppim/stanza.h>

#include "fuzz_common.h"
#include "xml/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef XMPPIM_PARSER_MIN_STANZA_BYTES
#define MIN_STANZA_BYTES XMPPIM_PARSER_MIN_STANZA_BYTES
#else
#define MIN_STANZA_BYTES 10000
#endif

enum { EV_HEADER = 1, EV_STANZA, EV_WS, EV_END };

typedef struct event {
  int kind;
  size_t ws;               /* EV_WS: bytes */
  fz_buf text;             /* EV_HEADER: fields; EV_STANZA: serialization */
  xmppim_stanza *tree;     /* EV_STANZA: a copy or a taken stanza, owned here */
} event;

typedef struct recorder {
  const char *label;
  event *ev;
  size_t count, cap;
  size_t delivered;        /* callbacks seen, merged or not */
  size_t consumed;         /* bytes the parser said it consumed */
  xmppim_parser *parser;
  const xmppim_parser_limits *limits;
  uint64_t rng;
  int may_pause;           /* callbacks return XMPPIM_ERR_PAUSE now and then */
  int may_take;            /* on_stanza sometimes takes ownership */
  size_t pauses;           /* XMPPIM_ERR_PAUSE returned so far */
  size_t stanzas;          /* on_stanza calls */
  size_t reset_at;         /* nonzero: on_stanza resets the parser at this stanza */
  int did_reset;
} recorder;

static event *push_event(recorder *r, int kind) {
  if (r->count == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 16;
    event *p = realloc(r->ev, cap * sizeof *p);
    if (!p) fz_fail("harness out of memory");
    r->ev = p;
    r->cap = cap;
  }
  event *e = &r->ev[r->count++];
  memset(e, 0, sizeof *e);
  e->kind = kind;
  return e;
}

static void recorder_clear(recorder *r) {
  for (size_t i = 0; i < r->count; i++) {
    fz_buf_free(&r->ev[i].text);
    xmppim_stanza_free(r->ev[i].tree);
  }
  free(r->ev);
  r->ev = NULL;
  r->count = r->cap = 0;
  r->delivered = 0;
  r->consumed = 0;
  r->stanzas = 0;
  r->did_reset = 0;
}

static int trace; /* FZ_TRACE set: print every event and feed on stderr */
/*
 * FZ_TOLERATE (comma-separated) works around known parser bugs so that a
 * fuzzing session can look past them; by default every check is on.
 *  take-queued: accept xmppim_parser_take_stanza() returning NULL (then
 *               copy) for stanzas delivered after a pause;
 *  no-pause:    callbacks never return XMPPIM_ERR_PAUSE (events queued
 *               behind a pause are lost when the same feed then fails);
 *  error-timing: a stream error may surface in a later feed or only at
 *               xmppim_parser_eof() depending on the split, as long as the
 *               condition is the same;
 *  error-condition: only "failed or not" must agree, not the condition;
 *  ws-before-error: whitespace reported just before a stream error may
 *               differ (it is dropped from the comparison);
 *  pause-error: when the chunked run paused and ended in an error, its
 *               events need only be a prefix of the whole run's;
 *  ws-count:    whitespace events are not compared at all (CR LF is
 *               counted as one byte or two, and the difference then eats
 *               later whitespace).
 */
static int take_may_fail, tolerate_error_timing, tolerate_error_condition, tolerate_ws_error,
    tolerate_ws_count;

static int tolerate(const char *what) {
  const char *list = getenv("FZ_TOLERATE");
  return list && strstr(list, what) != NULL;
}

static int cb_result(recorder *r) {
  r->delivered++;
  if (trace) {
    const event *e = &r->ev[r->count - 1];
    fprintf(stderr, "  %s: event %zu %d ws=%zu %.*s\n", r->label, r->count - 1, e->kind, e->ws,
            e->kind == EV_STANZA ? (int)e->text.len : 0, e->text.data ? e->text.data : "");
  }
  if (r->may_pause && (fz_rand(&r->rng) & 3) == 0) {
    if (trace) fprintf(stderr, "  %s: pause\n", r->label);
    r->pauses++;
    return XMPPIM_ERR_PAUSE;
  }
  return 0;
}

static int on_header(void *ud, const xmppim_stream_header *h) {
  recorder *r = ud;
  if (!h) fz_fail("%s: on_header with a NULL header", r->label);
  if (!h->stream_ns || strcmp(h->stream_ns, XMPPIM_NS_STREAMS) != 0)
    fz_fail("%s: header reported with stream_ns '%s'", r->label, h->stream_ns ? h->stream_ns : "(null)");
  const xmppim_stream_header *current = xmppim_parser_header(r->parser);
  if (!current) fz_fail("%s: xmppim_parser_header() is NULL inside on_header", r->label);
  event *e = push_event(r, EV_HEADER);
  fz_buf_add_str(&e->text, h->to);
  fz_buf_add_str(&e->text, h->from);
  fz_buf_add_str(&e->text, h->id);
  fz_buf_add_str(&e->text, h->version);
  fz_buf_add_str(&e->text, h->lang);
  fz_buf_add_str(&e->text, h->default_ns);
  fz_buf_add_str(&e->text, h->stream_prefix);
  fz_buf_add_str(&e->text, h->stream_ns);
  if (current != h) {
    fz_buf same = {0};
    const char *const fields[8] = {current->to, current->from, current->id, current->version,
                                   current->lang, current->default_ns, current->stream_prefix,
                                   current->stream_ns};
    for (int i = 0; i < 8; i++) fz_buf_add_str(&same, fields[i]);
    if (same.len != e->text.len || memcmp(same.data, e->text.data, same.len) != 0)
      fz_fail("%s: xmppim_parser_header() differs from the header given to on_header", r->label);
    fz_buf_free(&same);
  }
  return cb_result(r);
}

static int on_stanza(void *ud, xmppim_stanza *stanza) {
  recorder *r = ud;
  if (!stanza) fz_fail("%s: on_stanza with a NULL stanza", r->label);
  fz_check_tree(stanza, r->limits->max_depth, r->limits->max_attributes);
  fz_round_trip(stanza, r->label);

  event *e = push_event(r, EV_STANZA);
  size_t len = 0;
  char *xml = fz_serialize(stanza, NULL, &len);
  fz_buf_add(&e->text, xml, len);
  free(xml);

  xmppim_stanza *taken = NULL;
  if (r->may_take && (fz_rand(&r->rng) & 1)) {
    taken = xmppim_parser_take_stanza(r->parser);
    if (taken != stanza && !(taken == NULL && take_may_fail))
      fz_fail("%s: xmppim_parser_take_stanza() returned %p, not the stanza being delivered (%p)", r->label,
              (void *)taken, (void *)stanza);
    e->tree = taken;
  }
  if (!taken) {
    int rc = xmppim_stanza_copy(&e->tree, stanza, NULL);
    if (rc != 0) fz_fail("%s: xmppim_stanza_copy() returned %d", r->label, rc);
  }
  if (++r->stanzas == r->reset_at) {
    xmppim_parser_reset(r->parser); /* takes effect right after this element */
    r->did_reset = 1;
  }
  return cb_result(r);
}

static int on_whitespace(void *ud, size_t len) {
  recorder *r = ud;
  if (len == 0) fz_fail("%s: on_whitespace with length 0", r->label);
  if (tolerate_ws_count) {
    r->delivered++;
    return 0;
  }
  if (r->count && r->ev[r->count - 1].kind == EV_WS) {
    r->ev[r->count - 1].ws += len;
  } else {
    event *e = push_event(r, EV_WS);
    e->ws = len;
  }
  return cb_result(r);
}

static int on_stream_end(void *ud) {
  recorder *r = ud;
  push_event(r, EV_END);
  return cb_result(r);
}

static const xmppim_parser_callbacks callbacks = {
  .on_header = on_header,
  .on_stanza = on_stanza,
  .on_whitespace = on_whitespace,
  .on_stream_end = on_stream_end,
};

typedef struct outcome {
  long rc;                          /* 0 or the first negative feed result */
  xmppim_stream_condition condition;
  int eof;                          /* xmppim_parser_eof() when the feeds succeeded */
} outcome;

/* Feeds [data, data+len) in one call or, with pauses, until all is consumed. */
static long feed_all(recorder *r, const uint8_t *data, size_t len) {
  size_t off = 0;
  unsigned stalls = 0;
  size_t pauses_before = r->pauses;
  do {
    size_t before = r->delivered;
    long n = xmppim_parser_feed(r->parser, (const char *)data + off, len - off);
    if (trace) fprintf(stderr, "%s: feed %zu bytes -> %ld\n", r->label, len - off, n);
    if (n < 0) return n;
    if ((size_t)n > len - off) fz_fail("%s: feed of %zu bytes reported %ld consumed", r->label, len - off, n);
    if (!r->may_pause && (size_t)n != len - off)
      fz_fail("%s: feed of %zu bytes consumed %ld without a pause", r->label, len - off, n);
    if (n == 0 && r->delivered == before && ++stalls > 3)
      fz_fail("%s: feed makes no progress (0 bytes consumed, no event) at offset %zu", r->label, off);
    off += (size_t)n;
    r->consumed += (size_t)n;
    if (r->delivered > 2 * r->consumed + 16)
      fz_fail("%s: %zu events from %zu bytes: events delivered more than once?", r->label, r->delivered,
              r->consumed);
  } while (off < len);
  /* parser.h: after a pause, events already parsed are delivered by the
   * next call, which may have len 0; a call that does not pause has
   * delivered everything. */
  while (r->pauses != pauses_before) {
    pauses_before = r->pauses;
    long n = xmppim_parser_feed(r->parser, NULL, 0);
    if (trace) fprintf(stderr, "%s: resume with an empty feed -> %ld\n", r->label, n);
    if (n < 0) return n;
    if (n != 0) fz_fail("%s: an empty feed reported %ld bytes consumed", r->label, n);
  }
  return 0;
}

static void check_error(recorder *r, const char *what) {
  if (xmppim_parser_condition(r->parser) == XMPPIM_STREAM_OK)
    fz_fail("%s: %s failed with XMPPIM_ERR_STREAM without a condition", r->label, what);
  const char *text = xmppim_parser_error_text(r->parser);
  if (!text || !*text) fz_fail("%s: %s failed with XMPPIM_ERR_STREAM without an error text", r->label, what);
}

static outcome finish(recorder *r, long rc) {
  outcome o = {rc, XMPPIM_STREAM_OK, 0};
  if (rc == 0) {
    /* The peer closes the connection here. */
    o.eof = xmppim_parser_eof(r->parser);
    if (o.eof == XMPPIM_ERR_STREAM) {
      check_error(r, "xmppim_parser_eof()");
      o.condition = xmppim_parser_condition(r->parser);
    } else if (o.eof != 0) {
      fz_fail("%s: xmppim_parser_eof() returned undocumented %d", r->label, o.eof);
    }
  } else if (rc == XMPPIM_ERR_STREAM) {
    check_error(r, "xmppim_parser_feed()");
    o.condition = xmppim_parser_condition(r->parser);
  } else if (rc != XMPPIM_ERR_NOMEM) {
    fz_fail("%s: feed failed with unexpected %ld (%s)", r->label, rc, xmppim_strerror((int)rc));
  }
  if ((rc < 0 || o.eof < 0) && tolerate_ws_error && r->count && r->ev[r->count - 1].kind == EV_WS) r->count--;
  if (rc < 0) {
    /* Documented: stays failed until reset. */
    long again = xmppim_parser_feed(r->parser, "<", 1);
    if (again != XMPPIM_ERR_INVALID_STATE)
      fz_fail("%s: feed after an error returned %ld, not XMPPIM_ERR_INVALID_STATE", r->label, again);
  }
  return o;
}

static const char *cond_name(xmppim_stream_condition c) {
  const char *n = xmppim_stream_condition_name(c);
  return n ? n : "none";
}

static const char *kind_name(int kind) {
  switch (kind) {
    case EV_HEADER: return "header";
    case EV_STANZA: return "stanza";
    case EV_WS: return "whitespace";
    case EV_END: return "stream end";
    default: return "?";
  }
}

/* The first n events of a and b must be the same. */
static void compare_events(const recorder *a, const recorder *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const event *x = &a->ev[i], *y = &b->ev[i];
    if (x->kind != y->kind)
      fz_fail("event %zu: %s gave %s, %s gave %s", i, a->label, kind_name(x->kind), b->label, kind_name(y->kind));
    if (x->kind == EV_WS && x->ws != y->ws)
      fz_fail("event %zu: whitespace run of %zu bytes in %s, %zu in %s", i, x->ws, a->label, y->ws, b->label);
    if (x->text.len != y->text.len || (x->text.len && memcmp(x->text.data, y->text.data, x->text.len) != 0))
      fz_fail("event %zu (%s) differs:\n%s: %.*s\n%s: %.*s", i, kind_name(x->kind), a->label, (int)x->text.len,
              x->text.data ? x->text.data : "", b->label, (int)y->text.len, y->text.data ? y->text.data : "");
    if (x->kind == EV_STANZA && !xmppim_stanza_equal(x->tree, y->tree))
      fz_fail("event %zu: kept stanzas of %s and %s are not equal (%.*s)", i, a->label, b->label, (int)x->text.len,
              x->text.data);
  }
}

static void compare(const recorder *a, outcome oa, const recorder *b, outcome ob) {
  size_t n = a->count < b->count ? a->count : b->count;
  compare_events(a, b, n);
  if (a->count != b->count) {
    const recorder *longer = a->count > b->count ? a : b;
    fz_fail("%s gave %zu events, %s gave %zu; first extra one in %s is a %s", a->label, a->count, b->label,
            b->count, longer->label, kind_name(longer->ev[n].kind));
  }
  int same;
  if (tolerate_error_condition)
    same = (oa.rc < 0 || oa.eof < 0) == (ob.rc < 0 || ob.eof < 0);
  else if (tolerate_error_timing)
    same = oa.condition == ob.condition && (oa.rc == XMPPIM_ERR_STREAM || oa.eof == XMPPIM_ERR_STREAM ||
                                            (oa.rc == ob.rc && oa.eof == ob.eof));
  else
    same = oa.rc == ob.rc && oa.condition == ob.condition && oa.eof == ob.eof;
  if (!same)
    fz_fail("outcome differs: %s ended with feed %ld (%s), eof %d, condition %s; %s with feed %ld (%s), eof %d, "
            "condition %s",
            a->label, oa.rc, xmppim_strerror((int)oa.rc), oa.eof, cond_name(oa.condition), b->label, ob.rc,
            xmppim_strerror((int)ob.rc), ob.eof, cond_name(ob.condition));
}

typedef struct chunker {
  const uint8_t *sizes; /* explicit sizes (value + 1), cycled; or NULL */
  size_t nsizes, i;
  unsigned mode;
  uint64_t rng;
} chunker;

static size_t next_chunk(chunker *c, size_t left) {
  static const size_t mode_max[4] = {4, 32, 512, 8192};
  size_t n;
  if (c->nsizes) {
    n = (size_t)c->sizes[c->i++ % c->nsizes] + 1;
  } else {
    uint64_t x = fz_rand(&c->rng);
    n = (x & 0x700) == 0 ? 1 : 1 + (size_t)(x % mode_max[c->mode]);
  }
  return n < left ? n : left;
}

/*
 * D: the parser is reset from inside on_stanza at the k-th stanza, as a
 * session does after <proceed/> or <success/>. parser.h: feed then returns
 * the bytes up to that element's end tag. The events up to there must be
 * the whole run's first events, and the rest of the input, fed to the reset
 * parser, must give what a fresh parser gives for it.
 */
static void run_reset_in_callback(recorder *rd, recorder *fresh, const recorder *whole, const uint8_t *data,
                                  size_t size, chunker ck) {
  size_t whole_stanzas = 0;
  for (size_t i = 0; i < whole->count; i++) whole_stanzas += whole->ev[i].kind == EV_STANZA;
  if (whole_stanzas == 0) return;
  recorder_clear(rd);
  rd->label = "reset in on_stanza";
  rd->may_pause = 0;
  rd->may_take = 0;
  rd->reset_at = 1 + (size_t)(fz_rand(&ck.rng) % whole_stanzas);
  xmppim_parser_reset(rd->parser);

  size_t off = 0, split = 0;
  while (off < size) {
    size_t n = next_chunk(&ck, size - off);
    long r = xmppim_parser_feed(rd->parser, (const char *)data + off, n);
    if (trace) fprintf(stderr, "%s: feed %zu bytes -> %ld\n", rd->label, n, r);
    if (r < 0) {
      rd->reset_at = 0;
      return; /* errors are A's business */
    }
    if ((size_t)r > n) fz_fail("%s: feed of %zu bytes reported %ld consumed", rd->label, n, r);
    if (rd->did_reset) {
      split = off + (size_t)r;
      break;
    }
    if ((size_t)r != n) fz_fail("%s: feed of %zu bytes consumed %ld without a pause or reset", rd->label, n, r);
    off += n;
  }
  if (!rd->did_reset)
    fz_fail("%s: stanza %zu never came, though the whole run delivered %zu", rd->label, rd->reset_at,
            whole_stanzas);
  rd->reset_at = 0;
  if (rd->count > whole->count || rd->ev[rd->count - 1].kind != EV_STANZA)
    fz_fail("%s: %zu events up to the reset, the last a %s", rd->label, rd->count,
            kind_name(rd->ev[rd->count - 1].kind));
  compare_events(rd, whole, rd->count);
  if (split == 0 || data[split - 1] != '>')
    fz_fail("%s: feed stopped at byte %zu, not after the end tag of the stanza (byte before: 0x%02x)", rd->label,
            split, split ? data[split - 1] : 0);

  /* The rest, as a new stream: the reset parser against a fresh one. */
  recorder_clear(rd);
  recorder_clear(fresh);
  rd->label = "after reset in on_stanza";
  fresh->label = "rest, fresh parser";
  xmppim_parser_reset(fresh->parser);
  outcome o1 = finish(rd, split < size ? feed_all(rd, data + split, size - split) : 0);
  outcome o2 = finish(fresh, split < size ? feed_all(fresh, data + split, size - split) : 0);
  compare(rd, o1, fresh, o2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  trace = getenv("FZ_TRACE") != NULL;
  take_may_fail = tolerate("take-queued");
  tolerate_error_timing = tolerate("error-timing");
  tolerate_error_condition = tolerate("error-condition");
  tolerate_ws_error = tolerate("ws-before-error");
  tolerate_ws_count = tolerate("ws-count");
  xmppim_parser_limits limits;
  xmppim_parser_limits_default(&limits);
  const uint8_t *chunk_sizes = NULL;
  size_t nchunk_sizes = 0;

  if (size > 0 && data[0] >= 0x01 && data[0] <= 0x08) {
    size_t k = data[0];
    if (k > size - 1) k = size - 1;
    const uint8_t *cfg = data + 1;
    if (k >= 1 && (cfg[0] & 0x80)) {
      limits.max_depth = 1u + (cfg[0] & 0x07u);
      limits.max_attributes = 1u + 4u * ((cfg[0] >> 3) & 0x03u);
      limits.max_stanza_bytes = (size_t)MIN_STANZA_BYTES << ((cfg[0] >> 5) & 0x03u);
    }
    if (k >= 2) {
      chunk_sizes = cfg + 1;
      nchunk_sizes = k - 1;
    }
    data += 1 + k;
    size -= 1 + k;
  }

  uint64_t seed = fz_hash(data, size < 8 ? size : 8);
  recorder ra = {.label = "chunked", .limits = &limits, .rng = seed,
                 .may_pause = (int)((seed >> 8) & 1) && !tolerate("no-pause"), .may_take = 1};
  recorder rb = {.label = "whole", .limits = &limits, .rng = seed};

  int rc = xmppim_parser_new(&ra.parser, &callbacks, &ra, &limits, NULL);
  if (rc != 0) fz_fail("xmppim_parser_new() returned %d", rc);
  rc = xmppim_parser_new(&rb.parser, &callbacks, &rb, &limits, NULL);
  if (rc != 0) fz_fail("xmppim_parser_new() returned %d", rc);
  if (xmppim_parser_take_stanza(ra.parser) != NULL) fz_fail("xmppim_parser_take_stanza() outside on_stanza is not NULL");

  /* A: chunked. */
  const chunker ck0 = {chunk_sizes, nchunk_sizes, 0, (unsigned)(seed % 4), seed ^ 0x5a5a5a5a5a5a5a5au};
  chunker ck = ck0;
  long rca = 0;
  size_t off = 0;
  while (off < size && rca == 0) {
    size_t n = next_chunk(&ck, size - off);
    rca = feed_all(&ra, data + off, n);
    off += n;
  }
  outcome oa = finish(&ra, rca);

  /* B: whole. */
  outcome ob = finish(&rb, size ? feed_all(&rb, data, size) : 0);
  if (ra.pauses && oa.rc < 0 && tolerate("pause-error") && ra.count <= rb.count)
    compare_events(&ra, &rb, ra.count);
  else
    compare(&ra, oa, &rb, ob);

  /* C: A again after a reset, whole. */
  recorder_clear(&ra);
  ra.label = "after reset";
  ra.may_pause = 0;
  ra.may_take = 0;
  xmppim_parser_reset(ra.parser);
  outcome oc = finish(&ra, size ? feed_all(&ra, data, size) : 0);
  compare(&ra, oc, &rb, ob);

  /* D: reset from inside a callback, then the rest as a new stream. */
  recorder rf = {.label = "fresh", .limits = &limits, .rng = seed};
  rc = xmppim_parser_new(&rf.parser, &callbacks, &rf, &limits, NULL);
  if (rc != 0) fz_fail("xmppim_parser_new() returned %d", rc);
  run_reset_in_callback(&ra, &rf, &rb, data, size, ck0);
  xmppim_parser_free(rf.parser);
  recorder_clear(&rf);

  xmppim_parser_free(ra.parser);
  xmppim_parser_free(rb.parser);
  recorder_clear(&ra);
  recorder_clear(&rb);
  return 0;
}
