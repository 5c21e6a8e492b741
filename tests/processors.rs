//! Sensor processors as members of one consumer group, sharing a real PostgreSQL: the work
//! spreads, a killed processor's partitions are taken over, and a processor that was paused
//! past its session timeout has its late batch refused by the store, not merged in.

mod common;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use common::*;
use serde_json::Value;

/// The local PostgreSQL (scripts/postgres-local), started once for the whole run.
fn postgres() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let script = repo().join("scripts/postgres-local");
        let started = Command::new(&script).arg("start").status().unwrap();
        assert!(started.success(), "scripts/postgres-local start failed");
        let url = Command::new(&script).arg("url").output().unwrap();
        String::from_utf8(url.stdout).unwrap().trim().to_owned()
    })
}

/// One query through psql, its rows one a line.
fn psql(url: &str, sql: &str) -> String {
    try_psql(url, sql).unwrap_or_else(|e| panic!("psql: {e}"))
}

fn try_psql(url: &str, sql: &str) -> Result<String, String> {
    let out = Command::new("psql")
        .args([url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8(out.stdout).unwrap().trim().to_owned())
}

/// A database of the test's own, dropped with it.
struct TempDatabase {
    name: String,
    url: String,
}

impl TempDatabase {
    fn new(name: &str) -> Self {
        let base = postgres();
        let name = name.replace(['-', '.'], "_").to_lowercase();
        psql(base, &format!("CREATE DATABASE {name}"));
        let url = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
        TempDatabase { name, url }
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        let _ = try_psql(
            postgres(),
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

struct Pipeline {
    topic: String,
    group: String,
    store: String,
    _database: TempDatabase,
    _topics: Vec<TempTopic>,
}

impl Pipeline {
    fn new(name: &str, partitions: u32) -> Self {
        let topic = unique(name);
        let database = TempDatabase::new(&topic);
        Pipeline {
            _topics: vec![
                create_topic(broker(), &topic, partitions, 1),
                delete_later(broker(), &format!("{topic}.alerts")),
            ],
            group: format!("{topic}-processors"),
            store: database.url.clone(),
            _database: database,
            topic,
        }
    }

    fn simulator(&self, rate: &str, count: &str) -> std::process::Child {
        kview_command()
            .args([
                "-b",
                broker(),
                "simulate",
                "sensors",
                "--topic",
                &self.topic,
            ])
            .args(["--sensors", "12", "--rate", rate, "--count", count])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// A processor left running; its JSON report goes to `report` when it stops, what it
    /// logs to `report` with `.log` added.
    fn processor(&self, report: &std::path::Path) -> Background {
        let alerts = format!("{}.alerts", self.topic);
        let child = kview_command()
            .args(["-b", broker(), "process", "sensors", "--json"])
            .args(["--topic", &self.topic, "--alerts-topic", &alerts])
            .args(["--group", &self.group, "--store", &self.store])
            .env("RUST_LOG", "kview=info")
            .stdout(std::fs::File::create(report).unwrap())
            .stderr(std::fs::File::create(report.with_extension("log")).unwrap())
            .spawn()
            .unwrap();
        Background { child }
    }

    fn stored(&self) -> i64 {
        psql(&self.store, "SELECT COUNT(*) FROM readings")
            .parse()
            .unwrap_or(0)
    }

    /// The owner of each claimed partition, as the store has it (none before the first
    /// processor has made the tables).
    fn owners(&self) -> Vec<String> {
        try_psql(
            &self.store,
            "SELECT owner FROM processor_offsets ORDER BY partition_id",
        )
        .map(|rows| rows.lines().map(str::to_owned).collect())
        .unwrap_or_default()
    }

    /// Waits for the simulator and returns how many readings the broker acknowledged.
    fn acknowledged(&self, simulator: std::process::Child) -> i64 {
        let out = simulator.wait_with_output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        // "produced N, acknowledged N, failed 0 (topic)"
        let acknowledged = text
            .split(", ")
            .find_map(|part| part.strip_prefix("acknowledged "))
            .and_then(|n| n.parse().ok());
        acknowledged.unwrap_or_else(|| panic!("simulator said {text:?}"))
    }

    /// Every reading the topic holds, (sensor, seq) with the value's text, in order.
    fn readings_in_topic(&self) -> Vec<String> {
        let out = kcat(
            broker(),
            &["-C", "-t", &self.topic, "-e", "-q", "-f", "%s\n"],
            None,
        );
        let mut rows: Vec<String> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| {
                let r: Value = serde_json::from_str(l).unwrap();
                format!("{}:{}:{}", r["sensor"], r["seq"], value_text(&r["value"]))
            })
            .collect();
        rows.sort();
        rows
    }

    fn readings_in_store(&self) -> Vec<String> {
        let text = psql(
            &self.store,
            "SELECT '\"' || sensor || '\":' || seq || ':' || COALESCE(value::text, 'null') FROM readings",
        );
        let mut rows: Vec<String> = text
            .lines()
            .map(|l| {
                let (key, value) = l.rsplit_once(':').unwrap();
                let value = value
                    .parse::<f64>()
                    .map_or("null".into(), |v| format!("{v:.6}"));
                format!("{key}:{value}")
            })
            .collect();
        rows.sort();
        rows
    }

    /// Where the store says each partition's results end, against the topic's ends.
    fn ends_match_the_log(&self) {
        let stored: BTreeSet<(i32, i64)> = psql(
            &self.store,
            // -1: claimed, nothing stored yet (a partition no sensor's key lands on).
            "SELECT partition_id || ' ' || next_offset FROM processor_offsets WHERE next_offset >= 0",
        )
        .lines()
        .map(|l| {
            let (p, o) = l.split_once(' ').unwrap();
            (p.parse().unwrap(), o.parse().unwrap())
        })
        .collect();
        let described = kview_json(broker(), &["describe", &self.topic, "--json"]);
        let log: BTreeSet<(i32, i64)> = described["partitions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["high_watermark"].as_i64().unwrap() > 0)
            .map(|p| {
                (
                    p["partition"].as_i64().unwrap() as i32,
                    p["high_watermark"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(stored, log, "the store's ends are the log's ends");
    }
}

fn value_text(v: &Value) -> String {
    v.as_f64().map_or("null".into(), |v| format!("{v:.6}"))
}

fn report(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("a report in {}: {e}", path.display()))
}

fn signal(child: &std::process::Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn three_processors_share_the_work_and_a_killed_one_changes_nothing_stored() {
    let p = Pipeline::new("processors-three", 6);
    let dir = tempfile::tempdir().unwrap();
    let reports: Vec<_> = (0..4).map(|i| dir.path().join(format!("{i}"))).collect();
    let simulator = p.simulator("2000", "40000");
    let mut processors: Vec<Background> = reports[..3].iter().map(|r| p.processor(r)).collect();

    // The partitions spread over all three: three owners in the store.
    wait_until("three processors owning partitions", 60, || {
        let owners: BTreeSet<String> = p.owners().into_iter().collect();
        (owners.len() == 3)
            .then_some(())
            .ok_or(format!("{owners:?}"))
    });
    wait_until("readings stored", 60, || {
        let n = p.stored();
        (n > 4000).then_some(()).ok_or(n.to_string())
    });
    // SIGKILL mid-stream: no leave, no commit; the group notices at its session timeout.
    let killed = processors.remove(1);
    drop(killed);
    let stored_at_kill = p.stored();
    assert!(stored_at_kill < 40_000, "the kill lands mid-stream");
    wait_until(
        "the survivors to claim the dead one's partitions",
        90,
        || {
            let owners: BTreeSet<String> = p.owners().into_iter().collect();
            (owners.len() == 2)
                .then_some(())
                .ok_or(format!("{owners:?}"))
        },
    );
    // Started again, it gets partitions back.
    processors.push(p.processor(&reports[3]));
    wait_until("the restarted processor owning partitions", 60, || {
        let owners: BTreeSet<String> = p.owners().into_iter().collect();
        (owners.len() == 3)
            .then_some(())
            .ok_or(format!("{owners:?}"))
    });
    let acknowledged = p.acknowledged(simulator);
    wait_until("every acknowledged reading stored", 90, || {
        let n = p.stored();
        (n >= acknowledged).then_some(()).ok_or(n.to_string())
    });
    for processor in processors {
        processor.terminate();
    }
    assert_eq!(p.stored(), acknowledged);
    // The same readings, value for value: nothing lost, nothing twice, nothing changed.
    let in_topic = p.readings_in_topic();
    assert_eq!(in_topic.len() as i64, acknowledged);
    assert_eq!(p.readings_in_store(), in_topic);
    p.ends_match_the_log();
    // The survivors left cleanly and said what they did.
    for r in [&reports[0], &reports[2], &reports[3]] {
        let report = report(r);
        assert!(report["processed"].as_u64().unwrap() > 0, "{report}");
    }
}

#[test]
fn a_processor_paused_past_its_session_timeout_has_its_late_batch_refused() {
    let p = Pipeline::new("processors-paused", 2);
    let dir = tempfile::tempdir().unwrap();
    let (a_report, b_report) = (dir.path().join("a"), dir.path().join("b"));
    // A stream until Ctrl-C.
    let simulator = p.simulator("1000", "1000000");
    let a = p.processor(&a_report);
    wait_until("the first processor owning both partitions", 60, || {
        let owners = p.owners();
        (owners.len() == 2)
            .then_some(())
            .ok_or(format!("{owners:?}"))
    });
    let a_id = p.owners()[0].clone();
    let b = p.processor(&b_report);
    let a_log = a_report.with_extension("log");
    let refusals = || {
        std::fs::read_to_string(&a_log)
            .unwrap_or_default()
            .matches("was claimed by another processor")
            .count()
    };
    // Whether A holds a batch when it runs again, or first hears it was fenced, is a race of
    // its own; the pause is repeated until a late batch was offered to the store.
    for _attempt in 0..5 {
        wait_until("both processors owning a partition", 60, || {
            let owners: BTreeSet<String> = p.owners().into_iter().collect();
            (owners.len() == 2 && owners.contains(&a_id))
                .then_some(())
                .ok_or(format!("{owners:?}"))
        });
        // A stops mid-stream with whatever it holds: a fetched batch, an open transaction.
        signal(&a.child, "STOP");
        // Its session times out and B is given, and claims, A's partition. (A paused inside a
        // transaction holds its partition's row until it runs again: B's claim waits for that
        // write, and A's next one is the late one.)
        wait_until_or_timeout(40, || {
            let owners = p.owners();
            owners.len() == 2 && owners.iter().all(|o| *o != a_id)
        });
        signal(&a.child, "CONT");
        let rejoined = wait_until_or_timeout(40, || refusals() > 0 || p.owners().contains(&a_id));
        assert!(rejoined, "A neither wrote late nor came back");
        if refusals() > 0 {
            break;
        }
    }
    signal(&simulator, "INT");
    p.acknowledged(simulator);
    let in_topic = p.readings_in_topic();
    wait_until("every reading stored", 90, || {
        let n = p.stored();
        (n >= in_topic.len() as i64)
            .then_some(())
            .ok_or(n.to_string())
    });
    a.terminate();
    b.terminate();

    let a_said = report(&a_report);
    assert!(
        a_said["refused"].as_u64().unwrap() >= 1,
        "the paused processor's late batch was refused: {a_said}"
    );
    assert_eq!(p.readings_in_store(), in_topic);
    p.ends_match_the_log();
}

/// Like `wait_until`, but a time-out is an answer (false), not a failure.
fn wait_until_or_timeout(secs: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    false
}
