/* Strict UTF-8 to and from code points, for the string preparation that
 * JIDs (RFC 6122) and SASL (RFC 4013) run through libidn. */
#ifndef XMPPIM_UTIL_UTF8_H
#define XMPPIM_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing
 * above U+10FFFF, no truncated sequence. A lax decoder would let two byte
 * strings prepare to one identity, or smuggle characters past the checks.
 * Returns the number of code points (stored into cps unless it is NULL),
 * or -1.
 */
long xmppim_utf8_decode(const unsigned char *s, size_t len, uint32_t *cps);

/* Bytes the code point takes in UTF-8 (c must be a scalar value). */
size_t xmppim_utf8_len(uint32_t c);

/* Writes c (a scalar value) at o, xmppim_utf8_len(c) bytes. */
void xmppim_utf8_put(uint32_t c, unsigned char *o);

#endif
