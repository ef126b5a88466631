//! Authentication and per-destination authorization.

mod common;

use common::*;
use stomp_server::auth::{Action, StaticAuthenticator};
use stomp_server::{App, Server};
use stomp_wasm::Command;

fn users_file(contents: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("stomp-server-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("users-{}.txt", contents.len()));
    std::fs::write(&path, contents).unwrap();
    path
}

#[tokio::test]
async fn users_file_checks_login_and_passcode() {
    let mut config = test_config();
    config.security.users_file = Some(users_file("# test users\nann:pw1\n"));
    config.security.allow_anonymous = false;
    let s = TestServer::start(config, App::new()).await;

    let ok = Client::connect_with(
        s.tcp,
        &[
            ("accept-version", "1.2"),
            ("host", "x"),
            ("login", "ann"),
            ("passcode", "pw1"),
        ],
    )
    .await;
    assert_eq!(ok.connected.as_ref().unwrap().get("user-name"), Some("ann"));

    for creds in [
        vec![("login", "ann"), ("passcode", "wrong")],
        vec![("login", "nobody"), ("passcode", "pw1")],
        vec![],
    ] {
        let mut c = Client::raw(s.tcp).await;
        let mut headers = vec![("accept-version", "1.2"), ("host", "x")];
        headers.extend(creds);
        let f = c.handshake(&headers).await;
        assert_eq!(f.command, Command::Error);
        assert_eq!(f.get("message"), Some("authentication failed"));
        assert!(c.recv_or_eof().await.is_none());
    }
    ok.disconnect().await;
    s.stop().await;
}

/// Anonymous access allowed does not turn a failed login into an anonymous session.
#[tokio::test]
async fn a_wrong_passcode_is_refused_even_with_anonymous_allowed() {
    let mut config = test_config();
    config.security.users_file = Some(users_file("# anonymous allowed too\nbea:right\n"));
    config.security.allow_anonymous = true;
    let s = TestServer::start(config, App::new()).await;
    for creds in [
        vec![("login", "bea"), ("passcode", "wrong")],
        vec![("login", "bea")],
        vec![("login", "nobody"), ("passcode", "right")],
        vec![("login", ""), ("passcode", "right")],
    ] {
        let mut c = Client::raw(s.tcp).await;
        let mut headers = vec![("accept-version", "1.2"), ("host", "x")];
        headers.extend(creds.iter().copied());
        let f = c.handshake(&headers).await;
        assert_eq!(f.command, Command::Error, "{creds:?}: {f:?}");
        assert_eq!(f.get("message"), Some("authentication failed"));
        assert!(c.recv_or_eof().await.is_none());
    }
    let anon = Client::connect_with(s.tcp, &[("accept-version", "1.2"), ("host", "x")]).await;
    assert_eq!(
        anon.connected.as_ref().and_then(|f| f.get("user-name")),
        None
    );
    let bea = Client::connect_with(
        s.tcp,
        &[
            ("accept-version", "1.2"),
            ("host", "x"),
            ("login", "bea"),
            ("passcode", "right"),
        ],
    )
    .await;
    assert_eq!(
        bea.connected.as_ref().and_then(|f| f.get("user-name")),
        Some("bea")
    );
    anon.disconnect().await;
    bea.disconnect().await;
    s.stop().await;
}

#[tokio::test]
async fn anonymous_can_be_switched_off_without_a_users_file() {
    let mut config = test_config();
    config.security.allow_anonymous = false;
    let s = TestServer::start(config, App::new()).await;
    let mut anon = Client::raw(s.tcp).await;
    let f = anon
        .handshake(&[("accept-version", "1.2"), ("host", "x")])
        .await;
    assert_eq!(f.command, Command::Error);
    let named = Client::connect_with(
        s.tcp,
        &[("accept-version", "1.2"), ("host", "x"), ("login", "any")],
    )
    .await;
    named.disconnect().await;
    s.stop().await;
}

#[tokio::test]
async fn authorizer_denies_send_and_subscribe_with_an_error() {
    let builder = Server::builder(test_config())
        .authenticator(StaticAuthenticator::open(true))
        .authorizer(|user: Option<&str>, action: Action, destination: &str| {
            match (action, destination) {
                (Action::Subscribe, d) if d.starts_with("/topic/admin") => user == Some("root"),
                (Action::Send, d) if d.starts_with("/topic/readonly") => false,
                _ => true,
            }
        });
    let s = TestServer::start_built(builder).await;
    let mut c = s.client().await;
    c.send_raw(b"SUBSCRIBE\nid:1\ndestination:/topic/admin/logs\n\n\0")
        .await;
    let e = c.expect_error_and_close().await;
    assert!(e.get("message").unwrap().contains("access denied"));

    let mut root = Client::connect_with(
        s.tcp,
        &[("accept-version", "1.2"), ("host", "x"), ("login", "root")],
    )
    .await;
    root.subscribe("1", "/topic/admin/logs", "auto").await;
    root.send_raw(b"SEND\ndestination:/topic/readonly/x\n\nx\0")
        .await;
    root.expect_error_and_close().await;
    s.stop().await;
}
