//! UDP handles: sockets, bind/connect, sending and receiving datagrams, socket options.
//!
//! The socket is created on first need: by uv_udp_init_ex with a family, by uv_udp_bind,
//! or by an implicit bind to the wildcard address (port 0) on the first send to an address,
//! uv_udp_connect, uv_udp_recv_start or a multicast membership change.
//!
//! Sending: uv_udp_send queues a request holding a copy of the program's buffer
//! descriptors (the bytes stay the program's until the callback). With nothing queued it
//! sends at once; what the kernel does not take waits for POLLOUT. Up to 20 queued
//! datagrams go out per sendmmsg(2). Sent (or failed) requests move to
//! `write_completed_queue`; their callbacks run from the pending phase, in queue order,
//! never from inside uv_udp_send. `send_queue_size`/`send_queue_count` count every request
//! whose callback has not run yet. Closing cancels the queued ones with UV_ECANCELED.
//!
//! Receiving: each readiness reads up to 32 datagrams, each into a buffer from alloc_cb
//! (suggested size 64 KiB). `nread == 0` with a NULL address means "nothing more now";
//! a truncated datagram carries UV_UDP_PARTIAL. With UV_UDP_RECVMMSG one buffer of
//! several 64 KiB chunks is filled by one recvmmsg(2): every datagram is delivered with
//! UV_UDP_MMSG_CHUNK (not to be freed), then the whole buffer once more with
//! UV_UDP_MMSG_FREE. A buffer smaller than one chunk is read with plain recvmsg(2).
//! With UV_UDP_LINUX_RECVERR, ICMP errors are read from the error queue and delivered
//! with the offending address and the UV_UDP_LINUX_RECVERR flag.

use crate::abi::*;
use crate::handle::{self, Flags};
use crate::io::{self, POLLERR, POLLIN, POLLOUT};
use crate::queue::{self, container_of};
use crate::socket;
use crate::stream::last_errno;
use core::ffi::{c_char, c_int, c_uint, c_void};
use core::mem::{size_of, zeroed};
use core::ptr;

/// UDP bits of the handle flags, with libuv's values.
const PROCESSING: Flags = Flags::TYPE_BIT0;
const CONNECTED: Flags = Flags::TYPE_BIT1;
const RECVMMSG: Flags = Flags::TYPE_BIT2;
const IPV6: Flags = Flags::from_bits_retain(0x0040_0000);

/// The largest datagram, and the alloc_cb suggestion.
const DGRAM_MAX: usize = 64 * 1024;
/// Datagrams per sendmmsg/recvmmsg call.
const BATCH: usize = 20;
/// Reads per readiness, so one busy socket cannot starve the loop.
const READS_PER_WAKEUP: isize = 32;

const BIND_FLAGS: c_uint =
    (UV_UDP_IPV6ONLY | UV_UDP_REUSEADDR | UV_UDP_REUSEPORT | UV_UDP_LINUX_RECVERR) as c_uint;

#[inline]
fn h(u: *mut uv_udp_t) -> *mut uv_handle_t {
    u as *mut uv_handle_t
}

#[inline]
unsafe fn flags(u: *const uv_udp_t) -> Flags {
    // SAFETY: u is a live UDP handle (callers' contract throughout this module).
    unsafe { handle::flags(u as *const uv_handle_t) }
}

#[inline]
unsafe fn fd(u: *const uv_udp_t) -> c_int {
    // SAFETY: u is a live UDP handle.
    unsafe { (*u).io_watcher.fd }
}

unsafe fn is_udp(u: *const uv_udp_t) -> bool {
    // SAFETY: u is NULL or memory the program passes as a handle.
    !u.is_null() && unsafe { (*u).r#type } == UV_UDP
}

fn empty_buf() -> uv_buf_t {
    uv_buf_t {
        base: ptr::null_mut(),
        len: 0,
    }
}

/// The length of a destination address (unix sockets too, for uv_udp_open'ed ones).
unsafe fn dest_len(addr: *const libc::sockaddr) -> Option<libc::socklen_t> {
    // SAFETY: addr points to at least a sockaddr header.
    unsafe {
        if (*addr).sa_family as c_int == libc::AF_UNIX {
            return Some(size_of::<libc::sockaddr_un>() as libc::socklen_t);
        }
        socket::inet_len(addr)
    }
}

unsafe fn count_bufs(bufs: *const uv_buf_t, n: c_uint) -> usize {
    // SAFETY: bufs points to n buffer descriptors.
    unsafe { (0..n as usize).map(|i| (*bufs.add(i)).len).sum() }
}

// ---- init, bind, open, connect ----

#[no_mangle]
pub unsafe extern "C" fn uv_udp_init_ex(
    r#loop: *mut uv_loop_t,
    handle: *mut uv_udp_t,
    flags: c_uint,
) -> c_int {
    if r#loop.is_null() || handle.is_null() {
        return UV_EINVAL;
    }
    let domain = (flags & 0xff) as c_int;
    if domain != libc::AF_INET && domain != libc::AF_INET6 && domain != libc::AF_UNSPEC {
        return UV_EINVAL;
    }
    let extra = flags & !0xff;
    if extra & !(UV_UDP_RECVMMSG as c_uint) != 0 {
        return UV_EINVAL;
    }
    let mut sock = -1;
    if domain != libc::AF_UNSPEC {
        sock = socket::socket(domain, libc::SOCK_DGRAM, 0);
        if sock < 0 {
            return sock;
        }
    }
    let u = handle;
    // SAFETY: an initialized loop and the program's handle memory.
    unsafe {
        handle::init(r#loop, h(u), UV_UDP);
        (*u).alloc_cb = None;
        (*u).recv_cb = None;
        (*u).send_queue_size = 0;
        (*u).send_queue_count = 0;
        io::init(&mut (*u).io_watcher, io::Kind::Udp, sock);
        queue::init(&mut (*u).write_queue);
        queue::init(&mut (*u).write_completed_queue);
        if extra & UV_UDP_RECVMMSG as c_uint != 0 {
            handle::add_flags(h(u), RECVMMSG);
        }
        if domain == libc::AF_INET6 {
            handle::add_flags(h(u), IPV6);
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_init(r#loop: *mut uv_loop_t, handle: *mut uv_udp_t) -> c_int {
    // SAFETY: as uv_udp_init_ex.
    unsafe { uv_udp_init_ex(r#loop, handle, libc::AF_UNSPEC as c_uint) }
}

/// Binds (creating the socket if needed); `flags` already validated by the caller.
unsafe fn bind(
    u: *mut uv_udp_t,
    addr: *const libc::sockaddr,
    len: libc::socklen_t,
    flags: c_uint,
) -> c_int {
    // SAFETY: u is a live UDP handle; addr has len valid bytes.
    unsafe {
        if flags & !BIND_FLAGS != 0 {
            return UV_EINVAL;
        }
        let family = (*addr).sa_family as c_int;
        if flags & UV_UDP_IPV6ONLY as c_uint != 0 && family != libc::AF_INET6 {
            return UV_EINVAL;
        }
        let mut sock = fd(u);
        if sock == -1 {
            sock = socket::socket(family, libc::SOCK_DGRAM, 0);
            if sock < 0 {
                return sock;
            }
            (*u).io_watcher.fd = sock;
        }
        let one: c_int = 1;
        if flags & UV_UDP_LINUX_RECVERR as c_uint != 0 {
            let err = match family {
                libc::AF_INET => socket::setopt(sock, libc::IPPROTO_IP, libc::IP_RECVERR, &one),
                libc::AF_INET6 => {
                    socket::setopt(sock, libc::IPPROTO_IPV6, libc::IPV6_RECVERR, &one)
                }
                _ => 0,
            };
            if err != 0 {
                return err;
            }
        }
        if flags & UV_UDP_REUSEADDR as c_uint != 0 {
            let err = socket::setopt(sock, libc::SOL_SOCKET, libc::SO_REUSEADDR, &one);
            if err != 0 {
                return err;
            }
        }
        if flags & UV_UDP_REUSEPORT as c_uint != 0 {
            let err = socket::setopt(sock, libc::SOL_SOCKET, libc::SO_REUSEPORT, &one);
            if err != 0 {
                return err;
            }
        }
        if flags & UV_UDP_IPV6ONLY as c_uint != 0 {
            let err = socket::setopt(sock, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, &one);
            if err != 0 {
                return err;
            }
        }
        if libc::bind(sock, addr, len) != 0 {
            let e = last_errno();
            return if e == libc::EAFNOSUPPORT {
                UV_EINVAL
            } else {
                -e
            };
        }
        if family == libc::AF_INET6 {
            handle::add_flags(h(u), IPV6);
        }
        handle::add_flags(h(u), Flags::BOUND);
    }
    0
}

/// Without a socket yet: create one bound to the wildcard address of `domain`, port 0.
unsafe fn maybe_bind(u: *mut uv_udp_t, domain: c_int, flags: c_uint) -> c_int {
    // SAFETY: u is a live UDP handle; the addresses are local, zeroed then filled.
    unsafe {
        if fd(u) != -1 {
            return 0;
        }
        match domain {
            libc::AF_INET => {
                let mut a: libc::sockaddr_in = zeroed();
                a.sin_family = libc::AF_INET as libc::sa_family_t;
                bind(
                    u,
                    &a as *const _ as *const libc::sockaddr,
                    size_of::<libc::sockaddr_in>() as libc::socklen_t,
                    flags,
                )
            }
            libc::AF_INET6 => {
                let mut a: libc::sockaddr_in6 = zeroed();
                a.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                bind(
                    u,
                    &a as *const _ as *const libc::sockaddr,
                    size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                    flags,
                )
            }
            // libuv aborts here; a family it cannot bind implicitly is an invalid argument.
            _ => UV_EINVAL,
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_bind(
    handle: *mut uv_udp_t,
    addr: *const libc::sockaddr,
    flags: c_uint,
) -> c_int {
    let u = handle;
    // SAFETY: the program passes an initialized handle and a sockaddr of its family's size.
    unsafe {
        if !is_udp(u) || addr.is_null() || handle::is_closing(h(u)) {
            return UV_EINVAL;
        }
        let Some(len) = socket::inet_len(addr) else {
            return UV_EINVAL;
        };
        bind(u, addr, len, flags)
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_open_ex(
    handle: *mut uv_udp_t,
    sock: uv_os_sock_t,
    flags: c_uint,
) -> c_int {
    let u = handle;
    // SAFETY: the program passes an initialized handle and a socket it owns.
    unsafe {
        if !is_udp(u) || handle::is_closing(h(u)) {
            return UV_EINVAL;
        }
        if flags & !((UV_UDP_REUSEADDR | UV_UDP_REUSEPORT) as c_uint) != 0 {
            return UV_EINVAL;
        }
        if fd(u) != -1 {
            return UV_EBUSY;
        }
        if crate::stream::fd_in_use((*u).r#loop, sock) {
            return UV_EEXIST;
        }
        let err = crate::stream::set_nonblock(sock, true);
        if err != 0 {
            return err;
        }
        let one: c_int = 1;
        if flags & UV_UDP_REUSEADDR as c_uint != 0 {
            let err = socket::setopt(sock, libc::SOL_SOCKET, libc::SO_REUSEADDR, &one);
            if err != 0 {
                return err;
            }
        }
        if flags & UV_UDP_REUSEPORT as c_uint != 0 {
            let err = socket::setopt(sock, libc::SOL_SOCKET, libc::SO_REUSEPORT, &one);
            if err != 0 {
                return err;
            }
        }
        (*u).io_watcher.fd = sock;
        let mut ss: libc::sockaddr_storage = zeroed();
        let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        if libc::getpeername(sock, &mut ss as *mut _ as *mut libc::sockaddr, &mut len) == 0
            && len > 0
        {
            handle::add_flags(h(u), CONNECTED);
        }
        // Family-dependent options (TTL, multicast) need to know the socket's family.
        let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        if libc::getsockname(sock, &mut ss as *mut _ as *mut libc::sockaddr, &mut len) == 0
            && ss.ss_family as c_int == libc::AF_INET6
        {
            handle::add_flags(h(u), IPV6);
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_open(handle: *mut uv_udp_t, sock: uv_os_sock_t) -> c_int {
    // SAFETY: as uv_udp_open_ex (libuv keeps setting SO_REUSEADDR here, for compatibility).
    unsafe { uv_udp_open_ex(handle, sock, UV_UDP_REUSEADDR as c_uint) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_connect(
    handle: *mut uv_udp_t,
    addr: *const libc::sockaddr,
) -> c_int {
    let u = handle;
    // SAFETY: the program passes an initialized handle and NULL or a sockaddr.
    unsafe {
        if !is_udp(u) || handle::is_closing(h(u)) {
            return UV_EINVAL;
        }
        if addr.is_null() {
            if !flags(u).contains(CONNECTED) {
                return UV_ENOTCONN;
            }
            return disconnect(u);
        }
        let Some(len) = socket::inet_len(addr) else {
            return UV_EINVAL;
        };
        if flags(u).contains(CONNECTED) {
            return UV_EISCONN;
        }
        let err = maybe_bind(u, (*addr).sa_family as c_int, 0);
        if err != 0 {
            return err;
        }
        loop {
            if libc::connect(fd(u), addr, len) == 0 {
                break;
            }
            let e = last_errno();
            if e != libc::EINTR {
                return -e;
            }
        }
        handle::add_flags(h(u), CONNECTED);
    }
    0
}

/// Dissolves the association: connect(2) to an AF_UNSPEC address.
unsafe fn disconnect(u: *mut uv_udp_t) -> c_int {
    // SAFETY: u is a live, connected UDP handle.
    unsafe {
        let mut a: libc::sockaddr = zeroed();
        a.sa_family = libc::AF_UNSPEC as libc::sa_family_t;
        loop {
            if libc::connect(fd(u), &a, size_of::<libc::sockaddr>() as libc::socklen_t) == 0 {
                break;
            }
            let e = last_errno();
            if e != libc::EINTR {
                return -e;
            }
        }
        handle::clear_flags(h(u), CONNECTED);
    }
    0
}

/// uv_accept of a UDP socket received over an IPC pipe.
pub unsafe fn open_accepted(u: *mut uv_udp_t, sock: c_int) -> c_int {
    // SAFETY: u is the program's initialized UDP handle; sock was received for it.
    unsafe { uv_udp_open(u, sock) }
}

unsafe fn sockpeername(
    u: *const uv_udp_t,
    name: *mut libc::sockaddr,
    namelen: *mut c_int,
    peer: bool,
) -> c_int {
    // SAFETY: the program passes an initialized handle and a buffer of *namelen bytes.
    unsafe {
        if !is_udp(u) || name.is_null() || namelen.is_null() {
            return UV_EINVAL;
        }
        let sock = fd(u);
        if sock < 0 || handle::is_closing(u as *const uv_handle_t) {
            return UV_EBADF;
        }
        socket::name(sock, name, namelen, peer)
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_getsockname(
    handle: *const uv_udp_t,
    name: *mut libc::sockaddr,
    namelen: *mut c_int,
) -> c_int {
    // SAFETY: see sockpeername.
    unsafe { sockpeername(handle, name, namelen, false) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_getpeername(
    handle: *const uv_udp_t,
    name: *mut libc::sockaddr,
    namelen: *mut c_int,
) -> c_int {
    // SAFETY: see sockpeername.
    unsafe { sockpeername(handle, name, namelen, true) }
}

// ---- multicast and other options ----

/// A parsed IPv4 or IPv6 address.
enum Ip {
    V4(libc::sockaddr_in),
    V6(libc::sockaddr_in6),
}

/// Parses an IPv4 or IPv6 text address (with an optional %zone for IPv6).
unsafe fn parse_ip(s: *const c_char) -> Option<Ip> {
    // SAFETY: s is NULL or the program's C string; the outputs are local.
    unsafe {
        let mut a4: libc::sockaddr_in = zeroed();
        if crate::inet::uv_ip4_addr(s, 0, &mut a4) == 0 {
            return Some(Ip::V4(a4));
        }
        let mut a6: libc::sockaddr_in6 = zeroed();
        if crate::inet::uv_ip6_addr(s, 0, &mut a6) == 0 {
            return Some(Ip::V6(a6));
        }
    }
    None
}

/// The IPv4 interface address of a membership call (INADDR_ANY for NULL).
unsafe fn iface4(interface_addr: *const c_char) -> Result<libc::in_addr, c_int> {
    let mut a = libc::in_addr { s_addr: 0 };
    if !interface_addr.is_null() {
        // SAFETY: a non-NULL interface_addr is the program's C string; a is 4 bytes.
        let err = unsafe {
            crate::inet::uv_inet_pton(
                libc::AF_INET,
                interface_addr,
                &mut a as *mut libc::in_addr as *mut c_void,
            )
        };
        if err != 0 {
            return Err(err);
        }
    }
    Ok(a)
}

/// The IPv6 interface index of a membership call: the scope of an address like
/// "fe80::1%eth0" (0 for NULL).
unsafe fn iface6(interface_addr: *const c_char) -> Result<u32, c_int> {
    if interface_addr.is_null() {
        return Ok(0);
    }
    // SAFETY: interface_addr is the program's C string; a6 is local.
    unsafe {
        let mut a6: libc::sockaddr_in6 = zeroed();
        if crate::inet::uv_ip6_addr(interface_addr, 0, &mut a6) != 0 {
            return Err(UV_EINVAL);
        }
        Ok(a6.sin6_scope_id)
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_set_membership(
    handle: *mut uv_udp_t,
    multicast_addr: *const c_char,
    interface_addr: *const c_char,
    membership: uv_membership,
) -> c_int {
    let u = handle;
    // SAFETY: the program passes an initialized handle and C strings (interface may be NULL).
    unsafe {
        if !is_udp(u) || handle::is_closing(h(u)) {
            return UV_EINVAL;
        }
        match parse_ip(multicast_addr) {
            Some(Ip::V4(group)) => {
                let err = maybe_bind(u, libc::AF_INET, UV_UDP_REUSEADDR as c_uint);
                if err != 0 {
                    return err;
                }
                let iface = match iface4(interface_addr) {
                    Ok(a) => a,
                    Err(e) => return e,
                };
                let name = match membership {
                    UV_JOIN_GROUP => libc::IP_ADD_MEMBERSHIP,
                    UV_LEAVE_GROUP => libc::IP_DROP_MEMBERSHIP,
                    _ => return UV_EINVAL,
                };
                let mreq = libc::ip_mreq {
                    imr_multiaddr: group.sin_addr,
                    imr_interface: iface,
                };
                socket::setopt(fd(u), libc::IPPROTO_IP, name, &mreq)
            }
            Some(Ip::V6(group)) => {
                let err = maybe_bind(u, libc::AF_INET6, UV_UDP_REUSEADDR as c_uint);
                if err != 0 {
                    return err;
                }
                let iface = match iface6(interface_addr) {
                    Ok(i) => i,
                    Err(e) => return e,
                };
                let name = match membership {
                    UV_JOIN_GROUP => libc::IPV6_ADD_MEMBERSHIP,
                    UV_LEAVE_GROUP => libc::IPV6_DROP_MEMBERSHIP,
                    _ => return UV_EINVAL,
                };
                let mreq = libc::ipv6_mreq {
                    ipv6mr_multiaddr: group.sin6_addr,
                    ipv6mr_interface: iface,
                };
                socket::setopt(fd(u), libc::IPPROTO_IPV6, name, &mreq)
            }
            None => UV_EINVAL,
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_set_source_membership(
    handle: *mut uv_udp_t,
    multicast_addr: *const c_char,
    interface_addr: *const c_char,
    source_addr: *const c_char,
    membership: uv_membership,
) -> c_int {
    let u = handle;
    // SAFETY: the program passes an initialized handle and C strings (interface may be NULL).
    unsafe {
        if !is_udp(u) || handle::is_closing(h(u)) {
            return UV_EINVAL;
        }
        let mut g4: libc::sockaddr_in = zeroed();
        let mut s4: libc::sockaddr_in = zeroed();
        if crate::inet::uv_ip4_addr(multicast_addr, 0, &mut g4) != 0 {
            let mut g6: libc::sockaddr_in6 = zeroed();
            let mut s6: libc::sockaddr_in6 = zeroed();
            let err = crate::inet::uv_ip6_addr(multicast_addr, 0, &mut g6);
            if err != 0 {
                return err;
            }
            let err = crate::inet::uv_ip6_addr(source_addr, 0, &mut s6);
            if err != 0 {
                return err;
            }
            let err = maybe_bind(u, libc::AF_INET6, UV_UDP_REUSEADDR as c_uint);
            if err != 0 {
                return err;
            }
            let iface = match iface6(interface_addr) {
                Ok(i) => i,
                Err(e) => return e,
            };
            let mut req: libc::group_source_req = zeroed();
            req.gsr_interface = iface;
            ptr::copy_nonoverlapping(
                &g6 as *const _ as *const u8,
                &mut req.gsr_group as *mut _ as *mut u8,
                size_of::<libc::sockaddr_in6>(),
            );
            ptr::copy_nonoverlapping(
                &s6 as *const _ as *const u8,
                &mut req.gsr_source as *mut _ as *mut u8,
                size_of::<libc::sockaddr_in6>(),
            );
            let name = match membership {
                UV_JOIN_GROUP => libc::MCAST_JOIN_SOURCE_GROUP,
                UV_LEAVE_GROUP => libc::MCAST_LEAVE_SOURCE_GROUP,
                _ => return UV_EINVAL,
            };
            return socket::setopt(fd(u), libc::IPPROTO_IPV6, name, &req);
        }
        let err = crate::inet::uv_ip4_addr(source_addr, 0, &mut s4);
        if err != 0 {
            return err;
        }
        let err = maybe_bind(u, libc::AF_INET, UV_UDP_REUSEADDR as c_uint);
        if err != 0 {
            return err;
        }
        let iface = match iface4(interface_addr) {
            Ok(a) => a,
            Err(e) => return e,
        };
        let req = libc::ip_mreq_source {
            imr_multiaddr: g4.sin_addr,
            imr_interface: iface,
            imr_sourceaddr: s4.sin_addr,
        };
        let name = match membership {
            UV_JOIN_GROUP => libc::IP_ADD_SOURCE_MEMBERSHIP,
            UV_LEAVE_GROUP => libc::IP_DROP_SOURCE_MEMBERSHIP,
            _ => return UV_EINVAL,
        };
        socket::setopt(fd(u), libc::IPPROTO_IP, name, &req)
    }
}

/// Sets an IP-level option by the socket's family (`v4` for IPv4, `v6` for IPv6 sockets)
/// after checking the handle and that the value lies in `range` (UV_EINVAL otherwise).
unsafe fn ip_option(
    u: *mut uv_udp_t,
    range: core::ops::RangeInclusive<c_int>,
    v4: c_int,
    v6: c_int,
    v: c_int,
) -> c_int {
    // SAFETY: u is NULL or a handle the program initialized (checked by is_udp); a missing
    // socket gives EBADF from the kernel.
    unsafe {
        if !is_udp(u) || !range.contains(&v) {
            return UV_EINVAL;
        }
        if flags(u).contains(IPV6) {
            socket::setopt(fd(u), libc::IPPROTO_IPV6, v6, &v)
        } else {
            socket::setopt(fd(u), libc::IPPROTO_IP, v4, &v)
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_set_multicast_loop(handle: *mut uv_udp_t, on: c_int) -> c_int {
    // SAFETY: see ip_option.
    unsafe {
        ip_option(
            handle,
            0..=255,
            libc::IP_MULTICAST_LOOP,
            libc::IPV6_MULTICAST_LOOP,
            on,
        )
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_set_multicast_ttl(handle: *mut uv_udp_t, ttl: c_int) -> c_int {
    // SAFETY: see ip_option.
    unsafe {
        ip_option(
            handle,
            0..=255,
            libc::IP_MULTICAST_TTL,
            libc::IPV6_MULTICAST_HOPS,
            ttl,
        )
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_set_ttl(handle: *mut uv_udp_t, ttl: c_int) -> c_int {
    // SAFETY: see ip_option.
    unsafe { ip_option(handle, 1..=255, libc::IP_TTL, libc::IPV6_UNICAST_HOPS, ttl) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_set_broadcast(handle: *mut uv_udp_t, on: c_int) -> c_int {
    // SAFETY: the program passes an initialized handle.
    unsafe {
        if !is_udp(handle) {
            return UV_EINVAL;
        }
        socket::setopt(fd(handle), libc::SOL_SOCKET, libc::SO_BROADCAST, &on)
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_set_multicast_interface(
    handle: *mut uv_udp_t,
    interface_addr: *const c_char,
) -> c_int {
    let u = handle;
    // SAFETY: the program passes an initialized handle and NULL or a C string.
    unsafe {
        if !is_udp(u) {
            return UV_EINVAL;
        }
        let ip = if interface_addr.is_null() {
            // The default interface, for the socket's family.
            if flags(u).contains(IPV6) {
                let mut a6: libc::sockaddr_in6 = zeroed();
                a6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                Ip::V6(a6)
            } else {
                let mut a4: libc::sockaddr_in = zeroed();
                a4.sin_family = libc::AF_INET as libc::sa_family_t;
                Ip::V4(a4)
            }
        } else {
            match parse_ip(interface_addr) {
                Some(ip) => ip,
                None => return UV_EINVAL,
            }
        };
        match ip {
            Ip::V4(a4) => {
                socket::setopt(fd(u), libc::IPPROTO_IP, libc::IP_MULTICAST_IF, &a4.sin_addr)
            }
            Ip::V6(a6) => socket::setopt(
                fd(u),
                libc::IPPROTO_IPV6,
                libc::IPV6_MULTICAST_IF,
                &a6.sin6_scope_id,
            ),
        }
    }
}

// ---- sending ----

/// Fills `msg` for one datagram; UV_EINVAL for an address family we cannot size.
unsafe fn prep_msg(
    msg: *mut libc::msghdr,
    bufs: *mut uv_buf_t,
    nbufs: c_uint,
    addr: *const libc::sockaddr,
) -> c_int {
    // SAFETY: msg is writable; bufs/addr stay valid while msg is used (caller's contract).
    // uv_buf_t is layout-compatible with struct iovec.
    unsafe {
        *msg = zeroed();
        (*msg).msg_iov = bufs as *mut libc::iovec;
        (*msg).msg_iovlen = nbufs as usize;
        if addr.is_null() || (*addr).sa_family as c_int == libc::AF_UNSPEC {
            return 0;
        }
        let Some(len) = dest_len(addr) else {
            return UV_EINVAL;
        };
        (*msg).msg_name = addr as *mut c_void;
        (*msg).msg_namelen = len;
    }
    0
}

fn send_errno() -> c_int {
    let e = last_errno();
    if e == libc::EAGAIN || e == libc::EWOULDBLOCK || e == libc::ENOBUFS {
        UV_EAGAIN
    } else {
        -e
    }
}

/// Sends prepared datagrams, in order, as far as the kernel takes them. Returns how many
/// went out (> 0) or, when not even the first did, a negative error (UV_EAGAIN: full).
unsafe fn send_msgs(sock: c_int, msgs: &mut [libc::mmsghdr]) -> c_int {
    // SAFETY: every msghdr in msgs was filled by prep_msg with live buffers.
    unsafe {
        if msgs.len() == 1 {
            loop {
                if libc::sendmsg(sock, &msgs[0].msg_hdr, 0) >= 0 {
                    return 1;
                }
                if last_errno() != libc::EINTR {
                    return send_errno();
                }
            }
        }
        let mut sent = 0usize;
        while sent < msgs.len() {
            let rest = &mut msgs[sent..];
            let r = libc::sendmmsg(sock, rest.as_mut_ptr(), rest.len() as c_uint, 0);
            if r < 0 && last_errno() == libc::EINTR {
                continue;
            }
            if r < 1 {
                if sent > 0 {
                    break;
                }
                return send_errno();
            }
            sent += r as usize;
        }
        sent as c_int
    }
}

/// Sends queued requests until the queue is empty, the kernel is full, or one fails.
/// Finished requests move to the completed queue; the pending phase runs their callbacks.
unsafe fn send_queued(u: *mut uv_udp_t) {
    // SAFETY: u is a live UDP handle; its write queue links live send requests whose
    // bufs and addresses stay valid until their callbacks.
    unsafe {
        let l = (*u).r#loop;
        loop {
            if queue::is_empty(&(*u).write_queue) {
                return;
            }
            let mut msgs: [libc::mmsghdr; BATCH] = zeroed();
            let mut reqs: [*mut uv_udp_send_t; BATCH] = [ptr::null_mut(); BATCH];
            let mut n = 0;
            let mut q = queue::head(&(*u).write_queue);
            let mut bad = 0;
            while n < BATCH && !ptr::eq(q, &(*u).write_queue) {
                let req = container_of!(q, uv_udp_send_t, queue);
                let err = prep_msg(
                    &mut msgs[n].msg_hdr,
                    (*req).bufs,
                    (*req).nbufs,
                    &(*req).u.addr,
                );
                if err != 0 {
                    if n == 0 {
                        bad = err;
                    }
                    break;
                }
                reqs[n] = req;
                n += 1;
                q = queue::next(q);
            }
            let r = if bad != 0 {
                bad
            } else {
                send_msgs(fd(u), &mut msgs[..n])
            };
            if r > 0 {
                for &req in &reqs[..r as usize] {
                    (*req).status = count_bufs((*req).bufs, (*req).nbufs) as ssize_t;
                    queue::remove(&mut (*req).queue);
                    queue::insert_tail(&mut (*u).write_completed_queue, &mut (*req).queue);
                }
                io::feed(l, &mut (*u).io_watcher);
                continue;
            }
            if r == UV_EAGAIN {
                return;
            }
            // The head request failed; the ones after it wait for the next writability.
            let q = queue::head(&(*u).write_queue);
            let req = container_of!(q, uv_udp_send_t, queue);
            (*req).status = r as ssize_t;
            queue::remove(q);
            queue::insert_tail(&mut (*u).write_completed_queue, q);
            io::feed(l, &mut (*u).io_watcher);
            return;
        }
    }
}

/// Runs the callbacks of finished send requests, in order.
unsafe fn run_completed(u: *mut uv_udp_t) {
    // SAFETY: u is a live UDP handle; the completed queue links finished requests.
    unsafe {
        let l = (*u).r#loop;
        handle::add_flags(h(u), PROCESSING);
        // If a callback unwinds, the rest stay queued and the pending phase resumes them.
        let guard = crate::unwind::OnUnwind::new(u, |u| {
            handle::clear_flags(h(u), PROCESSING);
            if !queue::is_empty(&(*u).write_completed_queue) && fd(u) != -1 {
                io::feed((*u).r#loop, &mut (*u).io_watcher);
            }
        });
        while !queue::is_empty(&(*u).write_completed_queue) {
            let q = queue::head(&(*u).write_completed_queue);
            queue::remove(q);
            queue::init(q);
            let req = container_of!(q, uv_udp_send_t, queue);
            crate::req::unregister(l, req as *mut uv_req_t);
            (*u).send_queue_size -= count_bufs((*req).bufs, (*req).nbufs);
            (*u).send_queue_count -= 1;
            if (*req).bufs != (*req).bufsml.as_mut_ptr() {
                crate::alloc::free((*req).bufs as *mut c_void);
            }
            (*req).bufs = ptr::null_mut();
            if let Some(cb) = (*req).send_cb {
                let status = (*req).status;
                cb(req, if status >= 0 { 0 } else { status as c_int });
            }
        }
        guard.disarm();
        if queue::is_empty(&(*u).write_queue) {
            io::stop(l, &mut (*u).io_watcher, POLLOUT);
            if !io::is_active(&(*u).io_watcher, POLLIN) {
                handle::stop(h(u));
            }
        }
        handle::clear_flags(h(u), PROCESSING);
    }
}

/// The checks every send makes; the destination's length (0 for NULL) or an error.
unsafe fn check_before_send(u: *mut uv_udp_t, addr: *const libc::sockaddr) -> c_int {
    // SAFETY: u is non-NULL memory passed as a handle; addr is NULL or a sockaddr.
    unsafe {
        if !is_udp(u) || handle::is_closing(h(u)) {
            return UV_EINVAL;
        }
        let connected = flags(u).contains(CONNECTED);
        if !addr.is_null() && connected {
            return UV_EISCONN;
        }
        if addr.is_null() && !connected {
            return UV_EDESTADDRREQ;
        }
        if addr.is_null() {
            return 0;
        }
        match dest_len(addr) {
            Some(len) => len as c_int,
            None => UV_EINVAL,
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_send(
    req: *mut uv_udp_send_t,
    handle: *mut uv_udp_t,
    bufs: *const uv_buf_t,
    nbufs: c_uint,
    addr: *const libc::sockaddr,
    send_cb: uv_udp_send_cb,
) -> c_int {
    let u = handle;
    if req.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: the program passes an initialized handle, its own request, nbufs buffer
    // descriptors (copied here; the bytes stay the program's until the callback) and NULL
    // or a destination address (copied).
    unsafe {
        let addrlen = check_before_send(u, addr);
        if addrlen < 0 {
            return addrlen;
        }
        if nbufs == 0 || bufs.is_null() {
            return UV_EINVAL;
        }
        if !addr.is_null() {
            let err = maybe_bind(u, (*addr).sa_family as c_int, 0);
            if err != 0 {
                return err;
            }
        }
        // Requests whose callbacks have not run count too: callbacks stay in order.
        let was_idle = (*u).send_queue_count == 0;
        let n = nbufs as usize;
        let storage = if n > (*req).bufsml.len() {
            let p = crate::alloc::malloc(n * size_of::<uv_buf_t>()) as *mut uv_buf_t;
            if p.is_null() {
                return UV_ENOMEM;
            }
            p
        } else {
            (*req).bufsml.as_mut_ptr()
        };
        crate::req::init((*u).r#loop, req as *mut uv_req_t, UV_UDP_SEND);
        (*req).u.storage = zeroed();
        if addr.is_null() {
            (*req).u.storage.ss_family = libc::AF_UNSPEC as libc::sa_family_t;
        } else {
            ptr::copy_nonoverlapping(
                addr as *const u8,
                &mut (*req).u.storage as *mut _ as *mut u8,
                addrlen as usize,
            );
        }
        (*req).handle = u;
        (*req).cb = send_cb;
        (*req).send_cb = send_cb;
        (*req).status = 0;
        ptr::copy_nonoverlapping(bufs, storage, n);
        (*req).bufs = storage;
        (*req).nbufs = nbufs;
        queue::init(&mut (*req).queue);
        (*u).send_queue_size += count_bufs(storage, nbufs);
        (*u).send_queue_count += 1;
        queue::insert_tail(&mut (*u).write_queue, &mut (*req).queue);
        handle::start(h(u));
        if was_idle && !flags(u).contains(PROCESSING) {
            send_queued(u);
            if !queue::is_empty(&(*u).write_queue) {
                io::start((*u).r#loop, &mut (*u).io_watcher, POLLOUT);
            }
        } else {
            io::start((*u).r#loop, &mut (*u).io_watcher, POLLOUT);
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_try_send(
    handle: *mut uv_udp_t,
    bufs: *const uv_buf_t,
    nbufs: c_uint,
    addr: *const libc::sockaddr,
) -> c_int {
    let u = handle;
    // SAFETY: as uv_udp_send; nothing is kept after the call.
    unsafe {
        let addrlen = check_before_send(u, addr);
        if addrlen < 0 {
            return addrlen;
        }
        if nbufs == 0 || bufs.is_null() {
            return UV_EINVAL;
        }
        if (*u).send_queue_count != 0 {
            return UV_EAGAIN;
        }
        if !addr.is_null() {
            let err = maybe_bind(u, (*addr).sa_family as c_int, 0);
            if err != 0 {
                return err;
            }
        }
        let mut msgs: [libc::mmsghdr; 1] = zeroed();
        let err = prep_msg(&mut msgs[0].msg_hdr, bufs as *mut uv_buf_t, nbufs, addr);
        if err != 0 {
            return err;
        }
        let r = send_msgs(fd(u), &mut msgs);
        if r < 0 {
            return r;
        }
        count_bufs(bufs, nbufs).min(c_int::MAX as usize) as c_int
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_try_send2(
    handle: *mut uv_udp_t,
    count: c_uint,
    bufs: *mut *mut uv_buf_t,
    nbufs: *mut c_uint,
    addrs: *mut *mut libc::sockaddr,
    flags: c_uint,
) -> c_int {
    let u = handle;
    // SAFETY: the program passes an initialized handle and `count` entries in each array.
    unsafe {
        if !is_udp(u) || count < 1 || flags != 0 {
            return UV_EINVAL;
        }
        if bufs.is_null() || nbufs.is_null() || addrs.is_null() {
            return UV_EINVAL;
        }
        if (*u).send_queue_count > 0 {
            return UV_EAGAIN;
        }
        let sock = fd(u);
        if sock == -1 || handle::is_closing(h(u)) {
            return UV_EINVAL;
        }
        let count = count as usize;
        let mut sent = 0usize;
        while sent < count {
            let mut msgs: [libc::mmsghdr; BATCH] = zeroed();
            let n = (count - sent).min(BATCH);
            let mut prepared = 0;
            let mut bad = 0;
            for (k, m) in msgs[..n].iter_mut().enumerate() {
                let i = sent + k;
                let err = prep_msg(&mut m.msg_hdr, *bufs.add(i), *nbufs.add(i), *addrs.add(i));
                if err != 0 {
                    bad = err;
                    break;
                }
                prepared += 1;
            }
            if prepared == 0 {
                return if sent > 0 { sent as c_int } else { bad };
            }
            let r = send_msgs(sock, &mut msgs[..prepared]);
            if r < 0 {
                return if sent > 0 { sent as c_int } else { r };
            }
            sent += r as usize;
            if (r as usize) < prepared || bad != 0 {
                break;
            }
        }
        sent as c_int
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_get_send_queue_size(handle: *const uv_udp_t) -> usize {
    if handle.is_null() {
        return 0;
    }
    // SAFETY: the program passes an initialized handle.
    unsafe { (*handle).send_queue_size }
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_get_send_queue_count(handle: *const uv_udp_t) -> usize {
    if handle.is_null() {
        return 0;
    }
    // SAFETY: the program passes an initialized handle.
    unsafe { (*handle).send_queue_count }
}

// ---- receiving ----

#[no_mangle]
pub unsafe extern "C" fn uv_udp_recv_start(
    handle: *mut uv_udp_t,
    alloc_cb: uv_alloc_cb,
    recv_cb: uv_udp_recv_cb,
) -> c_int {
    let u = handle;
    if alloc_cb.is_none() || recv_cb.is_none() {
        return UV_EINVAL;
    }
    // SAFETY: the program passes an initialized handle.
    unsafe {
        if !is_udp(u) || handle::is_closing(h(u)) {
            return UV_EINVAL;
        }
        if io::is_active(&(*u).io_watcher, POLLIN) {
            return UV_EALREADY;
        }
        let err = maybe_bind(u, libc::AF_INET, 0);
        if err != 0 {
            return err;
        }
        (*u).alloc_cb = alloc_cb;
        (*u).recv_cb = recv_cb;
        io::start((*u).r#loop, &mut (*u).io_watcher, POLLIN);
        handle::start(h(u));
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_recv_stop(handle: *mut uv_udp_t) -> c_int {
    let u = handle;
    // SAFETY: the program passes an initialized handle.
    unsafe {
        if !is_udp(u) {
            return UV_EINVAL;
        }
        io::stop((*u).r#loop, &mut (*u).io_watcher, POLLIN);
        if !io::is_active(&(*u).io_watcher, POLLOUT) {
            handle::stop(h(u));
        }
        (*u).alloc_cb = None;
        (*u).recv_cb = None;
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_udp_using_recvmmsg(handle: *const uv_udp_t) -> c_int {
    // SAFETY: the program passes an initialized handle.
    unsafe { (is_udp(handle) && flags(handle).contains(RECVMMSG)) as c_int }
}

/// Room for the control messages of the error queue.
#[repr(C, align(8))]
struct Control([u8; 256]);

/// A message from the error queue (IP_RECVERR): delivers the ICMP error with the address
/// that reported it. False when `msg` is not one.
unsafe fn deliver_errqueue(
    u: *mut uv_udp_t,
    msg: *const libc::msghdr,
    buf: *const uv_buf_t,
    flags: c_uint,
) -> bool {
    // SAFETY: msg was filled by recvmsg/recvmmsg; CMSG_* walk its control buffer in bounds.
    unsafe {
        if (*msg).msg_flags & libc::MSG_ERRQUEUE == 0 {
            return false;
        }
        let mut c = libc::CMSG_FIRSTHDR(msg);
        while !c.is_null() {
            let lvl = (*c).cmsg_level;
            let ty = (*c).cmsg_type;
            if (lvl == libc::SOL_IP && ty == libc::IP_RECVERR)
                || (lvl == libc::SOL_IPV6 && ty == libc::IPV6_RECVERR)
            {
                let serr = libc::CMSG_DATA(c) as *const libc::sock_extended_err;
                let errno = ptr::read_unaligned(ptr::addr_of!((*serr).ee_errno));
                let offender = libc::SO_EE_OFFENDER(serr);
                if let Some(cb) = (*u).recv_cb {
                    cb(
                        u,
                        -(errno as isize),
                        buf,
                        offender,
                        flags | UV_UDP_LINUX_RECVERR as c_uint,
                    );
                }
                return true;
            }
            c = libc::CMSG_NXTHDR(msg, c);
        }
        false
    }
}

/// One datagram into `buf` with recvmsg. Returns recvmsg's result.
unsafe fn recv_one(u: *mut uv_udp_t, buf: *mut uv_buf_t, flag: c_int) -> isize {
    // SAFETY: u is a live UDP handle; buf is the program's buffer from alloc_cb.
    unsafe {
        let mut peer: libc::sockaddr_storage = zeroed();
        let mut control = Control([0; 256]);
        let mut msg: libc::msghdr = zeroed();
        msg.msg_name = &mut peer as *mut _ as *mut c_void;
        msg.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        msg.msg_iov = buf as *mut libc::iovec;
        msg.msg_iovlen = 1;
        if flag & libc::MSG_ERRQUEUE != 0 {
            msg.msg_control = control.0.as_mut_ptr() as *mut c_void;
            msg.msg_controllen = control.0.len();
        }
        let n = loop {
            let n = libc::recvmsg(fd(u), &mut msg, flag);
            if n == -1 && last_errno() == libc::EINTR {
                continue;
            }
            break n;
        };
        let err = last_errno();
        let Some(cb) = (*u).recv_cb else { return n };
        if n == -1 {
            if err == libc::EAGAIN || err == libc::EWOULDBLOCK {
                cb(u, 0, buf, ptr::null(), 0);
            } else {
                cb(u, -(err as isize), buf, ptr::null(), 0);
            }
            return n;
        }
        let mut fl = 0;
        if msg.msg_flags & libc::MSG_TRUNC != 0 {
            fl |= UV_UDP_PARTIAL as c_uint;
        }
        if flag & libc::MSG_ERRQUEUE != 0 && deliver_errqueue(u, &msg, buf, fl) {
            return n;
        }
        cb(u, n, buf, &peer as *const _ as *const libc::sockaddr, fl);
        n
    }
}

/// Several datagrams into the chunks of `buf` with recvmmsg. Returns how many were read,
/// or -1 when none (the callback has been told).
unsafe fn recv_many(u: *mut uv_udp_t, buf: *mut uv_buf_t, flag: c_int) -> isize {
    // SAFETY: u is a live UDP handle; buf is the program's buffer of buf.len bytes, cut
    // into 64 KiB chunks that stay inside it.
    unsafe {
        let chunks = ((*buf).len / DGRAM_MAX).min(BATCH);
        let mut peers: [libc::sockaddr_storage; BATCH] = zeroed();
        let mut iov: [libc::iovec; BATCH] = zeroed();
        let mut msgs: [libc::mmsghdr; BATCH] = zeroed();
        let mut control: [Control; BATCH] = zeroed();
        for k in 0..chunks {
            iov[k].iov_base = (*buf).base.add(k * DGRAM_MAX) as *mut c_void;
            iov[k].iov_len = DGRAM_MAX;
            let m = &mut msgs[k].msg_hdr;
            m.msg_iov = &mut iov[k];
            m.msg_iovlen = 1;
            m.msg_name = &mut peers[k] as *mut _ as *mut c_void;
            m.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            if flag & libc::MSG_ERRQUEUE != 0 {
                m.msg_control = control[k].0.as_mut_ptr() as *mut c_void;
                m.msg_controllen = control[k].0.len();
            }
        }
        let n = loop {
            let n = libc::recvmmsg(
                fd(u),
                msgs.as_mut_ptr(),
                chunks as c_uint,
                flag,
                ptr::null_mut(),
            );
            if n == -1 && last_errno() == libc::EINTR {
                continue;
            }
            break n;
        };
        let err = last_errno();
        if n < 1 {
            if let Some(cb) = (*u).recv_cb {
                if n == 0 || err == libc::EAGAIN || err == libc::EWOULDBLOCK {
                    cb(u, 0, buf, ptr::null(), 0);
                } else {
                    cb(u, -(err as isize), buf, ptr::null(), 0);
                }
            }
            return -1;
        }
        for k in 0..n as usize {
            let Some(cb) = (*u).recv_cb else { break };
            let mut fl = UV_UDP_MMSG_CHUNK as c_uint;
            if msgs[k].msg_hdr.msg_flags & libc::MSG_TRUNC != 0 {
                fl |= UV_UDP_PARTIAL as c_uint;
            }
            let chunk = uv_buf_t {
                base: iov[k].iov_base as *mut c_char,
                len: iov[k].iov_len,
            };
            if flag & libc::MSG_ERRQUEUE != 0 && deliver_errqueue(u, &msgs[k].msg_hdr, &chunk, fl) {
                continue;
            }
            cb(
                u,
                msgs[k].msg_len as isize,
                &chunk,
                &peers[k] as *const _ as *const libc::sockaddr,
                fl,
            );
        }
        // The whole buffer once more, so the program can free it.
        if let Some(cb) = (*u).recv_cb {
            cb(u, 0, buf, ptr::null(), UV_UDP_MMSG_FREE as c_uint);
        }
        n as isize
    }
}

/// Reads datagrams while the program keeps receiving and the kernel has more.
unsafe fn recv(u: *mut uv_udp_t, flag: c_int) {
    // SAFETY: u is a live UDP handle; the callbacks may stop or close it, so its state is
    // looked at again after each one.
    unsafe {
        let mut budget = READS_PER_WAKEUP;
        loop {
            let (Some(alloc_cb), Some(recv_cb)) = ((*u).alloc_cb, (*u).recv_cb) else {
                return;
            };
            let mut buf = empty_buf();
            alloc_cb(h(u), DGRAM_MAX, &mut buf);
            if buf.base.is_null() || buf.len == 0 {
                recv_cb(u, UV_ENOBUFS as isize, &buf, ptr::null(), 0);
                return;
            }
            let n = if flags(u).contains(RECVMMSG) && buf.len >= DGRAM_MAX {
                let n = recv_many(u, &mut buf, flag);
                if n > 0 {
                    budget -= n;
                }
                n
            } else {
                budget -= 1;
                recv_one(u, &mut buf, flag)
            };
            if n == -1 || budget <= 0 || fd(u) == -1 || (*u).recv_cb.is_none() {
                return;
            }
        }
    }
}

/// Events on a UDP socket's watcher (and its pending-phase callbacks, as POLLOUT).
pub unsafe fn io(_l: *mut uv_loop_t, w: *mut uv__io_t, events: u32) {
    // SAFETY: w is the io_watcher of a live UDP handle.
    unsafe {
        let u = container_of!(w, uv_udp_t, io_watcher);
        if events & POLLIN != 0 {
            recv(u, 0);
        }
        // ICMP errors queued by IP_RECVERR, for a program that still receives.
        if events & POLLERR != 0
            && handle::is_active(h(u))
            && !handle::is_closing(h(u))
            && (*u).recv_cb.is_some()
            && fd(u) != -1
        {
            recv(u, libc::MSG_ERRQUEUE);
        }
        if events & POLLOUT != 0 && !handle::is_closing(h(u)) {
            send_queued(u);
            run_completed(u);
        }
    }
}

// ---- closing ----

/// uv_close of a UDP handle.
pub unsafe fn close(u: *mut uv_udp_t) {
    // SAFETY: u is a live UDP handle being closed.
    unsafe {
        io::close((*u).r#loop, &mut (*u).io_watcher);
        handle::stop(h(u));
        if fd(u) != -1 {
            libc::close(fd(u));
            (*u).io_watcher.fd = -1;
        }
    }
}

/// The closing phase of a UDP handle: queued sends end with UV_ECANCELED, then every
/// finished send gets its callback.
pub unsafe fn finish_close(u: *mut uv_udp_t) {
    // SAFETY: u is a closed UDP handle of a live loop.
    unsafe {
        while !queue::is_empty(&(*u).write_queue) {
            let q = queue::head(&(*u).write_queue);
            queue::remove(q);
            let req = container_of!(q, uv_udp_send_t, queue);
            (*req).status = UV_ECANCELED as ssize_t;
            queue::insert_tail(&mut (*u).write_completed_queue, q);
        }
        run_completed(u);
        (*u).recv_cb = None;
        (*u).alloc_cb = None;
    }
}
