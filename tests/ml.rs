//! The machine-learning pipeline through the real broker: the digits dataset streamed by
//! `kview demo ml produce`, learned by `kview demo ml train`, evaluated on held-out samples.

mod common;

use common::*;
use kview::demo::ml::dataset::{digits, stratified_split};
use kview::demo::ml::model::{LogisticRegression, evaluate, train_offline};
use serde_json::Value;

#[test]
fn logistic_regression_on_digits_through_kafka_reaches_90_percent_like_offline() {
    let b = broker();
    let prefix = format!("{}.", unique("ml"));
    let _cleanup: Vec<TempTopic> = ["ml.train", "ml.test", "ml.metrics"]
        .iter()
        .map(|t| delete_later(b, &format!("{prefix}{t}")))
        .collect();
    let group = unique("trainer");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ml.db");

    let out = kview_ok(
        b,
        &[
            "demo", "ml", "produce", "--prefix", &prefix, "--epochs", "3",
        ],
        None,
    );
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("4314 train samples") && text.contains("359 test samples"),
        "{text}"
    );
    kview_ok(
        b,
        &[
            "demo",
            "ml",
            "train",
            "--prefix",
            &prefix,
            "--db",
            db.to_str().unwrap(),
            "--group",
            &group,
        ],
        None,
    );

    // What the trainer published on ml.metrics.
    let metrics: Vec<Value> = String::from_utf8(kview_ok(
        b,
        &[
            "consume",
            "-t",
            &format!("{prefix}ml.metrics"),
            "-e",
            "--format",
            "json",
        ],
        None,
    ))
    .unwrap()
    .lines()
    .map(|l| {
        serde_json::from_str::<Value>(
            serde_json::from_str::<Value>(l).unwrap()["value"]
                .as_str()
                .unwrap(),
        )
        .unwrap()
    })
    .collect();
    let logreg: Vec<&Value> = metrics.iter().filter(|m| m["model"] == "logreg").collect();
    let mlp: Vec<&Value> = metrics.iter().filter(|m| m["model"] == "mlp").collect();
    assert!(logreg.len() >= 20 && mlp.len() == logreg.len());
    let first = logreg.first().unwrap()["accuracy"].as_f64().unwrap();
    let last = logreg.last().unwrap();
    let streamed = last["accuracy"].as_f64().unwrap();
    assert_eq!(last["samples_seen"], 4314);
    assert_eq!(last["epoch"], 3);
    assert!(
        streamed >= 0.90,
        "logistic regression reached only {streamed}"
    );
    assert!(first < streamed, "accuracy climbs: {first} → {streamed}");
    let confusion = last["confusion"].as_array().unwrap();
    let counted: u64 = confusion
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(
        counted, 359,
        "the confusion matrix covers the held-out samples"
    );

    // The same model trained offline, in process, on the same split and order.
    let d = digits();
    let (train, test) = stratified_split(&d.labels, d.classes, 0.2, 42);
    let mut offline = LogisticRegression::new(d.dim(), d.classes);
    train_offline(&mut offline, &d, &train, 3, 42);
    let test_x: Vec<Vec<f32>> = test.iter().map(|&i| d.features[i].clone()).collect();
    let test_y: Vec<usize> = test.iter().map(|&i| d.labels[i]).collect();
    let offline = evaluate(&offline, &test_x, &test_y, d.classes).accuracy;
    assert!(
        (offline - streamed).abs() <= 0.03,
        "offline {offline} vs streamed {streamed}"
    );

    // The run is in SQLite with the same figures.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (stored, finished): (f64, Option<i64>) = conn
        .query_row(
            "SELECT m.accuracy, r.finished_ms FROM metrics m JOIN runs r USING (run)
             WHERE m.model = 'logreg' ORDER BY m.samples_seen DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(stored, streamed);
    assert!(finished.is_some(), "the run is marked finished");

    // The trainer committed its offsets: its lag is visible and zero.
    let lag = kview_json(b, &["lag", &group, "--json"]);
    assert_eq!(lag["total_lag"], 0);
    assert_eq!(lag["partitions"][0]["committed"], 4315);
}

#[test]
fn a_standby_trainer_takes_over_from_the_groups_commit_when_the_first_dies() {
    let b = broker();
    let prefix = format!("{}.", unique("ml-standby"));
    let _cleanup: Vec<TempTopic> = ["ml.train", "ml.test", "ml.metrics"]
        .iter()
        .map(|t| delete_later(b, &format!("{prefix}{t}")))
        .collect();
    let group = unique("trainers");
    let dir = tempfile::tempdir().unwrap();
    // A run streamed over ~20 s, so the first trainer dies in the middle of it.
    let mut producer = kview_command()
        .args(["-b", b, "demo", "ml", "produce", "--prefix", &prefix])
        .args(["--epochs", "3", "--rate", "600"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let trainer = |name: &str| {
        let log = dir.path().join(name);
        let child = kview_command()
            .args(["-b", b, "demo", "ml", "train", "--prefix", &prefix])
            .args(["--group", &group])
            .env("RUST_LOG", "kview=info")
            .stdout(std::fs::File::create(log.with_extension("out")).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        (Background { child }, log)
    };
    let trainers = [trainer("a"), trainer("b")];
    let reading = |log: &std::path::Path| {
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .contains("trainer reading")
    };
    // One learns; the other stands by with nothing assigned.
    let first = wait_until("a trainer reading", 60, || {
        trainers
            .iter()
            .position(|(_, log)| reading(log))
            .ok_or_else(|| "neither yet".to_owned())
    });
    wait_until("evaluations published", 60, || {
        let lag = kview_json(b, &["lag", &group, "--json"]);
        let committed = lag["partitions"][0]["committed"].as_i64().unwrap_or(0);
        (committed > 1000)
            .then_some(())
            .ok_or(committed.to_string())
    });
    let [a, b_trainer] = trainers;
    let ((dead, _), (mut standby, standby_log)) = if first == 0 {
        (a, b_trainer)
    } else {
        (b_trainer, a)
    };
    assert!(
        !reading(&standby_log),
        "the standby reads nothing while the first lives"
    );
    drop(dead); // SIGKILL: no commit, no leave
    assert!(producer.wait().unwrap().success());
    let status = wait_until("the standby finishing the run", 120, || {
        standby
            .child
            .try_wait()
            .unwrap()
            .ok_or_else(|| "still running".to_owned())
    });
    assert!(
        status.success(),
        "{}",
        std::fs::read_to_string(&standby_log).unwrap()
    );
    let said = std::fs::read_to_string(&standby_log).unwrap();
    let from: i64 = said
        .split("trainer reading")
        .nth(1)
        .and_then(|rest| rest.split("from offset ").nth(1))
        .and_then(|n| n.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    assert!(
        from > 1000,
        "it went on from the group's commit, not the beginning: {from}"
    );
    let summary = std::fs::read_to_string(dir.path().join("b.out")).unwrap()
        + &std::fs::read_to_string(dir.path().join("a.out")).unwrap();
    assert!(summary.contains("samples"), "{summary}");
    let lag = kview_json(b, &["lag", &group, "--json"]);
    assert_eq!(lag["total_lag"], 0, "{lag}");
}
