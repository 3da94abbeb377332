//! Expiration: at the close of its last trading day an option either
//! expires worthless or is exercised/assigned against its settlement price.
//!
//! OCC exercises every equity option in the money by at least $0.01 unless
//! told otherwise ("exercise by exception"); index options settle in cash.
//! The bookings mirror IB's statements:
//! - out of the money: the position closes at 0.00 ("expired");
//! - cash-settled, in the money: the position closes at its intrinsic value
//!   (`max(S - K, 0)` for a call), paid in cash ("cash_settled");
//! - physically settled, in the money: the option closes at 0.00 and the
//!   underlying changes hands at the strike: a long call or a short put
//!   buys `multiplier x contracts` shares at K, a long put or a short call
//!   sells them ("exercised" for the holder, "assigned" for the writer).
//!
//! Equity is continuous through settlement: just before, the option is
//! marked at its intrinsic value; just after, the cash or the shares carry
//! the same value.

use trade_core::{InstrumentId, OptionRight, OptionTerms, Price, Qty, Settlement, Side};

/// The underlying's price that decides moneyness at expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettlementPrice(pub Price);

/// What settlement did to a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryKind {
    /// Out of the money: closed at zero.
    Expired,
    /// In the money and cash-settled: closed at intrinsic value.
    CashSettled,
    /// A long option exercised into the underlying.
    Exercised,
    /// A short option assigned.
    Assigned,
}

impl ExpiryKind {
    /// The ledger tag of the bookings.
    pub fn tag(self) -> &'static str {
        match self {
            ExpiryKind::Expired => "expired",
            ExpiryKind::CashSettled => "cash_settled",
            ExpiryKind::Exercised => "exercised",
            ExpiryKind::Assigned => "assigned",
        }
    }
}

/// One booking that settlement produces (commission-free).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryAction {
    /// Why.
    pub kind: ExpiryKind,
    /// The instrument booked: the option, or the underlying for delivery.
    pub instrument: InstrumentId,
    /// Direction of the booking.
    pub side: Side,
    /// Units (contracts for the option, shares for delivery).
    pub qty: Qty,
    /// Booking price.
    pub price: Price,
}

/// The smallest in-the-money amount OCC exercises automatically.
const AUTO_EXERCISE: Price = Price::from_cents(1);

/// The bookings that settle an option position of `qty` contracts (signed:
/// long positive) with the given terms and multiplier, against the
/// underlying's settlement price. `underlying` is the instrument shares are
/// delivered in (ignored for cash settlement). Empty for a flat position.
pub fn settle_expiring(
    option: InstrumentId,
    terms: &OptionTerms,
    multiplier: u32,
    qty: i64,
    underlying: InstrumentId,
    settlement: SettlementPrice,
) -> Vec<ExpiryAction> {
    if qty == 0 {
        return Vec::new();
    }
    let s = settlement.0.raw();
    let k = terms.strike.raw();
    let intrinsic = Price::from_raw(match terms.right {
        OptionRight::Call => (s - k).max(0),
        OptionRight::Put => (k - s).max(0),
    });
    let contracts = Qty::new(qty.unsigned_abs());
    // Closing the option: sell a long, buy back a short.
    let close_side = if qty > 0 { Side::Sell } else { Side::Buy };
    let close = |kind, price| ExpiryAction {
        kind,
        instrument: option,
        side: close_side,
        qty: contracts,
        price,
    };
    if intrinsic < AUTO_EXERCISE {
        return vec![close(ExpiryKind::Expired, Price::ZERO)];
    }
    match terms.settlement {
        Settlement::Cash => vec![close(ExpiryKind::CashSettled, intrinsic)],
        Settlement::Physical => {
            let kind = if qty > 0 {
                ExpiryKind::Exercised
            } else {
                ExpiryKind::Assigned
            };
            // Long call / short put end up buying the shares.
            let buys = matches!(
                (terms.right, qty > 0),
                (OptionRight::Call, true) | (OptionRight::Put, false)
            );
            vec![
                close(kind, Price::ZERO),
                ExpiryAction {
                    kind,
                    instrument: underlying,
                    side: if buys { Side::Buy } else { Side::Sell },
                    qty: Qty::new(contracts.get() * u64::from(multiplier)),
                    price: terms.strike,
                },
            ]
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;
    use trade_core::{ExerciseStyle, Fill, Money, Portfolio, Symbol, Timestamp};

    use super::*;

    fn terms(right: OptionRight, strike: &str, settlement: Settlement) -> OptionTerms {
        OptionTerms {
            underlying: Symbol::new("SPY").expect("symbol"),
            expiry: date(2025, 9, 19),
            strike: strike.parse().expect("strike"),
            right,
            style: ExerciseStyle::American,
            settlement,
        }
    }

    fn px(s: &str) -> Price {
        s.parse().expect("price")
    }

    const OPT: InstrumentId = InstrumentId(1);
    const UND: InstrumentId = InstrumentId(0);

    #[test]
    fn out_of_the_money_and_below_a_cent_expire_at_zero() {
        let t = terms(OptionRight::Call, "560", Settlement::Physical);
        for s in ["550", "560", "560.009"] {
            let a = settle_expiring(OPT, &t, 100, -3, UND, SettlementPrice(px(s)));
            assert_eq!(a.len(), 1, "{s}");
            assert_eq!(a[0].kind, ExpiryKind::Expired);
            assert_eq!(
                (a[0].side, a[0].qty, a[0].price),
                (Side::Buy, Qty::new(3), Price::ZERO)
            );
        }
    }

    #[test]
    fn cash_settled_index_option_pays_intrinsic() {
        let t = terms(OptionRight::Put, "5000", Settlement::Cash);
        let a = settle_expiring(OPT, &t, 100, 2, UND, SettlementPrice(px("4987.35")));
        assert_eq!(
            a,
            vec![ExpiryAction {
                kind: ExpiryKind::CashSettled,
                instrument: OPT,
                side: Side::Sell,
                qty: Qty::new(2),
                price: px("12.65"),
            }]
        );
    }

    #[test]
    fn physical_settlement_delivers_shares_at_the_strike() {
        // A short 540 put assigned with SPY at 531.20: buy 100 shares at 540.
        let t = terms(OptionRight::Put, "540", Settlement::Physical);
        let a = settle_expiring(OPT, &t, 100, -1, UND, SettlementPrice(px("531.20")));
        assert_eq!(a.len(), 2);
        assert_eq!(
            (a[0].kind, a[0].side, a[0].price),
            (ExpiryKind::Assigned, Side::Buy, Price::ZERO)
        );
        assert_eq!(
            (a[1].instrument, a[1].side, a[1].qty, a[1].price),
            (UND, Side::Buy, Qty::new(100), px("540"))
        );
        // A long call exercised buys; a long put sells; a short call sells.
        let side_of = |right, qty| {
            settle_expiring(
                OPT,
                &terms(right, "500", Settlement::Physical),
                100,
                qty,
                UND,
                SettlementPrice(if right == OptionRight::Call {
                    px("510")
                } else {
                    px("490")
                }),
            )[1]
            .side
        };
        assert_eq!(side_of(OptionRight::Call, 1), Side::Buy);
        assert_eq!(side_of(OptionRight::Put, 1), Side::Sell);
        assert_eq!(side_of(OptionRight::Call, -1), Side::Sell);
    }

    /// Equity just before settlement (option marked at intrinsic) equals
    /// equity just after, for every right, sign and settlement style.
    #[test]
    fn equity_is_continuous_through_settlement() {
        for right in [OptionRight::Call, OptionRight::Put] {
            for settlement in [Settlement::Cash, Settlement::Physical] {
                for qty in [-2i64, 3] {
                    for s in ["480", "500", "517.43"] {
                        let t = terms(right, "500", settlement);
                        let spot = px(s);
                        let mut pf = Portfolio::new(Money::from_dollars(100_000), &[1, 100]);
                        let open = Fill {
                            order_id: trade_core::ClientOrderId(1),
                            instrument: OPT,
                            side: if qty > 0 { Side::Buy } else { Side::Sell },
                            qty: Qty::new(qty.unsigned_abs()),
                            price: px("4.10"),
                            commission: Money::ZERO,
                            ts: Timestamp::from_secs(0),
                        };
                        pf.apply_fill(&open);
                        let intrinsic = match right {
                            OptionRight::Call => (spot.raw() - t.strike.raw()).max(0),
                            OptionRight::Put => (t.strike.raw() - spot.raw()).max(0),
                        };
                        pf.mark(UND, spot);
                        pf.mark(OPT, Price::from_raw(intrinsic));
                        let before = pf.equity();
                        for a in settle_expiring(OPT, &t, 100, qty, UND, SettlementPrice(spot)) {
                            pf.apply_fill(&Fill {
                                order_id: trade_core::ClientOrderId(2),
                                instrument: a.instrument,
                                side: a.side,
                                qty: a.qty,
                                price: a.price,
                                commission: Money::ZERO,
                                ts: Timestamp::from_secs(1),
                            });
                        }
                        assert!(pf.position(OPT).is_flat());
                        assert_eq!(pf.equity(), before, "{right:?} {settlement:?} {qty} at {s}");
                    }
                }
            }
        }
    }
}
