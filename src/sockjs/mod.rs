//! SockJS 0.3.3 framing, shared by the server and the browser client's fallback transports.
//!
//! Plain Rust, no I/O: it builds natively and for wasm32.
//!
//! - [`json`]: the JSON subset SockJS uses (strings and arrays of strings), with the escaping
//!   of the code points the protocol lists.
//! - [`frame`]: the server→client frames `o`, `h`, `a[...]`, `c[code,"reason"]`, and the
//!   EventSource line escaping.
//! - [`binary`]: the base64 convention that carries binary STOMP bodies over SockJS's
//!   string-only transports.

pub mod binary;
pub mod client;
pub mod frame;
pub mod json;

pub use binary::{decode_body_from_text, encode_body_for_text, Base64Error};
pub use frame::{FrameError, SockJsFrame};
pub use json::{decode_string, decode_string_array, quote, JsonError};
