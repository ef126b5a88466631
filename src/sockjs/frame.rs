//! SockJS server→client frames: `o`, `h`, `a[...]` and `c[code,"reason"]`.
//!
//! Every SockJS transport carries the same frames; only the wrapping differs (a `\n` after each
//! frame on the XHR transports, `data: …\r\n\r\n` on EventSource, a script tag on htmlfile, a
//! callback call on JSONP, one WebSocket text message per frame). The wrappings the client side
//! must undo are here too: [`eventsource_unescape`].

use super::json::{self, JsonError, Parser};
use crate::prelude::*;

/// Close code sent when a second receiving request reaches a session that already has one.
pub const CODE_ANOTHER_CONNECTION: u16 = 2010;
/// Close code of an application-initiated close ("Go away!" in the test services).
pub const CODE_GO_AWAY: u16 = 3000;
/// Close code a server may answer after a receiving request was aborted by the network.
pub const CODE_INTERRUPTED: u16 = 1002;
/// Close code of a normal closure.
pub const CODE_NORMAL: u16 = 1000;

/// One SockJS frame, as the server sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SockJsFrame {
    /// `o`: the session is open.
    Open,
    /// `h`: heart-beat.
    Heartbeat,
    /// `a[...]`: a batch of messages.
    Messages(Vec<String>),
    /// `c[code,"reason"]`: the session is closed.
    Close {
        /// The close code (WebSocket-style: 1000, 2010, 3000…).
        code: u16,
        /// A human-readable reason.
        reason: String,
    },
}

/// Why a server frame could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Empty input.
    Empty,
    /// The first character is not one of `o`, `h`, `a`, `c`.
    UnknownType(char),
    /// The JSON part of an `a` or `c` frame is broken.
    Payload(#[from] JsonError),
    /// The close code does not fit a u16.
    CodeRange(i64),
}

impl FrameError {
    /// Appends the message ("unknown SockJS frame type 'x'") to `out`, without `core::fmt` (the
    /// browser client puts it in a close reason); `Display` prints the same.
    pub fn write_message(&self, out: &mut Vec<u8>) {
        match self {
            FrameError::Empty => out.extend_from_slice(b"empty SockJS frame"),
            FrameError::UnknownType(c) => {
                out.extend_from_slice(b"unknown SockJS frame type '");
                push_escaped(*c as u32, out);
                out.push(b'\'');
            }
            FrameError::Payload(err) => {
                out.extend_from_slice(b"bad SockJS frame payload: ");
                err.write_message(out);
            }
            FrameError::CodeRange(code) => {
                out.extend_from_slice(b"close code ");
                if *code < 0 {
                    out.push(b'-');
                }
                json::push_decimal(out, code.unsigned_abs());
                out.extend_from_slice(b" out of range");
            }
        }
    }
}

impl core::fmt::Display for FrameError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if let FrameError::UnknownType(c) = self {
            // The codec's escaping of its own error messages, which `push_escaped` below
            // follows for bytes (tested to agree).
            let mut s = String::from("unknown SockJS frame type '");
            crate::codec::push_escaped(*c, '\'', &mut s);
            s.push('\'');
            return f.write_str(&s);
        }
        let mut s = Vec::new();
        self.write_message(&mut s);
        f.write_str(&String::from_utf8_lossy(&s))
    }
}

/// Code point `c` as Rust's `{:?}` shows a `char` between single quotes, for the ASCII ones
/// (`\0 \t \r \n \\ \'`, `\u{..}` for other controls), any other as it is: the codec's
/// `push_escaped`, for bytes (the browser build has no `String` or `char` iteration for it).
fn push_escaped(c: u32, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = match c {
        0 => b'0',
        0x09 => b't',
        0x0d => b'r',
        0x0a => b'n',
        0x5c => b'\\',
        0x27 => b'\'',
        0..=0x1f | 0x7f => {
            out.extend_from_slice(b"\\u{");
            if c >= 0x10 {
                out.push(HEX[(c >> 4) as usize & 0xf]);
            }
            out.push(HEX[c as usize & 0xf]);
            out.push(b'}');
            return;
        }
        _ => return json::push_utf8(c, out),
    };
    out.extend_from_slice(&[b'\\', short]);
}

impl SockJsFrame {
    /// A close frame.
    pub fn close(code: u16, reason: impl Into<String>) -> SockJsFrame {
        SockJsFrame::Close {
            code,
            reason: reason.into(),
        }
    }

    /// Appends the frame's wire form (without any transport wrapping) to `out`.
    pub fn encode_into(&self, out: &mut String) {
        match self {
            SockJsFrame::Open => out.push('o'),
            SockJsFrame::Heartbeat => out.push('h'),
            SockJsFrame::Messages(messages) => encode_messages_into(messages, out),
            SockJsFrame::Close { code, reason } => encode_close_into(*code, reason, out),
        }
    }

    /// The frame's wire form (without any transport wrapping).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        self.encode_into(&mut out);
        out
    }

    /// Parses one frame (the client side). Transport wrapping must already be removed; a
    /// trailing `\n` (XHR transports) is tolerated. As in sockjs-client, whatever follows `o`
    /// or `h` is ignored: the xhr-streaming prelude (2048 `h`) is a heart-beat.
    pub fn parse(input: &str) -> Result<SockJsFrame, FrameError> {
        let mut messages = Vec::new();
        let mut reason = Vec::new();
        let kind = parse_frame(input.as_bytes(), &mut reason, |p| {
            messages.push(p.string()?);
            Ok(())
        })?;
        Ok(match kind {
            FrameKind::Open => SockJsFrame::Open,
            FrameKind::Heartbeat => SockJsFrame::Heartbeat,
            FrameKind::Messages => SockJsFrame::Messages(messages),
            FrameKind::Close(code) => SockJsFrame::Close {
                code,
                // Decoded from a `&str`: UTF-8 (see `Parser::string`).
                reason: String::from_utf8(reason).map_err(|_| JsonError::Syntax(0))?,
            },
        })
    }
}

/// Which frame [`parse_frame`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameKind {
    Open,
    Heartbeat,
    /// `a[...]`: its messages went to the caller's `message`.
    Messages,
    /// `c[code,"reason"]`: the reason went to the caller's buffer.
    Close(u16),
}

/// The grammar of a server frame, from bytes, for [`SockJsFrame::parse`] and the browser
/// client (which writes each message where it goes, with no `Vec<String>`): `message` reads
/// each element of an `a` frame ([`Parser::string`] or [`Parser::string_into`]), a close
/// reason is appended to `reason`. Nothing is consumed after an error, but `message` may have
/// been called for the elements before it.
pub(crate) fn parse_frame(
    input: &[u8],
    reason: &mut Vec<u8>,
    message: impl FnMut(&mut Parser<'_>) -> Result<(), JsonError>,
) -> Result<FrameKind, FrameError> {
    // Not `strip_suffix`: it brings a panicking `split_at` to the browser build.
    let end = input.len() - usize::from(input.last() == Some(&b'\n'));
    let input = input.get(..end).unwrap_or_default();
    let Some((&kind, rest)) = input.split_first() else {
        return Err(FrameError::Empty);
    };
    match kind {
        b'o' => Ok(FrameKind::Open),
        b'h' => Ok(FrameKind::Heartbeat),
        b'a' => {
            json::decode_array(rest, message)?;
            Ok(FrameKind::Messages)
        }
        b'c' => {
            let mut p = Parser::new(rest);
            p.expect(b'[')?;
            let code = p.integer()?;
            p.expect(b',')?;
            p.string_into(reason)?;
            p.expect(b']')?;
            p.finish()?;
            let code = u16::try_from(code).map_err(|_| FrameError::CodeRange(code))?;
            Ok(FrameKind::Close(code))
        }
        _ => Err(FrameError::UnknownType(first_char(input))),
    }
}

/// The first character of UTF-8 `bytes` (U+FFFD if they do not start with one): decoded by
/// hand, for the error message only.
fn first_char(bytes: &[u8]) -> char {
    let Some((&b, rest)) = bytes.split_first() else {
        return char::REPLACEMENT_CHARACTER;
    };
    let n = b.leading_ones() as usize;
    let mut c = u32::from(b) & (0x7f >> n);
    for &next in rest.iter().take(n.saturating_sub(1)) {
        c = (c << 6) | u32::from(next & 0x3f);
    }
    char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// Appends `a[...]` for `messages` to `out`.
pub fn encode_messages_into<S: AsRef<str>>(messages: &[S], out: &mut String) {
    out.push('a');
    json::encode_string_array_into(messages, out);
}

/// Appends `c[code,"reason"]` to `out`.
pub fn encode_close_into(code: u16, reason: &str, out: &mut String) {
    out.push_str("c[");
    // Not `code.to_string()`: the Wasm client would carry `core::fmt` for it.
    out.push_str(crate::codec::decimal(u64::from(code), &mut [0; 20]));
    out.push(',');
    json::quote_into(reason, out);
    out.push(']');
}

/// Takes the complete `\n`-terminated frames of a growing XHR response text (xhr-streaming,
/// xhr-polling) past `*offset`, and advances `*offset` past them. An incomplete last line is
/// left for the next call, when more text has arrived.
pub fn take_line_frames(text: &str, offset: &mut usize) -> Vec<Result<SockJsFrame, FrameError>> {
    let mut frames = Vec::new();
    while let Some(rest) = text.get(*offset..) {
        let Some(end) = rest.find('\n') else {
            break;
        };
        let line = rest.get(..end).unwrap_or_default();
        *offset += end + 1;
        if !line.is_empty() {
            frames.push(SockJsFrame::parse(line));
        }
    }
    frames
}

/// Escapes a frame for an EventSource `data:` line: `%`, `\r`, `\n` and NUL become `%25`,
/// `%0D`, `%0A`, `%00` (the client applies `decodeURI`). Frames are JSON, so in practice only
/// `%` occurs; the others are escaped so a line can never be split.
pub fn eventsource_escape(frame: &str) -> String {
    let mut out = String::with_capacity(frame.len());
    for c in frame.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            '\0' => out.push_str("%00"),
            c => out.push(c),
        }
    }
    out
}

/// Undoes [`eventsource_escape`] (and any other `%XX` escape of an ASCII byte, as the
/// `decodeURI` a browser client applies). A `%` not followed by two hex digits stays as it is.
pub fn eventsource_unescape(data: &str) -> String {
    let mut bytes = data.as_bytes().to_vec();
    let len = eventsource_unescape_in_place(&mut bytes);
    bytes.truncate(len);
    // Only ASCII escapes were replaced, by ASCII bytes: still UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// [`eventsource_unescape`] in place: returns the length of the result, which is never longer.
/// The browser client unescapes in the buffer JavaScript wrote the data to.
pub fn eventsource_unescape_in_place(data: &mut [u8]) -> usize {
    let (mut from, mut to) = (0, 0);
    while let Some(&b) = data.get(from) {
        let mut out = b;
        from += 1;
        if b == b'%' {
            let hex = data.get(from..from + 2).and_then(|h| {
                let (hi, lo) = (json::hex_value(*h.first()?)?, json::hex_value(*h.get(1)?)?);
                Some((hi << 4) | lo)
            });
            if let Some(byte) = hex.filter(u8::is_ascii) {
                out = byte;
                from += 2;
            }
        }
        if let Some(slot) = data.get_mut(to) {
            *slot = out;
        }
        to += 1;
    }
    to
}

// Native only: the property tests use proptest, which does not build for wasm32.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn encodes_every_frame_kind() {
        assert_eq!(SockJsFrame::Open.encode(), "o");
        assert_eq!(SockJsFrame::Heartbeat.encode(), "h");
        assert_eq!(
            SockJsFrame::Messages(vec!["a".into(), "b\"".into()]).encode(),
            r#"a["a","b\""]"#
        );
        assert_eq!(
            SockJsFrame::close(3000, "Go away!").encode(),
            r#"c[3000,"Go away!"]"#
        );
        assert_eq!(
            SockJsFrame::close(2010, "Another connection still open").encode(),
            r#"c[2010,"Another connection still open"]"#
        );
    }

    #[test]
    fn parses_what_it_encodes() {
        for f in [
            SockJsFrame::Open,
            SockJsFrame::Heartbeat,
            SockJsFrame::Messages(vec![]),
            SockJsFrame::Messages(vec!["x\n\u{2028}".into(), "".into()]),
            SockJsFrame::close(1002, "Connection interrupted"),
        ] {
            assert_eq!(SockJsFrame::parse(&f.encode()).unwrap(), f);
            assert_eq!(SockJsFrame::parse(&(f.encode() + "\n")).unwrap(), f);
        }
        assert_eq!(
            SockJsFrame::parse(r#"c[ 3000 , "Go away!" ]"#).unwrap(),
            SockJsFrame::close(3000, "Go away!")
        );
    }

    #[test]
    fn the_message_bytes_read_as_display() {
        for c in (0u8..128).map(char::from).chain(['é', '€', '\u{85}', '😀']) {
            let e = FrameError::UnknownType(c);
            let mut bytes = Vec::new();
            e.write_message(&mut bytes);
            assert_eq!(String::from_utf8(bytes).unwrap(), e.to_string());
        }
    }

    #[test]
    fn error_messages_read_as_before() {
        for c in (0u8..128).map(char::from).chain(['é', '€']) {
            assert_eq!(
                FrameError::UnknownType(c).to_string(),
                format!("unknown SockJS frame type {c:?}")
            );
        }
        assert_eq!(
            FrameError::CodeRange(-70000).to_string(),
            "close code -70000 out of range"
        );
        assert_eq!(
            FrameError::Payload(JsonError::Syntax(12)).to_string(),
            "bad SockJS frame payload: broken JSON at byte 12"
        );
        assert_eq!(FrameError::Empty.to_string(), "empty SockJS frame");
    }

    #[test]
    fn rejects_bad_frames() {
        assert_eq!(SockJsFrame::parse(""), Err(FrameError::Empty));
        assert_eq!(SockJsFrame::parse("x"), Err(FrameError::UnknownType('x')));
        assert_eq!(SockJsFrame::parse("ox"), Ok(SockJsFrame::Open));
        assert_eq!(
            SockJsFrame::parse(&"h".repeat(2048)),
            Ok(SockJsFrame::Heartbeat)
        );
        assert!(matches!(
            SockJsFrame::parse("a[\"x"),
            Err(FrameError::Payload(_))
        ));
        assert!(matches!(
            SockJsFrame::parse("c[3000]"),
            Err(FrameError::Payload(_))
        ));
        assert!(matches!(
            SockJsFrame::parse("c[3000,\"a\"]x"),
            Err(FrameError::Payload(_))
        ));
        assert_eq!(
            SockJsFrame::parse("c[70000,\"a\"]"),
            Err(FrameError::CodeRange(70000))
        );
    }

    #[test]
    fn takes_complete_lines_of_a_growing_response() {
        let mut offset = 0;
        let prelude = format!("{}\n", "h".repeat(2048));
        let mut text = prelude.clone() + "o\na[\"x";
        assert_eq!(
            take_line_frames(&text, &mut offset),
            vec![Ok(SockJsFrame::Heartbeat), Ok(SockJsFrame::Open)]
        );
        assert_eq!(offset, prelude.len() + 2);
        assert!(take_line_frames(&text, &mut offset).is_empty());
        text.push_str("\"]\nc[3000,\"Go away!\"]\n");
        assert_eq!(
            take_line_frames(&text, &mut offset),
            vec![
                Ok(SockJsFrame::Messages(vec!["x".into()])),
                Ok(SockJsFrame::close(3000, "Go away!"))
            ]
        );
        assert_eq!(offset, text.len());
        assert!(matches!(
            take_line_frames("q\n", &mut 0)[..],
            [Err(FrameError::UnknownType('q'))]
        ));
    }

    #[test]
    fn eventsource_escaping_round_trips() {
        let s = "a[\"100% \\u0000 %41\"]\r\n\0%";
        let e = eventsource_escape(s);
        assert!(!e.contains(['\r', '\n', '\0']));
        assert_eq!(e, "a[\"100%25 \\u0000 %2541\"]%0D%0A%00%25");
        assert_eq!(eventsource_unescape(&e), s);
        assert_eq!(eventsource_unescape("%zz %4"), "%zz %4");
        assert_eq!(eventsource_unescape("żółć%25"), "żółć%");
        assert_eq!(eventsource_unescape("%41%4"), "A%4");
        assert_eq!(
            eventsource_unescape("%C3%A9%7e"),
            "%C3%A9~",
            "only ASCII bytes are unescaped"
        );
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(input in ".*") {
            let _ = SockJsFrame::parse(&input);
        }

        #[test]
        fn eventsource_escaping_round_trips_anything(s in ".*") {
            proptest::prop_assert_eq!(eventsource_unescape(&eventsource_escape(&s)), s);
        }
    }
}
