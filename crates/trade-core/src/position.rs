//! [`Position`]: a signed holding of one instrument with its exact cost
//! basis and realized P&L (average-cost method).

use serde::{Deserialize, Serialize};

use crate::{InstrumentId, Money, Price, Qty, Side};

/// A signed holding of one instrument.
///
/// `cost_basis` is the signed notional paid for the units still held
/// (negative for a short: it is the credit received). Reducing a position
/// removes a pro-rata share of the cost basis, rounded at 10^-8; whatever
/// rounding happens stays inside `cost_basis`, so `realized +
/// (market_value - cost_basis)` always equals the exact total P&L.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The instrument.
    pub instrument: InstrumentId,
    /// Signed units: positive long, negative short.
    pub qty: i64,
    /// Signed notional of the units held.
    pub cost_basis: Money,
    /// Realized P&L of closed units, before commissions.
    pub realized: Money,
    /// Contract multiplier (copied from the instrument).
    pub multiplier: u32,
}

impl Position {
    /// A flat position.
    pub const fn flat(instrument: InstrumentId, multiplier: u32) -> Self {
        Position {
            instrument,
            qty: 0,
            cost_basis: Money::ZERO,
            realized: Money::ZERO,
            multiplier,
        }
    }

    /// Whether nothing is held.
    pub const fn is_flat(&self) -> bool {
        self.qty == 0
    }

    /// Applies an execution and returns the P&L it realized.
    ///
    /// # Panics
    /// On overflow beyond ±9.2e10 dollars.
    pub fn apply(&mut self, side: Side, qty: Qty, price: Price) -> Money {
        let q = qty.signed() * side.sign();
        if q == 0 {
            return Money::ZERO;
        }
        let notional = |units: i64| {
            let v = i128::from(price.raw()) * i128::from(units) * i128::from(self.multiplier);
            Money::from_raw(i64::try_from(v).expect("position notional overflow"))
        };
        if self.qty == 0 || self.qty.signum() == q.signum() {
            self.cost_basis += notional(q);
            self.qty += q;
            return Money::ZERO;
        }
        let closing = q.abs().min(self.qty.abs());
        let removed = self.cost_basis.mul_div(closing, self.qty.abs());
        let realized = notional(closing * self.qty.signum()) - removed;
        self.cost_basis -= removed;
        self.qty += closing * q.signum();
        let opening = q.abs() - closing;
        if self.qty == 0 {
            // Rounding residue of a fully closed position belongs to its P&L.
            let residue = self.cost_basis;
            self.cost_basis = Money::ZERO;
            let realized = realized - residue;
            self.realized += realized;
            if opening > 0 {
                self.cost_basis = notional(opening * q.signum());
                self.qty = opening * q.signum();
            }
            return realized;
        }
        self.realized += realized;
        realized
    }

    /// Signed market value at `mark`.
    #[inline]
    pub fn market_value(&self, mark: Price) -> Money {
        // Marking runs once per bar: when `qty × multiplier` fits in an
        // i64 (always, for real holdings) the product with the price is a
        // single widening 64 × 64 → 128 multiplication; the exact i128
        // product otherwise. Both give the same value.
        let v = match self.qty.checked_mul(i64::from(self.multiplier)) {
            Some(units) => i128::from(mark.raw()) * i128::from(units),
            None => i128::from(mark.raw()) * i128::from(self.qty) * i128::from(self.multiplier),
        };
        Money::from_raw(i64::try_from(v).expect("market value overflow"))
    }

    /// Unrealized P&L at `mark`.
    pub fn unrealized(&self, mark: Price) -> Money {
        self.market_value(mark) - self.cost_basis
    }

    /// Average entry price per unit, for display.
    pub fn avg_price(&self) -> Option<f64> {
        (self.qty != 0)
            .then(|| self.cost_basis.to_f64() / (self.qty as f64 * f64::from(self.multiplier)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }

    #[test]
    fn long_round_trip_worked_example() {
        // Buy 100 @ 10.00, buy 100 @ 12.00 (avg 11.00), sell 150 @ 13.00
        // realizes 150 * (13 - 11) = 300; 50 left with cost 550.
        let mut pos = Position::flat(InstrumentId(0), 1);
        assert_eq!(pos.apply(Side::Buy, Qty::new(100), p("10")), Money::ZERO);
        pos.apply(Side::Buy, Qty::new(100), p("12"));
        assert_eq!(
            pos.apply(Side::Sell, Qty::new(150), p("13")),
            Money::from_dollars(300)
        );
        assert_eq!(pos.qty, 50);
        assert_eq!(pos.cost_basis, Money::from_dollars(550));
        assert_eq!(pos.unrealized(p("12")), Money::from_dollars(50));
    }

    #[test]
    fn short_and_flip() {
        // Short 10 @ 100, cover 15 @ 90: realizes +100 and flips long 5 @ 90.
        let mut pos = Position::flat(InstrumentId(0), 1);
        pos.apply(Side::Sell, Qty::new(10), p("100"));
        assert_eq!(pos.cost_basis, Money::from_dollars(-1000));
        assert_eq!(
            pos.apply(Side::Buy, Qty::new(15), p("90")),
            Money::from_dollars(100)
        );
        assert_eq!(pos.qty, 5);
        assert_eq!(pos.cost_basis, Money::from_dollars(450));
    }

    #[test]
    fn option_multiplier() {
        // Sell 2 contracts @ 1.25 (credit 250), buy back @ 0.40: +170.
        let mut pos = Position::flat(InstrumentId(0), 100);
        pos.apply(Side::Sell, Qty::new(2), p("1.25"));
        assert_eq!(
            pos.apply(Side::Buy, Qty::new(2), p("0.40")),
            Money::from_dollars(170)
        );
        assert!(pos.is_flat());
    }

    proptest::proptest! {
        /// Invariant: whatever the sequence of executions, realized P&L plus
        /// unrealized P&L at a mark equals the cash-flow P&L
        /// (-(sum of signed notionals) + market value), to the 10^-8 unit.
        #[test]
        fn pnl_identity(
            trades in proptest::collection::vec((proptest::bool::ANY, 1u64..500, 1i64..100_000), 1..40),
            mark_c in 1i64..100_000,
        ) {
            let mut pos = Position::flat(InstrumentId(0), 1);
            let mut cash = Money::ZERO;
            let mut realized = Money::ZERO;
            for (buy, qty, cents) in trades {
                let side = if buy { Side::Buy } else { Side::Sell };
                let price = Price::from_cents(cents);
                cash -= Money::notional(price, Qty::new(qty), 1) .mul_div(side.sign(), 1);
                realized += pos.apply(side, Qty::new(qty), price);
            }
            let mark = Price::from_cents(mark_c);
            proptest::prop_assert_eq!(realized, pos.realized);
            proptest::prop_assert_eq!(realized + pos.unrealized(mark), cash + pos.market_value(mark));
            if pos.qty == 0 {
                proptest::prop_assert_eq!(pos.cost_basis, Money::ZERO);
            }
        }
    }
}
