//! OAUTHBEARER tokens: read from a file, printed by a command, or fetched from an OIDC token
//! endpoint with the client-credentials grant. A token is reused until shortly before it
//! expires (its JWT `exp`), then fetched again, so long-running dashboards stay logged in.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

/// Where tokens come from.
#[derive(Clone)]
pub enum TokenOrigin {
    File(PathBuf),
    /// A shell command whose standard output is the token.
    Command(String),
    /// OIDC client credentials (RFC 6749 §4.4).
    ClientCredentials {
        endpoint: String,
        client_id: String,
        client_secret: SecretString,
        scope: Option<String>,
    },
    /// An unsigned JWT naming a principal, for brokers running Kafka's unsecured validator
    /// (development clusters; Java's `unsecuredLoginStringClaim_sub`).
    Unsecured {
        principal: String,
    },
}

/// Re-read a token this long before it expires.
const REFRESH_BEFORE_MS: i64 = 60_000;

pub struct TokenSource {
    origin: TokenOrigin,
    cached: Mutex<Option<(SecretString, Option<i64>)>>,
}

impl TokenSource {
    pub fn new(origin: TokenOrigin) -> Self {
        TokenSource {
            origin,
            cached: Mutex::new(None),
        }
    }

    pub fn describe(&self) -> String {
        match &self.origin {
            TokenOrigin::File(p) => format!("token from {}", p.display()),
            TokenOrigin::Command(_) => "token from a command".into(),
            TokenOrigin::ClientCredentials {
                endpoint,
                client_id,
                ..
            } => format!("client {client_id} at {endpoint}"),
            TokenOrigin::Unsecured { principal } => format!("unsigned token for {principal}"),
        }
    }

    /// A token valid for at least a minute more, when its expiry is known.
    pub async fn token(&self) -> Result<SecretString, String> {
        let mut cached = self.cached.lock().await;
        let now = chrono::Utc::now().timestamp_millis();
        if let Some((token, Some(expires_ms))) = &*cached
            && *expires_ms - REFRESH_BEFORE_MS > now
        {
            return Ok(token.clone());
        }
        let (token, expires_ms) = self.fetch().await?;
        if let Some(exp) = expires_ms
            && exp <= now
        {
            return Err(format!(
                "the OAUTHBEARER token ({}) has expired",
                self.describe()
            ));
        }
        *cached = Some((token.clone(), expires_ms));
        Ok(token)
    }

    async fn fetch(&self) -> Result<(SecretString, Option<i64>), String> {
        match &self.origin {
            TokenOrigin::File(path) => {
                let text = tokio::fs::read_to_string(path).await.map_err(|e| {
                    format!(
                        "cannot read the OAUTHBEARER token file {}: {}",
                        path.display(),
                        crate::kafka::conn::io_reason(&e)
                    )
                })?;
                let token = text.trim().to_owned();
                let expires = jwt_expiry_ms(&token);
                Ok((SecretString::from(token), expires))
            }
            TokenOrigin::Command(command) => {
                let token = super::command::run(command, "oauth_token_command").await?;
                let expires = jwt_expiry_ms(token.expose_secret());
                Ok((token, expires))
            }
            TokenOrigin::ClientCredentials {
                endpoint,
                client_id,
                client_secret,
                scope,
            } => {
                let (endpoint, client_id, secret, scope) = (
                    endpoint.clone(),
                    client_id.clone(),
                    client_secret.clone(),
                    scope.clone(),
                );
                tokio::task::spawn_blocking(move || {
                    client_credentials(&endpoint, &client_id, &secret, scope.as_deref())
                })
                .await
                .map_err(|e| e.to_string())?
            }
            TokenOrigin::Unsecured { principal } => {
                let token = unsecured_jwt(principal, chrono::Utc::now().timestamp());
                let expires = jwt_expiry_ms(&token);
                Ok((SecretString::from(token), expires))
            }
        }
    }
}

/// How long an unsigned token kview makes is valid.
const UNSECURED_LIFETIME_S: i64 = 3600;

/// The token Kafka's unsecured validator accepts: `alg: none`, `sub`, `iat`, `exp`, no signature.
fn unsecured_jwt(principal: &str, now_s: i64) -> String {
    let enc = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let header = enc(serde_json::json!({ "alg": "none" }));
    let claims = enc(serde_json::json!({
        "sub": principal,
        "iat": now_s,
        "exp": now_s + UNSECURED_LIFETIME_S,
    }));
    format!("{header}.{claims}.")
}

fn client_credentials(
    endpoint: &str,
    client_id: &str,
    secret: &SecretString,
    scope: Option<&str>,
) -> Result<(SecretString, Option<i64>), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(15)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret.expose_secret()),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    let mut response = agent
        .post(endpoint)
        .send_form(form)
        .map_err(|e| format!("cannot reach the token endpoint {endpoint}: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!(
            "the token endpoint {endpoint} refused client {client_id} (HTTP {})",
            status.as_u16()
        ));
    }
    let body: serde_json::Value = response
        .body_mut()
        .read_json()
        .map_err(|_| format!("the token endpoint {endpoint} did not answer with JSON"))?;
    let token = body["access_token"]
        .as_str()
        .ok_or_else(|| format!("the token endpoint {endpoint} gave no access_token"))?
        .to_owned();
    let now = chrono::Utc::now().timestamp_millis();
    let expires = body["expires_in"]
        .as_i64()
        .map(|s| now + s * 1000)
        .or_else(|| jwt_expiry_ms(&token));
    Ok((SecretString::from(token), expires))
}

/// The `exp` claim of a JWT, in Unix milliseconds; None when the token is not a JWT.
pub fn jwt_expiry_ms(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?;
    exp.as_i64()
        .or_else(|| exp.as_f64().map(|f| f as i64))
        .map(|s| s * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.", enc(r#"{"alg":"none"}"#), enc(claims))
    }

    #[test]
    fn reads_the_expiry_of_a_jwt() {
        assert_eq!(
            jwt_expiry_ms(&jwt(r#"{"sub":"alice","exp":1700000000}"#)),
            Some(1_700_000_000_000)
        );
        assert_eq!(jwt_expiry_ms("opaque-token"), None);
    }

    #[test]
    fn unsecured_tokens_name_the_principal_and_expire() {
        let token = unsecured_jwt("alice", 1_700_000_000);
        assert!(token.ends_with('.'), "no signature: {token}");
        assert_eq!(jwt_expiry_ms(&token), Some(1_700_003_600_000));
        let claims = token.split('.').nth(1).unwrap();
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&claims).unwrap();
        assert_eq!(claims["sub"], "alice");
    }

    #[tokio::test]
    async fn file_tokens_are_reused_until_they_near_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let far = chrono::Utc::now().timestamp() + 3600;
        std::fs::write(&path, jwt(&format!(r#"{{"sub":"a","exp":{far}}}"#))).unwrap();
        let source = TokenSource::new(TokenOrigin::File(path.clone()));
        let first = source.token().await.unwrap();
        std::fs::write(&path, "changed").unwrap();
        assert_eq!(
            source.token().await.unwrap().expose_secret(),
            first.expose_secret(),
            "a token valid for an hour is reused"
        );
        let past = chrono::Utc::now().timestamp() - 10;
        std::fs::write(&path, jwt(&format!(r#"{{"sub":"a","exp":{past}}}"#))).unwrap();
        let expired = TokenSource::new(TokenOrigin::File(path));
        assert!(expired.token().await.unwrap_err().contains("expired"));
    }
}
