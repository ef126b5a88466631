//! The broker's view of a session ([`SessionLink`]) and of one of its subscriptions
//! ([`Subscription`]): where to push frames, which protocol version to encode for, and which queue
//! messages still await an ACK.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use stomp_wasm::{ByteStr, Version};

use super::message::{Delivery, Message};
use crate::outbox::{Outbox, Pushed};

/// SUBSCRIBE's `ack` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckMode {
    Auto,
    /// Cumulative: an ACK acknowledges that message and every earlier one of the subscription.
    Client,
    /// One message per ACK.
    ClientIndividual,
}

impl AckMode {
    pub fn parse(s: Option<&str>) -> Option<AckMode> {
        match s {
            None | Some("auto") => Some(AckMode::Auto),
            Some("client") => Some(AckMode::Client),
            Some("client-individual") => Some(AckMode::ClientIndividual),
            Some(_) => None,
        }
    }
}

/// A queue message delivered to a client-ack subscription and not yet acknowledged.
#[derive(Debug)]
pub struct PendingAck {
    pub message: Arc<Message>,
    /// The queue it came from, where a NACK or the end of the session returns it.
    pub queue: ByteStr,
    pub subscription: Arc<Subscription>,
}

/// One connected session as the broker sees it.
#[derive(Debug)]
pub struct SessionLink {
    pub id: Arc<str>,
    user: OnceLock<Arc<str>>,
    version: AtomicU8,
    pub outbox: Outbox,
    pending: Mutex<VecDeque<PendingAck>>,
    /// Per-session queues created for `/user/...` destinations, removed with the session.
    user_queues: Mutex<Vec<ByteStr>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section here is a plain collection update: a poisoned lock's data is sound.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl SessionLink {
    pub fn new(id: Arc<str>, outbox: Outbox) -> SessionLink {
        SessionLink {
            id,
            user: OnceLock::new(),
            version: AtomicU8::new(2),
            outbox,
            pending: Mutex::new(VecDeque::new()),
            user_queues: Mutex::new(Vec::new()),
        }
    }

    pub fn set_user(&self, user: Arc<str>) {
        let _ = self.user.set(user);
    }

    pub fn user(&self) -> Option<&Arc<str>> {
        self.user.get()
    }

    pub fn set_version(&self, v: Version) {
        let n = match v {
            Version::V1_0 => 0,
            Version::V1_1 => 1,
            Version::V1_2 => 2,
        };
        self.version.store(n, Ordering::Relaxed);
    }

    pub fn version(&self) -> Version {
        match self.version.load(Ordering::Relaxed) {
            0 => Version::V1_0,
            1 => Version::V1_1,
            _ => Version::V1_2,
        }
    }

    /// Removes and returns what an ACK or NACK of `message_id` settles: that message alone, or
    /// for a `client` subscription that message and every earlier pending one of the same
    /// subscription. `subscription` (1.1's header) narrows the search when given. Empty when the
    /// id is not pending (already settled, or an auto-ack / topic message).
    pub fn settle(&self, message_id: u64, subscription: Option<&str>) -> Vec<PendingAck> {
        let mut pending = lock(&self.pending);
        let Some(pos) = pending.iter().position(|p| {
            p.message.id == message_id && subscription.is_none_or(|s| p.subscription.id == s)
        }) else {
            return Vec::new();
        };
        let sub = Arc::clone(&pending[pos].subscription);
        let settled: Vec<PendingAck> = if sub.ack == AckMode::Client {
            let mut out = Vec::new();
            let mut kept = VecDeque::with_capacity(pending.len());
            for (i, p) in pending.drain(..).enumerate() {
                if i <= pos && Arc::ptr_eq(&p.subscription, &sub) {
                    out.push(p);
                } else {
                    kept.push_back(p);
                }
            }
            *pending = kept;
            out
        } else {
            pending.remove(pos).into_iter().collect()
        };
        for p in &settled {
            p.subscription.unacked.fetch_sub(1, Ordering::Relaxed);
        }
        settled
    }

    /// Every pending message (the session is ending, or a subscription is cancelled when `only`
    /// is given).
    pub fn take_pending(&self, only: Option<&Arc<Subscription>>) -> Vec<PendingAck> {
        let mut pending = lock(&self.pending);
        let taken: Vec<PendingAck> = match only {
            None => pending.drain(..).collect(),
            Some(sub) => {
                let (taken, kept): (Vec<_>, Vec<_>) = pending
                    .drain(..)
                    .partition(|p| Arc::ptr_eq(&p.subscription, sub));
                pending.extend(kept);
                taken
            }
        };
        for p in &taken {
            p.subscription.unacked.fetch_sub(1, Ordering::Relaxed);
        }
        taken
    }

    pub fn pending_count(&self) -> usize {
        lock(&self.pending).len()
    }

    pub fn add_user_queue(&self, queue: &ByteStr) {
        let mut q = lock(&self.user_queues);
        if !q.contains(queue) {
            q.push(queue.clone());
        }
    }

    pub fn take_user_queues(&self) -> Vec<ByteStr> {
        std::mem::take(&mut *lock(&self.user_queues))
    }
}

/// One SUBSCRIBE, registered in a topic, a queue or the wildcard list.
#[derive(Debug)]
pub struct Subscription {
    pub session: Arc<SessionLink>,
    /// The SUBSCRIBE's `id`.
    pub id: ByteStr,
    pub ack: AckMode,
    /// Reported as MESSAGE `destination` instead of the message's own (user destinations).
    pub reported_destination: Option<ByteStr>,
    unacked: AtomicUsize,
    max_unacked: usize,
}

impl Subscription {
    pub fn new(
        session: Arc<SessionLink>,
        id: ByteStr,
        ack: AckMode,
        reported_destination: Option<ByteStr>,
        max_unacked: usize,
    ) -> Subscription {
        Subscription {
            session,
            id,
            ack,
            reported_destination,
            unacked: AtomicUsize::new(0),
            max_unacked,
        }
    }

    /// Queue messages delivered to this subscription and not yet acknowledged.
    pub fn unacked(&self) -> usize {
        self.unacked.load(Ordering::Relaxed)
    }

    /// Whether a queue may hand this subscription another message now.
    pub fn can_take(&self) -> bool {
        !self.session.outbox.is_closed()
            && (self.ack == AckMode::Auto
                || self.unacked.load(Ordering::Relaxed) < self.max_unacked)
    }

    /// Pushes a MESSAGE to the session. `queue` is set for queue messages, which client-ack
    /// subscriptions must acknowledge (topic messages are never tracked: nothing would redeliver
    /// them).
    pub fn deliver(
        self: &Arc<Self>,
        message: &Arc<Message>,
        queue: Option<&ByteStr>,
        redelivered: bool,
    ) -> Pushed {
        let version = self.session.version();
        let tracked = queue.is_some() && self.ack != AckMode::Auto;
        if let (Some(queue), true) = (queue, tracked) {
            let mut pending = lock(&self.session.pending);
            // Checked under the pending lock: a session's cleanup closes the outbox first and
            // then takes the pending list, so an entry added here is either seen by that cleanup
            // or never added.
            if self.session.outbox.is_closed() {
                return Pushed::Closed;
            }
            self.unacked.fetch_add(1, Ordering::Relaxed);
            pending.push_back(PendingAck {
                message: Arc::clone(message),
                queue: queue.clone(),
                subscription: Arc::clone(self),
            });
        }
        let frame = message.frame_for(&Delivery {
            version,
            destination: self
                .reported_destination
                .as_deref()
                .unwrap_or(&message.destination),
            subscription: &self.id,
            with_ack_header: version == Version::V1_2 && self.ack != AckMode::Auto,
            redelivered,
        });
        let pushed = self.session.outbox.push(frame);
        if tracked && pushed == Pushed::Dropped {
            // Never reached the client: not pending, so the queue can offer it elsewhere.
            let mut pending = lock(&self.session.pending);
            if let Some(i) = pending
                .iter()
                .rposition(|p| p.message.id == message.id && Arc::ptr_eq(&p.subscription, self))
            {
                pending.remove(i);
                self.unacked.fetch_sub(1, Ordering::Relaxed);
            }
        }
        pushed
    }
}
