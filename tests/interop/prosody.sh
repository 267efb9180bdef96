#!/usr/bin/env bash
# Interop against Prosody from Debian (see prosody-env.sh): register an
# account, run the given client program as `PROGRAM PORT JID PASSWORD`
# against a throw-away Prosody on 127.0.0.1, stop Prosody by its PID.
# PROSODY_REQUIRE_TLS=0 lets a plain-TCP program in. Skips (exit 77)
# when Prosody is not installed.
set -euo pipefail
client="$1"
. "$(dirname "$0")/prosody-env.sh"
prosody_start
prosody_adduser alice 's3cret pass'
if ! "$client" "$PROSODY_PORT" alice@example.test/interop 's3cret pass'; then
  prosody_log_tail
  exit 1
fi
