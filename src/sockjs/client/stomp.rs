//! STOMP bytes ⇄ SockJS message strings.
//!
//! SockJS messages are strings. STOMP frames with UTF-8 bodies travel unchanged; a frame whose
//! body is not UTF-8 gets the `content-transfer-encoding:base64` convention of
//! [`binary`](crate::sockjs::binary) on the way out and loses it on the way in, so the STOMP
//! session above only ever sees the original bytes. Frames are re-encoded with the one codec,
//! and only when the convention applies.

use crate::prelude::*;

use crate::codec::{Encoder, FrameView, Limits, ViewDecoder, Viewed};
use crate::sockjs::binary::{self, BASE64, TRANSFER_ENCODING_HEADER};

/// Outgoing bytes that are neither UTF-8 nor whole STOMP frames (cannot be carried by SockJS).
/// Holds its whole message, built without `core::fmt` (the browser build throws it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OutgoingError(String);

impl OutgoingError {
    /// "a binary STOMP frame could not be prepared for SockJS: " and what `why` appends.
    fn new(why: impl FnOnce(&mut String)) -> OutgoingError {
        let mut message = String::from("a binary STOMP frame could not be prepared for SockJS: ");
        why(&mut message);
        OutgoingError(message)
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.0
    }
}

/// Decoder limits for re-encoding: the session already bounded what it sends and what the
/// transport accepted, so the frame size is the only cap.
fn limits(len: usize) -> Limits {
    Limits {
        max_frame_size: len.saturating_add(1),
        max_body: len.saturating_add(1),
        ..Limits::default()
    }
}

/// The SockJS message for one outgoing transport message of the STOMP session (one or more
/// whole frames, or heart-beat EOLs).
pub fn outgoing_text(data: &[u8]) -> Result<String, OutgoingError> {
    if let Ok(text) = core::str::from_utf8(data) {
        return Ok(text.to_owned());
    }
    // The client's decoder (the one grammar, as views): the session's frames, taken apart.
    let mut decoder = ViewDecoder::new(limits(data.len()));
    decoder.feed(data);
    let mut out = Vec::with_capacity(data.len() * 4 / 3 + 64);
    loop {
        match decoder.decode() {
            Ok(Some(Viewed::Frame(frame))) => {
                let body = frame.body();
                if core::str::from_utf8(body).is_ok() {
                    reencode(&frame, body, None, &mut out);
                } else {
                    let base64 = binary::base64_encode(body);
                    let header = (TRANSFER_ENCODING_HEADER, BASE64);
                    reencode(&frame, base64.as_bytes(), Some(header), &mut out);
                }
            }
            Ok(Some(Viewed::Heartbeat)) => out.push(b'\n'),
            Ok(None) => break,
            Err(err) => return Err(OutgoingError::new(|m| err.write_message(m))),
        }
    }
    if decoder.buffered() > 0 {
        return Err(OutgoingError::new(|m| m.push_str("an incomplete frame")));
    }
    String::from_utf8(out).map_err(|_| OutgoingError::new(|m| m.push_str("headers are not UTF-8")))
}

/// The STOMP bytes of one incoming SockJS message. Only a message whose header block announces
/// `content-transfer-encoding:base64` is decoded and re-encoded; a body that is not valid base64
/// is passed on unchanged.
pub fn incoming_bytes(message: String) -> Vec<u8> {
    if !announces_base64(&message) {
        return message.into_bytes();
    }
    let data = message.into_bytes();
    let mut decoder = ViewDecoder::new(limits(data.len()));
    decoder.feed(&data);
    let mut out = Vec::with_capacity(data.len());
    loop {
        match decoder.decode() {
            Ok(Some(Viewed::Frame(frame)))
                if frame.get(TRANSFER_ENCODING_HEADER) == Some(BASE64) =>
            {
                match binary::base64_decode(frame.body()) {
                    Ok(body) => reencode(&frame, &body, None, &mut out),
                    Err(_) => return data,
                }
            }
            Ok(Some(Viewed::Frame(frame))) => reencode(&frame, frame.body(), None, &mut out),
            Ok(Some(Viewed::Heartbeat)) => out.push(b'\n'),
            Ok(None) => break,
            Err(_) => return data,
        }
    }
    // Not whole frames: let the session's own decoder see (and report) the original.
    if decoder.buffered() == 0 {
        out
    } else {
        data
    }
}

/// `frame` encoded again with `body`, without a `content-transfer-encoding` header of its own
/// and with `extra` last; the encoder writes the body's true `content-length`.
fn reencode(frame: &FrameView, body: &[u8], extra: Option<(&str, &str)>, out: &mut Vec<u8>) {
    let headers = frame
        .headers()
        .filter(|&(name, _)| name != TRANSFER_ENCODING_HEADER)
        .chain(extra);
    Encoder::default().encode_parts(frame.command, headers, body, out);
}

/// Whether a header line `content-transfer-encoding:base64` appears in a header block of the
/// message (cheap scan; the decode that follows is the real check).
fn announces_base64(message: &str) -> bool {
    // Line by line with memchr rather than `str::contains`, whose substring searcher weighs
    // more than a kilobyte in the Wasm build.
    let bytes = message.as_bytes();
    memchr::memchr_iter(b'\n', bytes).any(|nl| {
        bytes[nl + 1..]
            .strip_prefix(TRANSFER_ENCODING_HEADER.as_bytes())
            .and_then(|rest| rest.strip_prefix(b":"))
            .is_some_and(|rest| rest.starts_with(BASE64.as_bytes()))
    })
}
