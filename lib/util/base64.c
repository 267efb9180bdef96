/*
 * Strict base64 (RFC 4648 section 4). Written for SASL, where inputs are
 * short and come from an unauthenticated peer: a table-driven decoder that
 * validates everything first and never reads past inlen.
 */
#include "util/base64.h"

#include <stdint.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of a base64 character, or -1 for anything outside the alphabet. */
static int value_of(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

size_t xmppim_base64_encoded_len(size_t len) {
  size_t groups = len / 3 + (len % 3 != 0);
  if (groups > SIZE_MAX / 4) return SIZE_MAX;
  return groups * 4;
}

size_t xmppim_base64_encode(const unsigned char *in, size_t len, char *out, size_t cap) {
  size_t need = xmppim_base64_encoded_len(len);
  if (need == SIZE_MAX || need >= cap) {
    if (out && cap > 0) out[0] = '\0';
    return need;
  }
  size_t o = 0, i = 0;
  for (; len - i >= 3; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = alphabet[v >> 18];
    out[o++] = alphabet[(v >> 12) & 63];
    out[o++] = alphabet[(v >> 6) & 63];
    out[o++] = alphabet[v & 63];
  }
  if (len - i == 1) {
    uint32_t v = (uint32_t)in[i] << 16;
    out[o++] = alphabet[v >> 18];
    out[o++] = alphabet[(v >> 12) & 63];
    out[o++] = '=';
    out[o++] = '=';
  } else if (len - i == 2) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
    out[o++] = alphabet[v >> 18];
    out[o++] = alphabet[(v >> 12) & 63];
    out[o++] = alphabet[(v >> 6) & 63];
    out[o++] = '=';
  }
  out[o] = '\0';
  return o;
}

/*
 * Checks the whole text and returns the decoded size, or -1. Padding may
 * only be the last one or two characters of the last group, and the bits it
 * stands for must be zero in the character before it.
 */
static int validate(const unsigned char *s, size_t len, size_t *size) {
  if (len % 4 != 0) return -1;
  size_t pad = 0;
  if (len > 0 && s[len - 1] == '=') pad = (len > 1 && s[len - 2] == '=') ? 2 : 1;
  for (size_t i = 0; i < len - pad; i++)
    if (value_of(s[i]) < 0) return -1;
  if (pad) {
    int last = value_of(s[len - pad - 1]);
    if (pad == 2 && (last & 0x0F) != 0) return -1; /* 1 byte: 4 spare bits */
    if (pad == 1 && (last & 0x03) != 0) return -1; /* 2 bytes: 2 spare bits */
  }
  *size = len / 4 * 3 - pad;
  return 0;
}

int xmppim_base64_decode(const char *in, size_t inlen, unsigned char *out, size_t cap,
                         size_t *outlen) {
  size_t need;
  if (!outlen || (!in && inlen > 0)) return XMPPIM_ERR_INVALID_ARGUMENT;
  const unsigned char *s = (const unsigned char *)in;
  if (validate(s, inlen, &need) != 0) return XMPPIM_ERR_INVALID_ARGUMENT;
  *outlen = need;
  if (need > cap) return XMPPIM_ERR_BUFFER_TOO_SMALL;
  size_t o = 0;
  for (size_t i = 0; i < inlen; i += 4) {
    uint32_t v = 0;
    int chars = 0;
    for (int k = 0; k < 4; k++) {
      if (s[i + k] == '=') break;
      v |= (uint32_t)value_of(s[i + k]) << (18 - 6 * k);
      chars++;
    }
    out[o++] = (unsigned char)(v >> 16);
    if (chars >= 3) out[o++] = (unsigned char)(v >> 8);
    if (chars == 4) out[o++] = (unsigned char)v;
  }
  return 0;
}
