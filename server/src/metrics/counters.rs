//! The counters behind `/metrics`: plain relaxed atomics, owned by the server and bumped by the
//! sessions.
//!
//! What happens per frame is first added up in a session's own [`Tally`] (no shared memory
//! touched) and added to the shared [`Metrics`] once per batch the session handles, so a busy
//! broker pays a handful of uncontended additions per read or flush, not per frame. Per
//! connection events (open, CONNECT, close) go straight to the atomics of the connection's
//! transport ([`TransportMetrics`]). Gauges that describe broker state (queue depths, unacked
//! messages, relay links) are not counted at all: the exporter reads them at scrape time.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use stomp_wasm::Command;

/// Slots per command: one per [`Command`], in [`Command::ALL`] order.
const COMMANDS: usize = Command::ALL.len();

fn slot(command: Command) -> usize {
    // A fieldless enum: its discriminants are 0.. in declaration order, the order of `ALL`.
    command as usize
}

/// Per-command frame and byte counters of one direction.
#[derive(Debug, Default)]
pub struct Traffic {
    frames: [AtomicU64; COMMANDS],
    bytes: [AtomicU64; COMMANDS],
    heartbeats: AtomicU64,
}

impl Traffic {
    /// `(command, frames, bytes)` for every command seen at least once.
    pub fn by_command(&self) -> impl Iterator<Item = (Command, u64, u64)> + '_ {
        Command::ALL.into_iter().filter_map(|c| {
            let frames = self.frames[slot(c)].load(Ordering::Relaxed);
            (frames > 0).then(|| (c, frames, self.bytes[slot(c)].load(Ordering::Relaxed)))
        })
    }

    pub fn heartbeats(&self) -> u64 {
        self.heartbeats.load(Ordering::Relaxed)
    }
}

/// The counters of one transport (`tcp`, `ws`, `sockjs-xhr_streaming`, …).
#[derive(Debug, Default)]
pub struct TransportMetrics {
    pub connections: AtomicU64,
    pub open: AtomicI64,
    /// Connections turned away at `limits.max_connections`.
    pub rejected: AtomicU64,
    pub sessions: AtomicI64,
    pub connects_accepted: AtomicU64,
    pub connects_refused: AtomicU64,
    pub auth_failures: AtomicU64,
    /// MESSAGE frames handed to this transport.
    pub deliveries: AtomicU64,
}

impl TransportMetrics {
    /// A connection was accepted: counted now, and as open until the guard drops.
    pub fn opened(self: &Arc<Self>) -> OpenConnection {
        self.connections.fetch_add(1, Ordering::Relaxed);
        self.open.fetch_add(1, Ordering::Relaxed);
        OpenConnection(Arc::clone(self))
    }

    /// The outcome of a CONNECT; an accepted one is a session until [`session_ended`](Self::session_ended).
    pub fn connect(&self, accepted: bool) {
        if accepted {
            self.connects_accepted.fetch_add(1, Ordering::Relaxed);
            self.sessions.fetch_add(1, Ordering::Relaxed);
        } else {
            self.connects_refused.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn session_ended(&self) {
        self.sessions.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Counts a connection as open while it lives.
#[derive(Debug)]
pub struct OpenConnection(Arc<TransportMetrics>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Every counter of one server. See the [module docs](self).
#[derive(Debug, Default)]
pub struct Metrics {
    pub received: Traffic,
    pub sent: Traffic,
    /// By transport name, in order of first use (a handful of entries).
    transports: Mutex<Vec<(&'static str, Arc<TransportMetrics>)>>,
    pub slow_consumer_closes: AtomicU64,
    /// Frames discarded by the `drop` slow-consumer policy.
    pub slow_consumer_drops: AtomicU64,
    pub heartbeat_timeouts: AtomicU64,
    /// Connections closed for sending no CONNECT within `limits.connect_timeout_ms`.
    pub connect_timeouts: AtomicU64,
    /// Sessions closed because their peer did not take a flush within `limits.send_timeout_ms`.
    pub send_timeouts: AtomicU64,
    /// SEND and SUBSCRIBE refused by the authorizer.
    pub denied_sends: AtomicU64,
    pub denied_subscribes: AtomicU64,
    /// SENDs not delivered because their client had sent them before (`x-stomp-wasm-id`).
    pub duplicate_sends: AtomicU64,
}

impl Metrics {
    /// The counters of `transport`, created on first use (once per connection, not per frame).
    pub fn transport(&self, transport: &'static str) -> Arc<TransportMetrics> {
        let mut all = self.transports.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, t)) = all.iter().find(|(name, _)| *name == transport) {
            return Arc::clone(t);
        }
        let t = Arc::new(TransportMetrics::default());
        all.push((transport, Arc::clone(&t)));
        t
    }

    /// Every transport seen so far, sorted by name.
    pub fn transports(&self) -> Vec<(&'static str, Arc<TransportMetrics>)> {
        let mut all = self
            .transports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        all.sort_by_key(|(name, _)| *name);
        all
    }

    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// One direction of a [`Tally`]: counts per command in `SLOTS` slots. `u32`s, saturating: a
/// tally only ever holds one batch (one read, one flush), and idle sessions keep it, so it is
/// kept small.
#[derive(Debug)]
struct Counts<const SLOTS: usize> {
    frames: [u32; SLOTS],
    bytes: [u32; SLOTS],
    heartbeats: u32,
}

impl<const SLOTS: usize> Default for Counts<SLOTS> {
    fn default() -> Self {
        Counts {
            frames: [0; SLOTS],
            bytes: [0; SLOTS],
            heartbeats: 0,
        }
    }
}

impl<const SLOTS: usize> Counts<SLOTS> {
    fn add(&mut self, slot: usize, bytes: usize) {
        self.frames[slot] = self.frames[slot].saturating_add(1);
        let bytes = u32::try_from(bytes).unwrap_or(u32::MAX);
        self.bytes[slot] = self.bytes[slot].saturating_add(bytes);
    }

    /// Adds the counts to `shared` (slot `i` is command `commands[i]`) and zeroes them.
    fn flush_into(&mut self, shared: &Traffic, commands: &[Command; SLOTS]) {
        for (i, command) in commands.iter().enumerate() {
            if self.frames[i] > 0 {
                let c = slot(*command);
                shared.frames[c].fetch_add(u64::from(self.frames[i]), Ordering::Relaxed);
                shared.bytes[c].fetch_add(u64::from(self.bytes[i]), Ordering::Relaxed);
                self.frames[i] = 0;
                self.bytes[i] = 0;
            }
        }
        if self.heartbeats > 0 {
            shared
                .heartbeats
                .fetch_add(u64::from(self.heartbeats), Ordering::Relaxed);
            self.heartbeats = 0;
        }
    }
}

/// The only frames a server sends, in the slots of a tally's sent counts.
const SERVER_COMMANDS: [Command; 4] = [
    Command::Connected,
    Command::Message,
    Command::Receipt,
    Command::Error,
];

/// A session's own frame counts since its last [`flush`](Self::flush).
#[derive(Debug, Default)]
pub struct Tally {
    received: Counts<COMMANDS>,
    sent: Counts<4>,
    dirty: bool,
}

impl Tally {
    pub fn received(&mut self, command: Command, bytes: usize) {
        self.received.add(slot(command), bytes);
        self.dirty = true;
    }

    pub fn received_heartbeat(&mut self) {
        self.received.heartbeats = self.received.heartbeats.saturating_add(1);
        self.dirty = true;
    }

    /// A frame handed to the transport, from its encoded bytes (`None`: a heart-beat).
    pub fn sent(&mut self, command: Option<Command>, bytes: usize) {
        match command.and_then(|c| SERVER_COMMANDS.iter().position(|s| *s == c)) {
            Some(i) => self.sent.add(i, bytes),
            None => self.sent.heartbeats = self.sent.heartbeats.saturating_add(1),
        }
        self.dirty = true;
    }

    /// Adds the counts to the shared counters (MESSAGE frames sent also count as deliveries of
    /// `transport`) and starts over.
    pub fn flush(&mut self, metrics: &Metrics, transport: &TransportMetrics) {
        if !std::mem::take(&mut self.dirty) {
            return;
        }
        let delivered = self.sent.frames[1]; // SERVER_COMMANDS[1]: MESSAGE
        if delivered > 0 {
            transport
                .deliveries
                .fetch_add(u64::from(delivered), Ordering::Relaxed);
        }
        self.received.flush_into(&metrics.received, &Command::ALL);
        self.sent.flush_into(&metrics.sent, &SERVER_COMMANDS);
    }
}

/// The command of an encoded server frame, from its first byte (a server sends only these four;
/// `None` for a heart-beat EOL).
pub fn server_command(encoded: &[u8]) -> Option<Command> {
    match encoded.first()? {
        b'M' => Some(Command::Message),
        b'R' => Some(Command::Receipt),
        b'E' => Some(Command::Error),
        b'C' => Some(Command::Connected),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_reach_the_shared_counters_once() {
        let metrics = Metrics::default();
        let tcp = metrics.transport("tcp");
        let mut t = Tally::default();
        t.received(Command::Send, 40);
        t.received(Command::Send, 60);
        t.received_heartbeat();
        t.sent(server_command(b"MESSAGE\n"), 120);
        t.sent(server_command(b"\n"), 1);
        t.flush(&metrics, &tcp);
        t.flush(&metrics, &tcp);
        let received: Vec<_> = metrics.received.by_command().collect();
        assert_eq!(received, vec![(Command::Send, 2, 100)]);
        assert_eq!(metrics.received.heartbeats(), 1);
        let sent: Vec<_> = metrics.sent.by_command().collect();
        assert_eq!(sent, vec![(Command::Message, 1, 120)]);
        assert_eq!(metrics.sent.heartbeats(), 1);
        assert_eq!(tcp.deliveries.load(Ordering::Relaxed), 1);
        assert!(Arc::ptr_eq(&tcp, &metrics.transport("tcp")));
    }
}
