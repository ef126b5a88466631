//! The outgoing queues (actions, events) of the SockJS connection: first in, first out. (The
//! client session writes its own as records, [`records`](crate::client::records).)
//!
//! A `Vec` read from a moving head and emptied once drained, which is how the shell uses them
//! (everything queued by one input is polled before the next). `VecDeque`'s ring logic cost the
//! browser build a kilobyte per element type (docs/CLIENT-SIZE-PLAN.md).

use crate::prelude::*;

#[derive(Debug)]
pub(crate) struct Fifo<T> {
    items: Vec<Option<T>>,
    head: usize,
}

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Fifo {
            items: Vec::new(),
            head: 0,
        }
    }
}

impl<T> Fifo<T> {
    pub(crate) fn push_back(&mut self, item: T) {
        self.items.push(Some(item));
    }

    pub(crate) fn pop_front(&mut self) -> Option<T> {
        let item = self.items.get_mut(self.head).and_then(Option::take);
        self.head += 1;
        if self.head >= self.items.len() {
            self.items.clear();
            self.head = 0;
        }
        item
    }
}

#[cfg(test)]
mod tests {
    use super::Fifo;

    #[test]
    fn first_in_first_out_across_refills() {
        let mut q = Fifo::default();
        assert_eq!(q.pop_front(), None::<u32>);
        q.push_back(1);
        q.push_back(2);
        assert_eq!(q.pop_front(), Some(1));
        q.push_back(3);
        assert_eq!(q.pop_front(), Some(2));
        assert_eq!(q.pop_front(), Some(3));
        assert_eq!(q.pop_front(), None);
        q.push_back(5);
        assert_eq!(q.pop_front(), Some(5));
        assert_eq!(q.pop_front(), None);
    }
}
