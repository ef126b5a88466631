//! tests/web_tls.rs's tests against the size-first JS client (pkg-core/js/client.js, bound by
//! tests/support/js_client.rs under the Rust client's names).
//!
//! The Wasm client over `wss://`: our server's `https` listener with a certificate made for the
//! run (scripts/test-browser.sh tells Chromium to trust it by its public key,
//! `--ignore-certificate-errors-spki-list`, Firefox and WebKitGTK through WebDriver's
//! `acceptInsecureCerts`, and passes the URL as `STOMP_TEST_WSS_URL`).

#![cfg(target_arch = "wasm32")]

#[path = "support/js_client.rs"]
mod js_client;
#[path = "support/web.rs"]
mod support;

use js_client::{ActivationState, Client};

include!("web/tls.rs");
