//! The shutdown signal: a `watch` channel that becomes `true` once, when the server stops.
//! Every long-running task (accept loops, sessions, the relay's connections, scheduled tasks)
//! holds a receiver and ends when it fires.

use tokio::sync::watch;

/// Completes once the shutdown signal is set (or its sender is gone).
pub(crate) async fn stopped(signal: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is dropped here, so callers' futures stay `Send`.
    let _ = signal.wait_for(|stop| *stop).await;
}
