//! [`serve_session`]: runs one STOMP session over any [`StompTransport`] until either side ends
//! it.
//!
//! One task per session: it waits for bytes from the peer, for frames the broker queued in the
//! session's outbox, for its next timer (heart-beats, CONNECT timeout) or for server shutdown,
//! handles whichever comes first, then flushes the outbox to the transport (bounded by the send
//! timeout: a peer that stops reading cannot hold the session forever).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use stomp_wasm::{Encoder, Frame};
use tokio::time::{timeout, Instant};

use super::transport::{PeerInfo, StompTransport};
use super::{record_refusal, refusal_message, BeforeConnect, Session};
use crate::broker::SessionLink;
use crate::context::Context;
use crate::metrics::Metrics;
use crate::outbox::OutFrame;

/// Serves one STOMP session over `transport` until the peer disconnects, the session ends it
/// (DISCONNECT, protocol error, heart-beat timeout, slow consumer) or the server shuts down.
///
/// This is the transport-agnostic entry point: TCP, WebSocket and SockJS all end up here. The
/// connection limits are applied here too: until CONNECT the peer holds a pending-connection
/// place and has `limits.connect_timeout_ms`; its CONNECT takes a `limits.max_connections`
/// place. A peer the server has no place for gets an ERROR and is closed. `context` is the
/// server's (a [`Server`](crate::Server) converts into it).
pub async fn serve_session<T: StompTransport>(
    context: impl Into<Context>,
    transport: T,
    peer: PeerInfo,
) {
    let context = context.into();
    let connect_timeout = Duration::from_millis(context.config().limits.connect_timeout_ms);
    serve_bounded(context, transport, peer, true, connect_timeout).await;
}

/// [`serve_session`] for transports that bound their not-yet-connected sessions themselves
/// (`pending_place` false: the SockJS session registry does) or give them another time to
/// CONNECT.
pub(crate) async fn serve_bounded<T: StompTransport>(
    context: Context,
    mut transport: T,
    peer: PeerInfo,
    pending_place: bool,
    connect_timeout: Duration,
) {
    let send_timeout = Duration::from_millis(context.config().limits.send_timeout_ms);
    let _count = context.count_session();
    let pending = match pending_place.then(|| context.admit_pending(peer.remote.map(|a| a.ip()))) {
        None => None,
        Some(Ok(place)) => Some(place),
        Some(Err(refused)) => {
            record_refusal(&context, &refused, &peer);
            let frame = Frame::error(refusal_message(&refused), refused.to_string());
            let mut out =
                VecDeque::from([OutFrame::Whole(Encoder::default().encode_to_bytes(&frame))]);
            let _ = timeout(send_timeout, transport.send(&mut out)).await;
            transport.close().await;
            return;
        }
    };
    let before = BeforeConnect {
        pending,
        connect_timeout,
    };
    let mut session = Session::new(context.clone(), peer, before);
    let link = Arc::clone(session.link());
    let mut shutdown = context.shutdown_signal();
    let mut out: VecDeque<OutFrame> = VecDeque::new();

    loop {
        let throttle = session.throttle(Instant::now());
        let deadline = session.next_deadline();
        if throttle.is_none() && session.is_paused() {
            // The subscribers we were waiting for have drained: handle the frames left buffered.
            session.process().await;
        } else {
            tokio::select! {
            _ = crate::shutdown::stopped(&mut shutdown) => session.shutdown(),
            _ = link.outbox.ready() => {}
            // Publisher flow control: while a subscriber we publish to is congested, stop
            // reading from our peer (TCP/WebSocket backpressure reaches it) but keep flushing.
            _ = wait_for_space(throttle.as_deref()), if throttle.is_some() => {}
            received = transport.recv(), if throttle.is_none() => match received {
                Ok(Some(bytes)) => session.on_bytes(&bytes).await,
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!(session = %link.id, error = %e, "transport error");
                    break;
                }
            },
            _ = sleep_until(deadline) => session.on_timer(Instant::now()),
            }
        }
        if link.outbox.drain_into(&mut out) {
            out.clear();
            out.push_back(session.slow_consumer());
        }
        // Counted before the send, so a client that has read a frame also sees it in /metrics.
        session.sending(&out);
        session.flush_metrics();
        if !out.is_empty() {
            match timeout(send_timeout, transport.send(&mut out)).await {
                Ok(Ok(())) => session.wrote(Instant::now()),
                Ok(Err(e)) => {
                    tracing::debug!(session = %link.id, error = %e, "write failed");
                    break;
                }
                Err(_) => {
                    tracing::info!(session = %link.id, "send timeout: closing");
                    Metrics::bump(&context.metrics().send_timeouts);
                    break;
                }
            }
            out.clear();
            if out.capacity() > 64 {
                out = VecDeque::new();
            }
        }
        if session.is_closing() {
            break;
        }
    }
    session.finish().await;
    transport.close().await;
}

async fn wait_for_space(link: Option<&SessionLink>) {
    if let Some(link) = link {
        link.outbox.wait_for_space().await;
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
