//! The SockJS fallback of the size-first browser client (issue 14, step 8 of
//! docs/CLIENT-SIZE-PLAN.md): the sans-IO
//! [`SockJsConnection`](stomp_wasm::sockjs::client::SockJsConnection) and its
//! [`TransportPlan`](stomp_wasm::sockjs::client::TransportPlan) behind a narrow C-ABI interface
//! for `pkg-core/js/sockjs.js`, with no wasm-bindgen, no std and no `core::fmt`. A page loads it
//! (by `import('./sockjs.js')`) only when its broker URL is `http(s)://`.
//!
//! Every decision stays here: what `/info` said, the transport order and the WebSocket
//! head-start race, the open timeouts, what each frame means, batching of `xhr_send`,
//! re-opening streams at the server's byte limit, and what the plan learns across connections.
//! JavaScript performs the actions (a `fetch`, a `WebSocket`, an `EventSource`, one timer) and
//! reports what they did, by channel; it also reads and writes SockJS's wire format (lines,
//! frames, the JSON of messages and `/info`), since `JSON.parse` and `JSON.stringify` cost a
//! page nothing and a JSON decoder and encoder here cost 3 KB gzip.
//!
//! The interface is numbers and byte ranges in linear memory, as in `pkg-core`: JavaScript
//! writes a request into the buffer [`buf`] returns and calls an entry point with its length;
//! [`input`] answers with one batch and returns its address — `f64` deadline (infinity:
//! none), `u32` error (1: a send refused, the connection not open), then records (`u32`
//! length + `kind: u8` + fields; integers little-endian `u32`; a string that ends its record
//! runs to the end, another one has a `u32` length first; written by the connection as things
//! happen, `stomp_wasm::sockjs::client::Out`), then a `u32` 0.
//!
//! The module has no heap and no memory of its own: it imports the core module's memory and
//! allocates through the core's heap (`stomp_wasm`'s `imported-heap` feature, the core's `alloc`
//! and `dealloc` exports), one heap for the page where two cost 0.2 KB gzip more. Its static data
//! and stack lie between the core's data and the core's heap (`build.rs`; the package build checks
//! it); `sockjs.js` instantiates it with the client's core, which it loads when used alone.
//!
//! Only wasm32 has the exports (and the dependency); natively the crate is empty.
#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
mod sockjs_abi;
#[cfg(target_arch = "wasm32")]
pub use sockjs_abi::*;
