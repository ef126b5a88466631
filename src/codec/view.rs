//! The incremental frame decoder the client uses: frames as views over its receive buffer.
//!
//! The same [`Scanner`] as the server's [`Decoder`](super::Decoder) checks the bytes (one
//! grammar, the same limits and errors); instead of cutting a `Bytes` frame with a `Headers`
//! table out of them, [`ViewDecoder::decode`] hands out a [`FrameView`]: the frame's bytes where
//! they lie in one `Vec<u8>` plus the scanner's spans (name and value of each header, read where
//! the scanner left them), with escaped headers decoded in place. Nothing is allocated per frame, and the client copies a
//! frame once, into the record its shell reads.

use crate::prelude::*;
use core::ops::Range;

use super::escape;
use super::limits::{DecodeError, Limits};
use super::scanner::{Check, HeaderSpan, Scanner};
use crate::frame::{Command, Version};

/// What [`ViewDecoder::decode`] found at the front of its buffer.
#[derive(Debug)]
pub enum Viewed<'a> {
    Frame(FrameView<'a>),
    /// One EOL (`\n` or `\r\n`) between frames.
    Heartbeat,
}

/// A decoded frame, borrowed from the decoder's buffer until the next `feed` or `decode`.
#[derive(Debug, Clone, Copy)]
pub struct FrameView<'a> {
    pub command: Command,
    /// The frame's bytes from its command line to the end of its body (headers unescaped).
    bytes: &'a [u8],
    /// Per header, in wire order: where its name and value lie in `bytes` (the scanner's
    /// spans, shortened where unescaping shortened the text).
    spans: &'a [HeaderSpan],
    body_start: usize,
}

impl<'a> FrameView<'a> {
    /// The headers in wire order, repeats included.
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, &'a str)> + Clone {
        let bytes = self.bytes;
        self.spans
            .iter()
            .map(move |s| (text(bytes, s.name.clone()), text(bytes, s.value.clone())))
    }

    /// Hands every header's name, then value, in wire order to `f` as bytes: what a received
    /// frame's record copies. A plain loop over the spans: an iterator of the parts
    /// (`flat_map` of each header's two) compiled to a state machine, 104 B gzip more in the
    /// browser core, and [`headers`](Self::headers)' pairs are checked text.
    pub(crate) fn for_each_header_part(&self, mut f: impl FnMut(&'a [u8])) {
        for span in self.spans {
            f(self.bytes.get(span.name.clone()).unwrap_or_default());
            f(self.bytes.get(span.value.clone()).unwrap_or_default());
        }
    }

    /// The first header named `name`.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        // Names compared as bytes where they lie, the value cut out for the match only.
        let bytes = self.bytes;
        let span = self
            .spans
            .iter()
            .find(|s| text(bytes, s.name.clone()) == name)?;
        Some(text(bytes, span.value.clone()))
    }

    /// Not inlined: one copy of the checked slice for its callers (-9 B gz in the browser core).
    #[inline(never)]
    pub fn body(&self) -> &'a [u8] {
        self.bytes.get(self.body_start..).unwrap_or_default()
    }
}

/// Header text at `range` of a frame's bytes.
fn text(bytes: &[u8], range: Range<usize>) -> &str {
    let part = bytes.get(range).unwrap_or_default();
    // SAFETY: the ranges are the scanner's header spans (UTF-8: the line is ASCII or was
    // validated, split at its ends or at an ASCII colon) or those spans shortened by unescaping
    // in place, which replaces ASCII sequences with ASCII bytes and so keeps the text UTF-8.
    unsafe { core::str::from_utf8_unchecked(part) }
}

/// Incremental STOMP decoder giving [`FrameView`]s: the grammar of [`Decoder`](super::Decoder)
/// (see there for what is accepted and why), over one `Vec<u8>`.
#[derive(Debug)]
pub struct ViewDecoder {
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already decoded: dropped at the next `feed`, so a view stays
    /// valid until then.
    start: usize,
    scanner: Scanner,
    version: Version,
}

impl Default for ViewDecoder {
    fn default() -> ViewDecoder {
        ViewDecoder::new(Limits::default())
    }
}

impl ViewDecoder {
    /// A decoder for STOMP 1.2 framing until told otherwise with [`set_version`](Self::set_version).
    pub fn new(limits: Limits) -> ViewDecoder {
        ViewDecoder {
            buf: Vec::new(),
            start: 0,
            scanner: Scanner::new(limits),
            version: Version::V1_2,
        }
    }

    /// The version whose header escaping applies to frames decoded from now on (set once
    /// CONNECTED arrives; that frame is not escaped).
    pub fn set_version(&mut self, version: Version) {
        self.version = version;
    }

    /// Appends bytes to the buffer. Nothing is decoded until [`decode`](Self::decode) is called.
    pub fn feed(&mut self, data: &[u8]) {
        if self.start > 0 {
            // What is left moved to the front by hand: `Vec::drain` brings its `Drain` type and
            // drop guard to the Wasm build, `copy_within` a panic path.
            let len = self.buf.len();
            super::move_within(&mut self.buf, self.start.min(len)..len, 0);
            self.buf.truncate(len - self.start.min(len));
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Bytes buffered and not yet returned as frames.
    pub fn buffered(&self) -> usize {
        self.buf.len().saturating_sub(self.start)
    }

    /// Starts over for a new connection, as [`new`](Self::new) would with these limits: nothing
    /// buffered, STOMP 1.2 framing. The buffers keep their capacity.
    pub fn restart(&mut self, limits: Limits) {
        self.reset();
        // The browser build's scanner holds no limits: it checks the defaults (see
        // `Scanner::check`).
        #[cfg(feature = "std")]
        {
            self.scanner.limits = limits;
        }
        #[cfg(not(feature = "std"))]
        let _ = limits;
        self.version = Version::V1_2;
    }

    /// Drops everything buffered (e.g. when a connection is replaced). Version and limits stay.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.start = 0;
        self.scanner.reset();
    }

    /// The next frame or heart-beat, `Ok(None)` when more bytes are needed. On error the decoder
    /// [resets](Self::reset), as [`Decoder::decode`](super::Decoder::decode) does; not in the
    /// browser build, whose one user, the session, closes the transport at a decode error, reads
    /// nothing more from it and [restarts](Self::restart) the decoder for the next one.
    pub fn decode(&mut self) -> Result<Option<Viewed<'_>>, DecodeError> {
        // The last frame's spans, which its view borrowed, are cleared by the scanner as the
        // next frame's check begins (there is no table of offsets to copy them into).
        let checked = loop {
            match self
                .scanner
                .check(self.buf.get(self.start..).unwrap_or_default())
            {
                Ok(Some(Check::EmptyFrames(len))) => self.start += len,
                other => break other,
            }
        };
        let found = match checked {
            Ok(Some(Check::Heartbeat(len))) => {
                self.start += len;
                return Ok(Some(Viewed::Heartbeat));
            }
            Ok(Some(Check::Frame { body_end })) => self.unescape(body_end),
            Ok(None | Some(Check::EmptyFrames(_))) => return Ok(None),
            Err(e) => Err(e),
        };
        match found {
            Ok((command, frame, body_start)) => Ok(Some(Viewed::Frame(FrameView {
                command,
                bytes: self.buf.get(frame).unwrap_or_default(),
                spans: &self.scanner.spans,
                body_start,
            }))),
            Err(e) => {
                if cfg!(feature = "std") {
                    self.reset();
                }
                Err(e)
            }
        }
    }

    /// Decodes the checked frame's escaped headers in place (shortening their spans) and marks
    /// the frame decoded. Returns its command, where it lies in `buf` and where its body starts.
    fn unescape(&mut self, body_end: usize) -> Result<(Command, Range<usize>, usize), DecodeError> {
        let (command, body_start) = self.scanner.finish(body_end);
        let frame = self.start..self.start + body_end;
        self.start = frame.end + 1;
        let unescape = escape::applies(self.version, command);
        let bytes = self.buf.get_mut(frame.clone()).unwrap_or_default();
        // The spans stay for the view, and are cleared by the next frame's check (or by the
        // reset that follows an error), not drained: no `Drain` type in the Wasm build.
        for span in &mut self.scanner.spans {
            if unescape && span.has_backslash {
                unescape_part(bytes, &mut span.name, self.version)?;
                unescape_part(bytes, &mut span.value, self.version)?;
            }
        }
        Ok((command, frame, body_start))
    }
}

/// Decodes the escapes of the header text at `part` of a frame's bytes in place and shortens
/// `part` to the decoded text. Called once per part: a loop over an array of the two parts
/// cost the browser core an array iterator (40 B gzip).
fn unescape_part(
    bytes: &mut [u8],
    part: &mut Range<usize>,
    version: Version,
) -> Result<(), DecodeError> {
    let text = bytes.get_mut(part.clone()).unwrap_or_default();
    part.end = part.start + escape::unescape_in_place(text, version)?;
    Ok(())
}
