//! uv_setup_args, uv_get_process_title, uv_set_process_title.
//!
//! The process title is shown by ps(1) from the memory of the original argv strings, so
//! setting it overwrites that memory. uv_setup_args therefore hands the program a copy of
//! argv to use instead, and remembers the span of the original strings as the title's
//! capacity. The thread name (PR_SET_NAME) follows the title too.

use crate::abi::*;
use core::ffi::{c_char, c_int};
use core::ptr;
use std::sync::Mutex;

struct Title {
    /// Start of the original argv[0] (the title is written here).
    str: *mut c_char,
    /// Current title length.
    len: usize,
    /// Bytes available from `str` (the contiguous original argv strings).
    cap: usize,
    /// The copy of argv handed to the program (freed by uv_library_shutdown).
    args_mem: *mut *mut c_char,
}

// SAFETY: the raw pointers are only used with the mutex held.
unsafe impl Send for Title {}

static TITLE: Mutex<Title> = Mutex::new(Title {
    str: ptr::null_mut(),
    len: 0,
    cap: 0,
    args_mem: ptr::null_mut(),
});

fn lock() -> std::sync::MutexGuard<'static, Title> {
    match TITLE.lock() {
        Ok(g) => g,
        Err(e) => e.into_inner(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_setup_args(argc: c_int, argv: *mut *mut c_char) -> *mut *mut c_char {
    if argc <= 0 || argv.is_null() {
        return argv;
    }
    // SAFETY: argv has argc valid NUL-terminated strings (main's contract).
    unsafe {
        let n = argc as usize;
        let lens: Vec<usize> = (0..n).map(|i| libc::strlen(*argv.add(i)) + 1).collect();
        let table = (n + 1) * core::mem::size_of::<*mut c_char>();
        let total = table + lens.iter().sum::<usize>();
        let new_argv = crate::alloc::malloc(total) as *mut *mut c_char;
        if new_argv.is_null() {
            return argv;
        }
        let mut s = (new_argv as *mut c_char).add(table / core::mem::size_of::<c_char>());
        for (i, len) in lens.iter().enumerate() {
            ptr::copy_nonoverlapping(*argv.add(i), s, *len);
            *new_argv.add(i) = s;
            s = s.add(*len);
        }
        *new_argv.add(n) = ptr::null_mut();

        let mut t = lock();
        t.str = *argv;
        t.len = lens[0] - 1;
        // The title may use the original strings up to the end of the last one.
        t.cap = (*argv.add(n - 1)).add(lens[n - 1]).offset_from(*argv) as usize;
        if !t.args_mem.is_null() {
            crate::alloc::free(t.args_mem as *mut libc::c_void);
        }
        t.args_mem = new_argv;
        new_argv
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_set_process_title(title: *const c_char) -> c_int {
    if title.is_null() {
        return UV_EINVAL;
    }
    let mut t = lock();
    if t.args_mem.is_null() {
        return UV_ENOBUFS;
    }
    // SAFETY: title is a NUL-terminated string; t.str has t.cap writable bytes (the
    // original argv strings, which the program no longer uses after uv_setup_args).
    unsafe {
        let mut len = libc::strlen(title);
        if len >= t.cap {
            len = t.cap.saturating_sub(1);
        }
        ptr::copy_nonoverlapping(title, t.str, len);
        ptr::write_bytes(t.str.add(len), 0, t.cap - len);
        t.len = len;
        libc::prctl(libc::PR_SET_NAME, t.str);
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_get_process_title(buffer: *mut c_char, size: usize) -> c_int {
    if buffer.is_null() || size == 0 {
        return UV_EINVAL;
    }
    let t = lock();
    if t.args_mem.is_null() {
        return UV_ENOBUFS;
    }
    if size <= t.len {
        return UV_ENOBUFS;
    }
    // SAFETY: buffer has `size` > len bytes; t.str has len bytes of title.
    unsafe {
        ptr::copy_nonoverlapping(t.str, buffer, t.len);
        *buffer.add(t.len) = 0;
    }
    0
}

/// Frees the argv copy (uv_library_shutdown).
pub fn cleanup() {
    let mut t = lock();
    if !t.args_mem.is_null() {
        // SAFETY: args_mem came from our allocator in uv_setup_args.
        unsafe { crate::alloc::free(t.args_mem as *mut libc::c_void) };
        t.args_mem = ptr::null_mut();
    }
}
