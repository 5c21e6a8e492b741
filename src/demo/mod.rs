//! The two demo pipelines kview comes from, run for real against the broker: machine learning
//! over Kafka, and a real-time sensor stream.

pub mod ml;
pub mod sensors;

/// The names of the demos' topics and groups: Kafka's usual names after a prefix (empty by
/// default), so tests and side-by-side runs keep to their own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoNames {
    pub prefix: String,
}

impl DemoNames {
    pub fn new(prefix: &str) -> Self {
        DemoNames {
            prefix: prefix.to_owned(),
        }
    }

    pub fn ml_topics(&self) -> ml::records::Topics {
        ml::records::Topics::with_prefix(&self.prefix)
    }

    pub fn ml_group(&self) -> String {
        format!("{}kview-ml-trainer", self.prefix)
    }

    pub fn sensors_topic(&self) -> String {
        format!("{}{}", self.prefix, sensors::simulator::DEFAULT_TOPIC)
    }

    pub fn sensor_alerts_topic(&self) -> String {
        format!("{}.alerts", self.sensors_topic())
    }

    pub fn sensor_group(&self) -> String {
        format!("{}kview-sensor-processor", self.prefix)
    }
}

/// A file in kview's data folder (`$XDG_DATA_HOME/kview`, else `~/.local/share/kview`), created
/// on demand; the current folder when there is no home.
pub fn data_file(name: &str) -> std::path::PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".local/share"))
        });
    match base {
        Some(base) => {
            let dir = base.join("kview");
            let _ = std::fs::create_dir_all(&dir);
            dir.join(name)
        }
        None => std::path::PathBuf::from(name),
    }
}
