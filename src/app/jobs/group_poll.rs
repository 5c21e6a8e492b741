//! The group poll: every consumer group's snapshot, less often as the groups grow, and the group
//! the user has open on its own at the ordinary pace between those polls.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{Notify, mpsc::Sender, watch};
use tokio::time::Instant;

use super::now_ms;
use crate::app::event::Event;
use crate::collect::groups::{self as collect_groups, KnownHighs, OwnedGroupSnapshot};
use crate::kafka::{GroupKind, GroupListing, KafkaClient, Result};

/// How often every group is polled while the groups are few, and the open group always.
pub const GROUPS_EVERY: Duration = Duration::from_secs(5);
/// Group partitions reported per second by default: every group every 5 s up to 10,000 of
/// them, then less often (11 s at kafbat's 2,200 groups of ten partitions), so many groups cost
/// the dashboard no more than a few. A profile's `group_refresh` sets the interval outright.
const GROUP_PARTITIONS_PER_SECOND: usize = 2_000;
/// How long the first group poll waits for the first watermark sample.
const FIRST_SAMPLE_WAIT: Duration = Duration::from_secs(10);
/// Groups whose snapshots are taken concurrently.
const GROUPS_AT_ONCE: usize = 8;

/// The last sample's high watermarks, replaced whole (the group poll holds on to the one it took).
pub type Highs = std::sync::RwLock<Arc<KnownHighs>>;

/// The group the user has open, if any: the runtime says, the group poll listens.
pub type OpenGroup = watch::Receiver<Option<String>>;

pub fn group_interval(configured: Option<Duration>, group_partitions: usize) -> Duration {
    configured.unwrap_or_else(|| {
        let secs = group_partitions.div_ceil(GROUP_PARTITIONS_PER_SECOND) as u64;
        GROUPS_EVERY.max(Duration::from_secs(secs))
    })
}

/// Every consumer group's snapshot, every few seconds (see [`group_interval`]); between two
/// polls, the open group alone (see [`poll_open_group`]).
pub async fn poll_groups(
    client: &KafkaClient,
    tx: &Sender<Event>,
    configured: Option<Duration>,
    latest: &Highs,
    sampled: &Notify,
    mut open: OpenGroup,
) {
    // The first watermark sample, or the groups without it if it is slow to come.
    let _ = tokio::time::timeout(FIRST_SAMPLE_WAIT, sampled.notified()).await;
    let mut kinds: HashMap<String, GroupKind> = HashMap::new();
    loop {
        let mut every = group_interval(configured, 0);
        match poll_every_group(client, latest).await {
            Ok((snapshots, listed)) => {
                let reported = snapshots.iter().map(|s| s.high_watermarks.len()).sum();
                every = group_interval(configured, reported);
                kinds = listed;
                let event = Event::Groups {
                    at_ms: now_ms(),
                    snapshots,
                    every_when_slower: (every > GROUPS_EVERY).then_some(every),
                };
                if tx.send(event).await.is_err() {
                    return;
                }
            }
            Err(e) => tracing::warn!("listing groups failed: {e}"),
        }
        // The interval after the poll ends: a poll slower than it never runs back to back.
        let next = Instant::now() + every;
        if !poll_open_group(client, tx, &mut open, &kinds, next).await {
            return;
        }
    }
}

/// One describe per coordinator and kind, one OffsetFetch per coordinator, one
/// DescribeShareGroupOffsets per coordinator, for all of them; then each group's snapshot from
/// those and the last watermark sample. Also each group's kind, for the open group's polls.
async fn poll_every_group(
    client: &KafkaClient,
    latest: &Highs,
) -> Result<(Vec<OwnedGroupSnapshot>, HashMap<String, GroupKind>)> {
    // Every kind of group whose members read topics.
    let listings: Vec<GroupListing> = client
        .list_groups()
        .await?
        .into_iter()
        .filter(GroupListing::reads_topics)
        .collect();
    let ids_where = |keep: fn(&GroupKind) -> bool| -> Vec<String> {
        listings
            .iter()
            .filter(|g| keep(&g.kind))
            .map(|g| g.group_id.clone())
            .collect()
    };
    let ids: Vec<String> = listings.iter().map(|g| g.group_id.clone()).collect();
    client.know_coordinators(&ids).await;
    let committing = ids_where(|k| *k != GroupKind::Share);
    let sharing = ids_where(|k| *k == GroupKind::Share);
    let kinds = listings
        .iter()
        .map(|g| (g.group_id.clone(), g.kind.clone()))
        .collect();
    let known = latest.read().unwrap_or_else(|p| p.into_inner()).clone();
    let known = &*known;
    let (descriptions, committed, starts) = tokio::join!(
        client.describe_groups(&listings),
        client.committed_offsets_of(&committing),
        client.share_start_offsets(&sharing),
    );
    let mut committed: HashMap<String, _> = committing.into_iter().zip(committed).collect();
    let mut starts: HashMap<String, _> = sharing.into_iter().zip(starts).collect();
    let work = listings.into_iter().zip(descriptions).map(|(g, d)| {
        let prefetched = collect_groups::Prefetched {
            description: d.ok(),
            committed: committed.remove(&g.group_id).and_then(|c| c.ok()),
            share_starts: starts.remove(&g.group_id).and_then(|s| s.ok()),
        };
        (g, prefetched)
    });
    // A few groups at a time: hundreds of groups must not mean hundreds of requests in flight
    // at once.
    let snapshots: Vec<_> = futures::stream::iter(work)
        .map(|(g, prefetched)| async move {
            collect_groups::snapshot_with(client, &g.group_id, g.kind, known, prefetched).await
        })
        .buffer_unordered(GROUPS_AT_ONCE)
        .collect()
        .await;
    Ok((
        snapshots.into_iter().filter_map(|s| s.ok()).collect(),
        kinds,
    ))
}

/// Until `until`, the group the user has open, alone, as soon as it is opened and every
/// [`GROUPS_EVERY`] after: a large cluster's groups are all polled less often, the one being
/// looked at is not. Its high watermarks are asked afresh. False once the dashboard has gone.
async fn poll_open_group(
    client: &KafkaClient,
    tx: &Sender<Event>,
    open: &mut OpenGroup,
    kinds: &HashMap<String, GroupKind>,
    until: Instant,
) -> bool {
    let mut due = Instant::now() + GROUPS_EVERY;
    // The runtime holds the sender while the dashboard runs; without it, only the time counts.
    let mut listening = true;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(due.min(until)) => {}
            changed = open.changed(), if listening => match changed {
                Ok(()) => due = Instant::now(),
                Err(_) => listening = false,
            },
        }
        let now = Instant::now();
        if now >= until {
            return true;
        }
        if now < due {
            continue;
        }
        due = now + GROUPS_EVERY;
        let Some(group) = open.borrow_and_update().clone() else {
            continue;
        };
        match collect_groups::snapshot(client, &group, kinds.get(&group).cloned()).await {
            Ok(snapshot) => {
                let event = Event::OpenGroup {
                    at_ms: now_ms(),
                    snapshot: Box::new(snapshot),
                };
                if tx.send(event).await.is_err() {
                    return false;
                }
            }
            Err(e) => tracing::debug!("polling group {group}: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_groups_are_polled_less_often_unless_a_profile_says() {
        assert_eq!(group_interval(None, 0), GROUPS_EVERY);
        assert_eq!(group_interval(None, 10_000), GROUPS_EVERY);
        assert_eq!(group_interval(None, 22_000), Duration::from_secs(11));
        assert_eq!(
            group_interval(Some(Duration::from_secs(2)), 22_000),
            Duration::from_secs(2)
        );
    }
}
