//! American exercise (US single-stock and ETF options): Barone-Adesi-Whaley
//! for speed across chains, a Cox-Ross-Rubinstein tree as the reference,
//! their Greeks and implied volatility.
//!
//! Greeks: BAW delta and gamma are analytic (the critical price does not
//! depend on the spot); the tree's delta, gamma and theta come from the
//! tree grown two steps into the past; the rest are central finite
//! differences of the model price (steps chosen below), so they carry the
//! model's own approximation error.

mod baw;
mod binomial;
mod brent;

use super::{Bsm, Greeks, InputError, IvError, PricingError};
use trade_core::OptionRight;

/// Most steps [`AmericanModel::Binomial`] accepts: the tree costs
/// `steps^2 / 2` node updates (20 000 steps is about 0.5 s).
pub const BINOMIAL_MAX_STEPS: u32 = 20_000;

/// Volatilities [`implied_vol_american`] searches, `[low, high]`: a price
/// whose volatility lies outside is reported as
/// [`IvError::OutsideModelRange`].
pub const IV_VOL_RANGE_AMERICAN: (f64, f64) = (1e-3, 5.0);

/// Which American model to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmericanModel {
    /// Barone-Adesi & Whaley (1987) quadratic approximation: fast (about as
    /// cheap as a few European prices); within 0.5% of `S vol sqrt(T)` of
    /// the true American price on the golden grid (worst for two-year
    /// options at low vol, far better for short expiries). Needs
    /// `rate >= 0` unless early exercise provably never pays (a put with
    /// `rate <= 0 <= dividend_yield`, a call with `dividend_yield <= 0 <=
    /// rate`).
    BaroneAdesiWhaley,
    /// Cox-Ross-Rubinstein binomial tree with `steps` steps (2 to
    /// [`BINOMIAL_MAX_STEPS`]); the error shrinks like `1/steps`
    /// (about 1e-3 of the price at 1000 steps). Works for any rates.
    Binomial {
        /// Number of time steps to expiry.
        steps: u32,
    },
}

/// Inputs of an American option on a spot with a continuous dividend yield.
/// The fields mean what they mean in [`Bsm`]; every method validates them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct American {
    /// Call or put.
    pub right: OptionRight,
    /// Spot price of the underlying, > 0.
    pub spot: f64,
    /// Strike, > 0.
    pub strike: f64,
    /// Time to expiry, ACT/365 years, >= 0.
    pub years: f64,
    /// Risk-free rate, continuously compounded.
    pub rate: f64,
    /// Dividend yield, continuously compounded.
    pub dividend_yield: f64,
    /// Volatility, > 0 (>= 0 when `years == 0`).
    pub vol: f64,
}

const BAW: &str = "Barone-Adesi-Whaley";
const TREE: &str = "binomial tree (CRR)";

/// Relative bump of the volatility for vega.
const VOL_BUMP: f64 = 1e-4;
/// Absolute bump of the rate for rho.
const RATE_BUMP: f64 = 1e-5;
/// Relative bump of the time to expiry for theta.
const TIME_BUMP: f64 = 1e-4;
/// The tree's price moves in small steps as nodes cross the strike when
/// the volatility changes, so its vega needs a wider bump (absolute).
const TREE_VOL_BUMP: f64 = 1e-3;

impl American {
    /// Checks every field against its domain.
    ///
    /// # Errors
    /// [`InputError`] naming the first field that is NaN, infinite or out of
    /// range (a zero volatility is accepted only at expiry).
    pub fn validate(&self) -> Result<(), InputError> {
        self.european().validate()?;
        super::check(
            "vol",
            self.vol,
            self.vol > 0.0 || self.years == 0.0,
            "a finite number > 0 (American models need a positive volatility before expiry)",
        )
    }

    /// The European option with the same terms.
    pub fn european(&self) -> Bsm {
        Bsm {
            right: self.right,
            spot: self.spot,
            strike: self.strike,
            years: self.years,
            rate: self.rate,
            dividend_yield: self.dividend_yield,
            vol: self.vol,
        }
    }

    fn phi(&self) -> f64 {
        match self.right {
            OptionRight::Call => 1.0,
            OptionRight::Put => -1.0,
        }
    }

    /// Value of exercising now, `max(±(spot - strike), 0)`.
    pub fn exercise_value(&self) -> f64 {
        (self.phi() * (self.spot - self.strike)).max(0.0)
    }

    /// Price under `model`.
    ///
    /// # Errors
    /// [`PricingError::Input`] for invalid fields or a step count out of
    /// range, [`PricingError::NotApplicable`] for BAW with negative rates
    /// (where early exercise may matter) or a tree too coarse for the carry,
    /// [`PricingError::NoConvergence`] / [`PricingError::NotFinite`] for
    /// inputs too extreme for the method.
    pub fn price(&self, model: AmericanModel) -> Result<f64, PricingError> {
        self.validate()?;
        if self.years == 0.0 {
            return Ok(self.exercise_value());
        }
        let (price, name) = match model {
            AmericanModel::BaroneAdesiWhaley => (self.baw()?.price, BAW),
            AmericanModel::Binomial { steps } => {
                check_steps(steps)?;
                (binomial::tree(self, steps, true)?.price, TREE)
            }
        };
        if price.is_finite() {
            Ok(price)
        } else {
            Err(PricingError::NotFinite { model: name })
        }
    }

    /// Price and Greeks under `model` (conventions in [`super`]). At expiry
    /// the Greeks are those of the exercise value (delta ±1 in the money,
    /// everything else zero).
    ///
    /// # Errors
    /// As [`American::price`].
    pub fn greeks(&self, model: AmericanModel) -> Result<Greeks, PricingError> {
        self.validate()?;
        if self.years == 0.0 {
            let price = self.exercise_value();
            return Ok(Greeks {
                price,
                delta: if price > 0.0 { self.phi() } else { 0.0 },
                ..Greeks::default()
            });
        }
        let (greeks, name) = match model {
            AmericanModel::BaroneAdesiWhaley => (self.baw_greeks()?, BAW),
            AmericanModel::Binomial { steps } => {
                check_steps(steps)?;
                (self.tree_greeks(steps)?, TREE)
            }
        };
        if greeks.is_finite() {
            Ok(greeks)
        } else {
            Err(PricingError::NotFinite { model: name })
        }
    }

    /// BAW price with delta and gamma (theta, vega and rho are European in
    /// the result and replaced by the caller when a premium applies).
    fn baw(&self) -> Result<Greeks, PricingError> {
        let european = self.european().greeks()?;
        match self.baw_case()? {
            BawCase::European => Ok(european),
            BawCase::Premium => {
                let premium = baw::premium(self)?;
                Ok(baw::value(self, &premium, &european))
            }
        }
    }

    fn baw_case(&self) -> Result<BawCase, PricingError> {
        let (r, q) = (self.rate, self.dividend_yield);
        match self.right {
            // Holding a call costs the dividends forgone and earns the
            // interest on the strike: with q <= 0 <= r exercising early never
            // pays (Merton 1973); likewise a put with r <= 0 <= q.
            OptionRight::Call if q <= 0.0 && r >= 0.0 => Ok(BawCase::European),
            OptionRight::Put if r <= 0.0 && q >= 0.0 => Ok(BawCase::European),
            _ if r < 0.0 => Err(PricingError::NotApplicable {
                model: BAW,
                reason: "negative rate with early exercise possibly optimal; use AmericanModel::Binomial",
            }),
            _ => Ok(BawCase::Premium),
        }
    }

    fn baw_greeks(&self) -> Result<Greeks, PricingError> {
        let mut g = self.baw()?;
        if self.baw_case()? == BawCase::European {
            return Ok(g);
        }
        let price = |o: American| o.baw().map(|g| g.price);
        g.vega = self.vega_by_bumping(VOL_BUMP * self.vol, price)?;
        g.theta = self.theta_by_bumping(price)?;
        g.rho = self.rho_by_bumping(price)?;
        Ok(g)
    }

    fn tree_greeks(&self, steps: u32) -> Result<Greeks, PricingError> {
        let t = binomial::tree(self, steps, true)?;
        let price = |o: American| binomial::tree(&o, steps, true).map(|t| t.price);
        let bump = TREE_VOL_BUMP.min(0.5 * self.vol);
        Ok(Greeks {
            price: t.price,
            delta: t.delta,
            gamma: t.gamma,
            vega: self.vega_by_bumping(bump, price)?,
            theta: t.theta,
            rho: self.rho_by_bumping(price)?,
        })
    }

    /// Central difference; one-sided upwards when the tree cannot take the
    /// lower volatility (it needs vol > |r - q| sqrt(dt)).
    fn vega_by_bumping(
        &self,
        h: f64,
        price: impl Fn(American) -> Result<f64, PricingError>,
    ) -> Result<f64, PricingError> {
        let at = |vol: f64| price(American { vol, ..*self });
        let up = at(self.vol + h)?;
        match at(self.vol - h) {
            Ok(down) => Ok((up - down) / (2.0 * h)),
            Err(PricingError::NotApplicable { .. }) => Ok((up - at(self.vol)?) / h),
            Err(e) => Err(e),
        }
    }

    /// dPrice/d(calendar time) = -dPrice/d(years).
    fn theta_by_bumping(
        &self,
        price: impl Fn(American) -> Result<f64, PricingError>,
    ) -> Result<f64, PricingError> {
        let h = TIME_BUMP * self.years;
        let longer = price(American {
            years: self.years + h,
            ..*self
        })?;
        let shorter = price(American {
            years: self.years - h,
            ..*self
        })?;
        Ok(-(longer - shorter) / (2.0 * h))
    }

    /// Central difference, or a second-order one-sided difference upwards
    /// when the rate is within a bump of zero: BAW switches formula at
    /// `r = 0`, and a difference must not straddle the switch.
    fn rho_by_bumping(
        &self,
        price: impl Fn(American) -> Result<f64, PricingError>,
    ) -> Result<f64, PricingError> {
        let h = RATE_BUMP;
        let at = |r: f64| price(American { rate: r, ..*self });
        let r = self.rate;
        if r >= h || r < -h {
            Ok((at(r + h)? - at(r - h)?) / (2.0 * h))
        } else {
            Ok((-3.0 * at(r)? + 4.0 * at(r + h)? - at(r + 2.0 * h)?) / (2.0 * h))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BawCase {
    /// Early exercise is never optimal: the European price is exact.
    European,
    /// The BAW premium applies.
    Premium,
}

fn check_steps(steps: u32) -> Result<(), InputError> {
    super::check(
        "steps",
        f64::from(steps),
        (2..=BINOMIAL_MAX_STEPS).contains(&steps),
        "2..=20000 tree steps",
    )
}

/// Implied volatility of an American option price under `model`, by
/// Brent's method over [`IV_VOL_RANGE_AMERICAN`] to 1e-12 in volatility
/// (the result is as accurate as the model price is smooth in volatility:
/// about 1e-10 for BAW, about `1e-3 / steps` for the tree, whose price
/// moves in small steps as nodes cross the strike).
///
/// The arbitrage bounds are the exercise value (or the European lower bound
/// `±(S e^{-qT} - K e^{-rT})` when larger) below and the spot (call) or
/// strike (put) above.
///
/// # Errors
/// [`IvError::InvalidInput`], [`IvError::Expired`],
/// [`IvError::BelowIntrinsic`], [`IvError::AboveBound`] as for European
/// prices; [`IvError::OutsideModelRange`] when the volatility would lie
/// outside [`IV_VOL_RANGE_AMERICAN`]; [`IvError::Model`] when the model
/// fails (see [`American::price`]); [`IvError::NoConvergence`] if Brent's
/// method does not converge.
#[allow(clippy::too_many_arguments)]
pub fn implied_vol_american(
    right: OptionRight,
    price: f64,
    spot: f64,
    strike: f64,
    years: f64,
    rate: f64,
    dividend_yield: f64,
    model: AmericanModel,
) -> Result<f64, IvError> {
    super::check_non_negative("price", price)?;
    let (low, high) = IV_VOL_RANGE_AMERICAN;
    let option = American {
        right,
        spot,
        strike,
        years,
        rate,
        dividend_yield,
        vol: low,
    };
    option.validate()?;
    if let AmericanModel::Binomial { steps } = model {
        check_steps(steps)?;
    }
    // A European lower bound can exceed the exercise value (a put on a
    // high-yield underlying); the American price is above both.
    let forward_value =
        option.phi() * (spot * (-dividend_yield * years).exp() - strike * (-rate * years).exp());
    if !forward_value.is_finite() {
        return Err(IvError::Model(PricingError::NotFinite {
            model: "discounting",
        }));
    }
    let european_floor = forward_value.max(0.0);
    let intrinsic = option.exercise_value().max(european_floor);
    if years == 0.0 {
        return Err(IvError::Expired { price, intrinsic });
    }
    if price < intrinsic {
        return Err(IvError::BelowIntrinsic { price, intrinsic });
    }
    let bound = match right {
        OptionRight::Call => spot,
        OptionRight::Put => strike,
    };
    if price >= bound {
        return Err(IvError::AboveBound { price, bound });
    }
    // The tree needs vol > |r - q| sqrt(dt) for probabilities in (0, 1).
    let low = match model {
        AmericanModel::Binomial { steps } => {
            let dt = years / f64::from(steps);
            low.max(1.0001 * (rate - dividend_yield).abs() * dt.sqrt())
        }
        AmericanModel::BaroneAdesiWhaley => low,
    };
    let excess = |vol: f64| {
        American { vol, ..option }
            .price(model)
            .map(|p| p - price)
            .map_err(IvError::Model)
    };
    let (f_low, f_high) = (excess(low)?, excess(high)?);
    if f_low > 0.0 || f_high < 0.0 {
        return Err(IvError::OutsideModelRange {
            price,
            low: f_low + price,
            high: f_high + price,
        });
    }
    brent::root(excess, (low, f_low), (high, f_high), 1e-12)?.ok_or(IvError::NoConvergence {
        price,
        solver: "Brent",
    })
}
