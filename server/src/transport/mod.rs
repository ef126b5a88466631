//! The transports that carry STOMP sessions: raw TCP ([`tcp`]) and WebSocket on the HTTP
//! listener ([`ws`]). Each only moves bytes; the protocol is in [`crate::session`].
//!
//! The listeners: [`accept`] (accepting without spinning on errors), [`http`] (the HTTP
//! listeners' connections, with timeouts), [`tls`] (certificates for the TLS listeners).

pub mod accept;
pub mod http;
pub mod tcp;
pub mod tls;
pub mod ws;
