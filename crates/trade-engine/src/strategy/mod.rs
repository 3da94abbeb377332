//! The [`Strategy`] seam: callbacks that see the market and the account
//! only through a [`Context`] and answer with order intents. No wall clock,
//! no I/O, no globals, so the same code runs in backtest, paper and live.

pub mod builtin;
mod context;
mod params;
mod registry;

pub use context::Context;
pub use params::{ParamError, ParamKind, ParamSpec, ParamValue, Params};
pub use registry::{Registry, StrategyFactory, StrategyInfo};

use trade_core::{Bar, Fill, Order};

/// A trading strategy.
///
/// The engine calls, for every instant at which bars close:
/// 1. [`on_fill`](Strategy::on_fill) for each execution of this strategy's
///    orders that happened on those bars (at their open or within their range);
/// 2. [`on_bar`](Strategy::on_bar) for each closed bar of a subscribed
///    instrument, in instrument order;
/// 3. [`on_close`](Strategy::on_close) once, after all bars of the instant —
///    the place for cross-sectional decisions (rotation across symbols).
///
/// Intents submitted through the context go through the risk gate after
/// the callback returns; market orders fill at the next bar's open.
pub trait Strategy: Send + std::fmt::Debug {
    /// Once, before the first bar.
    fn on_start(&mut self, _ctx: &mut Context<'_>) {}

    /// A bar of a subscribed instrument closed.
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: &Bar);

    /// All bars closing at `ctx.ts()` have been delivered.
    fn on_close(&mut self, _ctx: &mut Context<'_>) {}

    /// One of this strategy's orders was (partly) filled.
    fn on_fill(&mut self, _ctx: &mut Context<'_>, _fill: &Fill) {}

    /// One of this strategy's orders reached a final state other than
    /// filled (rejected, cancelled, expired).
    fn on_order_closed(&mut self, _ctx: &mut Context<'_>, _order: &Order) {}
}
