//! The simulated account: cash, positions at average cost, realized P&L,
//! and the account-summary values IB reports (Reg T margin).

use std::collections::BTreeMap;

/// One position.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Holding {
    /// Signed quantity (shares or contracts).
    pub quantity: f64,
    /// Average cost per share / per contract (price × multiplier), with
    /// commissions included as IB does.
    pub avg_cost: f64,
}

/// Cash and holdings keyed by contract id.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// Account code.
    pub code: String,
    /// Cash balance.
    pub cash: f64,
    /// Holdings by contract id.
    pub holdings: BTreeMap<i32, Holding>,
    /// Realized P&L since start.
    pub realized: f64,
}

impl Account {
    /// A cash-only account.
    pub fn new(code: &str, cash: f64) -> Self {
        Account {
            code: code.to_owned(),
            cash,
            holdings: BTreeMap::new(),
            realized: 0.0,
        }
    }

    /// Books one execution; returns the realized P&L of the part that
    /// reduced an existing position (`None` when it only opened or added).
    pub fn apply_fill(
        &mut self,
        con_id: i32,
        signed_qty: f64,
        price: f64,
        multiplier: f64,
        commission: f64,
    ) -> Option<f64> {
        self.cash -= signed_qty * price * multiplier + commission;
        let h = self.holdings.entry(con_id).or_default();
        let unit_cost = price * multiplier;
        let mut realized = None;
        if h.quantity == 0.0 || h.quantity.signum() == signed_qty.signum() {
            let new_qty = h.quantity + signed_qty;
            // Commission raises a long's cost and lowers a short's proceeds.
            let total = h.avg_cost * h.quantity.abs()
                + unit_cost * signed_qty.abs()
                + commission * signed_qty.signum();
            h.avg_cost = if new_qty != 0.0 {
                total / new_qty.abs()
            } else {
                0.0
            };
            h.quantity = new_qty;
        } else {
            let closing = signed_qty.abs().min(h.quantity.abs());
            let pnl = (unit_cost - h.avg_cost) * closing * h.quantity.signum() - commission;
            realized = Some(pnl);
            self.realized += pnl;
            let opening = signed_qty.abs() - closing;
            h.quantity += signed_qty;
            if h.quantity.abs() < 1e-9 {
                h.quantity = 0.0;
                h.avg_cost = 0.0;
            } else if opening > 0.0 {
                // Crossed through zero: the remainder opens at this price.
                h.avg_cost = unit_cost;
            }
        }
        if h.quantity == 0.0 {
            self.holdings.remove(&con_id);
        }
        realized
    }
}

/// Reg T figures for the account summary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Cash plus market value of holdings.
    pub net_liquidation: f64,
    /// Cash.
    pub total_cash: f64,
    /// Sum of |market value|.
    pub gross_position_value: f64,
    /// Initial margin.
    pub init_margin: f64,
    /// Maintenance margin.
    pub maint_margin: f64,
    /// Net liquidation less initial margin.
    pub available_funds: f64,
    /// Net liquidation less maintenance margin.
    pub excess_liquidity: f64,
    /// 4 × available funds (IB's margin-account definition).
    pub buying_power: f64,
    /// Unrealized P&L.
    pub unrealized: f64,
    /// Realized P&L.
    pub realized: f64,
}

/// A holding valued for the summary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Valued {
    /// Holding.
    pub holding: Holding,
    /// Mark price (per share / per contract before multiplier).
    pub mark: f64,
    /// Multiplier.
    pub multiplier: f64,
    /// True for options.
    pub is_option: bool,
    /// Underlying price (options: short margin uses it).
    pub underlying: f64,
}

/// Account summary under Reg T: stocks 50 % initial / 25 % maintenance;
/// long options paid in full; short options premium + 20 % of the
/// underlying.
pub fn summarize(account: &Account, valued: &[Valued]) -> Summary {
    let (mut mv, mut gross, mut init, mut maint, mut unreal) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for v in valued {
        let value = v.holding.quantity * v.mark * v.multiplier;
        mv += value;
        gross += value.abs();
        unreal += value - v.holding.avg_cost * v.holding.quantity;
        if v.is_option {
            if v.holding.quantity < 0.0 {
                let m = value.abs() + 0.2 * v.underlying * v.multiplier * v.holding.quantity.abs();
                init += m;
                maint += m;
            }
        } else {
            init += 0.5 * value.abs();
            maint += 0.25 * value.abs();
        }
    }
    let nl = account.cash + mv;
    let available = nl - init;
    Summary {
        net_liquidation: nl,
        total_cash: account.cash,
        gross_position_value: gross,
        init_margin: init,
        maint_margin: maint,
        available_funds: available,
        excess_liquidity: nl - maint,
        buying_power: (4.0 * available).max(0.0),
        unrealized: unreal,
        realized: account.realized,
    }
}

impl Summary {
    /// The value of an IB account-summary tag, if the simulator models it.
    pub fn tag(&self, tag: &str, account_type: &str) -> Option<String> {
        let f = |x: f64| format!("{x:.2}");
        Some(match tag {
            "AccountType" => account_type.to_owned(),
            "NetLiquidation"
            | "EquityWithLoanValue"
            | "PreviousDayEquityWithLoanValue"
            | "RegTEquity" => f(self.net_liquidation),
            "TotalCashValue" | "SettledCash" => f(self.total_cash),
            "AccruedCash" => f(0.0),
            "BuyingPower" => f(self.buying_power),
            "GrossPositionValue" => f(self.gross_position_value),
            "InitMarginReq" | "FullInitMarginReq" | "RegTMargin" => f(self.init_margin),
            "MaintMarginReq" | "FullMaintMarginReq" => f(self.maint_margin),
            "AvailableFunds" | "FullAvailableFunds" => f(self.available_funds),
            "ExcessLiquidity" | "FullExcessLiquidity" => f(self.excess_liquidity),
            "Cushion" => format!(
                "{:.6}",
                if self.net_liquidation != 0.0 {
                    self.excess_liquidity / self.net_liquidation
                } else {
                    0.0
                }
            ),
            "UnrealizedPnL" => f(self.unrealized),
            "RealizedPnL" => f(self.realized),
            _ => return None,
        })
    }
}

/// Every tag [`Summary::tag`] answers, in IB's documented order.
pub const ALL_TAGS: &[&str] = &[
    "AccountType",
    "NetLiquidation",
    "TotalCashValue",
    "SettledCash",
    "AccruedCash",
    "BuyingPower",
    "EquityWithLoanValue",
    "PreviousDayEquityWithLoanValue",
    "GrossPositionValue",
    "RegTEquity",
    "RegTMargin",
    "InitMarginReq",
    "MaintMarginReq",
    "AvailableFunds",
    "ExcessLiquidity",
    "Cushion",
    "FullInitMarginReq",
    "FullMaintMarginReq",
    "FullAvailableFunds",
    "FullExcessLiquidity",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_books_realized_pnl_net_of_commissions() {
        let mut a = Account::new("DU1", 100_000.0);
        assert_eq!(a.apply_fill(1, 100.0, 50.0, 1.0, 1.0), None);
        // avg cost includes the buy commission: (5000 + 1) / 100.
        assert!((a.holdings[&1].avg_cost - 50.01).abs() < 1e-12);
        let pnl = a.apply_fill(1, -100.0, 51.0, 1.0, 1.0).unwrap();
        // (51 - 50.01) * 100 - 1 = 98.
        assert!((pnl - 98.0).abs() < 1e-9);
        assert!(a.holdings.is_empty());
        // Cash: -5001 then +5099.
        assert!((a.cash - 100_098.0).abs() < 1e-9);
    }

    #[test]
    fn crossing_through_zero_opens_the_remainder_at_the_fill_price() {
        let mut a = Account::new("DU1", 0.0);
        a.apply_fill(7, 2.0, 3.0, 100.0, 0.0);
        let pnl = a.apply_fill(7, -5.0, 4.0, 100.0, 0.0).unwrap();
        assert!((pnl - 200.0).abs() < 1e-9);
        assert_eq!(
            a.holdings[&7],
            Holding {
                quantity: -3.0,
                avg_cost: 400.0
            }
        );
    }

    #[test]
    fn reg_t_summary() {
        let mut a = Account::new("DU1", 100_000.0);
        a.apply_fill(1, 100.0, 500.0, 1.0, 0.0);
        let s = summarize(
            &a,
            &[Valued {
                holding: a.holdings[&1],
                mark: 510.0,
                multiplier: 1.0,
                is_option: false,
                underlying: 510.0,
            }],
        );
        assert!((s.net_liquidation - 101_000.0).abs() < 1e-9);
        assert!((s.init_margin - 25_500.0).abs() < 1e-9);
        assert!((s.buying_power - 4.0 * (101_000.0 - 25_500.0)).abs() < 1e-9);
        assert!((s.unrealized - 1_000.0).abs() < 1e-9);
        assert_eq!(
            s.tag("NetLiquidation", "INDIVIDUAL").as_deref(),
            Some("101000.00")
        );
        assert_eq!(s.tag("NoSuchTag", "INDIVIDUAL"), None);
    }
}
