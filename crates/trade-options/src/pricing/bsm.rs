//! Black-Scholes-Merton (spot with a continuous dividend yield) and Black-76
//! (forward) closed forms: price and first-order Greeks.
//!
//! The hot path ([`Bsm::greeks`]) costs three `exp` (two discount factors
//! and one density: both cumulative normals reuse it, see
//! [`normal::black_terms`]), one `ln` and one `sqrt`, with no quantity
//! computed twice; see `benches/pricing.rs`.

use super::{Greeks, InputError, PricingError, normal};
use trade_core::OptionRight;

const MODEL_BSM: &str = "Black-Scholes-Merton";
const MODEL_B76: &str = "Black-76";

/// +1 for a call, -1 for a put: the formulas below are written once for
/// both rights, `phi * (S*dq*N(phi*d1) - K*dr*N(phi*d2))`.
#[inline]
fn sign(right: OptionRight) -> f64 {
    match right {
        OptionRight::Call => 1.0,
        OptionRight::Put => -1.0,
    }
}

/// Inputs of a European option on a spot that pays a continuous dividend
/// yield (index ETFs, indices). Build it as a struct literal; every method
/// validates the fields first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bsm {
    /// Call or put.
    pub right: OptionRight,
    /// Spot price of the underlying, > 0.
    pub spot: f64,
    /// Strike, > 0.
    pub strike: f64,
    /// Time to expiry, ACT/365 years, >= 0.
    pub years: f64,
    /// Risk-free rate, continuously compounded (may be negative).
    pub rate: f64,
    /// Dividend yield, continuously compounded (may be negative).
    pub dividend_yield: f64,
    /// Volatility (0.20 = 20%), >= 0.
    pub vol: f64,
}

impl Bsm {
    /// Checks every field against its domain.
    ///
    /// # Errors
    /// [`InputError`] naming the first field that is NaN, infinite or out of
    /// range.
    pub fn validate(&self) -> Result<(), InputError> {
        super::check_positive("spot", self.spot)?;
        super::check_positive("strike", self.strike)?;
        super::check_non_negative("years", self.years)?;
        super::check_finite("rate", self.rate)?;
        super::check_finite("dividend_yield", self.dividend_yield)?;
        super::check_non_negative("vol", self.vol)
    }

    /// The forward price `spot * exp((rate - dividend_yield) * years)`.
    pub fn forward(&self) -> f64 {
        self.spot * ((self.rate - self.dividend_yield) * self.years).exp()
    }

    /// Price only (cheaper than [`Bsm::greeks`]: no density).
    ///
    /// # Errors
    /// [`PricingError::Input`] for an invalid field,
    /// [`PricingError::NotFinite`] if the inputs overflow `f64`.
    pub fn price(&self) -> Result<f64, PricingError> {
        self.validate()?;
        let Bsm {
            right,
            spot: s,
            strike: k,
            years: t,
            rate: r,
            dividend_yield: q,
            vol,
        } = *self;
        let phi = sign(right);
        let sd = s * (-q * t).exp();
        let kd = k * (-r * t).exp();
        if !(sd.is_finite() && kd.is_finite()) {
            return Err(PricingError::NotFinite { model: MODEL_BSM });
        }
        let sdev = vol * t.sqrt();
        let lower = floor(phi * (sd - kd));
        let price = if sdev > 0.0 {
            let b = normal::black_terms(phi, (s / k).ln() + (r - q) * t, sd / kd, sdev, 1.0 / sdev);
            lift(phi * (sd * b.n1 - kd * b.n2), lower)
        } else {
            lower
        };
        finite(MODEL_BSM, price)
    }

    /// Price and Greeks.
    ///
    /// With no time value left (`years == 0` or `vol == 0`) the option is
    /// worth its discounted intrinsic value on the forward; gamma and vega
    /// are zero, delta is `±exp(-q t)` in the money and zero out of it (an
    /// option exactly at the forward counts as out of the money), and theta
    /// and rho are the derivatives of that deterministic value.
    ///
    /// # Errors
    /// [`PricingError::Input`] for an invalid field,
    /// [`PricingError::NotFinite`] if the inputs overflow `f64`.
    pub fn greeks(&self) -> Result<Greeks, PricingError> {
        self.validate()?;
        let Bsm {
            right,
            spot: s,
            strike: k,
            years: t,
            rate: r,
            dividend_yield: q,
            vol,
        } = *self;
        let phi = sign(right);
        let dq = (-q * t).exp();
        let dr = (-r * t).exp();
        let sd = s * dq;
        let kd = k * dr;
        if !(sd.is_finite() && kd.is_finite()) {
            return Err(PricingError::NotFinite { model: MODEL_BSM });
        }
        let sqrt_t = t.sqrt();
        let sdev = vol * sqrt_t;
        let greeks = if sdev > 0.0 {
            // One division for 1/sdev, off the critical path (it runs
            // beside the ln); everything after multiplies by it.
            let inv_sdev = 1.0 / sdev;
            let b = normal::black_terms(phi, (s / k).ln() + (r - q) * t, sd / kd, sdev, inv_sdev);
            let (n1, n2, pdf1) = (b.n1, b.n2, b.pdf1);
            let sd_pdf = sd * pdf1;
            Greeks {
                price: lift(phi * (sd * n1 - kd * n2), floor(phi * (sd - kd))),
                delta: phi * dq * n1,
                gamma: dq * pdf1 * inv_sdev / s,
                vega: sd_pdf * sqrt_t,
                // vol / sqrt(t) = vol^2 / sdev.
                theta: -0.5 * sd_pdf * vol * vol * inv_sdev + phi * (q * sd * n1 - r * kd * n2),
                rho: phi * t * kd * n2,
            }
        } else if phi * (sd - kd) > 0.0 {
            Greeks {
                price: phi * (sd - kd),
                delta: phi * dq,
                gamma: 0.0,
                vega: 0.0,
                theta: phi * (q * sd - r * kd),
                rho: phi * t * kd,
            }
        } else {
            Greeks::default()
        };
        finite_greeks(MODEL_BSM, greeks)
    }
}

/// Inputs of a European option on a forward or future (Black-76). Build it
/// as a struct literal; every method validates the fields first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Black76 {
    /// Call or put.
    pub right: OptionRight,
    /// Forward (futures) price, > 0.
    pub forward: f64,
    /// Strike, > 0.
    pub strike: f64,
    /// Time to expiry, ACT/365 years, >= 0.
    pub years: f64,
    /// Risk-free rate used to discount the payoff (may be negative).
    pub rate: f64,
    /// Volatility of the forward, >= 0.
    pub vol: f64,
}

impl Black76 {
    /// Checks every field against its domain.
    ///
    /// # Errors
    /// [`InputError`] naming the first field that is NaN, infinite or out of
    /// range.
    pub fn validate(&self) -> Result<(), InputError> {
        super::check_positive("forward", self.forward)?;
        super::check_positive("strike", self.strike)?;
        super::check_non_negative("years", self.years)?;
        super::check_finite("rate", self.rate)?;
        super::check_non_negative("vol", self.vol)
    }

    /// Price only.
    ///
    /// # Errors
    /// As [`Black76::greeks`].
    pub fn price(&self) -> Result<f64, PricingError> {
        self.validate()?;
        let Black76 {
            right,
            forward: f,
            strike: k,
            years: t,
            rate: r,
            vol,
        } = *self;
        let phi = sign(right);
        let dr = (-r * t).exp();
        if !dr.is_finite() {
            return Err(PricingError::NotFinite { model: MODEL_B76 });
        }
        let sdev = vol * t.sqrt();
        let undiscounted = if sdev > 0.0 {
            let b = normal::black_terms(phi, (f / k).ln(), f / k, sdev, 1.0 / sdev);
            lift(phi * (f * b.n1 - k * b.n2), floor(phi * (f - k)))
        } else {
            floor(phi * (f - k))
        };
        finite(MODEL_B76, dr * undiscounted)
    }

    /// Price and Greeks with respect to the forward (delta, gamma), the
    /// volatility, calendar time with the forward held fixed (theta) and the
    /// discount rate with the forward held fixed (rho = `-years * price`).
    /// With no time value left the Greeks are those of the discounted
    /// intrinsic value, as for [`Bsm::greeks`].
    ///
    /// # Errors
    /// [`PricingError::Input`] for an invalid field,
    /// [`PricingError::NotFinite`] if the inputs overflow `f64`.
    pub fn greeks(&self) -> Result<Greeks, PricingError> {
        self.validate()?;
        let Black76 {
            right,
            forward: f,
            strike: k,
            years: t,
            rate: r,
            vol,
        } = *self;
        let phi = sign(right);
        let dr = (-r * t).exp();
        if !dr.is_finite() {
            return Err(PricingError::NotFinite { model: MODEL_B76 });
        }
        let sqrt_t = t.sqrt();
        let sdev = vol * sqrt_t;
        let greeks = if sdev > 0.0 {
            let b = normal::black_terms(phi, (f / k).ln(), f / k, sdev, 1.0 / sdev);
            let (n1, n2) = (b.n1, b.n2);
            let dr_pdf = dr * b.pdf1;
            let fd_pdf = f * dr_pdf;
            let price = dr * lift(phi * (f * n1 - k * n2), floor(phi * (f - k)));
            Greeks {
                price,
                delta: phi * dr * n1,
                gamma: dr_pdf / (f * sdev),
                vega: fd_pdf * sqrt_t,
                theta: -0.5 * fd_pdf * vol / sqrt_t + r * price,
                rho: -t * price,
            }
        } else if phi * (f - k) > 0.0 {
            let price = dr * phi * (f - k);
            Greeks {
                price,
                delta: phi * dr,
                gamma: 0.0,
                vega: 0.0,
                theta: r * price,
                rho: -t * price,
            }
        } else {
            Greeks::default()
        };
        finite_greeks(MODEL_B76, greeks)
    }
}

/// The lower arbitrage bound `max(forward value, 0)`. The closed form is a
/// difference of two terms and can round a few ulps below it (even below
/// zero far out of the money); prices are lifted onto the bound so that
/// they always invert to a volatility.
#[inline]
fn floor(forward_value: f64) -> f64 {
    lift(forward_value, 0.0)
}

/// `max(price, lower)` that keeps a NaN (`f64::max` would drop it and
/// return the bound, hiding an overflow).
#[inline]
fn lift(price: f64, lower: f64) -> f64 {
    if price < lower { lower } else { price }
}

fn finite(model: &'static str, price: f64) -> Result<f64, PricingError> {
    if price.is_finite() {
        Ok(price)
    } else {
        Err(PricingError::NotFinite { model })
    }
}

fn finite_greeks(model: &'static str, greeks: Greeks) -> Result<Greeks, PricingError> {
    if greeks.is_finite() {
        Ok(greeks)
    } else {
        Err(PricingError::NotFinite { model })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atm() -> Bsm {
        Bsm {
            right: OptionRight::Call,
            spot: 100.0,
            strike: 100.0,
            years: 1.0,
            rate: 0.05,
            dividend_yield: 0.0,
            vol: 0.2,
        }
    }

    /// Hull, "Options, Futures and Other Derivatives" (9th ed.), example
    /// 15.6: S=42, K=40, r=10%, sigma=20%, T=0.5 gives c=4.76, p=0.81.
    #[test]
    fn hull_example() {
        let mut o = Bsm {
            right: OptionRight::Call,
            spot: 42.0,
            strike: 40.0,
            years: 0.5,
            rate: 0.1,
            dividend_yield: 0.0,
            vol: 0.2,
        };
        assert!((o.price().unwrap() - 4.76).abs() < 0.005);
        o.right = OptionRight::Put;
        assert!((o.price().unwrap() - 0.81).abs() < 0.005);
    }

    #[test]
    fn every_bad_field_is_named() {
        type Spoil = fn(&mut Bsm);
        let cases: [(&str, Spoil); 9] = [
            ("spot", |o| o.spot = f64::NAN),
            ("spot", |o| o.spot = 0.0),
            ("strike", |o| o.strike = -1.0),
            ("years", |o| o.years = -1e-9),
            ("years", |o| o.years = f64::INFINITY),
            ("rate", |o| o.rate = f64::NAN),
            ("dividend_yield", |o| o.dividend_yield = f64::NEG_INFINITY),
            ("vol", |o| o.vol = -0.1),
            ("vol", |o| o.vol = f64::NAN),
        ];
        for (i, (field, spoil)) in cases.into_iter().enumerate() {
            let mut o = atm();
            spoil(&mut o);
            for err in [o.greeks().unwrap_err(), o.price().unwrap_err()] {
                match err {
                    PricingError::Input(e) => assert_eq!(e.field, field, "case {i}"),
                    other => panic!("case {i}: {other}"),
                }
            }
        }
    }

    #[test]
    fn overflow_is_an_error_not_a_number() {
        let o = Bsm {
            rate: -1e300,
            ..atm()
        };
        assert_eq!(
            o.greeks().unwrap_err(),
            PricingError::NotFinite { model: MODEL_BSM }
        );
        let f = Black76 {
            right: OptionRight::Put,
            forward: 100.0,
            strike: 100.0,
            years: 1e300,
            rate: 0.0,
            vol: 1e300,
        };
        assert!(matches!(f.greeks(), Err(PricingError::NotFinite { .. })));
        assert!(matches!(f.price(), Err(PricingError::NotFinite { .. })));
        // With no time value the answer would be a discounted forward; an
        // infinite discount factor must not turn into a price of zero.
        let deterministic = Bsm {
            vol: 0.0,
            rate: -1e300,
            dividend_yield: -1e300,
            ..atm()
        };
        assert!(matches!(
            deterministic.greeks(),
            Err(PricingError::NotFinite { .. })
        ));
        assert!(matches!(
            deterministic.price(),
            Err(PricingError::NotFinite { .. })
        ));
    }

    #[test]
    fn zero_vol_is_the_deterministic_forward_value() {
        let o = Bsm {
            vol: 0.0,
            dividend_yield: 0.02,
            ..atm()
        };
        let g = o.greeks().unwrap();
        let (dq, dr) = ((-0.02f64).exp(), (-0.05f64).exp());
        assert_eq!(g.price, 100.0 * dq - 100.0 * dr);
        assert_eq!(g.delta, dq);
        assert_eq!((g.gamma, g.vega), (0.0, 0.0));
        assert_eq!(g.theta, 0.02 * 100.0 * dq - 0.05 * 100.0 * dr);
        assert_eq!(g.rho, 100.0 * dr);
        let put = Bsm {
            right: OptionRight::Put,
            ..o
        };
        assert_eq!(put.greeks().unwrap(), Greeks::default());
        assert_eq!(o.price().unwrap(), g.price);
    }

    #[test]
    fn price_matches_greeks_price() {
        for right in [OptionRight::Call, OptionRight::Put] {
            let o = Bsm { right, ..atm() };
            assert_eq!(o.price().unwrap(), o.greeks().unwrap().price);
            let f = Black76 {
                right,
                forward: 101.0,
                strike: 95.0,
                years: 0.3,
                rate: 0.04,
                vol: 0.3,
            };
            assert_eq!(f.price().unwrap(), f.greeks().unwrap().price);
        }
    }
}
