//! Header escaping (STOMP 1.1 and 1.2). 1.0 has none, and neither do CONNECT, STOMP and CONNECTED
//! frames in any version: callers decide with [`applies`].

#[cfg(feature = "std")]
use super::word;
use crate::frame::{Command, Version};
use crate::prelude::*;

/// An escape sequence the frame's version does not define: the character after the backslash,
/// or `None` for a backslash ending the header name or value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct UndefinedEscape(pub Option<char>);

impl UndefinedEscape {
    /// Appends the message to `out`, without `core::fmt` (the browser build reports it and leaves
    /// the formatting machinery out); `Display` prints the same.
    pub fn write_message(&self, out: &mut String) {
        match self.0 {
            Some(c) => {
                out.push_str("undefined escape sequence `\\");
                super::utf8::push_char(out, c);
                out.push_str("` in header");
            }
            None => out.push_str("header ends with a lone backslash"),
        }
    }
}

impl core::fmt::Display for UndefinedEscape {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut s = String::new();
        self.write_message(&mut s);
        f.write_str(&s)
    }
}

/// Whether headers of `command` are escaped under `version`.
pub fn applies(version: Version, command: Command) -> bool {
    version >= Version::V1_1 && command.escapes_headers()
}

/// Decodes `\\`, `\n`, `\c` and (1.2 only) `\r`, appending the text to `out`. Any other escape,
/// or a trailing lone backslash, is an error, as the specification requires.
pub fn unescape(raw: &[u8], version: Version, out: &mut Vec<u8>) -> Result<(), UndefinedEscape> {
    let start = out.len();
    out.extend_from_slice(raw);
    let len = unescape_in_place(out.get_mut(start..).unwrap_or_default(), version)?;
    out.truncate(start + len);
    Ok(())
}

/// [`unescape`] where the text lies (it can only shrink): the client decodes a frame's headers
/// in its receive buffer. Returns the decoded length; the bytes after it are left over.
pub fn unescape_in_place(text: &mut [u8], version: Version) -> Result<usize, UndefinedEscape> {
    let (mut read, mut write) = (0, 0);
    while let Some(i) = super::word::find(b'\\', text.get(read..).unwrap_or_default()) {
        super::move_within(text, read..read + i, write);
        write += i;
        let decoded = match text.get(read + i + 1) {
            Some(b'\\') => b'\\',
            Some(b'n') => b'\n',
            Some(b'c') => b':',
            Some(b'r') if version >= Version::V1_2 => b'\r',
            Some(_) => {
                let after = text.get(read + i + 1..).unwrap_or_default();
                return Err(UndefinedEscape(first_char(after)));
            }
            None => return Err(UndefinedEscape(None)),
        };
        if let Some(slot) = text.get_mut(write) {
            *slot = decoded;
        }
        write += 1;
        read += i + 2;
    }
    let len = text.len();
    super::move_within(text, read..len, write);
    Ok(write + len - read)
}

/// The character `bytes` starts with (header text is UTF-8; a broken sequence reads as U+FFFD).
fn first_char(bytes: &[u8]) -> Option<char> {
    Some(super::utf8::first(bytes).map_or(char::REPLACEMENT_CHARACTER, |(c, _)| c))
}

/// Whether `s` may need escaping: it has a byte that must be escaped (or, in 1.0, replaced), a
/// NUL (dropped), or another control byte below CR (tested together with LF, CR and NUL in one
/// comparison; [`escape_into`] writes those as they are). The server build's only: the browser
/// build writes a header byte by byte in any case (a few short headers per frame the user sends).
#[cfg(feature = "std")]
pub fn needs_escape(s: &[u8]) -> bool {
    let mut rest = s;
    // Eight bytes at a time: this runs on every header of every frame the server encodes.
    while let Some((chunk, tail)) = rest.split_first_chunk::<8>() {
        let w = word::load(chunk);
        let hits = word::below(w, b'\r' + 1) | word::equal(w, b'\\') | word::equal(w, b':');
        if hits != 0 {
            return true;
        }
        rest = tail;
    }
    rest.iter().any(special)
}

/// A byte [`needs_escape`] looks for.
#[cfg(feature = "std")]
fn special(b: &u8) -> bool {
    *b <= b'\r' || matches!(b, b'\\' | b':')
}

/// Appends `s` as header text for `version`.
///
/// - `escaping` (1.1 and 1.2, frames other than CONNECT, STOMP and CONNECTED): `\` becomes
///   `\\`, LF `\n`, `:` `\c`, and in 1.2 CR `\r`. 1.1 defines no escape for CR, so it is
///   written as is: only a CR right before the EOL would be read as part of it, and the encoder
///   ends such a line with `\r\n` so that the decoder strips the added CR and keeps the text's.
/// - not `escaping` (1.0, CONNECT frames): LF cannot be represented at all and is written as a
///   space so that it cannot break the framing; CR, `\` and `:` are written as they are (values
///   are split at the first colon; the encoder drops colons from names).
/// - NUL, which no version can carry in a header (peers end frames at it, and the decoder
///   refuses it), is dropped: text from handlers or another broker never forges a frame.
///
/// `drop` is a byte left out besides NUL where it would be written as it is (the encoder passes
/// `:` for an unescaped header name), or 0 for none.
pub fn escape_into(s: &[u8], escaping: bool, version: Version, drop: u8, out: &mut Vec<u8>) {
    // The browser build writes byte by byte below in any case: not worth a second path there.
    #[cfg(feature = "std")]
    if !needs_escape(s) {
        out.extend_from_slice(s);
        return;
    }
    for &b in s {
        // The letter after the backslash of an escape, 0 for a byte written as it is.
        let escape = match b {
            b'\n' => b'n',
            b'\\' => b'\\',
            b':' => b'c',
            b'\r' if version >= Version::V1_2 => b'r',
            _ => 0,
        };
        match b {
            _ if escaping && escape != 0 => {
                super::push_byte(out, b'\\');
                super::push_byte(out, escape);
            }
            b'\n' => super::push_byte(out, b' '),
            0 => {}
            b if b == drop => {}
            other => super::push_byte(out, other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn un(raw: &str, v: Version) -> Result<String, UndefinedEscape> {
        let mut out = Vec::new();
        unescape(raw.as_bytes(), v, &mut out).map(|()| String::from_utf8(out).unwrap())
    }

    fn esc(raw: &str, v: Version) -> String {
        let mut out = Vec::new();
        escape_into(raw.as_bytes(), v >= Version::V1_1, v, 0, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn unescapes_the_defined_sequences() {
        assert_eq!(un(r"a\\b\nc\cd", Version::V1_1).unwrap(), "a\\b\nc:d");
        assert_eq!(un(r"x\ry", Version::V1_2).unwrap(), "x\ry");
        assert_eq!(un("plain", Version::V1_2).unwrap(), "plain");
    }

    #[test]
    fn undefined_escapes_are_errors() {
        assert_eq!(un(r"a\tb", Version::V1_2), Err(UndefinedEscape(Some('t'))));
        // \r is only defined from 1.2 on.
        assert_eq!(un(r"a\rb", Version::V1_1), Err(UndefinedEscape(Some('r'))));
        assert_eq!(un("trailing\\", Version::V1_2), Err(UndefinedEscape(None)));
        // The character after the backslash is reported whole, not as its first byte.
        assert_eq!(un("a\\éb", Version::V1_2), Err(UndefinedEscape(Some('é'))));
        assert_eq!(
            UndefinedEscape(Some('t')).to_string(),
            "undefined escape sequence `\\t` in header"
        );
    }

    #[test]
    fn needs_escape_sees_special_bytes_at_every_offset() {
        for len in 0..24 {
            assert!(!needs_escape(&vec![b'a'; len]));
            for at in 0..len {
                for special in [b'\\', b'\n', b'\r', b':', 0, 1, 0x0c] {
                    let mut s = vec![b'a'; len];
                    s[at] = special;
                    assert!(needs_escape(&s), "{s:?}");
                }
            }
        }
        assert!(!needs_escape("é日;9[]".as_bytes()));
    }

    #[test]
    fn escaping_round_trips_per_version() {
        for v in [Version::V1_1, Version::V1_2] {
            let s = "a:b\\c\nd";
            assert_eq!(un(&esc(s, v), v).unwrap(), s);
        }
        assert_eq!(esc("a:b\r", Version::V1_2), r"a\cb\r");
        assert_eq!(esc("a:b\r", Version::V1_1), "a\\cb\r");
        assert_eq!(esc("a:b\nc\\\r", Version::V1_0), "a:b c\\\r");
    }

    #[test]
    fn the_drop_byte_is_left_out_only_where_it_would_go_as_it_is() {
        let mut out = Vec::new();
        escape_into(b"a:b\nc\0", false, Version::V1_2, b':', &mut out);
        assert_eq!(out, b"ab c");
        out.clear();
        escape_into(b"a:b", true, Version::V1_2, b':', &mut out);
        assert_eq!(out, br"a\cb");
    }

    #[test]
    fn nul_is_dropped_in_every_version() {
        for v in Version::ALL {
            assert_eq!(esc("x\0MESSAGE\0", v), "xMESSAGE");
        }
    }
}
