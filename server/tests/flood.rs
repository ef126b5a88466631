//! One client must not lock the others out: sessions that never CONNECT take no connection
//! place, and every place (connections, connections before CONNECT, SockJS sessions) is bounded
//! per client address as well as in total.
//!
//! Clients at other addresses are played from 127.0.0.2 (all of 127.0.0.0/8 is loopback).
//! Floods are bounded in count and talk to 127.0.0.1 only; waits are bounded guards.

mod common;
mod sockjs_util;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use common::{connect_from, test_config, Client, TestServer, WAIT};
use futures_util::{SinkExt, StreamExt};
use sockjs_util::{session_url, Http};
use stomp_server::Config;
use stomp_wasm::{Command, Decoded, Decoder, Frame};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{client_async, WebSocketStream};

const HERE: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
const ELSEWHERE: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const CONNECT: &str = "CONNECT\naccept-version:1.2\nhost:x\n\n\0";
const FROM_THIS_ADDRESS: &str = "too many connections from this address";
/// [`CONNECT`] as an `xhr_send` body.
const CONNECT_JSON: &str = r#"["CONNECT\naccept-version:1.2\nhost:x\n\n\u0000"]"#;

async fn bounded<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, f)
        .await
        .expect("bounded wait elapsed")
}

/// The test defaults with `change`; sessions live long unless `change` says otherwise, so
/// nothing expires while a test counts (a slow machine must not change a count).
fn config(change: impl FnOnce(&mut Config)) -> Config {
    let mut c = test_config();
    c.sockjs.connect_timeout_ms = 60_000;
    c.sockjs.disconnect_delay_ms = 60_000;
    change(&mut c);
    c
}

fn first_frame(bytes: &[u8]) -> Frame {
    let mut d = Decoder::default();
    d.feed(bytes);
    loop {
        match d.decode().expect("valid STOMP") {
            Some(Decoded::Frame(f)) => return f,
            Some(Decoded::Heartbeat) => {}
            None => panic!("no whole frame in {:?}", String::from_utf8_lossy(bytes)),
        }
    }
}

/// STOMP over TCP from `source`: the connection and the server's answer to CONNECT.
async fn tcp_connect(tcp: SocketAddr, source: IpAddr) -> (Client, Frame) {
    let mut client = Client::raw_from(tcp, source).await;
    let answer = client
        .handshake(&[("accept-version", "1.2"), ("host", "x")])
        .await;
    (client, answer)
}

/// STOMP over `/ws` from `source`: the socket and the server's answer to CONNECT.
async fn ws_connect(http: SocketAddr, source: IpAddr) -> (WebSocketStream<TcpStream>, Frame) {
    ws_connect_as(http, source, None).await
}

/// [`ws_connect`] through a proxy that says the client is `forwarded_for`.
async fn ws_connect_as(
    http: SocketAddr,
    source: IpAddr,
    forwarded_for: Option<&'static str>,
) -> (WebSocketStream<TcpStream>, Frame) {
    let stream = connect_from(http, source).await;
    let mut request = format!("ws://{http}/ws")
        .into_client_request()
        .expect("request");
    if let Some(client) = forwarded_for {
        request
            .headers_mut()
            .insert("x-forwarded-for", HeaderValue::from_static(client));
    }
    let (mut ws, _) = bounded(client_async(request, stream))
        .await
        .expect("WebSocket upgrade");
    ws.send(Message::text(CONNECT)).await.expect("send CONNECT");
    loop {
        match bounded(ws.next()).await {
            Some(Ok(Message::Text(t))) => return (ws, first_frame(t.as_bytes())),
            Some(Ok(Message::Binary(b))) => return (ws, first_frame(&b)),
            Some(Ok(_)) => {}
            other => panic!("no answer to CONNECT over /ws: {other:?}"),
        }
    }
}

/// A SockJS request on a keep-alive connection: status and whole body.
async fn sockjs_request(http: &mut Http, method: &str, path: &str, body: &str) -> (u16, String) {
    let head = http
        .request(method, path, "1.1", &[], Some(body.as_bytes()))
        .await;
    let body = http.body(&head).await;
    (head.status, body)
}

/// Creates a session with `transport` from `source`: its status and first body (`o\n` when
/// created).
async fn open_session(http: SocketAddr, source: IpAddr, path: &str) -> (u16, String) {
    let mut conn = Http::over(connect_from(http, source).await);
    sockjs_request(&mut conn, "POST", path, "").await
}

/// `count` session-creating `POST …/xhr` from 127.0.0.1 over `connections` keep-alive
/// connections; how many requests got each status.
async fn xhr_flood(http: SocketAddr, count: usize, connections: usize) -> HashMap<u16, usize> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..connections {
        tasks.spawn(async move {
            let mut conn = Http::connect(http).await;
            let mut statuses = Vec::new();
            for _ in 0..count / connections {
                let path = format!("{}/xhr", session_url("/stomp"));
                statuses.push(sockjs_request(&mut conn, "POST", &path, "").await.0);
            }
            statuses
        });
    }
    let mut by_status = HashMap::new();
    while let Some(statuses) = tasks.join_next().await {
        for s in statuses.expect("flood task") {
            *by_status.entry(s).or_insert(0) += 1;
        }
    }
    by_status
}

/// STOMP over SockJS xhr polling from `source`: the session's answer to CONNECT.
async fn sockjs_connect(http: SocketAddr, source: IpAddr) -> String {
    let session = session_url("/stomp");
    let mut conn = Http::over(connect_from(http, source).await);
    let (status, open) = sockjs_request(&mut conn, "POST", &format!("{session}/xhr"), "").await;
    assert_eq!((status, open.as_str()), (200, "o\n"));
    let (status, _) = sockjs_request(
        &mut conn,
        "POST",
        &format!("{session}/xhr_send"),
        CONNECT_JSON,
    )
    .await;
    assert_eq!(status, 204);
    sockjs_request(&mut conn, "POST", &format!("{session}/xhr"), "")
        .await
        .1
}

/// Polls until `done` holds (bounded).
async fn eventually(mut done: impl FnMut() -> bool) {
    bounded(async {
        while !done() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
}

#[tokio::test]
async fn a_flood_of_sockjs_sessions_leaves_tcp_ws_and_sockjs_clients_served() {
    // Few connection places: before, the flood's sessions took them all.
    let s = TestServer::start_with_sockjs(config(|c| c.limits.max_connections = 20)).await;
    let statuses = xhr_flood(s.http, 2_000, 8).await;
    let per_address = s.server.config().sockjs.max_sessions_per_address;
    assert_eq!(statuses.get(&200), Some(&per_address), "{statuses:?}");
    assert_eq!(
        statuses.get(&429),
        Some(&(2_000 - per_address)),
        "{statuses:?}"
    );
    // The flood's sessions are alive, and hold no connection place.
    assert!(s.server.connection_count() >= per_address);
    assert_eq!(s.server.connected_count(), 0);

    // Clients from the flooding address itself on TCP and /ws, ...
    let tcp = Client::connect(s.tcp).await;
    let (_ws, answer) = ws_connect(s.http, HERE).await;
    assert_eq!(answer.command, Command::Connected, "{answer:?}");
    // ... and SockJS from another address.
    let answer = sockjs_connect(s.http, ELSEWHERE).await;
    assert!(answer.starts_with("a[\"CONNECTED"), "{answer}");
    assert_eq!(s.server.connected_count(), 3);
    tcp.disconnect().await;
    s.stop().await;
}

#[tokio::test]
async fn flood_sessions_that_never_connect_expire_and_free_their_places() {
    let s = TestServer::start_with_sockjs(config(|c| {
        c.sockjs.max_sessions_per_address = 5;
        c.sockjs.connect_timeout_ms = 1_000;
        c.sockjs.disconnect_delay_ms = 1_000;
    }))
    .await;
    // One session is kept polling, to see what a session that does not CONNECT is told.
    let watched = session_url("/stomp");
    let mut conn = Http::connect(s.http).await;
    let (_, open) = sockjs_request(&mut conn, "POST", &format!("{watched}/xhr"), "").await;
    assert_eq!(open, "o\n");

    // The address fills its places (how many sessions expire meanwhile is up to the clock).
    let statuses = xhr_flood(s.http, 200, 4).await;
    assert!(statuses.get(&200) >= Some(&4), "{statuses:?}");
    assert!(statuses.get(&429) > Some(&0), "{statuses:?}");

    let (_, told) = sockjs_request(&mut conn, "POST", &format!("{watched}/xhr"), "").await;
    assert!(told.contains("no CONNECT frame in time"), "{told}");
    // Every STOMP session ends, and the address may open sessions again.
    eventually(|| s.server.connection_count() == 0).await;
    let mut reopened = 0;
    bounded(async {
        while reopened < 5 {
            let path = format!("{}/xhr", session_url("/stomp"));
            match open_session(s.http, HERE, &path).await {
                (200, _) => reopened += 1,
                (429, _) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
                other => panic!("unexpected answer {other:?}"),
            }
        }
    })
    .await;
    s.stop().await;
}

#[tokio::test]
async fn connections_are_limited_per_address_on_every_transport() {
    let s =
        TestServer::start_with_sockjs(config(|c| c.limits.max_connections_per_address = 2)).await;
    let first = Client::connect(s.tcp).await;
    let (_ws, answer) = ws_connect(s.http, HERE).await;
    assert_eq!(answer.command, Command::Connected, "{answer:?}");

    // The address holds its two places: TCP, /ws and SockJS are refused alike.
    let (mut third, e) = tcp_connect(s.tcp, HERE).await;
    assert_eq!(e.command, Command::Error, "{e:?}");
    assert_eq!(e.get("message"), Some(FROM_THIS_ADDRESS));
    assert!(third.recv_or_eof().await.is_none(), "closed after ERROR");
    let (_, e) = ws_connect(s.http, HERE).await;
    assert_eq!(e.get("message"), Some(FROM_THIS_ADDRESS));
    let refused = sockjs_connect(s.http, HERE).await;
    assert!(refused.contains(FROM_THIS_ADDRESS), "{refused}");

    // Another address is served on each of them.
    let (_elsewhere, ok) = tcp_connect(s.tcp, ELSEWHERE).await;
    assert_eq!(ok.command, Command::Connected, "{ok:?}");
    let (_ws2, ok) = ws_connect(s.http, ELSEWHERE).await;
    assert_eq!(ok.command, Command::Connected, "{ok:?}");

    // A place given back is a place for the address again.
    first.disconnect().await;
    eventually(|| s.server.connected_count() == 3).await;
    Client::connect(s.tcp).await.disconnect().await;
    s.stop().await;
}

#[tokio::test]
async fn silent_connections_are_bounded_per_address_and_take_no_connection_place() {
    let s = TestServer::start_with_sockjs(config(|c| {
        c.limits.max_connections = 2;
        c.limits.max_pending_per_address = 3;
    }))
    .await;
    // Three sockets that never CONNECT, then one more from the same address: refused at once.
    let mut silent = Vec::new();
    for _ in 0..3 {
        silent.push(Client::raw(s.tcp).await);
    }
    eventually(|| s.server.pending_count() == 3).await;
    let mut fourth = Client::raw(s.tcp).await;
    let e = fourth.expect_error_and_close().await;
    assert_eq!(e.get("message"), Some(FROM_THIS_ADDRESS));
    // The same bound holds for WebSocket connections (/ws and SockJS `websocket`).
    let (_, e) = ws_connect(s.http, HERE).await;
    assert_eq!(e.get("message"), Some(FROM_THIS_ADDRESS));

    // Other addresses connect, and the silent ones hold none of the two connection places.
    let (_a, ok) = tcp_connect(s.tcp, ELSEWHERE).await;
    assert_eq!(ok.command, Command::Connected, "{ok:?}");
    let (_ws, ok) = ws_connect(s.http, ELSEWHERE).await;
    assert_eq!(ok.command, Command::Connected, "{ok:?}");
    assert_eq!(s.server.connected_count(), 2);
    drop(silent);
    eventually(|| s.server.pending_count() == 0).await;
    s.stop().await;
}

#[tokio::test]
async fn every_sockjs_transport_is_bounded_per_address() {
    let s = TestServer::start_with_sockjs(config(|c| {
        c.sockjs.max_sessions_per_address = 2;
        c.limits.max_pending_per_address = 1;
    }))
    .await;
    // Two streaming sessions held open by their requests.
    let mut held = Vec::new();
    for transport in ["xhr_streaming", "eventsource"] {
        let path = format!("{}/{transport}", session_url("/stomp"));
        let method = if transport == "eventsource" {
            "GET"
        } else {
            "POST"
        };
        let (head, http) = sockjs_util::open_stream(s.http, method, &path, &[]).await;
        assert_eq!(head.status, 200, "{transport}");
        held.push(http);
    }
    for (i, (method, transport)) in [
        ("POST", "xhr"),
        ("POST", "xhr_streaming"),
        ("GET", "eventsource"),
        ("GET", "htmlfile?c=cb"),
        ("GET", "jsonp?c=cb"),
    ]
    .into_iter()
    .enumerate()
    {
        let path = format!("{}/{transport}", session_url("/stomp"));
        let r = sockjs_util::request(s.http, method, &path, &[], None).await;
        assert_eq!(r.status(), 429, "{transport}: {}", r.body);
        // A fresh address each time, below its own limit.
        let elsewhere = IpAddr::V4(Ipv4Addr::new(127, 0, 1, i as u8 + 1));
        let path = format!("{}/{transport}", session_url("/stomp"));
        let mut conn = Http::over(connect_from(s.http, elsewhere).await);
        let head = conn.request(method, &path, "1.1", &[], None).await;
        assert_eq!(head.status, 200, "{transport} from another address");
    }

    // SockJS `websocket` sessions are connections: one pending place per address here.
    let url = format!("ws://{}{}/websocket", s.http, session_url("/stomp"));
    let (mut first, _) = bounded(client_async(&url, connect_from(s.http, HERE).await))
        .await
        .expect("upgrade");
    assert_eq!(next_text(&mut first).await, "o");
    let url = format!("ws://{}{}/websocket", s.http, session_url("/stomp"));
    let (mut second, _) = bounded(client_async(&url, connect_from(s.http, HERE).await))
        .await
        .expect("upgrade");
    assert_eq!(next_text(&mut second).await, "o");
    let refused = next_text(&mut second).await;
    assert!(refused.contains(FROM_THIS_ADDRESS), "{refused}");
    s.stop().await;
}

async fn next_text(ws: &mut WebSocketStream<TcpStream>) -> String {
    loop {
        match bounded(ws.next()).await {
            Some(Ok(Message::Text(t))) => return t.to_string(),
            Some(Ok(_)) => {}
            other => panic!("no text message: {other:?}"),
        }
    }
}

/// A session-creating `POST …/xhr` through a proxy that says the client is `forwarded_for`.
async fn xhr_open_as(http: SocketAddr, forwarded_for: &str) -> u16 {
    let path = format!("{}/xhr", session_url("/stomp"));
    let mut conn = Http::connect(http).await;
    let headers = [("X-Forwarded-For", forwarded_for)];
    let head = conn
        .request("POST", &path, "1.1", &headers, Some(b""))
        .await;
    // Read to the end: a poll cut off by its client would end the session (SockJS's abort rule).
    conn.body(&head).await;
    head.status
}

#[tokio::test]
async fn forwarded_for_names_the_client_only_behind_a_trusted_proxy() {
    let one_each = |c: &mut Config| {
        c.limits.max_connections_per_address = 1;
        c.sockjs.max_sessions_per_address = 1;
    };
    // By default the header is only the client's word: both count as 127.0.0.1.
    let s = TestServer::start_with_sockjs(config(one_each)).await;
    let (_a, ok) = ws_connect_as(s.http, HERE, Some("203.0.113.7")).await;
    assert_eq!(ok.command, Command::Connected, "{ok:?}");
    let (_, e) = ws_connect_as(s.http, HERE, Some("203.0.113.8")).await;
    assert_eq!(e.get("message"), Some(FROM_THIS_ADDRESS));
    assert_eq!(xhr_open_as(s.http, "203.0.113.7").await, 200);
    assert_eq!(xhr_open_as(s.http, "203.0.113.8").await, 429);
    s.stop().await;

    // Behind a trusted proxy at 127.0.0.1, each forwarded client has its own places.
    let s = TestServer::start_with_sockjs(config(|c| {
        one_each(c);
        c.limits.trusted_proxies = vec![HERE];
    }))
    .await;
    let (_a, ok) = ws_connect_as(s.http, HERE, Some("203.0.113.7")).await;
    assert_eq!(ok.command, Command::Connected, "{ok:?}");
    let (_, e) = ws_connect_as(s.http, HERE, Some("203.0.113.7")).await;
    assert_eq!(e.get("message"), Some(FROM_THIS_ADDRESS));
    let (_b, ok) = ws_connect_as(s.http, HERE, Some("203.0.113.8")).await;
    assert_eq!(ok.command, Command::Connected, "{ok:?}");
    assert_eq!(xhr_open_as(s.http, "203.0.113.7").await, 200);
    assert_eq!(xhr_open_as(s.http, "203.0.113.7").await, 429);
    assert_eq!(xhr_open_as(s.http, "203.0.113.8").await, 200);
    // A client-written entry left of the proxy's does not help.
    assert_eq!(xhr_open_as(s.http, "198.51.100.1, 203.0.113.7").await, 429);
    s.stop().await;
}
