//! The offline queue: publishes kept while there is no STOMP connection, sent after the next
//! CONNECTED and kept until their RECEIPT arrives. See
//! [`OfflineQueueConfig`](super::OfflineQueueConfig) for the delivery guarantee.

use crate::prelude::*;

use crate::codec::push_decimal;
use crate::frame::{ByteStr, Frame};

use super::{ClientError, OfflineQueueConfig, OFFLINE_ID_HEADER};

/// One queued SEND.
#[derive(Debug)]
pub(crate) struct Queued {
    pub frame: Frame,
    pub content_length: bool,
    pub binary: bool,
    /// The `receipt` on the frame: ours (the stable id) or one the user set.
    pub receipt: ByteStr,
    /// The user set the receipt: its RECEIPT also goes to the user.
    pub user_receipt: bool,
    size: usize,
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
    /// Queues a SEND frame, stamping it with a stable id and a receipt; returns the entry. The
    /// frame must not carry an [`OFFLINE_ID_HEADER`] of its own (`Session::publish` leaves the
    /// user's out): the id is appended, not set, which keeps `Headers::set` out of the client.
    pub fn push(
        &mut self,
        mut frame: Frame,
        content_length: bool,
        binary: bool,
        config: &OfflineQueueConfig,
    ) -> Result<&Queued, ClientError> {
        let size = frame_size(&frame);
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
        let id = ByteStr::from(id);
        frame.headers.push(OFFLINE_ID_HEADER, id.clone());
        let (receipt, user_receipt) = match frame.headers.get_bytestr("receipt") {
            Some(r) => (r, true),
            None => {
                frame.headers.push("receipt", id.clone());
                (id, false)
            }
        };
        self.bytes += size;
        let at = self.entries.len();
        self.entries.push(Queued {
            frame,
            content_length,
            binary,
            receipt,
            user_receipt,
            size,
        });
        // Just pushed, so always there; the error only keeps a panic path out of the build.
        self.entries.get(at).ok_or(ClientError::OfflineQueueFull {
            frames: config.max_frames,
            bytes: config.max_bytes,
        })
    }

    /// Removes the entry this receipt id acknowledges; returns whether the user had set that
    /// receipt (so the RECEIPT is theirs too). `None` when no entry has that receipt.
    pub fn acknowledge(&mut self, receipt_id: &str) -> Option<bool> {
        let i = self.entries.iter().position(|q| q.receipt == receipt_id)?;
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

/// What a frame weighs against `max_bytes`: body and headers.
fn frame_size(frame: &Frame) -> usize {
    let headers: usize = frame
        .headers
        .iter()
        .map(|(n, v)| n.len() + v.len() + 2)
        .sum();
    frame.body.len() + headers
}
