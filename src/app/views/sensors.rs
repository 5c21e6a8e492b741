//! The `:sensors` view's state: recent values per sensor (bounded), per-sensor statistics over
//! them, the alert feed, and the pipeline's counters for the conservation line.

use std::collections::{BTreeMap, VecDeque};

use super::super::action::Action;
use super::super::event::{Command, SensorTask, TaskStatus};
use super::super::state::State;
use crate::demo::sensors::Conservation;
use crate::demo::sensors::signal::Reading;
use crate::demo::sensors::store::Alert;

/// Readings per second when the simulator starts from the dashboard.
pub const SENSOR_RATE: f64 = 50.0;

/// Values kept per sensor for its chart.
const POINTS: usize = 600;
/// Alerts kept in the feed.
const FEED: usize = 200;

#[derive(Debug, Clone, Default)]
pub struct SensorSeries {
    pub kind: String,
    pub unit: String,
    /// (Unix ms, value), oldest first; dropouts are not points.
    pub points: VecDeque<(i64, f64)>,
    pub current: Option<f64>,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub alerts: u64,
}

impl SensorSeries {
    fn push(&mut self, timestamp: i64, value: Option<f64>) {
        self.current = value;
        let Some(v) = value else { return };
        self.points.push_back((timestamp, v));
        if self.points.len() > POINTS {
            self.points.pop_front();
        }
    }

    /// Statistics over what the chart shows: once per batch, not per reading or while drawing.
    fn refresh_stats(&mut self) {
        if self.points.is_empty() {
            return;
        }
        let (mut min, mut max, mut sum) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
        for (_, v) in &self.points {
            min = min.min(*v);
            max = max.max(*v);
            sum += v;
        }
        self.min = min;
        self.max = max;
        self.mean = sum / self.points.len() as f64;
    }
}

#[derive(Debug, Clone)]
pub struct SensorsView {
    pub series: BTreeMap<String, SensorSeries>,
    pub feed: VecDeque<Alert>,
    pub selected: usize,
    pub counts: Conservation,
    pub simulator: TaskStatus,
    pub processor: TaskStatus,
    pub rate: f64,
    /// Alerts scrolled past at the top of the feed (0: the newest shows first).
    pub feed_scroll: usize,
    /// The processors' group: members, their partitions and rates, rebalance moments.
    pub processors: super::processors::ProcessorsPanel,
}

impl Default for SensorsView {
    fn default() -> Self {
        SensorsView {
            series: BTreeMap::new(),
            feed: VecDeque::new(),
            selected: 0,
            counts: Conservation::default(),
            simulator: TaskStatus::Idle,
            processor: TaskStatus::Idle,
            rate: SENSOR_RATE,
            feed_scroll: 0,
            processors: Default::default(),
        }
    }
}

impl SensorsView {
    pub fn set_status(&mut self, task: SensorTask, status: TaskStatus) {
        match task {
            SensorTask::Simulator => self.simulator = status,
            SensorTask::Processor => self.processor = status,
        }
    }

    pub fn record(&mut self, readings: &[Reading], alerts: &[Alert]) {
        let mut touched = std::collections::BTreeSet::new();
        for r in readings {
            touched.insert(r.sensor.as_str());
            let series = self
                .series
                .entry(r.sensor.clone())
                .or_insert_with(|| SensorSeries {
                    kind: serde_json::to_value(r.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    unit: r.unit.clone(),
                    ..SensorSeries::default()
                });
            series.push(r.timestamp, r.value);
        }
        for sensor in touched {
            if let Some(s) = self.series.get_mut(sensor) {
                s.refresh_stats();
            }
        }
        for a in alerts {
            if let Some(s) = self.series.get_mut(&a.sensor) {
                s.alerts += 1;
            }
            self.feed.push_front(a.clone());
            // A reader scrolled down the feed keeps reading the same alerts.
            if self.feed_scroll > 0 {
                self.feed_scroll += 1;
            }
        }
        self.feed.truncate(FEED);
        self.feed_scroll = self.feed_scroll.min(self.feed.len().saturating_sub(1));
    }

    pub fn selected_sensor(&self) -> Option<(&String, &SensorSeries)> {
        self.series.iter().nth(self.selected)
    }

    /// The simulator's index of the selected sensor (ids end in their index: temp-000).
    pub fn selected_index(&self) -> Option<usize> {
        self.selected_sensor()?.0.rsplit('-').next()?.parse().ok()
    }
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Command> {
    let running = |s: &TaskStatus| matches!(s, TaskStatus::Running(_));
    let read_only = state.read_only();
    let v = &mut state.sensors;
    match action {
        Action::OlderAlerts => {
            v.feed_scroll = (v.feed_scroll + 5).min(v.feed.len().saturating_sub(1));
        }
        Action::NewerAlerts => v.feed_scroll = v.feed_scroll.saturating_sub(5),
        a if a.is_navigation() => {
            let mut list = super::super::list::ListSelection {
                selected: v.selected,
                offset: 0,
            };
            list.step(action, v.series.len(), 10);
            v.selected = list.selected;
        }
        Action::SensorsStart | Action::RateUp | Action::RateDown | Action::Inject(_)
            if read_only =>
        {
            state.error("read-only mode: the sensor simulator writes to Kafka and is disabled");
        }
        Action::SensorsStart => {
            let simulator = !running(&v.simulator);
            let processor = !running(&v.processor);
            if !simulator && !processor {
                state.error("simulator and processor are already running; x stops them");
                return Vec::new();
            }
            if simulator {
                v.simulator = TaskStatus::Running("starting".into());
            }
            if processor {
                v.processor = TaskStatus::Running("starting".into());
            }
            return vec![Command::StartSensors {
                simulator,
                processor,
            }];
        }
        Action::SensorsStop => {
            v.simulator = TaskStatus::Running("stopping".into());
            v.processor = TaskStatus::Running("draining".into());
            return vec![Command::StopSensors];
        }
        Action::RateUp | Action::RateDown => {
            v.rate = if action == Action::RateUp {
                (v.rate * 2.0).min(100_000.0)
            } else {
                (v.rate / 2.0).max(1.0)
            };
            return vec![Command::SetSensorRate(v.rate)];
        }
        Action::Inject(anomaly) => {
            if !running(&v.simulator) {
                state.error("start the simulator first (s)");
                return Vec::new();
            }
            match v.selected_index() {
                Some(sensor) => {
                    let name = v
                        .selected_sensor()
                        .map(|(id, _)| id.clone())
                        .unwrap_or_default();
                    state.info(format!("injecting {} into {name}", anomaly.phrase()));
                    return vec![Command::InjectAnomaly { sensor, anomaly }];
                }
                None => state.error("no sensor selected yet"),
            }
        }
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::sensors::signal::Sensor;

    #[test]
    fn keeps_bounded_series_with_their_statistics() {
        let mut v = SensorsView::default();
        let mut s = Sensor::new(5, 1);
        let readings: Vec<Reading> = (0..1000).map(|t| s.read(t, 0.0)).collect();
        v.record(&readings, &[]);
        let (id, series) = v.selected_sensor().unwrap();
        assert_eq!(id, "hum-005");
        assert_eq!(series.points.len(), POINTS);
        let values: Vec<f64> = series.points.iter().map(|p| p.1).collect();
        assert_eq!(
            series.min,
            values.iter().copied().fold(f64::INFINITY, f64::min)
        );
        assert!((series.mean - values.iter().sum::<f64>() / values.len() as f64).abs() < 1e-9);
        assert_eq!(v.selected_index(), Some(5));
    }
}
