//! The exit-rule engine: an ordered list of rules evaluated for one
//! structure position on every update; the first rule that fires wins and
//! yields a [`Decision`](crate::exits::Decision) (close, roll, adjust or hold) with an urgency and a
//! reason that names the numbers, plus an [`ExitRecord`](crate::exits::ExitRecord) for the journal.
//!
//! The twelve rules, each in its own file under `rules/`, each with its
//! parameters and an `enabled` switch in [`ExitConfig`](crate::exits::ExitConfig):
//!
//! | id | rule | fires when |
//! |----|------|------------|
//! | `catastrophe` | 1 | the underlying moved N sigma since entry, or went X beyond a short strike |
//! | `trailing_stop` | 2 | P&L fell a trail distance below its high after reaching the activation level and the minimum hold |
//! | `time_exit` | 3 | a time of day (New York) or N sessions before expiry |
//! | `take_profit` | 4 | P&L reached a fraction of the max profit |
//! | `stop_loss` | 5 | the loss reached a multiple of the credit (or a fraction of the debit) |
//! | `delta_risk` | 6 | a short leg's or the position's delta beyond its limit |
//! | `gamma_risk` | 7 | gamma P&L of a 1% move beyond its limit (tighter near expiry) |
//! | `iv_change` | 8 | implied vol up (expansion) or down (crush) a fraction since entry |
//! | `dte_roll` | 9 | sessions to expiry at or below a threshold and the roll conditions hold |
//! | `vix_exit` | 10 | VIX above a level or up a fraction since the open |
//! | `portfolio_limits` | 11 | the book breaches a limit and this position ranks among the riskiest |
//! | `expiry_protection` | 12 | 0DTE: minutes before the close, or a short strike pinned late in the day |
//!
//! The default order puts what protects capital first (catastrophe, expiry
//! protection, portfolio limits, VIX, stop loss, delta, gamma) before what
//! harvests profit (trailing stop, take profit, IV change) and the
//! calendar rules (DTE roll, time exit).
//!
//! Rules are pure: they read a [`PositionView`](crate::exits::PositionView) (marks, Greeks, underlying,
//! VIX, time, portfolio signal) and the position's [`ExitState`](crate::exits::ExitState); the
//! engine updates that state (the trailing stop's high-water mark) before
//! the rules run, so every rule sees the same state.

/// Configuration of the engine and of each rule.
mod config;
/// Decisions, actions, urgencies and journal records.
mod decision;
/// Distances that may scale with volatility.
mod distance;
/// The engine: ordered evaluation and journaling.
mod engine;
/// The identifiers of the twelve rules.
mod rule_id;
/// The twelve rules, one per file.
pub mod rules;
/// Per-position state kept between evaluations.
mod state;
/// The snapshot of one position the rules read.
mod view;

pub use config::{ExitConfig, PnlMark};
pub use decision::{Action, Adjustment, Decision, Evaluation, Evidence, ExitRecord, Urgency};
pub use distance::Distance;
pub use engine::ExitEngine;
pub use rule_id::RuleId;
pub use state::ExitState;
pub use view::{EntrySnapshot, LegMark, PositionView, ViewError};
