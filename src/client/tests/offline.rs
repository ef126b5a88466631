//! The offline queue: publishes made while disconnected, delivered at least once.

use super::*;
use crate::client::{ClientError, OfflineQueueConfig, Publish, OFFLINE_ID_HEADER};

fn offline_config(max_frames: usize, max_bytes: usize) -> SessionConfig {
    SessionConfig {
        reconnect_delay: 1000,
        offline_queue: Some(OfflineQueueConfig {
            max_frames,
            max_bytes,
            id_prefix: "page1".into(),
            while_connected: false,
        }),
        ..quiet_config()
    }
}

fn sends(frames: &[Frame]) -> Vec<(String, String, String)> {
    frames
        .iter()
        .filter(|f| f.command == Command::Send)
        .map(|f| {
            (
                f.body_str().unwrap_or_default().to_owned(),
                f.get(OFFLINE_ID_HEADER).unwrap_or_default().to_owned(),
                f.get("receipt").unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn queued_while_down_flushed_after_connect_resent_only_if_unreceipted() {
    let mut h = Harness::new(offline_config(10, 10_000));
    // Before the first connection.
    h.session.publish(0.0, Publish::new("/q", "one")).unwrap();
    h.session.publish(0.0, Publish::new("/q", "two")).unwrap();
    h.drain();
    assert!(h.sends.is_empty());
    assert_eq!(h.session.offline_queue_len(), 2);

    h.connect(Version::V1_2, "0,0");
    let first = sends(&h.take_frames());
    assert_eq!(
        first,
        vec![
            ("one".into(), "page1-0".into(), "page1-0".into()),
            ("two".into(), "page1-1".into(), "page1-1".into()),
        ]
    );
    // The flush comes before onConnect, so the user's own publishes follow the queued ones.
    assert!(matches!(h.events.last(), Some(Event::Connected(_))));

    // Only "one" is receipted before the connection drops.
    h.server_send(&receipt("page1-0"));
    assert_eq!(h.session.offline_queue_len(), 1);
    assert_eq!(
        h.count_events(|e| matches!(e, Event::UnhandledReceipt(_) | Event::Receipt(_))),
        0,
        "queue receipts are internal"
    );
    h.transport_closed(1006);
    h.session
        .publish(h.now, Publish::new("/q", "three"))
        .unwrap();
    h.advance(1000.0);
    h.open_and_connect(Version::V1_2, "0,0");
    let second = sends(&h.take_frames());
    assert_eq!(
        second,
        vec![
            ("two".into(), "page1-1".into(), "page1-1".into()),
            ("three".into(), "page1-2".into(), "page1-2".into()),
        ],
        "same id on re-send; the receipted one is not re-sent"
    );
    h.server_send(&receipt("page1-1"));
    h.server_send(&receipt("page1-2"));
    assert_eq!(h.session.offline_queue_len(), 0);
    assert_eq!(h.session.offline_queue_bytes(), 0);

    h.transport_closed(1006);
    h.advance(1000.0);
    h.open_and_connect(Version::V1_2, "0,0");
    assert!(sends(&h.take_frames()).is_empty());
}

#[test]
fn publishes_while_connected_go_straight_out() {
    let mut h = Harness::new(offline_config(10, 10_000));
    h.connect(Version::V1_2, "0,0");
    h.take_frames();
    h.session.publish(0.0, Publish::new("/q", "live")).unwrap();
    h.drain();
    let frames = h.take_frames();
    assert_eq!(frames[0].get(OFFLINE_ID_HEADER), None);
    assert_eq!(frames[0].get("receipt"), None);
    assert_eq!(h.session.offline_queue_len(), 0);
}

#[test]
fn never_sent_twice_on_one_connection() {
    let mut h = Harness::new(offline_config(10, 10_000));
    h.session.publish(0.0, Publish::new("/q", "once")).unwrap();
    h.connect(Version::V1_2, "0,0");
    // A second CONNECTED on the same transport is not a new connection.
    h.server_send(&Frame::new(Command::Connected).header("version", "1.2"));
    h.advance(10_000.0);
    assert_eq!(sends(&h.take_frames()).len(), 1);
}

#[test]
fn the_queue_is_bounded_by_frames_and_bytes() {
    let mut h = Harness::new(offline_config(2, 10_000));
    h.session.publish(0.0, Publish::new("/q", "a")).unwrap();
    h.session.publish(0.0, Publish::new("/q", "b")).unwrap();
    let err = h.session.publish(0.0, Publish::new("/q", "c")).unwrap_err();
    assert_eq!(
        err,
        ClientError::OfflineQueueFull {
            frames: 2,
            bytes: 10_000
        }
    );

    let mut h = Harness::new(offline_config(100, 300));
    h.session
        .publish(0.0, Publish::new("/q", "x".repeat(200)))
        .unwrap();
    assert!(matches!(
        h.session.publish(0.0, Publish::new("/q", "x".repeat(200))),
        Err(ClientError::OfflineQueueFull { .. })
    ));
    // Room comes back once receipts arrive.
    h.connect(Version::V1_2, "0,0");
    h.server_send(&receipt("page1-0"));
    h.session.transport_closed(h.now, 1006, "");
    h.session
        .publish(h.now, Publish::new("/q", "x".repeat(200)))
        .unwrap();
}

#[test]
fn a_user_receipt_on_a_queued_publish_is_kept_and_reported() {
    let mut h = Harness::new(offline_config(10, 10_000));
    let mut p = Publish::new("/q", "mine");
    p.headers.push("receipt", "user-r");
    h.session.publish(0.0, p).unwrap();
    h.session.watch_for_receipt("user-r").unwrap();
    h.connect(Version::V1_2, "0,0");
    let frames = h.take_frames();
    let send = frames.iter().find(|f| f.command == Command::Send).unwrap();
    assert_eq!(send.get("receipt"), Some("user-r"));
    assert_eq!(send.get(OFFLINE_ID_HEADER), Some("page1-0"));
    h.server_send(&receipt("user-r"));
    assert_eq!(h.session.offline_queue_len(), 0);
    assert!(matches!(h.events.last(), Some(Event::Receipt(_))));
}

#[test]
fn a_queued_publish_carries_the_queue_id_not_one_the_user_set() {
    let mut h = Harness::new(offline_config(10, 10_000));
    let mut p = Publish::new("/q", "mine");
    p.headers.push(OFFLINE_ID_HEADER, "user-id");
    p.headers.push(OFFLINE_ID_HEADER, "user-id-2");
    h.session.publish(0.0, p).unwrap();
    h.connect(Version::V1_2, "0,0");
    let frames = h.take_frames();
    let send = frames.iter().find(|f| f.command == Command::Send).unwrap();
    let ids: Vec<&str> = send
        .headers
        .iter()
        .filter(|&(n, _)| n == OFFLINE_ID_HEADER)
        .map(|(_, v)| v)
        .collect();
    assert_eq!(ids, ["page1-0"]);
    assert_eq!(send.get("receipt"), Some("page1-0"));
}

#[test]
fn a_queued_publish_the_server_refuses_is_dropped_not_resent_forever() {
    let mut h = Harness::new(offline_config(10, 10_000));
    h.session
        .publish(0.0, Publish::new("/forbidden", "x"))
        .unwrap();
    h.connect(Version::V1_2, "0,0");
    h.server_send(&Frame::error("not allowed", "").header("receipt-id", "page1-0"));
    assert_eq!(h.session.offline_queue_len(), 0);
    assert!(matches!(h.events.last(), Some(Event::StompError(_))));
}

#[test]
fn while_connected_mode_also_protects_frames_in_flight() {
    let mut h = Harness::new(SessionConfig {
        offline_queue: Some(OfflineQueueConfig {
            id_prefix: "p".into(),
            while_connected: true,
            ..OfflineQueueConfig::default()
        }),
        reconnect_delay: 1000,
        ..quiet_config()
    });
    h.connect(Version::V1_2, "0,0");
    h.take_frames();
    h.session.publish(0.0, Publish::new("/q", "acked")).unwrap();
    h.session
        .publish(0.0, Publish::new("/q", "in flight"))
        .unwrap();
    h.drain();
    assert_eq!(
        sends(&h.take_frames()),
        vec![
            ("acked".into(), "p-0".into(), "p-0".into()),
            ("in flight".into(), "p-1".into(), "p-1".into()),
        ],
        "sent at once, each with a receipt"
    );
    h.server_send(&receipt("p-0"));
    h.transport_closed(1006);
    h.advance(1000.0);
    h.open_and_connect(Version::V1_2, "0,0");
    assert_eq!(
        sends(&h.take_frames()),
        vec![("in flight".into(), "p-1".into(), "p-1".into())]
    );
}
