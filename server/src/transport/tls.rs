//! TLS for the listeners (`tls_tcp`, `https`): rustls with the ring provider, a certificate
//! chain and key from PEM files, reloaded without a restart.
//!
//! Every handshake asks [`Tls`]'s resolver for the current certificate, so replacing it affects
//! only connections opened afterwards: a renewed certificate never cuts a connected client. The
//! files are reloaded when their modification time or size changes ([`Tls::watch`]) and on
//! demand ([`Tls::reload`], which the binary calls on SIGHUP). A pair that fails to load (a
//! half-written renewal, a key that does not match) is reported and the previous certificate
//! stays in service.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;
use tokio_rustls::rustls::crypto::{ring, CryptoProvider};
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{self, InconsistentKeys, ServerConfig};
use tokio_rustls::TlsAcceptor;

pub use crate::tls_files::TlsError;
use crate::tls_files::{pem_error, read, read_certificates};

/// The certificate each handshake gets: the latest that loaded.
#[derive(Debug)]
struct Resolver(RwLock<Arc<CertifiedKey>>);

impl Resolver {
    fn current(&self) -> Arc<CertifiedKey> {
        Arc::clone(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn replace(&self, key: Arc<CertifiedKey>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = key;
    }
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// What the files looked like when last loaded (or tried): modification time and size of each.
type Stamp = [Option<(SystemTime, u64)>; 2];

/// The TLS side of the listeners: the certificate in service, how to reload it, and an acceptor
/// per listener kind.
#[derive(Debug)]
pub struct Tls {
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    resolver: Arc<Resolver>,
    /// The files' stamp at the last load attempt, so a pair that failed is not retried (and
    /// reported) every poll, only when the files change again.
    tried: Mutex<Stamp>,
    stomp: Arc<ServerConfig>,
    https: Arc<ServerConfig>,
}

impl Tls {
    /// Loads the pair; any problem is an error naming the file.
    pub fn load(cert: &Path, key: &Path) -> Result<Tls, TlsError> {
        let provider = Arc::new(ring::default_provider());
        let stamp = stamp(cert, key);
        let certified = load_pair(cert, key, &provider)?;
        let resolver = Arc::new(Resolver(RwLock::new(Arc::new(certified))));
        let config = |alpn: &[&[u8]]| -> Result<Arc<ServerConfig>, TlsError> {
            let mut config = ServerConfig::builder_with_provider(Arc::clone(&provider))
                .with_safe_default_protocol_versions()
                .map_err(TlsError::Setup)?
                .with_no_client_auth()
                .with_cert_resolver(resolver.clone());
            config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
            Ok(Arc::new(config))
        };
        Ok(Tls {
            // HTTP/1.1 only: WebSocket upgrades and SockJS streaming are served over HTTP/1.1.
            https: config(&[b"http/1.1"])?,
            stomp: config(&[])?,
            cert: cert.to_owned(),
            key: key.to_owned(),
            provider,
            resolver,
            tried: Mutex::new(stamp),
        })
    }

    /// Acceptor of the STOMP TLS listener (`tls_tcp`).
    pub fn stomp_acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(Arc::clone(&self.stomp))
    }

    /// Acceptor of the HTTPS listener (ALPN `http/1.1`).
    pub fn https_acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(Arc::clone(&self.https))
    }

    /// The leaf certificate new connections get (DER).
    pub fn current_certificate(&self) -> CertificateDer<'static> {
        self.resolver.current().cert[0].clone()
    }

    /// Loads the files again; on success new connections get the new certificate, on error
    /// the previous one stays in service.
    pub fn reload(&self) -> Result<(), TlsError> {
        *self.tried.lock().unwrap_or_else(PoisonError::into_inner) = stamp(&self.cert, &self.key);
        let certified = load_pair(&self.cert, &self.key, &self.provider)?;
        self.resolver.replace(Arc::new(certified));
        tracing::info!(cert = %self.cert.display(), key = %self.key.display(), "TLS certificate reloaded");
        Ok(())
    }

    /// Reloads when the files change, checking every `every`, until `stop` is set.
    pub async fn watch(self: Arc<Self>, every: Duration, mut stop: watch::Receiver<bool>) {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                _ = ticks.tick() => {}
            }
            let now = stamp(&self.cert, &self.key);
            if now == *self.tried.lock().unwrap_or_else(PoisonError::into_inner) {
                continue;
            }
            if let Err(e) = self.reload() {
                tracing::warn!(
                    "{e}; keeping the previous certificate (retried when the files change)"
                );
            }
        }
    }
}

fn stamp(cert: &Path, key: &Path) -> Stamp {
    [cert, key].map(|path| {
        let meta = std::fs::metadata(path).ok()?;
        Some((meta.modified().ok()?, meta.len()))
    })
}

/// Reads the chain and the key, and checks that the key is the leaf certificate's.
fn load_pair(
    cert_path: &Path,
    key_path: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let chain = read_certificates("certificate", cert_path)?;
    let key = match PrivateKeyDer::from_pem_slice(&read("key", key_path)?) {
        Ok(key) => key,
        Err(pem::Error::NoItemsFound) => {
            return Err(TlsError::NoKey {
                path: key_path.to_owned(),
            })
        }
        Err(e) => return Err(pem_error(key_path, e)),
    };
    let signing_key =
        provider
            .key_provider
            .load_private_key(key)
            .map_err(|e| TlsError::BadKey {
                path: key_path.to_owned(),
                problem: e.to_string(),
            })?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        Ok(()) => Ok(certified),
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
            Err(TlsError::KeyMismatch {
                cert: cert_path.to_owned(),
                key: key_path.to_owned(),
            })
        }
        // The key type cannot tell its public key: nothing to compare, the handshake will tell.
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => Ok(certified),
        Err(e) => Err(TlsError::BadCertificate {
            path: cert_path.to_owned(),
            problem: e.to_string(),
        }),
    }
}
