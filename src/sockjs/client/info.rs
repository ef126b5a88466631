//! The `GET {base}/info` answer: `{"websocket":true,"cookie_needed":false,"origins":[…],
//! "entropy":N}`. Only the two booleans matter to a client; the rest is skipped.

use crate::prelude::*;
use crate::sockjs::json;

/// What the server said about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// WebSocket is enabled on the server (a missing key counts as disabled, as in
    /// sockjs-client).
    pub websocket: bool,
    /// The server needs its JSESSIONID cookie (sticky load balancing): requests are sent with
    /// credentials.
    pub cookie_needed: bool,
}

/// An `/info` body that is not a JSON object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SockJS /info is not a JSON object")]
pub struct InfoError;

/// Reads the booleans of an `/info` body. Keys are found at the top level of the object only
/// (a string value or a nested array cannot fake one). Bytes, as the browser client has them.
pub fn parse_info(body: &[u8]) -> Result<Info, InfoError> {
    // Trimmed of ASCII whitespace (`trim_ascii`), by positions: one helper for every trim.
    let start = skip_ws(body, 0);
    let end = body
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    let text = body.get(start..end).unwrap_or_default();
    let [b'{', .., b'}'] = text else {
        return Err(InfoError);
    };
    let mut info = Info {
        websocket: false,
        cookie_needed: false,
    };
    let mut key = Vec::new();
    let mut i = 1;
    let mut depth = 0usize;
    while let Some(&b) = text.get(i) {
        match b {
            b'"' => {
                let end = string_end(text, i).ok_or(InfoError)?;
                if depth == 0 {
                    key.clear();
                    let quoted = text.get(i..=end).unwrap_or_default();
                    json::Parser::new(quoted)
                        .string_into(&mut key)
                        .map_err(|_| InfoError)?;
                    let colon = skip_ws(text, end + 1);
                    if text.get(colon) == Some(&b':') {
                        let value = text.get(skip_ws(text, colon + 1)..).unwrap_or_default();
                        let flag = if value.starts_with(b"true") {
                            Some(true)
                        } else if value.starts_with(b"false") {
                            Some(false)
                        } else {
                            None
                        };
                        match (key.as_slice(), flag) {
                            (b"websocket", Some(v)) => info.websocket = v,
                            (b"cookie_needed", Some(v)) => info.cookie_needed = v,
                            _ => {}
                        }
                    }
                }
                i = end + 1;
            }
            b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    Ok(info)
}

/// The first position from `i` on that is not ASCII whitespace.
fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The index of the closing quote of the JSON string starting at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}
