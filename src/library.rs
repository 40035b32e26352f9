//! uv_library_shutdown: releases the library's global resources, once.

use core::sync::atomic::{AtomicBool, Ordering};

static SHUT_DOWN: AtomicBool = AtomicBool::new(false);

/// Stops the threadpool and closes the default loop if nothing uses it any more. Only the
/// first call does anything; the library must not be used afterwards (libuv's contract).
#[no_mangle]
pub extern "C" fn uv_library_shutdown() {
    if SHUT_DOWN.swap(true, Ordering::AcqRel) {
        return;
    }
    crate::process_title::cleanup();
    crate::threadpool::shutdown();
    let l = crate::r#loop::default_loop_if_any();
    if !l.is_null() {
        // SAFETY: the default loop is initialized; closing fails harmlessly (UV_EBUSY)
        // while the program still has handles on it, and then it is left alone.
        unsafe { crate::r#loop::uv_loop_close(l) };
    }
}

/// Like libuv (an ELF destructor in uv-common.c), run uv_library_shutdown when the library is
/// unloaded or the process exits: the pool threads are joined and the memory handed out by
/// uv_setup_args is released, so a program's exit is clean under leak checkers.
#[used]
#[link_section = ".fini_array"]
static RUN_AT_EXIT: extern "C" fn() = uv_library_shutdown;
