//! Handle-wide accessors: sizes, type names, data and loop pointers.

use crate::abi::enums::HANDLE_TYPE_MAP;
use crate::abi::*;
use core::ffi::{c_char, c_void};
use core::mem::size_of;

/// The size of a handle type's struct; (size_t)-1 for anything that is not a handle type.
#[no_mangle]
pub extern "C" fn uv_handle_size(r#type: uv_handle_type) -> usize {
    match r#type {
        UV_ASYNC => size_of::<uv_async_t>(),
        UV_CHECK => size_of::<uv_check_t>(),
        UV_FS_EVENT => size_of::<uv_fs_event_t>(),
        UV_FS_POLL => size_of::<uv_fs_poll_t>(),
        UV_HANDLE => size_of::<uv_handle_t>(),
        UV_IDLE => size_of::<uv_idle_t>(),
        UV_NAMED_PIPE => size_of::<uv_pipe_t>(),
        UV_POLL => size_of::<uv_poll_t>(),
        UV_PREPARE => size_of::<uv_prepare_t>(),
        UV_PROCESS => size_of::<uv_process_t>(),
        UV_STREAM => size_of::<uv_stream_t>(),
        UV_TCP => size_of::<uv_tcp_t>(),
        UV_TIMER => size_of::<uv_timer_t>(),
        UV_TTY => size_of::<uv_tty_t>(),
        UV_UDP => size_of::<uv_udp_t>(),
        UV_SIGNAL => size_of::<uv_signal_t>(),
        _ => usize::MAX,
    }
}

/// "tcp", "timer", ...; "file" for UV_FILE; NULL otherwise.
#[no_mangle]
pub extern "C" fn uv_handle_type_name(r#type: uv_handle_type) -> *const c_char {
    static NAMES: [&core::ffi::CStr; 17] = [
        c"async",
        c"check",
        c"fs_event",
        c"fs_poll",
        c"handle",
        c"idle",
        c"pipe",
        c"poll",
        c"prepare",
        c"process",
        c"stream",
        c"tcp",
        c"timer",
        c"tty",
        c"udp",
        c"signal",
        c"file",
    ];
    debug_assert_eq!(HANDLE_TYPE_MAP.len() + 1, NAMES.len());
    if (UV_ASYNC..=UV_FILE).contains(&r#type) {
        NAMES[(r#type - 1) as usize].as_ptr()
    } else {
        core::ptr::null()
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_handle_get_type(handle: *const uv_handle_t) -> uv_handle_type {
    // SAFETY: a non-NULL handle points to an initialized handle (caller's contract).
    match unsafe { handle.as_ref() } {
        Some(h) => h.r#type,
        None => UV_UNKNOWN_HANDLE,
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_handle_get_data(handle: *const uv_handle_t) -> *mut c_void {
    // SAFETY: as above.
    match unsafe { handle.as_ref() } {
        Some(h) => h.data,
        None => core::ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_handle_set_data(handle: *mut uv_handle_t, data: *mut c_void) {
    // SAFETY: as above; `data` is a public field the program owns.
    if let Some(h) = unsafe { handle.as_mut() } {
        h.data = data;
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_handle_get_loop(handle: *const uv_handle_t) -> *mut uv_loop_t {
    // SAFETY: as above.
    match unsafe { handle.as_ref() } {
        Some(h) => h.r#loop,
        None => core::ptr::null_mut(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_map() {
        for (i, (_, lc)) in HANDLE_TYPE_MAP.iter().enumerate() {
            let p = uv_handle_type_name(i as i32 + 1);
            let s = unsafe { std::ffi::CStr::from_ptr(p) };
            assert_eq!(s.to_str().unwrap(), *lc);
        }
        assert!(uv_handle_type_name(UV_UNKNOWN_HANDLE).is_null());
        assert!(uv_handle_type_name(UV_HANDLE_TYPE_MAX).is_null());
        assert!(uv_handle_type_name(-1).is_null());
    }

    #[test]
    fn sizes() {
        assert_eq!(uv_handle_size(UV_TCP), 248);
        assert_eq!(uv_handle_size(UV_FILE), usize::MAX);
        assert_eq!(uv_handle_size(12345), usize::MAX);
    }
}
