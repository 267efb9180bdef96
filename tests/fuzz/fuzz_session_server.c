/*
 * libFuzzer target for a server-role session (include/xmppim/session.h):
 * whatever a client may send, from the first byte of the connection.
 *
 * The session serves example.com with one account, juliet / r0m30myr0m30,
 * for PLAIN and SCRAM-SHA-1/-256 (-PLUS after TLS); its SCRAM credentials
 * are derived once (4096 iterations) and cached. on_starttls is set, so
 * STARTTLS is offered; when it fires the harness drains <proceed/> and,
 * once feed has returned, calls xmppim_session_tls_established() with
 * fixed channel-binding bytes (the TLS stand-in of tests/common/pair.c).
 * on_bind accepts every resource but "conflict", "full" and "deny"; the
 * host answers IQ pings, roster gets and version gets (the last by taking
 * the stanza and sending it back), leaves every other IQ to the session's
 * service-unavailable, and obeys messages whose body is a command:
 * close, error, fail, ping, echo, take (see fuzz_session.c).
 *
 * The input is fed in chunks whose sizes come from the input, the output
 * is drained in varying patterns (nothing, byte by byte, short writes, all)
 * and the clock advances between feeds. Input layout and every check: see
 * fuzz_session.h and fuzz_session.c. On top of crashes, leaks and hangs,
 * the server's whole output is parsed as a client would parse it and must
 * be well-formed.
 *
 * Seeds (corpus/session_server/): client streams recorded from a client
 * session talking to a server session with the same deterministic
 * randomness (gen_session_corpus.c), so that their SCRAM proofs are valid
 * here, plus hand-written and broken variants.
 */
#include <stdint.h>

#include "fuzz_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_session_run(XMPPIM_ROLE_SERVER, data, size);
  return 0;
}
