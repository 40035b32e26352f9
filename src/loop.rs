//! The event loop.

use crate::abi::*;
use core::ffi::c_void;

#[no_mangle]
pub extern "C" fn uv_loop_size() -> usize {
    core::mem::size_of::<uv_loop_t>()
}

#[no_mangle]
pub unsafe extern "C" fn uv_loop_get_data(r#loop: *const uv_loop_t) -> *mut c_void {
    // SAFETY: a non-NULL loop points to a uv_loop_t (caller's contract).
    match unsafe { r#loop.as_ref() } {
        Some(l) => l.data,
        None => core::ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_loop_set_data(r#loop: *mut uv_loop_t, data: *mut c_void) {
    // SAFETY: as above; `data` is the program's field.
    if let Some(l) = unsafe { r#loop.as_mut() } {
        l.data = data;
    }
}
