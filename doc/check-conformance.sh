#!/bin/sh
# Checks that every test doc/conformance.md cites exists: each backquoted
# name that looks like a test (letters, digits and underscores, at least one
# underscore, no call parentheses, not an xmppim_ symbol) must be a function
# defined under tests/ (C or Python; the tests are functions named by their
# IDs) or a test's name in a meson.build there. A name that is no test but a
# word of the library's code (a field or a static function the matrix points
# at) is counted apart, not as missing. It checks that names exist, not
# that the test checks what the row says.
# Usage: doc/check-conformance.sh [source root]; exit 1 when any is missing.
set -eu
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
doc="$root/doc/conformance.md"
[ -r "$doc" ] || { echo "check-conformance: cannot read $doc" >&2; exit 2; }
# shellcheck disable=SC2016 # the backquotes are Markdown's, not the shell's
names=$(grep -o '`[A-Za-z][A-Za-z0-9_]*`' "$doc" | tr -d '`' | grep '_' |
  grep -v -e '^xmppim_' -e '^XMPPIM_' | sort -u)
defined=$(mktemp)
trap 'rm -f "$defined"' EXIT
# C test functions (cmocka and plain), Python test functions and meson test names.
find -H "$root/tests" -name fuzz -prune -o -type f \( -name '*.c' -o -name '*.py' -o -name 'meson.build' \) \
  -exec grep -ohE "^(static )?(void|int) [A-Za-z_][A-Za-z0-9_]*\(|^def [A-Za-z_][A-Za-z0-9_]*\(|(test|benchmark)\('[A-Za-z0-9_]+'|\[[^]]*'[a-z0-9_]+'" {} + |
  sed -E "s/^(static )?(void|int) //; s/^def //; s/\($//; s/^(test|benchmark)\('//; s/'$//" |
  tr -c 'A-Za-z0-9_\n' '\n' | grep -v '^$' | sort -u >"$defined"
missing=0
total=0
code=0
for n in $names; do
  total=$((total + 1))
  grep -qx "$n" "$defined" && continue
  if grep -rqw -- "$n" "$root/lib" "$root/include"; then
    code=$((code + 1))
    continue
  fi
  echo "not found under tests/: $n"
  missing=$((missing + 1))
done
echo "check-conformance: $total names cited ($code of them library code), $missing not found"
[ "$missing" -eq 0 ]
