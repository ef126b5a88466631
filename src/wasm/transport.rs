//! The transports under the STOMP session: a WebSocket (a thin wrapper over any object with
//! the WebSocket interface), or a SockJS connection ([`super::sockjs`]) that reports the same
//! events.
//!
//! `webSocketFactory` may return something that is not a `WebSocket` (a SockJS instance, a test
//! fake, node's `ws`), so nothing here checks the class: the socket is driven through the
//! structural web-sys bindings (`socket.send(x)`, `socket.onmessage = f`), which work on any
//! object that has those members.
//!
//! The handlers are JS-owned closures held by the [`Transport`] that registered them (the gloo-net
//! pattern): dropping the transport unhooks them from the socket first, so a socket that has been
//! discarded can never call back into a session that has moved on.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, MessageEvent, WebSocket};

use super::js;
use super::sockjs::{SharedPlan, SockJsHandle, SockJsTransport};
use crate::sockjs::client::TransportKind;

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

/// What carries the session.
pub(crate) enum Transport {
    WebSocket(WebSocketTransport),
    SockJs {
        connection: SockJsTransport,
        /// What `client.webSocket` returns for a SockJS connection (`{url, transport}`).
        facade: JsValue,
    },
}

/// What a send or close needs of the transport, taken out of the driver's borrow.
#[derive(Clone)]
pub(crate) enum Handle {
    WebSocket(WebSocket),
    SockJs(SockJsHandle),
}

impl Transport {
    /// A SockJS connection to `base` (`http(s)://…`).
    pub(crate) fn sockjs(base: &str, plan: SharedPlan, sink: Sink) -> Transport {
        let facade: JsValue = js_sys::Object::new().into();
        js::set(&facade, "url", &JsValue::from_str(base));
        Transport::SockJs {
            connection: SockJsTransport::connect(base, plan, sink),
            facade,
        }
    }

    /// `client.webSocket`: the socket (or for SockJS, the WebSocket it runs over, else an
    /// object naming the transport).
    pub(crate) fn socket(&self) -> JsValue {
        match self {
            Transport::WebSocket(t) => t.socket().clone().into(),
            Transport::SockJs { connection, facade } => {
                if let Some(name) = connection.transport().map(TransportKind::name) {
                    js::set(facade, "transport", &JsValue::from_str(name));
                }
                connection.web_socket().unwrap_or_else(|| facade.clone())
            }
        }
    }

    /// The active transport's name (`client.transport`): `websocket` for a plain WebSocket,
    /// the SockJS transport once one carries the session.
    pub(crate) fn name(&self) -> Option<&'static str> {
        match self {
            Transport::WebSocket(_) => Some("websocket"),
            Transport::SockJs { connection, .. } => connection.transport().map(TransportKind::name),
        }
    }

    /// The negotiated WebSocket subprotocol (SockJS has none).
    pub(crate) fn protocol(&self) -> Option<String> {
        match self {
            Transport::WebSocket(t) => js::get(t.socket(), "protocol").as_string(),
            Transport::SockJs { .. } => None,
        }
        .filter(|p| !p.is_empty())
    }

    pub(crate) fn handle(&self) -> Handle {
        match self {
            Transport::WebSocket(t) => Handle::WebSocket(t.socket().clone()),
            Transport::SockJs { connection, .. } => Handle::SockJs(connection.handle()),
        }
    }
}

impl Handle {
    /// Sends one transport message (see [`send`]); SockJS turns binary bodies into base64.
    pub(crate) fn send(&self, data: &[u8], binary: bool) -> Result<(), JsValue> {
        match self {
            Handle::WebSocket(socket) => send(socket, data, binary),
            Handle::SockJs(h) => h.send(data),
        }
    }

    pub(crate) fn close(&self) {
        match self {
            Handle::WebSocket(socket) => close(socket),
            Handle::SockJs(h) => h.close(),
        }
    }
}

/// Where a transport delivers its events.
pub(crate) type Sink = Rc<dyn Fn(TransportEvent<'_>)>;

/// One socket and the handlers hooked onto it.
pub(crate) struct WebSocketTransport {
    socket: WebSocket,
    _on_open: Closure<dyn FnMut(JsValue)>,
    _on_message: Closure<dyn FnMut(JsValue)>,
    _on_close: Closure<dyn FnMut(JsValue)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

impl WebSocketTransport {
    /// Hooks `sink` onto `socket`.
    pub(crate) fn attach(socket: JsValue, sink: Sink) -> WebSocketTransport {
        let socket: WebSocket = socket.unchecked_into();
        // Only a real binaryType setter matters; on objects without one this adds a harmless
        // property.
        if js::has(&socket, "binaryType") {
            socket.set_binary_type(BinaryType::Arraybuffer);
        }

        let s = sink.clone();
        let on_open =
            Closure::<dyn FnMut(JsValue)>::new(move |_ev: JsValue| s(TransportEvent::Open));

        let s = sink.clone();
        let scratch = RefCell::new(Vec::<u8>::new());
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
            // The structural getter (`ev.data`): no property-name string crosses the boundary.
            let data = ev.unchecked_ref::<MessageEvent>().data();
            let mut buf = match scratch.try_borrow_mut() {
                Ok(buf) => buf,
                // Re-entered from inside our own delivery (a fake socket echoing synchronously):
                // use a fresh buffer rather than fail.
                Err(_) => {
                    let mut fresh = Vec::new();
                    read_message(&data, &mut fresh);
                    s(TransportEvent::Data(&fresh));
                    return;
                }
            };
            read_message(&data, &mut buf);
            let bytes = std::mem::take(&mut *buf);
            drop(buf);
            s(TransportEvent::Data(&bytes));
            if let Ok(mut buf) = scratch.try_borrow_mut() {
                *buf = bytes;
            }
        });

        let s = sink.clone();
        let on_close = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
            let code = js::get_f64(&ev, "code").unwrap_or(1006.0) as u16;
            let reason = js::get(&ev, "reason").as_string().unwrap_or_default();
            s(TransportEvent::Close {
                code,
                reason,
                event: ev,
            })
        });

        let s = sink;
        let on_error =
            Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| s(TransportEvent::Error(ev)));

        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        socket.set_onerror(Some(on_error.as_ref().unchecked_ref()));

        WebSocketTransport {
            socket,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
            _on_error: on_error,
        }
    }

    /// The socket object as the user sees it (`client.webSocket`).
    pub(crate) fn socket(&self) -> &WebSocket {
        &self.socket
    }
}

impl Drop for WebSocketTransport {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        self.socket.set_onerror(None);
    }
}

/// Reads a message's `data` (text, ArrayBuffer or a typed array) into `out`.
fn read_message(data: &JsValue, out: &mut Vec<u8>) {
    out.clear();
    if let Some(text) = data.as_string() {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    let view = if data.is_instance_of::<ArrayBuffer>() {
        Uint8Array::new(data)
    } else if ArrayBuffer::is_view(data) {
        let buffer = js::get(data, "buffer");
        let offset = js::get_f64(data, "byteOffset").unwrap_or(0.0) as u32;
        let len = js::get_f64(data, "byteLength").unwrap_or(0.0) as u32;
        Uint8Array::new_with_byte_offset_and_length(&buffer, offset, len)
    } else {
        // A Blob cannot be read synchronously; binaryType='arraybuffer' avoids them.
        return;
    };
    let len = view.length() as usize;
    out.resize(len, 0);
    view.copy_to(&mut out[..]);
}

/// Sends one transport message: text (`data` is UTF-8, checked again here since a text
/// WebSocket message must be) or binary. Errors (socket not open) come back as the thrown value.
pub(crate) fn send(socket: &WebSocket, data: &[u8], binary: bool) -> Result<(), JsValue> {
    if !binary {
        if let Ok(text) = std::str::from_utf8(data) {
            return socket.send_with_str(text);
        }
    }
    // A copy, not a view into Wasm memory: a duck-typed socket may keep the array.
    let copy = Uint8Array::from(data);
    socket.send_with_array_buffer_view(&copy)
}

/// `socket.close()`, ignoring a throw (already closed, or an object without `close`).
pub(crate) fn close(socket: &WebSocket) {
    if js::get(socket, "close").is_function() {
        socket.close().ok();
    }
}

/// `new WebSocket(url, protocols)`.
pub(crate) fn open_websocket(url: &str, protocols: &[&str]) -> Result<JsValue, JsValue> {
    let list = js_sys::Array::new();
    for p in protocols {
        list.push(&JsValue::from_str(p));
    }
    WebSocket::new_with_str_sequence(url, &list).map(Into::into)
}
