//! Orders as the simulated gateway holds them, the states IB reports, and
//! the matching rule: an order fills against the simulated top of book
//! when it is marketable (limit crossed, stop triggered, market order).

use crate::config::CommissionSchedule;
use crate::market::{Quote, cents};

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// BUY (executions report BOT).
    Buy,
    /// SELL or SSHORT (executions report SLD).
    Sell,
}

impl Side {
    /// +1 for buys, -1 for sells.
    pub fn sign(self) -> f64 {
        match self {
            Side::Buy => 1.0,
            Side::Sell => -1.0,
        }
    }

    /// The other side.
    pub fn flip(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }

    /// Execution side text.
    pub fn exec_text(self) -> &'static str {
        match self {
            Side::Buy => "BOT",
            Side::Sell => "SLD",
        }
    }

    /// Order action text.
    pub fn action_text(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }

    /// Parses an order or leg action.
    pub fn parse(s: &str) -> Option<Side> {
        match s.to_ascii_uppercase().as_str() {
            "BUY" => Some(Side::Buy),
            "SELL" | "SSHORT" | "SLONG" => Some(Side::Sell),
            _ => None,
        }
    }
}

/// Order types the matcher understands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OrderKind {
    /// Market.
    Market,
    /// Limit at a price (net debit for combos).
    Limit(f64),
    /// Stop: becomes a market order once the last trade reaches the stop.
    Stop(f64),
    /// Stop-limit: becomes a limit order once triggered.
    StopLimit {
        /// Trigger.
        stop: f64,
        /// Limit after triggering.
        limit: f64,
    },
}

impl OrderKind {
    /// IB order type text.
    pub fn type_text(&self) -> &'static str {
        match self {
            OrderKind::Market => "MKT",
            OrderKind::Limit(_) => "LMT",
            OrderKind::Stop(_) => "STP",
            OrderKind::StopLimit { .. } => "STP LMT",
        }
    }

    /// Limit price, if any.
    pub fn limit(&self) -> Option<f64> {
        match self {
            OrderKind::Limit(p) | OrderKind::StopLimit { limit: p, .. } => Some(*p),
            _ => None,
        }
    }

    /// Stop (aux) price, if any.
    pub fn stop(&self) -> Option<f64> {
        match self {
            OrderKind::Stop(p) | OrderKind::StopLimit { stop: p, .. } => Some(*p),
            _ => None,
        }
    }
}

/// The states IB reports in orderStatus/openOrder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Accepted but not yet working at the exchange (stops not triggered,
    /// children waiting for the parent).
    PreSubmitted,
    /// Working.
    Submitted,
    /// Cancel requested.
    PendingCancel,
    /// Fully filled.
    Filled,
    /// Cancelled.
    Cancelled,
    /// Rejected or deactivated.
    Inactive,
}

impl Status {
    /// Wire text.
    pub fn text(self) -> &'static str {
        match self {
            Status::PreSubmitted => "PreSubmitted",
            Status::Submitted => "Submitted",
            Status::PendingCancel => "PendingCancel",
            Status::Filled => "Filled",
            Status::Cancelled => "Cancelled",
            Status::Inactive => "Inactive",
        }
    }

    /// No further transitions.
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Filled | Status::Cancelled | Status::Inactive)
    }
}

/// One combo leg.
#[derive(Debug, Clone, PartialEq)]
pub struct Leg {
    /// Instrument index.
    pub instrument: usize,
    /// Contracts per combo unit.
    pub ratio: f64,
    /// Leg action when the combo is bought.
    pub side: Side,
}

/// What an order trades.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// One instrument.
    Single(usize),
    /// A BAG combo.
    Combo(Vec<Leg>),
}

/// An order in the simulated book.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOrder {
    /// API order id.
    pub order_id: i32,
    /// Owning API client.
    pub client_id: i32,
    /// Permanent id (survives sessions).
    pub perm_id: i64,
    /// Parent order id (0 = none).
    pub parent_id: i32,
    /// Account.
    pub account: String,
    /// Side.
    pub side: Side,
    /// Quantity ordered.
    pub quantity: f64,
    /// Type and prices.
    pub kind: OrderKind,
    /// Time in force text as sent.
    pub tif: String,
    /// Free-text reference echoed in executions.
    pub order_ref: String,
    /// All-or-none.
    pub all_or_none: bool,
    /// Whether the client transmitted it (untransmitted orders wait).
    pub transmit: bool,
    /// OCA group name.
    pub oca_group: String,
    /// What is traded.
    pub target: Target,
    /// The contract as echoed back (client's, completed with our fields).
    pub contract: crate::messages::Contract,
    /// Current state.
    pub status: Status,
    /// Stop triggered.
    pub triggered: bool,
    /// Filled so far.
    pub filled: f64,
    /// Average fill price.
    pub avg_fill_price: f64,
    /// Last fill price.
    pub last_fill_price: f64,
    /// Commission charged so far.
    pub commission: f64,
    /// Sim time of the terminal transition.
    pub completed_at: Option<i64>,
    /// Text IB puts in completedStatus / rejectReason.
    pub completed_status: String,
}

impl SimOrder {
    /// Unfilled quantity.
    pub fn remaining(&self) -> f64 {
        (self.quantity - self.filled).max(0.0)
    }

    /// Working orders are matched on every step.
    pub fn is_working(&self) -> bool {
        self.status == Status::Submitted || (self.status == Status::PreSubmitted && self.transmit)
    }
}

/// Decides whether a single-instrument order trades against `quote` and at
/// what price. `last` drives stop triggers. Returns (price, newly
/// triggered).
pub fn match_single(
    kind: OrderKind,
    side: Side,
    triggered: bool,
    quote: &Quote,
) -> (Option<f64>, bool) {
    let touch = match side {
        Side::Buy => quote.ask,
        Side::Sell => quote.bid,
    };
    let stop_hit = |stop: f64| match side {
        Side::Buy => quote.last >= stop,
        Side::Sell => quote.last <= stop,
    };
    let limit_ok = |limit: f64| match side {
        Side::Buy => touch <= limit + 1e-9,
        Side::Sell => touch >= limit - 1e-9,
    };
    match kind {
        OrderKind::Market => (Some(touch), false),
        OrderKind::Limit(l) => (limit_ok(l).then_some(touch), false),
        OrderKind::Stop(s) => {
            let fire = triggered || stop_hit(s);
            (fire.then_some(touch), fire && !triggered)
        }
        OrderKind::StopLimit { stop, limit } => {
            let fire = triggered || stop_hit(stop);
            (
                (fire && limit_ok(limit)).then_some(touch),
                fire && !triggered,
            )
        }
    }
}

/// Natural price of one combo unit for `side` given each leg's quote:
/// buying pays the ask of bought legs and receives the bid of sold legs.
/// Returns the net (positive = debit when buying) and per-leg prices.
pub fn combo_natural(legs: &[Leg], side: Side, quotes: &[Quote]) -> (f64, Vec<f64>) {
    let mut net = 0.0;
    let mut prices = Vec::with_capacity(legs.len());
    for (leg, q) in legs.iter().zip(quotes) {
        let leg_side = if side == Side::Buy {
            leg.side
        } else {
            leg.side.flip()
        };
        let px = if leg_side == Side::Buy { q.ask } else { q.bid };
        prices.push(px);
        net += leg.side.sign() * leg.ratio * px;
    }
    (cents(net), prices)
}

/// Whether a combo at natural price `net` satisfies the order.
pub fn combo_marketable(kind: OrderKind, side: Side, net: f64) -> bool {
    match kind {
        OrderKind::Market => true,
        // Combo limit prices are the net of the combo as bought: a buyer
        // pays at most the limit, a seller receives at least it.
        OrderKind::Limit(l) => match side {
            Side::Buy => net <= l + 1e-9,
            Side::Sell => net >= l - 1e-9,
        },
        _ => false,
    }
}

/// Commission of one execution under the fixed schedule. `first` applies
/// the per-order minimum (later partial fills of the same order pay only
/// the unit rate).
pub fn commission(
    schedule: &CommissionSchedule,
    is_option: bool,
    qty: f64,
    price: f64,
    multiplier: f64,
    first: bool,
) -> f64 {
    let raw = if is_option {
        let c = qty * schedule.per_contract;
        if first { c.max(schedule.option_min) } else { c }
    } else {
        let c = (qty * schedule.per_share).min(qty * price * multiplier * schedule.stock_max_pct);
        if first {
            c.max(
                schedule
                    .stock_min
                    .min(qty * price * schedule.stock_max_pct)
                    .max(0.0),
            )
        } else {
            c
        }
    };
    (raw * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(bid: f64, ask: f64, last: f64) -> Quote {
        Quote {
            bid,
            ask,
            last,
            bid_size: 100.0,
            ask_size: 100.0,
            last_size: 100.0,
        }
    }

    #[test]
    fn limit_orders_fill_at_the_touch_only_when_crossed() {
        let quote = q(99.99, 100.01, 100.0);
        assert_eq!(
            match_single(OrderKind::Limit(100.0), Side::Buy, false, &quote).0,
            None
        );
        assert_eq!(
            match_single(OrderKind::Limit(100.02), Side::Buy, false, &quote).0,
            Some(100.01)
        );
        assert_eq!(
            match_single(OrderKind::Limit(99.99), Side::Sell, false, &quote).0,
            Some(99.99)
        );
        assert_eq!(
            match_single(OrderKind::Market, Side::Sell, false, &quote).0,
            Some(99.99)
        );
    }

    #[test]
    fn stops_trigger_on_last_and_stay_triggered() {
        let quote = q(99.99, 100.01, 100.0);
        assert_eq!(
            match_single(OrderKind::Stop(100.5), Side::Buy, false, &quote),
            (None, false)
        );
        assert_eq!(
            match_single(OrderKind::Stop(100.0), Side::Buy, false, &quote),
            (Some(100.01), true)
        );
        assert_eq!(
            match_single(OrderKind::Stop(101.0), Side::Sell, false, &quote),
            (Some(99.99), true)
        );
        // Triggered stop-limit whose limit is no longer marketable rests.
        let sl = OrderKind::StopLimit {
            stop: 100.0,
            limit: 99.0,
        };
        assert_eq!(match_single(sl, Side::Buy, false, &quote), (None, true));
        assert_eq!(
            match_single(sl, Side::Buy, true, &q(98.98, 99.0, 99.0)),
            (Some(99.0), false)
        );
    }

    #[test]
    fn vertical_spread_natural_price() {
        // Buy 560C / sell 565C: pay 5.10 ask, receive 2.90 bid -> 2.20 debit.
        let legs = vec![
            Leg {
                instrument: 0,
                ratio: 1.0,
                side: Side::Buy,
            },
            Leg {
                instrument: 1,
                ratio: 1.0,
                side: Side::Sell,
            },
        ];
        let quotes = [q(5.0, 5.10, 5.05), q(2.90, 3.0, 2.95)];
        let (net, px) = combo_natural(&legs, Side::Buy, &quotes);
        assert_eq!((net, px), (2.2, vec![5.10, 2.90]));
        assert!(combo_marketable(OrderKind::Limit(2.2), Side::Buy, net));
        assert!(!combo_marketable(OrderKind::Limit(2.19), Side::Buy, net));
        // Selling the spread: receive 5.00 bid, pay 3.00 ask -> 2.00 credit.
        let (net, _) = combo_natural(&legs, Side::Sell, &quotes);
        assert_eq!(net, 2.0);
        assert!(combo_marketable(OrderKind::Limit(2.0), Side::Sell, net));
        assert!(!combo_marketable(OrderKind::Limit(2.05), Side::Sell, net));
    }

    #[test]
    fn fixed_commissions() {
        let s = CommissionSchedule::default();
        // 100 shares: 0.50 -> minimum 1.00.
        assert_eq!(commission(&s, false, 100.0, 560.0, 1.0, true), 1.0);
        // 1000 shares: 5.00.
        assert_eq!(commission(&s, false, 1000.0, 560.0, 1.0, true), 5.0);
        // 10 shares of a $0.50 stock: capped at 1% of 5.00 = 0.05.
        assert_eq!(commission(&s, false, 10.0, 0.5, 1.0, true), 0.05);
        // 3 option contracts: 1.95.
        assert_eq!(commission(&s, true, 3.0, 4.1, 100.0, true), 1.95);
        assert_eq!(commission(&s, true, 1.0, 4.1, 100.0, true), 1.0);
        assert_eq!(commission(&s, true, 1.0, 4.1, 100.0, false), 0.65);
    }
}
