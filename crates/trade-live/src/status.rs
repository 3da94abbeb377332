//! What a running session publishes for the dashboard and the health
//! check: one [`SessionStatus`] on a `tokio::sync::watch` channel, replaced
//! after every event that changes it.

use serde::Serialize;
use trade_core::{Money, Price, Timestamp};
use trade_journal::{LocalOrderId, OrderState};

use crate::adapter::AccountType;

/// Paper or live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Simulated fills (the backtest's fill model).
    Paper,
    /// Interactive Brokers.
    Live,
}

/// The broker connection as the session sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    /// No `Connected` yet.
    Connecting,
    /// Connected; waiting for the reconciliation answer. No new orders.
    Reconciling,
    /// Connected and reconciled: trading.
    Up,
    /// Disconnected (the adapter reconnects by itself). No new orders.
    Down,
    /// The session stopped.
    Stopped,
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The broker connection went down or came back.
    Connection,
    /// A feed went quiet during market hours.
    StaleFeed,
    /// An order placed outside this program.
    ExternalOrder,
    /// An execution of an order this program did not place.
    ExternalExecution,
    /// A position at the broker that the portfolio does not hold.
    PositionMismatch,
    /// An event names an order or instrument this session does not know.
    Unknown,
    /// Reconciliation found something to look at.
    Reconcile,
    /// A journal write failed: new orders are halted.
    Journal,
    /// A kill switch tripped.
    KillSwitch,
    /// A limit order passed its timeout.
    LimitTimeout,
    /// A broker notice or error.
    Broker,
}

/// Something an operator should see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// Sequence number of the event.
    pub id: u64,
    /// When (wall clock).
    pub ts: Timestamp,
    /// Kind.
    pub kind: AlertKind,
    /// Instrument symbol, if it concerns one.
    pub instrument: Option<String>,
    /// Human text with the numbers.
    pub message: String,
}

/// One position line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositionStatus {
    /// Symbol.
    pub symbol: String,
    /// Signed units.
    pub qty: i64,
    /// Last mark.
    pub mark: Price,
    /// Market value at the mark.
    pub market_value: Money,
    /// Average entry price of the units held.
    pub avg_price: Option<f64>,
    /// Open P&L at the mark (before commissions).
    pub unrealized: Money,
}

/// One working order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderStatusLine {
    /// Journal id.
    pub local_id: LocalOrderId,
    /// Strategy (or `external`/`session`).
    pub strategy: String,
    /// Symbol.
    pub symbol: String,
    /// `buy` / `sell`.
    pub side: &'static str,
    /// Total quantity.
    pub qty: u64,
    /// Filled so far.
    pub filled: u64,
    /// `market`, `limit`, ...
    pub order_type: &'static str,
    /// Journal state.
    pub state: OrderState,
}

/// A paused instrument and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PausedInstrument {
    /// Symbol.
    pub symbol: String,
    /// Why (stale feed, external trade).
    pub reason: String,
}

/// A strategy an operator paused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PausedStrategy {
    /// Strategy id.
    pub strategy: String,
    /// Who and why.
    pub reason: String,
}

/// A risk limit an operator may see (and change within its bounds).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitStatus {
    /// Name, as in `[risk]`.
    pub name: &'static str,
    /// Current value (`None`: off).
    pub value: Option<f64>,
    /// The run-time bounds `[session.limit_bounds]` allows, if any.
    pub bounds: Option<[f64; 2]>,
}

/// The state a session publishes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionStatus {
    /// Paper or live.
    pub mode: Mode,
    /// Whether orders stop at the journal (`--dry-run`).
    pub dry_run: bool,
    /// Broker connection.
    pub connection: Connection,
    /// Account type the broker reported, once connected.
    pub account_type: Option<AccountType>,
    /// Cash.
    pub cash: Money,
    /// Cash plus marked positions.
    pub equity: Money,
    /// Equity change since the current session's first instant.
    pub day_pnl: Money,
    /// Open positions.
    pub positions: Vec<PositionStatus>,
    /// Orders not in a final state.
    pub working_orders: Vec<OrderStatusLine>,
    /// Close time of the last processed instant.
    pub last_bar_time: Option<Timestamp>,
    /// Instants processed.
    pub instants: u64,
    /// Instruments on which new orders are paused.
    pub paused: Vec<PausedInstrument>,
    /// All new entries paused by an operator (who and why).
    pub paused_all: Option<String>,
    /// Strategies an operator paused.
    pub paused_strategies: Vec<PausedStrategy>,
    /// The changeable risk limits.
    pub limits: Vec<LimitStatus>,
    /// Why all new orders are halted (journal failure), if they are.
    pub halted: Option<String>,
    /// The kill switch, if it tripped.
    pub kill_switch: Option<String>,
    /// The most recent alert events (at most [`MAX_ALERTS`]), oldest first.
    pub alerts: Vec<Alert>,
    /// Alerts still active (de-duplicated), most severe first; these are
    /// what operators acknowledge and snooze.
    pub active_alerts: Vec<trade_alerts::ManagedAlert>,
    /// Counters for `/metrics`.
    pub counters: crate::metrics::Counters,
    /// Journal write latency.
    pub journal_write_seconds: crate::metrics::Histogram,
    /// Bar close (the instant's arrival) to the order handed to the broker.
    pub bar_to_submit_seconds: crate::metrics::Histogram,
    /// Market data per instrument.
    pub feeds: Vec<FeedStatus>,
    /// Exposure, limits in use and the equity curve.
    pub portfolio: PortfolioView,
}

/// The portfolio at a glance: exposure, how much of each limit is used,
/// the equity curve and its drawdown.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PortfolioView {
    /// Sum of absolute position values.
    pub gross_exposure: Money,
    /// Long minus short value.
    pub net_exposure: Money,
    /// Market value per instrument with a position, as a fraction of equity.
    pub by_instrument: Vec<ExposureLine>,
    /// Each configured limit and how much of it is used (1.0 = at the limit).
    pub limits_used: Vec<LimitUse>,
    /// Highest equity seen.
    pub peak_equity: Money,
    /// Drawdown from the peak now (fraction).
    pub drawdown: f64,
    /// Largest drawdown seen (fraction).
    pub max_drawdown: f64,
    /// `(bar close Unix seconds, equity)`, thinned to at most
    /// [`EQUITY_POINTS`] points.
    pub equity_curve: Vec<(i64, f64)>,
}

/// Points kept in [`PortfolioView::equity_curve`].
pub const EQUITY_POINTS: usize = 512;

/// One instrument's exposure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExposureLine {
    /// Symbol.
    pub symbol: String,
    /// Signed market value.
    pub market_value: Money,
    /// Its fraction of equity (signed).
    pub of_equity: f64,
}

/// How much of a limit is in use.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitUse {
    /// Limit name, as in `[risk]`.
    pub name: &'static str,
    /// The limit.
    pub limit: f64,
    /// The current value of what it limits.
    pub value: f64,
    /// `value / limit`.
    pub used: f64,
}

/// Market data of one instrument.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedStatus {
    /// Symbol.
    pub symbol: String,
    /// Wall-clock time the last bar arrived (Unix seconds).
    pub last_bar_unix: Option<f64>,
    /// Whether the feed reported it stale.
    pub stale: bool,
}

/// Alerts kept in the published status (all of them are in the outcome).
pub const MAX_ALERTS: usize = 50;

impl SessionStatus {
    /// Whether new orders may go out now.
    pub fn trading(&self) -> bool {
        self.connection == Connection::Up && self.halted.is_none()
    }
}
