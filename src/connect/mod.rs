//! A client of Kafka Connect's REST API: connectors with their state, tasks and failures, the
//! actions on them, and the plugins a worker has. Blocking (ureq), as the schema registry's
//! client is; callers run it off the async threads. Every request has a deadline: an
//! unreachable worker is one line, never a hang.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

/// How long one request to a worker may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A Connect cluster, reached through one worker's REST URL.
#[derive(Clone)]
pub struct ConnectClient {
    agent: ureq::Agent,
    base: String,
    /// Basic auth's header value, when the worker asks for credentials.
    authorization: Option<std::sync::Arc<secrecy::SecretString>>,
}

impl std::fmt::Debug for ConnectClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectClient")
            .field("url", &self.base)
            .finish_non_exhaustive()
    }
}

/// A connector as the worker reports it, with its tasks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Connector {
    pub name: String,
    /// `source` or `sink`; `unknown` while the worker cannot say.
    pub kind: String,
    pub class: String,
    /// RUNNING, PAUSED, STOPPED, FAILED, UNASSIGNED, RESTARTING.
    pub state: String,
    pub worker: String,
    /// The connector's own failure, when it failed.
    pub trace: Option<String>,
    pub tasks: Vec<Task>,
    /// Its configuration, secrets masked (see [`masked_config`]).
    pub config: Map<String, Value>,
    /// The topics it has read or written; empty until asked for ([`ConnectClient::topics`]).
    pub topics: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    pub id: i64,
    pub state: String,
    pub worker: String,
    pub trace: Option<String>,
}

impl Connector {
    pub fn failed_tasks(&self) -> usize {
        self.tasks.iter().filter(|t| t.state == "FAILED").count()
    }

    pub fn running_tasks(&self) -> usize {
        self.tasks.iter().filter(|t| t.state == "RUNNING").count()
    }

    /// The first line of the first failure (the connector's, else a task's).
    pub fn first_failure(&self) -> Option<String> {
        self.trace
            .as_deref()
            .or_else(|| self.tasks.iter().find_map(|t| t.trace.as_deref()))
            .map(first_line)
    }
}

/// A trace's first useful line: Java's `Exception: message`, without the stack below it.
pub fn first_line(trace: &str) -> String {
    trace
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_owned()
}

/// An action on a connector, as the dashboard's keys ask for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectAction {
    Pause,
    Resume,
    Stop,
    /// The connector and its tasks.
    Restart,
    Delete,
}

impl ConnectAction {
    /// "paused", said after it was done.
    pub fn done(self) -> &'static str {
        match self {
            ConnectAction::Pause => "paused",
            ConnectAction::Resume => "resumed",
            ConnectAction::Stop => "stopped",
            ConnectAction::Restart => "restarted",
            ConnectAction::Delete => "deleted",
        }
    }

    pub fn run(self, client: &ConnectClient, name: &str) -> Result<(), String> {
        match self {
            ConnectAction::Pause => client.pause(name),
            ConnectAction::Resume => client.resume(name),
            ConnectAction::Stop => client.stop(name),
            ConnectAction::Restart => client.restart(name, true, false),
            ConnectAction::Delete => client.delete(name),
        }
    }
}

/// What the worker says of a config that does not validate: the errors of each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub fields: Vec<(String, Vec<String>)>,
}

/// A connector plugin installed on the worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plugin {
    pub class: String,
    pub kind: String,
    pub version: String,
}

/// Keys whose values are secrets (masked wherever a config is shown).
fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "credential",
        "api.key",
        "apikey",
        "jaas.config",
        "private.key",
    ]
    .iter()
    .any(|s| key.contains(s))
}

/// A config with secrets masked: values of keys that look like passwords become `********`;
/// `${provider:path:key}` references are kept, as they name where the secret is, not what.
pub fn masked_config(config: &Map<String, Value>) -> Map<String, Value> {
    config
        .iter()
        .map(|(k, v)| {
            let reference = v.as_str().is_some_and(|s| s.starts_with("${"));
            let shown = if is_secret_key(k) && !reference {
                Value::String("********".into())
            } else {
                v.clone()
            };
            (k.clone(), shown)
        })
        .collect()
}

fn with_auth<B>(request: ureq::RequestBuilder<B>, auth: Option<&str>) -> ureq::RequestBuilder<B> {
    match auth {
        Some(value) => request.header("Authorization", value),
        None => request,
    }
}

/// Why a request to Connect failed: a worker rebalancing (worth asking again), or anything else.
enum Failed {
    Rebalancing(String),
    Other(String),
}

/// Whether Connect's answer says its workers are rebalancing: they answer 409 or 500 for a
/// moment after connectors change ("a rebalance is expected", "rebalance is in progress",
/// "cannot complete request momentarily due to stale configuration"), without doing what was
/// asked.
fn rebalancing(status: u16, message: &str) -> bool {
    matches!(status, 409 | 500)
        && (message.contains("rebalance") || message.contains("stale configuration"))
}

impl From<String> for Failed {
    fn from(said: String) -> Self {
        Failed::Other(said)
    }
}

impl ConnectClient {
    /// `url` is a worker's REST base (`http://host:8083`); `basic_auth` a user and password
    /// for workers behind basic auth; `ca_file` a PEM bundle to trust instead of the built-in
    /// roots.
    pub fn new(
        url: &str,
        basic_auth: Option<(String, secrecy::SecretString)>,
        ca_file: Option<&Path>,
    ) -> Result<Self, String> {
        let base = crate::http::base_url(url, "Kafka Connect")?;
        let agent = crate::http::agent(REQUEST_TIMEOUT, ca_file, "Kafka Connect")?;
        let authorization =
            basic_auth.map(|(user, password)| crate::http::basic_authorization(&user, &password));
        Ok(ConnectClient {
            agent,
            base,
            authorization,
        })
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    /// A request; one that meets a worker rebalancing (which a worker answers for a moment
    /// after connectors change, having done nothing) is asked again, up to 5 s.
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let mut tries = 0;
        loop {
            match self.call_once(method, path, body) {
                Ok(value) => return Ok(value),
                Err(Failed::Rebalancing(_)) if tries < 10 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(500));
                }
                Err(Failed::Rebalancing(e) | Failed::Other(e)) => return Err(e),
            }
        }
    }

    fn call_once(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, Failed> {
        use secrecy::ExposeSecret;
        let url = format!("{}{path}", self.base);
        let auth = self.authorization.as_ref().map(|a| a.expose_secret());
        let result = match (method, body) {
            ("GET", _) => with_auth(self.agent.get(&url), auth).call(),
            ("DELETE", _) => with_auth(self.agent.delete(&url), auth).call(),
            ("PUT", Some(b)) => with_auth(self.agent.put(&url), auth).send_json(b),
            ("PUT", None) => with_auth(self.agent.put(&url), auth).send_empty(),
            ("POST", Some(b)) => with_auth(self.agent.post(&url), auth).send_json(b),
            (_, _) => with_auth(self.agent.post(&url), auth).send_empty(),
        };
        let mut response = result.map_err(|e| {
            format!(
                "cannot reach Kafka Connect at {}: {}",
                self.base,
                crate::http::transport_reason(&e, REQUEST_TIMEOUT)
            )
        })?;
        let status = response.status().as_u16();
        if matches!(status, 401 | 403) {
            let asked = if self.authorization.is_some() {
                "refused the credentials"
            } else {
                "asks for credentials (a username and password in the profile's connect entry)"
            };
            return Err(format!("Kafka Connect at {} {asked} (HTTP {status})", self.base).into());
        }
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let json: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).map_err(|_| {
                format!(
                    "{} answered {method} {path} with something that is not Kafka Connect's API (HTTP {status})",
                    self.base
                )
            })?
        };
        if (200..300).contains(&status) {
            return Ok(json);
        }
        let message = json["message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("HTTP {status}"));
        let said = match status {
            404 => format!("Kafka Connect: {message}"),
            _ => format!("Kafka Connect ({method} {path}, HTTP {status}): {message}"),
        };
        Err(match rebalancing(status, &message) {
            true => Failed::Rebalancing(said),
            false => Failed::Other(said),
        })
    }

    /// Every connector with its status and config, by name.
    pub fn connectors(&self) -> Result<Vec<Connector>, String> {
        let all = self.call("GET", "/connectors?expand=status&expand=info", None)?;
        let Some(all) = all.as_object() else {
            return Err(format!(
                "{} listed its connectors in an unknown shape",
                self.base
            ));
        };
        let mut out: Vec<Connector> = all.iter().map(|(name, c)| connector(name, c)).collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Every connector as [`connectors`](Self::connectors), with the topics of each.
    pub fn connectors_with_topics(&self) -> Result<Vec<Connector>, String> {
        let connectors = self.connectors()?;
        Ok(connectors
            .into_iter()
            .map(|c| self.with_topics(c))
            .collect())
    }

    /// The connector with its topics: those Connect saw it use, and a sink's configured
    /// `topics` it may not have read from yet.
    pub fn with_topics(&self, mut c: Connector) -> Connector {
        // A connector deleted between the two answers has no topics to name.
        let mut topics = self.topics(&c.name).unwrap_or_default();
        if c.kind == "sink"
            && let Some(list) = c.config.get("topics").and_then(Value::as_str)
        {
            topics.extend(
                list.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned),
            );
        }
        topics.sort();
        topics.dedup();
        c.topics = topics;
        c
    }

    pub fn connector(&self, name: &str) -> Result<Connector, String> {
        let path = encode(name);
        let info = self.call("GET", &format!("/connectors/{path}"), None)?;
        let status = self.call("GET", &format!("/connectors/{path}/status"), None)?;
        Ok(connector(
            name,
            &serde_json::json!({"info": info, "status": status}),
        ))
    }

    /// The topics a connector has read or written (Kafka Connect's active topics).
    pub fn topics(&self, name: &str) -> Result<Vec<String>, String> {
        let answer = self.call("GET", &format!("/connectors/{}/topics", encode(name)), None)?;
        let mut topics: Vec<String> = answer[name]["topics"]
            .as_array()
            .map(|t| {
                t.iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        topics.sort();
        Ok(topics)
    }

    pub fn pause(&self, name: &str) -> Result<(), String> {
        self.call("PUT", &format!("/connectors/{}/pause", encode(name)), None)
            .map(drop)
    }

    pub fn resume(&self, name: &str) -> Result<(), String> {
        self.call("PUT", &format!("/connectors/{}/resume", encode(name)), None)
            .map(drop)
    }

    pub fn stop(&self, name: &str) -> Result<(), String> {
        self.call("PUT", &format!("/connectors/{}/stop", encode(name)), None)
            .map(drop)
    }

    pub fn restart(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<(), String> {
        let path = format!(
            "/connectors/{}/restart?includeTasks={include_tasks}&onlyFailed={only_failed}",
            encode(name)
        );
        self.call("POST", &path, None).map(drop)
    }

    pub fn delete(&self, name: &str) -> Result<(), String> {
        self.call("DELETE", &format!("/connectors/{}", encode(name)), None)
            .map(drop)
    }

    /// Asks the worker whether `config` is valid for its connector class.
    pub fn validate(&self, config: &Map<String, Value>) -> Result<Result<(), Invalid>, String> {
        let Some(class) = config.get("connector.class").and_then(Value::as_str) else {
            return Err("the config has no connector.class".into());
        };
        let path = format!("/connector-plugins/{}/config/validate", encode(class));
        let answer = self.call("PUT", &path, Some(&Value::Object(config.clone())))?;
        let mut fields = Vec::new();
        for c in answer["configs"].as_array().into_iter().flatten() {
            let errors: Vec<String> = c["value"]["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_str().map(str::to_owned))
                .collect();
            if !errors.is_empty() {
                let name = c["value"]["name"].as_str().unwrap_or("?").to_owned();
                fields.push((name, errors));
            }
        }
        Ok(if fields.is_empty() {
            Ok(())
        } else {
            Err(Invalid { fields })
        })
    }

    /// Creates a connector, or replaces the config of one (PUT /connectors/NAME/config).
    pub fn put_config(&self, name: &str, config: &Map<String, Value>) -> Result<(), String> {
        let path = format!("/connectors/{}/config", encode(name));
        self.call("PUT", &path, Some(&Value::Object(config.clone())))
            .map(drop)
    }

    /// The raw config of a connector (secrets as stored: only for changing it).
    pub fn config(&self, name: &str) -> Result<Map<String, Value>, String> {
        let answer = self.call("GET", &format!("/connectors/{}/config", encode(name)), None)?;
        answer
            .as_object()
            .cloned()
            .ok_or_else(|| format!("{} answered a config that is not an object", self.base))
    }

    /// A stopped connector's offsets (KIP-875), as the worker lists them.
    pub fn offsets(&self, name: &str) -> Result<Value, String> {
        self.call(
            "GET",
            &format!("/connectors/{}/offsets", encode(name)),
            None,
        )
    }

    /// Removes a stopped connector's offsets, so it starts from the beginning when resumed.
    pub fn reset_offsets(&self, name: &str) -> Result<(), String> {
        self.call(
            "DELETE",
            &format!("/connectors/{}/offsets", encode(name)),
            None,
        )
        .map(drop)
    }

    pub fn plugins(&self) -> Result<Vec<Plugin>, String> {
        let answer = self.call("GET", "/connector-plugins", None)?;
        let mut out: Vec<Plugin> = answer
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| Plugin {
                class: p["class"].as_str().unwrap_or_default().to_owned(),
                kind: p["type"].as_str().unwrap_or_default().to_owned(),
                version: p["version"].as_str().unwrap_or_default().to_owned(),
            })
            .collect();
        out.sort_by(|a, b| a.class.cmp(&b.class));
        Ok(out)
    }
}

/// One connector from `{"info": ..., "status": ...}` as `/connectors?expand=…` answers.
fn connector(name: &str, c: &Value) -> Connector {
    let info = &c["info"];
    let status = &c["status"];
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let config: Map<String, Value> = info["config"].as_object().cloned().unwrap_or_default();
    let mut tasks: Vec<Task> = status["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| Task {
            id: t["id"].as_i64().unwrap_or(-1),
            state: text(&t["state"]),
            worker: text(&t["worker_id"]),
            trace: t["trace"].as_str().map(str::to_owned),
        })
        .collect();
    tasks.sort_by_key(|t| t.id);
    let kind = status["type"]
        .as_str()
        .or_else(|| info["type"].as_str())
        .unwrap_or("unknown")
        .to_owned();
    Connector {
        name: name.to_owned(),
        kind,
        class: config.get("connector.class").map(text).unwrap_or_default(),
        state: text(&status["connector"]["state"]),
        worker: text(&status["connector"]["worker_id"]),
        trace: status["connector"]["trace"].as_str().map(str::to_owned),
        tasks,
        config: masked_config(&config),
        topics: Vec::new(),
    }
}

/// A name as one path segment of a URL.
fn encode(segment: &str) -> String {
    crate::http::path_segment(segment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_and_references_kept() {
        let config: Map<String, Value> = serde_json::from_value(serde_json::json!({
            "connection.password": "hunter2",
            "aws.secret.access.key": "abc",
            "connection.user": "app",
            "db.password": "${file:/etc/secrets.properties:db}",
        }))
        .unwrap();
        let shown = masked_config(&config);
        assert_eq!(shown["connection.password"], "********");
        assert_eq!(shown["aws.secret.access.key"], "********");
        assert_eq!(shown["connection.user"], "app");
        assert_eq!(shown["db.password"], "${file:/etc/secrets.properties:db}");
    }

    #[test]
    fn only_a_rebalancing_worker_is_asked_again() {
        let said = "Request cannot be completed because a rebalance is expected";
        assert!(rebalancing(500, said));
        assert!(rebalancing(
            409,
            "Cannot complete request: worker rebalance in progress"
        ));
        // A restart asked while another connector's config was being written.
        assert!(rebalancing(
            409,
            "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)"
        ));
        // A connector named for it, not found, is an answer.
        assert!(!rebalancing(404, "Connector rebalance-sink not found"));
        assert!(!rebalancing(500, "Unexpected error"));
    }

    #[test]
    fn a_status_reads_with_its_tasks_and_first_failure() {
        let c = connector(
            "sink",
            &serde_json::json!({
                "info": {"config": {"connector.class": "FileStreamSink", "password": "x"}, "type": "sink"},
                "status": {
                    "connector": {"state": "RUNNING", "worker_id": "127.0.0.1:8083"},
                    "tasks": [
                        {"id": 1, "state": "RUNNING", "worker_id": "w"},
                        {"id": 0, "state": "FAILED", "worker_id": "w",
                         "trace": "\norg.apache.kafka.connect.errors.ConnectException: /x: Permission denied\n\tat A.b(A.java:1)"}
                    ],
                    "type": "sink"
                }
            }),
        );
        assert_eq!(c.kind, "sink");
        assert_eq!(c.failed_tasks(), 1);
        assert_eq!(c.running_tasks(), 1);
        assert_eq!(c.tasks[0].id, 0);
        assert_eq!(
            c.first_failure().as_deref(),
            Some("org.apache.kafka.connect.errors.ConnectException: /x: Permission denied")
        );
        assert_eq!(c.config["password"], "********");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }
}
