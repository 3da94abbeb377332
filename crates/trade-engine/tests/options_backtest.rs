//! The options backtest on real SPY closes and the real VIX, with synthetic
//! chains: the account ledgers reconcile to the cent, every closed
//! structure's P&L equals its legs' cash flows, risk numbers follow from the
//! strikes, and two runs are identical.

use std::path::PathBuf;

use jiff::civil::{Time, date};
use trade_core::{Bar, Instrument, InstrumentId, Money, Price, Qty, Side, Symbol, Timestamp};
use trade_data::{BarFileSpec, load_bars};
use trade_engine::BacktestResult;
use trade_engine::broker::{ComboFillConfig, CommissionModel};
use trade_engine::options::{
    ContractSpec, OptionsLedger, OptionsSpec, OptionsStrategy, StructureChoice, SyntheticChains,
    run_options_backtest,
};
use trade_options::exits::ExitConfig;
use trade_options::occ::OccSymbol;
use trade_options::portfolio::PortfolioLimits;
use trade_options::structure::EntryCriteria;
use trade_options::synth::{ChainGenerator, SynthConfig, VixSeries};

fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

fn spy_bars(from: Timestamp, to: Timestamp) -> Vec<Bar> {
    let spec = BarFileSpec::new(repo("data/daily/yahoo_xjcarter_2022/SPY.csv"));
    let loaded = load_bars(&spec, InstrumentId(0)).expect("SPY bars");
    loaded
        .bars
        .into_iter()
        .filter(|b| b.ts >= from && b.ts <= to)
        .collect()
}

fn ts(y: i16, m: i8, d: i8) -> Timestamp {
    Timestamp::from_nanos(
        date(y, m, d)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .expect("date")
            .timestamp()
            .as_nanosecond() as i64,
    )
}

fn spec() -> OptionsSpec {
    let mut entry = EntryCriteria::swing();
    // Daily bars close at 16:00 New York: decide at the close.
    entry.window_start = Time::constant(15, 0, 0, 0);
    entry.window_end = Time::constant(16, 0, 0, 0);
    // A 16-delta, $5-wide condor on a $200 SPY collects about $0.80.
    entry.min_credit = Price::from_cents(50);
    OptionsSpec {
        initial_cash: Money::from_dollars(100_000),
        commission: CommissionModel::PerShare {
            rate: "0.65".parse().unwrap(),
            min: Money::from_dollars(1),
            max_pct: None,
        },
        stock_commission: CommissionModel::default(),
        combo: ComboFillConfig::default(),
        exits: ExitConfig::default(),
        limits: PortfolioLimits::default(),
        contract: ContractSpec::default(),
        rate: 0.02,
        dividend_yield: 0.015,
        benchmark_closes: Vec::new(),
        strategy: OptionsStrategy {
            name: "spy_ic45".into(),
            structure: StructureChoice::IronCondor {
                wing: Price::from_cents(500),
            },
            entry,
            target_dte: 45,
            contracts: Qty::new(1),
            max_open: 3,
            concession: Price::from_cents(10),
            concession_fraction: 0.0,
        },
    }
}

fn run() -> (BacktestResult, OptionsLedger, Vec<Instrument>) {
    let bars = spy_bars(ts(2015, 1, 1), ts(2016, 12, 31));
    assert!(bars.len() > 500);
    let spy = Symbol::new("SPY").unwrap();
    let generator = ChainGenerator::new(spy.clone(), SynthConfig::default()).expect("generator");
    let vix = VixSeries::load(&repo("data/vix/VIX_History_cboe.csv")).expect("VIX");
    let mut source = SyntheticChains::new(generator, vix, "data/vix/VIX_History_cboe.csv".into());
    run_options_backtest(&spec(), Instrument::etf(spy), &bars, &mut source).expect("backtest")
}

#[test]
fn iron_condors_reconcile_to_the_cent() {
    let (result, ledger, instruments) = run();
    let closed: Vec<_> = ledger
        .positions
        .iter()
        .filter(|p| p.closed.is_some())
        .collect();
    assert!(closed.len() >= 10, "only {} closed positions", closed.len());
    assert!(ledger.quotes.modelled > 0 && ledger.quotes.real == 0);
    assert!(
        closed
            .iter()
            .any(|p| p.exit_rule.as_deref() == Some("take_profit")),
        "no take-profit exit among {:?}",
        closed
            .iter()
            .map(|p| p.exit_rule.clone())
            .collect::<Vec<_>>()
    );

    // Cash: initial - signed notionals - commissions, from the fill ledger.
    let mut cash = Money::from_dollars(100_000);
    for f in &result.fills {
        let m = instruments[f.fill.instrument.index()].multiplier;
        let n = Money::notional(f.fill.price, f.fill.qty, m);
        match f.fill.side {
            Side::Buy => cash -= n,
            Side::Sell => cash += n,
        }
        cash -= f.fill.commission;
    }
    let last = result.equity.last().expect("equity rows");
    assert_eq!(last.cash, cash);

    for p in &ledger.positions {
        // An iron condor sold for a credit: max profit is the credit, max
        // loss the $5 wing less the credit, per 100 shares.
        assert!(p.entry_net < Price::ZERO, "position {} not a credit", p.id);
        let credit = Money::notional(
            Price::from_raw(-p.entry_net.raw()),
            Qty::new(p.contracts),
            100,
        );
        assert_eq!(p.max_profit, Some(credit), "position {}", p.id);
        // Legs: long put, short put, short call, long call; a wing is at
        // least $5 (wider where only $5 strikes are listed).
        let strikes: Vec<Price> = p
            .legs
            .iter()
            .map(|l| OccSymbol::parse(&l.symbol).expect("OCC symbol").strike())
            .collect();
        let widest = (strikes[1].raw() - strikes[0].raw()).max(strikes[3].raw() - strikes[2].raw());
        assert!(widest >= Price::from_cents(500).raw(), "position {}", p.id);
        let wing = Money::notional(Price::from_raw(widest), Qty::new(p.contracts), 100);
        assert_eq!(p.max_loss, Some(wing - credit), "position {}", p.id);
        // A position closed by an order: P&L is the legs' round trips less
        // commissions.
        if p.exit_rule.as_deref().is_some_and(|r| r != "expiry") {
            let flows: i128 = p
                .legs
                .iter()
                .map(|l| {
                    let exit = l.exit_price.expect("closed leg").raw();
                    i128::from(l.ratio)
                        * i128::from(p.contracts)
                        * 100
                        * i128::from(exit - l.entry_price.raw())
                })
                .sum();
            assert_eq!(
                p.pnl,
                Some(Money::from_raw(flows as i64) - p.commissions),
                "position {}",
                p.id
            );
            assert!(p.exit_reason.as_deref().is_some_and(|r| !r.is_empty()));
        }
    }
    // Every rule that closed a position was journaled.
    for p in &closed {
        if let Some(rule) = p.exit_rule.as_deref().filter(|r| *r != "expiry") {
            assert!(
                ledger
                    .decisions
                    .iter()
                    .any(|d| d.position.0 == p.id && d.rule.to_string() == rule),
                "no journal entry for position {} ({rule})",
                p.id
            );
        }
    }
    assert_eq!(ledger.greeks.len(), result.equity.len());
}

#[test]
fn same_inputs_same_ledgers() {
    let a = run();
    let b = run();
    assert_eq!(
        serde_json::to_string(&a.0).unwrap(),
        serde_json::to_string(&b.0).unwrap()
    );
    assert_eq!(
        serde_json::to_string(&a.1).unwrap(),
        serde_json::to_string(&b.1).unwrap()
    );
}

/// On real chains (iVolatility's SPX end-of-day file, 2011-01-03..07) the
/// desk opens a European, cash-settled iron condor at the real quotes: the
/// record says `real`, the legs are listed SPX strikes of the file, the
/// entry credit is within the legs' real bid/ask, and equity is marked at
/// the real mids each day.
#[test]
fn real_chains_trade_at_real_quotes() {
    use trade_core::{ExerciseStyle, Settlement};
    use trade_engine::options::RecordedChains;
    use trade_options::chain::{ChainFileSpec, Preset, load_chain_file};

    let loaded = load_chain_file(
        &repo("data/options/SPX_ivolatility_RawIV_2011-01-03_07.csv"),
        &ChainFileSpec::preset(Preset::IvolatilityRawiv),
    )
    .expect("SPX chains");
    assert_eq!(loaded.snapshots.len(), 5);
    let bars: Vec<Bar> = loaded
        .snapshots
        .iter()
        .map(|s| Bar {
            instrument: InstrumentId(0),
            ts: s.ts(),
            open: s.underlying_price(),
            high: s.underlying_price(),
            low: s.underlying_price(),
            close: s.underlying_price(),
            volume: 0,
        })
        .collect();
    let mut spec = spec();
    spec.contract = ContractSpec {
        style: ExerciseStyle::European,
        settlement: Settlement::Cash,
        ..ContractSpec::default()
    };
    spec.strategy.structure = StructureChoice::IronCondor {
        wing: Price::from_cents(2500),
    };
    spec.strategy.entry.max_width = Price::from_cents(5000);
    spec.strategy.entry.min_credit = Price::from_cents(100);
    spec.strategy.entry.vix = Default::default();
    spec.strategy.entry.window_start = Time::constant(0, 0, 0, 0);
    spec.strategy.entry.window_end = Time::constant(23, 59, 0, 0);
    spec.strategy.max_open = 1;
    spec.limits.default_beta = Some(1.0);
    // SPX legs were quoted a dollar or more wide in 2011: a fixed 10-cent
    // concession never fills; conceding half the way to natural (what the
    // simulated market requires) does.
    spec.strategy.concession_fraction = 0.5;
    let quotes = loaded.snapshots.clone();
    let mut source = RecordedChains::new(loaded.snapshots, None, "iVolatility SPX".into());
    let spx = Instrument::etf(Symbol::new("SPX").unwrap());
    let (result, ledger, instruments) =
        run_options_backtest(&spec, spx, &bars, &mut source).expect("backtest");
    assert_eq!(ledger.quotes.modelled, 0);
    assert!(ledger.quotes.real > 5000);
    let p = ledger
        .positions
        .first()
        .unwrap_or_else(|| panic!("no entry: {:?}", ledger.refusals));
    assert_eq!(p.quotes, "real");
    let day = quotes
        .iter()
        .find(|s| s.ts() == p.opened)
        .expect("entry day");
    for leg in &p.legs {
        let sym = OccSymbol::parse(&leg.symbol).unwrap();
        let q = day
            .quote(&trade_options::chain::ContractKey {
                expiry: sym.expiry(),
                strike: sym.strike(),
                right: sym.right(),
            })
            .expect("leg listed in the file");
        assert!(
            leg.entry_price >= q.bid && leg.entry_price <= q.ask,
            "{leg:?} vs {q:?}"
        );
    }
    assert!(instruments.len() == 5 && result.equity.len() == 5);
}

/// Rule 9 alone (roll at 21 sessions left, to about 30 sessions): every
/// rolled structure is closed, and at the same close either a new one opens
/// at a later expiry or the refused re-entry is journaled with its reason.
#[test]
fn dte_roll_closes_and_reopens_later() {
    use trade_options::exits::RuleId;
    let mut s = spec();
    let mut exits = ExitConfig::only(RuleId::DteRoll);
    exits.dte_roll.at_or_below_dte = 21;
    exits.dte_roll.roll_to_dte = 30;
    exits.dte_roll.require_untested = false;
    exits.dte_roll.min_pnl_fraction = None;
    s.exits = exits;
    s.strategy.max_open = 1;
    let bars = spy_bars(ts(2015, 1, 1), ts(2015, 12, 31));
    let spy = Symbol::new("SPY").unwrap();
    let generator = ChainGenerator::new(spy.clone(), SynthConfig::default()).expect("generator");
    let vix = VixSeries::load(&repo("data/vix/VIX_History_cboe.csv")).expect("VIX");
    let mut source = SyntheticChains::new(generator, vix, "VIX".into());
    let (_, ledger, _) =
        run_options_backtest(&s, Instrument::etf(spy), &bars, &mut source).expect("backtest");
    let rolled: Vec<_> = ledger
        .positions
        .iter()
        .filter(|p| p.exit_rule.as_deref() == Some("dte_roll"))
        .collect();
    assert!(rolled.len() >= 3, "{} rolls", rolled.len());
    let mut reopened = 0;
    for r in rolled {
        match ledger
            .positions
            .iter()
            .find(|p| Some(p.opened) == r.closed && p.id != r.id)
        {
            Some(next) => {
                assert!(next.expiry > r.expiry, "{} -> {}", r.expiry, next.expiry);
                reopened += 1;
            }
            None => assert!(
                ledger.refusals.iter().any(|f| Some(f.ts) == r.closed),
                "position {} rolled into nothing and no refusal says why",
                r.id
            ),
        }
    }
    assert!(reopened >= 2, "only {reopened} rolls reopened");
}

/// The vega limit counts the open structures' vega, not only the
/// candidate's: with room for about one condor's vega, a second never opens
/// although `max_open` allows three, and the refusals name the vega limit.
#[test]
fn vega_limit_counts_open_positions() {
    let mut s = spec();
    // One condor here carries about -$11 of vega per vol point.
    s.limits.max_abs_vega = Some(15.0);
    let bars = spy_bars(ts(2015, 1, 1), ts(2015, 12, 31));
    let spy = Symbol::new("SPY").unwrap();
    let generator = ChainGenerator::new(spy.clone(), SynthConfig::default()).expect("generator");
    let vix = VixSeries::load(&repo("data/vix/VIX_History_cboe.csv")).expect("VIX");
    let mut source = SyntheticChains::new(generator, vix, "VIX".into());
    let (_, ledger, _) =
        run_options_backtest(&s, Instrument::etf(spy), &bars, &mut source).expect("backtest");
    assert!(!ledger.positions.is_empty());
    let most_open = ledger
        .greeks
        .iter()
        .map(|g| g.open_positions)
        .max()
        .unwrap();
    assert_eq!(most_open, 1, "vega limit let {most_open} condors open");
    assert!(
        ledger
            .greeks
            .iter()
            .all(|g| g.vega.abs() <= 15.0 + 1e-9 || g.open_positions <= 1)
    );
    assert!(
        ledger
            .refusals
            .iter()
            .any(|r| r.check == "greeks_limits" && r.reason.contains("vega")),
        "no vega refusal"
    );
}

/// Rule 6 with `adjust` on the position delta (more than 5 shares per
/// condor): instead of closing, the desk hedges with shares of SPY. Each
/// hedge trade is a `delta_hedge` fill at the close of its bar; every
/// closed structure's hedges are unwound (`hedge_unwind`) when it closes,
/// so the shares held at the end are exactly the open structures' hedges;
/// a hedged position's P&L is its legs' round trips plus its share trades,
/// less all commissions; and the cash ledger still reconciles to the cent.
#[test]
fn delta_hedges_trade_shares_and_unwind_with_their_structure() {
    use trade_options::exits::RuleId;
    let mut s = spec();
    let mut exits = ExitConfig::only(RuleId::DeltaRisk);
    exits.delta_risk.max_short_leg_delta = None;
    exits.delta_risk.max_delta_per_unit = Some(5.0);
    exits.delta_risk.adjust = true;
    // Take profit keeps structures turning over so hedges get unwound.
    exits.set_enabled(RuleId::TakeProfit, true);
    s.exits = exits;
    s.strategy.max_open = 1;
    s.stock_commission = CommissionModel::PerShare {
        rate: "0.005".parse().unwrap(),
        min: Money::from_dollars(1),
        max_pct: None,
    };
    let bars = spy_bars(ts(2015, 1, 1), ts(2016, 12, 31));
    let spy = Symbol::new("SPY").unwrap();
    let generator = ChainGenerator::new(spy.clone(), SynthConfig::default()).expect("generator");
    let vix = VixSeries::load(&repo("data/vix/VIX_History_cboe.csv")).expect("VIX");
    let mut source = SyntheticChains::new(generator, vix, "VIX".into());
    let (result, ledger, instruments) =
        run_options_backtest(&s, Instrument::etf(spy), &bars, &mut source).expect("backtest");

    let hedged: Vec<_> = ledger
        .positions
        .iter()
        .filter(|p| p.hedge_trades > 0)
        .collect();
    assert!(hedged.len() >= 3, "{} hedged positions", hedged.len());
    let tag_of = |f: &trade_engine::ledger::FillRow| {
        result
            .orders
            .iter()
            .find(|o| o.id == f.fill.order_id)
            .map(|o| o.intent.tag.to_string())
            .unwrap_or_default()
    };
    let share_fills: Vec<_> = result
        .fills
        .iter()
        .filter(|f| f.fill.instrument == InstrumentId(0))
        .collect();
    let hedge_fills = share_fills
        .iter()
        .filter(|f| tag_of(f) == "delta_hedge")
        .count();
    assert_eq!(
        hedge_fills,
        ledger
            .positions
            .iter()
            .map(|p| p.hedge_trades as usize)
            .sum::<usize>()
    );
    // Hedge fills trade at the bar's close.
    for f in &share_fills {
        if tag_of(f) == "delta_hedge" {
            let bar = bars
                .iter()
                .find(|b| b.ts == f.fill.ts)
                .expect("bar of fill");
            assert_eq!(f.fill.price, bar.close);
        }
    }
    // Shares net of everything: what the still-open structures hold (no
    // assignment in this period leaves shares behind).
    let net: i64 = share_fills
        .iter()
        .map(|f| f.fill.qty.signed() * f.fill.side.sign())
        .sum();
    let open_hedged = ledger
        .positions
        .iter()
        .any(|p| p.closed.is_none() && p.hedge_trades > 0);
    if !open_hedged {
        assert_eq!(net, 0, "hedges left behind");
    }
    // One structure at a time, so every share trade after a position's
    // opening bar (exits run before entries: the bar it opened on may
    // unwind its predecessor) up to its closing is its own: a hedged position closed by an order
    // made its legs' round trips plus its share trades' cash flows, less
    // all commissions.
    let mut checked = 0;
    for p in hedged
        .iter()
        .filter(|p| p.exit_rule.as_deref().is_some_and(|r| r != "expiry"))
    {
        let legs: i128 = p
            .legs
            .iter()
            .map(|l| {
                i128::from(l.ratio)
                    * i128::from(p.contracts)
                    * 100
                    * i128::from(l.exit_price.expect("closed").raw() - l.entry_price.raw())
            })
            .sum();
        let closed = p.closed.expect("closed");
        let shares: i128 = share_fills
            .iter()
            .filter(|f| f.fill.ts > p.opened && f.fill.ts <= closed)
            .map(|f| {
                -i128::from(f.fill.side.sign())
                    * i128::from(f.fill.qty.get())
                    * i128::from(f.fill.price.raw())
            })
            .sum();
        assert_ne!(shares, 0, "position {}: hedged but no share P&L", p.id);
        assert_eq!(
            p.pnl,
            Some(Money::from_raw((legs + shares) as i64) - p.commissions),
            "position {}",
            p.id
        );
        checked += 1;
    }
    assert!(
        checked >= 2,
        "{checked} hedged positions closed by an order"
    );
    // Cash: initial - signed notionals - commissions, over every fill.
    let mut cash = Money::from_dollars(100_000);
    for f in &result.fills {
        let m = instruments[f.fill.instrument.index()].multiplier;
        let n = Money::notional(f.fill.price, f.fill.qty, m);
        match f.fill.side {
            Side::Buy => cash -= n,
            Side::Sell => cash += n,
        }
        cash -= f.fill.commission;
    }
    assert_eq!(result.equity.last().expect("rows").cash, cash);
}
