//! The services the public SockJS protocol suite (`sockjs-protocol.py`) expects, mounted side
//! by side: `/echo`, `/close`, `/disabled_websocket_echo` and `/cookie_needed_echo`.
//!
//! They are also the first [`SockJsHandler`]s: [`Echo`] sends every message back, [`Close`]
//! closes each session with `3000 "Go away!"` as soon as it opens.

use std::sync::Arc;

use axum::Router;
use stomp_wasm::sockjs::frame::CODE_GO_AWAY;

use super::{router, SockJsConfig, SockJsHandler, SockJsSession};

/// Sends every message back to the client.
#[derive(Debug, Clone, Copy, Default)]
pub struct Echo;

impl SockJsHandler for Echo {
    async fn on_session(self: Arc<Self>, mut session: SockJsSession) {
        while let Some(message) = session.recv().await {
            if session.send(message).await.is_err() {
                break;
            }
        }
    }
}

/// Closes every session at once with `3000 "Go away!"`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Close;

impl SockJsHandler for Close {
    async fn on_session(self: Arc<Self>, session: SockJsSession) {
        let _ = session.close(CODE_GO_AWAY, "Go away!").await;
    }
}

/// The four test services, with `base` settings except what each service changes (the suite
/// expects a 4096-byte streaming limit on all of them).
pub fn test_services_router(base: SockJsConfig) -> Router {
    let config = SockJsConfig {
        response_limit: 4096,
        ..base
    };
    Router::new()
        .merge(router("/echo", config.clone(), Echo))
        .merge(router("/close", config.clone(), Close))
        .merge(router(
            "/disabled_websocket_echo",
            SockJsConfig {
                websocket: false,
                ..config.clone()
            },
            Echo,
        ))
        .merge(router(
            "/cookie_needed_echo",
            SockJsConfig {
                cookie_needed: true,
                ..config
            },
            Echo,
        ))
}
