//! One cluster as configured: where it is and how to reach it, with secrets named by where they
//! come from (an environment variable, a file, a command) and read only when connecting.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::kafka::security::oauth::TokenOrigin;
use crate::kafka::security::sasl::SaslSecret;
use crate::kafka::security::{
    SaslMechanism, SaslSettings, Security, SecurityProtocol, TlsFiles, TlsSettings, TokenSource,
};

/// Where a secret comes from. Holds the secret itself only when a properties file wrote it
/// inline; `Debug` never shows it.
#[derive(Clone)]
pub enum SecretOrigin {
    Env(String),
    File(PathBuf),
    Command(String),
    Inline(SecretString),
}

impl std::fmt::Debug for SecretOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretOrigin::Env(name) => write!(f, "env {name}"),
            SecretOrigin::File(path) => write!(f, "file {}", path.display()),
            SecretOrigin::Command(_) => f.write_str("a command"),
            SecretOrigin::Inline(_) => f.write_str("inline (redacted)"),
        }
    }
}

impl SecretOrigin {
    /// Reads the secret; `what` names it in errors ("password"), which never contain it.
    pub async fn read(&self, what: &str) -> Result<SecretString, String> {
        match self {
            SecretOrigin::Env(name) => match std::env::var(name) {
                Ok(v) if !v.is_empty() => Ok(SecretString::from(v)),
                _ => Err(format!("the {what} variable {name} is not set")),
            },
            SecretOrigin::File(path) => {
                let text = tokio::fs::read_to_string(path).await.map_err(|e| {
                    format!(
                        "cannot read the {what} file {}: {}",
                        path.display(),
                        crate::kafka::conn::io_reason(&e)
                    )
                })?;
                let secret = text.trim_end_matches(['\r', '\n']);
                if secret.is_empty() {
                    return Err(format!("the {what} file {} is empty", path.display()));
                }
                Ok(SecretString::from(secret.to_owned()))
            }
            SecretOrigin::Command(command) => {
                crate::kafka::security::command::run(command, &format!("{what} command")).await
            }
            SecretOrigin::Inline(secret) => Ok(secret.clone()),
        }
    }
}

/// How OAUTHBEARER tokens are obtained, before any secret is read.
#[derive(Debug, Clone)]
pub enum TokenConfig {
    File(PathBuf),
    Command(String),
    ClientCredentials {
        endpoint: String,
        client_id: String,
        client_secret: SecretOrigin,
        scope: Option<String>,
    },
    Unsecured {
        principal: String,
    },
}

#[derive(Debug, Clone)]
pub enum SaslSecretConfig {
    Password(SecretOrigin),
    Token(TokenConfig),
}

#[derive(Debug, Clone)]
pub struct SaslConfig {
    pub mechanism: SaslMechanism,
    pub username: String,
    pub secret: SaslSecretConfig,
}

/// The schema registry that goes with a cluster.
#[derive(Debug, Clone, Default)]
pub struct SchemaRegistryConfig {
    pub url: String,
    pub username: Option<String>,
    pub password: Option<SecretOrigin>,
    pub ca_file: Option<PathBuf>,
}

impl SchemaRegistryConfig {
    /// A client for it; reads the password (from its origin) and the CA file.
    pub async fn connect(&self) -> Result<crate::schema::Registry, String> {
        let auth = basic_auth(&self.username, &self.password, "schema registry").await?;
        crate::schema::Registry::new(&self.url, auth, self.ca_file.as_deref())
    }
}

/// A user and password for HTTP basic auth, the password read from its origin.
pub(super) async fn basic_auth(
    username: &Option<String>,
    password: &Option<SecretOrigin>,
    what: &str,
) -> Result<Option<(String, SecretString)>, String> {
    Ok(match (username, password) {
        (Some(user), Some(password)) => Some((
            user.clone(),
            password.read(&format!("{what} password")).await?,
        )),
        (Some(user), None) => Some((user.clone(), SecretString::from(String::new()))),
        (None, Some(_)) => return Err(format!("the {what} password needs a username too")),
        (None, None) => None,
    })
}

/// One cluster: a profile from the config file, a `-F` properties file, or the defaults.
#[derive(Debug, Clone, Default)]
pub struct ClusterConfig {
    /// The profile's name; None for `-F` or plain `-b`.
    pub name: Option<String>,
    pub brokers: Vec<String>,
    pub protocol: SecurityProtocol,
    pub tls: TlsFiles,
    pub sasl: Option<SaslConfig>,
    pub read_only: Option<bool>,
    /// How often the dashboard asks for watermarks and for groups.
    pub refresh: Option<Duration>,
    pub group_refresh: Option<Duration>,
    /// Keys of a properties file kview does not use (said once, as a warning).
    pub ignored_keys: Vec<String>,
    pub schema_registry: Option<SchemaRegistryConfig>,
    /// The Kafka Connect clusters that go with it, in the profile's order.
    pub connect: Vec<super::connect::ConnectConfig>,
    /// What is hidden of the records shown (the profile's `mask` rules).
    pub mask: crate::decode::mask::Masking,
}

impl ClusterConfig {
    /// Checks that protocol, TLS files and SASL settings fit together; `origin` names the file
    /// or profile in the error.
    pub fn validate(&self, origin: &str) -> Result<(), String> {
        let p = self.protocol;
        match (&self.sasl, p.sasl()) {
            (None, true) => {
                return Err(format!(
                    "{origin}: security protocol {} needs a SASL mechanism",
                    p.name()
                ));
            }
            (Some(sasl), false) => {
                return Err(format!(
                    "{origin}: SASL mechanism {} needs security protocol SASL_SSL or SASL_PLAINTEXT (it is {})",
                    sasl.mechanism.name(),
                    p.name()
                ));
            }
            _ => {}
        }
        let tls_files = self.tls.ca_file.is_some()
            || self.tls.cert_file.is_some()
            || self.tls.key_file.is_some()
            || self.tls.insecure_skip_verify;
        if tls_files && !p.tls() {
            return Err(format!(
                "{origin}: TLS files are set but security protocol {} does not use TLS (use SSL or SASL_SSL)",
                p.name()
            ));
        }
        if self.tls.cert_file.is_some() != self.tls.key_file.is_some() {
            return Err(format!(
                "{origin}: a client certificate needs both its certificate and its key file"
            ));
        }
        if let Some(sasl) = &self.sasl {
            let password = matches!(sasl.secret, SaslSecretConfig::Password(_));
            if password == (sasl.mechanism == SaslMechanism::OAuthBearer) {
                return Err(format!(
                    "{origin}: {} takes {}",
                    sasl.mechanism.name(),
                    if password {
                        "a token (oauth_token_file, oauth_token_command or oauth_token_endpoint), not a password"
                    } else {
                        "a password (password_env, password_file or password_command)"
                    }
                ));
            }
            if password && sasl.username.is_empty() {
                return Err(format!(
                    "{origin}: {} needs a username",
                    sasl.mechanism.name()
                ));
            }
        }
        Ok(())
    }

    /// Reads the TLS files and the secrets: what every connection to this cluster will use.
    pub async fn security(&self) -> Result<Security, String> {
        let tls = if self.protocol.tls() {
            Some(TlsSettings::load(&self.tls)?)
        } else {
            None
        };
        let sasl = match &self.sasl {
            Some(sasl) if self.protocol.sasl() => {
                let secret = match &sasl.secret {
                    SaslSecretConfig::Password(origin) => {
                        SaslSecret::Password(origin.read("password").await?)
                    }
                    SaslSecretConfig::Token(token) => {
                        SaslSecret::Token(Arc::new(TokenSource::new(token.origin().await?)))
                    }
                };
                Some(Arc::new(SaslSettings {
                    mechanism: sasl.mechanism,
                    username: sasl.username.clone(),
                    secret,
                }))
            }
            _ => None,
        };
        Ok(Security { tls, sasl })
    }

    /// Everything a connection to this cluster needs; reads the TLS files and the secrets.
    pub async fn conn_settings(
        &self,
        timeout: Duration,
        read_only: bool,
    ) -> Result<crate::kafka::ConnSettings, String> {
        Ok(crate::kafka::ConnSettings {
            connect_timeout: timeout,
            request_timeout: timeout.max(Duration::from_secs(30)),
            security: self.security().await?,
            read_only,
            ..crate::kafka::ConnSettings::default()
        })
    }

    /// Connects once and counts the brokers: whether the cluster answers, or kview's one line
    /// saying why not.
    pub async fn probe(&self, timeout: Duration, read_only: bool) -> Result<usize, String> {
        let settings = self.conn_settings(timeout, read_only).await?;
        let client = crate::kafka::KafkaClient::connect(self.brokers.clone(), settings)
            .await
            .map_err(|e| e.to_string())?;
        let metadata = client
            .metadata(Some(&[]))
            .await
            .map_err(|e| e.to_string())?;
        Ok(metadata.brokers.len())
    }

    /// "TLS · SCRAM-SHA-512 as alice", "plaintext": from the configuration alone (nothing is
    /// read), in the words `Security::describe` uses once connected.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.protocol.tls() {
            parts.push(if self.tls.insecure_skip_verify {
                "TLS (UNVERIFIED)".to_owned()
            } else {
                "TLS".to_owned()
            });
            if self.tls.cert_file.is_some() {
                parts.push("client certificate".to_owned());
            }
        }
        if let Some(sasl) = &self.sasl {
            parts.push(if sasl.username.is_empty() {
                sasl.mechanism.name().to_owned()
            } else {
                format!("{} as {}", sasl.mechanism.name(), sasl.username)
            });
        }
        if parts.is_empty() {
            "plaintext".to_owned()
        } else {
            parts.join(" · ")
        }
    }
}

impl TokenConfig {
    async fn origin(&self) -> Result<TokenOrigin, String> {
        Ok(match self {
            TokenConfig::File(path) => TokenOrigin::File(path.clone()),
            TokenConfig::Command(command) => TokenOrigin::Command(command.clone()),
            TokenConfig::ClientCredentials {
                endpoint,
                client_id,
                client_secret,
                scope,
            } => TokenOrigin::ClientCredentials {
                endpoint: endpoint.clone(),
                client_id: client_id.clone(),
                client_secret: client_secret.read("OAuth client secret").await?,
                scope: scope.clone(),
            },
            TokenConfig::Unsecured { principal } => TokenOrigin::Unsecured {
                principal: principal.clone(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scram(secret: SaslSecretConfig) -> ClusterConfig {
        ClusterConfig {
            brokers: vec!["b:9093".into()],
            protocol: SecurityProtocol::SaslSsl,
            sasl: Some(SaslConfig {
                mechanism: SaslMechanism::ScramSha512,
                username: "alice".into(),
                secret,
            }),
            ..ClusterConfig::default()
        }
    }

    #[test]
    fn debug_never_shows_an_inline_secret() {
        let c = scram(SaslSecretConfig::Password(SecretOrigin::Inline(
            SecretString::from("hunter2-secret"),
        )));
        let text = format!("{c:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("redacted"), "{text}");
    }

    #[test]
    fn mismatched_settings_are_named() {
        let ok = scram(SaslSecretConfig::Password(SecretOrigin::Env("P".into())));
        assert_eq!(ok.validate("x"), Ok(()));
        assert_eq!(ok.describe(), "TLS · SCRAM-SHA-512 as alice");
        let plaintext = ClusterConfig {
            protocol: SecurityProtocol::Plaintext,
            ..ok.clone()
        };
        assert!(
            plaintext
                .validate("p")
                .unwrap_err()
                .contains("needs security protocol SASL_SSL")
        );
        let no_sasl = ClusterConfig {
            sasl: None,
            ..ok.clone()
        };
        assert!(
            no_sasl
                .validate("p")
                .unwrap_err()
                .contains("needs a SASL mechanism")
        );
        let token_for_scram = scram(SaslSecretConfig::Token(TokenConfig::File("t".into())));
        assert!(
            token_for_scram
                .validate("p")
                .unwrap_err()
                .contains("takes a password")
        );
        let half_mtls = ClusterConfig {
            protocol: SecurityProtocol::Ssl,
            sasl: None,
            tls: TlsFiles {
                cert_file: Some("c.pem".into()),
                ..TlsFiles::default()
            },
            ..ClusterConfig::default()
        };
        assert!(half_mtls.validate("p").unwrap_err().contains("both"));
    }

    #[tokio::test]
    async fn secrets_are_read_from_their_origin_and_errors_do_not_show_them() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "from-file\n").unwrap();
        use secrecy::ExposeSecret;
        let read = SecretOrigin::File(file).read("password").await.unwrap();
        assert_eq!(read.expose_secret(), "from-file");
        let missing = SecretOrigin::Env("KVIEW_TEST_SURELY_UNSET_VARIABLE".into())
            .read("password")
            .await
            .unwrap_err();
        assert_eq!(
            missing,
            "the password variable KVIEW_TEST_SURELY_UNSET_VARIABLE is not set"
        );
    }
}
