//! uv_async_t: wake a loop from any thread (or a signal handler).
//!
//! All async handles of a loop share one eventfd, watched by `loop->async_io_watcher`.
//! `uv_async_send` sets the handle's `pending` flag and, if it was clear, writes the
//! eventfd; the loop thread drains the eventfd, then runs the callback of every handle
//! whose flag it clears. A send that happens after the loop cleared the flag (for example
//! from inside the callback) sets it again and writes again, so no wakeup is ever lost,
//! and any number of sends before the callback runs give one callback.
//!
//! `handle->u.fd` counts senders currently inside uv_async_send; uv_close waits for it to
//! drop to zero so a closing handle is never written to after its close callback.

use crate::abi::*;
use crate::handle;
use crate::io;
use crate::queue::{self, container_of};
use crate::r#loop::inner;
use core::ffi::c_int;
use core::sync::atomic::{AtomicI32, Ordering};

#[inline]
unsafe fn pending<'a>(h: *mut uv_async_t) -> &'a AtomicI32 {
    // SAFETY: `pending` is an aligned int inside a live handle; every concurrent access
    // to it (uv_async_send from other threads) goes through atomics.
    unsafe { AtomicI32::from_ptr(core::ptr::addr_of_mut!((*h).pending)) }
}

#[inline]
unsafe fn busy<'a>(h: *mut uv_async_t) -> &'a AtomicI32 {
    // SAFETY: as `pending`; u.fd is an aligned int in the live handle.
    unsafe { AtomicI32::from_ptr(core::ptr::addr_of_mut!((*h).u.fd)) }
}

/// The loop's "a wakeup is on its way" flag. It lives in the loop's reserved
/// `async_unused` word (unused by libuv's own code), which is only ever accessed through
/// this atomic view, so senders on any thread and the loop thread share it soundly.
#[inline]
unsafe fn wake_pending<'a>(l: *mut uv_loop_t) -> &'a core::sync::atomic::AtomicUsize {
    // SAFETY: async_unused is an aligned pointer-sized field of the live loop.
    unsafe {
        core::sync::atomic::AtomicUsize::from_ptr(
            core::ptr::addr_of_mut!((*l).async_unused) as *mut usize
        )
    }
}

/// Creates the loop's eventfd on first use.
unsafe fn loop_start(l: *mut uv_loop_t) -> c_int {
    // SAFETY: l is a live loop.
    unsafe {
        if (*l).async_io_watcher.fd >= 0 {
            return 0;
        }
        let fd = libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK);
        if fd < 0 {
            return crate::error::last_error();
        }
        let w: *mut uv__io_t = &mut (*l).async_io_watcher;
        io::init(w, io::Kind::Async, fd);
        io::start(l, w, io::POLLIN);
        (*l).async_wfd = -1; // eventfd: the same fd is written and read
    }
    0
}

/// Closes the loop's eventfd (uv_loop_close).
pub unsafe fn loop_close(l: *mut uv_loop_t) {
    // SAFETY: l is a live loop being closed.
    unsafe {
        let w: *mut uv__io_t = &mut (*l).async_io_watcher;
        if (*w).fd < 0 {
            return;
        }
        if !(*l).internal_fields.is_null() {
            io::close(l, w);
        }
        libc::close((*w).fd);
        (*w).fd = -1;
    }
}

/// uv_loop_fork: the child gets its own eventfd (the old one is shared with the parent).
/// The parent's sending threads do not exist in the child, so the busy counts are cleared;
/// a send still pending at the fork is kept and the new eventfd written, so its callback
/// runs in the child.
pub unsafe fn loop_fork(l: *mut uv_loop_t) -> c_int {
    // SAFETY: l is a live loop used by the child's only thread; async_handles links live
    // async handles.
    unsafe {
        let w: *mut uv__io_t = &mut (*l).async_io_watcher;
        if (*w).fd < 0 {
            return 0;
        }
        io::close(l, w);
        libc::close((*w).fd);
        (*w).fd = -1;
        let mut any_pending = false;
        let head: *mut uv__queue = &mut (*l).async_handles;
        let mut q = queue::head(head);
        while q != head {
            let h = container_of!(q, uv_async_t, queue);
            q = queue::next(q);
            busy(h).store(0, Ordering::Relaxed);
            any_pending |= pending(h).load(Ordering::Relaxed) != 0;
        }
        let err = loop_start(l);
        if err != 0 {
            return err;
        }
        wake_pending(l).store(0, Ordering::SeqCst);
        if any_pending {
            wake_pending(l).store(1, Ordering::SeqCst);
            wakeup(l);
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_async_init(
    r#loop: *mut uv_loop_t,
    handle: *mut uv_async_t,
    async_cb: uv_async_cb,
) -> c_int {
    let (l, h) = (r#loop, handle);
    if l.is_null() || h.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: an initialized loop and writable handle memory.
    unsafe {
        let err = loop_start(l);
        if err != 0 {
            return err;
        }
        handle::init(l, h as *mut uv_handle_t, UV_ASYNC);
        (*h).async_cb = async_cb;
        (*h).pending = 0;
        (*h).u.fd = 0;
        queue::insert_tail(&mut (*l).async_handles, &mut (*h).queue);
        handle::start(h as *mut uv_handle_t);
    }
    0
}

/// Wakes the loop: the eventfd counter goes up, epoll reports it readable.
unsafe fn wakeup(l: *mut uv_loop_t) {
    // SAFETY: the loop's eventfd stays open while it has async handles (loop_close runs
    // only after every program handle is closed, and close waits for senders).
    unsafe {
        let fd = (*l).async_io_watcher.fd;
        let one: u64 = 1;
        loop {
            let r = libc::write(fd, &one as *const u64 as *const libc::c_void, 8);
            if r == 8 {
                return;
            }
            let err = *libc::__errno_location();
            // EAGAIN: the counter is saturated, so the loop is already awake.
            if r == -1 && err == libc::EINTR {
                continue;
            }
            return;
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_async_send(handle: *mut uv_async_t) -> c_int {
    let h = handle;
    if h.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: a live async handle; shared fields are accessed atomically. Everything here is
    // async-signal-safe (atomics and write(2)).
    unsafe {
        // A cheap read first: already pending means the loop will run the callback.
        if pending(h).load(Ordering::Relaxed) != 0 {
            return 0;
        }
        busy(h).fetch_add(1, Ordering::AcqRel);
        // Only the first sender after the loop's last scan writes the eventfd; later ones
        // see the wakeup already on its way (the loop clears the flag before it scans, so
        // a send it might miss always finds the flag clear and writes).
        if pending(h).swap(1, Ordering::SeqCst) == 0
            && wake_pending((*h).r#loop).swap(1, Ordering::SeqCst) == 0
        {
            wakeup((*h).r#loop);
        }
        busy(h).fetch_sub(1, Ordering::AcqRel);
    }
    0
}

/// The eventfd is readable: run the callback of every handle with a send pending.
pub unsafe fn io(l: *mut uv_loop_t, w: *mut uv__io_t, _events: u32) {
    // SAFETY: l is live and w is its async watcher.
    unsafe {
        let mut buf: u64 = 0;
        // One read resets the eventfd counter.
        while libc::read((*w).fd, &mut buf as *mut u64 as *mut libc::c_void, 8) == -1
            && *libc::__errno_location() == libc::EINTR
        {}
        wake_pending(l).store(0, Ordering::SeqCst);
        let list: *mut uv__queue = &mut (*l).async_handles;
        let scratch: *mut uv__queue = &mut inner(l).phase_scratch[3];
        queue::append(list, scratch);
        while !queue::is_empty(scratch) {
            let q = queue::head(scratch);
            queue::remove(q);
            queue::insert_tail(list, q);
            let h = container_of!(q, uv_async_t, queue);
            if pending(h).swap(0, Ordering::AcqRel) == 0 {
                continue;
            }
            if let Some(cb) = (*h).async_cb {
                cb(h);
            }
        }
    }
}

/// Closing: wait until no thread is inside uv_async_send for this handle, then unlink it.
pub unsafe fn close(h: *mut uv_async_t) {
    // SAFETY: h is a live async handle being closed on the loop thread.
    unsafe {
        let mut spins = 0u32;
        while busy(h).load(Ordering::Acquire) != 0 {
            spins += 1;
            if spins % 997 == 0 {
                libc::sched_yield();
            } else {
                core::hint::spin_loop();
            }
        }
        queue::remove(&mut (*h).queue);
        queue::init(&mut (*h).queue);
        handle::stop(h as *mut uv_handle_t);
    }
}
