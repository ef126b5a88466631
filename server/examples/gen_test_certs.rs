//! Writes a test CA and a server certificate for `localhost`/127.0.0.1 into a directory, for the
//! TLS interop and browser tests (scripts/test-interop.sh, scripts/test-browser.sh):
//!
//! ```text
//! cargo run -q -p stomp-server --example gen_test_certs -- DIR
//! ```
//!
//! DIR gets `ca.pem` (what clients trust), `cert.pem` + `key.pem` (the server's) and `spki.der`
//! (the certificate's public key, whose SHA-256 Chromium's `--ignore-certificate-errors-spki-list`
//! takes). Test fixtures only: made fresh on every run, never for production.

#[path = "../tests/tls_support/mod.rs"]
mod tls_support;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: gen_test_certs DIR");
        return ExitCode::from(2);
    };
    let ca = tls_support::TestCa::new();
    let leaf = ca.leaf();
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("ca.pem"), ca.pem()))
        .and_then(|()| std::fs::write(dir.join("spki.der"), &leaf.spki_der));
    if let Err(e) = written {
        eprintln!("cannot write into {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    tls_support::CertFiles::in_dir(&dir).write(&leaf);
    ExitCode::SUCCESS
}
