//! The real-time sensor stream: a simulator producing realistic readings (with labelled
//! anomalies), and processors, members of one consumer group, that window, detect and store
//! them in SQLite or a PostgreSQL they share.

pub mod processor;
pub mod runner;
pub mod signal;
pub mod simulator;
pub mod store;

use std::sync::atomic::Ordering;

use processor::ProcessorCounters;
use simulator::SimCounters;

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
    /// The counts as they stand now.
    pub fn of(sim: &SimCounters, proc: &ProcessorCounters) -> Self {
        let (produced, acknowledged, failed) = sim.snapshot();
        let get = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
        Conservation {
            produced,
            acknowledged,
            failed,
            processed: get(&proc.processed),
            stored: get(&proc.stored),
            replayed: get(&proc.duplicates),
            alerts: get(&proc.alerts),
        }
    }

    /// Acknowledged readings the processor has not reached yet.
    pub fn in_flight(&self) -> i64 {
        self.acknowledged as i64 - self.processed as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
