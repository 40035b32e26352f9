//! The public C types of libuv v1.52.1, field for field.
//!
//! Every struct here is `#[repr(C)]` with libuv's names, order and nesting, private fields
//! included: programs read some private fields directly, and C++ mangling sees the type
//! names. cbindgen prints these into `include/uv.h`; `layout.rs` asserts every size and
//! offset at compile time, and the C ABI probe checks them again from C.
//!
//! libuv declares some members as anonymous structs/unions (`handle->u.fd`,
//! `loop->timer_heap.min`); Rust needs a name for them, so they get a `uv__*` name here.
//! Field access from C is unchanged.
#![allow(non_camel_case_types)]

use core::ffi::{c_char, c_int, c_uint, c_ulong, c_void};

pub use super::enums::*;

// ---- enum typedefs (spelled as C enums in the header; integers in Rust so that any value a C
// caller passes is a valid Rust value) ----
pub type uv_errno_t = c_int;
pub type uv_handle_type = c_int;
pub type uv_req_type = c_int;
pub type uv_loop_option = c_int;
pub type uv_run_mode = c_int;
pub type uv_clock_id = c_int;
pub type uv_membership = c_int;
pub type uv_tty_mode_t = c_int;
pub type uv_tty_vtermstate_t = c_int;
pub type uv_stdio_flags = c_int;
pub type uv_dirent_type_t = c_int;
pub type uv_fs_type = c_int;
pub type uv_thread_create_flags = c_int;

// ---- platform typedefs (uv/unix.h) ----
pub type uv_file = c_int;
pub type uv_os_sock_t = c_int;
pub type uv_os_fd_t = c_int;
pub type uv_pid_t = libc::pid_t;
pub type uv_once_t = libc::pthread_once_t;
pub type uv_thread_t = libc::pthread_t;
pub type uv_mutex_t = libc::pthread_mutex_t;
pub type uv_rwlock_t = libc::pthread_rwlock_t;
pub type uv_sem_t = libc::sem_t;
pub type uv_cond_t = libc::pthread_cond_t;
pub type uv_key_t = libc::pthread_key_t;
pub type uv_barrier_t = libc::pthread_barrier_t;
pub type uv_gid_t = libc::gid_t;
pub type uv_uid_t = libc::uid_t;
pub type uv__dirent_t = libc::dirent;
pub type ssize_t = isize;

// ---- struct typedefs ----
pub type uv__io_t = uv__io_s;
pub type uv_loop_t = uv_loop_s;
pub type uv_handle_t = uv_handle_s;
pub type uv_dir_t = uv_dir_s;
pub type uv_stream_t = uv_stream_s;
pub type uv_tcp_t = uv_tcp_s;
pub type uv_udp_t = uv_udp_s;
pub type uv_pipe_t = uv_pipe_s;
pub type uv_tty_t = uv_tty_s;
pub type uv_poll_t = uv_poll_s;
pub type uv_timer_t = uv_timer_s;
pub type uv_prepare_t = uv_prepare_s;
pub type uv_check_t = uv_check_s;
pub type uv_idle_t = uv_idle_s;
pub type uv_async_t = uv_async_s;
pub type uv_process_t = uv_process_s;
pub type uv_fs_event_t = uv_fs_event_s;
pub type uv_fs_poll_t = uv_fs_poll_s;
pub type uv_signal_t = uv_signal_s;
pub type uv_req_t = uv_req_s;
pub type uv_getaddrinfo_t = uv_getaddrinfo_s;
pub type uv_getnameinfo_t = uv_getnameinfo_s;
pub type uv_shutdown_t = uv_shutdown_s;
pub type uv_write_t = uv_write_s;
pub type uv_connect_t = uv_connect_s;
pub type uv_udp_send_t = uv_udp_send_s;
pub type uv_fs_t = uv_fs_s;
pub type uv_work_t = uv_work_s;
pub type uv_random_t = uv_random_s;
pub type uv_env_item_t = uv_env_item_s;
pub type uv_cpu_info_t = uv_cpu_info_s;
pub type uv_interface_address_t = uv_interface_address_s;
pub type uv_dirent_t = uv_dirent_s;
pub type uv_passwd_t = uv_passwd_s;
pub type uv_group_t = uv_group_s;
pub type uv_utsname_t = uv_utsname_s;
pub type uv_statfs_t = uv_statfs_s;
pub type uv_metrics_t = uv_metrics_s;
pub type uv_stdio_container_t = uv_stdio_container_s;
pub type uv_process_options_t = uv_process_options_s;
pub type uv_thread_options_t = uv_thread_options_s;

// ---- allocator and callback typedefs ----
pub type uv_malloc_func = Option<unsafe extern "C-unwind" fn(size: usize) -> *mut c_void>;
pub type uv_realloc_func =
    Option<unsafe extern "C-unwind" fn(ptr: *mut c_void, size: usize) -> *mut c_void>;
pub type uv_calloc_func =
    Option<unsafe extern "C-unwind" fn(count: usize, size: usize) -> *mut c_void>;
pub type uv_free_func = Option<unsafe extern "C-unwind" fn(ptr: *mut c_void)>;

pub type uv_alloc_cb = Option<
    unsafe extern "C-unwind" fn(
        handle: *mut uv_handle_t,
        suggested_size: usize,
        buf: *mut uv_buf_t,
    ),
>;
pub type uv_read_cb = Option<
    unsafe extern "C-unwind" fn(stream: *mut uv_stream_t, nread: ssize_t, buf: *const uv_buf_t),
>;
pub type uv_write_cb = Option<unsafe extern "C-unwind" fn(req: *mut uv_write_t, status: c_int)>;
pub type uv_connect_cb = Option<unsafe extern "C-unwind" fn(req: *mut uv_connect_t, status: c_int)>;
pub type uv_shutdown_cb =
    Option<unsafe extern "C-unwind" fn(req: *mut uv_shutdown_t, status: c_int)>;
pub type uv_connection_cb =
    Option<unsafe extern "C-unwind" fn(server: *mut uv_stream_t, status: c_int)>;
pub type uv_close_cb = Option<unsafe extern "C-unwind" fn(handle: *mut uv_handle_t)>;
pub type uv_poll_cb =
    Option<unsafe extern "C-unwind" fn(handle: *mut uv_poll_t, status: c_int, events: c_int)>;
pub type uv_timer_cb = Option<unsafe extern "C-unwind" fn(handle: *mut uv_timer_t)>;
pub type uv_async_cb = Option<unsafe extern "C-unwind" fn(handle: *mut uv_async_t)>;
pub type uv_prepare_cb = Option<unsafe extern "C-unwind" fn(handle: *mut uv_prepare_t)>;
pub type uv_check_cb = Option<unsafe extern "C-unwind" fn(handle: *mut uv_check_t)>;
pub type uv_idle_cb = Option<unsafe extern "C-unwind" fn(handle: *mut uv_idle_t)>;
pub type uv_exit_cb = Option<
    unsafe extern "C-unwind" fn(process: *mut uv_process_t, exit_status: i64, term_signal: c_int),
>;
pub type uv_walk_cb =
    Option<unsafe extern "C-unwind" fn(handle: *mut uv_handle_t, arg: *mut c_void)>;
pub type uv_fs_cb = Option<unsafe extern "C-unwind" fn(req: *mut uv_fs_t)>;
pub type uv_work_cb = Option<unsafe extern "C-unwind" fn(req: *mut uv_work_t)>;
pub type uv_after_work_cb = Option<unsafe extern "C-unwind" fn(req: *mut uv_work_t, status: c_int)>;
pub type uv_getaddrinfo_cb = Option<
    unsafe extern "C-unwind" fn(
        req: *mut uv_getaddrinfo_t,
        status: c_int,
        res: *mut libc::addrinfo,
    ),
>;
pub type uv_getnameinfo_cb = Option<
    unsafe extern "C-unwind" fn(
        req: *mut uv_getnameinfo_t,
        status: c_int,
        hostname: *const c_char,
        service: *const c_char,
    ),
>;
pub type uv_random_cb = Option<
    unsafe extern "C-unwind" fn(
        req: *mut uv_random_t,
        status: c_int,
        buf: *mut c_void,
        buflen: usize,
    ),
>;
pub type uv_fs_event_cb = Option<
    unsafe extern "C-unwind" fn(
        handle: *mut uv_fs_event_t,
        filename: *const c_char,
        events: c_int,
        status: c_int,
    ),
>;
pub type uv_fs_poll_cb = Option<
    unsafe extern "C-unwind" fn(
        handle: *mut uv_fs_poll_t,
        status: c_int,
        prev: *const uv_stat_t,
        curr: *const uv_stat_t,
    ),
>;
pub type uv_signal_cb =
    Option<unsafe extern "C-unwind" fn(handle: *mut uv_signal_t, signum: c_int)>;
pub type uv_udp_send_cb =
    Option<unsafe extern "C-unwind" fn(req: *mut uv_udp_send_t, status: c_int)>;
pub type uv_udp_recv_cb = Option<
    unsafe extern "C-unwind" fn(
        handle: *mut uv_udp_t,
        nread: ssize_t,
        buf: *const uv_buf_t,
        addr: *const libc::sockaddr,
        flags: c_uint,
    ),
>;
pub type uv_thread_cb = Option<unsafe extern "C-unwind" fn(arg: *mut c_void)>;

// ---- core private types ----

/// libuv's intrusive doubly linked list node (`struct uv__queue`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uv__queue {
    pub next: *mut uv__queue,
    pub prev: *mut uv__queue,
}

/// A unit of threadpool work (`uv/threadpool.h`).
#[repr(C)]
pub struct uv__work {
    pub work: Option<unsafe extern "C-unwind" fn(w: *mut uv__work)>,
    pub done: Option<unsafe extern "C-unwind" fn(w: *mut uv__work, status: c_int)>,
    pub r#loop: *mut uv_loop_t,
    pub wq: uv__queue,
}

/// An fd watched by the loop's poller (`uv__io_t`).
#[repr(C)]
pub struct uv__io_s {
    pub bits: usize,
    pub pending_queue: uv__queue,
    pub watcher_queue: uv__queue,
    pub pevents: c_uint,
    pub events: c_uint,
    pub fd: c_int,
}

/// Note: may be cast to `struct iovec`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uv_buf_t {
    pub base: *mut c_char,
    pub len: usize,
}

#[repr(C)]
pub struct uv_lib_t {
    pub handle: *mut c_void,
    pub errmsg: *mut c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uv_timespec_t {
    pub tv_sec: libc::c_long,
    pub tv_nsec: libc::c_long,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uv_timespec64_t {
    pub tv_sec: i64,
    pub tv_nsec: i32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uv_timeval_t {
    pub tv_sec: libc::c_long,
    pub tv_usec: libc::c_long,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uv_timeval64_t {
    pub tv_sec: i64,
    pub tv_usec: i32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uv_stat_t {
    pub st_dev: u64,
    pub st_mode: u64,
    pub st_nlink: u64,
    pub st_uid: u64,
    pub st_gid: u64,
    pub st_rdev: u64,
    pub st_ino: u64,
    pub st_size: u64,
    pub st_blksize: u64,
    pub st_blocks: u64,
    pub st_flags: u64,
    pub st_gen: u64,
    pub st_atim: uv_timespec_t,
    pub st_mtim: uv_timespec_t,
    pub st_ctim: uv_timespec_t,
    pub st_birthtim: uv_timespec_t,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uv_rusage_t {
    pub ru_utime: uv_timeval_t,
    pub ru_stime: uv_timeval_t,
    pub ru_maxrss: u64,
    pub ru_ixrss: u64,
    pub ru_idrss: u64,
    pub ru_isrss: u64,
    pub ru_minflt: u64,
    pub ru_majflt: u64,
    pub ru_nswap: u64,
    pub ru_inblock: u64,
    pub ru_oublock: u64,
    pub ru_msgsnd: u64,
    pub ru_msgrcv: u64,
    pub ru_nsignals: u64,
    pub ru_nvcsw: u64,
    pub ru_nivcsw: u64,
}

// ---- the loop ----

/// `loop->active_reqs`
#[repr(C)]
#[derive(Clone, Copy)]
pub union uv__loop_active_reqs {
    pub unused: *mut c_void,
    pub count: c_uint,
}

/// `loop->timer_heap`
#[repr(C)]
pub struct uv__loop_timer_heap {
    pub min: *mut c_void,
    pub nelts: c_uint,
}

#[repr(C)]
pub struct uv_loop_s {
    pub data: *mut c_void,
    pub active_handles: c_uint,
    pub handle_queue: uv__queue,
    pub active_reqs: uv__loop_active_reqs,
    pub internal_fields: *mut c_void,
    pub stop_flag: c_uint,
    pub flags: c_ulong,
    pub backend_fd: c_int,
    pub pending_queue: uv__queue,
    pub watcher_queue: uv__queue,
    pub watchers: *mut *mut uv__io_t,
    pub nwatchers: c_uint,
    pub nfds: c_uint,
    pub wq: uv__queue,
    pub wq_mutex: uv_mutex_t,
    pub wq_async: uv_async_s,
    pub cloexec_lock: uv_rwlock_t,
    pub closing_handles: *mut uv_handle_t,
    pub process_handles: uv__queue,
    pub prepare_handles: uv__queue,
    pub check_handles: uv__queue,
    pub idle_handles: uv__queue,
    pub async_handles: uv__queue,
    pub async_unused: Option<unsafe extern "C-unwind" fn()>,
    pub async_io_watcher: uv__io_s,
    pub async_wfd: c_int,
    pub timer_heap: uv__loop_timer_heap,
    pub timer_counter: u64,
    pub time: u64,
    pub signal_pipefd: [c_int; 2],
    pub signal_io_watcher: uv__io_s,
    pub child_watcher: uv_signal_s,
    pub emfile_fd: c_int,
    pub inotify_read_watcher: uv__io_s,
    pub inotify_watchers: *mut c_void,
    pub inotify_fd: c_int,
}

// ---- handles ----

/// `handle->u`
#[repr(C)]
#[derive(Clone, Copy)]
pub union uv__handle_u {
    pub fd: c_int,
    pub reserved: [*mut c_void; 4],
}

#[repr(C)]
pub struct uv_handle_s {
    pub data: *mut c_void,
    pub r#loop: *mut uv_loop_t,
    pub r#type: uv_handle_type,
    pub close_cb: uv_close_cb,
    pub handle_queue: uv__queue,
    pub u: uv__handle_u,
    pub next_closing: *mut uv_handle_t,
    pub flags: c_uint,
}

#[repr(C)]
pub struct uv_dir_s {
    pub dirents: *mut uv_dirent_t,
    pub nentries: usize,
    pub reserved: [*mut c_void; 4],
    pub dir: *mut libc::DIR,
}

#[repr(C)]
pub struct uv_stream_s {
    pub data: *mut c_void,
    pub r#loop: *mut uv_loop_t,
    pub r#type: uv_handle_type,
    pub close_cb: uv_close_cb,
    pub handle_queue: uv__queue,
    pub u: uv__handle_u,
    pub next_closing: *mut uv_handle_t,
    pub flags: c_uint,
    pub write_queue_size: usize,
    pub alloc_cb: uv_alloc_cb,
    pub read_cb: uv_read_cb,
    pub connect_req: *mut uv_connect_t,
    pub shutdown_req: *mut uv_shutdown_t,
    pub io_watcher: uv__io_s,
    pub write_queue: uv__queue,
    pub write_completed_queue: uv__queue,
    pub connection_cb: uv_connection_cb,
    pub delayed_error: c_int,
    pub accepted_fd: c_int,
    pub queued_fds: *mut c_void,
}

#[repr(C)]
pub struct uv_tcp_s {
    pub data: *mut c_void,
    pub r#loop: *mut uv_loop_t,
    pub r#type: uv_handle_type,
    pub close_cb: uv_close_cb,
    pub handle_queue: uv__queue,
    pub u: uv__handle_u,
    pub next_closing: *mut uv_handle_t,
    pub flags: c_uint,
    pub write_queue_size: usize,
    pub alloc_cb: uv_alloc_cb,
    pub read_cb: uv_read_cb,
    pub connect_req: *mut uv_connect_t,
    pub shutdown_req: *mut uv_shutdown_t,
    pub io_watcher: uv__io_s,
    pub write_queue: uv__queue,
    pub write_completed_queue: uv__queue,
    pub connection_cb: uv_connection_cb,
    pub delayed_error: c_int,
    pub accepted_fd: c_int,
    pub queued_fds: *mut c_void,
}

#[repr(C)]
pub struct uv_udp_s {
    pub data: *mut c_void,
    pub r#loop: *mut uv_loop_t,
    pub r#type: uv_handle_type,
    pub close_cb: uv_close_cb,
    pub handle_queue: uv__queue,
    pub u: uv__handle_u,
    pub next_closing: *mut uv_handle_t,
    pub flags: c_uint,
    pub send_queue_size: usize,
    pub send_queue_count: usize,
    pub alloc_cb: uv_alloc_cb,
    pub recv_cb: uv_udp_recv_cb,
    pub io_watcher: uv__io_s,
    pub write_queue: uv__queue,
    pub write_completed_queue: uv__queue,
}

#[repr(C)]
pub struct uv_pipe_s {
    pub data: *mut c_void,
    pub r#loop: *mut uv_loop_t,
    pub r#type: uv_handle_type,
    pub close_cb: uv_close_cb,
    pub handle_queue: uv__queue,
    pub u: uv__handle_u,
    pub next_closing: *mut uv_handle_t,
    pub flags: c_uint,
    pub write_queue_size: usize,
    pub alloc_cb: uv_alloc_cb,
    pub read_cb: uv_read_cb,
    pub connect_req: *mut uv_connect_t,
    pub shutdown_req: *mut uv_shutdown_t,
    pub io_watcher: uv__io_s,
    pub write_queue: uv__queue,
    pub write_completed_queue: uv__queue,
    pub connection_cb: uv_connection_cb,
    pub delayed_error: c_int,
    pub accepted_fd: c_int,
    pub queued_fds: *mut c_void,
    pub ipc: c_int,
    pub pipe_fname: *const c_char,
}

#[repr(C)]
pub struct uv_tty_s {
    pub data: *mut c_void,
    pub r#loop: *mut uv_loop_t,
    pub r#type: uv_handle_type,
    pub close_cb: uv_close_cb,
    pub handle_queue: uv__queue,
    pub u: uv__handle_u,
    pub next_closing: *mut uv_handle_t,
    pub flags: c_uint,
    pub write_queue_size: usize,
    pub alloc_cb: uv_alloc_cb,
    pub read_cb: uv_read_cb,
    pub connect_req: *mut uv_connect_t,
    pub shutdown_req: *mut uv_shutdown_t,
    pub io_watcher: uv__io_s,
    pub write_queue: uv__queue,
    pub write_completed_queue: uv__queue,
    pub connection_cb: uv_connection_cb,
    pub delayed_error: c_int,
    pub accepted_fd: c_int,
    pub queued_fds: *mut c_void,
    pub orig_termios: libc::termios,
    pub mode: c_int,
}

#[repr(C)]
pub struct uv_poll_s {
    pub data: *mut c_void,
    pub r#loop: *mut uv_loop_t,
    pub r#type: uv_handle_type,
    pub close_cb: uv_close_cb,
    pub handle_queue: uv__queue,
    pub u: uv__handle_u,
    pub next_closing: *mut uv_handle_t,
    pub flags: c_uint,
    pub poll_cb: uv_poll_cb,
    pub io_watcher: uv__io_s,
}

/// `timer->node`: the timer's place in the loop's heap, or in the ready queue while it runs.
#[repr(C)]
#[derive(Clone, Copy)]
pub union uv__timer_node {
    pub heap: [*mut c_void; 3],
    pub queue: uv__queue,
}

#[repr(C)]
pub struct uv_timer_s {
    pub data: *mut c_void,
    pub r#loop: *mut uv_loop_t,
    pub r#type: uv_handle_type,
    pub close_cb: uv_close_cb,
    pub handle_queue: uv__queue,
    pub u: uv__handle_u,
    pub next_closing: *mut uv_handle_t,
    pub flags: c_uint,
    pub timer_cb: uv_timer_cb,
    pub node: uv__timer_node,
    pub timeout: u64,
    pub repeat: u64,
    pub start_id: u64,
}

#[repr(C)]
pub struct uv_prepare_s {
    pub data: *mut c_void,
    pub r#loop: *mut uv_loop_t,
    pub r#type: uv_handle_type,
    pub close_cb: uv_close_cb,
    pub handle_queue: uv__queue,
    pub u: uv__handle_u,
    pub next_closing: *mut uv_handle_t,
    pub flags: c_uint,
    pub prepare_cb: uv_prepare_cb,
    pub queue: uv__queue,
}

#[repr(C)]
pub struct uv_check_s {
    pub data: *mut c_void,
    pub r#loop: *mut uv_loop_t,
    pub r#type: uv_handle_type,
    pub close_cb: uv_close_cb,
    pub handle_queue: uv__queue,
    pub u: uv__handle_u,
    pub next_closing: *mut uv_handle_t,
    pub flags: c_uint,
    pub check_cb: uv_check_cb,
    pub queue: uv__queue,
}

#[repr(C)]
pub struct uv_idle_s {
    pub data: *mut c_void,
    pub r#loop: *mut uv_loop_t,
    pub r#type: uv_handle_type,
    pub close_cb: uv_close_cb,
    pub handle_queue: uv__queue,
    pub u: uv__handle_u,
    pub next_closing: *mut uv_handle_t,
    pub flags: c_uint,
    pub idle_cb: uv_idle_cb,
    pub queue: uv__queue,
}

#[repr(C)]
pub struct uv_async_s {
    pub data: *mut c_void,
    pub r#loop: *mut uv_loop_t,
    pub r#type: uv_handle_type,
    pub close_cb: uv_close_cb,
    pub handle_queue: uv__queue,
    pub u: uv__handle_u,
    pub next_closing: *mut uv_handle_t,
    pub flags: c_uint,
    pub async_cb: uv_async_cb,
    pub queue: uv__queue,
    pub pending: c_int,
}

#[repr(C)]
pub struct uv_process_s {
    pub data: *mut c_void,
    pub r#loop: *mut uv_loop_t,
    pub r#type: uv_handle_type,
    pub close_cb: uv_close_cb,
    pub handle_queue: uv__queue,
    pub u: uv__handle_u,
    pub next_closing: *mut uv_handle_t,
    pub flags: c_uint,
    pub exit_cb: uv_exit_cb,
    pub pid: c_int,
    pub queue: uv__queue,
    pub status: c_int,
}

#[repr(C)]
pub struct uv_fs_event_s {
    pub data: *mut c_void,
    pub r#loop: *mut uv_loop_t,
    pub r#type: uv_handle_type,
    pub close_cb: uv_close_cb,
    pub handle_queue: uv__queue,
    pub u: uv__handle_u,
    pub next_closing: *mut uv_handle_t,
    pub flags: c_uint,
    pub path: *mut c_char,
    pub cb: uv_fs_event_cb,
    pub watchers: uv__queue,
    pub wd: c_int,
}

#[repr(C)]
pub struct uv_fs_poll_s {
    pub data: *mut c_void,
    pub r#loop: *mut uv_loop_t,
    pub r#type: uv_handle_type,
    pub close_cb: uv_close_cb,
    pub handle_queue: uv__queue,
    pub u: uv__handle_u,
    pub next_closing: *mut uv_handle_t,
    pub flags: c_uint,
    pub poll_ctx: *mut c_void,
}

/// `signal->tree_entry`: the node of the process-wide signal tree.
#[repr(C)]
pub struct uv__signal_tree_entry {
    pub rbe_left: *mut uv_signal_t,
    pub rbe_right: *mut uv_signal_t,
    pub rbe_parent: *mut uv_signal_t,
    pub rbe_color: c_int,
}

#[repr(C)]
pub struct uv_signal_s {
    pub data: *mut c_void,
    pub r#loop: *mut uv_loop_t,
    pub r#type: uv_handle_type,
    pub close_cb: uv_close_cb,
    pub handle_queue: uv__queue,
    pub u: uv__handle_u,
    pub next_closing: *mut uv_handle_t,
    pub flags: c_uint,
    pub signal_cb: uv_signal_cb,
    pub signum: c_int,
    pub tree_entry: uv__signal_tree_entry,
    pub caught_signals: c_uint,
    pub dispatched_signals: c_uint,
}

// ---- requests ----

#[repr(C)]
pub struct uv_req_s {
    pub data: *mut c_void,
    pub r#type: uv_req_type,
    pub reserved: [*mut c_void; 6],
}

#[repr(C)]
pub struct uv_getaddrinfo_s {
    pub data: *mut c_void,
    pub r#type: uv_req_type,
    pub reserved: [*mut c_void; 6],
    pub r#loop: *mut uv_loop_t,
    pub work_req: uv__work,
    pub cb: uv_getaddrinfo_cb,
    pub hints: *mut libc::addrinfo,
    pub hostname: *mut c_char,
    pub service: *mut c_char,
    pub addrinfo: *mut libc::addrinfo,
    pub retcode: c_int,
}

#[repr(C)]
pub struct uv_getnameinfo_s {
    pub data: *mut c_void,
    pub r#type: uv_req_type,
    pub reserved: [*mut c_void; 6],
    pub r#loop: *mut uv_loop_t,
    pub work_req: uv__work,
    pub getnameinfo_cb: uv_getnameinfo_cb,
    pub storage: libc::sockaddr_storage,
    pub flags: c_int,
    pub host: [c_char; 1025],
    pub service: [c_char; 32],
    pub retcode: c_int,
}

#[repr(C)]
pub struct uv_shutdown_s {
    pub data: *mut c_void,
    pub r#type: uv_req_type,
    pub reserved: [*mut c_void; 6],
    pub handle: *mut uv_stream_t,
    pub cb: uv_shutdown_cb,
}

#[repr(C)]
pub struct uv_write_s {
    pub data: *mut c_void,
    pub r#type: uv_req_type,
    pub reserved: [*mut c_void; 6],
    pub cb: uv_write_cb,
    pub send_handle: *mut uv_stream_t,
    pub handle: *mut uv_stream_t,
    pub queue: uv__queue,
    pub write_index: c_uint,
    pub bufs: *mut uv_buf_t,
    pub nbufs: c_uint,
    pub error: c_int,
    pub bufsml: [uv_buf_t; 4],
}

#[repr(C)]
pub struct uv_connect_s {
    pub data: *mut c_void,
    pub r#type: uv_req_type,
    pub reserved: [*mut c_void; 6],
    pub cb: uv_connect_cb,
    pub handle: *mut uv_stream_t,
    pub queue: uv__queue,
}

/// `udp_send_req->u`: the destination address.
#[repr(C)]
#[derive(Clone, Copy)]
pub union uv__udp_send_u {
    pub addr: libc::sockaddr,
    pub storage: libc::sockaddr_storage,
}

#[repr(C)]
pub struct uv_udp_send_s {
    pub data: *mut c_void,
    pub r#type: uv_req_type,
    pub reserved: [*mut c_void; 6],
    pub handle: *mut uv_udp_t,
    pub cb: uv_udp_send_cb,
    pub queue: uv__queue,
    pub u: uv__udp_send_u,
    pub nbufs: c_uint,
    pub bufs: *mut uv_buf_t,
    pub status: ssize_t,
    pub send_cb: uv_udp_send_cb,
    pub bufsml: [uv_buf_t; 4],
}

#[repr(C)]
pub struct uv_fs_s {
    pub data: *mut c_void,
    pub r#type: uv_req_type,
    pub reserved: [*mut c_void; 6],
    pub fs_type: uv_fs_type,
    pub r#loop: *mut uv_loop_t,
    pub cb: uv_fs_cb,
    pub result: ssize_t,
    pub ptr: *mut c_void,
    pub path: *const c_char,
    pub statbuf: uv_stat_t,
    pub new_path: *const c_char,
    pub file: uv_file,
    pub flags: c_int,
    pub mode: libc::mode_t,
    pub nbufs: c_uint,
    pub bufs: *mut uv_buf_t,
    pub off: libc::off_t,
    pub uid: uv_uid_t,
    pub gid: uv_gid_t,
    pub atime: f64,
    pub mtime: f64,
    pub work_req: uv__work,
    pub bufsml: [uv_buf_t; 4],
}

#[repr(C)]
pub struct uv_work_s {
    pub data: *mut c_void,
    pub r#type: uv_req_type,
    pub reserved: [*mut c_void; 6],
    pub r#loop: *mut uv_loop_t,
    pub work_cb: uv_work_cb,
    pub after_work_cb: uv_after_work_cb,
    pub work_req: uv__work,
}

#[repr(C)]
pub struct uv_random_s {
    pub data: *mut c_void,
    pub r#type: uv_req_type,
    pub reserved: [*mut c_void; 6],
    pub r#loop: *mut uv_loop_t,
    pub status: c_int,
    pub buf: *mut c_void,
    pub buflen: usize,
    pub cb: uv_random_cb,
    pub work_req: uv__work,
}

// ---- plain data types ----

#[repr(C)]
pub struct uv_env_item_s {
    pub name: *mut c_char,
    pub value: *mut c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uv_cpu_times_s {
    pub user: u64,
    pub nice: u64,
    pub sys: u64,
    pub idle: u64,
    pub irq: u64,
}

#[repr(C)]
pub struct uv_cpu_info_s {
    pub model: *const c_char,
    pub speed: c_int,
    pub cpu_times: uv_cpu_times_s,
}

/// `interface_address->address`
#[repr(C)]
#[derive(Clone, Copy)]
pub union uv__interface_address_u {
    pub address4: libc::sockaddr_in,
    pub address6: libc::sockaddr_in6,
}

/// `interface_address->netmask`
#[repr(C)]
#[derive(Clone, Copy)]
pub union uv__interface_netmask_u {
    pub netmask4: libc::sockaddr_in,
    pub netmask6: libc::sockaddr_in6,
}

#[repr(C)]
pub struct uv_interface_address_s {
    pub name: *mut c_char,
    pub phys_addr: [c_char; 6],
    pub is_internal: c_int,
    pub address: uv__interface_address_u,
    pub netmask: uv__interface_netmask_u,
}

#[repr(C)]
pub struct uv_dirent_s {
    pub name: *const c_char,
    pub r#type: uv_dirent_type_t,
}

#[repr(C)]
pub struct uv_passwd_s {
    pub username: *mut c_char,
    pub uid: c_ulong,
    pub gid: c_ulong,
    pub shell: *mut c_char,
    pub homedir: *mut c_char,
}

#[repr(C)]
pub struct uv_group_s {
    pub groupname: *mut c_char,
    pub gid: c_ulong,
    pub members: *mut *mut c_char,
}

#[repr(C)]
pub struct uv_utsname_s {
    pub sysname: [c_char; 256],
    pub release: [c_char; 256],
    pub version: [c_char; 256],
    pub machine: [c_char; 256],
}

#[repr(C)]
pub struct uv_statfs_s {
    pub f_type: u64,
    pub f_bsize: u64,
    pub f_blocks: u64,
    pub f_bfree: u64,
    pub f_bavail: u64,
    pub f_files: u64,
    pub f_ffree: u64,
    pub f_frsize: u64,
    pub f_spare: [u64; 3],
}

#[repr(C)]
pub struct uv_metrics_s {
    pub loop_count: u64,
    pub events: u64,
    pub events_waiting: u64,
    pub reserved: [*mut u64; 13],
}

/// `stdio_container->data`
#[repr(C)]
#[derive(Clone, Copy)]
pub union uv__stdio_container_data {
    pub stream: *mut uv_stream_t,
    pub fd: c_int,
}

#[repr(C)]
pub struct uv_stdio_container_s {
    pub flags: uv_stdio_flags,
    pub data: uv__stdio_container_data,
}

#[repr(C)]
pub struct uv_process_options_s {
    pub exit_cb: uv_exit_cb,
    pub file: *const c_char,
    pub args: *mut *mut c_char,
    pub env: *mut *mut c_char,
    pub cwd: *const c_char,
    pub flags: c_uint,
    pub stdio_count: c_int,
    pub stdio: *mut uv_stdio_container_t,
    pub uid: uv_uid_t,
    pub gid: uv_gid_t,
}

#[repr(C)]
pub struct uv_thread_options_s {
    pub flags: c_uint,
    pub stack_size: usize,
}

#[repr(C)]
pub union uv_any_handle {
    pub r#async: core::mem::ManuallyDrop<uv_async_t>,
    pub check: core::mem::ManuallyDrop<uv_check_t>,
    pub fs_event: core::mem::ManuallyDrop<uv_fs_event_t>,
    pub fs_poll: core::mem::ManuallyDrop<uv_fs_poll_t>,
    pub handle: core::mem::ManuallyDrop<uv_handle_t>,
    pub idle: core::mem::ManuallyDrop<uv_idle_t>,
    pub pipe: core::mem::ManuallyDrop<uv_pipe_t>,
    pub poll: core::mem::ManuallyDrop<uv_poll_t>,
    pub prepare: core::mem::ManuallyDrop<uv_prepare_t>,
    pub process: core::mem::ManuallyDrop<uv_process_t>,
    pub stream: core::mem::ManuallyDrop<uv_stream_t>,
    pub tcp: core::mem::ManuallyDrop<uv_tcp_t>,
    pub timer: core::mem::ManuallyDrop<uv_timer_t>,
    pub tty: core::mem::ManuallyDrop<uv_tty_t>,
    pub udp: core::mem::ManuallyDrop<uv_udp_t>,
    pub signal: core::mem::ManuallyDrop<uv_signal_t>,
}

#[repr(C)]
pub union uv_any_req {
    pub req: core::mem::ManuallyDrop<uv_req_t>,
    pub connect: core::mem::ManuallyDrop<uv_connect_t>,
    pub write: core::mem::ManuallyDrop<uv_write_t>,
    pub shutdown: core::mem::ManuallyDrop<uv_shutdown_t>,
    pub udp_send: core::mem::ManuallyDrop<uv_udp_send_t>,
    pub fs: core::mem::ManuallyDrop<uv_fs_t>,
    pub work: core::mem::ManuallyDrop<uv_work_t>,
    pub getaddrinfo: core::mem::ManuallyDrop<uv_getaddrinfo_t>,
    pub getnameinfo: core::mem::ManuallyDrop<uv_getnameinfo_t>,
    pub random: core::mem::ManuallyDrop<uv_random_t>,
}
