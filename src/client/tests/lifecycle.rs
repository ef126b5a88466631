//! Activation lifecycle: deactivate (graceful, timed out, forced), re-activation, restoring
//! subscriptions after a reconnect, stale transport reports.

use super::*;
use crate::client::{ActivationState, ClientError, HeaderList};

fn states(h: &Harness) -> Vec<ActivationState> {
    h.events
        .iter()
        .filter_map(|e| match e {
            Event::StateChanged(s) => Some(*s),
            _ => None,
        })
        .collect()
}

#[test]
fn graceful_deactivate_disconnects_with_a_receipt_and_never_reconnects() {
    let mut h = Harness::new(SessionConfig {
        disconnect_headers: [("x-bye", "1")].into_iter().collect(),
        ..quiet_config()
    });
    h.connect(Version::V1_2, "0,0");
    h.take_frames();
    h.session.deactivate(10.0, false);
    h.drain();
    assert_eq!(h.session.state(), ActivationState::Deactivating);
    let frames = h.take_frames();
    assert_eq!(frames[0].command, Command::Disconnect);
    assert_eq!(frames[0].get("x-bye"), Some("1"));
    let receipt_id = frames[0].get("receipt").expect("receipt").to_owned();
    assert!(receipt_id.starts_with("close-"));
    assert!(h.closes.is_empty(), "waits for the RECEIPT");

    // activate() is refused until the close completes.
    assert_eq!(
        h.session.activate(10.0),
        Err(ClientError::StillDeactivating)
    );

    h.server_send(&receipt(&receipt_id));
    assert!(h.events.iter().any(
        |e| matches!(e, Event::Disconnected(f) if f.get("receipt-id") == Some(receipt_id.as_str()))
    ));
    assert_eq!(h.closes, vec![false]);
    assert_eq!(h.session.state(), ActivationState::Deactivating);
    h.transport_closed(1000);
    assert_eq!(h.session.state(), ActivationState::Inactive);
    assert_eq!(
        states(&h),
        vec![
            ActivationState::Active,
            ActivationState::Deactivating,
            ActivationState::Inactive
        ]
    );
    assert_eq!(h.session.poll_timeout(), None);
    h.advance_to(1_000_000.0);
    assert_eq!(h.opens.len(), 1, "no reconnection after deactivate");
}

#[test]
fn graceful_deactivate_closes_anyway_when_the_receipt_never_comes() {
    let mut h = Harness::new(SessionConfig {
        disconnect_timeout: 2000,
        ..quiet_config()
    });
    h.connect(Version::V1_2, "0,0");
    h.session.deactivate(0.0, false);
    h.drain();
    h.advance_to(1999.0);
    assert!(h.closes.is_empty());
    h.advance_to(2000.0);
    assert_eq!(h.closes, vec![false]);
    assert_eq!(h.count_events(|e| matches!(e, Event::Disconnected(_))), 0);
    h.transport_closed(1006);
    assert_eq!(h.session.state(), ActivationState::Inactive);
}

#[test]
fn forced_deactivate_drops_the_transport_at_once() {
    let mut h = Harness::new(quiet_config());
    h.connect(Version::V1_2, "0,0");
    h.take_frames();
    h.session.deactivate(0.0, true);
    h.drain();
    assert!(h.take_frames().is_empty(), "no DISCONNECT");
    assert_eq!(h.closes, vec![true]);
    assert_eq!(h.session.state(), ActivationState::Inactive);
    assert!(!h.session.connected());
    // The old transport's late reports change nothing.
    h.server_send(&message("sub-0", "1", "late"));
    h.transport_closed(1000);
    assert_eq!(
        h.count_events(|e| matches!(e, Event::UnhandledMessage(_))),
        0
    );
    assert_eq!(
        h.count_events(|e| matches!(e, Event::TransportClosed { .. })),
        1
    );
    // And it can be activated again.
    h.session.activate(h.now).unwrap();
    h.drain();
    assert_eq!(h.opens.len(), 2);
}

#[test]
fn deactivate_while_connecting_or_waiting_to_reconnect() {
    // While the transport is opening: close it, INACTIVE once closed.
    let mut h = Harness::new(quiet_config());
    h.session.activate(0.0).unwrap();
    h.drain();
    h.session.deactivate(0.0, false);
    h.drain();
    assert_eq!(h.closes, vec![false]);
    h.transport_closed(1000);
    assert_eq!(h.session.state(), ActivationState::Inactive);

    // While waiting to reconnect: INACTIVE at once, the reconnection cancelled.
    let mut h = Harness::new(quiet_config());
    h.connect(Version::V1_2, "0,0");
    h.transport_closed(1006);
    assert!(h.session.poll_timeout().is_some());
    h.session.deactivate(h.now, false);
    h.drain();
    assert_eq!(h.session.state(), ActivationState::Inactive);
    assert_eq!(h.session.poll_timeout(), None);
    h.advance_to(1_000_000.0);
    assert_eq!(h.opens.len(), 1);

    // Deactivating an inactive session does nothing.
    let before = h.events.len();
    h.session.deactivate(h.now, false);
    h.drain();
    assert_eq!(h.events.len(), before);
}

#[test]
fn a_second_activate_while_active_is_ignored() {
    let mut h = Harness::new(quiet_config());
    h.session.activate(0.0).unwrap();
    h.session.activate(0.0).unwrap();
    h.drain();
    assert_eq!(h.opens.len(), 1);
}

#[test]
fn subscriptions_are_restored_after_a_reconnect() {
    let mut h = Harness::new(SessionConfig {
        reconnect_delay: 1000,
        ..quiet_config()
    });
    h.connect(Version::V1_2, "0,0");
    let a = h
        .session
        .subscribe(
            0.0,
            "/topic/a",
            [("ack", "client-individual")].into_iter().collect(),
        )
        .unwrap();
    let b = h
        .session
        .subscribe(0.0, "/topic/b", HeaderList::new())
        .unwrap();
    h.session.unsubscribe(0.0, &b, &HeaderList::new()).unwrap();
    h.drain();
    h.take_frames();

    h.transport_closed(1006);
    // Subscribing while disconnected registers it for the next connection.
    let c = h
        .session
        .subscribe(h.now, "/topic/c", HeaderList::new())
        .unwrap();
    h.advance(1000.0);
    h.open_and_connect(Version::V1_2, "0,0");
    let subs: Vec<(String, String, Option<String>)> = h
        .take_frames()
        .into_iter()
        .filter(|f| f.command == Command::Subscribe)
        .map(|f| {
            (
                f.get("id").unwrap_or_default().to_owned(),
                f.get("destination").unwrap_or_default().to_owned(),
                f.get("ack").map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        subs,
        vec![
            (
                a.clone(),
                "/topic/a".into(),
                Some("client-individual".into())
            ),
            (c.clone(), "/topic/c".into(), None),
        ]
    );
    // Restored before the user hears of the connection (whose onConnect may subscribe more).
    let connected_at = h
        .events
        .iter()
        .position(|e| matches!(e, Event::Connected(_)))
        .unwrap();
    assert!(h.events[..connected_at]
        .iter()
        .all(|e| !matches!(e, Event::Message(_))));
    h.server_send(&message(&a, "1", "after reconnect"));
    assert!(matches!(h.events.last(), Some(Event::Message(frame)) if frame.name() == a));
}

#[test]
fn without_resubscribe_subscriptions_end_with_the_connection() {
    let mut h = Harness::new(SessionConfig {
        resubscribe: false,
        reconnect_delay: 1000,
        ..quiet_config()
    });
    h.connect(Version::V1_2, "0,0");
    h.session
        .subscribe(0.0, "/topic/a", HeaderList::new())
        .unwrap();
    h.drain();
    h.take_frames();
    h.transport_closed(1006);
    h.advance(1000.0);
    h.open_and_connect(Version::V1_2, "0,0");
    assert!(h
        .take_frames()
        .iter()
        .all(|f| f.command != Command::Subscribe));
    assert_eq!(h.session.subscription_ids().count(), 0);
}

#[test]
fn only_restorable_subscriptions_come_back_after_a_reconnect() {
    // What the browser shell does: subscriptions made in onConnect are re-made by the app on
    // every connect, so the session must not restore them too (or messages arrive twice).
    let mut h = Harness::new(SessionConfig {
        reconnect_delay: 1000,
        ..quiet_config()
    });
    h.connect(Version::V1_2, "0,0");
    let kept = h
        .session
        .subscribe_with(0.0, "/topic/kept", &HeaderList::new(), true)
        .unwrap();
    let scoped = h
        .session
        .subscribe_with(0.0, "/topic/scoped", &HeaderList::new(), false)
        .unwrap();
    h.drain();
    h.take_frames();
    h.transport_closed(1006);
    h.advance(1000.0);
    h.open_and_connect(Version::V1_2, "0,0");
    let resent: Vec<String> = h
        .take_frames()
        .iter()
        .filter(|f| f.command == Command::Subscribe)
        .map(|f| f.get("id").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(resent, vec![kept.clone()]);
    let live: Vec<&str> = h.session.subscription_ids().collect();
    assert_eq!(live, vec![kept.as_str()]);
    assert_ne!(kept, scoped);
}

#[test]
fn force_disconnect_reconnects() {
    let mut h = Harness::new(SessionConfig {
        reconnect_delay: 300,
        ..quiet_config()
    });
    h.connect(Version::V1_2, "0,0");
    h.session.force_disconnect(0.0);
    h.drain();
    assert_eq!(h.closes, vec![false]);
    h.transport_closed(1000);
    assert_eq!(h.session.state(), ActivationState::Active);
    h.advance_to(300.0);
    assert_eq!(h.opens.len(), 2);
}

#[test]
fn sends_queued_for_a_dead_transport_are_dropped() {
    let mut h = Harness::new(quiet_config());
    h.connect(Version::V1_2, "0,0");
    h.session
        .publish(0.0, crate::client::Publish::new("/q", "unsent"))
        .unwrap();
    // The transport dies before the shell polled the send.
    h.session.transport_closed(0.0, 1006, "gone");
    assert!(
        std::iter::from_fn(|| h.session.poll_action()).all(|a| !matches!(a, Action::Send { .. }))
    );
}
