//! The `:sensors` view's state: recent values per sensor (bounded), per-sensor statistics over
//! them, the alert feed, and the pipeline's counters for the conservation line.

use std::collections::{BTreeMap, VecDeque};

use super::event::TaskStatus;
use crate::demo::sensors::signal::Reading;
use crate::demo::sensors::store::Alert;

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

/// Pipeline counts: produced = acknowledged + failed; acknowledged = processed + in flight.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Conservation {
    pub produced: u64,
    pub acknowledged: u64,
    pub failed: u64,
    pub processed: u64,
    pub stored: u64,
    pub replayed: u64,
    pub alerts: u64,
}

impl Conservation {
    /// Acknowledged readings the processor has not reached yet.
    pub fn in_flight(&self) -> i64 {
        self.acknowledged as i64 - self.processed as i64
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
}

impl SensorsView {
    pub fn new(rate: f64) -> Self {
        SensorsView {
            series: BTreeMap::new(),
            feed: VecDeque::new(),
            selected: 0,
            counts: Conservation::default(),
            simulator: TaskStatus::Idle,
            processor: TaskStatus::Idle,
            rate,
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
        }
        self.feed.truncate(FEED);
    }

    pub fn selected_sensor(&self) -> Option<(&String, &SensorSeries)> {
        self.series.iter().nth(self.selected)
    }

    /// The simulator's index of the selected sensor (ids end in their index: temp-000).
    pub fn selected_index(&self) -> Option<usize> {
        self.selected_sensor()?.0.rsplit('-').next()?.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::sensors::signal::Sensor;

    #[test]
    fn keeps_bounded_series_with_their_statistics() {
        let mut v = SensorsView::new(10.0);
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

    #[test]
    fn conservation_counts_in_flight() {
        let c = Conservation {
            produced: 100,
            acknowledged: 98,
            failed: 2,
            processed: 90,
            stored: 90,
            replayed: 0,
            alerts: 1,
        };
        assert_eq!(c.in_flight(), 8);
    }
}
