//! Turning cluster state into snapshots for the lag reports: what the headless commands ask
//! once and the dashboard's poller asks every few seconds.

pub mod groups;
pub mod transactions;
