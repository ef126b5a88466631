//! What both decoders (the server's [`Decoder`](super::Decoder) and the client's
//! [`ViewDecoder`](super::ViewDecoder)) and the scanner they share check against, and the errors
//! they report: a file of its own below all three, so the scanner needs nothing of a decoder.

use crate::prelude::*;

use super::escape::UndefinedEscape;

/// Size limits, checked as bytes arrive. Every one has a typed error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Whole frame: command line, headers, body and the NUL (not the heart-beats before it).
    pub max_frame_size: usize,
    /// Headers in one frame.
    pub max_headers: usize,
    /// One command or header line, without its EOL.
    pub max_header_line: usize,
    /// The body alone.
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_frame_size: 1024 * 1024 + 64 * 1024,
            max_headers: 64,
            max_header_line: 8 * 1024,
            max_body: 1024 * 1024,
        }
    }
}

impl Limits {
    /// No limit at all: only for trusted input (tests, tools), never for a peer's bytes.
    pub const fn unlimited() -> Limits {
        Limits {
            max_frame_size: usize::MAX,
            max_headers: usize::MAX,
            max_header_line: usize::MAX,
            max_body: usize::MAX,
        }
    }
}

/// Why bytes could not be decoded. After any of these the decoder has dropped its buffer and
/// starts afresh with the next bytes fed; the caller is expected to answer with an ERROR frame
/// (the message is written for that) and close the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown command {0:?}")]
    UnknownCommand(String),
    #[error("header line without a colon: {0:?}")]
    MalformedHeader(String),
    #[error("frame has more than {limit} headers")]
    TooManyHeaders { limit: usize },
    #[error("header line longer than {limit} bytes")]
    HeaderLineTooLong { limit: usize },
    #[error("frame larger than {limit} bytes")]
    FrameTooLarge { limit: usize },
    #[error("body larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("invalid content-length {0:?}")]
    InvalidContentLength(String),
    #[error("frame body of content-length {0} is not followed by a NUL byte")]
    MissingNul(usize),
    #[error("header is not valid UTF-8")]
    InvalidUtf8,
    /// A NUL byte in the command line or a header: it ends a frame for every peer that splits
    /// frames at NULs, so passing it on would let one frame forge another.
    #[error("NUL byte in a command or header line")]
    NulInHeader,
    #[error(transparent)]
    UndefinedEscape(#[from] UndefinedEscape),
}
