//! [`Context`]: what a strategy may see and do during a callback.

use std::borrow::Cow;

use trade_core::{
    Bar, ClientOrderId, Instrument, InstrumentId, Money, Order, OrderIntent, OrderType, Price, Qty,
    Side, Symbol, TimeInForce, Timestamp,
};

/// The strategy's window on the engine during one callback.
///
/// Reads are of the state *after* the bars of the current instant closed
/// and their fills were booked. Writes (`submit`, `cancel`, ...) are
/// collected and handed to the risk gate when the callback returns.
#[derive(Debug)]
pub struct Context<'a> {
    pub(crate) ts: Timestamp,
    pub(crate) instruments: &'a [Instrument],
    pub(crate) series: &'a [Vec<Bar>],
    pub(crate) seen: &'a [usize],
    pub(crate) portfolio: &'a trade_core::Portfolio,
    pub(crate) own_positions: &'a [i64],
    pub(crate) working: &'a [Order],
    pub(crate) strategy: &'a trade_core::StrategyId,
    pub(crate) intents: &'a mut Vec<OrderIntent>,
    pub(crate) cancels: &'a mut Vec<ClientOrderId>,
}

impl<'a> Context<'a> {
    /// Builds a context over explicit state; the engine does this for every
    /// callback, tests and other drivers (paper, live) may too.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ts: Timestamp,
        instruments: &'a [Instrument],
        series: &'a [Vec<Bar>],
        seen: &'a [usize],
        portfolio: &'a trade_core::Portfolio,
        own_positions: &'a [i64],
        working: &'a [Order],
        strategy: &'a trade_core::StrategyId,
        intents: &'a mut Vec<OrderIntent>,
        cancels: &'a mut Vec<ClientOrderId>,
    ) -> Self {
        Context {
            ts,
            instruments,
            series,
            seen,
            portfolio,
            own_positions,
            working,
            strategy,
            intents,
            cancels,
        }
    }

    /// The current instant (close time of the bars being delivered).
    pub fn ts(&self) -> Timestamp {
        self.ts
    }

    /// All instruments of the run, indexed by [`InstrumentId`].
    pub fn instruments(&self) -> &[Instrument] {
        self.instruments
    }

    /// One instrument.
    pub fn instrument(&self, id: InstrumentId) -> &Instrument {
        &self.instruments[id.index()]
    }

    /// The id of the instrument with this symbol, if it is in the run.
    pub fn find(&self, symbol: &Symbol) -> Option<InstrumentId> {
        self.instruments
            .iter()
            .position(|i| &i.symbol == symbol)
            .map(|i| InstrumentId(i as u32))
    }

    /// The bars of `id` that have closed so far, oldest first (the last one
    /// is the most recent). Never includes a bar from the future.
    pub fn history(&self, id: InstrumentId) -> &[Bar] {
        &self.series[id.index()][..self.seen[id.index()]]
    }

    /// The most recent closed bar of `id`.
    pub fn last_bar(&self, id: InstrumentId) -> Option<&Bar> {
        self.history(id).last()
    }

    /// This strategy's signed position in `id` (positive long).
    pub fn position(&self, id: InstrumentId) -> i64 {
        self.own_positions[id.index()]
    }

    /// The whole account's signed position in `id` (all strategies).
    pub fn account_position(&self, id: InstrumentId) -> i64 {
        self.portfolio.position(id).qty
    }

    /// Account cash.
    pub fn cash(&self) -> Money {
        self.portfolio.cash()
    }

    /// Account equity (cash plus marked positions).
    pub fn equity(&self) -> Money {
        self.portfolio.equity()
    }

    /// The last price of `id`.
    pub fn mark(&self, id: InstrumentId) -> Price {
        self.portfolio.mark_of(id)
    }

    /// This strategy's working orders on `id`.
    pub fn working_orders(&self, id: InstrumentId) -> impl Iterator<Item = &Order> + '_ {
        let me = self.strategy;
        self.working
            .iter()
            .filter(move |o| o.intent.instrument == id && &o.strategy == me)
    }

    /// Signed units still to fill in this strategy's working orders on `id`
    /// (plus intents already submitted in this callback).
    pub fn pending(&self, id: InstrumentId) -> i64 {
        let working: i64 = self
            .working_orders(id)
            .map(|o| o.remaining().signed() * o.intent.side.sign())
            .sum();
        let new: i64 = self
            .intents
            .iter()
            .filter(|i| i.instrument == id)
            .map(|i| i.qty.signed() * i.side.sign())
            .sum();
        working + new
    }

    /// Submits an order intent; it goes through the risk gate when the
    /// callback returns.
    pub fn submit(&mut self, intent: OrderIntent) {
        self.intents.push(intent);
    }

    /// Submits a DAY market order.
    pub fn market(
        &mut self,
        id: InstrumentId,
        side: Side,
        qty: Qty,
        tag: impl Into<Cow<'static, str>>,
    ) {
        self.submit(OrderIntent {
            instrument: id,
            side,
            qty,
            order_type: OrderType::Market,
            tif: TimeInForce::Day,
            tag: tag.into(),
        });
    }

    /// Submits a limit order.
    pub fn limit(
        &mut self,
        id: InstrumentId,
        side: Side,
        qty: Qty,
        limit: Price,
        tif: TimeInForce,
        tag: impl Into<Cow<'static, str>>,
    ) {
        self.submit(OrderIntent {
            instrument: id,
            side,
            qty,
            order_type: OrderType::Limit { limit },
            tif,
            tag: tag.into(),
        });
    }

    /// Submits a stop order.
    pub fn stop(
        &mut self,
        id: InstrumentId,
        side: Side,
        qty: Qty,
        stop: Price,
        tif: TimeInForce,
        tag: impl Into<Cow<'static, str>>,
    ) {
        self.submit(OrderIntent {
            instrument: id,
            side,
            qty,
            order_type: OrderType::Stop { stop },
            tif,
            tag: tag.into(),
        });
    }

    /// Moves this strategy's position in `id` to `target` signed units with
    /// a market order for the difference, counting working orders; does
    /// nothing when already there.
    pub fn target_position(
        &mut self,
        id: InstrumentId,
        target: i64,
        tag: impl Into<Cow<'static, str>>,
    ) {
        let delta = target - self.position(id) - self.pending(id);
        if delta != 0 {
            let side = if delta > 0 { Side::Buy } else { Side::Sell };
            self.market(id, side, Qty::new(delta.unsigned_abs()), tag);
        }
    }

    /// Asks to cancel one of this strategy's working orders.
    pub fn cancel(&mut self, order: ClientOrderId) {
        self.cancels.push(order);
    }

    /// Asks to cancel all of this strategy's working orders on `id`.
    pub fn cancel_all(&mut self, id: InstrumentId) {
        let ids: Vec<ClientOrderId> = self.working_orders(id).map(|o| o.id).collect();
        self.cancels.extend(ids);
    }
}
