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
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

use crate::app::App;
use crate::auth::{AllowAll, Authenticator, Authorizer, StaticAuthenticator, UsersFileError};
use crate::broker::Broker;
use crate::config::{Config, ConfigError};
use crate::context::{Context, Parts};
use crate::monitor;
use crate::relay::Relay;
use crate::shutdown::stopped;
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

/// A running server's handle: its [`Context`] (what sessions and transports share; `Server`
/// dereferences to it) and what only the listeners use, the TLS certificate. Cheap to clone.
#[derive(Clone)]
pub struct Server {
    context: Context,
    /// The TLS listeners' certificate, when `tls.cert` and `tls.key` are set.
    tls: Option<Arc<Tls>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("connections", &self.connection_count())
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for Server {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.context
    }
}

impl From<Server> for Context {
    fn from(server: Server) -> Context {
        server.context
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
        let broker = Arc::new(Broker::new(&config.destinations));
        let relay = match config.relay.enabled {
            true => Some(Arc::new(Relay::new(&config)?)),
            false => None,
        };
        let tls = match (&config.tls.cert, &config.tls.key) {
            (Some(cert), Some(key)) => Some(Arc::new(Tls::load(cert, key)?)),
            _ => None,
        };
        let context = Context::new(Parts {
            config,
            broker,
            relay,
            app: self.app,
            authenticator,
            authorizer: self.authorizer,
        });
        Ok(Server { context, tls })
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

    /// What sessions, transports and tasks share.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The TLS listeners' certificate (`tls.cert`, `tls.key`), when configured.
    pub fn tls(&self) -> Option<&Arc<Tls>> {
        self.tls.as_ref()
    }

    /// Loads the certificate files again (the binary calls this on SIGHUP): new TLS connections
    /// get the new certificate, open ones are not touched. On error the previous certificate
    /// stays in service. `Ok(false)` when no TLS is configured.
    pub fn reload_tls(&self) -> Result<bool, TlsError> {
        match &self.tls {
            Some(tls) => tls.reload().map(|()| true),
            None => Ok(false),
        }
    }

    /// The HTTP routes: the WebSocket endpoint, then `extra` (e.g. the SockJS routes), then static
    /// files from `www` for everything else. `extra` must not set a fallback.
    pub fn http_router(&self, extra: Option<axum::Router>) -> axum::Router {
        let config = self.config();
        let mut router = axum::Router::new()
            .route(&config.endpoints.websocket, get(ws::upgrade))
            .with_state(self.context.clone());
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
                tasks.spawn(tcp::accept_loop(acceptor, tls, self.context.clone(), stop));
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
        let drained = tokio::time::timeout(Duration::from_secs(5), self.idle()).await;
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
            monitor::Exporter::new(self.metrics().clone(), self.broker().clone(), relay.clone());
        let health = monitor::Health::new(
            self.broker().clone(),
            relay,
            listening,
            self.shutdown_signal(),
        );
        // The same hardened accept loop as the client-facing HTTP listeners (header and idle
        // timeouts, accept backoff): a scraper is a peer like any other.
        http::serve(
            Acceptor::new(listener, "metrics"),
            monitor::endpoint::router(exporter, health),
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
