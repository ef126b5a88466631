//! STOMP over raw TCP.
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
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::server::Server;
use crate::session::{serve_session, OutFrame, PeerInfo, StompTransport};

const SCRATCH: usize = 64 * 1024;
/// Slices per vectored write (well under every platform's IOV_MAX).
const MAX_IOV: usize = 64;

thread_local! {
    static READ_SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0; SCRATCH]);
}

/// A TCP connection as a [`StompTransport`].
#[derive(Debug)]
pub struct TcpTransport {
    stream: TcpStream,
    pending: VecDeque<Bytes>,
}

impl TcpTransport {
    pub fn new(stream: TcpStream) -> TcpTransport {
        TcpTransport {
            stream,
            pending: VecDeque::new(),
        }
    }
}

impl StompTransport for TcpTransport {
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

/// Accepts STOMP TCP connections until `shutdown` fires; each gets its own session task.
pub async fn accept_loop(
    listener: TcpListener,
    server: Server,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = crate::server::stopped(&mut shutdown) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    // Latency over batching: frames are already coalesced per flush.
                    let _ = stream.set_nodelay(true);
                    let peer = PeerInfo { remote: Some(remote), transport: "tcp", subprotocol: None };
                    tokio::spawn(serve_session(server.clone(), TcpTransport::new(stream), peer));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
        }
    }
}
