//! libuv's intrusive circular doubly linked list (`struct uv__queue`).
//!
//! The ABI puts these nodes inside the program's handles and requests (handle_queue,
//! pending_queue, write_queue, ...), so they cannot be replaced by Rust collections. A queue
//! head is a node whose next/prev point to itself when empty.
//!
//! Invariant for every function here: each pointer given points to a live, initialized
//! `uv__queue` (initialized by `init` or linked into a live queue), and the caller has
//! exclusive access to the queue it touches (the loop thread, or under the owning mutex).

use crate::abi::uv__queue;
use core::ptr;

#[inline]
pub unsafe fn init(q: *mut uv__queue) {
    // SAFETY: q is valid for writes (module invariant).
    unsafe {
        (*q).next = q;
        (*q).prev = q;
    }
}

#[inline]
pub unsafe fn is_empty(q: *const uv__queue) -> bool {
    // SAFETY: q is valid for reads (module invariant).
    unsafe { ptr::eq((*q).next, q) }
}

#[inline]
pub unsafe fn head(q: *const uv__queue) -> *mut uv__queue {
    // SAFETY: q is valid for reads.
    unsafe { (*q).next }
}

#[inline]
pub unsafe fn next(q: *const uv__queue) -> *mut uv__queue {
    // SAFETY: q is valid for reads.
    unsafe { (*q).next }
}

#[inline]
pub unsafe fn insert_tail(h: *mut uv__queue, q: *mut uv__queue) {
    // SAFETY: h is a live queue head, q a node not currently linked elsewhere.
    unsafe {
        (*q).next = h;
        (*q).prev = (*h).prev;
        (*(*q).prev).next = q;
        (*h).prev = q;
    }
}

#[inline]
pub unsafe fn insert_head(h: *mut uv__queue, q: *mut uv__queue) {
    // SAFETY: as insert_tail.
    unsafe {
        (*q).next = (*h).next;
        (*q).prev = h;
        (*(*q).next).prev = q;
        (*h).next = q;
    }
}

/// Unlinks q from its queue. q's own pointers are left as they were; call `init` to make
/// it a self-linked (empty) node again. Removing a self-linked node is a no-op.
#[inline]
pub unsafe fn remove(q: *mut uv__queue) {
    // SAFETY: q is linked in a live queue (or self-linked).
    unsafe {
        (*(*q).prev).next = (*q).next;
        (*(*q).next).prev = (*q).prev;
    }
}

/// Moves every element of `h` onto the tail of `n`; `h` becomes empty.
#[inline]
pub unsafe fn append(h: *mut uv__queue, n: *mut uv__queue) {
    // SAFETY: both are live queue heads.
    unsafe {
        if is_empty(h) {
            return;
        }
        (*(*n).prev).next = (*h).next;
        (*(*h).next).prev = (*n).prev;
        (*h).prev.as_mut().unwrap_unchecked().next = n;
        (*n).prev = (*h).prev;
        init(h);
    }
}

/// Moves every element of `h` onto the front of `n`; `h` becomes empty.
#[inline]
pub unsafe fn prepend(h: *mut uv__queue, n: *mut uv__queue) {
    // SAFETY: both are live queue heads.
    unsafe {
        if is_empty(h) {
            return;
        }
        let first = (*h).next;
        let last = (*h).prev;
        (*last).next = (*n).next;
        (*(*n).next).prev = last;
        (*n).next = first;
        (*first).prev = n;
        init(h);
    }
}

/// Moves all of `h` into the (uninitialized or empty) head `n`; `h` becomes empty.
#[inline]
pub unsafe fn move_to(h: *mut uv__queue, n: *mut uv__queue) {
    // SAFETY: h is a live head; n is valid for writes.
    unsafe {
        init(n);
        append(h, n);
    }
}

/// The struct that contains a queue node: `container_of!(q, uv_idle_t, queue)`.
macro_rules! container_of {
    ($ptr:expr, $type:ty, $($field:tt).+) => {
        ($ptr as *mut u8).wrapping_sub(core::mem::offset_of!($type, $($field).+)) as *mut $type
    };
}
pub(crate) use container_of;

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> Box<uv__queue> {
        let mut q = Box::new(uv__queue {
            next: ptr::null_mut(),
            prev: ptr::null_mut(),
        });
        unsafe { init(&mut *q) };
        q
    }

    unsafe fn collect(h: *mut uv__queue) -> Vec<*mut uv__queue> {
        let mut v = Vec::new();
        let mut q = unsafe { head(h) };
        while q != h {
            v.push(q);
            q = unsafe { next(q) };
        }
        v
    }

    #[test]
    fn insert_remove_append_prepend() {
        unsafe {
            let mut a = node();
            let mut b = node();
            let mut n: Vec<Box<uv__queue>> = (0..4).map(|_| node()).collect();
            let p: Vec<*mut uv__queue> = n.iter_mut().map(|x| &mut **x as *mut _).collect();
            insert_tail(&mut *a, p[0]);
            insert_tail(&mut *a, p[1]);
            insert_head(&mut *a, p[2]);
            assert_eq!(collect(&mut *a), vec![p[2], p[0], p[1]]);
            remove(p[0]);
            init(p[0]);
            remove(p[0]); // self-linked: no-op
            assert_eq!(collect(&mut *a), vec![p[2], p[1]]);
            insert_tail(&mut *b, p[3]);
            append(&mut *a, &mut *b);
            assert!(is_empty(&*a));
            assert_eq!(collect(&mut *b), vec![p[3], p[2], p[1]]);
            insert_tail(&mut *a, p[0]);
            prepend(&mut *a, &mut *b);
            assert_eq!(collect(&mut *b), vec![p[0], p[3], p[2], p[1]]);
            let mut c = node();
            move_to(&mut *b, &mut *c);
            assert!(is_empty(&*b));
            assert_eq!(collect(&mut *c).len(), 4);
        }
    }
}
