//! UDP handles (being written by a teammate): hooks the rest of the library calls.

use crate::abi::*;
use core::ffi::c_int;

/// Events on a UDP socket's watcher.
pub unsafe fn io(_l: *mut uv_loop_t, _w: *mut uv__io_t, _events: u32) {}

/// uv_close of a UDP handle.
pub unsafe fn close(_h: *mut uv_udp_t) {}

/// The closing phase of a UDP handle (cancelled sends get their callbacks here).
pub unsafe fn finish_close(_h: *mut uv_udp_t) {}

/// uv_accept of a UDP socket received over an IPC pipe.
pub unsafe fn open_accepted(_h: *mut uv_udp_t, _fd: c_int) -> c_int {
    UV_ENOTSUP
}
