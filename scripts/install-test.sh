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

# CMake: find_package(libuv) from a real prefix (the config holds absolute paths).
if command -v cmake >/dev/null; then
  prefix2="$dest/prefix"
  make --no-print-directory install PREFIX="$prefix2" >/dev/null
  proj="$dest/cmake-proj"
  mkdir -p "$proj"
  cp examples-c/hello_version.c "$proj/"
  cat > "$proj/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.10)
project(hello C)
find_package(libuv 1.40 REQUIRED)
add_executable(hello_shared hello_version.c)
target_link_libraries(hello_shared PRIVATE libuv::uv)
add_executable(hello_static hello_version.c)
target_link_libraries(hello_static PRIVATE libuv::uv_a)
CMAKE
  check "cmake: find_package(libuv 1.40) configures" \
    cmake -S "$proj" -B "$proj/build" -DCMAKE_PREFIX_PATH="$prefix2"
  check "cmake: libuv::uv and libuv::uv_a targets build" cmake --build "$proj/build"
  check "cmake: the shared build runs on libuv.so.1" \
    sh -c "LD_LIBRARY_PATH='$prefix2/lib' '$proj/build/hello_shared' | grep -q 'running on libuv 1.52.1'"
  check "cmake: the static build runs" sh -c "'$proj/build/hello_static' | grep -q 'running on libuv 1.52.1'"
  sed -i 's/libuv 1.40/libuv 2.0/' "$proj/CMakeLists.txt"
  check "cmake: find_package(libuv 2.0) is refused" \
    sh -c "! cmake -S '$proj' -B '$proj/build2' -DCMAKE_PREFIX_PATH='$prefix2'"
else
  echo "# cmake not installed: CMake package checks skipped"
fi
echo "1..$n"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
