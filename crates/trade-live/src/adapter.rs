//! The seam between a trading session and the outside world.
//!
//! A broker adapter and a feed adapter are tasks; the session holds a
//! [`BrokerLink`] and a [`FeedLink`]: commands go out on one channel, events
//! come back on another. The adapter owns its connection (heartbeat,
//! backoff, resubscription); the session owns decisions and the journal.
//!
//! Ordering contract for orders (what makes submission exactly-once):
//! 1. the session journals the intent and gets its [`LocalOrderId`];
//! 2. it sends [`BrokerCommand::Place`];
//! 3. the adapter writes the order to the wire with `orderRef =
//!    local_id.order_ref()` and answers [`BrokerEvent::Sent`] (the session
//!    marks the order sent), or [`BrokerEvent::SendFailed`] if it could not
//!    write it (nothing reached the broker; the session records that);
//! 4. acknowledgements, states, executions and commissions follow as events.
//!
//! After every (re)connect the adapter emits [`BrokerEvent::Connected`]; the
//! session then stops new orders, asks for [`BrokerCommand::Reconcile`], and
//! resumes only after the [`BrokerEvent::Reconciled`] view has been applied.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use trade_core::{Bar, Instrument, InstrumentId, Money, Order, Price, Qty, Timestamp};
use trade_journal::{BrokerView, Commission, Execution, LocalOrderId, OrderState, PositionLine};

/// Whether the account behind a broker connection trades real money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountType {
    /// A paper-trading account (IB account ids starting with `D`).
    Paper,
    /// A live account.
    Live,
}

impl AccountType {
    /// IB's convention: paper-trading account ids start with `D` (`DU...`,
    /// `DF...`); every other id is a live account.
    pub fn of_ib_account(account: &str) -> AccountType {
        if account.starts_with('D') {
            AccountType::Paper
        } else {
            AccountType::Live
        }
    }
}

/// One leg of a combination (BAG) order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundLeg {
    /// The leg's contract.
    pub instrument: Instrument,
    /// Ratio of the leg (contracts per combo unit), signed: + buy, - sell.
    pub ratio: i32,
}

/// An order as it leaves the session: the engine's order, the contract it
/// trades and the local id that travels in `orderRef`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundOrder {
    /// Journal id; the adapter sends `local_id.order_ref()` as `orderRef`.
    pub local_id: LocalOrderId,
    /// The order (side, quantity, type, prices, time in force).
    pub order: Order,
    /// The contract of `order.intent.instrument` (for a combo: the underlying).
    pub instrument: Instrument,
    /// Legs of a combination order (sent as a BAG, all-or-none); empty for a
    /// single-contract order.
    pub legs: Vec<OutboundLeg>,
}

/// What the session asks of a broker adapter.
#[derive(Debug, Clone, PartialEq)]
pub enum BrokerCommand {
    /// Send an order (already journaled).
    Place(Box<OutboundOrder>),
    /// Cancel an order.
    Cancel {
        /// The order.
        local_id: LocalOrderId,
        /// The broker's id, when known.
        broker_order_id: Option<i64>,
    },
    /// Fetch open orders, completed orders, executions since `since` and
    /// positions; answered by [`BrokerEvent::Reconciled`].
    Reconcile {
        /// Last execution time the journal holds.
        since: Option<Timestamp>,
    },
    /// Refresh the account values; answered by [`BrokerEvent::Account`].
    RequestAccount,
    /// Close the connection and end the task.
    Shutdown,
}

/// Cash, buying power and net liquidation as the broker reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountValues {
    /// Settled and unsettled cash (`TotalCashValue`).
    pub cash: Money,
    /// `BuyingPower`.
    pub buying_power: Money,
    /// `NetLiquidation`.
    pub net_liquidation: Money,
}

/// The broker's view after a reconnect: what [`trade_journal::reconcile`]
/// needs plus the positions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrokerSnapshot {
    /// Open and completed orders, executions.
    pub view: BrokerView,
    /// Positions per instrument key.
    pub positions: Vec<PositionLine>,
}

/// Why the connection is not usable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkDown {
    /// The socket closed or failed.
    Disconnected(String),
    /// IB says it lost its connection to IB's servers (1100).
    UpstreamLost,
    /// The circuit breaker is open after repeated errors.
    CircuitOpen(String),
}

/// What a broker adapter reports.
#[derive(Debug, Clone, PartialEq)]
pub enum BrokerEvent {
    /// A (new) session with the broker is up. The session must reconcile
    /// before it sends anything.
    Connected {
        /// Accounts the login manages.
        accounts: Vec<String>,
        /// Whether they trade real money.
        account_type: AccountType,
        /// Counts reconnects: 0 for the first connection.
        generation: u64,
    },
    /// Orders cannot be sent until the next [`BrokerEvent::Connected`] or
    /// [`BrokerEvent::Restored`].
    Down(LinkDown),
    /// IB restored its upstream connection (1101: data lost, resubscribed;
    /// 1102: data kept). The session reconciles before trading.
    Restored {
        /// Market data subscriptions were lost (1101).
        data_lost: bool,
    },
    /// The order was written to the wire.
    Sent {
        /// The order.
        local_id: LocalOrderId,
        /// The TWS API order id it was sent under.
        broker_order_id: i64,
        /// Wall-clock time of the write.
        ts: Timestamp,
    },
    /// The order could not be written; the broker never saw it.
    SendFailed {
        /// The order.
        local_id: LocalOrderId,
        /// Why.
        reason: String,
    },
    /// `openOrder`/`orderStatus` for an order with our `orderRef`.
    Status {
        /// The order.
        local_id: LocalOrderId,
        /// TWS API order id.
        broker_order_id: Option<i64>,
        /// IB permId.
        perm_id: Option<i64>,
        /// The state IB reports, mapped.
        state: OrderState,
        /// Filled so far.
        filled: Qty,
        /// Average fill price so far.
        avg_price: Option<Price>,
        /// IB's status text and any reason.
        detail: String,
        /// When it arrived.
        ts: Timestamp,
    },
    /// An order without our `orderRef` (placed in TWS by hand, or by
    /// another program).
    ExternalOrder(trade_journal::BrokerOrder),
    /// An execution (ours or external: `order_ref` tells).
    Execution(Execution),
    /// A commission report.
    Commission(Commission),
    /// Answer to [`BrokerCommand::Reconcile`].
    Reconciled(BrokerSnapshot),
    /// Answer to [`BrokerCommand::RequestAccount`] (also sent unsolicited).
    Account(AccountValues),
    /// An error or notice from the broker that is not tied to a state above.
    Notice {
        /// IB error code (e.g. 2104 farm OK, 201 rejected, 502 cannot connect).
        code: i32,
        /// Request/order id it refers to, if any.
        request_id: Option<i64>,
        /// The broker's text.
        message: String,
    },
}

/// What the session asks of a feed.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedCommand {
    /// Stream bars (and quotes, where the feed has them) for these instruments.
    Subscribe(Vec<(InstrumentId, Instrument)>),
    /// Stop.
    Shutdown,
}

/// A top-of-book quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    /// Instrument.
    pub instrument: InstrumentId,
    /// Best bid.
    pub bid: Option<Price>,
    /// Best ask.
    pub ask: Option<Price>,
    /// Last trade.
    pub last: Option<Price>,
    /// When.
    pub ts: Timestamp,
}

/// What a feed reports.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedEvent {
    /// A bar of the session's bar size closed (end-time convention, as in
    /// the backtest). Bars of one instant arrive before that instant's
    /// [`FeedEvent::Instant`].
    Bar(Bar),
    /// Every bar closing at this time has been delivered: the session runs
    /// its strategies now.
    Instant(Timestamp),
    /// A quote update.
    Quote(Quote),
    /// The instrument's data went quiet during market hours.
    Stale {
        /// Instrument.
        instrument: InstrumentId,
        /// How long nothing arrived.
        silent_for: Duration,
    },
    /// Data for a stale instrument flows again.
    Fresh(InstrumentId),
    /// The feed's connection is down (its subscriptions will be restored
    /// by the feed itself after a reconnect).
    Down(LinkDown),
    /// The feed is connected and every subscription is (re)established.
    Up,
    /// A replay reached its end; nothing more will come.
    End,
}

/// The session's side of a broker adapter.
#[derive(Debug)]
pub struct BrokerLink {
    /// Commands to the adapter.
    pub commands: mpsc::Sender<BrokerCommand>,
    /// Events from the adapter.
    pub events: mpsc::Receiver<BrokerEvent>,
}

/// The session's side of a feed.
#[derive(Debug)]
pub struct FeedLink {
    /// Commands to the feed.
    pub commands: mpsc::Sender<FeedCommand>,
    /// Events from the feed.
    pub events: mpsc::Receiver<FeedEvent>,
}

/// Capacity of adapter channels: enough for a burst of a session's worth
/// of order traffic without letting a stuck consumer grow memory without bound.
pub const CHANNEL_CAPACITY: usize = 4096;

/// A connected pair of channels: the session's [`BrokerLink`] and the
/// adapter's ends.
pub fn broker_channels() -> (
    BrokerLink,
    mpsc::Receiver<BrokerCommand>,
    mpsc::Sender<BrokerEvent>,
) {
    let (ctx, crx) = mpsc::channel(CHANNEL_CAPACITY);
    let (etx, erx) = mpsc::channel(CHANNEL_CAPACITY);
    (
        BrokerLink {
            commands: ctx,
            events: erx,
        },
        crx,
        etx,
    )
}

/// A connected pair of channels: the session's [`FeedLink`] and the feed's ends.
pub fn feed_channels() -> (
    FeedLink,
    mpsc::Receiver<FeedCommand>,
    mpsc::Sender<FeedEvent>,
) {
    let (ctx, crx) = mpsc::channel(CHANNEL_CAPACITY);
    let (etx, erx) = mpsc::channel(CHANNEL_CAPACITY);
    (
        FeedLink {
            commands: ctx,
            events: erx,
        },
        crx,
        etx,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_accounts_are_recognised_by_their_d_prefix() {
        assert_eq!(AccountType::of_ib_account("DU1234567"), AccountType::Paper);
        assert_eq!(AccountType::of_ib_account("DF998877"), AccountType::Paper);
        assert_eq!(AccountType::of_ib_account("U7654321"), AccountType::Live);
        assert_eq!(AccountType::of_ib_account(""), AccountType::Live);
    }
}
