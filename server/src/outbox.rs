//! The per-session outbound buffer: encoded frames waiting for the transport, bounded in bytes.
//!
//! Producers (the broker fanning out a message from another session's task, the session itself)
//! push under a short per-session lock and wake the session's task; that task drains everything
//! queued in one go and hands it to the transport. There is no global lock on this path.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use tokio::sync::Notify;

use crate::config::SlowConsumerPolicy;
use crate::metrics::Metrics;

/// One encoded frame on its way to the peer.
///
/// A MESSAGE fanned out to many subscribers is a per-subscriber `head` (command line and the
/// headers that differ: `subscription`, `message-id`, `ack`) followed by a `tail` shared by all of
/// them (other headers, body, NUL): the body is encoded once per publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutFrame {
    Whole(Bytes),
    Split {
        head: Bytes,
        tail: Bytes,
    },
    /// A heart-beat EOL.
    Heartbeat,
}

impl OutFrame {
    /// Encoded length in bytes.
    pub fn len(&self) -> usize {
        match self {
            OutFrame::Whole(b) => b.len(),
            OutFrame::Split { head, tail } => head.len() + tail.len(),
            OutFrame::Heartbeat => 1,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The frame as its two parts (the second is empty unless split).
    pub fn parts(&self) -> (&[u8], &[u8]) {
        match self {
            OutFrame::Whole(b) => (b, &[]),
            OutFrame::Split { head, tail } => (head, tail),
            OutFrame::Heartbeat => (b"\n", &[]),
        }
    }

    /// The frame as one contiguous buffer (copies a split frame: for message-based transports
    /// such as WebSocket, which need each frame in one message).
    pub fn to_bytes(&self) -> Bytes {
        match self {
            OutFrame::Whole(b) => b.clone(),
            OutFrame::Split { head, tail } => {
                let mut out = BytesMut::with_capacity(head.len() + tail.len());
                out.extend_from_slice(head);
                out.extend_from_slice(tail);
                out.freeze()
            }
            OutFrame::Heartbeat => Bytes::from_static(b"\n"),
        }
    }
}

/// What happened to a pushed frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    Queued,
    /// Queued, and the buffer is now more than half full: the publisher should pause until the
    /// session drains it (publisher flow control).
    Congested,
    /// The buffer was full and the drop policy discarded the frame.
    Dropped,
    /// The buffer was full and the session is being closed as a slow consumer.
    Overflow,
    /// The session is over.
    Closed,
}

#[derive(Debug, Default)]
struct State {
    frames: VecDeque<OutFrame>,
    bytes: usize,
    overflowed: bool,
    closed: bool,
    dropped: u64,
}

/// See the [module docs](self).
#[derive(Debug)]
pub struct Outbox {
    state: Mutex<State>,
    notify: Notify,
    /// Woken when a congested buffer is drained (or the session ends).
    space: Notify,
    limit: usize,
    policy: SlowConsumerPolicy,
    /// Where frames dropped by the policy are counted too (`stomp_slow_consumer_drops`).
    metrics: Option<Arc<Metrics>>,
}

impl Outbox {
    pub fn new(limit: usize, policy: SlowConsumerPolicy) -> Outbox {
        Outbox {
            state: Mutex::new(State::default()),
            notify: Notify::new(),
            space: Notify::new(),
            limit,
            policy,
            metrics: None,
        }
    }

    /// Counts frames the drop policy discards in `metrics` as well.
    pub fn counting_drops(mut self, metrics: Arc<Metrics>) -> Outbox {
        self.metrics = Some(metrics);
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the queue inconsistent (every update is a
        // single push or drain), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a frame for the peer, subject to the byte limit.
    pub fn push(&self, frame: OutFrame) -> Pushed {
        let mut s = self.lock();
        if s.closed || s.overflowed {
            return Pushed::Closed;
        }
        let len = frame.len();
        if s.bytes + len > self.limit && !s.frames.is_empty() {
            match self.policy {
                SlowConsumerPolicy::Drop => {
                    s.dropped += 1;
                    if let Some(m) = &self.metrics {
                        m.slow_consumer_drops.fetch_add(1, Ordering::Relaxed);
                    }
                    return Pushed::Dropped;
                }
                SlowConsumerPolicy::Close => {
                    s.overflowed = true;
                    s.frames.clear();
                    s.bytes = 0;
                    drop(s);
                    self.notify.notify_one();
                    self.space.notify_waiters();
                    return Pushed::Overflow;
                }
            }
        }
        s.bytes += len;
        s.frames.push_back(frame);
        let first = s.frames.len() == 1;
        let congested = s.bytes > self.limit / 2;
        drop(s);
        if first {
            self.notify.notify_one();
        }
        if congested {
            Pushed::Congested
        } else {
            Pushed::Queued
        }
    }

    /// Queues a frame of the session's own (CONNECTED, RECEIPT, ERROR): never refused while the
    /// session lives, since the session produces these at the pace of its peer's input.
    pub fn push_control(&self, frame: OutFrame) {
        let mut s = self.lock();
        if s.closed {
            return;
        }
        s.bytes += frame.len();
        s.frames.push_back(frame);
        drop(s);
        self.notify.notify_one();
    }

    /// Moves every queued frame into `into`. Returns true when the buffer overflowed (the session
    /// must close as a slow consumer).
    pub fn drain_into(&self, into: &mut VecDeque<OutFrame>) -> bool {
        let mut s = self.lock();
        let was_congested = s.bytes > self.limit / 2;
        if s.frames.is_empty() {
            // Give back the capacity a burst left behind: idle sessions keep no buffers.
            if s.frames.capacity() > 16 {
                s.frames = VecDeque::new();
            }
        } else if into.is_empty() {
            std::mem::swap(into, &mut s.frames);
        } else {
            into.extend(s.frames.drain(..));
        }
        s.bytes = 0;
        let overflowed = s.overflowed;
        drop(s);
        if was_congested {
            self.space.notify_waiters();
        }
        overflowed
    }

    /// More than half the byte limit is waiting.
    pub fn is_congested(&self) -> bool {
        self.lock().bytes > self.limit / 2
    }

    /// Waits until the buffer is no longer congested (or the session is over). Cancel-safe.
    pub async fn wait_for_space(&self) {
        let drained = self.space.notified();
        tokio::pin!(drained);
        // Registered before the check: a drain in between still wakes us.
        drained.as_mut().enable();
        if !self.is_congested() || self.is_closed() {
            return;
        }
        drained.await
    }

    /// Waits until something is queued (or the buffer overflowed). Cancel-safe.
    pub async fn ready(&self) {
        self.notify.notified().await
    }

    /// Marks the session over: later pushes are refused.
    pub fn close(&self) {
        let mut s = self.lock();
        s.closed = true;
        s.frames = VecDeque::new();
        s.bytes = 0;
        drop(s);
        self.space.notify_waiters();
    }

    pub fn is_closed(&self) -> bool {
        let s = self.lock();
        s.closed || s.overflowed
    }

    /// Frames discarded by the drop policy.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: usize) -> OutFrame {
        OutFrame::Whole(Bytes::from(vec![b'x'; n]))
    }

    #[test]
    fn close_policy_overflows_past_the_limit() {
        let o = Outbox::new(100, SlowConsumerPolicy::Close);
        assert_eq!(o.push(frame(40)), Pushed::Queued);
        assert_eq!(o.push(frame(20)), Pushed::Congested);
        assert!(o.is_congested());
        assert_eq!(o.push(frame(60)), Pushed::Overflow);
        assert_eq!(o.push(frame(1)), Pushed::Closed);
        let mut out = VecDeque::new();
        assert!(o.drain_into(&mut out));
        assert!(out.is_empty());
    }

    #[test]
    fn drop_policy_drops_and_keeps_going() {
        let o = Outbox::new(100, SlowConsumerPolicy::Drop);
        assert_eq!(o.push(frame(60)), Pushed::Congested);
        assert_eq!(o.push(frame(60)), Pushed::Dropped);
        let mut out = VecDeque::new();
        assert!(!o.drain_into(&mut out));
        assert_eq!(out.len(), 1);
        assert!(!o.is_congested());
        assert_eq!(o.push(frame(30)), Pushed::Queued);
        assert_eq!(o.dropped(), 1);
    }

    #[test]
    fn a_single_oversized_frame_still_goes_out() {
        let o = Outbox::new(10, SlowConsumerPolicy::Close);
        assert_eq!(o.push(frame(50)), Pushed::Congested);
        let mut out = VecDeque::new();
        assert!(!o.drain_into(&mut out));
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn split_frames_concatenate() {
        let f = OutFrame::Split {
            head: Bytes::from_static(b"ab"),
            tail: Bytes::from_static(b"cd"),
        };
        assert_eq!(f.len(), 4);
        assert_eq!(&f.to_bytes()[..], b"abcd");
    }
}
