//! The sans-IO STOMP client session: the whole client protocol, with no I/O and no clock.
//!
//! Modelled on quinn-proto. A [`Session`] is driven by its shell (the core module's C ABI in
//! `src/abi.rs` under `pkg-core/js/client.js`, or a test) through three kinds of calls:
//!
//! - **inputs**: what happened to the transport ([`Session::transport_opened`],
//!   [`Session::transport_data`], [`Session::transport_closed`], …), what the user asked for
//!   ([`Session::activate`], [`Session::publish`], [`Session::subscribe`], …) and
//!   [`Session::handle_timeout`] when the deadline from [`Session::poll_timeout`] has passed.
//!   Every input takes `now`, in [`Millis`] of the caller's monotonic clock.
//! - **actions** ([`Session::poll_action`]): what to do with the transport — open one, send
//!   bytes, close it, or run the user's `beforeConnect` first.
//! - **events** ([`Session::poll_event`]): what to tell the user's callbacks.
//!
//! After every input the shell drains actions and events, then re-arms one timer at
//! [`Session::poll_timeout`]. The session never blocks and never reads a clock, so it builds the
//! same natively and for wasm32, and the tests drive it with simulated time and a broker played
//! with the codec in memory.
//!
//! ```
//! use stomp_wasm::client::{Action, Event, Publish, Session, SessionConfig};
//!
//! let mut session = Session::new(SessionConfig {
//!     broker_url: "ws://127.0.0.1:15674/ws".into(),
//!     ..SessionConfig::default()
//! });
//! session.activate(0.0).unwrap();
//! assert!(matches!(session.poll_action(), Some(Action::OpenTransport { .. })));
//!
//! // The shell opened the WebSocket: the session sends CONNECT.
//! session.transport_opened(5.0, Some("v12.stomp"));
//! let Some(Action::Send { data, .. }) = session.poll_action() else { panic!() };
//! assert!(data.starts_with(b"CONNECT\n"));
//!
//! // The broker answered.
//! session.transport_data(9.0, b"CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0");
//! assert!(session.connected());
//! while let Some(event) = session.poll_event() {
//!     if let Event::Connected(frame) = event {
//!         assert_eq!(frame.get("version"), Some("1.2"));
//!     }
//! }
//! session.publish(10.0, Publish::new("/topic/greetings", "hello")).unwrap();
//! assert!(matches!(session.poll_action(), Some(Action::Send { .. })));
//! ```
//!
//! Behaviour follows @stomp/stompjs v7 (connect, heart-beats, reconnect with linear or
//! exponential backoff, receipts, transactions, graceful and forced deactivate), plus what its
//! users ask for: automatic re-subscription after a reconnect, an opt-in bounded offline queue
//! with at-least-once delivery, a cap on reconnection attempts, and failures of one subscription
//! reported to that subscription.

mod config;
mod debug_line;
mod error;
mod event;
mod header_list;
mod heartbeat;
mod offline;
mod received;
pub mod records;
mod session;
mod split;

// Native only: the property tests use proptest, which does not build for wasm32, and
// `wasm-pack test` compiles the library's unit tests along with tests/web_*.rs.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

pub use crate::time::Millis;
pub use config::{
    OfflineQueueConfig, ReconnectTimeMode, SessionConfig, Versions, ACCEPT_VERSIONS,
    MAX_PENDING_SEND_BYTES, MAX_RECEIPT_WATCHERS,
};
pub use error::ClientError;
pub use event::{Action, ActivationState, Event};
pub use header_list::HeaderList;
pub use received::Received;
pub use session::{Publish, Session};

/// The header stamped on every frame that goes through the offline queue: a stable id, the same
/// on every re-send of that frame, so a receiver can drop duplicates of an at-least-once delivery.
pub const OFFLINE_ID_HEADER: &str = "x-stomp-wasm-id";
