//! Binary STOMP bodies over SockJS.
//!
//! SockJS only carries strings, and sockjs-client cannot send binary at all, so a STOMP frame
//! whose body is not valid UTF-8 cannot travel as is. Both ends of stomp-wasm agree on this
//! encoding (documented in docs/SOCKJS.md):
//!
//! - The sender, on a SockJS string transport only, replaces a non-UTF-8 body by its standard
//!   base64 (RFC 4648, with `=` padding) and adds the header
//!   `content-transfer-encoding:base64`. Text bodies are sent unchanged, so peers that do not
//!   know the convention (stompjs over sockjs-client, Spring) interoperate for all text traffic.
//! - The receiver, seeing that header, decodes the body back, removes the header and corrects
//!   `content-length` if present.
//!
//! The encoder writes the true `content-length` of whatever body it is given, so no length
//! bookkeeping is needed on the sending side.

use crate::prelude::*;
use bytes::Bytes;

use crate::frame::Frame;

/// The header announcing a base64 body.
pub const TRANSFER_ENCODING_HEADER: &str = "content-transfer-encoding";
/// Its value.
pub const BASE64: &str = "base64";

/// A `content-transfer-encoding:base64` body that is not valid base64.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid base64 body at byte {0}")]
pub struct Base64Error(pub usize);

/// Prepares `frame` for a string-only transport: a body that is not UTF-8 becomes base64 with
/// the announcing header. Returns `None` when the frame can travel unchanged.
pub fn encode_body_for_text(frame: &Frame) -> Option<Frame> {
    if core::str::from_utf8(&frame.body).is_ok() {
        return None;
    }
    let mut encoded = frame.clone();
    encoded.body = Bytes::from(base64_encode(&frame.body));
    encoded.headers.set(TRANSFER_ENCODING_HEADER, BASE64);
    Some(encoded)
}

/// Undoes [`encode_body_for_text`] on a received frame. Frames without the header are returned
/// unchanged.
pub fn decode_body_from_text(mut frame: Frame) -> Result<Frame, Base64Error> {
    if frame.headers.get(TRANSFER_ENCODING_HEADER) != Some(BASE64) {
        return Ok(frame);
    }
    let body = base64_decode(&frame.body)?;
    frame.headers.remove(TRANSFER_ENCODING_HEADER);
    if frame.headers.contains("content-length") {
        let mut digits = [0; 20];
        let length = crate::codec::decimal(body.len() as u64, &mut digits);
        frame.headers.set("content-length", length.to_owned());
    }
    frame.body = Bytes::from(body);
    Ok(frame)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = Vec::new();
    base64_encode_into(data, &mut out);
    // Only ASCII was written.
    String::from_utf8(out).unwrap_or_default()
}

/// [`base64_encode`] appended to `out`: what the client's session writes into a frame.
pub fn base64_encode_into(data: &[u8], out: &mut Vec<u8>) {
    out.reserve(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let mut n = 0u32;
        for (i, &b) in chunk.iter().enumerate() {
            n |= u32::from(b) << (16 - 8 * i);
        }
        for i in 0..4 {
            crate::codec::push_byte(
                out,
                if i <= chunk.len() {
                    ALPHABET[(n >> (18 - 6 * i)) as usize & 63]
                } else {
                    b'='
                },
            );
        }
    }
}

fn sextet(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// Standard base64, padding required (the form [`base64_encode`] writes).
pub fn base64_decode(text: &[u8]) -> Result<Vec<u8>, Base64Error> {
    if text.len() & 3 != 0 {
        return Err(Base64Error(text.len()));
    }
    let pad = text.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 {
        return Err(Base64Error(text.len() - pad));
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    // Six bits per character into an accumulator, a byte out whenever eight are there.
    let (mut acc, mut bits) = (0u32, 0);
    for (i, &c) in text.iter().take(text.len() - pad).enumerate() {
        acc = (acc << 6) | sextet(c).ok_or(Base64Error(i))?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            crate::codec::push_byte(&mut out, (acc >> bits) as u8);
        }
    }
    Ok(out)
}

// Native only: the property tests use proptest, which does not build for wasm32.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::frame::Command;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(plain.as_bytes()), enc);
            assert_eq!(base64_decode(enc.as_bytes()).unwrap(), plain.as_bytes());
        }
        assert_eq!(base64_encode(&[0xff, 0xfe, 0x00]), "//4A");
    }

    #[test]
    fn base64_round_trips_all_lengths_and_bytes() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        for len in 0..70 {
            assert_eq!(
                base64_decode(base64_encode(&data[..len]).as_bytes()).unwrap(),
                &data[..len]
            );
        }
        assert_eq!(
            base64_decode(base64_encode(&data).as_bytes()).unwrap(),
            data
        );
    }

    #[test]
    fn base64_rejects_garbage() {
        assert_eq!(base64_decode(b"abc"), Err(Base64Error(3)));
        assert_eq!(base64_decode(b"ab!d"), Err(Base64Error(2)));
        assert!(base64_decode(b"a===").is_err());
        assert!(base64_decode(b"Zg==Zg==").is_err());
    }

    #[test]
    fn text_bodies_travel_unchanged() {
        let f = Frame::new(Command::Send)
            .header("destination", "/q")
            .body("héllo\0");
        assert_eq!(encode_body_for_text(&f), None);
        assert_eq!(decode_body_from_text(f.clone()).unwrap(), f);
    }

    #[test]
    fn binary_bodies_round_trip_through_base64() {
        let body = Bytes::from_static(&[0xff, 0x00, 0xc3, 0x28, b'a']);
        let f = Frame::new(Command::Message)
            .header("destination", "/q")
            .header("content-length", "5")
            .body(body.clone());
        let enc = encode_body_for_text(&f).unwrap();
        assert_eq!(enc.get(TRANSFER_ENCODING_HEADER), Some(BASE64));
        assert_eq!(&enc.body[..], b"/wDDKGE=");
        let dec = decode_body_from_text(enc).unwrap();
        assert_eq!(dec.body, body);
        assert_eq!(dec.get(TRANSFER_ENCODING_HEADER), None);
        assert_eq!(dec.get("content-length"), Some("5"));
        assert_eq!(dec.get("destination"), Some("/q"));
    }

    #[test]
    fn broken_base64_body_is_an_error() {
        let f = Frame::new(Command::Send)
            .header(TRANSFER_ENCODING_HEADER, BASE64)
            .body("not base64!");
        assert!(decode_body_from_text(f).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_round_trip(data in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            proptest::prop_assert_eq!(base64_decode(base64_encode(&data).as_bytes()).unwrap(), data.clone());
            let f = Frame::new(Command::Send).header("destination", "/q").body(data.clone());
            let travelled = encode_body_for_text(&f).unwrap_or_else(|| f.clone());
            proptest::prop_assert!(core::str::from_utf8(&travelled.body).is_ok());
            proptest::prop_assert_eq!(decode_body_from_text(travelled).unwrap(), f);
        }

        #[test]
        fn decoding_garbage_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = base64_decode(&data);
        }
    }
}
