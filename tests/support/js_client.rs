//! The JS client as it ships (`pkg-core/js/client.js`, docs/CLIENT-SIZE-PLAN.md) bound for the
//! browser tests in Rust: stompjs's methods and config keys under snake_case names (the names of
//! the wasm-bindgen client this package replaced, so the test bodies in tests/web/*.rs kept
//! them).
//!
//! The core module comes from `scripts/size.sh --core` (scripts/test-browser.sh runs it before
//! building the tests) and is handed to the client's `init(bytes)` before the first client
//! exists, so no URL has to be served for it.

#![allow(dead_code)]

use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

static CORE: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/target/pkg-core-size/stomp_wasm_core.wasm"
));

#[wasm_bindgen(module = "/pkg-core/js/client.js")]
extern "C" {
    #[wasm_bindgen(js_name = init)]
    fn init_core(source: &Uint8Array) -> Promise;

    #[wasm_bindgen(js_name = Client)]
    type JsClient;

    #[wasm_bindgen(constructor, js_class = "Client", catch)]
    fn new(config: &JsValue) -> Result<JsClient, JsValue>;

    #[wasm_bindgen(js_namespace = Stomp, js_name = client, catch)]
    fn stomp_client(url: &str) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = Stomp, js_name = over, catch)]
    fn stomp_over(socket: &JsValue) -> Result<JsValue, JsValue>;
}

/// Starts compiling the core from the bytes the tests were built with; the client's own
/// `init()` (on the first `activate()`, or sockjs.js's, whose module uses the core's memory and
/// heap) then finds that promise and waits for it.
pub fn preload() {
    thread_local!(static STARTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    if !STARTED.with(|s| s.replace(true)) {
        let _ = init_core(&Uint8Array::from(CORE));
    }
}

/// `this[name](...args)`.
fn call(this: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = Reflect::get(this, &JsValue::from_str(name))?.dyn_into()?;
    f.apply(this, &args.iter().collect::<Array>())
}

fn get(this: &JsValue, name: &str) -> JsValue {
    Reflect::get(this, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn opt(v: Option<JsValue>) -> JsValue {
    v.unwrap_or(JsValue::UNDEFINED)
}

/// stompjs's `ActivationState`, by the numbers the JS client's `state` holds (`as u32` gives
/// that number); spelt as in JavaScript.
#[allow(clippy::upper_case_acronyms, non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivationState {
    ACTIVE = 0,
    DEACTIVATING = 1,
    INACTIVE = 2,
}

/// A JS `Client` (or `CompatClient`).
pub struct Client(JsValue);

/// What `subscribe()` returns.
pub struct StompSubscription(JsValue);

impl StompSubscription {
    pub fn id(&self) -> String {
        get(&self.0, "id").as_string().unwrap_or_default()
    }

    pub fn unsubscribe(&self, headers: Option<JsValue>) -> Result<(), JsValue> {
        call(&self.0, "unsubscribe", &[opt(headers)]).map(drop)
    }
}

/// What `begin()` returns.
pub struct StompTransaction(JsValue);

impl StompTransaction {
    pub fn id(&self) -> String {
        get(&self.0, "id").as_string().unwrap_or_default()
    }

    pub fn commit(&self) -> Result<(), JsValue> {
        call(&self.0, "commit", &[]).map(drop)
    }

    pub fn abort(&self) -> Result<(), JsValue> {
        call(&self.0, "abort", &[]).map(drop)
    }
}

/// stompjs's `Stomp` of the compat API.
pub struct Stomp;

impl Stomp {
    pub fn client(url: String) -> Result<Client, JsValue> {
        preload();
        stomp_client(&url).map(Client)
    }

    pub fn over(socket: JsValue) -> Result<Client, JsValue> {
        preload();
        stomp_over(&socket).map(Client)
    }
}

impl Client {
    /// The JS object itself.
    pub fn js(&self) -> &JsValue {
        &self.0
    }

    pub fn new(config: Option<JsValue>) -> Result<Client, JsValue> {
        preload();
        JsClient::new(&opt(config)).map(|c| Client(c.into()))
    }

    fn run(&self, name: &str, args: &[JsValue]) -> Result<(), JsValue> {
        call(&self.0, name, args).map(drop)
    }

    pub fn configure(&self, config: JsValue) -> Result<(), JsValue> {
        self.run("configure", &[config])
    }

    pub fn activate(&self) -> Result<(), JsValue> {
        self.run("activate", &[])
    }

    pub fn deactivate(&self, options: Option<JsValue>) -> Result<Promise, JsValue> {
        call(&self.0, "deactivate", &[opt(options)])?.dyn_into()
    }

    pub fn force_disconnect(&self) -> Result<(), JsValue> {
        self.run("forceDisconnect", &[])
    }

    pub fn reconnect_now(&self) -> Result<(), JsValue> {
        self.run("reconnectNow", &[])
    }

    pub fn publish(&self, params: JsValue) -> Result<(), JsValue> {
        self.run("publish", &[params])
    }

    pub fn subscribe(
        &self,
        destination: JsValue,
        callback: JsValue,
        headers: Option<JsValue>,
        on_error: Option<JsValue>,
    ) -> Result<StompSubscription, JsValue> {
        let args = [destination, callback, opt(headers), opt(on_error)];
        call(&self.0, "subscribe", &args).map(StompSubscription)
    }

    pub fn unsubscribe(&self, id: JsValue, headers: Option<JsValue>) -> Result<(), JsValue> {
        self.run("unsubscribe", &[id, opt(headers)])
    }

    pub fn begin(&self, transaction_id: Option<String>) -> Result<StompTransaction, JsValue> {
        let id = transaction_id.map_or(JsValue::UNDEFINED, |t| JsValue::from_str(&t));
        call(&self.0, "begin", &[id]).map(StompTransaction)
    }

    pub fn commit(&self, transaction_id: JsValue) -> Result<(), JsValue> {
        self.run("commit", &[transaction_id])
    }

    pub fn abort(&self, transaction_id: JsValue) -> Result<(), JsValue> {
        self.run("abort", &[transaction_id])
    }

    pub fn ack(&self, id: JsValue, sub: JsValue, headers: Option<JsValue>) -> Result<(), JsValue> {
        self.run("ack", &[id, sub, opt(headers)])
    }

    pub fn nack(&self, id: JsValue, sub: JsValue, headers: Option<JsValue>) -> Result<(), JsValue> {
        self.run("nack", &[id, sub, opt(headers)])
    }

    pub fn watch_for_receipt(&self, receipt_id: JsValue, callback: JsValue) -> Result<(), JsValue> {
        self.run("watchForReceipt", &[receipt_id, callback])
    }

    pub fn connected(&self) -> bool {
        get(&self.0, "connected").is_truthy()
    }

    pub fn active(&self) -> bool {
        get(&self.0, "active").is_truthy()
    }

    pub fn state(&self) -> ActivationState {
        match get(&self.0, "state").as_f64() {
            Some(0.0) => ActivationState::ACTIVE,
            Some(1.0) => ActivationState::DEACTIVATING,
            _ => ActivationState::INACTIVE,
        }
    }

    pub fn web_socket(&self) -> JsValue {
        get(&self.0, "webSocket")
    }

    pub fn transport(&self) -> Option<String> {
        get(&self.0, "transport").as_string()
    }

    pub fn connected_version(&self) -> Option<String> {
        get(&self.0, "connectedVersion").as_string()
    }

    pub fn offline_queue_length(&self) -> usize {
        get(&self.0, "offlineQueueLength").as_f64().unwrap_or(0.0) as usize
    }

    // ----- compat API -----

    pub fn connect(
        &self,
        a: JsValue,
        b: JsValue,
        c: Option<JsValue>,
        d: Option<JsValue>,
        e: Option<JsValue>,
        f: Option<JsValue>,
    ) -> Result<(), JsValue> {
        self.run("connect", &[a, b, opt(c), opt(d), opt(e), opt(f)])
    }

    pub fn send(
        &self,
        destination: JsValue,
        headers: Option<JsValue>,
        body: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let headers = headers.unwrap_or_else(|| js_sys::Object::new().into());
        self.run("send", &[destination, headers, opt(body)])
    }

    pub fn disconnect(
        &self,
        callback: Option<JsValue>,
        headers: Option<JsValue>,
    ) -> Result<(), JsValue> {
        self.run("disconnect", &[opt(callback), opt(headers)])
    }
}

/// The config keys as properties, by the getter and setter names of the Rust client.
macro_rules! properties {
    ($($js:ident $get:ident $set:ident;)*) => {
        impl Client {
            $(
                pub fn $get(&self) -> JsValue {
                    get(&self.0, stringify!($js))
                }

                pub fn $set(&self, value: JsValue) -> Result<(), JsValue> {
                    Reflect::set(&self.0, &JsValue::from_str(stringify!($js)), &value).map(drop)
                }
            )*
        }
    };
}

properties! {
    brokerURL broker_url set_broker_url;
    webSocketFactory web_socket_factory set_web_socket_factory;
    connectHeaders connect_headers set_connect_headers;
    disconnectHeaders disconnect_headers set_disconnect_headers;
    stompVersions stomp_versions set_stomp_versions;
    connectionTimeout connection_timeout set_connection_timeout;
    reconnectDelay reconnect_delay set_reconnect_delay;
    maxReconnectDelay max_reconnect_delay set_max_reconnect_delay;
    reconnectTimeMode reconnect_time_mode set_reconnect_time_mode;
    heartbeatIncoming heartbeat_incoming set_heartbeat_incoming;
    heartbeatOutgoing heartbeat_outgoing set_heartbeat_outgoing;
    heartbeatToleranceMultiplier heartbeat_tolerance_multiplier set_heartbeat_tolerance_multiplier;
    heartbeatStrategy heartbeat_strategy set_heartbeat_strategy;
    splitLargeFrames split_large_frames set_split_large_frames;
    maxWebSocketChunkSize max_web_socket_chunk_size set_max_web_socket_chunk_size;
    forceBinaryWSFrames force_binary_ws_frames set_force_binary_ws_frames;
    appendMissingNULLonIncoming append_missing_nul_on_incoming set_append_missing_nul_on_incoming;
    discardWebsocketOnCommFailure discard_websocket_on_comm_failure set_discard_websocket_on_comm_failure;
    logRawCommunication log_raw_communication set_log_raw_communication;
    debug debug set_debug;
    beforeConnect before_connect set_before_connect;
    onConnect on_connect set_on_connect;
    onDisconnect on_disconnect set_on_disconnect;
    onStompError on_stomp_error set_on_stomp_error;
    onWebSocketClose on_web_socket_close set_on_web_socket_close;
    onWebSocketError on_web_socket_error set_on_web_socket_error;
    onUnhandledMessage on_unhandled_message set_on_unhandled_message;
    onUnhandledReceipt on_unhandled_receipt set_on_unhandled_receipt;
    onUnhandledFrame on_unhandled_frame set_on_unhandled_frame;
    onChangeState on_change_state set_on_change_state;
    onHeartbeatReceived on_heartbeat_received set_on_heartbeat_received;
    onHeartbeatLost on_heartbeat_lost set_on_heartbeat_lost;
    maxReconnectAttempts max_reconnect_attempts set_max_reconnect_attempts;
    onReconnectGaveUp on_reconnect_gave_up set_on_reconnect_gave_up;
    resubscribe resubscribe set_resubscribe;
    offlineQueue offline_queue set_offline_queue;
    disconnectTimeout disconnect_timeout set_disconnect_timeout;
    transports transports set_transports;
}
