//! The frame encoder.
//!
//! Header text is written with the escaping of the encoder's version (see
//! [`escape::escape_into`]). What a version cannot carry is made harmless rather than refused:
//! without escaping (1.0, and CONNECT, STOMP and CONNECTED frames in every version) a line feed
//! in a header becomes a space and a colon in a header name is dropped. Everything else,
//! including any CR, round-trips through [`Decoder`](super::Decoder).

use crate::prelude::*;
use bytes::{BufMut, Bytes, BytesMut};

use super::decimal::decimal;
use super::escape;
use crate::frame::{Command, Frame, Version};

/// What frames are encoded into: the server's `BytesMut`, the client's send buffer `Vec<u8>`.
pub trait Sink: BufMut {
    /// Room for `additional` more bytes, grown once instead of once per piece.
    fn reserve_for(&mut self, additional: usize);

    /// `put_u8`, which a `Vec<u8>` does with [`push_byte`](super::push_byte).
    fn put_byte(&mut self, b: u8) {
        self.put_u8(b);
    }

    /// The sink itself when it is a `Vec<u8>`: a header line that needs escaping is escaped
    /// straight into it, not into a buffer of its own first.
    fn as_vec(&mut self) -> Option<&mut Vec<u8>> {
        None
    }
}

impl Sink for BytesMut {
    fn reserve_for(&mut self, additional: usize) {
        self.reserve(additional);
    }
}

impl Sink for Vec<u8> {
    fn reserve_for(&mut self, additional: usize) {
        self.reserve(additional);
    }

    fn put_byte(&mut self, b: u8) {
        super::push_byte(self, b);
    }

    fn as_vec(&mut self) -> Option<&mut Vec<u8>> {
        Some(self)
    }
}

/// Writes frames with the escaping of one protocol version.
///
/// `content-length` is written when the encoder is built to (the default, which is what brokers
/// and stompjs do), and always when the body holds a NUL byte, since the frame could not be
/// parsed without it. A `content-length` header already on the frame is replaced by the true
/// length: the encoder never writes one that lies.
#[derive(Debug, Clone, Copy)]
pub struct Encoder {
    version: Version,
    content_length: bool,
}

impl Default for Encoder {
    fn default() -> Encoder {
        Encoder::new(Version::V1_2)
    }
}

impl Encoder {
    pub fn new(version: Version) -> Encoder {
        Encoder {
            version,
            content_length: true,
        }
    }

    /// Whether to add `content-length` to bodies without NUL bytes (stompjs's
    /// `skipContentLengthHeader` turns it off).
    pub fn with_content_length(mut self, on: bool) -> Encoder {
        self.content_length = on;
        self
    }

    pub fn set_version(&mut self, version: Version) {
        self.version = version;
    }

    pub fn version(&self) -> Version {
        self.version
    }

    /// Appends one encoded frame to `out`.
    pub fn encode(&self, frame: &Frame, out: &mut BytesMut) {
        self.encode_parts(frame.command, frame.headers.iter(), &frame.body, out);
    }

    /// Appends one frame given by its parts: what the client sends, written straight into its
    /// send buffer (a `Vec<u8>`) without a [`Frame`] built per publish.
    pub fn encode_parts<'a, B: Sink>(
        &self,
        command: Command,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        body: &[u8],
        out: &mut B,
    ) {
        self.encode_head(command, headers, out);
        self.encode_tail_into(core::iter::empty(), body, out);
    }

    /// One header line of a `command` frame written piece by piece (the client writes its own
    /// headers, then the user's, without collecting them into one iterator first), escaped as
    /// [`encode_head`](Self::encode_head) would. `content-length` is skipped: the end writes it.
    // Not inlined: the client writes headers from three loops, and one body they all call is
    // smaller in the browser core than three inlined copies (a header per call is not the hot
    // path: the receive path is).
    #[inline(never)]
    pub fn encode_header<B: Sink>(&self, command: Command, name: &str, value: &str, out: &mut B) {
        if name != "content-length" {
            self.header(name, value, escape::applies(self.version, command), out);
        }
    }

    /// The end of a frame whose command line and headers are written: `content-length`, the
    /// blank line, the body and the NUL.
    pub fn encode_end<B: Sink>(&self, body: &[u8], out: &mut B) {
        self.encode_tail_into(core::iter::empty(), body, out);
    }

    /// One encoded frame as shareable bytes.
    pub fn encode_to_bytes(&self, frame: &Frame) -> Bytes {
        let mut out = BytesMut::with_capacity(estimate(frame));
        self.encode(frame, &mut out);
        out.freeze()
    }

    /// The command line and the given headers: the part of a frame that differs per receiver (a
    /// MESSAGE's `subscription`, `message-id`, `ack`). `content-length` headers are skipped: the
    /// tail writes the true one.
    pub fn encode_head<'a, B: Sink>(
        &self,
        command: Command,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        out: &mut B,
    ) {
        out.put_slice(command.as_str().as_bytes());
        out.put_byte(b'\n');
        let escaping = escape::applies(self.version, command);
        for (name, value) in headers {
            if name == "content-length" {
                continue;
            }
            self.header(name, value, escaping, out);
        }
    }

    /// The remaining headers, `content-length`, the blank line, the body and the NUL, as bytes
    /// shared by every receiver of a fan-out: a receiver's frame is its head followed by this.
    /// Only for commands whose headers are escaped (MESSAGE, SEND, …).
    pub fn encode_tail<'a>(
        &self,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        body: &[u8],
    ) -> Bytes {
        let mut out = BytesMut::with_capacity(body.len() + 128);
        self.encode_tail_into(headers, body, &mut out);
        out.freeze()
    }

    fn encode_tail_into<'a, B: Sink>(
        &self,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        body: &[u8],
        out: &mut B,
    ) {
        let escaping = self.version >= Version::V1_1;
        for (name, value) in headers {
            if name == "content-length" {
                continue;
            }
            self.header(name, value, escaping, out);
        }
        if self.content_length || super::word::find(0, body).is_some() {
            out.put_slice(b"content-length:");
            let mut digits = [0; 20];
            out.put_slice(decimal(body.len() as u64, &mut digits).as_bytes());
            out.put_byte(b'\n');
        }
        out.put_byte(b'\n');
        out.put_slice(body);
        out.put_byte(0);
    }

    /// A heart-beat: one EOL.
    pub fn encode_heartbeat(out: &mut BytesMut) {
        out.put_byte(b'\n');
    }

    fn header<B: Sink>(&self, name: &str, value: &str, escaping: bool, out: &mut B) {
        let (name, value) = (name.as_bytes(), value.as_bytes());
        // The server's fast path for the common line with nothing to escape. The browser core
        // writes every line with `escaped_line` (`escape_into` copies such text whole): the
        // client sends a few short headers per frame, and a second path weighed more.
        #[cfg(feature = "std")]
        if !escape::needs_escape(name) && !escape::needs_escape(value) {
            out.reserve_for(name.len() + value.len() + 2);
            out.put_slice(name);
            out.put_byte(b':');
            out.put_slice(value);
            out.put_byte(b'\n');
            return;
        }
        if let Some(out) = out.as_vec() {
            self.escaped_line(name, value, escaping, out);
            return;
        }
        let mut buf = Vec::with_capacity(name.len() + value.len() + 8);
        self.escaped_line(name, value, escaping, &mut buf);
        out.put_slice(&buf);
    }

    /// A header line escaped for this version, EOL included, appended to `out`.
    fn escaped_line(&self, name: &[u8], value: &[u8], escaping: bool, out: &mut Vec<u8>) {
        // Unescaped, a colon in a name would move the split point: it is dropped.
        let drop = if escaping { 0 } else { b':' };
        escape::escape_into(name, escaping, self.version, drop, out);
        super::push_byte(out, b':');
        escape::escape_into(value, escaping, self.version, 0, out);
        // The line's last byte is the value's or the colon.
        if out.last() == Some(&b'\r') {
            // A CR written as is (1.1, or no escaping) that ends the line would be read as part
            // of the EOL: a `\r\n` EOL keeps it, since the decoder strips exactly one CR.
            super::push_byte(out, b'\r');
        }
        super::push_byte(out, b'\n');
    }
}

fn estimate(frame: &Frame) -> usize {
    let headers: usize = frame
        .headers
        .iter()
        .map(|(n, v)| n.len() + v.len() + 2)
        .sum();
    frame.command.as_str().len() + headers + frame.body.len() + 32
}
