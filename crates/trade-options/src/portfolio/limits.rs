//! [`PortfolioLimits`]: the configured option-portfolio limits and betas,
//! and [`PortfolioError`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use trade_core::{Money, Symbol};

use crate::structure::StructureError;

/// Which limit (for refusals, breaches and journals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// The candidate's maximum loss is unbounded.
    UndefinedRisk,
    /// Not enough buying power for the candidate.
    BuyingPower,
    /// `max_abs_delta`.
    Delta,
    /// `max_abs_gamma`.
    Gamma,
    /// `max_abs_vega`.
    Vega,
    /// `max_loss_at_risk`.
    LossAtRisk,
    /// `max_unrealized_loss`.
    UnrealizedLoss,
    /// `max_positions_per_underlying`.
    PositionsPerUnderlying,
    /// `max_positions_per_expiry`.
    PositionsPerExpiry,
    /// `max_underlying_risk_pct`.
    Concentration,
}

impl Limit {
    /// The config key (or a short name for the two that have none).
    pub const fn as_str(self) -> &'static str {
        match self {
            Limit::UndefinedRisk => "defined_risk",
            Limit::BuyingPower => "buying_power",
            Limit::Delta => "max_abs_delta",
            Limit::Gamma => "max_abs_gamma",
            Limit::Vega => "max_abs_vega",
            Limit::LossAtRisk => "max_loss_at_risk",
            Limit::UnrealizedLoss => "max_unrealized_loss",
            Limit::PositionsPerUnderlying => "max_positions_per_underlying",
            Limit::PositionsPerExpiry => "max_positions_per_expiry",
            Limit::Concentration => "max_underlying_risk_pct",
        }
    }
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why portfolio numbers could not be computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PortfolioError {
    /// Per-leg Greeks of the wrong length.
    #[error("leg Greeks: expected {expected} (one per leg), got {found}")]
    LegCount {
        /// Legs in the structure.
        expected: usize,
        /// Greeks given.
        found: usize,
    },
    /// A number that must be finite (and positive for prices) is not.
    #[error("{what} = {value} is not a usable number")]
    NotFinite {
        /// Which input.
        what: String,
        /// The value.
        value: f64,
    },
    /// No beta for an underlying and no `default_beta`.
    #[error(
        "no beta configured for {0} and no default_beta: add it to portfolio.betas to beta-weight its delta"
    )]
    MissingBeta(Symbol),
    /// The benchmark price is not positive.
    #[error("benchmark price {0} is not positive")]
    BenchmarkPrice(trade_core::Price),
    /// The structure could not be analysed.
    #[error(transparent)]
    Structure(#[from] StructureError),
}

fn spy() -> Symbol {
    // A literal that satisfies Symbol's rules (upper-case ASCII letters).
    Symbol::new("SPY").expect("SPY is a valid symbol")
}

/// Limits on the option portfolio. `None` disables a limit. Delta and
/// gamma are in shares of the benchmark (beta-weighted); vega in dollars
/// per volatility point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PortfolioLimits {
    /// The benchmark delta is expressed in (SPY).
    pub benchmark: Symbol,
    /// Beta of each underlying to the benchmark (the benchmark itself is 1).
    pub betas: BTreeMap<Symbol, f64>,
    /// Beta for underlyings not in `betas`; `None` makes them an error.
    pub default_beta: Option<f64>,
    /// Largest |beta-weighted delta|, in benchmark shares.
    pub max_abs_delta: Option<f64>,
    /// Largest |beta-weighted gamma|, in benchmark shares per $1 of the benchmark.
    pub max_abs_gamma: Option<f64>,
    /// Largest |vega|, in dollars per volatility point.
    pub max_abs_vega: Option<f64>,
    /// Largest sum of maximum losses of open structures.
    pub max_loss_at_risk: Option<Money>,
    /// Largest open loss across the book (feeds exit rule 11).
    pub max_unrealized_loss: Option<Money>,
    /// Most open structures on one underlying.
    pub max_positions_per_underlying: Option<usize>,
    /// Most open structures expiring on one date.
    pub max_positions_per_expiry: Option<usize>,
    /// Largest maximum loss at risk on one underlying, as a fraction of
    /// equity (0.25 = 25%).
    pub max_underlying_risk_pct: Option<f64>,
}

impl Default for PortfolioLimits {
    fn default() -> Self {
        PortfolioLimits {
            benchmark: spy(),
            betas: BTreeMap::new(),
            default_beta: None,
            max_abs_delta: None,
            max_abs_gamma: None,
            max_abs_vega: None,
            max_loss_at_risk: None,
            max_unrealized_loss: None,
            max_positions_per_underlying: None,
            max_positions_per_expiry: None,
            max_underlying_risk_pct: None,
        }
    }
}

impl PortfolioLimits {
    /// Checks every limit's range.
    ///
    /// # Errors
    /// Every problem found, one message each, naming the key.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut errs = Vec::new();
        for (name, v) in [
            ("max_abs_delta", self.max_abs_delta),
            ("max_abs_gamma", self.max_abs_gamma),
            ("max_abs_vega", self.max_abs_vega),
        ] {
            if let Some(x) = v
                && !(x.is_finite() && x >= 0.0)
            {
                errs.push(format!(
                    "portfolio.{name} must be a finite number >= 0, got {x}"
                ));
            }
        }
        if let Some(x) = self.max_underlying_risk_pct
            && !(x.is_finite() && x > 0.0 && x <= 1.0)
        {
            errs.push(format!(
                "portfolio.max_underlying_risk_pct must be in (0, 1], got {x}"
            ));
        }
        for (name, v) in [
            ("max_loss_at_risk", self.max_loss_at_risk),
            ("max_unrealized_loss", self.max_unrealized_loss),
        ] {
            if let Some(m) = v
                && m.is_negative()
            {
                errs.push(format!("portfolio.{name} must be >= 0, got {m}"));
            }
        }
        for (name, v) in [
            (
                "max_positions_per_underlying",
                self.max_positions_per_underlying,
            ),
            ("max_positions_per_expiry", self.max_positions_per_expiry),
        ] {
            if v == Some(0) {
                errs.push(format!(
                    "portfolio.{name} = 0 forbids every entry; remove it or set at least 1"
                ));
            }
        }
        for (sym, b) in &self.betas {
            if !b.is_finite() {
                errs.push(format!("portfolio.betas.{sym} must be finite, got {b}"));
            }
        }
        if let Some(b) = self.default_beta
            && !b.is_finite()
        {
            errs.push(format!("portfolio.default_beta must be finite, got {b}"));
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }

    /// Beta of `underlying` to the benchmark.
    ///
    /// # Errors
    /// [`PortfolioError::MissingBeta`] when neither configured nor defaulted.
    pub fn beta(&self, underlying: &Symbol) -> Result<f64, PortfolioError> {
        if *underlying == self.benchmark {
            return Ok(1.0);
        }
        self.betas
            .get(underlying)
            .copied()
            .or(self.default_beta)
            .ok_or_else(|| PortfolioError::MissingBeta(underlying.clone()))
    }
}
