//! [`SockJsConfig`]: the settings of one SockJS service.

use std::time::Duration;

/// The default `sockjs_url` written into `iframe.html` (the iframe-based transports load the
/// client from there; the Wasm client never uses them).
pub const DEFAULT_SOCKJS_URL: &str =
    "https://cdn.jsdelivr.net/npm/sockjs-client@1/dist/sockjs.min.js";

/// Settings of one SockJS service.
#[derive(Debug, Clone)]
pub struct SockJsConfig {
    /// Interval of `h` frames while a receiving connection is idle.
    pub heartbeat_interval: Duration,
    /// How long a session outlives its last receiving request (messages buffer meanwhile).
    pub disconnect_delay: Duration,
    /// Bytes after which a streaming response is ended so the client re-opens it.
    pub response_limit: usize,
    /// Whether the `websocket` transport (and raw `/websocket`) is offered.
    pub websocket: bool,
    /// Whether a `JSESSIONID` cookie is set on session requests (for sticky load balancers).
    pub cookie_needed: bool,
    /// The client script URL written into `iframe.html`.
    pub sockjs_url: String,
    /// Upper bound on concurrent HTTP-transport sessions of this service (beyond: 503).
    pub max_sessions: usize,
    /// Upper bound on them per client address (beyond: 429); 0 = none. The address comes from
    /// the request's [`ConnectInfo<SocketAddr>`](axum::extract::ConnectInfo); requests without
    /// one count in the total only.
    pub max_sessions_per_address: usize,
    /// Proxies whose `X-Forwarded-For` names the client (see `limits.trusted_proxies`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Upper bound on one request body (`xhr_send`, `jsonp_send`) and on one WebSocket message.
    pub max_payload_bytes: usize,
    /// Messages the application may have queued towards a client before `send` waits.
    pub outgoing_queue: usize,
    /// Messages from a client not yet taken by the application before senders wait.
    pub incoming_queue: usize,
    /// Browser origins served. `None`: any (SockJS's own policy, which its protocol suite
    /// expects); `Some`: the page's own origin, localhost and these (`"*"` for any), as on
    /// `/ws`, on every endpoint and transport; other origins get 403.
    pub allowed_origins: Option<Vec<String>>,
}

impl Default for SockJsConfig {
    fn default() -> SockJsConfig {
        SockJsConfig {
            heartbeat_interval: Duration::from_secs(25),
            disconnect_delay: Duration::from_secs(5),
            response_limit: 128 * 1024,
            websocket: true,
            cookie_needed: false,
            sockjs_url: DEFAULT_SOCKJS_URL.to_owned(),
            max_sessions: 10_000,
            max_sessions_per_address: 0,
            trusted_proxies: Vec::new(),
            max_payload_bytes: 1024 * 1024,
            outgoing_queue: 1024,
            incoming_queue: 256,
            allowed_origins: None,
        }
    }
}
