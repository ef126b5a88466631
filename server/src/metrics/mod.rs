//! Metrics: the counters sessions, transports, the broker's outboxes and the relay bump
//! (relaxed atomics, batched per session). They sit below everything that counts; the
//! `/metrics` exposition and `/healthz` that read them live in [`crate::monitor`], above the
//! broker and the relay whose state they also read.
//!
//! The series are listed, with types, labels and meaning, in `docs/METRICS.md`.

pub mod counters;

pub use counters::{Metrics, Tally, TransportMetrics};
