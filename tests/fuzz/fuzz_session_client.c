/*
 * libFuzzer target for a client-role session (include/xmppim/session.h):
 * whatever a server may send, from the first byte of the connection.
 *
 * The session logs in as juliet@example.com/balcony with the password
 * r0m30myr0m30, require_tls off and PLAIN allowed without TLS, so every
 * mechanism is reachable; on_starttls is set, so the client asks for
 * STARTTLS when offered, and the harness then calls
 * xmppim_session_tls_established() with fixed channel-binding bytes once
 * feed has returned. When ready, the host asks for its roster (through the
 * IQ tracker) and sends presence; it answers IQ pings, roster and version
 * gets, leaves other IQs to the session, and obeys message commands (see
 * fuzz_session.c).
 *
 * Input layout, driving and checks: see fuzz_session.h and fuzz_session.c.
 * The client's whole output is parsed as a server would parse it and must
 * be well-formed.
 *
 * Seeds (corpus/session_client/): server streams recorded from a server
 * session talking to a client session with the same deterministic
 * randomness (gen_session_corpus.c), so that the client nonce in them is
 * the one this client sends and their SCRAM server signatures verify, plus
 * hand-written features, failures and stream errors.
 */
#include <stdint.h>

#include "fuzz_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_session_run(XMPPIM_ROLE_CLIENT, data, size);
  return 0;
}
