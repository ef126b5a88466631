//! Records: the little-endian layout every size-first module (`pkg-core`, `pkg-sockjs`) writes
//! its batches in and reads its requests from. A record is a `u32` length, then a kind byte and
//! its fields: `u32` little-endian numbers, `u8` flags, byte strings as a `u32` length and the
//! bytes. The session's records are in [`client::records`](crate::client::records), the SockJS
//! connection's in [`sockjs::client`](crate::sockjs::client); this layer below both is what
//! they share, so neither depends on the other.

use crate::prelude::*;

/// A `u32`, little-endian. Not inlined: a call is smaller than the stack copy and append it
/// makes at each of its many callers.
#[inline(never)]
pub fn put_u32(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&n.to_le_bytes());
}

/// A `u32` length, then the bytes.
pub fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u32(out, b.len() as u32);
    out.extend_from_slice(b);
}

/// Starts a record of `kind` at the end of `out`; returns where it starts, for [`record_end`].
pub fn record_start(out: &mut Vec<u8>, kind: u8) -> usize {
    let at = out.len();
    put_u32(out, 0);
    crate::codec::push_byte(out, kind);
    at
}

/// Writes the length of the record [`record_start`] started at `at`.
pub fn record_end(out: &mut [u8], at: usize) {
    let len = (out.len() - at - 4) as u32;
    if let Some(slot) = out.get_mut(at..at + 4) {
        slot.copy_from_slice(&len.to_le_bytes());
    }
}

/// Reads a record's fields in order; a short record reads as zeros and empty strings.
pub struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    pub fn u8(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }

    pub fn u32(&mut self) -> u32 {
        let (n, rest) = self.0.split_first_chunk().unwrap_or((&[0; 4], &[]));
        self.0 = rest;
        u32::from_le_bytes(*n)
    }

    pub fn f64(&mut self) -> f64 {
        let mut n = [0; 8];
        for b in &mut n {
            *b = self.u8();
        }
        f64::from_le_bytes(n)
    }

    pub fn bytes(&mut self) -> &'a [u8] {
        // A length past the end takes the rest.
        let n = (self.u32() as usize).min(self.0.len());
        let (head, rest) = self.0.split_at_checked(n).unwrap_or_default();
        self.0 = rest;
        head
    }

    pub fn str(&mut self) -> &'a str {
        crate::codec::utf8::str(self.bytes()).unwrap_or_default()
    }
}
