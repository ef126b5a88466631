// A numbered stream published across a restart of the broker (issue 15: nothing lost across a
// broker restart), and the options of a client that reconnects quickly. Included by
// tests/web_js_restart.rs and by tests/web_sockjs_restart.rs, which runs the same stream over
// SockJS (both with `use support::*` and the JS client's `Client` in scope).

fn send(client: &Client, dest: &str, body: &str) {
    client
        .publish(obj(&[("destination", s(dest)), ("body", s(body))]))
        .unwrap_or_else(|e| panic!("publish {body}: {e:?}"));
}

/// Options for a client that reconnects quickly. A broker shutting down gracefully may say so in
/// an ERROR frame first ("server shutting down"): recorded apart, as that is no test failure.
fn reconnecting(rec: &Recorder, extra: &[(&str, JsValue)]) -> JsValue {
    let mut opts = vec![
        ("reconnectDelay", n(100.0)),
        ("onStompError", rec.callback("shutdownError")),
    ];
    opts.extend(extra.iter().cloned());
    config(rec, &opts)
}

/// How a broker is restarted mid-stream by the test supervisor.
#[derive(Clone, Copy, Debug)]
enum Restart {
    /// SIGTERM: a graceful stop.
    Stop,
    /// SIGKILL: a crash.
    Kill,
}

/// What one stream saw: every body in arrival order, and the socket's URL (`webSocket.url`:
/// a SockJS socket keeps the http:// one) and the transport the client reported, on its first
/// connection and on its last (after the restart).
struct Streamed {
    numbers: Vec<u32>,
    first: (Option<String>, Option<String>),
    last: (Option<String>, Option<String>),
    /// The SockJS module's `SockJS: open over …` lines, as the client's `debug` got them.
    sockjs_opens: Vec<String>,
}

/// Publishes 0..=300, one every 10 ms, through a client of `url` configured by `extra` (on top
/// of [`reconnecting`] with the offline queue: `transports`…), asking the supervisor
/// to restart the broker (down 0.5 s) after #100 while the stream goes on, holding #201 on until
/// the restart has closed the socket, and waits until every number has arrived and the offline
/// queue has been confirmed by receipts.
async fn stream_across(restart: Restart, url: &str, extra: &[(&str, JsValue)]) -> Streamed {
    control("start").await;
    let rec = Recorder::default();
    // With the offline queue every publish is kept until its RECEIPT (whileConnected), so one in
    // flight when the broker dies is sent again after the reconnection.
    let mut opts = vec![
        ("brokerURL", s(url)),
        ("offlineQueue", JsValue::TRUE),
        ("debug", rec.callback("debug")),
    ];
    opts.extend(extra.iter().cloned());
    let client = Client::new(Some(reconnecting(&rec, &opts))).unwrap();
    client.activate().unwrap();
    rec.wait("onConnect", 1).await;
    let socket = || (get_str(&client.web_socket(), "url"), client.transport());
    let first = socket();
    let dest = topic("web-midstream");
    client
        .subscribe(s(&dest), rec.callback("msg"), None, None)
        .unwrap();
    send(&client, &dest, "0");
    rec.wait("msg", 1).await;
    let action = match restart {
        Restart::Stop => "restart?down_ms=500",
        Restart::Kill => "restart?down_ms=500&signal=KILL",
    };
    let back = std::rc::Rc::new(std::cell::Cell::new(false));
    for i in 1..=300u32 {
        send(&client, &dest, &i.to_string());
        if i == 100 {
            let back = back.clone();
            wasm_bindgen_futures::spawn_local(async move {
                control(action).await;
                back.set(true);
            });
        }
        // The last hundred go out only once the restart has cut the connection: a broker slow
        // to stop (RabbitMQ takes seconds, more on a loaded machine) would otherwise see the
        // whole stream before it goes down, and the test would prove nothing about a restart.
        if i == 200 {
            for _ in 0..600 {
                if rec.count("onWebSocketClose") >= 1 {
                    break;
                }
                gloo_timers::future::TimeoutFuture::new(100).await;
            }
            assert!(
                rec.count("onWebSocketClose") >= 1,
                "the restart did not close the socket within 60 s"
            );
        }
        gloo_timers::future::TimeoutFuture::new(10).await;
    }
    // RabbitMQ takes seconds to come back: wait for the supervisor's answer, then for delivery.
    for _ in 0..600 {
        if back.get() {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(100).await;
    }
    assert!(back.get(), "the broker did not come back within 60 s");
    let numbers = || -> Vec<u32> {
        rec.bodies("msg")
            .iter()
            .map(|b| b.parse().expect("a number"))
            .collect()
    };
    until("all 301 delivered and the offline queue confirmed", || {
        let mut seen = numbers();
        seen.sort_unstable();
        seen.dedup();
        seen.len() == 301 && client.offline_queue_length() == 0
    })
    .await;
    // The stream went through a reconnection: the restart did cut the connection.
    assert!(rec.count("onConnect") >= 2, "no reconnection");
    let last = socket();
    settle(client.deactivate(None).unwrap()).await;
    let sockjs_opens = rec
        .all("debug")
        .iter()
        .filter_map(|l| l.as_string())
        .filter(|l| l.starts_with("SockJS: open over"))
        .collect();
    Streamed {
        numbers: numbers(),
        first,
        last,
        sockjs_opens,
    }
}

/// The first arrival of each number, in arrival order.
fn first_arrivals(numbers: &[u32]) -> Vec<u32> {
    let mut seen = std::collections::HashSet::new();
    numbers
        .iter()
        .copied()
        .filter(|n| seen.insert(*n))
        .collect()
}

/// The test body: [`stream_across`] `restart` through `url` (ws:// or a SockJS http:// one),
/// over `transport` on both sides of it, every publish arriving in order; after a SIGTERM on a
/// broker that drops re-sent SENDs (stomp-server), each exactly once. After SIGKILL the restarted
/// broker cannot know a frame the dead one delivered without confirming it: such a frame may
/// arrive twice (README, "A re-sent SEND is delivered once").
async fn stream_survives(restart: Restart, url: &str, transport: &str, extra: &[(&str, JsValue)]) {
    let got = stream_across(restart, url, extra).await;
    let expected = (Some(url.to_owned()), Some(transport.to_owned()));
    assert_eq!(got.first, expected, "the socket before the restart");
    assert_eq!(got.last, expected, "the socket after the restart");
    // The fallback's decisions reach the client's `debug` (docs/SOCKJS.md), one open per
    // connection.
    if url.starts_with("http") {
        let open = format!("SockJS: open over {transport}");
        assert!(got.sockjs_opens.len() >= 2, "{:?}", got.sockjs_opens);
        assert!(got.sockjs_opens.iter().all(|l| *l == open), "{:?}", got.sockjs_opens);
    } else {
        assert!(got.sockjs_opens.is_empty());
    }
    assert_eq!(
        first_arrivals(&got.numbers),
        (0..=300).collect::<Vec<_>>(),
        "every publish, in order"
    );
    if matches!(restart, Restart::Stop) && broker_drops_resent_sends() {
        assert_eq!(got.numbers.len(), 301, "nothing delivered twice");
    }
}
