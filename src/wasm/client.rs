//! The `Client` class: the @stomp/stompjs v7 `Client` API over the sans-IO session.

use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, Ordering};

use js_sys::{Function, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::driver::{self, acknowledge, drive, with_session, Inner, Shared, SubscriptionCallbacks};
use super::js;
use crate::client::{
    ActivationState as CoreState, ClientError, HeaderList, Publish, SessionConfig,
};

/// stompjs `ActivationState`.
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivationState {
    ACTIVE = 0,
    DEACTIVATING = 1,
    INACTIVE = 2,
}

/// stompjs `ReconnectionTimeMode`.
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReconnectionTimeMode {
    LINEAR = 0,
    EXPONENTIAL = 1,
}

/// stompjs `StompSocketState` (the WebSocket `readyState` values).
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StompSocketState {
    CONNECTING = 0,
    OPEN = 1,
    CLOSING = 2,
    CLOSED = 3,
}

/// A STOMP client with the API of @stomp/stompjs v7's `Client`.
#[wasm_bindgen]
pub struct Client {
    shared: Shared,
}

/// What `subscribe()` returns: `{ id, unsubscribe(headers?) }`.
#[wasm_bindgen]
pub struct StompSubscription {
    id: String,
    client: Weak<std::cell::RefCell<Inner>>,
}

/// What `begin()` returns: `{ id, commit(), abort() }`.
#[wasm_bindgen]
pub struct StompTransaction {
    id: String,
    client: Weak<std::cell::RefCell<Inner>>,
}

#[wasm_bindgen(module = "/src/wasm/bridge.js")]
extern "C" {
    /// Defines every name of `names` as an accessor on the prototype of `client` (calling
    /// `__getOption` / `__setOption` with its index), then frees `client`.
    #[wasm_bindgen(js_name = defineOptionProperties)]
    fn define_option_properties(client: JsValue, names: js_sys::Array);
}

/// Whether `bridge.js` has defined the config properties on `Client.prototype` yet.
static PROPERTIES_DEFINED: AtomicBool = AtomicBool::new(false);

fn gone() -> JsValue {
    js::error("the STOMP client has been freed")
}

#[wasm_bindgen]
impl StompSubscription {
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.id.clone()
    }

    pub fn unsubscribe(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "StompHeaders")] headers: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let shared = self.client.upgrade().ok_or_else(gone)?;
        unsubscribe(&shared, &self.id, &opt(headers))
    }
}

#[wasm_bindgen]
impl StompTransaction {
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.id.clone()
    }

    pub fn commit(&self) -> Result<(), JsValue> {
        let shared = self.client.upgrade().ok_or_else(gone)?;
        with_session(&shared, |inner, now| inner.session.commit(now, &self.id))
    }

    pub fn abort(&self) -> Result<(), JsValue> {
        let shared = self.client.upgrade().ok_or_else(gone)?;
        with_session(&shared, |inner, now| inner.session.abort(now, &self.id))
    }
}

fn unsubscribe(shared: &Shared, id: &str, headers: &JsValue) -> Result<(), JsValue> {
    let headers = js::headers_from_js(headers);
    with_session(shared, |inner, now| {
        inner.subscriptions.remove(id);
        inner.session.unsubscribe(now, id, headers)
    })
}

/// An optional argument, `undefined` when left out.
fn opt(value: Option<JsValue>) -> JsValue {
    value.unwrap_or(JsValue::UNDEFINED)
}

/// A string argument, or a clear error naming it.
fn required_string(value: &JsValue, what: &str) -> Result<String, JsValue> {
    value.as_string().filter(|s| !s.is_empty()).ok_or_else(|| {
        let mut m = String::from(what);
        m.push_str(" is required (a string)");
        js::error(&m)
    })
}

/// `binaryBody`: a Uint8Array, another typed array view, or an ArrayBuffer.
fn bytes_of(value: &JsValue) -> Option<Vec<u8>> {
    if value.is_instance_of::<js_sys::ArrayBuffer>() {
        return Some(Uint8Array::new(value).to_vec());
    }
    if js_sys::ArrayBuffer::is_view(value) {
        let view = Uint8Array::new_with_byte_offset_and_length(
            &js::get(value, "buffer"),
            js::get_f64(value, "byteOffset").unwrap_or(0.0) as u32,
            js::get_f64(value, "byteLength").unwrap_or(0.0) as u32,
        );
        return Some(view.to_vec());
    }
    None
}

impl Client {
    /// A JavaScript `Client` handle on an existing client's state, for callbacks that stompjs
    /// calls with the client (`beforeConnect(client)`). It is another wrapper object over the
    /// same state, so every property and method acts on the running client.
    pub(crate) fn handle(shared: &Shared) -> JsValue {
        Client {
            shared: shared.clone(),
        }
        .into()
    }

    fn with_inner<T>(
        &self,
        f: impl FnOnce(&mut Inner) -> Result<T, JsValue>,
    ) -> Result<T, JsValue> {
        let mut inner = self
            .shared
            .try_borrow_mut()
            .map_err(|_| js::error("stomp client is busy (re-entrant call)"))?;
        f(&mut inner)
    }

    fn get_option(&self, key: Key) -> JsValue {
        self.shared
            .try_borrow()
            .map_or(JsValue::UNDEFINED, |inner| inner.get_option(key))
    }

    fn set_option(&self, key: Key, value: JsValue) -> Result<(), JsValue> {
        self.with_inner(|inner| inner.set_option(key, value))
    }

    /// `publish` once its parameters are read (`send` of the compat API comes here too).
    fn publish_parts(
        &self,
        destination: String,
        headers: HeaderList,
        binary_body: &JsValue,
        body: &JsValue,
        skip_content_length: bool,
    ) -> Result<(), JsValue> {
        let (body, binary) = match bytes_of(binary_body) {
            Some(bytes) => (bytes, true),
            None if !binary_body.is_undefined() && !binary_body.is_null() => {
                return Err(js::error(
                    "binaryBody must be a Uint8Array or an ArrayBuffer",
                ))
            }
            None => {
                let text = if body.is_undefined() || body.is_null() {
                    String::new()
                } else {
                    body.as_string().unwrap_or_else(|| js::js_string(body))
                };
                (text.into_bytes(), false)
            }
        };
        let publish = Publish {
            destination,
            headers,
            body,
            binary,
            skip_content_length,
        };
        with_session(&self.shared, |inner, now| {
            inner.session.publish(now, publish)
        })
    }

    pub(crate) fn from_config(config: &JsValue, compat: bool) -> Result<Client, JsValue> {
        let session_config = SessionConfig {
            // Subscriptions come back after a reconnect, except those made inside onConnect:
            // code written for stompjs makes those again itself (see Inner::in_on_connect).
            resubscribe: true,
            // stompjs compat clients do not reconnect unless asked.
            reconnect_delay: if compat { 0 } else { 5000 },
            ..SessionConfig::default()
        };
        let shared = Inner::new(session_config, Client::handle);
        {
            let mut inner = shared.borrow_mut();
            let versions: js_sys::Array = ["1.2", "1.1", "1.0"]
                .iter()
                .map(|v| JsValue::from_str(v))
                .collect();
            inner.js_config.stomp_versions = versions.into();
            inner.js_config.connect_headers = js_sys::Object::new().into();
            inner.js_config.disconnect_headers = js_sys::Object::new().into();
            inner.configure(config)?;
        }
        // Every client is made here, so the properties exist before any JavaScript can touch
        // one. A throwaway handle is the way to the prototype (the class itself lives in the glue).
        if !PROPERTIES_DEFINED.swap(true, Ordering::Relaxed) {
            let names: js_sys::Array = KEYS.iter().map(|k| JsValue::from_str(k)).collect();
            define_option_properties(Client::handle(&shared), names);
        }
        Ok(Client { shared })
    }
}

#[wasm_bindgen]
impl Client {
    /// `new Client(config?)`: every key of `config` is applied as by `configure`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "StompConfig")] config: Option<JsValue>,
    ) -> Result<Client, JsValue> {
        Client::from_config(&opt(config), false)
    }

    /// Applies every key present in `config` (the others keep their value).
    pub fn configure(
        &self,
        #[wasm_bindgen(unchecked_param_type = "StompConfig")] config: JsValue,
    ) -> Result<(), JsValue> {
        self.with_inner(|inner| inner.configure(&config))
    }

    /// The config key `KEYS[index]` (the getter of every config property, see `bridge.js`).
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __getOption, skip_typescript)]
    pub fn get_option_at(&self, index: usize) -> JsValue {
        Key::ALL
            .get(index)
            .map_or(JsValue::UNDEFINED, |key| self.get_option(*key))
    }

    /// Sets the config key `KEYS[index]` (the setter of every config property).
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __setOption, skip_typescript)]
    pub fn set_option_at(&self, index: usize, value: JsValue) -> Result<(), JsValue> {
        match Key::ALL.get(index) {
            Some(key) => self.set_option(*key, value),
            None => Ok(()),
        }
    }

    /// Starts connecting, and reconnecting after every loss until `deactivate()`.
    pub fn activate(&self) -> Result<(), JsValue> {
        {
            let mut inner = self
                .shared
                .try_borrow_mut()
                .map_err(|_| js::error("stomp client is busy (re-entrant call)"))?;
            inner.sync_js_config();
            match inner.session.activate(js::now_ms()) {
                Ok(()) => {}
                // stompjs v7 waits for the deactivation to finish, then activates.
                Err(ClientError::StillDeactivating) => inner.activate_when_inactive = true,
                Err(e) => return Err(driver::client_error(e)),
            }
        }
        drive(&self.shared)
    }

    /// Disconnects gracefully (DISCONNECT, wait for its RECEIPT) or, with `{ force: true }`, drops
    /// the socket at once; no reconnection follows. Resolves when the client is INACTIVE.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn deactivate(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "{ force?: boolean }")] options: Option<
            JsValue,
        >,
    ) -> Result<Promise, JsValue> {
        let force = js::get_bool(&opt(options), "force").unwrap_or(false);
        let mut resolver: Option<Function> = None;
        let promise = Promise::new(&mut |resolve, _reject| resolver = Some(resolve));
        {
            let mut inner = self
                .shared
                .try_borrow_mut()
                .map_err(|_| js::error("stomp client is busy (re-entrant call)"))?;
            inner.activate_when_inactive = false;
            // Already INACTIVE: no state change will come to settle the promise.
            if inner.session.state() == CoreState::Inactive {
                if let Some(resolve) = resolver {
                    drop(inner);
                    resolve.call0(&JsValue::NULL)?;
                }
                return Ok(promise);
            }
            inner.deactivate_waiters.extend(resolver);
            inner.sync_js_config();
            inner.session.deactivate(js::now_ms(), force);
        }
        drive(&self.shared)?;
        Ok(promise)
    }

    /// stomp-wasm: starts a waiting reconnection now instead of after its delay (done by itself on
    /// the browser's `online` event).
    #[wasm_bindgen(js_name = reconnectNow)]
    pub fn reconnect_now(&self) -> Result<(), JsValue> {
        with_session(&self.shared, |inner, now| {
            inner.session.reconnect_now(now);
            Ok(())
        })
    }

    /// Drops the current connection as if it had failed; reconnection follows if configured.
    #[wasm_bindgen(js_name = forceDisconnect)]
    pub fn force_disconnect(&self) -> Result<(), JsValue> {
        with_session(&self.shared, |inner, now| {
            inner.session.force_disconnect(now);
            Ok(())
        })
    }

    /// Sends a message: `{ destination, headers?, body?, binaryBody?, skipContentLengthHeader? }`.
    /// Throws when there is no STOMP connection (unless the offline queue is on).
    pub fn publish(
        &self,
        #[wasm_bindgen(unchecked_param_type = "IPublishParams")] params: JsValue,
    ) -> Result<(), JsValue> {
        let destination = required_string(&js::get(&params, "destination"), "destination")?;
        let headers = js::headers_from_js(&js::get(&params, "headers"));
        let skip_content_length = js::get_bool(&params, "skipContentLengthHeader").unwrap_or(false);
        self.publish_parts(
            destination,
            headers,
            &js::get(&params, "binaryBody"),
            &js::get(&params, "body"),
            skip_content_length,
        )
    }

    /// Subscribes `callback` to `destination`. `headers` may set `id`, `ack`, `receipt`, ...
    /// stomp-wasm: `onError(frame)` is called if the server refuses this subscription (an ERROR
    /// naming it); the connection is not torn down for it.
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] destination: JsValue,
        #[wasm_bindgen(unchecked_param_type = "messageCallbackType")] callback: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "StompHeaders")] headers: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "frameCallbackType")] on_error: Option<
            JsValue,
        >,
    ) -> Result<StompSubscription, JsValue> {
        let destination = required_string(&destination, "destination")?;
        let callback = js::as_function(&callback)
            .ok_or_else(|| js::error("subscribe() needs a callback function"))?;
        let headers = js::headers_from_js(&opt(headers));
        let on_error = js::as_function(&opt(on_error));
        let id = with_session(&self.shared, |inner, now| {
            let restore = !inner.in_on_connect;
            let id = inner
                .session
                .subscribe_with(now, &destination, headers, restore)?;
            inner.subscriptions.insert(
                id.clone(),
                SubscriptionCallbacks {
                    on_message: Rc::new(callback),
                    on_error,
                },
            );
            Ok(id)
        })?;
        Ok(StompSubscription {
            id,
            client: Rc::downgrade(&self.shared),
        })
    }

    pub fn unsubscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "StompHeaders")] headers: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let id = required_string(&id, "subscription id")?;
        unsubscribe(&self.shared, &id, &opt(headers))
    }

    /// Starts a transaction (id generated when not given).
    pub fn begin(&self, transaction_id: Option<String>) -> Result<StompTransaction, JsValue> {
        let id = with_session(&self.shared, |inner, now| {
            inner.session.begin(now, transaction_id.as_deref())
        })?;
        Ok(StompTransaction {
            id,
            client: Rc::downgrade(&self.shared),
        })
    }

    pub fn commit(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] transaction_id: JsValue,
    ) -> Result<(), JsValue> {
        let id = required_string(&transaction_id, "transaction id")?;
        with_session(&self.shared, |inner, now| inner.session.commit(now, &id))
    }

    pub fn abort(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] transaction_id: JsValue,
    ) -> Result<(), JsValue> {
        let id = required_string(&transaction_id, "transaction id")?;
        with_session(&self.shared, |inner, now| inner.session.abort(now, &id))
    }

    pub fn ack(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] message_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] subscription_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "StompHeaders")] headers: Option<JsValue>,
    ) -> Result<(), JsValue> {
        acknowledge(
            &self.shared,
            &message_id,
            &subscription_id,
            &opt(headers),
            false,
        )
    }

    pub fn nack(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] message_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] subscription_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "StompHeaders")] headers: Option<JsValue>,
    ) -> Result<(), JsValue> {
        acknowledge(
            &self.shared,
            &message_id,
            &subscription_id,
            &opt(headers),
            true,
        )
    }

    /// Calls `callback(frame)` once when the RECEIPT with this id arrives (instead of
    /// `onUnhandledReceipt`).
    #[wasm_bindgen(js_name = watchForReceipt)]
    pub fn watch_for_receipt(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] receipt_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "frameCallbackType")] callback: JsValue,
    ) -> Result<(), JsValue> {
        let id = required_string(&receipt_id, "receipt id")?;
        let callback = js::as_function(&callback)
            .ok_or_else(|| js::error("watchForReceipt() needs a callback function"))?;
        self.with_inner(|inner| {
            inner
                .session
                .watch_for_receipt(&id)
                .map_err(driver::client_error)?;
            inner.receipt_watchers.insert(id, callback);
            Ok(())
        })
    }

    /// Whether a STOMP connection is up (CONNECTED received).
    #[wasm_bindgen(getter)]
    pub fn connected(&self) -> bool {
        self.shared
            .try_borrow()
            .is_ok_and(|inner| inner.session.connected())
    }

    /// Whether the client is ACTIVE (connected, connecting or waiting to reconnect).
    #[wasm_bindgen(getter)]
    pub fn active(&self) -> bool {
        self.shared
            .try_borrow()
            .is_ok_and(|inner| inner.session.state() == CoreState::Active)
    }

    #[wasm_bindgen(getter)]
    pub fn state(&self) -> ActivationState {
        match self.shared.try_borrow().map(|i| i.session.state()) {
            Ok(CoreState::Active) => ActivationState::ACTIVE,
            Ok(CoreState::Deactivating) => ActivationState::DEACTIVATING,
            _ => ActivationState::INACTIVE,
        }
    }

    /// The socket in use (whatever `webSocketFactory` returned), or `undefined`.
    #[wasm_bindgen(getter = webSocket, unchecked_return_type = "IStompSocket | undefined")]
    pub fn web_socket(&self) -> JsValue {
        self.shared
            .try_borrow()
            .ok()
            .and_then(|inner| inner.transport.as_ref().map(|t| t.socket()))
            .unwrap_or(JsValue::UNDEFINED)
    }

    /// stomp-wasm: the transport carrying the session — `'websocket'`, or with a SockJS
    /// `brokerURL` the SockJS transport that won (`'xhr-streaming'`, `'eventsource'`,
    /// `'xhr-polling'`); `undefined` while none is open.
    #[wasm_bindgen(getter, unchecked_return_type = "SockJsTransportName | undefined")]
    pub fn transport(&self) -> Option<String> {
        let inner = self.shared.try_borrow().ok()?;
        Some(inner.transport.as_ref()?.name()?.to_owned())
    }

    /// The negotiated STOMP version while connected.
    #[wasm_bindgen(getter = connectedVersion)]
    pub fn connected_version(&self) -> Option<String> {
        self.shared
            .try_borrow()
            .ok()?
            .session
            .connected_version()
            .map(|v| v.as_str().to_owned())
    }

    /// stomp-wasm: frames waiting in the offline queue.
    #[wasm_bindgen(getter = offlineQueueLength)]
    pub fn offline_queue_length(&self) -> usize {
        self.shared
            .try_borrow()
            .map_or(0, |inner| inner.session.offline_queue_len())
    }

    // ----- compat API (stompjs CompatClient, for code written against stompjs < 5) -----

    /// `connect(headers, onConnect, onError?, onClose?)` or
    /// `connect(login, passcode, onConnect, onError?, onClose?, host?)`.
    pub fn connect(
        &self,
        #[wasm_bindgen(unchecked_param_type = "StompHeaders | string")] a: JsValue,
        #[wasm_bindgen(unchecked_param_type = "frameCallbackType | string")] b: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "any")] c: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "any")] d: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "any")] e: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] f: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let (c, d, e, f) = (opt(c), opt(d), opt(e), opt(f));
        self.with_inner(|inner| {
            let (headers, on_connect, on_error, on_close) = if b.is_function() {
                let headers = if a.is_object() {
                    a.clone()
                } else {
                    js_sys::Object::new().into()
                };
                (headers, b.clone(), c.clone(), d.clone())
            } else {
                let headers: JsValue = js_sys::Object::new().into();
                js::set(&headers, "login", &a);
                js::set(&headers, "passcode", &b);
                if !f.is_undefined() {
                    js::set(&headers, "host", &f);
                }
                (headers, c.clone(), d.clone(), e.clone())
            };
            inner.set_option(Key::connectHeaders, headers)?;
            inner.set_option(Key::onConnect, on_connect)?;
            if !on_error.is_undefined() {
                inner.set_option(Key::onStompError, on_error)?;
            }
            if !on_close.is_undefined() {
                inner.set_option(Key::onWebSocketClose, on_close)?;
            }
            Ok(())
        })?;
        self.activate()
    }

    /// `send(destination, headers?, body?)`; `headers['content-length'] === false` skips the
    /// content-length header.
    pub fn send(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] destination: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "{ [key: string]: any }")] headers: Option<
            JsValue,
        >,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] body: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let (headers, body) = (opt(headers), opt(body));
        let destination = required_string(&destination, "destination")?;
        let mut list = js::headers_from_js(&headers);
        // stompjs: `content-length: false` leaves the header out.
        let skip_content_length = js::get(&headers, "content-length") == JsValue::FALSE;
        if skip_content_length {
            list = list
                .iter()
                .filter(|&(name, _)| name != "content-length")
                .collect();
        }
        self.publish_parts(
            destination,
            list,
            &JsValue::UNDEFINED,
            &body,
            skip_content_length,
        )
    }

    /// `disconnect(onDisconnect?, headers?)`.
    pub fn disconnect(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "frameCallbackType")] callback: Option<
            JsValue,
        >,
        #[wasm_bindgen(unchecked_optional_param_type = "StompHeaders")] headers: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let (callback, headers) = (opt(callback), opt(headers));
        self.with_inner(|inner| {
            if callback.is_function() {
                inner.set_option(Key::onDisconnect, callback)?;
            }
            if headers.is_object() {
                inner.set_option(Key::disconnectHeaders, headers)?;
            }
            Ok(())
        })?;
        self.deactivate(None).map(drop)
    }
}

/// stompjs's `Stomp` object of the compat API: `Stomp.client(url)`, `Stomp.over(socketOrFactory)`.
#[wasm_bindgen]
pub struct Stomp;

#[wasm_bindgen]
impl Stomp {
    /// A client for `url` (no automatic reconnection, as stompjs's compat client).
    pub fn client(url: String) -> Result<Client, JsValue> {
        let client = Client::from_config(&JsValue::UNDEFINED, true)?;
        client.set_option(Key::brokerURL, JsValue::from_str(&url))?;
        Ok(client)
    }

    /// A client over a socket factory (a function), or over one already created socket (which
    /// cannot be re-created, so that client does not reconnect).
    pub fn over(
        #[wasm_bindgen(unchecked_param_type = "(() => IStompSocket) | IStompSocket")]
        socket: JsValue,
    ) -> Result<Client, JsValue> {
        let client = Client::from_config(&JsValue::UNDEFINED, true)?;
        client.with_inner(|inner| {
            inner.callbacks.web_socket_factory = socket;
            Ok(())
        })?;
        Ok(client)
    }
}

/// The stompjs config keys as `Client` properties, from one list of names and TypeScript types.
///
/// JavaScript does not get one exported getter/setter pair per key (that was ~74 exports and
/// glue functions): `bridge.js` defines every accessor on `Client.prototype` once, each calling
/// the two hidden exports `__getOption(index)` / `__setOption(index, value)`. The list yields
/// [`KEYS`] (the names, by index) and [`Key`] (the keys as Rust sees them), the TypeScript
/// declarations (an interface merged into the `Client` class), and same-named Rust methods for
/// Rust callers and tests.
macro_rules! properties {
    ($($js:ident $get:ident $set:ident $ty:literal;)*) => {
        /// Every settable key, in the order `configure` applies them; the index is what
        /// `bridge.js` passes to `__getOption` / `__setOption`.
        pub(crate) const KEYS: &[&str] = &[$(stringify!($js)),*];

        /// A config key, named exactly as in JavaScript; `Key::X as usize` is its index in
        /// [`KEYS`]. Matching on these rather than on name strings keeps `options.rs` compact.
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Key {
            $($js,)*
        }

        impl Key {
            /// Every key, in the order of [`KEYS`].
            pub(crate) const ALL: &[Key] = &[$(Key::$js),*];

            /// The JavaScript name.
            pub(crate) fn name(self) -> &'static str {
                KEYS.get(self as usize).copied().unwrap_or_default()
            }
        }

        #[wasm_bindgen(typescript_custom_section)]
        const TS_PROPERTIES: &str = concat!(
            "export interface Client {\n",
            $("  ", stringify!($js), ": ", $ty, ";\n",)*
            "}\n"
        );

        impl Client {
            $(
                pub fn $get(&self) -> JsValue {
                    self.get_option(Key::$js)
                }

                pub fn $set(&self, value: JsValue) -> Result<(), JsValue> {
                    self.set_option(Key::$js, value)
                }
            )*
        }
    };
}

properties! {
    brokerURL broker_url set_broker_url "string | undefined";
    webSocketFactory web_socket_factory set_web_socket_factory "(() => IStompSocket) | undefined";
    connectHeaders connect_headers set_connect_headers "StompHeaders";
    disconnectHeaders disconnect_headers set_disconnect_headers "StompHeaders";
    stompVersions stomp_versions set_stomp_versions "Versions | string[]";
    connectionTimeout connection_timeout set_connection_timeout "number";
    reconnectDelay reconnect_delay set_reconnect_delay "number";
    maxReconnectDelay max_reconnect_delay set_max_reconnect_delay "number";
    reconnectTimeMode reconnect_time_mode set_reconnect_time_mode "ReconnectionTimeMode";
    heartbeatIncoming heartbeat_incoming set_heartbeat_incoming "number";
    heartbeatOutgoing heartbeat_outgoing set_heartbeat_outgoing "number";
    heartbeatToleranceMultiplier heartbeat_tolerance_multiplier set_heartbeat_tolerance_multiplier "number";
    heartbeatStrategy heartbeat_strategy set_heartbeat_strategy "'interval' | 'worker'";
    splitLargeFrames split_large_frames set_split_large_frames "boolean";
    maxWebSocketChunkSize max_web_socket_chunk_size set_max_web_socket_chunk_size "number";
    forceBinaryWSFrames force_binary_ws_frames set_force_binary_ws_frames "boolean";
    appendMissingNULLonIncoming append_missing_nul_on_incoming set_append_missing_nul_on_incoming "boolean";
    discardWebsocketOnCommFailure discard_websocket_on_comm_failure set_discard_websocket_on_comm_failure "boolean";
    logRawCommunication log_raw_communication set_log_raw_communication "boolean";
    debug debug set_debug "debugFnType | undefined";
    beforeConnect before_connect set_before_connect "((client?: Client) => void | Promise<void>) | undefined";
    onConnect on_connect set_on_connect "frameCallbackType | undefined";
    onDisconnect on_disconnect set_on_disconnect "frameCallbackType | undefined";
    onStompError on_stomp_error set_on_stomp_error "frameCallbackType | undefined";
    onWebSocketClose on_web_socket_close set_on_web_socket_close "closeEventCallbackType | undefined";
    onWebSocketError on_web_socket_error set_on_web_socket_error "wsErrorCallbackType | undefined";
    onUnhandledMessage on_unhandled_message set_on_unhandled_message "messageCallbackType | undefined";
    onUnhandledReceipt on_unhandled_receipt set_on_unhandled_receipt "frameCallbackType | undefined";
    onUnhandledFrame on_unhandled_frame set_on_unhandled_frame "frameCallbackType | undefined";
    onChangeState on_change_state set_on_change_state "((state: ActivationState) => void) | undefined";
    onHeartbeatReceived on_heartbeat_received set_on_heartbeat_received "emptyCallbackType | undefined";
    onHeartbeatLost on_heartbeat_lost set_on_heartbeat_lost "emptyCallbackType | undefined";
    maxReconnectAttempts max_reconnect_attempts set_max_reconnect_attempts "number | undefined";
    onReconnectGaveUp on_reconnect_gave_up set_on_reconnect_gave_up "((attempts: number) => void) | undefined";
    resubscribe resubscribe set_resubscribe "boolean";
    offlineQueue offline_queue set_offline_queue "boolean | OfflineQueueOptions";
    disconnectTimeout disconnect_timeout set_disconnect_timeout "number";
    transports transports set_transports "SockJsTransportName[]";
}

/// stompjs's `TickerStrategy`: `TickerStrategy.Interval` (`'interval'`) and
/// `TickerStrategy.Worker` (`'worker'`, heart-beats that survive background-tab throttling).
#[wasm_bindgen]
pub struct TickerStrategy;

#[wasm_bindgen]
impl TickerStrategy {
    #[wasm_bindgen(getter = Interval)]
    pub fn interval() -> String {
        "interval".to_owned()
    }

    #[wasm_bindgen(getter = Worker)]
    pub fn worker() -> String {
        "worker".to_owned()
    }
}

/// stompjs's `Versions`: the STOMP versions to offer, in order of preference
/// (`new Versions(['1.2', '1.1'])`, `Versions.default`).
#[wasm_bindgen]
pub struct Versions {
    versions: Vec<String>,
}

/// A list of strings as a JavaScript array (built here rather than by wasm-bindgen's
/// `Vec<String>` conversion, whose glue and Wasm code weigh more).
fn string_array<'a>(items: impl Iterator<Item = &'a str>) -> js_sys::Array {
    items.map(JsValue::from_str).collect()
}

#[wasm_bindgen]
impl Versions {
    /// Versions from an array of version strings (other values are turned into text).
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "string[]")] versions: JsValue) -> Versions {
        let versions = if js_sys::Array::is_array(&versions) {
            js_sys::Array::from(&versions)
                .iter()
                .map(|v| v.as_string().unwrap_or_else(|| js::js_string(&v)))
                .collect()
        } else {
            Vec::new()
        };
        Versions { versions }
    }

    /// 1.2, 1.1 and 1.0.
    #[wasm_bindgen(getter = default)]
    pub fn default_versions() -> Versions {
        Versions {
            versions: vec!["1.2".into(), "1.1".into(), "1.0".into()],
        }
    }

    #[wasm_bindgen(getter, unchecked_return_type = "string[]")]
    pub fn versions(&self) -> js_sys::Array {
        string_array(self.versions.iter().map(String::as_str))
    }

    /// The `accept-version` header value (`"1.2,1.1,1.0"`).
    #[wasm_bindgen(js_name = supportedVersions)]
    pub fn supported_versions(&self) -> String {
        // Not `join`: its generic code weighs a kilobyte in the module.
        let mut list = String::new();
        for (i, v) in self.versions.iter().enumerate() {
            if i > 0 {
                list.push(',');
            }
            list.push_str(v);
        }
        list
    }

    /// The WebSocket subprotocols (`["v12.stomp", …]`).
    #[wasm_bindgen(js_name = protocolVersions, unchecked_return_type = "string[]")]
    pub fn protocol_versions(&self) -> js_sys::Array {
        string_array(
            self.versions
                .iter()
                .filter_map(|v| crate::frame::Version::parse(v))
                .map(|v| v.subprotocol()),
        )
    }
}
