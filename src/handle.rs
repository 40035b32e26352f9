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

// ---- handle lifecycle (shared by every handle type) ----

bitflags::bitflags! {
    /// Private bits of `handle->flags`. The low ones have libuv's values, since debuggers
    /// and some embedders peek at them.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Flags: u32 {
        const CLOSING = 0x1;
        const CLOSED = 0x2;
        const ACTIVE = 0x4;
        const REF = 0x8;
        const INTERNAL = 0x10;
        // Stream and socket states (used by later handle types).
        const LISTENING = 0x40;
        const CONNECTION = 0x80;
        const SHUTTING = 0x100;
        const SHUT = 0x200;
        const READ_PARTIAL = 0x400;
        const READ_EOF = 0x800;
        const READING = 0x1000;
        const BOUND = 0x2000;
        const READABLE = 0x4000;
        const WRITABLE = 0x8000;
        const BLOCKING_WRITES = 0x10_0000;
        // Type-specific bits share the high range, as in libuv.
        const TYPE_BIT0 = 0x100_0000;
        const TYPE_BIT1 = 0x200_0000;
        const TYPE_BIT2 = 0x400_0000;
        const TYPE_BIT3 = 0x800_0000;
        const TYPE_BIT4 = 0x1000_0000;
    }
}

/// Reads a handle's private flags.
#[inline]
pub unsafe fn flags(h: *const uv_handle_t) -> Flags {
    // SAFETY: h is a live handle (callers' contract throughout this module).
    Flags::from_bits_retain(unsafe { (*h).flags })
}

#[inline]
unsafe fn set_flags(h: *mut uv_handle_t, f: Flags) {
    // SAFETY: h is a live handle.
    unsafe { (*h).flags = f.bits() }
}

#[inline]
pub unsafe fn add_flags(h: *mut uv_handle_t, f: Flags) {
    // SAFETY: h is a live handle.
    unsafe { set_flags(h, flags(h) | f) }
}

#[allow(dead_code)] // used by the stream handles
#[inline]
pub unsafe fn clear_flags(h: *mut uv_handle_t, f: Flags) {
    // SAFETY: h is a live handle.
    unsafe { set_flags(h, flags(h) - f) }
}

/// Common initialization of every handle: linked into the loop, referenced, inactive.
/// `data` is left alone: programs may set it before init.
pub unsafe fn init(l: *mut uv_loop_t, h: *mut uv_handle_t, ty: uv_handle_type) {
    // SAFETY: l is an initialized loop, h points to writable handle memory of the right type.
    unsafe {
        (*h).r#loop = l;
        (*h).r#type = ty;
        (*h).flags = Flags::REF.bits();
        (*h).close_cb = None;
        (*h).next_closing = core::ptr::null_mut();
        (*h).u.reserved = [core::ptr::null_mut(); 4];
        crate::queue::insert_tail(&mut (*l).handle_queue, &mut (*h).handle_queue);
    }
}

/// Marks a handle active; an active referenced handle keeps its loop alive.
#[inline]
pub unsafe fn start(h: *mut uv_handle_t) {
    // SAFETY: h is a live handle of a live loop.
    unsafe {
        let f = flags(h);
        if f.contains(Flags::ACTIVE) {
            return;
        }
        set_flags(h, f | Flags::ACTIVE);
        if f.contains(Flags::REF) {
            (*(*h).r#loop).active_handles += 1;
        }
    }
}

#[inline]
pub unsafe fn stop(h: *mut uv_handle_t) {
    // SAFETY: h is a live handle of a live loop.
    unsafe {
        let f = flags(h);
        if !f.contains(Flags::ACTIVE) {
            return;
        }
        set_flags(h, f - Flags::ACTIVE);
        if f.contains(Flags::REF) {
            (*(*h).r#loop).active_handles -= 1;
        }
    }
}

#[inline]
pub unsafe fn is_active(h: *const uv_handle_t) -> bool {
    // SAFETY: h is a live handle.
    unsafe { flags(h).contains(Flags::ACTIVE) }
}

#[inline]
pub unsafe fn is_closing(h: *const uv_handle_t) -> bool {
    // SAFETY: h is a live handle.
    unsafe { flags(h).intersects(Flags::CLOSING | Flags::CLOSED) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_ref(handle: *mut uv_handle_t) {
    if handle.is_null() {
        return;
    }
    // SAFETY: non-NULL handles passed by the program are initialized handles.
    unsafe {
        let f = flags(handle);
        if f.contains(Flags::REF) {
            return;
        }
        set_flags(handle, f | Flags::REF);
        // A closing handle no longer counts, whatever its reference state.
        if !f.contains(Flags::CLOSING) && f.contains(Flags::ACTIVE) {
            (*(*handle).r#loop).active_handles += 1;
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_unref(handle: *mut uv_handle_t) {
    if handle.is_null() {
        return;
    }
    // SAFETY: as uv_ref.
    unsafe {
        let f = flags(handle);
        if !f.contains(Flags::REF) {
            return;
        }
        set_flags(handle, f - Flags::REF);
        if !f.contains(Flags::CLOSING) && f.contains(Flags::ACTIVE) {
            (*(*handle).r#loop).active_handles -= 1;
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_has_ref(handle: *const uv_handle_t) -> core::ffi::c_int {
    // SAFETY: as uv_ref.
    (!handle.is_null() && unsafe { flags(handle) }.contains(Flags::REF)) as core::ffi::c_int
}

#[no_mangle]
pub unsafe extern "C" fn uv_is_active(handle: *const uv_handle_t) -> core::ffi::c_int {
    if handle.is_null() {
        return 0;
    }
    // SAFETY: as uv_ref.
    let f = unsafe { flags(handle) };
    (f.contains(Flags::ACTIVE) && !f.contains(Flags::CLOSING)) as core::ffi::c_int
}

#[no_mangle]
pub unsafe extern "C" fn uv_is_closing(handle: *const uv_handle_t) -> core::ffi::c_int {
    if handle.is_null() {
        return 0;
    }
    // SAFETY: as uv_ref.
    unsafe { is_closing(handle) as core::ffi::c_int }
}

/// Whether `h` looks like a handle this library initialized: a known type and a loop.
/// Cheap misuse detection for uv_close and friends; it cannot catch garbage memory.
pub unsafe fn looks_valid(h: *const uv_handle_t) -> bool {
    // SAFETY: h is non-NULL memory the program passed as a handle.
    !h.is_null() && unsafe { (UV_ASYNC..UV_FILE).contains(&(*h).r#type) && !(*h).r#loop.is_null() }
}

/// uv_close: stops the handle now; its close callback runs in the closing phase of the
/// loop (never from inside uv_close). Closing a handle twice is ignored.
#[no_mangle]
pub unsafe extern "C-unwind" fn uv_close(handle: *mut uv_handle_t, close_cb: uv_close_cb) {
    // SAFETY: the program passes an initialized handle; we only accept known types.
    unsafe {
        if !looks_valid(handle) || is_closing(handle) {
            return;
        }
        add_flags(handle, Flags::CLOSING);
        (*handle).close_cb = close_cb;
        match (*handle).r#type {
            UV_TIMER => crate::timer::close(handle as *mut uv_timer_t),
            UV_IDLE | UV_PREPARE | UV_CHECK => crate::loop_watcher::close(handle),
            UV_ASYNC => crate::r#async::close(handle as *mut uv_async_t),
            UV_TCP => crate::tcp::close(handle as *mut uv_tcp_t),
            UV_NAMED_PIPE => crate::pipe::close(handle as *mut uv_pipe_t),
            UV_TTY => crate::tty::close(handle as *mut uv_tty_t),
            UV_POLL => crate::poll::close(handle as *mut uv_poll_t),
            UV_UDP => crate::udp::close(handle as *mut uv_udp_t),
            UV_SIGNAL => crate::signal::close(handle as *mut uv_signal_t),
            UV_PROCESS => crate::process::close(handle as *mut uv_process_t),
            UV_FS_EVENT => crate::fs_event::close(handle as *mut uv_fs_event_t),
            UV_FS_POLL => crate::fs_poll::close(handle as *mut uv_fs_poll_t),
            _ => stop(handle),
        }
        make_close_pending(handle);
    }
}

/// Queues a closing handle for the closing phase. The list is LIFO, as libuv's: close
/// callbacks of one iteration run in the reverse order of the uv_close calls.
pub unsafe fn make_close_pending(h: *mut uv_handle_t) {
    // SAFETY: h is a live handle of a live loop.
    unsafe {
        let l = (*h).r#loop;
        (*h).next_closing = (*l).closing_handles;
        (*l).closing_handles = h;
    }
}

/// The last step of closing: unlink from the loop and run the close callback.
unsafe fn finish_close(h: *mut uv_handle_t) {
    // SAFETY: h is a closing handle of a live loop.
    unsafe {
        add_flags(h, Flags::CLOSED);
        if matches!((*h).r#type, UV_TCP | UV_NAMED_PIPE | UV_TTY) {
            // Cancelled connects and writes get their callbacks before the close callback.
            crate::stream::destroy(h as *mut uv_stream_t);
        } else if (*h).r#type == UV_UDP {
            // Cancelled sends get their callbacks before the close callback.
            crate::udp::finish_close(h as *mut uv_udp_t);
        }
        // An inactive handle does not count; make sure a closed one never does.
        stop(h);
        uv_unref(h);
        crate::queue::remove(&mut (*h).handle_queue);
        crate::queue::init(&mut (*h).handle_queue);
        if let Some(cb) = (*h).close_cb {
            cb(h);
        }
    }
}

/// The closing phase: finishes every handle closed before this phase started. Handles
/// closed by close callbacks wait for the next iteration.
pub unsafe fn run_closing_handles(l: *mut uv_loop_t) {
    // SAFETY: l is a live loop; the list links live closing handles.
    unsafe {
        let mut p = (*l).closing_handles;
        (*l).closing_handles = core::ptr::null_mut();
        // If a close callback unwinds (a C++ exception), the handles not yet finished go
        // back on the loop's list, so the next iteration finishes them.
        let rest = crate::unwind::OnUnwind::new(&mut p as *mut *mut uv_handle_t, |pp| {
            let mut h = *pp;
            while !h.is_null() {
                let next = (*h).next_closing;
                make_close_pending(h);
                h = next;
            }
        });
        while !(*rest.state()).is_null() {
            let h = *rest.state();
            *rest.state() = (*h).next_closing;
            finish_close(h);
        }
        rest.disarm();
    }
}
