//! SockJS's WebSocket side: the `websocket` transport (RFC 6455 and the legacy hixie-76
//! handshake) and the raw `/websocket` endpoint.

mod sockjs_util;

use futures_util::{SinkExt, StreamExt};
use sockjs_util::*;
use stomp_server::sockjs::SockJsConfig;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ws(addr: std::net::SocketAddr, path: &str) -> Ws {
    let (ws, _) = tokio::time::timeout(
        WAIT,
        tokio_tungstenite::connect_async(format!("ws://{addr}{path}")),
    )
    .await
    .expect("bounded")
    .expect("websocket connects");
    ws
}

/// The next message, text or close (`None` when the stream ends).
async fn next(ws: &mut Ws) -> Option<Message> {
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("bounded")
        {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(m)) => return Some(m),
            Some(Err(_)) | None => return None,
        }
    }
}

async fn text(ws: &mut Ws) -> String {
    match next(ws).await {
        Some(Message::Text(t)) => t.to_string(),
        other => panic!("expected text, got {other:?}"),
    }
}

#[tokio::test]
async fn websocket_transport_echoes_arrays_and_single_strings() {
    let addr = test_services(SockJsConfig::default()).await;
    let mut ws = ws(addr, &format!("{}/websocket", session_url("/echo"))).await;
    assert_eq!(text(&mut ws).await, "o");
    ws.send(Message::text("")).await.unwrap();
    ws.send(Message::text("[]")).await.unwrap();
    ws.send(Message::text(r#"["a","b"]"#)).await.unwrap();
    // Batched or not, both messages come back in order.
    let mut got = Vec::new();
    while got.len() < 2 {
        match stomp_wasm::sockjs::SockJsFrame::parse(&text(&mut ws).await).unwrap() {
            stomp_wasm::sockjs::SockJsFrame::Messages(m) => got.extend(m),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got, ["a", "b"]);
    ws.send(Message::text(r#""single""#)).await.unwrap();
    assert_eq!(text(&mut ws).await, r#"a["single"]"#);
}

#[tokio::test]
async fn websocket_sessions_may_share_an_id() {
    let addr = test_services(SockJsConfig::default()).await;
    let path = format!("{}/websocket", session_url("/echo"));
    let mut a = ws(addr, &path).await;
    let mut b = ws(addr, &path).await;
    assert_eq!(text(&mut a).await, "o");
    assert_eq!(text(&mut b).await, "o");
    a.send(Message::text(r#"["a"]"#)).await.unwrap();
    b.send(Message::text(r#"["b"]"#)).await.unwrap();
    assert_eq!(text(&mut a).await, r#"a["a"]"#);
    assert_eq!(text(&mut b).await, r#"a["b"]"#);
}

#[tokio::test]
async fn broken_json_ends_the_connection() {
    let addr = test_services(SockJsConfig::default()).await;
    let mut ws = ws(addr, &format!("{}/websocket", session_url("/echo"))).await;
    assert_eq!(text(&mut ws).await, "o");
    ws.send(Message::text(r#"["a"#)).await.unwrap();
    match next(&mut ws).await {
        Some(Message::Close(Some(f))) => assert_eq!(f.code, CloseCode::from(3000)),
        other => panic!("expected a close, got {other:?}"),
    }
    assert!(next(&mut ws).await.is_none());
}

#[tokio::test]
async fn close_service_sends_go_away_then_closes() {
    let addr = test_services(SockJsConfig::default()).await;
    let mut ws = ws(addr, &format!("{}/websocket", session_url("/close"))).await;
    assert_eq!(text(&mut ws).await, "o");
    assert_eq!(text(&mut ws).await, r#"c[3000,"Go away!"]"#);
    assert!(matches!(
        next(&mut ws).await,
        Some(Message::Close(_)) | None
    ));
}

#[tokio::test]
async fn non_upgrade_requests_are_refused() {
    let addr = test_services(SockJsConfig::default()).await;
    assert_eq!(get(addr, "/echo/0/0/websocket").await.status(), 400);
    let r = request(
        addr,
        "GET",
        "/echo/0/0/websocket",
        &[("Upgrade", "WebSocket"), ("Connection", "close")],
        None,
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.body.contains("Not a valid websocket request"));
    // Disabled WebSocket service: no such endpoint.
    assert_eq!(
        get(addr, "/disabled_websocket_echo/0/0/websocket")
            .await
            .status(),
        404
    );
    assert_eq!(
        get(addr, "/disabled_websocket_echo/websocket")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn rfc6455_handshake_headers() {
    let addr = test_services(SockJsConfig::default()).await;
    let mut c = Http::connect(addr).await;
    let head = c
        .request(
            "GET",
            &format!("{}/websocket", session_url("/echo")),
            "1.1",
            &[
                ("Upgrade", "websocket"),
                ("Connection", "Upgrade"),
                ("Sec-WebSocket-Version", "13"),
                ("Sec-WebSocket-Key", "x3JJHMbDL1EzLkh9GBhXDw=="),
            ],
            None,
        )
        .await;
    assert_eq!(head.status, 101);
    assert_eq!(
        head.header("sec-websocket-accept"),
        Some("HSmrc0sMlYUkAGmm5OPpG2HaGWk=")
    );
    assert_eq!(head.header("content-length"), None);
}

#[tokio::test]
async fn hixie76_handshake_answers_headers_first_then_the_md5() {
    let addr = test_services(SockJsConfig::default()).await;
    let path = format!("{}/websocket", session_url("/echo"));
    let mut c = Http::connect(addr).await;
    let head = c
        .request(
            "GET",
            &path,
            "1.1",
            &[
                ("Connection", "Upgrade"),
                ("Upgrade", "WebSocket"),
                ("Origin", "http://example.com"),
                ("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5"),
                ("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00"),
            ],
            None,
        )
        .await;
    // Headers come before key3 is sent (the HAProxy constraint).
    assert_eq!(head.status, 101);
    assert_eq!(
        head.header("upgrade")
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("websocket")
    );
    assert_eq!(
        head.header("connection")
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("upgrade")
    );
    assert_eq!(
        head.header("sec-websocket-origin"),
        Some("http://example.com")
    );
    assert_eq!(
        head.header("sec-websocket-location"),
        Some(format!("ws://127.0.0.1{path}").as_str())
    );
    assert_eq!(head.header("content-length"), None);
    c.write(b"^n:ds[4U").await;
    assert_eq!(c.read_exact(16).await, b"8jKS'y:G*Co,Wxa-");
    // Then SockJS over hixie framing.
    assert_eq!(c.read_exact(3).await, b"\x00o\xff");
    c.write(b"\x00[\"hi\"]\xff").await;
    assert_eq!(c.read_exact(9).await, b"\x00a[\"hi\"]\xff");
}

#[tokio::test]
async fn raw_websocket_carries_plain_text_and_closes_with_the_reason() {
    let addr = test_services(SockJsConfig::default()).await;
    let mut ws = ws(addr, "/echo/websocket").await;
    ws.send(Message::text("Hello world!\u{ffff}"))
        .await
        .unwrap();
    assert_eq!(text(&mut ws).await, "Hello world!\u{ffff}");

    let mut ws = self::ws(addr, "/close/websocket").await;
    match next(&mut ws).await {
        Some(Message::Close(Some(f))) => {
            assert_eq!(f.code, CloseCode::from(3000));
            assert_eq!(f.reason.as_str(), "Go away!");
        }
        other => panic!("expected close, got {other:?}"),
    }
}
