//! The sensor pipeline through the real broker: every simulated reading stored exactly once,
//! even across a `kill -9` of the processor; spikes detected; windows exact.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use kview::demo::sensors::store::WindowStats;
use rusqlite::Connection;
use serde_json::Value;

struct Pipeline {
    brokers: &'static str,
    topic: String,
    _topics: Vec<TempTopic>,
    dir: tempfile::TempDir,
}

impl Pipeline {
    fn new(name: &str) -> Self {
        let brokers = broker();
        let topic = unique(name);
        Pipeline {
            brokers,
            _topics: vec![
                delete_later(brokers, &topic),
                delete_later(brokers, &format!("{topic}.alerts")),
            ],
            topic,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn db(&self) -> std::path::PathBuf {
        self.dir.path().join("sensors.db")
    }

    fn simulate(&self, extra: &[&str]) -> String {
        let mut args = vec!["simulate", "sensors", "--topic", &self.topic];
        args.extend_from_slice(extra);
        String::from_utf8(kview_ok(self.brokers, &args, None)).unwrap()
    }

    fn process_args(&self) -> Vec<String> {
        let alerts = format!("{}.alerts", self.topic);
        let group = format!("{}-processor", self.topic);
        let db = self.db();
        [
            "process",
            "sensors",
            "--topic",
            &self.topic,
            "--alerts-topic",
            &alerts,
            "--group",
            &group,
            "--db",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([db.to_str().unwrap().to_owned()])
        .collect()
    }

    fn process_until_idle(&self, extra: &[&str]) -> Value {
        let mut args = self.process_args();
        args.extend(["--exit-when-idle", "--json"].iter().map(|s| s.to_string()));
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        serde_json::from_slice(&kview_ok(self.brokers, &args, None)).unwrap()
    }
}

fn count(db: &Path, sql: &str) -> i64 {
    Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[test]
fn every_simulated_reading_is_processed_and_stored_exactly_once() {
    let p = Pipeline::new("sensors-exact");
    let out = p.simulate(&["--rate", "0", "--count", "5000", "--sensors", "6"]);
    assert_eq!(
        out.trim(),
        format!("produced 5000, acknowledged 5000, failed 0 ({})", p.topic)
    );
    let report = p.process_until_idle(&[]);
    assert_eq!(report["processed"], 5000);
    assert_eq!(report["stored"], 5000);
    assert_eq!(report["readings_in_db"], 5000);
    let db = p.db();
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(DISTINCT sensor || ':' || seq) FROM readings"
        ),
        5000
    );
    // No gaps: each sensor's sequence numbers run without a hole.
    assert_eq!(
        count(
            &db,
            "SELECT SUM(max_seq - min_seq + 1) FROM (SELECT MAX(seq) AS max_seq, MIN(seq) AS min_seq FROM readings GROUP BY sensor)"
        ),
        5000
    );

    // Processing again changes nothing: the committed offsets are at the end.
    let again = p.process_until_idle(&[]);
    assert_eq!(again["processed"], 0);
    assert_eq!(again["readings_in_db"], 5000);
}

#[test]
fn a_processor_killed_mid_stream_restarts_and_still_stores_each_reading_once() {
    let p = Pipeline::new("sensors-kill");
    // The processor follows a live stream (5,000 readings/s for 8 s) and is killed in the middle.
    let mut simulator = Command::new(env!("CARGO_BIN_EXE_kview"))
        .args([
            "-b", p.brokers, "simulate", "sensors", "--topic", &p.topic, "--rate", "5000",
            "--count", "40000",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kview"))
        .arg("-b")
        .arg(p.brokers)
        .args(p.process_args())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let db = p.db();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let stored = if db.exists() {
            Connection::open(&db)
                .and_then(|c| {
                    c.query_row("SELECT COUNT(*) FROM readings", [], |r| r.get::<_, i64>(0))
                })
                .unwrap_or(0)
        } else {
            0
        };
        if stored > 5_000 {
            assert!(
                stored < 40_000,
                "the kill must land mid-stream ({stored} stored)"
            );
            break;
        }
        assert!(Instant::now() < deadline, "the processor made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SIGKILL: no clean shutdown, no flush.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(simulator.wait().unwrap().success());

    let report = p.process_until_idle(&[]);
    assert_eq!(report["readings_in_db"], 40000);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(DISTINCT sensor || ':' || seq) FROM readings"
        ),
        40000
    );
    assert_eq!(
        count(
            &db,
            "SELECT SUM(max_seq - min_seq + 1) FROM (SELECT MAX(seq) AS max_seq, MIN(seq) AS min_seq FROM readings GROUP BY sensor)"
        ),
        40000
    );
}

#[test]
fn injected_spikes_are_detected_with_recall_of_at_least_90_percent() {
    let p = Pipeline::new("sensors-spikes");
    p.simulate(&[
        "--rate",
        "0",
        "--count",
        "100000",
        "--anomaly-probability",
        "0.004",
    ]);
    let report = p.process_until_idle(&[]);
    let detection = report["detection"].as_array().unwrap();
    let spike = detection.iter().find(|s| s["kind"] == "spike").unwrap();
    assert!(spike["injected"].as_i64().unwrap() >= 30, "{spike}");
    let recall = spike["recall"].as_f64().unwrap();
    assert!(recall >= 0.9, "spike recall {recall}: {spike}");
    let dropout = detection.iter().find(|s| s["kind"] == "dropout").unwrap();
    assert_eq!(dropout["recall"], 1.0);
    // Alerts went to the alerts topic too.
    let alerts = kview_ok(
        p.brokers,
        &["consume", "-t", &format!("{}.alerts", p.topic), "-e"],
        None,
    );
    let published = String::from_utf8(alerts).unwrap().lines().count() as i64;
    assert_eq!(published, count(&p.db(), "SELECT COUNT(*) FROM alerts"));
}

#[test]
fn window_statistics_equal_a_direct_computation_over_the_stored_rows() {
    let p = Pipeline::new("sensors-windows");
    p.simulate(&["--rate", "2000", "--count", "5000", "--sensors", "4"]);
    p.process_until_idle(&["--window", "500ms"]);
    let conn = Connection::open(p.db()).unwrap();
    let mut windows = conn
        .prepare(
            "SELECT sensor, window_start, window_ms, count, min, max, mean, stddev FROM aggregates",
        )
        .unwrap();
    // (stats, window length)
    let rows: Vec<(WindowStats, i64)> = windows
        .query_map([], |r| {
            let stats = WindowStats {
                sensor: r.get(0)?,
                window_start: r.get(1)?,
                count: r.get(3)?,
                min: r.get(4)?,
                max: r.get(5)?,
                mean: r.get(6)?,
                stddev: r.get(7)?,
            };
            Ok((stats, r.get(2)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        rows.len() >= 8,
        "several windows per sensor: {}",
        rows.len()
    );
    let total: i64 = rows.iter().map(|r| r.0.count).sum();
    assert!(
        total >= 4900,
        "windows cover the readings with values: {total}"
    );
    for (w, len) in rows {
        let (sensor, start, n) = (w.sensor, w.window_start, w.count);
        let (min, max, mean, stddev) = (
            w.min.unwrap(),
            w.max.unwrap(),
            w.mean.unwrap(),
            w.stddev.unwrap(),
        );
        let values: Vec<f64> = conn
            .prepare("SELECT value FROM readings WHERE sensor = ?1 AND timestamp >= ?2 AND timestamp < ?3 AND value IS NOT NULL")
            .unwrap()
            .query_map(rusqlite::params![sensor, start, start + len], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let direct_mean = values.iter().sum::<f64>() / values.len() as f64;
        let direct_sd = (values
            .iter()
            .map(|v| (v - direct_mean).powi(2))
            .sum::<f64>()
            / values.len() as f64)
            .sqrt();
        assert_eq!(n as usize, values.len());
        assert_eq!(min, values.iter().copied().fold(f64::INFINITY, f64::min));
        assert_eq!(
            max,
            values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        );
        assert!((mean - direct_mean).abs() < 1e-9, "{mean} vs {direct_mean}");
        assert!((stddev - direct_sd).abs() < 1e-6, "{stddev} vs {direct_sd}");
    }
}
