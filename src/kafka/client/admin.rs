//! Administration: topics (created and deleted through rskafka's controller client),
//! partitions, configs and log-dir sizes (kafka-protocol, which rskafka lacks).

use std::time::Duration;

use futures::future::join_all;
use kafka_protocol::messages::{
    CreatePartitionsRequest, DescribeConfigsRequest, DescribeLogDirsRequest,
    IncrementalAlterConfigsRequest, TopicName,
    create_partitions_request::CreatePartitionsTopic,
    describe_configs_request::DescribeConfigsResource,
    incremental_alter_configs_request::{AlterConfigsResource, AlterableConfig},
};
use kafka_protocol::protocol::StrBytes;

use super::KafkaClient;
use super::data::data_error;
use crate::kafka::error::{KafkaError, Result};
use crate::kafka::pool::Lane;
use crate::kafka::retry::RetryPolicy;
use crate::kafka::types::*;

/// Whose configs change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigTarget {
    Topic(String),
    Broker(i32),
    AllBrokers,
}

impl ConfigTarget {
    /// `topic orders`, `broker 1`, `every broker`.
    pub fn describe(&self) -> String {
        match self {
            ConfigTarget::Topic(t) => format!("topic {t}"),
            ConfigTarget::Broker(id) => format!("broker {id}"),
            ConfigTarget::AllBrokers => "every broker".into(),
        }
    }
}

/// Size on disk of one replica of one partition.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReplicaSize {
    pub broker: i32,
    pub topic: String,
    pub partition: i32,
    pub bytes: i64,
}

impl KafkaClient {
    /// Creates a topic and waits until every partition has a leader.
    pub async fn create_topic(&self, name: &str, partitions: i32, replication: i16) -> Result<()> {
        validate_topic_name(name)?;
        self.check_writable("create a topic")?;
        // Known before asking: a request the controller carried out but answered late (its
        // wait for the metadata timed out while a controller election ran) is retried by
        // rskafka and then answered TOPIC_ALREADY_EXISTS — for the topic this call made.
        if self.topic(name).await.is_ok() {
            return Err(KafkaError::TopicExists(name.to_owned()));
        }
        let controller = self.controller().await?;
        let ctx = format!("create topic {name:?}");
        let timeout_ms = self.settings().request_timeout.as_millis() as i32;
        let created = self
            .timed(
                &ctx,
                controller.create_topic(name, partitions, replication, timeout_ms),
            )
            .await?;
        let created = match created {
            Err(rskafka::client::error::Error::ServerError {
                protocol_error: rskafka::client::error::ProtocolError::TopicAlreadyExists,
                ..
            }) if self
                .topic(name)
                .await
                .is_ok_and(|t| t.partitions.len() == partitions as usize) =>
            {
                Ok(())
            }
            other => other,
        };
        created.map_err(|e| match e {
            rskafka::client::error::Error::ServerError {
                protocol_error: rskafka::client::error::ProtocolError::TopicAlreadyExists,
                ..
            } => KafkaError::TopicExists(name.to_owned()),
            // CreateTopics needs Create on the topic (or on the cluster).
            rskafka::client::error::Error::ServerError {
                protocol_error: rskafka::client::error::ProtocolError::TopicAuthorizationFailed,
                ..
            } => KafkaError::Denied {
                who: self.principal(),
                operation: "Create",
                resource: format!("topic {name}"),
                code: "TOPIC_AUTHORIZATION_FAILED".into(),
            },
            e => data_error(e, &ctx, None),
        })?;
        self.wait_for_leaders(name, partitions as usize).await
    }

    /// Creates a topic unless it exists (the demos call this on start; two may race). Either
    /// way it returns once the topic has its leaders: the one that lost the race waits for
    /// the other's topic too, rather than write to a topic its broker does not know yet.
    pub async fn ensure_topic(&self, name: &str, partitions: i32) -> Result<()> {
        match self.topic(name).await {
            Err(KafkaError::UnknownTopic(_)) => {
                match self.create_topic(name, partitions, 1).await {
                    Err(KafkaError::TopicExists(_)) => self.wait_for_leaders(name, 1).await,
                    other => other,
                }
            }
            other => other.map(|_| ()),
        }
    }

    async fn wait_for_leaders(&self, name: &str, partitions: usize) -> Result<()> {
        let within = self.settings().request_timeout;
        let mut pauses = RetryPolicy::quick(within).pauses();
        loop {
            if let Ok(t) = self.topic(name).await
                && t.partitions.len() >= partitions
                && t.partitions.iter().all(|p| p.leader >= 0)
            {
                return Ok(());
            }
            if !pauses.wait().await {
                return Err(KafkaError::Timeout {
                    what: format!("leaders of new topic {name:?}"),
                    after: within,
                });
            }
        }
    }

    pub async fn delete_topic(&self, name: &str) -> Result<()> {
        validate_topic_name(name)?;
        self.check_writable("delete a topic")?;
        let controller = self.controller().await?;
        let ctx = format!("delete topic {name:?}");
        let timeout_ms = self.settings().request_timeout.as_millis() as i32;
        self.timed(&ctx, controller.delete_topic(name, timeout_ms))
            .await?
            .map_err(|e| data_error(e, &ctx, Some(name)))?;
        self.forget_partition_clients(name).await;
        Ok(())
    }

    pub async fn topic_configs(&self, topic: &str) -> Result<Vec<ConfigEntry>> {
        validate_topic_name(topic)?;
        self.configs(2, topic, None).await
    }

    /// A broker's configs, asked of that broker (only it knows its own file's values).
    pub async fn broker_configs(&self, broker: i32) -> Result<Vec<ConfigEntry>> {
        let meta = self.metadata(Some(&[])).await?;
        let addr = meta
            .brokers
            .iter()
            .find(|b| b.id == broker)
            .map(|b| b.addr())
            .ok_or_else(|| KafkaError::Client(format!("no broker {broker} in the cluster")))?;
        self.configs(4, &broker.to_string(), Some(addr)).await
    }

    /// DescribeConfigs of one resource (2 topic, 4 broker), sorted by name.
    async fn configs(
        &self,
        resource_type: i8,
        name: &str,
        addr: Option<String>,
    ) -> Result<Vec<ConfigEntry>> {
        let topic = name;
        let request = DescribeConfigsRequest::default().with_resources(vec![
            DescribeConfigsResource::default()
                .with_resource_type(resource_type)
                .with_resource_name(StrBytes::from_string(name.to_owned()))
                .with_configuration_keys(None),
        ]);
        let response = match addr {
            Some(addr) => {
                self.pool
                    .call(&addr, Lane::Admin, &request, None, Duration::ZERO)
                    .await?
                    .1
            }
            None => self.call_any(&request, None).await?,
        };
        let mut out = Vec::new();
        for r in response.results {
            if r.error_code == 3 {
                return Err(KafkaError::UnknownTopic(topic.to_owned()));
            }
            KafkaError::check(r.error_code, r.error_message.as_deref(), || {
                if resource_type == 4 {
                    format!("configs of broker {name}")
                } else {
                    format!("configs of topic {topic:?}")
                }
            })?;
            for c in r.configs {
                out.push(ConfigEntry {
                    name: c.name.to_string(),
                    value: c.value.map(|v| v.to_string()),
                    is_default: c.config_source == 5,
                    is_sensitive: c.is_sensitive,
                    read_only: c.read_only,
                    source: config_source(c.config_source),
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Size on disk of every replica, asking every broker; brokers that fail are skipped.
    pub async fn replica_sizes(&self) -> Result<Vec<ReplicaSize>> {
        let meta = self.metadata(Some(&[])).await?;
        Ok(self.replica_sizes_on(&meta.brokers).await)
    }

    /// `replica_sizes` of brokers already known (from metadata just read).
    pub async fn replica_sizes_on(&self, brokers: &[BrokerInfo]) -> Vec<ReplicaSize> {
        let request = DescribeLogDirsRequest::default().with_topics(None);
        let answers = join_all(brokers.iter().map(|b| {
            let request = &request;
            async move {
                (
                    b.id,
                    self.pool
                        .call(&b.addr(), Lane::Sizes, request, None, Duration::ZERO)
                        .await,
                )
            }
        }))
        .await;
        let mut out = Vec::new();
        for (broker, answer) in answers {
            let Ok((_, response)) = answer else { continue };
            for dir in response.results.iter().filter(|d| d.error_code == 0) {
                for t in &dir.topics {
                    for p in t.partitions.iter().filter(|p| !p.is_future_key) {
                        out.push(ReplicaSize {
                            broker,
                            topic: t.name.0.to_string(),
                            partition: p.partition_index,
                            bytes: p.partition_size,
                        });
                    }
                }
            }
        }
        out
    }

    /// Sets a topic's config key (`Some(value)`) or removes the topic's own value so the
    /// broker's default applies again (`None`); other keys are left as they are.
    pub async fn alter_topic_config(
        &self,
        topic: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<()> {
        validate_topic_name(topic)?;
        self.alter_config(&ConfigTarget::Topic(topic.to_owned()), key, value)
            .await
    }

    /// Sets (`Some`) or removes (`None`) one config key of a topic or of brokers' dynamic
    /// configs; other keys are left as they are.
    pub async fn alter_config(
        &self,
        target: &ConfigTarget,
        key: &str,
        value: Option<&str>,
    ) -> Result<()> {
        self.check_writable(match target {
            ConfigTarget::Topic(_) => "change a topic's configs",
            _ => "change broker configs",
        })?;
        let (resource_type, name) = match target {
            ConfigTarget::Topic(t) => (2, t.clone()),
            ConfigTarget::Broker(id) => (4, id.to_string()),
            // The cluster-wide default of every broker: the broker resource without a name.
            ConfigTarget::AllBrokers => (4, String::new()),
        };
        let config = AlterableConfig::default()
            .with_name(StrBytes::from_string(key.to_owned()))
            // 0 SET, 1 DELETE
            .with_config_operation(if value.is_some() { 0 } else { 1 })
            .with_value(value.map(|v| StrBytes::from_string(v.to_owned())));
        let request = IncrementalAlterConfigsRequest::default().with_resources(vec![
            AlterConfigsResource::default()
                .with_resource_type(resource_type)
                .with_resource_name(StrBytes::from_string(name))
                .with_configs(vec![config]),
        ]);
        // A broker's own configs go to that broker (it checks they are its own).
        let response = match target {
            ConfigTarget::Broker(id) => {
                self.metadata(Some(&[])).await?;
                let addr = self.broker_addr(*id)?;
                let wait = self.settings().request_timeout;
                self.pool
                    .call(&addr, Lane::Admin, &request, None, wait)
                    .await?
                    .1
            }
            _ => self.call_any(&request, None).await?,
        };
        for r in response.responses {
            if let (3, ConfigTarget::Topic(topic)) = (r.error_code, target) {
                return Err(KafkaError::UnknownTopic(topic.clone()));
            }
            KafkaError::check(r.error_code, r.error_message.as_deref(), || {
                format!("set {key} of {}", target.describe())
            })
            .map_err(|e| match target {
                ConfigTarget::Topic(t) => {
                    e.denied_to(&self.principal(), "AlterConfigs", || format!("topic {t}"))
                }
                _ => self.denied(e, "AlterConfigs"),
            })?;
        }
        Ok(())
    }

    /// Raises a topic's partition count to `count`.
    pub async fn create_partitions(&self, topic: &str, count: i32) -> Result<()> {
        validate_topic_name(topic)?;
        self.check_writable("add partitions")?;
        let request = CreatePartitionsRequest::default()
            .with_topics(vec![
                CreatePartitionsTopic::default()
                    .with_name(TopicName(StrBytes::from_string(topic.to_owned())))
                    .with_count(count)
                    .with_assignments(None),
            ])
            .with_timeout_ms(self.settings().request_timeout.as_millis() as i32);
        let response = self.call_any(&request, None).await?;
        for r in response.results {
            KafkaError::check(r.error_code, r.error_message.as_deref(), || {
                format!("create partitions of {topic:?}")
            })?;
        }
        self.forget_partition_clients(topic).await;
        self.wait_for_leaders(topic, count as usize).await
    }
}

fn config_source(code: i8) -> &'static str {
    match code {
        1 => "topic",
        2 => "broker",
        3 => "cluster default",
        4 => "broker file",
        5 => "default",
        6 => "broker logger",
        _ => "unknown",
    }
}
