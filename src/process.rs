//! Child processes: uv_spawn (fork and exec), exit statuses through SIGCHLD, kill.
//!
//! Spawning: everything the child needs (descriptors, argv, environment) is prepared in
//! the parent, because between fork and exec the child only makes async-signal-safe
//! calls. The child resets the classic signals to their default dispositions, moves its
//! stdio into place, changes directory and credentials, and execs; if any step fails it
//! writes the error code into a close-on-exec pipe, so the parent learns it synchronously:
//! end-of-file on that pipe means exec succeeded. The fork happens with most signals
//! blocked (no handler of ours runs in the child before the reset) and with the loop's
//! `cloexec_lock` held for writing, as in libuv.
//!
//! Exit statuses: the loop's internal `child_watcher` (a signal handle for SIGCHLD) is
//! started by the first spawn; on SIGCHLD every process of `loop->process_handles` is
//! polled with `waitpid(pid, WNOHANG)`, and the ones that exited get their exit callback.

use crate::abi::*;
use crate::handle::{self, Flags};
use crate::queue::{self, container_of};
use core::ffi::{c_char, c_int, c_uint};
use core::mem::MaybeUninit;
use core::ptr;

extern "C" {
    static mut environ: *mut *mut c_char;
}

/// `process->flags`: the child was reaped (`process->status` is valid), its exit callback
/// has not run yet.
const REAPED: Flags = Flags::TYPE_BIT0;

const KNOWN_FLAGS: c_uint = (UV_PROCESS_SETUID
    | UV_PROCESS_SETGID
    | UV_PROCESS_WINDOWS_VERBATIM_ARGUMENTS
    | UV_PROCESS_DETACHED
    | UV_PROCESS_WINDOWS_HIDE
    | UV_PROCESS_WINDOWS_HIDE_CONSOLE
    | UV_PROCESS_WINDOWS_HIDE_GUI
    | UV_PROCESS_WINDOWS_FILE_PATH_EXACT_NAME) as c_uint;

const STDIO_MODE: c_int = UV_IGNORE | UV_CREATE_PIPE | UV_INHERIT_FD | UV_INHERIT_STREAM;

#[inline]
fn errno() -> c_int {
    // SAFETY: errno is thread-local.
    unsafe { *libc::__errno_location() }
}

// ---- exit statuses ----

/// The child watcher's callback.
unsafe extern "C-unwind" fn on_sigchld(h: *mut uv_signal_t, _signum: c_int) {
    // SAFETY: h is loop->child_watcher of a live loop.
    unsafe { wait_children((*h).r#loop) }
}

/// Reaps the loop's children that exited and runs their exit callbacks.
unsafe fn wait_children(l: *mut uv_loop_t) {
    // SAFETY: l is a live loop on its thread; process_handles links live process handles.
    unsafe {
        let mut local = uv__queue {
            next: ptr::null_mut(),
            prev: ptr::null_mut(),
        };
        let done: *mut uv__queue = &mut local;
        queue::init(done);
        let head: *mut uv__queue = &mut (*l).process_handles;
        let mut q = queue::head(head);
        while q != head {
            let p = container_of!(q, uv_process_t, queue);
            q = queue::next(q);
            let ph = p as *mut uv_handle_t;
            if !handle::flags(ph).contains(REAPED) {
                let mut status: c_int = 0;
                let pid = loop {
                    let r = libc::waitpid((*p).pid, &mut status, libc::WNOHANG);
                    if r == -1 && errno() == libc::EINTR {
                        continue;
                    }
                    break r;
                };
                // 0: still running. -1 (ECHILD): someone else reaped it; nothing to report.
                if pid <= 0 {
                    continue;
                }
                (*p).status = status;
                handle::add_flags(ph, REAPED);
            }
            queue::remove(&mut (*p).queue);
            queue::insert_tail(done, &mut (*p).queue);
        }
        // If an exit callback unwinds, the processes not yet reported go back to the loop's
        // list (already reaped) and the child watcher is fed, so the next iteration reports
        // them.
        let guard = crate::unwind::OnUnwind::new((done, l), |(done, l)| {
            queue::prepend(done, &mut (*l).process_handles);
            crate::signal::feed(&mut (*l).child_watcher);
        });
        while !queue::is_empty(done) {
            let q = queue::head(done);
            queue::remove(q);
            queue::init(q);
            let p = container_of!(q, uv_process_t, queue);
            let ph = p as *mut uv_handle_t;
            handle::clear_flags(ph, REAPED);
            handle::stop(ph);
            let status = (*p).status;
            let exit_status = if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                0
            };
            let term_signal = if libc::WIFSIGNALED(status) {
                libc::WTERMSIG(status)
            } else {
                0
            };
            if let Some(cb) = (*p).exit_cb {
                cb(p, exit_status as i64, term_signal);
            }
        }
        guard.disarm();
    }
}

/// uv_close of a process handle. A child that has not exited is not reaped (as in libuv).
pub unsafe fn close(h: *mut uv_process_t) {
    // SAFETY: h is a live process handle being closed on its loop's thread.
    unsafe {
        queue::remove(&mut (*h).queue);
        queue::init(&mut (*h).queue);
        handle::clear_flags(h as *mut uv_handle_t, REAPED);
        handle::stop(h as *mut uv_handle_t);
        let l = (*h).r#loop;
        if queue::is_empty(&(*l).process_handles) {
            crate::signal::stop(&mut (*l).child_watcher);
        }
    }
}

// ---- spawning ----

/// What the child does between fork and exec, prepared by the parent.
struct Plan {
    file: *const c_char,
    argv: *const *mut c_char,
    env: *mut *mut c_char,
    cwd: *const c_char,
    flags: c_uint,
    uid: libc::uid_t,
    gid: libc::gid_t,
    /// Per stdio slot: [parent end, descriptor the child gets] (-1: none).
    fds: *mut [c_int; 2],
    nfds: usize,
}

/// Reports `err` (a negated errno) to the parent and exits. Async-signal-safe.
unsafe fn child_fail(error_fd: c_int, err: c_int) -> ! {
    // SAFETY: write(2) and _exit(2) only.
    unsafe {
        loop {
            let r = libc::write(error_fd, &err as *const c_int as *const libc::c_void, 4);
            if r == -1 && errno() == libc::EINTR {
                continue;
            }
            break;
        }
        libc::_exit(127)
    }
}

/// The child, from fork to exec. Only async-signal-safe calls; no allocation, no panics.
unsafe fn child(plan: &Plan, mut error_fd: c_int) -> ! {
    // SAFETY: we are the only thread of a fresh child; the plan's pointers are the parent's
    // (copied) memory, valid here.
    unsafe {
        let n = plan.nfds as c_int;
        // Keep the error pipe clear of the stdio slots.
        if error_fd < n {
            let d = libc::fcntl(error_fd, libc::F_DUPFD_CLOEXEC, n);
            if d == -1 {
                child_fail(error_fd, -errno());
            }
            error_fd = d;
        }

        // Default dispositions for the classic signals (the real-time ones belong to libc).
        let mut sa: libc::sigaction = MaybeUninit::zeroed().assume_init();
        sa.sa_sigaction = libc::SIG_DFL;
        for s in 1..32 {
            if s == libc::SIGKILL || s == libc::SIGSTOP {
                continue;
            }
            if libc::sigaction(s, &sa, ptr::null_mut()) != 0 {
                child_fail(error_fd, -errno());
            }
        }

        if plan.flags & UV_PROCESS_DETACHED as c_uint != 0 {
            libc::setsid();
        }

        // Move every source descriptor above the stdio slots first, so that filling one
        // slot never overwrites the source of another (e.g. swapping stdout and stderr).
        let fds = core::slice::from_raw_parts_mut(plan.fds, plan.nfds);
        for slot in fds.iter_mut() {
            if slot[1] >= 0 {
                let d = libc::fcntl(slot[1], libc::F_DUPFD_CLOEXEC, n);
                if d == -1 {
                    child_fail(error_fd, -errno());
                }
                slot[1] = d;
            }
        }
        for (i, slot) in fds.iter().enumerate() {
            let i = i as c_int;
            if slot[1] < 0 {
                if i >= 3 {
                    continue;
                }
                // stdin, stdout and stderr are /dev/null when not given.
                let mode = if i == 0 { libc::O_RDONLY } else { libc::O_RDWR };
                let d = libc::open(c"/dev/null".as_ptr(), mode);
                if d == -1 {
                    child_fail(error_fd, -errno());
                }
                if d != i {
                    if libc::dup2(d, i) == -1 {
                        child_fail(error_fd, -errno());
                    }
                    libc::close(d);
                }
                continue;
            }
            if libc::dup2(slot[1], i) == -1 {
                child_fail(error_fd, -errno());
            }
            if i <= 2 {
                // The child's stdio starts blocking, as programs expect.
                let fl = libc::fcntl(i, libc::F_GETFL);
                if fl != -1 && fl & libc::O_NONBLOCK != 0 {
                    libc::fcntl(i, libc::F_SETFL, fl & !libc::O_NONBLOCK);
                }
            }
        }

        if !plan.cwd.is_null() && libc::chdir(plan.cwd) != 0 {
            child_fail(error_fd, -errno());
        }

        let setuid = plan.flags & UV_PROCESS_SETUID as c_uint != 0;
        let setgid = plan.flags & UV_PROCESS_SETGID as c_uint != 0;
        if setuid || setgid {
            // Drop supplementary groups when we can (only root can); failure is fine.
            libc::setgroups(0, ptr::null());
        }
        if setgid && libc::setgid(plan.gid) != 0 {
            child_fail(error_fd, -errno());
        }
        if setuid && libc::setuid(plan.uid) != 0 {
            child_fail(error_fd, -errno());
        }

        // The PATH search of execvp uses the child's environment.
        if !plan.env.is_null() {
            environ = plan.env;
        }

        let mut empty: libc::sigset_t = MaybeUninit::zeroed().assume_init();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, ptr::null_mut());

        libc::execvp(plan.file, plan.argv as *const *const c_char);
        child_fail(error_fd, -errno())
    }
}

/// Forks and execs; returns the pid, or the error the child reported (the child is then
/// already reaped).
unsafe fn fork_exec(l: *mut uv_loop_t, plan: &Plan) -> Result<libc::pid_t, c_int> {
    // SAFETY: plain syscalls on descriptors we own; the child runs `child` only.
    unsafe {
        let mut ep = [-1 as c_int; 2];
        if libc::pipe2(ep.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            return Err(-errno());
        }

        // Block signals, except those that report program faults, so that no handler runs
        // in the child before it resets the dispositions.
        let mut block: libc::sigset_t = MaybeUninit::zeroed().assume_init();
        let mut old: libc::sigset_t = MaybeUninit::zeroed().assume_init();
        libc::sigfillset(&mut block);
        for s in [
            libc::SIGKILL,
            libc::SIGSTOP,
            libc::SIGTRAP,
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGILL,
            libc::SIGSYS,
            libc::SIGABRT,
            libc::SIGFPE,
        ] {
            libc::sigdelset(&mut block, s);
        }

        // No thread of the program may open a descriptor without close-on-exec meanwhile.
        libc::pthread_rwlock_wrlock(&mut (*l).cloexec_lock);
        libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut old);
        let pid = libc::fork();
        if pid == 0 {
            child(plan, ep[1]);
        }
        let fork_errno = errno();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, ptr::null_mut());
        libc::pthread_rwlock_unlock(&mut (*l).cloexec_lock);
        libc::close(ep[1]);

        if pid == -1 {
            libc::close(ep[0]);
            return Err(-fork_errno);
        }

        let mut code: c_int = 0;
        let r = loop {
            let r = libc::read(ep[0], &mut code as *mut c_int as *mut libc::c_void, 4);
            if r == -1 && errno() == libc::EINTR {
                continue;
            }
            break r;
        };
        let read_errno = errno();
        libc::close(ep[0]);
        if r == 0 {
            return Ok(pid); // close-on-exec closed the pipe: exec succeeded
        }
        // The child failed before exec and exits: reap it now.
        let mut status = 0;
        while libc::waitpid(pid, &mut status, 0) == -1 && errno() == libc::EINTR {}
        if r == 4 {
            Err(code)
        } else if r == -1 {
            Err(-read_errno)
        } else {
            Err(UV_EPIPE)
        }
    }
}

/// Prepares one stdio slot: `fds` = [parent end, descriptor for the child].
unsafe fn init_stdio(c: &uv_stdio_container_t, fds: &mut [c_int; 2]) -> c_int {
    // SAFETY: the container is the program's; streams it names are initialized handles.
    unsafe {
        match c.flags & STDIO_MODE {
            UV_IGNORE => 0,
            UV_CREATE_PIPE => {
                let s = c.data.stream;
                if s.is_null() || (*s).r#type != UV_NAMED_PIPE {
                    return UV_EINVAL;
                }
                // A socket pair, so IPC pipes can pass descriptors.
                let mut sv = [-1 as c_int; 2];
                if libc::socketpair(
                    libc::AF_UNIX,
                    libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
                    0,
                    sv.as_mut_ptr(),
                ) != 0
                {
                    return -errno();
                }
                let size: c_int = 64 * 1024;
                for fd in sv {
                    for opt in [libc::SO_RCVBUF, libc::SO_SNDBUF] {
                        libc::setsockopt(
                            fd,
                            libc::SOL_SOCKET,
                            opt,
                            &size as *const c_int as *const libc::c_void,
                            4,
                        );
                    }
                }
                *fds = sv;
                0
            }
            UV_INHERIT_FD | UV_INHERIT_STREAM => {
                let fd = if c.flags & UV_INHERIT_FD != 0 {
                    c.data.fd
                } else if c.data.stream.is_null() {
                    -1
                } else {
                    crate::stream::fd(c.data.stream)
                };
                if fd < 0 {
                    return UV_EINVAL;
                }
                fds[1] = fd;
                0
            }
            _ => UV_EINVAL,
        }
    }
}

/// After the spawn: the parent end of a created pipe becomes the program's stream.
unsafe fn open_stream(c: &uv_stdio_container_t, fds: &mut [c_int; 2]) -> c_int {
    // SAFETY: as init_stdio; fds are the pair init_stdio created.
    unsafe {
        if c.flags & STDIO_MODE != UV_CREATE_PIPE || fds[0] < 0 {
            return 0;
        }
        libc::close(fds[1]);
        fds[1] = -1;
        crate::stream::set_nonblock(fds[0], true);
        // The child writes what we read, and reads what we write.
        let mut f = Flags::empty();
        if c.flags & UV_WRITABLE_PIPE != 0 {
            f |= Flags::READABLE;
        }
        if c.flags & UV_READABLE_PIPE != 0 {
            f |= Flags::WRITABLE;
        }
        let err = crate::stream::open(c.data.stream, fds[0], f);
        if err == 0 {
            fds[0] = -1; // the stream owns it now
        }
        err
    }
}

/// Closes what the spawn created and still owns (never the program's inherited fds).
unsafe fn close_created(o: &uv_process_options_t, fds: &mut [[c_int; 2]]) {
    // SAFETY: the descriptors in fds were created by init_stdio (or are -1).
    unsafe {
        for (i, slot) in fds.iter_mut().enumerate() {
            if (i as c_int) < o.stdio_count {
                let c = &*o.stdio.add(i);
                if c.flags & (UV_INHERIT_FD | UV_INHERIT_STREAM) != 0 {
                    continue;
                }
            }
            for fd in slot.iter_mut() {
                if *fd >= 0 {
                    libc::close(*fd);
                    *fd = -1;
                }
            }
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_spawn(
    r#loop: *mut uv_loop_t,
    handle: *mut uv_process_t,
    options: *const uv_process_options_t,
) -> c_int {
    let (l, p) = (r#loop, handle);
    if l.is_null() || p.is_null() || options.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: an initialized loop, writable handle memory, the program's options (their
    // arrays are as long as they say).
    unsafe {
        let o = &*options;
        if (*l).internal_fields.is_null()
            || o.file.is_null()
            || o.flags & !KNOWN_FLAGS != 0
            || o.stdio_count < 0
            || (o.stdio_count > 0 && o.stdio.is_null())
        {
            return UV_EINVAL;
        }
        let nstdio = o.stdio_count as usize;

        let ph = p as *mut uv_handle_t;
        handle::init(l, ph, UV_PROCESS);
        queue::init(&mut (*p).queue);
        (*p).status = 0;
        (*p).pid = 0;
        (*p).exit_cb = None;

        let mut fds = vec![[-1 as c_int; 2]; nstdio.max(3)];
        // A failure before the fork leaves the handle as if never initialized.
        let fail_early = |fds: &mut [[c_int; 2]], err: c_int| -> c_int {
            close_created(o, fds);
            queue::remove(&mut (*ph).handle_queue);
            queue::init(&mut (*ph).handle_queue);
            err
        };
        for i in 0..nstdio {
            let err = init_stdio(&*o.stdio.add(i), &mut fds[i]);
            if err != 0 {
                return fail_early(&mut fds, err);
            }
        }

        let err = crate::signal::start(
            &mut (*l).child_watcher,
            Some(on_sigchld),
            libc::SIGCHLD,
            false,
        );
        if err != 0 {
            return fail_early(&mut fds, err);
        }

        let fallback_argv = [o.file as *mut c_char, ptr::null_mut()];
        let plan = Plan {
            file: o.file,
            argv: if o.args.is_null() {
                fallback_argv.as_ptr()
            } else {
                o.args
            },
            env: o.env,
            cwd: o.cwd,
            flags: o.flags,
            uid: o.uid,
            gid: o.gid,
            fds: fds.as_mut_ptr(),
            nfds: fds.len(),
        };
        let exec_err = match fork_exec(l, &plan) {
            Ok(pid) => {
                // Registered even if a stream below fails to open, so the child is reaped.
                (*p).pid = pid;
                (*p).exit_cb = o.exit_cb;
                queue::insert_tail(&mut (*l).process_handles, &mut (*p).queue);
                handle::start(ph);
                0
            }
            Err(e) => e,
        };

        // The program's pipes are opened even when exec failed (libuv does the same).
        for i in 0..nstdio {
            let err = open_stream(&*o.stdio.add(i), &mut fds[i]);
            if err != 0 {
                close_created(o, &mut fds);
                return err;
            }
        }
        close_created(o, &mut fds);
        // Nothing to wait for after a failed exec: SIGCHLD goes back to its disposition.
        if exec_err != 0 && queue::is_empty(&(*l).process_handles) {
            crate::signal::stop(&mut (*l).child_watcher);
        }
        exec_err
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_process_kill(process: *mut uv_process_t, signum: c_int) -> c_int {
    if process.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: the program passes a process handle.
    let pid = unsafe { (*process).pid };
    // Never spawned: kill(0, ...) would signal our own process group.
    if pid <= 0 {
        return UV_ESRCH;
    }
    uv_kill(pid, signum)
}

#[no_mangle]
pub extern "C" fn uv_kill(pid: c_int, signum: c_int) -> c_int {
    // SAFETY: kill(2) has no memory arguments.
    if unsafe { libc::kill(pid, signum) } != 0 {
        return -errno();
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_process_get_pid(process: *const uv_process_t) -> uv_pid_t {
    // SAFETY: a non-NULL process handle (caller's contract).
    match unsafe { process.as_ref() } {
        Some(p) => p.pid,
        None => 0,
    }
}

#[no_mangle]
pub extern "C" fn uv_disable_stdio_inheritance() {
    // Close-on-exec on every descriptor from 0 up, stopping at the first one past 15 that
    // is not open (libuv's bound): inherited stdio of a parent is not passed on.
    let mut fd: c_int = 0;
    loop {
        // SAFETY: fcntl on a descriptor number; an unopened one gives EBADF.
        let ok = unsafe {
            let fl = libc::fcntl(fd, libc::F_GETFD);
            fl != -1 && libc::fcntl(fd, libc::F_SETFD, fl | libc::FD_CLOEXEC) != -1
        };
        if !ok && fd > 15 {
            break;
        }
        fd += 1;
    }
}
