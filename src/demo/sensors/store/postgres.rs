//! The shared store: PostgreSQL, which processors on many machines write to at once. Row locks
//! do the fencing: a batch's fence check takes its partition's row, so a claim waits for the
//! batch (or the batch for the claim) and never interleaves with it.

use std::time::Duration;

use tokio_postgres::{Client, NoTls};

use super::{BatchWrite, StoreError, StoreResult, Written};

pub struct Postgres {
    client: Client,
}

/// Taken while the tables are made: processors starting together would otherwise race on
/// `CREATE TABLE IF NOT EXISTS`, which PostgreSQL does not make atomic.
const SCHEMA_LOCK: i64 = 0x6b76_6965_7753;

const INSERT_READINGS: &str =
    "INSERT INTO readings (sensor, seq, site, kind, unit, timestamp, value, anomaly)
     SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                          $6::bigint[], $7::float8[], $8::text[])
     ON CONFLICT DO NOTHING";

impl Postgres {
    pub async fn open(url: &str) -> StoreResult<Self> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| StoreError(format!("bad PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let (mut client, connection) = config.connect(NoTls).await?;
        // The connection's I/O runs beside the client and ends when the client is dropped.
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!("sensor store: PostgreSQL connection ended: {e}");
            }
        });
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
            .await?;
        tx.batch_execute(super::SCHEMA).await?;
        tx.commit().await?;
        Ok(Postgres { client })
    }

    pub async fn claim(
        &mut self,
        topic: &str,
        partition: i32,
        owner: &str,
        claimed_at: i64,
    ) -> StoreResult<(i64, i64)> {
        let row = self
            .client
            .query_one(super::CLAIM, &[&topic, &partition, &owner, &claimed_at])
            .await?;
        Ok((row.get(0), row.get(1)))
    }

    pub async fn write(&mut self, batch: &BatchWrite<'_>) -> StoreResult<Written> {
        let tx = self.client.transaction().await?;
        for &(partition, fence, next) in &batch.offsets {
            let moved = tx
                .execute(super::ADVANCE, &[&batch.topic, &partition, &next, &fence])
                .await?;
            if moved == 0 {
                // Dropping the transaction rolls it back.
                return Ok(Written::Refused { partition });
            }
        }
        let readings = batch.readings;
        let column = |f: fn(&super::Reading) -> String| readings.iter().map(f).collect::<Vec<_>>();
        let sensors = column(|r| r.sensor.clone());
        let sites = column(|r| r.site.clone());
        let kinds = column(super::kind_name);
        let units = column(|r| r.unit.clone());
        let seqs: Vec<i64> = readings.iter().map(|r| r.seq as i64).collect();
        let times: Vec<i64> = readings.iter().map(|r| r.timestamp).collect();
        let values: Vec<Option<f64>> = readings.iter().map(|r| r.value).collect();
        let anomalies: Vec<Option<&str>> = readings
            .iter()
            .map(|r| r.anomaly.map(|a| a.name()))
            .collect();
        let new = tx
            .execute(
                INSERT_READINGS,
                &[
                    &sensors, &seqs, &sites, &kinds, &units, &times, &values, &anomalies,
                ],
            )
            .await?;
        let mut windows = Vec::new();
        for (sensor, start) in &batch.windows {
            let end = start + batch.window_ms;
            let row = tx
                .query_one(super::WINDOW_INPUTS, &[sensor, start, &end])
                .await?;
            let stats = super::window_stats(
                sensor,
                *start,
                (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4)),
            );
            tx.execute(
                super::UPSERT_WINDOW,
                &[
                    &stats.sensor,
                    &stats.window_start,
                    &batch.window_ms,
                    &stats.count,
                    &stats.min,
                    &stats.max,
                    &stats.mean,
                    &stats.stddev,
                ],
            )
            .await?;
            windows.push(stats);
        }
        for a in batch.alerts {
            let seq = a.seq as i64;
            tx.execute(
                super::INSERT_ALERT,
                &[&a.sensor, &seq, &a.kind, &a.timestamp, &a.value, &a.score],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Written::Stored { new, windows })
    }

    pub async fn count_readings(&mut self) -> StoreResult<i64> {
        let row = self
            .client
            .query_one("SELECT COUNT(*) FROM readings", &[])
            .await?;
        Ok(row.get(0))
    }

    pub async fn score_inputs(&mut self, kind: &str) -> StoreResult<super::ScoreInputs> {
        let rows = self
            .client
            .query(super::LABELLED, &[&kind])
            .await?
            .into_iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        let alerted = self.client.query_one(super::ALERTED, &[&kind]).await?;
        let true_alerts = self.client.query_one(super::TRUE_ALERTS, &[&kind]).await?;
        Ok((rows, alerted.get(0), true_alerts.get(0)))
    }
}
