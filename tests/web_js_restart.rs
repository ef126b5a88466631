//! tests/web_restart.rs's tests against the size-first JS client (pkg-core/js/client.js, bound by
//! tests/support/js_client.rs under the Rust client's names), and a numbered stream across the
//! restart (tests/web/stream.rs; tests/web_sockjs_restart.rs runs it over SockJS).
//!
//! Browser tests of the Wasm client across a restart of the broker itself (not a dropped
//! socket): the supervisor of scripts/test-browser.sh stops the broker and starts it again on
//! the same ports, stomp-server or RabbitMQ alike.

#![cfg(target_arch = "wasm32")]

#[path = "support/js_client.rs"]
mod js_client;
#[path = "support/web.rs"]
mod support;

use js_client::{ActivationState, Client};

include!("web/restart.rs");
include!("web/stream.rs");

#[wasm_bindgen_test]
async fn a_stream_survives_the_broker_stopped_mid_stream_each_message_once() {
    stream_survives(Restart::Stop, broker_url(), "websocket", &[]).await;
}

#[wasm_bindgen_test]
async fn a_stream_survives_the_broker_killed_mid_stream() {
    stream_survives(Restart::Kill, broker_url(), "websocket", &[]).await;
}
