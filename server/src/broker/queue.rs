//! Point-to-point destinations: each message goes to exactly one subscriber, round robin.
//!
//! A message nobody can take (no subscriber, or every client-ack subscriber at its unacked limit)
//! waits in the queue's backlog, bounded: beyond the limit the oldest waiting message is dropped.
//! The backlog drains when a subscriber arrives or an ACK frees room. A NACKed message, or one
//! left unacknowledged when its session ends, comes back here and goes out again with
//! `redelivered:true`, preferably to another subscriber.
//!
//! The number of queues is bounded too: a SEND that would create a queue beyond `max_queues`
//! is refused, because every queue may hold a full backlog and queue names are the sender's to
//! choose.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use stomp_wasm::ByteStr;

use super::message::Message;
use super::shard::{lock, shard_of, SHARDS};
use super::subscriber::{SessionLink, Subscription};
use crate::outbox::Pushed;

#[derive(Debug, Default)]
struct Queue {
    subscribers: Vec<Arc<Subscription>>,
    next: usize,
    backlog: VecDeque<(Arc<Message>, bool)>,
}

impl Queue {
    /// The next subscriber in turn that can take a message, avoiding `avoid` when anyone else
    /// can.
    fn pick(&mut self, avoid: Option<&Arc<SessionLink>>) -> Option<Arc<Subscription>> {
        let n = self.subscribers.len();
        let mut fallback = None;
        for i in 0..n {
            let idx = (self.next + i) % n;
            let sub = &self.subscribers[idx];
            if !sub.can_take() {
                continue;
            }
            if avoid.is_some_and(|a| Arc::ptr_eq(&sub.session, a)) {
                fallback.get_or_insert(idx);
                continue;
            }
            self.next = (idx + 1) % n;
            return Some(Arc::clone(sub));
        }
        let idx = fallback?;
        self.next = (idx + 1) % n;
        Some(Arc::clone(&self.subscribers[idx]))
    }

    /// Hands a message to a subscriber; false when no one could take it.
    fn dispatch(
        &mut self,
        name: &ByteStr,
        message: &Arc<Message>,
        redelivered: bool,
        avoid: Option<&Arc<SessionLink>>,
        congested: &mut Vec<Arc<SessionLink>>,
    ) -> bool {
        // A subscriber whose session turns out to be closing is skipped; bounded by the count.
        for _ in 0..self.subscribers.len() {
            let Some(sub) = self.pick(avoid) else {
                return false;
            };
            match sub.deliver(message, Some(name), redelivered) {
                Pushed::Queued => return true,
                Pushed::Congested => {
                    note_congested(congested, &sub.session);
                    return true;
                }
                // A client-ack delivery stays pending and returns at session end; an auto one
                // is lost with the slow consumer, as with any broker that closes them.
                Pushed::Overflow => return true,
                // Nothing is pending on a closed session or for a dropped frame: try the next
                // subscriber (or keep the message).
                Pushed::Closed | Pushed::Dropped => {}
            }
        }
        false
    }

    fn drain_backlog(&mut self, name: &ByteStr, congested: &mut Vec<Arc<SessionLink>>) {
        while let Some((message, redelivered)) = self.backlog.pop_front() {
            if !self.dispatch(name, &message, redelivered, None, congested) {
                self.backlog.push_front((message, redelivered));
                break;
            }
        }
    }

    fn is_idle(&self) -> bool {
        self.subscribers.is_empty() && self.backlog.is_empty()
    }
}

#[derive(Debug)]
pub struct Queues {
    shards: Box<[Mutex<HashMap<ByteStr, Queue>>]>,
    backlog_limit: usize,
    /// Queues that exist, over all shards.
    count: AtomicUsize,
    max_queues: usize,
}

/// One queue as the metrics endpoint shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStats {
    pub name: ByteStr,
    /// Messages waiting for a subscriber.
    pub depth: usize,
    pub consumers: usize,
    /// Delivered to client-ack subscribers and not yet acknowledged.
    pub unacked: usize,
}

/// A SEND would create a queue beyond the configured number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyQueues {
    pub limit: usize,
}

impl Queues {
    pub fn new(backlog_limit: usize, max_queues: usize) -> Queues {
        Queues {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            backlog_limit,
            count: AtomicUsize::new(0),
            max_queues,
        }
    }

    /// Runs `f` on the queue `name`, creating it if needed (unless `limited` and the count is at
    /// its limit), and drops it again when it is left idle.
    fn try_with_queue<R>(
        &self,
        name: &ByteStr,
        limited: bool,
        f: impl FnOnce(&mut Queue) -> R,
    ) -> Result<R, TooManyQueues> {
        let mut shard = lock(&self.shards[shard_of(name)]);
        let queue = match shard.entry(name.clone()) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                if limited && self.count.load(Ordering::Relaxed) >= self.max_queues {
                    return Err(TooManyQueues {
                        limit: self.max_queues,
                    });
                }
                self.count.fetch_add(1, Ordering::Relaxed);
                e.insert(Queue::default())
            }
        };
        let r = f(queue);
        if queue.is_idle() {
            shard.remove(name);
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
        Ok(r)
    }

    /// As [`try_with_queue`](Self::try_with_queue), never refused: for subscriptions (bounded
    /// per session already) and for messages coming back to their queue.
    fn with_queue<R>(&self, name: &ByteStr, f: impl FnOnce(&mut Queue) -> R) -> R {
        match self.try_with_queue(name, false, f) {
            Ok(r) => r,
            Err(_) => unreachable!("an unlimited call is never refused"),
        }
    }

    fn keep(&self, queue: &mut Queue, name: &ByteStr, message: Arc<Message>, redelivered: bool) {
        if queue.backlog.len() >= self.backlog_limit {
            tracing::warn!(queue = %name, limit = self.backlog_limit, "queue backlog full, dropping its oldest message");
            queue.backlog.pop_front();
        }
        if self.backlog_limit > 0 {
            queue.backlog.push_back((message, redelivered));
        }
    }

    /// Sends a message to the queue. Returns true when delivered now, false when kept (or, with
    /// a zero backlog, dropped); refused when the queue does not exist and there are already
    /// `max_queues`.
    pub fn send(
        &self,
        name: &ByteStr,
        message: Arc<Message>,
        congested: &mut Vec<Arc<SessionLink>>,
    ) -> Result<bool, TooManyQueues> {
        self.try_with_queue(name, true, |q| {
            // Older waiting messages go first.
            q.drain_backlog(name, congested);
            if q.backlog.is_empty() && q.dispatch(name, &message, false, None, congested) {
                return true;
            }
            self.keep(q, name, message, false);
            false
        })
    }

    /// Returns NACKed or abandoned messages (oldest first) for redelivery. They go out again in
    /// that order, as RabbitMQ redelivers: dispatched while someone can take them, and the rest
    /// wait at the head of the backlog, still in order and ahead of newer messages.
    pub fn redeliver(
        &self,
        name: &ByteStr,
        messages: impl IntoIterator<Item = Arc<Message>>,
        avoid: &Arc<SessionLink>,
    ) {
        self.with_queue(name, |q| {
            let mut waiting = Vec::new();
            for message in messages {
                // Once one has to wait, later ones wait behind it.
                if !waiting.is_empty()
                    || !q.dispatch(name, &message, true, Some(avoid), &mut Vec::new())
                {
                    waiting.push(message);
                }
            }
            for message in waiting.into_iter().rev() {
                if q.backlog.len() >= self.backlog_limit {
                    q.backlog.pop_back();
                }
                q.backlog.push_front((message, true));
            }
        })
    }

    pub fn subscribe(&self, name: &ByteStr, sub: Arc<Subscription>) {
        self.with_queue(name, |q| {
            q.subscribers.push(sub);
            q.drain_backlog(name, &mut Vec::new());
        })
    }

    pub fn unsubscribe(&self, name: &ByteStr, sub: &Arc<Subscription>) {
        self.with_queue(name, |q| {
            q.subscribers.retain(|s| !Arc::ptr_eq(s, sub));
            if q.next >= q.subscribers.len() {
                q.next = 0;
            }
        })
    }

    /// Delivers waiting messages after an ACK made room.
    pub fn pull(&self, name: &ByteStr) {
        self.with_queue(name, |q| q.drain_backlog(name, &mut Vec::new()))
    }

    /// Drops a queue and its backlog (a session's `/user` queues, when it ends).
    pub fn remove(&self, name: &ByteStr) {
        if lock(&self.shards[shard_of(name)]).remove(name).is_some() {
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Every queue's depth, consumers and unacknowledged messages (each shard locked in turn).
    pub fn stats(&self) -> Vec<QueueStats> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            for (name, q) in lock(shard).iter() {
                out.push(QueueStats {
                    name: name.clone(),
                    depth: q.backlog.len(),
                    consumers: q.subscribers.len(),
                    unacked: q.subscribers.iter().map(|s| s.unacked()).sum(),
                });
            }
        }
        out
    }

    /// Messages waiting in a queue.
    pub fn backlog_len(&self, name: &ByteStr) -> usize {
        lock(&self.shards[shard_of(name)])
            .get(name)
            .map_or(0, |q| q.backlog.len())
    }
}

/// Records a session whose outbox a publish left congested (once per session).
pub(crate) fn note_congested(congested: &mut Vec<Arc<SessionLink>>, link: &Arc<SessionLink>) {
    if !congested.iter().any(|l| Arc::ptr_eq(l, link)) {
        congested.push(Arc::clone(link));
    }
}
