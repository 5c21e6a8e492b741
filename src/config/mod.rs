//! Where kview connects and how: the command line, the environment, a config file of named
//! clusters, or a Kafka properties file, joined by one precedence rule (CLI > environment >
//! config file > default).

pub mod cluster;
pub mod connect;
pub mod file;
pub mod properties;

use std::path::PathBuf;

pub use cluster::ClusterConfig;
pub use file::ConfigFile;

/// Where kview connects when nothing says otherwise.
pub const DEFAULT_BROKERS: &str = "127.0.0.1:9092";

/// The first layer that says something: command line, then environment, then config file.
pub fn layered<T>(cli: Option<T>, env: Option<T>, file: Option<T>) -> Option<T> {
    cli.or(env).or(file)
}

/// A yes/no as people write it in the environment: 1/true/yes/on or 0/false/no/off.
pub fn parse_boolish(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "y" => Ok(true),
        "0" | "false" | "no" | "off" | "n" | "" => Ok(false),
        _ => Err(format!(
            "{value:?} is not yes or no (use 1/true/yes or 0/false/no)"
        )),
    }
}

/// What the command line says about the connection.
#[derive(Debug, Default, Clone)]
pub struct CliChoice {
    pub brokers: Option<Vec<String>>,
    pub cluster: Option<String>,
    pub config: Option<PathBuf>,
    pub command_config: Option<PathBuf>,
    pub read_only: Option<bool>,
    pub schema_registry: Option<String>,
    /// `--connect NAME|URL`: one of the profile's Connect clusters, or a worker's URL.
    pub connect: Option<String>,
    /// `--no-mask`: lift the masking rules a profile does not enforce.
    pub no_mask: bool,
}

/// The cluster to connect to, the profiles there are to switch to, and what overrides them.
#[derive(Debug)]
pub struct Resolved {
    pub file: ConfigFile,
    pub cluster: ClusterConfig,
    /// Read-only as the command line or environment say it; it holds for every profile.
    pub read_only_override: Option<bool>,
    /// Said once, on stderr or in the log panel.
    pub warnings: Vec<String>,
    pub no_mask: bool,
}

impl Resolved {
    pub fn read_only(&self) -> bool {
        self.read_only_for(&self.cluster)
    }

    /// What is hidden of the records of the cluster chosen.
    pub fn masking(&self) -> crate::decode::mask::Masking {
        self.masking_for(&self.cluster)
    }

    /// `cluster`'s masking rules, without those `--no-mask` lifts.
    pub fn masking_for(&self, cluster: &ClusterConfig) -> crate::decode::mask::Masking {
        let mut masking = cluster.mask.clone();
        if self.no_mask {
            masking.lift();
        }
        masking
    }

    /// Whether `cluster` is read-only: the command line or environment, else its profile.
    pub fn read_only_for(&self, cluster: &ClusterConfig) -> bool {
        layered(self.read_only_override, None, cluster.read_only).unwrap_or(false)
    }
}

/// Resolves the connection from the command line, the environment (`env`, so tests can pass
/// their own) and the files they name.
pub fn resolve(cli: &CliChoice, env: &dyn Fn(&str) -> Option<String>) -> Result<Resolved, String> {
    let env_nonempty = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let explicit_config = layered(
        cli.config.clone(),
        env_nonempty("KVIEW_CONFIG").map(PathBuf::from),
        None,
    );
    let file = match &explicit_config {
        Some(path) => ConfigFile::load(path, true)?,
        None => match ConfigFile::default_path() {
            Some(path) => ConfigFile::load(&path, false)?,
            None => ConfigFile::default(),
        },
    };
    let mut warnings = Vec::new();
    let mut cluster = match &cli.command_config {
        Some(path) => {
            let cluster = properties::load(path)?;
            if !cluster.ignored_keys.is_empty() {
                warnings.push(format!(
                    "{}: ignoring keys kview does not use: {}",
                    path.display(),
                    cluster.ignored_keys.join(", ")
                ));
            }
            cluster
        }
        None => match layered(
            cli.cluster.clone(),
            env_nonempty("KVIEW_CLUSTER"),
            file.default.clone(),
        ) {
            Some(name) => file.cluster(&name)?.clone(),
            None => ClusterConfig::default(),
        },
    };
    // A file or profile named on the command line is a choice made now: its brokers and
    // registry beat the environment's (as `kubectl --kubeconfig` beats KUBECONFIG), and one line
    // says the environment was passed over.
    let named = match (&cli.command_config, &cli.cluster) {
        (Some(path), _) => Some(format!("-F {}", path.display())),
        (None, Some(name)) => Some(format!("--cluster {name}")),
        (None, None) => None,
    };
    let mut from_env = |var: &str, file_has: bool| {
        let value = env_nonempty(var);
        match (&named, value) {
            (Some(choice), Some(_)) if file_has => {
                warnings.push(format!(
                    "{var} is set, but {choice} names its own: using {choice}"
                ));
                None
            }
            (_, value) => value,
        }
    };
    let file_brokers = Some(cluster.brokers.clone()).filter(|b| !b.is_empty());
    let env_brokers = from_env("KVIEW_BROKERS", file_brokers.is_some()).map(|v| split_brokers(&v));
    let env_registry = from_env("KVIEW_SCHEMA_REGISTRY", cluster.schema_registry.is_some());
    cluster.brokers = checked_brokers(
        layered(cli.brokers.clone(), env_brokers, file_brokers)
            .unwrap_or_else(|| vec![DEFAULT_BROKERS.to_owned()]),
    )?;
    if let Some(url) = layered(cli.schema_registry.clone(), env_registry, None) {
        // The URL changes; a profile's credentials for its registry stay.
        let mut registry = cluster.schema_registry.take().unwrap_or_default();
        registry.url = url;
        cluster.schema_registry = Some(registry);
    }
    let env_connect = from_env("KVIEW_CONNECT", !cluster.connect.is_empty());
    if let Some(choice) = layered(cli.connect.clone(), env_connect, None) {
        cluster.connect = pick_connect(std::mem::take(&mut cluster.connect), &choice)?;
    }
    let env_read_only = env_nonempty("KVIEW_READ_ONLY")
        .map(|v| parse_boolish(&v).map_err(|e| format!("KVIEW_READ_ONLY: {e}")))
        .transpose()?;
    if cli.no_mask {
        let mut masking = cluster.mask.clone();
        match masking.lift() {
            (0, 0) => {}
            (lifted, 0) => warnings.push(format!(
                "--no-mask: {} lifted; records show in clear",
                crate::human::plural(lifted as i64, "masking rule")
            )),
            (lifted, kept) => warnings.push(format!(
                "--no-mask: {} lifted; {} the profile enforces still {}",
                crate::human::plural(lifted as i64, "masking rule"),
                kept,
                if kept == 1 { "holds" } else { "hold" }
            )),
        }
    }
    Ok(Resolved {
        file,
        cluster,
        read_only_override: layered(cli.read_only, env_read_only, None),
        warnings,
        no_mask: cli.no_mask,
    })
}

/// Every address is `host:port` with a port in 1–65535; the same address given twice (`-b a
/// -b a`) is kept once. An empty list is refused.
pub fn checked_brokers(brokers: Vec<String>) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::with_capacity(brokers.len());
    for b in brokers {
        let valid = b.rsplit_once(':').is_some_and(|(host, port)| {
            !host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .is_empty()
                && port.parse::<u16>().is_ok_and(|p| p > 0)
        });
        if !valid {
            return Err(format!(
                "invalid broker address {b:?}: use host:port, e.g. localhost:9092"
            ));
        }
        if !out.contains(&b) {
            out.push(b);
        }
    }
    if out.is_empty() {
        return Err("no bootstrap brokers given".into());
    }
    Ok(out)
}

/// `a:9092, b:9092` → two addresses.
pub fn split_brokers(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The Connect cluster `choice` names: one of the profile's by name or URL (its credentials
/// kept), else a worker's URL on its own.
fn pick_connect(
    configured: Vec<connect::ConnectConfig>,
    choice: &str,
) -> Result<Vec<connect::ConnectConfig>, String> {
    let trimmed = choice.trim().trim_end_matches('/');
    if let Some(found) = configured
        .iter()
        .find(|c| c.name == trimmed || c.url.trim_end_matches('/') == trimmed)
    {
        return Ok(vec![found.clone()]);
    }
    if trimmed.contains("://") {
        crate::http::base_url(trimmed, "Kafka Connect")?;
        return Ok(vec![connect::ConnectConfig::from_url(trimmed)]);
    }
    let names: Vec<&str> = configured.iter().map(|c| c.name.as_str()).collect();
    Err(if names.is_empty() {
        format!(
            "--connect {trimmed}: give a worker's URL (http://host:8083); the profile names no Connect cluster"
        )
    } else {
        format!(
            "--connect {trimmed}: no Connect cluster of that name{} (the profile has: {})",
            file::suggestion(trimmed, names.iter().copied()),
            names.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn connect_names_one_of_the_profiles_connect_clusters_or_a_url() {
        let configured = vec![
            connect::ConnectConfig::from_url("http://cdc:8083"),
            connect::ConnectConfig {
                name: "sinks".into(),
                url: "https://sinks:8083".into(),
                username: Some("u".into()),
                ..Default::default()
            },
        ];
        let by_name = pick_connect(configured.clone(), "sinks").unwrap();
        assert_eq!(by_name[0].username.as_deref(), Some("u"));
        let by_url = pick_connect(configured.clone(), "https://sinks:8083/").unwrap();
        assert_eq!(by_url[0].name, "sinks", "its credentials kept");
        let other = pick_connect(configured.clone(), "http://else:8083").unwrap();
        assert_eq!(
            (other[0].name.as_str(), other[0].username.is_none()),
            ("else", true)
        );
        let typo = pick_connect(configured, "sink").unwrap_err();
        assert!(
            typo.contains("did you mean `sinks`?") && typo.contains("cdc, sinks"),
            "{typo}"
        );
        assert!(
            pick_connect(Vec::new(), "cdc")
                .unwrap_err()
                .contains("give a worker's URL")
        );
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn config_file(dir: &tempfile::TempDir) -> PathBuf {
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "default = \"a\"\n[clusters.a]\nbrokers = \"a:1\"\n\n[clusters.b]\nbrokers = \"b:1\"\nread_only = true\n",
        )
        .unwrap();
        path
    }

    #[test]
    fn command_line_beats_environment_beats_file_beats_default() {
        let dir = tempfile::tempdir().unwrap();
        let cli = CliChoice {
            config: Some(config_file(&dir)),
            ..CliChoice::default()
        };
        let none = env_of(&[]);
        let r = resolve(&cli, &none).unwrap();
        assert_eq!(r.cluster.name.as_deref(), Some("a"), "the file's default");
        assert_eq!(r.cluster.brokers, ["a:1"]);
        assert!(!r.read_only());

        let env = env_of(&[("KVIEW_CLUSTER", "b"), ("KVIEW_BROKERS", "e:1,e:2")]);
        let r = resolve(&cli, &env).unwrap();
        assert_eq!(
            r.cluster.name.as_deref(),
            Some("b"),
            "environment over the file"
        );
        assert_eq!(
            r.cluster.brokers,
            ["e:1", "e:2"],
            "environment over the profile"
        );
        assert!(r.read_only(), "the profile's read_only");

        let cli_wins = CliChoice {
            cluster: Some("a".into()),
            brokers: Some(vec!["c:1".into()]),
            read_only: Some(true),
            ..cli.clone()
        };
        let r = resolve(&cli_wins, &env).unwrap();
        assert_eq!(r.cluster.name.as_deref(), Some("a"));
        assert_eq!(r.cluster.brokers, ["c:1"]);
        assert!(r.read_only());
        let b = r.file.cluster("b").unwrap();
        assert!(r.read_only_for(b));

        let env_off = env_of(&[("KVIEW_READ_ONLY", "no")]);
        let r = resolve(
            &CliChoice {
                cluster: Some("b".into()),
                ..cli.clone()
            },
            &env_off,
        )
        .unwrap();
        assert!(
            !r.read_only(),
            "KVIEW_READ_ONLY=no over the profile's read_only"
        );
    }

    #[test]
    fn a_file_or_profile_named_on_the_command_line_beats_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let props = dir.path().join("secure.properties");
        std::fs::write(
            &props,
            "bootstrap.servers=s:9093\nsecurity.protocol=SSL\nschema.registry.url=http://r:1\n",
        )
        .unwrap();
        let env = env_of(&[
            ("KVIEW_BROKERS", "127.0.0.1:9092"),
            ("KVIEW_SCHEMA_REGISTRY", "http://elsewhere:2"),
        ]);
        let cli = CliChoice {
            command_config: Some(props.clone()),
            config: Some(config_file(&dir)),
            ..CliChoice::default()
        };
        let r = resolve(&cli, &env).unwrap();
        assert_eq!(r.cluster.brokers, ["s:9093"], "the file's brokers");
        assert_eq!(r.cluster.schema_registry.unwrap().url, "http://r:1");
        assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);
        assert!(
            r.warnings[0].starts_with("KVIEW_BROKERS is set, but -F ")
                && r.warnings[0].ends_with("secure.properties"),
            "{:?}",
            r.warnings
        );
        let profile = CliChoice {
            cluster: Some("b".into()),
            ..cli.clone()
        };
        let profile = CliChoice {
            command_config: None,
            ..profile
        };
        let r = resolve(&profile, &env).unwrap();
        assert_eq!(r.cluster.brokers, ["b:1"], "the named profile's brokers");
        assert_eq!(
            r.warnings,
            ["KVIEW_BROKERS is set, but --cluster b names its own: using --cluster b"]
        );
        // -b on the command line still beats the file.
        let r = resolve(
            &CliChoice {
                brokers: Some(vec!["c:1".into()]),
                ..cli
            },
            &env,
        )
        .unwrap();
        assert_eq!(r.cluster.brokers, ["c:1"]);
    }

    #[test]
    fn without_any_file_the_default_broker() {
        let dir = tempfile::tempdir().unwrap();
        let cli = CliChoice {
            config: Some(dir.path().join("absent.toml")),
            ..CliChoice::default()
        };
        let e = resolve(&cli, &env_of(&[])).unwrap_err();
        assert!(e.contains("absent.toml"), "a named file must exist: {e}");
        let env = env_of(&[("KVIEW_CONFIG", "")]);
        let r = resolve(&CliChoice::default(), &env).unwrap();
        assert!(!r.cluster.brokers.is_empty());
    }

    #[test]
    fn broker_lists_are_checked_and_merged() {
        let ok = |v: &[&str]| checked_brokers(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            ok(&["a:1", "b:2", "a:1"]).unwrap(),
            ["a:1", "b:2"],
            "merged, in order"
        );
        assert_eq!(ok(&["[::1]:9092"]).unwrap(), ["[::1]:9092"]);
        for bad in ["localhost", ":9092", "h:0", "h:99999", "h:port", "h:"] {
            let e = ok(&[bad]).unwrap_err();
            assert!(e.starts_with("invalid broker address"), "{bad}: {e}");
        }
        assert_eq!(ok(&[]).unwrap_err(), "no bootstrap brokers given");
    }

    #[test]
    fn read_only_is_written_as_people_write_it() {
        for yes in ["1", "true", "TRUE", "yes", "on"] {
            assert_eq!(parse_boolish(yes), Ok(true), "{yes}");
        }
        for no in ["0", "false", "no", "off", ""] {
            assert_eq!(parse_boolish(no), Ok(false), "{no}");
        }
        let e = resolve(
            &CliChoice::default(),
            &env_of(&[("KVIEW_READ_ONLY", "maybe")]),
        )
        .unwrap_err();
        assert!(e.starts_with("KVIEW_READ_ONLY: "), "{e}");
    }
}
