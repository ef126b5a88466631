//! Building blocks shared by the scenarios: a subscribed connection, heart-beat ticks, bodies
//! and destination names.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use stomp_wasm::{Command, Frame};
use tokio::time::{Interval, MissedTickBehavior};

use crate::conn::{self, ConnectOptions, FrameReader, FrameWriter, Session, Target};
use crate::error::LoadError;

/// A connection with one live subscription (its SUBSCRIBE was answered by a RECEIPT).
pub struct Subscriber {
    pub reader: FrameReader,
    pub writer: FrameWriter,
    pub session: Session,
}

/// Connects and subscribes `id` to `destination` (auto ack), waiting for the receipt so no
/// message published afterwards can be missed.
pub async fn subscribe(
    target: &Target,
    opts: &ConnectOptions,
    destination: &str,
    id: &str,
) -> Result<Subscriber, LoadError> {
    let (mut reader, mut writer, session) = conn::connect(target, opts).await?;
    let receipt = format!("sub-{id}");
    let frame = Frame::new(Command::Subscribe)
        .header("destination", destination.to_owned())
        .header("id", id.to_owned())
        .header("ack", "auto")
        .header("receipt", receipt.clone());
    writer.feed(&frame).await?;
    writer.flush().await?;
    reader.until_receipt(&receipt).await?;
    Ok(Subscriber {
        reader,
        writer,
        session,
    })
}

/// A heart-beat timer when the session needs one.
pub fn heartbeat_timer(session: &Session) -> Option<Interval> {
    session.send_heartbeat_every.map(|every| {
        let mut timer = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
        timer
    })
}

/// Completes at the next tick, or never when there is no timer (for `select!`).
pub async fn tick(timer: &mut Option<Interval>) {
    match timer {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// A body of `size` printable bytes.
pub fn body(size: usize) -> Bytes {
    Bytes::from(
        (0..size)
            .map(|i| b'a' + (i % 26) as u8)
            .collect::<Vec<u8>>(),
    )
}

/// A topic no earlier run used, so leftovers of one run never reach the next.
pub fn fresh_topic(scenario: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_nanos();
    format!("/topic/loadgen-{scenario}-{}-{nanos:x}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_the_requested_size() {
        assert_eq!(body(100).len(), 100);
        assert!(body(100).iter().all(u8::is_ascii_lowercase));
    }

    #[test]
    fn topics_differ() {
        assert_ne!(fresh_topic("a"), fresh_topic("a"));
        assert!(fresh_topic("x").starts_with("/topic/loadgen-x-"));
    }
}
