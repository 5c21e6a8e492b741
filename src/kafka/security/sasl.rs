//! SASL: who kview says it is. The same settings drive rskafka's client (`SaslConfig`) and
//! kview's own connections, which run SaslHandshake and SaslAuthenticate through
//! kafka-protocol with rsasl doing the mechanism's work.

use std::io::Cursor;
use std::sync::Arc;

use kafka_protocol::messages::{SaslAuthenticateRequest, SaslHandshakeRequest};
use kafka_protocol::protocol::StrBytes;
use rsasl::callback::{Context, Request, SessionCallback, SessionData};
use rsasl::config::SASLConfig;
use rsasl::mechname::Mechname;
use rsasl::prelude::{SASLClient, SessionError};
use rsasl::property::{OAuthBearerKV, OAuthBearerToken};
use secrecy::{ExposeSecret, SecretString};

use super::oauth::TokenSource;
use crate::kafka::conn::BrokerConn;
use crate::kafka::error::{KafkaError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslMechanism {
    Plain,
    ScramSha256,
    ScramSha512,
    OAuthBearer,
}

impl SaslMechanism {
    pub fn name(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
            SaslMechanism::OAuthBearer => "OAUTHBEARER",
        }
    }
}

impl std::str::FromStr for SaslMechanism {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "PLAIN" => Ok(SaslMechanism::Plain),
            "SCRAM-SHA-256" => Ok(SaslMechanism::ScramSha256),
            "SCRAM-SHA-512" => Ok(SaslMechanism::ScramSha512),
            "OAUTHBEARER" => Ok(SaslMechanism::OAuthBearer),
            "GSSAPI" => Err("SASL mechanism GSSAPI (Kerberos) is not supported".into()),
            other => Err(format!(
                "unknown SASL mechanism {other:?}: use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER"
            )),
        }
    }
}

/// What proves the identity: a password, or (OAUTHBEARER) a source of tokens.
#[derive(Clone)]
pub enum SaslSecret {
    Password(SecretString),
    Token(Arc<TokenSource>),
}

/// A SASL identity. `Debug` shows the mechanism and user, never the secret.
#[derive(Clone)]
pub struct SaslSettings {
    pub mechanism: SaslMechanism,
    /// The user (for OAUTHBEARER, the principal kview expects to be; may be empty).
    pub username: String,
    pub secret: SaslSecret,
}

impl std::fmt::Debug for SaslSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl SaslSettings {
    /// "SCRAM-SHA-512 as alice".
    pub fn describe(&self) -> String {
        if self.username.is_empty() {
            self.mechanism.name().to_owned()
        } else {
            format!("{} as {}", self.mechanism.name(), self.username)
        }
    }

    /// The same identity for rskafka's client.
    pub fn for_rskafka(&self) -> rskafka::client::SaslConfig {
        use rskafka::client::{Credentials, OauthBearerCredentials, SaslConfig};
        match &self.secret {
            SaslSecret::Password(p) => {
                let credentials =
                    Credentials::new(self.username.clone(), p.expose_secret().to_owned());
                match self.mechanism {
                    SaslMechanism::ScramSha256 => SaslConfig::ScramSha256(credentials),
                    SaslMechanism::ScramSha512 => SaslConfig::ScramSha512(credentials),
                    _ => SaslConfig::Plain(credentials),
                }
            }
            SaslSecret::Token(source) => {
                let source = source.clone();
                SaslConfig::Oauthbearer(OauthBearerCredentials {
                    callback: Arc::new(move || {
                        let source = source.clone();
                        Box::pin(async move {
                            source
                                .token()
                                .await
                                .map(|t| t.expose_secret().to_owned())
                                .map_err(|e| e.into())
                        })
                    }),
                    authz_id: None,
                    bearer_kvs: Vec::new(),
                })
            }
        }
    }

    async fn rsasl_config(&self) -> Result<Arc<SASLConfig>, String> {
        match &self.secret {
            SaslSecret::Password(p) => SASLConfig::with_credentials(
                None,
                self.username.clone(),
                p.expose_secret().to_owned(),
            )
            .map_err(|e| e.to_string()),
            SaslSecret::Token(source) => {
                let token = source.token().await?;
                SASLConfig::builder()
                    .with_default_mechanisms()
                    .with_callback(BearerToken(token))
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// Hands rsasl the OAUTHBEARER token it asks for.
struct BearerToken(SecretString);

impl SessionCallback for BearerToken {
    fn callback(
        &self,
        _session_data: &SessionData,
        _context: &Context<'_>,
        request: &mut Request<'_>,
    ) -> Result<(), SessionError> {
        request
            .satisfy::<OAuthBearerKV>(&[])?
            .satisfy::<OAuthBearerToken>(self.0.expose_secret())?;
        Ok(())
    }
}

/// SASL_AUTHENTICATION_FAILED
const AUTHENTICATION_FAILED: i16 = 58;
/// UNSUPPORTED_SASL_MECHANISM
const UNSUPPORTED_MECHANISM: i16 = 33;

/// Runs SaslHandshake and the SaslAuthenticate rounds on a fresh connection.
pub(crate) async fn authenticate(conn: &mut BrokerConn, sasl: &SaslSettings) -> Result<()> {
    let addr = conn.addr().to_owned();
    let mechanism = sasl.mechanism.name();
    let failed = || KafkaError::AuthFailed {
        user: sasl.username.clone(),
        addr: addr.clone(),
        mechanism,
    };
    let handshake =
        SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism));
    let version = conn.version_for::<SaslHandshakeRequest>(Some(1))?;
    let response = conn.send_versioned(&handshake, version, None).await?;
    if response.error_code == UNSUPPORTED_MECHANISM {
        let offered: Vec<String> = response.mechanisms.iter().map(|m| m.to_string()).collect();
        return Err(KafkaError::Client(format!(
            "{addr} does not offer SASL {mechanism} (it offers {})",
            if offered.is_empty() {
                "none".to_owned()
            } else {
                offered.join(", ")
            }
        )));
    }
    KafkaError::check(response.error_code, None, || {
        format!("SASL handshake with {addr}")
    })?;

    let config = sasl
        .rsasl_config()
        .await
        .map_err(|e| KafkaError::Client(format!("SASL {mechanism} for {addr}: {e}")))?;
    let name = Mechname::parse(mechanism.as_bytes())
        .map_err(|e| KafkaError::Client(format!("SASL {mechanism}: {e}")))?;
    let mut session = SASLClient::new(config)
        .start_suggested(&[name])
        .map_err(|e| KafkaError::Client(format!("SASL {mechanism}: {e}")))?;
    let version = conn.version_for::<SaslAuthenticateRequest>(None)?;
    let mut received: Option<Vec<u8>> = None;
    loop {
        let mut to_send = Cursor::new(Vec::new());
        let state = session
            .step(received.as_deref(), &mut to_send)
            // A server answer that does not verify (a wrong SCRAM signature) is a failed login.
            .map_err(|_| failed())?;
        if state.has_sent_message() {
            let request =
                SaslAuthenticateRequest::default().with_auth_bytes(to_send.into_inner().into());
            let response = conn.send_versioned(&request, version, None).await?;
            if response.error_code == AUTHENTICATION_FAILED {
                return Err(failed());
            }
            KafkaError::check(response.error_code, None, || {
                format!("SASL authentication with {addr}")
            })?;
            received = Some(response.auth_bytes.to_vec());
        }
        if state.is_finished() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mechanisms_parse_as_kafka_names_them() {
        assert_eq!("scram-sha-512".parse(), Ok(SaslMechanism::ScramSha512));
        assert_eq!("PLAIN".parse(), Ok(SaslMechanism::Plain));
        assert!(
            "GSSAPI"
                .parse::<SaslMechanism>()
                .unwrap_err()
                .contains("Kerberos")
        );
        assert!("MD5".parse::<SaslMechanism>().is_err());
    }

    #[test]
    fn settings_never_print_their_secret() {
        let s = SaslSettings {
            mechanism: SaslMechanism::ScramSha256,
            username: "alice".into(),
            secret: SaslSecret::Password(SecretString::from("hunter2-secret")),
        };
        let shown = format!("{s:?} {}", s.describe());
        assert!(shown.contains("alice") && shown.contains("SCRAM-SHA-256"));
        assert!(!shown.contains("hunter2"));
    }
}
