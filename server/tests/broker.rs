//! Topics, queues, wildcards, user destinations and prefix routing.

mod common;

use common::*;
use stomp_server::App;
use stomp_wasm::{Command, Frame};

#[tokio::test]
async fn topic_fans_out_to_every_subscriber() {
    let s = TestServer::start_default().await;
    let mut subs = Vec::new();
    for i in 0..3 {
        let mut c = s.client().await;
        c.subscribe(&format!("s{i}"), "/topic/news", "auto").await;
        subs.push(c);
    }
    let mut p = s.client().await;
    p.send("/topic/news", "extra").await;
    for (i, c) in subs.iter_mut().enumerate() {
        let m = c.recv_message().await;
        assert_eq!(body(&m), "extra");
        assert_eq!(m.get("destination"), Some("/topic/news"));
        assert_eq!(m.get("subscription"), Some(format!("s{i}").as_str()));
        assert!(m.get("message-id").is_some());
        assert_eq!(m.get("ack"), None, "auto ack: no ack header");
    }
    s.stop().await;
}

#[tokio::test]
async fn one_session_with_two_subscriptions_gets_two_copies() {
    let s = TestServer::start_default().await;
    let mut c = s.client().await;
    c.subscribe("a", "/topic/dup", "auto").await;
    c.subscribe("b", "/topic/dup", "auto").await;
    c.send_frame(
        &Frame::new(Command::Send)
            .header("destination", "/topic/dup")
            .body("x"),
    )
    .await;
    let mut ids = vec![
        c.recv_message()
            .await
            .get("subscription")
            .unwrap()
            .to_owned(),
        c.recv_message()
            .await
            .get("subscription")
            .unwrap()
            .to_owned(),
    ];
    ids.sort();
    assert_eq!(ids, ["a", "b"]);
    s.stop().await;
}

#[tokio::test]
async fn unsubscribe_stops_delivery() {
    let s = TestServer::start_default().await;
    let mut c = s.client().await;
    c.subscribe("a", "/topic/u", "auto").await;
    c.subscribe("b", "/topic/other", "auto").await;
    c.call(Frame::new(Command::Unsubscribe).header("id", "a"))
        .await;
    let mut p = s.client().await;
    p.send("/topic/u", "not for you").await;
    p.send("/topic/other", "for you").await;
    // Per-session order: had the first been delivered it would come first.
    assert_eq!(body(&c.recv_message().await), "for you");
    s.stop().await;
}

#[tokio::test]
async fn queue_round_robins_between_subscribers() {
    let s = TestServer::start_default().await;
    let mut a = s.client().await;
    let mut b = s.client().await;
    a.subscribe("q", "/queue/work", "auto").await;
    b.subscribe("q", "/queue/work", "auto").await;
    let mut p = s.client().await;
    for i in 0..6 {
        p.send("/queue/work", &format!("job{i}")).await;
    }
    let got_a = a.sync().await;
    let got_b = b.sync().await;
    assert_eq!(got_a.len(), 3, "{got_a:?}");
    assert_eq!(got_b.len(), 3, "{got_b:?}");
    let mut all: Vec<String> = got_a
        .iter()
        .chain(&got_b)
        .map(|f| body(f).to_owned())
        .collect();
    all.sort();
    assert_eq!(all, ["job0", "job1", "job2", "job3", "job4", "job5"]);
    s.stop().await;
}

#[tokio::test]
async fn queue_keeps_messages_until_someone_subscribes() {
    let s = TestServer::start_default().await;
    let mut p = s.client().await;
    p.send("/queue/later", "first").await;
    p.send("/queue/later", "second").await;
    assert_eq!(s.server.broker_handle().queue_backlog("/queue/later"), 2);
    let mut c = s.client().await;
    let backlog = c.subscribe_collect("q", "/queue/later", "auto").await;
    let bodies: Vec<&str> = backlog.iter().map(body).collect();
    assert_eq!(bodies, ["first", "second"]);
    assert_eq!(s.server.broker_handle().queue_backlog("/queue/later"), 0);
    s.stop().await;
}

#[tokio::test]
async fn queue_backlog_is_bounded_dropping_the_oldest() {
    let mut config = test_config();
    config.destinations.queue_backlog = 2;
    let s = TestServer::start(config, App::new()).await;
    let mut p = s.client().await;
    for b in ["1", "2", "3"] {
        p.send("/queue/small", b).await;
    }
    let mut c = s.client().await;
    let got = c.subscribe_collect("q", "/queue/small", "auto").await;
    let bodies: Vec<&str> = got.iter().map(body).collect();
    assert_eq!(bodies, ["2", "3"]);
    s.stop().await;
}

#[tokio::test]
async fn the_number_of_queues_is_bounded() {
    let mut config = test_config();
    config.destinations.max_queues = 2;
    let s = TestServer::start(config, App::new()).await;
    let mut p = s.client().await;
    p.send("/queue/a", "1").await;
    p.send("/queue/b", "1").await;
    // Existing queues still take messages.
    p.send("/queue/a", "2").await;
    // A third queue would be one too many: ERROR naming the limit, then close.
    p.send_frame(
        &Frame::new(Command::Send)
            .header("destination", "/queue/c")
            .body("1"),
    )
    .await;
    let error = p.expect_error_and_close().await;
    assert!(
        error.get("message").unwrap_or("").contains("max_queues"),
        "{error:?}"
    );
    // The others keep working; once a queue drains, a new one may take its place.
    let mut c = s.client().await;
    let got = c.subscribe_collect("a", "/queue/a", "auto").await;
    assert_eq!(got.iter().map(body).collect::<Vec<_>>(), ["1", "2"]);
    c.call(Frame::new(Command::Unsubscribe).header("id", "a"))
        .await;
    let mut p = s.client().await;
    p.send("/queue/c", "now fits").await;
    s.stop().await;
}

#[tokio::test]
async fn wildcard_subscriptions() {
    let s = TestServer::start_default().await;
    let mut star = s.client().await;
    star.subscribe("w", "/topic/chat.*", "auto").await;
    let mut deep = s.client().await;
    deep.subscribe("w", "/topic/chat/**", "auto").await;
    let mut p = s.client().await;
    p.send("/topic/chat.general", "dot").await;
    p.send("/topic/chat/room/1", "deep").await;
    p.send("/topic/unrelated", "nope").await;
    p.send("/topic/chat.end", "end").await;
    let m = star.recv_message().await;
    assert_eq!(body(&m), "dot");
    assert_eq!(m.get("destination"), Some("/topic/chat.general"));
    assert_eq!(body(&star.recv_message().await), "end");
    let m = deep.recv_message().await;
    assert_eq!(body(&m), "deep");
    assert_eq!(m.get("destination"), Some("/topic/chat/room/1"));
    let rest = deep.sync().await;
    assert!(rest.is_empty(), "{rest:?}");
    s.stop().await;
}

#[tokio::test]
async fn wildcards_on_queues_are_refused() {
    let s = TestServer::start_default().await;
    let mut c = s.client().await;
    c.send_raw(b"SUBSCRIBE\nid:1\ndestination:/queue/*\n\n\0")
        .await;
    c.expect_error_and_close().await;
    s.stop().await;
}

#[tokio::test]
async fn destinations_under_no_prefix_are_refused() {
    let s = TestServer::start_default().await;
    for frame in [
        &b"SEND\ndestination:/exchange/x\n\nx\0"[..],
        b"SUBSCRIBE\nid:1\ndestination:/topics/x\n\n\0",
        b"SEND\ndestination:relative\n\nx\0",
    ] {
        let mut c = s.client().await;
        c.send_raw(frame).await;
        let e = c.expect_error_and_close().await;
        assert!(
            e.get("message").unwrap().contains("no configured prefix"),
            "{e:?}"
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn prefixes_are_configuration() {
    let mut config = test_config();
    config.destinations.broker_prefixes = vec!["/exchange".into(), "/amq/queue".into()];
    config.destinations.queue_prefixes = vec!["/amq/queue".into()];
    let s = TestServer::start(config, App::new()).await;
    let mut a = s.client().await;
    let mut b = s.client().await;
    a.subscribe("1", "/exchange/x", "auto").await;
    b.subscribe("1", "/exchange/x", "auto").await;
    let mut p = s.client().await;
    p.send("/exchange/x", "both").await;
    assert_eq!(body(&a.recv_message().await), "both");
    assert_eq!(body(&b.recv_message().await), "both");
    // A queue prefix: kept until subscribed.
    p.send("/amq/queue/q", "kept").await;
    let got = a.subscribe_collect("2", "/amq/queue/q", "auto").await;
    assert_eq!(got.len(), 1);
    // /topic is no longer configured.
    p.send_raw(b"SEND\ndestination:/topic/x\n\nx\0").await;
    p.expect_error_and_close().await;
    s.stop().await;
}

#[tokio::test]
async fn user_destinations_reach_every_session_of_that_user() {
    let s = TestServer::start_default().await;
    let login = [("accept-version", "1.2"), ("host", "x"), ("login", "alice")];
    let mut a1 = Client::connect_with(s.tcp, &login).await;
    let mut a2 = Client::connect_with(s.tcp, &login).await;
    let mut bob = Client::connect_with(
        s.tcp,
        &[("accept-version", "1.2"), ("host", "x"), ("login", "bob")],
    )
    .await;
    a1.subscribe("n", "/user/queue/notes", "auto").await;
    a2.subscribe("n", "/user/queue/notes", "auto").await;
    bob.subscribe("n", "/user/queue/notes", "auto").await;
    bob.send("/user/alice/queue/notes", "hi alice").await;
    for a in [&mut a1, &mut a2] {
        let m = a.recv_message().await;
        assert_eq!(body(&m), "hi alice");
        assert_eq!(m.get("destination"), Some("/user/queue/notes"));
    }
    assert!(bob.sync().await.is_empty(), "bob got nothing");
    assert_eq!(s.server.broker_handle().online_users(), ["alice", "bob"]);
    s.stop().await;
}

#[tokio::test]
async fn user_queue_keeps_messages_for_a_session_that_subscribes_later() {
    let s = TestServer::start_default().await;
    let mut carol = Client::connect_with(
        s.tcp,
        &[("accept-version", "1.2"), ("host", "x"), ("login", "carol")],
    )
    .await;
    let mut p = s.client().await;
    p.send("/user/carol/queue/inbox", "while away").await;
    let got = carol
        .subscribe_collect("i", "/user/queue/inbox", "auto")
        .await;
    assert_eq!(got.len(), 1);
    assert_eq!(body(&got[0]), "while away");
    s.stop().await;
}

#[tokio::test]
async fn anonymous_sessions_are_reachable_by_session_id() {
    let s = TestServer::start_default().await;
    let mut anon = s.client().await;
    let session = anon
        .connected
        .as_ref()
        .unwrap()
        .get("session")
        .unwrap()
        .to_owned();
    anon.subscribe("r", "/user/queue/reply", "auto").await;
    let mut p = s.client().await;
    p.send(&format!("/user/{session}/queue/reply"), "by id")
        .await;
    assert_eq!(body(&anon.recv_message().await), "by id");
    s.stop().await;
}

#[tokio::test]
async fn session_ids_cannot_be_guessed_from_one_another() {
    // A session's /user queues are named after its id: knowing one's own id must not give away
    // the next one's.
    let s = TestServer::start_default().await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let c = s.client().await;
        let id = c.connected.as_ref().unwrap().get("session").unwrap();
        ids.push(id.to_owned());
    }
    let secret = |id: &str| id.rsplit('-').next().unwrap().to_owned();
    for id in &ids {
        assert_eq!(secret(id).len(), 16, "{id}: 64 random bits in hex");
    }
    assert_ne!(secret(&ids[0]), secret(&ids[1]));
    s.stop().await;
}

#[tokio::test]
async fn custom_headers_and_content_type_are_forwarded_and_escaped() {
    let s = TestServer::start_default().await;
    let mut c = s.client().await;
    c.subscribe("1", "/topic/h", "auto").await;
    c.send_frame(
        &Frame::new(Command::Send)
            .header("destination", "/topic/h")
            .header("content-type", "application/json")
            .header("x-note", "a:b\nc")
            .body("{}"),
    )
    .await;
    let m = c.recv_message().await;
    assert_eq!(m.get("content-type"), Some("application/json"));
    assert_eq!(m.get("x-note"), Some("a:b\nc"));
    assert_eq!(m.get("content-length"), Some("2"));
    s.stop().await;
}
