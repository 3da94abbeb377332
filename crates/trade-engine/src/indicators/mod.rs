//! Incremental technical indicators: O(1) work per update and no
//! allocation after construction, so a strategy can keep one per
//! instrument and feed it every bar of a multi-million-bar backtest.
//!
//! All indicators share one shape: `new(period, ..)` rejects a zero
//! period, `update(x)` returns `None` until the indicator has seen enough
//! inputs (its *warm-up*), `value()` repeats the last output and
//! `is_ready()` tells whether the warm-up is over. Inputs and outputs are
//! `f64` (from [`Price::to_f64`](trade_core::Price::to_f64)): indicators are
//! analytics and never feed accounting.
//!
//! Conventions (each file documents its own in full) match pandas /
//! TA-Lib and are checked against golden values computed with pandas on
//! real SPY bars (`tests/indicators_golden.rs`):
//!
//! | indicator | first value after | seed |
//! |---|---|---|
//! | [`Sma`] | `n` inputs | — |
//! | [`Ema`] | `n` inputs | SMA of the first `n` |
//! | [`Atr`] | `n + 1` bars | mean of the first `n` true ranges (bars 2..=n+1) |
//! | [`Roc`] | `n + 1` inputs | — |
//! | [`EwmaVol`] | `n + 1` prices | mean squared return of the first `n` returns |

mod atr;
mod ema;
mod ewma_vol;
mod roc;
mod sma;

#[cfg(test)]
mod tests;

pub use atr::Atr;
pub use ema::Ema;
pub use ewma_vol::{EwmaVol, ReturnKind, TRADING_DAYS_PER_YEAR};
pub use roc::Roc;
pub use sma::{Sma, SmaPair};

use thiserror::Error;

/// Why an indicator cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
pub enum IndicatorError {
    /// A period (window length) of zero.
    #[error("indicator period must be at least 1")]
    ZeroPeriod,
    /// A decay factor outside the open interval (0, 1).
    #[error("decay factor lambda {0} must be strictly between 0 and 1")]
    InvalidLambda(f64),
    /// A pair of windows whose fast period is longer than its slow one.
    #[error("fast period {fast} is longer than slow period {slow}")]
    FastNotShorter {
        /// Fast period.
        fast: usize,
        /// Slow period.
        slow: usize,
    },
}

/// A fixed-capacity ring buffer of the last `n` inputs, allocated once.
#[derive(Debug, Clone)]
pub(crate) struct Ring {
    buf: Box<[f64]>,
    /// Index of the slot the next push overwrites (the oldest once full).
    head: usize,
    len: usize,
}

impl Ring {
    pub(crate) fn new(capacity: usize) -> Self {
        Ring {
            buf: vec![0.0; capacity].into_boxed_slice(),
            head: 0,
            len: 0,
        }
    }

    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.len == self.buf.len()
    }

    /// Appends `x`, evicting and returning the oldest value when full.
    #[inline]
    pub(crate) fn push(&mut self, x: f64) -> Option<f64> {
        let full = self.is_full();
        let old = self.replace_oldest(x);
        full.then_some(old)
    }

    /// The input pushed `k` pushes ago (`1 <= k <= capacity`), 0.0 if
    /// fewer than `k` were pushed (that slot is still unwritten).
    #[inline]
    pub(crate) fn ago(&self, k: usize) -> f64 {
        let i = if self.head >= k {
            self.head - k
        } else {
            self.head + self.buf.len() - k
        };
        self.buf[i]
    }

    /// Appends `x` over the oldest slot and returns what the slot held:
    /// the evicted value once full, the initial 0.0 while filling (every
    /// slot is written once before the first eviction). For running sums,
    /// which treat "nothing evicted" as 0.0, this needs no branch.
    #[inline]
    pub(crate) fn replace_oldest(&mut self, x: f64) -> f64 {
        let old = std::mem::replace(&mut self.buf[self.head], x);
        self.head += 1;
        if self.head == self.buf.len() {
            self.head = 0;
        }
        self.len += usize::from(self.len < self.buf.len());
        old
    }
}
