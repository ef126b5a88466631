//! Browser tests of the client's SockJS transports against the real servers started by
//! scripts/test-browser.sh:
//!
//! - `STOMP_TEST_HTTP`: our stomp-server (SockJS at `/stomp`), restartable through
//!   `STOMP_TEST_CONTROL`;
//! - `STOMP_TEST_PROXY_CLOSE` / `STOMP_TEST_PROXY_SWALLOW`: proxies to it that destroy, or never
//!   answer, every WebSocket upgrade;
//! - `STOMP_TEST_HTTP_NO_WS`: a second stomp-server with `[sockjs] websocket = false` and an
//!   8 KiB streaming limit;
//! - `STOMP_TEST_SOCKJS_GATEWAY`: the reference SockJS server (npm `sockjs` 0.3.24) in front of
//!   the first server's TCP port.

#![cfg(target_arch = "wasm32")]

#[path = "support/web.rs"]
mod support;

use js_sys::Uint8Array;
use stomp_wasm::wasm::Client;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const TRANSPORTS: [&str; 4] = ["websocket", "xhr-streaming", "eventsource", "xhr-polling"];

fn env(name: &str, value: Option<&'static str>) -> &'static str {
    value.unwrap_or_else(|| panic!("{name} is not set: run through scripts/test-browser.sh"))
}

/// `{base}/stomp` for one of the servers.
fn sockjs_url(base: &str) -> String {
    let mut url = base.trim_end_matches('/').to_owned();
    if !url.ends_with("/stomp") {
        url.push_str("/stomp");
    }
    url
}

fn ours() -> String {
    sockjs_url(env("STOMP_TEST_HTTP", option_env!("STOMP_TEST_HTTP")))
}

fn no_websocket() -> String {
    sockjs_url(env(
        "STOMP_TEST_HTTP_NO_WS",
        option_env!("STOMP_TEST_HTTP_NO_WS"),
    ))
}

fn proxy_close() -> String {
    sockjs_url(env(
        "STOMP_TEST_PROXY_CLOSE",
        option_env!("STOMP_TEST_PROXY_CLOSE"),
    ))
}

fn proxy_swallow() -> String {
    sockjs_url(env(
        "STOMP_TEST_PROXY_SWALLOW",
        option_env!("STOMP_TEST_PROXY_SWALLOW"),
    ))
}

fn gateway() -> String {
    sockjs_url(env(
        "STOMP_TEST_SOCKJS_GATEWAY",
        option_env!("STOMP_TEST_SOCKJS_GATEWAY"),
    ))
}

/// A client for the SockJS endpoint `url`, restricted to `transports` (all when empty), with
/// its debug lines recorded.
fn sockjs_client(
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
    Client::new(Some(config(rec, &opts))).unwrap()
}

fn debug_lines(rec: &Recorder) -> Vec<String> {
    rec.all("debug")
        .iter()
        .filter_map(|v| v.as_string())
        .collect()
}

fn publish_text(client: &Client, dest: &str, body: &str) {
    client
        .publish(obj(&[("destination", s(dest)), ("body", s(body))]))
        .unwrap_or_else(|e| panic!("publish {body}: {e:?}"));
}

async fn ack_with_receipt(client: &Client, rec: &Recorder, msg: &JsValue) {
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

/// Connect, subscribe (client-individual acks), publish text and (when `binary`) a body with
/// every byte value, receive both, ack both. Returns the transport the client reported.
async fn round_trip(url: &str, transports: &[&str], binary: bool) -> String {
    let rec = Recorder::default();
    let client = sockjs_client(&rec, url, transports, &[]);
    client.activate().unwrap();
    rec.wait("onConnect", 1).await;
    let transport = client.transport().expect("a transport once connected");
    if let [only] = transports {
        assert_eq!(&transport, only, "the forced transport is used");
    }
    assert!(
        debug_lines(&rec)
            .iter()
            .any(|l| l == &format!("SockJS: open over {transport}")),
        "debug line naming the transport: {:?}",
        debug_lines(&rec)
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
    ack_with_receipt(&client, &rec, &first).await;
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
        ack_with_receipt(&client, &rec, &second).await;
    }
    settle(client.deactivate(None).unwrap()).await;
    assert_eq!(client.transport(), None);
    transport
}

#[wasm_bindgen_test]
async fn each_transport_forced_carries_text_binary_and_acks() {
    for t in TRANSPORTS {
        assert_eq!(round_trip(&ours(), &[t], true).await, t);
    }
}

#[wasm_bindgen_test]
async fn default_order_uses_websocket_where_it_works() {
    assert_eq!(round_trip(&ours(), &[], true).await, "websocket");
}

#[wasm_bindgen_test]
async fn falls_back_when_the_server_disables_websocket() {
    let t = round_trip(&no_websocket(), &[], true).await;
    assert_eq!(t, "xhr-streaming");
}

#[wasm_bindgen_test]
async fn falls_back_when_a_proxy_closes_the_upgrade_at_once() {
    assert_eq!(round_trip(&proxy_close(), &[], true).await, "xhr-streaming");
}

#[wasm_bindgen_test]
async fn falls_back_when_a_proxy_swallows_the_upgrade() {
    assert_eq!(
        round_trip(&proxy_swallow(), &[], true).await,
        "xhr-streaming"
    );
}

#[wasm_bindgen_test]
async fn swallowed_websocket_gives_way_to_the_next_allowed_transport() {
    assert_eq!(
        round_trip(&proxy_swallow(), &["websocket", "xhr-polling"], false).await,
        "xhr-polling"
    );
}

#[wasm_bindgen_test]
async fn transports_option_reads_back_and_rejects_unknown_names() {
    let client = Client::new(None).unwrap();
    let list: js_sys::Array = ["eventsource", "xhr_polling"]
        .iter()
        .map(|t| s(t))
        .collect();
    client.set_transports(list.into()).unwrap();
    let back: Vec<String> = js_sys::Array::from(&client.transports())
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    assert_eq!(back, ["eventsource", "xhr-polling"]);
    assert!(client.set_transports(s("jsonp-polling")).is_err());
    assert!(client.set_transports(n(3.0)).is_err());
}

#[wasm_bindgen_test]
async fn reconnects_over_a_fallback_transport_after_a_server_restart() {
    control("start").await;
    let rec = Recorder::default();
    let client = sockjs_client(
        &rec,
        &ours(),
        &["xhr-streaming", "xhr-polling"],
        &[("onStompError", rec.callback("shutdownError"))],
    );
    client.activate().unwrap();
    rec.wait("onConnect", 1).await;
    assert_eq!(client.transport().as_deref(), Some("xhr-streaming"));
    let dest = topic("sockjs-restart");
    client
        .subscribe(s(&dest), rec.callback("msg"), None, None)
        .unwrap();
    publish_text(&client, &dest, "before");
    rec.wait("msg", 1).await;

    control("restart?down_ms=300").await;
    rec.wait("onConnect", 2).await;
    assert_eq!(client.transport().as_deref(), Some("xhr-streaming"));
    publish_text(&client, &dest, "after");
    rec.wait("msg", 2).await;
    let bodies: Vec<String> = rec
        .all("msg")
        .iter()
        .filter_map(|m| get_str(m, "body"))
        .collect();
    assert_eq!(bodies, ["before", "after"]);
    settle(client.deactivate(None).unwrap()).await;
}

/// Publishes `count` numbered messages of ~`size` bytes and checks each arrives once, in order.
async fn long_stream(url: &str, transport: &str, count: usize, size: usize) {
    let rec = Recorder::default();
    let client = sockjs_client(&rec, url, &[transport], &[]);
    client.activate().unwrap();
    rec.wait("onConnect", 1).await;
    assert_eq!(client.transport().as_deref(), Some(transport));
    let dest = topic("sockjs-long");
    let receipt = unique("sub");
    client
        .watch_for_receipt(s(&receipt), rec.callback("subscribed"))
        .unwrap();
    client
        .subscribe(
            s(&dest),
            rec.callback("msg"),
            Some(obj(&[("receipt", s(&receipt))])),
            None,
        )
        .unwrap();
    rec.wait("subscribed", 1).await;
    let pad = "x".repeat(size);
    for i in 0..count {
        publish_text(&client, &dest, &format!("{i:05} {pad}"));
    }
    rec.wait("msg", count).await;
    let numbers: Vec<usize> = rec
        .all("msg")
        .iter()
        .filter_map(|m| get_str(m, "body"))
        .filter_map(|b| b.get(..5).and_then(|n| n.parse().ok()))
        .collect();
    assert_eq!(numbers, (0..count).collect::<Vec<_>>(), "over {transport}");
    settle(client.deactivate(None).unwrap()).await;
    assert_eq!(rec.count("msg"), count, "nothing repeated after the last");
}

#[wasm_bindgen_test]
async fn long_streams_cross_several_streaming_limits_without_loss_or_repeats() {
    // 8 KiB streaming limit on this server: 150 messages of ~600 bytes re-open each stream
    // about ten times.
    long_stream(&no_websocket(), "xhr-streaming", 150, 600).await;
    long_stream(&no_websocket(), "eventsource", 150, 600).await;
    long_stream(&no_websocket(), "xhr-polling", 60, 600).await;
}

#[wasm_bindgen_test]
async fn reference_sockjs_server_interop_over_every_transport() {
    // Text only: the gateway pipes STOMP bytes as UTF-8 strings (see tests/interop).
    for t in TRANSPORTS {
        assert_eq!(round_trip(&gateway(), &[t], false).await, t);
    }
    long_stream(&gateway(), "xhr-streaming", 60, 600).await;
}

#[wasm_bindgen_test]
async fn repeated_connects_through_a_swallowing_proxy_all_succeed() {
    // Each one runs the race (the WebSocket never answers); the race's timer must fire every
    // time, whatever the previous connection left behind.
    for i in 0..20 {
        let rec = Recorder::default();
        let client = sockjs_client(&rec, &proxy_swallow(), &[], &[]);
        client.activate().unwrap();
        rec.wait("onConnect", 1).await;
        assert_eq!(
            client.transport().as_deref(),
            Some("xhr-streaming"),
            "connect #{i}"
        );
        settle(client.deactivate(None).unwrap()).await;
    }
}
