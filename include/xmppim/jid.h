/**
 * @file jid.h
 * @brief XMPP addresses (JIDs): parse, prepare, compare, bare and full.
 *
 * A JID is `[localpart@]domainpart[/resourcepart]` (RFC 6122, which RFC 6120
 * and RFC 6121 use). Two JIDs name the same entity when their *prepared*
 * forms are equal, not their input strings: "Juliet@Example.COM" and
 * "juliet@example.com" are one account. So every function here prepares its
 * input once, and an #xmppim_jid only ever holds prepared parts; comparing
 * two of them is then a byte comparison, which is what routing and roster
 * code do all day.
 *
 * Preparation, part by part (RFC 6122 sections 2.2-2.4):
 * - localpart: the Nodeprep profile of stringprep (case folding, NFKC, so
 *   full-width and compatibility characters become their plain forms), then
 *   the characters " & ' / : < > @ are refused.
 * - domainpart: an IPv4 address in dotted-quad form, an IPv6 address in
 *   brackets, or a domain name. A domain name loses one trailing dot; each
 *   label goes through Nameprep and must pass IDNA2003 ToASCII with the
 *   UseSTD3ASCIIRules flag (letters, digits and hyphens only, at most 63
 *   octets once ACE-encoded). ACE labels ("xn--...") are turned back into
 *   Unicode (ToUnicode), so "xn--caf-dma.example" and "café.example" are one
 *   domain and the prepared form is the Unicode one, as RFC 6122 asks.
 *   IPv6 literals are rewritten in their RFC 5952 form ("[2001:db8::1]"),
 *   so that one address has one spelling. A domain made only of digits and
 *   dots must be a valid IPv4 address ("192.0.2.256" and "1.2.3" are
 *   refused): no top-level domain is numeric (RFC 1123 section 2.1).
 * - resourcepart: the Resourceprep profile (NFKC, no case folding: resources
 *   are case-sensitive). It may contain '@' and '/'.
 *
 * Each part must be 1 to 1023 bytes long after preparation. As a bound on the
 * work and memory spent on hostile input, a part is also refused when it is
 * longer than 1023 bytes *before* preparation (the input of a valid JID
 * never needs to be longer, except with characters that prepare to nothing).
 *
 * Code points unassigned in Unicode 3.2 (which stringprep is frozen at) are
 * allowed, as RFC 3454 allows for queries and as libidn's XMPP profiles do
 * by default; refusing them would refuse every character added since 2002,
 * emoji in resources included.
 *
 * Strings are UTF-8. Invalid input is reported with a negative error code,
 * never a crash: see each function for the codes. Objects are immutable once
 * built, so one #xmppim_jid may be read from several threads at once.
 */
#ifndef XMPPIM_JID_H
#define XMPPIM_JID_H

#include <stddef.h>
#include <xmppim/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The longest a localpart, domainpart or resourcepart may be, in bytes. */
#define XMPPIM_JID_PART_MAX 1023

/**
 * The longest a prepared JID may be, in bytes, without the terminating NUL:
 * three parts and the two separators. A buffer of `XMPPIM_JID_MAX + 1` bytes
 * always holds the output of xmppim_jid_prep().
 */
#define XMPPIM_JID_MAX (3 * XMPPIM_JID_PART_MAX + 2)

/**
 * A prepared address. Opaque and immutable: build it with xmppim_jid_new()
 * or xmppim_jid_new_from_parts(), free it with xmppim_jid_free(). All strings
 * it hands out are owned by it and live as long as it does.
 */
typedef struct xmppim_jid xmppim_jid;

/**
 * Parses and prepares a JID string.
 *
 * The string is split as RFC 6122 section 2.1 says, before any preparation:
 * everything after the first '/' is the resourcepart (so the resource may
 * hold further '/' and '@'), and of what precedes it, everything before the
 * first '@' is the localpart. "@example.com", "example.com/" and
 * "juliet@/r" therefore have an empty part and are refused.
 *
 * @param out receives the new JID; set to NULL on failure.
 * @param str UTF-8 text, need not be NUL-terminated; @p len bytes of it are
 * read, so an embedded NUL is part of the input (and refused).
 * @param len length of @p str in bytes.
 * @param mem allocator hooks (copied), or NULL for the C library's.
 * @return 0; #XMPPIM_ERR_INVALID_ARGUMENT (@p out or @p str NULL, or @p mem
 * lacks malloc or free); #XMPPIM_ERR_JID_EMPTY_PART; #XMPPIM_ERR_JID_TOO_LONG;
 * #XMPPIM_ERR_JID_PROHIBITED (including stringprep's bidirectional rules);
 * #XMPPIM_ERR_JID_BAD_DOMAIN; #XMPPIM_ERR_BAD_UTF8; #XMPPIM_ERR_NOMEM; or
 * #XMPPIM_ERR_INTERNAL if libidn fails in an unexpected way.
 */
XMPPIM_EXTERN int xmppim_jid_new(xmppim_jid **out, const char *str, size_t len,
                                 const xmppim_mem *mem);

/**
 * Builds a JID from separate parts, each prepared as in xmppim_jid_new().
 * Use it where the parts arrive separately (a resource proposed in resource
 * binding, a user name from a login form) so that no string needs gluing and
 * re-splitting: a resource given here may hold '@' and '/' freely.
 *
 * @param out receives the new JID; set to NULL on failure.
 * @param local NUL-terminated localpart, or NULL for none. An empty string
 * is an empty part and is refused, unlike NULL.
 * @param domain NUL-terminated domainpart; required.
 * @param resource NUL-terminated resourcepart, or NULL for none (a bare JID).
 * @param mem allocator hooks (copied), or NULL.
 * @return the codes of xmppim_jid_new(); #XMPPIM_ERR_INVALID_ARGUMENT also
 * when @p domain is NULL.
 */
XMPPIM_EXTERN int xmppim_jid_new_from_parts(xmppim_jid **out, const char *local,
                                            const char *domain, const char *resource,
                                            const xmppim_mem *mem);

/** Frees a JID. NULL is allowed. */
XMPPIM_EXTERN void xmppim_jid_free(xmppim_jid *jid);

/**
 * An independent copy, for keeping a JID beyond the life of an object that
 * owns the original, possibly under another allocator. No preparation is
 * redone.
 * @param out receives the copy; set to NULL on failure.
 * @param mem allocator hooks for the copy, or NULL for the C library's (not
 * those of @p jid).
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_jid_copy(xmppim_jid **out, const xmppim_jid *jid,
                                  const xmppim_mem *mem);

/**
 * A new JID holding only the localpart and domainpart of @p jid: the address
 * of the account rather than of one of its connections. Servers stamp
 * subscription presence with it (R3-b) and rewrite full-JID subscription
 * requests to it (R3.1.2-b). Works on a JID that is already bare, too.
 * @param out receives the bare JID; set to NULL on failure.
 * @param mem allocator hooks for the result, or NULL for the C library's.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_jid_bare(xmppim_jid **out, const xmppim_jid *jid,
                                  const xmppim_mem *mem);

/** @return the prepared localpart, or NULL when the JID has none (or @p jid is NULL). */
XMPPIM_EXTERN const char *xmppim_jid_local(const xmppim_jid *jid);

/** @return the prepared domainpart (never NULL for a valid @p jid; NULL if @p jid is NULL). */
XMPPIM_EXTERN const char *xmppim_jid_domain(const xmppim_jid *jid);

/** @return the prepared resourcepart, or NULL when the JID is bare (or @p jid is NULL). */
XMPPIM_EXTERN const char *xmppim_jid_resource(const xmppim_jid *jid);

/**
 * @return nonzero when the JID has no resourcepart. Delivery rules differ
 * for bare and full addresses (RFC 6121 section 8.5), hence a dedicated test.
 * NULL gives 0.
 */
XMPPIM_EXTERN int xmppim_jid_is_bare(const xmppim_jid *jid);

/**
 * The canonical string of the whole JID, for 'to' and 'from' attributes and
 * as a map key. Computed once when the JID was built, so calling this on
 * every stanza costs nothing.
 * @return a NUL-terminated string owned by @p jid, or NULL if @p jid is NULL.
 */
XMPPIM_EXTERN const char *xmppim_jid_to_string(const xmppim_jid *jid);

/**
 * The canonical string of the bare JID (localpart@domainpart, or the domain
 * alone), computed once at creation; the key under which rosters and
 * subscriptions are kept.
 * @return a NUL-terminated string owned by @p jid, or NULL if @p jid is NULL.
 */
XMPPIM_EXTERN const char *xmppim_jid_bare_string(const xmppim_jid *jid);

/**
 * Whether two JIDs address the same entity, resource included: the prepared
 * forms are compared, so this is exact string equality of
 * xmppim_jid_to_string() and cheap.
 * @return nonzero when equal; 0 when not, or when either is NULL.
 */
XMPPIM_EXTERN int xmppim_jid_equal(const xmppim_jid *a, const xmppim_jid *b);

/**
 * Whether two JIDs belong to the same account (or the same domain when both
 * lack a localpart), ignoring resources, as when a client checks that a
 * roster push comes from its own bare JID (R2.1.6-c).
 * @return nonzero when the bare forms are equal; 0 when not, or when either
 * is NULL.
 */
XMPPIM_EXTERN int xmppim_jid_bare_equal(const xmppim_jid *a, const xmppim_jid *b);

/**
 * Prepares a JID string into a caller buffer, with no object and no
 * allocation in the common case: for hot paths that only need the canonical
 * text, such as normalising a 'to' attribute before a lookup. The rules and
 * errors are those of xmppim_jid_new().
 *
 * Like snprintf(), it reports the size it needs; unlike snprintf(), it never
 * writes a truncated JID, since a truncated address is a different, valid
 * address: on #XMPPIM_ERR_BUFFER_TOO_SMALL, @p out holds "" (if @p cap > 0).
 *
 * @param in UTF-8 text, need not be NUL-terminated.
 * @param len bytes of @p in to read.
 * @param out receives the canonical NUL-terminated string; may be NULL when
 * @p cap is 0 (a size query).
 * @param cap size of @p out in bytes; `XMPPIM_JID_MAX + 1` always suffices.
 * @param needed if not NULL, receives the length of the canonical string
 * without the NUL, on success and on #XMPPIM_ERR_BUFFER_TOO_SMALL.
 * @return 0; #XMPPIM_ERR_BUFFER_TOO_SMALL when @p cap <= *@p needed;
 * #XMPPIM_ERR_INVALID_ARGUMENT (@p in NULL, or @p out NULL with @p cap > 0);
 * or the parse errors of xmppim_jid_new(), including #XMPPIM_ERR_NOMEM
 * (very long non-ASCII parts need a scratch buffer from the C library).
 */
XMPPIM_EXTERN int xmppim_jid_prep(const char *in, size_t len, char *out, size_t cap,
                                  size_t *needed);

#ifdef __cplusplus
}
#endif

#endif /* XMPPIM_JID_H */
