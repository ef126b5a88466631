//! SockJS in the browser: one [`SockJsTransport`] drives a sans-IO
//! [`SockJsConnection`](crate::sockjs::client::SockJsConnection) with real `XMLHttpRequest`,
//! `EventSource` and `WebSocket` objects and a timer, and reports to the STOMP driver exactly
//! what a WebSocket would: open, messages, one close.
//!
//! Every decision (which transport, when to race, when to give up, what to batch, when to
//! re-open a stream) is the core's; this file only performs its actions and feeds it what the
//! browser reported. No borrow of the connection is held while anything else runs: actions and
//! events are taken out one at a time, then performed.

mod io;

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;

use self::io::{Events, FetchStream, OnEnd, OnText, Socket, Xhr, XhrEnd};
use super::event::{close_event, Sink, TransportEvent};
use super::js;
use super::timer::{TickerStrategy, Timer};
use crate::sockjs::client::{
    ConnAction, ConnEvent, SockJsConnection, TransportKind, TransportPlan,
};
use crate::sockjs::frame::eventsource_unescape;

/// Something to feed the core, given the time (boxed where one type for many callers saves glue).
type CoreInput = Box<dyn FnOnce(&mut SockJsConnection, f64)>;

/// The plan kept by the client across connections (whitelist, last working transport).
pub(crate) type SharedPlan = Rc<RefCell<TransportPlan>>;

/// One channel's browser object (held for its handlers; dropping it shuts it).
enum Channel {
    Socket(Socket),
    Xhr { _request: Xhr },
    Fetch { _request: FetchStream },
    Events { _source: Events },
}

#[derive(Default)]
struct Io {
    channels: Vec<(u32, Channel)>,
    info: Option<Xhr>,
    send: Option<Xhr>,
    timer: Option<Timer>,
}

pub(crate) struct Shell {
    core: RefCell<SockJsConnection>,
    io: RefCell<Io>,
    sink: RefCell<Option<Sink>>,
    plan: SharedPlan,
    me: Weak<Shell>,
}

/// The SockJS connection the driver holds; dropping it detaches and shuts everything.
pub(crate) struct SockJsTransport {
    shell: Rc<Shell>,
}

/// What the driver keeps to send and close (cheap to clone, outlives no one: the
/// [`SockJsTransport`] decides when the connection is over).
#[derive(Clone)]
pub(crate) struct SockJsHandle(Rc<Shell>);

impl SockJsTransport {
    /// Starts a connection to the SockJS endpoint `base` (`http(s)://host/path`).
    pub(crate) fn connect(base: &str, plan: SharedPlan, sink: Sink) -> SockJsTransport {
        let snapshot = plan.borrow().clone();
        let entropy = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
        let shell = Rc::new_cyclic(|me| Shell {
            core: RefCell::new(SockJsConnection::new(base, snapshot, entropy)),
            io: RefCell::new(Io::default()),
            sink: RefCell::new(Some(sink)),
            plan,
            me: me.clone(),
        });
        if let Ok(mut core) = shell.core.try_borrow_mut() {
            core.connect(js::now_ms());
        }
        shell.pump();
        SockJsTransport { shell }
    }

    pub(crate) fn handle(&self) -> SockJsHandle {
        SockJsHandle(self.shell.clone())
    }

    /// The transport carrying the session, once open.
    pub(crate) fn transport(&self) -> Option<TransportKind> {
        self.shell.core.try_borrow().ok()?.transport()
    }

    /// The WebSocket when the session runs over one (for `client.webSocket`).
    pub(crate) fn web_socket(&self) -> Option<JsValue> {
        let io = self.shell.io.try_borrow().ok()?;
        io.channels.iter().find_map(|(_, c)| match c {
            Channel::Socket(s) if self.transport() == Some(TransportKind::WebSocket) => {
                Some(s.socket().clone().into())
            }
            _ => None,
        })
    }
}

impl Drop for SockJsTransport {
    fn drop(&mut self) {
        self.shell.sink.replace(None);
        if let Ok(mut core) = self.shell.core.try_borrow_mut() {
            core.close(1000, "Normal closure");
        }
        self.shell.pump();
        // Whatever the close left (the info request, an xhr_send) goes too.
        if let Ok(mut io) = self.shell.io.try_borrow_mut() {
            let io = std::mem::take(&mut *io);
            drop(io);
        }
    }
}

impl SockJsHandle {
    /// Sends one STOMP transport message.
    pub(crate) fn send(&self, data: &[u8]) -> Result<(), JsValue> {
        let result = match self.0.core.try_borrow_mut() {
            Ok(mut core) => core.send(data).map_err(|e| js::error(e.message())),
            Err(_) => Err(js::error("SockJS connection busy")),
        };
        self.0.pump();
        result
    }

    /// Closes the connection; its close is reported like a WebSocket's.
    pub(crate) fn close(&self) {
        if let Ok(mut core) = self.0.core.try_borrow_mut() {
            core.close(1000, "Normal closure");
        }
        self.0.pump();
    }
}

impl Shell {
    fn weak(&self) -> Weak<Shell> {
        self.me.clone()
    }

    /// Performs the core's actions, re-arms the timer, then reports its events.
    fn pump(&self) {
        loop {
            let action = match self.core.try_borrow_mut() {
                Ok(mut core) => core.poll_action(),
                Err(_) => return,
            };
            let Some(action) = action else { break };
            self.perform(action);
        }
        self.rearm();
        loop {
            let event = match self.core.try_borrow_mut() {
                Ok(mut core) => core.poll_event(),
                Err(_) => return,
            };
            let Some(event) = event else { break };
            self.report(event);
        }
    }

    fn rearm(&self) {
        let deadline = self.core.try_borrow().ok().and_then(|c| c.poll_timeout());
        let Ok(mut io) = self.io.try_borrow_mut() else {
            return;
        };
        if io.timer.is_none() {
            if deadline.is_none() {
                return;
            }
            let weak = self.weak();
            io.timer = Some(Timer::new(
                TickerStrategy::Interval,
                Rc::new(move || {
                    if let Some(shell) = weak.upgrade() {
                        // Nothing is armed any more: the next `arm` must set a new timeout
                        // even for a later deadline (a timeout may fire a little early).
                        if let Ok(mut io) = shell.io.try_borrow_mut() {
                            if let Some(timer) = &mut io.timer {
                                timer.fired();
                            }
                        }
                        shell.with_core(|core, now| {
                            core.handle_timeout(now);
                        });
                    }
                }),
            ));
        }
        if let Some(timer) = &mut io.timer {
            timer.arm(deadline, js::now_ms());
        }
    }

    /// Feeds the core under a short borrow, then pumps.
    fn with_core(&self, f: impl FnOnce(&mut SockJsConnection, f64)) {
        match self.core.try_borrow_mut() {
            Ok(mut core) => f(&mut core, js::now_ms()),
            Err(_) => return,
        }
        self.pump();
    }

    fn report(&self, event: ConnEvent) {
        let sink = self.sink.try_borrow().ok().and_then(|s| s.clone());
        match event {
            ConnEvent::Failed(kind) => {
                if let Ok(mut plan) = self.plan.try_borrow_mut() {
                    plan.failed(kind, js::now_ms());
                }
            }
            ConnEvent::Open(kind) => {
                if let Ok(mut plan) = self.plan.try_borrow_mut() {
                    plan.succeeded(kind);
                }
                if let Some(sink) = sink {
                    sink(TransportEvent::Open);
                }
            }
            ConnEvent::Message(bytes) => {
                if let Some(sink) = sink {
                    sink(TransportEvent::Data(&bytes));
                }
            }
            ConnEvent::Closed { code, reason } => {
                if let Some(sink) = sink {
                    let event = close_event(code, &reason);
                    sink(TransportEvent::Close {
                        code,
                        reason,
                        event,
                    });
                }
            }
            ConnEvent::Debug(line) => {
                if let Some(sink) = sink {
                    sink(TransportEvent::Debug(line));
                }
            }
        }
    }

    fn perform(&self, action: ConnAction) {
        match action {
            ConnAction::FetchInfo { url } => {
                let weak = self.weak();
                let xhr = Xhr::start(
                    "GET",
                    &url,
                    None,
                    false,
                    false,
                    Box::new(|_| {}),
                    Box::new(move |end: XhrEnd| {
                        if let Some(shell) = weak.upgrade() {
                            shell.with_core(|core, now| {
                                if end.status == 0 {
                                    core.info_failed(now);
                                } else {
                                    core.info_received(now, end.status, &end.rest);
                                }
                            });
                        }
                    }),
                );
                match xhr {
                    Ok(xhr) => self.store(|io| io.info = Some(xhr)),
                    Err(_) => self.fail_later(|core, now| core.info_failed(now)),
                }
            }
            ConnAction::OpenWebSocket { channel, url } => {
                let (w1, w2) = (self.weak(), self.weak());
                let socket = Socket::open(
                    &url,
                    Box::new(move |text| {
                        if let Some(shell) = w1.upgrade() {
                            shell
                                .with_core(|core, now| core.websocket_message(now, channel, &text));
                        }
                    }),
                    Box::new(move |code, reason| {
                        if let Some(shell) = w2.upgrade() {
                            shell.with_core(|core, now| {
                                core.websocket_closed(now, channel, code, &reason)
                            });
                        }
                    }),
                );
                match socket {
                    Ok(s) => self.store(|io| io.channels.push((channel, Channel::Socket(s)))),
                    Err(_) => self
                        .fail_later(move |core, now| core.websocket_closed(now, channel, 1006, "")),
                }
            }
            ConnAction::OpenReceiver {
                channel,
                kind,
                url,
                credentials,
            } => {
                let opened = if kind == TransportKind::EventSource {
                    let (w1, w2) = (self.weak(), self.weak());
                    Events::start(
                        &url,
                        credentials,
                        Box::new(move |data| {
                            if let Some(shell) = w1.upgrade() {
                                let frame = eventsource_unescape(&data);
                                shell.with_core(|core, now| {
                                    core.eventsource_message(now, channel, &frame)
                                });
                            }
                        }),
                        Box::new(move |delivered| {
                            if let Some(shell) = w2.upgrade() {
                                shell.with_core(|core, now| {
                                    core.receiver_ended(now, channel, delivered)
                                });
                            }
                        }),
                    )
                    .map(|source| Channel::Events { _source: source })
                } else if kind == TransportKind::XhrStreaming && FetchStream::supported() {
                    let (on_text, on_end) = self.receiver_callbacks(channel);
                    FetchStream::start(&url, credentials, on_text, on_end)
                        .map(|request| Channel::Fetch { _request: request })
                } else {
                    let (on_text, on_end) = self.receiver_callbacks(channel);
                    Xhr::start("POST", &url, None, credentials, true, on_text, on_end)
                        .map(|request| Channel::Xhr { _request: request })
                };
                match opened {
                    Ok(c) => self.store(|io| io.channels.push((channel, c))),
                    Err(_) => {
                        self.fail_later(move |core, now| core.receiver_ended(now, channel, false))
                    }
                }
            }
            ConnAction::Shut { channel } => {
                let gone = self.io.try_borrow_mut().ok().and_then(|mut io| {
                    let i = io.channels.iter().position(|(c, _)| *c == channel)?;
                    Some(io.channels.remove(i))
                });
                drop(gone);
            }
            ConnAction::SendWebSocket { channel, text } => {
                let failed = match self.io.try_borrow() {
                    Ok(io) => match io.channels.iter().find(|(c, _)| *c == channel) {
                        Some((_, Channel::Socket(s))) => s.send(&text).is_err(),
                        _ => true,
                    },
                    Err(_) => true,
                };
                if failed {
                    self.fail_later(move |core, now| {
                        core.websocket_closed(now, channel, 1006, "send failed")
                    });
                }
            }
            ConnAction::PostSend {
                url,
                body,
                credentials,
            } => {
                let weak = self.weak();
                let xhr = Xhr::start(
                    "POST",
                    &url,
                    Some(&body),
                    credentials,
                    false,
                    Box::new(|_| {}),
                    Box::new(move |end: XhrEnd| {
                        if let Some(shell) = weak.upgrade() {
                            shell.with_core(|core, now| {
                                core.send_done(now, (200..300).contains(&end.status))
                            });
                        }
                    }),
                );
                match xhr {
                    Ok(xhr) => self.store(|io| io.send = Some(xhr)),
                    Err(_) => self.fail_later(|core, now| core.send_done(now, false)),
                }
            }
        }
    }

    /// What a streaming or polling request on `channel` reports: each new piece of text, then
    /// its end (status 200: ended normally, re-opened by the core).
    fn receiver_callbacks(&self, channel: u32) -> (OnText, OnEnd) {
        let (w1, w2) = (self.weak(), self.weak());
        let on_text = move |text: String| {
            if let Some(shell) = w1.upgrade() {
                shell.with_core(|core, now| core.receiver_text(now, channel, &text));
            }
        };
        let on_end = move |end: XhrEnd| {
            if let Some(shell) = w2.upgrade() {
                shell.with_core(|core, now| {
                    if !end.rest.is_empty() {
                        core.receiver_text(now, channel, &end.rest);
                    }
                    core.receiver_ended(now, channel, end.status == 200);
                });
            }
        };
        (Box::new(on_text), Box::new(on_end))
    }

    fn store(&self, f: impl FnOnce(&mut Io)) {
        if let Ok(mut io) = self.io.try_borrow_mut() {
            f(&mut io);
        }
    }

    /// A browser object could not even be created: report the failure from a fresh task, as
    /// the browser would have.
    fn fail_later(&self, f: impl FnOnce(&mut SockJsConnection, f64) + 'static) {
        // Boxed so that the closure below, and its glue, has one type for every caller.
        let f: CoreInput = Box::new(f);
        let weak = self.weak();
        let callback = Closure::once_into_js(move || {
            if let Some(shell) = weak.upgrade() {
                shell.with_core(f);
            }
        });
        js::set_timeout(callback.unchecked_ref(), 0.0);
    }
}
