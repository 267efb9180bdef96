#!/bin/sh
# Interop: libstrophe (Profanity's library) against xmppim-server with its
# defaults, on a free port of 127.0.0.1 with a scratch data directory; the
# server is stopped by its PID (SIGTERM, then it must exit 0).
#
# usage: strophe-xmppim-server.sh XMPPIM_SERVER STROPHE_LOGIN
set -u
server_exe=$1
client_exe=$2
tmp=$(mktemp -d /tmp/xmppim-strophe-XXXXXX)
log=$tmp/server.log
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -9 "$server_pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fail() {
  echo "FAIL: $*"
  echo "---- server log ----"
  cat "$log"
  exit 1
}

printf 'two words\n' | "$server_exe" adduser alice@localhost --data "$tmp/data" >/dev/null || fail "adduser"
"$server_exe" --listen 127.0.0.1:0 --data "$tmp/data" >"$log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 1 50); do
  port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || fail "the server did not say where it listens"
timeout 30 "$client_exe" "$port" alice@localhost/profanity 'two words' || fail "libstrophe did not get through"
kill -TERM "$server_pid"
for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
wait "$server_pid"
status=$?
server_pid=
[ "$status" -eq 0 ] || fail "the server exited with $status after SIGTERM"
grep -q "alice@localhost/profanity is online (TLS1.3, SCRAM-SHA-" "$log" || fail "no SCRAM login over TLS 1.3 in the log"
echo "ok: libstrophe logged in, got its roster and its own message back"
