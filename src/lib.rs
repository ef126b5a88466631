//! # stomp-wasm
//!
//! A STOMP 1.0/1.1/1.2 client for the browser, written in Rust and compiled to WebAssembly, with
//! the JavaScript API of @stomp/stompjs v7.
//!
//! The crate is built as two layers (the quinn-proto idea):
//!
//! - **The protocol core**, plain Rust with no I/O and no clock of its own. It builds natively
//!   and for wasm32, and the companion server (`server/`) uses it too, so there is one STOMP
//!   parser in the repository.
//!   - [`frame`]: the frame as data (`Command`, `Headers`, `Frame`, `Version`).
//!   - [`codec`]: the incremental decoder and the encoder, with limits and per-version escaping.
//!   - [`sockjs`]: SockJS framing (frames, its JSON string arrays, binary bodies as base64).
//!   - [`record`]: the byte records the browser modules exchange with JavaScript.
//! - **The browser build** (wasm32, without the `std` feature): [`abi`], the narrow C-ABI
//!   interface of the core module (`pkg-core/`), and [`heap`], its allocator. The browser I/O and
//!   the stompjs-compatible API are JavaScript: `pkg-core/js/client.js` over that module, and
//!   `pkg-core/js/sockjs.js` over `pkg-sockjs/` for SockJS URLs (docs/ARCHITECTURE.md).

// The core is `core` + `alloc` only; std comes with the `std` feature (default), which the
// server and the native tests use. See docs/CLIENT-SIZE-PLAN.md.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod client;
pub mod codec;
pub mod frame;
mod prelude;
pub mod record;
pub mod sockjs;
mod time;

#[cfg(target_arch = "wasm32")]
pub mod heap;

#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
pub mod abi;

/// The heap of every browser build ([`heap`]): far smaller than std's dlmalloc or talc, and
/// enough for a client's few, short-lived buffers. There are no threads here (no `atomics`
/// target feature). Public for the core module, which exports it to the SockJS module.
#[cfg(all(
    target_arch = "wasm32",
    not(target_feature = "atomics"),
    not(feature = "imported-heap")
))]
#[global_allocator]
pub static HEAP: heap::Heap = heap::Heap::new();

/// The SockJS module's heap is the core module's, in the core's memory ([`heap::Imported`]).
#[cfg(all(target_arch = "wasm32", feature = "imported-heap"))]
#[global_allocator]
static ALLOCATOR: heap::Imported = heap::Imported;

/// Without std (the size-first core, `pkg-core/`), a panic is a bug that traps: no message is
/// formatted, so `core::fmt` stays out of the module.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

pub use codec::{DecodeError, Decoded, Decoder, Encoder, Limits};
pub use frame::{ByteStr, Command, Frame, Headers, Version};
