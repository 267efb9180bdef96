#!/usr/bin/env bash
# Renders a manual page with groff and fails on any warning.
# usage: check-man.sh GROFF PAGE
set -u
warnings=$("$1" -man -Tutf8 -ww -z "$2" 2>&1)
if [ -n "$warnings" ]; then
  echo "FAIL: $2:"
  echo "$warnings"
  exit 1
fi
echo "ok: $2 renders without warnings"
