//! The browser shell (wasm32 only): the @stomp/stompjs v7 API in JavaScript over the sans-IO
//! [`Session`](crate::client::Session).
//!
//! - [`client`]: the `Client` class (every stompjs config key as a property, the methods, the
//!   compat `Stomp` object), `StompSubscription`, `StompTransaction` and the enums.
//! - [`driver`]: owns the session and runs its actions and events against the socket, the timer
//!   and the user's callbacks, without holding a borrow while JavaScript runs.
//! - [`transport`]: any object with the WebSocket interface, its handlers owned and unhooked on
//!   drop; incoming messages written straight into Wasm memory by `bridge.js`, one boundary
//!   crossing each.
//! - [`timer`] (+ `bridge.js`): the single timer (setTimeout, or an inline Worker that survives
//!   background-tab throttling).
//! - [`frames`] (+ `bridge.js`): frames as stompjs `IFrame`/`IMessage` objects, one boundary
//!   crossing and one string decoding each.
//! - [`options`] (+ `bridge.js`, which defines them as `Client` properties): the settings by
//!   their stompjs names; [`types`]: the TypeScript shapes.

mod client;
mod driver;
mod event;
mod frames;
mod js;
mod keyed;
mod online;
mod options;
mod sockjs;
mod timer;
mod transport;
mod types;

pub use client::{
    ActivationState, Client, ReconnectionTimeMode, Stomp, StompSocketState, StompSubscription,
    StompTransaction, TickerStrategy, Versions,
};
