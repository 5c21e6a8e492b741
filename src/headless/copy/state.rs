//! A copy's progress on disk: the planned ranges and, per partition, the next source offset not
//! yet acknowledged by the target. Written after every acknowledged write, so a copy stopped
//! with Ctrl-C goes on where it stopped, with nothing lost or written twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::kafka::reader::OffsetRange;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CopyState {
    /// "cluster/topic" of each side, to say what a file is about.
    pub source: String,
    pub target: String,
    /// The offsets planned when the copy first ran; later runs keep them.
    pub ranges: Vec<OffsetRange>,
    /// The next offset to copy, by source partition.
    pub next: BTreeMap<i32, i64>,
    pub copied: u64,
    pub bytes: u64,
    pub done: bool,
    /// RFC 3339, when this file was last written.
    pub updated: String,
}

impl CopyState {
    pub fn new(source: String, target: String, ranges: Vec<OffsetRange>) -> Self {
        CopyState {
            next: ranges.iter().map(|r| (r.partition, r.start)).collect(),
            source,
            target,
            ranges,
            copied: 0,
            bytes: 0,
            done: false,
            updated: String::new(),
        }
    }

    /// What is left: each range from its next offset.
    pub fn remaining(&self) -> Vec<OffsetRange> {
        self.ranges
            .iter()
            .map(|r| OffsetRange {
                start: self.next.get(&r.partition).copied().unwrap_or(r.start),
                ..*r
            })
            .collect()
    }

    /// Offsets passed so far (copied, filtered out, or transaction markers).
    pub fn passed(&self) -> i64 {
        self.ranges
            .iter()
            .map(|r| self.next.get(&r.partition).map_or(0, |n| n - r.start))
            .sum()
    }

    pub fn planned(&self) -> i64 {
        self.ranges.iter().map(|r| r.end - r.start).sum()
    }

    pub fn started(&self) -> bool {
        self.passed() > 0 || self.copied > 0
    }

    pub fn load(path: &Path) -> Result<Option<Self>, String> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| format!("{}: not a copy's progress: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Written whole beside the file, then renamed over it: a crash leaves the old or the new.
    pub fn save(&mut self, path: &Path) -> Result<(), String> {
        self.updated = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let fail = |e: std::io::Error| {
            format!("cannot save the copy's progress to {}: {e}", path.display())
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let partial = path.with_extension("json.partial");
        let text = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(&partial, text).map_err(fail)?;
        std::fs::rename(&partial, path).map_err(fail)
    }
}

/// The file a copy keeps its progress in, named by what the command asks (the same command
/// finds it again): `<state dir>/kview/copies/<source>-to-<target>-<hash>.json`.
pub fn default_path(identity: &str, source: &str, target: &str) -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "kview")?;
    let dir = dirs
        .state_dir()
        .unwrap_or_else(|| dirs.data_local_dir())
        .join("copies");
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .take(60)
            .collect()
    };
    Some(dir.join(format!(
        "{}-to-{}-{:08x}.json",
        safe(source),
        safe(target),
        crc32c::crc32c(identity.as_bytes())
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopped_copy_goes_on_from_its_next_offsets_to_the_planned_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        let ranges = vec![
            OffsetRange {
                partition: 0,
                start: 10,
                end: 20,
            },
            OffsetRange {
                partition: 1,
                start: 0,
                end: 5,
            },
        ];
        let mut state = CopyState::new("a/x".into(), "b/y".into(), ranges);
        assert!(!state.started());
        state.next.insert(0, 14);
        state.copied = 4;
        state.save(&path).unwrap();
        let back = CopyState::load(&path).unwrap().unwrap();
        assert_eq!(back, state);
        assert_eq!(back.passed(), 4);
        assert_eq!(back.planned(), 15);
        assert_eq!(
            back.remaining(),
            [
                OffsetRange {
                    partition: 0,
                    start: 14,
                    end: 20
                },
                OffsetRange {
                    partition: 1,
                    start: 0,
                    end: 5
                },
            ]
        );
        assert!(
            CopyState::load(&dir.path().join("none.json"))
                .unwrap()
                .is_none()
        );
        std::fs::write(&path, "{").unwrap();
        assert!(
            CopyState::load(&path)
                .unwrap_err()
                .contains("not a copy's progress")
        );
    }

    #[test]
    fn the_same_command_finds_the_same_file() {
        let a = default_path("x", "local/orders", "other/orders copy");
        assert_eq!(a, default_path("x", "local/orders", "other/orders copy"));
        assert_ne!(a, default_path("y", "local/orders", "other/orders copy"));
        let name = a
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            name.starts_with("local_orders-to-other_orders_copy-"),
            "{name}"
        );
    }
}
