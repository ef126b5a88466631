//! Metrics and health: a Prometheus text endpoint (`/metrics`) and a health check (`/healthz`)
//! on a listener of their own, off unless `metrics` (or `--metrics`) gives it an address.
//!
//! - [`counters`]: the counters sessions bump (relaxed atomics, batched per session).
//! - [`exporter`]: the exposition, with broker and relay state read at scrape time.
//! - [`endpoint`]: the HTTP routes and the health check.
//!
//! The series are listed, with types, labels and meaning, in `docs/METRICS.md`.

pub mod counters;
pub mod endpoint;
pub mod exporter;

pub use counters::{Metrics, Tally, TransportMetrics};
pub use endpoint::Health;
pub use exporter::Exporter;
