//! Frames while connected: subscriptions, messages, receipts, transactions, ack/nack, errors,
//! unhandled frames, splitting, bounds.

use super::*;
use crate::client::{ClientError, HeaderList, Publish};

fn connected(version: Version) -> Harness {
    let mut h = Harness::new(quiet_config());
    h.connect(version, "0,0");
    h.take_frames();
    h.take_events();
    h
}

#[test]
fn subscribe_assigns_ids_and_routes_messages_to_their_subscription() {
    let mut h = connected(Version::V1_2);
    let a = h
        .session
        .subscribe(0.0, "/topic/a", [("ack", "client")].into_iter().collect())
        .unwrap();
    let b = h
        .session
        .subscribe(0.0, "/topic/b", [("id", "mine")].into_iter().collect())
        .unwrap();
    assert_eq!(a, "sub-0");
    assert_eq!(b, "mine");
    h.drain();
    let frames = h.take_frames();
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].command, Command::Subscribe);
    assert_eq!(frames[0].get("destination"), Some("/topic/a"));
    assert_eq!(frames[0].get("id"), Some("sub-0"));
    assert_eq!(frames[0].get("ack"), Some("client"));
    assert_eq!(frames[1].get("id"), Some("mine"));

    h.server_send(&message("mine", "m1", "hello"));
    h.server_send(&message("nobody", "m2", "stray"));
    let events = h.take_events();
    match &events[0] {
        Event::Message(frame) => {
            assert_eq!(frame.name(), "mine");
            assert_eq!(frame.body_str(), Some("hello"));
        }
        other => panic!("expected a message, got {other:?}"),
    }
    assert!(matches!(&events[1], Event::UnhandledMessage(f) if f.body_str() == Some("stray")));

    h.session
        .unsubscribe(0.0, "mine", &HeaderList::new())
        .unwrap();
    h.drain();
    let frames = h.take_frames();
    assert_eq!(frames[0].command, Command::Unsubscribe);
    assert_eq!(frames[0].get("id"), Some("mine"));
    h.server_send(&message("mine", "m3", "late"));
    assert!(matches!(&h.take_events()[0], Event::UnhandledMessage(_)));
    assert_eq!(
        h.session.subscription_ids().collect::<Vec<_>>(),
        vec!["sub-0"]
    );
}

#[test]
fn publish_sends_destination_headers_body_and_content_length() {
    let mut h = connected(Version::V1_2);
    let mut p = Publish::new("/queue/q", "payload");
    p.headers.push("content-type", "text/plain");
    p.headers.push("x-key", "a:b");
    h.session.publish(0.0, p).unwrap();
    let mut p = Publish::new("/queue/q", "no length");
    p.skip_content_length = true;
    h.session.publish(0.0, p).unwrap();
    h.session
        .publish(
            0.0,
            Publish {
                destination: "/queue/bin".into(),
                body: vec![0, 159, 146, 150],
                binary: true,
                // stompjs ignores it for a binary body.
                skip_content_length: true,
                ..Publish::default()
            },
        )
        .unwrap();
    h.session
        .publish(0.0, Publish::new("/queue/q", ""))
        .unwrap();
    h.drain();
    let frames = h.take_frames();
    assert_eq!(frames[0].command, Command::Send);
    assert_eq!(frames[0].get("destination"), Some("/queue/q"));
    assert_eq!(frames[0].get("x-key"), Some("a:b"), "escaped and unescaped");
    assert_eq!(frames[0].get("content-length"), Some("7"));
    assert_eq!(frames[0].body_str(), Some("payload"));
    assert_eq!(frames[1].get("content-length"), None);
    assert_eq!(frames[2].body.as_ref(), &[0, 159, 146, 150]);
    assert_eq!(frames[2].get("content-length"), Some("4"));
    assert_eq!(
        frames[3].get("content-length"),
        None,
        "an empty body says no length"
    );
    let binary: Vec<bool> = h
        .sends
        .iter()
        .filter_map(|a| match a {
            Action::Send { binary, .. } => Some(*binary),
            _ => None,
        })
        .collect();
    assert_eq!(
        binary,
        vec![false, false, false, true, false],
        "CONNECT, 2 text, 1 binary, 1 text"
    );
}

#[test]
fn receipts_go_to_their_watcher_or_to_unhandled() {
    let mut h = connected(Version::V1_2);
    h.session.watch_for_receipt("r-1").unwrap();
    let mut p = Publish::new("/q", "x");
    p.headers.push("receipt", "r-1");
    h.session.publish(0.0, p).unwrap();
    h.drain();
    assert_eq!(h.take_frames()[0].get("receipt"), Some("r-1"));
    h.server_send(&receipt("r-1"));
    h.server_send(&receipt("r-2"));
    // A watcher fires once.
    h.server_send(&receipt("r-1"));
    let events = h.take_events();
    assert!(matches!(&events[0], Event::Receipt(f) if f.get("receipt-id") == Some("r-1")));
    assert!(matches!(&events[1], Event::UnhandledReceipt(f) if f.get("receipt-id") == Some("r-2")));
    assert!(matches!(&events[2], Event::UnhandledReceipt(_)));
}

#[test]
fn receipt_watchers_are_bounded() {
    let mut h = Harness::new(SessionConfig {
        max_receipt_watchers: 2,
        ..quiet_config()
    });
    h.session.watch_for_receipt("a").unwrap();
    h.session.watch_for_receipt("b").unwrap();
    h.session.watch_for_receipt("a").unwrap();
    assert_eq!(
        h.session.watch_for_receipt("c"),
        Err(ClientError::TooManyReceiptWatchers { limit: 2 })
    );
}

#[test]
fn transactions_begin_commit_abort() {
    let mut h = connected(Version::V1_2);
    let tx = h.session.begin(0.0, None).unwrap();
    assert_eq!(tx, "tx-0");
    let mut p = Publish::new("/q", "in tx");
    p.headers.push("transaction", tx.clone());
    h.session.publish(0.0, p).unwrap();
    h.session.commit(0.0, &tx).unwrap();
    let named = h.session.begin(0.0, Some("my-tx")).unwrap();
    assert_eq!(named, "my-tx");
    h.session.abort(0.0, &named).unwrap();
    // The counter is shared, as in stompjs.
    assert_eq!(h.session.begin(0.0, None).unwrap(), "tx-1");
    h.drain();
    let seen: Vec<(Command, Option<String>)> = h
        .take_frames()
        .into_iter()
        .map(|f| (f.command, f.get("transaction").map(str::to_owned)))
        .collect();
    assert_eq!(
        seen,
        vec![
            (Command::Begin, Some("tx-0".into())),
            (Command::Send, Some("tx-0".into())),
            (Command::Commit, Some("tx-0".into())),
            (Command::Begin, Some("my-tx".into())),
            (Command::Abort, Some("my-tx".into())),
            (Command::Begin, Some("tx-1".into())),
        ]
    );
}

fn ack_frames(version: Version) -> (Harness, Vec<Frame>) {
    let mut h = connected(version);
    let sub = h.session.subscribe(0.0, "/q", HeaderList::new()).unwrap();
    h.drain();
    h.take_frames();
    h.server_send(&message(&sub, "m-7", "x"));
    let Some(Event::Message(frame)) = h.take_events().pop() else {
        panic!("no message");
    };
    let id = h.session.ack_id(&frame).unwrap().to_owned();
    h.session
        .ack(
            0.0,
            &id,
            &sub,
            [("transaction", "t1")].into_iter().collect(),
        )
        .unwrap();
    if version > Version::V1_0 {
        h.session.nack(0.0, &id, &sub, HeaderList::new()).unwrap();
    }
    h.drain();
    let frames = h.take_frames();
    (h, frames)
}

#[test]
fn ack_and_nack_use_the_headers_of_the_connected_version() {
    let (_, f) = ack_frames(Version::V1_2);
    assert_eq!(f[0].command, Command::Ack);
    assert_eq!(
        f[0].get("id"),
        Some("ack-m-7"),
        "1.2 acks the MESSAGE's ack header"
    );
    assert_eq!(f[0].get("message-id"), None);
    assert_eq!(f[0].get("transaction"), Some("t1"));
    assert_eq!(f[1].command, Command::Nack);
    assert_eq!(f[1].get("id"), Some("ack-m-7"));

    let (_, f) = ack_frames(Version::V1_1);
    assert_eq!(f[0].get("message-id"), Some("m-7"));
    assert_eq!(f[0].get("subscription"), Some("sub-0"));
    assert_eq!(f[0].get("id"), None);
    assert_eq!(f[1].command, Command::Nack);
    assert_eq!(f[1].get("message-id"), Some("m-7"));

    let (mut h, f) = ack_frames(Version::V1_0);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].get("message-id"), Some("m-7"));
    assert_eq!(f[0].get("subscription"), None);
    assert_eq!(
        h.session.nack(0.0, "m-7", "sub-0", HeaderList::new()),
        Err(ClientError::NackUnsupported)
    );
}

#[test]
fn an_error_naming_a_subscription_fails_only_that_subscription() {
    let mut h = connected(Version::V1_2);
    let good = h
        .session
        .subscribe(0.0, "/topic/ok", HeaderList::new())
        .unwrap();
    let bad = h
        .session
        .subscribe(
            0.0,
            "/topic/forbidden",
            [("receipt", "sub-r")].into_iter().collect(),
        )
        .unwrap();
    let other = h
        .session
        .subscribe(0.0, "/topic/x", HeaderList::new())
        .unwrap();
    h.drain();
    h.server_send(&Frame::error("Access refused", "").header("receipt-id", "sub-r"));
    h.server_send(&Frame::error("No such destination", "").header("subscription", other.clone()));
    let events = h.take_events();
    assert!(
        matches!(&events[0], Event::SubscriptionFailed(frame) if frame.name() == bad && frame.get("message") == Some("Access refused"))
    );
    assert!(matches!(&events[1], Event::SubscriptionFailed(frame) if frame.name() == other));
    assert_eq!(events.len(), 2, "no StompError for a subscription failure");
    assert!(h.session.connected());
    assert_eq!(
        h.session.subscription_ids().collect::<Vec<_>>(),
        vec![good.as_str()]
    );
    assert!(h.closes.is_empty());

    // Any other ERROR is a StompError; the session leaves closing to the server.
    h.server_send(&Frame::error("boom", "details"));
    assert!(matches!(&h.take_events()[0], Event::StompError(f) if f.body_str() == Some("details")));
    assert!(h.session.connected());
}

#[test]
fn a_subscription_receipt_is_bookkeeping_unless_watched() {
    let mut h = connected(Version::V1_2);
    h.session
        .subscribe(0.0, "/t", [("receipt", "s-1")].into_iter().collect())
        .unwrap();
    h.session
        .subscribe(0.0, "/u", [("receipt", "s-2")].into_iter().collect())
        .unwrap();
    h.session.watch_for_receipt("s-2").unwrap();
    h.drain();
    h.server_send(&receipt("s-1"));
    h.server_send(&receipt("s-2"));
    let events = h.take_events();
    assert_eq!(events.len(), 1);
    assert!(matches!(&events[0], Event::Receipt(f) if f.get("receipt-id") == Some("s-2")));
}

#[test]
fn frames_a_client_should_not_get_are_unhandled() {
    let mut h = connected(Version::V1_2);
    h.server_send(&Frame::new(Command::Send).header("destination", "/x"));
    h.server_send(&Frame::new(Command::Connected).header("version", "1.2"));
    let events = h.take_events();
    assert!(matches!(&events[0], Event::UnhandledFrame(f) if f.command == Command::Send));
    assert!(matches!(&events[1], Event::UnhandledFrame(f) if f.command == Command::Connected));
}

#[test]
fn undecodable_input_is_reported_and_the_transport_closed() {
    let mut h = connected(Version::V1_2);
    h.server_bytes(b"BOGUS\n\n\0");
    assert!(matches!(&h.take_events()[0], Event::DecodeError(_)));
    assert_eq!(h.closes, vec![false]);
    assert!(!h.session.connected());
}

/// The shared decoder's NUL rules, from the client's side: an empty frame between frames (a
/// stray NUL) is skipped without an event; a NUL inside a header is a decode error.
#[test]
fn stray_nuls_are_skipped_and_a_nul_in_a_header_is_a_decode_error() {
    let mut h = connected(Version::V1_2);
    let sub = h.session.subscribe(0.0, "/t", HeaderList::new()).unwrap();
    h.drain();
    h.server_bytes(b"\n\0");
    h.server_send(&message(&sub, "1", "after a stray NUL"));
    h.server_bytes(b"\0\0");
    let events = h.take_events();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0], Event::HeartbeatReceived);
    assert!(
        matches!(&events[1], Event::Message(frame) if frame.body_str() == Some("after a stray NUL"))
    );
    assert!(h.session.connected());

    let forged = format!("MESSAGE\nsubscription:{sub}\nx:x\0MESSAGE\nmessage-id:2\n\nforged\0");
    h.server_bytes(forged.as_bytes());
    let events = h.take_events();
    assert!(
        matches!(&events[0], Event::DecodeError(e) if *e == crate::DecodeError::NulInHeader.to_string()),
        "{events:?}"
    );
    assert_eq!(h.closes, vec![false]);
    assert!(!h.session.connected());
}

#[test]
fn frames_split_across_transport_messages_are_reassembled() {
    let mut h = connected(Version::V1_2);
    let sub = h.session.subscribe(0.0, "/t", HeaderList::new()).unwrap();
    h.drain();
    let mut bytes = BytesMut::new();
    Encoder::new(Version::V1_2).encode(&message(&sub, "1", "split body"), &mut bytes);
    Encoder::new(Version::V1_2).encode(&message(&sub, "2", "second"), &mut bytes);
    for chunk in bytes.chunks(7) {
        h.server_bytes(chunk);
    }
    let bodies: Vec<String> = h
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Message(frame) => frame.body_str().map(str::to_owned),
            _ => None,
        })
        .collect();
    assert_eq!(bodies, vec!["split body", "second"]);
}

#[test]
fn append_missing_nul_completes_frames_cut_at_nul() {
    let mut h = Harness::new(SessionConfig {
        append_missing_nul_on_incoming: true,
        ..quiet_config()
    });
    h.session.activate(0.0).unwrap();
    h.drain();
    h.session.transport_opened(0.0, None);
    h.drain();
    // A transport that strips the trailing NUL.
    h.server_bytes(b"CONNECTED\nversion:1.2\n\n");
    assert!(h.session.connected());
    let sub = h.session.subscribe(0.0, "/t", HeaderList::new()).unwrap();
    h.drain();
    let text = format!("MESSAGE\nsubscription:{sub}\nmessage-id:1\ndestination:/t\n\nhi");
    h.server_bytes(text.as_bytes());
    // Heart-beats and frames that kept their NUL are left alone.
    h.server_bytes(b"\n");
    h.server_bytes(b"\r\n");
    let whole = format!("{text}2\0");
    h.server_bytes(whole.as_bytes());
    let bodies: Vec<String> = h
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Message(frame) => frame.body_str().map(str::to_owned),
            _ => None,
        })
        .collect();
    assert_eq!(bodies, vec!["hi", "hi2"]);
    assert_eq!(h.count_events(|e| *e == Event::HeartbeatReceived), 2);
    assert_eq!(h.count_events(|e| matches!(e, Event::DecodeError(_))), 0);
    assert!(h.session.connected());
}

#[test]
fn split_large_frames_cuts_text_frames_into_chunks_but_not_binary_ones() {
    let mut h = Harness::new(SessionConfig {
        split_large_frames: true,
        max_web_socket_chunk_size: 16,
        ..quiet_config()
    });
    h.connect(Version::V1_2, "0,0");
    h.take_frames();
    h.sends.clear();
    let body = "0123456789".repeat(5);
    h.session
        .publish(0.0, Publish::new("/q", body.clone()))
        .unwrap();
    h.drain();
    assert!(h.sends.len() > 3);
    for s in &h.sends {
        let Action::Send { data, binary } = s else {
            unreachable!()
        };
        assert!(data.len() <= 16);
        assert!(!binary);
    }
    let frames = h.take_frames();
    assert_eq!(frames.len(), 1, "the broker reassembles one frame");
    assert_eq!(frames[0].body_str(), Some(body.as_str()));

    h.sends.clear();
    h.session
        .publish(
            0.0,
            Publish {
                destination: "/q".into(),
                body: vec![7u8; 100],
                binary: true,
                ..Publish::default()
            },
        )
        .unwrap();
    h.drain();
    assert_eq!(h.sends.len(), 1, "binary frames are never split");
}

#[test]
fn unpolled_outgoing_bytes_are_bounded() {
    let mut h = Harness::new(SessionConfig {
        max_pending_send_bytes: 1000,
        ..quiet_config()
    });
    h.connect(Version::V1_2, "0,0");
    // The shell stops polling: publishes pile up until the bound.
    let mut accepted = 0;
    let err = loop {
        match h.session.publish(0.0, Publish::new("/q", "x".repeat(100))) {
            Ok(()) => accepted += 1,
            Err(e) => break e,
        }
        assert!(accepted < 100, "never refused");
    };
    assert_eq!(err, ClientError::SendBufferFull { limit: 1000 });
    assert!((5..10).contains(&accepted), "accepted {accepted}");
    h.drain();
    h.session
        .publish(0.0, Publish::new("/q", "after drain"))
        .unwrap();
}
