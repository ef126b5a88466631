//! Browser tests of the JS client as it ships (pkg-core/js/client.js, bound by
//! tests/support/js_client.rs) across a restart of the broker itself (not a dropped socket): the
//! supervisor of scripts/test-browser.sh stops the broker and starts it again on the same ports,
//! stomp-server or RabbitMQ alike. Also a numbered stream across the restart
//! (tests/web/stream.rs, which tests/web_sockjs_restart.rs runs over SockJS).

#![cfg(target_arch = "wasm32")]

#[path = "support/js_client.rs"]
mod js_client;
#[path = "support/web.rs"]
mod support;

use js_client::{ActivationState, Client};

// `send`, `reconnecting` and the stream.
include!("web/stream.rs");

use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn survives_a_broker_restart_with_subscriptions_restored_and_nothing_lost() {
    // Whatever an earlier failed test left, the broker is up.
    control("start").await;
    let rec = Recorder::default();
    let client = Client::new(Some(reconnecting(&rec, &[("offlineQueue", JsValue::TRUE)]))).unwrap();
    client.activate().unwrap();
    rec.wait("onConnect", 1).await;
    let dest = topic("web-restart");
    client
        .subscribe(s(&dest), rec.callback("msg"), None, None)
        .unwrap();
    send(&client, &dest, "before");
    rec.wait("msg", 1).await;

    control("stop").await;
    rec.wait("onWebSocketClose", 1).await;
    let errors_at_stop = rec.count("shutdownError");
    assert!(!client.connected());
    // Published while the broker is down: held by the offline queue, not thrown.
    send(&client, &dest, "while-down-1");
    send(&client, &dest, "while-down-2");
    assert_eq!(client.offline_queue_length(), 2);

    control("start").await;
    rec.wait("onConnect", 2).await;
    send(&client, &dest, "after");
    // The subscription was restored by the client (not by the test) and the queued publishes
    // went out after it, in order, exactly once.
    rec.wait("msg", 4).await;
    until("offline queue confirmed by receipts", || {
        client.offline_queue_length() == 0
    })
    .await;
    assert_eq!(
        rec.bodies("msg"),
        ["before", "while-down-1", "while-down-2", "after"]
    );
    settle(client.deactivate(None).unwrap()).await;
    assert_eq!(client.state(), ActivationState::INACTIVE);
    assert_eq!(rec.bodies("msg").len(), 4, "nothing delivered twice");
    assert_eq!(
        rec.count("shutdownError"),
        errors_at_stop,
        "an ERROR after the restart"
    );
}

#[wasm_bindgen_test]
async fn a_second_client_sees_the_first_again_after_a_restart() {
    // Two clients, each reconnecting by itself: after the restart the publisher's messages
    // reach the subscriber through its restored subscription.
    control("start").await;
    let (rec_a, rec_b) = (Recorder::default(), Recorder::default());
    let a = Client::new(Some(reconnecting(&rec_a, &[]))).unwrap();
    let b = Client::new(Some(reconnecting(&rec_b, &[]))).unwrap();
    a.activate().unwrap();
    b.activate().unwrap();
    rec_a.wait("onConnect", 1).await;
    rec_b.wait("onConnect", 1).await;
    let dest = topic("web-restart-pair");
    a.subscribe(s(&dest), rec_a.callback("msg"), None, None)
        .unwrap();

    control("restart?down_ms=300").await;
    rec_a.wait("onConnect", 2).await;
    rec_b.wait("onConnect", 2).await;
    // The SUBSCRIBE went out on a's new connection before any of b's publishes can arrive: a
    // receipt on a's connection after it proves it is in place.
    let ready = unique("restored");
    a.watch_for_receipt(s(&ready), rec_a.callback("ready"))
        .unwrap();
    a.publish(obj(&[
        ("destination", s(&unique("/topic/noop"))),
        ("headers", obj(&[("receipt", s(&ready))])),
    ]))
    .unwrap();
    rec_a.wait("ready", 1).await;
    send(&b, &dest, "hello again");
    rec_a.wait("msg", 1).await;
    assert_eq!(rec_a.bodies("msg"), ["hello again"]);
    settle(a.deactivate(None).unwrap()).await;
    settle(b.deactivate(None).unwrap()).await;
}

#[wasm_bindgen_test]
async fn a_stream_survives_the_broker_stopped_mid_stream_each_message_once() {
    stream_survives(Restart::Stop, broker_url(), "websocket", &[]).await;
}

#[wasm_bindgen_test]
async fn a_stream_survives_the_broker_killed_mid_stream() {
    stream_survives(Restart::Kill, broker_url(), "websocket", &[]).await;
}
