//! Directory listing: scandir (all entries at once, sorted, walked with
//! uv_fs_scandir_next) and opendir/readdir/closedir (batches into the program's dirents).
//!
//! Both leave out "." and "..". Every name handed to the program is a string from the
//! program's allocator.
//!
//! A finished scandir request keeps in `req->ptr` an array of `ScanEntry` (NULL when the
//! directory is empty) and uses `req->nbufs` as the cursor of uv_fs_scandir_next, as libuv
//! does. An entry's name stays valid until the next uv_fs_scandir_next or
//! uv_fs_req_cleanup; each is freed then and its slot cleared.

use super::{errno, set_errno, OpResult};
use crate::abi::*;
use crate::alloc;
use core::ffi::{c_char, c_int, c_void, CStr};
use core::mem::size_of;
use core::ptr;

#[repr(C)]
struct ScanEntry {
    name: *mut c_char,
    kind: uv_dirent_type_t,
}

fn dirent_type(d_type: u8) -> uv_dirent_type_t {
    match d_type {
        libc::DT_DIR => UV_DIRENT_DIR,
        libc::DT_REG => UV_DIRENT_FILE,
        libc::DT_LNK => UV_DIRENT_LINK,
        libc::DT_FIFO => UV_DIRENT_FIFO,
        libc::DT_SOCK => UV_DIRENT_SOCKET,
        libc::DT_CHR => UV_DIRENT_CHAR,
        libc::DT_BLK => UV_DIRENT_BLOCK,
        _ => UV_DIRENT_UNKNOWN,
    }
}

/// The next entry of an open directory other than "." and "..": Ok(None) at the end.
unsafe fn next_entry<'a>(d: *mut libc::DIR) -> Result<Option<(&'a CStr, u8)>, c_int> {
    loop {
        // readdir reports the end and errors alike with NULL; errno tells them apart.
        set_errno(0);
        // SAFETY: d is an open directory stream used by one thread at a time.
        let e = unsafe { libc::readdir(d) };
        if e.is_null() {
            return match std::io::Error::last_os_error().raw_os_error() {
                Some(0) | None => Ok(None),
                Some(_) => Err(errno()),
            };
        }
        // SAFETY: readdir returned an entry with a NUL-terminated name, valid until the
        // next readdir on d (the caller copies it before that).
        let (name, d_type) = unsafe { (CStr::from_ptr((*e).d_name.as_ptr()), (*e).d_type) };
        if name.to_bytes() != b"." && name.to_bytes() != b".." {
            return Ok(Some((name, d_type)));
        }
    }
}

/// Frees `n` names allocated through crate::alloc in an array of (name, ...) slots.
unsafe fn free_names(names: impl Iterator<Item = *mut *mut c_char>) {
    for slot in names {
        // SAFETY: each slot holds NULL or a name from crate::alloc (caller's contract).
        unsafe {
            alloc::free(*slot as *mut c_void);
            *slot = ptr::null_mut();
        }
    }
}

/// Lists `req->path`, sorted by name (byte order, like strcmp).
pub(super) unsafe fn scandir(req: &mut uv_fs_t) -> OpResult {
    req.nbufs = 0;
    // SAFETY: path is NUL-terminated (set by uv_fs_scandir).
    let d = unsafe { libc::opendir(req.path) };
    if d.is_null() {
        return Err(errno());
    }
    let mut found: Vec<(Vec<u8>, uv_dirent_type_t)> = Vec::new();
    let listed = loop {
        // SAFETY: d is our open directory.
        match unsafe { next_entry(d) } {
            Ok(Some((name, t))) => found.push((name.to_bytes().to_vec(), dirent_type(t))),
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    // SAFETY: d is our open directory, closed once.
    unsafe { libc::closedir(d) };
    listed?;
    found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let n = found.len();
    if n == 0 {
        req.ptr = ptr::null_mut();
        return Ok(0);
    }
    let Some(bytes) = n.checked_mul(size_of::<ScanEntry>()) else {
        return Err(libc::ENOMEM);
    };
    let arr = alloc::malloc(bytes) as *mut ScanEntry;
    if arr.is_null() {
        return Err(libc::ENOMEM);
    }
    for (i, (name, kind)) in found.iter().enumerate() {
        let s = alloc::strdup(name);
        if s.is_null() {
            // SAFETY: slots 0..i were filled with names from crate::alloc; arr is ours.
            unsafe {
                free_names((0..i).map(|j| ptr::addr_of_mut!((*arr.add(j)).name)));
                alloc::free(arr as *mut c_void);
            }
            return Err(libc::ENOMEM);
        }
        // SAFETY: i < n, within the allocation.
        unsafe {
            arr.add(i).write(ScanEntry {
                name: s,
                kind: *kind,
            })
        };
    }
    req.ptr = arr as *mut c_void;
    Ok(n as isize)
}

/// The next entry of a finished scandir request (UV_EOF after the last one, which also
/// releases the list).
pub(super) unsafe fn scandir_next(req: &mut uv_fs_t, ent: &mut uv_dirent_t) -> c_int {
    if req.result < 0 {
        return req.result as c_int;
    }
    if req.ptr.is_null() {
        return UV_EOF;
    }
    let arr = req.ptr as *mut ScanEntry;
    let n = req.result as usize;
    let i = req.nbufs as usize;
    // SAFETY: arr has n entries (result) and the cursor i never passes n.
    unsafe {
        if i > 0 {
            free_names(core::iter::once(ptr::addr_of_mut!((*arr.add(i - 1)).name)));
        }
        if i >= n {
            alloc::free(arr as *mut c_void);
            req.ptr = ptr::null_mut();
            return UV_EOF;
        }
        let e = &*arr.add(i);
        ent.name = e.name;
        ent.r#type = e.kind;
    }
    req.nbufs += 1;
    0
}

/// uv_fs_req_cleanup of a scandir request whose list was not walked to its end.
pub(super) unsafe fn scandir_cleanup(req: &mut uv_fs_t) {
    let arr = req.ptr as *mut ScanEntry;
    if req.result > 0 {
        // Names already handed out and freed are NULL; free(NULL) is a no-op.
        // SAFETY: arr has `result` entries.
        unsafe {
            free_names((0..req.result as usize).map(|j| ptr::addr_of_mut!((*arr.add(j)).name)))
        };
    }
    // SAFETY: arr came from crate::alloc in scandir.
    unsafe { alloc::free(arr as *mut c_void) };
    req.ptr = ptr::null_mut();
}

/// A `uv_dir_t` (from the program's allocator) for `req->path`, in `req->ptr`.
pub(super) unsafe fn opendir(req: &mut uv_fs_t) -> OpResult {
    let dir = alloc::malloc(size_of::<uv_dir_t>()) as *mut uv_dir_t;
    if dir.is_null() {
        req.ptr = ptr::null_mut();
        return Err(libc::ENOMEM);
    }
    // SAFETY: dir is a fresh allocation of a uv_dir_t; path is NUL-terminated.
    unsafe {
        dir.write(uv_dir_t {
            dirents: ptr::null_mut(),
            nentries: 0,
            reserved: [ptr::null_mut(); 4],
            dir: ptr::null_mut(),
        });
        let d = libc::opendir(req.path);
        if d.is_null() {
            let e = errno();
            alloc::free(dir as *mut c_void);
            req.ptr = ptr::null_mut();
            return Err(e);
        }
        (*dir).dir = d;
    }
    req.ptr = dir as *mut c_void;
    Ok(0)
}

/// Up to `dir->nentries` entries into the program's `dir->dirents`; the count read.
pub(super) unsafe fn readdir(req: &mut uv_fs_t) -> OpResult {
    let dir = req.ptr as *mut uv_dir_t;
    // SAFETY: dir is the program's open uv_dir_t with nentries writable dirents (checked
    // non-NULL by uv_fs_readdir).
    unsafe {
        let dirents = (*dir).dirents;
        let max = (*dir).nentries;
        let mut count = 0usize;
        let failure = loop {
            if count >= max {
                break None;
            }
            match next_entry((*dir).dir) {
                Ok(None) => break None,
                Err(e) => break Some(e),
                Ok(Some((name, t))) => {
                    let s = alloc::strdup(name.to_bytes());
                    if s.is_null() {
                        break Some(libc::ENOMEM);
                    }
                    let slot = &mut *dirents.add(count);
                    slot.name = s;
                    slot.r#type = dirent_type(t);
                    count += 1;
                }
            }
        };
        if let Some(e) = failure {
            for j in 0..count {
                let slot = &mut *dirents.add(j);
                alloc::free(slot.name as *mut c_void);
                slot.name = ptr::null();
            }
            return Err(e);
        }
        Ok(count as isize)
    }
}

/// Releases the names a readdir request handed out (uv_fs_req_cleanup).
pub(super) unsafe fn readdir_cleanup(req: &mut uv_fs_t) {
    let dir = req.ptr as *mut uv_dir_t;
    req.ptr = ptr::null_mut();
    // SAFETY: dir is the program's uv_dir_t; its first `result` dirents hold names that
    // readdir allocated.
    unsafe {
        let dirents = (*dir).dirents;
        if dirents.is_null() {
            return;
        }
        for j in 0..req.result.max(0) as usize {
            let slot = &mut *dirents.add(j);
            alloc::free(slot.name as *mut c_void);
            slot.name = ptr::null();
        }
    }
}

/// Closes the directory and frees the `uv_dir_t`.
pub(super) unsafe fn closedir(req: &mut uv_fs_t) -> OpResult {
    let dir = req.ptr as *mut uv_dir_t;
    // SAFETY: dir came from uv_fs_opendir and is not used by anything else now.
    unsafe {
        if !(*dir).dir.is_null() {
            libc::closedir((*dir).dir);
            (*dir).dir = ptr::null_mut();
        }
        alloc::free(dir as *mut c_void);
    }
    req.ptr = ptr::null_mut();
    Ok(0)
}
