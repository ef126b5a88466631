//! Browser tests of the JS client as it ships (pkg-core/js/client.js, bound by
//! tests/support/js_client.rs) over its SockJS fallback (pkg-core/js/sockjs.js, loaded by the
//! client for an http:// brokerURL) against the real servers started by scripts/test-browser.sh:
//!
//! - `STOMP_TEST_HTTP`: our stomp-server (SockJS at `/stomp`), restartable through
//!   `STOMP_TEST_CONTROL`;
//! - `STOMP_TEST_HTTP_NO_WS`: a second stomp-server with `[sockjs] websocket = false` and an
//!   8 KiB streaming limit;
//! - `STOMP_TEST_SOCKJS_GATEWAY`: the reference SockJS server (npm `sockjs` 0.3.24) in front of
//!   the first server's TCP port.
//!
//! The proxies that break WebSocket are exercised in tests/web_sockjs_blocked.rs: a browser
//! that saw many WebSocket attempts fail delays the next ones (Chromium throttles them), and
//! each test file gets a browser of its own.

#![cfg(target_arch = "wasm32")]

#[path = "support/js_client.rs"]
mod js_client;
#[path = "support/sockjs.rs"]
mod sockjs;
#[path = "support/web.rs"]
mod support;

use sockjs::*;
use support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

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

// The SockJS module keeps one transport plan per endpoint for the page's lifetime: the
// transport that last worked there is tried first (xhr-streaming on a fresh plan, which
// tests/web_sockjs_module.rs checks; other tests of this page may have taught it another).
#[wasm_bindgen_test]
async fn falls_back_when_the_server_disables_websocket() {
    let rec = Recorder::default();
    let t = round_trip_recorded(&rec, &no_websocket(), &[], true).await;
    let order = tried_order(&rec);
    assert!(!order.contains(&"websocket".to_owned()), "{order:?}");
    assert_eq!(t, order[0], "the first transport of the plan: {order:?}");
}

/// `transports` is a plain property, as stompjs's config keys: it reads back as set and goes to
/// the SockJS socket, which takes sockjs-client's names and aliases (`xhr_polling`). An unknown
/// name makes the socket's constructor throw: that reaches `onWebSocketError` and `debug`, and
/// the client does not connect (the wasm-bindgen client refused it at assignment).
#[wasm_bindgen_test]
async fn transports_option_takes_aliases_and_an_unknown_name_fails_the_connection() {
    let rec = Recorder::default();
    let client = sockjs_client(&rec, &ours(), &["xhr_polling"], &[]);
    let back: Vec<String> = js_sys::Array::from(&client.transports())
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    assert_eq!(back, ["xhr_polling"]);
    client.activate().unwrap();
    wait_connected(&rec, 1).await;
    assert_eq!(client.transport().as_deref(), Some("xhr-polling"));
    settle(client.deactivate(None).unwrap()).await;

    let rec = Recorder::default();
    let client = sockjs_client(&rec, &ours(), &["jsonp-polling"], &[]);
    client.activate().unwrap();
    rec.wait("onWebSocketError", 1).await;
    let error = rec.nth("onWebSocketError", 0);
    assert_eq!(get_str(&error, "name").as_deref(), Some("TypeError"));
    assert!(
        debug_lines(&rec)
            .iter()
            .any(|l| l.starts_with("TypeError: transports")),
        "{:?}",
        debug_lines(&rec)
    );
    assert!(!client.connected());
    assert_eq!(rec.count("onConnect"), 0);
    settle(client.deactivate(None).unwrap()).await;
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
    wait_connected(&rec, 1).await;
    // Which of the two depends on what this page's plan for the endpoint learnt before.
    let before = client.transport();
    assert!(
        matches!(before.as_deref(), Some("xhr-streaming" | "xhr-polling")),
        "{before:?}"
    );
    let dest = topic("sockjs-restart");
    client
        .subscribe(s(&dest), rec.callback("msg"), None, None)
        .unwrap();
    publish_text(&client, &dest, "before");
    rec.wait("msg", 1).await;

    control("restart?down_ms=300").await;
    wait_connected(&rec, 2).await;
    assert_eq!(
        client.transport(),
        before,
        "the transport that worked before the restart"
    );
    publish_text(&client, &dest, "after");
    rec.wait("msg", 2).await;
    let bodies = rec.bodies("msg");
    assert_eq!(bodies, ["before", "after"]);
    settle(client.deactivate(None).unwrap()).await;
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
