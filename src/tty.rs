//! TTY handles, and uv_guess_handle.

use crate::abi::*;
use core::ffi::c_int;
use core::mem::size_of;

/// What kind of handle suits an fd: a terminal, a file, a pipe or socket, ...
pub fn guess_handle(fd: c_int) -> uv_handle_type {
    if fd < 0 {
        return UV_UNKNOWN_HANDLE;
    }
    // SAFETY: isatty/fstat/getsockname/getsockopt on an fd with local out-buffers.
    unsafe {
        if libc::isatty(fd) != 0 {
            return UV_TTY;
        }
        let mut st: libc::stat = core::mem::zeroed();
        if libc::fstat(fd, &mut st) != 0 {
            return UV_UNKNOWN_HANDLE;
        }
        match st.st_mode & libc::S_IFMT {
            libc::S_IFREG | libc::S_IFCHR => return UV_FILE,
            libc::S_IFIFO => return UV_NAMED_PIPE,
            libc::S_IFSOCK => {}
            _ => return UV_UNKNOWN_HANDLE,
        }
        let mut ss: libc::sockaddr_storage = core::mem::zeroed();
        let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        if libc::getsockname(fd, &mut ss as *mut _ as *mut libc::sockaddr, &mut len) != 0 {
            return UV_UNKNOWN_HANDLE;
        }
        let mut ty: c_int = 0;
        let mut tlen = size_of::<c_int>() as libc::socklen_t;
        if libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            &mut ty as *mut c_int as *mut _,
            &mut tlen,
        ) != 0
        {
            return UV_UNKNOWN_HANDLE;
        }
        let fam = ss.ss_family as c_int;
        let inet = fam == libc::AF_INET || fam == libc::AF_INET6;
        if ty == libc::SOCK_DGRAM && inet {
            return UV_UDP;
        }
        if ty == libc::SOCK_STREAM {
            if inet {
                return UV_TCP;
            }
            if fam == libc::AF_UNIX {
                return UV_NAMED_PIPE;
            }
        }
        UV_UNKNOWN_HANDLE
    }
}

#[no_mangle]
pub extern "C" fn uv_guess_handle(file: uv_file) -> uv_handle_type {
    guess_handle(file)
}

/// uv_close of a TTY handle.
pub unsafe fn close(t: *mut uv_tty_t) {
    // SAFETY: t is a live TTY handle being closed.
    unsafe { crate::stream::close(t as *mut uv_stream_t) }
}
