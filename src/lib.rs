//! rsuv: libuv v1.52.1 rewritten in Rust, shipped as a drop-in `libuv.so.1`.
//!
//! Layout: `abi` holds the C types and tables; each other module is one libuv concept with
//! a thin `extern "C"` layer over Rust. Raw pointers into program memory are handled in the
//! ABI types, the intrusive queues (`queue`), the io watcher registry (`io`) and the loop's
//! phases; each `unsafe` block says why it is sound.
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

pub mod abi;

mod alloc;
mod r#async;
mod buf;
mod dl;
mod dns;
mod error;
mod fork;
mod fs;
mod fs_event;
mod fs_poll;
mod handle;
mod inet;
mod io;
mod library;
mod r#loop;
mod loop_watcher;
mod os;
mod pipe;
mod poll;
mod process;
mod process_title;
mod queue;
mod random;
mod req;
mod signal;
mod socket;
mod stream;
mod sysinfo;
mod tcp;
mod thread;
mod threadpool;
mod time;
mod timer;
mod tty;
mod udp;
mod unwind;
mod version;
mod wtf8;
