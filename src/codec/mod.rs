//! The STOMP frame codec: bytes in, [`Frame`](crate::frame::Frame)s out, and back.
//!
//! - [`Decoder`]: incremental. Feed it chunks split anywhere; it yields whole frames and the
//!   heart-beat EOLs found between them. Limits are checked while bytes arrive, so an oversized
//!   frame is refused before it is buffered whole.
//! - [`Encoder`]: writes frames into a caller's reusable buffer, with the header escaping of the
//!   negotiated version; [`Encoder::encode_head`] + [`Encoder::encode_tail`] split a MESSAGE so a
//!   fan-out shares one encoded body among all subscribers.
//! - [`escape`]: the header escaping rules per version.
//!
//! This is the only STOMP parser in the repository: the browser client and the server both use it.

mod decoder;
mod encoder;
pub mod escape;

pub use decoder::{DecodeError, Decoded, Decoder, Limits};
pub use encoder::Encoder;
