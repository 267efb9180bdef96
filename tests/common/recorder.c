#include "recorder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void append(recorder *r, const char *s, size_t n) {
  if (r->len + n + 1 > r->cap) {
    r->cap = (r->len + n + 1) * 2;
    r->log = realloc(r->log, r->cap);
    if (!r->log) abort();
  }
  memcpy(r->log + r->len, s, n);
  r->len += n;
  r->log[r->len] = '\0';
}

static void flush_ws(recorder *r) {
  if (!r->pending_ws) return;
  char line[48];
  int n = snprintf(line, sizeof(line), "W %zu\n", r->pending_ws);
  append(r, line, (size_t)n);
  r->pending_ws = 0;
}

static void field(recorder *r, const char *name, const char *value) {
  append(r, " ", 1);
  append(r, name, strlen(name));
  append(r, "=", 1);
  if (value)
    append(r, value, strlen(value));
  else
    append(r, "-", 1);
}

static int on_header(void *ud, const xmppim_stream_header *h) {
  recorder *r = ud;
  flush_ws(r);
  append(r, "H", 1);
  field(r, "to", h->to);
  field(r, "from", h->from);
  field(r, "id", h->id);
  field(r, "version", h->version);
  field(r, "lang", h->lang);
  field(r, "ns", h->default_ns);
  field(r, "prefix", h->stream_prefix);
  append(r, "\n", 1);
  return 0;
}

static int on_stanza(void *ud, xmppim_stanza *st) {
  recorder *r = ud;
  flush_ws(r);
  size_t need = 0;
  xmppim_stanza_serialize(st, NULL, NULL, 0, &need);
  char *buf = malloc(need + 1);
  if (!buf) abort();
  if (xmppim_stanza_serialize(st, NULL, buf, need + 1, NULL) != 0) abort();
  append(r, "S ", 2);
  append(r, buf, need);
  append(r, "\n", 1);
  free(buf);
  r->stanzas++;
  return 0;
}

static int on_whitespace(void *ud, size_t n) {
  ((recorder *)ud)->pending_ws += n;
  return 0;
}

static int on_end(void *ud) {
  recorder *r = ud;
  flush_ws(r);
  append(r, "E\n", 2);
  return 0;
}

void recorder_run(recorder *r, const char *data, size_t len, unsigned chunking,
                  const xmppim_parser_limits *limits) {
  memset(r, 0, sizeof(*r));
  append(r, "", 0);
  xmppim_parser_callbacks cb = {on_header, on_stanza, on_whitespace, on_end};
  if (xmppim_parser_new(&r->parser, &cb, r, limits, NULL) != 0) abort();
  unsigned seed = chunking;
  size_t at = 0;
  while (at < len) {
    size_t n;
    if (chunking == 0)
      n = len - at;
    else if (chunking == 1)
      n = 1;
    else {
      seed = seed * 1103515245u + 12345u;
      n = 1 + (seed >> 16) % 97;
    }
    if (n > len - at) n = len - at;
    long rv = xmppim_parser_feed(r->parser, data + at, n);
    if (rv < 0) {
      flush_ws(r);
      char line[64];
      int k = snprintf(line, sizeof(line), "X %s\n",
                       rv == XMPPIM_ERR_STREAM
                           ? xmppim_stream_condition_name(xmppim_parser_condition(r->parser))
                           : xmppim_strerror((int)rv));
      append(r, line, (size_t)k);
      r->result = (int)rv;
      return;
    }
    at += (size_t)rv;
  }
  flush_ws(r);
}

void recorder_free(recorder *r) {
  xmppim_parser_free(r->parser);
  free(r->log);
  memset(r, 0, sizeof(*r));
}
