//! STOMP over SockJS: the client side of four SockJS transports, as sockjs-client drives them.
//!
//! - `sockjs-websocket`: `{base}/{server}/{session}/websocket`, SockJS frames in text messages,
//!   sends as a JSON array of strings.
//! - `xhr-streaming`: `POST xhr_streaming`, read incrementally (chunked), one frame per line;
//!   re-opened when the server ends it at its response byte limit.
//! - `xhr-polling`: `POST xhr` in a loop, one batch of frames per response.
//! - `eventsource`: `GET eventsource`, frames in `data: ` lines.
//!
//! The HTTP transports send with `POST xhr_send` (a JSON array of strings): one request in
//! flight per session, batching whatever the writer queued meanwhile. Frames are parsed with the
//! repository's shared SockJS framing (`stomp_wasm::sockjs`); the STOMP frames inside the
//! messages are left to the caller's codec.
//!
//! HTTP is a minimal keep-alive HTTP/1.1 client over a [`TcpStream`]: `Content-Length` and
//! chunked bodies, each receiving request on its own connection, the sends on another.

use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::{SinkExt, StreamExt};
use stomp_wasm::sockjs::frame::{eventsource_unescape, take_line_frames};
use stomp_wasm::sockjs::json::encode_string_array_into;
use stomp_wasm::sockjs::SockJsFrame;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::error::LoadError;

/// Largest HTTP head or chunk-size line accepted from the server.
const MAX_LINE: usize = 16 * 1024;
/// Largest single response body piece (chunk or whole body) accepted.
const MAX_PIECE: usize = 16 * 1024 * 1024;
/// Received SockJS messages buffered towards the reader.
const INCOMING_QUEUE: usize = 4096;
/// Batches of outgoing messages buffered towards the sender.
const OUTGOING_QUEUE: usize = 64;

/// Which SockJS transport to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    WebSocket,
    XhrStreaming,
    XhrPolling,
    EventSource,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::WebSocket => "sockjs-websocket",
            Kind::XhrStreaming => "xhr-streaming",
            Kind::XhrPolling => "xhr-polling",
            Kind::EventSource => "eventsource",
        }
    }
}

/// A SockJS endpoint: `http://127.0.0.1:8080/stomp` split into address and path.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `host:port`.
    pub authority: String,
    /// Base path without a trailing `/`.
    pub path: String,
}

impl Endpoint {
    /// Parses an `http://host:port/path` URL; only loopback hosts are accepted.
    pub fn parse(url: &str) -> Result<Endpoint, LoadError> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| LoadError::Invalid(format!("{url}: only http:// URLs")))?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
        if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
            return Err(LoadError::NotLoopback(url.to_owned()));
        }
        Ok(Endpoint {
            authority: authority.to_owned(),
            path: format!("/{}", path.trim_end_matches('/')),
        })
    }

    /// `{base}/000/{session}` for a fresh session id.
    fn session_path(&self) -> String {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        format!(
            "{}/000/lg{}x{n}",
            self.path.trim_end_matches('/'),
            std::process::id()
        )
    }
}

/// The two ends of an open SockJS session: messages received, batches to send.
pub struct SockJsConn {
    pub incoming: mpsc::Receiver<Result<String, LoadError>>,
    pub outgoing: mpsc::Sender<Vec<String>>,
}

/// Opens a session over `kind`; returns once the server's `o` frame arrived.
pub async fn open(kind: Kind, endpoint: &Endpoint) -> Result<SockJsConn, LoadError> {
    let session = endpoint.session_path();
    let (in_tx, mut incoming) = mpsc::channel(INCOMING_QUEUE);
    let (outgoing, out_rx) = mpsc::channel(OUTGOING_QUEUE);
    match kind {
        Kind::WebSocket => {
            let url = format!("ws://{}{session}/websocket", endpoint.authority);
            let (ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true).await?;
            let (sink, stream) = ws.split();
            tokio::spawn(ws_reader(stream, in_tx));
            tokio::spawn(ws_writer(sink, out_rx));
        }
        _ => {
            tokio::spawn(http_receiver(
                kind,
                endpoint.authority.clone(),
                session.clone(),
                in_tx,
            ));
            tokio::spawn(http_sender(endpoint.authority.clone(), session, out_rx));
        }
    }
    // The receivers deliver the open frame as an empty string (see `deliver`).
    match incoming.recv().await {
        Some(Ok(m)) if m.is_empty() => Ok(SockJsConn { incoming, outgoing }),
        Some(Ok(_)) => Err(LoadError::Invalid("SockJS: message before open".into())),
        Some(Err(e)) => Err(e),
        None => Err(LoadError::Closed),
    }
}

/// Hands the messages of one frame to the reader; `Err` ends the receiver.
async fn deliver(
    frame: SockJsFrame,
    tx: &mpsc::Sender<Result<String, LoadError>>,
) -> Result<(), LoadError> {
    match frame {
        // The empty string marks the open frame (STOMP messages are never empty).
        SockJsFrame::Open => tx
            .send(Ok(String::new()))
            .await
            .map_err(|_| LoadError::Closed),
        SockJsFrame::Heartbeat => Ok(()),
        SockJsFrame::Messages(messages) => {
            for m in messages.into_iter().filter(|m| !m.is_empty()) {
                tx.send(Ok(m)).await.map_err(|_| LoadError::Closed)?;
            }
            Ok(())
        }
        SockJsFrame::Close { code, reason } => Err(LoadError::Refused {
            message: format!("SockJS close {code} {reason}"),
        }),
    }
}

fn bad_frame(e: impl std::fmt::Display) -> LoadError {
    LoadError::Invalid(format!("bad SockJS frame: {e}"))
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn ws_reader(
    mut stream: futures_util::stream::SplitStream<Ws>,
    tx: mpsc::Sender<Result<String, LoadError>>,
) {
    let result = async {
        loop {
            match stream.next().await {
                None | Some(Ok(Message::Close(_))) => return Err(LoadError::Closed),
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(Message::Text(text))) => {
                    deliver(SockJsFrame::parse(&text).map_err(bad_frame)?, &tx).await?
                }
                Some(Ok(_)) => {}
            }
        }
    }
    .await;
    let _ = tx.send(result).await;
}

async fn ws_writer(
    mut sink: futures_util::stream::SplitSink<Ws, Message>,
    mut rx: mpsc::Receiver<Vec<String>>,
) {
    while let Some(mut batch) = rx.recv().await {
        while let Ok(more) = rx.try_recv() {
            batch.extend(more);
        }
        let mut text = String::new();
        encode_string_array_into(&batch, &mut text);
        if sink.send(Message::Text(text.into())).await.is_err() {
            return;
        }
    }
    let _ = sink.close().await;
}

/// POSTs `xhr_send` with everything queued, one request at a time.
async fn http_sender(authority: String, session: String, mut rx: mpsc::Receiver<Vec<String>>) {
    let mut http: Option<Http> = None;
    while let Some(mut batch) = rx.recv().await {
        while let Ok(more) = rx.try_recv() {
            batch.extend(more);
        }
        let mut body = String::new();
        encode_string_array_into(&batch, &mut body);
        let path = format!("{session}/xhr_send");
        let sent = async {
            let conn = match http.as_mut() {
                Some(c) => c,
                None => http.insert(Http::connect(&authority).await?),
            };
            let status = conn.request("POST", &path, body.as_bytes()).await?;
            conn.read_to_end().await?;
            if !conn.keep_alive {
                http = None;
            }
            Ok::<u16, LoadError>(status)
        }
        .await;
        match sent {
            Ok(204) | Ok(200) => {}
            Ok(status) => {
                tracing_free_warn(&format!("xhr_send answered {status}"));
                return;
            }
            Err(e) => {
                tracing_free_warn(&format!("xhr_send failed: {e}"));
                return;
            }
        }
    }
}

/// The harness has no logger: failures of the sender show on stderr and end the session.
fn tracing_free_warn(message: &str) {
    eprintln!("loadgen: sockjs: {message}");
}

/// Runs the receiving requests of an HTTP transport until the session ends.
async fn http_receiver(
    kind: Kind,
    authority: String,
    session: String,
    tx: mpsc::Sender<Result<String, LoadError>>,
) {
    let result = async {
        let mut http = Http::connect(&authority).await?;
        loop {
            let (method, path) = match kind {
                Kind::XhrStreaming => ("POST", format!("{session}/xhr_streaming")),
                Kind::XhrPolling => ("POST", format!("{session}/xhr")),
                _ => ("GET", format!("{session}/eventsource")),
            };
            let status = http.request(method, &path, b"").await?;
            if status != 200 {
                return Err(LoadError::Invalid(format!("{path} answered {status}")));
            }
            // Complete lines are taken from `pending`; an incomplete tail waits for more.
            let mut pending: Vec<u8> = Vec::new();
            while let Some(piece) = http.next_piece().await? {
                pending.extend_from_slice(&piece);
                let Some(end) = pending.iter().rposition(|&b| b == b'\n') else {
                    continue;
                };
                let lines: Vec<u8> = pending.drain(..=end).collect();
                let text = std::str::from_utf8(&lines).map_err(bad_frame)?;
                if kind == Kind::EventSource {
                    for line in text.split('\n') {
                        let line = line.trim_end_matches('\r');
                        if let Some(data) = line.strip_prefix("data: ") {
                            let frame = eventsource_unescape(data);
                            deliver(SockJsFrame::parse(&frame).map_err(bad_frame)?, &tx).await?;
                        }
                    }
                } else {
                    let mut offset = 0;
                    for frame in take_line_frames(text, &mut offset) {
                        deliver(frame.map_err(bad_frame)?, &tx).await?;
                    }
                }
            }
            if !http.keep_alive {
                http = Http::connect(&authority).await?;
            }
        }
    }
    .await;
    let _ = tx.send(result).await;
}

/// How the rest of a response body is delimited.
#[derive(Debug, Clone, Copy)]
enum BodyLeft {
    None,
    Length(usize),
    Chunked,
    UntilClose,
}

/// One keep-alive HTTP/1.1 connection.
struct Http {
    stream: BufReader<TcpStream>,
    authority: String,
    body: BodyLeft,
    keep_alive: bool,
}

impl Http {
    async fn connect(authority: &str) -> Result<Http, LoadError> {
        let stream = TcpStream::connect(authority).await?;
        stream.set_nodelay(true)?;
        Ok(Http {
            stream: BufReader::with_capacity(64 * 1024, stream),
            authority: authority.to_owned(),
            body: BodyLeft::None,
            keep_alive: true,
        })
    }

    /// Sends a request and reads the response head; returns the status.
    async fn request(&mut self, method: &str, path: &str, body: &[u8]) -> Result<u16, LoadError> {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: keep-alive\r\n",
            self.authority
        );
        if method == "POST" {
            req.push_str(&format!(
                "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.stream.get_mut().write_all(&bytes).await?;

        let status_line = self.line().await?;
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| LoadError::Invalid(format!("bad status line {status_line:?}")))?;
        let mut length = None;
        let mut chunked = false;
        self.keep_alive = true;
        loop {
            let line = self.line().await?;
            if line.is_empty() {
                break;
            }
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse::<usize>().ok(),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => self.keep_alive = !value.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        self.body = if chunked {
            BodyLeft::Chunked
        } else if let Some(n) = length {
            BodyLeft::Length(n)
        } else if status == 204 || status == 304 {
            BodyLeft::None
        } else {
            self.keep_alive = false;
            BodyLeft::UntilClose
        };
        Ok(status)
    }

    /// One line without its CRLF, bounded.
    async fn line(&mut self) -> Result<String, LoadError> {
        let mut line = Vec::new();
        let n = (&mut self.stream)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Err(LoadError::Closed);
        }
        if line.last() != Some(&b'\n') {
            return Err(LoadError::Invalid("HTTP line too long".into()));
        }
        let text = String::from_utf8_lossy(&line);
        Ok(text.trim_end_matches(['\r', '\n']).to_owned())
    }

    /// The next piece of the body as it arrives; `None` at its end.
    async fn next_piece(&mut self) -> Result<Option<Vec<u8>>, LoadError> {
        match self.body {
            BodyLeft::None => Ok(None),
            BodyLeft::Length(0) => {
                self.body = BodyLeft::None;
                Ok(None)
            }
            BodyLeft::Length(n) => {
                let take = n.min(64 * 1024);
                let mut data = vec![0; take];
                self.stream.read_exact(&mut data).await?;
                self.body = BodyLeft::Length(n - take);
                Ok(Some(data))
            }
            BodyLeft::Chunked => {
                let size_line = self.line().await?;
                let size_text = size_line.split(';').next().unwrap_or_default().trim();
                let size = usize::from_str_radix(size_text, 16)
                    .map_err(|_| LoadError::Invalid(format!("bad chunk size {size_line:?}")))?;
                if size > MAX_PIECE {
                    return Err(LoadError::Invalid(format!("chunk of {size} bytes")));
                }
                if size == 0 {
                    // Trailers, then the blank line.
                    while !self.line().await?.is_empty() {}
                    self.body = BodyLeft::None;
                    return Ok(None);
                }
                let mut data = vec![0; size + 2];
                self.stream.read_exact(&mut data).await?;
                if &data[size..] != b"\r\n" {
                    return Err(LoadError::Invalid("chunk not followed by CRLF".into()));
                }
                data.truncate(size);
                Ok(Some(data))
            }
            BodyLeft::UntilClose => {
                let mut data = vec![0; 64 * 1024];
                let n = self.stream.read(&mut data).await?;
                if n == 0 {
                    self.body = BodyLeft::None;
                    return Ok(None);
                }
                data.truncate(n);
                Ok(Some(data))
            }
        }
    }

    /// Reads and discards the rest of the body.
    async fn read_to_end(&mut self) -> Result<(), LoadError> {
        while self.next_piece().await?.is_some() {}
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn endpoint_accepts_loopback_http_only() {
        let e = Endpoint::parse("http://127.0.0.1:8080/stomp/").expect("loopback");
        assert_eq!(e.authority, "127.0.0.1:8080");
        assert_eq!(e.path, "/stomp");
        assert!(matches!(
            Endpoint::parse("http://10.0.0.1:8080/stomp"),
            Err(LoadError::NotLoopback(_))
        ));
        assert!(Endpoint::parse("ws://127.0.0.1:8080/stomp").is_err());
    }

    /// Serves one canned response to whatever request arrives.
    async fn canned(response: &'static [u8]) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.expect("accept");
            let mut buf = [0; 1024];
            let _ = s.read(&mut buf).await;
            // Written in two parts so a chunk straddles TCP reads.
            let (a, b) = response.split_at(response.len() / 2);
            s.write_all(a).await.expect("write");
            s.flush().await.expect("flush");
            tokio::task::yield_now().await;
            s.write_all(b).await.expect("write");
        });
        addr
    }

    #[tokio::test]
    async fn chunked_body_pieces_with_extensions_and_trailers() {
        let addr = canned(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
              2\r\no\n\r\n9;ext=1\r\na[\"x\\n\"]\n\r\n0\r\nX-Trailer: 1\r\n\r\n",
        )
        .await;
        let mut http = Http::connect(&addr).await.expect("connect");
        assert_eq!(
            http.request("POST", "/s/xhr", b"").await.expect("head"),
            200
        );
        assert_eq!(
            http.next_piece().await.expect("piece"),
            Some(b"o\n".to_vec())
        );
        assert_eq!(
            http.next_piece().await.expect("piece"),
            Some(b"a[\"x\\n\"]\n".to_vec())
        );
        assert_eq!(http.next_piece().await.expect("end"), None);
        assert!(http.keep_alive);
    }

    #[tokio::test]
    async fn content_length_body_and_bad_chunk_size() {
        let addr = canned(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n").await;
        let mut http = Http::connect(&addr).await.expect("connect");
        assert_eq!(
            http.request("POST", "/s/xhr_send", b"[\"a\"]")
                .await
                .expect("head"),
            204
        );
        assert_eq!(http.next_piece().await.expect("end"), None);

        let addr = canned(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").await;
        let mut http = Http::connect(&addr).await.expect("connect");
        http.request("GET", "/s/eventsource", b"")
            .await
            .expect("head");
        assert!(matches!(
            http.next_piece().await,
            Err(LoadError::Invalid(_))
        ));
    }
}
