//! Reconnection schedule: linear, exponential with a cap (started over by activate), attempt limit.

use super::*;
use crate::client::{ActivationState, ReconnectTimeMode};

/// Lets `n` consecutive attempts fail (transport opens and closes at once) and returns the
/// scheduled delays.
fn fail_attempts(h: &mut Harness, n: usize) -> Vec<Millis> {
    let mut delays = Vec::new();
    for _ in 0..n {
        h.transport_closed(1006);
        let Some(Event::ReconnectScheduled { after, .. }) = h.events.last().cloned() else {
            break;
        };
        delays.push(after);
        h.advance(after);
    }
    delays
}

#[test]
fn linear_mode_waits_the_same_delay_every_time() {
    let mut h = Harness::new(quiet_config());
    h.session.activate(0.0).unwrap();
    h.drain();
    assert_eq!(fail_attempts(&mut h, 4), vec![5000.0; 4]);
    assert_eq!(
        h.opens.iter().map(|o| o.0).collect::<Vec<_>>(),
        vec![0.0, 5000.0, 10_000.0, 15_000.0, 20_000.0]
    );
}

#[test]
fn exponential_mode_doubles_up_to_the_cap_across_connections_until_activate() {
    let config = SessionConfig {
        reconnect_delay: 1000,
        max_reconnect_delay: 8000,
        reconnect_time_mode: ReconnectTimeMode::Exponential,
        ..quiet_config()
    };
    let mut h = Harness::new(config);
    h.session.activate(0.0).unwrap();
    h.drain();
    assert_eq!(fail_attempts(&mut h, 3), vec![1000.0, 2000.0, 4000.0]);
    // A connection that succeeds in between does not start the backoff over (stompjs).
    h.open_and_connect(Version::V1_2, "0,0");
    assert_eq!(fail_attempts(&mut h, 3), vec![8000.0, 8000.0, 8000.0]);
    // deactivate() then activate() does.
    h.session.deactivate(h.now, true);
    h.drain();
    assert_eq!(h.session.state(), ActivationState::Inactive);
    h.session.activate(h.now).unwrap();
    h.drain();
    assert_eq!(fail_attempts(&mut h, 2), vec![1000.0, 2000.0]);
}

#[test]
fn a_cap_below_the_first_delay_is_reported_and_the_delay_is_used() {
    let mut h = Harness::new(SessionConfig {
        reconnect_delay: 1000,
        max_reconnect_delay: 300,
        reconnect_time_mode: ReconnectTimeMode::Exponential,
        debug: true,
        ..quiet_config()
    });
    h.session.activate(0.0).unwrap();
    h.drain();
    assert!(
        h.events.iter().any(|e| matches!(e, Event::Debug(line)
            if line.contains("maxReconnectDelay 300ms is below reconnectDelay 1000ms"))),
        "{:?}",
        h.events
    );
    assert_eq!(fail_attempts(&mut h, 3), vec![1000.0; 3]);
}

#[test]
fn exponential_mode_without_cap_keeps_doubling() {
    let mut h = Harness::new(SessionConfig {
        reconnect_delay: 100,
        max_reconnect_delay: 0,
        reconnect_time_mode: ReconnectTimeMode::Exponential,
        ..quiet_config()
    });
    h.session.activate(0.0).unwrap();
    h.drain();
    assert_eq!(
        fail_attempts(&mut h, 6),
        vec![100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0]
    );
}

#[test]
fn gives_up_after_max_attempts_and_goes_inactive() {
    let mut h = Harness::new(SessionConfig {
        reconnect_delay: 100,
        max_reconnect_attempts: Some(3),
        ..quiet_config()
    });
    h.session.activate(0.0).unwrap();
    h.drain();
    assert_eq!(fail_attempts(&mut h, 10), vec![100.0; 3]);
    assert_eq!(h.opens.len(), 4, "first attempt + 3 reconnections");
    assert!(h.events.contains(&Event::ReconnectGaveUp { attempts: 3 }));
    assert_eq!(h.session.state(), ActivationState::Inactive);
    assert_eq!(h.session.poll_timeout(), None);
    // It can be activated again, with a fresh count.
    h.session.activate(h.now).unwrap();
    h.drain();
    assert_eq!(fail_attempts(&mut h, 10).len(), 3);
}

#[test]
fn a_successful_connection_resets_the_attempt_count() {
    let mut h = Harness::new(SessionConfig {
        reconnect_delay: 100,
        max_reconnect_attempts: Some(2),
        ..quiet_config()
    });
    h.session.activate(0.0).unwrap();
    h.drain();
    assert_eq!(fail_attempts(&mut h, 1).len(), 1);
    h.open_and_connect(Version::V1_2, "0,0");
    assert_eq!(fail_attempts(&mut h, 10).len(), 2);
    assert_eq!(h.session.state(), ActivationState::Inactive);
}

#[test]
fn zero_reconnect_delay_disables_reconnection() {
    let mut h = Harness::new(SessionConfig {
        reconnect_delay: 0,
        ..quiet_config()
    });
    h.connect(Version::V1_2, "0,0");
    h.transport_closed(1006);
    assert_eq!(h.session.poll_timeout(), None);
    h.advance_to(1_000_000.0);
    assert_eq!(h.opens.len(), 1);
    // As in stompjs, the client stays ACTIVE.
    assert_eq!(h.session.state(), ActivationState::Active);
}

#[test]
fn reconnect_now_skips_the_wait() {
    let mut h = Harness::new(SessionConfig {
        reconnect_delay: 60_000,
        ..quiet_config()
    });
    h.connect(Version::V1_2, "0,0");
    assert_eq!(h.session.negotiated_heartbeats(), (0, 0));
    h.session.reconnect_now(10.0);
    h.drain();
    assert_eq!(h.opens.len(), 1, "nothing scheduled: nothing to do");
    h.transport_closed(1006);
    h.now = 500.0;
    h.session.reconnect_now(500.0);
    h.drain();
    assert_eq!(h.opens.len(), 2);
    assert_eq!(h.opens[1].0, 500.0);
    assert_eq!(h.session.poll_timeout(), None);
}
