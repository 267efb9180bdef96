#include "util/utf8.h"

long xmppim_utf8_decode(const unsigned char *s, size_t len, uint32_t *cps) {
  size_t i = 0;
  long n = 0;
  while (i < len) {
    unsigned c = s[i];
    unsigned lo = 0x80, hi = 0xBF; /* bounds of the next byte */
    size_t extra;
    uint32_t cp;
    if (c < 0x80) {
      cp = c;
      extra = 0;
    } else if (c >= 0xC2 && c <= 0xDF) {
      cp = c & 0x1F;
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      cp = c & 0x0F;
      extra = 2;
      if (c == 0xE0) lo = 0xA0; /* overlong */
      if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
      cp = c & 0x07;
      extra = 3;
      if (c == 0xF0) lo = 0x90; /* overlong */
      if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
      return -1;
    }
    if (len - i - 1 < extra) return -1;
    for (size_t k = 1; k <= extra; k++) {
      unsigned b = s[i + k];
      if (b < lo || b > hi) return -1;
      lo = 0x80;
      hi = 0xBF;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cps) cps[n] = cp;
    n++;
    i += extra + 1;
  }
  return n;
}

size_t xmppim_utf8_len(uint32_t c) { return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4; }

void xmppim_utf8_put(uint32_t c, unsigned char *o) {
  switch (xmppim_utf8_len(c)) {
  case 1: o[0] = (unsigned char)c; break;
  case 2:
    o[0] = (unsigned char)(0xC0 | (c >> 6));
    o[1] = (unsigned char)(0x80 | (c & 0x3F));
    break;
  case 3:
    o[0] = (unsigned char)(0xE0 | (c >> 12));
    o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (c & 0x3F));
    break;
  default:
    o[0] = (unsigned char)(0xF0 | (c >> 18));
    o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (c & 0x3F));
    break;
  }
}
