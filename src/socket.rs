//! Socket helpers shared by TCP, UDP and pipe handles.

use crate::stream::last_errno;
use core::ffi::{c_int, c_void};
use core::mem::size_of;

/// A new non-blocking, close-on-exec socket, or a negative errno.
pub fn socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int {
    // SAFETY: plain socket(2).
    let fd = unsafe {
        libc::socket(
            domain,
            ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            protocol,
        )
    };
    if fd < 0 {
        -last_errno()
    } else {
        fd
    }
}

/// setsockopt with any plain value; 0 or a negative errno.
pub fn setopt<T>(fd: c_int, level: c_int, name: c_int, v: &T) -> c_int {
    // SAFETY: v is a valid value of the option's type, read for size_of::<T>() bytes.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            v as *const T as *const c_void,
            size_of::<T>() as libc::socklen_t,
        )
    };
    if r != 0 {
        -last_errno()
    } else {
        0
    }
}

/// The length of an IPv4 or IPv6 socket address, None for other families.
pub unsafe fn inet_len(addr: *const libc::sockaddr) -> Option<libc::socklen_t> {
    // SAFETY: addr points to at least a sockaddr header (caller's contract).
    match unsafe { (*addr).sa_family } as c_int {
        libc::AF_INET => Some(size_of::<libc::sockaddr_in>() as libc::socklen_t),
        libc::AF_INET6 => Some(size_of::<libc::sockaddr_in6>() as libc::socklen_t),
        _ => None,
    }
}

/// getsockname/getpeername into the program's buffer of `*namelen` bytes; on success
/// `*namelen` is the address length.
pub unsafe fn name(fd: c_int, name: *mut libc::sockaddr, namelen: *mut c_int, peer: bool) -> c_int {
    // SAFETY: name has *namelen writable bytes; namelen is valid (caller's contract).
    unsafe {
        let mut len = *namelen as libc::socklen_t;
        let r = if peer {
            libc::getpeername(fd, name, &mut len)
        } else {
            libc::getsockname(fd, name, &mut len)
        };
        if r != 0 {
            return -last_errno();
        }
        *namelen = len as c_int;
    }
    0
}
