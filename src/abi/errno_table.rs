// The libuv error table: name (without the UV_ prefix), value on Linux, message.
// Order is libuv's UV_ERRNO_MAP order, which programs observe through the X-macro.
// This file is pure data: the library and build.rs (header generation) both include it.

pub const ERRNO_TABLE: &[(&str, i32, &str)] = &[
    ("E2BIG", -7, "argument list too long"),
    ("EACCES", -13, "permission denied"),
    ("EADDRINUSE", -98, "address already in use"),
    ("EADDRNOTAVAIL", -99, "address not available"),
    ("EAFNOSUPPORT", -97, "address family not supported"),
    ("EAGAIN", -11, "resource temporarily unavailable"),
    ("EAI_ADDRFAMILY", -3000, "address family not supported"),
    ("EAI_AGAIN", -3001, "temporary failure"),
    ("EAI_BADFLAGS", -3002, "bad ai_flags value"),
    ("EAI_BADHINTS", -3013, "invalid value for hints"),
    ("EAI_CANCELED", -3003, "request canceled"),
    ("EAI_FAIL", -3004, "permanent failure"),
    ("EAI_FAMILY", -3005, "ai_family not supported"),
    ("EAI_MEMORY", -3006, "out of memory"),
    ("EAI_NODATA", -3007, "no address"),
    ("EAI_NONAME", -3008, "unknown node or service"),
    ("EAI_OVERFLOW", -3009, "argument buffer overflow"),
    ("EAI_PROTOCOL", -3014, "resolved protocol is unknown"),
    (
        "EAI_SERVICE",
        -3010,
        "service not available for socket type",
    ),
    ("EAI_SOCKTYPE", -3011, "socket type not supported"),
    ("EALREADY", -114, "connection already in progress"),
    ("EBADF", -9, "bad file descriptor"),
    ("EBUSY", -16, "resource busy or locked"),
    ("ECANCELED", -125, "operation canceled"),
    ("ECHARSET", -4080, "invalid Unicode character"),
    ("ECONNABORTED", -103, "software caused connection abort"),
    ("ECONNREFUSED", -111, "connection refused"),
    ("ECONNRESET", -104, "connection reset by peer"),
    ("EDESTADDRREQ", -89, "destination address required"),
    ("EEXIST", -17, "file already exists"),
    ("EFAULT", -14, "bad address in system call argument"),
    ("EFBIG", -27, "file too large"),
    ("EHOSTUNREACH", -113, "host is unreachable"),
    ("EINTR", -4, "interrupted system call"),
    ("EINVAL", -22, "invalid argument"),
    ("EIO", -5, "i/o error"),
    ("EISCONN", -106, "socket is already connected"),
    ("EISDIR", -21, "illegal operation on a directory"),
    ("ELOOP", -40, "too many symbolic links encountered"),
    ("EMFILE", -24, "too many open files"),
    ("EMSGSIZE", -90, "message too long"),
    ("ENAMETOOLONG", -36, "name too long"),
    ("ENETDOWN", -100, "network is down"),
    ("ENETUNREACH", -101, "network is unreachable"),
    ("ENFILE", -23, "file table overflow"),
    ("ENOBUFS", -105, "no buffer space available"),
    ("ENODEV", -19, "no such device"),
    ("ENOENT", -2, "no such file or directory"),
    ("ENOMEM", -12, "not enough memory"),
    ("ENONET", -64, "machine is not on the network"),
    ("ENOPROTOOPT", -92, "protocol not available"),
    ("ENOSPC", -28, "no space left on device"),
    ("ENOSYS", -38, "function not implemented"),
    ("ENOTCONN", -107, "socket is not connected"),
    ("ENOTDIR", -20, "not a directory"),
    ("ENOTEMPTY", -39, "directory not empty"),
    ("ENOTSOCK", -88, "socket operation on non-socket"),
    ("ENOTSUP", -95, "operation not supported on socket"),
    ("EOVERFLOW", -75, "value too large for defined data type"),
    ("EPERM", -1, "operation not permitted"),
    ("EPIPE", -32, "broken pipe"),
    ("EPROTO", -71, "protocol error"),
    ("EPROTONOSUPPORT", -93, "protocol not supported"),
    ("EPROTOTYPE", -91, "protocol wrong type for socket"),
    ("ERANGE", -34, "result too large"),
    ("EROFS", -30, "read-only file system"),
    (
        "ESHUTDOWN",
        -108,
        "cannot send after transport endpoint shutdown",
    ),
    ("ESPIPE", -29, "invalid seek"),
    ("ESRCH", -3, "no such process"),
    ("ETIMEDOUT", -110, "connection timed out"),
    ("ETXTBSY", -26, "text file is busy"),
    ("EXDEV", -18, "cross-device link not permitted"),
    ("UNKNOWN", -4094, "unknown error"),
    ("EOF", -4095, "end of file"),
    ("ENXIO", -6, "no such device or address"),
    ("EMLINK", -31, "too many links"),
    ("EHOSTDOWN", -112, "host is down"),
    ("EREMOTEIO", -121, "remote I/O error"),
    ("ENOTTY", -25, "inappropriate ioctl for device"),
    ("EFTYPE", -4028, "inappropriate file type or format"),
    ("EILSEQ", -84, "illegal byte sequence"),
    ("ESOCKTNOSUPPORT", -94, "socket type not supported"),
    ("ENODATA", -61, "no data available"),
    ("EUNATCH", -49, "protocol driver not attached"),
    ("ENOEXEC", -8, "exec format error"),
];

// The same codes as Rust constants, for the library's own use.
pub const UV_E2BIG: i32 = -7;
pub const UV_EACCES: i32 = -13;
pub const UV_EADDRINUSE: i32 = -98;
pub const UV_EADDRNOTAVAIL: i32 = -99;
pub const UV_EAFNOSUPPORT: i32 = -97;
pub const UV_EAGAIN: i32 = -11;
pub const UV_EAI_ADDRFAMILY: i32 = -3000;
pub const UV_EAI_AGAIN: i32 = -3001;
pub const UV_EAI_BADFLAGS: i32 = -3002;
pub const UV_EAI_BADHINTS: i32 = -3013;
pub const UV_EAI_CANCELED: i32 = -3003;
pub const UV_EAI_FAIL: i32 = -3004;
pub const UV_EAI_FAMILY: i32 = -3005;
pub const UV_EAI_MEMORY: i32 = -3006;
pub const UV_EAI_NODATA: i32 = -3007;
pub const UV_EAI_NONAME: i32 = -3008;
pub const UV_EAI_OVERFLOW: i32 = -3009;
pub const UV_EAI_PROTOCOL: i32 = -3014;
pub const UV_EAI_SERVICE: i32 = -3010;
pub const UV_EAI_SOCKTYPE: i32 = -3011;
pub const UV_EALREADY: i32 = -114;
pub const UV_EBADF: i32 = -9;
pub const UV_EBUSY: i32 = -16;
pub const UV_ECANCELED: i32 = -125;
pub const UV_ECHARSET: i32 = -4080;
pub const UV_ECONNABORTED: i32 = -103;
pub const UV_ECONNREFUSED: i32 = -111;
pub const UV_ECONNRESET: i32 = -104;
pub const UV_EDESTADDRREQ: i32 = -89;
pub const UV_EEXIST: i32 = -17;
pub const UV_EFAULT: i32 = -14;
pub const UV_EFBIG: i32 = -27;
pub const UV_EHOSTUNREACH: i32 = -113;
pub const UV_EINTR: i32 = -4;
pub const UV_EINVAL: i32 = -22;
pub const UV_EIO: i32 = -5;
pub const UV_EISCONN: i32 = -106;
pub const UV_EISDIR: i32 = -21;
pub const UV_ELOOP: i32 = -40;
pub const UV_EMFILE: i32 = -24;
pub const UV_EMSGSIZE: i32 = -90;
pub const UV_ENAMETOOLONG: i32 = -36;
pub const UV_ENETDOWN: i32 = -100;
pub const UV_ENETUNREACH: i32 = -101;
pub const UV_ENFILE: i32 = -23;
pub const UV_ENOBUFS: i32 = -105;
pub const UV_ENODEV: i32 = -19;
pub const UV_ENOENT: i32 = -2;
pub const UV_ENOMEM: i32 = -12;
pub const UV_ENONET: i32 = -64;
pub const UV_ENOPROTOOPT: i32 = -92;
pub const UV_ENOSPC: i32 = -28;
pub const UV_ENOSYS: i32 = -38;
pub const UV_ENOTCONN: i32 = -107;
pub const UV_ENOTDIR: i32 = -20;
pub const UV_ENOTEMPTY: i32 = -39;
pub const UV_ENOTSOCK: i32 = -88;
pub const UV_ENOTSUP: i32 = -95;
pub const UV_EOVERFLOW: i32 = -75;
pub const UV_EPERM: i32 = -1;
pub const UV_EPIPE: i32 = -32;
pub const UV_EPROTO: i32 = -71;
pub const UV_EPROTONOSUPPORT: i32 = -93;
pub const UV_EPROTOTYPE: i32 = -91;
pub const UV_ERANGE: i32 = -34;
pub const UV_EROFS: i32 = -30;
pub const UV_ESHUTDOWN: i32 = -108;
pub const UV_ESPIPE: i32 = -29;
pub const UV_ESRCH: i32 = -3;
pub const UV_ETIMEDOUT: i32 = -110;
pub const UV_ETXTBSY: i32 = -26;
pub const UV_EXDEV: i32 = -18;
pub const UV_UNKNOWN: i32 = -4094;
pub const UV_EOF: i32 = -4095;
pub const UV_ENXIO: i32 = -6;
pub const UV_EMLINK: i32 = -31;
pub const UV_EHOSTDOWN: i32 = -112;
pub const UV_EREMOTEIO: i32 = -121;
pub const UV_ENOTTY: i32 = -25;
pub const UV_EFTYPE: i32 = -4028;
pub const UV_EILSEQ: i32 = -84;
pub const UV_ESOCKTNOSUPPORT: i32 = -94;
pub const UV_ENODATA: i32 = -61;
pub const UV_EUNATCH: i32 = -49;
pub const UV_ENOEXEC: i32 = -8;
pub const UV_ERRNO_MAX: i32 = UV_EOF - 1;
