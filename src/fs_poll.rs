//! uv_fs_poll_t: watches a path by stat()ing it every `interval` milliseconds and calls
//! back when the result changes.
//!
//! A started handle owns a `PollCtx` (`handle->poll_ctx`) holding an internal, unreferenced
//! timer and the uv_fs_t of the stat. The context alternates between two states: waiting
//! on its timer, or waiting for its stat (on the threadpool). Stopping or closing the handle
//! detaches the context (it forgets the handle): a waiting timer is closed at once; a stat
//! in flight finishes first, then its callback closes the timer. The context frees itself
//! in the timer's close callback, so the handle's memory may be released by the program as
//! soon as its own close callback ran, whatever the context is still doing.
//!
//! Change reporting follows libuv: the first successful stat is only recorded; later ones
//! call back when a compared field differs. A failing stat calls back with the error when
//! the error is new (first failure, or a different error), and the next success calls back
//! with status 0 (`prev` is then the last successful stat, or zeros if there was none).

use crate::abi::*;
use crate::handle::{self, Flags};
use crate::queue::container_of;
use core::ffi::{c_char, c_int, c_uint, c_void, CStr};
use core::ptr;
use std::ffi::CString;

struct PollCtx {
    /// The started handle this context reports to; NULL once detached.
    handle: *mut uv_fs_poll_t,
    cb: uv_fs_poll_cb,
    /// Milliseconds between two stats (at least 1).
    interval: u64,
    /// Loop time when the current stat was started.
    start_time: u64,
    /// libuv's "busy_polling": 0 before the first result, 1 after a success, the error
    /// after a failure.
    state: isize,
    /// The last successful stat (zeros before the first).
    statbuf: uv_stat_t,
    path: CString,
    timer: uv_timer_t,
    req: uv_fs_t,
}

/// Whether two stats differ in a field libuv compares (not atime, nlink, rdev, blocks).
fn same_stat(a: &uv_stat_t, b: &uv_stat_t) -> bool {
    let ts = |x: &uv_timespec_t, y: &uv_timespec_t| x.tv_sec == y.tv_sec && x.tv_nsec == y.tv_nsec;
    ts(&a.st_ctim, &b.st_ctim)
        && ts(&a.st_mtim, &b.st_mtim)
        && ts(&a.st_birthtim, &b.st_birthtim)
        && a.st_size == b.st_size
        && a.st_mode == b.st_mode
        && a.st_uid == b.st_uid
        && a.st_gid == b.st_gid
        && a.st_ino == b.st_ino
        && a.st_dev == b.st_dev
        && a.st_flags == b.st_flags
        && a.st_gen == b.st_gen
}

fn zero_stat() -> uv_stat_t {
    // SAFETY: uv_stat_t is plain integers; all zeros is a valid value.
    unsafe { core::mem::zeroed() }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_poll_init(
    r#loop: *mut uv_loop_t,
    handle: *mut uv_fs_poll_t,
) -> c_int {
    if r#loop.is_null() || handle.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: an initialized loop and writable handle memory from the program.
    unsafe {
        handle::init(r#loop, handle as *mut uv_handle_t, UV_FS_POLL);
        (*handle).poll_ctx = ptr::null_mut();
    }
    0
}

/// Whether `h` is a live fs poll handle.
unsafe fn is_fs_poll(h: *const uv_fs_poll_t) -> bool {
    // SAFETY: a non-NULL h is an initialized handle (the program's contract).
    !h.is_null() && unsafe { (*h).r#type == UV_FS_POLL }
}

/// Starts polling `path` every `interval` ms (0 means 1). Starting a started handle does
/// nothing, as in libuv.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_poll_start(
    handle: *mut uv_fs_poll_t,
    cb: uv_fs_poll_cb,
    path: *const c_char,
    interval: c_uint,
) -> c_int {
    let h = handle;
    // SAFETY: the program passes an initialized handle of a live loop and a C string.
    unsafe {
        if !is_fs_poll(h) || cb.is_none() || path.is_null() {
            return UV_EINVAL;
        }
        if handle::is_closing(h as *const uv_handle_t) {
            return UV_EINVAL;
        }
        if handle::is_active(h as *const uv_handle_t) {
            return 0;
        }
        let l = (*h).r#loop;
        let ctx = Box::into_raw(Box::new(PollCtx {
            handle: h,
            cb,
            interval: u64::from(interval.max(1)),
            start_time: (*l).time,
            state: 0,
            statbuf: zero_stat(),
            path: CStr::from_ptr(path).to_owned(),
            // SAFETY (both): plain C structs that their init functions fill in.
            timer: core::mem::zeroed(),
            req: core::mem::zeroed(),
        }));
        let timer: *mut uv_timer_t = &mut (*ctx).timer;
        crate::timer::uv_timer_init(l, timer);
        handle::add_flags(timer as *mut uv_handle_t, Flags::INTERNAL);
        handle::uv_unref(timer as *mut uv_handle_t);
        let err = crate::fs::uv_fs_stat(l, &mut (*ctx).req, (*ctx).path.as_ptr(), Some(stat_cb));
        if err != 0 {
            (*ctx).handle = ptr::null_mut();
            handle::uv_close(timer as *mut uv_handle_t, Some(timer_close_cb));
            return err;
        }
        (*h).poll_ctx = ctx as *mut c_void;
        handle::start(h as *mut uv_handle_t);
    }
    0
}

/// Detaches the context and stops the handle (nothing to do if it is not started).
unsafe fn stop(h: *mut uv_fs_poll_t) {
    // SAFETY: h is a live fs poll handle; its context, if any, is a live PollCtx.
    unsafe {
        if !handle::is_active(h as *const uv_handle_t) {
            return;
        }
        let ctx = (*h).poll_ctx as *mut PollCtx;
        (*h).poll_ctx = ptr::null_mut();
        handle::stop(h as *mut uv_handle_t);
        if ctx.is_null() {
            return;
        }
        (*ctx).handle = ptr::null_mut();
        // Waiting on the timer: close it now. Otherwise a stat is in flight and its
        // callback closes the timer.
        let timer = &mut (*ctx).timer as *mut uv_timer_t as *mut uv_handle_t;
        if handle::is_active(timer) {
            handle::uv_close(timer, Some(timer_close_cb));
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_poll_stop(handle: *mut uv_fs_poll_t) -> c_int {
    // SAFETY: the program passes an initialized handle.
    unsafe {
        if !is_fs_poll(handle) {
            return UV_EINVAL;
        }
        stop(handle);
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_poll_getpath(
    handle: *mut uv_fs_poll_t,
    buffer: *mut c_char,
    size: *mut usize,
) -> c_int {
    // SAFETY: the program's handle, buffer and size (checked for NULL); a started handle
    // has a live context.
    unsafe {
        if buffer.is_null() || size.is_null() || *size == 0 || !is_fs_poll(handle) {
            return UV_EINVAL;
        }
        let ctx = (*handle).poll_ctx as *const PollCtx;
        if !handle::is_active(handle as *const uv_handle_t) || ctx.is_null() {
            *size = 0;
            return UV_EINVAL;
        }
        crate::fs_event::copy_path((*ctx).path.as_ptr(), buffer, size)
    }
}

/// uv_close of a fs poll handle: the context goes on alone until its stat is done.
pub unsafe fn close(h: *mut uv_fs_poll_t) {
    // SAFETY: h is a live fs poll handle being closed on its loop's thread.
    unsafe { stop(h) }
}

/// The timer fired: stat again.
unsafe extern "C-unwind" fn timer_cb(timer: *mut uv_timer_t) {
    // SAFETY: the timer is the one inside a live PollCtx.
    unsafe {
        let ctx = container_of!(timer, PollCtx, timer);
        if (*ctx).handle.is_null() {
            // Detached while this timer was already due in the same pass of the timers.
            handle::uv_close(timer as *mut uv_handle_t, Some(timer_close_cb));
            return;
        }
        let l = (*timer).r#loop;
        (*ctx).start_time = (*l).time;
        let err = crate::fs::uv_fs_stat(l, &mut (*ctx).req, (*ctx).path.as_ptr(), Some(stat_cb));
        if err != 0 {
            // Could not even queue the stat (out of memory): report it like a failed stat.
            (*ctx).req.result = err as isize;
            complete(ctx);
        }
    }
}

/// The stat finished.
unsafe extern "C-unwind" fn stat_cb(req: *mut uv_fs_t) {
    // SAFETY: req is the uv_fs_t inside a live PollCtx.
    unsafe { complete(container_of!(req, PollCtx, req)) }
}

/// Handles a stat result: records it, re-arms the timer, then calls back if there is
/// something to report. The context is consistent before the program's callback runs, so
/// the callback may stop, close or restart the handle, and may unwind.
unsafe fn complete(ctx: *mut PollCtx) {
    // SAFETY: ctx is live; its handle, when set, is a live started fs poll handle.
    unsafe {
        let result = (*ctx).req.result;
        let fresh = (*ctx).req.statbuf;
        crate::fs::uv_fs_req_cleanup(&mut (*ctx).req);
        let timer: *mut uv_timer_t = &mut (*ctx).timer;
        let h = (*ctx).handle;
        if h.is_null() {
            handle::uv_close(timer as *mut uv_handle_t, Some(timer_close_cb));
            return;
        }
        let prev = (*ctx).statbuf;
        let report = if result != 0 {
            let new_error = (*ctx).state != result;
            (*ctx).state = result;
            new_error.then(|| (result as c_int, prev, zero_stat()))
        } else {
            let changed = (*ctx).state < 0 || ((*ctx).state != 0 && !same_stat(&prev, &fresh));
            (*ctx).statbuf = fresh;
            (*ctx).state = 1;
            changed.then_some((0, prev, fresh))
        };
        // The next stat is due one interval after this one started.
        let l = (*h).r#loop;
        let interval = (*ctx).interval;
        let due = interval - ((*l).time.saturating_sub((*ctx).start_time)) % interval;
        crate::timer::uv_timer_start(timer, Some(timer_cb), due, 0);
        if let (Some((status, prev, curr)), Some(cb)) = (report, (*ctx).cb) {
            cb(h, status, &prev, &curr);
        }
    }
}

/// The timer of a detached context is closed: the context is done.
unsafe extern "C-unwind" fn timer_close_cb(timer: *mut uv_handle_t) {
    // SAFETY: the timer is the one inside a PollCtx leaked by uv_fs_poll_start; nothing
    // refers to a detached context except this timer, which is now unlinked from the loop.
    unsafe { drop(Box::from_raw(container_of!(timer, PollCtx, timer))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compared_fields() {
        let a = zero_stat();
        let mut b = a;
        b.st_atim.tv_sec = 5;
        b.st_nlink = 3;
        b.st_blocks = 8;
        assert!(same_stat(&a, &b));
        b.st_size = 1;
        assert!(!same_stat(&a, &b));
        let mut c = a;
        c.st_mtim.tv_nsec = 1;
        assert!(!same_stat(&a, &c));
        let mut d = a;
        d.st_gen = 1;
        assert!(!same_stat(&a, &d));
    }
}
