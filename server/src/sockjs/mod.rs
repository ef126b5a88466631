//! SockJS 0.3.3 on the server: every transport, at a configurable base path.
//!
//! A SockJS service is an axum [`Router`](axum::Router) built by [`router`] for one base path
//! (e.g. `/stomp`) and one [`SockJsHandler`], the application that runs once per SockJS session.
//! The application sees a [`SockJsSession`]: strings in, strings out, and a close; which
//! transport carries them (WebSocket, XHR streaming or polling, EventSource, htmlfile, JSONP)
//! is invisible to it.
//!
//! - `config`: [`SockJsConfig`]. `handler`: the [`SockJsHandler`] trait and its type-erased
//!   form.
//! - [`session`]: the application-facing session handle and the per-session state that the
//!   HTTP transports share (buffering between polls, the disconnect delay, one receiver at a
//!   time).
//! - `service`: what every request to one service needs (settings, application, sessions,
//!   the iframe page), shared by the HTTP and WebSocket transports.
//! - [`http`]: URL dispatch, the static endpoints (`/info`, `/iframe.html`, greeting), CORS,
//!   caching and cookie headers, and the HTTP transports.
//! - [`websocket`]: the `websocket` transport (SockJS framing over RFC 6455 and over the legacy
//!   hixie-76 protocol) and the raw `/websocket` endpoint.
//! - [`hixie76`]: the hixie-76 handshake answer and framing.
//! - [`stomp`]: STOMP over SockJS (the adapter to the broker's session entry point) and the
//!   routes the server mounts.
//! - [`test_services`]: the four services the public SockJS protocol suite expects.
//!
//! The framing itself (frames, JSON string arrays) is the shared core in
//! [`stomp_wasm::sockjs`].

mod config;
mod handler;
pub mod hixie76;
pub mod http;
mod receiver;
mod service;
pub mod session;
pub mod stomp;
pub mod test_services;
pub mod websocket;

pub use config::{SockJsConfig, DEFAULT_SOCKJS_URL};
pub use handler::SockJsHandler;
pub use http::router;
pub use session::{SessionClosed, SockJsReceiver, SockJsSender, SockJsSession};
