#!/usr/bin/env bash
# Interop: xmppim_client against a throw-away Prosody (prosody-env.sh) that
# requires STARTTLS, with the certificate the script generated as the
# clients' only trust anchor. Runs `PROGRAM PORT CA_FILE PASSWORD` with
# alice@example.test and bob@example.test registered. Skips (exit 77)
# when Prosody is not installed.
set -euo pipefail
client="$1"
. "$(dirname "$0")/prosody-env.sh"
prosody_start
prosody_adduser alice 'two words'
prosody_adduser bob 'two words'
if ! timeout 60 "$client" "$PROSODY_PORT" "$PROSODY_CA" 'two words'; then
  prosody_log_tail
  exit 1
fi
