//! The size-first browser core of stomp-wasm (issue 14, step 6 of docs/CLIENT-SIZE-PLAN.md):
//! the client [`Session`] behind a narrow C-ABI interface for the JavaScript API in
//! `pkg-template/`, with no wasm-bindgen, no std and no `core::fmt`.
//!
//! The interface is numbers and byte ranges in linear memory. JavaScript writes a request into
//! the buffer [`buf`] returns and calls an entry point with its length; after every input it
//! drains [`poll`], which writes one record at a time into the buffer [`out`] points at, then
//! re-arms one timer at [`deadline`]. The session keeps every protocol decision; JavaScript only
//! moves bytes, owns the socket and the timer, and calls the user's callbacks.
//!
//! Records (all integers little-endian `u32`, strings and byte strings as `u32` length + bytes,
//! headers as `u32` count + name/value string pairs):
//! - [`configure`]: a sequence of `key: u8` + value (see [`Key`]), so JS sends only what it set.
//! - [`command`]: per [`Command`], the strings and headers it takes.
//! - [`poll`]: `kind: u8` + fields, see [`Out`].
//!
//! Only wasm32 has the exports (and the dependency); natively the crate is empty.
#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
mod core_abi;
#[cfg(target_arch = "wasm32")]
pub use core_abi::*;
