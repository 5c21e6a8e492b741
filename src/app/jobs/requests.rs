//! One-shot requests and the browser's reader: each answers with events.

use crate::app::views::messages::RING_RECORDS;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::sync::mpsc::Sender;

use crate::app::event::{AdminChange, BatchPermit, BrowseRequest, Event, ProduceRequest, Produced};
use crate::collect::groups as collect_groups;
use crate::kafka::partitioner::Partitioner;
use crate::kafka::reader::Reader;
use crate::kafka::{Compression, KafkaClient, ProduceRecord};
use crate::lag::reset::{ResetPlan, ResetTarget};

/// Bytes a live tail asks for in its first fetch, over all its partitions, before it has seen
/// how large the topic's records are (then `tail_partition_bytes`).
const TAIL_FETCH_BYTES: usize = 1024 * 1024;
/// Records a live tail hands the browser a fetch at most: twenty thousand a second, more than
/// anyone reads, and a fifth of the ring, so a row stays a moment after it scrolls by. A faster
/// topic is sampled: the newest records of each fetch, with the count passed over.
const TAIL_KEEP: usize = RING_RECORDS / 5;
/// A partition of a live tail is kept at most this many records (or its share of `TAIL_KEEP`,
/// when larger) behind its newest: a busy partition among many idle ones still shows a run.
const TAIL_MIN_WINDOW: usize = 100;
/// A busy live tail fetches at most once in this long: more often than anyone reads, and it
/// leaves the CPU to the rest of the dashboard.
const TAIL_PACE: Duration = Duration::from_millis(50);

/// Reads messages for the browser until the range is done (or forever when following). One
/// batch is in flight at a time — its permit comes back when the update step has taken it —
/// so the reader never runs ahead of the screen, however fast the topic grows.
pub async fn browse(client: Arc<KafkaClient>, request: BrowseRequest, tx: Sender<Event>) {
    let fail = |error: String| Event::BrowseFailed {
        browse_id: request.id,
        error,
    };
    let mut reader = match Reader::open_isolated(
        &client,
        &request.topic,
        request.partition,
        request.start,
        !request.follow,
        request.isolation,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send(fail(e.to_string())).await;
            return;
        }
    };
    if request.follow {
        reader.fetch_bytes_in_all(TAIL_FETCH_BYTES);
    }
    let window = (TAIL_KEEP / reader.partitions().max(1)).max(TAIL_MIN_WINDOW) as i64;
    let in_flight = Arc::new(Semaphore::new(1));
    let mut first = true;
    let mut busy = false;
    loop {
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            return;
        };
        let fetched_at = Instant::now();
        // A busy tail looks where the log ends before each fetch, so it reads the records it
        // will show (an idle one just waits in its fetch for the next record).
        let mut skipped = if request.follow && busy {
            reader.skip_to_latest(&client, window).await
        } else {
            0
        };
        let mut batch = Vec::new();
        if let Err(e) = reader.next_batch(&client, &mut batch).await {
            let _ = tx.send(fail(e.to_string())).await;
            return;
        }
        let done = reader.is_done();
        busy = !batch.is_empty();
        if request.follow && busy {
            reader.fetch_bytes_each(tail_partition_bytes(window, &batch));
        }
        // Following a topic faster than it can be shown: keep to the newest records, and say
        // how many were passed over.
        if request.follow {
            skipped +=
                reader.skip_ahead(window) + keep_newest(&mut batch, request.partition.is_none());
        }
        // The ring keeps these for a while: their own bytes, so each fetch's response is freed
        // and the connection's buffer reused (a followed firehose spent a third of its time
        // faulting in fresh pages for every response).
        crate::kafka::records::detach(&mut batch);
        if busy || done || first || skipped > 0 {
            first = false;
            let event = Event::Messages {
                browse_id: request.id,
                messages: batch,
                progress: reader.progress(),
                done,
                skipped,
                permit: BatchPermit::new(permit),
            };
            if tx.send(event).await.is_err() {
                return;
            }
        }
        if done {
            return;
        }
        if request.follow && busy {
            tokio::time::sleep_until((fetched_at + TAIL_PACE).into()).await;
        }
    }
}

/// What a live tail asks of each partition a fetch: its window of records at the size they
/// have been arriving, a quarter more as sizes vary. A tail that skipped ahead then reads what it
/// keeps, instead of megabytes it would decode and throw away.
fn tail_partition_bytes(window: i64, fetched: &[crate::kafka::Message]) -> usize {
    let bytes: usize = fetched
        .iter()
        .map(|m| m.payload_size() + crate::kafka::records::RECORD_OVERHEAD)
        .sum();
    let mean = bytes / fetched.len().max(1);
    mean * window.max(1) as usize * 5 / 4
}

/// Cuts a live tail's batch to its newest `TAIL_KEEP` records (by time across partitions, by
/// offset within one); returns how many it passed over.
fn keep_newest(batch: &mut Vec<crate::kafka::Message>, across_partitions: bool) -> u64 {
    let excess = batch.len().saturating_sub(TAIL_KEEP);
    if excess > 0 {
        if across_partitions {
            batch.sort_by_key(|m| (m.timestamp_ms, m.partition, m.offset));
        }
        batch.drain(..excess);
    }
    excess as u64
}

/// Scans a topic for records whose key, value (decoded when a schema wrote it) or headers match,
/// sending only the matches, with the scan's progress; stops at `SEARCH_MATCHES`.
pub async fn search(
    client: Arc<KafkaClient>,
    request: BrowseRequest,
    registry: super::schemas::RegistryCell,
    tx: Sender<Event>,
) {
    use crate::app::views::messages::{Filter, SEARCH_MATCHES};
    use crate::schema::{DataFormat, SchemaReader, Shown};
    let fail = |error: String| Event::BrowseFailed {
        browse_id: request.id,
        error,
    };
    let filter = match Filter::parse(request.search.as_deref().unwrap_or_default()) {
        Ok(Some(f)) => f,
        Ok(None) => return,
        Err(e) => {
            let _ = tx.send(fail(e)).await;
            return;
        }
    };
    let mut reader = match Reader::open_isolated(
        &client,
        &request.topic,
        request.partition,
        request.start,
        true,
        request.isolation,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send(fail(e.to_string())).await;
            return;
        }
    };
    let mut schemas = SchemaReader::new(registry.get().await.ok());
    let (key_subject, value_subject) = (
        format!("{}-key", request.topic),
        format!("{}-value", request.topic),
    );
    let mut found = 0usize;
    loop {
        let mut batch = Vec::new();
        if let Err(e) = reader.next_batch(&client, &mut batch).await {
            let _ = tx.send(fail(e.to_string())).await;
            return;
        }
        let mut matches = Vec::new();
        for m in batch {
            if found >= SEARCH_MATCHES {
                break;
            }
            let mut show = async |bytes: &Option<bytes::Bytes>, subject: &str| match bytes {
                Some(b) => schemas.show(DataFormat::Auto, b, subject).await,
                None => Shown::Plain,
            };
            let mut key = show(&m.key, &key_subject).await;
            let mut value = show(&m.value, &value_subject).await;
            // A search matches what the browser shows: never a masked field's clear text.
            let mut shown = m.clone();
            request.mask.apply(&mut shown, &mut key, &mut value);
            let mut texts: Vec<String> = Vec::new();
            for (bytes, decoded) in [(&shown.key, key), (&shown.value, value)] {
                let Some(bytes) = bytes else { continue };
                texts.push(match decoded {
                    Shown::Decoded(d) => d.json.to_string(),
                    _ => String::from_utf8_lossy(bytes).into_owned(),
                });
            }
            for h in &shown.headers {
                texts.push(String::from_utf8_lossy(&h.name).into_owned());
                if let Some(v) = &h.value {
                    texts.push(String::from_utf8_lossy(v).into_owned());
                }
            }
            if filter.matches_any(texts.iter().map(String::as_str)) {
                found += 1;
                matches.push(m);
            }
        }
        let done = reader.is_done() || found >= SEARCH_MATCHES;
        let event = Event::Messages {
            browse_id: request.id,
            messages: matches,
            progress: reader.progress(),
            done,
            skipped: 0,
            permit: BatchPermit::default(),
        };
        if tx.send(event).await.is_err() || done {
            return;
        }
    }
}

/// Sends records read in the browser to `topic`, placed by key as a producer would; answers
/// with what was acknowledged where.
pub async fn send_records(
    client: Arc<KafkaClient>,
    topic: String,
    records: Vec<ProduceRecord>,
    partitioner: Arc<Partitioner>,
) -> Event {
    let sent = records.len();
    let result = async {
        let meta = client.topic(&topic).await.map_err(|e| e.to_string())?;
        let mut parts: std::collections::BTreeMap<i32, Vec<ProduceRecord>> = Default::default();
        for r in records {
            let p = partitioner.partition(r.key.as_deref(), meta.partitions.len());
            parts.entry(p).or_default().push(r);
        }
        let written = client
            .produce_partitions(&meta.name, parts.into_iter().collect(), Compression::None)
            .await;
        let acknowledged: usize = written.iter().map(|w| w.offsets.len()).sum();
        let partitions: Vec<String> = written
            .iter()
            .filter(|w| !w.offsets.is_empty())
            .map(|w| w.partition.to_string())
            .collect();
        let said = format!(
            "sent {} of {sent} to {} (partitions {})",
            crate::human::plural(acknowledged as i64, "record"),
            meta.name,
            partitions.join(", ")
        );
        match written.into_iter().find_map(|w| w.error) {
            Some(e) => Err(format!("{e}; {said}")),
            None => Ok(said),
        }
    }
    .await;
    match &result {
        Ok(said) => tracing::info!("{said}"),
        Err(e) => tracing::warn!("send failed: {e}"),
    }
    Event::Sent(result)
}

pub async fn produce(
    client: Arc<KafkaClient>,
    mut request: ProduceRequest,
    partitioner: Arc<Partitioner>,
    registry: super::schemas::RegistryCell,
) -> Event {
    if let Some(choice) = request.value_schema.take() {
        match encode_value(&registry, choice, &request.value).await {
            Ok(framed) => request.value = framed,
            Err(e) => return Event::Produced(Err(e)),
        }
    }
    let result = async {
        let topic = client.topic(&request.topic).await?;
        let partition = match request.partition {
            Some(p) => topic.partition(p)?.id,
            None => partitioner.partition(request.key.as_deref(), topic.partitions.len()),
        };
        let record = ProduceRecord {
            key: request.key.map(Into::into),
            value: Some(request.value.into()),
            headers: request.headers,
            timestamp_ms: chrono::Utc::now().timestamp_millis(),
        };
        let offsets = client
            .produce(&topic.name, partition, vec![record], Compression::None)
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

/// The form's JSON value in the wire format of the chosen schema; the error names the field.
async fn encode_value(
    registry: &super::schemas::RegistryCell,
    choice: crate::schema::SchemaChoice,
    value: &[u8],
) -> Result<Vec<u8>, String> {
    let registry = registry.get().await?;
    let json: serde_json::Value =
        serde_json::from_slice(value).map_err(|e| format!("the value is not JSON: {e}"))?;
    tokio::task::spawn_blocking(move || {
        let schema = crate::schema::load_choice(&registry, &choice)?;
        schema
            .encode(&json, None)
            .map_err(|e| format!("{e} (schema {})", schema.describe("")))
    })
    .await
    .map_err(|e| format!("encoding failed: {e}"))?
}

/// Elects the preferred leaders of every partition of a topic; a partition whose preferred
/// replica leads already is no failure.
async fn elect_topic(client: &KafkaClient, topic: &str) -> crate::kafka::Result<()> {
    let info = client.topic(topic).await?;
    let partitions: Vec<(String, i32)> = info
        .partitions
        .iter()
        .map(|p| (topic.to_owned(), p.id))
        .collect();
    let results = client.elect_leaders(Some(&partitions), false).await?;
    match results.iter().find(|r| {
        r.error
            .as_deref()
            .is_some_and(|e| !e.starts_with("ELECTION_NOT_NEEDED"))
    }) {
        Some(failed) => Err(crate::kafka::KafkaError::Client(format!(
            "{topic}/{}: {}",
            failed.partition,
            failed.error.as_deref().unwrap_or_default()
        ))),
        None => Ok(()),
    }
}

/// Carries out a change asked for from the dashboard.
pub async fn admin(client: Arc<KafkaClient>, change: AdminChange) -> Event {
    let result = match &change {
        AdminChange::CreateTopic {
            name,
            partitions,
            replication,
        } => client.create_topic(name, *partitions, *replication).await,
        AdminChange::DeleteTopic(name) => client.delete_topic(name).await,
        AdminChange::AddPartitions { topic, count } => {
            client.create_partitions(topic, *count).await
        }
        AdminChange::SetConfig { topic, key, value } => {
            client
                .alter_topic_config(topic, key, value.as_deref())
                .await
        }
        AdminChange::DeleteGroup(group) => client.delete_group(group).await,
        AdminChange::SetBrokerConfig { broker, key, value } => {
            let target = crate::kafka::client::ConfigTarget::Broker(*broker);
            client.alter_config(&target, key, value.as_deref()).await
        }
        AdminChange::ElectLeaders { topic } => elect_topic(&client, topic).await,
        AdminChange::AbortTransaction {
            topic,
            partition,
            start_offset,
        } => client
            .abort_transaction(topic, *partition, *start_offset)
            .await
            .map(|_| ()),
    };
    match &result {
        Ok(()) => tracing::info!("{}", crate::app::views::admin::describe(&change)),
        Err(e) => tracing::warn!("{e}"),
    }
    let topics_changed = matches!(
        change,
        AdminChange::CreateTopic { .. }
            | AdminChange::DeleteTopic(_)
            | AdminChange::AddPartitions { .. }
    );
    let metadata = match result {
        Ok(()) if topics_changed => client.metadata(None).await.ok(),
        _ => None,
    };
    Event::Admin {
        change,
        result: result.map_err(|e| e.to_string()),
        metadata,
    }
}

pub async fn load_configs(client: Arc<KafkaClient>, topic: String) -> Event {
    let result = client
        .topic_configs(&topic)
        .await
        .map_err(|e| e.to_string());
    Event::Configs { topic, result }
}

/// The ACLs that apply to one topic or group: its own, `*`'s and matching prefixes'.
pub async fn load_access(
    client: Arc<KafkaClient>,
    kind: crate::kafka::acl::ResourceKind,
    name: String,
) -> Event {
    let filter = crate::kafka::acl::AclFilter {
        kind: Some(kind),
        name: Some(name.clone()),
        matching: true,
        ..Default::default()
    };
    let result = client.acls(&filter).await.map_err(|e| e.to_string());
    Event::Access { kind, name, result }
}

pub async fn load_reassignments(client: Arc<KafkaClient>) -> Event {
    Event::Reassignments(client.reassignments().await.map_err(|e| e.to_string()))
}

/// The KRaft quorum and each broker's disks; a broker that does not answer is left out.
pub async fn load_cluster_health(client: Arc<KafkaClient>) -> Event {
    use crate::app::views::operate::{ClusterHealth, DiskSpace};
    let quorum = client.quorum().await.map_err(|e| e.to_string());
    let mut disks = std::collections::BTreeMap::new();
    if let Ok(answers) = client.log_dirs().await {
        for dir in answers.into_iter().flatten().flatten() {
            let d: &mut DiskSpace = disks.entry(dir.broker).or_default();
            d.used += dir.used_bytes;
            let add = |a: Option<i64>, b: Option<i64>| Some(a.unwrap_or(0) + b?);
            d.free = add(d.free, dir.usable_bytes);
            d.total = add(d.total, dir.total_bytes);
        }
    }
    Event::ClusterHealth(ClusterHealth { quorum, disks })
}

/// Every ACL (None inside when the cluster has no authorizer).
pub async fn load_acls(client: Arc<KafkaClient>) -> Event {
    let read = client.acls(&crate::kafka::acl::AclFilter::default()).await;
    Event::Acls(read.map_err(|e| e.to_string()))
}

/// Every transaction with its description, and the hanging ones over every partition of the
/// users' topics.
pub async fn load_transactions(client: Arc<KafkaClient>) -> Event {
    use crate::app::views::transactions::{HANGING_AFTER, TxnRow, TxnSnapshot};
    let load = async {
        let listed = client.list_transactions().await?;
        let ids: Vec<String> = listed.iter().map(|l| l.transactional_id.clone()).collect();
        let described = client.describe_transactions(&ids).await;
        let partitions: Vec<(String, i32)> = client
            .metadata(None)
            .await?
            .topics
            .iter()
            .filter(|t| !t.internal)
            .flat_map(|t| t.partitions.iter().map(|p| (t.name.clone(), p.id)))
            .collect();
        let hanging = if partitions.is_empty() {
            Vec::new()
        } else {
            client
                .hanging_transactions(&partitions, HANGING_AFTER)
                .await?
        };
        Ok::<_, crate::kafka::KafkaError>(TxnSnapshot {
            transactions: listed
                .into_iter()
                .zip(described)
                .map(|(listing, d)| TxnRow {
                    listing,
                    description: d.ok(),
                })
                .collect(),
            hanging,
            at_ms: chrono::Utc::now().timestamp_millis(),
        })
    };
    Event::Transactions(load.await.map_err(|e| e.to_string()))
}

pub async fn load_topic_transactions(client: Arc<KafkaClient>, topic: String) -> Event {
    let result = crate::collect::transactions::unstable_of_topic(&client, &topic)
        .await
        .map_err(|e| e.to_string());
    Event::TopicTransactions { topic, result }
}

pub async fn plan_reset(
    client: Arc<KafkaClient>,
    group: String,
    target: ResetTarget,
    only: Option<(String, Option<i32>)>,
) -> Event {
    let topic = only.as_ref().map(|(t, _)| t.as_str());
    let result = collect_groups::plan_reset(&client, &group, topic, target)
        .await
        .map(|mut plans| {
            if let Some((_, Some(partition))) = &only {
                plans.retain(|p| p.partition == *partition);
            }
            plans
        })
        .map_err(|e| e.to_string());
    Event::ResetPlanned { group, result }
}

pub async fn apply_reset(client: Arc<KafkaClient>, group: String, plans: Vec<ResetPlan>) -> Event {
    let result = collect_groups::apply_reset(&client, &group, &plans)
        .await
        .map_err(|e| e.to_string());
    match &result {
        Ok(()) => tracing::info!("offsets of group {group} reset"),
        Err(e) => tracing::warn!("offset reset of {group} failed: {e}"),
    }
    Event::ResetApplied { group, result }
}

/// Writes lines to a file (the browser's "write shown records").
pub async fn write_file(path: PathBuf, lines: Vec<String>) -> Event {
    let result = tokio::task::spawn_blocking({
        let path = path.clone();
        move || write_lines(&path, &lines)
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    Event::Wrote { path, result }
}

fn write_lines(path: &Path, lines: &[String]) -> Result<usize, String> {
    let write = |path: &Path| -> std::io::Result<()> {
        let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
        for line in lines {
            file.write_all(line.as_bytes())?;
            file.write_all(b"\n")?;
        }
        file.flush()
    };
    write(path)
        .map(|()| lines.len())
        .map_err(|e| crate::kafka::conn::io_reason(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_one_line_per_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let lines = vec!["{\"a\":1}".to_owned(), "{\"b\":2}".to_owned()];
        assert_eq!(write_lines(&path, &lines), Ok(2));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"a\":1}\n{\"b\":2}\n"
        );
        let err = write_lines(&dir.path().join("missing/dir/x"), &lines).unwrap_err();
        assert!(err.contains("no such file"), "{err}");
    }
    #[test]
    fn a_tail_asks_each_partition_for_its_window_at_the_size_records_arrive() {
        use crate::kafka::records::RECORD_OVERHEAD;
        let sized = |n: usize, value: usize| -> Vec<crate::kafka::Message> {
            (0..n)
                .map(|o| crate::kafka::Message {
                    partition: 0,
                    offset: o as i64,
                    timestamp_ms: 0,
                    timestamp_type: crate::kafka::TimestampType::CreateTime,
                    key: None,
                    value: Some(vec![b'x'; value].into()),
                    headers: vec![],
                    producer_id: -1,
                    txn: crate::kafka::records::TxnMark::None,
                })
                .collect()
        };
        let window = 250;
        let asked = tail_partition_bytes(window, &sized(3000, 100));
        // The window's records fit, with room for larger ones; not the 3,000 that came.
        assert!(asked >= 250 * (100 + RECORD_OVERHEAD), "{asked}");
        assert!(asked < 3000 * 100, "{asked}");
        // Larger records, more bytes: the same number of records.
        assert_eq!(
            tail_partition_bytes(window, &sized(10, 1000)) / (1000 + RECORD_OVERHEAD),
            asked / (100 + RECORD_OVERHEAD)
        );
    }

    #[test]
    fn a_tail_keeps_the_newest_records_of_a_batch_too_big_to_show() {
        use crate::kafka::{Message, TimestampType};
        let record = |partition, offset, timestamp_ms| Message {
            partition,
            offset,
            timestamp_ms,
            timestamp_type: TimestampType::CreateTime,
            key: None,
            value: None,
            headers: vec![],
            producer_id: -1,
            txn: crate::kafka::records::TxnMark::None,
        };
        // Two partitions, as a fetch returns them: one after the other; time interleaves them.
        let mut batch: Vec<Message> = (0..TAIL_KEEP as i64)
            .map(|o| record(0, o, o * 2))
            .chain((0..TAIL_KEEP as i64).map(|o| record(1, o, o * 2 + 1)))
            .collect();
        assert_eq!(keep_newest(&mut batch, true), TAIL_KEEP as u64);
        assert_eq!(batch.len(), TAIL_KEEP);
        assert!(
            batch
                .windows(2)
                .all(|w| w[0].timestamp_ms <= w[1].timestamp_ms)
        );
        assert_eq!(batch.last().unwrap().timestamp_ms, TAIL_KEEP as i64 * 2 - 1);
        assert_eq!(batch[0].timestamp_ms, TAIL_KEEP as i64);

        let mut one: Vec<Message> = (0..TAIL_KEEP as i64 + 7).map(|o| record(0, o, 0)).collect();
        assert_eq!(keep_newest(&mut one, false), 7);
        assert_eq!(
            one[0].offset, 7,
            "within a partition, offsets say what is newest"
        );
        let mut small = vec![record(0, 0, 0)];
        assert_eq!(keep_newest(&mut small, true), 0);
        assert_eq!(small.len(), 1);
    }
}
