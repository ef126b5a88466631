//! Relay test support: stomp-server nodes relaying to the test broker.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use crate::common::{test_config, TestServer};
use stomp_server::App;

/// The broker under test (`STOMP_RELAY_TEST_BROKER`, default RabbitMQ on 127.0.0.1:61613).
pub fn broker() -> String {
    std::env::var("STOMP_RELAY_TEST_BROKER").unwrap_or_else(|_| "127.0.0.1:61613".to_owned())
}

/// Fails (never skips) when the broker is not there: these tests exist to run against it.
pub async fn require_broker() {
    let addr = broker();
    let reachable = tokio::time::timeout(
        crate::common::WAIT,
        tokio::net::TcpStream::connect(addr.clone()),
    )
    .await;
    assert!(
        matches!(reachable, Ok(Ok(_))),
        "the relay tests need a STOMP broker at {addr} (start it with `bash scripts/rabbitmq.sh start`, \
         or run scripts/test-relay.sh)"
    );
}

/// A node relaying to the test broker.
pub async fn node(app: App) -> TestServer {
    require_broker().await;
    node_with_broker(app, &broker()).await
}

pub async fn node_with_broker(app: App, broker: &str) -> TestServer {
    TestServer::start(relay_config(broker), app).await
}

/// The test broker's STOMP over TLS listener (`STOMP_RELAY_TEST_TLS_BROKER`, default RabbitMQ's
/// 127.0.0.1:61614) and the CA its certificate comes from (`STOMP_RELAY_TEST_TLS_CA`, default
/// the one `scripts/rabbitmq.sh install` made).
pub fn tls_broker() -> (String, std::path::PathBuf) {
    let var =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    (
        var("STOMP_RELAY_TEST_TLS_BROKER", "127.0.0.1:61614"),
        var("STOMP_RELAY_TEST_TLS_CA", "/etc/rabbitmq/tls/ca.pem").into(),
    )
}

/// A node relaying to the test broker over TLS.
pub async fn node_over_tls(app: App) -> TestServer {
    let (broker, ca) = tls_broker();
    let mut config = relay_config(&broker);
    config.relay.tls = true;
    config.relay.tls_ca = Some(ca);
    TestServer::start(config, app).await
}

fn relay_config(broker: &str) -> stomp_server::Config {
    let mut config = test_config();
    config.relay.enabled = true;
    config.relay.broker = broker.to_owned();
    config.relay.connect_timeout_ms = 3_000;
    config.relay.reconnect_initial_ms = 200;
    config.relay.reconnect_max_ms = 2_000;
    config
}

/// A name no earlier run used (queues on the broker outlive test runs).
pub fn unique(stem: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{stem}-{}-{:x}-{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::Relaxed)
    )
}
