//! uv_version and uv_version_string: we implement, and report, libuv 1.52.1.

use core::ffi::{c_char, c_uint};

pub const MAJOR: c_uint = 1;
pub const MINOR: c_uint = 52;
pub const PATCH: c_uint = 1;

#[no_mangle]
pub extern "C" fn uv_version() -> c_uint {
    (MAJOR << 16) | (MINOR << 8) | PATCH
}

#[no_mangle]
pub extern "C" fn uv_version_string() -> *const c_char {
    // A release version has no suffix, so the string is exactly MAJOR.MINOR.PATCH.
    c"1.52.1".as_ptr()
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_agrees_with_string() {
        let s = unsafe { std::ffi::CStr::from_ptr(super::uv_version_string()) };
        assert_eq!(
            s.to_str().unwrap(),
            format!("{}.{}.{}", super::MAJOR, super::MINOR, super::PATCH)
        );
        assert_eq!(super::uv_version(), 0x013401);
    }
}
