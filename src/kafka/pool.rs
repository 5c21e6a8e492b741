//! Connections to brokers, pooled by address and lane, and the one place a connection is set
//! up (TCP, then ApiVersions; TLS and SASL join here). Every kafka-protocol request kview sends
//! goes through [`Pool::call_built`].

use std::borrow::Borrow;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::protocol::Request;
use tokio::sync::Mutex;

use super::conn::{BrokerConn, ConnSettings};
use super::error::Result;

/// Which connection to a broker a request rides on. A broker answers one connection's
/// requests in order, so a fetch that long-polls an idle topic holds up whatever is sent
/// behind it on that connection: admin requests have their own lane, each reader its own
/// fetch lane (a [`FetchLane`] lease), and the fetches that never wait (reading the timestamp
/// at an offset) share one lane, so thousands of them open no more connections than one does;
/// ListOffsets sends a second round (low watermarks beside high) on it too. Replica sizes
/// (DescribeLogDirs, every partition a broker holds) are slow to answer on a large cluster and
/// have a lane of their own, so they hold up neither.
/// What an admin or look-up connection keeps of its buffers between requests (a fetch lane
/// keeps all: its reader asks again at once).
const KEPT_BUFFER_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Lane {
    Admin,
    Lookup,
    Sizes,
    Fetch(u32),
}

/// Fetch lane numbers: the next new one, and those given back.
#[derive(Debug, Default)]
struct LaneNumbers {
    next: u32,
    free: Vec<u32>,
}

/// A fetch lane held by one reader; its number (and so its connections) goes to the next
/// reader when this one is dropped, so connections grow with readers at once, not ever.
#[derive(Debug)]
pub struct FetchLane {
    number: u32,
    numbers: Arc<std::sync::Mutex<LaneNumbers>>,
}

impl FetchLane {
    pub(crate) fn lane(&self) -> Lane {
        Lane::Fetch(self.number)
    }
}

impl Drop for FetchLane {
    fn drop(&mut self) {
        let mut numbers = self.numbers.lock().unwrap_or_else(|p| p.into_inner());
        numbers.free.push(self.number);
    }
}

type Slot = Arc<Mutex<Option<BrokerConn>>>;

/// Broker connections by address and lane, opened on first use and reopened after a failure.
pub(crate) struct Pool {
    settings: ConnSettings,
    slots: std::sync::Mutex<HashMap<(String, Lane), Slot>>,
    sent: std::sync::atomic::AtomicU64,
    fetch_lanes: Arc<std::sync::Mutex<LaneNumbers>>,
}

impl Pool {
    pub fn new(settings: ConnSettings) -> Self {
        Pool {
            settings,
            slots: Default::default(),
            sent: Default::default(),
            fetch_lanes: Default::default(),
        }
    }

    /// A fetch lane no other reader holds now (the lowest free number).
    pub fn fetch_lane(&self) -> FetchLane {
        let mut numbers = self.fetch_lanes.lock().unwrap_or_else(|p| p.into_inner());
        numbers.free.sort_unstable_by(|a, b| b.cmp(a));
        let number = numbers.free.pop().unwrap_or_else(|| {
            numbers.next += 1;
            numbers.next - 1
        });
        FetchLane {
            number,
            numbers: self.fetch_lanes.clone(),
        }
    }

    pub fn requests_sent(&self) -> u64 {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Counts a request sent on a connection kview holds outside the pool (the producer's).
    pub fn note_sent(&self) {
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn settings(&self) -> &ConnSettings {
        &self.settings
    }

    fn slot(&self, addr: &str, lane: Lane) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots
            .entry((addr.to_owned(), lane))
            .or_insert_with(|| Arc::new(Mutex::new(None)))
            .clone()
    }

    pub async fn call<R: Request>(
        &self,
        addr: &str,
        lane: Lane,
        request: &R,
        cap: Option<i16>,
        broker_wait: Duration,
    ) -> Result<(i16, R::Response)> {
        // Lent, not cloned: a sample's ListOffsets request names thousands of partitions.
        self.send_with::<R, &R>(addr, lane, cap, broker_wait, |_| request)
            .await
    }

    /// Sends the request `build` makes for the negotiated version: some requests change shape
    /// between versions (FindCoordinator v4 batches keys, for one).
    pub async fn call_built<R: Request>(
        &self,
        addr: &str,
        lane: Lane,
        cap: Option<i16>,
        broker_wait: Duration,
        build: impl Fn(i16) -> R,
    ) -> Result<(i16, R::Response)> {
        self.send_with::<R, R>(addr, lane, cap, broker_wait, build)
            .await
    }

    async fn send_with<R: Request, B: Borrow<R>>(
        &self,
        addr: &str,
        lane: Lane,
        cap: Option<i16>,
        broker_wait: Duration,
        build: impl Fn(i16) -> B,
    ) -> Result<(i16, R::Response)> {
        let slot = self.slot(addr, lane);
        let mut guard = slot.lock().await;
        // A pooled connection may have died since its last use (broker restart): one retry on a
        // fresh connection tells that apart from a broker that is really gone.
        let reused = guard.is_some();
        for attempt in 0..2 {
            if guard.is_none() {
                *guard = Some(BrokerConn::connect(addr, &self.settings).await?);
            }
            let conn = guard.as_mut().expect("connection just set");
            let version = conn.version_for::<R>(cap)?;
            self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            // Which requests make up the budget (`RUST_LOG=kview::kafka::pool=trace`).
            tracing::trace!(api_key = R::KEY, "request to {addr}");
            match conn
                .send_versioned(build(version).borrow(), version, Some(broker_wait))
                .await
            {
                Ok(response) => {
                    if !matches!(lane, Lane::Fetch(_)) {
                        conn.shrink_buffers(KEPT_BUFFER_BYTES);
                    }
                    return Ok((version, response));
                }
                Err(e) if e.is_transport() => {
                    *guard = None;
                    if !(reused && attempt == 0) {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        unreachable!("the loop returns on its second attempt")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_lanes_are_held_by_one_reader_and_reused_after() {
        let pool = Pool::new(ConnSettings::default());
        let a = pool.fetch_lane();
        let b = pool.fetch_lane();
        assert_ne!(a.lane(), b.lane());
        assert_ne!(a.lane(), Lane::Admin);
        assert_ne!(a.lane(), Lane::Lookup);
        let a_lane = a.lane();
        drop(a);
        let c = pool.fetch_lane();
        assert_eq!(c.lane(), a_lane, "a lane given back is taken again");
        let d = pool.fetch_lane();
        assert!(![b.lane(), c.lane()].contains(&d.lane()));
    }
}
