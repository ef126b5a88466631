//! The broker relay: scale-out through an external STOMP broker (RabbitMQ's `rabbitmq_stomp`),
//! as Spring's `enableStompBrokerRelay`.
//!
//! With `relay.enabled`, broker destinations (`/topic`, `/queue`, `/amq/queue`, `/exchange`) and
//! `/user` destinations are not served by the built-in broker: every client session gets its own
//! STOMP/TCP connection to the external broker ([`upstream::Upstream`], opened at CONNECT) and
//! its SEND, SUBSCRIBE, UNSUBSCRIBE, ACK and NACK go there; the node's own publishes (handler
//! replies, scheduled pushes) go over one shared system connection ([`system::SystemLink`],
//! reconnecting with backoff). `/app` destinations still run in this process. Transactions are
//! kept by the session as without the relay: their frames reach the broker at COMMIT.
//!
//! - [`destination`]: how our destination names map onto the broker's.
//! - [`connection`]: one broker connection (handshake, heart-beats, codec framing).
//! - [`upstream`]: a client session's connection. [`system`]: the system connection.
//! - `error`: [`RelayError`].
//!
//! Several nodes relaying to one broker share every destination; `/user/{name}/…` reaches the
//! user's sessions on every node. See `docs/SCALING.md`.

pub mod connection;
pub mod destination;
mod error;
mod stats;
pub mod system;
mod tls;
pub mod upstream;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use stomp_wasm::{Command, Frame, Headers, Limits};
use tokio::sync::watch;

use crate::broker::destination::{Route, Router};
use crate::broker::{lock, RouteError};
use crate::config::{Config, RelayConfig};
use crate::tls_files::TlsError;
use destination::{broker_destination, split_user_send, user_destination, MapError};
pub use error::RelayError;
pub use stats::RelayStats;
use system::SystemLink;
use tls::BrokerTls;
pub use upstream::Upstream;

/// The relay of one node: its settings, system connection and local sessions' user names.
#[derive(Debug)]
pub struct Relay {
    config: RelayConfig,
    limits: Limits,
    router: Router,
    send_timeout: Duration,
    /// This node's name among the nodes sharing the broker (in session ids).
    node: String,
    system: SystemLink,
    /// Local session id → login, so a reply "to this session" reaches its user's destinations.
    sessions: Mutex<HashMap<Arc<str>, Arc<str>>>,
    stats: Arc<RelayStats>,
    /// `relay.tls`: every broker connection's TLS settings.
    tls: Option<Arc<BrokerTls>>,
}

impl Relay {
    /// The relay of a server configured with `relay.enabled`; an error when its TLS settings
    /// cannot be used (`relay.tls_ca` unreadable, no trusted roots, a bad server name).
    pub fn new(config: &Config) -> Result<Relay, TlsError> {
        let tls = BrokerTls::from_config(&config.relay)?.map(Arc::new);
        let mut entropy = [0u8; 4];
        // Without entropy, the process id and time still tell nodes apart.
        if getrandom::fill(&mut entropy).is_err() {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            entropy = (t ^ std::process::id()).to_le_bytes();
        }
        Ok(Relay {
            config: config.relay.clone(),
            limits: config.limits.codec(),
            router: Router::new(&config.destinations),
            send_timeout: Duration::from_millis(config.limits.send_timeout_ms),
            node: entropy.iter().map(|b| format!("{b:02x}")).collect(),
            system: SystemLink::new(config.relay.pending_frames),
            sessions: Mutex::new(HashMap::new()),
            stats: Arc::default(),
            tls,
        })
    }

    pub fn config(&self) -> &RelayConfig {
        &self.config
    }

    pub(crate) fn tls(&self) -> Option<&BrokerTls> {
        self.tls.as_deref()
    }

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    pub(crate) fn send_timeout(&self) -> Duration {
        self.send_timeout
    }

    /// This node's random name (session ids are `{node}-s{n}`, unique across nodes).
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The system connection is open.
    pub fn is_connected(&self) -> bool {
        self.system.is_connected()
    }

    /// Publishes waiting for the system connection.
    pub fn pending_frames(&self) -> usize {
        self.system.pending()
    }

    pub fn stats(&self) -> &Arc<RelayStats> {
        &self.stats
    }

    /// Runs the system connection until the server shuts down.
    pub async fn run(self: Arc<Self>, stop: watch::Receiver<bool>) {
        self.system
            .run(self.config.clone(), self.tls.clone(), self.limits, stop)
            .await;
    }

    /// Publishes to a broker or `/user/{name}/…` destination over the system connection.
    pub fn publish(
        &self,
        destination: &str,
        headers: &Headers,
        body: Bytes,
    ) -> Result<usize, RouteError> {
        let route = self.router.route(destination);
        let mapped = match route {
            Route::User(rest) => {
                let (name, target) =
                    split_user_send(rest).map_err(|e| route_error(e, destination))?;
                return self.publish_to_user(name, target, headers, body);
            }
            Route::App(_) => return Err(RouteError::Application(destination.to_owned())),
            Route::Unknown => return Err(RouteError::NoPrefix(destination.to_owned())),
            other => {
                broker_destination(destination, other).map_err(|e| route_error(e, destination))?
            }
        };
        self.system_send(mapped, headers, body)
    }

    /// Publishes to `target` of every session of `user` (a login, or a session id) on every
    /// node. A local session's id stands for its login when it has one.
    pub fn publish_to_user(
        &self,
        user: &str,
        target: &str,
        headers: &Headers,
        body: Bytes,
    ) -> Result<usize, RouteError> {
        self.check_user_target(target)
            .map_err(|_| RouteError::BadUserDestination(target.to_owned()))?;
        let login = lock(&self.sessions).get(user).cloned();
        let key = login.as_deref().unwrap_or(user);
        self.system_send(user_destination(key, target), headers, body)
    }

    fn system_send(
        &self,
        mapped: String,
        headers: &Headers,
        body: Bytes,
    ) -> Result<usize, RouteError> {
        let mut frame = Frame::new(Command::Send);
        for (name, value) in headers.entries() {
            if !matches!(name.as_str(), "destination" | "receipt" | "transaction") {
                frame.headers.push(name, value);
            }
        }
        frame.headers.set("destination", mapped);
        frame.body = body;
        self.system
            .publish(frame)
            .map_err(|e| RouteError::Relay(e.to_string()))?;
        // Handed to the broker: how many sessions it reaches is the broker's to know.
        Ok(0)
    }

    /// A `/user` target must be a broker destination (as with the built-in broker).
    fn check_user_target(&self, target: &str) -> Result<(), MapError> {
        match self.router.route(target) {
            Route::Topic | Route::Queue => Ok(()),
            _ => Err(MapError::BadUser(target.to_owned())),
        }
    }

    fn register_session(&self, id: &Arc<str>, login: Option<&Arc<str>>) {
        if let Some(login) = login {
            lock(&self.sessions).insert(Arc::clone(id), Arc::clone(login));
        }
    }

    fn unregister_session(&self, id: &str) {
        lock(&self.sessions).remove(id);
    }
}

fn route_error(e: MapError, destination: &str) -> RouteError {
    match e {
        MapError::PatternOnQueue(d) => RouteError::PatternOnQueue(d),
        MapError::BadUser(_) => RouteError::BadUserDestination(destination.to_owned()),
        other => RouteError::Relay(other.to_string()),
    }
}
