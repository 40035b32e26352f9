#!/usr/bin/env bash
# Runs each example server against the echo client (real connections on loopback) and checks
# that every byte came back and every server exited cleanly. TAP output, closing line
# "N passed, M failed". Usage: examples-test.sh [libdir]   (default: build/lib)
set -u
cd "$(dirname "$0")/.."
export LD_LIBRARY_PATH="${1:-$PWD/build/lib}"
EX=build/examples
pass=0; fail=0; n=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_ready LOG: waits (up to 5 s) until the server printed its first line.
wait_ready() {
  for _ in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.05; done
  return 1
}

# check NAME SERVER_CMD... -- CLIENT_ARGS...
check() {
  local name="$1"; shift
  local server=() client=()
  while [ "$1" != "--" ]; do server+=("$1"); shift; done; shift
  client=("$@")
  n=$((n + 1))
  local log="$tmp/$n.log"
  timeout 60 "${server[@]}" >"$log" 2>&1 &
  local pid=$!
  if ! wait_ready "$log"; then
    echo "not ok $n - $name (server did not start)"; cat "$log" | sed 's/^/# /'; fail=$((fail + 1))
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; return
  fi
  local cout; cout=$(timeout 60 "$EX/echo_client" "${client[@]}" 2>&1); local cst=$?
  wait "$pid"; local sst=$?
  if [ $cst -eq 0 ] && [ $sst -eq 0 ]; then
    echo "ok $n - $name"; pass=$((pass + 1))
  else
    echo "not ok $n - $name (client $cst, server $sst)"; fail=$((fail + 1))
  fi
  { echo "$cout"; cat "$log"; } | sed 's/^/# /'
}

echo "TAP version 13"
echo "1..5"
p=$(free_port); check "tcp echo server, 100 connections x 256 KiB" \
  "$EX/tcp_echo_server" "$p" 100 -- tcp 127.0.0.1 "$p" 100 262144
p=$(free_port); check "thread hand-off server (4 workers), 400 connections" \
  "$EX/thread_handoff_server" "$p" 4 400 -- tcp 127.0.0.1 "$p" 400 65536
p=$(free_port); check "REUSEPORT server (4 loops), 400 connections" \
  "$EX/reuseport_server" "$p" 4 400 -- tcp 127.0.0.1 "$p" 400 65536
check "unix socket echo server (path), 100 connections" \
  "$EX/unix_echo_server" "$tmp/echo.sock" 100 -- unix "$tmp/echo.sock" 100 65536
check "unix socket echo server (abstract), 50 connections x 1 MiB" \
  "$EX/unix_echo_server" "@rsuv-echo-$$" 50 -- unix "@rsuv-echo-$$" 50 1048576
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
