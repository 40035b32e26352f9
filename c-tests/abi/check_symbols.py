#!/usr/bin/env python3
"""Compare a shared library's exported uv_* symbols with libuv 1.52.1.

    python3 c-tests/abi/check_symbols.py LIB.so [REFERENCE.json] [-v]
                                         [--require-all]

Prints "exported X/318" (X = reference functions the library defines) and
lists the missing ones.  Exit status 1 if the library
  - exports any uv_* symbol (function or data, including uv__*) that is not
    one of the reference functions, or
  - has a SONAME other than libuv.so.1, or
  - (with --require-all) lacks any reference function.
Uses nm -D --defined-only and readelf -d (binutils).
"""

import argparse
import json
import re
import subprocess
import sys

import os
# The reference list is kept in the repository, so this runs in a plain clone.
DEFAULT_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference-functions.json")
WANT_SONAME = "libuv.so.1"


def dynamic_symbols(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True)
    if out.returncode != 0:
        sys.exit("check_symbols: nm failed on %s: %s" % (lib, out.stderr))
    syms = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        kind, name = parts[-2], parts[-1]
        name = name.split("@")[0]  # strip symbol versions, if any
        syms[name] = kind
    return syms


def soname(lib):
    out = subprocess.run(["readelf", "-d", lib], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, universal_newlines=True)
    if out.returncode != 0:
        sys.exit("check_symbols: readelf failed on %s: %s" % (lib, out.stderr))
    m = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]*)\]", out.stdout)
    return m.group(1) if m else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("lib")
    ap.add_argument("json", nargs="?", default=DEFAULT_JSON)
    ap.add_argument("--require-all", action="store_true",
                    help="also fail if any reference function is missing")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="list the missing functions even when many")
    opts = ap.parse_args()

    with open(opts.json) as f:
        ref = json.load(f)
    want = set(ref["exported_functions"])
    newer = set(ref.get("functions_added_after_1.44.2", []))

    syms = dynamic_symbols(opts.lib)
    uv = {n: k for n, k in syms.items() if n.startswith("uv_")}
    have = sorted(n for n in uv if n in want)
    extra = sorted(n for n in uv if n not in want)
    # A reference function must be exported as code (T, or W/i).
    not_func = sorted(n for n in have if uv[n] not in ("T", "W", "i"))
    missing = sorted(want - set(have))
    so = soname(opts.lib)

    ok = True
    print("exported %d/%d" % (len(have), len(want)))
    if missing:
        m_new = [n for n in missing if n in newer]
        print("missing %d (%d of them added after 1.44.2)"
              % (len(missing), len(m_new)))
        if opts.verbose or len(missing) <= 40:
            for n in missing:
                print("  missing: %s%s" % (n, "  (after 1.44.2)"
                                           if n in newer else ""))
        if opts.require_all:
            ok = False
    for n in extra:
        print("ERROR: exports %s (%s), not a libuv 1.52.1 function"
              % (n, uv[n]))
        ok = False
    for n in not_func:
        print("ERROR: %s is exported with symbol type %s, not as a function"
              % (n, uv[n]))
        ok = False
    if so != WANT_SONAME:
        print("ERROR: SONAME is %s, expected %s"
              % ("missing" if so is None else so, WANT_SONAME))
        ok = False
    else:
        print("SONAME %s" % so)
    print("OK" if ok else "FAILED")
    # The closing line that scripts/run-tests.sh (and CI) reads: one check, the export set.
    print("%d passed, %d failed" % (1 if ok else 0, 0 if ok else 1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
