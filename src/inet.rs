//! IP addresses as text: uv_inet_pton, uv_inet_ntop, uv_ip4_addr/uv_ip6_addr,
//! uv_ip4_name/uv_ip6_name/uv_ip_name, and interface names (uv_if_indextoname/iid).
//!
//! libuv does not use the C library's parser or printer: it carries its own, so that every
//! platform accepts and prints the same spellings. We reproduce what that parser accepts:
//!
//! - IPv4: exactly four dot-separated decimal numbers 0-255, no leading zeros ("0" is fine,
//!   "01" is not), nothing else: no short forms ("1.2.3"), no octal or hex, no spaces.
//! - IPv6: up to eight groups of 1-4 hex digits separated by ':', at most one "::" standing
//!   for at least one zero group, and optionally a dotted IPv4 address as the last two
//!   groups. uv_inet_pton also accepts and ignores a "%zone" suffix.
//!
//! and what its printer prints: IPv4 as a dotted quad; IPv6 in lowercase hex without
//! leading zeros, the first longest run of two or more zero groups written as "::", and the
//! IPv4-compatible (`::a.b.c.d`) and IPv4-mapped (`::ffff:a.b.c.d`) forms with a dotted tail.
//!
//! The parser and printer are plain functions over byte slices and fixed arrays: no
//! allocation, no `std`, nothing that can panic. A valid IPv4 text is at most 15 bytes and a
//! valid IPv6 text at most 45, so reading a C string never goes further than that before a
//! verdict (except where libuv's own semantics need the whole string, see uv_ip6_addr).

use crate::abi::*;
use core::ffi::{c_char, c_int, c_uint, c_void};

/// Room for the longest IPv4 text plus its NUL ("255.255.255.255").
const INET_ADDRSTRLEN: usize = 16;
/// Room for the longest IPv6 text plus its NUL
/// ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255").
const INET6_ADDRSTRLEN: usize = 46;
/// libuv's UV_IF_NAMESIZE: an interface name and its NUL, plus one.
const IF_NAMESIZE: usize = libc::IF_NAMESIZE + 1;
/// uv_ip6_addr keeps at most this many bytes of the text before a "%zone".
const IP6_ADDR_PART_MAX: usize = 39;

// ---- parsing ----------------------------------------------------------------------------

/// One decimal octet: 1-3 digits, value <= 255, no leading zero unless it is "0".
fn parse_octet(s: &[u8]) -> Option<u8> {
    match s {
        [] => None,
        [b'0'] => Some(0),
        [b'0', ..] => None,
        _ if s.len() > 3 => None,
        _ => {
            let mut v: u16 = 0;
            for &b in s {
                if !b.is_ascii_digit() {
                    return None;
                }
                v = v * 10 + u16::from(b - b'0');
            }
            u8::try_from(v).ok()
        }
    }
}

/// A dotted-quad IPv4 address, in network byte order.
pub fn parse_ipv4(s: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = s.split(|&b| b == b'.');
    for slot in out.iter_mut() {
        *slot = parse_octet(parts.next()?)?;
    }
    match parts.next() {
        None => Some(out),
        Some(_) => None,
    }
}

/// One group of 1-4 hex digits.
fn parse_hex_group(s: &[u8]) -> Option<u16> {
    if s.is_empty() || s.len() > 4 {
        return None;
    }
    let mut v: u16 = 0;
    for &b in s {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        v = (v << 4) | u16::from(d);
    }
    Some(v)
}

/// A ':'-separated list of hex groups (empty text: no groups). When `dotted_tail` is set
/// the last element may be a dotted IPv4 address, which counts as two groups. Fills
/// `out` from the front and returns the number of groups.
fn parse_group_list(s: &[u8], dotted_tail: bool, out: &mut [u16; 8]) -> Option<usize> {
    if s.is_empty() {
        return Some(0);
    }
    let mut n = 0;
    let mut parts = s.split(|&b| b == b':').peekable();
    while let Some(part) = parts.next() {
        let last = parts.peek().is_none();
        if last && dotted_tail && part.contains(&b'.') {
            let [a, b, c, d] = parse_ipv4(part)?;
            *out.get_mut(n)? = u16::from_be_bytes([a, b]);
            *out.get_mut(n + 1)? = u16::from_be_bytes([c, d]);
            n += 2;
        } else {
            *out.get_mut(n)? = parse_hex_group(part)?;
            n += 1;
        }
    }
    Some(n)
}

/// An IPv6 address (no zone), in network byte order.
pub fn parse_ipv6(s: &[u8]) -> Option<[u8; 16]> {
    let mut head = [0u16; 8];
    let mut tail = [0u16; 8];
    let gap = s.windows(2).position(|w| w == b"::");
    let (n_head, n_tail) = match gap {
        None => {
            // No "::": exactly eight groups.
            let n = parse_group_list(s, true, &mut head)?;
            if n != 8 {
                return None;
            }
            (n, 0)
        }
        Some(at) => {
            // "::" stands for at least one zero group. A second "::" (or ":::") leaves an
            // empty group in the tail, which the group parser rejects.
            let n_head = parse_group_list(s.get(..at)?, false, &mut head)?;
            let n_tail = parse_group_list(s.get(at + 2..)?, true, &mut tail)?;
            if n_head + n_tail > 7 {
                return None;
            }
            (n_head, n_tail)
        }
    };
    let mut words = [0u16; 8];
    for (dst, src) in words.iter_mut().zip(head.iter().take(n_head)) {
        *dst = *src;
    }
    for (dst, src) in words
        .iter_mut()
        .skip(8 - n_tail)
        .zip(tail.iter().take(n_tail))
    {
        *dst = *src;
    }
    let mut out = [0u8; 16];
    for (pair, w) in out.chunks_exact_mut(2).zip(words) {
        pair.copy_from_slice(&w.to_be_bytes());
    }
    Some(out)
}

// ---- formatting -------------------------------------------------------------------------

/// A small text buffer on the stack, big enough for any address text.
pub struct AddrText {
    bytes: [u8; INET6_ADDRSTRLEN],
    len: usize,
}

impl AddrText {
    fn new() -> Self {
        AddrText {
            bytes: [0; INET6_ADDRSTRLEN],
            len: 0,
        }
    }

    /// The text, without a NUL.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    fn push(&mut self, b: u8) {
        // The formatters never exceed the capacity; if one did, the text would be cut
        // short rather than written out of bounds.
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn push_dec(&mut self, v: u8) {
        if v >= 100 {
            self.push(b'0' + v / 100);
        }
        if v >= 10 {
            self.push(b'0' + (v / 10) % 10);
        }
        self.push(b'0' + v % 10);
    }

    fn push_hex(&mut self, v: u16) {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut started = false;
        for shift in [12u32, 8, 4, 0] {
            let nibble = usize::from((v >> shift) & 0xf);
            if nibble != 0 || started || shift == 0 {
                started = true;
                self.push(DIGITS[nibble]);
            }
        }
    }

    fn push_ipv4(&mut self, a: &[u8; 4]) {
        for (i, &octet) in a.iter().enumerate() {
            if i > 0 {
                self.push(b'.');
            }
            self.push_dec(octet);
        }
    }
}

/// "a.b.c.d".
pub fn format_ipv4(a: &[u8; 4]) -> AddrText {
    let mut t = AddrText::new();
    t.push_ipv4(a);
    t
}

/// The canonical text of an IPv6 address, as libuv prints it.
pub fn format_ipv6(a: &[u8; 16]) -> AddrText {
    let mut words = [0u16; 8];
    for (w, pair) in words.iter_mut().zip(a.chunks_exact(2)) {
        *w = u16::from_be_bytes([pair[0], pair[1]]);
    }

    // The first longest run of zero groups; a lone zero group is not compressed.
    let (mut run_start, mut run_len) = (0usize, 0usize);
    let mut i = 0;
    while i < 8 {
        if words[i] != 0 {
            i += 1;
            continue;
        }
        let start = i;
        while i < 8 && words[i] == 0 {
            i += 1;
        }
        if i - start > run_len {
            (run_start, run_len) = (start, i - start);
        }
    }
    if run_len < 2 {
        run_len = 0;
    }

    // IPv4-compatible "::a.b.c.d" and IPv4-mapped "::ffff:a.b.c.d" end in a dotted quad.
    let dotted_tail = run_start == 0 && (run_len == 6 || (run_len == 5 && words[5] == 0xffff));

    let mut t = AddrText::new();
    let mut separate = false;
    let mut i = 0;
    while i < 8 {
        if run_len > 0 && i == run_start {
            t.push(b':');
            t.push(b':');
            separate = false;
            i += run_len;
            continue;
        }
        if separate {
            t.push(b':');
        }
        if dotted_tail && i == 6 {
            t.push_ipv4(&[a[12], a[13], a[14], a[15]]);
            break;
        }
        t.push_hex(words[i]);
        separate = true;
        i += 1;
    }
    t
}

// ---- C strings and buffers --------------------------------------------------------------

/// The bytes of the C string at `p` up to (not including) its NUL or the first `stop` byte,
/// reading at most `max` bytes; `None` when neither appears within `max` bytes.
///
/// # Safety
/// `p` points to a NUL-terminated string.
unsafe fn c_prefix<'a>(p: *const c_char, max: usize, stop: u8) -> Option<&'a [u8]> {
    let p = p.cast::<u8>();
    for n in 0..max {
        // SAFETY: bytes 0..n are not NUL, so byte n is still within the string.
        let b = unsafe { *p.add(n) };
        if b == 0 || b == stop {
            // SAFETY: bytes 0..n were just read: they belong to the string, which the
            // caller keeps alive and unchanged for the duration of the call.
            return Some(unsafe { core::slice::from_raw_parts(p, n) });
        }
    }
    None
}

/// Copies `text` and a NUL to `dst` when `size` has room for both, as libuv's printers do.
///
/// # Safety
/// `dst` is NULL or points to `size` writable bytes.
unsafe fn copy_out(text: &[u8], dst: *mut c_char, size: usize) -> c_int {
    if text.len() >= size {
        return UV_ENOSPC;
    }
    if dst.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: dst has `size` > text.len() writable bytes; text is our own buffer, so the
    // two cannot overlap.
    unsafe {
        core::ptr::copy_nonoverlapping(text.as_ptr(), dst.cast::<u8>(), text.len());
        *dst.add(text.len()) = 0;
    }
    0
}

/// uv_inet_pton for AF_INET.
///
/// # Safety
/// `src` is NULL or a NUL-terminated string.
unsafe fn pton4(src: *const c_char) -> Result<[u8; 4], c_int> {
    if src.is_null() {
        return Err(UV_EINVAL);
    }
    // SAFETY: src is a C string (caller). Anything longer than 15 bytes is invalid.
    let text = unsafe { c_prefix(src, INET_ADDRSTRLEN, 0) }.ok_or(UV_EINVAL)?;
    parse_ipv4(text).ok_or(UV_EINVAL)
}

/// uv_inet_pton for AF_INET6: the text up to a '%' (whatever follows it is ignored).
///
/// # Safety
/// `src` is NULL or a NUL-terminated string.
unsafe fn pton6(src: *const c_char) -> Result<[u8; 16], c_int> {
    if src.is_null() {
        return Err(UV_EINVAL);
    }
    // SAFETY: src is a C string (caller). libuv refuses an address part longer than 45
    // bytes, and no longer text is a valid address either.
    let text = unsafe { c_prefix(src, INET6_ADDRSTRLEN, b'%') }.ok_or(UV_EINVAL)?;
    parse_ipv6(text).ok_or(UV_EINVAL)
}

/// uv_inet_ntop for AF_INET / AF_INET6 on a known address.
///
/// # Safety
/// `dst` is NULL or points to `size` writable bytes.
unsafe fn ntop_text(text: &AddrText, dst: *mut c_char, size: usize) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { copy_out(text.as_bytes(), dst, size) }
}

// ---- the C API --------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn uv_inet_pton(af: c_int, src: *const c_char, dst: *mut c_void) -> c_int {
    if src.is_null() || dst.is_null() {
        return UV_EINVAL;
    }
    match af {
        libc::AF_INET => {
            // SAFETY: src is the caller's C string.
            match unsafe { pton4(src) } {
                // SAFETY: dst points to a struct in_addr (4 bytes) for AF_INET.
                Ok(a) => unsafe {
                    core::ptr::copy_nonoverlapping(a.as_ptr(), dst.cast::<u8>(), a.len());
                    0
                },
                Err(e) => e,
            }
        }
        libc::AF_INET6 => {
            // SAFETY: src is the caller's C string.
            match unsafe { pton6(src) } {
                // SAFETY: dst points to a struct in6_addr (16 bytes) for AF_INET6.
                Ok(a) => unsafe {
                    core::ptr::copy_nonoverlapping(a.as_ptr(), dst.cast::<u8>(), a.len());
                    0
                },
                Err(e) => e,
            }
        }
        _ => UV_EAFNOSUPPORT,
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_inet_ntop(
    af: c_int,
    src: *const c_void,
    dst: *mut c_char,
    size: usize,
) -> c_int {
    let text = match af {
        libc::AF_INET | libc::AF_INET6 if src.is_null() => return UV_EINVAL,
        libc::AF_INET => {
            // SAFETY: for AF_INET, src points to a struct in_addr (4 bytes, any alignment
            // is fine for a byte array read).
            let a = unsafe { src.cast::<[u8; 4]>().read_unaligned() };
            format_ipv4(&a)
        }
        libc::AF_INET6 => {
            // SAFETY: for AF_INET6, src points to a struct in6_addr (16 bytes).
            let a = unsafe { src.cast::<[u8; 16]>().read_unaligned() };
            format_ipv6(&a)
        }
        _ => return UV_EAFNOSUPPORT,
    };
    // SAFETY: dst/size describe the caller's buffer.
    unsafe { ntop_text(&text, dst, size) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_ip4_addr(
    ip: *const c_char,
    port: c_int,
    addr: *mut libc::sockaddr_in,
) -> c_int {
    if addr.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: addr points to the caller's struct sockaddr_in; all-zero is a valid value.
    let addr = unsafe {
        addr.write_bytes(0, 1);
        &mut *addr
    };
    addr.sin_family = libc::AF_INET as libc::sa_family_t;
    // C's htons(port): the port is truncated to 16 bits.
    addr.sin_port = (port as u16).to_be();
    // SAFETY: ip is NULL or the caller's C string.
    match unsafe { pton4(ip) } {
        Ok(a) => {
            addr.sin_addr.s_addr = u32::from_ne_bytes(a);
            0
        }
        Err(e) => e,
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_ip6_addr(
    ip: *const c_char,
    port: c_int,
    addr: *mut libc::sockaddr_in6,
) -> c_int {
    if addr.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: addr points to the caller's struct sockaddr_in6; all-zero is a valid value.
    let addr = unsafe {
        addr.write_bytes(0, 1);
        &mut *addr
    };
    addr.sin6_family = libc::AF_INET6 as libc::sa_family_t;
    addr.sin6_port = (port as u16).to_be();
    if ip.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: ip is the caller's C string. libuv looks for the zone in the whole string.
    let zone = unsafe { libc::strchr(ip, c_int::from(b'%')) };
    let parsed = if zone.is_null() {
        // SAFETY: as above.
        unsafe { pton6(ip) }
    } else {
        // libuv keeps at most 39 bytes of the address part (longer text is cut, not
        // refused) and takes the zone as an interface name; an unknown name gives scope 0.
        // SAFETY: zone points into the string at ip, at or after it.
        let part_len = usize::try_from(unsafe { zone.offset_from(ip) }).unwrap_or(0);
        let part_len = part_len.min(IP6_ADDR_PART_MAX);
        // SAFETY: the first part_len bytes of the string precede the '%', so none is NUL.
        let part = unsafe { core::slice::from_raw_parts(ip.cast::<u8>(), part_len) };
        // SAFETY: zone + 1 is the rest of the caller's C string, NUL-terminated.
        addr.sin6_scope_id = unsafe { libc::if_nametoindex(zone.add(1)) };
        parse_ipv6(part).ok_or(UV_EINVAL)
    };
    match parsed {
        Ok(a) => {
            addr.sin6_addr.s6_addr = a;
            0
        }
        Err(e) => e,
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_ip4_name(
    src: *const libc::sockaddr_in,
    dst: *mut c_char,
    size: usize,
) -> c_int {
    if src.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: src points to the caller's struct sockaddr_in.
    let a = unsafe { (*src).sin_addr.s_addr }.to_ne_bytes();
    // SAFETY: dst/size describe the caller's buffer.
    unsafe { ntop_text(&format_ipv4(&a), dst, size) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_ip6_name(
    src: *const libc::sockaddr_in6,
    dst: *mut c_char,
    size: usize,
) -> c_int {
    if src.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: src points to the caller's struct sockaddr_in6.
    let a = unsafe { (*src).sin6_addr.s6_addr };
    // SAFETY: dst/size describe the caller's buffer.
    unsafe { ntop_text(&format_ipv6(&a), dst, size) }
}

#[no_mangle]
pub unsafe extern "C" fn uv_ip_name(
    src: *const libc::sockaddr,
    dst: *mut c_char,
    size: usize,
) -> c_int {
    if src.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: src points to at least a struct sockaddr, whose family says what it is.
    match c_int::from(unsafe { (*src).sa_family }) {
        // SAFETY: an AF_INET sockaddr is a struct sockaddr_in.
        libc::AF_INET => unsafe { uv_ip4_name(src.cast(), dst, size) },
        // SAFETY: an AF_INET6 sockaddr is a struct sockaddr_in6.
        libc::AF_INET6 => unsafe { uv_ip6_name(src.cast(), dst, size) },
        _ => UV_EAFNOSUPPORT,
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_if_indextoname(
    ifindex: c_uint,
    buffer: *mut c_char,
    size: *mut usize,
) -> c_int {
    // SAFETY: size is NULL or points to the caller's size_t.
    if buffer.is_null() || size.is_null() || unsafe { *size } == 0 {
        return UV_EINVAL;
    }
    let mut name = [0 as c_char; IF_NAMESIZE];
    // SAFETY: name has room for IF_NAMESIZE bytes, as if_indextoname requires.
    if unsafe { libc::if_indextoname(ifindex, name.as_mut_ptr()) }.is_null() {
        return crate::error::last_error();
    }
    let len = name.iter().position(|&c| c == 0).unwrap_or(IF_NAMESIZE);
    // SAFETY: size is non-NULL (checked above).
    let size = unsafe { &mut *size };
    if *size <= len {
        *size = len + 1;
        return UV_ENOBUFS;
    }
    // SAFETY: buffer has *size > len writable bytes; name is our own array.
    unsafe {
        core::ptr::copy_nonoverlapping(name.as_ptr(), buffer, len);
        *buffer.add(len) = 0;
    }
    *size = len;
    0
}

/// On Unix the interface identifier of a scoped address is the interface name.
#[no_mangle]
pub unsafe extern "C" fn uv_if_indextoiid(
    ifindex: c_uint,
    buffer: *mut c_char,
    size: *mut usize,
) -> c_int {
    // SAFETY: same contract as uv_if_indextoname.
    unsafe { uv_if_indextoname(ifindex, buffer, size) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::{CStr, CString};

    extern "C" {
        // glibc's printer; the libc crate does not declare it.
        fn inet_ntop(
            af: c_int,
            src: *const c_void,
            dst: *mut c_char,
            size: libc::socklen_t,
        ) -> *const c_char;
    }

    fn v4(s: &str) -> Option<[u8; 4]> {
        parse_ipv4(s.as_bytes())
    }

    fn v6(s: &str) -> Option<[u8; 16]> {
        parse_ipv6(s.as_bytes())
    }

    fn text6(a: &[u8; 16]) -> String {
        String::from_utf8(format_ipv6(a).as_bytes().to_vec()).unwrap()
    }

    fn text4(a: &[u8; 4]) -> String {
        String::from_utf8(format_ipv4(a).as_bytes().to_vec()).unwrap()
    }

    /// xorshift64*: deterministic, dependency-free randomness for the fuzz-like tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    #[test]
    fn ipv4_valid() {
        assert_eq!(v4("0.0.0.0"), Some([0, 0, 0, 0]));
        assert_eq!(v4("127.0.0.1"), Some([127, 0, 0, 1]));
        assert_eq!(v4("255.255.255.255"), Some([255; 4]));
        assert_eq!(v4("10.20.30.40"), Some([10, 20, 30, 40]));
        assert_eq!(v4("1.0.10.100"), Some([1, 0, 10, 100]));
    }

    #[test]
    fn ipv4_invalid() {
        for s in [
            "",
            "1",
            "1.2",
            "1.2.3",
            "1.2.3.4.",
            ".1.2.3.4",
            "1..2.3",
            "1.2.3.4.5",
            "256.0.0.0",
            "255.255.255.256",
            "2555.0.0.0",
            "1000.0.0.0",
            "01.2.3.4",
            "1.2.3.00",
            "1.2.3.04",
            "0x1.2.3.4",
            "1.2.3.4 ",
            " 1.2.3.4",
            "1.2.3.-4",
            "1.2.3.4%lo",
            "255.255.255*000",
            "a.b.c.d",
            "1.2.3.4\u{e9}",
        ] {
            assert_eq!(v4(s), None, "{s:?}");
        }
    }

    #[test]
    fn ipv6_valid() {
        let mut want = [0u8; 16];
        assert_eq!(v6("::"), Some(want));
        want[15] = 1;
        assert_eq!(v6("::1"), Some(want));
        assert_eq!(v6("0:0:0:0:0:0:0:1"), Some(want));
        assert_eq!(v6("0000:0000:0000:0000:0000:0000:0000:0001"), Some(want));
        let mut fe80 = [0u8; 16];
        fe80[0] = 0xfe;
        fe80[1] = 0x80;
        assert_eq!(v6("fe80::"), Some(fe80));
        assert_eq!(v6("FE80::"), Some(fe80));
        fe80[15] = 1;
        assert_eq!(v6("fe80::1"), Some(fe80));
        assert_eq!(v6("fe80:0:0:0:0:0:0:1"), Some(fe80));
        let mapped = v6("::ffff:1.2.3.4").unwrap();
        assert_eq!(&mapped[10..], &[0xff, 0xff, 1, 2, 3, 4]);
        assert_eq!(v6("::1.2.3.4").unwrap()[12..], [1, 2, 3, 4]);
        for s in [
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1::8",
            "1:2:3:4:5::7:8",
            "fe80::2acf:daff:fedd:342a",
            "fe80:0:0:0:2acf:daff:fedd:342a",
            "fe80:0:0:0:2acf:daff:1.2.3.4",
            "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
            "0000:0000:0000:0000:0000:ffff:255.255.255.255",
            "1:2:3:4:5::1.2.3.4",
            "::1:2:3:4:5:1.2.3.4",
            "1::1.2.3.4",
        ] {
            assert!(v6(s).is_some(), "{s:?}");
        }
        assert_eq!(
            v6("1:2:3:4:5:6:7::"),
            v6("1:2:3:4:5:6:7:0"),
            "'::' may stand for a single group"
        );
    }

    #[test]
    fn ipv6_invalid() {
        for s in [
            "",
            ":",
            ":::",
            ":::1",
            "1:::2",
            "1::2::3",
            "::1::",
            ":1::",
            ":1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8:",
            "1:2:3:4:5:6:7:8::",
            "::1:2:3:4:5:6:7:8",
            "1:2:3:4::5:6:7:8",
            "1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7:8:9",
            "abcde::1",
            "00000::1",
            "g::1",
            "fe80:0:0:0:2acf:daff:fedd:342a:5678",
            "fe80:0:0:0:2acf:daff:abcd:1.2.3.4",
            "fe80:0:0:2acf:daff:1.2.3.4.5",
            "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255.255",
            "1:2:3:4:5:6:7:1.2.3.4",
            "1:2:3:4:5:6::1.2.3.4",
            "1.2.3.4",
            "1.2.3.4::",
            "1.2.3.4::1",
            "::1.2.3.4:1",
            "::1.2.3",
            "::01.2.3.4",
            "::1a.2.3.4",
            "::.1.2.3",
            "1:.2.3.4",
            "::1 ",
            " ::1",
            "::1%lo",
            "[::1]",
        ] {
            assert_eq!(v6(s), None, "{s:?}");
        }
    }

    #[test]
    fn ipv6_format() {
        for (s, want) in [
            ("::", "::"),
            ("::1", "::1"),
            ("0:0:0:0:0:0:0:2", "::2"),
            ("1::", "1::"),
            ("fe80:0:0:0:0:0:0:1", "fe80::1"),
            (
                "FE80:0000:0000:0000:2ACF:DAFF:FEDD:342A",
                "fe80::2acf:daff:fedd:342a",
            ),
            ("1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"),
            ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
            ("1:0:0:2:0:0:0:4", "1:0:0:2::4"),
            ("1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0"),
            ("1:2:3:4:5:6:0:0", "1:2:3:4:5:6::"),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("::ffff:0:0", "::ffff:0.0.0.0"),
            ("::1.2.3.4", "::1.2.3.4"),
            ("::0.0.1.0", "::100"),
            ("::0.1.0.0", "::0.1.0.0"),
            ("::fffe:1.2.3.4", "::fffe:102:304"),
            ("0:0:0:0:1:ffff:1.2.3.4", "::1:ffff:102:304"),
            ("1::ffff:1.2.3.4", "1::ffff:102:304"),
            (
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            ),
            ("abc:de:f:10::", "abc:de:f:10::"),
        ] {
            assert_eq!(text6(&v6(s).unwrap()), want, "{s:?}");
        }
    }

    #[test]
    fn ipv4_format() {
        assert_eq!(text4(&[0, 0, 0, 0]), "0.0.0.0");
        assert_eq!(text4(&[255, 255, 255, 255]), "255.255.255.255");
        assert_eq!(text4(&[1, 20, 100, 9]), "1.20.100.9");
    }

    /// The C library's printer comes from the same tradition; it must agree everywhere.
    #[test]
    fn format_agrees_with_libc() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..200_000u32 {
            let mut a = [0u8; 16];
            for b in a.iter_mut() {
                // Mostly zero bytes, so that zero runs of every shape come up.
                *b = match rng.below(4) {
                    0 => rng.next() as u8,
                    1 => 0xff,
                    _ => 0,
                };
            }
            if round % 7 == 0 {
                a[..10].fill(0);
            }
            let mut buf = [0 as c_char; 64];
            // SAFETY: a is 16 bytes, buf has 64.
            let p = unsafe { inet_ntop(libc::AF_INET6, a.as_ptr().cast(), buf.as_mut_ptr(), 64) };
            assert!(!p.is_null());
            // SAFETY: inet_ntop wrote a C string.
            let want = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap();
            assert_eq!(text6(&a), want, "{a:?}");
            assert_eq!(v6(want), Some(a), "round trip of {want}");

            let b4 = [a[12], a[13], a[14], a[15]];
            assert_eq!(v4(&text4(&b4)), Some(b4));
        }
    }

    /// Random spellings of random addresses: leading zeros, either case, "::" anywhere it
    /// may go, dotted tails. Each must parse to the address and print canonically.
    #[test]
    fn random_spellings_round_trip() {
        let mut rng = Rng(42);
        for _ in 0..100_000 {
            let mut words = [0u16; 8];
            for w in words.iter_mut() {
                *w = match rng.below(3) {
                    0 => rng.next() as u16,
                    1 => rng.next() as u16 & 0xf,
                    _ => 0,
                };
            }
            let dotted = rng.below(4) == 0;
            let n = if dotted { 6 } else { 8 };
            let gap = if rng.below(2) == 0 {
                // A run of zeros (at least one group) to write as "::".
                let start = rng.below(n as u64) as usize;
                let len = 1 + rng.below((n - start) as u64) as usize;
                words[start..start + len].fill(0);
                Some((start, len))
            } else {
                None
            };
            let mut s = String::new();
            let mut i = 0;
            while i < n {
                if let Some((start, len)) = gap {
                    if i == start {
                        s.push_str("::");
                        i += len;
                        continue;
                    }
                }
                if i > 0 && !s.ends_with("::") {
                    s.push(':');
                }
                let g = match rng.below(3) {
                    0 => format!("{:x}", words[i]),
                    1 => format!("{:04X}", words[i]),
                    _ => format!("{:x}", words[i]).to_uppercase(),
                };
                s.push_str(&g);
                i += 1;
            }
            let mut want = [0u8; 16];
            for (pair, w) in want.chunks_exact_mut(2).zip(words) {
                pair.copy_from_slice(&w.to_be_bytes());
            }
            if dotted {
                if !s.is_empty() && !s.ends_with("::") {
                    s.push(':');
                }
                let tail: [u8; 4] = [
                    rng.next() as u8,
                    rng.next() as u8,
                    rng.next() as u8,
                    rng.next() as u8,
                ];
                s.push_str(&text4(&tail));
                want[12..].copy_from_slice(&tail);
            }
            assert_eq!(v6(&s), Some(want), "{s:?}");
            let canonical = text6(&want);
            assert_eq!(v6(&canonical), Some(want), "{canonical:?}");
            assert!(canonical.len() < INET6_ADDRSTRLEN);
        }
    }

    /// Random junk over the address alphabet: never a panic, and the C entry points agree
    /// with the parsers (including the "%zone" cut and the length limits).
    #[test]
    fn random_strings_never_panic() {
        const ALPHABET: &[u8] = b"0123456789abcdefABCDEFgx:.%:::...  \x7f\xff";
        let mut rng = Rng(7);
        let mut out = [0u8; 16];
        for _ in 0..300_000 {
            let len = rng.below(60) as usize;
            let s: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.below(50) == 0 {
                        rng.next() as u8 | 1
                    } else {
                        ALPHABET[rng.below(ALPHABET.len() as u64) as usize]
                    }
                })
                .collect();
            let p4 = parse_ipv4(&s);
            let p6 = parse_ipv6(&s);
            if let Some(a) = p4 {
                assert_eq!(parse_ipv4(format_ipv4(&a).as_bytes()), Some(a));
            }
            if let Some(a) = p6 {
                assert!(s.len() < INET6_ADDRSTRLEN, "valid text fits in 45 bytes");
                assert_eq!(parse_ipv6(format_ipv6(&a).as_bytes()), Some(a));
            }
            if s.contains(&0) {
                continue;
            }
            let c = CString::new(s.clone()).unwrap();
            // SAFETY: c is a C string and out has 16 bytes.
            let r4 = unsafe { uv_inet_pton(libc::AF_INET, c.as_ptr(), out.as_mut_ptr().cast()) };
            assert_eq!(r4 == 0, p4.is_some(), "{s:?}");
            // SAFETY: as above.
            let r6 = unsafe { uv_inet_pton(libc::AF_INET6, c.as_ptr(), out.as_mut_ptr().cast()) };
            let before_zone = s.split(|&b| b == b'%').next().unwrap();
            let want6 = before_zone.len() <= 45 && parse_ipv6(before_zone).is_some();
            assert_eq!(r6 == 0, want6, "{s:?}");
            assert!(r6 == 0 || r6 == UV_EINVAL);
        }
    }

    #[test]
    fn pton_c_api() {
        let mut out = [0u8; 16];
        let p = out.as_mut_ptr().cast::<c_void>();
        let call = |af, s: &str, p| {
            let c = CString::new(s).unwrap();
            // SAFETY: c is a C string; p has 16 bytes.
            unsafe { uv_inet_pton(af, c.as_ptr(), p) }
        };
        assert_eq!(call(libc::AF_INET, "1.2.3.4", p), 0);
        assert_eq!(out[..4], [1, 2, 3, 4]);
        assert_eq!(call(libc::AF_INET, "1.2.3.400", p), UV_EINVAL);
        assert_eq!(out[..4], [1, 2, 3, 4], "no write on failure");
        assert_eq!(call(libc::AF_INET, "1.2.3.4.5.6.7.8.9", p), UV_EINVAL);
        assert_eq!(call(42, "1.2.3.4", p), UV_EAFNOSUPPORT);
        assert_eq!(call(libc::AF_UNIX, "1.2.3.4", p), UV_EAFNOSUPPORT);
        assert_eq!(call(libc::AF_INET6, "fe80::1%lo", p), 0);
        assert_eq!(out[0..2], [0xfe, 0x80]);
        assert_eq!(call(libc::AF_INET6, "::1%%%%", p), 0);
        assert_eq!(call(libc::AF_INET6, "::1%en1:1.2.3.4", p), 0);
        assert_eq!(call(libc::AF_INET6, "%lo", p), UV_EINVAL);
        let long_ok = "0000:0000:0000:0000:0000:ffff:255.255.255.255";
        assert_eq!(long_ok.len(), 45);
        assert_eq!(call(libc::AF_INET6, long_ok, p), 0);
        assert_eq!(call(libc::AF_INET6, &format!("{long_ok}%eth0"), p), 0);
        assert_eq!(
            call(libc::AF_INET6, &format!("0{long_ok}%eth0"), p),
            UV_EINVAL
        );
        // SAFETY: NULL arguments are refused before any access.
        unsafe {
            assert_eq!(uv_inet_pton(libc::AF_INET, core::ptr::null(), p), UV_EINVAL);
            let c = CString::new("1.2.3.4").unwrap();
            assert_eq!(
                uv_inet_pton(libc::AF_INET, c.as_ptr(), core::ptr::null_mut()),
                UV_EINVAL
            );
        }
    }

    #[test]
    fn ntop_c_api_sizes() {
        let a6 = v6("fe80::1").unwrap();
        let mut buf = [0x55 as c_char; 64];
        // SAFETY: buf has 64 bytes; each call passes a size no larger than that.
        unsafe {
            assert_eq!(
                uv_inet_ntop(libc::AF_INET6, a6.as_ptr().cast(), buf.as_mut_ptr(), 8),
                0
            );
            assert_eq!(CStr::from_ptr(buf.as_ptr()).to_str().unwrap(), "fe80::1");
            buf[0] = 0x55;
            assert_eq!(
                uv_inet_ntop(libc::AF_INET6, a6.as_ptr().cast(), buf.as_mut_ptr(), 7),
                UV_ENOSPC
            );
            assert_eq!(buf[0], 0x55, "nothing written on ENOSPC");
            let a4 = [255u8; 4];
            assert_eq!(
                uv_inet_ntop(libc::AF_INET, a4.as_ptr().cast(), buf.as_mut_ptr(), 16),
                0
            );
            assert_eq!(
                uv_inet_ntop(libc::AF_INET, a4.as_ptr().cast(), buf.as_mut_ptr(), 15),
                UV_ENOSPC
            );
            assert_eq!(
                uv_inet_ntop(libc::AF_INET, a4.as_ptr().cast(), buf.as_mut_ptr(), 0),
                UV_ENOSPC
            );
            assert_eq!(
                uv_inet_ntop(libc::AF_UNIX, a4.as_ptr().cast(), buf.as_mut_ptr(), 64),
                UV_EAFNOSUPPORT
            );
        }
    }

    #[test]
    fn ip6_addr_zone_and_truncation() {
        // SAFETY: all-zero is a valid sockaddr_in6.
        let mut sa: libc::sockaddr_in6 = unsafe { core::mem::zeroed() };
        let lo = CString::new("lo").unwrap();
        // SAFETY: lo is a C string.
        let lo_index = unsafe { libc::if_nametoindex(lo.as_ptr()) };
        let call = |s: &str, sa: &mut libc::sockaddr_in6| {
            let c = CString::new(s).unwrap();
            // SAFETY: c is a C string; sa is a valid out-pointer.
            unsafe { uv_ip6_addr(c.as_ptr(), 8080, sa) }
        };
        assert_eq!(call("fe80::1%lo", &mut sa), 0);
        assert_eq!(sa.sin6_scope_id, lo_index);
        assert_eq!(sa.sin6_port, 8080u16.to_be());
        assert_eq!(sa.sin6_family, libc::AF_INET6 as libc::sa_family_t);
        assert_eq!(call("fe80::1%no-such-if0", &mut sa), 0);
        assert_eq!(sa.sin6_scope_id, 0);
        // The address part is cut to 39 bytes, as libuv does.
        let full = "1111:2222:3333:4444:5555:6666:7777:8888";
        assert_eq!(call(&format!("{full}junk%lo"), &mut sa), 0);
        assert_eq!(sa.sin6_addr.s6_addr, v6(full).unwrap());
        // ... which can cut a valid address short: uv_inet_pton accepts this one.
        let long_ok = "0000:0000:0000:0000:0000:ffff:255.255.255.255";
        assert_eq!(call(long_ok, &mut sa), 0);
        assert_eq!(call(&format!("{long_ok}%lo"), &mut sa), UV_EINVAL);
        assert_eq!(call("::1", &mut sa), 0);
        assert_eq!(sa.sin6_scope_id, 0);
        assert_eq!(call("::1::", &mut sa), UV_EINVAL);
    }
}
