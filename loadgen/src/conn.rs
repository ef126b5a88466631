//! One STOMP connection over TCP, WebSocket or SockJS ([`crate::sockjs`]), split into a [`FrameReader`] and a
//! [`FrameWriter`] so a task can read while another writes.
//!
//! Frames are decoded and encoded with the repository's own codec (`stomp_wasm`); over WebSocket
//! every STOMP frame travels in one binary message, as stompjs and RabbitMQ Web-STOMP do.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use stomp_wasm::{Command, Decoded, Decoder, Encoder, Frame, Limits, Version};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::error::LoadError;
use crate::sockjs;

/// Where the broker is.
#[derive(Debug, Clone)]
pub enum Target {
    /// STOMP over plain TCP.
    Tcp(SocketAddr),
    /// STOMP over WebSocket, e.g. `ws://127.0.0.1:15674/ws`.
    Ws(String),
    /// STOMP over SockJS at an endpoint such as `http://127.0.0.1:8080/stomp`.
    SockJs(sockjs::Kind, sockjs::Endpoint),
}

impl Target {
    /// Refuses anything but loopback: the harness must never load another machine.
    pub fn check_loopback(&self) -> Result<(), LoadError> {
        match self {
            Target::Tcp(addr) if addr.ip().is_loopback() => Ok(()),
            Target::Tcp(addr) => Err(LoadError::NotLoopback(addr.to_string())),
            // `Endpoint::parse` accepted only loopback hosts.
            Target::SockJs(..) => Ok(()),
            Target::Ws(url) => {
                let rest = url
                    .strip_prefix("ws://")
                    .ok_or_else(|| LoadError::Invalid(format!("{url}: only ws:// URLs")))?;
                let host = rest.split(['/', '?']).next().unwrap_or_default();
                let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
                if host == "127.0.0.1" || host == "localhost" || host == "[::1]" {
                    Ok(())
                } else {
                    Err(LoadError::NotLoopback(url.clone()))
                }
            }
        }
    }

    pub fn transport_name(&self) -> &'static str {
        match self {
            Target::Tcp(_) => "tcp",
            Target::Ws(_) => "ws",
            Target::SockJs(kind, _) => kind.name(),
        }
    }
}

/// What goes in the CONNECT frame.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub login: String,
    pub passcode: String,
    /// The `host` header; RabbitMQ reads it as the vhost (`/`).
    pub vhost: String,
    /// `heart-beat: cx,cy` in milliseconds: what this client can send, what it wants.
    pub heartbeat: (u32, u32),
}

/// What CONNECTED settled.
#[derive(Debug, Clone, Copy)]
pub struct Session {
    /// How often this client must send something, if at all (client→server interval).
    pub send_heartbeat_every: Option<Duration>,
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

enum ReadHalf {
    Tcp(OwnedReadHalf),
    Ws(SplitStream<Ws>),
    SockJs(tokio::sync::mpsc::Receiver<Result<String, LoadError>>),
}

enum WriteHalf {
    Tcp(BufWriter<OwnedWriteHalf>),
    Ws(SplitSink<Ws, Message>),
    /// STOMP frames queued until `flush` hands them to the SockJS sender as one batch.
    SockJs {
        tx: tokio::sync::mpsc::Sender<Vec<String>>,
        pending: Vec<String>,
    },
}

/// Yields whole frames, skipping heart-beats.
pub struct FrameReader {
    inner: ReadHalf,
    decoder: Decoder,
    buf: Vec<u8>,
}

/// Queues frames ([`feed`](Self::feed)) and sends them ([`flush`](Self::flush)); batching many
/// frames per flush is how the publishers reach full speed.
pub struct FrameWriter {
    inner: WriteHalf,
    encoder: Encoder,
    scratch: BytesMut,
}

/// Opens the transport, sends CONNECT and waits for CONNECTED.
pub async fn connect(
    target: &Target,
    opts: &ConnectOptions,
) -> Result<(FrameReader, FrameWriter, Session), LoadError> {
    let (read, write) = match target {
        Target::Tcp(addr) => {
            let stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let (r, w) = stream.into_split();
            (
                ReadHalf::Tcp(r),
                WriteHalf::Tcp(BufWriter::with_capacity(64 * 1024, w)),
            )
        }
        Target::Ws(url) => {
            let mut request = url.as_str().into_client_request()?;
            request.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                HeaderValue::from_static("v12.stomp, v11.stomp, v10.stomp"),
            );
            // `true`: no Nagle delay. tokio-tungstenite offers no permessage-deflate, so none is
            // negotiated (RabbitMQ would accept it and it costs throughput).
            let (ws, _response) =
                tokio_tungstenite::connect_async_with_config(request, None, true).await?;
            let (w, r) = ws.split();
            (ReadHalf::Ws(r), WriteHalf::Ws(w))
        }
        Target::SockJs(kind, endpoint) => {
            let conn = sockjs::open(*kind, endpoint).await?;
            (
                ReadHalf::SockJs(conn.incoming),
                WriteHalf::SockJs {
                    tx: conn.outgoing,
                    pending: Vec::new(),
                },
            )
        }
    };
    let mut reader = FrameReader {
        inner: read,
        decoder: Decoder::new(Limits::default()),
        buf: vec![0; 64 * 1024],
    };
    let mut writer = FrameWriter {
        inner: write,
        encoder: Encoder::new(Version::V1_2),
        scratch: BytesMut::with_capacity(4096),
    };

    let (cx, cy) = opts.heartbeat;
    let connect = Frame::new(Command::Connect)
        .header("accept-version", "1.2")
        .header("host", opts.vhost.clone())
        .header("login", opts.login.clone())
        .header("passcode", opts.passcode.clone())
        .header("heart-beat", format!("{cx},{cy}"));
    writer.feed(&connect).await?;
    writer.flush().await?;

    let connected = reader.next().await?;
    match connected.command {
        Command::Connected => {}
        Command::Error => return Err(refused(&connected)),
        other => {
            return Err(LoadError::Unexpected {
                command: other.to_string(),
                expected: "CONNECTED",
                detail: String::new(),
            })
        }
    }
    let version = connected
        .get("version")
        .and_then(Version::parse)
        .unwrap_or(Version::V1_0);
    reader.decoder.set_version(version);
    writer.encoder.set_version(version);
    // Client→server interval: max(cx, sy) unless either is 0.
    let sy = connected
        .get("heart-beat")
        .and_then(|hb| hb.split(',').nth(1))
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(0);
    let send_heartbeat_every =
        (cx > 0 && sy > 0).then(|| Duration::from_millis(u64::from(cx.max(sy))));
    Ok((
        reader,
        writer,
        Session {
            send_heartbeat_every,
        },
    ))
}

/// The broker's ERROR frame as an error.
pub fn refused(frame: &Frame) -> LoadError {
    let mut message = frame.get("message").unwrap_or("(no message)").to_owned();
    if let Some(body) = frame.body_str().filter(|b| !b.is_empty()) {
        message.push_str(": ");
        message.push_str(body.trim());
    }
    LoadError::Refused { message }
}

impl FrameReader {
    /// The next frame (heart-beats are skipped). Cancel-safe: bytes already read stay buffered
    /// in the decoder, so it can sit in a `select!`.
    pub async fn next(&mut self) -> Result<Frame, LoadError> {
        loop {
            match self.decoder.decode()? {
                Some(Decoded::Frame(frame)) => return Ok(frame),
                Some(Decoded::Heartbeat) => continue,
                None => {}
            }
            match &mut self.inner {
                ReadHalf::Tcp(read) => {
                    let n = read.read(&mut self.buf).await?;
                    if n == 0 {
                        return Err(LoadError::Closed);
                    }
                    self.decoder.feed(&self.buf[..n]);
                }
                ReadHalf::Ws(stream) => match stream.next().await {
                    None | Some(Ok(Message::Close(_))) => return Err(LoadError::Closed),
                    Some(Err(e)) => return Err(e.into()),
                    Some(Ok(Message::Binary(data))) => self.decoder.feed(&data),
                    Some(Ok(Message::Text(text))) => self.decoder.feed(text.as_bytes()),
                    Some(Ok(_)) => {} // ping/pong: tungstenite answers pings itself
                },
                ReadHalf::SockJs(rx) => match rx.recv().await {
                    None => return Err(LoadError::Closed),
                    Some(Err(e)) => return Err(e),
                    Some(Ok(message)) => self.decoder.feed(message.as_bytes()),
                },
            }
        }
    }

    /// Reads until a RECEIPT with `receipt-id` = `id`, counting the MESSAGEs seen on the way.
    pub async fn until_receipt(&mut self, id: &str) -> Result<u64, LoadError> {
        let mut messages = 0;
        loop {
            let frame = self.next().await?;
            match frame.command {
                Command::Receipt if frame.get("receipt-id") == Some(id) => return Ok(messages),
                Command::Message => messages += 1,
                Command::Error => return Err(refused(&frame)),
                _ => {}
            }
        }
    }
}

impl FrameWriter {
    /// Queues one frame; nothing is guaranteed sent before [`flush`](Self::flush).
    pub async fn feed(&mut self, frame: &Frame) -> Result<(), LoadError> {
        self.scratch.clear();
        self.encoder.encode(frame, &mut self.scratch);
        match &mut self.inner {
            WriteHalf::Tcp(w) => w.write_all(&self.scratch).await?,
            WriteHalf::Ws(sink) => {
                let bytes = self.scratch.split().freeze();
                sink.feed(Message::Binary(bytes)).await?;
            }
            WriteHalf::SockJs { pending, .. } => {
                let text = String::from_utf8(self.scratch.to_vec())
                    .map_err(|_| LoadError::Invalid("binary STOMP frame over SockJS".into()))?;
                pending.push(text);
            }
        }
        Ok(())
    }

    pub async fn flush(&mut self) -> Result<(), LoadError> {
        match &mut self.inner {
            WriteHalf::Tcp(w) => w.flush().await?,
            WriteHalf::Ws(sink) => sink.flush().await?,
            WriteHalf::SockJs { tx, pending } => {
                if !pending.is_empty() {
                    let batch = std::mem::take(pending);
                    tx.send(batch).await.map_err(|_| LoadError::Closed)?;
                }
            }
        }
        Ok(())
    }

    /// One heart-beat EOL, sent at once.
    pub async fn heartbeat(&mut self) -> Result<(), LoadError> {
        match &mut self.inner {
            WriteHalf::Tcp(w) => {
                w.write_all(b"\n").await?;
                w.flush().await?;
            }
            WriteHalf::Ws(sink) => sink.send(Message::Binary(b"\n".as_slice().into())).await?,
            WriteHalf::SockJs { tx, .. } => tx
                .send(vec!["\n".to_owned()])
                .await
                .map_err(|_| LoadError::Closed)?,
        }
        Ok(())
    }
}
