//! Signal handles (being written by a teammate): hooks the rest of the library calls.

use crate::abi::*;

/// The loop's signal pipe is readable.
pub unsafe fn io(_l: *mut uv_loop_t, _w: *mut uv__io_t, _events: u32) {}

/// uv_close of a signal handle.
pub unsafe fn close(_h: *mut uv_signal_t) {}
