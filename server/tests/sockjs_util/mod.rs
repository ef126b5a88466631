//! Test support for the SockJS tests: an in-process server on 127.0.0.1:0 and a small raw
//! HTTP/1.1 client that exposes chunk boundaries (each SockJS frame of a streaming response is
//! one chunk).
//!
//! Every wait is bounded by [`WAIT`] so a broken server fails a test instead of hanging it; the
//! bound is a guard, never the thing asserted.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use stomp_server::sockjs::test_services::test_services_router;
use stomp_server::sockjs::SockJsConfig;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

pub const WAIT: Duration = Duration::from_secs(10);

/// Serves `router` on a fresh 127.0.0.1 port.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    addr
}

/// The protocol suite's four test services with `config` as the base settings.
pub async fn test_services(config: SockJsConfig) -> SocketAddr {
    serve(test_services_router(config)).await
}

/// A unique session path under `service`.
pub fn session_url(service: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{service}/000/s{}x{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

#[derive(Debug, Clone)]
pub struct Head {
    pub version: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_chunked(&self) -> bool {
        self.header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    }
}

#[derive(Debug, Clone)]
pub struct Response {
    pub head: Head,
    pub body: String,
}

impl Response {
    pub fn status(&self) -> u16 {
        self.head.status
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.header(name)
    }
}

/// One HTTP/1.x connection.
pub struct Http {
    stream: BufReader<TcpStream>,
}

async fn bounded<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, f)
        .await
        .expect("bounded wait elapsed")
}

impl Http {
    pub async fn connect(addr: SocketAddr) -> Http {
        let stream = bounded(TcpStream::connect(addr)).await.expect("connect");
        Http::over(stream)
    }

    /// A connection over an already connected stream (e.g. from another source address).
    pub fn over(stream: TcpStream) -> Http {
        Http {
            stream: BufReader::new(stream),
        }
    }

    /// Writes raw bytes.
    pub async fn write(&mut self, data: &[u8]) {
        bounded(self.stream.get_mut().write_all(data))
            .await
            .expect("write");
    }

    /// Sends a request and reads the response head.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        version: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Head {
        let mut req = format!("{method} {path} HTTP/{version}\r\nHost: 127.0.0.1\r\n");
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        if let Some(b) = body {
            req.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        req.push_str("\r\n");
        let mut data = req.into_bytes();
        data.extend_from_slice(body.unwrap_or_default());
        self.write(&data).await;
        self.read_head().await
    }

    pub async fn read_head(&mut self) -> Head {
        let status_line = self.line().await;
        let mut parts = status_line.splitn(3, ' ');
        let version = parts
            .next()
            .and_then(|v| v.strip_prefix("HTTP/"))
            .expect("status line")
            .to_owned();
        let status = parts.next().and_then(|s| s.parse().ok()).expect("status");
        let mut headers = Vec::new();
        loop {
            let line = self.line().await;
            if line.is_empty() {
                break;
            }
            let (n, v) = line.split_once(':').expect("header line");
            headers.push((n.trim().to_owned(), v.trim().to_owned()));
        }
        Head {
            version,
            status,
            headers,
        }
    }

    async fn line(&mut self) -> String {
        let mut line = String::new();
        bounded(self.stream.read_line(&mut line))
            .await
            .expect("read line");
        line.trim_end_matches(['\r', '\n']).to_owned()
    }

    /// The next chunk of a chunked body; `None` at the terminating chunk.
    pub async fn chunk(&mut self) -> Option<Vec<u8>> {
        let size_line = self.line().await;
        let size = usize::from_str_radix(size_line.trim(), 16).expect("chunk size");
        let mut data = vec![0; size + 2];
        bounded(self.stream.read_exact(&mut data))
            .await
            .expect("chunk data");
        data.truncate(size);
        (size > 0).then_some(data)
    }

    /// The next chunk as text.
    pub async fn chunk_text(&mut self) -> Option<String> {
        self.chunk()
            .await
            .map(|c| String::from_utf8(c).expect("UTF-8 chunk"))
    }

    /// Reads exactly `n` bytes.
    pub async fn read_exact(&mut self, n: usize) -> Vec<u8> {
        let mut data = vec![0; n];
        bounded(self.stream.read_exact(&mut data))
            .await
            .expect("read");
        data
    }

    /// Whether the server has closed the connection (reads to EOF, bounded).
    pub async fn at_eof(&mut self) -> bool {
        let mut rest = Vec::new();
        bounded(self.stream.read_to_end(&mut rest)).await.is_ok() && rest.is_empty()
    }

    /// A whole body per the head (Content-Length, chunked, or none).
    pub async fn body(&mut self, head: &Head) -> String {
        let bytes = if head.is_chunked() {
            let mut all = Vec::new();
            while let Some(c) = self.chunk().await {
                all.extend(c);
            }
            all
        } else if let Some(len) = head.header("content-length") {
            self.read_exact(len.parse().expect("content-length")).await
        } else {
            Vec::new()
        };
        String::from_utf8(bytes).expect("UTF-8 body")
    }
}

/// One request on its own connection, whole body read.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Response {
    let mut http = Http::connect(addr).await;
    let body = match (method, body) {
        ("POST", None) => Some(&b""[..]),
        (_, b) => b.map(str::as_bytes),
    };
    let head = http.request(method, path, "1.1", headers, body).await;
    let body = http.body(&head).await;
    Response { head, body }
}

pub async fn get(addr: SocketAddr, path: &str) -> Response {
    request(addr, "GET", path, &[], None).await
}

pub async fn post(addr: SocketAddr, path: &str, body: &str) -> Response {
    request(addr, "POST", path, &[], Some(body)).await
}

/// A streaming receiving request left open: the head is read, chunks are read by the caller.
pub async fn open_stream(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (Head, Http) {
    let mut http = Http::connect(addr).await;
    let body = (method == "POST").then_some(&b""[..]);
    let head = http.request(method, path, "1.1", headers, body).await;
    (head, http)
}
