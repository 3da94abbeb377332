//! What an options backtest records beyond the account ledgers: one row per
//! structure position, the exit-rule journal, refused entries and the
//! portfolio's Greeks over time.

use jiff::civil::Date;
use serde::Serialize;
use trade_core::{Money, Price, Timestamp};
use trade_options::exits::ExitRecord;

/// One leg of a recorded position.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegRecord {
    /// OCC symbol (padded OSI form).
    pub symbol: String,
    /// Contracts of this leg per structure; long `+`, short `-`.
    pub ratio: i32,
    /// Opening fill price.
    pub entry_price: Price,
    /// Closing fill price (or settlement price), once closed.
    pub exit_price: Option<Price>,
    /// How the leg ended: `closed`, `expired`, `cash_settled`,
    /// `exercised`, `assigned`, `rolled_back`.
    pub exit_kind: Option<String>,
}

/// One structure position from entry to exit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositionRecord {
    /// Position id (1, 2, ... in entry order).
    pub id: u64,
    /// Strategy instance name.
    pub strategy: String,
    /// Underlying symbol.
    pub underlying: String,
    /// `iron_condor`, `bull_put`, ...
    pub structure: String,
    /// Structures (each leg trades `ratio x contracts`).
    pub contracts: u64,
    /// Entry fill time.
    pub opened: Timestamp,
    /// Exit time.
    pub closed: Option<Timestamp>,
    /// Nearest expiry.
    pub expiry: Date,
    /// Calendar days to expiry at entry.
    pub dte_at_entry: i32,
    /// The criteria's DTE bucket (`0dte`, `1dte`, `14+dte`).
    pub bucket: String,
    /// Net combo price per unit at entry (negative = credit received).
    pub entry_net: Price,
    /// Net combo price per unit to close (positive = debit paid), when
    /// closed by an order.
    pub exit_net: Option<Price>,
    /// Maximum profit at expiry, whole position.
    pub max_profit: Option<Money>,
    /// Maximum loss at expiry, whole position, as a positive amount.
    pub max_loss: Option<Money>,
    /// Realized P&L net of commissions, once closed.
    pub pnl: Option<Money>,
    /// Commissions paid on the position's legs.
    pub commissions: Money,
    /// The rule that closed it (`take_profit`, ..., or `expiry`).
    pub exit_rule: Option<String>,
    /// Its reason, with the numbers.
    pub exit_reason: Option<String>,
    /// Delta-hedge trades in the underlying (rule 6 with `adjust`); their
    /// P&L and commissions are in `pnl` and `commissions`.
    pub hedge_trades: u32,
    /// Whether the entry quotes were real or modelled.
    pub quotes: String,
    /// The legs.
    pub legs: Vec<LegRecord>,
}

/// An entry that was considered and not taken.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryRefusalRecord {
    /// When.
    pub ts: Timestamp,
    /// Which check refused it: `criteria`, `build`, `greeks_limits`,
    /// `buying_power`, `no_fill`, `rolled_back` (legging: a leg could not
    /// trade and the others were closed again).
    pub check: String,
    /// The reason with the numbers.
    pub reason: String,
}

/// The portfolio's option Greeks at one instant (whole positions, dollars
/// per unit move: delta in shares, gamma in shares per $1, vega per vol
/// point, theta per calendar day).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GreeksRow {
    /// Instant.
    pub ts: Timestamp,
    /// Underlying price.
    pub underlying: Price,
    /// Share-equivalent delta.
    pub delta: f64,
    /// Share-equivalent gamma.
    pub gamma: f64,
    /// Dollars per vol point.
    pub vega: f64,
    /// Dollars per calendar day.
    pub theta: f64,
    /// Open structures.
    pub open_positions: u32,
    /// Sum of the open structures' maximum losses.
    pub loss_at_risk: Money,
}

/// Counts of the quotes a run traded and marked at, by source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct QuoteUse {
    /// Snapshots seen.
    pub snapshots: u64,
    /// Real quotes in them.
    pub real: u64,
    /// Modelled quotes in them.
    pub modelled: u64,
    /// Leg marks that had no quote (last mark kept).
    pub stale_marks: u64,
}

/// Everything the options desk recorded.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OptionsLedger {
    /// Structure positions, in entry order.
    pub positions: Vec<PositionRecord>,
    /// Exit rules that fired.
    pub decisions: Vec<ExitRecord>,
    /// Entries not taken.
    pub refusals: Vec<EntryRefusalRecord>,
    /// Greeks after each update.
    pub greeks: Vec<GreeksRow>,
    /// Where the prices came from.
    pub quotes: QuoteUse,
    /// What supplied the chains (`synthetic (VIX-driven surface)`, a file).
    pub chain_source: String,
}
