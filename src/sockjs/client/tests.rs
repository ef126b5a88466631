//! The SockJS client core with simulated time: `/info`, the plan, the race, sends, streams.

use super::connection::{
    ConnAction, ConnEvent, ConnectionLimits, Frame, SendError, SockJsConnection,
};
use super::info::{parse_info, Info};
use super::plan::{
    attempt_timeout, head_start, rto, stream_head_start, TransportKind, TransportPlan,
};
use crate::sockjs::json::decode_string_array;

use TransportKind::{EventSource, WebSocket, XhrPolling, XhrStreaming};

const INFO_WS: &str = r#"{"websocket":true,"cookie_needed":false,"origins":["*:*"],"entropy":1}"#;
const INFO_NO_WS: &str =
    r#"{"websocket":false,"cookie_needed":true,"origins":["*:*"],"entropy":2}"#;

fn actions(c: &mut SockJsConnection) -> Vec<ConnAction> {
    std::iter::from_fn(|| c.poll_action()).collect()
}

fn events(c: &mut SockJsConnection) -> Vec<ConnEvent> {
    std::iter::from_fn(|| c.poll_event())
        .filter(|e| !matches!(e, ConnEvent::Debug(_)))
        .collect()
}

/// A connection that fetched `/info` at t=0 and got it at t=`rtt`.
fn started(plan: TransportPlan, info: &str, rtt: f64) -> SockJsConnection {
    let mut c = SockJsConnection::new(b"http://h/stomp/", plan, 42);
    c.connect(0.0);
    let a = actions(&mut c);
    match a.as_slice() {
        [ConnAction::FetchInfo { url }] => assert!(url.starts_with("http://h/stomp/info")),
        other => panic!("expected FetchInfo, got {other:?}"),
    }
    c.info_received(rtt, 200, info.as_bytes());
    c
}

fn open_ws(c: &mut SockJsConnection) -> (u32, String) {
    match actions(c).as_slice() {
        [ConnAction::OpenWebSocket { channel, url }] => (*channel, url.clone()),
        other => panic!("expected OpenWebSocket, got {other:?}"),
    }
}

fn open_receiver(a: &[ConnAction]) -> (u32, TransportKind, String) {
    for action in a {
        if let ConnAction::OpenReceiver {
            channel, kind, url, ..
        } = action
        {
            return (*channel, *kind, url.clone());
        }
    }
    panic!("expected OpenReceiver in {a:?}")
}

/// A connection open over an HTTP transport `kind` (WebSocket disabled by `/info`).
fn open_http(kind: TransportKind) -> (SockJsConnection, u32, String) {
    let mut c = started(TransportPlan::new(&[kind]), INFO_NO_WS, 5.0);
    let (channel, k, url) = open_receiver(&actions(&mut c));
    assert_eq!(k, kind);
    match kind {
        EventSource => c.eventsource_message(6.0, channel, "o".as_bytes()),
        _ => c.receiver_text(6.0, channel, "o\n".as_bytes()),
    }
    assert_eq!(events(&mut c), vec![ConnEvent::Open(kind)]);
    (c, channel, url)
}

#[test]
fn info_reads_the_two_flags_at_the_top_level_only() {
    assert_eq!(
        parse_info(INFO_WS.as_bytes()),
        Ok(Info {
            websocket: true,
            cookie_needed: false
        })
    );
    assert_eq!(
        parse_info(INFO_NO_WS.as_bytes()),
        Ok(Info {
            websocket: false,
            cookie_needed: true
        })
    );
    let nested = r#"{"x":{"websocket":true},"origins":["websocket:true"],"cookie_needed":true}"#;
    assert_eq!(
        parse_info(nested.as_bytes()),
        Ok(Info {
            websocket: false,
            cookie_needed: true
        })
    );
    assert!(parse_info("<html>".as_bytes()).is_err());
    assert_eq!(
        parse_info(r#"{"websocket":}"#.as_bytes()).map(|i| i.websocket),
        Ok(false)
    );
    assert!(parse_info(r#"{"a":"unterminated}"#.as_bytes()).is_err());
}

#[test]
fn timeouts_follow_sockjs_client() {
    assert_eq!(rto(10.0), 310.0);
    assert_eq!(rto(200.0), 800.0);
    assert_eq!(attempt_timeout(10.0), 620.0);
    assert_eq!(head_start(2.0), 40.0, "a floor for a busy browser");
    assert_eq!(head_start(20.0), 60.0);
    assert!(head_start(1000.0) <= attempt_timeout(1000.0));
    assert_eq!(stream_head_start(10.0), 120.0);
    assert!(stream_head_start(1000.0) <= attempt_timeout(1000.0));
}

#[test]
fn transport_names_round_trip() {
    for kind in TransportKind::DEFAULT_ORDER {
        assert_eq!(TransportKind::from_name(kind.name()), Some(kind));
        assert_eq!(TransportKind::from_name(kind.path()), Some(kind));
    }
    assert_eq!(TransportKind::from_name("jsonp-polling"), None);
}

#[test]
fn plan_orders_by_whitelist_info_and_history() {
    let ws = Info {
        websocket: true,
        cookie_needed: false,
    };
    let no_ws = Info {
        websocket: false,
        cookie_needed: false,
    };
    let mut plan = TransportPlan::default();
    assert_eq!(
        plan.order(&ws, 0.0).to_vec(),
        TransportKind::DEFAULT_ORDER.to_vec()
    );
    assert_eq!(
        plan.order(&no_ws, 0.0).to_vec(),
        vec![XhrStreaming, EventSource, XhrPolling]
    );

    // WebSocket failed, xhr-polling worked: the reconnect starts with xhr-polling, WebSocket
    // comes last until the retry interval has passed, then first again.
    plan.failed(WebSocket, 1_000.0);
    plan.succeeded(XhrPolling);
    assert_eq!(
        plan.order(&ws, 2_000.0).to_vec(),
        vec![XhrPolling, XhrStreaming, EventSource, WebSocket]
    );
    assert_eq!(
        plan.order(&ws, 1_000.0 + super::plan::WEBSOCKET_RETRY_MS)
            .to_vec(),
        vec![WebSocket, XhrPolling, XhrStreaming, EventSource]
    );
    plan.succeeded(WebSocket);
    assert_eq!(plan.order(&ws, 2_000.0)[0], WebSocket);

    let mut only = TransportPlan::new(&[EventSource, EventSource, XhrPolling]);
    assert_eq!(only.whitelist(), &[EventSource, XhrPolling]);
    assert_eq!(only.order(&ws, 0.0).to_vec(), vec![EventSource, XhrPolling]);
    only.set_whitelist(&[]);
    assert_eq!(only.whitelist(), &TransportKind::DEFAULT_ORDER);
}

#[test]
fn websocket_that_opens_within_its_head_start_carries_the_session_alone() {
    let mut c = started(TransportPlan::default(), INFO_WS, 4.0);
    let (ws, url) = open_ws(&mut c);
    assert!(url.starts_with("ws://h/stomp/"), "{url}");
    assert!(url.ends_with("/websocket"));
    // server id: 3 digits; session id: no dots.
    let parts: Vec<&str> = url.trim_start_matches("ws://h/stomp/").split('/').collect();
    assert_eq!(parts.len(), 3);
    assert!(parts[0].len() == 3 && parts[0].bytes().all(|b| b.is_ascii_digit()));
    assert!(!parts[1].is_empty() && !parts[1].contains('.'));
    assert_eq!(c.poll_timeout(), Some(4.0 + head_start(4.0)));

    c.websocket_message(10.0, ws, "o".as_bytes());
    assert_eq!(events(&mut c), vec![ConnEvent::Open(WebSocket)]);
    assert_eq!(c.transport(), Some(WebSocket));
    assert_eq!(c.poll_timeout(), None);
    c.handle_timeout(1_000.0);
    assert!(
        actions(&mut c).is_empty(),
        "no HTTP transport once WebSocket is open"
    );

    c.send(b"SEND\ndestination:/q\n\nhi\0").unwrap();
    match actions(&mut c).as_slice() {
        [ConnAction::SendWebSocket { channel, text }] => {
            assert_eq!(*channel, ws);
            assert_eq!(
                decode_string_array(text).unwrap(),
                vec!["SEND\ndestination:/q\n\nhi\0".to_owned()]
            );
        }
        other => panic!("{other:?}"),
    }
    c.websocket_message(20.0, ws, r#"a["MESSAGE\n\nx\u0000","\n"]"#.as_bytes());
    assert_eq!(
        events(&mut c),
        vec![
            ConnEvent::Message(b"MESSAGE\n\nx\0".to_vec()),
            ConnEvent::Message(b"\n".to_vec())
        ]
    );
    c.websocket_message(30.0, ws, r#"c[3000,"Go away!"]"#.as_bytes());
    assert_eq!(
        events(&mut c),
        vec![ConnEvent::Closed {
            code: 3000,
            reason: "Go away!".into()
        }]
    );
    assert!(actions(&mut c).contains(&ConnAction::Shut { channel: ws }));
}

#[test]
fn swallowed_websocket_loses_the_race_to_xhr_streaming() {
    let rtt = 3.0;
    let mut c = started(TransportPlan::default(), INFO_WS, rtt);
    let (ws, _) = open_ws(&mut c);
    // No answer on the WebSocket: at the head start, xhr-streaming starts beside it.
    let race = rtt + head_start(rtt);
    c.handle_timeout(race - 1.0);
    assert!(actions(&mut c).is_empty());
    c.handle_timeout(race);
    let (http, kind, url) = open_receiver(&actions(&mut c));
    assert_eq!(kind, XhrStreaming);
    assert!(url.starts_with("http://h/stomp/") && url.ends_with("/xhr_streaming"));
    // The prelude (2048 'h' and a newline) then the open frame, split anywhere.
    let prelude = "h".repeat(2048) + "\n";
    c.receiver_text(race + 2.0, http, &prelude.as_bytes()[..1000]);
    c.receiver_text(race + 2.0, http, &prelude.as_bytes()[1000..]);
    c.receiver_text(race + 3.0, http, "o".as_bytes());
    assert!(events(&mut c).is_empty());
    c.receiver_text(race + 3.0, http, "\n".as_bytes());
    assert_eq!(
        events(&mut c),
        vec![ConnEvent::Failed(WebSocket), ConnEvent::Open(XhrStreaming)]
    );
    assert_eq!(actions(&mut c), vec![ConnAction::Shut { channel: ws }]);
    // The late WebSocket is ignored.
    c.websocket_message(race + 4.0, ws, "o".as_bytes());
    c.websocket_closed(race + 4.0, ws, 1006, "".as_bytes());
    assert!(events(&mut c).is_empty());
    assert_eq!(c.transport(), Some(XhrStreaming));
}

#[test]
fn websocket_closed_at_once_starts_the_next_transport_at_once() {
    let mut c = started(TransportPlan::default(), INFO_WS, 2.0);
    let (ws, _) = open_ws(&mut c);
    c.websocket_closed(3.0, ws, 1006, "".as_bytes());
    let a = actions(&mut c);
    assert!(a.contains(&ConnAction::Shut { channel: ws }));
    let (_, kind, _) = open_receiver(&a);
    assert_eq!(kind, XhrStreaming);
    assert_eq!(events(&mut c), vec![ConnEvent::Failed(WebSocket)]);
    // Next: xhr-polling beside the stream if it stays silent.
    assert_eq!(c.poll_timeout(), Some(3.0 + stream_head_start(2.0)));
}

#[test]
fn websocket_disabled_by_info_goes_straight_to_http_with_credentials() {
    let mut c = started(TransportPlan::default(), INFO_NO_WS, 2.0);
    match actions(&mut c).as_slice() {
        [ConnAction::OpenReceiver {
            kind, credentials, ..
        }] => {
            assert_eq!(*kind, XhrStreaming);
            assert!(*credentials, "cookie_needed turns credentials on");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn each_transport_that_times_out_hands_over_to_the_next_then_all_fail() {
    // Without xhr-polling in the list, a silent stream has nothing to race.
    let mut c = started(
        TransportPlan::new(&[XhrStreaming, EventSource]),
        INFO_WS,
        1.0,
    );
    let mut now = 1.0;
    for expected in [XhrStreaming, EventSource] {
        let (_, kind, _) = open_receiver(&actions(&mut c));
        assert_eq!(kind, expected);
        // The last one has nothing to hand over to: it gets the longer timeout.
        now += if expected == EventSource {
            super::connection::LAST_RESORT_TIMEOUT_MS
        } else {
            attempt_timeout(1.0)
        };
        assert_eq!(c.poll_timeout(), Some(now));
        c.handle_timeout(now);
    }
    let ev = events(&mut c);
    assert_eq!(
        ev.last(),
        Some(&ConnEvent::Closed {
            code: 2000,
            reason: "All transports failed".into()
        })
    );
    assert!(c.is_closed());
}

/// A proxy that refuses upgrades and holds every response until it ends: WebSocket fails at
/// once, xhr-streaming stays silent, and xhr-polling — started beside it after its head start,
/// eventsource skipped as it would be held just the same — carries the session.
#[test]
fn a_silent_stream_loses_the_race_to_xhr_polling() {
    let rtt = 3.0;
    let mut c = started(TransportPlan::default(), INFO_WS, rtt);
    let (ws, _) = open_ws(&mut c);
    c.websocket_closed(4.0, ws, 1006, "".as_bytes());
    let (stream, kind, _) = open_receiver(&actions(&mut c));
    assert_eq!(kind, XhrStreaming);
    let race = 4.0 + stream_head_start(rtt);
    assert_eq!(c.poll_timeout(), Some(race));
    c.handle_timeout(race - 1.0);
    assert!(actions(&mut c).is_empty());
    c.handle_timeout(race);
    let (poll, kind, url) = open_receiver(&actions(&mut c));
    assert_eq!(kind, XhrPolling);
    assert!(url.ends_with("/xhr"), "{url}");
    assert_eq!(
        c.poll_timeout(),
        Some(4.0 + attempt_timeout(rtt)),
        "the stream's own"
    );

    c.receiver_text(race + 5.0, poll, "o\n".as_bytes());
    assert_eq!(
        events(&mut c),
        vec![
            ConnEvent::Failed(WebSocket),
            ConnEvent::Failed(XhrStreaming),
            ConnEvent::Open(XhrPolling)
        ]
    );
    assert_eq!(actions(&mut c), vec![ConnAction::Shut { channel: stream }]);
    // What the proxy finally lets through on the stream is ignored.
    c.receiver_text(race + 6.0, stream, "o\n".as_bytes());
    c.receiver_ended(race + 6.0, stream, true);
    assert!(events(&mut c).is_empty());
    assert_eq!(c.transport(), Some(XhrPolling));
    // The poll answered: the next one goes out.
    c.receiver_ended(race + 7.0, poll, true);
    let (_, kind, _) = open_receiver(&actions(&mut c));
    assert_eq!(kind, XhrPolling);
}

#[test]
fn a_stream_that_opens_within_its_head_start_runs_alone() {
    let rtt = 3.0;
    let mut c = started(
        TransportPlan::new(&[XhrStreaming, XhrPolling]),
        INFO_WS,
        rtt,
    );
    let (stream, kind, _) = open_receiver(&actions(&mut c));
    assert_eq!(kind, XhrStreaming);
    c.receiver_text(rtt + stream_head_start(rtt) - 1.0, stream, "o\n".as_bytes());
    assert_eq!(events(&mut c), vec![ConnEvent::Open(XhrStreaming)]);
    assert_eq!(c.poll_timeout(), None);
    c.handle_timeout(1_000.0);
    assert!(
        actions(&mut c).is_empty(),
        "no polling once the stream is open"
    );
}

/// Upgrade swallowed and stream held: WebSocket, then the stream, then xhr-polling run side by
/// side; the first open frame wins and both others are shut.
#[test]
fn swallowed_websocket_and_silent_stream_both_lose_to_polling() {
    let rtt = 2.0;
    let mut c = started(TransportPlan::default(), INFO_WS, rtt);
    let (ws, _) = open_ws(&mut c);
    let first = rtt + head_start(rtt);
    c.handle_timeout(first);
    let (stream, kind, _) = open_receiver(&actions(&mut c));
    assert_eq!(kind, XhrStreaming);
    let second = first + stream_head_start(rtt);
    assert_eq!(c.poll_timeout(), Some(second));
    c.handle_timeout(second);
    let (poll, kind, _) = open_receiver(&actions(&mut c));
    assert_eq!(kind, XhrPolling);
    c.receiver_text(second + 4.0, poll, "o\n".as_bytes());
    let a = actions(&mut c);
    assert!(a.contains(&ConnAction::Shut { channel: ws }), "{a:?}");
    assert!(a.contains(&ConnAction::Shut { channel: stream }), "{a:?}");
    let ev = events(&mut c);
    assert_eq!(ev.last(), Some(&ConnEvent::Open(XhrPolling)));
    assert!(
        ev.contains(&ConnEvent::Failed(WebSocket)) && ev.contains(&ConnEvent::Failed(XhrStreaming))
    );
}

/// Polling started beside a stream fails: the stream keeps its chance (eventsource waits), and
/// when the stream times out too, eventsource — the last one left — gets the long timeout.
#[test]
fn polling_that_fails_beside_a_stream_leaves_the_stream_its_chance() {
    let rtt = 1.0;
    let mut c = started(TransportPlan::default(), INFO_NO_WS, rtt);
    let (stream, kind, _) = open_receiver(&actions(&mut c));
    assert_eq!(kind, XhrStreaming);
    let race = rtt + stream_head_start(rtt);
    c.handle_timeout(race);
    let (poll, kind, _) = open_receiver(&actions(&mut c));
    assert_eq!(kind, XhrPolling);
    c.receiver_ended(race + 1.0, poll, false);
    assert_eq!(actions(&mut c), vec![ConnAction::Shut { channel: poll }]);
    assert_eq!(events(&mut c), vec![ConnEvent::Failed(XhrPolling)]);
    let timeout = rtt + attempt_timeout(rtt);
    assert_eq!(c.poll_timeout(), Some(timeout));
    c.handle_timeout(timeout);
    let a = actions(&mut c);
    assert!(a.contains(&ConnAction::Shut { channel: stream }));
    let (_, kind, _) = open_receiver(&a);
    assert_eq!(kind, EventSource);
    assert_eq!(
        c.poll_timeout(),
        Some(timeout + super::connection::LAST_RESORT_TIMEOUT_MS)
    );
    let _ = events(&mut c);
}

#[test]
fn info_failure_closes_with_1002() {
    let mut c = SockJsConnection::new(b"http://h/stomp", TransportPlan::default(), 1);
    c.connect(0.0);
    actions(&mut c);
    c.info_received(3.0, 502, "Bad gateway".as_bytes());
    assert!(matches!(
        events(&mut c).as_slice(),
        [ConnEvent::Closed { code: 1002, .. }]
    ));
    let mut c = SockJsConnection::new(b"http://h/stomp", TransportPlan::default(), 1);
    c.connect(0.0);
    c.handle_timeout(super::connection::INFO_TIMEOUT_MS);
    assert!(matches!(
        events(&mut c).as_slice(),
        [ConnEvent::Closed { code: 1002, .. }]
    ));
}

#[test]
fn http_sends_are_batched_with_one_xhr_send_in_flight_in_order() {
    let (mut c, _, url) = open_http(XhrStreaming);
    c.send(b"A\0").unwrap();
    let first = actions(&mut c);
    let session = url.trim_end_matches("/xhr_streaming");
    match first.as_slice() {
        [ConnAction::PostSend { url, body, .. }] => {
            assert_eq!(url, &format!("{session}/xhr_send"));
            assert_eq!(decode_string_array(body).unwrap(), vec!["A\0".to_owned()]);
        }
        other => panic!("{other:?}"),
    }
    for m in ["B\0", "C\0", "D\0"] {
        c.send(m.as_bytes()).unwrap();
    }
    assert!(actions(&mut c).is_empty(), "one xhr_send in flight");
    assert_eq!(c.sends_pending(), 3);
    c.send_done(10.0, true);
    match actions(&mut c).as_slice() {
        [ConnAction::PostSend { body, .. }] => assert_eq!(
            decode_string_array(body).unwrap(),
            vec!["B\0".to_owned(), "C\0".to_owned(), "D\0".to_owned()]
        ),
        other => panic!("{other:?}"),
    }
    c.send_done(11.0, true);
    assert!(actions(&mut c).is_empty());
    c.send(b"E\0").unwrap();
    actions(&mut c);
    c.send_done(12.0, false);
    assert!(matches!(
        events(&mut c).as_slice(),
        [ConnEvent::Closed { code: 1006, .. }]
    ));
    assert_eq!(c.send(b"F\0"), Err(SendError::NotOpen));
}

#[test]
fn batches_respect_the_byte_limit_and_the_queue_is_bounded() {
    // Both limits count JSON: a 10-byte message is 12 quoted, 13 with its comma.
    let (mut c, _, _) = open_http(XhrPolling);
    c.set_limits(ConnectionLimits {
        max_batch_bytes: 30,
        max_queued_bytes: 78,
        max_line_bytes: 1024,
    });
    c.send(&[b'x'; 10]).unwrap();
    actions(&mut c);
    c.send(&[b'a'; 10]).unwrap();
    c.send(&[b'b'; 10]).unwrap();
    c.send(&[b'c'; 10]).unwrap();
    c.send_done(1.0, true);
    match actions(&mut c).as_slice() {
        [ConnAction::PostSend { body, .. }] => {
            assert!(body.len() <= 30, "{body}");
            assert_eq!(
                decode_string_array(body).unwrap(),
                vec!["a".repeat(10), "b".repeat(10)]
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c.sends_pending(), 1);
    // 13 bytes queued (c), then 13 per message: the sixth goes beyond 78.
    for _ in 0..5 {
        c.send(&[b'z'; 10]).unwrap();
    }
    assert!(events(&mut c).is_empty());
    assert_eq!(c.sends_pending(), 6);
    c.send(&[b'z'; 10]).unwrap();
    assert!(matches!(
        events(&mut c).as_slice(),
        [ConnEvent::Closed { code: 1009, .. }]
    ));
}

#[test]
fn a_batch_splits_between_messages_with_escaped_quotes_and_commas() {
    let (mut c, _, _) = open_http(XhrStreaming);
    c.set_limits(ConnectionLimits {
        max_batch_bytes: 24,
        ..ConnectionLimits::default()
    });
    c.send(b"first").unwrap();
    actions(&mut c);
    let tricky: [&[u8]; 4] = [b"\\\",\"", b"\",", b"\\", "\u{2028}\\\"".as_bytes()];
    for m in tricky {
        c.send(m).unwrap();
    }
    assert_eq!(c.sends_pending(), 4);
    let mut got = Vec::new();
    for t in 2..10 {
        c.send_done(f64::from(t), true);
        for a in actions(&mut c) {
            if let ConnAction::PostSend { body, .. } = a {
                let batch = decode_string_array(&body).unwrap();
                assert!(body.len() <= 24 || batch.len() == 1, "{body}");
                got.extend(batch);
            }
        }
    }
    let expected: Vec<String> = tricky
        .iter()
        .map(|m| String::from_utf8(m.to_vec()).unwrap())
        .collect();
    assert_eq!(got, expected);
    assert_eq!(c.sends_pending(), 0);
}

#[test]
fn streams_reopen_at_the_byte_limit_without_losing_or_repeating_messages() {
    let (mut c, first, url) = open_http(XhrStreaming);
    let mut received = Vec::new();
    let mut channel = first;
    let mut n = 0;
    for round in 0..5 {
        // Three messages per response, the last line split across progress events.
        let mut text = String::new();
        for _ in 0..3 {
            text.push_str(&format!("a[\"m{n}\"]\n"));
            n += 1;
        }
        text.push_str("h\n");
        let cut = text.len() / 2 + round;
        c.receiver_text(1.0, channel, &text.as_bytes()[..cut]);
        c.receiver_text(1.0, channel, &text.as_bytes()[cut..]);
        c.receiver_ended(2.0, channel, true);
        for e in events(&mut c) {
            if let ConnEvent::Message(m) = e {
                received.push(String::from_utf8(m).unwrap());
            }
        }
        let a = actions(&mut c);
        assert_eq!(
            a[0],
            ConnAction::Shut { channel },
            "the ended request is let go"
        );
        let (next, kind, next_url) = open_receiver(&a);
        assert_eq!(
            (kind, &next_url),
            (XhrStreaming, &url),
            "same SockJS session"
        );
        assert_ne!(next, channel);
        // The old request's late progress is ignored.
        c.receiver_text(3.0, channel, "a[\"stale\"]\n".as_bytes());
        channel = next;
    }
    let expected: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
    assert_eq!(received, expected);
    // A receiving request that fails loses the connection.
    c.receiver_ended(9.0, channel, false);
    assert!(matches!(
        events(&mut c).as_slice(),
        [ConnEvent::Closed { code: 1006, .. }]
    ));
}

#[test]
fn polling_reopens_after_every_answer_and_eventsource_after_its_limit() {
    let (mut c, ch, _) = open_http(XhrPolling);
    c.receiver_ended(1.0, ch, true);
    let (ch2, kind, url) = open_receiver(&actions(&mut c));
    assert_eq!(kind, XhrPolling);
    assert!(url.ends_with("/xhr"));
    c.receiver_text(2.0, ch2, "a[\"x\",\"y\"]\n".as_bytes());
    c.receiver_ended(2.0, ch2, true);
    assert_eq!(
        events(&mut c),
        vec![
            ConnEvent::Message(b"x".to_vec()),
            ConnEvent::Message(b"y".to_vec())
        ]
    );
    open_receiver(&actions(&mut c));

    let (mut c, ch, _) = open_http(EventSource);
    c.eventsource_message(1.0, ch, "a[\"z\"]".as_bytes());
    c.receiver_ended(2.0, ch, true);
    let (ch2, kind, url) = open_receiver(&actions(&mut c));
    assert_eq!(kind, EventSource);
    assert!(url.ends_with("/eventsource"));
    c.eventsource_message(3.0, ch, "a[\"stale\"]".as_bytes());
    c.eventsource_message(3.0, ch2, "c[1000,\"Normal closure\"]".as_bytes());
    assert_eq!(
        events(&mut c),
        vec![
            ConnEvent::Message(b"z".to_vec()),
            ConnEvent::Closed {
                code: 1000,
                reason: "Normal closure".into()
            }
        ]
    );
}

#[test]
fn a_second_open_frame_means_the_session_was_lost() {
    let (mut c, ch, _) = open_http(XhrStreaming);
    c.receiver_ended(1.0, ch, true);
    let (ch2, _, _) = open_receiver(&actions(&mut c));
    c.receiver_text(2.0, ch2, "o\n".as_bytes());
    assert!(matches!(
        events(&mut c).as_slice(),
        [ConnEvent::Closed { code: 1006, .. }]
    ));
}

#[test]
fn messages_are_strings_both_ways() {
    // SockJS carries strings: the STOMP session writes binary bodies as base64 itself, so a
    // message that is not UTF-8 is refused here, not mangled.
    let (mut c, ch, _) = open_http(XhrStreaming);
    assert_eq!(c.send(&[b'S', 0xff]), Err(SendError::NotText));
    assert_eq!(c.send(b"SEND\n\nhi\0"), Ok(()));
    c.receiver_text(7.0, ch, "a[\"MESSAGE\\n\\n\\u00e9\\u0000\"]\n".as_bytes());
    assert_eq!(
        events(&mut c),
        [ConnEvent::Message("MESSAGE\n\n\u{e9}\0".into())]
    );
}

/// A connection whose WebSocket lost its head-start race and whose xhr-streaming receiver then
/// opened (at 60 ms).
fn ws_lost_stream_open(plan: TransportPlan) -> SockJsConnection {
    let mut c = started(plan, INFO_WS, 1.0);
    let (_, _) = open_ws(&mut c);
    c.handle_timeout(1.0 + head_start(1.0));
    let (http, _, _) = open_receiver(&actions(&mut c));
    c.receiver_text(60.0, http, "o\n".as_bytes());
    c
}

/// What the native shell does: the connection's Failed/Open events applied to the plan it keeps.
fn learn_from_records(plan: &mut TransportPlan, c: &mut SockJsConnection) {
    for e in events(c) {
        match e {
            ConnEvent::Failed(k) => plan.failed(k, 60.0),
            ConnEvent::Open(k) => plan.succeeded(k),
            _ => {}
        }
    }
}

#[test]
fn reconnect_plan_applies_outcomes_reported_by_a_connection() {
    // The shell feeds Failed/Open back into the plan it keeps between connections.
    let mut plan = TransportPlan::default();
    let mut c = ws_lost_stream_open(plan);
    learn_from_records(&mut plan, &mut c);
    // The next connection starts with xhr-streaming, no WebSocket race: only the stream's own
    // against xhr-polling.
    let mut c = started(plan, INFO_WS, 1.0);
    let (_, kind, _) = open_receiver(&actions(&mut c));
    assert_eq!(kind, XhrStreaming);
    assert_eq!(c.poll_timeout(), Some(1.0 + stream_head_start(1.0)));
}

#[test]
fn teach_gives_the_plan_what_the_failed_and_open_records_say() {
    // The browser build's plan learns through `teach`, not from the records: both ways must
    // leave the same plan, the WebSocket lost race and the winner alike.
    let mut by_records = TransportPlan::default();
    let mut taught = by_records;
    let mut c = ws_lost_stream_open(by_records);
    learn_from_records(&mut by_records, &mut c);
    c.teach(&mut taught, 60.0);
    assert_eq!(taught, by_records);
    assert_eq!(taught.last_working(), Some(XhrStreaming));
    // Told once: a second call teaches nothing.
    let mut again = taught;
    c.teach(&mut again, 90.0);
    assert_eq!(again, taught);

    // A failure alone: WebSocket demoted, the transport that last worked forgotten.
    let mut plan = TransportPlan::default();
    plan.succeeded(WebSocket);
    let mut c = started(plan, INFO_WS, 1.0);
    let (ws, _) = open_ws(&mut c);
    c.websocket_closed(5.0, ws, 1006, b"");
    c.teach(&mut plan, 5.0);
    assert_eq!(plan.last_working(), None);
    let mut expected = TransportPlan::default();
    expected.failed(WebSocket, 5.0);
    assert_eq!(plan, expected);
}

#[test]
fn stream_lines_may_end_in_crlf_carry_non_ascii_and_are_bounded() {
    let (mut c, channel, _) = open_http(XhrStreaming);
    c.receiver_text(7.0, channel, "a[\"é\\u2028→\"]\r\n\r\nh\r".as_bytes());
    c.receiver_text(7.0, channel, "\na[\"two\"]".as_bytes());
    assert_eq!(
        events(&mut c),
        vec![ConnEvent::Message("é\u{2028}→".as_bytes().to_vec())]
    );
    c.receiver_text(8.0, channel, "\n".as_bytes());
    assert_eq!(events(&mut c), vec![ConnEvent::Message(b"two".to_vec())]);

    // A line that never ends is not held beyond the limit.
    let (mut c, channel, _) = open_http(XhrStreaming);
    c.set_limits(ConnectionLimits {
        max_line_bytes: 64,
        ..ConnectionLimits::default()
    });
    c.receiver_text(9.0, channel, "a".repeat(40).as_bytes());
    assert!(events(&mut c).is_empty());
    c.receiver_text(9.0, channel, "a".repeat(40).as_bytes());
    assert_eq!(
        events(&mut c),
        vec![ConnEvent::Closed {
            code: 1009,
            reason: "SockJS frame too large".into()
        }]
    );
}

/// Every event of `c` as a line, debug lines included.
fn log(c: &mut SockJsConnection) -> Vec<String> {
    std::iter::from_fn(|| c.poll_event())
        .map(|e| match e {
            ConnEvent::Debug(line) => line,
            ConnEvent::Closed { code, reason } => format!("closed {code} {reason}"),
            ConnEvent::Message(m) => format!("message {}", String::from_utf8(m).unwrap()),
            ConnEvent::Open(k) => format!("open {k:?}"),
            ConnEvent::Failed(k) => format!("failed {k:?}"),
        })
        .collect()
}

#[test]
fn debug_lines_and_close_reasons_read_as_before() {
    // The texts the JavaScript client passes to `debug` and `onclose`, captured from the
    // connection before its rewrite for size (which builds them from pieces).
    let mut all: Vec<String> = Vec::new();
    // Every transport fails, each its own way.
    let mut c = started(TransportPlan::default(), INFO_WS, 4.0);
    let (ws, _) = open_ws(&mut c);
    c.websocket_closed(5.0, ws, 1006, "".as_bytes());
    let (stream, _, _) = open_receiver(&actions(&mut c));
    c.receiver_text(
        6.0,
        stream,
        "c[2010,\"Another connection still open\"]\n".as_bytes(),
    );
    let (es, _, _) = open_receiver(&actions(&mut c));
    c.eventsource_message(7.0, es, "x".as_bytes());
    let (poll, _, _) = open_receiver(&actions(&mut c));
    c.receiver_text(8.0, poll, "a[\"m\"]\n".as_bytes());
    all.extend(log(&mut c));

    // The race lost by a silent WebSocket, then a stream that times out.
    let mut c = started(
        TransportPlan::new(&[WebSocket, XhrStreaming, XhrPolling]),
        INFO_WS,
        1500.0,
    );
    let (ws, _) = open_ws(&mut c);
    c.handle_timeout(1500.0 + head_start(1500.0));
    let (stream, _, _) = open_receiver(&actions(&mut c));
    c.receiver_text(5000.0, stream, "h\no\n".as_bytes());
    c.websocket_message(5001.0, ws, "o".as_bytes());
    all.extend(log(&mut c));
    let mut c = started(
        TransportPlan::new(&[XhrStreaming, EventSource]),
        INFO_NO_WS,
        2.0,
    );
    c.handle_timeout(2.0 + attempt_timeout(2.0));
    all.extend(log(&mut c));
    let mut c = SockJsConnection::new(b"https://h/x", TransportPlan::default(), 9);
    c.connect(0.0);
    c.info_received(1.0, 502, "".as_bytes());
    all.extend(log(&mut c));
    let mut c = SockJsConnection::new(b"https://h/x", TransportPlan::default(), 9);
    c.connect(0.0);
    c.info_failed(1.0);
    all.extend(log(&mut c));

    // Broken frames on an open session, each on its own connection.
    for frame in [
        "a[\"x\",1]",
        "q",
        "é",
        "\u{1}x",
        "\u{7f}",
        "'",
        "\\",
        "\0",
        "\t",
        "c[70000,\"a\"]",
        "c[-5,\"a\"]",
        "c[99999999999999999999,\"a\"]",
        "c[-9223372036854775808,\"a\"]",
        "a[\"x\"",
        "a",
        "",
        "a[\"\\u12\"]",
        "c[3000,\"bye\"]x",
        "c[1000,\"Normal \\u00e9 closure\"]",
        "a[\"a\",\"b\\u2028\"]\n",
        "o",
        "c[,\"x\"]",
        "c[-,\"x\"]",
    ] {
        let (mut c, ch, _) = open_http(XhrStreaming);
        c.receiver_ended(1.0, ch, true);
        let (ch, _, _) = open_receiver(&actions(&mut c));
        c.eventsource_message(2.0, ch, frame.as_bytes());
        all.extend(log(&mut c));
    }
    // A good frame then a broken one in one piece of text: the first is delivered.
    let (mut c, ch, _) = open_http(XhrPolling);
    c.receiver_text(3.0, ch, "a[\"ok\"]\na[\"no\",\r\nh\n".as_bytes());
    all.extend(log(&mut c));
    // The WebSocket closes while open.
    let mut c = started(TransportPlan::default(), INFO_WS, 4.0);
    let (ws, _) = open_ws(&mut c);
    c.websocket_message(5.0, ws, "o".as_bytes());
    c.websocket_closed(6.0, ws, 1011, "".as_bytes());
    all.extend(log(&mut c));
    let mut c = started(TransportPlan::default(), INFO_WS, 4.0);
    let (ws, _) = open_ws(&mut c);
    c.websocket_message(5.0, ws, "o".as_bytes());
    c.close(3001, "by the user".as_bytes());
    all.extend(log(&mut c));
    let expected = [
        "SockJS: rtt 4 ms, trying websocket xhr-streaming eventsource xhr-polling",
        "SockJS: trying websocket",
        "failed WebSocket",
        "SockJS: websocket failed: closed 1006",
        "SockJS: trying xhr-streaming",
        "failed XhrStreaming",
        "SockJS: xhr-streaming failed: closed 2010 Another connection still open",
        "SockJS: trying eventsource",
        "failed EventSource",
        "SockJS: eventsource failed: broken framing",
        "SockJS: trying xhr-polling",
        "failed XhrPolling",
        "SockJS: xhr-polling failed: messages before open",
        "closed 2000 All transports failed",
        "SockJS: rtt 1500 ms, trying websocket xhr-streaming xhr-polling",
        "SockJS: trying websocket",
        "SockJS: trying xhr-streaming",
        "failed WebSocket",
        "SockJS: websocket lost the race",
        "SockJS: open over xhr-streaming",
        "open XhrStreaming",
        "SockJS: rtt 2 ms, trying xhr-streaming eventsource",
        "SockJS: trying xhr-streaming",
        "failed XhrStreaming",
        "SockJS: xhr-streaming failed: timed out",
        "SockJS: trying eventsource",
        "closed 1002 SockJS /info failed with status 502",
        "closed 1002 Cannot connect to server (SockJS /info failed)",
        "closed 1002 Broken SockJS framing: bad SockJS frame payload: unexpected JSON value at byte 5",
        "closed 1002 Broken SockJS framing: unknown SockJS frame type 'q'",
        "closed 1002 Broken SockJS framing: unknown SockJS frame type 'é'",
        "closed 1002 Broken SockJS framing: unknown SockJS frame type '\\u{1}'",
        "closed 1002 Broken SockJS framing: unknown SockJS frame type '\\u{7f}'",
        "closed 1002 Broken SockJS framing: unknown SockJS frame type '\\''",
        "closed 1002 Broken SockJS framing: unknown SockJS frame type '\\\\'",
        "closed 1002 Broken SockJS framing: unknown SockJS frame type '\\0'",
        "closed 1002 Broken SockJS framing: unknown SockJS frame type '\\t'",
        "closed 1002 Broken SockJS framing: close code 70000 out of range",
        "closed 1002 Broken SockJS framing: close code -5 out of range",
        "closed 1002 Broken SockJS framing: bad SockJS frame payload: broken JSON at byte 1",
        "closed 1002 Broken SockJS framing: close code -9223372036854775808 out of range",
        "closed 1002 Broken SockJS framing: bad SockJS frame payload: broken JSON at byte 4",
        "closed 1002 Broken SockJS framing: bad SockJS frame payload: empty payload",
        "closed 1002 Broken SockJS framing: empty SockJS frame",
        "closed 1002 Broken SockJS framing: bad SockJS frame payload: broken JSON at byte 4",
        "closed 1002 Broken SockJS framing: bad SockJS frame payload: broken JSON at byte 12",
        "closed 1000 Normal é closure",
        "message a",
        "message b\u{2028}",
        "closed 1006 SockJS session lost (server sent a new open frame)",
        "closed 1002 Broken SockJS framing: bad SockJS frame payload: broken JSON at byte 1",
        "closed 1002 Broken SockJS framing: bad SockJS frame payload: broken JSON at byte 1",
        "message ok",
        "closed 1002 Broken SockJS framing: bad SockJS frame payload: broken JSON at byte 6",
        "SockJS: rtt 4 ms, trying websocket xhr-streaming eventsource xhr-polling",
        "SockJS: trying websocket",
        "SockJS: open over websocket",
        "open WebSocket",
        "closed 1011 Connection interrupted",
        "SockJS: rtt 4 ms, trying websocket xhr-streaming eventsource xhr-polling",
        "SockJS: trying websocket",
        "SockJS: open over websocket",
        "open WebSocket",
        "closed 3001 by the user",
    ];
    assert_eq!(all, expected);
}

#[test]
fn a_websocket_send_that_is_not_text_leaves_nothing_behind() {
    let mut c = started(TransportPlan::default(), INFO_WS, 4.0);
    let (ws, _) = open_ws(&mut c);
    c.websocket_message(5.0, ws, b"o");
    assert_eq!(events(&mut c), vec![ConnEvent::Open(WebSocket)]);
    assert_eq!(c.send(&[b'S', 0xc3]), Err(SendError::NotText));
    assert!(actions(&mut c).is_empty());
    c.send("é\u{2028}\"".as_bytes()).unwrap();
    assert_eq!(
        actions(&mut c),
        vec![ConnAction::SendWebSocket {
            channel: ws,
            text: "[\"é\\u2028\\\"\"]".into()
        }]
    );
}

#[test]
fn info_reads_whitespace_escapes_and_values_as_before() {
    // What the `/info` reader made of these before it read bytes (captured from it).
    type Flags = Option<(bool, bool)>;
    let cases: [(&[u8], Flags); 14] = [
        (
            b"\x0c {\"cookie_needed\"\x0c:\x0c true ,\"websocket\" : false}\r\n",
            Some((false, true)),
        ),
        (b"{\"websocket\":truex}", Some((true, false))),
        (b"{\"web\\u0073ocket\":true}", Some((true, false))),
        (b"{\"websocket\":\"true\"}", Some((false, false))),
        (b"{\"a\":\"\\q\",\"websocket\":true}", None),
        (b"{\"a\":[\"\\q\"],\"websocket\":true}", Some((true, false))),
        (b"{}", Some((false, false))),
        (b"{", None),
        (b" \n ", None),
        (
            b"{\"websocket\"\n:\nfalse, \"websocket\": true}",
            Some((true, false)),
        ),
        (
            b"{\"x\":{\"cookie_needed\":true},\"cookie_needed\":false}",
            Some((false, false)),
        ),
        (INFO_WS.as_bytes(), Some((true, false))),
        ("\u{a0}{\"websocket\":true}".as_bytes(), None),
        (b"{\"websocket\":true} x", None),
    ];
    for (body, expected) in cases {
        let got = parse_info(body)
            .map(|i| (i.websocket, i.cookie_needed))
            .ok();
        assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(body));
    }
}

#[test]
fn frames_read_by_the_caller_decide_as_frames_read_here() {
    // The browser build reads frames, `/info` and quoting in JavaScript and hands over what
    // they were: the same decisions follow, and a Message record without text stands for the
    // frame's messages where they are to be delivered.
    let mut c = SockJsConnection::new(b"http://h/stomp", TransportPlan::new(&[XhrStreaming]), 7);
    c.connect(0.0);
    actions(&mut c);
    c.info_read(
        3.0,
        200,
        Some(Info {
            websocket: false,
            cookie_needed: true,
        }),
    );
    let (ch, _, _) = open_receiver(&actions(&mut c));
    // Messages before the open frame fail the attempt; here the only one.
    let mut d = SockJsConnection::new(b"http://h/stomp", TransportPlan::new(&[XhrStreaming]), 7);
    d.connect(0.0);
    actions(&mut d);
    d.info_read(
        3.0,
        200,
        Some(Info {
            websocket: false,
            cookie_needed: false,
        }),
    );
    let (dch, _, _) = open_receiver(&actions(&mut d));
    d.frame_read(4.0, dch, Frame::Messages);
    assert_eq!(
        log(&mut d).last().map(String::as_str),
        Some("closed 2000 All transports failed")
    );

    c.frame_read(4.0, ch + 1, Frame::Open);
    c.frame_read(4.0, ch, Frame::Heartbeat);
    c.frame_read(4.0, ch, Frame::Open);
    assert_eq!(events(&mut c), [ConnEvent::Open(XhrStreaming)]);
    c.frame_read(5.0, ch, Frame::Messages);
    assert_eq!(events(&mut c), [ConnEvent::Message(Vec::new())]);
    assert_eq!(c.send_quoted(b"\"a\\u2028\""), Ok(()));
    match actions(&mut c).as_slice() {
        [ConnAction::PostSend {
            body,
            credentials: true,
            ..
        }] => {
            assert_eq!(body, "[\"a\\u2028\"]")
        }
        other => panic!("expected PostSend, got {other:?}"),
    }
    // A broken frame comes with the whole close reason.
    c.frame_read(
        6.0,
        ch,
        Frame::Broken(b"Broken SockJS framing: empty SockJS frame"),
    );
    assert_eq!(
        log(&mut c),
        ["closed 1002 Broken SockJS framing: empty SockJS frame"]
    );

    // A close frame, a line too large, `/info` that is not an object.
    let (mut c, ch, _) = open_http(XhrPolling);
    c.frame_read(7.0, ch, Frame::Close(3000, b"Go away!"));
    assert_eq!(log(&mut c), ["closed 3000 Go away!"]);
    let (mut c, ch, _) = open_http(XhrStreaming);
    c.line_too_large(ch);
    assert_eq!(log(&mut c), ["closed 1009 SockJS frame too large"]);
    let mut c = SockJsConnection::new(b"http://h/stomp", TransportPlan::default(), 7);
    c.connect(0.0);
    c.info_read(3.0, 200, None);
    assert_eq!(
        log(&mut c),
        ["closed 1002 SockJS /info failed with status 200"]
    );
}

#[test]
fn the_shells_debug_words_are_the_modules() {
    // sockjs.js writes the debug lines' names and words from its own WORDS table, by the
    // bytes the browser build writes: it must be this one, in this order.
    let js = include_str!("../../../pkg-core/js/sockjs.js");
    let quoted: Vec<String> = super::connection::WORDS[4..]
        .iter()
        .map(|w| format!("'{w}'"))
        .collect();
    let line = format!("const WORDS = [...NAMES, {}];", quoted.join(", "));
    assert!(js.contains(&line), "sockjs.js has no {line}");
    let names: Vec<String> = super::connection::WORDS[..4]
        .iter()
        .map(|w| format!("'{w}'"))
        .collect();
    let line = format!("const NAMES = [{}];", names.join(", "));
    assert!(js.contains(&line), "sockjs.js has no {line}");
}

#[test]
fn the_shells_close_reasons_are_the_modules() {
    // sockjs.js writes the connection's own close reasons from its REASONS table, by the byte
    // after a Closed record's code: it must be this one, in this order.
    let js = include_str!("../../../pkg-core/js/sockjs.js");
    let quoted: Vec<String> = super::connection::REASONS
        .iter()
        .map(|w| format!("'{w}'"))
        .collect();
    let line = format!("const REASONS = [{}];", quoted.join(", "));
    assert!(js.contains(&line), "sockjs.js has no {line}");
}
