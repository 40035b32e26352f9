//! Request-wide accessors: sizes, type names, data.

use crate::abi::enums::REQ_TYPE_MAP;
use crate::abi::*;
use core::ffi::{c_char, c_void};
use core::mem::size_of;

/// The size of a request type's struct; (size_t)-1 for anything that is not a request type.
#[no_mangle]
pub extern "C" fn uv_req_size(r#type: uv_req_type) -> usize {
    match r#type {
        UV_REQ => size_of::<uv_req_t>(),
        UV_CONNECT => size_of::<uv_connect_t>(),
        UV_WRITE => size_of::<uv_write_t>(),
        UV_SHUTDOWN => size_of::<uv_shutdown_t>(),
        UV_UDP_SEND => size_of::<uv_udp_send_t>(),
        UV_FS => size_of::<uv_fs_t>(),
        UV_WORK => size_of::<uv_work_t>(),
        UV_GETADDRINFO => size_of::<uv_getaddrinfo_t>(),
        UV_GETNAMEINFO => size_of::<uv_getnameinfo_t>(),
        UV_RANDOM => size_of::<uv_random_t>(),
        _ => usize::MAX,
    }
}

/// "connect", "write", ...; NULL for anything that is not a request type.
#[no_mangle]
pub extern "C" fn uv_req_type_name(r#type: uv_req_type) -> *const c_char {
    static NAMES: [&core::ffi::CStr; 10] = [
        c"req",
        c"connect",
        c"write",
        c"shutdown",
        c"udp_send",
        c"fs",
        c"work",
        c"getaddrinfo",
        c"getnameinfo",
        c"random",
    ];
    debug_assert_eq!(REQ_TYPE_MAP.len(), NAMES.len());
    if (UV_REQ..UV_REQ_TYPE_MAX).contains(&r#type) {
        NAMES[(r#type - 1) as usize].as_ptr()
    } else {
        core::ptr::null()
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_req_get_data(req: *const uv_req_t) -> *mut c_void {
    // SAFETY: a non-NULL req points to a request the program initialized.
    match unsafe { req.as_ref() } {
        Some(r) => r.data,
        None => core::ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_req_set_data(req: *mut uv_req_t, data: *mut c_void) {
    // SAFETY: as above.
    if let Some(r) = unsafe { req.as_mut() } {
        r.data = data;
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_req_get_type(req: *const uv_req_t) -> uv_req_type {
    // SAFETY: as above.
    match unsafe { req.as_ref() } {
        Some(r) => r.r#type,
        None => UV_UNKNOWN_REQ,
    }
}

/// Common initialization of a request: its type, and it keeps the loop alive until done.
pub unsafe fn init(l: *mut uv_loop_t, req: *mut uv_req_t, ty: uv_req_type) {
    // SAFETY: l is a live loop; req is the program's request memory.
    unsafe {
        (*req).r#type = ty;
        register(l, req);
    }
}

#[inline]
pub unsafe fn register(l: *mut uv_loop_t, _req: *mut uv_req_t) {
    // SAFETY: l is a live loop (loop thread).
    unsafe { (*l).active_reqs.count += 1 }
}

#[inline]
pub unsafe fn unregister(l: *mut uv_loop_t, _req: *mut uv_req_t) {
    // SAFETY: l is a live loop (loop thread).
    unsafe { (*l).active_reqs.count -= 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_map() {
        for (i, (_, lc)) in REQ_TYPE_MAP.iter().enumerate() {
            let s = unsafe { std::ffi::CStr::from_ptr(uv_req_type_name(i as i32 + 1)) };
            assert_eq!(s.to_str().unwrap(), *lc);
        }
        assert!(uv_req_type_name(UV_UNKNOWN_REQ).is_null());
        assert!(uv_req_type_name(UV_REQ_TYPE_MAX).is_null());
        assert_eq!(uv_req_size(UV_GETNAMEINFO), 1320);
        assert_eq!(uv_req_size(-3), usize::MAX);
    }
}
