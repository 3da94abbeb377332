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
use crate::pricing::{Bsm, year_fraction};

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
                for right in [OptionRight::Call, OptionRight::Put] {
                    let g = Bsm {
                        right,
                        spot: s,
                        strike: k,
                        years: t,
                        rate: r,
                        dividend_yield: q,
                        vol,
                    }
                    .greeks();
                    let ad = g.delta.abs();
                    if ad < dmin || ad > dmax {
                        continue;
                    }
                    let intrinsic = match right {
                        OptionRight::Call => (s - k).max(0.0),
                        OptionRight::Put => (k - s).max(0.0),
                    };
                    let model = if american { g.price.max(intrinsic) } else { g.price };
                    if !model.is_finite() {
                        continue;
                    }
                    let tick = ticks.tick(model);
                    let tick_f = tick.to_f64();
                    let spread = ((sp.base + sp.price_frac * model + sp.vega_frac * g.vega_per_point())
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
