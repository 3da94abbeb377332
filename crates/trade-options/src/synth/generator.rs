//! [`ChainGenerator`]: one date's synthetic chain, priced on demand from
//! the underlying's price and the VIX close.
//!
//! Per date it lists the product's expiries within the DTE window and its
//! strikes within the moneyness window (nothing else is computed), prices
//! each contract with Black-Scholes-Merton at the surface volatility, and
//! quotes a bid and ask around that price on the product's tick grid.
//! Every quote is [`QuoteSource::Modelled`].
//!
//! American options (SPY, QQQ, IWM) are priced as European and floored at
//! their immediate-exercise value, a lower bound of the American price:
//! the early-exercise premium above that floor (deep in-the-money puts,
//! calls before an ex-dividend date) is not modelled, and the Greeks are
//! the European ones.

use jiff::civil::Date;
use trade_calendar::Nyse;
use trade_core::{ExerciseStyle, OptionRight, Price, Symbol, Timestamp};

use super::SynthError;
use super::config::SynthConfig;
use super::listing::ListingRules;
use super::surface::VolSurface;
use crate::chain::{ChainSnapshot, ContractKey, OptionQuote, QuoteGreeks, QuoteSource};
use crate::pricing::{Bsm, Greeks, year_fraction};

/// Generates synthetic chains for one underlying.
#[derive(Debug, Clone)]
pub struct ChainGenerator {
    underlying: Symbol,
    config: SynthConfig,
    rules: ListingRules,
}

impl ChainGenerator {
    /// A generator with checked configuration; the listing rules are the
    /// config's `listing`, or else chosen from the symbol.
    ///
    /// # Errors
    /// [`SynthError::Config`] for a value outside its documented range.
    pub fn new(underlying: Symbol, config: SynthConfig) -> Result<Self, SynthError> {
        config.check()?;
        let rules = match config.listing {
            Some(name) => name.rules(),
            None => ListingRules::for_symbol(underlying.as_str()),
        };
        Ok(ChainGenerator {
            underlying,
            config,
            rules,
        })
    }

    /// Replaces the listing rules (a product of your own).
    pub fn with_rules(mut self, rules: ListingRules) -> Self {
        self.rules = rules;
        self
    }

    /// The underlying.
    pub fn underlying(&self) -> &Symbol {
        &self.underlying
    }

    /// The configuration.
    pub fn config(&self) -> &SynthConfig {
        &self.config
    }

    /// The listing rules.
    pub fn rules(&self) -> &ListingRules {
        &self.rules
    }

    /// The expiries listed on `date` within the DTE window.
    ///
    /// # Errors
    /// [`SynthError::Calendar`] outside the calendar's years.
    pub fn expiries(&self, date: Date) -> Result<Vec<Date>, SynthError> {
        Ok(self
            .rules
            .expiries(date, self.config.dte.min, self.config.dte.max)?)
    }

    /// The chain at the closing bell of session `date`.
    ///
    /// # Errors
    /// [`SynthError::NotASession`] when the exchange is closed on `date`,
    /// [`SynthError::BadInput`] for a non-positive spot or VIX,
    /// [`SynthError::Calendar`] outside the calendar's years.
    pub fn generate(&self, date: Date, spot: Price, vix: f64) -> Result<ChainSnapshot, SynthError> {
        let session = Nyse.session(date)?.ok_or(SynthError::NotASession(date))?;
        self.generate_at(date, session.close, spot, vix)
    }

    /// The chain at instant `ts` of session `date` (expiries whose closing
    /// bell is before `ts` are left out).
    ///
    /// # Errors
    /// As [`ChainGenerator::generate`].
    pub fn generate_at(
        &self,
        date: Date,
        ts: Timestamp,
        spot: Price,
        vix: f64,
    ) -> Result<ChainSnapshot, SynthError> {
        let nyse = Nyse;
        if nyse.session(date)?.is_none() {
            return Err(SynthError::NotASession(date));
        }
        if spot <= Price::ZERO {
            return Err(SynthError::BadInput(format!(
                "{} spot {spot} on {date}: expected a positive price",
                self.underlying
            )));
        }
        if !(vix.is_finite() && vix > 0.0) {
            return Err(SynthError::BadInput(format!(
                "VIX {vix} on {date}: expected a positive number"
            )));
        }
        let cfg = &self.config;
        let s = spot.to_f64();
        let r = cfg.rate_on(date);
        let q = cfg.dividend_yield;
        let surface = VolSurface::from_vix(&cfg.vol, vix);
        let ticks = self.rules.tick_rule(date);
        let m = cfg.strikes.moneyness;
        let strikes = self.rules.strikes(s, s * (1.0 - m), s * (1.0 + m));
        let expiries = self.expiries(date)?;
        let (dmin, dmax) = (
            cfg.strikes.min_abs_delta.unwrap_or(0.0),
            cfg.strikes.max_abs_delta.unwrap_or(1.0),
        );
        let american = self.rules.style == ExerciseStyle::American;
        let sp = &cfg.spread;
        let mut quotes = Vec::with_capacity(expiries.len() * strikes.len() * 2);
        for expiry in expiries {
            let Some(close) = nyse.session(expiry)?.map(|x| x.close) else {
                continue;
            };
            if close < ts {
                continue;
            }
            let t = year_fraction(ts, close).max(0.0);
            let forward = s * ((r - q) * t).exp();
            let atm = surface.atm_vol(t);
            for &strike in &strikes {
                let k = strike.to_f64();
                let vol = surface.vol_at(atm, t, forward, k);
                let x = surface.moneyness(t, forward, k).abs();
                let bsm = Bsm {
                    right: OptionRight::Call,
                    spot: s,
                    strike: k,
                    years: t,
                    rate: r,
                    dividend_yield: q,
                    vol,
                };
                let model_error = |e: crate::pricing::PricingError| {
                    SynthError::BadInput(format!("{date} strike {strike}: {e}"))
                };
                let call = bsm.greeks().map_err(model_error)?;
                let put = put_from_call(&bsm, call).map_err(model_error)?;
                for (right, g) in [(OptionRight::Call, call), (OptionRight::Put, put)] {
                    let ad = g.delta.abs();
                    if ad < dmin || ad > dmax {
                        continue;
                    }
                    let intrinsic = match right {
                        OptionRight::Call => (s - k).max(0.0),
                        OptionRight::Put => (k - s).max(0.0),
                    };
                    let model = if american {
                        g.price.max(intrinsic)
                    } else {
                        g.price
                    };
                    if !model.is_finite() {
                        continue;
                    }
                    let tick = ticks.tick(model);
                    let tick_f = tick.to_f64();
                    let spread =
                        ((sp.base + sp.price_frac * model + sp.vega_frac * g.vega_per_point())
                            * (1.0 + sp.wing * x))
                            .max(f64::from(sp.min_ticks) * tick_f);
                    let half = spread / 2.0;
                    let bid_ticks = (((model - half) / tick_f).floor() as i64).max(0);
                    let ask_ticks = (((model + half) / tick_f).ceil() as i64).max(bid_ticks + 1);
                    quotes.push(OptionQuote {
                        key: ContractKey::new(expiry, strike, right),
                        bid: Price::from_raw(bid_ticks.saturating_mul(tick.raw())),
                        ask: Price::from_raw(ask_ticks.saturating_mul(tick.raw())),
                        last: None,
                        volume: None,
                        open_interest: None,
                        iv: Some(vol),
                        greeks: Some(QuoteGreeks::from(g)),
                        source: QuoteSource::Modelled,
                    });
                }
            }
        }
        ChainSnapshot::new(self.underlying.clone(), date, ts, spot, quotes)
            .map_err(|e| SynthError::BadInput(e.to_string()))
    }
}

/// The put of the same strike and expiry from its call, by put-call parity
/// (`P = C - S e^{-qT} + K e^{-rT}`, and the matching Greek identities):
/// one closed-form evaluation per strike instead of two, which is most of
/// the generator's cost. At expiry or zero volatility, where the closed
/// form degenerates to intrinsic values, the put is priced directly.
fn put_from_call(call_inputs: &Bsm, call: Greeks) -> Result<Greeks, crate::pricing::PricingError> {
    let Bsm {
        spot: s,
        strike: k,
        years: t,
        rate: r,
        dividend_yield: q,
        vol,
        ..
    } = *call_inputs;
    if !(t > 0.0 && vol > 0.0) {
        return Bsm {
            right: OptionRight::Put,
            ..*call_inputs
        }
        .greeks();
    }
    let dq = (-q * t).exp();
    let dr = (-r * t).exp();
    Ok(Greeks {
        price: call.price - s * dq + k * dr,
        delta: call.delta - dq,
        gamma: call.gamma,
        vega: call.vega,
        theta: call.theta + r * k * dr - q * s * dq,
        rho: call.rho - k * t * dr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The parity-derived put equals the directly priced put.
        #[test]
        fn put_from_call_matches_bsm(
            s in 1.0f64..2000.0,
            m in 0.5f64..1.5,
            t in 0.0f64..3.0,
            r in -0.02f64..0.1,
            q in 0.0f64..0.06,
            vol in 0.0f64..2.0,
        ) {
            let call_inputs = Bsm { right: OptionRight::Call, spot: s, strike: s * m, years: t, rate: r, dividend_yield: q, vol };
            let got = put_from_call(&call_inputs, call_inputs.greeks().unwrap()).unwrap();
            let want = Bsm { right: OptionRight::Put, ..call_inputs }.greeks().unwrap();
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + s + b.abs());
            proptest::prop_assert!(close(got.price, want.price), "price {} vs {}", got.price, want.price);
            proptest::prop_assert!(close(got.delta, want.delta));
            proptest::prop_assert!(close(got.gamma, want.gamma));
            proptest::prop_assert!(close(got.vega, want.vega));
            proptest::prop_assert!(close(got.theta, want.theta), "theta {} vs {}", got.theta, want.theta);
            proptest::prop_assert!(close(got.rho, want.rho));
        }
    }
}
