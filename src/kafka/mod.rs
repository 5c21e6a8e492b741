//! The connection layer: the one place kview talks to brokers. It knows nothing of terminals;
//! the headless commands and the dashboard both use it.

pub mod acl;
pub mod client;
pub mod commits;
pub mod conn;
pub mod error;
pub mod group;
pub mod partitioner;
mod pool;
pub mod reader;
pub mod records;
pub mod retry;
pub mod security;
pub mod types;

pub use client::{
    FetchPosition, KafkaClient, PartitionFetch, PartitionWritten, ProducerState, ReplicaSize,
    TransactionDescription, TransactionListing,
};
pub use conn::ConnSettings;
pub use error::{KafkaError, Result};
pub use records::{Compression, Header, Message, ProduceRecord, TimestampType};
pub use types::*;
