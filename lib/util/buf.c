#include "util/buf.h"

#include <stdint.h>
#include <string.h>

#include "util/mem.h"

void xmppim_buf_init(xmppim_buf *b, const xmppim_mem *mem, size_t limit) {
  b->mem = xmppim_mem_or_default(mem);
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->limit = limit;
}

void xmppim_buf_free(xmppim_buf *b) {
  xmppim_mem_free(b->mem, b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

int xmppim_buf_reserve(xmppim_buf *b, size_t extra) {
  if (extra > SIZE_MAX - b->len) return XMPPIM_ERR_NOMEM;
  size_t need = b->len + extra;
  if (b->limit && need > b->limit) return XMPPIM_ERR_BACKPRESSURE;
  if (need <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  if (b->limit && cap > b->limit) cap = b->limit;
  char *data = xmppim_mem_realloc(b->mem, b->data, cap);
  if (!data) return XMPPIM_ERR_NOMEM;
  b->data = data;
  b->cap = cap;
  return 0;
}

int xmppim_buf_append(xmppim_buf *b, const void *data, size_t len) {
  if (len == 0) return 0;
  int rv = xmppim_buf_reserve(b, len);
  if (rv) return rv;
  memcpy(b->data + b->len, data, len);
  b->len += len;
  return 0;
}

void xmppim_buf_consume(xmppim_buf *b, size_t n) {
  if (n >= b->len) {
    b->len = 0;
    return;
  }
  memmove(b->data, b->data + n, b->len - n);
  b->len -= n;
}

void xmppim_buf_shrink(xmppim_buf *b) {
  if (b->len == 0 && b->data) {
    xmppim_mem_free(b->mem, b->data);
    b->data = NULL;
    b->cap = 0;
  }
}
