//! The listeners against peers that hold connections without using them (issue 16, item 3):
//! silent HTTP connections, slowloris request heads, stalled request bodies and silent STOMP
//! TCP peers are closed by the server after the configured timeouts, while HTTP and WebSocket
//! clients keep being served meanwhile.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use stomp_server::{App, Config, Listeners, Server};
use stomp_wasm::{Command, Decoded, Decoder, Frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Idle HTTP connections this test opens at once (bounded: 127.0.0.1 only).
const IDLE_CONNECTIONS: usize = 50;

/// Short timeouts so the tests see them fire.
fn short_timeouts() -> Config {
    let mut config = test_config();
    config.limits.http_header_timeout_ms = 300;
    config.sockjs.heartbeat_ms = 200;
    config.limits.http_idle_timeout_ms = 600;
    config.limits.connect_timeout_ms = 300;
    config
}

/// Reads until the server closes the connection (EOF or reset); returns what it sent.
async fn until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(WAIT, stream.read(&mut buf))
            .await
            .expect("the server closes the connection in time")
        {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// One HTTP/1.1 request on a new connection; the response's status line.
async fn http_get(addr: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let response = until_closed(&mut stream).await;
    let text = String::from_utf8_lossy(&response);
    text.lines().next().unwrap_or_default().to_owned()
}

async fn ws_connect(http: SocketAddr) -> (Ws, Decoder) {
    let mut request = format!("ws://{http}/ws").into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("v12.stomp"),
    );
    let (mut ws, _) = tokio::time::timeout(WAIT, connect_async(request))
        .await
        .expect("upgrade in time")
        .expect("upgrade");
    let mut decoder = Decoder::default();
    ws.send(Message::text(
        "CONNECT\naccept-version:1.2\nhost:localhost\n\n\0",
    ))
    .await
    .unwrap();
    assert_eq!(
        ws_frame(&mut ws, &mut decoder).await.command,
        Command::Connected
    );
    (ws, decoder)
}

async fn ws_frame(ws: &mut Ws, decoder: &mut Decoder) -> Frame {
    loop {
        if let Some(Decoded::Frame(f)) = decoder.decode().unwrap() {
            return f;
        }
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a message in time")
            .expect("open")
            .expect("a message");
        match message {
            Message::Text(t) => decoder.feed(t.as_bytes()),
            Message::Binary(b) => decoder.feed(&b),
            Message::Close(c) => panic!("closed: {c:?}"),
            _ => {}
        }
    }
}

/// SEND to `destination` over the WebSocket and receive it back on subscription `sub`.
async fn ws_round_trip(ws: &mut Ws, decoder: &mut Decoder, sub: &str, body: &str) {
    let send = format!("SEND\ndestination:/topic/{sub}\n\n{body}\0");
    ws.send(Message::text(send)).await.unwrap();
    let message = ws_frame(ws, decoder).await;
    assert_eq!(message.command, Command::Message, "{message:?}");
    assert_eq!(message.body_str(), Some(body));
}

#[tokio::test]
async fn silent_http_connections_are_closed_while_clients_keep_working() {
    let s = TestServer::start(short_timeouts(), App::new()).await;
    let mut idle = Vec::new();
    for _ in 0..IDLE_CONNECTIONS {
        idle.push(TcpStream::connect(s.http).await.unwrap());
    }
    // Served meanwhile: a WebSocket STOMP client and plain HTTP requests.
    let (mut ws, mut decoder) = ws_connect(s.http).await;
    ws.send(Message::text(
        "SUBSCRIBE\nid:0\ndestination:/topic/alive\nreceipt:r\n\n\0",
    ))
    .await
    .unwrap();
    assert_eq!(
        ws_frame(&mut ws, &mut decoder).await.command,
        Command::Receipt
    );
    ws_round_trip(&mut ws, &mut decoder, "alive", "before").await;
    assert_eq!(http_get(s.http, "/missing").await, "HTTP/1.1 404 Not Found");

    for stream in &mut idle {
        let sent = until_closed(stream).await;
        assert!(
            !sent.starts_with(b"HTTP/1.1 2"),
            "no response to a request never sent: {:?}",
            String::from_utf8_lossy(&sent)
        );
    }
    // The upgraded WebSocket was as silent as they were, for longer than both HTTP timeouts:
    // it is the STOMP session's to time out (no heart-beats were negotiated), not the HTTP
    // listener's.
    tokio::time::sleep(Duration::from_millis(900)).await;
    ws_round_trip(&mut ws, &mut decoder, "alive", "after").await;
    assert_eq!(http_get(s.http, "/missing").await, "HTTP/1.1 404 Not Found");
    s.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_its_response() {
    let s = TestServer::start(short_timeouts(), App::new()).await;
    let mut stream = TcpStream::connect(s.http).await.unwrap();
    let request = format!("GET /missing HTTP/1.1\r\nHost: {}\r\n\r\n", s.http);
    stream.write_all(request.as_bytes()).await.unwrap();
    let sent = until_closed(&mut stream).await;
    assert!(
        sent.starts_with(b"HTTP/1.1 404"),
        "{:?}",
        String::from_utf8_lossy(&sent)
    );
    s.stop().await;
}

#[tokio::test]
async fn a_slowloris_request_head_is_closed() {
    let s = TestServer::start(short_timeouts(), App::new()).await;
    let mut stream = TcpStream::connect(s.http).await.unwrap();
    let head = format!("GET / HTTP/1.1\r\nHost: {}\r\nX-Slow: ", s.http);
    stream.write_all(head.as_bytes()).await.unwrap();
    // One byte of the header value every 50 ms, never the end of the head: the server must close
    // the connection although bytes keep coming.
    let (mut read, mut write) = stream.into_split();
    let dribble = tokio::spawn(async move {
        let mut sent = 0usize;
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        while write.write_all(b"a").await.is_ok() {
            sent += 1;
            tick.tick().await;
            if sent > 1_000 {
                break;
            }
        }
        sent
    });
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(WAIT, read.read_to_end(&mut answer))
        .await
        .expect("the server closes the slow connection in time");
    dribble.abort();
    assert!(
        closed.is_err() || !answer.starts_with(b"HTTP/1.1 2"),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    s.stop().await;
}

/// A server whose HTTP listener also has `POST /upload`, which reads the whole body.
async fn with_upload_route(config: Config) -> (SocketAddr, Server, tokio::task::JoinHandle<()>) {
    let server = Server::new(config, App::new()).unwrap();
    let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = http.local_addr().unwrap();
    let upload = axum::Router::new().route(
        "/upload",
        axum::routing::post(|body: bytes::Bytes| async move { format!("{} bytes", body.len()) }),
    );
    let listeners = Listeners {
        http: Some(http),
        ..Listeners::default()
    };
    let s = server.clone();
    let task = tokio::spawn(async move {
        s.serve(listeners, Some(upload), std::future::pending())
            .await
            .unwrap();
    });
    (addr, server, task)
}

#[tokio::test]
async fn a_stalled_request_body_is_closed_and_a_whole_one_is_served() {
    let (addr, server, task) = with_upload_route(short_timeouts()).await;
    let mut stalled = TcpStream::connect(addr).await.unwrap();
    let head = format!("POST /upload HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 1000\r\n\r\n");
    stalled.write_all(head.as_bytes()).await.unwrap();
    stalled.write_all(&[b'x'; 10]).await.unwrap();

    let mut whole = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /upload HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
    );
    whole.write_all(request.as_bytes()).await.unwrap();
    let answer = String::from_utf8(until_closed(&mut whole).await).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("5 bytes"), "{answer}");

    let sent = until_closed(&mut stalled).await;
    assert!(
        sent.is_empty(),
        "no response to a body never finished: {:?}",
        String::from_utf8_lossy(&sent)
    );
    server.shutdown();
    tokio::time::timeout(WAIT, task).await.unwrap().unwrap();
}

#[tokio::test]
async fn a_silent_stomp_tcp_peer_is_closed_after_the_connect_timeout() {
    let s = TestServer::start(short_timeouts(), App::new()).await;
    let mut silent = Client::raw(s.tcp).await;
    let mut working = s.client().await;
    working.subscribe("0", "/topic/t", "auto").await;
    // The silent peer gets an ERROR (no CONNECT in time), then the connection closes.
    let error = silent.expect_error_and_close().await;
    assert!(
        error.get("message").unwrap_or_default().contains("CONNECT"),
        "{error:?}"
    );
    working.send("/topic/t", "still served").await;
    assert_eq!(body(&working.recv_message().await), "still served");
    s.stop().await;
}
