// libuv's enums and integer macros, as data.
//
// This file is included twice: by the library (the constants below are what Rust code uses)
// and by build.rs (the ENUMS and MACROS tables are printed into uv.h). Keeping one table is
// what makes the header and the library agree. Only plain data and a macro live here.

/// How an enum is spelled in libuv's header.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EnumKind {
    /// `typedef enum { ... } name;`
    Typedef,
    /// `enum name { ... };`
    Tagged,
    /// `enum { ... };`
    Anonymous,
}

/// One C enum of libuv's header.
pub struct CEnum {
    pub kind: EnumKind,
    pub name: &'static str,
    pub items: &'static [(&'static str, i64)],
}

macro_rules! c_enums {
    ($($kind:ident $cname:ident { $($item:ident = $val:expr),* $(,)? })*) => {
        $( $( #[allow(dead_code)] pub const $item: i32 = $val; )* )*
        pub const ENUMS: &[CEnum] = &[
            $( CEnum {
                kind: EnumKind::$kind,
                name: stringify!($cname),
                items: &[ $( (stringify!($item), $val as i64) ),* ],
            }, )*
        ];
    };
}

// The handle and request types are emitted with libuv's X-macros (UV_HANDLE_TYPE_MAP,
// UV_REQ_TYPE_MAP), so they are tables of (UPPER, lower) names; their values follow from
// the order, starting at 1 after UV_UNKNOWN_*.
pub const HANDLE_TYPE_MAP: &[(&str, &str)] = &[
    ("ASYNC", "async"),
    ("CHECK", "check"),
    ("FS_EVENT", "fs_event"),
    ("FS_POLL", "fs_poll"),
    ("HANDLE", "handle"),
    ("IDLE", "idle"),
    ("NAMED_PIPE", "pipe"),
    ("POLL", "poll"),
    ("PREPARE", "prepare"),
    ("PROCESS", "process"),
    ("STREAM", "stream"),
    ("TCP", "tcp"),
    ("TIMER", "timer"),
    ("TTY", "tty"),
    ("UDP", "udp"),
    ("SIGNAL", "signal"),
];

pub const REQ_TYPE_MAP: &[(&str, &str)] = &[
    ("REQ", "req"),
    ("CONNECT", "connect"),
    ("WRITE", "write"),
    ("SHUTDOWN", "shutdown"),
    ("UDP_SEND", "udp_send"),
    ("FS", "fs"),
    ("WORK", "work"),
    ("GETADDRINFO", "getaddrinfo"),
    ("GETNAMEINFO", "getnameinfo"),
    ("RANDOM", "random"),
];

// Rust-side values of the handle/request type enums (checked against the maps by a unit test).
pub const UV_UNKNOWN_HANDLE: i32 = 0;
pub const UV_ASYNC: i32 = 1;
pub const UV_CHECK: i32 = 2;
pub const UV_FS_EVENT: i32 = 3;
pub const UV_FS_POLL: i32 = 4;
pub const UV_HANDLE: i32 = 5;
pub const UV_IDLE: i32 = 6;
pub const UV_NAMED_PIPE: i32 = 7;
pub const UV_POLL: i32 = 8;
pub const UV_PREPARE: i32 = 9;
pub const UV_PROCESS: i32 = 10;
pub const UV_STREAM: i32 = 11;
pub const UV_TCP: i32 = 12;
pub const UV_TIMER: i32 = 13;
pub const UV_TTY: i32 = 14;
pub const UV_UDP: i32 = 15;
pub const UV_SIGNAL: i32 = 16;
pub const UV_FILE: i32 = 17;
pub const UV_HANDLE_TYPE_MAX: i32 = 18;

pub const UV_UNKNOWN_REQ: i32 = 0;
pub const UV_REQ: i32 = 1;
pub const UV_CONNECT: i32 = 2;
pub const UV_WRITE: i32 = 3;
pub const UV_SHUTDOWN: i32 = 4;
pub const UV_UDP_SEND: i32 = 5;
pub const UV_FS: i32 = 6;
pub const UV_WORK: i32 = 7;
pub const UV_GETADDRINFO: i32 = 8;
pub const UV_GETNAMEINFO: i32 = 9;
pub const UV_RANDOM: i32 = 10;
pub const UV_REQ_TYPE_MAX: i32 = 11;

c_enums! {
    Typedef uv_loop_option {
        UV_LOOP_BLOCK_SIGNAL = 0,
        UV_METRICS_IDLE_TIME = 1,
        UV_LOOP_USE_IO_URING_SQPOLL = 2,
    }
    Typedef uv_run_mode {
        UV_RUN_DEFAULT = 0,
        UV_RUN_ONCE = 1,
        UV_RUN_NOWAIT = 2,
    }
    Typedef uv_clock_id {
        UV_CLOCK_MONOTONIC = 0,
        UV_CLOCK_REALTIME = 1,
    }
    Typedef uv_membership {
        UV_LEAVE_GROUP = 0,
        UV_JOIN_GROUP = 1,
    }
    Tagged uv_tcp_flags {
        UV_TCP_IPV6ONLY = 1,
        UV_TCP_REUSEPORT = 2,
    }
    Tagged uv_udp_flags {
        UV_UDP_IPV6ONLY = 1,
        UV_UDP_PARTIAL = 2,
        UV_UDP_REUSEADDR = 4,
        UV_UDP_MMSG_CHUNK = 8,
        UV_UDP_MMSG_FREE = 16,
        UV_UDP_LINUX_RECVERR = 32,
        UV_UDP_REUSEPORT = 64,
        UV_UDP_RECVMMSG = 256,
    }
    Typedef uv_tty_mode_t {
        UV_TTY_MODE_NORMAL = 0,
        UV_TTY_MODE_RAW = 1,
        UV_TTY_MODE_IO = 2,
        UV_TTY_MODE_RAW_VT = 3,
    }
    Typedef uv_tty_vtermstate_t {
        UV_TTY_SUPPORTED = 0,
        UV_TTY_UNSUPPORTED = 1,
    }
    Anonymous uv_pipe_flags {
        UV_PIPE_NO_TRUNCATE = 1,
    }
    Tagged uv_poll_event {
        UV_READABLE = 1,
        UV_WRITABLE = 2,
        UV_DISCONNECT = 4,
        UV_PRIORITIZED = 8,
    }
    Typedef uv_stdio_flags {
        UV_IGNORE = 0x00,
        UV_CREATE_PIPE = 0x01,
        UV_INHERIT_FD = 0x02,
        UV_INHERIT_STREAM = 0x04,
        UV_READABLE_PIPE = 0x10,
        UV_WRITABLE_PIPE = 0x20,
        UV_NONBLOCK_PIPE = 0x40,
        UV_OVERLAPPED_PIPE = 0x40,
    }
    Tagged uv_process_flags {
        UV_PROCESS_SETUID = 1 << 0,
        UV_PROCESS_SETGID = 1 << 1,
        UV_PROCESS_WINDOWS_VERBATIM_ARGUMENTS = 1 << 2,
        UV_PROCESS_DETACHED = 1 << 3,
        UV_PROCESS_WINDOWS_HIDE = 1 << 4,
        UV_PROCESS_WINDOWS_HIDE_CONSOLE = 1 << 5,
        UV_PROCESS_WINDOWS_HIDE_GUI = 1 << 6,
        UV_PROCESS_WINDOWS_FILE_PATH_EXACT_NAME = 1 << 7,
    }
    Typedef uv_dirent_type_t {
        UV_DIRENT_UNKNOWN = 0,
        UV_DIRENT_FILE = 1,
        UV_DIRENT_DIR = 2,
        UV_DIRENT_LINK = 3,
        UV_DIRENT_FIFO = 4,
        UV_DIRENT_SOCKET = 5,
        UV_DIRENT_CHAR = 6,
        UV_DIRENT_BLOCK = 7,
    }
    Anonymous uv_thread_priority {
        UV_THREAD_PRIORITY_HIGHEST = 2,
        UV_THREAD_PRIORITY_ABOVE_NORMAL = 1,
        UV_THREAD_PRIORITY_NORMAL = 0,
        UV_THREAD_PRIORITY_BELOW_NORMAL = -1,
        UV_THREAD_PRIORITY_LOWEST = -2,
    }
    Typedef uv_fs_type {
        UV_FS_UNKNOWN = -1,
        UV_FS_CUSTOM = 0,
        UV_FS_OPEN = 1,
        UV_FS_CLOSE = 2,
        UV_FS_READ = 3,
        UV_FS_WRITE = 4,
        UV_FS_SENDFILE = 5,
        UV_FS_STAT = 6,
        UV_FS_LSTAT = 7,
        UV_FS_FSTAT = 8,
        UV_FS_FTRUNCATE = 9,
        UV_FS_UTIME = 10,
        UV_FS_FUTIME = 11,
        UV_FS_ACCESS = 12,
        UV_FS_CHMOD = 13,
        UV_FS_FCHMOD = 14,
        UV_FS_FSYNC = 15,
        UV_FS_FDATASYNC = 16,
        UV_FS_UNLINK = 17,
        UV_FS_RMDIR = 18,
        UV_FS_MKDIR = 19,
        UV_FS_MKDTEMP = 20,
        UV_FS_RENAME = 21,
        UV_FS_SCANDIR = 22,
        UV_FS_LINK = 23,
        UV_FS_SYMLINK = 24,
        UV_FS_READLINK = 25,
        UV_FS_CHOWN = 26,
        UV_FS_FCHOWN = 27,
        UV_FS_REALPATH = 28,
        UV_FS_COPYFILE = 29,
        UV_FS_LCHOWN = 30,
        UV_FS_OPENDIR = 31,
        UV_FS_READDIR = 32,
        UV_FS_CLOSEDIR = 33,
        UV_FS_STATFS = 34,
        UV_FS_MKSTEMP = 35,
        UV_FS_LUTIME = 36,
    }
    Tagged uv_fs_event {
        UV_RENAME = 1,
        UV_CHANGE = 2,
    }
    Tagged uv_fs_event_flags {
        UV_FS_EVENT_WATCH_ENTRY = 1,
        UV_FS_EVENT_STAT = 2,
        UV_FS_EVENT_RECURSIVE = 4,
    }
    Typedef uv_thread_create_flags {
        UV_THREAD_NO_FLAGS = 0x00,
        UV_THREAD_HAS_STACK_SIZE = 0x01,
    }
}

/// Integer macros of libuv's headers: (name, C replacement text, value on Linux x86_64).
/// The text is what goes in the header (some follow the system headers, as libuv's do);
/// the value is what the library uses.
pub const MACROS: &[(&str, &str, i64)] = &[
    ("UV_FS_COPYFILE_EXCL", "0x0001", 1),
    ("UV_FS_COPYFILE_FICLONE", "0x0002", 2),
    ("UV_FS_COPYFILE_FICLONE_FORCE", "0x0004", 4),
    ("UV_FS_SYMLINK_DIR", "0x0001", 1),
    ("UV_FS_SYMLINK_JUNCTION", "0x0002", 2),
    ("UV_PRIORITY_LOW", "19", 19),
    ("UV_PRIORITY_BELOW_NORMAL", "10", 10),
    ("UV_PRIORITY_NORMAL", "0", 0),
    ("UV_PRIORITY_ABOVE_NORMAL", "-7", -7),
    ("UV_PRIORITY_HIGH", "-14", -14),
    ("UV_PRIORITY_HIGHEST", "-20", -20),
    ("UV_MAXHOSTNAMESIZE", "(MAXHOSTNAMELEN + 1)", 65),
    ("UV_IF_NAMESIZE", "(16 + 1)", 17),
    ("UV_FS_O_APPEND", "O_APPEND", 0o2000),
    ("UV_FS_O_CREAT", "O_CREAT", 0o100),
    ("UV_FS_O_DIRECT", "0x04000", 0x4000),
    ("UV_FS_O_DIRECTORY", "O_DIRECTORY", 0o200000),
    ("UV_FS_O_DSYNC", "O_DSYNC", 0o10000),
    ("UV_FS_O_EXCL", "O_EXCL", 0o200),
    ("UV_FS_O_EXLOCK", "0", 0),
    ("UV_FS_O_NOCTTY", "O_NOCTTY", 0o400),
    ("UV_FS_O_NOFOLLOW", "O_NOFOLLOW", 0o400000),
    ("UV_FS_O_NONBLOCK", "O_NONBLOCK", 0o4000),
    ("UV_FS_O_RDONLY", "O_RDONLY", 0),
    ("UV_FS_O_RDWR", "O_RDWR", 2),
    ("UV_FS_O_SYMLINK", "0", 0),
    ("UV_FS_O_SYNC", "O_SYNC", 0o4010000),
    ("UV_FS_O_TRUNC", "O_TRUNC", 0o1000),
    ("UV_FS_O_WRONLY", "O_WRONLY", 1),
    ("UV_FS_O_FILEMAP", "0", 0),
    ("UV_FS_O_RANDOM", "0", 0),
    ("UV_FS_O_SHORT_LIVED", "0", 0),
    ("UV_FS_O_SEQUENTIAL", "0", 0),
    ("UV_FS_O_TEMPORARY", "0", 0),
];

/// UV_FS_O_NOATIME follows O_NOATIME, which glibc only defines with _GNU_SOURCE; the header
/// keeps that conditional (as libuv's does), so its value depends on the including program.
pub const UV_FS_O_NOATIME_LINUX: i64 = 0o1000000;
