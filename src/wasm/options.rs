//! Reading and writing the client's settings by their stompjs names.
//!
//! One table of names serves three ways in: the `Client` constructor's config object,
//! `configure(cfg)`, and the per-property getters and setters (defined on `Client.prototype` by
//! `bridge.js` from the names of `properties!` in `client.rs`, which also makes [`KEYS`]).
//! Values are checked as they are set, so a wrong type throws where it was written.

use wasm_bindgen::prelude::*;

use super::client::{Key, KEYS};
use super::driver::Inner;
use super::js;
use super::timer::TickerStrategy;
use crate::client::{OfflineQueueConfig, ReconnectTimeMode};
use crate::frame::Version;
use crate::sockjs::client::TransportKind;

fn type_error(key: &str, expected: &str) -> JsValue {
    let mut m = String::from(key);
    m.push_str(" must be ");
    m.push_str(expected);
    js::error(&m)
}

/// A non-negative whole number of milliseconds or bytes.
fn uint(key: &str, value: &JsValue) -> Result<u32, JsValue> {
    match value.as_f64() {
        Some(n) if n >= 0.0 && n.is_finite() => Ok(n.min(f64::from(u32::MAX)) as u32),
        _ => Err(type_error(key, "a non-negative number")),
    }
}

/// A callback, or `undefined`/`null` to remove it.
fn callback(key: &str, value: JsValue) -> Result<JsValue, JsValue> {
    if value.is_function() || value.is_undefined() {
        Ok(value)
    } else if value.is_null() {
        Ok(JsValue::UNDEFINED)
    } else {
        Err(type_error(key, "a function"))
    }
}

/// `stompVersions`: an array of version strings, or stompjs's `Versions` object (its `versions`).
fn parse_versions(value: &JsValue) -> Result<Vec<Version>, JsValue> {
    let list = if js_sys::Array::is_array(value) {
        value.clone()
    } else {
        js::get(value, "versions")
    };
    if !js_sys::Array::is_array(&list) {
        return Err(type_error(
            "stompVersions",
            "an array of '1.0', '1.1', '1.2'",
        ));
    }
    let mut versions = Vec::new();
    for v in js_sys::Array::from(&list).iter() {
        let text = v.as_string().unwrap_or_default();
        match Version::parse(&text) {
            Some(v) if !versions.contains(&v) => versions.push(v),
            Some(_) => {}
            None => {
                return Err(type_error(
                    "stompVersions",
                    "an array of '1.0', '1.1', '1.2'",
                ))
            }
        }
    }
    if versions.is_empty() {
        return Err(type_error("stompVersions", "a non-empty list"));
    }
    Ok(versions)
}

/// `transports`: SockJS transport names in order of preference (a single name is a list of
/// one; `undefined` is the default order).
fn parse_transports(value: &JsValue) -> Result<Vec<TransportKind>, JsValue> {
    const EXPECTED: &str = "a list of 'websocket', 'xhr-streaming', 'eventsource', 'xhr-polling'";
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    let list = if let Some(one) = value.as_string() {
        vec![one]
    } else if js_sys::Array::is_array(value) {
        js_sys::Array::from(value)
            .iter()
            .map(|v| v.as_string().unwrap_or_default())
            .collect()
    } else {
        return Err(type_error("transports", EXPECTED));
    };
    list.iter()
        .map(|name| {
            TransportKind::from_name(name).ok_or_else(|| type_error("transports", EXPECTED))
        })
        .collect()
}

impl Inner {
    /// Sets one option (a stompjs config key). `configure` skips keys it does not know, as
    /// stompjs's `Object.assign(this, conf)` would store them harmlessly.
    pub(crate) fn set_option(&mut self, key: Key, value: JsValue) -> Result<(), JsValue> {
        let cb = &mut self.callbacks;
        let name = key.name();
        match key {
            Key::webSocketFactory => cb.web_socket_factory = callback(name, value)?,
            Key::debug => {
                cb.debug = callback(name, value)?;
                let on = cb.debug.is_function();
                self.session.config_mut().debug = on;
            }
            Key::beforeConnect => {
                cb.before_connect = callback(name, value)?;
                let on = cb.before_connect.is_function();
                self.session.config_mut().run_before_connect = on;
            }
            Key::onConnect => cb.on_connect = callback(name, value)?,
            Key::onDisconnect => cb.on_disconnect = callback(name, value)?,
            Key::onStompError => cb.on_stomp_error = callback(name, value)?,
            Key::onWebSocketClose => cb.on_web_socket_close = callback(name, value)?,
            Key::onWebSocketError => cb.on_web_socket_error = callback(name, value)?,
            Key::onUnhandledMessage => cb.on_unhandled_message = callback(name, value)?,
            Key::onUnhandledReceipt => cb.on_unhandled_receipt = callback(name, value)?,
            Key::onUnhandledFrame => cb.on_unhandled_frame = callback(name, value)?,
            Key::onChangeState => cb.on_change_state = callback(name, value)?,
            Key::onHeartbeatReceived => cb.on_heartbeat_received = callback(name, value)?,
            Key::onHeartbeatLost => cb.on_heartbeat_lost = callback(name, value)?,
            Key::onReconnectGaveUp => cb.on_reconnect_gave_up = callback(name, value)?,
            Key::connectHeaders => {
                self.js_config.connect_headers = value;
                self.sync_js_config();
            }
            Key::disconnectHeaders => {
                self.js_config.disconnect_headers = value;
                self.sync_js_config();
            }
            Key::stompVersions => {
                let versions = parse_versions(&value)?;
                self.session.config_mut().stomp_versions = versions;
                self.js_config.stomp_versions = value;
            }
            Key::logRawCommunication => self.js_config.log_raw_communication = value.is_truthy(),
            Key::transports => {
                let list = parse_transports(&value)?;
                self.sockjs_plan.borrow_mut().set_whitelist(list);
            }
            Key::heartbeatStrategy => {
                let s = value.as_string().unwrap_or_default();
                self.set_strategy(TickerStrategy::parse(&s));
            }
            Key::offlineQueue => {
                let queue = if !value.is_truthy() {
                    None
                } else {
                    let mut q = OfflineQueueConfig {
                        id_prefix: offline_id_prefix(),
                        ..OfflineQueueConfig::default()
                    };
                    if let Some(n) = js::get_f64(&value, "maxFrames") {
                        q.max_frames = n.max(0.0) as usize;
                    }
                    if let Some(n) = js::get_f64(&value, "maxBytes") {
                        q.max_bytes = n.max(0.0) as usize;
                    }
                    Some(q)
                };
                self.session.config_mut().offline_queue = queue;
                self.js_config.offline_queue = value;
            }
            _ => {
                let config = self.session.config_mut();
                match key {
                    Key::brokerURL => {
                        config.broker_url = if value.is_undefined() || value.is_null() {
                            String::new()
                        } else {
                            value
                                .as_string()
                                .ok_or_else(|| type_error(name, "a string"))?
                        }
                    }
                    Key::connectionTimeout => config.connection_timeout = uint(name, &value)?,
                    Key::reconnectDelay => config.reconnect_delay = uint(name, &value)?,
                    Key::maxReconnectDelay => config.max_reconnect_delay = uint(name, &value)?,
                    Key::disconnectTimeout => config.disconnect_timeout = uint(name, &value)?,
                    Key::reconnectTimeMode => {
                        config.reconnect_time_mode = match value.as_f64() {
                            Some(1.0) => ReconnectTimeMode::Exponential,
                            Some(0.0) => ReconnectTimeMode::Linear,
                            _ => {
                                return Err(type_error(
                                    name,
                                    "ReconnectionTimeMode.LINEAR or .EXPONENTIAL",
                                ))
                            }
                        }
                    }
                    Key::heartbeatIncoming => config.heartbeat_incoming = uint(name, &value)?,
                    Key::heartbeatOutgoing => config.heartbeat_outgoing = uint(name, &value)?,
                    Key::heartbeatToleranceMultiplier => {
                        config.heartbeat_tolerance_multiplier = match value.as_f64() {
                            Some(m) if m >= 1.0 && m.is_finite() => m,
                            _ => return Err(type_error(name, "a number >= 1")),
                        }
                    }
                    Key::splitLargeFrames => config.split_large_frames = value.is_truthy(),
                    Key::maxWebSocketChunkSize => {
                        config.max_web_socket_chunk_size = uint(name, &value)?.max(1) as usize
                    }
                    Key::forceBinaryWSFrames => config.force_binary_ws_frames = value.is_truthy(),
                    Key::appendMissingNULLonIncoming => {
                        config.append_missing_nul_on_incoming = value.is_truthy()
                    }
                    Key::discardWebsocketOnCommFailure => {
                        config.discard_websocket_on_comm_failure = value.is_truthy()
                    }
                    Key::maxReconnectAttempts => {
                        config.max_reconnect_attempts = if value.is_undefined() || value.is_null() {
                            None
                        } else {
                            Some(uint(name, &value)?)
                        }
                    }
                    Key::resubscribe => config.resubscribe = value.is_truthy(),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Reads one option.
    pub(crate) fn get_option(&self, key: Key) -> JsValue {
        let cb = &self.callbacks;
        let config = self.session.config();
        let num = |n: u32| JsValue::from_f64(f64::from(n));
        match key {
            Key::brokerURL if config.broker_url.is_empty() => JsValue::UNDEFINED,
            Key::brokerURL => JsValue::from_str(&config.broker_url),
            Key::webSocketFactory => cb.web_socket_factory.clone(),
            Key::connectHeaders => self.js_config.connect_headers.clone(),
            Key::disconnectHeaders => self.js_config.disconnect_headers.clone(),
            Key::stompVersions => self.js_config.stomp_versions.clone(),
            Key::connectionTimeout => num(config.connection_timeout),
            Key::reconnectDelay => num(config.reconnect_delay),
            Key::maxReconnectDelay => num(config.max_reconnect_delay),
            Key::disconnectTimeout => num(config.disconnect_timeout),
            Key::reconnectTimeMode => num(match config.reconnect_time_mode {
                ReconnectTimeMode::Linear => 0,
                ReconnectTimeMode::Exponential => 1,
            }),
            Key::heartbeatIncoming => num(config.heartbeat_incoming),
            Key::heartbeatOutgoing => num(config.heartbeat_outgoing),
            Key::heartbeatToleranceMultiplier => {
                JsValue::from_f64(config.heartbeat_tolerance_multiplier)
            }
            Key::heartbeatStrategy => JsValue::from_str(self.strategy.as_str()),
            Key::splitLargeFrames => JsValue::from_bool(config.split_large_frames),
            Key::maxWebSocketChunkSize => {
                JsValue::from_f64(config.max_web_socket_chunk_size as f64)
            }
            Key::forceBinaryWSFrames => JsValue::from_bool(config.force_binary_ws_frames),
            Key::appendMissingNULLonIncoming => {
                JsValue::from_bool(config.append_missing_nul_on_incoming)
            }
            Key::discardWebsocketOnCommFailure => {
                JsValue::from_bool(config.discard_websocket_on_comm_failure)
            }
            Key::logRawCommunication => JsValue::from_bool(self.js_config.log_raw_communication),
            Key::maxReconnectAttempts => config
                .max_reconnect_attempts
                .map_or(JsValue::UNDEFINED, num),
            Key::resubscribe => JsValue::from_bool(config.resubscribe),
            Key::offlineQueue => self.js_config.offline_queue.clone(),
            Key::transports => self
                .sockjs_plan
                .borrow()
                .whitelist()
                .iter()
                .map(|k| JsValue::from_str(k.name()))
                .collect::<js_sys::Array>()
                .into(),
            Key::debug => cb.debug.clone(),
            Key::beforeConnect => cb.before_connect.clone(),
            Key::onConnect => cb.on_connect.clone(),
            Key::onDisconnect => cb.on_disconnect.clone(),
            Key::onStompError => cb.on_stomp_error.clone(),
            Key::onWebSocketClose => cb.on_web_socket_close.clone(),
            Key::onWebSocketError => cb.on_web_socket_error.clone(),
            Key::onUnhandledMessage => cb.on_unhandled_message.clone(),
            Key::onUnhandledReceipt => cb.on_unhandled_receipt.clone(),
            Key::onUnhandledFrame => cb.on_unhandled_frame.clone(),
            Key::onChangeState => cb.on_change_state.clone(),
            Key::onHeartbeatReceived => cb.on_heartbeat_received.clone(),
            Key::onHeartbeatLost => cb.on_heartbeat_lost.clone(),
            Key::onReconnectGaveUp => cb.on_reconnect_gave_up.clone(),
        }
    }

    /// Applies every known key present in `config` (stompjs `configure`).
    pub(crate) fn configure(&mut self, config: &JsValue) -> Result<(), JsValue> {
        if config.is_undefined() || config.is_null() {
            return Ok(());
        }
        if !config.is_object() {
            return Err(js::error("configure() takes an object"));
        }
        for (key, name) in Key::ALL.iter().zip(KEYS) {
            if js::has(config, name) {
                self.set_option(*key, js::get(config, name))?;
            }
        }
        Ok(())
    }
}

/// A prefix unique to this page load for offline-queue ids: `crypto.randomUUID()` when there is
/// one (secure contexts), else 53 random bits (`Math.random`, already imported for SockJS).
fn offline_id_prefix() -> String {
    let crypto = js::get(&js::global(), "crypto");
    let uuid = js::get(&crypto, "randomUUID");
    if let Some(f) = js::as_function(&uuid) {
        if let Some(s) = f.call0(&crypto).ok().and_then(|v| v.as_string()) {
            return s;
        }
    }
    let mut s = String::from("t");
    let random = js_sys::Math::random() * 9_007_199_254_740_991.0;
    crate::codec::push_decimal(&mut s, random as u64);
    s
}
