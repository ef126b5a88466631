//! Throughput: N publishers send 100-byte messages to one topic as fast as the broker takes
//! them, M subscribers count what arrives.
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

use std::time::Duration;

use serde::Serialize;
use stomp_wasm::{Command, Frame};
use tokio::sync::watch;
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

    let sub_tasks: Vec<_> = subscribers
        .into_iter()
        .map(|s| {
            let expected = expected_rx.clone();
            tokio::spawn(count_messages(s, expected, drain, hard_deadline))
        })
        .collect();

    let body = roles::body(args.body_size);
    let quota = (args.max_messages / args.publishers as u64).max(1);
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

/// Sends `frame` in batches until the quota or the deadline; the last one asks for a receipt.
async fn publish(
    mut reader: FrameReader,
    mut writer: FrameWriter,
    frame: Frame,
    index: usize,
    quota: u64,
    batch: u64,
    deadline: Instant,
) -> Result<PublisherDone, LoadError> {
    let mut sent = 0;
    // Keep one message back for the receipt.
    while sent + 1 < quota && Instant::now() < deadline {
        let n = batch.min(quota - 1 - sent);
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
    SubscriberDone {
        received,
        last_at,
        error,
    }
}
