//! Delivery: one task and one bounded queue per notifier, retries with
//! backoff, counters. The trading side only ever calls the non-blocking
//! [`Dispatcher::notify`].

use std::collections::VecDeque;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Notify;

use crate::config::Route;
use crate::manager::{Notification, Severity};
use crate::notifiers::Notifier;

/// Messages waiting per notifier before the oldest non-critical is dropped.
pub const QUEUE: usize = 256;
/// Attempts per message (the first and the retries).
pub const ATTEMPTS: u32 = 6;

/// Counters of one notifier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryStats {
    /// Notifier name.
    pub notifier: String,
    /// Delivered.
    pub sent: u64,
    /// Given up on (retries exhausted, or a 4xx).
    pub failed: u64,
    /// Dropped from a full queue.
    pub dropped: u64,
    /// Retries made.
    pub retries: u64,
}

#[derive(Debug, Default)]
struct Counters {
    /// Queued or being delivered.
    pending: AtomicU64,
    sent: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    retries: AtomicU64,
}

#[derive(Debug)]
struct Lane {
    name: &'static str,
    routes: Vec<Route>,
    queue: Mutex<VecDeque<Notification>>,
    wake: Notify,
    counters: Counters,
}

/// Routes notifications to notifier tasks.
#[derive(Debug, Clone, Default)]
pub struct Dispatcher {
    lanes: Vec<Arc<Lane>>,
}

/// Backoff before retry `n` (1-based): 1 s doubling to 60 s, ±25 % jitter.
fn backoff(n: u32, base: Duration) -> Duration {
    let exp = base.saturating_mul(1 << n.saturating_sub(1).min(10));
    let capped = exp.min(Duration::from_secs(60));
    let r = RandomState::new().hash_one(n) % 1000;
    capped.mul_f64(0.75 + 0.5 * (r as f64 / 1000.0))
}

impl Dispatcher {
    /// Starts one task per notifier on the current runtime; `routes` say
    /// which notifications each one gets. `base_backoff` is the first retry
    /// delay (1 s in production).
    pub fn start(notifiers: Vec<Notifier>, routes: &[Route], base_backoff: Duration) -> Dispatcher {
        let mut lanes = Vec::new();
        for notifier in notifiers {
            let lane = Arc::new(Lane {
                name: notifier.name(),
                routes: routes
                    .iter()
                    .filter(|r| r.notifier == notifier.name())
                    .cloned()
                    .collect(),
                queue: Mutex::new(VecDeque::new()),
                wake: Notify::new(),
                counters: Counters::default(),
            });
            tokio::spawn(run(notifier, Arc::clone(&lane), base_backoff));
            lanes.push(lane);
        }
        Dispatcher { lanes }
    }

    /// Queues `n` for every notifier whose routes match; never waits.
    pub fn notify(&self, n: &Notification) {
        for lane in &self.lanes {
            if !lane.routes.iter().any(|r| r.matches(n)) {
                continue;
            }
            let Ok(mut q) = lane.queue.lock() else {
                continue;
            };
            if q.len() >= QUEUE {
                let victim = q
                    .iter()
                    .position(|m| m.alert.severity < Severity::Critical)
                    .unwrap_or(0);
                q.remove(victim);
                lane.counters.dropped.fetch_add(1, Ordering::Relaxed);
                lane.counters.pending.fetch_sub(1, Ordering::Relaxed);
            }
            lane.counters.pending.fetch_add(1, Ordering::Relaxed);
            q.push_back(n.clone());
            drop(q);
            lane.wake.notify_one();
        }
    }

    /// Waits (at most `within`) until every queued notification was
    /// delivered or given up on: a stopping session calls it so its last
    /// alerts are not lost. Returns whether everything went out.
    pub async fn flush(&self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left: u64 = self
                .lanes
                .iter()
                .map(|l| l.counters.pending.load(Ordering::Relaxed))
                .sum();
            if left == 0 {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Counters per notifier.
    pub fn stats(&self) -> Vec<DeliveryStats> {
        self.lanes
            .iter()
            .map(|l| DeliveryStats {
                notifier: l.name.to_string(),
                sent: l.counters.sent.load(Ordering::Relaxed),
                failed: l.counters.failed.load(Ordering::Relaxed),
                dropped: l.counters.dropped.load(Ordering::Relaxed),
                retries: l.counters.retries.load(Ordering::Relaxed),
            })
            .collect()
    }
}

async fn run(notifier: Notifier, lane: Arc<Lane>, base: Duration) {
    loop {
        let next = lane.queue.lock().ok().and_then(|mut q| q.pop_front());
        let Some(n) = next else {
            lane.wake.notified().await;
            continue;
        };
        let mut attempt = 1;
        loop {
            match notifier.send(&n).await {
                Ok(()) => {
                    lane.counters.sent.fetch_add(1, Ordering::Relaxed);
                    lane.counters.pending.fetch_sub(1, Ordering::Relaxed);
                    break;
                }
                Err(e) if e.retryable && attempt < ATTEMPTS => {
                    let wait = e.retry_after.unwrap_or_else(|| backoff(attempt, base));
                    tracing::warn!(notifier = lane.name, attempt, error = %e, wait_ms = wait.as_millis() as u64, "notification failed; retrying");
                    lane.counters.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(e) => {
                    tracing::error!(notifier = lane.name, attempt, error = %e, "notification not delivered");
                    lane.counters.failed.fetch_add(1, Ordering::Relaxed);
                    lane.counters.pending.fetch_sub(1, Ordering::Relaxed);
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap_with_bounded_jitter() {
        let base = Duration::from_secs(1);
        for n in 1..=12 {
            let d = backoff(n, base).as_secs_f64();
            let nominal = (2f64.powi(n as i32 - 1)).min(60.0);
            assert!(
                d >= nominal * 0.75 - 1e-9 && d <= nominal * 1.25 + 1e-9,
                "{n}: {d}"
            );
        }
    }
}
