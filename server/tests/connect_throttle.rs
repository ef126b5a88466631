//! Failed CONNECTs are limited per remote address (`security.max_failed_connects` per
//! `security.failed_connect_window_ms`): past the limit an address is refused, even with the
//! right password, until its window ends; other addresses are not affected.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use common::{test_config, TestServer, WAIT};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::Message;

const MAX_FAILURES: u32 = 3;

async fn server(window: Duration) -> TestServer {
    let dir = std::env::temp_dir().join(format!("stomp-server-throttle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let users = dir.join(format!("users-{}.txt", window.as_millis()));
    std::fs::write(&users, "zoe:right\n").expect("users file");
    let mut config = test_config();
    config.security.users_file = Some(users);
    config.security.max_failed_connects = MAX_FAILURES;
    config.security.failed_connect_window_ms = window.as_millis() as u64;
    TestServer::start_with_sockjs(config).await
}

fn connect_frame(passcode: &str) -> String {
    format!("CONNECT\naccept-version:1.2\nhost:x\nlogin:zoe\npasscode:{passcode}\n\n\0")
}

/// One CONNECT over TCP from `source`: the answer's command and `message` header.
async fn attempt(server: SocketAddr, source: Ipv4Addr, passcode: &str) -> (String, String) {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(IpAddr::V4(source), 0))
        .expect("bind a loopback source address");
    let mut stream = tokio::time::timeout(WAIT, socket.connect(server))
        .await
        .expect("bounded")
        .expect("connect");
    stream
        .write_all(connect_frame(passcode).as_bytes())
        .await
        .expect("write");
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.contains(&0) {
        let n = tokio::time::timeout(WAIT, stream.read(&mut buf))
            .await
            .expect("bounded")
            .expect("read");
        assert!(n > 0, "closed before answering: {answer:?}");
        answer.extend_from_slice(&buf[..n]);
    }
    parse(&String::from_utf8_lossy(&answer))
}

fn parse(frame: &str) -> (String, String) {
    let mut lines = frame.lines();
    let command = lines.next().unwrap_or("").to_owned();
    let message = lines
        .find_map(|l| l.strip_prefix("message:"))
        .unwrap_or("")
        .to_owned();
    (command, message)
}

/// One CONNECT over `/ws` (from 127.0.0.1).
async fn attempt_ws(http: SocketAddr, passcode: &str) -> (String, String) {
    let (mut ws, _) = tokio::time::timeout(
        WAIT,
        tokio_tungstenite::connect_async(format!("ws://{http}/ws")),
    )
    .await
    .expect("bounded")
    .expect("websocket connects");
    ws.send(Message::text(connect_frame(passcode)))
        .await
        .expect("send");
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("bounded")
        {
            Some(Ok(Message::Text(t))) => return parse(t.as_str()),
            Some(Ok(Message::Binary(b))) => return parse(&String::from_utf8_lossy(&b)),
            Some(Ok(_)) => continue,
            other => panic!("no answer: {other:?}"),
        }
    }
}

/// One CONNECT over SockJS's WebSocket transport (from 127.0.0.1): the STOMP frame travels
/// inside SockJS's JSON array framing.
async fn attempt_sockjs(http: SocketAddr, passcode: &str) -> (String, String) {
    let url = format!("ws://{http}/stomp/000/throttle{}/websocket", passcode.len());
    let (mut ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .expect("bounded")
        .expect("websocket connects");
    let frame = serde_json::to_string(&[connect_frame(passcode)]).expect("json");
    ws.send(Message::text(frame)).await.expect("send");
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("bounded")
        {
            Some(Ok(Message::Text(t))) => match t.as_str().strip_prefix('a') {
                Some(array) => {
                    let frames: Vec<String> = serde_json::from_str(array).expect("a[...]");
                    return parse(&frames.concat());
                }
                // `o` (open) and `h` (heart-beat) come before the answer.
                None => continue,
            },
            Some(Ok(_)) => continue,
            other => panic!("no answer: {other:?}"),
        }
    }
}

const HOME: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
const NEIGHBOUR: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

#[tokio::test]
async fn wrong_passwords_get_an_address_refused_and_no_one_else() {
    let s = server(Duration::from_secs(600)).await;
    for _ in 0..MAX_FAILURES {
        let (command, message) = attempt(s.tcp, HOME, "guess").await;
        assert_eq!(
            (command.as_str(), message.as_str()),
            ("ERROR", "authentication failed")
        );
    }
    // Past the limit: refused before the credentials are looked at, the right ones too, on
    // every transport.
    for passcode in ["guess", "right"] {
        let (command, message) = attempt(s.tcp, HOME, passcode).await;
        assert_eq!(
            (command.as_str(), message.as_str()),
            ("ERROR", "too many failed logins")
        );
        let (command, message) = attempt_ws(s.http, passcode).await;
        assert_eq!(
            (command.as_str(), message.as_str()),
            ("ERROR", "too many failed logins")
        );
        let (command, message) = attempt_sockjs(s.http, passcode).await;
        assert_eq!(
            (command.as_str(), message.as_str()),
            ("ERROR", "too many failed logins")
        );
    }
    assert_eq!(s.server.login_throttle().tracked(), 1);
    // Another address logs in as before.
    let (command, _) = attempt(s.tcp, NEIGHBOUR, "right").await;
    assert_eq!(command, "CONNECTED");
}

#[tokio::test]
async fn an_address_is_let_in_again_when_its_window_ends() {
    let s = server(Duration::from_secs(2)).await;
    for _ in 0..MAX_FAILURES {
        attempt(s.tcp, HOME, "guess").await;
    }
    let (_, message) = attempt(s.tcp, HOME, "right").await;
    assert_eq!(message, "too many failed logins");
    // Refusals do not extend the window: polling with the right password gets in.
    let connected = tokio::time::timeout(WAIT, async {
        loop {
            let (command, message) = attempt(s.tcp, HOME, "right").await;
            if command == "CONNECTED" {
                return;
            }
            assert_eq!(message, "too many failed logins");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    assert!(connected.is_ok(), "let in once the window ended");
}
