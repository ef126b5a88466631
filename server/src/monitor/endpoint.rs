//! The metrics listener: `GET /metrics` (Prometheus text) and `GET /healthz`, on an address of
//! its own (`metrics = "127.0.0.1:9100"`), so neither is reachable from where clients connect.
//!
//! `/healthz` answers 200 when the server is serving its listeners (not shutting down), the
//! broker answers (every broker lock taken and released within [`PROBE_TIMEOUT`], on a blocking
//! thread so a stuck lock cannot stall the endpoint), and, when relaying, the relay's system
//! connection to the external broker is open; 503 otherwise. The body is a small JSON object
//! naming each check.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::registry::Registry;
use tokio::sync::watch;

use super::exporter::{self, Exporter};
use crate::broker::Broker;
use crate::relay::Relay;

/// How long the broker has to answer the health check's probe.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What the health check looks at.
#[derive(Debug)]
pub struct Health {
    broker: Arc<Broker>,
    relay: Option<Arc<Relay>>,
    /// The server's listeners, by name (`tcp`, `http`).
    listening: Vec<(&'static str, SocketAddr)>,
    stop: watch::Receiver<bool>,
    /// One probe at a time; a probe still running after its timeout means a stuck broker, and no
    /// further thread is spent on it.
    probe_turn: tokio::sync::Mutex<()>,
    probing: Arc<AtomicBool>,
}

impl Health {
    pub fn new(
        broker: Arc<Broker>,
        relay: Option<Arc<Relay>>,
        listening: Vec<(&'static str, SocketAddr)>,
        stop: watch::Receiver<bool>,
    ) -> Health {
        Health {
            broker,
            relay,
            listening,
            stop,
            probe_turn: tokio::sync::Mutex::new(()),
            probing: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether the broker took and released every lock within [`PROBE_TIMEOUT`].
    async fn broker_responsive(&self) -> bool {
        let Ok(_turn) = tokio::time::timeout(PROBE_TIMEOUT, self.probe_turn.lock()).await else {
            return false;
        };
        if self.probing.swap(true, Ordering::AcqRel) {
            // The last probe never came back.
            return false;
        }
        let broker = Arc::clone(&self.broker);
        let probing = Arc::clone(&self.probing);
        let probe = tokio::task::spawn_blocking(move || {
            let _ = broker.stats();
            probing.store(false, Ordering::Release);
        });
        matches!(tokio::time::timeout(PROBE_TIMEOUT, probe).await, Ok(Ok(())))
    }

    /// The status code and JSON body of `/healthz`.
    pub async fn check(&self) -> (StatusCode, serde_json::Value) {
        let serving = !*self.stop.borrow();
        let broker = self.broker_responsive().await;
        let relay = self.relay.as_ref().map(|r| r.is_connected());
        let healthy = serving && broker && relay != Some(false);
        let listening: serde_json::Map<String, serde_json::Value> = self
            .listening
            .iter()
            .map(|(name, addr)| ((*name).to_owned(), addr.to_string().into()))
            .collect();
        let body = serde_json::json!({
            "status": if healthy { "ok" } else { "unavailable" },
            "listening": if serving { serde_json::Value::Object(listening) } else { false.into() },
            "broker": if broker { "ok" } else { "unresponsive" },
            "relay": match relay {
                None => "off",
                Some(true) => "connected",
                Some(false) => "disconnected",
            },
        });
        let status = if healthy {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        (status, body)
    }
}

struct Endpoint {
    registry: Registry,
    health: Health,
}

async fn metrics(State(endpoint): State<Arc<Endpoint>>) -> Response {
    let body = exporter::render(&endpoint.registry);
    ([(header::CONTENT_TYPE, exporter::CONTENT_TYPE)], body).into_response()
}

async fn healthz(State(endpoint): State<Arc<Endpoint>>) -> Response {
    let (status, body) = endpoint.health.check().await;
    (status, axum::Json(body)).into_response()
}

/// The metrics listener's routes.
pub fn router(exporter: Exporter, health: Health) -> axum::Router {
    let endpoint = Arc::new(Endpoint {
        registry: exporter.into_registry(),
        health,
    });
    axum::Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .with_state(endpoint)
}
