//! The one retry policy: exponential backoff with jitter (backon), bounded by attempts or by
//! total pause. Every retry loop in kview draws its pauses here, so no two loops drift apart and
//! many clients retrying together do not hit a broker in step.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy(ExponentialBuilder);

impl RetryPolicy {
    /// For answers that come soon (a coordinator loading, a leader moving, a topic's leaders
    /// being elected): from 100 ms, doubling up to 1 s, pausing at most `within` in all.
    pub fn quick(within: Duration) -> Self {
        RetryPolicy(
            ExponentialBuilder::new()
                .with_jitter()
                .with_min_delay(Duration::from_millis(100))
                .with_max_delay(Duration::from_secs(1))
                .without_max_times()
                .with_total_delay(Some(within)),
        )
    }

    /// For a cluster that does not answer: from 1 s, doubling up to 30 s, for ever.
    pub fn reconnect() -> Self {
        RetryPolicy(
            ExponentialBuilder::new()
                .with_jitter()
                .with_min_delay(Duration::from_secs(1))
                .with_max_delay(Duration::from_secs(30))
                .without_max_times(),
        )
    }

    /// For failures that pass (a broker restarting) in a long-running reader: from 200 ms up to
    /// 2 s, at most `times` pauses in a row.
    pub fn transient(times: usize) -> Self {
        RetryPolicy(
            ExponentialBuilder::new()
                .with_jitter()
                .with_min_delay(Duration::from_millis(200))
                .with_max_delay(Duration::from_secs(2))
                .with_max_times(times),
        )
    }

    /// The pauses, in order; `None` when the policy gives up.
    pub fn pauses(&self) -> Pauses {
        Pauses(self.0.build())
    }
}

/// An ongoing sequence of pauses.
pub struct Pauses(backon::ExponentialBackoff);

impl Pauses {
    pub fn next_pause(&mut self) -> Option<Duration> {
        self.0.next()
    }

    /// Sleeps for the next pause; false when the policy has given up.
    pub async fn wait(&mut self) -> bool {
        match self.next_pause() {
            Some(pause) => {
                tokio::time::sleep(pause).await;
                true
            }
            None => false,
        }
    }
}

impl std::fmt::Debug for Pauses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pauses")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_pauses_grow_are_jittered_and_stop_at_their_budget() {
        let mut pauses = RetryPolicy::quick(Duration::from_secs(3)).pauses();
        let mut total = Duration::ZERO;
        let mut n = 0;
        while let Some(p) = pauses.next_pause() {
            assert!(
                p >= Duration::from_millis(100) && p <= Duration::from_secs(2),
                "{p:?}"
            );
            total += p;
            n += 1;
            assert!(n < 100, "the budget must end the pauses");
        }
        assert!(total <= Duration::from_secs(3) + Duration::from_secs(2));
        assert!(n >= 2);
    }

    #[test]
    fn transient_pauses_stop_after_their_count() {
        let mut pauses = RetryPolicy::transient(4).pauses();
        assert_eq!(std::iter::from_fn(|| pauses.next_pause()).count(), 4);
    }

    #[test]
    fn reconnect_pauses_never_end_and_stay_under_a_minute() {
        let mut pauses = RetryPolicy::reconnect().pauses();
        for _ in 0..50 {
            let p = pauses.next_pause().expect("reconnecting never gives up");
            assert!(p <= Duration::from_secs(60));
        }
    }
}
