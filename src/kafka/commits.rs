//! Offset commits as Kafka records them in `__consumer_offsets`: every commit with its group,
//! partition, offset and commit time. OffsetFetch only says where a group is now; Burrow-style
//! status needs the history of commits and when each was made, which only this topic holds.
//!
//! The record schemas (OffsetCommitKey v0–1, OffsetCommitValue v0–4) are Kafka's internal ones;
//! kafka-protocol does not carry them, so this module reads exactly those fields and skips every
//! other record type (group metadata, KIP-848 consumer-group records, transaction markers).

use bytes::{Buf, Bytes};

use super::client::KafkaClient;
use super::error::Result;
use super::reader::Reader;
use super::records::Message;
use super::types::StartAt;

pub const OFFSETS_TOPIC: &str = "__consumer_offsets";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRecord {
    pub group: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// When the group committed, Unix milliseconds (the broker's clock).
    pub commit_ms: i64,
}

/// Java's `String.hashCode`, over UTF-16 code units.
fn java_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

/// The `__consumer_offsets` partition that holds a group's commits, as the broker picks it.
pub fn offsets_partition(group: &str, partitions: usize) -> i32 {
    let hash = java_hash(group);
    // Kafka's Utils.abs maps i32::MIN to 0.
    let positive = if hash == i32::MIN { 0 } else { hash.abs() };
    positive % partitions.max(1) as i32
}

fn string(buf: &mut Bytes) -> Option<String> {
    if buf.remaining() < 2 {
        return None;
    }
    let len = buf.get_i16();
    if len < 0 || buf.remaining() < len as usize {
        return None;
    }
    let raw = buf.split_to(len as usize);
    String::from_utf8(raw.to_vec()).ok()
}

fn compact_string(buf: &mut Bytes) -> Option<String> {
    let mut len = 0u64;
    for i in 0..5 {
        if !buf.has_remaining() {
            return None;
        }
        let b = buf.get_u8();
        len |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            break;
        }
    }
    if len == 0 {
        return Some(String::new()); // null
    }
    let len = (len - 1) as usize;
    if buf.remaining() < len {
        return None;
    }
    String::from_utf8(buf.split_to(len).to_vec()).ok()
}

/// Decodes an offset commit; None for any other record (or a deletion, whose value is null).
pub fn decode_commit(key: &Bytes, value: Option<&Bytes>) -> Option<CommitRecord> {
    let mut key = key.clone();
    if key.remaining() < 2 {
        return None;
    }
    let key_version = key.get_i16();
    if !(0..=1).contains(&key_version) {
        return None;
    }
    let group = string(&mut key)?;
    let topic = string(&mut key)?;
    if key.remaining() < 4 {
        return None;
    }
    let partition = key.get_i32();

    let mut value = value?.clone();
    if value.remaining() < 2 {
        return None;
    }
    let value_version = value.get_i16();
    if value.remaining() < 8 {
        return None;
    }
    let offset = value.get_i64();
    match value_version {
        0..=2 => {
            string(&mut value)?;
        }
        3 => {
            value.advance(4.min(value.remaining())); // leader epoch
            string(&mut value)?;
        }
        4 => {
            if value.remaining() < 4 {
                return None;
            }
            value.advance(4);
            compact_string(&mut value)?;
        }
        _ => return None,
    }
    if value.remaining() < 8 {
        return None;
    }
    let commit_ms = value.get_i64();
    Some(CommitRecord {
        group,
        topic,
        partition,
        offset,
        commit_ms,
    })
}

fn commits_in(messages: &[Message], group: Option<&str>) -> Vec<CommitRecord> {
    messages
        .iter()
        .filter_map(|m| decode_commit(m.key.as_ref()?, m.value.as_ref()))
        .filter(|c| group.is_none_or(|g| c.group == g))
        .collect()
}

/// A group's most recent commits: the last `records_back` records of the offsets partition that
/// holds it, oldest first.
pub async fn recent_commits(
    client: &KafkaClient,
    group: &str,
    records_back: i64,
) -> Result<Vec<CommitRecord>> {
    let offsets = client.topic(OFFSETS_TOPIC).await?;
    let partition = offsets_partition(group, offsets.partitions.len());
    let mut reader = Reader::open(
        client,
        OFFSETS_TOPIC,
        Some(partition),
        StartAt::FromEnd(records_back),
        true,
    )
    .await?;
    let mut commits = Vec::new();
    let mut batch = Vec::new();
    while !reader.is_done() {
        batch.clear();
        reader.next_batch(client, &mut batch).await?;
        commits.extend(commits_in(&batch, Some(group)));
    }
    Ok(commits)
}

/// Follows every commit of every group from now on; for the dashboard.
pub struct CommitTail {
    reader: Reader,
}

impl CommitTail {
    /// Starts `records_back` records before the end of each offsets partition, so the dashboard
    /// opens with recent history.
    pub async fn open(client: &KafkaClient, records_back: i64) -> Result<Self> {
        let reader = Reader::open(
            client,
            OFFSETS_TOPIC,
            None,
            StartAt::FromEnd(records_back),
            false,
        )
        .await?;
        Ok(CommitTail { reader })
    }

    /// The next commits; waits up to half a second when there are none.
    pub async fn next(&mut self, client: &KafkaClient) -> Result<Vec<CommitRecord>> {
        // A batch of its own each time: the records point into the fetch's response, and the
        // first batch (thousands of groups' history) would otherwise stay allocated for good.
        let mut batch = Vec::new();
        self.reader.next_batch(client, &mut batch).await?;
        Ok(commits_in(&batch, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BufMut;

    fn key(version: i16, group: &str, topic: &str, partition: i32) -> Bytes {
        let mut b = bytes::BytesMut::new();
        b.put_i16(version);
        b.put_i16(group.len() as i16);
        b.put_slice(group.as_bytes());
        b.put_i16(topic.len() as i16);
        b.put_slice(topic.as_bytes());
        b.put_i32(partition);
        b.freeze()
    }

    #[test]
    fn decodes_every_value_version() {
        let k = key(1, "g", "orders", 3);
        let mut v1 = bytes::BytesMut::new();
        v1.put_i16(1);
        v1.put_i64(42);
        v1.put_i16(2);
        v1.put_slice(b"md");
        v1.put_i64(1_700_000_000_000);
        v1.put_i64(1_700_000_100_000);
        let c = decode_commit(&k, Some(&v1.freeze())).unwrap();
        assert_eq!(
            c,
            CommitRecord {
                group: "g".into(),
                topic: "orders".into(),
                partition: 3,
                offset: 42,
                commit_ms: 1_700_000_000_000,
            }
        );

        let mut v3 = bytes::BytesMut::new();
        v3.put_i16(3);
        v3.put_i64(7);
        v3.put_i32(5);
        v3.put_i16(0);
        v3.put_i64(123);
        assert_eq!(
            decode_commit(&k, Some(&v3.freeze())).unwrap().commit_ms,
            123
        );

        let mut v4 = bytes::BytesMut::new();
        v4.put_i16(4);
        v4.put_i64(8);
        v4.put_i32(-1);
        v4.put_u8(3); // compact string of 2 bytes
        v4.put_slice(b"md");
        v4.put_i64(456);
        v4.put_u8(0); // no tagged fields
        let c = decode_commit(&k, Some(&v4.freeze())).unwrap();
        assert_eq!((c.offset, c.commit_ms), (8, 456));
    }

    #[test]
    fn skips_other_records_and_deletions() {
        assert!(decode_commit(&key(2, "g", "", 0), Some(&Bytes::from_static(&[0, 3]))).is_none());
        assert!(decode_commit(&key(1, "g", "t", 0), None).is_none());
        assert!(decode_commit(&Bytes::from_static(&[0]), None).is_none());
    }

    #[test]
    fn picks_the_partition_the_broker_picks() {
        // Java: "my-group".hashCode() == -1906497762; |h| % 50 == 12.
        assert_eq!(java_hash("my-group"), -1_906_497_762);
        assert_eq!(offsets_partition("my-group", 50), 12);
        assert_eq!(java_hash(""), 0);
        // Kafka's Utils.abs maps Integer.MIN_VALUE to 0.
        assert_eq!(java_hash("polygenelubricants"), i32::MIN);
        assert_eq!(offsets_partition("polygenelubricants", 50), 0);
    }
}
