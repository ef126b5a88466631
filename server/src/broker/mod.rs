//! The broker core: routes messages between sessions, independent of any transport.
//!
//! Sessions reach it through plain method calls on a shared [`Broker`]; the broker reaches
//! sessions through their [`SessionLink`] (a bounded outbox and the pending-ACK list). State is
//! sharded by destination so concurrent publishers to different destinations do not contend.
//!
//! - [`destination`]: prefix routing and Ant-style patterns.
//! - [`message`]: a message and its once-per-version encoding.
//! - [`subscriber`]: sessions and subscriptions as the broker sees them; ACK bookkeeping.
//! - [`topic`]: pub-sub fan-out. [`queue`]: point-to-point, backlog, redelivery.
//! - [`user`]: `/user/...` destinations and who is online.
//! - `shard`: the registries' sharding by destination, and their lock.

pub mod destination;
pub mod message;
pub mod queue;
mod shard;
pub mod subscriber;
pub mod topic;
pub mod user;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use stomp_wasm::{ByteStr, Headers};

use crate::config::Destinations;
pub use destination::RESOLVED_USER_PREFIX;
use destination::{is_pattern, Pattern, Route, Router};
use message::Message;
pub use queue::QueueStats;
use queue::Queues;
pub(crate) use shard::lock;
pub use subscriber::{AckMode, PendingAck, SessionLink, Subscription};
use topic::Topics;
use user::Users;

/// Why a destination was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("destination {0:?} is under no configured prefix")]
    NoPrefix(String),
    #[error("wildcard subscriptions are only allowed on pub-sub destinations: {0:?}")]
    PatternOnQueue(String),
    #[error("malformed user destination {0:?}")]
    BadUserDestination(String),
    #[error("destination {0:?} is an application destination")]
    Application(String),
    #[error("destination {destination:?} would be a new queue, and there are already {limit} (limits: destinations.max_queues)")]
    TooManyQueues { destination: String, limit: usize },
    /// Relay mode: the destination cannot be relayed, or the broker connection cannot take it.
    #[error("{0}")]
    Relay(String),
}

/// A live subscription as its session remembers it, to cancel it later.
#[derive(Debug)]
pub struct ActiveSubscription {
    kind: SubscriptionKind,
    pub subscription: Arc<Subscription>,
}

#[derive(Debug)]
enum SubscriptionKind {
    Topic(ByteStr),
    Pattern,
    Queue(ByteStr),
}

/// See the [module docs](self).
#[derive(Debug)]
pub struct Broker {
    router: Router,
    topics: Topics,
    queues: Queues,
    users: Users,
    next_id: AtomicU64,
    max_unacked: usize,
}

impl Broker {
    pub fn new(config: &Destinations) -> Broker {
        Broker {
            router: Router::new(config),
            topics: Topics::default(),
            queues: Queues::new(config.queue_backlog, config.max_queues),
            users: Users::default(),
            next_id: AtomicU64::new(1),
            max_unacked: config.max_unacked.max(1),
        }
    }

    pub fn router(&self) -> &Router {
        &self.router
    }

    pub fn route<'a>(&self, destination: &'a str) -> Route<'a> {
        self.router.route(destination)
    }

    pub fn next_message_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Makes a connected session reachable by `/user` destinations.
    pub fn register(&self, link: &Arc<SessionLink>) {
        self.users.register(link);
    }

    /// Forgets an ended session (its outbox already closed and subscriptions cancelled): its
    /// unacknowledged queue messages go back for redelivery, its `/user` queues are dropped.
    pub fn unregister(&self, link: &Arc<SessionLink>) {
        self.users.unregister(link);
        self.redeliver(link.take_pending(None), link);
        for q in link.take_user_queues() {
            self.queues.remove(&q);
        }
    }

    /// Sends to a broker destination (`/topic`, `/queue` or `/user/{name}/…`). Returns the number
    /// of sessions reached now (a queue message kept for later counts 0).
    pub fn send(
        &self,
        destination: &str,
        headers: &Headers,
        body: Bytes,
    ) -> Result<usize, RouteError> {
        self.send_named(
            &ByteStr::from(destination.to_owned()),
            headers,
            body,
            &mut Vec::new(),
        )
    }

    /// As [`send`](Self::send), with the destination already shareable (a SEND's own header
    /// value: no copy). Sessions whose outbox the message left congested are added to
    /// `congested`, for the publisher to wait on.
    pub fn send_named(
        &self,
        destination: &ByteStr,
        headers: &Headers,
        body: Bytes,
        congested: &mut Vec<Arc<SessionLink>>,
    ) -> Result<usize, RouteError> {
        match self.route(destination) {
            Route::Topic => {
                let m =
                    Message::from_send(self.next_message_id(), destination.clone(), headers, body);
                Ok(self.topics.publish(&Arc::new(m), congested))
            }
            Route::Queue => {
                let m =
                    Message::from_send(self.next_message_id(), destination.clone(), headers, body);
                let delivered = self
                    .queues
                    .send(destination, Arc::new(m), congested)
                    .map_err(|e| RouteError::TooManyQueues {
                        destination: destination.to_string(),
                        limit: e.limit,
                    })?;
                Ok(usize::from(delivered))
            }
            Route::User(rest) => {
                let (name, target) = split_user(rest)
                    .ok_or_else(|| RouteError::BadUserDestination(destination.to_string()))?;
                self.send_to_user(name, target, headers, body)
            }
            Route::App(_) => Err(RouteError::Application(destination.to_string())),
            Route::Unknown => Err(RouteError::NoPrefix(destination.to_string())),
        }
    }

    /// Sends to `target` (e.g. `/queue/errors`) of every session of `user`; `user` may also be
    /// a session id, which reaches sessions without a login.
    pub fn send_to_user(
        &self,
        user: &str,
        target: &str,
        headers: &Headers,
        body: Bytes,
    ) -> Result<usize, RouteError> {
        let route = self.route(target);
        if !matches!(route, Route::Topic | Route::Queue) {
            return Err(RouteError::BadUserDestination(target.to_owned()));
        }
        let mut reached = 0;
        for link in self.users.sessions_of(user) {
            let name = resolved_user_destination(target, &link.id);
            let m = Arc::new(Message::from_send(
                self.next_message_id(),
                name.clone(),
                headers,
                body.clone(),
            ));
            if route == Route::Queue {
                link.add_user_queue(&name);
                // The error names the destination as the sender wrote it: the resolved name
                // carries the recipient's session id.
                let delivered = self.queues.send(&name, m, &mut Vec::new()).map_err(|e| {
                    RouteError::TooManyQueues {
                        destination: format!("/user/{user}{target}"),
                        limit: e.limit,
                    }
                })?;
                reached += usize::from(delivered);
            } else {
                reached += self.topics.publish(&m, &mut Vec::new());
            }
        }
        Ok(reached)
    }

    /// Registers a subscription to a broker or user destination.
    pub fn subscribe(
        &self,
        link: &Arc<SessionLink>,
        destination: &str,
        id: ByteStr,
        ack: AckMode,
    ) -> Result<ActiveSubscription, RouteError> {
        let (route, internal, reported) = match self.route(destination) {
            Route::User(rest) => {
                let route = self.route(rest);
                if !matches!(route, Route::Topic | Route::Queue) || is_pattern(rest) {
                    return Err(RouteError::BadUserDestination(destination.to_owned()));
                }
                let name = resolved_user_destination(rest, &link.id);
                if route == Route::Queue {
                    link.add_user_queue(&name);
                }
                (route, name, Some(ByteStr::from(destination.to_owned())))
            }
            r @ (Route::Topic | Route::Queue) => (r, ByteStr::from(destination.to_owned()), None),
            Route::App(_) => return Err(RouteError::Application(destination.to_owned())),
            Route::Unknown => return Err(RouteError::NoPrefix(destination.to_owned())),
        };
        let sub = Arc::new(Subscription::new(
            Arc::clone(link),
            id,
            ack,
            reported,
            self.max_unacked,
        ));
        let kind = if is_pattern(&internal) {
            if route == Route::Queue {
                return Err(RouteError::PatternOnQueue(destination.to_owned()));
            }
            self.topics
                .subscribe_pattern(Pattern::new(&internal), Arc::clone(&sub));
            SubscriptionKind::Pattern
        } else if route == Route::Queue {
            self.queues.subscribe(&internal, Arc::clone(&sub));
            SubscriptionKind::Queue(internal)
        } else {
            self.topics.subscribe(&internal, Arc::clone(&sub));
            SubscriptionKind::Topic(internal)
        };
        Ok(ActiveSubscription {
            kind,
            subscription: sub,
        })
    }

    /// Cancels a subscription; its unacknowledged queue messages go back for redelivery.
    pub fn unsubscribe(&self, active: &ActiveSubscription) {
        let sub = &active.subscription;
        match &active.kind {
            SubscriptionKind::Topic(d) => self.topics.unsubscribe(d, sub),
            SubscriptionKind::Pattern => self.topics.unsubscribe_pattern(sub),
            SubscriptionKind::Queue(q) => self.queues.unsubscribe(q, sub),
        }
        self.redeliver(sub.session.take_pending(Some(sub)), &sub.session);
    }

    /// Settles an ACK: frees room in the queues the messages came from.
    pub fn ack(&self, settled: Vec<PendingAck>) {
        let mut queues: Vec<ByteStr> = Vec::new();
        for p in settled {
            if !queues.contains(&p.queue) {
                queues.push(p.queue);
            }
        }
        for q in queues {
            self.queues.pull(&q);
        }
    }

    /// Settles a NACK: the messages go out again, preferably to another subscriber.
    pub fn nack(&self, link: &Arc<SessionLink>, settled: Vec<PendingAck>) {
        self.redeliver(settled, link);
    }

    /// Returns settled or abandoned messages (in delivery order) to their queues, each queue's in
    /// the order they were delivered, so that they go out again in their original order.
    fn redeliver(&self, mut pending: Vec<PendingAck>, avoid: &Arc<SessionLink>) {
        while let Some(first) = pending.first() {
            let queue = first.queue.clone();
            let (same, rest): (Vec<_>, Vec<_>) =
                pending.into_iter().partition(|p| p.queue == queue);
            self.queues
                .redeliver(&queue, same.into_iter().map(|p| p.message), avoid);
            pending = rest;
        }
    }

    /// Users with at least one connected session, sorted.
    pub fn online_users(&self) -> Vec<String> {
        self.users.names()
    }

    /// Connected sessions.
    pub fn session_count(&self) -> usize {
        self.users.session_count()
    }

    /// The broker's state for the metrics endpoint. Takes every shard lock in turn, so it also
    /// tells the health check that none is stuck.
    pub fn stats(&self) -> BrokerStats {
        let (topics, topic_subscriptions, pattern_subscriptions) = self.topics.stats();
        BrokerStats {
            queues: self.queues.stats(),
            topics,
            topic_subscriptions,
            pattern_subscriptions,
            sessions: self.users.session_count(),
        }
    }

    /// Messages waiting in a queue (diagnostics, tests).
    pub fn queue_backlog(&self, destination: &str) -> usize {
        self.queues
            .backlog_len(&ByteStr::from(destination.to_owned()))
    }
}

/// The broker's state at one instant, for the metrics endpoint.
#[derive(Debug, Clone, Default)]
pub struct BrokerStats {
    pub queues: Vec<QueueStats>,
    /// Topic destinations with at least one exact subscription.
    pub topics: usize,
    pub topic_subscriptions: usize,
    pub pattern_subscriptions: usize,
    /// Connected sessions.
    pub sessions: usize,
}

/// `/bob/queue/x` → (`bob`, `/queue/x`).
fn split_user(rest: &str) -> Option<(&str, &str)> {
    let rest = rest.strip_prefix('/')?;
    let slash = rest.find('/')?;
    let (name, target) = rest.split_at(slash);
    (!name.is_empty() && target.len() > 1).then_some((name, target))
}

/// The broker destination behind a session's `/user` destination: `target` (e.g.
/// `/queue/errors`) of session `session`, named in [`RESOLVED_USER_PREFIX`]'s namespace.
///
/// Spring names it `{target}-user{session}`, a plain destination: a client subscribing to
/// `/topic/**` or `/queue/errors-user{id}` would read another session's messages. Ours starts
/// with neither `/` nor `.`, so no configured prefix routes it (the router also refuses the
/// namespace outright) and no pattern a client may subscribe with matches it.
fn resolved_user_destination(target: &str, session: &str) -> ByteStr {
    ByteStr::from(format!("{RESOLVED_USER_PREFIX}{session}{target}"))
}

/// The target a resolved `/user` destination stands for (`user-session:{id}/queue/x` →
/// `/queue/x`), or `None` for any other name. Session ids are secrets (they name these
/// destinations), so whatever shows destination names to others shows this instead.
pub fn user_queue_target(name: &str) -> Option<&str> {
    let rest = name.strip_prefix(RESOLVED_USER_PREFIX)?;
    rest.find('/').map(|slash| &rest[slash..])
}
