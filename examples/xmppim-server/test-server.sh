#!/bin/sh
# Smoke test of xmppim-server: the account commands and their errors, then
# the server on a free port of 127.0.0.1 with a scratch data directory, a
# client that never logs in (dropped at the login timeout), bad XML (a
# stream error, the server stays up), two libxmppim clients that add each
# other and exchange a message, and SIGTERM: exit 0 within the bound, the
# streams ended with system-shutdown, unavailable presence seen.
#
# usage: test-server.sh XMPPIM_SERVER SMOKE_CLIENT
set -u
server_exe=$1
client_exe=$2
tmp=$(mktemp -d /tmp/xmppim-server-test-XXXXXX)
data=$tmp/data
log=$tmp/server.log
server_pid=

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -9 "$server_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
  echo "FAIL: $*"
  if [ -f "$log" ]; then
    echo "---- server log ----"
    cat "$log"
  fi
  exit 1
}

# run EXPECTED_STATUS EXPECTED_TEXT INPUT ARGS...: the command's status and
# the text it prints on stderr.
run() {
  want_status=$1 want_text=$2 input=$3
  shift 3
  out=$(printf '%s' "$input" | "$server_exe" "$@" 2>&1 >/dev/null)
  status=$?
  [ "$status" -eq "$want_status" ] || fail "xmppim-server $*: exit $status, expected $want_status ($out)"
  case $out in
    *"$want_text"*) ;;
    *) fail "xmppim-server $*: said '$out', expected '$want_text'" ;;
  esac
  echo "ok: xmppim-server $* -> $status ($out)"
}

"$server_exe" --help | grep -q adduser || fail "--help does not describe adduser"
"$server_exe" --version | grep -q libxmppim || fail "--version"

run 0 "added alice@localhost" "alice-pw
" adduser alice@localhost --data "$data"
[ "$(stat -c %a "$data")" = 700 ] || fail "the data directory is not 0700"
run 0 "added bob@localhost" "bob-pw" adduser bob@localhost --data "$data"
run 1 "already exists" "other" adduser alice@localhost --data "$data"
run 1 "no such user" "" deluser nobody@localhost --data "$data"
run 1 "no such user" "pw" passwd nobody@localhost --data "$data"
run 1 "not an account address" "pw" adduser localhost --data "$data"
run 1 "not an account address" "pw" adduser "al ice@localhost" --data "$data"
run 1 "not an account address" "pw" adduser alice@localhost/phone --data "$data"
run 1 "not in this server's domain" "pw" adduser carol@example.org --data "$data"
run 1 "empty" "
" adduser carol@localhost --data "$data"
run 1 "no password" "" adduser carol@localhost --data "$data"
run 2 "needs a JID" "" adduser --data "$data"
run 2 "unknown argument" "" --frobnicate
run 2 "not 'loud'" "" --log-level loud
run 2 "--listen wants" "" --listen localhost:5222 --data "$data"
run 0 "password changed" "changed-pw" passwd alice@localhost --data "$data"
run 0 "password changed" "alice-pw" passwd alice@localhost --data "$data"
run 0 "added carol@localhost" "carol-pw" adduser carol@localhost --data "$data"
run 0 "deleted carol@localhost" "" deluser carol@localhost --data "$data"
if command -v python3 >/dev/null; then
  # On a terminal the password is asked twice, without echo.
  python3 - "$server_exe" "$data" <<'EOF' || fail "password prompt on a terminal"
import os, pty, select, sys, time
exe, data = sys.argv[1], sys.argv[2]
def run(args, answers):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(exe, [exe] + args)
    out, asked, start = b"", 0, time.time()
    while time.time() - start < 10:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            if asked < len(answers) and out.count(b": ") > asked:
                os.write(fd, answers[asked] + b"\n")
                asked += 1
    for _ in range(50):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), out
        time.sleep(0.1)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return "hung", out
status, out = run(["adduser", "tty@localhost", "--data", data], [b"typed-pw", b"typed-pw"])
assert status == 0 and b"Again" in out and b"added tty@localhost" in out and b"typed-pw" not in out, out
status, out = run(["passwd", "tty@localhost", "--data", data], [b"one", b"two"])
assert status == 1 and b"differ" in out, out
print("ok: the password is typed twice on a terminal, not echoed; a mismatch changes nothing")
EOF
  run 0 "deleted tty@localhost" "" deluser tty@localhost --data "$data"
fi
run 0 "added dave@example.org" "dave-pw" adduser dave@example.org --domain example.org --data "$tmp/other"

"$server_exe" --listen 127.0.0.1:0 --data "$data" --login-timeout 2 2>"$log" &
server_pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$log")
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited at start"
  sleep 0.1
done
[ -n "$port" ] || fail "no 'listening on' line within 10 s"
echo "ok: server $server_pid listening on port $port"
[ "$(stat -c %a "$data/localhost.key")" = 600 ] || fail "the generated key is not 0600"
grep -q "adduser alice@localhost" "$log" || fail "no hint on how to add an account"

if command -v python3 >/dev/null; then
  # Bad XML gets a stream error; a client that does nothing is dropped.
  python3 - "$port" <<'EOF' || fail "raw connections"
import socket, sys, time
port = int(sys.argv[1])
def talk(data, wait):
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    if data:
        s.sendall(data)
    got, start = b"", time.time()
    try:
        while time.time() - start < wait:
            chunk = s.recv(4096)
            if not chunk:
                return got, time.time() - start
            got += chunk
    except socket.timeout:
        pass
    return got, None
got, closed = talk(b"<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' "
                   b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><a><b></a>", 5)
assert b"not-well-formed" in got and closed is not None, got
print("ok: bad XML got not-well-formed and the stream closed")
got, closed = talk(b"", 8)
assert b"connection-timeout" in got and closed is not None and closed < 5, (got, closed)
print("ok: a silent client was dropped after %.1f s with connection-timeout" % closed)
EOF
fi

timeout 40 "$client_exe" "$port" "$data/localhost.crt" "$server_pid" || fail "the clients' exchange"

# The client sent SIGTERM; the server has 2 s to flush, a little more to exit.
start=$(date +%s%N)
for _ in $(seq 50); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$server_pid" 2>/dev/null && fail "the server still runs 5 s after SIGTERM"
wait "$server_pid"
status=$?
server_pid=
[ "$status" -eq 0 ] || fail "the server exited with $status after SIGTERM"
echo "ok: the server exited 0, $(( ($(date +%s%N) - start) / 1000000 )) ms after the clients saw the end"
grep -q "SIGTERM: shutting down" "$log" || fail "no shutdown line in the log"
grep -q "alice@localhost/.* is online" "$log" || fail "no login line in the log"
# -PLUS is offered under TLS 1.2 only unless --tls-exporter: under TLS 1.3
# the client logs in without channel binding
grep -q "is online (TLS1.3, SCRAM-SHA-256)" "$log" || fail "not SCRAM-SHA-256 under TLS 1.3 by default"
if grep -q "alice-pw\|bob-pw" "$log"; then fail "a password is in the log"; fi
if grep -q " ERROR " "$log"; then fail "errors in the log"; fi
run 0 "deleted alice@localhost" "" deluser alice@localhost --data "$data"
echo "---- server log ----"
cat "$log"
echo "PASS"
