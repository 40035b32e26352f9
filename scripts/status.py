#!/usr/bin/env python3
"""Prints the README's status table: functions exported by the built library per capability
of the roadmap, out of libuv v1.52.1's 318 (c-tests/abi/reference-functions.json)."""
import json, os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF = json.load(open(os.path.join(ROOT, "c-tests/abi/reference-functions.json")))["exported_functions"]

# Capability membership (../shared/ROADMAP.md): exact names, or prefixes ending in '*'.
CAPS = [
    ("C1", "foundation: types, errors, versions, allocator, accessors, clocks",
     "uv_version uv_version_string uv_strerror uv_strerror_r uv_err_name uv_err_name_r uv_translate_sys_error uv_buf_init uv_replace_allocator uv_library_shutdown uv_handle_size uv_req_size uv_handle_type_name uv_req_type_name uv_handle_get_data uv_handle_set_data uv_handle_get_loop uv_handle_get_type uv_req_get_data uv_req_set_data uv_req_get_type uv_loop_size uv_loop_get_data uv_loop_set_data uv_hrtime uv_clock_gettime uv_gettimeofday uv_sleep"),
    ("C2", "loop, timers, idle/prepare/check, async, threadpool, threads and sync",
     "uv_loop_init uv_loop_close uv_loop_new uv_loop_delete uv_default_loop uv_run uv_stop uv_loop_alive uv_now uv_update_time uv_backend_fd uv_backend_timeout uv_loop_configure uv_walk uv_print_all_handles uv_print_active_handles uv_close uv_ref uv_unref uv_has_ref uv_is_active uv_is_closing uv_timer_* uv_idle_* uv_prepare_* uv_check_* uv_async_init uv_async_send uv_queue_work uv_cancel uv_metrics_idle_time uv_metrics_info uv_thread_* uv_mutex_* uv_rwlock_* uv_sem_* uv_cond_* uv_barrier_* uv_key_* uv_once"),
    ("C3", "streams: TCP, pipes (IPC), TTY, poll, addresses",
     "uv_listen uv_accept uv_read_start uv_read_stop uv_write uv_write2 uv_try_write uv_try_write2 uv_shutdown uv_is_readable uv_is_writable uv_stream_set_blocking uv_stream_get_write_queue_size uv_fileno uv_send_buffer_size uv_recv_buffer_size uv_tcp_* uv_pipe uv_pipe_* uv_socketpair uv_guess_handle uv_tty_* uv_poll_* uv_ip4_addr uv_ip6_addr uv_ip4_name uv_ip6_name uv_ip_name uv_inet_ntop uv_inet_pton uv_if_indextoname uv_if_indextoiid"),
    ("C4", "UDP and DNS", "uv_udp_* uv_getaddrinfo uv_freeaddrinfo uv_getnameinfo"),
    ("C5", "filesystem", "uv_fs_* uv_cwd uv_chdir uv_exepath"),
    ("C6", "processes and signals",
     "uv_spawn uv_process_kill uv_process_get_pid uv_kill uv_disable_stdio_inheritance uv_signal_* uv_loop_fork uv_setup_args uv_get_process_title uv_set_process_title"),
    ("C7", "system information and utilities", "*"),
]

def members(spec, taken):
    out = set()
    for tok in spec.split():
        if tok == "*":
            out |= set(REF) - taken
        elif tok.endswith("*"):
            out |= {f for f in REF if f.startswith(tok[:-1])}
        else:
            out.add(tok)
    return out

def main():
    so = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/lib/libuv.so.1")
    nm = subprocess.run(["nm", "-D", "--defined-only", so], capture_output=True, text=True).stdout
    have = {l.split()[-1] for l in nm.splitlines() if l.split() and l.split()[-1].startswith("uv_")}
    taken, rows, total = set(), [], 0
    for cap, what, spec in CAPS:
        m = members(spec, taken) - taken
        taken |= m
        n = len(m & have)
        total += n
        rows.append("| %s | %s | %d / %d |" % (cap, what, n, len(m)))
    assert len(taken) == len(REF), (len(taken), len(REF))
    print("| # | capability | exported / total |")
    print("|---|---|---|")
    print("\n".join(rows))
    print("| | **total** | **%d / %d** |" % (total, len(REF)))

main()
