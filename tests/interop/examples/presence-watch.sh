#!/usr/bin/env bash
# presence-watch against Prosody: juliet subscribes to romeo with
# roster-tool and romeo approves; presence-watch runs as juliet; echo-bot
# logs in as romeo (show chat, a status): presence-watch prints romeo's
# resource available with that show and status, then unavailable when
# echo-bot is stopped; SIGINT ends presence-watch cleanly.
# usage: presence-watch.sh PRESENCE_WATCH ECHO_BOT ROSTER_TOOL
set -u
presence_watch=$1 echo_bot=$2 roster_tool=$3
. "$(dirname "$0")/common.sh"
prosody_start

watch_pid='' bot_pid=''
stop_pid() { # pid: SIGINT, 10 s to exit; sets $status
  kill -INT "$1"
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$1" 2>/dev/null && fail "process $1 still running 10 s after SIGINT"
  wait "$1"
  status=$?
}
cleanup() {
  for pid in $watch_pid $bot_pid; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  prosody_stop
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  echo "--- presence-watch output"; cat "$work/watch.log"
  echo "--- echo-bot output"; cat "$work/bot.log"
  prosody_log_tail
  exit 1
}
wait_for_line() { # file pattern what
  for _ in $(seq 1 100); do grep -q "$2" "$1" && return 0; sleep 0.1; done
  fail "$3 (not seen within 10 s)"
}

work=$PROSODY_DIR/presence-watch-test
mkdir -p "$work"
touch "$work/watch.log" "$work/bot.log"
prosody_adduser juliet 'balcony' || fail "could not add user juliet"
prosody_adduser romeo 'capulet' || fail "could not add user romeo"
# shellcheck disable=SC2046 # example_opts is a list of words
XMPPIM_PASSWORD=balcony timeout 30 "$roster_tool" $(example_opts) juliet@example.test \
  subscribe romeo@example.test || fail "juliet's subscribe"
# shellcheck disable=SC2046
XMPPIM_PASSWORD=capulet timeout 30 "$roster_tool" $(example_opts) romeo@example.test \
  approve juliet@example.test || fail "romeo's approve"

# shellcheck disable=SC2046
XMPPIM_PASSWORD=balcony "$presence_watch" $(example_opts) juliet@example.test >"$work/watch.log" 2>&1 &
watch_pid=$!
wait_for_line "$work/watch.log" '^online as juliet@example.test, 1 contacts' "presence-watch online"

# shellcheck disable=SC2046
XMPPIM_PASSWORD=capulet "$echo_bot" $(example_opts) romeo@example.test >"$work/bot.log" 2>&1 &
bot_pid=$!
wait_for_line "$work/watch.log" \
  '^[0-9:]\{8\} romeo@example.test/[^ ]* available show=chat priority=0 status="Say something, I say it back"$' \
  "romeo's resource available with show chat and the bot's status"
stop_pid "$bot_pid"
bot_pid=
[ "$status" = 0 ] || fail "echo-bot exited with $status after SIGINT"
wait_for_line "$work/watch.log" '^[0-9:]\{8\} romeo@example.test/[^ ]* unavailable$' \
  "romeo's resource unavailable"

stop_pid "$watch_pid"
watch_pid=
[ "$status" = 0 ] || fail "presence-watch exited with $status after SIGINT"
grep -q '^offline: closed by the application$' "$work/watch.log" || fail "no clean logout"
echo "--- presence-watch output"; cat "$work/watch.log"
echo PASS
