//! Limits, heart-beats, slow consumers, connection caps.

mod common;

use bytes::Bytes;
use common::*;
use stomp_server::config::SlowConsumerPolicy;
use stomp_server::{serve_session, App, ChannelTransport, PeerInfo};
use stomp_wasm::{Command, Decoded, Decoder, Frame};
use tokio::sync::mpsc;

fn config_with(f: impl FnOnce(&mut stomp_server::Config)) -> stomp_server::Config {
    let mut c = test_config();
    f(&mut c);
    c
}

#[tokio::test]
async fn oversized_frame_gets_error_and_others_keep_working() {
    let s = TestServer::start(config_with(|c| c.limits.max_frame_size = 1024), App::new()).await;
    let mut good = s.client().await;
    good.subscribe("1", "/topic/ok", "auto").await;
    let mut bad = s.client().await;
    let big = vec![b'x'; 4096];
    bad.send_frame(
        &Frame::new(Command::Send)
            .header("destination", "/topic/ok")
            .body(big),
    )
    .await;
    let e = bad.expect_error_and_close().await;
    assert!(e.get("message").unwrap().contains("larger than"), "{e:?}");
    good.send("/topic/ok", "fine").await;
    assert_eq!(body(&good.recv_message().await), "fine");
    s.stop().await;
}

#[tokio::test]
async fn too_many_headers_and_long_header_lines() {
    let s = TestServer::start(
        config_with(|c| {
            c.limits.max_headers = 4;
            c.limits.max_header_line = 64;
        }),
        App::new(),
    )
    .await;
    let mut c = s.client().await;
    let mut f = Frame::new(Command::Send).header("destination", "/topic/h");
    for i in 0..5 {
        f.headers.push(format!("h{i}"), "v");
    }
    c.send_frame(&f).await;
    assert!(c
        .expect_error_and_close()
        .await
        .get("message")
        .unwrap()
        .contains("headers"));
    let mut c = s.client().await;
    c.send_frame(
        &Frame::new(Command::Send)
            .header("destination", "/topic/h")
            .header("long", "y".repeat(100)),
    )
    .await;
    c.expect_error_and_close().await;
    s.stop().await;
}

#[tokio::test]
async fn subscription_limit() {
    let s = TestServer::start(config_with(|c| c.limits.max_subscriptions = 2), App::new()).await;
    let mut c = s.client().await;
    c.subscribe("1", "/topic/a", "auto").await;
    c.subscribe("2", "/topic/b", "auto").await;
    c.send_raw(b"SUBSCRIBE\nid:3\ndestination:/topic/c\n\n\0")
        .await;
    let e = c.expect_error_and_close().await;
    assert!(e.get("message").unwrap().contains("subscriptions"));
    s.stop().await;
}

#[tokio::test]
async fn connection_limit() {
    let s = TestServer::start(config_with(|c| c.limits.max_connections = 1), App::new()).await;
    let first = s.client().await;
    // The place is taken by CONNECT, so the refusal answers the second CONNECT.
    let mut second = Client::raw(s.tcp).await;
    let e = second
        .handshake(&[("accept-version", "1.2"), ("host", "localhost")])
        .await;
    assert_eq!(e.command, Command::Error, "{e:?}");
    assert_eq!(e.get("message"), Some("too many connections"));
    assert!(second.recv_or_eof().await.is_none(), "closed after ERROR");
    first.disconnect().await;
    // The place is free again once the first session has ended.
    let third = s.client().await;
    third.disconnect().await;
    s.stop().await;
}

#[tokio::test]
async fn silent_peer_is_dropped_after_the_heart_beat_tolerance() {
    let s = TestServer::start(
        config_with(|c| {
            c.heartbeat.receive_ms = 50;
            c.heartbeat.min_ms = 20;
            c.heartbeat.tolerance = 2;
        }),
        App::new(),
    )
    .await;
    let mut c = Client::connect_with(
        s.tcp,
        &[
            ("accept-version", "1.2"),
            ("host", "x"),
            ("heart-beat", "50,0"),
        ],
    )
    .await;
    let e = c.expect_error_and_close().await;
    assert!(e.get("message").unwrap().contains("heart-beat"));
    s.stop().await;
}

#[tokio::test]
async fn a_heart_beating_peer_stays_and_the_server_beats_too() {
    let s = TestServer::start(
        config_with(|c| {
            c.heartbeat.receive_ms = 50;
            c.heartbeat.send_ms = 20;
            c.heartbeat.min_ms = 20;
            // Generous, so a loaded test machine cannot make this peer look silent.
            c.heartbeat.tolerance = 200;
        }),
        App::new(),
    )
    .await;
    let mut c = Client::connect_with(
        s.tcp,
        &[
            ("accept-version", "1.2"),
            ("host", "x"),
            ("heart-beat", "50,20"),
        ],
    )
    .await;
    // The server beats (negotiated max(20, 20)); we answer each with one of ours, so we stay.
    for _ in 0..8 {
        assert!(c.recv_heartbeat().await, "a heart-beat, not a frame or EOF");
        c.send_raw(b"\n").await;
    }
    c.disconnect().await;
    s.stop().await;
}

#[tokio::test]
async fn no_connect_in_time_closes() {
    let s = TestServer::start(
        config_with(|c| c.limits.connect_timeout_ms = 50),
        App::new(),
    )
    .await;
    let mut c = Client::raw(s.tcp).await;
    let e = c.expect_error_and_close().await;
    assert!(e.get("message").unwrap().contains("CONNECT"));
    s.stop().await;
}

/// A consumer on a channel transport whose outbound side nobody reads: its outbox fills.
async fn stalled_consumer(s: &TestServer) -> mpsc::Receiver<Bytes> {
    let (to_session, inbound) = mpsc::channel(8);
    let (outbound, mut from_session) = mpsc::channel(1);
    let peer = PeerInfo {
        remote: None,
        transport: "test-channel",
        subprotocol: None,
    };
    tokio::spawn(serve_session(
        s.server.clone(),
        ChannelTransport::new(inbound, outbound),
        peer,
    ));
    to_session
        .send(Bytes::from_static(
            b"CONNECT\naccept-version:1.2\nhost:x\n\n\0SUBSCRIBE\nid:1\ndestination:/topic/flood\nreceipt:ready\n\n\0",
        ))
        .await
        .unwrap();
    let mut seen = Vec::new();
    while !seen.iter().any(|f: &Frame| f.command == Command::Receipt) {
        seen.extend(decode_all(&from_session.recv().await.unwrap()));
    }
    // Keep the inbound side open for the rest of the test.
    std::mem::forget(to_session);
    from_session
}

fn decode_all(bytes: &[u8]) -> Vec<Frame> {
    let mut d = Decoder::default();
    d.feed(bytes);
    let mut out = Vec::new();
    while let Ok(Some(x)) = d.decode() {
        if let Decoded::Frame(f) = x {
            out.push(f);
        }
    }
    out
}

#[tokio::test]
async fn slow_consumer_gets_an_error_and_is_closed() {
    let s = TestServer::start(
        config_with(|c| {
            c.limits.outbound_buffer = 4096;
            // The subscriber never reads: do not hold the publisher for the default second.
            c.limits.publish_throttle_ms = 20;
        }),
        App::new(),
    )
    .await;
    let mut stalled = stalled_consumer(&s).await;
    let mut p = s.client().await;
    let body_1k = "z".repeat(1024);
    for _ in 0..20 {
        p.send("/topic/flood", &body_1k).await;
    }
    // Now read what the stalled session had managed to queue: some messages, then the ERROR,
    // then the end of the session.
    let mut frames = Vec::new();
    while let Some(b) = stalled.recv().await {
        frames.extend(decode_all(&b));
    }
    let last = frames.last().expect("frames");
    assert_eq!(last.command, Command::Error, "{last:?}");
    assert!(last.get("message").unwrap().contains("slow consumer"));
    let delivered = frames
        .iter()
        .filter(|f| f.command == Command::Message)
        .count();
    assert!(delivered < 20, "buffer was bounded: {delivered}");
    // The producer is unaffected.
    p.send("/topic/flood", "still fine").await;
    s.stop().await;
}

#[tokio::test]
async fn drop_policy_keeps_a_slow_consumer_connected() {
    let s = TestServer::start(
        config_with(|c| {
            c.limits.outbound_buffer = 4096;
            c.limits.publish_throttle_ms = 20;
            c.limits.slow_consumer = SlowConsumerPolicy::Drop;
        }),
        App::new(),
    )
    .await;
    let mut stalled = stalled_consumer(&s).await;
    let mut p = s.client().await;
    let body_1k = "z".repeat(1024);
    for _ in 0..20 {
        p.send("/topic/flood", &body_1k).await;
    }
    // Every one of the 20 was queued or dropped by now. Drain from another task while markers
    // are sent until one gets through: the session must have stayed alive, without an ERROR.
    let reader = tokio::spawn(async move {
        let mut frames = Vec::new();
        while let Some(b) = stalled.recv().await {
            let batch = decode_all(&b);
            let done = batch.iter().any(|f| body(f).starts_with("after"));
            frames.extend(batch);
            if done {
                break;
            }
        }
        frames
    });
    for i in 0..10_000 {
        if reader.is_finished() {
            break;
        }
        p.send("/topic/flood", &format!("after{i}")).await;
    }
    let frames = reader.await.unwrap();
    assert!(
        frames.iter().all(|f| f.command == Command::Message),
        "no ERROR"
    );
    assert!(body(frames.last().unwrap()).starts_with("after"));
    let flood = frames.iter().filter(|f| f.body.len() == 1024).count();
    assert!(flood < 20, "some of the flood were dropped: {flood}");
    s.stop().await;
}

#[tokio::test]
async fn a_pipelining_publisher_is_paused_instead_of_overrunning_a_slower_subscriber() {
    let s = TestServer::start(
        config_with(|c| {
            c.limits.outbound_buffer = 8192;
            // Long enough never to expire here: the subscriber does keep reading.
            c.limits.publish_throttle_ms = 60_000;
        }),
        App::new(),
    )
    .await;
    let mut slow = stalled_consumer(&s).await;
    const N: usize = 300;
    let reader = tokio::spawn(async move {
        let mut messages = 0;
        while messages < N + 1 {
            let Some(b) = slow.recv().await else { break };
            for f in decode_all(&b) {
                assert_eq!(f.command, Command::Message, "{f:?}");
                messages += 1;
            }
            tokio::task::yield_now().await;
        }
        messages
    });
    let mut p = s.client().await;
    let mut burst = Vec::new();
    let one = format!("SEND\ndestination:/topic/flood\n\n{}\0", "k".repeat(1024));
    for _ in 0..N {
        burst.extend_from_slice(one.as_bytes());
    }
    // All N frames in one write: the publisher's session must pause between them.
    p.send_raw(&burst).await;
    p.send("/topic/flood", "done").await;
    assert_eq!(reader.await.unwrap(), N + 1, "every message, no ERROR");
    s.stop().await;
}
