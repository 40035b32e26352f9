//! The io watcher registry: which fds the loop polls, for which events, and who is told.
//!
//! One `uv__io_t` per fd (embedded in the handle that owns the fd). Interest changes are
//! recorded in the watcher (`pevents`) and queued on `loop->watcher_queue`; they reach the
//! kernel in one batch at the next poll, so a callback that stops and restarts reading
//! costs no syscall. The watcher's kind (`bits`) says which module handles its events;
//! there are no function pointers in program-owned memory.
//!
//! Raw pointers: every `*mut uv__io_t` here points into a live handle (or the loop itself)
//! that stays put until `close` unregisters it; the registry (`LoopInner::watchers`) never
//! outlives those registrations.

use crate::abi::*;
use crate::queue::{self, container_of};
use crate::r#loop::inner;
use core::ffi::c_int;

/// Events, as epoll spells them (equal to poll(2)'s on Linux).
pub const POLLIN: u32 = libc::EPOLLIN as u32;
pub const POLLOUT: u32 = libc::EPOLLOUT as u32;
pub const POLLPRI: u32 = libc::EPOLLPRI as u32;
pub const POLLERR: u32 = libc::EPOLLERR as u32;
pub const POLLHUP: u32 = libc::EPOLLHUP as u32;
pub const POLLRDHUP: u32 = libc::EPOLLRDHUP as u32;

/// Who handles a watcher's events (stored in `uv__io_t.bits`).
#[repr(usize)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    None = 0,
    /// The loop's eventfd behind every uv_async_t.
    Async = 1,
    /// A connected (or connecting) TCP socket, pipe or TTY.
    Stream = 2,
    /// A listening TCP socket or pipe.
    Server = 3,
    /// A uv_poll_t.
    Poll = 4,
    /// A UDP socket.
    Udp = 5,
    /// The read end of the loop's signal pipe.
    Signal = 6,
    /// The loop's inotify fd (fs event handles).
    Inotify = 7,
}

impl Kind {
    fn of(w: *const uv__io_t) -> Kind {
        // SAFETY: w is a live watcher (module invariant).
        match unsafe { (*w).bits } {
            1 => Kind::Async,
            2 => Kind::Stream,
            3 => Kind::Server,
            4 => Kind::Poll,
            5 => Kind::Udp,
            6 => Kind::Signal,
            7 => Kind::Inotify,
            _ => Kind::None,
        }
    }
}

/// Dispatches events to the module that owns the watcher.
unsafe fn dispatch(l: *mut uv_loop_t, w: *mut uv__io_t, events: u32) {
    // SAFETY: w is registered on l and alive.
    unsafe {
        match Kind::of(w) {
            Kind::Async => crate::r#async::io(l, w, events),
            Kind::Stream => crate::stream::io(l, w, events),
            Kind::Server => crate::stream::server_io(l, w, events),
            Kind::Poll => crate::poll::io(l, w, events),
            Kind::Udp => crate::udp::io(l, w, events),
            Kind::Signal => crate::signal::io(l, w, events),
            Kind::Inotify => crate::fs_event::io(l, w, events),
            Kind::None => {}
        }
    }
}

/// Changes who handles the watcher's events (a stream becomes a server when it listens).
pub unsafe fn set_kind(w: *mut uv__io_t, kind: Kind) {
    // SAFETY: w is a live watcher.
    unsafe { (*w).bits = kind as usize }
}

pub unsafe fn init(w: *mut uv__io_t, kind: Kind, fd: c_int) {
    // SAFETY: w is writable watcher memory.
    unsafe {
        queue::init(&mut (*w).pending_queue);
        queue::init(&mut (*w).watcher_queue);
        (*w).fd = fd;
        (*w).bits = kind as usize;
        (*w).events = 0;
        (*w).pevents = 0;
    }
}

/// Adds interest in `events` (effective at the next poll).
pub unsafe fn start(l: *mut uv_loop_t, w: *mut uv__io_t, events: u32) {
    // SAFETY: l is a live loop, w a live watcher with a valid fd.
    unsafe {
        debug_assert!((*w).fd >= 0);
        (*w).pevents |= events;
        let fd = (*w).fd as usize;
        let watchers = &mut inner(l).watchers;
        if fd >= watchers.len() {
            watchers.resize((fd + 1).next_power_of_two().max(64), core::ptr::null_mut());
            (*l).nwatchers = watchers.len() as u32;
        }
        if (*w).events != (*w).pevents && queue::is_empty(&(*w).watcher_queue) {
            queue::insert_tail(&mut (*l).watcher_queue, &mut (*w).watcher_queue);
        }
        if watchers[fd].is_null() {
            watchers[fd] = w;
            (*l).nfds += 1;
        }
    }
}

/// Removes interest in `events`. With no interest left the watcher is unregistered; the
/// kernel side is cleaned lazily (the next event for the fd finds no watcher).
pub unsafe fn stop(l: *mut uv_loop_t, w: *mut uv__io_t, events: u32) {
    // SAFETY: as start.
    unsafe {
        if (*w).fd < 0 {
            return;
        }
        let fd = (*w).fd as usize;
        let watchers = &mut inner(l).watchers;
        if fd >= watchers.len() {
            return;
        }
        (*w).pevents &= !events;
        if (*w).pevents == 0 {
            queue::remove(&mut (*w).watcher_queue);
            queue::init(&mut (*w).watcher_queue);
            if core::ptr::eq(watchers[fd], w) {
                watchers[fd] = core::ptr::null_mut();
                (*l).nfds -= 1;
                // Drop the kernel registration now if it exists: the fd may be closed and
                // reused by the program before the next poll.
                if (*w).events != 0 {
                    let mut e: libc::epoll_event = core::mem::zeroed();
                    libc::epoll_ctl((*l).backend_fd, libc::EPOLL_CTL_DEL, fd as c_int, &mut e);
                }
                (*w).events = 0;
            }
        } else if queue::is_empty(&(*w).watcher_queue) {
            queue::insert_tail(&mut (*l).watcher_queue, &mut (*w).watcher_queue);
        }
    }
}

/// Unregisters the watcher completely before its fd is closed.
pub unsafe fn close(l: *mut uv_loop_t, w: *mut uv__io_t) {
    // SAFETY: as start.
    unsafe {
        stop(l, w, POLLIN | POLLOUT | POLLPRI | POLLRDHUP);
        queue::remove(&mut (*w).pending_queue);
        queue::init(&mut (*w).pending_queue);
        if (*w).fd >= 0 {
            invalidate_fd(l, (*w).fd);
        }
    }
}

/// Forgets any event already fetched for `fd` in the batch being dispatched.
unsafe fn invalidate_fd(l: *mut uv_loop_t, fd: c_int) {
    // SAFETY: l is live; the batch pointer is valid while poll dispatches it.
    unsafe {
        let li = inner(l);
        for e in li.events[li.dispatch_index..li.nevents].iter_mut() {
            if e.u64 == fd as u64 {
                e.u64 = u64::MAX;
            }
        }
    }
}

#[allow(dead_code)] // used by the stream handles
#[inline]
pub unsafe fn is_active(w: *const uv__io_t, events: u32) -> bool {
    // SAFETY: w is a live watcher.
    unsafe { (*w).pevents & events != 0 }
}

/// Queues the watcher's callback for the pending phase (a deferred "writable" event).
#[allow(dead_code)] // used by the stream handles
pub unsafe fn feed(l: *mut uv_loop_t, w: *mut uv__io_t) {
    // SAFETY: l and w are live.
    unsafe {
        if queue::is_empty(&(*w).pending_queue) {
            queue::insert_tail(&mut (*l).pending_queue, &mut (*w).pending_queue);
        }
    }
}

/// The pending phase: runs every watcher queued with `feed` before the phase started.
pub unsafe fn run_pending(l: *mut uv_loop_t) {
    // SAFETY: l is live; the pending queue links live watchers.
    unsafe {
        let mut local = uv__queue {
            next: core::ptr::null_mut(),
            prev: core::ptr::null_mut(),
        };
        let lq: *mut uv__queue = &mut local;
        queue::move_to(&mut (*l).pending_queue, lq);
        // On unwind, what was not run goes back to the front of the loop's queue.
        let guard = crate::unwind::OnUnwind::new((lq, l), |(lq, l)| {
            queue::prepend(lq, &mut (*l).pending_queue)
        });
        while !queue::is_empty(lq) {
            let q = queue::head(lq);
            queue::remove(q);
            queue::init(q);
            let w = container_of!(q, uv__io_t, pending_queue);
            dispatch(l, w, POLLOUT);
        }
        guard.disarm();
    }
}

/// Sends the queued interest changes to the kernel.
unsafe fn flush_changes(l: *mut uv_loop_t) {
    // SAFETY: l is live; the watcher queue links live watchers.
    unsafe {
        while !queue::is_empty(&(*l).watcher_queue) {
            let q = queue::head(&(*l).watcher_queue);
            queue::remove(q);
            queue::init(q);
            let w = container_of!(q, uv__io_t, watcher_queue);
            if (*w).pevents == (*w).events {
                continue;
            }
            let mut e = libc::epoll_event {
                events: (*w).pevents,
                u64: (*w).fd as u64,
            };
            let op = if (*w).events == 0 {
                libc::EPOLL_CTL_ADD
            } else {
                libc::EPOLL_CTL_MOD
            };
            if libc::epoll_ctl((*l).backend_fd, op, (*w).fd, &mut e) != 0 {
                let err = *libc::__errno_location();
                if err == libc::EEXIST {
                    libc::epoll_ctl((*l).backend_fd, libc::EPOLL_CTL_MOD, (*w).fd, &mut e);
                } else if op == libc::EPOLL_CTL_MOD && err == libc::ENOENT {
                    libc::epoll_ctl((*l).backend_fd, libc::EPOLL_CTL_ADD, (*w).fd, &mut e);
                }
                // Other errors (a closed fd) leave the watcher silent; the owner sees the
                // error on its next syscall.
            }
            (*w).events = (*w).pevents;
        }
    }
}

const MAX_EVENTS: usize = 1024;

/// Waits for io for at most `timeout` ms (-1: no limit, 0: just look) and dispatches it.
///
/// With UV_METRICS_IDLE_TIME, the first wait is a non-blocking look: events already waiting
/// count as `events_waiting`, then the real timeout applies (libuv's accounting). Signal
/// watchers run after every other event of the batch, and end the poll so the loop cycles.
pub unsafe fn poll(l: *mut uv_loop_t, timeout: c_int) {
    // SAFETY: l is a live loop; everything registered on it is alive.
    unsafe {
        flush_changes(l);
        let li = inner(l);
        if (*l).nfds == 0 {
            li.current_timeout = timeout;
            // Nothing to watch: just let the timeout pass.
            if timeout > 0 {
                let start = crate::time::hrtime();
                crate::time::uv_sleep(timeout as u32);
                if li.idle_time_enabled {
                    li.idle_time += crate::time::hrtime() - start;
                }
            }
            crate::r#loop::update_time(l);
            return;
        }
        let mut sigmask: libc::sigset_t = core::mem::zeroed();
        let use_sigmask = (*l).flags & crate::r#loop::LOOP_BLOCK_SIGPROF != 0;
        if use_sigmask {
            libc::sigemptyset(&mut sigmask);
            libc::sigaddset(&mut sigmask, libc::SIGPROF);
        }
        if li.events.len() < MAX_EVENTS {
            li.events
                .resize(MAX_EVENTS, libc::epoll_event { events: 0, u64: 0 });
        }
        let (mut timeout, user_timeout, mut reset_timeout) = if li.idle_time_enabled {
            (0, timeout, true)
        } else {
            (timeout, timeout, false)
        };
        let base = (*l).time;
        let mut real_timeout = user_timeout;
        let mut rounds = 48;
        loop {
            li.current_timeout = timeout;
            let entry = if li.idle_time_enabled && timeout != 0 {
                crate::time::hrtime()
            } else {
                0
            };
            // epoll_wait is cheaper than epoll_pwait with no mask on this kernel path.
            let n = if use_sigmask {
                libc::epoll_pwait(
                    (*l).backend_fd,
                    li.events.as_mut_ptr(),
                    MAX_EVENTS as c_int,
                    timeout,
                    &sigmask,
                )
            } else {
                libc::epoll_wait(
                    (*l).backend_fd,
                    li.events.as_mut_ptr(),
                    MAX_EVENTS as c_int,
                    timeout,
                )
            };
            let err = *libc::__errno_location();
            if entry != 0 {
                li.idle_time += crate::time::hrtime() - entry;
            }
            crate::r#loop::update_time(l);
            if n == -1 && err != libc::EINTR {
                return; // EBADF etc.: nothing sensible to wait on.
            }
            if n <= 0 {
                if reset_timeout {
                    // The non-blocking look found nothing: now wait for real.
                    timeout = user_timeout;
                    reset_timeout = false;
                    real_timeout = user_timeout;
                } else if n == 0 {
                    return;
                }
            } else {
                li.nevents = n as usize;
                let mut dispatched = 0u64;
                let mut signal_watcher: *mut uv__io_t = core::ptr::null_mut();
                let mut i = 0;
                while i < li.nevents {
                    li.dispatch_index = i + 1;
                    let e = li.events[i];
                    i += 1;
                    if e.u64 == u64::MAX {
                        continue; // invalidated while dispatching this batch
                    }
                    let fd = e.u64 as usize;
                    let w = li
                        .watchers
                        .get(fd)
                        .copied()
                        .unwrap_or(core::ptr::null_mut());
                    if w.is_null() {
                        // Interest was dropped; forget the fd on the kernel side.
                        let mut d: libc::epoll_event = core::mem::zeroed();
                        libc::epoll_ctl((*l).backend_fd, libc::EPOLL_CTL_DEL, fd as c_int, &mut d);
                        continue;
                    }
                    // Only what the watcher asked for, plus errors. An error or hangup
                    // alone is reported as readable/writable so the owner's next syscall
                    // finds the error.
                    let mut ev = e.events & ((*w).pevents | POLLERR | POLLHUP);
                    if ev == POLLERR || ev == POLLHUP {
                        ev |= (*w).pevents & (POLLIN | POLLOUT | POLLRDHUP | POLLPRI);
                    }
                    if ev != 0 {
                        dispatched += 1;
                        if Kind::of(w) == Kind::Signal {
                            signal_watcher = w;
                        } else {
                            dispatch(l, w, ev);
                        }
                    }
                }
                li.nevents = 0;
                li.dispatch_index = 0;
                li.events_count += dispatched;
                if reset_timeout {
                    timeout = user_timeout;
                    reset_timeout = false;
                    real_timeout = user_timeout;
                    li.events_waiting += dispatched;
                }
                if !signal_watcher.is_null() {
                    dispatch(l, signal_watcher, POLLIN);
                    return; // let the loop cycle
                }
                if dispatched != 0 {
                    if n as usize == MAX_EVENTS && rounds > 1 {
                        // A full batch: there may be more ready; look again without waiting.
                        rounds -= 1;
                        timeout = 0;
                        flush_changes(l);
                        continue;
                    }
                    return;
                }
            }
            if timeout == 0 {
                return;
            }
            flush_changes(l);
            if timeout == -1 {
                continue;
            }
            // Woken early (signal, spurious event): wait out the rest of the timeout.
            let left = real_timeout as i64 - ((*l).time - base) as i64;
            if left <= 0 {
                return;
            }
            timeout = left as c_int;
        }
    }
}
