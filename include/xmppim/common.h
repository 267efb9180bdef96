/**
 * @file common.h
 * @brief Things every libxmppim object shares: symbol export, allocator
 * hooks, error codes and the RFC 6120 stream error conditions.
 *
 * Error convention (after nghttp2): functions return an `int`; 0 or a count
 * means success, a negative `XMPPIM_ERR_*` value means failure. Errors at or
 * below #XMPPIM_ERR_FATAL leave the object that returned them unusable except
 * for `_free`; the others leave it exactly as it was before the call.
 */
#ifndef XMPPIM_COMMON_H
#define XMPPIM_COMMON_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Marks a function as part of the public ABI (everything else is hidden). */
#if defined(XMPPIM_BUILDING) && defined(__GNUC__)
#define XMPPIM_EXTERN __attribute__((visibility("default")))
#else
#define XMPPIM_EXTERN
#endif

/**
 * Allocator hooks. Pass a pointer to one of these to any `_new` function to
 * route that object's allocations through your allocator; pass NULL for the C
 * library's. The structure is copied at creation, so it may live on the
 * stack. libxml2's own internal allocations are not covered: libxml2 only
 * offers a process-wide hook (xmlMemSetup), which a library must not take.
 */
typedef struct xmppim_mem {
  /** Passed back as the last argument of every hook. */
  void *user_data;
  /** Like malloc(3): NULL on failure. */
  void *(*malloc)(size_t size, void *user_data);
  /** Like free(3): must accept NULL. */
  void (*free)(void *ptr, void *user_data);
  /** Like calloc(3). */
  void *(*calloc)(size_t nmemb, size_t size, void *user_data);
  /** Like realloc(3). */
  void *(*realloc)(void *ptr, size_t size, void *user_data);
} xmppim_mem;

/** Error codes. */
typedef enum xmppim_error {
  /** Success. */
  XMPPIM_OK = 0,
  /** An argument was NULL, out of range or otherwise unusable. */
  XMPPIM_ERR_INVALID_ARGUMENT = -101,
  /** The caller's buffer is too small; the needed size was reported. */
  XMPPIM_ERR_BUFFER_TOO_SMALL = -102,
  /** Output is at its configured limit: drain it, then retry. Nothing was lost. */
  XMPPIM_ERR_BACKPRESSURE = -103,
  /** Returned by a callback to stop processing early; the call returns the
   * bytes consumed so far and resumes where it stopped on the next call. */
  XMPPIM_ERR_PAUSE = -104,
  /** The thing asked for does not exist. */
  XMPPIM_ERR_NOT_FOUND = -105,
  /** The call is not allowed in the object's present state. */
  XMPPIM_ERR_INVALID_STATE = -106,
  /** A configured limit (pending IQs, sizes) would be exceeded. */
  XMPPIM_ERR_LIMIT = -107,
  /** A JID has an empty localpart, domainpart or resourcepart where one is required. */
  XMPPIM_ERR_JID_EMPTY_PART = -110,
  /** A JID part is longer than 1023 bytes (before or after preparation). */
  XMPPIM_ERR_JID_TOO_LONG = -111,
  /** A JID part holds a character its stringprep profile prohibits, or
   * breaks the profile's bidirectional rules. */
  XMPPIM_ERR_JID_PROHIBITED = -112,
  /** The domainpart is neither a valid host name nor an IP literal. */
  XMPPIM_ERR_JID_BAD_DOMAIN = -113,
  /** Text is not valid UTF-8. */
  XMPPIM_ERR_BAD_UTF8 = -114,
  /** A system call or the network failed (optional adapters); the
   * adapter's error text says which and why. */
  XMPPIM_ERR_IO = -120,
  /** Something took longer than its configured limit (optional adapters). */
  XMPPIM_ERR_TIMEOUT = -121,
  /** Values at or below this one are fatal for the object. */
  XMPPIM_ERR_FATAL = -900,
  /** Out of memory. */
  XMPPIM_ERR_NOMEM = -901,
  /** The peer broke the stream; the stream error condition says how. */
  XMPPIM_ERR_STREAM = -902,
  /** A callback returned an error other than #XMPPIM_ERR_PAUSE. */
  XMPPIM_ERR_CALLBACK_FAILURE = -903,
  /** A dependency (libxml2, GnuTLS, libidn) failed in a way that is not the input's fault. */
  XMPPIM_ERR_INTERNAL = -904,
  /** The TLS adapter failed: a handshake or record error, a fatal alert,
   * a protocol version below TLS 1.2 (xmppim_tls_error_text() says which). */
  XMPPIM_ERR_TLS = -920,
  /** The TLS adapter refused the peer's certificate (chain or name). */
  XMPPIM_ERR_TLS_VERIFY = -921
} xmppim_error;

/**
 * A short English description of an error code, for logs.
 * @return a static string; never NULL (unknown codes get a generic text).
 */
XMPPIM_EXTERN const char *xmppim_strerror(int error_code);

/** @return nonzero when @p error_code leaves the object unusable. */
XMPPIM_EXTERN int xmppim_err_is_fatal(int error_code);

/**
 * The defined stream error conditions of RFC 6120 section 4.9.3, in the
 * namespace urn:ietf:params:xml:ns:xmpp-streams.
 */
typedef enum xmppim_stream_condition {
  XMPPIM_STREAM_OK = 0, /**< no error */
  XMPPIM_STREAM_BAD_FORMAT,
  XMPPIM_STREAM_BAD_NAMESPACE_PREFIX,
  XMPPIM_STREAM_CONFLICT,
  XMPPIM_STREAM_CONNECTION_TIMEOUT,
  XMPPIM_STREAM_HOST_GONE,
  XMPPIM_STREAM_HOST_UNKNOWN,
  XMPPIM_STREAM_IMPROPER_ADDRESSING,
  XMPPIM_STREAM_INTERNAL_SERVER_ERROR,
  XMPPIM_STREAM_INVALID_FROM,
  XMPPIM_STREAM_INVALID_NAMESPACE,
  XMPPIM_STREAM_INVALID_XML,
  XMPPIM_STREAM_NOT_AUTHORIZED,
  XMPPIM_STREAM_NOT_WELL_FORMED,
  XMPPIM_STREAM_POLICY_VIOLATION,
  XMPPIM_STREAM_REMOTE_CONNECTION_FAILED,
  XMPPIM_STREAM_RESET,
  XMPPIM_STREAM_RESOURCE_CONSTRAINT,
  XMPPIM_STREAM_RESTRICTED_XML,
  XMPPIM_STREAM_SEE_OTHER_HOST,
  XMPPIM_STREAM_SYSTEM_SHUTDOWN,
  XMPPIM_STREAM_UNDEFINED_CONDITION,
  XMPPIM_STREAM_UNSUPPORTED_ENCODING,
  XMPPIM_STREAM_UNSUPPORTED_FEATURE,
  XMPPIM_STREAM_UNSUPPORTED_STANZA_TYPE,
  XMPPIM_STREAM_UNSUPPORTED_VERSION
} xmppim_stream_condition;

/**
 * The element name of a stream error condition ("not-well-formed", ...).
 * @return a static string, or NULL for #XMPPIM_STREAM_OK and unknown values.
 */
XMPPIM_EXTERN const char *xmppim_stream_condition_name(xmppim_stream_condition condition);

/**
 * The condition named by an element name. Unknown names give
 * #XMPPIM_STREAM_UNDEFINED_CONDITION, as RFC 6120 section 4.9.2 says a
 * receiver must treat them (C4.9.2-b).
 */
XMPPIM_EXTERN xmppim_stream_condition xmppim_stream_condition_from_name(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* XMPPIM_COMMON_H */
