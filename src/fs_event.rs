//! uv_fs_event_t on Linux: inotify.
//!
//! Each loop has one inotify fd (`loop->inotify_fd`, created by the first start, watched
//! through `loop->inotify_read_watcher` with kind `io::Kind::Inotify`). The kernel gives
//! one watch descriptor per inode, so handles watching the same file share it: the loop
//! keeps a map from watch descriptor to a `WatchList` (the path it was added with and the
//! handles, linked through `handle->watchers`). The map is a `Box<Watches>` that
//! `loop->inotify_watchers` points to; it exists only while some handle is started, so the
//! loop has nothing to free at close (an active handle makes uv_loop_close fail anyway).
//!
//! Callbacks may stop or close any handle, or start new ones, while events are dispatched:
//! the handles of a list are moved to a local queue and put back one by one as they are
//! called, and a list being dispatched is not freed until dispatch is done.

use crate::abi::*;
use crate::handle;
use crate::io;
use crate::queue::{self, container_of};
use core::ffi::{c_char, c_int, c_uint, c_void, CStr};
use core::ptr;
use std::collections::BTreeMap;
use std::ffi::CString;

/// Every change a handle is told about.
const WATCH_MASK: u32 = libc::IN_ATTRIB
    | libc::IN_CREATE
    | libc::IN_MODIFY
    | libc::IN_DELETE
    | libc::IN_DELETE_SELF
    | libc::IN_MOVE_SELF
    | libc::IN_MOVED_FROM
    | libc::IN_MOVED_TO;

/// The handles watching one watch descriptor.
struct WatchList {
    /// The path the watch was added with (what `handle->path` points to).
    path: CString,
    /// Queue head of the handles (`uv_fs_event_t.watchers`).
    handles: uv__queue,
    /// Callbacks of this list are running: do not free it when it empties.
    iterating: bool,
}

/// The loop's watch descriptors (behind `loop->inotify_watchers`).
#[derive(Default)]
struct Watches {
    lists: BTreeMap<c_int, Box<WatchList>>,
}

/// The loop's map, NULL when no handle is started.
unsafe fn watches(l: *mut uv_loop_t) -> *mut Watches {
    // SAFETY: l is a live loop; the field is NULL or our Box (module invariant).
    unsafe { (*l).inotify_watchers as *mut Watches }
}

/// The list of `wd`, or NULL.
unsafe fn find(l: *mut uv_loop_t, wd: c_int) -> *mut WatchList {
    // SAFETY: the map, when present, is ours and not borrowed elsewhere right now.
    unsafe {
        match watches(l).as_mut() {
            Some(w) => w
                .lists
                .get_mut(&wd)
                .map_or(ptr::null_mut(), |b| &mut **b as *mut WatchList),
            None => ptr::null_mut(),
        }
    }
}

/// Frees the list of `wd` if no handle uses it and nobody is iterating it; frees the map
/// when it becomes empty.
unsafe fn maybe_free(l: *mut uv_loop_t, wd: c_int) {
    // SAFETY: l is live; the map and its lists are ours; no reference into them is held by
    // a caller across this call.
    unsafe {
        let w = watches(l);
        let Some(map) = w.as_mut() else { return };
        let Some(list) = map.lists.get(&wd) else {
            return;
        };
        if list.iterating || !queue::is_empty(&list.handles) {
            return;
        }
        map.lists.remove(&wd);
        libc::inotify_rm_watch((*l).inotify_fd, wd);
        if map.lists.is_empty() {
            drop(Box::from_raw(w));
            (*l).inotify_watchers = ptr::null_mut();
        }
    }
}

/// Creates the loop's inotify fd and starts watching it, once.
unsafe fn init_inotify(l: *mut uv_loop_t) -> c_int {
    // SAFETY: l is a live loop; the watcher is the loop's own.
    unsafe {
        if (*l).inotify_fd != -1 {
            return 0;
        }
        let fd = libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC);
        if fd < 0 {
            return crate::error::last_error();
        }
        let w: *mut uv__io_t = &mut (*l).inotify_read_watcher;
        io::init(w, io::Kind::Inotify, fd);
        io::start(l, w, io::POLLIN);
        (*l).inotify_fd = fd;
    }
    0
}

/// The last component of `path` (everything after the last '/').
unsafe fn basename(path: *const c_char) -> *const c_char {
    // SAFETY: path is a NUL-terminated string.
    unsafe {
        let s = libc::strrchr(path, b'/' as c_int);
        if s.is_null() {
            path
        } else {
            s.add(1)
        }
    }
}

/// UV_CHANGE / UV_RENAME for an inotify mask, as libuv reports them.
fn events_of(mask: u32) -> c_int {
    let change = libc::IN_ATTRIB | libc::IN_MODIFY;
    let mut ev = 0;
    if mask & change != 0 {
        ev |= UV_CHANGE;
    }
    if mask & !change != 0 {
        ev |= UV_RENAME;
    }
    ev
}

/// Calls the callback of every handle of the list of `wd` for one event, then frees the
/// list if the callbacks stopped all its handles.
unsafe fn dispatch_event(
    l: *mut uv_loop_t,
    wd: c_int,
    list: *mut WatchList,
    name: *const c_char,
    ev: c_int,
) {
    // SAFETY: list is the live list of `wd` in l's map; it is not freed while `iterating`
    // is set. The handles linked in it are live started fs event handles.
    unsafe {
        let mut local = uv__queue {
            next: ptr::null_mut(),
            prev: ptr::null_mut(),
        };
        let lq: *mut uv__queue = &mut local;
        (*list).iterating = true;
        queue::move_to(&mut (*list).handles, lq);
        // A callback that unwinds leaves the handles not yet called back in the list.
        let guard = crate::unwind::OnUnwind::new((l, wd, lq, list), |(l, wd, lq, list)| {
            queue::append(lq, &mut (*list).handles);
            (*list).iterating = false;
            maybe_free(l, wd);
        });
        while !queue::is_empty(lq) {
            let q = queue::head(lq);
            queue::remove(q);
            queue::insert_tail(&mut (*list).handles, q);
            let h = container_of!(q, uv_fs_event_t, watchers);
            if let Some(cb) = (*h).cb {
                cb(h, name, ev, 0);
            }
        }
        guard.disarm();
        (*list).iterating = false;
        maybe_free(l, wd);
    }
}

/// Size of one read of the inotify fd (room for many events with names).
const READ_BUF: usize = 4096;

/// The loop's inotify fd is readable: read every queued event and dispatch it.
pub unsafe fn io(l: *mut uv_loop_t, _w: *mut uv__io_t, _events: u32) {
    // Aligned for struct inotify_event.
    let mut buf = [0u64; READ_BUF / 8];
    let hdr = core::mem::size_of::<libc::inotify_event>();
    loop {
        // SAFETY: l is live; buf is writable for its size.
        let n = unsafe {
            let fd = (*l).inotify_fd;
            if fd < 0 {
                return;
            }
            libc::read(fd, buf.as_mut_ptr() as *mut c_void, READ_BUF)
        };
        if n < 0 {
            // SAFETY: errno is the calling thread's.
            if unsafe { *libc::__errno_location() } == libc::EINTR {
                continue;
            }
            return; // EAGAIN: drained
        }
        if n == 0 {
            return;
        }
        let n = n as usize;
        let base = buf.as_ptr() as *const u8;
        let mut off = 0;
        while off + hdr <= n {
            // SAFETY: the kernel wrote whole events; each starts at an aligned offset
            // (header and name lengths are multiples of 4), read unaligned anyway.
            let e: libc::inotify_event =
                unsafe { ptr::read_unaligned(base.add(off) as *const libc::inotify_event) };
            let name_at = off + hdr;
            off = name_at + e.len as usize;
            // SAFETY: l is live; the list pointer is used only while no callback runs or
            // while it is pinned by `iterating`.
            unsafe {
                let list = find(l, e.wd);
                if list.is_null() {
                    continue; // stale: nobody watches this descriptor any more
                }
                // Watching a single file gives no name: report the watched path's basename.
                let name = if e.len > 0 && off <= n {
                    base.add(name_at) as *const c_char
                } else {
                    basename((*list).path.as_ptr())
                };
                dispatch_event(l, e.wd, list, name, events_of(e.mask));
            }
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_event_init(
    r#loop: *mut uv_loop_t,
    handle: *mut uv_fs_event_t,
) -> c_int {
    if r#loop.is_null() || handle.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: an initialized loop and writable handle memory from the program.
    unsafe {
        handle::init(r#loop, handle as *mut uv_handle_t, UV_FS_EVENT);
        (*handle).path = ptr::null_mut();
        (*handle).cb = None;
        (*handle).wd = -1;
        queue::init(&mut (*handle).watchers);
    }
    0
}

/// Whether `h` is a live fs event handle.
unsafe fn is_fs_event(h: *const uv_fs_event_t) -> bool {
    // SAFETY: a non-NULL h is an initialized handle (the program's contract).
    !h.is_null() && unsafe { (*h).r#type == UV_FS_EVENT }
}

/// Links a handle into the list of `wd` (made with `path` if it is new).
unsafe fn attach(l: *mut uv_loop_t, h: *mut uv_fs_event_t, path: *const c_char, wd: c_int) {
    // SAFETY: l is live; h is a live, unlinked fs event handle; path a C string.
    unsafe {
        let mut list = find(l, wd);
        if list.is_null() {
            if watches(l).is_null() {
                (*l).inotify_watchers = Box::into_raw(Box::<Watches>::default()) as *mut c_void;
            }
            let mut b = Box::new(WatchList {
                path: CStr::from_ptr(path).to_owned(),
                handles: uv__queue {
                    next: ptr::null_mut(),
                    prev: ptr::null_mut(),
                },
                iterating: false,
            });
            queue::init(&mut b.handles);
            list = &mut *b as *mut WatchList;
            (*watches(l)).lists.insert(wd, b);
        }
        queue::insert_tail(&mut (*list).handles, &mut (*h).watchers);
        (*h).path = (*list).path.as_ptr() as *mut c_char;
        (*h).wd = wd;
    }
}

/// Starts watching `path`. `flags` are ignored on Linux (UV_FS_EVENT_RECURSIVE is not
/// supported by inotify; libuv ignores it there too).
#[no_mangle]
pub unsafe extern "C" fn uv_fs_event_start(
    handle: *mut uv_fs_event_t,
    cb: uv_fs_event_cb,
    path: *const c_char,
    _flags: c_uint,
) -> c_int {
    let h = handle;
    // SAFETY: the program passes an initialized handle of a live loop and a C string.
    unsafe {
        if !is_fs_event(h) || cb.is_none() || path.is_null() {
            return UV_EINVAL;
        }
        if handle::is_active(h as *const uv_handle_t) || handle::is_closing(h as *const uv_handle_t)
        {
            return UV_EINVAL;
        }
        let l = (*h).r#loop;
        let err = init_inotify(l);
        if err != 0 {
            return err;
        }
        let wd = libc::inotify_add_watch((*l).inotify_fd, path, WATCH_MASK);
        if wd == -1 {
            return crate::error::last_error();
        }
        attach(l, h, path, wd);
        (*h).cb = cb;
        handle::start(h as *mut uv_handle_t);
    }
    0
}

/// Stops a started handle (nothing to do otherwise).
unsafe fn stop(h: *mut uv_fs_event_t) {
    // SAFETY: h is a live fs event handle of a live loop.
    unsafe {
        if !handle::is_active(h as *const uv_handle_t) {
            return;
        }
        let l = (*h).r#loop;
        let wd = (*h).wd;
        (*h).wd = -1;
        (*h).path = ptr::null_mut();
        handle::stop(h as *mut uv_handle_t);
        queue::remove(&mut (*h).watchers);
        queue::init(&mut (*h).watchers);
        maybe_free(l, wd);
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_event_stop(handle: *mut uv_fs_event_t) -> c_int {
    // SAFETY: the program passes an initialized handle.
    unsafe {
        if !is_fs_event(handle) {
            return UV_EINVAL;
        }
        stop(handle);
    }
    0
}

/// Copies `path` into the program's buffer with libuv's size contract: on success `*size`
/// is the length without the NUL; UV_ENOBUFS sets it to the length needed with the NUL.
pub unsafe fn copy_path(path: *const c_char, buffer: *mut c_char, size: *mut usize) -> c_int {
    // SAFETY: path is a C string; buffer has *size writable bytes (the program's contract).
    unsafe {
        let len = libc::strlen(path);
        if len >= *size {
            *size = len + 1;
            return UV_ENOBUFS;
        }
        ptr::copy_nonoverlapping(path, buffer, len);
        *buffer.add(len) = 0;
        *size = len;
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_fs_event_getpath(
    handle: *mut uv_fs_event_t,
    buffer: *mut c_char,
    size: *mut usize,
) -> c_int {
    // SAFETY: the program's handle, buffer and size (checked for NULL).
    unsafe {
        if buffer.is_null() || size.is_null() || *size == 0 || !is_fs_event(handle) {
            return UV_EINVAL;
        }
        if !handle::is_active(handle as *const uv_handle_t) || (*handle).path.is_null() {
            *size = 0;
            return UV_EINVAL;
        }
        copy_path((*handle).path, buffer, size)
    }
}

/// uv_close of a fs event handle.
pub unsafe fn close(h: *mut uv_fs_event_t) {
    // SAFETY: h is a live fs event handle being closed on its loop's thread.
    unsafe { stop(h) }
}

/// After uv_loop_fork: the child must not share the parent's inotify instance. Opens a new
/// one and adds every watch again (watch descriptors may change). Handles whose path can no
/// longer be watched are stopped; the first such error is returned.
#[allow(dead_code)] // for uv_loop_fork
pub unsafe fn loop_fork(l: *mut uv_loop_t) -> c_int {
    // SAFETY: l is a live loop on its own thread; no callback runs during this. The old map
    // is ours; its handles are live started fs event handles.
    unsafe {
        if (*l).inotify_fd == -1 {
            return 0;
        }
        io::close(l, &mut (*l).inotify_read_watcher);
        libc::close((*l).inotify_fd);
        (*l).inotify_fd = -1;
        let old = watches(l);
        (*l).inotify_watchers = ptr::null_mut();
        let mut err = init_inotify(l);
        if old.is_null() {
            return err;
        }
        let old = Box::from_raw(old);
        let mut handles: Vec<(*mut uv_fs_event_t, CString)> = Vec::new();
        for (_, mut list) in old.lists {
            let head: *mut uv__queue = &mut list.handles;
            while !queue::is_empty(head) {
                let q = queue::head(head);
                queue::remove(q);
                queue::init(q);
                handles.push((container_of!(q, uv_fs_event_t, watchers), list.path.clone()));
            }
        }
        for (h, path) in handles {
            let wd = if (*l).inotify_fd == -1 {
                -1
            } else {
                libc::inotify_add_watch((*l).inotify_fd, path.as_ptr(), WATCH_MASK)
            };
            if wd == -1 {
                if err == 0 {
                    err = crate::error::last_error();
                }
                (*h).wd = -1;
                (*h).path = ptr::null_mut();
                handle::stop(h as *mut uv_handle_t);
                continue;
            }
            attach(l, h, path.as_ptr(), wd);
        }
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(events_of(libc::IN_MODIFY), UV_CHANGE);
        assert_eq!(events_of(libc::IN_ATTRIB), UV_CHANGE);
        assert_eq!(events_of(libc::IN_CREATE), UV_RENAME);
        assert_eq!(
            events_of(libc::IN_MOVED_TO | libc::IN_MODIFY),
            UV_RENAME | UV_CHANGE
        );
    }

    #[test]
    fn basenames() {
        unsafe {
            let p = c"a/b/c".as_ptr();
            assert_eq!(CStr::from_ptr(basename(p)), c"c");
            let p = c"file".as_ptr();
            assert_eq!(CStr::from_ptr(basename(p)), c"file");
            let p = c"dir/".as_ptr();
            assert_eq!(CStr::from_ptr(basename(p)), c"");
        }
    }
}
