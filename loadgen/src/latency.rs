//! Latency at a fixed rate: one publisher sends 100-byte messages at `--rate` msg/s, one
//! subscriber measures publish→delivery time.
//!
//! Each SEND carries `x-ts`, the nanoseconds since the run began, taken just before the frame is
//! encoded; the subscriber (same process, same clock) subtracts it from the arrival time.
//! Pacing works in ticks of tokio's timer (1 ms): at each tick the publisher sends every message
//! whose scheduled time has come, then flushes, so 10,000 msg/s goes out as ~10 per millisecond.
//! Messages sent during `--warmup` are received but not recorded.
//! Publisher and subscriber share one thread by default (see `runtime_for` in main.rs), so the
//! harness adds no thread hand-offs of its own to the measured path.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;
use stomp_wasm::{Command, Frame};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::conn::{self, ConnectOptions, FrameReader, FrameWriter, Target};
use crate::error::LoadError;
use crate::roles::{self, Subscriber};

#[derive(Debug, Clone, clap::Args)]
pub struct LatencyArgs {
    /// Messages per second.
    #[arg(long, default_value_t = 2_000)]
    pub rate: u32,
    /// Seconds of publishing (warm-up included).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds at the start that are not recorded.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Body size in bytes.
    #[arg(long, default_value_t = 100)]
    pub body_size: usize,
    /// How long the subscriber waits for the rest once publishing has ended, in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub drain_timeout: f64,
    /// Heart-beat the subscriber sends, in ms (0 = none).
    #[arg(long, default_value_t = 10_000)]
    pub sub_heartbeat_ms: u32,
}

#[derive(Debug, Serialize)]
pub struct LatencyReport {
    pub rate: u32,
    pub body_size: usize,
    pub sent: u64,
    pub received: u64,
    /// Messages recorded (after the warm-up).
    pub measured: u64,
    pub achieved_rate: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    pub errors: Vec<String>,
}

pub async fn run(
    target: &Target,
    opts: &ConnectOptions,
    args: &LatencyArgs,
) -> Result<LatencyReport, LoadError> {
    if args.rate == 0 || args.duration <= args.warmup {
        return Err(LoadError::Invalid(
            "rate must be positive and duration longer than warmup".into(),
        ));
    }
    let destination = roles::fresh_topic("latency");
    let sub_opts = ConnectOptions {
        heartbeat: (args.sub_heartbeat_ms, 0),
        ..opts.clone()
    };
    let pub_opts = ConnectOptions {
        heartbeat: (0, 0),
        ..opts.clone()
    };
    let subscriber = roles::subscribe(target, &sub_opts, &destination, "lat").await?;
    let (pub_reader, pub_writer, _) = conn::connect(target, &pub_opts).await?;

    let base = Instant::now();
    let warmup_ns = Duration::from_secs_f64(args.warmup).as_nanos() as u64;
    let total = (f64::from(args.rate) * args.duration).round() as u64;
    let (expected_tx, expected_rx) = watch::channel(u64::MAX);
    let deadline = base
        + Duration::from_secs_f64(args.duration)
        + Duration::from_secs_f64(args.drain_timeout) * 2;
    // 1 ns .. 60 s, 3 significant digits.
    let histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3)
        .map_err(|e| LoadError::Invalid(format!("histogram: {e}")))?;
    let sub_task = tokio::spawn(measure(
        subscriber,
        histogram,
        base,
        warmup_ns,
        expected_rx,
        deadline,
    ));

    let frame = Frame::new(Command::Send)
        .header("destination", destination)
        .header("content-type", "text/plain")
        .body(roles::body(args.body_size));
    let mut errors = Vec::new();
    let publishing = paced(pub_reader, pub_writer, frame, base, args.rate, total);
    let (sent, publish_secs) = match tokio::time::timeout_at(deadline, publishing).await {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => {
            errors.push(format!("publisher: {e}"));
            (0, 0.0)
        }
        Err(_) => {
            errors.push("publisher did not finish in time".into());
            (0, 0.0)
        }
    };
    let _ = expected_tx.send(sent);

    let measured = match tokio::time::timeout_at(deadline + Duration::from_secs(1), sub_task).await
    {
        Ok(Ok(m)) => m,
        Ok(Err(e)) => return Err(LoadError::Invalid(format!("subscriber task: {e}"))),
        Err(_) => return Err(LoadError::Timeout("subscriber did not finish".into())),
    };
    if let Some(e) = measured.error {
        errors.push(format!("subscriber: {e}"));
    }
    let h = &measured.histogram;
    let ms = |ns: u64| ns as f64 / 1e6;
    Ok(LatencyReport {
        rate: args.rate,
        body_size: args.body_size,
        sent,
        received: measured.received,
        measured: h.len(),
        achieved_rate: crate::throughput::rate(sent, publish_secs),
        p50_ms: ms(h.value_at_quantile(0.50)),
        p90_ms: ms(h.value_at_quantile(0.90)),
        p99_ms: ms(h.value_at_quantile(0.99)),
        p999_ms: ms(h.value_at_quantile(0.999)),
        max_ms: ms(h.max()),
        mean_ms: h.mean() / 1e6,
        errors,
    })
}

/// Sends `total` copies of `frame` at `rate` per second, each stamped with `x-ts`. Returns the
/// count sent and the seconds it took.
async fn paced(
    mut reader: FrameReader,
    mut writer: FrameWriter,
    frame: Frame,
    base: Instant,
    rate: u32,
    total: u64,
) -> Result<(u64, f64), LoadError> {
    let rate = f64::from(rate);
    let mut sent = 0u64;
    while sent < total {
        let due = ((base.elapsed().as_secs_f64() * rate) as u64 + 1).min(total);
        while sent < due {
            let ts = base.elapsed().as_nanos() as u64;
            let mut stamped = frame.clone().header("x-ts", ts.to_string());
            if sent + 1 == total {
                stamped = stamped.header("receipt", "latency-done");
            }
            writer.feed(&stamped).await?;
            sent += 1;
        }
        writer.flush().await?;
        if sent < total {
            let next = base + Duration::from_secs_f64(sent as f64 / rate);
            tokio::time::sleep_until(next).await;
        }
    }
    let secs = base.elapsed().as_secs_f64();
    reader.until_receipt("latency-done").await?;
    Ok((sent, secs))
}

struct Measured {
    histogram: Histogram<u64>,
    received: u64,
    error: Option<String>,
}

async fn measure(
    mut sub: Subscriber,
    mut histogram: Histogram<u64>,
    base: Instant,
    warmup_ns: u64,
    mut expected: watch::Receiver<u64>,
    deadline: Instant,
) -> Measured {
    let mut received = 0;
    let mut heartbeat = roles::heartbeat_timer(&sub.session);
    let mut watching = true;
    let error = loop {
        if received >= *expected.borrow() {
            break None;
        }
        tokio::select! {
            frame = sub.reader.next() => match frame {
                Ok(f) if f.command == Command::Message => {
                    let now = base.elapsed().as_nanos() as u64;
                    received += 1;
                    match f.get("x-ts").and_then(|v| v.parse::<u64>().ok()) {
                        Some(ts) if ts >= warmup_ns => histogram.saturating_record(now.saturating_sub(ts)),
                        Some(_) => {}
                        None => break Some("MESSAGE without an x-ts header".into()),
                    }
                }
                Ok(f) if f.command == Command::Error => break Some(conn::refused(&f).to_string()),
                Ok(_) => {}
                Err(e) => break Some(e.to_string()),
            },
            changed = expected.changed(), if watching => watching = changed.is_ok(),
            () = roles::tick(&mut heartbeat) => {
                if let Err(e) = sub.writer.heartbeat().await {
                    break Some(e.to_string());
                }
            }
            () = tokio::time::sleep_until(deadline) => {
                break Some(format!("gave up after {received} messages"));
            }
        }
    };
    Measured {
        histogram,
        received,
        error,
    }
}
