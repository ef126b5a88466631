//! tests/web_restart.rs's tests against the size-first JS client (pkg-core/js/client.js, bound by
//! tests/support/js_client.rs under the Rust client's names).
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

/// Publishes 0..=300, one every 10 ms, asking the supervisor for `restart` after #100 while the
/// stream goes on, and waits until every number has arrived and the offline queue has been
/// confirmed by receipts. Returns the bodies in arrival order.
async fn stream_across(restart: &'static str) -> Vec<u32> {
    control("start").await;
    let rec = Recorder::default();
    // With the offline queue every publish is kept until its RECEIPT (whileConnected), so one in
    // flight when the broker dies is sent again after the reconnection.
    let client = Client::new(Some(reconnecting(&rec, &[("offlineQueue", JsValue::TRUE)]))).unwrap();
    client.activate().unwrap();
    rec.wait("onConnect", 1).await;
    let dest = topic("web-midstream");
    client
        .subscribe(s(&dest), rec.callback("msg"), None, None)
        .unwrap();
    send(&client, &dest, "0");
    rec.wait("msg", 1).await;
    let back = std::rc::Rc::new(std::cell::Cell::new(false));
    for i in 1..=300u32 {
        send(&client, &dest, &i.to_string());
        if i == 100 {
            let back = back.clone();
            wasm_bindgen_futures::spawn_local(async move {
                control(restart).await;
                back.set(true);
            });
        }
        gloo_timers::future::TimeoutFuture::new(10).await;
    }
    // RabbitMQ takes seconds to come back: wait for the supervisor's answer, then for delivery.
    for _ in 0..600 {
        if back.get() {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(100).await;
    }
    assert!(back.get(), "the broker did not come back within 60 s");
    let numbers = || -> Vec<u32> {
        rec.bodies("msg")
            .iter()
            .map(|b| b.parse().expect("a number"))
            .collect()
    };
    until("all 301 delivered and the offline queue confirmed", || {
        let mut seen = numbers();
        seen.sort_unstable();
        seen.dedup();
        seen.len() == 301 && client.offline_queue_length() == 0
    })
    .await;
    settle(client.deactivate(None).unwrap()).await;
    numbers()
}

/// The first arrival of each number, in arrival order.
fn first_arrivals(numbers: &[u32]) -> Vec<u32> {
    let mut seen = std::collections::HashSet::new();
    numbers
        .iter()
        .copied()
        .filter(|n| seen.insert(*n))
        .collect()
}

#[wasm_bindgen_test]
async fn a_stream_survives_the_broker_stopped_mid_stream_each_message_once() {
    let got = stream_across("restart?down_ms=500").await;
    assert_eq!(
        first_arrivals(&got),
        (0..=300).collect::<Vec<_>>(),
        "every publish, in order"
    );
    if broker_drops_resent_sends() {
        assert_eq!(got.len(), 301, "nothing delivered twice");
    }
}

#[wasm_bindgen_test]
async fn a_stream_survives_the_broker_killed_mid_stream() {
    // After SIGKILL the restarted broker cannot know a frame the dead one delivered without
    // confirming it: such a frame may arrive twice (README, "A re-sent SEND is delivered once").
    let got = stream_across("restart?down_ms=500&signal=KILL").await;
    assert_eq!(
        first_arrivals(&got),
        (0..=300).collect::<Vec<_>>(),
        "every publish, in order"
    );
}
