//! The plumbing the size-first modules (`pkg-core`, `pkg-sockjs`) build their C ABI from
//! (docs/CLIENT-SIZE-PLAN.md): a static for wasm32's one thread, the request buffer JavaScript
//! writes into and the answer buffer it reads, and the little-endian record writers. Only in the
//! wasm32 build without `std`, which is theirs.

use core::cell::UnsafeCell;

use crate::prelude::*;

/// A static for the one thread of wasm32 (no `atomics` feature), taken without a borrow flag.
///
/// A module's exports are only called by JavaScript, one at a time, and the modules import
/// nothing that calls back into them (the SockJS module imports the core's allocator, which
/// calls nothing): no export runs inside another. So an export that takes each static once has
/// it to itself. A `RefCell` checked that at every call for a case that cannot happen: its flag,
/// its checks and the refusal paths behind them were ~200 B gzip of the core.
pub struct Local<T>(UnsafeCell<T>);
// SAFETY: wasm32 without the `atomics` feature has one thread.
unsafe impl<T> Sync for Local<T> {}

impl<T> Local<T> {
    pub const fn new(value: T) -> Self {
        Local(UnsafeCell::new(value))
    }

    /// The value, for the export that is running.
    ///
    /// # Safety
    /// No other reference from this static may be alive: take it once per export, at the
    /// export, and never in a function that another such taker calls.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn get(&self) -> &mut T {
        // SAFETY: one thread, and the caller holds no other reference (above).
        unsafe { &mut *self.0.get() }
    }
}

/// The request buffer: JavaScript writes a request here, then calls an entry point with its length.
pub static IN: Local<Vec<u8>> = Local::new(Vec::new());
/// The answer buffer: the last batch or result an entry point wrote.
pub static OUT: Local<Vec<u8>> = Local::new(Vec::new());

/// The request buffer, at least `len` bytes (what a module's `buf` export returns); valid until
/// the next call.
pub fn request_buffer(len: u32) -> *mut u8 {
    // SAFETY: called by a `buf` export only, which takes nothing else.
    let b = unsafe { IN.get() };
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
    // SAFETY: called by an `out` export only, which takes nothing else.
    unsafe { OUT.get() }.as_ptr()
}

pub use crate::record::{put_bytes, put_u32};
