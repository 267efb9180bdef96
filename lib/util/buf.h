/*
 * Growable byte buffer with an optional hard limit. The session's output
 * queue and the serializer write into these; reading happens from `data`
 * directly so callers can hand the bytes to a socket without a copy.
 */
#ifndef XMPPIM_UTIL_BUF_H
#define XMPPIM_UTIL_BUF_H

#include <stddef.h>
#include <xmppim/common.h>

typedef struct xmppim_buf {
  const xmppim_mem *mem;
  char *data;
  size_t len;
  size_t cap;
  size_t limit; /* 0 = unlimited; appends past it fail with BACKPRESSURE */
} xmppim_buf;

void xmppim_buf_init(xmppim_buf *b, const xmppim_mem *mem, size_t limit);
void xmppim_buf_free(xmppim_buf *b);

/* Makes room for `extra` more bytes. 0, XMPPIM_ERR_NOMEM or XMPPIM_ERR_BACKPRESSURE. */
int xmppim_buf_reserve(xmppim_buf *b, size_t extra);

int xmppim_buf_append(xmppim_buf *b, const void *data, size_t len);

/* Drops the first n bytes (after they were written somewhere). */
void xmppim_buf_consume(xmppim_buf *b, size_t n);

/* Gives memory back when the buffer is empty and oversized (idle sessions stay small). */
void xmppim_buf_shrink(xmppim_buf *b);

#endif
