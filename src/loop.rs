//! The event loop: init/close, uv_run and its phases, time, liveness, walking handles.
//!
//! The loop is the program's `uv_loop_t` (libuv's layout); what the layout has no room
//! for lives in a `LoopInner` that `loop->internal_fields` points to (allocated at init,
//! freed at close).

use crate::abi::*;
use crate::handle::{self, Flags};
use crate::queue::{self, container_of};
use core::ffi::{c_int, c_void};
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};

/// Bits of `loop->flags` (libuv's values).
pub const LOOP_BLOCK_SIGPROF: libc::c_ulong = 0x1;
pub const LOOP_ENABLE_IO_URING_SQPOLL: libc::c_ulong = 0x4;

/// Loop state that libuv's struct has no field for.
pub struct LoopInner {
    /// fd -> watcher registered for it (NULL when none).
    pub watchers: Vec<*mut uv__io_t>,
    /// The batch of events being dispatched, and how far dispatch got (for invalidation).
    pub events: Vec<libc::epoll_event>,
    pub nevents: usize,
    pub dispatch_index: usize,
    /// Active timers, a binary min-heap ordered by (timeout, start_id).
    pub timers: Vec<*mut uv_timer_t>,
    /// Timers that are due and about to run (linked through `timer->node.queue`).
    pub timer_ready: uv__queue,
    /// Handles of a phase (idle, prepare, check, async) still to run in this pass.
    pub phase_scratch: [uv__queue; 4],
    /// Metrics.
    pub idle_time_enabled: bool,
    pub idle_time: u64,
    pub loop_count: u64,
    pub events_count: u64,
    pub events_waiting: u64,
    pub current_timeout: c_int,
}

/// The loop's inner state.
///
/// Callers hold a live, initialized loop; the returned reference must not be kept across a
/// callback into the program (which may close the loop).
#[allow(clippy::mut_from_ref)]
#[inline]
pub unsafe fn inner<'a>(l: *mut uv_loop_t) -> &'a mut LoopInner {
    // SAFETY: internal_fields is set by uv_loop_init to a leaked Box<LoopInner> and stays
    // valid until uv_loop_close.
    unsafe { &mut *((*l).internal_fields as *mut LoopInner) }
}

pub unsafe fn update_time(l: *mut uv_loop_t) {
    // SAFETY: l is a live loop.
    unsafe { (*l).time = crate::time::hrtime() / 1_000_000 };
}

#[no_mangle]
pub extern "C" fn uv_loop_size() -> usize {
    core::mem::size_of::<uv_loop_t>()
}

#[no_mangle]
pub unsafe extern "C" fn uv_loop_get_data(r#loop: *const uv_loop_t) -> *mut c_void {
    // SAFETY: a non-NULL loop points to a uv_loop_t (caller's contract).
    match unsafe { r#loop.as_ref() } {
        Some(l) => l.data,
        None => ptr::null_mut(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_loop_set_data(r#loop: *mut uv_loop_t, data: *mut c_void) {
    // SAFETY: as above; `data` is the program's field.
    if let Some(l) = unsafe { r#loop.as_mut() } {
        l.data = data;
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_loop_init(r#loop: *mut uv_loop_t) -> c_int {
    let l = r#loop;
    if l.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: l points to writable uv_loop_t memory the program owns.
    unsafe {
        let data = (*l).data;
        ptr::write_bytes(l, 0, 1);
        (*l).data = data;

        let fd = libc::epoll_create1(libc::EPOLL_CLOEXEC);
        if fd < 0 {
            return crate::error::last_error();
        }
        (*l).backend_fd = fd;

        let empty = uv__queue {
            next: ptr::null_mut(),
            prev: ptr::null_mut(),
        };
        let li = Box::new(LoopInner {
            watchers: Vec::new(),
            events: Vec::new(),
            nevents: 0,
            dispatch_index: 0,
            timers: Vec::new(),
            timer_ready: empty,
            phase_scratch: [empty; 4],
            idle_time_enabled: false,
            idle_time: 0,
            loop_count: 0,
            events_count: 0,
            events_waiting: 0,
            current_timeout: 0,
        });
        let li = Box::into_raw(li);
        queue::init(&mut (*li).timer_ready);
        for q in (*li).phase_scratch.iter_mut() {
            queue::init(q);
        }
        (*l).internal_fields = li as *mut c_void;

        for q in [
            &mut (*l).handle_queue,
            &mut (*l).pending_queue,
            &mut (*l).watcher_queue,
            &mut (*l).wq,
            &mut (*l).process_handles,
            &mut (*l).prepare_handles,
            &mut (*l).check_handles,
            &mut (*l).idle_handles,
            &mut (*l).async_handles,
        ] {
            queue::init(q);
        }
        (*l).closing_handles = ptr::null_mut();
        (*l).async_io_watcher.fd = -1;
        (*l).async_wfd = -1;
        (*l).signal_pipefd = [-1, -1];
        (*l).signal_io_watcher.fd = -1;
        (*l).emfile_fd = -1;
        (*l).inotify_fd = -1;
        (*l).inotify_read_watcher.fd = -1;
        update_time(l);

        // The child watcher is an internal, unreferenced signal handle, as in libuv (it is
        // started by the process module when the loop first spawns a child).
        let cw = &mut (*l).child_watcher as *mut uv_signal_t as *mut uv_handle_t;
        handle::init(l, cw, UV_SIGNAL);
        handle::add_flags(cw, Flags::INTERNAL);
        uv_unref(cw);

        libc::pthread_rwlock_init(&mut (*l).cloexec_lock, ptr::null());
        libc::pthread_mutex_init(&mut (*l).wq_mutex, ptr::null());

        // Threadpool completions arrive through an internal async handle.
        let err = crate::r#async::uv_async_init(
            l,
            &mut (*l).wq_async,
            Some(crate::threadpool::work_done),
        );
        if err != 0 {
            close_resources(l);
            return err;
        }
        let wa = &mut (*l).wq_async as *mut uv_async_t as *mut uv_handle_t;
        uv_unref(wa);
        handle::add_flags(wa, Flags::INTERNAL);
    }
    0
}

use crate::handle::uv_unref;

/// Releases everything uv_loop_init acquired.
unsafe fn close_resources(l: *mut uv_loop_t) {
    // SAFETY: l is an initialized loop with no live program handles.
    unsafe {
        // Unlist the loop's signal handles (the child watcher) from the process-wide
        // signal handler before the pipe it writes to goes away.
        crate::signal::loop_close(l);
        crate::r#async::loop_close(l);
        for fd in [(*l).backend_fd, (*l).emfile_fd, (*l).inotify_fd] {
            if fd >= 0 {
                libc::close(fd);
            }
        }
        for fd in (*l).signal_pipefd {
            if fd >= 0 {
                libc::close(fd);
            }
        }
        (*l).backend_fd = -1;
        (*l).emfile_fd = -1;
        (*l).inotify_fd = -1;
        (*l).signal_pipefd = [-1, -1];
        libc::pthread_mutex_destroy(&mut (*l).wq_mutex);
        libc::pthread_rwlock_destroy(&mut (*l).cloexec_lock);
        if !(*l).internal_fields.is_null() {
            drop(Box::from_raw((*l).internal_fields as *mut LoopInner));
            (*l).internal_fields = ptr::null_mut();
        }
        (*l).nwatchers = 0;
        (*l).nfds = 0;
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_loop_close(r#loop: *mut uv_loop_t) -> c_int {
    let l = r#loop;
    // SAFETY: l is NULL or a loop the program initialized.
    unsafe {
        if l.is_null() || (*l).internal_fields.is_null() {
            return UV_EINVAL;
        }
        if (*l).active_reqs.count != 0 {
            return UV_EBUSY;
        }
        let head: *mut uv__queue = &mut (*l).handle_queue;
        let mut q = queue::head(head);
        while q != head {
            let h = container_of!(q, uv_handle_t, handle_queue);
            if !handle::flags(h).contains(Flags::INTERNAL) {
                return UV_EBUSY;
            }
            q = queue::next(q);
        }
        close_resources(l);
        if DEFAULT_LOOP.load(Ordering::Acquire) == l {
            DEFAULT_LOOP.store(ptr::null_mut(), Ordering::Release);
        }
    }
    0
}

/// Storage of the default loop (created by the first uv_default_loop call).
struct DefaultLoopStorage(core::cell::UnsafeCell<core::mem::MaybeUninit<uv_loop_t>>);
// SAFETY: libuv's default loop is used from one thread at a time (its contract).
unsafe impl Sync for DefaultLoopStorage {}
static DEFAULT_LOOP_STORAGE: DefaultLoopStorage =
    DefaultLoopStorage(core::cell::UnsafeCell::new(core::mem::MaybeUninit::zeroed()));
static DEFAULT_LOOP: AtomicPtr<uv_loop_t> = AtomicPtr::new(ptr::null_mut());

#[no_mangle]
pub extern "C" fn uv_default_loop() -> *mut uv_loop_t {
    let l = DEFAULT_LOOP.load(Ordering::Acquire);
    if !l.is_null() {
        return l;
    }
    let storage = DEFAULT_LOOP_STORAGE.0.get() as *mut uv_loop_t;
    // SAFETY: the static storage is a valid uv_loop_t-sized buffer.
    if unsafe { uv_loop_init(storage) } != 0 {
        return ptr::null_mut();
    }
    DEFAULT_LOOP.store(storage, Ordering::Release);
    storage
}

/// uv_library_shutdown: closes the default loop if it exists and holds nothing of the
/// program's. Only memory inside the loop struct is read: a handle the program left
/// registered may live in memory that is gone, so finding any node outside the loop struct
/// is enough to leave the loop alone.
pub fn close_default_if_quiescent() {
    let l = DEFAULT_LOOP.load(Ordering::Acquire);
    if l.is_null() {
        return;
    }
    let start = l as usize;
    let end = start + core::mem::size_of::<uv_loop_t>();
    // SAFETY: l is the initialized default loop (static storage); only nodes inside it
    // (its internal handles) are followed.
    unsafe {
        if (*l).active_reqs.count != 0 || !(*l).closing_handles.is_null() {
            return;
        }
        let head: *mut uv__queue = &mut (*l).handle_queue;
        let mut q = queue::head(head);
        while q != head {
            if !(start..end).contains(&(q as usize)) {
                return; // a program handle
            }
            q = queue::next(q);
        }
        uv_loop_close(l);
    }
}

#[no_mangle]
pub extern "C" fn uv_loop_new() -> *mut uv_loop_t {
    let l = crate::alloc::malloc(core::mem::size_of::<uv_loop_t>()) as *mut uv_loop_t;
    if l.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: l is a fresh allocation of the right size.
    unsafe {
        (*l).data = ptr::null_mut();
        if uv_loop_init(l) != 0 {
            crate::alloc::free(l as *mut c_void);
            return ptr::null_mut();
        }
    }
    l
}

#[no_mangle]
pub unsafe extern "C" fn uv_loop_delete(r#loop: *mut uv_loop_t) {
    let l = r#loop;
    if l.is_null() {
        return;
    }
    let default = DEFAULT_LOOP.load(Ordering::Acquire);
    // SAFETY: l was made by uv_loop_new (or is the default loop, which is static).
    unsafe {
        // libuv aborts when the loop is busy; we leave it alive instead of freeing memory
        // that live handles still point to.
        if uv_loop_close(l) != 0 {
            return;
        }
        if l != default && l as *mut u8 != DEFAULT_LOOP_STORAGE.0.get() as *mut u8 {
            crate::alloc::free(l as *mut c_void);
        }
    }
}

/// Whether the loop has anything to do: active referenced handles, active requests,
/// pending callbacks or handles being closed.
pub unsafe fn alive(l: *const uv_loop_t) -> bool {
    // SAFETY: l is a live loop.
    unsafe {
        (*l).active_handles > 0
            || (*l).active_reqs.count > 0
            || !queue::is_empty(&(*l).pending_queue)
            || !(*l).closing_handles.is_null()
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_loop_alive(r#loop: *const uv_loop_t) -> c_int {
    if r#loop.is_null() {
        return 0;
    }
    // SAFETY: a loop the program initialized.
    unsafe { alive(r#loop) as c_int }
}

/// How long the next poll may block: 0 when something is waiting to run, the time to the
/// nearest timer otherwise, -1 (forever) with no timer.
unsafe fn backend_timeout(l: *const uv_loop_t) -> c_int {
    // SAFETY: l is a live loop.
    unsafe {
        if (*l).stop_flag == 0
            && ((*l).active_handles > 0 || (*l).active_reqs.count > 0)
            && queue::is_empty(&(*l).pending_queue)
            && queue::is_empty(&(*l).idle_handles)
            && (*l).closing_handles.is_null()
        {
            crate::timer::next_timeout(l as *mut uv_loop_t)
        } else {
            0
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_backend_timeout(r#loop: *const uv_loop_t) -> c_int {
    // SAFETY: a non-NULL loop is one the program initialized.
    if r#loop.is_null() || unsafe { (*r#loop).internal_fields.is_null() } {
        return 0;
    }
    // SAFETY: a loop the program initialized.
    unsafe {
        // Interest changes not yet given to the kernel: the program must call uv_run before
        // polling the backend fd itself, so it must not block.
        if !queue::is_empty(&(*r#loop).watcher_queue) {
            return 0;
        }
        backend_timeout(r#loop)
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_backend_fd(r#loop: *const uv_loop_t) -> c_int {
    if r#loop.is_null() {
        return -1;
    }
    // SAFETY: a loop the program initialized.
    unsafe { (*r#loop).backend_fd }
}

#[no_mangle]
pub unsafe extern "C" fn uv_now(r#loop: *const uv_loop_t) -> u64 {
    if r#loop.is_null() {
        return 0;
    }
    // SAFETY: a loop the program initialized.
    unsafe { (*r#loop).time }
}

#[no_mangle]
pub unsafe extern "C" fn uv_update_time(r#loop: *mut uv_loop_t) {
    if !r#loop.is_null() {
        // SAFETY: a loop the program initialized.
        unsafe { update_time(r#loop) }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_stop(r#loop: *mut uv_loop_t) {
    if !r#loop.is_null() {
        // SAFETY: a loop the program initialized.
        unsafe { (*r#loop).stop_flag = 1 }
    }
}

/// uv_loop_configure is variadic in C (`int uv_loop_configure(uv_loop_t*, uv_loop_option,
/// ...)`), which stable Rust cannot define. Its only variadic argument is an `int` (the
/// signal of UV_LOOP_BLOCK_SIGNAL), and on x86_64 System V a variadic `int` is passed in the
/// same register as a third named `int` parameter, so this definition receives it.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[no_mangle]
pub unsafe extern "C" fn uv_loop_configure(
    r#loop: *mut uv_loop_t,
    option: uv_loop_option,
    arg: c_int,
) -> c_int {
    let l = r#loop;
    if l.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: a loop the program initialized.
    unsafe {
        if (*l).internal_fields.is_null() {
            return UV_EINVAL;
        }
        match option {
            UV_METRICS_IDLE_TIME => {
                inner(l).idle_time_enabled = true;
                0
            }
            UV_LOOP_USE_IO_URING_SQPOLL => {
                (*l).flags |= LOOP_ENABLE_IO_URING_SQPOLL;
                0
            }
            UV_LOOP_BLOCK_SIGNAL => {
                if arg != libc::SIGPROF {
                    return UV_EINVAL;
                }
                (*l).flags |= LOOP_BLOCK_SIGPROF;
                0
            }
            _ => UV_ENOSYS,
        }
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn uv_run(r#loop: *mut uv_loop_t, mode: uv_run_mode) -> c_int {
    let l = r#loop;
    // SAFETY: a loop the program initialized; every phase keeps it consistent.
    unsafe {
        if l.is_null() || (*l).internal_fields.is_null() {
            return 0;
        }
        let mut r = alive(l);
        if !r {
            update_time(l);
        }
        // Due timers run once before the first iteration in UV_RUN_DEFAULT (libuv keeps this
        // for compatibility).
        if mode == UV_RUN_DEFAULT && r && (*l).stop_flag == 0 {
            update_time(l);
            crate::timer::run_timers(l);
        }
        while r && (*l).stop_flag == 0 {
            let can_sleep =
                queue::is_empty(&(*l).pending_queue) && queue::is_empty(&(*l).idle_handles);
            crate::io::run_pending(l);
            crate::loop_watcher::run_idle(l);
            crate::loop_watcher::run_prepare(l);
            let timeout = if (mode == UV_RUN_ONCE && can_sleep) || mode == UV_RUN_DEFAULT {
                backend_timeout(l)
            } else {
                0
            };
            inner(l).loop_count += 1;
            crate::io::poll(l, timeout);
            // Callbacks queued during the poll (e.g. write callbacks) run now, a bounded
            // number of rounds so they cannot starve the loop.
            let mut rounds = 0;
            while rounds < 8 && !queue::is_empty(&(*l).pending_queue) {
                crate::io::run_pending(l);
                rounds += 1;
            }
            crate::loop_watcher::run_check(l);
            handle::run_closing_handles(l);
            update_time(l);
            crate::timer::run_timers(l);
            r = alive(l);
            if mode == UV_RUN_ONCE || mode == UV_RUN_NOWAIT {
                break;
            }
        }
        // A stop request ends this run only.
        if (*l).stop_flag != 0 {
            (*l).stop_flag = 0;
        }
        r as c_int
    }
}

#[no_mangle]
pub unsafe extern "C-unwind" fn uv_walk(
    r#loop: *mut uv_loop_t,
    walk_cb: uv_walk_cb,
    arg: *mut c_void,
) {
    let l = r#loop;
    let Some(cb) = walk_cb else { return };
    if l.is_null() {
        return;
    }
    // SAFETY: a live loop; handles stay linked while we walk a private copy of the list.
    unsafe {
        let mut local = uv__queue {
            next: ptr::null_mut(),
            prev: ptr::null_mut(),
        };
        let lq: *mut uv__queue = &mut local;
        queue::move_to(&mut (*l).handle_queue, lq);
        let guard = crate::unwind::OnUnwind::new((lq, l), |(lq, l)| {
            queue::prepend(lq, &mut (*l).handle_queue)
        });
        while !queue::is_empty(lq) {
            let q = queue::head(lq);
            queue::remove(q);
            queue::insert_tail(&mut (*l).handle_queue, q);
            let h = container_of!(q, uv_handle_t, handle_queue);
            if handle::flags(h).contains(Flags::INTERNAL) {
                continue;
            }
            cb(h, arg);
        }
        guard.disarm();
    }
}

extern "C" {
    static mut stderr: *mut libc::FILE;
}

unsafe fn print_handles(l: *mut uv_loop_t, only_active: bool, stream: *mut libc::FILE) {
    // SAFETY: l is a live loop; stream is a FILE* from the program or stderr.
    unsafe {
        let l = if l.is_null() { uv_default_loop() } else { l };
        if l.is_null() {
            return;
        }
        let stream = if stream.is_null() { stderr } else { stream };
        let head: *mut uv__queue = &mut (*l).handle_queue;
        let mut q = queue::head(head);
        while q != head {
            let h = container_of!(q, uv_handle_t, handle_queue);
            q = queue::next(q);
            let f = handle::flags(h);
            if only_active && !f.contains(Flags::ACTIVE) {
                continue;
            }
            let name = crate::handle::uv_handle_type_name((*h).r#type);
            let name = if name.is_null() || (*h).r#type == UV_FILE {
                c"<unknown>".as_ptr()
            } else {
                name
            };
            libc::fprintf(
                stream,
                c"[%c%c%c] %-8s %p\n".as_ptr(),
                if f.contains(Flags::REF) { b'R' } else { b'-' } as c_int,
                if f.contains(Flags::ACTIVE) {
                    b'A'
                } else {
                    b'-'
                } as c_int,
                if f.contains(Flags::INTERNAL) {
                    b'I'
                } else {
                    b'-'
                } as c_int,
                name,
                h as *mut c_void,
            );
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_print_all_handles(r#loop: *mut uv_loop_t, stream: *mut libc::FILE) {
    // SAFETY: see print_handles.
    unsafe { print_handles(r#loop, false, stream) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_print_active_handles(r#loop: *mut uv_loop_t, stream: *mut libc::FILE) {
    // SAFETY: see print_handles.
    unsafe { print_handles(r#loop, true, stream) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_metrics_idle_time(r#loop: *mut uv_loop_t) -> u64 {
    if r#loop.is_null() {
        return 0;
    }
    // SAFETY: a loop the program initialized.
    unsafe {
        if (*r#loop).internal_fields.is_null() {
            return 0;
        }
        inner(r#loop).idle_time
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_metrics_info(
    r#loop: *mut uv_loop_t,
    metrics: *mut uv_metrics_t,
) -> c_int {
    if r#loop.is_null() || metrics.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: a loop the program initialized; metrics is the program's struct.
    unsafe {
        if (*r#loop).internal_fields.is_null() {
            return UV_EINVAL;
        }
        let li = inner(r#loop);
        (*metrics).loop_count = li.loop_count;
        (*metrics).events = li.events_count;
        (*metrics).events_waiting = li.events_waiting;
    }
    0
}
