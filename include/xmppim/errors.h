/**
 * @file errors.h
 * @brief The error vocabulary of RFC 6120: stanza errors (section 8.3) and
 * stream errors (section 4.9), built as element trees and read back from
 * them.
 *
 * Nothing here sends anything. The builders return a tree the caller (the
 * session, or a host answering a stanza itself) serializes and sends; the
 * parsers read a tree the stream parser delivered and point into it, so
 * what they report is borrowed from that tree and lives exactly as long.
 *
 * The parsers are lenient where RFC 6120 says to be (an unknown condition
 * is read as undefined-condition, C4.9.2-b and C8.3.2-c) but never silent:
 * every way the peer's error element broke the rules is reported as a
 * #xmppim_error_flaw bit, so a host can log a misbehaving peer and still act
 * on what it meant.
 *
 * The human-readable `<text/>` of an error is for people, and only as a
 * supplement to the condition (C4.9.2-c, C8.3.2-d): code should decide on
 * the condition and type, never on the text.
 */
#ifndef XMPPIM_ERRORS_H
#define XMPPIM_ERRORS_H

#include <stddef.h>
#include <xmppim/common.h>
#include <xmppim/stanza.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef XMPPIM_NS_STREAMS
/** The namespace of the stream element and of `<stream:error/>` itself. */
#define XMPPIM_NS_STREAMS "http://etherx.jabber.org/streams"
#endif

/** The namespace of stream error conditions and their `<text/>`. */
#define XMPPIM_NS_STREAM_ERRORS "urn:ietf:params:xml:ns:xmpp-streams"

/** The namespace of stanza error conditions and their `<text/>`. */
#define XMPPIM_NS_STANZA_ERRORS "urn:ietf:params:xml:ns:xmpp-stanzas"

/* ---------------------------------------------------------------------- */
/* Flaws of a received error element                                       */
/* ---------------------------------------------------------------------- */

/**
 * Ways a received error element breaks RFC 6120, as bits. The parsers
 * return them (a positive value) and also store them in the info structure.
 * Each bit says what the parser fell back to, so the filled-in information
 * is usable whatever the bits are.
 */
typedef enum xmppim_error_flaw {
  /** The stanza `<error/>` has no 'type' (C8.3.2-a); the type is reported as
   * #XMPPIM_STANZA_ERROR_TYPE_UNKNOWN. */
  XMPPIM_ERROR_FLAW_TYPE_MISSING = 1 << 0,
  /** The 'type' is none of the five (C8.3.2-a); reported as
   * #XMPPIM_STANZA_ERROR_TYPE_UNKNOWN. */
  XMPPIM_ERROR_FLAW_TYPE_UNKNOWN = 1 << 1,
  /** No condition element at all (C4.9.2-a, C8.3.2-b); the condition is
   * reported as undefined-condition. */
  XMPPIM_ERROR_FLAW_NO_CONDITION = 1 << 2,
  /** The condition element's name is not one RFC 6120 defines; reported as
   * undefined-condition, as C4.9.2-b and C8.3.2-c require. Not necessarily
   * the peer's fault: a later revision may define more. */
  XMPPIM_ERROR_FLAW_UNKNOWN_CONDITION = 1 << 3,
  /** More than one condition element; the first is reported. */
  XMPPIM_ERROR_FLAW_EXTRA_CONDITION = 1 << 4,
  /** A second `<text/>`, a second application-specific element, or a child
   * element that cannot be application-specific because it has no
   * namespace of its own; the first of each is reported, the others are
   * ignored (C8.3.2-c: process the rest). */
  XMPPIM_ERROR_FLAW_EXTRA_ELEMENT = 1 << 5,
  /** The stanza carries `<error/>` but its type is not 'error' (C8.3.1-e). */
  XMPPIM_ERROR_FLAW_NOT_ERROR_TYPE = 1 << 6,
  /** see-other-host without a usable host (C4.9.3-c): empty, or not
   * domain, IPv4, or bracketed IPv6, with an optional port. */
  XMPPIM_ERROR_FLAW_BAD_HOST = 1 << 7
} xmppim_error_flaw;

/* ---------------------------------------------------------------------- */
/* Stanza errors (RFC 6120 section 8.3)                                    */
/* ---------------------------------------------------------------------- */

/**
 * What the sender of the failed stanza should do about it (C8.3.2-a).
 * The value tells a client whether retrying can help, which the condition
 * alone does not always say.
 */
typedef enum xmppim_stanza_error_type {
  /** Not a type: what parsing gives when 'type' is missing or unknown. */
  XMPPIM_STANZA_ERROR_TYPE_UNKNOWN = 0,
  /** Retry after providing credentials. */
  XMPPIM_STANZA_ERROR_TYPE_AUTH,
  /** Do not retry: the error cannot be remedied. */
  XMPPIM_STANZA_ERROR_TYPE_CANCEL,
  /** Proceed: only a warning. */
  XMPPIM_STANZA_ERROR_TYPE_CONTINUE,
  /** Retry after changing the data sent. */
  XMPPIM_STANZA_ERROR_TYPE_MODIFY,
  /** Retry after waiting: the problem is temporary. */
  XMPPIM_STANZA_ERROR_TYPE_WAIT
} xmppim_stanza_error_type;

/**
 * The 22 defined stanza error conditions of RFC 6120 section 8.3.3, in the
 * namespace #XMPPIM_NS_STANZA_ERRORS (C8.3.3-a).
 */
typedef enum xmppim_stanza_condition {
  /** No condition: what parsing gives when there is no `<error/>` at all. */
  XMPPIM_STANZA_COND_NONE = 0,
  XMPPIM_STANZA_COND_BAD_REQUEST,             /**< malformed or unprocessable; usually modify */
  XMPPIM_STANZA_COND_CONFLICT,                /**< resource or session already exists; cancel */
  XMPPIM_STANZA_COND_FEATURE_NOT_IMPLEMENTED, /**< understood, not supported; cancel or modify */
  XMPPIM_STANZA_COND_FORBIDDEN,               /**< the requester lacks permission; auth */
  XMPPIM_STANZA_COND_GONE,                    /**< the recipient moved for good; cancel; may carry a URI */
  XMPPIM_STANZA_COND_INTERNAL_SERVER_ERROR,   /**< the server failed; cancel */
  XMPPIM_STANZA_COND_ITEM_NOT_FOUND,          /**< no such JID or item; cancel */
  XMPPIM_STANZA_COND_JID_MALFORMED,           /**< an address breaks the JID rules; modify */
  XMPPIM_STANZA_COND_NOT_ACCEPTABLE,          /**< fails the recipient's criteria; modify */
  XMPPIM_STANZA_COND_NOT_ALLOWED,             /**< nobody may do this; cancel */
  XMPPIM_STANZA_COND_NOT_AUTHORIZED,          /**< authenticate first; auth */
  XMPPIM_STANZA_COND_POLICY_VIOLATION,        /**< a local policy refuses it; modify or wait */
  XMPPIM_STANZA_COND_RECIPIENT_UNAVAILABLE,   /**< recipient temporarily away; wait */
  XMPPIM_STANZA_COND_REDIRECT,                /**< try another address; modify; should carry a URI */
  XMPPIM_STANZA_COND_REGISTRATION_REQUIRED,   /**< register first; auth */
  XMPPIM_STANZA_COND_REMOTE_SERVER_NOT_FOUND, /**< no such remote server; cancel */
  XMPPIM_STANZA_COND_REMOTE_SERVER_TIMEOUT,   /**< remote server unreachable in time; wait */
  XMPPIM_STANZA_COND_RESOURCE_CONSTRAINT,     /**< the entity is too busy; wait */
  XMPPIM_STANZA_COND_SERVICE_UNAVAILABLE,     /**< no such service here; cancel */
  XMPPIM_STANZA_COND_SUBSCRIPTION_REQUIRED,   /**< subscribe first; auth */
  XMPPIM_STANZA_COND_UNDEFINED_CONDITION,     /**< none of the others; meant to go with an application-specific condition */
  XMPPIM_STANZA_COND_UNEXPECTED_REQUEST       /**< understood but out of order; wait or modify */
} xmppim_stanza_condition;

/**
 * The element name of a stanza error condition ("item-not-found", ...).
 * @return a static string, or NULL for #XMPPIM_STANZA_COND_NONE and values
 * outside the enumeration.
 */
XMPPIM_EXTERN const char *xmppim_stanza_condition_name(xmppim_stanza_condition condition);

/**
 * The condition an element name stands for. A name RFC 6120 does not
 * define, and NULL, give #XMPPIM_STANZA_COND_UNDEFINED_CONDITION, as a
 * receiver must treat them (C8.3.2-c).
 */
XMPPIM_EXTERN xmppim_stanza_condition xmppim_stanza_condition_from_name(const char *name);

/**
 * The 'type' attribute value of an error type ("cancel", ...).
 * @return a static string, or NULL for #XMPPIM_STANZA_ERROR_TYPE_UNKNOWN and
 * values outside the enumeration.
 */
XMPPIM_EXTERN const char *xmppim_stanza_error_type_name(xmppim_stanza_error_type type);

/**
 * The error type a 'type' value names.
 * @return #XMPPIM_STANZA_ERROR_TYPE_UNKNOWN for NULL and unknown values:
 * unlike conditions, RFC 6120 gives no fallback type, and guessing one
 * could make a client retry what it should not.
 */
XMPPIM_EXTERN xmppim_stanza_error_type xmppim_stanza_error_type_from_name(const char *name);

/**
 * The type RFC 6120 section 8.3.3 gives a condition (C8.3.3-a), for callers
 * that have no reason to pick another. Where the RFC allows two, this is
 * the one its example uses: cancel for feature-not-implemented, modify for
 * policy-violation, wait for unexpected-request. undefined-condition has no
 * usual type in the RFC; cancel is returned, since telling a peer not to
 * retry is the safe reading of an error nobody described.
 * @return #XMPPIM_STANZA_ERROR_TYPE_UNKNOWN for #XMPPIM_STANZA_COND_NONE and
 * values outside the enumeration.
 */
XMPPIM_EXTERN xmppim_stanza_error_type
xmppim_stanza_condition_usual_type(xmppim_stanza_condition condition);

/**
 * Builds the error reply to a stanza that cannot be processed (C8.3.1-a):
 * an element with the request's name and namespace, type='error', 'to' and
 * 'from' swapped (C8.3.1-b; a missing 'from' gives no 'to' and a missing
 * 'to' no 'from'), the request's 'id' kept (C8.3.1-c), and one child
 *
 *     <error type='TYPE'>
 *       <CONDITION xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
 *       <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='LANG'>TEXT</text>
 *     </error>
 *
 * in the request's namespace (C8.3.2-a, C8.3.2-b). The request's payload is
 * not echoed; see xmppim_stanza_error_reply_echo().
 *
 * The swap is literal. Where it would leak information or yield a bad
 * address (C8.3.1-b: a server answering for a bare JID, say), change 'to'
 * and 'from' on the result with xmppim_stanza_set_attr(). Never reply to an
 * error with an error (C8.3.1-f): this function refuses to, and refuses to
 * answer an IQ result, which has no one waiting for an answer. C8.3.3-b is
 * the caller's to keep: where item-not-found or recipient-unavailable
 * would reveal presence to someone not entitled to it, use
 * service-unavailable.
 *
 * More pieces go on afterwards: xmppim_stanza_error_set_uri() for gone and
 * redirect, xmppim_stanza_error_set_by(),
 * xmppim_stanza_error_add_app_condition().
 *
 * @param out receives the new tree (the caller frees it); NULL on failure.
 * @param request a `<message/>`, `<presence/>` or `<iq/>` of any namespace;
 * only its attributes are read.
 * @param type the error type; xmppim_stanza_condition_usual_type() gives
 * the customary one.
 * @param cond the condition, not #XMPPIM_STANZA_COND_NONE.
 * @param text human-readable description, or NULL (or "") for none.
 * @param lang the language of @p text (xml:lang; SHOULD be given with
 * text), or NULL. Ignored without text.
 * @param mem allocator hooks for the new tree, or NULL.
 * @return 0; #XMPPIM_ERR_INVALID_ARGUMENT (NULL @p out or @p request, a
 * request that is not message, presence or iq, a request of type 'error',
 * an IQ of type 'result', @p type or @p cond out of range, or a request
 * attribute or @p lang the tree refuses); #XMPPIM_ERR_BAD_UTF8 (@p text or
 * @p lang); #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_stanza_error_reply(xmppim_stanza **out, const xmppim_stanza *request,
                                            xmppim_stanza_error_type type,
                                            xmppim_stanza_condition cond, const char *text,
                                            const char *lang, const xmppim_mem *mem);

/**
 * xmppim_stanza_error_reply(), echoing the request's child elements before
 * the `<error/>`, as RFC 6120 permits (C8.3.1-d) and as many servers do so
 * that a client can see what failed without keeping it. An `<error/>` child
 * of the request (which a non-error stanza must not have, C8.3.1-e) is not
 * echoed, so the reply never holds two; text directly inside the request is
 * not echoed either.
 *
 * Do not echo what is too large to send back, or what arrived malformed or
 * with restricted XML (C8.3.1-d); a stanza the parser delivered is neither
 * of the last two, so the size is the caller's call. The receiver must not
 * rely on an echo being there.
 *
 * @return as xmppim_stanza_error_reply().
 */
XMPPIM_EXTERN int xmppim_stanza_error_reply_echo(xmppim_stanza **out,
                                                 const xmppim_stanza *request,
                                                 xmppim_stanza_error_type type,
                                                 xmppim_stanza_condition cond, const char *text,
                                                 const char *lang, const xmppim_mem *mem);

/**
 * Puts the new address into a gone or redirect condition, as its text
 * (RFC 6120 sections 8.3.3.5 and 8.3.3.14: an XMPP URI or other URI). The
 * tree may come from xmppim_stanza_error_reply() or be any stanza with an
 * `<error/>` child.
 * @param reply the error stanza (not its `<error/>` child).
 * @param uri the address, non-empty UTF-8.
 * @return 0; #XMPPIM_ERR_INVALID_ARGUMENT (NULL or empty @p uri, no
 * `<error/>` child, or a condition other than gone or redirect);
 * #XMPPIM_ERR_INVALID_STATE (the condition already has text: it is not
 * replaced, so that a URI is never silently overwritten); #XMPPIM_ERR_BAD_UTF8;
 * #XMPPIM_ERR_NOMEM (then free the tree: it may hold part of the text).
 */
XMPPIM_EXTERN int xmppim_stanza_error_set_uri(xmppim_stanza *reply, const char *uri);

/**
 * Sets the 'by' attribute of the `<error/>`: the entity that found the
 * error, which a server relaying an error from elsewhere may want to name
 * (C8.3.1-d).
 * @param by a JID, or NULL to remove the attribute.
 * @return 0; #XMPPIM_ERR_INVALID_ARGUMENT (NULL @p reply, no `<error/>`
 * child); #XMPPIM_ERR_BAD_UTF8; #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_stanza_error_set_by(xmppim_stanza *reply, const char *by);

/**
 * Copies an application-specific condition into the `<error/>`, after the
 * defined condition and text (C8.3.2-b). It must be in a namespace of its
 * own, which is how a receiver tells it from the rest.
 * @param app the element to copy (with its subtree); not changed.
 * @return 0; #XMPPIM_ERR_INVALID_ARGUMENT (NULL argument, no `<error/>`
 * child, @p app without a namespace or in #XMPPIM_NS_STANZA_ERRORS or in
 * the stanza's own namespace); #XMPPIM_ERR_INVALID_STATE (there already is
 * one: RFC 6120 allows one); #XMPPIM_ERR_NOMEM (then free the tree: it may
 * hold part of the copy).
 */
XMPPIM_EXTERN int xmppim_stanza_error_add_app_condition(xmppim_stanza *reply,
                                                        const xmppim_stanza *app);

/**
 * What a received stanza error says. Strings and the element are borrowed
 * from the parsed tree: valid until it is freed or changed.
 */
typedef struct xmppim_stanza_error_info {
  /** The error type; #XMPPIM_STANZA_ERROR_TYPE_UNKNOWN when missing or unknown. */
  xmppim_stanza_error_type type;
  /** The defined condition; undefined-condition when unknown or missing,
   * #XMPPIM_STANZA_COND_NONE only when there is no `<error/>`. */
  xmppim_stanza_condition condition;
  /** The `<text/>`, or NULL when absent or empty. For people only. */
  const char *text;
  /** The language of #text: its xml:lang, else the nearest one on an
   * ancestor in the tree (the stanza's); NULL when none is known (the
   * stream's language then applies). NULL when #text is. */
  const char *text_lang;
  /** The condition element's own text (the new address that gone and
   * redirect may carry), or NULL when it has none. */
  const char *condition_text;
  /** The `<error/>`'s 'by' attribute, or NULL. */
  const char *by;
  /** The application-specific condition element, or NULL. */
  const xmppim_stanza *app_condition;
  /** #xmppim_error_flaw bits; 0 for a well-formed error. */
  unsigned flaws;
} xmppim_stanza_error_info;

/**
 * Reads the `<error/>` child of a received stanza (C8.3.2-a, C8.3.2-b).
 *
 * A flawed error element is still read: an unknown or missing condition
 * gives undefined-condition (C8.3.2-c), a missing or unknown type gives
 * #XMPPIM_STANZA_ERROR_TYPE_UNKNOWN, extra children are skipped. The flaws
 * are returned so that a strict caller can tell, while a caller following
 * C8.3.2-c acts on any result that is not negative.
 *
 * The stanza's own type is not required to be 'error': a stanza that
 * carries `<error/>` with another type is read, with
 * #XMPPIM_ERROR_FLAW_NOT_ERROR_TYPE.
 *
 * @param st the stanza (message, presence, iq), typically type='error'.
 * @param info filled in on every return except #XMPPIM_ERR_INVALID_ARGUMENT.
 * @return 0 for a well-formed error; a positive set of #xmppim_error_flaw
 * bits (info filled with the fallbacks above); #XMPPIM_ERR_NOT_FOUND when
 * @p st has no `<error/>` child in its namespace (info says
 * #XMPPIM_STANZA_COND_NONE; an error stanza without one breaks C8.3.1-d);
 * #XMPPIM_ERR_INVALID_ARGUMENT for NULL arguments.
 */
XMPPIM_EXTERN int xmppim_stanza_error_parse(const xmppim_stanza *st,
                                            xmppim_stanza_error_info *info);

/* ---------------------------------------------------------------------- */
/* Stream errors (RFC 6120 section 4.9)                                    */
/* ---------------------------------------------------------------------- */

/**
 * Builds a stream error (C4.9.2-a):
 *
 *     <error xmlns='http://etherx.jabber.org/streams'>
 *       <CONDITION xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>
 *       <text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='LANG'>TEXT</text>
 *       APP-CONDITION
 *     </error>
 *
 * As a tree, the element is `error` in #XMPPIM_NS_STREAMS. On the wire it
 * must be `<stream:error>`, with the stream's prefix: write it with
 * xmppim_stream_error_serialize(), not xmppim_stanza_serialize(), which
 * would declare the streams namespace as the default one instead, a form
 * some deployed peers do not recognise. Sending it ends the stream
 * (C4.9.1.1-a): the session writes `</stream:stream>` right after.
 *
 * see-other-host needs the other host as its text (C4.9.3-c): build it with
 * xmppim_stream_error_build_see_other_host(); this function refuses it.
 * undefined-condition should come with an application-specific condition
 * (C4.9.3-d); that is not enforced.
 *
 * @param out receives the new tree (the caller frees it); NULL on failure.
 * @param cond any defined condition except #XMPPIM_STREAM_OK and
 * #XMPPIM_STREAM_SEE_OTHER_HOST.
 * @param text human-readable description, or NULL (or "") for none.
 * @param lang the language of @p text (xml:lang; SHOULD be given), or NULL.
 * Ignored without text.
 * @param app_condition an application-specific condition to copy in (the
 * caller keeps it), or NULL. It must have a namespace of its own: neither
 * none, nor #XMPPIM_NS_STREAMS, nor #XMPPIM_NS_STREAM_ERRORS.
 * @param mem allocator hooks for the new tree, or NULL.
 * @return 0; #XMPPIM_ERR_INVALID_ARGUMENT (NULL @p out, @p cond out of range
 * or see-other-host, @p app_condition in a namespace not its own, or @p
 * lang the tree refuses); #XMPPIM_ERR_BAD_UTF8; #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_stream_error_build(xmppim_stanza **out, xmppim_stream_condition cond,
                                            const char *text, const char *lang,
                                            const xmppim_stanza *app_condition,
                                            const xmppim_mem *mem);

/**
 * Builds `<see-other-host/>` redirecting the peer to @p host (C4.9.3-c),
 * otherwise as xmppim_stream_error_build(). A server should send it only
 * once TLS protects the stream (C4.9.3-c); a client that follows it keeps
 * its TLS policy, its 'to' and its certificate checks (C4.9.3-e).
 * @param host "domain", "domain:port", an IPv4 address (with an optional
 * port) or a bracketed IPv6 address ("[2001:db8::1]", "[2001:db8::1]:5222"),
 * as xmppim_stream_error_split_host() accepts.
 * @return 0; #XMPPIM_ERR_INVALID_ARGUMENT (@p host not of that form, or as
 * xmppim_stream_error_build()); #XMPPIM_ERR_BAD_UTF8; #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_stream_error_build_see_other_host(xmppim_stanza **out, const char *host,
                                                           const char *text, const char *lang,
                                                           const xmppim_stanza *app_condition,
                                                           const xmppim_mem *mem);

/**
 * Splits a see-other-host target (C4.9.3-c) into host and port, without
 * copying. Accepted: a domain name (UTF-8 allowed, it is prepared when
 * connecting), an IPv4 address, or an IPv6 address in brackets, each with
 * an optional ":port" (1 to 65535). An unbracketed IPv6 address is refused:
 * its colons cannot be told from a port.
 * @param target NUL-terminated text of the condition.
 * @param host if not NULL, receives where the host starts inside @p target
 * (after the bracket for IPv6).
 * @param host_len if not NULL, receives the host's length in bytes
 * (brackets excluded).
 * @param port if not NULL, receives the port, or 0 when none was given.
 * @return 0 or #XMPPIM_ERR_INVALID_ARGUMENT (then the outputs are untouched).
 */
XMPPIM_EXTERN int xmppim_stream_error_split_host(const char *target, const char **host,
                                                 size_t *host_len, unsigned *port);

/**
 * Serializes a stream error as it goes on the wire, with the stream prefix:
 * `<stream:error>` ... `</stream:error>`, snprintf-style like
 * xmppim_stanza_serialize() (at most @p cap bytes, NUL included when it
 * fits, the full length always reported). The stream header must bind the
 * prefix "stream" to #XMPPIM_NS_STREAMS, as RFC 6120 section 4.8.5 has
 * every XMPP stream do. Text directly inside the error element is dropped.
 * @param err a stream error tree (`error` in #XMPPIM_NS_STREAMS).
 * @param content_ns the stream's default namespace where the element goes
 * ("jabber:client", "jabber:server"), so that children are declared against
 * it; NULL when unknown (children with no namespace then lose it).
 * @param needed if not NULL, receives the length excluding the NUL.
 * @return 0; #XMPPIM_ERR_BUFFER_TOO_SMALL (then *needed + 1 bytes are
 * needed); #XMPPIM_ERR_INVALID_ARGUMENT (@p err NULL or not a stream error,
 * @p dst NULL with @p cap nonzero).
 */
XMPPIM_EXTERN int xmppim_stream_error_serialize(const xmppim_stanza *err, const char *content_ns,
                                                char *dst, size_t cap, size_t *needed);

/**
 * What a received stream error says. Strings and the element are borrowed
 * from the parsed tree.
 */
typedef struct xmppim_stream_error_info {
  /** The defined condition; undefined-condition when unknown or missing
   * (C4.9.2-b); #XMPPIM_STREAM_OK only when the element is no stream error. */
  xmppim_stream_condition condition;
  /** The `<text/>`, or NULL when absent or empty. For people only (C4.9.2-c). */
  const char *text;
  /** The xml:lang of #text, else the nearest one on an ancestor in the
   * tree; NULL when none is known (the stream's language applies). */
  const char *text_lang;
  /** The condition element's own text, or NULL when it has none. */
  const char *condition_text;
  /** For see-other-host: the target (host, optional port), NULL when the
   * condition is another one or the target is unusable (then
   * #XMPPIM_ERROR_FLAW_BAD_HOST is set). Split it with
   * xmppim_stream_error_split_host(). */
  const char *see_other_host;
  /** The application-specific condition element, or NULL. */
  const xmppim_stanza *app_condition;
  /** #xmppim_error_flaw bits; 0 for a well-formed error. */
  unsigned flaws;
} xmppim_stream_error_info;

/**
 * Reads a received `<stream:error/>` (C4.9.2-a), leniently as
 * xmppim_stanza_error_parse() reads stanza errors: an unknown or missing
 * condition gives undefined-condition (C4.9.2-b), and the flaws are
 * returned.
 * @param st the error element itself, as the stream parser delivers it
 * (`error` in #XMPPIM_NS_STREAMS, whatever prefix the peer used).
 * @param info filled in on every return except #XMPPIM_ERR_INVALID_ARGUMENT.
 * @return 0 for a well-formed error; a positive set of #xmppim_error_flaw
 * bits; #XMPPIM_ERR_NOT_FOUND when @p st is not a stream error element
 * (info says #XMPPIM_STREAM_OK); #XMPPIM_ERR_INVALID_ARGUMENT for NULL
 * arguments.
 */
XMPPIM_EXTERN int xmppim_stream_error_parse(const xmppim_stanza *st,
                                            xmppim_stream_error_info *info);

#ifdef __cplusplus
}
#endif

#endif /* XMPPIM_ERRORS_H */
