//! What a sensor reads: realistic signals per kind, and anomalies injected on purpose and
//! labelled, so detection can be scored.

use serde::{Deserialize, Serialize};

use crate::demo::ml::dataset::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Temperature,
    Humidity,
    Pressure,
    Vibration,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::Temperature,
        Kind::Humidity,
        Kind::Pressure,
        Kind::Vibration,
    ];

    pub fn unit(self) -> &'static str {
        match self {
            Kind::Temperature => "°C",
            Kind::Humidity => "%RH",
            Kind::Pressure => "hPa",
            Kind::Vibration => "mm/s RMS",
        }
    }

    /// The size of the signal's ordinary noise, which anomalies are measured against.
    pub fn noise(self) -> f64 {
        match self {
            Kind::Temperature => 0.15,
            Kind::Humidity => 0.6,
            Kind::Pressure => 0.3,
            Kind::Vibration => 0.05,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anomaly {
    /// One reading far off the signal.
    Spike,
    /// The same value repeated for several readings.
    Stuck,
    /// A reading lost: sent with a null value.
    Dropout,
    /// A slowly growing offset over several readings.
    Drift,
}

impl Anomaly {
    pub const ALL: [Anomaly; 4] = [
        Anomaly::Spike,
        Anomaly::Stuck,
        Anomaly::Dropout,
        Anomaly::Drift,
    ];

    pub fn parse(s: &str) -> Option<Anomaly> {
        Self::ALL.into_iter().find(|a| a.name() == s)
    }

    /// "a spike", "a stuck value": the anomaly in a sentence.
    pub fn phrase(self) -> &'static str {
        match self {
            Anomaly::Spike => "a spike",
            Anomaly::Stuck => "a stuck value",
            Anomaly::Dropout => "a dropout",
            Anomaly::Drift => "a drift",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Anomaly::Spike => "spike",
            Anomaly::Stuck => "stuck",
            Anomaly::Dropout => "dropout",
            Anomaly::Drift => "drift",
        }
    }
}

/// One reading as it travels on the topic (keyed by sensor id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub sensor: String,
    pub site: String,
    pub kind: Kind,
    pub unit: String,
    /// Unix milliseconds.
    pub timestamp: i64,
    /// Per sensor, consecutive from the simulator run's start value (its start time in µs, so
    /// runs never reuse a number): a lost or duplicated reading is visible.
    pub seq: u64,
    /// None for a dropout.
    pub value: Option<f64>,
    /// The anomaly injected into this reading, if any.
    pub anomaly: Option<Anomaly>,
}

/// One simulated sensor: a signal plus whatever anomaly is under way.
#[derive(Debug, Clone)]
pub struct Sensor {
    pub id: String,
    pub site: String,
    pub kind: Kind,
    seq: u64,
    rng: Rng,
    drift: f64,
    burst: u32,
    /// An anomaly being played out: what, and readings left.
    active: Option<(Anomaly, u32)>,
    last_value: f64,
    phase: f64,
}

impl Sensor {
    pub fn new(index: usize, seed: u64) -> Self {
        Self::starting_at(index, seed, 0)
    }

    /// A sensor whose sequence numbers start at `first_seq`.
    pub fn starting_at(index: usize, seed: u64, first_seq: u64) -> Self {
        let kind = Kind::ALL[index % Kind::ALL.len()];
        let mut rng = Rng::new(seed ^ (index as u64).wrapping_mul(0x9e37_79b9));
        let phase = rng.next_f32() as f64 * std::f64::consts::TAU;
        Sensor {
            id: format!("{}-{index:03}", kind_prefix(kind)),
            site: format!("site-{}", (b'a' + (index / 4 % 26) as u8) as char),
            kind,
            seq: first_seq,
            rng,
            drift: 0.0,
            burst: 0,
            active: None,
            last_value: 0.0,
            phase,
        }
    }

    /// Starts an anomaly with the next reading.
    pub fn inject(&mut self, anomaly: Anomaly) {
        let length = match anomaly {
            Anomaly::Spike | Anomaly::Dropout => 1,
            Anomaly::Stuck => 6,
            Anomaly::Drift => 20,
        };
        self.active = Some((anomaly, length));
    }

    fn gaussian(&mut self) -> f64 {
        // Box–Muller.
        let u1 = (self.rng.next_f32() as f64).max(1e-9);
        let u2 = self.rng.next_f32() as f64;
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// The signal without anomalies at a time.
    fn signal(&mut self, timestamp_ms: i64) -> f64 {
        let day = timestamp_ms as f64 / 86_400_000.0 * std::f64::consts::TAU + self.phase;
        let noise = self.gaussian() * self.kind.noise();
        match self.kind {
            Kind::Temperature => {
                // Daily cycle, slow random-walk drift.
                self.drift = (self.drift + self.gaussian() * 0.002).clamp(-2.0, 2.0);
                21.0 + 4.0 * day.sin() + self.drift + noise
            }
            Kind::Humidity => 55.0 - 12.0 * day.sin() + noise,
            Kind::Pressure => 1013.0 + 2.0 * (day / 3.0).sin() + noise,
            Kind::Vibration => {
                // Machines run in bursts of higher vibration.
                if self.burst == 0 && self.rng.next_f32() < 0.002 {
                    self.burst = 30;
                }
                let base = if self.burst > 0 {
                    self.burst -= 1;
                    1.2
                } else {
                    0.5
                };
                (base + noise).max(0.0)
            }
        }
    }

    /// The next reading; `anomaly_probability` starts a random anomaly now and then.
    pub fn read(&mut self, timestamp_ms: i64, anomaly_probability: f64) -> Reading {
        if self.active.is_none()
            && anomaly_probability > 0.0
            && (self.rng.next_f32() as f64) < anomaly_probability
        {
            let pick = Anomaly::ALL[(self.rng.next_u64() % 4) as usize];
            self.inject(pick);
        }
        let clean = self.signal(timestamp_ms);
        let (value, label) = match self.active {
            None => (Some(clean), None),
            Some((anomaly, left)) => {
                self.active = (left > 1).then_some((anomaly, left - 1));
                let value = match anomaly {
                    Anomaly::Spike => {
                        let sign = if self.rng.next_f32() < 0.5 { -1.0 } else { 1.0 };
                        Some(clean + sign * self.kind.noise() * 12.0)
                    }
                    Anomaly::Stuck => Some(self.last_value),
                    Anomaly::Dropout => None,
                    Anomaly::Drift => {
                        let step = 20 - left + 1;
                        Some(clean + self.kind.noise() * 0.5 * f64::from(step))
                    }
                };
                (value, Some(anomaly))
            }
        };
        if let Some(v) = value {
            self.last_value = v;
        }
        let reading = Reading {
            sensor: self.id.clone(),
            site: self.site.clone(),
            kind: self.kind,
            unit: self.kind.unit().to_owned(),
            timestamp: timestamp_ms,
            seq: self.seq,
            value,
            anomaly: label,
        };
        self.seq += 1;
        reading
    }
}

fn kind_prefix(kind: Kind) -> &'static str {
    match kind {
        Kind::Temperature => "temp",
        Kind::Humidity => "hum",
        Kind::Pressure => "press",
        Kind::Vibration => "vib",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_stay_in_realistic_ranges() {
        for i in 0..4 {
            let mut s = Sensor::new(i, 1);
            for t in 0..2000 {
                let r = s.read(t * 60_000, 0.0);
                let v = r.value.unwrap();
                let ok = match r.kind {
                    Kind::Temperature => (10.0..35.0).contains(&v),
                    Kind::Humidity => (30.0..80.0).contains(&v),
                    Kind::Pressure => (1000.0..1025.0).contains(&v),
                    Kind::Vibration => (0.0..3.0).contains(&v),
                };
                assert!(ok, "{:?} {v}", r.kind);
                assert_eq!(r.seq, t as u64);
                assert!(r.anomaly.is_none());
            }
        }
    }

    #[test]
    fn injected_anomalies_are_labelled_and_shaped() {
        let mut s = Sensor::new(0, 3);
        let before = s.read(0, 0.0).value.unwrap();
        s.inject(Anomaly::Spike);
        let spike = s.read(1000, 0.0);
        assert_eq!(spike.anomaly, Some(Anomaly::Spike));
        assert!((spike.value.unwrap() - before).abs() > 1.0);
        s.inject(Anomaly::Dropout);
        assert_eq!(s.read(2000, 0.0).value, None);
        s.inject(Anomaly::Stuck);
        let stuck: Vec<f64> = (0..6)
            .map(|i| s.read(3000 + i, 0.0).value.unwrap())
            .collect();
        assert!(stuck.windows(2).all(|w| w[0] == w[1]));
        assert!(s.read(10_000, 0.0).anomaly.is_none());
    }

    #[test]
    fn the_same_seed_gives_the_same_readings() {
        let run = |seed| {
            let mut s = Sensor::new(2, seed);
            (0..50).map(|t| s.read(t, 0.05).value).collect::<Vec<_>>()
        };
        assert_eq!(run(9), run(9));
    }
}
