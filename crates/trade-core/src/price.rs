//! [`Price`]: a per-unit price in 10^-8 dollars, and rounding to a tick.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::fixed::{self, ParseFixedError, SCALE};

/// A per-unit price (one share, one option contract *before* its
/// multiplier) in raw 10^-8 dollars. May be negative: a net credit of a
/// combo is a negative price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Price(i64);

/// How to bring a price onto the tick grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TickRounding {
    /// Nearest tick, halves away from zero.
    Nearest,
    /// Towards minus infinity (a buy limit never pays more than asked).
    Down,
    /// Towards plus infinity.
    Up,
}

impl Price {
    /// Zero.
    pub const ZERO: Price = Price(0);

    /// From raw 10^-8 units.
    pub const fn from_raw(raw: i64) -> Self {
        Price(raw)
    }

    /// Raw 10^-8 units.
    pub const fn raw(self) -> i64 {
        self.0
    }

    /// Whole cents, for literals in code and tests: `Price::from_cents(12345)` is 123.45.
    pub const fn from_cents(cents: i64) -> Self {
        Price(cents * (SCALE / 100))
    }

    /// Lossy conversion for analytics (indicators, Greeks). Never feed the
    /// result back into accounting.
    #[inline]
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / SCALE as f64
    }

    /// Nearest price to an `f64`, for analytics outputs such as a limit
    /// computed from a volatility band. `None` for NaN, infinities or values
    /// out of range.
    pub fn from_f64(value: f64) -> Option<Self> {
        let raw = (value * SCALE as f64).round();
        if raw.is_finite() && raw.abs() < i64::MAX as f64 {
            Some(Price(raw as i64))
        } else {
            None
        }
    }

    /// Whether the price is a whole multiple of `tick` (a zero tick means
    /// "no grid").
    pub fn is_on_tick(self, tick: Price) -> bool {
        tick.0 <= 0 || self.0 % tick.0 == 0
    }

    /// The price moved onto the tick grid.
    pub fn round_to_tick(self, tick: Price, mode: TickRounding) -> Price {
        if tick.0 <= 0 {
            return self;
        }
        let t = tick.0;
        let floor = self.0.div_euclid(t) * t;
        let rem = self.0 - floor;
        Price(match mode {
            TickRounding::Down => floor,
            TickRounding::Up if rem == 0 => floor,
            TickRounding::Up => floor + t,
            TickRounding::Nearest => {
                if rem * 2 > t || (rem * 2 == t && self.0 >= 0) {
                    floor + t
                } else {
                    floor
                }
            }
        })
    }

    /// `self + other`, `None` on overflow.
    pub fn checked_add(self, other: Price) -> Option<Price> {
        self.0.checked_add(other.0).map(Price)
    }

    /// `self - other`, `None` on overflow.
    pub fn checked_sub(self, other: Price) -> Option<Price> {
        self.0.checked_sub(other.0).map(Price)
    }

    /// Moves the price by `ppm` parts per million (1 basis point = 100
    /// ppm, so fractional basis points stay exact), rounding half away from
    /// zero at 10^-8.
    pub fn offset_ppm(self, ppm: i64) -> Price {
        let delta = fixed::div_round(i128::from(self.0) * i128::from(ppm), 1_000_000);
        Price(self.0 + delta as i64)
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&fixed::format_raw(self.0, 2))
    }
}

impl FromStr for Price {
    type Err = ParseFixedError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        fixed::parse_raw(s).map(Price)
    }
}

impl Serialize for Price {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Price {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::serde_decimal::deserialize_raw(d).map(Price)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_rounding_table() {
        let tick = Price::from_cents(1);
        // (input, mode, expected) in raw units; 1 cent = 1_000_000.
        let cases = [
            (1_234_000_000i64, TickRounding::Nearest, 1_234_000_000i64), // 12.34 stays
            (1_234_500_000, TickRounding::Nearest, 1_235_000_000), // 12.345 -> 12.35 (half up)
            (1_234_499_999, TickRounding::Nearest, 1_234_000_000),
            (1_234_500_000, TickRounding::Down, 1_234_000_000),
            (1_234_000_001, TickRounding::Up, 1_235_000_000),
            (-1_234_500_000, TickRounding::Nearest, -1_235_000_000), // half away from zero
            (-1_234_500_000, TickRounding::Down, -1_235_000_000),
            (-1_234_500_000, TickRounding::Up, -1_234_000_000),
        ];
        for (i, (raw, mode, want)) in cases.into_iter().enumerate() {
            let got = Price::from_raw(raw).round_to_tick(tick, mode);
            assert_eq!(got.raw(), want, "case {i}");
            assert!(got.is_on_tick(tick), "case {i}");
        }
    }

    #[test]
    fn parses_and_displays() {
        let p: Price = "123.4".parse().unwrap();
        assert_eq!(p, Price::from_cents(12_340));
        assert_eq!(p.to_string(), "123.40");
        assert_eq!(Price::from_raw(12_345_678_912).to_string(), "123.45678912");
    }

    #[test]
    fn ppm_offset() {
        let p = Price::from_cents(10_000); // 100.00
        assert_eq!(p.offset_ppm(500), "100.05".parse().unwrap()); // 5 bp
        assert_eq!(p.offset_ppm(-500), "99.95".parse().unwrap());
        assert_eq!(p.offset_ppm(50), "100.005".parse().unwrap()); // 0.5 bp
    }

    proptest::proptest! {
        #[test]
        fn rounding_lands_on_grid_within_one_tick(raw in -1_000_000_000_000i64..1_000_000_000_000, tick_c in 1i64..100) {
            let tick = Price::from_raw(tick_c * 500_000);
            for mode in [TickRounding::Nearest, TickRounding::Down, TickRounding::Up] {
                let r = Price::from_raw(raw).round_to_tick(tick, mode);
                proptest::prop_assert!(r.is_on_tick(tick));
                proptest::prop_assert!((r.raw() - raw).abs() < tick.raw());
                match mode {
                    TickRounding::Down => proptest::prop_assert!(r.raw() <= raw),
                    TickRounding::Up => proptest::prop_assert!(r.raw() >= raw),
                    TickRounding::Nearest => proptest::prop_assert!(2 * (r.raw() - raw).abs() <= tick.raw()),
                }
            }
        }
    }
}
