//! Kafka Connect through kview, against a real distributed worker (`scripts/kafka-local
//! connect`, Kafka's own ConnectDistributed with the FileStream connectors) beside the real
//! broker; what it moves is checked with kcat.

mod common;

use std::process::{Command, Output};
use std::sync::OnceLock;

use common::*;

/// The worker's URL, user and password file (`scripts/kafka-local connect info`); its REST API
/// asks for basic auth.
struct Worker {
    url: String,
    user: String,
    password_file: String,
}

fn worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| {
        broker();
        let run_script = |args: &[&str]| {
            let out = Command::new(repo().join("scripts/kafka-local"))
                .args(args)
                .output()
                .expect("scripts/kafka-local runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        };
        run_script(&["connect", "start"]);
        let info = run_script(&["connect", "info"]);
        let get = |key: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(&format!("{key}=")))
                .unwrap_or_else(|| panic!("connect info names {key}: {info}"))
                .to_owned()
        };
        Worker {
            url: get("URL"),
            user: get("USER"),
            password_file: get("PASSWORD_FILE"),
        }
    })
}

/// A config file whose profile `local` is the test broker with these `connect` entries.
fn profile(dir: &tempfile::TempDir, connect: &str) -> String {
    let path = dir.path().join("config.toml");
    let text = format!("[clusters.local]\nbrokers = \"{}\"\n\n{connect}", broker());
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// The worker as a profile's connect entry, its password read from the file.
fn worker_entry(name: &str, password_file: &str) -> String {
    let w = worker();
    format!(
        "[[clusters.local.connect]]\nname = \"{name}\"\nurl = \"{}\"\nusername = \"{}\"\npassword_file = \"{password_file}\"\n",
        w.url, w.user
    )
}

/// The config file most tests use: the worker, with its credentials.
fn config_file() -> &'static str {
    static CONFIG: OnceLock<(tempfile::TempDir, String)> = OnceLock::new();
    &CONFIG
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let path = profile(&dir, &worker_entry("local", &worker().password_file));
            (dir, path)
        })
        .1
}

fn kview_connect(args: &[&str]) -> Output {
    let mut all = vec!["--config", config_file(), "--cluster", "local", "connect"];
    all.extend_from_slice(args);
    kview_env(&all, &[], None)
}

/// The connector as `kview connect show --json` says it, once `ready` holds.
fn shown_when(
    name: &str,
    what: &str,
    ready: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    wait_until(what, 60, || {
        let out = kview_connect(&["show", name, "--json"]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) if ready(&v) => Ok(v),
            _ => Err(format!("{text}{}", String::from_utf8_lossy(&out.stderr))),
        }
    })
}

/// A connector a test made, deleted when the test ends, passed or failed (the worker keeps
/// its connectors in the broker's topics, across runs).
struct TempConnector(String);

impl Drop for TempConnector {
    fn drop(&mut self) {
        let _ = kview_connect(&["delete", &self.0, "--yes"]);
    }
}

fn write_config(dir: &tempfile::TempDir, config: serde_json::Value) -> std::path::PathBuf {
    let path = dir.path().join("connector.json");
    std::fs::write(&path, config.to_string()).unwrap();
    path
}

/// Records of `topic` as kcat reads them, once there are `n`.
fn read_n(topic: &str, n: usize) -> Vec<String> {
    wait_until(&format!("{n} records in {topic}"), 60, || {
        let read = kcat(
            broker(),
            &["-C", "-t", topic, "-o", "beginning", "-e", "-q"],
            None,
        );
        let lines: Vec<String> = String::from_utf8_lossy(&read)
            .lines()
            .map(str::to_owned)
            .collect();
        if lines.len() >= n {
            Ok(lines)
        } else {
            Err(format!("{lines:?}"))
        }
    })
}

#[test]
fn a_file_source_made_by_kview_fills_a_topic_and_answers_every_action() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.txt");
    std::fs::write(&input, "alpha\nbeta\ngamma\n").unwrap();
    let topic = unique("connect-source");
    let _guard = create_topic(broker(), &topic, 1, 1);
    let name = unique("file-source");
    let _cleanup = TempConnector(name.clone());
    let config = write_config(
        &dir,
        serde_json::json!({
            "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "file": input.to_str().unwrap(),
            "topic": topic,
            "tasks.max": 1,
        }),
    );
    let created = succeeded(&kview_connect(&["create", &name, config.to_str().unwrap()]));
    assert_eq!(created, format!("created connector {name}\n"));
    // Kafka's JSON converter writes each line as a JSON string.
    assert_eq!(read_n(&topic, 3), ["\"alpha\"", "\"beta\"", "\"gamma\""]);

    let listed = wait_until("the connector listed with its topic", 60, || {
        let text = succeeded(&kview_connect(&["--json"]));
        let all: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mine = all
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name.as_str())
            .cloned();
        match mine {
            Some(c) if c["topics"].to_string().contains(&topic) => Ok(c),
            other => Err(format!("{other:?}")),
        }
    });
    assert_eq!(listed["kind"], "source");
    assert_eq!(listed["state"], "RUNNING");
    assert_eq!(listed["tasks"][0]["state"], "RUNNING");
    let table = succeeded(&kview_connect(&[]));
    assert!(
        table.contains(&name) && table.contains("1/1 running"),
        "{table}"
    );

    for (action, state) in [
        ("pause", "PAUSED"),
        ("resume", "RUNNING"),
        ("stop", "STOPPED"),
    ] {
        let said = succeeded(&kview_connect(&[action, &name]));
        assert!(said.ends_with(&format!("connector {name}\n")), "{said}");
        shown_when(&name, state, |v| v["state"] == state);
    }
    // Stopped, its offsets can be read and reset (KIP-875): resumed, it reads the file again.
    let offsets = succeeded(&kview_connect(&["offsets", &name]));
    assert!(offsets.contains("position"), "{offsets}");
    succeeded(&kview_connect(&["offsets", &name, "--reset"]));
    succeeded(&kview_connect(&["resume", &name]));
    assert_eq!(read_n(&topic, 6).len(), 6, "read from the start again");
    succeeded(&kview_connect(&["restart", &name, "--include-tasks"]));
    shown_when(&name, "running after the restart", |v| {
        v["state"] == "RUNNING" && v["tasks"][0]["state"] == "RUNNING"
    });

    assert_eq!(
        stderr_line(&kview_env(
            &[
                "--read-only",
                "--config",
                config_file(),
                "--cluster",
                "local",
                "connect",
                "pause",
                &name
            ],
            &[],
            None
        )),
        "kview: read-only mode: refusing to change Kafka Connect"
    );
    succeeded(&kview_connect(&["delete", &name, "--yes"]));
    let after = succeeded(&kview_connect(&["--json"]));
    assert!(!after.contains(&name), "{after}");
}

#[test]
fn a_sink_that_cannot_write_fails_its_task_and_kview_shows_why() {
    let topic = unique("connect-sink");
    let _guard = create_topic(broker(), &topic, 1, 1);
    kview_ok(
        broker(),
        &["produce", "-q", "-t", &topic],
        Some(b"\"one\"\n"),
    );
    let dir = tempfile::tempdir().unwrap();
    let name = unique("broken-sink");
    let _cleanup = TempConnector(name.clone());
    let config = write_config(
        &dir,
        serde_json::json!({"name": name, "config": {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            // A folder that does not exist: the task cannot open its file.
            "file": "/nonexistent-kview-folder/out.txt",
            "topics": topic,
            "tasks.max": "1",
            "db.password": "hunter2",
        }}),
    );
    succeeded(&kview_connect(&["create", &name, config.to_str().unwrap()]));
    let failed = shown_when(&name, "the task failed", |v| {
        v["tasks"][0]["state"] == "FAILED"
    });
    assert_eq!(
        failed["topics"],
        serde_json::json!([topic]),
        "a sink names the topics it is set to read before it read any"
    );
    let trace = failed["tasks"][0]["trace"].as_str().unwrap();
    let first = trace.lines().find(|l| !l.trim().is_empty()).unwrap().trim();
    let shown = succeeded(&kview_connect(&["show", &name]));
    assert!(shown.contains("FAILED") && shown.contains(first), "{shown}");
    assert!(
        !shown.contains("\tat "),
        "the trace only on request: {shown}"
    );
    assert!(
        !shown.contains("hunter2") && shown.contains("********"),
        "secrets masked: {shown}"
    );
    let whole = succeeded(&kview_connect(&["show", &name, "--trace"]));
    assert!(whole.contains("\tat "), "{whole}");
    let table = succeeded(&kview_connect(&[]));
    let row = table.lines().find(|l| l.contains(&name)).unwrap();
    assert!(row.contains("0/1 running, 1 failed"), "{table}");
    assert!(
        row.contains(failed["tasks"][0]["worker"].as_str().unwrap()),
        "the worker id: {table}"
    );
    // The monitoring check: a failed task is ERR (exit 2), with its first line.
    let group = format!("connect-{name}");
    let check = kview_env(
        &[
            "--config",
            config_file(),
            "--cluster",
            "local",
            "check",
            "--connectors",
            &group,
            "--json",
        ],
        &[],
        None,
    );
    assert_eq!(check.status.code(), Some(2), "{check:?}");
    let verdict: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let mine = verdict["connectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name.as_str())
        .cloned()
        .expect("the connector judged");
    assert_eq!(mine["verdict"], "ERR");
    assert!(mine["reason"].as_str().unwrap().contains(first), "{mine}");
    succeeded(&kview_connect(&["delete", &name, "-y"]));
}

#[test]
fn a_config_the_worker_refuses_is_listed_by_field_and_nothing_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique("invalid");
    // A properties file this time; the source lacks its topic.
    let path = dir.path().join("c.properties");
    std::fs::write(
        &path,
        "connector.class=org.apache.kafka.connect.file.FileStreamSourceConnector\nfile=/tmp/x\n",
    )
    .unwrap();
    let out = kview_connect(&["create", &name, path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let line = stderr_line(&out);
    assert!(
        line.starts_with("kview: the worker refused the config: topic:"),
        "{line}"
    );
    let listed = succeeded(&kview_connect(&["--json"]));
    assert!(!listed.contains(&name));

    let plugins = succeeded(&kview_connect(&["plugins"]));
    assert!(plugins.contains("FileStreamSinkConnector"), "{plugins}");
    // A worker that is not there is one line, at once.
    let gone = kview_env(&["--connect", "http://127.0.0.1:9", "connect"], &[], None);
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        stderr_line(&gone).starts_with("kview: cannot reach Kafka Connect at http://127.0.0.1:9:"),
        "{}",
        stderr_line(&gone)
    );
}

#[test]
fn connect_clusters_come_from_the_profile_with_their_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let w = worker();
    // Two Connect clusters, one of them away: the list says which did not answer.
    let two = profile(
        &dir,
        &format!(
            "{}\n[[clusters.local.connect]]\nname = \"gone\"\nurl = \"http://127.0.0.1:9\"\n",
            worker_entry("local", &w.password_file)
        ),
    );
    let with = |extra: &[&str]| {
        let mut args = vec!["--config", two.as_str(), "--cluster", "local"];
        args.extend_from_slice(extra);
        kview_env(&args, &[], None)
    };
    let listed = with(&["connect"]);
    assert_eq!(listed.status.code(), Some(1));
    let said = String::from_utf8_lossy(&listed.stderr);
    assert!(
        said.contains("kview: gone: cannot reach Kafka Connect at http://127.0.0.1:9:")
            && said.contains("1 of the Connect clusters did not answer"),
        "{said}"
    );
    // Anything but the list needs one of them.
    assert_eq!(
        stderr_line(&with(&["connect", "plugins"])),
        "kview: this profile has 2 Connect clusters (local, gone): pick one with --connect NAME"
    );
    let plugins = succeeded(&with(&["--connect", "local", "connect", "plugins"]));
    assert!(plugins.contains("FileStreamSourceConnector"), "{plugins}");
    assert!(
        stderr_line(&with(&["--connect", "gon", "connect"]))
            .contains("no Connect cluster of that name (did you mean `gone`?)"),
    );
    // The check judges both: the one away is UNKNOWN by its name.
    let check = with(&["check", "--connectors", "--json"]);
    let verdict: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let unknown: Vec<&serde_json::Value> = verdict["connectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "(Kafka Connect gone)")
        .collect();
    assert_eq!(unknown.len(), 1, "{verdict}");
    assert_eq!(unknown[0]["verdict"], "UNKNOWN", "{verdict}");

    // The worker asks for credentials: none, or a wrong password, is said as such.
    let bare = kview_env(&["--connect", &w.url, "connect"], &[], None);
    assert_eq!(
        stderr_line(&bare),
        format!(
            "kview: Kafka Connect at {} asks for credentials (a username and password in the profile's connect entry) (HTTP 401)",
            w.url
        )
    );
    let wrong_file = dir.path().join("wrong.password");
    std::fs::write(&wrong_file, "not-the-password\n").unwrap();
    let wrong = profile(&dir, &worker_entry("local", wrong_file.to_str().unwrap()));
    let refused = kview_env(
        &["--config", &wrong, "--cluster", "local", "connect"],
        &[],
        None,
    );
    let line = stderr_line(&refused);
    assert_eq!(
        line,
        format!(
            "kview: Kafka Connect at {} refused the credentials (HTTP 401)",
            w.url
        )
    );
    assert!(!line.contains("not-the-password"));

    // A -F properties file names the worker as connect.url with its user info.
    let password = std::fs::read_to_string(&w.password_file).unwrap();
    let properties = dir.path().join("client.properties");
    std::fs::write(
        &properties,
        format!(
            "bootstrap.servers={}\nconnect.url={}\nconnect.basic.auth.user.info={}:{}\n",
            broker(),
            w.url,
            w.user,
            password.trim()
        ),
    )
    .unwrap();
    let plugins = succeeded(&kview_env(
        &["-F", properties.to_str().unwrap(), "connect", "plugins"],
        &[],
        None,
    ));
    assert!(plugins.contains("FileStreamSinkConnector"), "{plugins}");
}

/// A short connector name that sorts before the other tests' (digits before letters), so it
/// is the table's first row at 80×24.
fn first_row_name(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("0{tag}{:05x}", (nanos ^ std::process::id()) & 0xfffff)
}

#[test]
fn the_dashboard_shows_connectors_a_failed_task_and_acts_on_one_at_80x24() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("connect-tui");
    let _topic = create_topic(broker(), &topic, 1, 1);
    let sink = first_row_name("a");
    let source = first_row_name("b");
    let _cleanup = (TempConnector(sink.clone()), TempConnector(source.clone()));
    let sink_config = write_config(
        &dir,
        serde_json::json!({"name": sink, "config": {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "file": "/nonexistent-kview-folder/out.txt",
            "topics": topic,
            "tasks.max": "1",
        }}),
    );
    succeeded(&kview_connect(&[
        "create",
        &sink,
        sink_config.to_str().unwrap(),
    ]));
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "one\n").unwrap();
    let source_config = dir.path().join("source.properties");
    std::fs::write(
        &source_config,
        format!(
            "connector.class=org.apache.kafka.connect.file.FileStreamSourceConnector\nfile={}\ntopic={topic}\ntasks.max=1\n",
            input.display()
        ),
    )
    .unwrap();
    succeeded(&kview_connect(&[
        "create",
        &source,
        source_config.to_str().unwrap(),
    ]));
    shown_when(&sink, "the sink's task failed", |v| {
        v["tasks"][0]["state"] == "FAILED"
    });
    shown_when(&source, "the source running", |v| {
        v["tasks"][0]["state"] == "RUNNING"
    });

    let bin = env!("CARGO_BIN_EXE_kview");
    let command = format!(
        "{bin} --config {} --cluster local; echo KVIEW_EXIT=$?; sleep 60",
        config_file()
    );
    let tmux = common::tmux::Tmux::start(&command, 80, 24);
    tmux.wait_for("the connection", |s| s.contains("● connected"));
    tmux.keys(&[":"]);
    tmux.type_text("connect");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("both connectors, the sink's failure on its row", |s| {
        s.lines()
            .any(|l| l.contains(&sink) && l.contains("ConnectException"))
            && s.contains(&source)
    });
    assert!(screen.contains("failing"), "{screen}");

    // The failed sink's detail: its task FAILED with the first line, the whole trace on t.
    tmux.keys(&["Enter"]);
    tmux.wait_for("the detail's failed task", |s| {
        s.contains(&format!("connector {sink}")) && s.contains("task 0  FAILED")
    });
    tmux.keys(&["t"]);
    tmux.wait_for("the whole trace", |s| s.contains("WorkerTask.java"));
    tmux.keys(&["Escape"]);

    // Pause the source from the table; the worker says it is paused.
    tmux.keys(&["Down", "p"]);
    tmux.wait_for("the pause said", |s| {
        s.contains(&format!("paused connector {source}"))
    });
    shown_when(&source, "the source paused", |v| v["state"] == "PAUSED");
    tmux.wait_for("the row paused", |s| {
        s.lines()
            .any(|l| l.contains(&source) && l.contains("PAUSED"))
    });

    // Delete it: nothing until its name is typed.
    tmux.keys(&["D"]);
    tmux.wait_for("the delete prompt", |s| s.contains("type its name"));
    tmux.type_text(&source);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the delete said", |s| {
        s.contains(&format!("deleted connector {source}"))
    });
    let listed = succeeded(&kview_connect(&["--json"]));
    assert!(!listed.contains(&format!("\"{source}\"")), "{listed}");

    tmux.keys(&["q"]);
    let screen = tmux.wait_for("kview to exit", |s| s.contains("KVIEW_EXIT="));
    assert!(screen.contains("KVIEW_EXIT=0"), "{screen}");
}
