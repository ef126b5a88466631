//! The exports (wasm32 only): plans and connections by handle, requests read from [`buf`],
//! batches written to [`out`]. See the crate docs for the layout.

extern crate alloc;

use alloc::vec::Vec;
use core::cell::RefCell;

use stomp_wasm::abi::{answer, put_bytes, put_u32, request_buffer, Local, IN, OUT};
use stomp_wasm::client::records::{record_end, record_start};
use stomp_wasm::sockjs::client::{
    ConnAction, ConnEvent, SockJsConnection, TransportKind, TransportPlan,
};
use stomp_wasm::sockjs::frame::eventsource_unescape;

// The heap and the trapping panic handler come with stomp-wasm's no-std wasm32 build.

/// What past connections taught, one plan per SockJS endpoint (JavaScript keeps the handles by
/// base URL), so a reconnect starts with the transport that last worked.
static PLANS: Local<Vec<TransportPlan>> = Local(RefCell::new(Vec::new()));
/// Each connection with the handle of the plan it reports to.
static CONNECTIONS: Local<Vec<Option<(SockJsConnection, u32)>>> = Local(RefCell::new(Vec::new()));

/// The inputs of [`input`]: what JavaScript's I/O reported, or what the user asked.
#[repr(u8)]
pub enum Input {
    Connect = 0,
    /// `/info` answered: `arg` the status (0: network error), the buffer the body.
    Info = 1,
    /// A WebSocket message on `channel` (one SockJS frame).
    WebSocketMessage = 2,
    /// The WebSocket on `channel` closed: `arg` the code, the buffer the reason.
    WebSocketClosed = 3,
    /// New text of a streaming or polling response on `channel`.
    ReceiverText = 4,
    /// One EventSource `message` on `channel` (its `data`, still escaped).
    EventSourceMessage = 5,
    /// The receiving request on `channel` ended; `arg` 1 if it ended normally.
    ReceiverEnded = 6,
    /// The `xhr_send` in flight finished; `arg` 1 if the server took it.
    SendDone = 7,
    Timer = 8,
    /// The user sends the STOMP bytes in the buffer.
    Send = 9,
    /// The user closes: `arg` the code, the buffer the reason.
    Close = 10,
}

/// The records of a batch (`kind: u8` first).
#[repr(u8)]
pub enum Out {
    /// url: `GET` it, report [`Input::Info`].
    FetchInfo = 1,
    /// `u32` channel, url: `new WebSocket(url)`.
    OpenWebSocket = 2,
    /// `u32` channel, `u8` transport (see [`transport_code`]), `u8` credentials, url: a
    /// streaming or polling POST, or an `EventSource`.
    OpenReceiver = 3,
    /// `u32` channel: close or abort it and detach its handlers.
    Shut = 4,
    /// `u32` channel, text: one WebSocket message.
    SendWebSocket = 5,
    /// `u8` credentials, url, body: the `xhr_send` POST; report [`Input::SendDone`].
    PostSend = 6,
    /// `u8` transport: the SockJS session is open.
    Open = 16,
    /// The message's text (SockJS messages are strings).
    Message = 17,
    /// `u32` code, reason: the connection is over (once).
    Closed = 18,
    /// text: a debug line.
    Debug = 19,
    /// text: why [`Input::Send`] refused (the batch's error is 1).
    SendError = 20,
}

/// The number JavaScript knows a transport by: its place in the default order (websocket,
/// xhr-streaming, eventsource, xhr-polling).
fn transport_code(kind: TransportKind) -> u8 {
    TransportKind::DEFAULT_ORDER
        .iter()
        .position(|&k| k == kind)
        .unwrap_or(0) as u8
}

/// A buffer of at least `len` bytes for the next request; valid until the next call.
#[no_mangle]
pub extern "C" fn buf(len: u32) -> *mut u8 {
    request_buffer(len)
}

/// Where the last batch is.
#[no_mangle]
pub extern "C" fn out() -> *const u8 {
    answer()
}

/// Sets the transports of plan `id` (a new plan when `id` is not one) from the buffer: `len`
/// transport numbers (see [`transport_code`]) in order of preference; none: the default order.
/// Returns the plan's handle.
#[no_mangle]
pub extern "C" fn plan(id: u32, len: u32) -> u32 {
    let input = IN.0.borrow();
    let list = input
        .get(..len as usize)
        .unwrap_or_default()
        .iter()
        .filter_map(|&code| TransportKind::DEFAULT_ORDER.get(usize::from(code)).copied())
        .collect();
    let mut plans = PLANS.0.borrow_mut();
    match plans.get_mut(id as usize) {
        Some(plan) => {
            plan.set_whitelist(list);
            id
        }
        None => {
            plans.push(TransportPlan::new(list));
            plans.len() as u32 - 1
        }
    }
}

/// A new connection to the SockJS endpoint whose URL (`http(s)://host/path`) is in the buffer,
/// trying transports as plan `plan` says now; `entropy` (53 random bits) seeds its session ids.
/// Returns its handle; [`Input::Connect`] starts it.
#[no_mangle]
pub extern "C" fn connection(plan: u32, entropy: f64, len: u32) -> u32 {
    let input = IN.0.borrow();
    let base = core::str::from_utf8(input.get(..len as usize).unwrap_or_default()).unwrap_or("");
    let snapshot = PLANS
        .0
        .borrow()
        .get(plan as usize)
        .cloned()
        .unwrap_or_default();
    let connection = SockJsConnection::new(base, snapshot, entropy as u64);
    let mut connections = CONNECTIONS.0.borrow_mut();
    connections.push(Some((connection, plan)));
    connections.len() as u32 - 1
}

#[no_mangle]
pub extern "C" fn free(id: u32) {
    if let Some(slot) = CONNECTIONS.0.borrow_mut().get_mut(id as usize) {
        *slot = None;
    }
}

/// An input (see [`Input`]) for connection `id`, then everything it caused, written to [`out`]
/// as one batch; returns the batch's length (0 for a connection that is not there).
#[no_mangle]
pub extern "C" fn input(id: u32, kind: u32, channel: u32, arg: u32, now: f64, len: u32) -> u32 {
    let mut connections = CONNECTIONS.0.borrow_mut();
    let Some(Some((c, plan))) = connections.get_mut(id as usize) else {
        return 0;
    };
    let input = IN.0.borrow();
    let data = input.get(..len as usize).unwrap_or_default();
    let text = core::str::from_utf8(data).unwrap_or_default();
    let mut out = OUT.0.borrow_mut();
    out.clear();
    out.extend_from_slice(&[0; 12]);
    let mut err = 0u32;
    match kind {
        0 => c.connect(now),
        1 if arg == 0 => c.info_failed(now),
        1 => c.info_received(now, arg as u16, text),
        2 => c.websocket_message(now, channel, text),
        3 => c.websocket_closed(now, channel, arg as u16, text),
        4 => c.receiver_text(now, channel, text),
        5 => c.eventsource_message(now, channel, &eventsource_unescape(text)),
        6 => c.receiver_ended(now, channel, arg == 1),
        7 => c.send_done(now, arg == 1),
        8 => c.handle_timeout(now),
        9 => {
            if let Err(e) = c.send(data) {
                err = 1;
                let at = record_start(&mut out, Out::SendError as u8);
                put_bytes(&mut out, e.message().as_bytes());
                record_end(&mut out, at);
            }
        }
        10 => c.close(arg as u16, text),
        _ => {}
    }
    let mut plans = PLANS.0.borrow_mut();
    while let Some(action) = c.poll_action() {
        // `put_action` writes the kind.
        let at = out.len();
        put_u32(&mut out, 0);
        put_action(&mut out, action);
        record_end(&mut out, at);
    }
    while let Some(event) = c.poll_event() {
        // What the plan learns is kept for the next connection to the same endpoint.
        let at = out.len();
        match event {
            ConnEvent::Failed(kind) => {
                if let Some(p) = plans.get_mut(*plan as usize) {
                    p.failed(kind, now);
                }
                continue;
            }
            ConnEvent::Open(kind) => {
                if let Some(p) = plans.get_mut(*plan as usize) {
                    p.succeeded(kind);
                }
                record_start(&mut out, Out::Open as u8);
                out.push(transport_code(kind));
            }
            ConnEvent::Message(bytes) => {
                record_start(&mut out, Out::Message as u8);
                out.extend_from_slice(&bytes);
            }
            ConnEvent::Closed { code, reason } => {
                record_start(&mut out, Out::Closed as u8);
                put_u32(&mut out, code.into());
                put_bytes(&mut out, reason.as_bytes());
            }
            ConnEvent::Debug(line) => {
                record_start(&mut out, Out::Debug as u8);
                put_bytes(&mut out, line.as_bytes());
            }
        }
        record_end(&mut out, at);
    }
    let deadline = c.poll_timeout().unwrap_or(-1.0).to_le_bytes();
    if let Some(head) = out.get_mut(..12) {
        head[..8].copy_from_slice(&deadline);
        head[8..].copy_from_slice(&err.to_le_bytes());
    }
    out.len() as u32
}

fn put_action(out: &mut Vec<u8>, action: ConnAction) {
    match action {
        ConnAction::FetchInfo { url } => {
            out.push(Out::FetchInfo as u8);
            put_bytes(out, url.as_bytes());
        }
        ConnAction::OpenWebSocket { channel, url } => {
            out.push(Out::OpenWebSocket as u8);
            put_u32(out, channel);
            put_bytes(out, url.as_bytes());
        }
        ConnAction::OpenReceiver {
            channel,
            kind,
            url,
            credentials,
        } => {
            out.push(Out::OpenReceiver as u8);
            put_u32(out, channel);
            out.extend_from_slice(&[transport_code(kind), u8::from(credentials)]);
            put_bytes(out, url.as_bytes());
        }
        ConnAction::Shut { channel } => {
            out.push(Out::Shut as u8);
            put_u32(out, channel);
        }
        ConnAction::SendWebSocket { channel, text } => {
            out.push(Out::SendWebSocket as u8);
            put_u32(out, channel);
            put_bytes(out, text.as_bytes());
        }
        ConnAction::PostSend {
            url,
            body,
            credentials,
        } => {
            out.push(Out::PostSend as u8);
            out.push(u8::from(credentials));
            put_bytes(out, url.as_bytes());
            put_bytes(out, body.as_bytes());
        }
    }
}
