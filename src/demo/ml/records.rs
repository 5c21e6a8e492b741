//! What the ML pipeline writes to Kafka: the topics, the sample stream and the evaluations.
//! Anything that writes [`MetricRecord`] to `ml.metrics` is drawn by the `:ml` view.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    pub train: String,
    pub test: String,
    pub metrics: String,
}

impl Topics {
    /// `ml.train`, `ml.test`, `ml.metrics`, after an optional prefix (tests isolate themselves).
    pub fn with_prefix(prefix: &str) -> Self {
        Topics {
            train: format!("{prefix}ml.train"),
            test: format!("{prefix}ml.test"),
            metrics: format!("{prefix}ml.metrics"),
        }
    }
}

/// What flows on `ml.train` and `ml.test`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamRecord {
    Sample {
        run: String,
        id: usize,
        epoch: u32,
        features: Vec<f32>,
        label: usize,
    },
    /// Closes a run on a topic: nothing more of it follows.
    End {
        run: String,
        dataset: String,
        samples: usize,
    },
}

/// One evaluation, as published on `ml.metrics`. Anything that writes this shape there is
/// drawn by the `:ml` view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricRecord {
    pub run: String,
    pub model: String,
    pub samples_seen: u64,
    pub epoch: u32,
    pub accuracy: f64,
    pub loss: f64,
    #[serde(default)]
    pub per_class_accuracy: Vec<f64>,
    #[serde(default)]
    pub confusion: Vec<Vec<u32>>,
    /// Unix milliseconds.
    pub timestamp: i64,
}
