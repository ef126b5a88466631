//! Helpers for the browser tests (included with `support/js_client.rs` as `mod js_client`): the
//! broker URL, config objects, a recorder of callback calls and a bounded wait.
//!
//! The broker comes from `STOMP_TEST_URL` at compile time (scripts/test-browser.sh starts our
//! stomp-server and sets it; `STOMP_TEST_BROKER=rabbitmq` points it at RabbitMQ Web-STOMP).

#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::js_client::Client;

/// How long any one wait may take before the test fails. Generous: this bounds a hang, it does
/// not measure speed.
const WAIT_LIMIT_MS: f64 = 15_000.0;

/// RabbitMQ Web-STOMP closes the socket on DISCONNECT without sending the RECEIPT asked for, so
/// `onDisconnect` (which needs that RECEIPT, in stompjs too) is only checked against brokers that
/// answer it.
pub fn broker_sends_disconnect_receipt() -> bool {
    option_env!("STOMP_TEST_BROKER") != Some("rabbitmq")
}

/// RabbitMQ's ERROR for an unknown destination carries neither `receipt-id` nor `subscription`,
/// so the client cannot tell which subscription it was about; ours echoes the `receipt`.
pub fn broker_attributes_subscribe_errors() -> bool {
    option_env!("STOMP_TEST_BROKER") != Some("rabbitmq")
}

/// stomp-server drops a SEND re-sent with an `x-stomp-wasm-id` it already took (while it runs);
/// RabbitMQ delivers such a re-send again (at least once).
pub fn broker_drops_resent_sends() -> bool {
    option_env!("STOMP_TEST_BROKER") != Some("rabbitmq")
}

pub fn broker_url() -> &'static str {
    option_env!("STOMP_TEST_URL").unwrap_or("ws://127.0.0.1:15675/ws")
}

/// A name no other test (or earlier run against a persistent broker) uses.
pub fn unique(prefix: &str) -> String {
    let n = (js_sys::Math::random() * 1e12) as u64;
    format!("{prefix}-{n}")
}

pub fn topic(name: &str) -> String {
    format!("/topic/{}", unique(name))
}

pub fn queue(name: &str) -> String {
    format!("/queue/{}", unique(name))
}

/// A plain object from key/value pairs.
pub fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

pub fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

pub fn n(v: f64) -> JsValue {
    JsValue::from_f64(v)
}

pub fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

pub fn get_str(o: &JsValue, k: &str) -> Option<String> {
    get(o, k).as_string()
}

/// `frame.headers[name]`.
pub fn header(frame: &JsValue, name: &str) -> Option<String> {
    get_str(&get(frame, "headers"), name)
}

pub fn bytes(frame: &JsValue) -> Vec<u8> {
    get(frame, "binaryBody")
        .unchecked_into::<Uint8Array>()
        .to_vec()
}

/// Connect headers for the broker (RabbitMQ wants a login).
pub fn connect_headers() -> JsValue {
    let mut pairs = Vec::new();
    if let Some(login) = option_env!("STOMP_TEST_LOGIN") {
        pairs.push(("login", s(login)));
    }
    if let Some(passcode) = option_env!("STOMP_TEST_PASSCODE") {
        pairs.push(("passcode", s(passcode)));
    }
    obj(&pairs)
}

/// Records every callback call as (name, first argument).
#[derive(Clone, Default)]
pub struct Recorder {
    calls: Rc<RefCell<Vec<(String, JsValue)>>>,
}

impl Recorder {
    /// A JS function that records its first argument under `name`.
    pub fn callback(&self, name: &str) -> JsValue {
        let calls = self.calls.clone();
        let name = name.to_owned();
        Closure::<dyn FnMut(JsValue)>::new(move |arg: JsValue| {
            calls.borrow_mut().push((name.clone(), arg));
        })
        .into_js_value()
    }

    pub fn count(&self, name: &str) -> usize {
        self.calls
            .borrow()
            .iter()
            .filter(|(n, _)| n == name)
            .count()
    }

    /// Every argument recorded under `name`, in order.
    pub fn all(&self, name: &str) -> Vec<JsValue> {
        self.calls
            .borrow()
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The `body` of every frame recorded under `name`, in order.
    pub fn bodies(&self, name: &str) -> Vec<String> {
        self.all(name)
            .iter()
            .filter_map(|m| get_str(m, "body"))
            .collect()
    }

    pub fn nth(&self, name: &str, i: usize) -> JsValue {
        self.all(name)
            .get(i)
            .cloned()
            .unwrap_or_else(|| panic!("no call #{i} of {name}"))
    }

    pub fn names(&self) -> Vec<String> {
        self.calls.borrow().iter().map(|(n, _)| n.clone()).collect()
    }

    /// Waits until `name` has been called at least `times` times.
    pub async fn wait(&self, name: &str, times: usize) {
        let me = self.clone();
        let what = format!("{times} call(s) of {name}");
        until(&what, move || me.count(name) >= times).await;
        if name != "onStompError" {
            assert_eq!(
                self.count("onStompError"),
                0,
                "unexpected ERROR: {:?}",
                self.errors()
            );
        }
    }

    pub fn errors(&self) -> Vec<String> {
        self.all("onStompError")
            .iter()
            .map(|f| format!("{:?} {:?}", header(f, "message"), get_str(f, "body")))
            .collect()
    }
}

/// A config object with the broker URL and every client-level callback recorded.
pub fn config(rec: &Recorder, extra: &[(&str, JsValue)]) -> JsValue {
    let mut pairs: Vec<(&str, JsValue)> = vec![
        ("brokerURL", s(broker_url())),
        ("connectHeaders", connect_headers()),
        ("reconnectDelay", n(0.0)),
    ];
    for name in [
        "onConnect",
        "onDisconnect",
        "onStompError",
        "onWebSocketClose",
        "onWebSocketError",
        "onUnhandledMessage",
        "onUnhandledReceipt",
        "onUnhandledFrame",
        "onChangeState",
        "onHeartbeatReceived",
        "onHeartbeatLost",
    ] {
        pairs.push((name, rec.callback(name)));
    }
    pairs.extend(extra.iter().cloned());
    obj(&pairs)
}

/// Waits (yielding to the event loop) until `done()`; panics after [`WAIT_LIMIT_MS`].
pub async fn until(what: &str, done: impl Fn() -> bool) {
    let start = js_sys::Date::now();
    while !done() {
        if js_sys::Date::now() - start > WAIT_LIMIT_MS {
            panic!("timed out waiting for {what}");
        }
        gloo_timers::future::TimeoutFuture::new(5).await;
    }
}

/// Awaits a promise returned by the client.
pub async fn settle(promise: js_sys::Promise) -> JsValue {
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .expect("promise rejected")
}

/// The test supervisor's control URL (tests/support/supervisor.mjs, started by
/// scripts/test-browser.sh): it restarts the broker on request.
pub fn control_url() -> &'static str {
    match option_env!("STOMP_TEST_CONTROL") {
        Some(url) => url,
        None => panic!(
            "STOMP_TEST_CONTROL is not set: run the browser tests through scripts/test-browser.sh"
        ),
    }
}

/// Asks the supervisor to `action` the broker (`stop`, `start`, `restart?down_ms=N`) and waits
/// for it to be done: after `start` the broker listens again.
pub async fn control(action: &str) {
    let url = format!("{}/{action}", control_url());
    let fetch: js_sys::Function = get(&js_sys::global(), "fetch").unchecked_into();
    let init = obj(&[("method", s("POST"))]);
    let promise: js_sys::Promise = fetch
        .call2(&JsValue::UNDEFINED, &s(&url), &init)
        .expect("fetch callable")
        .unchecked_into();
    let response = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e:?}"));
    assert_eq!(
        get(&response, "ok").as_bool(),
        Some(true),
        "POST {url} answered {:?}",
        get(&response, "status")
    );
}

/// Subscribes `callback` to `destination` with a receipt and waits for the receipt, so that what
/// is published afterwards is sure to reach the subscription.
pub async fn subscribe_confirmed(
    client: &Client,
    rec: &Recorder,
    destination: &str,
    callback: JsValue,
) {
    let receipt = unique("sub");
    let confirmed = rec.count("subscribed") + 1;
    client
        .watch_for_receipt(s(&receipt), rec.callback("subscribed"))
        .unwrap();
    client
        .subscribe(
            s(destination),
            callback,
            Some(obj(&[("receipt", s(&receipt))])),
            None,
        )
        .unwrap();
    rec.wait("subscribed", confirmed).await;
}
