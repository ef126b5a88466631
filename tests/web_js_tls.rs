//! The JS client as it ships (pkg-core/js/client.js, bound by tests/support/js_client.rs) over
//! `wss://`: our server's `https` listener with a certificate made for the run
//! (scripts/test-browser.sh tells Chromium to trust it by its public key,
//! `--ignore-certificate-errors-spki-list`, Firefox and WebKitGTK through WebDriver's
//! `acceptInsecureCerts`, and passes the URL as `STOMP_TEST_WSS_URL`).

#![cfg(target_arch = "wasm32")]

#[path = "support/js_client.rs"]
mod js_client;
#[path = "support/web.rs"]
mod support;

use js_client::{ActivationState, Client};

use support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn wss_url() -> &'static str {
    match option_env!("STOMP_TEST_WSS_URL") {
        Some(url) => url,
        None => panic!(
            "STOMP_TEST_WSS_URL is not set: run the browser tests through scripts/test-browser.sh"
        ),
    }
}

#[wasm_bindgen_test]
async fn connects_over_wss_subscribes_publishes_and_receives() {
    let url = wss_url();
    assert!(url.starts_with("wss://"), "{url}");
    let rec = Recorder::default();
    let client = Client::new(Some(config(&rec, &[("brokerURL", s(url))]))).expect("config");
    client.activate().expect("activate");
    rec.wait("onConnect", 1).await;
    assert_eq!(client.connected_version().as_deref(), Some("1.2"));
    assert_eq!(get_str(&client.web_socket(), "url").as_deref(), Some(url));

    let dest = topic("web-tls");
    subscribe_confirmed(&client, &rec, &dest, rec.callback("msg")).await;
    client
        .publish(obj(&[("destination", s(&dest)), ("body", s("over wss"))]))
        .unwrap();
    rec.wait("msg", 1).await;
    assert_eq!(rec.bodies("msg"), ["over wss"]);
    assert_eq!(rec.count("onWebSocketError"), 0);

    settle(client.deactivate(None).unwrap()).await;
    assert_eq!(client.state(), ActivationState::INACTIVE);
}
