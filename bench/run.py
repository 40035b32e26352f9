#!/usr/bin/env python3
"""make bench: rsuv against Debian's libuv, same machine, same run.

Builds every bench/*.c twice from the same source:
  build/bench/libuv/NAME  Debian's /usr/include/uv.h, linked to Debian's libuv.so.1 (1.44.2)
  build/bench/rsuv/NAME   include/uv.h, linked to build/lib/libuv.so.1 (rsuv)
then, per scenario, runs one unrecorded warm-up of each (its VERSION/LIB lines are printed
as proof of which library ran), then PAIRS pairs alternately (libuv, rsuv, libuv, rsuv, ...)
with a fixed amount of work per run, and prints a table of medians, ratios and peak RSS,
plain and as markdown (also written to build/bench/results.md and results.json).

ratio = rsuv / libuv for higher-is-better metrics and libuv / rsuv for lower-is-better ones,
so ratio > 1 always means rsuv is better. Targets are reported, never enforced: the exit
status is non-zero only when a program fails (crash, failed check, wrong library, timeout).

  bench/run.py [--quick] [--pairs N] [--only REGEX] [--list]
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
OUT = os.path.join(ROOT, "build", "bench")
RSUV_LIB = os.path.join(ROOT, "build", "lib")
RSUV_VERSION = "1.52.1"
SYSTEM_HEADER = "/usr/include/uv.h"

# name, program, full-run arguments, quick-run arguments, target ratio (reported only)
SCENARIOS = [
    ("loop_count",       "loop_count",      ["4000000"],             ["800000"] ,            1.25),
    ("timers_1m",        "timers",          ["1000000"],             ["100000"],             1.25),
    ("async_pingpong_1", "async_pingpong",  ["1", "25000"],          ["1", "5000"],          1.25),
    ("async_pingpong_2", "async_pingpong",  ["2", "50000"],          ["2", "10000"],         1.25),
    ("async_pingpong_4", "async_pingpong",  ["4", "75000"],          ["4", "15000"],         1.25),
    ("async_pingpong_8", "async_pingpong",  ["8", "100000"],         ["8", "20000"],         1.25),
    ("async_pummel_1",   "async_pummel",    ["1", "200000"],         ["1", "40000"] ,         1.25),
    ("async_pummel_2",   "async_pummel",    ["2", "100000"],         ["2", "20000"] ,         1.25),
    ("async_pummel_4",   "async_pummel",    ["4", "40000"],          ["4", "8000"]  ,         1.25),
    ("async_pummel_8",   "async_pummel",    ["8", "20000"],          ["8", "4000"]  ,         1.25),
    ("million_async",    "million_async",   ["1000000", "2"],        ["200000", "2"],        1.25),
    ("queue_work_1",     "queue_work",      ["1", "30000"],          ["1", "6000"],          1.0),
    ("queue_work_100",   "queue_work",      ["100", "1000000"],      ["100", "200000"],      1.0),
    ("tcp_pingpong",     "tcp_pingpong",    ["100000"],              ["20000"],              1.25),
    ("tcp_pump_1",       "pump",            ["tcp", "1", "2000"],    ["tcp", "1", "400"],    1.0),
    ("tcp_pump_100",     "pump",            ["tcp", "100", "2000"],  ["tcp", "100", "400"],  1.0),
    ("pipe_pump_1",      "pump",            ["pipe", "1", "4000"],   ["pipe", "1", "800"],   1.0),
    ("tcp_write_batch",  "tcp_write_batch", ["1000000"],             ["200000"],             1.0),
    ("accept_handoff_4", "accept_handoff",  ["4", "20000", "50"],    ["4", "4000", "50"],    1.0),
    ("thread_create",    "thread_create",   ["20000"],               ["4000"],               1.0),
]

RUN_TIMEOUT = 300  # seconds per run

# Operations in one run (for --syscalls: syscalls per operation): program -> (f(args), name)
OPS = {
    "loop_count": (lambda a: int(a[0]), "iteration"),
    "timers": (lambda a: int(a[0]), "timer"),
    "async_pingpong": (lambda a: int(a[1]) // int(a[0]) * int(a[0]), "round trip"),
    "async_pummel": (lambda a: int(a[1]), "callback"),
    "million_async": (lambda a: int(a[0]) * int(a[1]), "callback"),
    "queue_work": (lambda a: int(a[1]), "request"),
    "tcp_pingpong": (lambda a: int(a[0]), "round trip"),
    "pump": (lambda a: int(a[2]), "MB"),
    "tcp_write_batch": (lambda a: int(a[0]), "write"),
    "accept_handoff": (lambda a: int(a[1]), "connection"),
    "thread_create": (lambda a: int(a[0]), "thread"),
}

# Syscalls counted by --syscalls (perf stat tracepoints; a short list keeps perf's setup fast).
SYSCALLS = ["read", "write", "readv", "writev", "sendmsg", "recvmsg", "sendto", "recvfrom",
            "epoll_wait", "epoll_pwait", "epoll_ctl", "futex", "sched_yield", "accept4",
            "connect", "socket", "close", "ioctl", "fcntl", "getsockopt", "setsockopt",
            "getsockname", "shutdown", "clone3", "mmap", "munmap", "madvise", "mprotect",
            "rt_sigprocmask", "prlimit64", "eventfd2", "pipe2", "nanosleep", "clock_nanosleep"]


def log(msg=""):
    print(msg, flush=True)


def build(cc):
    """Compiles each program twice (only when a source is newer than the binary)."""
    if not os.path.exists(os.path.join(RSUV_LIB, "libuv.so.1")):
        sys.exit("build/lib/libuv.so.1 is missing: run 'make lib' first")
    if not os.path.exists(SYSTEM_HEADER):
        sys.exit(f"{SYSTEM_HEADER} is missing: apt-get install libuv1-dev")
    cflags = ["-std=gnu11", "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-pthread"]
    header = os.path.join(BENCH, "bench.h")
    programs = sorted({s[1] for s in SCENARIOS})
    for side in ("libuv", "rsuv"):
        os.makedirs(os.path.join(OUT, side), exist_ok=True)
    for prog in programs:
        src = os.path.join(BENCH, prog + ".c")
        newest = max(os.path.getmtime(src), os.path.getmtime(header),
                     os.path.getmtime(os.path.join(BENCH, "run.py")))
        for side in ("libuv", "rsuv"):
            exe = os.path.join(OUT, side, prog)
            if side == "rsuv":
                # our header, our library; no rpath: the runs set LD_LIBRARY_PATH
                flags = ["-I" + os.path.join(ROOT, "include")]
                libs = ["-L" + RSUV_LIB, "-luv"]
                newest_side = max(newest, os.path.getmtime(os.path.join(ROOT, "include", "uv.h")))
            else:
                # Debian's header and library only: no -I, no -L into build/
                flags, libs = [], ["-luv"]
                newest_side = max(newest, os.path.getmtime(SYSTEM_HEADER))
            if os.path.exists(exe) and os.path.getmtime(exe) >= newest_side:
                continue
            cmd = [cc] + cflags + flags + ["-o", exe, src] + libs
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"compile failed: {' '.join(cmd)}\n{r.stdout}{r.stderr}")
    # The libuv binaries must not carry a RUNPATH/RPATH that could lead to build/lib.
    for prog in programs:
        r = subprocess.run(["readelf", "-d", os.path.join(OUT, "libuv", prog)],
                           capture_output=True, text=True)
        if "RPATH" in r.stdout or "RUNPATH" in r.stdout:
            sys.exit(f"build/bench/libuv/{prog} has an rpath")


def environments():
    base = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD")}
    rsuv = dict(base, LD_LIBRARY_PATH=RSUV_LIB)
    return {"libuv": base, "rsuv": rsuv}


class RunError(Exception):
    pass


def run_measured(side, prog, args, env):
    exe = os.path.join(OUT, side, prog)
    r_out, w_out = os.pipe()
    r_err, w_err = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.setsid()
            os.dup2(w_out, 1)
            os.dup2(w_err, 2)
            for fd in (r_out, w_out, r_err, w_err):
                os.close(fd)
            os.execve(exe, [exe] + args, env)
        finally:
            os._exit(127)
    os.close(w_out)
    os.close(w_err)
    out, err, timed_out = read_both(r_out, r_err, pid)
    _, status, ru = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    where = f"{side}/{prog} {' '.join(args)}"
    if timed_out:
        raise RunError(f"{where}: timed out after {RUN_TIMEOUT}s")
    if code != 0:
        tail = "\n".join(err.splitlines()[-10:])
        raise RunError(f"{where}: exit status {code}\n{tail}")
    m = re.search(r"^RESULT (\S+) (\S+) (\S+) ([01])$", out, re.M)
    v = re.search(r"^VERSION (\S+)$", out, re.M)
    lib = re.search(r"^LIB (.+)$", out, re.M)
    # Peak RSS: VmHWM printed by the program itself. (wait4's ru_maxrss would include the
    # pre-exec image of this forked Python process, about 12 MiB, and hide smaller peaks.)
    rss = re.search(r"^PEAK_RSS_KIB (\d+)$", out, re.M)
    if not (m and v and lib and rss):
        raise RunError(f"{where}: no RESULT/VERSION/LIB/PEAK_RSS_KIB line in output:\n{out}{err}")
    version, libpath = v.group(1), os.path.realpath(lib.group(1))
    ours = libpath.startswith(os.path.realpath(RSUV_LIB) + os.sep)
    if side == "rsuv" and (not ours or version != RSUV_VERSION):
        raise RunError(f"{where}: expected rsuv {RSUV_VERSION}, ran {version} from {libpath}")
    if side == "libuv" and (ours or version == RSUV_VERSION):
        raise RunError(f"{where}: expected Debian's libuv, ran {version} from {libpath}")
    return {"value": float(m.group(2)), "unit": m.group(3), "hib": m.group(4) == "1",
            "version": version, "lib": libpath, "rss": int(rss.group(1)), "cpu": ru.ru_utime + ru.ru_stime,
            "stderr": err.strip()}


def read_both(r_out, r_err, pid):
    """Reads stdout and stderr of the child until EOF (or the timeout, then kills it)."""
    import selectors
    sel = selectors.DefaultSelector()
    bufs = {r_out: [], r_err: []}
    for fd in bufs:
        sel.register(fd, selectors.EVENT_READ)
    deadline = time.monotonic() + RUN_TIMEOUT
    open_fds = set(bufs)
    timed_out = False
    while open_fds:
        left = deadline - time.monotonic()
        if left <= 0:
            os.killpg(pid, signal.SIGKILL)
            timed_out = True
            deadline = float("inf")
            continue
        for key, _ in sel.select(timeout=min(left, 1.0)):
            chunk = os.read(key.fd, 65536)
            if chunk:
                bufs[key.fd].append(chunk)
            else:
                sel.unregister(key.fd)
                os.close(key.fd)
                open_fds.discard(key.fd)
    return (b"".join(bufs[r_out]).decode(errors="replace"),
            b"".join(bufs[r_err]).decode(errors="replace"), timed_out)


def count_syscalls(side, prog, args, env):
    """One extra run under perf stat: {syscall: count, "total": all syscalls}."""
    exe = os.path.join(OUT, side, prog)
    events = ["raw_syscalls:sys_enter"] + ["syscalls:sys_enter_" + n for n in SYSCALLS]
    r = subprocess.run(["perf", "stat", "-x", ",", "-e", ",".join(events), "--", exe] + args,
                       env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    if r.returncode != 0 or "RESULT" not in r.stdout:
        raise RunError(f"perf stat failed for {side}/{prog}: {r.stderr.strip()[-300:]}")
    counts = {}
    for line in r.stderr.splitlines():
        f = line.split(",")
        if len(f) > 2 and f[2] in events:
            try:
                n = int(f[0])
            except ValueError:
                raise RunError(f"perf stat cannot count {f[2]}: {f[0]}")
            counts["total" if f[2] == events[0] else f[2][len("syscalls:sys_enter_"):]] = n
    return counts


def syscall_line(name, prog, args, counts):
    nops, unit = OPS[prog]
    ops = nops(args)
    parts = []
    for side in ("libuv", "rsuv"):
        c = counts[side]
        top = sorted(((v, k) for k, v in c.items() if k != "total" and v / ops >= 0.01),
                     reverse=True)[:6]
        detail = ", ".join(f"{k} {v / ops:.3g}" for v, k in top)
        parts.append(f"{side} {c['total'] / ops:.3g} ({detail})")
    return f"{name}, syscalls per {unit}: " + " | ".join(parts)


def fmt_value(v):
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e4:
        return f"{v / 1e3:.1f}k"
    if v >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}"


def fmt_rss(kib):
    return f"{kib / 1024:.1f} MiB"


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser(description="rsuv vs libuv benchmarks")
    ap.add_argument("--quick", action="store_true", help="5x less work per run, 5 pairs")
    ap.add_argument("--pairs", type=int, default=None,
                    help="libuv/rsuv pairs per scenario (default 7, quick 5)")
    ap.add_argument("--only", default=None, help="regex on scenario names")
    ap.add_argument("--list", action="store_true", help="list the scenarios and exit")
    ap.add_argument("--syscalls", action="store_true",
                    help="also count syscalls per operation (one extra run each, perf stat)")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    opts = ap.parse_args()
    pairs = opts.pairs or (5 if opts.quick else 7)
    scenarios = [s for s in SCENARIOS if not opts.only or re.search(opts.only, s[0])]
    if opts.list:
        for name, prog, full, quick, target in scenarios:
            log(f"{name:18} {prog} {' '.join(quick if opts.quick else full)}  (target {target})")
        return 0

    build(opts.cc)
    envs = environments()
    mode = "QUICK" if opts.quick else "full"
    log(f"rsuv bench ({mode}): {len(scenarios)} scenarios, {pairs} pairs each "
        f"(libuv, rsuv alternately), {os.cpu_count()} CPUs, load average {loadavg()}")
    started = time.monotonic()
    rows, failures, sys_lines = [], [], []
    for name, prog, full, quick, target in scenarios:
        args = quick if opts.quick else full
        t_s = time.monotonic()
        runs = {"libuv": [], "rsuv": []}
        try:
            # warm-up pair, not counted; it proves which library each binary runs on
            ident = {side: run_measured(side, prog, args, envs[side]) for side in runs}
            for _ in range(pairs):
                for side in ("libuv", "rsuv"):
                    runs[side].append(run_measured(side, prog, args, envs[side]))
        except RunError as e:
            failures.append(name)
            log(f"FAIL {name}: {e}")
            rows.append({"name": name, "failed": str(e).splitlines()[0]})
            continue
        unit, hib = runs["rsuv"][0]["unit"], runs["rsuv"][0]["hib"]
        med = {s: statistics.median(r["value"] for r in runs[s]) for s in runs}
        rss = {s: max(r["rss"] for r in runs[s]) for s in runs}
        # CPU seconds (user + system, all threads) for the same fixed work: less sensitive to
        # other load than wall-clock rates. > 1: rsuv used less CPU.
        cpu = {s: statistics.median(r["cpu"] for r in runs[s]) for s in runs}
        cpu_ratio = cpu["libuv"] / cpu["rsuv"] if cpu["rsuv"] > 0 else float("nan")
        ratio = med["rsuv"] / med["libuv"] if hib else med["libuv"] / med["rsuv"]
        pair_ratios = [(b["value"] / a["value"]) if hib else (a["value"] / b["value"])
                       for a, b in zip(runs["libuv"], runs["rsuv"])]
        spread = {s: (max(r["value"] for r in runs[s]) - min(r["value"] for r in runs[s]))
                  / med[s] for s in runs}
        row = {"name": name, "program": prog, "args": args, "unit": unit,
               "higher_is_better": hib, "libuv": med["libuv"], "rsuv": med["rsuv"],
               "ratio": ratio, "target": target, "rss_libuv_kib": rss["libuv"],
               "rss_rsuv_kib": rss["rsuv"], "pair_ratio_min": min(pair_ratios),
               "pair_ratio_max": max(pair_ratios), "spread_libuv": spread["libuv"],
               "spread_rsuv": spread["rsuv"], "cpu_libuv_s": cpu["libuv"],
               "cpu_rsuv_s": cpu["rsuv"], "cpu_ratio": cpu_ratio,
               "values_libuv": [r["value"] for r in runs["libuv"]],
               "values_rsuv": [r["value"] for r in runs["rsuv"]]}
        rows.append(row)
        if opts.syscalls:
            try:
                counts = {side: count_syscalls(side, prog, args, envs[side]) for side in runs}
                row["syscalls_libuv"], row["syscalls_rsuv"] = counts["libuv"], counts["rsuv"]
                sys_lines.append(syscall_line(name, prog, args, counts))
            except (RunError, OSError, subprocess.TimeoutExpired) as e:
                sys_lines.append(f"{name}: syscall count unavailable: {e}")
        log(f"{name:18} libuv {ident['libuv']['version']} ({ident['libuv']['lib']}) | "
            f"rsuv {ident['rsuv']['version']} ({ident['rsuv']['lib']})")
        log(f"{'':18} {fmt_value(med['libuv'])} vs {fmt_value(med['rsuv'])} {unit}: "
            f"ratio {ratio:.2f} (pairs {min(pair_ratios):.2f}..{max(pair_ratios):.2f}), "
            f"CPU {cpu['libuv']:.2f}s vs {cpu['rsuv']:.2f}s, "
            f"{time.monotonic() - t_s:.1f}s")

    elapsed = time.monotonic() - started
    text = plain_table(rows)
    md = markdown_table(rows, mode, pairs, elapsed)
    log()
    log(text)
    log(f"{len(rows) - len(failures)} scenarios in {elapsed:.0f}s; load average now {loadavg()}")
    if sys_lines:
        log()
        log("Syscalls per operation (one extra run of each under perf stat; top 6 shown):")
        for line in sys_lines:
            log("  " + line)
    log()
    log("Markdown (for the README's performance section):")
    log()
    log(md)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write(md + "\n")
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump({"mode": mode, "pairs": pairs, "seconds": elapsed, "cpus": os.cpu_count(),
                   "rows": rows}, f, indent=1)
    log(f"written: build/bench/results.md, build/bench/results.json")
    if failures:
        log(f"FAILED: {', '.join(failures)}")
        return 1
    return 0


def verdict(row):
    ratio = round(row["ratio"], 2)  # as printed
    if ratio < 1.0:
        return "below 1.0"
    if ratio < row["target"]:
        return f"below {row['target']:.2f}"
    return "ok"


def plain_table(rows):
    head = ("scenario", "unit", "libuv", "rsuv", "ratio", "pairs min..max", "CPU ratio",
            "RSS libuv", "RSS rsuv", "target")
    lines = [head]
    for r in rows:
        if "failed" in r:
            lines.append((r["name"], "FAILED", "", "", "", "", "", "", "", ""))
            continue
        unit = r["unit"] + ("" if r["higher_is_better"] else " (lower is better)")
        lines.append((r["name"], unit, fmt_value(r["libuv"]), fmt_value(r["rsuv"]),
                      f"{r['ratio']:.2f}", f"{r['pair_ratio_min']:.2f}..{r['pair_ratio_max']:.2f}",
                      f"{r['cpu_ratio']:.2f}",
                      fmt_rss(r["rss_libuv_kib"]), fmt_rss(r["rss_rsuv_kib"]),
                      f">= {r['target']:.2f}: {verdict(r)}"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip()
                     for line in lines)


def markdown_table(rows, mode, pairs, elapsed):
    out = ["| scenario | unit | libuv 1.44.2 | rsuv | rsuv/libuv | CPU libuv/rsuv "
           "| peak RSS libuv | peak RSS rsuv |",
           "|---|---|--:|--:|--:|--:|--:|--:|"]
    for r in rows:
        if "failed" in r:
            out.append(f"| {r['name']} | failed | | | | | | |")
            continue
        ratio = f"{r['ratio']:.2f}"
        if round(r["ratio"], 2) < 1.0:
            ratio = f"**{ratio}**"
        out.append(f"| {r['name']} | {r['unit']} | {fmt_value(r['libuv'])} | "
                   f"{fmt_value(r['rsuv'])} | {ratio} | {r['cpu_ratio']:.2f} | "
                   f"{fmt_rss(r['rss_libuv_kib'])} | "
                   f"{fmt_rss(r['rss_rsuv_kib'])} |")
    out.append("")
    out.append(f"Medians of {pairs} alternating runs each ({mode} work sizes, `make bench"
               f"{' QUICK=1' if mode == 'QUICK' else ''}`, {os.cpu_count()} CPUs, "
               f"{elapsed:.0f}s). Ratio > 1: rsuv is faster; bold: rsuv is slower. CPU libuv/rsuv: "
               f"median CPU seconds (user + system) for the same work; > 1: rsuv used less.")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
