/**
 * @file message.h
 * @brief Message stanzas (RFC 6121 section 5.2): building and reading
 * type, bodies and subjects in several languages, and threads.
 *
 * These are helpers over #xmppim_stanza trees; they keep no state. A
 * message built here is an ordinary tree: add extension elements (RFC 6121
 * section 5.3) with xmppim_stanza_add_child() and send it with
 * xmppim_session_send().
 *
 * Languages. RFC 6121 allows several `<body/>` (and `<subject/>`) elements
 * only as versions of one text in distinct languages (R5.2.3-b, R5.2.4-a).
 * The language of a body is its *effective* xml:lang: its own attribute,
 * else the message's, else the language of the stream it came on (which a
 * stanza does not carry: the reading functions take it as @p stream_lang,
 * NULL when unknown). An empty xml:lang ("", which XML uses to say "no
 * language") and an unknown one are the same language here: "none".
 * Language tags compare without regard to ASCII case (BCP 47). The
 * builders refuse a second body or subject in a language already there;
 * they do not know the stream's language, so a body without xml:lang in a
 * message without xml:lang is in "none" to them.
 *
 * Building: every builder checks all its arguments before it changes the
 * tree, so an error other than #XMPPIM_ERR_NOMEM leaves the message as it
 * was. After #XMPPIM_ERR_NOMEM the message may hold a half-built element
 * (trees cannot drop nodes): free it, as with xmppim_stanza_error_set_uri().
 *
 * Reading is lenient, as RFC 6120 asks of receivers: a message that breaks
 * the rules is still read (the first thread, the first body of a language,
 * an unknown type as normal), and xmppim_message_check() says what was
 * wrong with it for a caller that wants to know.
 */
#ifndef XMPPIM_MESSAGE_H
#define XMPPIM_MESSAGE_H

#include <stddef.h>
#include <xmppim/common.h>
#include <xmppim/stanza.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The message types of RFC 6121 section 5.2.2 (R5.2.2-b). */
typedef enum xmppim_message_type {
  /** A standalone message that expects a reply; the default, also for a
   * missing or unknown 'type' (R5.2.2-i). */
  XMPPIM_MESSAGE_NORMAL = 0,
  /** One-to-one chat (R5.1-a). */
  XMPPIM_MESSAGE_CHAT,
  /** Multi-user chat (XEP-0045). */
  XMPPIM_MESSAGE_GROUPCHAT,
  /** An alert or notification that expects no reply. */
  XMPPIM_MESSAGE_HEADLINE,
  /** Reports an error about a message sent earlier (RFC 6120 error syntax). */
  XMPPIM_MESSAGE_ERROR
} xmppim_message_type;

/** How many message types there are. */
#define XMPPIM_MESSAGE_TYPE_COUNT 5

/** @return the 'type' value of @p type ("normal", "chat", ...), or NULL when out of range. */
XMPPIM_EXTERN const char *xmppim_message_type_name(xmppim_message_type type);

/**
 * The type a 'type' value names: one of the five exactly as written
 * (XML values are case-sensitive), else #XMPPIM_MESSAGE_NORMAL, for NULL
 * (no 'type') as for an unknown value (R5.2.2-i).
 */
XMPPIM_EXTERN xmppim_message_type xmppim_message_type_from_name(const char *name);

/**
 * Builds a message:
 * `<message xmlns='jabber:client' to='TO' type='TYPE' xml:lang='LANG'><body>BODY</body></message>`.
 * The type is always written, normal included (R5.2.2-a).
 * @param out receives the new tree (free it with xmppim_stanza_free()); NULL on failure.
 * @param mem allocator hooks for the tree, or NULL.
 * @param type any type but #XMPPIM_MESSAGE_ERROR: an error message answers
 *   another stanza and must carry an `<error/>`; build it with
 *   xmppim_stanza_error_reply().
 * @param to the recipient (R5.2.1-a), prepared before it is written; NULL
 *   for none (a message to the user's own account, RFC 6120 section 8.1.1).
 * @param body the text, or NULL for no body (R5.2.3-a).
 * @param lang the message's xml:lang, which its body (and any body or
 *   subject added later without a language) inherits; NULL for none (the
 *   stream's language then applies). A language tag: letters, digits and
 *   '-', starting with a letter, at most 35 characters.
 * @return 0; #XMPPIM_ERR_INVALID_ARGUMENT (NULL @p out, a type out of range
 *   or error, a bad JID or language tag, or a body XML cannot carry, such as
 *   one with NUL or other control characters); #XMPPIM_ERR_BAD_UTF8 (@p body);
 *   #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_message_new(xmppim_stanza **out, const xmppim_mem *mem,
                                     xmppim_message_type type, const char *to, const char *body,
                                     const char *lang);

/**
 * Adds a `<body/>` in another language (R5.2.3-b).
 * @param msg a `<message/>` (the root of a tree you own, or any message element).
 * @param text the text (it may be "").
 * @param lang its xml:lang, or NULL to inherit the message's (no attribute
 *   is written). A body is only written with xml:lang, its only attribute.
 * @return 0; #XMPPIM_ERR_INVALID_ARGUMENT (NULL, not a message, a bad
 *   language tag or text XML cannot carry); #XMPPIM_ERR_BAD_UTF8;
 *   #XMPPIM_ERR_INVALID_STATE (a body in that language is there already);
 *   #XMPPIM_ERR_NOMEM (see the file comment).
 */
XMPPIM_EXTERN int xmppim_message_add_body(xmppim_stanza *msg, const char *text, const char *lang);

/** Adds a `<subject/>` (R5.2.4-a); the same rules as xmppim_message_add_body(). */
XMPPIM_EXTERN int xmppim_message_add_subject(xmppim_stanza *msg, const char *text,
                                             const char *lang);

/**
 * Adds the message's `<thread/>` (R5.2.5), with an optional 'parent'
 * (R5.2.5-d). Both values must be XML NMTOKENs, which is what the schema
 * of RFC 6120 Appendix A.5 makes them (R5.2.5-e): one or more name
 * characters (letters, digits, '.', '-', '_', ':', and the other name
 * characters of XML 1.0), no spaces. The parent must differ from the
 * thread (R5.2.5-e). See xmppim_message_nmtoken_ok().
 * @param thread the thread ID (opaque to everyone: R5.2.5-g).
 * @param parent the thread it branched from, or NULL.
 * @return 0; #XMPPIM_ERR_INVALID_ARGUMENT (NULL or not a message, a value
 *   that is not an NMTOKEN, parent equal to thread); #XMPPIM_ERR_INVALID_STATE
 *   (the message has a thread already: one at most, R5.2.5-c);
 *   #XMPPIM_ERR_NOMEM (see the file comment).
 */
XMPPIM_EXTERN int xmppim_message_add_thread(xmppim_stanza *msg, const char *thread,
                                            const char *parent);

/**
 * @return 1 when @p value is an XML 1.0 (fifth edition) Nmtoken, the
 * syntax of thread IDs and their parents (R5.2.5-e), 0 otherwise (also for
 * NULL, "" and text that is not UTF-8).
 */
XMPPIM_EXTERN int xmppim_message_nmtoken_ok(const char *value);

/** @return the message's type: #XMPPIM_MESSAGE_NORMAL for no or an unknown 'type' (R5.2.2-i) and for NULL. */
XMPPIM_EXTERN xmppim_message_type xmppim_message_get_type(const xmppim_stanza *msg);

/**
 * The message's own language: its xml:lang, else @p stream_lang.
 * @return a borrowed string, or NULL when neither gives one ("" counts as none).
 */
XMPPIM_EXTERN const char *xmppim_message_lang(const xmppim_stanza *msg, const char *stream_lang);

/**
 * Picks the body for a reader of @p lang:
 *
 * 1. the body whose effective language (see the file comment) is @p lang,
 *    compared without ASCII case; exact tags only, "en-GB" does not find
 *    "en";
 * 2. else the body in the message's own language (xmppim_message_lang():
 *    the message's xml:lang, else @p stream_lang), that is, normally the
 *    one without an xml:lang of its own;
 * 3. else the first body.
 *
 * Where the message breaks R5.2.3-b with two bodies in one language, the
 * first of them is the one found.
 * @param msg a message; NULL gives NULL.
 * @param lang the reader's language, or NULL to start at step 2.
 * @param stream_lang the stream's xml:lang, or NULL when unknown.
 * @param body_lang if not NULL, receives the effective language of the body
 *   returned (NULL when it has none).
 * @return the body's text (borrowed from the tree; "" for an empty body),
 *   or NULL when the message has no body.
 */
XMPPIM_EXTERN const char *xmppim_message_body(const xmppim_stanza *msg, const char *lang,
                                              const char *stream_lang, const char **body_lang);

/** xmppim_message_body() for `<subject/>` (R5.2.4-a). */
XMPPIM_EXTERN const char *xmppim_message_subject(const xmppim_stanza *msg, const char *lang,
                                                 const char *stream_lang,
                                                 const char **subject_lang);

/** @return how many `<body/>` elements the message has. */
XMPPIM_EXTERN size_t xmppim_message_body_count(const xmppim_stanza *msg);

/**
 * Body @p index, in document order, with its effective language in
 * @p body_lang (if not NULL).
 * @return its text, or NULL past the end.
 */
XMPPIM_EXTERN const char *xmppim_message_body_at(const xmppim_stanza *msg, size_t index,
                                                 const char *stream_lang, const char **body_lang);

/** @return how many `<subject/>` elements the message has. */
XMPPIM_EXTERN size_t xmppim_message_subject_count(const xmppim_stanza *msg);

/** xmppim_message_body_at() for subjects. */
XMPPIM_EXTERN const char *xmppim_message_subject_at(const xmppim_stanza *msg, size_t index,
                                                    const char *stream_lang,
                                                    const char **subject_lang);

/**
 * The message's thread ID (R5.2.5): the text of its first `<thread/>`, as
 * it is (not trimmed: thread IDs compare exactly, R5.2.5-g).
 * @param parent if not NULL, receives that element's 'parent', or NULL.
 *   Only this one level is read: nothing here follows parent chains, which
 *   may loop (R5.2.5-f).
 * @return the thread ID (borrowed), or NULL when the message has no thread.
 */
XMPPIM_EXTERN const char *xmppim_message_thread(const xmppim_stanza *msg, const char **parent);

/** What xmppim_message_check() found wrong with a message. */
typedef enum xmppim_message_flaw {
  /** 'type' is present but not one of the five (R5.2.2-b); it reads as normal. */
  XMPPIM_MESSAGE_FLAW_BAD_TYPE = 1u << 0,
  /** Two bodies in one effective language (R5.2.3-b). */
  XMPPIM_MESSAGE_FLAW_DUPLICATE_BODY = 1u << 1,
  /** Two subjects in one effective language (R5.2.4-a). */
  XMPPIM_MESSAGE_FLAW_DUPLICATE_SUBJECT = 1u << 2,
  /** A body, subject or thread holds an element: mixed content (R5.2.3-c,
   * R5.2.4-b, R5.2.5-j). */
  XMPPIM_MESSAGE_FLAW_MIXED_CONTENT = 1u << 3,
  /** A body or subject has an attribute other than xml:lang (R5.2.3-b,
   * R5.2.4-a), or a thread one other than parent. */
  XMPPIM_MESSAGE_FLAW_EXTRA_ATTRIBUTE = 1u << 4,
  /** More than one `<thread/>` (R5.2.5-c). */
  XMPPIM_MESSAGE_FLAW_SEVERAL_THREADS = 1u << 5,
  /** A thread ID that is not an NMTOKEN (empty included; R5.2.5-e, RFC 6120 A.5). */
  XMPPIM_MESSAGE_FLAW_BAD_THREAD = 1u << 6,
  /** A 'parent' that is not an NMTOKEN or equals its thread ID (R5.2.5-e). */
  XMPPIM_MESSAGE_FLAW_BAD_PARENT = 1u << 7
} xmppim_message_flaw;

/**
 * Checks a message against what RFC 6121 section 5.2 constrains. Children
 * in other namespaces (extensions, R5.3-a) are not looked at.
 * @param stream_lang the stream's xml:lang, or NULL when unknown (it decides
 *   whether a body without xml:lang in a message without xml:lang clashes
 *   with one that names the stream's language).
 * @return 0 for a message that keeps the rules, a positive set of
 *   #xmppim_message_flaw bits, or #XMPPIM_ERR_INVALID_ARGUMENT (NULL, or
 *   not a `<message/>`).
 */
XMPPIM_EXTERN int xmppim_message_check(const xmppim_stanza *msg, const char *stream_lang);

#ifdef __cplusplus
}
#endif

#endif /* XMPPIM_MESSAGE_H */
