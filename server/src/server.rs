//! The running server: shared state ([`Server`]), listeners, the HTTP router, scheduled tasks and
//! graceful shutdown.
//!
//! ```no_run
//! # async fn demo() -> Result<(), stomp_server::ServerError> {
//! use stomp_server::{app::App, Config, Listeners};
//! let listeners = Listeners {
//!     tcp: Some(tokio::net::TcpListener::bind("127.0.0.1:0").await?),
//!     http: Some(tokio::net::TcpListener::bind("127.0.0.1:0").await?),
//!     ..Listeners::default()
//! };
//! stomp_server::run(listeners, Config::default(), App::new(), async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await
//! # }
//! ```

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use stomp_wasm::Version;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

use crate::admission::{Place, Places, Refused, Settings};
use crate::app::{App, BrokerHandle};
use crate::auth::{AllowAll, Authenticator, Authorizer, StaticAuthenticator, UsersFileError};
use crate::broker::Broker;
use crate::config::{Config, ConfigError};
use crate::login_throttle::LoginThrottle;
use crate::metrics::{self, Metrics};
use crate::relay::Relay;
use crate::transport::accept::Acceptor;
use crate::transport::http::{self, HttpTimeouts};
use crate::transport::tls::{Tls, TlsError};
use crate::transport::{tcp, ws};

/// Why the server could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    UsersFile(#[from] UsersFileError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("a TLS listener ({0}) was given but no certificate is configured (tls.cert, tls.key)")]
    NoCertificate(&'static str),
    #[error("cannot listen for {what} on {addr}: {source} (another program may hold the port; pick another with --{what})")]
    Bind {
        what: &'static str,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

async fn bind(
    what: &'static str,
    addr: Option<SocketAddr>,
) -> Result<Option<TcpListener>, ServerError> {
    let Some(addr) = addr else { return Ok(None) };
    TcpListener::bind(addr)
        .await
        .map(Some)
        .map_err(|source| ServerError::Bind { what, addr, source })
}

/// Bound listeners to serve on; any may be absent. The TLS ones use the certificate of
/// `config.tls`.
#[derive(Debug, Default)]
pub struct Listeners {
    /// Raw STOMP over TCP.
    pub tcp: Option<TcpListener>,
    /// HTTP: WebSocket endpoint, extra routes (SockJS), static files.
    pub http: Option<TcpListener>,
    /// Raw STOMP over TLS.
    pub tls_tcp: Option<TcpListener>,
    /// The HTTP routes over TLS.
    pub https: Option<TcpListener>,
    /// `/metrics` and `/healthz` (off unless given).
    pub metrics: Option<TcpListener>,
}

impl Listeners {
    /// Binds the addresses in `config` (`tcp`, `http`, `tls_tcp`, `https`, `metrics`).
    pub async fn bind(config: &Config) -> Result<Listeners, ServerError> {
        Ok(Listeners {
            tcp: bind("tcp", config.tcp).await?,
            http: bind("http", config.http).await?,
            tls_tcp: bind("tls-tcp", config.tls_tcp).await?,
            https: bind("https", config.https).await?,
            metrics: bind("metrics", config.metrics).await?,
        })
    }

    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub fn tls_tcp_addr(&self) -> Option<SocketAddr> {
        self.tls_tcp.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub fn https_addr(&self) -> Option<SocketAddr> {
        self.https.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The client-facing listeners, by name (what `/healthz` reports as listening).
    pub fn serving(&self) -> Vec<(&'static str, SocketAddr)> {
        [
            ("tcp", self.tcp_addr()),
            ("http", self.http_addr()),
            ("tls_tcp", self.tls_tcp_addr()),
            ("https", self.https_addr()),
        ]
        .into_iter()
        .filter_map(|(name, addr)| Some((name, addr?)))
        .collect()
    }
}

struct Inner {
    config: Config,
    versions: Vec<Version>,
    default_topic_prefix: String,
    broker: Arc<Broker>,
    handle: BrokerHandle,
    /// Relay mode: broker destinations live in an external broker.
    relay: Option<Arc<Relay>>,
    app: App,
    authenticator: Arc<dyn Authenticator>,
    authorizer: Arc<dyn Authorizer>,
    /// The TLS listeners' certificate, when `tls.cert` and `tls.key` are set.
    tls: Option<Arc<Tls>>,
    login_throttle: LoginThrottle,
    /// Sessions alive, whatever their phase (the shutdown drain waits for none).
    connections: AtomicUsize,
    metrics: Arc<Metrics>,
    idle: Notify,
    /// CONNECTed STOMP sessions: `limits.max_connections`, `…_per_address`.
    connected: Arc<Places>,
    /// TCP/WebSocket connections before CONNECT: `limits.max_pending_connections`, `…_per_address`.
    pending: Arc<Places>,
    next_session: AtomicU64,
    shutdown: watch::Sender<bool>,
}

/// The shared server state: configuration, broker, application, security, connection count and
/// shutdown signal. Cheap to clone; every session holds one.
#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("connections", &self.connection_count())
            .finish_non_exhaustive()
    }
}

/// Builds a [`Server`] with a custom authenticator or authorizer.
pub struct ServerBuilder {
    config: Config,
    app: App,
    authenticator: Option<Arc<dyn Authenticator>>,
    authorizer: Arc<dyn Authorizer>,
}

impl ServerBuilder {
    pub fn app(mut self, app: App) -> ServerBuilder {
        self.app = app;
        self
    }

    /// Replaces the built-in authenticator (users file / anonymous switch).
    pub fn authenticator(mut self, a: impl Authenticator) -> ServerBuilder {
        self.authenticator = Some(Arc::new(a));
        self
    }

    /// Decides SEND and SUBSCRIBE per destination (default: everything allowed).
    pub fn authorizer(mut self, a: impl Authorizer) -> ServerBuilder {
        self.authorizer = Arc::new(a);
        self
    }

    pub fn build(self) -> Result<Server, ServerError> {
        let config = self.config;
        config.validate()?;
        let authenticator = match self.authenticator {
            Some(a) => a,
            None => {
                let anon = config.security.allow_anonymous;
                match &config.security.users_file {
                    Some(path) => Arc::new(StaticAuthenticator::from_file(path, anon)?),
                    None => Arc::new(StaticAuthenticator::open(anon)),
                }
            }
        };
        let d = &config.destinations;
        let default_topic_prefix = d
            .broker_prefixes
            .iter()
            .find(|p| !d.queue_prefixes.contains(p))
            .cloned()
            .unwrap_or_else(|| "/topic".to_owned());
        let broker = Arc::new(Broker::new(d));
        let relay = config.relay.enabled.then(|| Arc::new(Relay::new(&config)));
        let tls = match (&config.tls.cert, &config.tls.key) {
            (Some(cert), Some(key)) => Some(Arc::new(Tls::load(cert, key)?)),
            _ => None,
        };
        let (shutdown, _) = watch::channel(false);
        let limits = &config.limits;
        let connected = Places::new(
            limits.max_connections,
            limits.max_connections_per_address,
            Settings {
                total: "limits.max_connections",
                per_address: "limits.max_connections_per_address",
            },
        );
        let pending = Places::new(
            limits.max_pending_connections,
            limits.max_pending_per_address,
            Settings {
                total: "limits.max_pending_connections",
                per_address: "limits.max_pending_per_address",
            },
        );
        Ok(Server {
            inner: Arc::new(Inner {
                versions: config.versions(),
                default_topic_prefix,
                handle: BrokerHandle::new(Arc::clone(&broker), relay.clone()),
                relay,
                broker,
                app: self.app,
                authenticator,
                authorizer: self.authorizer,
                tls,
                connections: AtomicUsize::new(0),
                metrics: Arc::default(),
                idle: Notify::new(),
                login_throttle: LoginThrottle::new(
                    config.security.max_failed_connects,
                    Duration::from_millis(config.security.failed_connect_window_ms),
                ),
                connected,
                pending,
                next_session: AtomicU64::new(1),
                shutdown,
                config,
            }),
        })
    }
}

/// Counts a session in [`Server::connection_count`] while it lives.
#[derive(Debug)]
pub(crate) struct SessionCount {
    server: Server,
}

impl Drop for SessionCount {
    fn drop(&mut self) {
        if self.server.inner.connections.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.server.inner.idle.notify_waiters();
        }
    }
}

impl Server {
    pub fn builder(config: Config) -> ServerBuilder {
        ServerBuilder {
            config,
            app: App::new(),
            authenticator: None,
            authorizer: Arc::new(AllowAll),
        }
    }

    /// A server with the built-in authenticator and no authorization rules.
    pub fn new(config: Config, app: App) -> Result<Server, ServerError> {
        Server::builder(config).app(app).build()
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The broker, for application code outside handlers.
    pub fn broker_handle(&self) -> BrokerHandle {
        self.inner.handle.clone()
    }

    pub(crate) fn broker(&self) -> &Arc<Broker> {
        &self.inner.broker
    }

    /// The broker relay, when `relay.enabled`.
    pub fn relay(&self) -> Option<&Arc<Relay>> {
        self.inner.relay.as_ref()
    }

    /// The TLS listeners' certificate (`tls.cert`, `tls.key`), when configured.
    pub fn tls(&self) -> Option<&Arc<Tls>> {
        self.inner.tls.as_ref()
    }

    /// Loads the certificate files again (the binary calls this on SIGHUP): new TLS connections
    /// get the new certificate, open ones are not touched. On error the previous certificate
    /// stays in service. `Ok(false)` when no TLS is configured.
    pub fn reload_tls(&self) -> Result<bool, TlsError> {
        match &self.inner.tls {
            Some(tls) => tls.reload().map(|()| true),
            None => Ok(false),
        }
    }

    pub(crate) fn app(&self) -> &App {
        &self.inner.app
    }

    /// The counters behind `/metrics`.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    pub(crate) fn versions(&self) -> &[Version] {
        &self.inner.versions
    }

    pub(crate) fn default_topic_prefix(&self) -> &str {
        &self.inner.default_topic_prefix
    }

    pub(crate) fn authenticator(&self) -> &dyn Authenticator {
        &*self.inner.authenticator
    }

    pub(crate) fn authorizer(&self) -> &dyn Authorizer {
        &*self.inner.authorizer
    }

    /// Failed CONNECTs per remote address.
    pub fn login_throttle(&self) -> &LoginThrottle {
        &self.inner.login_throttle
    }

    /// A new session id: a counter (unique within this process) and 64 random bits, because
    /// the id names the session's `/user` queues (`/queue/x-user{id}`): one that could be
    /// guessed would let another session subscribe to them.
    pub(crate) fn next_session_id(&self) -> Arc<str> {
        let n = self.inner.next_session.fetch_add(1, Ordering::Relaxed);
        let mut secret = [0u8; 8];
        let secret = match getrandom::fill(&mut secret) {
            Ok(()) => u64::from_le_bytes(secret),
            // The OS refused randomness (it does not on the platforms we run on): a hasher keyed
            // from the process's random state is still unpredictable from outside.
            Err(_) => {
                use std::hash::{BuildHasher, Hasher};
                let mut h = std::collections::hash_map::RandomState::new().build_hasher();
                h.write_u64(n);
                h.finish()
            }
        };
        match &self.inner.relay {
            // Relay mode: unique across the nodes sharing the broker too (anonymous sessions'
            // `/user` destinations are named by it there).
            Some(relay) => Arc::from(format!("{}-s{n:x}-{secret:016x}", relay.node())),
            None => Arc::from(format!("s{n:x}-{secret:016x}")),
        }
    }

    /// Counts a new session (any transport, any phase) until the returned guard drops.
    pub(crate) fn count_session(&self) -> SessionCount {
        self.inner.connections.fetch_add(1, Ordering::AcqRel);
        SessionCount {
            server: self.clone(),
        }
    }

    /// A place for a TCP or WebSocket connection that has not sent CONNECT yet
    /// (`limits.max_pending_connections`, `limits.max_pending_per_address`).
    pub fn admit_pending(&self, remote: Option<IpAddr>) -> Result<Place, Refused> {
        self.inner.pending.take(remote)
    }

    /// A STOMP connection place, taken when the CONNECT frame arrives
    /// (`limits.max_connections`, `limits.max_connections_per_address`).
    pub fn admit(&self, remote: Option<IpAddr>) -> Result<Place, Refused> {
        self.inner.connected.take(remote)
    }

    /// Sessions currently open (on any transport, CONNECTed or not).
    pub fn connection_count(&self) -> usize {
        self.inner.connections.load(Ordering::Acquire)
    }

    /// CONNECTed sessions, each holding a `limits.max_connections` place.
    pub fn connected_count(&self) -> usize {
        self.inner.connected.in_use()
    }

    /// TCP/WebSocket connections waiting for their CONNECT frame, each holding a pending place.
    pub fn pending_count(&self) -> usize {
        self.inner.pending.in_use()
    }

    /// Becomes `true` when the server shuts down; sessions and transports watch it.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    /// Starts a graceful shutdown: listeners stop, sessions get an ERROR and close.
    pub fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    /// The HTTP routes: the WebSocket endpoint, then `extra` (e.g. the SockJS routes), then static
    /// files from `www` for everything else. `extra` must not set a fallback.
    pub fn http_router(&self, extra: Option<axum::Router>) -> axum::Router {
        let config = self.config();
        let mut router = axum::Router::new()
            .route(&config.endpoints.websocket, get(ws::upgrade))
            .with_state(self.clone());
        if let Some(extra) = extra {
            router = router.merge(extra);
        }
        if !config.www.is_dir() {
            tracing::warn!(dir = %config.www.display(), "static files directory not found; serving none");
        }
        router
            .fallback_service(ServeDir::new(&config.www))
            .layer(TraceLayer::new_for_http())
    }

    /// Serves on the given listeners until `shutdown` completes, then closes every session
    /// (waiting up to a few seconds for them to finish).
    pub async fn serve(
        self,
        mut listeners: Listeners,
        extra_routes: Option<axum::Router>,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), ServerError> {
        let tls = |what| self.tls().ok_or(ServerError::NoCertificate(what));
        let tls_tcp = match &listeners.tls_tcp {
            Some(_) => Some(tls("tls_tcp")?.stomp_acceptor()),
            None => None,
        };
        let https = match &listeners.https {
            Some(_) => Some(tls("https")?.https_acceptor()),
            None => None,
        };
        crate::fd_limit::check(self.config());
        let mut tasks = tokio::task::JoinSet::new();
        if let Some(listener) = listeners.metrics.take() {
            tasks.spawn(self.serve_metrics(listener, listeners.serving()));
        }
        let stomp = [
            (listeners.tcp, "tcp", None),
            (listeners.tls_tcp, "tls_tcp", tls_tcp),
        ];
        for (listener, name, tls) in stomp {
            if let Some(listener) = listener {
                let acceptor = Acceptor::new(listener, name);
                let stop = self.shutdown_signal();
                tasks.spawn(tcp::accept_loop(acceptor, tls, self.clone(), stop));
            }
        }
        if listeners.http.is_some() || listeners.https.is_some() {
            let router = self.http_router(extra_routes);
            let timeouts = HttpTimeouts::from_limits(&self.config().limits);
            let web = [
                (listeners.http, "http", None),
                (listeners.https, "https", https),
            ];
            for (listener, name, tls) in web {
                if let Some(listener) = listener {
                    let acceptor = Acceptor::new(listener, name);
                    let stop = self.shutdown_signal();
                    tasks.spawn(http::serve(acceptor, router.clone(), tls, timeouts, stop));
                }
            }
        }
        if let Some(tls) = self.tls() {
            let every = self.config().tls.reload_ms;
            if every > 0 {
                let watch =
                    Arc::clone(tls).watch(Duration::from_millis(every), self.shutdown_signal());
                tasks.spawn(watch);
            }
        }
        if let Some(relay) = self.relay() {
            tasks.spawn(Arc::clone(relay).run(self.shutdown_signal()));
        }
        for periodic in self.app().periodic.clone() {
            let broker = self.broker_handle();
            let mut stop = self.shutdown_signal();
            tasks.spawn(async move {
                let mut ticks = tokio::time::interval(periodic.every);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                ticks.tick().await;
                loop {
                    tokio::select! {
                        _ = stopped(&mut stop) => break,
                        _ = ticks.tick() => (periodic.task)(broker.clone()).await,
                    }
                }
            });
        }

        let mut stop = self.shutdown_signal();
        tokio::select! {
            _ = shutdown => {}
            _ = stopped(&mut stop) => {}
        }
        tracing::info!("shutting down");
        self.shutdown();
        while tasks.join_next().await.is_some() {}
        // Sessions were told to close; give them a moment to flush their ERROR.
        let drained = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                let idle = self.inner.idle.notified();
                tokio::pin!(idle);
                // Registered before the check, so a wake-up in between is not missed.
                idle.as_mut().enable();
                if self.connection_count() == 0 {
                    break;
                }
                idle.await;
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                open = self.connection_count(),
                "sessions still open at shutdown"
            );
        }
        Ok(())
    }
}

impl Server {
    /// Serves `/metrics` and `/healthz` on `listener` until shutdown (`listening`: what the health
    /// check reports).
    fn serve_metrics(
        &self,
        listener: TcpListener,
        listening: Vec<(&'static str, SocketAddr)>,
    ) -> impl Future<Output = ()> + Send + 'static {
        let relay = self.relay().cloned();
        let exporter =
            metrics::Exporter::new(self.metrics().clone(), self.broker().clone(), relay.clone());
        let health = metrics::Health::new(
            self.broker().clone(),
            relay,
            listening,
            self.shutdown_signal(),
        );
        // The same hardened accept loop as the client-facing HTTP listeners (header and idle
        // timeouts, accept backoff): a scraper is a peer like any other.
        http::serve(
            Acceptor::new(listener, "metrics"),
            metrics::endpoint::router(exporter, health),
            None,
            HttpTimeouts::from_limits(&self.config().limits),
            self.shutdown_signal(),
        )
    }
}

/// Builds a server from `config` and `app` and serves `listeners` until `shutdown` completes
/// (mini-redis style: tests bind `127.0.0.1:0` themselves and pass the listeners in).
pub async fn run(
    listeners: Listeners,
    config: Config,
    app: App,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServerError> {
    Server::new(config, app)?
        .serve(listeners, None, shutdown)
        .await
}

/// Completes once the shutdown signal is set (or its sender is gone).
pub(crate) async fn stopped(signal: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is dropped here, so callers' futures stay `Send`.
    let _ = signal.wait_for(|stop| *stop).await;
}
