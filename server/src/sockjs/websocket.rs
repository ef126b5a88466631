//! The `websocket` transport and the raw `/websocket` endpoint.
//!
//! On `{base}/{server}/{session}/websocket` each connection is a session of its own (session
//! ids are not looked up: the connection's lifetime is the session's). Frames are SockJS
//! frames, one per WebSocket text message; the client sends a JSON array of strings (or one
//! JSON string) per message, and broken JSON ends the connection. RFC 6455 goes through axum;
//! the legacy hixie-76 handshake ([`super::hixie76`]) is answered on the raw upgraded stream.
//!
//! `{base}/websocket` carries the application's messages as plain text messages, with no
//! SockJS framing, for non-browser clients.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use stomp_wasm::sockjs::frame::{self, SockJsFrame};
use stomp_wasm::sockjs::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::hixie76;
use super::service::{remote_addr, text_response, Service};
use super::session::{Outbound, SockJsSession};

/// What a connection's reader saw.
enum Incoming {
    Text(String),
    /// Something that is not text (or not acceptable): the connection must end.
    Invalid,
    /// A message over `max_payload_bytes`: the connection ends with close code 1009.
    TooBig,
}

/// The reading half of a WebSocket-like connection.
trait WsRead: Send + 'static {
    /// The next message; `None` when the peer closed or the connection broke.
    fn recv(&mut self) -> impl Future<Output = Option<Incoming>> + Send;
}

/// The writing half of a WebSocket-like connection.
trait WsWrite: Send {
    /// Sends one text message; false if the connection is gone.
    fn send_text(&mut self, text: String) -> impl Future<Output = bool> + Send;
    /// Sends a close (with code and reason where the protocol has them) and stops writing.
    fn close(&mut self, code: u16, reason: &str) -> impl Future<Output = ()> + Send;
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Whether the request asks for a WebSocket upgrade at all (`Connection: Upgrade`,
/// `Upgrade: websocket`); proxies that rewrite `Connection` make this fail.
fn is_websocket_request(h: &HeaderMap) -> bool {
    let connection_upgrade = header_str(h, "connection")
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case("upgrade"));
    connection_upgrade && header_str(h, "upgrade").eq_ignore_ascii_case("websocket")
}

fn not_websocket() -> Response {
    text_response(StatusCode::BAD_REQUEST, "Not a valid websocket request")
}

/// `{base}/{server}/{session}/websocket`.
pub(crate) async fn session(service: Arc<Service>, req: Request) -> Response {
    if !is_websocket_request(req.headers()) {
        return not_websocket();
    }
    let h = req.headers();
    if h.contains_key("sec-websocket-key1") && !h.contains_key("sec-websocket-key") {
        return hixie76_upgrade(service, req);
    }
    upgrade(service, req, run_sockjs).await
}

/// `{base}/websocket`: RFC 6455 only.
pub(crate) async fn raw(service: Arc<Service>, req: Request) -> Response {
    if !is_websocket_request(req.headers()) {
        return not_websocket();
    }
    if !matches!(
        header_str(req.headers(), "sec-websocket-version"),
        "8" | "13"
    ) {
        return text_response(
            StatusCode::BAD_REQUEST,
            "Only supported WebSocket protocol is RFC 6455.",
        );
    }
    upgrade(service, req, run_raw).await
}

/// Completes an RFC 6455 upgrade with the service's size limits, then runs `session` (SockJS
/// framing or raw) on the socket.
async fn upgrade<F, Fut>(service: Arc<Service>, req: Request, session: F) -> Response
where
    F: FnOnce(Arc<Service>, Option<SocketAddr>, AxumReader, AxumWriter) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let remote = remote_addr(&service, &req);
    let (mut parts, _body) = req.into_parts();
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(u) => u,
        Err(rejection) => return rejection.into_response(),
    };
    let max = service.config.max_payload_bytes;
    upgrade
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| {
            let (sink, stream) = socket.split();
            session(service, remote, AxumReader(stream), AxumWriter(sink))
        })
}

/// How long a closing connection waits for the peer's half of the closing handshake before
/// it is dropped (dropping with unread data would reset the connection instead).
const LINGER: Duration = Duration::from_secs(2);

/// What the reader task hands back when it stops.
struct ReadEnd<R> {
    reader: R,
    /// Kept alive until the writer has acted, so the application does not see the session end
    /// (and answer with a normal close) before the writer sends the right close.
    _to_app: mpsc::Sender<String>,
    /// Why the peer was cut off, if it was.
    refused: Option<Refusal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// Broken JSON, non-text data.
    Invalid,
    /// A message over the size limit.
    TooBig,
}

impl Refusal {
    /// The WebSocket close for it; `invalid` is what the framing in use calls invalid data.
    fn close(self, invalid: (u16, &'static str)) -> (u16, &'static str) {
        match self {
            Refusal::Invalid => invalid,
            Refusal::TooBig => (crate::transport::ws::CLOSE_TOO_BIG, "Message too big"),
        }
    }
}

/// Reads client messages and hands them to the application until the connection ends or
/// carries something invalid.
async fn read_loop<R: WsRead>(
    mut reader: R,
    to_app: mpsc::Sender<String>,
    sockjs_framing: bool,
) -> ReadEnd<R> {
    let refused = loop {
        let Some(incoming) = reader.recv().await else {
            break None;
        };
        let text = match incoming {
            Incoming::Text(t) => t,
            Incoming::Invalid => break Some(Refusal::Invalid),
            Incoming::TooBig => break Some(Refusal::TooBig),
        };
        let messages = if !sockjs_framing {
            vec![text]
        } else if text.trim().is_empty() {
            // Empty messages are ignored.
            continue;
        } else if text.trim_start().starts_with('[') {
            match json::decode_string_array(&text) {
                Ok(m) => m,
                Err(_) => break Some(Refusal::Invalid),
            }
        } else {
            match json::decode_string(&text) {
                Ok(m) => vec![m],
                Err(_) => break Some(Refusal::Invalid),
            }
        };
        for m in messages {
            // The application may have finished; its messages are then dropped.
            let _ = to_app.send(m).await;
        }
    };
    ReadEnd {
        reader,
        _to_app: to_app,
        refused,
    }
}

/// Reads and discards until the peer ends the connection (bounded by [`LINGER`]).
async fn drain<R: WsRead>(mut reader: R) {
    let _ = tokio::time::timeout(
        LINGER,
        async move { while reader.recv().await.is_some() {} },
    )
    .await;
}

/// Lets the reader task run until the peer answers our close (bounded by [`LINGER`]).
async fn await_peer_close<R: WsRead>(reading: &mut JoinHandle<ReadEnd<R>>) {
    if tokio::time::timeout(LINGER, &mut *reading).await.is_err() {
        reading.abort();
    }
}

/// A SockJS session over one WebSocket connection.
async fn run_sockjs<R: WsRead, W: WsWrite>(
    service: Arc<Service>,
    remote: Option<SocketAddr>,
    reader: R,
    mut writer: W,
) {
    let config = service.config.clone();
    let (app, to_app, mut from_app) = SockJsSession::channel(&config, remote, "websocket");
    service.handler.spawn(app);
    let mut reading = tokio::spawn(read_loop(reader, to_app, true));
    if !writer.send_text("o".to_owned()).await {
        reading.abort();
        return;
    }
    loop {
        tokio::select! {
            biased;
            ended = &mut reading => {
                if let Ok(end) = ended {
                    if let Some(refusal) = end.refused {
                        let (code, reason) = refusal.close((frame::CODE_GO_AWAY, "Broken framing."));
                        writer.close(code, reason).await;
                        drain(end.reader).await;
                    }
                }
                return;
            }
            item = from_app.recv() => {
                let mut messages = Vec::new();
                let mut close = None;
                let mut next = item;
                loop {
                    match next {
                        Some(Outbound::Message(m)) => messages.push(m),
                        Some(Outbound::Close(code, reason)) => {
                            close = Some((code, reason));
                            break;
                        }
                        None => {
                            close = Some((frame::CODE_NORMAL, "Normal closure".to_owned()));
                            break;
                        }
                    }
                    match from_app.try_recv() {
                        Ok(item) => next = Some(item),
                        Err(_) => break,
                    }
                }
                if !messages.is_empty() {
                    let mut a = String::new();
                    frame::encode_messages_into(&messages, &mut a);
                    if !writer.send_text(a).await {
                        break;
                    }
                }
                if let Some((code, reason)) = close {
                    writer.send_text(SockJsFrame::close(code, reason).encode()).await;
                    writer.close(frame::CODE_NORMAL, "Normal closure").await;
                    await_peer_close(&mut reading).await;
                    return;
                }
            }
            _ = tokio::time::sleep(config.heartbeat_interval) => {
                if !writer.send_text("h".to_owned()).await {
                    break;
                }
            }
        }
    }
    reading.abort();
}

/// The application's messages as plain WebSocket text messages.
async fn run_raw<R: WsRead, W: WsWrite>(
    service: Arc<Service>,
    remote: Option<SocketAddr>,
    reader: R,
    mut writer: W,
) {
    let (app, to_app, mut from_app) =
        SockJsSession::channel(&service.config, remote, "raw_websocket");
    service.handler.spawn(app);
    let mut reading = tokio::spawn(read_loop(reader, to_app, false));
    loop {
        tokio::select! {
            biased;
            ended = &mut reading => {
                if let Ok(end) = ended {
                    if let Some(refusal) = end.refused {
                        // 1003: unsupported data (a binary message that is not UTF-8).
                        let (code, reason) = refusal.close((1003, "Unsupported data"));
                        writer.close(code, reason).await;
                        drain(end.reader).await;
                    }
                }
                return;
            }
            item = from_app.recv() => {
                let (code, reason) = match item {
                    Some(Outbound::Message(m)) => {
                        if !writer.send_text(m).await {
                            break;
                        }
                        continue;
                    }
                    Some(Outbound::Close(code, reason)) => (code, reason),
                    None => (frame::CODE_NORMAL, "Normal closure".to_owned()),
                };
                writer.close(code, &reason).await;
                await_peer_close(&mut reading).await;
                return;
            }
        }
    }
    reading.abort();
}

struct AxumReader(SplitStream<WebSocket>);
struct AxumWriter(SplitSink<WebSocket, Message>);

impl WsRead for AxumReader {
    async fn recv(&mut self) -> Option<Incoming> {
        loop {
            return match self.0.next().await? {
                Ok(Message::Text(t)) => Some(Incoming::Text(t.as_str().to_owned())),
                Ok(Message::Binary(b)) => Some(match String::from_utf8(b.to_vec()) {
                    Ok(t) => Incoming::Text(t),
                    Err(_) => Incoming::Invalid,
                }),
                Ok(Message::Ping(_) | Message::Pong(_)) => continue,
                Err(e) if crate::transport::ws::is_too_big(&e) => Some(Incoming::TooBig),
                Ok(Message::Close(_)) | Err(_) => None,
            };
        }
    }
}

impl WsWrite for AxumWriter {
    async fn send_text(&mut self, text: String) -> bool {
        self.0.send(Message::Text(text.into())).await.is_ok()
    }

    async fn close(&mut self, code: u16, reason: &str) {
        let frame = CloseFrame {
            code,
            reason: reason.to_owned().into(),
        };
        let _ = self.0.send(Message::Close(Some(frame))).await;
    }
}

/// Answers a hixie-76 handshake: response headers now, then (on the upgraded stream) read
/// key3, write the MD5 answer, and run the session with hixie framing.
fn hixie76_upgrade(service: Arc<Service>, mut req: Request) -> Response {
    let h = req.headers();
    let key1 = header_str(h, "sec-websocket-key1").to_owned();
    let key2 = header_str(h, "sec-websocket-key2").to_owned();
    if hixie76::key_number(&key1).is_none() || hixie76::key_number(&key2).is_none() {
        return not_websocket();
    }
    let origin = header_str(h, "origin").to_owned();
    let host = header_str(h, "host").to_owned();
    let location = format!(
        "ws://{host}{}",
        req.uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
    );
    let remote = remote_addr(&service, &req);
    let on_upgrade = hyper::upgrade::on(&mut req);
    let max = service.config.max_payload_bytes;
    tokio::spawn(async move {
        let upgraded = match on_upgrade.await {
            Ok(u) => u,
            Err(e) => {
                tracing::debug!("hixie-76 upgrade failed: {e}");
                return;
            }
        };
        let (mut read, mut write) = tokio::io::split(TokioIo::new(upgraded));
        let mut key3 = [0u8; 8];
        if read.read_exact(&mut key3).await.is_err() {
            return;
        }
        let Some(answer) = hixie76::answer(&key1, &key2, &key3) else {
            return;
        };
        if write.write_all(&answer).await.is_err() {
            return;
        }
        run_sockjs(
            service,
            remote,
            HixieReader {
                read,
                buf: Vec::new(),
                max,
            },
            HixieWriter { write },
        )
        .await;
    });
    let mut r = Response::new(axum::body::Body::empty());
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let rh = r.headers_mut();
    rh.insert(header::UPGRADE, HeaderValue::from_static("WebSocket"));
    rh.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(v) = HeaderValue::from_str(&origin) {
        rh.insert("sec-websocket-origin", v);
    }
    if let Ok(v) = HeaderValue::from_str(&location) {
        rh.insert("sec-websocket-location", v);
    }
    r
}

struct HixieReader<S> {
    read: ReadHalf<S>,
    buf: Vec<u8>,
    max: usize,
}

struct HixieWriter<S> {
    write: WriteHalf<S>,
}

impl<S: AsyncRead + AsyncWrite + Send + 'static> WsRead for HixieReader<S> {
    async fn recv(&mut self) -> Option<Incoming> {
        loop {
            match hixie76::decode(&mut self.buf, self.max) {
                Ok(Some(hixie76::Frame::Text(t))) => return Some(Incoming::Text(t)),
                Ok(Some(hixie76::Frame::Close)) => return None,
                Ok(None) => {}
                Err(_) => return Some(Incoming::Invalid),
            }
            let mut chunk = [0u8; 4096];
            match self.read.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Send + 'static> WsWrite for HixieWriter<S> {
    async fn send_text(&mut self, text: String) -> bool {
        let mut out = Vec::with_capacity(text.len() + 2);
        hixie76::encode_text(&text, &mut out);
        self.write.write_all(&out).await.is_ok()
    }

    async fn close(&mut self, _code: u16, _reason: &str) {
        // hixie-76 closes carry no code or reason.
        let _ = self.write.write_all(&hixie76::CLOSE_FRAME).await;
        let _ = self.write.shutdown().await;
    }
}
