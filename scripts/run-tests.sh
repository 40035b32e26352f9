#!/usr/bin/env bash
# Runs every test suite of rsuv and prints one closing line for all of them:
#   N passed, M failed
# Each suite prints its own TAP/cargo output; a suite that crashes counts as one failure.
set -u
cd "$(dirname "$0")/.."
LIB="$PWD/build/lib"
total_pass=0
total_fail=0
summary=()

# Runs a suite, then reads its own closing line ("N passed, M failed" or cargo's "test result").
run_suite() {
  local name="$1"; shift
  local log
  log=$(mktemp)
  echo "### $name"
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  local p f
  p=$(grep -E '^(# )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | sed -E 's/^(# )?([0-9]+) passed, ([0-9]+) failed.*/\2/')
  f=$(grep -E '^(# )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | sed -E 's/^(# )?([0-9]+) passed, ([0-9]+) failed.*/\3/')
  if [ -z "$p" ]; then
    # cargo test: sum every "test result: ok. N passed; M failed" line
    p=$(grep -E '^test result:' "$log" | sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1/' | awk '{s+=$1} END {print s+0}')
    f=$(grep -E '^test result:' "$log" | sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\2/' | awk '{s+=$1} END {print s+0}')
  fi
  p=${p:-0}; f=${f:-0}
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
  summary+=("$(printf '%-28s %5d passed %3d failed' "$name" "$p" "$f")")
  rm -f "$log"
}

run_suite "cargo test" cargo test --release --quiet
run_suite "header freshness" make --no-print-directory header-check
run_suite "ABI probe (C, our header)" build/tests/probe
run_suite "ABI probe (C++, our header)" build/tests/probe-cxx
run_suite "ABI probe (Debian header)" build/tests/probe-debian
run_suite "exported symbols" python3 c-tests/abi/check_symbols.py build/lib/libuv.so.1
run_suite "C tests (our header)" env LD_LIBRARY_PATH="$LIB" build/tests/c
run_suite "C++ tests (our header)" env LD_LIBRARY_PATH="$LIB" build/tests/cxx
run_suite "C tests (Debian header)" env LD_LIBRARY_PATH="$LIB" build/tests/debian
run_suite "examples with real clients" scripts/examples-test.sh "$LIB"
run_suite "make install, pkg-config, CMake" scripts/install-test.sh
run_suite "swap under system-built binaries" scripts/swap-test.sh

echo
echo "### summary"
for line in "${summary[@]}"; do echo "# $line"; done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
