//! The HTTP listeners (`http`, and `https` over TLS): our own accept loop serving the axum
//! router through hyper's HTTP/1.1 server.
//!
//! Not `axum::serve`, which has no header-read timeout: a peer that opens a connection and sends
//! nothing (or a request head one byte at a time) would hold a file descriptor forever. Here:
//!
//! - `limits.http_header_timeout_ms`: hyper's header-read timeout, which runs from the moment the
//!   connection waits for a request head (when it opens, and after each response), so it bounds
//!   silent connections, slow heads and idle keep-alive connections alike;
//! - `limits.http_idle_timeout_ms`: a connection on which no byte moves either way for this long
//!   is closed, which bounds a stalled request body or a client that stops reading. Upgraded
//!   (WebSocket) connections leave this loop and are watched by their STOMP session instead;
//! - a TLS handshake must complete within the header timeout too.
//!
//! Each request carries [`ConnectInfo<SocketAddr>`](axum::extract::ConnectInfo) with the peer's
//! address. On shutdown the listener stops accepting, connections finish the request in flight
//! (bounded by [`DRAIN`]) and close.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::accept::Acceptor;
use crate::config::LimitsConfig;
use crate::shutdown::stopped;

/// How long connections may take to finish their request in flight at shutdown.
const DRAIN: Duration = Duration::from_secs(5);

/// The timeouts of one HTTP listener.
#[derive(Debug, Clone, Copy)]
pub struct HttpTimeouts {
    pub header: Duration,
    pub idle: Duration,
}

impl HttpTimeouts {
    pub fn from_limits(limits: &LimitsConfig) -> HttpTimeouts {
        HttpTimeouts {
            header: Duration::from_millis(limits.http_header_timeout_ms),
            idle: Duration::from_millis(limits.http_idle_timeout_ms),
        }
    }
}

/// Serves `router` on every connection `acceptor` accepts (through TLS when `tls` is given)
/// until `stop` is set, then drains the connections.
pub async fn serve(
    mut acceptor: Acceptor,
    router: axum::Router,
    tls: Option<TlsAcceptor>,
    timeouts: HttpTimeouts,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped(&mut stop) => break,
            (stream, remote) = acceptor.accept() => {
                let router = router.clone();
                let stop = stop.clone();
                match tls.clone() {
                    None => connections.spawn(connection(stream, remote, router, timeouts, stop)),
                    Some(tls) => connections.spawn(async move {
                        match tokio::time::timeout(timeouts.header, tls.accept(stream)).await {
                            Ok(Ok(stream)) => connection(stream, remote, router, timeouts, stop).await,
                            Ok(Err(e)) => tracing::debug!(%remote, error = %e, "TLS handshake failed"),
                            Err(_) => tracing::debug!(%remote, "TLS handshake timed out"),
                        }
                    }),
                };
            }
            // Reap finished connections so the set holds only live ones.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    let drained = tokio::time::timeout(DRAIN, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::debug!(
            open = connections.len(),
            "HTTP connections still busy at shutdown; closing them"
        );
    }
}

/// Serves one HTTP/1.1 connection until it closes, upgrades, times out or drains at shutdown.
async fn connection<S>(
    stream: S,
    remote: SocketAddr,
    router: axum::Router,
    timeouts: HttpTimeouts,
    mut stop: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let moved = Arc::new(AtomicU64::new(0));
    let io = TokioIo::new(Metered {
        inner: stream,
        moved: Arc::clone(&moved),
    });
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(remote));
        router.clone().oneshot(request)
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header)
        .serve_connection(io, service)
        .with_upgrades();
    tokio::pin!(connection);
    let mut idle = IdleWatch::new(moved, timeouts.idle);
    let mut draining = false;
    loop {
        tokio::select! {
            served = connection.as_mut() => {
                if let Err(e) = served {
                    // Header timeouts, resets, malformed requests: the peer's problem.
                    tracing::debug!(%remote, error = %e, "HTTP connection ended");
                }
                break;
            }
            _ = stopped(&mut stop), if !draining => {
                connection.as_mut().graceful_shutdown();
                draining = true;
            }
            _ = idle.expired() => {
                tracing::debug!(%remote, "HTTP connection idle too long; closing it");
                break;
            }
        }
    }
}

/// A stream that counts the bytes moving through it, for the idle timeout.
struct Metered<S> {
    inner: S,
    moved: Arc<AtomicU64>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Metered<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = buf.filled().len() - before;
        if read > 0 {
            self.moved.fetch_add(read as u64, Ordering::Relaxed);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Metered<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.count(&polled);
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.count(&polled);
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<S> Metered<S> {
    fn count(&self, polled: &Poll<io::Result<usize>>) {
        if let Poll::Ready(Ok(n)) = polled {
            self.moved.fetch_add(*n as u64, Ordering::Relaxed);
        }
    }
}

/// Completes once a connection's byte count has not changed for the idle timeout (checked a
/// few times per timeout, so it fires between 1 and 1.25 timeouts after the last byte).
struct IdleWatch {
    moved: Arc<AtomicU64>,
    seen: u64,
    since: Instant,
    timeout: Duration,
    ticks: tokio::time::Interval,
}

impl IdleWatch {
    fn new(moved: Arc<AtomicU64>, timeout: Duration) -> IdleWatch {
        let mut ticks = tokio::time::interval(timeout / 4);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        IdleWatch {
            moved,
            seen: 0,
            since: Instant::now(),
            timeout,
            ticks,
        }
    }

    /// Cancel-safe: the state only changes after a tick.
    async fn expired(&mut self) {
        loop {
            self.ticks.tick().await;
            let moved = self.moved.load(Ordering::Relaxed);
            if moved != self.seen {
                self.seen = moved;
                self.since = Instant::now();
            } else if self.since.elapsed() >= self.timeout {
                return;
            }
        }
    }
}
