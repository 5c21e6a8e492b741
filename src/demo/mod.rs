//! The two demo pipelines kview comes from, run for real against the broker: machine learning
//! over Kafka, and a real-time sensor stream.

pub mod ml;
