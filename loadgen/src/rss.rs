//! The resident memory of a process, from `/proc/PID/status` (Linux).

use crate::error::LoadError;

/// `VmRSS` of `pid`, in KiB.
pub fn rss_kib(pid: u32) -> Result<u64, LoadError> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(|e| LoadError::Rss {
        pid,
        reason: e.to_string(),
    })?;
    parse_vm_rss(&status).ok_or_else(|| LoadError::Rss {
        pid,
        reason: format!("no VmRSS line in {path}"),
    })
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut fields = line.split_whitespace().skip(1);
    let value: u64 = fields.next()?.parse().ok()?;
    match fields.next() {
        Some("kB") | None => Some(value),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vm_rss_in_kib() {
        let status = "Name:\tstomp-server\nVmPeak:\t  20000 kB\nVmRSS:\t    5124 kB\nThreads:\t3\n";
        assert_eq!(parse_vm_rss(status), Some(5124));
    }

    #[test]
    fn missing_or_odd_line_is_none() {
        assert_eq!(parse_vm_rss("Name:\tx\n"), None);
        assert_eq!(parse_vm_rss("VmRSS:\t12 MB\n"), None);
        assert_eq!(parse_vm_rss("VmRSS:\tlots kB\n"), None);
    }

    #[test]
    fn own_process_has_memory() {
        let kib = rss_kib(std::process::id()).unwrap_or(0);
        assert!(kib > 0);
    }
}
