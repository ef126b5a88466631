//! The open-file limit (`RLIMIT_NOFILE`) against `limits.max_connections`.
//!
//! Every connection is a file descriptor (two in relay mode: the client's and its broker
//! connection). The common soft limit is 1,024 while `max_connections` defaults to 10,000: out
//! of descriptors, `accept` fails and clients the kernel already accepted are never served. So
//! the binary raises the soft limit to the hard one at start ([`raise`]), and the server warns
//! when `max_connections` cannot be reached within the limit ([`check`]).

use crate::config::Config;

/// Descriptors kept for listeners, log and static files, the relay's system connection, and
/// connections between accept and admission.
const RESERVED: u64 = 64;

/// Raises the soft open-file limit to the hard limit; returns the soft limit now in force
/// (`None` where there is no such limit or it cannot be read).
pub fn raise() -> Option<u64> {
    imp::raise()
}

/// The soft open-file limit in force.
pub fn current() -> Option<u64> {
    imp::current()
}

/// The number of connections `limit` descriptors allow with `config`.
pub fn connections_allowed(limit: u64, config: &Config) -> u64 {
    let per_connection = if config.relay.enabled { 2 } else { 1 };
    limit.saturating_sub(RESERVED) / per_connection
}

/// Warns (naming both numbers) when `limits.max_connections` is more than the open-file limit
/// allows.
pub fn check(config: &Config) {
    let Some(limit) = current() else { return };
    let allowed = connections_allowed(limit, config);
    let max = config.limits.max_connections as u64;
    if max > allowed {
        tracing::warn!(
            max_connections = max,
            open_file_limit = limit,
            allowed,
            "limits.max_connections is {max} but the open-file limit of {limit} allows about \
             {allowed} connections: raise the limit (ulimit -n, systemd LimitNOFILE=) or lower \
             limits.max_connections"
        );
    }
}

#[cfg(unix)]
mod imp {
    fn get() -> Option<libc::rlimit> {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes one rlimit through a valid pointer.
        let read = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
        (read == 0).then_some(limit)
    }

    // rlim_t is u64 on Linux but not on every unix.
    #[allow(clippy::unnecessary_cast)]
    fn as_u64(value: libc::rlim_t) -> u64 {
        if value == libc::RLIM_INFINITY {
            u64::MAX
        } else {
            value as u64
        }
    }

    pub fn current() -> Option<u64> {
        get().map(|l| as_u64(l.rlim_cur))
    }

    pub fn raise() -> Option<u64> {
        let mut limit = get()?;
        if limit.rlim_cur != limit.rlim_max {
            let before = limit.rlim_cur;
            limit.rlim_cur = limit.rlim_max;
            // SAFETY: setrlimit reads one rlimit through a valid pointer.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } == 0 {
                tracing::debug!(
                    from = as_u64(before),
                    to = as_u64(limit.rlim_cur),
                    "raised the open-file limit"
                );
            } else {
                // macOS refuses an unlimited hard limit as the soft one; what stays is fine.
                tracing::debug!(
                    error = %std::io::Error::last_os_error(),
                    "cannot raise the open-file limit"
                );
            }
        }
        current()
    }
}

#[cfg(not(unix))]
mod imp {
    pub fn current() -> Option<u64> {
        None
    }

    pub fn raise() -> Option<u64> {
        None
    }
}
