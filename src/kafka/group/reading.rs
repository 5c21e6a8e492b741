//! What a consumer of a group's assignment needs beside the membership: a reader that starts
//! over whenever the owned partitions change, and commits made as the member is now.
//!
//! `consume_assigned` wires the three parts every group consumer has: the membership, the
//! reader, and the consumer's ends of both (`Assigned`), which the consumer's own future owns —
//! so that however it ends, an error included, the member hears it (and leaves) and the reader
//! stops. Its caller joins the three futures.

use std::collections::BTreeMap;
use std::future::Future;

use tokio::sync::{mpsc, watch};

use super::{Change, MemberIdentity, MemberSettings, TopicPartition, run_member};
use crate::kafka::reader::Reader;
use crate::kafka::records::Isolation;
use crate::kafka::{KafkaClient, Message, Result, StartAt};

/// Where the reader reads, numbered: batches read for an earlier assignment are dropped.
pub type Positions = (u64, Vec<(TopicPartition, i64)>);

/// One partition's records in a batch, with its topic.
pub type TopicRecords = (String, Vec<Message>);

/// A batch read for the numbered assignment: the records of each partition that had some.
pub type Fetched = (u64, Result<Vec<TopicRecords>>);

/// The consumer's ends of a membership and its reader.
pub struct Assigned {
    /// What the member owns from now on; answer each on its `done`.
    pub changes: mpsc::Receiver<Change>,
    /// Batches read, numbered with the positions they were read for.
    pub batches: mpsc::Receiver<Fetched>,
    /// Where the reader reads: send new positions (with a new number) after each change.
    pub positions: watch::Sender<Positions>,
    /// The member's id and epoch, for commits.
    pub identity: watch::Receiver<MemberIdentity>,
    stop: watch::Sender<bool>,
}

impl Assigned {
    /// Leaves the group (the member's next heartbeat) and stops the reader. Whatever waits on
    /// these ends — a change no one will answer, a batch no one will take — is let go too.
    pub fn leave(self) {
        self.stop.send_replace(true);
    }
}

/// The membership of `settings.group` and a reader of what it assigns, with the consumer's
/// ends of both.
pub fn consume_assigned<'a>(
    client: &'a KafkaClient,
    settings: &'a MemberSettings,
    isolation: Isolation,
    fetch_bytes: usize,
) -> (
    impl Future<Output = Result<()>> + 'a,
    impl Future<Output = ()> + 'a,
    Assigned,
) {
    let (changes_tx, changes) = mpsc::channel::<Change>(1);
    let (identity_tx, identity) = watch::channel(MemberIdentity::default());
    let (stop, stop_rx) = watch::channel(false);
    let member = run_member(client, settings, changes_tx, identity_tx, stop_rx);
    let (positions, positions_rx) = watch::channel::<Positions>((0, Vec::new()));
    let (batches_tx, batches) = mpsc::channel::<Fetched>(2);
    let read = read_assigned(client, isolation, fetch_bytes, positions_rx, batches_tx);
    let assigned = Assigned {
        changes,
        batches,
        positions,
        identity,
        stop,
    };
    (member, read, assigned)
}

/// Reads the partitions the consumer names, starting over whenever they change. An empty
/// batch means every partition read was caught up.
async fn read_assigned(
    client: &KafkaClient,
    isolation: Isolation,
    fetch_bytes: usize,
    mut positions: watch::Receiver<Positions>,
    batches: mpsc::Sender<Fetched>,
) {
    loop {
        let (generation, starts) = positions.borrow_and_update().clone();
        if starts.is_empty() {
            if positions.changed().await.is_err() {
                return;
            }
            continue;
        }
        let mut reader = match open_at(client, &starts, isolation).await {
            Ok(r) => r,
            Err(e) => {
                let _ = batches.send((generation, Err(e))).await;
                return;
            }
        };
        reader.fetch_bytes_in_all(fetch_bytes);
        while !positions.has_changed().unwrap_or(true) {
            let mut batch = Vec::new();
            let fetched = reader
                .next_batch_by_topic(client, &mut batch)
                .await
                .map(|()| batch);
            let failed = fetched.is_err();
            if batches.send((generation, fetched)).await.is_err() || failed {
                return;
            }
        }
        if positions.has_changed().is_err() {
            return;
        }
    }
}

/// One reader of every partition in `starts`, each from its offset.
async fn open_at(
    client: &KafkaClient,
    starts: &[(TopicPartition, i64)],
    isolation: Isolation,
) -> Result<Reader> {
    let mut by_topic: BTreeMap<&str, BTreeMap<i32, i64>> = BTreeMap::new();
    for ((topic, partition), offset) in starts {
        by_topic
            .entry(topic)
            .or_default()
            .insert(*partition, *offset);
    }
    let mut reader: Option<Reader> = None;
    for (topic, offsets) in by_topic {
        let partitions: Vec<i32> = offsets.keys().copied().collect();
        let start_for = move |p: i32| StartAt::Offset(offsets.get(&p).copied().unwrap_or(0));
        let opened =
            Reader::open_partitions(client, topic, &partitions, &start_for, false, isolation)
                .await?;
        match reader.as_mut() {
            Some(r) => r.merge(opened),
            None => reader = Some(opened),
        }
    }
    reader.ok_or_else(|| crate::kafka::KafkaError::Client("nothing to read".into()))
}

/// The first offset of each partition that has nothing committed, where `start` says.
pub async fn resolve_starts(
    client: &KafkaClient,
    topic: &str,
    partitions: &[i32],
    start: StartAt,
    isolation: Isolation,
) -> Result<BTreeMap<i32, i64>> {
    if partitions.is_empty() {
        return Ok(BTreeMap::new());
    }
    let reader =
        Reader::open_partitions(client, topic, partitions, &move |_| start, false, isolation)
            .await?;
    Ok(reader.positions().into_iter().collect())
}

/// Commits as the member is now: its id and epoch.
pub struct Committer<'a> {
    pub client: &'a KafkaClient,
    pub group: &'a str,
    pub identity: &'a watch::Receiver<MemberIdentity>,
}

impl Committer<'_> {
    /// Commits the next offset of each partition of one topic.
    pub async fn commit_topic(&self, topic: &str, offsets: &BTreeMap<i32, i64>) -> Result<()> {
        let offsets = offsets.iter().map(|(p, o)| (topic.to_owned(), *p, *o));
        self.commit_each(offsets.collect()).await
    }

    /// Commits the next offset of each partition.
    pub async fn commit(&self, offsets: &BTreeMap<TopicPartition, i64>) -> Result<()> {
        let offsets = offsets.iter().map(|((t, p), o)| (t.clone(), *p, *o));
        self.commit_each(offsets.collect()).await
    }

    async fn commit_each(&self, offsets: Vec<(String, i32, i64)>) -> Result<()> {
        if offsets.is_empty() {
            return Ok(());
        }
        let me = self.identity.borrow().clone();
        match self
            .client
            .commit_offsets_as(self.group, Some((&me.member_id, me.epoch)), &offsets)
            .await
        {
            Ok(()) => Ok(()),
            // STALE_MEMBER_EPOCH, UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH (or the classic
            // protocol's ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS): the membership is joining
            // again; what it owned is someone else's to commit now.
            Err(e) if matches!(e.broker_code(), Some(22 | 25 | 27 | 110 | 113)) => {
                tracing::warn!("commit to group {:?} refused: {e}", self.group);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}
