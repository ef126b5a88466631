//! Small helpers over `js_sys::Reflect` for reading property bags, and the few globals the shell
//! needs (`performance.now`, `String`, `setTimeout`, `globalThis`).
//!
//! Property bags (config objects, header objects) are read with `Reflect` rather than serde: it
//! costs a few hundred bytes of Wasm instead of tens of kilobytes, and it works on any object the
//! user hands us (class instances, proxies, objects with getters).

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::client::HeaderList;

#[wasm_bindgen]
extern "C" {
    /// `String(value)`: how JavaScript itself turns a header value into text.
    #[wasm_bindgen(js_name = String)]
    pub(crate) fn js_string(value: &JsValue) -> String;

    /// Monotonic milliseconds (browser, worker and node all have `performance`).
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    pub(crate) fn now_ms() -> f64;

    #[wasm_bindgen(js_name = setTimeout)]
    pub(crate) fn set_timeout(handler: &Function, ms: f64) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    pub(crate) fn clear_timeout(id: &JsValue);

    /// `globalThis` (every environment this runs in has it; `js_sys::global()` would probe four
    /// names, an import each).
    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    static GLOBAL_THIS: JsValue;
}

/// The global object.
pub(crate) fn global() -> JsValue {
    GLOBAL_THIS.with(JsValue::clone)
}

/// `obj[key]`, or `undefined` when `obj` is not an object or the getter throws.
pub(crate) fn get(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() && !obj.is_function() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key] = value`, ignoring a failure (frozen objects): callers only set on objects they made.
pub(crate) fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// Whether `obj` has `key` (own or inherited); `in` semantics, so `undefined` values count.
pub(crate) fn has(obj: &JsValue, key: &str) -> bool {
    (obj.is_object() || obj.is_function())
        && Reflect::has(obj, &JsValue::from_str(key)).unwrap_or(false)
}

/// The value as a function, if it is one.
pub(crate) fn as_function(value: &JsValue) -> Option<Function> {
    value.dyn_ref::<Function>().cloned()
}

/// A JavaScript `Error` carrying `message`, ready to be thrown.
pub(crate) fn error(message: &str) -> JsValue {
    js_sys::Error::new(message).into()
}

/// A plain object of string headers into a [`HeaderList`]. `undefined`/`null` is no headers;
/// non-string values are turned into text the way JavaScript would (`String(v)`), and keys whose
/// value is `undefined` are skipped (stompjs users write `{ receipt: maybeId }`).
pub(crate) fn headers_from_js(obj: &JsValue) -> HeaderList {
    let mut headers = HeaderList::new();
    if !obj.is_object() {
        return headers;
    }
    let obj: &Object = obj.unchecked_ref();
    for key in Object::keys(obj).iter() {
        let value = Reflect::get(obj, &key).unwrap_or(JsValue::UNDEFINED);
        if value.is_undefined() {
            continue;
        }
        let name = key.as_string().unwrap_or_default();
        let value = value.as_string().unwrap_or_else(|| js_string(&value));
        headers.push(name, value);
    }
    headers
}

/// A number property, if present and numeric.
pub(crate) fn get_f64(obj: &JsValue, key: &str) -> Option<f64> {
    get(obj, key).as_f64()
}

/// A boolean property, read with JavaScript truthiness when present.
pub(crate) fn get_bool(obj: &JsValue, key: &str) -> Option<bool> {
    let v = get(obj, key);
    if v.is_undefined() {
        None
    } else {
        Some(v.is_truthy())
    }
}
