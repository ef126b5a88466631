//! Connecting: the CONNECT frame, version negotiation, beforeConnect, connection timeout.

use super::*;
use crate::client::{ActivationState, ClientError, HeaderList};

#[test]
fn connect_frame_carries_versions_heartbeats_host_and_user_headers() {
    let mut h = Harness::new(SessionConfig {
        broker_url: "ws://broker.test/ws".into(),
        host: Some("vhost-a".into()),
        connect_headers: [("login", "guest"), ("passcode", "secret")]
            .into_iter()
            .collect(),
        ..SessionConfig::default()
    });
    h.session.activate(0.0).unwrap();
    h.drain();
    assert_eq!(
        h.opens,
        vec![(
            0.0,
            "ws://broker.test/ws".to_owned(),
            vec![
                "v12.stomp".to_owned(),
                "v11.stomp".into(),
                "v10.stomp".into()
            ]
        )]
    );
    assert_eq!(h.session.state(), ActivationState::Active);
    assert!(!h.session.connected());

    let connect = h.open_and_connect(Version::V1_2, "0,0");
    assert_eq!(connect.command, Command::Connect);
    assert_eq!(connect.get("accept-version"), Some("1.2,1.1,1.0"));
    assert_eq!(connect.get("heart-beat"), Some("10000,10000"));
    assert_eq!(connect.get("host"), Some("vhost-a"));
    assert_eq!(connect.get("login"), Some("guest"));
    assert_eq!(connect.get("passcode"), Some("secret"));

    assert!(h.session.connected());
    assert_eq!(h.session.connected_version(), Some(Version::V1_2));
    let events = h.take_events();
    assert_eq!(events[0], Event::StateChanged(ActivationState::Active));
    assert!(matches!(&events[1], Event::Connected(f) if f.get("version") == Some("1.2")));
    assert_eq!(events.len(), 2);
}

#[test]
fn configured_versions_shape_accept_version_and_subprotocols() {
    let mut h = Harness::new(SessionConfig {
        stomp_versions: vec![Version::V1_1, Version::V1_0],
        ..quiet_config()
    });
    h.session.activate(0.0).unwrap();
    h.drain();
    assert_eq!(h.opens[0].2, vec!["v11.stomp", "v10.stomp"]);
    let connect = h.open_and_connect(Version::V1_1, "0,0");
    assert_eq!(connect.get("accept-version"), Some("1.1,1.0"));
    assert_eq!(connect.get("host"), None, "no host unless configured");
    assert_eq!(h.session.connected_version(), Some(Version::V1_1));
}

#[test]
fn the_browser_builds_accept_versions_are_what_the_session_writes() {
    // The browser build's `Versions` are `ACCEPT_VERSIONS`' strings, picked by bit set: each must
    // be what this build writes for the same versions, newest first.
    use crate::client::ACCEPT_VERSIONS;
    for (bits, &accept) in ACCEPT_VERSIONS.iter().enumerate() {
        let versions: Vec<Version> = Version::ALL
            .into_iter()
            .enumerate()
            .rev()
            .filter(|&(bit, _)| bits & 1 << bit != 0)
            .map(|(_, v)| v)
            .collect();
        let names: Vec<&str> = versions.iter().map(|v| v.as_str()).collect();
        assert_eq!(accept, names.join(","), "bit set {bits}");
        let Some(&newest) = versions.first() else {
            continue;
        };
        let mut h = Harness::new(SessionConfig {
            stomp_versions: versions,
            ..quiet_config()
        });
        h.session.activate(0.0).unwrap();
        h.drain();
        let connect = h.open_and_connect(newest, "0,0");
        assert_eq!(
            connect.get("accept-version"),
            Some(accept),
            "bit set {bits}"
        );
    }
}

#[test]
fn connected_without_version_header_means_1_0() {
    let mut h = Harness::new(quiet_config());
    h.session.activate(0.0).unwrap();
    h.drain();
    h.session.transport_opened(0.0, None);
    h.drain();
    h.server_send(&Frame::new(Command::Connected));
    assert_eq!(h.session.connected_version(), Some(Version::V1_0));
    assert_eq!(
        h.session.poll_timeout(),
        None,
        "no heart-beat header, no heart-beats"
    );
}

#[test]
fn a_1_0_server_that_answers_heart_beat_gets_heart_beats() {
    // RabbitMQ negotiates heart-beats on 1.0 too, and closes a client that stays silent.
    let mut h = Harness::new(SessionConfig {
        stomp_versions: vec![Version::V1_0],
        heartbeat_outgoing: 1000,
        heartbeat_incoming: 1000,
        ..quiet_config()
    });
    h.connect(Version::V1_0, "1000,1000");
    h.advance_to(1000.0);
    assert_eq!(h.heartbeats_at, vec![1000.0]);
}

#[test]
fn before_connect_runs_before_every_attempt_and_can_change_credentials() {
    let mut h = Harness::new(SessionConfig {
        run_before_connect: true,
        reconnect_delay: 1000,
        ..quiet_config()
    });
    h.session.activate(0.0).unwrap();
    h.drain();
    assert_eq!(h.before_connect_runs, 1);
    assert!(
        h.opens.is_empty(),
        "no transport before beforeConnect is done"
    );
    h.session
        .config_mut()
        .connect_headers
        .set("passcode", "token-1");
    h.session.before_connect_done(0.0);
    h.drain();
    assert_eq!(h.opens.len(), 1);
    let connect = h.open_and_connect(Version::V1_2, "0,0");
    assert_eq!(connect.get("passcode"), Some("token-1"));

    h.transport_closed(1006);
    h.advance(1000.0);
    assert_eq!(h.before_connect_runs, 2);
    assert_eq!(h.opens.len(), 1);
    h.session
        .config_mut()
        .connect_headers
        .set("passcode", "token-2");
    h.session.before_connect_done(h.now);
    h.drain();
    let connect = h.open_and_connect(Version::V1_2, "0,0");
    assert_eq!(connect.get("passcode"), Some("token-2"));
}

#[test]
fn deactivate_during_before_connect_never_opens_a_transport() {
    let mut h = Harness::new(SessionConfig {
        run_before_connect: true,
        ..quiet_config()
    });
    h.session.activate(0.0).unwrap();
    h.session.deactivate(0.0, false);
    h.session.before_connect_done(0.0);
    h.drain();
    assert!(h.opens.is_empty());
    assert_eq!(h.session.state(), ActivationState::Inactive);
    assert_eq!(
        h.take_events(),
        vec![
            Event::StateChanged(ActivationState::Active),
            Event::StateChanged(ActivationState::Deactivating),
            Event::StateChanged(ActivationState::Inactive),
        ]
    );
}

#[test]
fn connection_timeout_closes_and_retries() {
    let mut h = Harness::new(SessionConfig {
        connection_timeout: 3000,
        reconnect_delay: 500,
        ..quiet_config()
    });
    h.session.activate(0.0).unwrap();
    h.drain();
    h.session.transport_opened(100.0, None);
    h.drain();
    h.advance_to(2999.0);
    assert!(h.closes.is_empty());
    h.advance_to(3000.0);
    assert_eq!(h.closes, vec![false]);
    h.transport_closed(1000);
    assert_eq!(h.session.poll_timeout(), Some(3500.0));
    h.advance_to(3500.0);
    assert_eq!(h.opens.len(), 2);
    assert_eq!(h.opens[1].0, 3500.0);
    // Connected in time on the second attempt: the timeout is gone.
    h.open_and_connect(Version::V1_2, "0,0");
    h.advance_to(100_000.0);
    assert_eq!(h.closes.len(), 1);
}

#[test]
fn connection_timeout_discards_when_configured() {
    let mut h = Harness::new(SessionConfig {
        connection_timeout: 1000,
        discard_websocket_on_comm_failure: true,
        reconnect_delay: 500,
        ..quiet_config()
    });
    h.session.activate(0.0).unwrap();
    h.drain();
    h.advance_to(1000.0);
    assert_eq!(h.closes, vec![true]);
    assert!(h.events.contains(&Event::TransportClosed {
        code: 4001,
        reason: "transport discarded by the STOMP client".into()
    }));
    // A late close of the discarded transport is ignored.
    h.transport_closed(1006);
    assert_eq!(
        h.count_events(|e| matches!(e, Event::TransportClosed { .. })),
        1
    );
    h.advance_to(1500.0);
    assert_eq!(h.opens.len(), 2);
}

#[test]
fn requests_needing_a_connection_fail_clearly_when_there_is_none() {
    let mut h = Harness::new(SessionConfig {
        resubscribe: false,
        ..quiet_config()
    });
    let err = h
        .session
        .publish(0.0, crate::client::Publish::new("/q", "x"))
        .unwrap_err();
    assert_eq!(err, ClientError::NotConnected);
    assert_eq!(err.to_string(), "There is no underlying STOMP connection");
    assert_eq!(
        h.session.subscribe(0.0, "/q", HeaderList::new()),
        Err(ClientError::NotConnected)
    );
    assert_eq!(h.session.begin(0.0, None), Err(ClientError::NotConnected));
    assert_eq!(h.session.commit(0.0, "tx"), Err(ClientError::NotConnected));
    assert_eq!(
        h.session.ack(0.0, "m", "s", HeaderList::new()),
        Err(ClientError::NotConnected)
    );
    h.drain();
    assert!(h.sends.is_empty());
}

#[test]
fn an_error_before_connected_is_reported_and_the_attempt_retried() {
    let mut h = Harness::new(SessionConfig {
        reconnect_delay: 2000,
        ..quiet_config()
    });
    h.session.activate(0.0).unwrap();
    h.drain();
    h.session.transport_opened(0.0, None);
    h.drain();
    h.server_send(&Frame::error("Bad credentials", "login refused"));
    assert!(h
        .events
        .iter()
        .any(|e| matches!(e, Event::StompError(f) if f.get("message") == Some("Bad credentials"))));
    assert!(!h.session.connected());
    h.transport_closed(1002);
    h.advance_to(2000.0);
    assert_eq!(h.opens.len(), 2);
}

#[test]
fn debug_lines_only_when_enabled() {
    let mut h = Harness::new(quiet_config());
    h.connect(Version::V1_2, "0,0");
    assert_eq!(h.count_events(|e| matches!(e, Event::Debug(_))), 0);

    let mut h = Harness::new(SessionConfig {
        debug: true,
        ..quiet_config()
    });
    h.connect(Version::V1_2, "0,0");
    assert!(h.events.contains(&Event::Debug(">>> CONNECT".into())));
    assert!(h.events.contains(&Event::Debug("<<< CONNECTED".into())));
}
