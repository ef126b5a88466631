//! ACK modes, NACK and redelivery.

mod common;

use common::*;
use stomp_wasm::{Command, Frame};

fn ack(id: &str) -> Frame {
    Frame::new(Command::Ack).header("id", id.to_owned())
}

fn nack(id: &str) -> Frame {
    Frame::new(Command::Nack).header("id", id.to_owned())
}

#[tokio::test]
async fn client_individual_ack_and_nack_redelivers_to_another_subscriber() {
    let s = TestServer::start_default().await;
    let mut a = s.client().await;
    a.subscribe("qa", "/queue/jobs", "client-individual").await;
    let mut p = s.client().await;
    p.send("/queue/jobs", "j1").await;
    let m = a.recv_message().await;
    let ack_id = m.get("ack").expect("1.2 MESSAGE has ack").to_owned();
    assert_eq!(m.get("redelivered"), None);
    // A second subscriber arrives; the first NACKs: the message goes to the second.
    let mut b = s.client().await;
    b.subscribe("qb", "/queue/jobs", "client-individual").await;
    a.call(nack(&ack_id)).await;
    let again = b.recv_message().await;
    assert_eq!(body(&again), "j1");
    assert_eq!(again.get("redelivered"), Some("true"));
    assert_eq!(again.get("subscription"), Some("qb"));
    b.call(ack(again.get("ack").unwrap())).await;
    assert_eq!(s.server.broker_handle().queue_backlog("/queue/jobs"), 0);
    s.stop().await;
}

#[tokio::test]
async fn unacked_messages_are_redelivered_when_the_session_ends() {
    let s = TestServer::start_default().await;
    let mut a = s.client().await;
    a.subscribe("q", "/queue/crash", "client").await;
    let mut p = s.client().await;
    p.send("/queue/crash", "m1").await;
    p.send("/queue/crash", "m2").await;
    assert_eq!(body(&a.recv_message().await), "m1");
    assert_eq!(body(&a.recv_message().await), "m2");
    a.disconnect().await;
    // Nobody subscribed: both wait in the queue, marked redelivered.
    let mut b = s.client().await;
    let got = b.subscribe_collect("q", "/queue/crash", "auto").await;
    let bodies: Vec<&str> = got.iter().map(body).collect();
    assert_eq!(bodies.len(), 2);
    assert!(bodies.contains(&"m1") && bodies.contains(&"m2"));
    assert!(got.iter().all(|m| m.get("redelivered") == Some("true")));
    s.stop().await;
}

#[tokio::test]
async fn client_ack_is_cumulative() {
    let s = TestServer::start_default().await;
    let mut a = s.client().await;
    a.subscribe("q", "/queue/cumul", "client").await;
    let mut p = s.client().await;
    for b in ["1", "2", "3"] {
        p.send("/queue/cumul", b).await;
    }
    let msgs = [
        a.recv_message().await,
        a.recv_message().await,
        a.recv_message().await,
    ];
    // ACK the second: the first two are settled, the third is not.
    a.call(ack(msgs[1].get("ack").unwrap())).await;
    a.disconnect().await;
    let mut b = s.client().await;
    let got = b.subscribe_collect("q", "/queue/cumul", "auto").await;
    let bodies: Vec<&str> = got.iter().map(body).collect();
    assert_eq!(bodies, ["3"]);
    s.stop().await;
}

#[tokio::test]
async fn client_individual_ack_settles_only_that_message() {
    let s = TestServer::start_default().await;
    let mut a = s.client().await;
    a.subscribe("q", "/queue/indiv", "client-individual").await;
    let mut p = s.client().await;
    for b in ["1", "2", "3"] {
        p.send("/queue/indiv", b).await;
    }
    let msgs = [
        a.recv_message().await,
        a.recv_message().await,
        a.recv_message().await,
    ];
    a.call(ack(msgs[1].get("ack").unwrap())).await;
    a.disconnect().await;
    let mut b = s.client().await;
    let got = b.subscribe_collect("q", "/queue/indiv", "auto").await;
    let mut bodies: Vec<&str> = got.iter().map(body).collect();
    bodies.sort();
    assert_eq!(bodies, ["1", "3"]);
    s.stop().await;
}

#[tokio::test]
async fn stomp_1_1_acks_by_message_id_and_subscription() {
    let s = TestServer::start_default().await;
    let v11 = [("accept-version", "1.1"), ("host", "x")];
    let mut a = Client::connect_with(s.tcp, &v11).await;
    a.subscribe("sub-1", "/queue/v11", "client-individual")
        .await;
    let mut p = s.client().await;
    p.send("/queue/v11", "x").await;
    let m = a.recv_message().await;
    assert_eq!(m.get("ack"), None, "1.1 MESSAGE has no ack header");
    let id = m.get("message-id").unwrap().to_owned();
    a.call(
        Frame::new(Command::Ack)
            .header("message-id", id)
            .header("subscription", "sub-1"),
    )
    .await;
    a.disconnect().await;
    let mut b = s.client().await;
    assert!(b
        .subscribe_collect("q", "/queue/v11", "auto")
        .await
        .is_empty());
    s.stop().await;
}

#[tokio::test]
async fn unacked_limit_holds_back_further_queue_messages() {
    let mut config = test_config();
    config.destinations.max_unacked = 2;
    let s = TestServer::start(config, stomp_server::App::new()).await;
    let mut a = s.client().await;
    a.subscribe("q", "/queue/prefetch", "client-individual")
        .await;
    let mut p = s.client().await;
    for b in ["1", "2", "3"] {
        p.send("/queue/prefetch", b).await;
    }
    let first = a.sync().await;
    assert_eq!(first.len(), 2, "only max_unacked in flight");
    assert_eq!(s.server.broker_handle().queue_backlog("/queue/prefetch"), 1);
    // Acking one lets the third through.
    let later = a.call(ack(first[0].get("ack").unwrap())).await;
    assert_eq!(later.len(), 1);
    assert_eq!(body(&later[0]), "3");
    s.stop().await;
}

#[tokio::test]
async fn topic_messages_in_client_mode_carry_ack_headers_and_accept_acks() {
    let s = TestServer::start_default().await;
    let mut a = s.client().await;
    a.subscribe("t", "/topic/acked", "client").await;
    let mut p = s.client().await;
    p.send("/topic/acked", "x").await;
    let m = a.recv_message().await;
    let id = m.get("ack").unwrap().to_owned();
    a.call(ack(&id)).await;
    a.call(nack(&id)).await;
    s.stop().await;
}

#[tokio::test]
async fn unsubscribing_returns_unacked_messages_to_the_queue() {
    let s = TestServer::start_default().await;
    let mut a = s.client().await;
    a.subscribe("q", "/queue/unsub", "client").await;
    let mut p = s.client().await;
    p.send("/queue/unsub", "back").await;
    a.recv_message().await;
    a.call(Frame::new(Command::Unsubscribe).header("id", "q"))
        .await;
    assert_eq!(s.server.broker_handle().queue_backlog("/queue/unsub"), 1);
    s.stop().await;
}

/// Issue 16: what a client-ack subscriber leaves unacknowledged comes back in its original
/// order (RabbitMQ does; it came back reversed), and a cumulative ACK of a redelivered message
/// settles exactly what was delivered up to it.
#[tokio::test]
async fn unacked_messages_come_back_in_their_original_order() {
    let s = TestServer::start_default().await;
    for mode in ["client", "client-individual"] {
        let queue = format!("/queue/order-{mode}");
        let mut a = s.client().await;
        a.subscribe("q", &queue, mode).await;
        let mut p = s.client().await;
        for b in ["test1", "test2", "test3"] {
            p.send(&queue, b).await;
        }
        for b in ["test1", "test2", "test3"] {
            assert_eq!(body(&a.recv_message().await), b, "{mode}");
        }
        // Nobody else subscribed: the three wait in the queue.
        a.disconnect().await;
        let mut b = s.client().await;
        let got = b.subscribe_collect("q", &queue, "client").await;
        let bodies: Vec<&str> = got.iter().map(body).collect();
        assert_eq!(bodies, ["test1", "test2", "test3"], "{mode}");
        assert!(got.iter().all(|m| m.get("redelivered") == Some("true")));
        // Cumulative: settles test1 and test2, not test3.
        b.call(ack(got[1].get("ack").unwrap())).await;
        b.disconnect().await;
        let mut c = s.client().await;
        let got = c.subscribe_collect("q", &queue, "auto").await;
        let bodies: Vec<&str> = got.iter().map(body).collect();
        assert_eq!(bodies, ["test3"], "{mode}");
        c.disconnect().await;
    }
    s.stop().await;
}

/// The same when the next subscriber is already there: dispatched at once, still in order.
#[tokio::test]
async fn unacked_messages_go_to_a_waiting_subscriber_in_order() {
    let s = TestServer::start_default().await;
    let mut a = s.client().await;
    a.subscribe("q", "/queue/order-live", "client").await;
    let mut p = s.client().await;
    for b in ["test1", "test2"] {
        p.send("/queue/order-live", b).await;
    }
    for b in ["test1", "test2"] {
        assert_eq!(body(&a.recv_message().await), b);
    }
    let mut b = s.client().await;
    b.subscribe("q", "/queue/order-live", "client").await;
    a.disconnect().await;
    assert_eq!(body(&b.recv_message().await), "test1");
    assert_eq!(body(&b.recv_message().await), "test2");
    s.stop().await;
}

/// Issue 16: STOMP 1.2 requires `id` on ACK and NACK; one without it is an ERROR, not ignored
/// (1.1's `message-id` + `subscription` stay accepted in 1.1, see above).
#[tokio::test]
async fn stomp_1_2_ack_and_nack_without_id_are_errors() {
    let s = TestServer::start_default().await;
    for command in [Command::Ack, Command::Nack] {
        let queue = format!("/queue/no-id-{command}");
        let mut a = s.client().await;
        a.subscribe("q", &queue, "client-individual").await;
        let mut p = s.client().await;
        p.send(&queue, "x").await;
        let m = a.recv_message().await;
        a.send_frame(
            &Frame::new(command)
                .header("message-id", m.get("message-id").unwrap().to_owned())
                .header("subscription", "q")
                .header("receipt", "r1"),
        )
        .await;
        let e = a.expect_error_and_close().await;
        assert_eq!(
            e.get("message"),
            Some(format!("{command} frame without id header").as_str())
        );
        assert_eq!(e.get("receipt-id"), Some("r1"));
        // The message was settled by neither: it is there for the next subscriber.
        let mut b = s.client().await;
        let got = b.subscribe_collect("q", &queue, "auto").await;
        assert_eq!(got.len(), 1, "{got:?}");
    }
    s.stop().await;
}
