//! The system connection: the one broker connection a node uses for its own publishes
//! (application handler replies, error replies, scheduled pushes, `BrokerHandle::send`).
//!
//! Publishes are queued in a bounded channel ([`SystemLink::publish`] never waits); a task keeps
//! the connection open, reconnecting with exponential backoff (`relay.reconnect_initial_ms`
//! doubling up to `relay.reconnect_max_ms`), heart-beats it, and drains the queue while
//! connected. While the broker is away publishes wait in the queue (up to
//! `relay.pending_frames`, then they are refused with an error); the frame being written when
//! the connection failed is sent again after reconnecting.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stomp_wasm::{Command, Decoded, Frame, Limits, Version};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::connection::{self, BrokerReader, BrokerWriter, Heartbeats};
use super::error::RelayError;
use super::tls::BrokerTls;
use crate::broker::lock;
use crate::config::RelayConfig;
use crate::shutdown::stopped;

/// The publishing side of the system connection. See the [module docs](self).
#[derive(Debug)]
pub struct SystemLink {
    tx: mpsc::Sender<Frame>,
    rx: Mutex<Option<mpsc::Receiver<Frame>>>,
    connected: AtomicBool,
}

impl SystemLink {
    pub fn new(capacity: usize) -> SystemLink {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        SystemLink {
            tx,
            rx: Mutex::new(Some(rx)),
            connected: AtomicBool::new(false),
        }
    }

    /// Queues a SEND for the broker.
    pub fn publish(&self, frame: Frame) -> Result<(), RelayError> {
        self.tx.try_send(frame).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => RelayError::Backlog,
            mpsc::error::TrySendError::Closed(_) => RelayError::Closed,
        })
    }

    /// Publishes queued and not yet written.
    pub fn pending(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// The system connection is open now.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// Runs the connection until shutdown. Only the first call does anything.
    pub async fn run(
        &self,
        config: RelayConfig,
        tls: Option<Arc<BrokerTls>>,
        limits: Limits,
        mut stop: watch::Receiver<bool>,
    ) {
        let Some(mut rx) = lock(&self.rx).take() else {
            return;
        };
        let initial = Duration::from_millis(config.reconnect_initial_ms);
        let max = Duration::from_millis(config.reconnect_max_ms);
        let mut backoff = initial;
        let mut unsent: Option<Frame> = None;
        loop {
            let opened = tokio::select! {
                _ = stopped(&mut stop) => return,
                opened = connection::open(&config, tls.as_deref(), limits, Version::V1_2) => opened,
            };
            match opened {
                Ok((reader, writer, heartbeats)) => {
                    tracing::info!(broker = %config.broker, "relay system connection open");
                    self.connected.store(true, Ordering::Release);
                    backoff = initial;
                    let mut conn = Connection {
                        reader,
                        writer,
                        heartbeats,
                    };
                    let result = conn.pump(&mut rx, &mut unsent, &mut stop).await;
                    self.connected.store(false, Ordering::Release);
                    match result {
                        Ok(()) => {
                            let _ = conn.writer.write(&Frame::new(Command::Disconnect)).await;
                            conn.writer.shutdown().await;
                            return;
                        }
                        Err(e) => {
                            tracing::warn!(broker = %config.broker, error = %e, "relay system connection lost; reconnecting")
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(broker = %config.broker, error = %e, retry_ms = backoff.as_millis() as u64, "relay system connection failed")
                }
            }
            tokio::select! {
                _ = stopped(&mut stop) => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(max);
        }
    }
}

struct Connection {
    reader: BrokerReader,
    writer: BrokerWriter,
    heartbeats: Heartbeats,
}

impl Connection {
    /// Writes queued publishes until shutdown (`Ok`) or failure.
    async fn pump(
        &mut self,
        rx: &mut mpsc::Receiver<Frame>,
        unsent: &mut Option<Frame>,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<(), RelayError> {
        if let Some(frame) = unsent.take() {
            self.write(frame, unsent).await?;
        }
        let mut last_read = Instant::now();
        let mut last_write = Instant::now();
        loop {
            let deadline = self.heartbeats.next_deadline(last_read, last_write);
            tokio::select! {
                _ = stopped(stop) => return Ok(()),
                frame = rx.recv() => {
                    let Some(frame) = frame else { return Ok(()) };
                    self.write(frame, unsent).await?;
                    last_write = Instant::now();
                }
                decoded = self.reader.next() => {
                    last_read = Instant::now();
                    match decoded? {
                        Decoded::Frame(f) if f.command == Command::Error => {
                            return Err(RelayError::Refused(
                                f.get("message").unwrap_or("ERROR").to_owned(),
                            ));
                        }
                        _ => {}
                    }
                }
                _ = sleep_until(deadline) => {
                    let now = Instant::now();
                    if self.heartbeats.receive.is_some_and(|d| now >= last_read + d * 3) {
                        return Err(RelayError::Protocol("broker heart-beats stopped".into()));
                    }
                    if self.heartbeats.send.is_some_and(|d| now >= last_write + d) {
                        self.writer.heartbeat().await?;
                        last_write = now;
                    }
                }
            }
        }
    }

    async fn write(&mut self, frame: Frame, unsent: &mut Option<Frame>) -> Result<(), RelayError> {
        match self.writer.write(&frame).await {
            Ok(()) => Ok(()),
            Err(e) => {
                *unsent = Some(frame);
                Err(e)
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
