//! One origin policy for every endpoint: once `security.allowed_origins` is set, every SockJS
//! transport (and the raw `/stomp/websocket`) refuses other browser origins with 403 as `/ws`
//! does, and never echoes them in CORS headers; the default stays open.

mod common;
mod sockjs_util;

use common::{test_config, TestServer};
use sockjs_util::{request, session_url};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

const GOOD: &str = "http://good.example";
const EVIL: &str = "http://evil.example";

async fn server(allowed: &[&str]) -> TestServer {
    let mut config = test_config();
    config.security.allowed_origins = allowed.iter().map(|o| (*o).to_owned()).collect();
    TestServer::start_with_sockjs(config).await
}

/// The status of a WebSocket upgrade at `path` from `origin`.
async fn upgrade(s: &TestServer, path: &str, origin: &str) -> u16 {
    let mut req = format!("ws://{}{path}", s.http)
        .into_client_request()
        .expect("request");
    req.headers_mut()
        .insert("Origin", HeaderValue::from_str(origin).expect("origin"));
    let attempt = tokio::time::timeout(sockjs_util::WAIT, tokio_tungstenite::connect_async(req))
        .await
        .expect("bounded");
    match attempt {
        Ok((mut ws, resp)) => {
            let _ = ws.close(None).await;
            resp.status().as_u16()
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("{e}"),
    }
}

/// Every SockJS HTTP endpoint a page from `origin` may call: (method, path, body).
fn http_endpoints() -> Vec<(&'static str, String, Option<&'static str>)> {
    vec![
        ("GET", "/stomp/info".to_owned(), None),
        ("OPTIONS", "/stomp/info".to_owned(), None),
        ("POST", format!("{}/xhr", session_url("/stomp")), None),
        ("OPTIONS", format!("{}/xhr", session_url("/stomp")), None),
        (
            "POST",
            format!("{}/xhr_send", session_url("/stomp")),
            Some("[]"),
        ),
        (
            "POST",
            format!("{}/xhr_streaming", session_url("/stomp")),
            None,
        ),
        (
            "GET",
            format!("{}/eventsource", session_url("/stomp")),
            None,
        ),
        (
            "GET",
            format!("{}/htmlfile?c=cb", session_url("/stomp")),
            None,
        ),
        ("GET", format!("{}/jsonp?c=cb", session_url("/stomp")), None),
        (
            "POST",
            format!("{}/jsonp_send", session_url("/stomp")),
            Some("d=[]"),
        ),
    ]
}

#[tokio::test]
async fn a_disallowed_origin_is_refused_on_every_transport() {
    let s = server(&[GOOD]).await;
    for (method, path, body) in http_endpoints() {
        let r = request(s.http, method, &path, &[("Origin", EVIL)], body).await;
        assert_eq!(r.status(), 403, "{method} {path}");
        assert_eq!(r.header("Access-Control-Allow-Origin"), None, "{path}");
        assert_eq!(r.header("Access-Control-Allow-Credentials"), None, "{path}");
    }
    let session_ws = format!("{}/websocket", session_url("/stomp"));
    for path in ["/ws", "/stomp/websocket", session_ws.as_str()] {
        assert_eq!(upgrade(&s, path, EVIL).await, 403, "{path}");
    }
}

#[tokio::test]
async fn an_allowed_origin_is_served_everywhere() {
    let s = server(&[GOOD]).await;
    // A receiving transport opens the session first; then sending to it is served.
    let session = session_url("/stomp");
    let r = request(
        s.http,
        "POST",
        &format!("{session}/xhr"),
        &[("Origin", GOOD)],
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.body, "o\n");
    assert_eq!(r.header("Access-Control-Allow-Origin"), Some(GOOD));
    assert_eq!(r.header("Access-Control-Allow-Credentials"), Some("true"));
    let r = request(
        s.http,
        "POST",
        &format!("{session}/xhr_send"),
        &[("Origin", GOOD)],
        Some("[]"),
    )
    .await;
    assert_eq!(r.status(), 204);
    for (method, path) in [
        ("GET", "/stomp/info".to_owned()),
        ("GET", format!("{}/jsonp?c=cb", session_url("/stomp"))),
    ] {
        let r = request(s.http, method, &path, &[("Origin", GOOD)], None).await;
        assert_eq!(r.status(), 200, "{method} {path}");
    }
    // Non-browser clients (no Origin) are not concerned by origin checks.
    let r = request(s.http, "GET", "/stomp/info", &[], None).await;
    assert_eq!(r.status(), 200);
    let session_ws = format!("{}/websocket", session_url("/stomp"));
    for path in ["/ws", "/stomp/websocket", session_ws.as_str()] {
        assert_eq!(upgrade(&s, path, GOOD).await, 101, "{path}");
    }
}

/// Without `allowed_origins` SockJS keeps its own open policy (documented), `/ws` its own.
#[tokio::test]
async fn by_default_sockjs_stays_open() {
    let s = server(&[]).await;
    let r = request(
        s.http,
        "POST",
        &format!("{}/xhr", session_url("/stomp")),
        &[("Origin", EVIL)],
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("Access-Control-Allow-Origin"), Some(EVIL));
    assert_eq!(upgrade(&s, "/stomp/websocket", EVIL).await, 101);
    assert_eq!(upgrade(&s, "/ws", EVIL).await, 403);
}
