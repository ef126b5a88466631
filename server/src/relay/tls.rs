//! TLS on the relay's broker connections (RabbitMQ's STOMP over TLS listener, usually 61614):
//! rustls as a client, with the ring provider the listeners use, trusting the CAs of
//! `relay.tls_ca` or else the system's root certificates.
//!
//! Built once when the server starts, so a missing or unreadable CA file, or a broker name a
//! certificate cannot be checked against, stops the start with a message naming it; every
//! broker connection then shares the same client configuration.

use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use crate::config::RelayConfig;
use crate::tls_files::{read_certificates, TlsError};

/// What a broker connection needs to speak TLS: the client configuration and the name the
/// broker's certificate must be valid for.
pub struct BrokerTls {
    connector: TlsConnector,
    server_name: ServerName<'static>,
}

impl std::fmt::Debug for BrokerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerTls")
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl BrokerTls {
    /// The TLS settings of `config` (`None` when `relay.tls` is off).
    pub fn from_config(config: &RelayConfig) -> Result<Option<BrokerTls>, TlsError> {
        if !config.tls {
            return Ok(None);
        }
        let mut roots = RootCertStore::empty();
        match &config.tls_ca {
            Some(path) => {
                for certificate in read_certificates("CA", path)? {
                    roots
                        .add(certificate)
                        .map_err(|e| TlsError::BadCertificate {
                            path: path.clone(),
                            problem: e.to_string(),
                        })?;
                }
            }
            None => {
                let native = rustls_native_certs::load_native_certs();
                for e in &native.errors {
                    tracing::debug!(error = %e, "skipping a system root certificate");
                }
                roots.add_parsable_certificates(native.certs);
                if roots.is_empty() {
                    return Err(TlsError::NoTrustedRoots);
                }
            }
        }
        let client = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Setup)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = match &config.tls_server_name {
            Some(name) => name.clone(),
            None => broker_host(&config.broker).to_owned(),
        };
        let server_name =
            ServerName::try_from(name.clone()).map_err(|_| TlsError::BadServerName { name })?;
        Ok(Some(BrokerTls {
            connector: TlsConnector::from(Arc::new(client)),
            server_name,
        }))
    }

    /// The TLS handshake over an open TCP connection to the broker.
    pub async fn connect(&self, tcp: TcpStream) -> std::io::Result<TlsStream<TcpStream>> {
        self.connector.connect(self.server_name.clone(), tcp).await
    }
}

/// The host of a `host:port` broker address (`[::1]:61614` → `::1`).
fn broker_host(broker: &str) -> &str {
    let host = broker.rsplit_once(':').map_or(broker, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_broker_host_is_the_address_without_its_port() {
        assert_eq!(broker_host("rabbit.example:61614"), "rabbit.example");
        assert_eq!(broker_host("127.0.0.1:61614"), "127.0.0.1");
        assert_eq!(broker_host("[::1]:61614"), "::1");
        assert_eq!(broker_host("rabbit"), "rabbit");
    }

    #[test]
    fn a_missing_ca_file_is_named() {
        let config = RelayConfig {
            tls: true,
            tls_ca: Some("/nonexistent/ca.pem".into()),
            ..RelayConfig::default()
        };
        let e = BrokerTls::from_config(&config).expect_err("no such file");
        assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
    }
}
