//! Broker relay across a RabbitMQ restart: clients of both nodes get a clear ERROR while the
//! broker is away, reconnect once it is back, and nothing the broker acknowledged (a RECEIPT for
//! a persistent SEND to a durable queue) is lost; the nodes' system connections reconnect.
//!
//! Stops and starts the machine's RabbitMQ through `scripts/rabbitmq.sh` (root), so it runs on
//! its own, after the other relay tests (`scripts/test-relay.sh`). Built only with the
//! `relay-tests` feature; an unreachable broker fails it.

mod common;
mod relay_support;

use std::process::Command as Process;
use std::time::Duration;

use common::*;
use relay_support::*;
use stomp_server::App;
use stomp_wasm::{Command, Frame};

/// RabbitMQ's start takes ~12 s on this machine; the guard is generous, never asserted.
const RESTART_WAIT: Duration = Duration::from_secs(120);

fn rabbitmq(action: &str) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/rabbitmq.sh");
    let status = Process::new("bash")
        .arg(script)
        .arg(action)
        .status()
        .expect("run scripts/rabbitmq.sh");
    assert!(status.success(), "scripts/rabbitmq.sh {action}: {status:?}");
}

/// Connects to `node`, retrying while its broker connection cannot be opened.
async fn reconnect(node: &TestServer) -> Client {
    let deadline = tokio::time::Instant::now() + RESTART_WAIT;
    loop {
        let mut c = Client::raw(node.tcp).await;
        let reply = c
            .handshake(&[("accept-version", "1.2"), ("host", "localhost")])
            .await;
        if reply.command == Command::Connected {
            c.connected = Some(reply);
            return c;
        }
        assert_eq!(
            reply.get("message"),
            Some("message broker unavailable"),
            "{reply:?}"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "no broker connection within {RESTART_WAIT:?} of restarting RabbitMQ"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_and_clients_recover_from_a_broker_restart_without_losing_acknowledged_messages() {
    let a = node(App::new()).await;
    let b = node(App::new()).await;
    let queue = format!("/queue/{}", unique("restart"));
    let topic = format!("/topic/{}", unique("restart"));

    // Persistent messages to a durable queue, each acknowledged by the broker (RECEIPT).
    let mut publisher = a.client().await;
    const N: usize = 10;
    for i in 0..N {
        publisher
            .call(
                Frame::new(Command::Send)
                    .header("destination", queue.clone())
                    .header("persistent", "true")
                    .body(format!("kept-{i}")),
            )
            .await;
    }
    let mut watcher = b.client().await;
    watcher.subscribe("w", &topic, "auto").await;

    rabbitmq("stop");
    // Every session of both nodes hears that its broker connection is gone, then closes.
    for c in [&mut publisher, &mut watcher] {
        let e = c.expect_error_and_close().await;
        assert_eq!(
            e.get("message"),
            Some("message broker connection lost"),
            "{e:?}"
        );
    }
    // A new client while the broker is away: told so, and closed.
    let mut early = Client::raw(b.tcp).await;
    let reply = early
        .handshake(&[("accept-version", "1.2"), ("host", "localhost")])
        .await;
    assert_eq!(
        reply.get("message"),
        Some("message broker unavailable"),
        "{reply:?}"
    );

    rabbitmq("start");
    let mut consumer = reconnect(&b).await;
    consumer.subscribe("q", &queue, "client-individual").await;
    let mut got = Vec::new();
    let mut arrived = std::collections::VecDeque::new();
    while got.len() < N {
        let m = match arrived.pop_front() {
            Some(m) => m,
            None => consumer.recv_message().await,
        };
        got.push(body(&m).to_owned());
        // Messages that arrive before the ACK's RECEIPT come back from `call`.
        arrived.extend(
            consumer
                .call(
                    Frame::new(Command::Ack)
                        .header("id", m.get("ack").unwrap_or_default().to_owned()),
                )
                .await,
        );
    }
    let want: Vec<String> = (0..N).map(|i| format!("kept-{i}")).collect();
    assert_eq!(
        got, want,
        "every acknowledged message survived the restart, in order"
    );

    // The nodes' system connections are back too: application publishes flow again.
    let mut watcher = reconnect(&b).await;
    watcher.subscribe("w", &topic, "auto").await;
    let deadline = tokio::time::Instant::now() + RESTART_WAIT;
    while !a.server.relay().is_some_and(|r| r.is_connected()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "node A's system connection did not come back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    a.server
        .broker_handle()
        .send(&topic, "system connection is back")
        .expect("queued for the broker");
    assert_eq!(
        body(&watcher.recv_message().await),
        "system connection is back"
    );
    a.stop().await;
    b.stop().await;
}
