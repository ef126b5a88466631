//! SockJS 0.3.3 over HTTP: the static endpoints and every HTTP transport, checked against the
//! protocol's rules with the test services (`/echo`, `/close`, `/cookie_needed_echo`,
//! `/disabled_websocket_echo`).

mod sockjs_util;

use std::time::Duration;

use sockjs_util::*;
use stomp_server::sockjs::SockJsConfig;
use stomp_server::{App, Config, Listeners, Server};

fn config() -> SockJsConfig {
    SockJsConfig::default()
}

#[tokio::test]
async fn greeting_and_unknown_paths() {
    let addr = test_services(config()).await;
    for path in ["/echo", "/echo/"] {
        let r = get(addr, path).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.header("content-type"), Some("text/plain; charset=UTF-8"));
        assert_eq!(r.body, "Welcome to SockJS!\n");
        assert_eq!(r.header("set-cookie"), None);
    }
    for suffix in [
        "/a",
        "/a.html",
        "//",
        "///",
        "/a/a",
        "/a/a/",
        "//xhr",
        "/a./a/xhr",
        "/a/a./xhr",
    ] {
        assert_eq!(
            get(addr, &format!("/echo{suffix}")).await.status(),
            404,
            "{suffix}"
        );
    }
    // A session URL with the wrong method: 405 with Allow, no body.
    let r = post(addr, "/echo/0/0/websocket", "").await;
    assert_eq!(r.status(), 405);
    assert_eq!(r.header("allow"), Some("GET"));
    assert_eq!(r.header("content-type"), None);
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn iframe_is_cacheable_with_etag() {
    let addr = test_services(config()).await;
    let r = get(addr, "/echo/iframe.html").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=UTF-8"));
    assert!(r.header("cache-control").unwrap().contains("public"));
    assert!(r
        .header("cache-control")
        .unwrap()
        .contains("max-age=31536000"));
    assert!(r.header("expires").is_some());
    assert_eq!(r.header("last-modified"), None);
    assert!(r.body.starts_with("<!DOCTYPE html>"));
    assert!(r.body.contains("SockJS.bootstrap_iframe();"));
    let etag = r.header("etag").expect("etag").to_owned();
    for versioned in ["/echo/iframe-0.1.2.html", "/echo/iframe-a.html?t=1"] {
        let v = get(addr, versioned).await;
        assert_eq!(v.status(), 200);
        assert_eq!(v.header("etag"), Some(etag.as_str()));
    }
    for bad in [
        "/echo/iframe.htm",
        "/echo/IFRAME.HTML",
        "/echo/iframe-/.html",
    ] {
        assert_eq!(get(addr, bad).await.status(), 404);
    }
    let r = request(
        addr,
        "GET",
        "/echo/iframe.html",
        &[("If-None-Match", &etag)],
        None,
    )
    .await;
    assert_eq!(r.status(), 304);
    assert_eq!(r.header("content-type"), None);
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn info_reports_capabilities_with_fresh_entropy() {
    let addr = test_services(config()).await;
    let r = request(addr, "GET", "/echo/info", &[("Origin", "http://x")], None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    assert_eq!(
        r.header("cache-control"),
        Some("no-store, no-cache, no-transform, must-revalidate, max-age=0")
    );
    assert_eq!(r.header("access-control-allow-origin"), Some("http://x"));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert!(r.body.contains(r#""websocket":true"#), "{}", r.body);
    assert!(r.body.contains(r#""cookie_needed":false"#));
    assert!(r.body.contains(r#""origins":["*:*"]"#));
    let entropy = |body: &str| -> u64 {
        let tail = body.split(r#""entropy":"#).nth(1).expect("entropy");
        tail.trim_end_matches('}').parse().expect("integer entropy")
    };
    let a = entropy(&r.body);
    let b = entropy(&get(addr, "/echo/info").await.body);
    let c = entropy(&get(addr, "/echo/info").await.body);
    assert!(a <= u64::from(u32::MAX));
    assert!(a != b || b != c, "entropy repeats: {a} {b} {c}");

    assert!(get(addr, "/disabled_websocket_echo/info")
        .await
        .body
        .contains(r#""websocket":false"#));
    let cookie = get(addr, "/cookie_needed_echo/info").await;
    assert!(cookie.body.contains(r#""cookie_needed":true"#));
    assert_eq!(cookie.header("set-cookie"), None);
}

#[tokio::test]
async fn options_preflight_is_cacheable_and_echoes_cors() {
    let addr = test_services(config()).await;
    for (path, methods) in [
        ("/echo/info", "OPTIONS, GET"),
        ("/echo/a/b/xhr", "OPTIONS, POST"),
        ("/echo/a/b/xhr_send", "OPTIONS, POST"),
        ("/echo/a/b/xhr_streaming", "OPTIONS, POST"),
    ] {
        let r = request(
            addr,
            "OPTIONS",
            path,
            &[
                ("Origin", "test"),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "a, b"),
            ],
            None,
        )
        .await;
        assert_eq!(r.status(), 204, "{path}");
        assert_eq!(r.header("access-control-allow-methods"), Some(methods));
        assert_eq!(r.header("access-control-max-age"), Some("31536000"));
        assert_eq!(r.header("cache-control"), Some("public, max-age=31536000"));
        assert!(r.header("expires").is_some());
        assert_eq!(r.header("access-control-allow-origin"), Some("test"));
        assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
        assert_eq!(r.header("access-control-allow-headers"), Some("a, b"));
        assert!(r.body.is_empty());
    }
}

#[tokio::test]
async fn xhr_polling_echo_with_buffering_between_polls() {
    let addr = test_services(config()).await;
    let url = session_url("/echo");
    let r = request(
        addr,
        "POST",
        &format!("{url}/xhr"),
        &[("Origin", "test")],
        Some(""),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.body, "o\n");
    assert_eq!(
        r.header("content-type"),
        Some("application/javascript; charset=UTF-8")
    );
    assert_eq!(r.header("access-control-allow-origin"), Some("test"));
    assert_eq!(
        r.header("cache-control"),
        Some("no-store, no-cache, no-transform, must-revalidate, max-age=0")
    );

    // Sent while no poll is waiting: buffered until the next poll.
    let s = post(addr, &format!("{url}/xhr_send"), r#"["a","b\u2028"]"#).await;
    assert_eq!(s.status(), 204);
    assert_eq!(s.header("content-type"), Some("text/plain; charset=UTF-8"));
    assert!(s.body.is_empty());
    let mut got = Vec::new();
    while got.len() < 2 {
        let r = post(addr, &format!("{url}/xhr"), "").await;
        let frame = stomp_wasm::sockjs::SockJsFrame::parse(&r.body).expect("frame");
        match frame {
            stomp_wasm::sockjs::SockJsFrame::Messages(m) => got.extend(m),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got, vec!["a".to_owned(), "b\u{2028}".to_owned()]);
}

#[tokio::test]
async fn xhr_send_rejects_bad_payloads_and_the_session_lives_on() {
    let addr = test_services(config()).await;
    let url = session_url("/echo");
    assert_eq!(post(addr, &format!("{url}/xhr"), "").await.body, "o\n");
    let r = post(addr, &format!("{url}/xhr_send"), r#"["x"#).await;
    assert_eq!(r.status(), 500);
    assert!(r.body.contains("Broken JSON encoding."));
    let r = post(addr, &format!("{url}/xhr_send"), "").await;
    assert_eq!(r.status(), 500);
    assert!(r.body.contains("Payload expected."));
    let r = post(addr, &format!("{url}/xhr_send"), r#"{"a":1}"#).await;
    assert_eq!(r.status(), 500);
    assert!(r.body.contains("Payload expected."));
    assert_eq!(
        post(addr, &format!("{url}/xhr_send"), "[]").await.status(),
        204
    );
    assert_eq!(
        post(addr, &format!("{url}/xhr_send"), r#"["a"]"#)
            .await
            .status(),
        204
    );
    assert_eq!(
        post(addr, &format!("{url}/xhr"), "").await.body,
        "a[\"a\"]\n"
    );

    // Unknown session.
    let r = post(addr, "/echo/000/no_such_session/xhr_send", r#"["a"]"#).await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn second_receiver_gets_2010_and_close_service_says_go_away() {
    let addr = test_services(config()).await;
    let url = session_url("/echo");
    assert_eq!(post(addr, &format!("{url}/xhr"), "").await.body, "o\n");
    let (head, _held) = open_stream(addr, "POST", &format!("{url}/xhr"), &[]).await;
    assert_eq!(head.status, 200);
    let r = post(addr, &format!("{url}/xhr"), "").await;
    assert_eq!(r.body, "c[2010,\"Another connection still open\"]\n");

    let url = session_url("/close");
    assert_eq!(post(addr, &format!("{url}/xhr"), "").await.body, "o\n");
    for _ in 0..3 {
        let r = post(addr, &format!("{url}/xhr"), "").await;
        assert_eq!(r.body, "c[3000,\"Go away!\"]\n");
    }
}

#[tokio::test]
async fn xhr_streaming_prelude_frames_and_response_limit() {
    let addr = test_services(config()).await;
    let url = session_url("/echo");
    let (head, mut s) = open_stream(
        addr,
        "POST",
        &format!("{url}/xhr_streaming"),
        &[("Origin", "test")],
    )
    .await;
    assert_eq!(head.status, 200);
    assert!(head.is_chunked());
    assert_eq!(
        head.header("content-type"),
        Some("application/javascript; charset=UTF-8")
    );
    assert_eq!(head.header("access-control-allow-origin"), Some("test"));
    assert_eq!(
        s.chunk_text().await.unwrap(),
        format!("{}\n", "h".repeat(2048))
    );
    assert_eq!(s.chunk_text().await.unwrap(), "o\n");
    // The test services end a streaming response after 4096 bytes of frames.
    let msg = format!("\"{}\"", "x".repeat(128));
    let frame = format!("a[{msg}]\n");
    let mut written = 2;
    while written < 4096 {
        assert_eq!(
            post(addr, &format!("{url}/xhr_send"), &format!("[{msg}]"))
                .await
                .status(),
            204
        );
        assert_eq!(s.chunk_text().await.unwrap(), frame);
        written += frame.len();
    }
    assert_eq!(s.chunk().await, None, "stream ends after the limit");

    // The session survives: the client re-opens and keeps receiving.
    let (_, mut s2) = open_stream(addr, "POST", &format!("{url}/xhr_streaming"), &[]).await;
    assert!(s2.chunk_text().await.unwrap().starts_with('h'));
    assert_eq!(
        post(addr, &format!("{url}/xhr_send"), r#"["again"]"#)
            .await
            .status(),
        204
    );
    assert_eq!(s2.chunk_text().await.unwrap(), "a[\"again\"]\n");
}

#[tokio::test]
async fn eventsource_framing_escapes_line_breaks_and_percent() {
    let addr = test_services(config()).await;
    let url = session_url("/echo");
    let (head, mut s) = open_stream(addr, "GET", &format!("{url}/eventsource"), &[]).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    assert_eq!(s.chunk_text().await.unwrap(), "\r\n");
    assert_eq!(s.chunk_text().await.unwrap(), "data: o\r\n\r\n");
    assert_eq!(
        post(addr, &format!("{url}/xhr_send"), r#"["  \u0000\n\r 100%"]"#)
            .await
            .status(),
        204
    );
    assert_eq!(
        s.chunk_text().await.unwrap(),
        "data: a[\"  \\u0000\\n\\r 100%25\"]\r\n\r\n"
    );
}

#[tokio::test]
async fn htmlfile_pads_its_prelude_and_refuses_script_injection() {
    let addr = test_services(config()).await;
    let url = session_url("/echo");
    let (head, mut s) =
        open_stream(addr, "GET", &format!("{url}/htmlfile?c=%63allback"), &[]).await;
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-type"),
        Some("text/html; charset=UTF-8")
    );
    let prelude = s.chunk_text().await.unwrap();
    assert!(prelude.len() > 1024);
    assert!(prelude.contains("var c = parent.callback;"));
    assert_eq!(
        s.chunk_text().await.unwrap(),
        "<script>\np(\"o\");\n</script>\r\n"
    );
    assert_eq!(
        post(addr, &format!("{url}/xhr_send"), r#"["</script><b>"]"#)
            .await
            .status(),
        204
    );
    let frame = s.chunk_text().await.unwrap();
    assert!(!frame.contains("</script><b>"), "{frame}");
    assert!(
        frame.starts_with("<script>\np(\"a[\\\"\\u003c/script>\\u003cb>\\\"]\");"),
        "{frame}"
    );

    let r = get(addr, "/echo/a/a/htmlfile").await;
    assert_eq!(r.status(), 500);
    assert!(r.body.contains("\"callback\" parameter required"));
    for bad in ["%20", "*", "abc(", "abc%28", "x%3Balert(1)"] {
        let r = get(addr, &format!("/echo/a/a/htmlfile?c={bad}")).await;
        assert_eq!(r.status(), 500, "{bad}");
        assert!(r.body.contains("invalid \"callback\" parameter"));
    }
}

#[tokio::test]
async fn jsonp_polling_with_form_and_raw_sends() {
    let addr = test_services(config()).await;
    let url = session_url("/echo");
    let r = get(addr, &format!("{url}/jsonp?c=%63allback")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/javascript; charset=UTF-8")
    );
    assert_eq!(r.body, "/**/callback(\"o\");\r\n");
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let r = request(
        addr,
        "POST",
        &format!("{url}/jsonp_send"),
        &form,
        Some("d=%5B%22x%22%5D"),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.body, "ok");
    let r = request(
        addr,
        "POST",
        &format!("{url}/jsonp_send"),
        &[("Content-Type", "text/plain")],
        Some(r#"["%61bc"]"#),
    )
    .await;
    assert_eq!(r.body, "ok");
    let r = get(addr, &format!("{url}/jsonp?c=x")).await;
    assert_eq!(r.body, "/**/x(\"a[\\\"x\\\",\\\"%61bc\\\"]\");\r\n");

    let r = request(
        addr,
        "POST",
        &format!("{url}/jsonp_send"),
        &form,
        Some("d=%5B%22x"),
    )
    .await;
    assert_eq!(r.status(), 500);
    assert!(r.body.contains("Broken JSON encoding."));
    for empty in ["", "d=", "p=p"] {
        let r = request(
            addr,
            "POST",
            &format!("{url}/jsonp_send"),
            &form,
            Some(empty),
        )
        .await;
        assert_eq!(r.status(), 500);
        assert!(r.body.contains("Payload expected."), "{empty:?}");
    }
    for bad in ["%20", "abc(", &"a".repeat(33)] {
        assert_eq!(
            get(addr, &format!("/echo/a/a/jsonp?c={bad}"))
                .await
                .status(),
            500
        );
    }
}

#[tokio::test]
async fn jsessionid_cookie_when_needed() {
    let addr = test_services(config()).await;
    let url = session_url("/cookie_needed_echo");
    let r = post(addr, &format!("{url}/xhr"), "").await;
    assert_eq!(r.body, "o\n");
    assert_eq!(r.header("set-cookie"), Some("JSESSIONID=dummy; path=/"));
    let url = session_url("/cookie_needed_echo");
    let r = request(
        addr,
        "POST",
        &format!("{url}/xhr"),
        &[("Cookie", "a=b; JSESSIONID=abcdef")],
        Some(""),
    )
    .await;
    assert_eq!(r.header("set-cookie"), Some("JSESSIONID=abcdef; path=/"));
    let r = request(
        addr,
        "POST",
        &format!("{url}/jsonp_send"),
        &[("Content-Type", "text/plain")],
        Some(r#"["x"]"#),
    )
    .await;
    assert_eq!(r.header("set-cookie"), Some("JSESSIONID=dummy; path=/"));
    // Not set by services that do not need it.
    assert_eq!(
        post(addr, &format!("{}/xhr", session_url("/echo")), "")
            .await
            .header("set-cookie"),
        None
    );
}

#[tokio::test]
async fn idle_poll_gets_a_heartbeat() {
    let addr = test_services(SockJsConfig {
        heartbeat_interval: Duration::from_millis(50),
        ..config()
    })
    .await;
    let url = session_url("/echo");
    assert_eq!(post(addr, &format!("{url}/xhr"), "").await.body, "o\n");
    assert_eq!(post(addr, &format!("{url}/xhr"), "").await.body, "h\n");
}

#[tokio::test]
async fn session_expires_after_disconnect_delay_without_a_receiver() {
    let addr = test_services(SockJsConfig {
        disconnect_delay: Duration::from_millis(100),
        ..config()
    })
    .await;
    let url = session_url("/echo");
    assert_eq!(post(addr, &format!("{url}/xhr"), "").await.body, "o\n");
    assert_eq!(
        post(addr, &format!("{url}/xhr_send"), r#"["a"]"#)
            .await
            .status(),
        204
    );
    // Keep trying (bounded) until the session is gone; then a poll opens a new one.
    let mut status = 204;
    for _ in 0..100 {
        status = post(addr, &format!("{url}/xhr_send"), r#"["a"]"#)
            .await
            .status();
        if status == 404 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, 404);
    assert_eq!(post(addr, &format!("{url}/xhr"), "").await.body, "o\n");
}

#[tokio::test]
async fn aborted_receiver_ends_the_session() {
    let addr = test_services(config()).await;
    let url = session_url("/echo");
    assert_eq!(post(addr, &format!("{url}/xhr"), "").await.body, "o\n");
    let (_, held) = open_stream(addr, "POST", &format!("{url}/xhr"), &[]).await;
    drop(held);
    // Until the server notices, a poll is refused with 2010; afterwards it gets a new session
    // or the interruption close. Either of the latter must come (bounded).
    let mut last = String::new();
    for _ in 0..100 {
        last = post(addr, &format!("{url}/xhr"), "").await.body;
        if last != "c[2010,\"Another connection still open\"]\n" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        last == "o\n" || last == "c[1002,\"Connection interrupted\"]\n",
        "{last:?}"
    );
}

#[tokio::test]
async fn http10_streaming_is_close_delimited() {
    let addr = test_services(config()).await;
    let url = session_url("/close");
    let mut c = Http::connect(addr).await;
    let head = c
        .request(
            "POST",
            &format!("{url}/xhr_streaming"),
            "1.0",
            &[("Connection", "Keep-Alive")],
            Some(b""),
        )
        .await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("transfer-encoding"), None);
    assert_eq!(head.header("content-length"), None);
    assert_eq!(c.read_exact(2049).await[0], b'h');
    assert_eq!(c.read_exact(2).await, b"o\n");
    assert_eq!(c.read_exact(19).await, b"c[3000,\"Go away!\"]\n");
    assert!(c.at_eof().await);
}

#[tokio::test]
async fn http11_keep_alive_serves_a_second_request() {
    let addr = test_services(config()).await;
    let mut c = Http::connect(addr).await;
    let head = c
        .request("GET", "/echo", "1.1", &[("Connection", "Keep-Alive")], None)
        .await;
    assert_eq!(c.body(&head).await, "Welcome to SockJS!\n");
    let head = c
        .request("GET", "/echo", "1.1", &[("Connection", "Keep-Alive")], None)
        .await;
    assert_eq!(head.status, 200);
    assert_eq!(c.body(&head).await, "Welcome to SockJS!\n");
}

/// The STOMP endpoint (`endpoints.sockjs`) of a server built from `config`.
async fn stomp_endpoint(config: Config) -> std::net::SocketAddr {
    let server = Server::builder(config)
        .app(App::new())
        .build()
        .expect("server builds");
    let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = http.local_addr().unwrap();
    let routes = stomp_server::sockjs::stomp::routes(&server, false);
    tokio::spawn(async move {
        let listeners = Listeners {
            tcp: None,
            http: Some(http),
            ..Default::default()
        };
        server
            .serve(listeners, Some(routes), std::future::pending())
            .await
            .expect("server runs");
    });
    addr
}

#[tokio::test]
async fn configured_response_limit_ends_xhr_streaming_at_that_many_bytes() {
    const LIMIT: usize = 300;
    let mut config = Config {
        www: std::env::temp_dir().join("stomp-server-test-no-www"),
        ..Config::default()
    };
    config.sockjs.response_limit = LIMIT;
    config.validate().expect("valid configuration");
    let addr = stomp_endpoint(config).await;
    let url = session_url("/stomp");

    let (head, mut s) = open_stream(addr, "POST", &format!("{url}/xhr_streaming"), &[]).await;
    assert_eq!(head.status, 200);
    assert!(s.chunk_text().await.unwrap().starts_with('h'), "prelude");
    assert_eq!(s.chunk_text().await.unwrap(), "o\n");
    // CONNECT, subscribe, and a 200-byte message to ourselves: more than LIMIT bytes of frames.
    let frames = [
        "CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,0\n\n\0".to_owned(),
        "SUBSCRIBE\nid:0\ndestination:/topic/limit\nreceipt:r1\n\n\0".to_owned(),
        format!("SEND\ndestination:/topic/limit\n\n{}\0", "x".repeat(200)),
    ];
    let mut body = String::new();
    stomp_wasm::sockjs::json::encode_string_array_into(&frames, &mut body);
    assert_eq!(
        post(addr, &format!("{url}/xhr_send"), &body).await.status(),
        204
    );
    // Every frame counted since "o\n"; the response ends with the one that crosses the limit.
    let mut written = 2;
    let mut saw_message = false;
    while let Some(chunk) = s.chunk_text().await {
        assert!(written < LIMIT, "frame written after the limit was reached");
        saw_message |= chunk.contains("MESSAGE");
        written += chunk.len();
    }
    assert!(
        written >= LIMIT,
        "stream ended early, after {written} bytes"
    );

    // The session lives on: a new streaming request picks up where the last one stopped.
    let (_, mut s2) = open_stream(addr, "POST", &format!("{url}/xhr_streaming"), &[]).await;
    assert!(s2.chunk_text().await.unwrap().starts_with('h'));
    if !saw_message {
        let next = s2.chunk_text().await.unwrap();
        assert!(next.contains("MESSAGE"), "{next}");
    }
}

#[test]
fn sockjs_settings_of_zero_are_refused() {
    for key in [
        "heartbeat_ms",
        "disconnect_delay_ms",
        "response_limit",
        "outgoing_queue",
    ] {
        let config: Config = toml::from_str(&format!("[sockjs]\n{key} = 0\n")).expect("parses");
        let err = config.validate().expect_err("zero refused").to_string();
        assert!(err.contains(&format!("sockjs.{key}")), "{err}");
    }
}
