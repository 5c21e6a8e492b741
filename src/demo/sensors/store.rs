//! Readings, window aggregates and alerts in SQLite. Every write is idempotent (primary keys,
//! INSERT OR IGNORE/REPLACE), so a batch replayed after a crash changes nothing.

use std::path::Path;

use rusqlite::{Connection, Transaction, params};

use super::signal::Reading;

/// Statistics of one sensor over one tumbling window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowStats {
    pub sensor: String,
    pub window_start: i64,
    pub count: i64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
    /// Population standard deviation.
    pub stddev: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub sensor: String,
    pub seq: u64,
    pub kind: String,
    pub timestamp: i64,
    pub value: Option<f64>,
    pub score: f64,
}

pub struct SensorStore {
    db: Connection,
}

impl SensorStore {
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        let db = Connection::open(path)?;
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS readings (
                 sensor TEXT NOT NULL, seq INTEGER NOT NULL, site TEXT NOT NULL, kind TEXT NOT NULL,
                 unit TEXT NOT NULL, timestamp INTEGER NOT NULL, value REAL, anomaly TEXT,
                 PRIMARY KEY (sensor, seq)
             );
             CREATE INDEX IF NOT EXISTS readings_by_time ON readings (sensor, timestamp);
             CREATE TABLE IF NOT EXISTS aggregates (
                 sensor TEXT NOT NULL, window_start INTEGER NOT NULL, window_ms INTEGER NOT NULL,
                 count INTEGER NOT NULL, min REAL, max REAL, mean REAL, stddev REAL,
                 PRIMARY KEY (sensor, window_start)
             );
             CREATE TABLE IF NOT EXISTS alerts (
                 sensor TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
                 timestamp INTEGER NOT NULL, value REAL, score REAL NOT NULL,
                 PRIMARY KEY (sensor, seq, kind)
             );",
        )?;
        Ok(SensorStore { db })
    }

    pub fn transaction(&mut self) -> rusqlite::Result<Transaction<'_>> {
        self.db.transaction()
    }

    pub fn count_readings(&self) -> rusqlite::Result<i64> {
        self.db
            .query_row("SELECT COUNT(*) FROM readings", [], |r| r.get(0))
    }

    pub fn connection(&self) -> &Connection {
        &self.db
    }
}

/// Stores a reading; false when it was already there (a replay).
pub fn insert_reading(tx: &Transaction, r: &Reading) -> rusqlite::Result<bool> {
    let kind = serde_json::to_value(r.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let n = tx.execute(
        "INSERT OR IGNORE INTO readings (sensor, seq, site, kind, unit, timestamp, value, anomaly)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            r.sensor,
            r.seq as i64,
            r.site,
            kind,
            r.unit,
            r.timestamp,
            r.value,
            r.anomaly.map(|a| a.name())
        ],
    )?;
    Ok(n == 1)
}

pub fn insert_alert(tx: &Transaction, a: &Alert) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO alerts (sensor, seq, kind, timestamp, value, score) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![a.sensor, a.seq as i64, a.kind, a.timestamp, a.value, a.score],
    )?;
    Ok(())
}

/// Computes a window's statistics from the stored readings (so a window cut by a restart is
/// still exact) and stores them.
pub fn close_window(
    tx: &Transaction,
    sensor: &str,
    window_start: i64,
    window_ms: i64,
) -> rusqlite::Result<WindowStats> {
    let (count, min, max, sum, sum_sq): (i64, Option<f64>, Option<f64>, Option<f64>, Option<f64>) =
        tx.query_row(
            "SELECT COUNT(value), MIN(value), MAX(value), SUM(value), SUM(value * value)
         FROM readings WHERE sensor = ?1 AND timestamp >= ?2 AND timestamp < ?3",
            params![sensor, window_start, window_start + window_ms],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
    let mean = sum.filter(|_| count > 0).map(|s| s / count as f64);
    let stddev = match (mean, sum_sq) {
        (Some(m), Some(sq)) => Some((sq / count as f64 - m * m).max(0.0).sqrt()),
        _ => None,
    };
    let stats = WindowStats {
        sensor: sensor.to_owned(),
        window_start,
        count,
        min,
        max,
        mean,
        stddev,
    };
    tx.execute(
        "INSERT OR REPLACE INTO aggregates (sensor, window_start, window_ms, count, min, max, mean, stddev)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![sensor, window_start, window_ms, count, min, max, mean, stddev],
    )?;
    Ok(stats)
}

/// Precision and recall of the alerts against the injected labels, per anomaly kind. An
/// anomaly that spans readings (a stuck run) is one episode, caught when any of its readings
/// raised an alert of its kind.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Score {
    pub kind: String,
    /// Injected episodes.
    pub injected: i64,
    pub alerted: i64,
    /// Episodes caught.
    pub caught: i64,
    /// Alerts that landed on a reading labelled with their kind.
    pub true_alerts: i64,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
}

pub fn score(db: &Connection, kind: &str) -> rusqlite::Result<Score> {
    let mut labelled = db.prepare(
        "SELECT r.sensor, r.seq, EXISTS (SELECT 1 FROM alerts a WHERE a.sensor = r.sensor AND a.seq = r.seq AND a.kind = ?1)
         FROM readings r WHERE r.anomaly = ?1 ORDER BY r.sensor, r.seq",
    )?;
    let rows = labelled.query_map([kind], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, bool>(2)?,
        ))
    })?;
    let (mut injected, mut caught) = (0i64, 0i64);
    let mut episode: Option<(String, i64, bool)> = None;
    for row in rows {
        let (sensor, seq, hit) = row?;
        match &mut episode {
            Some((s, last, any)) if *s == sensor && *last + 1 == seq => {
                *last = seq;
                *any |= hit;
            }
            _ => {
                if let Some((_, _, any)) = episode.take() {
                    caught += i64::from(any);
                }
                injected += 1;
                episode = Some((sensor, seq, hit));
            }
        }
    }
    if let Some((_, _, any)) = episode {
        caught += i64::from(any);
    }
    let alerted: i64 =
        db.query_row("SELECT COUNT(*) FROM alerts WHERE kind = ?1", [kind], |r| {
            r.get(0)
        })?;
    let true_alerts: i64 = db.query_row(
        "SELECT COUNT(*) FROM alerts a JOIN readings r USING (sensor, seq) WHERE a.kind = ?1 AND r.anomaly = ?1",
        [kind],
        |r| r.get(0),
    )?;
    let ratio = |a: i64, b: i64| (b > 0).then(|| a as f64 / b as f64);
    Ok(Score {
        kind: kind.to_owned(),
        injected,
        alerted,
        caught,
        true_alerts,
        precision: ratio(true_alerts, alerted),
        recall: ratio(caught, injected),
    })
}
