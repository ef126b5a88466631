//! Sharding of the broker's registries by destination, and the lock every shard is taken with.
//! Below the registries (`topic`, `queue`) that use them, so the broker's files import one way.

use std::sync::{Mutex, MutexGuard};

/// Shards per registry: enough to spread two cores' worth of publishers.
pub(crate) const SHARDS: usize = 16;

pub(crate) fn shard_of(destination: &str) -> usize {
    // FNV-1a: cheap and good enough to spread destination names.
    let mut h: u32 = 0x811c_9dc5;
    for b in destination.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h as usize % SHARDS
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Critical sections are plain collection updates: a poisoned lock's data is still sound.
    m.lock().unwrap_or_else(|e| e.into_inner())
}
