//! What can go wrong while driving a broker.

use stomp_wasm::DecodeError;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("websocket: {0}")]
    WebSocket(#[from] Box<tokio_tungstenite::tungstenite::Error>),
    #[error("undecodable frame from the broker: {0}")]
    Decode(#[from] DecodeError),
    #[error("the broker closed the connection")]
    Closed,
    #[error("the broker answered {command} where {expected} was expected: {detail}")]
    Unexpected {
        command: String,
        expected: &'static str,
        detail: String,
    },
    #[error("ERROR frame from the broker: {message}")]
    Refused { message: String },
    #[error("{0} (targets must be on 127.0.0.1)")]
    NotLoopback(String),
    #[error("invalid argument: {0}")]
    Invalid(String),
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("cannot read the memory of process {pid}: {reason}")]
    Rss { pid: u32, reason: String },
}

impl From<tokio_tungstenite::tungstenite::Error> for LoadError {
    fn from(e: tokio_tungstenite::tungstenite::Error) -> LoadError {
        LoadError::WebSocket(Box::new(e))
    }
}
