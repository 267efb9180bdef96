#!/usr/bin/env bash
# Export check: every symbol the shared library defines in its dynamic symbol
# table must carry the xmppim_ prefix (everything else is built hidden).
# usage: check-exports.sh NM SHARED_LIBRARY
set -euo pipefail

if [ "$#" -ne 2 ]; then
  echo "usage: $0 NM SHARED_LIBRARY" >&2
  exit 2
fi
nm_prog=$1
lib=$2

if ! symbols=$("$nm_prog" -D --defined-only "$lib"); then
  echo "FAIL: $nm_prog -D --defined-only $lib failed" >&2
  exit 1
fi

good=0
bad=()
while read -r line; do
  [ -n "$line" ] || continue
  # "ADDRESS TYPE NAME[@VERSION]" (undefined-address forms have no ADDRESS).
  read -r -a fields <<<"$line"
  n=${#fields[@]}
  if [ "$n" -lt 2 ]; then
    bad+=("$line")
    continue
  fi
  type=${fields[n-2]}
  name=${fields[n-1]}
  name=${name%%@*}
  case "$name" in
    xmppim_*)
      good=$((good + 1)) ;;
    _init|_fini|_edata|_end|__bss_start)
      ;; # linker-generated
    XMPPIM_*)
      # A symbol version node from a version script shows as an absolute symbol.
      if [ "$type" != A ]; then bad+=("$line"); fi ;;
    *)
      bad+=("$line") ;;
  esac
done <<<"$symbols"

if [ "${#bad[@]}" -gt 0 ]; then
  echo "FAIL: $lib exports ${#bad[@]} symbol(s) outside the xmppim_ prefix:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  echo "Internal functions must not be marked XMPPIM_EXTERN; everything else is hidden." >&2
  exit 1
fi
if [ "$good" -eq 0 ]; then
  echo "FAIL: $lib exports no xmppim_ symbol at all" >&2
  exit 1
fi
echo "ok: $lib exports $good symbols, all with the xmppim_ prefix"
