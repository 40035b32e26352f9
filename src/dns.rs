//! DNS: uv_getaddrinfo, uv_freeaddrinfo, uv_getnameinfo.
//!
//! Both resolvers call the C library's getaddrinfo(3)/getnameinfo(3): on the threadpool as
//! slow I/O when a callback is given (the callback runs on the loop thread), at once
//! otherwise (the result is returned, and for uv_getaddrinfo left in `req->addrinfo`).
//! Errors are the EAI_* codes mapped to UV_EAI_* (EAI_SYSTEM to the errno); a cancelled
//! request completes with UV_EAI_CANCELED.
//!
//! Host names: uv_getaddrinfo passes an ASCII name through unchanged. A name with
//! non-ASCII characters must be valid UTF-8; each of its labels (separated by '.', U+3002,
//! U+FF0E or U+FF61) that is not plain ASCII becomes "xn--" plus its Punycode (RFC 3492),
//! as libuv does. There is no further IDNA processing (no case folding or normalization,
//! as in libuv). An empty name, invalid UTF-8, or a converted name longer than 255 bytes
//! is UV_EINVAL.
//!
//! The request keeps copies of the hints, the service and the host name in one allocation
//! (through the replaceable allocator) until the request completes.

use crate::abi::*;
use crate::queue::{self, container_of};
use crate::stream::last_errno;
use crate::threadpool::{self, WorkKind};
use core::ffi::{c_char, c_int, c_void, CStr};
use core::mem::size_of;
use core::ptr;

// glibc's values of the codes the libc crate does not name on Linux.
const EAI_ADDRFAMILY: c_int = -9;
const EAI_CANCELED: c_int = -101;

/// An EAI_* result of getaddrinfo/getnameinfo as a libuv error code. `errno` is the one
/// the call left (meaningful for EAI_SYSTEM).
fn translate_eai(err: c_int, errno: c_int) -> c_int {
    match err {
        0 => 0,
        EAI_ADDRFAMILY => UV_EAI_ADDRFAMILY,
        libc::EAI_AGAIN => UV_EAI_AGAIN,
        libc::EAI_BADFLAGS => UV_EAI_BADFLAGS,
        EAI_CANCELED => UV_EAI_CANCELED,
        libc::EAI_FAIL => UV_EAI_FAIL,
        libc::EAI_FAMILY => UV_EAI_FAMILY,
        libc::EAI_MEMORY => UV_EAI_MEMORY,
        libc::EAI_NODATA => UV_EAI_NODATA,
        libc::EAI_NONAME => UV_EAI_NONAME,
        libc::EAI_OVERFLOW => UV_EAI_OVERFLOW,
        libc::EAI_SERVICE => UV_EAI_SERVICE,
        libc::EAI_SOCKTYPE => UV_EAI_SOCKTYPE,
        libc::EAI_SYSTEM if errno != 0 => -errno,
        // libuv aborts on codes it does not know (glibc's EAI_INTR, EAI_IDN_ENCODE...).
        _ => UV_EAI_FAIL,
    }
}

// ---- host names: libuv's IDNA conversion ----

fn is_separator(c: char) -> bool {
    matches!(c, '.' | '\u{3002}' | '\u{FF0E}' | '\u{FF61}')
}

fn punycode_digit(d: u32) -> u8 {
    if d < 26 {
        b'a' + d as u8
    } else {
        b'0' + (d - 26) as u8
    }
}

/// RFC 3492's bias adaptation.
fn adapt(delta: u32, numpoints: u32, first: bool) -> u32 {
    let mut delta = if first { delta / 700 } else { delta / 2 };
    delta += delta / numpoints;
    let mut k = 0;
    while delta > 35 * 26 / 2 {
        delta /= 35;
        k += 36;
    }
    k + 36 * delta / (delta + 38)
}

/// Appends one label: as is when ASCII, else "xn--" and its Punycode encoding.
fn encode_label(label: &str, out: &mut Vec<u8>) -> Result<(), c_int> {
    if label.is_ascii() {
        out.extend_from_slice(label.as_bytes());
        return Ok(());
    }
    let cps: Vec<u32> = label.chars().map(u32::from).collect();
    out.extend_from_slice(b"xn--");
    let basic = label.bytes().filter(u8::is_ascii).count() as u32;
    out.extend(label.bytes().filter(u8::is_ascii));
    if basic > 0 {
        out.push(b'-');
    }
    let (mut n, mut delta, mut bias, mut handled) = (128u32, 0u32, 72u32, basic);
    let mut first = true;
    while (handled as usize) < cps.len() {
        let m = cps.iter().copied().filter(|&c| c >= n).min().unwrap_or(n);
        delta = (m - n)
            .checked_mul(handled + 1)
            .and_then(|x| delta.checked_add(x))
            .ok_or(UV_E2BIG)?;
        n = m;
        for &c in &cps {
            if c < n {
                delta = delta.checked_add(1).ok_or(UV_E2BIG)?;
            }
            if c != n {
                continue;
            }
            let mut q = delta;
            let mut k = 36;
            loop {
                let t = if k <= bias { 1 } else { (k - bias).min(26) };
                if q < t {
                    break;
                }
                out.push(punycode_digit(t + (q - t) % (36 - t)));
                q = (q - t) / (36 - t);
                k += 36;
            }
            out.push(punycode_digit(q));
            bias = adapt(delta, handled + 1, first);
            first = false;
            delta = 0;
            handled += 1;
        }
        delta = delta.checked_add(1).ok_or(UV_E2BIG)?;
        n += 1;
    }
    Ok(())
}

/// The host name getaddrinfo gets (without the terminating NUL).
fn host_to_ascii(host: &[u8]) -> Result<Vec<u8>, c_int> {
    if host.is_empty() {
        return Err(UV_EINVAL);
    }
    let mut out = Vec::with_capacity(host.len());
    if host.is_ascii() {
        out.extend_from_slice(host);
    } else {
        let s = core::str::from_utf8(host).map_err(|_| UV_EINVAL)?;
        for (i, label) in s.split(is_separator).enumerate() {
            if i > 0 {
                out.push(b'.');
            }
            encode_label(label, &mut out)?;
        }
    }
    // libuv converts into a 256-byte buffer, NUL included.
    if out.len() >= 256 {
        return Err(UV_EINVAL);
    }
    Ok(out)
}

// ---- uv_getaddrinfo ----

unsafe extern "C-unwind" fn getaddrinfo_work(w: *mut uv__work) {
    // SAFETY: w is the work_req of a live uv_getaddrinfo_t; its strings and hints are our
    // copies, alive until the done callback.
    unsafe {
        let req = container_of!(w, uv_getaddrinfo_t, work_req);
        *libc::__errno_location() = 0;
        let err = libc::getaddrinfo(
            (*req).hostname,
            (*req).service,
            (*req).hints,
            &mut (*req).addrinfo,
        );
        (*req).retcode = translate_eai(err, last_errno());
    }
}

unsafe extern "C-unwind" fn getaddrinfo_done(w: *mut uv__work, status: c_int) {
    // SAFETY: w is the work_req of a live uv_getaddrinfo_t, finished or cancelled.
    unsafe {
        let req = container_of!(w, uv_getaddrinfo_t, work_req);
        if !(*req).r#loop.is_null() {
            crate::req::unregister((*req).r#loop, req as *mut uv_req_t);
        }
        // One allocation holds the copies; it starts with the first one present.
        let block = if !(*req).hints.is_null() {
            (*req).hints as *mut c_void
        } else if !(*req).service.is_null() {
            (*req).service as *mut c_void
        } else {
            (*req).hostname as *mut c_void
        };
        crate::alloc::free(block);
        (*req).hints = ptr::null_mut();
        (*req).service = ptr::null_mut();
        (*req).hostname = ptr::null_mut();
        if status == UV_ECANCELED {
            (*req).retcode = UV_EAI_CANCELED;
        }
        if let Some(cb) = (*req).cb {
            cb(req, (*req).retcode, (*req).addrinfo);
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_getaddrinfo(
    r#loop: *mut uv_loop_t,
    req: *mut uv_getaddrinfo_t,
    getaddrinfo_cb: uv_getaddrinfo_cb,
    node: *const c_char,
    service: *const c_char,
    hints: *const libc::addrinfo,
) -> c_int {
    let l = r#loop;
    if req.is_null() || (node.is_null() && service.is_null()) {
        return UV_EINVAL;
    }
    if l.is_null() && getaddrinfo_cb.is_some() {
        return UV_EINVAL;
    }
    // SAFETY: node and service are NULL or the program's C strings; hints is NULL or the
    // program's struct; req is the program's request memory.
    unsafe {
        let host = if node.is_null() {
            None
        } else {
            match host_to_ascii(CStr::from_ptr(node).to_bytes()) {
                Ok(h) => Some(h),
                Err(e) => return e,
            }
        };
        let service = (!service.is_null()).then(|| CStr::from_ptr(service).to_bytes_with_nul());
        let hints_len = if hints.is_null() {
            0
        } else {
            size_of::<libc::addrinfo>()
        };
        let service_len = service.map_or(0, |s| s.len());
        let host_len = host.as_ref().map_or(0, |h| h.len() + 1);
        let block = crate::alloc::malloc(hints_len + service_len + host_len) as *mut u8;
        if block.is_null() {
            return UV_ENOMEM;
        }
        (*req).r#type = UV_GETADDRINFO;
        if !l.is_null() {
            crate::req::register(l, req as *mut uv_req_t);
        }
        (*req).r#loop = l;
        (*req).cb = getaddrinfo_cb;
        (*req).addrinfo = ptr::null_mut();
        (*req).retcode = 0;
        // In this order: the done callback frees the block through the first one present.
        let mut p = block;
        (*req).hints = ptr::null_mut();
        if !hints.is_null() {
            ptr::copy_nonoverlapping(hints as *const u8, p, hints_len);
            (*req).hints = p as *mut libc::addrinfo;
            p = p.add(hints_len);
        }
        (*req).service = ptr::null_mut();
        if let Some(s) = service {
            ptr::copy_nonoverlapping(s.as_ptr(), p, s.len());
            (*req).service = p as *mut c_char;
            p = p.add(s.len());
        }
        (*req).hostname = ptr::null_mut();
        if let Some(h) = host {
            ptr::copy_nonoverlapping(h.as_ptr(), p, h.len());
            *p.add(h.len()) = 0;
            (*req).hostname = p as *mut c_char;
        }
        let w: *mut uv__work = &mut (*req).work_req;
        if getaddrinfo_cb.is_some() {
            threadpool::submit(l, w, WorkKind::SlowIo, getaddrinfo_work, getaddrinfo_done);
            return 0;
        }
        sync_work_item(w, l);
        getaddrinfo_work(w);
        getaddrinfo_done(w, 0);
        (*req).retcode
    }
}

/// A work item run on the calling thread: marked done, so uv_cancel answers UV_EBUSY.
unsafe fn sync_work_item(w: *mut uv__work, l: *mut uv_loop_t) {
    // SAFETY: w is the work_req of the program's request.
    unsafe {
        (*w).r#loop = l;
        (*w).work = None;
        (*w).done = None;
        queue::init(&mut (*w).wq);
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_freeaddrinfo(ai: *mut libc::addrinfo) {
    if !ai.is_null() {
        // SAFETY: a non-NULL ai is a list getaddrinfo returned (through uv_getaddrinfo).
        unsafe { libc::freeaddrinfo(ai) }
    }
}

// ---- uv_getnameinfo ----

unsafe extern "C-unwind" fn getnameinfo_work(w: *mut uv__work) {
    // SAFETY: w is the work_req of a live uv_getnameinfo_t holding an IPv4/IPv6 address.
    unsafe {
        let req = container_of!(w, uv_getnameinfo_t, work_req);
        let salen = if (*req).storage.ss_family as c_int == libc::AF_INET6 {
            size_of::<libc::sockaddr_in6>()
        } else {
            size_of::<libc::sockaddr_in>()
        };
        *libc::__errno_location() = 0;
        let err = libc::getnameinfo(
            &(*req).storage as *const _ as *const libc::sockaddr,
            salen as libc::socklen_t,
            (*req).host.as_mut_ptr(),
            (*req).host.len() as libc::socklen_t,
            (*req).service.as_mut_ptr(),
            (*req).service.len() as libc::socklen_t,
            (*req).flags,
        );
        (*req).retcode = translate_eai(err, last_errno());
    }
}

unsafe extern "C-unwind" fn getnameinfo_done(w: *mut uv__work, status: c_int) {
    // SAFETY: w is the work_req of a live uv_getnameinfo_t, finished or cancelled.
    unsafe {
        let req = container_of!(w, uv_getnameinfo_t, work_req);
        crate::req::unregister((*req).r#loop, req as *mut uv_req_t);
        let (mut host, mut service) = (ptr::null(), ptr::null());
        if status == UV_ECANCELED {
            (*req).retcode = UV_EAI_CANCELED;
        } else if (*req).retcode == 0 {
            host = (*req).host.as_ptr();
            service = (*req).service.as_ptr();
        }
        if let Some(cb) = (*req).getnameinfo_cb {
            cb(req, (*req).retcode, host, service);
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_getnameinfo(
    r#loop: *mut uv_loop_t,
    req: *mut uv_getnameinfo_t,
    getnameinfo_cb: uv_getnameinfo_cb,
    addr: *const libc::sockaddr,
    flags: c_int,
) -> c_int {
    let l = r#loop;
    if l.is_null() || req.is_null() || addr.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: addr is the program's sockaddr of its family's size; req is the program's
    // request memory.
    unsafe {
        let len = match (*addr).sa_family as c_int {
            libc::AF_INET => size_of::<libc::sockaddr_in>(),
            libc::AF_INET6 => size_of::<libc::sockaddr_in6>(),
            _ => return UV_EINVAL,
        };
        (*req).storage = core::mem::zeroed();
        ptr::copy_nonoverlapping(
            addr as *const u8,
            &mut (*req).storage as *mut _ as *mut u8,
            len,
        );
        crate::req::init(l, req as *mut uv_req_t, UV_GETNAMEINFO);
        (*req).r#loop = l;
        (*req).getnameinfo_cb = getnameinfo_cb;
        (*req).flags = flags;
        (*req).retcode = 0;
        let w: *mut uv__work = &mut (*req).work_req;
        if getnameinfo_cb.is_some() {
            threadpool::submit(l, w, WorkKind::SlowIo, getnameinfo_work, getnameinfo_done);
            return 0;
        }
        sync_work_item(w, l);
        getnameinfo_work(w);
        getnameinfo_done(w, 0);
        (*req).retcode
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ascii(s: &str) -> String {
        String::from_utf8(host_to_ascii(s.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn ascii_names_pass_through() {
        assert_eq!(ascii("localhost"), "localhost");
        assert_eq!(ascii("Example.COM."), "Example.COM.");
        assert_eq!(ascii("a..b"), "a..b");
        assert_eq!(host_to_ascii(b""), Err(UV_EINVAL));
        assert_eq!(host_to_ascii(&[b'a'; 255]).map(|v| v.len()), Ok(255));
        assert_eq!(host_to_ascii(&[b'a'; 256]), Err(UV_EINVAL));
    }

    #[test]
    fn punycode_labels() {
        // RFC 3492 section 7.1 samples and common names.
        assert_eq!(ascii("bücher.de"), "xn--bcher-kva.de");
        assert_eq!(ascii("münchen"), "xn--mnchen-3ya");
        assert_eq!(ascii("ยจฆฟคฏข"), "xn--22cdfh1b8fsa");
        assert_eq!(ascii("☃-⌘.com"), "xn----dqo34k.com");
        assert_eq!(ascii("例え.テスト"), "xn--r8jz45g.xn--zckzah");
        assert_eq!(ascii("他们为什么不说中文"), "xn--ihqwcrb4cv8a8dqg056pqjye");
        // Other full stops separate labels too.
        assert_eq!(ascii("bücher\u{3002}de"), "xn--bcher-kva.de");
        assert_eq!(ascii("x\u{FF0E}y\u{FF61}z"), "x.y.z");
    }

    #[test]
    fn bad_utf8_is_einval() {
        assert_eq!(host_to_ascii(b"a\xffb"), Err(UV_EINVAL));
        assert_eq!(host_to_ascii(b"\xc0\xaf"), Err(UV_EINVAL)); // overlong
        assert_eq!(host_to_ascii(b"\xed\xa0\x80"), Err(UV_EINVAL)); // surrogate
    }

    #[test]
    fn eai_codes() {
        assert_eq!(translate_eai(0, 0), 0);
        assert_eq!(translate_eai(libc::EAI_NONAME, 0), UV_EAI_NONAME);
        assert_eq!(translate_eai(libc::EAI_AGAIN, 0), UV_EAI_AGAIN);
        assert_eq!(translate_eai(libc::EAI_SYSTEM, libc::EMFILE), UV_EMFILE);
        assert_eq!(translate_eai(EAI_CANCELED, 0), UV_EAI_CANCELED);
    }
}
