//! Out of file descriptors, `accept` fails: the listener must pause and retry (one warning per
//! run of failures, not a line per attempt) and serve the waiting client once a descriptor is
//! free again. Its own test binary: it lowers the process's open-file limit.

#![cfg(target_os = "linux")]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use stomp_wasm::Command;

/// Log lines, kept for the assertions.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn count(&self, needle: &str) -> usize {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .matches(needle)
            .count()
    }
}

fn set_soft_limit(soft: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid pointers to one rlimit each.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        limit.rlim_cur = soft as libc::rlim_t;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
}

fn open_descriptors() -> u64 {
    std::fs::read_dir("/proc/self/fd").unwrap().count() as u64
}

#[tokio::test]
async fn out_of_descriptors_the_stomp_listener_backs_off_and_recovers() {
    let log = Log::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let s = TestServer::start_default().await;
    let mut working = s.client().await;
    working.subscribe("0", "/topic/t", "auto").await;

    // Use up every descriptor, then free one for the client's socket: the server's accept of
    // that connection fails with EMFILE.
    set_soft_limit(open_descriptors() + 32);
    let mut fillers = Vec::new();
    while let Ok(file) = std::fs::File::open("/dev/null") {
        fillers.push(file);
    }
    fillers.pop();
    let waiting = tokio::net::TcpStream::connect(s.tcp)
        .await
        .expect("connect");
    tokio::time::sleep(Duration::from_secs(1)).await;

    let warnings = log.count("accept failed; pausing");
    let attempts = warnings + log.count("accept failed again");
    assert_eq!(warnings, 1, "one warning for the run of failures");
    // Retried with pauses doubling from 10 ms: a handful of attempts in that second (a
    // spinning loop makes thousands).
    assert!((2..=20).contains(&attempts), "{attempts} failed accepts");

    // Descriptors free again: the waiting client is served, and the connected one never stopped.
    drop(fillers);
    drop(waiting);
    let mut late = tokio::time::timeout(WAIT, Client::raw(s.tcp))
        .await
        .unwrap();
    let reply = late
        .handshake(&[("accept-version", "1.2"), ("host", "localhost")])
        .await;
    assert_eq!(reply.command, Command::Connected, "{reply:?}");
    working.send("/topic/t", "still served").await;
    assert_eq!(body(&working.recv_message().await), "still served");
    assert_eq!(log.count("accepting connections again"), 1);
    s.stop().await;
}
