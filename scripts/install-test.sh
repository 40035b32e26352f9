#!/usr/bin/env bash
# Checks `make install`: PREFIX and DESTDIR honoured, SONAME links, headers, and a libuv.pc
# with which `pkg-config --cflags --libs libuv` builds a program that runs on the library.
set -u
cd "$(dirname "$0")/.."
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
prefix=/opt/rsuv-test
pass=0; fail=0; n=0
check() { # NAME CMD...
  n=$((n + 1))
  if "${@:2}" >/dev/null 2>&1; then echo "ok $n - $1"; pass=$((pass + 1)); else echo "not ok $n - $1"; fail=$((fail + 1)); fi
}
echo "TAP version 13"
make --no-print-directory install DESTDIR="$dest" PREFIX="$prefix" >/dev/null
lib="$dest$prefix/lib"
check "libuv.so.1.0.0 installed" test -f "$lib/libuv.so.1.0.0"
check "libuv.so.1 -> libuv.so.1.0.0" test "$(readlink "$lib/libuv.so.1")" = libuv.so.1.0.0
check "libuv.so -> libuv.so.1" test "$(readlink "$lib/libuv.so")" = libuv.so.1
check "SONAME is libuv.so.1" sh -c "readelf -d '$lib/libuv.so.1.0.0' | grep -q 'SONAME.*\[libuv.so.1\]'"
check "headers: uv.h and uv/*.h" test -f "$dest$prefix/include/uv.h" -a -f "$dest$prefix/include/uv/errno.h" -a -f "$dest$prefix/include/uv/version.h" -a -f "$dest$prefix/include/uv/unix.h"
export PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
check "pkg-config knows libuv 1.52.1" test "$(pkg-config --modversion libuv)" = 1.52.1
check "a program builds with pkg-config --cflags --libs libuv" \
  sh -c "cc \$(pkg-config --cflags libuv) examples-c/hello_version.c \$(pkg-config --libs libuv) -o '$dest/hello'"
check "and runs on the installed library" \
  sh -c "LD_LIBRARY_PATH='$lib' '$dest/hello' | grep -q 'running on libuv 1.52.1'"
echo "1..$n"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
