//! [`Context`]: what the parts of a running server share — configuration, broker, relay,
//! application, security, admission limits, counters and the shutdown signal.
//!
//! It is handed to every session, transport and scheduled task (cheap to clone), and it lives
//! below them: sessions and transports take a `Context` instead of reaching up into
//! [`crate::server`], which builds one from its parts and only wires things together.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use stomp_wasm::Version;
use tokio::sync::{watch, Notify};

use crate::admission::{Place, Places, Refused, Settings};
use crate::app::{App, BrokerHandle};
use crate::auth::{Authenticator, Authorizer};
use crate::broker::Broker;
use crate::config::Config;
use crate::dedup::SendDedup;
use crate::login_throttle::LoginThrottle;
use crate::metrics::Metrics;
use crate::relay::Relay;

/// The parts a [`Context`] is made of (the server picks them; see `ServerBuilder::build`).
pub(crate) struct Parts {
    pub config: Config,
    pub broker: Arc<Broker>,
    /// Relay mode: broker destinations live in an external broker.
    pub relay: Option<Arc<Relay>>,
    pub app: App,
    pub authenticator: Arc<dyn Authenticator>,
    pub authorizer: Arc<dyn Authorizer>,
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
    login_throttle: LoginThrottle,
    /// Ids of SENDs taken, so a client's re-send is not delivered twice.
    dedup: SendDedup,
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

/// The state a server's sessions, transports and tasks share. Cheap to clone; every session
/// holds one. A [`Server`](crate::Server) dereferences to its context.
#[derive(Clone)]
pub struct Context {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("connections", &self.connection_count())
            .finish_non_exhaustive()
    }
}

/// Counts a session in [`Context::connection_count`] while it lives.
#[derive(Debug)]
pub(crate) struct SessionCount {
    context: Context,
}

impl Drop for SessionCount {
    fn drop(&mut self) {
        if self
            .context
            .inner
            .connections
            .fetch_sub(1, Ordering::AcqRel)
            == 1
        {
            self.context.inner.idle.notify_waiters();
        }
    }
}

impl Context {
    pub(crate) fn new(parts: Parts) -> Context {
        let Parts {
            config,
            broker,
            relay,
            app,
            authenticator,
            authorizer,
        } = parts;
        let d = &config.destinations;
        let default_topic_prefix = d
            .broker_prefixes
            .iter()
            .find(|p| !d.queue_prefixes.contains(p))
            .cloned()
            .unwrap_or_else(|| "/topic".to_owned());
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
        Context {
            inner: Arc::new(Inner {
                versions: config.versions(),
                default_topic_prefix,
                handle: BrokerHandle::new(Arc::clone(&broker), relay.clone()),
                relay,
                broker,
                app,
                authenticator,
                authorizer,
                connections: AtomicUsize::new(0),
                metrics: Arc::default(),
                idle: Notify::new(),
                login_throttle: LoginThrottle::new(
                    config.security.max_failed_connects,
                    Duration::from_millis(config.security.failed_connect_window_ms),
                ),
                dedup: SendDedup::new(
                    Duration::from_millis(config.dedup.window_ms),
                    config.dedup.max_ids,
                    config.dedup.max_ids_per_client,
                ),
                connected,
                pending,
                next_session: AtomicU64::new(1),
                shutdown,
                config,
            }),
        }
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

    /// Ids of SENDs taken ([`SendDedup`]).
    pub fn dedup(&self) -> &SendDedup {
        &self.inner.dedup
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
            context: self.clone(),
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

    /// Completes once no session is open (at once if none is).
    pub(crate) async fn idle(&self) {
        loop {
            let idle = self.inner.idle.notified();
            tokio::pin!(idle);
            // Registered before the check, so a wake-up in between is not missed.
            idle.as_mut().enable();
            if self.connection_count() == 0 {
                return;
            }
            idle.await;
        }
    }
}
