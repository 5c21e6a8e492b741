//! What kview's HTTP clients (the schema registry's, Kafka Connect's) share: an agent with a
//! deadline per request and an optional CA of its own, and transport failures in words.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// An agent whose every request ends within `timeout`, trusting `ca_file` (a PEM bundle)
/// instead of the built-in roots when given. HTTP error statuses are answers, not errors.
pub fn agent(timeout: Duration, ca_file: Option<&Path>, what: &str) -> Result<ureq::Agent, String> {
    let mut tls = ureq::tls::TlsConfig::builder();
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            format!(
                "cannot read the {what} CA file {}: {}",
                path.display(),
                crate::kafka::conn::io_reason(&e)
            )
        })?;
        let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(format!(
                "the {what} CA file {} holds no PEM certificate",
                path.display()
            ));
        }
        tls = tls.root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs)));
    }
    Ok(ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .tls_config(tls.build())
        .build()
        .into())
}

/// Why a request got no answer, in one phrase.
pub fn transport_reason(e: &ureq::Error, timeout: Duration) -> String {
    match e {
        ureq::Error::Timeout(_) => format!("no answer within {}s", timeout.as_secs()),
        ureq::Error::Io(io) => crate::kafka::conn::io_reason(io),
        other => other.to_string(),
    }
}

/// Text as one segment of a URL's path: everything but unreserved characters percent-encoded
/// (names may hold `/`, spaces and the like).
pub fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A service's base URL checked: http or https, and no credentials in it (they would show
/// wherever the URL does). `what` names the service in errors.
pub fn base_url(url: &str, what: &str) -> Result<String, String> {
    let base = url.trim().trim_end_matches('/').to_owned();
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(format!(
            "{what} URL {base} must start with http:// or https://"
        ));
    }
    if base
        .split_once("://")
        .is_some_and(|(_, rest)| rest.split('/').next().unwrap_or("").contains('@'))
    {
        return Err(format!(
            "give the {what}'s credentials as a username and password setting, not in the URL"
        ));
    }
    Ok(base)
}

/// The `Authorization` header's value for HTTP basic auth, kept secret.
pub fn basic_authorization(
    user: &str,
    password: &secrecy::SecretString,
) -> Arc<secrecy::SecretString> {
    use base64::Engine;
    use secrecy::ExposeSecret;
    let pair = format!("{user}:{}", password.expose_secret());
    Arc::new(secrecy::SecretString::from(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )))
}
