//! File system requests: uv_fs_* (open, read, stat, scandir, copyfile, ...), their
//! accessors and uv_fs_req_cleanup.
//!
//! Every request follows one life cycle. Its `uv_fs_*` function resets the request's
//! public fields, records the arguments in the request, then either runs the operation in
//! the calling thread (no callback: the result is returned and also left in `req->result`)
//! or registers the request on its loop and queues it on the threadpool; the callback later
//! runs on the loop thread with `req->result` set (a negative UV error on failure).
//!
//! Ownership, as libuv has it: a synchronous request borrows the program's path strings, an
//! asynchronous one copies them (path and new_path share one allocation); mkdtemp/mkstemp
//! always copy, since the operation writes the chosen name into `req->path`. Results handed
//! to the program (readlink/realpath strings, statfs buffers, scandir entries, readdir
//! names, uv_dir_t) come from the program's allocator (`crate::alloc`) and are released by
//! uv_fs_req_cleanup / uv_fs_scandir_next / uv_fs_closedir.
//!
//! The operations themselves live in `ops` (the plain system calls), `stat`, `dir`
//! (scandir, opendir/readdir/closedir) and `copy` (sendfile, copyfile); `cwd` holds
//! uv_cwd/uv_chdir/uv_exepath. They report failure as `Err(errno)`; only this module turns
//! that into libuv's negative codes.

mod copy;
mod cwd;
mod dir;
mod ops;
mod stat;

use crate::abi::*;
use crate::alloc;
use crate::queue::container_of;
use crate::threadpool::{self, WorkKind};
use core::ffi::{c_char, c_int, c_uint, c_void};
use core::mem::size_of;
use core::ptr;

/// What an operation returns: its non-negative result, or the errno of the failing call.
type OpResult = Result<isize, c_int>;

/// The calling thread's errno (EIO if a call failed without setting it).
fn errno() -> c_int {
    match std::io::Error::last_os_error().raw_os_error() {
        Some(e) if e > 0 => e,
        _ => libc::EIO,
    }
}

fn set_errno(e: c_int) {
    // SAFETY: errno is a thread-local int that glibc hands out by address.
    unsafe { *libc::__errno_location() = e };
}

/// The result of a call that returns -1 with errno set on failure.
fn cvt(r: c_int) -> OpResult {
    if r == -1 {
        Err(errno())
    } else {
        Ok(r as isize)
    }
}

/// `cvt` for calls returning ssize_t.
fn cvt_size(r: isize) -> OpResult {
    if r == -1 {
        Err(errno())
    } else {
        Ok(r)
    }
}

/// A uv_buf_t is laid out as a struct iovec, so a buf array can go straight to readv/writev.
const _: () = {
    assert!(size_of::<uv_buf_t>() == size_of::<libc::iovec>());
    assert!(core::mem::offset_of!(uv_buf_t, base) == core::mem::offset_of!(libc::iovec, iov_base));
    assert!(core::mem::offset_of!(uv_buf_t, len) == core::mem::offset_of!(libc::iovec, iov_len));
};

// ---- the request life cycle ----

/// Resets the public fields of a request (libuv's INIT). Fails with UV_EINVAL for a NULL
/// request, or an asynchronous one without a loop.
unsafe fn init(l: *mut uv_loop_t, req: *mut uv_fs_t, ty: uv_fs_type, cb: uv_fs_cb) -> c_int {
    if req.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: req points to the program's uv_fs_t, which it hands over to us.
    unsafe {
        (*req).r#type = UV_FS;
        (*req).fs_type = ty;
        (*req).result = 0;
        (*req).ptr = ptr::null_mut();
        (*req).r#loop = l;
        (*req).path = ptr::null();
        (*req).new_path = ptr::null();
        (*req).bufs = ptr::null_mut();
        (*req).nbufs = 0;
        (*req).cb = cb;
    }
    if cb.is_some() && l.is_null() {
        return UV_EINVAL;
    }
    0
}

/// Whether uv_fs_req_cleanup owns `req->path` (libuv's rule: asynchronous requests copy
/// their paths; mkdtemp and mkstemp always do).
fn owns_path(req: &uv_fs_t) -> bool {
    req.cb.is_some() || req.fs_type == UV_FS_MKDTEMP || req.fs_type == UV_FS_MKSTEMP
}

/// One allocation holding copies of the given C strings, back to back.
unsafe fn copy_strings(strings: &[*const c_char]) -> Option<Vec<*const c_char>> {
    // SAFETY: every pointer is a NUL-terminated string of the program (checked non-NULL by
    // the callers).
    let lens: Vec<usize> = strings
        .iter()
        .map(|&s| unsafe { libc::strlen(s) } + 1)
        .collect();
    let block = alloc::malloc(lens.iter().sum()) as *mut c_char;
    if block.is_null() {
        return None;
    }
    let mut out = Vec::with_capacity(strings.len());
    let mut at = block;
    for (&s, &n) in strings.iter().zip(&lens) {
        // SAFETY: the block has room for every string with its NUL; s has n bytes.
        unsafe {
            ptr::copy_nonoverlapping(s, at, n);
            out.push(at as *const c_char);
            at = at.add(n);
        }
    }
    Some(out)
}

/// Sets `req->path` (libuv's PATH): borrowed when synchronous, copied when asynchronous.
unsafe fn set_path(req: *mut uv_fs_t, path: *const c_char) -> c_int {
    if path.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: req was reset by init; path is the program's string.
    unsafe {
        if (*req).cb.is_none() {
            (*req).path = path;
        } else {
            match copy_strings(&[path]) {
                Some(v) => (*req).path = v[0],
                None => return UV_ENOMEM,
            }
        }
    }
    0
}

/// Sets `req->path` and `req->new_path` (libuv's PATH2); one allocation when copied.
unsafe fn set_paths(req: *mut uv_fs_t, path: *const c_char, new_path: *const c_char) -> c_int {
    if path.is_null() || new_path.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: as for set_path.
    unsafe {
        if (*req).cb.is_none() {
            (*req).path = path;
            (*req).new_path = new_path;
        } else {
            match copy_strings(&[path, new_path]) {
                Some(v) => {
                    (*req).path = v[0];
                    (*req).new_path = v[1];
                }
                None => return UV_ENOMEM,
            }
        }
    }
    0
}

/// Copies a program's buf array into the request: `bufsml` for up to four, else an
/// allocation that the operation (or uv_fs_req_cleanup) frees.
unsafe fn copy_bufs(req: *mut uv_fs_t, bufs: *const uv_buf_t, nbufs: c_uint) -> c_int {
    let n = nbufs as usize;
    // SAFETY: req was reset by init; bufs has nbufs entries (the program's contract).
    unsafe {
        let dst = if n <= (*req).bufsml.len() {
            (*req).bufsml.as_mut_ptr()
        } else {
            match n.checked_mul(size_of::<uv_buf_t>()) {
                Some(bytes) => alloc::malloc(bytes) as *mut uv_buf_t,
                None => ptr::null_mut(),
            }
        };
        if dst.is_null() {
            return UV_ENOMEM;
        }
        ptr::copy_nonoverlapping(bufs, dst, n);
        (*req).bufs = dst;
        (*req).nbufs = nbufs;
    }
    0
}

/// Runs the request now (no callback) and returns its result, or queues it (libuv's POST).
unsafe fn post(req: *mut uv_fs_t) -> c_int {
    // SAFETY: req was fully prepared by its uv_fs_* function; an asynchronous request has a
    // live loop (checked by init), which keeps the request registered until its callback.
    unsafe {
        if (*req).cb.is_some() {
            let l = (*req).r#loop;
            crate::req::init(l, req as *mut uv_req_t, UV_FS);
            threadpool::submit(l, &mut (*req).work_req, WorkKind::FastIo, fs_work, fs_done);
            0
        } else {
            execute(&mut *req);
            (*req).result as c_int
        }
    }
}

/// Runs the operation and stores its result in `req->result` (libuv's uv__fs_work).
unsafe fn execute(req: &mut uv_fs_t) {
    // close and read are not repeated on EINTR (the fd may be gone, the data consumed).
    let retry = !(req.fs_type == UV_FS_CLOSE || req.fs_type == UV_FS_READ);
    let outcome = loop {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // SAFETY: req was prepared by its uv_fs_* function and is ours until done.
            unsafe { run(req) }
        }))
        .unwrap_or(Err(libc::EIO));
        match r {
            Err(libc::EINTR) if retry => continue,
            r => break r,
        }
    };
    req.result = match outcome {
        Ok(n) => n,
        Err(e) => -(e as isize),
    };
    if outcome == Ok(0) && matches!(req.fs_type, UV_FS_STAT | UV_FS_FSTAT | UV_FS_LSTAT) {
        req.ptr = &mut req.statbuf as *mut uv_stat_t as *mut c_void;
    }
}

/// One attempt at the operation of `req->fs_type`.
unsafe fn run(req: &mut uv_fs_t) -> OpResult {
    // SAFETY: every field the operation reads was set by its uv_fs_* function.
    unsafe {
        match req.fs_type {
            UV_FS_ACCESS => cvt(libc::access(req.path, req.flags)),
            UV_FS_CHMOD => cvt(libc::chmod(req.path, req.mode)),
            UV_FS_CHOWN => cvt(libc::chown(req.path, req.uid, req.gid)),
            UV_FS_CLOSE => ops::close(req.file),
            UV_FS_COPYFILE => copy::copyfile(req),
            UV_FS_FCHMOD => cvt(libc::fchmod(req.file, req.mode)),
            UV_FS_FCHOWN => cvt(libc::fchown(req.file, req.uid, req.gid)),
            UV_FS_LCHOWN => cvt(libc::lchown(req.path, req.uid, req.gid)),
            UV_FS_FDATASYNC => cvt(libc::fdatasync(req.file)),
            UV_FS_FSTAT => stat::fstat(req.file, &mut req.statbuf),
            UV_FS_FSYNC => cvt(libc::fsync(req.file)),
            UV_FS_FTRUNCATE => cvt(libc::ftruncate(req.file, req.off)),
            UV_FS_FUTIME => ops::futime(req),
            UV_FS_LUTIME => ops::utime(req, libc::AT_SYMLINK_NOFOLLOW),
            UV_FS_LSTAT => stat::lstat(req.path, &mut req.statbuf),
            UV_FS_LINK => cvt(libc::link(req.path, req.new_path)),
            UV_FS_MKDIR => cvt(libc::mkdir(req.path, req.mode)),
            UV_FS_MKDTEMP => ops::mkdtemp(req),
            UV_FS_MKSTEMP => ops::mkstemp(req),
            UV_FS_OPEN => ops::open(req),
            UV_FS_READ => ops::read(req),
            UV_FS_SCANDIR => dir::scandir(req),
            UV_FS_OPENDIR => dir::opendir(req),
            UV_FS_READDIR => dir::readdir(req),
            UV_FS_CLOSEDIR => dir::closedir(req),
            UV_FS_READLINK => ops::readlink(req),
            UV_FS_REALPATH => ops::realpath(req),
            UV_FS_RENAME => cvt(libc::rename(req.path, req.new_path)),
            UV_FS_RMDIR => cvt(libc::rmdir(req.path)),
            UV_FS_SENDFILE => copy::sendfile(req),
            UV_FS_STAT => stat::stat(req.path, &mut req.statbuf),
            UV_FS_STATFS => stat::statfs(req),
            UV_FS_SYMLINK => cvt(libc::symlink(req.path, req.new_path)),
            UV_FS_UNLINK => cvt(libc::unlink(req.path)),
            UV_FS_UTIME => ops::utime(req, 0),
            UV_FS_WRITE => ops::write_all(req),
            _ => Err(libc::EINVAL),
        }
    }
}

unsafe extern "C-unwind" fn fs_work(w: *mut uv__work) {
    // SAFETY: w is the work_req of a queued uv_fs_t; a worker owns it until done.
    unsafe { execute(&mut *container_of!(w, uv_fs_t, work_req)) }
}

unsafe extern "C-unwind" fn fs_done(w: *mut uv__work, status: c_int) {
    // SAFETY: w is the work_req of a uv_fs_t registered on its live loop (loop thread).
    unsafe {
        let req = container_of!(w, uv_fs_t, work_req);
        crate::req::unregister((*req).r#loop, req as *mut uv_req_t);
        if status == UV_ECANCELED {
            (*req).result = UV_ECANCELED as isize;
        }
        if let Some(cb) = (*req).cb {
            cb(req);
        }
    }
}

// ---- the request functions ----

/// A request on a path: INIT, PATH, the extra fields, POST.
unsafe fn path_req(
    l: *mut uv_loop_t,
    req: *mut uv_fs_t,
    ty: uv_fs_type,
    path: *const c_char,
    cb: uv_fs_cb,
    set: impl FnOnce(&mut uv_fs_t),
) -> c_int {
    // SAFETY: the program's loop and request; path is its string.
    unsafe {
        let r = init(l, req, ty, cb);
        if r != 0 {
            return r;
        }
        let r = set_path(req, path);
        if r != 0 {
            return r;
        }
        set(&mut *req);
        post(req)
    }
}

/// A request on two paths (PATH2).
unsafe fn path2_req(
    l: *mut uv_loop_t,
    req: *mut uv_fs_t,
    ty: uv_fs_type,
    path: *const c_char,
    new_path: *const c_char,
    cb: uv_fs_cb,
    set: impl FnOnce(&mut uv_fs_t),
) -> c_int {
    // SAFETY: as for path_req.
    unsafe {
        let r = init(l, req, ty, cb);
        if r != 0 {
            return r;
        }
        let r = set_paths(req, path, new_path);
        if r != 0 {
            return r;
        }
        set(&mut *req);
        post(req)
    }
}

/// A request on a file descriptor.
unsafe fn fd_req(
    l: *mut uv_loop_t,
    req: *mut uv_fs_t,
    ty: uv_fs_type,
    file: uv_file,
    cb: uv_fs_cb,
    set: impl FnOnce(&mut uv_fs_t),
) -> c_int {
    // SAFETY: the program's loop and request.
    unsafe {
        let r = init(l, req, ty, cb);
        if r != 0 {
            return r;
        }
        (*req).file = file;
        set(&mut *req);
        post(req)
    }
}

/// A request with a template that the operation fills in (always copied).
unsafe fn template_req(
    l: *mut uv_loop_t,
    req: *mut uv_fs_t,
    ty: uv_fs_type,
    tpl: *const c_char,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: the program's loop and request; tpl is its string.
    unsafe {
        let r = init(l, req, ty, cb);
        if r != 0 {
            return r;
        }
        if tpl.is_null() {
            return UV_EINVAL;
        }
        match copy_strings(&[tpl]) {
            Some(v) => (*req).path = v[0],
            None => return UV_ENOMEM,
        }
        post(req)
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_open(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    flags: c_int,
    mode: c_int,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe {
        path_req(r#loop, req, UV_FS_OPEN, path, cb, |r| {
            r.flags = flags;
            r.mode = mode as libc::mode_t;
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_close(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    file: uv_file,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { fd_req(r#loop, req, UV_FS_CLOSE, file, cb, |_| {}) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_read(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    file: uv_file,
    bufs: *const uv_buf_t,
    nbufs: c_uint,
    offset: i64,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments; bufs has nbufs entries.
    unsafe {
        let r = init(r#loop, req, UV_FS_READ, cb);
        if r != 0 {
            return r;
        }
        if bufs.is_null() || nbufs == 0 {
            return UV_EINVAL;
        }
        (*req).file = file;
        (*req).off = offset;
        if cb.is_none() {
            // A synchronous read uses the program's array as it is (it only reads it).
            (*req).bufs = bufs as *mut uv_buf_t;
            (*req).nbufs = nbufs;
        } else {
            let r = copy_bufs(req, bufs, nbufs);
            if r != 0 {
                return r;
            }
        }
        post(req)
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_write(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    file: uv_file,
    bufs: *const uv_buf_t,
    nbufs: c_uint,
    offset: i64,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments; bufs has nbufs entries.
    unsafe {
        let r = init(r#loop, req, UV_FS_WRITE, cb);
        if r != 0 {
            return r;
        }
        if bufs.is_null() || nbufs == 0 {
            return UV_EINVAL;
        }
        (*req).file = file;
        // Always a copy: writing everything advances through the array.
        let r = copy_bufs(req, bufs, nbufs);
        if r != 0 {
            return r;
        }
        (*req).off = offset;
        post(req)
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_unlink(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { path_req(r#loop, req, UV_FS_UNLINK, path, cb, |_| {}) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_mkdir(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    mode: c_int,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe {
        path_req(r#loop, req, UV_FS_MKDIR, path, cb, |r| {
            r.mode = mode as libc::mode_t
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_mkdtemp(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    tpl: *const c_char,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { template_req(r#loop, req, UV_FS_MKDTEMP, tpl, cb) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_mkstemp(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    tpl: *const c_char,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { template_req(r#loop, req, UV_FS_MKSTEMP, tpl, cb) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_rmdir(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { path_req(r#loop, req, UV_FS_RMDIR, path, cb, |_| {}) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_scandir(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    flags: c_int,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { path_req(r#loop, req, UV_FS_SCANDIR, path, cb, |r| r.flags = flags) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_scandir_next(req: *mut uv_fs_t, ent: *mut uv_dirent_t) -> c_int {
    if req.is_null() || ent.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: a finished scandir request of the program and its dirent to fill.
    unsafe { dir::scandir_next(&mut *req, &mut *ent) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_opendir(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { path_req(r#loop, req, UV_FS_OPENDIR, path, cb, |_| {}) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_readdir(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    dir: *mut uv_dir_t,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments; a non-NULL dir came from uv_fs_opendir.
    unsafe {
        let r = init(r#loop, req, UV_FS_READDIR, cb);
        if r != 0 {
            return r;
        }
        if dir.is_null() || (*dir).dir.is_null() || (*dir).dirents.is_null() {
            return UV_EINVAL;
        }
        (*req).ptr = dir as *mut c_void;
        post(req)
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_closedir(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    dir: *mut uv_dir_t,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe {
        let r = init(r#loop, req, UV_FS_CLOSEDIR, cb);
        if r != 0 {
            return r;
        }
        if dir.is_null() {
            return UV_EINVAL;
        }
        (*req).ptr = dir as *mut c_void;
        post(req)
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_stat(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { path_req(r#loop, req, UV_FS_STAT, path, cb, |_| {}) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_fstat(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    file: uv_file,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { fd_req(r#loop, req, UV_FS_FSTAT, file, cb, |_| {}) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_lstat(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { path_req(r#loop, req, UV_FS_LSTAT, path, cb, |_| {}) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_statfs(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { path_req(r#loop, req, UV_FS_STATFS, path, cb, |_| {}) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_rename(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    new_path: *const c_char,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { path2_req(r#loop, req, UV_FS_RENAME, path, new_path, cb, |_| {}) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_fsync(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    file: uv_file,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { fd_req(r#loop, req, UV_FS_FSYNC, file, cb, |_| {}) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_fdatasync(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    file: uv_file,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { fd_req(r#loop, req, UV_FS_FDATASYNC, file, cb, |_| {}) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_ftruncate(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    file: uv_file,
    offset: i64,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { fd_req(r#loop, req, UV_FS_FTRUNCATE, file, cb, |r| r.off = offset) }
}

/// UV_FS_COPYFILE_EXCL | UV_FS_COPYFILE_FICLONE | UV_FS_COPYFILE_FICLONE_FORCE.
const COPYFILE_FLAGS: c_int =
    copy::COPYFILE_EXCL | copy::COPYFILE_FICLONE | copy::COPYFILE_FICLONE_FORCE;

#[no_mangle]
pub unsafe extern "C" fn uv_fs_copyfile(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    new_path: *const c_char,
    flags: c_int,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe {
        let r = init(r#loop, req, UV_FS_COPYFILE, cb);
        if r != 0 {
            return r;
        }
        if flags & !COPYFILE_FLAGS != 0 {
            return UV_EINVAL;
        }
        let r = set_paths(req, path, new_path);
        if r != 0 {
            return r;
        }
        (*req).flags = flags;
        post(req)
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_sendfile(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    out_fd: uv_file,
    in_fd: uv_file,
    in_offset: i64,
    length: usize,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe {
        // As in libuv: the input fd rides in `flags`, the length in bufsml[0].len.
        fd_req(r#loop, req, UV_FS_SENDFILE, out_fd, cb, |r| {
            r.flags = in_fd;
            r.off = in_offset;
            r.bufsml[0].len = length;
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_access(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    mode: c_int,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { path_req(r#loop, req, UV_FS_ACCESS, path, cb, |r| r.flags = mode) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_chmod(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    mode: c_int,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe {
        path_req(r#loop, req, UV_FS_CHMOD, path, cb, |r| {
            r.mode = mode as libc::mode_t
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_fchmod(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    file: uv_file,
    mode: c_int,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe {
        fd_req(r#loop, req, UV_FS_FCHMOD, file, cb, |r| {
            r.mode = mode as libc::mode_t
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_utime(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    atime: f64,
    mtime: f64,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe {
        path_req(r#loop, req, UV_FS_UTIME, path, cb, |r| {
            r.atime = atime;
            r.mtime = mtime;
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_futime(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    file: uv_file,
    atime: f64,
    mtime: f64,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe {
        fd_req(r#loop, req, UV_FS_FUTIME, file, cb, |r| {
            r.atime = atime;
            r.mtime = mtime;
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_lutime(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    atime: f64,
    mtime: f64,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe {
        path_req(r#loop, req, UV_FS_LUTIME, path, cb, |r| {
            r.atime = atime;
            r.mtime = mtime;
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_link(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    new_path: *const c_char,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { path2_req(r#loop, req, UV_FS_LINK, path, new_path, cb, |_| {}) }
}

/// UV_FS_SYMLINK_DIR and UV_FS_SYMLINK_JUNCTION only mean something on Windows; the flags
/// are kept in the request and otherwise ignored.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_symlink(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    new_path: *const c_char,
    flags: c_int,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe {
        path2_req(r#loop, req, UV_FS_SYMLINK, path, new_path, cb, |r| {
            r.flags = flags
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_readlink(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { path_req(r#loop, req, UV_FS_READLINK, path, cb, |_| {}) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_realpath(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe { path_req(r#loop, req, UV_FS_REALPATH, path, cb, |_| {}) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_chown(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    uid: uv_uid_t,
    gid: uv_gid_t,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe {
        path_req(r#loop, req, UV_FS_CHOWN, path, cb, |r| {
            r.uid = uid;
            r.gid = gid;
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_fchown(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    file: uv_file,
    uid: uv_uid_t,
    gid: uv_gid_t,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe {
        fd_req(r#loop, req, UV_FS_FCHOWN, file, cb, |r| {
            r.uid = uid;
            r.gid = gid;
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_lchown(
    r#loop: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    uid: uv_uid_t,
    gid: uv_gid_t,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: forwarded program arguments.
    unsafe {
        path_req(r#loop, req, UV_FS_LCHOWN, path, cb, |r| {
            r.uid = uid;
            r.gid = gid;
        })
    }
}

/// Frees what the request owns: its path copy, buf array copy and results. Safe to call
/// again, and on a request whose uv_fs_* call failed its argument checks.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_req_cleanup(req: *mut uv_fs_t) {
    // SAFETY: a non-NULL req is an fs request the program initialized through uv_fs_*; it
    // is not in flight (the program's contract).
    let Some(req) = (unsafe { req.as_mut() }) else {
        return;
    };
    // SAFETY: every pointer freed below was allocated by this module or by dir/ops through
    // crate::alloc, and is cleared once freed.
    unsafe {
        if !req.path.is_null() && owns_path(req) {
            alloc::free(req.path as *mut c_void); // new_path shares the allocation
        }
        req.path = ptr::null();
        req.new_path = ptr::null();

        if !req.ptr.is_null() {
            match req.fs_type {
                UV_FS_READDIR => dir::readdir_cleanup(req),
                UV_FS_SCANDIR => dir::scandir_cleanup(req),
                _ => {}
            }
        }

        if req.bufs != req.bufsml.as_mut_ptr() {
            alloc::free(req.bufs as *mut c_void);
        }
        req.bufs = ptr::null_mut();

        // opendir's uv_dir_t belongs to the program until uv_fs_closedir; a closedir that
        // did not run (cancelled) leaves the directory open and the program's to close.
        let statbuf = &mut req.statbuf as *mut uv_stat_t as *mut c_void;
        if req.fs_type != UV_FS_OPENDIR && req.fs_type != UV_FS_CLOSEDIR && req.ptr != statbuf {
            alloc::free(req.ptr);
        }
        req.ptr = ptr::null_mut();
    }
}

// ---- accessors ----

#[no_mangle]
pub unsafe extern "C" fn uv_fs_get_type(req: *const uv_fs_t) -> uv_fs_type {
    // SAFETY: a non-NULL req is the program's fs request.
    match unsafe { req.as_ref() } {
        Some(r) => r.fs_type,
        None => UV_FS_UNKNOWN,
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_get_result(req: *const uv_fs_t) -> ssize_t {
    // SAFETY: as above.
    match unsafe { req.as_ref() } {
        Some(r) => r.result,
        None => UV_EINVAL as ssize_t,
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_get_system_error(req: *const uv_fs_t) -> c_int {
    // SAFETY: as above.
    match unsafe { req.as_ref() } {
        Some(r) => -(r.result as c_int),
        None => libc::EINVAL,
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_get_ptr(req: *const uv_fs_t) -> *mut c_void {
    // SAFETY: as above.
    match unsafe { req.as_ref() } {
        Some(r) => r.ptr,
        None => ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_get_path(req: *const uv_fs_t) -> *const c_char {
    // SAFETY: as above.
    match unsafe { req.as_ref() } {
        Some(r) => r.path,
        None => ptr::null(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_get_statbuf(req: *mut uv_fs_t) -> *mut uv_stat_t {
    if req.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: a non-NULL req is the program's fs request; only the field's address is taken.
    unsafe { ptr::addr_of_mut!((*req).statbuf) }
}
