//! The driver: owns the sans-IO [`Session`] and connects it to the socket, the timer and the
//! user's callbacks.
//!
//! Every entry point (a method called from JavaScript, a socket event, the timer) feeds one input
//! to the session and then calls [`drive`], which drains the session's actions and events in
//! order. The rule that keeps this sound with re-entrant JavaScript: **no `RefCell` borrow is held
//! while JavaScript runs** that could call back into the client. Each step is taken out of the
//! session under a short borrow and run after the borrow ends; a callback that calls
//! `client.publish()` feeds the session and returns, and the outer drive loop picks up what that
//! produced (a nested drive returns at once), so events keep their order.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::event::{Sink, TransportEvent};
use super::frames::FrameWriter;
use super::js;
use super::keyed::Keyed;
use super::online::OnlineListener;
use super::sockjs::SharedPlan;
use super::timer::{TickerStrategy, Timer};
use super::transport::{self, Handle, Transport, WebSocketTransport};
use crate::client::{
    Action, ActivationState, ClientError, Event, Received, Session, SessionConfig,
};
use crate::frame::Version;

/// The user's callbacks (stompjs `Client` properties). `undefined` when not set.
#[derive(Default)]
pub(crate) struct Callbacks {
    pub on_connect: JsValue,
    pub on_disconnect: JsValue,
    pub on_stomp_error: JsValue,
    pub on_web_socket_close: JsValue,
    pub on_web_socket_error: JsValue,
    pub on_unhandled_message: JsValue,
    pub on_unhandled_receipt: JsValue,
    pub on_unhandled_frame: JsValue,
    pub on_change_state: JsValue,
    pub on_heartbeat_received: JsValue,
    pub on_heartbeat_lost: JsValue,
    pub before_connect: JsValue,
    pub debug: JsValue,
    pub web_socket_factory: JsValue,
    /// stomp-wasm: called with the number of attempts when `maxReconnectAttempts` is reached.
    pub on_reconnect_gave_up: JsValue,
}

/// Config values kept as the JavaScript objects the user gave, so the getters return them and
/// in-place edits (`client.connectHeaders.passcode = token` in `beforeConnect`) are seen at the
/// next connection.
#[derive(Default)]
pub(crate) struct JsConfig {
    pub connect_headers: JsValue,
    pub disconnect_headers: JsValue,
    pub stomp_versions: JsValue,
    pub log_raw_communication: bool,
    pub offline_queue: JsValue,
}

/// A live subscription's callbacks.
pub(crate) struct SubscriptionCallbacks {
    /// Shared, so handing it to a delivery step costs no crossing into JavaScript.
    pub on_message: Rc<Function>,
    /// stomp-wasm: called with the ERROR frame when the server refuses this subscription.
    pub on_error: Option<Function>,
}

pub(crate) struct Inner {
    pub session: Session,
    pub transport: Option<Transport>,
    pub timer: Option<Timer>,
    pub strategy: TickerStrategy,
    pub callbacks: Callbacks,
    pub js_config: JsConfig,
    pub subscriptions: Keyed<SubscriptionCallbacks>,
    pub receipt_watchers: Keyed<Function>,
    /// Resolvers of promises returned by `deactivate()`, settled at INACTIVE.
    pub deactivate_waiters: Vec<Function>,
    /// `activate()` arrived while DEACTIVATING: activate again at INACTIVE (stompjs v7 does).
    pub activate_when_inactive: bool,
    /// The `close` and `error` events of the socket, for `onWebSocketClose`/`onWebSocketError`.
    pub close_event: JsValue,
    pub error_event: JsValue,
    /// `message.ack()`/`message.nack()` of delivered messages call this.
    pub acker: Option<Rc<Acker>>,
    /// Set while `onConnect` runs: subscriptions made there are re-made by the application on
    /// every connect, so the session does not restore them itself.
    pub in_on_connect: bool,
    /// The SockJS `transports` whitelist and what past connections taught (the transport that
    /// last worked, when WebSocket last failed), kept across reconnections.
    pub sockjs_plan: SharedPlan,
    /// Starts a waiting reconnection at once on the browser's `online` event.
    _online: Option<OnlineListener>,
    /// Makes the JavaScript `Client` object over this state that `beforeConnect(client)` gets.
    /// Given by the `Client` class, which is built on this module and not the other way round.
    client_handle: fn(&Shared) -> JsValue,
    driving: bool,
    me: Weak<RefCell<Inner>>,
}

pub(crate) type Shared = Rc<RefCell<Inner>>;

/// `acker(id, subscription, headers, isNack)`, shared by every delivered message.
pub(crate) type Acker = Closure<dyn FnMut(JsValue, JsValue, JsValue, bool) -> Result<(), JsValue>>;

/// Why a call made from JavaScript could not be done, as a thrown `Error`.
pub(crate) fn client_error(err: ClientError) -> JsValue {
    js::error(&err.message())
}

/// An `Error` for a call that arrived while the client was busy in a way it cannot re-enter.
fn busy() -> JsValue {
    js::error("stomp client is busy (re-entrant call)")
}

impl Inner {
    pub(crate) fn new(config: SessionConfig, client_handle: fn(&Shared) -> JsValue) -> Shared {
        let shared = Rc::new_cyclic(|me| {
            RefCell::new(Inner {
                session: Session::new(config),
                transport: None,
                timer: None,
                strategy: TickerStrategy::Interval,
                callbacks: Callbacks::default(),
                js_config: JsConfig::default(),
                subscriptions: Keyed::default(),
                receipt_watchers: Keyed::default(),
                deactivate_waiters: Vec::new(),
                activate_when_inactive: false,
                close_event: JsValue::UNDEFINED,
                error_event: JsValue::UNDEFINED,
                acker: None,
                _online: None,
                driving: false,
                in_on_connect: false,
                sockjs_plan: SharedPlan::default(),
                client_handle,
                me: me.clone(),
            })
        });
        let weak = Rc::downgrade(&shared);
        let acker =
            Closure::<dyn FnMut(JsValue, JsValue, JsValue, bool) -> Result<(), JsValue>>::new(
                move |id: JsValue, sub: JsValue, headers: JsValue, nack: bool| {
                    let Some(shared) = weak.upgrade() else {
                        return Err(js::error("the STOMP client is gone"));
                    };
                    acknowledge(&shared, &id, &sub, &headers, nack)
                },
            );
        let weak = Rc::downgrade(&shared);
        let online = OnlineListener::register(move || {
            if let Some(shared) = weak.upgrade() {
                let _ = with_session(&shared, |inner, now| {
                    inner.session.reconnect_now(now);
                    Ok(())
                });
            }
        });
        let mut inner = shared.borrow_mut();
        inner.acker = Some(Rc::new(acker));
        inner._online = online;
        drop(inner);
        shared
    }

    /// Replaces the timer when the strategy changes (the old one is cancelled on drop).
    pub(crate) fn set_strategy(&mut self, strategy: TickerStrategy) {
        self.strategy = strategy;
        if self
            .timer
            .as_ref()
            .is_some_and(|t| t.strategy() != strategy)
        {
            self.timer = None;
        }
    }

    /// Copies the JS-held config objects into the session config (read at each connection).
    pub(crate) fn sync_js_config(&mut self) {
        let connect = js::headers_from_js(&self.js_config.connect_headers);
        let disconnect = js::headers_from_js(&self.js_config.disconnect_headers);
        let config = self.session.config_mut();
        config.connect_headers = connect;
        config.disconnect_headers = disconnect;
    }

    fn rearm_timer(&mut self) {
        let deadline = self.session.poll_timeout();
        if self.timer.is_none() {
            if deadline.is_none() {
                return;
            }
            let weak = self.me.clone();
            self.timer = Some(Timer::new(
                self.strategy,
                Rc::new(move || {
                    if let Some(shared) = weak.upgrade() {
                        on_timer(&shared);
                    }
                }),
            ));
        }
        if let Some(timer) = &mut self.timer {
            timer.arm(deadline, js::now_ms());
        }
    }

    fn debug_fn(&self) -> Option<Function> {
        js::as_function(&self.callbacks.debug)
    }

    /// Takes the next thing to do out of the session: events first (stompjs tells
    /// `onChangeState` before it touches the socket), then actions.
    fn next_step(&mut self) -> Option<Step> {
        loop {
            if let Some(event) = self.session.poll_event() {
                match self.event_step(event) {
                    Some(step) => return Some(step),
                    None => continue,
                }
            }
            let action = self.session.poll_action()?;
            match self.action_step(action) {
                Some(step) => return Some(step),
                None => continue,
            }
        }
    }

    fn action_step(&mut self, action: Action) -> Option<Step> {
        match action {
            Action::RunBeforeConnect => match js::as_function(&self.callbacks.before_connect) {
                Some(callback) => Some(Step::BeforeConnect(callback)),
                None => {
                    self.session.before_connect_done(js::now_ms());
                    None
                }
            },
            Action::OpenTransport { url, protocols } => {
                // A transport still attached is replaced: the session has moved on from it.
                self.transport = None;
                Some(Step::Open {
                    url,
                    protocols,
                    factory: self.callbacks.web_socket_factory.clone(),
                })
            }
            Action::Send { data, binary } => {
                let socket = self.transport.as_ref()?.handle();
                let raw_log = if self.js_config.log_raw_communication {
                    self.debug_fn()
                } else {
                    None
                };
                Some(Step::Send {
                    socket,
                    data,
                    binary,
                    raw_log,
                })
            }
            Action::CloseTransport { discard } => {
                let transport = if discard {
                    // Detach first: nothing more is to be reported for this socket.
                    self.transport.take()
                } else {
                    None
                };
                let socket = match &transport {
                    Some(t) => t.handle(),
                    None => self.transport.as_ref()?.handle(),
                };
                drop(transport);
                Some(Step::Close(socket))
            }
        }
    }

    fn event_step(&mut self, event: Event) -> Option<Step> {
        let cb = &self.callbacks;
        let call = |callback: &JsValue, arg: JsValue| {
            js::as_function(callback).map(|f| Step::Call(f, arg))
        };
        match event {
            Event::StateChanged(state) => {
                let step = call(&cb.on_change_state, JsValue::from(state as u8));
                if state == ActivationState::Inactive {
                    self.transport = None;
                    let waiters = std::mem::take(&mut self.deactivate_waiters);
                    let reactivate = std::mem::take(&mut self.activate_when_inactive);
                    return Some(Step::Inactive {
                        state_callback: step.map(Box::new),
                        waiters,
                        reactivate,
                    });
                }
                step
            }
            Event::Connected(frame) => {
                // Callbacks of subscriptions the session no longer has (not re-subscribed after
                // a reconnect) are dropped here, so they cannot pile up.
                let session = &self.session;
                self.subscriptions
                    .retain(|id| session.subscription_ids().any(|live| live == id));
                js::as_function(&self.callbacks.on_connect)
                    .map(|f| Step::OnConnect(f, frame_js(&frame)))
            }
            Event::Message(frame) => {
                let callback = match self.subscriptions.get(frame.name()) {
                    Some(s) => s.on_message.clone(),
                    None => Rc::new(js::as_function(&self.callbacks.on_unhandled_message)?),
                };
                let v12 = self.session.connected_version() == Some(Version::V1_2);
                Some(Step::Message {
                    callback,
                    frame,
                    v12,
                })
            }
            Event::UnhandledMessage(frame) => Some(Step::Message {
                callback: Rc::new(js::as_function(&cb.on_unhandled_message)?),
                v12: self.session.connected_version() == Some(Version::V1_2),
                frame,
            }),
            Event::Receipt(frame) => {
                let id = frame.get("receipt-id").unwrap_or_default();
                match self.receipt_watchers.remove(id) {
                    Some(callback) => Some(Step::Call(callback, frame_js(&frame))),
                    None => call(&cb.on_unhandled_receipt, frame_js(&frame)),
                }
            }
            Event::UnhandledReceipt(frame) => call(&cb.on_unhandled_receipt, frame_js(&frame)),
            Event::UnhandledFrame(frame) => call(&cb.on_unhandled_frame, frame_js(&frame)),
            Event::StompError(frame) => call(&cb.on_stomp_error, frame_js(&frame)),
            Event::SubscriptionFailed(frame) => {
                let entry = self.subscriptions.remove(frame.name());
                match entry.and_then(|s| s.on_error) {
                    Some(callback) => Some(Step::Call(callback, frame_js(&frame))),
                    None => call(&self.callbacks.on_stomp_error, frame_js(&frame)),
                }
            }
            Event::Disconnected(frame) => call(&cb.on_disconnect, frame_js(&frame)),
            Event::TransportClosed { .. } => {
                let ev = std::mem::replace(&mut self.close_event, JsValue::UNDEFINED);
                call(&cb.on_web_socket_close, ev)
            }
            Event::TransportError(message) => {
                let ev = std::mem::replace(&mut self.error_event, JsValue::UNDEFINED);
                let ev = if ev.is_undefined() {
                    js::error(&message)
                } else {
                    ev
                };
                call(&cb.on_web_socket_error, ev)
            }
            Event::DecodeError(message) => {
                let f = self.debug_fn()?;
                Some(Step::Call(f, JsValue::from_str(&message)))
            }
            Event::HeartbeatReceived => call(&cb.on_heartbeat_received, JsValue::UNDEFINED),
            Event::HeartbeatLost => call(&cb.on_heartbeat_lost, JsValue::UNDEFINED),
            Event::ReconnectGaveUp { attempts } => {
                call(&cb.on_reconnect_gave_up, JsValue::from(attempts))
            }
            Event::ReconnectScheduled { .. } => None,
            Event::Debug(line) => {
                let f = self.debug_fn()?;
                Some(Step::Call(f, JsValue::from_str(&line)))
            }
        }
    }
}

fn frame_js(frame: &Received) -> JsValue {
    FrameWriter::default().frame_to_js(frame)
}

/// One thing to do outside any borrow: it may run user code.
enum Step {
    /// Call a user callback with one argument.
    Call(Function, JsValue),
    /// Call `onConnect` with the CONNECTED frame, flagging subscriptions made meanwhile.
    OnConnect(Function, JsValue),
    Message {
        callback: Rc<Function>,
        frame: Received,
        v12: bool,
    },
    BeforeConnect(Function),
    Open {
        url: String,
        protocols: Vec<String>,
        /// `webSocketFactory`, or the one socket given to `Stomp.over(socket)`.
        factory: JsValue,
    },
    Send {
        socket: Handle,
        data: Vec<u8>,
        binary: bool,
        raw_log: Option<Function>,
    },
    Close(Handle),
    /// The client went INACTIVE: tell `onChangeState`, settle `deactivate()` promises, and
    /// activate again if that was asked while deactivating.
    Inactive {
        state_callback: Option<Box<Step>>,
        waiters: Vec<Function>,
        reactivate: bool,
    },
}

thread_local! {
    /// Scratch for flattening headers on the delivery path.
    static WRITER: RefCell<FrameWriter> = RefCell::new(FrameWriter::default());
}

fn set_in_on_connect(shared: &Shared, on: bool) {
    if let Ok(mut inner) = shared.try_borrow_mut() {
        inner.in_on_connect = on;
    }
}

fn run_step(shared: &Shared, step: Step) -> Result<(), JsValue> {
    match step {
        Step::Call(callback, arg) => callback.call1(&JsValue::NULL, &arg).map(drop),
        Step::OnConnect(callback, arg) => {
            set_in_on_connect(shared, true);
            let result = callback.call1(&JsValue::NULL, &arg).map(drop);
            set_in_on_connect(shared, false);
            result
        }
        Step::Message {
            callback,
            frame,
            v12,
        } => {
            let acker = shared
                .try_borrow()
                .ok()
                .and_then(|inner| inner.acker.clone())
                .ok_or_else(busy)?;
            let acker: &Function = (*acker).as_ref().unchecked_ref();
            WRITER.with(|w| match w.try_borrow_mut() {
                Ok(mut w) => w.deliver(&callback, &frame, v12, acker),
                Err(_) => FrameWriter::default().deliver(&callback, &frame, v12, acker),
            })
        }
        Step::BeforeConnect(callback) => {
            // stompjs calls `beforeConnect(client)`: code refreshes credentials through it.
            let client_handle = shared.try_borrow().map_err(|_| busy())?.client_handle;
            let client_arg = client_handle(shared);
            let result = callback.call1(&JsValue::NULL, &client_arg);
            match result {
                Ok(value) if js::get(&value, "then").is_function() => {
                    // Resume once the promise settles, whichever way (stompjs awaits it; a
                    // rejection would leave it stuck, we connect anyway).
                    let weak = Rc::downgrade(shared);
                    let done = Closure::once_into_js(move |_v: JsValue| {
                        if let Some(shared) = weak.upgrade() {
                            before_connect_done(&shared);
                        }
                    });
                    let then: Function = js::get(&value, "then").unchecked_into();
                    then.call2(&value, &done, &done).map(drop)
                }
                Ok(_) => {
                    before_connect_now(shared);
                    Ok(())
                }
                Err(err) => {
                    before_connect_now(shared);
                    Err(err)
                }
            }
        }
        Step::Open {
            url,
            protocols,
            factory,
        } => {
            if factory.is_undefined() && is_sockjs_url(&url) {
                let plan = shared.try_borrow().map_err(|_| busy())?.sockjs_plan.clone();
                let transport = Transport::sockjs(&url, plan, transport_sink(shared));
                let mut inner = shared.try_borrow_mut().map_err(|_| busy())?;
                inner.transport = Some(transport);
                return Ok(());
            }
            let protocols: Vec<&str> = protocols.iter().map(String::as_str).collect();
            let socket = match js::as_function(&factory) {
                Some(factory) => factory.call0(&JsValue::NULL),
                None if factory.is_object() => Ok(factory),
                None if url.is_empty() => {
                    Err(js::error("neither brokerURL nor webSocketFactory is set"))
                }
                None => transport::open_websocket(&url, &protocols),
            };
            let socket = match socket {
                Ok(s) if s.is_object() => s,
                Ok(_) => Err(js::error("webSocketFactory did not return a socket"))?,
                Err(err) => {
                    // No socket at all: report it like a socket that failed to open.
                    let message = js::js_string(&err);
                    if let Ok(mut inner) = shared.try_borrow_mut() {
                        let now = js::now_ms();
                        inner.error_event = err;
                        inner.session.transport_error(now, &message);
                        inner.session.transport_closed(now, 1006, &message);
                    }
                    return Ok(());
                }
            };
            let transport =
                Transport::WebSocket(WebSocketTransport::attach(socket, transport_sink(shared)));
            let mut inner = shared.try_borrow_mut().map_err(|_| busy())?;
            inner.transport = Some(transport);
            Ok(())
        }
        Step::Send {
            socket,
            data,
            binary,
            raw_log,
        } => {
            if let Some(log) = raw_log {
                let text = if binary {
                    let mut t = String::from(">>> [binary frame, ");
                    crate::codec::push_decimal(&mut t, data.len() as u64);
                    t.push_str(" bytes]");
                    t
                } else {
                    let mut t = String::from(">>> ");
                    t.push_str(std::str::from_utf8(&data).unwrap_or("[binary frame]"));
                    t
                };
                let _ = log.call1(&JsValue::NULL, &JsValue::from_str(&text));
            }
            if let Err(err) = socket.send(&data, binary) {
                // The socket refused (closing already): its close event follows.
                let message = js::js_string(&err);
                if let Ok(inner) = shared.try_borrow() {
                    if let Some(log) = inner.debug_fn() {
                        drop(inner);
                        let _ = log.call1(&JsValue::NULL, &JsValue::from_str(&message));
                    }
                }
            }
            Ok(())
        }
        Step::Close(socket) => {
            socket.close();
            Ok(())
        }
        Step::Inactive {
            state_callback,
            waiters,
            reactivate,
        } => {
            let mut first = Ok(());
            if let Some(step) = state_callback {
                first = run_step(shared, *step);
            }
            for resolve in waiters {
                let _ = resolve.call0(&JsValue::NULL);
            }
            if reactivate {
                if let Ok(mut inner) = shared.try_borrow_mut() {
                    inner.sync_js_config();
                    let _ = inner.session.activate(js::now_ms());
                }
            }
            first
        }
    }
}

fn before_connect_now(shared: &Shared) {
    if let Ok(mut inner) = shared.try_borrow_mut() {
        inner.sync_js_config();
        inner.session.before_connect_done(js::now_ms());
    }
}

fn before_connect_done(shared: &Shared) {
    before_connect_now(shared);
    let _ = drive(shared);
}

/// Drains the session: runs its actions and delivers its events, then re-arms the timer.
/// Returns the first exception a callback threw (after everything else has run), so it is not
/// lost; a nested call (from inside a callback) returns `Ok` at once and leaves the work to the
/// outer one.
pub(crate) fn drive(shared: &Shared) -> Result<(), JsValue> {
    match shared.try_borrow_mut() {
        Ok(mut inner) if !inner.driving => inner.driving = true,
        _ => return Ok(()),
    }
    let mut first_error = None;
    loop {
        let step = match shared.try_borrow_mut() {
            Ok(mut inner) => inner.next_step(),
            Err(_) => None,
        };
        let Some(step) = step else { break };
        if let Err(err) = run_step(shared, step) {
            first_error.get_or_insert(err);
        }
    }
    if let Ok(mut inner) = shared.try_borrow_mut() {
        inner.driving = false;
        inner.rearm_timer();
    }
    first_error.map_or(Ok(()), Err)
}

/// Runs `f` on the session (under a short borrow), then drives.
pub(crate) fn with_session<T>(
    shared: &Shared,
    f: impl FnOnce(&mut Inner, f64) -> Result<T, ClientError>,
) -> Result<T, JsValue> {
    let value = {
        let mut inner = shared.try_borrow_mut().map_err(|_| busy())?;
        f(&mut inner, js::now_ms()).map_err(client_error)?
    };
    drive(shared)?;
    Ok(value)
}

fn on_timer(shared: &Shared) {
    if let Ok(mut inner) = shared.try_borrow_mut() {
        if let Some(timer) = &mut inner.timer {
            timer.fired();
        }
        inner.session.handle_timeout(js::now_ms());
    }
    if let Err(err) = drive(shared) {
        report(&err);
    }
}

/// Whether `brokerURL` names a SockJS endpoint (`http(s)://…`) rather than a WebSocket.
fn is_sockjs_url(url: &str) -> bool {
    let scheme = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    scheme.starts_with("http://") || scheme.starts_with("https://")
}

/// Where a transport of this client reports.
fn transport_sink(shared: &Shared) -> Sink {
    let weak = Rc::downgrade(shared);
    Rc::new(move |ev: TransportEvent<'_>| {
        if let Some(shared) = weak.upgrade() {
            on_transport_event(&shared, ev);
        }
    })
}

fn on_transport_event(shared: &Shared, ev: TransportEvent<'_>) {
    {
        let Ok(mut inner) = shared.try_borrow_mut() else {
            return;
        };
        let now = js::now_ms();
        match ev {
            TransportEvent::Open => {
                inner.sync_js_config();
                let protocol = inner.transport.as_ref().and_then(Transport::protocol);
                if inner.transport.as_ref().is_some_and(Transport::is_sockjs) {
                    inner.session.transport_is_text_only();
                }
                inner.session.transport_opened(now, protocol.as_deref());
            }
            TransportEvent::Data(bytes) => {
                if inner.js_config.log_raw_communication {
                    if let Some(log) = inner.debug_fn() {
                        let mut text = String::from("<<< ");
                        text.push_str(std::str::from_utf8(bytes).unwrap_or("[binary message]"));
                        drop(inner);
                        let _ = log.call1(&JsValue::NULL, &JsValue::from_str(&text));
                        inner = match shared.try_borrow_mut() {
                            Ok(i) => i,
                            Err(_) => return,
                        };
                    }
                }
                inner.session.transport_data(now, bytes);
            }
            TransportEvent::Close {
                code,
                reason,
                event,
            } => {
                inner.transport = None;
                inner.close_event = event;
                inner.session.transport_closed(now, code, &reason);
            }
            TransportEvent::Error(event) => {
                inner.error_event = event;
                inner.session.transport_error(now, "WebSocket error");
            }
            TransportEvent::Debug(line) => {
                let log = inner.debug_fn();
                drop(inner);
                if let Some(log) = log {
                    let _ = log.call1(&JsValue::NULL, &JsValue::from_str(&line));
                }
                return;
            }
        }
    }
    if let Err(err) = drive(shared) {
        report(&err);
    }
}

/// An exception from a user callback run by a socket event or the timer: rethrown from a fresh
/// task so the browser reports it (as it would for stompjs), without unwinding through us.
fn report(err: &JsValue) {
    let err = err.clone();
    let rethrow = Closure::once_into_js(move || -> Result<(), JsValue> { Err(err) });
    js::set_timeout(rethrow.unchecked_ref(), 0.0);
}

/// `message.ack()` / `message.nack()` and `client.ack()` / `client.nack()`.
pub(crate) fn acknowledge(
    shared: &Shared,
    id: &JsValue,
    subscription: &JsValue,
    headers: &JsValue,
    nack: bool,
) -> Result<(), JsValue> {
    let id = id.as_string().unwrap_or_else(|| js::js_string(id));
    let subscription = subscription
        .as_string()
        .unwrap_or_else(|| js::js_string(subscription));
    let headers = js::headers_from_js(headers);
    with_session(shared, |inner, now| {
        if nack {
            inner.session.nack(now, &id, &subscription, headers)
        } else {
            inner.session.ack(now, &id, &subscription, headers)
        }
    })
}
