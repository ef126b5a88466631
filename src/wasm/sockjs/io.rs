//! The browser objects one SockJS connection uses — `XMLHttpRequest`, `EventSource`,
//! `WebSocket` — each wrapped with the handlers it registered. Dropping a wrapper unhooks its
//! handlers and then aborts or closes the object (the gloo-net pattern), so a request the
//! connection has given up on can never report again.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;

use js_sys::JsString;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{EventSource, EventSourceInit, MessageEvent, WebSocket, XmlHttpRequest};

use crate::wasm::js;

type Handler = Closure<dyn FnMut(JsValue)>;

/// `target.on<event> = handler` (`null` for `None`). One `Reflect.set` import serves every
/// handler property of every class, where web-sys imports a setter per property and per class.
fn hook(target: &JsValue, property: &str, handler: Option<&Handler>) {
    js::set(
        target,
        property,
        handler.map_or(&JsValue::NULL, |h| h.as_ref()),
    );
}

/// What a request reports as its text arrives (a piece of text, a message).
pub(super) type OnText = Box<dyn FnMut(String)>;
/// What a request reports when it ends.
pub(super) type OnEnd = Box<dyn FnMut(XhrEnd)>;

/// Every handler has this one shape, and is boxed before it becomes a `Closure`: the
/// wasm-bindgen glue is then generated once rather than once per closure (which is what
/// `Closure::new` with each distinct closure type would do).
fn handler(f: Box<dyn FnMut(JsValue)>) -> Handler {
    Closure::wrap(f)
}

/// How an XHR ended: its status (0 for a network error, an abort or a timeout) and, for
/// requests that keep their text, the text not yet handed out.
pub(super) struct XhrEnd {
    pub status: u16,
    pub rest: String,
}

impl XhrEnd {
    /// A network error, an abort or a timeout.
    fn failed() -> XhrEnd {
        XhrEnd {
            status: 0,
            rest: String::new(),
        }
    }
}

/// One XMLHttpRequest. `on_text` receives each piece of response text as it arrives (only
/// when streaming), `on_end` the status and whatever text was not yet handed out.
pub(super) struct Xhr {
    xhr: XmlHttpRequest,
    _on_progress: Option<Handler>,
    _on_load: Handler,
    _on_error: Handler,
}

impl Xhr {
    pub(super) fn start(
        method: &str,
        url: &str,
        body: Option<&str>,
        credentials: bool,
        streaming: bool,
        mut on_text: OnText,
        on_end: OnEnd,
    ) -> Result<Xhr, JsValue> {
        let xhr = XmlHttpRequest::new()?;
        xhr.open(method, url)?;
        if credentials {
            xhr.set_with_credentials(true);
        }
        // Characters of responseText already handed out (UTF-16 units, as JavaScript counts).
        let seen = Rc::new(Cell::new(0u32));
        let new_text = {
            let xhr = xhr.clone();
            let seen = seen.clone();
            move || -> Option<String> {
                // responseText stays a JS string; only the new part crosses into Wasm.
                let text: JsString = js::get(&xhr, "responseText").dyn_into().ok()?;
                let len = text.length();
                let from = seen.get();
                if len <= from {
                    return None;
                }
                seen.set(len);
                text.substring(from, len).as_string()
            }
        };
        let on_progress = if streaming {
            let new_text = new_text.clone();
            let on_progress = handler(Box::new(move |_| {
                if let Some(text) = new_text() {
                    on_text(text);
                }
            }));
            hook(&xhr, "onprogress", Some(&on_progress));
            Some(on_progress)
        } else {
            None
        };
        let on_end = Rc::new(RefCell::new(on_end));
        let end = on_end.clone();
        let x = xhr.clone();
        let on_load = handler(Box::new(move |_| {
            let status = x.status().unwrap_or(0);
            let rest = new_text().unwrap_or_default();
            if let Ok(mut f) = end.try_borrow_mut() {
                f(XhrEnd { status, rest });
            }
        }));
        let on_error = handler(Box::new(move |_| {
            if let Ok(mut f) = on_end.try_borrow_mut() {
                f(XhrEnd::failed());
            }
        }));
        hook(&xhr, "onload", Some(&on_load));
        hook(&xhr, "onerror", Some(&on_error));
        hook(&xhr, "ontimeout", Some(&on_error));
        hook(&xhr, "onabort", Some(&on_error));
        match body {
            Some(body) => {
                xhr.set_request_header("Content-Type", "text/plain;charset=UTF-8")?;
                xhr.send_with_opt_str(Some(body))?
            }
            None => xhr.send()?,
        }
        Ok(Xhr {
            xhr,
            _on_progress: on_progress,
            _on_load: on_load,
            _on_error: on_error,
        })
    }
}

impl Drop for Xhr {
    fn drop(&mut self) {
        hook(&self.xhr, "onprogress", None);
        hook(&self.xhr, "onload", None);
        hook(&self.xhr, "onerror", None);
        hook(&self.xhr, "ontimeout", None);
        hook(&self.xhr, "onabort", None);
        // Ending the request is how the server learns the receiver is gone.
        let _ = self.xhr.abort();
    }
}

/// One EventSource. It is closed at its first error: the browser would otherwise reconnect on
/// its own, and re-opening is the connection's decision.
pub(super) struct Events {
    source: EventSource,
    _on_message: Handler,
    _on_error: Handler,
}

impl Events {
    /// `on_end(delivered)`: the stream ended; `delivered` says whether it carried any message.
    pub(super) fn start(
        url: &str,
        credentials: bool,
        mut on_message: OnText,
        mut on_end: Box<dyn FnMut(bool)>,
    ) -> Result<Events, JsValue> {
        let init = EventSourceInit::new();
        init.set_with_credentials(credentials);
        let source = EventSource::new_with_event_source_init_dict(url, &init)?;
        let delivered = Rc::new(Cell::new(false));
        let d = delivered.clone();
        let on_msg = handler(Box::new(move |ev: JsValue| {
            if let Some(data) = ev.unchecked_ref::<MessageEvent>().data().as_string() {
                d.set(true);
                on_message(data);
            }
        }));
        let s = source.clone();
        let on_error = handler(Box::new(move |_| {
            s.close();
            on_end(delivered.get());
        }));
        hook(&source, "onmessage", Some(&on_msg));
        hook(&source, "onerror", Some(&on_error));
        Ok(Events {
            source,
            _on_message: on_msg,
            _on_error: on_error,
        })
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        hook(&self.source, "onmessage", None);
        hook(&self.source, "onerror", None);
        self.source.close();
    }
}

/// One WebSocket with SockJS framing (text messages, each one SockJS frame).
pub(super) struct Socket {
    socket: WebSocket,
    _on_message: Handler,
    _on_close: Handler,
}

impl Socket {
    pub(super) fn open(
        url: &str,
        mut on_message: OnText,
        mut on_close: Box<dyn FnMut(u16, String)>,
    ) -> Result<Socket, JsValue> {
        let socket = WebSocket::new(url)?;
        let on_msg = handler(Box::new(move |ev: JsValue| {
            if let Some(text) = ev.unchecked_ref::<MessageEvent>().data().as_string() {
                on_message(text);
            }
        }));
        let on_cls = handler(Box::new(move |ev: JsValue| {
            let code = js::get_f64(&ev, "code").unwrap_or(1006.0) as u16;
            let reason = js::get(&ev, "reason").as_string().unwrap_or_default();
            on_close(code, reason);
        }));
        hook(&socket, "onmessage", Some(&on_msg));
        hook(&socket, "onclose", Some(&on_cls));
        Ok(Socket {
            socket,
            _on_message: on_msg,
            _on_close: on_cls,
        })
    }

    pub(super) fn send(&self, text: &str) -> Result<(), JsValue> {
        self.socket.send_with_str(text)
    }

    pub(super) fn socket(&self) -> &WebSocket {
        &self.socket
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        hook(&self.socket, "onmessage", None);
        hook(&self.socket, "onclose", None);
        let _ = self.socket.close();
    }
}

/// A streaming POST through `fetch` and its body's `ReadableStream`: each chunk reaches the core
/// as soon as it arrives. (XMLHttpRequest `progress` events come at most every 50 ms, which
/// would delay the open frame and every message on xhr-streaming by up to that much.)
/// Dropping it aborts the request; nothing is reported after that.
///
/// Driven by two promise handlers rather than an async task: one `then(on_value, on_error)`
/// is pending at a time (the fetch, then each `read()`), which spares the module an executor.
pub(super) struct FetchStream {
    controller: JsValue,
    state: Rc<StreamState>,
}

/// What the promise handlers share.
struct StreamState {
    decoder: JsValue,
    /// Set when the response has arrived.
    reader: OnceCell<JsValue>,
    status: Cell<u16>,
    /// Cleared when the owner drops the stream: whatever settles afterwards is ignored.
    alive: Cell<bool>,
    on_text: RefCell<OnText>,
    on_end: RefCell<OnEnd>,
    on_value: OnceCell<Handler>,
    on_error: OnceCell<Handler>,
    /// The state itself while a promise is pending, so that its handlers outlive a drop of the
    /// stream until that promise settles (an abort makes it reject). Cleared at the end.
    pending: Cell<Option<Rc<StreamState>>>,
}

/// `new Ctor(...args)` for a global constructor, if the browser has it.
fn construct(name: &str, args: &[JsValue]) -> Option<JsValue> {
    let ctor: js_sys::Function = js::as_function(&js::get(&js::global(), name))?;
    let list: js_sys::Array = args.iter().collect();
    js_sys::Reflect::construct(&ctor, &list).ok()
}

/// `obj.method(...args)`.
fn call(obj: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f = js::as_function(&js::get(obj, method)).ok_or_else(|| js::error("missing method"))?;
    let list: js_sys::Array = args.iter().collect();
    f.apply(obj, &list)
}

impl FetchStream {
    /// Whether this browser can stream a fetch body (else the XHR path is used).
    pub(super) fn supported() -> bool {
        let global = js::global();
        js::get(&global, "fetch").is_function()
            && js::get(&global, "AbortController").is_function()
            && js::get(&global, "TextDecoder").is_function()
            && js::get(&global, "ReadableStream").is_function()
    }

    pub(super) fn start(
        url: &str,
        credentials: bool,
        on_text: OnText,
        on_end: OnEnd,
    ) -> Result<FetchStream, JsValue> {
        let controller =
            construct("AbortController", &[]).ok_or_else(|| js::error("no AbortController"))?;
        let decoder = construct("TextDecoder", &[]).ok_or_else(|| js::error("no TextDecoder"))?;
        let init = js_sys::Object::new();
        js::set(&init, "method", &JsValue::from_str("POST"));
        js::set(&init, "signal", &js::get(&controller, "signal"));
        js::set(&init, "cache", &JsValue::from_str("no-store"));
        let mode = if credentials {
            "include"
        } else {
            "same-origin"
        };
        js::set(&init, "credentials", &JsValue::from_str(mode));
        let promise = call(
            &js::global(),
            "fetch",
            &[JsValue::from_str(url), init.into()],
        )?;
        let state = Rc::new(StreamState {
            decoder,
            reader: OnceCell::new(),
            status: Cell::new(0),
            alive: Cell::new(true),
            on_text: RefCell::new(on_text),
            on_end: RefCell::new(on_end),
            on_value: OnceCell::new(),
            on_error: OnceCell::new(),
            pending: Cell::new(None),
        });
        let weak = Rc::downgrade(&state);
        let _ = state.on_value.set(handler(Box::new(move |value| {
            if let Some(state) = weak.upgrade() {
                state.settled(Ok(value));
            }
        })));
        let weak = Rc::downgrade(&state);
        let _ = state.on_error.set(handler(Box::new(move |_| {
            if let Some(state) = weak.upgrade() {
                state.settled(Err(()));
            }
        })));
        state.wait(promise);
        Ok(FetchStream { controller, state })
    }
}

impl StreamState {
    /// Hooks the handlers to `promise` and keeps them alive until it settles.
    fn wait(self: &Rc<Self>, promise: JsValue) {
        if let (Some(ok), Some(err)) = (self.on_value.get(), self.on_error.get()) {
            let _ = js_sys::Promise::from(promise).then2(ok, err);
            self.pending.set(Some(self.clone()));
        }
    }

    /// The pending promise settled: with the response first, then with each `read()` result.
    fn settled(self: &Rc<Self>, result: Result<JsValue, ()>) {
        let _keep = self.pending.take();
        if !self.alive.get() {
            return;
        }
        let next = result.and_then(|value| self.next_read(value).map_err(|_| ()));
        match next {
            Ok(Some(read)) => self.wait(read),
            Ok(None) => {}
            Err(()) => self.end(XhrEnd::failed()),
        }
    }

    /// Handles a response or a chunk; the next `read()` promise, or `None` at the end.
    fn next_read(&self, value: JsValue) -> Result<Option<JsValue>, JsValue> {
        let Some(reader) = self.reader.get() else {
            // The response: its status, then its body's reader.
            self.status
                .set(js::get_f64(&value, "status").unwrap_or(0.0) as u16);
            let reader = call(&js::get(&value, "body"), "getReader", &[])?;
            let reader = self.reader.get_or_init(|| reader);
            return call(reader, "read", &[]).map(Some);
        };
        if js::get(&value, "done").is_truthy() {
            let rest = self.decode(&[]);
            self.end(XhrEnd {
                status: self.status.get(),
                rest,
            });
            return Ok(None);
        }
        let stream = js_sys::Object::new();
        js::set(&stream, "stream", &JsValue::TRUE);
        let text = self.decode(&[js::get(&value, "value"), stream.into()]);
        if !text.is_empty() {
            if let Ok(mut f) = self.on_text.try_borrow_mut() {
                f(text);
            }
        }
        // The handler may have dropped the stream.
        if !self.alive.get() {
            return Ok(None);
        }
        call(reader, "read", &[]).map(Some)
    }

    fn decode(&self, args: &[JsValue]) -> String {
        call(&self.decoder, "decode", args)
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default()
    }

    fn end(&self, end: XhrEnd) {
        self.alive.set(false);
        if let Ok(mut f) = self.on_end.try_borrow_mut() {
            f(end);
        }
    }
}

impl Drop for FetchStream {
    fn drop(&mut self) {
        self.state.alive.set(false);
        let _ = call(&self.controller, "abort", &[]);
    }
}
