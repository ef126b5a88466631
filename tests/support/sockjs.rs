//! SockJS helpers shared by tests/web_sockjs*.rs (included after `support/web.rs` and
//! `support/js_client.rs`, which must be `mod support` and `mod js_client`): the servers' URLs,
//! the SockJS module as it ships, and the JS client over it.

#![allow(dead_code)]

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::js_client::{preload, Client};
use super::support::*;

/// The SockJS module as `scripts/size.sh --sockjs` ships it (scripts/test-browser.sh builds it
/// before the tests).
const MODULE: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/target/pkg-sockjs-size/stomp_wasm_sockjs.wasm"
));

// Binding sockjs.js makes wasm-bindgen copy it next to client.js (both under the crate's
// snippets directory, at their paths in the repository), so the client's `import('./sockjs.js')`
// finds it, and gets this very module instance: the `init` below is the one the client's
// `new SockJS()` waits for. Without it the module would fetch stomp_wasm_sockjs.wasm next to
// itself, which the test server does not serve.
#[wasm_bindgen(module = "/pkg-core/js/sockjs.js")]
extern "C" {
    #[wasm_bindgen(js_name = init)]
    fn sockjs_init(source: &JsValue) -> js_sys::Promise;
}

/// Starts compiling the SockJS module from the bytes the test was built with; resolves once it
/// is ready. `init` keeps its first promise, so later calls (and the client's own) share it.
/// The core first: the SockJS module imports its memory and heap, and sockjs.js's `init` takes
/// it from client.js's, which would otherwise fetch a .wasm the test server does not serve.
pub fn preload_sockjs() -> js_sys::Promise {
    preload();
    sockjs_init(&Uint8Array::from(MODULE).into())
}

pub const TRANSPORTS: [&str; 4] = ["websocket", "xhr-streaming", "eventsource", "xhr-polling"];

pub fn env(name: &str, value: Option<&'static str>) -> &'static str {
    value.unwrap_or_else(|| panic!("{name} is not set: run through scripts/test-browser.sh"))
}

/// `{base}/stomp` for one of the servers.
pub fn sockjs_url(base: &str) -> String {
    let mut url = base.trim_end_matches('/').to_owned();
    if !url.ends_with("/stomp") {
        url.push_str("/stomp");
    }
    url
}

pub fn ours() -> String {
    sockjs_url(env("STOMP_TEST_HTTP", option_env!("STOMP_TEST_HTTP")))
}

pub fn no_websocket() -> String {
    sockjs_url(env(
        "STOMP_TEST_HTTP_NO_WS",
        option_env!("STOMP_TEST_HTTP_NO_WS"),
    ))
}

pub fn proxy_close() -> String {
    sockjs_url(env(
        "STOMP_TEST_PROXY_CLOSE",
        option_env!("STOMP_TEST_PROXY_CLOSE"),
    ))
}

pub fn proxy_swallow() -> String {
    sockjs_url(env(
        "STOMP_TEST_PROXY_SWALLOW",
        option_env!("STOMP_TEST_PROXY_SWALLOW"),
    ))
}

/// The proxy that refuses WebSocket upgrades and buffers each response until it ends.
pub fn proxy_buffer() -> String {
    sockjs_url(env(
        "STOMP_TEST_PROXY_BUFFER",
        option_env!("STOMP_TEST_PROXY_BUFFER"),
    ))
}

pub fn gateway() -> String {
    sockjs_url(env(
        "STOMP_TEST_SOCKJS_GATEWAY",
        option_env!("STOMP_TEST_SOCKJS_GATEWAY"),
    ))
}

/// A client for the SockJS endpoint `url`, restricted to `transports` (all when empty), with
/// its debug lines recorded.
pub fn sockjs_client(
    rec: &Recorder,
    url: &str,
    transports: &[&str],
    extra: &[(&str, JsValue)],
) -> Client {
    let mut opts: Vec<(&str, JsValue)> = vec![
        ("brokerURL", s(url)),
        ("debug", rec.callback("debug")),
        ("reconnectDelay", n(100.0)),
    ];
    if !transports.is_empty() {
        let list: js_sys::Array = transports.iter().map(|t| s(t)).collect();
        opts.push(("transports", list.into()));
    }
    opts.extend(extra.iter().cloned());
    let _ = preload_sockjs();
    Client::new(Some(config(rec, &opts))).unwrap()
}

pub fn debug_lines(rec: &Recorder) -> Vec<String> {
    rec.all("debug")
        .iter()
        .filter_map(|v| v.as_string())
        .collect()
}

/// Waits for the `times`-th `onConnect`; on a timeout the panic shows the client's debug lines.
pub async fn wait_connected(rec: &Recorder, times: usize) {
    let start = js_sys::Date::now();
    while rec.count("onConnect") < times {
        if js_sys::Date::now() - start > 15_000.0 {
            panic!("no onConnect #{times}; debug: {:#?}", debug_lines(rec));
        }
        gloo_timers::future::TimeoutFuture::new(5).await;
    }
}

pub fn publish_text(client: &Client, dest: &str, body: &str) {
    client
        .publish(obj(&[("destination", s(dest)), ("body", s(body))]))
        .unwrap_or_else(|e| panic!("publish {body}: {e:?}"));
}

pub async fn ack_with_receipt(client: &Client, rec: &Recorder, msg: &JsValue) {
    let receipt = unique("ack");
    client
        .watch_for_receipt(s(&receipt), rec.callback("receipt"))
        .unwrap();
    let before = rec.count("receipt");
    let ack: js_sys::Function = get(msg, "ack").unchecked_into();
    ack.call1(msg, &obj(&[("receipt", s(&receipt))]))
        .expect("ack accepted");
    rec.wait("receipt", before + 1).await;
    assert_eq!(
        header(&rec.nth("receipt", before), "receipt-id").as_deref(),
        Some(receipt.as_str())
    );
}

/// The transports the SockJS module said it would try, in order (its ` ms, trying …` line).
pub fn tried_order(rec: &Recorder) -> Vec<String> {
    let lines = debug_lines(rec);
    let line = lines
        .iter()
        .find_map(|l| l.split_once(" ms, trying ").map(|(_, order)| order))
        .unwrap_or_else(|| panic!("no order line in {lines:#?}"));
    line.split(' ').map(str::to_owned).collect()
}

/// The transport the module falls back to when WebSocket fails or loses the race: the first
/// other one in [`tried_order`].
pub fn fallback(rec: &Recorder) -> String {
    let order = tried_order(rec);
    order
        .iter()
        .find(|t| *t != "websocket")
        .unwrap_or_else(|| panic!("no fallback in {order:?}"))
        .clone()
}

/// Connect, subscribe (client-individual acks), publish text and (when `binary`) a body with
/// every byte value, receive both, ack both. Returns the transport the client reported.
pub async fn round_trip(url: &str, transports: &[&str], binary: bool) -> String {
    round_trip_recorded(&Recorder::default(), url, transports, binary).await
}

/// [`round_trip`] recording the client's callbacks and debug lines in `rec`.
pub async fn round_trip_recorded(
    rec: &Recorder,
    url: &str,
    transports: &[&str],
    binary: bool,
) -> String {
    let client = sockjs_client(rec, url, transports, &[]);
    client.activate().unwrap();
    wait_connected(rec, 1).await;
    let transport = client.transport().expect("a transport once connected");
    if let [only] = transports {
        assert_eq!(&transport, only, "the forced transport is used");
    }
    assert!(
        debug_lines(rec)
            .iter()
            .any(|l| l == &format!("SockJS: open over {transport}")),
        "debug line naming the transport: {:?}",
        debug_lines(rec)
    );
    let dest = queue("sockjs");
    client
        .subscribe(
            s(&dest),
            rec.callback("msg"),
            Some(obj(&[("ack", s("client-individual"))])),
            None,
        )
        .unwrap();
    let text = format!("hello over {transport}: \"quotes\", \\, \u{2028}, é, %25");
    publish_text(&client, &dest, &text);
    rec.wait("msg", 1).await;
    let first = rec.nth("msg", 0);
    assert_eq!(get_str(&first, "body").as_deref(), Some(text.as_str()));
    ack_with_receipt(&client, rec, &first).await;
    if binary {
        let body: Vec<u8> = (0..=255u8).chain([0, 0xff, 0xc3]).collect();
        client
            .publish(obj(&[
                ("destination", s(&dest)),
                ("binaryBody", Uint8Array::from(&body[..]).into()),
                (
                    "headers",
                    obj(&[("content-type", s("application/octet-stream"))]),
                ),
            ]))
            .unwrap();
        rec.wait("msg", 2).await;
        let second = rec.nth("msg", 1);
        assert_eq!(bytes(&second), body, "binary body intact over {transport}");
        assert_eq!(header(&second, "content-transfer-encoding"), None);
        ack_with_receipt(&client, rec, &second).await;
    }
    settle(client.deactivate(None).unwrap()).await;
    assert_eq!(client.transport(), None);
    transport
}

/// Publishes `count` numbered messages of ~`size` bytes and checks each arrives once, in order.
pub async fn long_stream(url: &str, transport: &str, count: usize, size: usize) {
    let rec = Recorder::default();
    let client = sockjs_client(&rec, url, &[transport], &[]);
    client.activate().unwrap();
    wait_connected(&rec, 1).await;
    assert_eq!(client.transport().as_deref(), Some(transport));
    let dest = topic("sockjs-long");
    subscribe_confirmed(&client, &rec, &dest, rec.callback("msg")).await;
    let pad = "x".repeat(size);
    for i in 0..count {
        publish_text(&client, &dest, &format!("{i:05} {pad}"));
    }
    rec.wait("msg", count).await;
    let numbers: Vec<usize> = rec
        .bodies("msg")
        .iter()
        .filter_map(|b| b.get(..5).and_then(|n| n.parse().ok()))
        .collect();
    assert_eq!(numbers, (0..count).collect::<Vec<_>>(), "over {transport}");
    settle(client.deactivate(None).unwrap()).await;
    assert_eq!(rec.count("msg"), count, "nothing repeated after the last");
}
