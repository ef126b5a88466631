//! The incremental frame decoder.
//!
//! Decoding is in two steps, as in mini-redis: a *check* walks the buffered bytes and records
//! where the command, each header and the body lie (or says the frame is still incomplete, which
//! is not an error), then a *parse* cuts the frame out of the buffer as one `Bytes` and slices
//! every header and the body from it without copying.
//!
//! The check remembers how far it got, so a frame arriving in many small chunks is scanned once,
//! not once per chunk.

use crate::prelude::*;
use core::ops::Range;

use bytes::{Buf, Bytes, BytesMut};

use super::escape::{self, UndefinedEscape};
use super::message::quoted_text;
use super::word;
use crate::frame::{known_name, ByteStr, Command, Frame, Headers, Part, Version};

/// Size limits, checked as bytes arrive. Every one has a typed error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Whole frame: command line, headers, body and the NUL (not the heart-beats before it).
    pub max_frame_size: usize,
    /// Headers in one frame.
    pub max_headers: usize,
    /// One command or header line, without its EOL.
    pub max_header_line: usize,
    /// The body alone.
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_frame_size: 1024 * 1024 + 64 * 1024,
            max_headers: 64,
            max_header_line: 8 * 1024,
            max_body: 1024 * 1024,
        }
    }
}

impl Limits {
    /// No limit at all: only for trusted input (tests, tools), never for a peer's bytes.
    pub const fn unlimited() -> Limits {
        Limits {
            max_frame_size: usize::MAX,
            max_headers: usize::MAX,
            max_header_line: usize::MAX,
            max_body: usize::MAX,
        }
    }
}

/// What the decoder found at the front of its buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Frame(Frame),
    /// One EOL (`\n` or `\r\n`) between frames.
    Heartbeat,
}

/// Why bytes could not be decoded. After any of these the decoder has dropped its buffer and
/// starts afresh with the next bytes fed; the caller is expected to answer with an ERROR frame
/// (the message is written for that) and close the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown command {0:?}")]
    UnknownCommand(String),
    #[error("header line without a colon: {0:?}")]
    MalformedHeader(String),
    #[error("frame has more than {limit} headers")]
    TooManyHeaders { limit: usize },
    #[error("header line longer than {limit} bytes")]
    HeaderLineTooLong { limit: usize },
    #[error("frame larger than {limit} bytes")]
    FrameTooLarge { limit: usize },
    #[error("body larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("invalid content-length {0:?}")]
    InvalidContentLength(String),
    #[error("frame body of content-length {0} is not followed by a NUL byte")]
    MissingNul(usize),
    #[error("header is not valid UTF-8")]
    InvalidUtf8,
    /// A NUL byte in the command line or a header: it ends a frame for every peer that splits
    /// frames at NULs, so passing it on would let one frame forge another.
    #[error("NUL byte in a command or header line")]
    NulInHeader,
    #[error(transparent)]
    UndefinedEscape(#[from] UndefinedEscape),
}

/// Where one header lies in the buffer (offsets from the frame's first byte).
#[derive(Debug, Clone)]
struct HeaderSpan {
    name: Range<usize>,
    value: Range<usize>,
    /// The line has a backslash: it may need unescaping.
    has_backslash: bool,
}

/// How far the check of the frame at the front of the buffer has got.
#[derive(Debug, Default)]
struct Progress {
    command: Option<Command>,
    /// Start of the next line to read, while in the header block.
    line_start: usize,
    /// How far the scan of the line at `line_start` got, so a line arriving in pieces is
    /// scanned once.
    line: LineScan,
    /// Set once the blank line ending the headers has been read.
    body_start: Option<usize>,
    content_length: Option<usize>,
    /// Where the search for the terminating NUL resumes (no content-length).
    nul_scan_from: usize,
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
    limits: Limits,
    version: Version,
    progress: Progress,
    spans: Vec<HeaderSpan>,
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
            limits,
            version: Version::V1_2,
            progress: Progress::default(),
            spans: Vec::new(),
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

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Replaces the limits. The frame being read, if any, is checked against the new ones from
    /// the next [`decode`](Self::decode) on.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
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
        self.progress = Progress::default();
        self.spans.clear();
    }

    /// The next frame or heart-beat, `Ok(None)` when more bytes are needed.
    ///
    /// On error the decoder [resets](Self::reset): the bad frame and everything buffered after
    /// it are dropped, and the next bytes fed are read as the start of a new frame.
    pub fn decode(&mut self) -> Result<Option<Decoded>, DecodeError> {
        // A loop, not a call to itself: `decode` stays inlinable and `check` has one call site.
        let checked = loop {
            match self.check() {
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

    /// Walks the buffered bytes from where the last call stopped. `Ok(None)` means incomplete.
    fn check(&mut self) -> Result<Option<Check>, DecodeError> {
        let limits = self.limits;
        let buf = &self.buf[..];
        let p = &mut self.progress;

        if p.command.is_none() && p.line_start == 0 {
            // Heart-beats: EOLs before a frame's command.
            match buf {
                [] | [b'\r'] => return Ok(None),
                [b'\n', ..] => return Ok(Some(Check::Heartbeat(1))),
                [b'\r', b'\n', ..] => return Ok(Some(Check::Heartbeat(2))),
                [0, ..] => {
                    let nuls = buf.iter().take_while(|&&b| b == 0).count();
                    return Ok(Some(Check::EmptyFrames(nuls)));
                }
                _ => {}
            }
        }

        // Command line and header block, line by line.
        while p.body_start.is_none() {
            let rest = &buf[p.line_start..];
            let nl = match p.line.scan(rest) {
                Some(LineEnd::Lf(nl)) => nl,
                end => {
                    // The line is incomplete, or cut by a NUL: the bytes before the NUL are
                    // checked first, so that the error does not depend on how they were chunked.
                    let seen = match end {
                        Some(LineEnd::Nul(at)) => at,
                        _ => rest.len(),
                    };
                    // The line so far may end in the `\r` of its EOL: allow one byte for it.
                    let line_too_long = seen > limits.max_header_line.saturating_add(1);
                    check_line_and_frame(
                        line_too_long,
                        p.line_start,
                        p.line_start + seen,
                        &limits,
                    )?;
                    return match end {
                        Some(LineEnd::Nul(_)) => Err(DecodeError::NulInHeader),
                        _ => Ok(None),
                    };
                }
            };
            let line = strip_cr(&rest[..nl]);
            let next = p.line_start + nl + 1;
            let line_too_long = line.len() > limits.max_header_line;
            check_line_and_frame(line_too_long, p.line_start, next, &limits)?;
            let scan = core::mem::take(&mut p.line);

            if p.command.is_none() {
                p.command = Some(
                    Command::from_bytes(line)
                        .ok_or_else(|| DecodeError::UnknownCommand(quoted_text(line)))?,
                );
            } else if line.is_empty() {
                p.body_start = Some(next);
                p.nul_scan_from = next;
                p.content_length = content_length(buf, &self.spans)?;
            } else {
                if self.spans.len() >= limits.max_headers {
                    return Err(DecodeError::TooManyHeaders {
                        limit: limits.max_headers,
                    });
                }
                self.spans.push(header_span(line, p.line_start, scan)?);
            }
            p.line_start = next;
        }

        // Body.
        let body_start = p.body_start.unwrap_or_default();
        match p.content_length {
            Some(len) => {
                if len > limits.max_body {
                    return Err(body_too_large(&limits));
                }
                let body_end = body_start.saturating_add(len);
                check_frame_size(body_end.saturating_add(1), &limits)?;
                match buf.get(body_end) {
                    None => Ok(None),
                    Some(0) => Ok(Some(Check::Frame { body_end })),
                    Some(_) => Err(DecodeError::MissingNul(len)),
                }
            }
            None => {
                let (body_end, complete) = match memchr::memchr(0, &buf[p.nul_scan_from..]) {
                    Some(i) => (p.nul_scan_from + i, true),
                    None => {
                        p.nul_scan_from = buf.len();
                        (buf.len(), false)
                    }
                };
                // Checked whether or not the NUL is here yet, so an oversized body is refused
                // as soon as it is seen, and one that arrived whole in a single chunk too.
                let body_too_long = body_end - body_start > limits.max_body;
                let frame_len = body_end + usize::from(complete);
                match (body_too_long, frame_len > limits.max_frame_size) {
                    (false, false) => Ok(complete.then_some(Check::Frame { body_end })),
                    (true, false) => Err(body_too_large(&limits)),
                    (false, true) => Err(frame_too_large(&limits)),
                    // The one the bytes crossed first, as in `check_line_and_frame`.
                    (true, true) => Err(first_crossed(
                        (
                            body_start.saturating_add(limits.max_body),
                            body_too_large(&limits),
                        ),
                        (limits.max_frame_size, frame_too_large(&limits)),
                    )),
                }
            }
        }
    }

    /// Cuts the checked frame out of the buffer and builds it from the recorded spans.
    fn parse(&mut self, body_end: usize) -> Result<Frame, DecodeError> {
        let progress = core::mem::take(&mut self.progress);
        let command = progress.command.unwrap_or(Command::Send);
        let body_start = progress.body_start.unwrap_or(body_end);
        let mut raw: Bytes = self.buf.split_to(body_end + 1).freeze();
        let unescape = escape::applies(self.version, command);

        // The headers keep one handle on the frame and store offsets into it: one reference
        // count per frame instead of one per header.
        let shared = if self.spans.is_empty() {
            Bytes::new()
        } else {
            raw.clone()
        };
        let mut headers = Headers::decoded(shared, self.spans.len());
        let scratch = &mut self.unescaped;
        for span in self.spans.drain(..) {
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

/// Splits one header line (without its EOL) that starts at `start` in the frame, with what the
/// scan for its LF found in it.
fn header_span(line: &[u8], start: usize, scan: LineScan) -> Result<HeaderSpan, DecodeError> {
    let colon = scan
        .colon
        .ok_or_else(|| DecodeError::MalformedHeader(quoted_text(line)))?;
    // ASCII lines (nearly all of them) skip the full UTF-8 validation.
    if scan.non_ascii {
        core::str::from_utf8(line).map_err(|_| DecodeError::InvalidUtf8)?;
    }
    Ok(HeaderSpan {
        name: start..start + colon,
        value: start + colon + 1..start + line.len(),
        has_backslash: scan.backslash,
    })
}

/// One pass over a line finds its LF and, on the way, its first colon and whether it has
/// backslashes or non-ASCII bytes: the header block is read once, a word at a time, instead of
/// once per question asked of it.
#[derive(Debug, Default, Clone, Copy)]
struct LineScan {
    /// Bytes of the line already scanned (none of them a LF).
    scanned: usize,
    /// Offset of the first colon in the line.
    colon: Option<usize>,
    backslash: bool,
    non_ascii: bool,
}

impl LineScan {
    /// Scans `line` (the line so far, from its first byte) from where the last call stopped.
    /// Returns where the line ends (its LF, or a NUL, which no line may hold), or `None` when
    /// neither has arrived yet.
    fn scan(&mut self, line: &[u8]) -> Option<LineEnd> {
        let mut i = self.scanned;
        loop {
            // Skip ordinary bytes eight at a time.
            while let Some(chunk) = line[i..].first_chunk::<8>() {
                let w = word::load(chunk);
                // LF and NUL in one comparison (the other control bytes below LF it flags are
                // ordinary bytes to the match below).
                let hits = word::below(w, b'\n' + 1)
                    | word::equal(w, b':')
                    | word::equal(w, b'\\')
                    | (w & word::HIGH);
                if hits != 0 {
                    i += word::first(hits);
                    break;
                }
                i += 8;
            }
            let Some(&byte) = line.get(i) else {
                self.scanned = i;
                return None;
            };
            match byte {
                b'\n' => {
                    self.scanned = i;
                    return Some(LineEnd::Lf(i));
                }
                0 => return Some(LineEnd::Nul(i)),
                b':' if self.colon.is_none() => self.colon = Some(i),
                b'\\' => self.backslash = true,
                0x80.. => self.non_ascii = true,
                _ => {}
            }
            i += 1;
        }
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

/// What ends a line: its LF, or a NUL (an error), at that offset in the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineEnd {
    Lf(usize),
    Nul(usize),
}

enum Check {
    /// NULs where a command would start.
    EmptyFrames(usize),
    Heartbeat(usize),
    Frame {
        body_end: usize,
    },
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn check_frame_size(len: usize, limits: &Limits) -> Result<(), DecodeError> {
    if len > limits.max_frame_size {
        Err(frame_too_large(limits))
    } else {
        Ok(())
    }
}

/// Checks the line starting at `line_start` and the frame's first `frame_len` bytes.
///
/// When both limits are exceeded, the error is for the one the bytes crossed first, as if they
/// had arrived one at a time: which error a peer gets must not depend on how its bytes were
/// split into chunks.
fn check_line_and_frame(
    line_too_long: bool,
    line_start: usize,
    frame_len: usize,
    limits: &Limits,
) -> Result<(), DecodeError> {
    let line_error = || DecodeError::HeaderLineTooLong {
        limit: limits.max_header_line,
    };
    match (line_too_long, frame_len > limits.max_frame_size) {
        (false, false) => Ok(()),
        (true, false) => Err(line_error()),
        (false, true) => Err(frame_too_large(limits)),
        // A line is known too long once `max_header_line + 2` of its bytes are in (one more
        // than allowed, not counting a CR that may be its EOL's, or the LF itself).
        (true, true) => Err(first_crossed(
            (
                line_start
                    .saturating_add(limits.max_header_line)
                    .saturating_add(1),
                line_error(),
            ),
            (limits.max_frame_size, frame_too_large(limits)),
        )),
    }
}

/// Of two limits crossed, the one crossed first: each comes with the length of the frame prefix
/// that is still within it (the error shows with the next byte). Ties go to `a`, the check that
/// runs first on a given prefix.
fn first_crossed(a: (usize, DecodeError), b: (usize, DecodeError)) -> DecodeError {
    if a.0 <= b.0 {
        a.1
    } else {
        b.1
    }
}

fn frame_too_large(limits: &Limits) -> DecodeError {
    DecodeError::FrameTooLarge {
        limit: limits.max_frame_size,
    }
}

fn body_too_large(limits: &Limits) -> DecodeError {
    DecodeError::BodyTooLarge {
        limit: limits.max_body,
    }
}

/// The first `content-length` header, parsed. Its name and value never carry escapes.
fn content_length(buf: &[u8], spans: &[HeaderSpan]) -> Result<Option<usize>, DecodeError> {
    let Some(span) = spans
        .iter()
        .find(|s| &buf[s.name.clone()] == b"content-length")
    else {
        return Ok(None);
    };
    let value = &buf[span.value.clone()];
    let invalid = || DecodeError::InvalidContentLength(quoted_text(value));
    // Digits only (no sign, no blanks), and a number this platform's usize holds.
    super::decimal::parse_decimal(value)
        .map(Some)
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `LineScan` must find, the slow way (`None` for a NUL before the LF).
    fn naive(line: &[u8]) -> Option<(Option<usize>, Option<usize>, bool, bool)> {
        let nl = line.iter().position(|&b| b == b'\n');
        let scanned = &line[..nl.unwrap_or(line.len())];
        if scanned.contains(&0) {
            return None;
        }
        Some((
            nl,
            scanned.iter().position(|&b| b == b':'),
            scanned.contains(&b'\\'),
            !scanned.is_ascii(),
        ))
    }

    fn check_scan(line: &[u8], step: usize) {
        let mut scan = LineScan::default();
        let mut found = None;
        // Resumed as the line arrives `step` bytes at a time.
        for end in (step..line.len() + step).step_by(step) {
            found = scan.scan(&line[..end.min(line.len())]);
            if found.is_some() {
                break;
            }
        }
        let Some((nl, colon, backslash, non_ascii)) = naive(line) else {
            let nul = line.iter().position(|&b| b == 0);
            assert_eq!(found, nul.map(LineEnd::Nul), "{line:?}");
            return;
        };
        let found = found.map(|end| match end {
            LineEnd::Lf(i) => i,
            LineEnd::Nul(_) => panic!("no NUL in {line:?}"),
        });
        assert_eq!(found, nl, "{line:?}");
        assert_eq!(scan.colon, colon, "{line:?}");
        assert_eq!(scan.backslash, backslash, "{line:?}");
        assert_eq!(scan.non_ascii, non_ascii, "{line:?}");
    }

    #[test]
    fn line_scan_finds_lf_colon_backslash_non_ascii_and_nul_at_every_offset() {
        let specials: [&[u8]; 6] = [b"\n", b":", b"\\", "é".as_bytes(), b"\x80", b"\0"];
        for len in 0..40 {
            for at in 0..=len {
                for special in specials {
                    let mut line = vec![b'a'; len];
                    line.splice(at..at, special.iter().copied());
                    line.extend_from_slice(b"tail:x\\y\n");
                    for step in [1, 3, 8, 64] {
                        check_scan(&line, step);
                    }
                }
            }
        }
    }

    #[test]
    fn line_scan_of_a_partial_line_resumes_where_it_stopped() {
        let mut scan = LineScan::default();
        assert_eq!(scan.scan(b"destinat"), None);
        assert_eq!(scan.scanned, 8);
        assert_eq!(scan.scan(b"destination:/q"), None);
        assert_eq!(scan.colon, Some(11));
        assert_eq!(
            scan.scan(b"destination:/q\nnext:line\n"),
            Some(LineEnd::Lf(14))
        );
    }

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
}
