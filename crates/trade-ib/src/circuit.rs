//! The circuit breaker in front of order submission: after too many
//! connection failures or broker errors within a window, new orders are
//! refused until a cool-down has passed and the connection is healthy.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Breaker parameters (`[live.circuit]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CircuitConfig {
    /// Failures within `window_secs` that open the circuit.
    pub failures_to_open: u32,
    /// The counting window.
    pub window_secs: u64,
    /// How long the circuit stays open.
    pub cooldown_secs: u64,
}

impl Default for CircuitConfig {
    fn default() -> Self {
        CircuitConfig {
            failures_to_open: 5,
            window_secs: 60,
            cooldown_secs: 30,
        }
    }
}

impl CircuitConfig {
    /// Problems with the values, each naming its key.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.failures_to_open == 0 {
            out.push("circuit.failures_to_open must be at least 1".into());
        }
        if self.window_secs == 0 {
            out.push("circuit.window_secs must be at least 1".into());
        }
        out
    }
}

/// Whether orders may go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CircuitState {
    /// Orders go out.
    Closed,
    /// Orders are refused (until cooled down and healthy again).
    Open,
}

/// Counts failures in a sliding window.
#[derive(Debug, Clone)]
pub struct Circuit {
    cfg: CircuitConfig,
    failures: VecDeque<Instant>,
    open_until: Option<Instant>,
    reason: String,
}

impl Circuit {
    /// A closed breaker.
    pub fn new(cfg: CircuitConfig) -> Self {
        Circuit {
            cfg,
            failures: VecDeque::new(),
            open_until: None,
            reason: String::new(),
        }
    }

    /// Records a failure at `now`; true when this one opened the circuit.
    pub fn failure(&mut self, now: Instant, reason: &str) -> bool {
        let window = Duration::from_secs(self.cfg.window_secs);
        while self
            .failures
            .front()
            .is_some_and(|t| now.duration_since(*t) > window)
        {
            self.failures.pop_front();
        }
        self.failures.push_back(now);
        if self.failures.len() >= self.cfg.failures_to_open as usize
            && self.state() == CircuitState::Closed
        {
            self.open_until = Some(now + Duration::from_secs(self.cfg.cooldown_secs));
            self.reason = format!(
                "{} failures within {} s, last: {reason}",
                self.failures.len(),
                self.cfg.window_secs
            );
            return true;
        }
        false
    }

    /// The state. An open circuit closes after its cool-down only through
    /// [`Circuit::healthy`] (a good heartbeat), never by itself.
    pub fn state(&self) -> CircuitState {
        if self.open_until.is_some() {
            CircuitState::Open
        } else {
            CircuitState::Closed
        }
    }

    fn cooled(&self, now: Instant) -> bool {
        self.open_until.is_some_and(|t| now >= t)
    }

    /// A healthy round trip at `now`: closes the circuit once cooled down.
    pub fn healthy(&mut self, now: Instant) {
        if self.cooled(now) {
            self.open_until = None;
            self.failures.clear();
            self.reason.clear();
        }
    }

    /// Why it opened (empty when closed).
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> CircuitConfig {
        CircuitConfig {
            failures_to_open: 3,
            window_secs: 10,
            cooldown_secs: 5,
        }
    }

    #[test]
    fn opens_after_n_failures_in_the_window_and_closes_only_when_cooled_and_healthy() {
        let t0 = Instant::now();
        let s = |n: u64| t0 + Duration::from_secs(n);
        let mut c = Circuit::new(cfg());
        assert!(!c.failure(s(0), "a"));
        assert!(!c.failure(s(1), "b"));
        assert_eq!(c.state(), CircuitState::Closed);
        assert!(c.failure(s(2), "c"));
        assert_eq!(c.state(), CircuitState::Open);
        assert!(c.reason().contains("3 failures") && c.reason().contains("c"));
        // A heartbeat before the cool-down does not close it.
        c.healthy(s(4));
        assert_eq!(c.state(), CircuitState::Open);
        // Cooled but no healthy round trip yet: still open.
        assert_eq!(c.state(), CircuitState::Open);
        c.healthy(s(8));
        assert_eq!(c.state(), CircuitState::Closed);
        assert!(c.reason().is_empty());
    }

    #[test]
    fn failures_outside_the_window_do_not_count() {
        let t0 = Instant::now();
        let s = |n: u64| t0 + Duration::from_secs(n);
        let mut c = Circuit::new(cfg());
        c.failure(s(0), "a");
        c.failure(s(11), "b");
        assert!(!c.failure(s(21), "c"));
        assert_eq!(c.state(), CircuitState::Closed);
    }
}
