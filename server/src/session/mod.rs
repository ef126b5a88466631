//! One STOMP session: the per-connection protocol state, independent of the transport.
//!
//! - [`transport`]: the contract a transport fulfils ([`StompTransport`]) and a channel-backed one.
//! - `driver`: [`serve_session`], the loop that joins a transport, the session and the broker.
//! - `heartbeat`, `transaction`: negotiation/timing and BEGIN/COMMIT/ABORT bookkeeping.
//!
//! This file holds [`Session`]: CONNECT negotiation, every client frame, receipts, and the
//! ERROR-then-close answer to every protocol violation. A violation only ever ends its own
//! session.

mod driver;
mod heartbeat;
mod transaction;
pub mod transport;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use stomp_wasm::{ByteStr, Command, Decoded, Decoder, Encoder, Frame, Headers, Version};
use tokio::time::Instant;

pub(crate) use driver::serve_bounded;
pub use driver::serve_session;
pub use transport::{ChannelTransport, PeerInfo, StompTransport};

use crate::admission::{Place, Refused};
use crate::app::{HandlerError, HandlerResult, Reply, Request, SessionEvent};
use crate::auth::Action;
use crate::broker::destination::Route;
use crate::broker::message::{Delivery, Message};
use crate::broker::{AckMode, ActiveSubscription, SessionLink};
use crate::context::Context;
use crate::dedup::{Admission, Principal, OFFLINE_ID_HEADER};
use crate::metrics::counters::{server_command, OpenConnection};
use crate::metrics::{Metrics, Tally, TransportMetrics};
use crate::outbox::{OutFrame, Outbox};
use crate::relay::Upstream;
use heartbeat::Heartbeats;
use transaction::Transactions;

/// How a session is bounded before its CONNECT frame.
pub(crate) struct BeforeConnect {
    /// The pending-connection place held until CONNECT (`None`: bounded by its transport).
    pending: Option<Place>,
    connect_timeout: Duration,
}

/// A protocol violation: answered with an ERROR frame, then the session closes.
#[derive(Debug)]
struct Violation {
    message: String,
    detail: String,
    /// An extra ERROR header (`version` on a failed negotiation).
    header: Option<(&'static str, String)>,
}

impl Violation {
    fn new(message: impl Into<String>) -> Violation {
        Violation {
            message: message.into(),
            detail: String::new(),
            header: None,
        }
    }

    fn detail(mut self, detail: impl Into<String>) -> Violation {
        self.detail = detail.into();
        self
    }
}

impl<E: std::error::Error> From<E> for Violation {
    fn from(e: E) -> Violation {
        Violation::new(e.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitingConnect,
    Connected,
    Closing,
}

/// A subscription as its session holds it.
#[derive(Debug)]
enum Active {
    Broker(ActiveSubscription),
    /// A SUBSCRIBE to an application destination: answered once, nothing to cancel.
    App,
    /// Relay mode: a subscription held by the external broker.
    Relayed,
}

/// Runs a handler, turning a panic into a handler error: application code must not take the
/// session (and its cleanup) down with it.
async fn guarded(handler: crate::app::BoxFuture<HandlerResult>) -> HandlerResult {
    use futures_util::FutureExt;
    match std::panic::AssertUnwindSafe(handler).catch_unwind().await {
        Ok(result) => result,
        Err(_) => Err(HandlerError::new("handler panicked")),
    }
}

/// The ERROR message for a connection the server has no place for.
fn refusal_message(refused: &Refused) -> &'static str {
    if refused.per_address {
        "too many connections from this address"
    } else {
        "too many connections"
    }
}

/// Logs and counts a refused connection: one client over its own limit is routine (debug), the
/// server full is news for the operator (warn).
fn record_refusal(context: &Context, refused: &Refused, peer: &PeerInfo) {
    Metrics::bump(&context.metrics().transport(peer.transport).rejected);
    if refused.per_address {
        tracing::debug!(transport = peer.transport, remote = ?peer.remote, %refused, "connection refused");
    } else {
        tracing::warn!(transport = peer.transport, remote = ?peer.remote, %refused, "connection refused");
    }
}

fn required<'a>(frame: &'a Frame, name: &str) -> Result<&'a str, Violation> {
    frame
        .get(name)
        .ok_or_else(|| Violation::new(format!("{} frame without {name} header", frame.command)))
}

/// The protocol state of one connection. See the [module docs](self).
pub(crate) struct Session {
    context: Context,
    link: Arc<SessionLink>,
    peer: PeerInfo,
    decoder: Decoder,
    encoder: Encoder,
    phase: Phase,
    connected: bool,
    heartbeats: Heartbeats,
    subscriptions: HashMap<ByteStr, Active>,
    transactions: Transactions,
    created: Instant,
    /// Time from `created` to the CONNECT frame.
    connect_timeout: Duration,
    /// Until CONNECT: the pending-connection place (none when the transport bounds its
    /// not-yet-connected sessions itself). Dropped when `connected` is taken.
    pending: Option<Place>,
    /// From CONNECT: the session's `limits.max_connections` place.
    place: Option<Place>,
    last_read: Instant,
    last_write: Instant,
    /// Sessions this one's publishing left congested: reading from the peer pauses until they
    /// drain (publisher flow control), for at most `publish_throttle_ms`.
    congested: Vec<Arc<SessionLink>>,
    throttle_since: Option<Instant>,
    paused: bool,
    /// Relay mode: this session's connection to the external broker (opened at CONNECT).
    upstream: Option<Upstream>,
    /// Frame counts not yet added to the server's metrics, and this transport's counters.
    tally: Tally,
    transport: Arc<TransportMetrics>,
    _open: OpenConnection,
}

impl Session {
    pub fn new(context: Context, peer: PeerInfo, before: BeforeConnect) -> Session {
        let config = context.config();
        let limits = &config.limits;
        let link = Arc::new(SessionLink::new(
            context.next_session_id(),
            Outbox::new(limits.outbound_buffer, limits.slow_consumer)
                .counting_drops(Arc::clone(context.metrics())),
        ));
        let transport = context.metrics().transport(peer.transport);
        let now = Instant::now();
        Session {
            decoder: Decoder::new(limits.codec()),
            encoder: Encoder::new(Version::V1_2),
            transactions: Transactions::new(limits.max_transactions, limits.max_transaction_frames),
            link,
            peer,
            phase: Phase::AwaitingConnect,
            connected: false,
            heartbeats: Heartbeats::OFF,
            subscriptions: HashMap::new(),
            created: now,
            connect_timeout: before.connect_timeout,
            pending: before.pending,
            place: None,
            last_read: now,
            last_write: now,
            congested: Vec::new(),
            throttle_since: None,
            paused: false,
            upstream: None,
            tally: Tally::default(),
            _open: transport.opened(),
            transport,
            context,
        }
    }

    /// Counts frames about to be handed to the transport.
    pub fn sending(&mut self, frames: &VecDeque<OutFrame>) {
        for frame in frames {
            let (head, _) = frame.parts();
            self.tally.sent(server_command(head), frame.len());
        }
    }

    /// Adds what this session counted since the last call to the server's metrics.
    pub fn flush_metrics(&mut self) {
        self.tally.flush(self.context.metrics(), &self.transport);
    }

    fn metrics(&self) -> &Metrics {
        self.context.metrics()
    }

    pub fn link(&self) -> &Arc<SessionLink> {
        &self.link
    }

    pub fn is_closing(&self) -> bool {
        self.phase == Phase::Closing || self.upstream.as_ref().is_some_and(Upstream::is_lost)
    }

    /// Bytes from the peer: decodes and handles every complete frame.
    pub async fn on_bytes(&mut self, data: &[u8]) {
        self.last_read = Instant::now();
        self.decoder.feed(data);
        self.process().await;
    }

    /// Frames are buffered but were left undecoded because publishing congested a subscriber.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Handles buffered frames until none is complete, the session closes, or a publish congests
    /// a subscriber (the rest waits for [`throttle`](Self::throttle) to clear).
    pub async fn process(&mut self) {
        self.paused = false;
        while self.phase != Phase::Closing {
            if !self.congested.is_empty() {
                self.paused = true;
                break;
            }
            let buffered = self.decoder.buffered();
            match self.decoder.decode() {
                Ok(None) => break,
                Ok(Some(Decoded::Heartbeat)) => self.tally.received_heartbeat(),
                Ok(Some(Decoded::Frame(frame))) => {
                    let len = buffered - self.decoder.buffered();
                    self.tally.received(frame.command, len);
                    self.on_frame(frame).await
                }
                Err(e) => {
                    self.fail(Violation::new(e.to_string()), None);
                    break;
                }
            }
        }
    }

    /// Something was written to the peer.
    pub fn wrote(&mut self, now: Instant) {
        self.last_write = now;
    }

    /// A subscriber session to wait for before reading more from this peer: publishing has
    /// filled its outbox past half. Waiting is bounded by `publish_throttle_ms`; after that the
    /// subscriber's own slow-consumer policy applies.
    pub fn throttle(&mut self, now: Instant) -> Option<Arc<SessionLink>> {
        if self.congested.is_empty() {
            return None;
        }
        let me = &self.link;
        self.congested
            .retain(|l| !Arc::ptr_eq(l, me) && l.outbox.is_congested() && !l.outbox.is_closed());
        let limit = Duration::from_millis(self.context.config().limits.publish_throttle_ms);
        let since = *self.throttle_since.get_or_insert(now);
        if self.congested.is_empty() || now >= since + limit {
            self.congested.clear();
            self.throttle_since = None;
            // The peer's silence while we were not reading was our doing, not its.
            self.last_read = self.last_read.max(now);
            return None;
        }
        self.congested.first().cloned()
    }

    /// The next instant [`on_timer`](Self::on_timer) has work to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        let connect =
            (self.phase == Phase::AwaitingConnect).then(|| self.created + self.connect_timeout);
        let throttle_end = self.throttle_since.map(|since| {
            since + Duration::from_millis(self.context.config().limits.publish_throttle_ms)
        });
        [
            connect,
            throttle_end,
            self.heartbeats.read_deadline(self.last_read),
            self.heartbeats.send_due(self.last_write),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Timeouts and heart-beats.
    pub fn on_timer(&mut self, now: Instant) {
        if self.phase == Phase::AwaitingConnect && now >= self.created + self.connect_timeout {
            Metrics::bump(&self.metrics().connect_timeouts);
            self.fail(Violation::new("no CONNECT frame in time"), None);
            return;
        }
        if self.throttle_since.is_none()
            && self
                .heartbeats
                .read_deadline(self.last_read)
                .is_some_and(|d| now >= d)
        {
            tracing::debug!(session = %self.link.id, "peer silent past its heart-beat interval");
            Metrics::bump(&self.metrics().heartbeat_timeouts);
            self.fail(
                Violation::new("heart-beat timeout: nothing received from the client"),
                None,
            );
            return;
        }
        if self
            .heartbeats
            .send_due(self.last_write)
            .is_some_and(|d| now >= d)
        {
            self.link.outbox.push_control(OutFrame::Heartbeat);
            self.last_write = now;
        }
    }

    /// The server is shutting down.
    pub fn shutdown(&mut self) {
        if self.phase != Phase::Closing {
            self.fail(Violation::new("server shutting down"), None);
        }
    }

    /// The ERROR a slow consumer gets (its buffered frames are already discarded).
    pub fn slow_consumer(&mut self) -> OutFrame {
        self.phase = Phase::Closing;
        tracing::info!(session = %self.link.id, "closing slow consumer");
        Metrics::bump(&self.metrics().slow_consumer_closes);
        let frame = Frame::error(
            "slow consumer: outbound buffer limit exceeded",
            format!(
                "more than {} bytes were waiting for this client",
                self.context.config().limits.outbound_buffer
            ),
        );
        OutFrame::Whole(self.encoder.encode_to_bytes(&frame))
    }

    /// Leaves the broker: cancels subscriptions, returns unacknowledged queue messages, forgets
    /// open transactions.
    pub async fn finish(mut self) {
        self.flush_metrics();
        self.link.outbox.close();
        if let Some(upstream) = self.upstream.take() {
            upstream.close();
        }
        let broker = self.context.broker();
        for (_, active) in self.subscriptions.drain() {
            if let Active::Broker(a) = active {
                broker.unsubscribe(&a);
            }
        }
        if self.connected {
            self.transport.session_ended();
            broker.unregister(&self.link);
            let event = SessionEvent {
                session_id: Arc::clone(&self.link.id),
                user: self.link.user().cloned(),
            };
            if let Some(hook) = self
                .context
                .app()
                .disconnect_hook(event, self.context.broker_handle())
            {
                hook.await;
            }
        }
        tracing::debug!(session = %self.link.id, transport = self.peer.transport, "session ended");
    }

    fn push_frame(&self, frame: &Frame) {
        self.link
            .outbox
            .push_control(OutFrame::Whole(self.encoder.encode_to_bytes(frame)));
    }

    fn push_receipt(&self, receipt_id: ByteStr) {
        self.push_frame(&Frame::new(Command::Receipt).header("receipt-id", receipt_id));
    }

    fn fail(&mut self, v: Violation, receipt: Option<ByteStr>) {
        tracing::debug!(session = %self.link.id, error = %v.message, "protocol violation");
        let mut frame = Frame::error(v.message, v.detail);
        if let Some(r) = receipt {
            frame.headers.push("receipt-id", r);
        }
        if let Some((name, value)) = v.header {
            frame.headers.push(name, value);
        }
        self.push_frame(&frame);
        self.phase = Phase::Closing;
    }

    async fn on_frame(&mut self, frame: Frame) {
        let receipt = frame.headers.get_bytestr("receipt");
        let command = frame.command;
        // A frame held in a transaction has done nothing yet: its receipt waits for the COMMIT
        // (as RabbitMQ answers a transactional SEND's), or the ABORT, see `end_transaction`.
        let held = matches!(command, Command::Send | Command::Ack | Command::Nack)
            && frame.get("transaction").is_some();
        match self.handle(frame).await {
            Ok(()) => {
                let receipt = receipt.filter(|_| !held);
                // Relay mode: what the frame caused goes to the broker, which answers its receipt.
                let receipt = match &mut self.upstream {
                    Some(up) => up.end_frame(command, receipt).await,
                    None => receipt,
                };
                if let Some(r) = receipt {
                    if !matches!(command, Command::Connect | Command::Stomp) {
                        self.push_receipt(r);
                    }
                }
            }
            Err(v) => {
                if let Some(up) = &mut self.upstream {
                    up.end_frame(command, None).await;
                }
                self.fail(v, receipt)
            }
        }
    }

    async fn handle(&mut self, frame: Frame) -> Result<(), Violation> {
        match (self.phase, frame.command) {
            (_, Command::Connected | Command::Message | Command::Receipt | Command::Error) => Err(
                Violation::new(format!("{} is a server frame", frame.command)),
            ),
            (Phase::AwaitingConnect, Command::Connect | Command::Stomp) => {
                let result = self.connect(frame).await;
                self.transport.connect(result.is_ok());
                result
            }
            (Phase::AwaitingConnect, c) => {
                Err(Violation::new(format!("expected CONNECT, got {c}")))
            }
            (_, Command::Connect | Command::Stomp) => Err(Violation::new("already connected")),
            (_, Command::Send) => self.send(frame).await,
            (_, Command::Subscribe) => self.subscribe(frame).await,
            (_, Command::Unsubscribe) => self.unsubscribe(&frame),
            (_, Command::Ack) => self.ack(frame, false),
            (_, Command::Nack) => self.ack(frame, true),
            (_, Command::Begin) => {
                let tx = required(&frame, "transaction")?;
                Ok(self.transactions.begin(tx)?)
            }
            (_, Command::Commit) => self.end_transaction(&frame, true).await,
            (_, Command::Abort) => self.end_transaction(&frame, false).await,
            (_, Command::Disconnect) => {
                self.phase = Phase::Closing;
                Ok(())
            }
        }
    }

    async fn connect(&mut self, frame: Frame) -> Result<(), Violation> {
        let context = self.context.clone();
        // The connection place is taken now, not when the transport opened: peers that never
        // CONNECT (a flood of SockJS sessions, silent sockets) cannot starve connected ones.
        let place = context
            .admit(self.peer.remote.map(|a| a.ip()))
            .map_err(|refused| {
                record_refusal(&context, &refused, &self.peer);
                Violation::new(refusal_message(&refused)).detail(refused.to_string())
            })?;
        self.place = Some(place);
        self.pending = None;
        let config = context.config();
        let versions = context.versions();
        let Some(version) = Version::negotiate(frame.get("accept-version"), versions) else {
            let list: Vec<&str> = versions.iter().map(|v| v.as_str()).collect();
            return Err(Violation {
                header: Some(("version", list.join(","))),
                ..Violation::new("unsupported protocol version")
                    .detail(format!("supported versions are {}", list.join(",")))
            });
        };
        if let Some(sub) = self.peer.subprotocol.filter(|s| *s != version) {
            tracing::debug!(subprotocol = %sub, negotiated = %version, "CONNECT overrides the WebSocket subprotocol");
        }
        // 1.0 has no heart-beats (and no `heart-beat` header in CONNECTED).
        let answer = if version == Version::V1_0 {
            None
        } else {
            let client = heartbeat::parse(frame.get("heart-beat"))
                .ok_or_else(|| Violation::new("malformed heart-beat header"))?;
            Some((client, heartbeat::answer(client, &config.heartbeat)))
        };
        let heartbeats = answer.map_or(Heartbeats::OFF, |(client, context)| {
            Heartbeats::negotiate(client, context, config.heartbeat.tolerance)
        });
        let address = self.peer.remote.map(|a| a.ip());
        if let Some(wait) = address.and_then(|a| context.login_throttle().blocked_for(a)) {
            tracing::info!(remote = ?self.peer.remote, "CONNECT refused: too many failed logins");
            return Err(Violation::new("too many failed logins").detail(format!(
                "this address failed too many CONNECTs; retry in {} s",
                wait.as_secs().max(1)
            )));
        }
        let user = context
            .authenticator()
            .authenticate(frame.get("login"), frame.get("passcode"))
            .map_err(|e| {
                Metrics::bump(&self.transport.auth_failures);
                if let Some(a) = address {
                    context.login_throttle().failed(a);
                }
                Violation::new("authentication failed").detail(e.to_string())
            })?;

        self.link.set_version(version);
        if let Some(u) = &user {
            self.link.set_user(Arc::from(u.as_str()));
        }
        if let Some(relay) = context.relay() {
            let upstream = Upstream::open(relay, &self.link, version)
                .await
                .map_err(|e| Violation::new("message broker unavailable").detail(e.to_string()))?;
            self.upstream = Some(upstream);
        }
        self.decoder.set_version(version);
        self.encoder.set_version(version);
        self.heartbeats = heartbeats;
        self.phase = Phase::Connected;
        self.connected = true;
        context.broker().register(&self.link);

        let mut connected = Frame::new(Command::Connected)
            .header("version", version.as_str())
            .header("session", self.link.id.to_string())
            .header(
                "server",
                concat!("stomp-server/", env!("CARGO_PKG_VERSION")),
            );
        if let Some((_, (sx, sy))) = answer {
            connected.headers.push("heart-beat", format!("{sx},{sy}"));
        }
        if let Some(u) = user {
            connected.headers.push("user-name", u);
        }
        self.push_frame(&connected);
        tracing::debug!(session = %self.link.id, %version, transport = self.peer.transport, "connected");

        let event = SessionEvent {
            session_id: Arc::clone(&self.link.id),
            user: self.link.user().cloned(),
        };
        if let Some(hook) = context.app().connect_hook(event, context.broker_handle()) {
            hook.await;
        }
        Ok(())
    }

    /// Refuses destinations under no prefix and those the authorizer denies.
    fn check_destination(&self, destination: &str, action: Action) -> Result<(), Violation> {
        if self.context.broker().route(destination) == Route::Unknown {
            return Err(Violation::new(format!(
                "destination {destination:?} is under no configured prefix"
            )));
        }
        let user = self.link.user().map(|u| &**u);
        if !self
            .context
            .authorizer()
            .authorize(user, action, destination)
        {
            let m = self.metrics();
            Metrics::bump(match action {
                Action::Send => &m.denied_sends,
                Action::Subscribe => &m.denied_subscribes,
            });
            return Err(Violation::new(format!("access denied to {destination:?}")));
        }
        Ok(())
    }

    async fn send(&mut self, frame: Frame) -> Result<(), Violation> {
        let destination = required(&frame, "destination")?;
        self.check_destination(destination, Action::Send)?;
        if let Some(tx) = frame.get("transaction") {
            let tx = tx.to_owned();
            return Ok(self.transactions.hold(&tx, frame)?);
        }
        self.apply_send(frame).await
    }

    async fn apply_send(&mut self, frame: Frame) -> Result<(), Violation> {
        // Relay mode: a SEND is taken when the external broker confirms it, which this node
        // does not see per frame, so remembering its id here could drop a re-send of a frame
        // the broker never got. Against the relay, delivery stays at-least-once (README).
        let principal = self.principal().filter(|_| self.upstream.is_none());
        let context = self.context.clone();
        let dedup = context.dedup();
        let id = frame.get(OFFLINE_ID_HEADER);
        match (&principal, id) {
            (Some(p), Some(id)) => match dedup.admit(p, Some(id), Instant::now().into_std()) {
                // Taken before, by an earlier connection whose RECEIPT never arrived: the
                // receipt is answered (by `on_frame`), the frame is not delivered again.
                Admission::Duplicate => {
                    tracing::debug!(session = %self.link.id, id, "re-sent SEND dropped");
                    Metrics::bump(&context.metrics().duplicate_sends);
                    Ok(())
                }
                Admission::New => {
                    let id = id.to_owned();
                    let result = self.deliver_send(frame).await;
                    if result.is_err() {
                        // Not taken after all: a re-send must get through.
                        dedup.forget(p, &id);
                    }
                    result
                }
                Admission::Untracked => self.deliver_send(frame).await,
            },
            _ => self.deliver_send(frame).await,
        }
    }

    /// Who this session's SENDs are deduplicated for: its login, else its address.
    fn principal(&self) -> Option<Principal> {
        match self.link.user() {
            Some(login) => Some(Principal::Login(Arc::clone(login))),
            None => self.peer.remote.map(|a| Principal::Address(a.ip())),
        }
    }

    async fn deliver_send(&mut self, frame: Frame) -> Result<(), Violation> {
        let destination = frame
            .headers
            .get_bytestr("destination")
            .ok_or_else(|| Violation::new("SEND frame without destination header"))?;
        let broker = self.context.broker();
        if let Route::App(path) = broker.route(&destination) {
            let path = path.to_owned();
            self.dispatch_app(destination.to_string(), path, frame.headers, frame.body)
                .await;
            return Ok(());
        }
        if let Some(up) = &mut self.upstream {
            return Ok(up.send(frame, broker.route(&destination))?);
        }
        broker.send_named(
            &destination,
            &frame.headers,
            frame.body,
            &mut self.congested,
        )?;
        Ok(())
    }

    fn request(&self, destination: String, path: String, headers: Headers, body: Bytes) -> Request {
        Request {
            session_id: Arc::clone(&self.link.id),
            user: self.link.user().cloned(),
            destination,
            path,
            vars: Vec::new(),
            headers,
            body,
            broker: self.context.broker_handle(),
        }
    }

    /// A SEND to an application destination: run the handler, publish its reply.
    async fn dispatch_app(
        &mut self,
        destination: String,
        path: String,
        headers: Headers,
        body: Bytes,
    ) {
        let context = self.context.clone();
        let mut req = self.request(destination, path, headers, body);
        let found = context
            .app()
            .find_message(&req.path)
            .map(|(route, vars)| (Arc::clone(&route.handler), route.send_to.clone(), vars));
        let result = match found {
            Some((handler, send_to, vars)) => {
                req.vars = vars;
                guarded(handler(req.clone()))
                    .await
                    .map(|reply| (reply, send_to))
            }
            None => Err(HandlerError::new(format!(
                "no handler for {}",
                req.destination
            ))),
        };
        match result {
            Ok((Some(reply), send_to)) => {
                let default = send_to
                    .unwrap_or_else(|| format!("{}{}", context.default_topic_prefix(), req.path));
                self.publish_reply(reply, &default);
            }
            Ok((None, _)) => {}
            Err(e) => self.handler_failed(&req, &e),
        }
    }

    fn publish_reply(&self, reply: Reply, default_destination: &str) {
        let destination = reply.destination.as_deref().unwrap_or(default_destination);
        if let Err(e) =
            self.context
                .broker_handle()
                .send_with_headers(destination, &reply.headers, reply.body)
        {
            tracing::warn!(session = %self.link.id, error = %e, "handler reply not delivered");
        }
    }

    fn handler_failed(&self, req: &Request, err: &HandlerError) {
        tracing::debug!(session = %self.link.id, destination = %req.destination, error = %err, "handler failed");
        let Some(reply) = self.context.app().error_reply(req, err) else {
            return;
        };
        let broker = self.context.broker_handle();
        let result = match &reply.destination {
            Some(d) => broker.send_with_headers(d, &reply.headers, reply.body),
            None => broker.send_to_user(&self.link.id, "/queue/errors", &reply.headers, reply.body),
        };
        if let Err(e) = result {
            tracing::warn!(session = %self.link.id, error = %e, "error reply not delivered");
        }
    }

    async fn subscribe(&mut self, frame: Frame) -> Result<(), Violation> {
        let destination = required(&frame, "destination")?.to_owned();
        let id = match frame.headers.get_bytestr("id") {
            Some(id) => id,
            // 1.0 made `id` optional: the destination names the subscription.
            None if self.link.version() == Version::V1_0 => ByteStr::from(destination.clone()),
            None => return Err(Violation::new("SUBSCRIBE frame without id header")),
        };
        if self.subscriptions.contains_key(&id) {
            return Err(Violation::new(format!(
                "subscription id {id:?} already in use"
            )));
        }
        let max = self.context.config().limits.max_subscriptions;
        if self.subscriptions.len() >= max {
            return Err(Violation::new(format!("more than {max} subscriptions")));
        }
        self.check_destination(&destination, Action::Subscribe)?;
        let ack = AckMode::parse(frame.get("ack")).ok_or_else(|| {
            Violation::new(format!(
                "invalid ack mode {:?}",
                frame.get("ack").unwrap_or("")
            ))
        })?;
        let broker = self.context.broker();
        if let Route::App(path) = broker.route(&destination) {
            let path = path.to_owned();
            self.subscriptions.insert(id.clone(), Active::App);
            self.subscribe_app(destination, path, id, frame.headers)
                .await;
            return Ok(());
        }
        if let Some(up) = &mut self.upstream {
            up.subscribe(&frame, &destination, broker.route(&destination), &id)?;
            self.subscriptions.insert(id, Active::Relayed);
            return Ok(());
        }
        let active = broker.subscribe(&self.link, &destination, id.clone(), ack)?;
        self.subscriptions.insert(id, Active::Broker(active));
        Ok(())
    }

    /// A SUBSCRIBE to an application destination: the handler's reply goes straight back.
    async fn subscribe_app(
        &mut self,
        destination: String,
        path: String,
        id: ByteStr,
        headers: Headers,
    ) {
        let context = self.context.clone();
        let mut req = self.request(destination, path, headers, Bytes::new());
        let found = context
            .app()
            .find_subscribe(&req.path)
            .map(|(route, vars)| (Arc::clone(&route.handler), vars));
        let result = match found {
            Some((handler, vars)) => {
                req.vars = vars;
                guarded(handler(req.clone())).await
            }
            None => Err(HandlerError::new(format!(
                "no subscribe handler for {}",
                req.destination
            ))),
        };
        match result {
            Ok(Some(reply)) if reply.destination.is_some() => self.publish_reply(reply, ""),
            Ok(Some(reply)) => {
                let message = Message::new(
                    context.broker().next_message_id(),
                    ByteStr::from(req.destination.clone()),
                    reply.headers,
                    reply.body,
                );
                let frame = message.frame_for(&Delivery {
                    version: self.link.version(),
                    destination: &req.destination,
                    subscription: &id,
                    with_ack_header: false,
                    redelivered: false,
                });
                self.link.outbox.push(frame);
            }
            Ok(None) => {}
            Err(e) => self.handler_failed(&req, &e),
        }
    }

    fn unsubscribe(&mut self, frame: &Frame) -> Result<(), Violation> {
        let id = match frame.get("id") {
            Some(id) => id,
            None if self.link.version() == Version::V1_0 => required(frame, "destination")?,
            None => return Err(Violation::new("UNSUBSCRIBE frame without id header")),
        };
        // An unknown id is not an error: the subscription may already be gone.
        match self.subscriptions.remove(&ByteStr::from(id.to_owned())) {
            Some(Active::Broker(active)) => self.context.broker().unsubscribe(&active),
            Some(Active::Relayed) => {
                if let Some(up) = &mut self.upstream {
                    up.unsubscribe(id);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn ack(&mut self, frame: Frame, nack: bool) -> Result<(), Violation> {
        if nack && self.link.version() == Version::V1_0 {
            return Err(Violation::new("NACK is not part of STOMP 1.0"));
        }
        // 1.2 names the message by `id` (MESSAGE's `ack`) and requires it, as RabbitMQ does: a
        // 1.2 ACK without one is refused, not ignored. 1.0/1.1 name it by `message-id`; this
        // server uses one number for both, so those versions may use either header.
        let names_message = match self.link.version() {
            Version::V1_2 => frame.get("id").is_some(),
            _ => frame
                .get("id")
                .or_else(|| frame.get("message-id"))
                .is_some(),
        };
        if !names_message {
            return Err(Violation::new(format!(
                "{} frame without {} header",
                frame.command,
                if self.link.version() == Version::V1_2 {
                    "id"
                } else {
                    "message-id"
                }
            )));
        }
        if let Some(tx) = frame.get("transaction") {
            let tx = tx.to_owned();
            return Ok(self.transactions.hold(&tx, frame)?);
        }
        self.apply_ack(&frame, nack);
        Ok(())
    }

    fn apply_ack(&mut self, frame: &Frame, nack: bool) {
        if let Some(up) = &mut self.upstream {
            up.ack(frame);
            return;
        }
        let id = frame.get("id").or_else(|| frame.get("message-id"));
        // An id this server never issued cannot be pending: nothing to settle.
        let Some(id) = id.and_then(|i| i.parse::<u64>().ok()) else {
            return;
        };
        let settled = self.link.settle(id, frame.get("subscription"));
        if settled.is_empty() {
            return;
        }
        let broker = self.context.broker();
        if nack {
            broker.nack(&self.link, settled);
        } else {
            broker.ack(settled);
        }
    }

    /// COMMIT applies the held frames in order, ABORT drops them. Either way each held frame's
    /// receipt is answered now, in order and before the COMMIT's or ABORT's own: after a COMMIT
    /// it means the frame took effect (in relay mode: was handed to the broker connection);
    /// after an ABORT, that it was discarded as asked. RabbitMQ never answers the receipt of an
    /// aborted SEND; we do, so that a client waiting on a receipt is never left waiting forever
    /// (the client that sent the ABORT knows what the frames came to).
    async fn end_transaction(&mut self, frame: &Frame, commit: bool) -> Result<(), Violation> {
        let frames = self.transactions.end(required(frame, "transaction")?)?;
        for f in frames {
            let receipt = f.headers.get_bytestr("receipt");
            if commit {
                match f.command {
                    Command::Send => self.apply_send(f).await?,
                    Command::Ack => self.apply_ack(&f, false),
                    Command::Nack => self.apply_ack(&f, true),
                    _ => {}
                }
            }
            if let Some(r) = receipt {
                self.push_receipt(r);
            }
        }
        Ok(())
    }
}
