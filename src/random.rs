//! uv_random: cryptographically strong random bytes from the kernel.
//!
//! getrandom(2) fills the buffer, in chunks of at most 256 bytes (the size the kernel
//! promises not to interrupt); kernels without it fall back to /dev/urandom. Without a
//! callback the call is synchronous; with one, the fill runs on the threadpool and the
//! callback runs on the loop thread with the request's status.

use crate::abi::*;
use crate::queue::container_of;
use crate::threadpool::{self, WorkKind};
use core::ffi::{c_int, c_uint, c_void};
use std::io::Read;

/// The largest request libuv accepts.
const MAX_LEN: usize = 0x7FFF_FFFF;

/// Fills `buf` from /dev/urandom.
fn fill_urandom(buf: &mut [u8]) -> c_int {
    match std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(buf)) {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => UV_EIO,
        Err(e) => -e.raw_os_error().unwrap_or(libc::EIO),
    }
}

/// Fills `buf` with random bytes; 0 or a UV_E* code.
pub fn fill(buf: &mut [u8]) -> c_int {
    let mut pos = 0;
    while pos < buf.len() {
        let chunk = (buf.len() - pos).min(256);
        // SAFETY: the destination is the unfilled part of buf, `chunk` bytes long.
        let n = unsafe { libc::getrandom(buf[pos..].as_mut_ptr() as *mut c_void, chunk, 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO);
            match e {
                libc::EINTR => continue,
                libc::ENOSYS => return fill_urandom(&mut buf[pos..]),
                _ => return -e,
            }
        }
        if n == 0 {
            return UV_EIO;
        }
        pos += n as usize;
    }
    0
}

/// Fills the program's buffer.
///
/// # Safety
/// `buf` points to `len` writable bytes (or len is 0).
unsafe fn fill_raw(buf: *mut c_void, len: usize) -> c_int {
    if len == 0 {
        return 0;
    }
    if buf.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: the caller's contract.
    fill(unsafe { core::slice::from_raw_parts_mut(buf as *mut u8, len) })
}

unsafe extern "C-unwind" fn random_work(w: *mut uv__work) {
    // SAFETY: w is the work_req of a live uv_random_t; its buffer stays valid until the
    // callback (the program's contract).
    unsafe {
        let req = container_of!(w, uv_random_t, work_req);
        (*req).status = fill_raw((*req).buf, (*req).buflen);
    }
}

unsafe extern "C-unwind" fn random_done(w: *mut uv__work, status: c_int) {
    // SAFETY: w is the work_req of a live uv_random_t registered on its loop; this runs on
    // the loop thread.
    unsafe {
        let req = container_of!(w, uv_random_t, work_req);
        crate::req::unregister((*req).r#loop, req as *mut uv_req_t);
        let status = if status == 0 { (*req).status } else { status };
        if let Some(cb) = (*req).cb {
            cb(req, status, (*req).buf, (*req).buflen);
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_random(
    r#loop: *mut uv_loop_t,
    req: *mut uv_random_t,
    buf: *mut c_void,
    buflen: usize,
    flags: c_uint,
    cb: uv_random_cb,
) -> c_int {
    if buflen > MAX_LEN {
        return UV_E2BIG;
    }
    if flags != 0 {
        return UV_EINVAL;
    }
    if cb.is_none() {
        // SAFETY: the program's buffer of buflen bytes.
        return unsafe { fill_raw(buf, buflen) };
    }
    if r#loop.is_null() || req.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: an initialized loop and the program's request memory, which stays valid until
    // the callback.
    unsafe {
        crate::req::init(r#loop, req as *mut uv_req_t, UV_RANDOM);
        (*req).r#loop = r#loop;
        (*req).status = 0;
        (*req).cb = cb;
        (*req).buf = buf;
        (*req).buflen = buflen;
        threadpool::submit(
            r#loop,
            &mut (*req).work_req,
            WorkKind::Cpu,
            random_work,
            random_done,
        );
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_fill() {
        let mut a = [0u8; 1000];
        let mut b = [0u8; 1000];
        assert_eq!(fill(&mut a), 0);
        assert_eq!(fill(&mut b), 0);
        assert_ne!(a, b);
        assert!(a.iter().any(|&x| x != 0));
        assert_eq!(fill_urandom(&mut b), 0);
        unsafe {
            let (l, r, none) = (
                core::ptr::null_mut(),
                core::ptr::null_mut(),
                core::ptr::null_mut(),
            );
            let p = a.as_mut_ptr() as *mut c_void;
            assert_eq!(uv_random(l, r, p, 16, 1, None), UV_EINVAL);
            assert_eq!(uv_random(l, r, p, 16, 0, None), 0);
            assert_eq!(uv_random(l, r, none, 0, 0, None), 0);
            assert_eq!(uv_random(l, r, none, MAX_LEN + 1, 0, None), UV_E2BIG);
        }
    }
}
