//! Browser tests of the JS client's API surface (pkg-core/js/client.js as it ships, bound by
//! tests/support/js_client.rs) that need no broker: defaults, config keys as properties,
//! `configure`, `Versions` and `TickerStrategy`, and a socket that is not a WebSocket.
//!
//! The config keys are plain properties, as in stompjs: nothing checks their types at assignment
//! (the wasm-bindgen client this package replaced threw there, naming the key).

#![cfg(target_arch = "wasm32")]

#[path = "support/js_client.rs"]
mod js_client;
#[path = "support/web.rs"]
mod support;

use js_client::{ActivationState, Client, Stomp};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/pkg-core/js/client.js")]
extern "C" {
    type Versions;

    #[wasm_bindgen(constructor)]
    fn new(versions: &JsValue) -> Versions;
    #[wasm_bindgen(method, js_name = supportedVersions)]
    fn supported_versions(this: &Versions) -> String;
    #[wasm_bindgen(method, js_name = protocolVersions)]
    fn protocol_versions(this: &Versions) -> js_sys::Array;
    #[wasm_bindgen(method, getter)]
    fn versions(this: &Versions) -> js_sys::Array;
    #[wasm_bindgen(static_method_of = Versions, getter = default)]
    fn default_versions() -> Versions;

    #[wasm_bindgen(thread_local_v2, js_name = TickerStrategy)]
    static TICKER_STRATEGY: JsValue;
}

#[wasm_bindgen_test]
fn defaults_match_stompjs() {
    let client = Client::new(None).unwrap();
    assert_eq!(client.reconnect_delay().as_f64(), Some(5000.0));
    assert_eq!(client.heartbeat_incoming().as_f64(), Some(10000.0));
    assert_eq!(client.heartbeat_outgoing().as_f64(), Some(10000.0));
    assert_eq!(client.max_web_socket_chunk_size().as_f64(), Some(8192.0));
    assert_eq!(client.connection_timeout().as_f64(), Some(0.0));
    assert_eq!(client.reconnect_time_mode().as_f64(), Some(0.0));
    assert_eq!(
        client.heartbeat_strategy().as_string().as_deref(),
        Some("interval")
    );
    assert_eq!(client.split_large_frames(), JsValue::FALSE);
    // Not a stompjs option: on, but never for subscriptions made in onConnect.
    assert_eq!(client.resubscribe(), JsValue::TRUE);
    assert!(client.broker_url().is_undefined());
    let versions: Versions = client.stomp_versions().unchecked_into();
    assert_eq!(versions.versions().length(), 3);
    assert_eq!(versions.supported_versions(), "1.2,1.1,1.0");
    assert_eq!(client.state(), ActivationState::INACTIVE);
    assert!(!client.connected() && !client.active());
    assert!(client.web_socket().is_undefined());
}

#[wasm_bindgen_test]
fn every_config_key_is_a_property_and_configure_applies_them() {
    let client = Client::new(Some(obj(&[
        ("brokerURL", s("ws://example.invalid/ws")),
        ("reconnectDelay", n(250.0)),
        ("heartbeatIncoming", n(0.0)),
    ])))
    .unwrap();
    assert_eq!(
        client.broker_url().as_string().as_deref(),
        Some("ws://example.invalid/ws")
    );
    assert_eq!(client.reconnect_delay().as_f64(), Some(250.0));
    assert_eq!(client.heartbeat_incoming().as_f64(), Some(0.0));

    let debug = Recorder::default().callback("debug");
    let headers = obj(&[("login", s("u"))]);
    client
        .configure(obj(&[
            ("connectHeaders", headers.clone()),
            ("disconnectHeaders", obj(&[("x", s("y"))])),
            (
                "stompVersions",
                Versions::new(&js_sys::Array::of2(&s("1.1"), &s("1.0"))).into(),
            ),
            ("connectionTimeout", n(3000.0)),
            ("maxReconnectDelay", n(60000.0)),
            ("reconnectTimeMode", n(1.0)),
            ("heartbeatOutgoing", n(2500.0)),
            ("heartbeatToleranceMultiplier", n(3.0)),
            ("heartbeatStrategy", s("worker")),
            ("splitLargeFrames", JsValue::TRUE),
            ("maxWebSocketChunkSize", n(1024.0)),
            ("forceBinaryWSFrames", JsValue::TRUE),
            ("appendMissingNULLonIncoming", JsValue::TRUE),
            ("discardWebsocketOnCommFailure", JsValue::TRUE),
            ("logRawCommunication", JsValue::TRUE),
            ("debug", debug.clone()),
            ("maxReconnectAttempts", n(4.0)),
            ("offlineQueue", obj(&[("maxFrames", n(10.0))])),
        ]))
        .unwrap();
    assert_eq!(
        client.connect_headers(),
        headers,
        "the same object, so in-place edits count"
    );
    assert_eq!(
        header(&obj(&[("headers", client.disconnect_headers())]), "x").as_deref(),
        Some("y")
    );
    let versions: Versions = client.stomp_versions().unchecked_into();
    assert_eq!(versions.supported_versions(), "1.1,1.0");
    assert_eq!(client.connection_timeout().as_f64(), Some(3000.0));
    assert_eq!(client.max_reconnect_delay().as_f64(), Some(60000.0));
    assert_eq!(client.reconnect_time_mode().as_f64(), Some(1.0));
    assert_eq!(client.heartbeat_outgoing().as_f64(), Some(2500.0));
    assert_eq!(client.heartbeat_tolerance_multiplier().as_f64(), Some(3.0));
    assert_eq!(
        client.heartbeat_strategy().as_string().as_deref(),
        Some("worker")
    );
    assert_eq!(client.split_large_frames(), JsValue::TRUE);
    assert_eq!(client.max_web_socket_chunk_size().as_f64(), Some(1024.0));
    assert_eq!(client.force_binary_ws_frames(), JsValue::TRUE);
    assert_eq!(client.append_missing_nul_on_incoming(), JsValue::TRUE);
    assert_eq!(client.discard_websocket_on_comm_failure(), JsValue::TRUE);
    assert_eq!(client.log_raw_communication(), JsValue::TRUE);
    assert_eq!(client.debug(), debug);
    assert_eq!(client.max_reconnect_attempts().as_f64(), Some(4.0));
    assert!(client.offline_queue().is_object());

    // Setters, one by one, including callbacks: each reads back what was set, and can be
    // removed again.
    let rec = Recorder::default();
    for (name, set, get) in [
        (
            "onConnect",
            Client::set_on_connect as fn(&Client, JsValue) -> Result<(), JsValue>,
            Client::on_connect as fn(&Client) -> JsValue,
        ),
        (
            "onDisconnect",
            Client::set_on_disconnect,
            Client::on_disconnect,
        ),
        (
            "onStompError",
            Client::set_on_stomp_error,
            Client::on_stomp_error,
        ),
        (
            "onWebSocketClose",
            Client::set_on_web_socket_close,
            Client::on_web_socket_close,
        ),
        (
            "onWebSocketError",
            Client::set_on_web_socket_error,
            Client::on_web_socket_error,
        ),
        (
            "onUnhandledMessage",
            Client::set_on_unhandled_message,
            Client::on_unhandled_message,
        ),
        (
            "onUnhandledReceipt",
            Client::set_on_unhandled_receipt,
            Client::on_unhandled_receipt,
        ),
        (
            "onUnhandledFrame",
            Client::set_on_unhandled_frame,
            Client::on_unhandled_frame,
        ),
        (
            "onChangeState",
            Client::set_on_change_state,
            Client::on_change_state,
        ),
        (
            "onHeartbeatReceived",
            Client::set_on_heartbeat_received,
            Client::on_heartbeat_received,
        ),
        (
            "onHeartbeatLost",
            Client::set_on_heartbeat_lost,
            Client::on_heartbeat_lost,
        ),
        (
            "beforeConnect",
            Client::set_before_connect,
            Client::before_connect,
        ),
        (
            "webSocketFactory",
            Client::set_web_socket_factory,
            Client::web_socket_factory,
        ),
    ] {
        let f = rec.callback(name);
        set(&client, f.clone()).unwrap();
        assert_eq!(get(&client), f, "{name}");
        set(&client, JsValue::UNDEFINED).unwrap();
        assert!(get(&client).is_undefined(), "{name} removed");
    }
}

/// The config keys as JavaScript sees them: readable and writable on any client, each client
/// with its own values.
#[wasm_bindgen_test]
fn config_keys_are_javascript_properties() {
    let client = Client::new(Some(obj(&[("reconnectDelay", n(250.0))]))).unwrap();
    let client = client.js();
    let key = |k: &str| JsValue::from_str(k);
    assert_eq!(get(client, "reconnectDelay").as_f64(), Some(250.0));
    js_sys::Reflect::set(client, &key("reconnectDelay"), &n(0.0)).unwrap();
    assert_eq!(get(client, "reconnectDelay").as_f64(), Some(0.0));
    let on_connect = js_sys::Function::new_no_args("");
    js_sys::Reflect::set(client, &key("onConnect"), &on_connect).unwrap();
    assert_eq!(get(client, "onConnect"), JsValue::from(on_connect));
    js_sys::Reflect::set(client, &key("brokerURL"), &s("ws://localhost/x")).unwrap();
    assert_eq!(
        get_str(client, "brokerURL").as_deref(),
        Some("ws://localhost/x")
    );

    // Another client has its own values under the same keys.
    let other = Stomp::client("ws://localhost/other".into()).unwrap();
    let other = other.js();
    assert_eq!(
        get(other, "reconnectDelay").as_f64(),
        Some(0.0),
        "compat clients do not reconnect unless asked"
    );
    js_sys::Reflect::set(other, &key("reconnectDelay"), &n(7.0)).unwrap();
    assert_eq!(get(client, "reconnectDelay").as_f64(), Some(0.0));
    assert_eq!(
        get_str(other, "brokerURL").as_deref(),
        Some("ws://localhost/other")
    );
    assert_eq!(
        get_str(client, "brokerURL").as_deref(),
        Some("ws://localhost/x")
    );
}

/// A socket-like object that records what the client sends and lets the test play the server:
/// what the broker does is not under test here, but how the client treats an object that is not
/// a WebSocket (tests/web/client.rs runs one against the real broker).
fn fake_socket(sent: &Recorder) -> JsValue {
    obj(&[
        ("readyState", n(0.0)),
        ("send", sent.callback("send")),
        ("close", sent.callback("close")),
    ])
}

fn fire(socket: &JsValue, handler: &str, event: JsValue) {
    let f: js_sys::Function = get(socket, handler).dyn_into().expect("handler installed");
    f.call1(socket, &event).unwrap();
}

/// Waits until the client has taken `socket` (it does once its core module is compiled).
async fn attached(socket: &JsValue) {
    until("the client installs its socket handlers", || {
        get(socket, "onopen").is_function()
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_duck_typed_socket_carries_the_whole_session() {
    let sent = Recorder::default();
    let rec = Recorder::default();
    let socket = fake_socket(&sent);
    let client = Stomp::over(socket.clone()).unwrap();
    client.set_on_connect(rec.callback("onConnect")).unwrap();
    client.set_heartbeat_incoming(n(0.0)).unwrap();
    client.set_heartbeat_outgoing(n(0.0)).unwrap();
    client.activate().unwrap();
    attached(&socket).await;
    assert_eq!(client.web_socket(), socket);

    fire(&socket, "onopen", obj(&[]));
    until("CONNECT sent", || sent.count("send") > 0).await;
    let connect = sent
        .nth("send", 0)
        .as_string()
        .expect("CONNECT sent as text");
    assert!(
        connect.starts_with("CONNECT\n") || connect.starts_with("STOMP\n"),
        "{connect}"
    );
    assert!(
        connect.contains("accept-version:1.2,1.1,1.0\n"),
        "{connect}"
    );

    // CONNECTED as text, then a MESSAGE as an ArrayBuffer split over two socket messages.
    fire(
        &socket,
        "onmessage",
        obj(&[("data", s("CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0"))]),
    );
    until("onConnect", || rec.count("onConnect") == 1).await;
    assert!(client.connected());

    let sub = client
        .subscribe(
            s("/queue/a"),
            rec.callback("msg"),
            Some(obj(&[("ack", s("client"))])),
            None,
        )
        .unwrap();
    let subscribe = sent.nth("send", 1).as_string().unwrap();
    assert!(
        subscribe.starts_with("SUBSCRIBE\n") && subscribe.contains("ack:client\n"),
        "{subscribe}"
    );

    let wire = format!(
        "MESSAGE\ndestination:/queue/a\nmessage-id:m1\nsubscription:{}\nack:a1\ncontent-length:3\n\na\0b\0",
        sub.id()
    );
    let (head, tail) = wire.as_bytes().split_at(20);
    let buffer = |b: &[u8]| js_sys::Uint8Array::from(b).buffer();
    fire(&socket, "onmessage", obj(&[("data", buffer(head).into())]));
    assert_eq!(rec.count("msg"), 0, "half a frame delivers nothing");
    fire(&socket, "onmessage", obj(&[("data", buffer(tail).into())]));
    let msg = rec.nth("msg", 0);
    assert_eq!(bytes(&msg), b"a\0b");
    assert_eq!(header(&msg, "message-id").as_deref(), Some("m1"));

    // message.ack() sends ACK with the 1.2 ack id.
    let ack: js_sys::Function = get(&msg, "ack").unchecked_into();
    ack.call0(&msg).unwrap();
    let ack_frame = sent.all("send").last().unwrap().as_string().unwrap();
    assert!(
        ack_frame.starts_with("ACK\n") && ack_frame.contains("id:a1\n"),
        "{ack_frame}"
    );

    // A binary publish goes out as a binary message.
    client
        .publish(obj(&[
            ("destination", s("/queue/b")),
            (
                "binaryBody",
                js_sys::Uint8Array::from(&[1u8, 2, 0][..]).into(),
            ),
        ]))
        .unwrap();
    let last = sent.all("send").last().unwrap().clone();
    assert!(
        last.is_instance_of::<js_sys::Uint8Array>(),
        "binary frame sent as bytes"
    );

    // The server goes away: not connected, and no reconnection (Stomp.over with a socket).
    fire(
        &socket,
        "onclose",
        obj(&[("code", n(1006.0)), ("reason", s(""))]),
    );
    assert!(!client.connected());
}

#[wasm_bindgen_test]
async fn versions_and_ticker_strategy_objects_work_as_in_stompjs() {
    let versions = Versions::new(&js_sys::Array::of2(&s("1.1"), &s("1.0")));
    assert_eq!(versions.supported_versions(), "1.1,1.0");
    let protocols: Vec<String> = versions
        .protocol_versions()
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    assert_eq!(protocols, vec!["v11.stomp", "v10.stomp"]);
    assert_eq!(Versions::default_versions().versions().length(), 3);
    let worker = TICKER_STRATEGY.with(|t| get_str(t, "Worker"));
    assert_eq!(worker.as_deref(), Some("worker"));
    let interval = TICKER_STRATEGY.with(|t| get_str(t, "Interval"));
    assert_eq!(interval.as_deref(), Some("interval"));
    let client = Client::new(Some(obj(&[
        ("stompVersions", versions.into()),
        ("heartbeatStrategy", s(&worker.unwrap())),
    ])))
    .unwrap();
    assert_eq!(
        client.heartbeat_strategy().as_string().as_deref(),
        Some("worker")
    );
    let sent = Recorder::default();
    let socket = fake_socket(&sent);
    let over = Stomp::over(socket.clone()).unwrap();
    over.set_stomp_versions(client.stomp_versions()).unwrap();
    over.activate().unwrap();
    attached(&socket).await;
    fire(&socket, "onopen", obj(&[]));
    until("CONNECT sent", || sent.count("send") > 0).await;
    let connect = sent.nth("send", 0).as_string().unwrap();
    assert!(connect.contains("accept-version:1.1,1.0\n"), "{connect}");
}
