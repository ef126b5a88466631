//! Heart-beats: the send schedule and detection of a silent peer.

use super::*;
use crate::client::Publish;

fn hb_config(outgoing: u32, incoming: u32) -> SessionConfig {
    SessionConfig {
        heartbeat_outgoing: outgoing,
        heartbeat_incoming: incoming,
        reconnect_delay: 1000,
        ..quiet_config()
    }
}

#[test]
fn sends_an_eol_each_negotiated_interval_of_send_silence() {
    // Client offers 1000 out; server wants 2000: max(1000, 2000) = 2000.
    let mut h = Harness::new(hb_config(1000, 0));
    h.connect(Version::V1_2, "0,2000");
    assert_eq!(h.session.negotiated_heartbeats(), (2000, 0));
    let connect_sent_at = 0.0;
    assert_eq!(h.session.poll_timeout(), Some(connect_sent_at + 2000.0));
    h.advance_to(1999.0);
    assert!(h.heartbeats_at.is_empty());
    h.advance_to(2000.0);
    assert_eq!(h.heartbeats_at, vec![2000.0]);
    h.advance_to(6000.0);
    assert_eq!(h.heartbeats_at, vec![2000.0, 4000.0, 6000.0]);

    // Anything sent resets the schedule: a publish at 7000 means no beat until 9000.
    h.advance_to(7000.0);
    h.session.publish(7000.0, Publish::new("/q", "x")).unwrap();
    h.drain();
    h.advance_to(8999.0);
    assert_eq!(h.heartbeats_at, vec![2000.0, 4000.0, 6000.0]);
    h.advance_to(9000.0);
    assert_eq!(h.heartbeats_at.last(), Some(&9000.0));
    // Beats are single EOLs, nothing else.
    assert!(h.sends.iter().any(|a| *a
        == Action::Send {
            data: b"\n".to_vec(),
            binary: false
        }));
}

#[test]
fn no_heartbeats_when_either_side_declines() {
    let mut h = Harness::new(hb_config(1000, 1000));
    h.connect(Version::V1_2, "0,0");
    assert_eq!(h.session.poll_timeout(), None);
    h.advance_to(60_000.0);
    assert!(h.heartbeats_at.is_empty());
    assert!(h.closes.is_empty());
}

#[test]
fn silence_beyond_interval_times_tolerance_is_a_lost_peer() {
    // Client wants 1000 in, server offers 1500: max = 1500; tolerance 2 → lost after 3000 ms.
    let mut h = Harness::new(hb_config(0, 1000));
    h.connect(Version::V1_1, "1500,0");
    h.take_events();
    h.advance_to(2000.0);
    h.server_bytes(b"\n");
    assert_eq!(h.take_events(), vec![Event::HeartbeatReceived]);
    // Lost at 2000 + 3000.
    h.advance_to(4999.0);
    assert!(h.closes.is_empty());
    h.advance_to(5000.0);
    assert_eq!(h.take_events(), vec![Event::HeartbeatLost]);
    assert_eq!(h.closes, vec![false]);
    assert!(!h.session.connected());
    h.transport_closed(1006);
    h.advance_to(6000.0);
    assert_eq!(h.opens.len(), 2, "reconnects after the loss");
}

#[test]
fn any_incoming_frame_counts_as_life() {
    let mut h = Harness::new(SessionConfig {
        heartbeat_tolerance_multiplier: 1.5,
        ..hb_config(0, 1000)
    });
    h.connect(Version::V1_2, "1000,0");
    h.session.subscribe(0.0, "/t", Default::default()).unwrap();
    h.drain();
    for t in [1400.0, 2800.0, 4200.0] {
        h.advance_to(t);
        h.server_send(&message("sub-0", "m", "hi"));
    }
    h.advance_to(5699.0);
    assert_eq!(h.count_events(|e| *e == Event::HeartbeatLost), 0);
    h.advance_to(5700.0);
    assert_eq!(h.count_events(|e| *e == Event::HeartbeatLost), 1);
}

#[test]
fn lost_peer_discards_the_transport_when_configured() {
    let mut h = Harness::new(SessionConfig {
        discard_websocket_on_comm_failure: true,
        ..hb_config(0, 1000)
    });
    h.connect(Version::V1_2, "1000,0");
    h.advance_to(2000.0);
    assert_eq!(h.closes, vec![true]);
    assert_eq!(h.count_events(|e| *e == Event::HeartbeatLost), 1);
    assert_eq!(
        h.count_events(|e| matches!(e, Event::TransportClosed { code: 4001, .. })),
        1
    );
    // The reconnection is already scheduled, without waiting for the old transport's close.
    assert_eq!(h.session.poll_timeout(), Some(3000.0));
}
