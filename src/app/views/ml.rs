//! The `:ml` view's state: accuracy and loss series per run and model (from `ml.metrics`), the
//! latest evaluation of each, and what the in-dashboard producer and trainer are doing.

use std::collections::BTreeMap;

use super::super::action::Action;
use super::super::event::{Command, MlTask, TaskStatus};
use super::super::state::State;
use crate::demo::ml::records::MetricRecord;

/// Points kept per series; older ones are thinned out by dropping every other point.
const SERIES_POINTS: usize = 400;
/// Runs kept; the oldest is forgotten when a new one appears.
const RUNS_KEPT: usize = 6;

/// One model's evaluations in one run.
#[derive(Debug, Clone, Default)]
pub struct RunCurves {
    /// (samples seen, accuracy) and (samples seen, loss), ready for a chart.
    pub accuracy: Vec<(f64, f64)>,
    pub loss: Vec<(f64, f64)>,
    pub latest: Option<MetricRecord>,
}

#[derive(Debug, Clone)]
pub struct MlView {
    /// Keyed by (run, model); runs sort by id, which starts with their time.
    pub series: BTreeMap<(String, String), RunCurves>,
    /// The series whose confusion matrix is shown.
    pub selected: usize,
    /// Set once the user picks a series; until then the newest run's first model is shown.
    pub picked: bool,
    pub producer: TaskStatus,
    pub trainer: TaskStatus,
}

impl Default for MlView {
    fn default() -> Self {
        MlView {
            series: BTreeMap::new(),
            selected: 0,
            picked: false,
            producer: TaskStatus::Idle,
            trainer: TaskStatus::Idle,
        }
    }
}

impl MlView {
    pub fn record(&mut self, metrics: Vec<MetricRecord>) {
        // The trainer's line follows what it publishes, not the moment it started.
        if let (TaskStatus::Running(_), Some(m)) = (&self.trainer, metrics.last()) {
            self.trainer = TaskStatus::Running(format!(
                "training {}: {} samples seen, {} accuracy {:.3}",
                m.run,
                crate::human::count(m.samples_seen as i64),
                m.model,
                m.accuracy
            ));
        }
        for m in metrics {
            let series = self
                .series
                .entry((m.run.clone(), m.model.clone()))
                .or_default();
            if series
                .latest
                .as_ref()
                .is_some_and(|l| l.samples_seen >= m.samples_seen)
            {
                continue; // a replay or an older evaluation
            }
            series.accuracy.push((m.samples_seen as f64, m.accuracy));
            series.loss.push((m.samples_seen as f64, m.loss));
            if series.accuracy.len() > SERIES_POINTS {
                thin(&mut series.accuracy);
                thin(&mut series.loss);
            }
            series.latest = Some(m);
        }
        let mut runs: Vec<String> = self.series.keys().map(|(r, _)| r.clone()).collect();
        runs.dedup();
        if runs.len() > RUNS_KEPT {
            let forget: Vec<String> = runs[..runs.len() - RUNS_KEPT].to_vec();
            self.series.retain(|(r, _), _| !forget.contains(r));
        }
        // Follow the newest run unless the user picked a series.
        if !self.picked
            && let Some((newest, _)) = self.series.keys().next_back()
        {
            let newest = newest.clone();
            self.selected = self
                .series
                .keys()
                .position(|(r, _)| *r == newest)
                .unwrap_or(0);
        }
        self.selected = self.selected.min(self.series.len().saturating_sub(1));
    }

    pub fn selected_series(&self) -> Option<(&(String, String), &RunCurves)> {
        self.series.iter().nth(self.selected)
    }

    pub fn set_status(&mut self, task: MlTask, status: TaskStatus) {
        match task {
            MlTask::Producer => self.producer = status,
            MlTask::Trainer => self.trainer = status,
        }
    }

    pub fn select_next(&mut self) {
        if !self.series.is_empty() {
            self.selected = (self.selected + 1) % self.series.len();
            self.picked = true;
        }
    }
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Command> {
    let running = |s: &TaskStatus| matches!(s, TaskStatus::Running(_));
    match action {
        Action::MlStart | Action::MlTrainer if state.read_only() => {
            state.error("read-only mode: the ML demo writes to Kafka and is disabled");
        }
        Action::MlStart => {
            if running(&state.ml.producer) {
                state.error("a run is already being produced; x stops it");
            } else {
                let trainer = !running(&state.ml.trainer);
                state.ml.producer = TaskStatus::Running("starting".into());
                if trainer {
                    state.ml.trainer = TaskStatus::Running("starting".into());
                }
                return vec![Command::StartMl {
                    producer: true,
                    trainer,
                }];
            }
        }
        Action::MlStop => {
            state.ml.producer = TaskStatus::Idle;
            state.ml.trainer = TaskStatus::Idle;
            return vec![Command::StopMl {
                producer: true,
                trainer: true,
            }];
        }
        Action::MlTrainer => {
            if running(&state.ml.trainer) {
                state.ml.trainer = TaskStatus::Idle;
                return vec![Command::StopMl {
                    producer: false,
                    trainer: true,
                }];
            }
            state.ml.trainer = TaskStatus::Running("starting".into());
            return vec![Command::StartMl {
                producer: false,
                trainer: true,
            }];
        }
        Action::NextPane => state.ml.select_next(),
        _ => {}
    }
    Vec::new()
}

/// Halves a series, keeping its first and last points.
fn thin(points: &mut Vec<(f64, f64)>) {
    let last = points.last().copied();
    let mut i = 0;
    points.retain(|_| {
        i += 1;
        i % 2 == 1
    });
    if let Some(last) = last
        && points.last() != Some(&last)
    {
        points.push(last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(run: &str, model: &str, samples: u64, accuracy: f64) -> MetricRecord {
        MetricRecord {
            run: run.into(),
            model: model.into(),
            samples_seen: samples,
            epoch: 1,
            accuracy,
            loss: 1.0 - accuracy,
            per_class_accuracy: vec![],
            confusion: vec![],
            timestamp: 0,
        }
    }

    #[test]
    fn series_grow_bounded_and_ignore_replays() {
        let mut v = MlView::default();
        v.record(
            (1..=1000)
                .map(|i| metric("r1", "logreg", i * 10, 0.5))
                .collect(),
        );
        v.record(vec![metric("r1", "logreg", 50, 0.1)]);
        let s = &v.series[&("r1".to_string(), "logreg".to_string())];
        assert!(s.accuracy.len() <= SERIES_POINTS + 1);
        assert_eq!(s.accuracy.first().unwrap().0, 10.0);
        assert_eq!(s.accuracy.last().unwrap().0, 10_000.0);
        assert_eq!(s.latest.as_ref().unwrap().samples_seen, 10_000);
    }

    #[test]
    fn old_runs_are_forgotten() {
        let mut v = MlView::default();
        for r in 0..(RUNS_KEPT + 2) {
            v.record(vec![metric(&format!("run-{r:02}"), "logreg", 1, 0.1)]);
        }
        assert_eq!(v.series.len(), RUNS_KEPT);
        assert!(
            !v.series
                .contains_key(&("run-00".to_string(), "logreg".to_string()))
        );
        assert_eq!(
            v.selected_series().unwrap().0.0,
            "run-07",
            "the newest run is shown"
        );
        v.select_next();
        v.record(vec![metric("run-08", "logreg", 1, 0.1)]);
        assert_ne!(
            v.selected_series().unwrap().0.0,
            "run-08",
            "until the user picks one"
        );
    }
}
