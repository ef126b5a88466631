//! The size-first browser core of stomp-wasm (issue 14, step 6 of docs/CLIENT-SIZE-PLAN.md):
//! the client [`Session`] behind a narrow C-ABI interface for the JavaScript API in
//! `pkg-template/`, with no wasm-bindgen, no std and no `core::fmt`.
//!
//! The interface is numbers and byte ranges in linear memory. JavaScript writes a request into
//! the buffer [`buf`] returns and calls an entry point with its length. [`input`] (a socket
//! message, a timer, activate…) answers with everything it caused as one batch in the buffer
//! [`out`] points at — the next deadline, an error code, the records — so a received message is
//! one crossing; so does a [`command`] (publish, subscribe…), with the id it made after the
//! batch. The session keeps every protocol decision; JavaScript only moves bytes, owns the
//! socket and the timer, and calls the user's callbacks.
//!
//! Records (all integers little-endian `u32`, strings and byte strings as `u32` length + bytes,
//! headers as `u32` count + name/value string pairs):
//! - [`configure`]: the config's strings in a fixed order, its numbers as arguments (see there).
//! - [`command`]: per [`Command`], the strings and headers it takes.
//! - [`input`] / [`command`] batches: `u32` length + record, each record `kind: u8` + fields (see
//!   `stomp_wasm::client::records`; frames as one text + body), then `f64` deadline, `u32` error,
//!   `u32` status.
//!
//! Only wasm32 has the exports (and the dependency); natively the crate is empty.
#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
mod core_abi;
#[cfg(target_arch = "wasm32")]
pub use core_abi::*;
