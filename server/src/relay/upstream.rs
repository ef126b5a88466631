//! [`Upstream`]: one client session's own connection to the external broker.
//!
//! Opened when the client CONNECTs (at the client's protocol version), so the broker sees one
//! consumer per client: acks, redelivery of what a vanished client left unacknowledged, and
//! receipts keep their meaning. The session hands it the frames for broker destinations
//! (destinations mapped, see [`super::destination`]); a task owns the TCP connection, writes
//! those frames, heart-beats, and turns what the broker sends into frames in the session's
//! outbox:
//!
//! - MESSAGE: subscription ids are the client's own (each session has its own broker
//!   connection, so they cannot clash); the `destination` is given back as the client
//!   subscribed it (`/user/queue/x`, a literal) or percent-decoded (a pattern's match).
//! - RECEIPT: the client's receipt id, passed through. A client frame's `receipt` travels on the
//!   last frame it caused the broker to see, so the RECEIPT means the broker has it.
//! - ERROR: passed to the client, then the session closes (RabbitMQ keeps some connections open
//!   after an ERROR; STOMP clients expect the close).
//!
//! If the broker connection fails, the client gets an ERROR naming the broker and its session
//! closes; clients reconnect as they would to any server. While the outbox is congested the task
//! stops reading from the broker, so a slow client slows its broker consumer (TCP backpressure)
//! instead of filling memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stomp_wasm::{ByteStr, Command, Decoded, Encoder, Frame, Version};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::connection::{self, BrokerReader, BrokerWriter, Heartbeats};
use super::destination::{
    broker_destination, client_destination, split_user_send, user_destination, MapError,
};
use super::error::RelayError;
use super::stats::RelayStats;
use super::Relay;
use crate::broker::destination::Route;
use crate::broker::{lock, SessionLink};
use crate::outbox::{OutFrame, Pushed};

/// Receipt id of the relay's own DISCONNECT.
const DISCONNECT_RECEIPT: &str = "stomp-server-relay-disconnect";

/// What the session asks of its broker connection task.
#[derive(Debug)]
enum ToBroker {
    Frame(Frame),
    /// DISCONNECT with a receipt; answered once the broker has processed everything before it.
    Disconnect(oneshot::Sender<()>),
}

/// State shared between the session side and the task.
#[derive(Debug, Default)]
struct Shared {
    lost: AtomicBool,
    /// Subscription id → the destination MESSAGEs carry back to the client (`None`: the
    /// broker's, decoded). Bounded by the session's `max_subscriptions`.
    subscriptions: Mutex<HashMap<String, Option<String>>>,
    disconnected: Mutex<Option<oneshot::Sender<()>>>,
}

impl Shared {
    fn subscriptions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Option<String>>> {
        lock(&self.subscriptions)
    }
}

/// A session's broker connection, seen from the session. See the [module docs](self).
#[derive(Debug)]
pub struct Upstream {
    relay: Arc<Relay>,
    session_id: Arc<str>,
    /// Whose `/user` destinations this session subscribes to: its login, or its session id.
    user_key: Arc<str>,
    tx: mpsc::Sender<ToBroker>,
    shared: Arc<Shared>,
    /// Frames caused by the client frame being handled, sent by [`Upstream::end_frame`] (at most
    /// one transaction's worth).
    pending: Vec<Frame>,
    send_timeout: Duration,
}

impl Upstream {
    /// Opens the broker connection of a session that is connecting.
    pub async fn open(
        relay: &Arc<Relay>,
        link: &Arc<SessionLink>,
        version: Version,
    ) -> Result<Upstream, RelayError> {
        let (reader, writer, heartbeats) =
            match connection::open(relay.config(), relay.tls(), relay.limits(), version).await {
                Ok(opened) => opened,
                Err(e) => {
                    relay
                        .stats
                        .upstream_failures
                        .fetch_add(1, Ordering::Relaxed);
                    return Err(e);
                }
            };
        relay.stats.upstreams.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(relay.config().pending_frames);
        let shared = Arc::new(Shared::default());
        let user_key = link.user().cloned().unwrap_or_else(|| Arc::clone(&link.id));
        relay.register_session(&link.id, link.user());
        tokio::spawn(run(
            Task {
                reader,
                writer,
                heartbeats,
                link: Arc::clone(link),
                shared: Arc::clone(&shared),
                encoder: Encoder::new(version),
                broker: relay.config().broker.clone(),
                stats: Arc::clone(&relay.stats),
            },
            rx,
        ));
        Ok(Upstream {
            relay: Arc::clone(relay),
            session_id: Arc::clone(&link.id),
            user_key,
            tx,
            shared,
            pending: Vec::new(),
            send_timeout: relay.send_timeout(),
        })
    }

    /// The broker connection is gone: the session must close (its ERROR is already queued).
    pub fn is_lost(&self) -> bool {
        self.shared.lost.load(Ordering::Acquire)
    }

    /// A SEND to a broker or user destination.
    pub fn send(&mut self, frame: Frame, route: Route<'_>) -> Result<(), MapError> {
        let destination = frame.get("destination").unwrap_or_default().to_owned();
        let mapped = match route {
            Route::User(rest) => {
                let (name, target) = split_user_send(rest)?;
                self.relay.check_user_target(target)?;
                user_destination(name, target)
            }
            other => broker_destination(&destination, other)?,
        };
        let mut out = forwarded(Command::Send, &frame);
        out.headers.set("destination", mapped);
        self.pending.push(out);
        Ok(())
    }

    /// A SUBSCRIBE to a broker or `/user` destination, under the client's subscription id.
    pub fn subscribe(
        &mut self,
        frame: &Frame,
        destination: &str,
        route: Route<'_>,
        id: &ByteStr,
    ) -> Result<(), MapError> {
        let (mapped, shown) = match route {
            Route::User(target) => {
                self.relay.check_user_target(target)?;
                (
                    user_destination(&self.user_key, target),
                    Some(destination.to_owned()),
                )
            }
            other => {
                let mapped = broker_destination(destination, other)?;
                let literal = !destination.contains(['*', '?', '{']);
                (mapped, literal.then(|| destination.to_owned()))
            }
        };
        let mut out = forwarded(Command::Subscribe, frame);
        out.headers.set("destination", mapped);
        out.headers.set("id", id.clone());
        self.shared.subscriptions().insert(id.to_string(), shown);
        self.pending.push(out);
        Ok(())
    }

    pub fn unsubscribe(&mut self, id: &str) {
        self.shared.subscriptions().remove(id);
        self.pending
            .push(Frame::new(Command::Unsubscribe).header("id", id.to_owned()));
    }

    /// An ACK or NACK (its ids are the broker's, passed through).
    pub fn ack(&mut self, frame: &Frame) {
        self.pending.push(forwarded(frame.command, frame));
    }

    /// The client frame is handled: sends what it caused to the broker. Returns the receipt the
    /// session must answer itself (`None` when the broker will: it rides on the last frame sent,
    /// or on the relay's DISCONNECT).
    pub async fn end_frame(
        &mut self,
        command: Command,
        receipt: Option<ByteStr>,
    ) -> Option<ByteStr> {
        if command == Command::Disconnect {
            // Everything sent before must have reached the broker before the client hears back.
            self.disconnect().await;
            return receipt;
        }
        let Some(last) = self.pending.last_mut() else {
            return receipt;
        };
        let local = match receipt {
            Some(r) => {
                last.headers.set("receipt", r);
                None
            }
            None => None,
        };
        let stats = &self.relay.stats;
        for frame in std::mem::take(&mut self.pending) {
            stats.upstream_pending.fetch_add(1, Ordering::Relaxed);
            if self.tx.send(ToBroker::Frame(frame)).await.is_err() {
                stats.upstream_pending.fetch_sub(1, Ordering::Relaxed);
                // The task ended: it has queued the ERROR and flagged the loss.
                break;
            }
        }
        local
    }

    /// Asks the broker to confirm everything sent so far, waiting at most the send timeout.
    async fn disconnect(&mut self) {
        let (done, confirmed) = oneshot::channel();
        if self.tx.send(ToBroker::Disconnect(done)).await.is_ok()
            && tokio::time::timeout(self.send_timeout, confirmed)
                .await
                .is_err()
        {
            tracing::debug!(session = %self.session_id, "broker did not confirm DISCONNECT in time");
        }
    }

    /// The session is over: the task disconnects from the broker (which requeues whatever the
    /// client left unacknowledged).
    pub fn close(self) {
        self.relay.unregister_session(&self.session_id);
    }
}

/// A client frame as the broker gets it: the session applies transactions itself (frames reach
/// the broker at COMMIT) and receipts are attached by [`Upstream::end_frame`].
fn forwarded(command: Command, frame: &Frame) -> Frame {
    let mut out = Frame::new(command);
    for (name, value) in frame.headers.entries() {
        if !matches!(name.as_str(), "receipt" | "transaction") {
            out.headers.push(name, value);
        }
    }
    out.body = frame.body.clone();
    out
}

struct Task {
    reader: BrokerReader,
    writer: BrokerWriter,
    heartbeats: Heartbeats,
    link: Arc<SessionLink>,
    shared: Arc<Shared>,
    encoder: Encoder,
    broker: String,
    stats: Arc<RelayStats>,
}

/// Why the task stopped.
enum End {
    /// The session closed its side: disconnect politely.
    SessionOver,
    /// The broker sent an ERROR (already passed to the client).
    BrokerError,
    Failed(RelayError),
}

async fn run(mut task: Task, mut rx: mpsc::Receiver<ToBroker>) {
    let end = task.pump(&mut rx).await;
    // Frames still queued will never be written: no longer pending (later sends fail and
    // uncount themselves).
    rx.close();
    while let Ok(request) = rx.try_recv() {
        if matches!(request, ToBroker::Frame(_)) {
            task.stats.upstream_pending.fetch_sub(1, Ordering::Relaxed);
        }
    }
    match end {
        End::SessionOver => {
            // DISCONNECT: the broker requeues what this consumer left unacknowledged.
            let _ = task.writer.write(&Frame::new(Command::Disconnect)).await;
        }
        End::BrokerError => task.lost(None),
        End::Failed(e) => {
            tracing::info!(session = %task.link.id, broker = %task.broker, error = %e, "broker connection lost");
            task.stats.upstreams_lost.fetch_add(1, Ordering::Relaxed);
            task.lost(Some(e));
        }
    }
    task.writer.shutdown().await;
    task.stats.upstreams.fetch_sub(1, Ordering::Relaxed);
}

impl Task {
    async fn pump(&mut self, rx: &mut mpsc::Receiver<ToBroker>) -> End {
        let mut last_read = Instant::now();
        let mut last_write = Instant::now();
        loop {
            let congested = self.link.outbox.is_congested();
            let deadline = self.heartbeats.next_deadline(last_read, last_write);
            tokio::select! {
                request = rx.recv() => {
                    let frame = match request {
                        Some(ToBroker::Frame(f)) => {
                            self.stats.upstream_pending.fetch_sub(1, Ordering::Relaxed);
                            f
                        }
                        Some(ToBroker::Disconnect(done)) => {
                            *lock(&self.shared.disconnected) = Some(done);
                            Frame::new(Command::Disconnect).header("receipt", DISCONNECT_RECEIPT)
                        }
                        None => return End::SessionOver,
                    };
                    if let Err(e) = self.writer.write(&frame).await {
                        return End::Failed(e);
                    }
                    last_write = Instant::now();
                }
                decoded = self.reader.next(), if !congested => {
                    last_read = Instant::now();
                    match decoded {
                        Ok(Decoded::Heartbeat) => {}
                        Ok(Decoded::Frame(f)) => {
                            if let Some(end) = self.on_broker_frame(f) {
                                return end;
                            }
                        }
                        Err(e) => return End::Failed(e),
                    }
                }
                _ = self.link.outbox.wait_for_space(), if congested => {
                    // We were not reading: the broker's silence meanwhile was ours.
                    last_read = Instant::now();
                    if self.link.outbox.is_closed() {
                        return End::SessionOver;
                    }
                }
                _ = sleep_until(deadline) => {
                    let now = Instant::now();
                    if self.heartbeats.receive.is_some_and(|d| now >= last_read + d * 3) && !congested {
                        return End::Failed(RelayError::Protocol("broker heart-beats stopped".into()));
                    }
                    if self.heartbeats.send.is_some_and(|d| now >= last_write + d) {
                        if let Err(e) = self.writer.heartbeat().await {
                            return End::Failed(e);
                        }
                        last_write = now;
                    }
                }
            }
        }
    }

    /// A frame from the broker, for the client. `Some` ends the task.
    fn on_broker_frame(&mut self, mut frame: Frame) -> Option<End> {
        match frame.command {
            Command::Message => {
                let shown = frame
                    .get("subscription")
                    .and_then(|id| self.shared.subscriptions().get(id).cloned());
                let destination = match shown {
                    Some(Some(d)) => d,
                    _ => client_destination(frame.get("destination").unwrap_or_default()),
                };
                frame.headers.set("destination", destination);
                let bytes = self.encoder.encode_to_bytes(&frame);
                match self.link.outbox.push(OutFrame::Whole(bytes)) {
                    Pushed::Closed => Some(End::SessionOver),
                    // The session closes itself as a slow consumer (or dropped it, by policy).
                    _ => None,
                }
            }
            Command::Receipt => {
                if frame.get("receipt-id") == Some(DISCONNECT_RECEIPT) {
                    if let Some(done) = lock(&self.shared.disconnected).take() {
                        let _ = done.send(());
                    }
                    return None;
                }
                self.push_control(&frame);
                None
            }
            Command::Error => {
                tracing::debug!(session = %self.link.id, message = ?frame.get("message"), "broker ERROR");
                self.push_control(&frame);
                Some(End::BrokerError)
            }
            other => Some(End::Failed(RelayError::Protocol(format!(
                "unexpected {other} frame from the broker"
            )))),
        }
    }

    fn push_control(&self, frame: &Frame) {
        self.link
            .outbox
            .push_control(OutFrame::Whole(self.encoder.encode_to_bytes(frame)));
    }

    /// Tells the session its broker connection is gone.
    fn lost(&self, error: Option<RelayError>) {
        if let Some(e) = error {
            if !self.link.outbox.is_closed() {
                self.push_control(&Frame::error(
                    "message broker connection lost",
                    format!(
                        "the connection to the message broker ({}) failed: {e}",
                        self.broker
                    ),
                ));
            }
        }
        self.shared.lost.store(true, Ordering::Release);
        // Wakes the session after the flag is set, so it sees it once it has sent the ERROR
        // (a heart-beat EOL is harmless after any frame).
        self.link.outbox.push_control(OutFrame::Heartbeat);
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
