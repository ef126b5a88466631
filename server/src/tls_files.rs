//! PEM files of the TLS parts (the listeners' certificate and key, the relay's trusted CAs):
//! reading them, and [`TlsError`], which names the file and the problem. Below both users.

use std::io;
use std::path::{Path, PathBuf};

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::CertificateDer;

/// Why a certificate/key pair cannot be used. Each names the file and the problem.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("TLS: cannot read the {what} file {path}: {source}")]
    Read {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("TLS: no certificate in {path} (expected PEM: -----BEGIN CERTIFICATE-----)")]
    NoCertificate { path: PathBuf },
    #[error("TLS: no private key in {path} (expected PEM: -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)")]
    NoKey { path: PathBuf },
    #[error("TLS: {path} is not valid PEM: {problem}")]
    Pem { path: PathBuf, problem: String },
    #[error("TLS: the certificate in {path} is not usable: {problem}")]
    BadCertificate { path: PathBuf, problem: String },
    #[error("TLS: the private key in {path} is not usable: {problem}")]
    BadKey { path: PathBuf, problem: String },
    #[error("TLS: the private key in {key} does not belong to the certificate in {cert} (their public keys differ)")]
    KeyMismatch { cert: PathBuf, key: PathBuf },
    #[error("TLS: no trusted root certificate: the system has none and relay.tls_ca is not set")]
    NoTrustedRoots,
    #[error("TLS: {name:?} is not a host name or IP address to check the broker's certificate against (set relay.tls_server_name)")]
    BadServerName { name: String },
    #[error("TLS: cannot set up rustls: {0}")]
    Setup(rustls::Error),
}

pub(crate) fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        what,
        path: path.to_owned(),
        source,
    })
}

pub(crate) fn pem_error(path: &Path, e: pem::Error) -> TlsError {
    TlsError::Pem {
        path: path.to_owned(),
        problem: e.to_string(),
    }
}

/// Every certificate of a PEM file (`what`: how errors name it); at least one.
pub(crate) fn read_certificates(
    what: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certificates = CertificateDer::pem_slice_iter(&read(what, path)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(path, e))?;
    if certificates.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(certificates)
}
