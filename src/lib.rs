//! kview: a terminal dashboard and scriptable client for Apache Kafka.

pub mod kafka;
