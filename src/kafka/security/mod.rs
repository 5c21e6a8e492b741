//! How kview protects its connections and says who it is: TLS (rustls with the ring provider,
//! shared by rskafka's client and kview's own connections, so nothing connects around it) and
//! SASL (PLAIN, SCRAM-SHA-256/512, OAUTHBEARER). Secrets live in types that never print them.

pub mod command;
pub mod oauth;
pub mod sasl;
pub mod tls;

use std::sync::Arc;

pub use oauth::TokenSource;
pub use sasl::{SaslMechanism, SaslSettings};
pub use tls::{TlsFiles, TlsSettings};

/// Kafka's `security.protocol`, as users name it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub enum SecurityProtocol {
    #[default]
    #[serde(rename = "PLAINTEXT")]
    Plaintext,
    #[serde(rename = "SSL")]
    Ssl,
    #[serde(rename = "SASL_PLAINTEXT")]
    SaslPlaintext,
    #[serde(rename = "SASL_SSL")]
    SaslSsl,
}

impl SecurityProtocol {
    pub fn tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }

    pub fn sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }
}

impl std::str::FromStr for SecurityProtocol {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Ok(SecurityProtocol::Plaintext),
            "SSL" => Ok(SecurityProtocol::Ssl),
            "SASL_PLAINTEXT" => Ok(SecurityProtocol::SaslPlaintext),
            "SASL_SSL" => Ok(SecurityProtocol::SaslSsl),
            other => Err(format!(
                "unknown security protocol {other:?}: use PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"
            )),
        }
    }
}

/// TLS and SASL for every connection to one cluster. Cloning shares the TLS config and the
/// token cache.
#[derive(Clone, Default)]
pub struct Security {
    pub tls: Option<TlsSettings>,
    pub sasl: Option<Arc<SaslSettings>>,
}

impl Security {
    /// One phrase for headers and listings: "TLS · SCRAM-SHA-512 as alice".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(tls) = &self.tls {
            parts.push(if tls.verifies() {
                "TLS".to_owned()
            } else {
                "TLS (UNVERIFIED)".to_owned()
            });
            if tls.client_cert() {
                parts.push("client certificate".to_owned());
            }
        }
        if let Some(sasl) = &self.sasl {
            parts.push(sasl.describe());
        }
        if parts.is_empty() {
            "plaintext".to_owned()
        } else {
            parts.join(" · ")
        }
    }
}

impl std::fmt::Debug for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}
