//! STOMP over raw TCP, plain (`tcp`) or through TLS (`tls_tcp`).
//!
//! Reading polls the socket with a per-thread scratch buffer, so an idle connection holds no
//! read buffer of its own. Writing gathers the queued frames (heads and shared tails) into one
//! vectored write, without copying bodies.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::Poll;

use bytes::{Buf, Bytes};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

use super::accept::Acceptor;
use crate::context::Context;
use crate::outbox::OutFrame;
use crate::session::{serve_session, PeerInfo, StompTransport};

const SCRATCH: usize = 64 * 1024;
/// Slices per vectored write (well under every platform's IOV_MAX).
const MAX_IOV: usize = 64;

thread_local! {
    static READ_SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0; SCRATCH]);
}

/// A TCP connection (or a TLS stream over one) as a [`StompTransport`].
#[derive(Debug)]
pub struct TcpTransport<S = TcpStream> {
    stream: S,
    pending: VecDeque<Bytes>,
}

impl<S> TcpTransport<S> {
    pub fn new(stream: S) -> TcpTransport<S> {
        TcpTransport {
            stream,
            pending: VecDeque::new(),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> StompTransport for TcpTransport<S> {
    async fn recv(&mut self) -> io::Result<Option<Bytes>> {
        // `poll_read` rather than `readable()` + `try_read`: on a short read (the socket drained)
        // tokio clears the readiness itself, so the next call parks at once instead of spending
        // a `recv` syscall on EAGAIN first. That call sits on the delivery path: a publisher's
        // session runs it before yielding to the subscribers it has just woken.
        let stream = &mut self.stream;
        std::future::poll_fn(|cx| {
            READ_SCRATCH.with(|scratch| {
                let mut scratch = scratch.borrow_mut();
                let mut buf = ReadBuf::new(&mut scratch);
                match Pin::new(&mut *stream).poll_read(cx, &mut buf) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                    Poll::Ready(Ok(())) if buf.filled().is_empty() => Poll::Ready(Ok(None)),
                    Poll::Ready(Ok(())) => {
                        Poll::Ready(Ok(Some(Bytes::copy_from_slice(buf.filled()))))
                    }
                }
            })
        })
        .await
    }

    async fn send(&mut self, frames: &mut VecDeque<OutFrame>) -> io::Result<()> {
        for frame in frames.drain(..) {
            match frame {
                OutFrame::Whole(b) => self.pending.push_back(b),
                OutFrame::Split { head, tail } => {
                    self.pending.push_back(head);
                    self.pending.push_back(tail);
                }
                OutFrame::Heartbeat => self.pending.push_back(Bytes::from_static(b"\n")),
            }
        }
        while !self.pending.is_empty() {
            let mut iov = [IoSlice::new(&[]); MAX_IOV];
            let mut count = 0;
            for (slot, chunk) in iov.iter_mut().zip(self.pending.iter()) {
                *slot = IoSlice::new(chunk);
                count += 1;
            }
            let mut written = self.stream.write_vectored(&iov[..count]).await?;
            if written == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            while written > 0 {
                let Some(front) = self.pending.front_mut() else {
                    break;
                };
                if front.len() <= written {
                    written -= front.len();
                    self.pending.pop_front();
                } else {
                    front.advance(written);
                    written = 0;
                }
            }
        }
        if self.pending.capacity() > MAX_IOV {
            self.pending = VecDeque::new();
        }
        Ok(())
    }

    async fn close(&mut self) {
        let _ = self.stream.shutdown().await;
    }
}

/// Accepts STOMP connections until `shutdown` fires; each gets its own session task. With
/// `tls`, the handshake comes first, within `limits.connect_timeout_ms` (the time a peer has to
/// send CONNECT, which the session then bounds as on the plain listener).
pub async fn accept_loop(
    mut acceptor: Acceptor,
    tls: Option<TlsAcceptor>,
    context: Context,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let (stream, remote) = tokio::select! {
            _ = crate::shutdown::stopped(&mut shutdown) => break,
            accepted = acceptor.accept() => accepted,
        };
        let context = context.clone();
        let Some(tls) = tls.clone() else {
            let peer = PeerInfo {
                remote: Some(remote),
                transport: "tcp",
                subprotocol: None,
            };
            tokio::spawn(serve_session(context, TcpTransport::new(stream), peer));
            continue;
        };
        tokio::spawn(async move {
            let deadline = Duration::from_millis(context.config().limits.connect_timeout_ms);
            match tokio::time::timeout(deadline, tls.accept(stream)).await {
                Ok(Ok(stream)) => {
                    let peer = PeerInfo {
                        remote: Some(remote),
                        transport: "tls",
                        subprotocol: None,
                    };
                    serve_session(context, TcpTransport::new(stream), peer).await;
                }
                Ok(Err(e)) => tracing::debug!(%remote, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%remote, "TLS handshake timed out"),
            }
        });
    }
}
