//! Threads and synchronization primitives: uv_thread_*, uv_mutex_*, uv_rwlock_*, uv_sem_*,
//! uv_cond_*, uv_barrier_*, uv_key_*, uv_once, uv_cpumask_size.
//!
//! Every libuv type here is the pthread type itself (`uv_mutex_t` is `pthread_mutex_t`, ...),
//! so these are thin wrappers with libuv's return conventions: errors come back as negative
//! `UV_E*` codes. libuv aborts when a pthread call fails in a function that returns `void`
//! (unlocking a mutex that is not locked, destroying a busy one...); we never abort: such a
//! failure is ignored in release builds and caught by a `debug_assert!` in debug builds. A
//! NULL object pointer gets `UV_EINVAL` where the function returns an `int` and is ignored
//! where it returns `void`.

use crate::abi::*;
use crate::error::uv_translate_sys_error;
use core::ffi::{c_char, c_int, c_void, CStr};
use core::mem::{size_of, MaybeUninit};
use core::ptr;

/// A pthread result (0 or an errno value) as a libuv code (0 or -errno).
#[inline]
fn status(r: c_int) -> c_int {
    uv_translate_sys_error(r)
}

/// The calling thread's errno.
#[inline]
fn errno() -> c_int {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

// ---- stack sizes ----

/// libuv's lower bound for a requested stack size, before PTHREAD_STACK_MIN: 8 KiB.
const MIN_STACK_FLOOR: usize = 8192;
/// glibc's default thread stack size on x86_64, used when RLIMIT_STACK gives no answer.
const DEFAULT_STACK_SIZE: usize = 2 << 20;

fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

/// The smallest stack we hand to pthread: max(8 KiB, PTHREAD_STACK_MIN). glibc's
/// PTHREAD_STACK_MIN is a run-time value (it depends on the CPU's signal frame size), which
/// sysconf reports.
fn min_stack_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let m = unsafe { libc::sysconf(libc::_SC_THREAD_STACK_MIN) };
    let pthread_min = if m > 0 {
        m as usize
    } else {
        libc::PTHREAD_STACK_MIN
    };
    pthread_min.max(MIN_STACK_FLOOR)
}

/// A requested stack size rounded up to a whole number of pages, and at least `min`.
/// `page` must be a power of two.
fn round_stack_size(requested: usize, page: usize, min: usize) -> usize {
    let mask = page - 1;
    let rounded = match requested.checked_add(mask) {
        Some(n) => n & !mask,
        // Too large to round up: the largest page multiple, which pthread_create refuses
        // with an error code rather than us wrapping around to a tiny stack.
        None => usize::MAX & !mask,
    };
    rounded.max(min)
}

/// The default stack size from RLIMIT_STACK's soft limit (`None`: getrlimit failed or the
/// limit is infinite): the limit rounded down to a page, when that is at least `min`;
/// otherwise glibc's default.
fn default_stack_size_from(limit: Option<u64>, page: usize, min: usize) -> usize {
    match limit {
        Some(l) => {
            let l = usize::try_from(l).unwrap_or(usize::MAX);
            let l = l - l % page;
            if l >= min {
                l
            } else {
                DEFAULT_STACK_SIZE
            }
        }
        None => DEFAULT_STACK_SIZE,
    }
}

/// The stack size of a thread created without UV_THREAD_HAS_STACK_SIZE: RLIMIT_STACK, as
/// libuv does on Linux (so threads get the same stack as the main thread).
fn default_stack_size() -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: lim is a valid out-pointer.
    let limit = if unsafe { libc::getrlimit(libc::RLIMIT_STACK, &mut lim) } != 0
        || lim.rlim_cur == libc::RLIM_INFINITY
    {
        None
    } else {
        Some(lim.rlim_cur)
    };
    default_stack_size_from(limit, page_size(), min_stack_size())
}

// ---- threads ----

/// What a new thread runs: the user's entry point and its argument.
struct ThreadStart {
    entry: unsafe extern "C-unwind" fn(*mut c_void),
    arg: *mut c_void,
}

/// The start routine given to pthread_create. "C-unwind" so that an exception thrown by the
/// entry point (C++) is not stopped here, and so that pthread_exit/pthread_cancel's forced
/// unwinding can pass; no value with a destructor is alive while the entry point runs.
unsafe extern "C-unwind" fn thread_start(p: *mut c_void) -> *mut c_void {
    let (entry, arg) = {
        // SAFETY: p is the Box leaked by uv_thread_create_ex for this thread alone, and
        // nothing else frees it once pthread_create has succeeded.
        let start = unsafe { Box::from_raw(p as *mut ThreadStart) };
        (start.entry, start.arg)
    };
    // SAFETY: entry is the caller's uv_thread_cb, called with the argument it gave for it.
    unsafe { entry(arg) };
    ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn uv_thread_create(
    tid: *mut uv_thread_t,
    entry: uv_thread_cb,
    arg: *mut c_void,
) -> c_int {
    let options = uv_thread_options_t {
        flags: UV_THREAD_NO_FLAGS as _,
        stack_size: 0,
    };
    // SAFETY: options is a valid uv_thread_options_t; the other arguments are passed through.
    unsafe { uv_thread_create_ex(tid, &options, entry, arg) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_thread_create_ex(
    tid: *mut uv_thread_t,
    params: *const uv_thread_options_t,
    entry: uv_thread_cb,
    arg: *mut c_void,
) -> c_int {
    let Some(entry) = entry else {
        return UV_EINVAL;
    };
    if tid.is_null() || params.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: params is non-NULL and points to the caller's options.
    let (flags, requested) = unsafe { ((*params).flags, (*params).stack_size) };
    let stack_size = if flags & UV_THREAD_HAS_STACK_SIZE as u32 != 0 && requested != 0 {
        round_stack_size(requested, page_size(), min_stack_size())
    } else {
        default_stack_size()
    };

    let mut attr = MaybeUninit::<libc::pthread_attr_t>::uninit();
    // SAFETY: attr is storage for a pthread_attr_t, initialized by pthread_attr_init.
    let r = unsafe { libc::pthread_attr_init(attr.as_mut_ptr()) };
    if r != 0 {
        return status(r);
    }
    let attr = attr.as_mut_ptr();
    // SAFETY: attr was initialized above.
    let mut r = unsafe { libc::pthread_attr_setstacksize(attr, stack_size) };
    if r == 0 {
        let start = Box::into_raw(Box::new(ThreadStart { entry, arg }));
        // SAFETY: "C" and "C-unwind" share the calling convention; the two types differ only
        // in whether unwinding out of the function is allowed, which pthread_create does not
        // depend on.
        let routine: extern "C" fn(*mut c_void) -> *mut c_void = unsafe {
            core::mem::transmute::<
                unsafe extern "C-unwind" fn(*mut c_void) -> *mut c_void,
                extern "C" fn(*mut c_void) -> *mut c_void,
            >(thread_start)
        };
        // SAFETY: tid is a non-NULL out-pointer from the caller, attr is initialized, and
        // start stays valid until the new thread takes ownership of it.
        r = unsafe { libc::pthread_create(tid, attr, routine, start as *mut c_void) };
        if r != 0 {
            // SAFETY: no thread was created, so the Box is still ours.
            drop(unsafe { Box::from_raw(start) });
        }
    }
    // SAFETY: attr was initialized by pthread_attr_init and is destroyed once.
    unsafe { libc::pthread_attr_destroy(attr) };
    status(r)
}

#[no_mangle]
pub unsafe extern "C" fn uv_thread_detach(tid: *mut uv_thread_t) -> c_int {
    if tid.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: tid is non-NULL and holds a thread id from the caller.
    status(unsafe { libc::pthread_detach(*tid) })
}

#[no_mangle]
pub unsafe extern "C" fn uv_thread_join(tid: *mut uv_thread_t) -> c_int {
    if tid.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: tid is non-NULL; the thread's return value is not wanted (NULL out-pointer).
    status(unsafe { libc::pthread_join(*tid, ptr::null_mut()) })
}

#[no_mangle]
pub extern "C" fn uv_thread_self() -> uv_thread_t {
    // SAFETY: pthread_self has no preconditions.
    unsafe { libc::pthread_self() }
}

#[no_mangle]
pub unsafe extern "C" fn uv_thread_equal(t1: *const uv_thread_t, t2: *const uv_thread_t) -> c_int {
    if t1.is_null() || t2.is_null() {
        return (t1 == t2) as c_int;
    }
    // SAFETY: both pointers are non-NULL and point to the caller's thread ids.
    unsafe { libc::pthread_equal(*t1, *t2) }
}

// ---- names ----

/// Linux's thread name limit, trailing NUL included (UV_PTHREAD_MAX_NAMELEN_NP).
const THREAD_NAME_MAX: usize = 16;

/// Copies `src` (no NUL) into `dst` as a C string, truncated to `dst.len() - 1` bytes.
/// Returns the number of bytes copied, NUL excluded. `dst` must not be empty.
fn copy_name(src: &[u8], dst: &mut [u8]) -> usize {
    let n = src.len().min(dst.len() - 1);
    dst[..n].copy_from_slice(&src[..n]);
    dst[n] = 0;
    n
}

#[no_mangle]
pub unsafe extern "C" fn uv_thread_setname(name: *const c_char) -> c_int {
    if name.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: name is non-NULL and, per the API, a NUL-terminated string.
    let src = unsafe { CStr::from_ptr(name) }.to_bytes();
    let mut buf = [0u8; THREAD_NAME_MAX];
    copy_name(src, &mut buf);
    // SAFETY: buf is NUL-terminated and within the kernel's limit.
    status(unsafe { libc::pthread_setname_np(libc::pthread_self(), buf.as_ptr() as *const c_char) })
}

#[no_mangle]
pub unsafe extern "C" fn uv_thread_getname(
    tid: *mut uv_thread_t,
    name: *mut c_char,
    size: usize,
) -> c_int {
    if tid.is_null() || name.is_null() || size == 0 {
        return UV_EINVAL;
    }
    let mut buf = [0 as c_char; THREAD_NAME_MAX];
    // SAFETY: tid is non-NULL; buf has THREAD_NAME_MAX writable bytes.
    let r = unsafe { libc::pthread_getname_np(*tid, buf.as_mut_ptr(), buf.len()) };
    if r != 0 {
        return status(r);
    }
    buf[THREAD_NAME_MAX - 1] = 0;
    // SAFETY: buf is NUL-terminated (its last byte was just set).
    let src = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_bytes();
    // SAFETY: the caller gives `size` (> 0) writable bytes at `name`.
    let dst = unsafe { core::slice::from_raw_parts_mut(name as *mut u8, size) };
    copy_name(src, dst);
    0
}

// ---- affinity, CPU, priority ----

/// The number of bytes of a CPU mask for uv_thread_{get,set}affinity: CPU_SETSIZE.
#[no_mangle]
pub extern "C" fn uv_cpumask_size() -> c_int {
    libc::CPU_SETSIZE
}

#[no_mangle]
pub unsafe extern "C" fn uv_thread_getaffinity(
    tid: *mut uv_thread_t,
    cpumask: *mut c_char,
    mask_size: usize,
) -> c_int {
    let n = libc::CPU_SETSIZE as usize;
    if tid.is_null() || cpumask.is_null() || mask_size < n {
        return UV_EINVAL;
    }
    // SAFETY: cpu_set_t is plain bits; all-zero is the empty set.
    let mut set: libc::cpu_set_t = unsafe { core::mem::zeroed() };
    // SAFETY: tid is non-NULL; set is a valid cpu_set_t of the size given.
    let r = unsafe { libc::pthread_getaffinity_np(*tid, size_of::<libc::cpu_set_t>(), &mut set) };
    if r != 0 {
        return status(r);
    }
    // SAFETY: the caller gives mask_size >= n writable bytes at cpumask.
    let mask = unsafe { core::slice::from_raw_parts_mut(cpumask, n) };
    for (cpu, byte) in mask.iter_mut().enumerate() {
        *byte = libc::CPU_ISSET(cpu, &set) as c_char;
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_thread_setaffinity(
    tid: *mut uv_thread_t,
    cpumask: *mut c_char,
    oldmask: *mut c_char,
    mask_size: usize,
) -> c_int {
    let n = libc::CPU_SETSIZE as usize;
    if tid.is_null() || cpumask.is_null() || mask_size < n {
        return UV_EINVAL;
    }
    if !oldmask.is_null() {
        // SAFETY: oldmask, like cpumask, has mask_size writable bytes (caller's contract).
        let r = unsafe { uv_thread_getaffinity(tid, oldmask, mask_size) };
        if r < 0 {
            return r;
        }
    }
    // SAFETY: cpu_set_t is plain bits; all-zero is the empty set.
    let mut set: libc::cpu_set_t = unsafe { core::mem::zeroed() };
    // SAFETY: the caller gives mask_size >= n readable bytes at cpumask.
    let mask = unsafe { core::slice::from_raw_parts(cpumask as *const c_char, n) };
    for (cpu, byte) in mask.iter().enumerate() {
        if *byte != 0 {
            libc::CPU_SET(cpu, &mut set);
        }
    }
    // SAFETY: tid is non-NULL; set is a valid cpu_set_t of the size given.
    status(unsafe { libc::pthread_setaffinity_np(*tid, size_of::<libc::cpu_set_t>(), &set) })
}

#[no_mangle]
pub extern "C" fn uv_thread_getcpu() -> c_int {
    // SAFETY: sched_getcpu has no preconditions.
    let cpu = unsafe { libc::sched_getcpu() };
    if cpu < 0 {
        -errno()
    } else {
        cpu
    }
}

/// The calling thread's kernel id.
fn gettid() -> libc::pid_t {
    // SAFETY: gettid has no preconditions and cannot fail.
    unsafe { libc::gettid() }
}

/// Whether `tid` is the calling thread.
fn is_self(tid: uv_thread_t) -> bool {
    // SAFETY: pthread_self/pthread_equal have no preconditions.
    unsafe { libc::pthread_equal(tid, libc::pthread_self()) != 0 }
}

/// The thread's priority. Under SCHED_OTHER (Linux's default), the static priority is
/// always 0, so for the calling thread this reports its nice value instead, as libuv does.
#[no_mangle]
pub unsafe extern "C" fn uv_thread_getpriority(tid: uv_thread_t, priority: *mut c_int) -> c_int {
    if priority.is_null() {
        return UV_EINVAL;
    }
    let mut policy: c_int = 0;
    let mut param = libc::sched_param { sched_priority: 0 };
    // SAFETY: policy and param are valid out-pointers; tid comes from the caller.
    let r = unsafe { libc::pthread_getschedparam(tid, &mut policy, &mut param) };
    if r != 0 {
        return status(r);
    }
    let value = if policy == libc::SCHED_OTHER && is_self(tid) {
        // getpriority can legitimately return -1, so errno tells failure apart.
        // SAFETY: __errno_location returns the calling thread's errno slot.
        unsafe { *libc::__errno_location() = 0 };
        // SAFETY: getpriority has no memory-safety preconditions.
        let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, gettid() as libc::id_t) };
        if nice == -1 {
            let e = errno();
            if e != 0 {
                return -e;
            }
        }
        nice
    } else {
        param.sched_priority
    };
    // SAFETY: priority is non-NULL and points to the caller's int.
    unsafe { *priority = value };
    0
}

/// The static priority for a UV_THREAD_PRIORITY_* level within a policy's [min, max].
fn scaled_priority(priority: c_int, min: c_int, max: c_int) -> c_int {
    let range = max - min;
    match priority {
        UV_THREAD_PRIORITY_HIGHEST => max,
        UV_THREAD_PRIORITY_ABOVE_NORMAL => min + range * 3 / 4,
        UV_THREAD_PRIORITY_BELOW_NORMAL => min + range / 4,
        UV_THREAD_PRIORITY_LOWEST => min,
        _ => min + range / 2,
    }
}

/// Sets the thread's priority. Under SCHED_OTHER, for the calling thread, the level maps
/// to a nice value (HIGHEST = -4 ... LOWEST = 4), as libuv does; otherwise to a static
/// priority within the policy's range. Raising it usually needs privileges.
#[no_mangle]
pub unsafe extern "C" fn uv_thread_setpriority(tid: uv_thread_t, priority: c_int) -> c_int {
    if !(UV_THREAD_PRIORITY_LOWEST..=UV_THREAD_PRIORITY_HIGHEST).contains(&priority) {
        return UV_EINVAL;
    }
    let mut policy: c_int = 0;
    let mut param = libc::sched_param { sched_priority: 0 };
    // SAFETY: policy and param are valid out-pointers; tid comes from the caller.
    let r = unsafe { libc::pthread_getschedparam(tid, &mut policy, &mut param) };
    if r != 0 {
        return status(r);
    }
    if policy == libc::SCHED_OTHER && is_self(tid) {
        let nice = -priority * 2;
        // SAFETY: setpriority has no memory-safety preconditions.
        if unsafe { libc::setpriority(libc::PRIO_PROCESS, gettid() as libc::id_t, nice) } != 0 {
            return -errno();
        }
        return 0;
    }
    // SAFETY: these have no memory-safety preconditions.
    let (min, max) = unsafe {
        (
            libc::sched_get_priority_min(policy),
            libc::sched_get_priority_max(policy),
        )
    };
    if min == -1 || max == -1 {
        return -errno();
    }
    let prio = scaled_priority(priority, min, max);
    if param.sched_priority != prio {
        param.sched_priority = prio;
        // SAFETY: param is a valid sched_param; tid comes from the caller.
        let r = unsafe { libc::pthread_setschedparam(tid, policy, &param) };
        if r != 0 {
            return status(r);
        }
    }
    0
}

// ---- mutexes ----

#[no_mangle]
pub unsafe extern "C" fn uv_mutex_init(mutex: *mut uv_mutex_t) -> c_int {
    if mutex.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: mutex is non-NULL storage for a pthread_mutex_t; NULL attributes = default.
    status(unsafe { libc::pthread_mutex_init(mutex, ptr::null()) })
}

#[no_mangle]
pub unsafe extern "C" fn uv_mutex_init_recursive(mutex: *mut uv_mutex_t) -> c_int {
    if mutex.is_null() {
        return UV_EINVAL;
    }
    let mut attr = MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
    // SAFETY: attr is storage for a pthread_mutexattr_t.
    let r = unsafe { libc::pthread_mutexattr_init(attr.as_mut_ptr()) };
    if r != 0 {
        return status(r);
    }
    let attr = attr.as_mut_ptr();
    // SAFETY: attr was initialized above; mutex is non-NULL storage for a mutex.
    let r = unsafe {
        match libc::pthread_mutexattr_settype(attr, libc::PTHREAD_MUTEX_RECURSIVE) {
            0 => libc::pthread_mutex_init(mutex, attr),
            e => e,
        }
    };
    // SAFETY: attr was initialized and is destroyed once.
    unsafe { libc::pthread_mutexattr_destroy(attr) };
    status(r)
}

#[no_mangle]
pub unsafe extern "C" fn uv_mutex_destroy(mutex: *mut uv_mutex_t) {
    if mutex.is_null() {
        return;
    }
    // SAFETY: mutex is non-NULL and was initialized by uv_mutex_init* (caller's contract).
    let r = unsafe { libc::pthread_mutex_destroy(mutex) };
    debug_assert_eq!(r, 0, "uv_mutex_destroy");
}

#[no_mangle]
pub unsafe extern "C" fn uv_mutex_lock(mutex: *mut uv_mutex_t) {
    if mutex.is_null() {
        return;
    }
    // SAFETY: mutex is non-NULL and initialized (caller's contract).
    let r = unsafe { libc::pthread_mutex_lock(mutex) };
    debug_assert_eq!(r, 0, "uv_mutex_lock");
}

#[no_mangle]
pub unsafe extern "C" fn uv_mutex_trylock(mutex: *mut uv_mutex_t) -> c_int {
    if mutex.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: mutex is non-NULL and initialized (caller's contract).
    match unsafe { libc::pthread_mutex_trylock(mutex) } {
        0 => 0,
        libc::EBUSY | libc::EAGAIN => UV_EBUSY,
        e => status(e),
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_mutex_unlock(mutex: *mut uv_mutex_t) {
    if mutex.is_null() {
        return;
    }
    // SAFETY: mutex is non-NULL and initialized (caller's contract).
    let r = unsafe { libc::pthread_mutex_unlock(mutex) };
    debug_assert_eq!(r, 0, "uv_mutex_unlock");
}

// ---- read-write locks ----

#[no_mangle]
pub unsafe extern "C" fn uv_rwlock_init(rwlock: *mut uv_rwlock_t) -> c_int {
    if rwlock.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: rwlock is non-NULL storage for a pthread_rwlock_t; NULL attributes = default.
    status(unsafe { libc::pthread_rwlock_init(rwlock, ptr::null()) })
}

#[no_mangle]
pub unsafe extern "C" fn uv_rwlock_destroy(rwlock: *mut uv_rwlock_t) {
    if rwlock.is_null() {
        return;
    }
    // SAFETY: rwlock is non-NULL and initialized (caller's contract).
    let r = unsafe { libc::pthread_rwlock_destroy(rwlock) };
    debug_assert_eq!(r, 0, "uv_rwlock_destroy");
}

#[no_mangle]
pub unsafe extern "C" fn uv_rwlock_rdlock(rwlock: *mut uv_rwlock_t) {
    if rwlock.is_null() {
        return;
    }
    // SAFETY: rwlock is non-NULL and initialized (caller's contract).
    let r = unsafe { libc::pthread_rwlock_rdlock(rwlock) };
    debug_assert_eq!(r, 0, "uv_rwlock_rdlock");
}

/// EBUSY/EAGAIN (too many readers) → UV_EBUSY, as libuv.
fn try_status(r: c_int) -> c_int {
    match r {
        0 => 0,
        libc::EBUSY | libc::EAGAIN => UV_EBUSY,
        e => status(e),
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_rwlock_tryrdlock(rwlock: *mut uv_rwlock_t) -> c_int {
    if rwlock.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: rwlock is non-NULL and initialized (caller's contract).
    try_status(unsafe { libc::pthread_rwlock_tryrdlock(rwlock) })
}

#[no_mangle]
pub unsafe extern "C" fn uv_rwlock_rdunlock(rwlock: *mut uv_rwlock_t) {
    if rwlock.is_null() {
        return;
    }
    // SAFETY: rwlock is non-NULL and initialized (caller's contract).
    let r = unsafe { libc::pthread_rwlock_unlock(rwlock) };
    debug_assert_eq!(r, 0, "uv_rwlock_rdunlock");
}

#[no_mangle]
pub unsafe extern "C" fn uv_rwlock_wrlock(rwlock: *mut uv_rwlock_t) {
    if rwlock.is_null() {
        return;
    }
    // SAFETY: rwlock is non-NULL and initialized (caller's contract).
    let r = unsafe { libc::pthread_rwlock_wrlock(rwlock) };
    debug_assert_eq!(r, 0, "uv_rwlock_wrlock");
}

#[no_mangle]
pub unsafe extern "C" fn uv_rwlock_trywrlock(rwlock: *mut uv_rwlock_t) -> c_int {
    if rwlock.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: rwlock is non-NULL and initialized (caller's contract).
    try_status(unsafe { libc::pthread_rwlock_trywrlock(rwlock) })
}

#[no_mangle]
pub unsafe extern "C" fn uv_rwlock_wrunlock(rwlock: *mut uv_rwlock_t) {
    if rwlock.is_null() {
        return;
    }
    // SAFETY: rwlock is non-NULL and initialized (caller's contract).
    let r = unsafe { libc::pthread_rwlock_unlock(rwlock) };
    debug_assert_eq!(r, 0, "uv_rwlock_wrunlock");
}

// ---- semaphores (POSIX unnamed semaphores; glibc >= 2.21 has no lost-wakeup bug) ----

#[no_mangle]
pub unsafe extern "C" fn uv_sem_init(sem: *mut uv_sem_t, value: core::ffi::c_uint) -> c_int {
    if sem.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: sem is non-NULL storage for a sem_t, shared between threads only.
    if unsafe { libc::sem_init(sem, 0, value) } != 0 {
        return -errno();
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_sem_destroy(sem: *mut uv_sem_t) {
    if sem.is_null() {
        return;
    }
    // SAFETY: sem is non-NULL and initialized (caller's contract).
    let r = unsafe { libc::sem_destroy(sem) };
    debug_assert_eq!(r, 0, "uv_sem_destroy");
}

#[no_mangle]
pub unsafe extern "C" fn uv_sem_post(sem: *mut uv_sem_t) {
    if sem.is_null() {
        return;
    }
    // SAFETY: sem is non-NULL and initialized (caller's contract).
    let r = unsafe { libc::sem_post(sem) };
    debug_assert_eq!(r, 0, "uv_sem_post");
}

#[no_mangle]
pub unsafe extern "C" fn uv_sem_wait(sem: *mut uv_sem_t) {
    if sem.is_null() {
        return;
    }
    loop {
        // SAFETY: sem is non-NULL and initialized (caller's contract).
        if unsafe { libc::sem_wait(sem) } == 0 {
            return;
        }
        let e = errno();
        if e != libc::EINTR {
            debug_assert!(false, "uv_sem_wait: errno {e}");
            return;
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_sem_trywait(sem: *mut uv_sem_t) -> c_int {
    if sem.is_null() {
        return UV_EINVAL;
    }
    loop {
        // SAFETY: sem is non-NULL and initialized (caller's contract).
        if unsafe { libc::sem_trywait(sem) } == 0 {
            return 0;
        }
        match errno() {
            libc::EINTR => continue,
            libc::EAGAIN => return UV_EAGAIN,
            e => return -e,
        }
    }
}

// ---- condition variables (on CLOCK_MONOTONIC) ----

#[no_mangle]
pub unsafe extern "C" fn uv_cond_init(cond: *mut uv_cond_t) -> c_int {
    if cond.is_null() {
        return UV_EINVAL;
    }
    let mut attr = MaybeUninit::<libc::pthread_condattr_t>::uninit();
    // SAFETY: attr is storage for a pthread_condattr_t.
    let r = unsafe { libc::pthread_condattr_init(attr.as_mut_ptr()) };
    if r != 0 {
        return status(r);
    }
    let attr = attr.as_mut_ptr();
    // SAFETY: attr was initialized above; cond is non-NULL storage for a condition variable.
    let r = unsafe {
        match libc::pthread_condattr_setclock(attr, libc::CLOCK_MONOTONIC) {
            0 => libc::pthread_cond_init(cond, attr),
            e => e,
        }
    };
    // SAFETY: attr was initialized and is destroyed once.
    unsafe { libc::pthread_condattr_destroy(attr) };
    status(r)
}

#[no_mangle]
pub unsafe extern "C" fn uv_cond_destroy(cond: *mut uv_cond_t) {
    if cond.is_null() {
        return;
    }
    // SAFETY: cond is non-NULL and initialized (caller's contract).
    let r = unsafe { libc::pthread_cond_destroy(cond) };
    debug_assert_eq!(r, 0, "uv_cond_destroy");
}

#[no_mangle]
pub unsafe extern "C" fn uv_cond_signal(cond: *mut uv_cond_t) {
    if cond.is_null() {
        return;
    }
    // SAFETY: cond is non-NULL and initialized (caller's contract).
    let r = unsafe { libc::pthread_cond_signal(cond) };
    debug_assert_eq!(r, 0, "uv_cond_signal");
}

#[no_mangle]
pub unsafe extern "C" fn uv_cond_broadcast(cond: *mut uv_cond_t) {
    if cond.is_null() {
        return;
    }
    // SAFETY: cond is non-NULL and initialized (caller's contract).
    let r = unsafe { libc::pthread_cond_broadcast(cond) };
    debug_assert_eq!(r, 0, "uv_cond_broadcast");
}

#[no_mangle]
pub unsafe extern "C" fn uv_cond_wait(cond: *mut uv_cond_t, mutex: *mut uv_mutex_t) {
    if cond.is_null() || mutex.is_null() {
        return;
    }
    // SAFETY: both are non-NULL and initialized; the caller holds the mutex.
    let r = unsafe { libc::pthread_cond_wait(cond, mutex) };
    debug_assert_eq!(r, 0, "uv_cond_wait");
}

/// The absolute CLOCK_MONOTONIC deadline `timeout` ns after `now` ns.
fn deadline(now: u64, timeout: u64) -> libc::timespec {
    let t = now.saturating_add(timeout);
    libc::timespec {
        tv_sec: (t / 1_000_000_000) as libc::time_t,
        tv_nsec: (t % 1_000_000_000) as libc::c_long,
    }
}

/// Waits at most `timeout` nanoseconds (relative, monotonic): 0 or UV_ETIMEDOUT.
#[no_mangle]
pub unsafe extern "C" fn uv_cond_timedwait(
    cond: *mut uv_cond_t,
    mutex: *mut uv_mutex_t,
    timeout: u64,
) -> c_int {
    if cond.is_null() || mutex.is_null() {
        return UV_EINVAL;
    }
    let ts = deadline(crate::time::hrtime(), timeout);
    // SAFETY: both are non-NULL and initialized; the caller holds the mutex; ts is valid.
    match unsafe { libc::pthread_cond_timedwait(cond, mutex, &ts) } {
        0 => 0,
        libc::ETIMEDOUT => UV_ETIMEDOUT,
        e => status(e),
    }
}

// ---- barriers ----

#[no_mangle]
pub unsafe extern "C" fn uv_barrier_init(
    barrier: *mut uv_barrier_t,
    count: core::ffi::c_uint,
) -> c_int {
    if barrier.is_null() || count == 0 {
        return UV_EINVAL;
    }
    // SAFETY: barrier is non-NULL storage for a pthread_barrier_t; NULL attributes = default.
    status(unsafe { libc::pthread_barrier_init(barrier, ptr::null(), count) })
}

/// 1 for exactly one of the threads released together (the "serial" thread), 0 for the rest.
#[no_mangle]
pub unsafe extern "C" fn uv_barrier_wait(barrier: *mut uv_barrier_t) -> c_int {
    if barrier.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: barrier is non-NULL and initialized (caller's contract).
    match unsafe { libc::pthread_barrier_wait(barrier) } {
        0 => 0,
        libc::PTHREAD_BARRIER_SERIAL_THREAD => 1,
        e => status(e),
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_barrier_destroy(barrier: *mut uv_barrier_t) {
    if barrier.is_null() {
        return;
    }
    // SAFETY: barrier is non-NULL and initialized (caller's contract).
    let r = unsafe { libc::pthread_barrier_destroy(barrier) };
    debug_assert_eq!(r, 0, "uv_barrier_destroy");
}

// ---- thread-local storage ----

#[no_mangle]
pub unsafe extern "C" fn uv_key_create(key: *mut uv_key_t) -> c_int {
    if key.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: key is a non-NULL out-pointer; no destructor for the values.
    status(unsafe { libc::pthread_key_create(key, None) })
}

#[no_mangle]
pub unsafe extern "C" fn uv_key_delete(key: *mut uv_key_t) {
    if key.is_null() {
        return;
    }
    // SAFETY: key is non-NULL and holds a key from uv_key_create (caller's contract).
    let r = unsafe { libc::pthread_key_delete(*key) };
    debug_assert_eq!(r, 0, "uv_key_delete");
}

#[no_mangle]
pub unsafe extern "C" fn uv_key_get(key: *mut uv_key_t) -> *mut c_void {
    if key.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: key is non-NULL; pthread_getspecific returns NULL for an unknown key.
    unsafe { libc::pthread_getspecific(*key) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_key_set(key: *mut uv_key_t, value: *mut c_void) {
    if key.is_null() {
        return;
    }
    // SAFETY: key is non-NULL; pthread_setspecific rejects an invalid key with EINVAL.
    let r = unsafe { libc::pthread_setspecific(*key, value) };
    debug_assert_eq!(r, 0, "uv_key_set");
}

// ---- once ----

/// Runs `callback` exactly once per guard (initialized with UV_ONCE_INIT), however many
/// threads call this; the others wait until it has returned. "C-unwind": an exception thrown
/// by the callback propagates to the caller (and pthread_once lets another call retry).
#[no_mangle]
pub unsafe extern "C-unwind" fn uv_once(
    guard: *mut uv_once_t,
    callback: Option<unsafe extern "C-unwind" fn()>,
) {
    let Some(callback) = callback else {
        return;
    };
    if guard.is_null() {
        return;
    }
    // SAFETY: "C" and "C-unwind" share the calling convention; they differ only in whether
    // unwinding out of the function is allowed, and pthread_once is unwind-safe C code.
    let routine: extern "C" fn() =
        unsafe { core::mem::transmute::<unsafe extern "C-unwind" fn(), extern "C" fn()>(callback) };
    // SAFETY: guard is non-NULL and points to the caller's pthread_once_t.
    let r = unsafe { libc::pthread_once(guard, routine) };
    debug_assert_eq!(r, 0, "uv_once");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_size_rounding() {
        let min = 16384;
        assert_eq!(
            round_stack_size(1, 4096, min),
            min,
            "tiny sizes get the minimum"
        );
        assert_eq!(round_stack_size(min - 1, 4096, min), min);
        assert_eq!(
            round_stack_size(65536, 4096, min),
            65536,
            "page multiples unchanged"
        );
        assert_eq!(
            round_stack_size(65537, 4096, min),
            65536 + 4096,
            "rounded up to a page"
        );
        assert_eq!(
            round_stack_size(usize::MAX, 4096, min),
            usize::MAX & !4095,
            "no wrap-around"
        );
        assert_eq!(
            round_stack_size(100_000, 65536, min),
            131072,
            "64 KiB pages"
        );
    }

    #[test]
    fn default_stack_size_rules() {
        let min = 16384;
        assert_eq!(default_stack_size_from(Some(8 << 20), 4096, min), 8 << 20);
        assert_eq!(
            default_stack_size_from(Some((8 << 20) + 100), 4096, min),
            8 << 20,
            "rounded down"
        );
        assert_eq!(
            default_stack_size_from(Some(4096), 4096, min),
            DEFAULT_STACK_SIZE,
            "below minimum"
        );
        assert_eq!(default_stack_size_from(None, 4096, min), DEFAULT_STACK_SIZE);
        assert!(min_stack_size() >= MIN_STACK_FLOOR);
        let d = default_stack_size();
        assert_eq!(d % page_size(), 0);
        assert!(d >= min_stack_size());
    }

    #[test]
    fn name_truncation() {
        let mut buf = [0x55u8; THREAD_NAME_MAX];
        assert_eq!(copy_name(b"short", &mut buf), 5);
        assert_eq!(&buf[..6], b"short\0");
        assert_eq!(copy_name(b"0123456789abcdefghij", &mut buf), 15);
        assert_eq!(&buf, b"0123456789abcde\0");
        let mut one = [0x55u8; 1];
        assert_eq!(copy_name(b"abc", &mut one), 0);
        assert_eq!(one, [0]);
    }

    #[test]
    fn priority_scaling() {
        assert_eq!(scaled_priority(UV_THREAD_PRIORITY_HIGHEST, 1, 99), 99);
        assert_eq!(scaled_priority(UV_THREAD_PRIORITY_ABOVE_NORMAL, 1, 99), 74);
        assert_eq!(scaled_priority(UV_THREAD_PRIORITY_NORMAL, 1, 99), 50);
        assert_eq!(scaled_priority(UV_THREAD_PRIORITY_BELOW_NORMAL, 1, 99), 25);
        assert_eq!(scaled_priority(UV_THREAD_PRIORITY_LOWEST, 1, 99), 1);
        assert_eq!(scaled_priority(UV_THREAD_PRIORITY_NORMAL, 0, 0), 0);
    }

    #[test]
    fn deadline_split() {
        let ts = deadline(1_500_000_000, 2_700_000_000);
        assert_eq!((ts.tv_sec, ts.tv_nsec), (4, 200_000_000));
        let ts = deadline(u64::MAX - 1, 10);
        assert_eq!(
            ts.tv_sec,
            (u64::MAX / 1_000_000_000) as libc::time_t,
            "saturates"
        );
    }

    extern "C-unwind" fn store_arg(arg: *mut c_void) {
        // SAFETY: the test passes a pointer to an AtomicUsize that outlives the thread.
        let slot = unsafe { &*(arg as *const core::sync::atomic::AtomicUsize) };
        slot.store(42, core::sync::atomic::Ordering::SeqCst);
    }

    #[test]
    fn create_and_join() {
        let slot = core::sync::atomic::AtomicUsize::new(0);
        let mut tid: uv_thread_t = 0;
        let options = uv_thread_options_t {
            flags: UV_THREAD_HAS_STACK_SIZE as u32,
            stack_size: 1,
        };
        // SAFETY: slot outlives the thread, which is joined below.
        unsafe {
            assert_eq!(
                uv_thread_create_ex(
                    &mut tid,
                    &options,
                    Some(store_arg),
                    &slot as *const _ as *mut c_void
                ),
                0
            );
            assert_eq!(uv_thread_join(&mut tid), 0);
        }
        assert_eq!(slot.load(core::sync::atomic::Ordering::SeqCst), 42);
        // SAFETY: NULL arguments are rejected before use.
        unsafe {
            assert_eq!(
                uv_thread_create(ptr::null_mut(), Some(store_arg), ptr::null_mut()),
                UV_EINVAL
            );
            assert_eq!(uv_thread_create(&mut tid, None, ptr::null_mut()), UV_EINVAL);
        }
    }

    #[test]
    fn sync_error_codes() {
        // SAFETY: every object is initialized before use and destroyed once.
        unsafe {
            let mut m: uv_mutex_t = core::mem::zeroed();
            assert_eq!(uv_mutex_init_recursive(&mut m), 0);
            uv_mutex_lock(&mut m);
            assert_eq!(uv_mutex_trylock(&mut m), 0, "recursive");
            uv_mutex_unlock(&mut m);
            uv_mutex_unlock(&mut m);
            uv_mutex_destroy(&mut m);

            let mut s: uv_sem_t = core::mem::zeroed();
            assert_eq!(uv_sem_init(&mut s, 0), 0);
            assert_eq!(uv_sem_trywait(&mut s), UV_EAGAIN);
            uv_sem_post(&mut s);
            assert_eq!(uv_sem_trywait(&mut s), 0);
            uv_sem_destroy(&mut s);

            let mut b: uv_barrier_t = core::mem::zeroed();
            assert_eq!(uv_barrier_init(&mut b, 0), UV_EINVAL);
            assert_eq!(uv_barrier_init(&mut b, 1), 0);
            assert_eq!(
                uv_barrier_wait(&mut b),
                1,
                "a lone thread is the serial thread"
            );
            uv_barrier_destroy(&mut b);

            let mut c: uv_cond_t = core::mem::zeroed();
            assert_eq!(uv_cond_init(&mut c), 0);
            assert_eq!(uv_mutex_init(&mut m), 0);
            uv_mutex_lock(&mut m);
            let t0 = crate::time::hrtime();
            assert_eq!(uv_cond_timedwait(&mut c, &mut m, 1_000_000), UV_ETIMEDOUT);
            assert!(crate::time::hrtime() - t0 >= 1_000_000);
            uv_mutex_unlock(&mut m);
            uv_mutex_destroy(&mut m);
            uv_cond_destroy(&mut c);
        }
    }
}
