# Sourced by the interop tests that need a throw-away Prosody (Debian's) on
# 127.0.0.1: its own config, data, certificate and port under a temporary
# directory, stopped by its PID when the sourcing script exits.
#
#   . prosody-env.sh
#   prosody_start            # STARTTLS required, a certificate for example.test
#                            # (PROSODY_REQUIRE_TLS=0 before: offered, not required)
#   prosody_adduser alice 'pass'
#   ... "$PROSODY_PORT", "$PROSODY_CA" (the certificate, to trust as a CA) ...
#
# prosody_start exits 77 (skip) with a message when Prosody is missing.
# It sets an EXIT trap calling prosody_stop; a test with its own trap calls prosody_stop from it.

PROSODY_DOMAIN=example.test

prosody_stop() {
  if [ -n "${PROSODY_PID:-}" ]; then
    kill "$PROSODY_PID" 2>/dev/null || true
    # Bounded: Prosody stops within a second; kill -9 after 5.
    for _ in $(seq 1 50); do kill -0 "$PROSODY_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$PROSODY_PID" 2>/dev/null || true
    wait "$PROSODY_PID" 2>/dev/null || true
    PROSODY_PID=
  fi
  [ -n "${PROSODY_DIR:-}" ] && rm -rf "$PROSODY_DIR"
  PROSODY_DIR=
}

prosody_log_tail() {
  echo "--- prosody log (last 40 lines)"
  tail -n 40 "$PROSODY_DIR/prosody.log" 2>/dev/null || true
}

# Runs Prosody's tools as its own user when we are root (it refuses root).
_prosody_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u prosody -- "$@"; else "$@"; fi
}

prosody_start() {
  if ! command -v prosody >/dev/null || ! command -v prosodyctl >/dev/null; then
    echo "SKIP: prosody is not installed (apt-get install prosody lua-unbound)"
    exit 77
  fi
  if ! command -v openssl >/dev/null; then
    echo "SKIP: openssl is not installed (it makes the test certificate)"
    exit 77
  fi
  PROSODY_DIR=$(mktemp -d /tmp/xmppim-prosody.XXXXXX)
  trap prosody_stop EXIT
  PROSODY_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$PROSODY_DIR/data" "$PROSODY_DIR/certs"
  # A self-signed certificate whose subjectAltName is the domain: the
  # clients verify it (RFC 6125 DNS-ID) with the certificate as their CA.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$PROSODY_DOMAIN" \
    -addext "subjectAltName=DNS:$PROSODY_DOMAIN" -addext "basicConstraints=critical,CA:TRUE" \
    -keyout "$PROSODY_DIR/certs/$PROSODY_DOMAIN.key" -out "$PROSODY_DIR/certs/$PROSODY_DOMAIN.crt" \
    >/dev/null 2>&1
  PROSODY_CA="$PROSODY_DIR/certs/$PROSODY_DOMAIN.crt"
  cat >"$PROSODY_DIR/prosody.cfg.lua" <<CFG
daemonize = false
pidfile = "$PROSODY_DIR/prosody.pid"
data_path = "$PROSODY_DIR/data"
interfaces = { "127.0.0.1" }
c2s_ports = { $PROSODY_PORT }
c2s_direct_tls_ports = { }
legacy_ssl_ports = { }
s2s_ports = { }
http_ports = { }
https_ports = { }
c2s_require_encryption = $([ "${PROSODY_REQUIRE_TLS:-1}" = 0 ] && echo false || echo true)
authentication = "internal_hashed"
log = { debug = "$PROSODY_DIR/prosody.log" }
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "presence"; "message"; "offline" }
modules_disabled = { "s2s" }
VirtualHost "$PROSODY_DOMAIN"
  ssl = { certificate = "$PROSODY_DIR/certs/$PROSODY_DOMAIN.crt"; key = "$PROSODY_DIR/certs/$PROSODY_DOMAIN.key" }
CFG
  if [ "$(id -u)" = 0 ]; then chown -R prosody:prosody "$PROSODY_DIR"; chmod 755 "$PROSODY_DIR"; chmod 644 "$PROSODY_CA"; fi
  _prosody_as prosody --config "$PROSODY_DIR/prosody.cfg.lua" >"$PROSODY_DIR/stdout.log" 2>&1 &
  PROSODY_PID=$!
  local _
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PROSODY_PORT") 2>/dev/null; then return 0; fi
    kill -0 "$PROSODY_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "prosody did not start"; cat "$PROSODY_DIR/stdout.log"; prosody_log_tail
  exit 1
}

prosody_adduser() { # user password
  _prosody_as prosodyctl --config "$PROSODY_DIR/prosody.cfg.lua" register "$1" "$PROSODY_DOMAIN" "$2" >/dev/null 2>&1
}
