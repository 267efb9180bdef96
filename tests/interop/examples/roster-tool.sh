#!/usr/bin/env bash
# roster-tool against Prosody: add a contact with a name and two groups
# (list shows it), ask for its presence (list shows ask=subscribe), remove it
# (list no longer shows it); removing a contact that is not there prints the
# server's condition (item-not-found) and exits 1, as do a wrong password,
# an untrusted certificate and a bad command line (exit 2).
# usage: roster-tool.sh ROSTER_TOOL
# "test && check || fail" is meant: fail when either part is false.
# shellcheck disable=SC2015
set -u
roster_tool=$1
. "$(dirname "$0")/common.sh"
prosody_start

fail() {
  echo "FAIL: $*"
  prosody_log_tail
  exit 1
}

prosody_adduser juliet 'balcony' || fail "could not add user juliet"

# Runs roster-tool as juliet; its output in $out, its exit status in $status.
rt() {
  # shellcheck disable=SC2046 # example_opts is a list of words
  out=$(XMPPIM_PASSWORD=${password:-balcony} timeout 30 "$roster_tool" $(example_opts) \
    juliet@example.test "$@" 2>&1)
  status=$?
  echo "\$ roster-tool juliet@example.test $* -> $status"
  # shellcheck disable=SC2001 # indents every line
  [ -z "$out" ] || sed 's/^/  /' <<<"$out"
}

start=$(date +%s%N)
rt list
[ "$status" = 0 ] && [ -z "$out" ] || fail "a new account's roster is not empty"

rt add romeo@example.test --name 'Romeo Montague' --group Friends --group 'Verona ☀'
[ "$status" = 0 ] && [ "$out" = "add romeo@example.test: done" ] || fail "add"
rt list
[ "$status" = 0 ] || fail "list after add"
grep -q '^romeo@example.test subscription=none name="Romeo Montague" groups=' <<<"$out" ||
  fail "list does not show the contact"
grep -q 'Friends' <<<"$out" && grep -q 'Verona ☀' <<<"$out" || fail "list lost a group"

rt subscribe romeo@example.test
[ "$status" = 0 ] || fail "subscribe"
rt list
grep -q '^romeo@example.test subscription=none ask=subscribe name=' <<<"$out" ||
  fail "the pending request does not show as ask=subscribe"

rt remove romeo@example.test
[ "$status" = 0 ] && [ "$out" = "remove romeo@example.test: done" ] || fail "remove"
rt list
[ "$status" = 0 ] && [ -z "$out" ] || fail "the contact is still listed after remove"

rt remove nobody@example.test
[ "$status" = 1 ] || fail "removing a contact that is not there exited $status"
grep -q 'item-not-found' <<<"$out" || fail "the error condition is not printed"

rt add 'not a jid@example.test'
[ "$status" = 2 ] && grep -q 'not a valid JID' <<<"$out" || fail "adding an invalid JID exited $status"

password=wrong rt list
[ "$status" = 1 ] && grep -q 'not-authorized' <<<"$out" || fail "a wrong password"

# shellcheck disable=SC2046
out=$(XMPPIM_PASSWORD=balcony timeout 30 "$roster_tool" --address "127.0.0.1:$PROSODY_PORT" \
  juliet@example.test list 2>&1)
status=$?
echo "\$ roster-tool (system trust store) juliet@example.test list -> $status: $out"
[ "$status" = 1 ] && grep -qi 'certificate' <<<"$out" || fail "an untrusted certificate"

out=$(XMPPIM_PASSWORD=balcony "$roster_tool" --ca /nonexistent/ca.pem juliet@example.test list 2>&1)
status=$?
echo "\$ roster-tool --ca /nonexistent/ca.pem juliet@example.test list -> $status: $out"
[ "$status" = 2 ] && grep -q "cannot load CA file '/nonexistent/ca.pem'" <<<"$out" ||
  fail "a CA file that does not exist"

rt add romeo@example.test --group Friends --group Friends
[ "$status" = 2 ] && grep -q "given twice" <<<"$out" || fail "a group given twice exited $status"

rt frobnicate romeo@example.test
[ "$status" = 2 ] || fail "an unknown command exited $status"
rt list --group Friends
[ "$status" = 2 ] || fail "--group without add exited $status"

echo "all steps in $((($(date +%s%N) - start) / 1000000)) ms"
echo PASS
