//! The options backtest: one underlying's bars drive a chain source; at
//! each bar close the desk marks the open structures at the chain's mids,
//! lets the exit rules decide, settles what expires, and opens new
//! structures when the entry criteria, the builders and the portfolio
//! Greeks limits agree. Combos trade against the quotes of the snapshot
//! they were decided on ([`match_combo`]); the account is the same exact
//! [`Portfolio`] the stock engine books into, and the result is a
//! [`BacktestResult`] plus the [`OptionsLedger`].
//!
//! Deterministic: one chain per bar, positions in id order, contracts added
//! to the instrument table in the order they first trade.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use thiserror::Error;
use trade_calendar::Nyse;
use trade_core::{
    Bar, ClientOrderId, ExerciseStyle, Fill, Instrument, InstrumentId, InstrumentKind, Money,
    OptionRight, OptionTerms, Order, OrderIntent, OrderStatus, OrderType, Portfolio, Price, Qty,
    Settlement, Side, StrategyId, Symbol, TimeInForce, Timestamp,
};
use trade_options::chain::{ChainSnapshot, ContractKey, OptionQuote, QuoteSource};
use trade_options::exits::{
    Action, Adjustment, EntrySnapshot, ExitConfig, ExitEngine, ExitState, LegMark, PositionView,
    Urgency,
};
use trade_options::occ::OccSymbol;
use trade_options::portfolio::{
    PortfolioBook, PortfolioLimits, PositionRisk, StructureId, assess, check_entry,
};
use trade_options::pricing::{Bsm, Greeks, implied_vol_bsm, year_fraction};
use trade_options::structure::build::BuildError;
use trade_options::structure::{
    Bound, BuiltStructure, DteBucket, EntryCriteria, EntryMarket, ExpiryQuotes, PriceBasis,
    StrikeQuote, StrikeRule, Structure, VerticalKind, VerticalSpec,
};

use super::expiry::{SettlementPrice, settle_expiring};
use super::records::{EntryRefusalRecord, GreeksRow, LegRecord, OptionsLedger, PositionRecord};
use crate::broker::{
    ComboFillConfig, ComboLeg, ComboOutcome, CommissionModel, LegQuote, match_combo,
};
use crate::ledger::{BacktestResult, EquityRow, FillRow, PositionRow, TradeTracker};

/// Which structure a strategy opens.
#[derive(Debug, Clone, PartialEq)]
pub enum StructureChoice {
    /// Short iron condor: short strikes at the criteria's target delta,
    /// wings `wing` further out.
    IronCondor {
        /// Distance from each short strike to its long wing.
        wing: Price,
    },
    /// A vertical spread anchored at the criteria's target delta.
    Vertical {
        /// Bull put, bear call, bull call or bear put.
        kind: VerticalKind,
        /// Distance between the strikes.
        width: Price,
    },
}

impl StructureChoice {
    /// Builds the structure. A wing is "at least" its configured width: when
    /// the strike exactly that far out is not listed (outside the product's
    /// fine strike band only every $5 is), the next listed strike further
    /// out is used, within the criteria's maximum width.
    fn build(
        &self,
        criteria: &EntryCriteria,
        qty: Qty,
        quotes: &ExpiryQuotes,
    ) -> Result<BuiltStructure, BuildError> {
        let (mut put_wing, mut call_wing) = match self {
            StructureChoice::IronCondor { wing } => (*wing, *wing),
            StructureChoice::Vertical { width, .. } => (*width, *width),
        };
        // Each retry widens one side; two sides, so at most two retries.
        let mut attempt = 0;
        loop {
            let built = match self {
                StructureChoice::IronCondor { .. } => {
                    let mut spec = criteria.iron_condor_spec(put_wing, qty);
                    spec.call_wing = call_wing;
                    spec.build(quotes)
                }
                StructureChoice::Vertical { kind, .. } => VerticalSpec {
                    kind: *kind,
                    anchor: StrikeRule::Delta {
                        target: criteria.target_delta,
                        tolerance: criteria.delta_tolerance,
                    },
                    width: put_wing,
                    quantity: qty,
                    min_credit: matches!(kind, VerticalKind::BullPut | VerticalKind::BearCall)
                        .then_some(criteria.min_credit),
                    max_debit: None,
                    max_width: Some(criteria.max_width),
                    basis: criteria.basis,
                }
                .build(quotes),
            };
            let Err(BuildError::WingMissing {
                right,
                from,
                wanted,
                ..
            }) = &built
            else {
                return built;
            };
            if attempt == 2 {
                return built;
            }
            let further = quotes
                .quotes
                .iter()
                .filter(|q| q.right == *right && q.is_usable())
                .map(|q| q.strike)
                .filter(|k| match right {
                    OptionRight::Put => k < wanted,
                    OptionRight::Call => k > wanted,
                })
                .min_by_key(|k| (k.raw() - wanted.raw()).abs());
            let Some(k) = further else { return built };
            let width = Price::from_raw((from.raw() - k.raw()).abs());
            if width > criteria.max_width {
                return built;
            }
            match (self, right) {
                (StructureChoice::IronCondor { .. }, OptionRight::Put) => put_wing = width,
                (StructureChoice::IronCondor { .. }, OptionRight::Call) => call_wing = width,
                (StructureChoice::Vertical { .. }, _) => put_wing = width,
            }
            attempt += 1;
        }
    }
}

/// One options strategy instance.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionsStrategy {
    /// Instance name (ledgers, reports).
    pub name: String,
    /// What it opens.
    pub structure: StructureChoice,
    /// When and what it may open.
    pub entry: EntryCriteria,
    /// Preferred calendar days to expiry: the listed expiry nearest to it
    /// that the bucket accepts.
    pub target_dte: i32,
    /// Structures per entry.
    pub contracts: Qty,
    /// Most structures open at once.
    pub max_open: usize,
    /// How far below the mid credit (above the mid debit) a limit goes, at
    /// least.
    pub concession: Price,
    /// How far, as a fraction of the distance from mid to natural, a limit
    /// goes at least (0.5 meets a market that fills halfway): scales with
    /// the spreads, where `concession` does not.
    pub concession_fraction: f64,
}

/// The product's contract terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractSpec {
    /// Shares per contract.
    pub multiplier: u32,
    /// American for ETF options, European for index options.
    pub style: ExerciseStyle,
    /// Shares for ETF options, cash for index options.
    pub settlement: Settlement,
    /// Minimum price increment of combo limits.
    pub tick: Price,
}

impl Default for ContractSpec {
    fn default() -> Self {
        ContractSpec {
            multiplier: 100,
            style: ExerciseStyle::American,
            settlement: Settlement::Physical,
            tick: Price::from_cents(1),
        }
    }
}

/// How an options backtest trades.
#[derive(Debug, Clone)]
pub struct OptionsSpec {
    /// Starting cash.
    pub initial_cash: Money,
    /// Option commissions, per contract (units = contracts across legs).
    pub commission: CommissionModel,
    /// Commission on shares delivered by exercise and sold again.
    pub stock_commission: CommissionModel,
    /// Combo fill model.
    pub combo: ComboFillConfig,
    /// Exit rules.
    pub exits: ExitConfig,
    /// Portfolio Greeks limits.
    pub limits: PortfolioLimits,
    /// Contract terms.
    pub contract: ContractSpec,
    /// Rate and dividend yield for Greeks the chain does not carry.
    pub rate: f64,
    /// See `rate`.
    pub dividend_yield: f64,
    /// The strategy.
    pub strategy: OptionsStrategy,
    /// Closes of the Greeks limits' benchmark (SPY), in time order, when it
    /// is not the underlying itself: beta-weighted delta converts the
    /// underlying's shares into benchmark shares at the price ratio.
    pub benchmark_closes: Vec<(Timestamp, Price)>,
}

/// Where chains come from.
pub trait ChainSource {
    /// The chain of `underlying` at `ts` (a bar close on `date`, the
    /// underlying at `spot`); `None` when there is none for that date.
    ///
    /// # Errors
    /// A message naming what failed.
    fn snapshot(
        &mut self,
        date: Date,
        ts: Timestamp,
        spot: Price,
    ) -> Result<Option<ChainSnapshot>, String>;

    /// VIX close on `date`, if the source knows it.
    fn vix(&self, date: Date) -> Option<f64>;

    /// What it is, for the run's provenance.
    fn describe(&self) -> String;
}

/// Why an options backtest cannot run.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum OptionsBacktestError {
    /// The chain source failed.
    #[error("chain for {date}: {message}")]
    Chain {
        /// The date asked for.
        date: Date,
        /// What failed.
        message: String,
    },
    /// The configuration cannot run (named field).
    #[error("{0}")]
    Config(String),
}

#[derive(Debug)]
struct OpenPosition {
    id: StructureId,
    structure: Structure,
    legs: Vec<InstrumentId>,
    entry: EntrySnapshot,
    state: ExitState,
    marks: Vec<LegMark>,
    /// Per-unit Greeks of each leg at its last mark, in step with `marks`.
    greeks: Vec<Greeks>,
    record: usize,
    realized: Money,
    /// Shares of the underlying held as this structure's delta hedge (+ long).
    hedge: i64,
}

/// The options desk stepped one bar at a time: what
/// [`run_options_backtest`] drives over history, and what a paper session
/// drives on a wall clock from a live or replayed feed. Its orders, fills
/// and records grow as it steps; callers read the new ones with the
/// accessors (by length) after each bar.
#[derive(Debug)]
pub struct OptionsDesk<'a> {
    spec: &'a OptionsSpec,
    engine: ExitEngine,
    ny: TimeZone,
    underlying: Symbol,
    instruments: Vec<Instrument>,
    contracts: BTreeMap<ContractKey, InstrumentId>,
    portfolio: Portfolio,
    open: Vec<OpenPosition>,
    next_position: u64,
    next_order: u64,
    orders: Vec<Order>,
    fills: Vec<FillRow>,
    positions: Vec<PositionRow>,
    equity: Vec<EquityRow>,
    trades: TradeTracker,
    closed_trades: Vec<crate::ledger::Trade>,
    ledger: OptionsLedger,
    /// Shares left over by a partial assignment, sold at the next bar.
    to_liquidate: bool,
    vix_prev_close: Option<f64>,
    strategy_id: StrategyId,
    /// Bars stepped.
    bars: u64,
    /// The last step's underlying price, time, New York date and VIX: what
    /// [`OptionsDesk::open_structures`] evaluates proximity at.
    last: Option<(Price, Timestamp, Date, Option<f64>)>,
}

/// One open structure as a dashboard shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OpenStructure {
    /// Position id.
    pub id: u64,
    /// Structure kind (`iron_condor`, `bull_put_spread`, ...).
    pub kind: String,
    /// Units of the structure.
    pub quantity: u64,
    /// When it was opened.
    pub opened: Timestamp,
    /// Sessions to the nearest expiry.
    pub dte: u32,
    /// Each leg now.
    pub legs: Vec<OpenLeg>,
    /// Net premium at entry (+ credit), dollars.
    pub entry_premium: f64,
    /// Open P&L at the mid, dollars (hedge excluded).
    pub pnl: f64,
    /// Position Greeks in dollars of the underlying (delta and gamma in
    /// shares, vega per vol point, theta per calendar day), hedge included
    /// in delta.
    pub delta: f64,
    /// Gamma (shares per dollar).
    pub gamma: f64,
    /// Vega per vol point.
    pub vega: f64,
    /// Theta per calendar day.
    pub theta: f64,
    /// Shares held as this structure's delta hedge.
    pub hedge_shares: i64,
    /// Exit rules by how close they are to firing (0 far, 1 fires), closest
    /// first.
    pub rules: Vec<(String, f64)>,
}

/// One leg of an [`OpenStructure`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OpenLeg {
    /// OCC symbol.
    pub symbol: String,
    /// Expiry date.
    pub expiry: Date,
    /// Contracts per unit (+ long, - short).
    pub ratio: i32,
    /// Fill price at entry.
    pub entry: Price,
    /// Bid now.
    pub bid: Price,
    /// Ask now.
    pub ask: Price,
    /// Implied volatility now.
    pub iv: f64,
    /// Delta per contract unit now.
    pub delta: f64,
}

/// Runs an options backtest over the underlying's bars (daily or intraday,
/// each stamped at its close).
///
/// # Errors
/// [`OptionsBacktestError`] when the chain source fails or the config is
/// inconsistent.
pub fn run_options_backtest(
    spec: &OptionsSpec,
    underlying: Instrument,
    bars: &[Bar],
    source: &mut dyn ChainSource,
) -> Result<(BacktestResult, OptionsLedger, Vec<Instrument>), OptionsBacktestError> {
    let mut desk = OptionsDesk::new(spec, underlying, source)?;
    for bar in bars {
        desk.bar(bar, source)?;
    }
    Ok(desk.finish())
}

impl OptionsSpec {
    fn entry_check(&self) -> Result<(), OptionsBacktestError> {
        self.strategy.entry.validate().map_err(|e| {
            OptionsBacktestError::Config(format!("options.entry: {}", e.join("; ")))
        })?;
        self.combo
            .validate()
            .map_err(OptionsBacktestError::Config)?;
        if self.strategy.contracts.get() == 0 || self.strategy.max_open == 0 {
            return Err(OptionsBacktestError::Config(
                "options.strategy: contracts and max_open must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// Which expiry an entry aims at: the strategy's calendar-day target, or a
/// roll's target in sessions (the exit rules count sessions).
#[derive(Debug, Clone, Copy)]
enum DteTarget {
    CalendarDays(i32),
    Sessions(u32),
}

/// Sessions from `from` to `to` (0 when `to` is `from`'s session).
fn sessions_to(from: Date, to: Date) -> u32 {
    if to <= from {
        return 0;
    }
    Nyse.sessions_in(from, to)
        .map(|s| s.iter().filter(|x| x.date > from).count() as u32)
        .unwrap_or(0)
}

fn bucket_name(b: DteBucket) -> String {
    match b {
        DteBucket::ZeroDte => "0dte".into(),
        DteBucket::OneDte => "1dte".into(),
        DteBucket::Swing { min_dte, .. } => format!("{min_dte}+dte"),
    }
}

impl<'a> OptionsDesk<'a> {
    /// A desk with no positions, its cash `spec.initial_cash`.
    ///
    /// # Errors
    /// [`OptionsBacktestError::Config`] when the exit rules or the entry
    /// criteria are inconsistent.
    pub fn new(
        spec: &'a OptionsSpec,
        underlying: Instrument,
        source: &dyn ChainSource,
    ) -> Result<Self, OptionsBacktestError> {
        let engine = ExitEngine::new(spec.exits.clone()).map_err(|e| {
            OptionsBacktestError::Config(format!("options.exits: {}", e.join("; ")))
        })?;
        spec.entry_check()?;
        let ny = TimeZone::get("America/New_York")
            .map_err(|e| OptionsBacktestError::Config(format!("time zone: {e}")))?;
        Ok(OptionsDesk {
            spec,
            engine,
            ny,
            underlying: underlying.symbol.clone(),
            portfolio: Portfolio::new(spec.initial_cash, &[underlying.multiplier]),
            instruments: vec![underlying],
            contracts: BTreeMap::new(),
            open: Vec::new(),
            next_position: 1,
            next_order: 1,
            orders: Vec::new(),
            fills: Vec::new(),
            positions: Vec::new(),
            equity: Vec::new(),
            trades: TradeTracker::new(1),
            closed_trades: Vec::new(),
            ledger: OptionsLedger {
                chain_source: source.describe(),
                ..OptionsLedger::default()
            },
            to_liquidate: false,
            vix_prev_close: None,
            strategy_id: StrategyId(spec.strategy.name.clone()),
            bars: 0,
            last: None,
        })
    }

    /// Orders so far (closed ones: the desk's combos fill or fail at once).
    pub fn orders(&self) -> &[Order] {
        &self.orders
    }

    /// Fills so far.
    pub fn fills(&self) -> &[FillRow] {
        &self.fills
    }

    /// Contracts traded so far; index = [`InstrumentId`] (0 is the underlying).
    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    /// The account.
    pub fn portfolio(&self) -> &Portfolio {
        &self.portfolio
    }

    /// Position records, Greeks rows and refusals so far.
    pub fn ledger(&self) -> &OptionsLedger {
        &self.ledger
    }

    /// Structures open now.
    pub fn open_positions(&self) -> usize {
        self.open.len()
    }

    /// Equity rows so far (one per bar).
    pub fn equity(&self) -> &[EquityRow] {
        &self.equity
    }

    /// Steps the desk over the underlying's next closed bar: mark, exits,
    /// expiry, entries, records.
    ///
    /// # Errors
    /// [`OptionsBacktestError::Chain`] when the chain source fails.
    pub fn bar(
        &mut self,
        bar: &Bar,
        source: &mut dyn ChainSource,
    ) -> Result<(), OptionsBacktestError> {
        self.bars += 1;
        self.step(bar, source)
    }

    fn step(
        &mut self,
        bar: &Bar,
        source: &mut dyn ChainSource,
    ) -> Result<(), OptionsBacktestError> {
        let ts = bar.ts;
        let date = ts.to_jiff().to_zoned(self.ny.clone()).date();
        if self.to_liquidate {
            self.liquidate_shares(bar.open, ts);
        }
        self.portfolio.mark(InstrumentId(0), bar.close);
        let chain = source
            .snapshot(date, ts, bar.close)
            .map_err(|message| OptionsBacktestError::Chain { date, message })?;
        let vix = source.vix(date);
        let mut rolls = Vec::new();
        if let Some(chain) = &chain {
            let p = chain.provenance();
            self.ledger.quotes.snapshots += 1;
            self.ledger.quotes.real += p.real as u64;
            self.ledger.quotes.modelled += p.modelled as u64;
            self.mark(chain);
            rolls = self.exits(chain, date, vix);
        }
        self.settle_expiring(date, ts, bar.close);
        if let Some(chain) = &chain {
            // A roll reopens the structure at its new DTE (if the entry
            // criteria still hold), before any regular entry.
            for sessions in rolls {
                self.entry(chain, date, vix, DteTarget::Sessions(sessions));
            }
            let days = self.spec.strategy.target_dte;
            self.entry(chain, date, vix, DteTarget::CalendarDays(days));
        }
        self.record_greeks(ts, bar.close);
        self.last = Some((bar.close, ts, date, vix));
        self.equity.push(EquityRow {
            ts,
            cash: self.portfolio.cash(),
            gross_exposure: self.portfolio.gross_exposure(),
            net_exposure: self.portfolio.net_exposure(),
        });
        if vix.is_some() {
            self.vix_prev_close = vix;
        }
        Ok(())
    }

    fn leg_greeks(&self, q: &OptionQuote, spot: Price, years: f64) -> Option<Greeks> {
        let mid = q.mid().to_f64();
        if let Some(g) = q.greeks.filter(|g| g.is_finite()) {
            return Some(Greeks {
                price: mid,
                delta: g.delta,
                gamma: g.gamma,
                vega: g.vega,
                theta: g.theta,
                rho: g.rho,
            });
        }
        let iv = q.iv.or_else(|| {
            implied_vol_bsm(
                q.right(),
                mid,
                spot.to_f64(),
                q.strike().to_f64(),
                years,
                self.spec.rate,
                self.spec.dividend_yield,
            )
            .ok()
        })?;
        Bsm {
            right: q.right(),
            spot: spot.to_f64(),
            strike: q.strike().to_f64(),
            years,
            rate: self.spec.rate,
            dividend_yield: self.spec.dividend_yield,
            vol: iv,
        }
        .greeks()
        .ok()
    }

    /// A leg's quote and per-unit Greeks in `chain`; `None` when the chain
    /// has no usable quote for it.
    fn leg_mark(&self, chain: &ChainSnapshot, terms: &OptionTerms) -> Option<(LegMark, Greeks)> {
        let q = chain.quote(&key_of(terms))?;
        let years = expiry_years(chain.ts(), terms.expiry);
        let g = self.leg_greeks(q, chain.underlying_price(), years)?;
        let mark = LegMark {
            bid: q.bid,
            ask: q.ask,
            delta: g.delta,
            gamma: g.gamma,
            iv: q.iv.unwrap_or(0.0),
        };
        Some((mark, g))
    }

    fn mark(&mut self, chain: &ChainSnapshot) {
        for p in 0..self.open.len() {
            for l in 0..self.open[p].legs.len() {
                let terms = self.open[p].structure.legs()[l].terms.clone();
                match self.leg_mark(chain, &terms) {
                    Some((m, g)) => {
                        self.open[p].marks[l] = m;
                        self.open[p].greeks[l] = g;
                        self.portfolio.mark(self.open[p].legs[l], m.mid());
                    }
                    None => self.ledger.quotes.stale_marks += 1,
                }
            }
        }
    }

    /// Evaluates the exit rules of every open structure and closes those
    /// that must go; returns the target DTEs of the ones closed to roll.
    fn exits(&mut self, chain: &ChainSnapshot, date: Date, vix: Option<f64>) -> Vec<u32> {
        let mut rolls = Vec::new();
        let book = self.risk_book(chain.underlying_price(), chain.ts());
        let assessment = assess(&self.spec.limits, &book).ok();
        let mut p = 0;
        while p < self.open.len() {
            let pos = &self.open[p];
            let expiry = pos.structure.legs().iter().map(|l| l.terms.expiry).min();
            let dte = expiry.map_or(0, |e| sessions_to(date, e));
            let signal = assessment.as_ref().and_then(|a| a.signal_for(pos.id));
            let vol = pos
                .marks
                .iter()
                .map(|m| m.iv)
                .filter(|v| *v > 0.0)
                .fold(None, |acc: Option<f64>, v| {
                    Some(acc.map_or(v, |a| a.max(v)))
                })
                .or(vix.map(|v| v / 100.0))
                .unwrap_or(0.2);
            let view = PositionView {
                id: pos.id,
                structure: &pos.structure,
                entry: &pos.entry,
                legs: &pos.marks,
                underlying: chain.underlying_price(),
                volatility: vol,
                vix,
                vix_open: self.vix_prev_close,
                now: chain.ts(),
                dte,
                session_close: None,
                portfolio: signal.as_ref(),
                hedge_shares: pos.hedge,
            };
            let mut state = pos.state.clone();
            let evaluation = self.engine.evaluate(&view, &mut state);
            self.open[p].state = state;
            let Ok(evaluation) = evaluation else {
                p += 1;
                continue;
            };
            if let Some(record) = evaluation.record {
                self.ledger.decisions.push(record);
            }
            let d = evaluation.decision;
            match d.action {
                Action::Hold => {
                    p += 1;
                    continue;
                }
                Action::Adjust(Adjustment::HedgeDelta { shares }) => {
                    self.hedge(p, shares, chain.underlying_price(), chain.ts());
                    p += 1;
                    continue;
                }
                // Rolling only the tested side is not modelled: the desk
                // closes the whole structure, the conservative reading.
                Action::Close | Action::Roll { .. } | Action::Adjust(_) => {}
            }
            let rule = d.rule.map(|r| r.to_string());
            if self.close(p, chain, d.urgency, rule.as_deref(), &d.reason) {
                if let Action::Roll { to_dte } = d.action {
                    rolls.push(to_dte);
                }
                continue; // `close` removed position p
            }
            p += 1;
        }
        rolls
    }

    /// Sends a closing combo; true when it filled (the position is gone).
    fn close(
        &mut self,
        p: usize,
        chain: &ChainSnapshot,
        urgency: Urgency,
        rule: Option<&str>,
        reason: &str,
    ) -> bool {
        let pos = &self.open[p];
        let legs: Vec<ComboLeg> = pos
            .structure
            .legs()
            .iter()
            .zip(&pos.legs)
            .map(|(l, &instrument)| ComboLeg {
                instrument,
                ratio: -l.ratio,
            })
            .collect();
        let quotes: Vec<LegQuote> = pos
            .marks
            .iter()
            .map(|m| LegQuote {
                bid: m.bid,
                ask: m.ask,
            })
            .collect();
        // Closing pays up with urgency: near the mid normally, natural when
        // it must go now.
        let limit = match urgency {
            Urgency::High | Urgency::Immediate => natural_net(&legs, &quotes),
            _ => self.limit_price(&legs, &quotes),
        };
        let qty = pos.structure.quantity();
        let out = match_combo(
            &legs,
            limit,
            &quotes,
            self.spec.contract.tick,
            &self.spec.combo,
        );
        let ComboOutcome::Filled { leg_prices, net } = out else {
            return false;
        };
        let ts = chain.ts();
        let fills = self.book_combo(&legs, &leg_prices, qty, ts, "exit");
        let pos = self.open.remove(p);
        let (hedge_realized, hedge_commission) =
            self.unwind_hedge(pos.hedge, chain.underlying_price(), ts);
        let record = &mut self.ledger.positions[pos.record];
        record.closed = Some(ts);
        record.exit_net = Some(net);
        record.exit_rule = rule.map(str::to_string);
        record.exit_reason = Some(reason.to_string());
        for (leg, price) in record.legs.iter_mut().zip(&leg_prices) {
            leg.exit_price = Some(*price);
            leg.exit_kind = Some("closed".into());
        }
        let realized: Money = pos.realized + fills.0 + hedge_realized;
        record.commissions += fills.1 + hedge_commission;
        record.pnl = Some(realized - record.commissions);
        true
    }

    /// Books the legs of a filled combo; returns (realized P&L, commission).
    fn book_combo(
        &mut self,
        legs: &[ComboLeg],
        prices: &[Price],
        qty: Qty,
        ts: Timestamp,
        tag: &'static str,
    ) -> (Money, Money) {
        let contracts: u64 = legs
            .iter()
            .map(|l| u64::from(l.ratio.unsigned_abs()) * qty.get())
            .sum();
        let notional: Money = legs
            .iter()
            .zip(prices)
            .map(|(l, p)| {
                Money::notional(
                    *p,
                    Qty::new(u64::from(l.ratio.unsigned_abs()) * qty.get()),
                    self.spec.contract.multiplier,
                )
            })
            .sum();
        let commission = self.spec.commission.order_total(contracts, notional);
        let mut realized = Money::ZERO;
        for (i, (l, p)) in legs.iter().zip(prices).enumerate() {
            let side = if l.ratio > 0 { Side::Buy } else { Side::Sell };
            let units = Qty::new(u64::from(l.ratio.unsigned_abs()) * qty.get());
            // The combo's commission is charged once, on its first leg.
            let c = if i == 0 { commission } else { Money::ZERO };
            realized += self.book(l.instrument, side, units, *p, c, ts, tag);
        }
        (realized, commission)
    }

    /// One execution: an order in its final state, the fill, the position
    /// row. Returns the realized P&L.
    #[allow(clippy::too_many_arguments)]
    fn book(
        &mut self,
        instrument: InstrumentId,
        side: Side,
        qty: Qty,
        price: Price,
        commission: Money,
        ts: Timestamp,
        tag: &'static str,
    ) -> Money {
        let id = ClientOrderId(self.next_order);
        self.next_order += 1;
        self.orders.push(Order {
            id,
            broker_id: None,
            strategy: self.strategy_id.clone(),
            intent: OrderIntent {
                instrument,
                side,
                qty,
                order_type: OrderType::Limit { limit: price },
                tif: TimeInForce::Day,
                tag: tag.into(),
            },
            created: ts,
            status: OrderStatus::Filled,
            filled: qty,
            triggered: false,
            closed: Some(ts),
            reason: None,
        });
        let fill = Fill {
            order_id: id,
            instrument,
            side,
            qty,
            price,
            commission,
            ts,
        };
        let before = self.portfolio.position(instrument).qty;
        let realized = self.portfolio.apply_fill(&fill);
        let row = FillRow {
            fill,
            strategy: 0,
            realized,
        };
        self.trades.grow_to(self.portfolio.instrument_count());
        let multiplier = self.portfolio.position(instrument).multiplier;
        self.trades
            .on_fill(&row, before, multiplier, &mut self.closed_trades);
        let pos = self.portfolio.position(instrument);
        self.positions.push(PositionRow {
            ts,
            instrument,
            qty: pos.qty,
            cost_basis: pos.cost_basis,
            realized: pos.realized,
        });
        self.fills.push(row);
        realized
    }

    fn settle_expiring(&mut self, date: Date, ts: Timestamp, close: Price) {
        let mut p = 0;
        while p < self.open.len() {
            let expires = self.open[p]
                .structure
                .legs()
                .iter()
                .any(|l| l.terms.expiry <= date);
            if !expires {
                p += 1;
                continue;
            }
            let pos = self.open.remove(p);
            let qty = pos.structure.quantity().get() as i64;
            let (hedge_realized, hedge_commission) = self.unwind_hedge(pos.hedge, close, ts);
            let mut realized = pos.realized + hedge_realized;
            let mut kinds = Vec::new();
            for (leg, &instrument) in pos.structure.legs().iter().zip(&pos.legs) {
                let held = i64::from(leg.ratio) * qty;
                let actions = settle_expiring(
                    instrument,
                    &leg.terms,
                    leg.multiplier,
                    held,
                    InstrumentId(0),
                    SettlementPrice(close),
                );
                let mut leg_price = Price::ZERO;
                let mut kind = "expired";
                for a in actions {
                    if a.instrument == instrument {
                        leg_price = a.price;
                        kind = a.kind.tag();
                    } else {
                        self.to_liquidate = true;
                    }
                    realized += self.book(
                        a.instrument,
                        a.side,
                        a.qty,
                        a.price,
                        Money::ZERO,
                        ts,
                        a.kind.tag(),
                    );
                }
                kinds.push((leg_price, kind));
            }
            let record = &mut self.ledger.positions[pos.record];
            record.commissions += hedge_commission;
            record.closed = Some(ts);
            record.exit_rule = Some("expiry".into());
            record.exit_reason = Some(format!(
                "expired with {} at {close}",
                self.underlying.as_str()
            ));
            for (leg, (price, kind)) in record.legs.iter_mut().zip(kinds) {
                leg.exit_price = Some(price);
                leg.exit_kind = Some(kind.into());
            }
            // Delivered shares are part of the position's outcome only once
            // sold; their P&L lands on the underlying's own trade.
            record.pnl = Some(realized - record.commissions);
        }
    }

    fn liquidate_shares(&mut self, price: Price, ts: Timestamp) {
        self.to_liquidate = false;
        let hedges: i64 = self.open.iter().map(|p| p.hedge).sum();
        let held = self.portfolio.position(InstrumentId(0)).qty - hedges;
        if held == 0 {
            return;
        }
        let side = if held > 0 { Side::Sell } else { Side::Buy };
        let qty = Qty::new(held.unsigned_abs());
        let commission = self
            .spec
            .stock_commission
            .order_total(qty.get(), Money::notional(price, qty, 1));
        self.book(
            InstrumentId(0),
            side,
            qty,
            price,
            commission,
            ts,
            "assignment_liquidation",
        );
    }

    fn risk_book(&self, spot: Price, ts: Timestamp) -> PortfolioBook {
        let positions = self
            .open
            .iter()
            .filter_map(|p| self.position_risk(p, spot))
            .collect();
        PortfolioBook {
            positions,
            equity: self.portfolio.equity(),
            buying_power: self.buying_power(),
            benchmark_price: self.benchmark_price(ts).unwrap_or(spot),
        }
    }

    fn position_risk(&self, p: &OpenPosition, spot: Price) -> Option<PositionRisk> {
        let unrealized: Money = p
            .legs
            .iter()
            .map(|&i| {
                self.portfolio
                    .position(i)
                    .unrealized(self.portfolio.mark_of(i))
            })
            .sum();
        let mut risk = PositionRisk::new(
            p.id,
            &p.structure,
            &p.entry.leg_prices,
            &p.greeks,
            spot,
            unrealized,
        )
        .ok()?;
        risk.greeks.delta += p.hedge as f64;
        Some(risk)
    }

    /// Trades `shares` of the underlying at `price` as position `p`'s delta
    /// hedge; its P&L and commission belong to the position.
    fn hedge(&mut self, p: usize, shares: i64, price: Price, ts: Timestamp) {
        if shares == 0 {
            return;
        }
        let (realized, commission) = self.trade_shares(shares, price, ts, "delta_hedge");
        let pos = &mut self.open[p];
        pos.hedge += shares;
        pos.realized += realized;
        let record = &mut self.ledger.positions[pos.record];
        record.commissions += commission;
        record.hedge_trades += 1;
    }

    /// Closes a delta hedge of `shares` at `price`: (realized, commission).
    fn unwind_hedge(&mut self, shares: i64, price: Price, ts: Timestamp) -> (Money, Money) {
        if shares == 0 {
            return (Money::ZERO, Money::ZERO);
        }
        self.trade_shares(-shares, price, ts, "hedge_unwind")
    }

    /// Buys (`shares > 0`) or sells shares of the underlying at `price`
    /// with the stock commission: (realized, commission).
    fn trade_shares(
        &mut self,
        shares: i64,
        price: Price,
        ts: Timestamp,
        tag: &'static str,
    ) -> (Money, Money) {
        let side = if shares > 0 { Side::Buy } else { Side::Sell };
        let qty = Qty::new(shares.unsigned_abs());
        let commission = self
            .spec
            .stock_commission
            .order_total(qty.get(), Money::notional(price, qty, 1));
        let realized = self.book(InstrumentId(0), side, qty, price, commission, ts, tag);
        (realized, commission)
    }

    /// The benchmark's latest close at or before `ts`; `None` when the
    /// underlying is the benchmark (no series given).
    fn benchmark_price(&self, ts: Timestamp) -> Option<Price> {
        let closes = &self.spec.benchmark_closes;
        let i = closes.partition_point(|(t, _)| *t <= ts);
        i.checked_sub(1).map(|i| closes[i].1)
    }

    /// A working limit: the mid plus the larger of the fixed concession and
    /// the fractional one, on the tick against us, never beyond natural.
    fn limit_price(&self, legs: &[ComboLeg], quotes: &[LegQuote]) -> Price {
        let st = &self.spec.strategy;
        let (mid, natural) = (mid_net(legs, quotes), natural_net(legs, quotes));
        let fractional = ((natural.raw() - mid.raw()) as f64 * st.concession_fraction) as i64;
        let give = st.concession.raw().max(fractional);
        let limit = Price::from_raw(mid.raw().saturating_add(give))
            .round_to_tick(self.spec.contract.tick, trade_core::TickRounding::Up);
        limit.min(natural)
    }

    /// Cash not tied up by open structures' maximum losses.
    fn buying_power(&self) -> Money {
        let tied: Money = self
            .open
            .iter()
            .filter_map(|p| p.structure.buying_power(&p.entry.leg_prices).ok())
            .sum();
        self.portfolio.equity() - tied
    }

    fn refuse(&mut self, ts: Timestamp, check: &str, reason: String) {
        self.ledger.refusals.push(EntryRefusalRecord {
            ts,
            check: check.into(),
            reason,
        });
    }

    fn entry(&mut self, chain: &ChainSnapshot, date: Date, vix: Option<f64>, target: DteTarget) {
        let st = &self.spec.strategy;
        if self.open.len() >= st.max_open {
            return;
        }
        let ts = chain.ts();
        // The accepted expiries, nearest the target calendar DTE first.
        let mut expiries: Vec<Date> = chain
            .expiries()
            .iter()
            .copied()
            .filter(|e| st.entry.bucket.contains(sessions_to(date, *e)))
            .collect();
        expiries.sort_by_key(|e| {
            let distance = match target {
                DteTarget::CalendarDays(d) => (chain.dte(*e) - d).unsigned_abs(),
                DteTarget::Sessions(n) => sessions_to(date, *e).abs_diff(n),
            };
            (distance, *e)
        });
        let Some(&expiry) = expiries.first() else {
            return; // nothing listed in the bucket today: not a refusal
        };
        // One structure per expiry: the strategy spreads its entries out.
        if self.open.iter().any(|p| {
            p.structure
                .legs()
                .first()
                .is_some_and(|l| l.terms.expiry == expiry)
        }) {
            return;
        }
        let market = EntryMarket {
            now: ts,
            dte: sessions_to(date, expiry),
            vix,
            vix_open: self.vix_prev_close,
        };
        if let Err(e) = st.entry.check_market(&market) {
            self.refuse(ts, "criteria", e.to_string());
            return;
        }
        let quotes = self.expiry_quotes(chain, expiry);
        let built = match st.structure.build(&st.entry, st.contracts, &quotes) {
            Ok(b) => b,
            Err(e) => return self.refuse(ts, "build", e.to_string()),
        };
        if let Err(e) = st.entry.check_structure(&built) {
            return self.refuse(ts, "criteria", e.to_string());
        }
        let mids = built.leg_prices(PriceBasis::Mid);
        let Ok(bp) = built.structure.buying_power(&mids) else {
            return self.refuse(ts, "build", "the structure's loss is unbounded".into());
        };
        let id = StructureId(self.next_position);
        // The builder only picks quotes with Greeks, so every leg has a mark.
        let Some((marks, leg_greeks)): Option<(Vec<LegMark>, Vec<Greeks>)> = built
            .structure
            .legs()
            .iter()
            .map(|l| self.leg_mark(chain, &l.terms))
            .collect::<Option<Vec<_>>>()
            .map(|v| v.into_iter().unzip())
        else {
            return self.refuse(ts, "build", "a chosen leg has no quote with Greeks".into());
        };
        let spot = chain.underlying_price();
        let book = self.risk_book(spot, ts);
        let candidate =
            match PositionRisk::new(id, &built.structure, &mids, &leg_greeks, spot, Money::ZERO) {
                Ok(c) => c,
                Err(e) => return self.refuse(ts, "greeks_limits", e.to_string()),
            };
        if let Err(e) = check_entry(&self.spec.limits, &book, &candidate, bp) {
            return self.refuse(ts, "greeks_limits", e.to_string());
        }
        // Open: a credit is sold a concession below its mid (a debit bought
        // above it).
        let legs: Vec<ComboLeg> = built
            .structure
            .legs()
            .iter()
            .map(|l| ComboLeg {
                instrument: self.contract(&l.terms),
                ratio: l.ratio,
            })
            .collect();
        let quotes: Vec<LegQuote> = built
            .quotes
            .iter()
            .map(|q| LegQuote {
                bid: q.bid,
                ask: q.ask,
            })
            .collect();
        let limit = self.limit_price(&legs, &quotes);
        let qty = built.structure.quantity();
        let out = match_combo(
            &legs,
            limit,
            &quotes,
            self.spec.contract.tick,
            &self.spec.combo,
        );
        let (prices, net) = match out {
            ComboOutcome::Filled { leg_prices, net } => (leg_prices, net),
            ComboOutcome::RolledBack {
                opened,
                failed_leg,
                rolled_back,
            } => {
                // Legging: the legs that traded are in the account until they
                // are closed again at the other side of their quotes.
                let n = opened.len();
                let (r1, c1) = self.book_combo(&legs[..n], &opened, qty, ts, "legging_open");
                let reversed: Vec<ComboLeg> = legs[..n]
                    .iter()
                    .map(|l| ComboLeg {
                        instrument: l.instrument,
                        ratio: -l.ratio,
                    })
                    .collect();
                let (r2, c2) = self.book_combo(&reversed, &rolled_back, qty, ts, "rolled_back");
                let cost = r1 + r2 - c1 - c2;
                return self.refuse(
                    ts,
                    "rolled_back",
                    format!(
                        "leg {failed_leg} could not trade; {n} leg(s) opened and closed again, net {cost} after commissions"
                    ),
                );
            }
            ComboOutcome::NotFilled(why) => {
                return self.refuse(ts, "no_fill", format!("combo limit {limit}: {why:?}"));
            }
        };
        let (realized, commission) = self.book_combo(&legs, &prices, qty, ts, "entry");
        let payoff = built.structure.payoff(&prices).ok();
        let limited = |b: Bound| b.limited();
        let source = built_source(chain, &built);
        let record = PositionRecord {
            id: id.0,
            strategy: st.name.clone(),
            underlying: self.underlying.to_string(),
            structure: built.structure.kind().to_string().replace(' ', "_"),
            contracts: qty.get(),
            opened: ts,
            closed: None,
            expiry,
            dte_at_entry: chain.dte(expiry),
            bucket: bucket_name(st.entry.bucket),
            entry_net: net,
            exit_net: None,
            max_profit: payoff.as_ref().and_then(|p| limited(p.max_profit())),
            max_loss: payoff.as_ref().and_then(|p| limited(p.max_loss())),
            pnl: None,
            commissions: commission,
            exit_rule: None,
            exit_reason: None,
            hedge_trades: 0,
            quotes: source.into(),
            legs: built
                .structure
                .legs()
                .iter()
                .zip(&prices)
                .map(|(l, p)| LegRecord {
                    symbol: OccSymbol::from_terms(&l.terms)
                        .map(|s| s.to_string())
                        .unwrap_or_else(|_| l.describe()),
                    ratio: l.ratio,
                    entry_price: *p,
                    exit_price: None,
                    exit_kind: None,
                })
                .collect(),
        };
        self.ledger.positions.push(record);
        let leg_ivs = marks.iter().map(|m| m.iv).collect();
        for (i, &inst) in legs.iter().map(|l| &l.instrument).enumerate() {
            self.portfolio.mark(inst, built.quotes[i].mid());
        }
        self.open.push(OpenPosition {
            id,
            entry: EntrySnapshot {
                time: ts,
                leg_prices: prices,
                underlying: spot,
                leg_ivs,
            },
            legs: legs.iter().map(|l| l.instrument).collect(),
            structure: built.structure,
            state: ExitState::default(),
            marks,
            greeks: leg_greeks,
            record: self.ledger.positions.len() - 1,
            realized,
            hedge: 0,
        });
        self.next_position += 1;
    }

    fn expiry_quotes(&self, chain: &ChainSnapshot, expiry: Date) -> ExpiryQuotes {
        let spot = chain.underlying_price();
        let years = expiry_years(chain.ts(), expiry);
        let quotes = chain
            .expiry_quotes(expiry)
            .iter()
            .filter_map(|q| {
                let g = self.leg_greeks(q, spot, years)?;
                Some(StrikeQuote {
                    strike: q.strike(),
                    right: q.right(),
                    bid: q.bid,
                    ask: q.ask,
                    delta: g.delta,
                })
            })
            .collect();
        ExpiryQuotes {
            underlying: self.underlying.clone(),
            expiry,
            style: self.spec.contract.style,
            settlement: self.spec.contract.settlement,
            multiplier: self.spec.contract.multiplier,
            spot,
            quotes,
        }
    }

    /// The instrument id of a contract, listing it on first use.
    fn contract(&mut self, terms: &OptionTerms) -> InstrumentId {
        let key = key_of(terms);
        if let Some(&id) = self.contracts.get(&key) {
            return id;
        }
        let id = self.portfolio.add_instrument(self.spec.contract.multiplier);
        let symbol = OccSymbol::from_terms(terms)
            .map(|s| s.symbol())
            .unwrap_or_else(|_| terms.underlying.clone());
        self.instruments.push(Instrument {
            symbol,
            kind: InstrumentKind::Option(terms.clone()),
            tick_size: self.spec.contract.tick,
            multiplier: self.spec.contract.multiplier,
        });
        self.contracts.insert(key, id);
        id
    }

    fn record_greeks(&mut self, ts: Timestamp, spot: Price) {
        let m = f64::from(self.spec.contract.multiplier);
        let mut row = GreeksRow {
            ts,
            underlying: spot,
            delta: 0.0,
            gamma: 0.0,
            vega: 0.0,
            theta: 0.0,
            open_positions: self.open.len() as u32,
            loss_at_risk: Money::ZERO,
        };
        for p in &self.open {
            let q = p.structure.quantity().get() as f64;
            for (leg, g) in p.structure.legs().iter().zip(&p.greeks) {
                let units = f64::from(leg.ratio) * q * m;
                row.delta += units * g.delta;
                row.gamma += units * g.gamma;
                row.vega += units * g.vega_per_point();
                row.theta += units * g.theta_per_day();
            }
            if let Ok(bp) = p.structure.buying_power(&p.entry.leg_prices) {
                row.loss_at_risk += bp;
            }
        }
        self.ledger.greeks.push(row);
    }

    /// The desk's configuration.
    pub fn spec(&self) -> &OptionsSpec {
        self.spec
    }

    /// The open structures with their legs, Greeks, P&L, sessions to
    /// expiry and how close each exit rule is to firing, as of the last
    /// step.
    pub fn open_structures(&self) -> Vec<OpenStructure> {
        let Some((spot, now, date, vix)) = self.last else {
            return Vec::new();
        };
        let m = f64::from(self.spec.contract.multiplier);
        self.open
            .iter()
            .map(|pos| {
                let q = pos.structure.quantity().get() as f64;
                let legs = pos.structure.legs();
                let mut out = OpenStructure {
                    id: pos.id.0,
                    kind: format!("{:?}", pos.structure.kind()),
                    quantity: pos.structure.quantity().get(),
                    opened: pos.entry.time,
                    dte: legs
                        .iter()
                        .map(|l| l.terms.expiry)
                        .min()
                        .map_or(0, |e| sessions_to(date, e)),
                    legs: Vec::new(),
                    entry_premium: 0.0,
                    pnl: 0.0,
                    delta: pos.hedge as f64,
                    gamma: 0.0,
                    vega: 0.0,
                    theta: 0.0,
                    hedge_shares: pos.hedge,
                    rules: Vec::new(),
                };
                for (i, leg) in legs.iter().enumerate() {
                    let units = f64::from(leg.ratio) * q * m;
                    let entry = pos.entry.leg_prices.get(i).copied().unwrap_or(Price::ZERO);
                    let mark = pos.marks.get(i);
                    if let Some(g) = pos.greeks.get(i) {
                        out.delta += units * g.delta;
                        out.gamma += units * g.gamma;
                        out.vega += units * g.vega_per_point();
                        out.theta += units * g.theta_per_day();
                    }
                    out.entry_premium -= units * entry.to_f64();
                    if let Some(mk) = mark {
                        out.pnl += units * (mk.mid().to_f64() - entry.to_f64());
                    }
                    out.legs.push(OpenLeg {
                        symbol: pos
                            .legs
                            .get(i)
                            .and_then(|id| self.instruments.get(id.index()))
                            .map_or_else(String::new, |ins| ins.symbol.to_string()),
                        expiry: leg.terms.expiry,
                        ratio: leg.ratio,
                        entry,
                        bid: mark.map_or(Price::ZERO, |mk| mk.bid),
                        ask: mark.map_or(Price::ZERO, |mk| mk.ask),
                        iv: mark.map_or(0.0, |mk| mk.iv),
                        delta: mark.map_or(0.0, |mk| mk.delta),
                    });
                }
                let vol = pos
                    .marks
                    .iter()
                    .map(|mk| mk.iv)
                    .filter(|v| *v > 0.0)
                    .fold(None, |acc: Option<f64>, v| {
                        Some(acc.map_or(v, |a| a.max(v)))
                    })
                    .or(vix.map(|v| v / 100.0))
                    .unwrap_or(0.2);
                let view = PositionView {
                    id: pos.id,
                    structure: &pos.structure,
                    entry: &pos.entry,
                    legs: &pos.marks,
                    underlying: spot,
                    volatility: vol,
                    vix,
                    vix_open: self.vix_prev_close,
                    now,
                    dte: out.dte,
                    session_close: None,
                    portfolio: None,
                    hedge_shares: pos.hedge,
                };
                if let Ok(p) = self.engine.proximity(&view, &pos.state) {
                    out.rules = p.into_iter().map(|(r, v)| (r.to_string(), v)).collect();
                }
                out
            })
            .collect()
    }

    /// The run's ledgers: the same result a backtest over the bars stepped
    /// so far returns.
    pub fn finish(self) -> (BacktestResult, OptionsLedger, Vec<Instrument>) {
        let bars = self.bars;
        let final_marks = (0..self.portfolio.instrument_count())
            .map(|i| self.portfolio.mark_of(InstrumentId(i as u32)))
            .collect();
        let result = BacktestResult {
            orders: self.orders,
            fills: self.fills,
            equity: self.equity,
            positions: self.positions,
            trades: self.closed_trades,
            risk_events: Vec::new(),
            kill_switch: None,
            bars,
            final_marks,
            initial_cash: self.spec.initial_cash,
        };
        (result, self.ledger, self.instruments)
    }
}

/// The net of buying every long leg at its ask and selling every short leg
/// at its bid (debit positive).
fn natural_net(legs: &[ComboLeg], quotes: &[LegQuote]) -> Price {
    Price::from_raw(
        legs.iter()
            .zip(quotes)
            .map(|(l, q)| {
                i64::from(l.ratio)
                    * if l.ratio > 0 {
                        q.ask.raw()
                    } else {
                        q.bid.raw()
                    }
            })
            .sum(),
    )
}

/// The net at the legs' mids (debit positive).
fn mid_net(legs: &[ComboLeg], quotes: &[LegQuote]) -> Price {
    Price::from_raw(
        legs.iter()
            .zip(quotes)
            .map(|(l, q)| i64::from(l.ratio) * ((q.bid.raw() + q.ask.raw()) / 2))
            .sum(),
    )
}

/// The chain key of a contract.
fn key_of(terms: &OptionTerms) -> ContractKey {
    ContractKey {
        expiry: terms.expiry,
        strike: terms.strike,
        right: terms.right,
    }
}

/// ACT/365 years from `ts` to the 16:00 New York close of `expiry`.
fn expiry_years(ts: Timestamp, expiry: Date) -> f64 {
    trade_options::structure::expiry_close(expiry)
        .map_or(0.0, |close| year_fraction(ts, close).max(0.0))
}

/// `real`, `modelled` or `mixed`: the quotes a structure was opened at.
fn built_source(chain: &ChainSnapshot, built: &BuiltStructure) -> &'static str {
    let sources: Vec<QuoteSource> = built
        .structure
        .legs()
        .iter()
        .filter_map(|l| chain.quote(&key_of(&l.terms)).map(|q| q.source))
        .collect();
    if sources.iter().all(|s| *s == QuoteSource::Real) {
        "real"
    } else if sources.iter().all(|s| *s == QuoteSource::Modelled) {
        "modelled"
    } else {
        "mixed"
    }
}
