//! [`Received`]: a frame the session received, as the record its shell hands on.
//!
//! The session decides on the decoder's [`FrameView`] (which subscription, which receipt, which
//! error) and writes the frame once, into the layout the browser core's batch carries (see
//! `pkg-core`): `u8` 1 if the body is UTF-8, `u32` byte length and `u32` UTF-16 length of a text
//! holding a name (the subscription, or the failed subscription's id), the command and every
//! header name and value, each ended by NUL (which no decoded header holds), then the body. JS
//! decodes the text and a UTF-8 body with one `TextDecoder` call and cuts it at the UTF-16
//! length. The accessors are for the native API (the session's tests).

use crate::prelude::*;

use crate::codec::{push_byte, utf8, FrameView};
use crate::frame::Command;

/// Bytes before the text: the UTF-8 flag and the two lengths.
const HEAD: usize = 9;

#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub command: Command,
    record: Vec<u8>,
}

impl Received {
    /// Appends the record of `frame` to `record`. A body a SockJS peer sent as base64 is
    /// handed on as it came: the page decodes it with the browser's `atob` (docs/SOCKJS.md),
    /// which costs it less than a decoder in the module would.
    pub(super) fn write(record: &mut Vec<u8>, name: &str, frame: &FrameView) {
        let body = frame.body();
        let start = record.len();
        record.reserve(HEAD + 64 + body.len());
        push_byte(record, u8::from(utf8::valid(body)));
        record.extend_from_slice(&[0; 8]);
        let mut put = |part: &[u8]| {
            record.extend_from_slice(part);
            push_byte(record, 0);
        };
        put(name.as_bytes());
        put(frame.command.as_str().as_bytes());
        frame.for_each_header_part(put);
        let text = record.get(start + HEAD..).unwrap_or_default();
        // UTF-16 units: one per char, two for a 4-byte sequence (a surrogate pair).
        let mut units = 0;
        for &b in text {
            units += usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0);
        }
        let len = text.len() as u32;
        if let Some(slot) = record.get_mut(start + 1..start + HEAD) {
            slot[..4].copy_from_slice(&len.to_le_bytes());
            slot[4..].copy_from_slice(&(units as u32).to_le_bytes());
        }
        record.extend_from_slice(body);
    }

    /// The frame a record [`write`](Self::write) wrote.
    pub(super) fn from_record(record: &[u8]) -> Option<Received> {
        let mut received = Received {
            command: Command::Connect,
            record: record.to_vec(),
        };
        let command = Command::from_bytes(received.parts().nth(1)?.as_bytes());
        received.command = command?;
        Some(received)
    }

    /// The record, as described in the [module docs](self).
    pub fn record(&self) -> &[u8] {
        &self.record
    }

    fn text_len(&self) -> usize {
        let mut len = [0; 4];
        if let Some(bytes) = self.record.get(1..5) {
            len.copy_from_slice(bytes);
        }
        u32::from_le_bytes(len) as usize
    }

    /// Name, command, then header names and values.
    fn parts(&self) -> impl Iterator<Item = &str> {
        let text = self
            .record
            .get(HEAD..HEAD + self.text_len())
            .unwrap_or_default();
        let text = utf8::str(text).unwrap_or_default();
        text.strip_suffix('\0').unwrap_or(text).split('\0')
    }

    /// The subscription a MESSAGE is for, the id of a failed subscription; empty otherwise.
    pub fn name(&self) -> &str {
        self.parts().next().unwrap_or_default()
    }

    /// The headers in wire order, repeats included.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> + Clone {
        let mut parts = self.parts().skip(2);
        let mut pairs = Vec::new();
        while let (Some(name), Some(value)) = (parts.next(), parts.next()) {
            pairs.push((name, value));
        }
        pairs.into_iter()
    }

    /// The first header named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers().find(|&(n, _)| n == name).map(|(_, v)| v)
    }

    pub fn body(&self) -> &[u8] {
        self.record
            .get(HEAD + self.text_len()..)
            .unwrap_or_default()
    }

    /// The body as text, if it is UTF-8.
    pub fn body_str(&self) -> Option<&str> {
        utf8::str(self.body())
    }
}
