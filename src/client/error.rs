//! [`ClientError`]: why a call on the session was refused. Messages follow stompjs where it has
//! one, so JavaScript callers see familiar text.
//!
//! The text is written by [`ClientError::message`] with string pushes, not `core::fmt`: the
//! browser build throws it as an `Error` and leaves the formatting machinery out. `Display`
//! (for native callers) prints the same text.

use crate::prelude::*;
use core::fmt;

use crate::codec::push_decimal;

/// A refused call. The session is unchanged by a call that returns one of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The call needs a live STOMP connection (after CONNECTED) and there is none.
    NotConnected,
    /// `activate` while a `deactivate` is still closing the connection.
    StillDeactivating,
    /// The offline queue holds its maximum of frames or bytes.
    OfflineQueueFull { frames: usize, bytes: usize },
    /// The shell has not polled the outgoing data fast enough.
    SendBufferFull { limit: usize },
    /// NACK was asked for on a STOMP 1.0 connection, which has no NACK.
    NackUnsupported,
    /// Too many receipts watched at once.
    TooManyReceiptWatchers { limit: usize },
}

impl ClientError {
    /// The message, e.g. "There is no underlying STOMP connection".
    pub fn message(&self) -> String {
        let (text, numbers): (&str, &[(usize, &str)]) = match self {
            ClientError::NotConnected => ("There is no underlying STOMP connection", &[]),
            ClientError::StillDeactivating => ("Still DEACTIVATING, can not activate now", &[]),
            ClientError::OfflineQueueFull { frames, bytes } => (
                "offline queue is full (",
                &[(*frames, " frames, "), (*bytes, " bytes)")],
            ),
            ClientError::SendBufferFull { limit } => {
                ("outgoing buffer is full (", &[(*limit, " bytes waiting)")])
            }
            ClientError::NackUnsupported => ("NACK is not part of STOMP 1.0", &[]),
            ClientError::TooManyReceiptWatchers { limit } => {
                ("too many receipts watched (limit ", &[(*limit, ")")])
            }
        };
        let mut out = String::from(text);
        for (n, after) in numbers {
            push_decimal(&mut out, *n as u64);
            out.push_str(after);
        }
        out
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::ClientError;

    #[test]
    fn messages_carry_their_numbers() {
        assert_eq!(
            ClientError::OfflineQueueFull {
                frames: 3,
                bytes: 1024
            }
            .to_string(),
            "offline queue is full (3 frames, 1024 bytes)"
        );
        assert_eq!(
            ClientError::SendBufferFull { limit: 10 }.message(),
            "outgoing buffer is full (10 bytes waiting)"
        );
        assert_eq!(
            ClientError::TooManyReceiptWatchers { limit: 64 }.message(),
            "too many receipts watched (limit 64)"
        );
        assert_eq!(
            ClientError::NotConnected.to_string(),
            "There is no underlying STOMP connection"
        );
    }
}
