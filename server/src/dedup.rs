//! [`SendDedup`]: a SEND the broker already took is not delivered again when a client re-sends
//! it, recognised by the id stomp-wasm's offline queue stamps on it (`x-stomp-wasm-id`).
//!
//! Why: a client that keeps a publish until its RECEIPT arrives (stomp-wasm's `offlineQueue`)
//! re-sends it after a reconnect when the connection died between the broker taking it and the
//! RECEIPT arriving. Without this, subscribers would get that message twice; with it, the
//! re-sent frame is answered (its RECEIPT) and dropped, so nothing is lost and nothing doubled.
//!
//! Ids are client-chosen, so a hostile client must not be able to suppress another's messages
//! by sending their ids first: an id is remembered per *principal* — the login when the session
//! authenticated, else the client's address — and only a SEND from the same principal matches.
//!
//! Bounded: an id is remembered for `dedup.window_ms`; a principal holds at most
//! `dedup.max_ids_per_client` ids (its oldest is forgotten first); all principals together hold
//! at most `dedup.max_ids` (when full, new ids are not remembered until old ones expire). A
//! forgotten id costs at worst a duplicate (at-least-once), never a loss.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The header the client's offline queue stamps on a SEND: the same value on every re-send.
pub use stomp_wasm::client::OFFLINE_ID_HEADER;

/// Ids longer than this are not remembered (they are the client's counter with a short prefix;
/// a longer one is not ours and would only cost memory).
pub const MAX_ID_LEN: usize = 128;

/// Who sent a frame, for [`SendDedup`]: the login, else the address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    Login(Arc<str>),
    Address(IpAddr),
}

/// What [`SendDedup::admit`] decided about a SEND.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// Deliver it; the id is now remembered. If the delivery fails, call [`SendDedup::forget`]
    /// so that a re-send is delivered.
    New,
    /// Already taken from this principal: answer its receipt, deliver nothing.
    Duplicate,
    /// Deliver it, remembering nothing: no id, an id too long, or the table is full.
    Untracked,
}

/// See the [module docs](self).
#[derive(Debug)]
pub struct SendDedup {
    window: Duration,
    max_ids: usize,
    max_per_principal: usize,
    table: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    principals: HashMap<Principal, Ids>,
    total: usize,
    /// When the table was last swept for expired ids because it was full (a full table is swept
    /// at most once per tenth of the window, so a flood cannot make every SEND walk it).
    swept: Option<Instant>,
}

/// One principal's ids, oldest first.
#[derive(Debug, Default)]
struct Ids {
    seen: HashSet<Box<str>>,
    order: VecDeque<(Instant, Box<str>)>,
}

impl Ids {
    /// Forgets ids older than `cutoff`; returns how many.
    fn expire(&mut self, cutoff: Instant) -> usize {
        let mut n = 0;
        while let Some((at, _)) = self.order.front() {
            if *at > cutoff {
                break;
            }
            if let Some((_, id)) = self.order.pop_front() {
                self.seen.remove(&id);
                n += 1;
            }
        }
        n
    }

    fn pop_oldest(&mut self) -> bool {
        match self.order.pop_front() {
            Some((_, id)) => {
                self.seen.remove(&id);
                true
            }
            None => false,
        }
    }
}

impl SendDedup {
    /// `max_ids` 0 switches deduplication off.
    pub fn new(window: Duration, max_ids: usize, max_per_principal: usize) -> SendDedup {
        SendDedup {
            window,
            max_ids,
            max_per_principal: max_per_principal.min(max_ids),
            table: Mutex::new(Table::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // Plain collection updates: a poisoned lock's data is sound.
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Decides about a SEND from `principal` carrying `id` (the [`OFFLINE_ID_HEADER`] value).
    pub fn admit(&self, principal: &Principal, id: Option<&str>, now: Instant) -> Admission {
        let Some(id) = id.filter(|id| !id.is_empty() && id.len() <= MAX_ID_LEN) else {
            return Admission::Untracked;
        };
        if self.max_ids == 0 || self.max_per_principal == 0 {
            return Admission::Untracked;
        }
        let cutoff = now.checked_sub(self.window).unwrap_or(now);
        let mut table = self.lock();
        let table = &mut *table;
        if let Some(ids) = table.principals.get_mut(principal) {
            table.total -= ids.expire(cutoff);
            if ids.seen.contains(id) {
                return Admission::Duplicate;
            }
        }
        if table.total >= self.max_ids {
            let due = table
                .swept
                .is_none_or(|at| now.duration_since(at) >= self.window / 10);
            if due {
                table.swept = Some(now);
                let mut freed = 0;
                table.principals.retain(|_, ids| {
                    freed += ids.expire(cutoff);
                    !ids.order.is_empty()
                });
                table.total -= freed;
            }
            if table.total >= self.max_ids {
                return Admission::Untracked;
            }
        }
        let ids = match table.principals.entry(principal.clone()) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(Ids::default()),
        };
        if ids.order.len() >= self.max_per_principal && ids.pop_oldest() {
            table.total -= 1;
        }
        let id: Box<str> = id.into();
        ids.seen.insert(id.clone());
        ids.order.push_back((now, id));
        table.total += 1;
        Admission::New
    }

    /// Forgets an id [`admit`](Self::admit) took as new, because its delivery failed: a re-send
    /// must then be delivered.
    pub fn forget(&self, principal: &Principal, id: &str) {
        let mut table = self.lock();
        let table = &mut *table;
        if let Some(ids) = table.principals.get_mut(principal) {
            if ids.seen.remove(id) {
                ids.order.retain(|(_, seen)| &**seen != id);
                table.total -= 1;
            }
            if ids.order.is_empty() {
                table.principals.remove(principal);
            }
        }
    }

    /// Ids remembered now (all principals).
    pub fn len(&self) -> usize {
        self.lock().total
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(name: &str) -> Principal {
        Principal::Login(Arc::from(name))
    }

    #[test]
    fn a_second_send_of_an_id_from_the_same_principal_is_a_duplicate() {
        let d = SendDedup::new(Duration::from_secs(60), 100, 10);
        let t = Instant::now();
        assert_eq!(d.admit(&login("a"), Some("x-1"), t), Admission::New);
        assert_eq!(d.admit(&login("a"), Some("x-1"), t), Admission::Duplicate);
        // Another principal with the same id is someone else's message.
        assert_eq!(d.admit(&login("b"), Some("x-1"), t), Admission::New);
        let addr = Principal::Address(IpAddr::from([127, 0, 0, 2]));
        assert_eq!(d.admit(&addr, Some("x-1"), t), Admission::New);
        assert_eq!(d.admit(&login("a"), None, t), Admission::Untracked);
        let long = "x".repeat(MAX_ID_LEN + 1);
        assert_eq!(d.admit(&login("a"), Some(&long), t), Admission::Untracked);
    }

    #[test]
    fn ids_expire_with_the_window() {
        let d = SendDedup::new(Duration::from_secs(60), 100, 10);
        let t = Instant::now();
        assert_eq!(d.admit(&login("a"), Some("1"), t), Admission::New);
        let later = t + Duration::from_secs(61);
        assert_eq!(d.admit(&login("a"), Some("1"), later), Admission::New);
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn a_principal_keeps_its_newest_ids_within_its_cap() {
        let d = SendDedup::new(Duration::from_secs(60), 100, 3);
        let t = Instant::now();
        for id in ["1", "2", "3", "4"] {
            assert_eq!(d.admit(&login("a"), Some(id), t), Admission::New);
        }
        assert_eq!(d.len(), 3);
        assert_eq!(d.admit(&login("a"), Some("4"), t), Admission::Duplicate);
        // "1" was forgotten to make room: at worst a duplicate, never a loss.
        assert_eq!(d.admit(&login("a"), Some("1"), t), Admission::New);
    }

    #[test]
    fn a_full_table_remembers_nothing_new_until_ids_expire() {
        let d = SendDedup::new(Duration::from_secs(60), 2, 2);
        let t = Instant::now();
        assert_eq!(d.admit(&login("a"), Some("1"), t), Admission::New);
        assert_eq!(d.admit(&login("b"), Some("1"), t), Admission::New);
        assert_eq!(d.admit(&login("c"), Some("1"), t), Admission::Untracked);
        // The ids already taken still count as taken.
        assert_eq!(d.admit(&login("a"), Some("1"), t), Admission::Duplicate);
        let later = t + Duration::from_secs(61);
        assert_eq!(d.admit(&login("c"), Some("1"), later), Admission::New);
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn a_forgotten_id_is_delivered_again() {
        let d = SendDedup::new(Duration::from_secs(60), 100, 10);
        let t = Instant::now();
        assert_eq!(d.admit(&login("a"), Some("1"), t), Admission::New);
        d.forget(&login("a"), "1");
        assert!(d.is_empty());
        assert_eq!(d.admit(&login("a"), Some("1"), t), Admission::New);
    }

    #[test]
    fn off_when_max_ids_is_zero() {
        let d = SendDedup::new(Duration::from_secs(60), 0, 10);
        let t = Instant::now();
        assert_eq!(d.admit(&login("a"), Some("1"), t), Admission::Untracked);
        assert_eq!(d.admit(&login("a"), Some("1"), t), Admission::Untracked);
    }
}
