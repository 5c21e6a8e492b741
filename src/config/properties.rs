//! `-F/--command-config`: a Kafka client properties file as Kafka's own tools (and librdkafka's)
//! take it, so an existing `client.properties` works as it is.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use secrecy::SecretString;

use super::cluster::{
    ClusterConfig, SaslConfig, SaslSecretConfig, SchemaRegistryConfig, SecretOrigin, TokenConfig,
};
use crate::kafka::security::{SaslMechanism, SecurityProtocol, TlsFiles};

/// Keys that only tune a Java or librdkafka client and change nothing kview does; accepted
/// without a warning.
const HARMLESS: &[&str] = &[
    "client.id",
    "sasl.login.callback.handler.class",
    "sasl.oauthbearer.method",
    "enable.sasl.oauthbearer.unsecure.jwt",
    "ssl.enabled.protocols",
    "ssl.protocol",
];

/// Reads a properties file; errors name the file (and line or key) and never a value.
pub fn load(path: &Path) -> Result<ClusterConfig, String> {
    let file = std::fs::File::open(path).map_err(|e| {
        format!(
            "cannot read properties file {}: {}",
            path.display(),
            crate::kafka::conn::io_reason(&e)
        )
    })?;
    let props = java_properties::read(std::io::BufReader::new(file)).map_err(|e| {
        let line = e.line_number().map(|l| format!(":{l}")).unwrap_or_default();
        format!("{}{line}: not a properties file", path.display())
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    from_properties(props, base).map_err(|e| format!("{}: {e}", path.display()))
}

fn from_properties(
    mut props: HashMap<String, String>,
    base: &Path,
) -> Result<ClusterConfig, String> {
    let mut take = |key: &str| {
        props
            .remove(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let file = |v: String| {
        let p = PathBuf::from(v);
        if p.is_relative() { base.join(p) } else { p }
    };
    let brokers: Vec<String> = take("bootstrap.servers")
        .map(|v| {
            v.split(',')
                .map(|b| b.trim().to_owned())
                .filter(|b| !b.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let protocol = match take("security.protocol") {
        Some(p) => p.parse::<SecurityProtocol>()?,
        None => SecurityProtocol::Plaintext,
    };

    // TLS: Java's PEM stores, or librdkafka's locations.
    let mut tls = TlsFiles::default();
    let truststore_type = take("ssl.truststore.type");
    if let Some(location) = take("ssl.truststore.location") {
        require_pem("ssl.truststore.type", truststore_type.as_deref())?;
        tls.ca_file = Some(file(location));
    }
    let keystore_type = take("ssl.keystore.type");
    if let Some(location) = take("ssl.keystore.location") {
        require_pem("ssl.keystore.type", keystore_type.as_deref())?;
        // A PEM key store holds the key and the certificate chain in one file.
        let location = file(location);
        tls.cert_file = Some(location.clone());
        tls.key_file = Some(location);
    }
    if take("ssl.key.password").is_some() || take("ssl.key.location.password").is_some() {
        return Err("encrypted private keys are not supported: give kview an unencrypted PEM key (openssl pkey -in KEY -out PLAIN)".into());
    }
    // PEM stores have no store password; a leftover from a JKS setup changes nothing.
    let _ = (
        take("ssl.truststore.password"),
        take("ssl.keystore.password"),
    );
    if let Some(ca) = take("ssl.ca.location") {
        tls.ca_file = Some(file(ca));
    }
    if let Some(cert) = take("ssl.certificate.location") {
        tls.cert_file = Some(file(cert));
    }
    if let Some(key) = take("ssl.key.location") {
        tls.key_file = Some(file(key));
    }
    if let Some(verify) = take("enable.ssl.certificate.verification") {
        tls.insecure_skip_verify = verify.eq_ignore_ascii_case("false");
    }

    // SASL: the mechanism, then who from the JAAS line or librdkafka's keys.
    let mechanism = take("sasl.mechanism").or_else(|| take("sasl.mechanisms"));
    let jaas = take("sasl.jaas.config")
        .map(|j| parse_jaas(&j))
        .transpose()?;
    let endpoint = take("sasl.oauthbearer.token.endpoint.url");
    let rd_user = take("sasl.username");
    let rd_password = take("sasl.password");
    let rd_client_id = take("sasl.oauthbearer.client.id");
    let rd_client_secret = take("sasl.oauthbearer.client.secret");
    let rd_scope = take("sasl.oauthbearer.scope");
    let rd_unsecured = take("sasl.oauthbearer.config");
    let sasl = if protocol.sasl() {
        let mechanism: SaslMechanism = mechanism.as_deref().unwrap_or("GSSAPI").parse()?;
        let option = |name: &str| jaas.as_ref().and_then(|j| j.options.get(name).cloned());
        let secret = if mechanism == SaslMechanism::OAuthBearer {
            let client_id = option("clientId").or(rd_client_id);
            let client_secret = option("clientSecret").or(rd_client_secret);
            match (endpoint, client_id, client_secret) {
                (Some(endpoint), Some(client_id), Some(secret)) => {
                    SaslSecretConfig::Token(TokenConfig::ClientCredentials {
                        endpoint,
                        client_id,
                        client_secret: SecretOrigin::Inline(SecretString::from(secret)),
                        scope: option("scope").or(rd_scope),
                    })
                }
                (Some(_), _, _) => {
                    return Err("sasl.oauthbearer.token.endpoint.url needs a client id and secret (clientId and clientSecret in sasl.jaas.config)".into());
                }
                (None, _, _) => {
                    // Java's unsecuredLoginStringClaim_sub or librdkafka's principal=NAME.
                    let principal = option("unsecuredLoginStringClaim_sub").or_else(|| {
                        rd_unsecured.as_deref().and_then(|c| {
                            c.split_whitespace()
                                .find_map(|kv| kv.strip_prefix("principal=").map(str::to_owned))
                        })
                    });
                    match principal {
                        Some(principal) => {
                            SaslSecretConfig::Token(TokenConfig::Unsecured { principal })
                        }
                        None => {
                            return Err("OAUTHBEARER needs sasl.oauthbearer.token.endpoint.url or unsecuredLoginStringClaim_sub".into());
                        }
                    }
                }
            }
        } else {
            let password = option("password").or(rd_password).ok_or_else(|| {
                format!(
                    "{} needs a password (sasl.jaas.config or sasl.password)",
                    mechanism.name()
                )
            })?;
            SaslSecretConfig::Password(SecretOrigin::Inline(SecretString::from(password)))
        };
        let username = match &secret {
            SaslSecretConfig::Token(TokenConfig::Unsecured { principal }) => principal.clone(),
            SaslSecretConfig::Token(_) => String::new(),
            SaslSecretConfig::Password(_) => option("username").or(rd_user).ok_or_else(|| {
                format!(
                    "{} needs a username (sasl.jaas.config or sasl.username)",
                    mechanism.name()
                )
            })?,
        };
        Some(SaslConfig {
            mechanism,
            username,
            secret,
        })
    } else {
        None
    };
    if let Some(jaas) = &jaas
        && let Some(sasl) = &sasl
    {
        jaas.check_module(sasl.mechanism)?;
    }

    // The schema registry as Confluent's clients name it; user info is "user:password".
    let registry_url = take("schema.registry.url");
    let user_info =
        take("schema.registry.basic.auth.user.info").or_else(|| take("basic.auth.user.info"));
    let _ = take("basic.auth.credentials.source");
    let registry_ca = take("schema.registry.ssl.ca.location").map(file);
    let schema_registry = match registry_url {
        Some(url) => {
            let (username, password) = match user_info {
                Some(info) => match info.split_once(':') {
                    Some((user, password)) => (
                        Some(user.to_owned()),
                        Some(SecretOrigin::Inline(SecretString::from(
                            password.to_owned(),
                        ))),
                    ),
                    None => return Err("basic.auth.user.info must be user:password".into()),
                },
                None => (None, None),
            };
            Some(SchemaRegistryConfig {
                url: url.split(',').next().unwrap_or_default().trim().to_owned(),
                username,
                password,
                ca_file: registry_ca,
            })
        }
        None => None,
    };

    // Kafka Connect's worker, named after its host (kview's own keys: Kafka has none).
    let connect = match take("connect.url") {
        Some(url) => {
            let mut config = super::connect::ConnectConfig::from_url(&url);
            if let Some(info) = take("connect.basic.auth.user.info") {
                let (user, password) = info
                    .split_once(':')
                    .ok_or("connect.basic.auth.user.info must be user:password")?;
                config.username = Some(user.to_owned());
                config.password = Some(SecretOrigin::Inline(SecretString::from(
                    password.to_owned(),
                )));
            }
            config.ca_file = take("connect.ssl.ca.location").map(file);
            crate::http::base_url(&config.url, "Kafka Connect")?;
            vec![config]
        }
        None => Vec::new(),
    };

    let mut ignored: Vec<String> = props
        .into_keys()
        .filter(|k| !HARMLESS.contains(&k.as_str()))
        .collect();
    ignored.sort();
    let cluster = ClusterConfig {
        name: None,
        brokers,
        protocol,
        tls,
        sasl,
        ignored_keys: ignored,
        schema_registry,
        connect,
        ..ClusterConfig::default()
    };
    cluster.validate("properties")?;
    Ok(cluster)
}

fn require_pem(key: &str, value: Option<&str>) -> Result<(), String> {
    match value {
        Some(v) if v.eq_ignore_ascii_case("PEM") => Ok(()),
        other => Err(format!(
            "{key} is {}: kview reads PEM files (set {key}=PEM and convert, e.g. keytool -exportcert -rfc, or openssl pkcs12 -nodes)",
            other.unwrap_or("JKS (the default)")
        )),
    }
}

/// `org.apache.kafka.common.security.scram.ScramLoginModule required username="a" password="b";`
#[derive(PartialEq, Eq)]
struct Jaas {
    module: String,
    options: BTreeMap<String, String>,
}

impl std::fmt::Debug for Jaas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Option values include the password.
        f.debug_struct("Jaas")
            .field("module", &self.module)
            .field("options", &self.options.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Jaas {
    fn check_module(&self, mechanism: SaslMechanism) -> Result<(), String> {
        let expected = match mechanism {
            SaslMechanism::Plain => "PlainLoginModule",
            SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512 => "ScramLoginModule",
            SaslMechanism::OAuthBearer => "OAuthBearerLoginModule",
        };
        let module = self.module.rsplit('.').next().unwrap_or_default();
        if module == expected {
            Ok(())
        } else {
            Err(format!(
                "sasl.jaas.config uses {module} but sasl.mechanism {} needs {expected}",
                mechanism.name()
            ))
        }
    }
}

/// Parses one JAAS login entry; errors never include option values.
fn parse_jaas(text: &str) -> Result<Jaas, String> {
    let bad = |why: &str| Err(format!("sasl.jaas.config: {why}"));
    let text = text.trim().trim_end_matches(';').trim();
    let mut chars = text.char_indices().peekable();
    let word = |chars: &mut std::iter::Peekable<std::str::CharIndices>| -> String {
        while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
            chars.next();
        }
        let mut w = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if c.is_whitespace() || c == '=' {
                break;
            }
            w.push(c);
            chars.next();
        }
        w
    };
    let module = word(&mut chars);
    if module.is_empty() {
        return bad("no login module");
    }
    let flag = word(&mut chars);
    if !["required", "requisite", "sufficient", "optional"].contains(&flag.as_str()) {
        return bad("expected `required` after the login module");
    }
    // A malformed line can make part of a value look like a key: only well-known option
    // names are repeated in errors.
    let named = |key: &str| {
        const KNOWN: &[&str] = &["username", "password", "clientId", "clientSecret", "scope"];
        if KNOWN.contains(&key) {
            format!("option {key}")
        } else {
            "an option".to_owned()
        }
    };
    let mut options = BTreeMap::new();
    loop {
        let key = word(&mut chars);
        if key.is_empty() {
            break;
        }
        if chars.next().map(|(_, c)| c) != Some('=') {
            return bad(&format!("{} has no value", named(&key)));
        }
        let mut value = String::new();
        if chars.peek().map(|(_, c)| *c) == Some('"') {
            chars.next();
            let mut closed = false;
            while let Some((_, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        closed = true;
                        break;
                    }
                    c => value.push(c),
                }
            }
            if !closed {
                return bad(&format!(
                    "the value of {} has no closing quote",
                    named(&key)
                ));
            }
        } else {
            while let Some(&(_, c)) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        options.insert(key, value);
    }
    Ok(Jaas { module, options })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(text: &str) -> Result<ClusterConfig, String> {
        let map = java_properties::read(text.as_bytes()).unwrap();
        from_properties(map, Path::new("/etc/kafka"))
    }

    #[test]
    fn scram_over_tls_as_kafka_tools_write_it() {
        let c = props(
            "bootstrap.servers=b1:9093, b2:9093\n\
             security.protocol=SASL_SSL\n\
             sasl.mechanism=SCRAM-SHA-512\n\
             sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\\n\
             \x20   username=\"alice\" password=\"p\\\\\"w;rd\";\n\
             ssl.truststore.type=PEM\n\
             ssl.truststore.location=ca.pem\n",
        )
        .unwrap();
        assert_eq!(c.brokers, ["b1:9093", "b2:9093"]);
        assert_eq!(c.protocol, SecurityProtocol::SaslSsl);
        assert_eq!(
            c.tls.ca_file.as_deref(),
            Some(Path::new("/etc/kafka/ca.pem"))
        );
        let sasl = c.sasl.unwrap();
        assert_eq!(sasl.mechanism, SaslMechanism::ScramSha512);
        assert_eq!(sasl.username, "alice");
        let SaslSecretConfig::Password(SecretOrigin::Inline(p)) = sasl.secret else {
            panic!("inline password expected");
        };
        use secrecy::ExposeSecret;
        assert_eq!(p.expose_secret(), "p\"w;rd");
        assert!(c.ignored_keys.is_empty());
    }

    #[test]
    fn librdkafka_keys_and_pem_keystores() {
        let c = props(
            "bootstrap.servers=b:9095\nsecurity.protocol=ssl\nssl.ca.location=/c/ca.pem\n\
             ssl.certificate.location=/c/me.pem\nssl.key.location=/c/me.key\n",
        )
        .unwrap();
        assert_eq!(c.protocol, SecurityProtocol::Ssl);
        assert_eq!(c.tls.key_file.as_deref(), Some(Path::new("/c/me.key")));
        let java = props(
            "bootstrap.servers=b:9095\nsecurity.protocol=SSL\nssl.keystore.type=PEM\n\
             ssl.keystore.location=/c/keystore.pem\n",
        )
        .unwrap();
        assert_eq!(java.tls.cert_file, java.tls.key_file);
        let plain = props(
            "bootstrap.servers=b:9094\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanisms=PLAIN\n\
             sasl.username=bob\nsasl.password=pw\n",
        )
        .unwrap();
        assert_eq!(plain.sasl.unwrap().username, "bob");
    }

    #[test]
    fn oauthbearer_unsecured_and_client_credentials() {
        let c = props(
            "bootstrap.servers=b:9094\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanism=OAUTHBEARER\n\
             sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub=\"alice\";\n",
        )
        .unwrap();
        let sasl = c.sasl.unwrap();
        assert!(
            matches!(sasl.secret, SaslSecretConfig::Token(TokenConfig::Unsecured { ref principal }) if principal == "alice")
        );
        let oidc = props(
            "bootstrap.servers=b:9093\nsecurity.protocol=SASL_SSL\nsasl.mechanism=OAUTHBEARER\n\
             sasl.oauthbearer.token.endpoint.url=https://idp/token\n\
             sasl.login.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler\n\
             sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=\"kview\" clientSecret=\"s\" scope=\"kafka\";\n",
        )
        .unwrap();
        assert!(matches!(
            oidc.sasl.unwrap().secret,
            SaslSecretConfig::Token(TokenConfig::ClientCredentials { ref client_id, ref scope, .. })
                if client_id == "kview" && scope.as_deref() == Some("kafka")
        ));
        assert!(oidc.ignored_keys.is_empty(), "{:?}", oidc.ignored_keys);
    }

    #[test]
    fn unsupported_keys_are_named_and_bad_files_refused_without_their_values() {
        let c = props("bootstrap.servers=b:9092\nacks=all\nlinger.ms=5\n").unwrap();
        assert_eq!(c.ignored_keys, ["acks", "linger.ms"]);
        let cases = [
            (
                "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-256\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"a\" password=\"topsecret\";\n",
                "uses PlainLoginModule but sasl.mechanism SCRAM-SHA-256 needs ScramLoginModule",
            ),
            (
                "security.protocol=SSL\nssl.truststore.location=/x/truststore.jks\nssl.truststore.password=topsecret\n",
                "kview reads PEM files",
            ),
            (
                "security.protocol=SASL_SSL\n",
                "GSSAPI (Kerberos) is not supported",
            ),
            (
                "security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"a\" password=\"topsecret;\n",
                "no closing quote",
            ),
            (
                "security.protocol=SSL\nssl.keystore.type=PEM\nssl.keystore.location=/k.pem\nssl.key.password=topsecret\n",
                "encrypted private keys are not supported",
            ),
            (
                "security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n",
                "needs a password",
            ),
        ];
        for (text, expected) in cases {
            let e = props(text).unwrap_err();
            assert!(e.contains(expected), "{text:?} gave {e:?}");
            assert!(!e.contains("topsecret"), "{e}");
        }
    }

    #[test]
    fn jaas_errors_never_repeat_a_value() {
        let e = parse_jaas("x.ScramLoginModule required username=\"a\" password=\"p\"w;rd\";")
            .unwrap_err();
        assert!(!e.contains("w;rd") && !e.contains("rd"), "{e}");
    }

    #[test]
    fn jaas_debug_hides_values() {
        let j =
            parse_jaas("x.PlainLoginModule required username=\"a\" password=\"hidden\";").unwrap();
        assert!(!format!("{j:?}").contains("hidden"));
        assert_eq!(j.options["username"], "a");
    }
}
