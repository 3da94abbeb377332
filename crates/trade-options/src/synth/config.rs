//! [`SynthConfig`]: every knob of the synthetic chain generator, as written
//! in TOML config. Everything has a default; unknown keys are rejected.
//!
//! ```toml
//! rate = 0.03
//! dividend_yield = 0.013
//! listing = "spy"
//! [vol]
//! vix_scale = 0.79
//! floor = 0.05
//! [vol.term]
//! long_run_vol = 0.18
//! kappa = 4.0
//! [vol.smile]
//! skew = -2.6
//! curvature = 0.0
//! [spread]
//! price_frac = 0.002
//! [strikes]
//! moneyness = 0.15
//! [dte]
//! min = 30
//! max = 60
//! ```

use jiff::civil::Date;
use serde::Deserialize;

use super::SynthError;
use super::listing::ListingRules;

/// A rate step: `rate` from `from` on (until the next step).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateStep {
    /// First date of the step.
    pub from: Date,
    /// Continuously compounded rate per year.
    pub rate: f64,
}

/// Which listing rules to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingName {
    /// SPY's expiries, strikes and ticks.
    Spy,
    /// QQQ's.
    Qqq,
    /// IWM's.
    Iwm,
    /// Monthlies only, nickel/dime ticks.
    Generic,
}

impl ListingName {
    /// The rules.
    pub fn rules(self) -> ListingRules {
        match self {
            ListingName::Spy => ListingRules::spy(),
            ListingName::Qqq => ListingRules::qqq(),
            ListingName::Iwm => ListingRules::iwm(),
            ListingName::Generic => ListingRules::generic(),
        }
    }
}

/// How the ATM volatility of 30 days follows the VIX:
/// `vix_scale * VIX / 100 + vix_offset`, held within `floor..=cap`.
///
/// Why a scale below one: the VIX is the square root of a 30-day variance
/// swap rate on the S&P 500, which prices the whole smile and so sits above
/// at-the-money implied volatility (Carr and Wu, "A Tale of Two Indices",
/// 2006: the gap is the skew premium, a couple of vol points in calm
/// markets).
///
/// The defaults (scale 0.79; smile skew -2.6, curvature 0, min_factor 0.8:
/// a linear put skew and a flat call wing) are a grid fit to the
/// out-of-the-money mids of the real SPY chain of 2025-08-26 (20-70 days,
/// within 15% of the spot; VIX 14.62): one calm day, a starting point rather
/// than a calibration for every regime. The script is
/// `crates/trade-options/tests/data/synth_calibration.py`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VolConfig {
    /// Multiplier on VIX / 100.
    pub vix_scale: f64,
    /// Added after scaling (vol units, 0.01 = one point).
    pub vix_offset: f64,
    /// Lowest volatility anywhere on the surface.
    pub floor: f64,
    /// Highest volatility anywhere on the surface.
    pub cap: f64,
    /// ATM term structure.
    pub term: TermStructure,
    /// Smile across strikes.
    pub smile: Smile,
}

impl Default for VolConfig {
    fn default() -> Self {
        VolConfig {
            vix_scale: 0.79,
            vix_offset: 0.0,
            floor: 0.05,
            cap: 3.0,
            term: TermStructure::default(),
            smile: Smile::default(),
        }
    }
}

/// How ATM volatility changes with time to expiry: the expected average
/// variance of a mean-reverting variance process (the Heston drift),
/// `v(T) = θ + (v0 − θ)(1 − e^{−κT})/(κT)` with `θ = long_run_vol²`, and
/// `v0` chosen so that `v(30 days)` is the VIX-implied ATM variance.
/// Calm markets (ATM below the long-run level) get an upward-sloping
/// curve, stressed ones an inverted curve, as the VIX futures curve does.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TermStructure {
    /// Long-run volatility the curve reverts to.
    pub long_run_vol: f64,
    /// Mean-reversion speed per year (0 = flat curve at the 30-day vol).
    pub kappa: f64,
    /// Days of the maturity the VIX describes.
    pub reference_days: f64,
}

impl Default for TermStructure {
    fn default() -> Self {
        TermStructure {
            long_run_vol: 0.18,
            kappa: 4.0,
            reference_days: 30.0,
        }
    }
}

/// The smile: `σ(K, T) = σ_atm(T) · (1 + skew·x + curvature·x²)` with
/// `x = ln(K/F) / √T`, the log-moneyness scaled by the square root of the
/// time to expiry so one set of parameters fits every expiry. A negative
/// skew makes puts (low strikes) richer than calls. `x` is held within
/// `±max_x` and the factor at or above `min_factor`, so far wings stay
/// finite and positive.
///
/// Allowed shapes: `skew <= 0`, and `curvature <= min(1/max_x²,
/// −skew/(2·max_x))`. Why: with `f = 1 + bx + cx²` and `σ = a·f`, the
/// Black-Scholes `d1 = −x/σ + σ√T/2` (at fixed T) falls with the strike
/// exactly when `(b + 2cx)(x/f + a²f√T/2) <= 1`. The two bounds make
/// `b + 2cx <= 0` on the whole clamped range (the smile never rises on the
/// call side) and `c x² <= 1` (the put wing never curves up faster than
/// the moneyness grows), which together keep the delta of every generated
/// quote monotone in strike for any maturity and volatility level.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Smile {
    /// Slope in x.
    pub skew: f64,
    /// Convexity in x.
    pub curvature: f64,
    /// Clamp of |x|.
    pub max_x: f64,
    /// Lowest multiple of ATM vol.
    pub min_factor: f64,
}

impl Default for Smile {
    fn default() -> Self {
        Smile {
            skew: -2.6,
            curvature: 0.0,
            max_x: 1.0,
            min_factor: 0.8,
        }
    }
}

/// Bid/ask spread model. The full spread is
/// `max(min_ticks · tick, (base + price_frac · price + vega_frac ·
/// vega_per_point) · (1 + wing · |x|))`, then the bid is the model price
/// minus half of it rounded down to the tick (never below 0) and the ask
/// the model price plus half rounded up; an ask is always at least one
/// tick above the bid.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpreadConfig {
    /// Fixed part, dollars.
    pub base: f64,
    /// Part proportional to the option price.
    pub price_frac: f64,
    /// Dollars per vol point of vega (market makers quote wider where a
    /// vol move costs more).
    pub vega_frac: f64,
    /// Widening per unit of |x| (wings are quoted wider).
    pub wing: f64,
    /// Narrowest spread, in ticks.
    pub min_ticks: u32,
}

impl Default for SpreadConfig {
    fn default() -> Self {
        SpreadConfig {
            base: 0.01,
            price_frac: 0.002,
            vega_frac: 0.01,
            wing: 0.3,
            min_ticks: 1,
        }
    }
}

/// Which strikes to generate: within `moneyness` of the spot
/// (`|K/S − 1| <= moneyness`), and, when set, only those whose absolute
/// delta lies within `min_abs_delta..=max_abs_delta`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StrikeWindow {
    /// Half-width around the spot as a fraction.
    pub moneyness: f64,
    /// Lowest |delta| kept.
    pub min_abs_delta: Option<f64>,
    /// Highest |delta| kept.
    pub max_abs_delta: Option<f64>,
}

impl Default for StrikeWindow {
    fn default() -> Self {
        StrikeWindow {
            moneyness: 0.15,
            min_abs_delta: None,
            max_abs_delta: None,
        }
    }
}

/// Which expiries to generate, in calendar days to expiry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DteWindow {
    /// Fewest days (0 = include same-day expiries).
    pub min: i32,
    /// Most days.
    pub max: i32,
}

impl Default for DteWindow {
    fn default() -> Self {
        DteWindow { min: 0, max: 60 }
    }
}

/// The synthetic chain generator's configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SynthConfig {
    /// Risk-free rate, continuously compounded, when no step applies.
    pub rate: f64,
    /// Rate steps by date (a rate history); the latest step on or before
    /// the date wins, `rate` before the first.
    pub rate_steps: Vec<RateStep>,
    /// Dividend yield of the underlying, continuously compounded.
    pub dividend_yield: f64,
    /// Listing rules; by default chosen from the underlying's symbol.
    pub listing: Option<ListingName>,
    /// Volatility surface.
    pub vol: VolConfig,
    /// Bid/ask spreads.
    pub spread: SpreadConfig,
    /// Strike window.
    pub strikes: StrikeWindow,
    /// Expiry window.
    pub dte: DteWindow,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            rate: 0.02,
            rate_steps: Vec::new(),
            dividend_yield: 0.015,
            listing: None,
            vol: VolConfig::default(),
            spread: SpreadConfig::default(),
            strikes: StrikeWindow::default(),
            dte: DteWindow::default(),
        }
    }
}

impl SynthConfig {
    /// The rate in force on `date`.
    pub fn rate_on(&self, date: Date) -> f64 {
        self.rate_steps
            .iter()
            .rev()
            .find(|s| s.from <= date)
            .map_or(self.rate, |s| s.rate)
    }

    /// Checks every value against its documented range.
    ///
    /// # Errors
    /// [`SynthError::Config`] naming the field, its value and the range.
    pub fn check(&self) -> Result<(), SynthError> {
        let within = |name: &str, v: f64, lo: f64, hi: f64| {
            if v.is_finite() && lo <= v && v <= hi {
                Ok(())
            } else {
                Err(SynthError::Config(format!(
                    "{name} = {v}: expected a number within {lo}..={hi}"
                )))
            }
        };
        within("rate", self.rate, -0.05, 0.25)?;
        for s in &self.rate_steps {
            within("rate_steps.rate", s.rate, -0.05, 0.25)?;
        }
        if !self.rate_steps.windows(2).all(|w| w[0].from < w[1].from) {
            return Err(SynthError::Config(
                "rate_steps: dates must be strictly increasing".into(),
            ));
        }
        within("dividend_yield", self.dividend_yield, 0.0, 0.25)?;
        let v = &self.vol;
        within("vol.vix_scale", v.vix_scale, 0.1, 3.0)?;
        within("vol.vix_offset", v.vix_offset, -0.5, 0.5)?;
        within("vol.floor", v.floor, 0.001, 1.0)?;
        within("vol.cap", v.cap, v.floor, 10.0)?;
        within("vol.term.long_run_vol", v.term.long_run_vol, 0.01, 2.0)?;
        within("vol.term.kappa", v.term.kappa, 0.0, 50.0)?;
        within("vol.term.reference_days", v.term.reference_days, 1.0, 365.0)?;
        within("vol.smile.skew", v.smile.skew, -10.0, 0.0)?;
        within("vol.smile.max_x", v.smile.max_x, 0.0, 5.0)?;
        let m = v.smile.max_x.max(1e-9);
        let limit = (1.0 / (m * m)).min(-v.smile.skew / (2.0 * m));
        within("vol.smile.curvature", v.smile.curvature, 0.0, limit)?;
        within("vol.smile.min_factor", v.smile.min_factor, 0.05, 1.0)?;
        let s = &self.spread;
        within("spread.base", s.base, 0.0, 10.0)?;
        within("spread.price_frac", s.price_frac, 0.0, 1.0)?;
        within("spread.vega_frac", s.vega_frac, 0.0, 10.0)?;
        within("spread.wing", s.wing, 0.0, 100.0)?;
        if s.min_ticks == 0 {
            return Err(SynthError::Config(
                "spread.min_ticks = 0: expected at least 1 (a zero-width market never exists)"
                    .into(),
            ));
        }
        within("strikes.moneyness", self.strikes.moneyness, 0.0, 0.95)?;
        let lo = self.strikes.min_abs_delta.unwrap_or(0.0);
        let hi = self.strikes.max_abs_delta.unwrap_or(1.0);
        within("strikes.min_abs_delta", lo, 0.0, 1.0)?;
        within("strikes.max_abs_delta", hi, lo, 1.0)?;
        if self.dte.min < 0 || self.dte.max < self.dte.min || self.dte.max > 3 * 366 {
            return Err(SynthError::Config(format!(
                "dte = {}..={}: expected 0 <= min <= max <= 1098",
                self.dte.min, self.dte.max
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn module_example_parses_and_checks() {
        let text = r#"
            rate = 0.03
            dividend_yield = 0.013
            listing = "spy"
            [vol]
            vix_scale = 0.79
            floor = 0.05
            [vol.term]
            long_run_vol = 0.18
            kappa = 4.0
            [vol.smile]
            skew = -2.6
            curvature = 0.0
            [spread]
            price_frac = 0.002
            [strikes]
            moneyness = 0.15
            [dte]
            min = 30
            max = 60
        "#;
        let c: SynthConfig = toml::from_str(text).unwrap();
        c.check().unwrap();
        assert_eq!(c.dte, DteWindow { min: 30, max: 60 });
        assert_eq!(c.listing, Some(ListingName::Spy));
        assert_eq!(c.spread.base, SpreadConfig::default().base);
    }

    #[test]
    fn typos_and_out_of_range_values_are_rejected() {
        assert!(toml::from_str::<SynthConfig>("[vol]\nvix_scal = 1.0").is_err());
        assert!(toml::from_str::<SynthConfig>("listing = \"spx\"").is_err());
        let bad = [
            "rate = 0.9",
            "[vol]\nfloor = 0.0",
            "[vol.smile]\nmin_factor = 0.0",
            "[vol.smile]\nskew = 0.5",
            "[vol.smile]\nskew = -1.0\ncurvature = 0.6",
            "[vol.smile]\nskew = -3.0\ncurvature = 1.2",
            "[spread]\nmin_ticks = 0",
            "[dte]\nmin = 10\nmax = 5",
            "[strikes]\nmin_abs_delta = 0.6\nmax_abs_delta = 0.4",
            "rate_steps = [{from = \"2020-01-01\", rate = 0.01}, {from = \"2019-01-01\", rate = 0.02}]",
        ];
        for text in bad {
            let c: SynthConfig = toml::from_str(text).unwrap();
            assert!(c.check().is_err(), "{text}");
        }
    }

    #[test]
    fn rate_steps_apply_from_their_date() {
        let c: SynthConfig = toml::from_str(
            "rate = 0.05\nrate_steps = [{from = \"2015-12-17\", rate = 0.004}, {from = \"2020-03-16\", rate = 0.001}]",
        )
        .unwrap();
        assert_eq!(c.rate_on(date(2015, 1, 2)), 0.05);
        assert_eq!(c.rate_on(date(2015, 12, 17)), 0.004);
        assert_eq!(c.rate_on(date(2021, 1, 4)), 0.001);
    }
}
