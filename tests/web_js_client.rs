//! tests/web_client.rs's tests against the size-first JS client (pkg-core/js/client.js, bound by
//! tests/support/js_client.rs under the Rust client's names).
//!
//! Browser tests of the Wasm client against a real broker over WebSocket (Chromium, Firefox ESR
//! or WebKitGTK: scripts/test-browser.sh, ENGINE).
//! Run with `scripts/test-browser.sh` (see there for the broker choice).

#![cfg(target_arch = "wasm32")]

#[path = "support/js_client.rs"]
mod js_client;
#[path = "support/web.rs"]
mod support;

use js_client::{ActivationState, Client, Stomp};

include!("web/client.rs");
