# shellcheck shell=bash
# Shared by the example programs' interop tests: a throw-away Prosody
# (prosody-env.sh) and the options that point the examples at it.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../prosody-env.sh"

# The example programs trust Prosody's self-signed certificate and skip DNS;
# the certificate's name (example.test) is still checked against the JID.
example_opts() {
  echo --address "127.0.0.1:$PROSODY_PORT" --ca "$PROSODY_CA"
}

# A python3 that has slixmpp (Debian's python3-slixmpp is installed for the
# system interpreter, which another python3 on the PATH may hide).
find_slixmpp_python() {
  local py
  for py in python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null && "$py" -c 'import slixmpp' 2>/dev/null; then
      # shellcheck disable=SC2034 # used by the scripts that source this one
      SLIXMPP_PYTHON=$py
      return 0
    fi
  done
  echo "SKIP: python3-slixmpp is not installed (apt-get install python3-slixmpp)"
  exit 77
}
