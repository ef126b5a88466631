//! What the session asks of its shell ([`Action`]) and tells it ([`Event`]).

use crate::prelude::*;

use super::records::{self, Out, Reader};
use super::{Millis, Received};

/// stompjs `ActivationState`, with its numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ActivationState {
    /// Connected, connecting, or waiting to reconnect.
    Active = 0,
    /// `deactivate` was called; the connection is being closed.
    Deactivating = 1,
    /// Not connected and not trying to be.
    Inactive = 2,
}

/// Something the shell must do with its transport (poll with
/// [`Session::poll_action`](super::Session::poll_action) and perform in order).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Call the user's `beforeConnect` (it may change the config through
    /// [`Session::config_mut`](super::Session::config_mut)), then
    /// [`Session::before_connect_done`](super::Session::before_connect_done).
    RunBeforeConnect,
    /// Open a new transport (`new WebSocket(url, protocols)`, or the user's factory), then report
    /// [`transport_opened`](super::Session::transport_opened) /
    /// [`transport_data`](super::Session::transport_data) /
    /// [`transport_closed`](super::Session::transport_closed) /
    /// [`transport_error`](super::Session::transport_error) for it. If it cannot even be
    /// created (bad URL), report it closed: the session then schedules a reconnection.
    OpenTransport { url: String, protocols: Vec<String> },
    /// Send one transport message. `binary` says whether it must go as a binary WebSocket
    /// message; otherwise `data` is UTF-8 and goes as text.
    Send { data: Vec<u8>, binary: bool },
    /// Close the transport. With `discard`, the session already considers it closed: the shell
    /// must detach the old transport's callbacks (nothing more is to be reported for it) and
    /// then close it.
    CloseTransport { discard: bool },
}

/// Something that happened, for the shell's callbacks (poll with
/// [`Session::poll_event`](super::Session::poll_event)).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `onChangeState`.
    StateChanged(ActivationState),
    /// `onConnect`: CONNECTED arrived; the session is usable.
    Connected(Received),
    /// A MESSAGE for a live subscription (the subscription's callback), whose id is the
    /// frame's [`name`](Received::name).
    Message(Received),
    /// `onUnhandledMessage`: a MESSAGE for no known subscription.
    UnhandledMessage(Received),
    /// A RECEIPT whose id was watched with
    /// [`watch_for_receipt`](super::Session::watch_for_receipt) (the watcher's callback).
    Receipt(Received),
    /// `onUnhandledReceipt`.
    UnhandledReceipt(Received),
    /// `onUnhandledFrame`: a frame a client does not expect (e.g. a client command).
    UnhandledFrame(Received),
    /// `onStompError`: an ERROR frame not attributed to one subscription.
    StompError(Received),
    /// An ERROR frame attributed to one subscription (its `receipt-id` is the SUBSCRIBE's
    /// `receipt`, or its `subscription` header names it). The subscription is forgotten; the
    /// connection is left to the server. The subscription's id is the frame's
    /// [`name`](Received::name).
    SubscriptionFailed(Received),
    /// `onDisconnect`: the RECEIPT of a graceful DISCONNECT.
    Disconnected(Received),
    /// `onWebSocketClose`.
    TransportClosed { code: u16, reason: String },
    /// `onWebSocketError`.
    TransportError(String),
    /// Incoming bytes could not be decoded (the [`DecodeError`](crate::DecodeError)'s
    /// message); the transport is being closed.
    DecodeError(String),
    /// `onHeartbeatReceived`: one heart-beat EOL arrived.
    HeartbeatReceived,
    /// `onHeartbeatLost`: nothing arrived within the negotiated interval × tolerance.
    HeartbeatLost,
    /// `max_reconnect_attempts` consecutive attempts failed; the session went INACTIVE.
    ReconnectGaveUp { attempts: u32 },
    /// A reconnection attempt is scheduled `after` ms from now.
    ReconnectScheduled { after: Millis, attempt: u32 },
    /// `debug`: a line of trace, only with [`SessionConfig::debug`](super::SessionConfig::debug).
    Debug(String),
}

impl Action {
    /// The action a record of the session's says (see [`records`]).
    pub(super) fn from_record(record: &[u8]) -> Option<Action> {
        let mut r = Reader(record);
        Some(match r.u8() {
            k if k == Out::RunBeforeConnect as u8 => Action::RunBeforeConnect,
            k if k == Out::Open as u8 => {
                let url = r.str().into();
                let protocols = (0..r.u32()).map(|_| r.str().into()).collect();
                Action::OpenTransport { url, protocols }
            }
            k if k == Out::Send as u8 => {
                let binary = r.u8() == 1;
                Action::Send {
                    data: r.bytes().to_vec(),
                    binary,
                }
            }
            k if k == Out::Close as u8 => Action::CloseTransport {
                discard: r.u8() == 1,
            },
            _ => return None,
        })
    }
}

impl Event {
    /// The event a record of the session's says (see [`records`]).
    pub(super) fn from_record(record: &[u8]) -> Option<Event> {
        let mut r = Reader(record);
        Some(match r.u8() {
            k if k == Out::State as u8 => Event::StateChanged(match r.u8() {
                0 => ActivationState::Active,
                1 => ActivationState::Deactivating,
                _ => ActivationState::Inactive,
            }),
            k if k == Out::Frame as u8 => {
                let which = r.u8();
                let frame = Received::from_record(r.0)?;
                use records::Frame as F;
                match which {
                    w if w == F::Connected as u8 => Event::Connected(frame),
                    w if w == F::Message as u8 => Event::Message(frame),
                    w if w == F::UnhandledMessage as u8 => Event::UnhandledMessage(frame),
                    w if w == F::Receipt as u8 => Event::Receipt(frame),
                    w if w == F::UnhandledReceipt as u8 => Event::UnhandledReceipt(frame),
                    w if w == F::UnhandledFrame as u8 => Event::UnhandledFrame(frame),
                    w if w == F::StompError as u8 => Event::StompError(frame),
                    w if w == F::SubscriptionFailed as u8 => Event::SubscriptionFailed(frame),
                    _ => Event::Disconnected(frame),
                }
            }
            k if k == Out::TransportClosed as u8 => {
                let code = r.u32() as u16;
                Event::TransportClosed {
                    code,
                    reason: r.str().into(),
                }
            }
            k if k == Out::Text as u8 => {
                let which = r.u8();
                let text = r.str().into();
                match which {
                    w if w == records::Text::TransportError as u8 => Event::TransportError(text),
                    // The record quotes no line (the page does): the message as `Display` has it.
                    #[cfg(feature = "std")]
                    w if w == records::Text::DecodeError as u8 => {
                        Event::DecodeError(crate::codec::message::joined(&text))
                    }
                    #[cfg(not(feature = "std"))]
                    w if w == records::Text::DecodeError as u8 => Event::DecodeError(text),
                    _ => Event::Debug(text),
                }
            }
            k if k == Out::Signal as u8 => match r.u8() {
                0 => Event::HeartbeatReceived,
                1 => Event::HeartbeatLost,
                2 => Event::ReconnectGaveUp { attempts: r.u32() },
                _ => {
                    let after = r.f64();
                    Event::ReconnectScheduled {
                        after,
                        attempt: r.u32(),
                    }
                }
            },
            _ => return None,
        })
    }
}
