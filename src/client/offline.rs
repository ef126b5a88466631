//! The offline queue: publishes kept while there is no STOMP connection, sent after the next
//! CONNECTED and kept until their RECEIPT arrives. See
//! [`OfflineQueueConfig`](super::OfflineQueueConfig) for the delivery guarantee.

use crate::prelude::*;

use crate::codec::push_decimal;

use super::header_list::HeaderList;
use super::{ClientError, OfflineQueueConfig, OFFLINE_ID_HEADER};
use crate::frame::Command;

/// A frame the session holds by its parts: a queued SEND, or a live subscription's SUBSCRIBE.
/// Encoded anew for each connection, since the escaping depends on the version (a frame queued
/// under 1.2 may go out on a 1.0 connection). One type for both, so the Wasm build has one copy
/// of `Vec`'s code (push, remove, drop) for them.
#[derive(Debug)]
pub(crate) struct Held {
    pub command: Command,
    /// The headers in order, one list rather than a string per part. A SEND: `destination`,
    /// the user's others, then the queue's id and (unless the user set one) its receipt. A
    /// SUBSCRIBE: `destination`, `id`, then the user's others.
    pub headers: HeaderList,
    pub body: Vec<u8>,
    pub content_length: bool,
    pub binary: bool,
    /// A SEND: the user set the receipt, so its RECEIPT also goes to the user.
    pub user_receipt: bool,
    /// A SUBSCRIBE: sent again after a reconnect (with `resubscribe` on). Off for subscriptions
    /// that the application re-creates itself on every connect.
    pub restore: bool,
    size: usize,
}

impl Held {
    /// A SEND to queue; [`OfflineQueue::push`] stamps it. A user's header named
    /// `destination` or [`OFFLINE_ID_HEADER`] is left out: those are the session's and the
    /// queue's (the id is appended, not set).
    pub fn send(
        destination: &str,
        user: &HeaderList,
        body: Vec<u8>,
        content_length: bool,
        binary: bool,
    ) -> Held {
        let mut headers = HeaderList::new();
        headers.push("destination", destination);
        headers.push_all_but(user, ["destination", OFFLINE_ID_HEADER]);
        Held {
            command: Command::Send,
            headers,
            body,
            content_length,
            binary,
            user_receipt: false,
            restore: false,
            size: 0,
        }
    }

    /// A subscription: its SUBSCRIBE's headers (`destination`, `id`, the user's others).
    pub fn subscribe(headers: HeaderList, restore: bool) -> Held {
        Held {
            command: Command::Subscribe,
            headers,
            body: Vec::new(),
            content_length: false,
            binary: false,
            user_receipt: false,
            restore,
            size: 0,
        }
    }

    /// A SUBSCRIBE's id: its second header, the only one named `id` (`subscribe_with` leaves
    /// the user's out), found by the `get` the module has anyway.
    pub fn id(&self) -> &str {
        self.headers.get("id").unwrap_or_default()
    }
}

/// Where the first frame in `list` whose header `name` is `value` is; `usize::MAX` (past the
/// end, which [`take`] refuses) when there is none or no `value`. Not inlined: one copy of the
/// search for every lookup of a held frame (a subscription by id or receipt, a queued SEND by
/// receipt). A frame's `receipt` is one the user set or (queued SENDs) the queue's; an ERROR
/// naming a SUBSCRIBE's receipt is that subscription's failure.
#[inline(never)]
pub(crate) fn find(list: &[Held], name: &str, value: Option<&str>) -> usize {
    // A loop by index, not `position` in an `and_then`: 10 B gzip less in the browser core.
    let mut i = 0;
    while let Some(held) = list.get(i) {
        if value.is_some() && held.headers.get(name) == value {
            return i;
        }
        i += 1;
    }
    usize::MAX
}

/// `list.remove(i)`, `None` past the end: `Vec::remove` brings its own copy of this (270 B of
/// code) with a panicking bounds check. Not inlined: one copy for its four callers.
#[inline(never)]
pub(crate) fn take(list: &mut Vec<Held>, i: usize) -> Option<Held> {
    let len = list.len();
    if i >= len {
        return None;
    }
    // SAFETY: `i < len`: the entry is read out once, the ones after it moved down over it
    // (`ptr::copy` is a memmove) and the length shortened, so it is neither dropped twice nor
    // lost.
    unsafe {
        let p = list.as_mut_ptr().add(i);
        let held = p.read();
        core::ptr::copy(p.add(1), p, len - i - 1);
        list.set_len(len - 1);
        Some(held)
    }
}

/// Oldest first. A `Vec`: entries leave from anywhere (by receipt) and there are few, and a
/// `VecDeque` of them cost the browser build its own ring logic.
#[derive(Debug, Default)]
pub(crate) struct OfflineQueue {
    entries: Vec<Held>,
    bytes: usize,
    next_id: u64,
}

impl OfflineQueue {
    /// Queues a SEND, stamping it with a stable id and a receipt; returns the entry.
    pub fn push(
        &mut self,
        mut queued: Held,
        config: &OfflineQueueConfig,
    ) -> Result<&Held, ClientError> {
        // What it weighs against `max_bytes`: body and header text, its destination included.
        let size = queued.body.len() + queued.headers.text_len();
        if self.entries.len() >= config.max_frames || self.bytes + size > config.max_bytes {
            return Err(ClientError::OfflineQueueFull {
                frames: config.max_frames,
                bytes: config.max_bytes,
            });
        }
        // Grown as written: sizing it first cost the browser core more code than the growth.
        let mut id = String::new();
        if !config.id_prefix.is_empty() {
            id.push_str(&config.id_prefix);
            crate::codec::utf8::push_char(&mut id, '-');
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
        let i = find(&self.entries, "receipt", Some(receipt_id));
        let q = take(&mut self.entries, i)?;
        self.bytes -= q.size;
        Some(q.user_receipt)
    }

    /// The entry at `i`, oldest first. The session sends them all once per connection, right
    /// after CONNECTED (which arrives once per transport), so none goes twice on one connection.
    pub fn get(&self, i: usize) -> Option<&Held> {
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
