//! Where the sensor processors keep their results: readings, window aggregates and alerts, the
//! same tables in SQLite (the embedded default, one processor) and PostgreSQL (a store many
//! processors share). Every write is idempotent (primary keys, `ON CONFLICT`), so a batch
//! replayed changes nothing.
//!
//! Exactly once across rebalances: a processor that is given a partition *claims* it, which
//! bumps the partition's fence and tells it where the stored results end (`next_offset`). A
//! batch is written in one transaction with the new `next_offset`, and only if the partition's
//! fence is still the one the writer claimed with. A processor that lost a partition and writes
//! late (paused past its session timeout, say) is refused by the store, not merged in. The
//! fence is the store's own counter, not the group's epoch: group epochs start again when a
//! group is deleted and differ between the two group protocols.

use std::path::PathBuf;

use super::signal::Reading;

mod postgres;
mod sqlite;

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

/// Where the store is: a SQLite file, or a PostgreSQL URL (`postgres://` or `postgresql://`).
#[derive(Clone, PartialEq, Eq)]
pub enum StoreTarget {
    Sqlite(PathBuf),
    Postgres(String),
}

impl StoreTarget {
    pub fn parse(text: &str) -> Self {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            StoreTarget::Postgres(text.to_owned())
        } else {
            StoreTarget::Sqlite(PathBuf::from(text.strip_prefix("sqlite:").unwrap_or(text)))
        }
    }
}

/// Shown in logs and summaries: a URL's password never is.
impl std::fmt::Display for StoreTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreTarget::Sqlite(path) => write!(f, "{}", path.display()),
            StoreTarget::Postgres(url) => f.write_str(&redact_password(url)),
        }
    }
}

impl std::fmt::Debug for StoreTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoreTarget({self})")
    }
}

/// `postgres://user:secret@host/db` as `postgres://user:•••@host/db`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((user_info, host)) if user_info.contains(':') => {
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:•••@{host}{tail}")
        }
        _ => url.to_owned(),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("sensor store: {0}")]
pub struct StoreError(pub String);

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError(e.to_string())
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        // The server's own message says what went wrong; the client's wrapper does not.
        let text = e.as_db_error().map_or_else(
            || e.to_string(),
            |d| format!("{}: {}", d.severity(), d.message()),
        );
        StoreError(text)
    }
}

pub type StoreResult<T> = std::result::Result<T, StoreError>;

/// What a score is computed from: the labelled readings (sensor, seq, alerted) in order, the
/// alerts of the kind, and those of them that hit a labelled reading.
type ScoreInputs = (Vec<(String, i64, bool)>, i64, i64);

/// A partition claimed by a processor: write under `fence`; resume at `next_offset` (None when
/// no processor has stored anything of it yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub partition: i32,
    pub fence: i64,
    pub next_offset: Option<i64>,
}

/// One batch, written in one transaction: the readings, the windows it closes, its alerts, and
/// for each partition the fence it was claimed under and where it now ends.
#[derive(Debug, Default)]
pub struct BatchWrite<'a> {
    pub topic: &'a str,
    /// (partition, fence, next offset)
    pub offsets: Vec<(i32, i64, i64)>,
    pub readings: &'a [Reading],
    /// (sensor, window start) of the windows this batch closes.
    pub windows: Vec<(String, i64)>,
    pub window_ms: i64,
    pub alerts: &'a [Alert],
}

#[derive(Debug, PartialEq)]
pub enum Written {
    Stored {
        /// Readings that were not there before (replays are not).
        new: u64,
        windows: Vec<WindowStats>,
    },
    /// Another processor claimed this partition since: nothing of the batch was written.
    Refused { partition: i32 },
}

/// The store, SQLite or PostgreSQL, behind one interface.
pub enum SensorStore {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

impl SensorStore {
    pub async fn open(target: &StoreTarget) -> StoreResult<Self> {
        match target {
            StoreTarget::Sqlite(path) => Ok(SensorStore::Sqlite(sqlite::Sqlite::open(path)?)),
            StoreTarget::Postgres(url) => {
                Ok(SensorStore::Postgres(postgres::Postgres::open(url).await?))
            }
        }
    }

    /// Claims a partition for `owner` (a member id, for whoever looks at the table).
    pub async fn claim(&mut self, topic: &str, partition: i32, owner: &str) -> StoreResult<Claim> {
        let claimed_at = chrono::Utc::now().timestamp_millis();
        let (fence, next) = match self {
            SensorStore::Sqlite(s) => s.claim(topic, partition, owner, claimed_at)?,
            SensorStore::Postgres(p) => p.claim(topic, partition, owner, claimed_at).await?,
        };
        Ok(Claim {
            partition,
            fence,
            next_offset: (next >= 0).then_some(next),
        })
    }

    pub async fn write(&mut self, batch: &BatchWrite<'_>) -> StoreResult<Written> {
        match self {
            SensorStore::Sqlite(s) => s.write(batch),
            SensorStore::Postgres(p) => p.write(batch).await,
        }
    }

    pub async fn count_readings(&mut self) -> StoreResult<i64> {
        match self {
            SensorStore::Sqlite(s) => s.count_readings(),
            SensorStore::Postgres(p) => p.count_readings().await,
        }
    }

    /// How well the alerts of `kind` match the injected labels.
    pub async fn score(&mut self, kind: &str) -> StoreResult<Score> {
        let (labelled, alerted, true_alerts) = match self {
            SensorStore::Sqlite(s) => s.score_inputs(kind)?,
            SensorStore::Postgres(p) => p.score_inputs(kind).await?,
        };
        Ok(Score::of(kind, &labelled, alerted, true_alerts))
    }
}

/// The tables, in SQL both databases take. `partition_id`'s fence and `next_offset` are the
/// processors' positions, kept with the results they describe.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS readings (
    sensor TEXT NOT NULL, seq BIGINT NOT NULL, site TEXT NOT NULL, kind TEXT NOT NULL,
    unit TEXT NOT NULL, timestamp BIGINT NOT NULL, value DOUBLE PRECISION, anomaly TEXT,
    PRIMARY KEY (sensor, seq)
);
CREATE INDEX IF NOT EXISTS readings_by_time ON readings (sensor, timestamp);
CREATE TABLE IF NOT EXISTS aggregates (
    sensor TEXT NOT NULL, window_start BIGINT NOT NULL, window_ms BIGINT NOT NULL,
    count BIGINT NOT NULL, min DOUBLE PRECISION, max DOUBLE PRECISION, mean DOUBLE PRECISION,
    stddev DOUBLE PRECISION,
    PRIMARY KEY (sensor, window_start)
);
CREATE TABLE IF NOT EXISTS alerts (
    sensor TEXT NOT NULL, seq BIGINT NOT NULL, kind TEXT NOT NULL,
    timestamp BIGINT NOT NULL, value DOUBLE PRECISION, score DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (sensor, seq, kind)
);
CREATE TABLE IF NOT EXISTS processor_offsets (
    topic TEXT NOT NULL, partition_id INTEGER NOT NULL, fence BIGINT NOT NULL,
    next_offset BIGINT NOT NULL, owner TEXT NOT NULL, claimed_at BIGINT NOT NULL,
    PRIMARY KEY (topic, partition_id)
);";

/// A claim bumps the fence (fencing out whoever claimed before) and returns where the stored
/// results end (−1: nowhere yet).
const CLAIM: &str = "INSERT INTO processor_offsets (topic, partition_id, fence, next_offset, owner, claimed_at)
     VALUES ($1, $2, 1, -1, $3, $4)
     ON CONFLICT (topic, partition_id) DO UPDATE
     SET fence = processor_offsets.fence + 1, owner = excluded.owner, claimed_at = excluded.claimed_at
     RETURNING fence, next_offset";

/// Moves a partition's end on, only under the fence it was claimed with: no row, no write.
const ADVANCE: &str = "UPDATE processor_offsets SET next_offset = $3
     WHERE topic = $1 AND partition_id = $2 AND fence = $4";

const INSERT_READING: &str =
    "INSERT INTO readings (sensor, seq, site, kind, unit, timestamp, value, anomaly)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING";

const INSERT_ALERT: &str = "INSERT INTO alerts (sensor, seq, kind, timestamp, value, score)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";

/// A window's statistics come from the stored readings, so a window cut by a restart or split
/// between two processors by a rebalance is still exact.
const WINDOW_INPUTS: &str =
    "SELECT COUNT(value), MIN(value), MAX(value), SUM(value), SUM(value * value)
     FROM readings WHERE sensor = $1 AND timestamp >= $2 AND timestamp < $3";

const UPSERT_WINDOW: &str =
    "INSERT INTO aggregates (sensor, window_start, window_ms, count, min, max, mean, stddev)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (sensor, window_start) DO UPDATE SET window_ms = excluded.window_ms,
     count = excluded.count, min = excluded.min, max = excluded.max, mean = excluded.mean,
     stddev = excluded.stddev";

const LABELLED: &str = "SELECT r.sensor, r.seq, EXISTS (SELECT 1 FROM alerts a WHERE a.sensor = r.sensor AND a.seq = r.seq AND a.kind = $1)
     FROM readings r WHERE r.anomaly = $1 ORDER BY r.sensor, r.seq";
const ALERTED: &str = "SELECT COUNT(*) FROM alerts WHERE kind = $1";
const TRUE_ALERTS: &str = "SELECT COUNT(*) FROM alerts a JOIN readings r USING (sensor, seq) WHERE a.kind = $1 AND r.anomaly = $1";

/// The name a reading's kind is stored under.
fn kind_name(r: &Reading) -> String {
    serde_json::to_value(r.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A window's statistics from COUNT, MIN, MAX, SUM and the sum of squares.
fn window_stats(
    sensor: &str,
    window_start: i64,
    (count, min, max, sum, sum_sq): (i64, Option<f64>, Option<f64>, Option<f64>, Option<f64>),
) -> WindowStats {
    let mean = sum.filter(|_| count > 0).map(|s| s / count as f64);
    let stddev = match (mean, sum_sq) {
        (Some(m), Some(sq)) => Some((sq / count as f64 - m * m).max(0.0).sqrt()),
        _ => None,
    };
    WindowStats {
        sensor: sensor.to_owned(),
        window_start,
        count,
        min,
        max,
        mean,
        stddev,
    }
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

impl Score {
    /// From the labelled readings in (sensor, seq) order, each with whether it raised an alert.
    fn of(kind: &str, labelled: &[(String, i64, bool)], alerted: i64, true_alerts: i64) -> Self {
        let (mut injected, mut caught) = (0i64, 0i64);
        let mut episode: Option<(&str, i64, bool)> = None;
        for (sensor, seq, hit) in labelled {
            match &mut episode {
                Some((s, last, any)) if *s == sensor && *last + 1 == *seq => {
                    *last = *seq;
                    *any |= hit;
                }
                _ => {
                    if let Some((_, _, any)) = episode.take() {
                        caught += i64::from(any);
                    }
                    injected += 1;
                    episode = Some((sensor, *seq, *hit));
                }
            }
        }
        if let Some((_, _, any)) = episode {
            caught += i64::from(any);
        }
        let ratio = |a: i64, b: i64| (b > 0).then(|| a as f64 / b as f64);
        Score {
            kind: kind.to_owned(),
            injected,
            alerted,
            caught,
            true_alerts,
            precision: ratio(true_alerts, alerted),
            recall: ratio(caught, injected),
        }
    }
}

#[cfg(test)]
mod tests;
