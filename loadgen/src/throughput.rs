//! Throughput: N publishers send 100-byte messages to one topic as fast as the broker takes
//! them, M subscribers count what arrives.
//!
//! Closed loop by default: a publisher stays at most `--window` messages ahead of the slowest
//! subscriber, so the figure is the rate a broker sustains without queueing without bound. That
//! matters because brokers treat an ever-growing backlog differently: RabbitMQ throttles the
//! publisher (flow control) while stomp-server, like Spring, drops a subscriber whose outbound
//! buffer overflows. `--window 0` is open loop (publish regardless).
//!
//! - *published/s*: messages the broker accepted ÷ time until it answered the RECEIPT on each
//!   publisher's last message (a broker handles a connection's frames in order, so that receipt
//!   means every earlier SEND was taken).
//! - *deliveries/s*: MESSAGE frames received by all subscribers ÷ time from the start until the
//!   last one arrived.
//!
//! Bounded: publishing stops at `--duration` or `--max-messages`, whichever comes first;
//! a subscriber gives up after `--drain-timeout` seconds without a message, and the whole run
//! after `--max-secs`. A broker that queues faster than it delivers (RabbitMQ under flow control)
//! keeps delivering after publishing ends: the subscribers wait for all of it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use stomp_wasm::{Command, Frame};
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

use crate::conn::{self, ConnectOptions, FrameReader, FrameWriter, Target};
use crate::error::LoadError;
use crate::roles::{self, Subscriber};

#[derive(Debug, Clone, clap::Args)]
pub struct ThroughputArgs {
    /// Publishing connections.
    #[arg(long, default_value_t = 1)]
    pub publishers: usize,
    /// Subscribing connections, all on the same topic (1 = 1→1, 10 = 1→10 fan-out).
    #[arg(long, default_value_t = 1)]
    pub subscribers: usize,
    /// Stop publishing after this many seconds.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Stop publishing after this many messages in all.
    #[arg(long, default_value_t = 2_000_000)]
    pub max_messages: u64,
    /// Body size in bytes.
    #[arg(long, default_value_t = 100)]
    pub body_size: usize,
    /// Frames written per flush by each publisher.
    #[arg(long, default_value_t = 64)]
    pub batch: u64,
    /// A subscriber gives up when no message has come for this many seconds.
    #[arg(long, default_value_t = 15.0)]
    pub drain_timeout: f64,
    /// Most messages a publisher may be ahead of the slowest subscriber (0 = no limit).
    /// The default keeps each subscriber's backlog near 250 KB of frames.
    #[arg(long, default_value_t = 1000)]
    pub window: u64,
    /// Hard limit on the whole run (publishing + delivery), in seconds.
    #[arg(long, default_value_t = 180.0)]
    pub max_secs: f64,
    /// Heart-beat the subscribers send, in ms (0 = none). RabbitMQ closes a WebSocket that
    /// stays silent for 60 s, so subscribers beat; publishers never do (REFERENCE.md §5).
    #[arg(long, default_value_t = 10_000)]
    pub sub_heartbeat_ms: u32,
}

#[derive(Debug, Serialize)]
pub struct ThroughputReport {
    pub publishers: usize,
    pub subscribers: usize,
    pub body_size: usize,
    pub published: u64,
    pub publish_secs: f64,
    pub published_per_sec: f64,
    pub expected_deliveries: u64,
    pub delivered: u64,
    pub deliver_secs: f64,
    pub deliveries_per_sec: f64,
    /// Connection errors seen while running (a broker dropping a slow subscriber shows here).
    pub errors: Vec<String>,
}

/// What subscribers have received, for publishers that must not run ahead (`--window`).
struct Progress {
    /// Messages received, one counter per subscriber.
    received: Vec<AtomicU64>,
    /// Signalled by subscribers every `NOTIFY_EVERY` messages.
    advanced: Notify,
}

/// How often a subscriber wakes a publisher waiting for the window to open.
const NOTIFY_EVERY: u64 = 64;

impl Progress {
    fn slowest(&self) -> u64 {
        self.received
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .min()
            .unwrap_or(u64::MAX)
    }

    /// Waits until no subscriber is more than `window` messages behind `sent` (in total over
    /// every publisher).
    async fn wait_window(&self, sent: u64, window: u64) {
        while sent.saturating_sub(self.slowest()) > window {
            self.advanced.notified().await;
        }
    }
}

struct PublisherDone {
    sent: u64,
    accepted_at: Instant,
}

struct SubscriberDone {
    received: u64,
    last_at: Option<Instant>,
    error: Option<String>,
}

pub async fn run(
    target: &Target,
    opts: &ConnectOptions,
    args: &ThroughputArgs,
) -> Result<ThroughputReport, LoadError> {
    if args.publishers == 0 || args.batch == 0 || args.duration <= 0.0 {
        return Err(LoadError::Invalid(
            "publishers, batch and duration must be positive".into(),
        ));
    }
    let destination = roles::fresh_topic("throughput");
    let sub_opts = ConnectOptions {
        heartbeat: (args.sub_heartbeat_ms, 0),
        ..opts.clone()
    };
    let pub_opts = ConnectOptions {
        heartbeat: (0, 0),
        ..opts.clone()
    };

    let mut subscribers = Vec::with_capacity(args.subscribers);
    for i in 0..args.subscribers {
        subscribers
            .push(roles::subscribe(target, &sub_opts, &destination, &format!("t{i}")).await?);
    }
    let mut publishers = Vec::with_capacity(args.publishers);
    for _ in 0..args.publishers {
        let (reader, writer, _) = conn::connect(target, &pub_opts).await?;
        publishers.push((reader, writer));
    }

    let (expected_tx, expected_rx) = watch::channel(u64::MAX);
    let start = Instant::now();
    let publish_deadline = start + Duration::from_secs_f64(args.duration);
    let drain = Duration::from_secs_f64(args.drain_timeout);
    let hard_deadline = start + Duration::from_secs_f64(args.max_secs.max(args.duration));

    let progress = Arc::new(Progress {
        received: (0..args.subscribers).map(|_| AtomicU64::new(0)).collect(),
        advanced: Notify::new(),
    });
    let sub_tasks: Vec<_> = subscribers
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let expected = expected_rx.clone();
            let progress = progress.clone();
            tokio::spawn(count_messages(
                s,
                i,
                progress,
                expected,
                drain,
                hard_deadline,
            ))
        })
        .collect();

    let body = roles::body(args.body_size);
    let quota = (args.max_messages / args.publishers as u64).max(1);
    // Shared by all publishers: the window counts every publisher's messages.
    let window =
        (args.window > 0).then(|| (progress.clone(), args.window, Arc::new(AtomicU64::new(0))));
    let pub_tasks: Vec<_> = publishers
        .into_iter()
        .enumerate()
        .map(|(i, (reader, writer))| {
            let frame = Frame::new(Command::Send)
                .header("destination", destination.clone())
                .header("content-type", "text/plain")
                .body(body.clone());
            let batch = args.batch;
            tokio::spawn(publish(
                reader,
                writer,
                frame,
                i,
                quota,
                batch,
                publish_deadline,
                window.clone(),
            ))
        })
        .collect();

    let mut errors = Vec::new();
    let mut published = 0;
    let mut accepted_at = start;
    for task in pub_tasks {
        let Ok(joined) = tokio::time::timeout_at(hard_deadline, task).await else {
            errors.push("publisher did not finish before --max-secs".into());
            continue;
        };
        match joined {
            Ok(Ok(done)) => {
                published += done.sent;
                accepted_at = accepted_at.max(done.accepted_at);
            }
            Ok(Err(e)) => errors.push(format!("publisher: {e}")),
            Err(e) => errors.push(format!("publisher task: {e}")),
        }
    }
    // Every subscriber is on the one topic: each should get every message.
    let _ = expected_tx.send(published);

    let mut delivered = 0;
    let mut last_at = start;
    for task in sub_tasks {
        let done = tokio::time::timeout_at(hard_deadline + Duration::from_secs(2), task).await;
        match done {
            Ok(Ok(done)) => {
                delivered += done.received;
                if let Some(t) = done.last_at {
                    last_at = last_at.max(t);
                }
                if let Some(e) = done.error {
                    errors.push(format!("subscriber: {e}"));
                }
            }
            Ok(Err(e)) => errors.push(format!("subscriber task: {e}")),
            Err(_) => errors.push("subscriber did not finish".into()),
        }
    }
    drop(expected_tx);

    let publish_secs = (accepted_at - start).as_secs_f64();
    let deliver_secs = (last_at - start).as_secs_f64();
    Ok(ThroughputReport {
        publishers: args.publishers,
        subscribers: args.subscribers,
        body_size: args.body_size,
        published,
        publish_secs,
        published_per_sec: rate(published, publish_secs),
        expected_deliveries: published * args.subscribers as u64,
        delivered,
        deliver_secs,
        deliveries_per_sec: rate(delivered, deliver_secs),
        errors,
    })
}

pub fn rate(count: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        count as f64 / secs
    } else {
        0.0
    }
}

/// The window shared by all publishers: subscriber progress, its size, messages sent in all.
type Window = Option<(Arc<Progress>, u64, Arc<AtomicU64>)>;

/// Sends `frame` in batches until the quota or the deadline; the last one asks for a receipt.
#[allow(clippy::too_many_arguments)]
async fn publish(
    mut reader: FrameReader,
    mut writer: FrameWriter,
    frame: Frame,
    index: usize,
    quota: u64,
    batch: u64,
    deadline: Instant,
    window: Window,
) -> Result<PublisherDone, LoadError> {
    let mut sent = 0;
    // Keep one message back for the receipt.
    while sent + 1 < quota && Instant::now() < deadline {
        let n = batch.min(quota - 1 - sent);
        if let Some((progress, size, total)) = &window {
            let all = total.fetch_add(n, Ordering::Relaxed) + n;
            tokio::select! {
                () = progress.wait_window(all, *size) => {}
                () = tokio::time::sleep_until(deadline) => break,
            }
        }
        for _ in 0..n {
            writer.feed(&frame).await?;
        }
        writer.flush().await?;
        sent += n;
    }
    let receipt = format!("published-{index}");
    writer
        .feed(&frame.clone().header("receipt", receipt.clone()))
        .await?;
    writer.flush().await?;
    sent += 1;
    reader.until_receipt(&receipt).await?;
    Ok(PublisherDone {
        sent,
        accepted_at: Instant::now(),
    })
}

/// Counts MESSAGE frames until the expected number (known once publishing ends), a silence of
/// `drain`, or the hard deadline.
async fn count_messages(
    mut sub: Subscriber,
    index: usize,
    progress: Arc<Progress>,
    mut expected: watch::Receiver<u64>,
    drain: Duration,
    hard_deadline: Instant,
) -> SubscriberDone {
    let mut received = 0;
    let mut last_at = None;
    let mut last_activity = Instant::now();
    let mut check = tokio::time::interval(Duration::from_secs(1));
    let mut heartbeat = roles::heartbeat_timer(&sub.session);
    let mut watching = true;
    let error = loop {
        if received >= *expected.borrow() {
            break None;
        }
        tokio::select! {
            frame = sub.reader.next() => match frame {
                Ok(f) if f.command == Command::Message => {
                    received += 1;
                    last_at = Some(Instant::now());
                    if received % NOTIFY_EVERY == 0 {
                        if let Some(c) = progress.received.get(index) {
                            c.store(received, Ordering::Relaxed);
                        }
                        progress.advanced.notify_one();
                    }
                }
                Ok(f) if f.command == Command::Error => break Some(conn::refused(&f).to_string()),
                Ok(_) => {}
                Err(e) => break Some(e.to_string()),
            },
            changed = expected.changed(), if watching => {
                // The sender is only dropped after every subscriber is done or abandoned.
                watching = changed.is_ok();
            }
            () = roles::tick(&mut heartbeat) => {
                if let Err(e) = sub.writer.heartbeat().await {
                    break Some(e.to_string());
                }
            }
            now = check.tick() => {
                if let Some(t) = last_at {
                    last_activity = t;
                }
                if now - last_activity > drain || now > hard_deadline {
                    break Some(format!(
                        "gave up after {received} messages (expected {})",
                        *expected.borrow()
                    ));
                }
            }
        }
    };
    // Gone or done: this subscriber no longer holds the publishers back.
    if let Some(c) = progress.received.get(index) {
        c.store(u64::MAX, Ordering::Relaxed);
    }
    progress.advanced.notify_waiters();
    progress.advanced.notify_one();
    SubscriberDone {
        received,
        last_at,
        error,
    }
}
