//! Memory per idle connection: open `--connections` STOMP sessions (CONNECT → CONNECTED, then
//! nothing but heart-beats), and read the broker process's resident memory before and after.
//!
//! Each idle session beats like a stompjs client with its defaults (10 s each way), which is
//! also what keeps RabbitMQ from closing a silent WebSocket after 60 s. The figure is
//! `(RSS after − RSS before) ÷ connections`, read from `/proc/PID/status` (`--server-pid`).
//! The process running this needs a file-descriptor limit above the connection count
//! (`ulimit -n`), and so does the broker.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::time::Instant;

use crate::conn::{self, ConnectOptions, Target};
use crate::error::LoadError;
use crate::rss;

#[derive(Debug, Clone, clap::Args)]
pub struct IdleArgs {
    /// Idle connections to open.
    #[arg(long, default_value_t = 10_000)]
    pub connections: usize,
    /// Handshakes in flight at once.
    #[arg(long, default_value_t = 200)]
    pub concurrency: usize,
    /// The broker's process id, whose RSS is read (without it only connect figures are given).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Seconds to wait after the last connection before reading the RSS again.
    #[arg(long, default_value_t = 3.0)]
    pub settle: f64,
    /// Heart-beat both ways, in ms (0 = none).
    #[arg(long, default_value_t = 10_000)]
    pub heartbeat_ms: u32,
    /// Give up on opening the connections after this many seconds.
    #[arg(long, default_value_t = 120.0)]
    pub connect_timeout: f64,
}

#[derive(Debug, Serialize)]
pub struct IdleReport {
    pub requested: usize,
    pub connected: usize,
    pub failed: usize,
    pub first_error: Option<String>,
    pub connect_secs: f64,
    pub connects_per_sec: f64,
    pub server_pid: Option<u32>,
    pub rss_before_kib: Option<u64>,
    pub rss_after_kib: Option<u64>,
    /// (after − before) ÷ connected, in KiB.
    pub kib_per_connection: Option<f64>,
    /// Sessions that were dropped by the broker while idle (before the RSS was read).
    pub dropped_while_idle: usize,
}

pub async fn run(
    target: &Target,
    opts: &ConnectOptions,
    args: &IdleArgs,
) -> Result<IdleReport, LoadError> {
    if args.concurrency == 0 {
        return Err(LoadError::Invalid("concurrency must be positive".into()));
    }
    let rss_before = args.server_pid.map(rss::rss_kib).transpose()?;
    let opts = ConnectOptions {
        heartbeat: (args.heartbeat_ms, args.heartbeat_ms),
        ..opts.clone()
    };

    let permits = Arc::new(Semaphore::new(args.concurrency));
    let (result_tx, mut result_rx) = mpsc::channel::<Result<(), String>>(args.concurrency);
    let (dropped_tx, mut dropped_rx) = mpsc::unbounded_channel::<()>();
    let (stop_tx, stop_rx) = watch::channel(false);
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.connections {
        let (permits, result_tx, dropped_tx) =
            (permits.clone(), result_tx.clone(), dropped_tx.clone());
        let (target, opts, stop) = (target.clone(), opts.clone(), stop_rx.clone());
        tasks.spawn(async move {
            let opened = {
                let Ok(_permit) = permits.acquire().await else {
                    return;
                };
                conn::connect(&target, &opts).await
            };
            let (reader, writer, session) = match opened {
                Ok(c) => c,
                Err(e) => {
                    let _ = result_tx.send(Err(e.to_string())).await;
                    return;
                }
            };
            let _ = result_tx.send(Ok(())).await;
            drop(result_tx);
            if hold(reader, writer, session, stop).await.is_err() {
                let _ = dropped_tx.send(());
            }
        });
    }
    drop(result_tx);
    drop(dropped_tx);

    let mut connected = 0;
    let mut failed = 0;
    let mut first_error = None;
    let deadline = start + Duration::from_secs_f64(args.connect_timeout);
    while connected + failed < args.connections {
        match tokio::time::timeout_at(deadline, result_rx.recv()).await {
            Ok(Some(Ok(()))) => connected += 1,
            Ok(Some(Err(e))) => {
                failed += 1;
                first_error.get_or_insert(e);
            }
            Ok(None) => break,
            Err(_) => {
                first_error.get_or_insert(format!(
                    "{} handshakes unfinished after {} s",
                    args.connections - connected - failed,
                    args.connect_timeout
                ));
                failed = args.connections - connected;
                break;
            }
        }
    }
    let connect_secs = start.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs_f64(args.settle)).await;
    let rss_after = args.server_pid.map(rss::rss_kib).transpose()?;
    let mut dropped_while_idle = 0;
    while dropped_rx.try_recv().is_ok() {
        dropped_while_idle += 1;
    }

    let _ = stop_tx.send(true);
    // Closing 10,000 sockets is quick; do not wait forever for stragglers.
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tasks.abort_all();

    let alive = connected.saturating_sub(dropped_while_idle);
    let kib_per_connection = match (rss_before, rss_after) {
        (Some(before), Some(after)) if alive > 0 => {
            Some((after as f64 - before as f64) / alive as f64)
        }
        _ => None,
    };
    Ok(IdleReport {
        requested: args.connections,
        connected,
        failed,
        first_error,
        connect_secs,
        connects_per_sec: crate::throughput::rate(connected as u64, connect_secs),
        server_pid: args.server_pid,
        rss_before_kib: rss_before,
        rss_after_kib: rss_after,
        kib_per_connection,
        dropped_while_idle,
    })
}

/// Keeps one session open: heart-beats out, whatever comes in is read and dropped.
/// `Err` when the broker closed it before `stop`.
async fn hold(
    mut reader: conn::FrameReader,
    mut writer: conn::FrameWriter,
    session: conn::Session,
    mut stop: watch::Receiver<bool>,
) -> Result<(), LoadError> {
    let mut heartbeat = crate::roles::heartbeat_timer(&session);
    loop {
        tokio::select! {
            frame = reader.next() => { frame?; }
            () = crate::roles::tick(&mut heartbeat) => writer.heartbeat().await?,
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return Ok(());
                }
            }
        }
    }
}
