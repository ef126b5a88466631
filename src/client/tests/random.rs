//! Random sequences of user calls, transport reports, peer bytes and time: the session never
//! panics, never loops on a timeout, and keeps its invariants.

use proptest::prelude::*;

use super::*;
use crate::client::{ActivationState, HeaderList, OfflineQueueConfig, Publish};

#[derive(Debug, Clone)]
enum Op {
    Activate,
    Deactivate(bool),
    ForceDisconnect,
    Opened,
    Connected(u8),
    PeerBytes(Vec<u8>),
    PeerMessage(u8),
    PeerReceipt(u8),
    PeerError(u8),
    Closed,
    Error,
    Advance(u16),
    Publish(u8),
    Subscribe,
    Unsubscribe(u8),
    Begin,
    BeforeConnectDone,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Activate),
        any::<bool>().prop_map(Op::Deactivate),
        Just(Op::ForceDisconnect),
        Just(Op::Opened),
        (0u8..3).prop_map(Op::Connected),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Op::PeerBytes),
        any::<u8>().prop_map(Op::PeerMessage),
        any::<u8>().prop_map(Op::PeerReceipt),
        any::<u8>().prop_map(Op::PeerError),
        Just(Op::Closed),
        Just(Op::Error),
        any::<u16>().prop_map(Op::Advance),
        any::<u8>().prop_map(Op::Publish),
        Just(Op::Subscribe),
        any::<u8>().prop_map(Op::Unsubscribe),
        Just(Op::Begin),
        Just(Op::BeforeConnectDone),
    ]
}

fn config(flags: u8) -> SessionConfig {
    SessionConfig {
        heartbeat_incoming: 500,
        heartbeat_outgoing: 700,
        connection_timeout: if flags & 1 != 0 { 900 } else { 0 },
        reconnect_delay: 300,
        max_reconnect_attempts: if flags & 2 != 0 { Some(3) } else { None },
        discard_websocket_on_comm_failure: flags & 4 != 0,
        run_before_connect: flags & 8 != 0,
        resubscribe: flags & 16 != 0,
        split_large_frames: flags & 32 != 0,
        max_web_socket_chunk_size: 13,
        disconnect_timeout: 400,
        offline_queue: (flags & 64 != 0).then(|| OfflineQueueConfig {
            max_frames: 5,
            max_bytes: 400,
            ..OfflineQueueConfig::default()
        }),
        ..quiet_config()
    }
}

proptest! {
    #[test]
    fn random_inputs_keep_the_session_consistent(
        flags in any::<u8>(),
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        let mut h = Harness::new(config(flags));
        for op in ops {
            let now = h.now;
            let s = &mut h.session;
            match op {
                Op::Activate => { let _ = s.activate(now); }
                Op::Deactivate(force) => s.deactivate(now, force),
                Op::ForceDisconnect => s.force_disconnect(now),
                Op::Opened => s.transport_opened(now, Some("v12.stomp")),
                Op::Connected(v) => {
                    let version = Version::ALL[usize::from(v)];
                    let frame = Frame::new(Command::Connected)
                        .header("version", version.as_str())
                        .header("heart-beat", "400,400");
                    let mut out = BytesMut::new();
                    Encoder::new(version).encode(&frame, &mut out);
                    s.transport_data(now, &out);
                }
                Op::PeerBytes(bytes) => s.transport_data(now, &bytes),
                Op::PeerMessage(n) => {
                    let mut out = BytesMut::new();
                    let sub = format!("sub-{}", n % 4);
                    Encoder::default().encode(&message(&sub, "m", "body"), &mut out);
                    s.transport_data(now, &out);
                }
                Op::PeerReceipt(n) => {
                    let mut out = BytesMut::new();
                    let id = match n % 3 { 0 => format!("close-{}", n % 8), 1 => (n % 5).to_string(), _ => "r".into() };
                    Encoder::default().encode(&receipt(&id), &mut out);
                    s.transport_data(now, &out);
                }
                Op::PeerError(n) => {
                    let mut out = BytesMut::new();
                    let frame = Frame::error("bad", "").header("subscription", format!("sub-{}", n % 4));
                    Encoder::default().encode(&frame, &mut out);
                    s.transport_data(now, &out);
                }
                Op::Closed => s.transport_closed(now, 1006, "x"),
                Op::Error => s.transport_error(now, "x"),
                Op::Advance(ms) => {
                    h.drain();
                    h.advance(f64::from(ms));
                }
                Op::Publish(n) => {
                    let _ = s.publish(now, Publish::new("/q", "x".repeat(usize::from(n))));
                }
                Op::Subscribe => { let _ = s.subscribe(now, "/t", HeaderList::new()); }
                Op::Unsubscribe(n) => {
                    let _ = s.unsubscribe(now, &format!("sub-{}", n % 4), &HeaderList::new());
                }
                Op::Begin => { let _ = s.begin(now, None); }
                Op::BeforeConnectDone => s.before_connect_done(now),
            }
            h.drain();

            let s = &h.session;
            if s.state() == ActivationState::Inactive {
                prop_assert!(!s.connected());
            }
            if s.connected() {
                prop_assert!(s.connected_version().is_some());
            }
            prop_assert!(s.offline_queue_len() <= 5);
            prop_assert!(s.offline_queue_bytes() <= 400);
            if let Some(at) = s.poll_timeout() {
                prop_assert!(at.is_finite());
            }
        }
        // Whatever happened, a forced deactivate ends in INACTIVE with nothing scheduled.
        h.session.deactivate(h.now, true);
        h.drain();
        prop_assert_eq!(h.session.state(), ActivationState::Inactive);
        prop_assert_eq!(h.session.poll_timeout(), None);
    }
}
