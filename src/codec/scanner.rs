//! The frame scanner: the STOMP grammar, shared by both frame builders.
//!
//! A [`Scanner`] walks the bytes buffered at the front of a decoder's buffer and records where
//! the command, each header and the body lie (or says the frame is still incomplete, which is
//! not an error), checking every limit as bytes arrive. It owns no bytes: the server's
//! [`Decoder`](super::Decoder) cuts a `Bytes` [`Frame`](crate::frame::Frame) out of its buffer
//! from the recorded spans, the client's [`ViewDecoder`](super::ViewDecoder) hands out views
//! of the spans over its own `Vec<u8>`. One grammar, two representations.
//!
//! The scan remembers how far it got, so a frame arriving in many small chunks is scanned once,
//! not once per chunk.

use crate::prelude::*;
use core::ops::Range;

use super::limits::{DecodeError, Limits};
use super::message::quoted_text;
#[cfg(feature = "std")]
use super::word;
use crate::frame::Command;

/// Where one header lies in the buffer (offsets from the frame's first byte).
#[derive(Debug, Clone)]
pub(super) struct HeaderSpan {
    pub(super) name: Range<usize>,
    pub(super) value: Range<usize>,
    /// The line has a backslash: it may need unescaping.
    pub(super) has_backslash: bool,
}

/// How far the check of the frame at the front of the buffer has got.
#[derive(Debug, Default)]
struct Progress {
    command: Option<Command>,
    /// Start of the next line to read, while in the header block; 0 while the command line is
    /// (the one test of whether `command` is read yet).
    line_start: usize,
    /// How far the scan of the line at `line_start` got, so a line arriving in pieces is
    /// scanned once.
    line: LineScan,
    /// Set once the blank line ending the headers has been read; 0 until then (no body starts
    /// at a frame's first byte, its command's): a plain number, not an `Option` to unwrap.
    body_start: usize,
    content_length: Option<usize>,
    /// Where the search for the terminating NUL resumes (no content-length).
    nul_scan_from: usize,
}

/// The scan of the frame at the front of a buffer: limits, how far it got, the header spans.
#[derive(Debug)]
pub(super) struct Scanner {
    /// The native builds' limits (the browser's are the defaults as constants: see `check`).
    #[cfg(feature = "std")]
    pub(super) limits: Limits,
    progress: Progress,
    /// The spans of the headers read so far, in wire order.
    pub(super) spans: Vec<HeaderSpan>,
}

impl Scanner {
    pub(super) fn new(limits: Limits) -> Scanner {
        #[cfg(not(feature = "std"))]
        let _ = limits;
        Scanner {
            #[cfg(feature = "std")]
            limits,
            progress: Progress::default(),
            spans: Vec::new(),
        }
    }

    /// Forgets the frame being scanned (after an error, or when the buffer is dropped). Its
    /// spans go when the next check begins a frame's command line.
    pub(super) fn reset(&mut self) {
        self.progress = Progress::default();
    }

    /// Ends the scan of the frame [`check`](Self::check) found whole: its command and where its
    /// body starts. The spans stay for the builder to take.
    pub(super) fn finish(&mut self, body_end: usize) -> (Command, usize) {
        let progress = core::mem::take(&mut self.progress);
        // Set, since the frame is whole: its headers have ended.
        debug_assert!(progress.body_start > 0 && progress.body_start <= body_end);
        (
            progress.command.unwrap_or(Command::Send),
            progress.body_start,
        )
    }

    /// Walks the buffered bytes from where the last call stopped. `Ok(None)` means incomplete.
    pub(super) fn check(&mut self, buf: &[u8]) -> Result<Option<Check>, DecodeError> {
        #[cfg(feature = "std")]
        let limits = self.limits;
        // The browser core's limits are always the defaults (its config record has no field for
        // them: pkg-core's `read_config`): as constants, its checks fold into the code. A field
        // for them there must drop this line.
        #[cfg(not(feature = "std"))]
        let limits = Limits::default();
        let p = &mut self.progress;

        if p.line_start == 0 {
            // A frame's command line is next: the spans are the last frame's, which its builder
            // has taken or its view read (the client's view borrows them until its next
            // `decode`, which comes here).
            self.spans.clear();
            // NULs before a frame's command, one at a time: the decoders skip it and check
            // again. (Heart-beats, EOLs there, are empty command lines: the loop below reports
            // them.)
            if buf.first() == Some(&0) {
                return Ok(Some(Check::EmptyFrames(1)));
            }
        }

        // Command line and header block, line by line.
        while p.body_start == 0 {
            let rest = buf.get(p.line_start..).unwrap_or_default();
            let end = p.line.scan(rest);
            // The length to check of the line (without its EOL) and the frame's bytes up to its
            // end or as far as they go. A line not yet whole, or cut by a NUL (the bytes before
            // the NUL are checked first, so that the error does not depend on how they were
            // chunked), may end in the `\r` of its EOL: one byte less of it counts. One check
            // for all three.
            let (line, checked, seen) = match end {
                Some(LineEnd::Lf(nl)) => {
                    let line = strip_cr(rest.get(..nl).unwrap_or_default());
                    (line, line.len(), nl + 1)
                }
                Some(LineEnd::Nul(at)) => (rest, at.saturating_sub(1), at),
                None => (rest, rest.len().saturating_sub(1), rest.len()),
            };
            let line_too_long = checked > limits.max_header_line;
            let next = p.line_start + seen;
            check_line_and_frame(line_too_long, p.line_start, next, &limits)?;
            match end {
                Some(LineEnd::Lf(_)) => {}
                Some(LineEnd::Nul(_)) => return Err(DecodeError::NulInHeader),
                None => return Ok(None),
            }
            let scan = core::mem::take(&mut p.line);

            if p.line_start == 0 {
                if line.is_empty() {
                    // A heart-beat: an EOL (`\n` or `\r\n`) where a command would start.
                    return Ok(Some(Check::Heartbeat(seen)));
                }
                p.command = Some(
                    Command::from_bytes(line)
                        .ok_or_else(|| DecodeError::UnknownCommand(quoted_text(line)))?,
                );
            } else if line.is_empty() {
                p.body_start = next;
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
        let body_start = p.body_start;
        match p.content_length {
            Some(len) => {
                let body_end = body_start.saturating_add(len);
                // A content-length over the body limit is known too large before any of its
                // bytes: its error comes first (crossed within 0 bytes).
                let body_too_long = len > limits.max_body;
                check_limits(
                    (body_too_long, 0, body_too_large),
                    body_end.saturating_add(1),
                    &limits,
                )?;
                match buf.get(body_end) {
                    None => Ok(None),
                    Some(0) => Ok(Some(Check::Frame { body_end })),
                    Some(_) => Err(DecodeError::MissingNul(len)),
                }
            }
            None => {
                let (body_end, complete) =
                    match super::word::find(0, buf.get(p.nul_scan_from..).unwrap_or_default()) {
                        Some(i) => (p.nul_scan_from + i, true),
                        None => {
                            p.nul_scan_from = buf.len();
                            (buf.len(), false)
                        }
                    };
                // Checked whether or not the NUL is here yet, so an oversized body is refused
                // as soon as it is seen, and one that arrived whole in a single chunk too.
                let body_too_long = body_end - body_start > limits.max_body;
                let within = body_start.saturating_add(limits.max_body);
                check_limits(
                    (body_too_long, within, body_too_large),
                    body_end + usize::from(complete),
                    &limits,
                )?;
                Ok(complete.then_some(Check::Frame { body_end }))
            }
        }
    }
}

/// Splits one header line (without its EOL) that starts at `start` in the frame, with what the
/// scan for its LF found in it.
fn header_span(line: &[u8], start: usize, scan: LineScan) -> Result<HeaderSpan, DecodeError> {
    let colon = scan
        .colon
        .ok_or_else(|| DecodeError::MalformedHeader(quoted_text(line)))?;
    // ASCII lines (nearly all of them) skip the full UTF-8 validation.
    if scan.non_ascii && !super::utf8::valid(line) {
        return Err(DecodeError::InvalidUtf8);
    }
    Ok(HeaderSpan {
        name: start..start + colon,
        value: start + colon + 1..start + line.len(),
        has_backslash: scan.backslash,
    })
}

/// One pass over a line finds its LF and, on the way, its first colon and whether it has
/// backslashes or non-ASCII bytes: the header block is read once (a word at a time in the server's
/// build) instead of once per question asked of it.
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
            // Skip ordinary bytes eight at a time. The server only: the browser core reads
            // a few short lines per received frame, and takes them byte by byte by the match
            // below (the word loop weighed 79 B gzip there).
            #[cfg(feature = "std")]
            while let Some(chunk) = line.get(i..).and_then(<[u8]>::first_chunk::<8>) {
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

/// What ends a line: its LF, or a NUL (an error), at that offset in the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineEnd {
    Lf(usize),
    Nul(usize),
}

pub(super) enum Check {
    /// NULs where a command would start (the scanner reports one at a time: counting a run of
    /// them weighed more than the decoders' loop that skips them).
    EmptyFrames(usize),
    Heartbeat(usize),
    Frame {
        body_end: usize,
    },
}

pub(super) fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
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
    // A line is known too long once `max_header_line + 2` of its bytes are in (one more than
    // allowed, not counting a CR that may be its EOL's, or the LF itself).
    let within = line_start
        .saturating_add(limits.max_header_line)
        .saturating_add(1);
    check_limits(
        (line_too_long, within, line_too_long_error),
        frame_len,
        limits,
    )
}

/// Checks a limit of the line or body and the frame size of the frame's first `frame_len`
/// bytes: `crossed` says whether the first limit is crossed, the length of the frame prefix
/// still within it (the error shows with the next byte) and its error. One copy of the rule
/// for the header lines and both kinds of body. Of two limits crossed the error is for the one
/// crossed first; ties go to the line's or body's, the check that runs first on a given prefix.
/// The errors are made by functions, only when one is returned.
fn check_limits(
    crossed: (bool, usize, fn(&Limits) -> DecodeError),
    frame_len: usize,
    limits: &Limits,
) -> Result<(), DecodeError> {
    let (too_long, within, error) = crossed;
    let frame_too_long = frame_len > limits.max_frame_size;
    if too_long && (!frame_too_long || within <= limits.max_frame_size) {
        Err(error(limits))
    } else if frame_too_long {
        Err(frame_too_large(limits))
    } else {
        Ok(())
    }
}

fn line_too_long_error(limits: &Limits) -> DecodeError {
    DecodeError::HeaderLineTooLong {
        limit: limits.max_header_line,
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
        .find(|s| buf.get(s.name.clone()) == Some(b"content-length"))
    else {
        return Ok(None);
    };
    let value = buf.get(span.value.clone()).unwrap_or_default();
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
}
