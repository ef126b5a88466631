//! [`Keyed`]: a small map by string key, kept in a `Vec`.
//!
//! A client holds a handful of subscriptions and watched receipts; a linear scan over a few
//! entries is as fast as hashing, and leaving `HashMap` out of the Wasm binary saves its hasher
//! and table code (several KB).

pub(crate) struct Keyed<V> {
    entries: Vec<(String, V)>,
}

impl<V> Default for Keyed<V> {
    fn default() -> Keyed<V> {
        Keyed {
            entries: Vec::new(),
        }
    }
}

impl<V> Keyed<V> {
    /// Sets `key` to `value`, replacing an earlier value.
    pub(crate) fn insert(&mut self, key: String, value: V) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&V> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(crate) fn remove(&mut self, key: &str) -> Option<V> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.swap_remove(i).1)
    }

    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.entries.retain(|(k, _)| keep(k));
    }
}
