//! Shared libraries: uv_dlopen, uv_dlsym, uv_dlclose, uv_dlerror.
//!
//! Thin wrappers over dlopen(3) & co. The last error message is copied into `lib->errmsg`
//! (allocated with the program's allocator, `crate::alloc`) because dlerror(3)'s string
//! does not survive the next dl* call; it is replaced on the next error and freed by
//! uv_dlclose. As in libuv, uv_dlopen and uv_dlsym return -1 on error, not a UV_E* code.

use crate::abi::uv_lib_t;
use core::ffi::{c_char, c_int, c_void, CStr};
use core::ptr;

/// Replaces `lib->errmsg` with the pending dlerror() message. Returns -1 if there was one,
/// 0 if not (a symbol whose value really is NULL).
///
/// # Safety
/// `lib` is a valid uv_lib_t whose errmsg is NULL or ours.
unsafe fn take_error(lib: *mut uv_lib_t) -> c_int {
    // SAFETY: the caller's contract; dlerror returns NULL or a NUL-terminated string.
    unsafe {
        crate::alloc::free((*lib).errmsg as *mut c_void);
        (*lib).errmsg = ptr::null_mut();
        let msg = libc::dlerror();
        if msg.is_null() {
            return 0;
        }
        (*lib).errmsg = crate::alloc::strdup(CStr::from_ptr(msg).to_bytes());
    }
    -1
}

#[no_mangle]
pub unsafe extern "C" fn uv_dlopen(filename: *const c_char, lib: *mut uv_lib_t) -> c_int {
    if lib.is_null() {
        return -1;
    }
    // SAFETY: lib is the program's (possibly uninitialized) struct: errmsg is set before it
    // is read. filename is NULL (the main program) or a NUL-terminated path.
    unsafe {
        libc::dlerror(); // clear any stale error
        (*lib).errmsg = ptr::null_mut();
        (*lib).handle = libc::dlopen(filename, libc::RTLD_LAZY);
        if (*lib).handle.is_null() {
            return take_error(lib);
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_dlclose(lib: *mut uv_lib_t) {
    // SAFETY: a uv_lib_t set up by uv_dlopen (or NULL).
    unsafe {
        let Some(l) = lib.as_mut() else { return };
        crate::alloc::free(l.errmsg as *mut c_void);
        l.errmsg = ptr::null_mut();
        if !l.handle.is_null() {
            // Errors are ignored, as in libuv: there is no way to report them.
            libc::dlclose(l.handle);
            l.handle = ptr::null_mut();
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_dlsym(
    lib: *mut uv_lib_t,
    name: *const c_char,
    p: *mut *mut c_void,
) -> c_int {
    if lib.is_null() || p.is_null() {
        return -1;
    }
    // SAFETY: lib was set up by uv_dlopen; name is a NUL-terminated string; p is writable.
    unsafe {
        libc::dlerror();
        *p = libc::dlsym((*lib).handle, name);
        if (*p).is_null() {
            return take_error(lib);
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_dlerror(lib: *const uv_lib_t) -> *const c_char {
    // SAFETY: a uv_lib_t set up by uv_dlopen (or NULL).
    match unsafe { lib.as_ref() } {
        Some(l) if !l.errmsg.is_null() => l.errmsg,
        _ => c"no error".as_ptr(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_sym_close() {
        let mut lib = uv_lib_t {
            handle: ptr::null_mut(),
            errmsg: ptr::null_mut(),
        };
        unsafe {
            assert_eq!(uv_dlopen(c"libm.so.6".as_ptr(), &mut lib), 0);
            assert_eq!(CStr::from_ptr(uv_dlerror(&lib)).to_bytes(), b"no error");
            let mut f: *mut c_void = ptr::null_mut();
            assert_eq!(uv_dlsym(&mut lib, c"cos".as_ptr(), &mut f), 0);
            let cos: extern "C" fn(f64) -> f64 = core::mem::transmute(f);
            assert_eq!(cos(0.0), 1.0);
            assert_eq!(
                uv_dlsym(&mut lib, c"no_such_symbol_xyz".as_ptr(), &mut f),
                -1
            );
            assert!(f.is_null());
            let msg = CStr::from_ptr(uv_dlerror(&lib))
                .to_string_lossy()
                .into_owned();
            assert!(msg.contains("no_such_symbol_xyz"), "{msg}");
            uv_dlclose(&mut lib);
            assert!(lib.handle.is_null() && lib.errmsg.is_null());

            assert_eq!(
                uv_dlopen(c"/nonexistent/libnothing.so".as_ptr(), &mut lib),
                -1
            );
            let msg = CStr::from_ptr(uv_dlerror(&lib))
                .to_string_lossy()
                .into_owned();
            assert!(msg.contains("libnothing"), "{msg}");
            uv_dlclose(&mut lib);
        }
    }
}
