#!/bin/sh
# Runs suite.py (arguments passed on) with a Python that can import slixmpp:
# Debian's python3-slixmpp is installed for the system Python, which need not
# be the first python3 on PATH. Skips (exit 77) when there is none.
here=$(dirname "$0")
for py in python3 /usr/bin/python3; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import slixmpp' 2>/dev/null; then
    # -B: no __pycache__ in the source tree.
    exec "$py" -B "$here/suite.py" "$@"
  fi
done
echo "SKIP: no python3 with slixmpp (apt-get install python3-slixmpp)"
exit 77
