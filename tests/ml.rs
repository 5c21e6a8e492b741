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
