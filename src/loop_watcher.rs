//! Idle, prepare and check handles: callbacks run once per loop iteration in their phase.
//!
//! The three types share one layout after the handle fields (`cb`, `queue`), so one set of
//! functions serves them; the exported functions are thin typed wrappers.
//!
//! A started handle goes to the head of its phase's list (libuv's order: the most recently
//! started runs first). A phase runs the handles that were in the list when it began; one
//! started by a callback of the same phase waits for the next iteration, one stopped by a
//! callback before its turn does not run.

use crate::abi::*;
use crate::handle;
use crate::queue::{self, container_of};
use crate::r#loop::inner;
use core::ffi::c_int;

/// The part shared by uv_idle_t, uv_prepare_t and uv_check_t (same layout as each).
type Watcher = uv_idle_t;
type Callback = uv_idle_cb;

#[derive(Clone, Copy)]
enum Phase {
    Idle = 0,
    Prepare = 1,
    Check = 2,
}

impl Phase {
    fn of(ty: uv_handle_type) -> Option<Phase> {
        match ty {
            UV_IDLE => Some(Phase::Idle),
            UV_PREPARE => Some(Phase::Prepare),
            UV_CHECK => Some(Phase::Check),
            _ => None,
        }
    }

    unsafe fn list(self, l: *mut uv_loop_t) -> *mut uv__queue {
        // SAFETY: l is a live loop.
        unsafe {
            match self {
                Phase::Idle => &mut (*l).idle_handles,
                Phase::Prepare => &mut (*l).prepare_handles,
                Phase::Check => &mut (*l).check_handles,
            }
        }
    }
}

// The layouts must agree for the shared code to be sound.
const _: () = {
    use core::mem::offset_of;
    assert!(offset_of!(uv_idle_t, idle_cb) == offset_of!(uv_prepare_t, prepare_cb));
    assert!(offset_of!(uv_idle_t, idle_cb) == offset_of!(uv_check_t, check_cb));
    assert!(offset_of!(uv_idle_t, queue) == offset_of!(uv_prepare_t, queue));
    assert!(offset_of!(uv_idle_t, queue) == offset_of!(uv_check_t, queue));
};

unsafe fn init(l: *mut uv_loop_t, w: *mut Watcher, ty: uv_handle_type) -> c_int {
    if l.is_null() || w.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: an initialized loop and writable handle memory from the program.
    unsafe {
        handle::init(l, w as *mut uv_handle_t, ty);
        (*w).idle_cb = None;
        queue::init(&mut (*w).queue);
    }
    0
}

unsafe fn start(w: *mut Watcher, ty: uv_handle_type, cb: Callback) -> c_int {
    // SAFETY: the program passes an initialized handle; we check its type.
    unsafe {
        if w.is_null() || (*w).r#type != ty {
            return UV_EINVAL;
        }
        let h = w as *mut uv_handle_t;
        if handle::is_closing(h) {
            return UV_EINVAL;
        }
        if handle::is_active(h) {
            return 0;
        }
        if cb.is_none() {
            return UV_EINVAL;
        }
        let Some(phase) = Phase::of(ty) else {
            return UV_EINVAL;
        };
        queue::insert_head(phase.list((*w).r#loop), &mut (*w).queue);
        (*w).idle_cb = cb;
        handle::start(h);
    }
    0
}

unsafe fn stop(w: *mut Watcher, ty: uv_handle_type) -> c_int {
    // SAFETY: as start.
    unsafe {
        if w.is_null() || (*w).r#type != ty {
            return UV_EINVAL;
        }
        let h = w as *mut uv_handle_t;
        if !handle::is_active(h) {
            return 0;
        }
        queue::remove(&mut (*w).queue);
        queue::init(&mut (*w).queue);
        handle::stop(h);
    }
    0
}

/// Runs one phase's callbacks.
unsafe fn run(l: *mut uv_loop_t, phase: Phase) {
    // SAFETY: l is live; the lists link live started handles. The pass works from a list in
    // the loop's inner state, so a callback that unwinds leaves the rest to the next pass.
    unsafe {
        let list = phase.list(l);
        let scratch: *mut uv__queue = &mut inner(l).phase_scratch[phase as usize];
        queue::append(list, scratch);
        while !queue::is_empty(scratch) {
            let q = queue::head(scratch);
            queue::remove(q);
            queue::insert_tail(list, q);
            let w = container_of!(q, Watcher, queue);
            if let Some(cb) = (*w).idle_cb {
                cb(w);
            }
        }
    }
}

pub unsafe fn run_idle(l: *mut uv_loop_t) {
    // SAFETY: l is live.
    unsafe { run(l, Phase::Idle) }
}

pub unsafe fn run_prepare(l: *mut uv_loop_t) {
    // SAFETY: l is live.
    unsafe { run(l, Phase::Prepare) }
}

pub unsafe fn run_check(l: *mut uv_loop_t) {
    // SAFETY: l is live.
    unsafe { run(l, Phase::Check) }
}

/// Closing stops the handle (uv_close does the rest).
pub unsafe fn close(h: *mut uv_handle_t) {
    // SAFETY: h is a live idle/prepare/check handle.
    unsafe {
        stop(h as *mut Watcher, (*h).r#type);
    }
}

macro_rules! exports {
    ($ty:ident, $cb:ident, $tag:ident, $init:ident, $start:ident, $stop:ident) => {
        #[no_mangle]
        pub unsafe extern "C" fn $init(r#loop: *mut uv_loop_t, handle: *mut $ty) -> c_int {
            // SAFETY: the three handle types share Watcher's layout (asserted above).
            unsafe { init(r#loop, handle as *mut Watcher, $tag) }
        }

        #[no_mangle]
        #[allow(clippy::useless_transmute)] // a no-op for uv_idle_t itself
        pub unsafe extern "C" fn $start(handle: *mut $ty, cb: $cb) -> c_int {
            // SAFETY: as above; the callback types differ only in the handle pointer type.
            unsafe {
                start(
                    handle as *mut Watcher,
                    $tag,
                    core::mem::transmute::<$cb, Callback>(cb),
                )
            }
        }

        #[no_mangle]
        pub unsafe extern "C" fn $stop(handle: *mut $ty) -> c_int {
            // SAFETY: as above.
            unsafe { stop(handle as *mut Watcher, $tag) }
        }
    };
}

exports!(
    uv_idle_t,
    uv_idle_cb,
    UV_IDLE,
    uv_idle_init,
    uv_idle_start,
    uv_idle_stop
);
exports!(
    uv_prepare_t,
    uv_prepare_cb,
    UV_PREPARE,
    uv_prepare_init,
    uv_prepare_start,
    uv_prepare_stop
);
exports!(
    uv_check_t,
    uv_check_cb,
    UV_CHECK,
    uv_check_init,
    uv_check_start,
    uv_check_stop
);
