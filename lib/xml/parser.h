/*
 * Incremental XMPP stream parser over libxml2's SAX2 push parser.
 *
 * Bytes go in as they arrive, in chunks of any size; out come events: the
 * stream header, each depth-1 element as a complete tree, whitespace between
 * them, and the stream end. The sequence of events does not depend on how
 * the input was split, except that a run of whitespace between stanzas may
 * be reported in several on_whitespace events when it arrives in several
 * feeds (the byte total is the same).
 *
 * What RFC 6120 forbids (section 11) is refused with the stream error
 * condition a server would send; after an error the parser stays failed
 * until xmppim_parser_reset().
 */
#ifndef XMPPIM_XML_PARSER_H
#define XMPPIM_XML_PARSER_H

#include <stddef.h>
#include <xmppim/common.h>
#include <xmppim/stanza.h>

#define XMPPIM_NS_STREAMS "http://etherx.jabber.org/streams"

/* The attributes of the opening <stream:stream> tag; strings are NULL when absent. */
typedef struct xmppim_stream_header {
  const char *to;
  const char *from;
  const char *id;
  const char *version;
  const char *lang;           /* xml:lang */
  const char *default_ns;     /* jabber:client, jabber:server, or whatever was declared */
  const char *stream_prefix;  /* "stream" normally; NULL when the stream namespace is the default */
  const char *stream_ns;      /* always XMPPIM_NS_STREAMS when reported */
} xmppim_stream_header;

typedef struct xmppim_parser_callbacks {
  /* Called once per stream (again after a reset). Return 0, XMPPIM_ERR_PAUSE, or any
   * other negative value to fail the feed with XMPPIM_ERR_CALLBACK_FAILURE. */
  int (*on_header)(void *user_data, const xmppim_stream_header *header);
  /* A complete depth-1 element, borrowed until return (see xmppim_parser_take_stanza). */
  int (*on_stanza)(void *user_data, xmppim_stanza *stanza);
  /* Whitespace between stanzas (keepalives): len bytes of it. */
  int (*on_whitespace)(void *user_data, size_t len);
  /* </stream:stream> arrived. */
  int (*on_stream_end)(void *user_data);
} xmppim_parser_callbacks;

/* RFC 6120 section 13.12: deployed stanza size limits may not go lower. */
#define XMPPIM_PARSER_MIN_STANZA_BYTES 10000

typedef struct xmppim_parser_limits {
  size_t max_stanza_bytes;   /* default 256 KiB, at least 10000; bytes of one depth-1
                                element (or of the header), markup included */
  unsigned max_depth;        /* default 64; the stream element is depth 0 */
  unsigned max_attributes;   /* default 64 per element */
} xmppim_parser_limits;

typedef struct xmppim_parser xmppim_parser;

/* Fills in the defaults. */
void xmppim_parser_limits_default(xmppim_parser_limits *limits);

/*
 * limits: NULL for the defaults. The callbacks structure is copied.
 * Returns 0, XMPPIM_ERR_INVALID_ARGUMENT or XMPPIM_ERR_NOMEM.
 */
int xmppim_parser_new(xmppim_parser **out, const xmppim_parser_callbacks *callbacks,
                      void *user_data, const xmppim_parser_limits *limits,
                      const xmppim_mem *mem);
void xmppim_parser_free(xmppim_parser *p);

/*
 * Parses len bytes. Returns the number of bytes consumed, or a negative
 * error: XMPPIM_ERR_STREAM (see xmppim_parser_condition), XMPPIM_ERR_NOMEM,
 * XMPPIM_ERR_CALLBACK_FAILURE, XMPPIM_ERR_INVALID_STATE (fed after an error
 * or from inside a callback).
 *
 * When a callback returns XMPPIM_ERR_PAUSE, feed stops right after that
 * event and returns the bytes up to its end: the rest was not consumed and
 * must be fed again later. Nothing parsed is held back.
 *
 * Whitespace between stanzas is counted in characters after XML line-end
 * normalization (CR LF counts once), however it was split across feeds.
 *
 * For well-formed input the events never depend on how the bytes were
 * split. For broken input the events before the fault do not either, but
 * libxml2 2.9's push parser may notice a fault inside a tag only when a
 * later '>' (or the end of the input, xmppim_parser_eof) arrives, so input
 * broken in two ways may report either fault depending on the split.
 */
long xmppim_parser_feed(xmppim_parser *p, const char *data, size_t len);

/* Forgets the current stream: the next bytes must start a new stream header
 * (the restarts after STARTTLS and SASL success, RFC 6120 section 4.3.3). */
void xmppim_parser_reset(xmppim_parser *p);
/* Called from a callback, the reset happens right after the element being
 * delivered: feed returns the bytes consumed up to its end tag, and the
 * caller hands the rest to the next layer (TLS after <proceed/>) or feeds it
 * again as the new stream. */

/* Inside on_stanza only: takes ownership of the stanza being delivered; the
 * caller frees it with xmppim_stanza_free(). Saves a copy when a stanza is
 * routed on as it is. Returns NULL outside on_stanza. */
xmppim_stanza *xmppim_parser_take_stanza(xmppim_parser *p);

/* After XMPPIM_ERR_STREAM: the condition, and a human-readable reason. */
xmppim_stream_condition xmppim_parser_condition(const xmppim_parser *p);
const char *xmppim_parser_error_text(const xmppim_parser *p);

/* 1 between stanzas (nothing partial buffered), 0 inside one. */
int xmppim_parser_is_idle(const xmppim_parser *p);

/* The peer closed the connection: 0 when the stream had ended cleanly (or
 * never started), else XMPPIM_ERR_STREAM with not-well-formed (truncated). */
int xmppim_parser_eof(xmppim_parser *p);

/* The header of the current stream, or NULL before it arrived. Valid until
 * the next reset. */
const xmppim_stream_header *xmppim_parser_header(const xmppim_parser *p);

#endif
