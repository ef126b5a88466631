//! What handlers receive ([`Request`]), return ([`Reply`]) and fail with ([`HandlerError`]).

use std::sync::Arc;

use bytes::Bytes;
use stomp_wasm::{ByteStr, Headers};

use super::handle::BrokerHandle;

/// A SEND or SUBSCRIBE to an application destination, as a handler sees it.
#[derive(Debug, Clone)]
pub struct Request {
    pub session_id: Arc<str>,
    /// The authenticated login, if any.
    pub user: Option<Arc<str>>,
    /// The full destination (`/app/chat/room/7`).
    pub destination: String,
    /// The destination without the application prefix (`/chat/room/7`): what routes match.
    pub path: String,
    /// `{name}` captures of the matched route.
    pub vars: Vec<(String, String)>,
    pub headers: Headers,
    pub body: Bytes,
    pub broker: BrokerHandle,
}

impl Request {
    /// A `{name}` capture of the route.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The body as text, if UTF-8.
    pub fn body_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    /// Who sent it: the login, or the session id when anonymous.
    pub fn principal(&self) -> &str {
        self.user.as_deref().unwrap_or(&self.session_id)
    }
}

/// A handler's answer: a message to publish.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    /// Where to send it; `None` means the route's default (Spring's: `@SendTo` if given, else
    /// `/topic` + the request path; for a subscribe handler: straight to the subscriber).
    pub destination: Option<String>,
    pub headers: Headers,
    pub body: Bytes,
}

impl Reply {
    /// A reply to the route's default destination.
    pub fn new(body: impl Into<Bytes>) -> Reply {
        Reply {
            destination: None,
            headers: Headers::new(),
            body: body.into(),
        }
    }

    /// A reply to an explicit destination.
    pub fn to(destination: impl Into<String>, body: impl Into<Bytes>) -> Reply {
        Reply {
            destination: Some(destination.into()),
            ..Reply::new(body)
        }
    }

    /// A JSON body with `content-type:application/json`.
    pub fn json(value: &impl serde::Serialize) -> Result<Reply, HandlerError> {
        let body = serde_json::to_vec(value).map_err(|e| HandlerError::new(e.to_string()))?;
        Ok(Reply::new(body).header("content-type", "application/json"))
    }

    /// Builder-style header.
    pub fn header(mut self, name: impl Into<ByteStr>, value: impl Into<ByteStr>) -> Reply {
        self.headers.push(name, value);
        self
    }

    /// Builder-style destination.
    pub fn with_destination(mut self, destination: impl Into<String>) -> Reply {
        self.destination = Some(destination.into());
        self
    }
}

/// A handler's failure, turned by the error handler into a message on the user's
/// `/user/queue/errors`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HandlerError {
    pub message: String,
}

impl HandlerError {
    pub fn new(message: impl Into<String>) -> HandlerError {
        HandlerError {
            message: message.into(),
        }
    }
}

impl From<String> for HandlerError {
    fn from(message: String) -> HandlerError {
        HandlerError { message }
    }
}

impl From<&str> for HandlerError {
    fn from(message: &str) -> HandlerError {
        HandlerError::new(message)
    }
}

/// What a handler returns: `Ok(None)` publishes nothing.
pub type HandlerResult = Result<Option<Reply>, HandlerError>;
