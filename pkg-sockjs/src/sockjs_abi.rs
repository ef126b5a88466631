//! The exports (wasm32 only): plans and connections by handle, requests read from [`buf`],
//! batches written to each connection's record buffer, whose address [`input`] returns. See the crate docs for the layout, [`Out`](stomp_wasm::sockjs::client::Out) for the records.

extern crate alloc;

use alloc::vec::Vec;

use stomp_wasm::abi::{request_buffer, Local, IN};
use stomp_wasm::sockjs::client::{
    Frame, Info, SockJsConnection, TransportKind, TransportPlan, Transports,
};

// The heap and the trapping panic handler come with stomp-wasm's no-std wasm32 build.

/// The plans and the connections, in one static: one borrow for both.
struct State {
    /// What past connections taught, one plan per SockJS endpoint (JavaScript keeps the handles
    /// by base URL), so a reconnect starts with the transport that last worked.
    plans: Vec<TransportPlan>,
    /// Each connection with the handle of the plan it reports to.
    connections: Vec<Option<(SockJsConnection, u32)>>,
}

static STATE: Local<State> = Local::new(State {
    plans: Vec::new(),
    connections: Vec::new(),
});

/// The inputs of [`input`]: what JavaScript's I/O reported, or what the user asked. SockJS's
/// wire format (frames, their JSON, `/info`'s JSON, quoting) is read and written by
/// JavaScript (`JSON.parse`, `JSON.stringify`: the page has them for free); what it means is
/// decided here.
#[repr(u8)]
pub enum Input {
    Connect = 0,
    /// `/info` answered: `arg` the status (0: network error), `channel` what the body said: bit
    /// 0 a JSON object, bit 1 `websocket`, bit 2 `cookie_needed`.
    Info = 1,
    /// A server frame on `channel`: `arg` its type (`o`, `h`, `a`, `c`; another byte: broken)
    /// and its close code times 256, the buffer the close reason (or, for a broken one, the
    /// reason to close with: `Broken SockJS framing: ` and why).
    Frame = 2,
    /// The WebSocket on `channel` closed: `arg` the code, the buffer the reason.
    WebSocketClosed = 3,
    /// The line being received on `channel` is too large.
    LineTooLarge = 4,
    /// The receiving request on `channel` ended; `arg` 1 if it ended normally (and with no
    /// partial line).
    ReceiverEnded = 6,
    /// The `xhr_send` in flight finished; `arg` 1 if the server took it.
    SendDone = 7,
    Timer = 8,
    /// The user sends the message in the buffer, quoted as a JSON string; the batch's error is
    /// 1 if the connection is not open.
    Send = 9,
    /// The user closes: `arg` the code, the buffer the reason.
    Close = 10,
    /// The socket is closed and done with: the connection is dropped (no batch).
    Free = 11,
}

/// A buffer of at least `len` bytes for the next request; valid until the next call.
#[no_mangle]
pub extern "C" fn buf(len: u32) -> *mut u8 {
    request_buffer(len)
}

/// A new connection to a SockJS endpoint (JavaScript has its URL and builds the URLs from the
/// sessions the records name), trying transports as plan `plan` says now; `entropy` (53 random
/// bits) seeds its session ids. Returns its handle; [`Input::Connect`] starts it.
///
/// The buffer holds the socket's transports first: `len` transport numbers ([`TransportKind`]'s:
/// websocket, xhr-streaming, eventsource, xhr-polling) in order of preference (none: the default
/// order), which become the plan's. Plans are numbered as they come: `plan` one past the last
/// is a new one (JavaScript keeps one per endpoint, so it knows the next number).
#[no_mangle]
pub extern "C" fn connection(plan: u32, entropy: f64, len: u32) -> u32 {
    // SAFETY, here and in `input`: each export takes each static once, and the module imports
    // only the core's heap, which never calls back, so no export runs inside another.
    let input = unsafe { IN.get() };
    let mut list = Transports::EMPTY;
    for &code in input.get(..len as usize).unwrap_or_default() {
        if let Some(kind) = TransportKind::from_code(code) {
            list.push(kind);
        }
    }
    let State { plans, connections } = unsafe { STATE.get() };
    if plan as usize >= plans.len() {
        plans.push(TransportPlan::DEFAULT);
    }
    let mut snapshot = TransportPlan::DEFAULT;
    if let Some(p) = plans.get_mut(plan as usize) {
        p.set_transports(list);
        snapshot = *p;
    }
    // Made where it is pushed: no path drops it.
    connections.push(Some((
        SockJsConnection::without_base(snapshot, entropy as u64),
        plan,
    )));
    connections.len() as u32 - 1
}

/// An input (see [`Input`]) for connection `id`, then everything it caused as one batch;
/// returns the batch's address (0 for a connection that is not there, and for
/// [`Input::Free`]). A zero record length ends the batch.
///
/// The batch is the connection's own record buffer (see
/// [`Out`](stomp_wasm::sockjs::client::Out)), emptied first: JavaScript copies every record
/// out before it calls again. Text from JavaScript is UTF-8 (`TextEncoder`), and is handled as
/// bytes: nothing here needs it as `&str`.
#[no_mangle]
pub extern "C" fn input(id: u32, kind: u32, channel: u32, arg: u32, now: f64, len: u32) -> u32 {
    // SAFETY: see `connection`.
    let State { plans, connections } = unsafe { STATE.get() };
    let Some(slot) = connections.get_mut(id as usize) else {
        return 0;
    };
    // The connection's socket is gone: it goes too.
    if kind == Input::Free as u32 {
        *slot = None;
        return 0;
    }
    let Some((c, plan)) = slot else {
        return 0;
    };
    // SAFETY: see `connection`.
    let input = unsafe { IN.get() };
    let data = input.get(..len as usize).unwrap_or_default();
    // The connection's record buffer is the batch: JavaScript has copied the last one out.
    c.records().clear();
    c.records().extend_from_slice(&[0; 12]);
    let mut err = 0u32;
    match kind {
        0 => c.connect(now),
        1 if arg == 0 => c.info_failed(now),
        1 => c.info_read(
            now,
            arg as u16,
            (channel & 1 != 0).then_some(Info {
                websocket: channel & 2 != 0,
                cookie_needed: channel & 4 != 0,
            }),
        ),
        2 => {
            let frame = match arg as u8 {
                b'o' => Frame::Open,
                b'h' => Frame::Heartbeat,
                b'a' => Frame::Messages,
                b'c' => Frame::Close((arg >> 8) as u16, data),
                _ => Frame::Broken(data),
            };
            c.frame_read(now, channel, frame);
        }
        3 => c.websocket_closed(now, channel, arg as u16, data),
        4 => c.line_too_large(channel),
        6 => c.receiver_ended(now, channel, arg == 1),
        7 => c.send_done(now, arg == 1),
        8 => c.handle_timeout(now),
        // Refused only while not open: JavaScript has the message's text.
        9 => err = u32::from(c.send_quoted(data).is_err()),
        10 => c.close(arg as u16, data),
        _ => {}
    }
    let deadline = c.deadline_or_never();
    // What the plan learns is kept for the next connection to the same endpoint.
    if let Some(p) = plans.get_mut(*plan as usize) {
        c.teach(p, now);
    }
    let out = c.records();
    // The head, by destructuring: no slice copies with their length checks.
    let [t0, t1, t2, t3, t4, t5, t6, t7] = deadline.to_le_bytes();
    let [e0, e1, e2, e3] = err.to_le_bytes();
    if let Some(head) = out.first_chunk_mut::<12>() {
        *head = [t0, t1, t2, t3, t4, t5, t6, t7, e0, e1, e2, e3];
    }
    // A record's length is never 0 (it has its kind): a zero length ends the batch.
    out.extend_from_slice(&[0; 4]);
    out.as_ptr() as u32
}
