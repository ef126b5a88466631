//! The exports (wasm32 only): sessions by handle, requests read from [`buf`], results written to
//! [`out`]. See the crate docs for the record layout.

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};

use stomp_wasm::abi::{answer, put_bytes, put_u32, request_buffer, Local, IN, OUT};
use stomp_wasm::client::{
    ClientError, HeaderList, OfflineQueueConfig, ReconnectTimeMode, Session, SessionConfig,
    ACCEPT_VERSIONS,
};
use stomp_wasm::codec::{owned, utf8};
use stomp_wasm::frame::Version;
use stomp_wasm::record::Reader;
use stomp_wasm::HEAP;

// The heap and the trapping panic handler come with stomp-wasm's no-std wasm32 build.

// A `Client` keeps its session for the page's life, so there is no export to free one.
static SESSIONS: Local<Vec<Session>> = Local::new(Vec::new());

pub const FLAG_SPLIT: u32 = 1;
pub const FLAG_FORCE_BINARY: u32 = 2;
pub const FLAG_APPEND_NUL: u32 = 4;
pub const FLAG_DISCARD_ON_FAILURE: u32 = 8;
pub const FLAG_BEFORE_CONNECT: u32 = 16;
pub const FLAG_RESUBSCRIBE: u32 = 32;
pub const FLAG_DEBUG: u32 = 64;
pub const FLAG_QUEUE_ALL: u32 = 128;

/// The inputs of [`input`].
#[repr(u8)]
pub enum Input {
    Activate = 0,
    Deactivate = 1,
    ForceDeactivate = 2,
    BeforeConnectDone = 3,
    /// The buffer holds the subprotocol (empty: none); `arg` 1 if the socket carries strings
    /// only (SockJS).
    Opened = 4,
    /// The buffer holds the message's bytes.
    Data = 5,
    /// `arg` is the close code; the buffer holds the reason.
    Closed = 6,
    /// The buffer holds a description.
    Error = 7,
    Timer = 8,
    /// The browser is back online: reconnect now.
    Online = 9,
    ForceDisconnect = 10,
}

/// The user's calls, for [`command`]. Each request is a string, headers, a string and a body,
/// the fields a call does not take left empty.
#[repr(u8)]
pub enum Command {
    /// destination, headers, -, body; `arg` bit 0 binary, bit 1 skip content-length.
    Publish = 0,
    /// destination, headers; `arg` 1 = restore after a reconnect. Makes the id.
    Subscribe = 1,
    /// id, headers.
    Unsubscribe = 2,
    /// message id, headers, subscription; `arg` 1 = NACK.
    Ack = 3,
    /// transaction id (empty: one is made). Makes the id.
    Begin = 4,
    Commit = 5,
    Abort = 6,
    /// receipt id.
    Watch = 7,
}

// The records a batch carries are the session's own: `stomp_wasm::client::records`.

/// Headers in a request: a `u32` count of name, value pairs.
fn headers(r: &mut Reader) -> HeaderList {
    let mut h = HeaderList::new();
    for _ in 0..r.u32() {
        let name = r.str();
        h.push(name, r.str());
    }
    h
}

// The statics are taken (`Local::get`) by the exports themselves or by the one helper an export
// calls for them (`with`, `drain_with`), never by what those call: the module imports nothing,
// so no call re-enters it while one is taken.
fn with<R>(id: u32, f: impl FnOnce(&mut Session, &[u8]) -> R) -> Option<R> {
    // SAFETY: `f` is given what it needs; it takes no static (above).
    let (input, sessions) = unsafe { (IN.get(), SESSIONS.get()) };
    let session = sessions.get_mut(id as usize)?;
    Some(f(session, input))
}

/// A buffer of at least `len` bytes for the next request; valid until the next call.
#[no_mangle]
pub extern "C" fn buf(len: u32) -> *mut u8 {
    request_buffer(len)
}

/// The heap, for the SockJS module: it imports this module's memory and allocates in it through
/// these two (`stomp_wasm::heap::Imported`), so a page has one heap, not two. `size` and
/// `align` are a `Layout`'s, as the SockJS module's `GlobalAlloc` got it.
///
/// # Safety
/// As `GlobalAlloc::alloc`: a valid layout, of non-zero size.
#[export_name = "alloc"]
pub unsafe extern "C" fn heap_alloc(size: usize, align: usize) -> *mut u8 {
    unsafe { HEAP.alloc(Layout::from_size_align_unchecked(size, align)) }
}

/// Frees a block [`heap_alloc`] gave (see there).
///
/// # Safety
/// As `GlobalAlloc::dealloc`: `ptr` allocated with this layout, no longer used.
#[export_name = "dealloc"]
pub unsafe extern "C" fn heap_dealloc(ptr: *mut u8, size: usize, align: usize) {
    unsafe { HEAP.dealloc(ptr, Layout::from_size_align_unchecked(size, align)) }
}

/// Where the last batch (from [`input`] or [`command`]) is.
#[no_mangle]
pub extern "C" fn out() -> *const u8 {
    answer()
}

/// Applies a config to session `id`, or makes a new session from it when there is no such
/// session (JavaScript passes -1 the first time); returns the session's handle. JS sends the
/// whole config every time, read into a new [`SessionConfig`] that replaces the old one: no
/// default config is built and then overwritten field by field. Its strings are a record in the
/// buffer (`len` bytes): connect headers, disconnect headers, the offline queue's id prefix.
/// Its numbers are arguments (a record would cost a read per field): `versions` a bit set (1 =
/// 1.0, 2 = 1.1, 4 = 1.2, offered newest first), the offline queue's max frames (0 = no queue)
/// and max bytes, `flags` (see [`FLAG_SPLIT`] and the others), the heart-beat tolerance (`f64`),
/// then the connection timeout, reconnect delay, max reconnect delay, reconnect time mode (0
/// linear, 1 exponential), max reconnect attempts (0 = no limit), heart-beat incoming,
/// heart-beat outgoing, max chunk size and disconnect timeout (how long a graceful deactivate
/// waits for the DISCONNECT receipt, ms, 0 = for ever). The settings with no field keep their
/// defaults.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn configure(
    id: u32,
    len: u32,
    versions: u32,
    queue_frames: u32,
    queue_bytes: u32,
    flags: u32,
    heartbeat_tolerance_multiplier: f64,
    connection_timeout: u32,
    reconnect_delay: u32,
    max_reconnect_delay: u32,
    reconnect_time_mode: u32,
    max_reconnect_attempts: u32,
    heartbeat_incoming: u32,
    heartbeat_outgoing: u32,
    max_web_socket_chunk_size: u32,
    disconnect_timeout: u32,
) -> u32 {
    // SAFETY: an export, taking each static once (see `with`).
    let (input, sessions) = unsafe { (IN.get(), SESSIONS.get()) };
    let mut r = Reader(input.get(..len as usize).unwrap_or_default());
    let connect_headers = headers(&mut r);
    let disconnect_headers = headers(&mut r);
    // The set borrowed from the table (`Versions` is a static string in this build: nothing to
    // copy or drop). `& 7` keeps the index in bounds (no panic path).
    let stomp_versions = ACCEPT_VERSIONS[versions as usize & 7];
    let config = SessionConfig {
        connect_headers,
        disconnect_headers,
        stomp_versions,
        // `then`, not `then_some`: without a queue no prefix is copied (and dropped).
        offline_queue: (queue_frames != 0).then(|| OfflineQueueConfig {
            max_frames: queue_frames as usize,
            max_bytes: queue_bytes as usize,
            id_prefix: owned(r.str()),
            while_connected: flags & FLAG_QUEUE_ALL != 0,
        }),
        split_large_frames: flags & FLAG_SPLIT != 0,
        force_binary_ws_frames: flags & FLAG_FORCE_BINARY != 0,
        append_missing_nul_on_incoming: flags & FLAG_APPEND_NUL != 0,
        discard_websocket_on_comm_failure: flags & FLAG_DISCARD_ON_FAILURE != 0,
        run_before_connect: flags & FLAG_BEFORE_CONNECT != 0,
        resubscribe: flags & FLAG_RESUBSCRIBE != 0,
        debug: flags & FLAG_DEBUG != 0,
        heartbeat_tolerance_multiplier,
        connection_timeout,
        reconnect_delay,
        max_reconnect_delay,
        reconnect_time_mode: if reconnect_time_mode == 1 {
            ReconnectTimeMode::Exponential
        } else {
            ReconnectTimeMode::Linear
        },
        // 0 passed on as it is: the session reads `Some(0)` as no limit, as `None`.
        max_reconnect_attempts: Some(max_reconnect_attempts),
        heartbeat_incoming,
        heartbeat_outgoing,
        max_web_socket_chunk_size: max_web_socket_chunk_size as usize,
        disconnect_timeout,
        // No `broker_url` or `host` in this build: JavaScript opens the socket with its own
        // brokerURL, and a `host` is one of the connect headers. Nor the send buffer's, the
        // receipt watchers' and the decoder's bounds: the session uses the defaults as
        // constants.
    };
    if let Some(s) = sessions.get_mut(id as usize) {
        s.configure(config);
        return id;
    }
    sessions.push(Session::new(config));
    sessions.len() as u32 - 1
}

/// An input (see [`Input`]), then everything it caused, written to [`out`] as one batch (see
/// [`drain_with`]); returns the batch's length. One crossing per socket message.
#[no_mangle]
pub extern "C" fn input(id: u32, kind: u32, arg: u32, now: f64, len: u32) -> u32 {
    let err = with(id, |s, input| {
        let data = input.get(..len as usize).unwrap_or_default();
        // A socket message (5) is not read as text: the decoder checks what it must, and
        // validating every message would cost the receive path a pass over its bytes.
        let text = utf8::str(if kind == 5 { &[] } else { data }).unwrap_or_default();
        match kind {
            0 => return s.activate(now).map_or_else(|e| error_code(&e), |()| 0),
            1 | 2 => s.deactivate(now, kind == 2),
            3 => s.before_connect_done(now),
            4 => {
                // `arg` 1: a SockJS socket, which carries strings only.
                if arg == 1 {
                    s.transport_is_text_only();
                }
                s.transport_opened(now, Some(text).filter(|p| !p.is_empty()))
            }
            5 => s.transport_data(now, data),
            6 => s.transport_closed(now, arg as u16, text),
            7 => s.transport_error(now, text),
            8 => s.handle_timeout(now),
            9 => s.reconnect_now(now),
            10 => s.force_disconnect(now),
            _ => {}
        }
        0
    })
    .unwrap_or(u32::MAX);
    drain_with(id, err, "")
}

/// A user call (see [`Command`]), then everything it caused as one batch, as [`input`] does;
/// returns the batch's length. The id the call made (subscribe, begin; empty for the others)
/// follows the batch as a string record.
#[no_mangle]
pub extern "C" fn command(id: u32, kind: u32, arg: u32, now: f64, len: u32) -> u32 {
    let result = with(id, |s, input| {
        // Every request has the same shape; each call takes the fields it needs.
        let mut r = Reader(input.get(..len as usize).unwrap_or_default());
        let (a, headers, b, body) = (r.str(), headers(&mut r), r.str(), r.bytes());
        let none = || String::new();
        match kind {
            0 => s
                .publish_parts(now, a, &headers, body, arg & 1 != 0, arg & 2 != 0)
                .map(|()| none()),
            1 => s.subscribe_with(now, a, &headers, arg == 1),
            2 => s.unsubscribe(now, a, &headers).map(|()| none()),
            3 => s
                .ack_or_nack(now, arg == 1, a, b, &headers)
                .map(|()| none()),
            4 => s.begin(now, Some(a).filter(|t| !t.is_empty())),
            5 | 6 => s.commit_or_abort(now, kind == 6, a).map(|()| none()),
            7 => s.watch_for_receipt(a).map(|()| none()),
            _ => Ok(none()),
        }
    });
    match result {
        Some(Ok(made)) => drain_with(id, 0, &made),
        Some(Err(e)) => drain_with(id, error_code(&e), ""),
        None => 0,
    }
}

/// A [`ClientError`] as a number JS maps to the stompjs message: 1 not connected, 2 still
/// deactivating, 3 offline queue full, 4 send buffer full, 5 NACK on 1.0, 6 too many watchers.
fn error_code(e: &ClientError) -> u32 {
    match e {
        ClientError::NotConnected => 1,
        ClientError::StillDeactivating => 2,
        ClientError::OfflineQueueFull { .. } => 3,
        ClientError::SendBufferFull { .. } => 4,
        ClientError::NackUnsupported => 5,
        ClientError::TooManyReceiptWatchers { .. } => 6,
    }
}

/// Everything the session has to say, written to [`out`] as one batch: each record
/// (`stomp_wasm::client::records`) as `u32` length + record, then a trailer: `f64` deadline
/// (when to call `input(Timer)` next; infinity for never, as the session keeps it), the `u32` error code of the call that
/// led here (0 = none) and the session's [`status`] after it. Returns the batch's length;
/// `made` follows the batch (see [`command`]).
fn drain_with(id: u32, err: u32, made: &str) -> u32 {
    // SAFETY: called by exports after `with`'s references are gone, taking each static once.
    let (sessions, out) = unsafe { (SESSIONS.get(), OUT.get()) };
    out.clear();
    let Some(s) = sessions.get_mut(id as usize) else {
        return 0;
    };
    // The records as the session wrote them, events first: into an empty `out` the event
    // buffer is moved, not copied (a received frame is not copied once more).
    s.take_records(out);
    out.extend_from_slice(&s.next_timeout().to_le_bytes());
    put_u32(out, err);
    put_u32(out, status(s));
    let len = out.len() as u32;
    put_bytes(out, made.as_bytes());
    len
}

/// Whether the session is connected (bit 0), its version (2 = 1.2, 1 = 1.1, 0 = 1.0) in bits
/// 1–2, whether incoming heart-beats were negotiated (bit 3: without them JS need not read the
/// clock per message), and the offline queue's length from bit 4. Only a call changes them, so
/// each batch carries them.
fn status(s: &Session) -> u32 {
    let version = match s.connected_version() {
        Some(Version::V1_2) => 2,
        Some(Version::V1_1) => 1,
        _ => 0,
    };
    let heartbeats = u32::from(s.negotiated_heartbeats().1 != 0);
    let queued = u32::try_from(s.offline_queue_len()).unwrap_or(u32::MAX >> 4);
    u32::from(s.connected()) | version << 1 | heartbeats << 3 | queued << 4
}
