//! Browser tests of the JS client as it ships (pkg-core/js/client.js, bound by
//! tests/support/js_client.rs) against a real broker over WebSocket (Chromium, Firefox ESR or
//! WebKitGTK: scripts/test-browser.sh, ENGINE).
//! Run with `scripts/test-browser.sh` (see there for the broker choice).

#![cfg(target_arch = "wasm32")]

#[path = "support/js_client.rs"]
mod js_client;
#[path = "support/web.rs"]
mod support;

use js_client::{ActivationState, Client, Stomp};

use js_sys::Uint8Array;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A client with every callback recorded, activated and connected.
async fn connected(rec: &Recorder, extra: &[(&str, JsValue)]) -> Client {
    let client = Client::new(Some(config(rec, extra))).expect("config accepted");
    client.activate().expect("activate");
    rec.wait("onConnect", 1).await;
    assert!(client.connected());
    client
}

async fn shut(client: &Client) {
    settle(client.deactivate(None).unwrap()).await;
    assert_eq!(client.state(), ActivationState::INACTIVE);
}

#[wasm_bindgen_test]
async fn connects_negotiates_1_2_and_deactivates_gracefully() {
    let rec = Recorder::default();
    let client = Client::new(Some(config(
        &rec,
        &[
            ("debug", rec.callback("debug")),
            ("logRawCommunication", JsValue::TRUE),
        ],
    )))
    .unwrap();
    assert_eq!(client.state(), ActivationState::INACTIVE);
    assert!(!client.active());
    client.activate().unwrap();
    assert!(client.active());
    assert!(
        !client.web_socket().is_undefined(),
        "socket created on activate"
    );
    rec.wait("onConnect", 1).await;

    let frame = rec.nth("onConnect", 0);
    assert_eq!(get_str(&frame, "command").as_deref(), Some("CONNECTED"));
    assert_eq!(header(&frame, "version").as_deref(), Some("1.2"));
    assert_eq!(client.connected_version().as_deref(), Some("1.2"));
    assert!(client.connected());
    // ACTIVE was announced before CONNECTED.
    assert_eq!(rec.nth("onChangeState", 0).as_f64(), Some(0.0));

    shut(&client).await;
    assert!(!client.connected());
    assert_eq!(client.connected_version(), None);
    // Graceful: DISCONNECT's RECEIPT reached onDisconnect, then the socket closed.
    let log: Vec<String> = rec
        .all("debug")
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    if broker_sends_disconnect_receipt() {
        assert_eq!(rec.count("onDisconnect"), 1, "{log:#?}");
    }
    assert_eq!(rec.count("onWebSocketClose"), 1);
    assert!(
        log.iter().any(|l| l.starts_with(">>> DISCONNECT")),
        "raw frames logged"
    );
    let states: Vec<f64> = rec
        .all("onChangeState")
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    assert_eq!(states, vec![0.0, 1.0, 2.0]);
    assert!(client.web_socket().is_undefined());
}

#[wasm_bindgen_test]
async fn stomp_versions_limit_the_negotiated_version() {
    let rec = Recorder::default();
    let versions = js_sys::Array::of1(&s("1.1"));
    let client = connected(&rec, &[("stompVersions", versions.into())]).await;
    assert_eq!(client.connected_version().as_deref(), Some("1.1"));
    shut(&client).await;
}

#[wasm_bindgen_test]
async fn text_messages_round_trip_with_headers() {
    let rec = Recorder::default();
    let client = connected(&rec, &[]).await;
    let dest = topic("web-text");
    let sub = client
        .subscribe(s(&dest), rec.callback("msg"), None, None)
        .unwrap();
    assert!(!sub.id().is_empty());
    // Subscribe with a receipt first would be stricter; a watched publish receipt orders it.
    client
        .publish(obj(&[
            ("destination", s(&dest)),
            ("body", s("héllo, wörld: 1\n2")),
            (
                "headers",
                obj(&[("x-custom", s("a:b\\c")), ("content-type", s("text/plain"))]),
            ),
        ]))
        .unwrap();
    rec.wait("msg", 1).await;
    let msg = rec.nth("msg", 0);
    assert_eq!(get_str(&msg, "command").as_deref(), Some("MESSAGE"));
    assert_eq!(get_str(&msg, "body").as_deref(), Some("héllo, wörld: 1\n2"));
    assert_eq!(header(&msg, "destination").as_deref(), Some(dest.as_str()));
    assert_eq!(
        header(&msg, "x-custom").as_deref(),
        Some("a:b\\c"),
        "escaped header survives"
    );
    assert_eq!(
        header(&msg, "subscription").as_deref(),
        Some(sub.id().as_str())
    );
    assert!(get(&msg, "ack").is_function() && get(&msg, "nack").is_function());
    shut(&client).await;
}

/// Connects, subscribes to a fresh topic named after `name`, publishes one message there with
/// `fields` besides its destination, and returns the client, the topic and the MESSAGE delivered.
async fn publish_one(name: &str, fields: &[(&str, JsValue)]) -> (Client, String, JsValue) {
    let rec = Recorder::default();
    let client = connected(&rec, &[]).await;
    let dest = topic(name);
    client
        .subscribe(s(&dest), rec.callback("msg"), None, None)
        .unwrap();
    let mut message = vec![("destination", s(&dest))];
    message.extend(fields.iter().cloned());
    client.publish(obj(&message)).unwrap();
    rec.wait("msg", 1).await;
    let msg = rec.nth("msg", 0);
    (client, dest, msg)
}

/// Non-ASCII headers move where the body starts in the decoded text (characters of two, three and
/// four UTF-8 bytes, the last a UTF-16 surrogate pair): body, headers and bytes must all line up.
#[wasm_bindgen_test]
async fn non_ascii_headers_and_bodies_keep_their_boundaries() {
    let body = "🎉 ünïcødé body — 日本語 🎉";
    let fields = [
        ("body", s(body)),
        ("headers", obj(&[("x-name", s("Zoë 🚀 東京"))])),
    ];
    let (client, dest, msg) = publish_one("web-unicode", &fields).await;
    assert_eq!(get_str(&msg, "body").as_deref(), Some(body));
    assert_eq!(header(&msg, "x-name").as_deref(), Some("Zoë 🚀 東京"));
    assert_eq!(header(&msg, "destination").as_deref(), Some(dest.as_str()));
    assert_eq!(bytes(&msg), body.as_bytes(), "binaryBody is the UTF-8 body");
    let buffer = get(&get(&msg, "binaryBody"), "buffer");
    assert_eq!(get(&buffer, "byteLength").as_f64(), Some(body.len() as f64));
    shut(&client).await;
}

#[wasm_bindgen_test]
async fn binary_bodies_round_trip_byte_for_byte() {
    let body: Vec<u8> = (0..=255u8).chain([0, 0, 255, 10, 0]).collect();
    let fields = [
        ("binaryBody", Uint8Array::from(&body[..]).into()),
        (
            "headers",
            obj(&[("content-type", s("application/octet-stream"))]),
        ),
    ];
    let (client, _, msg) = publish_one("web-binary", &fields).await;
    assert_eq!(get(&msg, "isBinaryBody"), JsValue::TRUE);
    assert_eq!(bytes(&msg), body);
    let buffer = get(&get(&msg, "binaryBody"), "buffer");
    assert_eq!(
        get(&buffer, "byteLength").as_f64(),
        Some(body.len() as f64),
        "binaryBody.buffer holds the body alone"
    );
    shut(&client).await;
}

#[wasm_bindgen_test]
async fn unsubscribe_stops_delivery() {
    let rec = Recorder::default();
    let client = connected(&rec, &[]).await;
    let dest = topic("web-unsub");
    let sub = client
        .subscribe(s(&dest), rec.callback("first"), None, None)
        .unwrap();
    client
        .subscribe(s(&dest), rec.callback("second"), None, None)
        .unwrap();
    client
        .publish(obj(&[("destination", s(&dest)), ("body", s("1"))]))
        .unwrap();
    rec.wait("first", 1).await;
    rec.wait("second", 1).await;
    sub.unsubscribe(None).unwrap();
    client
        .publish(obj(&[("destination", s(&dest)), ("body", s("2"))]))
        .unwrap();
    // The second subscription sees message 2, so message 2 was delivered: the first did not get it.
    rec.wait("second", 2).await;
    assert_eq!(rec.count("first"), 1);
    shut(&client).await;
}

/// Sends an ACK or NACK with a receipt and waits for the receipt: the broker accepted the frame
/// (a wrong id would be an ERROR on both brokers).
async fn acknowledge_with_receipt(client: &Client, rec: &Recorder, msg: &JsValue, nack: bool) {
    let receipt = unique("ack-receipt");
    client
        .watch_for_receipt(s(&receipt), rec.callback("receipt"))
        .unwrap();
    let before = rec.count("receipt");
    let method: js_sys::Function = get(msg, if nack { "nack" } else { "ack" }).unchecked_into();
    method
        .call1(msg, &obj(&[("receipt", s(&receipt))]))
        .expect("ack/nack accepted");
    rec.wait("receipt", before + 1).await;
    let r = rec.nth("receipt", before);
    assert_eq!(header(&r, "receipt-id").as_deref(), Some(receipt.as_str()));
}

#[wasm_bindgen_test]
async fn every_ack_mode_works() {
    let rec = Recorder::default();
    let client = connected(&rec, &[]).await;
    for (mode, name) in [
        ("auto", "auto"),
        ("client", "client"),
        ("client-individual", "indiv"),
    ] {
        let dest = queue(&format!("web-ack-{name}"));
        client
            .subscribe(
                s(&dest),
                rec.callback(name),
                Some(obj(&[("ack", s(mode))])),
                None,
            )
            .unwrap();
        for body in ["one", "two"] {
            client
                .publish(obj(&[("destination", s(&dest)), ("body", s(body))]))
                .unwrap();
        }
        rec.wait(name, 2).await;
        let first = rec.nth(name, 0);
        let second = rec.nth(name, 1);
        assert_eq!(get_str(&first, "body").as_deref(), Some("one"));
        assert_eq!(get_str(&second, "body").as_deref(), Some("two"));
        if mode == "auto" {
            assert_eq!(header(&first, "ack"), None, "auto mode needs no ack id");
        } else {
            assert!(
                header(&first, "ack").is_some(),
                "1.2 MESSAGE carries an ack id"
            );
            acknowledge_with_receipt(&client, &rec, &first, false).await;
            acknowledge_with_receipt(&client, &rec, &second, true).await;
        }
    }
    assert_eq!(rec.count("onStompError"), 0, "{:?}", rec.errors());
    shut(&client).await;
}

#[wasm_bindgen_test]
async fn client_ack_and_nack_methods_take_ids() {
    let rec = Recorder::default();
    let client = connected(&rec, &[]).await;
    let dest = queue("web-ack-method");
    let sub = client
        .subscribe(
            s(&dest),
            rec.callback("msg"),
            Some(obj(&[("ack", s("client-individual"))])),
            None,
        )
        .unwrap();
    client
        .publish(obj(&[("destination", s(&dest)), ("body", s("x"))]))
        .unwrap();
    rec.wait("msg", 1).await;
    let msg = rec.nth("msg", 0);
    let receipt = unique("r");
    client
        .watch_for_receipt(s(&receipt), rec.callback("receipt"))
        .unwrap();
    client
        .ack(
            s(&header(&msg, "ack").unwrap()),
            s(&sub.id()),
            Some(obj(&[("receipt", s(&receipt))])),
        )
        .unwrap();
    rec.wait("receipt", 1).await;
    shut(&client).await;
}

#[wasm_bindgen_test]
async fn committed_transactions_deliver_and_aborted_ones_do_not() {
    let rec = Recorder::default();
    let client = connected(&rec, &[]).await;
    let dest = topic("web-tx");
    client
        .subscribe(s(&dest), rec.callback("msg"), None, None)
        .unwrap();

    let aborted = client.begin(None).unwrap();
    client
        .publish(obj(&[
            ("destination", s(&dest)),
            ("body", s("aborted")),
            ("headers", obj(&[("transaction", s(&aborted.id()))])),
        ]))
        .unwrap();
    aborted.abort().unwrap();

    let committed = client.begin(Some(unique("tx"))).unwrap();
    assert!(committed.id().starts_with("tx-"));
    client
        .publish(obj(&[
            ("destination", s(&dest)),
            ("body", s("committed")),
            ("headers", obj(&[("transaction", s(&committed.id()))])),
        ]))
        .unwrap();
    client.commit(s(&committed.id())).unwrap();
    client
        .publish(obj(&[("destination", s(&dest)), ("body", s("after"))]))
        .unwrap();

    rec.wait("msg", 2).await;
    let bodies = rec.bodies("msg");
    assert_eq!(
        bodies,
        vec!["committed", "after"],
        "the aborted SEND was never delivered"
    );
    shut(&client).await;
}

#[wasm_bindgen_test]
async fn receipts_go_to_their_watcher_or_to_on_unhandled_receipt() {
    let rec = Recorder::default();
    let client = connected(&rec, &[]).await;
    let dest = topic("web-receipt");
    let watched = unique("watched");
    client
        .watch_for_receipt(s(&watched), rec.callback("watched"))
        .unwrap();
    client
        .publish(obj(&[
            ("destination", s(&dest)),
            ("body", s("1")),
            ("headers", obj(&[("receipt", s(&watched))])),
        ]))
        .unwrap();
    let unwatched = unique("unwatched");
    client
        .publish(obj(&[
            ("destination", s(&dest)),
            ("body", s("2")),
            ("headers", obj(&[("receipt", s(&unwatched))])),
        ]))
        .unwrap();
    rec.wait("watched", 1).await;
    rec.wait("onUnhandledReceipt", 1).await;
    assert_eq!(
        header(&rec.nth("watched", 0), "receipt-id").as_deref(),
        Some(watched.as_str())
    );
    assert_eq!(
        header(&rec.nth("onUnhandledReceipt", 0), "receipt-id").as_deref(),
        Some(unwatched.as_str())
    );
    shut(&client).await;
}

#[wasm_bindgen_test]
async fn heart_beats_are_negotiated_and_received() {
    // Count Worker constructions: the "worker" strategy must really run its timer in one.
    let global = js_sys::global();
    let original = get(&global, "Worker");
    let made = Recorder::default();
    let handler = obj(&[("construct", {
        let record = made.callback("worker");
        Closure::<dyn FnMut(JsValue, js_sys::Array) -> Result<JsValue, JsValue>>::new(
            move |target: JsValue, args: js_sys::Array| {
                let _ = record
                    .unchecked_ref::<js_sys::Function>()
                    .call1(&JsValue::NULL, &args);
                js_sys::Reflect::construct(target.unchecked_ref::<js_sys::Function>(), &args)
            },
        )
        .into_js_value()
    })]);
    let proxy = js_sys::Proxy::new(original.unchecked_ref(), handler.unchecked_ref());
    js_sys::Reflect::set(&global, &s("Worker"), &proxy).unwrap();

    for strategy in ["interval", "worker"] {
        let rec = Recorder::default();
        let client = connected(
            &rec,
            &[
                ("heartbeatIncoming", n(1000.0)),
                ("heartbeatOutgoing", n(1000.0)),
                ("heartbeatStrategy", s(strategy)),
            ],
        )
        .await;
        let hb = header(&rec.nth("onConnect", 0), "heart-beat").expect("CONNECTED has heart-beat");
        let (sx, sy) = hb.split_once(',').expect("sx,sy");
        let sx: u32 = sx.trim().parse().unwrap();
        let sy: u32 = sy.trim().parse().unwrap();
        assert!(
            sx > 0 && sy > 0,
            "broker agreed to heart-beats both ways: {hb}"
        );
        // Several intervals: the broker would have dropped a client whose own heart-beats stopped.
        rec.wait("onHeartbeatReceived", 3).await;
        assert_eq!(rec.count("onHeartbeatLost"), 0);
        assert!(client.connected(), "{strategy}: still connected");
        let workers = made.count("worker");
        assert_eq!(
            workers,
            usize::from(strategy == "worker"),
            "{strategy}: workers made"
        );
        shut(&client).await;
    }
    js_sys::Reflect::set(&global, &s("Worker"), &original).unwrap();
}

#[wasm_bindgen_test]
async fn forced_deactivate_closes_at_once() {
    let rec = Recorder::default();
    let client = connected(&rec, &[]).await;
    settle(
        client
            .deactivate(Some(obj(&[("force", JsValue::TRUE)])))
            .unwrap(),
    )
    .await;
    assert_eq!(client.state(), ActivationState::INACTIVE);
    assert_eq!(
        rec.count("onDisconnect"),
        0,
        "no DISCONNECT round trip when forced"
    );
    // Deactivating an inactive client resolves at once.
    settle(client.deactivate(None).unwrap()).await;
}

#[wasm_bindgen_test]
async fn publish_without_connection_throws_a_real_error() {
    let rec = Recorder::default();
    let client = Client::new(Some(config(&rec, &[]))).unwrap();
    let err = client
        .publish(obj(&[("destination", s("/topic/x")), ("body", s("x"))]))
        .expect_err("not connected");
    let err: js_sys::Error = err.dyn_into().expect("an Error instance");
    assert_eq!(
        String::from(err.message()),
        "There is no underlying STOMP connection"
    );
    let err = client
        .publish(obj(&[("body", s("x"))]))
        .expect_err("no destination");
    assert!(err.is_instance_of::<js_sys::Error>());
}

#[wasm_bindgen_test]
async fn offline_queue_sends_after_connecting() {
    let rec = Recorder::default();
    let receiver = connected(&rec, &[]).await;
    let dest = topic("web-offline");
    receiver
        .subscribe(s(&dest), rec.callback("msg"), None, None)
        .unwrap();
    // Make sure the SUBSCRIBE is in place before the other client publishes.
    let ready = unique("subscribed");
    receiver
        .watch_for_receipt(s(&ready), rec.callback("ready"))
        .unwrap();
    receiver
        .publish(obj(&[
            ("destination", s(&unique("/topic/noop"))),
            ("headers", obj(&[("receipt", s(&ready))])),
        ]))
        .unwrap();
    rec.wait("ready", 1).await;

    let rec2 = Recorder::default();
    let sender = Client::new(Some(config(&rec2, &[("offlineQueue", JsValue::TRUE)]))).unwrap();
    for body in ["q1", "q2", "q3"] {
        sender
            .publish(obj(&[("destination", s(&dest)), ("body", s(body))]))
            .unwrap();
    }
    assert_eq!(sender.offline_queue_length(), 3);
    sender.activate().unwrap();
    rec.wait("msg", 3).await;
    let bodies = rec.bodies("msg");
    assert_eq!(bodies, vec!["q1", "q2", "q3"]);
    until("queue drained by receipts", || {
        sender.offline_queue_length() == 0
    })
    .await;
    shut(&sender).await;
    shut(&receiver).await;
}

#[wasm_bindgen_test]
async fn reconnects_and_resubscribes_after_a_dropped_connection() {
    let rec = Recorder::default();
    let client = connected(
        &rec,
        &[("reconnectDelay", n(50.0)), ("resubscribe", JsValue::TRUE)],
    )
    .await;
    let dest = topic("web-reconnect");
    client
        .subscribe(s(&dest), rec.callback("msg"), None, None)
        .unwrap();
    client.force_disconnect().unwrap();
    rec.wait("onWebSocketClose", 1).await;
    rec.wait("onConnect", 2).await;
    client
        .publish(obj(&[
            ("destination", s(&dest)),
            ("body", s("after reconnect")),
        ]))
        .unwrap();
    rec.wait("msg", 1).await;
    assert_eq!(
        get_str(&rec.nth("msg", 0), "body").as_deref(),
        Some("after reconnect")
    );
    shut(&client).await;
}

/// An `onConnect` that subscribes `on_message` to `destination` on every connect, as stompjs code
/// does, then records the CONNECTED frame as "onConnect".
fn subscribing_on_connect(
    client: &std::rc::Rc<Client>,
    rec: &Recorder,
    destination: &str,
    on_message: JsValue,
) -> JsValue {
    let weak = std::rc::Rc::downgrade(client);
    let (destination, record) = (destination.to_owned(), rec.callback("onConnect"));
    Closure::<dyn FnMut(JsValue)>::new(move |frame: JsValue| {
        if let Some(client) = weak.upgrade() {
            client
                .subscribe(s(&destination), on_message.clone(), None, None)
                .unwrap();
        }
        let record: &js_sys::Function = record.unchecked_ref();
        record.call1(&JsValue::NULL, &frame).unwrap();
    })
    .into_js_value()
}

#[wasm_bindgen_test]
async fn subscriptions_made_in_on_connect_are_not_doubled_after_a_reconnect() {
    // stompjs-style code subscribes in onConnect, on every connect. The client restores
    // subscriptions by itself, but not those: restoring them too would deliver twice.
    let rec = Recorder::default();
    let client =
        std::rc::Rc::new(Client::new(Some(config(&rec, &[("reconnectDelay", n(50.0))]))).unwrap());
    let dest = topic("web-on-connect");
    client
        .set_on_connect(subscribing_on_connect(
            &client,
            &rec,
            &dest,
            rec.callback("msg"),
        ))
        .unwrap();
    client.activate().unwrap();
    rec.wait("onConnect", 1).await;
    client.force_disconnect().unwrap();
    rec.wait("onConnect", 2).await;
    for body in ["first", "second"] {
        client
            .publish(obj(&[("destination", s(&dest)), ("body", s(body))]))
            .unwrap();
    }
    // One connection delivers in order: a doubled subscription would put a second "first"
    // before any "second".
    rec.wait("msg", 2).await;
    let bodies: Vec<Option<String>> = (0..2)
        .map(|i| get_str(&rec.nth("msg", i), "body"))
        .collect();
    assert_eq!(bodies, [Some("first".into()), Some("second".into())]);
    shut(&client).await;
}

#[wasm_bindgen_test]
async fn before_connect_may_refresh_headers_asynchronously() {
    let rec = Recorder::default();
    let client = Client::new(Some(config(&rec, &[("connectHeaders", obj(&[]))]))).unwrap();
    let headers = client.connect_headers();
    // An async beforeConnect that fills in the credentials the way a token refresh would.
    let fill = {
        let headers = headers.clone();
        Closure::<dyn FnMut() -> js_sys::Promise>::new(move || {
            let real = connect_headers();
            let target: &js_sys::Object = headers.unchecked_ref();
            js_sys::Object::assign(target, real.unchecked_ref::<js_sys::Object>());
            js_sys::Promise::resolve(&JsValue::UNDEFINED)
        })
        .into_js_value()
    };
    client.set_before_connect(fill).unwrap();
    client.activate().unwrap();
    rec.wait("onConnect", 1).await;
    shut(&client).await;
}

#[wasm_bindgen_test]
async fn before_connect_is_called_with_the_client() {
    let rec = Recorder::default();
    let client = Client::new(Some(config(&rec, &[("connectHeaders", obj(&[]))]))).unwrap();
    let seen = Recorder::default();
    // stompjs: `beforeConnect(client)`. Code sets fresh credentials through that argument.
    let refresh = {
        let record = seen.callback("client");
        Closure::<dyn FnMut(JsValue)>::new(move |arg: JsValue| {
            let _ = record
                .unchecked_ref::<js_sys::Function>()
                .call1(&JsValue::NULL, &arg);
            let _ = js_sys::Reflect::set(&arg, &s("connectHeaders"), &connect_headers());
        })
        .into_js_value()
    };
    client.set_before_connect(refresh).unwrap();
    client.activate().unwrap();
    seen.wait("client", 1).await;
    let arg = seen.nth("client", 0);
    let get = |key: &str| js_sys::Reflect::get(&arg, &s(key)).unwrap_or(JsValue::UNDEFINED);
    assert!(get("activate").is_function(), "beforeConnect got {arg:?}");
    assert_eq!(get("active"), JsValue::TRUE);
    assert_eq!(get("state"), JsValue::from(ActivationState::ACTIVE as u32));
    // The credentials set on the argument are the ones this client connects with.
    rec.wait("onConnect", 1).await;
    assert!(client.connected());
    shut(&client).await;
}

#[wasm_bindgen_test]
async fn web_socket_factory_may_return_any_socket_like_object() {
    let rec = Recorder::default();
    let made = Recorder::default();
    let factory = {
        let made = made.clone();
        let record = made.callback("made");
        Closure::<dyn FnMut() -> JsValue>::new(move || {
            let protocols = js_sys::Array::of1(&s("v12.stomp"));
            let ws = web_sys_free_websocket(broker_url(), &protocols);
            let _ = record
                .unchecked_ref::<js_sys::Function>()
                .call1(&JsValue::NULL, &ws);
            let _ = &made;
            ws
        })
        .into_js_value()
    };
    let client = connected(
        &rec,
        &[
            ("brokerURL", JsValue::UNDEFINED),
            ("webSocketFactory", factory),
        ],
    )
    .await;
    assert_eq!(made.count("made"), 1);
    assert_eq!(client.web_socket(), made.nth("made", 0));
    shut(&client).await;
}

/// A socket-like object that answers CONNECT with CONNECTED a moment later, then answers
/// synchronously from inside `send`, as test fakes and in-process brokers do: a MESSAGE with body
/// `0` to SUBSCRIBE, and the body of each SEND echoed back as a MESSAGE.
fn synchronous_echo_socket() -> JsValue {
    js_sys::Function::new_no_args(
        r#"
        const socket = {
          readyState: 0, protocol: 'v12.stomp', onopen: null, onmessage: null, onclose: null,
          onerror: null, subscription: '', count: 0,
          message(body) {
            this.onmessage({ data: `MESSAGE\ndestination:/topic/echo\nmessage-id:m${this.count++}\n` +
              `subscription:${this.subscription}\n\n${body}\0` });
          },
          send(data) {
            const text = String(data);
            if (text.startsWith('CONNECT') || text.startsWith('STOMP')) {
              setTimeout(() => this.onmessage({ data: 'CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0' }), 0);
            } else if (text.startsWith('SUBSCRIBE')) {
              this.subscription = /\nid:([^\n]*)/.exec(text)[1];
              this.message('0');
            } else if (text.startsWith('SEND')) {
              this.message(text.slice(text.indexOf('\n\n') + 2, text.indexOf('\0')));
            }
          },
          close() {
            this.readyState = 3;
            if (this.onclose) this.onclose({ code: 1000, reason: '', wasClean: true });
          },
        };
        setTimeout(() => { socket.readyState = 1; if (socket.onopen) socket.onopen({}); }, 0);
        return socket;
        "#,
    )
    .call0(&JsValue::NULL)
    .unwrap()
}

/// Messages a socket delivers while the client is still handling the previous one (here from
/// inside `onConnect` and a message callback) are delivered after it, once each and in order.
#[wasm_bindgen_test]
async fn messages_arriving_from_inside_a_callback_wait_their_turn() {
    let rec = Recorder::default();
    let socket = synchronous_echo_socket();
    let factory = {
        let socket = socket.clone();
        Closure::<dyn FnMut() -> JsValue>::new(move || socket.clone()).into_js_value()
    };
    let client = std::rc::Rc::new(
        Client::new(Some(config(
            &rec,
            &[
                ("brokerURL", JsValue::UNDEFINED),
                ("webSocketFactory", factory),
            ],
        )))
        .unwrap(),
    );
    let on_message = {
        let weak = std::rc::Rc::downgrade(&client);
        let record = rec.callback("msg");
        Closure::<dyn FnMut(JsValue)>::new(move |msg: JsValue| {
            let record: &js_sys::Function = record.unchecked_ref();
            record.call1(&JsValue::NULL, &msg).unwrap();
            // The echo of this publish arrives while this callback is still running, and is
            // larger than the receive buffer so far.
            if get_str(&msg, "body").as_deref() == Some("0") {
                if let Some(client) = weak.upgrade() {
                    let large = "1".repeat(10_000);
                    let publish = obj(&[("destination", s("/topic/echo")), ("body", s(&large))]);
                    client.publish(publish).unwrap();
                }
            }
        })
        .into_js_value()
    };
    // The subscription's first MESSAGE arrives while CONNECTED is still being handled.
    client
        .set_on_connect(subscribing_on_connect(
            &client,
            &rec,
            "/topic/echo",
            on_message,
        ))
        .unwrap();
    client.activate().unwrap();
    rec.wait("msg", 2).await;
    client
        .publish(obj(&[("destination", s("/topic/echo")), ("body", s("2"))]))
        .unwrap();
    rec.wait("msg", 3).await;
    let bodies = rec.bodies("msg");
    // Compared by summary: a failure should not print ten thousand ones.
    let summary: Vec<(usize, Option<char>)> =
        bodies.iter().map(|b| (b.len(), b.chars().next())).collect();
    assert_eq!(
        summary,
        [(1, Some('0')), (10_000, Some('1')), (1, Some('2'))]
    );
    assert!(bodies[1].bytes().all(|b| b == b'1'));
    assert_eq!(rec.count("onConnect"), 1);
    assert_eq!(get(&socket, "count").as_f64(), Some(3.0));
    client.force_disconnect().unwrap();
}

/// `new WebSocket(url, protocols)` through Reflect (the tests do not depend on web-sys features).
fn web_sys_free_websocket(url: &str, protocols: &js_sys::Array) -> JsValue {
    let ctor: js_sys::Function = js_sys::Reflect::get(&js_sys::global(), &s("WebSocket"))
        .unwrap()
        .unchecked_into();
    let args = js_sys::Array::of2(&s(url), protocols);
    js_sys::Reflect::construct(&ctor, &args).unwrap()
}

#[wasm_bindgen_test]
async fn compat_api_connects_sends_and_disconnects() {
    let rec = Recorder::default();
    let client = Stomp::client(broker_url().to_owned()).unwrap();
    assert_eq!(
        client.reconnect_delay().as_f64(),
        Some(0.0),
        "compat clients do not reconnect"
    );
    client
        .connect(
            connect_headers(),
            rec.callback("connected"),
            Some(rec.callback("error")),
            None,
            None,
            None,
        )
        .unwrap();
    rec.wait("connected", 1).await;
    let dest = topic("web-compat");
    client
        .subscribe(s(&dest), rec.callback("msg"), None, None)
        .unwrap();
    client
        .send(
            s(&dest),
            Some(obj(&[("content-length", JsValue::FALSE)])),
            Some(s("compat body")),
        )
        .unwrap();
    rec.wait("msg", 1).await;
    assert_eq!(
        get_str(&rec.nth("msg", 0), "body").as_deref(),
        Some("compat body")
    );
    client
        .disconnect(Some(rec.callback("disconnected")), None)
        .unwrap();
    if broker_sends_disconnect_receipt() {
        rec.wait("disconnected", 1).await;
    }
    until("INACTIVE", || client.state() == ActivationState::INACTIVE).await;
    assert_eq!(rec.count("error"), 0);
}

#[wasm_bindgen_test]
async fn the_online_event_and_reconnect_now_skip_the_reconnect_delay() {
    let rec = Recorder::default();
    // A delay far beyond the test's wait limit: only the shortcut can reconnect in time.
    let client = connected(&rec, &[("reconnectDelay", n(600_000.0))]).await;
    client.force_disconnect().unwrap();
    rec.wait("onWebSocketClose", 1).await;
    assert!(client.active() && !client.connected());
    let online = web_sys_free_event("online");
    let dispatch: js_sys::Function = get(&js_sys::global(), "dispatchEvent").unchecked_into();
    dispatch.call1(&js_sys::global(), &online).unwrap();
    rec.wait("onConnect", 2).await;

    client.force_disconnect().unwrap();
    rec.wait("onWebSocketClose", 2).await;
    client.reconnect_now().unwrap();
    rec.wait("onConnect", 3).await;
    shut(&client).await;
}

/// `new Event(name)` through Reflect.
fn web_sys_free_event(name: &str) -> JsValue {
    let ctor: js_sys::Function = get(&js_sys::global(), "Event").unchecked_into();
    js_sys::Reflect::construct(&ctor, &js_sys::Array::of1(&s(name))).unwrap()
}

#[wasm_bindgen_test]
async fn a_refused_subscription_reports_to_its_own_error_callback() {
    let rec = Recorder::default();
    let client = connected(&rec, &[]).await;
    let receipt = unique("sub-receipt");
    client
        .subscribe(
            // A destination neither broker serves (no known prefix).
            s(&unique("/no-such-prefix/web-refused")),
            rec.callback("msg"),
            Some(obj(&[("receipt", s(&receipt))])),
            Some(rec.callback("subscription error")),
        )
        .unwrap();
    if broker_attributes_subscribe_errors() {
        rec.wait("subscription error", 1).await;
        let frame = rec.nth("subscription error", 0);
        assert_eq!(get_str(&frame, "command").as_deref(), Some("ERROR"));
        assert!(header(&frame, "message").is_some());
        assert_eq!(rec.count("onStompError"), 0, "routed to the subscription");
    } else {
        // Nothing in the ERROR names the subscription: it goes to onStompError, as in stompjs.
        rec.wait("onStompError", 1).await;
        assert_eq!(rec.count("subscription error"), 0);
    }
    settle(
        client
            .deactivate(Some(obj(&[("force", JsValue::TRUE)])))
            .unwrap(),
    )
    .await;
}

#[wasm_bindgen_test]
async fn reconnection_gives_up_after_max_reconnect_attempts() {
    let rec = Recorder::default();
    // Nothing listens on port 9 of 127.0.0.1: every attempt fails at once. 9 is also one of
    // fetch's blocked ports, for which WebKit fires an error event and never a close event
    // (pkg-core/js/client.js, `onerror`), so this also proves the client reconnects after that.
    let client = Client::new(Some(config(
        &rec,
        &[
            ("brokerURL", s("ws://127.0.0.1:9/ws")),
            ("reconnectDelay", n(20.0)),
            ("reconnectTimeMode", n(1.0)),
            ("maxReconnectAttempts", n(2.0)),
            ("onReconnectGaveUp", rec.callback("gave up")),
        ],
    )))
    .unwrap();
    client.activate().unwrap();
    rec.wait("gave up", 1).await;
    assert_eq!(rec.nth("gave up", 0).as_f64(), Some(2.0));
    until("INACTIVE", || client.state() == ActivationState::INACTIVE).await;
    // The first connection and two reconnections each closed.
    assert_eq!(rec.count("onWebSocketClose"), 3);
    assert_eq!(rec.count("onConnect"), 0);
}
