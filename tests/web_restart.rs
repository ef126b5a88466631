//! Browser tests of the Wasm client across a restart of the broker itself (not a dropped
//! socket): the supervisor of scripts/test-browser.sh stops the broker and starts it again on
//! the same ports, stomp-server or RabbitMQ alike.

#![cfg(target_arch = "wasm32")]

#[path = "support/web.rs"]
mod support;

use stomp_wasm::wasm::{ActivationState, Client};

include!("web/restart.rs");
include!("web/stream.rs");
