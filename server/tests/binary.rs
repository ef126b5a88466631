//! The `stomp-server` binary: flags, the startup line scripts look for, config file, graceful
//! shutdown on SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use common::*;

struct Running {
    child: Child,
    tcp: SocketAddr,
    http: SocketAddr,
    /// `None` when the startup line says `metrics=off`.
    metrics: Option<SocketAddr>,
}

fn start(extra: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stomp-server"))
        .args([
            "--tcp",
            "127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
            "--www",
            "no-such-dir",
        ])
        .args(extra)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = lines
        .find_map(|l| l.ok().filter(|l| l.contains("listening tcp=")))
        .expect("startup line");
    let field = |name: &str| -> Option<SocketAddr> {
        let start = line.find(name).expect("field") + name.len();
        line[start..]
            .split_whitespace()
            .next()
            .and_then(|a| a.parse().ok())
    };
    let (tcp, http) = (field("tcp=").expect("tcp"), field("http=").expect("http"));
    let metrics = field("metrics=");
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Running {
        child,
        tcp,
        http,
        metrics,
    }
}

fn terminate(mut r: Running) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &r.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    r.child.wait().expect("exits")
}

#[tokio::test]
async fn binary_serves_tcp_and_ws_and_exits_cleanly_on_sigterm() {
    let r = start(&["--clock-ms", "0"]);
    assert_ne!(r.tcp.port(), 0);
    assert_ne!(r.http.port(), 0);
    let mut c = Client::connect(r.tcp).await;
    c.subscribe("1", "/topic/greetings", "auto").await;
    c.send("/app/greeting", "binary").await;
    assert_eq!(body(&c.recv_message().await), "Hello, binary!");
    let status = terminate(r);
    assert!(status.success(), "{status:?}");
    // The open session was told and closed.
    let e = c.expect_error_and_close().await;
    assert_eq!(e.get("message"), Some("server shutting down"));
}

/// A `GET` on its own connection: status code and body.
async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(WAIT, s.read_to_string(&mut response))
        .await
        .expect("answers in time")
        .expect("reads");
    let status = response[9..12].parse().expect("status code");
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body.to_owned())
}

#[tokio::test]
async fn metrics_flag_serves_metrics_and_health_and_is_off_by_default() {
    let r = start(&["--clock-ms", "0"]);
    assert_eq!(r.metrics, None, "no metrics listener unless asked");
    terminate(r);

    let r = start(&["--clock-ms", "0", "--metrics", "127.0.0.1:0"]);
    let metrics = r.metrics.expect("metrics listener");
    let c = Client::connect(r.tcp).await;
    let (status, body) = http_get(metrics, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("\nstomp_sessions{transport=\"tcp\"} 1\n"),
        "{body}"
    );
    let (status, body) = http_get(metrics, "/healthz").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"status\":\"ok\""), "{body}");
    c.disconnect().await;
    let status = terminate(r);
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn binary_reads_a_config_file() {
    let dir = std::env::temp_dir().join(format!("stomp-server-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        "[destinations]\nbroker_prefixes = [\"/exchange\"]\nqueue_prefixes = []\n",
    )
    .unwrap();
    let r = start(&["--config", path.to_str().unwrap(), "--clock-ms", "0"]);
    let mut c = Client::connect(r.tcp).await;
    c.subscribe("1", "/exchange/a", "auto").await;
    c.send_raw(b"SUBSCRIBE\nid:2\ndestination:/topic/a\n\n\0")
        .await;
    c.expect_error_and_close().await;
    let status = terminate(r);
    assert!(status.success(), "{status:?}");
}

#[test]
fn example_config_parses_and_matches_the_defaults() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/stomp-server.example.toml");
    let parsed = stomp_server::Config::from_file(std::path::Path::new(path)).expect("parses");
    let defaults = stomp_server::Config::default();
    assert_eq!(format!("{parsed:?}"), format!("{defaults:?}"));
}

#[test]
fn unknown_config_keys_are_refused() {
    let dir = std::env::temp_dir().join(format!("stomp-server-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(&path, "[limits]\nmax_frame = 1\n").unwrap();
    assert!(stomp_server::Config::from_file(&path).is_err());
}
