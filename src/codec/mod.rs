//! The STOMP frame codec: bytes in, [`Frame`](crate::frame::Frame)s out, and back.
//!
//! - [`Decoder`]: incremental. Feed it chunks split anywhere; it yields whole frames and the
//!   heart-beat EOLs found between them. Limits are checked while bytes arrive, so an oversized
//!   frame is refused before it is buffered whole, and the same bytes give the same frames and
//!   the same error however they were chunked. After an error it starts afresh. Call
//!   [`Decoder::decode`] until it returns `Ok(None)` after every [`Decoder::feed`]: that is what
//!   keeps its buffer bounded by the frame size limit plus one chunk.
//! - [`ViewDecoder`]: the same grammar (one scanner shared by both), giving the
//!   client [`FrameView`]s, offsets into its receive buffer, instead of `Bytes` frames.
//! - [`Encoder`]: writes frames into a caller's reusable buffer, with the header escaping of the
//!   negotiated version; [`Encoder::encode_head`] + [`Encoder::encode_tail`] split a MESSAGE so a
//!   fan-out shares one encoded body among all subscribers.
//! - [`escape`]: the header escaping rules per version.
//!
//! This is the only STOMP parser in the repository: the browser client and the server both use it.

mod decimal;
mod decoder;
mod encoder;
pub mod escape;
mod limits;
pub(crate) mod message;
mod scanner;
pub mod utf8;
mod view;
mod word;

pub use decimal::{decimal, parse_decimal, push_decimal};
pub use decoder::{Decoded, Decoder};
pub use encoder::{Encoder, Sink};
pub use limits::{DecodeError, Limits};
pub(crate) use message::push_escaped;
pub use view::{FrameView, ViewDecoder, Viewed};

use crate::prelude::*;
use core::ops::Range;

/// `out.push(b)`. Without `std` (the browser core) one copy for every caller, over `reserve`,
/// which other `Vec` calls share: `Vec<u8>::push` carries its own copy of the growth path
/// (256 B of code).
#[cfg(not(feature = "std"))]
#[inline(never)]
pub fn push_byte(out: &mut Vec<u8>, b: u8) {
    out.reserve(1);
    // SAFETY: `reserve` made room for at least one more byte.
    unsafe {
        out.as_mut_ptr().add(out.len()).write(b);
        out.set_len(out.len() + 1);
    }
}

/// `out.push(b)` (see the browser build's version).
#[cfg(feature = "std")]
#[inline]
pub fn push_byte(out: &mut Vec<u8>, b: u8) {
    out.push(b);
}

/// `String::from(s)` through `push_str`: in the browser core `String::from` and `to_owned`
/// bring a copy of the allocation of their own, `push_str` is there anyway.
pub fn owned(s: &str) -> String {
    let mut owned = String::new();
    owned.push_str(s);
    owned
}

/// `buf[src]` copied to `buf[dest..]` (the ranges may overlap), as `copy_within` does, and
/// nothing when a range does not lie in `buf`. `copy_within`'s own checks panic, and its panic
/// path (the slice index error machinery) would be the only one left in the browser core.
///
/// Without `std` (the browser core) not inlined: one copy for its five callers (-59 B gz); the
/// server's build inlines it as before.
#[cfg_attr(not(feature = "std"), inline(never))]
pub(crate) fn move_within(buf: &mut [u8], src: Range<usize>, dest: usize) {
    let Range { start, end } = src;
    if start <= end && end <= buf.len() && dest <= buf.len() - (end - start) {
        // SAFETY: `start..end` and `dest..dest + (end - start)` were just checked to lie in
        // `buf`; `ptr::copy` is a memmove, so they may overlap.
        unsafe {
            let p = buf.as_mut_ptr();
            core::ptr::copy(p.add(start), p.add(dest), end - start);
        }
    }
}
