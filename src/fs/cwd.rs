//! The process's place in the file system: uv_cwd, uv_chdir, uv_exepath.

use crate::abi::*;
use core::ffi::{c_char, c_int};

/// The current directory into `buffer` (`*size` bytes). On success `*size` is its length
/// without the NUL; a trailing slash is dropped except for "/". When it does not fit, the
/// answer is UV_ENOBUFS with `*size` set to the room needed, NUL included.
#[no_mangle]
pub unsafe extern "C" fn uv_cwd(buffer: *mut c_char, size: *mut usize) -> c_int {
    // SAFETY: the program gives `*size` writable bytes at buffer (checked non-NULL).
    unsafe {
        if buffer.is_null() || size.is_null() || *size == 0 {
            return UV_EINVAL;
        }
        if !libc::getcwd(buffer, *size).is_null() {
            let mut len = libc::strlen(buffer);
            if len > 1 && *buffer.add(len - 1) == b'/' as c_char {
                len -= 1;
                *buffer.add(len) = 0;
            }
            *size = len;
            return 0;
        }
        let e = super::errno();
        if e != libc::ERANGE {
            return -e;
        }
        // Too small: find out how much room the program must provide.
        match std::env::current_dir() {
            Ok(p) => {
                use std::os::unix::ffi::OsStrExt;
                let bytes = p.as_os_str().as_bytes();
                let mut len = bytes.len();
                if len > 1 && bytes[len - 1] == b'/' {
                    len -= 1;
                }
                *size = len + 1;
                UV_ENOBUFS
            }
            Err(err) => -err.raw_os_error().unwrap_or(libc::EIO),
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_chdir(dir: *const c_char) -> c_int {
    if dir.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: dir is the program's NUL-terminated path.
    if unsafe { libc::chdir(dir) } == 0 {
        0
    } else {
        -super::errno()
    }
}

/// The running executable's path (from /proc/self/exe) into `buffer`, truncated to fit
/// `*size - 1` bytes and NUL-terminated; `*size` becomes the length stored.
#[no_mangle]
pub unsafe extern "C" fn uv_exepath(buffer: *mut c_char, size: *mut usize) -> c_int {
    // SAFETY: the program gives `*size` writable bytes at buffer (checked non-NULL).
    unsafe {
        if buffer.is_null() || size.is_null() || *size == 0 {
            return UV_EINVAL;
        }
        let room = *size - 1;
        let mut n = 0usize;
        if room > 0 {
            let r = libc::readlink(c"/proc/self/exe".as_ptr(), buffer, room);
            if r < 0 {
                return -super::errno();
            }
            n = r as usize;
        }
        *buffer.add(n) = 0;
        *size = n;
    }
    0
}
