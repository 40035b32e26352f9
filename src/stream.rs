//! Streams: the machinery shared by TCP sockets, pipes and TTYs.
//!
//! Reading: while the program reads, the fd is watched for POLLIN; each readiness reads
//! into buffers from the program's alloc_cb until the kernel has no more (at most 32 reads,
//! so one busy stream cannot starve the loop). `nread == 0` means "nothing now" (EAGAIN);
//! end of file is reported once, as UV_EOF, and stops reading.
//!
//! Writing: uv_write queues a request holding the program's buffer descriptors (copied: the
//! `uv_buf_t` array may be temporary; the bytes must stay valid until the callback). With an
//! empty queue it writes at once; what the kernel does not take waits for POLLOUT. Many
//! buffers go out in one writev (IOV_MAX at a time). Completed requests move to
//! `write_completed_queue` and their callbacks run from the pending phase, never from inside
//! uv_write. `write_queue_size` is the exact number of bytes not yet written.
//!
//! Shutdown waits for the queued writes; closing cancels them with UV_ECANCELED.
//!
//! Listening: the watcher kind becomes `Server`; each readiness accepts while the program
//! keeps calling uv_accept, and stops watching when it does not. On EMFILE the loop's
//! reserve fd is released to accept-and-drop the pending connections instead of spinning.
//!
//! IPC pipes pass descriptors with SCM_RIGHTS: received ones wait in `accepted_fd` and then
//! `queued_fds` (a `Vec<c_int>` owned by the stream) until uv_accept takes them.

use crate::abi::*;
use crate::handle::{self, Flags};
use crate::io::{self, POLLERR, POLLHUP, POLLIN, POLLOUT};
use crate::queue::{self, container_of};
use core::ffi::{c_int, c_uint, c_void};
use core::ptr;

const IOV_MAX: usize = 1024;
const READ_BUFFER_SUGGESTION: usize = 64 * 1024;

#[inline]
pub unsafe fn fd(s: *const uv_stream_t) -> c_int {
    // SAFETY: s is a live stream.
    unsafe { (*s).io_watcher.fd }
}

#[inline]
unsafe fn h(s: *mut uv_stream_t) -> *mut uv_handle_t {
    s as *mut uv_handle_t
}

#[inline]
unsafe fn flags(s: *mut uv_stream_t) -> Flags {
    // SAFETY: s is a live stream.
    unsafe { handle::flags(h(s)) }
}

pub fn last_errno() -> c_int {
    // SAFETY: errno is thread-local.
    unsafe { *libc::__errno_location() }
}

/// Common initialization of TCP, pipe and TTY handles.
pub unsafe fn init(l: *mut uv_loop_t, s: *mut uv_stream_t, ty: uv_handle_type) {
    // SAFETY: l is a live loop; s is writable stream-sized memory.
    unsafe {
        handle::init(l, h(s), ty);
        (*s).read_cb = None;
        (*s).alloc_cb = None;
        (*s).connection_cb = None;
        (*s).connect_req = ptr::null_mut();
        (*s).shutdown_req = ptr::null_mut();
        (*s).accepted_fd = -1;
        (*s).queued_fds = ptr::null_mut();
        (*s).delayed_error = 0;
        queue::init(&mut (*s).write_queue);
        queue::init(&mut (*s).write_completed_queue);
        (*s).write_queue_size = 0;
        // A reserve fd for the EMFILE accept trick, one per loop.
        if (*l).emfile_fd == -1 {
            let mut fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
            if fd < 0 {
                fd = libc::open(c"/".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
            }
            if fd >= 0 {
                (*l).emfile_fd = fd;
            }
        }
        io::init(&mut (*s).io_watcher, io::Kind::Stream, -1);
    }
}

/// Sets O_NONBLOCK on or off.
pub fn set_nonblock(fd: c_int, on: bool) -> c_int {
    // SAFETY: fcntl on an fd; errors are reported.
    unsafe {
        let mut fl;
        loop {
            fl = libc::fcntl(fd, libc::F_GETFL);
            if fl != -1 || last_errno() != libc::EINTR {
                break;
            }
        }
        if fl == -1 {
            return -last_errno();
        }
        let new = if on {
            fl | libc::O_NONBLOCK
        } else {
            fl & !libc::O_NONBLOCK
        };
        if new != fl && libc::fcntl(fd, libc::F_SETFL, new) == -1 {
            return -last_errno();
        }
    }
    0
}

/// Adopts `fd` as the stream's descriptor.
pub unsafe fn open(s: *mut uv_stream_t, fd: c_int, add: Flags) -> c_int {
    // SAFETY: s is a live stream.
    unsafe {
        let cur = (*s).io_watcher.fd;
        if cur != -1 && cur != fd {
            return UV_EBUSY;
        }
        handle::add_flags(h(s), add);
        if (*s).r#type == UV_TCP {
            let f = flags(s);
            if f.contains(crate::tcp::NODELAY) && crate::tcp::set_nodelay(fd, true) != 0 {
                return -last_errno();
            }
            if f.contains(crate::tcp::KEEPALIVE) {
                let err = crate::tcp::set_keepalive(fd, true, 60, 1, 10);
                if err != 0 {
                    return err;
                }
            }
        }
        (*s).io_watcher.fd = fd;
    }
    0
}

/// Whether the loop already watches `fd` through some handle.
pub unsafe fn fd_in_use(l: *mut uv_loop_t, fd: c_int) -> bool {
    // SAFETY: l is a live loop.
    unsafe {
        let w = &crate::r#loop::inner(l).watchers;
        fd >= 0 && (fd as usize) < w.len() && !w[fd as usize].is_null()
    }
}

// ---- the io callback ----

/// Events on a connected stream.
pub unsafe fn io(_l: *mut uv_loop_t, w: *mut uv__io_t, events: u32) {
    // SAFETY: w is the io_watcher of a live stream.
    unsafe {
        let s = container_of!(w, uv_stream_t, io_watcher);
        if !(*s).connect_req.is_null() {
            connect_done(s);
            return;
        }
        if events & (POLLIN | POLLERR) != 0 {
            read(s);
        }
        if fd(s) == -1 {
            return; // a read callback closed the stream
        }
        // Hung up with nothing readable reported and no EOF seen yet: report it now, or the
        // program waits forever. (With POLLIN set, the read above goes on until EOF: PTYs
        // give partial reads while more data is pending.)
        let f = flags(s);
        if events & POLLHUP != 0
            && events & POLLIN == 0
            && f.contains(Flags::READING)
            && !f.contains(Flags::READ_EOF)
        {
            let buf = uv_buf_t {
                base: ptr::null_mut(),
                len: 0,
            };
            eof(s, &buf);
        }
        if fd(s) == -1 {
            return;
        }
        if events & (POLLOUT | POLLERR | POLLHUP) != 0 {
            write(s);
            write_callbacks(s);
            if queue::is_empty(&(*s).write_queue) {
                drain(s);
            }
        }
    }
}

/// A non-blocking connect finished (or failed).
unsafe fn connect_done(s: *mut uv_stream_t) {
    // SAFETY: s is a live stream with a connect request.
    unsafe {
        let req = (*s).connect_req;
        let error = if (*s).delayed_error != 0 {
            // An error connect() reported at once is delivered now, one tick later.
            let e = (*s).delayed_error;
            (*s).delayed_error = 0;
            e
        } else {
            let mut e: c_int = 0;
            let mut len = core::mem::size_of::<c_int>() as libc::socklen_t;
            libc::getsockopt(
                fd(s),
                libc::SOL_SOCKET,
                libc::SO_ERROR,
                &mut e as *mut c_int as *mut c_void,
                &mut len,
            );
            -e
        };
        if error == -libc::EINPROGRESS {
            return;
        }
        (*s).connect_req = ptr::null_mut();
        crate::req::unregister((*s).r#loop, req as *mut uv_req_t);
        if error < 0 || queue::is_empty(&(*s).write_queue) {
            io::stop((*s).r#loop, &mut (*s).io_watcher, POLLOUT);
        }
        if let Some(cb) = (*req).cb {
            cb(req, error);
        }
        if fd(s) == -1 {
            return;
        }
        if error < 0 {
            flush_write_queue(s, UV_ECANCELED);
            write_callbacks(s);
        }
    }
}

// ---- reading ----

#[no_mangle]
pub unsafe extern "C" fn uv_read_start(
    stream: *mut uv_stream_t,
    alloc_cb: uv_alloc_cb,
    read_cb: uv_read_cb,
) -> c_int {
    let s = stream;
    if s.is_null() || alloc_cb.is_none() || read_cb.is_none() {
        return UV_EINVAL;
    }
    // SAFETY: the program passes an initialized stream.
    unsafe {
        if !is_stream_type((*s).r#type) {
            return UV_EINVAL;
        }
        let f = flags(s);
        if f.contains(Flags::CLOSING) {
            return UV_EINVAL;
        }
        if f.contains(Flags::READING) {
            return UV_EALREADY;
        }
        if !f.contains(Flags::READABLE) || fd(s) < 0 {
            return UV_ENOTCONN;
        }
        start_reading(s, alloc_cb, read_cb);
    }
    0
}

/// Starts reading (also used by TTY's read start).
pub unsafe fn start_reading(s: *mut uv_stream_t, alloc_cb: uv_alloc_cb, read_cb: uv_read_cb) {
    // SAFETY: s is a live readable stream with an fd.
    unsafe {
        handle::add_flags(h(s), Flags::READING);
        handle::clear_flags(h(s), Flags::READ_EOF);
        (*s).read_cb = read_cb;
        (*s).alloc_cb = alloc_cb;
        io::start((*s).r#loop, &mut (*s).io_watcher, POLLIN);
        handle::start(h(s));
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_read_stop(stream: *mut uv_stream_t) -> c_int {
    let s = stream;
    if s.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: the program passes an initialized stream.
    unsafe {
        if !flags(s).contains(Flags::READING) {
            return 0;
        }
        handle::clear_flags(h(s), Flags::READING);
        io::stop((*s).r#loop, &mut (*s).io_watcher, POLLIN);
        // A stream is active while it reads or listens; writes keep the loop alive through
        // their requests.
        handle::stop(h(s));
        (*s).read_cb = None;
        (*s).alloc_cb = None;
    }
    0
}

unsafe fn eof(s: *mut uv_stream_t, buf: *const uv_buf_t) {
    // SAFETY: s is a live stream that was reading.
    unsafe {
        handle::add_flags(h(s), Flags::READ_EOF);
        handle::clear_flags(h(s), Flags::READING);
        io::stop((*s).r#loop, &mut (*s).io_watcher, POLLIN);
        handle::stop(h(s));
        if let Some(cb) = (*s).read_cb {
            cb(s, UV_EOF as isize, buf);
        }
    }
}

/// Control-message space for receiving descriptors: room for 64 fds.
#[repr(C, align(8))]
struct CmsgSpace([u8; 512]);

unsafe fn read(s: *mut uv_stream_t) {
    // SAFETY: s is a live stream; buffers come from the program's alloc_cb.
    unsafe {
        let is_ipc = (*s).r#type == UV_NAMED_PIPE && (*(s as *mut uv_pipe_t)).ipc != 0;
        let mut count = 32;
        while count > 0 && flags(s).contains(Flags::READING) {
            count -= 1;
            let (Some(alloc_cb), Some(read_cb)) = ((*s).alloc_cb, (*s).read_cb) else {
                return;
            };
            let mut buf = uv_buf_t {
                base: ptr::null_mut(),
                len: 0,
            };
            alloc_cb(h(s), READ_BUFFER_SUGGESTION, &mut buf);
            if buf.base.is_null() || buf.len == 0 {
                // The program cannot take data now.
                read_cb(s, UV_ENOBUFS as isize, &buf);
                return;
            }
            if fd(s) < 0 {
                return;
            }
            // The control buffer is only needed (and only zeroed) for IPC pipes.
            let mut cmsg = core::mem::MaybeUninit::<CmsgSpace>::uninit();
            let mut msg: libc::msghdr = core::mem::zeroed();
            if is_ipc {
                ptr::write_bytes(cmsg.as_mut_ptr(), 0, 1);
            }
            let n = loop {
                let n = if is_ipc {
                    msg.msg_iov = &mut buf as *mut uv_buf_t as *mut libc::iovec;
                    msg.msg_iovlen = 1;
                    msg.msg_control = cmsg.as_mut_ptr() as *mut c_void;
                    msg.msg_controllen = core::mem::size_of::<CmsgSpace>();
                    libc::recvmsg(fd(s), &mut msg, libc::MSG_CMSG_CLOEXEC)
                } else {
                    libc::read(fd(s), buf.base as *mut c_void, buf.len)
                };
                if n < 0 && last_errno() == libc::EINTR {
                    continue;
                }
                break n;
            };
            if n < 0 {
                let err = last_errno();
                if err == libc::EAGAIN || err == libc::EWOULDBLOCK {
                    read_cb(s, 0, &buf);
                } else {
                    // A read error: the stream is done; the program should close it.
                    handle::clear_flags(h(s), Flags::READABLE | Flags::WRITABLE);
                    read_cb(s, -err as isize, &buf);
                    if flags(s).contains(Flags::READING) {
                        handle::clear_flags(h(s), Flags::READING);
                        io::stop((*s).r#loop, &mut (*s).io_watcher, POLLIN);
                        handle::stop(h(s));
                    }
                }
                return;
            }
            if n == 0 {
                if is_ipc {
                    let err = recv_fds(s, &msg);
                    if err != 0 {
                        read_cb(s, err as isize, &buf);
                        return;
                    }
                }
                eof(s, &buf);
                return;
            }
            if is_ipc {
                let err = recv_fds(s, &msg);
                if err != 0 {
                    read_cb(s, err as isize, &buf);
                    return;
                }
            }
            let full = n as usize == buf.len;
            read_cb(s, n, &buf);
            if !full {
                // The kernel had no more: wait for the next readiness.
                return;
            }
        }
    }
}

/// Takes the descriptors of an SCM_RIGHTS message into accepted_fd / queued_fds.
unsafe fn recv_fds(s: *mut uv_stream_t, msg: *const libc::msghdr) -> c_int {
    // SAFETY: msg was filled by recvmsg; CMSG_* walk its control buffer within bounds.
    unsafe {
        let mut err = 0;
        let mut c = libc::CMSG_FIRSTHDR(msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(c) as *const c_int;
                let n = ((*c).cmsg_len as usize - libc::CMSG_LEN(0) as usize)
                    / core::mem::size_of::<c_int>();
                for i in 0..n {
                    let fd = ptr::read_unaligned(data.add(i));
                    if err != 0 {
                        libc::close(fd);
                    } else if (*s).accepted_fd == -1 {
                        (*s).accepted_fd = fd;
                    } else {
                        queued_fds(s).push(fd);
                    }
                }
            }
            c = libc::CMSG_NXTHDR(msg, c);
        }
        if (*msg).msg_flags & libc::MSG_CTRUNC != 0 {
            err = UV_ENOBUFS;
        }
        err
    }
}

/// The stream's queue of received descriptors beyond the first (created on demand).
#[allow(clippy::mut_from_ref)]
unsafe fn queued_fds<'a>(s: *mut uv_stream_t) -> &'a mut Vec<c_int> {
    // SAFETY: queued_fds is NULL or a leaked Box<Vec<c_int>> owned by this stream.
    unsafe {
        if (*s).queued_fds.is_null() {
            (*s).queued_fds = Box::into_raw(Box::new(Vec::<c_int>::new())) as *mut c_void;
        }
        &mut *((*s).queued_fds as *mut Vec<c_int>)
    }
}

/// How many descriptors are waiting to be accepted.
pub unsafe fn pending_fd_count(s: *mut uv_stream_t) -> c_int {
    // SAFETY: s is a live stream.
    unsafe {
        if (*s).accepted_fd == -1 {
            return 0;
        }
        if (*s).queued_fds.is_null() {
            return 1;
        }
        1 + (*((*s).queued_fds as *mut Vec<c_int>)).len() as c_int
    }
}

// ---- writing ----

unsafe fn req_size(req: *const uv_write_t) -> usize {
    // SAFETY: req is a live write request with bufs[write_index..nbufs] valid.
    unsafe {
        let mut n = 0;
        for i in (*req).write_index..(*req).nbufs {
            n += (*(*req).bufs.add(i as usize)).len;
        }
        n
    }
}

/// Writes as much as the kernel takes now. Returns bytes written or a negative error
/// (UV_EAGAIN when the kernel takes nothing).
unsafe fn try_write_bufs(
    s: *mut uv_stream_t,
    bufs: *const uv_buf_t,
    nbufs: usize,
    send_handle: *mut uv_stream_t,
) -> isize {
    // SAFETY: bufs points to nbufs valid buffer descriptors (uv_buf_t is layout-compatible
    // with struct iovec); send_handle is NULL or a live handle.
    unsafe {
        let iovcnt = nbufs.min(IOV_MAX) as c_int;
        let n = if !send_handle.is_null() {
            if handle::is_closing(h(send_handle)) {
                return UV_EBADF as isize;
            }
            let fd_to_send = handle_fd(h(send_handle));
            let mut cmsg = CmsgSpace([0; 512]);
            let mut msg: libc::msghdr = core::mem::zeroed();
            msg.msg_iov = bufs as *mut libc::iovec;
            msg.msg_iovlen = iovcnt as usize;
            msg.msg_control = cmsg.0.as_mut_ptr() as *mut c_void;
            msg.msg_controllen = libc::CMSG_SPACE(core::mem::size_of::<c_int>() as u32) as usize;
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(core::mem::size_of::<c_int>() as u32) as usize;
            ptr::write_unaligned(libc::CMSG_DATA(c) as *mut c_int, fd_to_send);
            loop {
                let n = libc::sendmsg(fd(s), &msg, libc::MSG_NOSIGNAL);
                if n == -1 && last_errno() == libc::EINTR {
                    continue;
                }
                break n;
            }
        } else {
            loop {
                let n = if (*s).r#type == UV_TCP && iovcnt == 1 {
                    // Sockets: a closed peer gives EPIPE, never SIGPIPE. send() is the
                    // cheapest way to say so for one buffer.
                    libc::send(
                        fd(s),
                        (*bufs).base as *const c_void,
                        (*bufs).len,
                        libc::MSG_NOSIGNAL,
                    )
                } else if (*s).r#type == UV_TCP {
                    let mut msg: libc::msghdr = core::mem::zeroed();
                    msg.msg_iov = bufs as *mut libc::iovec;
                    msg.msg_iovlen = iovcnt as usize;
                    libc::sendmsg(fd(s), &msg, libc::MSG_NOSIGNAL)
                } else if iovcnt == 1 {
                    libc::write(fd(s), (*bufs).base as *const c_void, (*bufs).len)
                } else {
                    libc::writev(fd(s), bufs as *const libc::iovec, iovcnt)
                };
                if n == -1 && last_errno() == libc::EINTR {
                    continue;
                }
                break n;
            }
        };
        if n >= 0 {
            return n;
        }
        let err = last_errno();
        if err == libc::EAGAIN || err == libc::EWOULDBLOCK || err == libc::ENOBUFS {
            return UV_EAGAIN as isize;
        }
        -err as isize
    }
}

/// Advances the request past `n` written bytes; true when it is complete.
unsafe fn req_advance(s: *mut uv_stream_t, req: *mut uv_write_t, mut n: usize) -> bool {
    // SAFETY: req is the head request of s; n <= its remaining bytes.
    unsafe {
        (*s).write_queue_size -= n;
        let mut i = (*req).write_index as usize;
        let nbufs = (*req).nbufs as usize;
        while i < nbufs {
            let b = &mut *(*req).bufs.add(i);
            let take = n.min(b.len);
            if b.len != 0 {
                b.base = b.base.add(take);
            }
            b.len -= take;
            n -= take;
            if b.len != 0 {
                break;
            }
            i += 1;
            if n == 0 {
                // Skip empty buffers so a request of only empty buffers completes.
                while i < nbufs && (*(*req).bufs.add(i)).len == 0 {
                    i += 1;
                }
                break;
            }
        }
        (*req).write_index = i as c_uint;
        i == nbufs
    }
}

/// Moves a finished request to the completed queue; its callback runs from the pending phase.
unsafe fn req_finish(req: *mut uv_write_t) {
    // SAFETY: req is a live write request on its stream's write queue.
    unsafe {
        let s = (*req).handle;
        queue::remove(&mut (*req).queue);
        if (*req).error == 0 {
            free_bufs(req);
        }
        queue::insert_tail(&mut (*s).write_completed_queue, &mut (*req).queue);
        io::feed((*s).r#loop, &mut (*s).io_watcher);
    }
}

unsafe fn free_bufs(req: *mut uv_write_t) {
    // SAFETY: bufs is NULL, bufsml, or our allocation.
    unsafe {
        let sml = (*req).bufsml.as_mut_ptr();
        if !(*req).bufs.is_null() && (*req).bufs != sml {
            crate::alloc::free((*req).bufs as *mut c_void);
        }
        (*req).bufs = ptr::null_mut();
    }
}

/// Writes queued requests until the kernel pushes back.
unsafe fn write(s: *mut uv_stream_t) {
    // SAFETY: s is a live stream with an fd; its write queue links live requests.
    unsafe {
        let mut count = 32;
        loop {
            if fd(s) < 0 || queue::is_empty(&(*s).write_queue) {
                return;
            }
            let q = queue::head(&(*s).write_queue);
            let req = container_of!(q, uv_write_t, queue);
            let wi = (*req).write_index as usize;
            let n = try_write_bufs(
                s,
                (*req).bufs.add(wi),
                (*req).nbufs as usize - wi,
                (*req).send_handle,
            );
            if n >= 0 {
                // A partial write must not send the handle again.
                (*req).send_handle = ptr::null_mut();
                if req_advance(s, req, n as usize) {
                    req_finish(req);
                    count -= 1;
                    if count > 0 {
                        continue;
                    }
                    // Yield to the loop; POLLOUT brings us back for the rest.
                    if !queue::is_empty(&(*s).write_queue) {
                        io::start((*s).r#loop, &mut (*s).io_watcher, POLLOUT);
                    }
                    return;
                }
            } else if n != UV_EAGAIN as isize {
                (*req).error = n as c_int;
                req_finish(req);
                io::stop((*s).r#loop, &mut (*s).io_watcher, POLLOUT);
                return;
            }
            if flags(s).contains(Flags::BLOCKING_WRITES) {
                continue;
            }
            // The kernel is full: resume on writability.
            io::start((*s).r#loop, &mut (*s).io_watcher, POLLOUT);
            return;
        }
    }
}

/// Runs the callbacks of completed write requests.
pub unsafe fn write_callbacks(s: *mut uv_stream_t) {
    // SAFETY: s is a live stream; the completed queue links finished requests.
    unsafe {
        if queue::is_empty(&(*s).write_completed_queue) {
            return;
        }
        let mut local = uv__queue {
            next: ptr::null_mut(),
            prev: ptr::null_mut(),
        };
        let lq: *mut uv__queue = &mut local;
        queue::move_to(&mut (*s).write_completed_queue, lq);
        let guard = crate::unwind::OnUnwind::new((lq, s), |(lq, s)| {
            queue::prepend(lq, &mut (*s).write_completed_queue);
            if !queue::is_empty(&(*s).write_completed_queue) {
                io::feed((*s).r#loop, &mut (*s).io_watcher);
            }
        });
        while !queue::is_empty(lq) {
            let q = queue::head(lq);
            queue::remove(q);
            queue::init(q);
            let req = container_of!(q, uv_write_t, queue);
            crate::req::unregister((*s).r#loop, req as *mut uv_req_t);
            if !(*req).bufs.is_null() {
                // Failed or cancelled: what was never written leaves the queue size now.
                (*s).write_queue_size -= req_size(req);
                free_bufs(req);
            }
            if let Some(cb) = (*req).cb {
                cb(req, (*req).error);
            }
        }
        guard.disarm();
    }
}

/// Fails every queued write with `error` (moves them to the completed queue).
unsafe fn flush_write_queue(s: *mut uv_stream_t, error: c_int) {
    // SAFETY: s is a live stream.
    unsafe {
        while !queue::is_empty(&(*s).write_queue) {
            let q = queue::head(&(*s).write_queue);
            queue::remove(q);
            let req = container_of!(q, uv_write_t, queue);
            (*req).error = error;
            queue::insert_tail(&mut (*s).write_completed_queue, q);
        }
    }
}

/// The write queue is empty: stop watching POLLOUT and complete a pending shutdown.
unsafe fn drain(s: *mut uv_stream_t) {
    // SAFETY: s is a live stream.
    unsafe {
        let f = flags(s);
        if !f.contains(Flags::CLOSING) {
            io::stop((*s).r#loop, &mut (*s).io_watcher, POLLOUT);
        }
        let req = (*s).shutdown_req;
        if req.is_null() {
            return;
        }
        if f.contains(Flags::CLOSING) || !f.contains(Flags::SHUT) {
            (*s).shutdown_req = ptr::null_mut();
            crate::req::unregister((*s).r#loop, req as *mut uv_req_t);
            let err = if f.contains(Flags::CLOSING) {
                UV_ECANCELED
            } else if libc::shutdown(fd(s), libc::SHUT_WR) != 0 {
                -last_errno()
            } else {
                handle::add_flags(h(s), Flags::SHUT);
                0
            };
            if let Some(cb) = (*req).cb {
                cb(req, err);
            }
        }
    }
}

fn is_stream_type(ty: uv_handle_type) -> bool {
    matches!(ty, UV_TCP | UV_NAMED_PIPE | UV_TTY)
}

/// The fd of any handle that has one (for passing handles over IPC).
pub unsafe fn handle_fd(hd: *const uv_handle_t) -> c_int {
    // SAFETY: hd is a live handle; the io watcher sits at a type-specific offset.
    unsafe {
        match (*hd).r#type {
            UV_TCP | UV_NAMED_PIPE | UV_TTY => (*(hd as *const uv_stream_t)).io_watcher.fd,
            UV_UDP => (*(hd as *const uv_udp_t)).io_watcher.fd,
            _ => -1,
        }
    }
}

unsafe fn check_before_write(
    s: *mut uv_stream_t,
    nbufs: c_uint,
    send_handle: *mut uv_stream_t,
) -> c_int {
    // SAFETY: s is non-NULL; the program passes an initialized stream.
    unsafe {
        // Catches negative counts that became huge unsigned ones, as libuv does.
        if nbufs == 0 || nbufs > 1024 * 1024 || !is_stream_type((*s).r#type) {
            return UV_EINVAL;
        }
        if fd(s) < 0 {
            return UV_EBADF;
        }
        if !flags(s).contains(Flags::WRITABLE) {
            return UV_EPIPE;
        }
        if !send_handle.is_null() {
            if (*s).r#type != UV_NAMED_PIPE || (*(s as *mut uv_pipe_t)).ipc == 0 {
                return UV_EINVAL;
            }
            if handle_fd(h(send_handle)) < 0 {
                return UV_EBADF;
            }
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_write2(
    req: *mut uv_write_t,
    handle: *mut uv_stream_t,
    bufs: *const uv_buf_t,
    nbufs: c_uint,
    send_handle: *mut uv_stream_t,
    cb: uv_write_cb,
) -> c_int {
    let s = handle;
    if req.is_null() || s.is_null() || (bufs.is_null() && nbufs != 0) {
        return UV_EINVAL;
    }
    // SAFETY: the program passes an initialized stream, a request it owns, and nbufs buffer
    // descriptors (copied here; the bytes stay the program's until the callback).
    unsafe {
        let err = check_before_write(s, nbufs, send_handle);
        if err < 0 {
            return err;
        }
        let empty_queue = (*s).write_queue_size == 0 && queue::is_empty(&(*s).write_queue);
        let n = nbufs as usize;
        let storage = if n > (*req).bufsml.len() {
            let p = crate::alloc::malloc(n * core::mem::size_of::<uv_buf_t>()) as *mut uv_buf_t;
            if p.is_null() {
                return UV_ENOMEM;
            }
            p
        } else {
            (*req).bufsml.as_mut_ptr()
        };
        crate::req::init((*s).r#loop, req as *mut uv_req_t, UV_WRITE);
        (*req).cb = cb;
        (*req).handle = s;
        (*req).error = 0;
        (*req).send_handle = send_handle;
        queue::init(&mut (*req).queue);
        ptr::copy_nonoverlapping(bufs, storage, n);
        (*req).bufs = storage;
        (*req).nbufs = nbufs;
        (*req).write_index = 0;
        let mut total = 0usize;
        for i in 0..n {
            total += (*bufs.add(i)).len;
        }
        (*s).write_queue_size += total;
        queue::insert_tail(&mut (*s).write_queue, &mut (*req).queue);
        if !(*s).connect_req.is_null() {
            // Still connecting: the writes go out once connected.
        } else if empty_queue {
            write(s);
        } else {
            io::start((*s).r#loop, &mut (*s).io_watcher, POLLOUT);
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_write(
    req: *mut uv_write_t,
    handle: *mut uv_stream_t,
    bufs: *const uv_buf_t,
    nbufs: c_uint,
    cb: uv_write_cb,
) -> c_int {
    // SAFETY: as uv_write2.
    unsafe { uv_write2(req, handle, bufs, nbufs, ptr::null_mut(), cb) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_try_write2(
    handle: *mut uv_stream_t,
    bufs: *const uv_buf_t,
    nbufs: c_uint,
    send_handle: *mut uv_stream_t,
) -> c_int {
    let s = handle;
    if s.is_null() || (bufs.is_null() && nbufs != 0) {
        return UV_EINVAL;
    }
    // SAFETY: as uv_write2; nothing is kept after the call.
    unsafe {
        if !(*s).connect_req.is_null() || (*s).write_queue_size != 0 {
            return UV_EAGAIN;
        }
        // As libuv, the handle to send is not checked here (only by uv_write2).
        let err = check_before_write(s, nbufs, ptr::null_mut());
        if err < 0 {
            return err;
        }
        let n = try_write_bufs(s, bufs, nbufs as usize, send_handle);
        n.clamp(c_int::MIN as isize, c_int::MAX as isize) as c_int
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_try_write(
    handle: *mut uv_stream_t,
    bufs: *const uv_buf_t,
    nbufs: c_uint,
) -> c_int {
    // SAFETY: as uv_try_write2.
    unsafe { uv_try_write2(handle, bufs, nbufs, ptr::null_mut()) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_shutdown(
    req: *mut uv_shutdown_t,
    handle: *mut uv_stream_t,
    cb: uv_shutdown_cb,
) -> c_int {
    let s = handle;
    if req.is_null() || s.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: the program passes an initialized stream and its own request.
    unsafe {
        if !is_stream_type((*s).r#type) {
            return UV_EINVAL;
        }
        let f = flags(s);
        if !f.contains(Flags::WRITABLE)
            || f.contains(Flags::SHUT)
            || !(*s).shutdown_req.is_null()
            || handle::is_closing(h(s))
            || fd(s) < 0
        {
            return UV_ENOTCONN;
        }
        crate::req::init((*s).r#loop, req as *mut uv_req_t, UV_SHUTDOWN);
        (*req).handle = s;
        (*req).cb = cb;
        (*s).shutdown_req = req;
        handle::clear_flags(h(s), Flags::WRITABLE);
        if queue::is_empty(&(*s).write_queue) {
            io::feed((*s).r#loop, &mut (*s).io_watcher);
        }
    }
    0
}

// ---- listening and accepting ----

#[no_mangle]
pub unsafe extern "C" fn uv_listen(
    stream: *mut uv_stream_t,
    backlog: c_int,
    cb: uv_connection_cb,
) -> c_int {
    let s = stream;
    if s.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: the program passes an initialized stream.
    unsafe {
        if handle::is_closing(h(s)) {
            return UV_EINVAL;
        }
        let err = match (*s).r#type {
            UV_TCP => crate::tcp::listen(s as *mut uv_tcp_t, backlog, cb),
            UV_NAMED_PIPE => crate::pipe::listen(s as *mut uv_pipe_t, backlog, cb),
            _ => UV_EINVAL,
        };
        if err == 0 {
            handle::add_flags(h(s), Flags::LISTENING);
            handle::start(h(s));
        }
        err
    }
}

/// Starts accepting on a listening socket (after listen(2) succeeded).
pub unsafe fn start_accepting(s: *mut uv_stream_t, cb: uv_connection_cb) {
    // SAFETY: s is a live stream with a listening fd.
    unsafe {
        (*s).connection_cb = cb;
        io::set_kind(&mut (*s).io_watcher, io::Kind::Server);
        io::start((*s).r#loop, &mut (*s).io_watcher, POLLIN);
    }
}

fn accept4(fd: c_int) -> c_int {
    loop {
        // SAFETY: accept4 on a listening fd; we do not need the peer address here.
        let r = unsafe {
            libc::accept4(
                fd,
                ptr::null_mut(),
                ptr::null_mut(),
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            )
        };
        if r >= 0 {
            return r;
        }
        let err = last_errno();
        if err != libc::EINTR {
            return -err;
        }
    }
}

/// Out of fds: release the reserve fd, accept and drop what is pending, take it back.
unsafe fn emfile_trick(l: *mut uv_loop_t, accept_fd: c_int) -> c_int {
    // SAFETY: l is a live loop.
    unsafe {
        if (*l).emfile_fd == -1 {
            return UV_EMFILE;
        }
        libc::close((*l).emfile_fd);
        (*l).emfile_fd = -1;
        let err = loop {
            let r = accept4(accept_fd);
            if r >= 0 {
                libc::close(r);
                continue;
            }
            break r;
        };
        let fd = libc::open(c"/".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        if fd >= 0 {
            (*l).emfile_fd = fd;
        }
        err
    }
}

/// A listening socket is readable: accept one connection and hand it to the program.
///
/// One per readiness, as libuv 1.52.1 does ("don't accept() connections in a loop"): the
/// fd is level-triggered, so further pending connections come in the next iterations, and
/// processes sharing a listening socket get a fair share. Accept errors never reach the
/// connection callback; on EMFILE/ENFILE the reserve fd sheds the pending connections.
pub unsafe fn server_io(l: *mut uv_loop_t, w: *mut uv__io_t, _events: u32) {
    // SAFETY: w is the io_watcher of a live listening stream.
    unsafe {
        let s = container_of!(w, uv_stream_t, io_watcher);
        if handle::is_closing(h(s)) || (*s).accepted_fd != -1 || fd(s) == -1 {
            return;
        }
        let Some(cb) = (*s).connection_cb else { return };
        let mut r = accept4(fd(s));
        if r == -libc::EMFILE || r == -libc::ENFILE {
            r = emfile_trick(l, fd(s));
        }
        if r < 0 {
            return;
        }
        (*s).accepted_fd = r;
        cb(s, 0);
        if (*s).accepted_fd != -1 {
            // Not accepted: stop watching until uv_accept takes it.
            io::stop(l, &mut (*s).io_watcher, POLLIN);
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_accept(server: *mut uv_stream_t, client: *mut uv_stream_t) -> c_int {
    if server.is_null() || client.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: the program passes initialized handles.
    unsafe {
        if (*server).accepted_fd == -1 {
            return UV_EAGAIN;
        }
        let afd = (*server).accepted_fd;
        let err = match (*client).r#type {
            UV_NAMED_PIPE | UV_TCP => {
                let e = open(client, afd, Flags::READABLE | Flags::WRITABLE);
                if e != 0 {
                    libc::close(afd);
                }
                e
            }
            UV_UDP => {
                let e = crate::udp::open_accepted(client as *mut uv_udp_t, afd);
                if e != 0 {
                    libc::close(afd);
                }
                e
            }
            _ => return UV_EINVAL,
        };
        if err == 0 {
            handle::add_flags(h(client), Flags::BOUND);
        }
        // Next descriptor received over IPC, if any.
        let more = !(*server).queued_fds.is_null() && !queued_fds(server).is_empty();
        if more {
            let q = queued_fds(server);
            (*server).accepted_fd = q.remove(0);
            if q.is_empty() {
                drop(Box::from_raw((*server).queued_fds as *mut Vec<c_int>));
                (*server).queued_fds = ptr::null_mut();
            }
        } else {
            (*server).accepted_fd = -1;
            if err == 0 && flags(server).contains(Flags::LISTENING) {
                io::start((*server).r#loop, &mut (*server).io_watcher, POLLIN);
            }
        }
        err
    }
}

// ---- closing ----

/// uv_close of a stream: stop everything and close the fd (not stdio's).
pub unsafe fn close(s: *mut uv_stream_t) {
    // SAFETY: s is a live stream being closed.
    unsafe {
        io::close((*s).r#loop, &mut (*s).io_watcher);
        uv_read_stop(s);
        handle::stop(h(s));
        handle::clear_flags(h(s), Flags::READABLE | Flags::WRITABLE);
        let fd = (*s).io_watcher.fd;
        if fd != -1 {
            if fd > libc::STDERR_FILENO {
                libc::close(fd);
            }
            (*s).io_watcher.fd = -1;
        }
        if (*s).accepted_fd != -1 {
            libc::close((*s).accepted_fd);
            (*s).accepted_fd = -1;
        }
        if !(*s).queued_fds.is_null() {
            let q = Box::from_raw((*s).queued_fds as *mut Vec<c_int>);
            for fd in q.iter() {
                libc::close(*fd);
            }
            (*s).queued_fds = ptr::null_mut();
        }
    }
}

/// The closing phase of a stream: cancel the connect, the queued writes, the shutdown.
pub unsafe fn destroy(s: *mut uv_stream_t) {
    // SAFETY: s is a closed stream of a live loop.
    unsafe {
        let creq = (*s).connect_req;
        if !creq.is_null() {
            (*s).connect_req = ptr::null_mut();
            crate::req::unregister((*s).r#loop, creq as *mut uv_req_t);
            if let Some(cb) = (*creq).cb {
                cb(creq, UV_ECANCELED);
            }
        }
        flush_write_queue(s, UV_ECANCELED);
        write_callbacks(s);
        drain(s);
    }
}

// ---- small stream-wide functions ----

#[no_mangle]
pub unsafe extern "C" fn uv_is_readable(handle: *const uv_stream_t) -> c_int {
    if handle.is_null() {
        return 0;
    }
    // SAFETY: the program passes an initialized stream.
    unsafe { handle::flags(handle as *const uv_handle_t).contains(Flags::READABLE) as c_int }
}

#[no_mangle]
pub unsafe extern "C" fn uv_is_writable(handle: *const uv_stream_t) -> c_int {
    if handle.is_null() {
        return 0;
    }
    // SAFETY: the program passes an initialized stream.
    unsafe { handle::flags(handle as *const uv_handle_t).contains(Flags::WRITABLE) as c_int }
}

#[no_mangle]
pub unsafe extern "C" fn uv_stream_set_blocking(
    handle: *mut uv_stream_t,
    blocking: c_int,
) -> c_int {
    if handle.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: the program passes an initialized stream; fcntl reports a bad fd.
    unsafe { set_nonblock(fd(handle), blocking == 0) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_stream_get_write_queue_size(stream: *const uv_stream_t) -> usize {
    if stream.is_null() {
        return 0;
    }
    // SAFETY: the program passes an initialized stream.
    unsafe { (*stream).write_queue_size }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fileno(handle: *const uv_handle_t, fd: *mut uv_os_fd_t) -> c_int {
    if handle.is_null() || fd.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: the program passes an initialized handle and an out-pointer.
    unsafe {
        let out = match (*handle).r#type {
            UV_TCP | UV_NAMED_PIPE | UV_TTY | UV_UDP => handle_fd(handle),
            UV_POLL => (*(handle as *const uv_poll_t)).io_watcher.fd,
            _ => return UV_EINVAL,
        };
        if handle::is_closing(handle) || out == -1 {
            return UV_EBADF;
        }
        *fd = out;
    }
    0
}

unsafe fn socket_sockopt(handle: *mut uv_handle_t, optname: c_int, value: *mut c_int) -> c_int {
    if handle.is_null() || value.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: the program passes an initialized handle and an int it owns.
    unsafe {
        let fd = match (*handle).r#type {
            UV_TCP | UV_NAMED_PIPE | UV_UDP => handle_fd(handle),
            _ => return UV_ENOTSUP,
        };
        let mut len = core::mem::size_of::<c_int>() as libc::socklen_t;
        let r = if *value == 0 {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                optname,
                value as *mut c_void,
                &mut len,
            )
        } else {
            libc::setsockopt(fd, libc::SOL_SOCKET, optname, value as *const c_void, len)
        };
        if r < 0 {
            return -last_errno();
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_send_buffer_size(handle: *mut uv_handle_t, value: *mut c_int) -> c_int {
    // SAFETY: see socket_sockopt.
    unsafe { socket_sockopt(handle, libc::SO_SNDBUF, value) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_recv_buffer_size(handle: *mut uv_handle_t, value: *mut c_int) -> c_int {
    // SAFETY: see socket_sockopt.
    unsafe { socket_sockopt(handle, libc::SO_RCVBUF, value) }
}
