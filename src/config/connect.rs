//! The Kafka Connect clusters of a profile:
//!
//! ```toml
//! [clusters.prod]
//! connect = ["http://connect-1:8083"]          # named after the host
//!
//! [[clusters.prod.connect]]                     # or one table each
//! name = "cdc"
//! url = "https://connect-cdc:8083"
//! username = "admin"
//! password_env = "CONNECT_PASSWORD"            # or password_file, password_command
//! ca_file = "~/certs/connect-ca.pem"
//! ```

use std::path::PathBuf;

use serde::Deserialize;

use super::cluster::{SecretOrigin, basic_auth};

/// One Kafka Connect cluster beside a Kafka cluster, reached through a worker's REST URL.
#[derive(Debug, Clone, Default)]
pub struct ConnectConfig {
    /// How the profile names it (`cdc`); the URL's host when it names none.
    pub name: String,
    pub url: String,
    pub username: Option<String>,
    pub password: Option<SecretOrigin>,
    pub ca_file: Option<PathBuf>,
}

impl ConnectConfig {
    /// A worker given by its URL alone, named after its host.
    pub fn from_url(url: &str) -> Self {
        ConnectConfig {
            name: host_of(url),
            url: url.trim().to_owned(),
            ..ConnectConfig::default()
        }
    }

    /// A client for it; reads the password (from its origin) and the CA file.
    pub async fn client(&self) -> Result<crate::connect::ConnectClient, String> {
        let what = format!("Kafka Connect {}", self.name);
        let auth = basic_auth(&self.username, &self.password, &what).await?;
        crate::connect::ConnectClient::new(&self.url, auth, self.ca_file.as_deref())
    }
}

/// `https://connect-1.example.com:8083/` → `connect-1.example.com`.
pub fn host_of(url: &str) -> String {
    let rest = url.trim().split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    host.to_owned()
}

/// The profile's `connect` key as written.
#[derive(Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a URL, or a list of URLs and tables (name, url, username, password_env|_file|_command, ca_file)"
)]
pub(super) enum ConnectSetting {
    One(String),
    Many(Vec<ConnectEntry>),
}

#[derive(Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a URL or a table of name, url, username, password_env|_file|_command, ca_file"
)]
pub(super) enum ConnectEntry {
    Url(String),
    Worker(ConnectTable),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConnectTable {
    name: Option<String>,
    url: String,
    username: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    password_command: Option<String>,
    ca_file: Option<PathBuf>,
}

impl ConnectSetting {
    /// The Connect clusters named here, paths expanded by `path`; names must differ.
    pub(super) fn configs(
        self,
        path: &dyn Fn(PathBuf) -> PathBuf,
        origin: &str,
    ) -> Result<Vec<ConnectConfig>, String> {
        let entries = match self {
            ConnectSetting::One(url) => vec![ConnectEntry::Url(url)],
            ConnectSetting::Many(entries) => entries,
        };
        let mut configs: Vec<ConnectConfig> = Vec::new();
        for entry in entries {
            let config = match entry {
                ConnectEntry::Url(url) => ConnectConfig::from_url(&url),
                ConnectEntry::Worker(t) => {
                    let origins: Vec<SecretOrigin> = [
                        t.password_env.map(SecretOrigin::Env),
                        t.password_file.map(|p| SecretOrigin::File(path(p))),
                        t.password_command.map(SecretOrigin::Command),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    if origins.len() > 1 {
                        return Err(format!(
                            "{origin}: connect: give a password one way (password_env, password_file or password_command)"
                        ));
                    }
                    let password = origins.into_iter().next();
                    if password.is_some() && t.username.is_none() {
                        return Err(format!("{origin}: connect: a password needs a username"));
                    }
                    ConnectConfig {
                        name: t.name.unwrap_or_else(|| host_of(&t.url)),
                        url: t.url.trim().to_owned(),
                        username: t.username,
                        password,
                        ca_file: t.ca_file.map(path),
                    }
                }
            };
            crate::http::base_url(&config.url, "Kafka Connect")
                .map_err(|e| format!("{origin}: connect: {e}"))?;
            if configs.iter().any(|c| c.name == config.name) {
                return Err(format!(
                    "{origin}: connect: two Connect clusters are named {}; give each a name",
                    config.name
                ));
            }
            configs.push(config);
        }
        Ok(configs)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::ConfigFile;

    fn parse(connect: &str) -> Result<Vec<ConnectConfig>, String> {
        let text = format!("[clusters.p]\nbrokers = \"b:9092\"\n{connect}");
        ConfigFile::parse(&text, Path::new("/etc/kview/config.toml"))
            .map(|f| f.clusters["p"].connect.clone())
    }

    #[test]
    fn urls_are_named_after_their_host_and_tables_by_their_name() {
        let listed = parse("connect = [\"http://connect-1.example.com:8083/\"]").unwrap();
        assert_eq!(listed[0].name, "connect-1.example.com");
        assert_eq!(parse("connect = \"https://c:8083\"").unwrap()[0].name, "c");
        let tables = parse(
            "[[clusters.p.connect]]\nname = \"cdc\"\nurl = \"https://c:8083\"\nusername = \"u\"\npassword_file = \"pw\"\nca_file = \"ca.pem\"\n",
        )
        .unwrap();
        assert_eq!(tables[0].name, "cdc");
        assert_eq!(tables[0].username.as_deref(), Some("u"));
        assert!(
            matches!(&tables[0].password, Some(SecretOrigin::File(p)) if p == Path::new("/etc/kview/pw"))
        );
        assert_eq!(
            tables[0].ca_file.as_deref(),
            Some(Path::new("/etc/kview/ca.pem"))
        );
        // The secret's origin shows in Debug, never a secret.
        assert!(format!("{tables:?}").contains("file /etc/kview/pw"));
    }

    #[test]
    fn connect_entries_that_cannot_work_are_refused_in_one_line() {
        let refused = |connect: &str| parse(connect).unwrap_err();
        assert!(
            refused("connect = [\"http://a:1\", \"http://a:2\"]")
                .contains("two Connect clusters are named a; give each a name")
        );
        assert!(
            refused("[[clusters.p.connect]]\nurl = \"http://a:1\"\npassword_env = \"X\"\n")
                .contains("a password needs a username")
        );
        assert!(
            refused(
                "[[clusters.p.connect]]\nurl = \"http://a:1\"\nusername = \"u\"\npassword_env = \"X\"\npassword_file = \"f\"\n"
            )
            .contains("give a password one way")
        );
        assert!(refused("connect = \"a:8083\"").contains("must start with http:// or https://"));
        assert!(
            refused("connect = \"http://u:pw@a:8083\"")
                .contains("credentials as a username and password setting")
        );
        assert!(
            refused("[[clusters.p.connect]]\nurl = \"http://a:1\"\npasword_env = \"X\"\n")
                .contains("a URL, or a list of URLs and tables (name, url, username")
        );
    }
}
