//! TLS client configuration from PEM files: the cluster's CA (or the system's roots), an
//! optional client certificate and key (mTLS), and — only when explicitly asked for — no
//! verification at all.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ClientConfig;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

/// Where the TLS material comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM file of the CA(s) that signed the brokers' certificates; the system's roots if none.
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate (chain) for mTLS.
    pub cert_file: Option<PathBuf>,
    /// PEM private key of the client certificate (PKCS#8, PKCS#1 or SEC1, unencrypted).
    pub key_file: Option<PathBuf>,
    /// Accept any broker certificate. Only for lab clusters; kview says so loudly.
    pub insecure_skip_verify: bool,
}

/// A ready TLS configuration, shared by every connection to one cluster.
#[derive(Clone)]
pub struct TlsSettings {
    config: Arc<ClientConfig>,
    verifies: bool,
    client_cert: bool,
}

impl TlsSettings {
    pub fn config(&self) -> Arc<ClientConfig> {
        self.config.clone()
    }

    /// False when verification was turned off.
    pub fn verifies(&self) -> bool {
        self.verifies
    }

    pub fn client_cert(&self) -> bool {
        self.client_cert
    }

    /// Reads the files and builds the configuration; errors name the file and what is wrong.
    pub fn load(files: &TlsFiles) -> Result<Self, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?;
        let builder = if files.insecure_skip_verify {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        } else {
            builder.with_root_certificates(roots(files.ca_file.as_deref())?)
        };
        let config = match (&files.cert_file, &files.key_file) {
            (Some(cert), Some(key)) => {
                let chain = read_certs(cert)?;
                let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
                    format!(
                        "TLS key file {}: {}",
                        key.display(),
                        pem_error(&e, "a private key")
                    )
                })?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| format!("TLS client certificate: {e}"))?
            }
            (None, None) => builder.with_no_client_auth(),
            (Some(_), None) => {
                return Err("a TLS client certificate needs its key file too".into());
            }
            (None, Some(_)) => {
                return Err("a TLS key file needs its client certificate too".into());
            }
        };
        Ok(TlsSettings {
            config: Arc::new(config),
            verifies: !files.insecure_skip_verify,
            client_cert: files.cert_file.is_some(),
        })
    }
}

fn pem_error(e: &rustls::pki_types::pem::Error, what: &str) -> String {
    use rustls::pki_types::pem::Error;
    match e {
        Error::Io(io) => crate::kafka::conn::io_reason(io),
        Error::NoItemsFound => format!("holds no PEM {what}"),
        other => format!("not a readable PEM file ({other:?})"),
    }
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            format!(
                "TLS file {}: {}",
                path.display(),
                pem_error(&e, "certificate")
            )
        })?;
    if certs.is_empty() {
        return Err(format!(
            "TLS file {}: holds no PEM certificate",
            path.display()
        ));
    }
    Ok(certs)
}

fn roots(ca_file: Option<&Path>) -> Result<rustls::RootCertStore, String> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            for cert in read_certs(path)? {
                roots
                    .add(cert)
                    .map_err(|e| format!("TLS CA file {}: {e}", path.display()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(
                    "no system CA certificates found; give the cluster's CA file (ca_file, or ssl.ca.location with -F)"
                        .into(),
                );
            }
        }
    }
    Ok(roots)
}

/// Accepts every certificate: what `tls_insecure_skip_verify` asks for. Signatures are still
/// checked, so the connection is encrypted to whoever holds the presented key.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A TLS failure as a phrase a user can act on.
pub fn describe_tls_error(e: &std::io::Error, host: &str) -> Option<String> {
    let inner = e.get_ref()?.downcast_ref::<rustls::Error>()?;
    use rustls::{AlertDescription, CertificateError, Error};
    Some(match inner {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "the broker's certificate is not trusted (unknown issuer; give the cluster's CA: ca_file, or ssl.ca.location with -F)".into()
        }
        Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!("the broker's certificate is not valid for {host} (hostname mismatch)"),
        Error::InvalidCertificate(CertificateError::Expired | CertificateError::ExpiredContext { .. }) => {
            "the broker's certificate has expired".into()
        }
        Error::InvalidCertificate(other) => format!("the broker's certificate is invalid ({other:?})"),
        Error::AlertReceived(
            AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::HandshakeFailure,
        ) => "the broker refused the TLS handshake (it may require a client certificate: cert_file and key_file)".into(),
        Error::AlertReceived(AlertDescription::UnknownCA) => {
            "the broker does not trust kview's client certificate (unknown CA)".into()
        }
        Error::InvalidMessage(_) => {
            "it does not speak TLS (a plaintext port? check security_protocol)".into()
        }
        other => format!("TLS failed: {other}"),
    })
}
