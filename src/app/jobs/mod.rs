//! Background jobs: everything that does I/O for the dashboard. Jobs own their work and send
//! what they learn as events; one registry owns every job, so the runtime can stop one, or all
//! of them when the dashboard leaves a cluster.

pub mod connect;
pub mod demos;
pub mod group_poll;
pub mod poller;
pub mod requests;
pub mod schemas;

use std::collections::HashMap;
use std::future::Future;

use tokio::sync::mpsc::Sender;
use tokio::task::{JoinHandle, JoinSet};

use super::event::Event;

/// The wall clock in milliseconds, as the events' `at_ms` carry it.
fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The long-running jobs; at most one of each runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Connects, then polls metadata, watermarks, sizes, groups and commits.
    Poller,
    /// Reads messages for the browser.
    Browse,
    MlProducer,
    MlTrainer,
    SensorSimulator,
    SensorProcessor,
    /// Reports the sensor pipeline's counts.
    SensorCounts,
    /// Looks at the sensor processors' group.
    ProcessorGroup,
}

pub struct Jobs {
    tx: Sender<Event>,
    running: HashMap<JobKind, JoinHandle<()>>,
    /// Answers to one request each (configs, a produce, a reset plan).
    requests: JoinSet<()>,
}

impl Jobs {
    pub fn new(tx: Sender<Event>) -> Self {
        Jobs {
            tx,
            running: HashMap::new(),
            requests: JoinSet::new(),
        }
    }

    /// Where jobs send their events.
    pub fn events(&self) -> Sender<Event> {
        self.tx.clone()
    }

    /// Starts a job, stopping the one of its kind that runs.
    pub fn start(&mut self, kind: JobKind, job: impl Future<Output = ()> + Send + 'static) {
        self.stop(kind);
        self.running.insert(kind, tokio::spawn(job));
    }

    /// Starts a job unless one of its kind still runs; true if it started.
    pub fn start_if_idle(
        &mut self,
        kind: JobKind,
        job: impl Future<Output = ()> + Send + 'static,
    ) -> bool {
        if self.is_running(kind) {
            return false;
        }
        self.running.insert(kind, tokio::spawn(job));
        true
    }

    pub fn is_running(&self, kind: JobKind) -> bool {
        self.running.get(&kind).is_some_and(|h| !h.is_finished())
    }

    pub fn stop(&mut self, kind: JobKind) {
        if let Some(job) = self.running.remove(&kind) {
            job.abort();
        }
    }

    /// Runs a request whose answer is one event.
    pub fn request(&mut self, answer: impl Future<Output = Event> + Send + 'static) {
        let tx = self.tx.clone();
        // Forget requests that have finished, so the set stays small.
        while self.requests.try_join_next().is_some() {}
        self.requests.spawn(async move {
            // A closed channel means the dashboard is leaving; the answer no longer matters.
            let _ = tx.send(answer.await).await;
        });
    }

    /// Stops every job and request.
    pub fn stop_all(&mut self) {
        for (_, job) in self.running.drain() {
            job.abort();
        }
        self.requests.abort_all();
    }
}

impl Drop for Jobs {
    fn drop(&mut self) {
        self.stop_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn one_job_per_kind_and_all_stop_together() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        let mut jobs = Jobs::new(tx);
        jobs.start(JobKind::Browse, std::future::pending());
        assert!(jobs.is_running(JobKind::Browse));
        assert!(!jobs.start_if_idle(JobKind::Browse, std::future::pending()));
        jobs.start(JobKind::Poller, std::future::pending());
        jobs.request(async { Event::Produced(Err("answer".into())) });
        let answer = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        assert!(matches!(answer, Ok(Some(Event::Produced(Err(_))))));
        jobs.stop_all();
        tokio::task::yield_now().await;
        assert!(!jobs.is_running(JobKind::Browse));
        assert!(!jobs.is_running(JobKind::Poller));
    }
}
