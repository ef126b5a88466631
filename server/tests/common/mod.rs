//! Shared test support: an in-process server on 127.0.0.1:0 and a small STOMP client built on
//! the shared codec.
//!
//! Every wait is bounded (`WAIT`) so a broken server fails a test instead of hanging it; the
//! bound is a guard, never the thing asserted.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use stomp_server::{App, Config, Listeners, Server, ServerBuilder};
use stomp_wasm::{Command, Decoded, Decoder, Encoder, Frame, Version};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub const WAIT: Duration = Duration::from_secs(10);

pub struct TestServer {
    pub tcp: SocketAddr,
    pub http: SocketAddr,
    pub server: Server,
    task: JoinHandle<()>,
}

impl TestServer {
    pub async fn start(config: Config, app: App) -> TestServer {
        TestServer::start_built(Server::builder(config).app(app)).await
    }

    pub async fn start_default() -> TestServer {
        TestServer::start(test_config(), App::new()).await
    }

    pub async fn start_built(builder: ServerBuilder) -> TestServer {
        let server = builder.build().expect("server builds");
        let tcp = TcpListener::bind("127.0.0.1:0").await.expect("bind tcp");
        let http = TcpListener::bind("127.0.0.1:0").await.expect("bind http");
        let (tcp_addr, http_addr) = (tcp.local_addr().unwrap(), http.local_addr().unwrap());
        let listeners = Listeners {
            tcp: Some(tcp),
            http: Some(http),
            ..Default::default()
        };
        let s = server.clone();
        let task = tokio::spawn(async move {
            s.serve(listeners, None, std::future::pending())
                .await
                .expect("server runs");
        });
        TestServer {
            tcp: tcp_addr,
            http: http_addr,
            server,
            task,
        }
    }

    pub async fn client(&self) -> Client {
        Client::connect(self.tcp).await
    }

    pub async fn stop(self) {
        self.server.shutdown();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("server stops")
            .expect("server task");
    }
}

/// Defaults, with no static dir warning noise.
pub fn test_config() -> Config {
    Config {
        www: std::env::temp_dir().join("stomp-server-test-no-www"),
        ..Config::default()
    }
}

pub struct Client {
    stream: TcpStream,
    decoder: Decoder,
    encoder: Encoder,
    receipts: u64,
    /// Frames that arrived while `send` waited for its receipt, handed out by `recv` first.
    stash: std::collections::VecDeque<Frame>,
    pub connected: Option<Frame>,
}

impl Client {
    pub async fn raw(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.expect("connect");
        Client {
            stream,
            decoder: Decoder::default(),
            encoder: Encoder::new(Version::V1_2),
            receipts: 0,
            stash: Default::default(),
            connected: None,
        }
    }

    /// Connects with STOMP 1.2, no heart-beats; panics unless CONNECTED.
    pub async fn connect(addr: SocketAddr) -> Client {
        Client::connect_with(addr, &[("accept-version", "1.2"), ("host", "localhost")]).await
    }

    pub async fn connect_with(addr: SocketAddr, headers: &[(&str, &str)]) -> Client {
        let mut c = Client::raw(addr).await;
        let reply = c.handshake(headers).await;
        assert_eq!(reply.command, Command::Connected, "{reply:?}");
        c.connected = Some(reply);
        c
    }

    /// Sends CONNECT and returns the answer (CONNECTED or ERROR).
    pub async fn handshake(&mut self, headers: &[(&str, &str)]) -> Frame {
        let mut f = Frame::new(Command::Connect);
        for (n, v) in headers {
            f.headers.push(n.to_string(), v.to_string());
        }
        self.send_frame(&f).await;
        let reply = self.recv().await;
        if let Some(v) = reply.get("version").and_then(Version::parse) {
            if reply.command == Command::Connected {
                self.decoder.set_version(v);
                self.encoder.set_version(v);
            }
        }
        reply
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    pub async fn send_frame(&mut self, frame: &Frame) {
        let mut out = BytesMut::new();
        self.encoder.encode(frame, &mut out);
        self.send_raw(&out).await;
    }

    /// The next frame (heart-beats skipped), or `None` at EOF.
    pub async fn recv_or_eof(&mut self) -> Option<Frame> {
        if let Some(f) = self.stash.pop_front() {
            return Some(f);
        }
        loop {
            match self.decoder.decode().expect("server sends valid frames") {
                Some(Decoded::Frame(f)) => return Some(f),
                Some(Decoded::Heartbeat) => continue,
                None => {}
            }
            let mut buf = [0u8; 16384];
            let n = tokio::time::timeout(WAIT, self.stream.read(&mut buf))
                .await
                .expect("server answers in time")
                .unwrap_or(0);
            if n == 0 {
                return None;
            }
            self.decoder.feed(&buf[..n]);
        }
    }

    /// Whether the next thing from the server is a heart-beat EOL (frames are not expected).
    pub async fn recv_heartbeat(&mut self) -> bool {
        loop {
            match self.decoder.decode().expect("valid") {
                Some(Decoded::Heartbeat) => return true,
                Some(Decoded::Frame(_)) => return false,
                None => {}
            }
            let mut buf = [0u8; 1024];
            let n = tokio::time::timeout(WAIT, self.stream.read(&mut buf))
                .await
                .expect("server answers in time")
                .unwrap_or(0);
            if n == 0 {
                return false;
            }
            self.decoder.feed(&buf[..n]);
        }
    }

    pub async fn recv(&mut self) -> Frame {
        self.recv_or_eof().await.expect("a frame, not EOF")
    }

    pub async fn recv_message(&mut self) -> Frame {
        let f = self.recv().await;
        assert_eq!(f.command, Command::Message, "{f:?}");
        f
    }

    /// Expects an ERROR, then the connection closing. Returns the ERROR.
    pub async fn expect_error_and_close(&mut self) -> Frame {
        let f = self.recv().await;
        assert_eq!(f.command, Command::Error, "{f:?}");
        assert!(f.get("message").is_some(), "ERROR has a message header");
        assert!(self.recv_or_eof().await.is_none(), "closed after ERROR");
        f
    }

    fn next_receipt(&mut self) -> String {
        self.receipts += 1;
        format!("rcpt-{}", self.receipts)
    }

    /// Sends `frame` with a receipt and waits for it; returns frames that arrived before it.
    pub async fn call(&mut self, frame: Frame) -> Vec<Frame> {
        let r = self.next_receipt();
        self.send_frame(&frame.header("receipt", r.clone())).await;
        let mut before: Vec<Frame> = self.stash.drain(..).collect();
        loop {
            let f = self.recv().await;
            if f.command == Command::Receipt && f.get("receipt-id") == Some(r.as_str()) {
                return before;
            }
            assert_ne!(f.command, Command::Error, "unexpected ERROR: {f:?}");
            before.push(f);
        }
    }

    /// A barrier: every frame the server queued for us before now is returned.
    pub async fn sync(&mut self) -> Vec<Frame> {
        self.call(Frame::new(Command::Unsubscribe).header("id", "__sync__"))
            .await
    }

    pub async fn subscribe(&mut self, id: &str, destination: &str, ack: &str) {
        let f = Frame::new(Command::Subscribe)
            .header("id", id.to_owned())
            .header("destination", destination.to_owned())
            .header("ack", ack.to_owned());
        let early = self.call(f).await;
        assert!(early.is_empty(), "nothing before the receipt: {early:?}");
    }

    /// SUBSCRIBE with receipt; returns what arrived before the RECEIPT (backlog, app replies).
    pub async fn subscribe_collect(
        &mut self,
        id: &str,
        destination: &str,
        ack: &str,
    ) -> Vec<Frame> {
        let f = Frame::new(Command::Subscribe)
            .header("id", id.to_owned())
            .header("destination", destination.to_owned())
            .header("ack", ack.to_owned());
        self.call(f).await
    }

    /// SEND with a receipt: when this returns the message has been routed. Messages that
    /// arrived meanwhile are kept for `recv`.
    pub async fn send(&mut self, destination: &str, body: &str) {
        let f = Frame::new(Command::Send)
            .header("destination", destination.to_owned())
            .body(body.to_owned());
        let early = self.call(f).await;
        assert!(
            early.iter().all(|f| f.command == Command::Message),
            "{early:?}"
        );
        self.stash.extend(early);
    }

    pub async fn disconnect(mut self) {
        let r = self.next_receipt();
        self.send_frame(&Frame::new(Command::Disconnect).header("receipt", r.clone()))
            .await;
        loop {
            match self.recv_or_eof().await {
                Some(f) if f.command == Command::Receipt => {
                    assert_eq!(f.get("receipt-id"), Some(r.as_str()));
                    break;
                }
                Some(_) => continue,
                None => panic!("closed before the DISCONNECT receipt"),
            }
        }
        assert!(
            self.recv_or_eof().await.is_none(),
            "closed after DISCONNECT receipt"
        );
    }
}

pub fn body(f: &Frame) -> &str {
    f.body_str().expect("utf-8 body")
}
