//! The options desk in paper mode: stepped by a feed, it trades exactly
//! as the backtest over the same bars does, and the journal holds every
//! order, execution, commission and exit decision of the run.

use std::path::PathBuf;

use jiff::civil::{Time, date};
use trade_core::{Bar, Instrument, InstrumentId, Money, Price, Qty, Symbol, Timestamp};
use trade_data::{BarFileSpec, load_bars};
use trade_engine::broker::{ComboFillConfig, CommissionModel};
use trade_engine::options::{
    ContractSpec, OptionsSpec, OptionsStrategy, StructureChoice, SyntheticChains,
    run_options_backtest,
};
use trade_journal::{Journal, OrderState, SqliteJournal};
use trade_live::adapter::{FeedEvent, feed_channels};
use trade_live::options_paper::OptionsPaper;
use trade_options::exits::ExitConfig;
use trade_options::portfolio::PortfolioLimits;
use trade_options::structure::EntryCriteria;
use trade_options::synth::{ChainGenerator, SynthConfig, VixSeries};

fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
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

fn spy_bars() -> Vec<Bar> {
    let spec = BarFileSpec::new(repo("data/daily/yahoo_xjcarter_2022/SPY.csv"));
    let loaded = load_bars(&spec, InstrumentId(0)).expect("SPY bars");
    let (from, to) = (ts(2015, 1, 1), ts(2015, 12, 31));
    loaded
        .bars
        .into_iter()
        .filter(|b| b.ts >= from && b.ts <= to)
        .collect()
}

fn spec() -> OptionsSpec {
    let mut entry = EntryCriteria::swing();
    entry.window_start = Time::constant(15, 0, 0, 0);
    entry.window_end = Time::constant(16, 0, 0, 0);
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

fn source() -> SyntheticChains {
    let spy = Symbol::new("SPY").unwrap();
    let generator = ChainGenerator::new(spy, SynthConfig::default()).expect("generator");
    let vix = VixSeries::load(&repo("data/vix/VIX_History_cboe.csv")).expect("VIX");
    SyntheticChains::new(generator, vix, "data/vix/VIX_History_cboe.csv".into())
}

#[test]
fn a_fed_paper_desk_trades_as_the_backtest_and_journals_every_order_and_fill() {
    let bars = spy_bars();
    assert!(bars.len() > 200);
    let spec = spec();
    let spy = Instrument::etf(Symbol::new("SPY").unwrap());
    let (expected, expected_ledger, _) =
        run_options_backtest(&spec, spy.clone(), &bars, &mut source()).expect("backtest");
    assert!(
        expected_ledger.positions.len() >= 5,
        "the year must trade some condors"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.sqlite");
    let journal = SqliteJournal::open(&path).expect("journal");
    let (mut feed, _commands, events) = feed_channels();
    let sender = {
        let bars = bars.clone();
        std::thread::spawn(move || {
            for b in bars {
                events.blocking_send(FeedEvent::Bar(b)).expect("send bar");
                events
                    .blocking_send(FeedEvent::Instant(b.ts))
                    .expect("send instant");
            }
            events.blocking_send(FeedEvent::End).expect("send end");
        })
    };
    let mut src = source();
    let mut paper = OptionsPaper::new(&spec, spy, &src, Box::new(journal)).expect("desk");
    let mut steps = 0;
    let mut checked = 0;
    paper
        .run_blocking(&mut feed, InstrumentId(0), &mut src, |desk, _, _| {
            steps += 1;
            // The dashboard's view of each open structure: Greeks summing
            // to the desk's portfolio Greeks (hedges aside), every rule's
            // proximity in [0, 1], closest first.
            let status = desk.status_json(Money::from_dollars(100_000));
            let o = &status["options"];
            let structures = o["structures"].as_array().expect("structures");
            if structures.is_empty() {
                return;
            }
            checked += 1;
            let sum = |k: &str| -> f64 {
                structures
                    .iter()
                    .map(|s| {
                        s[k].as_f64().unwrap()
                            - if k == "delta" {
                                s["hedge_shares"].as_f64().unwrap()
                            } else {
                                0.0
                            }
                    })
                    .sum()
            };
            for k in ["delta", "gamma", "vega", "theta"] {
                let total = o["greeks"][k].as_f64().unwrap();
                assert!(
                    (sum(k) - total).abs() <= 1e-6 * total.abs().max(1.0),
                    "{k}: {} vs {total}",
                    sum(k)
                );
            }
            let exposure = status["portfolio"]["by_instrument"].as_array().unwrap();
            assert!(!exposure.is_empty(), "{status}");
            assert!(
                exposure
                    .iter()
                    .all(|e| e["symbol"].as_str().unwrap().starts_with("SPY 20"))
            );
            for s in structures {
                assert!(s["legs"].as_array().unwrap().len() >= 2, "{s}");
                let rules = s["rules"].as_array().unwrap();
                assert!(!rules.is_empty(), "{s}");
                let p: Vec<f64> = rules.iter().map(|r| r[1].as_f64().unwrap()).collect();
                assert!(p.iter().all(|x| (0.0..=1.0).contains(x)), "{p:?}");
                assert!(p.windows(2).all(|w| w[0] >= w[1]), "{p:?}");
            }
        })
        .expect("paper run");
    sender.join().expect("feeder");
    assert_eq!(steps, bars.len());
    assert!(checked > 20, "structures were open on {checked} bars");
    let (result, ledger, instruments) = paper.finish();

    // Same desk, same bars: the same trades to the cent.
    assert_eq!(result.fills, expected.fills);
    assert_eq!(result.equity, expected.equity);
    assert_eq!(ledger.positions, expected_ledger.positions);

    // The journal, read back from disk: one Filled order per leg order, one
    // execution per fill at its price, commissions summing to the ledger's.
    let j = SqliteJournal::open_read_only(&path).expect("reopen");
    assert!(j.orders_with_unknown_outcome().expect("pending").is_empty());
    assert!(j.open_orders().expect("open").is_empty());
    let mut journaled_fills = 0;
    for (k, o) in result.orders.iter().enumerate() {
        let id = trade_journal::LocalOrderId(k as i64 + 1);
        let jo = j.order(id).expect("read").expect("order journaled");
        assert_eq!(jo.state, OrderState::Filled, "order {id}");
        assert_eq!(jo.qty, o.intent.qty);
        assert_eq!(jo.side, o.intent.side);
        assert_eq!(
            jo.instrument,
            instruments[o.intent.instrument.index()].symbol.to_string()
        );
        let execs = j.executions_for(id).expect("executions");
        for e in &execs {
            let f = result
                .fills
                .iter()
                .find(|f| f.fill.order_id == o.id)
                .expect("fill of order");
            assert_eq!(
                (e.qty, e.price, e.ts),
                (f.fill.qty, f.fill.price, f.fill.ts)
            );
        }
        journaled_fills += execs.len();
    }
    assert_eq!(journaled_fills, result.fills.len());

    // Every exit decision and every opened structure is in the audit trail.
    let audit = j.audit_after(0, 1_000_000).expect("audit");
    let decisions: Vec<_> = audit
        .iter()
        .filter(|a| a.kind == trade_journal::AuditKind::Decision)
        .collect();
    let exits = decisions
        .iter()
        .filter(|a| a.payload["decision"]["kind"] == "exit_rule")
        .count();
    let opens = decisions
        .iter()
        .filter(|a| a.payload["decision"]["kind"] == "open_structure")
        .count();
    assert_eq!(exits, ledger.decisions.len());
    assert_eq!(opens, ledger.positions.len());
}

#[test]
fn a_journal_that_cannot_be_written_stops_the_desk_with_an_error() {
    let bars = spy_bars();
    let spec = spec();
    let spy = Instrument::etf(Symbol::new("SPY").unwrap());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.sqlite");
    drop(SqliteJournal::open(&path).expect("create"));
    let journal = SqliteJournal::open_read_only(&path).expect("read-only");
    let mut src = source();
    let mut paper = OptionsPaper::new(&spec, spy, &src, Box::new(journal)).expect("desk");
    let mut failed = None;
    for b in &bars {
        if let Err(e) = paper.on_bar(b, &mut src) {
            failed = Some(e.to_string());
            break;
        }
    }
    let msg = failed.expect("the first journaled order must fail on a read-only journal");
    assert!(msg.starts_with("journal:"), "{msg}");
}
