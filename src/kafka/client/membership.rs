//! The requests a member of a consumer group sends: heartbeats of Kafka 4's consumer protocol
//! (KIP-848), commits under its member epoch, and the topic ids its assignments name.

use std::collections::HashMap;

use kafka_protocol::messages::{ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse};
use uuid::Uuid;

use super::KafkaClient;
use crate::kafka::error::{KafkaError, Result};

impl KafkaClient {
    /// Topic ids by name (`names` None: every topic), as assignments of the consumer protocol
    /// name topics by id.
    pub async fn topic_ids(&self, names: Option<&[String]>) -> Result<HashMap<Uuid, String>> {
        let response = self
            .call_any(&super::metadata_request(names), Some(12))
            .await?;
        Ok(response
            .topics
            .into_iter()
            .filter(|t| t.error_code == 0 && !t.topic_id.is_nil())
            .filter_map(|t| Some((t.topic_id, t.name?.0.to_string())))
            .collect())
    }

    /// One ConsumerGroupHeartbeat to the group's coordinator (found again when it moves). The
    /// answer's error code is the caller's to read: fenced and unknown members rejoin.
    pub async fn consumer_heartbeat(
        &self,
        request: &ConsumerGroupHeartbeatRequest,
    ) -> Result<ConsumerGroupHeartbeatResponse> {
        self.check_writable("join a consumer group")?;
        let group = request.group_id.0.to_string();
        let (_, response) = self
            .call_coordinator(&group, request, None, |r| r.error_code)
            .await?;
        Ok(response)
    }
}

/// The consumer protocol's errors that end a membership: rejoining would not help.
pub fn membership_error(code: i16, message: Option<&str>, group: &str) -> Option<KafkaError> {
    match code {
        0 | 25 | 110 => None,
        _ => KafkaError::check(code, message, || format!("join group {group:?}")).err(),
    }
}
