#!/usr/bin/env bash
# Interop against Prosody from Debian: start a throw-away Prosody on
# 127.0.0.1 (its own config, data and port under a temporary directory),
# register an account, run the given client program against it, stop
# Prosody by its PID. Skips (exit 77) when Prosody is not installed.
set -euo pipefail
client="$1"
if ! command -v prosody >/dev/null || ! command -v prosodyctl >/dev/null; then
  echo "SKIP: prosody is not installed (apt-get install prosody lua-unbound)"
  exit 77
fi
dir=$(mktemp -d /tmp/xmppim-prosody.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
# A free port on loopback.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$dir/data/example%2etest/accounts" "$dir/certs"
cat >"$dir/prosody.cfg.lua" <<CFG
daemonize = false
pidfile = "$dir/prosody.pid"
data_path = "$dir/data"
certificates = "$dir/certs"
interfaces = { "127.0.0.1" }
c2s_ports = { $port }
c2s_direct_tls_ports = { }
legacy_ssl_ports = { }
s2s_ports = { }
http_ports = { }
https_ports = { }
c2s_require_encryption = false
authentication = "internal_hashed"
log = { info = "$dir/prosody.log" }
modules_enabled = { "roster"; "saslauth"; "disco"; "ping" }
modules_disabled = { "s2s"; "tls" }
VirtualHost "example.test"
CFG
# Prosody refuses to run as root: run it as its own user then.
as=()
if [ "$(id -u)" = 0 ]; then
  chown -R prosody:prosody "$dir"
  as=(runuser -u prosody --)
fi
"${as[@]}" prosodyctl --config "$dir/prosody.cfg.lua" register alice example.test 's3cret pass' >/dev/null 2>&1
"${as[@]}" prosody --config "$dir/prosody.cfg.lua" >"$dir/stdout.log" 2>&1 &
pid=$!
for _ in $(seq 1 50); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.1
done
if ! "$client" "$port" alice@example.test/interop 's3cret pass'; then
  echo "--- prosody log"; tail -n 30 "$dir/prosody.log" || true
  exit 1
fi
