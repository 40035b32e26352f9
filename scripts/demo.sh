#!/usr/bin/env bash
# make demo: runs the example programs against the freshly built library.
set -eu
cd "$(dirname "$0")/.."
export LD_LIBRARY_PATH="$PWD/build/lib"
ulimit -n 4096 2>/dev/null || true  # 1000 connections on each side
for prog in hello_version async_progress thread_ping_pong; do
  echo "=== $prog"
  "build/examples/$prog"
done

# Accept on one loop, serve on four others: 1000 concurrent connections, each sending
# 64 KiB and checking that every byte comes back.
echo "=== thread_handoff_server + echo_client (1000 concurrent connections)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp)
build/examples/thread_handoff_server "$port" 4 1000 >"$log" 2>&1 &
server=$!
for _ in $(seq 1 100); do [ -s "$log" ] && break; sleep 0.05; done
build/examples/echo_client tcp 127.0.0.1 "$port" 1000 65536
wait "$server"
cat "$log"
rm -f "$log"
