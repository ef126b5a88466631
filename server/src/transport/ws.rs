//! STOMP over WebSocket on the HTTP listener.
//!
//! Subprotocols `v12.stomp`, `v11.stomp`, `v10.stomp` are negotiated; text and binary messages
//! are both accepted and are just bytes to the session, so a frame may span messages and one
//! message may hold several frames. Each outgoing frame is one message: text when it is UTF-8,
//! binary otherwise. Upgrades from browser origins other than the page's own and localhost are
//! refused unless configured.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use bytes::Bytes;
use futures_util::SinkExt;
use stomp_wasm::Version;

use crate::admission::http_client;
use crate::context::Context;
use crate::outbox::OutFrame;
use crate::session::{serve_session, PeerInfo, StompTransport};

/// A WebSocket as a [`StompTransport`].
#[derive(Debug)]
pub struct WsTransport {
    socket: WebSocket,
}

impl WsTransport {
    pub fn new(socket: WebSocket) -> WsTransport {
        WsTransport { socket }
    }
}

impl StompTransport for WsTransport {
    async fn recv(&mut self) -> io::Result<Option<Bytes>> {
        loop {
            match self.socket.recv().await {
                None | Some(Ok(Message::Close(_))) => return Ok(None),
                Some(Ok(Message::Text(t))) => return Ok(Some(Bytes::from(t))),
                Some(Ok(Message::Binary(b))) => return Ok(Some(b)),
                // Pongs are answered by the WebSocket layer.
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Err(e)) if is_too_big(&e) => {
                    // RFC 6455's "message too big", so the client knows why.
                    let frame = CloseFrame {
                        code: CLOSE_TOO_BIG,
                        reason: "message too big".into(),
                    };
                    let _ = self.socket.send(Message::Close(Some(frame))).await;
                    return Err(io::Error::new(io::ErrorKind::InvalidData, e));
                }
                Some(Err(e)) => return Err(io::Error::other(e)),
            }
        }
    }

    async fn send(&mut self, frames: &mut VecDeque<OutFrame>) -> io::Result<()> {
        for frame in frames.drain(..) {
            let bytes = frame.to_bytes();
            let message = match Utf8Bytes::try_from(bytes.clone()) {
                Ok(text) => Message::Text(text),
                Err(_) => Message::Binary(bytes),
            };
            self.socket.feed(message).await.map_err(io::Error::other)?;
        }
        self.socket.flush().await.map_err(io::Error::other)
    }

    async fn close(&mut self) {
        let _ = self.socket.send(Message::Close(None)).await;
    }
}

/// RFC 6455's close code for a message over the size limit.
pub(crate) const CLOSE_TOO_BIG: u16 = 1009;

/// Whether a WebSocket read failed on a message (or frame) over the configured size limit.
pub(crate) fn is_too_big(e: &axum::Error) -> bool {
    use std::error::Error as _;
    matches!(
        e.source()
            .and_then(|s| s.downcast_ref::<tungstenite::Error>()),
        Some(tungstenite::Error::Capacity(
            tungstenite::error::CapacityError::MessageTooLong { .. }
        ))
    )
}

/// The upgrade handler mounted at the WebSocket endpoint.
pub async fn upgrade(
    State(context): State<Context>,
    remote: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let config = context.config();
    if !origin_allowed(&headers, &config.security.allowed_origins) {
        tracing::info!(origin = ?headers.get(header::ORIGIN), "WebSocket origin refused");
        return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
    }
    let remote = http_client(
        remote.map(|Extension(ConnectInfo(addr))| addr),
        &headers,
        &config.limits.trusted_proxies,
    );
    let limit = config.limits.max_frame_size;
    let ws = ws
        .protocols(["v12.stomp", "v11.stomp", "v10.stomp"])
        .max_message_size(limit)
        .max_frame_size(limit)
        // Small initial buffers: idle connections must stay cheap (they grow on demand).
        .read_buffer_size(4 * 1024)
        .write_buffer_size(8 * 1024)
        .max_write_buffer_size(config.limits.outbound_buffer.max(limit) * 2);
    let subprotocol = ws
        .selected_protocol()
        .and_then(|p| p.to_str().ok())
        .and_then(Version::from_subprotocol);
    ws.on_upgrade(move |socket| {
        let peer = PeerInfo {
            remote,
            transport: "ws",
            subprotocol,
        };
        serve_session(context, WsTransport::new(socket), peer)
    })
}

/// Same origin (the `Host` header), localhost, or a configured origin (`*` for any). Requests
/// without `Origin` come from non-browser clients, which origin checks do not concern.
pub fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if allowed
        .iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let authority = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    if matches!(host, "localhost" | "127.0.0.1" | "::1") {
        return true;
    }
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h.eq_ignore_ascii_case(authority))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_static(o));
        }
        h.insert(header::HOST, HeaderValue::from_static(host));
        h
    }

    #[test]
    fn origins() {
        let none: Vec<String> = Vec::new();
        assert!(origin_allowed(&headers(None, "example.com"), &none));
        assert!(origin_allowed(
            &headers(Some("http://example.com"), "example.com"),
            &none
        ));
        assert!(origin_allowed(
            &headers(Some("http://localhost:3000"), "example.com"),
            &none
        ));
        assert!(origin_allowed(
            &headers(Some("http://[::1]:3000"), "example.com"),
            &none
        ));
        assert!(!origin_allowed(
            &headers(Some("http://evil.com"), "example.com"),
            &none
        ));
        assert!(origin_allowed(
            &headers(Some("http://evil.com"), "example.com"),
            &["http://evil.com".to_owned()]
        ));
        assert!(origin_allowed(
            &headers(Some("http://evil.com"), "example.com"),
            &["*".to_owned()]
        ));
    }
}
