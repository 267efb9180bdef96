#!/usr/bin/env bash
# echo-bot against Prosody: the bot logs in (password on standard input), a
# slixmpp client asks for its presence and sends it a chat message; the
# bot approves, asks back, shows "chat" and echoes. Then Ctrl-C (SIGINT)
# logs the bot out cleanly, and its roster holds the user with
# subscription both.
# usage: echo-bot.sh ECHO_BOT ROSTER_TOOL
set -u
echo_bot=$1 roster_tool=$2
. "$(dirname "$0")/common.sh"
find_slixmpp_python
prosody_start

bot_pid=
cleanup() {
  if [ -n "$bot_pid" ]; then kill "$bot_pid" 2>/dev/null; wait "$bot_pid" 2>/dev/null; fi
  prosody_stop
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  echo "--- echo-bot output"; cat "$work/bot.log"
  prosody_log_tail
  exit 1
}

prosody_adduser bot 'bot secret' || fail "could not add user bot"
prosody_adduser alice 'alice pw' || fail "could not add user alice"
work=$PROSODY_DIR/echo-bot-test
mkdir -p "$work"

# shellcheck disable=SC2046 # example_opts is a list of words
"$echo_bot" $(example_opts) bot@example.test >"$work/bot.log" 2>&1 <<<'bot secret' &
bot_pid=$!
for _ in $(seq 1 100); do
  grep -q '^online as bot@example.test' "$work/bot.log" && break
  kill -0 "$bot_pid" 2>/dev/null || fail "echo-bot exited"
  sleep 0.1
done
grep -q '^online as' "$work/bot.log" || fail "echo-bot did not log in within 10 s"

start=$(date +%s%N)
timeout 40 "$SLIXMPP_PYTHON" "$here/echo_peer.py" alice@example.test 'alice pw' bot@example.test \
  "$PROSODY_PORT" "$PROSODY_CA" || fail "the slixmpp peer did not see everything"
echo "peer done in $((($(date +%s%N) - start) / 1000000)) ms"

grep -q '^alice@example.test asks to see our presence: approved' "$work/bot.log" ||
  fail "the bot did not report the subscription request"
grep -q '^echo to alice@example.test/' "$work/bot.log" || fail "the bot did not report the echo"

kill -INT "$bot_pid"
for _ in $(seq 1 100); do kill -0 "$bot_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$bot_pid" 2>/dev/null && fail "echo-bot still running 10 s after SIGINT"
wait "$bot_pid"
status=$?
bot_pid=
[ "$status" = 0 ] || fail "echo-bot exited with $status after SIGINT"
grep -q '^offline: closed by the application$' "$work/bot.log" || fail "no clean logout"

# shellcheck disable=SC2046
roster=$(XMPPIM_PASSWORD='bot secret' timeout 30 "$roster_tool" $(example_opts) bot@example.test list) ||
  fail "roster-tool list failed for the bot"
echo "bot's roster: $roster"
grep -q '^alice@example.test subscription=both$' <<<"$roster" || fail "the bot's roster: $roster"
echo "--- echo-bot output"; cat "$work/bot.log"
echo PASS
