//! The threadpool: uv_queue_work, uv_cancel, and the work queue that fs, DNS and random
//! requests use.
//!
//! Work items are `struct uv__work` nodes embedded in the program's requests, queued on one
//! process-wide queue. Threads start on first use (`UV_THREADPOOL_SIZE`, default 4, clamped
//! to 1..=1024). Slow I/O work (e.g. DNS) waits in its own queue behind a single marker node
//! in the main queue, so it never occupies more than half of the threads and fast work keeps
//! flowing. A finished item goes onto its loop's `wq` (under `loop->wq_mutex`) and the
//! loop's internal `wq_async` handle wakes the loop, which runs the done callbacks.
//!
//! Raw pointers: queue nodes are only touched with the pool mutex held (pool queues) or the
//! loop's wq_mutex held (loop->wq); a node is on at most one queue at a time.

use crate::abi::*;
use crate::queue::{self, container_of};
use core::ffi::c_int;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

/// What kind of work an item is; slow I/O is throttled to half of the threads.
#[derive(Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)]
pub enum WorkKind {
    Cpu,
    FastIo,
    SlowIo,
}

const MAX_THREADPOOL_SIZE: usize = 1024;
const DEFAULT_THREADPOOL_SIZE: usize = 4;

struct Pool {
    /// Work ready to run (and the slow-I/O marker and the exit message, when queued).
    wq: uv__queue,
    /// Slow I/O work waiting for its turn.
    slow_io_pending: uv__queue,
    /// Marker standing in `wq` for "a slow I/O item may run".
    run_slow_work_message: uv__queue,
    /// Queued at shutdown; every thread that sees it exits (it stays in the queue).
    exit_message: uv__queue,
    idle_threads: usize,
    /// Sleeping workers already woken but not yet running: they need no second wakeup
    /// (std's notify_one always enters the kernel, so avoid the useless ones).
    signalled: usize,
    slow_io_running: usize,
    nthreads: usize,
    /// Plain pthreads, as libuv's: no Rust thread bookkeeping to strand in a forked child.
    threads: Vec<uv_thread_t>,
    initialized: bool,
}

// SAFETY: the raw queue pointers are only dereferenced with the mutex held.
unsafe impl Send for Pool {}

struct Shared {
    pool: Mutex<Pool>,
    cond: Condvar,
}

fn new_shared() -> Shared {
    Shared {
        pool: Mutex::new(Pool {
            wq: uv__queue {
                next: ptr::null_mut(),
                prev: ptr::null_mut(),
            },
            slow_io_pending: uv__queue {
                next: ptr::null_mut(),
                prev: ptr::null_mut(),
            },
            run_slow_work_message: uv__queue {
                next: ptr::null_mut(),
                prev: ptr::null_mut(),
            },
            exit_message: uv__queue {
                next: ptr::null_mut(),
                prev: ptr::null_mut(),
            },
            idle_threads: 0,
            signalled: 0,
            slow_io_running: 0,
            nthreads: 0,
            threads: Vec::new(),
            initialized: false,
        }),
        cond: Condvar::new(),
    }
}

/// The pool, created on first use. After fork the child starts with no pool (see
/// `atfork_child`): the parent's threads do not exist there and its mutex may be held.
static SHARED: AtomicPtr<Shared> = AtomicPtr::new(ptr::null_mut());

fn shared() -> &'static Shared {
    let p = SHARED.load(Ordering::Acquire);
    if !p.is_null() {
        // SAFETY: a published pool is leaked, never freed.
        return unsafe { &*p };
    }
    let fresh = Box::into_raw(Box::new(new_shared()));
    match SHARED.compare_exchange(ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => {
            static ATFORK: std::sync::Once = std::sync::Once::new();
            ATFORK.call_once(|| {
                // SAFETY: registers a plain function that only stores a pointer.
                unsafe { libc::pthread_atfork(None, None, Some(atfork_child)) };
            });
            // SAFETY: just published; leaked.
            unsafe { &*fresh }
        }
        Err(existing) => {
            // SAFETY: fresh was never shared; existing is a published (leaked) pool.
            unsafe {
                drop(Box::from_raw(fresh));
                &*existing
            }
        }
    }
}

/// In the child after fork: forget the parent's pool (its threads are gone and its mutex
/// may be held), so the next submission starts a fresh one, as libuv does. The old pool is
/// leaked; only an atomic store, so this is safe in children that go on to exec.
extern "C" fn atfork_child() {
    // The old pool stays reachable (not freed: its mutex may be held by a thread that no
    // longer exists), so leak checkers see it as still reachable rather than lost.
    ORPHANED.store(
        SHARED.swap(ptr::null_mut(), Ordering::AcqRel),
        Ordering::Release,
    );
}

/// The pool a forked child inherited and abandoned (see `atfork_child`).
// Only ever written: #[used] keeps the optimizer from deleting it (and with it the
// reference that keeps the old pool reachable).
#[used]
static ORPHANED: AtomicPtr<Shared> = AtomicPtr::new(ptr::null_mut());

/// A pool thread's entry point (named like libuv's workers). Created with pthread_create
/// directly: nothing is allocated per thread, so nothing can be stranded by a fork that
/// happens before a new thread runs.
extern "C" fn worker_entry(_arg: *mut core::ffi::c_void) -> *mut core::ffi::c_void {
    // SAFETY: a static NUL-terminated name; naming the calling thread.
    unsafe { libc::pthread_setname_np(libc::pthread_self(), c"libuv-worker".as_ptr()) };
    worker();
    ptr::null_mut()
}

/// Starts one pool thread with an 8 MiB stack (libuv's size); 0 or an errno.
fn spawn_worker(tid: &mut uv_thread_t) -> c_int {
    // SAFETY: attr is initialized before use and destroyed after; tid is valid storage.
    unsafe {
        let mut attr: libc::pthread_attr_t = core::mem::zeroed();
        if libc::pthread_attr_init(&mut attr) != 0 {
            return libc::ENOMEM;
        }
        libc::pthread_attr_setstacksize(&mut attr, 8 << 20);
        let err = libc::pthread_create(tid, &attr, worker_entry, ptr::null_mut());
        libc::pthread_attr_destroy(&mut attr);
        err
    }
}

fn lock() -> MutexGuard<'static, Pool> {
    match shared().pool.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl Pool {
    /// Wakes one sleeping worker, unless every sleeping worker is already being woken.
    fn wake_one(&mut self) {
        if self.idle_threads > self.signalled {
            self.signalled += 1;
            shared().cond.notify_one();
        }
    }

    fn slow_io_threshold(&self) -> usize {
        self.nthreads.div_ceil(2)
    }

    /// Whether a worker has nothing it may run now.
    unsafe fn nothing_to_run(&mut self) -> bool {
        // SAFETY: mutex held; the queue heads are initialized.
        unsafe {
            if queue::is_empty(&self.wq) {
                return true;
            }
            // Only the slow-I/O marker is queued, and slow I/O is at its limit.
            let marker: *mut uv__queue = &mut self.run_slow_work_message;
            queue::head(&self.wq) == marker
                && ptr::eq(queue::next(marker), &self.wq)
                && self.slow_io_running >= self.slow_io_threshold()
        }
    }
}

/// The number of threads from UV_THREADPOOL_SIZE, read as libuv reads it: C's atoi (leading
/// blanks, a sign, digits; anything after is ignored), 0 meaning 1, and the value taken as
/// unsigned, so anything above 1024 (negative numbers included) means 1024.
fn threadpool_size() -> usize {
    let Ok(v) = std::env::var("UV_THREADPOOL_SIZE") else {
        return DEFAULT_THREADPOOL_SIZE;
    };
    // libuv reads the value into a 16-byte buffer: a longer one is ignored.
    if v.len() >= 16 {
        return DEFAULT_THREADPOOL_SIZE;
    }
    let n = atoi(v.as_bytes()) as u32 as usize;
    n.clamp(1, MAX_THREADPOOL_SIZE)
}

/// C's atoi: wrapping on overflow like the common implementations.
fn atoi(s: &[u8]) -> i32 {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let neg = i < s.len() && s[i] == b'-';
    if i < s.len() && (s[i] == b'-' || s[i] == b'+') {
        i += 1;
    }
    let mut n: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        n = (n * 10 + (s[i] - b'0') as i64) & 0xffff_ffff_ffff;
        i += 1;
    }
    (if neg { -n } else { n }) as i32
}

/// Starts the threads on first use (with the pool locked).
fn ensure_started(p: &mut Pool) {
    if p.initialized {
        return;
    }
    p.initialized = true;
    // SAFETY: the pool lives in a static; its queue heads never move.
    unsafe {
        queue::init(&mut p.wq);
        queue::init(&mut p.slow_io_pending);
        queue::init(&mut p.run_slow_work_message);
        queue::init(&mut p.exit_message);
    }
    let n = threadpool_size();
    p.nthreads = n;
    for i in 0..n {
        let mut tid: uv_thread_t = 0;
        let err = spawn_worker(&mut tid);
        if err == 0 {
            p.threads.push(tid);
        } else if i > 0 {
            p.nthreads = i;
            break;
        } else {
            // Not even one thread: work would never run, which libuv treats as fatal.
            std::process::abort();
        }
    }
}

/// Queues `q` for a worker.
unsafe fn post(p: &mut Pool, mut q: *mut uv__queue, kind: WorkKind) {
    // SAFETY: mutex held; q is an unlinked node in a live request.
    unsafe {
        if kind == WorkKind::SlowIo {
            queue::insert_tail(&mut p.slow_io_pending, q);
            if !queue::is_empty(&p.run_slow_work_message) {
                return; // The marker is already queued; it will pick this up.
            }
            q = &mut p.run_slow_work_message;
        }
        queue::insert_tail(&mut p.wq, q);
        p.wake_one();
    }
}

fn worker() {
    let sh = shared();
    let mut p = lock();
    loop {
        // SAFETY: every queue access below happens with the pool mutex held (p is the
        // guard); nodes belong to live requests until their done callback runs.
        unsafe {
            while p.nothing_to_run() {
                p.idle_threads += 1;
                p = match sh.cond.wait(p) {
                    Ok(g) => g,
                    Err(e) => e.into_inner(),
                };
                p.idle_threads -= 1;
                p.signalled = p.signalled.saturating_sub(1);
            }
            let mut q = queue::head(&p.wq);
            if ptr::eq(q, &p.exit_message) {
                // Leave the message queued for the other threads.
                sh.cond.notify_one();
                return;
            }
            queue::remove(q);
            queue::init(q);
            let mut is_slow = false;
            if ptr::eq(q, &p.run_slow_work_message) {
                if p.slow_io_running >= p.slow_io_threshold() {
                    queue::insert_tail(&mut p.wq, q);
                    continue;
                }
                if queue::is_empty(&p.slow_io_pending) {
                    continue;
                }
                is_slow = true;
                p.slow_io_running += 1;
                q = queue::head(&p.slow_io_pending);
                queue::remove(q);
                queue::init(q);
                // More slow work: queue the marker again for another thread.
                if !queue::is_empty(&p.slow_io_pending) {
                    let marker: *mut uv__queue = &mut p.run_slow_work_message;
                    queue::insert_tail(&mut p.wq, marker);
                    p.wake_one();
                }
            }
            drop(p);

            let w = container_of!(q, uv__work, wq);
            if let Some(work) = (*w).work {
                work(w);
            }
            complete(w);

            p = lock();
            if is_slow {
                p.slow_io_running -= 1;
            }
        }
    }
}

/// Hands a finished (or cancelled) item to its loop and wakes the loop.
unsafe fn complete(w: *mut uv__work) {
    // SAFETY: w is a live work item; its loop outlives its pending requests.
    unsafe {
        let l = (*w).r#loop;
        libc::pthread_mutex_lock(&mut (*l).wq_mutex);
        (*w).work = None; // "done": uv_cancel now answers UV_EBUSY
        queue::insert_tail(&mut (*l).wq, &mut (*w).wq);
        crate::r#async::uv_async_send(&mut (*l).wq_async);
        libc::pthread_mutex_unlock(&mut (*l).wq_mutex);
    }
}

/// Submits a work item (used by uv_queue_work and by fs/DNS/random requests).
pub unsafe fn submit(
    l: *mut uv_loop_t,
    w: *mut uv__work,
    kind: WorkKind,
    work: unsafe extern "C-unwind" fn(*mut uv__work),
    done: unsafe extern "C-unwind" fn(*mut uv__work, c_int),
) {
    // SAFETY: w is embedded in a live request registered on the live loop l.
    unsafe {
        (*w).r#loop = l;
        (*w).work = Some(work);
        (*w).done = Some(done);
        let mut p = lock();
        ensure_started(&mut p);
        post(&mut p, &mut (*w).wq, kind);
    }
}

/// The marker work function of a cancelled item. It is never called (a cancelled item goes
/// straight to its loop); its body only keeps it distinct from every other function.
unsafe extern "C-unwind" fn cancelled(_w: *mut uv__work) {
    std::process::abort()
}

/// Cancels an item that has not started: its done callback gets UV_ECANCELED.
pub unsafe fn cancel(l: *mut uv_loop_t, w: *mut uv__work) -> c_int {
    // SAFETY: w is embedded in a live request of loop l; both mutexes are held while the
    // node's queue membership is read and changed.
    unsafe {
        let was_queued = {
            let _pool = lock();
            libc::pthread_mutex_lock(&mut (*(*w).r#loop).wq_mutex);
            let queued = !queue::is_empty(&(*w).wq) && (*w).work.is_some();
            if queued {
                queue::remove(&mut (*w).wq);
                queue::init(&mut (*w).wq);
            }
            libc::pthread_mutex_unlock(&mut (*(*w).r#loop).wq_mutex);
            queued
        };
        if !was_queued {
            return UV_EBUSY;
        }
        (*w).work = Some(cancelled);
        libc::pthread_mutex_lock(&mut (*l).wq_mutex);
        queue::insert_tail(&mut (*l).wq, &mut (*w).wq);
        crate::r#async::uv_async_send(&mut (*l).wq_async);
        libc::pthread_mutex_unlock(&mut (*l).wq_mutex);
    }
    0
}

/// The loop's wq_async callback: runs the done callbacks of finished items.
pub unsafe extern "C-unwind" fn work_done(handle: *mut uv_async_t) {
    // SAFETY: handle is loop->wq_async of a live loop.
    unsafe {
        let l = (*handle).r#loop;
        let mut local = uv__queue {
            next: ptr::null_mut(),
            prev: ptr::null_mut(),
        };
        let lq: *mut uv__queue = &mut local;
        libc::pthread_mutex_lock(&mut (*l).wq_mutex);
        queue::move_to(&mut (*l).wq, lq);
        libc::pthread_mutex_unlock(&mut (*l).wq_mutex);
        // If a callback unwinds, the rest go back to the loop's queue and the loop is woken
        // to finish them.
        let guard = crate::unwind::OnUnwind::new((lq, l), |(lq, l)| {
            libc::pthread_mutex_lock(&mut (*l).wq_mutex);
            queue::prepend(lq, &mut (*l).wq);
            crate::r#async::uv_async_send(&mut (*l).wq_async);
            libc::pthread_mutex_unlock(&mut (*l).wq_mutex);
        });
        let mut n = 0u64;
        while !queue::is_empty(lq) {
            let q = queue::head(lq);
            queue::remove(q);
            queue::init(q);
            let w = container_of!(q, uv__work, wq);
            let was_cancelled = (*w).work.map(|f| f as *const ()) == Some(cancelled as *const ());
            (*w).work = None;
            let status = if was_cancelled { UV_ECANCELED } else { 0 };
            if let Some(done) = (*w).done {
                done(w, status);
            }
            n += 1;
        }
        guard.disarm();
        // The wakeup itself counted as one event; count the others.
        if n > 1 {
            let li = crate::r#loop::inner(l);
            li.events_count += n - 1;
            if li.current_timeout == 0 {
                li.events_waiting += n - 1;
            }
        }
    }
}

/// Stops and joins the threads (uv_library_shutdown).
pub fn shutdown() {
    let threads = {
        let mut p = lock();
        if !p.initialized || p.threads.is_empty() {
            return;
        }
        // SAFETY: mutex held; the exit message is a node in the static pool.
        unsafe {
            let m: *mut uv__queue = &mut p.exit_message;
            post(&mut p, m, WorkKind::Cpu);
        }
        shared().cond.notify_all();
        std::mem::take(&mut p.threads)
    };
    for t in threads {
        // SAFETY: t is a joinable pool thread created by spawn_worker.
        unsafe { libc::pthread_join(t, ptr::null_mut()) };
    }
    let mut p = lock();
    // SAFETY: mutex held; every thread is gone.
    unsafe {
        queue::remove(&mut p.exit_message);
        queue::init(&mut p.exit_message);
    }
    p.nthreads = 0;
}

// ---- uv_queue_work / uv_cancel ----

unsafe extern "C-unwind" fn queue_work_run(w: *mut uv__work) {
    // SAFETY: w is the work_req of a live uv_work_t.
    unsafe {
        let req = container_of!(w, uv_work_t, work_req);
        if let Some(cb) = (*req).work_cb {
            cb(req);
        }
    }
}

unsafe extern "C-unwind" fn queue_work_done(w: *mut uv__work, status: c_int) {
    // SAFETY: w is the work_req of a live uv_work_t registered on its loop.
    unsafe {
        let req = container_of!(w, uv_work_t, work_req);
        crate::req::unregister((*req).r#loop, req as *mut uv_req_t);
        if let Some(cb) = (*req).after_work_cb {
            cb(req, status);
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_queue_work(
    r#loop: *mut uv_loop_t,
    req: *mut uv_work_t,
    work_cb: uv_work_cb,
    after_work_cb: uv_after_work_cb,
) -> c_int {
    let l = r#loop;
    if l.is_null() || req.is_null() || work_cb.is_none() {
        return UV_EINVAL;
    }
    // SAFETY: an initialized loop and the program's request memory.
    unsafe {
        crate::req::init(l, req as *mut uv_req_t, UV_WORK);
        (*req).r#loop = l;
        (*req).work_cb = work_cb;
        (*req).after_work_cb = after_work_cb;
        submit(
            l,
            &mut (*req).work_req,
            WorkKind::Cpu,
            queue_work_run,
            queue_work_done,
        );
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_cancel(req: *mut uv_req_t) -> c_int {
    if req.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: the program passes a request it submitted; we only look at the types that
    // carry a work item.
    unsafe {
        let (l, w) = match (*req).r#type {
            UV_WORK => {
                let r = req as *mut uv_work_t;
                ((*r).r#loop, &mut (*r).work_req as *mut uv__work)
            }
            UV_FS => {
                let r = req as *mut uv_fs_t;
                ((*r).r#loop, &mut (*r).work_req as *mut uv__work)
            }
            UV_GETADDRINFO => {
                let r = req as *mut uv_getaddrinfo_t;
                ((*r).r#loop, &mut (*r).work_req as *mut uv__work)
            }
            UV_GETNAMEINFO => {
                let r = req as *mut uv_getnameinfo_t;
                ((*r).r#loop, &mut (*r).work_req as *mut uv__work)
            }
            UV_RANDOM => {
                let r = req as *mut uv_random_t;
                ((*r).r#loop, &mut (*r).work_req as *mut uv__work)
            }
            _ => return UV_EINVAL,
        };
        if l.is_null() || (*w).r#loop.is_null() {
            return UV_EINVAL;
        }
        cancel(l, w)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn atoi_like_c() {
        assert_eq!(super::atoi(b"  12junk"), 12);
        assert_eq!(super::atoi(b"junk"), 0);
        assert_eq!(super::atoi(b""), 0);
        assert_eq!(super::atoi(b"-3"), -3);
        assert_eq!(super::atoi(b"+7"), 7);
    }
}
