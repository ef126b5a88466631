//! Over a transport that carries strings only (SockJS), binary bodies travel as base64 with
//! `content-transfer-encoding:base64` both ways: the convention stomp-server's SockJS endpoints
//! apply with `sockjs::binary`, so these tests check the session against those functions. The
//! session writes it; a received frame's reader undoes it (the page, with `atob`).

use super::*;
use crate::client::{HeaderList, OfflineQueueConfig, Publish};
use crate::sockjs::binary::{decode_body_from_text, encode_body_for_text};

const BYTES: [u8; 7] = [0, 1, 2, 255, 254, 0, 10];

fn binary_publish(destination: &str) -> Publish {
    Publish {
        destination: destination.into(),
        body: BYTES.to_vec(),
        binary: true,
        ..Publish::default()
    }
}

/// Connected over a SockJS-like transport (`text_only`) or a WebSocket.
fn connected(text_only: bool, config: SessionConfig) -> Harness {
    let mut h = Harness::new(config);
    h.session.activate(0.0).expect("activate");
    h.drain();
    if text_only {
        h.session.transport_is_text_only();
    }
    h.open_and_connect(Version::V1_2, "0,0");
    h.take_frames();
    h.take_events();
    h.sends.clear();
    h
}

/// The `binary` flag of every `Action::Send` since the last clear.
fn send_flags(h: &Harness) -> Vec<bool> {
    h.sends
        .iter()
        .filter_map(|a| match a {
            Action::Send { binary, .. } => Some(*binary),
            _ => None,
        })
        .collect()
}

fn delivered(h: &Harness) -> Vec<&crate::client::Received> {
    h.events
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

#[test]
fn a_binary_publish_goes_as_base64_text_that_the_server_decodes() {
    let mut h = connected(true, quiet_config());
    let mut p = binary_publish("/queue/bin");
    // The session's announcement wins over a user's header of that name.
    p.headers
        .push("content-transfer-encoding", "quoted-printable");
    p.headers.push("x-kept", "yes");
    h.session.publish(0.0, p).unwrap();
    // A text body goes unchanged and as text, even when it came as `binaryBody`.
    let mut text = binary_publish("/queue/text");
    text.body = "héllo".into();
    h.session.publish(0.0, text).unwrap();
    h.drain();
    assert_eq!(
        send_flags(&h),
        [false, false],
        "a string-only transport gets text"
    );
    let frames = h.take_frames();
    let sent = &frames[0];
    assert_eq!(sent.get("content-transfer-encoding"), Some("base64"));
    assert_eq!(sent.body_str(), Some("AAEC//4ACg=="));
    assert_eq!(sent.get("content-length"), Some("12"));
    assert_eq!(sent.get("x-kept"), Some("yes"));
    assert_eq!(
        sent.headers
            .iter()
            .filter(|(n, _)| *n == "content-transfer-encoding")
            .count(),
        1
    );
    let decoded = decode_body_from_text(sent.clone()).expect("valid base64");
    assert_eq!(decoded.body.as_ref(), &BYTES);
    assert_eq!(decoded.get("content-length"), Some("7"));
    assert_eq!(frames[1].get("content-transfer-encoding"), None);
    assert_eq!(frames[1].body_str(), Some("héllo"));
}

/// The session hands such a frame on as it came: its reader undoes the convention (the page
/// with `atob`; pkg-core's and pkg-sockjs's node tests check that end to end).
#[test]
fn a_message_the_server_wrote_as_base64_is_handed_on_for_the_reader_to_decode() {
    let mut h = connected(true, quiet_config());
    let sub = h
        .session
        .subscribe(0.0, "/topic/t", HeaderList::new())
        .unwrap();
    h.drain();
    let message = Frame::new(Command::Message)
        .header("destination", "/topic/t")
        .header("subscription", sub.clone())
        .header("message-id", "m-1")
        .header("content-length", "7")
        .body(BYTES.to_vec());
    let on_the_wire = encode_body_for_text(&message).expect("a binary body is re-encoded");
    h.server_send(&on_the_wire);
    let got = delivered(&h);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].name(), sub);
    assert_eq!(got[0].get("content-transfer-encoding"), Some("base64"));
    assert_eq!(got[0].get("message-id"), Some("m-1"));
    // What the reader decodes: the bytes the server had.
    let mut as_sent = Frame::new(Command::Message)
        .header("content-transfer-encoding", "base64")
        .body(got[0].body().to_vec());
    as_sent = decode_body_from_text(as_sent).expect("valid base64");
    assert_eq!(as_sent.body.as_ref(), &BYTES);
}

#[test]
fn over_a_websocket_bodies_and_headers_are_left_alone() {
    let mut h = connected(false, quiet_config());
    let sub = h
        .session
        .subscribe(0.0, "/topic/t", HeaderList::new())
        .unwrap();
    h.session
        .publish(0.0, binary_publish("/queue/bin"))
        .unwrap();
    h.drain();
    assert_eq!(
        send_flags(&h),
        [false, true],
        "SUBSCRIBE, then the binary SEND"
    );
    let frames = h.take_frames();
    assert_eq!(frames[1].body.as_ref(), &BYTES);
    assert_eq!(frames[1].get("content-transfer-encoding"), None);
    // A header that only looks like the convention is the application's business here.
    let m = Frame::new(Command::Message)
        .header("subscription", sub)
        .header("content-transfer-encoding", "base64")
        .body("AAEC");
    h.server_send(&m);
    assert_eq!(delivered(&h)[0].body(), b"AAEC");
}

#[test]
fn each_transport_decides_for_itself_queued_frames_included() {
    // Publishes queued while the SockJS transport is down go out on the next transport in its
    // own form: as bytes on a WebSocket that follows, as base64 on a SockJS one.
    let config = SessionConfig {
        offline_queue: Some(OfflineQueueConfig::default()),
        reconnect_delay: 100,
        ..quiet_config()
    };
    let mut h = connected(true, config);
    h.transport_closed(1006);
    h.session
        .publish(h.now, binary_publish("/queue/q"))
        .unwrap();
    h.advance(100.0);
    h.open_and_connect(Version::V1_2, "0,0");
    let frames = h.take_frames();
    let sent: Vec<_> = frames
        .iter()
        .filter(|f| f.command == Command::Send)
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].body.as_ref(),
        &BYTES,
        "a WebSocket carries the bytes"
    );
    assert_eq!(sent[0].get("content-transfer-encoding"), None);

    h.transport_closed(1006);
    h.advance(h.now + 100.0);
    h.session.transport_is_text_only();
    h.open_and_connect(Version::V1_2, "0,0");
    let frames = h.take_frames();
    let resent: Vec<_> = frames
        .iter()
        .filter(|f| f.command == Command::Send)
        .collect();
    assert_eq!(resent.len(), 1, "still unconfirmed: sent again");
    assert_eq!(resent[0].get("content-transfer-encoding"), Some("base64"));
    let decoded = decode_body_from_text(resent[0].clone()).expect("valid base64");
    assert_eq!(decoded.body.as_ref(), &BYTES);
}
