//! [`Session`]: the client state machine. See the [module docs](super) for how a shell drives it.
//!
//! Two layers of state:
//!
//! - the **activation state** the user sees ([`ActivationState`]: ACTIVE, DEACTIVATING,
//!   INACTIVE), changed by `activate` / `deactivate` and by giving up on reconnection;
//! - the **connection phase** of the current transport ([`Phase`]), which cycles
//!   idle → (beforeConnect) → opening → handshaking → connected → … → idle on every attempt.
//!
//! What outlives a connection: the config, the subscriptions (re-sent after a reconnect), the
//! watched receipt ids, the offline queue and the id counter (so ids never repeat).

use crate::prelude::*;

use super::debug_line::{self, Arg, DebugLine};
use super::header_list::HeaderList;
use super::heartbeat::{self, Heartbeats};
use super::offline::{find, take, Held, OfflineQueue};
use super::received::Received;
use super::records::{put_bytes, put_u32, Frame, Out, Records, Signal, Text};
use super::split::piece_len;
use super::{
    Action, ActivationState, ClientError, Event, Millis, ReconnectTimeMode, SessionConfig,
};
use crate::codec::{push_byte, push_decimal, Encoder, FrameView, ViewDecoder, Viewed};
use crate::frame::{Command, Version};
use crate::sockjs::binary;

/// stompjs reports a discarded transport as closed with this code.
const DISCARDED_CODE: u16 = 4001;
const DISCARDED_REASON: &str = "transport discarded by the STOMP client";

/// A SEND, as `publish({destination, headers, body, binaryBody, skipContentLengthHeader})`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Publish {
    pub destination: String,
    pub headers: HeaderList,
    pub body: Vec<u8>,
    /// The body came as `binaryBody`: the frame goes as a binary transport message.
    pub binary: bool,
    /// `skipContentLengthHeader`: no `content-length` on a text body (unless it holds a NUL);
    /// a binary body always carries one, as in stompjs.
    pub skip_content_length: bool,
}

impl Publish {
    /// A text publish with no extra headers.
    pub fn new(destination: impl Into<String>, body: impl Into<Vec<u8>>) -> Publish {
        Publish {
            destination: destination.into(),
            body: body.into(),
            ..Publish::default()
        }
    }
}

/// Where the current connection attempt stands.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// No transport. A reconnection may be scheduled (`Session::reconnect_at`).
    Idle,
    /// Waiting for the shell's `beforeConnect` to finish.
    BeforeConnect,
    /// Transport requested, not yet open.
    Opening,
    /// CONNECT sent, waiting for CONNECTED.
    Handshaking,
    /// CONNECTED received.
    Connected,
    /// DISCONNECT sent, waiting for its RECEIPT until `Session::disconnect_deadline`.
    Disconnecting,
    /// Close requested, waiting for the transport to report it closed.
    Closing,
}

/// The client session. See the [module docs](super).
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    state: ActivationState,
    phase: Phase,

    /// Negotiated version while connected.
    version: Option<Version>,
    /// `None` only while [`transport_data`](Self::transport_data) has it out.
    decoder: Option<ViewDecoder>,
    wire: Wire,

    heartbeats: Heartbeats,
    last_sent: Millis,
    last_received: Millis,

    /// When the current attempt must have reached CONNECTED (`connectionTimeout`).
    connect_deadline: Millis,
    /// When the next reconnection attempt starts.
    reconnect_at: Millis,
    /// When a graceful deactivate stops waiting for the DISCONNECT's RECEIPT.
    disconnect_deadline: Millis,
    /// The wait before the next reconnection (grows in exponential mode).
    next_reconnect_delay: f64,
    /// Reconnection attempts since the last CONNECTED.
    reconnect_attempts: u32,

    /// Shared by subscription, transaction and receipt ids, as in stompjs.
    counter: u64,
    /// Live subscriptions, oldest first (what a reconnect re-sends).
    subscriptions: Vec<Held>,
    /// A `Vec`, not a hash set: receipts are rare and few, and hashing would cost Wasm size.
    /// Receipt ids as the names of a [`HeaderList`] (values empty): one buffer, not a string
    /// each. `watched` counts them.
    watched_receipts: HeaderList,
    watched: usize,
    /// The DISCONNECT's receipt id: meaningful in [`Phase::Disconnecting`] only (set on the way
    /// in), so no `Option`.
    disconnect_receipt: String,
    offline: OfflineQueue,

    /// What to do and what to tell, as records (see [`records`]), read by `poll_*` or taken
    /// whole by [`take_records`](Self::take_records).
    actions: Records,
    /// Bytes of send records not yet polled: the native API's (the browser core takes every
    /// record after each call, so nothing is ever pending there; see `check_send_buffer`).
    #[cfg(feature = "std")]
    pending_send_bytes: usize,
    events: Records,
}

impl Session {
    pub fn new(config: SessionConfig) -> Session {
        Session {
            decoder: Some(ViewDecoder::new(config.decoder_limits())),
            next_reconnect_delay: f64::from(config.reconnect_delay),
            config,
            state: ActivationState::Inactive,
            phase: Phase::Idle,
            version: None,
            wire: Wire::default(),
            heartbeats: Heartbeats::default(),
            last_sent: 0.0,
            last_received: 0.0,
            connect_deadline: NEVER,
            reconnect_at: NEVER,
            disconnect_deadline: NEVER,
            reconnect_attempts: 0,
            counter: 0,
            subscriptions: Vec::new(),
            watched_receipts: HeaderList::new(),
            watched: 0,
            disconnect_receipt: String::new(),
            offline: OfflineQueue::default(),
            actions: Records::default(),
            #[cfg(feature = "std")]
            pending_send_bytes: 0,
            events: Records::default(),
        }
    }

    // ----- configuration and read-only state -----

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The config, to change. Most settings apply from the next connection attempt, as in
    /// stompjs (`beforeConnect` uses this to refresh credentials).
    pub fn config_mut(&mut self) -> &mut SessionConfig {
        &mut self.config
    }

    /// Replaces the config (stompjs `configure`).
    pub fn configure(&mut self, config: SessionConfig) {
        self.config = config;
    }

    pub fn state(&self) -> ActivationState {
        self.state
    }

    /// stompjs `active`: ACTIVE (connected, connecting or waiting to reconnect).
    pub fn active(&self) -> bool {
        self.state == ActivationState::Active
    }

    /// stompjs `connected`: CONNECTED has arrived on the current transport.
    pub fn connected(&self) -> bool {
        matches!(self.phase, Phase::Connected | Phase::Disconnecting)
    }

    /// stompjs `connectedVersion`.
    pub fn connected_version(&self) -> Option<Version> {
        self.version
    }

    /// The negotiated heart-beat intervals in ms, `(outgoing, incoming)`; 0 = none.
    pub fn negotiated_heartbeats(&self) -> (u32, u32) {
        (self.heartbeats.outgoing, self.heartbeats.incoming)
    }

    /// The ids of the live subscriptions, oldest first.
    pub fn subscription_ids(&self) -> impl Iterator<Item = &str> {
        self.subscriptions.iter().map(Held::id)
    }

    /// Frames in the offline queue (sent or not, waiting for their RECEIPT).
    pub fn offline_queue_len(&self) -> usize {
        self.offline.len()
    }

    /// Bytes held by the offline queue.
    pub fn offline_queue_bytes(&self) -> usize {
        self.offline.bytes()
    }

    /// Drops everything in the offline queue.
    pub fn clear_offline_queue(&mut self) {
        self.offline.clear();
    }

    /// The id a MESSAGE is acknowledged with under the connected version: its `ack` header in
    /// 1.2, its `message-id` before (what stompjs's `message.ack()` passes to `ack`).
    pub fn ack_id<'f>(&self, message: &'f Received) -> Option<&'f str> {
        match self.version {
            Some(Version::V1_2) => message.get("ack").or_else(|| message.get("message-id")),
            _ => message.get("message-id"),
        }
    }

    // ----- outputs -----

    /// The next thing to do with the transport.
    pub fn poll_action(&mut self) -> Option<Action> {
        let action = Action::from_record(self.actions.next()?)?;
        #[cfg(feature = "std")]
        if let Action::Send { data, .. } = &action {
            self.pending_send_bytes = self.pending_send_bytes.saturating_sub(data.len());
        }
        Some(action)
    }

    /// The next thing to tell the user.
    pub fn poll_event(&mut self) -> Option<Event> {
        Event::from_record(self.events.next()?)
    }

    /// Moves every event record, then every action record (see [`records`]), to the end of
    /// `out`: what the browser core hands to JavaScript, the events first as
    /// [`poll_event`](Self::poll_event) before [`poll_action`](Self::poll_action) would give them.
    pub fn take_records(&mut self, out: &mut Vec<u8>) {
        self.events.take_into(out);
        self.actions.take_into(out);
        // Counted by the native API only (see `check_send_buffer`).
        #[cfg(feature = "std")]
        {
            self.pending_send_bytes = 0;
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next, if ever.
    pub fn poll_timeout(&self) -> Option<Millis> {
        let next = self.next_timeout();
        (next < NEVER).then_some(next)
    }

    /// [`poll_timeout`](Self::poll_timeout) as a plain time, infinity for never (what the
    /// browser core hands on, without an `Option` to build and take apart).
    pub fn next_timeout(&self) -> Millis {
        let mut next = earliest(self.reconnect_at, self.connect_deadline);
        if self.phase == Phase::Disconnecting {
            next = earliest(next, self.disconnect_deadline);
        }
        if self.connected() {
            next = earliest(next, self.heartbeat_send_at());
            next = earliest(next, self.heartbeat_lost_at());
        }
        next
    }

    // ----- user inputs -----

    /// stompjs `activate()`: start connecting, and keep reconnecting until `deactivate`.
    pub fn activate(&mut self, now: Millis) -> Result<(), ClientError> {
        match self.state {
            ActivationState::Deactivating => Err(ClientError::StillDeactivating),
            ActivationState::Active => {
                self.debug(DebugLine::AlreadyActive, &[]);
                Ok(())
            }
            ActivationState::Inactive => {
                self.set_state(ActivationState::Active);
                // The backoff starts over with each activation (and only then: a connection
                // that succeeds between failures does not reset it, as in stompjs).
                self.next_reconnect_delay = f64::from(self.config.reconnect_delay);
                let (delay, max) = (self.config.reconnect_delay, self.config.max_reconnect_delay);
                if self.config.reconnect_time_mode == ReconnectTimeMode::Exponential
                    && max > 0
                    && max < delay
                {
                    self.debug(
                        DebugLine::MaxBelowDelay,
                        &[Arg::Number(max.into()), Arg::Number(delay.into())],
                    );
                }
                self.reconnect_attempts = 0;
                self.begin_attempt(now);
                Ok(())
            }
        }
    }

    /// The shell's `beforeConnect` has finished (its promise resolved).
    pub fn before_connect_done(&mut self, now: Millis) {
        if self.phase != Phase::BeforeConnect {
            return;
        }
        self.phase = Phase::Idle;
        if self.active() {
            self.open_transport(now);
        } else {
            self.debug(DebugLine::NotConnecting, &[]);
        }
    }

    /// stompjs `deactivate({force})`. Graceful: DISCONNECT with a receipt, wait for the RECEIPT
    /// (at most `disconnect_timeout`), close. `force`: drop the transport at once. Either way no
    /// reconnection follows; the state goes DEACTIVATING, then INACTIVE once the transport is
    /// gone (the moment to resolve the JavaScript promise). On an INACTIVE session it does
    /// nothing (resolve at once).
    pub fn deactivate(&mut self, now: Millis, force: bool) {
        if self.state == ActivationState::Inactive {
            return;
        }
        self.set_state(ActivationState::Deactivating);
        self.reconnect_at = NEVER;
        match self.phase {
            Phase::Idle | Phase::BeforeConnect => {
                self.phase = Phase::Idle;
                self.set_state(ActivationState::Inactive);
            }
            _ if force => self.discard_transport(now),
            Phase::Connected => {
                let receipt = self.next_id("close-");
                let encoded = Outgoing {
                    content_length: true,
                    ..Outgoing::new(
                        Command::Disconnect,
                        &[("receipt", &receipt)],
                        &self.config.disconnect_headers,
                    )
                }
                .encode(self.wire);
                self.disconnect_receipt = receipt;
                self.send_encoded(now, encoded);
                let timeout = self.config.disconnect_timeout;
                self.phase = Phase::Disconnecting;
                self.disconnect_deadline = after(now, timeout);
            }
            Phase::Opening | Phase::Handshaking => self.close_transport(),
            Phase::Disconnecting | Phase::Closing => {}
        }
    }

    /// stompjs `forceDisconnect()`: drop the current transport (close, or discard with
    /// `discard_websocket_on_comm_failure`) without deactivating; reconnection follows as after
    /// any loss.
    pub fn force_disconnect(&mut self, now: Millis) {
        if matches!(
            self.phase,
            Phase::Opening | Phase::Handshaking | Phase::Connected | Phase::Disconnecting
        ) {
            self.comm_failure(now);
        }
    }

    /// Starts the scheduled reconnection now instead of waiting out the delay (e.g. on the
    /// browser's `online` event). Does nothing unless a reconnection is scheduled.
    pub fn reconnect_now(&mut self, now: Millis) {
        if self.reconnect_at < NEVER {
            self.reconnect_at = now;
            self.handle_timeout(now);
        }
    }

    /// stompjs `publish`. Connected: sent now. Not connected: queued when the offline queue is
    /// on, else [`ClientError::NotConnected`].
    pub fn publish(&mut self, now: Millis, publish: Publish) -> Result<(), ClientError> {
        let Publish {
            destination,
            headers,
            body,
            binary,
            skip_content_length,
        } = &publish;
        self.publish_parts(
            now,
            destination,
            headers,
            body,
            *binary,
            *skip_content_length,
        )
    }

    /// [`publish`](Self::publish) from borrowed parts (what the browser core reads from its
    /// request buffer): a frame sent now is encoded from them, and only the offline queue
    /// copies them.
    pub fn publish_parts(
        &mut self,
        now: Millis,
        destination: &str,
        headers: &HeaderList,
        body: &[u8],
        binary: bool,
        skip_content_length: bool,
    ) -> Result<(), ClientError> {
        let connected = self.phase == Phase::Connected;
        // stompjs's rule: a binary body always says its length, an empty one never does, and
        // `skipContentLengthHeader` leaves it out of the rest (the encoder still adds it to a body
        // holding a NUL, which could not be framed without it).
        let content_length = binary || (!body.is_empty() && !skip_content_length);
        if connected {
            self.check_send_buffer(body.len())?;
        }
        match &self.config.offline_queue {
            Some(cfg) if !connected || cfg.while_connected => {
                // A queued frame carries the queue's id, appended by `OfflineQueue::push`: the
                // user's header of that name is left out by `Held::send` rather than replaced.
                // The body copied by `extend_from_slice`, there anyway: `into` brought an
                // allocation path of its own to the browser core.
                let mut copy = Vec::new();
                copy.extend_from_slice(body);
                let queued = Held::send(destination, headers, copy, content_length, binary);
                let queued = self.offline.push(queued, cfg)?;
                if connected {
                    // Sent now; the flush after the next CONNECTED re-sends it if unreceipted.
                    // Encoded from the queued entry where it lies (no copy of it).
                    let encoded = encode_held(self.wire, queued);
                    self.send_encoded(now, encoded);
                }
                Ok(())
            }
            _ if connected => {
                // Written straight into the send buffer: no `Frame` per publish.
                self.send(
                    now,
                    Outgoing {
                        body,
                        content_length,
                        binary,
                        ..Outgoing::new(Command::Send, &[("destination", destination)], headers)
                    },
                );
                Ok(())
            }
            _ => Err(ClientError::NotConnected),
        }
    }

    /// stompjs `subscribe(destination, callback, headers)`: returns the subscription id (the
    /// `id` header if given, else `sub-<n>`). With `resubscribe` on, a subscription made while
    /// disconnected is sent at the next CONNECTED; otherwise it needs a connection.
    pub fn subscribe(
        &mut self,
        now: Millis,
        destination: &str,
        headers: HeaderList,
    ) -> Result<String, ClientError> {
        self.subscribe_with(now, destination, &headers, true)
    }

    /// [`subscribe`](Self::subscribe), saying whether a reconnect restores the subscription.
    /// The browser shell passes `restore: false` for subscriptions made inside `onConnect`:
    /// stompjs-style code makes them again on every connect, and restoring them as well would
    /// deliver every message twice.
    pub fn subscribe_with(
        &mut self,
        now: Millis,
        destination: &str,
        headers: &HeaderList,
        restore: bool,
    ) -> Result<String, ClientError> {
        let connected = self.phase == Phase::Connected;
        if !connected && !self.config.resubscribe {
            return Err(ClientError::NotConnected);
        }
        let id = self.given_or_next_id(headers.get("id"), "sub-");
        let mut list = HeaderList::new();
        list.push("destination", destination);
        list.push("id", id.as_str());
        // Those two are the session's (a user's `id` is the one just taken).
        list.push_all_but(headers, ["destination", "id"]);
        let sub = Held::subscribe(list, restore);
        if connected {
            self.check_send_buffer(0)?;
            let encoded = encode_held(self.wire, &sub);
            self.send_encoded(now, encoded);
        }
        self.forget_subscription(&id);
        self.subscriptions.push(sub);
        Ok(id)
    }

    /// stompjs `unsubscribe(id, headers)`. The subscription is forgotten (not restored after a
    /// reconnect); UNSUBSCRIBE goes out only when connected, since a broker forgets
    /// subscriptions with the connection anyway.
    pub fn unsubscribe(
        &mut self,
        now: Millis,
        id: &str,
        headers: &HeaderList,
    ) -> Result<(), ClientError> {
        self.forget_subscription(id);
        if self.phase != Phase::Connected {
            return Ok(());
        }
        self.send(
            now,
            Outgoing::new(Command::Unsubscribe, &[("id", id)], headers),
        );
        Ok(())
    }

    /// stompjs `begin(transactionId?)`: returns the transaction id (`tx-<n>` if none given).
    pub fn begin(&mut self, now: Millis, transaction: Option<&str>) -> Result<String, ClientError> {
        self.require_connected()?;
        let id = self.given_or_next_id(transaction, "tx-");
        self.send_transaction(now, Command::Begin, &id);
        Ok(id)
    }

    /// The id the user gave, or the next one made (subscriptions, transactions): one copy of
    /// the choice for both.
    fn given_or_next_id(&mut self, given: Option<&str>, prefix: &str) -> String {
        match given {
            Some(id) => crate::codec::owned(id),
            None => self.next_id(prefix),
        }
    }

    /// stompjs `commit(transactionId)`.
    pub fn commit(&mut self, now: Millis, transaction: &str) -> Result<(), ClientError> {
        self.transaction_end(now, Command::Commit, transaction)
    }

    /// stompjs `abort(transactionId)`.
    pub fn abort(&mut self, now: Millis, transaction: &str) -> Result<(), ClientError> {
        self.transaction_end(now, Command::Abort, transaction)
    }

    /// [`commit`](Self::commit), or [`abort`](Self::abort) when `abort` is set: one call site
    /// for the browser core.
    pub fn commit_or_abort(
        &mut self,
        now: Millis,
        abort: bool,
        transaction: &str,
    ) -> Result<(), ClientError> {
        let command = if abort {
            Command::Abort
        } else {
            Command::Commit
        };
        self.transaction_end(now, command, transaction)
    }

    /// stompjs `ack(messageId, subscriptionId, headers)`. `message_id` is what
    /// [`ack_id`](Self::ack_id) gives for the MESSAGE. Headers by version: 1.2 `id`; 1.1
    /// `message-id` + `subscription`; 1.0 `message-id`.
    pub fn ack(
        &mut self,
        now: Millis,
        message_id: &str,
        subscription: &str,
        headers: HeaderList,
    ) -> Result<(), ClientError> {
        self.acknowledge(now, Command::Ack, message_id, subscription, &headers)
    }

    /// stompjs `nack(...)`; NACK does not exist in STOMP 1.0.
    pub fn nack(
        &mut self,
        now: Millis,
        message_id: &str,
        subscription: &str,
        headers: HeaderList,
    ) -> Result<(), ClientError> {
        self.acknowledge(now, Command::Nack, message_id, subscription, &headers)
    }

    /// stompjs `watchForReceipt(receiptId, callback)`: the RECEIPT with this id will come as
    /// [`Event::Receipt`] instead of [`Event::UnhandledReceipt`]. Watches survive reconnects.
    pub fn watch_for_receipt(&mut self, receipt_id: &str) -> Result<(), ClientError> {
        let limit = self.config.receipt_watchers_limit();
        if self.watched_receipts.contains(receipt_id) {
            return Ok(());
        }
        if self.watched >= limit {
            return Err(ClientError::TooManyReceiptWatchers { limit });
        }
        self.watched_receipts.push(receipt_id, "");
        self.watched += 1;
        Ok(())
    }

    // ----- transport inputs -----

    /// The transport asked for by [`Action::OpenTransport`] is open; `protocol` is the
    /// subprotocol the server chose, if any.
    pub fn transport_opened(&mut self, now: Millis, protocol: Option<&str>) {
        if self.phase != Phase::Opening {
            return;
        }
        self.debug_arg(DebugLine::TransportOpen, protocol.unwrap_or("-"));
        self.phase = Phase::Handshaking;
        self.last_received = now;
        let encoded = self.connect_encoded();
        self.send_encoded(now, encoded);
    }

    /// The transport just opened carries strings only (a SockJS one): until the next transport
    /// a body that is not UTF-8 is sent as base64 with `content-transfer-encoding:base64` (the
    /// convention of [`sockjs::binary`](crate::sockjs::binary), which stomp-server follows on
    /// its SockJS endpoints). A received frame announcing that is handed on as it came: its
    /// reader undoes it (the page with the browser's `atob`, in less than a decoder here would
    /// weigh). Call it before [`transport_opened`](Self::transport_opened).
    pub fn transport_is_text_only(&mut self) {
        self.wire.text_only = true;
    }

    /// One transport message arrived (a WebSocket text or binary message, a SockJS message).
    pub fn transport_data(&mut self, now: Millis, data: &[u8]) {
        if !self.transport_live() {
            return;
        }
        // Out of `self` while its frames are looked at: a view borrows the decoder's buffer.
        // `on_frame` leaves it alone (CONNECTED sets its version below; a transport lost
        // meanwhile ends the loop, and the next `open_transport` restarts it). Taken out of an
        // `Option`: `mem::take` of the decoder itself built a default one to leave in its place
        // and dropped that after (-68 B gz).
        let Some(mut decoder) = self.decoder.take() else {
            return;
        };
        self.last_received = now;
        decoder.feed(data);
        // Only a message carrying a frame lost its NUL: heart-beat EOLs and whole frames stay.
        if self.config.append_missing_nul_on_incoming
            && data.last() != Some(&0)
            && data.iter().any(|&b| b != b'\n' && b != b'\r')
        {
            decoder.feed(&[0]);
        }
        while self.transport_live() {
            match decoder.decode() {
                Ok(None) => break,
                Ok(Some(Viewed::Heartbeat)) => {
                    if self.connected() {
                        self.events
                            .push(Out::Signal, Signal::HeartbeatReceived as u8);
                    }
                }
                Ok(Some(Viewed::Frame(frame))) => {
                    self.on_frame(now, &frame);
                    if let Some(version) = self.version {
                        decoder.set_version(version);
                    }
                }
                Err(error) => {
                    let mut message = String::new();
                    error.write_parts(&mut message);
                    self.text(Text::DecodeError, &message);
                    self.close_transport();
                }
            }
        }
        self.decoder = Some(decoder);
    }

    /// The transport closed (`onclose`), whoever closed it.
    pub fn transport_closed(&mut self, now: Millis, code: u16, reason: &str) {
        if matches!(self.phase, Phase::Idle | Phase::BeforeConnect) {
            return;
        }
        self.closed_event(code, reason);
        self.connection_gone(now);
    }

    /// The transport reported an error (`onerror`). A close is expected to follow.
    pub fn transport_error(&mut self, _now: Millis, message: &str) {
        if matches!(self.phase, Phase::Idle | Phase::BeforeConnect) {
            return;
        }
        self.text(Text::TransportError, message);
    }

    /// Time has reached (or passed) [`poll_timeout`](Self::poll_timeout).
    pub fn handle_timeout(&mut self, now: Millis) {
        if now >= self.reconnect_at {
            self.reconnect_at = NEVER;
            if self.config.reconnect_time_mode == ReconnectTimeMode::Exponential {
                let mut next = self.next_reconnect_delay * 2.0;
                let (delay, max) = (self.config.reconnect_delay, self.config.max_reconnect_delay);
                if max > 0 {
                    // A cap below the first delay is reported on activate(); the delay wins.
                    next = earliest(next, f64::from(max.max(delay)));
                }
                self.next_reconnect_delay = next;
            }
            if self.active() && self.phase == Phase::Idle {
                self.begin_attempt(now);
            }
        }
        if now >= self.connect_deadline {
            self.connect_deadline = NEVER;
            if matches!(self.phase, Phase::Opening | Phase::Handshaking) {
                self.debug(DebugLine::ConnectTimeout, &[]);
                self.comm_failure(now);
            }
        }
        if self.phase == Phase::Disconnecting && now >= self.disconnect_deadline {
            self.debug(DebugLine::DisconnectTimeout, &[]);
            self.close_transport();
        }
        if self.connected() {
            if now >= self.heartbeat_lost_at() {
                self.events.push(Out::Signal, Signal::HeartbeatLost as u8);
                self.comm_failure(now);
                return;
            }
            if now >= self.heartbeat_send_at() {
                self.push_send(now, b"\n", false);
            }
        }
    }

    // ----- connection lifecycle -----

    /// Starts one connection attempt: `beforeConnect` first if the shell has one.
    fn begin_attempt(&mut self, now: Millis) {
        if self.config.run_before_connect {
            self.phase = Phase::BeforeConnect;
            let at = self.actions.begin(Out::RunBeforeConnect);
            self.actions.end(at);
        } else {
            self.open_transport(now);
        }
    }

    fn open_transport(&mut self, now: Millis) {
        self.debug(DebugLine::OpeningTransport, &[]);
        self.phase = Phase::Opening;
        if let Some(decoder) = &mut self.decoder {
            decoder.restart(self.config.decoder_limits());
        }
        self.wire = Wire::default();
        let timeout = self.config.connection_timeout;
        self.connect_deadline = after(now, timeout);
        let at = self.actions.begin(Out::Open);
        let out = self.actions.buf();
        #[cfg(feature = "std")]
        put_bytes(out, self.config.broker_url.as_bytes());
        // No URL in the browser build (an empty one, the record's layout unchanged).
        #[cfg(not(feature = "std"))]
        put_u32(out, 0);
        // The subprotocols, the std build's only: in the browser `client.js` names them from
        // the version bits it configured with (one loop and three names less in the core).
        #[cfg(feature = "std")]
        {
            put_u32(out, self.config.stomp_versions.len() as u32);
            for v in self.config.stomp_versions.iter() {
                put_bytes(out, v.subprotocol().as_bytes());
            }
        }
        self.actions.end(at);
    }

    fn connect_encoded(&self) -> Encoded {
        let cfg = &self.config;
        #[cfg(feature = "std")]
        let joined = {
            let mut joined = String::new();
            for v in cfg.stomp_versions.iter() {
                if !joined.is_empty() {
                    crate::codec::utf8::push_char(&mut joined, ',');
                }
                joined.push_str(v.as_str());
            }
            joined
        };
        #[cfg(feature = "std")]
        let accept = joined.as_str();
        // Written as the header's value already (`Versions`).
        #[cfg(not(feature = "std"))]
        let accept = cfg.stomp_versions;
        // Grown as written: sizing it first cost the browser core more code than the growth.
        let mut heart_beat = String::new();
        push_decimal(&mut heart_beat, cfg.heartbeat_outgoing.into());
        crate::codec::utf8::push_char(&mut heart_beat, ',');
        push_decimal(&mut heart_beat, cfg.heartbeat_incoming.into());
        let host = own_host(cfg);
        let own = [
            ("accept-version", accept),
            ("heart-beat", &heart_beat),
            ("host", host.unwrap_or_default()),
        ];
        // `host` only when configured and not among the user's headers; the user's own `host`
        // goes with them.
        let own = if host.is_some() { &own[..] } else { &own[..2] };
        Outgoing::new(Command::Connect, own, &cfg.connect_headers).encode(self.wire)
    }

    fn on_connected(&mut self, now: Millis, frame: &FrameView) {
        let version = frame
            .get("version")
            .and_then(Version::parse)
            .unwrap_or(Version::V1_0);
        self.version = Some(version);
        self.wire.encoder.set_version(version);
        // Heart-beats are a 1.1 feature, but a server that answers `heart-beat` expects them
        // whatever version it settled on (RabbitMQ does on 1.0 and drops a silent client), so
        // the header decides, not the version. stompjs ignores it on 1.0.
        self.heartbeats = heartbeat::negotiate(
            self.config.heartbeat_outgoing,
            self.config.heartbeat_incoming,
            frame.get("heart-beat"),
        );
        self.phase = Phase::Connected;
        self.connect_deadline = NEVER;
        self.reconnect_attempts = 0;
        self.last_received = now;
        let Heartbeats { outgoing, incoming } = self.heartbeats;
        self.debug(
            DebugLine::Connected,
            &[
                Arg::Text(version.as_str()),
                Arg::Number(outgoing.into()),
                Arg::Number(incoming.into()),
            ],
        );

        // Restore subscriptions, then flush the offline queue, before the user's onConnect runs.
        // Each is encoded from its parts where they lie, then sent: no copies of them.
        let mut i = 0;
        while let Some(sub) = self.subscriptions.get(i) {
            let encoded = encode_held(self.wire, sub);
            self.send_encoded(now, encoded);
            i += 1;
        }
        let mut i = 0;
        while let Some(q) = self.offline.get(i) {
            let encoded = encode_held(self.wire, q);
            self.send_encoded(now, encoded);
            i += 1;
        }
    }

    /// Every frame but a receipt nobody waits for ends in one frame event, written here once
    /// (one call of the record writer, not one per kind of frame). A MESSAGE names its
    /// subscription, an ERROR the subscription it failed, which goes after the event.
    fn on_frame(&mut self, now: Millis, frame: &FrameView) {
        self.debug_arg(DebugLine::Received, frame.command.as_str());
        let sub = frame.get("subscription");
        let mut at = usize::MAX;
        let which = match (self.phase, frame.command) {
            (Phase::Handshaking, Command::Connected) => {
                self.on_connected(now, frame);
                Frame::Connected
            }
            (_, Command::Error) => {
                let receipt = frame.get("receipt-id");
                // The first subscription the frame names, by its SUBSCRIBE's receipt or by its
                // id.
                at = find(&self.subscriptions, "receipt", receipt).min(find(
                    &self.subscriptions,
                    "id",
                    sub,
                ));
                if at < self.subscriptions.len() {
                    Frame::SubscriptionFailed
                } else {
                    // A queued SEND the server refused would be refused again: drop it, do not
                    // loop.
                    if let Some(r) = receipt {
                        self.offline.acknowledge(r);
                    }
                    Frame::StompError
                }
            }
            (Phase::Connected | Phase::Disconnecting, Command::Message) => {
                if find(&self.subscriptions, "id", sub) == usize::MAX {
                    Frame::UnhandledMessage
                } else {
                    Frame::Message
                }
            }
            (Phase::Connected | Phase::Disconnecting, Command::Receipt) => {
                match self.on_receipt(frame) {
                    Some(which) => which,
                    None => return,
                }
            }
            _ => Frame::UnhandledFrame,
        };
        let name = match which {
            Frame::Message => sub.unwrap_or_default(),
            _ => self.subscriptions.get(at).map_or("", Held::id),
        };
        frame_event(&mut self.events, which, name, frame);
        take(&mut self.subscriptions, at);
    }

    /// The event a RECEIPT makes, if any.
    fn on_receipt(&mut self, frame: &FrameView) -> Option<Frame> {
        let Some(id) = frame.get("receipt-id") else {
            return Some(Frame::UnhandledReceipt);
        };
        if self.phase == Phase::Disconnecting && self.disconnect_receipt == id {
            self.close_transport();
            return Some(Frame::Disconnected);
        }
        let user_receipt = match self.offline.acknowledge(id) {
            Some(user) => user,
            // A subscription's receipt nobody watches is bookkeeping, not news.
            None => find(&self.subscriptions, "receipt", Some(id)) == usize::MAX,
        };
        if self.watched_receipts.remove(id) {
            self.watched -= 1;
            Some(Frame::Receipt)
        } else {
            user_receipt.then_some(Frame::UnhandledReceipt)
        }
    }

    /// Lost heart-beat, connection timeout, `forceDisconnect`: close, or with
    /// `discard_websocket_on_comm_failure` forget the transport at once.
    fn comm_failure(&mut self, now: Millis) {
        if self.config.discard_websocket_on_comm_failure {
            self.discard_transport(now);
        } else {
            self.close_transport();
        }
    }

    fn close_transport(&mut self) {
        if matches!(
            self.phase,
            Phase::Idle | Phase::BeforeConnect | Phase::Closing
        ) {
            return;
        }
        self.phase = Phase::Closing;
        self.connect_deadline = NEVER;
        self.actions.push(Out::Close, 0);
    }

    /// Forgets the transport now, reporting it closed as stompjs does.
    fn discard_transport(&mut self, now: Millis) {
        self.actions.push(Out::Close, 1);
        self.closed_event(DISCARDED_CODE, DISCARDED_REASON);
        self.connection_gone(now);
    }

    /// The transport is gone: clean up, then finish deactivating or schedule a reconnection.
    fn connection_gone(&mut self, now: Millis) {
        self.phase = Phase::Idle;
        self.version = None;
        self.heartbeats = Heartbeats::default();
        self.connect_deadline = NEVER;
        // The decoder is left as it is: nothing reads it until `open_transport` restarts it
        // (a reset here was a second copy of that code; while a frame is being handled it is
        // out of `self` anyway).
        // Bytes for the dead transport must not reach the next one. Only the native API can
        // have any here (its shell polls the actions when it likes): the browser core takes
        // every record after each call, and no call writes a send before it gets here (a close
        // event, a discard, a timeout, `forceDisconnect` come first in theirs).
        #[cfg(feature = "std")]
        {
            self.actions.drop_kind(Out::Send);
            self.pending_send_bytes = 0;
        }
        // What a reconnect restores stays, in order (a loop, not `retain`: no closure
        // instantiation of its own).
        let mut i = 0;
        while let Some(sub) = self.subscriptions.get(i) {
            if self.config.resubscribe && sub.restore {
                i += 1;
            } else {
                take(&mut self.subscriptions, i);
            }
        }
        match self.state {
            ActivationState::Deactivating => self.set_state(ActivationState::Inactive),
            ActivationState::Active => self.schedule_reconnect(now),
            ActivationState::Inactive => {}
        }
    }

    fn schedule_reconnect(&mut self, now: Millis) {
        if self.config.reconnect_delay == 0 {
            self.debug(DebugLine::NotReconnecting, &[]);
            return;
        }
        if let Some(max) = self.config.max_reconnect_attempts.filter(|&m| m > 0) {
            if self.reconnect_attempts >= max {
                let at = self.events.begin(Out::Signal);
                let out = self.events.buf();
                push_byte(out, Signal::ReconnectGaveUp as u8);
                put_u32(out, self.reconnect_attempts);
                self.events.end(at);
                self.set_state(ActivationState::Inactive);
                return;
            }
        }
        self.reconnect_attempts += 1;
        let after = self.next_reconnect_delay;
        // Whole ms: float formatting would weigh on the Wasm build.
        self.debug(
            DebugLine::SchedulingReconnection,
            &[Arg::Number(after as u64)],
        );
        self.reconnect_at = now + after;
        let at = self.events.begin(Out::Signal);
        let out = self.events.buf();
        push_byte(out, Signal::ReconnectScheduled as u8);
        out.extend_from_slice(&after.to_le_bytes());
        put_u32(out, self.reconnect_attempts);
        self.events.end(at);
    }

    // ----- helpers -----

    /// Drops the subscription with this id (ids are unique: `subscribe` replaces a namesake).
    fn forget_subscription(&mut self, id: &str) {
        let i = find(&self.subscriptions, "id", Some(id));
        take(&mut self.subscriptions, i);
    }

    fn transport_live(&self) -> bool {
        matches!(
            self.phase,
            Phase::Opening | Phase::Handshaking | Phase::Connected | Phase::Disconnecting
        )
    }

    fn require_connected(&self) -> Result<(), ClientError> {
        if self.phase == Phase::Connected {
            Ok(())
        } else {
            Err(ClientError::NotConnected)
        }
    }

    fn check_send_buffer(&self, extra: usize) -> Result<(), ClientError> {
        let limit = self.config.send_bytes_limit();
        // Nothing is pending in the browser core: it takes every send record away after each
        // call, and a call checks before it sends. Only the native API counts.
        #[cfg(feature = "std")]
        let pending = self.pending_send_bytes;
        #[cfg(not(feature = "std"))]
        let pending = 0;
        if pending + extra > limit {
            Err(ClientError::SendBufferFull { limit })
        } else {
            Ok(())
        }
    }

    fn transaction_end(
        &mut self,
        now: Millis,
        command: Command,
        transaction: &str,
    ) -> Result<(), ClientError> {
        self.require_connected()?;
        self.send_transaction(now, command, transaction);
        Ok(())
    }

    fn send_transaction(&mut self, now: Millis, command: Command, transaction: &str) {
        self.send(
            now,
            Outgoing::new(command, &[("transaction", transaction)], &NO_HEADERS),
        );
    }

    /// [`ack`](Self::ack), or [`nack`](Self::nack) when `nack` is set: one call site for the
    /// browser core.
    pub fn ack_or_nack(
        &mut self,
        now: Millis,
        nack: bool,
        message_id: &str,
        subscription: &str,
        headers: &HeaderList,
    ) -> Result<(), ClientError> {
        let command = if nack { Command::Nack } else { Command::Ack };
        self.acknowledge(now, command, message_id, subscription, headers)
    }

    fn acknowledge(
        &mut self,
        now: Millis,
        command: Command,
        message_id: &str,
        subscription: &str,
        headers: &HeaderList,
    ) -> Result<(), ClientError> {
        self.require_connected()?;
        let version = self.version.unwrap_or(Version::V1_0);
        if command == Command::Nack && version == Version::V1_0 {
            return Err(ClientError::NackUnsupported);
        }
        let id = if version == Version::V1_2 {
            "id"
        } else {
            "message-id"
        };
        let own = [(id, message_id), ("subscription", subscription)];
        // 1.1 names the subscription too.
        let own = own
            .get(..1 + usize::from(version == Version::V1_1))
            .unwrap_or_default();
        self.send(
            now,
            Outgoing {
                once: true,
                ..Outgoing::new(command, own, headers)
            },
        );
        Ok(())
    }

    /// Encodes a frame whose parts are not the session's and sends it: one call at each of the
    /// user's calls instead of an encode and a send.
    #[inline(never)]
    fn send(&mut self, now: Millis, frame: Outgoing) {
        let encoded = frame.encode(self.wire);
        self.send_encoded(now, encoded);
    }

    fn send_encoded(&mut self, now: Millis, encoded: Encoded) {
        let Encoded {
            command,
            data,
            binary,
        } = encoded;
        self.debug_arg(DebugLine::Sent, command.as_str());
        self.push_send(now, &data, binary);
    }

    fn push_send(&mut self, now: Millis, data: &[u8], binary: bool) {
        self.last_sent = now;
        #[cfg(feature = "std")]
        {
            self.pending_send_bytes += data.len();
        }
        let binary = (binary || self.config.force_binary_ws_frames) && !self.wire.text_only;
        // Text frames are cut into transport messages with `splitLargeFrames` (binary ones go whole).
        let max = if self.config.split_large_frames && !binary {
            self.config.max_web_socket_chunk_size
        } else {
            0
        };
        let mut rest = data;
        loop {
            let n = piece_len(rest, max);
            self.send_record(rest.get(..n).unwrap_or(rest), binary);
            rest = rest.get(n..).unwrap_or_default();
            if rest.is_empty() {
                break;
            }
        }
    }

    fn send_record(&mut self, data: &[u8], binary: bool) {
        let at = self.actions.begin(Out::Send);
        let out = self.actions.buf();
        push_byte(out, u8::from(binary));
        put_bytes(out, data);
        self.actions.end(at);
    }

    fn heartbeat_send_at(&self) -> Millis {
        after(self.last_sent, self.heartbeats.outgoing)
    }

    fn heartbeat_lost_at(&self) -> Millis {
        let every = self.heartbeats.incoming;
        if every > 0 {
            self.last_received + f64::from(every) * self.config.heartbeat_tolerance_multiplier
        } else {
            NEVER
        }
    }

    fn next_id(&mut self, prefix: &str) -> String {
        // Grown as written: sizing it first cost the browser core more code than the growth.
        let mut id = String::new();
        id.push_str(prefix);
        push_decimal(&mut id, self.counter);
        self.counter += 1;
        id
    }

    /// Not inlined: one copy of the compare and the record for its callers.
    #[inline(never)]
    fn set_state(&mut self, state: ActivationState) {
        if self.state != state {
            self.state = state;
            self.events.push(Out::State, state as u8);
        }
    }

    /// A debug line, built only when debugging is on (see [`debug_line`]: the browser build
    /// writes the line's number and its arguments, the page the words). Arguments, not a
    /// closure: one copy of the line builder in the Wasm build instead of one per call site.
    fn debug(&mut self, line: DebugLine, args: &[Arg]) {
        if self.config.debug {
            let text = debug_line::write(line, args);
            self.text_record(debug_line::which(line), &text);
        }
    }

    /// A debug line with one text argument (a frame's command, ...): its callers pass a
    /// string, not an array (not inlined: one copy for them all).
    #[inline(never)]
    fn debug_arg(&mut self, line: DebugLine, text: &str) {
        self.debug(line, &[Arg::Text(text)]);
    }

    fn text(&mut self, which: Text, text: &str) {
        self.text_record(which as u8, text);
    }

    fn text_record(&mut self, which: u8, text: &str) {
        let at = self.events.begin(Out::Text);
        let out = self.events.buf();
        push_byte(out, which);
        put_bytes(out, text.as_bytes());
        self.events.end(at);
    }

    fn closed_event(&mut self, code: u16, reason: &str) {
        let at = self.events.begin(Out::TransportClosed);
        let out = self.events.buf();
        put_u32(out, code.into());
        put_bytes(out, reason.as_bytes());
        self.events.end(at);
    }
}

/// A frame event: the frame written where JavaScript reads it (see [`Received`]). Over the
/// session's events only, so a caller may write it with a name borrowed from the session's
/// other fields (a failed subscription's id, before the subscription goes).
fn frame_event(events: &mut Records, which: Frame, name: &str, frame: &FrameView) {
    let at = events.begin(Out::Frame);
    let out = events.buf();
    push_byte(out, which as u8);
    Received::write(out, name, frame);
    events.end(at);
}

/// A frame encoded for the transport, with what `send_encoded` still needs to know of it.
struct Encoded {
    command: Command,
    data: Vec<u8>,
    /// Goes as a binary transport message.
    binary: bool,
}

/// A frame the session holds (a subscription's SUBSCRIBE, an offline-queued SEND). A free
/// function over the encoder (not a method on the session), so what the session holds is
/// encoded where it lies and then sent.
fn encode_held(wire: Wire, held: &Held) -> Encoded {
    Outgoing {
        body: &held.body,
        content_length: held.content_length,
        binary: held.binary,
        ..Outgoing::new(held.command, &[], &held.headers)
    }
    .encode(wire)
}

/// A frame the session writes, by its parts: its own headers, then the user's (without those
/// named like one of the session's), then the body, encoded straight into a new send buffer. One shape for
/// every frame, so the Wasm build has one copy of the encoder's loop.
struct Outgoing<'a> {
    command: Command,
    own: &'a [(&'a str, &'a str)],
    user: &'a HeaderList,
    /// Of repeated user header names only the first goes.
    once: bool,
    body: &'a [u8],
    content_length: bool,
    binary: bool,
}

impl<'a> Outgoing<'a> {
    fn new(command: Command, own: &'a [(&'a str, &'a str)], user: &'a HeaderList) -> Outgoing<'a> {
        Outgoing {
            command,
            own,
            user,
            once: false,
            body: &[],
            content_length: false,
            binary: false,
        }
    }

    // `reserve` after `Vec::new` on purpose (see below).
    #[allow(clippy::reserve_after_initialization)]
    fn encode(&self, wire: Wire) -> Encoded {
        let Outgoing {
            command, own, user, ..
        } = *self;
        // Over a string-only transport a body that is not UTF-8 goes as base64, announced by a
        // header of the session's (docs/SOCKJS.md).
        let utf8 = crate::codec::utf8::valid(self.body);
        let base64 = wire.text_only && !utf8;
        let mut encoded = Vec::new();
        let body = if base64 {
            binary::base64_encode_into(self.body, &mut encoded);
            encoded.as_slice()
        } else {
            self.body
        };
        let encoder = wire.encoder.with_content_length(self.content_length);
        // Sized by `reserve`, which the module has anyway: `with_capacity` brought its own
        // allocation path (196 B of code) for this one caller.
        let mut data = Vec::new();
        data.reserve(body.len() + 128);
        data.extend_from_slice(command.as_str().as_bytes());
        push_byte(&mut data, b'\n');
        // Header by header, in plain loops: one chained and filtered iterator cost the module
        // its own instantiation of the encoder's head.
        for &(name, value) in own {
            encoder.encode_header(command, name, value, &mut data);
        }
        if base64 {
            let (name, value) = (binary::TRANSFER_ENCODING_HEADER, binary::BASE64);
            encoder.encode_header(command, name, value, &mut data);
        }
        for (name, value) in user.iter() {
            // The session's value wins over a user's header of the same name.
            let own = own.iter().any(|&(o, _)| o == name)
                || (base64 && name == binary::TRANSFER_ENCODING_HEADER);
            // With `once`, only the first of a repeated name: the first entry of that name is
            // this one when `get` finds this very value (entries never share bytes). Only the
            // native API can repeat a name: the browser's headers are a JavaScript object's
            // keys, all distinct, so its build leaves the search out.
            let repeated = cfg!(feature = "std")
                && self.once
                && user.get(name).map(str::as_ptr) != Some(value.as_ptr());
            if !own && !repeated {
                encoder.encode_header(command, name, value, &mut data);
            }
        }
        encoder.encode_end(body, &mut data);
        Encoded {
            command,
            data,
            // A body that is not UTF-8 cannot travel in a text message; a string-only
            // transport gets text only.
            binary: !wire.text_only && (self.binary || !utf8),
        }
    }
}

/// How the current transport's frames are written.
#[derive(Debug, Clone, Copy, Default)]
struct Wire {
    /// With the escaping of the negotiated version.
    encoder: Encoder,
    /// The transport carries strings only (SockJS): bodies that are not UTF-8 go as base64.
    text_only: bool,
}

/// No user headers, as a static: nothing to build and drop per frame.
static NO_HEADERS: HeaderList = HeaderList::new();

/// A deadline that is never reached: the time fields use it for "none" (plain `f64`s compare
/// and take minimums without the `Option` handling, in less code).
const NEVER: Millis = f64::INFINITY;

/// CONNECT's `host` header of the session's: the configured one, unless the user's connect
/// headers have their own.
#[cfg(feature = "std")]
fn own_host(cfg: &SessionConfig) -> Option<&str> {
    cfg.host
        .as_deref()
        .filter(|_| !cfg.connect_headers.contains("host"))
}

/// None in the browser build, which has no `host` setting (a `host` is one of the connect
/// headers there, as in stompjs).
#[cfg(not(feature = "std"))]
fn own_host(_: &SessionConfig) -> Option<&str> {
    None
}

/// The earlier of two times. Not `f64::min`: its NaN rule is a call to `fmin` in the browser
/// build. A NaN `later` is passed over as `f64::min` does (a heart-beat tolerance of NaN, from
/// JavaScript's `undefined`, makes the lost-heart-beat time NaN: never reached).
#[inline(never)]
fn earliest(time: Millis, later: Millis) -> Millis {
    if later < time {
        later
    } else {
        time
    }
}

/// `ms` after `from`; 0 ms means never (a timeout or heart-beat that is off).
fn after(from: Millis, ms: u32) -> Millis {
    if ms > 0 {
        from + f64::from(ms)
    } else {
        NEVER
    }
}
