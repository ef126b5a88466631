//! Monitoring: a Prometheus text endpoint (`/metrics`) and a health check (`/healthz`) on a
//! listener of their own, off unless `metrics` (or `--metrics`) gives it an address. Only
//! `server.rs` uses this folder: it reads the counters ([`crate::metrics`]) and the broker's and
//! relay's state at scrape time.
//!
//! - [`exporter`]: the exposition, with broker and relay state read at scrape time.
//! - [`endpoint`]: the HTTP routes and the health check.
//!
//! The series are listed, with types, labels and meaning, in `docs/METRICS.md`.

pub mod endpoint;
pub mod exporter;

pub use endpoint::Health;
pub use exporter::Exporter;
