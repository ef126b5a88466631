//! Time as the sans-IO state machines take it (the client session, the SockJS connection): a file
//! below both, so neither folder imports the other for it.

/// Milliseconds on the caller's monotonic clock (`performance.now()` in a browser). Only
/// differences between two values are meaningful.
pub type Millis = f64;
