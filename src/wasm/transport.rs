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
//! discarded can never call back into a session that has moved on. Incoming messages go through
//! `bridge.js`, which writes them straight into a buffer here: one call per message.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, WebSocket};

use super::event::{close_event, Sink, TransportEvent};
use super::js;
use super::sockjs::{SharedPlan, SockJsHandle, SockJsTransport};
use crate::sockjs::client::TransportKind;

#[wasm_bindgen(module = "/src/wasm/bridge.js")]
extern "C" {
    /// Hooks `socket.onmessage`: see `bridge.js`.
    type Receiver;

    #[wasm_bindgen(constructor)]
    fn new(socket: &JsValue, memory: &JsValue, reserve: &Function, received: &Function)
        -> Receiver;

    #[wasm_bindgen(method)]
    fn detach(this: &Receiver);
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

    /// SockJS carries strings only: the session writes binary bodies as base64 over it.
    pub(crate) fn is_sockjs(&self) -> bool {
        matches!(self, Transport::SockJs { .. })
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
    /// Sends one transport message (see [`send`]); over SockJS it is text (see
    /// [`Transport::is_sockjs`]).
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

/// One socket and the handlers hooked onto it.
pub(crate) struct WebSocketTransport {
    socket: WebSocket,
    receiver: Receiver,
    _on_open: Closure<dyn FnMut(JsValue)>,
    _reserve: Closure<dyn FnMut(u32) -> u32>,
    _received: Closure<dyn FnMut(u32)>,
    _on_close: Closure<dyn FnMut(JsValue)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
    /// Set by the close event and on drop: no close is owed to the session any more.
    closed: Rc<Cell<bool>>,
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

        // The buffer `bridge.js` writes messages into. It is never written while borrowed here:
        // the receiver holds messages back while `received` runs.
        let buffer = Rc::new(RefCell::new(Vec::<u8>::new()));
        let b = buffer.clone();
        let reserve = Closure::<dyn FnMut(u32) -> u32>::new(move |capacity: u32| {
            let Ok(mut buf) = b.try_borrow_mut() else {
                return 0;
            };
            let capacity = capacity as usize;
            if buf.len() < capacity {
                buf.resize(capacity, 0);
            }
            buf.as_mut_ptr() as u32
        });
        let s = sink.clone();
        let received = Closure::<dyn FnMut(u32)>::new(move |length: u32| {
            if let Ok(buf) = buffer.try_borrow() {
                if let Some(data) = buf.get(..length as usize) {
                    s(TransportEvent::Data(data));
                }
            }
        });

        let closed = Rc::new(Cell::new(false));
        let s = sink.clone();
        let c = closed.clone();
        let on_close = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
            c.set(true);
            let code = js::get_f64(&ev, "code").unwrap_or(1006.0) as u16;
            let reason = js::get(&ev, "reason").as_string().unwrap_or_default();
            s(TransportEvent::Close {
                code,
                reason,
                event: ev,
            })
        });

        let s = sink;
        let c = closed.clone();
        let target = socket.clone();
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
            s(TransportEvent::Error(ev));
            // WebKit fails a socket to a port browsers refuse (fetch's "bad ports", e.g. 9) with
            // an error event alone, its readyState left at CONNECTING: no close event follows,
            // and the session would wait for one forever instead of reconnecting. (The standard
            // sets CLOSED before the error and fires close in the same task.) Such a close is
            // reported here, once the task that would have carried it is over.
            if js::get_f64(&target, "readyState") == Some(f64::from(WebSocket::CONNECTING)) {
                let (s, c) = (s.clone(), c.clone());
                gloo_timers::callback::Timeout::new(0, move || {
                    if !c.replace(true) {
                        s(TransportEvent::Close {
                            code: 1006,
                            reason: String::new(),
                            event: close_event(1006, ""),
                        })
                    }
                })
                .forget();
            }
        });

        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        let receiver = Receiver::new(
            &socket,
            &wasm_bindgen::memory(),
            reserve.as_ref().unchecked_ref(),
            received.as_ref().unchecked_ref(),
        );
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        socket.set_onerror(Some(on_error.as_ref().unchecked_ref()));

        WebSocketTransport {
            socket,
            receiver,
            _on_open: on_open,
            _reserve: reserve,
            _received: received,
            _on_close: on_close,
            _on_error: on_error,
            closed,
        }
    }

    /// The socket object as the user sees it (`client.webSocket`).
    pub(crate) fn socket(&self) -> &WebSocket {
        &self.socket
    }
}

impl Drop for WebSocketTransport {
    fn drop(&mut self) {
        self.closed.set(true);
        self.socket.set_onopen(None);
        self.receiver.detach();
        self.socket.set_onclose(None);
        self.socket.set_onerror(None);
    }
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
