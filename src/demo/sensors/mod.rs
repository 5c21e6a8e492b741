//! The real-time sensor stream: a simulator producing realistic readings (with labelled
//! anomalies), and a processor that windows, detects and stores them in SQLite.

pub mod processor;
pub mod signal;
pub mod simulator;
pub mod store;
