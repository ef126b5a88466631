//! The session's output as records, written when things happen: the layout the browser core
//! (`pkg-core`) hands to JavaScript in one batch, so the size-first build needs no `Event` or
//! `Action` values and no second pass to turn them into bytes. The native API
//! ([`Session::poll_event`](super::Session::poll_event), [`Session::poll_action`](super::Session::poll_action))
//! reads the same records back ([`Event::from_record`](super::Event), [`Action::from_record`](super::Action)).
//!
//! A record is a `u32` length, then a kind ([`Out`]) and its fields: `u32` little-endian
//! numbers, `u8` flags, byte strings as a `u32` length and the bytes.

use crate::prelude::*;

use crate::codec::push_byte;

pub use crate::record::{put_bytes, put_u32, record_end, record_start, Reader};

/// The kinds of record, first byte of each.
#[repr(u8)]
pub enum Out {
    RunBeforeConnect = 1,
    /// url, `u32` count + protocols; in the browser build an empty url alone (`client.js`
    /// writes the subprotocols of the versions it configured).
    Open = 2,
    /// `u8` binary, bytes.
    Send = 3,
    /// `u8` discard.
    Close = 4,
    /// `u8` state.
    State = 16,
    /// Frame events: `u8` which ([`Frame`]), then the frame as [`Received`](super::Received)
    /// records it (the subscription or id first).
    Frame = 17,
    /// `u32` code, reason.
    TransportClosed = 18,
    /// `u8` which ([`Text`]), text.
    Text = 19,
    /// `u8` which ([`Signal`]), then its fields.
    Signal = 20,
}

/// Which frame event a [`Out::Frame`] record is.
#[repr(u8)]
pub enum Frame {
    Connected = 0,
    Message = 1,
    UnhandledMessage = 2,
    Receipt = 3,
    UnhandledReceipt = 4,
    UnhandledFrame = 5,
    StompError = 6,
    SubscriptionFailed = 7,
    Disconnected = 8,
}

/// Which text an [`Out::Text`] record carries (JavaScript shows each through `debug`).
#[repr(u8)]
pub enum Text {
    Debug = 0,
    TransportError = 1,
    /// [`DecodeError::write_parts`](crate::DecodeError::write_parts): with `std` the message
    /// with the line it quotes after a NUL, unquoted; in the browser build the error's kind as a
    /// letter and its line, number or character, of which the page writes the message.
    DecodeError = 2,
    // In the browser build 3 and on are the session's debug lines, each its arguments
    // (`debug_line`: the page writes the words).
}

/// Which signal an [`Out::Signal`] record is.
#[repr(u8)]
pub enum Signal {
    HeartbeatReceived = 0,
    HeartbeatLost = 1,
    /// `u32` attempts.
    ReconnectGaveUp = 2,
    /// `f64` after (ms), `u32` attempt.
    ReconnectScheduled = 3,
}

/// Records written and not yet read.
#[derive(Debug, Default)]
pub(crate) struct Records {
    buf: Vec<u8>,
    read: usize,
}

impl Records {
    /// Starts a record of `kind` and returns where it starts, for [`end`](Self::end); its
    /// fields go into [`buf`](Self::buf) in between.
    pub(crate) fn begin(&mut self, kind: Out) -> usize {
        record_start(&mut self.buf, kind as u8)
    }

    pub(crate) fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Writes the length of the record [`begin`](Self::begin) started at `at`. Not inlined:
    /// a call is smaller than the checked length write at each of the record writers.
    #[inline(never)]
    pub(crate) fn end(&mut self, at: usize) {
        record_end(&mut self.buf, at);
    }

    /// A record of a kind and one byte.
    pub(crate) fn push(&mut self, kind: Out, byte: u8) {
        let at = self.begin(kind);
        push_byte(&mut self.buf, byte);
        self.end(at);
    }

    /// The next unread record (its kind first), if any.
    pub(crate) fn next(&mut self) -> Option<&[u8]> {
        let len = Reader(self.buf.get(self.read..).unwrap_or_default()).u32() as usize;
        let start = self.read + 4;
        if len == 0 || start + len > self.buf.len() {
            // Everything was read: start over rather than grow.
            self.buf.clear();
            self.read = 0;
            return None;
        }
        self.read = start + len;
        self.buf.get(start..start + len)
    }

    /// Moves every unread record to the end of `out`: into an empty `out` by exchanging the
    /// buffers (no copy; `out`'s capacity is used for the next records).
    /// Where the unread records start. Only the native API reads records one by one
    /// ([`next`](Self::next)); the browser core takes them all at once, so there it is 0.
    fn read_so_far(&self) -> usize {
        if cfg!(feature = "std") {
            self.read
        } else {
            0
        }
    }

    pub(crate) fn take_into(&mut self, out: &mut Vec<u8>) {
        let read = self.read_so_far();
        if out.is_empty() && read == 0 {
            core::mem::swap(&mut self.buf, out);
        } else {
            out.extend_from_slice(self.buf.get(read..).unwrap_or_default());
        }
        self.buf.clear();
        // Only `next` moves it, which the browser core never calls.
        if cfg!(feature = "std") {
            self.read = 0;
        }
    }

    /// Drops the unread records of `kind`. The native API's only: the browser core never has
    /// unread records for it to drop (see `Session::connection_gone`).
    #[cfg(feature = "std")]
    pub(crate) fn drop_kind(&mut self, kind: Out) {
        let kind = kind as u8;
        let read = self.read_so_far();
        let (mut from, mut to) = (read, read);
        while let Some(len) = self.buf.get(from..from + 4).map(|l| {
            let mut n = [0; 4];
            n.copy_from_slice(l);
            u32::from_le_bytes(n) as usize
        }) {
            let end = (from + 4 + len).min(self.buf.len());
            if self.buf.get(from + 4) != Some(&kind) {
                crate::codec::move_within(&mut self.buf, from..end, to);
                to += end - from;
            }
            from = end;
        }
        self.buf.truncate(to);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(r: &mut Records, kind: Out, byte: u8) {
        r.push(kind, byte);
    }

    #[test]
    fn records_read_back_in_order_then_start_over() {
        let mut r = Records::default();
        record(&mut r, Out::State, 0);
        let at = r.begin(Out::Send);
        r.buf().push(1);
        put_bytes(r.buf(), b"SEND\n\n\0");
        r.end(at);
        assert_eq!(r.next(), Some(&[Out::State as u8, 0][..]));
        let send = r.next().map(<[u8]>::to_vec).unwrap();
        let mut reader = Reader(&send);
        assert_eq!((reader.u8(), reader.u8()), (Out::Send as u8, 1));
        assert_eq!(reader.bytes(), b"SEND\n\n\0");
        assert_eq!(r.next(), None);
        assert!(r.buf().is_empty(), "emptied once everything was read");
    }

    #[test]
    fn take_into_moves_into_an_empty_batch_and_appends_to_a_started_one() {
        let mut r = Records::default();
        record(&mut r, Out::Close, 1);
        let mut out = Vec::new();
        r.take_into(&mut out);
        assert_eq!(out, [2, 0, 0, 0, Out::Close as u8, 1]);
        assert!(r.buf().is_empty());

        // Half read (the native API), then taken: only what was not read, after what is there.
        record(&mut r, Out::State, 0);
        record(&mut r, Out::State, 2);
        assert_eq!(r.next(), Some(&[Out::State as u8, 0][..]));
        r.take_into(&mut out);
        assert_eq!(
            out,
            [
                2,
                0,
                0,
                0,
                Out::Close as u8,
                1,
                2,
                0,
                0,
                0,
                Out::State as u8,
                2
            ]
        );
        assert_eq!(r.next(), None);
    }

    #[test]
    fn drop_kind_removes_only_that_kind_and_keeps_the_order() {
        let mut r = Records::default();
        record(&mut r, Out::Send, 1);
        record(&mut r, Out::Close, 0);
        record(&mut r, Out::Send, 0);
        record(&mut r, Out::State, 2);
        assert_eq!(
            r.next(),
            Some(&[Out::Send as u8, 1][..]),
            "read before the drop"
        );
        r.drop_kind(Out::Send);
        assert_eq!(r.next(), Some(&[Out::Close as u8, 0][..]));
        assert_eq!(r.next(), Some(&[Out::State as u8, 2][..]));
        assert_eq!(r.next(), None);
    }
}
