//! Server configuration: listeners, destination prefixes, heart-beats, limits and security.
//!
//! Every field has a default (see [`Config::default`]), so a TOML file only names what it
//! changes. Durations are in milliseconds, sizes in bytes.
//!
//! ```toml
//! tcp = "127.0.0.1:61613"
//! http = "127.0.0.1:8080"
//! metrics = "127.0.0.1:9100"
//! www = "www"
//!
//! [destinations]
//! broker_prefixes = ["/topic", "/queue"]
//! queue_prefixes = ["/queue"]
//! app_prefixes = ["/app"]
//!
//! [limits]
//! outbound_buffer = 524288
//!
//! [sockjs]
//! heartbeat_ms = 25000
//! response_limit = 131072
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use stomp_wasm::{Limits, Version};

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration in {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// The whole server configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Raw STOMP over TCP. Used by the binary; `run` takes already-bound listeners.
    pub tcp: Option<SocketAddr>,
    /// HTTP listener: WebSocket endpoint, SockJS, static files.
    pub http: Option<SocketAddr>,
    /// Metrics listener: `/metrics` (Prometheus text) and `/healthz`. Off unless set.
    pub metrics: Option<SocketAddr>,
    /// Directory of static files served at `/` (a missing directory serves nothing).
    pub www: PathBuf,
    pub endpoints: Endpoints,
    pub destinations: Destinations,
    pub heartbeat: Heartbeat,
    pub limits: LimitsConfig,
    pub security: Security,
    pub sockjs: SockJsSettings,
    /// Broker relay (scale-out through RabbitMQ); off by default.
    pub relay: RelayConfig,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            tcp: Some(SocketAddr::from(([127, 0, 0, 1], 61613))),
            http: Some(SocketAddr::from(([127, 0, 0, 1], 8080))),
            metrics: None,
            www: PathBuf::from("www"),
            endpoints: Endpoints::default(),
            destinations: Destinations::default(),
            heartbeat: Heartbeat::default(),
            limits: LimitsConfig::default(),
            security: Security::default(),
            sockjs: SockJsSettings::default(),
            relay: RelayConfig::default(),
        }
    }
}

/// HTTP paths of the STOMP endpoints.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Endpoints {
    /// Plain WebSocket endpoint.
    pub websocket: String,
    /// SockJS base path (served by the SockJS module).
    pub sockjs: String,
}

impl Default for Endpoints {
    fn default() -> Endpoints {
        Endpoints {
            websocket: "/ws".into(),
            sockjs: "/stomp".into(),
        }
    }
}

/// Destination prefixes, as Spring's `enableSimpleBroker` / `setApplicationDestinationPrefixes` /
/// `setUserDestinationPrefix`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Destinations {
    /// Prefixes handled by the built-in broker.
    pub broker_prefixes: Vec<String>,
    /// The broker prefixes with point-to-point (queue) semantics; the others are pub-sub.
    pub queue_prefixes: Vec<String>,
    /// Prefixes routed to application handlers.
    pub app_prefixes: Vec<String>,
    /// User destinations prefix.
    pub user_prefix: String,
    /// Messages kept per queue while nobody is subscribed (oldest dropped beyond).
    pub queue_backlog: usize,
    /// Unacknowledged queue messages per subscription (client ack modes) before the queue stops
    /// delivering to it.
    pub max_unacked: usize,
    /// Queues that may exist at once: a SEND creating one more is refused with an ERROR (each
    /// queue may hold `queue_backlog` messages, and peers choose queue names).
    pub max_queues: usize,
}

impl Default for Destinations {
    fn default() -> Destinations {
        Destinations {
            broker_prefixes: vec!["/topic".into(), "/queue".into()],
            queue_prefixes: vec!["/queue".into()],
            app_prefixes: vec!["/app".into()],
            user_prefix: "/user".into(),
            queue_backlog: 10_000,
            max_unacked: 1_000,
            max_queues: 10_000,
        }
    }
}

/// Heart-beats the server offers in CONNECTED, and how late a peer may be.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Heartbeat {
    /// Smallest interval at which the server can send heart-beats (0 = never).
    pub send_ms: u64,
    /// Interval at which the server wants to receive heart-beats (0 = not wanted).
    pub receive_ms: u64,
    /// A peer silent for this many receive intervals is dropped.
    pub tolerance: u32,
}

impl Default for Heartbeat {
    fn default() -> Heartbeat {
        Heartbeat {
            send_ms: 10_000,
            receive_ms: 10_000,
            tolerance: 3,
        }
    }
}

/// What happens when a session's outbound buffer is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SlowConsumerPolicy {
    /// Send an ERROR and close the session (Spring closes too).
    #[default]
    Close,
    /// Drop the message for that session and keep going.
    Drop,
}

/// Sizes and counts.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    pub max_frame_size: usize,
    pub max_body: usize,
    pub max_headers: usize,
    pub max_header_line: usize,
    pub max_subscriptions: usize,
    pub max_connections: usize,
    pub max_transactions: usize,
    /// SENDs and ACKs buffered in one transaction.
    pub max_transaction_frames: usize,
    /// Bytes queued towards one peer.
    pub outbound_buffer: usize,
    pub slow_consumer: SlowConsumerPolicy,
    /// Time a new connection has to send CONNECT.
    pub connect_timeout_ms: u64,
    /// Time a write to a peer may take before the session is dropped.
    pub send_timeout_ms: u64,
    /// How long a publisher is paused while a subscriber it feeds has more than half of
    /// `outbound_buffer` waiting (publisher flow control); after that the subscriber's
    /// slow-consumer policy decides.
    pub publish_throttle_ms: u64,
}

impl Default for LimitsConfig {
    fn default() -> LimitsConfig {
        let codec = Limits::default();
        LimitsConfig {
            max_frame_size: codec.max_frame_size,
            max_body: codec.max_body,
            max_headers: codec.max_headers,
            max_header_line: codec.max_header_line,
            max_subscriptions: 1_000,
            max_connections: 10_000,
            max_transactions: 16,
            max_transaction_frames: 1_000,
            outbound_buffer: 512 * 1024,
            slow_consumer: SlowConsumerPolicy::Close,
            connect_timeout_ms: 60_000,
            send_timeout_ms: 10_000,
            publish_throttle_ms: 1_000,
        }
    }
}

impl LimitsConfig {
    /// The codec limits for frames from peers.
    pub fn codec(&self) -> Limits {
        Limits {
            max_frame_size: self.max_frame_size,
            max_headers: self.max_headers,
            max_header_line: self.max_header_line,
            max_body: self.max_body,
        }
    }
}

/// SockJS session settings of the STOMP endpoint at `endpoints.sockjs`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SockJsSettings {
    /// Interval of the SockJS `h` frame sent on an idle session.
    pub heartbeat_ms: u64,
    /// How long an HTTP-transport session waits for the client's next receiving request.
    pub disconnect_delay_ms: u64,
    /// Bytes of frames after which a streaming response (`xhr_streaming`, `eventsource`,
    /// `htmlfile`) ends so the client opens a new one.
    pub response_limit: usize,
    /// STOMP frames queued towards one SockJS client before the session waits for a poll
    /// (the session's outbox is bounded in bytes by `limits.outbound_buffer` as well).
    pub outgoing_queue: usize,
    /// Whether the SockJS WebSocket transports are served. Off: `/info` says
    /// `"websocket":false` and the WebSocket URLs answer 404, as behind a proxy that cannot
    /// carry WebSocket (clients use the HTTP transports).
    pub websocket: bool,
    /// `/info` says `"cookie_needed":true`, so clients send credentials, and session requests
    /// get a `JSESSIONID` cookie: for load balancers that keep a SockJS session on one node by
    /// cookie (docs/SCALING.md).
    pub cookie_needed: bool,
}

impl Default for SockJsSettings {
    fn default() -> SockJsSettings {
        SockJsSettings {
            heartbeat_ms: 25_000,
            disconnect_delay_ms: 5_000,
            response_limit: 128 * 1024,
            outgoing_queue: 64,
            websocket: true,
            cookie_needed: false,
        }
    }
}

impl SockJsSettings {
    /// Rejects values that would break the SockJS transports.
    fn validate(&self) -> Result<(), ConfigError> {
        let zero = [
            ("heartbeat_ms", self.heartbeat_ms == 0),
            ("disconnect_delay_ms", self.disconnect_delay_ms == 0),
            ("response_limit", self.response_limit == 0),
            ("outgoing_queue", self.outgoing_queue == 0),
        ];
        if let Some((name, _)) = zero.iter().find(|(_, is_zero)| *is_zero) {
            return Err(ConfigError::Invalid(format!(
                "sockjs.{name} must be positive"
            )));
        }
        Ok(())
    }
}

/// Broker relay: broker destinations are forwarded over STOMP/TCP to an external broker
/// (RabbitMQ's `rabbitmq_stomp`) instead of the built-in one, so several stomp-server nodes
/// share them. See `docs/SCALING.md`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelayConfig {
    /// Relay instead of the built-in broker.
    pub enabled: bool,
    /// The external broker's STOMP listener, `host:port`.
    pub broker: String,
    /// Credentials stomp-server uses on its broker connections (clients' own logins are checked
    /// by stomp-server, as without the relay).
    pub login: String,
    pub passcode: String,
    /// CONNECT `host` header: RabbitMQ's virtual host.
    pub virtual_host: String,
    /// Heart-beats asked of the broker connections (0 = none).
    pub heartbeat_send_ms: u64,
    pub heartbeat_receive_ms: u64,
    /// Time to open a broker connection (TCP + CONNECTED).
    pub connect_timeout_ms: u64,
    /// System connection reconnect backoff: first delay, doubled up to the maximum.
    pub reconnect_initial_ms: u64,
    pub reconnect_max_ms: u64,
    /// Frames waiting for a broker connection: server-side publishes while the system
    /// connection is (re)connecting, and a session's frames on their way to its connection.
    pub pending_frames: usize,
}

impl Default for RelayConfig {
    fn default() -> RelayConfig {
        RelayConfig {
            enabled: false,
            broker: "127.0.0.1:61613".into(),
            login: "guest".into(),
            passcode: "guest".into(),
            virtual_host: "/".into(),
            heartbeat_send_ms: 10_000,
            heartbeat_receive_ms: 10_000,
            connect_timeout_ms: 5_000,
            reconnect_initial_ms: 500,
            reconnect_max_ms: 30_000,
            pending_frames: 1_024,
        }
    }
}

impl RelayConfig {
    /// Rejects settings the relay cannot work with.
    fn validate(&self, destinations: &Destinations) -> Result<(), ConfigError> {
        if !self.enabled {
            return Ok(());
        }
        if self.pending_frames == 0 || self.connect_timeout_ms == 0 {
            return Err(ConfigError::Invalid(
                "relay.pending_frames and relay.connect_timeout_ms must be positive".into(),
            ));
        }
        if self.reconnect_initial_ms == 0 || self.reconnect_max_ms < self.reconnect_initial_ms {
            return Err(ConfigError::Invalid(
                "relay.reconnect_initial_ms must be positive and at most relay.reconnect_max_ms"
                    .into(),
            ));
        }
        // The broker decides the semantics of a destination by its prefix: ours must be the ones
        // it knows, with the same meaning.
        for p in &destinations.broker_prefixes {
            let queue = destinations.queue_prefixes.contains(p);
            let ok = match p.trim_end_matches('/') {
                "/topic" => !queue,
                "/queue" | "/amq/queue" => queue,
                "/exchange" => !queue,
                _ => false,
            };
            if !ok {
                return Err(ConfigError::Invalid(format!(
                    "relay: broker prefix {p:?} is not one the external broker knows with the same \
                     semantics (use /topic, /exchange as pub-sub; /queue, /amq/queue as queues)"
                )));
            }
        }
        Ok(())
    }
}

/// Authentication and WebSocket origins.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Security {
    /// CONNECT without `login` is accepted.
    pub allow_anonymous: bool,
    /// `name:password` lines; when set, logins are checked against it.
    pub users_file: Option<PathBuf>,
    /// Origins allowed on WebSocket upgrades besides the same origin and localhost
    /// (`"*"` allows any).
    pub allowed_origins: Vec<String>,
    /// Protocol versions offered.
    pub versions: Vec<String>,
}

impl Default for Security {
    fn default() -> Security {
        Security {
            allow_anonymous: true,
            users_file: None,
            allowed_origins: Vec::new(),
            versions: vec!["1.0".into(), "1.1".into(), "1.2".into()],
        }
    }
}

impl Config {
    /// Reads a TOML file over the defaults.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let config: Config = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let d = &self.destinations;
        for p in d.broker_prefixes.iter().chain(&d.app_prefixes) {
            if !p.starts_with('/') {
                return Err(ConfigError::Invalid(format!(
                    "prefix {p:?} must start with '/'"
                )));
            }
        }
        if let Some(q) = d
            .queue_prefixes
            .iter()
            .find(|q| !d.broker_prefixes.contains(q))
        {
            return Err(ConfigError::Invalid(format!(
                "queue prefix {q:?} is not a broker prefix"
            )));
        }
        if d.max_queues == 0 {
            return Err(ConfigError::Invalid(
                "destinations.max_queues must be at least 1".into(),
            ));
        }
        if self.versions().is_empty() {
            return Err(ConfigError::Invalid("no supported STOMP version".into()));
        }
        if self.limits.outbound_buffer == 0 || self.limits.max_frame_size == 0 {
            return Err(ConfigError::Invalid("limits must be positive".into()));
        }
        self.sockjs.validate()?;
        self.relay.validate(&self.destinations)?;
        Ok(())
    }

    /// The configured protocol versions that exist.
    pub fn versions(&self) -> Vec<Version> {
        self.security
            .versions
            .iter()
            .filter_map(|v| Version::parse(v))
            .collect()
    }
}
