//! The example handlers the `stomp-server` binary ships, so demos and tests have something to
//! call:
//!
//! - `SEND /app/echo` → the same body (and `content-type`) on `/topic/echo`.
//! - `SEND /app/greeting` (body: a name) → `Hello, {name}!` on `/topic/greetings`.
//! - `SEND /app/fail` → a handler error: the text arrives on the sender's `/user/queue/errors`.
//! - `SUBSCRIBE /app/whoami` → one MESSAGE with the session's principal.
//! - with a clock period: `/topic/clock` gets the Unix time in milliseconds periodically.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{App, HandlerError, Reply};

/// The example application.
pub fn demo_app(clock: Option<Duration>) -> App {
    let app = App::new()
        .message("/echo", |req| async move {
            let mut reply = Reply::new(req.body.clone());
            if let Some(ct) = req.header("content-type") {
                reply = reply.header("content-type", ct.to_owned());
            }
            Ok(Some(reply))
        })
        .message_to("/greeting", "/topic/greetings", |req| async move {
            let name = req.body_str().unwrap_or("").trim().to_owned();
            if name.is_empty() {
                return Err(HandlerError::new("greeting needs a name"));
            }
            Ok(Some(Reply::new(format!("Hello, {name}!"))))
        })
        .message("/fail", |req| async move {
            Err(HandlerError::new(format!(
                "fail was called with {:?}",
                req.body_str().unwrap_or("")
            )))
        })
        .subscribe("/whoami", |req| async move {
            Ok(Some(Reply::new(req.principal().to_owned())))
        });
    match clock {
        Some(period) => app.every(period, |broker| async move {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            if let Err(e) = broker.send("/topic/clock", now.to_string()) {
                tracing::warn!(error = %e, "clock push refused");
            }
        }),
        None => app,
    }
}
