//! uv_library_shutdown: releases the library's global resources, once.

use core::sync::atomic::{AtomicBool, Ordering};

static SHUT_DOWN: AtomicBool = AtomicBool::new(false);

/// Stops the threadpool, frees the uv_setup_args copy, and releases the default loop if
/// nothing uses it any more. Only the first call does anything; the library must not be
/// used afterwards (libuv's contract).
#[no_mangle]
pub extern "C" fn uv_library_shutdown() {
    shutdown(true);
}

fn shutdown(release_default_loop: bool) {
    if SHUT_DOWN.swap(true, Ordering::AcqRel) {
        return;
    }
    crate::process_title::cleanup();
    crate::threadpool::shutdown();
    if release_default_loop {
        crate::r#loop::close_default_if_quiescent();
    }
}

/// At exit or unload. Like libuv, this leaves the default loop alone: a program may exit
/// with handles still registered in it whose memory is already gone.
extern "C" fn at_exit() {
    shutdown(false);
}

/// Like libuv (an ELF destructor in uv-common.c), run the shutdown when the library is
/// unloaded or the process exits: the pool threads are joined and the memory handed out by
/// uv_setup_args is released, so a program's exit is clean under leak checkers.
#[used]
#[link_section = ".fini_array"]
static RUN_AT_EXIT: extern "C" fn() = at_exit;
