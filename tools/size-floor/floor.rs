//! The smallest browser build the protocol core allows: `scripts/size-floor.sh` compiles this
//! file with a copy of `src/` (no browser shell is in it since issue 14), as the crate's `floor`
//! module, for wasm32 with the release profile's size settings.
//!
//! Every entry point of the client's session and of the SockJS connection is exported through a
//! bare C ABI (strings and bytes passed through one input buffer), and every event and action is
//! read out, so nothing the real client uses can be dropped by the linker. What is left out is
//! everything a usable client adds on top: the stompjs API, JavaScript glue, the browser calls.
//! The result is a lower bound for any client built on this core.
//!
//! Built the size-first way (docs/CLIENT-SIZE-PLAN.md): the crate without its `std` feature is
//! `#![no_std]`, with its trapping panic handler (no message, so no `core::fmt`) and the
//! size-class heap. The SockJS exports are there with the floor crate's `sockjs` feature.
use core::cell::RefCell;

use crate::client::{Action, Event, Publish, Session, SessionConfig};
use crate::frame::Headers;
use crate::prelude::*;
#[cfg(feature = "sockjs")]
use crate::sockjs::client::{
    ConnAction, ConnEvent, SockJsConnection, TransportKind, TransportPlan,
};

/// A static for the one thread of wasm32 (what `thread_local!` gives with std).
struct Local<T>(T);
// SAFETY: wasm32 without the `atomics` feature has one thread.
unsafe impl<T> Sync for Local<T> {}
impl<T> Local<T> {
    fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.0)
    }
}

static S: Local<RefCell<Option<Session>>> = Local(RefCell::new(None));
#[cfg(feature = "sockjs")]
static C: Local<RefCell<Option<SockJsConnection>>> = Local(RefCell::new(None));
static IN: Local<RefCell<Vec<u8>>> = Local(RefCell::new(Vec::new()));
static OUT: Local<RefCell<Vec<u8>>> = Local(RefCell::new(Vec::new()));

fn input(len: u32) -> Vec<u8> {
    IN.with(|b| b.borrow().get(..len as usize).unwrap_or_default().to_vec())
}
fn text(len: u32) -> String {
    String::from_utf8(input(len)).unwrap_or_default()
}
fn out(bytes: &[u8]) {
    OUT.with(|o| o.borrow_mut().extend_from_slice(bytes))
}

#[no_mangle]
pub extern "C" fn in_ptr() -> u32 {
    IN.with(|b| {
        let mut b = b.borrow_mut();
        b.resize(65536, 0);
        b.as_mut_ptr() as u32
    })
}
#[no_mangle]
pub extern "C" fn out_ptr() -> u32 {
    OUT.with(|b| b.borrow_mut().as_mut_ptr() as u32)
}
#[no_mangle]
pub extern "C" fn new_session(url: u32) {
    let mut c = SessionConfig::default();
    c.broker_url = text(url);
    S.with(|s| *s.borrow_mut() = Some(Session::new(c)));
}
fn with<R: Default>(f: impl FnOnce(&mut Session) -> R) -> R {
    S.with(|s| s.borrow_mut().as_mut().map(f).unwrap_or_default())
}
#[no_mangle]
pub extern "C" fn activate(now: f64) -> u32 {
    with(|s| s.activate(now).is_ok() as u32)
}
#[no_mangle]
pub extern "C" fn deactivate(now: f64, force: u32) {
    with(|s| s.deactivate(now, force != 0))
}
#[no_mangle]
pub extern "C" fn before_connect_done(now: f64) {
    with(|s| s.before_connect_done(now))
}
#[no_mangle]
pub extern "C" fn opened(now: f64, p: u32) {
    let p = text(p);
    with(|s| s.transport_opened(now, Some(&p)))
}
#[no_mangle]
pub extern "C" fn data(now: f64, len: u32) {
    let d = input(len);
    with(|s| s.transport_data(now, &d))
}
#[no_mangle]
pub extern "C" fn closed(now: f64, code: u32, r: u32) {
    let r = text(r);
    with(|s| s.transport_closed(now, code as u16, &r))
}
#[no_mangle]
pub extern "C" fn timeout(now: f64) -> f64 {
    with(|s| {
        s.handle_timeout(now);
        s.poll_timeout().unwrap_or(-1.0)
    })
}
#[no_mangle]
pub extern "C" fn publish(now: f64, d: u32, b: u32) -> u32 {
    let (d, b) = (text(d), input(b));
    with(|s| s.publish(now, Publish::new(d, b)).is_ok() as u32)
}
#[no_mangle]
pub extern "C" fn subscribe(now: f64, d: u32) -> u32 {
    let d = text(d);
    with(|s| {
        s.subscribe(now, &d, Headers::new())
            .map(|id| id.len() as u32)
            .unwrap_or(0)
    })
}
#[no_mangle]
pub extern "C" fn unsubscribe(now: f64, d: u32) {
    let d = text(d);
    with(|s| {
        let _ = s.unsubscribe(now, &d, Headers::new());
    })
}
#[no_mangle]
pub extern "C" fn ack(now: f64, d: u32, n: u32) {
    let d = text(d);
    with(|s| {
        let _ = if n != 0 {
            s.nack(now, &d, &d, Headers::new())
        } else {
            s.ack(now, &d, &d, Headers::new())
        };
    })
}
#[no_mangle]
pub extern "C" fn tx(now: f64, d: u32, op: u32) {
    let d = text(d);
    with(|s| {
        let _ = match op {
            0 => s.begin(now, Some(&d)).map(drop),
            1 => s.commit(now, &d),
            _ => s.abort(now, &d),
        };
    })
}
#[no_mangle]
pub extern "C" fn watch(d: u32) {
    let d = text(d);
    with(|s| {
        let _ = s.watch_for_receipt(&d);
    })
}
#[no_mangle]
pub extern "C" fn poll() -> u32 {
    with(|s| {
        let mut n = 0;
        while let Some(e) = s.poll_event() {
            n += 1;
            match e {
                Event::Message {
                    subscription,
                    frame,
                } => {
                    out(subscription.as_bytes());
                    for (k, v) in frame.headers.iter() {
                        out(k.as_bytes());
                        out(v.as_bytes());
                    }
                    out(&frame.body);
                }
                Event::Connected(f)
                | Event::Receipt(f)
                | Event::UnhandledMessage(f)
                | Event::UnhandledReceipt(f)
                | Event::UnhandledFrame(f)
                | Event::StompError(f)
                | Event::Disconnected(f)
                | Event::SubscriptionFailed { frame: f, .. } => {
                    for (k, v) in f.headers.iter() {
                        out(k.as_bytes());
                        out(v.as_bytes());
                    }
                    out(&f.body);
                }
                Event::TransportClosed { reason, .. }
                | Event::TransportError(reason)
                | Event::Debug(reason) => out(reason.as_bytes()),
                Event::DecodeError(e) => {
                    let mut m = String::new();
                    e.write_message(&mut m);
                    out(m.as_bytes())
                }
                _ => out(&[1]),
            }
        }
        while let Some(a) = s.poll_action() {
            n += 1;
            match a {
                Action::OpenTransport { url, .. } => out(url.as_bytes()),
                Action::Send { data, .. } => out(&data),
                _ => out(&[2]),
            }
        }
        n
    })
}
// SockJS core
#[cfg(feature = "sockjs")]
#[no_mangle]
pub extern "C" fn sj_new(url: u32, now: f64) {
    let u = text(url);
    C.with(|c| {
        let mut k = SockJsConnection::new(
            &u,
            TransportPlan::new(vec![
                TransportKind::WebSocket,
                TransportKind::XhrStreaming,
                TransportKind::EventSource,
                TransportKind::XhrPolling,
            ]),
            7,
        );
        k.connect(now);
        *c.borrow_mut() = Some(k)
    })
}
#[cfg(feature = "sockjs")]
fn cw<R: Default>(f: impl FnOnce(&mut SockJsConnection) -> R) -> R {
    C.with(|c| c.borrow_mut().as_mut().map(f).unwrap_or_default())
}
#[cfg(feature = "sockjs")]
#[no_mangle]
pub extern "C" fn sj_info(now: f64, st: u32, b: u32) {
    let b = text(b);
    cw(|c| c.info_received(now, st as u16, &b))
}
#[cfg(feature = "sockjs")]
#[no_mangle]
pub extern "C" fn sj_info_failed(now: f64) {
    cw(|c| c.info_failed(now))
}
#[cfg(feature = "sockjs")]
#[no_mangle]
pub extern "C" fn sj_timeout(now: f64) -> f64 {
    cw(|c| {
        c.handle_timeout(now);
        c.poll_timeout().unwrap_or(-1.0)
    })
}
#[cfg(feature = "sockjs")]
#[no_mangle]
pub extern "C" fn sj_ws(now: f64, ch: u32, b: u32) {
    let b = text(b);
    cw(|c| c.websocket_message(now, ch, &b))
}
#[cfg(feature = "sockjs")]
#[no_mangle]
pub extern "C" fn sj_ws_closed(now: f64, ch: u32, code: u32, b: u32) {
    let b = text(b);
    cw(|c| c.websocket_closed(now, ch, code as u16, &b))
}
#[cfg(feature = "sockjs")]
#[no_mangle]
pub extern "C" fn sj_recv(now: f64, ch: u32, b: u32) {
    let b = text(b);
    cw(|c| c.receiver_text(now, ch, &b))
}
#[cfg(feature = "sockjs")]
#[no_mangle]
pub extern "C" fn sj_es(now: f64, ch: u32, b: u32) {
    let b = text(b);
    cw(|c| c.eventsource_message(now, ch, &b))
}
#[cfg(feature = "sockjs")]
#[no_mangle]
pub extern "C" fn sj_ended(now: f64, ch: u32, ok: u32) {
    cw(|c| c.receiver_ended(now, ch, ok != 0))
}
#[cfg(feature = "sockjs")]
#[no_mangle]
pub extern "C" fn sj_sent(now: f64, ok: u32) {
    cw(|c| c.send_done(now, ok != 0))
}
#[cfg(feature = "sockjs")]
#[no_mangle]
pub extern "C" fn sj_send(b: u32) -> u32 {
    let b = input(b);
    cw(|c| c.send(&b).is_ok() as u32)
}
#[cfg(feature = "sockjs")]
#[no_mangle]
pub extern "C" fn sj_close(code: u32, b: u32) {
    let b = text(b);
    cw(|c| c.close(code as u16, &b))
}
#[cfg(feature = "sockjs")]
#[no_mangle]
pub extern "C" fn sj_poll() -> u32 {
    cw(|c| {
        let mut n = 0;
        while let Some(a) = c.poll_action() {
            n += 1;
            match a {
                ConnAction::FetchInfo { url }
                | ConnAction::OpenWebSocket { url, .. }
                | ConnAction::OpenReceiver { url, .. } => out(url.as_bytes()),
                ConnAction::SendWebSocket { text, .. } => out(text.as_bytes()),
                ConnAction::PostSend { url, body, .. } => {
                    out(url.as_bytes());
                    out(body.as_bytes())
                }
                _ => out(&[3]),
            }
        }
        while let Some(e) = c.poll_event() {
            n += 1;
            match e {
                ConnEvent::Message(m) => out(&m),
                ConnEvent::Closed { reason, .. } | ConnEvent::Debug(reason) => {
                    out(reason.as_bytes())
                }
                _ => out(&[4]),
            }
        }
        n
    })
}
