//! Error codes: names, messages and translation from errno (uv_strerror & co).
//!
//! libuv's error codes are negated errno values on Unix, plus a few of its own (UV_EOF,
//! UV_EAI_*). Names and messages come from the shared table in `abi::errno_table`.

use crate::abi::ERRNO_TABLE;
use core::ffi::{c_char, c_int};
use std::ffi::CString;
use std::sync::Mutex;

fn lookup(err: c_int) -> Option<&'static (&'static str, i32, &'static str)> {
    ERRNO_TABLE.iter().find(|(_, value, _)| *value == err)
}

/// NUL-terminated static strings for the table, built once, so uv_err_name/uv_strerror can
/// hand out `const char*` that live forever.
struct StaticNames {
    names: Vec<CString>,
    messages: Vec<CString>,
}

fn static_names() -> &'static StaticNames {
    static NAMES: std::sync::OnceLock<StaticNames> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| StaticNames {
        names: ERRNO_TABLE
            .iter()
            .map(|(n, _, _)| CString::new(*n).unwrap())
            .collect(),
        messages: ERRNO_TABLE
            .iter()
            .map(|(_, _, m)| CString::new(*m).unwrap())
            .collect(),
    })
}

fn unknown_text(err: c_int) -> String {
    format!("Unknown system error {err}")
}

/// libuv returns a freshly allocated (and never freed) string for unknown codes. We keep one
/// string per code instead, so a program that asks repeatedly does not leak repeatedly. A
/// plain vector (unknown codes are few) keeps every string reachable from the start of an
/// allocation, which leak checkers can follow (a hash table's interior pointers they cannot).
fn unknown_static(err: c_int) -> *const c_char {
    static UNKNOWN: Mutex<Vec<(c_int, CString)>> = Mutex::new(Vec::new());
    let mut known = match UNKNOWN.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some((_, s)) = known.iter().find(|(code, _)| *code == err) {
        return s.as_ptr();
    }
    let s = CString::new(unknown_text(err)).unwrap_or_default();
    let p = s.as_ptr();
    known.push((err, s));
    p
}

/// Copies `text` into `buf` with snprintf's contract: at most `buflen - 1` bytes, always
/// NUL-terminated when `buflen > 0`.
unsafe fn copy_truncated(text: &str, buf: *mut c_char, buflen: usize) -> *mut c_char {
    if buf.is_null() || buflen == 0 {
        return buf;
    }
    let n = text.len().min(buflen - 1);
    // SAFETY: the caller gives `buflen` writable bytes at `buf`; we write n + 1 <= buflen.
    unsafe {
        core::ptr::copy_nonoverlapping(text.as_ptr() as *const c_char, buf, n);
        *buf.add(n) = 0;
    }
    buf
}

/// The message of an error code, as uv_strerror gives it.
pub fn message(err: c_int) -> String {
    match lookup(err) {
        Some((_, _, msg)) => (*msg).to_string(),
        None => unknown_text(err),
    }
}

#[no_mangle]
pub extern "C" fn uv_strerror(err: c_int) -> *const c_char {
    match ERRNO_TABLE.iter().position(|(_, value, _)| *value == err) {
        Some(i) => static_names().messages[i].as_ptr(),
        None => unknown_static(err),
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_strerror_r(err: c_int, buf: *mut c_char, buflen: usize) -> *mut c_char {
    // SAFETY: buf/buflen come from the caller as a writable buffer (checked for NULL/0).
    unsafe { copy_truncated(&message(err), buf, buflen) }
}

#[no_mangle]
pub extern "C" fn uv_err_name(err: c_int) -> *const c_char {
    match ERRNO_TABLE.iter().position(|(_, value, _)| *value == err) {
        Some(i) => static_names().names[i].as_ptr(),
        None => unknown_static(err),
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_err_name_r(err: c_int, buf: *mut c_char, buflen: usize) -> *mut c_char {
    let text = match lookup(err) {
        Some((name, _, _)) => (*name).to_string(),
        None => unknown_text(err),
    };
    // SAFETY: as for uv_strerror_r.
    unsafe { copy_truncated(&text, buf, buflen) }
}

/// On Unix a system error is an errno value; libuv's code is its negation.
#[no_mangle]
pub extern "C" fn uv_translate_sys_error(sys_errno: c_int) -> c_int {
    if sys_errno <= 0 {
        sys_errno
    } else {
        -sys_errno
    }
}

/// The current thread's errno as a libuv error code.
#[allow(dead_code)]
pub(crate) fn last_error() -> c_int {
    -std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn s(p: *const c_char) -> String {
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }

    #[test]
    fn names_and_messages() {
        assert_eq!(s(uv_err_name(crate::abi::UV_EOF)), "EOF");
        assert_eq!(s(uv_strerror(crate::abi::UV_EOF)), "end of file");
        assert_eq!(s(uv_strerror(-libc::EINVAL)), "invalid argument");
        assert_eq!(s(uv_strerror(1234)), "Unknown system error 1234");
        assert_eq!(
            uv_strerror(1234),
            uv_strerror(1234),
            "one string per unknown code"
        );
    }

    #[test]
    fn truncation() {
        let mut buf = [0x7f as c_char; 4];
        unsafe { uv_strerror_r(crate::abi::UV_EOF, buf.as_mut_ptr(), 4) };
        assert_eq!(s(buf.as_ptr()), "end");
        unsafe { uv_err_name_r(crate::abi::UV_EOF, buf.as_mut_ptr(), 0) };
        assert_eq!(s(buf.as_ptr()), "end", "buflen 0 writes nothing");
    }

    #[test]
    fn translate() {
        assert_eq!(uv_translate_sys_error(libc::ENOENT), -libc::ENOENT);
        assert_eq!(uv_translate_sys_error(-5), -5);
        assert_eq!(uv_translate_sys_error(0), 0);
    }
}
