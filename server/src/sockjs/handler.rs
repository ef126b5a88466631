//! [`SockJsHandler`]: the application behind a SockJS service, which runs once per session, and
//! its type-erased form the transports hold.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::session::SockJsSession;

/// The application behind a SockJS service: runs once per session, for as long as it likes.
///
/// When the future returns, the session's sender side is dropped; if the application did not
/// [`close`](SockJsSender::close) it, the client gets `c[1000,"Normal closure"]`.
pub trait SockJsHandler: Send + Sync + 'static {
    /// Serves one session (write it as `async fn on_session(self: Arc<Self>, …)`).
    fn on_session(
        self: Arc<Self>,
        session: SockJsSession,
    ) -> impl Future<Output = ()> + Send + 'static;
}

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A type-erased [`SockJsHandler`], so the transports are not generic.
#[derive(Clone)]
pub(crate) struct DynHandler(Arc<dyn Fn(SockJsSession) -> BoxFuture + Send + Sync>);

impl DynHandler {
    pub(crate) fn new<H: SockJsHandler>(handler: H) -> DynHandler {
        let handler = Arc::new(handler);
        DynHandler(Arc::new(move |session| {
            Box::pin(handler.clone().on_session(session))
        }))
    }

    /// Starts the application for a new session.
    pub(crate) fn spawn(&self, session: SockJsSession) {
        tokio::spawn((self.0)(session));
    }
}
