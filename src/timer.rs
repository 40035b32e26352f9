//! Timers: a binary min-heap of active timers ordered by (due time, start order).
//!
//! The heap is a vector of timer pointers in the loop's inner state; each active timer
//! keeps its heap index in `timer->node.heap[0]`, so stopping any timer is O(log n). An
//! inactive timer's `node.queue` is always a valid queue node: self-linked, or linked in
//! the loop's ready list while its callback is about to run (the two never overlap, since
//! a timer is taken out of the heap before it is put on the ready list).

use crate::abi::*;
use crate::handle;
use crate::queue::{self, container_of};
use crate::r#loop::inner;
use core::ffi::c_int;

#[inline]
unsafe fn index_of(t: *const uv_timer_t) -> usize {
    // SAFETY: t is an active timer; node.heap[0] holds its index.
    unsafe { (*t).node.heap[0] as usize }
}

#[inline]
unsafe fn set_index(t: *mut uv_timer_t, i: usize) {
    // SAFETY: t is an active timer (the heap representation of node is in use).
    unsafe { (*t).node.heap[0] = i as *mut core::ffi::c_void }
}

#[inline]
unsafe fn less(a: *const uv_timer_t, b: *const uv_timer_t) -> bool {
    // SAFETY: both are live timers.
    unsafe { ((*a).timeout, (*a).start_id) < ((*b).timeout, (*b).start_id) }
}

unsafe fn sift_up(heap: &mut [*mut uv_timer_t], mut i: usize) {
    // SAFETY: every element is a live active timer.
    unsafe {
        let t = heap[i];
        while i > 0 {
            let parent = (i - 1) / 2;
            if !less(t, heap[parent]) {
                break;
            }
            heap[i] = heap[parent];
            set_index(heap[i], i);
            i = parent;
        }
        heap[i] = t;
        set_index(t, i);
    }
}

unsafe fn sift_down(heap: &mut [*mut uv_timer_t], mut i: usize) {
    // SAFETY: every element is a live active timer.
    unsafe {
        let n = heap.len();
        let t = heap[i];
        loop {
            let l = 2 * i + 1;
            if l >= n {
                break;
            }
            let r = l + 1;
            let c = if r < n && less(heap[r], heap[l]) {
                r
            } else {
                l
            };
            if !less(heap[c], t) {
                break;
            }
            heap[i] = heap[c];
            set_index(heap[i], i);
            i = c;
        }
        heap[i] = t;
        set_index(t, i);
    }
}

unsafe fn heap_insert(l: *mut uv_loop_t, t: *mut uv_timer_t) {
    // SAFETY: l is live; t is a live timer not in the heap.
    unsafe {
        let heap = &mut inner(l).timers;
        heap.push(t);
        let i = heap.len() - 1;
        sift_up(heap, i);
        publish(l);
    }
}

unsafe fn heap_remove(l: *mut uv_loop_t, t: *mut uv_timer_t) {
    // SAFETY: l is live; t is in the heap at index_of(t).
    unsafe {
        let heap = &mut inner(l).timers;
        let i = index_of(t);
        let last = heap.pop().unwrap_or(t);
        if i < heap.len() {
            heap[i] = last;
            set_index(last, i);
            // The moved element may belong above or below its new place.
            sift_up(heap, i);
            let j = index_of(last);
            sift_down(heap, j);
        }
        publish(l);
    }
}

/// Mirrors the heap's head and size into `loop->timer_heap`, which debuggers read.
#[inline]
unsafe fn publish(l: *mut uv_loop_t) {
    // SAFETY: l is live.
    unsafe {
        let heap = &inner(l).timers;
        (*l).timer_heap.min = heap.first().map_or(core::ptr::null_mut(), |t| {
            core::ptr::addr_of_mut!((**t).node) as *mut core::ffi::c_void
        });
        (*l).timer_heap.nelts = heap.len() as u32;
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_timer_init(r#loop: *mut uv_loop_t, handle: *mut uv_timer_t) -> c_int {
    if r#loop.is_null() || handle.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: an initialized loop and writable timer memory from the program.
    unsafe {
        handle::init(r#loop, handle as *mut uv_handle_t, UV_TIMER);
        (*handle).timer_cb = None;
        (*handle).timeout = 0;
        (*handle).repeat = 0;
        (*handle).start_id = 0;
        queue::init(&mut (*handle).node.queue);
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_timer_start(
    handle: *mut uv_timer_t,
    cb: uv_timer_cb,
    timeout: u64,
    repeat: u64,
) -> c_int {
    let t = handle;
    // SAFETY: the program passes an initialized timer.
    unsafe {
        if t.is_null() || cb.is_none() || (*t).r#type != UV_TIMER {
            return UV_EINVAL;
        }
        if handle::is_closing(t as *const uv_handle_t) {
            return UV_EINVAL;
        }
        stop(t);
        let l = (*t).r#loop;
        (*t).timer_cb = cb;
        (*t).timeout = (*l).time.saturating_add(timeout);
        (*t).repeat = repeat;
        (*t).start_id = (*l).timer_counter;
        (*l).timer_counter += 1;
        heap_insert(l, t);
        handle::start(t as *mut uv_handle_t);
    }
    0
}

/// Stops a timer wherever it is (heap or ready list).
unsafe fn stop(t: *mut uv_timer_t) {
    // SAFETY: t is a live timer.
    unsafe {
        if handle::is_active(t as *const uv_handle_t) {
            heap_remove((*t).r#loop, t);
            handle::stop(t as *mut uv_handle_t);
        } else {
            queue::remove(&mut (*t).node.queue);
        }
        queue::init(&mut (*t).node.queue);
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_timer_stop(handle: *mut uv_timer_t) -> c_int {
    // SAFETY: the program passes an initialized timer.
    unsafe {
        if handle.is_null() || (*handle).r#type != UV_TIMER {
            return UV_EINVAL;
        }
        stop(handle);
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_timer_again(handle: *mut uv_timer_t) -> c_int {
    // SAFETY: the program passes an initialized timer.
    unsafe {
        if handle.is_null() || (*handle).r#type != UV_TIMER || (*handle).timer_cb.is_none() {
            return UV_EINVAL;
        }
        if (*handle).repeat != 0 {
            stop(handle);
            uv_timer_start(
                handle,
                (*handle).timer_cb,
                (*handle).repeat,
                (*handle).repeat,
            );
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn uv_timer_set_repeat(handle: *mut uv_timer_t, repeat: u64) {
    if !handle.is_null() {
        // SAFETY: the program passes an initialized timer.
        unsafe { (*handle).repeat = repeat }
    }
}

#[no_mangle]
pub unsafe extern "C" fn uv_timer_get_repeat(handle: *const uv_timer_t) -> u64 {
    if handle.is_null() {
        return 0;
    }
    // SAFETY: the program passes an initialized timer.
    unsafe { (*handle).repeat }
}

#[no_mangle]
pub unsafe extern "C" fn uv_timer_get_due_in(handle: *const uv_timer_t) -> u64 {
    if handle.is_null() {
        return 0;
    }
    // SAFETY: the program passes an initialized timer of a live loop.
    unsafe {
        let now = (*(*handle).r#loop).time;
        (*handle).timeout.saturating_sub(now)
    }
}

/// Milliseconds until the nearest timer is due: 0 if one is due, -1 if there is none.
pub unsafe fn next_timeout(l: *mut uv_loop_t) -> c_int {
    // SAFETY: l is live.
    unsafe {
        let Some(&t) = inner(l).timers.first() else {
            return -1;
        };
        let now = (*l).time;
        if (*t).timeout <= now {
            return 0;
        }
        ((*t).timeout - now).min(c_int::MAX as u64) as c_int
    }
}

/// Runs every timer that is due now. Timers are collected first, then run, so a timer
/// (re)started by a callback with timeout 0 runs in the next iteration, not this one.
pub unsafe fn run_timers(l: *mut uv_loop_t) {
    // SAFETY: l is live; the heap and the ready list link live timers.
    unsafe {
        let ready: *mut uv__queue = &mut inner(l).timer_ready;
        while let Some(&t) = inner(l).timers.first() {
            if (*t).timeout > (*l).time {
                break;
            }
            stop(t);
            queue::insert_tail(ready, &mut (*t).node.queue);
        }
        // The ready list lives in the loop, so if a callback unwinds, the timers not yet run
        // stay there and run at the next pass.
        while !queue::is_empty(ready) {
            let q = queue::head(ready);
            queue::remove(q);
            queue::init(q);
            let t = container_of!(q, uv_timer_t, node.queue);
            uv_timer_again(t);
            if let Some(cb) = (*t).timer_cb {
                cb(t);
            }
        }
    }
}

pub unsafe fn close(t: *mut uv_timer_t) {
    // SAFETY: t is a live timer being closed.
    unsafe { stop(t) }
}
