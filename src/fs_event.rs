//! File system event handles (being written by a teammate): hooks the rest of the library calls.

use crate::abi::*;

/// The loop's inotify fd is readable.
pub unsafe fn io(_l: *mut uv_loop_t, _w: *mut uv__io_t, _events: u32) {}

/// uv_close of a fs event handle.
pub unsafe fn close(_h: *mut uv_fs_event_t) {}
