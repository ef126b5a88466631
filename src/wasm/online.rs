//! Reconnect at once when the browser comes back online.
//!
//! While a reconnection waits out its delay (possibly a long exponential backoff), the `online`
//! event of the global object says the network is back: the session is told to try now
//! ([`Session::reconnect_now`](crate::client::Session::reconnect_now)). The listener is owned by
//! the client and removed when it is dropped. Where there is no `addEventListener` on the global
//! (node) nothing is registered.

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::js;

pub(crate) struct OnlineListener {
    target: JsValue,
    callback: Closure<dyn FnMut()>,
}

impl OnlineListener {
    pub(crate) fn register(on_online: impl FnMut() + 'static) -> Option<OnlineListener> {
        let target = js::global();
        let add = js::as_function(&js::get(&target, "addEventListener"))?;
        let callback = Closure::<dyn FnMut()>::new(on_online);
        add.call2(&target, &JsValue::from_str("online"), callback.as_ref())
            .ok()?;
        Some(OnlineListener { target, callback })
    }
}

impl Drop for OnlineListener {
    fn drop(&mut self) {
        let remove = js::get(&self.target, "removeEventListener");
        if let Some(remove) = remove.dyn_ref::<Function>() {
            let _ = remove.call2(
                &self.target,
                &JsValue::from_str("online"),
                self.callback.as_ref(),
            );
        }
    }
}
