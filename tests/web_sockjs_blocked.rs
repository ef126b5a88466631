//! Browser tests of the client's SockJS fallback behind proxies that break WebSocket (the
//! supervisor of scripts/test-browser.sh): `STOMP_TEST_PROXY_CLOSE` destroys every upgrade at
//! once, `STOMP_TEST_PROXY_SWALLOW` never answers one. Kept apart from tests/web_sockjs.rs:
//! after many failed WebSocket attempts Chromium delays new ones, and each test file runs in a
//! browser of its own.

#![cfg(target_arch = "wasm32")]

#[path = "support/sockjs.rs"]
mod sockjs;
#[path = "support/web.rs"]
mod support;

use sockjs::*;
use support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

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
async fn repeated_connects_through_a_swallowing_proxy_all_succeed() {
    // Each one runs the race (the WebSocket never answers); the race's timer must fire every
    // time, whatever the previous connection left behind.
    for i in 0..20 {
        let rec = Recorder::default();
        let client = sockjs_client(&rec, &proxy_swallow(), &[], &[]);
        client.activate().unwrap();
        wait_connected(&rec, 1).await;
        assert_eq!(
            client.transport().as_deref(),
            Some("xhr-streaming"),
            "connect #{i}"
        );
        settle(client.deactivate(None).unwrap()).await;
    }
}

#[wasm_bindgen_test]
async fn after_many_failed_upgrades_a_forced_websocket_still_connects() {
    // Swallowed upgrades that the client gave up on: Chromium now delays new WebSocket
    // attempts. A transport with nothing to hand over to is not cut short by the race timeout.
    for _ in 0..10 {
        let rec = Recorder::default();
        let client = sockjs_client(&rec, &proxy_swallow(), &[], &[]);
        client.activate().unwrap();
        wait_connected(&rec, 1).await;
        settle(client.deactivate(None).unwrap()).await;
    }
    assert_eq!(
        round_trip(&ours(), &["websocket"], false).await,
        "websocket"
    );
}
