//! TCP handles: sockets, bind/listen/connect, socket options.
//!
//! Bind errors follow libuv: most are reported by uv_tcp_bind, but EADDRINUSE is kept in
//! `delayed_error` and reported by uv_listen or by the connect callback, as libuv does.

use crate::abi::*;
use crate::handle::{self, Flags};
use crate::io::{self, POLLOUT};
use crate::socket;
use crate::stream::{self, last_errno};
use core::ffi::{c_int, c_uint, c_void};
use core::mem::size_of;

/// TCP bits of the handle flags (libuv's type-specific range).
pub const NODELAY: Flags = Flags::TYPE_BIT0;
pub const KEEPALIVE: Flags = Flags::TYPE_BIT1;
const IPV6: Flags = Flags::TYPE_BIT3;

#[inline]
unsafe fn s(t: *mut uv_tcp_t) -> *mut uv_stream_t {
    t as *mut uv_stream_t
}

#[inline]
unsafe fn h(t: *mut uv_tcp_t) -> *mut uv_handle_t {
    t as *mut uv_handle_t
}

pub fn set_nodelay(fd: c_int, on: bool) -> c_int {
    let v: c_int = on as c_int;
    // SAFETY: setsockopt with a valid int option value.
    unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            &v as *const c_int as *const c_void,
            size_of::<c_int>() as libc::socklen_t,
        )
    }
}

pub fn set_keepalive(fd: c_int, on: bool, idle: c_uint, intvl: c_uint, cnt: c_uint) -> c_int {
    let err = socket::setopt(
        fd,
        libc::SOL_SOCKET,
        libc::SO_KEEPALIVE,
        &(on as c_int as c_int),
    );
    if err != 0 || !on {
        return err;
    }
    if idle < 1 || intvl < 1 || cnt < 1 {
        return UV_EINVAL;
    }
    for (name, v) in [
        (libc::TCP_KEEPIDLE, idle),
        (libc::TCP_KEEPINTVL, intvl),
        (libc::TCP_KEEPCNT, cnt),
    ] {
        let err = socket::setopt(fd, libc::IPPROTO_TCP, name, &(v as c_int as c_int));
        if err != 0 {
            return err;
        }
    }
    0
}

/// Binds an unbound socket to an arbitrary port of its own family.
unsafe fn bind_any(fd: c_int) -> c_int {
    // SAFETY: getsockname/bind on our socket with a local buffer.
    unsafe {
        let mut ss: libc::sockaddr_storage = core::mem::zeroed();
        let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        if libc::getsockname(fd, &mut ss as *mut _ as *mut libc::sockaddr, &mut len) != 0 {
            return -last_errno();
        }
        let port = match ss.ss_family as c_int {
            libc::AF_INET => (*(&ss as *const _ as *const libc::sockaddr_in)).sin_port,
            libc::AF_INET6 => (*(&ss as *const _ as *const libc::sockaddr_in6)).sin6_port,
            _ => 0,
        };
        if port != 0 {
            return 0;
        }
        if libc::bind(fd, &ss as *const _ as *const libc::sockaddr, len) != 0 {
            return -last_errno();
        }
    }
    0
}

unsafe fn new_socket(t: *mut uv_tcp_t, domain: c_int, add: Flags) -> c_int {
    let fd = socket::socket(domain, libc::SOCK_STREAM, 0);
    if fd < 0 {
        return fd;
    }
    // SAFETY: t is a live TCP handle; fd is ours.
    unsafe {
        let err = stream::open(s(t), fd, add);
        if err != 0 {
            libc::close(fd);
            return err;
        }
        if add.contains(Flags::BOUND) {
            return bind_any(fd);
        }
    }
    0
}

/// Creates the socket on first need; with BOUND, makes sure it has a port.
unsafe fn maybe_new_socket(t: *mut uv_tcp_t, domain: c_int, add: Flags) -> c_int {
    // SAFETY: t is a live TCP handle.
    unsafe {
        if domain == libc::AF_UNSPEC {
            handle::add_flags(h(t), add);
            return 0;
        }
        let fd = stream::fd(s(t));
        if fd != -1 {
            if add.contains(Flags::BOUND) && !handle::flags(h(t)).contains(Flags::BOUND) {
                let err = bind_any(fd);
                if err != 0 {
                    return err;
                }
            }
            handle::add_flags(h(t), add);
            return 0;
        }
        new_socket(t, domain, add)
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_tcp_init_ex(
    r#loop: *mut uv_loop_t,
    handle: *mut uv_tcp_t,
    flags: c_uint,
) -> c_int {
    if r#loop.is_null() || handle.is_null() {
        return UV_EINVAL;
    }
    let domain = (flags & 0xff) as c_int;
    if domain != libc::AF_INET && domain != libc::AF_INET6 && domain != libc::AF_UNSPEC {
        return UV_EINVAL;
    }
    if flags & !0xff != 0 {
        return UV_EINVAL;
    }
    // SAFETY: an initialized loop and the program's handle memory.
    unsafe {
        stream::init(r#loop, s(handle), UV_TCP);
        if domain != libc::AF_UNSPEC {
            let err = new_socket(handle, domain, Flags::empty());
            if err != 0 {
                // Undo the init: the handle was never handed out.
                crate::queue::remove(&mut (*handle).handle_queue);
                if (*handle).io_watcher.fd != -1 {
                    libc::close((*handle).io_watcher.fd);
                }
                (*handle).io_watcher.fd = -1;
                return err;
            }
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_tcp_init(r#loop: *mut uv_loop_t, handle: *mut uv_tcp_t) -> c_int {
    // SAFETY: as uv_tcp_init_ex.
    unsafe { uv_tcp_init_ex(r#loop, handle, libc::AF_UNSPEC as c_uint) }
}

unsafe fn is_tcp(t: *const uv_tcp_t) -> bool {
    // SAFETY: t is non-NULL memory passed as a handle.
    !t.is_null() && unsafe { (*t).r#type } == UV_TCP
}

#[no_mangle]
pub unsafe extern "C" fn uv_tcp_bind(
    handle: *mut uv_tcp_t,
    addr: *const libc::sockaddr,
    flags: c_uint,
) -> c_int {
    let t = handle;
    // SAFETY: the program passes an initialized handle and a sockaddr of its family's size.
    unsafe {
        if !is_tcp(t) || addr.is_null() || handle::is_closing(h(t)) {
            return UV_EINVAL;
        }
        let Some(len) = socket::inet_len(addr) else {
            return UV_EINVAL;
        };
        let family = (*addr).sa_family as c_int;
        if flags & UV_TCP_IPV6ONLY as c_uint != 0 && family != libc::AF_INET6 {
            return UV_EINVAL;
        }
        let err = maybe_new_socket(t, family, Flags::empty());
        if err != 0 {
            return err;
        }
        let fd = stream::fd(s(t));
        let err = socket::setopt(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, &(1 as c_int));
        if err != 0 {
            return err;
        }
        if flags & UV_TCP_REUSEPORT as c_uint != 0 {
            let err = socket::setopt(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, &(1 as c_int));
            if err != 0 {
                return err;
            }
        }
        if family == libc::AF_INET6 {
            let on = (flags & UV_TCP_IPV6ONLY as c_uint != 0) as c_int;
            let err = socket::setopt(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, &(on as c_int));
            if err != 0 {
                return err;
            }
        }
        *libc::__errno_location() = 0;
        if libc::bind(fd, addr, len) == -1 {
            let e = last_errno();
            if e != libc::EADDRINUSE {
                return if e == libc::EAFNOSUPPORT {
                    UV_EINVAL
                } else {
                    -e
                };
            }
            // Reported later, by uv_listen or the connect callback.
            (*t).delayed_error = -e;
        }
        handle::add_flags(h(t), Flags::BOUND);
        if family == libc::AF_INET6 {
            handle::add_flags(h(t), IPV6);
        }
    }
    0
}

pub unsafe fn listen(t: *mut uv_tcp_t, backlog: c_int, cb: uv_connection_cb) -> c_int {
    // SAFETY: t is a live TCP handle.
    unsafe {
        if (*t).delayed_error != 0 {
            return (*t).delayed_error;
        }
        let err = maybe_new_socket(t, libc::AF_INET, Flags::empty());
        if err != 0 {
            return err;
        }
        if libc::listen(stream::fd(s(t)), backlog) != 0 {
            return -last_errno();
        }
        handle::add_flags(h(t), Flags::BOUND);
        stream::start_accepting(s(t), cb);
    }
    0
}

/// Whether `addr` is an IPv6 address in fe80::/16 (the check libuv makes).
unsafe fn is_ipv6_link_local(addr: *const libc::sockaddr) -> bool {
    // SAFETY: addr points to a sockaddr of its family's size (checked by the caller).
    unsafe {
        if (*addr).sa_family as c_int != libc::AF_INET6 {
            return false;
        }
        let a = (*(addr as *const libc::sockaddr_in6)).sin6_addr.s6_addr;
        a[0] == 0xfe && a[1] == 0x80
    }
}

/// The scope id of the first interface that has a link-local IPv6 address (0 if none).
fn ipv6_link_local_scope_id() -> u32 {
    // SAFETY: getifaddrs/freeifaddrs pair; the list is only read while it is alive.
    unsafe {
        let mut ifa: *mut libc::ifaddrs = core::ptr::null_mut();
        if libc::getifaddrs(&mut ifa) != 0 {
            return 0;
        }
        let mut p = ifa;
        let mut id = 0;
        while !p.is_null() {
            let a = (*p).ifa_addr;
            if !a.is_null() && is_ipv6_link_local(a) {
                id = (*(a as *const libc::sockaddr_in6)).sin6_scope_id;
                break;
            }
            p = (*p).ifa_next;
        }
        libc::freeifaddrs(ifa);
        id
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_tcp_connect(
    req: *mut uv_connect_t,
    handle: *mut uv_tcp_t,
    addr: *const libc::sockaddr,
    cb: uv_connect_cb,
) -> c_int {
    let t = handle;
    // SAFETY: the program passes an initialized handle, its request and a sockaddr.
    unsafe {
        if req.is_null() || !is_tcp(t) || addr.is_null() || handle::is_closing(h(t)) {
            return UV_EINVAL;
        }
        let Some(len) = socket::inet_len(addr) else {
            return UV_EINVAL;
        };
        if !(*t).connect_req.is_null() {
            return UV_EALREADY;
        }
        if (*t).delayed_error == 0 {
            let err = maybe_new_socket(
                t,
                (*addr).sa_family as c_int,
                Flags::READABLE | Flags::WRITABLE,
            );
            if err != 0 {
                return err;
            }
            // A link-local IPv6 address without a scope cannot be routed: use the scope of
            // the first interface with a link-local address, as libuv does.
            let mut scoped: libc::sockaddr_in6;
            let mut addr = addr;
            if is_ipv6_link_local(addr) {
                scoped = *(addr as *const libc::sockaddr_in6);
                if scoped.sin6_scope_id == 0 {
                    scoped.sin6_scope_id = ipv6_link_local_scope_id();
                    addr = &scoped as *const libc::sockaddr_in6 as *const libc::sockaddr;
                }
            }
            let r = loop {
                *libc::__errno_location() = 0;
                let r = libc::connect(stream::fd(s(t)), addr, len);
                if r == -1 && last_errno() == libc::EINTR {
                    continue;
                }
                break r;
            };
            if r == -1 && last_errno() != 0 {
                let e = last_errno();
                if e == libc::EINPROGRESS {
                    // The usual case: completion arrives as writability.
                } else if e == libc::ECONNREFUSED {
                    // Delivered through the callback, one tick later.
                    (*t).delayed_error = -e;
                } else {
                    return -e;
                }
            }
        }
        crate::req::init((*t).r#loop, req as *mut uv_req_t, UV_CONNECT);
        (*req).cb = cb;
        (*req).handle = s(t);
        crate::queue::init(&mut (*req).queue);
        (*t).connect_req = req;
        io::start((*t).r#loop, &mut (*t).io_watcher, POLLOUT);
        if (*t).delayed_error != 0 {
            io::feed((*t).r#loop, &mut (*t).io_watcher);
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_tcp_open(handle: *mut uv_tcp_t, sock: uv_os_sock_t) -> c_int {
    let t = handle;
    // SAFETY: the program passes an initialized handle and a socket it owns.
    unsafe {
        if !is_tcp(t) {
            return UV_EINVAL;
        }
        if stream::fd_in_use((*t).r#loop, sock) {
            return UV_EEXIST;
        }
        let err = stream::set_nonblock(sock, true);
        if err != 0 {
            return err;
        }
        stream::open(s(t), sock, Flags::READABLE | Flags::WRITABLE)
    }
}

unsafe fn sockpeername(
    t: *const uv_tcp_t,
    name: *mut libc::sockaddr,
    namelen: *mut c_int,
    peer: bool,
) -> c_int {
    // SAFETY: the program passes an initialized handle and a buffer of *namelen bytes.
    unsafe {
        if !is_tcp(t) || name.is_null() || namelen.is_null() {
            return UV_EINVAL;
        }
        if (*t).delayed_error != 0 {
            return (*t).delayed_error;
        }
        let fd = (*t).io_watcher.fd;
        if fd < 0 || handle::is_closing(t as *const uv_handle_t) {
            return UV_EBADF;
        }
        socket::name(fd, name, namelen, peer)
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_tcp_getsockname(
    handle: *const uv_tcp_t,
    name: *mut libc::sockaddr,
    namelen: *mut c_int,
) -> c_int {
    // SAFETY: see sockpeername.
    unsafe { sockpeername(handle, name, namelen, false) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_tcp_getpeername(
    handle: *const uv_tcp_t,
    name: *mut libc::sockaddr,
    namelen: *mut c_int,
) -> c_int {
    // SAFETY: see sockpeername.
    unsafe { sockpeername(handle, name, namelen, true) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_tcp_nodelay(handle: *mut uv_tcp_t, enable: c_int) -> c_int {
    let t = handle;
    // SAFETY: the program passes an initialized handle.
    unsafe {
        if !is_tcp(t) {
            return UV_EINVAL;
        }
        let fd = stream::fd(s(t));
        if fd != -1 && set_nodelay(fd, enable != 0) != 0 {
            return -last_errno();
        }
        if enable != 0 {
            handle::add_flags(h(t), NODELAY);
        } else {
            handle::clear_flags(h(t), NODELAY);
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_tcp_keepalive_ex(
    handle: *mut uv_tcp_t,
    on: c_int,
    idle: c_uint,
    intvl: c_uint,
    cnt: c_uint,
) -> c_int {
    let t = handle;
    // SAFETY: the program passes an initialized handle.
    unsafe {
        if !is_tcp(t) {
            return UV_EINVAL;
        }
        let fd = stream::fd(s(t));
        if fd != -1 {
            let err = set_keepalive(fd, on != 0, idle, intvl, cnt);
            if err != 0 {
                return err;
            }
        }
        if on != 0 {
            handle::add_flags(h(t), KEEPALIVE);
        } else {
            handle::clear_flags(h(t), KEEPALIVE);
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_tcp_keepalive(
    handle: *mut uv_tcp_t,
    enable: c_int,
    delay: c_uint,
) -> c_int {
    // SAFETY: as uv_tcp_keepalive_ex (libuv's defaults: probe every second, 10 probes).
    unsafe { uv_tcp_keepalive_ex(handle, enable, delay, 1, 10) }
}

/// A Windows tuning knob; libuv 1.52.1 accepts one connection per wakeup on Unix whatever
/// this says, so it only validates the handle.
#[no_mangle]
pub unsafe extern "C" fn uv_tcp_simultaneous_accepts(
    handle: *mut uv_tcp_t,
    _enable: c_int,
) -> c_int {
    // SAFETY: the program passes an initialized handle (or NULL).
    if unsafe { !is_tcp(handle) } {
        return UV_EINVAL;
    }
    0
}

#[no_mangle]
pub unsafe extern "C-unwind" fn uv_tcp_close_reset(
    handle: *mut uv_tcp_t,
    close_cb: uv_close_cb,
) -> c_int {
    let t = handle;
    // SAFETY: the program passes an initialized handle.
    unsafe {
        if !is_tcp(t) || handle::is_closing(h(t)) {
            return UV_EINVAL;
        }
        if !(*t).shutdown_req.is_null() {
            return UV_EINVAL;
        }
        let fd = stream::fd(s(t));
        // SO_LINGER with a zero timeout: close() sends RST instead of FIN.
        let l = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        if fd != -1
            && libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                &l as *const libc::linger as *const c_void,
                size_of::<libc::linger>() as libc::socklen_t,
            ) != 0
            && last_errno() != libc::EINVAL
        {
            return -last_errno();
        }
        handle::uv_close(h(t), close_cb);
    }
    0
}

/// uv_close of a TCP handle.
pub unsafe fn close(t: *mut uv_tcp_t) {
    // SAFETY: t is a live TCP handle being closed.
    unsafe { stream::close(s(t)) }
}
