//! The replaceable allocator (uv_replace_allocator).
//!
//! Every allocation that crosses into C code (memory C frees with uv's rules, or memory we
//! free that C allocated through us: strings from uv_os_*, uv_cpu_info arrays, scandir
//! entries...) goes through these functions, so a program's allocator sees all of it. Rust's
//! own internal bookkeeping keeps using Rust's allocator.

use crate::abi::{uv_calloc_func, uv_free_func, uv_malloc_func, uv_realloc_func, UV_EINVAL};
use core::ffi::{c_char, c_int, c_void};
use core::sync::atomic::{AtomicUsize, Ordering};

// Function pointers stored as integers; 0 means "the C library's function".
static MALLOC: AtomicUsize = AtomicUsize::new(0);
static REALLOC: AtomicUsize = AtomicUsize::new(0);
static CALLOC: AtomicUsize = AtomicUsize::new(0);
static FREE: AtomicUsize = AtomicUsize::new(0);

#[no_mangle]
pub extern "C" fn uv_replace_allocator(
    malloc_func: uv_malloc_func,
    realloc_func: uv_realloc_func,
    calloc_func: uv_calloc_func,
    free_func: uv_free_func,
) -> c_int {
    let (Some(m), Some(r), Some(c), Some(f)) = (malloc_func, realloc_func, calloc_func, free_func)
    else {
        return UV_EINVAL;
    };
    MALLOC.store(m as usize, Ordering::Release);
    REALLOC.store(r as usize, Ordering::Release);
    CALLOC.store(c as usize, Ordering::Release);
    FREE.store(f as usize, Ordering::Release);
    0
}

/// malloc through the program's allocator; NULL for size 0, as libuv's uv__malloc.
pub fn malloc(size: usize) -> *mut c_void {
    if size == 0 {
        return core::ptr::null_mut();
    }
    match MALLOC.load(Ordering::Acquire) {
        // SAFETY: plain libc malloc.
        0 => unsafe { libc::malloc(size) },
        // SAFETY: the value was stored from a valid uv_malloc_func by uv_replace_allocator.
        p => unsafe {
            let f: unsafe extern "C" fn(usize) -> *mut c_void = core::mem::transmute(p);
            f(size)
        },
    }
}

#[allow(dead_code)]
pub fn calloc(count: usize, size: usize) -> *mut c_void {
    if count == 0 || size == 0 {
        return core::ptr::null_mut();
    }
    match CALLOC.load(Ordering::Acquire) {
        // SAFETY: plain libc calloc.
        0 => unsafe { libc::calloc(count, size) },
        // SAFETY: stored from a valid uv_calloc_func.
        p => unsafe {
            let f: unsafe extern "C" fn(usize, usize) -> *mut c_void = core::mem::transmute(p);
            f(count, size)
        },
    }
}

/// realloc with libuv's rule: size 0 frees and returns NULL.
#[allow(dead_code)]
pub unsafe fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
    if size == 0 {
        // SAFETY: ptr came from this allocator (caller's contract).
        unsafe { free(ptr) };
        return core::ptr::null_mut();
    }
    match REALLOC.load(Ordering::Acquire) {
        // SAFETY: ptr came from this allocator (caller's contract).
        0 => unsafe { libc::realloc(ptr, size) },
        // SAFETY: stored from a valid uv_realloc_func.
        p => unsafe {
            let f: unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void =
                core::mem::transmute(p);
            f(ptr, size)
        },
    }
}

/// free that preserves errno, since callers often free on an error path before reporting it.
#[allow(dead_code)]
pub unsafe fn free(ptr: *mut c_void) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: errno is thread-local; we restore the value we read.
    let saved = unsafe { *libc::__errno_location() };
    match FREE.load(Ordering::Acquire) {
        // SAFETY: ptr came from this allocator (caller's contract).
        0 => unsafe { libc::free(ptr) },
        // SAFETY: stored from a valid uv_free_func.
        p => unsafe {
            let f: unsafe extern "C" fn(*mut c_void) = core::mem::transmute(p);
            f(ptr)
        },
    }
    // SAFETY: errno is this thread's; we put back the value read above.
    unsafe { *libc::__errno_location() = saved };
}

/// A NUL-terminated copy of `s` in the program's allocator (NULL if out of memory).
#[allow(dead_code)]
pub fn strdup(s: &[u8]) -> *mut c_char {
    let p = malloc(s.len() + 1) as *mut u8;
    if !p.is_null() {
        // SAFETY: p has s.len() + 1 bytes.
        unsafe {
            core::ptr::copy_nonoverlapping(s.as_ptr(), p, s.len());
            *p.add(s.len()) = 0;
        }
    }
    p as *mut c_char
}
