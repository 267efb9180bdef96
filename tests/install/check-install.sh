#!/usr/bin/env bash
# Install check: `meson install` into a scratch DESTDIR, then build a program
# outside the source tree against the installed files through pkg-config, once
# against the shared library and once against the static one, and run both.
# usage: check-install.sh CONSUMER_C   (the rest comes from the environment,
# set by tests/install/meson.build)
set -euo pipefail

: "${XMPPIM_BUILD_ROOT:?}" "${XMPPIM_MESON:?}" "${XMPPIM_CC:?}" "${XMPPIM_LIBDIR:?}"
: "${XMPPIM_INCLUDEDIR:?}" "${XMPPIM_EXPECT_VERSION:?}" "${XMPPIM_HAVE_SHARED:?}" "${XMPPIM_HAVE_STATIC:?}"
consumer_src=${1:?usage: $0 CONSUMER_C}
pkg_config=${PKG_CONFIG:-pkg-config}
consumer_flags=${XMPPIM_CONSUMER_FLAGS:-}
read -r -a cc_cmd <<<"$XMPPIM_CC"

fail() { echo "FAIL: $*" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/xmppim-install-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
dest=$work/dest
libdir=$dest$XMPPIM_LIBDIR
pcdir=$libdir/pkgconfig

# --no-rebuild: `meson test` has already built what this test depends on, and
# a nested ninja run inside `meson test` must not race it. The install only
# reads the build directory (and writes meson-logs/install-log.txt).
if ! "$XMPPIM_MESON" install --no-rebuild --destdir "$dest" -C "$XMPPIM_BUILD_ROOT" >"$work/install.log" 2>&1; then
  cat "$work/install.log" >&2
  fail "meson install --destdir failed"
fi

for f in "$pcdir/xmppim.pc" "$dest$XMPPIM_INCLUDEDIR/xmppim.h" "$dest$XMPPIM_INCLUDEDIR/xmppim/version.h"; do
  [ -f "$f" ] || fail "not installed: ${f#"$dest"}"
done
[ "$XMPPIM_HAVE_SHARED" = 0 ] || [ -e "$libdir/libxmppim.so" ] || fail "libxmppim.so not installed in ${libdir#"$dest"}"
[ "$XMPPIM_HAVE_STATIC" = 0 ] || [ -f "$libdir/libxmppim.a" ] || fail "libxmppim.a not installed in ${libdir#"$dest"}"

# The .pc file holds absolute paths under the real prefix; the sysroot makes
# pkg-config point them into the DESTDIR. (It prefixes the dependencies' paths
# too; those then name directories that do not exist, which compilers ignore,
# and the system default paths still find the dependencies.)
pc() {
  PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$dest "$pkg_config" "$@"
}
pc --exists xmppim || fail "pkg-config does not find xmppim in the installed .pc"
pc_version=$(pc --modversion xmppim)
[ "$pc_version" = "$XMPPIM_EXPECT_VERSION" ] || fail "xmppim.pc says version $pc_version, expected $XMPPIM_EXPECT_VERSION"

IFS=. read -r major minor patch <<<"$XMPPIM_EXPECT_VERSION"
expected_first_line=$(printf 'version %s 0x%02x%02x%02x' "$XMPPIM_EXPECT_VERSION" "$major" "$minor" "$patch")

# Built outside the source tree, from a copy, with nothing but pkg-config's flags.
cp "$consumer_src" "$work/consumer.c"
cd "$work"

check_output() { # $1 = what, $2 = output file
  local first second
  { read -r first || true; read -r second || true; } <"$2"
  [ "$first" = "$expected_first_line" ] || fail "$1: printed '$first', expected '$expected_first_line'"
  [[ "$second" == "strerror "?* ]] || fail "$1: printed '$second', expected 'strerror <text>'"
}

built=0
if [ "$XMPPIM_HAVE_SHARED" = 1 ]; then
  read -r -a flags <<<"$(pc --cflags --libs xmppim)"
  [[ " ${flags[*]} " == *" -I$dest$XMPPIM_INCLUDEDIR "* ]] || fail "pkg-config --cflags does not point into the install: ${flags[*]}"
  [[ " ${flags[*]} " == *" -L$libdir "* ]] || fail "pkg-config --libs does not point into the install: ${flags[*]}"
  # shellcheck disable=SC2086
  "${cc_cmd[@]}" -std=c11 -Wall -Wextra -Werror -pedantic $consumer_flags \
    consumer.c -o consumer-shared "${flags[@]}" || fail "compiling against the shared library failed"
  # (Outputs are captured before grep -q: with pipefail, a writer killed by
  # SIGPIPE when grep stops early would fail the pipeline.)
  dynamic=$(readelf -d consumer-shared) || fail "readelf -d consumer-shared failed"
  grep -q 'NEEDED.*\[libxmppim\.so' <<<"$dynamic" || fail "consumer-shared does not need libxmppim.so"
  loaded=$(LD_LIBRARY_PATH=$libdir ldd consumer-shared) || fail "ldd consumer-shared failed"
  grep -q "libxmppim\.so.* => $libdir/" <<<"$loaded" ||
    fail "consumer-shared does not load libxmppim.so from the install: $loaded"
  LD_LIBRARY_PATH=$libdir ./consumer-shared >out-shared || fail "consumer-shared exited with $?"
  check_output "consumer-shared" out-shared
  echo "ok: shared: $(tr '\n' ';' <out-shared)"
  built=$((built + 1))
fi

if [ "$XMPPIM_HAVE_STATIC" = 1 ]; then
  read -r -a flags <<<"$(pc --static --cflags --libs xmppim)"
  # Take libxmppim.a, not the .so beside it; the dependencies stay shared.
  found=0
  for i in "${!flags[@]}"; do
    if [ "${flags[i]}" = -lxmppim ]; then flags[i]=-l:libxmppim.a; found=1; fi
  done
  [ "$found" = 1 ] || fail "pkg-config --static --libs has no -lxmppim: ${flags[*]}"
  # shellcheck disable=SC2086
  "${cc_cmd[@]}" -std=c11 -Wall -Wextra -Werror -pedantic $consumer_flags \
    consumer.c -o consumer-static "${flags[@]}" || fail "compiling against the static library failed"
  dynamic=$(readelf -d consumer-static) || fail "readelf -d consumer-static failed"
  if grep -q 'NEEDED.*libxmppim' <<<"$dynamic"; then
    fail "consumer-static still needs libxmppim.so"
  fi
  env -u LD_LIBRARY_PATH ./consumer-static >out-static || fail "consumer-static exited with $?"
  check_output "consumer-static" out-static
  echo "ok: static: $(tr '\n' ';' <out-static)"
  built=$((built + 1))
fi

[ "$built" -gt 0 ] || fail "neither a shared nor a static library to check"
