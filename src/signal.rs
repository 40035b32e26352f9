//! uv_signal_t: signals delivered as loop callbacks.
//!
//! Process-wide, each signal number that some started handle watches has one handler
//! installed (`sigaction`, `SA_RESTART`, every signal blocked while it runs). The handler
//! walks the handles started for that number, in every loop, and writes a 16-byte message
//! (handle, signum) into the signal pipe of each handle's loop, counting it in
//! `handle->caught_signals`. Each loop watches the read end of its pipe (`io::Kind::Signal`,
//! created lazily by the first uv_signal_init or start); reading a message runs the
//! handle's callback if the handle still watches that signal, and counts it in
//! `dispatched_signals`. When the last handle of a number stops, the disposition found
//! when the handler was installed is put back.
//!
//! The started handles of a signal number form a doubly linked list threaded through the
//! handle's private `tree_entry` (`rbe_left` = next, `rbe_right` = previous). The lists and
//! the saved dispositions are guarded by a spin lock that the handler can take: everyone
//! else blocks all signals on their thread before taking it, so the handler never spins
//! against its own thread, and the handler itself runs with every signal blocked. After
//! fork the child frees the lock (`pthread_atfork`): a thread that held it does not exist
//! there.
//!
//! Closing a handle removes it from its list first (so no new message can name it), then
//! takes any message already in the pipe for it out of the pipe: nothing dereferences the
//! handle after its close callback. Messages for other handles found on the way are written
//! back.

use crate::abi::*;
use crate::handle::{self, Flags};
use crate::io;
use crate::queue::{self, container_of};
use core::cell::UnsafeCell;
use core::ffi::c_int;
use core::mem::{size_of, MaybeUninit};
use core::ptr;
use core::sync::atomic::{AtomicBool, Ordering};

/// Signal numbers are 1..NSIG on Linux (64 signals).
const NSIG: usize = 65;

/// `handle->flags`: started with uv_signal_start_oneshot (libuv's bit).
const ONE_SHOT: Flags = Flags::TYPE_BIT1;

/// What the handler writes into a loop's signal pipe. Explicit padding: every byte written
/// is initialized.
#[repr(C)]
#[derive(Clone, Copy)]
struct Msg {
    handle: *mut uv_signal_t,
    signum: c_int,
    pad: c_int,
}

const MSG_SIZE: usize = size_of::<Msg>();
/// Writes up to PIPE_BUF bytes to a pipe are atomic; write-backs use whole chunks of this.
const WRITE_CHUNK: usize = libc::PIPE_BUF / MSG_SIZE;
/// Messages handled per readiness of the pipe (epoll is level-triggered: the rest wait).
const READ_BATCH: usize = 256;

/// The process-wide state, guarded by `LOCKED`.
struct Registry {
    /// First started handle of each signal number (NULL: none).
    heads: [*mut uv_signal_t; NSIG],
    /// The disposition our handler replaced, per signal number (valid while `installed`).
    saved: [libc::sigaction; NSIG],
    installed: [bool; NSIG],
}

struct Global(UnsafeCell<MaybeUninit<Registry>>);
// SAFETY: every access to the registry happens with `LOCKED` held.
unsafe impl Sync for Global {}

/// All-zero is a valid Registry (NULL pointers, false, zeroed C structs).
static REGISTRY: Global = Global(UnsafeCell::new(MaybeUninit::zeroed()));
static LOCKED: AtomicBool = AtomicBool::new(false);
static ATFORK: std::sync::Once = std::sync::Once::new();

#[inline]
fn errno() -> c_int {
    // SAFETY: errno is thread-local; reading it is async-signal-safe.
    unsafe { *libc::__errno_location() }
}

/// The registry; the caller holds `LOCKED`.
#[inline]
unsafe fn registry() -> *mut Registry {
    REGISTRY.0.get() as *mut Registry
}

/// Takes the spin lock. Callers have every signal blocked on their thread (the handler runs
/// with all signals blocked; `Lock::take` blocks them first). Async-signal-safe.
fn spin_acquire() {
    let mut spins = 0u32;
    while LOCKED
        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        spins = spins.wrapping_add(1);
        if spins % 64 == 0 {
            // SAFETY: a plain syscall; lets the holder run on a busy machine.
            unsafe { libc::sched_yield() };
        } else {
            core::hint::spin_loop();
        }
    }
}

fn spin_release() {
    LOCKED.store(false, Ordering::Release);
}

/// The lock, taken from ordinary (non-handler) code: all signals are blocked on this thread
/// until it is dropped.
struct Lock {
    mask: libc::sigset_t,
}

impl Lock {
    fn take() -> Lock {
        ATFORK.call_once(|| {
            // SAFETY: registers a plain function that only releases the lock.
            unsafe {
                libc::pthread_atfork(None, None, Some(fork_child));
            }
        });
        // SAFETY: sigset_t is plain data; pthread_sigmask only reads/writes these sets.
        let mask = unsafe {
            let mut all = MaybeUninit::<libc::sigset_t>::zeroed().assume_init();
            let mut old = MaybeUninit::<libc::sigset_t>::zeroed().assume_init();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
            old
        };
        spin_acquire();
        Lock { mask }
    }

    /// The registry, borrowed for as long as the lock is held.
    #[allow(clippy::mut_from_ref)]
    fn reg(&self) -> &mut Registry {
        // SAFETY: we hold the lock, and the handler (the only other accessor) cannot run on
        // this thread; one `&mut` at a time is handed out per critical section.
        unsafe { &mut *registry() }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        spin_release();
        // SAFETY: restores the mask saved by `take`.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.mask, ptr::null_mut()) };
    }
}

/// In the child after fork: the child has only the forking thread, so a lock held by any
/// other thread at the fork is free now. (Holding the lock across fork instead could
/// deadlock: a handler spinning on it may hold a libc lock that fork itself needs.)
/// Only an atomic store, so this is safe in children that go on to exec.
extern "C" fn fork_child() {
    spin_release();
}

/// The process-wide handler. Async-signal-safe: an atomic lock, write(2), plain loads and
/// stores. Runs with every signal blocked (sa_mask is full).
extern "C" fn handler(signum: c_int) {
    // SAFETY: the lock guards the lists; every listed handle and its loop are alive (a
    // handle leaves its list before it is closed and before its loop is closed).
    unsafe {
        let errno_p = libc::__errno_location();
        let saved_errno = *errno_p;
        spin_acquire();
        if signum > 0 && (signum as usize) < NSIG {
            let mut h = (*registry()).heads[signum as usize];
            while !h.is_null() {
                let msg = Msg {
                    handle: h,
                    signum,
                    pad: 0,
                };
                let fd = (*(*h).r#loop).signal_pipefd[1];
                let n = loop {
                    let n = libc::write(fd, &msg as *const Msg as *const libc::c_void, MSG_SIZE);
                    if n == -1 && *errno_p == libc::EINTR {
                        continue;
                    }
                    break n;
                };
                // A full pipe (EAGAIN) loses this one delivery, as in libuv.
                if n == MSG_SIZE as isize {
                    (*h).caught_signals = (*h).caught_signals.wrapping_add(1);
                }
                h = next(h);
            }
        }
        spin_release();
        *errno_p = saved_errno;
    }
}

#[inline]
unsafe fn next(h: *mut uv_signal_t) -> *mut uv_signal_t {
    // SAFETY: h is a listed handle.
    unsafe { (*h).tree_entry.rbe_left }
}

/// Appends h to the list of `signum`. Lock held.
unsafe fn link(r: &mut Registry, h: *mut uv_signal_t, signum: usize) {
    // SAFETY: h is a live handle not in any list; listed handles are alive.
    unsafe {
        (*h).tree_entry.rbe_left = ptr::null_mut();
        let mut last = r.heads[signum];
        if last.is_null() {
            (*h).tree_entry.rbe_right = ptr::null_mut();
            r.heads[signum] = h;
            return;
        }
        while !next(last).is_null() {
            last = next(last);
        }
        (*last).tree_entry.rbe_left = h;
        (*h).tree_entry.rbe_right = last;
    }
}

/// Removes h from the list of `signum`. Lock held.
unsafe fn unlink(r: &mut Registry, h: *mut uv_signal_t, signum: usize) {
    // SAFETY: h is in the list of signum; its neighbours are alive.
    unsafe {
        let n = (*h).tree_entry.rbe_left;
        let p = (*h).tree_entry.rbe_right;
        if p.is_null() {
            if r.heads[signum] == h {
                r.heads[signum] = n;
            }
        } else {
            (*p).tree_entry.rbe_left = n;
        }
        if !n.is_null() {
            (*n).tree_entry.rbe_right = p;
        }
        (*h).tree_entry.rbe_left = ptr::null_mut();
        (*h).tree_entry.rbe_right = ptr::null_mut();
    }
}

/// Whether every handle listed for `signum` is one-shot (false for an empty list).
unsafe fn only_oneshot(r: &Registry, signum: usize) -> bool {
    let mut h = r.heads[signum];
    if h.is_null() {
        return false;
    }
    // SAFETY: listed handles are alive.
    unsafe {
        while !h.is_null() {
            if !handle::flags(h as *const uv_handle_t).contains(ONE_SHOT) {
                return false;
            }
            h = next(h);
        }
    }
    true
}

/// Installs our handler for `signum` (resetting to the default after one delivery when
/// `oneshot`: only one-shot handles want it). The first install saves the disposition it
/// replaces. Lock held.
unsafe fn install(r: &mut Registry, signum: c_int, oneshot: bool) -> c_int {
    // SAFETY: sigaction with a fully initialized struct; signum is in 1..NSIG.
    unsafe {
        let mut sa: libc::sigaction = MaybeUninit::zeroed().assume_init();
        sa.sa_sigaction = handler as extern "C" fn(c_int) as libc::sighandler_t;
        libc::sigfillset(&mut sa.sa_mask);
        sa.sa_flags = libc::SA_RESTART | if oneshot { libc::SA_RESETHAND } else { 0 };
        let s = signum as usize;
        let old: *mut libc::sigaction = if r.installed[s] {
            ptr::null_mut()
        } else {
            &mut r.saved[s]
        };
        if libc::sigaction(signum, &sa, old) != 0 {
            return -errno();
        }
        r.installed[s] = true;
    }
    0
}

/// Puts back the disposition our handler replaced. Lock held.
unsafe fn uninstall(r: &mut Registry, signum: c_int) {
    let s = signum as usize;
    if !r.installed[s] {
        return;
    }
    // SAFETY: saved[s] was filled by the sigaction call that installed our handler.
    unsafe { libc::sigaction(signum, &r.saved[s], ptr::null_mut()) };
    r.installed[s] = false;
}

/// Creates the loop's signal pipe and starts watching it, once.
unsafe fn loop_pipe_init(l: *mut uv_loop_t) -> c_int {
    // SAFETY: l is a live loop on its own thread.
    unsafe {
        if (*l).signal_pipefd[0] != -1 {
            return 0;
        }
        let mut fds = [-1 as c_int; 2];
        if libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) != 0 {
            return -errno();
        }
        (*l).signal_pipefd = fds;
        let w: *mut uv__io_t = &mut (*l).signal_io_watcher;
        io::init(w, io::Kind::Signal, fds[0]);
        io::start(l, w, io::POLLIN);
    }
    0
}

/// Closes the loop's signal pipe (the watcher is unregistered first).
unsafe fn loop_pipe_close(l: *mut uv_loop_t) {
    // SAFETY: l is a live loop; no listed handle belongs to it any more, so no handler
    // writes to these descriptors.
    unsafe {
        if (*l).signal_pipefd[0] == -1 {
            return;
        }
        if !(*l).internal_fields.is_null() {
            io::close(l, &mut (*l).signal_io_watcher);
        }
        for fd in (*l).signal_pipefd {
            if fd != -1 {
                libc::close(fd);
            }
        }
        (*l).signal_pipefd = [-1, -1];
        (*l).signal_io_watcher.fd = -1;
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_signal_init(r#loop: *mut uv_loop_t, handle: *mut uv_signal_t) -> c_int {
    let (l, h) = (r#loop, handle);
    if l.is_null() || h.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: an initialized loop and writable handle memory.
    unsafe {
        if (*l).internal_fields.is_null() {
            return UV_EINVAL;
        }
        let err = loop_pipe_init(l);
        if err != 0 {
            return err;
        }
        handle::init(l, h as *mut uv_handle_t, UV_SIGNAL);
        (*h).signal_cb = None;
        (*h).signum = 0;
        (*h).tree_entry = uv__signal_tree_entry {
            rbe_left: ptr::null_mut(),
            rbe_right: ptr::null_mut(),
            rbe_parent: ptr::null_mut(),
            rbe_color: 0,
        };
        (*h).caught_signals = 0;
        (*h).dispatched_signals = 0;
    }
    0
}

/// Starts (or restarts) a handle; shared by the public functions and the child watcher.
pub unsafe fn start(h: *mut uv_signal_t, cb: uv_signal_cb, signum: c_int, oneshot: bool) -> c_int {
    if h.is_null() || cb.is_none() {
        return UV_EINVAL;
    }
    // SAFETY: h is an initialized signal handle of a live loop.
    unsafe {
        if (*h).r#type != UV_SIGNAL || handle::is_closing(h as *const uv_handle_t) {
            return UV_EINVAL;
        }
        if signum <= 0 || signum as usize >= NSIG {
            return UV_EINVAL;
        }
        // Already watching this signal: only the callback changes (no window in which a
        // delivery could be lost).
        if signum == (*h).signum {
            (*h).signal_cb = cb;
            return 0;
        }
        if (*h).signum != 0 {
            stop(h);
        }
        let err = loop_pipe_init((*h).r#loop);
        if err != 0 {
            return err;
        }
        let s = signum as usize;
        {
            let lock = Lock::take();
            let r = lock.reg();
            // Install when nobody watches the signal yet, or when only one-shot handles
            // do (their handler resets itself) and this one is not one-shot.
            if r.heads[s].is_null() || (!oneshot && only_oneshot(r, s)) {
                let err = install(r, signum, oneshot);
                if err != 0 {
                    return err;
                }
            }
            let hh = h as *mut uv_handle_t;
            if oneshot {
                handle::add_flags(hh, ONE_SHOT);
            } else {
                handle::clear_flags(hh, ONE_SHOT);
            }
            (*h).signum = signum;
            (*h).signal_cb = cb;
            link(r, h, s);
        }
        handle::start(h as *mut uv_handle_t);
    }
    0
}

/// Stops a handle: no more deliveries; the previous disposition comes back when no handle
/// watches the signal any more.
pub unsafe fn stop(h: *mut uv_signal_t) {
    // SAFETY: h is an initialized signal handle.
    unsafe {
        let signum = (*h).signum;
        if signum == 0 {
            return;
        }
        {
            let lock = Lock::take();
            let r = lock.reg();
            let s = signum as usize;
            unlink(r, h, s);
            if r.heads[s].is_null() {
                uninstall(r, signum);
            } else if !handle::flags(h as *const uv_handle_t).contains(ONE_SHOT)
                && only_oneshot(r, s)
            {
                // Only one-shot handles remain: the handler resets itself again. It was
                // installed successfully for this signal, so this cannot fail.
                install(r, signum, true);
            }
            (*h).signum = 0;
        }
        handle::stop(h as *mut uv_handle_t);
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_signal_start(
    handle: *mut uv_signal_t,
    signal_cb: uv_signal_cb,
    signum: c_int,
) -> c_int {
    // SAFETY: see start.
    unsafe { start(handle, signal_cb, signum, false) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_signal_start_oneshot(
    handle: *mut uv_signal_t,
    signal_cb: uv_signal_cb,
    signum: c_int,
) -> c_int {
    // SAFETY: see start.
    unsafe { start(handle, signal_cb, signum, true) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_signal_stop(handle: *mut uv_signal_t) -> c_int {
    let h = handle;
    // SAFETY: the program passes an initialized handle.
    unsafe {
        if h.is_null() || (*h).r#type != UV_SIGNAL {
            return UV_EINVAL;
        }
        stop(h);
    }
    0
}

/// Delivers one message read from the pipe.
unsafe fn deliver(msg: Msg) {
    let h = msg.handle;
    if h.is_null() {
        return;
    }
    // SAFETY: a message names a handle that was listed when it was written; a handle takes
    // its messages out of the pipe when it is closed, so h is alive (perhaps closing).
    unsafe {
        (*h).dispatched_signals = (*h).dispatched_signals.wrapping_add(1);
        if msg.signum != (*h).signum || handle::is_closing(h as *const uv_handle_t) {
            return; // stopped or restarted for another signal since
        }
        // A one-shot handle stops after its callback, even if the callback unwinds.
        let after = |h: *mut uv_signal_t| {
            if handle::flags(h as *const uv_handle_t).contains(ONE_SHOT)
                && (*h).signum == msg.signum
            {
                stop(h);
            }
        };
        let guard = crate::unwind::OnUnwind::new(h, after);
        if let Some(cb) = (*h).signal_cb {
            cb(h, msg.signum);
        }
        guard.disarm();
        after(h);
    }
}

/// The loop's signal pipe is readable.
pub unsafe fn io(_l: *mut uv_loop_t, w: *mut uv__io_t, _events: u32) {
    // SAFETY: w is the signal watcher of a live loop. One message per read: writes are
    // atomic 16-byte units, so each read gets exactly one, and a callback that unwinds
    // leaves the unread ones in the pipe.
    unsafe {
        let mut n = 0;
        while n < READ_BATCH {
            let fd = (*w).fd;
            if fd < 0 {
                return;
            }
            let mut msg = Msg {
                handle: ptr::null_mut(),
                signum: 0,
                pad: 0,
            };
            let r = libc::read(fd, &mut msg as *mut Msg as *mut libc::c_void, MSG_SIZE);
            if r == -1 && errno() == libc::EINTR {
                continue;
            }
            if r != MSG_SIZE as isize {
                return; // EAGAIN: empty
            }
            deliver(msg);
            n += 1;
        }
    }
}

/// Takes every message for `h` out of its loop's pipe, putting the others back.
unsafe fn drain_for(h: *mut uv_signal_t) {
    // SAFETY: h is a live handle of a live loop, no longer listed (no new messages).
    unsafe {
        let l = (*h).r#loop;
        let fd = (*l).signal_pipefd[0];
        if fd < 0 {
            return;
        }
        let mut keep: Vec<Msg> = Vec::new();
        let mut buf = [Msg {
            handle: ptr::null_mut(),
            signum: 0,
            pad: 0,
        }; 64];
        loop {
            let r = libc::read(
                fd,
                buf.as_mut_ptr() as *mut libc::c_void,
                size_of::<[Msg; 64]>(),
            );
            if r == -1 && errno() == libc::EINTR {
                continue;
            }
            if r <= 0 {
                break;
            }
            for m in &buf[..r as usize / MSG_SIZE] {
                if m.handle == h {
                    (*h).dispatched_signals = (*h).dispatched_signals.wrapping_add(1);
                } else {
                    keep.push(*m);
                }
            }
        }
        let wfd = (*l).signal_pipefd[1];
        for chunk in keep.chunks(WRITE_CHUNK) {
            loop {
                let r = libc::write(
                    wfd,
                    chunk.as_ptr() as *const libc::c_void,
                    chunk.len() * MSG_SIZE,
                );
                if r == -1 && errno() == libc::EINTR {
                    continue;
                }
                break;
            }
        }
    }
}

/// uv_close of a signal handle: stop it and make sure no message in the pipe names it.
pub unsafe fn close(h: *mut uv_signal_t) {
    // SAFETY: h is a live signal handle being closed on its loop's thread.
    unsafe {
        stop(h);
        // The lock taken by stop orders the handler's increments before this read.
        if (*h).caught_signals != (*h).dispatched_signals {
            drain_for(h);
        }
    }
}

/// Queues a delivery of the handle's current signal as if it had been caught (the process
/// module uses this to come back to exit statuses a callback left undelivered).
pub unsafe fn feed(h: *mut uv_signal_t) {
    // SAFETY: h is a live started handle; the lock keeps the handler's counting consistent.
    unsafe {
        let signum = (*h).signum;
        if signum == 0 {
            return;
        }
        let _lock = Lock::take();
        let msg = Msg {
            handle: h,
            signum,
            pad: 0,
        };
        let fd = (*(*h).r#loop).signal_pipefd[1];
        if libc::write(fd, &msg as *const Msg as *const libc::c_void, MSG_SIZE) == MSG_SIZE as isize
        {
            (*h).caught_signals = (*h).caught_signals.wrapping_add(1);
        }
    }
}

/// Calls `f` for every signal handle of the loop (the child watcher included).
unsafe fn for_each_signal_handle(l: *mut uv_loop_t, mut f: impl FnMut(*mut uv_signal_t)) {
    // SAFETY: l is live; f does not unlink handles from the handle queue.
    unsafe {
        let head: *mut uv__queue = &mut (*l).handle_queue;
        let mut q = queue::head(head);
        while q != head {
            let h = container_of!(q, uv_handle_t, handle_queue);
            q = queue::next(q);
            if (*h).r#type == UV_SIGNAL {
                f(h as *mut uv_signal_t);
            }
        }
    }
}

/// uv_loop_close: unlists every signal handle of the loop (only internal ones can be left)
/// and closes the signal pipe.
pub unsafe fn loop_close(l: *mut uv_loop_t) {
    // SAFETY: l is a live loop being closed on its thread.
    unsafe {
        if !(*l).handle_queue.next.is_null() {
            for_each_signal_handle(l, |h| stop(h));
        }
        loop_pipe_close(l);
    }
}

/// uv_loop_fork: the child gets its own signal pipe (the old one is shared with the
/// parent); messages still in the old pipe are the parent's.
pub unsafe fn loop_fork(l: *mut uv_loop_t) -> c_int {
    // SAFETY: l is a live loop of this (the child's only) thread. The descriptors change
    // with the lock held, so a handler never writes to a half-replaced pair; nothing that
    // may allocate runs under the lock.
    unsafe {
        let old = (*l).signal_pipefd;
        if old[0] == -1 {
            return 0;
        }
        io::close(l, &mut (*l).signal_io_watcher);
        let mut fds = [-1 as c_int; 2];
        let err = if libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) != 0 {
            -errno()
        } else {
            0
        };
        {
            let _lock = Lock::take();
            for fd in old {
                libc::close(fd);
            }
            (*l).signal_pipefd = fds;
            for_each_signal_handle(l, |h| {
                (*h).caught_signals = 0;
                (*h).dispatched_signals = 0;
            });
        }
        (*l).signal_io_watcher.fd = -1;
        if err != 0 {
            return err;
        }
        let w: *mut uv__io_t = &mut (*l).signal_io_watcher;
        io::init(w, io::Kind::Signal, fds[0]);
        io::start(l, w, io::POLLIN);
    }
    0
}
