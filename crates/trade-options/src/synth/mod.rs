//! Synthetic option chains for dates without real ones, driven by the
//! underlying's price and the VIX.
//!
//! - [`ListingRules`]: the expiries (monthlies, quarterlies, end-of-month,
//!   Friday weeklies, Monday-Thursday dailies), strikes and ticks a product
//!   had on a date, each family from the date it was introduced.
//! - [`VolSurface`]: ATM volatility from the VIX, a mean-reverting term
//!   structure and a skewed smile.
//! - [`ChainGenerator`]: one date's chain on demand, restricted to a DTE
//!   and a moneyness/delta window, so a ten-year daily backtest never
//!   materialises more than the contracts it can trade.
//! - [`VixSeries`]: the daily VIX closes that drive it.
//!
//! Every generated quote is [`QuoteSource::Modelled`](crate::chain::QuoteSource::Modelled).
//!
//! ```
//! use jiff::civil::date;
//! use trade_core::{OptionRight, Price, Symbol};
//! use trade_options::chain::QuoteSource;
//! use trade_options::synth::{ChainGenerator, SynthConfig};
//!
//! let mut cfg = SynthConfig::default();
//! cfg.dte.min = 30;
//! cfg.dte.max = 60;
//! let spy = ChainGenerator::new(Symbol::new("SPY")?, cfg)?;
//! // SPY closed near 645.75 on 2025-08-26 with the VIX at 14.62.
//! let chain = spy.generate(date(2025, 8, 26), "645.75".parse()?, 14.62)?;
//! // Listed that day 30-60 days out: 2025-09-26, 09-30, 10-03, 10-17.
//! assert_eq!(chain.expiries().len(), 4);
//! let expiry = chain.nearest_expiry(45).unwrap();
//! let put = chain.nearest_strike(expiry, OptionRight::Put, "600".parse()?).unwrap();
//! assert!(put.bid > Price::ZERO && put.bid < put.ask);
//! assert_eq!(put.source, QuoteSource::Modelled);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::PathBuf;

use jiff::civil::Date;
use thiserror::Error;

/// [`SynthConfig`] and its parts.
mod config;
/// [`ChainGenerator`].
mod generator;
/// [`ListingRules`].
mod listing;
/// [`VolSurface`].
mod surface;
/// [`VixSeries`].
mod vix;

pub use config::{
    DteWindow, ListingName, RateStep, Smile, SpreadConfig, StrikeWindow, SynthConfig,
    TermStructure, VolConfig,
};
pub use generator::ChainGenerator;
pub use listing::{
    Era, ListingRules, MonthlyCycle, StrikeGrid, TickRule, last_session_of_month, monthly_expiry,
};
pub use surface::VolSurface;
pub use vix::VixSeries;

/// Why a synthetic chain or its inputs cannot be produced.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SynthError {
    /// A configuration value outside its range.
    #[error("synthetic chain config: {0}")]
    Config(String),
    /// A date outside the trading calendar's years.
    #[error(transparent)]
    Calendar(#[from] trade_calendar::OutOfRange),
    /// The exchange is closed on the date asked for.
    #[error("{0} is not a trading session: no chain is generated for it")]
    NotASession(Date),
    /// A spot or VIX value that cannot drive a chain.
    #[error("{0}")]
    BadInput(String),
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A VIX history file that cannot be used.
    #[error("{file}:{line}: {message}")]
    Vix {
        /// The file.
        file: String,
        /// 1-based line (0 when not from a file).
        line: u64,
        /// What is wrong and what was expected.
        message: String,
    },
}
