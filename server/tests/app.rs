//! Application handlers: message mappings, @SendTo, subscribe mappings, errors, periodic pushes,
//! session hooks.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use stomp_server::app::examples::demo_app;
use stomp_server::{App, HandlerError, Reply};
use stomp_wasm::{Command, Frame};

#[tokio::test]
async fn echo_replies_to_topic_of_the_same_path() {
    let s = TestServer::start(test_config(), demo_app(None)).await;
    let mut c = s.client().await;
    c.subscribe("e", "/topic/echo", "auto").await;
    c.send_frame(
        &Frame::new(Command::Send)
            .header("destination", "/app/echo")
            .header("content-type", "text/plain")
            .body("ping"),
    )
    .await;
    let m = c.recv_message().await;
    assert_eq!(m.get("destination"), Some("/topic/echo"));
    assert_eq!(m.get("content-type"), Some("text/plain"));
    assert_eq!(body(&m), "ping");
    s.stop().await;
}

#[tokio::test]
async fn greeting_goes_to_its_send_to_destination() {
    let s = TestServer::start(test_config(), demo_app(None)).await;
    let mut c = s.client().await;
    c.subscribe("g", "/topic/greetings", "auto").await;
    c.send("/app/greeting", "Ada").await;
    assert_eq!(body(&c.recv_message().await), "Hello, Ada!");
    s.stop().await;
}

#[tokio::test]
async fn handler_errors_arrive_on_the_users_error_queue() {
    let s = TestServer::start(test_config(), demo_app(None)).await;
    let mut c = s.client().await;
    c.subscribe("err", "/user/queue/errors", "auto").await;
    c.send("/app/fail", "boom").await;
    let m = c.recv_message().await;
    assert_eq!(m.get("destination"), Some("/user/queue/errors"));
    assert!(body(&m).contains("boom"));
    assert!(m.get("message").is_some());
    // The session is still usable: errors in handlers are not protocol violations.
    c.send("/app/greeting", "").await;
    assert!(body(&c.recv_message().await).contains("needs a name"));
    s.stop().await;
}

#[tokio::test]
async fn a_destination_without_handler_is_reported_as_a_handler_error() {
    let s = TestServer::start(test_config(), demo_app(None)).await;
    let mut c = s.client().await;
    c.subscribe("err", "/user/queue/errors", "auto").await;
    c.send("/app/missing", "x").await;
    assert!(body(&c.recv_message().await).contains("no handler"));
    s.stop().await;
}

#[tokio::test]
async fn subscribe_mapping_answers_the_subscriber_once() {
    let s = TestServer::start(test_config(), demo_app(None)).await;
    let mut c = Client::connect_with(
        s.tcp,
        &[("accept-version", "1.2"), ("host", "x"), ("login", "dora")],
    )
    .await;
    let got = c.subscribe_collect("who", "/app/whoami", "auto").await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].get("subscription"), Some("who"));
    assert_eq!(got[0].get("destination"), Some("/app/whoami"));
    assert_eq!(body(&got[0]), "dora");
    c.call(Frame::new(Command::Unsubscribe).header("id", "who"))
        .await;
    s.stop().await;
}

#[tokio::test]
async fn path_variables_explicit_destinations_and_custom_error_handler() {
    let app = App::new()
        .message("/chat/room/{id}", |req| async move {
            let room = req.var("id").unwrap_or("?").to_owned();
            let text = format!("[{}] {}", req.principal(), req.body_str().unwrap_or(""));
            Ok(Some(Reply::to(format!("/topic/chat/room/{room}"), text)))
        })
        .message("/quiet", |_req| async move { Ok(None) })
        .message(
            "/bad",
            |_req| async move { Err(HandlerError::new("bad input")) },
        )
        .on_error(|_req, err| Some(Reply::new(format!("{{\"error\":\"{}\"}}", err.message))));
    let s = TestServer::start(test_config(), app).await;
    let mut c = Client::connect_with(
        s.tcp,
        &[("accept-version", "1.2"), ("host", "x"), ("login", "eve")],
    )
    .await;
    c.subscribe("r", "/topic/chat/room/7", "auto").await;
    c.subscribe("e", "/user/queue/errors", "auto").await;
    c.send("/app/quiet", "nothing comes back").await;
    c.send("/app/chat/room/7", "hello").await;
    assert_eq!(body(&c.recv_message().await), "[eve] hello");
    c.send("/app/bad", "").await;
    assert_eq!(body(&c.recv_message().await), "{\"error\":\"bad input\"}");
    s.stop().await;
}

#[tokio::test]
async fn periodic_task_publishes() {
    let app = App::new().every(Duration::from_millis(20), |broker| async move {
        let _ = broker.send("/topic/tick", "tick");
    });
    let s = TestServer::start(test_config(), app).await;
    let mut c = s.client().await;
    c.subscribe("t", "/topic/tick", "auto").await;
    assert_eq!(body(&c.recv_message().await), "tick");
    assert_eq!(body(&c.recv_message().await), "tick");
    s.stop().await;
}

#[tokio::test]
async fn connect_and_disconnect_hooks_see_who_is_online() {
    let connects = Arc::new(AtomicUsize::new(0));
    let disconnects = Arc::new(AtomicUsize::new(0));
    let (c1, d1) = (Arc::clone(&connects), Arc::clone(&disconnects));
    let app = App::new()
        .on_connect(move |event, broker| {
            let c1 = Arc::clone(&c1);
            async move {
                c1.fetch_add(1, Ordering::SeqCst);
                let who = broker.online_users().join(",");
                let _ = broker.send("/topic/presence", format!("+{:?} {who}", event.user));
            }
        })
        .on_disconnect(move |_event, broker| {
            let d1 = Arc::clone(&d1);
            async move {
                d1.fetch_add(1, Ordering::SeqCst);
                let _ = broker.send("/topic/presence", broker.online_users().join(","));
            }
        });
    let s = TestServer::start(test_config(), app).await;
    let mut watcher = s.client().await;
    watcher.subscribe("p", "/topic/presence", "auto").await;
    let fred = Client::connect_with(
        s.tcp,
        &[("accept-version", "1.2"), ("host", "x"), ("login", "fred")],
    )
    .await;
    assert_eq!(body(&watcher.recv_message().await), "+Some(\"fred\") fred");
    fred.disconnect().await;
    assert_eq!(body(&watcher.recv_message().await), "");
    assert_eq!(connects.load(Ordering::SeqCst), 2);
    assert_eq!(disconnects.load(Ordering::SeqCst), 1);
    s.stop().await;
}

#[tokio::test]
async fn a_panicking_handler_becomes_a_handler_error_and_the_session_lives_on() {
    let app = App::new().message("/panic", |req| async move {
        if req.body_str() == Some("boom") {
            panic!("handler bug");
        }
        Ok(None)
    });
    let s = TestServer::start(test_config(), app).await;
    let mut c = s.client().await;
    c.subscribe("e", "/user/queue/errors", "auto").await;
    c.send("/app/panic", "boom").await;
    assert_eq!(body(&c.recv_message().await), "handler panicked");
    c.send("/app/panic", "fine").await;
    c.disconnect().await;
    s.stop().await;
}
