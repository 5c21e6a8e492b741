//! The config file: named clusters in TOML.
//!
//! ```toml
//! default = "prod"
//!
//! [clusters.prod]
//! brokers = ["b1.example.com:9093", "b2.example.com:9093"]
//! security_protocol = "SASL_SSL"
//! ca_file = "~/certs/prod-ca.pem"
//! sasl_mechanism = "SCRAM-SHA-512"
//! username = "alice"
//! password_command = "pass show kafka/prod"
//! read_only = true
//! schema_registry = "https://registry.example.com"
//! schema_registry_username = "alice"
//! schema_registry_password_env = "REGISTRY_PASSWORD"
//! connect = ["https://connect.example.com:8083"]
//!
//! [[clusters.prod.mask]]
//! topics = "payments.*"
//! json_paths = ["$.card"]
//! ```
//!
//! Unknown keys are refused with the nearest valid one suggested; errors name the file and
//! line and never repeat a value (it may be a secret).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::cluster::{
    ClusterConfig, SaslConfig, SaslSecretConfig, SchemaRegistryConfig, SecretOrigin, TokenConfig,
};
use crate::kafka::security::{SaslMechanism, SecurityProtocol, TlsFiles};

/// Every key a cluster profile takes, for suggestions.
const PROFILE_KEYS: &[&str] = &[
    "brokers",
    "security_protocol",
    "ca_file",
    "cert_file",
    "key_file",
    "insecure_skip_verify",
    "sasl_mechanism",
    "username",
    "password_env",
    "password_file",
    "password_command",
    "oauth_token_file",
    "oauth_token_command",
    "oauth_token_endpoint",
    "oauth_client_id",
    "oauth_client_secret_env",
    "oauth_client_secret_file",
    "oauth_client_secret_command",
    "oauth_scope",
    "command_config",
    "read_only",
    "refresh",
    "group_refresh",
    "schema_registry",
    "schema_registry_username",
    "schema_registry_password_env",
    "schema_registry_password_file",
    "schema_registry_password_command",
    "schema_registry_ca_file",
    "connect",
    "mask",
];
const TOP_KEYS: &[&str] = &["default", "clusters"];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    default: Option<String>,
    #[serde(default)]
    clusters: BTreeMap<String, Profile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    brokers: Option<Brokers>,
    security_protocol: Option<String>,
    ca_file: Option<PathBuf>,
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    #[serde(default)]
    insecure_skip_verify: bool,
    sasl_mechanism: Option<String>,
    username: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    password_command: Option<String>,
    oauth_token_file: Option<PathBuf>,
    oauth_token_command: Option<String>,
    oauth_token_endpoint: Option<String>,
    oauth_client_id: Option<String>,
    oauth_client_secret_env: Option<String>,
    oauth_client_secret_file: Option<PathBuf>,
    oauth_client_secret_command: Option<String>,
    oauth_scope: Option<String>,
    command_config: Option<PathBuf>,
    read_only: Option<bool>,
    refresh: Option<String>,
    group_refresh: Option<String>,
    schema_registry: Option<String>,
    schema_registry_username: Option<String>,
    schema_registry_password_env: Option<String>,
    schema_registry_password_file: Option<PathBuf>,
    schema_registry_password_command: Option<String>,
    schema_registry_ca_file: Option<PathBuf>,
    /// Kafka Connect clusters (see `config::connect`).
    connect: Option<super::connect::ConnectSetting>,
    /// `[[clusters.NAME.mask]]` rules (see `decode::mask`).
    #[serde(default)]
    mask: Vec<crate::decode::mask::MaskRuleConfig>,
}

/// `brokers = "a:9092,b:9092"` or `brokers = ["a:9092", "b:9092"]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Brokers {
    One(String),
    Many(Vec<String>),
}

impl Brokers {
    fn list(&self) -> Vec<String> {
        let items: Vec<&str> = match self {
            Brokers::One(s) => s.split(',').collect(),
            Brokers::Many(v) => v.iter().flat_map(|s| s.split(',')).collect(),
        };
        items
            .into_iter()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// The config file as read: cluster profiles by name and the default one.
#[derive(Debug, Default)]
pub struct ConfigFile {
    pub path: Option<PathBuf>,
    pub default: Option<String>,
    pub clusters: BTreeMap<String, ClusterConfig>,
}

impl ConfigFile {
    /// Where kview looks without `--config`: the platform's config folder
    /// (`~/.config/kview/config.toml` on Linux).
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "kview").map(|d| d.config_dir().join("config.toml"))
    }

    /// Reads `path`; a missing file is an error only when `must_exist`.
    pub fn load(path: &Path, must_exist: bool) -> Result<Self, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                return Ok(ConfigFile::default());
            }
            Err(e) => {
                return Err(format!(
                    "cannot read config file {}: {}",
                    path.display(),
                    crate::kafka::conn::io_reason(&e)
                ));
            }
        };
        let mut file = Self::parse(&text, path)?;
        file.path = Some(path.to_owned());
        Ok(file)
    }

    /// Parses the text of a config file; `path` names it in errors and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Self, String> {
        let shape: FileShape =
            toml::from_str(text).map_err(|e| describe_toml_error(&e, text, path))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut clusters = BTreeMap::new();
        for (name, profile) in shape.clusters {
            let origin = format!("{} [clusters.{name}]", path.display());
            let cluster = profile.into_cluster(&name, base, &origin)?;
            cluster.validate(&origin)?;
            clusters.insert(name, cluster);
        }
        if let Some(default) = &shape.default
            && !clusters.contains_key(default)
        {
            return Err(format!(
                "{}: default = \"{default}\" names no cluster{}",
                path.display(),
                suggestion(default, clusters.keys().map(String::as_str))
            ));
        }
        Ok(ConfigFile {
            path: Some(path.to_owned()),
            default: shape.default,
            clusters,
        })
    }

    /// The profile called `name`, or an error listing the ones there are.
    pub fn cluster(&self, name: &str) -> Result<&ClusterConfig, String> {
        self.clusters.get(name).ok_or_else(|| {
            let where_ = self
                .path
                .as_ref()
                .map_or("no config file".to_owned(), |p| p.display().to_string());
            if self.clusters.is_empty() {
                format!("no cluster named {name}: {where_} defines none")
            } else {
                format!(
                    "no cluster named {name} in {where_}{} (clusters: {})",
                    suggestion(name, self.clusters.keys().map(String::as_str)),
                    self.clusters.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            }
        })
    }
}

impl Profile {
    fn into_cluster(self, name: &str, base: &Path, origin: &str) -> Result<ClusterConfig, String> {
        let path = |p: PathBuf| expand_path(&p, base);
        // A profile may start from an existing Kafka properties file and add to it.
        let mut cluster = match &self.command_config {
            Some(file) => super::properties::load(&path(file.clone()))?,
            None => ClusterConfig::default(),
        };
        cluster.name = Some(name.to_owned());
        cluster.mask = crate::decode::mask::Masking::compile(&self.mask)
            .map_err(|e| format!("{origin}: {e}"))?;
        if let Some(brokers) = &self.brokers {
            cluster.brokers = brokers.list();
        }
        if cluster.brokers.is_empty() {
            return Err(format!("{origin}: brokers is missing"));
        }
        let one_of = |what: &str, options: Vec<(&str, Option<SecretOrigin>)>| {
            let given: Vec<_> = options.into_iter().filter(|(_, o)| o.is_some()).collect();
            match given.len() {
                0 => Ok(None),
                1 => Ok(given.into_iter().next().and_then(|(_, o)| o)),
                _ => Err(format!(
                    "{origin}: give the {what} one way, not {}",
                    given
                        .iter()
                        .map(|(k, _)| *k)
                        .collect::<Vec<_>>()
                        .join(" and ")
                )),
            }
        };
        let password = one_of(
            "password",
            vec![
                (
                    "password_env",
                    self.password_env.clone().map(SecretOrigin::Env),
                ),
                (
                    "password_file",
                    self.password_file
                        .clone()
                        .map(|p| SecretOrigin::File(path(p))),
                ),
                (
                    "password_command",
                    self.password_command.clone().map(SecretOrigin::Command),
                ),
            ],
        )?;
        let client_secret = one_of(
            "OAuth client secret",
            vec![
                (
                    "oauth_client_secret_env",
                    self.oauth_client_secret_env.clone().map(SecretOrigin::Env),
                ),
                (
                    "oauth_client_secret_file",
                    self.oauth_client_secret_file
                        .clone()
                        .map(|p| SecretOrigin::File(path(p))),
                ),
                (
                    "oauth_client_secret_command",
                    self.oauth_client_secret_command
                        .clone()
                        .map(SecretOrigin::Command),
                ),
            ],
        )?;
        let token = match (
            self.oauth_token_file.clone(),
            self.oauth_token_command.clone(),
            self.oauth_token_endpoint.clone(),
        ) {
            (None, None, None) => None,
            (Some(file), None, None) => Some(TokenConfig::File(path(file))),
            (None, Some(command), None) => Some(TokenConfig::Command(command)),
            (None, None, Some(endpoint)) => {
                let client_id = self.oauth_client_id.clone().ok_or_else(|| {
                    format!("{origin}: oauth_token_endpoint needs oauth_client_id")
                })?;
                let client_secret = client_secret.ok_or_else(|| {
                    format!(
                        "{origin}: oauth_token_endpoint needs oauth_client_secret_env, _file or _command"
                    )
                })?;
                Some(TokenConfig::ClientCredentials {
                    endpoint,
                    client_id,
                    client_secret,
                    scope: self.oauth_scope.clone(),
                })
            }
            _ => {
                return Err(format!(
                    "{origin}: give one of oauth_token_file, oauth_token_command and oauth_token_endpoint"
                ));
            }
        };
        if let Some(mechanism) = &self.sasl_mechanism {
            let mechanism: SaslMechanism =
                mechanism.parse().map_err(|e| format!("{origin}: {e}"))?;
            let secret = match (password, token) {
                (Some(p), None) => SaslSecretConfig::Password(p),
                (None, Some(t)) => SaslSecretConfig::Token(t),
                (Some(_), Some(_)) => {
                    return Err(format!("{origin}: give a password or a token, not both"));
                }
                (None, None) => match cluster.sasl.take() {
                    // The properties file named one.
                    Some(existing) => existing.secret,
                    None => {
                        return Err(format!(
                            "{origin}: {} needs {}",
                            mechanism.name(),
                            if mechanism == SaslMechanism::OAuthBearer {
                                "oauth_token_file, oauth_token_command or oauth_token_endpoint"
                            } else {
                                "password_env, password_file or password_command"
                            }
                        ));
                    }
                },
            };
            cluster.sasl = Some(SaslConfig {
                mechanism,
                username: self.username.clone().unwrap_or_default(),
                secret,
            });
        } else if password.is_some() || token.is_some() || self.username.is_some() {
            return Err(format!(
                "{origin}: a username, password or token needs sasl_mechanism"
            ));
        }
        let tls = TlsFiles {
            ca_file: self.ca_file.map(path).or(cluster.tls.ca_file),
            cert_file: self.cert_file.map(path).or(cluster.tls.cert_file),
            key_file: self.key_file.map(path).or(cluster.tls.key_file),
            insecure_skip_verify: self.insecure_skip_verify || cluster.tls.insecure_skip_verify,
        };
        cluster.protocol = match &self.security_protocol {
            Some(p) => p
                .parse::<SecurityProtocol>()
                .map_err(|e| format!("{origin}: {e}"))?,
            None if self.command_config.is_some() => cluster.protocol,
            // Said nothing: what the other keys imply.
            None => match (cluster.sasl.is_some(), tls != TlsFiles::default()) {
                (true, _) => SecurityProtocol::SaslSsl,
                (false, true) => SecurityProtocol::Ssl,
                (false, false) => SecurityProtocol::Plaintext,
            },
        };
        cluster.tls = tls;
        cluster.read_only = self.read_only.or(cluster.read_only);
        let interval = |key: &str, value: &Option<String>| -> Result<Option<Duration>, String> {
            value
                .as_deref()
                .map(|v| {
                    crate::human::parse_duration(v)
                        .map_err(|e| format!("{origin}: {key}: {e}"))
                        .and_then(|d| {
                            if d < Duration::from_millis(200) {
                                Err(format!("{origin}: {key} must be at least 200ms"))
                            } else {
                                Ok(d)
                            }
                        })
                })
                .transpose()
        };
        cluster.refresh = interval("refresh", &self.refresh)?;
        cluster.group_refresh = interval("group_refresh", &self.group_refresh)?;
        let registry_password = one_of(
            "schema registry password",
            vec![
                (
                    "schema_registry_password_env",
                    self.schema_registry_password_env
                        .clone()
                        .map(SecretOrigin::Env),
                ),
                (
                    "schema_registry_password_file",
                    self.schema_registry_password_file
                        .clone()
                        .map(|p| SecretOrigin::File(path(p))),
                ),
                (
                    "schema_registry_password_command",
                    self.schema_registry_password_command
                        .clone()
                        .map(SecretOrigin::Command),
                ),
            ],
        )?;
        match self.schema_registry.clone() {
            Some(url) => {
                let from_properties = cluster.schema_registry.take().unwrap_or_default();
                cluster.schema_registry = Some(SchemaRegistryConfig {
                    url,
                    username: self
                        .schema_registry_username
                        .clone()
                        .or(from_properties.username),
                    password: registry_password.or(from_properties.password),
                    ca_file: self
                        .schema_registry_ca_file
                        .clone()
                        .map(path)
                        .or(from_properties.ca_file),
                });
            }
            None if cluster.schema_registry.is_none()
                && (self.schema_registry_username.is_some()
                    || registry_password.is_some()
                    || self.schema_registry_ca_file.is_some()) =>
            {
                return Err(format!(
                    "{origin}: schema_registry_* settings need schema_registry (its URL)"
                ));
            }
            None => {}
        }
        if let Some(connect) = self.connect {
            cluster.connect = connect.configs(&path, origin)?;
        }
        Ok(cluster)
    }
}

/// `~/x` from the home folder; relative paths from the config file's folder.
fn expand_path(path: &Path, base: &Path) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~")
        && let Some(home) = directories::BaseDirs::new()
    {
        return home.home_dir().join(rest);
    }
    if path.is_relative() {
        base.join(path)
    } else {
        path.to_owned()
    }
}

/// " (did you mean `x`?)" when a known word is close to `word`.
pub fn suggestion<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(word, k), k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

/// One line naming file, line and key, from the parser's message with any quoted value
/// removed (the value may be a secret); the offending line is never echoed.
fn describe_toml_error(e: &toml::de::Error, text: &str, path: &Path) -> String {
    let line = e
        .span()
        .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
    let location = match line {
        Some(l) => format!("{}:{l}", path.display()),
        None => path.display().to_string(),
    };
    let message = e.message();
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((key, _)) = rest.split_once('`')
    {
        let known = if message.contains("`brokers`") {
            PROFILE_KEYS
        } else {
            TOP_KEYS
        };
        return format!(
            "{location}: unknown key `{key}`{}",
            suggestion(key, known.iter().copied())
        );
    }
    let key = line
        .and_then(|l| text.lines().nth(l - 1))
        .and_then(|l| l.split_once('='))
        .map(|(k, _)| k.trim().to_owned())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    let message = without_quoted_values(message.lines().next().unwrap_or_default());
    match key {
        Some(key) => format!("{location}: {key}: {message}"),
        None => format!("{location}: {message}"),
    }
}

/// `invalid type: string "hunter2", expected a boolean` → `invalid type: string, expected a boolean`.
fn without_quoted_values(message: &str) -> String {
    let mut out = String::new();
    let mut in_quote = false;
    for c in message.chars() {
        match c {
            '"' => in_quote = !in_quote,
            _ if in_quote => {}
            _ => out.push(c),
        }
    }
    out.replace(" ,", ",").replace("  ", " ").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::cluster::SecretOrigin;

    fn parse(text: &str) -> Result<ConfigFile, String> {
        ConfigFile::parse(text, Path::new("/home/u/.config/kview/config.toml"))
    }

    const VALID: &str = r#"
default = "prod"

[clusters.local]
brokers = "127.0.0.1:9092"

[clusters.prod]
brokers = ["b1:9093", "b2:9093"]
security_protocol = "SASL_SSL"
ca_file = "certs/ca.pem"
sasl_mechanism = "SCRAM-SHA-512"
username = "alice"
password_env = "PROD_KAFKA_PASSWORD"
read_only = true
refresh = "2s"

[clusters.mtls]
brokers = "m:9094"
ca_file = "/etc/ca.pem"
cert_file = "/etc/me.pem"
key_file = "/etc/me.key"

[clusters.oidc]
brokers = "o:9093"
sasl_mechanism = "OAUTHBEARER"
oauth_token_endpoint = "https://idp.example.com/token"
oauth_client_id = "kview"
oauth_client_secret_command = "pass show idp"
"#;

    #[test]
    fn a_valid_file_gives_every_profile() {
        let file = parse(VALID).unwrap();
        assert_eq!(file.default.as_deref(), Some("prod"));
        assert_eq!(file.clusters.len(), 4);
        let prod = file.cluster("prod").unwrap();
        assert_eq!(prod.brokers, ["b1:9093", "b2:9093"]);
        assert_eq!(prod.protocol, SecurityProtocol::SaslSsl);
        assert_eq!(
            prod.tls.ca_file.as_deref(),
            Some(Path::new("/home/u/.config/kview/certs/ca.pem")),
            "relative paths are from the config file's folder"
        );
        assert_eq!(prod.read_only, Some(true));
        assert_eq!(prod.refresh, Some(Duration::from_secs(2)));
        let sasl = prod.sasl.as_ref().unwrap();
        assert_eq!(sasl.mechanism, SaslMechanism::ScramSha512);
        assert!(matches!(
            &sasl.secret,
            SaslSecretConfig::Password(SecretOrigin::Env(v)) if v == "PROD_KAFKA_PASSWORD"
        ));
        let mtls = file.cluster("mtls").unwrap();
        assert_eq!(
            mtls.protocol,
            SecurityProtocol::Ssl,
            "implied by the TLS files"
        );
        assert_eq!(
            file.cluster("local").unwrap().protocol,
            SecurityProtocol::Plaintext
        );
        let oidc = file.cluster("oidc").unwrap();
        assert_eq!(oidc.protocol, SecurityProtocol::SaslSsl);
        assert!(matches!(
            oidc.sasl.as_ref().unwrap().secret,
            SaslSecretConfig::Token(TokenConfig::ClientCredentials { .. })
        ));
    }

    #[test]
    fn a_typo_names_file_line_and_the_nearest_key() {
        let e = parse("[clusters.a]\nbrokers = \"x:1\"\npasword_env = \"P\"\n").unwrap_err();
        assert_eq!(
            e,
            "/home/u/.config/kview/config.toml:3: unknown key `pasword_env` (did you mean `password_env`?)"
        );
        let e = parse("defualt = \"a\"\n").unwrap_err();
        assert!(
            e.contains(":1: unknown key `defualt` (did you mean `default`?)"),
            "{e}"
        );
    }

    #[test]
    fn a_wrong_value_names_the_key_and_never_the_value() {
        let e =
            parse("[clusters.a]\nbrokers = \"x:1\"\nread_only = \"s3cr3t-value\"\n").unwrap_err();
        assert!(
            e.starts_with("/home/u/.config/kview/config.toml:3: read_only: "),
            "{e}"
        );
        assert!(!e.contains("s3cr3t"), "{e}");
        // A password written inline is not a key kview takes; the value is not repeated.
        let e = parse("[clusters.a]\nbrokers = \"x:1\"\npassword = \"hunter2\"\n").unwrap_err();
        assert!(e.contains(":3: unknown key `password`"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn inconsistent_profiles_are_refused_with_a_reason() {
        let cases = [
            (
                "[clusters.a]\nsecurity_protocol = \"SSL\"\n",
                "brokers is missing",
            ),
            (
                "[clusters.a]\nbrokers = \"x:1\"\nsasl_mechanism = \"SCRAM-SHA-256\"\n",
                "needs password_env, password_file or password_command",
            ),
            (
                "[clusters.a]\nbrokers = \"x:1\"\nsasl_mechanism = \"PLAIN\"\nusername = \"u\"\npassword_env = \"A\"\npassword_file = \"f\"\n",
                "not password_env and password_file",
            ),
            (
                "[clusters.a]\nbrokers = \"x:1\"\nsasl_mechanism = \"GSSAPI\"\n",
                "GSSAPI (Kerberos) is not supported",
            ),
            (
                "[clusters.a]\nbrokers = \"x:1\"\nsecurity_protocol = \"TLS\"\n",
                "unknown security protocol",
            ),
            (
                "[clusters.a]\nbrokers = \"x:1\"\nrefresh = \"fast\"\n",
                "refresh",
            ),
            (
                "default = \"prdo\"\n[clusters.prod]\nbrokers = \"x:1\"\n",
                "(did you mean `prod`?)",
            ),
            (
                "[clusters.a]\nbrokers = \"x:1\"\nsecurity_protocol = \"PLAINTEXT\"\nca_file = \"c\"\n",
                "does not use TLS",
            ),
        ];
        for (text, expected) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.contains(expected), "{text:?} gave {e:?}");
            assert!(e.starts_with("/home/u/.config/kview/config.toml"), "{e}");
        }
    }

    #[test]
    fn an_unknown_cluster_lists_the_known_ones() {
        let file = parse(VALID).unwrap();
        let e = file.cluster("prdo").unwrap_err();
        assert!(e.contains("(did you mean `prod`?)"), "{e}");
        assert!(e.contains("clusters: local, mtls, oidc, prod"), "{e}");
    }

    #[test]
    fn quoted_values_are_dropped_from_messages() {
        assert_eq!(
            without_quoted_values("invalid type: string \"hunter2\", expected a boolean"),
            "invalid type: string, expected a boolean"
        );
    }
}
