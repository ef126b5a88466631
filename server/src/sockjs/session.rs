//! Sessions: the application's handle, and the state the HTTP transports share.
//!
//! Every transport talks to the application through two bounded channels: client messages in,
//! [`Outbound`] items out. A WebSocket connection drives them directly. The HTTP transports
//! need a session that outlives each request: [`HttpSession`] keeps the outbound receiver (so
//! messages queue between polls), admits one receiving request at a time, and expires after
//! `disconnect_delay` without one — at once if a receiving request was cut off by the network.
//! The [`SessionRegistry`] bounds HTTP sessions in total and per client address
//! (`max_sessions`, `max_sessions_per_address`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{mpsc, watch};

use super::config::SockJsConfig;
use crate::admission::{Place, Places, Refused, Settings};

/// What the application sends towards the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    /// One message.
    Message(String),
    /// Close the session with this code and reason.
    Close(u16, String),
}

/// The session is gone (client away, timed out, or closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("SockJS session closed")]
pub struct SessionClosed;

/// The application's handle on one SockJS session.
#[derive(Debug)]
pub struct SockJsSession {
    sender: SockJsSender,
    receiver: SockJsReceiver,
    remote: Option<SocketAddr>,
    transport: &'static str,
}

/// The sending half of a [`SockJsSession`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct SockJsSender {
    outgoing: mpsc::Sender<Outbound>,
}

/// The receiving half of a [`SockJsSession`].
#[derive(Debug)]
pub struct SockJsReceiver {
    incoming: mpsc::Receiver<String>,
}

impl SockJsSession {
    /// A session of a client at `remote`, opened by `transport` (`websocket`, `xhr_streaming`,
    /// …), and the transport's ends of its channels.
    pub(crate) fn channel(
        config: &SockJsConfig,
        remote: Option<SocketAddr>,
        transport: &'static str,
    ) -> (
        SockJsSession,
        mpsc::Sender<String>,
        mpsc::Receiver<Outbound>,
    ) {
        let (in_tx, in_rx) = mpsc::channel(config.incoming_queue.max(1));
        let (out_tx, out_rx) = mpsc::channel(config.outgoing_queue.max(1));
        let session = SockJsSession {
            sender: SockJsSender { outgoing: out_tx },
            receiver: SockJsReceiver { incoming: in_rx },
            remote,
            transport,
        };
        (session, in_tx, out_rx)
    }

    /// The client's address, when the server was given it (axum's `ConnectInfo`).
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote
    }

    /// Whether the session is carried by one WebSocket connection (`websocket` transport, raw
    /// `/websocket`) rather than by HTTP requests.
    pub fn is_websocket(&self) -> bool {
        matches!(self.transport, "websocket" | "raw_websocket")
    }

    /// The next message from the client; `None` once the session is over.
    pub async fn recv(&mut self) -> Option<String> {
        self.receiver.recv().await
    }

    /// The transport that opened the session (`websocket`, `xhr_streaming`, `xhr`,
    /// `eventsource`, `htmlfile`, `jsonp`), or `raw_websocket` for the raw `/websocket` endpoint.
    pub fn transport(&self) -> &'static str {
        self.transport
    }

    /// Queues a message for the client (waits while the queue is full).
    pub async fn send(&self, message: String) -> Result<(), SessionClosed> {
        self.sender.send(message).await
    }

    /// Closes the session: the client gets `c[code,"reason"]`.
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), SessionClosed> {
        self.sender.close(code, reason).await
    }

    /// Splits the session into independently owned halves.
    pub fn into_split(self) -> (SockJsSender, SockJsReceiver) {
        (self.sender, self.receiver)
    }
}

impl SockJsSender {
    /// Queues a message for the client (waits while the queue is full).
    pub async fn send(&self, message: String) -> Result<(), SessionClosed> {
        self.outgoing
            .send(Outbound::Message(message))
            .await
            .map_err(|_| SessionClosed)
    }

    /// Closes the session: the client gets `c[code,"reason"]`.
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), SessionClosed> {
        self.outgoing
            .send(Outbound::Close(code, reason.to_owned()))
            .await
            .map_err(|_| SessionClosed)
    }

    /// Resolves when the session is over (nothing sent any more reaches the client).
    pub async fn closed(&self) {
        self.outgoing.closed().await
    }
}

impl SockJsReceiver {
    /// The next message from the client; `None` once the session is over.
    pub async fn recv(&mut self) -> Option<String> {
        self.incoming.recv().await
    }
}

/// Where an HTTP session is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Created; the open frame not yet sent.
    Connecting,
    /// Open frame sent.
    Open,
    /// Closed by the application (or because it ended); this close frame answers every
    /// receiving request until the session expires.
    Closing(String),
}

/// The receiver-attachment state the expiry task watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Attachment {
    attached: bool,
    /// Bumped on every detach, so a stale timer never expires a session re-attached since.
    generation: u64,
    /// The last receiving request was cut off by the network: expire now, not after the delay.
    aborted: bool,
}

/// One session of the HTTP transports.
pub(crate) struct HttpSession {
    phase: Mutex<Phase>,
    attachment: watch::Sender<Attachment>,
    /// The application's outbound messages; locked by the (single) attached receiving request.
    outgoing: tokio::sync::Mutex<Option<mpsc::Receiver<Outbound>>>,
    /// Towards the application; taken (dropped) when the session expires.
    incoming: Mutex<Option<mpsc::Sender<String>>>,
    /// The attached request's response body, to see whether its client is already gone.
    receiver_body: Mutex<Option<mpsc::Sender<bytes::Bytes>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves plain data behind; keep serving.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a receiving request may do after [`HttpSession::attach`].
pub(crate) enum Attach {
    /// Another receiving request is attached: answer `c[2010,…]` and leave the session alone.
    AlreadyAttached,
    /// Attached; `send_open` says whether this request must send the open frame first.
    Attached { send_open: bool },
    /// The previous receiving request was cut off by the network and the session is ending:
    /// answer `c[1002,"Connection interrupted"]`.
    Interrupted,
    /// The session is closing: send this close frame and end (the session is not attached).
    Closing(String),
}

impl HttpSession {
    pub(crate) fn set_closing(&self, frame: String) {
        *lock(&self.phase) = Phase::Closing(frame);
    }

    /// Tries to make the calling request (whose response body `body` feeds) the session's
    /// receiver.
    pub(crate) fn attach(&self, body: &mpsc::Sender<bytes::Bytes>) -> Attach {
        let mut phase = lock(&self.phase);
        let mut receiver_body = lock(&self.receiver_body);
        let mut outcome = None;
        self.attachment.send_if_modified(|a| {
            if a.attached {
                // The attached request's client may be gone before its task has noticed.
                let gone = receiver_body.as_ref().is_some_and(|b| b.is_closed());
                outcome = Some(if gone {
                    Attach::Interrupted
                } else {
                    Attach::AlreadyAttached
                });
                return false;
            }
            if a.aborted {
                outcome = Some(Attach::Interrupted);
                return false;
            }
            match &*phase {
                Phase::Closing(frame) => {
                    // Not attached: the expiry timer restarts from now.
                    a.generation += 1;
                    outcome = Some(Attach::Closing(frame.clone()));
                }
                Phase::Connecting | Phase::Open => {
                    a.attached = true;
                    *receiver_body = Some(body.clone());
                    outcome = Some(Attach::Attached {
                        send_open: *phase == Phase::Connecting,
                    });
                }
            }
            true
        });
        if matches!(outcome, Some(Attach::Attached { send_open: true })) {
            *phase = Phase::Open;
        }
        outcome.unwrap_or(Attach::AlreadyAttached)
    }

    /// Waits (at most `grace`) until no request is attached. True if that happened.
    pub(crate) async fn wait_detached(&self, grace: std::time::Duration) -> bool {
        let mut rx = self.attachment.subscribe();
        tokio::time::timeout(grace, rx.wait_for(|a| !a.attached))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// The attached request is done; `aborted` when the client went away mid-request.
    pub(crate) fn detach(&self, aborted: bool) {
        lock(&self.receiver_body).take();
        self.attachment.send_modify(|a| {
            a.attached = false;
            a.generation += 1;
            a.aborted = aborted;
        });
    }

    /// Locks the outbound queue for the attached request.
    pub(crate) async fn outgoing(
        &self,
    ) -> tokio::sync::MutexGuard<'_, Option<mpsc::Receiver<Outbound>>> {
        self.outgoing.lock().await
    }

    /// Hands one client message to the application (waits while its queue is full). Messages
    /// for a session the application no longer reads are dropped, as SockJS does for sessions
    /// that are not open.
    pub(crate) async fn deliver(&self, message: String) {
        let tx = lock(&self.incoming).clone();
        if let Some(tx) = tx {
            let _ = tx.send(message).await;
        }
    }
}

/// A registered session and the place it holds until it expires.
struct Registered {
    session: Arc<HttpSession>,
    _place: Place,
}

/// The HTTP sessions of one service, by session id.
pub(crate) struct SessionRegistry {
    sessions: Mutex<HashMap<String, Registered>>,
    places: Arc<Places>,
}

impl SessionRegistry {
    pub(crate) fn new(config: &SockJsConfig) -> Arc<SessionRegistry> {
        Arc::new(SessionRegistry {
            sessions: Mutex::new(HashMap::new()),
            places: Places::new(
                config.max_sessions,
                config.max_sessions_per_address,
                Settings {
                    total: "sockjs.max_sessions",
                    per_address: "sockjs.max_sessions_per_address",
                },
            ),
        })
    }

    /// An existing session.
    pub(crate) fn get(&self, id: &str) -> Option<Arc<HttpSession>> {
        lock(&self.sessions).get(id).map(|r| r.session.clone())
    }

    /// The session `id`, created for a client at `remote` by `transport` (and its application
    /// started by `start`) if it does not exist.
    pub(crate) fn get_or_create(
        self: &Arc<Self>,
        id: &str,
        config: &SockJsConfig,
        remote: Option<SocketAddr>,
        transport: &'static str,
        start: impl FnOnce(SockJsSession),
    ) -> Result<Arc<HttpSession>, Refused> {
        let mut sessions = lock(&self.sessions);
        if let Some(r) = sessions.get(id) {
            return Ok(r.session.clone());
        }
        let place = self.places.take(remote.map(|a| a.ip()))?;
        let (app_session, in_tx, out_rx) = SockJsSession::channel(config, remote, transport);
        let (attachment, watch_rx) = watch::channel(Attachment {
            attached: false,
            generation: 0,
            aborted: false,
        });
        let session = Arc::new(HttpSession {
            phase: Mutex::new(Phase::Connecting),
            attachment,
            outgoing: tokio::sync::Mutex::new(Some(out_rx)),
            incoming: Mutex::new(Some(in_tx)),
            receiver_body: Mutex::new(None),
        });
        sessions.insert(
            id.to_owned(),
            Registered {
                session: session.clone(),
                _place: place,
            },
        );
        drop(sessions);
        tracing::debug!(session = id, "SockJS session created");
        tokio::spawn(expire_when_idle(
            self.clone(),
            id.to_owned(),
            session.clone(),
            watch_rx,
            config.disconnect_delay,
        ));
        start(app_session);
        Ok(session)
    }

    /// Removes `session` if it is still the one registered under `id`.
    fn remove(&self, id: &str, session: &Arc<HttpSession>) {
        let mut sessions = lock(&self.sessions);
        if sessions
            .get(id)
            .is_some_and(|r| Arc::ptr_eq(&r.session, session))
        {
            sessions.remove(id);
        }
    }
}

/// Expires `session` once it has had no receiving request for `delay` (at once after an abort).
async fn expire_when_idle(
    registry: Arc<SessionRegistry>,
    id: String,
    session: Arc<HttpSession>,
    mut watch_rx: watch::Receiver<Attachment>,
    delay: std::time::Duration,
) {
    loop {
        let now = *watch_rx.borrow_and_update();
        if now.attached {
            if watch_rx.changed().await.is_err() {
                break;
            }
            continue;
        }
        if now.aborted {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {
                let later = *watch_rx.borrow();
                if later == now {
                    break;
                }
            }
            changed = watch_rx.changed() => {
                if changed.is_err() {
                    break;
                }
            }
        }
    }
    registry.remove(&id, &session);
    // Dropping both channel ends tells the application the session is over.
    lock(&session.incoming).take();
    session.outgoing.lock().await.take();
    tracing::debug!(session = %id, "SockJS session expired");
}
