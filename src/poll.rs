//! uv_poll_t: tells the program when an fd it owns is readable, writable, has priority
//! data or was hung up by the peer. The handle only watches; reading, writing and closing
//! the fd stay with the program.
//!
//! The handle's `io_watcher` (kind `io::Kind::Poll`) is registered with the loop while the
//! handle is started. One fd has at most one watcher per loop, so a second poll handle (or
//! a stream) on an fd already watched is refused with UV_EEXIST, at init and at start.

use crate::abi::*;
use crate::handle;
use crate::io;
use crate::queue::container_of;
use crate::r#loop::inner;
use core::ffi::c_int;

/// Every event a poll handle can ask for.
const ALL_EVENTS: c_int = UV_READABLE | UV_WRITABLE | UV_DISCONNECT | UV_PRIORITIZED;

/// Every epoll event a poll watcher can have registered.
const ALL_POLL: u32 = io::POLLIN | io::POLLOUT | io::POLLPRI | io::POLLRDHUP;

/// UV_* poll events to epoll events.
fn to_epoll(events: c_int) -> u32 {
    let mut e = 0;
    if events & UV_READABLE != 0 {
        e |= io::POLLIN;
    }
    if events & UV_PRIORITIZED != 0 {
        e |= io::POLLPRI;
    }
    if events & UV_WRITABLE != 0 {
        e |= io::POLLOUT;
    }
    if events & UV_DISCONNECT != 0 {
        e |= io::POLLRDHUP;
    }
    e
}

/// epoll events to UV_* poll events.
fn from_epoll(events: u32) -> c_int {
    let mut e = 0;
    if events & io::POLLIN != 0 {
        e |= UV_READABLE;
    }
    if events & io::POLLPRI != 0 {
        e |= UV_PRIORITIZED;
    }
    if events & io::POLLOUT != 0 {
        e |= UV_WRITABLE;
    }
    if events & io::POLLRDHUP != 0 {
        e |= UV_DISCONNECT;
    }
    e
}

/// The watcher registered on `l` for `fd`, or NULL.
unsafe fn watcher_of(l: *mut uv_loop_t, fd: c_int) -> *mut uv__io_t {
    if fd < 0 {
        return core::ptr::null_mut();
    }
    // SAFETY: l is a live loop (callers' contract).
    let watchers = unsafe { &inner(l).watchers };
    watchers
        .get(fd as usize)
        .copied()
        .unwrap_or(core::ptr::null_mut())
}

/// Whether the loop's epoll instance accepts `fd` (regular files and directories are
/// refused with EPERM, bad fds with EBADF). Leaves no registration behind.
unsafe fn check_pollable(l: *mut uv_loop_t, fd: c_int) -> c_int {
    // SAFETY: l is a live loop; epoll_ctl only reads the event struct.
    unsafe {
        let mut e = libc::epoll_event {
            events: io::POLLIN,
            u64: u64::MAX,
        };
        if libc::epoll_ctl((*l).backend_fd, libc::EPOLL_CTL_ADD, fd, &mut e) != 0 {
            let err = *libc::__errno_location();
            if err != libc::EEXIST {
                return -err;
            }
            // EEXIST: a stale registration no watcher owns (the fd has none, checked by
            // the caller); the DEL below drops it.
        }
        libc::epoll_ctl((*l).backend_fd, libc::EPOLL_CTL_DEL, fd, &mut e);
    }
    0
}

/// Puts `fd` in non-blocking mode.
fn set_nonblocking(fd: c_int) -> c_int {
    let on: c_int = 1;
    // SAFETY: FIONBIO reads one int through the pointer.
    let r = unsafe { libc::ioctl(fd, libc::FIONBIO, &on as *const c_int) };
    if r == 0 {
        return 0;
    }
    let err = crate::error::last_error();
    if err != UV_ENOTTY {
        return err;
    }
    // No ioctl support: the fcntl way.
    // SAFETY: plain fcntl calls on a program-owned fd.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags == -1 {
            return crate::error::last_error();
        }
        if flags & libc::O_NONBLOCK == 0
            && libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) == -1
        {
            return crate::error::last_error();
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_poll_init(
    r#loop: *mut uv_loop_t,
    handle: *mut uv_poll_t,
    fd: c_int,
) -> c_int {
    let (l, h) = (r#loop, handle);
    if l.is_null() || h.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: an initialized loop and writable handle memory from the program.
    unsafe {
        if !watcher_of(l, fd).is_null() {
            return UV_EEXIST;
        }
        let err = check_pollable(l, fd);
        if err != 0 {
            return err;
        }
        let err = set_nonblocking(fd);
        if err != 0 {
            return err;
        }
        handle::init(l, h as *mut uv_handle_t, UV_POLL);
        io::init(&mut (*h).io_watcher, io::Kind::Poll, fd);
        (*h).poll_cb = None;
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_poll_init_socket(
    r#loop: *mut uv_loop_t,
    handle: *mut uv_poll_t,
    socket: c_int,
) -> c_int {
    // SAFETY: same contract as uv_poll_init; sockets are fds on unix.
    unsafe { uv_poll_init(r#loop, handle, socket) }
}

/// Whether `h` is a poll handle the program may start or stop.
unsafe fn usable(h: *mut uv_poll_t) -> bool {
    // SAFETY: a non-NULL h is an initialized handle (the program's contract).
    !h.is_null()
        && unsafe { (*h).r#type == UV_POLL && !handle::is_closing(h as *const uv_handle_t) }
}

/// Unregisters the watcher and stops the handle. Events of this fd already fetched in the
/// batch being dispatched are dropped too.
unsafe fn stop(h: *mut uv_poll_t) {
    // SAFETY: h is a live poll handle of a live loop.
    unsafe {
        io::close((*h).r#loop, &mut (*h).io_watcher);
        handle::stop(h as *mut uv_handle_t);
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_poll_start(
    handle: *mut uv_poll_t,
    events: c_int,
    cb: uv_poll_cb,
) -> c_int {
    let h = handle;
    // SAFETY: usable() checked the handle; it belongs to a live loop.
    unsafe {
        if !usable(h) || events & !ALL_EVENTS != 0 {
            return UV_EINVAL;
        }
        if events != 0 && cb.is_none() {
            return UV_EINVAL;
        }
        let l = (*h).r#loop;
        let w: *mut uv__io_t = &mut (*h).io_watcher;
        let owner = watcher_of(l, (*w).fd);
        if !owner.is_null() && !core::ptr::eq(owner, w) {
            return UV_EEXIST;
        }
        if events == 0 {
            stop(h);
            return 0;
        }
        // Add the new interest first, then drop what is no longer wanted: a watcher already
        // registered stays registered (no unregistration, no extra epoll_ctl).
        let want = to_epoll(events);
        io::start(l, w, want);
        io::stop(l, w, ALL_POLL & !want);
        handle::start(h as *mut uv_handle_t);
        (*h).poll_cb = cb;
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_poll_stop(handle: *mut uv_poll_t) -> c_int {
    let h = handle;
    // SAFETY: usable() checked the handle.
    unsafe {
        if !usable(h) {
            return UV_EINVAL;
        }
        stop(h);
    }
    0
}

/// Events for a poll handle's fd.
pub unsafe fn io(_l: *mut uv_loop_t, w: *mut uv__io_t, events: u32) {
    // SAFETY: w is the io_watcher of a live, started poll handle (only those are registered
    // with kind Poll).
    unsafe {
        let h = container_of!(w, uv_poll_t, io_watcher);
        let Some(cb) = (*h).poll_cb else {
            return;
        };
        // sysfs files report POLLERR|POLLPRI for "changed": only POLLERR without POLLPRI is
        // an error.
        if events & io::POLLERR != 0 && events & io::POLLPRI == 0 {
            stop(h);
            cb(h, UV_EBADF, 0);
            return;
        }
        let pevents = from_epoll(events & (*w).pevents);
        cb(h, 0, pevents);
    }
}

/// uv_close of a poll handle: stop watching. The fd is the program's and stays open.
pub unsafe fn close(h: *mut uv_poll_t) {
    // SAFETY: h is a live poll handle being closed on its loop's thread.
    unsafe { stop(h) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_maps_round_trip() {
        assert_eq!(to_epoll(UV_READABLE), io::POLLIN);
        assert_eq!(to_epoll(UV_WRITABLE), io::POLLOUT);
        assert_eq!(to_epoll(UV_DISCONNECT), io::POLLRDHUP);
        assert_eq!(to_epoll(UV_PRIORITIZED), io::POLLPRI);
        for e in 0..=ALL_EVENTS {
            assert_eq!(from_epoll(to_epoll(e)), e);
        }
        // Hangups and errors are not poll events of their own.
        assert_eq!(from_epoll(io::POLLHUP | io::POLLERR), 0);
    }
}
