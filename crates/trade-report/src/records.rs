//! Ledger rows as they are stored: instruments by symbol, strategies by
//! name, enums by their snake-case names. Built from a
//! [`BacktestResult`] when a run is written, read back from Parquet when a
//! report is re-rendered.

use std::borrow::Cow;

use trade_core::{Money, Price, Side, Timestamp};
use trade_engine::ledger::EquityRow;

use crate::Closes;
use crate::error::ReportError;
use crate::input::RunInput;

/// One order in its final state (`orders.parquet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    /// Client order id.
    pub order_id: u64,
    /// Broker order id, if one was assigned.
    pub broker_id: Option<String>,
    /// Strategy name.
    pub strategy: String,
    /// Instrument symbol.
    pub symbol: String,
    /// `buy` or `sell`.
    pub side: String,
    /// `market`, `limit`, `stop` or `stop_limit`.
    pub order_type: String,
    /// Limit price, for limit and stop-limit orders.
    pub limit_price: Option<Price>,
    /// Stop price, for stop and stop-limit orders.
    pub stop_price: Option<Price>,
    /// Units ordered.
    pub qty: u64,
    /// `DAY` or `GTC`.
    pub tif: String,
    /// The strategy's tag.
    pub tag: String,
    /// Decision time.
    pub created: Timestamp,
    /// `working`, `filled`, `cancelled`, `expired` or `rejected`.
    pub status: String,
    /// Units filled.
    pub filled_qty: u64,
    /// Whether a stop triggered.
    pub triggered: bool,
    /// When it reached its final state.
    pub closed: Option<Timestamp>,
    /// Why it was rejected, cancelled or expired.
    pub reason: Option<String>,
}

/// One execution (`fills.parquet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillRecord {
    /// Execution time.
    pub ts: Timestamp,
    /// The order it fills.
    pub order_id: u64,
    /// Strategy name.
    pub strategy: String,
    /// Instrument symbol.
    pub symbol: String,
    /// `buy` or `sell`.
    pub side: String,
    /// Units.
    pub qty: u64,
    /// Price per unit.
    pub price: Price,
    /// Commission paid.
    pub commission: Money,
    /// Realized P&L of the fill before commission.
    pub realized: Money,
}

/// A position after a change (`positions.parquet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionRecord {
    /// When.
    pub ts: Timestamp,
    /// Instrument symbol.
    pub symbol: String,
    /// Signed units after the change.
    pub qty: i64,
    /// Signed cost basis of the units held.
    pub cost_basis: Money,
    /// Realized P&L of the instrument so far.
    pub realized: Money,
}

/// A closed round trip (`trades.parquet`).
#[derive(Debug, Clone, PartialEq)]
pub struct TradeRecord {
    /// Instrument symbol.
    pub symbol: String,
    /// `long` or `short`.
    pub direction: String,
    /// First fill.
    pub entry_ts: Timestamp,
    /// Last fill.
    pub exit_ts: Timestamp,
    /// Largest absolute position during the trade.
    pub qty: u64,
    /// Average entry price.
    pub entry_price: f64,
    /// Average exit price.
    pub exit_price: f64,
    /// Net P&L (after commissions).
    pub pnl: Money,
    /// Commissions.
    pub commission: Money,
    /// P&L over the opening notional.
    pub return_pct: f64,
}

/// A risk decision (`risk_events.parquet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskEventRecord {
    /// When.
    pub ts: Timestamp,
    /// Rule name (`max_drawdown_pct`, ...).
    pub rule: String,
    /// `refused`, `resized`, `kill_switch`, `blocked` or `flatten`.
    pub action: String,
    /// Instrument symbol, if any.
    pub symbol: Option<String>,
    /// Strategy name, if any.
    pub strategy: Option<String>,
    /// The human reason with numbers.
    pub message: String,
}

/// The benchmark's closes (`benchmark.parquet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchmarkSeries<'a> {
    /// Symbol.
    pub symbol: String,
    /// Closes in time order.
    pub closes: Closes<'a>,
}

/// All ledgers of a run, symbol-resolved. The equity ledger (the large
/// one) and the benchmark are borrowed from the input when writing.
#[derive(Debug, Clone)]
pub struct Ledgers<'a> {
    /// Orders.
    pub orders: Vec<OrderRecord>,
    /// Fills.
    pub fills: Vec<FillRecord>,
    /// One row per instant.
    pub equity: Cow<'a, [EquityRow]>,
    /// Position changes.
    pub positions: Vec<PositionRecord>,
    /// Round trips.
    pub trades: Vec<TradeRecord>,
    /// Risk decisions.
    pub risk_events: Vec<RiskEventRecord>,
    /// Benchmark closes, if the run had a benchmark.
    pub benchmark: Option<BenchmarkSeries<'a>>,
}

/// `"long"` for a trade opened by a buy, `"short"` for one opened by a sell.
pub(crate) fn direction_name(side: Side) -> &'static str {
    match side {
        Side::Buy => "long",
        Side::Sell => "short",
    }
}

impl<'a> Ledgers<'a> {
    /// Resolves ids to names.
    ///
    /// # Errors
    /// [`ReportError::InvalidInput`] for an instrument or strategy id outside
    /// the input's tables, or an equity ledger out of time order.
    pub fn from_input(input: &'a RunInput<'_>) -> Result<Self, ReportError> {
        let r = input.result;
        let symbol = |id: trade_core::InstrumentId| -> Result<String, ReportError> {
            input
                .instruments
                .get(id.index())
                .map(|i| i.symbol.to_string())
                .ok_or_else(|| {
                    ReportError::InvalidInput(format!(
                        "instrument id {} outside the {} instruments of the run",
                        id.0,
                        input.instruments.len()
                    ))
                })
        };
        let strategy = |idx: u32| -> Result<String, ReportError> {
            input
                .strategy_names
                .get(idx as usize)
                .cloned()
                .ok_or_else(|| {
                    ReportError::InvalidInput(format!(
                        "strategy index {idx} outside the {} strategies of the run",
                        input.strategy_names.len()
                    ))
                })
        };
        let strategy_by_name = |id: &trade_core::StrategyId| id.0.clone();

        let orders = r
            .orders
            .iter()
            .map(|o| {
                Ok(OrderRecord {
                    order_id: o.id.0,
                    broker_id: o.broker_id.as_ref().map(|b| b.0.clone()),
                    strategy: strategy_by_name(&o.strategy),
                    symbol: symbol(o.intent.instrument)?,
                    side: o.intent.side.as_str().to_string(),
                    order_type: o.intent.order_type.name().to_string(),
                    limit_price: o.intent.order_type.limit(),
                    stop_price: o.intent.order_type.stop(),
                    qty: o.intent.qty.get(),
                    tif: o.intent.tif.as_str().to_string(),
                    tag: o.intent.tag.to_string(),
                    created: o.created,
                    status: o.status.as_str().to_string(),
                    filled_qty: o.filled.get(),
                    triggered: o.triggered,
                    closed: o.closed,
                    reason: o.reason.clone(),
                })
            })
            .collect::<Result<Vec<_>, ReportError>>()?;
        let fills = r
            .fills
            .iter()
            .map(|f| {
                Ok(FillRecord {
                    ts: f.fill.ts,
                    order_id: f.fill.order_id.0,
                    strategy: strategy(f.strategy)?,
                    symbol: symbol(f.fill.instrument)?,
                    side: f.fill.side.as_str().to_string(),
                    qty: f.fill.qty.get(),
                    price: f.fill.price,
                    commission: f.fill.commission,
                    realized: f.realized,
                })
            })
            .collect::<Result<Vec<_>, ReportError>>()?;
        let positions = r
            .positions
            .iter()
            .map(|p| {
                Ok(PositionRecord {
                    ts: p.ts,
                    symbol: symbol(p.instrument)?,
                    qty: p.qty,
                    cost_basis: p.cost_basis,
                    realized: p.realized,
                })
            })
            .collect::<Result<Vec<_>, ReportError>>()?;
        let trades = r
            .trades
            .iter()
            .map(|t| {
                Ok(TradeRecord {
                    symbol: symbol(t.instrument)?,
                    direction: direction_name(t.direction).to_string(),
                    entry_ts: t.entry_ts,
                    exit_ts: t.exit_ts,
                    qty: t.max_qty,
                    entry_price: t.entry_price,
                    exit_price: t.exit_price,
                    pnl: t.pnl,
                    commission: t.commission,
                    return_pct: t.return_pct,
                })
            })
            .collect::<Result<Vec<_>, ReportError>>()?;
        let risk_events = r
            .risk_events
            .iter()
            .map(|e| {
                Ok(RiskEventRecord {
                    ts: e.ts,
                    rule: e.rule.as_str().to_string(),
                    action: e.action.to_string(),
                    symbol: e.instrument.map(symbol).transpose()?,
                    strategy: e.strategy.map(strategy).transpose()?,
                    message: e.message.clone(),
                })
            })
            .collect::<Result<Vec<_>, ReportError>>()?;
        if let Some(i) = r.equity.windows(2).position(|w| w[1].ts < w[0].ts) {
            return Err(ReportError::InvalidInput(format!(
                "equity ledger out of time order at row {} ({} after {})",
                i + 1,
                r.equity[i + 1].ts,
                r.equity[i].ts
            )));
        }
        let benchmark = match &input.benchmark {
            Some(b) => {
                if let Some(i) = b.closes.first_out_of_order() {
                    return Err(ReportError::InvalidInput(format!(
                        "benchmark {} closes out of time order at index {i}",
                        b.symbol,
                    )));
                }
                Some(BenchmarkSeries {
                    symbol: b.symbol.clone(),
                    closes: b.closes.borrowed(),
                })
            }
            None => None,
        };
        Ok(Ledgers {
            orders,
            fills,
            equity: Cow::Borrowed(&r.equity),
            positions,
            trades,
            risk_events,
            benchmark,
        })
    }
}
