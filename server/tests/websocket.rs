//! STOMP over WebSocket: subprotocols, text and binary messages, frames split across messages and
//! several frames per message, origin checks; static files on the same listener.

mod common;

use common::*;
use futures_util::{SinkExt, StreamExt};
use stomp_wasm::{Command, Decoded, Decoder, Frame};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(
    s: &TestServer,
    protocols: Option<&str>,
    origin: Option<&str>,
) -> Result<(Ws, Option<String>), u16> {
    let mut req = format!("ws://{}/ws", s.http).into_client_request().unwrap();
    if let Some(p) = protocols {
        req.headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_str(p).unwrap());
    }
    if let Some(o) = origin {
        req.headers_mut()
            .insert("Origin", HeaderValue::from_str(o).unwrap());
    }
    match connect_async(req).await {
        Ok((ws, resp)) => {
            let proto = resp
                .headers()
                .get("Sec-WebSocket-Protocol")
                .map(|v| v.to_str().unwrap().to_owned());
            Ok((ws, proto))
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

/// Reads WebSocket messages until one whole STOMP frame is decoded (heart-beats skipped).
async fn next_frame(ws: &mut Ws, decoder: &mut Decoder) -> Option<(Frame, bool)> {
    let mut binary = false;
    loop {
        match next_item(ws, decoder).await? {
            (Decoded::Frame(f), b) => return Some((f, binary || b)),
            (Decoded::Heartbeat, b) => binary |= b,
        }
    }
}

/// Reads WebSocket messages until a frame or a heart-beat is decoded; whether a binary message
/// came meanwhile.
async fn next_item(ws: &mut Ws, decoder: &mut Decoder) -> Option<(Decoded, bool)> {
    let mut binary = false;
    loop {
        if let Some(item) = decoder.decode().unwrap() {
            return Some((item, binary));
        }
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("in time")?;
        match msg.ok()? {
            Message::Text(t) => decoder.feed(t.as_bytes()),
            Message::Binary(b) => {
                binary = true;
                decoder.feed(&b)
            }
            Message::Close(_) => return None,
            _ => {}
        }
    }
}

#[tokio::test]
async fn subprotocol_negotiation_and_a_full_exchange_over_text_frames() {
    let s = TestServer::start_default().await;
    let (mut ws, proto) = open(&s, Some("v10.stomp, v11.stomp, v12.stomp"), None)
        .await
        .unwrap();
    assert_eq!(proto.as_deref(), Some("v12.stomp"));
    let mut d = Decoder::default();
    ws.send(Message::text(
        "CONNECT\naccept-version:1.2\nhost:localhost\n\n\0",
    ))
    .await
    .unwrap();
    let (connected, _) = next_frame(&mut ws, &mut d).await.unwrap();
    assert_eq!(connected.command, Command::Connected);
    ws.send(Message::text(
        "SUBSCRIBE\nid:0\ndestination:/topic/ws\n\n\0SEND\ndestination:/topic/ws\n\nover ws\0",
    ))
    .await
    .unwrap();
    let (m, binary) = next_frame(&mut ws, &mut d).await.unwrap();
    assert_eq!(m.command, Command::Message);
    assert_eq!(m.body_str(), Some("over ws"));
    assert!(!binary, "UTF-8 frames go out as text");
    s.stop().await;
}

#[tokio::test]
async fn older_subprotocol_is_selected_when_only_it_is_offered() {
    let s = TestServer::start_default().await;
    let (_, proto) = open(&s, Some("v11.stomp"), None).await.unwrap();
    assert_eq!(proto.as_deref(), Some("v11.stomp"));
    let (_, proto) = open(&s, None, None).await.unwrap();
    assert_eq!(proto, None);
    s.stop().await;
}

#[tokio::test]
async fn binary_messages_frames_split_across_messages_and_binary_bodies() {
    let s = TestServer::start_default().await;
    let (mut ws, _) = open(&s, Some("v12.stomp"), None).await.unwrap();
    let mut d = Decoder::default();
    ws.send(Message::binary(
        &b"CONNECT\naccept-version:1.2\nhost:x\n\n\0"[..],
    ))
    .await
    .unwrap();
    assert_eq!(
        next_frame(&mut ws, &mut d).await.unwrap().0.command,
        Command::Connected
    );
    // One SUBSCRIBE split over three messages, text and binary mixed.
    ws.send(Message::text("SUBSCRIBE\nid:0\ndest"))
        .await
        .unwrap();
    ws.send(Message::binary(&b"ination:/topic/bin\nreceipt:r"[..]))
        .await
        .unwrap();
    ws.send(Message::text("\n\n\0")).await.unwrap();
    let (r, _) = next_frame(&mut ws, &mut d).await.unwrap();
    assert_eq!(r.command, Command::Receipt);
    let mut send = b"SEND\ndestination:/topic/bin\ncontent-length:4\n\n".to_vec();
    send.extend_from_slice(&[0, 159, 146, 150]);
    send.push(0);
    ws.send(Message::binary(send)).await.unwrap();
    let (m, binary) = next_frame(&mut ws, &mut d).await.unwrap();
    assert_eq!(&m.body[..], &[0, 159, 146, 150]);
    assert!(binary, "non-UTF-8 frames go out as binary");
    s.stop().await;
}

#[tokio::test]
async fn websocket_and_tcp_clients_share_the_broker() {
    let s = TestServer::start_default().await;
    let (mut ws, _) = open(&s, Some("v12.stomp"), None).await.unwrap();
    let mut d = Decoder::default();
    ws.send(Message::text(
        "CONNECT\naccept-version:1.2\nhost:x\n\n\0SUBSCRIBE\nid:0\ndestination:/queue/mixed\nreceipt:r\n\n\0",
    ))
    .await
    .unwrap();
    assert_eq!(
        next_frame(&mut ws, &mut d).await.unwrap().0.command,
        Command::Connected
    );
    assert_eq!(
        next_frame(&mut ws, &mut d).await.unwrap().0.command,
        Command::Receipt
    );
    let mut tcp = s.client().await;
    tcp.send("/queue/mixed", "from tcp").await;
    let (m, _) = next_frame(&mut ws, &mut d).await.unwrap();
    assert_eq!(m.body_str(), Some("from tcp"));
    s.stop().await;
}

#[tokio::test]
async fn protocol_errors_over_websocket_close_the_socket() {
    let s = TestServer::start_default().await;
    let (mut ws, _) = open(&s, Some("v12.stomp"), None).await.unwrap();
    let mut d = Decoder::default();
    ws.send(Message::text("BOGUS\n\n\0")).await.unwrap();
    let (e, _) = next_frame(&mut ws, &mut d).await.unwrap();
    assert_eq!(e.command, Command::Error);
    assert!(next_frame(&mut ws, &mut d).await.is_none(), "closed");
    s.stop().await;
}

/// Opens a `v12.stomp` WebSocket and connects with these extra CONNECT header lines.
async fn connected(s: &TestServer, extra: &str) -> (Ws, Decoder, Frame) {
    let (mut ws, _) = open(s, Some("v12.stomp"), None).await.unwrap();
    let mut d = Decoder::default();
    let connect = format!("CONNECT\naccept-version:1.2\nhost:x\n{extra}\n\0");
    ws.send(Message::text(connect)).await.unwrap();
    let (f, _) = next_frame(&mut ws, &mut d).await.unwrap();
    assert_eq!(f.command, Command::Connected, "{f:?}");
    (ws, d, f)
}

/// Issue 16, over WebSocket: a NUL in a header is refused and nothing of it is forwarded; a
/// stray NUL before a command (an empty frame) is skipped.
#[tokio::test]
async fn nul_in_a_header_is_refused_and_a_stray_nul_is_skipped_over_websocket() {
    let s = TestServer::start_default().await;
    let (mut ws, mut d, _) = connected(&s, "").await;
    ws.send(Message::text(
        "\n\0SUBSCRIBE\nid:0\ndestination:/topic/ws-nul\nreceipt:r\n\n\0",
    ))
    .await
    .unwrap();
    let (receipt, _) = next_frame(&mut ws, &mut d).await.unwrap();
    assert_eq!(receipt.command, Command::Receipt, "{receipt:?}");

    let (mut bad, mut bad_d, _) = connected(&s, "").await;
    bad.send(Message::text(
        "SEND\ndestination:/topic/ws-nul\nx:x\0MESSAGE\ndestination:/topic/ws-nul\n\nforged\0",
    ))
    .await
    .unwrap();
    let (e, _) = next_frame(&mut bad, &mut bad_d).await.unwrap();
    assert_eq!(e.command, Command::Error);
    assert_eq!(
        e.get("message"),
        Some("NUL byte in a command or header line")
    );
    assert!(next_frame(&mut bad, &mut bad_d).await.is_none(), "closed");

    ws.send(Message::text("SEND\ndestination:/topic/ws-nul\n\nclean\0"))
        .await
        .unwrap();
    let (m, _) = next_frame(&mut ws, &mut d).await.unwrap();
    assert_eq!(m.body_str(), Some("clean"), "{m:?}");
    s.stop().await;
}

/// Issue 16, over WebSocket (where stompjs runs): the server heart-beats at the client's rate
/// and drops a client silent past `tolerance` of its own interval.
#[tokio::test]
async fn heart_beats_follow_the_clients_rates_over_websocket() {
    let mut config = test_config();
    config.heartbeat.min_ms = 100;
    config.heartbeat.tolerance = 2;
    let s = TestServer::start(config, stomp_server::App::new()).await;
    let (mut ws, mut d, connected) = connected(&s, "heart-beat:300,200\n").await;
    assert_eq!(connected.get("heart-beat"), Some("200,300"));
    let (item, _) = next_item(&mut ws, &mut d).await.unwrap();
    assert_eq!(item, Decoded::Heartbeat, "the server beats at our 200 ms");
    // We never beat: dropped after 2 × 300 ms.
    let (e, _) = next_frame(&mut ws, &mut d).await.unwrap();
    assert_eq!(e.command, Command::Error);
    assert!(e.get("message").unwrap().contains("heart-beat"), "{e:?}");
    assert!(next_frame(&mut ws, &mut d).await.is_none(), "closed");
    s.stop().await;
}

#[tokio::test]
async fn foreign_origins_are_refused_localhost_and_configured_ones_allowed() {
    let mut config = test_config();
    config.security.allowed_origins = vec!["https://app.example".into()];
    let s = TestServer::start(config, stomp_server::App::new()).await;
    assert_eq!(
        open(&s, None, Some("https://evil.example")).await.err(),
        Some(403)
    );
    assert!(open(&s, None, Some("http://localhost:3000")).await.is_ok());
    assert!(open(&s, None, Some("https://app.example")).await.is_ok());
    let same = format!("http://{}", s.http);
    assert!(open(&s, None, Some(&same)).await.is_ok());
    s.stop().await;
}

#[tokio::test]
async fn static_files_are_served_and_a_missing_dir_does_not_crash() {
    let dir = std::env::temp_dir().join(format!("stomp-server-www-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<h1>demo</h1>").unwrap();
    let mut config = test_config();
    config.www = dir;
    let s = TestServer::start(config, stomp_server::App::new()).await;
    let page = http_get(s.http, "/index.html").await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.ends_with("<h1>demo</h1>"));
    assert!(http_get(s.http, "/nope.txt")
        .await
        .starts_with("HTTP/1.1 404"));
    s.stop().await;

    let s = TestServer::start_default().await; // www does not exist
    assert!(http_get(s.http, "/").await.starts_with("HTTP/1.1 404"));
    s.stop().await;
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut out = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut out))
        .await
        .unwrap()
        .unwrap();
    out
}
