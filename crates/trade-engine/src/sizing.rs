//! Position sizing: how many units a strategy's target position holds.
//!
//! A [`Sizing`] is the configured rule (from the
//! common strategy parameters of
//! [`sizing_params`]); a
//! [`Sizer`] applies it to one instrument, keeping
//! the volatility estimate the volatility target needs.
//!
//! - **fixed**: always `qty` units;
//! - **fraction**: `floor(fraction × equity / (price × multiplier))`;
//! - **vol_target**: the position whose annualised volatility is `target ×
//!   equity`: notional `= equity × min(target / σ, max_fraction)`, with `σ`
//!   the instrument's annualised volatility, either `ATR(n) / price ×
//!   sqrt(252)` (Wilder ATR, see [`Atr`]) or the
//!   EWMA volatility of log returns with `lambda = 1 - 2 / (n + 1)` (see
//!   [`EwmaVol::with_span`](crate::indicators::EwmaVol::with_span)).
//!   While the estimator warms up (`n + 1` bars) the target is **0 units**:
//!   no position is better than one sized on no information. A zero
//!   volatility (a constant price) gives the `max_fraction` cap.
//!
//! When a strategy holds several instruments it passes a weight (e.g.
//! `1 / k`) to
//! [`Sizer::target_qty_weighted`](crate::sizing::Sizer::target_qty_weighted),
//! which scales the fraction, the volatility target and the cap alike; a
//! fixed quantity is per instrument and is not scaled. Quantities are
//! floored to whole units; the budget is computed in `f64` and rounded to
//! 10^-8 dollars before an exact integer division, so `0.95 × 10 000 / 95`
//! is 100 units, not 99.

use trade_core::{Bar, Money, Price, Qty};

use crate::indicators::{Atr, EwmaVol, IndicatorError, TRADING_DAYS_PER_YEAR};
use crate::strategy::{ParamError, ParamKind, ParamSpec, ParamValue, Params};

/// Where the volatility of a volatility target comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolMethod {
    /// `ATR(n) / price × sqrt(252)`.
    Atr,
    /// EWMA volatility of log returns with the decay of an `n`-span EMA.
    Ewma,
}

/// A sizing rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sizing {
    /// A fixed number of units per position.
    Fixed {
        /// Units.
        qty: Qty,
    },
    /// A fraction of equity per position (above 1 uses margin).
    Fraction {
        /// Fraction of equity.
        fraction: f64,
    },
    /// The position whose annualised volatility is `target × equity`.
    VolTarget {
        /// Annualised volatility target as a fraction of equity (0.15 = 15 %).
        target: f64,
        /// Volatility estimator.
        method: VolMethod,
        /// Estimator length in bars.
        lookback: usize,
        /// Cap on the position's notional as a fraction of equity.
        max_fraction: f64,
    },
}

/// The common sizing parameters every built-in strategy declares.
pub fn sizing_params() -> Vec<ParamSpec> {
    let spec = |name, kind, default, range, choices, help| ParamSpec {
        name,
        kind,
        default: Some(default),
        range,
        choices,
        help,
    };
    vec![
        spec(
            "sizing",
            ParamKind::Str,
            ParamValue::Str("fraction".into()),
            None,
            &["fixed", "fraction", "vol_target"],
            "position size: `fixed` qty units, a `fraction` of equity, or `vol_target` (annualised volatility budget)",
        ),
        spec(
            "qty",
            ParamKind::Int,
            ParamValue::Int(100),
            Some((1.0, 1e9)),
            &[],
            "units per position when sizing = fixed",
        ),
        spec(
            "fraction",
            ParamKind::Float,
            ParamValue::Float(0.95),
            Some((0.0, 4.0)),
            &[],
            "fraction of equity invested when sizing = fraction, split across holdings (above 1 uses margin)",
        ),
        spec(
            "vol_target",
            ParamKind::Float,
            ParamValue::Float(0.15),
            Some((0.001, 5.0)),
            &[],
            "annualised volatility target as a fraction of equity when sizing = vol_target",
        ),
        spec(
            "vol_method",
            ParamKind::Str,
            ParamValue::Str("atr".into()),
            None,
            &["atr", "ewma"],
            "volatility estimate for vol_target: ATR/price*sqrt(252) or EWMA of log returns (annualised)",
        ),
        spec(
            "vol_lookback",
            ParamKind::Int,
            ParamValue::Int(20),
            Some((2.0, 2520.0)),
            &[],
            "bars of the volatility estimate (ATR period, EWMA span); no position until warmed up",
        ),
        spec(
            "max_fraction",
            ParamKind::Float,
            ParamValue::Float(1.0),
            Some((0.0, 4.0)),
            &[],
            "cap on a vol_target position's notional as a fraction of equity",
        ),
    ]
}

impl Sizing {
    /// Reads the [`sizing_params`] from resolved parameters.
    ///
    /// # Errors
    /// [`ParamError::Missing`] if a sizing parameter is absent or has the
    /// wrong type (the strategy did not declare [`sizing_params`]),
    /// [`ParamError::Invalid`] for an unknown `sizing` or `vol_method`, or
    /// a non-positive target or lookback below 2.
    pub fn from_params(params: &Params) -> Result<Sizing, ParamError> {
        let missing = |name: &str| ParamError::Missing {
            strategy: params.strategy().to_string(),
            name: name.to_string(),
        };
        let get = |name: &str| params.values().get(name).ok_or_else(|| missing(name));
        let text = |name: &str| match get(name)? {
            ParamValue::Str(s) => Ok(s.as_str()),
            _ => Err(missing(name)),
        };
        let int = |name: &str| match get(name)? {
            ParamValue::Int(i) => Ok(*i),
            _ => Err(missing(name)),
        };
        let float = |name: &str| match get(name)? {
            ParamValue::Float(x) => Ok(*x),
            ParamValue::Int(i) => Ok(*i as f64),
            _ => Err(missing(name)),
        };
        match text("sizing")? {
            "fixed" => {
                let qty = int("qty")?;
                let qty = u64::try_from(qty)
                    .ok()
                    .filter(|&q| q > 0)
                    .ok_or_else(|| params.invalid("qty", format!("{qty} must be at least 1")))?;
                Ok(Sizing::Fixed { qty: Qty::new(qty) })
            }
            "fraction" => {
                let fraction = float("fraction")?;
                if !(fraction >= 0.0 && fraction.is_finite()) {
                    return Err(params.invalid("fraction", format!("{fraction} must be >= 0")));
                }
                Ok(Sizing::Fraction { fraction })
            }
            "vol_target" => {
                let target = float("vol_target")?;
                if !(target > 0.0 && target.is_finite()) {
                    return Err(params.invalid("vol_target", format!("{target} must be > 0")));
                }
                let method = match text("vol_method")? {
                    "atr" => VolMethod::Atr,
                    "ewma" => VolMethod::Ewma,
                    other => {
                        return Err(params
                            .invalid("vol_method", format!("{other:?} is not one of atr, ewma")));
                    }
                };
                let lookback = int("vol_lookback")?;
                let lookback = usize::try_from(lookback)
                    .ok()
                    .filter(|&n| n >= 2)
                    .ok_or_else(|| {
                        params.invalid("vol_lookback", format!("{lookback} must be at least 2"))
                    })?;
                let max_fraction = float("max_fraction")?;
                if !(max_fraction >= 0.0 && max_fraction.is_finite()) {
                    return Err(
                        params.invalid("max_fraction", format!("{max_fraction} must be >= 0"))
                    );
                }
                Ok(Sizing::VolTarget {
                    target,
                    method,
                    lookback,
                    max_fraction,
                })
            }
            other => Err(params.invalid(
                "sizing",
                format!("unknown sizing {other:?} (expected fixed, fraction or vol_target)"),
            )),
        }
    }
}

#[derive(Debug, Clone)]
enum VolState {
    None,
    Atr(Atr),
    Ewma(EwmaVol),
}

/// A [`Sizing`] applied to one instrument, with its volatility state.
#[derive(Debug, Clone)]
pub struct Sizer {
    sizing: Sizing,
    vol: VolState,
    multiplier: u32,
}

impl Sizer {
    /// A sizer for an instrument with contract multiplier 1.
    ///
    /// # Errors
    /// [`IndicatorError`] if a volatility target has a lookback below 2.
    pub fn new(sizing: Sizing) -> Result<Sizer, IndicatorError> {
        let vol = match sizing {
            Sizing::VolTarget {
                method: VolMethod::Atr,
                lookback,
                ..
            } => VolState::Atr(Atr::new(lookback)?),
            Sizing::VolTarget {
                method: VolMethod::Ewma,
                lookback,
                ..
            } => VolState::Ewma(EwmaVol::with_span(lookback)?),
            Sizing::Fixed { .. } | Sizing::Fraction { .. } => VolState::None,
        };
        Ok(Sizer {
            sizing,
            vol,
            multiplier: 1,
        })
    }

    /// Sets the contract multiplier of the instrument (1 for shares, 100
    /// for US equity options; 0 is taken as 1).
    pub fn set_multiplier(&mut self, multiplier: u32) {
        self.multiplier = multiplier.max(1);
    }

    /// The rule applied.
    pub fn sizing(&self) -> &Sizing {
        &self.sizing
    }

    /// Feeds one closed bar of the instrument (a no-op unless sizing by
    /// volatility).
    #[inline]
    pub fn update(&mut self, bar: &Bar) {
        match &mut self.vol {
            VolState::None => {}
            VolState::Atr(atr) => {
                atr.update_bar(bar);
            }
            VolState::Ewma(vol) => {
                vol.update(bar.close.to_f64());
            }
        }
    }

    /// Whether [`target_qty`](Sizer::target_qty) can be non-zero (the
    /// volatility estimate, if any, has warmed up).
    pub fn is_ready(&self) -> bool {
        match &self.vol {
            VolState::None => true,
            VolState::Atr(atr) => atr.is_ready(),
            VolState::Ewma(vol) => vol.is_ready(),
        }
    }

    /// The annualised volatility estimate at `price` (`None` without a
    /// volatility target or during warm-up).
    pub fn volatility(&self, price: Price) -> Option<f64> {
        match &self.vol {
            VolState::None => None,
            VolState::Atr(atr) => atr
                .value()
                .map(|a| a / price.to_f64() * TRADING_DAYS_PER_YEAR.sqrt()),
            VolState::Ewma(vol) => vol.value(),
        }
    }

    /// Units for a whole-equity position at `price` (see the module docs).
    pub fn target_qty(&self, equity: Money, price: Price) -> Qty {
        self.target_qty_weighted(equity, price, 1.0)
    }

    /// Units for a position that gets `weight` of the budget (`1 / k` for
    /// one of `k` equal holdings). Zero for a non-positive equity, price or
    /// weight, and during the volatility warm-up.
    pub fn target_qty_weighted(&self, equity: Money, price: Price, weight: f64) -> Qty {
        let fraction = match self.sizing {
            Sizing::Fixed { qty } => return qty,
            Sizing::Fraction { fraction } => fraction,
            Sizing::VolTarget {
                target,
                max_fraction,
                ..
            } => match self.volatility(price) {
                // NaN (0/0 at a zero price) or a negative estimate sizes nothing.
                Some(sigma) if sigma >= 0.0 => (target / sigma).min(max_fraction),
                _ => return Qty::ZERO,
            },
        };
        let budget = equity.to_f64() * fraction * weight;
        let unit = i128::from(price.raw()) * i128::from(self.multiplier);
        match Money::from_f64(budget) {
            Some(b) if b.raw() > 0 && unit > 0 => {
                Qty::new(u64::try_from(i128::from(b.raw()) / unit).unwrap_or(u64::MAX))
            }
            _ => Qty::ZERO,
        }
    }
}

#[cfg(test)]
mod tests;
