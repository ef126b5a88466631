//! Bounded places, in total and per client address: what keeps one client from taking every
//! connection or SockJS session the server has room for.
//!
//! A [`Places`] pool counts what is held (STOMP connections, connections that have not sent
//! CONNECT yet, SockJS sessions) in total and per address; [`Places::take`] refuses beyond
//! either bound and hands out a [`Place`] that gives itself back when dropped. The per-address
//! table only holds addresses with a place in use (an entry leaves with its last place), so it
//! never outgrows the pool's total.
//!
//! Addresses are compared as clients get them: an IPv4-mapped IPv6 address is its IPv4 address,
//! and an IPv6 address counts as its /64 prefix (the block one subscriber is usually given, so a
//! client cannot step around its limit by changing the low bits).
//!
//! Behind a reverse proxy every HTTP client has the proxy's address; [`client_address`] takes
//! the client's from `X-Forwarded-For` when, and only when, the connection comes from a proxy
//! the operator named as trusted (`limits.trusted_proxies`).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

/// The address a client is counted under (see the [module docs](self)).
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

/// The address of the client behind an HTTP connection from `peer`: `peer` itself, unless
/// `peer` is one of the `trusted` proxies; then the rightmost address of the `X-Forwarded-For`
/// values (`forwarded_for`, in header order) that is not a trusted proxy too. Addresses left
/// of that one were written by the client and prove nothing. The port of a forwarded client is
/// unknown (0).
pub fn client_address<'a>(
    peer: SocketAddr,
    forwarded_for: impl DoubleEndedIterator<Item = &'a str>,
    trusted: &[IpAddr],
) -> SocketAddr {
    let is_trusted = |ip: IpAddr| trusted.contains(&ip.to_canonical());
    if !is_trusted(peer.ip()) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for.rev().flat_map(|v| v.rsplit(',')) {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = SocketAddr::new(ip, 0);
                if !is_trusted(ip) {
                    break;
                }
            }
            // Garbage where an address should be: stop at the last address we could trust.
            Err(_) => break,
        }
    }
    client
}

/// The client behind an HTTP request that came over a connection from `peer` (`None` when the
/// server was not given connection info): [`client_address`] with its `X-Forwarded-For`.
pub fn http_client(
    peer: Option<SocketAddr>,
    headers: &axum::http::HeaderMap,
    trusted: &[IpAddr],
) -> Option<SocketAddr> {
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok());
    peer.map(|peer| client_address(peer, forwarded, trusted))
}

/// A pool refused a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{setting} ({limit}) reached")]
pub struct Refused {
    /// The client's address holds its limit (others may still be served).
    pub per_address: bool,
    /// The limit reached, and the setting that sets it.
    pub limit: usize,
    pub setting: &'static str,
}

/// The settings naming a pool's two limits (for error messages).
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub total: &'static str,
    pub per_address: &'static str,
}

struct State {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// Places bounded in total and per address. See the [module docs](self).
pub struct Places {
    max_total: usize,
    /// 0: no per-address bound.
    max_per_address: usize,
    settings: Settings,
    state: Mutex<State>,
}

impl std::fmt::Debug for Places {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Places")
            .field("in_use", &self.in_use())
            .field("max_total", &self.max_total)
            .field("max_per_address", &self.max_per_address)
            .finish()
    }
}

impl Places {
    /// A pool of `max_total` places, at most `max_per_address` of them (0: any number) for one
    /// address.
    pub fn new(max_total: usize, max_per_address: usize, settings: Settings) -> Arc<Places> {
        Arc::new(Places {
            max_total,
            max_per_address,
            settings,
            state: Mutex::new(State {
                total: 0,
                by_address: HashMap::new(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Plain counters: a panic elsewhere while holding the lock leaves them consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place for a client at `address` (`None`: unknown, counted in the total only).
    pub fn take(self: &Arc<Self>, address: Option<IpAddr>) -> Result<Place, Refused> {
        let key = address.map(address_key);
        let mut state = self.lock();
        if state.total >= self.max_total {
            return Err(Refused {
                per_address: false,
                limit: self.max_total,
                setting: self.settings.total,
            });
        }
        if let Some(key) = key {
            let held = state.by_address.entry(key).or_insert(0);
            if self.max_per_address > 0 && *held >= self.max_per_address {
                return Err(Refused {
                    per_address: true,
                    limit: self.max_per_address,
                    setting: self.settings.per_address,
                });
            }
            *held += 1;
        }
        state.total += 1;
        Ok(Place {
            places: Arc::clone(self),
            key,
        })
    }

    /// Places held now.
    pub fn in_use(&self) -> usize {
        self.lock().total
    }

    /// Addresses holding at least one place (the size of the per-address table).
    pub fn addresses(&self) -> usize {
        self.lock().by_address.len()
    }
}

/// One place of a [`Places`] pool, given back when dropped.
#[derive(Debug)]
pub struct Place {
    places: Arc<Places>,
    key: Option<IpAddr>,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut state = self.places.lock();
        state.total = state.total.saturating_sub(1);
        if let Some(key) = self.key {
            if let Some(held) = state.by_address.get_mut(&key) {
                *held = held.saturating_sub(1);
                if *held == 0 {
                    state.by_address.remove(&key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTINGS: Settings = Settings {
        total: "total",
        per_address: "per_address",
    };

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn bounds_per_address_and_in_total() {
        let pool = Places::new(3, 2, SETTINGS);
        let a1 = pool.take(ip("10.0.0.1")).unwrap();
        let _a2 = pool.take(ip("10.0.0.1")).unwrap();
        let refused = pool.take(ip("10.0.0.1")).unwrap_err();
        assert!(refused.per_address);
        assert_eq!(refused.setting, "per_address");
        let _b = pool.take(ip("10.0.0.2")).unwrap();
        let refused = pool.take(ip("10.0.0.3")).unwrap_err();
        assert!(!refused.per_address);
        assert_eq!(pool.in_use(), 3);
        drop(a1);
        assert!(pool.take(ip("10.0.0.1")).is_ok());
    }

    #[test]
    fn the_table_only_holds_addresses_in_use() {
        let pool = Places::new(100, 1, SETTINGS);
        for i in 0..50 {
            let place = pool.take(ip(&format!("10.0.1.{i}"))).unwrap();
            drop(place);
        }
        assert_eq!(pool.addresses(), 0);
        assert_eq!(pool.in_use(), 0);
        let _unknown = pool.take(None).unwrap();
        let _unknown2 = pool.take(None).unwrap();
        assert_eq!(pool.addresses(), 0);
        assert_eq!(pool.in_use(), 2);
    }

    #[test]
    fn zero_means_no_per_address_bound() {
        let pool = Places::new(5, 0, SETTINGS);
        let held: Vec<_> = (0..5).map(|_| pool.take(ip("10.0.0.1")).unwrap()).collect();
        assert!(!pool.take(ip("10.0.0.1")).unwrap_err().per_address);
        drop(held);
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let proxy: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let trusted = ["127.0.0.1".parse().unwrap(), "10.0.0.9".parse().unwrap()];
        let client = |values: &[&str], trusted: &[IpAddr]| {
            client_address(proxy, values.iter().copied(), trusted).ip()
        };
        // Not trusted (the default): the header is the client's word only.
        assert_eq!(client(&["203.0.113.7"], &[]), proxy.ip());
        assert_eq!(
            client(&["203.0.113.7"], &trusted),
            ip("203.0.113.7").unwrap()
        );
        // A client-written first entry is skipped; chained trusted proxies are walked back.
        assert_eq!(
            client(&["6.6.6.6, 203.0.113.7", "10.0.0.9"], &trusted),
            ip("203.0.113.7").unwrap()
        );
        assert_eq!(
            client(&["garbage, 203.0.113.8"], &trusted),
            ip("203.0.113.8").unwrap()
        );
        // No header: the proxy itself.
        assert_eq!(client(&[], &trusted), proxy.ip());
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let pool = Places::new(10, 1, SETTINGS);
        let _a = pool.take(ip("2001:db8:1:2::1")).unwrap();
        assert!(pool.take(ip("2001:db8:1:2::ffff")).is_err());
        assert!(pool.take(ip("2001:db8:1:3::1")).is_ok());
        let _v4 = pool.take(ip("192.0.2.1")).unwrap();
        assert!(pool.take(ip("::ffff:192.0.2.1")).is_err());
    }
}
