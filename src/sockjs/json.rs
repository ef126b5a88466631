//! The JSON subset SockJS uses: strings, and arrays of strings.
//!
//! SockJS carries every message as a JSON string, a batch of them as a JSON array of strings.
//! That is all the JSON either side ever needs, so this is a small hand-written encoder and
//! decoder rather than a general JSON library (the core ships to browsers; every kilobyte of
//! Wasm counts).
//!
//! Encoding escapes more than JSON requires: besides `"`, `\` and the C0 controls, it escapes
//! the code points that proxies and browsers are known to mangle on the way (the set the SockJS
//! 0.3.3 protocol suite checks a server for): U+200C–U+200F, U+2028–U+202F, U+2060–U+206F and
//! U+FFF0–U+FFFF. Escapes are written as lowercase `\uXXXX`, with the short forms (`\n`, `\t`,
//! …) where JSON has one, exactly as a JavaScript peer's `JSON.stringify` would.
//!
//! Decoding is strict JSON for that subset (what `JSON.parse` accepts): whitespace between
//! tokens, all escape forms, surrogate pairs. A lone surrogate escape (valid for JavaScript's
//! UTF-16 strings, impossible in a Rust `String`) decodes to U+FFFD.

use crate::prelude::*;

/// Why a payload could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// The payload is empty (or only whitespace).
    Empty,
    /// The payload is JSON but not of the expected shape (not an array, or an element that is
    /// not a string).
    UnexpectedValue(usize),
    /// The payload is not well-formed JSON.
    Syntax(usize),
}

impl JsonError {
    /// Appends the message ("broken JSON at byte 7") to `out`, without `core::fmt` (the browser
    /// build reports it and leaves the formatting machinery out); `Display` prints the same.
    pub fn write_message(&self, out: &mut String) {
        let (text, at) = match self {
            JsonError::Empty => ("empty payload", None),
            JsonError::UnexpectedValue(at) => ("unexpected JSON value at byte ", Some(at)),
            JsonError::Syntax(at) => ("broken JSON at byte ", Some(at)),
        };
        out.push_str(text);
        if let Some(at) = at {
            crate::codec::push_decimal(out, *at as u64);
        }
    }
}

impl core::fmt::Display for JsonError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut s = String::new();
        self.write_message(&mut s);
        f.write_str(&s)
    }
}

/// Whether SockJS escapes `c` when encoding (beyond the escapes JSON itself requires).
fn escaped_by_sockjs(c: char) -> bool {
    matches!(
        c as u32,
        0x200c..=0x200f | 0x2028..=0x202f | 0x2060..=0x206f | 0xfff0..=0xffff
    )
}

/// Appends `s` to `out` as a quoted JSON string, with SockJS's extra escapes.
pub fn quote_into(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || escaped_by_sockjs(c) => {
                push_unicode_escape(c, out);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `\uXXXX` (lowercase hex) for a code point of the Basic Multilingual Plane, the only ones
/// [`quote_into`] escapes this way (written by hand: `core::fmt` would weigh on the Wasm build).
fn push_unicode_escape(c: char, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let n = c as u32;
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(char::from(HEX[((n >> shift) & 0xf) as usize]));
    }
}

/// `s` as a quoted JSON string, with SockJS's extra escapes.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    quote_into(s, &mut out);
    out
}

/// Appends the JSON array of `messages` (each quoted with [`quote_into`]) to `out`.
pub fn encode_string_array_into<S: AsRef<str>>(messages: &[S], out: &mut String) {
    out.push('[');
    for (i, m) in messages.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        quote_into(m.as_ref(), out);
    }
    out.push(']');
}

/// Decodes a JSON array of strings, e.g. an `xhr_send` body.
pub fn decode_string_array(input: &str) -> Result<Vec<String>, JsonError> {
    let mut p = Parser::new(input);
    p.skip_ws();
    if p.at_end() {
        return Err(JsonError::Empty);
    }
    let array = p.array_of_strings()?;
    p.finish()?;
    Ok(array)
}

/// Decodes a single JSON string value.
pub fn decode_string(input: &str) -> Result<String, JsonError> {
    let mut p = Parser::new(input);
    p.skip_ws();
    if p.at_end() {
        return Err(JsonError::Empty);
    }
    let s = p.string()?;
    p.finish()?;
    Ok(s)
}

/// A cursor over the input. All positions are byte offsets; the input is valid UTF-8, and the
/// parser only ever stops on ASCII bytes, so slicing at them is sound.
pub(crate) struct Parser<'a> {
    input: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(input: &'a str) -> Parser<'a> {
        Parser { input, pos: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.input.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    pub(crate) fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    pub(crate) fn expect(&mut self, byte: u8) -> Result<(), JsonError> {
        self.skip_ws();
        match self.peek() {
            Some(b) if b == byte => {
                self.pos += 1;
                Ok(())
            }
            _ => Err(JsonError::Syntax(self.pos)),
        }
    }

    /// Whitespace only, then the end of the input.
    pub(crate) fn finish(&mut self) -> Result<(), JsonError> {
        self.skip_ws();
        if self.at_end() {
            Ok(())
        } else {
            Err(JsonError::Syntax(self.pos))
        }
    }

    pub(crate) fn array_of_strings(&mut self) -> Result<Vec<String>, JsonError> {
        self.skip_ws();
        match self.peek() {
            Some(b'[') => self.pos += 1,
            Some(b'"' | b'{' | b't' | b'f' | b'n' | b'-' | b'0'..=b'9') => {
                return Err(JsonError::UnexpectedValue(self.pos))
            }
            _ => return Err(JsonError::Syntax(self.pos)),
        }
        let mut out = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(out);
        }
        loop {
            out.push(self.string()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(out);
                }
                _ => return Err(JsonError::Syntax(self.pos)),
            }
        }
    }

    /// An integer (the code of a close frame): optional minus, digits, no fraction.
    pub(crate) fn integer(&mut self) -> Result<i64, JsonError> {
        self.skip_ws();
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        // `get`, not indexing: the range is ASCII digits, and a slice that cannot fail keeps the
        // panic machinery for str slicing out of the Wasm build.
        self.input
            .get(start..self.pos)
            .unwrap_or_default()
            .parse()
            .map_err(|_| JsonError::Syntax(start))
    }

    pub(crate) fn string(&mut self) -> Result<String, JsonError> {
        self.skip_ws();
        match self.peek() {
            Some(b'"') => self.pos += 1,
            Some(b'[' | b'{' | b't' | b'f' | b'n' | b'-' | b'0'..=b'9') => {
                return Err(JsonError::UnexpectedValue(self.pos))
            }
            _ => return Err(JsonError::Syntax(self.pos)),
        }
        let mut out = String::new();
        loop {
            // Copy the run of plain characters up to the next quote, backslash or control.
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // Ends at an ASCII byte or the end, so always a char boundary (see `integer`).
            out.push_str(self.input.get(start..self.pos).unwrap_or_default());
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                // A raw control character, or the end of the input inside the string.
                _ => return Err(JsonError::Syntax(self.pos)),
            }
        }
    }

    /// One escape, the backslash already consumed.
    fn escape(&mut self, out: &mut String) -> Result<(), JsonError> {
        let at = self.pos;
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let unit = self.hex4()?;
                out.push(self.code_point(unit));
                return Ok(());
            }
            _ => return Err(JsonError::Syntax(at)),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    /// The character for UTF-16 code unit `unit`, reading its low surrogate if it is a high one.
    fn code_point(&mut self, unit: u16) -> char {
        match unit {
            0xd800..=0xdbff => {
                let rest = &self.bytes()[self.pos..];
                if rest.len() >= 6 && rest[0] == b'\\' && rest[1] == b'u' {
                    if let Some(low @ 0xdc00..=0xdfff) = parse_hex4(&rest[2..6]) {
                        self.pos += 6;
                        let c = 0x10000
                            + ((u32::from(unit) - 0xd800) << 10)
                            + (u32::from(low) - 0xdc00);
                        return char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER);
                    }
                }
                char::REPLACEMENT_CHARACTER
            }
            0xdc00..=0xdfff => char::REPLACEMENT_CHARACTER,
            _ => char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER),
        }
    }

    fn hex4(&mut self) -> Result<u16, JsonError> {
        let digits = self
            .bytes()
            .get(self.pos..self.pos + 4)
            .ok_or(JsonError::Syntax(self.pos))?;
        let unit = parse_hex4(digits).ok_or(JsonError::Syntax(self.pos))?;
        self.pos += 4;
        Ok(unit)
    }
}

fn parse_hex4(digits: &[u8]) -> Option<u16> {
    digits.iter().try_fold(0u16, |acc, &d| {
        let v = (d as char).to_digit(16)?;
        Some((acc << 4) | v as u16)
    })
}

// Native only: the property tests use proptest, which does not build for wasm32.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn quotes_plain_text_verbatim() {
        assert_eq!(quote("abc"), "\"abc\"");
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("zażółć €  😀"), "\"zażółć €  😀\"");
    }

    #[test]
    fn quotes_json_specials_with_short_escapes() {
        assert_eq!(quote("\"\\\n\r\t\u{8}\u{c}/"), r#""\"\\\n\r\t\b\f/""#);
        assert_eq!(quote("  \u{0}\n\r "), r#""  \u0000\n\r ""#);
        assert_eq!(quote("\u{1f}\u{7f}"), "\"\\u001f\u{7f}\"");
    }

    #[test]
    fn quotes_the_sockjs_ranges_and_only_them() {
        for cp in 0x20u32..0x1_0000 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            if c == '"' || c == '\\' {
                continue;
            }
            let q = quote(&c.to_string());
            let expect_escaped =
                matches!(cp, 0x200c..=0x200f | 0x2028..=0x202f | 0x2060..=0x206f | 0xfff0..=0xffff);
            if expect_escaped {
                assert_eq!(q, format!("\"\\u{cp:04x}\""), "U+{cp:04X}");
            } else {
                assert_eq!(q, format!("\"{c}\""), "U+{cp:04X}");
            }
        }
    }

    #[test]
    fn encodes_arrays() {
        let mut s = String::new();
        encode_string_array_into(&["a", "b\"c"], &mut s);
        assert_eq!(s, r#"["a","b\"c"]"#);
        let mut s = String::new();
        encode_string_array_into::<&str>(&[], &mut s);
        assert_eq!(s, "[]");
    }

    #[test]
    fn decodes_arrays_with_whitespace_and_escapes() {
        assert_eq!(decode_string_array(r#"["a"]"#).unwrap(), vec!["a"]);
        assert_eq!(decode_string_array(" [ ] ").unwrap(), Vec::<String>::new());
        assert_eq!(
            decode_string_array(" [ \"a\" ,\n\"\\u0041\\/\\n\" ] ").unwrap(),
            vec!["a", "A/\n"]
        );
        assert_eq!(decode_string_array(r#"["%61bc"]"#).unwrap(), vec!["%61bc"]);
    }

    #[test]
    fn decodes_surrogate_pairs_and_replaces_lone_ones() {
        assert_eq!(decode_string(r#""\ud83d\ude00""#).unwrap(), "😀");
        assert_eq!(decode_string(r#""\uD83D\uDE00x""#).unwrap(), "😀x");
        assert_eq!(decode_string(r#""\ud83dx""#).unwrap(), "\u{fffd}x");
        assert_eq!(decode_string(r#""\ude00""#).unwrap(), "\u{fffd}");
        assert_eq!(decode_string(r#""\ud83d\u0041""#).unwrap(), "\u{fffd}A");
    }

    #[test]
    fn rejects_broken_json() {
        for bad in [
            "[\"x",
            "[",
            "[\"a\",]",
            "[\"a\" \"b\"]",
            "[\"a\"]x",
            "[\"\\x\"]",
            "[\"\\u12\"]",
            "[\"a\nb\"]",
            "[a]",
            "]",
            "[\"a\"",
            "[\"\\ud83d\\u12\"]",
        ] {
            assert!(
                matches!(decode_string_array(bad), Err(JsonError::Syntax(_))),
                "{bad:?} → {:?}",
                decode_string_array(bad)
            );
        }
    }

    #[test]
    fn distinguishes_empty_and_wrong_shape() {
        assert_eq!(decode_string_array(""), Err(JsonError::Empty));
        assert_eq!(decode_string_array(" \n"), Err(JsonError::Empty));
        assert!(matches!(
            decode_string_array("\"a\""),
            Err(JsonError::UnexpectedValue(0))
        ));
        assert!(matches!(
            decode_string_array("[1]"),
            Err(JsonError::UnexpectedValue(1))
        ));
        assert!(matches!(
            decode_string_array("{}"),
            Err(JsonError::UnexpectedValue(0))
        ));
        assert!(matches!(
            decode_string("[]"),
            Err(JsonError::UnexpectedValue(0))
        ));
    }

    #[test]
    fn round_trips_every_bmp_character_and_beyond() {
        let all: String = (0u32..0x11_0000).filter_map(char::from_u32).collect();
        let mut enc = String::new();
        encode_string_array_into(&[all.as_str(), "", "x"], &mut enc);
        assert_eq!(
            decode_string_array(&enc).unwrap(),
            vec![all.as_str(), "", "x"]
        );
    }

    proptest::proptest! {
        #[test]
        fn any_strings_round_trip(messages in proptest::collection::vec(".*", 0..8)) {
            let mut enc = String::new();
            encode_string_array_into(&messages, &mut enc);
            proptest::prop_assert_eq!(decode_string_array(&enc).unwrap(), messages);
        }

        #[test]
        fn decoding_never_panics(input in ".*") {
            let _ = decode_string_array(&input);
            let _ = decode_string(&input);
        }

        #[test]
        fn encoded_output_has_no_raw_controls_or_listed_code_points(s in ".*") {
            let q = quote(&s);
            proptest::prop_assert!(!q.chars().any(|c| (c as u32) < 0x20 || escaped_by_sockjs(c)));
        }
    }
}
