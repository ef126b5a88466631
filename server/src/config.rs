//! Server configuration: listeners, destination prefixes, heart-beats, limits and security.
//!
//! Every field has a default (see [`Config::default`]), so a TOML file only names what it
//! changes. Durations are in milliseconds, sizes in bytes.
//!
//! ```toml
//! tcp = "127.0.0.1:61613"
//! http = "127.0.0.1:8080"
//! https = "127.0.0.1:8443"     # off unless set; needs [tls]
//! metrics = "127.0.0.1:9100"   # off unless set: /metrics and /healthz
//! www = "www"
//!
//! [tls]
//! cert = "/etc/stomp-server/fullchain.pem"
//! key = "/etc/stomp-server/privkey.pem"
//!
//! [destinations]
//! broker_prefixes = ["/topic", "/queue"]
//! queue_prefixes = ["/queue"]
//! app_prefixes = ["/app"]
//!
//! [heartbeat]
//! min_ms = 1000
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
///
/// A listener address may be the string `"off"` to turn that listener off.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Raw STOMP over TCP. Used by the binary; `run` takes already-bound listeners.
    #[serde(deserialize_with = "listen_addr")]
    pub tcp: Option<SocketAddr>,
    /// HTTP listener: WebSocket endpoint, SockJS, static files.
    #[serde(deserialize_with = "listen_addr")]
    pub http: Option<SocketAddr>,
    /// STOMP over TLS over TCP (RabbitMQ's 61614); off by default, needs [`Config::tls`].
    #[serde(deserialize_with = "listen_addr")]
    pub tls_tcp: Option<SocketAddr>,
    /// The HTTP listener's routes over TLS (`https://`, `wss://`); off by default, needs
    /// [`Config::tls`].
    #[serde(deserialize_with = "listen_addr")]
    pub https: Option<SocketAddr>,
    /// Certificate and key of the TLS listeners.
    pub tls: TlsSettings,
    /// Metrics listener: `/metrics` (Prometheus text) and `/healthz`. Off unless set.
    #[serde(deserialize_with = "listen_addr")]
    pub metrics: Option<SocketAddr>,
    /// Directory of static files served at `/` (a missing directory serves nothing).
    pub www: PathBuf,
    pub endpoints: Endpoints,
    pub destinations: Destinations,
    pub heartbeat: Heartbeat,
    pub limits: LimitsConfig,
    pub security: Security,
    pub sockjs: SockJsSettings,
    /// Re-sent SENDs recognised by their client-set id and not delivered twice.
    pub dedup: DedupSettings,
    /// Broker relay (scale-out through RabbitMQ); off by default.
    pub relay: RelayConfig,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            tcp: Some(SocketAddr::from(([127, 0, 0, 1], 61613))),
            http: Some(SocketAddr::from(([127, 0, 0, 1], 8080))),
            tls_tcp: None,
            https: None,
            tls: TlsSettings::default(),
            metrics: None,
            www: PathBuf::from("www"),
            endpoints: Endpoints::default(),
            destinations: Destinations::default(),
            heartbeat: Heartbeat::default(),
            limits: LimitsConfig::default(),
            security: Security::default(),
            sockjs: SockJsSettings::default(),
            dedup: DedupSettings::default(),
            relay: RelayConfig::default(),
        }
    }
}

/// A listener address, or `"off"`.
fn listen_addr<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SocketAddr>, D::Error> {
    let text = String::deserialize(d)?;
    parse_listen_addr(&text).map_err(serde::de::Error::custom)
}

/// Parses `host:port` (an IP address and a port) or `off`; flags use it too.
pub fn parse_listen_addr(text: &str) -> Result<Option<SocketAddr>, String> {
    if text.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|e| format!("{text:?} is not an IP:port listen address or \"off\" ({e})"))
}

/// PEM files of the TLS listeners (`tls_tcp`, `https`), reloaded when they change.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsSettings {
    /// Certificate chain, leaf first (e.g. Let's Encrypt's `fullchain.pem`).
    pub cert: Option<PathBuf>,
    /// Private key of the leaf certificate (PKCS#8, PKCS#1 or SEC1 PEM).
    pub key: Option<PathBuf>,
    /// How often the files are checked for changes (modification time and size); a changed
    /// pair is loaded for new connections, open ones keep theirs. 0 = only on SIGHUP.
    pub reload_ms: u64,
}

impl Default for TlsSettings {
    fn default() -> TlsSettings {
        TlsSettings {
            cert: None,
            key: None,
            reload_ms: 10_000,
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

/// Heart-beats: the server follows each client's rates, as RabbitMQ does, so that a client
/// asking for 1,000 ms heart-beats gets them and its silence is noticed within seconds.
///
/// CONNECTED's `heart-beat:sx,sy` answers CONNECT's `cx,cy` with the client's own intervals
/// (`sx = cy`, `sy = cx`) raised to `min_ms`, so the negotiation (`max(cx, sy)`, `max(sx, cy)`)
/// yields the client's rates down to that floor. A client that asks for none in a direction
/// is told `send_ms` / `receive_ms` (that direction stays off: the client said 0).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Heartbeat {
    /// 0: the server never sends heart-beats. Otherwise what CONNECTED offers a client that
    /// wants none.
    pub send_ms: u64,
    /// 0: the server never asks for heart-beats (never drops a silent client). Otherwise what
    /// CONNECTED asks of a client that offers none.
    pub receive_ms: u64,
    /// The shortest interval honoured in either direction: a client asking for faster
    /// heart-beats gets this (RabbitMQ's floor is 1,000 ms).
    pub min_ms: u64,
    /// A peer silent for this many receive intervals is dropped.
    pub tolerance: u32,
}

impl Default for Heartbeat {
    fn default() -> Heartbeat {
        Heartbeat {
            send_ms: 10_000,
            receive_ms: 10_000,
            min_ms: 1_000,
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
    /// STOMP connections (CONNECT accepted, any transport) at once. A connection takes its place
    /// when its CONNECT frame arrives; before that it holds a pending place (below).
    pub max_connections: usize,
    /// STOMP connections from one client address (an IPv6 client counts as its /64); 0 = no
    /// per-address bound. Behind a reverse proxy every client has the proxy's address.
    pub max_connections_per_address: usize,
    /// TCP and WebSocket connections (`/ws`, SockJS `websocket`) that have not sent CONNECT yet,
    /// at once: they cannot take the places of connected clients, and a flood of them is refused
    /// here instead of holding file descriptors.
    pub max_pending_connections: usize,
    /// Such not-yet-CONNECTed connections from one client address; 0 = no per-address bound.
    pub max_pending_per_address: usize,
    /// Reverse proxies in front of the HTTP listener whose `X-Forwarded-For` names the client
    /// (for the per-address limits of `/ws` and SockJS). Empty (the default): the header is
    /// ignored, since any client can write it.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub max_transactions: usize,
    /// SENDs and ACKs buffered in one transaction.
    pub max_transaction_frames: usize,
    /// Bytes queued towards one peer.
    pub outbound_buffer: usize,
    pub slow_consumer: SlowConsumerPolicy,
    /// Time a new TCP or WebSocket connection has to send CONNECT (SockJS sessions:
    /// `sockjs.connect_timeout_ms`).
    pub connect_timeout_ms: u64,
    /// Time a write to a peer may take before the session is dropped.
    pub send_timeout_ms: u64,
    /// How long a publisher is paused while a subscriber it feeds has more than half of
    /// `outbound_buffer` waiting (publisher flow control); after that the subscriber's
    /// slow-consumer policy decides.
    pub publish_throttle_ms: u64,
    /// HTTP listeners: time a connection has to send a complete request head, counted from
    /// when the server starts waiting for it (connection open, or the previous response sent:
    /// so it is also the keep-alive idle time).
    pub http_header_timeout_ms: u64,
    /// HTTP listeners: a connection on which no byte moves either way for this long, while a
    /// request is in flight, is closed (a stalled request body, a client not reading its
    /// response). Must exceed `sockjs.heartbeat_ms`; WebSocket connections are not affected.
    pub http_idle_timeout_ms: u64,
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
            max_connections_per_address: 1_000,
            max_pending_connections: 1_000,
            max_pending_per_address: 100,
            trusted_proxies: Vec::new(),
            max_transactions: 16,
            max_transaction_frames: 1_000,
            outbound_buffer: 512 * 1024,
            slow_consumer: SlowConsumerPolicy::Close,
            connect_timeout_ms: 60_000,
            send_timeout_ms: 10_000,
            publish_throttle_ms: 1_000,
            http_header_timeout_ms: 30_000,
            http_idle_timeout_ms: 120_000,
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
    /// SockJS sessions of the HTTP transports (`xhr`, `xhr_streaming`, `eventsource`,
    /// `htmlfile`, `jsonp`) at once; a request creating one more is answered 503.
    pub max_sessions: usize,
    /// Such sessions created from one client address and not yet expired; one more is answered
    /// 429. 0 = no per-address bound.
    pub max_sessions_per_address: usize,
    /// Time a SockJS session (any transport) has to send its STOMP CONNECT before it is closed.
    /// Short, because creating a session costs a client one request and nothing it must keep.
    pub connect_timeout_ms: u64,
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
            max_sessions: 10_000,
            max_sessions_per_address: 100,
            connect_timeout_ms: 5_000,
        }
    }
}

/// Names the first of `fields` (name, is zero) that is zero.
fn positive(section: &str, fields: &[(&str, bool)]) -> Result<(), ConfigError> {
    match fields.iter().find(|(_, is_zero)| *is_zero) {
        Some((name, _)) => Err(ConfigError::Invalid(format!(
            "{section}.{name} must be positive"
        ))),
        None => Ok(()),
    }
}

impl SockJsSettings {
    /// Rejects values that would break the SockJS transports.
    fn validate(&self) -> Result<(), ConfigError> {
        positive(
            "sockjs",
            &[
                ("heartbeat_ms", self.heartbeat_ms == 0),
                ("disconnect_delay_ms", self.disconnect_delay_ms == 0),
                ("response_limit", self.response_limit == 0),
                ("outgoing_queue", self.outgoing_queue == 0),
                ("max_sessions", self.max_sessions == 0),
                ("connect_timeout_ms", self.connect_timeout_ms == 0),
            ],
        )
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
    /// Broker connections over TLS (RabbitMQ's STOMP over TLS listener, usually 61614).
    pub tls: bool,
    /// PEM file of the CA certificates trusted for the broker's certificate; unset: the
    /// system's root certificates.
    pub tls_ca: Option<PathBuf>,
    /// The name the broker's certificate must be valid for; unset: the host of `broker`.
    pub tls_server_name: Option<String>,
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
            tls: false,
            tls_ca: None,
            tls_server_name: None,
        }
    }
}

impl RelayConfig {
    /// Rejects settings the relay cannot work with.
    fn validate(&self, destinations: &Destinations) -> Result<(), ConfigError> {
        if !self.tls && (self.tls_ca.is_some() || self.tls_server_name.is_some()) {
            // Most likely a forgotten `tls = true`: connecting in the clear instead would be a
            // surprise.
            return Err(ConfigError::Invalid(
                "relay.tls_ca and relay.tls_server_name need relay.tls = true".into(),
            ));
        }
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
    /// (`"*"` allows any). Empty: SockJS serves any origin (its own policy); set: every SockJS
    /// endpoint follows the policy of `/ws` too.
    pub allowed_origins: Vec<String>,
    /// Protocol versions offered.
    pub versions: Vec<String>,
    /// Failed CONNECTs one remote address may make within `failed_connect_window_ms`; after
    /// that its CONNECTs are refused until the window ends (0: no limit).
    pub max_failed_connects: u32,
    /// The window of `max_failed_connects`, from an address's first failure in it.
    pub failed_connect_window_ms: u64,
}

impl Default for Security {
    fn default() -> Security {
        Security {
            allow_anonymous: true,
            users_file: None,
            allowed_origins: Vec::new(),
            versions: vec!["1.0".into(), "1.1".into(), "1.2".into()],
            max_failed_connects: 10,
            failed_connect_window_ms: 60_000,
        }
    }
}

/// Re-sent SENDs: a SEND carrying the id stomp-wasm's offline queue stamps on it
/// (`x-stomp-wasm-id`) is delivered once per client, however often a reconnecting client re-sends
/// it (see `server/src/dedup.rs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DedupSettings {
    /// How long an id is remembered after its SEND.
    pub window_ms: u64,
    /// Ids remembered for all clients together; 0 turns deduplication off.
    pub max_ids: usize,
    /// Ids remembered per client (its login, else its address); its oldest go first.
    pub max_ids_per_client: usize,
}

impl Default for DedupSettings {
    fn default() -> DedupSettings {
        DedupSettings {
            window_ms: 600_000,
            max_ids: 200_000,
            max_ids_per_client: 10_000,
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
        positive("heartbeat", &[("min_ms", self.heartbeat.min_ms == 0)])?;
        let l = &self.limits;
        positive(
            "limits",
            &[
                ("outbound_buffer", l.outbound_buffer == 0),
                ("max_frame_size", l.max_frame_size == 0),
                ("max_connections", l.max_connections == 0),
                ("max_pending_connections", l.max_pending_connections == 0),
                ("http_header_timeout_ms", l.http_header_timeout_ms == 0),
            ],
        )?;
        if l.http_idle_timeout_ms <= self.sockjs.heartbeat_ms {
            return Err(ConfigError::Invalid(format!(
                "limits.http_idle_timeout_ms ({}) must exceed sockjs.heartbeat_ms ({}): SockJS \
                 polls wait that long for their next frame",
                l.http_idle_timeout_ms, self.sockjs.heartbeat_ms
            )));
        }
        let s = &self.security;
        if s.max_failed_connects > 0 {
            positive(
                "security",
                &[("failed_connect_window_ms", s.failed_connect_window_ms == 0)],
            )?;
        }
        if self.dedup.max_ids > 0 {
            positive(
                "dedup",
                &[
                    ("window_ms", self.dedup.window_ms == 0),
                    ("max_ids_per_client", self.dedup.max_ids_per_client == 0),
                ],
            )?;
        }
        self.sockjs.validate()?;
        self.relay.validate(&self.destinations)?;
        self.validate_tls()
    }

    /// A TLS listener needs both PEM files. (Files without a configured TLS listener are fine:
    /// a program embedding the server may bind the TLS listeners itself.)
    fn validate_tls(&self) -> Result<(), ConfigError> {
        let listener = self.tls_tcp.is_some() || self.https.is_some();
        match (&self.tls.cert, &self.tls.key) {
            (Some(_), Some(_)) => Ok(()),
            (None, None) if !listener => Ok(()),
            _ if listener => Err(ConfigError::Invalid(
                "the TLS listeners (tls_tcp, https) need both tls.cert and tls.key".into(),
            )),
            _ => Err(ConfigError::Invalid(
                "tls.cert and tls.key go together (and with tls_tcp and/or https)".into(),
            )),
        }
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
