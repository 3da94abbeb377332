//! Option chains for backtests: quotes, snapshots, validation, a
//! configurable loader for real end-of-day chain files and a Parquet
//! chain store.
//!
//! - [`OptionQuote`]: one contract's bid/ask/last as fixed-point prices
//!   (they become fill prices), optional vendor IV and Greeks, and a
//!   [`QuoteSource`] (real or modelled) that travels with it everywhere.
//! - [`ChainSnapshot`]: one underlying at one instant, sorted by
//!   [`ContractKey`] with an expiry index for cheap lookups.
//! - [`validate_quotes`]: every quote entering a snapshot passed it;
//!   every one that did not is counted under a named [`Issue`] in a
//!   [`ValidationReport`] with `file:line` examples.
//! - [`load_chain_file`]: CSV chain files read by a [`ChainFileSpec`]
//!   (presets for Cboe DataShop, iVolatility and yfinance dumps, or a
//!   column mapping of your own).
//! - [`ChainStore`]: snapshots kept as Parquet, one file per underlying
//!   and year, written atomically, read by date range.
//!
//! ```
//! use jiff::civil::date;
//! use trade_core::{OptionRight, Price};
//! use trade_options::chain::{ChainFileSpec, ContractKey, Issue, read_chain_csv};
//!
//! let spec: ChainFileSpec = toml::from_str(r#"
//!     underlying = "SPY"
//!     underlying_price = { column = "spot" }
//!     [columns]
//!     quote_date = "date"
//!     expiry = "exp"
//!     strike = "strike"
//!     right = "cp"
//!     bid = "bid"
//!     ask = "ask"
//! "#)?;
//! let csv = "date,exp,strike,cp,bid,ask,spot\n\
//!            2024-01-02,2024-02-16,470,C,5.00,5.10,470.50\n\
//!            2024-01-02,2024-02-16,470,P,5.20,5.10,470.50\n";
//! let out = read_chain_csv(csv.as_bytes(), "mem.csv", &spec, None)?;
//! assert_eq!(out.report.count(Issue::Crossed), 1); // the put, line 3
//! let chain = &out.snapshots[0];
//! let key = ContractKey::new(date(2024, 2, 16), "470".parse()?, OptionRight::Call);
//! assert_eq!(chain.mid(&key), Some("5.05".parse::<Price>()?));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Synthetic chains (for dates without real ones) are in
//! [`crate::synth`]; they produce the same [`ChainSnapshot`] with
//! [`QuoteSource::Modelled`] quotes.

/// [`ChainError`].
mod error;
/// Reading chain files.
mod load;
/// Quotes and contract keys.
mod quote;
/// Chain snapshots and their lookups.
mod snapshot;
/// Chain file specs and presets.
mod spec;
/// The Parquet chain store.
mod store;
/// Quote validation.
mod validate;

pub use error::ChainError;
pub use load::{LoadedChains, load_chain_file, load_chain_file_with_prices, read_chain_csv};
pub use quote::{ContractKey, OptionQuote, QuoteGreeks, QuoteSource};
pub use snapshot::{ChainSnapshot, Provenance, SnapshotError};
pub use spec::{
    ChainFileSpec, ColumnNames, DateFormat, GreekUnits, PerUnit, Preset, QuoteTime, RightCodes,
    RowPolicy, ThetaUnit, UnderlyingPrice,
};
pub use store::{ChainStore, STORE_FORMAT};
pub use validate::{
    Issue, IssueExample, RawQuote, ValidationReport, ValidationRules, validate_quotes,
};

pub(crate) use snapshot::days_between;
pub(crate) use spec::parse_date as parse_date_text;
