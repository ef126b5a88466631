//! The plumbing the size-first modules (`pkg-core`, `pkg-sockjs`) build their C ABI from
//! (docs/CLIENT-SIZE-PLAN.md): a static for wasm32's one thread, the request buffer JavaScript
//! writes into and the answer buffer it reads, and the little-endian record writers. Only in the
//! wasm32 build without `std`, which is theirs.

use core::cell::RefCell;

use crate::prelude::*;

/// A static for the one thread of wasm32 (no `atomics` feature).
pub struct Local<T>(pub RefCell<T>);
// SAFETY: wasm32 without the `atomics` feature has one thread.
unsafe impl<T> Sync for Local<T> {}

/// The request buffer: JavaScript writes a request here, then calls an entry point with its length.
pub static IN: Local<Vec<u8>> = Local(RefCell::new(Vec::new()));
/// The answer buffer: the last batch or result an entry point wrote.
pub static OUT: Local<Vec<u8>> = Local(RefCell::new(Vec::new()));

/// The request buffer, at least `len` bytes (what a module's `buf` export returns); valid until
/// the next call.
pub fn request_buffer(len: u32) -> *mut u8 {
    // `try_borrow_mut`: a module's calls never nest, so it succeeds; `borrow_mut` would bring
    // its panic path.
    let Ok(mut b) = IN.0.try_borrow_mut() else {
        return core::ptr::null_mut();
    };
    // Grown, never shrunk or cleared: zeroing it for every socket message cost a memset of the
    // message's worst-case size. Readers take `..len` of it.
    if b.len() < len as usize {
        // Zeros appended by `extend`: less code than `resize` in this build.
        let extra = len as usize - b.len();
        b.extend(core::iter::repeat_n(0, extra));
    }
    b.as_mut_ptr()
}

/// Where the answer buffer is (what a module's `out` export returns).
pub fn answer() -> *const u8 {
    OUT.0
        .try_borrow()
        .map_or(core::ptr::null(), |out| out.as_ptr())
}

pub use crate::record::{put_bytes, put_u32};
