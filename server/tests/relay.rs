//! Broker relay against a real RabbitMQ: two stomp-server nodes on 127.0.0.1:0 relaying to one
//! broker share topics, queues and `/user` destinations; acks and receipts pass through.
//!
//! Built only with the `relay-tests` feature (`scripts/test-relay.sh` starts RabbitMQ and runs
//! them): a broker that is not reachable FAILS these tests, it never skips them. The broker is
//! `STOMP_RELAY_TEST_BROKER` (default 127.0.0.1:61613, guest/guest, vhost `/`); its STOMP over
//! TLS listener `STOMP_RELAY_TEST_TLS_BROKER` (default 127.0.0.1:61614, certificate from the CA
//! in `STOMP_RELAY_TEST_TLS_CA`, default /etc/rabbitmq/tls/ca.pem).

mod common;
mod relay_support;

use std::collections::HashSet;

use common::*;
use relay_support::*;
use stomp_server::app::examples::demo_app;
use stomp_server::App;
use stomp_wasm::{Command, Frame};

#[tokio::test]
async fn topic_message_published_on_one_node_reaches_a_subscriber_on_the_other() {
    let a = node(App::new()).await;
    let b = node(App::new()).await;
    let topic = format!("/topic/{}.news", unique("relay"));
    let mut sub = a.client().await;
    sub.subscribe("t1", &topic, "auto").await;
    let mut publisher = b.client().await;
    publisher
        .call(
            Frame::new(Command::Send)
                .header("destination", topic.clone())
                .header("content-type", "text/plain")
                .body("across nodes"),
        )
        .await;
    let m = sub.recv_message().await;
    assert_eq!(m.get("destination"), Some(topic.as_str()));
    assert_eq!(m.get("subscription"), Some("t1"));
    assert_eq!(m.get("content-type"), Some("text/plain"));
    assert_eq!(body(&m), "across nodes");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn wildcard_and_slash_topics_map_onto_amqp_words() {
    let a = node(App::new()).await;
    let b = node(App::new()).await;
    let room = unique("room");
    let mut sub = a.client().await;
    sub.subscribe("all", &format!("/topic/{room}/**"), "auto")
        .await;
    let mut publisher = b.client().await;
    publisher.send(&format!("/topic/{room}/a/b"), "deep").await;
    let m = sub.recv_message().await;
    assert_eq!(m.get("subscription"), Some("all"));
    // `/` and `.` are one separator on the broker: the match comes back dotted.
    assert_eq!(
        m.get("destination"),
        Some(format!("/topic/{room}.a.b").as_str())
    );
    assert_eq!(body(&m), "deep");
    // A glob inside a word has no AMQP equivalent: a clear ERROR, not a silent mismatch.
    let mut bad = b.client().await;
    bad.send_raw(format!("SUBSCRIBE\nid:x\ndestination:/topic/{room}.ro*m\n\n\0").as_bytes())
        .await;
    let e = bad.expect_error_and_close().await;
    assert!(
        e.get("message")
            .unwrap_or_default()
            .contains("cannot be expressed"),
        "{e:?}"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn queue_messages_are_delivered_once_across_nodes() {
    let a = node(App::new()).await;
    let b = node(App::new()).await;
    let queue = format!("/queue/{}", unique("work"));
    let mut on_a = a.client().await;
    let mut on_b = b.client().await;
    on_a.subscribe("q", &queue, "auto").await;
    on_b.subscribe("q", &queue, "auto").await;
    let mut publisher = a.client().await;
    const N: usize = 40;
    for i in 0..N {
        publisher.send(&queue, &format!("job-{i}")).await;
    }
    let mut seen = Vec::new();
    let (mut from_a, mut from_b) = (0, 0);
    while seen.len() < N {
        tokio::select! {
            m = on_a.recv_message() => { from_a += 1; seen.push(body(&m).to_owned()); }
            m = on_b.recv_message() => { from_b += 1; seen.push(body(&m).to_owned()); }
        }
    }
    let distinct: HashSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), N, "each job exactly once: {seen:?}");
    // RabbitMQ round-robins between the two consumers: both nodes took work.
    assert!(from_a > 0 && from_b > 0, "a={from_a} b={from_b}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn client_acks_and_receipts_pass_through_to_the_broker() {
    let a = node(App::new()).await;
    let b = node(App::new()).await;
    let queue = format!("/queue/{}", unique("acks"));
    let mut consumer = b.client().await;
    consumer.subscribe("c", &queue, "client-individual").await;
    let mut publisher = a.client().await;
    publisher.send(&queue, "first").await;
    publisher.send(&queue, "second").await;
    let m1 = consumer.recv_message().await;
    let m2 = consumer.recv_message().await;
    assert_eq!((body(&m1), body(&m2)), ("first", "second"));
    let ack = m1.get("ack").expect("1.2 MESSAGE has an ack header");
    // The RECEIPT for the ACK comes from the broker, under the client's receipt id.
    let before = consumer
        .call(Frame::new(Command::Ack).header("id", ack.to_owned()))
        .await;
    assert!(before.is_empty(), "{before:?}");
    // Leaving with "second" unacknowledged: the broker gives it to the next consumer, on the
    // other node, marked redelivered; "first" was acknowledged and does not come back.
    consumer.disconnect().await;
    let mut next = a.client().await;
    next.subscribe("n", &queue, "client").await;
    let again = next.recv_message().await;
    assert_eq!(body(&again), "second");
    assert_eq!(again.get("redelivered"), Some("true"));
    assert_eq!(again.get("destination"), Some(queue.as_str()));
    next.call(
        Frame::new(Command::Ack).header("id", again.get("ack").unwrap_or_default().to_owned()),
    )
    .await;
    // Nothing else is waiting: a fresh message arrives next, not a duplicate of "first".
    publisher.send(&queue, "third").await;
    assert_eq!(body(&next.recv_message().await), "third");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn transactions_release_their_frames_to_the_broker_at_commit() {
    let a = node(App::new()).await;
    let b = node(App::new()).await;
    let topic = format!("/topic/{}", unique("tx"));
    let mut sub = b.client().await;
    sub.subscribe("s", &topic, "auto").await;
    let mut c = a.client().await;
    c.call(Frame::new(Command::Begin).header("transaction", "t1"))
        .await;
    for body in ["one", "two"] {
        c.send_frame(
            &Frame::new(Command::Send)
                .header("destination", topic.clone())
                .header("transaction", "t1")
                .body(body),
        )
        .await;
    }
    c.call(Frame::new(Command::Abort).header("transaction", "t1"))
        .await;
    c.call(Frame::new(Command::Begin).header("transaction", "t2"))
        .await;
    // Held until COMMIT: its receipt comes then, before the COMMIT's.
    c.send_frame(
        &Frame::new(Command::Send)
            .header("destination", topic.clone())
            .header("transaction", "t2")
            .header("receipt", "held")
            .body("committed"),
    )
    .await;
    let before = c
        .call(Frame::new(Command::Commit).header("transaction", "t2"))
        .await;
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(before[0].get("receipt-id"), Some("held"));
    // The aborted transaction's messages never reached the broker.
    assert_eq!(body(&sub.recv_message().await), "committed");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn user_destinations_reach_every_session_of_the_user_on_every_node() {
    let a = node(App::new()).await;
    let b = node(App::new()).await;
    let user = unique("alice");
    let login = [
        ("accept-version", "1.2"),
        ("host", "localhost"),
        ("login", user.as_str()),
    ];
    let mut on_a = Client::connect_with(a.tcp, &login).await;
    let mut on_b = Client::connect_with(b.tcp, &login).await;
    on_a.subscribe("u", "/user/queue/inbox", "auto").await;
    on_b.subscribe("u", "/user/queue/inbox", "auto").await;
    let mut other = Client::connect_with(b.tcp, &[("accept-version", "1.2"), ("host", "x")]).await;
    // Someone else's inbox is not ours.
    other.subscribe("u", "/user/queue/inbox", "auto").await;
    // A wildcard subscriber on every topic must not read users' messages.
    let mut eavesdropper = b.client().await;
    eavesdropper.subscribe("all", "/topic/**", "auto").await;
    let mut sender = a.client().await;
    sender
        .send(&format!("/user/{user}/queue/inbox"), "for alice")
        .await;
    for c in [&mut on_a, &mut on_b] {
        let m = c.recv_message().await;
        assert_eq!(m.get("destination"), Some("/user/queue/inbox"));
        assert_eq!(body(&m), "for alice");
    }
    // Application code on a node reaches the user on both nodes too (system connection).
    a.server
        .broker_handle()
        .send_to_user(&user, "/queue/inbox", &Default::default(), "from the app")
        .expect("queued for the broker");
    for c in [&mut on_a, &mut on_b] {
        assert_eq!(body(&c.recv_message().await), "from the app");
    }
    let marker = format!("/topic/{}", unique("marker"));
    sender.send(&marker, "marker").await;
    loop {
        let m = eavesdropper.recv_message().await;
        assert!(
            !body(&m).contains("alice") && !body(&m).contains("from the app"),
            "{m:?}"
        );
        if body(&m) == "marker" && m.get("destination") == Some(marker.as_str()) {
            break;
        }
    }
    // The stranger got neither: its next message is one sent to it.
    let stranger = other
        .connected
        .as_ref()
        .and_then(|f| f.get("session"))
        .expect("CONNECTED names the session")
        .to_owned();
    sender
        .send(&format!("/user/{stranger}/queue/inbox"), "for the stranger")
        .await;
    assert_eq!(body(&other.recv_message().await), "for the stranger");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn app_handlers_run_locally_and_their_replies_go_through_the_broker() {
    let a = node(demo_app(None)).await;
    let b = node(demo_app(None)).await;
    let mut listener = b.client().await;
    listener.subscribe("g", "/topic/greetings", "auto").await;
    let mut c = a.client().await;
    c.subscribe("err", "/user/queue/errors", "auto").await;
    c.send("/app/greeting", "Ada").await;
    let m = listener.recv_message().await;
    assert_eq!(body(&m), "Hello, Ada!");
    // A handler error reaches the session's /user/queue/errors, through the broker.
    c.send("/app/fail", "boom").await;
    let e = c.recv_message().await;
    assert_eq!(e.get("destination"), Some("/user/queue/errors"));
    assert!(body(&e).contains("boom"), "{e:?}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn nodes_relay_over_tls_to_the_brokers_tls_listener() {
    require_broker().await;
    let a = node_over_tls(App::new()).await;
    let b = node_over_tls(App::new()).await;
    let topic = format!("/topic/{}.tls", unique("relay"));
    let mut sub = a.client().await;
    sub.subscribe("t", &topic, "auto").await;
    let mut publisher = b.client().await;
    publisher.send(&topic, "encrypted both ways").await;
    let m = sub.recv_message().await;
    assert_eq!(body(&m), "encrypted both ways");
    assert!(a.server.relay().expect("relaying").is_connected());
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_client_of_an_unreachable_broker_gets_a_clear_error() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let s = node_with_broker(App::new(), &format!("127.0.0.1:{port}")).await;
    let mut c = Client::raw(s.tcp).await;
    let reply = c
        .handshake(&[("accept-version", "1.2"), ("host", "localhost")])
        .await;
    assert_eq!(reply.command, Command::Error, "{reply:?}");
    assert_eq!(reply.get("message"), Some("message broker unavailable"));
    assert!(body(&reply).contains(&port.to_string()), "{reply:?}");
    assert!(c.recv_or_eof().await.is_none(), "closed after the ERROR");
    s.stop().await;
}

#[tokio::test]
async fn broker_errors_reach_the_client_and_end_its_session() {
    require_broker().await;
    let mut config = test_config();
    config.relay.enabled = true;
    config.relay.broker = broker();
    config
        .destinations
        .broker_prefixes
        .push("/amq/queue".into());
    config.destinations.queue_prefixes.push("/amq/queue".into());
    let a = TestServer::start(config, App::new()).await;
    let mut c = a.client().await;
    // `/amq/queue/…` names a queue that must already exist: the broker answers with an ERROR.
    c.send_frame(
        &Frame::new(Command::Subscribe)
            .header("id", "missing")
            .header("destination", format!("/amq/queue/{}", unique("missing")))
            .header("receipt", "r-missing"),
    )
    .await;
    let e = c.expect_error_and_close().await;
    assert_eq!(e.get("message"), Some("not_found"), "{e:?}");
    a.stop().await;
}

/// A real external client: stomp.py (over TCP) subscribed on node A receives what our codec
/// client publishes on node B.
#[tokio::test]
async fn stomp_py_on_one_node_receives_from_the_other() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let a = node(App::new()).await;
    let b = node(App::new()).await;
    let topic = format!("/topic/{}", unique("py"));
    let script = r#"
import sys, threading, stomp
got = threading.Event()
class L(stomp.ConnectionListener):
    def on_receipt(self, frame):
        print("ready", flush=True)
    def on_message(self, frame):
        print("message " + frame.headers["destination"] + " " + frame.body, flush=True)
        got.set()
c = stomp.Connection12([("127.0.0.1", int(sys.argv[1]))])
c.set_listener("", L())
c.connect(wait=True)
c.subscribe(destination=sys.argv[2], id="py", ack="auto", headers={"receipt": "sub"})
sys.exit(0 if got.wait(20) else 1)
"#;
    let mut child = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(a.tcp.port().to_string())
        .arg(&topic)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 with stomp.py (pip install -r tools/requirements.txt)");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .expect("stomp.py subscribed in time")
        .expect("read stdout");
    assert_eq!(
        first.as_deref(),
        Some("ready"),
        "stomp.py did not subscribe"
    );
    let mut publisher = b.client().await;
    publisher.send(&topic, "hello python").await;
    let line = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .expect("stomp.py got the message in time")
        .expect("read stdout");
    assert_eq!(line, Some(format!("message {topic} hello python")));
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .expect("stomp.py exits")
        .expect("wait");
    assert!(status.success(), "{status:?}");
    a.stop().await;
    b.stop().await;
}
