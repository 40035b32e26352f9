//! Moving bytes between files: sendfile (copy_file_range, then sendfile(2), then a
//! read/write loop) and copyfile (which preserves mode and timestamps, and can clone).

use super::{cvt, cvt_size, errno, set_errno, OpResult};
use crate::abi::*;
use core::ffi::{c_int, c_void};
use core::mem::MaybeUninit;
use core::ptr;
use core::sync::atomic::{AtomicBool, Ordering};

pub(super) const COPYFILE_EXCL: c_int = 1;
pub(super) const COPYFILE_FICLONE: c_int = 2;
pub(super) const COPYFILE_FICLONE_FORCE: c_int = 4;

/// Set once copy_file_range turns out not to exist.
static NO_COPY_FILE_RANGE: AtomicBool = AtomicBool::new(false);

/// The statfs magic of a descriptor's file system (0 if unknown).
fn fs_magic(fd: c_int) -> u64 {
    let mut s = MaybeUninit::<libc::statfs>::zeroed();
    // SAFETY: s is writable statfs storage.
    if unsafe { libc::fstatfs(fd, s.as_mut_ptr()) } != 0 {
        return 0;
    }
    // SAFETY: fstatfs succeeded.
    unsafe { s.assume_init_ref() }.f_type as u64 & 0xffff_ffff
}

const CEPH_MAGIC: u64 = 0x00c3_6400;

/// SMB, SMB2, CIFS: file systems where copy_file_range and fchmod fail spuriously.
fn is_cifs_or_smb(fd: c_int) -> bool {
    matches!(fs_magic(fd), 0x0000_517b | 0xfe53_4d42 | 0xff53_4d42)
}

/// copy_file_range from `in_fd` at `*off` to `out_fd`'s position. Err(ENOSYS) means "use
/// another way" (no such call, or a file system / pairing it cannot handle).
fn try_copy_file_range(in_fd: c_int, off: &mut i64, out_fd: c_int, len: usize) -> OpResult {
    if NO_COPY_FILE_RANGE.load(Ordering::Relaxed) {
        return Err(libc::ENOSYS);
    }
    // SAFETY: plain system call; off is a valid offset cell, the output offset is NULL.
    let r = unsafe { libc::copy_file_range(in_fd, off, out_fd, ptr::null_mut(), len, 0) };
    match cvt_size(r) {
        Ok(n) => Ok(n),
        Err(libc::ENOSYS) => {
            NO_COPY_FILE_RANGE.store(true, Ordering::Relaxed);
            Err(libc::ENOSYS)
        }
        // CephFS (old kernels) answers EACCES and CIFS spuriously EPERM where a plain copy
        // works; ENOTSUP/EXDEV: another file system or a cross-device pair.
        Err(libc::EACCES) if fs_magic(in_fd) == CEPH_MAGIC => Err(libc::ENOSYS),
        Err(libc::EPERM) if is_cifs_or_smb(out_fd) => Err(libc::ENOSYS),
        Err(libc::EOPNOTSUPP) | Err(libc::EXDEV) => Err(libc::ENOSYS),
        Err(e) => Err(e),
    }
}

/// Waits until `fd` can take more data; false if it never will.
fn wait_writable(fd: c_int) -> bool {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLOUT,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, -1) };
        if n == -1 && errno() == libc::EINTR {
            continue;
        }
        return n != -1 && pfd.revents & !libc::POLLOUT == 0;
    }
}

/// The portable way: read (positional when the source allows) and write in chunks.
/// Read errors count only if nothing was sent; write errors always count, since the data
/// read is then lost.
fn copy_by_hand(out_fd: c_int, in_fd: c_int, off: &mut i64, len: usize) -> OpResult {
    let mut buf = [0u8; 8192];
    let mut positional = true;
    let mut sent = 0usize;
    while sent < len {
        let want = (len - sent).min(buf.len());
        let got = loop {
            // SAFETY: buf has `want` writable bytes.
            let r = unsafe {
                if positional {
                    libc::pread(in_fd, buf.as_mut_ptr() as *mut c_void, want, *off)
                } else {
                    libc::read(in_fd, buf.as_mut_ptr() as *mut c_void, want)
                }
            };
            if r == -1 && errno() == libc::EINTR {
                continue;
            }
            break cvt_size(r);
        };
        let got = match got {
            Ok(0) => break,
            Ok(n) => n as usize,
            // A pipe or socket has no positions: read sequentially instead.
            Err(libc::EIO) | Err(libc::ESPIPE) if positional && sent == 0 => {
                positional = false;
                continue;
            }
            Err(e) if sent == 0 => return Err(e),
            Err(_) => break,
        };
        let mut written = 0usize;
        while written < got {
            // SAFETY: buf[written..got] was filled by the read above.
            let r = unsafe {
                libc::write(
                    out_fd,
                    buf.as_ptr().add(written) as *const c_void,
                    got - written,
                )
            };
            match cvt_size(r) {
                Ok(n) => written += n as usize,
                Err(libc::EINTR) => {}
                Err(libc::EAGAIN) => {
                    if !wait_writable(out_fd) {
                        return Err(libc::EIO);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        *off += got as i64;
        sent += got;
    }
    Ok(sent as isize)
}

/// Sends up to `len` bytes of `in_fd` from `*off` to `out_fd` (one transfer, which may be
/// short); `*off` advances by what was sent.
fn send(out_fd: c_int, in_fd: c_int, off: &mut i64, len: usize) -> OpResult {
    let start = *off;
    let mut pos = start;
    let r = match try_copy_file_range(in_fd, &mut pos, out_fd, len) {
        // SAFETY: plain system call; pos is a valid offset cell.
        Err(libc::ENOSYS) => cvt_size(unsafe { libc::sendfile(out_fd, in_fd, &mut pos, len) }),
        r => r,
    };
    if r.is_ok() || pos > start {
        *off = pos;
        return Ok((pos - start) as isize);
    }
    match r {
        // Not a pair the kernel can copy between (pipes, sockets, special files).
        Err(libc::EINVAL) | Err(libc::EIO) | Err(libc::ENOTSOCK) | Err(libc::EXDEV) => {
            set_errno(0);
            copy_by_hand(out_fd, in_fd, off, len)
        }
        r => r,
    }
}

/// uv_fs_sendfile: the output fd is `req->file`, the input fd rides in `req->flags`, the
/// length in `req->bufsml[0].len`; `req->off` advances by what was sent.
pub(super) fn sendfile(req: &mut uv_fs_t) -> OpResult {
    let mut off = req.off;
    let r = send(req.file, req.flags, &mut off, req.bufsml[0].len);
    if r.is_ok() {
        req.off = off;
    }
    r
}

/// Opens with O_CLOEXEC, retrying on EINTR.
fn open(path: *const libc::c_char, flags: c_int, mode: libc::mode_t) -> Result<c_int, c_int> {
    loop {
        // SAFETY: path is a NUL-terminated string of the request.
        match cvt(unsafe { libc::open(path, flags | libc::O_CLOEXEC, mode as libc::c_uint) }) {
            Err(libc::EINTR) => continue,
            r => return r.map(|fd| fd as c_int),
        }
    }
}

fn fstat(fd: c_int) -> Result<libc::stat, c_int> {
    let mut st = MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: st is writable stat storage.
    cvt(unsafe { libc::fstat(fd, st.as_mut_ptr()) })?;
    // SAFETY: fstat succeeded.
    Ok(unsafe { st.assume_init() })
}

/// Everything between opening the destination and closing both files.
fn copy_contents(req: &uv_fs_t, src: c_int, dst: c_int, sst: &libc::stat) -> Result<(), c_int> {
    if req.flags & COPYFILE_EXCL == 0 {
        let dst_st = fstat(dst)?;
        // Copying a file onto itself: nothing to do (truncating would destroy it).
        if sst.st_dev == dst_st.st_dev && sst.st_ino == dst_st.st_ino {
            return Ok(());
        }
        // SAFETY: plain system call on our descriptor.
        if let Err(e) = cvt(unsafe { libc::ftruncate(dst, 0) }) {
            // ceph-fuse refuses to truncate a fresh read-only file; it is empty anyway.
            if e != libc::EACCES || dst_st.st_size > 0 {
                return Err(e);
            }
        }
    }

    let times = [
        libc::timespec {
            tv_sec: sst.st_atime,
            tv_nsec: sst.st_atime_nsec,
        },
        libc::timespec {
            tv_sec: sst.st_mtime,
            tv_nsec: sst.st_mtime_nsec,
        },
    ];
    // SAFETY: times has the two entries futimens reads.
    cvt(unsafe { libc::futimens(dst, times.as_ptr()) })?;

    // Like `cp -p`: the owner is copied when allowed, and failing to is no error.
    // SAFETY: plain system calls on our descriptor.
    unsafe { libc::fchown(dst, sst.st_uid, sst.st_gid) };
    // SAFETY: as above.
    if let Err(e) = cvt(unsafe { libc::fchmod(dst, sst.st_mode) }) {
        // CIFS shares refuse fchmod unless mounted with noperm; it means nothing there.
        if e != libc::EPERM || !is_cifs_or_smb(dst) {
            return Err(e);
        }
    }

    if req.flags & (COPYFILE_FICLONE | COPYFILE_FICLONE_FORCE) != 0 {
        // SAFETY: FICLONE takes the source descriptor as its argument.
        match cvt(unsafe { libc::ioctl(dst, libc::FICLONE, src) }) {
            Ok(_) => return Ok(()),
            Err(e) if req.flags & COPYFILE_FICLONE_FORCE != 0 => return Err(e),
            Err(_) => {} // not supported here: copy the bytes
        }
    }

    let mut left = sst.st_size.max(0) as u64;
    let mut off: i64 = 0;
    while left > 0 {
        let chunk = left.min(isize::MAX as u64) as usize;
        let n = loop {
            match send(dst, src, &mut off, chunk) {
                Err(libc::EINTR) => continue,
                r => break r?,
            }
        };
        if n == 0 {
            break; // the source shrank while we copied
        }
        left -= n as u64;
    }
    Ok(())
}

/// Closes a descriptor; an interrupted close has still released it.
fn close(fd: c_int) -> Result<(), c_int> {
    // SAFETY: our own descriptor, closed once.
    match cvt(unsafe { libc::close(fd) }) {
        Ok(_) | Err(libc::EINTR) | Err(libc::EINPROGRESS) => Ok(()),
        Err(e) => Err(e),
    }
}

/// uv_fs_copyfile: `req->path` to `req->new_path` with the source's mode and times. On
/// failure the destination is removed.
pub(super) unsafe fn copyfile(req: &mut uv_fs_t) -> OpResult {
    let src = open(req.path, libc::O_RDONLY, 0)?;
    let sst = match fstat(src) {
        Ok(s) => s,
        Err(e) => {
            let _ = close(src);
            return Err(e);
        }
    };
    let mut dst_flags = libc::O_WRONLY | libc::O_CREAT;
    if req.flags & COPYFILE_EXCL != 0 {
        dst_flags |= libc::O_EXCL;
    }
    let dst = match open(req.new_path, dst_flags, sst.st_mode) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = close(src);
            return Err(e);
        }
    };
    let mut result = copy_contents(req, src, dst, &sst);
    let closed_src = close(src);
    let closed_dst = close(dst);
    if result.is_ok() {
        result = closed_src.and(closed_dst);
    }
    match result {
        Ok(()) => Ok(0),
        Err(e) => {
            // SAFETY: new_path is NUL-terminated; the partial copy goes.
            unsafe { libc::unlink(req.new_path) };
            Err(e)
        }
    }
}
