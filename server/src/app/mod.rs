//! The application handler API, modelled on Spring's `@MessageMapping`, `@SendTo`,
//! `@SubscribeMapping`, `@MessageExceptionHandler` and `@Scheduled`.
//!
//! ```no_run
//! use std::time::Duration;
//! use stomp_server::app::{App, Reply};
//!
//! let app = App::new()
//!     // SEND /app/chat/room/7 → stamped and broadcast to /topic/chat/room/7.
//!     .message("/chat/room/{id}", |req| async move {
//!         let room = req.var("id").unwrap_or("0").to_owned();
//!         let text = format!("{}: {}", req.principal(), req.body_str().unwrap_or(""));
//!         Ok(Some(Reply::to(format!("/topic/chat/room/{room}"), text)))
//!     })
//!     // SUBSCRIBE /app/welcome → one MESSAGE straight to that subscriber.
//!     .subscribe("/welcome", |req| async move {
//!         Ok(Some(Reply::new(format!("welcome, {}", req.principal()))))
//!     })
//!     // A periodic push.
//!     .every(Duration::from_secs(1), |broker| async move {
//!         let _ = broker.send("/topic/clock", "tick");
//!     });
//! ```
//!
//! Handlers run on the task of the session that sent the frame, so one session's frames are
//! handled in order. A handler's `Err` goes to the error handler (by default: the error text sent
//! to the session's `/user/queue/errors`).

pub mod examples;
mod handle;
mod handler;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use stomp_wasm::Headers;

pub use handle::BrokerHandle;
pub use handler::{HandlerError, HandlerResult, Reply, Request};

use crate::broker::destination::Pattern;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

type HandlerFn = Arc<dyn Fn(Request) -> BoxFuture<HandlerResult> + Send + Sync>;
type ErrorFn = Arc<dyn Fn(&Request, &HandlerError) -> Option<Reply> + Send + Sync>;
type TaskFn = Arc<dyn Fn(BrokerHandle) -> BoxFuture<()> + Send + Sync>;
type SessionHookFn = Arc<dyn Fn(SessionEvent, BrokerHandle) -> BoxFuture<()> + Send + Sync>;

/// A session connecting or going away, for hooks such as "who is online".
#[derive(Debug, Clone)]
pub struct SessionEvent {
    pub session_id: Arc<str>,
    pub user: Option<Arc<str>>,
}

/// One registered route.
#[derive(Clone)]
pub(crate) struct Route {
    pattern: Pattern,
    /// `@SendTo`: the default destination of replies.
    pub send_to: Option<String>,
    pub handler: HandlerFn,
}

/// A periodic task.
#[derive(Clone)]
pub(crate) struct Periodic {
    pub every: Duration,
    pub task: TaskFn,
}

/// The set of application handlers a server runs. See the [module docs](self).
#[derive(Clone, Default)]
pub struct App {
    message_routes: Vec<Route>,
    subscribe_routes: Vec<Route>,
    error_handler: Option<ErrorFn>,
    pub(crate) periodic: Vec<Periodic>,
    on_connect: Option<SessionHookFn>,
    on_disconnect: Option<SessionHookFn>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field(
                "message_routes",
                &self
                    .message_routes
                    .iter()
                    .map(|r| r.pattern.as_str())
                    .collect::<Vec<_>>(),
            )
            .field(
                "subscribe_routes",
                &self
                    .subscribe_routes
                    .iter()
                    .map(|r| r.pattern.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("periodic", &self.periodic.len())
            .finish()
    }
}

fn boxed<F, Fut>(f: F) -> HandlerFn
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = HandlerResult> + Send + 'static,
{
    Arc::new(move |req| Box::pin(f(req)))
}

impl App {
    pub fn new() -> App {
        App::default()
    }

    /// `@MessageMapping(path)`: handles SENDs to `{app prefix}{path}`. A reply without a
    /// destination goes to `/topic{path}` (the first pub-sub prefix + path).
    /// `path` is an Ant-style pattern: `{name}` captures a segment, `*` and `**` match.
    pub fn message<F, Fut>(mut self, path: &str, handler: F) -> App
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        self.message_routes.push(Route {
            pattern: Pattern::new(path),
            send_to: None,
            handler: boxed(handler),
        });
        self
    }

    /// `@MessageMapping(path) @SendTo(send_to)`: replies without a destination go to `send_to`.
    pub fn message_to<F, Fut>(mut self, path: &str, send_to: &str, handler: F) -> App
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        self.message_routes.push(Route {
            pattern: Pattern::new(path),
            send_to: Some(send_to.to_owned()),
            handler: boxed(handler),
        });
        self
    }

    /// `@SubscribeMapping(path)`: a SUBSCRIBE to `{app prefix}{path}` gets the reply once,
    /// straight to that subscription (or to the reply's explicit destination).
    pub fn subscribe<F, Fut>(mut self, path: &str, handler: F) -> App
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        self.subscribe_routes.push(Route {
            pattern: Pattern::new(path),
            send_to: None,
            handler: boxed(handler),
        });
        self
    }

    /// `@MessageExceptionHandler`: turns a handler error into a reply. A reply without a
    /// destination goes to the session's `/user/queue/errors`; `None` sends nothing.
    pub fn on_error<F>(mut self, handler: F) -> App
    where
        F: Fn(&Request, &HandlerError) -> Option<Reply> + Send + Sync + 'static,
    {
        self.error_handler = Some(Arc::new(handler));
        self
    }

    /// `@Scheduled(fixedRate)`: runs `task` every `period` while the server runs.
    pub fn every<F, Fut>(mut self, period: Duration, task: F) -> App
    where
        F: Fn(BrokerHandle) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.periodic.push(Periodic {
            every: period.max(Duration::from_millis(1)),
            task: Arc::new(move |b| Box::pin(task(b))),
        });
        self
    }

    /// Runs after a session's CONNECTED is queued.
    pub fn on_connect<F, Fut>(mut self, hook: F) -> App
    where
        F: Fn(SessionEvent, BrokerHandle) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_connect = Some(Arc::new(move |e, b| Box::pin(hook(e, b))));
        self
    }

    /// Runs after a connected session has ended and left the broker.
    pub fn on_disconnect<F, Fut>(mut self, hook: F) -> App
    where
        F: Fn(SessionEvent, BrokerHandle) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_disconnect = Some(Arc::new(move |e, b| Box::pin(hook(e, b))));
        self
    }

    pub(crate) fn find_message(&self, path: &str) -> Option<(&Route, Vec<(String, String)>)> {
        find(&self.message_routes, path)
    }

    pub(crate) fn find_subscribe(&self, path: &str) -> Option<(&Route, Vec<(String, String)>)> {
        find(&self.subscribe_routes, path)
    }

    /// The error handler's reply, or the default one: the error text, with a `message` header.
    pub(crate) fn error_reply(&self, req: &Request, err: &HandlerError) -> Option<Reply> {
        match &self.error_handler {
            Some(h) => h(req, err),
            None => {
                let mut headers = Headers::new();
                headers.push("message", err.message.clone());
                headers.push("content-type", "text/plain");
                Some(Reply {
                    destination: None,
                    headers,
                    body: err.message.clone().into(),
                })
            }
        }
    }

    pub(crate) fn connect_hook(
        &self,
        event: SessionEvent,
        broker: BrokerHandle,
    ) -> Option<BoxFuture<()>> {
        self.on_connect.as_ref().map(|h| h(event, broker))
    }

    pub(crate) fn disconnect_hook(
        &self,
        event: SessionEvent,
        broker: BrokerHandle,
    ) -> Option<BoxFuture<()>> {
        self.on_disconnect.as_ref().map(|h| h(event, broker))
    }
}

fn find<'a>(routes: &'a [Route], path: &str) -> Option<(&'a Route, Vec<(String, String)>)> {
    routes
        .iter()
        .find_map(|r| r.pattern.captures(path).map(|caps| (r, caps)))
}
