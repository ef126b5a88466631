//! Reading and writing the client's settings by their stompjs names.
//!
//! One table of names serves three ways in: the `Client` constructor's config object,
//! `configure(cfg)`, and the per-property getters and setters (defined on `Client.prototype` by
//! `options.js` from the names of `properties!` in `client.rs`, which also makes [`KEYS`]).
//! Values are checked as they are set, so a wrong type throws where it was written.

use wasm_bindgen::prelude::*;

use super::client::KEYS;
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
    /// Sets one option by its stompjs name. Unknown keys are ignored, as stompjs's
    /// `Object.assign(this, conf)` would store them harmlessly.
    pub(crate) fn set_option(&mut self, key: &str, value: JsValue) -> Result<(), JsValue> {
        let cb = &mut self.callbacks;
        match key {
            "webSocketFactory" => cb.web_socket_factory = callback(key, value)?,
            "debug" => {
                cb.debug = callback(key, value)?;
                let on = cb.debug.is_function();
                self.session.config_mut().debug = on;
            }
            "beforeConnect" => {
                cb.before_connect = callback(key, value)?;
                let on = cb.before_connect.is_function();
                self.session.config_mut().run_before_connect = on;
            }
            "onConnect" => cb.on_connect = callback(key, value)?,
            "onDisconnect" => cb.on_disconnect = callback(key, value)?,
            "onStompError" => cb.on_stomp_error = callback(key, value)?,
            "onWebSocketClose" => cb.on_web_socket_close = callback(key, value)?,
            "onWebSocketError" => cb.on_web_socket_error = callback(key, value)?,
            "onUnhandledMessage" => cb.on_unhandled_message = callback(key, value)?,
            "onUnhandledReceipt" => cb.on_unhandled_receipt = callback(key, value)?,
            "onUnhandledFrame" => cb.on_unhandled_frame = callback(key, value)?,
            "onChangeState" => cb.on_change_state = callback(key, value)?,
            "onHeartbeatReceived" => cb.on_heartbeat_received = callback(key, value)?,
            "onHeartbeatLost" => cb.on_heartbeat_lost = callback(key, value)?,
            "onReconnectGaveUp" => cb.on_reconnect_gave_up = callback(key, value)?,
            "connectHeaders" => {
                self.js_config.connect_headers = value;
                self.sync_js_config();
            }
            "disconnectHeaders" => {
                self.js_config.disconnect_headers = value;
                self.sync_js_config();
            }
            "stompVersions" => {
                let versions = parse_versions(&value)?;
                self.session.config_mut().stomp_versions = versions;
                self.js_config.stomp_versions = value;
            }
            "logRawCommunication" => self.js_config.log_raw_communication = value.is_truthy(),
            "transports" => {
                let list = parse_transports(&value)?;
                self.sockjs_plan.borrow_mut().set_whitelist(list);
            }
            "heartbeatStrategy" => {
                let s = value.as_string().unwrap_or_default();
                self.set_strategy(TickerStrategy::parse(&s));
            }
            "offlineQueue" => {
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
                    "brokerURL" => {
                        config.broker_url = if value.is_undefined() || value.is_null() {
                            String::new()
                        } else {
                            value
                                .as_string()
                                .ok_or_else(|| type_error(key, "a string"))?
                        }
                    }
                    "connectionTimeout" => config.connection_timeout = uint(key, &value)?,
                    "reconnectDelay" => config.reconnect_delay = uint(key, &value)?,
                    "maxReconnectDelay" => config.max_reconnect_delay = uint(key, &value)?,
                    "disconnectTimeout" => config.disconnect_timeout = uint(key, &value)?,
                    "reconnectTimeMode" => {
                        config.reconnect_time_mode = match value.as_f64() {
                            Some(1.0) => ReconnectTimeMode::Exponential,
                            Some(0.0) => ReconnectTimeMode::Linear,
                            _ => {
                                return Err(type_error(
                                    key,
                                    "ReconnectionTimeMode.LINEAR or .EXPONENTIAL",
                                ))
                            }
                        }
                    }
                    "heartbeatIncoming" => config.heartbeat_incoming = uint(key, &value)?,
                    "heartbeatOutgoing" => config.heartbeat_outgoing = uint(key, &value)?,
                    "heartbeatToleranceMultiplier" => {
                        config.heartbeat_tolerance_multiplier = match value.as_f64() {
                            Some(m) if m >= 1.0 && m.is_finite() => m,
                            _ => return Err(type_error(key, "a number >= 1")),
                        }
                    }
                    "splitLargeFrames" => config.split_large_frames = value.is_truthy(),
                    "maxWebSocketChunkSize" => {
                        config.max_web_socket_chunk_size = uint(key, &value)?.max(1) as usize
                    }
                    "forceBinaryWSFrames" => config.force_binary_ws_frames = value.is_truthy(),
                    "appendMissingNULLonIncoming" => {
                        config.append_missing_nul_on_incoming = value.is_truthy()
                    }
                    "discardWebsocketOnCommFailure" => {
                        config.discard_websocket_on_comm_failure = value.is_truthy()
                    }
                    "maxReconnectAttempts" => {
                        config.max_reconnect_attempts = if value.is_undefined() || value.is_null() {
                            None
                        } else {
                            Some(uint(key, &value)?)
                        }
                    }
                    "resubscribe" => config.resubscribe = value.is_truthy(),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Reads one option by its stompjs name.
    pub(crate) fn get_option(&self, key: &str) -> JsValue {
        let cb = &self.callbacks;
        let config = self.session.config();
        let num = |n: u32| JsValue::from_f64(f64::from(n));
        match key {
            "brokerURL" if config.broker_url.is_empty() => JsValue::UNDEFINED,
            "brokerURL" => JsValue::from_str(&config.broker_url),
            "webSocketFactory" => cb.web_socket_factory.clone(),
            "connectHeaders" => self.js_config.connect_headers.clone(),
            "disconnectHeaders" => self.js_config.disconnect_headers.clone(),
            "stompVersions" => self.js_config.stomp_versions.clone(),
            "connectionTimeout" => num(config.connection_timeout),
            "reconnectDelay" => num(config.reconnect_delay),
            "maxReconnectDelay" => num(config.max_reconnect_delay),
            "disconnectTimeout" => num(config.disconnect_timeout),
            "reconnectTimeMode" => num(match config.reconnect_time_mode {
                ReconnectTimeMode::Linear => 0,
                ReconnectTimeMode::Exponential => 1,
            }),
            "heartbeatIncoming" => num(config.heartbeat_incoming),
            "heartbeatOutgoing" => num(config.heartbeat_outgoing),
            "heartbeatToleranceMultiplier" => {
                JsValue::from_f64(config.heartbeat_tolerance_multiplier)
            }
            "heartbeatStrategy" => JsValue::from_str(self.strategy.as_str()),
            "splitLargeFrames" => JsValue::from_bool(config.split_large_frames),
            "maxWebSocketChunkSize" => JsValue::from_f64(config.max_web_socket_chunk_size as f64),
            "forceBinaryWSFrames" => JsValue::from_bool(config.force_binary_ws_frames),
            "appendMissingNULLonIncoming" => {
                JsValue::from_bool(config.append_missing_nul_on_incoming)
            }
            "discardWebsocketOnCommFailure" => {
                JsValue::from_bool(config.discard_websocket_on_comm_failure)
            }
            "logRawCommunication" => JsValue::from_bool(self.js_config.log_raw_communication),
            "maxReconnectAttempts" => config
                .max_reconnect_attempts
                .map_or(JsValue::UNDEFINED, num),
            "resubscribe" => JsValue::from_bool(config.resubscribe),
            "offlineQueue" => self.js_config.offline_queue.clone(),
            "transports" => self
                .sockjs_plan
                .borrow()
                .whitelist()
                .iter()
                .map(|k| JsValue::from_str(k.name()))
                .collect::<js_sys::Array>()
                .into(),
            "debug" => cb.debug.clone(),
            "beforeConnect" => cb.before_connect.clone(),
            "onConnect" => cb.on_connect.clone(),
            "onDisconnect" => cb.on_disconnect.clone(),
            "onStompError" => cb.on_stomp_error.clone(),
            "onWebSocketClose" => cb.on_web_socket_close.clone(),
            "onWebSocketError" => cb.on_web_socket_error.clone(),
            "onUnhandledMessage" => cb.on_unhandled_message.clone(),
            "onUnhandledReceipt" => cb.on_unhandled_receipt.clone(),
            "onUnhandledFrame" => cb.on_unhandled_frame.clone(),
            "onChangeState" => cb.on_change_state.clone(),
            "onHeartbeatReceived" => cb.on_heartbeat_received.clone(),
            "onHeartbeatLost" => cb.on_heartbeat_lost.clone(),
            "onReconnectGaveUp" => cb.on_reconnect_gave_up.clone(),
            _ => JsValue::UNDEFINED,
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
        for key in KEYS {
            if js::has(config, key) {
                self.set_option(key, js::get(config, key))?;
            }
        }
        Ok(())
    }
}

/// A prefix unique to this page load for offline-queue ids: `crypto.randomUUID()` when there is
/// one, else the clock.
fn offline_id_prefix() -> String {
    let crypto = js::get(&js::global(), "crypto");
    let uuid = js::get(&crypto, "randomUUID");
    if let Some(f) = js::as_function(&uuid) {
        if let Some(s) = f.call0(&crypto).ok().and_then(|v| v.as_string()) {
            return s;
        }
    }
    let mut s = String::from("t");
    crate::codec::push_decimal(&mut s, js_sys::Date::now() as u64);
    s
}
