//! Failed CONNECTs counted per remote address, so one client cannot try passwords at wire
//! speed (thousands a second before this).
//!
//! An address that failed `security.max_failed_connects` times within
//! `security.failed_connect_window_ms` has its CONNECTs refused, credentials unchecked, until
//! that window ends: a correct password is refused then too, or the refusals would tell the
//! attacker which guess was right. Successful logins do not reset the count (a client holding
//! one valid account could otherwise clear the way for guesses at others).
//!
//! The table is bounded: entries expire with their window, and at [`MAX_ADDRESSES`] the
//! longest-running window is forgotten to make room, so many addresses cost memory once.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Addresses tracked at once.
pub const MAX_ADDRESSES: usize = 16 * 1024;

/// See the [module docs](self).
#[derive(Debug)]
pub struct LoginThrottle {
    max_failures: u32,
    window: Duration,
    table: Mutex<HashMap<IpAddr, Failures>>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    since: Instant,
}

impl LoginThrottle {
    /// `max_failures` 0 switches throttling off.
    pub fn new(max_failures: u32, window: Duration) -> LoginThrottle {
        LoginThrottle {
            max_failures,
            window,
            table: Mutex::default(),
        }
    }

    /// How long `address` must wait before its CONNECTs are looked at again (`None`: now).
    pub fn blocked_for(&self, address: IpAddr) -> Option<Duration> {
        if self.max_failures == 0 {
            return None;
        }
        let now = Instant::now();
        let table = crate::broker::lock(&self.table);
        let f = table.get(&address)?;
        let left = self.window.checked_sub(now.duration_since(f.since))?;
        (f.count >= self.max_failures && !left.is_zero()).then_some(left)
    }

    /// Counts a failed CONNECT from `address`.
    pub fn failed(&self, address: IpAddr) {
        if self.max_failures == 0 {
            return;
        }
        let now = Instant::now();
        let mut table = crate::broker::lock(&self.table);
        if !table.contains_key(&address) && table.len() >= MAX_ADDRESSES {
            let window = self.window;
            table.retain(|_, f| now.duration_since(f.since) < window);
            if table.len() >= MAX_ADDRESSES {
                let oldest = table.iter().min_by_key(|(_, f)| f.since).map(|(a, _)| *a);
                if let Some(a) = oldest {
                    table.remove(&a);
                }
            }
        }
        let f = table.entry(address).or_insert(Failures {
            count: 0,
            since: now,
        });
        if now.duration_since(f.since) >= self.window {
            *f = Failures {
                count: 0,
                since: now,
            };
        }
        f.count = f.count.saturating_add(1);
    }

    /// Addresses currently tracked (tests, diagnostics).
    pub fn tracked(&self) -> usize {
        crate::broker::lock(&self.table).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn blocks_after_the_limit_until_the_window_ends() {
        let t = LoginThrottle::new(3, Duration::from_millis(50));
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        for _ in 0..2 {
            t.failed(a);
        }
        assert_eq!(t.blocked_for(a), None);
        t.failed(a);
        assert!(t.blocked_for(a).is_some());
        assert_eq!(t.blocked_for(b), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(t.blocked_for(a), None);
    }

    #[test]
    fn the_table_stays_bounded() {
        let t = LoginThrottle::new(1, Duration::from_secs(60));
        for i in 0..(MAX_ADDRESSES as u32 + 100) {
            t.failed(IpAddr::V4(Ipv4Addr::from(i)));
        }
        assert_eq!(t.tracked(), MAX_ADDRESSES);
        // The newest are kept.
        assert!(t
            .blocked_for(IpAddr::V4(Ipv4Addr::from(MAX_ADDRESSES as u32 + 99)))
            .is_some());
    }

    #[test]
    fn zero_switches_it_off() {
        let t = LoginThrottle::new(0, Duration::from_secs(60));
        let a = IpAddr::V4(Ipv4Addr::LOCALHOST);
        for _ in 0..100 {
            t.failed(a);
        }
        assert_eq!(t.blocked_for(a), None);
        assert_eq!(t.tracked(), 0);
    }
}
