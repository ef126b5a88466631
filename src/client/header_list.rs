//! [`HeaderList`]: headers as the client keeps them, in one length-prefixed block.
//!
//! The user's headers (publish, subscribe, ack, connect…) are only ever walked in order and
//! written out, so the client keeps them as one `Vec<u8>` of `u32` name length, name, `u32`
//! value length, value (little-endian) — the layout of the browser core's request records —
//! instead of the server's `Headers` table. One allocation per list, no per-header strings.

use crate::prelude::*;

use crate::frame::Headers;

/// Headers in order, repeats kept. Made from `&str`s only, so every entry is UTF-8.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderList {
    block: Vec<u8>,
}

impl HeaderList {
    pub const fn new() -> HeaderList {
        HeaderList { block: Vec::new() }
    }

    /// Appends a header (after any of the same name).
    pub fn push(&mut self, name: impl AsRef<str>, value: impl AsRef<str>) {
        self.push_str(name.as_ref(), value.as_ref());
    }

    // Not inlined: one copy of the two writes for its half-dozen callers.
    #[inline(never)]
    fn push_str(&mut self, name: &str, value: &str) {
        // The layout of a record's byte string: its writer, which the module has anyway. Two
        // calls, not a loop over an array of the two (an array iterator in the browser core).
        crate::record::put_bytes(&mut self.block, name.as_bytes());
        crate::record::put_bytes(&mut self.block, value.as_bytes());
    }

    /// Appends the headers of `from` but those named `skip[0]` or `skip[1]` (the names a
    /// frame the session holds takes from the session, not the user): one copy of the loop
    /// for the subscriptions and the offline queue.
    pub(crate) fn push_all_but(&mut self, from: &HeaderList, skip: [&str; 2]) {
        for (name, value) in from.iter() {
            if name != skip[0] && name != skip[1] {
                self.push_str(name, value);
            }
        }
    }

    /// Gives `name` this one value: the first header of that name takes it and the others go;
    /// appended when there is none (stompjs code sets `connectHeaders.passcode` this way).
    pub fn set(&mut self, name: &str, value: &str) {
        let mut set = HeaderList::new();
        let mut found = false;
        for (n, v) in self.iter() {
            match (n == name, found) {
                (false, _) => set.push_str(n, v),
                (true, false) => set.push_str(n, value),
                (true, true) => {}
            }
            found |= n == name;
        }
        if !found {
            set.push_str(name, value);
        }
        *self = set;
    }

    /// The headers in order, as `(name, value)`.
    pub fn iter(&self) -> Iter<'_> {
        Iter(&self.block)
    }

    /// The first header named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|&(n, _)| n == name).map(|(_, v)| v)
    }

    /// Removes the first header named `name`; whether there was one.
    pub fn remove(&mut self, name: &str) -> bool {
        let len = self.block.len();
        let mut entries = self.iter();
        let (start, end) = loop {
            let start = len - entries.0.len();
            match entries.next() {
                Some((n, _)) if n == name => break (start, len - entries.0.len()),
                Some(_) => {}
                None => return false,
            }
        };
        crate::codec::move_within(&mut self.block, end..len, start);
        self.block.truncate(len - (end - start));
        true
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.block.is_empty()
    }

    /// Bytes of text: each name and value plus two (the `:` and EOL it takes on the wire).
    pub fn text_len(&self) -> usize {
        // A loop, not `map` and `sum`: no adapter instantiation of its own.
        let mut len = 0;
        for (n, v) in self.iter() {
            len += n.len() + v.len() + 2;
        }
        len
    }
}

/// The entries of a [`HeaderList`].
#[derive(Debug, Clone)]
pub struct Iter<'a>(&'a [u8]);

impl<'a> Iter<'a> {
    fn part(&mut self) -> Option<&'a str> {
        if self.0.is_empty() {
            return None;
        }
        // The block is whole (only `push_str` writes it): read by the request reader the
        // module has anyway.
        let mut r = crate::record::Reader(self.0);
        let text = r.bytes();
        self.0 = r.0;
        // SAFETY: the block is only written by `push_str`, from `&str`s, with their lengths.
        Some(unsafe { core::str::from_utf8_unchecked(text) })
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        Some((self.part()?, self.part()?))
    }
}

impl<N: AsRef<str>, V: AsRef<str>> FromIterator<(N, V)> for HeaderList {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> HeaderList {
        let mut list = HeaderList::new();
        for (name, value) in iter {
            list.push(name, value);
        }
        list
    }
}

/// The native API's headers (the session's tests) into the client's list.
impl From<Headers> for HeaderList {
    fn from(headers: Headers) -> HeaderList {
        headers.iter().collect()
    }
}

impl From<&Headers> for HeaderList {
    fn from(headers: &Headers) -> HeaderList {
        headers.iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_back_in_order_with_repeats_and_any_text() {
        let list: HeaderList = [("a", "1"), ("", ""), ("a", "é:\n\0"), ("b", "2")]
            .into_iter()
            .collect();
        let entries: Vec<_> = list.iter().collect();
        assert_eq!(entries, [("a", "1"), ("", ""), ("a", "é:\n\0"), ("b", "2")]);
        assert_eq!(list.get("a"), Some("1"));
        assert_eq!(list.get("c"), None);
        assert_eq!(list.text_len(), 4 + 2 + 8 + 4);
    }

    #[test]
    fn set_replaces_the_first_drops_the_rest_or_appends() {
        let mut list: HeaderList = [("p", "1"), ("x", "y"), ("p", "2")].into_iter().collect();
        list.set("p", "3");
        assert_eq!(list.iter().collect::<Vec<_>>(), [("p", "3"), ("x", "y")]);
        list.set("q", "4");
        assert_eq!(list.iter().last(), Some(("q", "4")));
    }

    #[test]
    fn remove_takes_out_the_first_of_a_name_only() {
        let mut list: HeaderList = [("a", "1"), ("b", ""), ("a", "2")].into_iter().collect();
        assert!(list.remove("a"));
        assert_eq!(list.iter().collect::<Vec<_>>(), [("b", ""), ("a", "2")]);
        assert!(list.remove("a"));
        assert!(!list.remove("a"));
        assert!(list.remove("b"));
        assert!(list.is_empty());
    }
}
