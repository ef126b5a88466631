//! The client side of SockJS, sans-IO: which transport to use, and one SockJS connection over it.
//!
//! The browser shell (`pkg-core/js/sockjs.js` over `pkg-sockjs/`) owns the real `WebSocket`,
//! `fetch` and `EventSource` objects and a timer; everything it decides with is here, driven
//! with the caller's clock so the native tests run it with simulated time:
//!
//! - [`info`]: the `GET {base}/info` answer (`websocket`, `cookie_needed`).
//! - [`plan`]: the transports, their names, the RTT-derived timeouts, and the ordered
//!   [`TransportPlan`] that remembers the transport that last worked and when WebSocket last
//!   failed.
//! - [`connection`]: one [`SockJsConnection`]: `/info`, then the transports tried in order —
//!   WebSocket raced against the first HTTP transport after a short head start, a silent
//!   stream raced against xhr-polling — then the open
//!   session: outgoing batches with one `xhr_send` in flight, incoming streams decoded
//!   incrementally and re-opened at the server's byte limit.
//!
//! To the STOMP session a SockJS connection looks like a WebSocket that carries strings only: it
//! opens (after the SockJS `o` frame), carries messages, and closes once. Binary bodies are the
//! session's business ([`Session::transport_is_text_only`](crate::client::Session::transport_is_text_only)
//! applies the base64 convention of [`binary`](super::binary)), so this module holds no STOMP
//! codec. The transport race happens entirely before
//! the open, so CONNECT goes out on exactly one SockJS session and no STOMP frame can be lost,
//! doubled or reordered by it.

pub mod connection;
pub mod info;
pub mod plan;

#[cfg(test)]
mod tests;

pub use connection::{
    ConnAction, ConnEvent, ConnectionLimits, Frame, Out, SendError, SockJsConnection,
};
pub use info::{parse_info, Info, InfoError};
pub use plan::{
    attempt_timeout, head_start, rto, stream_head_start, TransportKind, TransportPlan, Transports,
};
