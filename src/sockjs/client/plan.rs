//! The transports a browser client can use, their timeouts, and the order to try them in.

use super::info::Info;
use crate::time::Millis;

/// A SockJS transport the Wasm client speaks. Every browser that runs WebAssembly has XHR2,
/// CORS and EventSource, so the iframe, htmlfile and JSONP transports are never needed.
///
/// The discriminant is the transport's place in [`DEFAULT_ORDER`](Self::DEFAULT_ORDER), the
/// number JavaScript knows it by (`pkg-sockjs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TransportKind {
    /// `{base}/{server}/{session}/websocket`, SockJS framing inside WebSocket messages.
    WebSocket,
    /// A long POST response carrying many frames, re-opened at the server's byte limit.
    XhrStreaming,
    /// `text/event-stream`, re-opened at the server's byte limit.
    EventSource,
    /// One POST per batch of frames.
    XhrPolling,
}

impl TransportKind {
    /// The default order, sockjs-client's: fastest first.
    pub const DEFAULT_ORDER: [TransportKind; 4] = [
        TransportKind::WebSocket,
        TransportKind::XhrStreaming,
        TransportKind::EventSource,
        TransportKind::XhrPolling,
    ];

    /// The transport numbered `code` (its place in the default order).
    pub fn from_code(code: u8) -> Option<TransportKind> {
        TransportKind::DEFAULT_ORDER.get(usize::from(code)).copied()
    }

    /// The name in the `transports` option and on `client.transport` (sockjs-client's names).
    pub fn name(self) -> &'static str {
        // A table, in the order of the variants: less code than a match in the browser build.
        const NAMES: [&str; 4] = ["websocket", "xhr-streaming", "eventsource", "xhr-polling"];
        NAMES.get(self as usize).copied().unwrap_or_default()
    }

    /// Parses a `transports` entry: sockjs-client's names, or the SockJS URL suffixes.
    pub fn from_name(name: &str) -> Option<TransportKind> {
        Some(match name {
            "websocket" => TransportKind::WebSocket,
            "xhr-streaming" | "xhr_streaming" => TransportKind::XhrStreaming,
            "eventsource" => TransportKind::EventSource,
            "xhr-polling" | "xhr_polling" | "xhr" => TransportKind::XhrPolling,
            _ => return None,
        })
    }

    /// The last segment of the transport's URL.
    pub fn path(self) -> &'static str {
        match self {
            TransportKind::WebSocket => "websocket",
            TransportKind::XhrStreaming => "xhr_streaming",
            TransportKind::EventSource => "eventsource",
            TransportKind::XhrPolling => "xhr",
        }
    }

    /// Whether it runs over plain HTTP requests (sends go through `xhr_send`).
    pub fn is_http(self) -> bool {
        self != TransportKind::WebSocket
    }

    /// Whether it receives over one long response (xhr-streaming, eventsource): the kind a
    /// proxy that buffers responses until they end makes look dead.
    pub fn is_stream(self) -> bool {
        matches!(
            self,
            TransportKind::XhrStreaming | TransportKind::EventSource
        )
    }
}

/// The smaller of two times. Not `f64::min`: its NaN rule makes it a call to `fmin` in the
/// browser build, and these times are never NaN.
pub(crate) fn least(a: Millis, b: Millis) -> Millis {
    if a < b {
        a
    } else {
        b
    }
}

/// The larger of two times (see [`least`]).
pub(crate) fn most(a: Millis, b: Millis) -> Millis {
    if a > b {
        a
    } else {
        b
    }
}

/// sockjs-client's retransmission timeout from a measured round trip: 300 ms + rtt for fast
/// links, 4 × rtt for slow ones.
pub fn rto(rtt: Millis) -> Millis {
    if rtt > 100.0 {
        4.0 * rtt
    } else {
        300.0 + rtt
    }
}

/// How long one transport may take to deliver the SockJS `o` frame before the next is tried:
/// two round trips' worth of [`rto`] (every transport here opens in two: connect, then open).
pub fn attempt_timeout(rtt: Millis) -> Millis {
    2.0 * rto(rtt)
}

/// The head start WebSocket gets before the first HTTP transport is started beside it: a
/// healthy WebSocket opens in two round trips (TCP, then the upgrade), and the HTTP transport
/// started beside it needs time of its own to open, so three round trips (at least 40 ms, for
/// a browser busy elsewhere) keep WebSocket winning wherever it works, while an upgrade a
/// proxy swallows costs little more than that.
pub fn head_start(rtt: Millis) -> Millis {
    least(most(3.0 * rtt, 40.0), attempt_timeout(rtt))
}

/// The head start a streaming transport gets before xhr-polling is started beside it. A
/// healthy stream delivers its prelude and the open frame one round trip after the request;
/// one that stays silent longer sits behind a proxy that buffers responses until they end,
/// where only polling works. 100 ms of margin covers a browser's batching of `progress`
/// events (Chromium: one per 50 ms).
pub fn stream_head_start(rtt: Millis) -> Millis {
    least(100.0 + 2.0 * rtt, attempt_timeout(rtt))
}

/// How long after a WebSocket failure (or a lost race) WebSocket is tried first again.
pub const WEBSOCKET_RETRY_MS: Millis = 30_000.0;

/// A list of distinct transports in order: at most the four there are, held inline (a plan is
/// copied into each connection, and the browser build needs no `Vec<TransportKind>` for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transports {
    list: [TransportKind; 4],
    len: u8,
}

impl Transports {
    pub const EMPTY: Transports = Transports {
        // Zeros (nothing reads past `len`): less to initialise.
        list: [TransportKind::WebSocket; 4],
        len: 0,
    };

    /// All four, in the default order.
    pub const ALL: Transports = Transports {
        list: TransportKind::DEFAULT_ORDER,
        len: 4,
    };

    /// `kinds` in order, each once.
    pub fn from_slice(kinds: &[TransportKind]) -> Transports {
        let mut list = Transports::EMPTY;
        for &kind in kinds {
            list.push(kind);
        }
        list
    }

    pub fn as_slice(&self) -> &[TransportKind] {
        self.list.get(..usize::from(self.len)).unwrap_or_default()
    }

    pub fn contains(&self, kind: TransportKind) -> bool {
        self.as_slice().contains(&kind)
    }

    /// Appends `kind` unless it is there already.
    pub fn push(&mut self, kind: TransportKind) {
        if self.contains(kind) {
            return;
        }
        if let Some(slot) = self.list.get_mut(usize::from(self.len)) {
            *slot = kind;
            self.len += 1;
        }
    }

    /// Removes `kind`, keeping the order of the others.
    pub fn remove(&mut self, kind: TransportKind) {
        let mut kept = 0;
        for i in 0..usize::from(self.len) {
            let Some(&k) = self.list.get(i) else { break };
            if k != kind {
                if let Some(slot) = self.list.get_mut(kept) {
                    *slot = k;
                }
                kept += 1;
            }
        }
        self.len = kept as u8;
    }
}

impl core::ops::Deref for Transports {
    type Target = [TransportKind];

    fn deref(&self) -> &[TransportKind] {
        self.as_slice()
    }
}

/// The ordered whitelist of transports plus what past connections taught: the transport that
/// last worked (a reconnect starts with it) and when WebSocket last failed (it is tried first
/// again once [`WEBSOCKET_RETRY_MS`] have passed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransportPlan {
    whitelist: Transports,
    last_working: Option<TransportKind>,
    /// Minus infinity for never, a time long past: no `Option` (the plan is copied into each
    /// connection, and `now - at` then never falls inside the retry interval).
    websocket_failed_at: Millis,
    /// The native API's ([`set_websocket_retry_ms`](Self::set_websocket_retry_ms)); the
    /// browser build's is [`WEBSOCKET_RETRY_MS`] (nothing there sets it).
    #[cfg(feature = "std")]
    websocket_retry_ms: Millis,
}

impl Default for TransportPlan {
    fn default() -> TransportPlan {
        TransportPlan::DEFAULT
    }
}

impl TransportPlan {
    /// The default order, nothing learnt yet.
    pub const DEFAULT: TransportPlan = TransportPlan {
        whitelist: Transports::ALL,
        last_working: None,
        websocket_failed_at: f64::NEG_INFINITY,
        #[cfg(feature = "std")]
        websocket_retry_ms: WEBSOCKET_RETRY_MS,
    };

    /// A plan over `whitelist` (in the user's order; duplicates dropped). An empty list means
    /// the default order.
    pub fn new(whitelist: &[TransportKind]) -> TransportPlan {
        let mut plan = TransportPlan::DEFAULT;
        plan.set_whitelist(whitelist);
        plan
    }

    /// Replaces the whitelist; what was learnt about transports no longer listed is dropped.
    pub fn set_whitelist(&mut self, whitelist: &[TransportKind]) {
        self.set_transports(Transports::from_slice(whitelist));
    }

    /// [`set_whitelist`](Self::set_whitelist) from a list already made distinct (the browser
    /// build's, read from JavaScript's numbers).
    pub fn set_transports(&mut self, mut list: Transports) {
        if list.is_empty() {
            list = Transports::ALL;
        }
        if self.last_working.is_some_and(|k| !list.contains(k)) {
            self.last_working = None;
        }
        self.whitelist = list;
    }

    pub fn whitelist(&self) -> &[TransportKind] {
        &self.whitelist
    }

    pub fn last_working(&self) -> Option<TransportKind> {
        self.last_working
    }

    /// Changes how long WebSocket stays demoted after a failure.
    #[cfg(feature = "std")]
    pub fn set_websocket_retry_ms(&mut self, ms: Millis) {
        self.websocket_retry_ms = ms;
    }

    fn websocket_retry_ms(&self) -> Millis {
        #[cfg(feature = "std")]
        return self.websocket_retry_ms;
        #[cfg(not(feature = "std"))]
        WEBSOCKET_RETRY_MS
    }

    /// The order to try transports in now, given the server's `/info`:
    /// - WebSocket only if the server has it;
    /// - WebSocket first unless it failed less than the retry interval ago (then last);
    /// - the transport that last worked right after it (or first when WebSocket is demoted);
    /// - the rest in whitelist order.
    pub fn order(&self, info: &Info, now: Millis) -> Transports {
        let ws = TransportKind::WebSocket;
        let ws_listed = info.websocket && self.whitelist.contains(ws);
        let ws_demoted = now - self.websocket_failed_at < self.websocket_retry_ms();
        let mut order = Transports::EMPTY;
        if ws_listed && !ws_demoted {
            order.push(ws);
        }
        if let Some(last) = self.last_working.filter(|k| k.is_http()) {
            order.push(last);
        }
        for &kind in self.whitelist.iter() {
            if kind.is_http() {
                order.push(kind);
            }
        }
        if ws_listed && ws_demoted {
            order.push(ws);
        }
        order
    }

    /// [`failed`](Self::failed) for each transport whose bit (by number) is set in `failed`,
    /// then [`succeeded`](Self::succeeded) for `opened`, in one step (the browser build's).
    pub fn learn(&mut self, failed: u8, opened: Option<TransportKind>, now: Millis) {
        if failed & 1 != 0 {
            self.websocket_failed_at = now;
        }
        if self
            .last_working
            .is_some_and(|k| failed & (1 << k as u8) != 0)
        {
            self.last_working = None;
        }
        if let Some(kind) = opened {
            self.succeeded(kind);
        }
    }

    /// A transport delivered the SockJS open frame and carries the session.
    pub fn succeeded(&mut self, kind: TransportKind) {
        self.last_working = Some(kind);
        if kind == TransportKind::WebSocket {
            self.websocket_failed_at = f64::NEG_INFINITY;
        }
    }

    /// A transport failed to open (error, timeout, or — for WebSocket — lost the race to an
    /// HTTP transport).
    pub fn failed(&mut self, kind: TransportKind, now: Millis) {
        if kind == TransportKind::WebSocket {
            self.websocket_failed_at = now;
        }
        if self.last_working == Some(kind) {
            self.last_working = None;
        }
    }
}
