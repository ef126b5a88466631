//! A WebSocket message over the size limit ends the connection with close code 1009 ("message
//! too big"), on `/ws` and on the SockJS WebSocket endpoints, and other clients carry on.

mod common;

use std::net::SocketAddr;

use common::{test_config, Client, TestServer, WAIT};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

/// STOMP frames over 16 KiB are refused; SockJS messages over 64 KiB (its floor).
const MAX_FRAME: usize = 16 * 1024;

async fn start() -> TestServer {
    let mut config = test_config();
    config.limits.max_frame_size = MAX_FRAME;
    TestServer::start_with_sockjs(config).await
}

/// Sends one `size`-byte text message to `path` and returns the close code the server sends.
async fn close_code_after(http: SocketAddr, path: &str, size: usize) -> Option<CloseCode> {
    let (mut ws, _) = tokio::time::timeout(
        WAIT,
        tokio_tungstenite::connect_async(format!("ws://{http}{path}")),
    )
    .await
    .expect("bounded")
    .expect("websocket connects");
    // Sending may fail if the server closes before reading everything: the close still comes.
    let _ = ws.send(Message::text("x".repeat(size))).await;
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("bounded")
        {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}

#[tokio::test]
async fn over_size_messages_close_with_1009() {
    let s = start().await;
    let (tcp, http) = (s.tcp, s.http);
    let mut bystander = Client::connect(tcp).await;
    bystander.subscribe("s", "/topic/still-here", "auto").await;

    assert_eq!(
        close_code_after(http, "/ws", MAX_FRAME * 2).await,
        Some(CloseCode::Size)
    );
    let session = format!("/stomp/000/s{}/websocket", std::process::id());
    assert_eq!(
        close_code_after(http, &session, 200 * 1024).await,
        Some(CloseCode::Size)
    );
    assert_eq!(
        close_code_after(http, "/stomp/websocket", 200 * 1024).await,
        Some(CloseCode::Size)
    );

    bystander.send("/topic/still-here", "ok").await;
    assert_eq!(common::body(&bystander.recv_message().await), "ok");
}
