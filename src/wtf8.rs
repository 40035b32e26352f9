//! UTF-16 <-> WTF-8 conversions: uv_utf16_length_as_wtf8, uv_utf16_to_wtf8,
//! uv_wtf8_length_as_utf16, uv_wtf8_to_utf16.
//!
//! WTF-8 is UTF-8 that may also carry surrogate code points (U+D800..U+DFFF) encoded as
//! three-byte sequences, so any sequence of 16-bit units (valid UTF-16 or not) survives a
//! round trip. A lead surrogate followed by a trail surrogate is one supplementary code
//! point; any other surrogate is encoded on its own.
//!
//! The decoder accepts what libuv's does: lead bytes 0xC2..0xF4 followed by the right number
//! of continuation bytes, values up to U+10FFFF; it does not reject overlong three- and
//! four-byte forms. It never reads past a NUL: a NUL where a continuation byte should be
//! makes the sequence invalid.
//!
//! The pure conversions work on slices; the `extern "C"` layer turns the C pointers into
//! slices (a NUL-terminated input is measured first).

use crate::abi::{UV_EINVAL, UV_ENOBUFS, UV_ENOMEM};
use core::ffi::{c_char, c_int};

/// One decoded WTF-8 sequence: the code point and how many bytes it took, or `None` when the
/// bytes at the start of `s` are not a sequence libuv accepts. `s` ends at (and excludes) the
/// terminating NUL, so a truncated sequence is simply invalid.
fn decode1(s: &[u8]) -> Option<(u32, usize)> {
    let b1 = *s.first()?;
    let (len, init) = match b1 {
        0x00..=0x7F => return Some((b1 as u32, 1)),
        0x80..=0xC1 => return None, // continuation byte, or an overlong two-byte lead
        0xC2..=0xDF => (2, (b1 & 0x1F) as u32),
        0xE0..=0xEF => (3, (b1 & 0x0F) as u32),
        0xF0..=0xF4 => (4, (b1 & 0x07) as u32),
        _ => return None,
    };
    let mut cp = init;
    for i in 1..len {
        let b = *s.get(i)?;
        if b & 0xC0 != 0x80 {
            return None;
        }
        cp = (cp << 6) | (b & 0x3F) as u32;
    }
    if cp > 0x10FFFF {
        return None;
    }
    Some((cp, len))
}

/// The number of UTF-16 units `s` (WTF-8, without its NUL) converts to, plus one for the NUL;
/// `None` if `s` is not valid WTF-8.
pub fn wtf8_length_as_utf16(mut s: &[u8]) -> Option<usize> {
    let mut n = 1; // the NUL
    while !s.is_empty() {
        let (cp, used) = decode1(s)?;
        n += if cp > 0xFFFF { 2 } else { 1 };
        s = &s[used..];
    }
    Some(n)
}

/// Converts WTF-8 `s` (without its NUL) into `out`, NUL-terminated, writing at most
/// `out.len()` units. An invalid sequence becomes U+FFFD and decoding resumes at the next
/// byte (libuv leaves that case undefined; the caller is meant to check the length first).
/// If `out` is too small, the output is cut short and its last unit is the NUL.
pub fn wtf8_to_utf16(mut s: &[u8], out: &mut [u16]) {
    // Room for units before the NUL slot.
    let room = out.len().saturating_sub(1);
    let mut o = 0;
    while !s.is_empty() {
        let (cp, used) = decode1(s).unwrap_or((0xFFFD, 1));
        s = &s[used..];
        if cp > 0xFFFF {
            // Both halves or neither.
            if o + 2 > room {
                break;
            }
            let v = cp - 0x10000;
            out[o] = 0xD800 + (v >> 10) as u16;
            out[o + 1] = 0xDC00 + (v & 0x3FF) as u16;
            o += 2;
        } else {
            if o + 1 > room {
                break;
            }
            out[o] = cp as u16;
            o += 1;
        }
    }
    if let Some(slot) = out.get_mut(o) {
        *slot = 0;
    }
}

/// The code point at the start of `units`: a lead+trail surrogate pair combines, anything
/// else (including a lone surrogate) stands for itself. Returns it with the units used.
fn utf16_decode1(units: &[u16]) -> (u32, usize) {
    let u = units[0] as u32;
    if (0xD800..=0xDBFF).contains(&u) {
        if let Some(&next) = units.get(1) {
            let next = next as u32;
            if (0xDC00..=0xDFFF).contains(&next) {
                return (0x10000 + ((u - 0xD800) << 10) + (next - 0xDC00), 2);
            }
        }
    }
    (u, 1)
}

/// Encodes one code point (surrogates included) as WTF-8.
fn encode1(cp: u32, buf: &mut [u8; 4]) -> usize {
    if cp < 0x80 {
        buf[0] = cp as u8;
        1
    } else if cp < 0x800 {
        buf[0] = 0xC0 | (cp >> 6) as u8;
        buf[1] = 0x80 | (cp & 0x3F) as u8;
        2
    } else if cp < 0x10000 {
        buf[0] = 0xE0 | (cp >> 12) as u8;
        buf[1] = 0x80 | ((cp >> 6) & 0x3F) as u8;
        buf[2] = 0x80 | (cp & 0x3F) as u8;
        3
    } else {
        buf[0] = 0xF0 | (cp >> 18) as u8;
        buf[1] = 0x80 | ((cp >> 12) & 0x3F) as u8;
        buf[2] = 0x80 | ((cp >> 6) & 0x3F) as u8;
        buf[3] = 0x80 | (cp & 0x3F) as u8;
        4
    }
}

fn encoded_len(cp: u32) -> usize {
    match cp {
        0..=0x7F => 1,
        0x80..=0x7FF => 2,
        0x800..=0xFFFF => 3,
        _ => 4,
    }
}

/// The length in bytes of `units` as WTF-8 (no NUL counted).
pub fn utf16_length_as_wtf8(mut units: &[u16]) -> usize {
    let mut n = 0;
    while !units.is_empty() {
        let (cp, used) = utf16_decode1(units);
        n += encoded_len(cp);
        units = &units[used..];
    }
    n
}

/// Encodes `units` into `out` (the space before the NUL slot). Returns the bytes of the code
/// points that fit completely, the bytes written (which may include the first bytes of a
/// code point that did not fit, as libuv does) and the units left unconverted.
pub fn utf16_to_wtf8(mut units: &[u16], out: &mut [u8]) -> (usize, usize, usize) {
    let mut complete = 0;
    let mut written = 0;
    while !units.is_empty() {
        let (cp, used) = utf16_decode1(units);
        let mut buf = [0u8; 4];
        let n = encode1(cp, &mut buf);
        let room = out.len() - written;
        let take = n.min(room);
        out[written..written + take].copy_from_slice(&buf[..take]);
        written += take;
        if take < n {
            break;
        }
        complete = written;
        units = &units[used..];
    }
    (complete, written, units.len())
}

/// The units of a UTF-16 string given by pointer and length (-1 or any negative value: up to
/// the first NUL unit).
unsafe fn utf16_slice<'a>(p: *const u16, len: isize) -> &'a [u16] {
    if p.is_null() || len == 0 {
        return &[];
    }
    let n = if len < 0 {
        let mut n = 0usize;
        // SAFETY: the caller promises a NUL-terminated string when len < 0.
        while unsafe { *p.add(n) } != 0 {
            n += 1;
        }
        n
    } else {
        len as usize
    };
    // SAFETY: p points to at least n readable units (the caller's contract).
    unsafe { core::slice::from_raw_parts(p, n) }
}

/// The bytes of a NUL-terminated C string, without the NUL.
unsafe fn c_bytes<'a>(p: *const c_char) -> &'a [u8] {
    if p.is_null() {
        return &[];
    }
    // SAFETY: p is a NUL-terminated string (the caller's contract).
    unsafe { core::ffi::CStr::from_ptr(p) }.to_bytes()
}

#[no_mangle]
pub unsafe extern "C" fn uv_utf16_length_as_wtf8(utf16: *const u16, utf16_len: isize) -> usize {
    // SAFETY: the caller's string, as documented (NUL-terminated when the length is -1).
    utf16_length_as_wtf8(unsafe { utf16_slice(utf16, utf16_len) })
}

#[no_mangle]
pub unsafe extern "C" fn uv_utf16_to_wtf8(
    utf16: *const u16,
    utf16_len: isize,
    wtf8_ptr: *mut *mut c_char,
    wtf8_len_ptr: *mut usize,
) -> c_int {
    // SAFETY: the caller's string, as documented.
    let units = unsafe { utf16_slice(utf16, utf16_len) };
    // SAFETY: wtf8_ptr and wtf8_len_ptr are NULL or valid (checked before each use).
    unsafe {
        let have_buffer = !wtf8_ptr.is_null() && !(*wtf8_ptr).is_null();
        let capacity = if have_buffer {
            if wtf8_len_ptr.is_null() {
                return UV_EINVAL;
            }
            *wtf8_len_ptr
        } else {
            let n = utf16_length_as_wtf8(units);
            if !wtf8_len_ptr.is_null() {
                *wtf8_len_ptr = n;
            }
            n
        };
        if wtf8_ptr.is_null() {
            return 0;
        }
        if !have_buffer {
            let Some(size) = capacity.checked_add(1) else {
                return UV_ENOMEM;
            };
            let p = crate::alloc::malloc(size) as *mut c_char;
            if p.is_null() {
                return UV_ENOMEM;
            }
            *wtf8_ptr = p;
        }
        // The buffer holds `capacity` bytes plus one for the NUL (the documented contract);
        // we never need more than the whole result.
        let room = capacity.min(utf16_length_as_wtf8(units));
        let out = core::slice::from_raw_parts_mut(*wtf8_ptr as *mut u8, room);
        let (complete, written, left) = utf16_to_wtf8(units, out);
        *(*wtf8_ptr).add(written) = 0;
        if left > 0 {
            if !wtf8_len_ptr.is_null() {
                let rest = utf16_length_as_wtf8(&units[units.len() - left..]);
                *wtf8_len_ptr = complete + rest;
            }
            return UV_ENOBUFS;
        }
        if !wtf8_len_ptr.is_null() {
            *wtf8_len_ptr = written;
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_wtf8_length_as_utf16(wtf8: *const c_char) -> isize {
    // SAFETY: the caller's NUL-terminated string.
    match wtf8_length_as_utf16(unsafe { c_bytes(wtf8) }) {
        Some(n) => n as isize,
        None => -1,
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_wtf8_to_utf16(wtf8: *const c_char, utf16: *mut u16, utf16_len: usize) {
    if utf16.is_null() || utf16_len == 0 {
        return;
    }
    // SAFETY: the caller's NUL-terminated input and an output of utf16_len units.
    unsafe {
        let out = core::slice::from_raw_parts_mut(utf16, utf16_len);
        wtf8_to_utf16(c_bytes(wtf8), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_wtf8(units: &[u16]) -> Vec<u8> {
        let mut out = vec![0u8; utf16_length_as_wtf8(units)];
        let (complete, written, left) = utf16_to_wtf8(units, &mut out);
        assert_eq!((complete, written, left), (out.len(), out.len(), 0));
        out
    }

    fn to_utf16(bytes: &[u8]) -> Vec<u16> {
        let n = wtf8_length_as_utf16(bytes).expect("valid WTF-8");
        let mut out = vec![0xAAAAu16; n];
        wtf8_to_utf16(bytes, &mut out);
        assert_eq!(out.pop(), Some(0));
        out
    }

    #[test]
    fn valid_utf8_matches_std() {
        for s in ["", "abc", "é", "ᜄȺy𐞲:𞢢𘴇𐀀'¥3̞[<i$", "\u{10FFFF}", "\u{FFFF}"] {
            let units: Vec<u16> = s.encode_utf16().collect();
            assert_eq!(to_wtf8(&units), s.as_bytes());
            assert_eq!(to_utf16(s.as_bytes()), units);
            assert_eq!(wtf8_length_as_utf16(s.as_bytes()), Some(units.len() + 1));
        }
    }

    #[test]
    fn lone_surrogates() {
        // Lone lead, lone trail, reversed pair: each encoded on its own.
        let units = [0xD800u16, 0x41, 0xDC00, 0xDC00, 0xD800];
        let bytes = to_wtf8(&units);
        assert_eq!(
            bytes,
            [0xED, 0xA0, 0x80, 0x41, 0xED, 0xB0, 0x80, 0xED, 0xB0, 0x80, 0xED, 0xA0, 0x80]
        );
        assert_eq!(to_utf16(&bytes), units);
        // A lead surrogate at the very end of a counted string.
        assert_eq!(to_wtf8(&[0xD83D]), [0xED, 0xA0, 0xBD]);
        // A real pair is one four-byte sequence.
        assert_eq!(to_wtf8(&[0xD83D, 0xDE00]), "😀".as_bytes());
    }

    #[test]
    fn invalid_wtf8() {
        for bad in [
            &[0x80u8][..],
            &[0xC0, 0x80],
            &[0xC1, 0xBF],
            &[0xC2],
            &[0xE0, 0x80],
            &[0xF4, 0x90, 0x80, 0x80],
            &[0xF5, 0x80, 0x80, 0x80],
            &[0xFF],
            &[b'a', 0xE2, 0x82],
        ] {
            assert_eq!(wtf8_length_as_utf16(bad), None, "{bad:x?}");
        }
        // libuv's decoder accepts overlong three-byte forms.
        assert_eq!(wtf8_length_as_utf16(&[0xE0, 0x80, 0x80]), Some(2));
    }

    #[test]
    fn truncation() {
        // "é" needs two bytes; one byte of room: the first byte is written, nothing complete.
        let units: Vec<u16> = "aé".encode_utf16().collect();
        let mut out = [0u8; 2];
        assert_eq!(utf16_to_wtf8(&units, &mut out), (1, 2, 1));
        let mut out = [0u8; 3];
        assert_eq!(utf16_to_wtf8(&units, &mut out), (3, 3, 0));
        // UTF-16 output too small: cut short, NUL-terminated, never overrun.
        let mut small = [0xAAAAu16; 3];
        wtf8_to_utf16("a😀b".as_bytes(), &mut small);
        assert_eq!(small, [0x61, 0, 0xAAAA]);
    }

    #[test]
    fn c_api_buffer_contract() {
        let units: Vec<u16> = "héllo".encode_utf16().chain([0]).collect();
        unsafe {
            let mut len = 0usize;
            assert_eq!(
                uv_utf16_to_wtf8(units.as_ptr(), -1, core::ptr::null_mut(), &mut len),
                0
            );
            assert_eq!(len, 6);
            assert_eq!(uv_utf16_length_as_wtf8(units.as_ptr(), -1), 6);
            // Allocating form.
            let mut p: *mut c_char = core::ptr::null_mut();
            let mut len = 0usize;
            assert_eq!(uv_utf16_to_wtf8(units.as_ptr(), -1, &mut p, &mut len), 0);
            assert_eq!(len, 6);
            assert_eq!(core::ffi::CStr::from_ptr(p).to_bytes(), "héllo".as_bytes());
            crate::alloc::free(p as *mut _);
            // Caller's buffer, too small.
            let mut buf = [0x55 as c_char; 4];
            let mut p = buf.as_mut_ptr();
            let mut len = 3usize;
            assert_eq!(
                uv_utf16_to_wtf8(units.as_ptr(), -1, &mut p, &mut len),
                UV_ENOBUFS
            );
            assert_eq!(len, 6);
            assert_eq!(buf[3], 0);
            // Exact fit.
            let mut buf = [0x55 as c_char; 7];
            let mut p = buf.as_mut_ptr();
            let mut len = 6usize;
            assert_eq!(uv_utf16_to_wtf8(units.as_ptr(), -1, &mut p, &mut len), 0);
            assert_eq!(len, 6);
            assert_eq!(buf[6], 0);
            // Bigger buffer: the length written back is what was used.
            let mut buf = [0x55 as c_char; 16];
            let mut p = buf.as_mut_ptr();
            let mut len = 15usize;
            assert_eq!(uv_utf16_to_wtf8(units.as_ptr(), 5, &mut p, &mut len), 0);
            assert_eq!(len, 6);
        }
    }

    /// A small xorshift generator, so the fuzz test needs no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn fuzz_round_trips_and_never_panics() {
        let mut rng = Rng(0x9E3779B97F4A7C15);
        for _ in 0..20_000 {
            let n = (rng.next() % 12) as usize;
            // Units biased towards the interesting ranges (surrogates, boundaries).
            let units: Vec<u16> = (0..n)
                .map(|_| match rng.next() % 5 {
                    0 => 0xD800 + (rng.next() % 0x800) as u16,
                    1 => (rng.next() % 0x80) as u16,
                    2 => 0x7F0 + (rng.next() % 0x20) as u16,
                    _ => rng.next() as u16,
                })
                .filter(|&u| u != 0)
                .collect();
            let bytes = to_wtf8(&units);
            assert_eq!(to_utf16(&bytes), units);
            // Every truncation of the output buffer is handled.
            for cap in 0..bytes.len() {
                let mut out = vec![0u8; cap];
                let (complete, written, left) = utf16_to_wtf8(&units, &mut out);
                assert!(complete <= written && written <= cap && left > 0);
                assert_eq!(&out[..written], &bytes[..written]);
            }
            // Random bytes: the length check and the conversion never panic or overrun.
            let raw: Vec<u8> = (0..(rng.next() % 10))
                .map(|_| rng.next() as u8)
                .filter(|&b| b != 0)
                .collect();
            let len = wtf8_length_as_utf16(&raw);
            let mut out = vec![0u16; len.unwrap_or(raw.len() + 1)];
            wtf8_to_utf16(&raw, &mut out);
            if let Some(l) = len {
                assert_eq!(out[l - 1], 0);
            }
            let mut tiny = vec![0u16; (rng.next() % 3) as usize];
            wtf8_to_utf16(&raw, &mut tiny);
        }
    }
}
