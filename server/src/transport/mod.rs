//! The transports that carry STOMP sessions: raw TCP ([`tcp`]) and WebSocket on the HTTP
//! listener ([`ws`]). Each only moves bytes; the protocol is in [`crate::session`].

pub mod tcp;
pub mod ws;
