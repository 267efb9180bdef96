/*
 * Base64 (RFC 4648 section 4: standard alphabet, '=' padding), as SASL
 * payloads in XMPP (RFC 6120 section 6.4.2, C6.3.5-b) and the binary fields
 * inside SCRAM messages need it.
 *
 * Decoding is strict on purpose: characters outside the alphabet (line
 * breaks and spaces included), a length that is not a multiple of four,
 * misplaced or missing padding and non-zero bits in the last character
 * before the padding are all refused. A lenient decoder would let two
 * different wire strings carry the same bytes, which SCRAM's channel-binding
 * check (c=) compares byte for byte, and RFC 6120 asks for zero padding bits.
 *
 * The empty string encodes and decodes as itself. XMPP writes an empty SASL
 * payload as "=" (C6.4.2-a, C6.4.6-b); that is the session's business, and
 * "=" alone is an error here.
 */
#ifndef XMPPIM_UTIL_BASE64_H
#define XMPPIM_UTIL_BASE64_H

#include <stddef.h>
#include <xmppim/common.h>

/*
 * Length of the base64 text for len bytes, without a NUL; SIZE_MAX when it
 * would not fit in a size_t.
 */
size_t xmppim_base64_encoded_len(size_t len);

/*
 * Encodes len bytes of in into out, snprintf-style: returns the length the
 * text needs (without its NUL) whatever cap is. When cap exceeds that
 * length, out receives the text and a NUL; otherwise out receives only an
 * empty string (when cap > 0), never a truncated encoding that could be
 * mistaken for a complete one. in may be NULL when len is 0. A result of
 * SIZE_MAX means the length overflows (nothing written but the empty string).
 */
size_t xmppim_base64_encode(const unsigned char *in, size_t len, char *out, size_t cap);

/*
 * Decodes inlen characters of in (need not be NUL-terminated) into out,
 * which holds cap bytes. *outlen receives the number of bytes the input
 * decodes to, also when cap is too small (snprintf-style), so a caller may
 * ask with cap 0 first. The whole input is checked before anything counts
 * as a size.
 *
 * Returns 0; XMPPIM_ERR_INVALID_ARGUMENT when the text is not strict base64
 * (the session answers that with <incorrect-encoding/>) or in/outlen is
 * NULL with inlen > 0; XMPPIM_ERR_BUFFER_TOO_SMALL when cap is smaller than
 * *outlen (out is then left untouched).
 */
int xmppim_base64_decode(const char *in, size_t inlen, unsigned char *out, size_t cap,
                         size_t *outlen);

#endif
