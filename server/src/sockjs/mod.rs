//! SockJS 0.3.3 on the server: every transport, at a configurable base path.
//!
//! A SockJS service is an axum [`Router`](axum::Router) built by [`router`] for one base path
//! (e.g. `/stomp`) and one [`SockJsHandler`], the application that runs once per SockJS session.
//! The application sees a [`SockJsSession`]: strings in, strings out, and a close; which
//! transport carries them (WebSocket, XHR streaming or polling, EventSource, htmlfile, JSONP)
//! is invisible to it.
//!
//! - [`session`]: the application-facing session handle and the per-session state that the
//!   HTTP transports share (buffering between polls, the disconnect delay, one receiver at a
//!   time).
//! - [`http`]: URL dispatch, the static endpoints (`/info`, `/iframe.html`, greeting), CORS,
//!   caching and cookie headers, and the HTTP transports.
//! - [`websocket`]: the `websocket` transport (SockJS framing over RFC 6455 and over the legacy
//!   hixie-76 protocol) and the raw `/websocket` endpoint.
//! - [`hixie76`]: the hixie-76 handshake answer and framing.
//! - [`stomp`]: STOMP over SockJS (the adapter to the broker's session entry point) and the
//!   routes the server mounts.
//! - [`test_services`]: the four services the public SockJS protocol suite expects.
//!
//! The framing itself (frames, JSON string arrays) is the shared core in
//! [`stomp_wasm::sockjs`].

pub mod hixie76;
pub mod http;
mod receiver;
pub mod session;
pub mod stomp;
pub mod test_services;
pub mod websocket;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub use http::router;
pub use session::{SessionClosed, SockJsReceiver, SockJsSender, SockJsSession};

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

/// The application behind a SockJS service: runs once per session, for as long as it likes.
///
/// When the future returns, the session's sender side is dropped; if the application did not
/// [`close`](SockJsSender::close) it, the client gets `c[1000,"Normal closure"]`.
pub trait SockJsHandler: Send + Sync + 'static {
    /// Serves one session (write it as `async fn on_session(self: Arc<Self>, …)`).
    fn on_session(
        self: Arc<Self>,
        session: SockJsSession,
    ) -> impl Future<Output = ()> + Send + 'static;
}

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A type-erased [`SockJsHandler`], so the transports are not generic.
#[derive(Clone)]
pub(crate) struct DynHandler(Arc<dyn Fn(SockJsSession) -> BoxFuture + Send + Sync>);

impl DynHandler {
    pub(crate) fn new<H: SockJsHandler>(handler: H) -> DynHandler {
        let handler = Arc::new(handler);
        DynHandler(Arc::new(move |session| {
            Box::pin(handler.clone().on_session(session))
        }))
    }

    /// Starts the application for a new session.
    pub(crate) fn spawn(&self, session: SockJsSession) {
        tokio::spawn((self.0)(session));
    }
}
