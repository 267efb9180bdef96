/*
 * Test helper: drives the stream parser and writes every event as one line
 * of text, so that runs can be compared and checked with string matching.
 *   H to=.. from=.. id=.. version=.. lang=.. ns=.. prefix=..
 *   S <serialized stanza>
 *   W <bytes>        (adjacent whitespace events merged)
 *   E                (stream end)
 *   X <condition>    (the feed failed with a stream error)
 */
#ifndef XMPPIM_TESTS_RECORDER_H
#define XMPPIM_TESTS_RECORDER_H

#include <stddef.h>

#include "xml/parser.h"

typedef struct recorder {
  char *log;
  size_t len, cap;
  size_t pending_ws;
  int stanzas;
  xmppim_parser *parser;
  int result; /* last negative feed result, or 0 */
} recorder;

/* Parses `data` fed in pieces: chunk 0 = all at once, 1 = byte by byte,
 * other values = pseudo-random piece sizes from that seed. */
void recorder_run(recorder *r, const char *data, size_t len, unsigned chunking,
                  const xmppim_parser_limits *limits);
void recorder_free(recorder *r);

#endif
