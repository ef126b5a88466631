//! Heart-beat negotiation and timing for one session.

use std::time::Duration;

use tokio::time::Instant;

use crate::config::Heartbeat;

/// Parses CONNECT's `heart-beat:cx,cy`.
pub fn parse(header: Option<&str>) -> Option<(u64, u64)> {
    let Some(h) = header else {
        return Some((0, 0));
    };
    let (a, b) = h.split_once(',')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// CONNECTED's `heart-beat:sx,sy` for a client's `(cx, cy)`: the client's own intervals raised
/// to the floor, so that the negotiation yields the client's rates (see [`Heartbeat`]); 0 where
/// the server is configured never to send or to ask.
pub fn answer(client: (u64, u64), config: &Heartbeat) -> (u64, u64) {
    let (cx, cy) = client;
    let side = |configured: u64, wanted: u64| match (configured, wanted) {
        (0, _) => 0,
        (configured, 0) => configured,
        (_, wanted) => wanted.max(config.min_ms),
    };
    (side(config.send_ms, cy), side(config.receive_ms, cx))
}

/// The negotiated intervals and the clocks they run against.
#[derive(Debug, Clone)]
pub struct Heartbeats {
    /// Server → client: send something at least this often.
    pub send_every: Option<Duration>,
    /// Client → server: drop the peer after this much silence (interval × tolerance).
    pub silence_limit: Option<Duration>,
}

impl Heartbeats {
    pub const OFF: Heartbeats = Heartbeats {
        send_every: None,
        silence_limit: None,
    };

    /// Negotiates from the client's `(cx, cy)` and the server's `(sx, sy)` (STOMP 1.1 §
    /// Heart-beating: each direction is the larger of the two wishes, or off when either is 0).
    pub fn negotiate(client: (u64, u64), server: (u64, u64), tolerance: u32) -> Heartbeats {
        let (cx, cy) = client;
        let (sx, sy) = server;
        let send = (sx != 0 && cy != 0).then(|| Duration::from_millis(sx.max(cy)));
        let receive = (cx != 0 && sy != 0).then(|| Duration::from_millis(cx.max(sy)));
        Heartbeats {
            send_every: send,
            silence_limit: receive.map(|r| r * tolerance.max(1)),
        }
    }

    /// When the next heart-beat is due, given the last write.
    pub fn send_due(&self, last_write: Instant) -> Option<Instant> {
        self.send_every.map(|d| last_write + d)
    }

    /// When the peer counts as gone, given the last read.
    pub fn read_deadline(&self, last_read: Instant) -> Option<Instant> {
        self.silence_limit.map(|d| last_read + d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_takes_the_larger_and_zero_turns_off() {
        let h = Heartbeats::negotiate((1000, 2000), (5000, 500), 3);
        assert_eq!(h.send_every, Some(Duration::from_millis(5000)));
        assert_eq!(h.silence_limit, Some(Duration::from_millis(3000)));
        let h = Heartbeats::negotiate((0, 0), (5000, 5000), 3);
        assert_eq!(h.send_every, None);
        assert_eq!(h.silence_limit, None);
        assert_eq!(parse(Some("10,20")), Some((10, 20)));
        assert_eq!(parse(Some("x,20")), None);
        assert_eq!(parse(None), Some((0, 0)));
    }

    #[test]
    fn the_answer_makes_the_negotiation_yield_the_clients_rates_down_to_the_floor() {
        let config = Heartbeat::default();
        let negotiated = |client| {
            let h = Heartbeats::negotiate(client, answer(client, &config), 1);
            (h.silence_limit, h.send_every)
        };
        let ms = |n| Some(Duration::from_millis(n));
        assert_eq!(answer((1000, 2000), &config), (2000, 1000));
        assert_eq!(negotiated((1000, 2000)), (ms(1000), ms(2000)));
        // Slower than the configured values, and faster than the floor.
        assert_eq!(negotiated((60_000, 300)), (ms(60_000), ms(1000)));
        // A client that wants none is told the configured values; that direction stays off.
        assert_eq!(answer((0, 0), &config), (10_000, 10_000));
        assert_eq!(negotiated((0, 5000)), (None, ms(5000)));
        let off = Heartbeat {
            send_ms: 0,
            receive_ms: 0,
            ..config
        };
        assert_eq!(answer((1000, 1000), &off), (0, 0));
    }
}
