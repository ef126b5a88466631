//! One STOMP connection to the external broker, over TCP or TLS: the CONNECT handshake,
//! heart-beat negotiation, and framed reading and writing through the shared codec.
//!
//! The connection is split into a [`BrokerReader`] and a [`BrokerWriter`] so one task can wait
//! for both directions in a `select!` ([`BrokerReader::next`] is cancel-safe: undecoded bytes
//! stay in its decoder).

use std::time::Duration;

use bytes::BytesMut;
use stomp_wasm::{Command, Decoded, Decoder, Encoder, Frame, Limits, Version};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};

use super::error::RelayError;
use super::tls::BrokerTls;
use crate::config::RelayConfig;

/// Heart-beat intervals agreed with the broker.
#[derive(Debug, Clone, Copy, Default)]
pub struct Heartbeats {
    /// We send a heart-beat after this much silence.
    pub send: Option<Duration>,
    /// The broker must send something this often (we allow three intervals).
    pub receive: Option<Duration>,
}

impl Heartbeats {
    fn negotiate(ours: (u64, u64), broker: Option<&str>) -> Heartbeats {
        let (sx, sy) = broker
            .and_then(|v| v.split_once(','))
            .and_then(|(a, b)| Some((a.trim().parse::<u64>().ok()?, b.trim().parse().ok()?)))
            .unwrap_or((0, 0));
        let (cx, cy) = ours;
        let every = |a: u64, b: u64| (a > 0 && b > 0).then(|| Duration::from_millis(a.max(b)));
        Heartbeats {
            send: every(cx, sy),
            receive: every(sx, cy),
        }
    }

    /// When the next heart-beat is due or silence becomes fatal.
    pub fn next_deadline(&self, last_read: Instant, last_write: Instant) -> Option<Instant> {
        [
            self.send.map(|d| last_write + d),
            self.receive.map(|d| last_read + d * 3),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

/// Opens a connection and completes the STOMP handshake at `version` (the client session's, so
/// its frames keep their meaning), within `relay.connect_timeout_ms`.
pub async fn open(
    config: &RelayConfig,
    tls: Option<&BrokerTls>,
    limits: Limits,
    version: Version,
) -> Result<(BrokerReader, BrokerWriter, Heartbeats), RelayError> {
    let deadline = Duration::from_millis(config.connect_timeout_ms);
    match timeout(deadline, handshake(config, tls, limits, version)).await {
        Ok(result) => result,
        Err(_) => Err(RelayError::Unavailable(format!(
            "no CONNECTED from {} within {} ms",
            config.broker, config.connect_timeout_ms
        ))),
    }
}

async fn handshake(
    config: &RelayConfig,
    tls: Option<&BrokerTls>,
    limits: Limits,
    version: Version,
) -> Result<(BrokerReader, BrokerWriter, Heartbeats), RelayError> {
    let unavailable =
        |e: std::io::Error| RelayError::Unavailable(format!("{}: {e}", config.broker));
    let stream = TcpStream::connect(config.broker.clone())
        .await
        .map_err(unavailable)?;
    // Frames are small and latency matters more than segment count.
    let _ = stream.set_nodelay(true);
    let (read, write): (ReadHalf, WriteHalf) = match tls {
        Some(tls) => {
            // A certificate the broker cannot prove is refused here, named in the error.
            let (read, write) = tokio::io::split(tls.connect(stream).await.map_err(unavailable)?);
            (Box::new(read), Box::new(write))
        }
        None => {
            let (read, write) = stream.into_split();
            (Box::new(read), Box::new(write))
        }
    };
    let mut reader = BrokerReader {
        half: read,
        decoder: Decoder::new(limits),
        buf: BytesMut::with_capacity(8 * 1024),
    };
    reader.decoder.set_version(version);
    let mut writer = BrokerWriter {
        half: write,
        encoder: Encoder::new(version),
        buf: BytesMut::new(),
    };
    let mut connect = Frame::new(Command::Connect)
        .header("accept-version", version.as_str())
        .header("host", config.virtual_host.clone())
        .header("login", config.login.clone())
        .header("passcode", config.passcode.clone());
    let ours = if version == Version::V1_0 {
        (0, 0)
    } else {
        (config.heartbeat_send_ms, config.heartbeat_receive_ms)
    };
    if version > Version::V1_0 {
        connect
            .headers
            .push("heart-beat", format!("{},{}", ours.0, ours.1));
    }
    writer.write(&connect).await?;
    loop {
        match reader.next().await? {
            Decoded::Heartbeat => {}
            Decoded::Frame(f) if f.command == Command::Connected => {
                let heartbeats = Heartbeats::negotiate(ours, f.get("heart-beat"));
                tracing::debug!(broker = %config.broker, session = ?f.get("session"), "broker connection open");
                return Ok((reader, writer, heartbeats));
            }
            Decoded::Frame(f) if f.command == Command::Error => {
                return Err(RelayError::Refused(
                    f.get("message")
                        .unwrap_or("ERROR without message")
                        .to_owned(),
                ));
            }
            Decoded::Frame(f) => {
                return Err(RelayError::Protocol(format!(
                    "expected CONNECTED, got {}",
                    f.command
                )))
            }
        }
    }
}

/// One direction of a broker connection, plain TCP or TLS.
type ReadHalf = Box<dyn AsyncRead + Send + Unpin>;
type WriteHalf = Box<dyn AsyncWrite + Send + Unpin>;

/// The reading half: decoded frames and heart-beats from the broker.
pub struct BrokerReader {
    half: ReadHalf,
    decoder: Decoder,
    buf: BytesMut,
}

impl BrokerReader {
    /// The next frame or heart-beat; an error when the broker closed or sent garbage.
    /// Cancel-safe.
    pub async fn next(&mut self) -> Result<Decoded, RelayError> {
        loop {
            if let Some(d) = self
                .decoder
                .decode()
                .map_err(|e| RelayError::Protocol(e.to_string()))?
            {
                return Ok(d);
            }
            self.buf.clear();
            let n = self.half.read_buf(&mut self.buf).await?;
            if n == 0 {
                return Err(RelayError::Closed);
            }
            self.decoder.feed(&self.buf);
        }
    }
}

/// The writing half.
pub struct BrokerWriter {
    half: WriteHalf,
    encoder: Encoder,
    buf: BytesMut,
}

impl BrokerWriter {
    pub async fn write(&mut self, frame: &Frame) -> Result<(), RelayError> {
        self.buf.clear();
        self.encoder.encode(frame, &mut self.buf);
        self.half.write_all(&self.buf).await?;
        if self.buf.capacity() > 64 * 1024 {
            self.buf = BytesMut::new();
        }
        Ok(())
    }

    pub async fn heartbeat(&mut self) -> Result<(), RelayError> {
        self.half.write_all(b"\n").await?;
        Ok(())
    }

    pub async fn shutdown(&mut self) {
        let _ = self.half.shutdown().await;
    }
}

impl std::fmt::Debug for BrokerReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerReader").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for BrokerWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerWriter").finish_non_exhaustive()
    }
}
