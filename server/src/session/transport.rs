//! The transport-agnostic session entry point's contract: what a transport must offer a session
//! ([`StompTransport`]), and a ready-made channel-backed transport ([`ChannelTransport`]) for
//! transports that are not one connection (SockJS polling, tests).

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use stomp_wasm::Version;
use tokio::sync::mpsc;

use crate::outbox::OutFrame;

/// What a session knows about its peer's connection.
#[derive(Debug, Clone, Default)]
pub struct PeerInfo {
    pub remote: Option<SocketAddr>,
    /// `tcp`, `ws`, `sockjs-…`: for logs.
    pub transport: &'static str,
    /// A version already agreed by the transport (a WebSocket subprotocol): CONNECT must then
    /// accept it.
    pub subprotocol: Option<Version>,
}

/// A bidirectional byte pipe to one STOMP peer.
///
/// The session polls [`recv`](Self::recv) inside a `select!`, so it must be cancel-safe (a
/// cancelled call must not lose data). [`send`](Self::send) is awaited on its own and may apply
/// backpressure; the session bounds it with the configured send timeout.
pub trait StompTransport: Send {
    /// The next bytes from the peer, split anywhere (the session reassembles frames);
    /// `Ok(None)` when the peer has closed.
    fn recv(&mut self) -> impl Future<Output = io::Result<Option<Bytes>>> + Send;

    /// Sends every frame in `frames`, in order, leaving it empty. Message-based transports send
    /// one frame per message ([`OutFrame::to_bytes`]); a heart-beat is a frame of its own (`\n`).
    fn send(
        &mut self,
        frames: &mut VecDeque<OutFrame>,
    ) -> impl Future<Output = io::Result<()>> + Send;

    /// Called once when the session is over, after its last `send`.
    fn close(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// A transport made of two channels: raw STOMP bytes from the peer in, one encoded frame (or
/// heart-beat `\n`) per [`Bytes`] out. The session ends when `inbound`'s sender is dropped or
/// `outbound`'s receiver is dropped; the session dropping `outbound`'s sender tells the other
/// side the session is over.
#[derive(Debug)]
pub struct ChannelTransport {
    inbound: mpsc::Receiver<Bytes>,
    outbound: mpsc::Sender<Bytes>,
}

impl ChannelTransport {
    pub fn new(inbound: mpsc::Receiver<Bytes>, outbound: mpsc::Sender<Bytes>) -> ChannelTransport {
        ChannelTransport { inbound, outbound }
    }
}

impl StompTransport for ChannelTransport {
    async fn recv(&mut self) -> io::Result<Option<Bytes>> {
        Ok(self.inbound.recv().await)
    }

    async fn send(&mut self, frames: &mut VecDeque<OutFrame>) -> io::Result<()> {
        while let Some(frame) = frames.pop_front() {
            self.outbound
                .send(frame.to_bytes())
                .await
                .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
        }
        Ok(())
    }
}
