//! URL dispatch and the HTTP side of SockJS: greeting, `/info`, `/iframe.html`, CORS,
//! caching and cookie headers, and the HTTP transports.
//!
//! Dispatch follows the protocol's URL scheme under the base path:
//! `{base}` and `{base}/` (greeting), `{base}/info`, `{base}/iframe[-version].html`,
//! `{base}/websocket` (raw), and `{base}/{server}/{session}/{transport}` where server and
//! session are non-empty and contain neither `/` nor `.`. A known path with the wrong method is
//! answered 405 with `Allow`; anything else 404.
//!
//! A request that would create one HTTP session too many is answered 503 (the service is full)
//! or 429 (its client's address holds `max_sessions_per_address` sessions).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use stomp_wasm::sockjs::json::{self, JsonError};

use super::config::SockJsConfig;
use super::handler::{DynHandler, SockJsHandler};
use super::receiver::{self, Wrapping};
use super::service::{remote_addr, text_response, Service, TEXT_PLAIN};
use super::websocket;
use crate::transport::ws::origin_allowed;

/// One year, the cache lifetime of the static answers.
const CACHE_SECONDS: u64 = 365 * 24 * 60 * 60;
const NO_CACHE: &str = "no-store, no-cache, no-transform, must-revalidate, max-age=0";
const JAVASCRIPT: &str = "application/javascript; charset=UTF-8";

/// A router serving the SockJS service `handler` at `prefix` (e.g. `/stomp`; no trailing
/// slash). Merge it into the application's router.
///
/// # Panics
///
/// As axum does when routes overlap: `prefix` must be a fixed path (no `{param}` or `*`
/// syntax) not already routed in the router it is merged into. Callers taking the path from
/// configuration check it first (see `stomp::routes`).
pub fn router<H: SockJsHandler>(prefix: &str, config: SockJsConfig, handler: H) -> Router {
    let prefix = prefix.trim_end_matches('/').to_owned();
    let service = Arc::new(Service::new(
        prefix.clone(),
        config,
        DynHandler::new(handler),
    ));
    let base = if prefix.is_empty() {
        "/".to_owned()
    } else {
        prefix.clone()
    };
    let mut router = Router::new()
        .route(&base, any(dispatch))
        .route(&format!("{prefix}/{{*rest}}"), any(dispatch));
    if !prefix.is_empty() {
        router = router.route(&format!("{prefix}/"), any(dispatch));
    }
    router.with_state(service)
}

/// The SockJS endpoints a path can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    WebSocket,
    Xhr,
    XhrSend,
    XhrStreaming,
    EventSource,
    HtmlFile,
    Jsonp,
    JsonpSend,
}

impl Transport {
    fn parse(s: &str) -> Option<Transport> {
        Some(match s {
            "websocket" => Transport::WebSocket,
            "xhr" => Transport::Xhr,
            "xhr_send" => Transport::XhrSend,
            "xhr_streaming" => Transport::XhrStreaming,
            "eventsource" => Transport::EventSource,
            "htmlfile" => Transport::HtmlFile,
            "jsonp" => Transport::Jsonp,
            "jsonp_send" => Transport::JsonpSend,
            _ => return None,
        })
    }

    fn methods(self) -> &'static [Method] {
        match self {
            Transport::WebSocket
            | Transport::EventSource
            | Transport::HtmlFile
            | Transport::Jsonp => &[Method::GET],
            Transport::Xhr | Transport::XhrSend | Transport::XhrStreaming => {
                &[Method::POST, Method::OPTIONS]
            }
            Transport::JsonpSend => &[Method::POST],
        }
    }
}

enum Route<'a> {
    Greeting,
    Info,
    Iframe,
    RawWebSocket,
    Session { id: &'a str, transport: Transport },
}

fn is_session_part(s: &str) -> bool {
    !s.is_empty() && !s.contains('.')
}

fn is_iframe(rest: &str) -> bool {
    rest.strip_prefix("/iframe")
        .and_then(|r| r.strip_suffix(".html"))
        .is_some_and(|v| {
            v.bytes().all(|b| {
                b.is_ascii_digit() || b.is_ascii_lowercase() || matches!(b, b'-' | b'.' | b'_')
            })
        })
}

fn route(rest: &str) -> Option<Route<'_>> {
    match rest {
        "" | "/" => return Some(Route::Greeting),
        "/info" => return Some(Route::Info),
        "/websocket" => return Some(Route::RawWebSocket),
        _ => {}
    }
    if is_iframe(rest) {
        return Some(Route::Iframe);
    }
    let mut parts = rest.strip_prefix('/')?.split('/');
    let (server, id, transport) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !is_session_part(server) || !is_session_part(id) {
        return None;
    }
    Some(Route::Session {
        id,
        transport: Transport::parse(transport)?,
    })
}

async fn dispatch(State(service): State<Arc<Service>>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let Some(rest) = path.strip_prefix(service.prefix.as_str()) else {
        return not_found();
    };
    if let Some(allowed) = &service.config.allowed_origins {
        // Before anything else: a refused page gets no session, no upgrade and no CORS echo.
        if !origin_allowed(req.headers(), allowed) {
            tracing::info!(origin = ?req.headers().get(header::ORIGIN), "SockJS origin refused");
            return text_response(StatusCode::FORBIDDEN, "origin not allowed\n");
        }
    }
    let method = req.method().clone();
    match route(rest) {
        None => not_found(),
        Some(Route::Greeting) => match method {
            Method::GET => text_response(StatusCode::OK, "Welcome to SockJS!\n"),
            _ => method_not_allowed(&[Method::GET]),
        },
        Some(Route::Info) => match method {
            Method::GET => info(&service, req.headers()),
            Method::OPTIONS => options(req.headers(), "OPTIONS, GET"),
            _ => method_not_allowed(&[Method::GET, Method::OPTIONS]),
        },
        Some(Route::Iframe) => match method {
            Method::GET => iframe(&service, req.headers()),
            _ => method_not_allowed(&[Method::GET]),
        },
        Some(Route::RawWebSocket) => {
            if !service.config.websocket {
                return not_found();
            }
            match method {
                Method::GET => websocket::raw(service.clone(), req).await,
                _ => method_not_allowed(&[Method::GET]),
            }
        }
        Some(Route::Session { id, transport }) => {
            if transport == Transport::WebSocket && !service.config.websocket {
                return not_found();
            }
            if !transport.methods().contains(&method) {
                return method_not_allowed(transport.methods());
            }
            let id = id.to_owned();
            session_request(service, id, transport, req).await
        }
    }
}

async fn session_request(
    service: Arc<Service>,
    id: String,
    transport: Transport,
    req: Request,
) -> Response {
    if transport == Transport::WebSocket {
        return websocket::session(service, req).await;
    }
    let headers = req.headers().clone();
    let remote = remote_addr(&service, &req);
    let is_options = req.method() == Method::OPTIONS;
    let open_receiver = |wrapping, streaming, content_type, prelude| {
        open_receiver(
            &service,
            &id,
            remote,
            wrapping,
            streaming,
            content_type,
            prelude,
        )
    };
    let mut response = if is_options {
        options(&headers, "OPTIONS, POST")
    } else {
        match transport {
            Transport::Xhr => open_receiver(Wrapping::Line, false, JAVASCRIPT, None).await,
            Transport::XhrStreaming => {
                let prelude = format!("{}\n", "h".repeat(2048));
                open_receiver(Wrapping::Line, true, JAVASCRIPT, Some(prelude)).await
            }
            Transport::EventSource => {
                open_receiver(
                    Wrapping::EventSource,
                    true,
                    "text/event-stream",
                    Some("\r\n".into()),
                )
                .await
            }
            Transport::HtmlFile => match callback(req.uri().query(), usize::MAX) {
                Ok(cb) => {
                    let prelude = htmlfile_prelude(&cb);
                    open_receiver(
                        Wrapping::HtmlFile,
                        true,
                        "text/html; charset=UTF-8",
                        Some(prelude),
                    )
                    .await
                }
                Err(e) => e.response(),
            },
            Transport::Jsonp => match callback(req.uri().query(), 32) {
                Ok(cb) => {
                    let mut r = open_receiver(Wrapping::Jsonp(cb), false, JAVASCRIPT, None).await;
                    r.headers_mut().insert(
                        "x-content-type-options",
                        HeaderValue::from_static("nosniff"),
                    );
                    r
                }
                Err(e) => e.response(),
            },
            Transport::XhrSend => send(&service, &id, req, false).await,
            Transport::JsonpSend => send(&service, &id, req, true).await,
            Transport::WebSocket => not_found(),
        }
    };
    let h = response.headers_mut();
    if service.config.cookie_needed {
        set_cookie(&headers, h);
    }
    if !is_options {
        // Everything here is private and per-session; iOS 6 even caches POSTs.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_CACHE));
    }
    cors(&headers, h);
    response
}

/// Starts a receiving request of a client at `remote`: headers now, frames streamed as the
/// session produces them.
async fn open_receiver(
    service: &Arc<Service>,
    id: &str,
    remote: Option<SocketAddr>,
    wrapping: Wrapping,
    streaming: bool,
    content_type: &'static str,
    prelude: Option<String>,
) -> Response {
    let session = match service.sessions.get_or_create(
        id,
        &service.config,
        remote,
        wrapping.transport(streaming),
        |app| service.handler.spawn(app),
    ) {
        Ok(s) => s,
        Err(refused) if refused.per_address => {
            tracing::debug!(?remote, %refused, "SockJS session refused");
            return text_response(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many sessions from this address.",
            );
        }
        Err(refused) => {
            tracing::warn!(?remote, %refused, "SockJS session refused");
            return text_response(StatusCode::SERVICE_UNAVAILABLE, "Too many sessions.");
        }
    };
    let (mut writer, body) = receiver::streamed_body();
    if let Some(prelude) = prelude {
        writer.write_raw(prelude).await;
    }
    tokio::spawn(receiver::receive(
        session,
        wrapping,
        streaming,
        writer,
        service.config.clone(),
    ));
    let mut r = Response::new(body);
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_CACHE));
    r
}

fn htmlfile_prelude(callback: &str) -> String {
    let mut page = format!(
        r#"
<!doctype html>
<html><head>
  <meta http-equiv="X-UA-Compatible" content="IE=edge" />
  <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
</head><body><h2>Don't panic!</h2>
  <script>
    document.domain = document.domain;
    var c = parent.{callback};
    c.start();
    function p(d) {{c.message(d);}};
    window.onload = function() {{c.stop();}};
  </script>
"#
    );
    // Safari renders nothing of a streamed page before its first kilobyte.
    while page.len() < 1024 {
        page.push(' ');
    }
    page.push_str("\r\n\r\n");
    page
}

/// The JSONP/htmlfile callback name: `c` or `callback`, a plain identifier-like name only
/// (`[a-zA-Z0-9-_.]`), so it can be written into a script unescaped.
fn callback(query: Option<&str>, max_len: usize) -> Result<String, CallbackError> {
    let value = query
        .and_then(|q| query_param(q, "c").or_else(|| query_param(q, "callback")))
        .ok_or(CallbackError::Missing)?;
    let valid = !value.is_empty()
        && value.len() <= max_len
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if valid {
        Ok(value)
    } else {
        Err(CallbackError::Invalid)
    }
}

/// A JSONP/htmlfile request without a usable callback name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallbackError {
    Missing,
    Invalid,
}

impl CallbackError {
    fn response(self) -> Response {
        let message = match self {
            CallbackError::Missing => "\"callback\" parameter required",
            CallbackError::Invalid => "invalid \"callback\" parameter",
        };
        text_response(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

/// The first value of `name` in a form/query string, percent-decoded.
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (form_decode(k) == name).then(|| form_decode(v))
    })
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; the bytes are
/// then read as UTF-8 (lossily: a broken sequence becomes U+FFFD, which later fails no check).
fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `xhr_send` and `jsonp_send`: a batch of client messages for an existing session.
async fn send(service: &Arc<Service>, id: &str, req: Request, jsonp: bool) -> Response {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let bytes = match axum::body::to_bytes(req.into_body(), service.config.max_payload_bytes).await
    {
        Ok(b) => b,
        Err(_) => return text_response(StatusCode::PAYLOAD_TOO_LARGE, "Payload too large."),
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return text_response(StatusCode::INTERNAL_SERVER_ERROR, "Broken JSON encoding.");
    };
    let payload = if jsonp && content_type == "application/x-www-form-urlencoded" {
        query_param(text, "d").unwrap_or_default()
    } else {
        text.to_owned()
    };
    let messages = match json::decode_string_array(&payload) {
        Ok(m) => m,
        Err(JsonError::Syntax(_)) => {
            return text_response(StatusCode::INTERNAL_SERVER_ERROR, "Broken JSON encoding.")
        }
        Err(JsonError::Empty | JsonError::UnexpectedValue(_)) => {
            return text_response(StatusCode::INTERNAL_SERVER_ERROR, "Payload expected.")
        }
    };
    let Some(session) = service.sessions.get(id) else {
        return text_response(StatusCode::NOT_FOUND, "Session not found.");
    };
    for m in messages {
        session.deliver(m).await;
    }
    if jsonp {
        text_response(StatusCode::OK, "ok")
    } else {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NO_CONTENT;
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN));
        r
    }
}

fn info(service: &Service, req_headers: &HeaderMap) -> Response {
    let mut entropy = [0u8; 4];
    if getrandom::fill(&mut entropy).is_err() {
        // No OS randomness: fall back to the clock, still different per request.
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        entropy = nanos.to_le_bytes();
    }
    let body = format!(
        r#"{{"websocket":{},"cookie_needed":{},"origins":["*:*"],"entropy":{}}}"#,
        service.config.websocket,
        service.config.cookie_needed,
        u32::from_le_bytes(entropy)
    );
    let mut r = Response::new(Body::from(body));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_CACHE));
    cors(req_headers, h);
    r
}

fn iframe(service: &Service, req_headers: &HeaderMap) -> Response {
    let page = &service.iframe;
    let matches = req_headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == page.etag.as_bytes());
    let mut r = if matches {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Body::from(page.body.clone()));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=UTF-8"),
        );
        r
    };
    let h = r.headers_mut();
    cache_for_a_year(h);
    if let Ok(v) = HeaderValue::from_str(&page.etag) {
        h.insert(header::ETAG, v);
    }
    r
}

/// A CORS preflight answer: cacheable for a year, no body.
fn options(req_headers: &HeaderMap, methods: &'static str) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    let h = r.headers_mut();
    cache_for_a_year(h);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(methods),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from(CACHE_SECONDS),
    );
    cors(req_headers, h);
    r
}

fn cache_for_a_year(h: &mut HeaderMap) {
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_str(&format!("public, max-age={CACHE_SECONDS}"))
            .unwrap_or(HeaderValue::from_static("public")),
    );
    let expires = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(CACHE_SECONDS));
    if let Ok(v) = HeaderValue::from_str(&expires) {
        h.insert(header::EXPIRES, v);
    }
}

/// CORS for the XHR transports: echo the `Origin` (allowing credentials, so the JSESSIONID
/// cookie flies), or `*` without one; echo requested headers.
pub(crate) fn cors(req_headers: &HeaderMap, h: &mut HeaderMap) {
    match req_headers.get(header::ORIGIN) {
        Some(origin) => {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            h.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        None => {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
        }
    }
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(requested) = req_headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        if !requested.is_empty() {
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
        }
    }
}

/// `JSESSIONID`: echo the client's, or set a dummy one (load balancers only need it present).
fn set_cookie(req_headers: &HeaderMap, h: &mut HeaderMap) {
    let jsid = req_headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.split_once('=')?;
            (k.trim() == "JSESSIONID").then(|| v.trim().to_owned())
        })
        .filter(|v| {
            v.bytes()
                .all(|b| b.is_ascii_graphic() && b != b';' && b != b',')
        })
        .unwrap_or_else(|| "dummy".to_owned());
    if let Ok(v) = HeaderValue::from_str(&format!("JSESSIONID={jsid}; path=/")) {
        h.insert(header::SET_COOKIE, v);
    }
}

fn not_found() -> Response {
    text_response(StatusCode::NOT_FOUND, "404 Error: Page not found\n")
}

fn method_not_allowed(methods: &[Method]) -> Response {
    let allow = methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    if let Ok(v) = HeaderValue::from_str(&allow) {
        r.headers_mut().insert(header::ALLOW, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_the_url_scheme() {
        assert!(matches!(route(""), Some(Route::Greeting)));
        assert!(matches!(route("/"), Some(Route::Greeting)));
        assert!(matches!(route("/info"), Some(Route::Info)));
        for ok in [
            "/iframe.html",
            "/iframe-a.html",
            "/iframe-.html",
            "/iframe-0.1.2abc-dirty.2144.html",
        ] {
            assert!(matches!(route(ok), Some(Route::Iframe)), "{ok}");
        }
        for bad in [
            "/iframe.htm",
            "/iframe",
            "/IFRAME.HTML",
            "/iframe.HTML",
            "/iframe-/.html",
            "/a",
            "//",
            "///",
            "/a/a",
            "/a/a/",
            "//xhr",
            "/a./a/xhr",
            "/a/a./xhr",
            "/./xhr",
            "///xhr",
            "/a/a/xhr/",
            "/a/a/nope",
            "/a/a/a/xhr",
        ] {
            assert!(route(bad).is_none(), "{bad}");
        }
        match route("/abc_-%20/x%20y/xhr_send") {
            Some(Route::Session { id, transport }) => {
                assert_eq!(id, "x%20y");
                assert_eq!(transport, Transport::XhrSend);
            }
            _ => panic!("session route not recognised"),
        }
    }

    #[test]
    fn decodes_forms_and_callbacks() {
        assert_eq!(form_decode("%5B%22x%22%5D"), "[\"x\"]");
        assert_eq!(form_decode("a+b%2"), "a b%2");
        assert_eq!(query_param("p=p&d=%5B%5D", "d").as_deref(), Some("[]"));
        assert_eq!(query_param("p=p", "d"), None);
        assert_eq!(
            callback(Some("c=%63allback"), 32).ok().as_deref(),
            Some("callback")
        );
        assert_eq!(
            callback(Some("callback=a.b-c_1"), 32).ok().as_deref(),
            Some("a.b-c_1")
        );
        for bad in ["c=%20", "c=*", "c=abc(", "c=abc%28", "c=", "c=</script>"] {
            assert!(callback(Some(bad), 32).is_err(), "{bad}");
        }
        assert!(callback(None, 32).is_err());
        assert!(callback(Some(&format!("c={}", "a".repeat(33))), 32).is_err());
    }
}
