//! The chat application (`stomp_server::demo`) end to end: an in-process server on port 0, and
//! STOMP clients made of the shared codec over TCP.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::BytesMut;
use serde_json::Value;
use stomp_server::app::App;
use stomp_server::{demo, Config, Listeners};
use stomp_wasm::{Command, Decoded, Decoder, Encoder, Frame, Limits, Version};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// How long to wait for a frame before calling the test failed (a hang guard, not a
/// measurement).
const FRAME_WAIT: Duration = Duration::from_secs(10);

/// A running server; dropping it shuts the server down.
struct TestServer {
    addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

async fn start() -> TestServer {
    let tcp = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = tcp.local_addr().expect("local addr");
    let listeners = Listeners {
        tcp: Some(tcp),
        http: None,
        ..Default::default()
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let app = demo::install(App::new());
    tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        if let Err(e) = stomp_server::run(listeners, Config::default(), app, shutdown).await {
            panic!("server failed: {e}");
        }
    });
    TestServer { addr, _stop: stop }
}

/// A STOMP 1.2 client over TCP, built from the codec.
struct Peer {
    stream: TcpStream,
    decoder: Decoder,
    encoder: Encoder,
    session: String,
    next_receipt: u32,
}

impl Peer {
    async fn connect(server: &TestServer) -> Peer {
        let stream = TcpStream::connect(server.addr).await.expect("connect");
        let mut peer = Peer {
            stream,
            decoder: Decoder::new(Limits::default()),
            encoder: Encoder::new(Version::V1_2),
            session: String::new(),
            next_receipt: 0,
        };
        peer.send(
            Frame::new(Command::Connect)
                .header("accept-version", "1.2")
                .header("host", "localhost")
                .header("heart-beat", "0,0"),
        )
        .await;
        let connected = peer.next().await;
        assert_eq!(connected.command, Command::Connected, "{connected:?}");
        peer.decoder.set_version(Version::V1_2);
        peer.session = connected
            .get("session")
            .expect("CONNECTED carries the session id")
            .to_owned();
        peer
    }

    async fn send(&mut self, frame: Frame) {
        let mut out = BytesMut::new();
        self.encoder.encode(&frame, &mut out);
        self.stream.write_all(&out).await.expect("write");
    }

    /// Sends `frame` with a receipt and waits for it: the server has handled the frame (and any
    /// messages it produced for this peer were queued before the RECEIPT).
    async fn send_sync(&mut self, frame: Frame) {
        self.next_receipt += 1;
        let id = format!("r{}", self.next_receipt);
        self.send(frame.header("receipt", id.clone())).await;
        let receipt = self.next().await;
        assert_eq!(receipt.command, Command::Receipt, "{receipt:?}");
        assert_eq!(receipt.get("receipt-id"), Some(id.as_str()));
    }

    async fn subscribe(&mut self, id: &str, destination: &str) {
        self.send_sync(
            Frame::new(Command::Subscribe)
                .header("id", id.to_owned())
                .header("destination", destination.to_owned()),
        )
        .await;
    }

    async fn publish(&mut self, destination: &str, body: &str) {
        self.send(
            Frame::new(Command::Send)
                .header("destination", destination.to_owned())
                .header("content-type", "application/json")
                .body(body.to_owned()),
        )
        .await;
    }

    /// The next frame (heart-beats skipped).
    async fn next(&mut self) -> Frame {
        let mut buf = [0u8; 8192];
        loop {
            match self
                .decoder
                .decode()
                .expect("server sent a decodable frame")
            {
                Some(Decoded::Frame(f)) => return f,
                Some(Decoded::Heartbeat) => continue,
                None => {}
            }
            let n = tokio::time::timeout(FRAME_WAIT, self.stream.read(&mut buf))
                .await
                .expect("a frame within the wait")
                .expect("read");
            assert!(n > 0, "server closed the connection");
            self.decoder.feed(&buf[..n]);
        }
    }

    /// The next MESSAGE, its subscription checked, its body parsed as JSON.
    async fn message(&mut self, subscription: &str) -> (Frame, Value) {
        let frame = self.next().await;
        assert_eq!(frame.command, Command::Message, "{frame:?}");
        assert_eq!(frame.get("subscription"), Some(subscription), "{frame:?}");
        let body: Value = serde_json::from_slice(&frame.body).expect("JSON body");
        (frame, body)
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn nicks(event: &Value) -> Vec<&str> {
    event["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["nick"].as_str().expect("nick"))
        .collect()
}

#[tokio::test]
async fn messages_are_stamped_and_broadcast_to_the_room() {
    let server = start().await;
    let mut alice = Peer::connect(&server).await;
    let mut bob = Peer::connect(&server).await;
    alice.subscribe("room", "/topic/chat/room/general").await;
    alice.subscribe("other", "/topic/chat/room/rust").await;

    let before = now_ms();
    bob.publish(
        "/app/chat/room/general",
        r#"{"nick":"  bob\u202e \n","text":"  hello\u0000 world  ","ts":1,"session":"forged"}"#,
    )
    .await;
    let (frame, msg) = alice.message("room").await;
    let after = now_ms();

    assert_eq!(frame.get("content-type"), Some("application/json"));
    assert_eq!(frame.get("destination"), Some("/topic/chat/room/general"));
    assert_eq!(msg["type"], "message");
    assert_eq!(msg["room"], "general");
    assert_eq!(msg["nick"], "bob");
    assert_eq!(msg["text"], "hello world");
    // Stamped by the server, whatever the sender claimed.
    assert_eq!(msg["session"], bob.session.as_str());
    let ts = msg["ts"].as_u64().expect("ts");
    assert!(
        (before..=after).contains(&ts),
        "{before} <= {ts} <= {after}"
    );

    // A second message gets a later sequence number; a plain-text body is the message.
    bob.send(
        Frame::new(Command::Send)
            .header("destination", "/app/chat/room/general")
            .body("plain text"),
    )
    .await;
    let (_, second) = alice.message("room").await;
    assert_eq!(second["text"], "plain text");
    assert!(second["nick"].as_str().expect("nick").starts_with("guest-"));
    assert!(second["id"].as_u64() > msg["id"].as_u64());

    // Nothing leaked to the other room: the next frame is the receipt, not a message.
    alice
        .send_sync(Frame::new(Command::Send).header("destination", "/topic/void"))
        .await;
}

#[tokio::test]
async fn presence_follows_joins_renames_leaves_and_disconnects() {
    let server = start().await;
    let mut alice = Peer::connect(&server).await;
    let mut bob = Peer::connect(&server).await;
    alice.subscribe("p", "/topic/chat/room/rust/presence").await;
    alice.subscribe("m", "/topic/chat/room/rust").await;

    alice
        .publish("/app/chat/room/rust/join", r#"{"nick":"ada"}"#)
        .await;
    let (_, join) = alice.message("p").await;
    assert_eq!(join["type"], "join");
    assert_eq!(join["nick"], "ada");
    assert_eq!(join["session"], alice.session.as_str());
    assert_eq!(nicks(&join), ["ada"]);

    bob.publish("/app/chat/room/rust/join", r#"{"nick":"Bob"}"#)
        .await;
    let (_, join) = alice.message("p").await;
    assert_eq!(join["nick"], "Bob");
    assert_eq!(nicks(&join), ["ada", "Bob"]);

    // A member speaks under its joined nickname, not the one in the body.
    bob.publish("/app/chat/room/rust", r#"{"nick":"ada","text":"hi"}"#)
        .await;
    let (_, msg) = alice.message("m").await;
    assert_eq!(msg["nick"], "Bob");

    bob.publish("/app/chat/room/rust/join", r#"{"nick":"bobby"}"#)
        .await;
    let (_, rename) = alice.message("p").await;
    assert_eq!(rename["type"], "rename");
    assert_eq!(rename["previous"], "Bob");
    assert_eq!(nicks(&rename), ["ada", "bobby"]);

    // The roster, once, on SUBSCRIBE /app/chat/room/rust/members.
    bob.send(
        Frame::new(Command::Subscribe)
            .header("id", "roster")
            .header("destination", "/app/chat/room/rust/members"),
    )
    .await;
    let (_, roster) = bob.message("roster").await;
    let names: Vec<&str> = roster
        .as_array()
        .expect("array")
        .iter()
        .map(|m| m["nick"].as_str().expect("nick"))
        .collect();
    assert_eq!(names, ["ada", "bobby"]);

    // Explicit leave, then join again, then the connection drops.
    bob.publish("/app/chat/room/rust/leave", "{}").await;
    let (_, leave) = alice.message("p").await;
    assert_eq!(leave["type"], "leave");
    assert_eq!(leave["nick"], "bobby");
    assert_eq!(nicks(&leave), ["ada"]);

    bob.publish("/app/chat/room/rust/join", "bob again").await;
    let (_, join) = alice.message("p").await;
    assert_eq!(join["nick"], "bob again");

    drop(bob);
    let (_, gone) = alice.message("p").await;
    assert_eq!(gone["type"], "leave");
    assert_eq!(gone["nick"], "bob again");
    assert_eq!(nicks(&gone), ["ada"]);
}

#[tokio::test]
async fn welcome_answers_each_subscriber_once() {
    let server = start().await;
    let mut alice = Peer::connect(&server).await;
    let mut bob = Peer::connect(&server).await;
    alice.publish("/app/chat/room/lobby-2/join", "ada").await;
    // alice is not subscribed to the presence topic: a receipted frame orders things.
    alice
        .send_sync(Frame::new(Command::Send).header("destination", "/topic/void"))
        .await;

    bob.send(
        Frame::new(Command::Subscribe)
            .header("id", "w")
            .header("destination", "/app/welcome"),
    )
    .await;
    let (frame, welcome) = bob.message("w").await;
    assert_eq!(frame.get("destination"), Some("/app/welcome"));
    assert_eq!(welcome["session"], bob.session.as_str());
    assert!(!welcome["motd"].as_str().expect("motd").is_empty());
    let rooms: Vec<(&str, u64)> = welcome["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().expect("id"),
                r["members"].as_u64().expect("n"),
            )
        })
        .collect();
    assert_eq!(
        rooms,
        [
            ("general", 0),
            ("rust", 0),
            ("wasm", 0),
            ("random", 0),
            ("lobby-2", 1)
        ]
    );

    // Once: the next frame bob gets is the receipt of a later frame, not a second welcome.
    bob.send_sync(Frame::new(Command::Send).header("destination", "/topic/void"))
        .await;
}

#[tokio::test]
async fn bad_requests_get_an_error_on_the_senders_error_queue() {
    let server = start().await;
    let mut alice = Peer::connect(&server).await;
    let mut bob = Peer::connect(&server).await;
    alice.subscribe("errors", "/user/queue/errors").await;
    bob.subscribe("errors", "/user/queue/errors").await;

    alice
        .publish("/app/chat/room/Not-Valid", r#"{"text":"hi"}"#)
        .await;
    let frame = alice.next().await;
    assert_eq!(frame.command, Command::Message, "{frame:?}");
    assert_eq!(frame.get("subscription"), Some("errors"));
    let text = frame.body_str().expect("text");
    assert!(text.contains("invalid room name"), "{text}");

    alice
        .publish("/app/chat/room/general", r#"{"text":"  \u0007 "}"#)
        .await;
    let frame = alice.next().await;
    assert_eq!(frame.get("subscription"), Some("errors"));
    assert!(frame.body_str().expect("text").contains("empty message"));

    // The connection survives, and only the sender heard about its mistakes.
    alice
        .send_sync(Frame::new(Command::Send).header("destination", "/topic/void"))
        .await;
    bob.send_sync(Frame::new(Command::Send).header("destination", "/topic/void"))
        .await;
}

#[tokio::test]
async fn a_session_is_bounded_in_rooms() {
    let server = start().await;
    let mut alice = Peer::connect(&server).await;
    alice.subscribe("errors", "/user/queue/errors").await;
    for i in 0..demo::MAX_ROOMS_PER_SESSION {
        alice
            .publish(&format!("/app/chat/room/r{i}/join"), "ada")
            .await;
    }
    alice
        .publish("/app/chat/room/one-too-many/join", "ada")
        .await;
    let frame = alice.next().await;
    assert_eq!(frame.get("subscription"), Some("errors"));
    assert!(frame.body_str().expect("text").contains("rooms at most"));

    // Leaving one makes room for another.
    alice.publish("/app/chat/room/r0/leave", "").await;
    alice
        .subscribe("p", "/topic/chat/room/one-more/presence")
        .await;
    alice.publish("/app/chat/room/one-more/join", "ada").await;
    let (_, join) = alice.message("p").await;
    assert_eq!(join["type"], "join");
}

#[tokio::test]
async fn history_fills_the_gap_of_a_page_that_was_away_and_keeps_cids() {
    let server = start().await;
    // bob posts while nobody is subscribed (alice is reconnecting, say).
    let mut bob = Peer::connect(&server).await;
    bob.publish(
        "/app/chat/room/away",
        r#"{"nick":"bob","text":"one","cid":"bob-1"}"#,
    )
    .await;
    // A cid that is not an id is dropped, not echoed.
    bob.publish(
        "/app/chat/room/away",
        r#"{"nick":"bob","text":"two","cid":"<img src=x>"}"#,
    )
    .await;
    bob.send_sync(
        Frame::new(Command::Send)
            .header("destination", "/app/chat/room/away")
            .body(r#"{"nick":"bob","text":"three","cid":"bob-3"}"#),
    )
    .await;

    let mut alice = Peer::connect(&server).await;
    alice
        .send(
            Frame::new(Command::Subscribe)
                .header("id", "h")
                .header("destination", "/app/chat/room/away/history"),
        )
        .await;
    let (_, history) = alice.message("h").await;
    assert_eq!(history["room"], "away");
    let messages = history["messages"].as_array().expect("messages");
    let texts: Vec<&str> = messages
        .iter()
        .map(|m| m["text"].as_str().expect("text"))
        .collect();
    assert_eq!(texts, ["one", "two", "three"]);
    assert_eq!(messages[0]["cid"], "bob-1");
    assert!(messages[1].get("cid").is_none(), "{:?}", messages[1]);
    assert_eq!(messages[2]["cid"], "bob-3");
    assert_eq!(messages[0]["session"], bob.session.as_str());
}

#[tokio::test]
async fn history_is_bounded_per_room() {
    let server = start().await;
    let mut bob = Peer::connect(&server).await;
    let total = demo::HISTORY_PER_ROOM + 5;
    for i in 0..total {
        bob.publish("/app/chat/room/busy", &format!(r#"{{"text":"m{i}"}}"#))
            .await;
    }
    bob.send(
        Frame::new(Command::Subscribe)
            .header("id", "h")
            .header("destination", "/app/chat/room/busy/history"),
    )
    .await;
    let (_, history) = bob.message("h").await;
    let texts: Vec<String> = history["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["text"].as_str().expect("text").to_owned())
        .collect();
    let expected: Vec<String> = (total - demo::HISTORY_PER_ROOM..total)
        .map(|i| format!("m{i}"))
        .collect();
    assert_eq!(
        texts,
        expected,
        "the newest {} kept",
        demo::HISTORY_PER_ROOM
    );
}
