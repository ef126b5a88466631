//! [`ClientError`]: why a call on the session was refused. Messages follow stompjs where it has
//! one, so JavaScript callers see familiar text.

/// A refused call. The session is unchanged by a call that returns one of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The call needs a live STOMP connection (after CONNECTED) and there is none.
    #[error("There is no underlying STOMP connection")]
    NotConnected,
    /// `activate` while a `deactivate` is still closing the connection.
    #[error("Still DEACTIVATING, can not activate now")]
    StillDeactivating,
    /// The offline queue holds its maximum of frames or bytes.
    #[error("offline queue is full ({frames} frames, {bytes} bytes)")]
    OfflineQueueFull { frames: usize, bytes: usize },
    /// The shell has not polled the outgoing data fast enough.
    #[error("outgoing buffer is full ({limit} bytes waiting)")]
    SendBufferFull { limit: usize },
    /// NACK was asked for on a STOMP 1.0 connection, which has no NACK.
    #[error("NACK is not part of STOMP 1.0")]
    NackUnsupported,
    /// Too many receipts watched at once.
    #[error("too many receipts watched (limit {limit})")]
    TooManyReceiptWatchers { limit: usize },
}
