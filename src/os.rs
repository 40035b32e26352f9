//! The process's operating-system view: uv_os_* (home and temp directories, passwd and group
//! entries, environment, hostname, pids, priorities, uname) and uv_get_osfhandle /
//! uv_open_osfhandle.
//!
//! Strings handed to the program (passwd, group and environment entries) are allocated with
//! the program's allocator (`crate::alloc`), each entry in one block, and freed by the
//! matching uv_os_free_* function. Functions that fill a caller's buffer follow libuv's
//! contract: on success `*size` is the string length; if the string does not fit (it needs
//! `len + 1` bytes), `UV_ENOBUFS` and `*size` is the size needed, NUL included.
//!
//! As in libuv, the environment functions and uv_os_homedir / uv_os_tmpdir are not thread
//! safe (they use the C library's environment directly).

use crate::abi::*;
use crate::error::last_error;
use core::ffi::{c_char, c_int, CStr};
use core::ptr;

const PRIORITY_HIGHEST: c_int = -20;
const PRIORITY_LOW: c_int = 19;
/// UV_MAXHOSTNAMESIZE: the largest hostname plus its NUL.
const MAXHOSTNAMESIZE: usize = 65;

extern "C" {
    static mut environ: *mut *mut c_char;
}

/// Copies `value` into the caller's buffer with the uv_os_getenv buffer contract.
///
/// # Safety
/// `buffer` has `*size` writable bytes; `size` is valid.
unsafe fn copy_out(value: &[u8], buffer: *mut c_char, size: *mut usize) -> c_int {
    // SAFETY: the caller's contract.
    unsafe {
        if value.len() >= *size {
            *size = value.len() + 1;
            return UV_ENOBUFS;
        }
        ptr::copy_nonoverlapping(value.as_ptr(), buffer as *mut u8, value.len());
        *buffer.add(value.len()) = 0;
        *size = value.len();
    }
    0
}

/// getenv(3) as bytes.
fn getenv(name: &CStr) -> Option<&'static [u8]> {
    // SAFETY: name is NUL-terminated; the result stays valid until the environment changes,
    // which the (documented non-thread-safe) callers do not do while using it.
    let v = unsafe { libc::getenv(name.as_ptr()) };
    if v.is_null() {
        None
    } else {
        // SAFETY: getenv returns a NUL-terminated string.
        Some(unsafe { CStr::from_ptr(v) }.to_bytes())
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_os_getenv(
    name: *const c_char,
    buffer: *mut c_char,
    size: *mut usize,
) -> c_int {
    // SAFETY: pointers checked for NULL; the program passes a string and a sized buffer.
    unsafe {
        if name.is_null() || buffer.is_null() || size.is_null() || *size == 0 {
            return UV_EINVAL;
        }
        match getenv(CStr::from_ptr(name)) {
            Some(v) => copy_out(v, buffer, size),
            None => UV_ENOENT,
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_os_setenv(name: *const c_char, value: *const c_char) -> c_int {
    if name.is_null() || value.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: both are NUL-terminated strings from the program.
    if unsafe { libc::setenv(name, value, 1) } != 0 {
        return last_error();
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_os_unsetenv(name: *const c_char) -> c_int {
    if name.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: a NUL-terminated string from the program.
    if unsafe { libc::unsetenv(name) } != 0 {
        return last_error();
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_os_environ(
    envitems: *mut *mut uv_env_item_t,
    count: *mut c_int,
) -> c_int {
    if envitems.is_null() || count.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: the out-pointers are valid; `environ` is the C library's NULL-terminated array
    // (not modified concurrently: documented as not thread safe).
    unsafe {
        *envitems = ptr::null_mut();
        *count = 0;
        let env = environ;
        let mut n = 0usize;
        if !env.is_null() {
            while !(*env.add(n)).is_null() {
                n += 1;
            }
        }
        // One element at least, so an empty environment is not mistaken for ENOMEM.
        let items = crate::alloc::calloc(n.max(1), core::mem::size_of::<uv_env_item_t>())
            as *mut uv_env_item_t;
        if items.is_null() {
            return UV_ENOMEM;
        }
        let mut filled = 0usize;
        for i in 0..n {
            let entry = CStr::from_ptr(*env.add(i)).to_bytes();
            // Entries without '=' are not variables; libuv skips them too.
            let Some(eq) = entry.iter().position(|&b| b == b'=') else {
                continue;
            };
            // One block: "name\0value\0"; uv_os_free_environ frees `name`.
            let block = crate::alloc::strdup(entry);
            if block.is_null() {
                uv_os_free_environ(items, filled as c_int);
                return UV_ENOMEM;
            }
            *block.add(eq) = 0;
            let item = &mut *items.add(filled);
            item.name = block;
            item.value = block.add(eq + 1);
            filled += 1;
        }
        *envitems = items;
        *count = filled as c_int;
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_os_free_environ(envitems: *mut uv_env_item_t, count: c_int) {
    if envitems.is_null() {
        return;
    }
    // SAFETY: an array from uv_os_environ with `count` entries, each one allocation.
    unsafe {
        for i in 0..count.max(0) as usize {
            crate::alloc::free((*envitems.add(i)).name as *mut _);
        }
        crate::alloc::free(envitems as *mut _);
    }
}

// ---- passwd and group entries ----

/// Runs a getpwuid_r-style lookup with a growing scratch buffer: `lookup(buf, len)` returns
/// 0 or an errno value. ERANGE means "try a bigger buffer".
fn with_scratch<T>(mut lookup: impl FnMut(&mut [u8]) -> Result<T, c_int>) -> Result<T, c_int> {
    let mut size = 2048usize;
    loop {
        let mut buf = Vec::new();
        if buf.try_reserve_exact(size).is_err() {
            return Err(UV_ENOMEM);
        }
        buf.resize(size, 0u8);
        match lookup(&mut buf) {
            Err(e) if e == -libc::ERANGE && size < (1 << 26) => size *= 2,
            other => return other,
        }
    }
}

/// The passwd entry of `uid`, strings copied into one block of the program's allocator.
unsafe fn getpwuid(pwd: *mut uv_passwd_t, uid: libc::uid_t) -> c_int {
    if pwd.is_null() {
        return UV_EINVAL;
    }
    let found = with_scratch(|buf| {
        // SAFETY: pw and result are local out-parameters; buf is writable scratch space.
        unsafe {
            let mut pw: libc::passwd = core::mem::zeroed();
            let mut result: *mut libc::passwd = ptr::null_mut();
            let r = loop {
                let r = libc::getpwuid_r(
                    uid,
                    &mut pw,
                    buf.as_mut_ptr() as *mut c_char,
                    buf.len(),
                    &mut result,
                );
                if r != libc::EINTR {
                    break r;
                }
            };
            if r != 0 {
                return Err(-r);
            }
            if result.is_null() {
                return Err(UV_ENOENT);
            }
            let name = CStr::from_ptr(pw.pw_name).to_bytes();
            let dir = CStr::from_ptr(pw.pw_dir).to_bytes();
            let shell = CStr::from_ptr(pw.pw_shell).to_bytes();
            // Block layout: "username\0homedir\0shell\0"; username is the block's base.
            let total = name.len() + dir.len() + shell.len() + 3;
            let block = crate::alloc::malloc(total) as *mut c_char;
            if block.is_null() {
                return Err(UV_ENOMEM);
            }
            let mut at = block;
            let mut put = |s: &[u8]| {
                let start = at;
                ptr::copy_nonoverlapping(s.as_ptr(), at as *mut u8, s.len());
                *at.add(s.len()) = 0;
                at = at.add(s.len() + 1);
                start
            };
            let username = put(name);
            let homedir = put(dir);
            let shell = put(shell);
            Ok((username, homedir, shell, pw.pw_uid, pw.pw_gid))
        }
    });
    match found {
        Ok((username, homedir, shell, uid, gid)) => {
            // SAFETY: pwd is the program's struct (checked non-NULL).
            unsafe {
                (*pwd).username = username;
                (*pwd).homedir = homedir;
                (*pwd).shell = shell;
                (*pwd).uid = uid as _;
                (*pwd).gid = gid as _;
            }
            0
        }
        Err(e) => e,
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_os_get_passwd(pwd: *mut uv_passwd_t) -> c_int {
    // SAFETY: geteuid cannot fail; pwd is the program's struct.
    unsafe { getpwuid(pwd, libc::geteuid()) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_os_get_passwd2(pwd: *mut uv_passwd_t, uid: uv_uid_t) -> c_int {
    // SAFETY: pwd is the program's struct.
    unsafe { getpwuid(pwd, uid) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_os_free_passwd(pwd: *mut uv_passwd_t) {
    // SAFETY: a struct filled by uv_os_get_passwd*, whose strings share the username block.
    unsafe {
        let Some(p) = pwd.as_mut() else { return };
        crate::alloc::free(p.username as *mut _);
        p.username = ptr::null_mut();
        p.shell = ptr::null_mut();
        p.homedir = ptr::null_mut();
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_os_get_group(grp: *mut uv_group_t, gid: uv_uid_t) -> c_int {
    if grp.is_null() {
        return UV_EINVAL;
    }
    let found = with_scratch(|buf| {
        // SAFETY: gr and result are local out-parameters; buf is writable scratch space.
        unsafe {
            let mut gr: libc::group = core::mem::zeroed();
            let mut result: *mut libc::group = ptr::null_mut();
            let r = loop {
                let r = libc::getgrgid_r(
                    gid,
                    &mut gr,
                    buf.as_mut_ptr() as *mut c_char,
                    buf.len(),
                    &mut result,
                );
                if r != libc::EINTR {
                    break r;
                }
            };
            if r != 0 {
                return Err(-r);
            }
            if result.is_null() {
                return Err(UV_ENOENT);
            }
            let mut members: Vec<&[u8]> = Vec::new();
            let mut m = gr.gr_mem;
            while !m.is_null() && !(*m).is_null() {
                members.push(CStr::from_ptr(*m).to_bytes());
                m = m.add(1);
            }
            let name = CStr::from_ptr(gr.gr_name).to_bytes();
            // Block layout: members[] (NULL-terminated), the member strings, the group name.
            // `members` is the block's base, which uv_os_free_group frees.
            let ptrs = (members.len() + 1) * core::mem::size_of::<*mut c_char>();
            let strings: usize =
                members.iter().map(|s| s.len() + 1).sum::<usize>() + name.len() + 1;
            let block = crate::alloc::malloc(ptrs + strings);
            if block.is_null() {
                return Err(UV_ENOMEM);
            }
            let table = block as *mut *mut c_char;
            let mut at = (block as *mut c_char).add(ptrs);
            for (i, s) in members.iter().enumerate() {
                ptr::copy_nonoverlapping(s.as_ptr(), at as *mut u8, s.len());
                *at.add(s.len()) = 0;
                *table.add(i) = at;
                at = at.add(s.len() + 1);
            }
            *table.add(members.len()) = ptr::null_mut();
            ptr::copy_nonoverlapping(name.as_ptr(), at as *mut u8, name.len());
            *at.add(name.len()) = 0;
            Ok((table, at, gr.gr_gid))
        }
    });
    match found {
        Ok((members, groupname, gid)) => {
            // SAFETY: grp is the program's struct (checked non-NULL).
            unsafe {
                (*grp).members = members;
                (*grp).groupname = groupname;
                (*grp).gid = gid as _;
            }
            0
        }
        Err(e) => e,
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_os_free_group(grp: *mut uv_group_t) {
    // SAFETY: a struct filled by uv_os_get_group: one block based at `members`.
    unsafe {
        let Some(g) = grp.as_mut() else { return };
        crate::alloc::free(g.members as *mut _);
        g.members = ptr::null_mut();
        g.groupname = ptr::null_mut();
    }
}

// ---- directories ----

#[no_mangle]
pub unsafe extern "C" fn uv_os_homedir(buffer: *mut c_char, size: *mut usize) -> c_int {
    // $HOME first; uv_os_getenv also validates buffer and size.
    // SAFETY: the program's buffer and size, passed through.
    let r = unsafe { uv_os_getenv(c"HOME".as_ptr(), buffer, size) };
    if r != UV_ENOENT {
        return r;
    }
    let mut pwd: uv_passwd_t = uv_passwd_t {
        username: ptr::null_mut(),
        uid: 0,
        gid: 0,
        shell: ptr::null_mut(),
        homedir: ptr::null_mut(),
    };
    // SAFETY: pwd is local; buffer/size were validated by uv_os_getenv.
    unsafe {
        let r = uv_os_get_passwd(&mut pwd);
        if r != 0 {
            return r;
        }
        let r = copy_out(CStr::from_ptr(pwd.homedir).to_bytes(), buffer, size);
        uv_os_free_passwd(&mut pwd);
        r
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_os_tmpdir(buffer: *mut c_char, size: *mut usize) -> c_int {
    // SAFETY: pointers checked; the program's buffer holds *size bytes.
    unsafe {
        if buffer.is_null() || size.is_null() || *size == 0 {
            return UV_EINVAL;
        }
        let dir = [c"TMPDIR", c"TMP", c"TEMP", c"TEMPDIR"]
            .iter()
            .find_map(|n| getenv(n))
            .unwrap_or(b"/tmp");
        // As libuv: the size check uses the variable's full length, then one trailing slash
        // is dropped (but "/" stays "/").
        if dir.len() >= *size {
            *size = dir.len() + 1;
            return UV_ENOBUFS;
        }
        let dir = match dir {
            [rest @ .., b'/'] if dir.len() > 1 => rest,
            _ => dir,
        };
        copy_out(dir, buffer, size)
    }
}

// ---- host and process ----

#[no_mangle]
pub unsafe extern "C" fn uv_os_gethostname(buffer: *mut c_char, size: *mut usize) -> c_int {
    // SAFETY: pointers checked; the program's buffer holds *size bytes.
    unsafe {
        if buffer.is_null() || size.is_null() || *size == 0 {
            return UV_EINVAL;
        }
        let mut name = [0u8; MAXHOSTNAMESIZE];
        if libc::gethostname(name.as_mut_ptr() as *mut c_char, name.len()) != 0 {
            return last_error();
        }
        let len = name.iter().position(|&b| b == 0).unwrap_or(name.len() - 1);
        copy_out(&name[..len], buffer, size)
    }
}

#[no_mangle]
pub extern "C" fn uv_os_getpid() -> uv_pid_t {
    // SAFETY: getpid cannot fail.
    unsafe { libc::getpid() }
}

#[no_mangle]
pub extern "C" fn uv_os_getppid() -> uv_pid_t {
    // SAFETY: getppid cannot fail.
    unsafe { libc::getppid() }
}

#[no_mangle]
pub unsafe extern "C" fn uv_os_getpriority(pid: uv_pid_t, priority: *mut c_int) -> c_int {
    if priority.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: getpriority returns -1 both as a value and as an error; errno tells them apart.
    unsafe {
        *libc::__errno_location() = 0;
        let r = libc::getpriority(libc::PRIO_PROCESS, pid as libc::id_t);
        if r == -1 && *libc::__errno_location() != 0 {
            return last_error();
        }
        *priority = r;
    }
    0
}

#[no_mangle]
pub extern "C" fn uv_os_setpriority(pid: uv_pid_t, priority: c_int) -> c_int {
    if !(PRIORITY_HIGHEST..=PRIORITY_LOW).contains(&priority) {
        return UV_EINVAL;
    }
    // SAFETY: setpriority has no memory-safety preconditions.
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, pid as libc::id_t, priority) } != 0 {
        return last_error();
    }
    0
}

/// Copies a C string into a fixed field; false if it had to be truncated.
fn copy_field(dst: &mut [c_char; 256], src: &[c_char]) -> bool {
    let len = src.iter().position(|&c| c == 0).unwrap_or(src.len());
    let n = len.min(dst.len() - 1);
    dst[..n].copy_from_slice(&src[..n]);
    dst[n] = 0;
    n == len
}

#[no_mangle]
pub unsafe extern "C" fn uv_os_uname(buffer: *mut uv_utsname_t) -> c_int {
    // SAFETY: a non-NULL buffer is the program's struct.
    let Some(out) = (unsafe { buffer.as_mut() }) else {
        return UV_EINVAL;
    };
    // SAFETY: utsname is plain data; uname fills it.
    let mut u: libc::utsname = unsafe { core::mem::zeroed() };
    // SAFETY: u is a valid, writable utsname.
    let r = if unsafe { libc::uname(&mut u) } == -1 {
        last_error()
    } else if copy_field(&mut out.sysname, &u.sysname)
        && copy_field(&mut out.release, &u.release)
        && copy_field(&mut out.version, &u.version)
        && copy_field(&mut out.machine, &u.machine)
    {
        return 0;
    } else {
        UV_E2BIG
    };
    out.sysname[0] = 0;
    out.release[0] = 0;
    out.version[0] = 0;
    out.machine[0] = 0;
    r
}

// ---- OS handles (identity on Unix) ----

#[no_mangle]
pub extern "C" fn uv_get_osfhandle(fd: c_int) -> uv_os_fd_t {
    fd
}

#[no_mangle]
pub extern "C" fn uv_open_osfhandle(os_fd: uv_os_fd_t) -> c_int {
    os_fd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_out_contract() {
        let mut buf = [0x55 as c_char; 4];
        let mut size = 4usize;
        assert_eq!(
            unsafe { copy_out(b"abcd", buf.as_mut_ptr(), &mut size) },
            UV_ENOBUFS
        );
        assert_eq!(size, 5);
        assert_eq!(unsafe { copy_out(b"abc", buf.as_mut_ptr(), &mut size) }, 0);
        assert_eq!(size, 3);
        assert_eq!(buf[3], 0);
    }

    #[test]
    fn uname_fields() {
        let mut u: uv_utsname_t = unsafe { core::mem::zeroed() };
        assert_eq!(unsafe { uv_os_uname(&mut u) }, 0);
        let s = unsafe { CStr::from_ptr(u.sysname.as_ptr()) };
        assert_eq!(s.to_bytes(), b"Linux");
        let mut long = [0 as c_char; 300];
        long.iter_mut().take(299).for_each(|c| *c = b'x' as c_char);
        assert!(!copy_field(&mut u.machine, &long));
        assert_eq!(u.machine[255], 0);
    }

    #[test]
    fn passwd_of_self() {
        let mut pwd: uv_passwd_t = unsafe { core::mem::zeroed() };
        assert_eq!(unsafe { uv_os_get_passwd(&mut pwd) }, 0);
        assert_eq!(pwd.uid as u32, unsafe { libc::geteuid() });
        assert!(!pwd.homedir.is_null() && !pwd.shell.is_null());
        unsafe { uv_os_free_passwd(&mut pwd) };
        assert!(pwd.username.is_null());
    }
}
