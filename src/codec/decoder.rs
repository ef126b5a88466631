//! The incremental frame decoder the server uses: `Bytes` frames.
//!
//! Decoding is in two steps, as in mini-redis: a *check* (the shared [`Scanner`]) walks the
//! buffered bytes and records where the command, each header and the body lie (or says the
//! frame is still incomplete, which is not an error), then a *parse* cuts the frame out of the
//! buffer as one `Bytes` and slices every header and the body from it without copying.

use crate::prelude::*;
use core::ops::Range;

use bytes::{Buf, Bytes, BytesMut};

use super::escape;
use super::limits::{DecodeError, Limits};
use super::scanner::{Check, HeaderSpan, Scanner};
use crate::frame::{known_name, ByteStr, Frame, Headers, Part, Version};

/// What the decoder found at the front of its buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Frame(Frame),
    /// One EOL (`\n` or `\r\n`) between frames.
    Heartbeat,
}

/// Incremental STOMP decoder: feed it bytes as they arrive, take out frames and heart-beats.
///
/// What the decoder accepts, and why:
///
/// - Any number of EOLs (`\n` or `\r\n`) before a frame's command: heart-beats, each reported
///   as [`Decoded::Heartbeat`].
/// - A NUL where a command would start (an empty frame, `\n\0SEND…`): skipped without a word,
///   as RabbitMQ and stompjs do. Anywhere else in the command line or the headers a NUL is an
///   error ([`DecodeError::NulInHeader`]).
/// - Lines ending in `\n` or `\r\n`, in every version (1.2 made `\r\n` official; peers speaking
///   1.0 and 1.1 send it too). Exactly one `\r` before the `\n` is dropped.
/// - A body of exactly `content-length` bytes (the first such header wins) that must be followed
///   by a NUL; without `content-length` the body ends at the first NUL.
/// - Header lines are split at their first colon. Header text must be UTF-8; bodies are any bytes.
/// - Header escapes (1.1: `\\` `\n` `\c`; 1.2 adds `\r`) are decoded except in CONNECT, STOMP and
///   CONNECTED frames and in 1.0; any other escape is an error, as the specification requires.
/// - Repeated headers are all kept, in wire order ([`Headers::get`] returns the first).
/// - Whether a command may have a body is not checked here: that is the session's business.
#[derive(Debug)]
pub struct Decoder {
    buf: BytesMut,
    scanner: Scanner,
    version: Version,
    unescaped: Vec<u8>,
}

impl Default for Decoder {
    fn default() -> Decoder {
        Decoder::new(Limits::default())
    }
}

impl Decoder {
    /// A decoder for STOMP 1.2 framing until told otherwise with [`set_version`](Self::set_version).
    pub fn new(limits: Limits) -> Decoder {
        Decoder {
            buf: BytesMut::new(),
            scanner: Scanner::new(limits),
            version: Version::V1_2,
            unescaped: Vec::new(),
        }
    }

    /// The version whose header escaping applies to frames decoded from now on. A server sets it
    /// once CONNECT is negotiated, a client once CONNECTED arrives (neither frame is escaped).
    pub fn set_version(&mut self, version: Version) {
        self.version = version;
    }

    pub fn version(&self) -> Version {
        self.version
    }

    /// The native builds' (the browser build's scanner holds no limits: it checks the defaults).
    #[cfg(feature = "std")]
    pub fn limits(&self) -> &Limits {
        &self.scanner.limits
    }

    /// Replaces the limits. The frame being read, if any, is checked against the new ones from
    /// the next [`decode`](Self::decode) on.
    #[cfg(feature = "std")]
    pub fn set_limits(&mut self, limits: Limits) {
        self.scanner.limits = limits;
    }

    /// Appends bytes to the buffer. Nothing is decoded until [`decode`](Self::decode) is called.
    pub fn feed(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Bytes buffered and not yet returned as frames.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Drops everything buffered (e.g. when a connection is replaced). Version and limits stay.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.scanner.reset();
    }

    /// The next frame or heart-beat, `Ok(None)` when more bytes are needed.
    ///
    /// On error the decoder [resets](Self::reset): the bad frame and everything buffered after
    /// it are dropped, and the next bytes fed are read as the start of a new frame.
    pub fn decode(&mut self) -> Result<Option<Decoded>, DecodeError> {
        // A loop, not a call to itself: `decode` stays inlinable and `check` has one call site.
        let checked = loop {
            match self.scanner.check(&self.buf) {
                Ok(Some(Check::EmptyFrames(len))) => self.buf.advance(len),
                other => break other,
            }
        };
        let result = match checked {
            Ok(Some(Check::Heartbeat(len))) => {
                self.buf.advance(len);
                Ok(Some(Decoded::Heartbeat))
            }
            Ok(Some(Check::Frame { body_end })) => {
                self.parse(body_end).map(Decoded::Frame).map(Some)
            }
            Ok(None | Some(Check::EmptyFrames(_))) => Ok(None),
            Err(e) => Err(e),
        };
        if result.is_err() {
            self.reset();
        }
        result
    }

    /// Cuts the checked frame out of the buffer and builds it from the recorded spans.
    fn parse(&mut self, body_end: usize) -> Result<Frame, DecodeError> {
        let (command, body_start) = self.scanner.finish(body_end);
        let mut raw: Bytes = self.buf.split_to(body_end + 1).freeze();
        let unescape = escape::applies(self.version, command);

        // The headers keep one handle on the frame and store offsets into it: one reference
        // count per frame instead of one per header.
        let shared = if self.scanner.spans.is_empty() {
            Bytes::new()
        } else {
            raw.clone()
        };
        let mut headers = Headers::decoded(shared, self.scanner.spans.len());
        let scratch = &mut self.unescaped;
        for span in self.scanner.spans.drain(..) {
            let (name, value) = if unescape && span.has_backslash {
                escaped_header(&raw, span, self.version, scratch)?
            } else {
                let name = match known_name(&raw[span.name.clone()]) {
                    // A well-known name is stored as its index in a table.
                    Some(name) => Part::Known(name),
                    None => Part::Span(span.name),
                };
                (name, Part::Span(span.value))
            };
            // SAFETY: spans are only made from the ranges `check` recorded for this frame, which
            // lie in `raw` (the frame's bytes, which `headers` was made with), are UTF-8 (the
            // whole line is ASCII or was validated by `header_span`) and split the line at its
            // ends or at an ASCII colon, i.e. on char boundaries.
            unsafe { headers.push_decoded(name, value) };
        }
        // The frame's own handle becomes the body: no extra reference count.
        raw.truncate(body_end);
        raw.advance(body_start);
        Ok(Frame {
            command,
            headers,
            body: raw,
        })
    }
}
/// A header whose line has a backslash, in a frame whose headers are escaped: the rare case,
/// kept out of the hot loop. Each part with an escape sequence gets its own buffer.
#[cold]
fn escaped_header(
    raw: &Bytes,
    span: HeaderSpan,
    version: Version,
    scratch: &mut Vec<u8>,
) -> Result<(Part, Part), DecodeError> {
    let mut text = |range: Range<usize>| -> Result<Part, DecodeError> {
        if memchr::memchr(b'\\', &raw[range.clone()]).is_some() {
            unescaped_text(&raw[range], version, scratch).map(Part::Owned)
        } else {
            Ok(Part::Span(range))
        }
    };
    Ok((text(span.name)?, text(span.value)?))
}

/// Text with escape sequences, in a buffer of its own.
fn unescaped_text(
    bytes: &[u8],
    version: Version,
    scratch: &mut Vec<u8>,
) -> Result<ByteStr, DecodeError> {
    scratch.clear();
    escape::unescape(bytes, version, scratch)?;
    // Unescaping valid UTF-8 yields valid UTF-8 (only ASCII is replaced), but check anyway: this
    // is a peer's input.
    ByteStr::from_utf8(Bytes::copy_from_slice(scratch)).map_err(|_| DecodeError::InvalidUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_are_only_exact_matches() {
        assert_eq!(
            known_name(b"destination").map(|k| k.as_str()),
            Some("destination")
        );
        assert_eq!(known_name(b"Destination"), None);
        assert_eq!(known_name(b"destination "), None);
        assert_eq!(known_name(b""), None);
    }

    /// An error quoting a line that is not UTF-8 keeps what is and marks the rest
    /// (codec/message.rs `quoted_text`).
    #[test]
    fn an_error_quotes_a_line_that_is_not_utf8() {
        let mut decoder = Decoder::new(Limits::default());
        decoder.feed(b"BAD\xff\n\n\0");
        let e = decoder.decode().err().map(|e| {
            let mut s = String::new();
            e.write_parts(&mut s);
            s
        });
        assert_eq!(e.as_deref(), Some("unknown command \0BAD\u{FFFD}"));
    }
}
