//! Background tasks: they own all I/O with the cluster and send what they learn as events.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::mpsc::Sender;
use tokio::time::Instant;

use super::event::{BrowseRequest, ConnState, Event, ProduceRequest, Produced};
use crate::kafka::partitioner::Partitioner;
use crate::kafka::reader::Reader;
use crate::kafka::{ClusterMetadata, ConnSettings, KafkaClient};

/// The client, once the poller has connected; shared with the tasks that need it.
pub type ClientCell = Arc<OnceLock<Arc<KafkaClient>>>;

const METADATA_EVERY: Duration = Duration::from_secs(5);
const WATERMARKS_EVERY: Duration = Duration::from_secs(1);
const SIZES_EVERY: Duration = Duration::from_secs(30);

fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.min(5).saturating_sub(1)).min(Duration::from_secs(30))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Connects (retrying with backoff) and then polls metadata, watermarks and log-dir sizes until
/// the receiver goes away.
pub async fn poll_cluster(
    brokers: Vec<String>,
    settings: ConnSettings,
    tx: Sender<Event>,
    cell: ClientCell,
) {
    let mut attempt = 0;
    let client = loop {
        match KafkaClient::connect(brokers.clone(), settings.clone()).await {
            Ok(client) => break Arc::new(client),
            Err(e) => {
                attempt += 1;
                let wait = backoff(attempt);
                tracing::warn!("cannot connect (attempt {attempt}): {e}");
                let state = ConnState::Retrying {
                    error: e.to_string(),
                    attempt,
                    retry_in_secs: wait.as_secs(),
                };
                if tx.send(Event::Connection(state)).await.is_err() {
                    return;
                }
                tokio::time::sleep(wait).await;
            }
        }
    };
    let _ = cell.set(client.clone());
    tracing::info!("connected to {}", brokers.join(","));
    if tx
        .send(Event::Connection(ConnState::Connected))
        .await
        .is_err()
    {
        return;
    }

    let mut metadata: Option<ClusterMetadata> = None;
    let mut metadata_due = Instant::now();
    let mut sizes_due = Instant::now();
    let mut failures = 0;
    loop {
        let started = Instant::now();
        if started >= metadata_due || metadata.is_none() {
            match client.metadata(None).await {
                Ok(m) => {
                    metadata = Some(m.clone());
                    metadata_due = started + METADATA_EVERY;
                    if failures > 0 {
                        failures = 0;
                        tracing::info!("cluster reachable again");
                        if tx
                            .send(Event::Connection(ConnState::Connected))
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                    if tx.send(Event::Metadata(m)).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    failures += 1;
                    let wait = backoff(failures);
                    tracing::warn!("metadata poll failed: {e}");
                    let state = ConnState::Retrying {
                        error: e.to_string(),
                        attempt: failures,
                        retry_in_secs: wait.as_secs(),
                    };
                    if tx.send(Event::Connection(state)).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
        }
        if let Some(meta) = &metadata {
            let keys: Vec<(String, i32)> = meta
                .topics
                .iter()
                .flat_map(|t| t.partitions.iter().map(|p| (t.name.clone(), p.id)))
                .collect();
            let at_ms = now_ms();
            let results = client.watermarks(&keys).await;
            let marks: Vec<_> = keys
                .into_iter()
                .zip(results)
                .filter_map(|(k, r)| r.ok().map(|m| (k, m)))
                .collect();
            if tx.send(Event::Watermarks { at_ms, marks }).await.is_err() {
                return;
            }
        }
        if started >= sizes_due {
            sizes_due = started + SIZES_EVERY;
            if let Ok(sizes) = client.replica_sizes().await
                && tx.send(Event::ReplicaSizes(sizes)).await.is_err()
            {
                return;
            }
        }
        tokio::time::sleep(WATERMARKS_EVERY.saturating_sub(started.elapsed())).await;
    }
}

/// Reads messages for the browser until the range is done (or forever when following).
/// Sending waits while the UI is behind, which bounds what is in flight.
pub async fn browse(client: Arc<KafkaClient>, request: BrowseRequest, tx: Sender<Event>) {
    let fail = |error: String| Event::BrowseFailed {
        browse_id: request.id,
        error,
    };
    let mut reader = match Reader::open(
        &client,
        &request.topic,
        request.partition,
        request.start,
        !request.follow,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send(fail(e.to_string())).await;
            return;
        }
    };
    let mut first = true;
    loop {
        let mut batch = Vec::new();
        if let Err(e) = reader.next_batch(&client, &mut batch).await {
            let _ = tx.send(fail(e.to_string())).await;
            return;
        }
        let done = reader.is_done();
        if !batch.is_empty() || done || first {
            first = false;
            let event = Event::Messages {
                browse_id: request.id,
                messages: batch,
                progress: reader.progress(),
                done,
            };
            if tx.send(event).await.is_err() {
                return;
            }
        }
        if done {
            return;
        }
    }
}

pub async fn produce(
    client: Arc<KafkaClient>,
    request: ProduceRequest,
    partitioner: Arc<Partitioner>,
) -> Event {
    let result = async {
        let topic = client.topic(&request.topic).await?;
        let partition = match request.partition {
            Some(p) => topic.partition(p)?.id,
            None => partitioner.partition(request.key.as_deref(), topic.partitions.len()),
        };
        let record = rskafka::record::Record {
            key: request.key,
            value: Some(request.value),
            headers: request.headers,
            timestamp: chrono::Utc::now(),
        };
        let offsets = client
            .produce(
                &topic.name,
                partition,
                vec![record],
                rskafka::client::partition::Compression::NoCompression,
            )
            .await?;
        Ok::<_, crate::kafka::KafkaError>(Produced {
            topic: topic.name,
            partition,
            offset: offsets.first().copied().unwrap_or(-1),
        })
    }
    .await;
    match &result {
        Ok(p) => tracing::info!(
            "produced to {}/{} at offset {}",
            p.topic,
            p.partition,
            p.offset
        ),
        Err(e) => tracing::warn!("produce failed: {e}"),
    }
    Event::Produced(result.map_err(|e| e.to_string()))
}

pub async fn load_configs(client: Arc<KafkaClient>, topic: String) -> Event {
    let result = client
        .topic_configs(&topic)
        .await
        .map_err(|e| e.to_string());
    Event::Configs { topic, result }
}
