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
pub use sma::Sma;

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

    pub(crate) fn is_full(&self) -> bool {
        self.len == self.buf.len()
    }

    /// Appends `x`, evicting and returning the oldest value when full.
    pub(crate) fn push(&mut self, x: f64) -> Option<f64> {
        let evicted = if self.is_full() {
            Some(self.buf[self.head])
        } else {
            None
        };
        self.buf[self.head] = x;
        self.head += 1;
        if self.head == self.buf.len() {
            self.head = 0;
        }
        if self.len < self.buf.len() {
            self.len += 1;
        }
        evicted
    }
}
