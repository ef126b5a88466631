//! STOMP over SockJS: the adapter between a [`SockJsSession`] and the broker's
//! transport-agnostic [`serve_session`].
//!
//! Each SockJS message from the client is raw STOMP bytes (stompjs sends one frame per
//! message; frames may also span messages, the session reassembles them); each frame or
//! heart-beat the session sends becomes one SockJS message. SockJS carries strings only, so a
//! frame whose body is not UTF-8 travels with a base64 body and `content-transfer-encoding:base64`
//! ([`stomp_wasm::sockjs::binary`], docs/SOCKJS.md), in both directions.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use stomp_wasm::sockjs::binary::{self, BASE64, TRANSFER_ENCODING_HEADER};
use stomp_wasm::sockjs::frame::CODE_NORMAL;
use stomp_wasm::{Decoded, Decoder, Encoder, Limits, Version};

use super::{router, SockJsConfig, SockJsHandler, SockJsReceiver, SockJsSender, SockJsSession};
use crate::context::Context;
use crate::outbox::OutFrame;
use crate::session::{serve_bounded, PeerInfo, StompTransport};

/// The SockJS application that runs one STOMP session per SockJS session.
#[derive(Clone)]
pub struct StompOverSockJs {
    context: Context,
}

impl StompOverSockJs {
    pub fn new(context: Context) -> StompOverSockJs {
        StompOverSockJs { context }
    }
}

impl SockJsHandler for StompOverSockJs {
    async fn on_session(self: Arc<Self>, session: SockJsSession) {
        let config = self.context.config();
        let limits = config.limits.codec();
        let peer = PeerInfo {
            remote: session.remote_addr(),
            transport: peer_transport(session.transport()),
            subprotocol: None,
        };
        // A session over a WebSocket of its own is a connection like `/ws`; an HTTP session is
        // bounded by the session registry (`sockjs.max_sessions*`) instead. Either gets the short
        // SockJS time to CONNECT.
        let pending_place = session.is_websocket();
        serve_bounded(
            self.context.clone(),
            SockJsTransport::new(session, limits),
            peer,
            pending_place,
            Duration::from_millis(config.sockjs.connect_timeout_ms.max(1)),
        )
        .await;
    }
}

/// The session's transport as [`PeerInfo`] names it (`sockjs-` and the SockJS transport), which
/// is also its `transport` label in `/metrics`.
fn peer_transport(sockjs: &str) -> &'static str {
    match sockjs {
        "websocket" => "sockjs-websocket",
        "xhr_streaming" => "sockjs-xhr_streaming",
        "xhr" => "sockjs-xhr",
        "eventsource" => "sockjs-eventsource",
        "htmlfile" => "sockjs-htmlfile",
        "jsonp" => "sockjs-jsonp",
        "raw_websocket" => "sockjs-raw_websocket",
        _ => "sockjs",
    }
}

/// The SockJS settings for the STOMP endpoint: the `[sockjs]` section of the server's
/// configuration, and a request-body bound derived from its limits.
pub fn stomp_sockjs_config(context: &Context) -> SockJsConfig {
    let config = context.config();
    let limits = &config.limits;
    let sockjs = &config.sockjs;
    SockJsConfig {
        heartbeat_interval: Duration::from_millis(sockjs.heartbeat_ms.max(1)),
        disconnect_delay: Duration::from_millis(sockjs.disconnect_delay_ms.max(1)),
        response_limit: sockjs.response_limit.max(1),
        // A request body holds a JSON array of frames; JSON escaping can grow them.
        max_payload_bytes: limits.max_frame_size.saturating_mul(4).max(64 * 1024),
        // Frames can be large: keep few of them here. The session's own outbox is bounded in
        // bytes (`limits.outbound_buffer`) and waits, within its send timeout, for a poll.
        outgoing_queue: sockjs.outgoing_queue.max(1),
        websocket: sockjs.websocket,
        cookie_needed: sockjs.cookie_needed,
        // Once the operator names origins, SockJS follows the policy of `/ws`.
        allowed_origins: (!config.security.allowed_origins.is_empty())
            .then(|| config.security.allowed_origins.clone()),
        max_sessions: sockjs.max_sessions.max(1),
        max_sessions_per_address: sockjs.max_sessions_per_address,
        trusted_proxies: limits.trusted_proxies.clone(),
        ..SockJsConfig::default()
    }
}

/// The HTTP routes SockJS adds to the server: STOMP over SockJS at `endpoints.sockjs`, and the
/// SockJS protocol suite's test services when `test_services` is set.
pub fn routes(context: &Context, test_services: bool) -> axum::Router {
    let endpoints = &context.config().endpoints;
    let base = endpoints.sockjs.trim_end_matches('/');
    let mut routes = if usable_base(base, &endpoints.websocket) {
        router(
            base,
            stomp_sockjs_config(context),
            StompOverSockJs::new(context.clone()),
        )
    } else {
        // A bad path must not take the server down (axum panics on overlapping routes).
        tracing::error!(path = %endpoints.sockjs, "endpoints.sockjs unusable; SockJS not served");
        axum::Router::new()
    };
    if test_services {
        routes = routes.merge(super::test_services::test_services_router(
            SockJsConfig::default(),
        ));
    }
    routes
}

/// A SockJS base path must be a non-root absolute path, free of route syntax, and not the
/// WebSocket endpoint's.
fn usable_base(base: &str, websocket: &str) -> bool {
    base.starts_with('/')
        && base.len() > 1
        && !base.contains(['{', '}', '*', '?', '#'])
        && base != websocket.trim_end_matches('/')
}

/// A [`SockJsSession`] as a [`StompTransport`].
pub struct SockJsTransport {
    sender: SockJsSender,
    receiver: SockJsReceiver,
    limits: Limits,
    /// The negotiated STOMP version, learnt from the CONNECTED frame (needed to re-encode the
    /// rare frame whose body must be converted).
    version: Version,
}

impl SockJsTransport {
    pub fn new(session: SockJsSession, limits: Limits) -> SockJsTransport {
        let (sender, receiver) = session.into_split();
        SockJsTransport {
            sender,
            receiver,
            limits,
            version: Version::V1_2,
        }
    }

    /// Decodes the frames of one client message, or `None` if it is not whole frames.
    fn decode_all(&self, data: &[u8]) -> Option<Vec<Decoded>> {
        let mut decoder = Decoder::new(self.limits);
        decoder.set_version(self.version);
        decoder.feed(data);
        let mut out = Vec::new();
        loop {
            match decoder.decode() {
                Ok(Some(d)) => out.push(d),
                Ok(None) => break,
                Err(_) => return None,
            }
        }
        (decoder.buffered() == 0).then_some(out)
    }

    /// A client message, with base64 bodies (our binary convention) decoded back.
    fn incoming(&self, message: String) -> Bytes {
        let marker = format!("{TRANSFER_ENCODING_HEADER}:{BASE64}");
        if !message.contains(&marker) {
            return Bytes::from(message);
        }
        let Some(decoded) = self.decode_all(message.as_bytes()) else {
            // Not whole frames: pass it on; the session reports what is wrong with it.
            return Bytes::from(message);
        };
        let encoder = Encoder::new(self.version);
        let mut out = BytesMut::with_capacity(message.len());
        for d in decoded {
            match d {
                Decoded::Heartbeat => out.extend_from_slice(b"\n"),
                Decoded::Frame(frame) => match binary::decode_body_from_text(frame.clone()) {
                    Ok(f) => encoder.encode(&f, &mut out),
                    Err(e) => {
                        tracing::debug!("SockJS: {e}; frame passed on as sent");
                        encoder.encode(&frame, &mut out);
                    }
                },
            }
        }
        out.freeze()
    }

    /// One outgoing frame as a SockJS message.
    fn outgoing(&mut self, bytes: Bytes) -> String {
        if bytes.starts_with(b"CONNECTED") {
            if let Some(Decoded::Frame(f)) =
                self.decode_all(&bytes).and_then(|d| d.into_iter().next())
            {
                self.version = f
                    .get("version")
                    .and_then(Version::parse)
                    .unwrap_or(Version::V1_0);
            }
        }
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => text,
            Err(_) => self.binary_to_text(&bytes),
        }
    }

    fn binary_to_text(&self, bytes: &[u8]) -> String {
        let frame = self
            .decode_all(bytes)
            .and_then(|d| d.into_iter().next())
            .and_then(|d| match d {
                Decoded::Frame(f) => binary::encode_body_for_text(&f),
                Decoded::Heartbeat => None,
            });
        match frame {
            Some(f) => String::from_utf8_lossy(&Encoder::new(self.version).encode_to_bytes(&f))
                .into_owned(),
            None => {
                tracing::warn!("SockJS: outgoing frame not decodable; sent lossily");
                String::from_utf8_lossy(bytes).into_owned()
            }
        }
    }
}

impl StompTransport for SockJsTransport {
    async fn recv(&mut self) -> io::Result<Option<Bytes>> {
        Ok(self.receiver.recv().await.map(|m| self.incoming(m)))
    }

    async fn send(&mut self, frames: &mut VecDeque<OutFrame>) -> io::Result<()> {
        while let Some(frame) = frames.pop_front() {
            let text = self.outgoing(frame.to_bytes());
            self.sender
                .send(text)
                .await
                .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
        }
        Ok(())
    }

    async fn close(&mut self) {
        let _ = self.sender.close(CODE_NORMAL, "Normal closure").await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_usable_base_paths_are_mounted() {
        assert!(usable_base("/stomp", "/ws"));
        assert!(usable_base("/a/b", "/ws"));
        for bad in ["", "/", "stomp", "/ws", "/{x}", "/a*"] {
            assert!(!usable_base(bad, "/ws"), "{bad}");
        }
    }
}
