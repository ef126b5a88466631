//! [`RelayStats`]: what the metrics endpoint shows of the relay's connections. Every relay file
//! updates them, so they sit below them all.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// What the metrics endpoint shows of the relay's connections (relaxed atomics: a few per
/// relayed frame, on a path that waits for the network anyway).
#[derive(Debug, Default)]
pub struct RelayStats {
    /// Client sessions' broker connections open now.
    pub upstreams: AtomicI64,
    /// CONNECTs refused because their broker connection could not be opened.
    pub upstream_failures: AtomicU64,
    /// Client sessions' broker connections lost mid-session (broker gone, ERROR, timeout).
    pub upstreams_lost: AtomicU64,
    /// Frames queued towards client sessions' broker connections, not yet written.
    pub upstream_pending: AtomicI64,
}

impl RelayStats {
    pub fn read(counter: &AtomicI64) -> u64 {
        counter.load(Ordering::Relaxed).max(0) as u64
    }
}
