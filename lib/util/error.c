#include <string.h>
#include <xmppim/common.h>

const char *xmppim_strerror(int error_code) {
  switch (error_code) {
  case XMPPIM_OK: return "success";
  case XMPPIM_ERR_INVALID_ARGUMENT: return "invalid argument";
  case XMPPIM_ERR_BUFFER_TOO_SMALL: return "buffer too small";
  case XMPPIM_ERR_BACKPRESSURE: return "output buffer full: drain it and retry";
  case XMPPIM_ERR_PAUSE: return "paused by a callback";
  case XMPPIM_ERR_NOT_FOUND: return "not found";
  case XMPPIM_ERR_INVALID_STATE: return "not allowed in the current state";
  case XMPPIM_ERR_LIMIT: return "a configured limit was reached";
  case XMPPIM_ERR_JID_EMPTY_PART: return "JID has an empty part";
  case XMPPIM_ERR_JID_TOO_LONG: return "JID part longer than 1023 bytes";
  case XMPPIM_ERR_JID_PROHIBITED: return "JID part has a prohibited character";
  case XMPPIM_ERR_JID_BAD_DOMAIN: return "JID domainpart is not a valid domain or IP literal";
  case XMPPIM_ERR_BAD_UTF8: return "invalid UTF-8";
  case XMPPIM_ERR_IO: return "system or network failure";
  case XMPPIM_ERR_TIMEOUT: return "timed out";
  case XMPPIM_ERR_NOMEM: return "out of memory";
  case XMPPIM_ERR_STREAM: return "stream error";
  case XMPPIM_ERR_CALLBACK_FAILURE: return "callback failed";
  case XMPPIM_ERR_INTERNAL: return "internal error in a dependency";
  case XMPPIM_ERR_TLS: return "TLS failed";
  case XMPPIM_ERR_TLS_VERIFY: return "TLS certificate verification failed";
  default: return "unknown error";
  }
}

int xmppim_err_is_fatal(int error_code) { return error_code <= XMPPIM_ERR_FATAL; }

/* Indexed by xmppim_stream_condition. */
static const char *const condition_names[] = {
  NULL,
  "bad-format",
  "bad-namespace-prefix",
  "conflict",
  "connection-timeout",
  "host-gone",
  "host-unknown",
  "improper-addressing",
  "internal-server-error",
  "invalid-from",
  "invalid-namespace",
  "invalid-xml",
  "not-authorized",
  "not-well-formed",
  "policy-violation",
  "remote-connection-failed",
  "reset",
  "resource-constraint",
  "restricted-xml",
  "see-other-host",
  "system-shutdown",
  "undefined-condition",
  "unsupported-encoding",
  "unsupported-feature",
  "unsupported-stanza-type",
  "unsupported-version",
};

const char *xmppim_stream_condition_name(xmppim_stream_condition condition) {
  if ((unsigned)condition >= sizeof(condition_names) / sizeof(condition_names[0])) return NULL;
  return condition_names[condition];
}

xmppim_stream_condition xmppim_stream_condition_from_name(const char *name) {
  if (name) {
    for (size_t i = 1; i < sizeof(condition_names) / sizeof(condition_names[0]); i++)
      if (strcmp(condition_names[i], name) == 0) return (xmppim_stream_condition)i;
  }
  return XMPPIM_STREAM_UNDEFINED_CONDITION;
}
