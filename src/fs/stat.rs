//! stat, lstat, fstat (into `uv_stat_t`, with the birth time from statx) and statfs.

use super::{cvt, errno, OpResult};
use crate::abi::*;
use crate::alloc;
use core::ffi::{c_char, c_int, c_void};
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicBool, Ordering};

/// Set once statx turns out to be unavailable (old kernel, seccomp filter): from then on
/// only the classic stat calls are used.
static NO_STATX: AtomicBool = AtomicBool::new(false);

/// STATX_BASIC_STATS | STATX_BTIME.
const STATX_MASK: u32 = 0xfff;

fn ts(sec: i64, nsec: i64) -> uv_timespec_t {
    uv_timespec_t {
        tv_sec: sec,
        tv_nsec: nsec,
    }
}

fn from_statx(s: &libc::statx, buf: &mut uv_stat_t) {
    *buf = uv_stat_t {
        st_dev: libc::makedev(s.stx_dev_major, s.stx_dev_minor),
        st_mode: s.stx_mode as u64,
        st_nlink: s.stx_nlink as u64,
        st_uid: s.stx_uid as u64,
        st_gid: s.stx_gid as u64,
        st_rdev: libc::makedev(s.stx_rdev_major, s.stx_rdev_minor),
        st_ino: s.stx_ino,
        st_size: s.stx_size,
        st_blksize: s.stx_blksize as u64,
        st_blocks: s.stx_blocks,
        st_flags: 0,
        st_gen: 0,
        st_atim: ts(s.stx_atime.tv_sec, s.stx_atime.tv_nsec as i64),
        st_mtim: ts(s.stx_mtime.tv_sec, s.stx_mtime.tv_nsec as i64),
        st_ctim: ts(s.stx_ctime.tv_sec, s.stx_ctime.tv_nsec as i64),
        st_birthtim: ts(s.stx_btime.tv_sec, s.stx_btime.tv_nsec as i64),
    };
}

/// Without statx there is no birth time; libuv reports the change time in its place.
fn from_stat(s: &libc::stat, buf: &mut uv_stat_t) {
    *buf = uv_stat_t {
        st_dev: s.st_dev,
        st_mode: s.st_mode as u64,
        st_nlink: s.st_nlink,
        st_uid: s.st_uid as u64,
        st_gid: s.st_gid as u64,
        st_rdev: s.st_rdev,
        st_ino: s.st_ino,
        st_size: s.st_size as u64,
        st_blksize: s.st_blksize as u64,
        st_blocks: s.st_blocks as u64,
        st_flags: 0,
        st_gen: 0,
        st_atim: ts(s.st_atime, s.st_atime_nsec),
        st_mtim: ts(s.st_mtime, s.st_mtime_nsec),
        st_ctim: ts(s.st_ctime, s.st_ctime_nsec),
        st_birthtim: ts(s.st_ctime, s.st_ctime_nsec),
    };
}

/// statx into `buf`; None when statx is unavailable and the caller should fall back.
unsafe fn try_statx(
    dirfd: c_int,
    path: *const c_char,
    flags: c_int,
    buf: &mut uv_stat_t,
) -> Option<OpResult> {
    if NO_STATX.load(Ordering::Relaxed) {
        return None;
    }
    let mut sx = MaybeUninit::<libc::statx>::zeroed();
    // SAFETY: path is NUL-terminated; sx is writable statx storage.
    let rc = unsafe { libc::statx(dirfd, path, flags, STATX_MASK, sx.as_mut_ptr()) };
    match rc {
        // SAFETY: statx filled sx on success (and it was zeroed before).
        0 => {
            from_statx(unsafe { sx.assume_init_ref() }, buf);
            Some(Ok(0))
        }
        -1 => match errno() {
            // Not implemented, or refused by a filter / the file system: use stat.
            libc::EINVAL | libc::EPERM | libc::ENOSYS | libc::EOPNOTSUPP => {
                NO_STATX.store(true, Ordering::Relaxed);
                None
            }
            e => Some(Err(e)),
        },
        _ => {
            NO_STATX.store(true, Ordering::Relaxed);
            None
        }
    }
}

/// A classic stat call into `buf`.
fn classic(buf: &mut uv_stat_t, call: impl FnOnce(*mut libc::stat) -> c_int) -> OpResult {
    let mut st = MaybeUninit::<libc::stat>::zeroed();
    cvt(call(st.as_mut_ptr()))?;
    // SAFETY: the call succeeded, so it filled st (zeroed before in any case).
    from_stat(unsafe { st.assume_init_ref() }, buf);
    Ok(0)
}

pub(super) unsafe fn stat(path: *const c_char, buf: &mut uv_stat_t) -> OpResult {
    // SAFETY: path is NUL-terminated (set by uv_fs_stat).
    unsafe {
        if let Some(r) = try_statx(libc::AT_FDCWD, path, 0, buf) {
            return r;
        }
        classic(buf, |st| libc::stat(path, st))
    }
}

pub(super) unsafe fn lstat(path: *const c_char, buf: &mut uv_stat_t) -> OpResult {
    // SAFETY: path is NUL-terminated (set by uv_fs_lstat).
    unsafe {
        if let Some(r) = try_statx(libc::AT_FDCWD, path, libc::AT_SYMLINK_NOFOLLOW, buf) {
            return r;
        }
        classic(buf, |st| libc::lstat(path, st))
    }
}

pub(super) fn fstat(fd: c_int, buf: &mut uv_stat_t) -> OpResult {
    // SAFETY: an empty path with AT_EMPTY_PATH names the descriptor itself.
    unsafe {
        if let Some(r) = try_statx(fd, c"".as_ptr(), libc::AT_EMPTY_PATH, buf) {
            return r;
        }
        classic(buf, |st| libc::fstat(fd, st))
    }
}

/// statfs into a `uv_statfs_t` from the program's allocator (`req->ptr`).
pub(super) unsafe fn statfs(req: &mut uv_fs_t) -> OpResult {
    let mut s = MaybeUninit::<libc::statfs>::zeroed();
    // SAFETY: path is NUL-terminated; s is writable statfs storage.
    cvt(unsafe { libc::statfs(req.path, s.as_mut_ptr()) })?;
    // SAFETY: statfs succeeded and filled s.
    let s = unsafe { s.assume_init_ref() };
    let out = alloc::malloc(core::mem::size_of::<uv_statfs_t>()) as *mut uv_statfs_t;
    if out.is_null() {
        return Err(libc::ENOMEM);
    }
    // SAFETY: out is a fresh allocation of the right size.
    unsafe {
        out.write(uv_statfs_t {
            f_type: s.f_type as u64,
            f_bsize: s.f_bsize as u64,
            f_blocks: s.f_blocks,
            f_bfree: s.f_bfree,
            f_bavail: s.f_bavail,
            f_files: s.f_files,
            f_ffree: s.f_ffree,
            f_frsize: s.f_frsize as u64,
            f_spare: [0; 3],
        });
    }
    req.ptr = out as *mut c_void;
    Ok(0)
}
