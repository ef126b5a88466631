//! [`Service`]: one SockJS service as every request to it sees it — its settings, application,
//! HTTP sessions and `iframe.html` — and the plain-text answer of every transport. Below the
//! HTTP (`http`) and WebSocket (`websocket`) transports, which both serve it.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use md5::{Digest, Md5};

use super::config::SockJsConfig;
use super::handler::DynHandler;
use super::session::SessionRegistry;
use crate::admission::http_client;

pub(crate) const TEXT_PLAIN: &str = "text/plain; charset=UTF-8";

/// Everything one SockJS service needs to answer a request.
pub(crate) struct Service {
    pub(crate) prefix: String,
    pub(crate) config: SockJsConfig,
    pub(crate) handler: DynHandler,
    pub(crate) sessions: Arc<SessionRegistry>,
    pub(crate) iframe: IframePage,
}

pub(crate) struct IframePage {
    pub(crate) body: String,
    pub(crate) etag: String,
}

impl Service {
    pub(crate) fn new(prefix: String, config: SockJsConfig, handler: DynHandler) -> Service {
        Service {
            prefix,
            iframe: iframe_page(&config.sockjs_url),
            sessions: SessionRegistry::new(&config),
            config,
            handler,
        }
    }
}

fn iframe_page(sockjs_url: &str) -> IframePage {
    let body = format!(
        r#"<!DOCTYPE html>
<html>
<head>
  <meta http-equiv="X-UA-Compatible" content="IE=edge" />
  <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
  <script src="{sockjs_url}"></script>
  <script>
    document.domain = document.domain;
    SockJS.bootstrap_iframe();
  </script>
</head>
<body>
  <h2>Don't panic!</h2>
  <p>This is a SockJS hidden iframe. It's used for cross domain magic.</p>
</body>
</html>"#,
        sockjs_url = sockjs_url.replace('"', "%22").replace('<', "%3C")
    );
    let digest = Md5::digest(body.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    IframePage {
        body,
        etag: format!("\"{hex}\""),
    }
}

pub(crate) fn text_response(status: StatusCode, body: &'static str) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN));
    r
}

/// The client's address, when the server provides the connection's (`ConnectInfo`, as
/// `axum::serve` does with `into_make_service_with_connect_info`); behind a trusted proxy, the
/// one it forwards.
pub(crate) fn remote_addr(service: &Service, req: &Request) -> Option<SocketAddr> {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    http_client(peer, req.headers(), &service.config.trusted_proxies)
}
