//! [`Portfolio`]: cash, positions and marks of one account, with exact
//! accounting of fills and commissions.

use serde::{Deserialize, Serialize};

use crate::{Fill, InstrumentId, Money, Position, Price, Timestamp};

/// Cash, positions and the latest marks of one account.
///
/// Invariants (checked by property tests):
/// - `cash == initial_cash - Σ signed fill notionals - Σ commissions`;
/// - `equity == cash + Σ position market values`;
/// - `equity == initial_cash + realized + unrealized - commissions`.
///
/// Instruments are addressed by their dense [`InstrumentId`]; the total
/// market value is kept up to date incrementally so marking one bar costs
/// O(1), not O(positions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Portfolio {
    initial_cash: Money,
    cash: Money,
    positions: Vec<Position>,
    marks: Vec<Price>,
    market_value: Money,
    gross_exposure: Money,
    commissions: Money,
    open_positions: usize,
}

impl Portfolio {
    /// A portfolio of `initial_cash` and one flat position per instrument,
    /// with the given contract multipliers (indexed by [`InstrumentId`]).
    pub fn new(initial_cash: Money, multipliers: &[u32]) -> Self {
        let positions = multipliers
            .iter()
            .enumerate()
            .map(|(i, &m)| Position::flat(InstrumentId(i as u32), m))
            .collect();
        Portfolio {
            initial_cash,
            cash: initial_cash,
            positions,
            marks: vec![Price::ZERO; multipliers.len()],
            market_value: Money::ZERO,
            gross_exposure: Money::ZERO,
            commissions: Money::ZERO,
            open_positions: 0,
        }
    }

    /// Adds a flat position for a newly listed instrument (an option
    /// contract first traded mid-run) and returns its id, the next dense
    /// index.
    pub fn add_instrument(&mut self, multiplier: u32) -> InstrumentId {
        let id = InstrumentId(self.positions.len() as u32);
        self.positions.push(Position::flat(id, multiplier));
        self.marks.push(Price::ZERO);
        id
    }

    /// Number of instruments the portfolio knows.
    pub fn instrument_count(&self) -> usize {
        self.positions.len()
    }

    /// Books an execution: cash, position, realized P&L and commission.
    /// Returns the realized P&L of the fill (before commission).
    ///
    /// # Panics
    /// If the fill names an instrument outside the table.
    pub fn apply_fill(&mut self, fill: &Fill) -> Money {
        let i = fill.instrument.index();
        let mark = self.marks[i];
        let pos = &mut self.positions[i];
        let was_open = !pos.is_flat();
        let old_mv = pos.market_value(mark);
        let notional = Money::notional(fill.price, fill.qty, pos.multiplier);
        match fill.side {
            crate::Side::Buy => self.cash -= notional,
            crate::Side::Sell => self.cash += notional,
        }
        self.cash -= fill.commission;
        self.commissions += fill.commission;
        let realized = pos.apply(fill.side, fill.qty, fill.price);
        let new_mv = pos.market_value(mark);
        self.market_value += new_mv - old_mv;
        self.gross_exposure += new_mv.abs() - old_mv.abs();
        match (was_open, pos.is_flat()) {
            (false, false) => self.open_positions += 1,
            (true, true) => self.open_positions -= 1,
            _ => {}
        }
        realized
    }

    /// Sets the mark (last price) of an instrument.
    #[inline]
    pub fn mark(&mut self, instrument: InstrumentId, price: Price) {
        let i = instrument.index();
        let pos = &self.positions[i];
        if pos.qty != 0 {
            let old_mv = pos.market_value(self.marks[i]);
            let new_mv = pos.market_value(price);
            self.market_value += new_mv - old_mv;
            self.gross_exposure += new_mv.abs() - old_mv.abs();
        }
        self.marks[i] = price;
    }

    /// Charges a commission reported apart from its execution (live and
    /// paper brokers send the commission report after the fill): the same
    /// cash and commission totals as if the fill had carried it.
    pub fn charge_commission(&mut self, commission: Money) {
        self.cash -= commission;
        self.commissions += commission;
    }

    /// Cash balance (negative when borrowing on margin).
    #[inline]
    pub fn cash(&self) -> Money {
        self.cash
    }

    /// Starting cash.
    pub fn initial_cash(&self) -> Money {
        self.initial_cash
    }

    /// Cash plus the signed market value of all positions.
    #[inline]
    pub fn equity(&self) -> Money {
        self.cash + self.market_value
    }

    /// Signed sum of market values (net exposure).
    #[inline]
    pub fn net_exposure(&self) -> Money {
        self.market_value
    }

    /// Sum of absolute market values.
    #[inline]
    pub fn gross_exposure(&self) -> Money {
        self.gross_exposure
    }

    /// Total commissions paid.
    pub fn commissions(&self) -> Money {
        self.commissions
    }

    /// Total realized P&L (before commissions).
    pub fn realized(&self) -> Money {
        self.positions.iter().map(|p| p.realized).sum()
    }

    /// Total unrealized P&L at the current marks.
    pub fn unrealized(&self) -> Money {
        self.positions
            .iter()
            .zip(&self.marks)
            .map(|(p, &m)| p.unrealized(m))
            .sum()
    }

    /// The position in one instrument.
    pub fn position(&self, instrument: InstrumentId) -> &Position {
        &self.positions[instrument.index()]
    }

    /// All positions, indexed by instrument.
    pub fn positions(&self) -> &[Position] {
        &self.positions
    }

    /// The last mark of an instrument (zero before its first bar).
    pub fn mark_of(&self, instrument: InstrumentId) -> Price {
        self.marks[instrument.index()]
    }

    /// Number of non-flat positions.
    pub fn open_positions(&self) -> usize {
        self.open_positions
    }

    /// A copy of the state at `ts`, for ledgers and observers.
    pub fn snapshot(&self, ts: Timestamp) -> PortfolioSnapshot {
        PortfolioSnapshot {
            ts,
            cash: self.cash,
            equity: self.equity(),
            net_exposure: self.market_value,
            gross_exposure: self.gross_exposure,
            realized: self.realized(),
            unrealized: self.unrealized(),
            commissions: self.commissions,
            positions: self
                .positions
                .iter()
                .filter(|p| !p.is_flat())
                .copied()
                .collect(),
        }
    }
}

/// The portfolio's state at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortfolioSnapshot {
    /// When.
    pub ts: Timestamp,
    /// Cash.
    pub cash: Money,
    /// Cash plus market value.
    pub equity: Money,
    /// Signed market value.
    pub net_exposure: Money,
    /// Absolute market value.
    pub gross_exposure: Money,
    /// Realized P&L so far.
    pub realized: Money,
    /// Unrealized P&L at the marks.
    pub unrealized: Money,
    /// Commissions so far.
    pub commissions: Money,
    /// Non-flat positions.
    pub positions: Vec<Position>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientOrderId, Qty, Side};

    proptest::proptest! {
        /// Invariants listed on [`Portfolio`], after any sequence of fills
        /// and marks over three instruments (one an option with multiplier
        /// 100, listed mid-run with `add_instrument` when first traded).
        #[test]
        fn accounting_identities(
            steps in proptest::collection::vec((0u32..3, proptest::bool::ANY, 1u64..300, 1i64..50_000, 0i64..500, 1i64..50_000), 1..60),
        ) {
            let init = Money::from_dollars(100_000);
            let mut pf = Portfolio::new(init, &[1, 1]);
            let mut flows = Money::ZERO;
            let mut comm = Money::ZERO;
            for (k, (inst, buy, qty, cents, comm_c, mark_c)) in steps.into_iter().enumerate() {
                let side = if buy { Side::Buy } else { Side::Sell };
                let fill = Fill {
                    order_id: ClientOrderId(k as u64),
                    instrument: InstrumentId(inst),
                    side,
                    qty: Qty::new(qty),
                    price: Price::from_cents(cents),
                    commission: Money::from_cents(comm_c),
                    ts: Timestamp::from_secs(k as i64),
                };
                if inst == 2 && pf.instrument_count() == 2 {
                    proptest::prop_assert_eq!(pf.add_instrument(100), InstrumentId(2));
                }
                let mult = if inst == 2 { 100 } else { 1 };
                flows -= Money::notional(fill.price, fill.qty, mult).mul_div(side.sign(), 1);
                comm += fill.commission;
                pf.apply_fill(&fill);
                pf.mark(InstrumentId(inst), Price::from_cents(mark_c));
            }
            if pf.instrument_count() == 2 {
                pf.add_instrument(100);
            }
            let mv: Money = (0..3).map(|i| pf.position(InstrumentId(i)).market_value(pf.mark_of(InstrumentId(i)))).sum();
            let gross: Money = (0..3).map(|i| pf.position(InstrumentId(i)).market_value(pf.mark_of(InstrumentId(i))).abs()).sum();
            proptest::prop_assert_eq!(pf.cash(), init + flows - comm);
            proptest::prop_assert_eq!(pf.commissions(), comm);
            proptest::prop_assert_eq!(pf.equity(), pf.cash() + mv);
            proptest::prop_assert_eq!(pf.gross_exposure(), gross);
            proptest::prop_assert_eq!(pf.equity(), init + pf.realized() + pf.unrealized() - comm);
            let open = (0..3).filter(|&i| !pf.position(InstrumentId(i)).is_flat()).count();
            proptest::prop_assert_eq!(pf.open_positions(), open);
        }
    }
}
