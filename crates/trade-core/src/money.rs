//! [`Money`]: an exact amount of US dollars.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::fixed::{self, ParseFixedError, SCALE};
use crate::{Price, Qty};

/// An exact amount of US dollars in raw 10^-8 units.
///
/// The platform trades US-listed instruments in one USD account, so the
/// currency is implied rather than carried (a second currency would arrive
/// with a `Currency` field and checked arithmetic between them; see
/// `docs/decisions.md`). Addition panics on overflow, which at ±9.2e10 dollars
/// is a programming error, not an input error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    /// Zero dollars.
    pub const ZERO: Money = Money(0);

    /// From raw 10^-8 dollars.
    pub const fn from_raw(raw: i64) -> Self {
        Money(raw)
    }

    /// Raw 10^-8 dollars.
    pub const fn raw(self) -> i64 {
        self.0
    }

    /// Whole dollars.
    pub const fn from_dollars(d: i64) -> Self {
        Money(d * SCALE)
    }

    /// Whole cents.
    pub const fn from_cents(c: i64) -> Self {
        Money(c * (SCALE / 100))
    }

    /// The notional of `qty` units at `price`, times the contract
    /// `multiplier` (1 for shares, 100 for US equity options).
    ///
    /// # Panics
    /// If the product exceeds ±9.2e10 dollars.
    #[inline]
    pub fn notional(price: Price, qty: Qty, multiplier: u32) -> Money {
        let v = i128::from(price.raw()) * i128::from(qty.get()) * i128::from(multiplier);
        Money(i64::try_from(v).expect("notional beyond 9.2e10 dollars"))
    }

    /// Lossy conversion for analytics and reports.
    #[inline]
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / SCALE as f64
    }

    /// Nearest amount to an `f64` (analytics only); `None` if not finite or out of range.
    pub fn from_f64(value: f64) -> Option<Self> {
        let raw = (value * SCALE as f64).round();
        if raw.is_finite() && raw.abs() < i64::MAX as f64 {
            Some(Money(raw as i64))
        } else {
            None
        }
    }

    /// Absolute value.
    #[inline]
    pub fn abs(self) -> Money {
        Money(self.0.abs())
    }

    /// Whether strictly below zero.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `self * num / den`, rounded half away from zero at 10^-8.
    ///
    /// # Panics
    /// If `den` is zero or the result overflows.
    pub fn mul_div(self, num: i64, den: i64) -> Money {
        assert!(den != 0, "Money::mul_div by zero");
        let v = fixed::div_round(i128::from(self.0) * i128::from(num), i128::from(den));
        Money(i64::try_from(v).expect("Money::mul_div overflow"))
    }

    /// Rounded to whole cents, half away from zero (how brokers round fees).
    pub fn round_cents(self) -> Money {
        let cent = SCALE / 100;
        Money(fixed::div_round(i128::from(self.0), i128::from(cent)) as i64 * cent)
    }

    /// The larger of the two.
    #[inline]
    pub fn max(self, other: Money) -> Money {
        Money(self.0.max(other.0))
    }

    /// The smaller of the two.
    #[inline]
    pub fn min(self, other: Money) -> Money {
        Money(self.0.min(other.0))
    }
}

impl Add for Money {
    type Output = Money;
    #[inline]
    fn add(self, rhs: Money) -> Money {
        Money(self.0.checked_add(rhs.0).expect("Money overflow"))
    }
}

impl Sub for Money {
    type Output = Money;
    #[inline]
    fn sub(self, rhs: Money) -> Money {
        Money(self.0.checked_sub(rhs.0).expect("Money overflow"))
    }
}

impl AddAssign for Money {
    #[inline]
    fn add_assign(&mut self, rhs: Money) {
        *self = *self + rhs;
    }
}

impl SubAssign for Money {
    #[inline]
    fn sub_assign(&mut self, rhs: Money) {
        *self = *self - rhs;
    }
}

impl Neg for Money {
    type Output = Money;
    #[inline]
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&fixed::format_raw(self.0, 2))
    }
}

impl FromStr for Money {
    type Err = ParseFixedError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        fixed::parse_raw(s).map(Money)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::serde_decimal::deserialize_raw(d).map(Money)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notional_with_multiplier() {
        let p: Price = "1.25".parse().unwrap();
        assert_eq!(
            Money::notional(p, Qty::new(3), 100),
            Money::from_dollars(375)
        );
        let p: Price = "412.37".parse().unwrap();
        assert_eq!(
            Money::notional(p, Qty::new(10), 1),
            "4123.70".parse().unwrap()
        );
    }

    #[test]
    fn cents_rounding_and_mul_div() {
        assert_eq!(
            "0.185".parse::<Money>().unwrap().round_cents(),
            Money::from_cents(19)
        );
        assert_eq!(
            "-0.185".parse::<Money>().unwrap().round_cents(),
            Money::from_cents(-19)
        );
        assert_eq!(Money::from_dollars(10).mul_div(1, 3).raw(), 333_333_333);
    }

    proptest::proptest! {
        #[test]
        fn sum_is_order_independent(mut xs in proptest::collection::vec(-1_000_000_000_000i64..1_000_000_000_000, 0..50)) {
            let a: Money = xs.iter().map(|&r| Money::from_raw(r)).sum();
            xs.reverse();
            let b: Money = xs.iter().map(|&r| Money::from_raw(r)).sum();
            proptest::prop_assert_eq!(a, b);
        }
    }
}
