/**
 * @file chat.h
 * @brief One-to-one chat sessions on a client (RFC 6121 section 5.1).
 *
 * An #xmppim_chat keeps one conversation per contact, keyed by the
 * contact's prepared bare JID, and for each the two things section 5.1
 * asks a client to remember:
 *
 * - **where to send** (R5.1-e to R5.1-i): a conversation starts addressed
 *   to the contact's bare JID, so that the contact's server delivers it
 *   (the library never guesses a resource from presence, R5.1-e), and
 *   stays so until a message arrives from one of the contact's full JIDs;
 *   then it "locks" to that full JID (R5.1-g, R5.1-h, R5.2.1-c). The lock
 *   is dropped, and sending goes back to the bare JID, on any presence
 *   from any resource of the contact (the locked one or another: R5.1-i),
 *   and on a message of type error from the locked JID (the resource is
 *   likely gone: R5.2.1-c). A message from another resource of the
 *   contact unlocks too (R5.1-i), and since it comes from a full JID the
 *   conversation locks again, to that resource (R5.1-h);
 * - **the thread** (R5.1-c, R5.1-d): the conversation's `<thread/>`,
 *   sent in every message. The side that starts a conversation makes a
 *   new one; the other side takes the contact's. A message from the
 *   contact with another thread ID makes that one the conversation's (the
 *   contact started a new session: replies go into it); a message without
 *   one leaves it. A thread ID that is not an NMTOKEN (RFC 6120 A.5,
 *   R5.2.5-e) is not taken: the library never sends one; the message is
 *   still reported with it, and with its flaws.
 *
 * Generated thread IDs are 128 random bits from getrandom(2), written as
 * 32 lower-case hex digits: unique between any partners (R5.2.5-h) and
 * made of nothing about the user (R5.2.5-i). Should getrandom() fail (early
 * boot, seccomp), the ID is a hash of the session's stream ID, a counter
 * and the time: still nothing identifying, but only unlikely, not
 * unguessably, to collide.
 *
 * Wiring: like the roster, the chat does not install itself in the
 * session. Offer it every stanza in the session's on_stanza callback:
 *
 * @code
 * static int on_stanza(xmppim_session *s, xmppim_stanza *st, void *ud) {
 *   struct app *app = ud;
 *   int rv = xmppim_chat_handle_stanza(app->chat, st);
 *   if (rv == 1) return 0;    // a chat message: reported through on_message
 *   if (rv < 0) return rv;
 *   ... presence and the rest (the chat only looked at presence) ...
 *   return XMPPIM_STANZA_UNHANDLED;
 * }
 * @endcode
 *
 * What it takes (returns 1 for) and what it looks at:
 * - a message of type chat from anyone (with a 'from'): reported through
 *   on_message, after the conversation's lock and thread are updated; a
 *   conversation is created for a new contact. Messages of type normal
 *   (also those with no or an unknown type, R5.2.2-i) are taken the same
 *   way only after xmppim_chat_set_accept_normal(): by default they are
 *   left to the application, which RFC 6121 gives them as standalone
 *   messages, not chat (R5.2.2-c);
 * - a message of type error from a contact with a conversation: reported
 *   through on_error (R5.2.2-d); it unlocks when it comes from the locked
 *   JID. An error from anyone else is left to the application;
 * - every other stanza is left (returns 0): groupchat and headline
 *   messages, normal ones by default, IQs, and presence, which is only
 *   looked at to unlock (R5.1-i). A normal or headline message from
 *   another resource of a locked contact unlocks too, without locking.
 *
 * Sending (xmppim_chat_send()) always uses type chat (R5.1-a, R5.1-b) and
 * the conversation's thread; the application only names the contact.
 * The application may ignore the lock and address a resource itself with
 * xmppim_message_new() and xmppim_session_send().
 *
 * Section 5.1 also asks clients without a presence subscription to share
 * directed presence during a chat (R5.1-j to R5.1-l): with sharing turned
 * on (xmppim_chat_set_presence_sharing(), off by default: the user decides,
 * R5.1-k), the first message of a conversation is preceded by an available
 * presence directed to the contact, and xmppim_chat_end() sends the
 * directed unavailable. With a roster attached (xmppim_chat_set_roster()),
 * contacts who already receive the user's presence (subscription from or
 * both) are not sent any.
 *
 * Limits: strangers can open conversations (any JID may send a chat
 * message), so their number is capped (xmppim_chat_set_max_conversations(),
 * default 1000); past it the conversation used least recently is forgotten,
 * silently. A conversation is also forgotten with xmppim_chat_end().
 * Conversations are keyed by bare JID as RFC 6121 keys contacts: private
 * messages from the occupants of one multi-user chat room (XEP-0045) would
 * share the room's conversation, so do not offer them to the chat.
 *
 * Lifetime: the session must outlive every call into the chat. Strings the
 * chat hands out by accessor are valid until the next call that changes the
 * chat; those in callbacks during the callback only. A callback may send
 * (xmppim_chat_send()) and end conversations, but must not free the chat.
 *
 * Not thread-safe; use it from the thread that feeds its session.
 */
#ifndef XMPPIM_CHAT_H
#define XMPPIM_CHAT_H

#include <stddef.h>
#include <xmppim/common.h>
#include <xmppim/errors.h>
#include <xmppim/message.h>
#include <xmppim/roster.h>
#include <xmppim/session.h>
#include <xmppim/stanza.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The chat sessions of one client session. */
typedef struct xmppim_chat xmppim_chat;

/** A message the chat took, as on_message reports it. Everything is borrowed. */
typedef struct xmppim_chat_message {
  /** The contact: the prepared bare JID of the sender. */
  const char *contact;
  /** The prepared 'from': the full JID the message came from (or the bare
   * JID, when it came from one; then the lock did not change). */
  const char *from;
  /** #XMPPIM_MESSAGE_CHAT, or #XMPPIM_MESSAGE_NORMAL when normal messages
   * are accepted. */
  xmppim_message_type type;
  /** The body picked for the chat's language (xmppim_message_body() with
   * the languages of xmppim_chat_set_lang()), or NULL when there is none
   * (a chat state notification, say). */
  const char *body;
  /** The effective language of #body, or NULL. */
  const char *body_lang;
  /** The subject picked the same way, or NULL. */
  const char *subject;
  /** The message's thread ID as received, or NULL. */
  const char *thread;
  /** Its parent, or NULL. */
  const char *thread_parent;
  /** What xmppim_message_check() found wrong with it (0 for nothing). */
  unsigned flaws;
  /** The whole message, for extensions and the other bodies. */
  const xmppim_stanza *stanza;
} xmppim_chat_message;

/**
 * What the chat reports. Zero-initialise the structure and set the members
 * you want; it is copied at creation. Every member may be NULL.
 */
typedef struct xmppim_chat_callbacks {
  /** A chat message arrived (after the lock and thread were updated). */
  void (*on_message)(xmppim_chat *c, const xmppim_chat_message *msg, void *user_data);
  /**
   * A message of type error came from a contact with a conversation
   * (R5.2.2-d: show it to the user). @p error is xmppim_stanza_error_parse()
   * of it (undefined-condition when it had no usable `<error/>`).
   */
  void (*on_error)(xmppim_chat *c, const char *contact, const char *from,
                   const xmppim_stanza_error_info *error, const xmppim_stanza *stanza,
                   void *user_data);
  /** The conversation with @p contact now goes to @p full_jid, or to the
   * bare JID again when @p full_jid is NULL. */
  void (*on_lock)(xmppim_chat *c, const char *contact, const char *full_jid, void *user_data);
} xmppim_chat_callbacks;

/**
 * Creates the chat sessions object of a client session.
 * @param session a client session (not taken; it must outlive the chat).
 * @param callbacks copied; NULL for none.
 * @param mem allocator hooks, or NULL.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (NULL out or session, a server
 *   session) or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_chat_new(xmppim_chat **out, xmppim_session *session,
                                  const xmppim_chat_callbacks *callbacks, void *user_data,
                                  const xmppim_mem *mem);

/** Frees the chat and its conversations. NULL is allowed. */
XMPPIM_EXTERN void xmppim_chat_free(xmppim_chat *c);

/**
 * The languages bodies and subjects are picked in for on_message (see
 * xmppim_message_body()).
 * @param preferred the user's language, or NULL for the message's own.
 * @param stream_lang the xml:lang of the stream the server opened, for
 *   messages and bodies that carry none, or NULL when unknown.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (NULL chat, a tag longer than 35
 *   bytes) or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_chat_set_lang(xmppim_chat *c, const char *preferred,
                                       const char *stream_lang);

/** Who the chat shares presence with during a conversation (R5.1-j, R5.1-k). */
typedef enum xmppim_chat_sharing {
  XMPPIM_CHAT_SHARE_NONE = 0, /**< nobody (the default) */
  XMPPIM_CHAT_SHARE_ALL,      /**< every contact the user chats with */
  XMPPIM_CHAT_SHARE_CHOSEN    /**< only the contacts named with xmppim_chat_share_with() */
} xmppim_chat_sharing;

/**
 * Turns directed presence during chats on or off, globally or for chosen
 * contacts (R5.1-k). Conversations already under way keep what they did.
 * @return 0 or #XMPPIM_ERR_INVALID_ARGUMENT.
 */
XMPPIM_EXTERN int xmppim_chat_set_presence_sharing(xmppim_chat *c, xmppim_chat_sharing mode);

/**
 * Chooses (or unchooses) a contact for #XMPPIM_CHAT_SHARE_CHOSEN.
 * @return 0, #XMPPIM_ERR_INVALID_ARGUMENT (a bad JID) or #XMPPIM_ERR_NOMEM.
 */
XMPPIM_EXTERN int xmppim_chat_share_with(xmppim_chat *c, const char *contact, int on);

/**
 * Lets the chat read the roster, so that contacts who already receive the
 * user's presence through a subscription (from or both) are not sent
 * directed presence (R5.1-j applies where there is no subscription). The
 * roster must outlive the chat; NULL detaches it.
 */
XMPPIM_EXTERN void xmppim_chat_set_roster(xmppim_chat *c, const xmppim_roster *roster);

/** Takes messages of type normal as chat messages too (default 0: left to the application). */
XMPPIM_EXTERN void xmppim_chat_set_accept_normal(xmppim_chat *c, int on);

/**
 * Caps the number of conversations (default 1000). Lowering it below the
 * present number forgets the least recently used at once.
 * @return 0 or #XMPPIM_ERR_INVALID_ARGUMENT (NULL, 0).
 */
XMPPIM_EXTERN int xmppim_chat_set_max_conversations(xmppim_chat *c, size_t max);

/**
 * Sends a chat message to a contact: type chat (R5.1-a, R5.1-b), the
 * conversation's thread (generated when the conversation starts here:
 * R5.1-c, R5.1-d), addressed to the full JID the conversation is locked to,
 * else to the contact's bare JID (R5.1-e, R5.1-f, R5.1-h, R5.2.1-b,
 * R5.2.1-c). A conversation is created for a new contact.
 * @param to the contact: a bare JID, or a full one, of which only the bare
 *   part counts (where the message goes is the conversation's lock, not the
 *   caller's guess: R5.1-e).
 * @param body the text (it may be "").
 * @param lang the message's xml:lang, or NULL for the stream's.
 * @return 0; #XMPPIM_ERR_INVALID_ARGUMENT (NULL, a bad JID, a bad language
 *   tag or text XML cannot carry); #XMPPIM_ERR_BAD_UTF8; the errors of
 *   xmppim_session_send() (#XMPPIM_ERR_INVALID_STATE when the session is not
 *   ready, #XMPPIM_ERR_BACKPRESSURE); #XMPPIM_ERR_NOMEM. On an error the
 *   chat is as it was: no conversation or thread is kept from a failed call.
 */
XMPPIM_EXTERN int xmppim_chat_send(xmppim_chat *c, const char *to, const char *body,
                                   const char *lang);

/**
 * Builds the message xmppim_chat_send() would send, without sending it,
 * for a caller that adds extension elements (R5.3-a) and then sends it
 * itself with xmppim_session_send(). The conversation (and its thread, if
 * new) is kept whether or not the message is ever sent.
 * @param out receives the message (free it with xmppim_stanza_free()).
 * @return as xmppim_chat_send(), without the send errors.
 */
XMPPIM_EXTERN int xmppim_chat_prepare(xmppim_chat *c, const char *to, const char *body,
                                      const char *lang, xmppim_stanza **out);

/**
 * Offers a stanza the session delivered; see the file comment.
 * @return 1 when the chat took it (a chat message, or an error about one),
 *   0 when it is the application's (presence always, though it may have
 *   unlocked a conversation), or #XMPPIM_ERR_NOMEM: the message could not
 *   be taken; nothing changed and nothing was reported.
 */
XMPPIM_EXTERN int xmppim_chat_handle_stanza(xmppim_chat *c, const xmppim_stanza *stanza);

/**
 * Where the conversation with @p contact goes now.
 * @param contact a bare or full JID (prepared before the lookup; only the
 *   bare part counts).
 * @return the full JID it is locked to, or NULL when it is not locked (it
 *   goes to the bare JID), when there is no conversation, and for a bad JID.
 */
XMPPIM_EXTERN const char *xmppim_chat_locked_to(const xmppim_chat *c, const char *contact);

/** @return the conversation's thread ID, or NULL (no conversation, or none yet). */
XMPPIM_EXTERN const char *xmppim_chat_thread(const xmppim_chat *c, const char *contact);

/**
 * Forgets the conversation with @p contact (its thread and lock): the next
 * message starts a new one, with a new thread, to the bare JID. When the
 * conversation shared presence, the directed unavailable presence is sent
 * (R5.1-l); nothing else is.
 * @return 0, #XMPPIM_ERR_NOT_FOUND (no conversation) or
 *   #XMPPIM_ERR_INVALID_ARGUMENT (NULL, a bad JID).
 */
XMPPIM_EXTERN int xmppim_chat_end(xmppim_chat *c, const char *contact);

/** @return how many conversations the chat keeps. */
XMPPIM_EXTERN size_t xmppim_chat_count(const xmppim_chat *c);

#ifdef __cplusplus
}
#endif

#endif /* XMPPIM_CHAT_H */
