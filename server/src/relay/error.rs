//! [`RelayError`]: why the relay could not do something. Every relay file reports with it, so
//! it sits below them all.

/// Why the relay could not do something.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("message broker unavailable: {0}")]
    Unavailable(String),
    #[error("message broker refused the connection: {0}")]
    Refused(String),
    #[error("message broker protocol error: {0}")]
    Protocol(String),
    #[error("message broker closed the connection")]
    Closed,
    #[error("too many messages waiting for the message broker connection")]
    Backlog,
    #[error("message broker I/O error: {0}")]
    Io(#[from] std::io::Error),
}
