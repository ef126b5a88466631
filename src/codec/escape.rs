//! Header escaping (STOMP 1.1 and 1.2). 1.0 has none, and neither do CONNECT, STOMP and CONNECTED
//! frames in any version: callers decide with [`applies`].

use crate::frame::{Command, Version};

/// An escape sequence the frame's version does not define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("undefined escape sequence `\\{0}` in header")]
pub struct UndefinedEscape(pub char);

/// Whether headers of `command` are escaped under `version`.
pub fn applies(version: Version, command: Command) -> bool {
    version >= Version::V1_1 && command.escapes_headers()
}

/// Decodes `\\`, `\n`, `\c` and (1.2 only) `\r`. Any other escape, or a trailing lone backslash,
/// is an error, as the specification requires.
pub fn unescape(raw: &[u8], version: Version, out: &mut Vec<u8>) -> Result<(), UndefinedEscape> {
    out.reserve(raw.len());
    let mut rest = raw;
    while let Some(i) = memchr::memchr(b'\\', rest) {
        out.extend_from_slice(&rest[..i]);
        match rest.get(i + 1) {
            Some(b'\\') => out.push(b'\\'),
            Some(b'n') => out.push(b'\n'),
            Some(b'c') => out.push(b':'),
            Some(b'r') if version >= Version::V1_2 => out.push(b'\r'),
            Some(&other) => return Err(UndefinedEscape(other as char)),
            None => return Err(UndefinedEscape(' ')),
        }
        rest = &rest[i + 2..];
    }
    out.extend_from_slice(rest);
    Ok(())
}

/// Whether `s` has a byte that must be escaped (or, in 1.0, replaced).
pub fn needs_escape(s: &[u8]) -> bool {
    s.iter().any(|&b| matches!(b, b'\\' | b'\n' | b'\r' | b':'))
}

/// Appends `s` escaped for `version`. With escaping off (1.0, CONNECT frames), CR and LF cannot be
/// represented at all and are written as spaces so they cannot break the framing; a `:` is left
/// alone (values are split at the first colon).
pub fn escape_into(s: &[u8], escaping: bool, version: Version, out: &mut Vec<u8>) {
    if !needs_escape(s) {
        out.extend_from_slice(s);
        return;
    }
    for &b in s {
        match b {
            b'\n' | b'\r' if !escaping => out.push(b' '),
            b'\\' if escaping => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b':' if escaping => out.extend_from_slice(b"\\c"),
            // 1.1 defines no escape for CR: a space keeps the frame parseable.
            b'\r' if version >= Version::V1_2 => out.extend_from_slice(b"\\r"),
            b'\r' => out.push(b' '),
            other => out.push(other),
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
        escape_into(raw.as_bytes(), v >= Version::V1_1, v, &mut out);
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
        assert_eq!(un(r"a\tb", Version::V1_2), Err(UndefinedEscape('t')));
        // \r is only defined from 1.2 on.
        assert_eq!(un(r"a\rb", Version::V1_1), Err(UndefinedEscape('r')));
        assert!(un("trailing\\", Version::V1_2).is_err());
    }

    #[test]
    fn escaping_round_trips_per_version() {
        for v in [Version::V1_1, Version::V1_2] {
            let s = "a:b\\c\nd";
            assert_eq!(un(&esc(s, v), v).unwrap(), s);
        }
        assert_eq!(esc("a:b\r", Version::V1_2), r"a\cb\r");
        assert_eq!(esc("a:b\nc", Version::V1_0), "a:b c");
    }
}
