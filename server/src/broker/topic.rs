//! Pub-sub destinations: every subscriber gets each message.
//!
//! Exact subscriptions live in shards keyed by destination, each holding a copy-on-write list of
//! subscribers: a publish locks one shard just long enough to clone an `Arc` of the list, then
//! delivers without any broker lock. Pattern subscriptions (`/topic/chat.*`) are kept in one list
//! checked on every publish (skipped entirely while empty).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use stomp_wasm::ByteStr;

use super::destination::Pattern;
use super::message::Message;
use super::queue::note_congested;
use super::shard::{lock, shard_of, SHARDS};
use super::subscriber::{SessionLink, Subscription};
use crate::outbox::Pushed;

type SubscriberList = Arc<[Arc<Subscription>]>;

#[derive(Debug)]
pub struct Topics {
    shards: Box<[Mutex<HashMap<ByteStr, SubscriberList>>]>,
    patterns: RwLock<Vec<(Pattern, Arc<Subscription>)>>,
    pattern_count: AtomicUsize,
}

impl Default for Topics {
    fn default() -> Topics {
        Topics {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            patterns: RwLock::default(),
            pattern_count: AtomicUsize::new(0),
        }
    }
}

impl Topics {
    pub fn subscribe(&self, destination: &ByteStr, sub: Arc<Subscription>) {
        let mut shard = lock(&self.shards[shard_of(destination)]);
        let list = shard
            .entry(destination.clone())
            .or_insert_with(|| Arc::new([]));
        let mut v: Vec<_> = list.iter().cloned().collect();
        v.push(sub);
        *list = v.into();
    }

    pub fn unsubscribe(&self, destination: &ByteStr, sub: &Arc<Subscription>) {
        let mut shard = lock(&self.shards[shard_of(destination)]);
        if let Some(list) = shard.get_mut(destination) {
            let v: Vec<_> = list
                .iter()
                .filter(|s| !Arc::ptr_eq(s, sub))
                .cloned()
                .collect();
            if v.is_empty() {
                shard.remove(destination);
            } else {
                *list = v.into();
            }
        }
    }

    pub fn subscribe_pattern(&self, pattern: Pattern, sub: Arc<Subscription>) {
        let mut p = self.patterns.write().unwrap_or_else(|e| e.into_inner());
        p.push((pattern, sub));
        self.pattern_count.store(p.len(), Ordering::Release);
    }

    pub fn unsubscribe_pattern(&self, sub: &Arc<Subscription>) {
        let mut p = self.patterns.write().unwrap_or_else(|e| e.into_inner());
        p.retain(|(_, s)| !Arc::ptr_eq(s, sub));
        self.pattern_count.store(p.len(), Ordering::Release);
    }

    /// Delivers to every matching subscriber; returns how many. Sessions left congested are
    /// added to `congested`.
    pub fn publish(&self, message: &Arc<Message>, congested: &mut Vec<Arc<SessionLink>>) -> usize {
        let list = lock(&self.shards[shard_of(&message.destination)])
            .get(&message.destination)
            .cloned();
        let mut n = 0;
        if let Some(list) = list {
            for sub in list.iter() {
                if sub.deliver(message, None, false) == Pushed::Congested {
                    note_congested(congested, &sub.session);
                }
            }
            n += list.len();
        }
        // A resolved `/user` destination is one session's: patterns never see it.
        if self.pattern_count.load(Ordering::Acquire) > 0
            && !message
                .destination
                .starts_with(super::destination::RESOLVED_USER_PREFIX)
        {
            let patterns = self.patterns.read().unwrap_or_else(|e| e.into_inner());
            for (pattern, sub) in patterns.iter() {
                if pattern.matches(&message.destination) {
                    if sub.deliver(message, None, false) == Pushed::Congested {
                        note_congested(congested, &sub.session);
                    }
                    n += 1;
                }
            }
        }
        n
    }

    /// Destinations with subscribers, their subscriptions, and pattern subscriptions.
    pub fn stats(&self) -> (usize, usize, usize) {
        let (mut destinations, mut subscriptions) = (0, 0);
        for shard in self.shards.iter() {
            let shard = lock(shard);
            destinations += shard.len();
            subscriptions += shard.values().map(|l| l.len()).sum::<usize>();
        }
        let patterns = self
            .patterns
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .len();
        (destinations, subscriptions, patterns)
    }

    /// Subscribers of one exact destination (for tests and stats).
    pub fn subscriber_count(&self, destination: &ByteStr) -> usize {
        lock(&self.shards[shard_of(destination)])
            .get(destination)
            .map_or(0, |l| l.len())
    }
}
