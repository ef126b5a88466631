//! [`BrokerHandle`]: what application code (handlers, scheduled tasks, hooks) may do with the
//! broker: publish, reach users, see who is online.

use std::sync::Arc;

use bytes::Bytes;
use stomp_wasm::Headers;

use crate::broker::{Broker, RouteError};
use crate::relay::Relay;

/// A cheap, cloneable handle on the broker for application code.
///
/// In relay mode (`relay.enabled`) publishes go to the external broker over the node's system
/// connection, and their count of sessions reached is 0 (the broker knows it, not us);
/// `online_users` and `session_count` are this node's.
#[derive(Debug, Clone)]
pub struct BrokerHandle {
    broker: Arc<Broker>,
    relay: Option<Arc<Relay>>,
}

impl BrokerHandle {
    pub(crate) fn new(broker: Arc<Broker>, relay: Option<Arc<Relay>>) -> BrokerHandle {
        BrokerHandle { broker, relay }
    }

    /// Sends a text or binary body to a broker destination (`/topic/…`, `/queue/…`,
    /// `/user/{name}/…`). Returns how many sessions it reached now.
    pub fn send(&self, destination: &str, body: impl Into<Bytes>) -> Result<usize, RouteError> {
        self.send_with_headers(destination, &Headers::new(), body)
    }

    /// As [`send`](Self::send), with headers (e.g. `content-type`).
    pub fn send_with_headers(
        &self,
        destination: &str,
        headers: &Headers,
        body: impl Into<Bytes>,
    ) -> Result<usize, RouteError> {
        match &self.relay {
            Some(relay) => relay.publish(destination, headers, body.into()),
            None => self.broker.send(destination, headers, body.into()),
        }
    }

    /// Sends to `target` (e.g. `/queue/replies`) of every session of `user` (a login name, or a
    /// session id for anonymous sessions): what those sessions subscribed as `/user/queue/replies`
    /// receives it.
    pub fn send_to_user(
        &self,
        user: &str,
        target: &str,
        headers: &Headers,
        body: impl Into<Bytes>,
    ) -> Result<usize, RouteError> {
        match &self.relay {
            Some(relay) => relay.publish_to_user(user, target, headers, body.into()),
            None => self.broker.send_to_user(user, target, headers, body.into()),
        }
    }

    /// Logged-in users with at least one session, sorted.
    pub fn online_users(&self) -> Vec<String> {
        self.broker.online_users()
    }

    /// Connected sessions (anonymous ones included).
    pub fn session_count(&self) -> usize {
        self.broker.session_count()
    }

    /// Messages waiting in a queue for a subscriber.
    pub fn queue_backlog(&self, destination: &str) -> usize {
        self.broker.queue_backlog(destination)
    }
}
