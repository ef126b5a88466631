//! [`DecodeError`] messages written without `core::fmt`.
//!
//! The client reports decode errors (its debug log) with [`DecodeError::write_parts`], so the
//! Wasm build leaves out `format!`. The line a message quotes comes last, unquoted, after a
//! NUL, for the reader to quote ([`joined`] quotes it as `Display` does, and the tests below
//! hold the two together). The browser build writes no words at all: the error's kind as a
//! letter, then its line, number or character; the page writes the message and quotes the line
//! with `JSON.stringify` (its node tests compare every kind with `Display`'s text).

use super::decimal::push_decimal;
#[cfg(not(feature = "std"))]
use super::escape::UndefinedEscape;
use super::utf8;
use super::DecodeError;
use crate::prelude::*;

/// The text of a line an error quotes: itself when it is UTF-8, else with every non-ASCII byte
/// as U+FFFD. (`String::from_utf8_lossy` would group the broken sequences, for 1 KB more of the
/// browser build; for a line that is wrong anyway the simple rule says as much.)
pub(crate) fn quoted_text(line: &[u8]) -> String {
    if let Some(text) = utf8::str(line) {
        return super::owned(text);
    }
    // One `push_char` call per byte (`collect` would bring `String::push`'s own encoder).
    let mut out = String::new();
    for &b in line {
        utf8::push_char(
            &mut out,
            if b.is_ascii() {
                char::from(b)
            } else {
                '\u{FFFD}'
            },
        );
    }
    out
}

impl DecodeError {
    /// Appends the message to `out` as `to_string()` gives it, except for the line it quotes
    /// (an unknown command, a header without a colon, a content-length): that comes last,
    /// after a NUL, as it is, for the reader to quote ([`joined`] does as `Display`).
    #[cfg(feature = "std")]
    pub fn write_parts(&self, out: &mut String) {
        let (text, quoted, number, after) = match self {
            DecodeError::UnknownCommand(s) => ("unknown command ", Some(s), None, ""),
            DecodeError::MalformedHeader(s) => ("header line without a colon: ", Some(s), None, ""),
            DecodeError::TooManyHeaders { limit } => {
                ("frame has more than ", None, Some(limit), " headers")
            }
            DecodeError::HeaderLineTooLong { limit } => {
                ("header line longer than ", None, Some(limit), " bytes")
            }
            DecodeError::FrameTooLarge { limit } => {
                ("frame larger than ", None, Some(limit), " bytes")
            }
            DecodeError::BodyTooLarge { limit } => {
                ("body larger than ", None, Some(limit), " bytes")
            }
            DecodeError::InvalidContentLength(s) => ("invalid content-length ", Some(s), None, ""),
            DecodeError::MissingNul(n) => (
                "frame body of content-length ",
                None,
                Some(n),
                " is not followed by a NUL byte",
            ),
            DecodeError::InvalidUtf8 => ("header is not valid UTF-8", None, None, ""),
            DecodeError::NulInHeader => ("NUL byte in a command or header line", None, None, ""),
            DecodeError::UndefinedEscape(e) => return e.write_message(out),
        };
        out.push_str(text);
        if let Some(s) = quoted {
            utf8::push_char(out, '\0');
            out.push_str(s);
        }
        if let Some(n) = number {
            push_decimal(out, *n as u64);
        }
        out.push_str(after);
    }

    /// The browser build's [`write_parts`](Self::write_parts): the error's kind as a letter
    /// (`a` for the first of [`DecodeError`]'s variants, in their order; `k` and `l` for an
    /// undefined escape with and without its character), then the line it quotes, its number
    /// or the escape's character. `pkg-core/js/client.js` (`DECODE_ERRORS`) writes the message
    /// `Display` gives: the texts cost the core 250 B gzip, the page less.
    #[cfg(not(feature = "std"))]
    pub fn write_parts(&self, out: &mut String) {
        let (kind, line, number) = match self {
            DecodeError::UnknownCommand(s) => ('a', s.as_str(), None),
            DecodeError::MalformedHeader(s) => ('b', s.as_str(), None),
            DecodeError::TooManyHeaders { limit } => ('c', "", Some(limit)),
            DecodeError::HeaderLineTooLong { limit } => ('d', "", Some(limit)),
            DecodeError::FrameTooLarge { limit } => ('e', "", Some(limit)),
            DecodeError::BodyTooLarge { limit } => ('f', "", Some(limit)),
            DecodeError::InvalidContentLength(s) => ('g', s.as_str(), None),
            DecodeError::MissingNul(n) => ('h', "", Some(n)),
            DecodeError::InvalidUtf8 => ('i', "", None),
            DecodeError::NulInHeader => ('j', "", None),
            DecodeError::UndefinedEscape(UndefinedEscape(Some(c))) => {
                utf8::push_char(out, 'k');
                return utf8::push_char(out, *c);
            }
            DecodeError::UndefinedEscape(UndefinedEscape(None)) => ('l', "", None),
        };
        utf8::push_char(out, kind);
        out.push_str(line);
        if let Some(n) = number {
            push_decimal(out, *n as u64);
        }
    }
}

/// The message [`DecodeError::write_parts`] wrote, as `Display` shows it: the line after the
/// NUL in Rust's `{:?}` quotes.
#[cfg(feature = "std")]
pub fn joined(parts: &str) -> String {
    match parts.split_once('\0') {
        Some((text, line)) => format!("{text}{line:?}"),
        None => String::from(parts),
    }
}

/// One character as inside Rust's `{:?}` quotes (`quote` is the quote character in use).
pub(crate) fn push_escaped(c: char, quote: char, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match c {
        '\0' => out.push_str("\\0"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\\' => out.push_str("\\\\"),
        c if c == quote => {
            utf8::push_char(out, '\\');
            utf8::push_char(out, c);
        }
        c if c.is_ascii_control() => {
            out.push_str("\\u{");
            if c as u32 >= 0x10 {
                utf8::push_char(out, char::from(HEX[(c as usize) >> 4]));
            }
            utf8::push_char(out, char::from(HEX[(c as usize) & 0xf]));
            utf8::push_char(out, '}');
        }
        c => utf8::push_char(out, c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::escape::UndefinedEscape;

    fn message(e: &DecodeError) -> String {
        let mut s = String::new();
        e.write_parts(&mut s);
        joined(&s)
    }

    #[test]
    fn quoted_lines_keep_utf8_and_mark_other_bytes() {
        assert_eq!(quoted_text("ÜBER:x".as_bytes()), "ÜBER:x");
        assert_eq!(quoted_text(b"SE\xffND\xc3"), "SE\u{FFFD}ND\u{FFFD}");
        // What the decoder makes of such a line: codec/decoder.rs's tests (this file is below
        // the decoder, which uses it).
    }

    #[test]
    fn every_message_is_the_display_text() {
        let ascii: String = (0u8..128).map(char::from).collect();
        let errors = [
            DecodeError::UnknownCommand("HELLO".into()),
            DecodeError::UnknownCommand(ascii.clone()),
            DecodeError::UnknownCommand("é€ 😀".into()),
            DecodeError::MalformedHeader(ascii.clone()),
            DecodeError::TooManyHeaders { limit: 128 },
            DecodeError::HeaderLineTooLong { limit: 8192 },
            DecodeError::FrameTooLarge { limit: 1 << 20 },
            DecodeError::BodyTooLarge { limit: 0 },
            DecodeError::InvalidContentLength("12a\"\\".into()),
            DecodeError::MissingNul(42),
            DecodeError::InvalidUtf8,
            DecodeError::NulInHeader,
            DecodeError::UndefinedEscape(UndefinedEscape(Some('t'))),
            DecodeError::UndefinedEscape(UndefinedEscape(Some('\''))),
            DecodeError::UndefinedEscape(UndefinedEscape(None)),
        ];
        for e in &errors {
            assert_eq!(message(e), e.to_string());
        }
    }
}
