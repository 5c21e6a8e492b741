use super::*;
use crate::demo::sensors::signal::{Anomaly, Kind};

fn reading(sensor: &str, seq: u64, timestamp: i64, value: f64) -> Reading {
    Reading {
        sensor: sensor.into(),
        site: "plant".into(),
        kind: Kind::Temperature,
        unit: "°C".into(),
        timestamp,
        seq,
        value: Some(value),
        anomaly: (seq == 3).then_some(Anomaly::Spike),
    }
}

async fn sqlite() -> (tempfile::TempDir, SensorStore) {
    let dir = tempfile::tempdir().unwrap();
    let target = StoreTarget::Sqlite(dir.path().join("s.db"));
    let store = SensorStore::open(&target).await.unwrap();
    (dir, store)
}

fn batch<'a>(offsets: Vec<(i32, i64, i64)>, readings: &'a [Reading]) -> BatchWrite<'a> {
    BatchWrite {
        topic: "sensors",
        offsets,
        readings,
        windows: Vec::new(),
        window_ms: 1000,
        alerts: &[],
    }
}

#[tokio::test]
async fn a_later_claim_fences_the_earlier_one_and_resumes_where_the_store_ends() {
    let (_dir, mut store) = sqlite().await;
    let first = store.claim("sensors", 2, "a").await.unwrap();
    assert_eq!(first.next_offset, None);
    let rows = [reading("t-1", 1, 10, 1.0), reading("t-1", 2, 20, 2.0)];
    let written = store
        .write(&batch(vec![(2, first.fence, 17)], &rows))
        .await
        .unwrap();
    assert!(matches!(written, Written::Stored { new: 2, .. }));

    let second = store.claim("sensors", 2, "b").await.unwrap();
    assert!(second.fence > first.fence);
    assert_eq!(second.next_offset, Some(17));
    // The first owner writes late: refused, and nothing of its batch is stored.
    let late = [reading("t-1", 3, 30, 9.0)];
    let refused = store
        .write(&batch(vec![(2, first.fence, 18)], &late))
        .await
        .unwrap();
    assert_eq!(refused, Written::Refused { partition: 2 });
    assert_eq!(store.count_readings().await.unwrap(), 2);
    // The new owner's write of the same readings goes in.
    let written = store
        .write(&batch(vec![(2, second.fence, 18)], &late))
        .await
        .unwrap();
    assert!(matches!(written, Written::Stored { new: 1, .. }));
    assert_eq!(
        store.claim("sensors", 2, "c").await.unwrap().next_offset,
        Some(18)
    );
}

#[tokio::test]
async fn a_refused_batch_of_one_partition_leaves_the_others_claims_alone() {
    let (_dir, mut store) = sqlite().await;
    let zero = store.claim("sensors", 0, "a").await.unwrap();
    let one = store.claim("sensors", 1, "a").await.unwrap();
    store.claim("sensors", 1, "b").await.unwrap();
    let rows = [reading("t-1", 1, 10, 1.0)];
    let refused = store
        .write(&batch(vec![(0, zero.fence, 5), (1, one.fence, 5)], &rows))
        .await
        .unwrap();
    assert_eq!(refused, Written::Refused { partition: 1 });
    // Partition 0's end did not move: the transaction was rolled back as a whole.
    assert_eq!(
        store.claim("sensors", 0, "a").await.unwrap().next_offset,
        None
    );
    assert_eq!(store.count_readings().await.unwrap(), 0);
}

#[tokio::test]
async fn replays_are_counted_not_stored_twice_and_windows_come_from_the_stored_readings() {
    let (_dir, mut store) = sqlite().await;
    let claim = store.claim("sensors", 0, "a").await.unwrap();
    let rows = [
        reading("t-1", 1, 100, 1.0),
        reading("t-1", 2, 200, 3.0),
        reading("t-1", 3, 1100, 50.0),
    ];
    store
        .write(&batch(vec![(0, claim.fence, 3)], &rows[..2]))
        .await
        .unwrap();
    let mut closing = batch(vec![(0, claim.fence, 4)], &rows);
    closing.windows = vec![("t-1".into(), 0)];
    let Written::Stored { new, windows } = store.write(&closing).await.unwrap() else {
        panic!("refused")
    };
    assert_eq!(new, 1);
    assert_eq!(windows.len(), 1);
    let w = &windows[0];
    assert_eq!(
        (w.count, w.min, w.max, w.mean),
        (2, Some(1.0), Some(3.0), Some(2.0))
    );
    assert_eq!(w.stddev, Some(1.0));
}

#[tokio::test]
async fn scores_count_an_episode_once_and_alerts_that_hit_a_label() {
    let (_dir, mut store) = sqlite().await;
    let claim = store.claim("sensors", 0, "a").await.unwrap();
    let rows: Vec<Reading> = (1..=5).map(|i| reading("t-1", i, i as i64, 1.0)).collect();
    let alerts = [
        Alert {
            sensor: "t-1".into(),
            seq: 3,
            kind: "spike".into(),
            timestamp: 3,
            value: Some(1.0),
            score: 7.0,
        },
        Alert {
            sensor: "t-1".into(),
            seq: 5,
            kind: "spike".into(),
            timestamp: 5,
            value: Some(1.0),
            score: 7.0,
        },
    ];
    let mut write = batch(vec![(0, claim.fence, 6)], &rows);
    write.alerts = &alerts;
    store.write(&write).await.unwrap();
    let score = store.score("spike").await.unwrap();
    assert_eq!((score.injected, score.caught, score.alerted), (1, 1, 2));
    assert_eq!(score.true_alerts, 1);
    assert_eq!(score.precision, Some(0.5));
    assert_eq!(score.recall, Some(1.0));
}

#[test]
fn a_postgres_url_is_shown_without_its_password() {
    let target = StoreTarget::parse("postgres://kview:s3cret@db.example:5432/sensors");
    assert_eq!(
        target.to_string(),
        "postgres://kview:•••@db.example:5432/sensors"
    );
    assert!(!format!("{target:?}").contains("s3cret"));
    assert_eq!(
        StoreTarget::parse("sqlite:x.db"),
        StoreTarget::Sqlite("x.db".into())
    );
    assert_eq!(
        StoreTarget::parse("postgresql://h/db").to_string(),
        "postgresql://h/db"
    );
}
