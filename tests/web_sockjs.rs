//! Browser tests of the client's SockJS transports against the real servers started by
//! scripts/test-browser.sh:
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

#[path = "support/sockjs.rs"]
mod sockjs;
#[path = "support/web.rs"]
mod support;

use sockjs::*;
use stomp_wasm::wasm::Client;
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

#[wasm_bindgen_test]
async fn falls_back_when_the_server_disables_websocket() {
    let t = round_trip(&no_websocket(), &[], true).await;
    assert_eq!(t, "xhr-streaming");
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
    wait_connected(&rec, 1).await;
    assert_eq!(client.transport().as_deref(), Some("xhr-streaming"));
    let dest = topic("sockjs-restart");
    client
        .subscribe(s(&dest), rec.callback("msg"), None, None)
        .unwrap();
    publish_text(&client, &dest, "before");
    rec.wait("msg", 1).await;

    control("restart?down_ms=300").await;
    wait_connected(&rec, 2).await;
    assert_eq!(client.transport().as_deref(), Some("xhr-streaming"));
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
