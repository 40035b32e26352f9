//! TTY handles (a stream over a terminal), terminal modes, and uv_guess_handle.
//!
//! uv_tty_init: a pty slave (or any terminal that is not a pty master) is reopened through
//! its name, so that the handle owns a file description of its own: making it non-blocking
//! then does not surprise other processes sharing the original description (`prog | cat`).
//! As libuv does, the reopened description is also installed on the program's fd (dup3),
//! which keeps its number, and the handle works on the new fd. When reopening is not
//! possible (a pty master, no name), the fd stays blocking and writes are blocking
//! (`Flags::BLOCKING_WRITES`); reads still go through the loop.
//!
//! Modes: the first switch away from NORMAL saves the terminal's settings in the handle
//! (`orig_termios`) and, once per process, in a process-wide copy that uv_tty_reset_mode
//! restores. That copy is guarded by a one-word spin lock only: uv_tty_reset_mode must be
//! callable from a signal handler, so it only tries the lock (UV_EBUSY if held) and calls
//! tcsetattr. Closing the handle whose fd owns the saved copy restores it, as libuv does.

use crate::abi::*;
use crate::handle::Flags;
use crate::stream::{self, last_errno};
use core::cell::UnsafeCell;
use core::ffi::{c_char, c_int};
use core::mem::size_of;
use core::sync::atomic::{AtomicBool, Ordering};

/// What kind of handle suits an fd: a terminal, a file, a pipe or socket, ...
pub fn guess_handle(fd: c_int) -> uv_handle_type {
    if fd < 0 {
        return UV_UNKNOWN_HANDLE;
    }
    // SAFETY: isatty/fstat/getsockname/getsockopt on an fd with local out-buffers.
    unsafe {
        if libc::isatty(fd) != 0 {
            return UV_TTY;
        }
        let mut st: libc::stat = core::mem::zeroed();
        if libc::fstat(fd, &mut st) != 0 {
            return UV_UNKNOWN_HANDLE;
        }
        match st.st_mode & libc::S_IFMT {
            libc::S_IFREG | libc::S_IFCHR => return UV_FILE,
            libc::S_IFIFO => return UV_NAMED_PIPE,
            libc::S_IFSOCK => {}
            _ => return UV_UNKNOWN_HANDLE,
        }
        let mut ss: libc::sockaddr_storage = core::mem::zeroed();
        let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        if libc::getsockname(fd, &mut ss as *mut _ as *mut libc::sockaddr, &mut len) != 0 {
            return UV_UNKNOWN_HANDLE;
        }
        let mut ty: c_int = 0;
        let mut tlen = size_of::<c_int>() as libc::socklen_t;
        if libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            &mut ty as *mut c_int as *mut _,
            &mut tlen,
        ) != 0
        {
            return UV_UNKNOWN_HANDLE;
        }
        let fam = ss.ss_family as c_int;
        let inet = fam == libc::AF_INET || fam == libc::AF_INET6;
        if ty == libc::SOCK_DGRAM && inet {
            return UV_UDP;
        }
        if ty == libc::SOCK_STREAM {
            if inet {
                return UV_TCP;
            }
            if fam == libc::AF_UNIX {
                return UV_NAMED_PIPE;
            }
        }
        UV_UNKNOWN_HANDLE
    }
}

#[no_mangle]
pub extern "C" fn uv_guess_handle(file: uv_file) -> uv_handle_type {
    guess_handle(file)
}

// ---- the process-wide saved settings ----

/// The terminal settings uv_tty_reset_mode restores, and the fd they belong to (-1: none).
struct Saved {
    lock: AtomicBool,
    inner: UnsafeCell<SavedInner>,
}

struct SavedInner {
    fd: c_int,
    termios: libc::termios,
}

// SAFETY: `inner` is only touched by the holder of `lock` (see `with_lock`/`try_with_lock`).
unsafe impl Sync for Saved {}

const ZERO_TERMIOS: libc::termios = libc::termios {
    c_iflag: 0,
    c_oflag: 0,
    c_cflag: 0,
    c_lflag: 0,
    c_line: 0,
    c_cc: [0; libc::NCCS],
    c_ispeed: 0,
    c_ospeed: 0,
};

static SAVED: Saved = Saved {
    lock: AtomicBool::new(false),
    inner: UnsafeCell::new(SavedInner {
        fd: -1,
        termios: ZERO_TERMIOS,
    }),
};

impl Saved {
    /// Runs `f` holding the lock, spinning while another thread holds it.
    fn with_lock<R>(&self, f: impl FnOnce(&mut SavedInner) -> R) -> R {
        while self
            .lock
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            core::hint::spin_loop();
        }
        // SAFETY: we hold the lock, so nobody else references `inner`.
        let r = f(unsafe { &mut *self.inner.get() });
        self.lock.store(false, Ordering::Release);
        r
    }

    /// Runs `f` holding the lock if it is free; None if it is held (async-signal-safe).
    fn try_with_lock<R>(&self, f: impl FnOnce(&mut SavedInner) -> R) -> Option<R> {
        if self.lock.swap(true, Ordering::Acquire) {
            return None;
        }
        // SAFETY: we hold the lock, so nobody else references `inner`.
        let r = f(unsafe { &mut *self.inner.get() });
        self.lock.store(false, Ordering::Release);
        Some(r)
    }
}

// ---- termios ----

/// tcsetattr, retried on EINTR; 0 or a negative errno.
fn tcsetattr(fd: c_int, how: c_int, t: &libc::termios) -> c_int {
    loop {
        // SAFETY: t is a valid termios; tcsetattr only reads it.
        if unsafe { libc::tcsetattr(fd, how, t) } == 0 {
            return 0;
        }
        let e = last_errno();
        if e != libc::EINTR {
            return -e;
        }
    }
}

/// tcgetattr, retried on EINTR; 0 or a negative errno.
fn tcgetattr(fd: c_int, t: &mut libc::termios) -> c_int {
    loop {
        // SAFETY: t is a writable termios.
        if unsafe { libc::tcgetattr(fd, t) } == 0 {
            return 0;
        }
        let e = last_errno();
        if e != libc::EINTR {
            return -e;
        }
    }
}

/// RAW_VT is RAW on Unix; anything else outside NORMAL/RAW/IO is None.
fn normalize_mode(mode: uv_tty_mode_t) -> Option<uv_tty_mode_t> {
    match mode {
        UV_TTY_MODE_NORMAL | UV_TTY_MODE_RAW | UV_TTY_MODE_IO => Some(mode),
        UV_TTY_MODE_RAW_VT => Some(UV_TTY_MODE_RAW),
        _ => None,
    }
}

/// The settings for `mode` (already normalized), derived from the terminal's original ones.
///
/// RAW: no line editing, echo, signals or input translation, 8-bit characters, reads
/// return after one byte; output processing (and NL -> CR NL) stays on. IO: cfmakeraw,
/// which also turns output processing off.
fn termios_for(mode: uv_tty_mode_t, orig: &libc::termios) -> libc::termios {
    let mut t = *orig;
    match mode {
        UV_TTY_MODE_RAW => {
            t.c_iflag &= !(libc::BRKINT | libc::ICRNL | libc::INPCK | libc::ISTRIP | libc::IXON);
            t.c_oflag |= libc::ONLCR;
            t.c_cflag |= libc::CS8;
            t.c_lflag &= !(libc::ECHO | libc::ICANON | libc::IEXTEN | libc::ISIG);
            t.c_cc[libc::VMIN] = 1;
            t.c_cc[libc::VTIME] = 0;
        }
        UV_TTY_MODE_IO => {
            // SAFETY: cfmakeraw only edits the termios it is given.
            unsafe { libc::cfmakeraw(&mut t) };
        }
        _ => {}
    }
    t
}

// ---- the API ----

unsafe fn is_tty(t: *const uv_tty_t) -> bool {
    // SAFETY: t is non-NULL memory passed as a handle.
    !t.is_null() && unsafe { (*t).r#type } == UV_TTY
}

/// Whether `fd` is not a pty master: a master cannot be reopened (opening its name would
/// give the slave side, or a fresh pair).
fn is_not_pty_master(fd: c_int) -> bool {
    let mut n: libc::c_uint = 0;
    // SAFETY: TIOCGPTN writes one unsigned int to a local.
    unsafe { libc::ioctl(fd, libc::TIOCGPTN, &mut n as *mut libc::c_uint) != 0 }
}

/// Opens the terminal `fd` refers to again, by name, with access mode `acc`: a new fd
/// (close-on-exec, not becoming the controlling terminal), or None.
fn reopen(fd: c_int, acc: c_int) -> Option<c_int> {
    if !is_not_pty_master(fd) {
        return None;
    }
    let mut path = [0 as c_char; 256];
    // SAFETY: ttyname_r writes at most path.len() bytes, NUL included, into path.
    if unsafe { libc::ttyname_r(fd, path.as_mut_ptr(), path.len()) } != 0 {
        return None;
    }
    // SAFETY: path is NUL-terminated (ttyname_r succeeded).
    let r = unsafe { libc::open(path.as_ptr(), acc | libc::O_NOCTTY | libc::O_CLOEXEC) };
    (r >= 0).then_some(r)
}

#[no_mangle]
pub unsafe extern "C" fn uv_tty_init(
    r#loop: *mut uv_loop_t,
    tty: *mut uv_tty_t,
    fd: uv_file,
    _unused: c_int,
) -> c_int {
    if r#loop.is_null() || tty.is_null() {
        return UV_EINVAL;
    }
    // Files (and character devices that are not terminals) cannot be watched by epoll.
    let ty = guess_handle(fd);
    if ty == UV_FILE || ty == UV_UNKNOWN_HANDLE {
        return UV_EINVAL;
    }
    let fl = loop {
        // SAFETY: F_GETFL on an fd.
        let r = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        if r != -1 || last_errno() != libc::EINTR {
            break r;
        }
    };
    if fl == -1 {
        return -last_errno();
    }
    let acc = fl & libc::O_ACCMODE;
    let mut flags = Flags::empty();
    let mut fd = fd;
    if ty == UV_TTY {
        match reopen(fd, acc) {
            Some(newfd) => {
                // The program's fd now shares the new description too (it keeps its
                // number); the handle owns `newfd`.
                // SAFETY: dup3 on two fds; newfd is ours to close on failure.
                unsafe {
                    if libc::dup3(newfd, fd, libc::O_CLOEXEC) == -1 {
                        let e = last_errno();
                        // EINVAL: newfd == fd, the original fd was closed meanwhile.
                        if e != libc::EINVAL {
                            libc::close(newfd);
                            return -e;
                        }
                    }
                }
                fd = newfd;
            }
            None => {
                if acc != libc::O_RDONLY {
                    flags |= Flags::BLOCKING_WRITES;
                }
            }
        }
    }
    // SAFETY: an initialized loop and the program's handle memory.
    unsafe {
        stream::init(r#loop, tty as *mut uv_stream_t, UV_TTY);
        if !flags.contains(Flags::BLOCKING_WRITES) {
            // As libuv, a failure here is not reported: reads still work through epoll.
            let _ = stream::set_nonblock(fd, true);
        }
        if acc != libc::O_WRONLY {
            flags |= Flags::READABLE;
        }
        if acc != libc::O_RDONLY {
            flags |= Flags::WRITABLE;
        }
        // Cannot fail: the freshly initialized stream has no fd yet.
        let _ = stream::open(tty as *mut uv_stream_t, fd, flags);
        (*tty).mode = UV_TTY_MODE_NORMAL;
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_tty_set_mode(tty: *mut uv_tty_t, mode: uv_tty_mode_t) -> c_int {
    // SAFETY: the program passes an initialized TTY handle.
    unsafe {
        if !is_tty(tty) {
            return UV_EINVAL;
        }
        // libuv aborts on an unknown mode; we refuse it.
        let Some(mode) = normalize_mode(mode) else {
            return UV_EINVAL;
        };
        if (*tty).mode == mode {
            return 0;
        }
        let fd = (*tty).io_watcher.fd;
        if (*tty).mode == UV_TTY_MODE_NORMAL {
            let err = tcgetattr(fd, &mut (*tty).orig_termios);
            if err != 0 {
                return err;
            }
            let orig = (*tty).orig_termios;
            SAVED.with_lock(|s| {
                if s.fd == -1 {
                    s.fd = fd;
                    s.termios = orig;
                }
            });
        }
        let t = termios_for(mode, &(*tty).orig_termios);
        // Applied once queued output is written.
        let err = tcsetattr(fd, libc::TCSADRAIN, &t);
        if err == 0 {
            (*tty).mode = mode;
        }
        err
    }
}

/// Restores the settings saved by the first uv_tty_set_mode away from NORMAL.
/// Async-signal-safe: one atomic swap, one tcsetattr; errno is preserved.
#[no_mangle]
pub extern "C" fn uv_tty_reset_mode() -> c_int {
    let saved_errno = last_errno();
    let r = SAVED
        .try_with_lock(|s| {
            if s.fd == -1 {
                0
            } else {
                tcsetattr(s.fd, libc::TCSANOW, &s.termios)
            }
        })
        .unwrap_or(UV_EBUSY);
    // SAFETY: errno is thread-local.
    unsafe { *libc::__errno_location() = saved_errno };
    r
}

#[no_mangle]
pub unsafe extern "C" fn uv_tty_get_winsize(
    tty: *mut uv_tty_t,
    width: *mut c_int,
    height: *mut c_int,
) -> c_int {
    // SAFETY: the program passes an initialized TTY handle and two writable ints.
    unsafe {
        if !is_tty(tty) || width.is_null() || height.is_null() {
            return UV_EINVAL;
        }
        let mut ws: libc::winsize = core::mem::zeroed();
        loop {
            if libc::ioctl((*tty).io_watcher.fd, libc::TIOCGWINSZ, &mut ws) == 0 {
                break;
            }
            let e = last_errno();
            if e != libc::EINTR {
                return -e;
            }
        }
        *width = ws.ws_col as c_int;
        *height = ws.ws_row as c_int;
    }
    0
}

/// Windows only: on Unix there is no virtual terminal state to set.
#[no_mangle]
pub extern "C" fn uv_tty_set_vterm_state(_state: uv_tty_vtermstate_t) {}

/// Windows only: UV_ENOTSUP on Unix.
#[no_mangle]
pub extern "C" fn uv_tty_get_vterm_state(_state: *mut uv_tty_vtermstate_t) -> c_int {
    UV_ENOTSUP
}

/// uv_close of a TTY handle: if its fd owns the process-wide saved settings, they are
/// restored (and forgotten), then the stream is closed.
pub unsafe fn close(t: *mut uv_tty_t) {
    // SAFETY: t is a live TTY handle being closed.
    unsafe {
        let fd = (*t).io_watcher.fd;
        if fd != -1 {
            SAVED.with_lock(|s| {
                if s.fd == fd {
                    let _ = tcsetattr(fd, libc::TCSANOW, &s.termios);
                    s.fd = -1;
                }
            });
        }
        stream::close(t as *mut uv_stream_t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cooked() -> libc::termios {
        let mut t = ZERO_TERMIOS;
        t.c_iflag = libc::BRKINT | libc::ICRNL | libc::IXON | libc::IMAXBEL | libc::INLCR;
        t.c_oflag = libc::OPOST | libc::ONLCR;
        t.c_cflag = libc::CS7 | libc::PARENB | libc::CREAD;
        t.c_lflag = libc::ECHO | libc::ICANON | libc::ISIG | libc::IEXTEN | libc::ECHONL;
        t.c_cc[libc::VMIN] = 4;
        t.c_cc[libc::VTIME] = 3;
        t
    }

    #[test]
    fn modes_normalize() {
        assert_eq!(normalize_mode(UV_TTY_MODE_NORMAL), Some(UV_TTY_MODE_NORMAL));
        assert_eq!(normalize_mode(UV_TTY_MODE_RAW), Some(UV_TTY_MODE_RAW));
        assert_eq!(normalize_mode(UV_TTY_MODE_IO), Some(UV_TTY_MODE_IO));
        assert_eq!(normalize_mode(UV_TTY_MODE_RAW_VT), Some(UV_TTY_MODE_RAW));
        assert_eq!(normalize_mode(4), None);
        assert_eq!(normalize_mode(-1), None);
    }

    #[test]
    fn normal_is_the_original() {
        let o = cooked();
        let t = termios_for(UV_TTY_MODE_NORMAL, &o);
        assert_eq!(
            (t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag, t.c_cc),
            (o.c_iflag, o.c_oflag, o.c_cflag, o.c_lflag, o.c_cc)
        );
    }

    #[test]
    fn raw_flags() {
        let o = cooked();
        let t = termios_for(UV_TTY_MODE_RAW, &o);
        for f in [libc::ECHO, libc::ICANON, libc::ISIG, libc::IEXTEN] {
            assert_eq!(t.c_lflag & f, 0);
        }
        assert_ne!(t.c_lflag & libc::ECHONL, 0, "RAW leaves ECHONL alone");
        for f in [
            libc::BRKINT,
            libc::ICRNL,
            libc::INPCK,
            libc::ISTRIP,
            libc::IXON,
        ] {
            assert_eq!(t.c_iflag & f, 0);
        }
        assert_ne!(t.c_iflag & libc::INLCR, 0, "RAW leaves INLCR alone");
        assert_ne!(t.c_oflag & libc::OPOST, 0, "RAW keeps output processing");
        assert_ne!(t.c_oflag & libc::ONLCR, 0);
        assert_eq!(t.c_cflag & libc::CS8, libc::CS8);
        assert_ne!(t.c_cflag & libc::PARENB, 0, "RAW leaves parity alone");
        assert_eq!(t.c_cc[libc::VMIN], 1);
        assert_eq!(t.c_cc[libc::VTIME], 0);
    }

    #[test]
    fn io_flags_are_cfmakeraw() {
        let o = cooked();
        let t = termios_for(UV_TTY_MODE_IO, &o);
        assert_eq!(t.c_oflag & libc::OPOST, 0);
        for f in [
            libc::ECHO,
            libc::ECHONL,
            libc::ICANON,
            libc::ISIG,
            libc::IEXTEN,
        ] {
            assert_eq!(t.c_lflag & f, 0);
        }
        for f in [libc::BRKINT, libc::ICRNL, libc::IXON, libc::INLCR] {
            assert_eq!(t.c_iflag & f, 0);
        }
        assert_eq!(t.c_cflag & libc::CSIZE, libc::CS8);
        assert_eq!(t.c_cflag & libc::PARENB, 0);
        assert_ne!(t.c_cflag & libc::CREAD, 0);
        assert_eq!(t.c_cc[libc::VMIN], 1);
        assert_eq!(t.c_cc[libc::VTIME], 0);
    }

    #[test]
    fn reset_mode_without_saved_settings_and_while_locked() {
        // One test only: the lock is process-wide. Nothing here switches a terminal's mode.
        assert_eq!(uv_tty_reset_mode(), 0);
        let r = SAVED.with_lock(|_| uv_tty_reset_mode());
        assert_eq!(r, UV_EBUSY);
        assert_eq!(uv_tty_reset_mode(), 0);
    }

    #[test]
    fn vterm_state_is_unsupported() {
        let mut s: uv_tty_vtermstate_t = UV_TTY_SUPPORTED;
        uv_tty_set_vterm_state(UV_TTY_UNSUPPORTED);
        assert_eq!(uv_tty_get_vterm_state(&mut s), UV_ENOTSUP);
        assert_eq!(s, UV_TTY_SUPPORTED);
    }

    #[test]
    fn guesses() {
        let mut fds = [0; 2];
        // SAFETY: pipe writes two fds.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        assert_eq!(guess_handle(fds[0]), UV_NAMED_PIPE);
        // SAFETY: closing our own fds.
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
        assert_eq!(guess_handle(-1), UV_UNKNOWN_HANDLE);
    }
}
