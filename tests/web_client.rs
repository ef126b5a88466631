//! Browser tests of the Wasm client against a real broker over WebSocket (Chromium, Firefox ESR
//! or WebKitGTK: scripts/test-browser.sh, ENGINE).
//! Run with `scripts/test-browser.sh` (see there for the broker choice).

#![cfg(target_arch = "wasm32")]

#[path = "support/web.rs"]
mod support;

use stomp_wasm::wasm::{ActivationState, Client, Stomp};

include!("web/client.rs");
