//! stomp-server: the stomp-wasm companion STOMP broker.
//!
//! - [`sockjs`]: SockJS 0.3.3 on the server (every transport), generic over a small handler
//!   trait.

pub mod sockjs;
