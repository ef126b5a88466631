//! CONNECT negotiation, receipts, DISCONNECT and protocol violations.

mod common;

use common::*;
use stomp_wasm::{Command, Frame};

#[tokio::test]
async fn connect_negotiates_the_highest_common_version() {
    let s = TestServer::start_default().await;
    for (offer, expect) in [("1.0,1.1,1.2", "1.2"), ("1.1", "1.1"), ("1.0,1.1", "1.1")] {
        let c = Client::connect_with(s.tcp, &[("accept-version", offer), ("host", "/")]).await;
        let connected = c.connected.clone().unwrap();
        assert_eq!(connected.get("version"), Some(expect));
        assert!(connected.get("session").is_some());
        assert!(connected
            .get("server")
            .unwrap()
            .starts_with("stomp-server/"));
        c.disconnect().await;
    }
    s.stop().await;
}

#[tokio::test]
async fn connect_without_accept_version_is_stomp_1_0() {
    let s = TestServer::start_default().await;
    let mut c = Client::raw(s.tcp).await;
    c.send_raw(b"CONNECT\n\n\0").await;
    let f = c.recv().await;
    assert_eq!(f.command, Command::Connected);
    assert_eq!(f.get("version"), Some("1.0"));
    assert_eq!(f.get("heart-beat"), None, "1.0 has no heart-beats");
    // 1.0 SUBSCRIBE without id: the destination names the subscription.
    c.send_raw(b"SUBSCRIBE\ndestination:/topic/t10\n\n\0SEND\ndestination:/topic/t10\n\nold\0")
        .await;
    let m = c.recv_message().await;
    assert_eq!(m.get("subscription"), Some("/topic/t10"));
    assert_eq!(body(&m), "old");
    // NACK does not exist in 1.0.
    c.send_raw(b"NACK\nmessage-id:1\n\n\0").await;
    c.expect_error_and_close().await;
    s.stop().await;
}

#[tokio::test]
async fn stomp_command_connects_too() {
    let s = TestServer::start_default().await;
    let mut c = Client::raw(s.tcp).await;
    c.send_raw(b"STOMP\naccept-version:1.2\nhost:localhost\n\n\0")
        .await;
    assert_eq!(c.recv().await.command, Command::Connected);
    s.stop().await;
}

#[tokio::test]
async fn unsupported_version_gets_an_error_with_the_supported_list() {
    let s = TestServer::start_default().await;
    let mut c = Client::raw(s.tcp).await;
    let f = c
        .handshake(&[("accept-version", "2.0"), ("host", "x")])
        .await;
    assert_eq!(f.command, Command::Error);
    assert_eq!(f.get("version"), Some("1.0,1.1,1.2"));
    assert!(c.recv_or_eof().await.is_none());
    s.stop().await;
}

#[tokio::test]
async fn heart_beat_header_is_the_servers_offer() {
    let s = TestServer::start_default().await;
    let c = Client::connect_with(
        s.tcp,
        &[
            ("accept-version", "1.2"),
            ("host", "x"),
            ("heart-beat", "0,0"),
        ],
    )
    .await;
    assert_eq!(
        c.connected.as_ref().unwrap().get("heart-beat"),
        Some("10000,10000")
    );
    let mut bad = Client::raw(s.tcp).await;
    let f = bad
        .handshake(&[("accept-version", "1.2"), ("heart-beat", "soon")])
        .await;
    assert_eq!(f.command, Command::Error);
    s.stop().await;
}

/// Issue 16: CONNECTED answers with the client's own heart-beat rates (RabbitMQ does), raised to
/// `heartbeat.min_ms`, so a client asking for 1,000 ms gets 1,000 ms both ways instead of the
/// server's 10,000 ms; and a client silent past `tolerance` of its own interval is dropped.
#[tokio::test]
async fn heart_beats_follow_the_clients_rates_down_to_the_floor() {
    let s = TestServer::start_default().await;
    for (asked, answered) in [
        ("1000,1000", "1000,1000"),
        ("4000,20000", "20000,4000"),
        ("500,100", "1000,1000"),
        ("0,1000", "1000,10000"),
        ("0,0", "10000,10000"),
    ] {
        let c = Client::connect_with(
            s.tcp,
            &[
                ("accept-version", "1.2"),
                ("host", "x"),
                ("heart-beat", asked),
            ],
        )
        .await;
        let connected = c.connected.as_ref().unwrap();
        assert_eq!(connected.get("heart-beat"), Some(answered), "{asked}");
        c.disconnect().await;
    }
    s.stop().await;

    // A low floor, so that the silence shows in well under a second.
    let mut config = test_config();
    config.heartbeat.min_ms = 100;
    config.heartbeat.tolerance = 2;
    let s = TestServer::start(config, stomp_server::App::new()).await;
    let mut c = Client::connect_with(
        s.tcp,
        &[
            ("accept-version", "1.2"),
            ("host", "x"),
            ("heart-beat", "300,200"),
        ],
    )
    .await;
    assert_eq!(
        c.connected.as_ref().unwrap().get("heart-beat"),
        Some("200,300")
    );
    // The server beats at our 200 ms; we never do, so it drops us (after 2 × 300 ms).
    assert!(c.recv_heartbeat().await, "a heart-beat, not a frame or EOF");
    let e = c.expect_error_and_close().await;
    assert!(e.get("message").unwrap().contains("heart-beat"), "{e:?}");
    s.stop().await;
}

#[tokio::test]
async fn receipts_on_every_client_frame_kind() {
    let s = TestServer::start_default().await;
    let mut c = s.client().await;
    c.call(
        Frame::new(Command::Subscribe)
            .header("id", "1")
            .header("destination", "/topic/r"),
    )
    .await;
    c.call(
        Frame::new(Command::Send)
            .header("destination", "/queue/r")
            .body("x"),
    )
    .await;
    c.call(Frame::new(Command::Begin).header("transaction", "t"))
        .await;
    c.call(Frame::new(Command::Abort).header("transaction", "t"))
        .await;
    c.call(Frame::new(Command::Begin).header("transaction", "t2"))
        .await;
    c.call(Frame::new(Command::Commit).header("transaction", "t2"))
        .await;
    c.call(Frame::new(Command::Ack).header("id", "999")).await;
    c.call(Frame::new(Command::Nack).header("id", "999")).await;
    c.call(Frame::new(Command::Unsubscribe).header("id", "1"))
        .await;
    c.disconnect().await;
    s.stop().await;
}

#[tokio::test]
async fn frames_before_connect_are_refused() {
    let s = TestServer::start_default().await;
    let mut c = Client::raw(s.tcp).await;
    c.send_raw(b"SEND\ndestination:/topic/a\n\nx\0").await;
    let e = c.expect_error_and_close().await;
    assert!(e.get("message").unwrap().contains("expected CONNECT"));
    s.stop().await;
}

#[tokio::test]
async fn a_second_connect_is_a_violation() {
    let s = TestServer::start_default().await;
    let mut c = s.client().await;
    c.send_raw(b"CONNECT\naccept-version:1.2\n\n\0").await;
    c.expect_error_and_close().await;
    s.stop().await;
}

#[tokio::test]
async fn server_frames_from_a_client_are_violations() {
    let s = TestServer::start_default().await;
    let mut c = s.client().await;
    c.send_raw(b"MESSAGE\ndestination:/topic/a\nmessage-id:1\nsubscription:1\n\n\0")
        .await;
    c.expect_error_and_close().await;
    s.stop().await;
}

#[tokio::test]
async fn missing_required_headers_are_violations() {
    let s = TestServer::start_default().await;
    for bad in [
        &b"SEND\n\nno destination\0"[..],
        b"SUBSCRIBE\ndestination:/topic/a\n\n\0",
        b"SUBSCRIBE\nid:1\n\n\0",
        b"SUBSCRIBE\nid:1\ndestination:/topic/a\nack:sometimes\n\n\0",
        b"UNSUBSCRIBE\n\n\0",
        b"ACK\n\n\0",
        b"BEGIN\n\n\0",
        b"COMMIT\ntransaction:never-begun\n\n\0",
        b"ABORT\ntransaction:never-begun\n\n\0",
    ] {
        let mut c = s.client().await;
        c.send_raw(bad).await;
        let e = c.expect_error_and_close().await;
        assert!(!e.get("message").unwrap().is_empty());
    }
    s.stop().await;
}

#[tokio::test]
async fn error_carries_the_receipt_id_of_the_failed_frame() {
    let s = TestServer::start_default().await;
    let mut c = s.client().await;
    c.send_raw(b"SEND\ndestination:/nowhere/x\nreceipt:r-77\n\nx\0")
        .await;
    let e = c.expect_error_and_close().await;
    assert_eq!(e.get("receipt-id"), Some("r-77"));
    assert!(e.get("message").unwrap().contains("no configured prefix"));
    s.stop().await;
}

#[tokio::test]
async fn duplicate_subscription_id_is_a_violation() {
    let s = TestServer::start_default().await;
    let mut c = s.client().await;
    c.subscribe("a", "/topic/x", "auto").await;
    c.send_raw(b"SUBSCRIBE\nid:a\ndestination:/topic/y\n\n\0")
        .await;
    c.expect_error_and_close().await;
    s.stop().await;
}

#[tokio::test]
async fn malformed_input_closes_only_that_session() {
    let s = TestServer::start_default().await;
    let mut good = s.client().await;
    good.subscribe("1", "/topic/survivor", "auto").await;
    for garbage in [
        &b"HELLO\n\n\0"[..],
        b"SEND\nno-colon-here\n\n\0",
        b"SEND\ndestination:/topic/a\ncontent-length:zz\n\n\0",
        b"SEND\ndestination:/topic/a\ncontent-length:2\n\nabc\0",
        b"SEND\ndestination:/topic/\\qa\n\nx\0",
        b"\xff\xfe\n\n\0",
    ] {
        let mut bad = s.client().await;
        bad.send_raw(garbage).await;
        bad.expect_error_and_close().await;
    }
    let mut sender = s.client().await;
    sender.send("/topic/survivor", "still here").await;
    assert_eq!(body(&good.recv_message().await), "still here");
    s.stop().await;
}

/// Issue 16: a NUL in a header value would end the frame for every peer that splits frames at
/// NULs, and the rest would read as a frame of the sender's making: it is refused like any
/// malformed header, and nothing of it reaches subscribers.
#[tokio::test]
async fn a_nul_in_a_header_is_an_error_and_nothing_is_forwarded() {
    let s = TestServer::start_default().await;
    let mut sub = s.client().await;
    sub.subscribe("1", "/topic/nul", "auto").await;
    let mut bad = s.client().await;
    bad.send_raw(
        b"SEND\ndestination:/topic/nul\nx:x\0MESSAGE\ndestination:/topic/nul\n\
          message-id:1\nsubscription:1\n\nforged\0",
    )
    .await;
    let e = bad.expect_error_and_close().await;
    assert_eq!(
        e.get("message"),
        Some("NUL byte in a command or header line")
    );
    let mut p = s.client().await;
    p.send("/topic/nul", "clean").await;
    assert_eq!(body(&sub.recv_message().await), "clean");
    assert!(sub.sync().await.is_empty());
    s.stop().await;
}

/// Issue 16: an empty frame between frames (a NUL where a command would start, as some clients
/// send after a heart-beat) is skipped like a heart-beat EOL, as RabbitMQ does.
#[tokio::test]
async fn a_stray_nul_before_a_command_is_tolerated() {
    let s = TestServer::start_default().await;
    let mut c = s.client().await;
    c.send_raw(b"\n\0SUBSCRIBE\nid:1\ndestination:/topic/stray\n\n\0\0\0\r\n\0")
        .await;
    c.send("/topic/stray", "after").await;
    assert_eq!(body(&c.recv_message().await), "after");
    c.disconnect().await;
    s.stop().await;
}

/// Headers that come from elsewhere (here a handler's reply) cannot carry a NUL out: the
/// encoder drops it, so no subscriber is sent a frame it would split in two.
#[tokio::test]
async fn a_nul_in_a_handlers_reply_header_is_never_sent() {
    let app = stomp_server::App::new().message("/nul", |_req| async move {
        Ok(Some(
            stomp_server::Reply::new("reply").header("x", "x\0MESSAGE\0"),
        ))
    });
    let s = TestServer::start(test_config(), app).await;
    let mut c = s.client().await;
    c.subscribe("1", "/topic/nul", "auto").await;
    c.send("/app/nul", "").await;
    let m = c.recv_message().await;
    assert_eq!(m.get("x"), Some("xMESSAGE"));
    assert_eq!(body(&m), "reply");
    s.stop().await;
}

#[tokio::test]
async fn a_frame_split_across_writes_and_frames_sharing_a_write() {
    let s = TestServer::start_default().await;
    let mut c = s.client().await;
    c.subscribe("1", "/topic/split", "auto").await;
    let frame = b"SEND\ndestination:/topic/split\n\nsplit body\0";
    for chunk in frame.chunks(3) {
        c.send_raw(chunk).await;
        tokio::task::yield_now().await;
    }
    assert_eq!(body(&c.recv_message().await), "split body");
    c.send_raw(
        b"SEND\ndestination:/topic/split\n\none\0\n\nSEND\ndestination:/topic/split\n\ntwo\0",
    )
    .await;
    assert_eq!(body(&c.recv_message().await), "one");
    assert_eq!(body(&c.recv_message().await), "two");
    s.stop().await;
}

#[tokio::test]
async fn disconnect_with_receipt_then_close() {
    let s = TestServer::start_default().await;
    let c = s.client().await;
    c.disconnect().await;
    s.stop().await;
}

#[tokio::test]
async fn binary_bodies_with_nul_bytes_round_trip() {
    let s = TestServer::start_default().await;
    let mut c = s.client().await;
    c.subscribe("1", "/topic/bin", "auto").await;
    let payload: Vec<u8> = (0u8..=255).collect();
    c.send_frame(
        &Frame::new(Command::Send)
            .header("destination", "/topic/bin")
            .header("content-type", "application/octet-stream")
            .body(payload.clone()),
    )
    .await;
    let m = c.recv_message().await;
    assert_eq!(&m.body[..], &payload[..]);
    assert_eq!(m.get("content-type"), Some("application/octet-stream"));
    s.stop().await;
}

#[tokio::test]
async fn shutdown_tells_open_sessions_and_closes_them() {
    let s = TestServer::start_default().await;
    let mut c = s.client().await;
    let server = s.server.clone();
    let stopping = tokio::spawn(s.stop());
    let e = c.expect_error_and_close().await;
    assert_eq!(e.get("message"), Some("server shutting down"));
    stopping.await.unwrap();
    assert_eq!(server.connection_count(), 0);
}
