//! Browser tests of the size-first SockJS module (issue 14, step 8): `pkg-core/js/sockjs.js`
//! over pkg-sockjs's no_std module as `scripts/size.sh --sockjs` ships it, driven as the STOMP
//! client drives a socket — STOMP frames in, STOMP frames out — against our stomp-server's SockJS
//! endpoint and the supervisor's WebSocket-blocking and response-buffering proxies (scripts/test-browser.sh builds the
//! module first). tests/web_sockjs.rs drives the same module through the JS client.

#![cfg(target_arch = "wasm32")]

#[path = "support/js_client.rs"]
mod js_client;
#[path = "support/sockjs.rs"]
mod sockjs;
#[path = "support/web.rs"]
mod support;

use js_sys::{Array, ArrayBuffer, Uint8Array};
use sockjs::*;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

// The module's bytes reach its `init` through `sockjs::preload_sockjs` (no fetch of a URL the
// test server does not serve).
#[wasm_bindgen(module = "/pkg-core/js/sockjs.js")]
extern "C" {
    type SockJS;

    #[wasm_bindgen(constructor, catch)]
    fn new(url: &str, reserved: &JsValue, options: &JsValue) -> Result<SockJS, JsValue>;
    #[wasm_bindgen(method, getter, js_name = readyState)]
    fn ready_state(this: &SockJS) -> u32;
    #[wasm_bindgen(method, getter)]
    fn transport(this: &SockJS) -> Option<String>;
    #[wasm_bindgen(method, catch)]
    fn send(this: &SockJS, data: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn close(this: &SockJS) -> Result<(), JsValue>;
}

/// A socket to `url` over `transports` (the default order when empty), its events recorded as
/// `open`, `message`, `close` and `debug`.
async fn open(rec: &Recorder, url: &str, transports: &[&str]) -> SockJS {
    settle(preload_sockjs()).await;
    let mut options = vec![("debug", rec.callback("debug"))];
    if !transports.is_empty() {
        let list: Array = transports.iter().map(|t| s(t)).collect();
        options.push(("transports", list.into()));
    }
    let sock = SockJS::new(url, &JsValue::NULL, &obj(&options)).expect("a SockJS");
    for event in ["open", "message", "close"] {
        js_sys::Reflect::set(&sock, &s(&format!("on{event}")), &rec.callback(event)).unwrap();
    }
    if rec.count("open") == 0 {
        wait_for(rec, "open", 1).await;
    }
    sock
}

/// Waits for the `times`-th `name` event; on a timeout the panic shows the debug lines.
async fn wait_for(rec: &Recorder, name: &str, times: usize) {
    let start = js_sys::Date::now();
    while rec.count(name) < times {
        if rec.count("close") > 0 && name != "close" {
            panic!(
                "closed: {:?}; debug: {:#?}",
                close_of(rec),
                debug_lines(rec)
            );
        }
        if js_sys::Date::now() - start > 15_000.0 {
            panic!("no {name} #{times}; debug: {:#?}", debug_lines(rec));
        }
        gloo_timers::future::TimeoutFuture::new(5).await;
    }
}

fn close_of(rec: &Recorder) -> (Option<f64>, Option<String>, JsValue) {
    let e = rec.nth("close", 0);
    (
        get(&e, "code").as_f64(),
        get_str(&e, "reason"),
        get(&e, "wasClean"),
    )
}

/// The `i`-th message's data: text, or the bytes of an ArrayBuffer.
fn message(rec: &Recorder, i: usize) -> Result<String, Vec<u8>> {
    let data = get(&rec.nth("message", i), "data");
    match data.as_string() {
        Some(text) => Ok(text),
        None => Err(Uint8Array::new(data.unchecked_ref::<ArrayBuffer>()).to_vec()),
    }
}

/// The next message that is not a heart-beat EOL, after the `seen` already looked at.
async fn next_frame(rec: &Recorder, seen: &mut usize) -> Result<String, Vec<u8>> {
    loop {
        wait_for(rec, "message", *seen + 1).await;
        let m = message(rec, *seen);
        *seen += 1;
        if !matches!(&m, Ok(t) if t.trim_matches(['\r', '\n']).is_empty()) {
            return m;
        }
    }
}

/// CONNECT → CONNECTED, SUBSCRIBE with a receipt, a text SEND and a base64 one back as
/// MESSAGEs, then a close reported once. Returns the transport.
async fn stomp_round_trip(url: &str, transports: &[&str]) -> String {
    let rec = Recorder::default();
    let sock = open(&rec, url, transports).await;
    assert_eq!(sock.ready_state(), 1);
    let transport = sock.transport().expect("a transport once open");
    let mut seen = 0;
    sock.send(&s(
        "CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,0\n\n\0",
    ))
    .unwrap();
    let connected = next_frame(&rec, &mut seen)
        .await
        .expect("CONNECTED is text");
    assert!(connected.starts_with("CONNECTED\n"), "{connected:?}");

    let dest = topic("sockjs-module");
    sock.send(&s(&format!(
        "SUBSCRIBE\nid:0\ndestination:{dest}\nreceipt:r\n\n\0"
    )))
    .unwrap();
    let receipt = next_frame(&rec, &mut seen).await.expect("RECEIPT is text");
    assert!(
        receipt.starts_with("RECEIPT\nreceipt-id:r\n"),
        "{receipt:?}"
    );

    let text = format!("over {transport}: \"quotes\", \\, \u{2028}, é");
    sock.send(&s(&format!("SEND\ndestination:{dest}\n\n{text}\0")))
        .unwrap();
    let msg = next_frame(&rec, &mut seen)
        .await
        .expect("a text MESSAGE is a string");
    assert!(msg.starts_with("MESSAGE\n"), "{msg:?}");
    assert!(msg.ends_with(&format!("\n\n{text}\0")), "{msg:?}");

    // Strings only, as sockjs-client: bytes that are not UTF-8 are refused, and a binary body
    // travels as the STOMP client writes it, base64 with `content-transfer-encoding:base64`,
    // which stomp-server hands to a SockJS subscriber the same way.
    let bytes = Uint8Array::from(&[b'S', 0xff][..]);
    assert!(sock.send(&bytes.buffer().into()).is_err(), "not UTF-8");
    sock.send(&s(&format!(
        "SEND\ndestination:{dest}\ncontent-transfer-encoding:base64\n\nAP/DKA==\0"
    )))
    .unwrap();
    let bin = next_frame(&rec, &mut seen)
        .await
        .expect("every message is a string");
    assert!(bin.starts_with("MESSAGE\n"), "{bin:?}");
    assert!(
        bin.contains("\ncontent-transfer-encoding:base64\n"),
        "{bin:?}"
    );
    assert!(bin.ends_with("\n\nAP/DKA==\0"), "over {transport}: {bin:?}");

    sock.close().unwrap();
    wait_for(&rec, "close", 1).await;
    assert_eq!(sock.ready_state(), 3);
    let (code, _, clean) = close_of(&rec);
    assert_eq!(code, Some(1000.0));
    assert_eq!(clean, JsValue::TRUE);
    sock.send(&s("after close")).unwrap();
    gloo_timers::future::TimeoutFuture::new(50).await;
    assert_eq!(rec.count("close"), 1, "onclose once");
    transport
}

#[wasm_bindgen_test]
async fn each_transport_carries_stomp_text_and_binary_and_closes_once() {
    for transport in TRANSPORTS {
        assert_eq!(stomp_round_trip(&ours(), &[transport]).await, transport);
    }
}

#[wasm_bindgen_test]
async fn without_websocket_on_the_server_it_opens_over_xhr_streaming() {
    assert_eq!(
        stomp_round_trip(&no_websocket(), &[]).await,
        "xhr-streaming"
    );
}

#[wasm_bindgen_test]
async fn falls_back_when_a_proxy_closes_the_upgrade_at_once() {
    assert_eq!(stomp_round_trip(&proxy_close(), &[]).await, "xhr-streaming");
}

// A reverse proxy that refuses the upgrade and holds every response until it ends, as some
// corporate ones do: the streaming transports open requests that never deliver a byte, and only
// xhr-polling, whose responses end after each batch, gets through.
#[wasm_bindgen_test]
async fn through_a_buffering_proxy_that_refuses_upgrades_it_ends_on_xhr_polling() {
    assert_eq!(stomp_round_trip(&proxy_buffer(), &[]).await, "xhr-polling");
}

/// The debug line naming the order the transports are tried in.
fn order_line(rec: &Recorder) -> String {
    debug_lines(rec)
        .into_iter()
        .find(|l| l.contains(" ms, trying "))
        .expect("the order line")
}

// One test for everything that goes through the swallowing proxy: the transport plan is kept
// per endpoint for the page's lifetime, so the steps depend on each other in this order.
#[wasm_bindgen_test]
async fn a_swallowed_websocket_loses_the_race_and_the_plan_remembers_it() {
    assert_eq!(
        stomp_round_trip(&proxy_swallow(), &[]).await,
        "xhr-streaming"
    );
    // The next socket to the same endpoint starts with what worked, WebSocket last.
    let rec = Recorder::default();
    let sock = open(&rec, &proxy_swallow(), &[]).await;
    assert_eq!(sock.transport().as_deref(), Some("xhr-streaming"));
    let order = order_line(&rec);
    assert!(
        order.ends_with("trying xhr-streaming eventsource xhr-polling websocket"),
        "{order}"
    );
    sock.close().unwrap();
    // Restricted to WebSocket and xhr-polling, it gives way to the allowed one.
    assert_eq!(
        stomp_round_trip(&proxy_swallow(), &["websocket", "xhr-polling"]).await,
        "xhr-polling"
    );
}
