//! Runs and their evaluations in SQLite, so a run can be reviewed after the fact.

use std::path::Path;

use std::sync::Mutex;

use rusqlite::{Connection, params};

use super::records::MetricRecord;

/// The connection sits behind a mutex so the trainer's future can move between threads.
pub struct MlStore {
    db: Mutex<Connection>,
}

/// Tries at opening a store another trainer is setting up at the same moment, 100 ms apart.
const OPEN_TRIES: u32 = 50;

impl MlStore {
    /// Opens (and, the first time, creates) the store. Two trainers starting together on a
    /// fresh file both switch it to WAL; SQLite lets one of two readers that both want to write
    /// fail "database is locked" at once rather than wait (waiting could deadlock), so a busy
    /// set-up is tried again.
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        let mut tries = 1;
        loop {
            match Self::set_up(path) {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::DatabaseBusy && tries < OPEN_TRIES =>
                {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                done => return done,
            }
        }
    }

    fn set_up(path: &Path) -> rusqlite::Result<Self> {
        let db = Connection::open(path)?;
        // The schema is written in a transaction that takes its write lock first, so a second
        // trainer's schema write waits (the busy timeout) instead of failing; the WAL switch
        // above has no such wait, which is why `open` tries again.
        db.execute_batch("PRAGMA journal_mode = WAL;")?;
        db.execute_batch(
            "BEGIN IMMEDIATE;
             CREATE TABLE IF NOT EXISTS runs (
                 run TEXT PRIMARY KEY,
                 dataset TEXT NOT NULL,
                 started_ms INTEGER NOT NULL,
                 finished_ms INTEGER,
                 test_samples INTEGER NOT NULL
             );
             CREATE TABLE IF NOT EXISTS metrics (
                 run TEXT NOT NULL REFERENCES runs(run),
                 model TEXT NOT NULL,
                 samples_seen INTEGER NOT NULL,
                 epoch INTEGER NOT NULL,
                 accuracy REAL NOT NULL,
                 loss REAL NOT NULL,
                 confusion TEXT NOT NULL,
                 timestamp_ms INTEGER NOT NULL,
                 PRIMARY KEY (run, model, samples_seen)
             );
             COMMIT;",
        )?;
        Ok(MlStore { db: Mutex::new(db) })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn start_run(
        &self,
        run: &str,
        dataset: &str,
        started_ms: i64,
        test_samples: usize,
    ) -> rusqlite::Result<()> {
        self.db().execute(
            "INSERT OR IGNORE INTO runs (run, dataset, started_ms, test_samples) VALUES (?1, ?2, ?3, ?4)",
            params![run, dataset, started_ms, test_samples as i64],
        )?;
        Ok(())
    }

    pub fn finish_run(&self, run: &str, finished_ms: i64) -> rusqlite::Result<()> {
        self.db().execute(
            "UPDATE runs SET finished_ms = ?2 WHERE run = ?1",
            params![run, finished_ms],
        )?;
        Ok(())
    }

    /// Idempotent: a replayed evaluation replaces itself.
    pub fn record(&self, m: &MetricRecord) -> rusqlite::Result<()> {
        self.db().execute(
            "INSERT OR REPLACE INTO metrics (run, model, samples_seen, epoch, accuracy, loss, confusion, timestamp_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                m.run,
                m.model,
                m.samples_seen as i64,
                m.epoch,
                m.accuracy,
                m.loss,
                serde_json::to_string(&m.confusion).unwrap_or_default(),
                m.timestamp
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trainers_opening_a_fresh_store_together_all_open_it() {
        for round in 0..40 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(format!("kview-ml-{round}.db"));
            let opened: Vec<_> = (0..3)
                .map(|_| {
                    let path = path.clone();
                    std::thread::spawn(move || MlStore::open(&path).map(|_| ()))
                })
                .collect::<Vec<_>>()
                .into_iter()
                .map(|t| t.join().unwrap())
                .collect();
            for result in opened {
                assert!(result.is_ok(), "round {round}: {result:?}");
            }
        }
    }
}
