//! What a transport (a WebSocket, or a SockJS connection) reports to the driver, and the sink
//! it reports through. Its own module so the transports and the driver depend on it, not on each
//! other.

use std::rc::Rc;

use wasm_bindgen::JsValue;

use super::js;

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

/// A close event for a transport that has none of its own to pass on (`onWebSocketClose(evt)`):
/// a plain object with CloseEvent's fields.
pub(crate) fn close_event(code: u16, reason: &str) -> JsValue {
    let event = js_sys::Object::new();
    js::set(&event, "code", &JsValue::from(code));
    js::set(&event, "reason", &JsValue::from_str(reason));
    js::set(&event, "wasClean", &JsValue::from(code == 1000));
    js::set(&event, "type", &JsValue::from_str("close"));
    event.into()
}
