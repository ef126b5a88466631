//! tests/web_js_restart.rs's numbered stream across a broker restart (tests/web/stream.rs), over
//! SockJS: the size-first JS client (pkg-core/js/client.js) with an http:// brokerURL, which
//! loads pkg-core/js/sockjs.js, against our stomp-server's SockJS endpoint (scripts/test-browser.sh
//! runs no web_sockjs* test against RabbitMQ, which has none). Each transport is forced in turn
//! and must be the one in use before and after the restart; the default order must stay on
//! WebSocket.

#![cfg(target_arch = "wasm32")]

#[path = "support/js_client.rs"]
mod js_client;
#[path = "support/sockjs.rs"]
mod sockjs;
#[path = "support/web.rs"]
mod support;

use js_client::Client;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

include!("web/stream.rs");

/// The stream across `restart` through our SockJS endpoint, forced to `transport` (the default
/// order when `None`, which must use WebSocket).
async fn sockjs_stream_survives(restart: Restart, transport: Option<&str>) {
    // The SockJS module compiled from the bytes the test was built with, once per page.
    settle(sockjs::preload_sockjs()).await;
    let extra: Vec<(&str, JsValue)> = transport
        .map(|t| ("transports", js_sys::Array::of1(&s(t)).into()))
        .into_iter()
        .collect();
    let url = sockjs::ours();
    stream_survives(restart, &url, transport.unwrap_or("websocket"), &extra).await;
}

#[wasm_bindgen_test]
async fn a_stream_over_sockjs_survives_the_broker_stopped_mid_stream_each_message_once() {
    sockjs_stream_survives(Restart::Stop, None).await;
}

#[wasm_bindgen_test]
async fn a_stream_over_sockjs_survives_the_broker_killed_mid_stream() {
    sockjs_stream_survives(Restart::Kill, None).await;
}

#[wasm_bindgen_test]
async fn a_stream_over_xhr_streaming_survives_the_broker_stopped_mid_stream_each_message_once() {
    sockjs_stream_survives(Restart::Stop, Some("xhr-streaming")).await;
}

#[wasm_bindgen_test]
async fn a_stream_over_xhr_streaming_survives_the_broker_killed_mid_stream() {
    sockjs_stream_survives(Restart::Kill, Some("xhr-streaming")).await;
}

#[wasm_bindgen_test]
async fn a_stream_over_eventsource_survives_the_broker_stopped_mid_stream_each_message_once() {
    sockjs_stream_survives(Restart::Stop, Some("eventsource")).await;
}

#[wasm_bindgen_test]
async fn a_stream_over_eventsource_survives_the_broker_killed_mid_stream() {
    sockjs_stream_survives(Restart::Kill, Some("eventsource")).await;
}

#[wasm_bindgen_test]
async fn a_stream_over_xhr_polling_survives_the_broker_stopped_mid_stream_each_message_once() {
    sockjs_stream_survives(Restart::Stop, Some("xhr-polling")).await;
}

#[wasm_bindgen_test]
async fn a_stream_over_xhr_polling_survives_the_broker_killed_mid_stream() {
    sockjs_stream_survives(Restart::Kill, Some("xhr-polling")).await;
}
