//! What std's prelude gives and `#![no_std]` does not: the core modules import this, so they
//! build the same with and without the `std` feature.

pub(crate) use alloc::borrow::ToOwned;
pub(crate) use alloc::string::String;
pub(crate) use alloc::vec::Vec;
