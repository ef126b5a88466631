//! `/user` destinations are private: a spy that knows the naming scheme, every session id it
//! can learn and every pattern it may subscribe with reads nothing of another user's, and the
//! victim loses nothing to it.

mod common;

use common::*;
use stomp_server::demo;
use stomp_server::App;
use stomp_wasm::{Command, Frame};

async fn login(s: &TestServer, name: &str) -> Client {
    Client::connect_with(
        s.tcp,
        &[("accept-version", "1.2"), ("host", "x"), ("login", name)],
    )
    .await
}

fn session_of(c: &Client) -> String {
    c.connected
        .as_ref()
        .and_then(|f| f.get("session"))
        .expect("CONNECTED carries the session id")
        .to_owned()
}

/// SUBSCRIBE with a receipt: `Ok` with frames that came first, or the ERROR (the connection is
/// then closed).
async fn try_subscribe(c: &mut Client, id: &str, destination: &str) -> Result<(), Frame> {
    let f = Frame::new(Command::Subscribe)
        .header("id", id.to_owned())
        .header("destination", destination.to_owned())
        .header("receipt", format!("sub-{id}"));
    c.send_frame(&f).await;
    let reply = c.recv().await;
    match reply.command {
        Command::Receipt => Ok(()),
        Command::Error => Err(reply),
        _ => panic!("unexpected {reply:?}"),
    }
}

#[tokio::test]
async fn user_destinations_reach_no_one_else() {
    let s = TestServer::start(test_config(), demo::install(App::new())).await;
    let mut alice = login(&s, "alice").await;
    let mut alice2 = login(&s, "alice").await;
    let mut bob = login(&s, "bob").await;
    let victims = [session_of(&alice), session_of(&alice2)];

    alice.subscribe("q", "/user/queue/private", "auto").await;
    alice.subscribe("t", "/user/topic/private", "auto").await;
    alice.subscribe("e", "/user/queue/errors", "auto").await;
    alice2.subscribe("q", "/user/queue/private", "auto").await;

    // The spy: a legitimate user subscribing to everything it may, including every name the
    // victim's messages had (Spring's `-user{session}`) and could have.
    let mut spy = login(&s, "mallory").await;
    let patterns = [
        "/topic/**",
        "/topic/*",
        "/topic/private*",
        "/topic/private-user*",
        "/topic/**/*user*",
    ];
    for (i, p) in patterns.iter().enumerate() {
        spy.subscribe(&format!("p{i}"), p, "auto").await;
    }
    for (i, v) in victims.iter().enumerate() {
        for (j, name) in [
            format!("/queue/private-user{v}"),
            format!("/queue/errors-user{v}"),
            format!("/topic/private-user{v}"),
        ]
        .iter()
        .enumerate()
        {
            spy.subscribe(&format!("g{i}-{j}"), name, "auto").await;
        }
    }
    // The resolved names themselves are refused, and SEND to them as well.
    for (i, dest) in [
        format!("user-session:{}/queue/private", victims[0]),
        format!("user-session:{}/queue/errors", victims[0]),
    ]
    .iter()
    .enumerate()
    {
        let mut probe = login(&s, "mallory").await;
        try_subscribe(&mut probe, &format!("r{i}"), dest)
            .await
            .expect_err("a resolved user destination cannot be subscribed to");
        let mut probe = login(&s, "mallory").await;
        probe
            .send_frame(
                &Frame::new(Command::Send)
                    .header("destination", dest.clone())
                    .body("forged"),
            )
            .await;
        probe.expect_error_and_close().await;
    }

    // Every route a message for alice takes: by name, by session id, an application reply.
    for n in 0..3 {
        bob.send("/user/alice/queue/private", &format!("q{n}"))
            .await;
        bob.send("/user/alice/topic/private", &format!("t{n}"))
            .await;
        bob.send("/user/alice/queue/errors", &format!("e{n}")).await;
    }
    bob.send(&format!("/user/{}/queue/private", victims[0]), "by-id")
        .await;

    let mut got: Vec<(String, String)> = Vec::new();
    for _ in 0..10 {
        let m = alice.recv_message().await;
        got.push((
            m.get("destination").unwrap_or("").to_owned(),
            body(&m).to_owned(),
        ));
    }
    got.sort();
    let mut want: Vec<(String, String)> = (0..3)
        .flat_map(|n| {
            [
                ("/user/queue/private".to_owned(), format!("q{n}")),
                ("/user/topic/private".to_owned(), format!("t{n}")),
                ("/user/queue/errors".to_owned(), format!("e{n}")),
            ]
        })
        .collect();
    want.push(("/user/queue/private".to_owned(), "by-id".to_owned()));
    want.sort();
    assert_eq!(
        got, want,
        "the victim gets every message, under its own names"
    );
    let second: Vec<String> = alice2
        .sync()
        .await
        .iter()
        .map(|m| body(m).to_owned())
        .collect();
    assert_eq!(second, ["q0", "q1", "q2"], "every session of the user");
    assert!(alice.sync().await.is_empty());

    // Nothing reached the spy, and the spy's own traffic still flows (its subscriptions live).
    assert!(spy.sync().await.is_empty(), "the spy read nothing");
    bob.send("/topic/public", "hello").await;
    let seen = spy.sync().await;
    assert!(
        !seen.is_empty() && seen.iter().all(|m| body(m) == "hello"),
        "{seen:?}"
    );
}

#[tokio::test]
async fn the_demo_reveals_no_session_id() {
    let s = TestServer::start(test_config(), demo::install(App::new())).await;
    let mut victim = s.client().await;
    let mut spy = s.client().await;
    let id = session_of(&victim);

    spy.subscribe("p", "/topic/chat/room/*/presence", "auto")
        .await;
    spy.subscribe("m", "/topic/chat/room/*", "auto").await;
    victim.send("/app/chat/room/lobby/join", "").await;
    victim.send("/app/chat/room/lobby", "hi").await;
    let mut seen = spy.sync().await;
    seen.extend(
        spy.subscribe_collect("r", "/app/chat/room/lobby/members", "auto")
            .await,
    );
    seen.extend(
        spy.subscribe_collect("h", "/app/chat/room/lobby/history", "auto")
            .await,
    );
    assert!(seen.len() >= 4, "{seen:?}");
    let tail = &id[id.len() - 6..];
    for f in &seen {
        let text = format!("{:?} {}", f.headers, body(f));
        assert!(!text.contains(&id) && !text.contains(tail), "{text}");
    }
    // And an error for the victim, sent where the session id would have been, stays its own.
    victim.subscribe("e", "/user/queue/errors", "auto").await;
    let mut spy2 = s.client().await;
    let guessed = format!("/queue/errors-user{id}");
    spy2.subscribe("g", &guessed, "auto").await;
    victim.send("/app/chat/room/NOT A ROOM", "x").await;
    let errors = victim.sync().await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].get("destination"), Some("/user/queue/errors"));
    assert!(spy2.sync().await.is_empty());
}
