//! One SockJS connection as the client sees it: `/info`, the transport race, the open session.
//!
//! Inputs come from the shell (what its requests and sockets reported, [`handle_timeout`]
//! when [`poll_timeout`] has passed, and what the STOMP session sends); outputs are records
//! ([`Out`]): actions (requests to make, sockets to open or shut) and events (open, message,
//! closed — the shape of a WebSocket's events), written when they happen into one buffer, the
//! layout `pkg-sockjs` hands to JavaScript. The native API reads them back as [`ConnAction`]s
//! and [`ConnEvent`]s ([`poll_action`], [`poll_event`]).
//!
//! Every request or socket the shell makes carries a *channel* id. Anything reported for a
//! channel that is no longer current (a losing attempt, a stream already replaced) is ignored,
//! so late events can never reach the session.
//!
//! Sized for the browser build (docs/CLIENT-SIZE-PLAN.md, step 8): text arrives and leaves as
//! bytes (JavaScript's strings, UTF-8), so there is no `&str` check of it; URLs and debug lines
//! are written from their pieces straight into the records; messages are decoded from the
//! received text into their records, with no `Vec<String>`; the `xhr_send` queue is the JSON
//! body being built; the attempts are four slots, one per transport, with no `Vec` of them.
//!
//! [`handle_timeout`]: SockJsConnection::handle_timeout
//! [`poll_timeout`]: SockJsConnection::poll_timeout
//! [`poll_action`]: SockJsConnection::poll_action
//! [`poll_event`]: SockJsConnection::poll_event

use crate::prelude::*;

use super::info::{parse_info, Info};
use super::plan::{
    attempt_timeout, head_start, least, most, stream_head_start, TransportKind, TransportPlan,
    Transports,
};
use crate::record::{put_u32, record_end, record_start, Reader};
use crate::sockjs::frame::{parse_frame, FrameKind};
use crate::sockjs::json::{self, push_decimal};
use crate::time::Millis;

/// How long `/info` may take.
pub const INFO_TIMEOUT_MS: Millis = 8_000.0;

/// How the close reason of a broken frame starts (the browser build's is written by JavaScript,
/// which reads the frames).
const BROKEN: &[u8] = b"Broken SockJS framing: ";

/// A deadline that never comes: none is set.
const NEVER: Millis = f64::INFINITY;

/// The least time the last transport of the plan gets to open.
pub const LAST_RESORT_TIMEOUT_MS: Millis = 10_000.0;

/// Bounds on what the connection holds for the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Most JSON bytes in one `xhr_send` body (at least one message always goes). The server
    /// takes bodies up to 4 × its frame limit.
    pub max_batch_bytes: usize,
    /// Most JSON bytes of messages waiting for `xhr_send` (each quoted, with its comma); beyond
    /// it the connection closes (1009).
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

/// The records a connection writes, first byte of each after its `u32` length: actions below
/// 16, events from 16. Numbers are little-endian `u32`, flags and transports (their
/// [`TransportKind`] number) `u8`; a string that ends a record runs to its end, another one has
/// a `u32` length first.
#[repr(u8)]
pub enum Out {
    /// `u32` t: `GET {base}/info?t={t}`, report [`SockJsConnection::info_received`] or
    /// [`SockJsConnection::info_failed`].
    FetchInfo = 1,
    /// `u32` channel, session (`{server}/{session}`, 12 bytes): `new WebSocket` of
    /// `{base}/{session}/websocket` with `ws(s)://` for `http(s)://`; report its messages and
    /// close on `channel`.
    OpenWebSocket = 2,
    /// `u32` channel, `u8` transport, `u8` credentials (`withCredentials`), session: a receiving
    /// request on `channel` to `{base}/{session}/{path}` ([`TransportKind::path`]), a POST for
    /// xhr-streaming and xhr-polling, an `EventSource` for eventsource.
    OpenReceiver = 3,
    /// `u32` channel: shut it (close the socket, abort the request, close the EventSource) and
    /// detach its handlers: nothing more is to be reported for it.
    Shut = 4,
    /// `u32` channel, text (a JSON array of strings): one WebSocket message.
    SendWebSocket = 5,
    /// `u8` credentials, session (12 bytes), body (a JSON array of strings): `POST` it to
    /// `{base}/{session}/xhr_send`, report [`SockJsConnection::send_done`].
    PostSend = 6,
    /// `u8` transport: the SockJS session is open.
    Open = 16,
    /// The message's text (SockJS messages are strings).
    Message = 17,
    /// `u32` code, `u8` reason word, reason: the connection is over (once), its reason the
    /// word ([`REASONS`]: the connection's own reasons, a byte each, which the shell writes)
    /// and the text after it; the shell shuts every channel it still has (the native build
    /// writes a [`Out::Shut`] for each running attempt before it).
    Closed = 18,
    /// text: a line for the `debug` callback, a transport in it as one byte, 16 + its
    /// number, which the shell writes as the transport's name, and each of its words as one
    /// byte after those (see [`WORDS`]).
    Debug = 19,
    /// `u8` transport: it failed to open or lost the race; [`Out::Open`] reports the winner.
    /// For the [`TransportPlan`] the shell keeps across connections: written by the native
    /// build only (the browser build tells its plan by [`SockJsConnection::teach`]).
    Failed = 21,
}

/// An action record, read back (the native API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnAction {
    FetchInfo {
        url: String,
    },
    OpenWebSocket {
        channel: u32,
        url: String,
    },
    OpenReceiver {
        channel: u32,
        kind: TransportKind,
        url: String,
        credentials: bool,
    },
    Shut {
        channel: u32,
    },
    SendWebSocket {
        channel: u32,
        text: String,
    },
    PostSend {
        url: String,
        body: String,
        credentials: bool,
    },
}

/// An event record, read back (the native API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnEvent {
    Open(TransportKind),
    /// One message (SockJS messages are strings: always UTF-8).
    Message(Vec<u8>),
    Closed {
        code: u16,
        reason: String,
    },
    Failed(TransportKind),
    Debug(String),
}

/// The rest of a record as text.
fn text(r: &Reader<'_>) -> String {
    String::from_utf8_lossy(r.0).into_owned()
}

/// In a debug line, a transport's name is the byte `NAME` + its number: the shell writes the
/// name (JavaScript has the names anyway, for `transport` and the `transports` option), and
/// each word is a byte after them (see [`WORDS`]).
const NAME: u8 = 0x10;

/// The words of the debug lines, after the transports' names: the byte `NAME` + i is
/// `WORDS[i]`, which the shell writes (`WORDS` in `pkg-core/js/sockjs.js`, compared with this
/// table by a test): the module carries a byte per word.
pub(crate) const WORDS: [&str; 16] = [
    "websocket",
    "xhr-streaming",
    "eventsource",
    "xhr-polling",
    "SockJS: rtt ",
    " ms, trying",
    "SockJS: open over ",
    "SockJS: trying ",
    "SockJS: ",
    " lost the race",
    " failed: ",
    "timed out",
    "broken framing",
    "messages before open",
    "closed ",
    "",
];
const RTT: u8 = NAME + 4;
const MS_TRYING: u8 = NAME + 5;
const OPEN_OVER: u8 = NAME + 6;
const TRYING: u8 = NAME + 7;
const SOCKJS: u8 = NAME + 8;
const LOST_THE_RACE: u8 = NAME + 9;
const FAILED: u8 = NAME + 10;
const TIMED_OUT: u8 = NAME + 11;
const BROKEN_FRAMING: u8 = NAME + 12;
const MESSAGES_BEFORE_OPEN: u8 = NAME + 13;
const CLOSED: u8 = NAME + 14;
/// An empty word: where a line has nothing after its transport.
const NOTHING: u8 = NAME + 15;

/// The close reasons the connection gives itself: a [`Out::Closed`] record's byte after its
/// code is an index here, and its text follows (the shell has the same table, `REASONS` in
/// `pkg-core/js/sockjs.js`, compared with this one by a test): the module carries a byte per
/// reason. [`GIVEN`]: none, the text is the reason (the user's, the server's, a socket's).
pub(crate) const REASONS: [&str; 10] = [
    "",
    "Cannot connect to server (SockJS /info failed)",
    "Cannot connect to server (SockJS /info timed out)",
    "SockJS /info failed with status ",
    "All transports failed",
    "SockJS session lost (server sent a new open frame)",
    "SockJS frame too large",
    "Connection interrupted",
    "SockJS xhr_send failed",
    "SockJS send queue full",
];
const GIVEN: u8 = 0;
const INFO_FAILED: u8 = 1;
const INFO_TIMED_OUT: u8 = 2;
/// Followed by the status's digits.
const INFO_STATUS: u8 = 3;
const ALL_FAILED: u8 = 4;
const SESSION_LOST: u8 = 5;
const FRAME_TOO_LARGE: u8 = 6;
const INTERRUPTED: u8 = 7;
const XHR_SEND_FAILED: u8 = 8;
const QUEUE_FULL: u8 = 9;

/// The rest of a debug record as text, with the transports' names and the words written out.
fn with_names(r: &Reader<'_>) -> String {
    let mut line = Vec::new();
    for &b in r.0 {
        match b.checked_sub(NAME).and_then(|i| WORDS.get(usize::from(i))) {
            Some(word) => line.extend_from_slice(word.as_bytes()),
            None => line.push(b),
        }
    }
    String::from_utf8_lossy(&line).into_owned()
}

/// `{base}/{session}/{path}`, with `ws(s)://` for `http(s)://` if `websocket`: the URLs the
/// shell builds from a record's session.
#[cfg(feature = "std")]
fn url(base: &[u8], session: &[u8], path: &str, websocket: bool) -> String {
    let base = String::from_utf8_lossy(base);
    let mut url = String::new();
    match (websocket, base.strip_prefix("http")) {
        (true, Some(rest)) => {
            url.push_str("ws");
            url.push_str(rest);
        }
        _ => url.push_str(&base),
    }
    url.push('/');
    url.push_str(&String::from_utf8_lossy(session));
    url.push('/');
    url.push_str(path);
    url
}

#[cfg(feature = "std")]
impl ConnAction {
    fn from_record(record: &[u8], base: &[u8]) -> Option<ConnAction> {
        let mut r = Reader(record);
        fn session<'a>(r: &mut Reader<'a>) -> &'a [u8] {
            let (s, rest) = r.0.split_at_checked(12).unwrap_or((r.0, &[]));
            r.0 = rest;
            s
        }
        Some(match r.u8() {
            1 => {
                let mut url = String::from_utf8_lossy(base).into_owned();
                url.push_str("/info?t=");
                let mut t = Vec::new();
                push_decimal(&mut t, r.u32().into());
                url.push_str(&String::from_utf8_lossy(&t));
                ConnAction::FetchInfo { url }
            }
            2 => ConnAction::OpenWebSocket {
                channel: r.u32(),
                url: url(base, session(&mut r), "websocket", true),
            },
            3 => {
                let channel = r.u32();
                let kind = TransportKind::from_code(r.u8())?;
                ConnAction::OpenReceiver {
                    channel,
                    kind,
                    credentials: r.u8() == 1,
                    url: url(base, session(&mut r), kind.path(), false),
                }
            }
            4 => ConnAction::Shut { channel: r.u32() },
            5 => ConnAction::SendWebSocket {
                channel: r.u32(),
                text: text(&r),
            },
            6 => ConnAction::PostSend {
                credentials: r.u8() == 1,
                url: url(base, session(&mut r), "xhr_send", false),
                body: text(&r),
            },
            _ => return None,
        })
    }
}

impl ConnEvent {
    fn from_record(record: &[u8]) -> Option<ConnEvent> {
        let mut r = Reader(record);
        Some(match r.u8() {
            16 => ConnEvent::Open(TransportKind::from_code(r.u8())?),
            17 => ConnEvent::Message(r.0.to_vec()),
            18 => ConnEvent::Closed {
                code: r.u32() as u16,
                reason: {
                    let word = REASONS.get(usize::from(r.u8())).copied();
                    word.unwrap_or_default().to_owned() + &text(&r)
                },
            },
            19 => ConnEvent::Debug(with_names(&r)),
            21 => ConnEvent::Failed(TransportKind::from_code(r.u8())?),
            _ => return None,
        })
    }
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

/// A server frame as [`SockJsConnection::frame_read`] takes it, read by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// `o`.
    Open,
    /// `h`.
    Heartbeat,
    /// `a[...]`: its messages are the caller's (see [`SockJsConnection::frame_read`]).
    Messages,
    /// `c[code,"reason"]`.
    Close(u16, &'a [u8]),
    /// Not a frame: the close reason, `Broken SockJS framing: ` and why.
    Broken(&'a [u8]),
}

/// A transport being tried, or (once open) the one carrying the session.
#[derive(Debug)]
struct Attempt {
    /// 0: nothing runs here (not started, failed, lost the race, or closed).
    channel: u32,
    kind: TransportKind,
    deadline: Millis,
    /// `{server}/{session}`, after the base in its URLs.
    session: [u8; 12],
    /// An incomplete line of an xhr response. Only the native API splits lines
    /// ([`SockJsConnection::receiver_text`]); the browser build gets them from JavaScript.
    #[cfg(feature = "std")]
    line: Vec<u8>,
}

impl Attempt {
    const IDLE: Attempt = Attempt {
        channel: 0,
        kind: TransportKind::WebSocket,
        deadline: 0.0,
        session: [0; 12],
        #[cfg(feature = "std")]
        line: Vec::new(),
    };

    /// Nothing runs here any more: its channel and any partial line go.
    fn stop(&mut self) {
        self.channel = 0;
        #[cfg(feature = "std")]
        {
            self.line = Vec::new();
        }
    }

    /// Whether a line of its response was cut short.
    fn line_pending(&self) -> bool {
        #[cfg(feature = "std")]
        return !self.line.is_empty();
        #[cfg(not(feature = "std"))]
        false
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
// A tag of its own (`Idle` 0), not the transport's spare values: a new connection's phase is a
// zero, and the phases are told apart by one byte.
#[repr(u8)]
enum Phase {
    Idle,
    FetchingInfo,
    Trying,
    Open(TransportKind),
    Closed,
}

/// One SockJS connection (see the module docs).
#[derive(Debug)]
pub struct SockJsConnection {
    /// `http(s)://host/path`, without trailing `/`: for the native API's [`ConnAction`]s (the
    /// browser build's records name sessions, which JavaScript makes URLs of).
    #[cfg(feature = "std")]
    base: Vec<u8>,
    plan: TransportPlan,
    /// The native API's ([`set_limits`](Self::set_limits)); the browser build's are the
    /// defaults (nothing there sets them).
    #[cfg(feature = "std")]
    limits: ConnectionLimits,
    rng: u64,
    credentials: bool,
    /// The last channel given out (0: none yet).
    last_channel: u32,
    phase: Phase,
    /// When `/info` was asked for, then the round trip it took (one field: nothing reads the
    /// time once the round trip is known).
    rtt: Millis,
    /// The transports not started yet, in the order to try them.
    pending: Transports,
    /// While `/info` is fetched, its deadline; then, while trying, when a transport starts
    /// beside the running attempts: the next one beside a WebSocket, xhr-polling beside a
    /// silent stream. [`NEVER`]: none (one field: the two are never due at once).
    due_at: Millis,
    /// In the order they were started (each transport once per connection).
    attempts: [Attempt; 4],
    started: usize,
    /// Messages waiting for `xhr_send`: each quoted, then a comma, i.e. the next body without
    /// its brackets.
    queue: Vec<u8>,
    send_in_flight: bool,
    /// What the plan is to learn and has not been told ([`teach`](Self::teach)): a bit per
    /// transport (by number) that failed or lost the race, and the one that opened.
    failed: u8,
    opened: Option<TransportKind>,
    /// The records written and not yet taken.
    out: Vec<u8>,
}

impl SockJsConnection {
    /// A connection to the SockJS endpoint at `base` (`http(s)://host/stomp`), trying
    /// transports as `plan` says. `entropy` seeds the server and session ids in the URLs.
    #[cfg(feature = "std")]
    pub fn new(base: &[u8], plan: TransportPlan, entropy: u64) -> SockJsConnection {
        let end = base.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
        SockJsConnection {
            base: bytes(base.get(..end).unwrap_or_default()),
            ..SockJsConnection::without_base(plan, entropy)
        }
    }

    /// A connection whose records name sessions, not URLs (they do anyway): the browser build,
    /// where JavaScript, which has the base, builds the URLs. Only the native API's
    /// [`ConnAction`]s need the base.
    pub fn without_base(plan: TransportPlan, entropy: u64) -> SockJsConnection {
        SockJsConnection {
            #[cfg(feature = "std")]
            base: Vec::new(),
            plan,
            #[cfg(feature = "std")]
            limits: ConnectionLimits::default(),
            rng: entropy | 1,
            credentials: false,
            last_channel: 0,
            phase: Phase::Idle,
            rtt: 0.0,
            pending: Transports::EMPTY,
            due_at: NEVER,
            attempts: [Attempt::IDLE; 4],
            started: 0,
            queue: Vec::new(),
            send_in_flight: false,
            failed: 0,
            opened: None,
            out: Vec::new(),
        }
    }

    #[cfg(feature = "std")]
    pub fn set_limits(&mut self, limits: ConnectionLimits) {
        self.limits = limits;
    }

    fn limits(&self) -> ConnectionLimits {
        #[cfg(feature = "std")]
        return self.limits;
        #[cfg(not(feature = "std"))]
        ConnectionLimits::default()
    }

    /// The transport carrying the session, once open.
    pub fn transport(&self) -> Option<TransportKind> {
        match self.phase {
            Phase::Open(kind) => Some(kind),
            _ => None,
        }
    }

    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// How many messages wait for the `xhr_send` in flight to finish.
    pub fn sends_pending(&self) -> usize {
        let mut count = 0;
        let mut at = 0;
        while at < self.queue.len() {
            at = message_end(&self.queue, at);
            count += 1;
        }
        count
    }

    /// The records written and not yet taken or polled. `pkg-sockjs` hands this buffer to
    /// JavaScript as the batch of each input, so the records are written where it reads them.
    pub fn records(&mut self) -> &mut Vec<u8> {
        &mut self.out
    }

    /// The oldest action not yet polled.
    #[cfg(feature = "std")]
    pub fn poll_action(&mut self) -> Option<ConnAction> {
        ConnAction::from_record(&self.take_record(true)?, &self.base)
    }

    /// The oldest event not yet polled.
    pub fn poll_event(&mut self) -> Option<ConnEvent> {
        ConnEvent::from_record(&self.take_record(false)?)
    }

    /// Removes the first action (or event) record from the buffer.
    fn take_record(&mut self, action: bool) -> Option<Vec<u8>> {
        let mut at = 0;
        loop {
            let len = Reader(self.out.get(at..)?).u32() as usize;
            let end = at + 4 + len;
            let record = self.out.get(at + 4..end).filter(|r| !r.is_empty())?;
            if (record.first() < Some(&16)) == action {
                let record = record.to_vec();
                self.out.drain(at..end);
                return Some(record);
            }
            at = end;
        }
    }

    /// Tells `plan` what this connection learnt since the last call: the transports that
    /// failed or lost the race, and the one that opened (what its [`Out::Failed`] and
    /// [`Out::Open`] records said). `pkg-sockjs` keeps one plan per endpoint across connections
    /// and calls this after each input; it needs no `Failed` record. A transport fails before
    /// another opens and never opens after failing, so the order the lessons are applied in
    /// makes no difference.
    pub fn teach(&mut self, plan: &mut TransportPlan, now: Millis) {
        plan.learn(core::mem::take(&mut self.failed), self.opened.take(), now);
    }

    /// The next deadline (`/info`, a transport's open timeout, the race's head start).
    pub fn poll_timeout(&self) -> Option<Millis> {
        let next = self.deadline_or_never();
        (next < NEVER).then_some(next)
    }

    /// [`poll_timeout`](Self::poll_timeout), with infinity for none (as `pkg-sockjs` hands it
    /// to JavaScript).
    pub fn deadline_or_never(&self) -> Millis {
        match self.phase {
            // No attempt runs while `/info` is fetched.
            Phase::FetchingInfo | Phase::Trying => {
                let mut next = self.due_at;
                for a in &self.attempts {
                    if a.channel != 0 {
                        next = least(next, a.deadline);
                    }
                }
                next
            }
            _ => NEVER,
        }
    }

    /// Starts: asks for `/info`.
    pub fn connect(&mut self, now: Millis) {
        if !matches!(self.phase, Phase::Idle) {
            return;
        }
        let t = self.random() % 1_000_000_000;
        let at = self.begin(Out::FetchInfo);
        put_u32(&mut self.out, t as u32);
        self.end(at);
        self.due_at = now + INFO_TIMEOUT_MS;
        self.rtt = now;
        self.phase = Phase::FetchingInfo;
    }

    /// `/info` answered.
    pub fn info_received(&mut self, now: Millis, status: u16, body: &[u8]) {
        self.info_read(now, status, parse_info(body).ok());
    }

    /// `/info` answered, its body already read (`None`: not a JSON object). The browser build
    /// reads it with JavaScript's `JSON.parse`, which the page has for free.
    pub fn info_read(&mut self, now: Millis, status: u16, info: Option<Info>) {
        if !matches!(self.phase, Phase::FetchingInfo) {
            return;
        }
        let info = match (status, info) {
            (200, Some(info)) => info,
            _ => {
                let mut digits = Vec::new();
                push_decimal(&mut digits, u64::from(status));
                return self.close_with(1002, INFO_STATUS, &digits);
            }
        };
        let rtt = most(now - self.rtt, 0.0);
        self.credentials = info.cookie_needed;
        let order = self.plan.order(&info, now);
        let at = self.begin(Out::Debug);
        self.out.extend_from_slice(&[RTT]);
        push_decimal(&mut self.out, rtt as u64);
        self.out.extend_from_slice(&[MS_TRYING]);
        for &kind in order.iter() {
            self.out.extend_from_slice(&[b' ', NAME + kind as u8]);
        }
        self.end(at);
        if order.is_empty() {
            return self.close_with(2000, ALL_FAILED, b"");
        }
        self.phase = Phase::Trying;
        self.pending = order;
        self.due_at = NEVER;
        self.rtt = rtt;
        self.start(now, 0);
    }

    /// `/info` could not be fetched (network error, timeout).
    pub fn info_failed(&mut self, _now: Millis) {
        if matches!(self.phase, Phase::FetchingInfo) {
            self.close_with(1002, INFO_FAILED, b"");
        }
    }

    pub fn handle_timeout(&mut self, now: Millis) {
        match self.phase {
            Phase::FetchingInfo if self.due_at <= now => {
                self.close_with(1002, INFO_TIMED_OUT, b"");
            }
            Phase::Trying => {
                let race_due = self.due_at <= now;
                if race_due {
                    self.due_at = NEVER;
                }
                // In the order they were started. What a failure starts comes later and is not
                // due yet.
                for i in 0..self.attempts.len() {
                    let Some(a) = self.attempts.get(i) else { break };
                    if a.channel != 0 && a.deadline <= now {
                        self.attempt_failed(now, a.channel, &[TIMED_OUT]);
                    }
                }
                if race_due {
                    self.race(now);
                }
            }
            _ => {}
        }
    }

    /// The WebSocket on `channel` received a message (one SockJS frame).
    pub fn websocket_message(&mut self, now: Millis, channel: u32, text: &[u8]) {
        if self.is_current(channel) {
            self.frame(now, channel, text);
        }
    }

    /// The WebSocket on `channel` closed (or failed to open).
    pub fn websocket_closed(&mut self, now: Millis, channel: u32, code: u16, reason: &[u8]) {
        self.channel_ended(now, channel, code, reason);
    }

    /// New text of the xhr response on `channel` (what arrived since the last call).
    #[cfg(feature = "std")]
    pub fn receiver_text(&mut self, now: Millis, channel: u32, text: &[u8]) {
        let Some(attempt) = self.attempt_mut(channel) else {
            return;
        };
        // Complete lines are read from `text` itself unless a line is pending; what is left
        // of an incomplete one is kept.
        let mut held = core::mem::take(&mut attempt.line);
        let pending = !held.is_empty();
        if pending {
            held.extend_from_slice(text);
        }
        let data = if pending { held.as_slice() } else { text };
        // Newlines found byte by byte: slice and `str` searches bring a memchr to the browser
        // build.
        let newline_at = |from: usize| {
            let rest = data.get(from..).unwrap_or_default();
            rest.iter().position(|&b| b == b'\n').map(|i| from + i)
        };
        if data.len() > self.limits().max_line_bytes && newline_at(0).is_none() {
            return self.line_too_large(channel);
        }
        let mut offset = 0;
        while let Some(end) = newline_at(offset) {
            // Frames end in `]` or a letter: ASCII trimming takes a `\r` before the `\n` too.
            let frame = data.get(offset..end).unwrap_or_default().trim_ascii_end();
            offset = end + 1;
            if !frame.is_empty() {
                self.frame(now, channel, frame);
                if !self.is_current(channel) {
                    return;
                }
            }
        }
        // What is left of a line: kept as it is while it grows (a frame larger than the pieces
        // the response arrives in), copied from the end of `data` otherwise.
        let rest = if pending && offset == 0 {
            held
        } else {
            bytes(data.get(offset..).unwrap_or_default())
        };
        if let Some(attempt) = self.attempt_mut(channel) {
            attempt.line = rest;
        }
    }

    /// One EventSource `message` on `channel` (its `data`, already unescaped).
    pub fn eventsource_message(&mut self, now: Millis, channel: u32, data: &[u8]) {
        if self.is_current(channel) {
            self.frame(now, channel, data);
        }
    }

    /// The receiving request on `channel` ended. `ok`: it completed normally (status 200, or an
    /// EventSource that delivered frames before it closed) — the server ended it at its byte
    /// limit or after a poll, and a new one is opened; otherwise the connection is lost.
    pub fn receiver_ended(&mut self, now: Millis, channel: u32, ok: bool) {
        // Not open: only a failed attempt's code is used (a reason is for an open session).
        let Phase::Open(kind) = self.phase else {
            return self.channel_ended(now, channel, 1006, b"");
        };
        // Taken first (a number skipped when the channel is not current: no harm).
        let next = self.new_channel();
        let Some(attempt) = self.attempt_mut(channel) else {
            return;
        };
        if !ok || attempt.line_pending() {
            return self.close_with(1006, INTERRUPTED, b"");
        }
        attempt.channel = next;
        let session = attempt.session;
        self.shut(channel);
        self.open_receiver(next, kind, &session);
    }

    /// The `xhr_send` in flight finished; `ok` when the server took it (204).
    pub fn send_done(&mut self, _now: Millis, ok: bool) {
        if !matches!(self.phase, Phase::Open(_)) {
            return;
        }
        self.send_in_flight = false;
        if !ok {
            return self.close_with(1006, XHR_SEND_FAILED, b"");
        }
        self.flush_sends();
    }

    /// Sends one message: SockJS carries strings, so `data` must be UTF-8 (the STOMP session
    /// writes binary bodies as base64 on such a transport).
    pub fn send(&mut self, data: &[u8]) -> Result<(), SendError> {
        if !matches!(self.phase, Phase::Open(_)) {
            return Err(SendError::NotOpen);
        }
        let mut quoted = Vec::new();
        if !json::quote_utf8_into(data, &mut quoted) {
            return Err(SendError::NotText);
        }
        self.send_quoted(&quoted)
    }

    /// Sends one message already quoted as a JSON string, with SockJS's escapes (the browser
    /// build quotes with JavaScript's `JSON.stringify`).
    pub fn send_quoted(&mut self, quoted: &[u8]) -> Result<(), SendError> {
        let Phase::Open(kind) = self.phase else {
            return Err(SendError::NotOpen);
        };
        if kind == TransportKind::WebSocket {
            let channel = self.first_running().map_or(0, |a| a.channel);
            let at = self.begin(Out::SendWebSocket);
            put_u32(&mut self.out, channel);
            self.out.extend_from_slice(b"[");
            self.out.extend_from_slice(quoted);
            self.out.extend_from_slice(b"]");
            self.end(at);
            return Ok(());
        }
        self.queue.extend_from_slice(quoted);
        self.queue.extend_from_slice(b",");
        if self.queue.len() > self.limits().max_queued_bytes {
            self.close_with(1009, QUEUE_FULL, b"");
            return Ok(());
        }
        self.flush_sends();
        Ok(())
    }

    /// Closes the connection from this side: every channel is shut, `Closed` is reported.
    pub fn close(&mut self, code: u16, reason: &[u8]) {
        self.close_with(code, GIVEN, reason);
    }

    /// Posts the oldest queued messages that fit in one body (at least one), unless an
    /// `xhr_send` is in flight.
    fn flush_sends(&mut self) {
        if self.send_in_flight || self.queue.is_empty() {
            return;
        }
        let Some(session) = self.first_running().map(|a| a.session) else {
            return;
        };
        let max = self.limits().max_batch_bytes;
        let mut cut = 0;
        while cut < self.queue.len() {
            let end = message_end(&self.queue, cut);
            // The body is `[`, the messages with commas between them, `]`: `end + 1` bytes.
            if cut > 0 && end + 2 > max {
                break;
            }
            cut = end;
        }
        let at = self.begin(Out::PostSend);
        self.out.extend_from_slice(&[u8::from(self.credentials)]);
        self.out.extend_from_slice(&session);
        self.out.extend_from_slice(b"[");
        // Without the last message's comma.
        let batch = self.queue.get(..cut.saturating_sub(1)).unwrap_or_default();
        self.out.extend_from_slice(batch);
        self.out.extend_from_slice(b"]");
        self.end(at);
        drop_front(&mut self.queue, cut);
        self.send_in_flight = true;
    }

    /// The first attempt running (once open: the one carrying the session). Plain searches
    /// here and in [`running_any`](Self::running_any), not a `Filter` iterator: less code.
    fn first_running(&self) -> Option<&Attempt> {
        self.attempts.iter().find(|a| a.channel != 0)
    }

    /// Whether an attempt running satisfies `f`.
    fn running_any(&self, f: impl Fn(&Attempt) -> bool) -> bool {
        self.attempts.iter().any(|a| a.channel != 0 && f(a))
    }

    /// The attempt on `channel`, if it is current.
    fn attempt_mut(&mut self, channel: u32) -> Option<&mut Attempt> {
        self.attempts
            .iter_mut()
            .find(|a| a.channel != 0 && a.channel == channel)
    }

    fn is_current(&self, channel: u32) -> bool {
        self.running_any(|a| a.channel == channel)
    }

    /// One server frame on `channel`, parsed here (the native API; the browser build parses
    /// in JavaScript and calls [`frame_read`](Self::frame_read)): the messages of an `a` frame
    /// are written as [`Out::Message`] records where they were read, then judged.
    fn frame(&mut self, now: Millis, channel: u32, text: &[u8]) {
        let mark = self.out.len();
        let mut reason = Vec::new();
        let out = &mut self.out;
        let parsed = parse_frame(text, &mut reason, |p| {
            let at = record_start(out, Out::Message as u8);
            p.string_into(out)?;
            record_end(out, at);
            Ok(())
        });
        let frame = match parsed {
            Ok(FrameKind::Open) => Frame::Open,
            Ok(FrameKind::Heartbeat) => Frame::Heartbeat,
            Ok(FrameKind::Messages) => Frame::Messages,
            Ok(FrameKind::Close(code)) => Frame::Close(code, &reason),
            Err(err) => {
                self.out.truncate(mark);
                let mut why = bytes(BROKEN);
                err.write_message(&mut why);
                return self.judge(now, channel, mark, Frame::Broken(&why));
            }
        };
        self.judge(now, channel, mark, frame);
    }

    /// One server frame on `channel`, already parsed (the browser build's wire format is read
    /// by JavaScript's `JSON.parse`): for [`Frame::Messages`] an empty [`Out::Message`] record
    /// stands for the frame's messages, which JavaScript holds; it stays in the batch only if
    /// they are to be delivered.
    pub fn frame_read(&mut self, now: Millis, channel: u32, frame: Frame<'_>) {
        if !self.is_current(channel) {
            return;
        }
        let mark = self.out.len();
        if let Frame::Messages = frame {
            let at = self.begin(Out::Message);
            self.end(at);
        }
        self.judge(now, channel, mark, frame);
    }

    /// What a frame on current `channel` does: while trying, the open frame makes its attempt
    /// the winner and anything else fails it; once open, messages and the close are the
    /// session's. The frame's message records start at `mark`.
    fn judge(&mut self, now: Millis, channel: u32, mark: usize, frame: Frame<'_>) {
        let trying = matches!(self.phase, Phase::Trying);
        match (trying, frame) {
            (_, Frame::Heartbeat) => {}
            (true, Frame::Broken(_)) => self.attempt_failed(now, channel, &[BROKEN_FRAMING]),
            (false, Frame::Broken(why)) => self.close_with(1002, GIVEN, why),
            (true, Frame::Open) => self.won(channel),
            (true, Frame::Messages) => {
                self.out.truncate(mark);
                self.attempt_failed(now, channel, &[MESSAGES_BEFORE_OPEN])
            }
            (true, Frame::Close(code, reason)) => {
                let mut why = bytes(&[CLOSED]);
                push_decimal(&mut why, u64::from(code));
                why.extend_from_slice(b" ");
                why.extend_from_slice(reason);
                self.attempt_failed(now, channel, &why)
            }
            // Written where they were read.
            (false, Frame::Messages) => {}
            (false, Frame::Close(code, reason)) => self.close_with(code, GIVEN, reason),
            // A second `o`: the server no longer knows our session and made a new one.
            (false, Frame::Open) => self.close_with(1006, SESSION_LOST, b""),
        }
    }

    /// A line of the xhr response on `channel` grew past [`ConnectionLimits::max_line_bytes`]
    /// without its newline (the browser build splits lines in JavaScript).
    pub fn line_too_large(&mut self, channel: u32) {
        if self.is_current(channel) {
            self.close_with(1009, FRAME_TOO_LARGE, b"");
        }
    }

    fn channel_ended(&mut self, now: Millis, channel: u32, code: u16, reason: &[u8]) {
        if !self.is_current(channel) {
            return;
        }
        match self.phase {
            Phase::Trying => {
                let mut why = bytes(&[CLOSED]);
                push_decimal(&mut why, u64::from(code));
                self.attempt_failed(now, channel, &why);
            }
            Phase::Open(_) => {
                // The reason given, if any.
                let word = if reason.is_empty() {
                    INTERRUPTED
                } else {
                    GIVEN
                };
                self.close_with(code, word, reason);
            }
            _ => {}
        }
    }

    /// The attempt on `channel` delivered the open frame: it carries the session; the others
    /// are shut (a WebSocket still pending lost the race).
    fn won(&mut self, channel: u32) {
        let mut winner = None;
        for i in 0..self.attempts.len() {
            let Some(a) = self.attempts.get_mut(i) else {
                continue;
            };
            let (lost, kind) = (a.channel, a.kind);
            if lost == channel {
                winner = Some(kind);
            } else if lost != 0 {
                a.stop();
                self.gave_up(lost, kind, LOST_THE_RACE, b"");
            }
        }
        let Some(kind) = winner else { return };
        self.opened = Some(kind);
        self.debug(OPEN_OVER, kind, NOTHING, b"");
        let at = self.begin(Out::Open);
        self.out.extend_from_slice(&[kind as u8]);
        self.end(at);
        self.phase = Phase::Open(kind);
        self.due_at = NEVER;
    }

    fn attempt_failed(&mut self, now: Millis, channel: u32, why: &[u8]) {
        if !matches!(self.phase, Phase::Trying) {
            return;
        }
        let Some(a) = self.attempt_mut(channel) else {
            return;
        };
        a.stop();
        let kind = a.kind;
        self.gave_up(channel, kind, FAILED, why);
        // A running HTTP transport keeps its chance: what races beside it was started by
        // [`race`](Self::race), and the next in line waits for it to fail too.
        let http_running = self.running_any(|a| a.kind.is_http());
        let more = !self.pending.is_empty();
        if !http_running && more {
            self.due_at = NEVER;
            self.start(now, 0);
        } else if self.first_running().is_none() && !more {
            self.close_with(2000, ALL_FAILED, b"");
        }
    }

    /// The race timer fired: nothing has opened yet. Beside a silent stream (a proxy may be
    /// holding its response until it ends) xhr-polling starts, skipping the other stream,
    /// which would be held just the same; beside a WebSocket alone, the next transport.
    fn race(&mut self, now: Millis) {
        if !matches!(self.phase, Phase::Trying) {
            return;
        }
        let index = if self.running_any(|a| a.kind.is_stream()) {
            self.pending
                .iter()
                .position(|&k| k == TransportKind::XhrPolling)
        } else {
            Some(0)
        };
        if let Some(index) = index {
            self.start(now, index);
        }
    }

    /// Starts `pending[index]` beside whatever attempts are running.
    fn start(&mut self, now: Millis, index: usize) {
        let Some(&kind) = self.pending.get(index) else {
            return;
        };
        if !matches!(self.phase, Phase::Trying) {
            return;
        }
        let session = self.new_session();
        let channel = self.new_channel();
        self.pending.remove(kind);
        let last = self.pending.is_empty();
        let rtt = self.rtt;
        let Some(a) = self.attempts.get_mut(self.started) else {
            return;
        };
        self.started += 1;
        a.channel = channel;
        a.kind = kind;
        a.session = session;
        // The last transport has nothing to hand over to: cutting it short would only fail
        // the connection (and a browser that throttles WebSocket attempts after failures, as
        // Chromium does, would then never let one through in time).
        a.deadline = now
            + if last {
                most(attempt_timeout(rtt), LAST_RESORT_TIMEOUT_MS)
            } else {
                attempt_timeout(rtt)
            };
        self.due_at = if kind == TransportKind::WebSocket && !last {
            now + head_start(rtt)
        } else if kind.is_stream() && self.pending.contains(TransportKind::XhrPolling) {
            now + stream_head_start(rtt)
        } else {
            NEVER
        };
        self.debug(TRYING, kind, NOTHING, b"");
        if kind == TransportKind::WebSocket {
            let at = self.begin(Out::OpenWebSocket);
            put_u32(&mut self.out, channel);
            self.out.extend_from_slice(&session);
            self.end(at);
        } else {
            self.open_receiver(channel, kind, &session);
        }
    }

    fn open_receiver(&mut self, channel: u32, kind: TransportKind, session: &[u8; 12]) {
        let at = self.begin(Out::OpenReceiver);
        put_u32(&mut self.out, channel);
        self.out
            .extend_from_slice(&[kind as u8, u8::from(self.credentials)]);
        self.out.extend_from_slice(session);
        self.end(at);
    }

    /// Closes with `code` and a reason: the word `word` ([`REASONS`], [`GIVEN`] for none), then
    /// `reason`.
    fn close_with(&mut self, code: u16, word: u8, reason: &[u8]) {
        if matches!(self.phase, Phase::Closed) {
            return;
        }
        for i in 0..self.attempts.len() {
            if let Some(a) = self.attempts.get_mut(i) {
                let channel = core::mem::take(&mut a.channel);
                // The browser's shell shuts every channel when it reads `Closed`: only the
                // native API's actions name them.
                if cfg!(feature = "std") && channel != 0 {
                    self.shut(channel);
                }
            }
        }
        self.phase = Phase::Closed;
        let at = self.begin(Out::Closed);
        put_u32(&mut self.out, code.into());
        self.out.extend_from_slice(&[word]);
        self.out.extend_from_slice(reason);
        self.end(at);
    }

    /// [`record_start`], with the kind appended as a slice: bytes here are never pushed one by
    /// one, so the module carries no `Vec::push` (-84 B gzip; `record_start` keeps its `push`,
    /// which the core module is smaller with).
    fn begin(&mut self, kind: Out) -> usize {
        let at = self.out.len();
        put_u32(&mut self.out, 0);
        self.out.extend_from_slice(&[kind as u8]);
        at
    }

    /// [`record_end`], its length written through `first_chunk_mut` (-35 B gzip here; the core
    /// module, which keeps `record_end`'s checked range, is 1 B larger with it).
    fn end(&mut self, at: usize) {
        let len = (self.out.len() - at - 4) as u32;
        if let Some(slot) = self.out.get_mut(at..).and_then(<[u8]>::first_chunk_mut) {
            *slot = len.to_le_bytes();
        }
    }

    fn shut(&mut self, channel: u32) {
        let at = self.begin(Out::Shut);
        put_u32(&mut self.out, channel);
        self.end(at);
    }

    /// The attempt of `kind` on `channel` is over without opening: shut, reported to the plan
    /// and in a debug line (`SockJS: {name}{what}{why}`, `what` a word's byte).
    fn gave_up(&mut self, channel: u32, kind: TransportKind, what: u8, why: &[u8]) {
        self.shut(channel);
        self.failed |= 1 << kind as u8;
        #[cfg(feature = "std")]
        {
            let at = self.begin(Out::Failed);
            self.out.extend_from_slice(&[kind as u8]);
            self.end(at);
        }
        self.debug(SOCKJS, kind, what, why);
    }

    /// A debug line about a transport: `{text}{name}{what}{why}`, `text` and `what` a word's
    /// byte each (written in one slice; [`NOTHING`] for no `what`), from its pieces (as
    /// arguments, not a slice of them: less code).
    fn debug(&mut self, text: u8, kind: TransportKind, what: u8, why: &[u8]) {
        let at = self.begin(Out::Debug);
        self.out.extend_from_slice(&[text, NAME + kind as u8, what]);
        self.out.extend_from_slice(why);
        self.end(at);
    }

    fn new_channel(&mut self) -> u32 {
        // Counted from 1: 0 is no channel.
        self.last_channel += 1;
        self.last_channel
    }

    /// `{3 digits}/{8 random letters and digits}`.
    fn new_session(&mut self) -> [u8; 12] {
        // The server's digits are the alphabet's first ten.
        const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        let mut session = *b"000/00000000";
        for (i, slot) in session.iter_mut().enumerate() {
            let among = match i {
                0..3 => 10,
                3 => continue,
                _ => 36,
            };
            *slot = ALPHABET[(self.random() % among) as usize];
        }
        session
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

/// `b` in a new `Vec` (one non-generic path for it: `to_vec` would be a second).
fn bytes(b: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(b);
    v
}

/// Removes the first `n` bytes of `v`: what is left moves to a buffer of its own (the rest of
/// a line or of the send queue, usually short). `Vec::drain`, `copy_within` or `split_off`
/// would bring their own code, with panicking range checks, to the browser build.
fn drop_front(v: &mut Vec<u8>, n: usize) {
    *v = bytes(v.get(n..).unwrap_or_default());
}

/// Where the queued message starting at `from` ends, past its comma. Inside a quoted message
/// a `"` only comes escaped, so the first unescaped one closes it.
fn message_end(queue: &[u8], from: usize) -> usize {
    let mut i = from + 1;
    while let Some(&b) = queue.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return i + 2,
            _ => i += 1,
        }
    }
    queue.len()
}
