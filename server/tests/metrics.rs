//! `/metrics` and `/healthz` on the metrics listener: a scripted session over TCP, WebSocket and
//! SockJS (xhr_streaming), then the exact counts and gauges it must have left; and a health
//! check that fails while the relay cannot reach its broker.

mod common;
mod sockjs_util;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use common::{test_config, Client, WAIT};
use futures_util::{SinkExt, StreamExt};
use stomp_server::auth::StaticAuthenticator;
use stomp_server::{App, Config, Listeners, Server};
use stomp_wasm::{Command, Decoded, Decoder, Encoder, Frame, Version};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

struct Addrs {
    tcp: SocketAddr,
    http: SocketAddr,
    metrics: SocketAddr,
}

/// A server with TCP, HTTP (WebSocket and SockJS) and metrics listeners on 127.0.0.1:0; user
/// `alice:secret`, anonymous logins allowed.
async fn start(config: Config) -> Addrs {
    let users = HashMap::from([("alice".to_owned(), "secret".to_owned())]);
    let server = Server::builder(config)
        .app(App::new())
        .authenticator(StaticAuthenticator::with_users(users, true))
        .build()
        .expect("server builds");
    let bind = || TcpListener::bind("127.0.0.1:0");
    let (tcp, http, metrics) = (
        bind().await.unwrap(),
        bind().await.unwrap(),
        bind().await.unwrap(),
    );
    let addrs = Addrs {
        tcp: tcp.local_addr().unwrap(),
        http: http.local_addr().unwrap(),
        metrics: metrics.local_addr().unwrap(),
    };
    let routes = stomp_server::sockjs::stomp::routes(&server, false);
    tokio::spawn(async move {
        let listeners = Listeners {
            tcp: Some(tcp),
            http: Some(http),
            metrics: Some(metrics),
            ..Listeners::default()
        };
        server
            .serve(listeners, Some(routes), std::future::pending())
            .await
            .expect("server runs");
    });
    addrs
}

/// The samples of a Prometheus text exposition, keyed by `name{labels}` as written.
fn parse(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            Some((key.to_owned(), value.parse().ok()?))
        })
        .collect()
}

async fn scrape(addr: SocketAddr) -> HashMap<String, f64> {
    let r = sockjs_util::get(addr, "/metrics").await;
    assert_eq!(r.head.status, 200);
    assert!(
        r.head
            .header("content-type")
            .unwrap_or("")
            .starts_with("text/plain; version=0.0.4"),
        "{:?}",
        r.head
    );
    parse(&r.body)
}

/// Scrapes until `key` has `value` (what closing connections leave settles asynchronously);
/// returns that scrape.
async fn scrape_until(addr: SocketAddr, key: &str, value: f64) -> HashMap<String, f64> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let m = scrape(addr).await;
        if m.get(key) == Some(&value) || tokio::time::Instant::now() > deadline {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[track_caller]
fn check(m: &HashMap<String, f64>, expected: &[(&str, f64)]) {
    let wrong: Vec<String> = expected
        .iter()
        .filter(|(k, v)| m.get(*k) != Some(v))
        .map(|(k, v)| format!("{k}: expected {v}, got {:?}", m.get(*k)))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// A STOMP client over WebSocket that keeps the size of every frame it receives (one frame per
/// WebSocket message from this server).
struct WsClient {
    ws: Ws,
    encoder: Encoder,
    sent: Vec<(Command, usize)>,
}

impl WsClient {
    async fn connect(http: SocketAddr, headers: &[(&str, &str)]) -> WsClient {
        let mut req = format!("ws://{http}/ws").into_client_request().unwrap();
        req.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("v12.stomp"),
        );
        let (ws, _) = connect_async(req).await.expect("WebSocket opens");
        let mut c = WsClient {
            ws,
            encoder: Encoder::new(Version::V1_2),
            sent: Vec::new(),
        };
        let mut connect = Frame::new(Command::Connect)
            .header("accept-version", "1.2")
            .header("host", "localhost");
        for (n, v) in headers {
            connect.headers.push(n.to_string(), v.to_string());
        }
        c.send(&connect).await;
        assert_eq!(c.recv().await.0.command, Command::Connected);
        c
    }

    async fn send(&mut self, frame: &Frame) {
        let bytes = self.encoder.encode_to_bytes(frame);
        self.sent.push((frame.command, bytes.len()));
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        self.ws.send(Message::Text(text.into())).await.unwrap();
    }

    /// The next frame and its size in bytes.
    async fn recv(&mut self) -> (Frame, usize) {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a frame in time")
                .expect("open")
                .expect("valid WebSocket");
            let data = match msg {
                Message::Text(t) => t.as_bytes().to_vec(),
                Message::Binary(b) => b.to_vec(),
                _ => continue,
            };
            let mut d = Decoder::default();
            d.feed(&data);
            if let Some(Decoded::Frame(f)) = d.decode().unwrap() {
                return (f, data.len());
            }
        }
    }

    /// Sends `frame` with a receipt and waits for the RECEIPT.
    async fn call(&mut self, frame: Frame, receipt: &str) {
        self.send(&frame.header("receipt", receipt.to_owned()))
            .await;
        let (f, _) = self.recv().await;
        assert_eq!(f.command, Command::Receipt, "{f:?}");
    }
}

fn subscribe(id: &str, destination: &str, ack: &str) -> Frame {
    Frame::new(Command::Subscribe)
        .header("id", id.to_owned())
        .header("destination", destination.to_owned())
        .header("ack", ack.to_owned())
}

/// Sizes of `command` frames in `sent`.
fn bytes_of(sent: &[(Command, usize)], command: Command) -> f64 {
    sent.iter()
        .filter(|(c, _)| *c == command)
        .map(|(_, n)| *n as f64)
        .sum()
}

/// Opens a SockJS xhr_streaming session and CONNECTs over it.
async fn sockjs_connect(http: SocketAddr) -> sockjs_util::Http {
    let url = sockjs_util::session_url("/stomp");
    let (head, mut stream) =
        sockjs_util::open_stream(http, "POST", &format!("{url}/xhr_streaming"), &[]).await;
    assert_eq!(head.status, 200);
    let mut opened = String::new();
    while !opened.contains("o\n") {
        opened.push_str(&stream.chunk_text().await.expect("prelude and open frame"));
    }
    let connect = "CONNECT\naccept-version:1.2\nhost:localhost\n\n\0";
    let body = serde_json::to_string(&[connect]).unwrap();
    let sent = sockjs_util::post(http, &format!("{url}/xhr_send"), &body).await;
    assert_eq!(sent.head.status, 204);
    let reply = stream.chunk_text().await.expect("CONNECTED");
    assert!(reply.starts_with("a[\"CONNECTED"), "{reply}");
    stream
}

#[tokio::test]
async fn a_scripted_session_leaves_exact_counts() {
    let mut config = test_config();
    // A client asking for heart-beats every 100 ms is dropped after 200 ms of silence.
    config.heartbeat.receive_ms = 50;
    config.heartbeat.tolerance = 2;
    let s = start(config).await;

    // Two WebSocket subscribers: alice with a topic and a client-ack queue subscription, an
    // anonymous one on the topic.
    let mut alice = WsClient::connect(s.http, &[("login", "alice"), ("passcode", "secret")]).await;
    alice.call(subscribe("t", "/topic/t", "auto"), "r1").await;
    alice
        .call(subscribe("w", "/queue/work", "client"), "r2")
        .await;
    let mut anon = WsClient::connect(s.http, &[]).await;
    anon.call(subscribe("t", "/topic/t", "auto"), "r3").await;

    // A TCP publisher: 5 to the topic, 3 to the queue, 2 to a queue nobody reads.
    let mut publisher = Client::connect(s.tcp).await;
    let encoder = Encoder::new(Version::V1_2);
    let mut sends = Vec::new();
    for (destination, n) in [("/topic/t", 5), ("/queue/work", 3), ("/queue/backlog", 2)] {
        for i in 0..n {
            let f = Frame::new(Command::Send)
                .header("destination", destination)
                .body(format!("message {i} to {destination}"));
            sends.push((Command::Send, encoder.encode_to_bytes(&f).len()));
            publisher.send_frame(&f).await;
        }
    }
    publisher.sync().await;
    let mut delivered = Vec::new();
    for _ in 0..8 {
        let (f, n) = alice.recv().await;
        assert_eq!(f.command, Command::Message, "{f:?}");
        delivered.push((f.command, n));
    }
    for _ in 0..5 {
        let (f, n) = anon.recv().await;
        assert_eq!(f.command, Command::Message, "{f:?}");
        delivered.push((f.command, n));
    }

    // A wrong password, and a client that goes silent past its heart-beat interval.
    let mut intruder = Client::raw(s.tcp).await;
    let refused = intruder
        .handshake(&[
            ("accept-version", "1.2"),
            ("host", "localhost"),
            ("login", "alice"),
            ("passcode", "wrong"),
        ])
        .await;
    assert_eq!(refused.command, Command::Error);
    assert!(intruder.recv_or_eof().await.is_none());
    let mut silent = Client::raw(s.tcp).await;
    let hb = [
        ("accept-version", "1.2"),
        ("host", "localhost"),
        ("heart-beat", "100,0"),
    ];
    assert_eq!(silent.handshake(&hb).await.command, Command::Connected);
    silent.expect_error_and_close().await;

    let _sockjs = sockjs_connect(s.http).await;

    let m = scrape_until(s.metrics, "stomp_open_connections{transport=\"tcp\"}", 1.0).await;
    let subscribes = [alice.sent.as_slice(), anon.sent.as_slice()].concat();
    check(
        &m,
        &[
            ("stomp_connections_total{transport=\"tcp\"}", 3.0),
            ("stomp_connections_total{transport=\"ws\"}", 2.0),
            (
                "stomp_connections_total{transport=\"sockjs-xhr_streaming\"}",
                1.0,
            ),
            ("stomp_open_connections{transport=\"tcp\"}", 1.0),
            ("stomp_open_connections{transport=\"ws\"}", 2.0),
            (
                "stomp_open_connections{transport=\"sockjs-xhr_streaming\"}",
                1.0,
            ),
            ("stomp_sessions{transport=\"tcp\"}", 1.0),
            ("stomp_sessions{transport=\"ws\"}", 2.0),
            ("stomp_sessions{transport=\"sockjs-xhr_streaming\"}", 1.0),
            (
                "stomp_connects_total{transport=\"tcp\",result=\"accepted\"}",
                2.0,
            ),
            (
                "stomp_connects_total{transport=\"tcp\",result=\"refused\"}",
                1.0,
            ),
            (
                "stomp_connects_total{transport=\"ws\",result=\"accepted\"}",
                2.0,
            ),
            (
                "stomp_connects_total{transport=\"ws\",result=\"refused\"}",
                0.0,
            ),
            ("stomp_auth_failures_total{transport=\"tcp\"}", 1.0),
            ("stomp_auth_failures_total{transport=\"ws\"}", 0.0),
            ("stomp_deliveries_total{transport=\"ws\"}", 13.0),
            ("stomp_deliveries_total{transport=\"tcp\"}", 0.0),
            ("stomp_frames_received_total{command=\"CONNECT\"}", 6.0),
            ("stomp_frames_received_total{command=\"SEND\"}", 10.0),
            (
                "stomp_bytes_received_total{command=\"SEND\"}",
                bytes_of(&sends, Command::Send),
            ),
            ("stomp_frames_received_total{command=\"SUBSCRIBE\"}", 3.0),
            (
                "stomp_bytes_received_total{command=\"SUBSCRIBE\"}",
                bytes_of(&subscribes, Command::Subscribe),
            ),
            ("stomp_frames_received_total{command=\"UNSUBSCRIBE\"}", 1.0),
            ("stomp_frames_sent_total{command=\"CONNECTED\"}", 5.0),
            ("stomp_frames_sent_total{command=\"MESSAGE\"}", 13.0),
            (
                "stomp_bytes_sent_total{command=\"MESSAGE\"}",
                bytes_of(&delivered, Command::Message),
            ),
            ("stomp_frames_sent_total{command=\"RECEIPT\"}", 4.0),
            ("stomp_frames_sent_total{command=\"ERROR\"}", 2.0),
            ("stomp_heartbeat_timeouts_total", 1.0),
            ("stomp_slow_consumer_closes_total", 0.0),
            ("stomp_slow_consumer_drops_total", 0.0),
            ("stomp_queue_depth{queue=\"/queue/backlog\"}", 2.0),
            ("stomp_queue_consumers{queue=\"/queue/backlog\"}", 0.0),
            ("stomp_queue_depth{queue=\"/queue/work\"}", 0.0),
            ("stomp_queue_unacked{queue=\"/queue/work\"}", 3.0),
            ("stomp_queue_consumers{queue=\"/queue/work\"}", 1.0),
            ("stomp_queues", 2.0),
            ("stomp_queued_messages", 2.0),
            ("stomp_unacked_messages", 3.0),
            ("stomp_topics", 1.0),
            ("stomp_topic_subscriptions{kind=\"exact\"}", 2.0),
        ],
    );
    assert!(
        !m.keys().any(|k| k.starts_with("stomp_relay_")),
        "no relay series without a relay"
    );

    // A cumulative ACK of the last queue message settles all three.
    let last = delivered_ack_id(&mut alice).await;
    alice
        .call(Frame::new(Command::Ack).header("id", last), "r4")
        .await;
    let m = scrape(s.metrics).await;
    check(
        &m,
        &[
            ("stomp_queue_unacked{queue=\"/queue/work\"}", 0.0),
            ("stomp_unacked_messages", 0.0),
            ("stomp_frames_received_total{command=\"ACK\"}", 1.0),
        ],
    );

    let health = sockjs_util::get(s.metrics, "/healthz").await;
    assert_eq!(health.head.status, 200, "{}", health.body);
    let body: serde_json::Value = serde_json::from_str(&health.body).unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["broker"], "ok");
    assert_eq!(body["relay"], "off");
    assert_eq!(body["listening"]["tcp"], s.tcp.to_string());
    assert_eq!(body["listening"]["http"], s.http.to_string());
}

/// Sends a fresh queue message to alice and returns its `ack` id: the last of her pending ones.
async fn delivered_ack_id(alice: &mut WsClient) -> String {
    alice
        .send(
            &Frame::new(Command::Send)
                .header("destination", "/queue/work")
                .body("one more"),
        )
        .await;
    let (f, _) = alice.recv().await;
    assert_eq!(f.command, Command::Message, "{f:?}");
    f.get("ack").expect("client-ack MESSAGE has ack").to_owned()
}

#[tokio::test]
async fn health_fails_while_the_relay_cannot_reach_its_broker() {
    // A loopback port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut config = test_config();
    config.relay.enabled = true;
    config.relay.broker = format!("127.0.0.1:{port}");
    let s = start(config).await;

    let health = sockjs_util::get(s.metrics, "/healthz").await;
    assert_eq!(health.head.status, 503, "{}", health.body);
    let body: serde_json::Value = serde_json::from_str(&health.body).unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["relay"], "disconnected");
    assert_eq!(body["broker"], "ok");

    // A CONNECT needs its own broker connection: refused, and counted.
    let mut client = Client::raw(s.tcp).await;
    let reply = client
        .handshake(&[("accept-version", "1.2"), ("host", "localhost")])
        .await;
    assert_eq!(reply.command, Command::Error);
    let m = scrape(s.metrics).await;
    check(
        &m,
        &[
            ("stomp_relay_connected", 0.0),
            ("stomp_relay_session_connections", 0.0),
            ("stomp_relay_connect_failures_total", 1.0),
            (
                "stomp_connects_total{transport=\"tcp\",result=\"refused\"}",
                1.0,
            ),
        ],
    );
}
