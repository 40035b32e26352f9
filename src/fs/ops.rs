//! The fs operations that are more than one system call: open, close, read, write,
//! utime/futime/lutime, mkdtemp/mkstemp, readlink, realpath.
//!
//! Each runs in the thread that executes the request (a worker, or the caller for a
//! synchronous request) and reports failure as `Err(errno)`.

use super::{cvt, cvt_size, errno, OpResult};
use crate::abi::*;
use crate::alloc;
use core::ffi::{c_char, c_int, c_uint, c_void};
use core::ptr;

/// The most iovecs one readv/writev takes (IOV_MAX on Linux).
const IOV_MAX: usize = 1024;

/// O_CLOEXEC always: a file opened through libuv never leaks into a spawned child.
pub(super) unsafe fn open(req: &mut uv_fs_t) -> OpResult {
    // SAFETY: req->path is a NUL-terminated path (set by uv_fs_open).
    cvt(unsafe { libc::open(req.path, req.flags | libc::O_CLOEXEC, req.mode as c_uint) })
}

/// close(2); an interrupted close has still released the descriptor, so it is success.
pub(super) fn close(fd: c_int) -> OpResult {
    // SAFETY: closing a descriptor number the program gave us.
    match cvt(unsafe { libc::close(fd) }) {
        Err(libc::EINTR) | Err(libc::EINPROGRESS) => Ok(0),
        r => r,
    }
}

/// One read into the request's buffers (at most IOV_MAX of them), at `req->off` or at the
/// current position when it is negative. An asynchronous request's buffer copy is freed.
pub(super) unsafe fn read(req: &mut uv_fs_t) -> OpResult {
    let fd = req.file;
    let off = req.off;
    let n = (req.nbufs as usize).min(IOV_MAX);
    let iov = req.bufs as *const libc::iovec;
    // SAFETY: bufs holds nbufs buffers (set by uv_fs_read) laid out as iovecs; each buffer
    // is the program's writable memory.
    let r = unsafe {
        match (n, off < 0) {
            (0, _) => 0,
            (1, true) => libc::read(fd, (*iov).iov_base, (*iov).iov_len),
            (_, true) => libc::readv(fd, iov, n as c_int),
            (1, false) => libc::pread(fd, (*iov).iov_base, (*iov).iov_len, off),
            (_, false) => libc::preadv(fd, iov, n as c_int, off),
        }
    };
    let result = cvt_size(r);
    if req.cb.is_some() && req.bufs != req.bufsml.as_mut_ptr() {
        // SAFETY: an asynchronous request's array larger than bufsml was allocated by
        // uv_fs_read through crate::alloc.
        unsafe { alloc::free(req.bufs as *mut c_void) };
    }
    req.bufs = ptr::null_mut();
    req.nbufs = 0;
    result
}

/// One write of `n` buffers at `off` (or at the current position when negative).
unsafe fn write_once(fd: c_int, bufs: *const uv_buf_t, n: usize, off: i64) -> isize {
    let iov = bufs as *const libc::iovec;
    // SAFETY: bufs has n readable entries laid out as iovecs (caller's contract).
    unsafe {
        match (n, off < 0) {
            (1, true) => libc::write(fd, (*iov).iov_base, (*iov).iov_len),
            (_, true) => libc::writev(fd, iov, n as c_int),
            (1, false) => libc::pwrite(fd, (*iov).iov_base, (*iov).iov_len, off),
            (_, false) => libc::pwritev(fd, iov, n as c_int, off),
        }
    }
}

/// Skips the first `written` bytes of `bufs`: returns how many buffers were written whole
/// and trims the one written in part.
unsafe fn advance(bufs: *mut uv_buf_t, count: usize, mut written: usize) -> usize {
    let mut done = 0;
    // SAFETY: bufs has count entries (caller's contract), and the kernel never reports
    // more bytes than the buffers hold, so `done` stays below count while written > 0.
    unsafe {
        while done < count && written > 0 && (*bufs.add(done)).len <= written {
            written -= (*bufs.add(done)).len;
            done += 1;
        }
        if written > 0 && done < count {
            let b = &mut *bufs.add(done);
            b.base = b.base.add(written);
            b.len -= written;
        }
    }
    done
}

/// Writes every buffer (in IOV_MAX batches), retrying short writes, and returns the bytes
/// written: an error is only reported when nothing was written. The request's buffer copy
/// (always made by uv_fs_write) is freed.
pub(super) unsafe fn write_all(req: &mut uv_fs_t) -> OpResult {
    let fd = req.file;
    let first = req.bufs;
    let mut bufs = req.bufs;
    let mut left = req.nbufs as usize;
    let mut total: isize = 0;
    let result = loop {
        if left == 0 {
            break Ok(total);
        }
        let n = left.min(IOV_MAX);
        let r = loop {
            // SAFETY: bufs has `left` entries of the request's own copy.
            let r = unsafe { write_once(fd, bufs, n, req.off) };
            if r == -1 && errno() == libc::EINTR {
                continue;
            }
            break cvt_size(r);
        };
        let written = match r {
            Ok(0) => break Ok(total),
            Ok(w) => w,
            Err(e) if total == 0 => break Err(e),
            Err(_) => break Ok(total),
        };
        if req.off >= 0 {
            req.off += written as i64;
        }
        // SAFETY: as above; the copy is ours to trim.
        let done = unsafe { advance(bufs, left, written as usize) };
        // SAFETY: done <= left, so bufs stays within (or one past) the array.
        bufs = unsafe { bufs.add(done) };
        left -= done;
        total += written;
    };
    if first != req.bufsml.as_mut_ptr() {
        // SAFETY: an array larger than bufsml was allocated by uv_fs_write (crate::alloc).
        unsafe { alloc::free(first as *mut c_void) };
    }
    req.bufs = ptr::null_mut();
    req.nbufs = 0;
    result
}

/// A libuv time (seconds as a double; UV_FS_UTIME_NOW is infinity, UV_FS_UTIME_OMIT is
/// NaN) as a timespec for utimensat/futimens.
pub(super) fn to_timespec(t: f64) -> libc::timespec {
    if t.is_infinite() {
        return libc::timespec {
            tv_sec: 0,
            tv_nsec: libc::UTIME_NOW,
        };
    }
    if t.is_nan() {
        return libc::timespec {
            tv_sec: 0,
            tv_nsec: libc::UTIME_OMIT,
        };
    }
    let mut sec = t.trunc() as i64;
    let mut nsec = ((t - sec as f64) * 1e9) as i64;
    if nsec < 0 {
        nsec += 1_000_000_000;
        sec -= 1;
    }
    libc::timespec {
        tv_sec: sec,
        tv_nsec: nsec,
    }
}

/// utimensat on `req->path`; `flags` is 0 (utime) or AT_SYMLINK_NOFOLLOW (lutime).
pub(super) unsafe fn utime(req: &mut uv_fs_t, flags: c_int) -> OpResult {
    let ts = [to_timespec(req.atime), to_timespec(req.mtime)];
    // SAFETY: path is a NUL-terminated string; ts has the two entries utimensat reads.
    cvt(unsafe { libc::utimensat(libc::AT_FDCWD, req.path, ts.as_ptr(), flags) })
}

pub(super) unsafe fn futime(req: &mut uv_fs_t) -> OpResult {
    let ts = [to_timespec(req.atime), to_timespec(req.mtime)];
    // SAFETY: ts has the two entries futimens reads.
    cvt(unsafe { libc::futimens(req.file, ts.as_ptr()) })
}

/// mkdtemp on the request's own copy of the template; the name lands in `req->path`.
pub(super) unsafe fn mkdtemp(req: &mut uv_fs_t) -> OpResult {
    // SAFETY: path is the request's own writable copy of the template.
    if unsafe { libc::mkdtemp(req.path as *mut c_char) }.is_null() {
        Err(errno())
    } else {
        Ok(0)
    }
}

/// mkostemp(O_CLOEXEC) on the request's own copy of the template. A template that does not
/// end in XXXXXX is EINVAL; on any failure `req->path` becomes the empty string.
pub(super) unsafe fn mkstemp(req: &mut uv_fs_t) -> OpResult {
    let path = req.path as *mut c_char;
    // SAFETY: path is the request's own writable, NUL-terminated copy of the template.
    let r = unsafe {
        let tpl = core::ffi::CStr::from_ptr(path).to_bytes();
        if tpl.ends_with(b"XXXXXX") {
            cvt(libc::mkostemp(path, libc::O_CLOEXEC))
        } else {
            Err(libc::EINVAL)
        }
    };
    if r.is_err() {
        // SAFETY: the copy has at least its NUL byte.
        unsafe { *path = 0 };
    }
    r
}

/// The target of a symlink, in a string from the program's allocator (`req->ptr`).
pub(super) unsafe fn readlink(req: &mut uv_fs_t) -> OpResult {
    let mut cap = libc::PATH_MAX as usize;
    loop {
        let mut buf = vec![0u8; cap];
        // SAFETY: buf has cap writable bytes; path is a NUL-terminated string.
        let n = cvt_size(unsafe { libc::readlink(req.path, buf.as_mut_ptr() as *mut c_char, cap) })?
            as usize;
        if n < cap {
            let s = alloc::strdup(&buf[..n]);
            if s.is_null() {
                return Err(libc::ENOMEM);
            }
            req.ptr = s as *mut c_void;
            return Ok(0);
        }
        // Possibly truncated: try again with more room.
        cap = cap.saturating_mul(2);
    }
}

/// The canonical absolute path, in a string from the program's allocator (`req->ptr`).
pub(super) unsafe fn realpath(req: &mut uv_fs_t) -> OpResult {
    // SAFETY: path is a NUL-terminated string; realpath mallocs its answer with the C
    // library's allocator, which we copy and release with the C library's free.
    unsafe {
        let p = libc::realpath(req.path, ptr::null_mut());
        if p.is_null() {
            return Err(errno());
        }
        let s = alloc::strdup(core::ffi::CStr::from_ptr(p).to_bytes());
        libc::free(p as *mut c_void);
        if s.is_null() {
            return Err(libc::ENOMEM);
        }
        req.ptr = s as *mut c_void;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespec_conversion() {
        let t = to_timespec(400497753.25);
        assert_eq!((t.tv_sec, t.tv_nsec), (400497753, 250_000_000));
        let t = to_timespec(-14245440.25);
        assert_eq!((t.tv_sec, t.tv_nsec), (-14245441, 750_000_000));
        assert_eq!(to_timespec(f64::INFINITY).tv_nsec, libc::UTIME_NOW);
        assert_eq!(to_timespec(f64::NAN).tv_nsec, libc::UTIME_OMIT);
    }

    #[test]
    fn advance_trims_partial_buffers() {
        let mut data = [0 as c_char; 10];
        let base = data.as_mut_ptr();
        let mut bufs = [
            uv_buf_t { base, len: 3 },
            uv_buf_t {
                base: unsafe { base.add(3) },
                len: 4,
            },
            uv_buf_t {
                base: unsafe { base.add(7) },
                len: 3,
            },
        ];
        let done = unsafe { advance(bufs.as_mut_ptr(), 3, 5) };
        assert_eq!(done, 1);
        assert_eq!(bufs[1].len, 2);
        assert_eq!(bufs[1].base, unsafe { base.add(5) });
        let done = unsafe { advance(bufs.as_mut_ptr().add(1), 2, 5) };
        assert_eq!(done, 2);
    }
}
