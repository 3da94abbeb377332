//! The shared simulated world: clock, prices, the order book, the account,
//! executions, and the registry of connected API sessions. Everything here
//! runs under one mutex; nothing awaits while holding it. Outgoing frames
//! are queued on each session's channel and written by its own task.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use prost::Message;
use tokio::sync::mpsc::UnboundedSender;
use trade_options::pricing::implied_vol_bsm;

use crate::account::{self, Account, Summary, Valued};
use crate::codec;
use crate::config::SimConfig;
use crate::faults::{FaultState, Target as FaultTarget};
use crate::instruments::{Kind, Registry};
use crate::market::{self, OptionModel, PricePath, Quote, SECS_PER_YEAR};
use crate::messages::{self as msg, inc};
use crate::orders::{self, OrderKind, SimOrder, Status, Target};
use crate::timefmt;

/// A command for a session's writer task.
#[derive(Debug)]
pub(crate) enum SessionCmd {
    /// Write this frame, not before `deliver_at`.
    Frame {
        bytes: Vec<u8>,
        deliver_at: Option<Instant>,
    },
    /// Close the socket after everything queued before.
    Close,
}

/// A market-data subscription.
#[derive(Debug, Clone)]
pub(crate) struct MktSub {
    pub instrument: usize,
    pub last: Option<Quote>,
    pub volume: f64,
    pub high: f64,
    pub low: f64,
}

/// A real-time bars subscription.
#[derive(Debug, Clone)]
pub(crate) struct BarSub {
    pub instrument: usize,
    pub what: WhatToShow,
}

/// A keepUpToDate historical subscription.
#[derive(Debug, Clone)]
pub(crate) struct HistSub {
    pub instrument: usize,
    pub bar_secs: i64,
    pub what: WhatToShow,
    pub format_date: i32,
}

/// Price series a bar request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WhatToShow {
    Trades,
    Midpoint,
    Bid,
    Ask,
}

impl WhatToShow {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "TRADES" | "ADJUSTED_LAST" => Some(WhatToShow::Trades),
            "MIDPOINT" => Some(WhatToShow::Midpoint),
            "BID" => Some(WhatToShow::Bid),
            "ASK" => Some(WhatToShow::Ask),
            _ => None,
        }
    }
}

/// One API connection as the world sees it.
#[derive(Debug)]
pub(crate) struct SessionEntry {
    pub client_id: Option<i32>,
    pub tx: UnboundedSender<SessionCmd>,
    pub mkt: HashMap<i32, MktSub>,
    pub rt_bars: HashMap<i32, BarSub>,
    pub hist: HashMap<i32, HistSub>,
    pub positions_sub: bool,
    pub account_updates: bool,
    pub hist_log: VecDeque<(Instant, String, i32)>,
}

/// One execution as booked.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecRecord {
    /// IB-style execution id.
    pub exec_id: String,
    /// API order id.
    pub order_id: i32,
    /// Client that placed the order.
    pub client_id: i32,
    /// Permanent order id.
    pub perm_id: i64,
    /// Instrument index.
    pub instrument: usize,
    /// Contract id traded.
    pub con_id: i32,
    /// BOT or SLD.
    pub side: orders::Side,
    /// Quantity.
    pub shares: f64,
    /// Price.
    pub price: f64,
    /// Sim time, epoch seconds.
    pub time: i64,
    /// Cumulative quantity of the order (of this leg for combos).
    pub cum_qty: f64,
    /// Average price of the order so far (of this leg for combos).
    pub avg_price: f64,
    /// Order reference.
    pub order_ref: String,
    /// Commission charged.
    pub commission: f64,
    /// Realized P&L if it reduced a position.
    pub realized_pnl: Option<f64>,
    /// True if it took liquidity on arrival.
    pub removed_liquidity: bool,
}

/// The simulated world.
#[derive(Debug)]
pub(crate) struct SimState {
    pub cfg: SimConfig,
    pub registry: Registry,
    pub paths: Vec<PricePath>,
    pub now: i64,
    pub account: Account,
    pub orders: Vec<SimOrder>,
    pub executions: Vec<ExecRecord>,
    pub next_valid_id: i32,
    pub next_perm_id: i64,
    pub exec_seq: u32,
    /// Incremented by every simulated gateway restart (part of exec ids).
    pub epoch: u32,
    pub sessions: HashMap<u64, SessionEntry>,
    pub next_session: u64,
    pub faults: FaultState,
    /// (client id, message id) of every request received, in order.
    pub inbound: Vec<(Option<i32>, i32)>,
    /// When each placeOrder request was read off the socket, in order
    /// (latency measurements: an order's arrival "on the wire").
    pub order_arrivals: Vec<std::time::Instant>,
}

/// Renders an IB decimal (quantities travel as strings).
pub(crate) fn dec(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        let s = format!("{x:.8}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

impl SimState {
    pub fn new(cfg: SimConfig) -> Self {
        let mut paths: Vec<PricePath> = cfg
            .underlyings
            .iter()
            .enumerate()
            .map(|(i, u)| {
                PricePath::new(
                    &u.prices,
                    cfg.start_time,
                    cfg.history_secs,
                    cfg.seed,
                    i as u64,
                )
            })
            .collect();
        let start_prices: Vec<f64> = paths.iter_mut().map(|p| p.price(cfg.start_time)).collect();
        let registry = Registry::new(&cfg.underlyings, &start_prices);
        SimState {
            account: Account::new(&cfg.account, cfg.starting_cash),
            now: cfg.start_time,
            next_valid_id: cfg.first_order_id,
            registry,
            paths,
            orders: Vec::new(),
            executions: Vec::new(),
            next_perm_id: 1_900_000_001,
            exec_seq: 0,
            epoch: 1,
            sessions: HashMap::new(),
            next_session: 1,
            faults: FaultState {
                historical_pacing: true,
                ..FaultState::default()
            },
            inbound: Vec::new(),
            order_arrivals: Vec::new(),
            cfg,
        }
    }

    // ------------------------------------------------------------ sending

    /// Queues one protobuf message to a session, applying drop/delay faults.
    pub fn send<M: Message>(&mut self, sid: u64, id: i32, m: &M) {
        if let Some(n) = self.faults.drop_next.get_mut(&id)
            && *n > 0
        {
            *n -= 1;
            tracing::info!(session = sid, msg_id = id, "fault: dropping outgoing frame");
            return;
        }
        let deliver_at = (!self.faults.response_delay.is_zero())
            .then(|| Instant::now() + self.faults.response_delay);
        if let Some(s) = self.sessions.get(&sid) {
            let _ = s.tx.send(SessionCmd::Frame {
                bytes: codec::proto_frame(id, &m.encode_to_vec()),
                deliver_at,
            });
        }
    }

    /// Sessions with an API session for `client_id`.
    pub fn sessions_of(&self, client_id: i32) -> Vec<u64> {
        let mut v: Vec<u64> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.client_id == Some(client_id))
            .map(|(id, _)| *id)
            .collect();
        v.sort_unstable();
        v
    }

    /// Every session that has started the API.
    pub fn api_sessions(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.client_id.is_some())
            .map(|(id, _)| *id)
            .collect();
        v.sort_unstable();
        v
    }

    pub fn targets(&self, target: FaultTarget) -> Vec<u64> {
        match target {
            FaultTarget::All => self.api_sessions(),
            FaultTarget::Client(c) => self.sessions_of(c),
        }
    }

    /// An error/notice frame.
    pub fn send_error(&mut self, sid: u64, id: i32, code: i32, text: &str) {
        let m = msg::ErrorMessage {
            id: Some(id),
            error_time: Some(self.now * 1000),
            error_code: Some(code),
            error_msg: Some(text.to_owned()),
            advanced_order_reject_json: None,
        };
        self.send(sid, inc::ERR_MSG, &m);
    }

    pub fn close_session(&mut self, sid: u64) {
        if let Some(s) = self.sessions.get(&sid) {
            let _ = s.tx.send(SessionCmd::Close);
        }
    }

    // ------------------------------------------------------------ prices

    /// Top of book of an instrument at sim time `t`.
    pub fn quote_at(&mut self, i: usize, t: i64) -> Quote {
        let Some(ins) = self.registry.instruments.get(i).cloned() else {
            return Quote {
                bid: 0.0,
                ask: 0.0,
                last: 0.0,
                bid_size: 0.0,
                ask_size: 0.0,
                last_size: 0.0,
            };
        };
        match ins.kind {
            Kind::Stock => {
                let hs = self.registry.underlyings[ins.underlying].half_spread;
                let p = self.paths[ins.underlying].price(t);
                market::quote_around(p, hs, self.cfg.seed, ins.con_id as u64, t, 100.0)
            }
            Kind::Option { .. } => {
                let hs = self.registry.underlyings[ins.underlying]
                    .options
                    .as_ref()
                    .map(|c| c.half_spread)
                    .unwrap_or(0.01);
                let p = self
                    .option_model(i, t)
                    .and_then(|m| m.greeks())
                    .map(|g| g.price)
                    .unwrap_or(0.0);
                market::quote_around(
                    p.max(hs + 0.01),
                    hs,
                    self.cfg.seed,
                    ins.con_id as u64,
                    t,
                    10.0,
                )
            }
        }
    }

    pub fn quote(&mut self, i: usize) -> Quote {
        self.quote_at(i, self.now)
    }

    /// Underlying last price at `t`.
    pub fn underlying_last(&mut self, underlying: usize, t: i64) -> f64 {
        market::cents(self.paths[underlying].price(t))
    }

    /// BSM inputs of an option at `t`.
    pub fn option_model(&mut self, i: usize, t: i64) -> Option<OptionModel> {
        let ins = self.registry.instruments.get(i)?.clone();
        let Kind::Option {
            expiry,
            strike,
            right,
        } = ins.kind
        else {
            return None;
        };
        let u = self.registry.underlyings.get(ins.underlying)?.clone();
        let chain = u.options.as_ref()?;
        let spot = self.underlying_last(ins.underlying, t);
        let expiry_at = timefmt::eastern_at(expiry, 16, 0);
        let years = ((expiry_at - t) as f64 / SECS_PER_YEAR).max(60.0 / SECS_PER_YEAR);
        Some(OptionModel {
            right,
            spot,
            strike,
            years,
            rate: self.cfg.rate,
            dividend_yield: u.dividend_yield,
            vol: market::smile_vol(chain.vol, chain.smile, spot, strike),
        })
    }

    /// OHLC of an instrument over `[start, end)` for a bar request.
    pub fn ohlc(
        &mut self,
        i: usize,
        start: i64,
        end: i64,
        what: WhatToShow,
    ) -> Option<market::Ohlc> {
        let ins = self.registry.instruments.get(i)?.clone();
        match ins.kind {
            Kind::Stock => {
                let hs = market::cents(self.registry.underlyings[ins.underlying].half_spread);
                let offset = match what {
                    WhatToShow::Bid => -hs,
                    WhatToShow::Ask => hs,
                    _ => 0.0,
                };
                let mut bar = self.paths[ins.underlying].ohlc(start, end, offset)?;
                if what != WhatToShow::Trades {
                    bar.volume = -1.0;
                    bar.wap = -1.0;
                    bar.count = -1;
                }
                Some(bar)
            }
            Kind::Option { .. } => {
                if end <= start {
                    return None;
                }
                let (mut o, mut h, mut l, mut c) = (None, f64::MIN, f64::MAX, 0.0);
                let mut vol = 0.0;
                let mut notional = 0.0;
                for t in start..end {
                    let q = self.quote_at(i, t);
                    let p = match what {
                        WhatToShow::Bid => q.bid,
                        WhatToShow::Ask => q.ask,
                        _ => q.last,
                    };
                    o.get_or_insert(p);
                    h = h.max(p);
                    l = l.min(p);
                    c = p;
                    let v = (market::mix(self.cfg.seed, ins.con_id as u64, t) % 3) as f64;
                    vol += v;
                    notional += v * p;
                }
                let trades = what == WhatToShow::Trades;
                Some(market::Ohlc {
                    open: o?,
                    high: h,
                    low: l,
                    close: c,
                    volume: if trades { vol } else { -1.0 },
                    wap: if trades && vol > 0.0 {
                        (notional / vol * 1e4).round() / 1e4
                    } else if trades {
                        c
                    } else {
                        -1.0
                    },
                    count: if trades { vol as i32 } else { -1 },
                })
            }
        }
    }

    // ------------------------------------------------------------ account

    pub fn valued_holdings(&mut self) -> Vec<(i32, usize, Valued)> {
        let holdings: Vec<(i32, account::Holding)> = self
            .account
            .holdings
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect();
        let mut out = Vec::new();
        for (con_id, h) in holdings {
            let Some(i) = self.registry.by_con_id(con_id) else {
                continue;
            };
            let q = self.quote(i);
            let ins = self.registry.instruments[i].clone();
            let underlying = self.underlying_last(ins.underlying, self.now);
            out.push((
                con_id,
                i,
                Valued {
                    holding: h,
                    mark: q.last,
                    multiplier: ins.multiplier,
                    is_option: ins.is_option(),
                    underlying,
                },
            ));
        }
        out
    }

    pub fn summary(&mut self) -> Summary {
        let valued: Vec<Valued> = self
            .valued_holdings()
            .into_iter()
            .map(|(_, _, v)| v)
            .collect();
        account::summarize(&self.account, &valued)
    }

    // ------------------------------------------------------------ orders

    pub fn order_index(&self, client_id: i32, order_id: i32) -> Option<usize> {
        self.orders
            .iter()
            .position(|o| o.client_id == client_id && o.order_id == order_id)
    }

    pub fn order_proto(&self, o: &SimOrder) -> msg::Order {
        msg::Order {
            client_id: Some(o.client_id),
            order_id: Some(o.order_id),
            perm_id: Some(o.perm_id),
            parent_id: (o.parent_id != 0).then_some(o.parent_id),
            action: Some(o.side.action_text().into()),
            total_quantity: Some(dec(o.quantity)),
            order_type: Some(o.kind.type_text().into()),
            lmt_price: o.kind.limit(),
            aux_price: o.kind.stop(),
            tif: Some(o.tif.clone()),
            account: Some(o.account.clone()),
            all_or_none: o.all_or_none.then_some(true),
            outside_rth: None,
            good_till_date: None,
            oca_group: (!o.oca_group.is_empty()).then(|| o.oca_group.clone()),
            order_ref: (!o.order_ref.is_empty()).then(|| o.order_ref.clone()),
            smart_combo_routing_params: Default::default(),
            what_if: None,
            transmit: Some(true),
            filled_quantity: Some(dec(o.filled)),
        }
    }

    pub fn order_state_proto(&self, o: &SimOrder) -> msg::OrderState {
        msg::OrderState {
            status: Some(o.status.text().into()),
            commission_and_fees: (o.filled > 0.0).then_some(o.commission),
            commission_and_fees_currency: Some("USD".into()),
            reject_reason: (o.status == Status::Inactive && !o.completed_status.is_empty())
                .then(|| o.completed_status.clone()),
            warning_text: None,
            completed_time: o.completed_at.map(timefmt::tws_datetime),
            completed_status: o.completed_at.map(|_| o.completed_status.clone()),
        }
    }

    pub fn open_order_msg(&self, o: &SimOrder) -> msg::OpenOrder {
        msg::OpenOrder {
            order_id: Some(o.order_id),
            contract: Some(o.contract.clone()),
            order: Some(self.order_proto(o)),
            order_state: Some(self.order_state_proto(o)),
        }
    }

    pub fn order_status_msg(&self, o: &SimOrder) -> msg::OrderStatus {
        msg::OrderStatus {
            order_id: Some(o.order_id),
            status: Some(o.status.text().into()),
            filled: Some(dec(o.filled)),
            remaining: Some(dec(
                if o.status == Status::Cancelled || o.status == Status::Inactive {
                    0.0
                } else {
                    o.remaining()
                },
            )),
            avg_fill_price: Some(o.avg_fill_price),
            perm_id: Some(o.perm_id),
            parent_id: Some(o.parent_id),
            last_fill_price: Some(o.last_fill_price),
            client_id: Some(o.client_id),
            why_held: Some(String::new()),
            mkt_cap_price: Some(0.0),
        }
    }

    /// openOrder + orderStatus to every session of the order's client.
    pub fn publish_order(&mut self, idx: usize, with_open_order: bool) {
        let Some(o) = self.orders.get(idx).cloned() else {
            return;
        };
        let oo = self.open_order_msg(&o);
        let os = self.order_status_msg(&o);
        for sid in self.sessions_of(o.client_id) {
            if with_open_order {
                self.send(sid, inc::OPEN_ORDER, &oo);
            }
            self.send(sid, inc::ORDER_STATUS, &os);
        }
    }

    pub fn set_status(&mut self, idx: usize, status: Status, reason: &str) {
        let now = self.now;
        if let Some(o) = self.orders.get_mut(idx) {
            o.status = status;
            if status.is_terminal() {
                o.completed_at = Some(now);
                o.completed_status = reason.to_owned();
            }
        }
        self.publish_order(idx, true);
    }

    /// Moves a transmitted order to its working state: PreSubmitted while
    /// it waits (parent unfilled, stop untriggered), Submitted otherwise.
    pub fn activate(&mut self, idx: usize) {
        let Some(o) = self.orders.get(idx).cloned() else {
            return;
        };
        if o.status.is_terminal() {
            return;
        }
        if let Some(o) = self.orders.get_mut(idx) {
            o.transmit = true;
        }
        self.set_status(idx, Status::PreSubmitted, "");
        if !self.waits(idx) {
            self.set_status(idx, Status::Submitted, "");
        }
    }

    /// True while an order must not trade yet: its parent has not filled or
    /// its stop has not triggered.
    fn waits(&self, idx: usize) -> bool {
        let Some(o) = self.orders.get(idx) else {
            return true;
        };
        if o.parent_id != 0 {
            let parent = self
                .orders
                .iter()
                .find(|p| p.client_id == o.client_id && p.order_id == o.parent_id);
            if parent.is_some_and(|p| p.status != Status::Filled) {
                return true;
            }
        }
        matches!(o.kind, OrderKind::Stop(_) | OrderKind::StopLimit { .. }) && !o.triggered
    }

    /// Tries every working order against the current quotes.
    pub fn match_orders(&mut self, arriving: Option<usize>) {
        let candidates: Vec<usize> = match arriving {
            Some(i) => vec![i],
            None => (0..self.orders.len()).collect(),
        };
        for idx in candidates {
            let Some(o) = self.orders.get(idx).cloned() else {
                continue;
            };
            if !o.is_working() || !o.transmit {
                continue;
            }
            let parent_pending = o.parent_id != 0
                && self.orders.iter().any(|p| {
                    p.client_id == o.client_id
                        && p.order_id == o.parent_id
                        && p.status != Status::Filled
                });
            if parent_pending {
                continue;
            }
            match &o.target {
                Target::Single(i) => {
                    let q = self.quote(*i);
                    let (px, fired) = orders::match_single(o.kind, o.side, o.triggered, &q);
                    if fired {
                        if let Some(ord) = self.orders.get_mut(idx) {
                            ord.triggered = true;
                        }
                        if o.status == Status::PreSubmitted {
                            self.set_status(idx, Status::Submitted, "");
                        }
                    } else if o.status == Status::PreSubmitted && !self.waits(idx) {
                        self.set_status(idx, Status::Submitted, "");
                    }
                    if let Some(px) = px {
                        let mut qty = o.remaining();
                        if !o.all_or_none
                            && let Some(cap) = self.cfg.max_fill_per_step
                        {
                            qty = qty.min(cap);
                        }
                        self.fill_single(idx, *i, qty, px, arriving.is_some());
                    }
                }
                Target::Combo(legs) => {
                    if o.status == Status::PreSubmitted {
                        self.set_status(idx, Status::Submitted, "");
                    }
                    let quotes: Vec<Quote> =
                        legs.iter().map(|l| self.quote(l.instrument)).collect();
                    let (net, prices) = orders::combo_natural(legs, o.side, &quotes);
                    if orders::combo_marketable(o.kind, o.side, net) {
                        self.fill_combo(idx, legs.clone(), prices, net, arriving.is_some());
                    }
                }
            }
        }
    }

    fn next_exec_id(&mut self, leg: usize) -> String {
        if leg == 0 {
            self.exec_seq += 1;
        }
        format!(
            "{:08x}.{:08x}.{:02}.01",
            0x0000_e0d5u32.wrapping_add(self.epoch),
            self.exec_seq,
            leg + 1
        )
    }

    /// Books one execution of `qty` of instrument `i` for order `idx`.
    #[allow(clippy::too_many_arguments)]
    fn book_execution(
        &mut self,
        idx: usize,
        i: usize,
        side: orders::Side,
        qty: f64,
        price: f64,
        leg: usize,
        first: bool,
        removed: bool,
    ) -> ExecRecord {
        let ins = self.registry.instruments[i].clone();
        let fee = orders::commission(
            &self.cfg.commissions,
            ins.is_option(),
            qty,
            price,
            ins.multiplier,
            first,
        );
        let realized =
            self.account
                .apply_fill(ins.con_id, side.sign() * qty, price, ins.multiplier, fee);
        let o = &self.orders[idx];
        let prior: Vec<&ExecRecord> = self
            .executions
            .iter()
            .filter(|e| e.perm_id == o.perm_id && e.con_id == ins.con_id)
            .collect();
        let prev_qty: f64 = prior.iter().map(|e| e.shares).sum();
        let prev_notional: f64 = prior.iter().map(|e| e.shares * e.price).sum();
        let cum = prev_qty + qty;
        let rec = ExecRecord {
            exec_id: String::new(),
            order_id: o.order_id,
            client_id: o.client_id,
            perm_id: o.perm_id,
            instrument: i,
            con_id: ins.con_id,
            side,
            shares: qty,
            price,
            time: self.now,
            cum_qty: cum,
            avg_price: ((prev_notional + qty * price) / cum * 1e6).round() / 1e6,
            order_ref: o.order_ref.clone(),
            commission: fee,
            realized_pnl: realized,
            removed_liquidity: removed,
        };
        let exec_id = self.next_exec_id(leg);
        let rec = ExecRecord { exec_id, ..rec };
        self.executions.push(rec.clone());
        rec
    }

    pub fn exec_details_msg(&self, req_id: i32, e: &ExecRecord) -> msg::ExecutionDetails {
        let ins = &self.registry.instruments[e.instrument];
        let exchange = match ins.kind {
            Kind::Stock => self.registry.underlyings[ins.underlying]
                .primary_exchange
                .clone(),
            Kind::Option { .. } => "CBOE".to_owned(),
        };
        msg::ExecutionDetails {
            req_id: Some(req_id),
            contract: Some(msg::Contract {
                exchange: Some(exchange.clone()),
                ..self.registry.contract_proto(e.instrument)
            }),
            execution: Some(msg::Execution {
                order_id: Some(e.order_id),
                exec_id: Some(e.exec_id.clone()),
                time: Some(timefmt::tws_datetime(e.time)),
                acct_number: Some(self.account.code.clone()),
                exchange: Some(exchange),
                side: Some(e.side.exec_text().into()),
                shares: Some(dec(e.shares)),
                price: Some(e.price),
                perm_id: Some(e.perm_id),
                client_id: Some(e.client_id),
                is_liquidation: Some(false),
                cum_qty: Some(dec(e.cum_qty)),
                avg_price: Some(e.avg_price),
                order_ref: (!e.order_ref.is_empty()).then(|| e.order_ref.clone()),
                last_liquidity: Some(if e.removed_liquidity { 2 } else { 1 }),
            }),
        }
    }

    pub fn commission_msg(e: &ExecRecord) -> msg::CommissionAndFeesReport {
        msg::CommissionAndFeesReport {
            exec_id: Some(e.exec_id.clone()),
            commission_and_fees: Some(e.commission),
            currency: Some("USD".into()),
            // TWS marks "no value" with DBL_MAX.
            realized_pnl: Some(e.realized_pnl.unwrap_or(f64::MAX)),
            // Bond-only fields stay absent: the official client parses a
            // present yieldRedemptionDate as an integer.
            bond_yield: None,
            yield_redemption_date: None,
        }
    }

    fn publish_execution(&mut self, e: &ExecRecord) {
        let details = self.exec_details_msg(-1, e);
        let report = Self::commission_msg(e);
        for sid in self.sessions_of(e.client_id) {
            self.send(sid, inc::EXECUTION_DATA, &details);
        }
        self.publish_position(e.con_id);
        for sid in self.sessions_of(e.client_id) {
            self.send(sid, inc::COMMISSION_AND_FEES_REPORT, &report);
        }
    }

    fn publish_position(&mut self, con_id: i32) {
        let Some(i) = self.registry.by_con_id(con_id) else {
            return;
        };
        let h = self
            .account
            .holdings
            .get(&con_id)
            .copied()
            .unwrap_or_default();
        let m = msg::Position {
            account: Some(self.account.code.clone()),
            contract: Some(self.registry.contract_proto(i)),
            position: Some(dec(h.quantity)),
            avg_cost: Some(h.avg_cost),
        };
        let subs: Vec<u64> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.positions_sub)
            .map(|(k, _)| *k)
            .collect();
        for sid in subs {
            self.send(sid, inc::POSITION_DATA, &m);
        }
    }

    fn fill_single(&mut self, idx: usize, i: usize, qty: f64, price: f64, removed: bool) {
        if qty <= 0.0 {
            return;
        }
        let side = self.orders[idx].side;
        let first = self.orders[idx].filled == 0.0;
        let rec = self.book_execution(idx, i, side, qty, price, 0, first, removed);
        {
            let o = &mut self.orders[idx];
            let notional = o.avg_fill_price * o.filled + qty * price;
            o.filled += qty;
            o.avg_fill_price = (notional / o.filled * 1e6).round() / 1e6;
            o.last_fill_price = price;
            o.commission += rec.commission;
        }
        self.publish_execution(&rec);
        self.after_fill(idx);
    }

    fn fill_combo(
        &mut self,
        idx: usize,
        legs: Vec<orders::Leg>,
        prices: Vec<f64>,
        net: f64,
        removed: bool,
    ) {
        let o = self.orders[idx].clone();
        let qty = o.remaining();
        if qty <= 0.0 {
            return;
        }
        let mut recs = Vec::new();
        for (k, (leg, px)) in legs.iter().zip(&prices).enumerate() {
            let leg_side = if o.side == orders::Side::Buy {
                leg.side
            } else {
                leg.side.flip()
            };
            recs.push(self.book_execution(
                idx,
                leg.instrument,
                leg_side,
                qty * leg.ratio,
                *px,
                k,
                true,
                removed,
            ));
        }
        {
            let ord = &mut self.orders[idx];
            ord.filled = ord.quantity;
            ord.avg_fill_price = net;
            ord.last_fill_price = net;
            ord.commission += recs.iter().map(|r| r.commission).sum::<f64>();
        }
        for r in &recs {
            self.publish_execution(r);
        }
        self.after_fill(idx);
    }

    /// Status after a fill; releases children; cancels OCA siblings.
    fn after_fill(&mut self, idx: usize) {
        let done = self.orders[idx].remaining() <= 1e-9;
        if done {
            self.set_status(idx, Status::Filled, "Filled");
        } else {
            self.publish_order(idx, false);
        }
        if !done {
            return;
        }
        let o = self.orders[idx].clone();
        // Bracket children start working once the parent fills.
        let children: Vec<usize> = (0..self.orders.len())
            .filter(|&j| {
                let c = &self.orders[j];
                c.client_id == o.client_id
                    && c.parent_id == o.order_id
                    && c.transmit
                    && !c.status.is_terminal()
            })
            .collect();
        for j in children {
            if !self.waits(j) {
                self.set_status(j, Status::Submitted, "");
            }
        }
        // One fill of an OCA group (or of a bracket child) cancels the rest.
        let siblings: Vec<usize> = (0..self.orders.len())
            .filter(|&j| {
                let s = &self.orders[j];
                j != idx
                    && s.client_id == o.client_id
                    && !s.status.is_terminal()
                    && ((!o.oca_group.is_empty() && s.oca_group == o.oca_group)
                        || (o.parent_id != 0 && s.parent_id == o.parent_id))
            })
            .collect();
        for j in siblings {
            self.set_status(j, Status::Cancelled, "Cancelled by OCA");
        }
    }

    // ------------------------------------------------------------ clock

    /// Advances simulated time by one second: orders match, market data,
    /// bars and keepUpToDate updates go out.
    pub fn step(&mut self) {
        self.now += 1;
        self.match_orders(None);
        self.publish_market_data();
        if self.now % 5 == 0 {
            self.publish_bars();
        }
    }

    fn option_tick(
        &mut self,
        req_id: i32,
        tick_type: i32,
        m: &OptionModel,
        price: f64,
        implied: bool,
    ) -> Option<msg::TickOptionComputation> {
        let vol = if implied {
            implied_vol_bsm(
                m.right,
                price,
                m.spot,
                m.strike,
                m.years,
                m.rate,
                m.dividend_yield,
            )
            .ok()?
        } else {
            m.vol
        };
        let g = OptionModel { vol, ..*m }.greeks()?;
        Some(msg::TickOptionComputation {
            req_id: Some(req_id),
            tick_type: Some(tick_type),
            tick_attrib: Some(if implied { 1 } else { 0 }),
            implied_vol: Some(vol),
            delta: Some(g.delta),
            opt_price: Some(if implied { price } else { g.price }),
            pv_dividend: Some(m.pv_dividend()),
            gamma: Some(g.gamma),
            vega: Some(g.vega_per_point()),
            theta: Some(g.theta_per_day()),
            und_price: Some(m.spot),
        })
    }

    /// All ticks describing `q` for a subscription, only the changes
    /// against `prev`.
    pub fn tick_messages(&mut self, sid: u64, req_id: i32, sub: &mut MktSub, prev: Option<Quote>) {
        let q = self.quote(sub.instrument);
        let price_tick = |tick: i32, price: f64, size: f64| msg::TickPrice {
            req_id: Some(req_id),
            tick_type: Some(tick),
            price: Some(price),
            size: Some(dec(size)),
            attr_mask: Some(0),
        };
        let size_tick = |tick: i32, size: f64| msg::TickSize {
            req_id: Some(req_id),
            tick_type: Some(tick),
            size: Some(dec(size)),
        };
        let pairs = [
            (1, 0, q.bid, q.bid_size, prev.map(|p| (p.bid, p.bid_size))),
            (2, 3, q.ask, q.ask_size, prev.map(|p| (p.ask, p.ask_size))),
            (
                4,
                5,
                q.last,
                q.last_size,
                prev.map(|p| (p.last, p.last_size)),
            ),
        ];
        for (ptick, stick, px, sz, before) in pairs {
            match before {
                Some((bpx, _)) if bpx == px => {
                    if before.is_some_and(|(_, bsz)| bsz != sz) {
                        self.send(sid, inc::TICK_SIZE, &size_tick(stick, sz));
                    }
                }
                _ => {
                    self.send(sid, inc::TICK_PRICE, &price_tick(ptick, px, sz));
                    self.send(sid, inc::TICK_SIZE, &size_tick(stick, sz));
                }
            }
        }
        let ins = self.registry.instruments[sub.instrument].clone();
        let vol_now = match ins.kind {
            Kind::Stock => self.paths[ins.underlying].volume_at(self.now),
            Kind::Option { .. } => {
                (market::mix(self.cfg.seed, ins.con_id as u64, self.now) % 3) as f64
            }
        };
        if prev.is_some() {
            sub.volume += vol_now;
        }
        let mut hl_changed = prev.is_none();
        if q.last > sub.high {
            sub.high = q.last;
            hl_changed = true;
        }
        if q.last < sub.low {
            sub.low = q.last;
            hl_changed = true;
        }
        if hl_changed {
            self.send(sid, inc::TICK_PRICE, &price_tick(6, sub.high, 0.0));
            self.send(sid, inc::TICK_PRICE, &price_tick(7, sub.low, 0.0));
        }
        if prev.is_none() || vol_now > 0.0 {
            self.send(sid, inc::TICK_SIZE, &size_tick(8, sub.volume));
        }
        if ins.is_option()
            && prev != Some(q)
            && let Some(m) = self.option_model(sub.instrument, self.now)
        {
            for (tick, px, implied) in [
                (10, q.bid, true),
                (11, q.ask, true),
                (12, q.last, true),
                (13, 0.0, false),
            ] {
                if let Some(t) = self.option_tick(req_id, tick, &m, px, implied) {
                    self.send(sid, inc::TICK_OPTION_COMPUTATION, &t);
                }
            }
        }
        sub.last = Some(q);
    }

    fn publish_market_data(&mut self) {
        let sids: Vec<u64> = self.sessions.keys().copied().collect();
        for sid in sids {
            let subs: Vec<(i32, MktSub)> = match self.sessions.get(&sid) {
                Some(s) => s.mkt.iter().map(|(k, v)| (*k, v.clone())).collect(),
                None => continue,
            };
            for (req_id, mut sub) in subs {
                let prev = sub.last;
                self.tick_messages(sid, req_id, &mut sub, prev);
                if let Some(s) = self.sessions.get_mut(&sid)
                    && let Some(slot) = s.mkt.get_mut(&req_id)
                {
                    *slot = sub;
                }
            }
        }
    }

    pub fn bar_date(&self, t: i64, bar_secs: i64, format_date: i32) -> String {
        if bar_secs >= 86_400 {
            timefmt::tws_date(t)
        } else if format_date == 2 {
            t.to_string()
        } else {
            timefmt::tws_datetime(t)
        }
    }

    /// Start of the bar containing `t` (bars align to Eastern midnight).
    pub fn align(t: i64, bar_secs: i64) -> i64 {
        let midnight = timefmt::eastern_midnight(timefmt::eastern_date(t));
        midnight + (t - midnight).div_euclid(bar_secs) * bar_secs
    }

    pub fn bar_proto(
        &self,
        t: i64,
        bar_secs: i64,
        format_date: i32,
        b: &market::Ohlc,
    ) -> msg::HistoricalDataBar {
        msg::HistoricalDataBar {
            date: Some(self.bar_date(t, bar_secs, format_date)),
            open: Some(b.open),
            high: Some(b.high),
            low: Some(b.low),
            close: Some(b.close),
            volume: Some(dec(b.volume)),
            wap: Some(dec(b.wap)),
            bar_count: Some(b.count),
        }
    }

    fn publish_bars(&mut self) {
        let now = self.now;
        let sids: Vec<u64> = self.sessions.keys().copied().collect();
        for sid in sids {
            let (bars, hists) = match self.sessions.get(&sid) {
                Some(s) => (
                    s.rt_bars
                        .iter()
                        .map(|(k, v)| (*k, v.clone()))
                        .collect::<Vec<_>>(),
                    s.hist
                        .iter()
                        .map(|(k, v)| (*k, v.clone()))
                        .collect::<Vec<_>>(),
                ),
                None => continue,
            };
            for (req_id, sub) in bars {
                if let Some(b) = self.ohlc(sub.instrument, now - 5, now, sub.what) {
                    let m = msg::RealTimeBarTick {
                        req_id: Some(req_id),
                        time: Some(now - 5),
                        open: Some(b.open),
                        high: Some(b.high),
                        low: Some(b.low),
                        close: Some(b.close),
                        volume: Some(dec(b.volume)),
                        wap: Some(dec(b.wap)),
                        count: Some(b.count),
                    };
                    self.send(sid, inc::REAL_TIME_BARS, &m);
                }
            }
            for (req_id, sub) in hists {
                let start = Self::align(now - 1, sub.bar_secs);
                if let Some(b) = self.ohlc(sub.instrument, start, now, sub.what) {
                    let bar = self.bar_proto(start, sub.bar_secs, sub.format_date, &b);
                    let m = msg::HistoricalDataUpdate {
                        req_id: Some(req_id),
                        historical_data_bar: Some(bar),
                    };
                    self.send(sid, inc::HISTORICAL_DATA_UPDATE, &m);
                }
            }
        }
    }

    /// Simulated restart: every socket closes, nextValidId rolls back.
    pub fn restart(&mut self, roll_back_by: i32) {
        for sid in self.sessions.keys().copied().collect::<Vec<_>>() {
            self.close_session(sid);
        }
        self.epoch += 1;
        self.next_valid_id = (self.next_valid_id - roll_back_by).max(1);
    }

    /// Delay between wall-clock steps in auto mode.
    pub fn step_every(&self) -> Option<Duration> {
        match self.cfg.clock {
            crate::config::ClockMode::Auto { step_every } => Some(step_every),
            crate::config::ClockMode::Manual => None,
        }
    }

    pub fn underlying_index(&self, symbol: &str) -> Option<usize> {
        self.registry
            .underlyings
            .iter()
            .position(|u| u.symbol.eq_ignore_ascii_case(symbol))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_render_like_tws() {
        assert_eq!(dec(100.0), "100");
        assert_eq!(dec(0.5), "0.5");
        assert_eq!(dec(-3.0), "-3");
        assert_eq!(dec(12.345), "12.345");
    }

    #[test]
    fn bars_align_to_eastern_midnight() {
        // 09:31:07 EDT on 2025-03-18.
        let t = 1_742_304_667;
        assert_eq!(SimState::align(t, 60), 1_742_304_660);
        assert_eq!(SimState::align(t, 5), 1_742_304_665);
        // 8-hour bars start at 08:00 EDT = 12:00 UTC.
        assert_eq!(SimState::align(t, 8 * 3600), 1_742_299_200);
    }
}
