//! A SEND re-sent by a reconnecting client (the same `x-stomp-wasm-id`, as stomp-wasm's offline
//! queue stamps it) is answered but delivered once; other clients' ids never suppress a message.

mod common;

use std::net::IpAddr;

use common::*;
use stomp_server::dedup::OFFLINE_ID_HEADER;
use stomp_wasm::{Command, Frame};

fn send(destination: &str, id: &str, body: &str) -> Frame {
    Frame::new(Command::Send)
        .header("destination", destination.to_owned())
        .header(OFFLINE_ID_HEADER, id.to_owned())
        .body(body.to_owned())
}

fn bodies(frames: &[Frame]) -> Vec<String> {
    frames
        .iter()
        .filter(|f| f.command == Command::Message)
        .map(|f| body(f).to_owned())
        .collect()
}

#[tokio::test]
async fn a_send_re_sent_on_a_new_connection_is_answered_and_delivered_once() {
    let s = TestServer::start_default().await;
    let mut sub = s.client().await;
    sub.subscribe("1", "/topic/dedup", "auto").await;

    // The first connection's SEND is taken (its RECEIPT may never reach the client) ...
    let mut first = s.client().await;
    first.call(send("/topic/dedup", "c1-0", "one")).await;
    drop(first);
    // ... so the client re-sends it, with the same id, after reconnecting; the receipt is
    // answered (`call` waits for it) and the frame is not delivered again.
    let mut second = s.client().await;
    second.call(send("/topic/dedup", "c1-0", "one")).await;
    second.call(send("/topic/dedup", "c1-1", "two")).await;

    assert_eq!(bodies(&sub.sync().await), ["one", "two"]);
    let metrics = s.server.metrics();
    assert_eq!(
        metrics
            .duplicate_sends
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    s.stop().await;
}

#[tokio::test]
async fn a_queue_gets_a_re_sent_message_once_and_transactions_count_at_commit() {
    let s = TestServer::start_default().await;
    let mut p = s.client().await;
    p.call(send("/queue/dedup", "c2-0", "a")).await;
    // A transaction re-sent after a reconnect: its SEND is checked when it takes effect.
    let mut again = s.client().await;
    again
        .call(Frame::new(Command::Begin).header("transaction", "t"))
        .await;
    again
        .send_frame(&send("/queue/dedup", "c2-0", "a").header("transaction", "t"))
        .await;
    again
        .send_frame(&send("/queue/dedup", "c2-1", "b").header("transaction", "t"))
        .await;
    again
        .call(Frame::new(Command::Commit).header("transaction", "t"))
        .await;
    let mut sub = s.client().await;
    let backlog = sub.subscribe_collect("1", "/queue/dedup", "auto").await;
    let mut got = bodies(&backlog);
    got.extend(bodies(&sub.sync().await));
    assert_eq!(got, ["a", "b"]);
    s.stop().await;
}

#[tokio::test]
async fn another_client_cannot_suppress_a_message_by_sending_its_id_first() {
    let mut config = test_config();
    // Two clients on one machine would share an address: here each has its own.
    config.limits.max_connections_per_address = 100;
    let s = TestServer::start(config, stomp_server::App::new()).await;
    let mut sub = s.client().await;
    sub.subscribe("1", "/topic/victim", "auto").await;

    let attacker: IpAddr = [127, 0, 0, 2].into();
    let mut spy = Client::raw_from(s.tcp, attacker).await;
    spy.handshake(&[]).await;
    spy.call(send("/topic/victim", "v-7", "forged")).await;

    // The victim (another address) sends with that id: delivered, it is someone else's id.
    let mut victim = s.client().await;
    victim.call(send("/topic/victim", "v-7", "real")).await;
    assert_eq!(bodies(&sub.sync().await), ["forged", "real"]);
    s.stop().await;
}

#[tokio::test]
async fn logins_are_principals_whatever_the_address() {
    let mut config = test_config();
    let users = std::env::temp_dir().join(format!("stomp-dedup-users-{}", std::process::id()));
    std::fs::write(&users, "ann:pw\nbob:pw\n").unwrap();
    config.security.users_file = Some(users);
    let s = TestServer::start(config, stomp_server::App::new()).await;
    let login = |name: &'static str| [("login", name), ("passcode", "pw")];

    let mut sub = Client::connect_with(s.tcp, &login("bob")).await;
    sub.subscribe("1", "/topic/logins", "auto").await;
    // ann from one address, then ann again from another: the same principal.
    let mut ann = Client::connect_with(s.tcp, &login("ann")).await;
    ann.call(send("/topic/logins", "a-0", "x")).await;
    let mut ann_elsewhere = Client::raw_from(s.tcp, [127, 0, 0, 3].into()).await;
    ann_elsewhere.handshake(&login("ann")).await;
    ann_elsewhere.call(send("/topic/logins", "a-0", "x")).await;
    // bob with ann's id from ann's address: another principal.
    let mut bob = Client::connect_with(s.tcp, &login("bob")).await;
    bob.call(send("/topic/logins", "a-0", "y")).await;
    assert_eq!(bodies(&sub.sync().await), ["x", "y"]);
    s.stop().await;
}

#[tokio::test]
async fn a_send_without_an_id_or_with_dedup_off_is_always_delivered() {
    let mut config = test_config();
    config.dedup.max_ids = 0;
    let s = TestServer::start(config, stomp_server::App::new()).await;
    let mut sub = s.client().await;
    sub.subscribe("1", "/topic/off", "auto").await;
    let mut p = s.client().await;
    p.call(send("/topic/off", "same", "1")).await;
    p.call(send("/topic/off", "same", "2")).await;
    p.send("/topic/off", "3").await;
    p.send("/topic/off", "3").await;
    assert_eq!(bodies(&sub.sync().await), ["1", "2", "3", "3"]);
    s.stop().await;
}

#[test]
fn bad_dedup_settings_are_refused_with_their_name() {
    let mut config = test_config();
    config.dedup.window_ms = 0;
    let err = config.validate().unwrap_err().to_string();
    assert!(err.contains("dedup.window_ms"), "{err}");
}
