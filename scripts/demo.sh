#!/usr/bin/env bash
# make demo: runs each example program against the freshly built library.
set -eu
cd "$(dirname "$0")/.."
export LD_LIBRARY_PATH="$PWD/build/lib"
for prog in hello_version async_progress thread_ping_pong; do
  echo "=== $prog"
  "build/examples/$prog"
done
