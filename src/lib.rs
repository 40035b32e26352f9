//! rsuv: libuv v1.52.1 rewritten in Rust, shipped as a drop-in `libuv.so.1`.
//!
//! Layout: `abi` holds the C types and tables; each other module is one libuv concept with
//! a thin `extern "C"` layer over Rust.
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

pub mod abi;

mod alloc;
mod buf;
mod error;
mod handle;
mod library;
mod r#loop;
mod req;
mod time;
mod version;
