//! STOMP over SockJS against the real broker: the same session as over TCP and WebSocket,
//! reached through the SockJS transports at `endpoints.sockjs` (`/stomp`), including the
//! base64 convention for binary bodies.

mod common;
mod sockjs_util;

use std::collections::VecDeque;
use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use sockjs_util::{get, post, session_url, WAIT};
use stomp_server::{App, Listeners, Server};
use stomp_wasm::sockjs::{self, SockJsFrame};
use stomp_wasm::{Command, Decoded, Decoder, Encoder, Frame, Version};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

struct Broker {
    tcp: SocketAddr,
    http: SocketAddr,
}

async fn start() -> Broker {
    start_with(common::test_config()).await
}

async fn start_with(config: stomp_server::Config) -> Broker {
    let server = Server::builder(config)
        .app(App::new())
        .build()
        .expect("server builds");
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let broker = Broker {
        tcp: tcp.local_addr().unwrap(),
        http: http.local_addr().unwrap(),
    };
    let routes = stomp_server::sockjs::stomp::routes(&server, false);
    tokio::spawn(async move {
        let listeners = Listeners {
            tcp: Some(tcp),
            http: Some(http),
            ..Default::default()
        };
        server
            .serve(listeners, Some(routes), std::future::pending())
            .await
            .expect("server runs");
    });
    broker
}

/// One STOMP frame as a SockJS message, binary bodies in base64.
fn to_message(frame: &Frame) -> String {
    let frame = sockjs::encode_body_for_text(frame).unwrap_or_else(|| frame.clone());
    String::from_utf8(Encoder::new(Version::V1_2).encode_to_bytes(&frame).to_vec())
        .expect("text frame")
}

/// Decodes the STOMP frames of received SockJS messages (heart-beats skipped).
fn frames_of(decoder: &mut Decoder, messages: Vec<String>, out: &mut VecDeque<Frame>) {
    for m in messages {
        decoder.feed(m.as_bytes());
        while let Some(d) = decoder.decode().expect("valid STOMP") {
            if let Decoded::Frame(f) = d {
                out.push_back(sockjs::decode_body_from_text(f).expect("valid base64"));
            }
        }
    }
}

/// A STOMP client over SockJS's `websocket` transport.
struct WsClient {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    decoder: Decoder,
    frames: VecDeque<Frame>,
}

impl WsClient {
    async fn connect(addr: SocketAddr) -> WsClient {
        let url = format!("ws://{addr}{}/websocket", session_url("/stomp"));
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .expect("bounded")
            .expect("connects");
        let mut c = WsClient {
            ws,
            decoder: Decoder::default(),
            frames: VecDeque::new(),
        };
        assert_eq!(c.next_sockjs().await, SockJsFrame::Open);
        c.send(
            &Frame::new(Command::Connect)
                .header("accept-version", "1.2")
                .header("host", "localhost"),
        )
        .await;
        assert_eq!(c.recv().await.command, Command::Connected);
        c
    }

    async fn next_sockjs(&mut self) -> SockJsFrame {
        loop {
            let m = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("bounded");
            if let Some(Ok(Message::Text(t))) = m {
                return SockJsFrame::parse(t.as_str()).expect("SockJS frame");
            }
            assert!(
                matches!(m, Some(Ok(Message::Ping(_) | Message::Pong(_)))),
                "{m:?}"
            );
        }
    }

    async fn send(&mut self, frame: &Frame) {
        let mut array = String::new();
        sockjs::json::encode_string_array_into(&[to_message(frame)], &mut array);
        self.ws.send(Message::text(array)).await.expect("send");
    }

    async fn recv(&mut self) -> Frame {
        loop {
            if let Some(f) = self.frames.pop_front() {
                return f;
            }
            match self.next_sockjs().await {
                SockJsFrame::Messages(m) => frames_of(&mut self.decoder, m, &mut self.frames),
                SockJsFrame::Heartbeat => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}

/// A STOMP client over xhr polling + xhr_send.
struct XhrClient {
    http: SocketAddr,
    url: String,
    decoder: Decoder,
    frames: VecDeque<Frame>,
}

impl XhrClient {
    async fn connect(http: SocketAddr) -> XhrClient {
        let url = session_url("/stomp");
        assert_eq!(post(http, &format!("{url}/xhr"), "").await.body, "o\n");
        let mut c = XhrClient {
            http,
            url,
            decoder: Decoder::default(),
            frames: VecDeque::new(),
        };
        c.send(
            &Frame::new(Command::Connect)
                .header("accept-version", "1.2")
                .header("host", "localhost"),
        )
        .await;
        assert_eq!(c.recv().await.command, Command::Connected);
        c
    }

    async fn send(&mut self, frame: &Frame) {
        let mut array = String::new();
        sockjs::json::encode_string_array_into(&[to_message(frame)], &mut array);
        let r = post(self.http, &format!("{}/xhr_send", self.url), &array).await;
        assert_eq!(r.status(), 204, "{}", r.body);
    }

    async fn recv(&mut self) -> Frame {
        loop {
            if let Some(f) = self.frames.pop_front() {
                return f;
            }
            let r = post(self.http, &format!("{}/xhr", self.url), "").await;
            match SockJsFrame::parse(&r.body).expect("SockJS frame") {
                SockJsFrame::Messages(m) => frames_of(&mut self.decoder, m, &mut self.frames),
                SockJsFrame::Heartbeat => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}

fn subscribe(id: &str, destination: &str) -> Frame {
    Frame::new(Command::Subscribe)
        .header("id", id.to_owned())
        .header("destination", destination.to_owned())
        .header("receipt", format!("sub-{id}"))
}

#[tokio::test]
async fn stomp_over_xhr_polling_subscribes_publishes_and_receives() {
    let broker = start().await;
    let mut c = XhrClient::connect(broker.http).await;
    c.send(&subscribe("0", "/topic/xhr")).await;
    let r = c.recv().await;
    assert_eq!(
        (r.command, r.get("receipt-id")),
        (Command::Receipt, Some("sub-0"))
    );
    c.send(
        &Frame::new(Command::Send)
            .header("destination", "/topic/xhr")
            .body("hello \u{2028} world"),
    )
    .await;
    let m = c.recv().await;
    assert_eq!(m.command, Command::Message);
    assert_eq!(m.get("destination"), Some("/topic/xhr"));
    assert_eq!(m.body_str(), Some("hello \u{2028} world"));
}

#[tokio::test]
async fn stomp_over_sockjs_websocket_reaches_tcp_peers_and_back() {
    let broker = start().await;
    let mut ws = WsClient::connect(broker.http).await;
    let mut tcp = common::Client::connect(broker.tcp).await;
    tcp.subscribe("t", "/topic/mix", "auto").await;
    ws.send(&subscribe("w", "/topic/mix")).await;
    assert_eq!(ws.recv().await.command, Command::Receipt);

    ws.send(
        &Frame::new(Command::Send)
            .header("destination", "/topic/mix")
            .body("from sockjs"),
    )
    .await;
    assert_eq!(tcp.recv_message().await.body_str(), Some("from sockjs"));
    assert_eq!(ws.recv().await.body_str(), Some("from sockjs"));

    tcp.send("/topic/mix", "from tcp").await;
    assert_eq!(ws.recv().await.body_str(), Some("from tcp"));
}

#[tokio::test]
async fn binary_bodies_cross_sockjs_as_base64_both_ways() {
    let broker = start().await;
    let binary: Vec<u8> = vec![0xff, 0x00, 0xfe, 0x80, b'a', 0x00];
    let mut ws = WsClient::connect(broker.http).await;
    let mut tcp = common::Client::connect(broker.tcp).await;
    tcp.subscribe("t", "/topic/bin", "auto").await;
    ws.send(&subscribe("w", "/topic/bin")).await;
    assert_eq!(ws.recv().await.command, Command::Receipt);

    // SockJS → TCP: the TCP peer gets the raw bytes, no transfer-encoding header.
    ws.send(
        &Frame::new(Command::Send)
            .header("destination", "/topic/bin")
            .body(binary.clone()),
    )
    .await;
    let m = tcp.recv_message().await;
    assert_eq!(&m.body[..], &binary[..]);
    assert_eq!(m.get(sockjs::binary::TRANSFER_ENCODING_HEADER), None);
    // And the SockJS subscriber itself got it back intact through the convention.
    assert_eq!(&ws.recv().await.body[..], &binary[..]);

    // TCP → SockJS: on the wire it is base64 with the header (checked by hand here).
    let mut xhr = XhrClient::connect(broker.http).await;
    xhr.send(&subscribe("x", "/topic/bin")).await;
    assert_eq!(xhr.recv().await.command, Command::Receipt);
    tcp.send_frame(
        &Frame::new(Command::Send)
            .header("destination", "/topic/bin")
            .body(binary.clone()),
    )
    .await;
    let raw = loop {
        let r = post(xhr.http, &format!("{}/xhr", xhr.url), "").await;
        if let SockJsFrame::Messages(m) = SockJsFrame::parse(&r.body).unwrap() {
            break m;
        }
    };
    assert!(
        raw[0].contains("content-transfer-encoding:base64"),
        "{raw:?}"
    );
    assert!(raw[0].contains(&sockjs::binary::base64_encode(&binary)));
    frames_of(&mut xhr.decoder, raw, &mut xhr.frames);
    assert_eq!(&xhr.recv().await.body[..], &binary[..]);
}

#[tokio::test]
async fn disconnect_closes_the_sockjs_session() {
    let broker = start().await;
    let mut c = XhrClient::connect(broker.http).await;
    c.send(&Frame::new(Command::Disconnect).header("receipt", "bye"))
        .await;
    let r = c.recv().await;
    assert_eq!(
        (r.command, r.get("receipt-id")),
        (Command::Receipt, Some("bye"))
    );
    // The next poll (or the one after, if the close was queued behind the receipt) says closed.
    let mut closes = 0;
    for _ in 0..2 {
        let body = post(c.http, &format!("{}/xhr", c.url), "").await.body;
        match SockJsFrame::parse(&body).expect("frame") {
            SockJsFrame::Close { code: 1000, .. } => closes += 1,
            SockJsFrame::Messages(m) => assert!(m.iter().all(|s| s == "\n"), "{m:?}"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(closes >= 1);
    // Until it expires (5 s), a closed session still accepts sends and drops them.
    let r = post(c.http, &format!("{}/xhr_send", c.url), r#"["x"]"#).await;
    assert_eq!(r.status(), 204);
    let body = post(c.http, &format!("{}/xhr", c.url), "").await.body;
    assert_eq!(body, "c[1000,\"Normal closure\"]\n");
}

#[tokio::test]
async fn sockjs_websocket_off_in_the_config_leaves_only_the_http_transports() {
    let mut config = common::test_config();
    config.sockjs.websocket = false;
    let broker = start_with(config).await;
    let info = get(broker.http, "/stomp/info").await;
    assert_eq!(info.status(), 200);
    let body = info.body;
    assert!(body.contains("\"websocket\":false"), "{body}");
    let ws = get(broker.http, &format!("{}/websocket", session_url("/stomp"))).await;
    assert_eq!(ws.status(), 404);
    let raw = get(broker.http, "/stomp/websocket").await;
    assert_eq!(raw.status(), 404);
    // The HTTP transports still carry STOMP.
    let url = session_url("/stomp");
    let open = post(broker.http, &format!("{url}/xhr"), "").await;
    assert_eq!(open.body, "o\n");
}

#[tokio::test]
async fn cookie_needed_in_the_config_sets_jsessionid_for_sticky_balancers() {
    let mut config = common::test_config();
    config.sockjs.cookie_needed = true;
    let broker = start_with(config).await;
    let info = get(broker.http, "/stomp/info").await;
    assert!(
        info.body.contains("\"cookie_needed\":true"),
        "{}",
        info.body
    );
    let open = post(broker.http, &format!("{}/xhr", session_url("/stomp")), "").await;
    assert_eq!(open.body, "o\n");
    let cookie = open.header("set-cookie").unwrap_or_default();
    assert!(cookie.starts_with("JSESSIONID="), "{cookie:?}");
}
