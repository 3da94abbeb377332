//! A tiny driver for strategy unit tests: feeds hand-made bars through
//! [`Context::new`] and, optionally, fills the resulting market orders at
//! the next bar's open (no engine, no risk gate, no commissions).

use trade_core::{
    Bar, ClientOrderId, Fill, Instrument, InstrumentId, Money, Order, OrderIntent, OrderStatus,
    Portfolio, Price, Qty, StrategyId, Symbol, Timestamp,
};

use crate::strategy::{Context, Strategy};

/// Hand-driven market, account and order book for one strategy.
#[derive(Debug)]
pub(super) struct Harness {
    instruments: Vec<Instrument>,
    series: Vec<Vec<Bar>>,
    seen: Vec<usize>,
    pub(super) portfolio: Portfolio,
    pub(super) own: Vec<i64>,
    pub(super) working: Vec<Order>,
    id: StrategyId,
    day: i64,
    next_order: u64,
    /// Fill working orders at the next bar's open (else they stay working).
    pub(super) auto_fill: bool,
}

impl Harness {
    /// `n` ETFs (`I0`, `I1`, ...) and `cash` dollars; orders auto-fill.
    pub(super) fn new(n: usize, cash: i64) -> Harness {
        let instruments = (0..n)
            .map(|i| Instrument::etf(Symbol::new(&format!("I{i}")).unwrap()))
            .collect();
        Harness {
            instruments,
            series: vec![Vec::new(); n],
            seen: vec![0; n],
            portfolio: Portfolio::new(Money::from_dollars(cash), &vec![1; n]),
            own: vec![0; n],
            working: Vec::new(),
            id: StrategyId("test".into()),
            day: 0,
            next_order: 1,
            auto_fill: true,
        }
    }

    fn ts(&self) -> Timestamp {
        Timestamp::from_secs(self.day * 86_400 + 21 * 3_600)
    }

    /// Calls `on_start`.
    pub(super) fn start(&mut self, s: &mut dyn Strategy) {
        let mut intents = Vec::new();
        let mut cancels = Vec::new();
        s.on_start(&mut self.context(&mut intents, &mut cancels));
        self.accept(intents);
    }

    fn context<'a>(
        &'a self,
        intents: &'a mut Vec<OrderIntent>,
        cancels: &'a mut Vec<ClientOrderId>,
    ) -> Context<'a> {
        Context::new(
            self.ts(),
            &self.instruments,
            &self.series,
            &self.seen,
            &self.portfolio,
            &self.own,
            &self.working,
            &self.id,
            intents,
            cancels,
        )
    }

    /// One instant: a bar (open = high = low = close) for each
    /// `(instrument, close)`, then `on_bar` for each and `on_close`.
    /// Returns the intents submitted, which become working orders.
    pub(super) fn step(&mut self, s: &mut dyn Strategy, closes: &[(u32, f64)]) -> Vec<OrderIntent> {
        self.day += 1;
        let ts = self.ts();
        let mut bars = Vec::new();
        for &(i, close) in closes {
            let price = Price::from_f64(close).unwrap();
            let bar = Bar {
                instrument: InstrumentId(i),
                ts,
                open: price,
                high: price,
                low: price,
                close: price,
                volume: 1_000,
            };
            if self.auto_fill {
                self.fill_at_open(&bar);
            }
            let k = i as usize;
            self.series[k].push(bar);
            self.seen[k] += 1;
            self.portfolio.mark(bar.instrument, price);
            bars.push(bar);
        }
        let mut intents = Vec::new();
        let mut cancels = Vec::new();
        {
            let mut ctx = self.context(&mut intents, &mut cancels);
            for bar in &bars {
                s.on_bar(&mut ctx, bar);
            }
            s.on_close(&mut ctx);
        }
        self.accept(intents.clone());
        intents
    }

    fn fill_at_open(&mut self, bar: &Bar) {
        let (fill, keep): (Vec<Order>, Vec<Order>) = self
            .working
            .drain(..)
            .partition(|o| o.intent.instrument == bar.instrument);
        self.working = keep;
        for o in fill {
            let side = o.intent.side;
            self.portfolio.apply_fill(&Fill {
                order_id: o.id,
                instrument: bar.instrument,
                side,
                qty: o.intent.qty,
                price: bar.open,
                commission: Money::ZERO,
                ts: bar.ts,
            });
            self.own[bar.instrument.index()] += o.intent.qty.signed() * side.sign();
        }
    }

    fn accept(&mut self, intents: Vec<OrderIntent>) {
        for intent in intents {
            self.working.push(Order {
                id: ClientOrderId(self.next_order),
                broker_id: None,
                strategy: self.id.clone(),
                intent,
                created: self.ts(),
                status: OrderStatus::Working,
                filled: Qty::ZERO,
                triggered: false,
                closed: None,
                reason: None,
            });
            self.next_order += 1;
        }
    }
}

/// Signed quantities of intents, for compact assertions.
pub(super) fn signed(intents: &[OrderIntent]) -> Vec<(u32, i64, &str)> {
    intents
        .iter()
        .map(|i| {
            (
                i.instrument.0,
                i.qty.signed() * i.side.sign(),
                i.tag.as_ref(),
            )
        })
        .collect()
}
