//! One SockJS connection as the client sees it: `/info`, the transport race, the open session.
//!
//! Inputs come from the shell (what its requests and sockets reported, [`handle_timeout`]
//! when [`poll_timeout`] has passed, and what the STOMP session sends); outputs are
//! [`ConnAction`]s (requests to make, sockets to open or shut) and [`ConnEvent`]s (open,
//! message, closed — the shape of a WebSocket's events).
//!
//! Every request or socket the shell makes carries a *channel* id. Anything reported for a
//! channel that is no longer current (a losing attempt, a stream already replaced) is ignored,
//! so late events can never reach the session.
//!
//! [`handle_timeout`]: SockJsConnection::handle_timeout
//! [`poll_timeout`]: SockJsConnection::poll_timeout

use crate::prelude::*;

use super::fifo::Fifo;
use super::info::parse_info;
use super::plan::{attempt_timeout, head_start, stream_head_start, TransportKind, TransportPlan};
use crate::codec::push_decimal;
use crate::sockjs::frame::SockJsFrame;
use crate::sockjs::json;
use crate::time::Millis;

/// How long `/info` may take.
pub const INFO_TIMEOUT_MS: Millis = 8_000.0;

/// The least time the last transport of the plan gets to open.
pub const LAST_RESORT_TIMEOUT_MS: Millis = 10_000.0;

/// Bounds on what the connection holds for the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Most JSON bytes in one `xhr_send` body (at least one message always goes). The server
    /// takes bodies up to 4 × its frame limit.
    pub max_batch_bytes: usize,
    /// Most bytes of messages waiting for `xhr_send`; beyond it the connection closes (1009).
    pub max_queued_bytes: usize,
    /// Most bytes of an incomplete line held from a stream.
    pub max_line_bytes: usize,
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            max_batch_bytes: 64 * 1024,
            max_queued_bytes: 8 * 1024 * 1024,
            max_line_bytes: 16 * 1024 * 1024,
        }
    }
}

/// What the shell must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnAction {
    /// `GET url`; report [`SockJsConnection::info_received`] or
    /// [`SockJsConnection::info_failed`].
    FetchInfo { url: String },
    /// `new WebSocket(url)`; report its messages and close on `channel`.
    OpenWebSocket { channel: u32, url: String },
    /// Start a receiving request on `channel`: a POST for xhr-streaming and xhr-polling, an
    /// `EventSource` for eventsource. `credentials`: `withCredentials`.
    OpenReceiver {
        channel: u32,
        kind: TransportKind,
        url: String,
        credentials: bool,
    },
    /// Shut `channel` (close the socket, abort the request, close the EventSource) and detach
    /// its handlers: nothing more is to be reported for it.
    Shut { channel: u32 },
    /// Send `text` (a JSON array of strings) as one WebSocket message on `channel`.
    SendWebSocket { channel: u32, text: String },
    /// `POST url` with `body` (a JSON array of strings); report
    /// [`SockJsConnection::send_done`].
    PostSend {
        url: String,
        body: String,
        credentials: bool,
    },
}

/// What happened, WebSocket-style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnEvent {
    /// The SockJS session is open over `kind`.
    Open(TransportKind),
    /// One message (SockJS messages are strings: always UTF-8).
    Message(Vec<u8>),
    /// The connection is over (reported once).
    Closed { code: u16, reason: String },
    /// A transport failed to open or lost the race; `Open` reports the winner. For the
    /// [`TransportPlan`] the shell keeps across connections.
    Failed(TransportKind),
    /// A line for the `debug` callback.
    Debug(String),
}

/// Why [`SockJsConnection::send`] refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("{}", self.message())]
    NotOpen,
    #[error("{}", self.message())]
    NotText,
}

impl SendError {
    /// The message (what `Display` prints), for callers that avoid `core::fmt`.
    pub fn message(&self) -> &str {
        match self {
            SendError::NotOpen => "the SockJS connection is not open",
            SendError::NotText => "SockJS carries text only: the message is not UTF-8",
        }
    }
}

/// A transport being tried.
#[derive(Debug)]
struct Attempt {
    channel: u32,
    kind: TransportKind,
    deadline: Millis,
    /// An incomplete line of an xhr response.
    line: String,
}

#[derive(Debug)]
enum State {
    Idle,
    FetchingInfo {
        sent_at: Millis,
    },
    Trying {
        /// The transports not started yet, in the order to try them.
        pending: Vec<TransportKind>,
        /// When a transport starts beside the running attempts: the next one beside a
        /// WebSocket, xhr-polling beside a silent stream.
        race_at: Option<Millis>,
        attempts: Vec<Attempt>,
        rtt: Millis,
    },
    Open {
        kind: TransportKind,
        channel: u32,
        line: String,
        /// Messages waiting for `xhr_send`, and their bytes.
        queue: Vec<String>,
        queued_bytes: usize,
        send_in_flight: bool,
    },
    Closed,
}

/// One SockJS connection (see the module docs).
#[derive(Debug)]
pub struct SockJsConnection {
    base: String,
    plan: TransportPlan,
    limits: ConnectionLimits,
    rng: u64,
    /// `{base}/{server}/{session}`, fresh for each transport tried.
    session_urls: Vec<(u32, String)>,
    credentials: bool,
    next_channel: u32,
    deadline: Option<Millis>,
    state: State,
    actions: Fifo<ConnAction>,
    events: Fifo<ConnEvent>,
}

impl SockJsConnection {
    /// A connection to the SockJS endpoint at `base` (`http(s)://host/stomp`), trying
    /// transports as `plan` says. `entropy` seeds the server and session ids in the URLs.
    pub fn new(base: &str, plan: TransportPlan, entropy: u64) -> SockJsConnection {
        SockJsConnection {
            base: without_trailing_slashes(base).to_owned(),
            plan,
            limits: ConnectionLimits::default(),
            rng: entropy | 1,
            session_urls: Vec::new(),
            credentials: false,
            next_channel: 1,
            deadline: None,
            state: State::Idle,
            actions: Fifo::default(),
            events: Fifo::default(),
        }
    }

    pub fn set_limits(&mut self, limits: ConnectionLimits) {
        self.limits = limits;
    }

    /// The transport carrying the session, once open.
    pub fn transport(&self) -> Option<TransportKind> {
        match self.state {
            State::Open { kind, .. } => Some(kind),
            _ => None,
        }
    }

    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// How many messages wait for the `xhr_send` in flight to finish.
    pub fn sends_pending(&self) -> usize {
        match &self.state {
            State::Open { queue, .. } => queue.len(),
            _ => 0,
        }
    }

    pub fn poll_action(&mut self) -> Option<ConnAction> {
        self.actions.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<ConnEvent> {
        self.events.pop_front()
    }

    /// The next deadline (`/info`, a transport's open timeout, the race's head start).
    pub fn poll_timeout(&self) -> Option<Millis> {
        match &self.state {
            State::FetchingInfo { .. } => self.deadline,
            State::Trying {
                race_at, attempts, ..
            } => attempts
                .iter()
                .map(|a| a.deadline)
                .chain(*race_at)
                .reduce(f64::min),
            _ => None,
        }
    }

    /// Starts: asks for `/info`.
    pub fn connect(&mut self, now: Millis) {
        if !matches!(self.state, State::Idle) {
            return;
        }
        let mut url = self.base.clone();
        url.push_str("/info?t=");
        push_decimal(&mut url, self.random() % 1_000_000_000);
        self.actions.push_back(ConnAction::FetchInfo { url });
        self.deadline = Some(now + INFO_TIMEOUT_MS);
        self.state = State::FetchingInfo { sent_at: now };
    }

    /// `/info` answered.
    pub fn info_received(&mut self, now: Millis, status: u16, body: &str) {
        let State::FetchingInfo { sent_at } = self.state else {
            return;
        };
        let info = match (status, parse_info(body)) {
            (200, Ok(info)) => info,
            _ => {
                let mut reason = String::from("SockJS /info failed with status ");
                push_decimal(&mut reason, u64::from(status));
                return self.close_with(1002, &reason);
            }
        };
        let rtt = (now - sent_at).max(0.0);
        self.credentials = info.cookie_needed;
        let order = self.plan.order(&info, now);
        let mut line = String::from("SockJS: rtt ");
        push_decimal(&mut line, rtt as u64);
        line.push_str(" ms, trying");
        for kind in &order {
            line.push(' ');
            line.push_str(kind.name());
        }
        self.events.push_back(ConnEvent::Debug(line));
        if order.is_empty() {
            return self.close_with(2000, "All transports failed");
        }
        self.deadline = None;
        self.state = State::Trying {
            pending: order,
            race_at: None,
            attempts: Vec::new(),
            rtt,
        };
        self.start(now, 0);
    }

    /// `/info` could not be fetched (network error, timeout).
    pub fn info_failed(&mut self, _now: Millis) {
        if matches!(self.state, State::FetchingInfo { .. }) {
            self.close_with(1002, "Cannot connect to server (SockJS /info failed)");
        }
    }

    pub fn handle_timeout(&mut self, now: Millis) {
        match &mut self.state {
            State::FetchingInfo { .. } if self.deadline.is_some_and(|d| d <= now) => {
                self.close_with(1002, "Cannot connect to server (SockJS /info timed out)");
            }
            State::Trying {
                race_at, attempts, ..
            } => {
                let expired: Vec<u32> = attempts
                    .iter()
                    .filter(|a| a.deadline <= now)
                    .map(|a| a.channel)
                    .collect();
                let race_due = race_at.is_some_and(|t| t <= now);
                if race_due {
                    *race_at = None;
                }
                for channel in expired {
                    self.attempt_failed(now, channel, "timed out");
                }
                if race_due {
                    self.race(now);
                }
            }
            _ => {}
        }
    }

    /// The WebSocket on `channel` received a message (one SockJS frame).
    pub fn websocket_message(&mut self, now: Millis, channel: u32, text: &str) {
        if !self.is_current(channel) {
            return;
        }
        self.frame(now, channel, text);
    }

    /// The WebSocket on `channel` closed (or failed to open).
    pub fn websocket_closed(&mut self, now: Millis, channel: u32, code: u16, reason: &str) {
        self.channel_ended(now, channel, code, reason);
    }

    /// New text of the xhr response on `channel` (what arrived since the last call).
    pub fn receiver_text(&mut self, now: Millis, channel: u32, text: &str) {
        let max = self.limits.max_line_bytes;
        let line = match &mut self.state {
            State::Trying { attempts, .. } => {
                match attempts.iter_mut().find(|a| a.channel == channel) {
                    Some(a) => &mut a.line,
                    None => return,
                }
            }
            State::Open {
                channel: open,
                line,
                ..
            } if *open == channel => line,
            _ => return,
        };
        line.push_str(text);
        // Newlines found byte by byte: `str` patterns bring a memchr to the browser build.
        let newline_at = |s: &str, from: usize| {
            let rest = s.as_bytes().get(from..).unwrap_or_default();
            rest.iter().position(|&b| b == b'\n').map(|i| from + i)
        };
        if line.len() > max && newline_at(line, 0).is_none() {
            return self.close_with(1009, "SockJS frame too large");
        }
        let buffered = core::mem::take(line);
        let mut offset = 0;
        while let Some(end) = newline_at(&buffered, offset) {
            // Frames end in `]` or a letter: ASCII trimming takes a `\r` before the `\n` too.
            let frame = buffered
                .get(offset..end)
                .unwrap_or_default()
                .trim_ascii_end();
            offset = end + 1;
            if !frame.is_empty() {
                self.frame(now, channel, frame);
                if !self.is_current(channel) {
                    return;
                }
            }
        }
        let rest = buffered.get(offset..).unwrap_or_default();
        match &mut self.state {
            State::Trying { attempts, .. } => {
                if let Some(a) = attempts.iter_mut().find(|a| a.channel == channel) {
                    a.line.push_str(rest);
                }
            }
            State::Open { line, .. } => line.push_str(rest),
            _ => {}
        }
    }

    /// One EventSource `message` on `channel` (its `data`, already unescaped).
    pub fn eventsource_message(&mut self, now: Millis, channel: u32, data: &str) {
        if self.is_current(channel) {
            self.frame(now, channel, data);
        }
    }

    /// The receiving request on `channel` ended. `ok`: it completed normally (status 200, or an
    /// EventSource that delivered frames before it closed) — the server ended it at its byte
    /// limit or after a poll, and a new one is opened; otherwise the connection is lost.
    pub fn receiver_ended(&mut self, now: Millis, channel: u32, ok: bool) {
        if !self.is_current(channel) {
            return;
        }
        if let State::Open { line, .. } = &self.state {
            if ok && line.is_empty() {
                let kind = self.transport().unwrap_or(TransportKind::XhrPolling);
                let url = self.channel_url(channel);
                let new = self.new_channel();
                if let Some(url) = url {
                    self.actions.push_back(ConnAction::Shut { channel });
                    self.session_urls.retain(|(c, _)| *c != channel);
                    self.session_urls.push((new, url.clone()));
                    if let State::Open { channel, .. } = &mut self.state {
                        *channel = new;
                    }
                    let mut full = url;
                    full.push('/');
                    full.push_str(kind.path());
                    self.actions.push_back(ConnAction::OpenReceiver {
                        channel: new,
                        kind,
                        url: full,
                        credentials: self.credentials,
                    });
                    return;
                }
            }
            return self.close_with(1006, "Connection interrupted");
        }
        self.channel_ended(now, channel, 1006, "request failed");
    }

    /// The `xhr_send` in flight finished; `ok` when the server took it (204).
    pub fn send_done(&mut self, _now: Millis, ok: bool) {
        let State::Open { send_in_flight, .. } = &mut self.state else {
            return;
        };
        *send_in_flight = false;
        if !ok {
            return self.close_with(1006, "SockJS xhr_send failed");
        }
        self.flush_sends();
    }

    /// Sends one message: SockJS carries strings, so `data` must be UTF-8 (the STOMP session
    /// writes binary bodies as base64 on such a transport).
    pub fn send(&mut self, data: &[u8]) -> Result<(), SendError> {
        let State::Open { kind, channel, .. } = self.state else {
            return Err(SendError::NotOpen);
        };
        let text = core::str::from_utf8(data)
            .map_err(|_| SendError::NotText)?
            .to_owned();
        if kind == TransportKind::WebSocket {
            let mut body = String::with_capacity(text.len() + 4);
            json::encode_string_array_into(&[text], &mut body);
            self.actions.push_back(ConnAction::SendWebSocket {
                channel,
                text: body,
            });
            return Ok(());
        }
        let max = self.limits.max_queued_bytes;
        if let State::Open {
            queue,
            queued_bytes,
            ..
        } = &mut self.state
        {
            *queued_bytes += text.len();
            queue.push(text);
            if *queued_bytes > max {
                self.close_with(1009, "SockJS send queue full");
                return Ok(());
            }
        }
        self.flush_sends();
        Ok(())
    }

    /// Closes the connection from this side: every channel is shut, `Closed` is reported.
    pub fn close(&mut self, code: u16, reason: &str) {
        self.close_with(code, reason);
    }

    fn flush_sends(&mut self) {
        let max = self.limits.max_batch_bytes;
        let Some(url) = self.send_url() else { return };
        let credentials = self.credentials;
        let State::Open {
            queue,
            queued_bytes,
            send_in_flight,
            ..
        } = &mut self.state
        else {
            return;
        };
        if *send_in_flight || queue.is_empty() {
            return;
        }
        // The oldest messages that fit in one body (at least one). A `Vec` drained from the
        // front: `VecDeque`'s ring logic costs the browser build more than the move does.
        let mut size = 2;
        let mut count = 0;
        for message in queue.iter() {
            let cost = message.len() + 3;
            if count > 0 && size + cost > max {
                break;
            }
            size += cost;
            count += 1;
        }
        let mut body = String::with_capacity(size + 16);
        json::encode_string_array_into(queue.get(..count).unwrap_or_default(), &mut body);
        for message in queue.drain(..count) {
            *queued_bytes -= message.len();
        }
        *send_in_flight = true;
        self.actions.push_back(ConnAction::PostSend {
            url,
            body,
            credentials,
        });
    }

    fn send_url(&self) -> Option<String> {
        let State::Open { channel, .. } = self.state else {
            return None;
        };
        let (_, base) = self.session_urls.iter().find(|(c, _)| *c == channel)?;
        let mut url = base.clone();
        url.push_str("/xhr_send");
        Some(url)
    }

    /// The `{base}/{server}/{session}` of `channel`.
    fn channel_url(&self, channel: u32) -> Option<String> {
        self.session_urls
            .iter()
            .find(|(c, _)| *c == channel)
            .map(|(_, u)| u.clone())
    }

    fn is_current(&self, channel: u32) -> bool {
        match &self.state {
            State::Trying { attempts, .. } => attempts.iter().any(|a| a.channel == channel),
            State::Open { channel: c, .. } => *c == channel,
            _ => false,
        }
    }

    /// One server frame on `channel`.
    fn frame(&mut self, now: Millis, channel: u32, text: &str) {
        let frame = match SockJsFrame::parse(text) {
            Ok(f) => f,
            Err(err) => {
                let mut reason = String::from("Broken SockJS framing: ");
                err.write_message(&mut reason);
                return match self.state {
                    State::Trying { .. } => self.attempt_failed(now, channel, "broken framing"),
                    _ => self.close_with(1002, &reason),
                };
            }
        };
        match (&self.state, frame) {
            (State::Trying { .. }, SockJsFrame::Open) => self.won(channel),
            (State::Trying { .. }, SockJsFrame::Heartbeat) => {}
            (State::Trying { .. }, SockJsFrame::Close { code, reason }) => {
                let mut why = String::from("closed ");
                push_decimal(&mut why, u64::from(code));
                why.push(' ');
                why.push_str(&reason);
                self.attempt_failed(now, channel, &why)
            }
            (State::Trying { .. }, SockJsFrame::Messages(_)) => {
                self.attempt_failed(now, channel, "messages before open")
            }
            (State::Open { .. }, SockJsFrame::Messages(messages)) => {
                for m in messages {
                    self.events.push_back(ConnEvent::Message(m.into_bytes()));
                }
            }
            (State::Open { .. }, SockJsFrame::Heartbeat) => {}
            (State::Open { .. }, SockJsFrame::Close { code, reason }) => {
                self.close_with(code, &reason)
            }
            // A second `o`: the server no longer knows our session and made a new one.
            (State::Open { .. }, SockJsFrame::Open) => {
                self.close_with(1006, "SockJS session lost (server sent a new open frame)")
            }
            _ => {}
        }
    }

    fn channel_ended(&mut self, now: Millis, channel: u32, code: u16, reason: &str) {
        match &self.state {
            State::Trying { attempts, .. } if attempts.iter().any(|a| a.channel == channel) => {
                let mut why = String::from("closed ");
                push_decimal(&mut why, u64::from(code));
                self.attempt_failed(now, channel, &why);
            }
            State::Open { channel: c, .. } if *c == channel => {
                let reason = if reason.is_empty() {
                    "Connection interrupted"
                } else {
                    reason
                };
                self.close_with(code, reason);
            }
            _ => {}
        }
    }

    /// The attempt on `channel` delivered the open frame: it carries the session; the others
    /// are shut (a WebSocket still pending lost the race).
    fn won(&mut self, channel: u32) {
        let State::Trying { attempts, .. } = core::mem::replace(&mut self.state, State::Closed)
        else {
            return;
        };
        let mut winner = None;
        for attempt in attempts {
            if attempt.channel == channel {
                winner = Some(attempt);
            } else {
                self.actions.push_back(ConnAction::Shut {
                    channel: attempt.channel,
                });
                self.session_urls.retain(|(c, _)| *c != attempt.channel);
                self.events.push_back(ConnEvent::Failed(attempt.kind));
                let mut line = String::from("SockJS: ");
                line.push_str(attempt.kind.name());
                line.push_str(" lost the race");
                self.events.push_back(ConnEvent::Debug(line));
            }
        }
        let Some(winner) = winner else { return };
        let mut line = String::from("SockJS: open over ");
        line.push_str(winner.kind.name());
        self.events.push_back(ConnEvent::Debug(line));
        self.events.push_back(ConnEvent::Open(winner.kind));
        self.state = State::Open {
            kind: winner.kind,
            channel,
            line: winner.line,
            queue: Vec::new(),
            queued_bytes: 0,
            send_in_flight: false,
        };
    }

    fn attempt_failed(&mut self, now: Millis, channel: u32, why: &str) {
        let State::Trying {
            pending,
            race_at,
            attempts,
            ..
        } = &mut self.state
        else {
            return;
        };
        let Some(index) = attempts.iter().position(|a| a.channel == channel) else {
            return;
        };
        let failed = attempts.remove(index);
        self.actions.push_back(ConnAction::Shut { channel });
        self.session_urls.retain(|(c, _)| *c != channel);
        self.events.push_back(ConnEvent::Failed(failed.kind));
        let mut line = String::from("SockJS: ");
        line.push_str(failed.kind.name());
        line.push_str(" failed: ");
        line.push_str(why);
        self.events.push_back(ConnEvent::Debug(line));
        // A running HTTP transport keeps its chance: what races beside it was started by
        // [`race`](Self::race), and the next in line waits for it to fail too.
        let http_running = attempts.iter().any(|a| a.kind.is_http());
        let more = !pending.is_empty();
        if !http_running && more {
            *race_at = None;
            self.start(now, 0);
        } else if attempts.is_empty() && !more {
            self.close_with(2000, "All transports failed");
        }
    }

    /// The race timer fired: nothing has opened yet. Beside a silent stream (a proxy may be
    /// holding its response until it ends) xhr-polling starts, skipping the other stream,
    /// which would be held just the same; beside a WebSocket alone, the next transport.
    fn race(&mut self, now: Millis) {
        let State::Trying {
            pending, attempts, ..
        } = &self.state
        else {
            return;
        };
        let index = if attempts.iter().any(|a| a.kind.is_stream()) {
            pending.iter().position(|&k| k == TransportKind::XhrPolling)
        } else {
            Some(0)
        };
        if let Some(index) = index {
            self.start(now, index);
        }
    }

    /// Starts `pending[index]` beside whatever attempts are running.
    fn start(&mut self, now: Millis, index: usize) {
        let session_url = self.new_session_url();
        let channel = self.new_channel();
        let credentials = self.credentials;
        let State::Trying {
            pending,
            race_at,
            attempts,
            rtt,
        } = &mut self.state
        else {
            return;
        };
        // The plan holds each transport once; `retain` has no panicking bounds check to pull
        // formatting code into the browser build, as `Vec::remove` would.
        let Some(&kind) = pending.get(index) else {
            return;
        };
        pending.retain(|&k| k != kind);
        let mut url = session_url.clone();
        url.push('/');
        url.push_str(kind.path());
        attempts.push(Attempt {
            channel,
            kind,
            // The last transport has nothing to hand over to: cutting it short would only
            // fail the connection (and a browser that throttles WebSocket attempts after
            // failures, as Chromium does, would then never let one through in time).
            deadline: now
                + if pending.is_empty() {
                    attempt_timeout(*rtt).max(LAST_RESORT_TIMEOUT_MS)
                } else {
                    attempt_timeout(*rtt)
                },
            line: String::new(),
        });
        *race_at = if kind == TransportKind::WebSocket && !pending.is_empty() {
            Some(now + head_start(*rtt))
        } else if kind.is_stream() && pending.contains(&TransportKind::XhrPolling) {
            Some(now + stream_head_start(*rtt))
        } else {
            None
        };
        self.session_urls.push((channel, session_url));
        let mut line = String::from("SockJS: trying ");
        line.push_str(kind.name());
        self.events.push_back(ConnEvent::Debug(line));
        self.actions.push_back(match kind {
            TransportKind::WebSocket => ConnAction::OpenWebSocket {
                channel,
                url: websocket_url(&url),
            },
            _ => ConnAction::OpenReceiver {
                channel,
                kind,
                url,
                credentials,
            },
        });
    }

    fn close_with(&mut self, code: u16, reason: &str) {
        let old = core::mem::replace(&mut self.state, State::Closed);
        match old {
            State::Closed => return,
            State::Trying { attempts, .. } => {
                for a in attempts {
                    self.actions
                        .push_back(ConnAction::Shut { channel: a.channel });
                }
            }
            State::Open { channel, .. } => {
                self.actions.push_back(ConnAction::Shut { channel });
            }
            State::Idle | State::FetchingInfo { .. } => {}
        }
        self.deadline = None;
        self.events.push_back(ConnEvent::Closed {
            code,
            reason: reason.to_owned(),
        });
    }

    fn new_channel(&mut self) -> u32 {
        let c = self.next_channel;
        self.next_channel += 1;
        c
    }

    /// `{base}/{3 digits}/{8 random letters and digits}`.
    fn new_session_url(&mut self) -> String {
        const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let server = self.random() % 1000;
        let mut url = self.base.clone();
        url.push('/');
        url.push(char::from(b'0' + (server / 100) as u8));
        url.push(char::from(b'0' + (server / 10 % 10) as u8));
        url.push(char::from(b'0' + (server % 10) as u8));
        url.push('/');
        for _ in 0..8 {
            let i = (self.random() % 36) as usize;
            url.push(char::from(ALPHABET[i]));
        }
        url
    }

    /// xorshift64*: ids only need to differ, not to be secret.
    fn random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11
    }
}

/// `base` without its trailing `/`s (byte-wise: no char decoding in the browser build).
fn without_trailing_slashes(base: &str) -> &str {
    let end = base.bytes().rposition(|b| b != b'/').map_or(0, |i| i + 1);
    base.get(..end).unwrap_or(base)
}

/// `http(s)://…` → `ws(s)://…`.
fn websocket_url(http: &str) -> String {
    if let Some(rest) = http.strip_prefix("https://") {
        let mut u = String::from("wss://");
        u.push_str(rest);
        u
    } else if let Some(rest) = http.strip_prefix("http://") {
        let mut u = String::from("ws://");
        u.push_str(rest);
        u
    } else {
        http.to_owned()
    }
}
