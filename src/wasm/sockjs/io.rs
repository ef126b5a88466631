//! The browser objects one SockJS connection uses — `XMLHttpRequest`, `EventSource`,
//! `WebSocket` — each wrapped with the handlers it registered. Dropping a wrapper unhooks its
//! handlers and then aborts or closes the object (the gloo-net pattern), so a request the
//! connection has given up on can never report again.

use js_sys::JsString;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{EventSource, EventSourceInit, MessageEvent, WebSocket, XmlHttpRequest};

use crate::wasm::js;

type Handler = Closure<dyn FnMut(JsValue)>;

fn handler(f: impl FnMut(JsValue) + 'static) -> Handler {
    Closure::<dyn FnMut(JsValue)>::new(f)
}

/// How an XHR ended: its status (0 for a network error, an abort or a timeout) and, for
/// requests that keep their text, the text not yet handed out.
pub(super) struct XhrEnd {
    pub status: u16,
    pub rest: String,
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
        mut on_text: impl FnMut(String) + 'static,
        on_end: impl FnMut(XhrEnd) + 'static,
    ) -> Result<Xhr, JsValue> {
        let xhr = XmlHttpRequest::new()?;
        xhr.open(method, url)?;
        if credentials {
            xhr.set_with_credentials(true);
        }
        // Characters of responseText already handed out (UTF-16 units, as JavaScript counts).
        let seen = std::rc::Rc::new(std::cell::Cell::new(0u32));
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
            let on_progress = handler(move |_| {
                if let Some(text) = new_text() {
                    on_text(text);
                }
            });
            xhr.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
            Some(on_progress)
        } else {
            None
        };
        let on_end = std::rc::Rc::new(std::cell::RefCell::new(on_end));
        let end = on_end.clone();
        let x = xhr.clone();
        let on_load = handler(move |_| {
            let status = x.status().unwrap_or(0);
            let rest = new_text().unwrap_or_default();
            if let Ok(mut f) = end.try_borrow_mut() {
                f(XhrEnd { status, rest });
            }
        });
        let on_error = handler(move |_| {
            if let Ok(mut f) = on_end.try_borrow_mut() {
                f(XhrEnd {
                    status: 0,
                    rest: String::new(),
                });
            }
        });
        xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
        xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        xhr.set_ontimeout(Some(on_error.as_ref().unchecked_ref()));
        xhr.set_onabort(Some(on_error.as_ref().unchecked_ref()));
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
        self.xhr.set_onprogress(None);
        self.xhr.set_onload(None);
        self.xhr.set_onerror(None);
        self.xhr.set_ontimeout(None);
        self.xhr.set_onabort(None);
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
        mut on_message: impl FnMut(String) + 'static,
        mut on_end: impl FnMut(bool) + 'static,
    ) -> Result<Events, JsValue> {
        let init = EventSourceInit::new();
        init.set_with_credentials(credentials);
        let source = EventSource::new_with_event_source_init_dict(url, &init)?;
        let delivered = std::rc::Rc::new(std::cell::Cell::new(false));
        let d = delivered.clone();
        let on_msg = handler(move |ev: JsValue| {
            if let Some(data) = ev.unchecked_ref::<MessageEvent>().data().as_string() {
                d.set(true);
                on_message(data);
            }
        });
        let s = source.clone();
        let on_error = handler(move |_| {
            s.close();
            on_end(delivered.get());
        });
        source.set_onmessage(Some(on_msg.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Events {
            source,
            _on_message: on_msg,
            _on_error: on_error,
        })
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        self.source.set_onmessage(None);
        self.source.set_onerror(None);
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
        mut on_message: impl FnMut(String) + 'static,
        mut on_close: impl FnMut(u16, String) + 'static,
    ) -> Result<Socket, JsValue> {
        let socket = WebSocket::new(url)?;
        let on_msg = handler(move |ev: JsValue| {
            if let Some(text) = ev.unchecked_ref::<MessageEvent>().data().as_string() {
                on_message(text);
            }
        });
        let on_cls = handler(move |ev: JsValue| {
            let code = js::get_f64(&ev, "code").unwrap_or(1006.0) as u16;
            let reason = js::get(&ev, "reason").as_string().unwrap_or_default();
            on_close(code, reason);
        });
        socket.set_onmessage(Some(on_msg.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_cls.as_ref().unchecked_ref()));
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
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}
