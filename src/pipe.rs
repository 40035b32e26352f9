//! Pipes: Unix-domain stream sockets (by path or in Linux's abstract namespace), any fd
//! opened as a stream (pipes, sockets, files), and IPC pipes that pass handles.
//!
//! Names: libuv truncates names longer than `sun_path` unless UV_PIPE_NO_TRUNCATE is given
//! (then UV_EINVAL). A name starting with NUL is abstract: its length is the given length,
//! not up to the first NUL, and nothing is unlinked at close.

use crate::abi::*;
use crate::handle::{self, Flags};
use crate::io::{self, POLLOUT};
use crate::stream::{self, last_errno};
use core::ffi::{c_char, c_int, c_uint, c_void};
use core::mem::{offset_of, size_of};
use core::ptr;

#[inline]
unsafe fn s(p: *mut uv_pipe_t) -> *mut uv_stream_t {
    p as *mut uv_stream_t
}

#[inline]
unsafe fn h(p: *mut uv_pipe_t) -> *mut uv_handle_t {
    p as *mut uv_handle_t
}

unsafe fn is_pipe(p: *const uv_pipe_t) -> bool {
    // SAFETY: p is non-NULL memory passed as a handle.
    !p.is_null() && unsafe { (*p).r#type } == UV_NAMED_PIPE
}

const SUN_PATH_LEN: usize = 108;

#[no_mangle]
pub unsafe extern "C" fn uv_pipe_init(
    r#loop: *mut uv_loop_t,
    handle: *mut uv_pipe_t,
    ipc: c_int,
) -> c_int {
    if r#loop.is_null() || handle.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: an initialized loop and the program's handle memory.
    unsafe {
        stream::init(r#loop, s(handle), UV_NAMED_PIPE);
        (*handle).ipc = ipc;
        (*handle).pipe_fname = ptr::null();
    }
    0
}

/// Builds a sockaddr_un for `name[..namelen]`; returns its length or an error.
///
/// `namelen == 0` is allowed for bind only: on Linux it autobinds a fresh abstract name.
unsafe fn make_addr(
    name: *const c_char,
    namelen: usize,
    flags: c_uint,
    for_bind: bool,
    sa: &mut libc::sockaddr_un,
) -> Result<(usize, libc::socklen_t), c_int> {
    if flags & !(UV_PIPE_NO_TRUNCATE as c_uint) != 0 || name.is_null() {
        return Err(UV_EINVAL);
    }
    if namelen == 0 && !for_bind {
        return Err(UV_EINVAL);
    }
    // SAFETY: name has namelen readable bytes. A path name may not contain NUL; an abstract
    // name (leading NUL) may.
    if namelen > 0 && unsafe { *name } != 0 {
        let bytes = unsafe { core::slice::from_raw_parts(name as *const u8, namelen) };
        if bytes.contains(&0) {
            return Err(UV_EINVAL);
        }
    }
    if flags & UV_PIPE_NO_TRUNCATE as c_uint != 0 && namelen > SUN_PATH_LEN {
        return Err(UV_EINVAL);
    }
    // Long names are truncated (libuv's documented behaviour).
    let n = namelen.min(SUN_PATH_LEN);
    // SAFETY: name has at least namelen readable bytes; n <= sun_path's size.
    unsafe {
        *sa = core::mem::zeroed();
        sa.sun_family = libc::AF_UNIX as libc::sa_family_t;
        ptr::copy_nonoverlapping(name, sa.sun_path.as_mut_ptr(), n);
        let abstract_ = *name == 0;
        let len = if abstract_ {
            offset_of!(libc::sockaddr_un, sun_path) + n
        } else {
            size_of::<libc::sockaddr_un>()
        };
        Ok((n, len as libc::socklen_t))
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_pipe_bind2(
    handle: *mut uv_pipe_t,
    name: *const c_char,
    namelen: usize,
    flags: c_uint,
) -> c_int {
    let p = handle;
    // SAFETY: the program passes an initialized pipe and namelen readable bytes at name.
    unsafe {
        if !is_pipe(p) {
            return UV_EINVAL;
        }
        let mut sa: libc::sockaddr_un = core::mem::zeroed();
        let (n, len) = match make_addr(name, namelen, flags, true, &mut sa) {
            Ok(v) => v,
            Err(e) => return e,
        };
        if stream::fd(s(p)) >= 0 || handle::is_closing(h(p)) {
            return UV_EINVAL;
        }
        // A path is remembered so close can unlink it; abstract names vanish by themselves.
        let fname = if *name == 0 {
            ptr::null_mut()
        } else {
            let f = crate::alloc::malloc(n + 1) as *mut c_char;
            if f.is_null() {
                return UV_ENOMEM;
            }
            ptr::copy_nonoverlapping(name, f, n);
            *f.add(n) = 0;
            f
        };
        let fd = crate::socket::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
        if fd < 0 {
            crate::alloc::free(fname as *mut c_void);
            return fd;
        }
        if libc::bind(fd, &sa as *const _ as *const libc::sockaddr, len) != 0 {
            let mut err = -last_errno();
            // As libuv: ENOENT becomes EACCES (Windows compatibility).
            if err == UV_ENOENT {
                err = UV_EACCES;
            }
            libc::close(fd);
            crate::alloc::free(fname as *mut c_void);
            return err;
        }
        handle::add_flags(h(p), Flags::BOUND);
        (*p).pipe_fname = fname;
        (*p).io_watcher.fd = fd;
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_pipe_bind(handle: *mut uv_pipe_t, name: *const c_char) -> c_int {
    if name.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: name is a NUL-terminated string.
    unsafe { uv_pipe_bind2(handle, name, libc::strlen(name), 0) }
}

pub unsafe fn listen(p: *mut uv_pipe_t, backlog: c_int, cb: uv_connection_cb) -> c_int {
    // SAFETY: p is a live pipe.
    unsafe {
        let fd = stream::fd(s(p));
        if fd == -1 || (*p).ipc != 0 {
            return UV_EINVAL;
        }
        if libc::listen(fd, backlog) != 0 {
            return -last_errno();
        }
        stream::start_accepting(s(p), cb);
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_pipe_connect2(
    req: *mut uv_connect_t,
    handle: *mut uv_pipe_t,
    name: *const c_char,
    namelen: usize,
    flags: c_uint,
    cb: uv_connect_cb,
) -> c_int {
    let p = handle;
    // SAFETY: the program passes an initialized pipe, its request and the name bytes.
    unsafe {
        if req.is_null() || !is_pipe(p) {
            return UV_EINVAL;
        }
        let mut sa: libc::sockaddr_un = core::mem::zeroed();
        let (_, len) = match make_addr(name, namelen, flags, false, &mut sa) {
            Ok(v) => v,
            Err(e) => return e,
        };
        if !(*p).connect_req.is_null() {
            return UV_EALREADY;
        }
        let mut err = 0;
        let new_sock = stream::fd(s(p)) == -1;
        if new_sock {
            let fd = crate::socket::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
            if fd < 0 {
                err = fd;
            } else {
                (*p).io_watcher.fd = fd;
            }
        }
        if err == 0 {
            let r = loop {
                let r = libc::connect(
                    stream::fd(s(p)),
                    &sa as *const _ as *const libc::sockaddr,
                    len,
                );
                if r == -1 && last_errno() == libc::EINTR {
                    continue;
                }
                break r;
            };
            if r == -1 && last_errno() != libc::EINPROGRESS {
                err = -last_errno();
            } else if new_sock {
                err = stream::open(s(p), stream::fd(s(p)), Flags::READABLE | Flags::WRITABLE);
            }
            if err == 0 {
                io::start((*p).r#loop, &mut (*p).io_watcher, POLLOUT);
            }
        }
        // Errors are delivered through the callback, on the next tick.
        (*p).delayed_error = err;
        (*p).connect_req = req;
        crate::req::init((*p).r#loop, req as *mut uv_req_t, UV_CONNECT);
        (*req).handle = s(p);
        (*req).cb = cb;
        crate::queue::init(&mut (*req).queue);
        if err != 0 {
            io::feed((*p).r#loop, &mut (*p).io_watcher);
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_pipe_connect(
    req: *mut uv_connect_t,
    handle: *mut uv_pipe_t,
    name: *const c_char,
    cb: uv_connect_cb,
) {
    let p = handle;
    // SAFETY: as uv_pipe_connect2; name is NUL-terminated.
    unsafe {
        if req.is_null() || !is_pipe(p) {
            return;
        }
        let len = if name.is_null() {
            0
        } else {
            libc::strlen(name)
        };
        let err = uv_pipe_connect2(req, p, name, len, 0, cb);
        if err != 0 && (*p).connect_req.is_null() {
            // This variant returns nothing: argument errors also go to the callback.
            (*p).delayed_error = err;
            (*p).connect_req = req;
            crate::req::init((*p).r#loop, req as *mut uv_req_t, UV_CONNECT);
            (*req).handle = s(p);
            (*req).cb = cb;
            crate::queue::init(&mut (*req).queue);
            io::feed((*p).r#loop, &mut (*p).io_watcher);
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_pipe_open(handle: *mut uv_pipe_t, file: uv_file) -> c_int {
    let p = handle;
    // SAFETY: the program passes an initialized pipe and an fd it owns.
    unsafe {
        if !is_pipe(p) {
            return UV_EINVAL;
        }
        if stream::fd_in_use((*p).r#loop, file) {
            return UV_EEXIST;
        }
        let mode = loop {
            let m = libc::fcntl(file, libc::F_GETFL);
            if m == -1 && last_errno() == libc::EINTR {
                continue;
            }
            break m;
        };
        if mode == -1 {
            return -last_errno();
        }
        let err = stream::set_nonblock(file, true);
        if err != 0 {
            return err;
        }
        let acc = mode & libc::O_ACCMODE;
        let mut f = Flags::empty();
        if acc != libc::O_WRONLY {
            f |= Flags::READABLE;
        }
        if acc != libc::O_RDONLY {
            f |= Flags::WRITABLE;
        }
        stream::open(s(p), file, f)
    }
}

unsafe fn sockpeername(
    p: *const uv_pipe_t,
    buffer: *mut c_char,
    size: *mut usize,
    peer: bool,
) -> c_int {
    // SAFETY: the program passes an initialized pipe and a buffer of *size bytes.
    unsafe {
        if !is_pipe(p) || buffer.is_null() || size.is_null() || *size == 0 {
            return UV_EINVAL;
        }
        let fd = (*p).io_watcher.fd;
        if fd < 0 || handle::is_closing(p as *const uv_handle_t) {
            *size = 0;
            return UV_EBADF;
        }
        let mut sa: libc::sockaddr_un = core::mem::zeroed();
        let mut len = size_of::<libc::sockaddr_un>() as libc::socklen_t;
        let r = if peer {
            libc::getpeername(fd, &mut sa as *mut _ as *mut libc::sockaddr, &mut len)
        } else {
            libc::getsockname(fd, &mut sa as *mut _ as *mut libc::sockaddr, &mut len)
        };
        if r != 0 {
            *size = 0;
            return -last_errno();
        }
        let path = sa.sun_path.as_ptr();
        // An abstract name (leading NUL) is binary and its length comes from the address
        // length; it needs no terminator. A path name needs room for one.
        let (name_len, slop) = if sa.sun_path[0] == 0 {
            (
                (len as usize).saturating_sub(offset_of!(libc::sockaddr_un, sun_path)),
                0,
            )
        } else {
            (libc::strnlen(path, SUN_PATH_LEN), 1)
        };
        if name_len + slop > *size {
            *size = name_len + slop;
            return UV_ENOBUFS;
        }
        ptr::copy_nonoverlapping(path, buffer, name_len);
        *size = name_len;
        if slop == 1 {
            *buffer.add(name_len) = 0;
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_pipe_getsockname(
    handle: *const uv_pipe_t,
    buffer: *mut c_char,
    size: *mut usize,
) -> c_int {
    // SAFETY: see sockpeername.
    unsafe { sockpeername(handle, buffer, size, false) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_pipe_getpeername(
    handle: *const uv_pipe_t,
    buffer: *mut c_char,
    size: *mut usize,
) -> c_int {
    // SAFETY: see sockpeername.
    unsafe { sockpeername(handle, buffer, size, true) }
}

/// A Windows concept; nothing to do on Unix (as in libuv).
#[no_mangle]
pub extern "C" fn uv_pipe_pending_instances(_handle: *mut uv_pipe_t, _count: c_int) {}

#[no_mangle]
pub unsafe extern "C" fn uv_pipe_pending_count(handle: *mut uv_pipe_t) -> c_int {
    let p = handle;
    // SAFETY: the program passes an initialized pipe.
    unsafe {
        if !is_pipe(p) || (*p).ipc == 0 {
            return 0;
        }
        stream::pending_fd_count(s(p))
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_pipe_pending_type(handle: *mut uv_pipe_t) -> uv_handle_type {
    let p = handle;
    // SAFETY: the program passes an initialized pipe.
    unsafe {
        if !is_pipe(p) || (*p).ipc == 0 || (*p).accepted_fd == -1 {
            return UV_UNKNOWN_HANDLE;
        }
        crate::tty::guess_handle((*p).accepted_fd)
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_pipe_chmod(handle: *mut uv_pipe_t, mode: c_int) -> c_int {
    let p = handle;
    // SAFETY: the program passes an initialized pipe.
    unsafe {
        if !is_pipe(p) || stream::fd(s(p)) == -1 {
            return UV_EBADF;
        }
        if mode != UV_READABLE && mode != UV_WRITABLE && mode != (UV_READABLE | UV_WRITABLE) {
            return UV_EINVAL;
        }
        let mut desired: libc::mode_t = 0;
        if mode & UV_READABLE != 0 {
            desired |= libc::S_IRUSR | libc::S_IRGRP | libc::S_IROTH;
        }
        if mode & UV_WRITABLE != 0 {
            desired |= libc::S_IWUSR | libc::S_IWGRP | libc::S_IWOTH;
        }
        // The mode becomes exactly what was asked, on the socket and on its path.
        if libc::fchmod(stream::fd(s(p)), desired) != 0 {
            let e = last_errno();
            if e != libc::EINVAL && e != libc::EOPNOTSUPP {
                return -e;
            }
        }
        let mut name = [0 as c_char; 4097];
        let mut len = name.len();
        let err = uv_pipe_getsockname(p, name.as_mut_ptr(), &mut len);
        if err != 0 {
            return err;
        }
        let path = if len == 0 && !(*p).pipe_fname.is_null() {
            (*p).pipe_fname
        } else {
            name.as_ptr()
        };
        if libc::chmod(path, desired) != 0 {
            return -last_errno();
        }
    }
    0
}

/// Applies UV_NONBLOCK_PIPE to the ends that asked for it.
fn apply_nonblock(fds: [c_int; 2], flags: [c_int; 2]) -> c_int {
    for i in 0..2 {
        if flags[i] & UV_NONBLOCK_PIPE != 0 {
            let err = stream::set_nonblock(fds[i], true);
            if err != 0 {
                return err;
            }
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_pipe(
    fds: *mut uv_file,
    read_flags: c_int,
    write_flags: c_int,
) -> c_int {
    if fds.is_null() {
        return UV_EINVAL;
    }
    let mut temp = [0 as c_int; 2];
    // SAFETY: pipe2 writes two fds into temp; fds has room for two (the API's contract).
    unsafe {
        if libc::pipe2(temp.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            return -last_errno();
        }
        let err = apply_nonblock(temp, [read_flags, write_flags]);
        if err != 0 {
            libc::close(temp[0]);
            libc::close(temp[1]);
            return err;
        }
        *fds = temp[0];
        *fds.add(1) = temp[1];
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_socketpair(
    r#type: c_int,
    protocol: c_int,
    socket_vector: *mut uv_os_sock_t,
    flags0: c_int,
    flags1: c_int,
) -> c_int {
    if socket_vector.is_null() {
        return UV_EINVAL;
    }
    let mut temp = [0 as c_int; 2];
    // SAFETY: socketpair writes two fds into temp; socket_vector has room for two.
    unsafe {
        if libc::socketpair(
            libc::AF_UNIX,
            r#type | libc::SOCK_CLOEXEC,
            protocol,
            temp.as_mut_ptr(),
        ) != 0
        {
            return -last_errno();
        }
        let err = apply_nonblock(temp, [flags0, flags1]);
        if err != 0 {
            libc::close(temp[0]);
            libc::close(temp[1]);
            return err;
        }
        *socket_vector = temp[0];
        *socket_vector.add(1) = temp[1];
    }
    0
}

/// uv_close of a pipe: unlink the socket file we created, then close like any stream.
pub unsafe fn close(p: *mut uv_pipe_t) {
    // SAFETY: p is a live pipe being closed.
    unsafe {
        if !(*p).pipe_fname.is_null() {
            // Unlink before closing the fd, so we never remove a socket someone else just
            // bound to the same path.
            libc::unlink((*p).pipe_fname);
            crate::alloc::free((*p).pipe_fname as *mut c_void);
            (*p).pipe_fname = ptr::null();
        }
        stream::close(s(p));
    }
}
