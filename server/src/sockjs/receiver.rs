//! The receiving side of the HTTP transports: one request at a time drains a session's
//! outbound queue into a response body.
//!
//! A polling request (`xhr`, `jsonp`) ends after one frame; a streaming one (`xhr_streaming`,
//! `eventsource`, `htmlfile`) goes on until `response_limit` bytes of frames were written, the
//! session closes, or the client goes away. A client that goes away mid-request ends the
//! session at once (SockJS's "abort" rule); a request that ends normally leaves the session
//! waiting `disconnect_delay` for the next one.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use bytes::Bytes;
use stomp_wasm::sockjs::frame::{self, SockJsFrame};
use stomp_wasm::sockjs::json;
use tokio::sync::mpsc;

use super::config::SockJsConfig;
use super::session::{Attach, HttpSession, Outbound};

/// How a transport wraps each frame.
#[derive(Debug, Clone)]
pub(crate) enum Wrapping {
    /// `frame\n` (xhr, xhr_streaming).
    Line,
    /// `data: frame\r\n\r\n` with `%`, CR, LF, NUL escaped.
    EventSource,
    /// `<script>\np("frame");\n</script>\r\n`.
    HtmlFile,
    /// `/**/callback("frame");\r\n`.
    Jsonp(String),
}

impl Wrapping {
    /// The name of the SockJS transport that receives with this wrapping.
    pub(crate) fn transport(&self, streaming: bool) -> &'static str {
        match (self, streaming) {
            (Wrapping::Line, false) => "xhr",
            (Wrapping::Line, true) => "xhr_streaming",
            (Wrapping::EventSource, _) => "eventsource",
            (Wrapping::HtmlFile, _) => "htmlfile",
            (Wrapping::Jsonp(_), _) => "jsonp",
        }
    }

    pub(crate) fn wrap(&self, frame: &str) -> String {
        match self {
            Wrapping::Line => format!("{frame}\n"),
            Wrapping::EventSource => format!("data: {}\r\n\r\n", frame::eventsource_escape(frame)),
            Wrapping::HtmlFile => {
                // `<` escaped too, so a message can never close the script element.
                let quoted = json::quote(frame).replace('<', "\\u003c");
                format!("<script>\np({quoted});\n</script>\r\n")
            }
            Wrapping::Jsonp(callback) => format!("/**/{callback}({});\r\n", json::quote(frame)),
        }
    }
}

/// The writing end of a streamed response body.
pub(crate) struct BodyWriter {
    tx: mpsc::Sender<Bytes>,
    written: usize,
}

/// A response body fed by a [`BodyWriter`]; each write becomes one HTTP chunk.
pub(crate) fn streamed_body() -> (BodyWriter, Body) {
    let (tx, rx) = mpsc::channel::<Bytes>(8);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<Bytes, Infallible>(b), rx))
    });
    (BodyWriter { tx, written: 0 }, Body::from_stream(stream))
}

impl BodyWriter {
    /// Writes without counting towards the response limit (preludes). False if the client left.
    pub(crate) async fn write_raw(&mut self, data: impl Into<Bytes>) -> bool {
        self.tx.send(data.into()).await.is_ok()
    }

    async fn write_frame(&mut self, wrapping: &Wrapping, frame: &str) -> bool {
        let data = wrapping.wrap(frame);
        self.written += data.len();
        self.tx.send(Bytes::from(data)).await.is_ok()
    }
}

/// How an attached request ended.
enum Ended {
    /// Normally: the session waits `disconnect_delay` for the next request.
    Done,
    /// The client went away: the session ends now.
    Aborted,
}

/// How long a second receiving request waits for the attached one to go before it is refused
/// with `2010`. A client that drops its request and at once sends a new one (the abort case)
/// races the server noticing the drop on the other connection; the grace lets the drop win.
const DYING_RECEIVER_GRACE: std::time::Duration = std::time::Duration::from_millis(100);

/// Serves one receiving request on `session`, writing frames to `body` until done.
pub(crate) async fn receive(
    session: Arc<HttpSession>,
    wrapping: Wrapping,
    streaming: bool,
    mut body: BodyWriter,
    config: SockJsConfig,
) {
    let mut attached = session.attach(&body.tx);
    if matches!(attached, Attach::AlreadyAttached)
        && session.wait_detached(DYING_RECEIVER_GRACE).await
    {
        attached = session.attach(&body.tx);
    }
    let send_open = match attached {
        Attach::AlreadyAttached => {
            let close = SockJsFrame::close(
                frame::CODE_ANOTHER_CONNECTION,
                "Another connection still open",
            );
            body.write_frame(&wrapping, &close.encode()).await;
            return;
        }
        Attach::Interrupted => {
            let close = SockJsFrame::close(frame::CODE_INTERRUPTED, "Connection interrupted");
            body.write_frame(&wrapping, &close.encode()).await;
            return;
        }
        Attach::Closing(close) => {
            body.write_frame(&wrapping, &close).await;
            return;
        }
        Attach::Attached { send_open } => send_open,
    };
    let limit = if streaming { config.response_limit } else { 1 };
    let ended = {
        let mut outgoing = session.outgoing().await;
        pump(
            &session,
            outgoing.as_mut(),
            &wrapping,
            &mut body,
            send_open,
            limit,
            &config,
        )
        .await
    };
    session.detach(matches!(ended, Ended::Aborted));
}

async fn pump(
    session: &HttpSession,
    outgoing: Option<&mut mpsc::Receiver<Outbound>>,
    wrapping: &Wrapping,
    body: &mut BodyWriter,
    send_open: bool,
    limit: usize,
    config: &SockJsConfig,
) -> Ended {
    if send_open {
        if !body.write_frame(wrapping, "o").await {
            return Ended::Aborted;
        }
        if body.written >= limit {
            return Ended::Done;
        }
    }
    let Some(outgoing) = outgoing else {
        // The session expired while this request was being admitted.
        let close = SockJsFrame::close(frame::CODE_INTERRUPTED, "Connection interrupted");
        body.write_frame(wrapping, &close.encode()).await;
        return Ended::Done;
    };
    loop {
        let first = tokio::select! {
            _ = body.tx.closed() => return Ended::Aborted,
            item = outgoing.recv() => item,
            _ = tokio::time::sleep(config.heartbeat_interval) => {
                if !body.write_frame(wrapping, "h").await {
                    return Ended::Aborted;
                }
                if body.written >= limit {
                    return Ended::Done;
                }
                continue;
            }
        };
        // Batch everything already queued into one `a[...]` frame.
        let mut messages = Vec::new();
        let mut close = None;
        let mut next = first;
        loop {
            match next {
                Some(Outbound::Message(m)) => messages.push(m),
                Some(Outbound::Close(code, reason)) => {
                    close = Some(SockJsFrame::close(code, reason));
                    break;
                }
                None => {
                    close = Some(SockJsFrame::close(frame::CODE_NORMAL, "Normal closure"));
                    break;
                }
            }
            match outgoing.try_recv() {
                Ok(item) => next = Some(item),
                Err(_) => break,
            }
        }
        let close = close.map(|c| c.encode());
        if let Some(close) = &close {
            session.set_closing(close.clone());
        }
        if !messages.is_empty() {
            let mut a = String::new();
            frame::encode_messages_into(&messages, &mut a);
            if !body.write_frame(wrapping, &a).await {
                return Ended::Aborted;
            }
            if body.written >= limit {
                // A polling request ends here; the close frame (if any) waits for the next one.
                return Ended::Done;
            }
        }
        if let Some(close) = close {
            body.write_frame(wrapping, &close).await;
            return Ended::Done;
        }
    }
}
