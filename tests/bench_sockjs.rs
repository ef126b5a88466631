//! Figures for docs/BENCHMARKS.md ("Client fallback"), not a pass/fail test: time from
//! `activate()` to `onConnect` over SockJS when WebSocket works, when a proxy closes the
//! upgrade at once, when a proxy swallows it, and when the server disables it; and messages per
//! second through each transport. Printed to the console:
//!
//!     bash scripts/test-browser.sh --release --test bench_sockjs -- --nocapture
//!
//! The only assertions are that everything connects and arrives.

#![cfg(target_arch = "wasm32")]

#[path = "support/web.rs"]
mod support;

use std::cell::Cell;
use std::rc::Rc;

use stomp_wasm::wasm::Client;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn now() -> f64 {
    let perf = get(&js_sys::global(), "performance");
    let f: js_sys::Function = get(&perf, "now").unchecked_into();
    f.call0(&perf).unwrap().as_f64().unwrap()
}

fn base(name: &str, value: Option<&'static str>) -> String {
    let v =
        value.unwrap_or_else(|| panic!("{name} is not set: run through scripts/test-browser.sh"));
    format!(
        "{}/stomp",
        v.trim_end_matches('/').trim_end_matches("/stomp")
    )
}

fn log(line: &str) {
    web_sys_log(line);
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = log)]
    fn web_sys_log(s: &str);
}

/// ms from `activate()` to `onConnect`, and the transport used.
async fn connect_once(url: &str, transports: &[&str]) -> (f64, String) {
    let rec = Recorder::default();
    let connected_at = Rc::new(Cell::new(0.0));
    let c = connected_at.clone();
    let on_connect = Closure::<dyn FnMut(JsValue)>::new(move |_f: JsValue| c.set(now()));
    let mut opts = vec![
        ("brokerURL", s(url)),
        ("onConnect", on_connect.as_ref().clone()),
        ("debug", rec.callback("debug")),
    ];
    if !transports.is_empty() {
        let list: js_sys::Array = transports.iter().map(|t| s(t)).collect();
        opts.push(("transports", list.into()));
    }
    let client = Client::new(Some(config(&rec, &[]))).unwrap();
    client.configure(obj(&opts)).unwrap();
    let start = now();
    client.activate().unwrap();
    let start_wait = now();
    while connected_at.get() == 0.0 {
        if now() - start_wait > 10_000.0 {
            for line in rec.all("debug") {
                log(&format!("DEBUG {:?}", line.as_string()));
            }
            for name in ["onWebSocketClose", "onWebSocketError"] {
                for ev in rec.all(name) {
                    log(&format!(
                        "{name} {:?} {:?}",
                        get(&ev, "code"),
                        get(&ev, "reason")
                    ));
                }
            }
            panic!("no onConnect from {url}");
        }
        gloo_timers::future::TimeoutFuture::new(2).await;
    }
    let transport = client.transport().unwrap_or_default();
    settle(client.deactivate(None).unwrap()).await;
    drop(on_connect);
    (connected_at.get() - start, transport)
}

fn summary(samples: &mut [f64]) -> String {
    samples.sort_by(|a, b| a.total_cmp(b));
    let median = samples[samples.len() / 2];
    format!(
        "median {:.0} ms (min {:.0}, max {:.0}, n={})",
        median,
        samples[0],
        samples[samples.len() - 1],
        samples.len()
    )
}

#[wasm_bindgen_test]
async fn figures_activate_to_on_connect() {
    let cases = [
        (
            "unblocked",
            base("STOMP_TEST_HTTP", option_env!("STOMP_TEST_HTTP")),
        ),
        (
            "upgrade closed at once",
            base(
                "STOMP_TEST_PROXY_CLOSE",
                option_env!("STOMP_TEST_PROXY_CLOSE"),
            ),
        ),
        (
            "upgrade swallowed",
            base(
                "STOMP_TEST_PROXY_SWALLOW",
                option_env!("STOMP_TEST_PROXY_SWALLOW"),
            ),
        ),
        (
            "websocket disabled",
            base(
                "STOMP_TEST_HTTP_NO_WS",
                option_env!("STOMP_TEST_HTTP_NO_WS"),
            ),
        ),
    ];
    // Warm-up (first connection pays for the browser's own setup).
    connect_once(&cases[0].1, &[]).await;
    for (name, url) in &cases {
        let mut samples = Vec::new();
        let mut used = String::new();
        for _ in 0..9 {
            let (ms, t) = connect_once(url, &[]).await;
            samples.push(ms);
            used = t;
        }
        log(&format!(
            "FIGURE connect {name}: {} over {used}",
            summary(&mut samples)
        ));
    }
}

#[wasm_bindgen_test]
async fn figures_messages_per_second_per_transport() {
    let url = base("STOMP_TEST_HTTP", option_env!("STOMP_TEST_HTTP"));
    for (transport, count) in [
        ("websocket", 5000usize),
        ("xhr-streaming", 5000),
        ("eventsource", 5000),
        ("xhr-polling", 2000),
    ] {
        let rec = Recorder::default();
        let received = Rc::new(Cell::new(0usize));
        let r = received.clone();
        let on_msg = Closure::<dyn FnMut(JsValue)>::new(move |_m: JsValue| r.set(r.get() + 1));
        let list: js_sys::Array = [s(transport)].into_iter().collect();
        let client = Client::new(Some(config(
            &rec,
            &[("brokerURL", s(&url)), ("transports", list.into())],
        )))
        .unwrap();
        client.activate().unwrap();
        rec.wait("onConnect", 1).await;
        let dest = topic("bench-sockjs");
        subscribe_confirmed(&client, &rec, &dest, on_msg.as_ref().clone()).await;
        let body = "x".repeat(100);
        let start = now();
        for _ in 0..count {
            client
                .publish(obj(&[("destination", s(&dest)), ("body", s(&body))]))
                .unwrap();
        }
        let probe = received.clone();
        until("all messages", move || probe.get() >= count).await;
        let secs = (now() - start) / 1000.0;
        log(&format!(
            "FIGURE rate {transport}: {count} msgs of 100 B published and received in {:.0} ms = {:.0} msg/s",
            secs * 1000.0,
            count as f64 / secs
        ));
        settle(client.deactivate(None).unwrap()).await;
        drop(on_msg);
    }
}
