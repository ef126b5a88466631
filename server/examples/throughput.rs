//! A quick in-process throughput and latency check of the broker over TCP (not the benchmark
//! harness: that is `loadgen/`). Usage:
//!
//! ```text
//! cargo run --profile server -p stomp-server --example throughput -- [messages] [subscribers] [body bytes]
//! ```
//!
//! One publisher sends `messages` SENDs to `/topic/bench` as fast as the socket takes them;
//! `subscribers` TCP clients receive every one. Prints deliveries per second.

use std::time::Instant;

use bytes::BytesMut;
use stomp_server::{App, Config, Listeners, Server};
use stomp_wasm::{Command, Decoded, Decoder, Encoder, Frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn connect(addr: std::net::SocketAddr, subscribe: Option<&str>) -> (TcpStream, Decoder) {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.set_nodelay(true).expect("nodelay");
    let mut frames = String::from("CONNECT\naccept-version:1.2\nhost:x\nheart-beat:0,0\n\n\0");
    if let Some(d) = subscribe {
        frames.push_str(&format!(
            "SUBSCRIBE\nid:0\ndestination:{d}\nreceipt:ok\n\n\0"
        ));
    }
    s.write_all(frames.as_bytes()).await.expect("write");
    let mut decoder = Decoder::default();
    let want = if subscribe.is_some() { 2 } else { 1 };
    let mut got = 0;
    let mut buf = vec![0u8; 4096];
    while got < want {
        let n = s.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed");
        decoder.feed(&buf[..n]);
        while let Ok(Some(Decoded::Frame(_))) = decoder.decode() {
            got += 1;
        }
    }
    (s, decoder)
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let messages = args.first().copied().unwrap_or(200_000);
    let subscribers = args.get(1).copied().unwrap_or(1);
    let body_len = args.get(2).copied().unwrap_or(100);

    let tcp = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = tcp.local_addr().expect("addr");
    let listeners = Listeners {
        tcp: Some(tcp),
        http: None,
        ..Default::default()
    };
    let mut config = Config::default();
    config.limits.outbound_buffer = 8 * 1024 * 1024;
    let server = Server::new(config, App::new()).expect("server");
    let s = server.clone();
    tokio::spawn(async move { s.serve(listeners, None, std::future::pending()).await });

    let mut readers = Vec::new();
    for _ in 0..subscribers {
        let (mut stream, mut decoder) = connect(addr, Some("/topic/bench")).await;
        readers.push(tokio::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            let mut count = 0;
            while count < messages {
                let n = stream.read(&mut buf).await.expect("read");
                assert!(n > 0, "subscriber closed after {count}");
                decoder.feed(&buf[..n]);
                while let Ok(Some(d)) = decoder.decode() {
                    if let Decoded::Frame(f) = d {
                        assert_eq!(f.command, Command::Message);
                        count += 1;
                    }
                }
            }
            Instant::now()
        }));
    }
    let (mut publisher, _) = connect(addr, None).await;
    let frame = Frame::new(Command::Send)
        .header("destination", "/topic/bench")
        .body(vec![b'x'; body_len]);
    let mut one = BytesMut::new();
    Encoder::default().encode(&frame, &mut one);
    let batch: Vec<u8> = one.iter().copied().cycle().take(one.len() * 100).collect();
    let start = Instant::now();
    let mut sent = 0;
    while sent < messages {
        let n = (messages - sent).min(100);
        publisher
            .write_all(&batch[..one.len() * n])
            .await
            .expect("publish");
        sent += n;
    }
    let mut last = start;
    for r in readers {
        last = last.max(r.await.expect("reader"));
    }
    let secs = (last - start).as_secs_f64();
    println!(
        "{messages} msgs × {subscribers} subscribers, {body_len} B bodies: {:.0} msgs/s published, {:.0} deliveries/s",
        messages as f64 / secs,
        (messages * subscribers) as f64 / secs
    );
    server.shutdown();
}
