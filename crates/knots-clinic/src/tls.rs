//! The clinic server's own TLS (`knots serve --clinic --tls-cert FILE --tls-key FILE`), for a
//! practice without a reverse proxy: rustls with the ring provider, TLS 1.2 and 1.3, a PEM
//! certificate chain and its private key, served by `axum-server`.

use crate::{Clinic, app};
use axum_server::tls_rustls::RustlsConfig;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A connection must send its first request within this long after the handshake.
const FIRST_REQUEST: Duration = Duration::from_secs(10);
/// Open requests get this long to finish when the server stops.
const DRAIN: Duration = Duration::from_secs(10);

/// A server certificate and key, ready to serve.
#[derive(Clone)]
pub struct Tls(RustlsConfig);

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tls(..)")
    }
}

impl Tls {
    /// The certificate chain in `cert` and the private key in `key` (PEM: PKCS #8, PKCS #1 or
    /// SEC 1). The key is checked against the certificate.
    ///
    /// # Errors
    /// A file that cannot be read, holds no certificate or no key, or a key that does not match.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Tls, String> {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .and_then(|certs| certs.collect::<Result<_, _>>())
            .map_err(|e| format!("reading the certificate `{}`: {e}", cert.display()))?;
        if chain.is_empty() {
            return Err(format!("no certificate in `{}`", cert.display()));
        }
        let key = PrivateKeyDer::from_pem_file(key)
            .map_err(|e| format!("reading the private key `{}`: {e}", key.display()))?;
        Self::from_parts(chain, key)
    }

    /// The same from PEM text in memory.
    ///
    /// # Errors
    /// As [`Tls::from_pem_files`].
    pub fn from_pem(cert: &[u8], key: &[u8]) -> Result<Tls, String> {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("reading the certificate: {e}"))?;
        if chain.is_empty() {
            return Err("no certificate in the PEM text".into());
        }
        let key =
            PrivateKeyDer::from_pem_slice(key).map_err(|e| format!("reading the key: {e}"))?;
        Self::from_parts(chain, key)
    }

    fn from_parts(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Tls, String> {
        let mut config =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .map_err(|e| format!("the certificate and key do not go together: {e}"))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Tls(RustlsConfig::from_config(Arc::new(config))))
    }
}

/// Serves the clinic app over TLS on `listener` until `shutdown` completes (then open requests
/// get 10 s to finish). `state` should have been made with `secure_cookies`.
///
/// # Errors
/// IO errors of the listener.
pub async fn serve_tls(
    listener: std::net::TcpListener,
    tls: Tls,
    state: Arc<Clinic>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(DRAIN));
    });
    axum_server::from_tcp_rustls(listener, tls.0)?
        .handle(handle)
        .first_request_timeout(FIRST_REQUEST)
        .serve(app(state).into_make_service_with_connect_info::<SocketAddr>())
        .await
}
