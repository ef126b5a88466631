//! # stomp-server
//!
//! The stomp-wasm companion broker: STOMP 1.0/1.1/1.2 over raw TCP and WebSocket (SockJS plugs
//! in through the same session entry point), an in-memory broker with Spring's simple-broker
//! semantics, and Spring-style application handlers.
//!
//! ## Layout, top down
//!
//! Dependencies point one way: each part below uses only the parts listed after it
//! (`server/tests/layout.rs` fails on any import cycle, between files or folders).
//!
//! - [`server`]: only wires parts together — [`Server`], [`Listeners`], [`run`], the HTTP
//!   router, scheduled tasks, graceful shutdown (as tokio's mini-redis `server.rs`).
//! - [`sockjs`]: SockJS 0.3.3 (every transport) at `endpoints.sockjs`, generic over a small
//!   handler trait; STOMP runs over it through [`serve_session`].
//! - [`transport`]: `tcp` (raw STOMP, plain or TLS) and `ws` (WebSocket upgrade handler, origin
//!   check); the listeners' accept loops (`accept`, `http`: timeouts) and TLS certificates
//!   (`tls`: loading, reloading).
//! - [`session`]: one STOMP session — CONNECT negotiation, heart-beats, subscriptions, ACK/NACK,
//!   transactions, receipts, limits, ERROR-then-close — and [`serve_session`], which runs it over
//!   any transport.
//! - [`context`]: [`Context`], what sessions, transports and tasks share (configuration, broker,
//!   relay, application, security, admission, counters, shutdown signal), handed down to them.
//! - [`demo`]: the chat application behind the demo page (`www/`).
//! - [`monitor`]: `/metrics` (Prometheus) and `/healthz` on their own listener (`metrics`).
//! - [`app`]: the handler API (`@MessageMapping`, `@SendTo`, `@SubscribeMapping`,
//!   `@MessageExceptionHandler`, `@Scheduled` equivalents) and the example handlers.
//! - [`relay`]: scale-out — broker destinations relayed to RabbitMQ instead of the built-in
//!   broker (`relay.enabled`).
//! - [`login_throttle`]: failed CONNECTs per client address.
//! - [`dedup`]: a SEND re-sent by a reconnecting client (same `x-stomp-wasm-id`) is delivered
//!   once.
//! - [`broker`]: the transport-agnostic core — prefix routing and Ant-style wildcards
//!   (`destination`), topics (pub-sub), queues (round robin, backlog, redelivery), `/user`
//!   destinations, ACK bookkeeping. State is sharded by destination; each session has its own
//!   bounded outbox, so there is no global lock on the message path.
//! - [`outbox`]: a session's bounded outbound buffer, which the broker and the relay push into.
//! - [`fd_limit`]: the open-file limit against `limits.max_connections`.
//! - [`metrics`]: the counters everything above bumps.
//! - [`admission`]: places bounded in total and per client address (STOMP connections,
//!   connections before CONNECT, SockJS sessions).
//! - [`auth`]: pluggable [`auth::Authenticator`] (built-in: users file, anonymous switch) and
//!   per-destination [`auth::Authorizer`].
//! - [`config`]: every setting, TOML-loadable, with defaults (prefixes, heart-beats, limits,
//!   security); `shutdown`: the signal every task watches.
//!
//! Flow control: every session's outbound buffer is bounded in bytes (`limits.outbound_buffer`).
//! When a publish leaves a subscriber's buffer more than half full, the publishing session stops
//! reading from its peer until that buffer drains (at most `limits.publish_throttle_ms`), so a
//! fast publisher is slowed to its subscribers' pace through TCP/WebSocket backpressure instead
//! of overrunning them; a subscriber that still overflows gets the slow-consumer policy (ERROR
//! and close, or drop).
//!
//! All STOMP parsing and encoding goes through the shared codec ([`stomp_wasm::Decoder`],
//! [`stomp_wasm::Encoder`]); a fan-out encodes the body once (`Encoder::encode_tail`) and only a
//! short head per subscriber.
//!
//! ## Plugging in another transport (SockJS)
//!
//! The stable entry point is
//! [`serve_session(context: impl Into<Context>, transport: impl StompTransport, peer: PeerInfo)`](serve_session)
//! (a [`Server`] converts into its [`Context`]).
//! A transport implements [`StompTransport`]: `recv()` yields raw STOMP bytes from the peer
//! (split anywhere; `Ok(None)` = peer closed; must be cancel-safe) and `send()` writes queued
//! [`OutFrame`]s (one STOMP frame or a heart-beat `\n` each; [`OutFrame::to_bytes`] gives the
//! contiguous frame). When a transport is not one connection, use [`ChannelTransport`]: feed raw
//! bytes into an `mpsc::Sender<Bytes>`, read one encoded frame per `Bytes` from an
//! `mpsc::Receiver<Bytes>`; the receiver yielding `None` means the session is over.
//!
//! ```no_run
//! # async fn demo(server: stomp_server::Server) {
//! use stomp_server::{serve_session, ChannelTransport, PeerInfo};
//! let (to_session, inbound) = tokio::sync::mpsc::channel(64);
//! let (outbound, mut from_session) = tokio::sync::mpsc::channel(256);
//! let peer = PeerInfo { remote: None, transport: "sockjs", subprotocol: None };
//! tokio::spawn(serve_session(server.clone(), ChannelTransport::new(inbound, outbound), peer));
//! to_session.send("CONNECT\naccept-version:1.2\n\n\0".into()).await.ok();
//! while let Some(frame) = from_session.recv().await { /* one frame per message */ }
//! # }
//! ```
//!
//! HTTP routes are added with [`Server::serve`]'s `extra_routes` (merged before the static file
//! fallback), or by building [`Server::http_router`] yourself. The endpoint paths are
//! configuration: `endpoints.websocket` (default `/ws`) and `endpoints.sockjs` (default
//! `/stomp`).

pub mod admission;
pub mod app;
pub mod auth;
pub mod broker;
pub mod config;
pub mod context;
pub mod dedup;
pub mod demo;
pub mod fd_limit;
pub mod login_throttle;
pub mod metrics;
pub mod monitor;
pub mod outbox;
pub mod relay;
pub mod server;
pub mod session;
mod shutdown;
pub mod sockjs;
mod tls_files;
pub mod transport;

pub use app::{App, BrokerHandle, HandlerError, Reply, Request};
pub use config::Config;
pub use context::Context;
pub use outbox::OutFrame;
pub use server::{run, Listeners, Server, ServerBuilder, ServerError};
pub use session::{serve_session, ChannelTransport, PeerInfo, StompTransport};
