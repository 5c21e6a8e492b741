//! The machine-learning pipeline: a producer streams train and test samples of a real dataset;
//! a trainer learns online, evaluates on the held-out samples and publishes each evaluation to
//! `ml.metrics` (and SQLite), where the `:ml` view draws it.

pub mod dataset;
pub mod model;
pub mod pipeline;
pub mod records;
pub mod store;
pub mod trainer;

pub use dataset::Dataset;
