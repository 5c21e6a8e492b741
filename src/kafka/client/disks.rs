//! Disks: each broker's log directories, their space, and what each partition takes there
//! (DescribeLogDirs v4, asked of every broker).

use futures::future::join_all;
use kafka_protocol::messages::DescribeLogDirsRequest;
use serde::Serialize;

use super::KafkaClient;
use crate::kafka::error::{KafkaError, Result};
use crate::kafka::pool::Lane;

/// One log directory of one broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogDir {
    pub broker: i32,
    pub path: String,
    /// None when the broker does not say (before Kafka 3.3) or the directory failed.
    pub total_bytes: Option<i64>,
    pub usable_bytes: Option<i64>,
    /// Bytes of the partitions stored there.
    pub used_bytes: i64,
    /// The directory's failure (KAFKA_STORAGE_ERROR: offline).
    pub error: Option<String>,
    /// Each partition's size there, largest first.
    pub partitions: Vec<(String, i32, i64)>,
}

impl KafkaClient {
    /// Every broker's log directories; a broker that does not answer is one line of error.
    pub async fn log_dirs(&self) -> Result<Vec<std::result::Result<Vec<LogDir>, (i32, String)>>> {
        let meta = self.metadata(Some(&[])).await?;
        let request = DescribeLogDirsRequest::default().with_topics(None);
        let timeout = self.settings().request_timeout;
        let answers = join_all(meta.brokers.iter().map(|b| {
            let request = &request;
            async move {
                let answer = self
                    .pool
                    .call(&b.addr(), Lane::Admin, request, None, timeout)
                    .await;
                (b.id, answer)
            }
        }))
        .await;
        Ok(answers
            .into_iter()
            .map(|(broker, answer)| {
                let (_, response) = answer.map_err(|e| (broker, e.to_string()))?;
                KafkaError::check(response.error_code, None, || {
                    format!("log dirs of broker {broker}")
                })
                .map_err(|e| (broker, self.denied(e, "Describe").to_string()))?;
                Ok(response
                    .results
                    .iter()
                    .map(|d| {
                        let mut partitions: Vec<(String, i32, i64)> = d
                            .topics
                            .iter()
                            .flat_map(|t| {
                                t.partitions.iter().filter(|p| !p.is_future_key).map(|p| {
                                    (t.name.0.to_string(), p.partition_index, p.partition_size)
                                })
                            })
                            .collect();
                        partitions.sort_by(|a, b| {
                            b.2.cmp(&a.2).then_with(|| (&a.0, a.1).cmp(&(&b.0, b.1)))
                        });
                        LogDir {
                            broker,
                            path: d.log_dir.to_string(),
                            total_bytes: (d.total_bytes >= 0).then_some(d.total_bytes),
                            usable_bytes: (d.usable_bytes >= 0).then_some(d.usable_bytes),
                            used_bytes: partitions.iter().map(|p| p.2).sum(),
                            error: (d.error_code != 0)
                                .then(|| crate::kafka::error::error_name(d.error_code)),
                            partitions,
                        }
                    })
                    .collect())
            })
            .collect())
    }
}
