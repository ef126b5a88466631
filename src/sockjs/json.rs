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
    /// build puts it in a close reason and leaves the formatting machinery out); `Display`
    /// prints the same.
    pub fn write_message(&self, out: &mut Vec<u8>) {
        let (text, at): (&[u8], _) = match self {
            JsonError::Empty => (b"empty payload", None),
            JsonError::UnexpectedValue(at) => (b"unexpected JSON value at byte ", Some(at)),
            JsonError::Syntax(at) => (b"broken JSON at byte ", Some(at)),
        };
        out.extend_from_slice(text);
        if let Some(at) = at {
            push_decimal(out, *at as u64);
        }
    }
}

impl core::fmt::Display for JsonError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut s = Vec::new();
        self.write_message(&mut s);
        f.write_str(&String::from_utf8_lossy(&s))
    }
}

/// Appends `n` in decimal (what `n.to_string()` gives): byte strings all the way, so the
/// browser build needs neither `core::fmt` nor a UTF-8 check of the digits.
pub(crate) fn push_decimal(out: &mut Vec<u8>, n: u64) {
    // The leading digits first, by recursion (at most 20 deep): less code than a digit array.
    if n >= 10 {
        push_decimal(out, n / 10);
    }
    out.extend_from_slice(&[b'0' + (n % 10) as u8]);
}

/// Whether SockJS escapes `c` when encoding (beyond the escapes JSON itself requires).
fn escaped_by_sockjs(c: u32) -> bool {
    matches!(
        c,
        0x200c..=0x200f | 0x2028..=0x202f | 0x2060..=0x206f | 0xfff0..=0xffff
    )
}

/// JSON's short escape for `c`, if it has one.
fn short_escape(c: u32) -> Option<&'static str> {
    Some(match c {
        0x22 => "\\\"",
        0x5c => "\\\\",
        0x0a => "\\n",
        0x0d => "\\r",
        0x09 => "\\t",
        0x08 => "\\b",
        0x0c => "\\f",
        _ => return None,
    })
}

/// `\uXXXX` (lowercase hex) for a code point of the Basic Multilingual Plane, the only ones
/// the encoders escape this way (written by hand: `core::fmt` would weigh on the Wasm build).
fn unicode_escape(c: u32) -> [u8; 6] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut e = *b"\\u0000";
    let mut c = c;
    for slot in e.iter_mut().rev().take(4) {
        *slot = HEX[(c & 0xf) as usize];
        c >>= 4;
    }
    e
}

/// Appends `s` to `out` as a quoted JSON string, with SockJS's extra escapes.
pub fn quote_into(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        let n = c as u32;
        if let Some(e) = short_escape(n) {
            out.push_str(e);
        } else if n < 0x20 || escaped_by_sockjs(n) {
            unicode_escape(n)
                .iter()
                .for_each(|&b| out.push(char::from(b)));
        } else {
            out.push(c);
        }
    }
    out.push('"');
}

/// What [`quote_into`] appends for `s`, from bytes, which must be UTF-8: `false` if they are
/// not (then `out` holds a partial string for the caller to cut off). The browser client's
/// encoder: it checks and quotes what JavaScript handed over in one pass, with no `&str`
/// (`core::str::from_utf8`) and no `char` iteration in its build.
pub fn quote_utf8_into(s: &[u8], out: &mut Vec<u8>) -> bool {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        // The sequence's length, the payload bits of its first byte, and the least code point
        // that needs that many bytes (a smaller one would be an overlong form).
        let (n, bits, least) = match b {
            0..=0x7f => (1, 0x7f, 0),
            0xc0..=0xdf => (2, 0x1f, 0x80),
            0xe0..=0xef => (3, 0x0f, 0x800),
            0xf0..=0xf7 => (4, 0x07, 0x1_0000),
            _ => return false,
        };
        let Some(seq) = s.get(i..i + n) else {
            return false;
        };
        let mut c = u32::from(b) & bits;
        for &next in seq.get(1..).unwrap_or_default() {
            if next & 0xc0 != 0x80 {
                return false;
            }
            c = (c << 6) | u32::from(next & 0x3f);
        }
        if c < least || c > 0x10_ffff || (0xd800..=0xdfff).contains(&c) {
            return false;
        }
        if let Some(e) = short_escape(c) {
            out.extend_from_slice(e.as_bytes());
        } else if c < 0x20 || escaped_by_sockjs(c) {
            out.extend_from_slice(&unicode_escape(c));
        } else {
            out.extend_from_slice(seq);
        }
        i += n;
    }
    out.push(b'"');
    true
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
    let mut out = Vec::new();
    decode_array(input.as_bytes(), |p| {
        out.push(p.string()?);
        Ok(())
    })?;
    Ok(out)
}

/// Decodes a JSON array of strings, handing the parser to `item` at each element (which must
/// read one string: [`Parser::string_into`]). The browser client writes each message where it
/// goes this way, with no `Vec<String>` in between.
pub(crate) fn decode_array(
    input: &[u8],
    item: impl FnMut(&mut Parser<'_>) -> Result<(), JsonError>,
) -> Result<(), JsonError> {
    let mut p = Parser::new(input);
    p.skip_ws();
    if p.at_end() {
        return Err(JsonError::Empty);
    }
    p.array(item)?;
    p.finish()
}

/// Decodes a single JSON string value.
pub fn decode_string(input: &str) -> Result<String, JsonError> {
    let mut p = Parser::new(input.as_bytes());
    p.skip_ws();
    if p.at_end() {
        return Err(JsonError::Empty);
    }
    let s = p.string()?;
    p.finish()?;
    Ok(s)
}

/// Appends code point `c` (at most U+10FFFF, not a surrogate) as UTF-8.
pub(crate) fn push_utf8(c: u32, out: &mut Vec<u8>) {
    let n = match c {
        0..=0x7f => return out.push(c as u8),
        0x80..=0x7ff => 2,
        0x800..=0xffff => 3,
        _ => 4,
    };
    // The first byte: n ones, a zero, then the top bits; the rest: 10 and six bits each.
    out.push(((0xff00 >> n) as u8) | (c >> (6 * (n - 1))) as u8);
    for k in (0..n - 1).rev() {
        out.push(0x80 | ((c >> (6 * k)) & 0x3f) as u8);
    }
}

/// A cursor over the input bytes. All positions are byte offsets.
pub(crate) struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Parser<'a> {
        Parser { input, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
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

    /// Reads the opening `"` (or `[`, per `open`) of a value: another value is unexpected,
    /// anything else broken.
    fn open(&mut self, open: u8) -> Result<(), JsonError> {
        self.skip_ws();
        match self.peek() {
            Some(b) if b == open => {
                self.pos += 1;
                Ok(())
            }
            Some(b'"' | b'[' | b'{' | b't' | b'f' | b'n' | b'-' | b'0'..=b'9') => {
                Err(JsonError::UnexpectedValue(self.pos))
            }
            _ => Err(JsonError::Syntax(self.pos)),
        }
    }

    /// An array, `item` reading each element.
    pub(crate) fn array(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        self.open(b'[')?;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            item(self)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(JsonError::Syntax(self.pos)),
            }
        }
    }

    /// An integer (the code of a close frame): optional minus, digits, no fraction; what
    /// `str::parse::<i64>` accepts of that (no overflow), by hand.
    pub(crate) fn integer(&mut self) -> Result<i64, JsonError> {
        self.skip_ws();
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        self.pos += usize::from(negative);
        let digits = self.pos;
        // i64::MIN's magnitude is one more than i64::MAX's.
        let limit = i64::MAX as u64 + u64::from(negative);
        // The magnitude; past the limit it stays past it (a comparison, not a checked multiply,
        // which is a 128-bit one in Wasm).
        let mut n = 0u64;
        while let Some(b @ b'0'..=b'9') = self.peek() {
            n = if n > limit / 10 {
                limit + 1
            } else {
                n * 10 + u64::from(b - b'0')
            };
            self.pos += 1;
        }
        if self.pos == digits || n > limit {
            return Err(JsonError::Syntax(start));
        }
        Ok(if negative {
            (n as i64).wrapping_neg()
        } else {
            n as i64
        })
    }

    /// A string, as a `String` (the server's side: its input was a `&str`, so the bytes
    /// decoded from it are UTF-8, which `from_utf8` checks again rather than assumes).
    pub(crate) fn string(&mut self) -> Result<String, JsonError> {
        let mut out = Vec::new();
        self.string_into(&mut out)?;
        String::from_utf8(out).map_err(|_| JsonError::Syntax(self.pos))
    }

    /// A string, its UTF-8 appended to `out` (runs between escapes copied as they are).
    pub(crate) fn string_into(&mut self, out: &mut Vec<u8>) -> Result<(), JsonError> {
        self.open(b'"')?;
        loop {
            // Copy the run of plain characters up to the next quote, backslash or control.
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.extend_from_slice(self.input.get(start..self.pos).unwrap_or_default());
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(out)?;
                }
                // A raw control character, or the end of the input inside the string.
                _ => return Err(JsonError::Syntax(self.pos)),
            }
        }
    }

    /// One escape, the backslash already consumed.
    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), JsonError> {
        let at = self.pos;
        let c = match self.peek() {
            Some(b @ (b'"' | b'\\' | b'/')) => b,
            Some(b'b') => 0x08,
            Some(b'f') => 0x0c,
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            Some(b'u') => {
                self.pos += 1;
                let unit = self.hex4()?;
                let c = self.code_point(unit);
                push_utf8(c, out);
                return Ok(());
            }
            _ => return Err(JsonError::Syntax(at)),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    /// The code point for UTF-16 code unit `unit`, reading its low surrogate if it is a high
    /// one; a lone surrogate is U+FFFD.
    fn code_point(&mut self, unit: u16) -> u32 {
        const REPLACEMENT: u32 = 0xfffd;
        match unit {
            0xd800..=0xdbff => {
                let rest = self.input.get(self.pos..).unwrap_or_default();
                if let [b'\\', b'u', a, b, c, d, ..] = *rest {
                    if let Some(low @ 0xdc00..=0xdfff) = parse_hex4(&[a, b, c, d]) {
                        self.pos += 6;
                        return 0x10000
                            + ((u32::from(unit) - 0xd800) << 10)
                            + (u32::from(low) - 0xdc00);
                    }
                }
                REPLACEMENT
            }
            0xdc00..=0xdfff => REPLACEMENT,
            _ => u32::from(unit),
        }
    }

    fn hex4(&mut self) -> Result<u16, JsonError> {
        let unit = self
            .input
            .get(self.pos..self.pos + 4)
            .and_then(parse_hex4)
            .ok_or(JsonError::Syntax(self.pos))?;
        self.pos += 4;
        Ok(unit)
    }
}

fn parse_hex4(digits: &[u8]) -> Option<u16> {
    digits
        .iter()
        .try_fold(0u16, |acc, &d| Some((acc << 4) | u16::from(hex_value(d)?)))
}

/// The value of one hex digit (also the EventSource unescaping's, `frame`).
pub(crate) fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
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

    fn quote_bytes(b: &[u8]) -> Option<String> {
        let mut out = Vec::new();
        quote_utf8_into(b, &mut out).then(|| String::from_utf8(out).unwrap())
    }

    #[test]
    fn the_byte_quoter_quotes_as_the_str_one_and_checks_utf8() {
        let all: String = (0u32..0x11_0000).filter_map(char::from_u32).collect();
        assert_eq!(quote_bytes(all.as_bytes()), Some(quote(&all)));
        for bad in [
            &b"\x80"[..],
            b"a\xc3",
            b"\xc0\x80",
            b"\xe0\x80\x80",
            b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80",
            b"\xf8\x88\x80\x80\x80",
            b"\xff",
        ] {
            assert_eq!(quote_bytes(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn utf8_is_written_as_char_does() {
        for c in (0u32..0x11_0000).filter_map(char::from_u32) {
            let mut out = Vec::new();
            push_utf8(c as u32, &mut out);
            assert_eq!(out, c.to_string().as_bytes());
        }
    }

    #[test]
    fn integers_read_as_str_parse_does() {
        for text in [
            "0",
            "-0",
            "007",
            "-",
            "",
            "12x",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999",
        ] {
            let digits = text.trim_end_matches('x');
            let expected = digits.parse::<i64>().map_err(|_| JsonError::Syntax(0));
            assert_eq!(Parser::new(text.as_bytes()).integer(), expected, "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_byte_quoter_agrees_with_from_utf8(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..24)) {
            let expected = core::str::from_utf8(&bytes).ok().map(quote);
            proptest::prop_assert_eq!(quote_bytes(&bytes), expected);
        }

        #[test]
        fn integers_read_as_str_parse_does_for_any_digits(text in "-?[0-9]{0,24}") {
            let expected = text.parse::<i64>().map_err(|_| JsonError::Syntax(0));
            proptest::prop_assert_eq!(Parser::new(text.as_bytes()).integer(), expected);
        }

        #[test]
        fn the_byte_quoter_agrees_on_any_string(s in ".*") {
            proptest::prop_assert_eq!(quote_bytes(s.as_bytes()), Some(quote(&s)));
        }

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
            proptest::prop_assert!(!q.chars().any(|c| (c as u32) < 0x20 || escaped_by_sockjs(c as u32)));
        }
    }
}
