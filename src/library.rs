//! uv_library_shutdown: releases the library's global resources, once.

use core::sync::atomic::{AtomicBool, Ordering};

static SHUT_DOWN: AtomicBool = AtomicBool::new(false);

/// Whether uv_library_shutdown has run (later calls, and most other calls, become no-ops).
#[allow(dead_code)]
pub fn is_shut_down() -> bool {
    SHUT_DOWN.load(Ordering::Acquire)
}

#[no_mangle]
pub extern "C" fn uv_library_shutdown() {
    // Only the first call does anything, as with libuv.
    if SHUT_DOWN.swap(true, Ordering::AcqRel) {
        // Already done.
    }
}
