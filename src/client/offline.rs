//! The offline queue: publishes kept while there is no STOMP connection, sent after the next
//! CONNECTED and kept until their RECEIPT arrives. See
//! [`OfflineQueueConfig`](super::OfflineQueueConfig) for the delivery guarantee.

use crate::prelude::*;

use crate::codec::push_decimal;

use super::header_list::HeaderList;
use super::{ClientError, OfflineQueueConfig, OFFLINE_ID_HEADER};

/// One queued SEND, by its parts: encoded anew for each connection, since the escaping depends
/// on the version (a frame queued under 1.2 may go out on a 1.0 connection).
#[derive(Debug)]
pub(crate) struct Queued {
    /// The SEND's headers in order: `destination`, the user's others, then the queue's id and
    /// (unless the user set one) its receipt. One list, not a string per part.
    pub headers: HeaderList,
    pub body: Vec<u8>,
    pub content_length: bool,
    pub binary: bool,
    /// The user set the receipt: its RECEIPT also goes to the user.
    pub user_receipt: bool,
    size: usize,
}

impl Queued {
    /// A SEND to queue; [`OfflineQueue::push`] stamps it. A user's header named
    /// `destination` or [`OFFLINE_ID_HEADER`] is left out: those are the session's and the
    /// queue's (the id is appended, not set).
    pub fn new(
        destination: &str,
        user: &HeaderList,
        body: Vec<u8>,
        content_length: bool,
        binary: bool,
    ) -> Queued {
        let mut headers = HeaderList::new();
        headers.push("destination", destination);
        for (name, value) in user.iter() {
            if name != "destination" && name != OFFLINE_ID_HEADER {
                headers.push(name, value);
            }
        }
        Queued {
            headers,
            body,
            content_length,
            binary,
            user_receipt: false,
            size: 0,
        }
    }

    /// The `receipt` on the frame: one the user set, or ours (the stable id), appended after
    /// the user's headers only when they had none.
    pub fn receipt(&self) -> Option<&str> {
        self.headers.get("receipt")
    }
}

/// Oldest first. A `Vec`: entries leave from anywhere (by receipt) and there are few, and a
/// `VecDeque` of them cost the browser build its own ring logic.
#[derive(Debug, Default)]
pub(crate) struct OfflineQueue {
    entries: Vec<Queued>,
    bytes: usize,
    next_id: u64,
}

impl OfflineQueue {
    /// Queues a SEND, stamping it with a stable id and a receipt; returns the entry.
    pub fn push(
        &mut self,
        mut queued: Queued,
        config: &OfflineQueueConfig,
    ) -> Result<&Queued, ClientError> {
        // What it weighs against `max_bytes`: body and header text, its destination included.
        let size = queued.body.len() + queued.headers.text_len();
        if self.entries.len() >= config.max_frames || self.bytes + size > config.max_bytes {
            return Err(ClientError::OfflineQueueFull {
                frames: config.max_frames,
                bytes: config.max_bytes,
            });
        }
        let mut id = String::with_capacity(config.id_prefix.len() + 21);
        if !config.id_prefix.is_empty() {
            id.push_str(&config.id_prefix);
            id.push('-');
        }
        push_decimal(&mut id, self.next_id);
        self.next_id += 1;
        let headers = &mut queued.headers;
        headers.push(OFFLINE_ID_HEADER, &id);
        queued.user_receipt = headers.contains("receipt");
        if !queued.user_receipt {
            headers.push("receipt", &id);
        }
        queued.size = size;
        self.bytes += size;
        let at = self.entries.len();
        self.entries.push(queued);
        // Just pushed, so always there; the error only keeps a panic path out of the build.
        self.entries.get(at).ok_or(ClientError::OfflineQueueFull {
            frames: config.max_frames,
            bytes: config.max_bytes,
        })
    }

    /// Removes the entry this receipt id acknowledges; returns whether the user had set that
    /// receipt (so the RECEIPT is theirs too). `None` when no entry has that receipt.
    pub fn acknowledge(&mut self, receipt_id: &str) -> Option<bool> {
        let i = self
            .entries
            .iter()
            .position(|q| q.receipt() == Some(receipt_id))?;
        let q = self.entries.remove(i);
        self.bytes -= q.size;
        Some(q.user_receipt)
    }

    /// The entry at `i`, oldest first. The session sends them all once per connection, right
    /// after CONNECTED (which arrives once per transport), so none goes twice on one connection.
    pub fn get(&self, i: usize) -> Option<&Queued> {
        self.entries.get(i)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }
}
