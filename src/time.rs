//! Clocks and sleeping: uv_hrtime, uv_clock_gettime, uv_gettimeofday, uv_sleep.

use crate::abi::*;
use core::ffi::{c_int, c_uint};

fn clock_ns(clock: libc::clockid_t) -> Option<(i64, i64)> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid out-pointer.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return None;
    }
    Some((ts.tv_sec, ts.tv_nsec))
}

/// Monotonic nanoseconds, the loop's time source.
pub fn hrtime() -> u64 {
    // CLOCK_MONOTONIC cannot fail on Linux with a valid pointer.
    let (s, ns) = clock_ns(libc::CLOCK_MONOTONIC).unwrap_or((0, 0));
    s as u64 * 1_000_000_000 + ns as u64
}

#[no_mangle]
pub extern "C" fn uv_hrtime() -> u64 {
    hrtime()
}

#[no_mangle]
pub unsafe extern "C" fn uv_clock_gettime(
    clock_id: uv_clock_id,
    ts: *mut uv_timespec64_t,
) -> c_int {
    if ts.is_null() {
        return UV_EFAULT;
    }
    let clock = match clock_id {
        UV_CLOCK_MONOTONIC => libc::CLOCK_MONOTONIC,
        UV_CLOCK_REALTIME => libc::CLOCK_REALTIME,
        _ => return UV_EINVAL,
    };
    match clock_ns(clock) {
        Some((s, ns)) => {
            // SAFETY: ts is non-NULL and points to the caller's uv_timespec64_t.
            unsafe {
                (*ts).tv_sec = s;
                (*ts).tv_nsec = ns as i32;
            }
            0
        }
        None => crate::error::last_error(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_gettimeofday(tv: *mut uv_timeval64_t) -> c_int {
    if tv.is_null() {
        return UV_EINVAL;
    }
    let mut t = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    // SAFETY: t is a valid out-pointer; the timezone argument may be NULL.
    if unsafe { libc::gettimeofday(&mut t, core::ptr::null_mut()) } != 0 {
        return crate::error::last_error();
    }
    // SAFETY: tv is non-NULL and points to the caller's struct.
    unsafe {
        (*tv).tv_sec = t.tv_sec;
        (*tv).tv_usec = t.tv_usec as i32;
    }
    0
}

/// Sleeps at least `msec` milliseconds, resuming after signals.
#[no_mangle]
pub extern "C" fn uv_sleep(msec: c_uint) {
    let mut req = libc::timespec {
        tv_sec: (msec / 1000) as libc::time_t,
        tv_nsec: ((msec % 1000) as libc::c_long) * 1_000_000,
    };
    let mut rem = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid pointers; nanosleep writes the remainder into rem on EINTR.
    while unsafe { libc::nanosleep(&req, &mut rem) } == -1
        && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
    {
        req = rem;
    }
}
