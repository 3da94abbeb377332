//! Reconnect delays: exponential with a cap and full jitter, so a fleet of
//! clients (or one client and a restarting gateway) do not retry in step.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Backoff parameters (`[live.backoff]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackoffConfig {
    /// First delay, milliseconds.
    pub initial_ms: u64,
    /// Largest delay, milliseconds.
    pub max_ms: u64,
    /// Growth per failed attempt.
    pub multiplier: f64,
    /// Share of each delay drawn at random (0 = none, 1 = full jitter).
    pub jitter: f64,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        BackoffConfig {
            initial_ms: 500,
            max_ms: 60_000,
            multiplier: 2.0,
            jitter: 0.5,
        }
    }
}

impl BackoffConfig {
    /// Problems with the values, each naming its key.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.initial_ms == 0 {
            out.push("backoff.initial_ms must be at least 1".into());
        }
        if self.max_ms < self.initial_ms {
            out.push("backoff.max_ms must be at least backoff.initial_ms".into());
        }
        if !(self.multiplier.is_finite() && self.multiplier >= 1.0) {
            out.push("backoff.multiplier must be a number >= 1".into());
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            out.push("backoff.jitter must be between 0 and 1".into());
        }
        out
    }
}

/// The delay sequence of one outage; [`Backoff::reset`] after a success.
#[derive(Debug, Clone)]
pub struct Backoff {
    cfg: BackoffConfig,
    attempt: u32,
    rng: u64,
}

impl Backoff {
    /// A sequence seeded with `seed` (any value; the jitter is a xorshift
    /// stream, enough to de-correlate retries).
    pub fn new(cfg: BackoffConfig, seed: u64) -> Self {
        Backoff {
            cfg,
            attempt: 0,
            rng: seed | 1,
        }
    }

    /// Failed attempts since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// The delay before the next attempt: `initial x multiplier^n` capped at
    /// `max`, of which a `jitter` share is random.
    pub fn next_delay(&mut self) -> Duration {
        let base =
            (self.cfg.initial_ms as f64) * self.cfg.multiplier.powi(self.attempt.min(64) as i32);
        let capped = base.min(self.cfg.max_ms as f64);
        self.attempt = self.attempt.saturating_add(1);
        let fixed = capped * (1.0 - self.cfg.jitter);
        let random = capped * self.cfg.jitter * self.unit();
        Duration::from_millis((fixed + random).round() as u64)
    }

    /// After a successful connection: start again from `initial`.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// A number in [0, 1).
    fn unit(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_geometrically_up_to_the_cap_without_jitter() {
        let cfg = BackoffConfig {
            initial_ms: 100,
            max_ms: 1_000,
            multiplier: 2.0,
            jitter: 0.0,
        };
        let mut b = Backoff::new(cfg, 7);
        let ms: Vec<u128> = (0..6).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(ms, [100, 200, 400, 800, 1_000, 1_000]);
        b.reset();
        assert_eq!(b.next_delay().as_millis(), 100);
    }

    #[test]
    fn jittered_delays_stay_within_their_band_and_differ() {
        let cfg = BackoffConfig {
            initial_ms: 1_000,
            max_ms: 1_000,
            multiplier: 2.0,
            jitter: 0.5,
        };
        let mut b = Backoff::new(cfg, 42);
        let ms: Vec<u128> = (0..50).map(|_| b.next_delay().as_millis()).collect();
        assert!(ms.iter().all(|&d| (500..=1_000).contains(&d)), "{ms:?}");
        let distinct: std::collections::BTreeSet<_> = ms.iter().collect();
        assert!(distinct.len() > 10, "jitter must vary the delays: {ms:?}");
    }

    #[test]
    fn bad_values_are_named() {
        let cfg = BackoffConfig {
            initial_ms: 0,
            max_ms: 0,
            multiplier: 0.5,
            jitter: 2.0,
        };
        let p = cfg.problems().join("; ");
        for key in ["initial_ms", "multiplier", "jitter"] {
            assert!(p.contains(key), "{p}");
        }
    }
}
