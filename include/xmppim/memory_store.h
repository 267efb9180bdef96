/**
 * @file memory_store.h
 * @brief A ready-made store for #xmppim_server that keeps everything in
 * memory: for tests, demos and hosts that persist nothing.
 *
 * It keeps each contact exactly as the server's save callback gave it, so
 * a user's roster survives the user going offline (the server unloads it)
 * but not the process.
 */
#ifndef XMPPIM_MEMORY_STORE_H
#define XMPPIM_MEMORY_STORE_H

#include <xmppim/server.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * An in-memory store, for tests, demos and hosts that persist nothing.
 * Rosters are kept as the store callbacks were given them.
 */
typedef struct xmppim_memory_store xmppim_memory_store;

/** @return 0, #XMPPIM_ERR_INVALID_ARGUMENT or #XMPPIM_ERR_NOMEM. */
XMPPIM_EXTERN int xmppim_memory_store_new(xmppim_memory_store **out, const xmppim_mem *mem);
/** NULL is allowed. The servers using it must be freed first. */
XMPPIM_EXTERN void xmppim_memory_store_free(xmppim_memory_store *st);
/** Creates an account with an empty roster. @return 0, #XMPPIM_ERR_INVALID_ARGUMENT
 * (not a bare JID with a localpart, or it exists) or #XMPPIM_ERR_NOMEM. */
XMPPIM_EXTERN int xmppim_memory_store_add_user(xmppim_memory_store *st, const char *user);
/** Sets the store callbacks (roster, offline messages, last unavailable
 * presence) and the store data of @p cb to this store. It stamps nothing
 * (no clock): a host that wants XEP-0203 delays wraps the put callbacks. */
XMPPIM_EXTERN void xmppim_memory_store_install(xmppim_memory_store *st,
                                              xmppim_server_callbacks *cb);
/** @return how many contacts (items and pending requests) the store holds for
 * @p user, or 0 for an unknown user: for tests. */
XMPPIM_EXTERN size_t xmppim_memory_store_contact_count(const xmppim_memory_store *st,
                                                       const char *user);
/** @return the stored version of @p user's roster, or NULL. */
XMPPIM_EXTERN const char *xmppim_memory_store_version(const xmppim_memory_store *st,
                                                      const char *user);
/** How many offline messages it keeps per user (default 100; 0 keeps none,
 * so that senders get service-unavailable). */
XMPPIM_EXTERN void xmppim_memory_store_set_offline_limit(xmppim_memory_store *st, size_t per_user);
/** @return how many offline messages it holds for @p user. */
XMPPIM_EXTERN size_t xmppim_memory_store_offline_count(const xmppim_memory_store *st, const char *user);
/** Makes the next @p n save or delete calls fail (tests of store failures). */
XMPPIM_EXTERN void xmppim_memory_store_fail_next(xmppim_memory_store *st, unsigned n);
/** Makes the next @p n roster loads fail (a store that cannot be read). */
XMPPIM_EXTERN void xmppim_memory_store_fail_next_loads(xmppim_memory_store *st, unsigned n);

#ifdef __cplusplus
}
#endif

#endif /* XMPPIM_MEMORY_STORE_H */
