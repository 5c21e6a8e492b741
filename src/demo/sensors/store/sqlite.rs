//! The embedded store: one SQLite file (WAL), for one processor or a few on one machine.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior, params};

use super::{BatchWrite, StoreResult, WindowStats, Written};

pub struct Sqlite {
    db: Connection,
}

/// The shared SQL names its parameters `$1`; SQLite's numbered ones are `?1`.
fn sql(text: &str) -> String {
    text.replace('$', "?")
}

impl Sqlite {
    pub fn open(path: &Path) -> StoreResult<Self> {
        let db = Connection::open(path)?;
        // Processors of one machine may share the file: a writer waits for the other's
        // transaction rather than failing.
        db.busy_timeout(Duration::from_secs(30))?;
        db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
        db.execute_batch(super::SCHEMA)?;
        Ok(Sqlite { db })
    }

    pub fn claim(
        &mut self,
        topic: &str,
        partition: i32,
        owner: &str,
        claimed_at: i64,
    ) -> StoreResult<(i64, i64)> {
        let mut claim = self.db.prepare_cached(&sql(super::CLAIM))?;
        Ok(
            claim.query_row(params![topic, partition, owner, claimed_at], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?,
        )
    }

    pub fn write(&mut self, batch: &BatchWrite<'_>) -> StoreResult<Written> {
        // IMMEDIATE: the write lock first, so a claim cannot slip between check and write.
        let tx = self
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for &(partition, fence, next) in &batch.offsets {
            let moved = tx.prepare_cached(&sql(super::ADVANCE))?.execute(params![
                batch.topic,
                partition,
                next,
                fence
            ])?;
            if moved == 0 {
                return Ok(Written::Refused { partition });
            }
        }
        let mut new = 0u64;
        {
            let mut insert = tx.prepare_cached(&sql(super::INSERT_READING))?;
            for r in batch.readings {
                new += insert.execute(params![
                    r.sensor,
                    r.seq as i64,
                    r.site,
                    super::kind_name(r),
                    r.unit,
                    r.timestamp,
                    r.value,
                    r.anomaly.map(|a| a.name())
                ])? as u64;
            }
        }
        let mut windows = Vec::new();
        for (sensor, start) in &batch.windows {
            let inputs = tx
                .prepare_cached(&sql(super::WINDOW_INPUTS))?
                .query_row(params![sensor, start, start + batch.window_ms], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?;
            let stats = super::window_stats(sensor, *start, inputs);
            upsert_window(&tx, &stats, batch.window_ms)?;
            windows.push(stats);
        }
        {
            let mut insert = tx.prepare_cached(&sql(super::INSERT_ALERT))?;
            for a in batch.alerts {
                insert.execute(params![
                    a.sensor,
                    a.seq as i64,
                    a.kind,
                    a.timestamp,
                    a.value,
                    a.score
                ])?;
            }
        }
        tx.commit()?;
        Ok(Written::Stored { new, windows })
    }

    pub fn count_readings(&self) -> StoreResult<i64> {
        Ok(self
            .db
            .query_row("SELECT COUNT(*) FROM readings", [], |r| r.get(0))?)
    }

    pub fn score_inputs(&self, kind: &str) -> StoreResult<super::ScoreInputs> {
        let mut labelled = self.db.prepare(&sql(super::LABELLED))?;
        let rows = labelled
            .query_map([kind], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let count =
            |q: &str| -> rusqlite::Result<i64> { self.db.query_row(&sql(q), [kind], |r| r.get(0)) };
        Ok((rows, count(super::ALERTED)?, count(super::TRUE_ALERTS)?))
    }
}

fn upsert_window(tx: &rusqlite::Transaction, w: &WindowStats, window_ms: i64) -> StoreResult<()> {
    tx.prepare_cached(&sql(super::UPSERT_WINDOW))?
        .execute(params![
            w.sensor,
            w.window_start,
            window_ms,
            w.count,
            w.min,
            w.max,
            w.mean,
            w.stddev
        ])?;
    Ok(())
}
