//! uv_loop_fork: makes a loop usable in the child process after fork(2).
//!
//! After fork the child shares with its parent every kernel object the loop holds: the
//! epoll instance, the async eventfd, the signal pipe, the inotify instance. Using them
//! would steal the parent's events (and let the parent steal ours), so the child gets new
//! ones: a new epoll instance with every watcher registered again, a new eventfd, a new
//! signal pipe and a new inotify instance. The threadpool resets itself at fork (a
//! `pthread_atfork` handler in `threadpool.rs`), since its threads do not exist in the
//! child.

use crate::abi::*;
use crate::queue;
use core::ffi::c_int;

/// A new epoll instance; every watcher counts as not yet registered with it.
unsafe fn io_fork(l: *mut uv_loop_t) -> c_int {
    // SAFETY: l is a live loop; the registry holds live watchers.
    unsafe {
        // Create the new instance first: on failure the loop is left as it was.
        let fd = libc::epoll_create1(libc::EPOLL_CLOEXEC);
        if fd < 0 {
            return crate::error::last_error();
        }
        // Closing our copy never touches the parent's registrations (and no EPOLL_CTL_DEL
        // may go to the shared instance).
        libc::close((*l).backend_fd);
        (*l).backend_fd = fd;
        let li = crate::r#loop::inner(l);
        li.nevents = 0;
        li.dispatch_index = 0;
        for &w in li.watchers.iter() {
            if !w.is_null() {
                (*w).events = 0;
            }
        }
    }
    0
}

/// Queues every watcher with interest for registration at the next poll.
unsafe fn rearm(l: *mut uv_loop_t) {
    // SAFETY: as io_fork.
    unsafe {
        let n = crate::r#loop::inner(l).watchers.len();
        for i in 0..n {
            let w = crate::r#loop::inner(l).watchers[i];
            if w.is_null() || (*w).pevents == 0 {
                continue;
            }
            (*w).events = 0;
            if queue::is_empty(&(*w).watcher_queue) {
                queue::insert_tail(&mut (*l).watcher_queue, &mut (*w).watcher_queue);
            }
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_loop_fork(r#loop: *mut uv_loop_t) -> c_int {
    let l = r#loop;
    if l.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: a loop the program initialized, used by this (the only) thread of the child.
    unsafe {
        if (*l).internal_fields.is_null() {
            return UV_EINVAL;
        }
        let err = io_fork(l);
        if err != 0 {
            return err;
        }
        let err = crate::fs_event::loop_fork(l);
        if err != 0 {
            return err;
        }
        let err = crate::r#async::loop_fork(l);
        if err != 0 {
            return err;
        }
        let err = crate::signal::loop_fork(l);
        if err != 0 {
            return err;
        }
        rearm(l);
    }
    0
}
