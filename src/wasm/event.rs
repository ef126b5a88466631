//! What a transport (a WebSocket, or a SockJS connection) reports to the driver, and the sink
//! it reports through. Its own module so the transports and the driver depend on it, not on each
//! other.

use std::rc::Rc;

use wasm_bindgen::JsValue;

/// What the socket reported. Data borrows the transport's receive buffer.
pub(crate) enum TransportEvent<'a> {
    Open,
    Data(&'a [u8]),
    /// The `close` event: code, reason, and the event itself for `onWebSocketClose`.
    Close {
        code: u16,
        reason: String,
        event: JsValue,
    },
    /// The `error` event, for `onWebSocketError`.
    Error(JsValue),
    /// A line for the `debug` callback (which SockJS transport is tried, which one won).
    Debug(String),
}

/// Where a transport delivers its events.
pub(crate) type Sink = Rc<dyn Fn(TransportEvent<'_>)>;
