//! Build script: gives the shared object libuv's SONAME and generates libuv's headers.
//!
//! The headers are generated from the Rust sources, so the library and the header cannot
//! drift apart:
//! - cbindgen prints every `#[repr(C)]` type of `src/abi/types.rs`;
//! - the enums, integer macros, error map and API declarations come from the same tables the
//!   library uses (`src/abi/enums.rs`, `src/abi/errno_table.rs`, `src/abi/api_table.rs`);
//! - a second cbindgen pass prints the signatures of the functions the library really
//!   exports, and a C compiler checks them against the declarations in the header.
//!
//! Output goes to `target/gen-include/` (a fresh generation, every build). `include/` holds
//! the committed copy; `make header` refreshes it and `make test` fails if they differ.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

#[allow(dead_code)]
mod enums {
    include!("src/abi/enums.rs");
}
#[allow(dead_code)]
mod errno_table {
    include!("src/abi/errno_table.rs");
}
mod api_table {
    include!("src/abi/api_table.rs");
}

const VERSION: (u32, u32, u32) = (1, 52, 1);

/// Struct typedefs declared up front, as libuv's header does, so that any type can point to
/// any other regardless of the order in which cbindgen prints the definitions.
const STRUCT_TYPEDEFS: &[(&str, &str)] = &[
    ("uv__io_s", "uv__io_t"),
    ("uv_buf_t", "uv_buf_t"),
    ("uv_lib_t", "uv_lib_t"),
    ("uv_loop_s", "uv_loop_t"),
    ("uv_handle_s", "uv_handle_t"),
    ("uv_dir_s", "uv_dir_t"),
    ("uv_stream_s", "uv_stream_t"),
    ("uv_tcp_s", "uv_tcp_t"),
    ("uv_udp_s", "uv_udp_t"),
    ("uv_pipe_s", "uv_pipe_t"),
    ("uv_tty_s", "uv_tty_t"),
    ("uv_poll_s", "uv_poll_t"),
    ("uv_timer_s", "uv_timer_t"),
    ("uv_prepare_s", "uv_prepare_t"),
    ("uv_check_s", "uv_check_t"),
    ("uv_idle_s", "uv_idle_t"),
    ("uv_async_s", "uv_async_t"),
    ("uv_process_s", "uv_process_t"),
    ("uv_fs_event_s", "uv_fs_event_t"),
    ("uv_fs_poll_s", "uv_fs_poll_t"),
    ("uv_signal_s", "uv_signal_t"),
    ("uv_req_s", "uv_req_t"),
    ("uv_getaddrinfo_s", "uv_getaddrinfo_t"),
    ("uv_getnameinfo_s", "uv_getnameinfo_t"),
    ("uv_shutdown_s", "uv_shutdown_t"),
    ("uv_write_s", "uv_write_t"),
    ("uv_connect_s", "uv_connect_t"),
    ("uv_udp_send_s", "uv_udp_send_t"),
    ("uv_fs_s", "uv_fs_t"),
    ("uv_work_s", "uv_work_t"),
    ("uv_random_s", "uv_random_t"),
    ("uv_env_item_s", "uv_env_item_t"),
    ("uv_cpu_info_s", "uv_cpu_info_t"),
    ("uv_interface_address_s", "uv_interface_address_t"),
    ("uv_dirent_s", "uv_dirent_t"),
    ("uv_passwd_s", "uv_passwd_t"),
    ("uv_group_s", "uv_group_t"),
    ("uv_utsname_s", "uv_utsname_t"),
    ("uv_statfs_s", "uv_statfs_t"),
    ("uv_metrics_s", "uv_metrics_t"),
    ("uv_timespec_t", "uv_timespec_t"),
    ("uv_timespec64_t", "uv_timespec64_t"),
    ("uv_timeval_t", "uv_timeval_t"),
    ("uv_timeval64_t", "uv_timeval64_t"),
    ("uv_stat_t", "uv_stat_t"),
    ("uv_rusage_t", "uv_rusage_t"),
    ("uv_stdio_container_s", "uv_stdio_container_t"),
    ("uv_process_options_s", "uv_process_options_t"),
    ("uv_thread_options_s", "uv_thread_options_t"),
];

/// Typedefs of system types (uv/unix.h), printed as text.
const PLATFORM_TYPEDEFS: &[(&str, &str)] = &[
    ("int", "uv_file"),
    ("int", "uv_os_sock_t"),
    ("int", "uv_os_fd_t"),
    ("pid_t", "uv_pid_t"),
    ("pthread_once_t", "uv_once_t"),
    ("pthread_t", "uv_thread_t"),
    ("pthread_mutex_t", "uv_mutex_t"),
    ("sem_t", "uv_sem_t"),
    ("pthread_cond_t", "uv_cond_t"),
    ("pthread_key_t", "uv_key_t"),
    ("gid_t", "uv_gid_t"),
    ("uid_t", "uv_uid_t"),
    ("struct dirent", "uv__dirent_t"),
];

/// libuv's field macros, which some programs use to declare structs that extend libuv's.
/// The C tests check that a struct declared with them has the layout of the real type.
const FIELD_MACROS: &str = r#"
/* Field macros, as in libuv's headers: a struct declared with them has libuv's layout. */
#define UV_REQ_PRIVATE_FIELDS /* empty */
#define UV_REQ_FIELDS                                                         \
  void* data;                                                                 \
  uv_req_type type;                                                           \
  void* reserved[6];                                                          \
  UV_REQ_PRIVATE_FIELDS                                                       \

#define UV_HANDLE_PRIVATE_FIELDS                                              \
  uv_handle_t* next_closing;                                                  \
  unsigned int flags;                                                         \

#define UV_HANDLE_FIELDS                                                      \
  void* data;                                                                 \
  uv_loop_t* loop;                                                            \
  uv_handle_type type;                                                        \
  uv_close_cb close_cb;                                                       \
  struct uv__queue handle_queue;                                              \
  union {                                                                     \
    int fd;                                                                   \
    void* reserved[4];                                                        \
  } u;                                                                        \
  UV_HANDLE_PRIVATE_FIELDS                                                    \

#define UV_STREAM_PRIVATE_PLATFORM_FIELDS /* empty */
#define UV_STREAM_PRIVATE_FIELDS                                              \
  uv_connect_t *connect_req;                                                  \
  uv_shutdown_t *shutdown_req;                                                \
  uv__io_t io_watcher;                                                        \
  struct uv__queue write_queue;                                               \
  struct uv__queue write_completed_queue;                                     \
  uv_connection_cb connection_cb;                                             \
  int delayed_error;                                                          \
  int accepted_fd;                                                            \
  void* queued_fds;                                                           \
  UV_STREAM_PRIVATE_PLATFORM_FIELDS                                           \

#define UV_STREAM_FIELDS                                                      \
  size_t write_queue_size;                                                    \
  uv_alloc_cb alloc_cb;                                                       \
  uv_read_cb read_cb;                                                         \
  UV_STREAM_PRIVATE_FIELDS

#define UV_IO_PRIVATE_PLATFORM_FIELDS /* empty */
#define UV_PLATFORM_SEM_T sem_t
#define UV_PLATFORM_LOOP_FIELDS                                               \
  uv__io_t inotify_read_watcher;                                              \
  void* inotify_watchers;                                                     \
  int inotify_fd;                                                             \

#define UV_PLATFORM_FS_EVENT_FIELDS                                           \
  struct uv__queue watchers;                                                  \
  int wd;                                                                     \

#define UV_LOOP_PRIVATE_FIELDS                                                \
  unsigned long flags;                                                        \
  int backend_fd;                                                             \
  struct uv__queue pending_queue;                                             \
  struct uv__queue watcher_queue;                                             \
  uv__io_t** watchers;                                                        \
  unsigned int nwatchers;                                                     \
  unsigned int nfds;                                                          \
  struct uv__queue wq;                                                        \
  uv_mutex_t wq_mutex;                                                        \
  uv_async_t wq_async;                                                        \
  uv_rwlock_t cloexec_lock;                                                   \
  uv_handle_t* closing_handles;                                               \
  struct uv__queue process_handles;                                           \
  struct uv__queue prepare_handles;                                           \
  struct uv__queue check_handles;                                             \
  struct uv__queue idle_handles;                                              \
  struct uv__queue async_handles;                                             \
  void (*async_unused)(void);                                                 \
  uv__io_t async_io_watcher;                                                  \
  int async_wfd;                                                              \
  struct {                                                                    \
    void* min;                                                                \
    unsigned int nelts;                                                       \
  } timer_heap;                                                               \
  uint64_t timer_counter;                                                     \
  uint64_t time;                                                              \
  int signal_pipefd[2];                                                       \
  uv__io_t signal_io_watcher;                                                 \
  uv_signal_t child_watcher;                                                  \
  int emfile_fd;                                                              \
  UV_PLATFORM_LOOP_FIELDS                                                     \

#define UV_WRITE_PRIVATE_FIELDS                                               \
  struct uv__queue queue;                                                     \
  unsigned int write_index;                                                   \
  uv_buf_t* bufs;                                                             \
  unsigned int nbufs;                                                         \
  int error;                                                                  \
  uv_buf_t bufsml[4];                                                         \

#define UV_CONNECT_PRIVATE_FIELDS                                             \
  struct uv__queue queue;                                                     \

#define UV_SHUTDOWN_PRIVATE_FIELDS /* empty */

#define UV_UDP_SEND_PRIVATE_FIELDS                                            \
  struct uv__queue queue;                                                     \
  union {                                                                     \
    struct sockaddr addr;                                                     \
    struct sockaddr_storage storage;                                          \
  } u;                                                                        \
  unsigned int nbufs;                                                         \
  uv_buf_t* bufs;                                                             \
  ssize_t status;                                                             \
  uv_udp_send_cb send_cb;                                                     \
  uv_buf_t bufsml[4];                                                         \

#define UV_TCP_PRIVATE_FIELDS /* empty */

#define UV_UDP_PRIVATE_FIELDS                                                 \
  uv_alloc_cb alloc_cb;                                                       \
  uv_udp_recv_cb recv_cb;                                                     \
  uv__io_t io_watcher;                                                        \
  struct uv__queue write_queue;                                               \
  struct uv__queue write_completed_queue;                                     \

#define UV_PIPE_PRIVATE_FIELDS                                                \
  const char* pipe_fname; /* NULL or strdup'ed */

#define UV_POLL_PRIVATE_FIELDS                                                \
  uv__io_t io_watcher;

#define UV_PREPARE_PRIVATE_FIELDS                                             \
  uv_prepare_cb prepare_cb;                                                   \
  struct uv__queue queue;                                                     \

#define UV_CHECK_PRIVATE_FIELDS                                               \
  uv_check_cb check_cb;                                                       \
  struct uv__queue queue;                                                     \

#define UV_IDLE_PRIVATE_FIELDS                                                \
  uv_idle_cb idle_cb;                                                         \
  struct uv__queue queue;                                                     \

#define UV_ASYNC_PRIVATE_FIELDS                                               \
  uv_async_cb async_cb;                                                       \
  struct uv__queue queue;                                                     \
  int pending;                                                                \

#define UV_TIMER_PRIVATE_FIELDS                                               \
  uv_timer_cb timer_cb;                                                       \
  union {                                                                     \
    void* heap[3];                                                            \
    struct uv__queue queue;                                                   \
  } node;                                                                     \
  uint64_t timeout;                                                           \
  uint64_t repeat;                                                            \
  uint64_t start_id;

#define UV_GETADDRINFO_PRIVATE_FIELDS                                         \
  struct uv__work work_req;                                                   \
  uv_getaddrinfo_cb cb;                                                       \
  struct addrinfo* hints;                                                     \
  char* hostname;                                                             \
  char* service;                                                              \
  struct addrinfo* addrinfo;                                                  \
  int retcode;

#define UV_GETNAMEINFO_PRIVATE_FIELDS                                         \
  struct uv__work work_req;                                                   \
  uv_getnameinfo_cb getnameinfo_cb;                                           \
  struct sockaddr_storage storage;                                            \
  int flags;                                                                  \
  char host[NI_MAXHOST];                                                      \
  char service[NI_MAXSERV];                                                   \
  int retcode;

#define UV_PROCESS_PRIVATE_FIELDS                                             \
  struct uv__queue queue;                                                     \
  int status;                                                                 \

#define UV_FS_PRIVATE_FIELDS                                                  \
  const char *new_path;                                                       \
  uv_file file;                                                               \
  int flags;                                                                  \
  mode_t mode;                                                                \
  unsigned int nbufs;                                                         \
  uv_buf_t* bufs;                                                             \
  off_t off;                                                                  \
  uv_uid_t uid;                                                               \
  uv_gid_t gid;                                                               \
  double atime;                                                               \
  double mtime;                                                               \
  struct uv__work work_req;                                                   \
  uv_buf_t bufsml[4];                                                         \

#define UV_WORK_PRIVATE_FIELDS                                                \
  struct uv__work work_req;

#define UV_TTY_PRIVATE_FIELDS                                                 \
  struct termios orig_termios;                                                \
  int mode;

#define UV_SIGNAL_PRIVATE_FIELDS                                              \
  /* RB_ENTRY(uv_signal_s) tree_entry; */                                     \
  struct {                                                                    \
    struct uv_signal_s* rbe_left;                                             \
    struct uv_signal_s* rbe_right;                                            \
    struct uv_signal_s* rbe_parent;                                           \
    int rbe_color;                                                            \
  } tree_entry;                                                               \
  /* Use two counters here so we don have to fiddle with atomics. */          \
  unsigned int caught_signals;                                                \
  unsigned int dispatched_signals;

#define UV_FS_EVENT_PRIVATE_FIELDS                                            \
  uv_fs_event_cb cb;                                                          \
  UV_PLATFORM_FS_EVENT_FIELDS                                                 \

#define UV_DIR_PRIVATE_FIELDS                                                 \
  DIR* dir;

#define UV_RANDOM_PRIVATE_FIELDS                                              \
  struct uv__work work_req;
"#;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src");
    // The shared object is libuv.so.1 to the dynamic linker, whatever file name it has.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libuv.so.1");

    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let gen = root.join("target").join("gen-include");
    fs::create_dir_all(gen.join("uv")).unwrap();

    write_if_changed(&gen.join("uv/errno.h"), &errno_h());
    write_if_changed(&gen.join("uv/version.h"), &version_h());
    for (name, guard) in [
        ("unix.h", "UV_UNIX_H"),
        ("linux.h", "UV_LINUX_H"),
        ("threadpool.h", "UV_THREADPOOL_H_"),
    ] {
        write_if_changed(&gen.join("uv").join(name), &forwarding_h(guard));
    }
    let uv_h = uv_h(&root);
    write_if_changed(&gen.join("uv.h"), &uv_h);

    // Check: the exported Rust functions agree with the declarations of uv.h.
    let exports = generate(&root, exports_config());
    let check_dir = root.join("target").join("gen-check");
    fs::create_dir_all(&check_dir).unwrap();
    write_if_changed(&check_dir.join("rsuv_exports.h"), &exports);
    let check_c = check_dir.join("check.c");
    write_if_changed(
        &check_c,
        "#include <uv.h>\n#include \"rsuv_exports.h\"\nint rsuv_check_unused;\n",
    );
    let compiler = cc::Build::new()
        .cargo_metadata(false)
        .cargo_warnings(false)
        .opt_level(0)
        .host(&env::var("HOST").unwrap())
        .target(&env::var("TARGET").unwrap())
        .get_compiler();
    let out = compiler
        .to_command()
        .args([
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-fsyntax-only",
            "-I",
        ])
        .arg(&gen)
        .arg(&check_c)
        .output()
        .expect("run the C compiler");
    if !out.status.success() {
        panic!(
            "an exported Rust signature disagrees with uv.h:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn write_if_changed(path: &Path, text: &str) {
    if fs::read_to_string(path).ok().as_deref() != Some(text) {
        fs::write(path, text).unwrap();
    }
}

const NOTICE: &str = "/* Generated by rsuv's build.rs from the Rust sources; do not edit. */\n";

fn errno_h() -> String {
    let mut s = String::from(NOTICE);
    s.push_str("#ifndef UV_ERRNO_H_\n#define UV_ERRNO_H_\n\n#include <errno.h>\n\n");
    s.push_str("#define UV__EOF     (-4095)\n#define UV__UNKNOWN (-4094)\n\n");
    for (name, value, _) in errno_table::ERRNO_TABLE {
        if *name == "EOF" || *name == "UNKNOWN" {
            continue;
        }
        writeln!(s, "#define UV__{name} ({value})").unwrap();
    }
    s.push_str("\n#endif /* UV_ERRNO_H_ */\n");
    s
}

fn version_h() -> String {
    let (ma, mi, pa) = VERSION;
    format!(
        "{NOTICE}#ifndef UV_VERSION_H\n#define UV_VERSION_H\n\n\
         #define UV_VERSION_MAJOR {ma}\n#define UV_VERSION_MINOR {mi}\n\
         #define UV_VERSION_PATCH {pa}\n#define UV_VERSION_IS_RELEASE 1\n\
         #define UV_VERSION_SUFFIX \"\"\n\n\
         #define UV_VERSION_HEX  ((UV_VERSION_MAJOR << 16) | \\\n\
         \x20                        (UV_VERSION_MINOR <<  8) | \\\n\
         \x20                        (UV_VERSION_PATCH))\n\n#endif /* UV_VERSION_H */\n"
    )
}

/// uv/unix.h, uv/linux.h and uv/threadpool.h: everything they declare lives in uv.h, so a
/// program that includes one of them directly gets the whole API, as with libuv.
fn forwarding_h(guard: &str) -> String {
    format!("{NOTICE}#ifndef {guard}\n#define {guard}\n#include \"../uv.h\"\n#endif\n")
}

fn enum_text() -> String {
    let mut s = String::new();
    // uv_errno_t, uv_handle_type and uv_req_type are built from libuv's X-macros.
    s.push_str("#define UV_ERRNO_MAP(XX) \\\n");
    for (name, _, msg) in errno_table::ERRNO_TABLE {
        writeln!(s, "  XX({name}, \"{msg}\") \\").unwrap();
    }
    s.push('\n');
    s.push_str("#define UV_HANDLE_TYPE_MAP(XX) \\\n");
    for (uc, lc) in enums::HANDLE_TYPE_MAP {
        writeln!(s, "  XX({uc}, {lc}) \\").unwrap();
    }
    s.push('\n');
    s.push_str("#define UV_REQ_TYPE_MAP(XX) \\\n");
    for (uc, lc) in enums::REQ_TYPE_MAP {
        writeln!(s, "  XX({uc}, {lc}) \\").unwrap();
    }
    s.push_str(
        r#"
typedef enum {
#define XX(code, _) UV_ ## code = UV__ ## code,
  UV_ERRNO_MAP(XX)
#undef XX
  UV_ERRNO_MAX = UV__EOF - 1
} uv_errno_t;

typedef enum {
  UV_UNKNOWN_HANDLE = 0,
#define XX(uc, lc) UV_##uc,
  UV_HANDLE_TYPE_MAP(XX)
#undef XX
  UV_FILE,
  UV_HANDLE_TYPE_MAX
} uv_handle_type;

#define UV_REQ_TYPE_PRIVATE /* empty */
#define UV_PRIVATE_REQ_TYPES /* empty */

typedef enum {
  UV_UNKNOWN_REQ = 0,
#define XX(uc, lc) UV_##uc,
  UV_REQ_TYPE_MAP(XX)
#undef XX
  UV_REQ_TYPE_PRIVATE
  UV_REQ_TYPE_MAX
} uv_req_type;

"#,
    );
    for e in enums::ENUMS {
        match e.kind {
            enums::EnumKind::Typedef => s.push_str("typedef enum {\n"),
            enums::EnumKind::Tagged => writeln!(s, "enum {} {{", e.name).unwrap(),
            enums::EnumKind::Anonymous => s.push_str("enum {\n"),
        }
        let n = e.items.len();
        for (i, (item, value)) in e.items.iter().enumerate() {
            let sep = if i + 1 < n { "," } else { "" };
            writeln!(s, "  {item} = {value}{sep}").unwrap();
        }
        match e.kind {
            enums::EnumKind::Typedef => writeln!(s, "}} {};\n", e.name).unwrap(),
            _ => s.push_str("};\n\n"),
        }
    }
    // libuv lets programs test for this option with #ifdef.
    s.push_str("#define UV_LOOP_USE_IO_URING_SQPOLL UV_LOOP_USE_IO_URING_SQPOLL\n\n");
    s
}

fn macro_text() -> String {
    let mut s = String::new();
    for (name, text, _) in enums::MACROS {
        writeln!(s, "#define {name} {text}").unwrap();
    }
    s.push_str(
        "#if defined(O_NOATIME)\n# define UV_FS_O_NOATIME O_NOATIME\n#else\n\
         # define UV_FS_O_NOATIME 0\n#endif\n\n",
    );
    s.push_str("#define UV_FS_UTIME_NOW  (INFINITY)\n#define UV_FS_UTIME_OMIT (NAN)\n\n");
    s.push_str("#ifndef NI_MAXHOST\n# define NI_MAXHOST 1025\n#endif\n");
    s.push_str("#ifndef NI_MAXSERV\n# define NI_MAXSERV 32\n#endif\n\n");
    s.push_str("#define UV_ONCE_INIT PTHREAD_ONCE_INIT\n#define UV_DYNAMIC /* empty */\n\n");
    s
}

fn after_includes() -> String {
    let mut s = String::new();
    s.push_str(
        r#"
#include "uv/errno.h"
#include "uv/version.h"

#if defined(BUILDING_UV_SHARED) && defined(USING_UV_SHARED)
#error "Define either BUILDING_UV_SHARED or USING_UV_SHARED, not both."
#endif

#ifndef UV_EXTERN
# if defined(__GNUC__) && __GNUC__ >= 4
#  define UV_EXTERN __attribute__((visibility("default")))
# else
#  define UV_EXTERN /* nothing */
# endif
#endif

"#,
    );
    s.push_str(&enum_text());
    s.push_str(&macro_text());
    s.push_str("/* Handle, request and data types. */\nstruct uv__queue;\nstruct uv__work;\n");
    for (tag, name) in STRUCT_TYPEDEFS {
        writeln!(s, "typedef struct {tag} {name};").unwrap();
    }
    s.push('\n');
    for (ty, name) in PLATFORM_TYPEDEFS {
        writeln!(s, "typedef {ty} {name};").unwrap();
    }
    s.push_str(STRICT_ISO_FALLBACKS);
    s.push_str(FIELD_MACROS);
    s
}

/// glibc hides a few POSIX types from strict ISO C programs (`gcc -std=c11`), which makes
/// libuv's own header fail to compile there. In that mode nothing can call the pthread
/// functions on those types anyway, so a type of the same size and alignment serves.
const STRICT_ISO_FALLBACKS: &str = r#"
#if !defined(__GLIBC__) || defined(__USE_XOPEN2K) || defined(__USE_UNIX98)
typedef pthread_rwlock_t uv_rwlock_t;
#else
typedef union { char __size[56]; long int __align; } uv_rwlock_t;
#endif
#if !defined(__GLIBC__) || defined(__USE_XOPEN2K)
typedef pthread_barrier_t uv_barrier_t;
#else
typedef union { char __size[32]; long int __align; } uv_barrier_t;
#endif
struct addrinfo;
"#;

fn declarations() -> String {
    // cbindgen closes its include guard before the trailer, so the declarations carry their own.
    let mut s = String::from(
        "\n#ifndef UV_H_API\n#define UV_H_API\n/* The API. */\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n",
    );
    for (name, ret, params) in api_table::API_FUNCTIONS {
        let sep = if ret.ends_with('*') { "" } else { " " };
        writeln!(s, "UV_EXTERN {ret}{sep}{name}{params};").unwrap();
    }
    s.push_str("\n#ifdef __cplusplus\n}  /* extern \"C\" */\n#endif\n");
    s.push_str(
        r#"
/* Don't export the private CPP symbols. */
#undef UV_HANDLE_TYPE_PRIVATE
#undef UV_REQ_TYPE_PRIVATE
#undef UV_REQ_PRIVATE_FIELDS
#undef UV_STREAM_PRIVATE_FIELDS
#undef UV_TCP_PRIVATE_FIELDS
#undef UV_PREPARE_PRIVATE_FIELDS
#undef UV_CHECK_PRIVATE_FIELDS
#undef UV_IDLE_PRIVATE_FIELDS
#undef UV_ASYNC_PRIVATE_FIELDS
#undef UV_TIMER_PRIVATE_FIELDS
#undef UV_GETADDRINFO_PRIVATE_FIELDS
#undef UV_GETNAMEINFO_PRIVATE_FIELDS
#undef UV_FS_REQ_PRIVATE_FIELDS
#undef UV_WORK_PRIVATE_FIELDS
#undef UV_FS_EVENT_PRIVATE_FIELDS
#undef UV_SIGNAL_PRIVATE_FIELDS
#undef UV_LOOP_PRIVATE_FIELDS
#undef UV_LOOP_PRIVATE_PLATFORM_FIELDS
#undef UV__ERR

#ifdef __cplusplus
/* As libuv's header: C++ callers may pass a plain int mode. */
extern "C++" {
inline int uv_tty_set_mode(uv_tty_t* handle, int mode) {
  return uv_tty_set_mode(handle, static_cast<uv_tty_mode_t>(mode));
}
}
#endif
#endif /* UV_H_API */
"#,
    );
    s
}

fn base_config() -> cbindgen::Config {
    let mut c = cbindgen::Config {
        language: cbindgen::Language::C,
        style: cbindgen::Style::Tag,
        cpp_compat: true,
        no_includes: true,
        usize_is_size_t: true,
        documentation: true,
        documentation_style: cbindgen::DocumentationStyle::C,
        autogen_warning: Some(NOTICE.trim_end().to_string()),
        ..Default::default()
    };
    c.function.no_return = None;
    // System types are spelled as the system headers spell them.
    for (rust, c_name) in [
        ("sockaddr", "struct sockaddr"),
        ("sockaddr_in", "struct sockaddr_in"),
        ("sockaddr_in6", "struct sockaddr_in6"),
        ("sockaddr_storage", "struct sockaddr_storage"),
        ("addrinfo", "struct addrinfo"),
        ("termios", "struct termios"),
        ("dirent", "struct dirent"),
        ("c_long", "long"),
    ] {
        c.export.rename.insert(rust.into(), c_name.into());
    }
    c
}

/// The configuration of uv.h: types only (functions are declared from the API table).
fn header_config() -> cbindgen::Config {
    let mut c = base_config();
    c.include_guard = Some("UV_H".into());
    c.sys_includes = [
        "stddef.h",
        "stdint.h",
        "stdio.h",
        "sys/types.h",
        "sys/stat.h",
        "fcntl.h",
        "dirent.h",
        "sys/socket.h",
        "netinet/in.h",
        "netinet/tcp.h",
        "arpa/inet.h",
        "netdb.h",
        "termios.h",
        "pwd.h",
        "semaphore.h",
        "sys/param.h",
        "pthread.h",
        "signal.h",
        "math.h",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    c.after_includes = Some(after_includes());
    c.trailer = Some(declarations());
    c.export.item_types = vec![
        cbindgen::ItemType::Structs,
        cbindgen::ItemType::Unions,
        cbindgen::ItemType::Typedefs,
    ];
    // These names are printed as text above (enums, forward typedefs, system typedefs).
    let mut excluded: Vec<String> = STRUCT_TYPEDEFS
        .iter()
        .filter(|(tag, name)| tag != name)
        .map(|(_, name)| name.to_string())
        .collect();
    excluded.extend(PLATFORM_TYPEDEFS.iter().map(|(_, name)| name.to_string()));
    excluded.extend(
        ["uv_errno_t", "uv_handle_type", "uv_req_type", "ssize_t"]
            .iter()
            .map(|s| s.to_string()),
    );
    excluded.extend(
        enums::ENUMS
            .iter()
            .filter(|e| e.kind == enums::EnumKind::Typedef)
            .map(|e| e.name.to_string()),
    );
    excluded.extend(["uv_rwlock_t".to_string(), "uv_barrier_t".to_string()]);
    c.export.exclude = excluded;
    // cbindgen prints only what exported functions reach unless told otherwise: name every
    // type of types.rs (the header declares the whole API, implemented or not).
    c.export.include = public_type_names(&root_dir().join("src/abi/types.rs"));
    c
}

fn root_dir() -> PathBuf {
    PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap())
}

/// The names of the `pub struct`, `pub union` and `pub type` items of a Rust source file.
fn public_type_names(path: &Path) -> Vec<String> {
    let text = fs::read_to_string(path).unwrap();
    let mut names = Vec::new();
    for line in text.lines() {
        for prefix in ["pub struct ", "pub union ", "pub type "] {
            if let Some(rest) = line.strip_prefix(prefix) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                names.push(name);
            }
        }
    }
    names
}

/// The configuration of the check header: the prototypes of the functions we export.
fn exports_config() -> cbindgen::Config {
    let mut c = base_config();
    c.include_guard = Some("RSUV_EXPORTS_H".into());
    c.export.item_types = vec![cbindgen::ItemType::Functions];
    // Variadic in C; Rust defines it with its one variadic int as a named parameter (see
    // src/loop.rs), which C's type system cannot compare. The C tests exercise it.
    c.export.exclude = vec!["uv_loop_configure".into()];
    c
}

fn generate(root: &Path, config: cbindgen::Config) -> String {
    let bindings = cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen failed");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).unwrap()
}

/// uv.h comes from the ABI types alone, so its text does not depend on which functions the
/// library exports at the moment (cbindgen orders types by what reaches them).
fn uv_h(root: &Path) -> String {
    let bindings = cbindgen::Builder::new()
        .with_src(root.join("src/abi/types.rs"))
        .with_config(header_config())
        .generate()
        .expect("cbindgen failed");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).unwrap()
}
