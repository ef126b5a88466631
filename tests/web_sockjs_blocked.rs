//! Browser tests of the JS client as it ships (pkg-core/js/client.js, bound by
//! tests/support/js_client.rs) over its SockJS fallback behind proxies that break WebSocket (the
//! supervisor of scripts/test-browser.sh): `STOMP_TEST_PROXY_CLOSE` destroys every upgrade at
//! once, `STOMP_TEST_PROXY_SWALLOW` never answers one. Kept apart from tests/web_sockjs.rs:
//! after many failed WebSocket attempts Chromium delays new ones, and each test file runs in a
//! browser of its own.
//!
//! The SockJS module keeps one transport plan per endpoint for the page's lifetime
//! (tests/web_sockjs_module.rs tests that memory): once WebSocket lost a race to an endpoint, the
//! next sockets to it start with the transport that won and try WebSocket last, for 30 s. So
//! only the first connect through the swallowing proxy in this page runs the race; the others
//! show that the remembered plan connects every time.

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
async fn falls_back_when_a_proxy_closes_the_upgrade_at_once() {
    assert_eq!(round_trip(&proxy_close(), &[], true).await, "xhr-streaming");
}

// Which HTTP transport depends on what this page's plan for the endpoint learnt before (the
// module's own test, tests/web_sockjs_module.rs, checks a fresh plan's xhr-streaming).
#[wasm_bindgen_test]
async fn falls_back_when_a_proxy_swallows_the_upgrade() {
    let rec = Recorder::default();
    let t = round_trip_recorded(&rec, &proxy_swallow(), &[], true).await;
    assert_eq!(t, fallback(&rec));
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
    // Whatever the previous connection left behind (a swallowed WebSocket it gave up on, the
    // plan it taught), each one connects over the fallback its plan names.
    for i in 0..20 {
        let rec = Recorder::default();
        let client = sockjs_client(&rec, &proxy_swallow(), &[], &[]);
        client.activate().unwrap();
        wait_connected(&rec, 1).await;
        assert_eq!(client.transport(), Some(fallback(&rec)), "connect #{i}");
        settle(client.deactivate(None).unwrap()).await;
    }
}

#[wasm_bindgen_test]
async fn after_many_failed_upgrades_a_forced_websocket_still_connects() {
    // Swallowed upgrades that the client gave up on: Chromium delays new WebSocket attempts
    // after many. A transport with nothing to hand over to is not cut short by the race
    // timeout.
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
