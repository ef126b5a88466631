//! [`SessionConfig`]: every setting of the @stomp/stompjs `Client` that the protocol core needs,
//! with the stompjs defaults, plus the few settings stomp-wasm adds (reconnect attempts, the
//! offline queue, bounds).
//!
//! The config is plain data. The shell may change it at any time through
//! [`Session::config_mut`](super::Session::config_mut); like stompjs, most changes take effect at
//! the next connection attempt (which is why a `beforeConnect` callback can refresh a token by
//! editing `connect_headers`).

use crate::codec::Limits;
#[cfg(feature = "std")]
use crate::frame::Version;

use super::HeaderList;
use crate::prelude::*;

/// How the delay between reconnection attempts grows (stompjs `ReconnectionTimeMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReconnectTimeMode {
    /// Every attempt waits `reconnect_delay`.
    #[default]
    Linear,
    /// The wait doubles with every reconnection (`reconnect_delay × 2ⁿ`), capped by
    /// `max_reconnect_delay` (never below `reconnect_delay`), also across connections that
    /// succeeded in between, as in stompjs; `activate()` starts it over.
    Exponential,
}

/// The opt-in offline queue (stomp-wasm's addition to stompjs): publishes made while there is no
/// STOMP connection are kept and sent after the next CONNECTED, each carrying a `receipt`; an
/// entry leaves the queue only when its RECEIPT arrives, so a connection that drops first makes
/// it be sent again on the next one. Delivery is therefore *at least once*; every queued frame
/// carries a stable [`OFFLINE_ID_HEADER`](super::OFFLINE_ID_HEADER) so a server (or the
/// receiving application) can drop the duplicates. A frame is never sent twice on one connection.
#[derive(Debug, Clone, PartialEq)]
pub struct OfflineQueueConfig {
    /// Most frames held at once; a publish beyond it fails with
    /// [`ClientError::OfflineQueueFull`](super::ClientError::OfflineQueueFull).
    pub max_frames: usize,
    /// Most body + header bytes held at once.
    pub max_bytes: usize,
    /// Prefix of the ids stamped on queued frames (`<prefix>-<n>`). The shell should make it
    /// unique per page load (e.g. `crypto.randomUUID()`) so ids never repeat across sessions.
    pub id_prefix: String,
    /// Route publishes made while connected through the queue too: each gets a receipt and is
    /// re-sent after a reconnect if its RECEIPT had not arrived, so a frame in flight when the
    /// connection drops is not lost either. Off by default (a RECEIPT per publish costs
    /// traffic); when off, only publishes made while disconnected are queued.
    pub while_connected: bool,
}

impl Default for OfflineQueueConfig {
    fn default() -> OfflineQueueConfig {
        OfflineQueueConfig {
            max_frames: 1000,
            max_bytes: 1024 * 1024,
            id_prefix: String::new(),
            while_connected: false,
        }
    }
}

/// [`SessionConfig::max_pending_send_bytes`] by default.
pub const MAX_PENDING_SEND_BYTES: usize = 8 * 1024 * 1024;
/// [`SessionConfig::max_receipt_watchers`] by default.
pub const MAX_RECEIPT_WATCHERS: usize = 4096;

/// `stompVersions`' type. The browser build's come from a fixed table (its `configure` picks
/// one of the eight sets), and all its session does with them is write `accept-version` (its
/// JavaScript names the subprotocols): there a set is that header's value as written
/// (`"1.2,1.1,1.0"`), a static string, not a list to join at every CONNECT.
#[cfg(feature = "std")]
pub type Versions = Vec<Version>;
#[cfg(not(feature = "std"))]
pub type Versions = &'static str;

/// `accept-version`'s value for each set of versions as a bit set (1 = 1.0, 2 = 1.1, 4 = 1.2),
/// newest first: the browser build's [`Versions`] (its `configure` takes the bits). A test
/// holds each to the versions' own names joined (`tests/connect.rs`).
pub const ACCEPT_VERSIONS: [&str; 8] = [
    "",
    "1.0",
    "1.1",
    "1.1,1.0",
    "1.2",
    "1.2,1.0",
    "1.2,1.1",
    "1.2,1.1,1.0",
];

/// stompjs's `stompVersions` default: 1.2, 1.1, 1.0.
#[cfg(feature = "std")]
const DEFAULT_VERSIONS: &[Version] = &[Version::V1_2, Version::V1_1, Version::V1_0];
#[cfg(not(feature = "std"))]
const DEFAULT_VERSIONS: Versions = ACCEPT_VERSIONS[7];

/// Everything the session needs to know. Field names follow the stompjs `Client` properties.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig {
    /// `brokerURL`: passed back in [`Action::OpenTransport`](super::Action::OpenTransport). May be
    /// empty when the shell builds its transport another way (`webSocketFactory`). Not in the
    /// browser build: its JavaScript opens the socket with its own `brokerURL`.
    #[cfg(feature = "std")]
    pub broker_url: String,
    /// `connectHeaders`: added to CONNECT (`login`, `passcode`, `host`, anything else).
    pub connect_headers: HeaderList,
    /// `disconnectHeaders`: added to DISCONNECT.
    pub disconnect_headers: HeaderList,
    /// `stompVersions`, in order of preference: becomes `accept-version` and the WebSocket
    /// subprotocol list. Default 1.2, 1.1, 1.0.
    pub stomp_versions: Versions,
    /// A `host` header for CONNECT when `connect_headers` has none. `None` by default, like
    /// stompjs: RabbitMQ reads `host` as a virtual host name and refuses unknown ones, so a host
    /// taken from the URL would break it. Not in the browser build (its JavaScript has no such
    /// option; a `host` goes in `connectHeaders`, as in stompjs).
    #[cfg(feature = "std")]
    pub host: Option<String>,
    /// `connectionTimeout` (ms): close and retry when CONNECTED has not arrived this long after
    /// the transport was requested. 0 = wait for ever (the stompjs default).
    pub connection_timeout: u32,
    /// `reconnectDelay` (ms): wait before reconnecting; 0 disables reconnection. Default 5000.
    pub reconnect_delay: u32,
    /// `maxReconnectDelay` (ms): cap of the exponential backoff; 0 = no cap. Default 15 minutes.
    pub max_reconnect_delay: u32,
    /// `reconnectTimeMode`. Default linear.
    pub reconnect_time_mode: ReconnectTimeMode,
    /// Consecutive reconnection attempts before giving up (the session then goes INACTIVE and
    /// reports [`Event::ReconnectGaveUp`](super::Event::ReconnectGaveUp)). `None` (or `Some(0)`) =
    /// unlimited, as in stompjs. Reset by every successful CONNECTED.
    pub max_reconnect_attempts: Option<u32>,
    /// `heartbeatIncoming` (ms) the client asks for; 0 = none. Default 10000.
    pub heartbeat_incoming: u32,
    /// `heartbeatOutgoing` (ms) the client offers; 0 = none. Default 10000.
    pub heartbeat_outgoing: u32,
    /// `heartbeatToleranceMultiplier`: the peer is declared lost after
    /// `incoming interval × multiplier` of silence. Default 2, as in stompjs.
    pub heartbeat_tolerance_multiplier: f64,
    /// `splitLargeFrames`: cut text frames into `max_web_socket_chunk_size` pieces (Spring's
    /// SockJS/WebSocket handler reassembles them). Binary frames are never split.
    pub split_large_frames: bool,
    /// `maxWebSocketChunkSize` (bytes). Default 8 KiB.
    pub max_web_socket_chunk_size: usize,
    /// `forceBinaryWSFrames`: every [`Action::Send`](super::Action::Send) is marked binary.
    pub force_binary_ws_frames: bool,
    /// `appendMissingNULLonIncoming`: append a NUL to every incoming transport message (works
    /// around transports that cut strings at NUL).
    pub append_missing_nul_on_incoming: bool,
    /// `discardWebsocketOnCommFailure`: on a lost heart-beat or a connection timeout, forget the
    /// transport at once instead of waiting for its close to complete.
    pub discard_websocket_on_comm_failure: bool,
    /// The shell has a `beforeConnect` callback: every connection attempt first yields
    /// [`Action::RunBeforeConnect`](super::Action::RunBeforeConnect) and waits for
    /// [`Session::before_connect_done`](super::Session::before_connect_done).
    pub run_before_connect: bool,
    /// Re-send every live SUBSCRIBE (same id, same headers) after a reconnect, and accept
    /// `subscribe` while disconnected (sent at the next CONNECTED). stompjs does neither: code
    /// written for it subscribes again in `onConnect`, which with this on subscribes twice.
    pub resubscribe: bool,
    /// The opt-in offline queue; `None` (default) = publishing while disconnected is an error,
    /// as in stompjs.
    pub offline_queue: Option<OfflineQueueConfig>,
    /// How long a graceful deactivate waits for the RECEIPT of its DISCONNECT before closing
    /// anyway (ms). stompjs waits for ever; 0 here means the same.
    pub disconnect_timeout: u32,
    /// Most bytes of [`Action::Send`](super::Action::Send) waiting to be polled; a publish
    /// beyond it fails with [`ClientError::SendBufferFull`](super::ClientError::SendBufferFull).
    ///
    /// The bounds here and below are the native API's only: the browser build has no field for
    /// them (its JavaScript never set one) and uses the defaults as constants, so the core
    /// neither stores nor loads them.
    #[cfg(feature = "std")]
    pub max_pending_send_bytes: usize,
    /// Most receipt ids watched at once.
    #[cfg(feature = "std")]
    pub max_receipt_watchers: usize,
    /// Limits of the incoming frame decoder.
    #[cfg(feature = "std")]
    pub limits: Limits,
    /// Produce [`Event::Debug`](super::Event::Debug) lines (stompjs `debug`). Off by default:
    /// building them costs time.
    pub debug: bool,
}

/// The bounds the browser build has no field for (see `max_pending_send_bytes`): the native
/// API's settings, or the defaults as constants.
impl SessionConfig {
    pub(crate) fn send_bytes_limit(&self) -> usize {
        #[cfg(feature = "std")]
        return self.max_pending_send_bytes;
        #[cfg(not(feature = "std"))]
        MAX_PENDING_SEND_BYTES
    }

    pub(crate) fn receipt_watchers_limit(&self) -> usize {
        #[cfg(feature = "std")]
        return self.max_receipt_watchers;
        #[cfg(not(feature = "std"))]
        MAX_RECEIPT_WATCHERS
    }

    pub(crate) fn decoder_limits(&self) -> Limits {
        #[cfg(feature = "std")]
        return self.limits;
        #[cfg(not(feature = "std"))]
        Limits::default()
    }
}

impl Default for SessionConfig {
    fn default() -> SessionConfig {
        SessionConfig {
            #[cfg(feature = "std")]
            broker_url: String::new(),
            connect_headers: HeaderList::new(),
            disconnect_headers: HeaderList::new(),
            #[cfg(feature = "std")]
            stomp_versions: DEFAULT_VERSIONS.to_vec(),
            #[cfg(not(feature = "std"))]
            stomp_versions: DEFAULT_VERSIONS,
            #[cfg(feature = "std")]
            host: None,
            connection_timeout: 0,
            reconnect_delay: 5000,
            max_reconnect_delay: 15 * 60 * 1000,
            reconnect_time_mode: ReconnectTimeMode::Linear,
            max_reconnect_attempts: None,
            heartbeat_incoming: 10_000,
            heartbeat_outgoing: 10_000,
            heartbeat_tolerance_multiplier: 2.0,
            split_large_frames: false,
            max_web_socket_chunk_size: 8 * 1024,
            force_binary_ws_frames: false,
            append_missing_nul_on_incoming: false,
            discard_websocket_on_comm_failure: false,
            run_before_connect: false,
            resubscribe: true,
            offline_queue: None,
            disconnect_timeout: 10_000,
            #[cfg(feature = "std")]
            max_pending_send_bytes: MAX_PENDING_SEND_BYTES,
            #[cfg(feature = "std")]
            max_receipt_watchers: MAX_RECEIPT_WATCHERS,
            #[cfg(feature = "std")]
            limits: Limits::default(),
            debug: false,
        }
    }
}
