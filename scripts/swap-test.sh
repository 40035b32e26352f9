#!/usr/bin/env bash
# The drop-in claim, end to end: programs compiled against Debian's libuv (header
# /usr/include/uv.h and library /usr/lib/.../libuv.so.1) run with rsuv swapped in, unchanged.
set -u
cd "$(dirname "$0")/.."
RSUV="$PWD/build/lib/libuv.so.1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0; n=0
check() { # NAME CMD...
  n=$((n + 1))
  if "${@:2}" >"$tmp/out" 2>&1; then echo "ok $n - $1"; pass=$((pass + 1))
  else echo "not ok $n - $1"; sed 's/^/# /' "$tmp/out"; fail=$((fail + 1)); fi
}
echo "TAP version 13"
# Built against the system's libuv only: no -I, no -L of ours.
cc -O2 -pthread examples-c/hello_version.c -o "$tmp/hello" -luv
cc -O2 -pthread examples-c/thread_handoff_server.c -o "$tmp/handoff" -luv
check "binaries link the system libuv.so.1" sh -c "ldd '$tmp/hello' | grep -q 'libuv.so.1 => /.*lib.*/libuv.so.1'"
check "without a swap they run on the system libuv" sh -c "'$tmp/hello' | grep -vq 'running on libuv 1.52.1'"
check "LD_PRELOAD swaps rsuv in" sh -c "LD_PRELOAD='$RSUV' '$tmp/hello' | grep -q 'running on libuv 1.52.1'"
check "LD_LIBRARY_PATH swaps rsuv in" sh -c "LD_LIBRARY_PATH='$PWD/build/lib' '$tmp/hello' | grep -q 'running on libuv 1.52.1'"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
LD_PRELOAD="$RSUV" timeout 60 "$tmp/handoff" "$port" 4 200 >"$tmp/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do [ -s "$tmp/server.log" ] && break; sleep 0.05; done
check "the system-built hand-off server, on rsuv, serves 200 verified connections" \
  env LD_LIBRARY_PATH="$PWD/build/lib" build/examples/echo_client tcp 127.0.0.1 "$port" 200 65536
check "and exits cleanly after handing every connection to a worker" wait "$server"
echo "1..$n"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
