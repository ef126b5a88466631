//! The legacy hixie-76 WebSocket protocol (draft-hixie-thewebsocketprotocol-76), which
//! sockjs-node still answers and the SockJS protocol suite checks (its `test_haproxy`).
//!
//! The handshake answer is the MD5 of two 32-bit numbers derived from the
//! `Sec-WebSocket-Key1`/`Key2` headers and the 8 bytes (key3) the client sends after its
//! headers. HAProxy forwards key3 only after it has seen the response headers, so the server
//! must answer headers first and read key3 afterwards — which is how [`super::websocket`]
//! drives it. Frames are `0x00` + UTF-8 text + `0xFF`; `0xFF 0x00` closes.

use md5::{Digest, Md5};

/// The number a `Sec-WebSocket-Key1/2` header encodes: its digits, divided by its spaces.
/// `None` if there are no spaces or the division is not exact (the draft then fails the
/// handshake).
pub fn key_number(key: &str) -> Option<u32> {
    let digits: String = key.chars().filter(char::is_ascii_digit).collect();
    let spaces = key.chars().filter(|&c| c == ' ').count() as u64;
    let n: u64 = digits.parse().ok()?;
    if spaces == 0 || (n / spaces) * spaces != n {
        return None;
    }
    u32::try_from(n / spaces).ok()
}

/// The 16-byte handshake answer.
pub fn answer(key1: &str, key2: &str, key3: &[u8; 8]) -> Option<[u8; 16]> {
    let mut md5 = Md5::new();
    md5.update(key_number(key1)?.to_be_bytes());
    md5.update(key_number(key2)?.to_be_bytes());
    md5.update(key3);
    Some(md5.finalize().into())
}

/// Appends one text frame.
pub fn encode_text(text: &str, out: &mut Vec<u8>) {
    out.push(0x00);
    out.extend_from_slice(text.as_bytes());
    out.push(0xff);
}

/// The closing handshake frame.
pub const CLOSE_FRAME: [u8; 2] = [0xff, 0x00];

/// One decoded client frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Close,
}

/// Why the client's byte stream is not acceptable.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame larger than {0} bytes")]
    TooLarge(usize),
    #[error("frame is not UTF-8 text")]
    NotText,
    #[error("unsupported frame type {0:#04x}")]
    Unsupported(u8),
}

/// Takes one complete frame off the front of `buf`, if there is one.
pub fn decode(buf: &mut Vec<u8>, max: usize) -> Result<Option<Frame>, FrameError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    match first {
        0x00 => match buf.iter().position(|&b| b == 0xff) {
            Some(end) => {
                let text =
                    String::from_utf8(buf[1..end].to_vec()).map_err(|_| FrameError::NotText)?;
                buf.drain(..=end);
                Ok(Some(Frame::Text(text)))
            }
            None if buf.len() > max => Err(FrameError::TooLarge(max)),
            None => Ok(None),
        },
        0xff => match buf.get(1) {
            Some(0x00) => {
                buf.drain(..2);
                Ok(Some(Frame::Close))
            }
            Some(_) => Err(FrameError::Unsupported(first)),
            None => Ok(None),
        },
        other => Err(FrameError::Unsupported(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_the_draft_example() {
        // The worked example of draft-hixie-thewebsocketprotocol-76, section 1.3.
        let a = answer("4 @1  46546xW%0l 1 5", "12998 5 Y3 1  .P00", b"^n:ds[4U").unwrap();
        assert_eq!(&a, b"8jKS'y:G*Co,Wxa-");
    }

    #[test]
    fn rejects_keys_without_spaces_or_inexact() {
        assert_eq!(key_number("123"), None);
        assert_eq!(key_number("1 0 0"), Some(50));
        assert_eq!(key_number("1 0 1"), None);
        assert_eq!(key_number("1 1"), Some(11));
        assert_eq!(key_number("1  1"), None);
    }

    #[test]
    fn frames_round_trip() {
        let mut out = Vec::new();
        encode_text("a[\"x\"]", &mut out);
        out.extend_from_slice(&CLOSE_FRAME);
        let mut buf = out[..3].to_vec();
        assert_eq!(decode(&mut buf, 100), Ok(None));
        buf.extend_from_slice(&out[3..]);
        assert_eq!(
            decode(&mut buf, 100),
            Ok(Some(Frame::Text("a[\"x\"]".into())))
        );
        assert_eq!(decode(&mut buf, 100), Ok(Some(Frame::Close)));
        assert!(buf.is_empty());
        let mut big = vec![0u8; 20];
        assert_eq!(decode(&mut big, 10), Err(FrameError::TooLarge(10)));
        assert_eq!(
            decode(&mut vec![0x80, 1], 10),
            Err(FrameError::Unsupported(0x80))
        );
    }
}
